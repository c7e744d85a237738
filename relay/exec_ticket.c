/*
 * exec_ticket.c: see exec_ticket.h. Changes to tickets are ticket.c's;
 * this file parses, checks rights and prints.
 */
#include "exec_ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "exec_kb.h"
#include "export.h"
#include "log.h"
#include "textesc.h"
#include "timefmt.h"
#include "utf8.h"

static int exec_priority_index(const char *p)
{
	if (p == NULL)
		return 2; /* P3 */
	if (p[0] == 'P' && p[1] >= '1' && p[1] <= '4' && p[2] == '\0')
		return p[1] - '1';
	return -1;
}

/*
 * --invite: the new ticket's support code, issued by whoever opened it. The
 * desk's system gets one for any ticket it opens (that is what it signs in
 * for); a technician only for a ticket that stayed theirs, as invite says.
 */
static int exec_ticket_new_code(struct exec_ctx *x, const struct store_ticket_spec *spec, int64_t id,
				char *code)
{
	int replaced = 0;

	if (x->conn->role != RELAY_ROLE_DESK && spec->owner_id == 0) {
		buf_printf(x->err, "ticket new: ticket %lld went to the %s queue; whoever takes it sends the code\n",
			   (long long)id, spec->tier);
		return EXIT_DENIED;
	}
	if (relay_ticket_invite(x->relay, id, &x->conn->user, code, &replaced) != 0) {
		buf_printf(x->err, "ticket new: ticket %lld is open, but no support code could be issued\n", (long long)id);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/*
 * A desk account's budget (desk_tickets_per_minute), the store's and so
 * every relay's together: a refusal says when to try again.
 */
static int exec_ticket_new_desk_budget(struct exec_ctx *x)
{
	unsigned long retry_s;
	int64_t wait_ms = 0;
	int taken = 0;

	if (x->conn->role != RELAY_ROLE_DESK)
		return EXIT_OK;
	if (x->relay->home->desk_tickets_per_minute == 0) {
		buf_printf(x->err, "ticket new: desk accounts are turned off on this relay (relay.conf: "
				   "desk_tickets_per_minute = 0)\n");
		return EXIT_DENIED;
	}
	if (store_desk_take(x->relay->store, x->conn->user.id, relay_now_ms(x->relay),
			    x->relay->home->desk_tickets_per_minute, &taken, &wait_ms) != STORE_OK) {
		buf_printf(x->err, "ticket new: the store failed\n");
		return EXIT_FAIL;
	}
	if (!taken) {
		retry_s = (unsigned long)((wait_ms + 999) / 1000);
		log_info("conn %u: desk %s is over desk_tickets_per_minute (%lu)", x->conn->id, x->conn->user.name,
			 x->relay->home->desk_tickets_per_minute);
		buf_printf(x->err, "ticket new: %s may open %lu tickets a minute; try again in %lu s\n",
			   x->conn->user.name, x->relay->home->desk_tickets_per_minute, retry_s);
		return EXIT_DENIED;
	}
	return EXIT_OK;
}

int exec_ticket_new(struct exec_ctx *x)
{
	static const char *const priorities[] = { "P1", "P2", "P3", "P4" };
	struct store_ticket_spec spec = { 0 };
	char summary[STORE_TEXT_MAX], code[CODE_TEXT_MAX] = "";
	bool invite;
	int64_t id;
	int p, rc;

	if (exec_options(x) != 0)
		return EXIT_USAGE;
	invite = x->opt_value[3] != NULL;
	p = exec_priority_index(x->opt_value[0]);
	if (p < 0) {
		buf_printf(x->err, "ticket new: --priority is P1, P2, P3 or P4\n");
		return EXIT_USAGE;
	}
	if (x->nwords == 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	int n = snprintf(summary, sizeof(summary), "%s%s%s", x->first_word, x->nwords > 1 ? " " : "", x->words);
	if (n < 0 || (size_t)n >= sizeof(summary) ||
	    (x->opt_value[1] && strlen(x->opt_value[1]) >= STORE_NAME_MAX * 2) ||
	    (x->opt_value[2] && strlen(x->opt_value[2]) >= STORE_NAME_MAX * 2)) {
		buf_printf(x->err, "ticket new: summary, customer or contact too long\n");
		return EXIT_USAGE;
	}
	spec.summary = summary;
	spec.priority = priorities[p];
	spec.tier = x->relay->home->start_tier[p];
	spec.customer_name = x->opt_value[1];
	spec.customer_contact = x->opt_value[2];
	/* A ticket above the opener's tier goes straight to that tier's queue (a desk account has none). */
	if (x->conn->role == RELAY_ROLE_TECH && relay_tier_rank(x->conn->user.tier) >= relay_tier_rank(spec.tier))
		spec.owner_id = x->conn->user.id;
	if ((rc = exec_ticket_new_desk_budget(x)) != EXIT_OK)
		return rc;
	if (relay_ticket_open(x->relay, &spec, &x->conn->user, &id) != 0) {
		buf_printf(x->err, "ticket new: the store failed\n");
		return EXIT_FAIL;
	}
	rc = invite ? exec_ticket_new_code(x, &spec, id, code) : EXIT_OK;
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", id);
		emit_kstring(&x->j, "tier", spec.tier);
		emit_kstring(&x->j, "priority", spec.priority);
		emit_kbool(&x->j, "owned", spec.owner_id != 0);
		if (code[0]) {
			emit_kstring(&x->j, "code", code);
			emit_kuint(&x->j, "expires_in", x->relay->home->code_ttl);
		}
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else {
		buf_printf(x->out, "%lld\n", (long long)id);
		if (code[0])
			buf_printf(x->out, "%s\n", code);
	}
	OPENSSL_cleanse(code, sizeof(code));
	return rc;
}

/*
 * One event of ticket show in text mode. A multi-line detail keeps the
 * columns: its continuation lines start under its first.
 */
static void exec_show_event_line(struct exec_ctx *x, const struct store_event *e, const char *when,
				 const char *hidden)
{
	bool role = e->role[0] && strcmp(e->role, e->actor) != 0;
	size_t start = buf_len(x->out), cols;
	char indent[96];

	buf_printf(x->out, "  %s  %-22s ", when, e->kind);
	exec_text(x->out, e->actor);
	if (role) {
		buf_printf(x->out, " (");
		exec_text(x->out, e->role);
		buf_printf(x->out, ")");
	}
	if (e->detail[0] || hidden) {
		buf_printf(x->out, ": ");
		cols = exec_columns(buf_ptr(x->out) + start, buf_len(x->out) - start);
		if (cols > sizeof(indent) - 1)
			cols = sizeof(indent) - 1;
		memset(indent, ' ', cols);
		indent[cols] = '\0';
		textesc_append(x->out, hidden ? hidden : e->detail, indent);
	}
	buf_printf(x->out, "%s\n", e->clearance[0] && !hidden ? " [sensitive]" : "");
}

static int exec_show_event(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	const char *hidden = exec_hidden(x, e->clearance);
	char when[32];

	timefmt_utc(e->at, TIMEFMT_DATETIME, when, sizeof(when));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "id", e->id);
		emit_kint(&x->j, "at", e->at);
		emit_kstring(&x->j, "kind", e->kind);
		emit_kstring(&x->j, "actor", e->actor);
		emit_kstring(&x->j, "role", e->role);
		emit_kstring(&x->j, "clearance", e->clearance);
		emit_kstring(&x->j, "detail", hidden ? hidden : e->detail);
		emit_object_end(&x->j);
		return 0;
	}
	exec_show_event_line(x, e, when, hidden);
	return 0;
}

static int exec_show_attachment(const struct store_attachment *a, void *ctx)
{
	struct exec_ctx *x = ctx;

	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "id", a->id);
		emit_kint(&x->j, "at", a->at);
		emit_kstring(&x->j, "kind", a->kind);
		emit_kstring(&x->j, "name", a->name);
		emit_kstring(&x->j, "author", a->author);
		emit_kstring(&x->j, "clearance", a->clearance);
		emit_kint(&x->j, "size", a->size);
		emit_kstring(&x->j, "sha256", a->sha256);
		emit_object_end(&x->j);
		return 0;
	}
	{
		char name[STORE_TEXT_MAX];

		textesc_string(a->name, NULL, name, sizeof(name));
		buf_printf(x->out, "  #%-3lld %-14s %-32s %8lld bytes  sha256 %s  by ", (long long)a->id, a->kind, name,
			    (long long)a->size, a->sha256);
	}
	exec_text(x->out, a->author);
	buf_printf(x->out, "%s\n", a->clearance[0] ? " [sensitive]" : "");
	return 0;
}

