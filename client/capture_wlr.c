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
 * Monitors are the compositor's wl_outputs, in the order it announces them
 * (sway: the order `swaymsg -t get_outputs` lists), each placed where
 * xdg-output says it is in the layout (else wl_output's geometry) and as
 * large as its current mode. All of them are shared as one desktop, the
 * box around them, as on X11 (a gap between outputs is black); --monitor N
 * shares output N alone, followed by name (xdg-output's, else wl_output
 * v4's) through layout changes, and while it is gone nothing is shown, as
 * on X11. An output at a scale other than 1 is copied in its own pixels
 * while its place is in the layout's logical ones, so beside another output
 * the two may overlap; one output alone is always right.
 *
 * Each output is copied on its own, without the pointer drawn in
 * (overlay_cursor 0, as X11's grabs are). Each frame is one request:
 * capture_output, the buffer event names the format and size, we copy into
 * a wl_shm buffer of that output's (copy_with_damage: the compositor
 * answers only once something changed, with damage rectangles), and the
 * changed pixels go into our own copy of the shared area, which grab
 * reads. An output's buffer always holds its whole last picture, so a new
 * area (another monitor chosen, a layout change) is composed from them at
 * once. While a viewer watches, one request per shared output is always
 * outstanding, so an idle screen costs nothing and a change arrives at
 * once; while nobody watches, no request is made at all. The first frame
 * after a pause is a full copy (copy, not copy_with_damage), since the
 * screen may have changed meanwhile.
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
#include "xdg-output-unstable-v1-client-protocol.h"

#define WLR_DAMAGE_MAX 32
#define WLR_FAILURES_MAX 10
#define WLR_OUTPUTS_MAX SCREENINFO_MONITORS_MAX
#define WLR_SIDE_MAX 16384
/* How long the first frame may take: the compositor answers a full copy at its next repaint. */
#define WLR_FIRST_FRAME_MS 10000

struct wlr_rect {
	int x, y, w, h;
};

struct helper_capture_wlr;

/* One output of the compositor, its place in the layout and its own screen copies. */
struct wlr_out {
	struct helper_capture_wlr *c;
	uint32_t global;            /* its registry name, the same for every client */
	struct wl_output *output;
	struct zxdg_output_v1 *xdg;
	char name[SCREENINFO_NAME_MAX + 1];
	bool xdg_named;             /* name is xdg-output's: it wins over wl_output's */
	int geo_x, geo_y;           /* wl_output's geometry */
	int lx, ly;                 /* xdg-output's logical position */
	bool has_logical;
	int x, y, w, h;             /* its box in the layout: position and current mode */
	bool ready;                 /* its box is known (a done came) */

	struct zwlr_screencopy_frame_v1 *frame; /* the request outstanding, or NULL */
	bool frame_full;            /* it was asked with copy: the whole output */
	uint32_t buf_format;
	int buf_w, buf_h, buf_stride;
	bool buf_known;
	bool y_invert;

	struct wl_buffer *buffer;   /* ours, reused while format and size stay; its whole last picture */
	uint8_t *shm_data;
	size_t shm_size;
	uint32_t shm_format;
	int shm_w, shm_h, shm_stride;
	bool have_frame;            /* shm_data holds a picture */
	int failures;
	struct wlr_rect pending[WLR_DAMAGE_MAX];
	int npending;
	bool pending_all;
};

struct helper_capture_wlr {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *shm;
	struct zwlr_screencopy_manager_v1 *manager;
	uint32_t manager_version;
	struct zxdg_output_manager_v1 *xdg_manager;
	struct wlr_out *outs[WLR_OUTPUTS_MAX];
	int nouts;

	int monitor;                /* 0: all outputs; else the chosen one (1-based when chosen) */
	char monitor_name[SCREENINFO_NAME_MAX + 1]; /* followed through layout changes */
	int ext_x, ext_y, ext_w, ext_h; /* the box around every output, in the layout */
	int ax, ay;                 /* where the shared area starts in the layout */
	struct helper_capture_format fmt;
	struct screeninfo layout;   /* the monitors in shared-area pixels */
	bool masks_known;

	uint8_t *copy;              /* fmt.width * fmt.height * 4: the shared area as last copied */
	bool layout_dirty, resized, layout_changed, failed, watched;
	struct wlr_rect damage[WLR_DAMAGE_MAX];
	int ndamage;
	bool damage_all;
};

static void wlr_request_frame(struct wlr_out *o);

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

/* Whether o is part of what is shared: every output, or the chosen one by name. */
static bool wlr_shared(const struct helper_capture_wlr *c, const struct wlr_out *o)
{
	return o->ready && (c->monitor == 0 || strcmp(o->name, c->monitor_name) == 0);
}

static void wlr_drop_buffer(struct wlr_out *o)
{
	if (o->buffer != NULL)
		wl_buffer_destroy(o->buffer);
	if (o->shm_data != NULL)
		munmap(o->shm_data, o->shm_size);
	o->buffer = NULL;
	o->shm_data = NULL;
	o->shm_size = 0;
	o->have_frame = false;
}

/* A wl_shm buffer of the size and format the compositor named. 0 or -1. */
static int wlr_make_buffer(struct wlr_out *o)
{
	size_t size = (size_t)o->buf_stride * (size_t)o->buf_h;
	struct wl_shm_pool *pool;
	int fd;

	if (o->buffer != NULL && o->shm_format == o->buf_format && o->shm_w == o->buf_w && o->shm_h == o->buf_h &&
	    o->shm_stride == o->buf_stride)
		return 0;
	wlr_drop_buffer(o);
	fd = memfd_create("handoff-screencopy", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		return -1;
	}
	o->shm_data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (o->shm_data == MAP_FAILED) {
		o->shm_data = NULL;
		close(fd);
		return -1;
	}
	o->shm_size = size;
	pool = wl_shm_create_pool(o->c->shm, fd, (int32_t)size);
	o->buffer = wl_shm_pool_create_buffer(pool, 0, o->buf_w, o->buf_h, o->buf_stride, o->buf_format);
	wl_shm_pool_destroy(pool);
	close(fd);
	o->shm_format = o->buf_format;
	o->shm_w = o->buf_w;
	o->shm_h = o->buf_h;
	o->shm_stride = o->buf_stride;
	return 0;
}

/*
 * Copies the rectangle (in o's own pixels) of o's last picture into the
 * shared area, clipped to o's box and to the area, and notes it as damage.
 */
static void wlr_copy_rect(struct helper_capture_wlr *c, struct wlr_out *o, int x, int y, int w, int h)
{
	int ow = o->shm_w < o->w ? o->shm_w : o->w, oh = o->shm_h < o->h ? o->shm_h : o->h;
	int dx = o->x - c->ax, dy = o->y - c->ay;
	int x0 = x, y0 = y, x1 = x + w, y1 = y + h;

	if (!o->have_frame || !c->fmt.live || c->copy == NULL)
		return;
	x0 = x0 > 0 ? x0 : 0;
	y0 = y0 > 0 ? y0 : 0;
	x0 = x0 > -dx ? x0 : -dx;
	y0 = y0 > -dy ? y0 : -dy;
	x1 = x1 < ow ? x1 : ow;
	y1 = y1 < oh ? y1 : oh;
	x1 = x1 < c->fmt.width - dx ? x1 : c->fmt.width - dx;
	y1 = y1 < c->fmt.height - dy ? y1 : c->fmt.height - dy;
	if (x0 >= x1 || y0 >= y1)
		return;
	for (int j = y0; j < y1; j++) {
		int src_row = o->y_invert ? o->shm_h - 1 - j : j;

		memcpy(c->copy + ((size_t)(j + dy) * (size_t)c->fmt.width + (size_t)(x0 + dx)) * 4,
		       o->shm_data + (size_t)src_row * (size_t)o->shm_stride + (size_t)x0 * 4, (size_t)(x1 - x0) * 4);
	}
	wlr_add(c->damage, &c->ndamage, &c->damage_all, x0 + dx, y0 + dy, x1 - x0, y1 - y0);
}

/* Where an output is: xdg-output's logical position when it gave one, else wl_output's. */
static void wlr_out_place(struct wlr_out *o)
{
	o->x = o->has_logical ? o->lx : o->geo_x;
	o->y = o->has_logical ? o->ly : o->geo_y;
}

/*
 * Works the shared area out again from the outputs: its size (a resize
 * for the driver), the monitors, the chosen one's liveness, then composes
 * it from the outputs' last pictures and asks the shared ones for frames.
 * 0, or -1 (out of memory).
 */
static int wlr_update_area(struct helper_capture_wlr *c)
{
	struct helper_capture_format fmt = c->fmt;
	struct screeninfo layout = { .count = 0 };
	int x0 = 0, y0 = 0, x1 = 0, y1 = 0, n = 0, found = -1;

	c->layout_dirty = false;
	for (int i = 0; i < c->nouts; i++) {
		struct wlr_out *o = c->outs[i];

		if (!o->ready)
			continue;
		wlr_out_place(o);
		if (n++ == 0 || o->x < x0)
			x0 = o->x;
		if (n == 1 || o->y < y0)
			y0 = o->y;
		if (n == 1 || o->x + o->w > x1)
			x1 = o->x + o->w;
		if (n == 1 || o->y + o->h > y1)
			y1 = o->y + o->h;
		if (c->monitor != 0 && found < 0 && strcmp(o->name, c->monitor_name) == 0)
			found = i;
	}
	if (n > 0) {
		c->ext_x = x0;
		c->ext_y = y0;
		c->ext_w = x1 - x0;
		c->ext_h = y1 - y0;
	}
	if (n == 0 || x1 - x0 > WLR_SIDE_MAX || y1 - y0 > WLR_SIDE_MAX) {
		/* No output (all unplugged), or a layout too large to copy: black, no input. */
		fmt.live = false;
	} else if (c->monitor == 0) {
		fmt.live = true;
		fmt.width = x1 - x0;
		fmt.height = y1 - y0;
		c->ax = x0;
		c->ay = y0;
		for (int i = 0; i < c->nouts && layout.count < SCREENINFO_MONITORS_MAX; i++) {
			const struct wlr_out *o = c->outs[i];
			struct screeninfo_monitor *m = &layout.monitors[layout.count];

			if (!o->ready)
				continue;
			*m = (struct screeninfo_monitor){ .x = (uint32_t)(o->x - x0), .y = (uint32_t)(o->y - y0),
							  .width = (uint32_t)o->w, .height = (uint32_t)o->h };
			memcpy(m->name, o->name, sizeof(m->name));
			layout.count++;
		}
	} else if (found >= 0) {
		const struct wlr_out *o = c->outs[found];

		fmt.live = true;
		fmt.width = o->w;
		fmt.height = o->h;
		c->ax = o->x;
		c->ay = o->y;
		layout.count = 1;
		layout.monitors[0] = (struct screeninfo_monitor){ .width = (uint32_t)o->w, .height = (uint32_t)o->h };
		memcpy(layout.monitors[0].name, o->name, sizeof(layout.monitors[0].name));
	} else {
		/* The chosen output is gone: the viewers keep their window, black. */
		fmt.live = false;
		layout = c->layout;
	}
	/* The virtual pointer spans the whole layout's box (input_wlr.c): input is moved by the area's place in it. */
	fmt.origin_x = c->ax - c->ext_x;
	fmt.origin_y = c->ay - c->ext_y;
	fmt.space_width = c->ext_w;
	fmt.space_height = c->ext_h;
	if (fmt.live != c->fmt.live || fmt.origin_x != c->fmt.origin_x || fmt.origin_y != c->fmt.origin_y ||
	    fmt.space_width != c->fmt.space_width || fmt.space_height != c->fmt.space_height ||
	    memcmp(&layout, &c->layout, sizeof(layout)) != 0)
		c->layout_changed = true;
	c->layout = layout;
	if (c->copy == NULL || fmt.width != c->fmt.width || fmt.height != c->fmt.height) {
		uint8_t *copy = calloc((size_t)fmt.width * (size_t)fmt.height, 4);

		if (copy == NULL)
			return -1;
		free(c->copy);
		c->copy = copy;
		if (fmt.width != c->fmt.width || fmt.height != c->fmt.height)
			c->resized = true;
	} else {
		memset(c->copy, 0, (size_t)fmt.width * (size_t)fmt.height * 4);
	}
	c->fmt = fmt;
	for (int i = 0; i < c->nouts; i++) {
		struct wlr_out *o = c->outs[i];

		if (!wlr_shared(c, o))
			continue;
		wlr_copy_rect(c, o, 0, 0, o->w, o->h);
		if (c->watched)
			wlr_request_frame(o);
	}
	c->damage_all = true;
	return 0;
}

static void wlr_frame_buffer(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t format, uint32_t w,
			     uint32_t h, uint32_t stride)
{
	struct wlr_out *o = data;
	struct helper_capture_wlr *c = o->c;
	uint32_t r, g, b;

	(void)f;
	/* Several may come (one per format): the first we can read wins, in the layout of the others. */
	if (o->buf_known || !wlr_masks(format, &r, &g, &b) || w == 0 || h == 0 || w > WLR_SIDE_MAX ||
	    h > WLR_SIDE_MAX || stride < w * 4)
		return;
	if (c->masks_known && (r != c->fmt.red_mask || g != c->fmt.green_mask || b != c->fmt.blue_mask))
		return;
	c->fmt.red_mask = r, c->fmt.green_mask = g, c->fmt.blue_mask = b;
	c->masks_known = true;
	o->buf_format = format;
	o->buf_w = (int)w;
	o->buf_h = (int)h;
	o->buf_stride = (int)stride;
	o->buf_known = true;
}

/* Every buffer event has come (version 3), or the first did (earlier): copy into ours. */
static void wlr_frame_copy(struct wlr_out *o)
{
	if (!o->buf_known) {
		log_warn("the compositor offers output %s in no format the helper reads", o->name);
		o->c->failed = true;
		return;
	}
	if (wlr_make_buffer(o) != 0) {
		log_warn("cannot make a buffer for output %s: %s", o->name, strerror(errno));
		o->c->failed = true;
		return;
	}
	if (o->frame_full || o->c->manager_version < 2)
		zwlr_screencopy_frame_v1_copy(o->frame, o->buffer);
	else
		zwlr_screencopy_frame_v1_copy_with_damage(o->frame, o->buffer);
}

static void wlr_frame_flags(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t flags)
{
	struct wlr_out *o = data;

	(void)f;
	o->y_invert = (flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT) != 0;
}

static void wlr_frame_damage(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t x, uint32_t y, uint32_t w,
			     uint32_t h)
{
	struct wlr_out *o = data;

	(void)f;
	if (x > WLR_SIDE_MAX || y > WLR_SIDE_MAX || w > WLR_SIDE_MAX || h > WLR_SIDE_MAX)
		return;
	wlr_add(o->pending, &o->npending, &o->pending_all, (int)x, (int)y, (int)w, (int)h);
}

static void wlr_frame_end(struct wlr_out *o)
{
	struct helper_capture_wlr *c = o->c;

	zwlr_screencopy_frame_v1_destroy(o->frame);
	o->frame = NULL;
	o->buf_known = false;
	o->npending = 0;
	o->pending_all = false;
	/* Watching: the next request waits in the compositor for the next change. */
	if (c->watched && !c->failed && wlr_shared(c, o))
		wlr_request_frame(o);
}

static void wlr_frame_ready(void *data, struct zwlr_screencopy_frame_v1 *f, uint32_t sec_hi, uint32_t sec_lo,
			    uint32_t nsec)
{
	struct wlr_out *o = data;
	struct helper_capture_wlr *c = o->c;

	(void)f;
	(void)sec_hi;
	(void)sec_lo;
	(void)nsec;
	o->failures = 0;
	o->have_frame = true;
	if (wlr_shared(c, o)) {
		/* No damage events (a full copy, or version 1): all of the output, the driver compares tiles. */
		if (o->frame_full || o->pending_all || o->npending == 0 || o->y_invert) {
			wlr_copy_rect(c, o, 0, 0, o->w, o->h);
		} else {
			for (int i = 0; i < o->npending; i++)
				wlr_copy_rect(c, o, o->pending[i].x, o->pending[i].y, o->pending[i].w, o->pending[i].h);
		}
	}
	o->frame_full = false;
	wlr_frame_end(o);
}

static void wlr_frame_failed(void *data, struct zwlr_screencopy_frame_v1 *f)
{
	struct wlr_out *o = data;

	(void)f;
	/* A frame fails while the output is being reconfigured; many in a row: it is gone. */
	if (++o->failures > WLR_FAILURES_MAX) {
		log_warn("the compositor failed %d screen copies of output %s in a row", o->failures, o->name);
		o->c->failed = true;
	}
	o->frame_full = true;
	wlr_frame_end(o);
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

static void wlr_request_frame(struct wlr_out *o)
{
	struct helper_capture_wlr *c = o->c;

	if (o->frame != NULL)
		return;
	/* A new buffer (or none yet) holds nothing: its first copy is of everything. */
	if (!o->have_frame)
		o->frame_full = true;
	/* Without the pointer, as X11's grabs are: the viewer draws its own. */
	o->frame = zwlr_screencopy_manager_v1_capture_output(c->manager, 0, o->output);
	zwlr_screencopy_frame_v1_add_listener(o->frame, &wlr_frame_listener, o);
	if (c->manager_version < 3) {
		/* No buffer_done before version 3: the buffer event alone says what to make. */
		wl_display_roundtrip(c->display);
		if (o->frame != NULL && o->buf_known)
			wlr_frame_copy(o);
	}
}

/* A name in the screen info's words: printable ASCII, at most SCREENINFO_NAME_MAX. */
static void wlr_out_name(struct wlr_out *o, const char *name)
{
	size_t k = 0;

	for (const char *p = name; *p != '\0' && k < SCREENINFO_NAME_MAX; p++)
		if (*p >= 0x20 && *p < 0x7f)
			o->name[k++] = *p;
	o->name[k] = '\0';
}

static void wlr_out_geometry(void *data, struct wl_output *wo, int32_t x, int32_t y, int32_t pw, int32_t ph,
			     int32_t subpixel, const char *make, const char *model, int32_t transform)
{
	struct wlr_out *o = data;

	(void)wo, (void)pw, (void)ph, (void)subpixel, (void)make, (void)model, (void)transform;
	if (x < -WLR_SIDE_MAX || x > WLR_SIDE_MAX || y < -WLR_SIDE_MAX || y > WLR_SIDE_MAX)
		return;
	o->geo_x = x;
	o->geo_y = y;
}

static void wlr_out_mode(void *data, struct wl_output *wo, uint32_t flags, int32_t w, int32_t h, int32_t refresh)
{
	struct wlr_out *o = data;

	(void)wo, (void)refresh;
	if (!(flags & WL_OUTPUT_MODE_CURRENT) || w <= 0 || h <= 0 || w > WLR_SIDE_MAX || h > WLR_SIDE_MAX)
		return;
	o->w = w;
	o->h = h;
	/* Version 1 has no done: its current mode is the news. */
	if (wl_output_get_version(wo) < 2) {
		o->ready = true;
		o->c->layout_dirty = true;
	}
}

static void wlr_out_done(void *data, struct wl_output *wo)
{
	struct wlr_out *o = data;

	(void)wo;
	if (o->w > 0 && o->h > 0) {
		o->ready = true;
		o->c->layout_dirty = true;
	}
}

static void wlr_out_scale(void *data, struct wl_output *wo, int32_t factor)
{
	(void)data, (void)wo, (void)factor;
}

static void wlr_out_wl_name(void *data, struct wl_output *wo, const char *name)
{
	struct wlr_out *o = data;

	(void)wo;
	if (!o->xdg_named)
		wlr_out_name(o, name);
}

static void wlr_out_description(void *data, struct wl_output *wo, const char *description)
{
	(void)data, (void)wo, (void)description;
}

static const struct wl_output_listener wlr_out_listener = {
	.geometry = wlr_out_geometry,
	.mode = wlr_out_mode,
	.done = wlr_out_done,
	.scale = wlr_out_scale,
	.name = wlr_out_wl_name,
	.description = wlr_out_description,
};

static void wlr_xdg_position(void *data, struct zxdg_output_v1 *x, int32_t lx, int32_t ly)
{
	struct wlr_out *o = data;

	(void)x;
	if (lx < -WLR_SIDE_MAX || lx > WLR_SIDE_MAX || ly < -WLR_SIDE_MAX || ly > WLR_SIDE_MAX)
		return;
	o->lx = lx;
	o->ly = ly;
	o->has_logical = true;
}

static void wlr_xdg_size(void *data, struct zxdg_output_v1 *x, int32_t w, int32_t h)
{
	(void)data, (void)x, (void)w, (void)h;
}

static void wlr_xdg_done(void *data, struct zxdg_output_v1 *x)
{
	/* Version 3 sends wl_output's done instead; earlier ones this. */
	(void)x;
	wlr_out_done(data, NULL);
}

static void wlr_xdg_name(void *data, struct zxdg_output_v1 *x, const char *name)
{
	struct wlr_out *o = data;

	(void)x;
	wlr_out_name(o, name);
	o->xdg_named = true;
}

static void wlr_xdg_description(void *data, struct zxdg_output_v1 *x, const char *description)
{
	(void)data, (void)x, (void)description;
}

static const struct zxdg_output_v1_listener wlr_xdg_listener = {
	.logical_position = wlr_xdg_position,
	.logical_size = wlr_xdg_size,
	.done = wlr_xdg_done,
	.name = wlr_xdg_name,
	.description = wlr_xdg_description,
};

static void wlr_out_xdg(struct helper_capture_wlr *c, struct wlr_out *o)
{
	if (c->xdg_manager == NULL || o->xdg != NULL)
		return;
	o->xdg = zxdg_output_manager_v1_get_xdg_output(c->xdg_manager, o->output);
	zxdg_output_v1_add_listener(o->xdg, &wlr_xdg_listener, o);
}

static void wlr_out_free(struct wlr_out *o)
{
	if (o->frame != NULL)
		zwlr_screencopy_frame_v1_destroy(o->frame);
	wlr_drop_buffer(o);
	if (o->xdg != NULL)
		zxdg_output_v1_destroy(o->xdg);
	if (o->output != NULL) {
		if (wl_output_get_version(o->output) >= WL_OUTPUT_RELEASE_SINCE_VERSION)
			wl_output_release(o->output);
		else
			wl_output_destroy(o->output);
	}
	free(o);
}

static void wlr_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface, uint32_t version)
{
	struct helper_capture_wlr *c = data;

	if (strcmp(iface, wl_shm_interface.name) == 0 && c->shm == NULL) {
		c->shm = wl_registry_bind(reg, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, wl_output_interface.name) == 0) {
		struct wlr_out *o;

		if (c->nouts == WLR_OUTPUTS_MAX || (o = calloc(1, sizeof(*o))) == NULL) {
			log_warn("output %u left out: the helper shares at most %d", name, WLR_OUTPUTS_MAX);
			return;
		}
		o->c = c;
		o->global = name;
		/* Until it names itself (xdg-output, wl_output 4): its number, stable while it lives. */
		snprintf(o->name, sizeof(o->name), "output-%u", name);
		o->output = wl_registry_bind(reg, name, &wl_output_interface, version < 4 ? version : 4);
		wl_output_add_listener(o->output, &wlr_out_listener, o);
		wlr_out_xdg(c, o);
		c->outs[c->nouts++] = o;
	} else if (strcmp(iface, zwlr_screencopy_manager_v1_interface.name) == 0 && c->manager == NULL) {
		c->manager_version = version < 3 ? version : 3;
		c->manager = wl_registry_bind(reg, name, &zwlr_screencopy_manager_v1_interface, c->manager_version);
	} else if (strcmp(iface, zxdg_output_manager_v1_interface.name) == 0 && c->xdg_manager == NULL) {
		c->xdg_manager = wl_registry_bind(reg, name, &zxdg_output_manager_v1_interface, version < 3 ? version : 3);
		for (int i = 0; i < c->nouts; i++)
			wlr_out_xdg(c, c->outs[i]);
	}
}

static void wlr_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	struct helper_capture_wlr *c = data;

	(void)reg;
	for (int i = 0; i < c->nouts; i++) {
		if (c->outs[i]->global != name)
			continue;
		log_info("output %s went away", c->outs[i]->name);
		wlr_out_free(c->outs[i]);
		memmove(&c->outs[i], &c->outs[i + 1], (size_t)(c->nouts - i - 1) * sizeof(c->outs[0]));
		c->nouts--;
		c->layout_dirty = true;
		return;
	}
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
	for (int i = 0; i < c->nouts; i++)
		wlr_out_free(c->outs[i]);
	if (c->manager != NULL)
		zwlr_screencopy_manager_v1_destroy(c->manager);
	if (c->xdg_manager != NULL)
		zxdg_output_manager_v1_destroy(c->xdg_manager);
	if (c->shm != NULL)
		wl_shm_destroy(c->shm);
	if (c->registry != NULL)
		wl_registry_destroy(c->registry);
	if (c->display != NULL)
		wl_display_disconnect(c->display);
	free(c->copy);
	free(c);
}

/* Whether every shared output has sent its first picture (or one failed for good). */
static bool wlr_all_copied(const struct helper_capture_wlr *c)
{
	for (int i = 0; i < c->nouts; i++)
		if (wlr_shared(c, c->outs[i]) && !c->outs[i]->have_frame)
			return false;
	return true;
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
	/* The globals, then what each output says of itself (geometry, mode, xdg-output, done). */
	wl_display_roundtrip(c->display);
	wl_display_roundtrip(c->display);
	if (c->manager == NULL || c->shm == NULL || c->nouts == 0) {
		snprintf(err, errlen, "the compositor offers no wlroots screen copy%s",
			 c->nouts == 0 ? " (and no output)" : "");
		goto fail;
	}
	if (wlr_update_area(c) != 0 || !c->fmt.live) {
		snprintf(err, errlen, "the compositor's outputs say nothing of their size or place");
		goto fail;
	}
	/* The first pictures, in full: the driver needs them now. */
	for (int i = 0; i < c->nouts; i++)
		if (wlr_shared(c, c->outs[i]))
			wlr_request_frame(c->outs[i]);
	while (!wlr_all_copied(c) && !c->failed && waited < WLR_FIRST_FRAME_MS) {
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
	if (!wlr_all_copied(c) || c->failed) {
		snprintf(err, errlen, "the compositor sent no copy of the screen");
		goto fail;
	}
	if (c->layout_dirty && wlr_update_area(c) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->resized = c->layout_changed = false;
	for (int i = 0; i < c->nouts; i++)
		log_info("output %d: %s, %dx%d at %+d%+d", i + 1, c->outs[i]->name, c->outs[i]->w, c->outs[i]->h,
			 c->outs[i]->x, c->outs[i]->y);
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
	if (c->layout_dirty && wlr_update_area(c) != 0)
		return -1;
	/* Requests made in the handlers (the next frame) go out now, not at the next event. */
	if (wl_display_flush(c->display) < 0 && errno != EAGAIN)
		return -1;
	if (c->resized)
		ev->resized = true;
	if (c->layout_changed)
		ev->layout_changed = true;
	c->resized = c->layout_changed = false;
	if (c->damage_all) {
		ev->damage(ev->ctx, 0, 0, c->fmt.width, c->fmt.height);
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
	return c->damage_all || c->ndamage > 0 || c->resized || c->layout_changed || c->layout_dirty;
}

static void wlr_format(void *state, struct helper_capture_format *fmt)
{
	struct helper_capture_wlr *c = state;

	*fmt = c->fmt;
}

static int wlr_grab(void *state, int x, int y, int w, int h, const uint8_t **pixels, size_t *stride)
{
	struct helper_capture_wlr *c = state;

	/* Not live: the copy was cleared, so this is black, never another output. */
	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > c->fmt.width || y + h > c->fmt.height)
		return -1;
	*pixels = c->copy + ((size_t)y * (size_t)c->fmt.width + (size_t)x) * 4;
	*stride = (size_t)c->fmt.width * 4;
	return 0;
}

static int wlr_select_monitor(void *state, int index, char *err, size_t errlen)
{
	struct helper_capture_wlr *c = state;
	int n = 0;

	for (int i = 0; i < c->nouts; i++)
		if (c->outs[i]->ready && ++n == index)
			snprintf(c->monitor_name, sizeof(c->monitor_name), "%s", c->outs[i]->name);
	if (index < 0 || index > n) {
		snprintf(err, errlen, "there is no monitor %d: this display has %d (see swaymsg -t get_outputs)", index,
			 n);
		return -1;
	}
	c->monitor = index;
	if (wlr_update_area(c) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->resized = c->layout_changed = false;
	if (index > 0)
		log_info("sharing monitor %d (%s), %dx%d at %+d%+d", index, c->monitor_name, c->fmt.width, c->fmt.height,
			 c->ax, c->ay);
	return 0;
}

static void wlr_layout(void *state, struct screeninfo *si)
{
	struct helper_capture_wlr *c = state;

	*si = c->layout;
}

static void wlr_set_watched(void *state, bool watched)
{
	struct helper_capture_wlr *c = state;

	if (watched == c->watched)
		return;
	c->watched = watched;
	log_debug("screen copies %s", watched ? "resumed: a viewer watches" : "paused: nobody watches");
	if (watched) {
		for (int i = 0; i < c->nouts; i++) {
			struct wlr_out *o = c->outs[i];

			if (!wlr_shared(c, o))
				continue;
			/* The screen may have changed while nobody watched: all of it, once. */
			o->frame_full = o->frame == NULL ? true : o->frame_full;
			wlr_request_frame(o);
		}
		wl_display_flush(c->display);
	}
	/* Not watched: the requests outstanding (if any) are answered once, and none follows. */
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
	.select_monitor = wlr_select_monitor,
	.layout = wlr_layout,
	.set_watched = wlr_set_watched,
};
