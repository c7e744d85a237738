/*
 * test_event.c: the event details one program writes and another parses
 * (protocol/event.c). What the relay formats must parse back to the same
 * fields, what the parser refuses the formatter must refuse too, and the
 * parser must refuse what a tampered store or export could hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "event.h"

static void fill_sha(uint8_t sha[CHAIN_HASH_LEN], uint8_t seed)
{
	for (size_t i = 0; i < CHAIN_HASH_LEN; i++)
		sha[i] = (uint8_t)(seed + i * 7);
}

static void attachment_round_trip(void **state)
{
	static const char *const names[] = {
		"logs-1700000000.txt", "my, notes, 1 bytes", "x,", "a b  c", "日本語.txt", ",",
	};
	uint8_t sha[CHAIN_HASH_LEN];
	struct event_attachment a;
	char d[1024], longname[EVENT_NAME_MAX + 1];

	(void)state;
	fill_sha(sha, 3);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(event_attachment_format(d, sizeof(d), 12 + (int64_t)i, "logs", names[i], 2048 * i, sha),
				 0);
		assert_int_equal(event_attachment_parse(d, &a), 0);
		assert_int_equal(a.id, 12 + (int64_t)i);
		assert_string_equal(a.kind, "logs");
		assert_string_equal(a.name, names[i]);
		assert_int_equal(a.size, 2048 * i);
		assert_memory_equal(a.sha256, sha, CHAIN_HASH_LEN);
	}
	/* The text the relay has always written. */
	assert_int_equal(event_attachment_format(d, sizeof(d), 3, "note", "n.txt", 5, sha), 0);
	assert_int_equal(strncmp(d, "#3 note n.txt, 5 bytes, sha256 030a11", 36), 0);
	/* The longest name still fits and parses. */
	memset(longname, 'n', EVENT_NAME_MAX);
	longname[EVENT_NAME_MAX] = '\0';
	assert_int_equal(event_attachment_format(d, sizeof(d), 1, "logs", longname, 1, sha), 0);
	assert_int_equal(event_attachment_parse(d, &a), 0);
	assert_string_equal(a.name, longname);
}

static void attachment_format_refuses(void **state)
{
	uint8_t sha[CHAIN_HASH_LEN] = { 0 };
	char d[1024], longname[EVENT_NAME_MAX + 2];

	(void)state;
	memset(longname, 'n', EVENT_NAME_MAX + 1);
	longname[EVENT_NAME_MAX + 1] = '\0';
	assert_int_equal(event_attachment_format(d, sizeof(d), 0, "logs", "x", 1, sha), BUF_ERR_FORMAT);
	assert_string_equal(d, "");
	assert_int_equal(event_attachment_format(d, sizeof(d), -4, "logs", "x", 1, sha), BUF_ERR_FORMAT);
	assert_int_equal(event_attachment_format(d, sizeof(d), 1, "", "x", 1, sha), BUF_ERR_FORMAT);
	assert_int_equal(event_attachment_format(d, sizeof(d), 1, "a b", "x", 1, sha), BUF_ERR_FORMAT);
	assert_int_equal(event_attachment_format(d, sizeof(d), 1, "logs", "", 1, sha), BUF_ERR_FORMAT);
	assert_int_equal(event_attachment_format(d, sizeof(d), 1, "logs", longname, 1, sha), BUF_ERR_TOO_LONG);
	assert_int_equal(event_attachment_format(d, 20, 1, "logs", "x", 1, sha), BUF_ERR_TOO_LONG);
	assert_string_equal(d, "");
}

static void attachment_malformed(void **state)
{
	static const char *const bad[] = {
		"", "#", "#1", "#0 logs x, 1 bytes, sha256 ", "1 logs x, 1 bytes, sha256 ",
		"#1 logs x, 01 bytes, sha256 ", "#1 logs x, -1 bytes, sha256 ", "#1 logs x 1 bytes, sha256 ",
		"#1 logs , 1 bytes, sha256 ", "#x logs y, 1 bytes, sha256 ", "#01 logs y, 1 bytes, sha256 ",
		"#1 logs y, 1 bytes,  sha256 ", "#1 logs y, 1 byte, sha256 ", "#1 logs y, 1 bytes sha256 ",
		"#1 logs, 1 bytes, sha256 ", "#1234567890123456789 logs y, 1 bytes, sha256 ",
	};
	struct event_attachment a;
	char hex[65], d[512];

	(void)state;
	memset(hex, 'a', 64);
	hex[64] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(d, sizeof(d), "%s%s", bad[i], hex);
		if (event_attachment_parse(d, &a) == 0)
			fail_msg("attachment detail \"%s\" parsed", d);
	}
	/* A short or non-hex hash. */
	assert_int_not_equal(event_attachment_parse("#1 logs y, 1 bytes, sha256 zz", &a), 0);
	snprintf(d, sizeof(d), "#1 logs y, 1 bytes, sha256 %.63s", hex);
	assert_int_not_equal(event_attachment_parse(d, &a), 0);
	snprintf(d, sizeof(d), "#1 logs y, 1 bytes, sha256 %.63sg", hex);
	assert_int_not_equal(event_attachment_parse(d, &a), 0);
	assert_int_equal(a.id, 0); /* zeroed on failure too */
}

