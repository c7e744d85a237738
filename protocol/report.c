/*
 * report.c: see report.h. The event kinds and details read here are the
 * ones ticket.c writes (opened-as, triaged, escalated "A -> B", taken,
 * resolved, resolved-by-kb "#ID", sla-breach); a detail that does not
 * parse leaves the ticket's state as it was, as ledger.c does for verify.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "event.h"

struct relay_report_ticket {
	bool seen;
	int64_t opened_at, first_response_at, resolved_at;
	int resolved_count;
	char tier[4], priority[4];
	char who[64];          /* the resolver, else the owner */
	int64_t kb;
	int tier_at;           /* index 0..2 of the current stay, -1 before opened-as */
	int64_t tier_since;
	int64_t escalations, breaches, reopens;   /* in the window */
	bool self_help;        /* the customer read self-help articles before opening it */
	bool recurrence;       /* it matched a reviewed major incident (relay/review.c) */
};

static const char *const relay_report_tiers[3] = { "L1", "L2", "L3" };

int relay_report_by_parse(const char *word)
{
	static const char *const names[] = { "tier", "tech", "priority", "kb" };

	if (word == NULL)
		return RELAY_REPORT_TOTAL;
	for (int i = 0; i < 4; i++)
		if (strcmp(word, names[i]) == 0)
			return RELAY_REPORT_TIER + i;
	return -1;
}

void relay_report_init(struct relay_report *r, int64_t since, int64_t until, enum relay_report_by by)
{
	memset(r, 0, sizeof(*r));
	r->since = since;
	r->until = until;
	r->by = by;
	snprintf(r->total.key, sizeof(r->total.key), "total");
}

void relay_report_free(struct relay_report *r)
{
	free(r->tickets);
	free(r->groups);
	r->tickets = NULL;
	r->groups = NULL;
}

static bool relay_report_in(const struct relay_report *r, int64_t at)
{
	return at >= r->since && (r->until == 0 || at < r->until);
}

static int relay_report_tier_index(const char *s)
{
	return s[0] == 'L' && s[1] >= '1' && s[1] <= '3' ? s[1] - '1' : -1;
}

static struct relay_report_ticket *relay_report_ticket(struct relay_report *r, int64_t id)
{
	if (id <= 0 || id > 100000000)
		return NULL;
	if ((size_t)id >= r->ntickets) {
		size_t n = r->ntickets ? r->ntickets : 1024;
		void *p;

		while (n <= (size_t)id)
			n *= 2;
		if ((p = realloc(r->tickets, n * sizeof(*r->tickets))) == NULL) {
			r->failed = true;
			return NULL;
		}
		memset((struct relay_report_ticket *)p + r->ntickets, 0, (n - r->ntickets) * sizeof(*r->tickets));
		r->tickets = p;
		r->ntickets = n;
	}
	return &r->tickets[id];
}

/* A stay at a tier ends at at: its time counts when it ends in the window. */
static void relay_report_stay_end(struct relay_report *r, struct relay_report_ticket *t, int64_t at)
{
	if (t->tier_at < 0 || !relay_report_in(r, at))
		return;
	r->stays[t->tier_at]++;
	r->stay_sum[t->tier_at] += at - t->tier_since;
}

static void relay_report_responded(struct relay_report_ticket *t, int64_t at)
{
	if (t->first_response_at == 0)
		t->first_response_at = at;
}

static bool relay_report_staff(const char *role)
{
	return role != NULL && relay_report_tier_index(role) >= 0 && role[2] == '\0';
}

