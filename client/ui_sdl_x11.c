/*
 * ui_sdl_x11.c: see ui_sdl_sys.h. The window goes on the X display being
 * shared, drawn through SDL's X11 driver, and the loop polls the Xlib
 * connection SDL reads its events from.
 */
#include "ui_sdl_sys.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <SDL.h>
#include <SDL_syswm.h>
#include <X11/Xlib.h>

#include "platform.h"

int helper_ui_sdl_sys_prepare(const char *display, char *err, size_t errlen)
{
	if (display == NULL || display[0] == '\0') {
		snprintf(err, errlen, "no X display");
		return -1;
	}
	/* The window goes on the screen being shared, where the customer is. */
	helper_platform_setenv("DISPLAY", display);
	/* The helper shares X11 displays; its loop polls the Xlib connection. */
	SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
	/*
	 * SDL 2 names the window's WM_CLASS after /proc/self/exe unless this
	 * is set, and the bundle runs the helper through its own ld.so: the
	 * task bar would say "ld.so". Read once, by SDL_Init.
	 */
	helper_platform_setenv("SDL_VIDEO_X11_WMCLASS", "handoff-helper");
	return 0;
}

/*
 * The window's title, as a task bar reads it. SDL converts the title to
 * the locale's charset and through Xlib's locale functions before it sets
 * anything, and in the bundle's bare root (no locale data) the window ends
 * up with no title at all: so the UTF-8 title goes into _NET_WM_NAME here,
 * and into WM_NAME when it is ASCII (WM_NAME is Latin-1).
 */
static void helper_ui_sdl_x11_name(Display *d, Window w, const char *title)
{
	Atom utf8 = XInternAtom(d, "UTF8_STRING", False), net = XInternAtom(d, "_NET_WM_NAME", False);
	bool ascii = true;

	for (const char *p = title; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = false;
	XChangeProperty(d, w, net, utf8, 8, PropModeReplace, (const unsigned char *)title, (int)strlen(title));
	if (ascii)
		XStoreName(d, w, title);
	XFlush(d);
}

int helper_ui_sdl_sys_attach(struct SDL_Window *win, const char *title, int *fd, char *err, size_t errlen)
{
	SDL_SysWMinfo info;

	SDL_VERSION(&info.version);
	if (!SDL_GetWindowWMInfo(win, &info) || info.subsystem != SDL_SYSWM_X11) {
		snprintf(err, errlen, "SDL is not drawing through X11");
		return -1;
	}
	*fd = ConnectionNumber(info.info.x11.display);
	helper_ui_sdl_x11_name(info.info.x11.display, info.info.x11.window, title);
	return 0;
}

int helper_ui_sdl_sys_poll_ms(void)
{
	return -1;
}
