/*
 * ledger.c: see ledger.h. The kinds are the strings ticket.c and main.c
 * write; a change there without a change here shows as a difference in
 * verify, which is the point.
 */
#include "ledger.h"

#include <stdio.h>
#include <string.h>

void relay_ledger_init(struct relay_ledger *l)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->phase, sizeof(l->phase), "open");
}

static bool relay_ledger_tier_ok(const char *s, size_t n)
{
	return n == 2 && s[0] == 'L' && s[1] >= '1' && s[1] <= '3';
}

static bool relay_ledger_priority_ok(const char *s, size_t n)
{
	return n == 2 && s[0] == 'P' && s[1] >= '1' && s[1] <= '4';
}

/* "tier T, priority P, owner NAME|-: SUMMARY" */
static int relay_ledger_parse_opened_as(struct relay_ledger *l, const char *d)
{
	const char *owner, *colon;
	size_t n;

	if (strncmp(d, "tier ", 5) != 0 || !relay_ledger_tier_ok(d + 5, 2) || strncmp(d + 7, ", priority ", 11) != 0 ||
	    !relay_ledger_priority_ok(d + 18, 2) || strncmp(d + 20, ", owner ", 8) != 0)
		return -1;
	owner = d + 28;
	if ((colon = strstr(owner, ": ")) == NULL || (n = (size_t)(colon - owner)) == 0 || n >= sizeof(l->owner))
		return -1;
	memcpy(l->tier, d + 5, 2);
	l->tier[2] = '\0';
	memcpy(l->priority, d + 18, 2);
	l->priority[2] = '\0';
	if (n == 1 && owner[0] == '-')
		l->owner[0] = '\0';
	else {
		memcpy(l->owner, owner, n);
		l->owner[n] = '\0';
	}
	snprintf(l->summary, sizeof(l->summary), "%s", colon + 2);
	l->tier_known = l->priority_known = l->owner_known = l->summary_known = true;
	return 0;
}

void relay_ledger_event(struct relay_ledger *l, const struct store_event *e)
{
	const char *k = e->kind, *d = e->detail ? e->detail : "";

	if (strcmp(k, EVENT_CREATED) == 0) {
		l->opened = true;
		/* opened-as, written after it, says the same and more; before that record existed, this is all. */
		if (!l->summary_known) {
			snprintf(l->summary, sizeof(l->summary), "%s", d);
			l->summary_known = true;
		}
	} else if (strcmp(k, EVENT_TICKET_OPENED_BY_CUSTOMER) == 0) {
		l->opened = true;
	} else if (strcmp(k, EVENT_OPENED_AS) == 0) {
		if (relay_ledger_parse_opened_as(l, d) != 0)
			l->bad_record = true;
	} else if (strcmp(k, EVENT_TAKEN) == 0) {
		snprintf(l->owner, sizeof(l->owner), "%s", e->actor ? e->actor : "");
		l->owner_known = true;
		snprintf(l->phase, sizeof(l->phase), "open");
	} else if (strcmp(k, EVENT_ESCALATED) == 0) {
		/* "L1 -> L2" or "L1 -> L2: note" */
		const char *arrow = strstr(d, " -> ");

		if (arrow == NULL || !relay_ledger_tier_ok(arrow + 4, strnlen(arrow + 4, 2)) ||
		    (arrow[6] != '\0' && arrow[6] != ':')) {
			l->bad_record = true;
			return;
		}
		memcpy(l->tier, arrow + 4, 2);
		l->tier[2] = '\0';
		l->tier_known = true;
		l->owner[0] = '\0';
		l->owner_known = true;
		snprintf(l->phase, sizeof(l->phase), "escalated");
	} else if (strcmp(k, EVENT_TRIAGED) == 0) {
		/* "... : P3 -> P1": the priority it ends with */
		size_t n = strlen(d);

		if (n < 6 || strncmp(d + n - 6, " -> ", 4) != 0 ||
		    !relay_ledger_priority_ok(d + n - 2, 2)) {
			l->bad_record = true;
			return;
		}
		memcpy(l->priority, d + n - 2, 2);
		l->priority[2] = '\0';
		l->priority_known = true;
	} else if (strcmp(k, EVENT_RESOLVED) == 0) {
		snprintf(l->phase, sizeof(l->phase), "resolved");
	} else if (strcmp(k, EVENT_REOPENED) == 0) {
		snprintf(l->phase, sizeof(l->phase), "open");
		l->owner[0] = '\0';
		l->owner_known = true;
	} else if (strcmp(k, EVENT_CLOSED) == 0) {
		snprintf(l->phase, sizeof(l->phase), "closed");
	} else if (strcmp(k, EVENT_OWNER_REMOVED) == 0) {
		l->owner[0] = '\0';
		l->owner_known = true;
	}
}

