/*
 * kb: the terms free text and a searcher's words give the trigram index
 * (relay/kb.c), the FTS5 expression made of them, and the hit count that
 * keeps a common trigram from suggesting everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kb.h"

static void test_free_text_terms(void **state)
{
	struct relay_kb_terms t;

	(void)state;
	relay_kb_terms_free_text("Outlook error 0x800CCC0E at the top", &t);
	/* ASCII words of 4+ characters, lowercased; "at", "the", "top" are too short. */
	assert_int_equal(t.n, 3);
	assert_string_equal(t.term[0], "outlook");
	assert_string_equal(t.term[1], "error");
	assert_string_equal(t.term[2], "0x800ccc0e");
	relay_kb_terms_free_text("印刷できません", &t);
	/* Seven characters: five windows of three. */
	assert_int_equal(t.n, 5);
	assert_string_equal(t.term[0], "印刷で");
	assert_string_equal(t.term[4], "ません");
	relay_kb_terms_free_text("エラー: ok エラー", &t);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.term[0], "エラー");
	relay_kb_terms_free_text("印刷 ok", &t);
	assert_int_equal(t.n, 0);
	relay_kb_terms_free_text(NULL, &t);
	assert_int_equal(t.n, 0);
}

static void test_terms_capped(void **state)
{
	struct relay_kb_terms t;
	char text[4096];
	size_t used = 0;

	(void)state;
	for (int i = 0; i < 200; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "word%03d ", i);
	relay_kb_terms_free_text(text, &t);
	assert_int_equal(t.n, RELAY_KB_TERMS_MAX);
	/* A word too long for a term is skipped, not cut. */
	memset(text, 'a', 100);
	text[100] = '\0';
	relay_kb_terms_free_text(text, &t);
	assert_int_equal(t.n, 0);
}

static void test_match(void **state)
{
	struct relay_kb_terms t;
	char out[512];

	(void)state;
	relay_kb_terms_words("Kerberos 印刷 login", &t);
	assert_int_equal(t.n, 3);
	assert_true(relay_kb_short("印刷"));
	assert_false(relay_kb_short("印刷で"));
	assert_int_equal(relay_kb_match(&t, "AND", out, sizeof(out)), 0);
	assert_string_equal(out, "\"kerberos\" AND \"login\"");
	assert_int_equal(relay_kb_match(&t, "OR", out, sizeof(out)), 0);
	assert_string_equal(out, "\"kerberos\" OR \"login\"");
	relay_kb_terms_words("say \"hi\"", &t);
	assert_int_equal(relay_kb_match(&t, "AND", out, sizeof(out)), 0);
	assert_string_equal(out, "\"say\" AND \"\"\"hi\"\"\"");
	relay_kb_terms_words("印刷 ab", &t);
	assert_int_equal(relay_kb_match(&t, "AND", out, sizeof(out)), -1);
	assert_string_equal(out, "");
	relay_kb_terms_words("kerberos", &t);
	assert_int_equal(relay_kb_match(&t, "AND", out, 8), -1);
	assert_string_equal(out, "");
}

static void test_hits(void **state)
{
	struct relay_kb_terms t;

	(void)state;
	relay_kb_terms_free_text("エラー: スプーラーが応答しません", &t);
	assert_true(relay_kb_hits(&t, "印刷ボタンを押しても何も出てこない。スプーラーがエラーを返す") >= 4);
	assert_int_equal(relay_kb_hits(&t, "VPN drops every hour"), 0);
	relay_kb_terms_words("KERBEROS", &t);
	assert_int_equal(relay_kb_hits(&t, "Kerberos ticket errors"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_text_terms),
		cmocka_unit_test(test_terms_capped),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_hits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
