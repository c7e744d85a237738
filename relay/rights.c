/*
 * rights.c: who may do what to which ticket. One function, one table of
 * rules, so that commands, the viewer path and the tests agree.
 *
 *   auditors      read everything (show, attachments, queues), change nothing;
 *                 only they run the audit commands (tickets, show, transcript,
 *                 recordings, recording, export, verify)
 *   technicians   open tickets; read any ticket, but content marked sensitive
 *                 only at or above its clearance; list queues up to their
 *                 tier; take an unowned ticket up to their tier; everything
 *                 else (chat, note, triage, wait, escalate, resolve, invite, view) only on
 *                 a ticket they own that is not resolved or closed; only L2
 *                 and L3 may mark a note sensitive
 *                 read and write knowledge base articles up to their tier
 *                 (auditors read them all);
 *                 reopen or close a resolved ticket at or below their tier
 *                 (not a closed one: closed is final); L2 and L3 write the
 *                 review of a P1/P2 ticket at or below their tier and list
 *                 those awaiting one (auditors list them too)
 *   desk systems  open tickets, with their support code (ticket new --invite),
 *                 at most desk_tickets_per_minute (exec_ticket.c); nothing
 *                 else: they read no ticket, queue or article and view no
 *                 screen, so a desk key that leaks opens tickets and no more
 *   customers     nothing here: they act through their helper
 */
#include <stdio.h>
#include <string.h>

#include "relay.h"

int relay_tier_rank(const char *tier)
{
	if (tier == NULL || tier[0] != 'L' || tier[1] < '1' || tier[1] > '3' || tier[2] != '\0')
		return 0;
	return tier[1] - '0';
}

int relay_rights_can_read(enum relay_role role, const char *tier, const char *clearance)
{
	if (clearance == NULL || clearance[0] == '\0' || role == RELAY_ROLE_AUDITOR)
		return 1;
	return role == RELAY_ROLE_TECH && relay_tier_rank(tier) >= relay_tier_rank(clearance);
}

static int relay_rights_closed(const struct store_ticket *t)
{
	return strcmp(t->state, "resolved") == 0 || strcmp(t->state, "closed") == 0;
}

int relay_rights_check(enum relay_role role, const struct store_user *user, enum relay_action action,
		       const struct store_ticket *t, char *why, size_t whylen)
{
	int rank = user ? relay_tier_rank(user->tier) : 0;

	if (role == RELAY_ROLE_AUDITOR) {
		if (action == RELAY_ACT_SHOW || action == RELAY_ACT_QUEUE || action == RELAY_ACT_AUDIT ||
		    action == RELAY_ACT_KB_READ || action == RELAY_ACT_REVIEW_LIST)
			return 0;
		snprintf(why, whylen, "auditors read the record; they do not change it");
		return -1;
	}
	if (role == RELAY_ROLE_DESK) {
		if (action == RELAY_ACT_NEW)
			return 0;
		snprintf(why, whylen, "desk systems open tickets (ticket new --invite); nothing else");
		return -1;
	}
	if (role != RELAY_ROLE_TECH || rank == 0) {
		snprintf(why, whylen, "only technicians and auditors run commands");
		return -1;
	}
	switch (action) {
	case RELAY_ACT_NEW:
	case RELAY_ACT_SHOW:
	case RELAY_ACT_KB_READ:   /* which articles: the store filters by tier (exec.c) */
	case RELAY_ACT_KB_WRITE:
		return 0;
	case RELAY_ACT_AUDIT:
		/* Technicians read tickets with ticket show; the audit trail and exports are the auditors'. */
		snprintf(why, whylen, "only auditors run audit commands (technicians: ticket show N)");
		return -1;
	case RELAY_ACT_QUEUE:
		if (t != NULL && relay_tier_rank(t->tier) > rank) {
			snprintf(why, whylen, "an %s technician cannot see the %s queue", user->tier, t->tier);
			return -1;
		}
		return 0;
	case RELAY_ACT_TAKE:
		if (relay_rights_closed(t)) {
			snprintf(why, whylen, "ticket %lld is %s", (long long)t->id, t->state);
			return -1;
		}
		if (relay_tier_rank(t->tier) > rank) {
			snprintf(why, whylen, "ticket %lld is at %s; an %s technician cannot take it",
				 (long long)t->id, t->tier, user->tier);
			return -1;
		}
		if (t->owner_id != 0 && t->owner_id != user->id) {
			snprintf(why, whylen, "ticket %lld belongs to %s", (long long)t->id, t->owner);
			return -1;
		}
		return 0;
	case RELAY_ACT_REVIEW_LIST:
		if (rank < 2) {
			snprintf(why, whylen, "reviews are for L2, L3 and auditors");
			return -1;
		}
		return 0;
	case RELAY_ACT_REVIEW:
		if (rank < 2) {
			snprintf(why, whylen, "only L2 and L3 review major incidents");
			return -1;
		}
		/* FALLTHROUGH */
	case RELAY_ACT_REOPEN:
	case RELAY_ACT_CLOSE:
		if (relay_tier_rank(t->tier) > rank) {
			snprintf(why, whylen, "ticket %lld is at %s; an %s technician cannot change it",
				 (long long)t->id, t->tier, user->tier);
			return -1;
		}
		if (strcmp(t->state, "closed") == 0) {
			snprintf(why, whylen, "ticket %lld is closed", (long long)t->id);
			return -1;
		}
		return 0;
	case RELAY_ACT_NOTE_SENSITIVE:
		if (rank < 2) {
			snprintf(why, whylen, "only L2 and L3 may mark something sensitive");
			return -1;
		}
		/* FALLTHROUGH */
	case RELAY_ACT_CHAT:
	case RELAY_ACT_NOTE:
	case RELAY_ACT_ESCALATE:
	case RELAY_ACT_RESOLVE:
	case RELAY_ACT_INVITE:
	case RELAY_ACT_VIEW:
	case RELAY_ACT_TRIAGE:
	case RELAY_ACT_WAIT:
		if (t->owner_id != user->id) {
			if (t->owner_id == 0)
				snprintf(why, whylen, "ticket %lld is in the %s queue: take it first",
					 (long long)t->id, t->tier);
			else
				snprintf(why, whylen, "ticket %lld belongs to %s", (long long)t->id, t->owner);
			return -1;
		}
		if (relay_rights_closed(t)) {
			snprintf(why, whylen, "ticket %lld is %s", (long long)t->id, t->state);
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "unknown action");
	return -1;
}
