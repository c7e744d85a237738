/*
 * The scroll detector (client/scroll.c) over synthetic pictures: lines of
 * "text" (random dark pixels on a grey background, blank rows between
 * lines) scrolled up and down, with new lines coming in and a header that
 * stays; text rewritten in place, noise and a blinking cursor are not
 * scrolls; a scrolled pane beside a static wallpaper is found within the
 * pane's columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scroll.h"

#define W 320
#define H 256
#define LINE 16
#define GREY 0x00c0c0c0u
#define INK 0x00101010u

static uint32_t before[H * W], after[H * W];

/* xorshift32: an LCG's low bits repeat every few hundred pixels, and so would its rows. */
static uint32_t next(uint32_t *seed)
{
	uint32_t x = *seed ? *seed : 1;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*seed = x;
	return x;
}

/* Row y of a page of text: rows 3..12 of each LINE-row line carry glyph pixels, the rest is grey. */
static void text_row(uint32_t *row, int x0, int x1, int y, uint32_t *seed)
{
	for (int x = x0; x < x1; x++)
		row[x] = GREY;
	if (y % LINE < 3 || y % LINE > 12)
		return;
	for (int x = x0; x < x1; x++)
		if (next(seed) >> 30 == 0)
			row[x] = INK;
}

static void page(uint32_t *px, int x0, int x1, uint32_t seed)
{
	for (int y = 0; y < H; y++)
		text_row(px + (size_t)y * W, x0, x1, y, &seed);
}

/* after = before moved by dy rows (dy < 0: up) over columns [x0, x1), new text where nothing came from. */
static void scroll(int dy, int x0, int x1, uint32_t seed)
{
	memcpy(after, before, sizeof(after));
	for (int y = 0; y < H; y++) {
		int from = y - dy;

		if (from >= 0 && from < H)
			memcpy(after + (size_t)y * W + x0, before + (size_t)from * W + x0, (size_t)(x1 - x0) * 4);
		else
			text_row(after + (size_t)y * W, x0, x1, y, &seed);
	}
}

static int find(struct helper_scroll *s)
{
	return helper_scroll_find((const uint8_t *)before, W * 4, (const uint8_t *)after, W * 4, W, H, s);
}

static void test_up_exact(void **state)
{
	struct helper_scroll s;

	(void)state;
	page(before, 0, W, 1);
	scroll(-3 * LINE, 0, W, 2);
	assert_int_equal(find(&s), 1);
	assert_int_equal(s.dy, -3 * LINE);
	assert_int_equal(s.x0, 0);
	assert_int_equal(s.x1, W);
	/* Everything but the three new lines at the bottom came from below. */
	assert_true(s.y0 < LINE);
	assert_true(s.y1 <= H - 3 * LINE);
	assert_true(s.y1 > H - 4 * LINE);
}

static void test_down_by_odd_rows(void **state)
{
	struct helper_scroll s;

	(void)state;
	page(before, 0, W, 3);
	/* Not a whole line: a smooth scroll stops anywhere. */
	scroll(37, 0, W, 4);
	assert_int_equal(find(&s), 1);
	assert_int_equal(s.dy, 37);
	assert_true(s.y0 >= 37);
	assert_true(s.y1 > H - LINE);
	/* Sources stay inside the rectangle. */
	assert_true(s.y0 - s.dy >= 0);
	assert_true(s.y1 - s.dy <= H);
}

/* Most of the height between two grabs (a slow link): what is left of the old page still moves. */
static void test_far(void **state)
{
	struct helper_scroll s;

	(void)state;
	page(before, 0, W, 20);
	scroll(-(H - 3 * LINE), 0, W, 21);
	assert_int_equal(find(&s), 1);
	assert_int_equal(s.dy, -(H - 3 * LINE));
	assert_true(s.y1 <= 3 * LINE);
	assert_true(s.changed > 2 * s.explained);
}

static void test_one_row(void **state)
{
	struct helper_scroll s;

	(void)state;
	page(before, 0, W, 5);
	scroll(-1, 0, W, 6);
	assert_int_equal(find(&s), 1);
	assert_int_equal(s.dy, -1);
}

