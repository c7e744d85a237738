/*
 * test_screeninfo.c: unit tests for protocol/screeninfo.c, the private
 * message in which the customer's helper tells our viewer its rights and
 * where the monitors are. The viewer parses it from a stream the customer's
 * machine controls, so besides the round trip every malformed payload must
 * be refused whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "screeninfo.h"

static struct screeninfo two_monitors(void)
{
	struct screeninfo si = { .flags = SCREENINFO_CONTROL, .count = 2 };

	si.monitors[0] = (struct screeninfo_monitor){ .x = 0, .y = 0, .width = 800, .height = 600, .name = "LEFT" };
	si.monitors[1] = (struct screeninfo_monitor){ .x = 800, .y = 0, .width = 800, .height = 600, .name = "右" };
	return si;
}

/* Splits an encoded message into its type, length and a view of the payload. */
static void open_message(struct buf *msg, struct buf *payload)
{
	uint8_t type;
	uint32_t len;

	assert_int_equal(buf_get_u8(msg, &type), 0);
	assert_int_equal(type, SCREENINFO_MSG_TYPE);
	assert_int_equal(buf_get_u32(msg, &len), 0);
	assert_int_equal(len, buf_len(msg));
	buf_view(payload, buf_ptr(msg), buf_len(msg));
}

static void round_trip(void **state)
{
	struct screeninfo si = two_monitors(), got;
	struct buf msg, payload;

	(void)state;
	buf_init(&msg, 4096);
	assert_int_equal(screeninfo_encode(&msg, &si), 0);
	open_message(&msg, &payload);
	assert_int_equal(screeninfo_decode(&payload, &got), 0);
	assert_int_equal(got.flags, SCREENINFO_CONTROL);
	assert_int_equal(got.count, 2);
	assert_int_equal(got.monitors[1].x, 800);
	assert_int_equal(got.monitors[1].width, 800);
	assert_string_equal(got.monitors[0].name, "LEFT");
	assert_string_equal(got.monitors[1].name, "右");
	buf_free(&msg);
}

/* A later version's extra fields after the monitors are skipped, not refused. */
static void newer_version_is_read(void **state)
{
	struct screeninfo si = two_monitors(), got;
	struct buf msg, payload;
	uint8_t bytes[512];
	size_t n;

	(void)state;
	buf_init(&msg, 4096);
	assert_int_equal(screeninfo_encode(&msg, &si), 0);
	open_message(&msg, &payload);
	n = buf_len(&payload);
	memcpy(bytes, buf_ptr(&payload), n);
	bytes[0] = SCREENINFO_VERSION + 1;
	memcpy(bytes + n, "later", 5);
	buf_view(&payload, bytes, n + 5);
	assert_int_equal(screeninfo_decode(&payload, &got), 0);
	assert_int_equal(got.count, 2);
	buf_free(&msg);
}

/* Issue 21: the scale the helper wants rides after the monitors; a version-1 helper's means full size. */
static void scale_round_trip(void **state)
{
	static const uint8_t v1[] = { 1, SCREENINFO_CONTROL, 0 };
	struct screeninfo si = two_monitors(), got;
	struct buf msg, payload;

	(void)state;
	si.scale = 2;
	buf_init(&msg, 4096);
	assert_int_equal(screeninfo_encode(&msg, &si), 0);
	open_message(&msg, &payload);
	assert_int_equal(screeninfo_decode(&payload, &got), 0);
	assert_int_equal(got.scale, 2);
	assert_int_equal(got.count, 2);
	buf_free(&msg);
	buf_view(&payload, v1, sizeof(v1));
	assert_int_equal(screeninfo_decode(&payload, &got), 0);
	assert_int_equal(got.scale, 1);
	assert_int_equal(got.flags, SCREENINFO_CONTROL);
	/* The encoder refuses what the decoder would. */
	si.scale = 3;
	buf_init(&msg, 4096);
	assert_true(screeninfo_encode(&msg, &si) < 0);
	buf_free(&msg);
	assert_true(screeninfo_scale_ok(4));
	assert_false(screeninfo_scale_ok(8));
}

/* Decodes bytes and expects a refusal that leaves nothing behind. */
static void refused(const uint8_t *bytes, size_t n)
{
	struct screeninfo got;
	struct buf payload;

	memset(&got, 0x55, sizeof(got));
	buf_view(&payload, bytes, n);
	assert_true(screeninfo_decode(&payload, &got) < 0);
	assert_int_equal(got.count, 0);
	assert_int_equal(got.flags, 0);
}

