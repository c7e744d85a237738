/*
 * capture_x11.c: the X11 capture backend (see capture.h).
 *
 * Damage comes from the DAMAGE extension on the root window in
 * "report non-empty" mode: the server sends one event when the damaged
 * region stops being empty, and we then take the whole accumulated region
 * (XDamageSubtract into an XFixes region, XFixesFetchRegion) in two round
 * trips, however many drawing operations it covers. Pixels come from
 * MIT-SHM (XShmGetImage into one segment sized for the whole screen), so a
 * grab is a copy inside the server and no pixel crosses the socket.
 *
 * Either extension can be missing (a remote display has no shared memory;
 * some servers lack DAMAGE). Then we say so in the log and fall back:
 * XGetImage instead of XShm, and a whole-screen compare every
 * FALLBACK_POLL_MS instead of damage events. Both keep working, only
 * slower.
 *
 * RandR (and the root window's ConfigureNotify) tells us about size
 * changes; the segment is then re-created and the driver gets "resized".
 *
 * Monitors are RandR 1.5's (XRRGetMonitors, what `xrandr --listmonitors`
 * prints, in that order). Sharing one of them makes the captured area its
 * rectangle: grabs and damage are moved by its origin, and the driver sees
 * a display of the monitor's size. The monitor is followed by name through
 * layout changes; while it is gone, nothing is shown (a black frame) and
 * no input is replayed, because the area it covered may now belong to a
 * monitor the customer did not choose.
 */
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <X11/extensions/Xdamage.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/Xrandr.h>

#include "log.h"

#define FALLBACK_POLL_MS 250

struct helper_capture_x11 {
	Display *dpy;
	int screen;
	Window root;
	Visual *visual;
	int depth;
	struct helper_capture_format fmt;

	bool use_shm;
	bool shm_attached;
	XShmSegmentInfo shm;

	bool use_damage;
	int damage_event_base;
	Damage damage;
	int xfixes_event_base;
	bool use_cursor;        /* XFixes cursor notifications are selected */
	bool cursor_pending;    /* the shape changed (or was never sent) */
	XserverRegion region;
	bool damage_pending;

	bool use_randr;
	bool use_monitors;      /* RandR 1.5: XRRGetMonitors */
	int randr_event_base;

	int monitor;            /* 0: the whole display; else the chosen monitor (1-based at start) */
	Atom monitor_name;      /* followed through layout changes */
	int root_w, root_h;
	struct screeninfo layout; /* monitors in captured-area pixels */
	uint8_t *blank;         /* black pixels for grabs while the monitor is gone */
	size_t blank_size;

	XImage *last_image;  /* XGetImage fallback: the pixels of the last grab */
};

/*
 * Xlib's default error handler exits the process. Errors we can cause are
 * recoverable (a grab racing a resize, a segment the server cannot attach),
 * and the call that caused them reports failure on its own, so log only.
 */
static int helper_capture_x11_on_error(Display *dpy, XErrorEvent *e)
{
	char text[128];

	XGetErrorText(dpy, e->error_code, text, sizeof(text));
	log_debug("X error: %s (request %u.%u)", text, e->request_code, e->minor_code);
	return 0;
}

/* Xlib exits after this returns; the log line at least says why. */
static int helper_capture_x11_on_io_error(Display *dpy)
{
	(void)dpy;
	log_error("lost the connection to the X display; exiting");
	return 0;
}

static int helper_capture_x11_shift(uint32_t mask)
{
	int shift = 0;

	if (mask == 0)
		return -1;
	while (!(mask & 1u)) {
		mask >>= 1;
		shift++;
	}
	return mask == 0xffu ? shift : -1;
}

