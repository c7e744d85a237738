/*
 * webhook_row.c: the outcome of a try of an outbox row (webhook.h), for
 * both kinds of receiver: webhook.c's JSON transfers and rt.c's Request
 * Tracker calls record it the same way, so `webhooks status`, the back-off
 * and the webhook-failing/-recovered events mean one thing for both. A
 * file of its own so that webhook.c (which starts rt.c's threads) and
 * rt.c both call down into it, never into each other.
 *
 * A failed try: the row waits its back-off, and a receiver that was not
 * failing records one webhook-failing event, in one transaction. A store
 * that is busy leaves the row as it was: it is due again at the next look.
 */
#include "webhook.h"

#include <openssl/rand.h>
#include <time.h>

#include "audit.h"
#include "event.h"
#include "log.h"

/* Bytes of the error kept with the webhook-failing event. */
#define WEBHOOK_ROW_ERROR_MAX 400

int64_t relay_webhook_backoff(int64_t attempts, unsigned long max, uint32_t rnd)
{
	int64_t d = 1;

	for (int64_t i = 1; i < attempts && d < (int64_t)max; i++)
		d *= 2;
	if (d > (int64_t)max)
		d = (int64_t)max;
	/* Half of it for sure, the rest by chance: receivers coming back are not hit by every row at once. */
	return d - (d / 2 ? (int64_t)(rnd % (uint32_t)(d / 2 + 1)) : 0);
}

void relay_webhook_row_failed(struct store *st, const struct relay_webhook_conf *r, int64_t seq, int64_t attempts,
			      const char *why)
{
	int64_t now = time(NULL), wait;
	uint32_t rnd = 0;
	char detail[WEBHOOK_ROW_ERROR_MAX + RELAY_WEBHOOK_NAME_MAX + 4];
	int newly = 0;

	RAND_bytes((uint8_t *)&rnd, sizeof(rnd));
	wait = relay_webhook_backoff(attempts + 1, r->backoff_max, rnd);
	snprintf(detail, sizeof(detail), "%s: %s", r->name, why);
	if (store_begin(st) != STORE_OK) {
		log_warn("webhook %s: event %lld: the store is busy; the row stays for the next try", r->name,
			 (long long)seq);
		return;
	}
	if (store_outbox_failed(st, r->name, seq, now, now + wait, why, &newly) != STORE_OK ||
	    (newly && relay_audit_event(st, 0, now, EVENT_WEBHOOK_FAILING, "relay", "relay", NULL, detail) !=
			      STORE_OK) ||
	    store_commit(st) != STORE_OK) {
		store_rollback(st);
		log_warn("webhook %s: event %lld: the outbox could not be updated; it is tried again", r->name,
			 (long long)seq);
		return;
	}
	/* Tries 1, 2, 4, 8...: an hour's outage is a few lines per ticket, not one per try. */
	if (((attempts + 1) & attempts) == 0)
		log_warn("webhook %s: event %lld, try %lld: %s; next try in %lld s", r->name, (long long)seq,
			 (long long)attempts + 1, why, (long long)wait);
}

void relay_webhook_row_delivered(struct store *st, const struct relay_webhook_conf *r, int64_t seq)
{
	int64_t now = time(NULL);
	int recovered = 0;

	/* Delivered: a store that fails now means the event goes again (at least once). */
	if (store_begin(st) != STORE_OK) {
		log_warn("webhook %s: event %lld was delivered but the store is busy: it will be delivered again",
			 r->name, (long long)seq);
		return;
	}
	if (store_outbox_delivered(st, r->name, seq, now, &recovered) != STORE_OK ||
	    (recovered && relay_audit_event(st, 0, now, EVENT_WEBHOOK_RECOVERED, "relay", "relay", NULL, r->name) !=
				  STORE_OK) ||
	    store_commit(st) != STORE_OK) {
		store_rollback(st);
		log_warn("webhook %s: event %lld was delivered but the outbox could not be updated: it will be "
			 "delivered again",
			 r->name, (long long)seq);
		return;
	}
	if (recovered)
		log_info("webhook %s delivers again", r->name);
}
