/*
 * platform: what the helper asks of the operating system beyond the
 * display, input and clipboard (those have backends of their own): where
 * its program lives, the fonts a window may use, the environment, and
 * wiping secrets. platform_linux.c and platform_win32.c implement it.
 */
#ifndef HANDOFF_HELPER_PLATFORM_H
#define HANDOFF_HELPER_PLATFORM_H

#include <stddef.h>

/* The directory holding the running program, without a trailing separator. 0 or -1. */
int helper_platform_exe_dir(char *dir, size_t len);
/*
 * The system's fonts that have Japanese glyphs, best first, for the window
 * when none ships beside the program; *n gets how many. Static strings.
 */
const char *const *helper_platform_fonts(size_t *n);
/* setenv(name, value, 1). 0 or -1. */
int helper_platform_setenv(const char *name, const char *value);
/* Overwrites n bytes at p in a way the compiler may not drop (codes, tokens). */
void helper_platform_wipe(void *p, size_t n);

#endif
