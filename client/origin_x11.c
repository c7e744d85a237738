/*
 * origin_x11.c: the X11 backend of origin.h.
 *
 * What the X server tells us, and what it does not. A core ButtonPress or
 * KeyPress on the helper's window says nothing about the device it came
 * from. XTest input (ours, but also xdotool's and on-screen keyboards')
 * enters through the "Virtual core XTEST pointer/keyboard" slave devices;
 * real mice and keyboards through their own. XInput 2.1 and later deliver
 * raw events (XI_RawButtonPress, XI_RawKeyPress) selected on the root
 * window to every client that asks, whatever grab is active, each with
 * the slave that produced it (sourceid), the server time and the detail.
 * The server makes the raw event and the device event from one input
 * event, with the same time, and processes the raw one first.
 *
 * We select the raw events on a connection of our own, on the XTEST
 * slaves alone (the customer's own devices never wake us). Selecting XI2
 * ButtonPress/KeyPress on SDL's window instead would be wrong: the server
 * delivers a device event to a window's XI2 selection in place of its
 * core selections, and SDL (core events) would stop getting clicks.
 *
 * Being from an XTEST device does not make a press a technician's: the
 * customer may use xdotool or an on-screen keyboard. So input.c notes each
 * press it is about to inject (kind, detail, viewer) in a FIFO, and each
 * raw press from an XTEST device is matched against the oldest note of
 * the same kind and detail. A match is ours: its (time, kind, detail,
 * viewer) goes into a short list of recent injections. Notes older than a
 * matched one never matched (an injection the server dropped): they are
 * stale and go too, so the FIFO cleans itself without any timeout that
 * could shift the pairing.
 *
 * The window asks about each core press it receives (helper_origin_sdl_event)
 * by (time, kind, detail): keys by key code; buttons by time and kind only,
 * since the raw detail is the button before the pointer mapping and the
 * core one after it (a left-handed mapping would otherwise hide ours).
 * The raw event may still be unread on our connection: we drain it, and
 * if there is no answer, XSync once (the server queued the raw event to us
 * before it sent SDL the core one, so after a round trip it is here) and
 * look again.
 */
#include "origin.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_syswm.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/XInput2.h>

#include "log.h"
#include "origin_tally.h"

#define ORIGIN_NOTES 256        /* injected presses not yet seen by the server */
#define ORIGIN_RECENT 64        /* injected presses the server reported */
#define ORIGIN_DEVICES 16       /* XTEST slave devices (one pair per master) */

struct origin_note {
	enum helper_origin_kind kind;
	unsigned detail;
	uint32_t viewer;
};

struct origin_seen {
	unsigned long time;
	enum helper_origin_kind kind;
	unsigned detail;
	uint32_t viewer;
};


struct helper_origin {
	Display *dpy;
	int xi_opcode;
	int xtest[ORIGIN_DEVICES];      /* device ids of the XTEST slaves */
	size_t nxtest;

	pthread_mutex_t lock;           /* guards notes: input.c writes from client threads */
	struct origin_note notes[ORIGIN_NOTES];
	size_t note_head, note_n;

	struct origin_seen seen[ORIGIN_RECENT];  /* ring, main loop only */
	size_t seen_next, seen_n;
	struct helper_origin_tally ignored;
};

/* True for a slave with the server's "XTEST Device" property, or an XTEST name where it has none. */
static bool origin_x11_is_xtest(struct helper_origin *o, const XIDeviceInfo *d, Atom prop)
{
	Atom type = None;
	int format = 0;
	unsigned long n = 0, after = 0;
	unsigned char *data = NULL;
	bool yes = false;

	if (prop != None &&
	    XIGetProperty(o->dpy, d->deviceid, prop, 0, 1, False, AnyPropertyType, &type, &format, &n, &after,
			  &data) == Success && data != NULL) {
		yes = format == 8 && n == 1 && data[0] != 0;
		XFree(data);
		return yes;
	}
	return d->name != NULL && strstr(d->name, "XTEST") != NULL;
}

/*
 * Raw presses of the XTEST slaves only, selected on each of them: the
 * customer's real keyboard and mouse never wake us, and each press comes
 * once (selected on the masters it would come once per master as well).
 * Hierarchy changes on every device, to follow new masters' XTEST pairs.
 */
