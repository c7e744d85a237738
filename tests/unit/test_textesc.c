/*
 * test_textesc.c: protocol/textesc.c, other people's text made safe for a
 * terminal: every control character visible, newlines kept under an
 * indent, UTF-8 untouched, bytes that are not UTF-8 shown as hex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "textesc.h"

static void expect(const char *in, const char *indent, const char *want)
{
	char out[256];

	assert_int_equal(textesc_string(in, indent, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

static void test_plain_text_unchanged(void **state)
{
	(void)state;
	expect("", NULL, "");
	expect("printer driver reinstalled", NULL, "printer driver reinstalled");
	expect("プリンターが動かない", NULL, "プリンターが動かない");
	expect("C:\\Users\\jane", NULL, "C:\\Users\\jane");
	expect("emoji \xf0\x9f\x96\xa8 ok", NULL, "emoji \xf0\x9f\x96\xa8 ok");
}

static void test_controls_visible(void **state)
{
	(void)state;
	expect("\x1b[2J\x1b]0;pwned\x07", NULL, "\\e[2J\\e]0;pwned\\x07");
	expect("a\tb\rc", NULL, "a\\tb\\rc");
	expect("del\x7f", NULL, "del\\x7f");
	expect("\x01\x1f", NULL, "\\x01\\x1f");
	/* C1 controls in UTF-8: U+009B is CSI on some terminals. */
	expect("\xc2\x9b" "31m", NULL, "\\u009b31m");
	expect("\xc2\xa0", NULL, "\xc2\xa0"); /* U+00A0 is printable */
}

/* Characters that reorder or break a line unseen: shown, so the line reads as it was typed. */
static void test_bidi_and_separators_visible(void **state)
{
	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE: "txt.exe" would read "exe.txt". */
	expect("invoice\xe2\x80\xaetxt.exe", NULL, "invoice\\u202etxt.exe");
	expect("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", NULL, "\\u202a\\u202b\\u202c\\u202d");
	expect("\xe2\x81\xa6\xe2\x81\xa9", NULL, "\\u2066\\u2069");
	expect("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", NULL, "\\u200e\\u200f\\u061c");
	expect("one\xe2\x80\xa8two\xe2\x80\xa9", NULL, "one\\u2028two\\u2029");
	/* Escaping twice changes nothing: handoff-tech may escape what the relay escaped. */
	expect("\\e]0;x\\x07 \\u202e", NULL, "\\e]0;x\\x07 \\u202e");
	expect("\xe2\x80\x94", NULL, "\xe2\x80\x94"); /* U+2014 EM DASH is printable */
}

static void test_newlines(void **state)
{
	(void)state;
	expect("one\ntwo", NULL, "one\\ntwo");
	expect("one\ntwo\nthree", "    ", "one\n    two\n    three");
	expect("end\n", "  ", "end\n  ");
}

static void test_not_utf8(void **state)
{
	(void)state;
	expect("\xff\xfe", NULL, "\\xff\\xfe");
	expect("\xc0\xaf", NULL, "\\xc0\\xaf");             /* overlong '/' */
	expect("\xe0\x80\xaf", NULL, "\\xe0\\x80\\xaf");    /* overlong, 3 bytes */
	expect("\xed\xa0\x80", NULL, "\\xed\\xa0\\x80");    /* a surrogate */
	expect("\xf4\x90\x80\x80", NULL, "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	expect("cut \xe3\x83", NULL, "cut \\xe3\\x83");      /* a sequence cut by the NUL */
}

/* A full buffer keeps a prefix that ends on a whole escape or character. */
static void test_bounded(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(textesc_string("abcdefghij", NULL, out, sizeof(out)), 7);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(textesc_string("abcde\x1b", NULL, out, sizeof(out)), 7);
	assert_string_equal(out, "abcde\\e");
	assert_int_equal(textesc_string("abcdef\x1b", NULL, out, sizeof(out)), 6);
	assert_string_equal(out, "abcdef");
	assert_int_equal(textesc_string("ab\xe3\x83\x97\xe3\x83\x97", NULL, out, sizeof(out)), 5);
	assert_string_equal(out, "ab\xe3\x83\x97");
	assert_int_equal(textesc_string("x", NULL, out, 1), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_unchanged),
		cmocka_unit_test(test_controls_visible),
		cmocka_unit_test(test_bidi_and_separators_visible),
		cmocka_unit_test(test_newlines),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
