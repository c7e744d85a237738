/*
 * test_client_capture.c: unit tests for client/capture.c, the capture
 * driver's pacing: the screen is grabbed only when a viewer has asked for an
 * update, only the pixels that changed are marked, a grab that changes
 * nothing leaves the viewer's request standing,
 * a flush grabs without a request (a new viewer's first frame), and a frame
 * is marked only once all of it is in the framebuffer, and a backend
 * that can stop its feed is told when someone starts or stops watching.
 * A scrolled screen is moved in the framebuffer and announced as a copy
 * before the frame's marks, which cover only the rows that scrolled in;
 * while a viewer's update is going out the frame waits, and a flush sends
 * it as pixels.
 *
 * A fake backend stands in for X11 (a pixel array and a damage queue) and
 * the screen functions capture.c calls are replaced by recorders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"
#include "screen.h"

#define W 256
#define H 192

struct fake {
	uint32_t px[W * H];        /* "the display" */
	int damage[8][4];
	int ndamage;
	int grabs;
	int watch_calls;
	bool watched;
};

struct helper_screen {
	uint32_t fb[W * H];
	bool request;              /* a viewer asked since the last take */
	int marks;
	int marked_area;
	bool torn;                 /* a mark came while some damaged pixel was still old */
	int layouts;               /* helper_screen_set_layout calls */
	bool damage_pending;       /* what helper_capture_run said last */
	struct screeninfo layout;  /* the last one */
	int clients;               /* viewers connected */
	bool copy_busy;            /* helper_screen_copy_begin refuses, as with an update going out */
	bool scaled;               /* a viewer's picture is scaled: scrolls go as pixels */
	int copies, copy_dy;       /* copies begun, and the last one's distance */
	bool copy_open;            /* begun and not ended */
	bool announced;            /* the open copy was announced */
	bool mark_before_announce; /* a mark came while a copy was begun but not announced */
};

static struct fake fake;
static struct helper_screen screen;

/* The fake backend. */
static int fake_open(const char *display, void **state, char *err, size_t errlen)
{
	(void)display;
	(void)err;
	(void)errlen;
	*state = &fake;
	return 0;
}
static void fake_close(void *state) { (void)state; }
static int fake_fd(void *state) { (void)state; return -1; }
static int fake_interval(void *state) { (void)state; return 0; }
static bool fake_queued(void *state) { (void)state; return false; }
static void fake_format(void *state, struct helper_capture_format *fmt)
{
	(void)state;
	*fmt = (struct helper_capture_format){ .width = W, .height = H, .red_mask = 0xff0000,
					       .green_mask = 0xff00, .blue_mask = 0xff };
}
static int fake_process(void *state, struct helper_capture_events *ev)
{
	struct fake *f = state;

	for (int i = 0; i < f->ndamage; i++)
		ev->damage(ev->ctx, f->damage[i][0], f->damage[i][1], f->damage[i][2], f->damage[i][3]);
	f->ndamage = 0;
	return 0;
}
static int fake_grab(void *state, int x, int y, int w, int h, const uint8_t **pixels, size_t *stride)
{
	struct fake *f = state;

	(void)w;
	(void)h;
	f->grabs++;
	*pixels = (const uint8_t *)&f->px[y * W + x];
	*stride = W * 4;
	return 0;
}

static void fake_set_watched(void *state, bool watched)
{
	struct fake *f = state;

	f->watch_calls++;
	f->watched = watched;
}

static const struct helper_capture_backend fake_backend = {
	.name = "fake", .open = fake_open, .close = fake_close, .fd = fake_fd,
	.poll_interval_ms = fake_interval, .process_events = fake_process,
	.events_queued = fake_queued, .format = fake_format, .grab = fake_grab,
	.set_watched = fake_set_watched,
};

/* Desktop Duplication's way: frames fetched by a call, so the loop wakes for it, but no full compare. */
static int fake_wake(void *state) { (void)state; return 40; }

static const struct helper_capture_backend wake_backend = {
	.name = "fake-wake", .open = fake_open, .close = fake_close, .fd = fake_fd,
	.poll_interval_ms = fake_interval, .wake_ms = fake_wake, .process_events = fake_process,
	.events_queued = fake_queued, .format = fake_format, .grab = fake_grab,
};

/* The screen functions capture.c uses. */
uint8_t *helper_screen_framebuffer(struct helper_screen *s, int *width, int *height, size_t *stride)
{
	*width = W;
	*height = H;
	*stride = W * 4;
	return (uint8_t *)s->fb;
}

