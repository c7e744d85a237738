/*
 * capture_win32.h: what the GDI backend (capture_win32.c) shares with the
 * DXGI one (capture_dxgi_win32.c), which delegates to it for the monitors,
 * the secure desktop and every grab Desktop Duplication cannot make: the
 * thread's DPI awareness around every call that measures or reads the
 * desktop, so both see physical pixels the same way.
 */
#ifndef HANDOFF_HELPER_CAPTURE_WIN32_H
#define HANDOFF_HELPER_CAPTURE_WIN32_H

#include <windows.h>

/*
 * This thread per-monitor DPI aware until helper_capture_win32_dpi_leave:
 * v2 (Windows 10 1703 and later), else v1, which is all Wine 8 has.
 * Returns what to restore.
 */
DPI_AWARENESS_CONTEXT helper_capture_win32_dpi_enter(void);
void helper_capture_win32_dpi_leave(DPI_AWARENESS_CONTEXT old);

#endif
