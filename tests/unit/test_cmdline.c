/*
 * test_cmdline.c: unit tests for protocol/cmdline.c, the shell-like split
 * and join of SSH exec command lines. The relay splits what any SSH client
 * sent, so the splitter must match a POSIX shell on the cases people type
 * and fail cleanly on the rest; handoff-tech joins its argv, so join then
 * split must give back exactly the same words, whatever they contain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmdline.h"

/* Splits line and checks the words; want is NULL-terminated. */
static void expect_split(const char *line, const char *const *want)
{
	char **argv = NULL;
	size_t argc = 99, n = 0;
	char err[128] = "";

	if (cmdline_split(line, &argv, &argc, err, sizeof(err)) != 0)
		fail_msg("cmdline_split(\"%s\") failed: %s", line, err);
	while (want[n] != NULL)
		n++;
	if (argc != n)
		fail_msg("cmdline_split(\"%s\"): %zu words, want %zu", line, argc, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[i], want[i]) != 0)
			fail_msg("cmdline_split(\"%s\"): word %zu is \"%s\", want \"%s\"", line, i,
				 argv[i], want[i]);
	assert_null(argv[argc]);
	cmdline_free(argv);
}

static void expect_split_fails(const char *line, const char *err_has)
{
	char **argv = NULL;
	size_t argc = 99;
	char err[128] = "";

	if (cmdline_split(line, &argv, &argc, err, sizeof(err)) != -1)
		fail_msg("cmdline_split accepted a line that should fail with \"%s\"", err_has);
	assert_null(argv);
	assert_int_equal(argc, 99);
	if (strstr(err, err_has) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, err_has);
}

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_WORDS ((const char *const[]){ NULL })

static void test_plain_words(void **state)
{
	(void)state;
	expect_split("", NO_WORDS);
	expect_split("   \t \r\n ", NO_WORDS);
	expect_split("ticket", WORDS("ticket"));
	expect_split("ticket new Printer broken", WORDS("ticket", "new", "Printer", "broken"));
	expect_split("  a \t b\n\nc\r\nd  ", WORDS("a", "b", "c", "d"));
	expect_split("プリンター 壊れた", WORDS("プリンター", "壊れた"));
	expect_split("$HOME `id` *.txt ~ a=b #x", WORDS("$HOME", "`id`", "*.txt", "~", "a=b", "#x"));
}

static void test_single_quotes(void **state)
{
	(void)state;
	expect_split("'a b'", WORDS("a b"));
	expect_split("'a\\b' '$x' '\"' '\\'", WORDS("a\\b", "$x", "\"", "\\"));
	expect_split("'line\nbreak'", WORDS("line\nbreak"));
	expect_split("'' x ''", WORDS("", "x", ""));
	expect_split("'it'\\''s'", WORDS("it's"));
	expect_split("it\\'s", WORDS("it's"));
	expect_split("'プリンター が'", WORDS("プリンター が"));
}

static void test_double_quotes(void **state)
{
	(void)state;
	expect_split("\"a b\"", WORDS("a b"));
	expect_split("\"\"", WORDS(""));
	/* \" \\ \$ \` are escapes; any other backslash stays. */
	expect_split("\"q\\\"q\" \"b\\\\s\" \"\\$x\" \"\\`y\\`\"",
		     WORDS("q\"q", "b\\s", "$x", "`y`"));
	expect_split("\"\\n\\a\\'\"", WORDS("\\n\\a\\'"));
	expect_split("\"it's\"", WORDS("it's"));
	expect_split("\"tab\there\"", WORDS("tab\there"));
}

static void test_backslash_outside_quotes(void **state)
{
	(void)state;
	expect_split("a\\ b", WORDS("a b"));
	expect_split("\\'x\\\"", WORDS("'x\""));
	expect_split("\\\\", WORDS("\\"));
	expect_split("\\a\\b", WORDS("ab"));
	expect_split("x \\  y", WORDS("x", " ", "y"));
}

static void test_concatenation(void **state)
{
	(void)state;
	expect_split("a'b'\"c\"d", WORDS("abcd"));
	expect_split("pre'  mid  'post next", WORDS("pre  mid  post", "next"));
	expect_split("''\"\"", WORDS(""));
	expect_split("x''", WORDS("x"));
}

static void test_errors(void **state)
{
	(void)state;
	expect_split_fails("'open", "unterminated");
	expect_split_fails("a 'b c", "unterminated");
	expect_split_fails("\"open", "unterminated");
	expect_split_fails("\"ends with escaped quote\\\"", "unterminated");
	expect_split_fails("'", "unterminated");
	expect_split_fails("\"", "unterminated");
	expect_split_fails("a\\", "backslash");
	expect_split_fails("\\", "backslash");
	expect_split_fails("bad \xff byte", "UTF-8");
	expect_split_fails("overlong \xc0\xaf", "UTF-8");
	expect_split_fails("surrogate \xed\xa0\x80", "UTF-8");
}

