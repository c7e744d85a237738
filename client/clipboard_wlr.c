/*
 * clipboard_wlr.c: see clipboard_wlr.h.
 *
 * Customer to technician: every copy the compositor announces (the device's
 * data_offer, its MIME types, then selection naming it) is asked for in the
 * best text type it offers, into a non-blocking pipe read here as bytes
 * come; at end of file the text goes up. More than the cap stops the read
 * at once (the other end then sees a closed pipe) and is reported, never cut.
 * A copy replaced before it was read whole is abandoned for the new one.
 *
 * Technician to customer: a data source of ours offering the text types,
 * set as the selection; each paste (send) gets its own copy of the text and
 * its own non-blocking writer, so a slow or stuck reader holds up nobody.
 * Our source also offers a MIME type of our own, so that its coming back to
 * us as the selection is recognised and not sent back to the technician.
 */
#include "clipboard_wlr.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <wayland-client.h>

#include "clipboard.h"
#include "log.h"
#include "wlr-data-control-client-protocol.h"

/* Pastes served at once; one more is refused (its reader sees end of file). */
#define WLR_CLIP_SENDS 8
#define WLR_CLIP_OURS "application/x-handoff-helper"

/* Text types, worst first: an offer's rank is the best it lists. */
static const char *const helper_clipboard_wlr_types[] = { "text/plain", "UTF8_STRING", "text/plain;charset=utf-8" };
#define WLR_CLIP_TYPES (sizeof(helper_clipboard_wlr_types) / sizeof(helper_clipboard_wlr_types[0]))

struct helper_clipboard_wlr_offer {
	struct zwlr_data_control_offer_v1 *offer;
	int rank;                       /* 1 + index in helper_clipboard_wlr_types, or 0: no text */
	bool ours;
};

struct helper_clipboard_wlr_send {
	int fd;                         /* -1: free */
	char *data;
	size_t len, done;
};

struct helper_clipboard_wlr {
	struct wl_display *dpy;
	struct wl_registry *registry;
	struct wl_seat *seat;
	struct zwlr_data_control_manager_v1 *manager;
	struct zwlr_data_control_device_v1 *device;
	struct helper_clipboard_wlr_offer *selection;   /* the clipboard's current offer, or NULL */
	int ep;                         /* epoll: the connection and the pipes below */
	bool lost;                      /* the connection or the device is gone: nothing more */
	bool ready;                     /* open: copies from now on are read (not the one there before) */

	int in_fd;                      /* the customer's copy being read, or -1 */
	char *in;                       /* HELPER_CLIPBOARD_MAX + 1 bytes */
	size_t in_len;

	struct zwlr_data_control_source_v1 *source;     /* ours while it is the clipboard, or NULL */
	char *owned;
	size_t owned_len;
	struct helper_clipboard_wlr_send sends[WLR_CLIP_SENDS];
};

static void helper_clipboard_wlr_watch(struct helper_clipboard_wlr *w, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &e) != 0)
		log_warn("clipboard: cannot watch a pipe: %s", strerror(errno));
}

/* Closing a descriptor takes it out of the epoll set too. */
static void helper_clipboard_wlr_in_stop(struct helper_clipboard_wlr *w)
{
	if (w->in_fd >= 0)
		close(w->in_fd);
	w->in_fd = -1;
	w->in_len = 0;
}

static void helper_clipboard_wlr_offer_free(struct helper_clipboard_wlr_offer *o)
{
	if (o == NULL)
		return;
	zwlr_data_control_offer_v1_destroy(o->offer);
	free(o);
}

static void helper_clipboard_wlr_on_type(void *data, struct zwlr_data_control_offer_v1 *offer, const char *mime)
{
	struct helper_clipboard_wlr_offer *o = data;
	size_t i;

	(void)offer;
	if (strcmp(mime, WLR_CLIP_OURS) == 0)
		o->ours = true;
	for (i = 0; i < WLR_CLIP_TYPES; i++)
		if (strcmp(mime, helper_clipboard_wlr_types[i]) == 0 && (int)i + 1 > o->rank)
			o->rank = (int)i + 1;
}

static const struct zwlr_data_control_offer_v1_listener helper_clipboard_wlr_offer_listener = {
	.offer = helper_clipboard_wlr_on_type,
};

static void helper_clipboard_wlr_on_offer(void *data, struct zwlr_data_control_device_v1 *dev,
					  struct zwlr_data_control_offer_v1 *offer)
{
	struct helper_clipboard_wlr_offer *o = calloc(1, sizeof(*o));