/* The RT tickets a Request Tracker receiver made for this ticket (relay/rt.c), with where to open them. */
static int exec_show_rt_link(const struct store_rt_link *l, void *ctx)
{
	struct exec_ctx *x = ctx;
	const struct relay_webhooks_conf *conf = &x->relay->home->webhooks;
	const char *base = NULL;
	char url[RELAY_WEBHOOK_URL_MAX + 64] = "";

	for (size_t i = 0; i < conf->n; i++)
		if (strcmp(conf->r[i].name, l->receiver) == 0 && conf->r[i].kind == RELAY_WEBHOOK_RT)
			base = conf->r[i].url;
	if (base != NULL)
		snprintf(url, sizeof(url), "%s/Ticket/Display.html?id=%lld", base, (long long)l->rt_id);
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kstring(&x->j, "receiver", l->receiver);
		emit_kint(&x->j, "rt_ticket", l->rt_id);
		emit_kstring(&x->j, "url", url);
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "  Request Tracker (%s): RT ticket %lld%s%s\n", l->receiver, (long long)l->rt_id,
		   url[0] ? ", " : "", url);
	return 0;
}

/* `ticket show N` and the auditors' `show N`: the same content. */
int exec_ticket_show(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	char created[32], since[32];
	size_t before;
	bool live;
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, t)) != EXIT_OK)
		goto out;
	live = relay_conn_live_customer(x->relay, t->id) != NULL;
	timefmt_utc(t->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "summary", t->summary);
		emit_kstring(&x->j, "state", t->state);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "owner", t->owner);
		emit_kstring(&x->j, "customer", t->customer_name);
		emit_kstring(&x->j, "contact", t->customer_contact);
		emit_kint(&x->j, "created_at", t->created_at);
		emit_kint(&x->j, "tier_since", t->tier_since);
		emit_kbool(&x->j, "live", live);
		emit_key(&x->j, "rt");
		emit_array_begin(&x->j);
		store_rt_links(x->relay->store, NULL, t->id, 0, RELAY_WEBHOOKS_MAX, exec_show_rt_link, x);
		emit_array_end(&x->j);
		emit_key(&x->j, "events");
		emit_array_begin(&x->j);
		store_events(x->relay->store, t->id, NULL, exec_show_event, x);
		emit_array_end(&x->j);
		emit_key(&x->j, "attachments");
		emit_array_begin(&x->j);
		store_attachments(x->relay->store, t->id, exec_show_attachment, x);
		emit_array_end(&x->j);
		emit_object_end(&x->j);
		emit_newline(&x->j);
		goto out;
	}
	buf_printf(x->out, "ticket %lld [%s, %s, %s] owner %s%s\n  ", (long long)t->id, t->tier, t->state, t->priority,
		    t->owner[0] ? t->owner : "- (in the queue)", live ? ", customer connected" : "");
	textesc_append(x->out, t->summary, "  ");
	buf_printf(x->out, "\n");
	if (t->customer_name[0] || t->customer_contact[0]) {
		buf_printf(x->out, "  customer: ");
		exec_text(x->out, t->customer_name);
		buf_printf(x->out, "%s", t->customer_contact[0] ? ", " : "");
		exec_text(x->out, t->customer_contact);
		buf_printf(x->out, "\n");
	}
	buf_printf(x->out, "  opened %s, at %s since %s\n", created, t->tier, since);
	store_rt_links(x->relay->store, NULL, t->id, 0, RELAY_WEBHOOKS_MAX, exec_show_rt_link, x);
	buf_printf(x->out, "events:\n");
	store_events(x->relay->store, t->id, NULL, exec_show_event, x);
	buf_printf(x->out, "attachments (ticket attachment %lld ID prints one):\n", (long long)t->id);
	before = buf_len(x->out);
	store_attachments(x->relay->store, t->id, exec_show_attachment, x);
	exec_empty(x, before);
