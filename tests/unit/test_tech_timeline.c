/*
 * test_tech_timeline.c: unit tests for tech_timeline_escape, which turns
 * ticket text (some of it typed by a customer) into the one printable line
 * replay prints and draws. A raw newline would forge a second "event" line
 * for scripts; an ESC would drive the auditor's terminal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timeline.h"

static void escaped(const char *in, const char *want)
{
	char out[TECH_TIMELINE_LINE_MAX];

	tech_timeline_escape(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void controls_are_escaped_visibly(void **state)
{
	(void)state;
	escaped("Two lines\nand \x1b[31mred", "Two lines\\nand \\e[31mred");
	escaped("tab\there\r\x7f", "tab\\there\\r\\x7f");
	/* Backslashes pass: text escaped once (by the relay) shows the same escaped again. */
	escaped("back\\slash", "back\\slash");
	/* A right-to-left override would reorder what follows it on the line. */
	escaped("a\xe2\x80\xae" "b", "a\\u202eb");
	/* C1 controls and the Unicode line separators end lines too in some terminals. */
	escaped("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9", "a\\u0085b\\u2028c\\u2029");
}

static void text_passes_through(void **state)
{
	(void)state;
	escaped("chat alice (L1): こんにちは、ヘルプデスクです", "chat alice (L1): こんにちは、ヘルプデスクです");
	escaped("caf\xc3\xa9 \xc2\xa0", "caf\xc3\xa9 \xc2\xa0");
}

static void broken_utf8_shows_as_bytes(void **state)
{
	(void)state;
	escaped("a\xff" "b\xc3", "a\\xffb\\xc3");
	escaped("\xe3\x81", "\\xe3\\x81");
}

static void full_output_stops_at_a_whole_character(void **state)
{
	char out[8];

	(void)state;
	tech_timeline_escape("abcdef\n", out, sizeof(out));
	assert_string_equal(out, "abcdef"); /* "\\n" does not fit in the last byte */
	tech_timeline_escape("ab日本", out, sizeof(out));
	assert_string_equal(out, "ab日"); /* 本 needs three more bytes */
	tech_timeline_escape("x", out, 1);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(controls_are_escaped_visibly),
		cmocka_unit_test(text_passes_through),
		cmocka_unit_test(broken_utf8_shows_as_bytes),
		cmocka_unit_test(full_output_stops_at_a_whole_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
