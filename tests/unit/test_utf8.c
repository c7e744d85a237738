/*
 * test_utf8.c: the one UTF-8 decoder (protocol/utf8.c). What it accepts is
 * what every program shows and types, so the edges of RFC 3629 are pinned
 * here: overlong forms, surrogates, past U+10FFFF, cut sequences.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_characters),
		cmocka_unit_test(invalid_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