/* Only 32-bit TrueColor in our own byte order can be memcpy'd into the framebuffer. */
static int helper_capture_x11_check_visual(struct helper_capture_x11 *x, char *err, size_t errlen)
{
	XPixmapFormatValues *formats;
	int n = 0, bpp = 0;
	uint16_t probe = 1;
	int host_order = *(uint8_t *)&probe ? LSBFirst : MSBFirst;

	if (x->visual->class != TrueColor) {
		snprintf(err, errlen, "the X display is not TrueColor; only 24/32-bit displays are supported");
		return -1;
	}
	formats = XListPixmapFormats(x->dpy, &n);
	for (int i = 0; formats != NULL && i < n; i++)
		if (formats[i].depth == x->depth)
			bpp = formats[i].bits_per_pixel;
	XFree(formats);
	if (bpp != 32) {
		snprintf(err, errlen, "the X display uses %d bits per pixel at depth %d; only 32 is supported",
			 bpp, x->depth);
		return -1;
	}
	if (ImageByteOrder(x->dpy) != host_order) {
		snprintf(err, errlen, "the X server's byte order differs from this machine's; not supported");
		return -1;
	}
	x->fmt.red_mask = (uint32_t)x->visual->red_mask;
	x->fmt.green_mask = (uint32_t)x->visual->green_mask;
	x->fmt.blue_mask = (uint32_t)x->visual->blue_mask;
	if (helper_capture_x11_shift(x->fmt.red_mask) < 0 ||
	    helper_capture_x11_shift(x->fmt.green_mask) < 0 ||
	    helper_capture_x11_shift(x->fmt.blue_mask) < 0) {
		snprintf(err, errlen, "unsupported X visual masks %08x/%08x/%08x",
			 x->fmt.red_mask, x->fmt.green_mask, x->fmt.blue_mask);
		return -1;
	}
	return 0;
}

static void helper_capture_x11_shm_free(struct helper_capture_x11 *x)
{
	if (x->shm_attached) {
		XShmDetach(x->dpy, &x->shm);
		XSync(x->dpy, False);
		x->shm_attached = false;
	}
	if (x->shm.shmaddr != NULL && x->shm.shmaddr != (char *)-1)
		shmdt(x->shm.shmaddr);
	memset(&x->shm, 0, sizeof(x->shm));
}

/*
 * One segment big enough for the whole screen. It is marked for removal as
 * soon as both sides are attached, so it disappears with us even if we
 * crash. 0, or -1 when shared memory does not work with this server.
 */
static int helper_capture_x11_shm_alloc(struct helper_capture_x11 *x)
{
	size_t size = (size_t)x->fmt.width * (size_t)x->fmt.height * 4;
	XImage *probe = NULL;
	int ok = 0;

	memset(&x->shm, 0, sizeof(x->shm));
	x->shm.shmid = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
	if (x->shm.shmid < 0)
		return -1;
	x->shm.shmaddr = shmat(x->shm.shmid, NULL, 0);
	if (x->shm.shmaddr == (char *)-1) {
		shmctl(x->shm.shmid, IPC_RMID, NULL);
		x->shm.shmaddr = NULL;
		return -1;
	}
	x->shm.readOnly = False;
	if (XShmAttach(x->dpy, &x->shm))
		x->shm_attached = true;
	XSync(x->dpy, False);
	shmctl(x->shm.shmid, IPC_RMID, NULL);
	/* A remote server "attaches" and then fails every request: try one. */
	if (x->shm_attached) {
		probe = XShmCreateImage(x->dpy, x->visual, (unsigned)x->depth, ZPixmap,
					x->shm.shmaddr, &x->shm, 1, 1);
		if (probe != NULL) {
			ok = XShmGetImage(x->dpy, x->root, probe, 0, 0, AllPlanes);
			probe->data = NULL;
			XDestroyImage(probe);
		}
	}
	if (!ok) {
		helper_capture_x11_shm_free(x);
		return -1;
	}
	return 0;
}

