/*
 * audit.h: the part of audit.c that needs no serving relay, so that guard.c
 * and the relay's offline commands (user add, recording-key) write events
 * through the same door as everything else. The rest of audit.c is in
 * relay.h.
 */
#ifndef HANDOFF_RELAY_AUDIT_H
#define HANDOFF_RELAY_AUDIT_H

#include <stdint.h>

#include "store.h"

/*
 * Appends an event to a ticket's history as the next link of the audit
 * chain: the link is computed here, the store appends it
 * (store_chain_append). Strings other than kind may be NULL. 0, or
 * STORE_ERR (a field over the chain's caps, or the write failed).
 */
int relay_audit_event(struct store *st, int64_t ticket, int64_t now, const char *kind, const char *actor,
		      const char *role, const char *clearance, const char *detail);

#endif