out:
	free(t);
	return rc;
}

static int exec_attachment_readable(const struct store_attachment *a, void *ctx)
{
	struct exec_ctx *x = ctx;

	return exec_hidden(x, a->clearance) != NULL;
}

int exec_ticket_attachment(struct exec_ctx *x)
{
	struct store_ticket t;
	uint8_t *content = NULL;
	size_t len = 0;
	char *end;
	long long aid;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 2) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, &t)) != EXIT_OK)
		return rc;
	aid = strtoll(x->words, &end, 10);
	if (x->words[0] < '1' || x->words[0] > '9' || *end != '\0') {
		buf_printf(x->err, "not an attachment number: %s\n", x->words);
		return EXIT_USAGE;
	}
	rc = store_attachment_get(x->relay->store, t.id, aid, exec_attachment_readable, x, &content, &len);
	if (rc == STORE_NOT_FOUND) {
		buf_printf(x->err, "ticket %lld has no attachment %lld\n", (long long)t.id, aid);
		return EXIT_FAIL;
	}
	if (rc != STORE_OK) {
		buf_printf(x->err, "attachment %lld is sensitive: not for an %s technician\n", aid, x->conn->user.tier);
		return EXIT_DENIED;
	}
	if (buf_put(x->out, content, len) != 0) {
		buf_printf(x->err, "attachment too large to print here\n");
		rc = EXIT_FAIL;
	}
	free(content);
	return rc == STORE_OK ? EXIT_OK : rc;
}

