/*
 * Desktop Duplication's arithmetic (client/dupl.c), the part of the DXGI
 * backend that runs without Windows: a frame's rectangles placed in the
 * shared area and clipped to it and to the output's texture; moves reported
 * as their destinations; output names as the GDI backend names monitors;
 * the three pointer shape types as premultiplied ARGB; HRESULTs in words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dupl.h"

static void assert_rect(const struct helper_dupl_rect *r, int l, int t, int rt, int b)
{
	assert_int_equal(r->left, l);
	assert_int_equal(r->top, t);
	assert_int_equal(r->right, rt);
	assert_int_equal(r->bottom, b);
}

/* One 1920x1080 output alone: a rectangle inside stays, one across its edge is cut there. */
static void test_clip_output(void **state)
{
	struct helper_dupl_place p = { .x = 0, .y = 0, .width = 1920, .height = 1080, .area_w = 1920, .area_h = 1080 };
	struct helper_dupl_rect out;

	(void)state;
	assert_true(helper_dupl_clip(&(struct helper_dupl_rect){ 10, 20, 30, 40 }, &p, &out));
	assert_rect(&out, 10, 20, 30, 40);
	assert_true(helper_dupl_clip(&(struct helper_dupl_rect){ 1900, 1000, 2100, 1200 }, &p, &out));
	assert_rect(&out, 1900, 1000, 1920, 1080);
	assert_true(helper_dupl_clip(&(struct helper_dupl_rect){ -5, -5, 5, 5 }, &p, &out));
	assert_rect(&out, 0, 0, 5, 5);
	/* Empty, inverted, or wholly outside: nothing. */
	assert_false(helper_dupl_clip(&(struct helper_dupl_rect){ 5, 5, 5, 9 }, &p, &out));
	assert_false(helper_dupl_clip(&(struct helper_dupl_rect){ 9, 9, 5, 5 }, &p, &out));
	assert_false(helper_dupl_clip(&(struct helper_dupl_rect){ 1920, 0, 2000, 10 }, &p, &out));
	assert_false(helper_dupl_clip(&(struct helper_dupl_rect){ INT32_MIN, INT32_MIN, -1, -1 }, &p, &out));
	assert_true(helper_dupl_clip(&(struct helper_dupl_rect){ INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX }, &p, &out));
	assert_rect(&out, 0, 0, 1920, 1080);
}

/*
 * The right-hand output of two side by side (the whole desktop shared,
 * 3200x1080, this one 1280x1024 at +1920+0): rectangles stay in its own
 * pixels, and the area's edge below it cuts nothing it has.
 */
static void test_clip_second_output(void **state)
{
	struct helper_dupl_place p = { .x = 1920, .y = 0, .width = 1280, .height = 1024, .area_w = 3200,
				       .area_h = 1080 };
	struct helper_dupl_rect out;

	(void)state;
	assert_true(helper_dupl_clip(&(struct helper_dupl_rect){ 0, 0, 1280, 1024 }, &p, &out));
	assert_rect(&out, 0, 0, 1280, 1024);
	/* A desktop whose origin is left of this output (a monitor at negative x): the area cuts it. */
	p = (struct helper_dupl_place){ .x = -100, .y = -50, .width = 800, .height = 600, .area_w = 500,
					.area_h = 400 };
	assert_true(helper_dupl_clip(&(struct helper_dupl_rect){ 0, 0, 800, 600 }, &p, &out));
	assert_rect(&out, 100, 50, 600, 450);
	assert_false(helper_dupl_clip(&(struct helper_dupl_rect){ 0, 0, 100, 600 }, &p, &out));
}

/* Moves come first as their destinations, then dirty rectangles; the empty ones drop out. */
static void test_changes(void **state)
{
	struct helper_dupl_place p = { .x = 0, .y = 0, .width = 800, .height = 600, .area_w = 800, .area_h = 600 };
	struct helper_dupl_move moves[] = {
		{ .src_x = 0, .src_y = 100, .dst = { 0, 0, 800, 500 } },  /* a scroll up by 100 */
		{ .src_x = 0, .src_y = 0, .dst = { 900, 0, 1000, 10 } }, /* off the texture: dropped */
	};
	struct helper_dupl_rect dirty[] = { { 0, 500, 800, 600 }, { 790, 590, 900, 700 } };
	struct helper_dupl_rect out[4];
	size_t n;

	(void)state;
	assert_true(helper_dupl_changes(moves, 2, dirty, 2, &p, out, 4, &n));
	assert_int_equal(n, 3);
	assert_rect(&out[0], 0, 0, 800, 500);
	assert_rect(&out[1], 0, 500, 800, 600);
	assert_rect(&out[2], 790, 590, 800, 600);
	/* No room: the caller takes the whole output as changed. */
	assert_false(helper_dupl_changes(moves, 2, dirty, 2, &p, out, 2, &n));
	assert_true(helper_dupl_changes(NULL, 0, NULL, 0, &p, out, 0, &n));
	assert_int_equal(n, 0);
}

