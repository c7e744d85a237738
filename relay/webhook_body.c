/*
 * webhook_body.c: one event as the JSON body receivers get (schema
 * version 1, docs/webhooks.md).
 *
 * The body is built when it is sent, not when the event is recorded: the
 * event and its attachments never change once written (the chain covers
 * them), so every try of a delivery sends the same bytes, and the outbox
 * row stays a few integers instead of a copy of every transcript. The
 * ticket's tier, priority and owner are those the ticket had once the
 * event happened, replayed from its own earlier events (ledger.h), not the
 * ticket's row today.
 *
 * Every string from the store goes through emit_json_bytes: chat lines,
 * notes and names are text from others, and an invalid byte becomes
 * U+FFFD rather than invalid JSON.
 */
#include "webhook.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "event.h"
#include "ledger.h"
#include "relay.h"
#include "timefmt.h"

/* What the walk over the ticket's events up to seq found. */
struct webhook_walk {
	int64_t seq;
	struct relay_ledger ledger;
	bool found;
	/* The event itself, copied: the store's pointers die with its callback. */
	int64_t at;
	char kind[64], actor[STORE_NAME_MAX * 2], role[16], clearance[4];
	char *detail;
	/* Attachments since the ticket's last escalation before seq: the packet of an escalated event. */
	int64_t transcript, handover;
	char tier_before[4];
};

static int webhook_walk_event(const struct store_event *e, void *ctx)
{
	struct webhook_walk *w = ctx;

	if (e->id > w->seq)
		return 1;
	if (e->id == w->seq) {
		/* The tier before the event, for an escalation's "from". */
		snprintf(w->tier_before, sizeof(w->tier_before), "%s", w->ledger.tier);
		relay_ledger_event(&w->ledger, e);
		w->found = true;
		w->at = e->at;
		snprintf(w->kind, sizeof(w->kind), "%s", e->kind);
		snprintf(w->actor, sizeof(w->actor), "%s", e->actor ? e->actor : "");
		snprintf(w->role, sizeof(w->role), "%s", e->role ? e->role : "");
		snprintf(w->clearance, sizeof(w->clearance), "%s", e->clearance ? e->clearance : "");
		w->detail = strdup(e->detail ? e->detail : "");
		return w->detail == NULL ? -1 : 1;
	}
	relay_ledger_event(&w->ledger, e);
	if (strcmp(e->kind, EVENT_ESCALATED) == 0) {
		w->transcript = w->handover = 0;
	} else if (strcmp(e->kind, EVENT_ATTACHMENT_ADDED) == 0) {
		struct event_attachment a;

		if (event_attachment_parse(e->detail, &a) == 0) {
			if (strcmp(a.kind, "transcript") == 0)
				w->transcript = a.id;
			else if (strcmp(a.kind, "handover-note") == 0)
				w->handover = a.id;
		}
	}
	return 0;
}

/* An attachment's metadata, found by id among the ticket's (without its content). */
struct webhook_att {
	int64_t id;
	bool found;
	char kind[EVENT_NAME_MAX + 1], name[EVENT_NAME_MAX + 1], clearance[4], sha256[65], author[STORE_NAME_MAX];
	int64_t size;
};

static int webhook_att_meta(const struct store_attachment *a, void *ctx)
{
	struct webhook_att *w = ctx;

	if (a->id != w->id)
		return 0;
	w->found = true;
	snprintf(w->kind, sizeof(w->kind), "%s", a->kind);
	snprintf(w->name, sizeof(w->name), "%s", a->name);
	snprintf(w->clearance, sizeof(w->clearance), "%s", a->clearance);
	snprintf(w->sha256, sizeof(w->sha256), "%s", a->sha256);
	snprintf(w->author, sizeof(w->author), "%s", a->author);
	w->size = a->size;
	return 1;
}

static bool webhook_may_read(const struct relay_webhook_conf *r, const char *clearance)
{
	return relay_rights_can_read(RELAY_ROLE_TECH, r->clearance, clearance) != 0;
}

