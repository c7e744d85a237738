/*
 * wayland_win32.c: see wayland.h. cli.c picks Wayland only where
 * WAYLAND_DISPLAY or XDG_SESSION_TYPE says so, which a Windows session
 * never does unless someone sets them by hand: then the customer reads why.
 */
#include "wayland.h"

#include <stdio.h>

int helper_wayland_capture_open(struct helper_capture **out, const char *capture, char *err, size_t errlen)
{
	*out = NULL;
	(void)capture;
	snprintf(err, errlen, "Windows has no Wayland desktop (WAYLAND_DISPLAY or XDG_SESSION_TYPE is set by hand)");
	return -1;
}

int helper_wayland_ask_start(struct helper_wayland_ask **out, const char *relay_key, char *err, size_t errlen)
{
	*out = NULL;
	(void)relay_key;
	snprintf(err, errlen, "Windows has no Wayland desktop");
	return -1;
}

int helper_wayland_ask_fd(const struct helper_wayland_ask *a)
{
	(void)a;
	return -1;
}

int helper_wayland_ask_poll(struct helper_wayland_ask *a, bool *remembered, bool *control)
{
	(void)a;
	*remembered = *control = false;
	return HELPER_WAYLAND_ASK_DONE;
}

void helper_wayland_ask_go(struct helper_wayland_ask *a)
{
	(void)a;
}

int helper_wayland_ask_finish(struct helper_wayland_ask *a, struct helper_capture **out, char *err, size_t errlen)
{
	(void)a;
	*out = NULL;
	snprintf(err, errlen, "Windows has no Wayland desktop");
	return -1;
}

void helper_wayland_ask_cancel(struct helper_wayland_ask *a)
{
	(void)a;
}

int helper_wayland_input_open(struct helper_input **out, struct helper_capture *capture, int width, int height,
			      char *err, size_t errlen)
{
	(void)out;
	(void)capture;
	(void)width;
	(void)height;
	snprintf(err, errlen, "Windows has no Wayland desktop");
	return -1;
}

int helper_wayland_clipboard_open(struct helper_clipboard **out, char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen, "Windows has no Wayland desktop");
	return -1;
}