static void recording_round_trip(void **state)
{
	static const char *const states[] = { "complete", "truncated", "failed" };
	uint8_t sha[CHAIN_HASH_LEN];
	struct event_recording r;
	char d[1024];

	(void)state;
	fill_sha(sha, 9);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(event_recording_format(d, sizeof(d), "recordings/7/viewer-1-99.hrec", sha, 1234 + i,
							states[i]),
				 0);
		assert_int_equal(event_recording_parse(d, &r), 0);
		assert_string_equal(r.path, "recordings/7/viewer-1-99.hrec");
		assert_true(r.hashed);
		assert_memory_equal(r.sha256, sha, CHAIN_HASH_LEN);
		assert_int_equal(r.size, 1234 + i);
		assert_string_equal(r.state, states[i]);
	}
	assert_int_equal(event_recording_format(d, sizeof(d), "recordings/7/a.hrec", NULL, 0, "failed"), 0);
	assert_string_equal(d, "recordings/7/a.hrec unreadable 0 failed");
	assert_int_equal(event_recording_parse(d, &r), 0);
	assert_false(r.hashed);
	assert_int_equal(r.size, 0);
}

static void recording_format_refuses(void **state)
{
	char d[1024];

	(void)state;
	assert_int_equal(event_recording_format(d, sizeof(d), "/etc/passwd", NULL, 0, "complete"), BUF_ERR_FORMAT);
	assert_string_equal(d, "");
	assert_int_equal(event_recording_format(d, sizeof(d), "recordings/a b", NULL, 0, "complete"), BUF_ERR_FORMAT);
	assert_int_equal(event_recording_format(d, sizeof(d), "recordings/a", NULL, 0, "done"), BUF_ERR_FORMAT);
	assert_int_equal(event_recording_format(d, 10, "recordings/a", NULL, 0, "complete"), BUF_ERR_TOO_LONG);
	assert_string_equal(d, "");
}

static void recording_malformed(void **state)
{
	static const char *const bad[] = {
		"", "recordings/7/a.hrec unreadable 0", "recordings/7/a.hrec unreadable 0 done",
		"recordings/7/a.hrec unreadable 0 complete extra", "/etc/passwd unreadable 0 complete",
		"recordings/../x unreadable 0 complete", "recordings//x unreadable 0 complete",
		"recordings/7/./x unreadable 0 complete", "recordings/7/a.hrec abc 0 complete",
		"recordings/7/a.hrec unreadable x complete", " recordings/7/a.hrec unreadable 0 complete",
		"recordings unreadable 0 complete", "recordings/7/a.hrec unreadable 0 complete ",
		"recordings/7/a.hrec  unreadable 0 complete", "recordings/7/a.hrec unreadable 00 complete",
		"recordings/7/a.hrec unreadable 0 completecompletecomplete",
	};
	struct event_recording r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (event_recording_parse(bad[i], &r) == 0)
			fail_msg("recording detail \"%s\" parsed", bad[i]);
	assert_true(event_recording_path_ok("recordings/12/viewer-3-1.hrec"));
	assert_false(event_recording_path_ok("recordings/"));
	assert_false(event_recording_path_ok("recordings/12/.."));
	assert_false(event_recording_path_ok("recordings/12/a b"));
	assert_false(event_recording_path_ok("handoff.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attachment_round_trip),   cmocka_unit_test(attachment_format_refuses),
		cmocka_unit_test(attachment_malformed),    cmocka_unit_test(recording_round_trip),
		cmocka_unit_test(recording_format_refuses), cmocka_unit_test(recording_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
