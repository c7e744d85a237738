/*
 * capture_wlr.c: Wayland capture on wlroots compositors (sway and others)
 * through their screen-copy protocol, zwlr_screencopy_manager_v1 (see
 * capture.h).
 *
 * Why beside the portal backend (capture_wayland.c): on wlroots the portal
 * is xdg-desktop-portal-wlr, itself a screen-copy client, and version 0.7.0
 * (Debian 12) refuses every Start when the compositor offers no DMA-BUF
 * (no GPU: the pixman renderer), although its shared-memory path would
 * work. Asking the compositor directly works wherever xdpw would, and
 * without its chooser. wlroots lets any client of the session copy the
 * screen; consent is the helper's own window, as on X11.
 *
 * One output (the first the compositor announces) is shared, without the
 * pointer drawn in (overlay_cursor 0, as X11's grabs are). Each frame is
 * one request: capture_output, the buffer event names the format and size,
 * we copy into a wl_shm buffer of ours (copy_with_damage: the compositor
 * answers only once something changed, with damage rectangles), and the
 * pixels go into our own copy of the screen, which grab reads. While a
 * viewer watches, one request is always outstanding, so an idle screen
 * costs nothing and a change arrives at once; while nobody watches, no
 * request is made at all. The first frame after a pause is a full copy
 * (copy, not copy_with_damage), since the screen may have changed meanwhile.
 */
#include "capture.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "log.h"
#include "wlr-screencopy-client-protocol.h"

#define WLR_DAMAGE_MAX 32
#define WLR_FAILURES_MAX 10
/* How long the first frame may take: the compositor answers a full copy at its next repaint. */
#define WLR_FIRST_FRAME_MS 10000

struct wlr_rect {
	int x, y, w, h;
};

struct helper_capture_wlr {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *shm;
	struct wl_output *output;
	struct zwlr_screencopy_manager_v1 *manager;
	uint32_t manager_version;

	struct zwlr_screencopy_frame_v1 *frame; /* the request outstanding, or NULL */
	bool frame_full;            /* it was asked with copy: the whole screen */
	uint32_t buf_format;
	int buf_w, buf_h, buf_stride;
	bool buf_known;
	bool y_invert;

	struct wl_buffer *buffer;   /* ours, reused while format and size stay */
	uint8_t *shm_data;
	size_t shm_size;
	uint32_t shm_format;
	int shm_w, shm_h, shm_stride;

	uint8_t *copy;              /* width * height * 4: the screen as last copied */
	int width, height;
	uint32_t red_mask, green_mask, blue_mask;
	bool have_frame, resized, failed, watched;
	int failures;
	struct wlr_rect damage[WLR_DAMAGE_MAX], pending[WLR_DAMAGE_MAX];
	int ndamage, npending;
	bool damage_all, pending_all;
};

static void wlr_request_frame(struct helper_capture_wlr *c);

static void wlr_add(struct wlr_rect *list, int *n, bool *all, int x, int y, int w, int h)
{
	if (*all)
		return;
	if (*n == WLR_DAMAGE_MAX) {
		*all = true;
		return;
	}
	list[(*n)++] = (struct wlr_rect){ x, y, w, h };
}

static bool wlr_masks(uint32_t format, uint32_t *r, uint32_t *g, uint32_t *b)
{
	/* wl_shm formats name the pixel as a little-endian 32-bit word, as we read it. */
	switch (format) {
	case WL_SHM_FORMAT_XRGB8888:
	case WL_SHM_FORMAT_ARGB8888:
		*r = 0x00ff0000u, *g = 0x0000ff00u, *b = 0x000000ffu;
		return true;
	case WL_SHM_FORMAT_XBGR8888:
	case WL_SHM_FORMAT_ABGR8888:
		*r = 0x000000ffu, *g = 0x0000ff00u, *b = 0x00ff0000u;
		return true;
	default:
		return false;
	}
}

static void wlr_drop_buffer(struct helper_capture_wlr *c)
{
	if (c->buffer != NULL)
		wl_buffer_destroy(c->buffer);
	if (c->shm_data != NULL)
		munmap(c->shm_data, c->shm_size);
	c->buffer = NULL;
	c->shm_data = NULL;
	c->shm_size = 0;
}

