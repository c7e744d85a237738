/*
 * kb.c: see kb.h. Text is read byte by byte: bytes below 0x80 are ASCII
 * (letters and digits make words, the rest separates), everything else is
 * a run of other characters cut into windows with utf8_skip, so a byte
 * that is not UTF-8 only makes a window no article contains.
 */
#include "kb.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

static void relay_kb_add(struct relay_kb_terms *t, const char *p, size_t n, int lower)
{
	char term[RELAY_KB_TERM_MAX];

	if (n == 0 || n >= sizeof(term) || t->n == RELAY_KB_TERMS_MAX)
		return;
	for (size_t i = 0; i < n; i++)
		term[i] = lower ? (char)tolower((unsigned char)p[i]) : p[i];
	term[n] = '\0';
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->term[i], term) == 0)
			return;
	memcpy(t->term[t->n++], term, n + 1);
}

static int relay_kb_word_byte(unsigned char c)
{
	return c < 0x80 && isalnum(c);
}

void relay_kb_terms_free_text(const char *text, struct relay_kb_terms *t)
{
	const char *p = text != NULL ? text : "";

	t->n = 0;
	while (*p != '\0' && t->n < RELAY_KB_TERMS_MAX) {
		unsigned char c = (unsigned char)*p;
		size_t n = 0;

		if (c < 0x80) {
			while (relay_kb_word_byte((unsigned char)p[n]))
				n++;
			if (n >= 4)
				relay_kb_add(t, p, n, 1);
			p += n > 0 ? n : 1;
			continue;
		}
		while ((unsigned char)p[n] >= 0x80)
			n++;
		/* Every window of three characters of the run, one character apart. */
		for (size_t at = 0; at < n;) {
			size_t w = utf8_skip(p + at, n - at, 3);

			if (utf8_count(p + at, w) < 3)
				break;
			relay_kb_add(t, p + at, w, 0);
			at += utf8_skip(p + at, n - at, 1);
		}
		p += n;
	}
}

void relay_kb_terms_words(const char *words, struct relay_kb_terms *t)
{
	const char *p = words != NULL ? words : "";

	t->n = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, " \t");

		relay_kb_add(t, p, n, 1);
		p += n;
		p += strspn(p, " \t");
	}
}

int relay_kb_short(const char *term)
{
	return utf8_count(term, strlen(term)) < 3;
}

int relay_kb_match(const struct relay_kb_terms *t, const char *op, char *out, size_t outlen)
{
	size_t used = 0, terms = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const char *s = t->term[i];
		int n;

		if (relay_kb_short(s))
			continue;
		n = snprintf(out + used, outlen - used, "%s\"", terms ? (strcmp(op, "AND") == 0 ? " AND " : " OR ") : "");
		if (n < 0 || (size_t)n >= outlen - used)
			goto full;
		used += (size_t)n;
		/* Inside an FTS5 string a double quote is written twice. */
		for (; *s != '\0'; s++) {
			if (used + 3 >= outlen)
				goto full;
			if (*s == '"')
				out[used++] = '"';
			out[used++] = *s;
		}
		out[used++] = '"';
		out[used] = '\0';
		terms++;
	}
	return terms > 0 ? 0 : -1;
full:
	out[0] = '\0';
	return -1;
}

int relay_kb_match_parse(const char *match, struct relay_kb_terms *t, int *all)
{
	const char *p = match;
	int op = -1; /* unknown until the first operator: 0 OR, 1 AND */

	t->n = 0;
	*all = 0;
	for (;;) {
		size_t n = 0;

		if (*p != '"' || t->n == RELAY_KB_TERMS_MAX)
			return -1;
		for (p++;; p++) {
			if (*p == '\0')
				return -1;
			if (*p == '"' && p[1] != '"')
				break;
			if (*p == '"')
				p++;
			if (n + 1 >= RELAY_KB_TERM_MAX)
				return -1;
			t->term[t->n][n++] = *p;
		}
		t->term[t->n++][n] = '\0';
		p++;
		if (*p == '\0')
			break;
		if (strncmp(p, " OR \"", 5) == 0 && op != 1) {
			op = 0;
			p += 4;
		} else if (strncmp(p, " AND \"", 6) == 0 && op != 0) {
			op = 1;
			p += 5;
		} else {
			return -1;
		}
	}
	*all = op == 1;
	return 0;
}

/* strstr with ASCII letters folded (the terms of words are lowercased already). */
static int relay_kb_contains(const char *text, const char *term)
{
	size_t n = strlen(term);

	for (const char *p = text; *p != '\0'; p++) {
		size_t i = 0;

		while (i < n && p[i] != '\0' && tolower((unsigned char)p[i]) == (unsigned char)term[i])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

size_t relay_kb_hits(const struct relay_kb_terms *t, const char *text)
{
	size_t hits = 0;

	for (size_t i = 0; i < t->n; i++)
		hits += (size_t)relay_kb_contains(text, t->term[i]);
	return hits;
}