	(void)data;
	(void)dev;
	if (o == NULL) {
		zwlr_data_control_offer_v1_destroy(offer);
		return;
	}
	o->offer = offer;
	zwlr_data_control_offer_v1_add_listener(offer, &helper_clipboard_wlr_offer_listener, o);
}

/* The new copy's text, asked for into a pipe the loop reads. */
static void helper_clipboard_wlr_receive(struct helper_clipboard_wlr *w, struct helper_clipboard_wlr_offer *o)
{
	int p[2];

	helper_clipboard_wlr_in_stop(w);
	if (o->ours || o->rank == 0)
		return;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_warn("clipboard: no pipe for the customer's copy: %s", strerror(errno));
		return;
	}
	/* libwayland sends a duplicate of p[1]: ours is closed so that the writer's close ends the read. */
	zwlr_data_control_offer_v1_receive(o->offer, helper_clipboard_wlr_types[o->rank - 1], p[1]);
	close(p[1]);
	w->in_fd = p[0];
	w->in_len = 0;
	helper_clipboard_wlr_watch(w, w->in_fd, EPOLLIN);
}

static void helper_clipboard_wlr_on_selection(void *data, struct zwlr_data_control_device_v1 *dev,
					      struct zwlr_data_control_offer_v1 *offer)
{
	struct helper_clipboard_wlr *w = data;
	struct helper_clipboard_wlr_offer *o = offer != NULL ? zwlr_data_control_offer_v1_get_user_data(offer) : NULL;

	(void)dev;
	if (w->selection != NULL && w->selection != o)
		helper_clipboard_wlr_offer_free(w->selection);
	w->selection = o;
	if (o != NULL && w->ready)
		helper_clipboard_wlr_receive(w, o);
	else
		helper_clipboard_wlr_in_stop(w);
}

static void helper_clipboard_wlr_on_primary(void *data, struct zwlr_data_control_device_v1 *dev,
					    struct zwlr_data_control_offer_v1 *offer)
{
	(void)data;
	(void)dev;
	/* Only the clipboard is shared, as on X11 (not the primary selection). */
	if (offer != NULL)
		helper_clipboard_wlr_offer_free(zwlr_data_control_offer_v1_get_user_data(offer));
}

static void helper_clipboard_wlr_on_finished(void *data, struct zwlr_data_control_device_v1 *dev)
{
	struct helper_clipboard_wlr *w = data;

	(void)dev;
	log_warn("clipboard: the compositor ended our clipboard device; no more clipboard sharing");
	w->lost = true;
}

static const struct zwlr_data_control_device_v1_listener helper_clipboard_wlr_device_listener = {
	.data_offer = helper_clipboard_wlr_on_offer,
	.selection = helper_clipboard_wlr_on_selection,
	.finished = helper_clipboard_wlr_on_finished,
	.primary_selection = helper_clipboard_wlr_on_primary,
};

static void helper_clipboard_wlr_on_send(void *data, struct zwlr_data_control_source_v1 *src, const char *mime,
					 int32_t fd)
{
	struct helper_clipboard_wlr *w = data;
	struct helper_clipboard_wlr_send *s = NULL;
	size_t i;

	(void)src;
	(void)mime;
	for (i = 0; i < WLR_CLIP_SENDS && s == NULL; i++)
		if (w->sends[i].fd < 0)
			s = &w->sends[i];
	if (s == NULL || w->owned == NULL || fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
	    (s->data = malloc(w->owned_len + 1)) == NULL) {
		log_warn("clipboard: a paste of the technician's text was refused (too many at once)");
		close(fd);
		return;
	}
	memcpy(s->data, w->owned, w->owned_len);
	s->len = w->owned_len;
	s->done = 0;
	s->fd = fd;
	helper_clipboard_wlr_watch(w, fd, EPOLLOUT);
}

static void helper_clipboard_wlr_on_cancelled(void *data, struct zwlr_data_control_source_v1 *src)
{
	struct helper_clipboard_wlr *w = data;

	/* Another copy took the clipboard; pastes already started go on with their own copies. */
	zwlr_data_control_source_v1_destroy(src);
	if (w->source == src) {
		w->source = NULL;
		free(w->owned);
		w->owned = NULL;
		w->owned_len = 0;
	}
}

static const struct zwlr_data_control_source_v1_listener helper_clipboard_wlr_source_listener = {
	.send = helper_clipboard_wlr_on_send,
	.cancelled = helper_clipboard_wlr_on_cancelled,
};

