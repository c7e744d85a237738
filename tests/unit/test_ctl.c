/*
 * test_ctl.c: unit tests for protocol/ctl.c, the control records between
 * the relay and the customer's helper. The decoder sees bytes from the other
 * side of a network connection, so besides round trips these tests check
 * that it waits for whole records without touching its input, rejects every
 * malformed record with a negative code (the caller then closes the
 * channel), and never reads one record's fields out of the next.
 *
 * Tests named regression_* pin bugs found by these tests and fixed since.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "code.h"
#include "ctl.h"

static void assert_same_string(const char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want == NULL ? "" : want);
}

/* Encodes r, decodes it back, and checks every field survived. */
static void round_trip(const struct ctl_record *r)
{
	struct buf b;
	struct ctl_record got;

	buf_init(&b, CTL_RECORD_MAX + 4);
	assert_int_equal(ctl_encode(&b, r), BUF_OK);
	assert_int_equal(ctl_decode(&b, &got), 1);
	assert_int_equal(buf_len(&b), 0);
	assert_int_equal(got.type, r->type);
	switch (r->type) {
	case CTL_HELLO:
		assert_int_equal(got.ticket, r->ticket);
		assert_same_string(got.text, r->text);
		assert_null(got.name);
		assert_null(got.tier);
		break;
	case CTL_CONSENT_ASK:
		assert_int_equal(got.viewer_id, r->viewer_id);
		assert_int_equal(got.ticket, r->ticket);
		assert_same_string(got.name, r->name);
		assert_same_string(got.tier, r->tier);
		assert_int_equal(got.caps, r->caps);
		assert_null(got.text);
		break;
	case CTL_CONSENT_REPLY:
		assert_int_equal(got.viewer_id, r->viewer_id);
		assert_int_equal(got.caps, r->caps);
		assert_null(got.name);
		assert_null(got.text);
		break;
	case CTL_VIEWER_LEFT:
		assert_int_equal(got.viewer_id, r->viewer_id);
		assert_null(got.text);
		break;
	case CTL_STATUS:
		assert_same_string(got.text, r->text);
		assert_null(got.name);
		break;
	case CTL_CHAT:
		assert_same_string(got.name, r->name);
		assert_same_string(got.tier, r->tier);
		assert_same_string(got.text, r->text);
		break;
	case CTL_LOGS_ASK:
		assert_int_equal(got.viewer_id, r->viewer_id);
		assert_int_equal(got.ticket, r->ticket);
		assert_same_string(got.name, r->name);
		assert_same_string(got.tier, r->tier);
		assert_same_string(got.text, r->text);
		break;
	case CTL_LOGS_DATA:
		assert_int_equal(got.viewer_id, r->viewer_id);
		assert_int_equal(got.flags, r->flags);
		assert_same_string(got.text, r->text);
		assert_null(got.name);
		break;
	case CTL_SHARING:
	case CTL_DESKTOP:
		assert_int_equal(got.flags, r->flags);
		assert_null(got.text);
		break;
	case CTL_END:
		assert_int_equal(got.flags, r->flags);
		assert_same_string(got.text, r->text);
		break;
	case CTL_NOTICE:
		assert_int_equal(got.flags, r->flags);
		assert_same_string(got.name, r->name);
		assert_same_string(got.tier, r->tier);
		assert_same_string(got.text, r->text);
		break;
	case CTL_INPUT_IGNORED:
		assert_int_equal(got.viewer_id, r->viewer_id);
		assert_int_equal(got.count, r->count);
		assert_null(got.text);
		break;
	case CTL_ANSWERED:
		assert_int_equal(got.viewer_id, r->viewer_id);
		assert_int_equal(got.flags, r->flags);
		assert_int_equal(got.caps, r->caps);
		assert_same_string(got.text, r->text);
		break;
	case CTL_RESUME:
		assert_same_string(got.text, r->text);
		assert_null(got.name);
		break;
	default:
		fail_msg("unexpected type %u", r->type);
	}
	ctl_record_free(&got);
	buf_free(&b);
}