void helper_screen_mark(struct helper_screen *s, int x, int y, int w, int h)
{
	(void)x;
	(void)y;
	s->marks++;
	s->marked_area += w * h;
	if (s->copy_open && !s->announced)
		s->mark_before_announce = true;
	if (memcmp(s->fb, fake.px, sizeof(s->fb)) != 0)
		s->torn = true;
}

bool helper_screen_copies(struct helper_screen *s)
{
	return !s->scaled;
}

int helper_screen_copy_begin(struct helper_screen *s, int x, int y, int w, int h, int dy)
{
	if (s->copy_busy || s->copy_open)
		return -1;
	assert_true(y - dy >= 0 && y + h - dy <= H && x >= 0 && x + w <= W);
	for (int i = 0; i < h; i++) {
		int j = dy < 0 ? y + i : y + h - 1 - i;

		memmove(&s->fb[j * W + x], &s->fb[(j - dy) * W + x], (size_t)w * 4);
	}
	s->copies++;
	s->copy_dy = dy;
	s->copy_open = true;
	s->announced = false;
	return 0;
}

void helper_screen_copy_announce(struct helper_screen *s)
{
	assert_true(s->copy_open);
	s->announced = true;
}

void helper_screen_copy_end(struct helper_screen *s)
{
	assert_true(s->copy_open && s->announced);
	s->copy_open = false;
}

void helper_screen_set_layout(struct helper_screen *s, const struct screeninfo *layout,
			      const struct helper_capture_format *fmt)
{
	(void)fmt;
	s->layouts++;
	s->layout = *layout;
}

int helper_screen_resize(struct helper_screen *s, int width, int height)
{
	(void)s;
	(void)width;
	(void)height;
	return 0;
}

/* Pointer shapes are not this test's subject (test_cursor.sh covers them). */
int helper_screen_set_cursor(struct helper_screen *s, int w, int h, int xhot, int yhot,
			     const uint32_t *argb)
{
	(void)s;
	(void)w;
	(void)h;
	(void)xhot;
	(void)yhot;
	(void)argb;
	return 0;
}

int helper_screen_clients(struct helper_screen *s)
{
	return s->clients;
}

bool helper_screen_take_requests(struct helper_screen *s)
{
	bool r = s->request;

	s->request = false;
	return r;
}

/* The refinement is screen.c's own (tested end to end in test_wan_quality.sh): none here. */
int helper_screen_refine_timeout(struct helper_screen *s)
{
	(void)s;
	return -1;
}

void helper_screen_refine(struct helper_screen *s)
{
	(void)s;
}

void helper_screen_set_damage_pending(struct helper_screen *s, bool pending)
{
	s->damage_pending = pending;
}

static void draw(int x, int y, int w, int h, uint32_t colour)
{
	for (int j = y; j < y + h; j++)
		for (int i = x; i < x + w; i++)
			fake.px[j * W + i] = colour;
	fake.damage[fake.ndamage][0] = x;
	fake.damage[fake.ndamage][1] = y;
	fake.damage[fake.ndamage][2] = w;
	fake.damage[fake.ndamage][3] = h;
	fake.ndamage++;
}

/* A capture attached to the screen, with the first full frame already sent. */
static int setup(void **state)
{
	struct helper_capture *c = NULL;
	char err[128];

	memset(&fake, 0, sizeof(fake));
	memset(&screen, 0, sizeof(screen));
	if (helper_capture_open(&c, &fake_backend, "fake", err, sizeof(err)) != 0)
		return -1;
	helper_capture_attach(c, &screen);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	helper_capture_close(*state);
	return 0;
}

/* A backend that knows no monitors is one monitor covering the screen, told to the screen at attach. */
static void test_layout_without_monitors(void **state)
{
	(void)state;
	assert_int_equal(screen.layouts, 1);
	assert_int_equal(screen.layout.count, 1);
	assert_int_equal(screen.layout.monitors[0].x, 0);
	assert_int_equal(screen.layout.monitors[0].width, W);
	assert_int_equal(screen.layout.monitors[0].height, H);
}

