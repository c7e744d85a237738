/*
 * test_utf8.c: the one UTF-8 module (protocol/utf8.c). What it accepts is
 * what every program shows and types, so the edges of RFC 3629 are pinned
 * here: overlong forms, surrogates, past U+10FFFF, cut sequences; and the
 * cutting functions keep their promise on valid and on broken input alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static void decodes(const char *s, int want_len, uint32_t want_cp)
{
	uint32_t cp = 0xdeadbeef;

	assert_int_equal(utf8_next(s, strlen(s), &cp), want_len);
	assert_int_equal(cp, want_cp);
}

static void refuses(const char *s, size_t len)
{
	uint32_t cp = 0xdeadbeef;

	assert_int_equal(utf8_next(s, len, &cp), -1);
	assert_int_equal(cp, 0xdeadbeef); /* untouched */
}

static void valid_characters(void **state)
{
	(void)state;
	decodes("a", 1, 'a');
	decodes("\x7f", 1, 0x7f);
	decodes("\xc2\x80", 2, 0x80);
	decodes("\xc3\xa9", 2, 0xe9);
	decodes("\xe2\x80\xae", 3, 0x202e);
	decodes("日本", 3, 0x65e5);
	decodes("\xef\xbf\xbf", 3, 0xffff);
	decodes("\xf0\x9f\x98\x80", 4, 0x1f600);
	decodes("\xf4\x8f\xbf\xbf", 4, 0x10ffff);
}

static void invalid_forms(void **state)
{
	(void)state;
	refuses("", 0);
	refuses("\x80", 1);             /* a continuation byte first */
	refuses("\xc0\x80", 2);         /* overlong NUL */
	refuses("\xc1\xbf", 2);         /* overlong */
	refuses("\xe0\x9f\xbf", 3);     /* overlong 3-byte */
	refuses("\xf0\x8f\xbf\xbf", 4); /* overlong 4-byte */
	refuses("\xed\xa0\x80", 3);     /* a surrogate */
	refuses("\xf4\x90\x80\x80", 4); /* past U+10FFFF */
	refuses("\xf5\x80\x80\x80", 4);
	refuses("\xff", 1);
	refuses("\xe6\x97", 2);         /* cut by the end of the input */
	refuses("\xe6\x97\xa5", 2);     /* cut by len, though the bytes go on */
	refuses("\xe6" "a" "\xa5", 3);  /* a non-continuation inside */
}

static void validity(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("plain", 5));
	assert_true(utf8_valid("日本語 \xf0\x9f\x98\x80", 14));
	assert_false(utf8_valid("a\0b", 3));                /* a NUL inside text */
	assert_false(utf8_valid("\xc0\x80", 2));           /* overlong NUL */
	assert_false(utf8_valid("\xed\xa0\x80", 3));       /* a surrogate */
	assert_false(utf8_valid("ok\xe3\x83\x97\xe3", 6)); /* cut at the end */
	assert_false(utf8_valid("\xe6\x97\xa5", 2));       /* cut by n */
	assert_false(utf8_valid("\x80", 1));
}

static void continuation(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(utf8_is_continuation((unsigned char)c), c >= 0x80 && c <= 0xbf);
}

static void cut(void **state)
{
	static const char euro[] = "a\xe2\x82\xac";     /* 1 + 3 bytes */
	static const char emoji[] = "\xf0\x9f\x98\x80"; /* 4 bytes */
	static const char mixed[] = "x\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9z";

	(void)state;
	assert_int_equal(utf8_cut(euro, 4, 10), 4);
	assert_int_equal(utf8_cut(euro, 4, 4), 4);
	assert_int_equal(utf8_cut(euro, 4, 3), 1);
	assert_int_equal(utf8_cut(euro, 4, 2), 1);
	assert_int_equal(utf8_cut(euro, 4, 1), 1);
	assert_int_equal(utf8_cut(euro, 4, 0), 0);
	assert_int_equal(utf8_cut(emoji, 4, 3), 0);
	assert_int_equal(utf8_cut(emoji, 4, 4), 4);
	/* Every cut of valid text is valid and the largest such prefix. */
	for (size_t max = 0; max <= sizeof(mixed); max++) {
		size_t k = utf8_cut(mixed, sizeof(mixed) - 1, max);

		assert_true(k <= max && k <= sizeof(mixed) - 1);
		assert_true(utf8_valid(mixed, k));
		for (size_t j = k + 1; j <= max && j < sizeof(mixed); j++)
			assert_false(utf8_valid(mixed, j));
	}
	/* Broken input: continuation bytes only, still bounded. */
	assert_int_equal(utf8_cut("\x80\x80\x80", 3, 2), 0);
}

