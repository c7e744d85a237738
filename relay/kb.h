/*
 * kb: the words of free text that the knowledge base's full-text index is
 * asked for, and how well an article answers them. Pure: no store; exec.c
 * (kb search) and ticket.c (suggestions) build queries with it,
 * tests/unit/test_kb.c checks it.
 *
 * The index uses SQLite FTS5's trigram tokenizer, which matches any
 * substring of three characters or more and needs no word boundaries, so
 * Japanese works as English does. Its limit is the other side: a term of
 * one or two characters matches nothing. Free text (a chat line, a log
 * line) becomes ASCII words of four characters or more, lowercased, and
 * every window of three characters of each run of other characters
 * (Japanese has no spaces); a query is those terms in double quotes joined
 * by OR (suggestions) or AND (kb search), and the articles it finds are
 * kept only if enough terms occur in them (relay_kb_hits), because one
 * common trigram ("ません") would otherwise suggest everything.
 */
#ifndef HANDOFF_RELAY_KB_H
#define HANDOFF_RELAY_KB_H

#include <stddef.h>

#define RELAY_KB_TERMS_MAX 64
#define RELAY_KB_TERM_MAX 48   /* a term's bytes and its NUL */
/* Fields an article may hold, in bytes; a title is shorter (store.h, STORE_KB_TITLE_MAX). */
#define RELAY_KB_FIELD_MAX 4096

struct relay_kb_terms {
	char term[RELAY_KB_TERMS_MAX][RELAY_KB_TERM_MAX];
	size_t n;
};

/* Free text's terms (see above), each once, at most RELAY_KB_TERMS_MAX. */
void relay_kb_terms_free_text(const char *text, struct relay_kb_terms *t);
/* A searcher's words, split at spaces, each once; short ones too (relay_kb_short). */
void relay_kb_terms_words(const char *words, struct relay_kb_terms *t);
/* 1 when a term is too short for the trigram index (fewer than 3 characters). */
int relay_kb_short(const char *term);
/*
 * The FTS5 expression of t's terms that are not short, each a quoted
 * string, joined by op ("OR" or "AND"), into out. 0, or -1 when there is
 * none or out is too small (out is then "").
 */
int relay_kb_match(const struct relay_kb_terms *t, const char *op, char *out, size_t outlen);
/*
 * The other way: the terms and the operator of an expression relay_kb_match
 * made (quoted strings, a doubled quote for a quote, joined by one " OR " or
 * " AND " throughout), for a store that has no FTS5 (store_pg.c). *all gets
 * 1 for AND. 0, or -1 for anything else: another operator, both mixed, an
 * unquoted word, a term too long or too many.
 */
int relay_kb_match_parse(const char *match, struct relay_kb_terms *t, int *all);
/* How many of t's terms occur in text (ASCII letters compared without case). */
size_t relay_kb_hits(const struct relay_kb_terms *t, const char *text);

#endif
