/*
 * test_client_ui_text.c: unit tests for client/ui_text.c, which makes the
 * relay's strings (technicians' names, chat, summaries) safe for both of
 * the customer's UIs: no control character may act on a terminal, no
 * invisible character may reorder what follows, and a cut never splits a
 * UTF-8 character (a half character would show as garbage in the window).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ui_text.h"

static void test_plain_and_japanese_pass(void **state)
{
	char out[128];

	(void)state;
	assert_string_equal(helper_ui_text_clean("Alice (L1)", out, sizeof(out)), "Alice (L1)");
	assert_string_equal(helper_ui_text_clean("プリンターが動きません", out, sizeof(out)),
			    "プリンターが動きません");
	assert_string_equal(helper_ui_text_clean(NULL, out, sizeof(out)), "");
}

static void test_controls_replaced(void **state)
{
	char out[128];

	(void)state;
	/* ESC [2J would clear a terminal; C1 CSI (U+009B) is the same in one character. */
	assert_string_equal(helper_ui_text_clean("a\x1b[2Jb\r\n\x7f", out, sizeof(out)), "a?[2Jb???");
	assert_string_equal(helper_ui_text_clean("x\xc2\x9b" "y", out, sizeof(out)), "x?y");
}

static void test_invisible_replaced(void **state)
{
	char out[128];

	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH SPACE, U+2066 LRI, U+FEFF BOM. */
	assert_string_equal(helper_ui_text_clean("a\xe2\x80\xae" "b\xe2\x80\x8b" "c\xe2\x81\xa6" "d\xef\xbb\xbf",
						 out, sizeof(out)), "a?b?c?d?");
	/* Neighbours of those ranges are ordinary text (U+2010 HYPHEN). */
	assert_string_equal(helper_ui_text_clean("\xe2\x80\x90", out, sizeof(out)), "\xe2\x80\x90");
}

static void test_cut_on_character_boundary(void **state)
{
	char out[8];

	(void)state;
	/* 3 bytes each: 7 bytes of room hold two characters, never a piece of the third. */
	assert_string_equal(helper_ui_text_clean("日本語です", out, sizeof(out)), "日本");
	assert_string_equal(helper_ui_text_clean_n("abcdef", 3, out, sizeof(out)), "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_japanese_pass),
		cmocka_unit_test(test_controls_replaced),
		cmocka_unit_test(test_invisible_replaced),
		cmocka_unit_test(test_cut_on_character_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