static void test_word_count_limit(void **state)
{
	char line[CMDLINE_ARGS_MAX * 2 + 1];
	char **argv = NULL;
	size_t argc = 0;
	char err[128];

	(void)state;
	/* CMDLINE_ARGS_MAX - 1 words fit (the last slot is the NULL). */
	for (size_t i = 0; i < CMDLINE_ARGS_MAX - 1; i++) {
		line[2 * i] = 'w';
		line[2 * i + 1] = ' ';
	}
	line[2 * (CMDLINE_ARGS_MAX - 1)] = '\0';
	assert_int_equal(cmdline_split(line, &argv, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, CMDLINE_ARGS_MAX - 1);
	assert_null(argv[argc]);
	cmdline_free(argv);

	line[2 * (CMDLINE_ARGS_MAX - 1)] = 'w';
	line[2 * (CMDLINE_ARGS_MAX - 1) + 1] = '\0';
	expect_split_fails(line, "more than");
}

static void test_empty_words_count_toward_limit(void **state)
{
	char line[CMDLINE_ARGS_MAX * 3 + 1];
	char **argv = NULL;
	size_t argc = 0;
	char err[128];

	(void)state;
	/* CMDLINE_ARGS_MAX - 1 empty words: fine, and each is really "". */
	for (size_t i = 0; i < CMDLINE_ARGS_MAX - 1; i++)
		memcpy(line + 3 * i, i % 2 ? "\"\" " : "'' ", 3);
	line[3 * (CMDLINE_ARGS_MAX - 1)] = '\0';
	assert_int_equal(cmdline_split(line, &argv, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, CMDLINE_ARGS_MAX - 1);
	for (size_t i = 0; i < argc; i++)
		assert_string_equal(argv[i], "");
	cmdline_free(argv);
	/* One more is refused. */
	memcpy(line + 3 * (CMDLINE_ARGS_MAX - 1), "'' ", 3);
	line[3 * CMDLINE_ARGS_MAX] = '\0';
	expect_split_fails(line, "more than");
}

static void test_length_limit(void **state)
{
	char *line = malloc(CMDLINE_MAX + 2);
	char **argv = NULL;
	size_t argc = 0;
	char err[128];

	(void)state;
	assert_non_null(line);
	memset(line, 'x', CMDLINE_MAX);
	line[CMDLINE_MAX] = '\0';
	assert_int_equal(cmdline_split(line, &argv, &argc, err, sizeof(err)), 0);
	assert_int_equal(argc, 1);
	assert_int_equal(strlen(argv[0]), CMDLINE_MAX);
	cmdline_free(argv);
	line[CMDLINE_MAX] = 'x';
	line[CMDLINE_MAX + 1] = '\0';
	expect_split_fails(line, "longer than");
	free(line);
}

static void expect_join(char *const *argv, size_t argc, const char *want)
{
	char *s = cmdline_join(argv, argc);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_join_quoting(void **state)
{
	char *plain[] = { "ticket", "new", "プリンター" };
	char *empty[] = { "" };
	char *spaced[] = { "a b" };
	char *apos[] = { "it's" };
	char *dollar[] = { "$HOME", "`id`", "a\\b", "\"q\"" };

	(void)state;
	expect_join(NULL, 0, "");
	expect_join(plain, 3, "ticket new プリンター");
	expect_join(empty, 1, "''");
	expect_join(spaced, 1, "'a b'");
	expect_join(apos, 1, "'it'\\''s'");
	expect_join(dollar, 4, "'$HOME' '`id`' 'a\\b' '\"q\"'");
}

static void test_join_too_long(void **state)
{
	char *word = malloc(CMDLINE_MAX + 1);
	char *argv[1];
	char *s;

	(void)state;
	assert_non_null(word);
	argv[0] = word;
	/* The joined line and its NUL must fit in CMDLINE_MAX. */
	memset(word, 'x', CMDLINE_MAX - 1);
	word[CMDLINE_MAX - 1] = '\0';
	s = cmdline_join(argv, 1);
	assert_non_null(s);
	assert_int_equal(strlen(s), CMDLINE_MAX - 1);
	free(s);
	word[CMDLINE_MAX - 1] = 'x';
	word[CMDLINE_MAX] = '\0';
	assert_null(cmdline_join(argv, 1));
	/* Quoting can push a short word over: each ' becomes four bytes. */
	memset(word, '\'', CMDLINE_MAX / 4);
	word[CMDLINE_MAX / 4] = '\0';
	assert_null(cmdline_join(argv, 1));
	free(word);
}

static void round_trip(char *const *words, size_t n)
{
	char *line = cmdline_join(words, n);
	char **argv = NULL;
	size_t argc = 0;
	char err[128] = "";

	assert_non_null(line);
	if (cmdline_split(line, &argv, &argc, err, sizeof(err)) != 0)
		fail_msg("split of joined \"%s\" failed: %s", line, err);
	assert_int_equal(argc, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[i], words[i]) != 0)
			fail_msg("word %zu: \"%s\" came back as \"%s\" via \"%s\"", i, words[i],
				 argv[i], line);
	cmdline_free(argv);
	free(line);
}

static void test_join_split_round_trip(void **state)
{
	char *tricky[] = {
		"plain", "", "a b", "  lead", "trail  ", "tab\there", "new\nline", "cr\r",
		"'", "''", "\"", "\\", "\\\\", "x\\", "\\'", "'\\''", "it's", "say \"hi\"",
		"$HOME", "${x}", "`id`", "$(id)", "a;b", "a|b&c", "*", "?", "~", "#", "!",
		"=", "--", "-", "プリンター", "プリンター 壊れた", "'プリンター'", "\"壊\\れ\"",
		"mixed 'single' and \"double\" and \\back\\",
	};
	const size_t n = sizeof(tricky) / sizeof(tricky[0]);

	(void)state;
	round_trip(tricky, n);
	for (size_t i = 0; i < n; i++)
		round_trip(&tricky[i], 1);
	/* Every pair, so neighbours' quoting cannot leak into each other. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			char *pair[2] = { tricky[i], tricky[j] };
			round_trip(pair, 2);
		}
	round_trip(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_words),
		cmocka_unit_test(test_single_quotes),
		cmocka_unit_test(test_double_quotes),
		cmocka_unit_test(test_backslash_outside_quotes),
		cmocka_unit_test(test_concatenation),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_word_count_limit),
		cmocka_unit_test(test_empty_words_count_toward_limit),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_join_quoting),
		cmocka_unit_test(test_join_too_long),
		cmocka_unit_test(test_join_split_round_trip),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