static void helper_capture_x11_setup_damage(struct helper_capture_x11 *x)
{
	int error_base, major = 1, minor = 1;

	if (!XDamageQueryExtension(x->dpy, &x->damage_event_base, &error_base) ||
	    !XDamageQueryVersion(x->dpy, &major, &minor)) {
		log_warn("the X server has no DAMAGE extension: comparing the whole screen every %d ms",
			 FALLBACK_POLL_MS);
		return;
	}
	major = 2;
	minor = 0;
	if (!XFixesQueryExtension(x->dpy, &x->xfixes_event_base, &error_base) ||
	    !XFixesQueryVersion(x->dpy, &major, &minor) || major < 2) {
		log_warn("the X server has no XFIXES 2 extension: comparing the whole screen every %d ms",
			 FALLBACK_POLL_MS);
		return;
	}
	/* The pointer's shape, sent to viewers as a cursor rather than painted into the picture. */
	XFixesSelectCursorInput(x->dpy, x->root, XFixesDisplayCursorNotifyMask);
	x->use_cursor = true;
	x->cursor_pending = true;
	x->damage = XDamageCreate(x->dpy, x->root, XDamageReportNonEmpty);
	x->region = XFixesCreateRegion(x->dpy, NULL, 0);
	x->use_damage = true;
}

static void helper_capture_x11_setup_randr(struct helper_capture_x11 *x)
{
	int error_base;

	/* The root's ConfigureNotify covers servers without RandR events. */
	XSelectInput(x->dpy, x->root, StructureNotifyMask);
	if (XRRQueryExtension(x->dpy, &x->randr_event_base, &error_base)) {
		int major = 0, minor = 0;

		/* Moving or switching a monitor changes CRTCs and outputs, not always the size. */
		XRRSelectInput(x->dpy, x->root,
			       RRScreenChangeNotifyMask | RRCrtcChangeNotifyMask | RROutputChangeNotifyMask);
		x->use_randr = true;
		x->use_monitors = XRRQueryVersion(x->dpy, &major, &minor) && (major > 1 || (major == 1 && minor >= 5));
	}
}

/*
 * The display's monitors clipped to the root window, in display pixels;
 * those entirely outside it are left out. Returns how many.
 */
static int helper_capture_x11_monitors(struct helper_capture_x11 *x, struct screeninfo *si, Atom *names)
{
	XRRMonitorInfo *mon;
	int n = 0;

	memset(si, 0, sizeof(*si));
	if (!x->use_monitors || (mon = XRRGetMonitors(x->dpy, x->root, True, &n)) == NULL)
		return 0;
	for (int i = 0; i < n && si->count < SCREENINFO_MONITORS_MAX; i++) {
		int x0 = mon[i].x > 0 ? mon[i].x : 0, y0 = mon[i].y > 0 ? mon[i].y : 0;
		int x1 = mon[i].x + mon[i].width, y1 = mon[i].y + mon[i].height;
		struct screeninfo_monitor *m = &si->monitors[si->count];
		char *name;

		x1 = x1 < x->root_w ? x1 : x->root_w;
		y1 = y1 < x->root_h ? y1 : x->root_h;
		if (x0 >= x1 || y0 >= y1)
			continue;
		*m = (struct screeninfo_monitor){ .x = (uint32_t)x0, .y = (uint32_t)y0, .width = (uint32_t)(x1 - x0),
						  .height = (uint32_t)(y1 - y0) };
		name = XGetAtomName(x->dpy, mon[i].name);
		if (name != NULL) {
			/* Monitor names are ASCII in practice; anything else is left out. */
			size_t k = 0;

			for (const char *p = name; *p != '\0' && k < SCREENINFO_NAME_MAX; p++)
				if (*p >= 0x20 && *p < 0x7f)
					m->name[k++] = *p;
			XFree(name);
		}
		names[si->count] = mon[i].name;
		si->count++;
	}
	XRRFreeMonitors(mon);
	return si->count;
}

/*
 * Works out the captured area from the root's size and the monitors, and
 * what changed: the area's size (*resized) or the layout, origin or
 * liveness (*layout_changed). 0, or -1 when the display cannot be asked.
 */