/* CTL_RESUME: the helper's ask (no token) and the relay's answer; a token longer than one is refused both ways. */
static void test_resume_record(void **state)
{
	struct ctl_record r = { .type = CTL_RESUME };
	char too_long[INTAKE_TOKEN_TEXT_MAX + 1];
	struct buf b;
	uint8_t enc[64];

	(void)state;
	round_trip(&r);
	r.text = "0123456789abcdef0123456789abcdef";
	round_trip(&r);
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	r.text = too_long;
	buf_init(&b, CTL_RECORD_MAX + 4);
	assert_int_not_equal(ctl_encode(&b, &r), 0);
	buf_free(&b);
	{
		/* length 38: type, string of 33 bytes */
		static const uint8_t hdr[] = { 0, 0, 0, 38, CTL_RESUME, 0, 0, 0, 33 };
		struct ctl_record got;

		memcpy(enc, hdr, sizeof(hdr));
		memset(enc + sizeof(hdr), 'a', 33);
		buf_view(&b, enc, sizeof(hdr) + 33);
		assert_true(ctl_decode(&b, &got) < 0);
	}
	assert_string_equal(ctl_type_name(CTL_RESUME), "resume");
}

static void test_round_trip_every_type(void **state)
{
	struct ctl_record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = CTL_HELLO;
	r.ticket = 4711;
	r.text = "Printer broken: プリンターが動かない";
	round_trip(&r);

	memset(&r, 0, sizeof(r));
	r.type = CTL_CONSENT_ASK;
	r.viewer_id = 0xfffffffeu;
	r.ticket = 1;
	r.name = "Ada Lovelace";
	r.tier = "L2";
	r.caps = CTL_CAP_VIEW | CTL_CAP_LOGS;
	round_trip(&r);

	for (unsigned caps = 0; caps <= CTL_CAP_ALL; caps++) {
		memset(&r, 0, sizeof(r));
		r.type = CTL_CONSENT_REPLY;
		r.viewer_id = 42;
		r.caps = (uint8_t)caps;
		round_trip(&r);
	}

	memset(&r, 0, sizeof(r));
	r.type = CTL_VIEWER_LEFT;
	r.viewer_id = UINT32_MAX;
	round_trip(&r);

	memset(&r, 0, sizeof(r));
	r.type = CTL_CHAT;
	r.name = "alice";
	r.tier = "customer";
	r.text = "画面が真っ黒です";
	round_trip(&r);

	memset(&r, 0, sizeof(r));
	r.type = CTL_LOGS_ASK;
	r.viewer_id = 3;
	r.ticket = 12;
	r.name = "bob";
	r.tier = "L2";
	r.text = "facts\nfile /var/log/syslog 200\njournal 100";
	round_trip(&r);

	for (uint8_t flags = CTL_LOGS_MORE; flags <= CTL_LOGS_REFUSED; flags++) {
		memset(&r, 0, sizeof(r));
		r.type = CTL_LOGS_DATA;
		r.viewer_id = 3;
		r.flags = flags;
		r.text = flags == CTL_LOGS_REFUSED ? NULL : "kernel: 6.1.0\n";
		round_trip(&r);
	}

	memset(&r, 0, sizeof(r));
	r.type = CTL_STATUS;
	r.text = "the technician is looking at your screen";
	round_trip(&r);
}

static void test_null_strings_encode_as_empty(void **state)
{
	struct ctl_record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = CTL_HELLO;
	round_trip(&r);
	r.type = CTL_STATUS;
	round_trip(&r);
	r.type = CTL_CONSENT_ASK;
	round_trip(&r);
}

static void test_strings_at_their_caps(void **state)
{
	char *text = malloc(CTL_TEXT_MAX + 1);
	char name[CTL_NAME_MAX + 1];
	struct ctl_record r;

	(void)state;
	assert_non_null(text);
	memset(text, 't', CTL_TEXT_MAX);
	text[CTL_TEXT_MAX] = '\0';
	memset(name, 'n', CTL_NAME_MAX);
	name[CTL_NAME_MAX] = '\0';

	memset(&r, 0, sizeof(r));
	r.type = CTL_STATUS;
	r.text = text;
	round_trip(&r);
	r.type = CTL_HELLO;
	round_trip(&r);
	memset(&r, 0, sizeof(r));
	r.type = CTL_CONSENT_ASK;
	r.name = name;
	r.tier = name;
	round_trip(&r);
	free(text);
}

