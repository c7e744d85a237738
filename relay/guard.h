/*
 * guard: what stands between a code guesser and the support codes, apart
 * from the codes themselves (39.9 bits, 10 minutes, 5 wrong tries each).
 *
 *   per source   every wrong code from a source (an IPv4 address, or an
 *                IPv6 /64) doubles the time before that source's next code
 *                is checked at all: 1 s, 2 s, 4 s ... up to backoff_max.
 *                A source that stays quiet for an hour is forgotten.
 *   global       past failures_per_minute wrong codes in 60 s the cap
 *                closes for sources with RELAY_GUARD_CLEAN_TRIES or more
 *                wrong codes (the guessers) until the window has room;
 *                other sources are still checked, until the window holds
 *                RELAY_GUARD_CLEAN_FACTOR times the cap. The store sees at
 *                most that many guesses per minute, and a handful of
 *                guessing addresses cannot lock the right code out.
 *   per code     the store: 5 wrong tries against a locator kill its code.
 *
 * Relays that share a store share all three: the code's tries are
 * counted in its row; every wrong code is counted in the store's row of
 * its source too (store_source_failed), whose wait each relay checks
 * before its own; and in the store's second of the window, which each
 * relay reads before it checks a code (store_code_window) and puts in
 * place of its own (relay_guard_share_window). So N relays check no more
 * codes a minute between them than one would, give or take the codes
 * checked at the same moment on several relays, each before the others'
 * failures were counted: at most one per relay per instant. Each relay
 * audits a closing of the cap that its own failure makes, so one closing
 * may be written once per relay.
 *
 * A code that is not checked is refused like a wrong one, so a guesser
 * learns nothing from it. Both limits write audit events (ticket 0, the
 * relay's own record): a source's back-off once it has 3 or more wrong
 * codes, and each time the global cap closes.
 *
 * The module keeps no pointers into the caller and uses no clock of its
 * own: every call takes "now", so tests drive it with a simulated clock.
 * Memory is fixed: at most RELAY_GUARD_SOURCES sources are tracked; when
 * the table is full the source seen longest ago is forgotten first.
 */
#ifndef HANDOFF_RELAY_GUARD_H
#define HANDOFF_RELAY_GUARD_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define RELAY_GUARD_SOURCES 4096
#define RELAY_GUARD_SOURCE_MAX 64     /* a source's name, with its NUL */
#define RELAY_GUARD_FORGET 3600       /* quiet seconds after which a source starts afresh */
#define RELAY_GUARD_AUDIT_FROM 3      /* a source's wrong codes that make an audit event */
#define RELAY_GUARD_CLEAN_TRIES 2     /* a source with fewer wrong codes is still checked under the cap (a typo) */
#define RELAY_GUARD_CLEAN_FACTOR 4    /* ... until the window holds this many times the cap */

/* Results of relay_code_check beyond enum store_code_result. */
enum {
	RELAY_CODE_BACKOFF = 100,   /* the source must wait; the code was not checked */
	RELAY_CODE_CAPPED = 101,    /* the global cap holds this source back; the code was not checked */
};

struct relay_guard_config {
	unsigned long backoff_max;          /* seconds */
	unsigned long failures_per_minute;  /* global cap */
};

struct relay_guard;

/* A new guard (the caller frees it with relay_guard_free), or NULL. */
struct relay_guard *relay_guard_new(const struct relay_guard_config *cfg);
void relay_guard_free(struct relay_guard *g);

/*
 * The name a peer address is counted under: the address itself for IPv4,
 * its /64 for IPv6, the text as given for anything else.
 */
void relay_guard_source(const char *peer, char out[RELAY_GUARD_SOURCE_MAX]);

/*
 * 0 when a code from source may be checked at now; otherwise
 * RELAY_CODE_BACKOFF or RELAY_CODE_CAPPED with *wait set to the seconds
 * until it may.
 */