static void helper_clipboard_wlr_on_global(void *data, struct wl_registry *r, uint32_t name, const char *iface,
					   uint32_t version)
{
	struct helper_clipboard_wlr *w = data;

	if (strcmp(iface, zwlr_data_control_manager_v1_interface.name) == 0 && w->manager == NULL)
		w->manager = wl_registry_bind(r, name, &zwlr_data_control_manager_v1_interface, version < 2 ? version : 2);
	else if (strcmp(iface, wl_seat_interface.name) == 0 && w->seat == NULL)
		w->seat = wl_registry_bind(r, name, &wl_seat_interface, 1);
}

static void helper_clipboard_wlr_on_global_remove(void *data, struct wl_registry *r, uint32_t name)
{
	(void)data;
	(void)r;
	(void)name;
}

static const struct wl_registry_listener helper_clipboard_wlr_registry_listener = {
	.global = helper_clipboard_wlr_on_global,
	.global_remove = helper_clipboard_wlr_on_global_remove,
};

int helper_clipboard_wlr_open(struct helper_clipboard_wlr **out, const char *display, char *err, size_t errlen)
{
	struct helper_clipboard_wlr *w = calloc(1, sizeof(*w));
	size_t i;

	*out = NULL;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->ep = -1;
	w->in_fd = -1;
	for (i = 0; i < WLR_CLIP_SENDS; i++)
		w->sends[i].fd = -1;
	w->in = malloc(HELPER_CLIPBOARD_MAX + 1);
	w->dpy = wl_display_connect(display);
	if (w->in == NULL || w->dpy == NULL) {
		snprintf(err, errlen, "cannot connect to the Wayland display for the clipboard");
		goto fail;
	}
	w->registry = wl_display_get_registry(w->dpy);
	wl_registry_add_listener(w->registry, &helper_clipboard_wlr_registry_listener, w);
	if (wl_display_roundtrip(w->dpy) < 0) {
		snprintf(err, errlen, "the Wayland display went away");
		goto fail;
	}
	if (w->manager == NULL || w->seat == NULL) {
		snprintf(err, errlen, "the compositor offers no wlroots data control (zwlr_data_control_manager_v1)%s",
			 w->seat == NULL ? " and no seat" : "");
		goto fail;
	}
	w->device = zwlr_data_control_manager_v1_get_data_device(w->manager, w->seat);
	zwlr_data_control_device_v1_add_listener(w->device, &helper_clipboard_wlr_device_listener, w);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0) {
		snprintf(err, errlen, "cannot make an epoll set: %s", strerror(errno));
		goto fail;
	}
	helper_clipboard_wlr_watch(w, wl_display_get_fd(w->dpy), EPOLLIN);
	/* The clipboard as it is now comes as the first selection event; it is not read (nobody watches yet). */
	if (wl_display_roundtrip(w->dpy) < 0) {
		snprintf(err, errlen, "the Wayland display went away");
		goto fail;
	}
	w->ready = true;
	*out = w;
	return 0;
fail:
	helper_clipboard_wlr_close(w);
	return -1;
}

int helper_clipboard_wlr_fd(const struct helper_clipboard_wlr *w)
{
	return w->ep;
}

void helper_clipboard_wlr_set(struct helper_clipboard_wlr *w, char *text, size_t len)
{
	size_t i;

	if (w->lost) {
		free(text);
		return;
	}
	if (w->source != NULL)
		zwlr_data_control_source_v1_destroy(w->source);
	free(w->owned);
	w->owned = text;
	w->owned_len = len;
	w->source = zwlr_data_control_manager_v1_create_data_source(w->manager);
	zwlr_data_control_source_v1_add_listener(w->source, &helper_clipboard_wlr_source_listener, w);
	for (i = WLR_CLIP_TYPES; i > 0; i--)
		zwlr_data_control_source_v1_offer(w->source, helper_clipboard_wlr_types[i - 1]);
	zwlr_data_control_source_v1_offer(w->source, WLR_CLIP_OURS);
	zwlr_data_control_device_v1_set_selection(w->device, w->source);
	log_info("the technician's clipboard text (%zu bytes) is on the customer's clipboard", len);
}

