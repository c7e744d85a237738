/*
 * test_bundle.c: unit tests for protocol/bundle.c, the format of the
 * one-file helper. The launcher unpacks what the reader accepts into a
 * directory, so the path rules are what keeps a crafted bundle from
 * writing anywhere else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "bundle.h"

static int ok(const char *p)
{
	return bundle_path_ok(p, strlen(p));
}

static void test_paths(void **state)
{
	(void)state;
	assert_true(ok("bin/handoff-helper"));
	assert_true(ok("lib/libstdc++.so.6"));
	assert_true(ok("lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES"));
	assert_true(ok("a..b"));
	assert_false(ok(""));
	assert_false(ok("/etc/passwd"));
	assert_false(ok("../x"));
	assert_false(ok("a/../x"));
	assert_false(ok("a/.."));
	assert_false(ok("./x"));
	assert_false(ok("a//b"));
	assert_false(ok("a/"));
	assert_false(ok("a b"));
	assert_false(ok("a\\b"));
	assert_false(bundle_path_ok("a\0b", 3));
}

static void test_round_trip(void **state)
{
	struct buf b, r;
	struct bundle_entry e;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(bundle_entry_header(&b, "bin/x", 0700, 3), 0);
	assert_int_equal(buf_put(&b, "abc", 3), 0);
	assert_int_equal(bundle_entry_header(&b, "etc/args", 0600, 0), 0);
	/* The writer refuses what the reader would refuse. */
	assert_int_not_equal(bundle_entry_header(&b, "../x", 0600, 0), 0);
	assert_int_not_equal(bundle_entry_header(&b, "x", 04755, 0), 0);
	buf_view(&r, buf_ptr(&b), buf_len(&b));
	assert_int_equal(bundle_next(&r, &e), 1);
	assert_string_equal(e.path, "bin/x");
	assert_int_equal(e.mode, 0700);
	assert_int_equal(e.len, 3);
	assert_memory_equal(e.data, "abc", 3);
	assert_int_equal(bundle_next(&r, &e), 1);
	assert_string_equal(e.path, "etc/args");
	assert_int_equal(bundle_next(&r, &e), 0);
	buf_free(&b);
}

static void test_trailer(void **state)
{
	uint8_t file[8 + 5 + BUNDLE_TRAILER_LEN], sha[32] = { 1, 2, 3 }, got[32];
	size_t off, len;

	(void)state;
	memcpy(file, "LAUNCHER", 8);
	memcpy(file + 8, "PAYLD", 5);
	bundle_trailer_encode(5, sha, file + 13);
	assert_int_equal(bundle_trailer(file, sizeof(file), &off, &len, got), 0);
	assert_int_equal(off, 8);
	assert_int_equal(len, 5);
	assert_memory_equal(got, sha, 32);
	/* A payload longer than the file, or no magic: refused. */
	bundle_trailer_encode(sizeof(file), sha, file + 13);
	assert_int_not_equal(bundle_trailer(file, sizeof(file), &off, &len, got), 0);
	file[13] = 'X';
	assert_int_not_equal(bundle_trailer(file, sizeof(file), &off, &len, got), 0);
	assert_int_not_equal(bundle_trailer(file, 10, &off, &len, got), 0);
}

static void test_args(void **state)
{
	static const uint8_t a[] = "--relay\0h:1\0--org\0Acme IT";
	char copy[64];
	const char *argv[BUNDLE_ARGS_MAX];
	size_t argc;

	(void)state;
	assert_int_equal(bundle_args(a, sizeof(a), copy, sizeof(copy), argv, &argc), 0);
	assert_int_equal(argc, 4);
	assert_string_equal(argv[3], "Acme IT");
	/* No final NUL, or a buffer too small: refused. */
	assert_int_not_equal(bundle_args(a, sizeof(a) - 1, copy, sizeof(copy), argv, &argc), 0);
	assert_int_not_equal(bundle_args(a, sizeof(a), copy, 8, argv, &argc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