static void test_exact_wire_bytes(void **state)
{
	static const uint8_t left[] = { 0, 0, 0, 5, CTL_VIEWER_LEFT, 0x01, 0x02, 0x03, 0x04 };
	static const uint8_t reply[] = { 0, 0, 0, 6, CTL_CONSENT_REPLY, 0, 0, 0, 9, 0x03 };
	static const uint8_t status[] = { 0, 0, 0, 7, CTL_STATUS, 0, 0, 0, 2, 'o', 'k' };
	struct ctl_record r;
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	memset(&r, 0, sizeof(r));
	r.type = CTL_VIEWER_LEFT;
	r.viewer_id = 0x01020304u;
	r.caps = 0xff;       /* fields a type does not carry are not encoded */
	r.text = "ignored";
	assert_int_equal(ctl_encode(&b, &r), BUF_OK);
	assert_int_equal(buf_len(&b), sizeof(left));
	assert_memory_equal(buf_ptr(&b), left, sizeof(left));
	buf_reset(&b);

	memset(&r, 0, sizeof(r));
	r.type = CTL_CONSENT_REPLY;
	r.viewer_id = 9;
	r.caps = CTL_CAP_VIEW | CTL_CAP_CONTROL;
	assert_int_equal(ctl_encode(&b, &r), BUF_OK);
	assert_int_equal(buf_len(&b), sizeof(reply));
	assert_memory_equal(buf_ptr(&b), reply, sizeof(reply));
	buf_reset(&b);

	memset(&r, 0, sizeof(r));
	r.type = CTL_STATUS;
	r.text = "ok";
	assert_int_equal(ctl_encode(&b, &r), BUF_OK);
	assert_int_equal(buf_len(&b), sizeof(status));
	assert_memory_equal(buf_ptr(&b), status, sizeof(status));
	buf_free(&b);
}

/* Decodes wire[0..n) from a fresh buffer and expects want, input untouched unless 1. */
static void expect_decode(const void *wire, size_t n, int want)
{
	struct buf b;
	struct ctl_record r;
	int got;

	buf_init(&b, CTL_RECORD_MAX + 4);
	assert_int_equal(buf_put(&b, wire, n), BUF_OK);
	memset(&r, 0x5a, sizeof(r));
	got = ctl_decode(&b, &r);
	if (got != want)
		fail_msg("ctl_decode returned %d, want %d", got, want);
	if (want != 1) {
		/* Nothing consumed, nothing left allocated in the record. */
		assert_int_equal(buf_len(&b), n);
		if (n > 0)
			assert_memory_equal(buf_ptr(&b), wire, n);
		assert_null(r.name);
		assert_null(r.tier);
		assert_null(r.text);
	}
	ctl_record_free(&r);
	buf_free(&b);
}

static void test_partial_records_wait(void **state)
{
	struct ctl_record r;
	struct buf whole;
	const uint8_t *p;
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = CTL_CONSENT_ASK;
	r.viewer_id = 7;
	r.ticket = 8;
	r.name = "Grace";
	r.tier = "L3";
	r.caps = CTL_CAP_ALL;
	buf_init(&whole, 1024);
	assert_int_equal(ctl_encode(&whole, &r), BUF_OK);
	p = buf_ptr(&whole);
	n = buf_len(&whole);
	for (size_t k = 0; k < n; k++)
		expect_decode(p, k, 0);
	expect_decode(p, n, 1);
	buf_free(&whole);

	/* A header announcing the maximum is fine until the bytes arrive. */
	expect_decode("\x00\x01\x00\x00" "\x05" "abc", 8, 0);
}

static void test_bad_lengths_rejected(void **state)
{
	(void)state;
	expect_decode("\0\0\0\0", 4, BUF_ERR_TOO_LONG);
	expect_decode("\0\0\0\0" "\x05\0\0\0\0", 9, BUF_ERR_TOO_LONG);
	expect_decode("\x00\x01\x00\x01", 4, BUF_ERR_TOO_LONG);      /* CTL_RECORD_MAX + 1 */
	expect_decode("\xff\xff\xff\xff", 4, BUF_ERR_TOO_LONG);
	expect_decode("\xff\xff\xff\xff" "\x05", 5, BUF_ERR_TOO_LONG);
	expect_decode("\x80\x00\x00\x00", 4, BUF_ERR_TOO_LONG);
}

static void test_trailing_bytes_rejected(void **state)
{
	/* VIEWER_LEFT is type + u32; a sixth body byte is one too many. */
	expect_decode("\0\0\0\x05" "\x04\0\0\0\x01", 9, 1);
	expect_decode("\0\0\0\x06" "\x04\0\0\0\x01" "\0", 10, BUF_ERR_FORMAT);
	/* STATUS whose string ends before the record does. */
	expect_decode("\0\0\0\x08" "\x05\0\0\0\x02" "okX", 12, BUF_ERR_FORMAT);
	(void)state;
}

