/*
 * input.c: XTest replay of a controlling viewer's input (see input.h).
 *
 * RFB sends the whole button mask with every pointer event; X wants press
 * and release events. We remember the last mask and send an XTest button
 * event for each bit that changed, which also covers the wheel (buttons 4
 * and 5 arrive as a press in one event and a release in the next). Each
 * event is flushed at once: a technician waits for the cursor to move, and
 * nothing else will flush this connection.
 */
#include "input.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>

#include "log.h"

#define INPUT_BUTTONS 8   /* the RFB mask has 8 bits */

struct helper_input {
	Display *dpy;
	pthread_mutex_t lock;   /* guards dpy and buttons */
	int buttons;            /* last RFB button mask sent */
};

int helper_input_open(struct helper_input **out, const char *display, char *err, size_t errlen)
{
	struct helper_input *in = calloc(1, sizeof(*in));
	int ev, er, major, minor;
	int rc = -1;

	*out = NULL;
	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&in->lock, NULL);
	in->dpy = XOpenDisplay(display);
	if (in->dpy == NULL) {
		snprintf(err, errlen, "cannot open the X display %s for input", display);
		goto out;
	}
	if (!XTestQueryExtension(in->dpy, &ev, &er, &major, &minor)) {
		snprintf(err, errlen, "the X display %s has no XTEST extension", display);
		goto out;
	}
	/* Our fake events must go through even while a client holds a server grab. */
	XTestGrabControl(in->dpy, True);
	*out = in;
	in = NULL;
	rc = 0;
out:
	helper_input_close(in);
	return rc;
}

void helper_input_pointer(struct helper_input *in, int buttons, int x, int y)
{
	pthread_mutex_lock(&in->lock);
	XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
	for (int i = 0; i < INPUT_BUTTONS; i++) {
		int bit = 1 << i;

		if ((buttons ^ in->buttons) & bit)
			XTestFakeButtonEvent(in->dpy, (unsigned)i + 1, (buttons & bit) ? True : False,
					     CurrentTime);
	}
	in->buttons = buttons;
	XFlush(in->dpy);
	pthread_mutex_unlock(&in->lock);
}

void helper_input_key(struct helper_input *in, bool down, uint32_t keysym)
{
	KeyCode code;

	pthread_mutex_lock(&in->lock);
	code = XKeysymToKeycode(in->dpy, (KeySym)keysym);
	if (code == 0) {
		pthread_mutex_unlock(&in->lock);
		log_debug("no key for keysym 0x%x on this keyboard; skipped", keysym);
		return;
	}
	XTestFakeKeyEvent(in->dpy, code, down ? True : False, CurrentTime);
	XFlush(in->dpy);
	pthread_mutex_unlock(&in->lock);
}

void helper_input_close(struct helper_input *in)
{
	if (in == NULL)
		return;
	if (in->dpy != NULL) {
		/* A viewer that vanished mid-drag must not leave a button pressed. */
		for (int i = 0; i < INPUT_BUTTONS; i++)
			if (in->buttons & (1 << i))
				XTestFakeButtonEvent(in->dpy, (unsigned)i + 1, False, CurrentTime);
		XCloseDisplay(in->dpy);
	}
	pthread_mutex_destroy(&in->lock);
	free(in);
}