/* A wl_shm buffer of the size and format the compositor named. 0 or -1. */
static int wlr_make_buffer(struct helper_capture_wlr *c)
{
	size_t size = (size_t)c->buf_stride * (size_t)c->buf_h;
	struct wl_shm_pool *pool;
	int fd;

	if (c->buffer != NULL && c->shm_format == c->buf_format && c->shm_w == c->buf_w && c->shm_h == c->buf_h &&
	    c->shm_stride == c->buf_stride)
		return 0;
	wlr_drop_buffer(c);
	fd = memfd_create("handoff-screencopy", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		return -1;
	}
	c->shm_data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c->shm_data == MAP_FAILED) {
		c->shm_data = NULL;
		close(fd);
		return -1;
	}
	c->shm_size = size;
	pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	c->buffer = wl_shm_pool_create_buffer(pool, 0, c->buf_w, c->buf_h, c->buf_stride, c->buf_format);
	wl_shm_pool_destroy(pool);
	close(fd);
	c->shm_format = c->buf_format;
	c->shm_w = c->buf_w;
	c->shm_h = c->buf_h;
	c->shm_stride = c->buf_stride;
	return 0;
}

/* The screen size follows the compositor's buffer: a new size is a resize for the driver. */
static int wlr_fit_copy(struct helper_capture_wlr *c)
{
	uint8_t *copy;

	if (c->copy != NULL && c->width == c->buf_w && c->height == c->buf_h)
		return 0;
	copy = calloc((size_t)c->buf_w * (size_t)c->buf_h, 4);
	if (copy == NULL)
		return -1;
	free(c->copy);
	c->copy = copy;
	if (c->have_frame)
		c->resized = true;
	c->width = c->buf_w;
	c->height = c->buf_h;
	return 0;
}

static void wlr_copy_rect(struct helper_capture_wlr *c, int x, int y, int w, int h)
{
	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x >= c->width || y >= c->height)
		return;
	if (x + w > c->width)
		w = c->width - x;
	if (y + h > c->height)
		h = c->height - y;
	for (int j = y; j < y + h; j++) {
		int src_row = c->y_invert ? c->height - 1 - j : j;

		memcpy(c->copy + ((size_t)j * (size_t)c->width + (size_t)x) * 4,
		       c->shm_data + (size_t)src_row * (size_t)c->shm_stride + (size_t)x * 4, (size_t)w * 4);
	}
}

static void wlr_frame_buffer(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format, uint32_t w,
			     uint32_t h, uint32_t stride)
{
	struct helper_capture_wlr *c = data;

	(void)f;
	/* Several may come (one per format): the first we can read wins. */
	if (c->buf_known || !wlr_masks(format, &c->red_mask, &c->green_mask, &c->blue_mask) || w == 0 || h == 0 ||
	    w > 16384 || h > 16384 || stride < w * 4)
		return;
	c->buf_format = format;
	c->buf_w = (int)w;
	c->buf_h = (int)h;
	c->buf_stride = (int)stride;
	c->buf_known = true;
}

/* Every buffer event has come (version 3), or the first did (earlier): copy into ours. */
static void wlr_frame_copy(struct helper_capture_wlr *c)
{
	if (!c->buf_known) {
		log_warn("the compositor offers the screen in no format the helper reads");
		c->failed = true;
		return;
	}
	if (wlr_make_buffer(c) != 0 || wlr_fit_copy(c) != 0) {
		log_warn("cannot make a buffer for the screen: %s", strerror(errno));
		c->failed = true;
		return;
	}
	if (c->frame_full || c->manager_version < 2)
		zwlr_screencopy_frame_v1_copy(c->frame, c->buffer);
	else
		zwlr_screencopy_frame_v1_copy_with_damage(c->frame, c->buffer);
}

static void wlr_frame_flags(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t flags)
{
	struct helper_capture_wlr *c = data;

	(void)f;
	c->y_invert = (flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT) != 0;
}

static void wlr_frame_damage(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t x, uint32_t y, uint32_t w,
			     uint32_t h)
{
	struct helper_capture_wlr *c = data;

	(void)f;
	if (x > 16384 || y > 16384 || w > 16384 || h > 16384)
		return;
	wlr_add(c->pending, &c->npending, &c->pending_all, (int)x, (int)y, (int)w, (int)h);
}

static void wlr_frame_end(struct helper_capture_wlr *c)
{
	zwlr_screencopy_frame_v1_destroy(c->frame);
	c->frame = NULL;
	c->buf_known = false;
	c->npending = 0;
	c->pending_all = false;
	/* Watching: the next request waits in the compositor for the next change. */
	if (c->watched && !c->failed)
		wlr_request_frame(c);
}

