/*
 * ui_sdl_sys: what the customer's window (ui_sdl.c) needs from the window
 * system beneath SDL, which SDL itself does not offer the same way
 * everywhere: which display and driver to use, a UTF-8 title the task bar
 * shows, and how the helper's one event loop learns that the window has
 * events. ui_sdl_x11.c: the Xlib connection's descriptor is polled.
 * ui_sdl_win32.c: a window's messages are not a socket that WSAPoll can
 * wait on, so the loop wakes every few milliseconds while the window is
 * open.
 */
#ifndef HANDOFF_HELPER_UI_SDL_SYS_H
#define HANDOFF_HELPER_UI_SDL_SYS_H

#include <stddef.h>

struct SDL_Window;

/* Before SDL_Init: display (X11's DISPLAY; unused on Windows) and SDL's hints. 0, or -1 with err. */
int helper_ui_sdl_sys_prepare(const char *display, char *err, size_t errlen);
/*
 * After the window exists: checks that SDL draws through the window
 * system expected, names the window (title: UTF-8), and sets *fd to the
 * descriptor the loop polls for the window's events, or -1 when there is
 * none (then helper_ui_sdl_sys_poll_ms says how long the loop may sleep).
 * 0, or -1 with err.
 */
int helper_ui_sdl_sys_attach(struct SDL_Window *win, const char *title, int *fd, char *err, size_t errlen);
/* How long the loop may sleep without looking at the window: -1 = until its descriptor is readable. */
int helper_ui_sdl_sys_poll_ms(void);

#endif
