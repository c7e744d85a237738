/* clipboard.c: see clipboard.h. */
#include "clipboard.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/Xfixes.h>

#include "clipboard_wlr.h"
#include "log.h"
#include "screen.h"
#include "utf8.h"

struct helper_clipboard {
	struct helper_clipboard_wlr *wlr;  /* Wayland (wlroots): the clipboard is there; dpy is NULL */
	Display *dpy;
	Window win;
	Atom clipboard, utf8, targets, incr, prop;
	int xfixes_event_base;
	int wake;                       /* eventfd: viewer text is waiting */
	struct helper_screen *screen;   /* not owned */
	char *owned;                    /* UTF-8 text we serve while we own CLIPBOARD */
	size_t owned_len;

	pthread_mutex_t lock;           /* guards what follows (viewer threads write it) */
	char *incoming;                 /* UTF-8, from a viewer, not yet on the clipboard */
	size_t incoming_len;
	bool incoming_too_big;
};

int helper_clipboard_open(struct helper_clipboard **out, const char *display, char *err,
			  size_t errlen)
{
	struct helper_clipboard *c = calloc(1, sizeof(*c));
	int error_base, major = 2, minor = 0;

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->dpy = XOpenDisplay(display);
	if (c->wake < 0 || c->dpy == NULL) {
		snprintf(err, errlen, "cannot open the X display %s for the clipboard", display);
		goto fail;
	}
	if (!XFixesQueryExtension(c->dpy, &c->xfixes_event_base, &error_base) ||
	    !XFixesQueryVersion(c->dpy, &major, &minor) || major < 1) {
		snprintf(err, errlen, "the X display has no XFIXES: no clipboard");
		goto fail;
	}
	c->win = XCreateSimpleWindow(c->dpy, DefaultRootWindow(c->dpy), 0, 0, 1, 1, 0, 0, 0);
	c->clipboard = XInternAtom(c->dpy, "CLIPBOARD", False);
	c->utf8 = XInternAtom(c->dpy, "UTF8_STRING", False);
	c->targets = XInternAtom(c->dpy, "TARGETS", False);
	c->incr = XInternAtom(c->dpy, "INCR", False);
	c->prop = XInternAtom(c->dpy, "HANDOFF_CLIPBOARD", False);
	XFixesSelectSelectionInput(c->dpy, c->win, c->clipboard, XFixesSetSelectionOwnerNotifyMask);
	XFlush(c->dpy);
	*out = c;
	return 0;
fail:
	helper_clipboard_close(c);
	return -1;
}

int helper_clipboard_open_wayland(struct helper_clipboard **out, const char *display, char *err, size_t errlen)
{
	struct helper_clipboard *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->wake < 0) {
		snprintf(err, errlen, "cannot make an eventfd: %s", strerror(errno));
		goto fail;
	}
	if (helper_clipboard_wlr_open(&c->wlr, display, err, errlen) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	helper_clipboard_close(c);
	return -1;
}

int helper_clipboard_x_fd(const struct helper_clipboard *c)
{
	return c->wlr != NULL ? helper_clipboard_wlr_fd(c->wlr) : ConnectionNumber(c->dpy);
}

int helper_clipboard_queued(const struct helper_clipboard *c)
{
	/* Wayland's queue is emptied by every run. */
	return c->dpy != NULL && XEventsQueued(c->dpy, QueuedAlready) > 0;
}

int helper_clipboard_wake_fd(const struct helper_clipboard *c)
{
	return c->wake;
}

/* Latin-1 to UTF-8: every byte 0x80-0xff becomes two. */
static char *helper_clipboard_from_latin1(const char *s, size_t n, size_t *out_len)
{
	char *u = malloc(2 * n + 1);

	if (u == NULL)
		return NULL;
	*out_len = utf8_from_latin1(s, n, u);
	return u;
}

/* UTF-8 to Latin-1; what Latin-1 cannot hold (and broken sequences) becomes '?'. */
static char *helper_clipboard_to_latin1(const unsigned char *s, size_t n, size_t *out_len)
{
	char *l = malloc(n + 1);

	if (l == NULL)
		return NULL;
	*out_len = utf8_to_latin1((const char *)s, n, l, n);
	return l;
}

