/*
 * review.c: the review of a major incident, and its recurrence.
 *
 * A P1 or P2 ticket is what a desk learns most from, so before it is
 * closed for good L2 or L3 writes down its cause and how to prevent it
 * (review N --cause TEXT... --prevention TEXT...). Each field set is a
 * "reviewed" record of the ticket ("cause: TEXT", "prevention: TEXT"), so
 * the chain says who concluded what and when, and an export carries it;
 * the latest of each kind is the review. Resolving does not wait for the
 * review (the customer's service comes first), closing does: close on a
 * P1/P2 without both fields names what is missing and refuses.
 *
 * Recurrence: when a new ticket's text (the same texts the knowledge base
 * is asked at opening, escalation and when logs arrive) matches a reviewed
 * incident's cause, or the article that incident was resolved with is
 * suggested again, the ticket gets one "recurrence" record naming the
 * incidents, which its technician reads in ticket show beside the
 * suggestions; an incident is named once per ticket. Reviews carry no clearance: a cause and a prevention are
 * what every tier should learn from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "event.h"
#include "kb.h"
#include "log.h"
#include "relay.h"
#include "utf8.h"

bool relay_review_needed(const char *priority)
{
	return priority != NULL && (strcmp(priority, "P1") == 0 || strcmp(priority, "P2") == 0);
}

const char *relay_review_missing_words(bool cause, bool prevention)
{
	if (!cause && !prevention)
		return "cause and prevention";
	if (!cause)
		return "cause";
	if (!prevention)
		return "prevention";
	return "";
}

struct relay_review_seen {
	bool cause, prevention;
};

static int relay_review_event(const struct store_event *e, void *ctx)
{
	struct relay_review_seen *s = ctx;

	if (strncmp(e->detail, "cause: ", 7) == 0)
		s->cause = true;
	else if (strncmp(e->detail, "prevention: ", 12) == 0)
		s->prevention = true;
	return 0;
}

int relay_review_state(struct relay *relay, int64_t ticket, bool *cause, bool *prevention)
{
	struct relay_review_seen s = { false, false };

	if (store_events(relay->store, ticket, EVENT_REVIEWED, relay_review_event, &s) != STORE_OK)
		return -1;
	*cause = s.cause;
	*prevention = s.prevention;
	return 0;
}

int relay_review_set(struct relay *relay, int64_t ticket, const struct store_user *by, const char *cause,
		     const char *prevention)
{
	int64_t now = relay_now(relay);
	size_t n = (cause ? strlen(cause) : 0) + (prevention ? strlen(prevention) : 0) + 16;
	char *detail = malloc(n);
	int rc = -1;

	if (detail == NULL || store_begin(relay->store) != STORE_OK)
		goto out;
	if (cause != NULL) {
		snprintf(detail, n, "cause: %s", cause);
		if (relay_audit_event(relay->store, ticket, now, EVENT_REVIEWED, by->name, by->tier, NULL, detail) !=
		    STORE_OK)
			goto fail;
	}
	if (prevention != NULL) {
		snprintf(detail, n, "prevention: %s", prevention);
		if (relay_audit_event(relay->store, ticket, now, EVENT_REVIEWED, by->name, by->tier, NULL, detail) !=
		    STORE_OK)
			goto fail;
	}
	if (store_commit(relay->store) != STORE_OK)
		goto fail;
	log_info("ticket %lld reviewed by %s (%s%s%s)", (long long)ticket, by->name, cause ? "cause" : "",
		 cause && prevention ? ", " : "", prevention ? "prevention" : "");
	rc = 0;
	goto out;
fail:
	store_rollback(relay->store);
out:
	free(detail);
	return rc;
}

#define RELAY_REVIEW_SCAN 200   /* reviewed incidents a new ticket is compared with, newest first */
#define RELAY_REVIEW_NAMED 3

struct relay_review_match {
	struct relay *relay;
	int64_t ticket;
	const struct relay_kb_terms *terms;
	size_t need;
	const int64_t *kb;           /* articles suggested to the ticket now */
	char *said;                  /* the ticket's recurrence records so far, joined: named once is enough */
	size_t nkb;
	bool kb_hit;                 /* scratch: the incident's article is among them */
	int64_t found[RELAY_REVIEW_NAMED];
	char cause[RELAY_REVIEW_NAMED][160];
	size_t n;
};

static int relay_review_kb_event(const struct store_event *e, void *ctx)
{
	struct relay_review_match *m = ctx;
	int64_t id = e->detail[0] == '#' ? strtoll(e->detail + 1, NULL, 10) : 0;

	for (size_t i = 0; i < m->nkb; i++)
		if (id > 0 && m->kb[i] == id)
			m->kb_hit = true;
	return 0;
}

static int relay_review_cause(int64_t incident, const char *cause, void *ctx)
{
	struct relay_review_match *m = ctx;
	size_t n;

	char mark[32];

	snprintf(mark, sizeof(mark), "incident #%lld ", (long long)incident);
	if (incident == m->ticket || (m->said != NULL && strstr(m->said, mark) != NULL))
		return 0;
	m->kb_hit = false;
	if (m->nkb > 0 &&
	    store_events(m->relay->store, incident, EVENT_RESOLVED_BY_KB, relay_review_kb_event, m) != STORE_OK)
		return 1;
	if (!m->kb_hit && (m->need == 0 || relay_kb_hits(m->terms, cause) < m->need))
		return 0;
	m->found[m->n] = incident;
	n = utf8_cut(cause, strlen(cause), sizeof(m->cause[0]) - 1);
	memcpy(m->cause[m->n], cause, n);
	m->cause[m->n][n] = '\0';
	return ++m->n == RELAY_REVIEW_NAMED;
}

/* Joins the ticket's earlier recurrence records into m->said (bounded: a few records of a few hundred bytes). */
static int relay_review_said(const struct store_event *e, void *ctx)
{
	struct relay_review_match *m = ctx;
	size_t have = m->said != NULL ? strlen(m->said) : 0, n = strlen(e->detail);
	char *p;

	if (have + n > 64 * 1024 || (p = realloc(m->said, have + n + 2)) == NULL)
		return 1;
	memcpy(p + have, e->detail, n);
	p[have + n] = ' ';
	p[have + n + 1] = '\0';
	m->said = p;
	return 0;
}

void relay_review_recurrence(struct relay *relay, int64_t ticket, const char *when, const struct relay_kb_terms *terms,
			     const int64_t *kb, size_t nkb)
{
	struct relay_review_match m = { .relay = relay, .ticket = ticket, .terms = terms, .kb = kb, .nkb = nkb };
	char detail[RELAY_REVIEW_NAMED * 200 + 64];
	size_t used;

	m.need = terms->n < 2 ? terms->n : 2;
	if (store_events(relay->store, ticket, EVENT_RECURRENCE, relay_review_said, &m) != STORE_OK ||
	    store_reviewed_causes(relay->store, RELAY_REVIEW_SCAN, relay_review_cause, &m) != STORE_OK || m.n == 0) {
		free(m.said);
		return;
	}
	free(m.said);
	used = (size_t)snprintf(detail, sizeof(detail), "%s: like", when);
	for (size_t i = 0; i < m.n && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s incident #%lld (cause: %s)",
					 i ? ";" : "", (long long)m.found[i], m.cause[i]);
	relay_audit_event(relay->store, ticket, relay_now(relay), EVENT_RECURRENCE, "relay", "relay", NULL, detail);
	log_info("ticket %lld: looks like %zu reviewed incident(s) %s", (long long)ticket, m.n, when);
}