static void malformed_is_refused(void **state)
{
	/* version, flags, count, then x y w h and a name length. */
	static const uint8_t too_many[] = { 1, 0, SCREENINFO_MONITORS_MAX + 1 };
	static const uint8_t old[] = { 0, 0, 0 };
	static const uint8_t truncated[] = { 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t empty_monitor[] = { 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
						 0, 0, 0, 0 };
	static const uint8_t outside[] = { 1, 0, 1, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
					   0, 0, 0, 0 };
	static const uint8_t wrapping[] = { 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1,
					    0, 0, 0, 0 };
	static const uint8_t long_name[] = { 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
					     0, 0, 0, SCREENINFO_NAME_MAX + 1 };
	static const uint8_t nul_name[] = { 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
					    0, 0, 0, 2, 'a', 0 };
	/* Version 2 with no monitors: the scale is missing, 3, 0. */
	static const uint8_t no_scale[] = { 2, 0, 0 };
	static const uint8_t scale_3[] = { 2, 0, 0, 3 };
	static const uint8_t scale_0[] = { 2, 0, 0, 0 };
	static const uint8_t bad_utf8[] = { 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
					    0, 0, 0, 1, 0xff };

	(void)state;
	refused(too_many, sizeof(too_many));
	refused(old, sizeof(old));
	refused(truncated, sizeof(truncated));
	refused(empty_monitor, sizeof(empty_monitor));
	refused(outside, sizeof(outside));
	refused(wrapping, sizeof(wrapping));
	refused(long_name, sizeof(long_name));
	refused(nul_name, sizeof(nul_name));
	refused(bad_utf8, sizeof(bad_utf8));
	refused(no_scale, sizeof(no_scale));
	refused(scale_3, sizeof(scale_3));
	refused(scale_0, sizeof(scale_0));
	refused(NULL, 0);
}

/* A monitor is clipped to the framebuffer the viewer has now; one beyond it is no box at all. */
static void monitor_box_clips(void **state)
{
	struct screeninfo si = two_monitors();
	int x, y, w, h;

	(void)state;
	assert_true(screeninfo_monitor_box(&si, 2, 1600, 600, &x, &y, &w, &h));
	assert_int_equal(x, 800);
	assert_int_equal(w, 800);
	assert_true(screeninfo_monitor_box(&si, 2, 1200, 500, &x, &y, &w, &h));
	assert_int_equal(w, 400);
	assert_int_equal(h, 500);
	assert_false(screeninfo_monitor_box(&si, 2, 800, 600, &x, &y, &w, &h));
	assert_false(screeninfo_monitor_box(&si, 0, 1600, 600, &x, &y, &w, &h));
	assert_false(screeninfo_monitor_box(&si, 3, 1600, 600, &x, &y, &w, &h));
}

struct stream {
	const uint8_t *p;
	size_t left;
};

static int read_exact(void *ctx, void *p, size_t n)
{
	struct stream *in = ctx;

	if (n > in->left)
		return -1;
	memcpy(p, in->p, n);
	in->p += n;
	in->left -= n;
	return 0;
}

/* Reads the rest of a clipboard message (after the type byte) from bytes. */
static int read_cut(const uint8_t *bytes, size_t n, char **text, size_t *len)
{
	struct stream in = { bytes, n };

	return screeninfo_read_cut(read_exact, &in, text, len);
}

/* Japanese clipboard text survives; the header says its length. */
static void cut_round_trip(void **state)
{
	static const char japanese[] = "エラー: ディスクがいっぱいです";
	uint8_t msg[128];
	char *text;
	size_t len;

	(void)state;
	screeninfo_cut_header(msg, (uint32_t)strlen(japanese));
	assert_int_equal(msg[0], SCREENINFO_CUT_MSG_TYPE);
	memcpy(msg + 5, japanese, strlen(japanese));
	assert_int_equal(read_cut(msg + 1, 4 + strlen(japanese), &text, &len), SCREENINFO_CUT_OK);
	assert_int_equal(len, strlen(japanese));
	assert_string_equal(text, japanese);
	free(text);
}

/* Over the wire cap is refused before anything is allocated; short, NUL or non-UTF-8 text is refused. */
static void cut_refusals(void **state)
{
	static const uint8_t too_long[] = { 0x00, 0x10, 0x00, 0x01 };
	static const uint8_t short_text[] = { 0, 0, 0, 5, 'a', 'b' };
	static const uint8_t nul[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	static const uint8_t latin1[] = { 0, 0, 0, 2, 0xe9, 'a' };
	char *text = (char *)1;
	size_t len = 1;

	(void)state;
	assert_int_equal(read_cut(too_long, sizeof(too_long), &text, &len), SCREENINFO_CUT_TOO_LONG);
	assert_null(text);
	assert_int_equal(len, 0);
	assert_int_equal(read_cut(short_text, sizeof(short_text), &text, &len), SCREENINFO_CUT_IO);
	assert_int_equal(read_cut(nul, sizeof(nul), &text, &len), SCREENINFO_CUT_BAD_TEXT);
	assert_int_equal(read_cut(latin1, sizeof(latin1), &text, &len), SCREENINFO_CUT_BAD_TEXT);
	assert_int_equal(read_cut(too_long, 2, &text, &len), SCREENINFO_CUT_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(newer_version_is_read),
		cmocka_unit_test(scale_round_trip),
		cmocka_unit_test(malformed_is_refused),
		cmocka_unit_test(monitor_box_clips),
		cmocka_unit_test(cut_round_trip),
		cmocka_unit_test(cut_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