int relay_guard_admit(struct relay_guard *g, const char *source, int64_t now, int64_t *wait);
/*
 * The global window from the store: n seconds with the wrong codes each
 * counted (store_code_window), in place of what this guard counted itself.
 */
void relay_guard_share_window(struct relay_guard *g, const int64_t *seconds, const int64_t *counts, size_t n);
/*
 * A source's wrong codes and next check as the store counted them
 * (store_source_wait; 0 failures: none in the last RELAY_GUARD_FORGET s),
 * in place of this guard's own.
 */
void relay_guard_share_source(struct relay_guard *g, const char *source, int64_t now, int64_t failures,
			      int64_t next_allowed);

/*
 * Counts a wrong code from source at now. true, with audit filled (a
 * short line without secrets), when the failure deserves an audit event.
 * *capped_now is set to 1 when this failure closed the global cap (for
 * guessing sources; see above).
 */
bool relay_guard_failed(struct relay_guard *g, const char *source, int64_t now, int *capped_now,
		       char *audit, size_t auditlen);

/* A correct code from source: its back-off is forgotten. */
void relay_guard_succeeded(struct relay_guard *g, const char *source);

/* Figures for tests and logs. */
struct relay_guard_stats {
	uint64_t checked;    /* codes that reached the store */
	uint64_t backoff;    /* codes refused unchecked: source back-off */
	uint64_t capped;     /* codes refused unchecked: global cap */
	uint64_t audited;    /* audit events written */
	unsigned sources;    /* sources tracked now */
};
void relay_guard_stats(const struct relay_guard *g, struct relay_guard_stats *out);

/*
 * The whole check of a typed support code, as the relay's keyboard-
 * interactive handler runs it: the guard first, then the store (which
 * spends a right code and counts a wrong one against its locator), then
 * the guard's bookkeeping and audit events (ticket 0: the relay's record;
 * a wrong, locked or cancelled code, or the right code of a resolved
 * ticket, also gets "code-refused" on its own ticket).
 *
 * *verdict gets an enum store_code_result, RELAY_CODE_BACKOFF or
 * RELAY_CODE_CAPPED; on STORE_CODE_ACCEPTED *ticket is the code's ticket.
 * Returns 0, or STORE_ERR when the store failed (the verdict is then unset).
 * typed (libssh's buffer, not ours) is never logged or stored; the digits
 * and hash made from it are wiped before return.
 */
int relay_code_check(struct relay_guard *g, struct store *st, const uint8_t *code_key, size_t key_len,
		     const char *peer, const char *typed, int64_t now, int *verdict, int64_t *ticket);

/*
 * relay_code_check, where the answer may also be "intake:TOKEN" (code.h):
 * a live intake token gives the verdict STORE_CODE_ACCEPTED with *intake set and
 * *ticket 0; any other intake answer is STORE_CODE_UNKNOWN and
 * counts against the source exactly like a wrong code (back-off, cap,
 * audit events). The token is never logged or stored.
 */
int relay_intake_check(struct relay_guard *g, struct store *st, const uint8_t *code_key,
		       const uint8_t *intake_key, size_t key_len, const char *peer, const char *typed, int64_t now,
		       int *verdict, int64_t *ticket, int64_t *intake);

/*
 * relay_intake_check, where the answer may also be "resume:TOKEN" (code.h,
 * resumed not NULL): the token of a live ticket, drawn within
 * RESUME_TOKEN_TTL, gives STORE_CODE_ACCEPTED with *ticket and *resumed
 * true; any other is STORE_CODE_UNKNOWN, counted against the source like
 * a wrong code. The token is never logged or stored.
 */
int relay_customer_check(struct relay_guard *g, struct store *st, const uint8_t *code_key,
			 const uint8_t *intake_key, size_t key_len, const char *peer, const char *typed, int64_t now,
			 int *verdict, int64_t *ticket, int64_t *intake, bool *resumed);

/* A short English name of a relay_code_check result, for logs. */
const char *relay_code_result_name(int result);

#endif
