/*
 * report: the desk's numbers for managers and auditors, computed from the
 * audit chain's events alone (never the tickets table), so that the same
 * events from verified exports give the same numbers: the relay's `report`
 * (relay/exec.c, over its chain) and handoff-tech's (technician/techreport.c,
 * over exports) are this one file. Pure: the caller
 * feeds every event in chain order (relay_report_event), then asks for the
 * result (relay_report_finish) and writes it as text, JSON, CSV or one
 * self-contained HTML page with inline SVG charts.
 *
 * A ticket's numbers go to one group, from its state at the end of the
 * chain: its tier, its resolver (else its owner, else "-"), its priority,
 * or the article it was resolved with ("none"). The window [since, until)
 * picks what counts: tickets opened in it (opened, first response),
 * resolutions in it (resolved, time to resolve, by an article, reopened),
 * escalations, SLA breaches and ends of stays at a tier in it. Time in a
 * tier and the escalation rate are per tier whatever the grouping.
 * Reopened counts tickets with a reopened record in the window (reopen
 * N: the customer came back); a reopening undoes the resolution before
 * it, so a ticket counts as resolved again only when it is resolved again.
 * The reopen rate is reopened over resolved plus reopened. Self-help shown
 * counts tickets opened in the window whose customer read the public
 * articles first (self-help-shown) and opened the ticket anyway.
 */
#ifndef HANDOFF_RELAY_REPORT_H
#define HANDOFF_RELAY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum relay_report_by { RELAY_REPORT_TOTAL, RELAY_REPORT_TIER, RELAY_REPORT_TECH, RELAY_REPORT_PRIORITY, RELAY_REPORT_KB };

struct relay_report_group {
	char key[72];
	int64_t opened, responded, response_sum;
	int64_t resolved, resolve_sum, by_kb, reopened, self_help;
	int64_t recurrences; /* tickets opened that matched a reviewed major incident */
	int64_t escalations, breaches;
};

struct relay_report_ticket;

struct relay_report {
	int64_t since, until;
	enum relay_report_by by;
	struct relay_report_ticket *tickets;   /* indexed by ticket number */
	size_t ntickets;
	struct relay_report_group *groups;
	size_t ngroups, groups_cap;
	struct relay_report_group total;
	int64_t stays[3], stay_sum[3], escalated_from[3];   /* per tier L1..L3 */
	bool failed;                           /* out of memory: the numbers are not whole */
};

/* One event as the chain holds it. */
struct relay_report_event {
	int64_t ticket, at;
	const char *kind, *actor, *role, *detail;
};

/* "tier", "tech", "priority", "kb" or NULL (totals only); -1 for anything else. */
int relay_report_by_parse(const char *word);
void relay_report_init(struct relay_report *r, int64_t since, int64_t until, enum relay_report_by by);
/* The next event of the chain. 0, or -1 when memory ran out (r->failed). */
int relay_report_event(struct relay_report *r, const struct relay_report_event *e);
/* Every ticket into its group. 0 or -1. */
int relay_report_finish(struct relay_report *r);
void relay_report_free(struct relay_report *r);

/* The report into out: a table for people, JSON, CSV or one HTML page. */
void relay_report_text(const struct relay_report *r, struct buf *out);
void relay_report_json(const struct relay_report *r, struct buf *out);
void relay_report_csv(const struct relay_report *r, struct buf *out);
void relay_report_html(const struct relay_report *r, struct buf *out);

#endif
