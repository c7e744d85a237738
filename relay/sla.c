/*
 * sla.c: see sla.h. The thresholds are in desk seconds; the warning's is
 * target * warn_percent / 100 rounded down, so a 900 s target at 80 %
 * warns at 720 s used.
 */
#include "sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void relay_sla_default(struct relay_sla_targets *t)
{
	static const unsigned long response[4] = { 900, 3600, 14400, 28800 };
	static const unsigned long resolve[4] = { 14400, 28800, 86400, 259200 };

	memcpy(t->response, response, sizeof(response));
	memcpy(t->resolve, resolve, sizeof(resolve));
	t->warn_percent = 80;
}

static int relay_sla_number(const char **p, unsigned long *out)
{
	unsigned long v = 0;
	const char *s = *p;
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 8)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (v > 31536000)
		return -1;
	*out = v;
	*p = s + n;
	return 0;
}

int relay_sla_parse(struct relay_sla_targets *t, int p, const char *value, char *why, size_t whylen)
{
	unsigned long response, resolve;
	const char *s = value;

	if (p < 0 || p > 3 || value == NULL) {
		snprintf(why, whylen, "no such priority");
		return -1;
	}
	s += strspn(s, " \t");
	if (relay_sla_number(&s, &response) != 0 || strspn(s, " \t") == 0)
		goto bad;
	s += strspn(s, " \t");
	if (relay_sla_number(&s, &resolve) != 0)
		goto bad;
	s += strspn(s, " \t");
	if (*s != '\0')
		goto bad;
	if (response != 0 && resolve != 0 && response > resolve) {
		snprintf(why, whylen, "the first response (%lu s) comes after the resolution (%lu s)", response, resolve);
		return -1;
	}
	t->response[p] = response;
	t->resolve[p] = resolve;
	return 0;
bad:
	snprintf(why, whylen, "expected two numbers of seconds, RESPONSE RESOLVE (each 0..31536000; 0 = none), got \"%.40s\"",
		 value);
	return -1;
}

int relay_sla_priority(const char *priority)
{
	if (priority == NULL || priority[0] != 'P' || priority[1] < '1' || priority[1] > '4' || priority[2] != '\0')
		return -1;
	return priority[1] - '1';
}

int64_t relay_sla_used(const struct relay_sla_clock *c, int64_t now)
{
	int64_t used = now - c->opened_at - c->paused;

	if (c->paused_since != 0 && now > c->paused_since)
		used -= now - c->paused_since;
	return used < 0 ? 0 : used;
}

void relay_sla_next(const struct relay_sla_targets *t, const char *priority, const struct relay_sla_clock *c,
		    int64_t now, struct relay_sla_view *out)
{
	int p = relay_sla_priority(priority);
	int64_t used = relay_sla_used(c, now);

	memset(out, 0, sizeof(*out));
	out->paused = c->paused_since != 0;
	if (p < 0)
		return;
	if (c->first_response_at == 0 && t->response[p] != 0) {
		out->which = RELAY_SLA_RESPONSE;
		out->target = (int64_t)t->response[p];
	} else if (t->resolve[p] != 0) {
		out->which = RELAY_SLA_RESOLVE;
		out->target = (int64_t)t->resolve[p];
	} else {
		return;
	}
	out->left = out->target - used;
}

static int64_t relay_sla_warn_at(const struct relay_sla_targets *t, unsigned long target)
{
	return (int64_t)(target / 100 * t->warn_percent + target % 100 * t->warn_percent / 100);
}

/* The four thresholds, desk seconds, with the flag each sets; 0 targets are skipped by the callers. */
static void relay_sla_thresholds(const struct relay_sla_targets *t, int p, int64_t at[4], int flag[4])
{
	at[0] = relay_sla_warn_at(t, t->response[p]);
	flag[0] = RELAY_SLA_RESPONSE_WARNED;
	at[1] = (int64_t)t->response[p];
	flag[1] = RELAY_SLA_RESPONSE_BREACHED;
	at[2] = relay_sla_warn_at(t, t->resolve[p]);
	flag[2] = RELAY_SLA_RESOLVE_WARNED;
	at[3] = (int64_t)t->resolve[p];
	flag[3] = RELAY_SLA_RESOLVE_BREACHED;
}

static bool relay_sla_applies(const struct relay_sla_targets *t, int p, const struct relay_sla_clock *c, int i)
{
	if (i < 2)
		return t->response[p] != 0 && c->first_response_at == 0;
	return t->resolve[p] != 0;
}

int relay_sla_due_flags(const struct relay_sla_targets *t, const char *priority, const struct relay_sla_clock *c,
			int flags, int64_t now)
{
	int p = relay_sla_priority(priority), flag[4], add = 0;
	int64_t at[4], used = relay_sla_used(c, now);

	if (p < 0)
		return 0;
	relay_sla_thresholds(t, p, at, flag);
	for (int i = 0; i < 4; i++)
		if (relay_sla_applies(t, p, c, i) && !(flags & flag[i]) && used >= at[i])
			add |= flag[i];
	return add;
}

int64_t relay_sla_next_due(const struct relay_sla_targets *t, const char *priority, const struct relay_sla_clock *c,
			   int flags, int64_t now)
{
	int p = relay_sla_priority(priority), flag[4];
	int64_t at[4], used = relay_sla_used(c, now), due = -1;

	if (p < 0 || c->paused_since != 0)
		return -1;
	relay_sla_thresholds(t, p, at, flag);
	for (int i = 0; i < 4; i++) {
		int64_t when;

		if (!relay_sla_applies(t, p, c, i) || (flags & flag[i]))
			continue;
		when = now + (at[i] > used ? at[i] - used : 0);
		if (due < 0 || when < due)
			due = when;
	}
	return due;
}

void relay_sla_format_left(int64_t left, char *out, size_t outlen)
{
	int64_t a = left < 0 ? -left : left;
	const char *sign = left < 0 ? "-" : "";

	if (a >= 3600)
		snprintf(out, outlen, "%s%lldh%02lldm", sign, (long long)(a / 3600), (long long)(a % 3600 / 60));
	else if (a >= 60)
		snprintf(out, outlen, "%s%lldm", sign, (long long)(a / 60));
	else
		snprintf(out, outlen, "%s%llds", sign, (long long)a);
}
