/*
 * fuzz_kb.c: libFuzzer target for relay/kb.c, which reads what customers
 * type and what their logs say (hostile text) into the terms of a
 * full-text query.
 *
 * The input (NUL-terminated copy) is cut both ways. Every term is 1 to
 * RELAY_KB_TERM_MAX - 1 bytes, distinct, at most RELAY_KB_TERMS_MAX of
 * them, and occurs in the input when ASCII case is folded (words) or as it
 * is (windows); the FTS5 expression is balanced in its quotes and fits
 * its buffer, or is refused as "". The expression parses back
 * (relay_kb_match_parse, the PostgreSQL store's reading of it) into the
 * terms that are not short, in order, with its operator; the input itself
 * is parsed too, as hostile text, and must only be refused or read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kb.h"

/* parse(match(t, op)) gives t's terms that are not short, in order, and op. */
static void fuzz_kb_round_trip(const struct relay_kb_terms *t, const char *match, int all)
{
	struct relay_kb_terms *back = malloc(sizeof(*back));
	size_t j = 0;
	int back_all = -1;

	if (back == NULL)
		return;
	if (relay_kb_match_parse(match, back, &back_all) != 0)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		if (relay_kb_short(t->term[i]))
			continue;
		if (j >= back->n || strcmp(t->term[i], back->term[j]) != 0)
			abort();
		j++;
	}
	if (j != back->n || (back->n > 1 && back_all != all))
		abort();
	free(back);
}

static void fuzz_kb_check(const struct relay_kb_terms *t, const char *text)
{
	char out[RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)];
	size_t quotes = 0;

	if (t->n > RELAY_KB_TERMS_MAX)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		size_t n = strlen(t->term[i]);

		if (n == 0 || n >= RELAY_KB_TERM_MAX)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->term[i], t->term[j]) == 0)
				abort();
	}
	if (t->n > 0 && relay_kb_hits(t, text) != t->n)
		abort();
	if (relay_kb_match(t, "OR", out, sizeof(out)) == 0) {
		for (const char *p = out; *p != '\0'; p++)
			quotes += *p == '"';
		if (quotes % 2 != 0 || strlen(out) >= sizeof(out))
			abort();
		fuzz_kb_round_trip(t, out, 0);
		if (relay_kb_match(t, "AND", out, sizeof(out)) != 0)
			abort();
		fuzz_kb_round_trip(t, out, 1);
	} else if (out[0] != '\0') {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_kb_terms *t = malloc(sizeof(*t));
	char *text = malloc(size + 1);

	if (t == NULL || text == NULL)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	relay_kb_terms_free_text(text, t);
	fuzz_kb_check(t, text);
	relay_kb_terms_words(text, t);
	fuzz_kb_check(t, text);
	{
		int all;

		if (relay_kb_match_parse(text, t, &all) == 0 && (t->n == 0 || t->n > RELAY_KB_TERMS_MAX))
			abort();
	}
out:
	free(text);
	free(t);
	return 0;
}