static int origin_x11_select(struct helper_origin *o)
{
	unsigned char raw[XIMaskLen(XI_LASTEVENT)] = { 0 };
	unsigned char hier[XIMaskLen(XI_LASTEVENT)] = { 0 };
	XIEventMask masks[ORIGIN_DEVICES + 1];
	int n = 0;

	XISetMask(raw, XI_RawButtonPress);
	XISetMask(raw, XI_RawKeyPress);
	XISetMask(hier, XI_HierarchyChanged);
	masks[n++] = (XIEventMask){ .deviceid = XIAllDevices, .mask_len = sizeof(hier), .mask = hier };
	for (size_t i = 0; i < o->nxtest; i++)
		masks[n++] = (XIEventMask){ .deviceid = o->xtest[i], .mask_len = sizeof(raw), .mask = raw };
	return XISelectEvents(o->dpy, DefaultRootWindow(o->dpy), masks, n) == Success ? 0 : -1;
}

/* (Re)reads which slave devices are XTEST ones: new masters bring new ones. */
static void origin_x11_find_xtest(struct helper_origin *o)
{
	Atom prop = XInternAtom(o->dpy, "XTEST Device", True);
	XIDeviceInfo *devs;
	int n = 0;

	o->nxtest = 0;
	devs = XIQueryDevice(o->dpy, XIAllDevices, &n);
	if (devs == NULL)
		return;
	for (int i = 0; i < n && o->nxtest < ORIGIN_DEVICES; i++) {
		if (devs[i].use != XISlavePointer && devs[i].use != XISlaveKeyboard)
			continue;
		if (origin_x11_is_xtest(o, &devs[i], prop)) {
			o->xtest[o->nxtest++] = devs[i].deviceid;
			log_debug("origin: device %d (%s) is an XTEST device", devs[i].deviceid, devs[i].name);
		}
	}
	XIFreeDeviceInfo(devs);
}

static bool origin_x11_from_xtest(const struct helper_origin *o, int sourceid)
{
	for (size_t i = 0; i < o->nxtest; i++)
		if (o->xtest[i] == sourceid)
			return true;
	return false;
}

/* A raw press from an XTEST device: ours if it matches the oldest note of its kind and detail. */
static void origin_x11_match(struct helper_origin *o, enum helper_origin_kind kind, unsigned detail,
			     unsigned long time)
{
	size_t i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < o->note_n; i++) {
		const struct origin_note *n = &o->notes[(o->note_head + i) % ORIGIN_NOTES];

		if (n->kind == kind && n->detail == detail)
			break;
	}
	if (i < o->note_n) {
		const struct origin_note *n = &o->notes[(o->note_head + i) % ORIGIN_NOTES];

		o->seen[o->seen_next] = (struct origin_seen){ .time = time, .kind = kind, .detail = detail,
							      .viewer = n->viewer };
		o->seen_next = (o->seen_next + 1) % ORIGIN_RECENT;
		if (o->seen_n < ORIGIN_RECENT)
			o->seen_n++;
		/* This one and every older note: those never reached the server as presses. */
		o->note_head = (o->note_head + i + 1) % ORIGIN_NOTES;
		o->note_n -= i + 1;
	}
	pthread_mutex_unlock(&o->lock);
}

static void origin_x11_event(struct helper_origin *o, XEvent *ev)
{
	XGenericEventCookie *c = &ev->xcookie;

	if (c->type != GenericEvent || c->extension != o->xi_opcode || !XGetEventData(o->dpy, c))
		return;
	if (c->evtype == XI_HierarchyChanged) {
		origin_x11_find_xtest(o);
		if (origin_x11_select(o) != 0)
			log_warn("origin: cannot watch the new XTEST devices");
	} else if (c->evtype == XI_RawButtonPress || c->evtype == XI_RawKeyPress) {
		const XIRawEvent *r = c->data;

		if (origin_x11_from_xtest(o, r->sourceid))
			origin_x11_match(o, c->evtype == XI_RawKeyPress ? HELPER_ORIGIN_KEY : HELPER_ORIGIN_BUTTON,
					 (unsigned)r->detail, (unsigned long)r->time);
	}
	XFreeEventData(o->dpy, c);
}

