/*
 * knowledge.c: the knowledge base's changes and suggestions. An article is
 * written by a technician; each change is a record of the relay's own
 * ticket 0 (kb-added, kb-edited: "#ID TIER: TITLE"), so the chain says who
 * wrote what a desk relies on. A suggestion is a kb-suggested record on the
 * ticket, "#ID TITLE; #ID TITLE", found from the ticket's own text (its
 * summary; at an escalation the chat and the handover note; when logs
 * arrive, their error lines) among the articles the ticket's tier may read,
 * and cleared for the highest tier among them, so a lower tier reads
 * neither the titles nor that they exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "event.h"
#include "kb.h"
#include "log.h"
#include "relay.h"
#include "textesc.h"
#include "utf8.h"

/* The rank the store filters by: public 0, L1..L3 1..3; -1 for anything else. */
int relay_knowledge_rank(const char *tier)
{
	if (tier != NULL && strcmp(tier, "public") == 0)
		return 0;
	return relay_tier_rank(tier) > 0 ? relay_tier_rank(tier) : -1;
}

static int relay_knowledge_record(struct relay *relay, const char *kind, int64_t id, const char *tier,
				  const char *title, const char *fields, const struct store_user *by)
{
	char detail[STORE_KB_TITLE_MAX + 128];

	snprintf(detail, sizeof(detail), "#%lld %s: %s%s%s%s", (long long)id, tier, title, fields ? " (" : "",
		 fields ? fields : "", fields ? ")" : "");
	return relay_audit_event(relay->store, 0, relay_now(relay), kind, by->name, by->tier,
				 relay_tier_rank(tier) > 1 ? tier : NULL, detail);
}

int relay_knowledge_add(struct relay *relay, const struct store_kb *a, const struct store_user *by, int64_t *id)
{
	if (store_begin(relay->store) != STORE_OK)
		return -1;
	if (store_kb_add(relay->store, a, relay_now(relay), id) != STORE_OK ||
	    relay_knowledge_record(relay, EVENT_KB_ADDED, *id, a->tier, a->title, NULL, by) != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		return -1;
	}
	log_info("%s added knowledge base article %lld (%s)", by->name, (long long)*id, a->tier);
	return 0;
}

struct relay_knowledge_copy {
	char title[STORE_KB_TITLE_MAX + 1];
	char tier[8];
};

static int relay_knowledge_copy_row(const struct store_kb *a, void *ctx)
{
	struct relay_knowledge_copy *c = ctx;

	snprintf(c->title, sizeof(c->title), "%s", a->title);
	snprintf(c->tier, sizeof(c->tier), "%s", a->tier);
	return 0;
}

int relay_knowledge_edit(struct relay *relay, const struct store_kb *a, const char *fields, const struct store_user *by)
{
	struct relay_knowledge_copy now = { .title = "" };
	int rc;

	if (store_begin(relay->store) != STORE_OK)
		return -1;
	rc = store_kb_update(relay->store, a, relay_now(relay));
	if (rc == STORE_OK)
		rc = store_kb_get(relay->store, a->id, 3, relay_knowledge_copy_row, &now);
	if (rc != STORE_OK ||
	    relay_knowledge_record(relay, EVENT_KB_EDITED, a->id, now.tier, now.title, fields, by) != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		return rc == STORE_NOT_FOUND ? STORE_NOT_FOUND : -1;
	}
	log_info("%s edited knowledge base article %lld (%s)", by->name, (long long)a->id, fields);
	return 0;
}

#define RELAY_KNOWLEDGE_SUGGEST 3
/* Self-help keeps what it shows in the same found list. */
_Static_assert(INTAKE_SELFHELP_MAX == RELAY_KNOWLEDGE_SUGGEST, "self-help shows as many articles as are suggested");

struct relay_knowledge_found {
	const struct relay_kb_terms *terms;
	size_t need;
	char *text;              /* scratch: an article's fields joined */
	size_t n;
	int64_t id[RELAY_KNOWLEDGE_SUGGEST];
	char title[RELAY_KNOWLEDGE_SUGGEST][STORE_KB_TITLE_MAX + 1];
	int top_rank;
};

static int relay_knowledge_candidate(const struct store_kb *a, void *ctx)
{
	struct relay_knowledge_found *f = ctx;

	snprintf(f->text, 4 * RELAY_KB_FIELD_MAX + STORE_KB_TITLE_MAX + 8, "%s\n%s\n%s\n%s", a->title, a->symptoms,
		 a->cause, a->fix);
	if (relay_kb_hits(f->terms, f->text) < f->need)
		return 0;
	f->id[f->n] = a->id;
	snprintf(f->title[f->n], sizeof(f->title[f->n]), "%s", a->title);
	if (relay_knowledge_rank(a->tier) > f->top_rank)
		f->top_rank = relay_knowledge_rank(a->tier);
	return ++f->n == RELAY_KNOWLEDGE_SUGGEST;
}

