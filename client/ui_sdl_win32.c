/*
 * ui_sdl_win32.c: see ui_sdl_sys.h. SDL's Windows driver; the title is
 * UTF-8 already (SDL converts it to UTF-16). A window's messages arrive in
 * the thread's message queue, which WSAPoll cannot wait on, so the loop
 * wakes every SDL_SYS_POLL_MS while the window is open; next() and
 * pending() then pump SDL as on X11. 40 ms keeps a click's answer below
 * what a person notices, at a cost of 25 empty wake-ups a second.
 */
#include "ui_sdl_sys.h"

#include <stdio.h>

#include <SDL.h>
#include <SDL_syswm.h>

#define SDL_SYS_POLL_MS 40

int helper_ui_sdl_sys_prepare(const char *display, char *err, size_t errlen)
{
	/* One desktop per session on Windows: nothing to choose. */
	(void)display;
	(void)err;
	(void)errlen;
	SDL_SetHint(SDL_HINT_VIDEODRIVER, "windows");
	return 0;
}

int helper_ui_sdl_sys_attach(struct SDL_Window *win, const char *title, int *fd, char *err, size_t errlen)
{
	SDL_SysWMinfo info;

	(void)title;
	SDL_VERSION(&info.version);
	if (!SDL_GetWindowWMInfo(win, &info) || info.subsystem != SDL_SYSWM_WINDOWS) {
		snprintf(err, errlen, "SDL is not drawing through Windows' own driver");
		return -1;
	}
	*fd = -1;
	return 0;
}

int helper_ui_sdl_sys_poll_ms(void)
{
	return SDL_SYS_POLL_MS;
}