static void test_fields_cannot_cross_records(void **state)
{
	/*
	 * A CONSENT_REPLY needs 6 body bytes but this one declares 5. The next
	 * record's bytes are present right after, yet the decoder must not
	 * borrow its first byte as the caps.
	 */
	expect_decode("\0\0\0\x05" "\x03\0\0\0\x01" "\0\0\0\x05\x04\0\0\0\x01", 18,
		      BUF_ERR_SHORT);
	/* A string whose length runs past the record end, into the next one. */
	expect_decode("\0\0\0\x07" "\x05\0\0\0\x08" "ab" "\0\0\0\x05\x04\0\0\0\x01", 20,
		      BUF_ERR_SHORT);
	/* Type byte only. */
	expect_decode("\0\0\0\x01" "\x01", 5, BUF_ERR_SHORT);
	expect_decode("\0\0\0\x01" "\x04", 5, BUF_ERR_SHORT);
	(void)state;
}

static void test_bad_caps_rejected(void **state)
{
	static const uint8_t bad[] = { 0x08, 0x10, 0x80, 0xff, CTL_CAP_ALL | 0x08 };
	uint8_t wire[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad); i++) {
		/* CONSENT_REPLY: viewer 1, caps. */
		memcpy(wire, "\0\0\0\x06" "\x03\0\0\0\x01", 9);
		wire[9] = bad[i];
		expect_decode(wire, 10, BUF_ERR_FORMAT);
		wire[9] = CTL_CAP_ALL;
		expect_decode(wire, 10, 1);

		/* CONSENT_ASK: viewer 1, ticket 2, name "a", tier "L1", caps. */
		memcpy(wire, "\0\0\0\x15" "\x02" "\0\0\0\x01" "\0\0\0\x02"
			     "\0\0\0\x01" "a" "\0\0\0\x02" "L1", 24);
		wire[24] = bad[i];
		expect_decode(wire, 25, BUF_ERR_FORMAT);
		wire[24] = 0;
		expect_decode(wire, 25, 1);
	}
}

static void test_unknown_types_rejected(void **state)
{
	static const uint8_t types[] = { 0, 16, 17, 0x7f, 0x80, 0xff };
	uint8_t wire[16];
	struct ctl_record r;
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	for (size_t i = 0; i < sizeof(types); i++) {
		memcpy(wire, "\0\0\0\x05" "X\0\0\0\x01", 9);
		wire[4] = types[i];
		expect_decode(wire, 9, BUF_ERR_FORMAT);

		memset(&r, 0, sizeof(r));
		r.type = types[i];
		assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
		assert_int_equal(buf_len(&b), 0);
	}
	buf_free(&b);
}

static void test_strings_over_cap_or_bad_rejected(void **state)
{
	struct buf b;
	uint8_t *big = malloc(CTL_TEXT_MAX + 64);
	uint32_t n;

	(void)state;
	assert_non_null(big);
	/* STATUS with CTL_TEXT_MAX + 1 bytes of text. */
	buf_init(&b, CTL_RECORD_MAX + 4);
	n = CTL_TEXT_MAX + 1;
	memset(big, 'x', n);
	assert_int_equal(buf_put_u32(&b, 1 + 4 + n), BUF_OK);
	assert_int_equal(buf_put_u8(&b, CTL_STATUS), BUF_OK);
	assert_int_equal(buf_put_string(&b, big, n), BUF_OK);
	expect_decode(buf_ptr(&b), buf_len(&b), BUF_ERR_TOO_LONG);
	buf_reset(&b);

	/* CONSENT_ASK with a CTL_NAME_MAX + 1 name. */
	n = CTL_NAME_MAX + 1;
	assert_int_equal(buf_put_u32(&b, 1 + 4 + 4 + 4 + n + 4 + 2 + 1), BUF_OK);
	assert_int_equal(buf_put_u8(&b, CTL_CONSENT_ASK), BUF_OK);
	assert_int_equal(buf_put_u32(&b, 1), BUF_OK);
	assert_int_equal(buf_put_u32(&b, 2), BUF_OK);
	assert_int_equal(buf_put_string(&b, big, n), BUF_OK);
	assert_int_equal(buf_put_cstring(&b, "L1"), BUF_OK);
	assert_int_equal(buf_put_u8(&b, 1), BUF_OK);
	expect_decode(buf_ptr(&b), buf_len(&b), BUF_ERR_TOO_LONG);
	buf_free(&b);
	free(big);

	/* Text that is not UTF-8, or hides a NUL: the whole record is refused. */
	expect_decode("\0\0\0\x08" "\x05\0\0\0\x03" "a\xffz", 12, BUF_ERR_FORMAT);
	expect_decode("\0\0\0\x08" "\x05\0\0\0\x03" "a\0z", 12, BUF_ERR_FORMAT);
	expect_decode("\0\0\0\x07" "\x05\0\0\0\x02" "\xc0\x80", 11, BUF_ERR_FORMAT);
	expect_decode("\0\0\0\x0c" "\x01\0\0\0\x01" "\0\0\0\x03" "\xed\xa0\x80", 16,
		      BUF_ERR_FORMAT);
	/* A bad tier after a good name: the name allocated so far is freed (ASan checks). */
	expect_decode("\0\0\0\x16" "\x02" "\0\0\0\x01" "\0\0\0\x02"
		      "\0\0\0\x02" "ok" "\0\0\0\x02" "L\xff" "\x01", 26, BUF_ERR_FORMAT);
}