static int helper_capture_x11_update_area(struct helper_capture_x11 *x, bool *resized, bool *layout_changed)
{
	Window root;
	int gx, gy;
	unsigned w, h, border, depth;
	struct screeninfo all, layout = { .count = 0 };
	Atom names[SCREENINFO_MONITORS_MAX];
	struct helper_capture_format fmt = x->fmt;

	if (!XGetGeometry(x->dpy, x->root, &root, &gx, &gy, &w, &h, &border, &depth))
		return -1;
	x->root_w = (int)w;
	x->root_h = (int)h;
	helper_capture_x11_monitors(x, &all, names);
	if (x->monitor == 0) {
		fmt.width = x->root_w;
		fmt.height = x->root_h;
		fmt.origin_x = fmt.origin_y = 0;
		fmt.live = true;
		layout = all;
	} else {
		int found = -1;

		for (int i = 0; i < all.count && found < 0; i++)
			if (names[i] == x->monitor_name)
				found = i;
		fmt.live = found >= 0;
		if (found >= 0) {
			const struct screeninfo_monitor *m = &all.monitors[found];

			fmt.width = (int)m->width;
			fmt.height = (int)m->height;
			fmt.origin_x = (int)m->x;
			fmt.origin_y = (int)m->y;
			layout.count = 1;
			layout.monitors[0] = *m;
			layout.monitors[0].x = layout.monitors[0].y = 0;
		} else {
			/* Keeps the last size: the viewers keep their window, black. */
			layout = x->layout;
		}
	}
	if (fmt.live != x->fmt.live || fmt.origin_x != x->fmt.origin_x || fmt.origin_y != x->fmt.origin_y ||
	    memcmp(&layout, &x->layout, sizeof(layout)) != 0)
		*layout_changed = true;
	x->layout = layout;
	if (fmt.width == x->fmt.width && fmt.height == x->fmt.height) {
		x->fmt = fmt;
		return 0;
	}
	x->fmt = fmt;
	*resized = true;
	if (x->use_shm) {
		helper_capture_x11_shm_free(x);
		if (helper_capture_x11_shm_alloc(x) != 0) {
			log_warn("MIT-SHM failed after the resize: grabbing with XGetImage (slower)");
			x->use_shm = false;
		}
	}
	return 0;
}

static void helper_capture_x11_close(void *state)
{
	struct helper_capture_x11 *x = state;

	if (x == NULL)
		return;
	if (x->dpy != NULL) {
		if (x->region != None)
			XFixesDestroyRegion(x->dpy, x->region);
		if (x->damage != None)
			XDamageDestroy(x->dpy, x->damage);
		helper_capture_x11_shm_free(x);
		if (x->last_image != NULL)
			XDestroyImage(x->last_image);
		XCloseDisplay(x->dpy);
	}
	free(x->blank);
	free(x);
}

static int helper_capture_x11_open(const char *display, void **state, char *err, size_t errlen)
{
	struct helper_capture_x11 *x = calloc(1, sizeof(*x));
	int rc = -1;

	*state = NULL;
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Input uses a second connection from other threads: Xlib must know first. */
	XInitThreads();
	XSetErrorHandler(helper_capture_x11_on_error);
	XSetIOErrorHandler(helper_capture_x11_on_io_error);
	x->dpy = XOpenDisplay(display);
	if (x->dpy == NULL) {
		snprintf(err, errlen, "cannot open the X display %s", display);
		goto out;
	}
	x->screen = DefaultScreen(x->dpy);
	x->root = RootWindow(x->dpy, x->screen);
	x->visual = DefaultVisual(x->dpy, x->screen);
	x->depth = DefaultDepth(x->dpy, x->screen);
	x->fmt.width = x->root_w = DisplayWidth(x->dpy, x->screen);
	x->fmt.height = x->root_h = DisplayHeight(x->dpy, x->screen);
	x->fmt.live = true;
	if (helper_capture_x11_check_visual(x, err, errlen) != 0)
		goto out;
	if (XShmQueryExtension(x->dpy) && helper_capture_x11_shm_alloc(x) == 0)
		x->use_shm = true;
	else
		log_warn("MIT-SHM is not usable on this display: grabbing with XGetImage (slower)");
	helper_capture_x11_setup_damage(x);
	helper_capture_x11_setup_randr(x);
	helper_capture_x11_monitors(x, &x->layout, (Atom[SCREENINFO_MONITORS_MAX]){ 0 });
	XSync(x->dpy, False);
	log_info("X capture: %s, %s", x->use_shm ? "XShm" : "XGetImage",
		 x->use_damage ? "XDamage" : "polling");
	*state = x;
	x = NULL;
	rc = 0;
out:
	helper_capture_x11_close(x);
	return rc;
}

