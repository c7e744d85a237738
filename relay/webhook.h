/*
 * webhook: the ticket's story delivered to the desk's own systems, signed,
 * at least once, in order per ticket (docs/webhooks.md for receivers,
 * docs/internals.md "Webhooks" for the design).
 *
 * Three parts, three files:
 *   webhook_conf.c  the receivers relay.conf names, every typo refused
 *                   with its line;
 *   webhook_body.c  one event as the JSON body of schema version 1;
 *   webhook.c       the delivery thread: libcurl's multi interface over
 *                   the store's outbox, and the operator's status/retry.
 *
 * The outbox is the store's (store.h, store_outbox_*): every event's rows
 * are written by store_chain_append in the event's own transaction, so
 * nothing recorded is ever missing from it, whoever recorded it (serve or
 * an offline command). Delivery runs on a thread of its own with its own
 * store connection and touches nothing of struct relay but what
 * relay_webhooks_start copied for it: the loop that splices live sessions
 * never waits for a receiver.
 */
#ifndef HANDOFF_RELAY_WEBHOOK_H
#define HANDOFF_RELAY_WEBHOOK_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "config.h"
#include "store.h"

#define RELAY_WEBHOOKS_MAX 8
#define RELAY_WEBHOOK_NAME_MAX 32
#define RELAY_WEBHOOK_URL_MAX 1024
#define RELAY_WEBHOOK_SECRET_MIN 16
#define RELAY_WEBHOOK_SECRET_MAX 256
/* The JSON schema's version, in every body ("schema"). A change that drops or retypes a field bumps it. */
#define RELAY_WEBHOOK_SCHEMA 1
/* Seconds a relay holds a row it sends beyond the transfer's own timeout (store_outbox_claim). */
#define RELAY_WEBHOOK_CLAIM_MARGIN 30
/* A body never grows past this: larger attachments go as references. */
#define RELAY_WEBHOOK_BODY_MAX (8u * 1024 * 1024)

/* Request Tracker receivers (relay/rt.c, kind = rt). */
#define RELAY_RT_TOKEN_MIN 8
#define RELAY_RT_TOKEN_MAX 256
#define RELAY_RT_QUEUE_MAX 200

enum relay_webhook_kind {
	RELAY_WEBHOOK_JSON = 0, /* the signed JSON body of docs/webhooks.md */
	RELAY_WEBHOOK_RT,       /* Request Tracker's REST 2 API (relay/rt.c) */
};

struct relay_webhook_conf {
	char name[RELAY_WEBHOOK_NAME_MAX + 1];
	enum relay_webhook_kind kind;
	char url[RELAY_WEBHOOK_URL_MAX];
	char kinds[2048];           /* "all" or ",KIND,KIND," (store.h's form) */
	uint8_t secret[RELAY_WEBHOOK_SECRET_MAX];
	size_t secret_len;
	char ca_file[PATH_MAX];     /* "" : the system's certificate authorities */
	char clearance[4];          /* L1..L3: the highest tier whose confidential content it receives */
	unsigned long timeout;      /* seconds one try may take, connection included */
	unsigned long backoff_max;  /* seconds between tries, at most */
	unsigned long inline_max;   /* bytes of an attachment sent inline, at most */
	/* kind = rt: url is rt_url (RT's base, no /REST/2.0), the token is an RT auth token. */
	char rt_token[RELAY_RT_TOKEN_MAX + 1];
	char rt_queue[3][RELAY_RT_QUEUE_MAX + 1]; /* the RT queue of tiers L1..L3 */
	unsigned long poll_interval; /* seconds between looks for comments added in RT */
};

struct relay_webhooks_conf {
	struct relay_webhook_conf r[RELAY_WEBHOOKS_MAX];
	size_t n;
};

/* webhook_conf.c */
/*
 * Reads the receivers from cfg (relay.conf at conf_path): the unnamed one
 * (webhook_url, webhook_events, ...: named "default") and the named ones
 * (webhook.NAME.url, ...). Secrets come from secret_file (a file no one
 * but its owner may read) or secret, which only a relay.conf no one else
 * may read may hold. 0, or -1 with err naming the line.
 */
int relay_webhook_conf_load(const struct config *cfg, const char *conf_path, struct relay_webhooks_conf *out,
			    char *err, size_t errlen);
/* 1 when key is a webhook setting relay_webhook_conf_load reads (config_check_keys skips those). */
int relay_webhook_conf_key(const char *key);
/* Wipes the secrets. */
void relay_webhook_conf_clear(struct relay_webhooks_conf *c);

/* webhook_body.c */
/*
 * The body for event seq of ticket as receiver r gets it, into out (which
 * the caller inits with a cap of RELAY_WEBHOOK_BODY_MAX): the event, the
 * ticket's tier when it happened, and for an attachment or an escalation
 * the content (inline up to r->inline_max, base64) or a reference.
 * Content cleared above r->clearance is withheld, and the body says so.
 * relay_id names this relay (the audit key's fingerprint). 0, STORE_NOT_FOUND
 * when the event is gone, or STORE_ERR.
 */
int relay_webhook_body(struct store *st, const struct relay_webhook_conf *r, const char *relay_id, int64_t seq,
		       int64_t ticket, struct buf *out);

/* webhook.c */
struct relay;
/*
 * Makes the store's receivers those of relay.conf and starts the delivery
 * thread (none when no receiver is configured). 0 or -1 with err.
 */
int relay_webhooks_start(struct relay *relay, char *err, size_t errlen);
/* Stops the thread (tries under way are abandoned: they stay in the outbox). */
void relay_webhooks_stop(struct relay *relay);
/*
 * Backs off after the attempts-th failed try: 2^(attempts-1) s, at most
 * max, drawn in [half, all] of it so that receivers coming back are not
 * hit by every relay at once. rnd is a random number.
 */
int64_t relay_webhook_backoff(int64_t attempts, unsigned long max, uint32_t rnd);
/*
 * The outcome of a try of receiver r's row seq (its attempts-th failed
 * before), for both kinds of receiver: failed waits its back-off and
 * records a webhook-failing event when r was not failing; delivered takes
 * the row out (webhook-recovered when that ends r's failure). Each its own
 * transaction on st; a store that fails leaves the row to be tried again.
 */
void relay_webhook_row_failed(struct store *st, const struct relay_webhook_conf *r, int64_t seq, int64_t attempts,
			      const char *why);
void relay_webhook_row_delivered(struct store *st, const struct relay_webhook_conf *r, int64_t seq);
/* The operator's `webhooks status`: one paragraph per receiver. */
int relay_webhooks_status(struct store *st, const struct relay_webhooks_conf *conf, int64_t now, FILE *out);
/* The operator's `webhooks retry [RECEIVER]`: its pending rows due now. *count gets how many. */
int relay_webhooks_retry(struct store *st, const char *receiver, int64_t *count);

#endif