static void test_two_records_back_to_back(void **state)
{
	struct ctl_record a, c, got;
	struct buf b;
	size_t second_len;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.type = CTL_HELLO;
	a.ticket = 99;
	a.text = "hello";
	memset(&c, 0, sizeof(c));
	c.type = CTL_STATUS;
	c.text = "second";
	buf_init(&b, 1024);
	assert_int_equal(ctl_encode(&b, &a), BUF_OK);
	assert_int_equal(ctl_encode(&b, &c), BUF_OK);
	/* And the first 3 bytes of a third. */
	assert_int_equal(buf_put(&b, "\0\0\0", 3), BUF_OK);

	assert_int_equal(ctl_decode(&b, &got), 1);
	assert_int_equal(got.type, CTL_HELLO);
	assert_int_equal(got.ticket, 99);
	assert_string_equal(got.text, "hello");
	ctl_record_free(&got);
	second_len = buf_len(&b);
	assert_int_equal(second_len, 4 + 1 + 4 + 6 + 3);

	assert_int_equal(ctl_decode(&b, &got), 1);
	assert_int_equal(got.type, CTL_STATUS);
	assert_string_equal(got.text, "second");
	ctl_record_free(&got);

	assert_int_equal(ctl_decode(&b, &got), 0);
	assert_int_equal(buf_len(&b), 3);
	/* The rest arrives: a VIEWER_LEFT. */
	assert_int_equal(buf_put(&b, "\x05\x04\0\0\0\x2a", 6), BUF_OK);
	assert_int_equal(ctl_decode(&b, &got), 1);
	assert_int_equal(got.type, CTL_VIEWER_LEFT);
	assert_int_equal(got.viewer_id, 42);
	ctl_record_free(&got);
	assert_int_equal(buf_len(&b), 0);
	assert_int_equal(ctl_decode(&b, &got), 0);
	buf_free(&b);
}

static void test_decode_from_view(void **state)
{
	static const uint8_t wire[] = { 0, 0, 0, 5, CTL_VIEWER_LEFT, 0, 0, 1, 0 };
	struct buf v;
	struct ctl_record r;

	(void)state;
	buf_view(&v, wire, sizeof(wire));
	assert_int_equal(ctl_decode(&v, &r), 1);
	assert_int_equal(r.viewer_id, 256);
	assert_int_equal(buf_len(&v), 0);
	ctl_record_free(&r);
}

static void test_encode_respects_output_room(void **state)
{
	struct ctl_record r;
	struct buf b;
	char *huge;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = CTL_STATUS;
	r.text = "0123456789"; /* record is 4 + 1 + 4 + 10 = 19 bytes */
	buf_init(&b, 18);
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_TOO_LONG);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
	buf_init(&b, 19);
	assert_int_equal(ctl_encode(&b, &r), BUF_OK);
	assert_int_equal(buf_len(&b), 19);
	/* Full now: a second record is refused whole, not half written. */
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_TOO_LONG);
	assert_int_equal(buf_len(&b), 19);
	buf_free(&b);

	/* A body that would pass CTL_RECORD_MAX cannot be encoded at all. */
	huge = malloc(CTL_RECORD_MAX);
	assert_non_null(huge);
	memset(huge, 'h', CTL_RECORD_MAX - 1);
	huge[CTL_RECORD_MAX - 1] = '\0';
	r.text = huge;
	buf_init(&b, BUF_MAX_CAP);
	assert_true(ctl_encode(&b, &r) < 0);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
	free(huge);
}