int relay_report_event(struct relay_report *r, const struct relay_report_event *e)
{
	struct relay_report_ticket *t;
	const char *k = e->kind, *d = e->detail ? e->detail : "";

	if (e->ticket == 0)
		return 0;
	if ((t = relay_report_ticket(r, e->ticket)) == NULL)
		return r->failed ? -1 : 0;
	if (!t->seen) {
		t->seen = true;
		t->tier_at = -1;
	}
	if (strcmp(k, EVENT_CREATED) == 0 || strcmp(k, EVENT_TICKET_OPENED_BY_CUSTOMER) == 0) {
		t->opened_at = e->at;
		if (relay_report_staff(e->role))
			relay_report_responded(t, e->at);
	} else if (strcmp(k, EVENT_OPENED_AS) == 0) {
		/* "tier T, priority P, owner NAME|-: SUMMARY" */
		const char *owner = strstr(d, ", owner "), *colon = owner ? strstr(owner + 8, ": ") : NULL;

		if (strncmp(d, "tier ", 5) == 0 && relay_report_tier_index(d + 5) >= 0 && strncmp(d + 7, ", priority P", 12) == 0) {
			memcpy(t->tier, d + 5, 2);
			memcpy(t->priority, d + 18, 2);
			t->tier_at = relay_report_tier_index(t->tier);
			t->tier_since = e->at;
		}
		if (colon != NULL && colon - (owner + 8) < (long)sizeof(t->who) && !(colon - owner == 9 && owner[8] == '-'))
			snprintf(t->who, sizeof(t->who), "%.*s", (int)(colon - (owner + 8)), owner + 8);
	} else if (strcmp(k, EVENT_TRIAGED) == 0) {
		size_t n = strlen(d);

		if (n >= 6 && strncmp(d + n - 6, " -> P", 5) == 0)
			memcpy(t->priority, d + n - 2, 2);
	} else if (strcmp(k, EVENT_TAKEN) == 0) {
		snprintf(t->who, sizeof(t->who), "%s", e->actor ? e->actor : "");
		relay_report_responded(t, e->at);
	} else if (strcmp(k, EVENT_CHAT) == 0) {
		if (relay_report_staff(e->role))
			relay_report_responded(t, e->at);
	} else if (strcmp(k, EVENT_ESCALATED) == 0) {
		const char *arrow = strstr(d, " -> ");
		int to = arrow ? relay_report_tier_index(arrow + 4) : -1;

		if (to < 0)
			return 0;
		if (t->tier_at >= 0 && relay_report_in(r, e->at)) {
			r->escalated_from[t->tier_at]++;
			t->escalations++;
		}
		relay_report_stay_end(r, t, e->at);
		t->tier_at = to;
		t->tier_since = e->at;
		memcpy(t->tier, relay_report_tiers[to], 3);
		t->who[0] = '\0';
	} else if (strcmp(k, EVENT_RESOLVED) == 0) {
		relay_report_stay_end(r, t, e->at);
		t->tier_at = -1;
		t->resolved_at = e->at;
		t->resolved_count++;
		snprintf(t->who, sizeof(t->who), "%s", e->actor ? e->actor : "");
	} else if (strcmp(k, EVENT_REOPENED) == 0) {
		/* Back at its tier, unowned, unresolved: a stay starts again and the old resolution no longer counts. */
		if (relay_report_in(r, e->at))
			t->reopens++;
		t->resolved_at = 0;
		t->kb = 0;
		t->tier_at = relay_report_tier_index(t->tier);
		t->tier_since = e->at;
		t->who[0] = '\0';
	} else if (strcmp(k, EVENT_SELF_HELP_SHOWN) == 0) {
		t->self_help = true;
	} else if (strcmp(k, EVENT_RECURRENCE) == 0) {
		t->recurrence = true;
	} else if (strcmp(k, EVENT_RESOLVED_BY_KB) == 0) {
		if (d[0] == '#')
			t->kb = strtoll(d + 1, NULL, 10);
	} else if (strcmp(k, EVENT_SLA_BREACH) == 0) {
		if (relay_report_in(r, e->at))
			t->breaches++;
	}
	return 0;
}

static struct relay_report_group *relay_report_group(struct relay_report *r, const char *key)
{
	for (size_t i = 0; i < r->ngroups; i++)
		if (strcmp(r->groups[i].key, key) == 0)
			return &r->groups[i];
	if (r->ngroups == r->groups_cap) {
		size_t cap = r->groups_cap ? 2 * r->groups_cap : 16;
		void *p = realloc(r->groups, cap * sizeof(*r->groups));

		if (p == NULL) {
			r->failed = true;
			return NULL;
		}
		r->groups = p;
		r->groups_cap = cap;
	}
	memset(&r->groups[r->ngroups], 0, sizeof(r->groups[0]));
	snprintf(r->groups[r->ngroups].key, sizeof(r->groups[0].key), "%s", key);
	return &r->groups[r->ngroups++];
}

