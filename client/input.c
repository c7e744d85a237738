/*
 * input.c: XTest replay of a controlling viewer's input (see input.h).
 *
 * RFB sends the whole button mask with every pointer event; X wants press
 * and release events. We remember the last mask and send an XTest button
 * event for each bit that changed, which also covers the wheel (buttons 4
 * and 5 arrive as a press in one event and a release in the next). Each
 * event is flushed at once: a technician waits for the cursor to move, and
 * nothing else will flush this connection.
 *
 * A keysym the customer's keymap lacks (a technician with another layout,
 * a Japanese kana, a Euro sign on a US map) is typed by borrowing a
 * keycode that maps nothing: XChangeKeyboardMapping puts the keysym on it,
 * the fake press and release go out, and the keycode keeps the keysym until
 * it is borrowed again (clients look the keysym up when they read the event,
 * which can be later than our release) or until the helper ends, when
 * every borrowed keycode is given back its empty mapping.
 *
 * On a wlroots compositor the same calls go to input_wlr.c's virtual
 * devices instead (helper_input_open_wayland), and on GNOME and KDE to the
 * RemoteDesktop portal (input_wayland.c, helper_input_open_portal); X is
 * then not opened.
 */
#include "input.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>

#include "input_wayland.h"
#include "input_wlr.h"
#include "log.h"
#include "origin.h"

#define INPUT_BUTTONS 8   /* the RFB mask has 8 bits */
#define INPUT_SPARE 8     /* keycodes borrowed for keysyms the keymap lacks */

struct helper_input {
	struct helper_input_wlr *wlr;   /* wlroots: everything goes there; dpy is NULL */
	struct helper_input_wayland *portal; /* the RemoteDesktop portal: likewise */
	Display *dpy;
	struct helper_origin *origin;   /* not owned; NULL: nobody asks */
	pthread_mutex_t lock;   /* guards everything below */
	int buttons;            /* last RFB button mask sent */
	uint8_t keys_down[32];  /* keycodes a viewer pressed and has not released, one bit each */
	KeyCode spare[INPUT_SPARE];     /* keycodes that mapped nothing when we opened */
	KeySym lent[INPUT_SPARE];       /* what each one maps now, NoSymbol if nothing */
	int nspare;
	int next_spare;         /* round robin: the oldest loan is reused first */
};

/* Finds keycodes with no keysym at all: ours to borrow, nothing of the customer's is lost. */
static void helper_input_find_spare(struct helper_input *in)
{
	int min = 0, max = 0, per = 0;
	KeySym *map;

	XDisplayKeycodes(in->dpy, &min, &max);
	map = XGetKeyboardMapping(in->dpy, (KeyCode)min, max - min + 1, &per);
	if (map == NULL)
		return;
	/* From the top: low keycodes are the ones real keyboards use. */
	for (int code = max; code >= min && in->nspare < INPUT_SPARE; code--) {
		bool empty = true;

		for (int i = 0; i < per; i++)
			if (map[(code - min) * per + i] != NoSymbol)
				empty = false;
		if (empty) {
			in->spare[in->nspare] = (KeyCode)code;
			in->lent[in->nspare++] = NoSymbol;
		}
	}
	XFree(map);
}

/* A keycode for a keysym the keymap lacks, borrowing a spare one. 0 if none. */
static KeyCode helper_input_borrow(struct helper_input *in, KeySym ks)
{
	KeySym pair[2] = { ks, ks };
	int i;

	for (i = 0; i < in->nspare; i++)
		if (in->lent[i] == ks)
			return in->spare[i];
	if (in->nspare == 0)
		return 0;
	i = in->next_spare;
	in->next_spare = (in->next_spare + 1) % in->nspare;
	/* Both columns, so Shift does not turn it into nothing. */
	XChangeKeyboardMapping(in->dpy, in->spare[i], 2, pair, 1);
	/* The server must have the mapping before the key event that uses it. */
	XSync(in->dpy, False);
	in->lent[i] = ks;
	return in->spare[i];
}

int helper_input_open(struct helper_input **out, const char *display, struct helper_origin *origin, char *err,
		      size_t errlen)
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
	in->origin = origin;
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
	helper_input_find_spare(in);
	*out = in;
	in = NULL;
	rc = 0;
out:
	helper_input_close(in);
	return rc;
}

int helper_input_open_wayland(struct helper_input **out, const char *display, int width, int height, char *err,
			      size_t errlen)
{
	struct helper_input *in = calloc(1, sizeof(*in));

	*out = NULL;
	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&in->lock, NULL);
	if (helper_input_wlr_open(&in->wlr, display, width, height, err, errlen) != 0) {
		helper_input_close(in);
		return -1;
	}
	*out = in;
	return 0;
}

int helper_input_open_portal(struct helper_input **out, const struct helper_capture_wayland_remote *r, int width,
			     int height, char *err, size_t errlen)
{
	struct helper_input *in = calloc(1, sizeof(*in));

	*out = NULL;
	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&in->lock, NULL);
	if (helper_input_wayland_open(&in->portal, r, width, height, err, errlen) != 0) {
		helper_input_close(in);
		return -1;
	}
	*out = in;
	return 0;
}