/* A header that stays, the text beneath it scrolls, a new line comes in at the bottom. */
static void test_under_header(void **state)
{
	struct helper_scroll s;
	uint32_t seed = 7;

	(void)state;
	page(before, 0, W, 8);
	memcpy(after, before, sizeof(after));
	for (int y = 2 * LINE; y < H; y++) {
		int from = y + LINE;

		if (from < H)
			memcpy(after + (size_t)y * W, before + (size_t)from * W, W * 4);
		else
			text_row(after + (size_t)y * W, 0, W, y, &seed);
	}
	assert_int_equal(find(&s), 1);
	assert_int_equal(s.dy, -LINE);
	assert_true(s.y0 >= 2 * LINE);
	assert_true(s.y1 <= H - LINE);
	assert_true(s.explained * 2 >= s.changed);
}

/* A new page of text in place: rows repeat between pages (the blank ones), but nothing moved. */
static void test_rewritten(void **state)
{
	struct helper_scroll s;

	(void)state;
	page(before, 0, W, 9);
	page(after, 0, W, 10);
	assert_int_equal(find(&s), 0);
}

/* Half of the page scrolls, the other half is rewritten: more than half the changed rows unexplained. */
static void test_mostly_rewritten(void **state)
{
	struct helper_scroll s;
	uint32_t seed = 11;

	(void)state;
	page(before, 0, W, 12);
	scroll(-LINE, 0, W, 13);
	for (int y = 0; y < 3 * H / 4; y++)
		text_row(after + (size_t)y * W, 0, W, y, &seed);
	assert_int_equal(find(&s), 0);
}

static void test_noise(void **state)
{
	struct helper_scroll s;
	uint32_t seed = 14;

	(void)state;
	for (int i = 0; i < H * W; i++)
		before[i] = next(&seed);
	for (int i = 0; i < H * W; i++)
		after[i] = next(&seed);
	assert_int_equal(find(&s), 0);
}

/* Noise that scrolled is still a scroll: every row is unique, which is the easy case. */
static void test_noise_scrolled(void **state)
{
	struct helper_scroll s;
	uint32_t seed = 15;

	(void)state;
	for (int i = 0; i < H * W; i++)
		before[i] = next(&seed);
	memcpy(after, before + 5 * W, (size_t)(H - 5) * W * 4);
	for (int i = (H - 5) * W; i < H * W; i++)
		after[i] = next(&seed);
	assert_int_equal(find(&s), 1);
	assert_int_equal(s.dy, -5);
}

/* A blinking cursor: a few rows changed, too few to be anything. */
static void test_cursor_blink(void **state)
{
	struct helper_scroll s;

	(void)state;
	page(before, 0, W, 16);
	memcpy(after, before, sizeof(after));
	for (int y = 3 * LINE + 2; y < 4 * LINE - 2; y++)
		for (int x = 40; x < 42; x++)
			after[y * W + x] ^= 0x00ffffffu;
	assert_int_equal(find(&s), 0);
}

static void test_unchanged(void **state)
{
	struct helper_scroll s;

	(void)state;
	page(before, 0, W, 17);
	memcpy(after, before, sizeof(after));
	assert_int_equal(find(&s), 0);
}

/* A pane scrolled beside wallpaper that stays: the move spans the pane's columns only. */
static void test_pane_beside_wallpaper(void **state)
{
	struct helper_scroll s;
	uint32_t seed = 18;

	(void)state;
	for (int i = 0; i < H * W; i++)
		before[i] = next(&seed) | 0x00808080u;
	for (int y = 0; y < H; y++)
		text_row(before + (size_t)y * W, 50, 270, y, &seed);
	scroll(-2 * LINE, 50, 270, 19);
	assert_int_equal(find(&s), 1);
	assert_int_equal(s.dy, -2 * LINE);
	assert_int_equal(s.x0 >= 50, 1);
	assert_int_equal(s.x1 <= 270, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_exact),
		cmocka_unit_test(test_down_by_odd_rows),
		cmocka_unit_test(test_far),
		cmocka_unit_test(test_one_row),
		cmocka_unit_test(test_under_header),
		cmocka_unit_test(test_rewritten),
		cmocka_unit_test(test_mostly_rewritten),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_noise_scrolled),
		cmocka_unit_test(test_cursor_blink),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_pane_beside_wallpaper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