int helper_origin_open(struct helper_origin **out, const char *display, char *err, size_t errlen)
{
	struct helper_origin *o = calloc(1, sizeof(*o));
	int ev, er, major = 2, minor = 2;
	int rc = -1;

	*out = NULL;
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&o->lock, NULL);
	o->dpy = XOpenDisplay(display);
	if (o->dpy == NULL) {
		snprintf(err, errlen, "cannot open the X display %s to watch input", display);
		goto out;
	}
	if (!XQueryExtension(o->dpy, "XInputExtension", &o->xi_opcode, &ev, &er)) {
		snprintf(err, errlen, "the X display %s has no XInput extension", display);
		goto out;
	}
	/* 2.1 and later deliver raw events to every client, grab or not; 2.0 only to the grabber. */
	if (XIQueryVersion(o->dpy, &major, &minor) != Success || major < 2 || (major == 2 && minor < 2)) {
		snprintf(err, errlen, "the X display %s has XInput %d.%d, not 2.2", display, major, minor);
		goto out;
	}
	origin_x11_find_xtest(o);
	if (o->nxtest == 0) {
		snprintf(err, errlen, "the X display %s shows no XTEST input device", display);
		goto out;
	}
	if (origin_x11_select(o) != 0) {
		snprintf(err, errlen, "cannot watch raw input on %s", display);
		goto out;
	}
	XSync(o->dpy, False);
	helper_origin_tally_init(&o->ignored);
	log_info("origin: watching %zu XTEST device(s) on %s (XInput %d.%d)", o->nxtest, display, major, minor);
	*out = o;
	o = NULL;
	rc = 0;
out:
	helper_origin_close(o);
	return rc;
}

void helper_origin_close(struct helper_origin *o)
{
	if (o == NULL)
		return;
	if (o->dpy != NULL)
		XCloseDisplay(o->dpy);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

int helper_origin_fd(const struct helper_origin *o)
{
	return ConnectionNumber(o->dpy);
}

void helper_origin_drain(struct helper_origin *o)
{
	while (XPending(o->dpy) > 0) {
		XEvent ev;

		XNextEvent(o->dpy, &ev);
		origin_x11_event(o, &ev);
	}
}

void helper_origin_injecting(struct helper_origin *o, enum helper_origin_kind kind, unsigned detail,
			     uint32_t viewer)
{
	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	if (o->note_n == ORIGIN_NOTES) {
		/* The oldest never matched for 256 presses: it will not. */
		o->note_head = (o->note_head + 1) % ORIGIN_NOTES;
		o->note_n--;
	}
	o->notes[(o->note_head + o->note_n) % ORIGIN_NOTES] =
		(struct origin_note){ .kind = kind, .detail = detail, .viewer = viewer };
	o->note_n++;
	pthread_mutex_unlock(&o->lock);
}

static bool origin_x11_lookup(const struct helper_origin *o, unsigned long time, enum helper_origin_kind kind,
			      unsigned detail, uint32_t *viewer)
{
	for (size_t i = 0; i < o->seen_n; i++) {
		const struct origin_seen *s = &o->seen[i];

		if (s->time != time || s->kind != kind)
			continue;
		if (kind == HELPER_ORIGIN_KEY && s->detail != detail)
			continue;
		*viewer = s->viewer;
		return true;
	}
	return false;
}


enum helper_origin_verdict helper_origin_sdl_event(struct helper_origin *o, const struct SDL_SysWMmsg *msg,
						   uint32_t *viewer, bool *key)
{
	const XEvent *ev;
	enum helper_origin_kind kind;
	unsigned long time;
	unsigned detail;

	if (o == NULL || msg == NULL || msg->subsystem != SDL_SYSWM_X11)
		return HELPER_ORIGIN_NOT_INPUT;
	ev = &msg->msg.x11.event;
	if (ev->type == ButtonRelease || ev->type == KeyRelease || ev->type == MotionNotify)
		return HELPER_ORIGIN_LOCAL;  /* nothing acts on them; only presses are looked up */
	if (ev->type == ButtonPress) {
		kind = HELPER_ORIGIN_BUTTON;
		time = ev->xbutton.time;
		detail = ev->xbutton.button;
	} else if (ev->type == KeyPress) {
		kind = HELPER_ORIGIN_KEY;
		time = ev->xkey.time;
		detail = ev->xkey.keycode;
	} else {
		return HELPER_ORIGIN_NOT_INPUT;
	}
	helper_origin_drain(o);
	if (!origin_x11_lookup(o, time, kind, detail, viewer)) {
		XSync(o->dpy, False);
		helper_origin_drain(o);
		if (!origin_x11_lookup(o, time, kind, detail, viewer))
			return HELPER_ORIGIN_LOCAL;
	}
	*key = kind == HELPER_ORIGIN_KEY;
	helper_origin_tally_count(&o->ignored, *viewer);
	return HELPER_ORIGIN_INJECTED;
}

bool helper_origin_take_ignored(struct helper_origin *o, int64_t now_ms, uint32_t *viewer, uint32_t *count)
{
	return o != NULL && helper_origin_tally_take(&o->ignored, now_ms, viewer, count);
}

int helper_origin_timeout(const struct helper_origin *o, int64_t now_ms)
{
	return o != NULL ? helper_origin_tally_timeout(&o->ignored, now_ms) : -1;
}