/* The SLA clock that matters next for t (sla.h), at the relay's now. */
static void exec_sla_view(struct exec_ctx *x, const struct store_ticket *t, struct relay_sla_view *v)
{
	struct relay_sla_clock c = { .opened_at = t->created_at, .first_response_at = t->first_response_at,
				     .paused_since = t->sla_paused_since, .paused = t->sla_paused };

	relay_sla_next(&x->relay->home->sla, t->priority, &c, relay_now(x->relay), v);
}

static int exec_queue_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	struct relay_sla_view v;
	char since[32], left[24], sla[40];

	exec_sla_view(x, t, &v);
	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "state", t->state);
		emit_kint(&x->j, "tier_since", t->tier_since);
		emit_kstring(&x->j, "summary", t->summary);
		emit_kbool(&x->j, "live", relay_conn_live_customer(x->relay, t->id) != NULL);
		emit_key(&x->j, "sla");
		if (v.which == RELAY_SLA_NONE)
			emit_null(&x->j);
		else {
			emit_object_begin(&x->j);
			emit_kstring(&x->j, "clock", v.which == RELAY_SLA_RESPONSE ? "response" : "resolve");
			emit_kint(&x->j, "target", v.target);
			emit_kint(&x->j, "left", v.left);
			emit_kbool(&x->j, "paused", v.paused);
			emit_object_end(&x->j);
		}
		emit_object_end(&x->j);
		return 0;
	}
	if (v.which == RELAY_SLA_NONE)
		snprintf(sla, sizeof(sla), "-");
	else {
		relay_sla_format_left(v.left, left, sizeof(left));
		snprintf(sla, sizeof(sla), "%s %s%s", v.which == RELAY_SLA_RESPONSE ? "resp" : "res", left,
			 v.paused ? " paused" : "");
	}
	buf_printf(x->out, "%6lld  %s  %-10s %s  %-17s ", (long long)t->id, t->priority, t->state, since, sla);
	exec_text(x->out, t->summary);
	buf_printf(x->out, "%s\n", relay_conn_live_customer(x->relay, t->id) ? "  (customer connected)" : "");
	return 0;
}

/* A queue's tickets, to be sorted by SLA time left before they are printed. */
struct exec_queue_order {
	struct exec_ctx *x;
	struct exec_queue_key { int64_t id, left; int rank; } *keys;
	size_t n, cap;
};

static int exec_queue_collect(const struct store_ticket *t, void *ctx)
{
	struct exec_queue_order *o = ctx;
	struct relay_sla_view v;

	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		void *p = realloc(o->keys, cap * sizeof(*o->keys));

		if (p == NULL)
			return 1;
		o->keys = p;
		o->cap = cap;
	}
	exec_sla_view(o->x, t, &v);
	/* Running clocks first, least time left first; paused ones after; no target last. */
	o->keys[o->n].id = t->id;
	o->keys[o->n].left = v.left;
	o->keys[o->n].rank = v.which == RELAY_SLA_NONE ? 2 : v.paused ? 1 : 0;
	o->n++;
	return 0;
}