static void wlr_frame_ready(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t sec_hi, uint32_t sec_lo,
			    uint32_t nsec)
{
	struct helper_capture_wlr *c = data;

	(void)f;
	(void)sec_hi;
	(void)sec_lo;
	(void)nsec;
	c->failures = 0;
	/* No damage events (a full copy, or version 1): the whole screen, the driver compares tiles. */
	if (c->frame_full || c->pending_all || c->npending == 0 || c->y_invert) {
		wlr_copy_rect(c, 0, 0, c->width, c->height);
		c->damage_all = true;
	} else {
		for (int i = 0; i < c->npending; i++) {
			struct wlr_rect *r = &c->pending[i];

			wlr_copy_rect(c, r->x, r->y, r->w, r->h);
			wlr_add(c->damage, &c->ndamage, &c->damage_all, r->x, r->y, r->w, r->h);
		}
	}
	c->have_frame = true;
	c->frame_full = false;
	wlr_frame_end(c);
}

static void wlr_frame_failed(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	struct helper_capture_wlr *c = data;

	(void)f;
	/* A frame fails while the output is being reconfigured; many in a row: it is gone. */
	if (++c->failures > WLR_FAILURES_MAX) {
		log_warn("the compositor failed %d screen copies in a row", c->failures);
		c->failed = true;
	}
	c->frame_full = true;
	wlr_frame_end(c);
}

static void wlr_frame_linux_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format, uint32_t w,
				   uint32_t h)
{
	(void)data;
	(void)f;
	(void)format;
	(void)w;
	(void)h;
}

static void wlr_frame_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	(void)f;
	wlr_frame_copy(data);
}

static const struct zwlr_screencopy_frame_v1_listener wlr_frame_listener = {
	.buffer = wlr_frame_buffer,
	.flags = wlr_frame_flags,
	.ready = wlr_frame_ready,
	.failed = wlr_frame_failed,
	.damage = wlr_frame_damage,
	.linux_dmabuf = wlr_frame_linux_dmabuf,
	.buffer_done = wlr_frame_buffer_done,
};

static void wlr_request_frame(struct helper_capture_wlr *c)
{
	if (c->frame != NULL)
		return;
	/* Without the pointer, as X11's grabs are: the viewer draws its own. */
	c->frame = zwlr_screencopy_manager_v1_capture_output(c->manager, 0, c->output);
	zwlr_screencopy_frame_v1_add_listener(c->frame, &wlr_frame_listener, c);
	if (c->manager_version < 3) {
		/* No buffer_done before version 3: the buffer event alone says what to make. */
		wl_display_roundtrip(c->display);
		if (c->frame != NULL && c->buf_known)
			wlr_frame_copy(c);
	}
}

static void wlr_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface, uint32_t version)
{
	struct helper_capture_wlr *c = data;

	if (strcmp(iface, wl_shm_interface.name) == 0 && c->shm == NULL) {
		c->shm = wl_registry_bind(reg, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, wl_output_interface.name) == 0 && c->output == NULL) {
		c->output = wl_registry_bind(reg, name, &wl_output_interface, 1);
	} else if (strcmp(iface, zwlr_screencopy_manager_v1_interface.name) == 0 && c->manager == NULL) {
		c->manager_version = version < 3 ? version : 3;
		c->manager = wl_registry_bind(reg, name, &zwlr_screencopy_manager_v1_interface, c->manager_version);
	}
}

static void wlr_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	(void)data;
	(void)reg;
	(void)name;
}

static const struct wl_registry_listener wlr_registry_listener = {
	.global = wlr_global,
	.global_remove = wlr_global_remove,
};

static void wlr_close(void *state)
{
	struct helper_capture_wlr *c = state;

	if (c == NULL)
		return;
	if (c->frame != NULL)
		zwlr_screencopy_frame_v1_destroy(c->frame);
	wlr_drop_buffer(c);
	if (c->manager != NULL)
		zwlr_screencopy_manager_v1_destroy(c->manager);
	if (c->output != NULL)
		wl_output_destroy(c->output);
	if (c->shm != NULL)
		wl_shm_destroy(c->shm);
	if (c->registry != NULL)
		wl_registry_destroy(c->registry);
	if (c->display != NULL)
		wl_display_disconnect(c->display);
	free(c->copy);
	free(c);
}

