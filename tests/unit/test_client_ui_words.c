/*
 * ui_words: the self-help articles as the customer reads them (the
 * relay's labels in the customer's words, each line cleaned, lines kept).
 * Without a catalog the English ids are the words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ui_words.h"

static void test_selfhelp_lines_and_labels(void **state)
{
	char out[512];

	(void)state;
	helper_ui_words_selfhelp("#3 VPN drops\nSymptoms: every hour\n  and at lunch\nFix: update\n\n#4 プリンター\nFix: 再起動",
				 out, sizeof(out));
	assert_string_equal(out, "#3 VPN drops\nSymptoms: every hour\n  and at lunch\nFix: update\n\n#4 プリンター\nFix: 再起動");
	/* A label elsewhere in a line is the article's own text, not a label. */
	helper_ui_words_selfhelp("#1 Fix: it", out, sizeof(out));
	assert_string_equal(out, "#1 Fix: it");
}

static void test_selfhelp_hostile_text(void **state)
{
	char out[512];

	(void)state;
	/* A control character or a bidirectional override in an article cannot act on the window. */
	helper_ui_words_selfhelp("#1 a\x1b" "[2Jb\nFix: \xe2\x80\xae" "evil", out, sizeof(out));
	assert_null(strchr(out, '\x1b'));
	assert_null(strstr(out, "\xe2\x80\xae"));
	assert_non_null(strstr(out, "\nFix: "));
}

static void test_selfhelp_cut_at_a_line(void **state)
{
	char out[16];

	(void)state;
	/* What does not fit is left out a whole line at a time. */
	helper_ui_words_selfhelp("#1 short\n#2 a much longer title", out, sizeof(out));
	assert_string_equal(out, "#1 short");
	helper_ui_words_selfhelp(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selfhelp_lines_and_labels),
		cmocka_unit_test(test_selfhelp_hostile_text),
		cmocka_unit_test(test_selfhelp_cut_at_a_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