void relay_knowledge_suggest(struct relay *relay, int64_t ticket, const char *when, const char *text)
{
	struct relay_kb_terms *terms = malloc(sizeof(*terms));
	struct relay_knowledge_found f = { .n = 0 };
	struct store_ticket *t = malloc(sizeof(*t));
	char *match = malloc(RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6));
	char detail[RELAY_KNOWLEDGE_SUGGEST * (STORE_KB_TITLE_MAX + 32) + 64];
	size_t used;

	f.text = malloc(4 * RELAY_KB_FIELD_MAX + STORE_KB_TITLE_MAX + 8);
	if (terms == NULL || t == NULL || match == NULL || f.text == NULL)
		goto out;
	if (store_ticket_get(relay->store, ticket, t) != STORE_OK)
		goto out;
	relay_kb_terms_free_text(text, terms);
	if (relay_kb_match(terms, "OR", match, RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)) != 0)
		goto out;
	/* Two terms at least (one when the text has only one), so one common trigram suggests nothing. */
	f.terms = terms;
	f.need = terms->n < 2 ? terms->n : 2;
	if (store_kb_find(relay->store, match, relay_tier_rank(t->tier), 20, relay_knowledge_candidate, &f) != STORE_OK)
		goto out;
	/* A reviewed incident coming back is said beside the articles, found from the same terms. */
	relay_review_recurrence(relay, ticket, when, terms, f.id, f.n);
	if (f.n == 0)
		goto out;
	used = (size_t)snprintf(detail, sizeof(detail), "%s:", when);
	for (size_t i = 0; i < f.n && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s #%lld %s", i ? ";" : "",
					 (long long)f.id[i], f.title[i]);
	relay_audit_event(relay->store, ticket, relay_now(relay), EVENT_KB_SUGGESTED, "relay", "relay",
			  f.top_rank > 1 ? (f.top_rank == 2 ? "L2" : "L3") : NULL, detail);
	log_info("ticket %lld: %zu knowledge base article(s) suggested %s", (long long)ticket, f.n, when);
out:
	free(f.text);
	free(match);
	free(t);
	free(terms);
}

/* What a customer reads of one field of a public article: its first bytes, whole characters. */
#define RELAY_KNOWLEDGE_SELFHELP_FIELD 600

struct relay_knowledge_public {
	struct relay_knowledge_found f;
	char *instr;             /* what the customer reads, escaped */
	size_t used, instrlen;
};

/* Appends "LABEL" and the first RELAY_KNOWLEDGE_SELFHELP_FIELD bytes of field, escaped, one line (continuations indented). */
static void relay_knowledge_public_field(struct relay_knowledge_public *p, const char *label, const char *field)
{
	char cut[RELAY_KNOWLEDGE_SELFHELP_FIELD + 1];
	size_t n = utf8_cut(field, strlen(field), RELAY_KNOWLEDGE_SELFHELP_FIELD);

	if (n == 0 || p->used + 1 >= p->instrlen)
		return;
	memcpy(cut, field, n);
	cut[n] = '\0';
	p->used += (size_t)snprintf(p->instr + p->used, p->instrlen - p->used, "%s", label);
	if (p->used < p->instrlen)
		p->used += textesc_string(cut, "  ", p->instr + p->used, p->instrlen - p->used);
	if (p->used + 1 < p->instrlen)
		p->instr[p->used++] = '\n', p->instr[p->used] = '\0';
}

static int relay_knowledge_public_row(const struct store_kb *a, void *ctx)
{
	struct relay_knowledge_public *p = ctx;
	size_t before = p->f.n;
	int rc = relay_knowledge_candidate(a, &p->f);
	char title[2 * STORE_KB_TITLE_MAX + 32];

	/* The store's filter is the guard; this keeps a wrong rank from ever showing more than public. */
	if (p->f.n == before || strcmp(a->tier, "public") != 0) {
		p->f.n = before;
		return rc;
	}
	textesc_string(a->title, NULL, title, sizeof(title));
	if (p->used < p->instrlen)
		p->used += (size_t)snprintf(p->instr + p->used, p->instrlen - p->used, "%s#%lld %s\n",
					    before > 0 ? "\n" : "", (long long)a->id, title);
	relay_knowledge_public_field(p, "Symptoms: ", a->symptoms);
	relay_knowledge_public_field(p, "Fix: ", a->fix);
	return rc;
}

size_t relay_knowledge_self_help(struct relay *relay, const char *text, char *shown, size_t shownlen, char *instr,
				 size_t instrlen)
{
	struct relay_kb_terms *terms = malloc(sizeof(*terms));
	struct relay_knowledge_public p = { .instr = instr, .instrlen = instrlen };
	char *match = malloc(RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6));
	size_t used = 0;

	shown[0] = '\0';
	instr[0] = '\0';
	p.f.text = malloc(4 * RELAY_KB_FIELD_MAX + STORE_KB_TITLE_MAX + 8);
	if (terms == NULL || match == NULL || p.f.text == NULL)
		goto out;
	relay_kb_terms_free_text(text, terms);
	if (relay_kb_match(terms, "OR", match, RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)) != 0)
		goto out;
	p.f.terms = terms;
	p.f.need = terms->n < 2 ? terms->n : 2;
	/* Rank 0: the store gives public articles alone, so nothing of a technician's tier reaches a customer. */
	if (store_kb_find(relay->store, match, 0, 20, relay_knowledge_public_row, &p) != STORE_OK) {
		p.f.n = 0;
		instr[0] = '\0';
		goto out;
	}
	for (size_t i = 0; i < p.f.n && used < shownlen; i++)
		used += (size_t)snprintf(shown + used, shownlen - used, "%s#%lld %s", i ? "; " : "",
					 (long long)p.f.id[i], p.f.title[i]);
	/* What a full buffer cut short ends on a whole character, for the customer and for the record. */
	instr[utf8_whole(instr, strlen(instr))] = '\0';
	shown[utf8_whole(shown, strlen(shown))] = '\0';
out:
	free(p.f.text);
	free(match);
	free(terms);
	return p.f.n;
}