static int exec_queue_cmp(const void *a, const void *b)
{
	const struct exec_queue_key *p = a, *q = b;

	if (p->rank != q->rank)
		return p->rank < q->rank ? -1 : 1;
	if (p->left != q->left)
		return p->left < q->left ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

/* The queue in SLA order (the store gives it by priority and age). */
static int exec_queue_rows(struct exec_ctx *x, const char *tier)
{
	struct exec_queue_order o = { .x = x };
	struct store_ticket *t = malloc(sizeof(*t));
	int rc = STORE_ERR;

	if (t == NULL)
		return STORE_ERR;
	if (store_queue(x->relay->store, tier, exec_queue_collect, &o) != STORE_OK)
		goto out;
	if (o.n > 1)
		qsort(o.keys, o.n, sizeof(*o.keys), exec_queue_cmp);
	for (size_t i = 0; i < o.n; i++)
		if (store_ticket_get(x->relay->store, o.keys[i].id, t) == STORE_OK)
			exec_queue_row(t, x);
	rc = STORE_OK;
out:
	free(o.keys);
	free(t);
	return rc;
}

int exec_queue(struct exec_ctx *x)
{
	struct store_ticket *q = calloc(1, sizeof(*q));
	size_t before;
	int rc = EXIT_OK;

	if (q == NULL)
		return EXIT_FAIL;
	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		rc = EXIT_USAGE;
		goto out;
	}
	snprintf(q->tier, sizeof(q->tier), "%s",
		 x->opt_value[0] ? x->opt_value[0] : (x->conn->user.tier[0] ? x->conn->user.tier : "L1"));
	if (relay_tier_rank(q->tier) == 0) {
		buf_printf(x->err, "queue: --tier is L1, L2 or L3\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (exec_allowed(x, x->cmd->rights, q) != 0) {
		rc = EXIT_DENIED;
		goto out;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kstring(&x->j, "tier", q->tier);
		emit_key(&x->j, "tickets");
		emit_array_begin(&x->j);
	} else {
		buf_printf(x->out, "%s queue:\n", q->tier);
	}
	before = buf_len(x->out);
	if (exec_queue_rows(x, q->tier) != STORE_OK) {
		buf_printf(x->err, "queue: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
out:
	free(q);
	return rc;
}

static int exec_mine_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	bool live = relay_conn_live_customer(x->relay, t->id) != NULL;
	char since[32];

	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "state", t->state);
		emit_kint(&x->j, "tier_since", t->tier_since);
		emit_kstring(&x->j, "summary", t->summary);
		emit_kbool(&x->j, "live", live);
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%6lld  %s  %s  %-10s %s  ", (long long)t->id, t->priority, t->tier, t->state, since);
	exec_text(x->out, t->summary);
	buf_printf(x->out, "%s\n", live ? "  (customer connected)" : "");
	return 0;
}

/* `mine` and `ticket list`: the tickets one owns and has not resolved. */
int exec_mine(struct exec_ctx *x)
{
	size_t before;
	int rc = EXIT_OK;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_allowed(x, x->cmd->rights, NULL) != 0)
		return EXIT_DENIED;
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kstring(&x->j, "owner", x->conn->user.name);
		emit_key(&x->j, "tickets");
		emit_array_begin(&x->j);
	} else {
		buf_printf(x->out, "tickets of ");
		exec_text(x->out, x->conn->user.name);
		buf_printf(x->out, ":\n");
	}
	before = buf_len(x->out);
	if (store_tickets_owned(x->relay->store, x->conn->user.id, exec_mine_row, x) != STORE_OK) {
		buf_printf(x->err, "%s: the store failed\n", x->argv[0]);
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
	return rc;
}

/* The last escalation of a ticket, kept by exec_last_escalation. */
struct exec_escalation {
	bool found;
	int64_t at;
	char actor[STORE_NAME_MAX];
	char role[16];
	char detail[CTL_TEXT_MAX + 64];
};

static int exec_last_escalation(const struct store_event *e, void *ctx)
{
	struct exec_escalation *esc = ctx;

	esc->found = true;
	esc->at = e->at;
	snprintf(esc->actor, sizeof(esc->actor), "%s", e->actor);
	snprintf(esc->role, sizeof(esc->role), "%s", e->role);
	snprintf(esc->detail, sizeof(esc->detail), "%s", e->detail);
	return 0;
}

/*
 * What the next tier must read first when it takes a ticket: its summary,
 * who escalated it with what note, and what is attached (ticket show N has
 * the whole history).
 */
static void exec_handover(struct exec_ctx *x, const struct store_ticket *t, bool already)
{
	struct exec_escalation *esc = calloc(1, sizeof(*esc));
	char when[32];
	size_t before;

	if (esc != NULL)
		store_events(x->relay->store, t->id, EVENT_ESCALATED, exec_last_escalation, esc);
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "owner", x->conn->user.name);
		emit_kbool(&x->j, "already_yours", already);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "summary", t->summary);
		emit_key(&x->j, "escalation");
		if (esc != NULL && esc->found) {
			emit_object_begin(&x->j);
			emit_kint(&x->j, "at", esc->at);
			emit_kstring(&x->j, "by", esc->actor);
			emit_kstring(&x->j, "role", esc->role);
			emit_kstring(&x->j, "detail", esc->detail);
			emit_object_end(&x->j);
		} else {
			emit_null(&x->j);
		}
		emit_key(&x->j, "attachments");
		emit_array_begin(&x->j);
		store_attachments(x->relay->store, t->id, exec_show_attachment, x);
		emit_array_end(&x->j);
		emit_object_end(&x->j);
		emit_newline(&x->j);
		free(esc);
		return;
	}
	if (already)
		buf_printf(x->out, "ticket %lld is already yours; nothing changed\n", (long long)t->id);
	else
		buf_printf(x->out, "ticket %lld is yours\n", (long long)t->id);
	buf_printf(x->out, "  [%s, %s] ", t->tier, t->priority);
	textesc_append(x->out, t->summary, "  ");
	buf_printf(x->out, "\n");
	if (esc != NULL && esc->found) {
		timefmt_utc(esc->at, TIMEFMT_DATETIME, when, sizeof(when));
		buf_printf(x->out, "  escalated %s by ", when);
		exec_text(x->out, esc->actor);
		buf_printf(x->out, " (%s): ", esc->role);
		textesc_append(x->out, esc->detail, "    ");
		buf_printf(x->out, "\n");
	} else {
		buf_printf(x->out, "  not escalated\n");
	}
	buf_printf(x->out, "read first (ticket attachment %lld ID):\n", (long long)t->id);
	before = buf_len(x->out);
	store_attachments(x->relay->store, t->id, exec_show_attachment, x);
	exec_empty(x, before);
	free(esc);
}