static void whole(void **state)
{
	(void)state;
	assert_int_equal(utf8_whole("日本", 6), 6);
	assert_int_equal(utf8_whole("日本", 5), 3);
	assert_int_equal(utf8_whole("日本", 4), 3);
	assert_int_equal(utf8_whole("ab", 2), 2);
	assert_int_equal(utf8_whole("a\xc3\xa9", 2), 1);
	assert_int_equal(utf8_whole("a\xc3\xa9", 3), 3);
	assert_int_equal(utf8_whole("\xf0\x9f\x98", 3), 0);
	assert_int_equal(utf8_whole("", 0), 0);
	assert_int_equal(utf8_whole("a\x80", 2), 2); /* a stray continuation is not a cut character */
}

static void count_skip_prev(void **state)
{
	static const char s[] = "a日\xf0\x9f\x98\x80é";

	(void)state;
	assert_int_equal(utf8_count(s, strlen(s)), 4);
	assert_int_equal(utf8_count("", 0), 0);
	assert_int_equal(utf8_skip(s, strlen(s), 0), 0);
	assert_int_equal(utf8_skip(s, strlen(s), 1), 1);
	assert_int_equal(utf8_skip(s, strlen(s), 2), 4);
	assert_int_equal(utf8_skip(s, strlen(s), 3), 8);
	assert_int_equal(utf8_skip(s, strlen(s), 4), 10);
	assert_int_equal(utf8_skip(s, strlen(s), 99), 10);
	assert_int_equal(utf8_skip("\xe6\x97", 2, 1), 2); /* never past n */
	assert_int_equal(utf8_prev(s, 10), 8);
	assert_int_equal(utf8_prev(s, 8), 4);
	assert_int_equal(utf8_prev(s, 4), 1);
	assert_int_equal(utf8_prev(s, 1), 0);
	assert_int_equal(utf8_prev(s, 0), 0);
	assert_int_equal(utf8_prev("a\x80\x80", 3), 1); /* a run with no lead is one character */
	assert_int_equal(utf8_prev("a\xe6", 2), 1);      /* a lone lead byte */
}

static void latin1(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(utf8_from_latin1("caf\xe9 \xff\x80", 7, out), 10);
	assert_string_equal(out, "caf\xc3\xa9 \xc3\xbf\xc2\x80");
	assert_int_equal(utf8_from_latin1("", 0, out), 0);
	assert_string_equal(out, "");
	/* Back: what Latin-1 holds survives, the rest and malformed runs are one '?' each. */
	assert_int_equal(utf8_to_latin1("caf\xc3\xa9 \xc3\xbf", 8, out, sizeof(out) - 1), 6);
	assert_string_equal(out, "caf\xe9 \xff");
	assert_int_equal(utf8_to_latin1("\xe2\x82\xac\xf0\x9f\x98\x80x", 8, out, sizeof(out) - 1), 3);
	assert_string_equal(out, "??x");
	assert_int_equal(utf8_to_latin1("\xc0\x80\x80" "a\xe6", 5, out, sizeof(out) - 1), 3);
	assert_string_equal(out, "?a?");
	/* At most max bytes out. */
	assert_int_equal(utf8_to_latin1("abcdef", 6, out, 4), 4);
	assert_string_equal(out, "abcd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_characters),
		cmocka_unit_test(invalid_forms),
		cmocka_unit_test(validity),
		cmocka_unit_test(continuation),
		cmocka_unit_test(cut),
		cmocka_unit_test(whole),
		cmocka_unit_test(count_skip_prev),
		cmocka_unit_test(latin1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