/* One monitor alone needs a backend that can tell them apart: refused with a reason. */
static void test_select_monitor_unsupported(void **state)
{
	char err[256] = "";

	assert_int_equal(helper_capture_select_monitor(*state, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot share one monitor"));
}

/* The backend hears of watchers only when that changes: a viewer, a pause, the viewer gone. */
static void test_watched_follows_viewers_and_pause(void **state)
{
	struct helper_capture *c = *state;

	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(fake.watch_calls, 0);
	screen.clients = 1;
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(fake.watch_calls, 1);
	assert_true(fake.watched);
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(fake.watch_calls, 1);
	helper_capture_set_paused(c, true);
	assert_int_equal(helper_capture_run(c), 0);
	assert_false(fake.watched);
	helper_capture_set_paused(c, false);
	assert_int_equal(helper_capture_flush(c), 0);
	assert_true(fake.watched);
	screen.clients = 0;
	assert_int_equal(helper_capture_run(c), 0);
	assert_false(fake.watched);
	assert_int_equal(fake.watch_calls, 4);
}

/*
 * A backend's wake_ms bounds the loop's sleep, and waking for it grabs only
 * what the backend reported: the screen is not compared whole as for a
 * poll_interval_ms backend.
 */
static void test_wake_without_compare(void **state)
{
	struct helper_capture *c = NULL;
	char err[128];

	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(&screen, 0, sizeof(screen));
	assert_int_equal(helper_capture_open(&c, &wake_backend, "fake", err, sizeof(err)), 0);
	helper_capture_attach(c, &screen);
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	fake.grabs = 0;
	assert_int_equal(helper_capture_timeout(c), 40);
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(fake.grabs, 0);
	draw(70, 70, 2, 2, 0x00ff00);
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(fake.grabs, 1);
	assert_int_equal(screen.fb[70 * W + 70], 0x00ff00);
	helper_capture_close(c);
}

static void test_no_request_no_grab(void **state)
{
	struct helper_capture *c = *state;

	draw(10, 10, 5, 5, 0x123456);
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(fake.grabs, 0);
	assert_int_equal(screen.marks, 0);
	/* Damage waits for a request: the loop may sleep. */
	assert_int_equal(helper_capture_timeout(c), -1);
	/* The screen is told it is changing though nothing was marked: no refinement now. */
	assert_true(screen.damage_pending);
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_false(screen.damage_pending);
}

static void test_request_grabs_once(void **state)
{
	struct helper_capture *c = *state;

	draw(70, 70, 5, 5, 0xff0000);
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_true(fake.grabs > 0);
	assert_int_equal(screen.marks, 1);
	/* Only the pixels that changed, not the tile around them. */
	assert_int_equal(screen.marked_area, 5 * 5);
	assert_int_equal(screen.fb[72 * W + 72], 0xff0000);
	/* The request is answered: new damage waits for the next one. */
	fake.grabs = 0;
	draw(0, 0, 1, 1, 0x00ff00);
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(fake.grabs, 0);
	assert_int_equal(helper_capture_timeout(c), -1);
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(screen.marks, 2);
	assert_int_equal(screen.fb[0], 0x00ff00);
}

/* Damage that changes no pixel must not swallow the viewer's request. */
static void test_unchanged_keeps_request(void **state)
{
	struct helper_capture *c = *state;

	screen.request = true;
	draw(0, 0, W, H, 0);        /* the framebuffer is already black */
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(screen.marks, 0);
	draw(100, 100, 2, 2, 0xabcdef);
	/* No new request: the old one still stands, so this damage goes out at once. */
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(screen.marks, 1);
	assert_int_equal(screen.fb[100 * W + 100], 0xabcdef);
}

/* Changes in two adjacent tiles: one rectangle around both. */
static void test_marks_box_across_tiles(void **state)
{
	struct helper_capture *c = *state;

	draw(60, 10, 8, 3, 0x111111);  /* tiles 0 and 1 of the first row */
	draw(62, 20, 1, 1, 0x222222);
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(screen.marks, 1);
	assert_int_equal(screen.marked_area, 8 * 11);
}

/* Later rows widen the box on either side of what earlier rows found. */
static void test_box_grows_both_ways(void **state)
{
	struct helper_capture *c = *state;

	draw(140, 130, 2, 1, 0x333333);
	draw(131, 131, 1, 1, 0x444444);
	draw(150, 140, 1, 1, 0x555555);
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_int_equal(screen.marks, 1);
	/* x 131..150, y 130..140 */
	assert_int_equal(screen.marked_area, 20 * 11);
}

static void test_flush_grabs_unasked(void **state)
{
	struct helper_capture *c = *state;

	draw(5, 150, 3, 3, 0x010203);
	assert_int_equal(helper_capture_flush(c), 0);
	assert_int_equal(screen.fb[150 * W + 5], 0x010203);
	assert_int_equal(screen.marks, 1);
}

/* Every tile of a frame is copied before the first mark: no torn updates. */
static void test_marked_whole(void **state)
{
	struct helper_capture *c = *state;

	for (int i = 0; i < W * H; i++)
		fake.px[i] = (uint32_t)i;
	draw(0, 0, W, 1, 7);
	draw(0, H - 1, W, 1, 9);
	draw(W / 2, H / 2, 1, 1, 11);
	/* Mark everything dirty the way a full-screen change does. */
	fake.damage[fake.ndamage][0] = 0;
	fake.damage[fake.ndamage][1] = 0;
	fake.damage[fake.ndamage][2] = W;
	fake.damage[fake.ndamage][3] = H;
	fake.ndamage++;
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_true(screen.marks >= 3);
	assert_false(screen.torn);
	assert_int_equal(screen.marked_area, W * H);
}

/* Rows that differ from each other, as lines of text mostly do. */
static uint32_t row_pixel(int x, int y)
{
	uint32_t v = (uint32_t)y * 2654435761u ^ (uint32_t)x * 40503u;

	return (v ^ v >> 15) & 0x00ffffffu;
}

/* The whole screen dirty, as a full-screen change reports it. */
static void damage_all(void)
{
	fake.damage[fake.ndamage][0] = 0;
	fake.damage[fake.ndamage][1] = 0;
	fake.damage[fake.ndamage][2] = W;
	fake.damage[fake.ndamage][3] = H;
	fake.ndamage++;
}

/* The screen shows a page that then scrolls up by 10 rows, 10 new rows at the bottom. */
static void page_then_scroll(struct helper_capture *c)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			fake.px[y * W + x] = row_pixel(x, y);
	damage_all();
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
	assert_memory_equal(screen.fb, fake.px, sizeof(screen.fb));
	screen.marks = screen.marked_area = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			fake.px[y * W + x] = row_pixel(x, y + 10) ^ (y >= H - 10 ? 0x00808080u : 0);
	damage_all();
	screen.request = true;
	assert_int_equal(helper_capture_run(c), 0);
}

static void test_scroll_copied(void **state)
{
	page_then_scroll(*state);
	assert_int_equal(screen.copies, 1);
	assert_int_equal(screen.copy_dy, -10);
	assert_false(screen.copy_open);
	assert_false(screen.mark_before_announce);
	/* Only the rows that scrolled in go out as pixels. */
	assert_int_equal(screen.marked_area, 10 * W);
	assert_memory_equal(screen.fb, fake.px, sizeof(screen.fb));
}

/*
 * A scroll found while a viewer's update goes out waits for it: nothing of
 * the frame is published, the loop comes back within SCROLL_RETRY_MS. A
 * flush (a new viewer's first picture) does not wait: pixels.
 */
static void test_scroll_busy_waits(void **state)
{
	struct helper_capture *c = *state;
	int t;

	screen.copy_busy = true;
	page_then_scroll(c);
	assert_int_equal(screen.copies, 0);
	assert_int_equal(screen.marks, 0);
	assert_memory_not_equal(screen.fb, fake.px, sizeof(screen.fb));
	t = helper_capture_timeout(c);
	assert_true(t >= 0 && t <= 10);
	assert_int_equal(helper_capture_flush(c), 0);
	assert_int_equal(screen.copies, 0);
	assert_int_equal(screen.marked_area, W * H);
	assert_memory_equal(screen.fb, fake.px, sizeof(screen.fb));
}

/* While a viewer's picture is scaled a scroll goes out as pixels at once: no move, no wait. */
static void test_scroll_scaled_as_pixels(void **state)
{
	screen.scaled = true;
	page_then_scroll(*state);
	assert_int_equal(screen.copies, 0);
	assert_false(screen.copy_open);
	assert_int_equal(screen.marked_area, W * H);
	assert_memory_equal(screen.fb, fake.px, sizeof(screen.fb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout_without_monitors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_monitor_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watched_follows_viewers_and_pause, setup, teardown),
		cmocka_unit_test(test_wake_without_compare),
		cmocka_unit_test_setup_teardown(test_no_request_no_grab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_grabs_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_keeps_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marks_box_across_tiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_box_grows_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_grabs_unasked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marked_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll_busy_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scroll_scaled_as_pixels, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
