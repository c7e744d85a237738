/*
 * wayland_linux.c: see wayland.h.
 */
#include "wayland.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_wayland.h"
#include "input.h"
#include "log.h"

int helper_wayland_capture_open(struct helper_capture **out, const char *capture, char *err, size_t errlen)
{
	const char *display = getenv("WAYLAND_DISPLAY");
	char wlr_err[200] = "";

	*out = NULL;
	if (strcmp(capture, "portal") != 0) {
		if (helper_capture_open(out, &helper_capture_wlr_backend, display, wlr_err, sizeof(wlr_err)) == 0)
			return 0;
		log_info("no wlroots screen copy (%s): the desktop portal will be asked", wlr_err);
	}
	if (helper_capture_wayland_probe(err, errlen) == 0)
		return HELPER_WAYLAND_PORTAL;
	if (wlr_err[0] != '\0') {
		char portal_err[300];

		snprintf(portal_err, sizeof(portal_err), "%.299s", err);
		snprintf(err, errlen, "%s; %s", wlr_err, portal_err);
	}
	return -1;
}

int helper_wayland_portal_open(struct helper_capture **out, const char *relay_key,
			       void (*asking)(void *ctx, bool remembered, bool control), void *ctx, char *err,
			       size_t errlen)
{
	const char *display = getenv("WAYLAND_DISPLAY");
	int rc;

	helper_capture_wayland_set_relay(relay_key);
	helper_capture_wayland_set_asking(asking, ctx);
	rc = helper_capture_open(out, &helper_capture_wayland_backend, display != NULL ? display : "(portal)", err,
				 errlen);
	helper_capture_wayland_set_asking(NULL, NULL);
	return rc == HELPER_CAPTURE_REFUSED ? HELPER_WAYLAND_REFUSED : rc;
}

int helper_wayland_input_open(struct helper_input **out, struct helper_capture *capture, int width, int height,
			      char *err, size_t errlen)
{
	struct helper_capture_wayland_remote remote;
	struct helper_capture_format fmt;

	if (helper_capture_wayland_remote(capture, &remote) == 0)
		return helper_input_open_portal(out, &remote, width, height, err, errlen);
	if (helper_capture_state_of(capture, &helper_capture_wayland_backend) != NULL) {
		/* The portal's screen without control: the customer chose so at its dialog, or it offers none. */
		snprintf(err, errlen, "the desktop's dialog did not allow control, or the desktop offers none");
		return -1;
	}
	/* wlroots: absolute motion spans every output, whatever part of them is shared. */
	helper_capture_format(capture, &fmt);
	if (fmt.space_width > 0 && fmt.space_height > 0) {
		width = fmt.space_width;
		height = fmt.space_height;
	}
	return helper_input_open_wayland(out, getenv("WAYLAND_DISPLAY"), width, height, err, errlen);
}