int exec_take(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256];
	bool already;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	/* Taking one's own ticket again changes nothing: no event, no status to the customer. */
	already = t.owner_id == x->conn->user.id;
	if (!already && relay_ticket_take(x->relay, t.id, &x->conn->user, err, sizeof(err)) != 0) {
		buf_printf(x->err, "take: %s\n", err);
		return EXIT_FAIL;
	}
	exec_handover(x, &t, already);
	return EXIT_OK;
}

/* The customer is asked; the answer reaches the viewer in its stream, not here. */
int exec_control(struct exec_ctx *x)
{
	struct store_ticket t;
	char out[256], err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_viewer_ask_control(x->relay, t.id, &x->conn->user, out, sizeof(out), err, sizeof(err)) != 0) {
		buf_printf(x->err, "control: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "asked", "control");
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "%s", out);
	return EXIT_OK;
}

int exec_chat(struct exec_ctx *x)
{
	struct store_ticket t;
	int rc;

	if (exec_options(x) != 0 || x->nwords == 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (x->nwords == 1) {
		relay_follow_chat(x->relay, x->ch, t.id);
		return EXIT_OK;
	}
	if (exec_text_ok(x, "chat line", x->words) != 0)
		return EXIT_USAGE;
	if (relay_ticket_chat(x->relay, t.id, x->conn->user.name, x->conn->user.tier, x->words) != 0) {
		buf_printf(x->err, "chat: the store failed\n");
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kbool(&x->j, "sent", true);
		emit_kbool(&x->j, "customer_connected", relay_conn_live_customer(x->relay, t.id) != NULL);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	}
	return EXIT_OK;
}

/* "checklist_l1: a, b; checklist_l2: -", for an error about a field no checklist names. */
static void exec_checklists(struct exec_ctx *x, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (int k = 0; k < 2; k++) {
		const struct relay_checklist *c = &x->relay->home->checklist[k];
		int n = snprintf(out + used, outlen - used, "%schecklist_l%d: ", k ? "; " : "", k + 1);

		used = n < 0 || (size_t)n >= outlen - used ? outlen - 1 : used + (size_t)n;
		for (size_t i = 0; i <= c->n && used < outlen - 1; i++) {
			n = i < c->n ? snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", c->field[i])
				     : c->n == 0 ? snprintf(out + used, outlen - used, "-") : 0;
			used = n < 0 || (size_t)n >= outlen - used ? outlen - 1 : used + (size_t)n;
		}
	}
}

int exec_note(struct exec_ctx *x)
{
	struct store_ticket t;
	const char *field;
	bool sensitive;
	int rc;

	if (exec_options(x) != 0 || x->nwords < 2 || (x->opt_value[1] != NULL && x->opt_value[1][0] == '\0')) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	sensitive = x->opt_value[0] != NULL;
	field = x->opt_value[1];
	if (field != NULL && (!relay_triage_field_ok(field) ||
			      (relay_checklist_find(&x->relay->home->checklist[0], field) < 0 &&
			       relay_checklist_find(&x->relay->home->checklist[1], field) < 0))) {
		char lists[2 * RELAY_CHECKLIST_MAX * RELAY_TRIAGE_FIELD_MAX + 64];

		exec_checklists(x, lists, sizeof(lists));
		buf_printf(x->err, "note: no checklist in relay.conf names the field \"");
		exec_text(x->err, field);
		buf_printf(x->err, "\" (%s)\n", lists);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, sensitive ? RELAY_ACT_NOTE_SENSITIVE : x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "note", x->words) != 0)
		return EXIT_USAGE;
	if ((field != NULL ? relay_ticket_field(x->relay, t.id, &x->conn->user, sensitive, field, x->words)
			   : relay_ticket_note(x->relay, t.id, &x->conn->user, sensitive, x->words)) != 0) {
		buf_printf(x->err, "note: the store failed\n");
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kbool(&x->j, "noted", true);
		emit_kbool(&x->j, "sensitive", sensitive);
		if (field != NULL)
			emit_kstring(&x->j, "field", field);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	}
	return EXIT_OK;
}

