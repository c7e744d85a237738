/*
 * capture.c: the display-neutral capture driver (see capture.h).
 *
 * Damage arrives as rectangles and is recorded in a grid of TILE x TILE
 * cells. When a frame is due, each row of the grid is scanned for runs of
 * dirty cells; a run is grabbed in one request (one round trip per run, not
 * per tile), then every tile of the run is compared with the framebuffer
 * row by row. Only tiles that differ are copied and reported to
 * libvncserver, so a blinking cursor or a toolkit that repaints identical
 * pixels costs a compare, never an update on the wire.
 *
 * Pacing: the screen is grabbed when a viewer has asked for an update
 * (libvncserver's FramebufferUpdateRequest hook, see screen.c) and damage
 * is waiting, never on a timer. A viewer asks again only once it has
 * received the previous update, so a slow link or a slow viewer slows the
 * grabs down to what it can take, and what it gets is always the newest
 * screen: damage that arrives meanwhile only accumulates in the grid. No
 * stale frames queue anywhere between the screen and the viewer. With no
 * viewer asking, nothing is grabbed at all; helper_capture_flush brings the
 * framebuffer up to date before a new viewer's first (full) update.
 *
 * A frame is marked in libvncserver only once all of it is copied, so that
 * its encoder never sends the top of a new frame over the bottom of an old
 * one.
 *
 * Scrolling: when the dirty tiles hold a block of at least SCROLL_TILE_ROWS
 * rows of tiles over a common span of columns, that block is grabbed at
 * once and held against the framebuffer (scroll.h). If its rows moved, the
 * framebuffer is moved likewise and the viewers are told to copy
 * (CopyRect, helper_screen_copy_begin); the tiles are then compared with
 * the moved framebuffer as usual, so only the rows the move does not
 * explain (the lines that scrolled in) go out as pixels. One block a
 * frame, the largest: libvncserver keeps one copy distance per viewer.
 */
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "screen.h"
#include "scroll.h"

#define TILE 64
/* The smallest block of dirty tiles looked at for a scroll: 3 x 2 tiles, 192 x 128 pixels. */
#define SCROLL_TILE_ROWS 3
#define SCROLL_TILE_COLS 2
/*
 * Once two blocks in a row whose rows nearly all changed turned out not to
 * scroll (a video; one alone is a new page, and scrolling may follow), the
 * next this many ms are not looked at: at 30 frames/s the look costs about
 * 5 % of a core for nothing. On a slow link frames come further apart than
 * this, so every one is looked at.
 */
#define SCROLL_MISS_PAUSE_MS 250
/*
 * A scroll found while a viewer's update is going out waits for it, looked
 * at again every SCROLL_RETRY_MS, for at most SCROLL_WAIT_MS, then goes as
 * pixels. Sent as pixels at once, a scroll on a slow link made an update of
 * a whole screen, during which the next scroll found the encoder busy in
 * turn: every frame after one busy moment went out as pixels.
 */
#define SCROLL_RETRY_MS 10
#define SCROLL_WAIT_MS 150

/* The part of one tile that changed, in screen coordinates; empty when x1 == 0. */
struct helper_capture_box {
	uint16_t x0, y0, x1, y1;
};

struct helper_capture {
	const struct helper_capture_backend *be;
	void *state;
	struct helper_screen *screen;   /* not owned */
	int width, height;
	int cols, rows;
	uint8_t *dirty;                 /* cols * rows flags */
	struct helper_capture_box *changed; /* cols * rows: what this grab copied, to be marked */
	size_t ndirty;
	bool wanted;                    /* a viewer asked and no update answered it yet */
	bool paused;                    /* the customer paused sharing: grab nothing */
	bool watched;                   /* what the backend was last told (set_watched) */
	unsigned long long scrolls;     /* moves sent as CopyRect, for the log */
	int64_t scroll_after_ms;        /* the last miss's pause ends (SCROLL_MISS_PAUSE_MS) */
	int scroll_misses;              /* misses in a row, each within a pause of the one before */
	int64_t scroll_busy_ms;         /* when a scroll first waited for a busy encoder; 0: none waits */
	int64_t scroll_retry_ms;        /* no frame before this: a scroll waits (SCROLL_RETRY_MS) */
	int64_t next_poll_ms;           /* fallback backends: next full compare */
};