/* DXGI's "\\.\DISPLAY2" is GDI's monitor DISPLAY2; non-ASCII is left out, the length capped. */
static void test_device_name(void **state)
{
	char name[16];

	(void)state;
	helper_dupl_device_name(L"\\\\.\\DISPLAY2", name, sizeof(name));
	assert_string_equal(name, "DISPLAY2");
	helper_dupl_device_name(L"DISPLAY1", name, sizeof(name));
	assert_string_equal(name, "DISPLAY1");
	helper_dupl_device_name(L"\\\\.\\DIS\x00e9PLAY\n3", name, sizeof(name));
	assert_string_equal(name, "DISPLAY3");
	helper_dupl_device_name(L"\\\\.\\ABCDEFGHIJKLMNOPQRSTUVWXYZ", name, 5);
	assert_string_equal(name, "ABCD");
}

static uint32_t shape[HELPER_DUPL_CURSOR_MAX * HELPER_DUPL_CURSOR_MAX];

/* Monochrome, 8x2: AND above XOR, a bit a pixel. */
static void test_pointer_monochrome(void **state)
{
	/* pitch 1: rows of AND (2), then rows of XOR (2) */
	const uint8_t buf[] = { 0x0f, 0x0f, 0x33, 0x55 };
	int w = 0, h = 0;

	(void)state;
	assert_int_equal(helper_dupl_pointer_argb(HELPER_DUPL_SHAPE_MONOCHROME, 8, 4, 1, buf, sizeof(buf), &w, &h, shape),
			 0);
	assert_int_equal(w, 8);
	assert_int_equal(h, 2);
	/* row 0: AND 0000 1111, XOR 0011 0011 */
	assert_int_equal(shape[0], 0xff000000u); /* AND 0, XOR 0: black */
	assert_int_equal(shape[2], 0xffffffffu); /* AND 0, XOR 1: white */
	assert_int_equal(shape[4], 0);           /* AND 1, XOR 0: the screen shows through */
	assert_int_equal(shape[6], 0xff000000u); /* AND 1, XOR 1: inverts, shown black */
	/* Too short for its own size: refused. */
	assert_int_equal(helper_dupl_pointer_argb(HELPER_DUPL_SHAPE_MONOCHROME, 8, 4, 1, buf, 3, &w, &h, shape), -1);
	assert_int_equal(helper_dupl_pointer_argb(HELPER_DUPL_SHAPE_MONOCHROME, 16, 4, 1, buf, sizeof(buf), &w, &h,
						  shape),
			 -1);
}

/* Colour: straight alpha premultiplied; masked colour: opaque where the mask is 0. */
static void test_pointer_color(void **state)
{
	/* 2x1, pitch 12 (padding after each row), BGRA little-endian */
	const uint8_t color[] = { 0xff, 0x00, 0x00, 0x80, 0x10, 0x20, 0x30, 0xff, 0, 0, 0, 0 };
	const uint8_t masked[] = { 0x10, 0x20, 0x30, 0x00, 0x00, 0x00, 0x00, 0xff, 0x01, 0x00, 0x00, 0xff };
	int w = 0, h = 0;

	(void)state;
	assert_int_equal(helper_dupl_pointer_argb(HELPER_DUPL_SHAPE_COLOR, 2, 1, 12, color, sizeof(color), &w, &h, shape),
			 0);
	assert_int_equal(w, 2);
	assert_int_equal(h, 1);
	assert_int_equal(shape[0], 0x80000080u); /* blue at half alpha */
	assert_int_equal(shape[1], 0xff302010u);
	assert_int_equal(helper_dupl_pointer_argb(HELPER_DUPL_SHAPE_MASKED_COLOR, 3, 1, 12, masked, sizeof(masked), &w,
						  &h, shape),
			 0);
	assert_int_equal(shape[0], 0xff302010u); /* mask 0: replaces the screen */
	assert_int_equal(shape[1], 0);           /* XOR with 0: the screen */
	assert_int_equal(shape[2], 0xff000000u); /* XOR with a colour: shown black */
	/* Pitch narrower than the width, an unknown type, a shape larger than a viewer takes: refused. */
	assert_int_equal(helper_dupl_pointer_argb(HELPER_DUPL_SHAPE_COLOR, 4, 1, 12, color, sizeof(color), &w, &h, shape),
			 -1);
	assert_int_equal(helper_dupl_pointer_argb(3, 2, 1, 12, color, sizeof(color), &w, &h, shape), -1);
	assert_int_equal(helper_dupl_pointer_argb(HELPER_DUPL_SHAPE_COLOR, HELPER_DUPL_CURSOR_MAX + 1, 1, 4096, NULL,
						  0, &w, &h, shape),
			 -1);
}

/* The fallback's reasons: Wine's E_NOTIMPL and the documented failures say what they are. */
static void test_reason(void **state)
{
	(void)state;
	assert_non_null(strstr(helper_dupl_reason(0x80004001u), "E_NOTIMPL"));
	assert_non_null(strstr(helper_dupl_reason(0x887a0004u), "DXGI_ERROR_UNSUPPORTED"));
	assert_non_null(strstr(helper_dupl_reason(0x887a0022u), "DXGI_ERROR_NOT_CURRENTLY_AVAILABLE"));
	assert_non_null(strstr(helper_dupl_reason(0x887a0026u), "DXGI_ERROR_ACCESS_LOST"));
	assert_non_null(strstr(helper_dupl_reason(0x12345678u), "does not know"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clip_output),       cmocka_unit_test(test_clip_second_output),
		cmocka_unit_test(test_changes),           cmocka_unit_test(test_device_name),
		cmocka_unit_test(test_pointer_monochrome), cmocka_unit_test(test_pointer_color),
		cmocka_unit_test(test_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
