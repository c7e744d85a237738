/*
 * rate: how fast a customer's helper may write the ticket's record.
 *
 * Every chat line, pause, resume, answer and ignored press a helper sends
 * becomes an event in the audit chain, kept for ever and hashed into every
 * export. A helper sending as fast as it can (a hostile customer, or a
 * bundle's intake token in many hands) would otherwise add hundreds of
 * events a second. Each customer session has a budget, and so has each
 * intake token over all the sessions it opened: a token bucket that holds
 * a minute's worth and refills at that rate. What does not fit is not
 * recorded; the records left out are counted and said in one event
 * ("customer-events-dropped") when the flood stops or the session ends.
 *
 * Consent replies, the end of sharing and log data are never limited:
 * dropping a "no" or a revoke would keep a technician in, and the others are
 * bounded already (one end; a bundle only after a request, capped).
 */
#ifndef HANDOFF_RELAY_RATE_H
#define HANDOFF_RELAY_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct relay_rate {
	double tokens;
	int64_t at_ms;   /* when tokens was last brought up to date; 0 before the first take */
};

/*
 * Takes one record's worth at now_ms from a bucket of per_minute records:
 * true when it fits. A new bucket starts full.
 */
bool relay_rate_take(struct relay_rate *r, int64_t now_ms, unsigned long per_minute);

/*
 * Takes one record's worth from both buckets or from neither (b may be
 * NULL): a record the intake token's budget refuses costs the session's
 * budget nothing, so a session under a busy token is not drained by records
 * that were never recorded.
 */
bool relay_rate_take_both(struct relay_rate *a, unsigned long a_per_minute, struct relay_rate *b,
			  unsigned long b_per_minute, int64_t now_ms);

/*
 * After a take that did not fit: milliseconds until one record's worth is
 * back, so that a refusal can say when to try again.
 */
int64_t relay_rate_wait_ms(const struct relay_rate *r, unsigned long per_minute);

#endif