static int64_t helper_capture_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sizes the tile grid for the current geometry, all clean. 0 or -1. */
static int helper_capture_grid(struct helper_capture *c, int width, int height)
{
	int cols = (width + TILE - 1) / TILE;
	int rows = (height + TILE - 1) / TILE;
	uint8_t *grid = calloc((size_t)cols * (size_t)rows, 1);
	struct helper_capture_box *changed = calloc((size_t)cols * (size_t)rows, sizeof(*changed));

	if (grid == NULL || changed == NULL) {
		free(grid);
		free(changed);
		return -1;
	}
	free(c->dirty);
	free(c->changed);
	c->dirty = grid;
	c->changed = changed;
	c->width = width;
	c->height = height;
	c->cols = cols;
	c->rows = rows;
	c->ndirty = 0;
	return 0;
}

static void helper_capture_damage(void *ctx, int x, int y, int w, int h)
{
	struct helper_capture *c = ctx;
	int x2 = x + w, y2 = y + h;

	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x2 > c->width)
		x2 = c->width;
	if (y2 > c->height)
		y2 = c->height;
	if (x >= x2 || y >= y2)
		return;
	for (int r = y / TILE; r <= (y2 - 1) / TILE; r++) {
		for (int col = x / TILE; col <= (x2 - 1) / TILE; col++) {
			uint8_t *cell = &c->dirty[(size_t)r * (size_t)c->cols + (size_t)col];

			if (!*cell) {
				*cell = 1;
				c->ndirty++;
			}
		}
	}
}

