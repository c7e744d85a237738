/*
 * triage: a ticket's priority from its impact and urgency, and the
 * handover checklist a tier fills before it escalates. Pure: no store, no
 * clock, no relay; home.c parses relay.conf's values with it, ticket.c and
 * exec.c ask it, tests/unit/test_triage.c and tests/fuzz/fuzz_triage.c drive it.
 *
 * The matrix is three relay.conf lines, one per impact, each naming the
 * priority for urgency high, medium and low in that order:
 *
 *   priority_impact_high   = P1 P2 P3
 *   priority_impact_medium = P2 P3 P4
 *   priority_impact_low    = P3 P4 P4
 *
 * (the embedded default, ITIL's usual matrix cut to four priorities). A
 * checklist is a comma-separated list of field names ([a-z0-9-], at most
 * RELAY_TRIAGE_FIELD_MAX - 1 bytes, at most RELAY_CHECKLIST_MAX of them):
 * `checklist_l1 = error-text, started, tried, impact` is what an
 * escalation from L1 must have recorded.
 */
#ifndef HANDOFF_RELAY_TRIAGE_H
#define HANDOFF_RELAY_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_TRIAGE_LEVELS 3      /* high, medium, low */
#define RELAY_TRIAGE_FIELD_MAX 32  /* a field name and its NUL */
#define RELAY_CHECKLIST_MAX 8

/* matrix[impact][urgency] is "P1".."P4"; levels are indexed high 0, medium 1, low 2. */
struct relay_triage_matrix {
	char p[RELAY_TRIAGE_LEVELS][RELAY_TRIAGE_LEVELS][3];
};

struct relay_checklist {
	char field[RELAY_CHECKLIST_MAX][RELAY_TRIAGE_FIELD_MAX];
	size_t n;
};

/* The level's index (high 0, medium 1, low 2), or -1 for anything else. */
int relay_triage_level(const char *word);
const char *relay_triage_level_name(int level);
/* The embedded matrix. */
void relay_triage_default(struct relay_triage_matrix *m);
/*
 * One impact's row, "P1 P2 P3" (spaces or tabs between), into
 * m->p[impact]. 0, or -1 with why filled (and the row unchanged).
 */
int relay_triage_row_parse(struct relay_triage_matrix *m, int impact, const char *value, char *why, size_t whylen);
/* The priority for impact and urgency (indexes); NULL when either is out of range. */
const char *relay_triage_priority(const struct relay_triage_matrix *m, int impact, int urgency);

/* 1 when name may be a checklist field: 1..RELAY_TRIAGE_FIELD_MAX-1 bytes of [a-z0-9-]. */
int relay_triage_field_ok(const char *name);
/* A checklist value into c (empty or all blanks: no fields). 0, or -1 with why filled. */
int relay_checklist_parse(struct relay_checklist *c, const char *value, char *why, size_t whylen);
/* The index of name in c, or -1. */
int relay_checklist_find(const struct relay_checklist *c, const char *name);
/*
 * The fields of c not marked in filled (filled[i] for c->field[i]),
 * comma-separated, into out. Returns how many are missing.
 */
size_t relay_checklist_missing(const struct relay_checklist *c, const bool *filled, char *out, size_t outlen);

#endif