void helper_input_pointer(struct helper_input *in, uint32_t viewer, int buttons, int x, int y)
{
	if (in->portal != NULL) {
		helper_input_wayland_pointer(in->portal, buttons, x, y);
		return;
	}
	if (in->wlr != NULL) {
		helper_input_wlr_pointer(in->wlr, buttons, x, y);
		return;
	}
	pthread_mutex_lock(&in->lock);
	XTestFakeMotionEvent(in->dpy, -1, x, y, CurrentTime);
	for (int i = 0; i < INPUT_BUTTONS; i++) {
		int bit = 1 << i;

		if (!((buttons ^ in->buttons) & bit))
			continue;
		/* Noted before it goes out: the server cannot report it before we know of it. */
		if (buttons & bit)
			helper_origin_injecting(in->origin, HELPER_ORIGIN_BUTTON, (unsigned)i + 1, viewer);
		XTestFakeButtonEvent(in->dpy, (unsigned)i + 1, (buttons & bit) ? True : False, CurrentTime);
	}
	in->buttons = buttons;
	XFlush(in->dpy);
	pthread_mutex_unlock(&in->lock);
}

void helper_input_key(struct helper_input *in, uint32_t viewer, bool down, uint32_t keysym)
{
	KeyCode code;

	if (in->portal != NULL) {
		helper_input_wayland_key(in->portal, down, keysym);
		return;
	}
	if (in->wlr != NULL) {
		helper_input_wlr_key(in->wlr, down, keysym);
		return;
	}
	pthread_mutex_lock(&in->lock);
	code = XKeysymToKeycode(in->dpy, (KeySym)keysym);
	if (code == 0 && keysym != NoSymbol && down)
		code = helper_input_borrow(in, (KeySym)keysym);
	else if (code == 0)
		for (int i = 0; i < in->nspare; i++)
			if (in->lent[i] == (KeySym)keysym)
				code = in->spare[i];
	if (code == 0) {
		pthread_mutex_unlock(&in->lock);
		log_debug("no key for keysym 0x%x on this keyboard and no spare keycode; skipped", keysym);
		return;
	}
	if (down)
		helper_origin_injecting(in->origin, HELPER_ORIGIN_KEY, code, viewer);
	XTestFakeKeyEvent(in->dpy, code, down ? True : False, CurrentTime);
	if (down)
		in->keys_down[code / 8] |= (uint8_t)(1u << (code % 8));
	else
		in->keys_down[code / 8] &= (uint8_t)~(1u << (code % 8));
	XFlush(in->dpy);
	pthread_mutex_unlock(&in->lock);
}

/* Lets go of every button and key a viewer still holds; call with the lock held. */
static void helper_input_release_locked(struct helper_input *in)
{
	for (int i = 0; i < INPUT_BUTTONS; i++)
		if (in->buttons & (1 << i))
			XTestFakeButtonEvent(in->dpy, (unsigned)i + 1, False, CurrentTime);
	in->buttons = 0;
	/* A Ctrl held when sharing paused or the viewer vanished would stay down on the customer's keyboard. */
	for (unsigned code = 0; code < 256; code++)
		if (in->keys_down[code / 8] & (1u << (code % 8)))
			XTestFakeKeyEvent(in->dpy, code, False, CurrentTime);
	memset(in->keys_down, 0, sizeof(in->keys_down));
	XFlush(in->dpy);
}

bool helper_input_refused(struct helper_input *in)
{
	(void)in;
	return false;
}

void helper_input_forget_refusal(struct helper_input *in)
{
	(void)in;
}

void helper_input_set_space(struct helper_input *in, int width, int height)
{
	if (in != NULL && in->wlr != NULL)
		helper_input_wlr_set_space(in->wlr, width, height);
}

void helper_input_release(struct helper_input *in)
{
	if (in->portal != NULL) {
		helper_input_wayland_release(in->portal);
		return;
	}
	if (in->wlr != NULL) {
		helper_input_wlr_release(in->wlr);
		return;
	}
	pthread_mutex_lock(&in->lock);
	helper_input_release_locked(in);
	pthread_mutex_unlock(&in->lock);
}

void helper_input_close(struct helper_input *in)
{
	if (in == NULL)
		return;
	helper_input_wlr_close(in->wlr);
	helper_input_wayland_close(in->portal);
	if (in->dpy != NULL) {
		/* A viewer that vanished mid-drag must not leave a button or key pressed. */
		helper_input_release_locked(in);
		/* The customer's keymap as we found it. */
		for (int i = 0; i < in->nspare; i++) {
			KeySym none[2] = { NoSymbol, NoSymbol };

			if (in->lent[i] != NoSymbol)
				XChangeKeyboardMapping(in->dpy, in->spare[i], 2, none, 1);
		}
		XCloseDisplay(in->dpy);
	}
	pthread_mutex_destroy(&in->lock);
	free(in);
}