int helper_capture_open(struct helper_capture **out, const struct helper_capture_backend *be,
			const char *display, char *err, size_t errlen)
{
	struct helper_capture *c = calloc(1, sizeof(*c));
	struct helper_capture_format fmt;
	int rc = -1;

	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	c->be = be;
	if ((rc = be->open(display, &c->state, err, errlen)) != 0) {
		rc = rc == HELPER_CAPTURE_REFUSED ? rc : -1;
		goto out;
	}
	rc = -1;
	be->format(c->state, &fmt);
	if (helper_capture_grid(c, fmt.width, fmt.height) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	log_info("capturing %s display %s (%dx%d)", be->name, display, fmt.width, fmt.height);
	*out = c;
	c = NULL;
	rc = 0;
out:
	helper_capture_close(c);
	return rc;
}

void helper_capture_format(const struct helper_capture *c, struct helper_capture_format *fmt)
{
	c->be->format(c->state, fmt);
}

int helper_capture_select_monitor(struct helper_capture *c, int index, char *err, size_t errlen)
{
	struct helper_capture_format fmt;

	if (c->be->select_monitor == NULL) {
		snprintf(err, errlen, "the %s display cannot share one monitor alone", c->be->name);
		return -1;
	}
	if (c->be->select_monitor(c->state, index, err, errlen) != 0)
		return -1;
	c->be->format(c->state, &fmt);
	if (helper_capture_grid(c, fmt.width, fmt.height) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Tells the screen (and through it every viewer) where the monitors are and where input goes. */
static void helper_capture_publish_layout(struct helper_capture *c)
{
	struct helper_capture_format fmt;
	struct screeninfo si = { .count = 0 };

	if (c->screen == NULL)
		return;
	c->be->format(c->state, &fmt);
	if (c->be->layout != NULL)
		c->be->layout(c->state, &si);
	if (si.count == 0) {
		si.count = 1;
		si.monitors[0] = (struct screeninfo_monitor){ .width = (uint32_t)fmt.width,
							      .height = (uint32_t)fmt.height };
	}
	helper_screen_set_layout(c->screen, &si, &fmt);
}

void helper_capture_attach(struct helper_capture *c, struct helper_screen *screen)
{
	c->screen = screen;
	helper_capture_publish_layout(c);
	/* The framebuffer starts black: the first frame must cover everything. */
	helper_capture_damage(c, 0, 0, c->width, c->height);
}

int helper_capture_fd(const struct helper_capture *c)
{
	return c->be->fd(c->state);
}

int helper_capture_timeout(const struct helper_capture *c)
{
	int64_t now = helper_capture_now_ms();
	int64_t wait = -1;
	int interval = c->be->poll_interval_ms(c->state);

	if (c->be->events_queued(c->state))
		return 0;
	if (c->screen != NULL && c->ndirty > 0 && c->wanted && !c->paused)
		wait = c->scroll_retry_ms > now ? c->scroll_retry_ms - now : 0;
	if (c->be->wake_ms != NULL) {
		int wake = c->be->wake_ms(c->state);

		if (wake >= 0 && (wait < 0 || wake < wait))
			wait = wake;
	}
	if (interval > 0) {
		int64_t until_poll = c->next_poll_ms - now;

		if (until_poll < 0)
			until_poll = 0;
		if (wait < 0 || until_poll < wait)
			wait = until_poll;
	}
	if (c->screen != NULL && !c->paused) {
		int refine = helper_screen_refine_timeout(c->screen);

		if (refine >= 0 && (wait < 0 || refine < wait))
			wait = refine;
	}
	if (wait > 60000)
		wait = 60000;
	return (int)wait;
}

/*
 * Widens [*left, *right] to cover the pixels where two rows of n pixels
 * differ. Only the pixels outside the box so far are looked at, so a tile
 * costs at most about two scans of its width however many rows differ.
 */
static void helper_capture_row_extent(const uint8_t *a, const uint8_t *b, int n, int *left, int *right)
{
	for (int l = 0; l < *left; l++) {
		if (memcmp(a + (size_t)l * 4, b + (size_t)l * 4, 4) != 0) {
			*left = l;
			break;
		}
	}
	for (int r = n - 1; r > *right; r--) {
		if (memcmp(a + (size_t)r * 4, b + (size_t)r * 4, 4) != 0) {
			*right = r;
			break;
		}
	}
}

/*
 * Compares the tiles of one grabbed run with the framebuffer, copies the
 * rows that differ, and notes in c->changed the box of pixels that really
 * changed in each tile: a typed character is sent as its own few pixels,
 * not as the 64x64 tile around it. Returns how many tiles changed.
 */
static int helper_capture_publish_run(struct helper_capture *c, int x, int y, int w, int h,
				      const uint8_t *src, size_t src_stride)
{
	int fb_w, fb_h, n = 0;
	size_t fb_stride;
	uint8_t *fb = helper_screen_framebuffer(c->screen, &fb_w, &fb_h, &fb_stride);

	for (int tx = x; tx < x + w; tx += TILE) {
		int tw = (x + w - tx) < TILE ? (x + w - tx) : TILE;
		size_t bytes = (size_t)tw * 4;
		int top = -1, bottom = -1, left = tw, right = -1;

		for (int j = 0; j < h; j++) {
			uint8_t *dst = fb + (size_t)(y + j) * fb_stride + (size_t)tx * 4;
			const uint8_t *s = src + (size_t)j * src_stride + (size_t)(tx - x) * 4;
			if (memcmp(dst, s, bytes) == 0)
				continue;
			helper_capture_row_extent(dst, s, tw, &left, &right);
			memcpy(dst, s, bytes);
			if (top < 0)
				top = j;
			bottom = j;
		}
		if (top >= 0) {
			c->changed[(size_t)(y / TILE) * (size_t)c->cols + (size_t)(tx / TILE)] =
				(struct helper_capture_box){ .x0 = (uint16_t)(tx + left), .y0 = (uint16_t)(y + top),
							     .x1 = (uint16_t)(tx + right + 1),
							     .y1 = (uint16_t)(y + bottom + 1) };
			n++;
		}
	}
	return n;
}

/*
 * Tells libvncserver what changed: a run of adjacent changed tiles in a row
 * of tiles as one rectangle around their boxes.
 */
static void helper_capture_mark(struct helper_capture *c)
{
	for (int r = 0; r < c->rows; r++) {
		struct helper_capture_box *row = &c->changed[(size_t)r * (size_t)c->cols];

		for (int col = 0; col < c->cols;) {
			struct helper_capture_box u;

			if (row[col].x1 == 0) {
				col++;
				continue;
			}
			u = row[col];
			for (; col < c->cols && row[col].x1 != 0; col++) {
				u.x1 = row[col].x1;
				u.y0 = row[col].y0 < u.y0 ? row[col].y0 : u.y0;
				u.y1 = row[col].y1 > u.y1 ? row[col].y1 : u.y1;
				row[col] = (struct helper_capture_box){ 0 };
			}
			helper_screen_mark(c->screen, u.x0, u.y0, u.x1 - u.x0, u.y1 - u.y0);
		}
	}
}

/*
 * The largest block of dirty tiles, rows [*r0, *r1) by columns [*c0, *c1),
 * of at least SCROLL_TILE_ROWS x SCROLL_TILE_COLS; false when there is
 * none. Each row offers its longest run of dirty tiles, and a block is
 * what the runs of consecutive rows have in common: a few dozen rows, so
 * trying every first row costs nothing.
 */
static bool helper_capture_block(const struct helper_capture *c, int *r0, int *r1, int *c0, int *c1)
{
	int best = 0;

	for (int top = 0; top + SCROLL_TILE_ROWS <= c->rows; top++) {
		int a = 0, b = c->cols;

		for (int r = top; r < c->rows; r++) {
			const uint8_t *row = &c->dirty[(size_t)r * (size_t)c->cols];
			int ra = 0, rb = 0;

			/* This row's longest run of dirty tiles. */
			for (int col = 0; col < c->cols;) {
				int start;

				if (!row[col]) {
					col++;
					continue;
				}
				start = col;
				while (col < c->cols && row[col])
					col++;
				if (col - start > rb - ra) {
					ra = start;
					rb = col;
				}
			}
			a = ra > a ? ra : a;
			b = rb < b ? rb : b;
			if (b - a < SCROLL_TILE_COLS)
				break;
			if (r + 1 - top >= SCROLL_TILE_ROWS && (b - a) * (r + 1 - top) > best) {
				best = (b - a) * (r + 1 - top);
				*r0 = top;
				*r1 = r + 1;
				*c0 = a;
				*c1 = b;
			}
		}
	}
	return best > 0;
}

/*
 * Grabs the block, moves the framebuffer when its rows scrolled, and
 * compares it tile row by tile row. *moved: a move was begun (the caller
 * announces and ends it). Returns the tiles that changed, or -1 when the
 * move waits for a viewer's encoder (wait: it may) and nothing was done.
 */
static int helper_capture_scroll_block(struct helper_capture *c, int r0, int r1, int c0, int c1, bool wait,
				       bool *moved)
{
	const uint8_t *pixels;
	size_t stride, fb_stride;
	int fb_w, fb_h, changed = 0;
	int x = c0 * TILE, y = r0 * TILE;
	int w = (c1 * TILE < c->width ? c1 * TILE : c->width) - x;
	int h = (r1 * TILE < c->height ? r1 * TILE : c->height) - y;
	uint8_t *fb = helper_screen_framebuffer(c->screen, &fb_w, &fb_h, &fb_stride);
	struct helper_scroll sc;
	int found;
	int64_t now;

	*moved = false;
	if (c->be->grab(c->state, x, y, w, h, &pixels, &stride) != 0) {
		log_debug("grab of %dx%d+%d+%d failed", w, h, x, y);
		return 0;
	}
	now = helper_capture_now_ms();
	if ((c->scroll_misses >= 2 && now < c->scroll_after_ms) || !helper_screen_copies(c->screen)) {
		found = 0;
	} else {
		found = helper_scroll_find(fb + (size_t)y * fb_stride + (size_t)x * 4, fb_stride, pixels, stride, w, h,
					   &sc);
		if (found == 1) {
			c->scroll_misses = 0;
		} else if (found == 0 && 4 * sc.changed >= 3 * h) {
			log_debug("no scroll in %dx%d+%d+%d (%d rows changed)", w, h, x, y, sc.changed);
			c->scroll_misses = now < c->scroll_after_ms + SCROLL_MISS_PAUSE_MS ? c->scroll_misses + 1 : 1;
			c->scroll_after_ms = now + SCROLL_MISS_PAUSE_MS;
		}
	}
	if (found != 1)
		c->scroll_busy_ms = 0;
	if (found == 1 && helper_screen_copy_begin(c->screen, x + sc.x0, y + sc.y0, sc.x1 - sc.x0, sc.y1 - sc.y0,
						   sc.dy) != 0) {
		if (c->scroll_busy_ms == 0)
			c->scroll_busy_ms = now;
		if (wait && now - c->scroll_busy_ms < SCROLL_WAIT_MS) {
			c->scroll_retry_ms = now + SCROLL_RETRY_MS;
			return -1;
		}
		log_debug("a scroll by %d rows goes out as pixels: a viewer's update has been going out for %lld ms",
			  sc.dy, (long long)(now - c->scroll_busy_ms));
		c->scroll_busy_ms = 0;
	} else if (found == 1) {
		c->scroll_busy_ms = 0;
		*moved = true;
		c->scrolls++;
		log_debug("scroll %llu: %dx%d+%d+%d moved by %d rows as CopyRect (%d of %d changed rows explained)",
			  c->scrolls, sc.x1 - sc.x0, sc.y1 - sc.y0, x + sc.x0, y + sc.y0, sc.dy, sc.explained,
			  sc.changed);
	}
	for (int ty = y; ty < y + h; ty += TILE) {
		int th = y + h - ty < TILE ? y + h - ty : TILE;

		changed += helper_capture_publish_run(c, x, ty, w, th, pixels + (size_t)(ty - y) * stride, stride);
	}
	return changed;
}

/* Marks the block's tiles (all were dirty) dirty or clean. */
static void helper_capture_block_dirty(struct helper_capture *c, int r0, int r1, int c0, int c1, bool dirty)
{
	for (int r = r0; r < r1; r++)
		memset(&c->dirty[(size_t)r * (size_t)c->cols + (size_t)c0], dirty, (size_t)(c1 - c0));
	if (dirty)
		c->ndirty += (size_t)(r1 - r0) * (size_t)(c1 - c0);
	else
		c->ndirty -= (size_t)(r1 - r0) * (size_t)(c1 - c0);
}

/*
 * Grabs every run of dirty tiles and publishes what changed. Returns the
 * tiles that changed; 0 with everything still dirty when a scroll waits
 * for a viewer's encoder (wait: it may).
 */
static int helper_capture_frame(struct helper_capture *c, bool wait)
{
	int changed = 0, r0 = 0, r1 = 0, c0 = 0, c1 = 0;
	bool block, moved = false;

	/*
	 * The block first: a scroll that must wait leaves the whole frame for
	 * later, and a move begun holds the viewers' encoders while the rest
	 * of the frame is grabbed, until it is marked.
	 */
	block = helper_capture_block(c, &r0, &r1, &c0, &c1);
	if (block) {
		int n;

		helper_capture_block_dirty(c, r0, r1, c0, c1, false);
		if ((n = helper_capture_scroll_block(c, r0, r1, c0, c1, wait, &moved)) < 0) {
			helper_capture_block_dirty(c, r0, r1, c0, c1, true);
			return 0;
		}
		changed += n;
	}

	for (int r = 0; r < c->rows; r++) {
		uint8_t *row = &c->dirty[(size_t)r * (size_t)c->cols];
		int col = 0;

		while (col < c->cols) {
			const uint8_t *pixels;
			size_t stride;
			int start, x, y, w, h;

			if (!row[col]) {
				col++;
				continue;
			}
			start = col;
			while (col < c->cols && row[col]) {
				row[col] = 0;
				c->ndirty--;
				col++;
			}
			x = start * TILE;
			y = r * TILE;
			w = (col * TILE < c->width ? col * TILE : c->width) - x;
			h = (y + TILE < c->height ? y + TILE : c->height) - y;
			if (c->be->grab(c->state, x, y, w, h, &pixels, &stride) != 0) {
				/*
				 * A grab can fail while the screen is being resized; the
				 * resize event that follows repaints everything.
				 */
				log_debug("grab of %dx%d+%d+%d failed", w, h, x, y);
				continue;
			}
			changed += helper_capture_publish_run(c, x, y, w, h, pixels, stride);
		}
	}
	if (moved)
		helper_screen_copy_announce(c->screen);
	if (changed > 0)
		helper_capture_mark(c);
	if (moved)
		helper_screen_copy_end(c->screen);
	return changed + (moved ? 1 : 0);
}

/* The pointer's shape changed: the screen passes it on to viewers as a cursor. */
static void helper_capture_cursor(void *ctx, int w, int h, int xhot, int yhot, const uint32_t *argb)
{
	struct helper_capture *c = ctx;

	/* A pointer shape shows what the customer is pointing at: it waits too. */
	if (c->paused)
		return;
	if (c->screen != NULL && helper_screen_set_cursor(c->screen, w, h, xhot, yhot, argb) != 0)
		log_warn("could not pass on a %dx%d pointer shape", w, h);
}

/* The display changed size: new grid, new framebuffer, everything dirty. */
static int helper_capture_resized(struct helper_capture *c)
{
	struct helper_capture_format fmt;

	c->be->format(c->state, &fmt);
	if (fmt.width == c->width && fmt.height == c->height)
		return 0;
	log_info("screen size changed to %dx%d", fmt.width, fmt.height);
	if (helper_capture_grid(c, fmt.width, fmt.height) != 0)
		return -1;
	if (c->screen != NULL && helper_screen_resize(c->screen, fmt.width, fmt.height) != 0)
		return -1;
	helper_capture_damage(c, 0, 0, c->width, c->height);
	return 0;
}

/* Events, resizes and the fallback poll: everything but the grab. 0 or -1. */
static int helper_capture_events(struct helper_capture *c)
{
	struct helper_capture_events ev = {
		.damage = helper_capture_damage, .cursor = helper_capture_cursor, .ctx = c,
	};
	int interval = c->be->poll_interval_ms(c->state);
	int64_t now;

	if (c->be->process_events(c->state, &ev) != 0)
		return -1;
	if (ev.resized || ev.layout_changed) {
		struct helper_capture_format fmt;

		c->be->format(c->state, &fmt);
		log_info("shared area now %dx%d at +%d+%d%s", fmt.width, fmt.height, fmt.origin_x, fmt.origin_y,
			 fmt.live ? "" : " (the chosen monitor is gone: showing nothing)");
		/*
		 * The layout first: stock viewers read it from the
		 * ExtendedDesktopSize that the new framebuffer triggers.
		 */
		helper_capture_publish_layout(c);
		if (ev.resized && helper_capture_resized(c) != 0)
			return -1;
		/* The same size may now show other pixels (a moved monitor): compare everything. */
		helper_capture_damage(c, 0, 0, c->width, c->height);
	}
	if (c->screen == NULL)
		return 0;
	now = helper_capture_now_ms();
	if (interval > 0 && now >= c->next_poll_ms) {
		/* No damage reports: compare everything; unchanged tiles cost no update. */
		helper_capture_damage(c, 0, 0, c->width, c->height);
		c->next_poll_ms = now + interval;
	}
	return 0;
}

/* Tells a backend that can stop its feed whether anyone is watching now. */
static void helper_capture_watch(struct helper_capture *c)
{
	bool watched = c->screen != NULL && !c->paused && helper_screen_clients(c->screen) > 0;

	if (c->be->set_watched == NULL || watched == c->watched)
		return;
	c->watched = watched;
	c->be->set_watched(c->state, watched);
}

int helper_capture_run(struct helper_capture *c)
{
	if (c->screen != NULL)
		helper_capture_watch(c);
	if (helper_capture_events(c) != 0)
		return -1;
	if (c->screen == NULL)
		return 0;
	if (helper_screen_take_requests(c->screen))
		c->wanted = true;
	/*
	 * Damage and requests pile up while paused; the first run after resuming answers them.
	 * Damage that turns out to change no pixel answers nobody: the viewer
	 * still waits, so the next damage must be grabbed at once.
	 */
	if (c->ndirty > 0 && c->wanted && !c->paused && !(helper_capture_refused(c) & HELPER_CAPTURE_SECURE) &&
	    helper_capture_now_ms() >= c->scroll_retry_ms && helper_capture_frame(c, true) > 0)
		c->wanted = false;
	/*
	 * Damage not grabbed yet (the viewer has not asked again) means the
	 * screen is changing though nothing was marked lately: no refinement.
	 */
	helper_screen_set_damage_pending(c->screen, c->ndirty > 0);
	if (!c->paused)
		helper_screen_refine(c->screen);
	return 0;
}

int helper_capture_flush(struct helper_capture *c)
{
	if (c->screen != NULL)
		helper_capture_watch(c);
	if (helper_capture_events(c) != 0)
		return -1;
	/* On a secure desktop a new viewer too gets the picture from before, not Windows' black. */
	if (c->screen != NULL && c->ndirty > 0 && !c->paused && !(helper_capture_refused(c) & HELPER_CAPTURE_SECURE))
		helper_capture_frame(c, false);
	return 0;
}

unsigned helper_capture_refused(const struct helper_capture *c)
{
	return c->be->refused != NULL ? c->be->refused(c->state) : 0;
}

void helper_capture_set_paused(struct helper_capture *c, bool paused)
{
	c->paused = paused;
}

void helper_capture_close(struct helper_capture *c)
{
	if (c == NULL)
		return;
	if (c->state != NULL)
		c->be->close(c->state);
	free(c->dirty);
	free(c->changed);
	free(c);
}

void *helper_capture_state_of(struct helper_capture *c, const struct helper_capture_backend *be)
{
	return c != NULL && c->be == be ? c->state : NULL;
}