int exec_wait(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (strcmp(x->opt_value[0], "customer") != 0) {
		buf_printf(x->err, "wait: --for is customer (the SLA clocks stop only for the customer)\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_ticket_wait(x->relay, t.id, &x->conn->user, err, sizeof(err)) != 0) {
		buf_printf(x->err, "wait: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kbool(&x->j, "paused", true);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld waits for the customer: its SLA clocks stop until they write or connect\n",
			    (long long)t.id);
	return EXIT_OK;
}

int exec_triage(struct exec_ctx *x)
{
	struct store_ticket t;
	char priority[4], moved[4], err[256];
	int impact, urgency, rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL || x->opt_value[1] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	impact = relay_triage_level(x->opt_value[0]);
	urgency = relay_triage_level(x->opt_value[1]);
	if (impact < 0 || urgency < 0) {
		buf_printf(x->err, "triage: --%s is high, medium or low, not \"", impact < 0 ? "impact" : "urgency");
		exec_text(x->err, impact < 0 ? x->opt_value[0] : x->opt_value[1]);
		buf_printf(x->err, "\"\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_ticket_triage(x->relay, t.id, &x->conn->user, impact, urgency, priority, moved, err,
				sizeof(err)) != 0) {
		buf_printf(x->err, "triage: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "impact", x->opt_value[0]);
		emit_kstring(&x->j, "urgency", x->opt_value[1]);
		emit_kstring(&x->j, "priority", priority);
		emit_kstring(&x->j, "was", t.priority);
		emit_kstring(&x->j, "tier", moved[0] ? moved : t.tier);
		emit_kbool(&x->j, "moved", moved[0] != '\0');
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else {
		buf_printf(x->out, "ticket %lld is %s (impact %s, urgency %s; was %s)\n", (long long)t.id, priority,
			    x->opt_value[0], x->opt_value[1], t.priority);
		if (moved[0])
			buf_printf(x->out, "%s starts at %s: the ticket is in the %s queue now\n", priority, moved, moved);
	}
	return EXIT_OK;
}

int exec_escalate(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256], missing[RELAY_CHECKLIST_MAX * RELAY_TRIAGE_FIELD_MAX + 16], *forced = NULL;
	bool force;
	int rc, nmissing;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL || x->opt_value[1] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	force = x->opt_value[2] != NULL;
	if (relay_tier_rank(x->opt_value[0]) < 2) {
		buf_printf(x->err, "escalate: --to is L2 or L3\n");
		return EXIT_USAGE;
	}
	if (force != (x->opt_value[3] != NULL) || (force && x->opt_value[3][0] == '\0')) {
		buf_printf(x->err, "escalate: --force goes with --reason TEXT (why the checklist may wait)\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "handover note", x->opt_value[1]) != 0 || (force && exec_text_ok(x, "reason", x->opt_value[3])))
		return EXIT_USAGE;
	nmissing = relay_ticket_checklist_missing(x->relay, t.id, t.tier, missing, sizeof(missing));
	if (nmissing < 0) {
		buf_printf(x->err, "escalate: the store failed\n");
		return EXIT_FAIL;
	}
	if (nmissing > 0 && !force) {
		buf_printf(x->err,
			    "escalate: the %s checklist is not filled: missing %s (note %lld --field NAME TEXT..., "
			    "or --force --reason TEXT...)\n", t.tier, missing, (long long)t.id);
		return EXIT_FAIL;
	}
	if (nmissing > 0) {
		size_t n = strlen(missing) + strlen(x->opt_value[3]) + 16;

		if ((forced = malloc(n)) == NULL)
			return EXIT_FAIL;
		snprintf(forced, n, "missing %s: %s", missing, x->opt_value[3]);
	}
	rc = forced != NULL ? relay_ticket_escalate_forced(x->relay, t.id, &x->conn->user, x->opt_value[0],
							    x->opt_value[1], forced, err, sizeof(err))
			    : relay_ticket_escalate(x->relay, t.id, &x->conn->user, x->opt_value[0], x->opt_value[1], err,
						    sizeof(err));
	free(forced);
	if (rc != 0) {
		buf_printf(x->err, "escalate: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "tier", x->opt_value[0]);
		emit_kbool(&x->j, "forced", nmissing > 0);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld escalated to %s%s\n", (long long)t.id, x->opt_value[0],
			    nmissing > 0 ? " (checklist forced: recorded)" : "");
	return EXIT_OK;
}

/* reopen N --reason TEXT...: a resolved ticket back to its tier's queue. */
int exec_reopen(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "reason", x->opt_value[0]) != 0)
		return EXIT_USAGE;
	if (strcmp(t.state, "resolved") != 0) {
		buf_printf(x->err, "reopen: ticket %lld is %s; only a resolved ticket is reopened\n", (long long)t.id,
			    t.state);
		return EXIT_FAIL;
	}
	if (relay_ticket_reopen(x->relay, t.id, &x->conn->user, x->opt_value[0], err, sizeof(err)) != 0) {
		buf_printf(x->err, "reopen: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "state", "open");
		emit_kstring(&x->j, "tier", t.tier);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld reopened: back in the %s queue\n", (long long)t.id, t.tier);
	return EXIT_OK;
}

/* close N: a resolved ticket closed for good; a P1/P2 needs its review first. */
int exec_close(struct exec_ctx *x)
{
	struct store_ticket t;
	bool cause = false, prevention = false;
	char err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (strcmp(t.state, "resolved") != 0) {
		buf_printf(x->err, "close: ticket %lld is %s; resolve it first\n", (long long)t.id, t.state);
		return EXIT_FAIL;
	}
	if (relay_review_needed(t.priority)) {
		if (relay_review_state(x->relay, t.id, &cause, &prevention) != 0) {
			buf_printf(x->err, "close: the store failed\n");
			return EXIT_FAIL;
		}
		if (!cause || !prevention) {
			buf_printf(x->err,
				    "close: ticket %lld is %s: its review lacks its %s (review %lld --cause TEXT... "
				    "--prevention TEXT...)\n", (long long)t.id, t.priority,
				    relay_review_missing_words(cause, prevention), (long long)t.id);
			return EXIT_FAIL;
		}
	}
	if (relay_ticket_close(x->relay, t.id, &x->conn->user, err, sizeof(err)) != 0) {
		buf_printf(x->err, "close: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "state", "closed");
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld closed\n", (long long)t.id);
	return EXIT_OK;
}

int exec_resolve(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256], title[STORE_KB_TITLE_MAX + 1];
	int64_t kb = 0;
	bool new_kb;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	new_kb = x->opt_value[2] != NULL;
	if (x->opt_value[1] != NULL && (new_kb || exec_parse_kb(x, x->opt_value[1], &kb) != 0)) {
		if (new_kb)
			buf_printf(x->err, "resolve: --kb ID or --new-kb, not both\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "note", x->opt_value[0]) != 0)
		return EXIT_USAGE;
	if (kb > 0 && store_kb_get(x->relay->store, kb, exec_kb_rank(x), exec_kb_exists, NULL) != STORE_OK) {
		buf_printf(x->err, "resolve: no knowledge base article %lld (kb list shows those you may read)\n",
			    (long long)kb);
		return EXIT_FAIL;
	}
	if (new_kb) {
		/* What L3 learned, as a draft at the resolver's tier: kb edit ID --tier L1 shares it. */
		struct store_kb a = { .title = title, .symptoms = t.summary, .cause = "", .fix = x->opt_value[0],
				      .tier = x->conn->user.tier, .author = x->conn->user.name };
		size_t n = utf8_cut(t.summary, strlen(t.summary), STORE_KB_TITLE_MAX);

		memcpy(title, t.summary, n);
		title[n] = '\0';
		if (relay_knowledge_add(x->relay, &a, &x->conn->user, &kb) != 0) {
			buf_printf(x->err, "resolve: the store failed; nothing was changed\n");
			return EXIT_FAIL;
		}
	}
	if (relay_ticket_resolve_kb(x->relay, t.id, &x->conn->user, x->opt_value[0], kb, err, sizeof(err)) != 0) {
		buf_printf(x->err, "resolve: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "state", "resolved");
		if (kb > 0)
			emit_kint(&x->j, "kb", kb);
		if (relay_review_needed(t.priority)) {
			bool cause = false, prevention = false;

			if (relay_review_state(x->relay, t.id, &cause, &prevention) == 0)
				emit_kstring(&x->j, "review_missing", relay_review_missing_words(cause, prevention));
		}
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else {
		buf_printf(x->out, "ticket %lld resolved\n", (long long)t.id);
		exec_review_pending_note(x, &t);
		if (new_kb)
			buf_printf(x->out, "knowledge base article %lld written at %s (kb edit %lld --tier L1 shares it)\n",
				    (long long)kb, x->conn->user.tier, (long long)kb);
	}
	return EXIT_OK;
}

int exec_invite(struct exec_ctx *x)
{
	char text[CODE_TEXT_MAX];
	struct store_ticket t;
	int rc, replaced = 0;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_ticket_invite(x->relay, t.id, &x->conn->user, text, &replaced) != 0) {
		buf_printf(x->err, "invite: no support code could be issued\n");
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "code", text);
		emit_kuint(&x->j, "expires_in", x->relay->home->code_ttl);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "%s\n", text);
	OPENSSL_cleanse(text, sizeof(text));
	return EXIT_OK;
}
