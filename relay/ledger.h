/*
 * ledger: a ticket's state as its events tell it, to check the tickets
 * table against the audit chain.
 *
 * The tickets table is the relay's working copy; the chain is the record.
 * Every change of a column that matters (tier, priority, owner, state,
 * summary) is written with an event in the same transaction (ticket.c,
 * main.c), so replaying a ticket's events gives what its row must hold.
 * Pure: no store, no clock; verify (audit.c) feeds it the events read in
 * the same read transaction as the row.
 *
 * State is compared by phase: "open" and "in-session" are one phase (the
 * relay moves between them as the customer comes and goes, and the chain
 * records the connection, not the column), "escalated" and "resolved"
 * are their own. Tickets opened before the opened-as record existed give
 * their tier, priority and first owner to no record; those columns are
 * compared once an event sets them (escalated, taken).
 */
#ifndef HANDOFF_RELAY_LEDGER_H
#define HANDOFF_RELAY_LEDGER_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "store.h"

struct relay_ledger {
	bool opened;                   /* a created or ticket-opened-by-customer record */
	bool tier_known, priority_known, owner_known, summary_known;
	char tier[4];
	char priority[4];
	char owner[STORE_NAME_MAX];    /* "" for nobody */
	char phase[16];                /* open, escalated, resolved */
	char summary[STORE_TEXT_MAX];
	bool bad_record;               /* a record of a kind that sets state could not be read */
};

void relay_ledger_init(struct relay_ledger *l);
/* Takes the next event of the ticket, in order. */
void relay_ledger_event(struct relay_ledger *l, const struct store_event *e);
/*
 * Compares the row with the replayed state. Returns the number of columns
 * that differ (0 when the row is what the chain says) and puts into
 * out one line per difference, each starting "ticket N: ", separated by
 * '\n' (cut at outlen).
 */
int relay_ledger_compare(const struct relay_ledger *l, const struct store_ticket *t, char *out, size_t outlen);
/* The opened-as detail for a new ticket (owner NULL or "" for nobody). */
void relay_ledger_opened_as(char *out, size_t outlen, const char *tier, const char *priority, const char *owner,
			    const char *summary);

/* The triaged detail: "impact I, urgency U: FROM -> TO" (priorities). */
void relay_ledger_triaged(char *out, size_t outlen, const char *impact, const char *urgency, const char *from,
			  const char *to);

#endif