static int helper_capture_x11_fd(void *state)
{
	struct helper_capture_x11 *x = state;

	return ConnectionNumber(x->dpy);
}

static int helper_capture_x11_poll_interval(void *state)
{
	struct helper_capture_x11 *x = state;

	return x->use_damage ? 0 : FALLBACK_POLL_MS;
}

static bool helper_capture_x11_events_queued(void *state)
{
	struct helper_capture_x11 *x = state;

	return XEventsQueued(x->dpy, QueuedAlready) > 0;
}

static void helper_capture_x11_format(void *state, struct helper_capture_format *fmt)
{
	struct helper_capture_x11 *x = state;

	*fmt = x->fmt;
}

/* Hands the current pointer image to ev->cursor (XFixes gives ARGB in unsigned longs). */
static void helper_capture_x11_cursor(struct helper_capture_x11 *x, struct helper_capture_events *ev)
{
	XFixesCursorImage *img = XFixesGetCursorImage(x->dpy);
	uint32_t *argb;
	size_t n;

	if (img == NULL)
		return;
	n = (size_t)img->width * img->height;
	if (img->width == 0 || img->height == 0 || img->width > 256 || img->height > 256 ||
	    (argb = malloc(n * sizeof(*argb))) == NULL) {
		XFree(img);
		return;
	}
	for (size_t i = 0; i < n; i++)
		argb[i] = (uint32_t)img->pixels[i];
	log_debug("pointer shape %ux%u", img->width, img->height);
	ev->cursor(ev->ctx, img->width, img->height, img->xhot, img->yhot, argb);
	free(argb);
	XFree(img);
}

static int helper_capture_x11_process(void *state, struct helper_capture_events *ev)
{
	struct helper_capture_x11 *x = state;
	bool size_event = false;

	while (XPending(x->dpy) > 0) {
		XEvent e;

		XNextEvent(x->dpy, &e);
		if (x->use_cursor && e.type == x->xfixes_event_base + XFixesCursorNotify) {
			x->cursor_pending = true;
		} else if (x->use_damage && e.type == x->damage_event_base + XDamageNotify) {
			x->damage_pending = true;
		} else if (x->use_randr && e.type == x->randr_event_base + RRScreenChangeNotify) {
			XRRUpdateConfiguration(&e);
			size_event = true;
		} else if (x->use_randr && e.type == x->randr_event_base + RRNotify) {
			size_event = true;
		} else if (e.type == ConfigureNotify && e.xconfigure.window == x->root) {
			if (x->use_randr)
				XRRUpdateConfiguration(&e);
			size_event = true;
		}
	}
	if (size_event && helper_capture_x11_update_area(x, &ev->resized, &ev->layout_changed) != 0)
		return -1;
	if (x->cursor_pending && ev->cursor != NULL) {
		x->cursor_pending = false;
		helper_capture_x11_cursor(x, ev);
	}
	if (x->damage_pending) {
		XRectangle *rects;
		int n = 0;

		x->damage_pending = false;
		/* Empties the server's damage, so the next drawing sends a new event. */
		XDamageSubtract(x->dpy, x->damage, None, x->region);
		rects = XFixesFetchRegion(x->dpy, x->region, &n);
		/* Display pixels to captured-area pixels; the driver clips what lies outside. */
		for (int i = 0; rects != NULL && x->fmt.live && i < n; i++)
			ev->damage(ev->ctx, rects[i].x - x->fmt.origin_x, rects[i].y - x->fmt.origin_y,
				   rects[i].width, rects[i].height);
		if (rects != NULL)
			XFree(rects);
	}
	return 0;
}