/* One attachment object: its facts, and its content inline, or how to fetch it, or why it is withheld. */
static int webhook_emit_attachment(struct emit *j, struct store *st, const struct relay_webhook_conf *r,
				   int64_t ticket, int64_t id)
{
	struct webhook_att a = { .id = id };
	char fetch[96];
	int rc;

	if (id <= 0) {
		emit_null(j);
		return 0;
	}
	rc = store_attachments(st, ticket, webhook_att_meta, &a);
	if (rc != STORE_OK)
		return STORE_ERR;
	emit_object_begin(j);
	emit_kint(j, "id", id);
	if (!a.found) {
		emit_kbool(j, "missing", true);
		emit_object_end(j);
		return 0;
	}
	emit_kbytes(j, "kind", a.kind, strlen(a.kind));
	emit_kbytes(j, "name", a.name, strlen(a.name));
	emit_kbytes(j, "author", a.author, strlen(a.author));
	emit_kint(j, "size", a.size);
	emit_kstring(j, "sha256", a.sha256);
	emit_kstring(j, "clearance", a.clearance);
	snprintf(fetch, sizeof(fetch), "ticket attachment %lld %lld", (long long)ticket, (long long)id);
	emit_kstring(j, "fetch", fetch);
	if (!webhook_may_read(r, a.clearance)) {
		emit_kbool(j, "withheld", true);
		emit_key(j, "content_base64");
		emit_null(j);
	} else if (a.size < 0 || (uint64_t)a.size > r->inline_max) {
		emit_kbool(j, "withheld", false);
		emit_key(j, "content_base64");
		emit_null(j);
	} else {
		uint8_t *content = NULL;
		size_t len = 0;

		if (store_attachment_get(st, ticket, id, NULL, NULL, &content, &len) != STORE_OK)
			return STORE_ERR;
		emit_kbool(j, "withheld", false);
		emit_key(j, "content_base64");
		emit_base64(j, content, len);
		free(content);
	}
	emit_object_end(j);
	return 0;
}

int relay_webhook_body(struct store *st, const struct relay_webhook_conf *r, const char *relay_id, int64_t seq,
		       int64_t ticket, struct buf *out)
{
	struct webhook_walk *w = calloc(1, sizeof(*w));
	struct emit j;
	char at[32], id[160];
	bool readable;
	int rc = STORE_ERR;

	if (w == NULL)
		return STORE_ERR;
	w->seq = seq;
	relay_ledger_init(&w->ledger);
	if (store_events(st, ticket, NULL, webhook_walk_event, w) != STORE_OK)
		goto out;
	if (!w->found) {
		rc = STORE_NOT_FOUND;
		goto out;
	}
	readable = webhook_may_read(r, w->clearance);
	emit_init(&j, out);
	emit_object_begin(&j);
	emit_kint(&j, "schema", RELAY_WEBHOOK_SCHEMA);
	snprintf(id, sizeof(id), "%s:%lld", relay_id, (long long)seq);
	emit_kstring(&j, "id", id);
	emit_kstring(&j, "relay", relay_id);
	emit_kint(&j, "seq", seq);
	emit_kstring(&j, "kind", w->kind);
	emit_key(&j, "ticket");
	emit_object_begin(&j);
	emit_kint(&j, "id", ticket);
	if (ticket > 0) {
		emit_kstring(&j, "tier", w->ledger.tier);
		emit_kstring(&j, "priority", w->ledger.priority);
		emit_kbytes(&j, "owner", w->ledger.owner, strlen(w->ledger.owner));
		emit_kstring(&j, "state", w->ledger.phase);
		emit_kbytes(&j, "summary", w->ledger.summary, strlen(w->ledger.summary));
	}
	emit_object_end(&j);
	emit_kbytes(&j, "actor", w->actor, strlen(w->actor));
	emit_kstring(&j, "role", w->role);
	timefmt_utc(w->at, TIMEFMT_ISO, at, sizeof(at));
	emit_kstring(&j, "at", at);
	emit_kint(&j, "at_unix", w->at);
	emit_kstring(&j, "clearance", w->clearance);
	emit_kbool(&j, "withheld", !readable);
	emit_key(&j, "detail");
	if (readable)
		emit_bytes(&j, w->detail, strlen(w->detail));
	else
		emit_null(&j);
	if (strcmp(w->kind, EVENT_ATTACHMENT_ADDED) == 0) {
		struct event_attachment a;

		emit_key(&j, "attachment");
		if (event_attachment_parse(w->detail, &a) != 0)
			emit_null(&j);
		else if (webhook_emit_attachment(&j, st, r, ticket, a.id) != 0)
			goto out;
	} else if (strcmp(w->kind, EVENT_ESCALATED) == 0) {
		emit_key(&j, "packet");
		emit_object_begin(&j);
		emit_kstring(&j, "from", w->tier_before);
		emit_kstring(&j, "to", w->ledger.tier);
		emit_key(&j, "transcript");
		if (webhook_emit_attachment(&j, st, r, ticket, w->transcript) != 0)
			goto out;
		emit_key(&j, "handover_note");
		if (webhook_emit_attachment(&j, st, r, ticket, w->handover) != 0)
			goto out;
		/* The customer's machine is asked after the escalation is recorded, with consent: it may never come. */
		emit_kstring(&j, "logs", "requested: a later attachment-added event of kind logs carries them");
		emit_object_end(&j);
	}
	emit_object_end(&j);
	emit_newline(&j);
	rc = emit_failed(&j) ? STORE_ERR : STORE_OK;
out:
	free(w->detail);
	free(w);
	return rc;
}
