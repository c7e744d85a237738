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
	int randr_event_base;

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
		XRRSelectInput(x->dpy, x->root, RRScreenChangeNotifyMask);
		x->use_randr = true;
	}
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
	x->fmt.width = DisplayWidth(x->dpy, x->screen);
	x->fmt.height = DisplayHeight(x->dpy, x->screen);
	if (helper_capture_x11_check_visual(x, err, errlen) != 0)
		goto out;
	if (XShmQueryExtension(x->dpy) && helper_capture_x11_shm_alloc(x) == 0)
		x->use_shm = true;
	else
		log_warn("MIT-SHM is not usable on this display: grabbing with XGetImage (slower)");
	helper_capture_x11_setup_damage(x);
	helper_capture_x11_setup_randr(x);
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

/* Asks the server for the root's size; re-creates the segment when it changed. */
static int helper_capture_x11_check_size(struct helper_capture_x11 *x, bool *resized)
{
	Window root;
	int gx, gy;
	unsigned w, h, border, depth;

	if (!XGetGeometry(x->dpy, x->root, &root, &gx, &gy, &w, &h, &border, &depth))
		return -1;
	if ((int)w == x->fmt.width && (int)h == x->fmt.height)
		return 0;
	x->fmt.width = (int)w;
	x->fmt.height = (int)h;
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
		} else if (e.type == ConfigureNotify && e.xconfigure.window == x->root) {
			if (x->use_randr)
				XRRUpdateConfiguration(&e);
			size_event = true;
		}
	}
	if (size_event && helper_capture_x11_check_size(x, &ev->resized) != 0)
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
		for (int i = 0; rects != NULL && i < n; i++)
			ev->damage(ev->ctx, rects[i].x, rects[i].y, rects[i].width, rects[i].height);
		if (rects != NULL)
			XFree(rects);
	}
	return 0;
}

static int helper_capture_x11_grab(void *state, int gx, int gy, int w, int h,
				   const uint8_t **pixels, size_t *stride)
{
	struct helper_capture_x11 *x = state;
	XImage *img;
	int ok;

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
};
