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
/* The same, with the record's seq in *seq. */
int relay_audit_event_seq(struct store *st, int64_t ticket, int64_t now, const char *kind, const char *actor,
			  const char *role, const char *clearance, const char *detail, int64_t *seq);

/*
 * Retires a registered relay audit key (store.h relay_keys): a
 * relay-key-retired record (ticket 0, detail "HEX") and the row's
 * retired_seq in one transaction, so the retirement is covered by the chain
 * as the registration is. Checkpoints at or after that seq under the key
 * then fail verify, and a relay with the key refuses to start. 0,
 * STORE_NOT_FOUND (not registered, or retired already), or STORE_ERR.
 */
int relay_audit_key_retire(struct store *st, const uint8_t pub[STORE_PUB_LEN], int64_t now, int64_t *seq);

#endif