static int wlr_open(const char *display, void **state, char *err, size_t errlen)
{
	struct helper_capture_wlr *c = calloc(1, sizeof(*c));
	int waited = 0;

	*state = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->display = wl_display_connect(display);
	if (c->display == NULL) {
		snprintf(err, errlen, "cannot connect to the Wayland display %s: %s", display != NULL ? display : "(default)",
			 strerror(errno));
		goto fail;
	}
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &wlr_registry_listener, c);
	wl_display_roundtrip(c->display);
	if (c->manager == NULL || c->shm == NULL || c->output == NULL) {
		snprintf(err, errlen, "the compositor offers no wlroots screen copy%s",
			 c->output == NULL ? " (and no output)" : "");
		goto fail;
	}
	/* The first picture, in full: the driver needs the size now. */
	c->frame_full = true;
	wlr_request_frame(c);
	while (!c->have_frame && !c->failed && waited < WLR_FIRST_FRAME_MS) {
		struct pollfd p = { .fd = wl_display_get_fd(c->display), .events = POLLIN };

		while (wl_display_prepare_read(c->display) != 0)
			wl_display_dispatch_pending(c->display);
		wl_display_flush(c->display);
		if (poll(&p, 1, 100) > 0) {
			if (wl_display_read_events(c->display) != 0)
				break;
		} else {
			wl_display_cancel_read(c->display);
			waited += 100;
		}
		if (wl_display_dispatch_pending(c->display) < 0)
			break;
	}
	if (!c->have_frame) {
		snprintf(err, errlen, "the compositor sent no copy of the screen");
		goto fail;
	}
	c->frame_full = false;
	c->resized = false;
	*state = c;
	return 0;
fail:
	wlr_close(c);
	return -1;
}

static int wlr_fd(void *state)
{
	struct helper_capture_wlr *c = state;

	return wl_display_get_fd(c->display);
}

static int wlr_poll_interval_ms(void *state)
{
	(void)state;
	return 0;
}

static int wlr_process_events(void *state, struct helper_capture_events *ev)
{
	struct helper_capture_wlr *c = state;
	struct pollfd p = { .fd = wl_display_get_fd(c->display), .events = POLLIN };

	while (wl_display_prepare_read(c->display) != 0) {
		if (wl_display_dispatch_pending(c->display) < 0)
			return -1;
	}
	if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
		if (wl_display_read_events(c->display) != 0)
			return -1;
	} else {
		wl_display_cancel_read(c->display);
	}
	if (wl_display_dispatch_pending(c->display) < 0 || c->failed)
		return -1;
	/* Requests made in the handlers (the next frame) go out now, not at the next event. */
	if (wl_display_flush(c->display) < 0 && errno != EAGAIN)
		return -1;
	if (c->resized) {
		ev->resized = true;
		c->resized = false;
	}
	if (c->damage_all) {
		ev->damage(ev->ctx, 0, 0, c->width, c->height);
	} else {
		for (int i = 0; i < c->ndamage; i++)
			ev->damage(ev->ctx, c->damage[i].x, c->damage[i].y, c->damage[i].w, c->damage[i].h);
	}
	c->damage_all = false;
	c->ndamage = 0;
	return 0;
}

static bool wlr_events_queued(void *state)
{
	struct helper_capture_wlr *c = state;

	/* Something the handlers above left for the driver: run again before sleeping. */
	return c->damage_all || c->ndamage > 0 || c->resized;
}

static void wlr_format(void *state, struct helper_capture_format *fmt)
{
	struct helper_capture_wlr *c = state;

	*fmt = (struct helper_capture_format){ .width = c->width, .height = c->height, .red_mask = c->red_mask,
					       .green_mask = c->green_mask, .blue_mask = c->blue_mask, .live = true };
}

static int wlr_grab(void *state, int x, int y, int w, int h, const uint8_t **pixels, size_t *stride)
{
	struct helper_capture_wlr *c = state;

	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > c->width || y + h > c->height)
		return -1;
	*pixels = c->copy + ((size_t)y * (size_t)c->width + (size_t)x) * 4;
	*stride = (size_t)c->width * 4;
	return 0;
}

static void wlr_set_watched(void *state, bool watched)
{
	struct helper_capture_wlr *c = state;

	if (watched == c->watched)
		return;
	c->watched = watched;
	log_debug("screen copies %s", watched ? "resumed: a viewer watches" : "paused: nobody watches");
	if (watched) {
		/* The screen may have changed while nobody watched: all of it, once. */
		c->frame_full = c->frame == NULL ? true : c->frame_full;
		wlr_request_frame(c);
		wl_display_flush(c->display);
	}
	/* Not watched: the request outstanding (if any) is answered once, and none follows. */
}

const struct helper_capture_backend helper_capture_wlr_backend = {
	.name = "Wayland (wlroots screen copy)",
	.open = wlr_open,
	.close = wlr_close,
	.fd = wlr_fd,
	.poll_interval_ms = wlr_poll_interval_ms,
	.process_events = wlr_process_events,
	.events_queued = wlr_events_queued,
	.format = wlr_format,
	.grab = wlr_grab,
	.set_watched = wlr_set_watched,
};