static void relay_report_add(struct relay_report *r, struct relay_report_group *g, const struct relay_report_ticket *t)
{
	if (t->opened_at != 0 && relay_report_in(r, t->opened_at)) {
		g->opened++;
		g->self_help += t->self_help;
		g->recurrences += t->recurrence;
		if (t->first_response_at != 0) {
			g->responded++;
			g->response_sum += t->first_response_at - t->opened_at;
		}
	}
	if (t->resolved_at != 0 && relay_report_in(r, t->resolved_at)) {
		g->resolved++;
		g->resolve_sum += t->resolved_at - t->opened_at;
		g->by_kb += t->kb > 0;
	}
	g->reopened += t->reopens > 0;
	g->escalations += t->escalations;
	g->breaches += t->breaches;
}

static int relay_report_cmp(const void *a, const void *b)
{
	return strcmp(((const struct relay_report_group *)a)->key, ((const struct relay_report_group *)b)->key);
}

int relay_report_finish(struct relay_report *r)
{
	for (size_t id = 1; id < r->ntickets; id++) {
		const struct relay_report_ticket *t = &r->tickets[id];
		char key[72];

		if (!t->seen || t->opened_at == 0)
			continue;
		relay_report_add(r, &r->total, t);
		switch (r->by) {
		case RELAY_REPORT_TOTAL:
			continue;
		case RELAY_REPORT_TIER:
			snprintf(key, sizeof(key), "%s", t->tier[0] ? t->tier : "-");
			break;
		case RELAY_REPORT_TECH:
			snprintf(key, sizeof(key), "%s", t->who[0] ? t->who : "-");
			break;
		case RELAY_REPORT_PRIORITY:
			snprintf(key, sizeof(key), "%s", t->priority[0] ? t->priority : "-");
			break;
		case RELAY_REPORT_KB:
			if (t->kb > 0)
				snprintf(key, sizeof(key), "#%lld", (long long)t->kb);
			else
				snprintf(key, sizeof(key), "none");
			break;
		}
		struct relay_report_group *g = relay_report_group(r, key);

		if (g == NULL)
			return -1;
		relay_report_add(r, g, t);
	}
	if (r->ngroups > 1)
		qsort(r->groups, r->ngroups, sizeof(*r->groups), relay_report_cmp);
	return r->failed ? -1 : 0;
}

static const char *const relay_report_by_names[] = { "total", "tier", "tech", "priority", "kb" };

static int64_t relay_report_mean(int64_t sum, int64_t n)
{
	return n > 0 ? sum / n : -1;
}

/* Percent, rounded down; -1 when there is nothing to divide by. */
static int64_t relay_report_pct(int64_t part, int64_t whole)
{
	return whole > 0 ? part * 100 / whole : -1;
}

static void relay_report_secs(char *out, size_t outlen, int64_t s)
{
	if (s < 0)
		snprintf(out, outlen, "-");
	else if (s >= 3600)
		snprintf(out, outlen, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, outlen, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, outlen, "%llds", (long long)s);
}

static void relay_report_text_row(struct buf *out, const struct relay_report_group *g)
{
	char mttr[24], resp[24], key[24];
	size_t n = 0;

	relay_report_secs(mttr, sizeof(mttr), relay_report_mean(g->resolve_sum, g->resolved));
	relay_report_secs(resp, sizeof(resp), relay_report_mean(g->response_sum, g->responded));
	/* A name is the relay's (user add refuses controls); printable ASCII is kept, the rest shown as '?'. */
	for (const char *p = g->key; *p != '\0' && n + 1 < sizeof(key); p++)
		key[n++] = (*p >= 0x20 && *p <= 0x7e) ? *p : '?';
	key[n] = '\0';
	buf_printf(out, "%-12s %6lld %8lld %9s %10s %9lld %6lld %8lld %6lld\n", key, (long long)g->opened,
			    (long long)g->resolved, mttr, resp, (long long)g->escalations, (long long)g->breaches,
			    (long long)g->reopened, (long long)g->by_kb);
}