void helper_clipboard_from_viewer(struct helper_clipboard *c, const char *text, size_t len, bool utf8)
{
	uint64_t one = 1;
	char *u = NULL;
	size_t ulen = 0;

	if (len <= HELPER_CLIPBOARD_MAX && utf8) {
		u = malloc(len + 1);
		if (u != NULL) {
			memcpy(u, text, len);
			u[len] = '\0';
			ulen = len;
		}
	} else if (len <= HELPER_CLIPBOARD_MAX) {
		u = helper_clipboard_from_latin1(text, len, &ulen);
	}
	pthread_mutex_lock(&c->lock);
	free(c->incoming);
	c->incoming = u;
	c->incoming_len = ulen;
	c->incoming_too_big = len > HELPER_CLIPBOARD_MAX;
	pthread_mutex_unlock(&c->lock);
	if (write(c->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("cannot wake the loop for clipboard text: %s", strerror(errno));
}

/*
 * A requestor can destroy its window before our reply lands (a paste
 * cancelled, a program exiting). Xlib's error handler is process-wide and
 * SDL keeps the default one (which exits) behind its own, so replies are
 * sent with a handler that only notes the error, then restored.
 */
static int helper_clipboard_ignore(Display *dpy, XErrorEvent *e)
{
	(void)dpy;
	log_debug("clipboard: X error %d on a paste reply (the requestor went away)", e->error_code);
	return 0;
}

/* Answers one paste request for what we own. */
static void helper_clipboard_serve(struct helper_clipboard *c, XSelectionRequestEvent *r)
{
	XSelectionEvent reply = {
		.type = SelectionNotify, .display = r->display, .requestor = r->requestor,
		.selection = r->selection, .target = r->target, .time = r->time, .property = None,
	};
	Atom property = r->property != None ? r->property : r->target;

	if (c->owned != NULL && r->selection == c->clipboard) {
		if (r->target == c->targets) {
			Atom t[3] = { c->targets, c->utf8, XA_STRING };

			XChangeProperty(c->dpy, r->requestor, property, XA_ATOM, 32, PropModeReplace,
					(unsigned char *)t, 3);
			reply.property = property;
		} else if (r->target == c->utf8) {
			XChangeProperty(c->dpy, r->requestor, property, c->utf8, 8, PropModeReplace,
					(unsigned char *)c->owned, (int)c->owned_len);
			reply.property = property;
		} else if (r->target == XA_STRING) {
			size_t n;
			char *l = helper_clipboard_to_latin1((unsigned char *)c->owned, c->owned_len, &n);

			if (l != NULL) {
				XChangeProperty(c->dpy, r->requestor, property, XA_STRING, 8, PropModeReplace,
						(unsigned char *)l, (int)n);
				reply.property = property;
				free(l);
			}
		}
	}
	XSendEvent(c->dpy, r->requestor, False, NoEventMask, (XEvent *)&reply);
}

static void helper_clipboard_serve_safely(struct helper_clipboard *c, XSelectionRequestEvent *r)
{
	int (*old)(Display *, XErrorEvent *);

	XSync(c->dpy, False);
	old = XSetErrorHandler(helper_clipboard_ignore);
	helper_clipboard_serve(c, r);
	XSync(c->dpy, False);
	XSetErrorHandler(old);
}

/* The customer's copy (UTF-8) to the controlling viewers, in both forms: our viewers take UTF-8, other VNC viewers only Latin-1. */
static void helper_clipboard_send(struct helper_clipboard *c, const unsigned char *text, size_t n)
{
	size_t llen;
	char *l;

	if (c->screen == NULL)
		return;
	l = helper_clipboard_to_latin1(text, n, &llen);
	if (l == NULL || helper_screen_send_cut_text(c->screen, (const char *)text, n, l, llen) != 0)
		log_warn("could not send the clipboard to the viewers");
	free(l);
}

/* The customer's clipboard arrived in our property: send it to the controlling viewers. */
static enum helper_clipboard_event helper_clipboard_got(struct helper_clipboard *c)
{
	Atom type = None;
	int format = 0;
	unsigned long n = 0, after = 0;
	unsigned char *data = NULL;
	enum helper_clipboard_event ev = HELPER_CLIPBOARD_NOTHING;

	/* One more 32-bit unit than the cap, so "more than the cap" shows as bytes left over. */
	if (XGetWindowProperty(c->dpy, c->win, c->prop, 0, HELPER_CLIPBOARD_MAX / 4 + 1, True,
			       AnyPropertyType, &type, &format, &n, &after, &data) != Success)
		return ev;
	if (type == c->incr || after > 0 || n > HELPER_CLIPBOARD_MAX) {
		/* INCR is how owners send what does not fit one request: far over our cap. */
		log_warn("the customer's clipboard text is over %u bytes; not sent", HELPER_CLIPBOARD_MAX);
		ev = HELPER_CLIPBOARD_TOO_BIG_OUT;
	} else if (format == 8 && type == c->utf8) {
		helper_clipboard_send(c, data, n);
	} else if (format == 8 && type == XA_STRING) {
		size_t ulen;
		char *u = helper_clipboard_from_latin1((const char *)data, n, &ulen);

		if (u != NULL)
			helper_clipboard_send(c, (unsigned char *)u, ulen);
		else
			log_warn("could not send the clipboard to the viewers");
		free(u);
	}
	if (data != NULL)
		XFree(data);
	return ev;
}

enum helper_clipboard_event helper_clipboard_run(struct helper_clipboard *c)
{
	enum helper_clipboard_event ev = HELPER_CLIPBOARD_NOTHING;
	uint64_t count;
	char *text;
	size_t len;
	bool too_big;

	if (read(c->wake, &count, sizeof(count)) == (ssize_t)sizeof(count)) {
		pthread_mutex_lock(&c->lock);
		text = c->incoming;
		len = c->incoming_len;
		too_big = c->incoming_too_big;
		c->incoming = NULL;
		c->incoming_too_big = false;
		pthread_mutex_unlock(&c->lock);
		if (too_big) {
			log_warn("a technician's clipboard text over %u bytes was dropped", HELPER_CLIPBOARD_MAX);
			ev = HELPER_CLIPBOARD_TOO_BIG_IN;
		} else if (text != NULL && c->wlr != NULL) {
			helper_clipboard_wlr_set(c->wlr, text, len);
			text = NULL;
		} else if (text != NULL) {
			free(c->owned);
			c->owned = text;
			c->owned_len = len;
			text = NULL;
			XSetSelectionOwner(c->dpy, c->clipboard, c->win, CurrentTime);
			log_info("the technician's clipboard text (%zu bytes) is on the customer's clipboard",
				 len);
		}
		free(text);
	}
	if (c->wlr != NULL) {
		char *got;
		size_t n;

		switch (helper_clipboard_wlr_run(c->wlr, &got, &n)) {
		case HELPER_CLIPBOARD_WLR_TEXT:
			helper_clipboard_send(c, (unsigned char *)got, n);
			free(got);
			break;
		case HELPER_CLIPBOARD_WLR_TOO_BIG:
			ev = HELPER_CLIPBOARD_TOO_BIG_OUT;
			break;
		}
		return ev;
	}
	while (XPending(c->dpy) > 0) {
		XEvent e;

		XNextEvent(c->dpy, &e);
		if (e.type == c->xfixes_event_base + XFixesSelectionNotify) {
			XFixesSelectionNotifyEvent *s = (XFixesSelectionNotifyEvent *)&e;

			if (s->owner != None && s->owner != c->win)
				XConvertSelection(c->dpy, c->clipboard, c->utf8, c->prop, c->win, s->timestamp);
		} else if (e.type == SelectionNotify && e.xselection.property != None) {
			enum helper_clipboard_event got = helper_clipboard_got(c);

			if (got != HELPER_CLIPBOARD_NOTHING)
				ev = got;
		} else if (e.type == SelectionRequest) {
			helper_clipboard_serve_safely(c, &e.xselectionrequest);
		} else if (e.type == SelectionClear) {
			free(c->owned);
			c->owned = NULL;
			c->owned_len = 0;
		}
	}
	XFlush(c->dpy);
	return ev;
}

void helper_clipboard_attach(struct helper_clipboard *c, struct helper_screen *screen)
{
	c->screen = screen;
	helper_screen_set_cut_text_hook(screen, helper_clipboard_from_viewer, c);
}

void helper_clipboard_close(struct helper_clipboard *c)
{
	if (c == NULL)
		return;
	if (c->dpy != NULL) {
		/* Replies still queued go out here; a requestor gone by now is no reason to exit. */
		int (*old)(Display *, XErrorEvent *) = XSetErrorHandler(helper_clipboard_ignore);

		XCloseDisplay(c->dpy);
		XSetErrorHandler(old);
	}
	helper_clipboard_wlr_close(c->wlr);
	if (c->wake >= 0)
		close(c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->owned);
	free(c->incoming);
	free(c);
}