/* What a grab gives while the chosen monitor is gone: black, never the display. */
static int helper_capture_x11_blank(struct helper_capture_x11 *x, int w, int h, const uint8_t **pixels,
				    size_t *stride)
{
	size_t need = (size_t)w * (size_t)h * 4;

	if (need > x->blank_size) {
		uint8_t *grown = calloc(need, 1);

		if (grown == NULL)
			return -1;
		free(x->blank);
		x->blank = grown;
		x->blank_size = need;
	}
	*pixels = x->blank;
	*stride = (size_t)w * 4;
	return 0;
}

static int helper_capture_x11_grab(void *state, int gx, int gy, int w, int h,
				   const uint8_t **pixels, size_t *stride)
{
	struct helper_capture_x11 *x = state;
	XImage *img;
	int ok;

	if (!x->fmt.live)
		return helper_capture_x11_blank(x, w, h, pixels, stride);
	gx += x->fmt.origin_x;
	gy += x->fmt.origin_y;
	if (x->use_shm) {
		/* A header for this rectangle over the shared segment; the data stays ours. */
		img = XShmCreateImage(x->dpy, x->visual, (unsigned)x->depth, ZPixmap,
				      x->shm.shmaddr, &x->shm, (unsigned)w, (unsigned)h);
		if (img == NULL)
			return -1;
		ok = XShmGetImage(x->dpy, x->root, img, gx, gy, AllPlanes);
		*stride = (size_t)img->bytes_per_line;
		img->data = NULL;
		XDestroyImage(img);
		if (!ok)
			return -1;
		*pixels = (const uint8_t *)x->shm.shmaddr;
		return 0;
	}
	if (x->last_image != NULL) {
		XDestroyImage(x->last_image);
		x->last_image = NULL;
	}
	img = XGetImage(x->dpy, x->root, gx, gy, (unsigned)w, (unsigned)h, AllPlanes, ZPixmap);
	if (img == NULL)
		return -1;
	x->last_image = img;
	if (img->bits_per_pixel != 32)
		return -1;
	*pixels = (const uint8_t *)img->data;
	*stride = (size_t)img->bytes_per_line;
	return 0;
}

static int helper_capture_x11_select_monitor(void *state, int index, char *err, size_t errlen)
{
	struct helper_capture_x11 *x = state;
	struct screeninfo all;
	Atom names[SCREENINFO_MONITORS_MAX];
	bool resized = false, layout_changed = false;
	int n;

	if (index == 0) {
		x->monitor = 0;
		return helper_capture_x11_update_area(x, &resized, &layout_changed) == 0 ? 0 : -1;
	}
	if (!x->use_monitors) {
		snprintf(err, errlen, "this X display cannot list its monitors (no RandR 1.5): share all of it");
		return -1;
	}
	n = helper_capture_x11_monitors(x, &all, names);
	if (index < 1 || index > n) {
		snprintf(err, errlen, "there is no monitor %d: this display has %d (see xrandr --listmonitors)",
			 index, n);
		return -1;
	}
	x->monitor = index;
	x->monitor_name = names[index - 1];
	if (helper_capture_x11_update_area(x, &resized, &layout_changed) != 0) {
		snprintf(err, errlen, "lost the X display");
		return -1;
	}
	log_info("sharing monitor %d (%s), %dx%d at +%d+%d", index, all.monitors[index - 1].name, x->fmt.width,
		 x->fmt.height, x->fmt.origin_x, x->fmt.origin_y);
	return 0;
}

static void helper_capture_x11_layout(void *state, struct screeninfo *si)
{
	struct helper_capture_x11 *x = state;

	*si = x->layout;
}

const struct helper_capture_backend helper_capture_x11_backend = {
	.name = "X11",
	.open = helper_capture_x11_open,
	.close = helper_capture_x11_close,
	.fd = helper_capture_x11_fd,
	.poll_interval_ms = helper_capture_x11_poll_interval,
	.process_events = helper_capture_x11_process,
	.events_queued = helper_capture_x11_events_queued,
	.format = helper_capture_x11_format,
	.grab = helper_capture_x11_grab,
	.select_monitor = helper_capture_x11_select_monitor,
	.layout = helper_capture_x11_layout,
};

const struct helper_capture_backend *const helper_capture_native_backend = &helper_capture_x11_backend;