void relay_report_text(const struct relay_report *r, struct buf *out)
{
	buf_printf(out, "%-12s %6s %8s %9s %10s %9s %6s %8s %6s\n", relay_report_by_names[r->by], "opened",
			    "resolved", "mttr", "first-resp", "escalated", "breach", "reopened", "by-kb");
	for (size_t i = 0; i < r->ngroups; i++)
		relay_report_text_row(out, &r->groups[i]);
	relay_report_text_row(out, &r->total);
	{
		const struct relay_report_group *t = &r->total;
		int64_t pct = relay_report_pct(t->reopened, t->resolved + t->reopened);

		buf_printf(out, "reopened %lld of %lld resolutions", (long long)t->reopened,
				    (long long)(t->resolved + t->reopened));
		if (pct >= 0)
			buf_printf(out, " (%lld%%)", (long long)pct);
		buf_printf(out, "; %lld opened after self-help; %lld recurrences of a reviewed incident\n",
			   (long long)t->self_help, (long long)t->recurrences);
	}
	for (int i = 0; i < 3; i++) {
		char mean[24];
		int64_t pct = relay_report_pct(r->escalated_from[i], r->stays[i]);

		relay_report_secs(mean, sizeof(mean), relay_report_mean(r->stay_sum[i], r->stays[i]));
		buf_printf(out, "%s: %lld stays ended, mean time in tier %s, escalated %lld", relay_report_tiers[i],
				    (long long)r->stays[i], mean, (long long)r->escalated_from[i]);
		if (pct >= 0)
			buf_printf(out, " (%lld%%)", (long long)pct);
		buf_printf(out, "\n");
	}
}

static void relay_report_kmean(struct emit *j, const char *key, int64_t sum, int64_t n)
{
	emit_key(j, key);
	if (n > 0)
		emit_int(j, sum / n);
	else
		emit_null(j);
}

static void relay_report_json_group(struct emit *j, const struct relay_report_group *g)
{
	emit_object_begin(j);
	emit_kstring(j, "key", g->key);
	emit_kint(j, "opened", g->opened);
	emit_kint(j, "resolved", g->resolved);
	relay_report_kmean(j, "mttr", g->resolve_sum, g->resolved);
	relay_report_kmean(j, "first_response", g->response_sum, g->responded);
	emit_kint(j, "escalations", g->escalations);
	emit_kint(j, "sla_breaches", g->breaches);
	emit_kint(j, "reopened", g->reopened);
	emit_key(j, "reopen_pct");
	if (g->resolved + g->reopened > 0)
		emit_int(j, relay_report_pct(g->reopened, g->resolved + g->reopened));
	else
		emit_null(j);
	emit_kint(j, "resolved_by_kb", g->by_kb);
	emit_kint(j, "self_help_shown", g->self_help);
	emit_kint(j, "recurrences", g->recurrences);
	emit_object_end(j);
}

void relay_report_json(const struct relay_report *r, struct buf *out)
{
	struct emit j;

	emit_init(&j, out);
	emit_object_begin(&j);
	emit_kint(&j, "since", r->since);
	emit_key(&j, "until");
	if (r->until)
		emit_int(&j, r->until);
	else
		emit_null(&j);
	emit_kstring(&j, "by", relay_report_by_names[r->by]);
	emit_key(&j, "groups");
	emit_array_begin(&j);
	for (size_t i = 0; i < r->ngroups; i++)
		relay_report_json_group(&j, &r->groups[i]);
	emit_array_end(&j);
	emit_key(&j, "total");
	relay_report_json_group(&j, &r->total);
	emit_key(&j, "tiers");
	emit_array_begin(&j);
	for (int i = 0; i < 3; i++) {
		emit_object_begin(&j);
		emit_kstring(&j, "tier", relay_report_tiers[i]);
		emit_kint(&j, "stays", r->stays[i]);
		relay_report_kmean(&j, "mean_time", r->stay_sum[i], r->stays[i]);
		emit_kint(&j, "escalated", r->escalated_from[i]);
		emit_key(&j, "escalation_pct");
		if (r->stays[i] > 0)
			emit_int(&j, relay_report_pct(r->escalated_from[i], r->stays[i]));
		else
			emit_null(&j);
		emit_object_end(&j);
	}
	emit_array_end(&j);
	emit_object_end(&j);
	emit_newline(&j);
}

/* A CSV field: quoted, quotes doubled, so a name with a comma stays one field. */
static void relay_report_csv_field(struct buf *out, const char *s)
{
	buf_put(out, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_put(out, "\"\"", 2);
		else
			buf_put(out, s, 1);
	}
	buf_put(out, "\"", 1);
}