static void test_logs_flags_checked(void **state)
{
	static const uint8_t bad[] = { 0, 0, 0, 10, CTL_LOGS_DATA, 0, 0, 0, 1, 3, 0, 0, 0, 0 };
	struct ctl_record r;
	struct buf b;

	(void)state;
	expect_decode(bad, sizeof(bad), BUF_ERR_FORMAT);
	memset(&r, 0, sizeof(r));
	r.type = CTL_LOGS_DATA;
	r.flags = 3;
	buf_init(&b, 64);
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
}

/* Paused, resumed and ended round-trip; any other flag is refused both ways. */
static void test_sharing_flags_checked(void **state)
{
	static const uint8_t paused[] = { 0, 0, 0, 2, CTL_SHARING, 1 };
	static const uint8_t ended[] = { 0, 0, 0, 2, CTL_SHARING, 2 };
	static const uint8_t bad[] = { 0, 0, 0, 2, CTL_SHARING, 3 };
	static const uint8_t short_body[] = { 0, 0, 0, 1, CTL_SHARING };
	struct ctl_record r;
	struct buf b;

	(void)state;
	expect_decode(paused, sizeof(paused), 1);
	expect_decode(ended, sizeof(ended), 1);
	expect_decode(bad, sizeof(bad), BUF_ERR_FORMAT);
	expect_decode(short_body, sizeof(short_body), BUF_ERR_SHORT);
	memset(&r, 0, sizeof(r));
	r.type = CTL_SHARING;
	r.flags = CTL_SHARING_PAUSED;
	round_trip(&r);
	r.flags = CTL_SHARING_RESUMED;
	round_trip(&r);
	r.flags = CTL_SHARING_ENDED;
	round_trip(&r);
	r.flags = 3;
	buf_init(&b, 64);
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
}

/* DESKTOP: any set of the three flags, 0 (all well again) included, round-trips; other bits are refused both ways. */
static void test_desktop_flags_checked(void **state)
{
	static const uint8_t secure[] = { 0, 0, 0, 2, CTL_DESKTOP, CTL_DESKTOP_SECURE };
	static const uint8_t all[] = { 0, 0, 0, 2, CTL_DESKTOP, 7 };
	static const uint8_t back[] = { 0, 0, 0, 2, CTL_DESKTOP, 0 };
	static const uint8_t bad[] = { 0, 0, 0, 2, CTL_DESKTOP, 8 };
	static const uint8_t short_body[] = { 0, 0, 0, 1, CTL_DESKTOP };
	static const uint8_t long_body[] = { 0, 0, 0, 3, CTL_DESKTOP, 1, 0 };
	struct ctl_record r;
	struct buf b;

	(void)state;
	expect_decode(secure, sizeof(secure), 1);
	expect_decode(all, sizeof(all), 1);
	expect_decode(back, sizeof(back), 1);
	expect_decode(bad, sizeof(bad), BUF_ERR_FORMAT);
	expect_decode(short_body, sizeof(short_body), BUF_ERR_SHORT);
	expect_decode(long_body, sizeof(long_body), BUF_ERR_FORMAT);
	memset(&r, 0, sizeof(r));
	r.type = CTL_DESKTOP;
	for (unsigned f = 0; f <= CTL_DESKTOP_ALL; f++) {
		r.flags = (uint8_t)f;
		round_trip(&r);
	}
	r.flags = 0x80;
	buf_init(&b, 64);
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
	assert_string_equal(ctl_type_name(CTL_DESKTOP), "desktop");
}

/* END carries a reason the helper words itself; an unknown reason is refused both ways. */
static void test_end_reason_checked(void **state)
{
	static const uint8_t resolved[] = { 0, 0, 0, 6, CTL_END, 0, 0, 0, 0, 0 };
	static const uint8_t bad[] = { 0, 0, 0, 6, CTL_END, 1, 0, 0, 0, 0 };
	static const uint8_t no_text[] = { 0, 0, 0, 2, CTL_END, 0 };
	struct ctl_record r;
	struct buf b;

	(void)state;
	expect_decode(resolved, sizeof(resolved), 1);
	expect_decode(bad, sizeof(bad), BUF_ERR_FORMAT);
	expect_decode(no_text, sizeof(no_text), BUF_ERR_SHORT);
	memset(&r, 0, sizeof(r));
	r.type = CTL_END;
	r.flags = CTL_END_RESOLVED;
	r.text = "alice (L1) resolved ticket 7";
	round_trip(&r);
	r.flags = 1;
	buf_init(&b, 64);
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
}

