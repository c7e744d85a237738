/*
 * rt: the Request Tracker connector, a webhook receiver of kind rt
 * (webhook.h, docs/webhooks.md "Request Tracker", docs/internals.md).
 *
 * Two files:
 *   rt_json.c  RT's REST 2 answers, parsed with json-c, bounded (size,
 *              depth, counts), every field checked for its type: what
 *              an RT, or whatever answers at its URL, sends is data;
 *   rt.c       the receiver's thread: the outbox's rows rendered as RT
 *              REST 2 calls, and the poll that brings comments added in
 *              RT back as the Handoff ticket's notes.
 */
#ifndef HANDOFF_RELAY_RT_H
#define HANDOFF_RELAY_RT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "webhook.h"

/* Bytes of one RT answer read, at most (a page of 50 transactions is ~15 KiB). */
#define RT_ANSWER_MAX (1024u * 1024)
/* Nesting json-c accepts in an answer: RT's go 4 deep. */
#define RT_JSON_DEPTH 16
#define RT_NAME_MAX 128
/* Transactions read per page of the inbound poll. */
#define RT_PAGE_MAX 50
/* Bytes of a comment's text made into a note, at most (the chain takes 32 KiB). */
#define RT_TEXT_MAX 16384

/* rt_json.c: each 0, or -1 with why (a sentence for `webhooks status`). */

/* The id of what RT answered with: {"id": "12", ...} (RT sends ids as strings or numbers). */
int rt_json_id(const char *p, size_t n, int64_t *id, char *why, size_t whylen);
/* The user that created a record: {"Creator": {"id": "NAME", ...}, ...}. */
int rt_json_creator(const char *p, size_t n, char *name, size_t namelen, char *why, size_t whylen);

struct rt_txn {
	int64_t id;
	char type[32];
	char creator[RT_NAME_MAX];
};
/* A page of transactions ({"items": [{"id", "Type", "Creator": {"id"}}, ...]}): up to max into out. */
int rt_json_txns(const char *p, size_t n, struct rt_txn *out, size_t max, size_t *count, char *why, size_t whylen);
/*
 * A transaction's text ({"items": [{"ContentType", "Filename", "Content"}]}):
 * the first text/plain part that is not a file, as valid UTF-8 (a byte
 * that is not becomes U+FFFD; CRLF becomes LF), at most outlen - 1 bytes
 * cut at a character's end; "" when it has none.
 */
int rt_json_text(const char *p, size_t n, char *out, size_t outlen, char *why, size_t whylen);
/* A search's first hit ({"items": [{"id"}], ...}); *id 0 when it found none. */
int rt_json_first(const char *p, size_t n, int64_t *id, char *why, size_t whylen);
/*
 * RT's own words in an answer: its {"message": "..."} or the first string
 * of a ["..."] list; else the start of the bytes. Printable ASCII only.
 */
void rt_json_explain(const char *p, size_t n, char *out, size_t outlen);

/* rt.c */
struct relay_rt;
/*
 * Starts the thread of RT receiver r (copied), with its own store
 * connection opened like st. relay_id names this relay in RT subjects.
 * 0 or -1 with err.
 */
int relay_rt_start(const struct relay_webhook_conf *r, const struct store *st, const char *relay_id,
		   struct relay_rt **out, char *err, size_t errlen);
/* Stops it (a call under way is abandoned: its row stays in the outbox) and frees it. NULL is fine. */
void relay_rt_stop(struct relay_rt *rt);

#endif