static void relay_report_csv_row(struct buf *out, const struct relay_report_group *g)
{
	relay_report_csv_field(out, g->key);
	buf_printf(out, ",%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld\n", (long long)g->opened,
			    (long long)g->resolved, (long long)relay_report_mean(g->resolve_sum, g->resolved),
			    (long long)relay_report_mean(g->response_sum, g->responded), (long long)g->escalations,
			    (long long)g->breaches, (long long)g->reopened, (long long)g->by_kb);
}

void relay_report_csv(const struct relay_report *r, struct buf *out)
{
	buf_printf(out, "%s,opened,resolved,mttr_s,first_response_s,escalations,sla_breaches,reopened,"
			    "resolved_by_kb\n", relay_report_by_names[r->by]);
	for (size_t i = 0; i < r->ngroups; i++)
		relay_report_csv_row(out, &r->groups[i]);
	relay_report_csv_row(out, &r->total);
}

/* Text into HTML: & < > " ' as entities; everything else as it is (UTF-8). */
static void relay_report_html_text(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': buf_put(out, "&amp;", 5); break;
		case '<': buf_put(out, "&lt;", 4); break;
		case '>': buf_put(out, "&gt;", 4); break;
		case '"': buf_put(out, "&quot;", 6); break;
		case '\'': buf_put(out, "&#39;", 5); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				buf_put(out, s, 1);
		}
	}
}

/* One horizontal bar chart: a bar per group, value v(g), in an inline SVG. */
static void relay_report_html_chart(const struct relay_report *r, struct buf *out, const char *title,
				    int64_t (*v)(const struct relay_report_group *), const char *color)
{
	const struct relay_report_group *gs = r->ngroups ? r->groups : &r->total;
	size_t n = r->ngroups ? r->ngroups : 1;
	int64_t max = 1;

	for (size_t i = 0; i < n; i++)
		if (v(&gs[i]) > max)
			max = v(&gs[i]);
	buf_printf(out, "<h2>%s</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"%zu\">\n",
			    title, 30 * n + 10);
	for (size_t i = 0; i < n; i++) {
		int64_t w = v(&gs[i]) > 0 ? v(&gs[i]) * 440 / max : 0;

		buf_printf(out, "<text x=\"4\" y=\"%zu\" font-size=\"14\" font-family=\"sans-serif\">", 30 * i + 24);
		relay_report_html_text(out, gs[i].key);
		buf_printf(out, "</text><rect x=\"140\" y=\"%zu\" width=\"%lld\" height=\"22\" fill=\"%s\"/>"
					 "<text x=\"%lld\" y=\"%zu\" font-size=\"14\" font-family=\"sans-serif\">%lld</text>\n",
				    30 * i + 8, (long long)(w > 0 ? w : 1), color, (long long)(150 + w), 30 * i + 24,
				    (long long)v(&gs[i]));
	}
	buf_printf(out, "</svg>\n");
}

static int64_t relay_report_v_resolved(const struct relay_report_group *g)
{
	return g->resolved;
}

static int64_t relay_report_v_mttr(const struct relay_report_group *g)
{
	return g->resolved > 0 ? g->resolve_sum / g->resolved : 0;
}

static int64_t relay_report_v_breaches(const struct relay_report_group *g)
{
	return g->breaches;
}

void relay_report_html(const struct relay_report *r, struct buf *out)
{
	buf_printf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Handoff desk report</title>\n"
				 "<style>body{font-family:sans-serif;margin:24px;background:#fff;color:#111}"
				 "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;text-align:right}"
				 "td:first-child,th:first-child{text-align:left}</style></head><body>\n"
				 "<h1>Handoff desk report, by %s</h1>\n<pre>",
			    relay_report_by_names[r->by]);
	{
		struct buf text;

		buf_init(&text, 1u << 20);
		relay_report_text(r, &text);
		buf_put(&text, "", 1);
		relay_report_html_text(out, (const char *)buf_ptr(&text));
		buf_free(&text);
	}
	buf_printf(out, "</pre>\n");
	relay_report_html_chart(r, out, "Tickets resolved", relay_report_v_resolved, "#2a7ab9");
	relay_report_html_chart(r, out, "Mean time to resolve (s)", relay_report_v_mttr, "#d9822b");
	relay_report_html_chart(r, out, "SLA breaches", relay_report_v_breaches, "#c23030");
	buf_printf(out, "</body></html>\n");
}