/* NOTICE carries a kind and who, for the helper to word; an unknown kind is refused both ways. */
static void test_notice_kind_checked(void **state)
{
	static const uint8_t taken[] = { 0, 0, 0, 16, CTL_NOTICE, 1, 0, 0, 0, 0, 0, 0, 0, 2, 'L', '2', 0, 0, 0, 0 };
	static const uint8_t bad[] = { 0, 0, 0, 16, CTL_NOTICE, 2, 0, 0, 0, 0, 0, 0, 0, 2, 'L', '2', 0, 0, 0, 0 };
	static const uint8_t no_tier[] = { 0, 0, 0, 6, CTL_NOTICE, 0, 0, 0, 0, 0 };
	struct ctl_record r;
	struct buf b;

	(void)state;
	expect_decode(taken, sizeof(taken), 1);
	expect_decode(bad, sizeof(bad), BUF_ERR_FORMAT);
	expect_decode(no_tier, sizeof(no_tier), BUF_ERR_SHORT);
	memset(&r, 0, sizeof(r));
	r.type = CTL_NOTICE;
	r.flags = CTL_NOTICE_TAKEN;
	r.name = "bob";
	r.tier = "L2";
	r.text = "bob (L2) is now handling your request.";
	round_trip(&r);
	r.flags = CTL_NOTICE_ESCALATED;
	r.name = "";
	round_trip(&r);
	r.flags = 2;
	buf_init(&b, 64);
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
}

/* Regression for issue 13: the records that let the ticket say who answered and what was ignored. */
static void test_input_ignored_and_answered(void **state)
{
	static const uint8_t ignored[] = { 0, 0, 0, 9, CTL_INPUT_IGNORED, 0, 0, 0, 7, 0, 0, 0, 3 };
	static const uint8_t zero[] = { 0, 0, 0, 9, CTL_INPUT_IGNORED, 0, 0, 0, 7, 0, 0, 0, 0 };
	static const uint8_t huge[] = { 0, 0, 0, 9, CTL_INPUT_IGNORED, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t window[] = { 0, 0, 0, 17, CTL_ANSWERED, 0, 0, 0, 2, CTL_ANSWERED_LOGS, CTL_CAP_LOGS,
					  0, 0, 0, 6, 'w', 'i', 'n', 'd', 'o', 'w' };
	static const uint8_t bad_flag[] = { 0, 0, 0, 11, CTL_ANSWERED, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0 };
	static const uint8_t desktop[] = { 0, 0, 0, 18, CTL_ANSWERED, 0, 0, 0, 0, CTL_ANSWERED_DESKTOP, 0,
					   0, 0, 0, 7, 'd', 'e', 's', 'k', 't', 'o', 'p' };
	static const uint8_t bad_caps[] = { 0, 0, 0, 11, CTL_ANSWERED, 0, 0, 0, 2, 0, 0x80, 0, 0, 0, 0 };
	struct ctl_record r;
	struct buf b;

	(void)state;
	expect_decode(ignored, sizeof(ignored), 1);
	expect_decode(zero, sizeof(zero), BUF_ERR_FORMAT);
	expect_decode(huge, sizeof(huge), BUF_ERR_FORMAT);
	expect_decode(window, sizeof(window), 1);
	expect_decode(bad_flag, sizeof(bad_flag), BUF_ERR_FORMAT);
	expect_decode(desktop, sizeof(desktop), 1);
	expect_decode(bad_caps, sizeof(bad_caps), BUF_ERR_FORMAT);

	memset(&r, 0, sizeof(r));
	r.type = CTL_INPUT_IGNORED;
	r.viewer_id = 7;
	r.count = CTL_IGNORED_MAX;
	round_trip(&r);
	buf_init(&b, 64);
	r.count = 0;
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
	r.count = CTL_IGNORED_MAX + 1;
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);

	memset(&r, 0, sizeof(r));
	r.type = CTL_ANSWERED;
	r.viewer_id = 3;
	r.flags = CTL_ANSWERED_CONSENT;
	r.caps = CTL_CAP_VIEW | CTL_CAP_CONTROL;
	r.text = "terminal";
	round_trip(&r);
	r.flags = CTL_ANSWERED_LOGS;
	r.caps = 0;
	r.text = "window";
	round_trip(&r);
	r.flags = CTL_ANSWERED_DESKTOP;
	r.viewer_id = 0;
	r.text = "desktop";
	round_trip(&r);
	r.flags = 3;
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_FORMAT);
	r.flags = CTL_ANSWERED_CONSENT;
	r.text = "a user interface name that is too long";
	assert_int_equal(ctl_encode(&b, &r), BUF_ERR_TOO_LONG);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
	assert_string_equal(ctl_type_name(CTL_INPUT_IGNORED), "input-ignored");
	assert_string_equal(ctl_type_name(CTL_ANSWERED), "answered");
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_type_name(CTL_HELLO), "hello");
	assert_string_equal(ctl_type_name(CTL_CONSENT_ASK), "consent-ask");
	assert_string_equal(ctl_type_name(CTL_CONSENT_REPLY), "consent-reply");
	assert_string_equal(ctl_type_name(CTL_VIEWER_LEFT), "viewer-left");
	assert_string_equal(ctl_type_name(CTL_STATUS), "status");
	assert_string_equal(ctl_type_name(CTL_CHAT), "chat");
	assert_string_equal(ctl_type_name(CTL_LOGS_ASK), "logs-ask");
	assert_string_equal(ctl_type_name(CTL_LOGS_DATA), "logs-data");
	assert_string_equal(ctl_type_name(CTL_SHARING), "sharing");
	assert_string_equal(ctl_type_name(CTL_END), "end");
	assert_string_equal(ctl_type_name(CTL_NOTICE), "notice");
	assert_string_equal(ctl_type_name(0), "unknown");
	assert_string_equal(ctl_type_name(14), "resume");
	assert_string_equal(ctl_type_name(15), "desktop");
	assert_string_equal(ctl_type_name(16), "unknown");
	assert_string_equal(ctl_type_name(255), "unknown");
}

