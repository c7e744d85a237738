/*
 * sla: a ticket's service-level clocks, as arithmetic. Pure: no store and
 * no clock of its own; home.c parses relay.conf's targets with it, ticket.c
 * (the timer's warnings and breaches), exec.c (queue's time left) and
 * tests/unit/test_sla.c ask it.
 *
 * Each priority has two targets, seconds of the desk's time: to the first
 * response and to the resolution (`sla_p1 = 900 14400`; 0 = no target). The
 * desk's time is wall time since the ticket was opened minus every pause
 * (`wait N --for customer` until the customer's next message or
 * connection): while the desk waits on the customer, no clock runs.
 *
 * A clock warns once when the share of its target used reaches
 * warn_percent, and breaches once when all of it is used; each is a flag on
 * the ticket, so a restart or a second tick never says it twice.
 */
#ifndef HANDOFF_RELAY_SLA_H
#define HANDOFF_RELAY_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The ticket's flags (store_ticket.sla_flags). */
#define RELAY_SLA_RESPONSE_WARNED 1
#define RELAY_SLA_RESPONSE_BREACHED 2
#define RELAY_SLA_RESOLVE_WARNED 4
#define RELAY_SLA_RESOLVE_BREACHED 8

struct relay_sla_targets {
	unsigned long response[4], resolve[4];   /* by priority P1..P4; 0 = none */
	unsigned long warn_percent;               /* 1..99 */
};

/* What the arithmetic needs of a ticket. */
struct relay_sla_clock {
	int64_t opened_at;
	int64_t first_response_at;   /* 0 until a technician responded */
	int64_t paused_since;        /* 0 while the clocks run */
	int64_t paused;              /* seconds of pauses that ended */
};

/* The embedded targets: P1 15 min / 4 h, P2 1 h / 8 h, P3 4 h / 24 h, P4 8 h / 72 h; warning at 80 %. */
void relay_sla_default(struct relay_sla_targets *t);
/* "RESPONSE RESOLVE" (seconds, each 0..31536000) for priority index p. 0, or -1 with why filled. */
int relay_sla_parse(struct relay_sla_targets *t, int p, const char *value, char *why, size_t whylen);
/* The priority's index 0..3 for "P1".."P4", or -1. */
int relay_sla_priority(const char *priority);
/* Seconds of desk time the ticket has used at now (never negative). */
int64_t relay_sla_used(const struct relay_sla_clock *c, int64_t now);

/* The clock that matters next: the response until there is one, then the resolution. */
enum relay_sla_which { RELAY_SLA_NONE, RELAY_SLA_RESPONSE, RELAY_SLA_RESOLVE };
struct relay_sla_view {
	enum relay_sla_which which;
	int64_t target;   /* seconds */
	int64_t left;     /* seconds of desk time left; negative once breached */
	bool paused;
};
void relay_sla_next(const struct relay_sla_targets *t, const char *priority, const struct relay_sla_clock *c,
		    int64_t now, struct relay_sla_view *out);

/*
 * What the timer owes a ticket at now: the flags to add (warnings and
 * breaches now due that flags does not hold yet). The response clock
 * counts only until the first response; the resolve clock until resolved
 * (the caller asks only for open tickets).
 */
int relay_sla_due_flags(const struct relay_sla_targets *t, const char *priority, const struct relay_sla_clock *c,
			int flags, int64_t now);
/*
 * When (wall time) the next flag falls due if nothing changes: -1 when
 * none can (paused, no targets left, every flag held).
 */
int64_t relay_sla_next_due(const struct relay_sla_targets *t, const char *priority, const struct relay_sla_clock *c,
			   int flags, int64_t now);
/* "1h05m", "14m", "45s", "-3m" (breached), into out. */
void relay_sla_format_left(int64_t left, char *out, size_t outlen);

#endif