/* Reads what the customer's copy has ready; HELPER_CLIPBOARD_WLR_* once it is whole or too big. */
static int helper_clipboard_wlr_read(struct helper_clipboard_wlr *w, char **text, size_t *len)
{
	for (;;) {
		ssize_t n = read(w->in_fd, w->in + w->in_len, HELPER_CLIPBOARD_MAX + 1 - w->in_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return HELPER_CLIPBOARD_WLR_NOTHING;
		if (n < 0) {
			log_warn("clipboard: reading the customer's copy failed: %s", strerror(errno));
			helper_clipboard_wlr_in_stop(w);
			return HELPER_CLIPBOARD_WLR_NOTHING;
		}
		w->in_len += (size_t)n;
		if (w->in_len > HELPER_CLIPBOARD_MAX) {
			log_warn("the customer's clipboard text is over %u bytes; not sent", HELPER_CLIPBOARD_MAX);
			helper_clipboard_wlr_in_stop(w);
			return HELPER_CLIPBOARD_WLR_TOO_BIG;
		}
		if (n == 0)
			break;
	}
	*len = w->in_len;
	*text = malloc(w->in_len + 1);
	if (*text != NULL) {
		memcpy(*text, w->in, w->in_len);
		(*text)[w->in_len] = '\0';
	}
	helper_clipboard_wlr_in_stop(w);
	return *text != NULL ? HELPER_CLIPBOARD_WLR_TEXT : HELPER_CLIPBOARD_WLR_NOTHING;
}

/* Writes what each paste's pipe takes now; a reader gone (EPIPE: SIGPIPE is ignored) ends its paste. */
static void helper_clipboard_wlr_write(struct helper_clipboard_wlr *w)
{
	size_t i;

	for (i = 0; i < WLR_CLIP_SENDS; i++) {
		struct helper_clipboard_wlr_send *s = &w->sends[i];
		ssize_t n = 0;

		while (s->fd >= 0 && s->done < s->len &&
		       ((n = write(s->fd, s->data + s->done, s->len - s->done)) > 0 || (n < 0 && errno == EINTR)))
			if (n > 0)
				s->done += (size_t)n;
		if (s->fd < 0 || (s->done < s->len && n < 0 && errno == EAGAIN))
			continue;
		close(s->fd);
		s->fd = -1;
		free(s->data);
		s->data = NULL;
	}
}

/* Reads and handles the compositor's events without waiting: the loop polled our epoll set. */
static void helper_clipboard_wlr_dispatch(struct helper_clipboard_wlr *w)
{
	struct pollfd p = { .fd = wl_display_get_fd(w->dpy), .events = POLLIN };
	int rc = 0;

	while (rc == 0 && wl_display_prepare_read(w->dpy) != 0)
		rc = wl_display_dispatch_pending(w->dpy) < 0 ? -1 : 0;
	if (rc == 0) {
		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0)
			rc = wl_display_read_events(w->dpy);
		else
			wl_display_cancel_read(w->dpy);
	}
	if (rc == 0 && wl_display_dispatch_pending(w->dpy) >= 0 &&
	    (wl_display_flush(w->dpy) >= 0 || errno == EAGAIN))
		return;
	log_warn("clipboard: the Wayland connection was lost; no more clipboard sharing");
	w->lost = true;
}

int helper_clipboard_wlr_run(struct helper_clipboard_wlr *w, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	if (!w->lost) {
		helper_clipboard_wlr_dispatch(w);
		if (w->lost)
			epoll_ctl(w->ep, EPOLL_CTL_DEL, wl_display_get_fd(w->dpy), NULL);
	}
	helper_clipboard_wlr_write(w);
	if (w->in_fd >= 0)
		return helper_clipboard_wlr_read(w, text, len);
	return HELPER_CLIPBOARD_WLR_NOTHING;
}

void helper_clipboard_wlr_close(struct helper_clipboard_wlr *w)
{
	size_t i;

	if (w == NULL)
		return;
	helper_clipboard_wlr_in_stop(w);
	for (i = 0; i < WLR_CLIP_SENDS; i++) {
		if (w->sends[i].fd >= 0)
			close(w->sends[i].fd);
		free(w->sends[i].data);
	}
	if (w->selection != NULL)
		helper_clipboard_wlr_offer_free(w->selection);
	if (w->source != NULL)
		zwlr_data_control_source_v1_destroy(w->source);
	if (w->device != NULL)
		zwlr_data_control_device_v1_destroy(w->device);
	if (w->manager != NULL)
		zwlr_data_control_manager_v1_destroy(w->manager);
	if (w->seat != NULL)
		wl_seat_destroy(w->seat);
	if (w->registry != NULL)
		wl_registry_destroy(w->registry);
	if (w->dpy != NULL)
		wl_display_disconnect(w->dpy);
	if (w->ep >= 0)
		close(w->ep);
	free(w->owned);
	free(w->in);
	free(w);
}