static void test_record_free_is_idempotent(void **state)
{
	struct ctl_record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	ctl_record_free(&r);
	r.text = strdup("x");
	r.name = strdup("y");
	ctl_record_free(&r);
	assert_null(r.text);
	assert_null(r.name);
	ctl_record_free(&r);
}

/*
 * REGRESSION (fixed in protocol/ctl.c): ctl_encode checks nothing the decoder checks.
 * It happily encodes caps with bits outside CTL_CAP_ALL, names over
 * CTL_NAME_MAX, text over CTL_TEXT_MAX (anything up to the 64 KiB body) and
 * bytes that are not UTF-8, and the receiving side's ctl_decode then fails
 * the record, which by contract means "close the channel". One long ticket
 * summary forwarded in HELLO, or a technician name of 129 bytes, tears down
 * the customer's session. "The same encoder and decoder serve all
 * programs", so the encoder should refuse (BUF_ERR_TOO_LONG /
 * BUF_ERR_FORMAT) what its own decoder would refuse.
 */
static void test_regression_encoder_emits_undecodable_records(void **state)
{
	char name[CTL_NAME_MAX + 2];
	struct ctl_record r;
	struct buf b;

	(void)state;
	memset(name, 'n', CTL_NAME_MAX + 1);
	name[CTL_NAME_MAX + 1] = '\0';
	buf_init(&b, 1024);
	memset(&r, 0, sizeof(r));
	r.type = CTL_CONSENT_REPLY;
	r.viewer_id = 1;
	r.caps = 0x08;
	assert_true(ctl_encode(&b, &r) < 0);
	memset(&r, 0, sizeof(r));
	r.type = CTL_CONSENT_ASK;
	r.name = name;
	r.tier = "L1";
	assert_true(ctl_encode(&b, &r) < 0);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_null_strings_encode_as_empty),
		cmocka_unit_test(test_strings_at_their_caps),
		cmocka_unit_test(test_exact_wire_bytes),
		cmocka_unit_test(test_partial_records_wait),
		cmocka_unit_test(test_bad_lengths_rejected),
		cmocka_unit_test(test_trailing_bytes_rejected),
		cmocka_unit_test(test_fields_cannot_cross_records),
		cmocka_unit_test(test_bad_caps_rejected),
		cmocka_unit_test(test_unknown_types_rejected),
		cmocka_unit_test(test_logs_flags_checked),
		cmocka_unit_test(test_sharing_flags_checked),
		cmocka_unit_test(test_desktop_flags_checked),
		cmocka_unit_test(test_input_ignored_and_answered),
		cmocka_unit_test(test_strings_over_cap_or_bad_rejected),
		cmocka_unit_test(test_two_records_back_to_back),
		cmocka_unit_test(test_decode_from_view),
		cmocka_unit_test(test_encode_respects_output_room),
		cmocka_unit_test(test_end_reason_checked),
		cmocka_unit_test(test_notice_kind_checked),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_resume_record),
		cmocka_unit_test(test_record_free_is_idempotent),
		cmocka_unit_test(test_regression_encoder_emits_undecodable_records),
	};

	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
