/*
 * triage.c: see triage.h. Everything here reads a value an operator typed
 * into relay.conf, so every refusal says what was expected and what came.
 */
#include "triage.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

static const char *const relay_triage_levels[RELAY_TRIAGE_LEVELS] = { "high", "medium", "low" };

int relay_triage_level(const char *word)
{
	for (int i = 0; word != NULL && i < RELAY_TRIAGE_LEVELS; i++)
		if (strcmp(word, relay_triage_levels[i]) == 0)
			return i;
	return -1;
}

const char *relay_triage_level_name(int level)
{
	return level >= 0 && level < RELAY_TRIAGE_LEVELS ? relay_triage_levels[level] : "?";
}

void relay_triage_default(struct relay_triage_matrix *m)
{
	static const char *const rows[RELAY_TRIAGE_LEVELS][RELAY_TRIAGE_LEVELS] = {
		{ "P1", "P2", "P3" },
		{ "P2", "P3", "P4" },
		{ "P3", "P4", "P4" },
	};

	for (int i = 0; i < RELAY_TRIAGE_LEVELS; i++)
		for (int u = 0; u < RELAY_TRIAGE_LEVELS; u++)
			memcpy(m->p[i][u], rows[i][u], 3);
}

int relay_triage_row_parse(struct relay_triage_matrix *m, int impact, const char *value, char *why, size_t whylen)
{
	char row[RELAY_TRIAGE_LEVELS][3];
	const char *p = value;
	int n = 0;

	if (impact < 0 || impact >= RELAY_TRIAGE_LEVELS || value == NULL) {
		snprintf(why, whylen, "no such impact");
		return -1;
	}
	for (;;) {
		size_t len;

		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if (n == RELAY_TRIAGE_LEVELS) {
			snprintf(why, whylen, "expected three priorities (urgency high, medium, low), got more");
			return -1;
		}
		if (len != 2 || p[0] != 'P' || p[1] < '1' || p[1] > '4') {
			snprintf(why, whylen, "expected P1, P2, P3 or P4, got \"%.*s\"", (int)(len > 16 ? 16 : len), p);
			return -1;
		}
		row[n][0] = p[0];
		row[n][1] = p[1];
		row[n][2] = '\0';
		n++;
		p += len;
	}
	if (n != RELAY_TRIAGE_LEVELS) {
		snprintf(why, whylen, "expected three priorities (urgency high, medium, low), got %d", n);
		return -1;
	}
	memcpy(m->p[impact], row, sizeof(row));
	return 0;
}

const char *relay_triage_priority(const struct relay_triage_matrix *m, int impact, int urgency)
{
	if (impact < 0 || impact >= RELAY_TRIAGE_LEVELS || urgency < 0 || urgency >= RELAY_TRIAGE_LEVELS)
		return NULL;
	return m->p[impact][urgency];
}

static int relay_triage_field_ok_n(const char *name, size_t n)
{
	return n > 0 && n < RELAY_TRIAGE_FIELD_MAX && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") >= n;
}

int relay_triage_field_ok(const char *name)
{
	return name != NULL && relay_triage_field_ok_n(name, strlen(name));
}

int relay_checklist_parse(struct relay_checklist *c, const char *value, char *why, size_t whylen)
{
	struct relay_checklist out = { .n = 0 };
	const char *rest = value != NULL ? value : "", *p;
	size_t len;

	while (config_list_next(&rest, &p, &len)) {
		if (len > 0) {
			if (!relay_triage_field_ok_n(p, len)) {
				snprintf(why, whylen, "\"%.*s\" is not a field name (a-z, 0-9 and -, at most %d)",
					 (int)(len > 40 ? 40 : len), p, RELAY_TRIAGE_FIELD_MAX - 1);
				return -1;
			}
			if (out.n == RELAY_CHECKLIST_MAX) {
				snprintf(why, whylen, "at most %d fields", RELAY_CHECKLIST_MAX);
				return -1;
			}
			memcpy(out.field[out.n], p, len);
			out.field[out.n][len] = '\0';
			if (relay_checklist_find(&out, out.field[out.n]) >= 0) {
				snprintf(why, whylen, "\"%s\" is named twice", out.field[out.n]);
				return -1;
			}
			out.n++;
		}
	}
	*c = out;
	return 0;
}

int relay_checklist_find(const struct relay_checklist *c, const char *name)
{
	for (size_t i = 0; name != NULL && i < c->n; i++)
		if (strcmp(c->field[i], name) == 0)
			return (int)i;
	return -1;
}

size_t relay_checklist_missing(const struct relay_checklist *c, const bool *filled, char *out, size_t outlen)
{
	size_t missing = 0, used = 0;

	if (outlen > 0)
		out[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		int n;

		if (filled[i])
			continue;
		missing++;
		if (used >= outlen)
			continue;
		n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", c->field[i]);
		used = n < 0 ? outlen : used + (size_t)n;
	}
	return missing;
}