/* A column's value as printable ASCII: the table may hold anything by now. */
static void relay_ledger_safe(char *out, size_t outlen, const char *s)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < outlen && o < 64; s++)
		out[o++] = (*s >= 0x20 && *s <= 0x7e) ? *s : '?';
	out[o] = '\0';
}

struct relay_ledger_out {
	char *p;
	size_t len, cap;
	int count;
	int64_t ticket;
};

static void relay_ledger_diff(struct relay_ledger_out *o, const char *what, const char *table, const char *chain)
{
	char t[72], c[72];
	int n;

	relay_ledger_safe(t, sizeof(t), table);
	relay_ledger_safe(c, sizeof(c), chain);
	o->count++;
	if (o->len >= o->cap)
		return;
	n = snprintf(o->p + o->len, o->cap - o->len, "%sticket %lld: the table says %s %s, the chain says %s",
		     o->len ? "\n" : "", (long long)o->ticket, what, t[0] ? t : "nobody", c[0] ? c : "nobody");
	o->len = n < 0 ? o->cap : o->len + (size_t)n > o->cap ? o->cap : o->len + (size_t)n;
}

int relay_ledger_compare(const struct relay_ledger *l, const struct store_ticket *t, char *out, size_t outlen)
{
	struct relay_ledger_out o = { .p = out, .cap = outlen, .ticket = t->id };
	const char *table_phase;
	char owner[STORE_NAME_MAX + 24];

	if (outlen > 0)
		out[0] = '\0';
	if (!l->opened) {
		if (outlen > 0)
			snprintf(out, outlen, "ticket %lld: no record of the chain opens it (the row is not in the chain)",
				 (long long)t->id);
		return 1;
	}
	if (l->bad_record) {
		o.count++;
		if (outlen > 0)
			o.len = (size_t)snprintf(out, outlen, "ticket %lld: a record that sets its state is unreadable",
						 (long long)t->id);
		o.len = o.len > outlen ? outlen : o.len;
	}
	if (l->summary_known && strcmp(l->summary, t->summary) != 0)
		relay_ledger_diff(&o, "summary", "(another text)", "(the summary it was opened with)");
	if (l->tier_known && strcmp(l->tier, t->tier) != 0)
		relay_ledger_diff(&o, "tier", t->tier, l->tier);
	if (l->priority_known && strcmp(l->priority, t->priority) != 0)
		relay_ledger_diff(&o, "priority", t->priority, l->priority);
	if (l->owner_known) {
		/* By name: an owner_id whose user is gone shows as its number. */
		if (t->owner_id != 0 && t->owner[0] == '\0')
			snprintf(owner, sizeof(owner), "#%lld", (long long)t->owner_id);
		else
			snprintf(owner, sizeof(owner), "%s", t->owner_id != 0 ? t->owner : "");
		if (strcmp(owner, l->owner) != 0)
			relay_ledger_diff(&o, "owner", owner, l->owner);
	}
	table_phase = strcmp(t->state, "in-session") == 0 ? "open" : t->state;
	if (strcmp(table_phase, l->phase) != 0)
		relay_ledger_diff(&o, "state", t->state, l->phase);
	return o.count;
}

void relay_ledger_opened_as(char *out, size_t outlen, const char *tier, const char *priority, const char *owner,
			    const char *summary)
{
	snprintf(out, outlen, "tier %s, priority %s, owner %s: %s", tier, priority,
		 owner != NULL && owner[0] != '\0' ? owner : "-", summary);
}

void relay_ledger_triaged(char *out, size_t outlen, const char *impact, const char *urgency, const char *from,
			  const char *to)
{
	snprintf(out, outlen, "impact %s, urgency %s: %s -> %s", impact, urgency, from, to);
}
