/*
 * rt.c: a Request Tracker receiver's thread (rt.h).
 *
 * Outbound, the RT receiver is a webhook receiver like the others: its
 * rows are in the same durable outbox, written in the event's own
 * transaction; it takes the head of each ticket only (in order per
 * ticket), a row leaves only once RT took all of it, a failure waits its
 * back-off and is said in words in `webhooks status` (webhook.c's
 * relay_webhook_row_failed/_delivered: one bookkeeping for both kinds).
 * What differs is the rendering: the event's schema-1 body (webhook_body.c,
 * with its clearance rules and attachments) is read back with json-c and
 * said to RT as REST 2 calls:
 *
 *   no RT ticket yet   POST /ticket in the queue of the ticket's tier,
 *                      Subject "[RELAY RECEIVER #N] summary"; the link is
 *                      stored (store_rt_link_set) before anything else;
 *   chat               POST /ticket/ID/correspond (the conversation);
 *   escalated          PUT /ticket/ID {Queue} of the new tier, then a
 *                      comment with the packet: the handover note and the
 *                      transcript attached, their SHA-256 in the text;
 *   attachment-added   a comment with the file attached (the log bundle);
 *   resolved, reopened a comment, then PUT {Status: resolved | open};
 *   anything else      a comment "KIND by ACTOR: DETAIL".
 *
 * At least once, and the parts are safe to repeat: a row whose first
 * call went through and second did not is tried again whole; the PUTs
 * change nothing the second time, and a ticket created by a try whose
 * answer was lost is found again by its subject tag before a second one
 * is made (rt_find). A comment whose answer was lost is the one thing
 * RT may get twice (RT has no idempotency key for comments).
 *
 * One thread per RT receiver, with blocking libcurl calls bounded by the
 * receiver's timeout: RT gets one call at a time from us, in order, and
 * a slow RT holds only its own thread (never the JSON receivers'
 * transfers, never the loop that splices live sessions).
 *
 * Inbound: every poll_interval seconds the thread asks RT, per linked
 * ticket not closed, for the Comment transactions after the last one it
 * looked at (POST /transactions, a search on ObjectId, Type and id), and
 * makes each one not written by our own token's user a note on the
 * Handoff ticket, actor "rt:RECEIVER", with the link's mark moved in the
 * same store transaction: each comment becomes one note, whatever crashes.
 * Polling rather than an RT scrip: a scrip would mean Perl code in RT's
 * database, a credential for the relay kept in RT, and a way in from RT
 * to the relay; the poll needs only the token the relay already holds,
 * and the relay keeps being the one that opens every connection. The
 * price is the interval's latency and one request per linked ticket per
 * interval (docs/internals.md has the figures).
 */
#include "rt.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "emit.h"
#include "event.h"
#include "log.h"
#include "utf8.h"
#include "version.h"

#define RT_WHY_MAX 400
/* Rows taken per look at the outbox; the thread looks again at once while there are more. */
#define RT_ROWS_PER_LOOK 16
/* The REST calls one row may take (a lost creation's search, the creation, a queue change, a comment with attachments). */
#define RT_CALLS_PER_ROW 4
/* Linked tickets polled per round: the oldest first; a desk with more sees the rest a round later. */
#define RT_POLL_TICKETS 200
#define RT_ACTOR_PREFIX "rt:"

struct relay_rt {
	pthread_t thread;
	atomic_bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct relay_webhook_conf r;   /* a copy: the thread reads nothing of struct relay */
	struct store *st;
	char relay_id[40];
	CURL *easy;                    /* one handle: RT's connection is kept between calls */
	char self[RT_NAME_MAX];        /* RT's name of our token's user ("" until learned) */
	int64_t next_poll;
	bool poll_failing;             /* the last round failed: said once, not every interval */
};

/* One call's answer: RT's bytes up to RT_ANSWER_MAX. */
struct rt_answer {
	struct buf body;
	bool over;
};

static size_t rt_write(char *p, size_t size, size_t n, void *ctx)
{
	struct rt_answer *a = ctx;
	size_t len = size * n;

	if (buf_put(&a->body, p, len) != 0) {
		a->over = true;
		return 0;
	}
	return len;
}

static int rt_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct relay_rt *rt = ctx;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return atomic_load(&rt->stopping) ? 1 : 0;
}

/* Printable ASCII: the text goes to the store, the chain and an operator's terminal. */
static void rt_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/*
 * One REST 2 call: METHOD url/REST/2.0PATH with body (NULL: none), the
 * answer into a (inited here, freed by the caller) and its status. 0 when
 * RT answered 2xx; else -1 with why in words.
 */
static int rt_call(struct relay_rt *rt, const char *method, const char *path, const struct buf *body,
		   struct rt_answer *a, long *status, char *why, size_t whylen)
{
	char url[RELAY_WEBHOOK_URL_MAX + 512], auth[RELAY_RT_TOKEN_MAX + 32], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL, *h2;
	CURLcode res;
	int rc = -1;

	buf_init(&a->body, RT_ANSWER_MAX);
	a->over = false;
	*status = 0;
	snprintf(url, sizeof(url), "%s/REST/2.0%s", rt->r.url, path);
	snprintf(auth, sizeof(auth), "Authorization: token %s", rt->r.rt_token);
	h = curl_slist_append(NULL, auth);
	OPENSSL_cleanse(auth, sizeof(auth));
	for (size_t i = 0; h != NULL && i < 2; i++) {
		h2 = curl_slist_append(h, i == 0 ? "Content-Type: application/json" : "Expect:");
		if (h2 == NULL) {
			curl_slist_free_all(h);
			h = NULL;
		}
	}
	if (h == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	curl_easy_reset(rt->easy);
	curl_easy_setopt(rt->easy, CURLOPT_URL, url);
	curl_easy_setopt(rt->easy, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(rt->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(rt->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rt->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(rt->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rt->r.ca_file[0] != '\0')
		curl_easy_setopt(rt->easy, CURLOPT_CAINFO, rt->r.ca_file);
	curl_easy_setopt(rt->easy, CURLOPT_TIMEOUT, (long)rt->r.timeout);
	curl_easy_setopt(rt->easy, CURLOPT_CONNECTTIMEOUT, (long)(rt->r.timeout < 10 ? rt->r.timeout : 10));
	curl_easy_setopt(rt->easy, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(rt->easy, CURLOPT_POSTFIELDS, (const char *)buf_ptr(body));
		curl_easy_setopt(rt->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)buf_len(body));
	}
	curl_easy_setopt(rt->easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(rt->easy, CURLOPT_USERAGENT, "handoff-relay/" HANDOFF_VERSION);
	curl_easy_setopt(rt->easy, CURLOPT_WRITEFUNCTION, rt_write);
	curl_easy_setopt(rt->easy, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(rt->easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(rt->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(rt->easy, CURLOPT_XFERINFOFUNCTION, rt_progress);
	curl_easy_setopt(rt->easy, CURLOPT_XFERINFODATA, rt);
	res = curl_easy_perform(rt->easy);
	if (res == CURLE_OK)
		curl_easy_getinfo(rt->easy, CURLINFO_RESPONSE_CODE, status);
	switch (res) {
	case CURLE_OK:
		if (*status >= 200 && *status <= 299) {
			rc = 0;
		} else {
			char said[160];

			rt_json_explain((const char *)buf_ptr(&a->body), buf_len(&a->body), said, sizeof(said));
			snprintf(why, whylen, "RT answered %s %s with HTTP %ld%s%s", method, path, *status,
				 said[0] ? ": " : "", said);
			if (*status == 401 || *status == 403)
				snprintf(why + strlen(why), whylen - strlen(why),
					 " (is the token in rt_token_file valid, and its user allowed on the queue?)");
		}
		break;
	case CURLE_WRITE_ERROR:
		snprintf(why, whylen, "RT's answer to %s %s is over %u bytes", method, path, RT_ANSWER_MAX);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(why, whylen, "DNS failure: %s", errbuf[0] ? errbuf : curl_easy_strerror(res));
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(why, whylen, "cannot connect to RT: %s", errbuf[0] ? errbuf : curl_easy_strerror(res));
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(why, whylen, "RT timed out (timeout %lu s): %s", rt->r.timeout, errbuf);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(why, whylen, "TLS certificate refused (wrong name, or not signed by the trusted CA): %s", errbuf);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		snprintf(why, whylen, "the relay is stopping");
		break;
	default:
		snprintf(why, whylen, "%s: %s", curl_easy_strerror(res), errbuf);
		break;
	}
	rt_clean(why);
out:
	/* The token's header line: wiped before it goes back to malloc (libcurl's own copies are its own). */
	for (struct curl_slist *p = h; p != NULL; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
	return rc;
}

/* A 2xx answer that must be JSON: garbage behind a 200 is a failure in words, not a success. */
static int rt_call_json(struct relay_rt *rt, const char *method, const char *path, const struct buf *body,
			struct rt_answer *a, char *why, size_t whylen)
{
	struct json_tokener *tok;
	struct json_object *o;
	long status;
	char what[160], said[96];

	if (rt_call(rt, method, path, body, a, &status, why, whylen) != 0)
		return -1;
	tok = json_tokener_new_ex(RT_JSON_DEPTH);
	if (tok == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	o = json_tokener_parse_ex(tok, (const char *)buf_ptr(&a->body), (int)buf_len(&a->body));
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(what, sizeof(what), "%s", json_tokener_error_desc(json_tokener_get_error(tok)));
		rt_json_explain((const char *)buf_ptr(&a->body), buf_len(&a->body), said, sizeof(said));
		snprintf(why, whylen, "RT answered %s %s with HTTP %ld but not JSON (%s): \"%s\" (is rt_url RT's base URL?)",
			 method, path, status, buf_len(&a->body) ? what : "empty", said);
		rt_clean(why);
		json_object_put(o);
		json_tokener_free(tok);
		return -1;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return 0;
}

/* A member of our own body, or NULL. */
static struct json_object *rt_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *rt_str(struct json_object *o, const char *key)
{
	struct json_object *v = rt_get(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* The receiver's queue for tier "L1".."L3" (the first's for anything else). */
static const char *rt_queue(const struct relay_rt *rt, const char *tier)
{
	if (strcmp(tier, "L2") == 0)
		return rt->r.rt_queue[1];
	if (strcmp(tier, "L3") == 0)
		return rt->r.rt_queue[2];
	return rt->r.rt_queue[0];
}

struct rt_link_found {
	int64_t rt_id, seen;
};

static int rt_link_cb(const struct store_rt_link *l, void *ctx)
{
	struct rt_link_found *f = ctx;

	f->rt_id = l->rt_id;
	f->seen = l->seen_txn;
	return 1;
}

/* The text of the event as RT shows it: "KIND by ACTOR (ROLE) at WHEN: DETAIL (event ID)", or why it is withheld. */
static void rt_event_text(struct json_object *ev, struct buf *out)
{
	struct json_object *withheld = rt_get(ev, "withheld");
	const char *role = rt_str(ev, "role");

	buf_printf(out, "%s by %s", rt_str(ev, "kind"), rt_str(ev, "actor"));
	if (role[0] && strcmp(role, rt_str(ev, "actor")) != 0)
		buf_printf(out, " (%s)", role);
	buf_printf(out, " at %s", rt_str(ev, "at"));
	if (withheld != NULL && json_object_get_boolean(withheld))
		buf_printf(out, ": withheld (cleared above this receiver's clearance)");
	else if (rt_str(ev, "detail")[0])
		buf_printf(out, ":\n\n%s", rt_str(ev, "detail"));
	/* The event's id, as the JSON receivers' Handoff-Event-Id: RT's copy can be checked against the chain. */
	buf_printf(out, "\n\n(event %s)\n", rt_str(ev, "id"));
}

/*
 * Attachment a (a schema-1 attachment object, or null) said in text
 * and, when its content came, added to the Attachments array being
 * emitted (opened by the caller on first use: *open).
 */
static void rt_attachment_text(struct json_object *a, const char *label, struct buf *text)
{
	struct json_object *content = rt_get(a, "content_base64");

	if (a == NULL || !json_object_is_type(a, json_type_object))
		return;
	buf_printf(text, "\n%s: %s, %lld bytes, SHA-256 %s", label, rt_str(a, "name"),
		   (long long)json_object_get_int64(rt_get(a, "size")), rt_str(a, "sha256"));
	if (json_object_get_boolean(rt_get(a, "withheld")))
		buf_printf(text, " (withheld: cleared above this receiver)");
	else if (content == NULL || !json_object_is_type(content, json_type_string))
		buf_printf(text, " (not attached, over inline_max: %s)", rt_str(a, "fetch"));
	else
		buf_printf(text, " (attached)");
}

static void rt_attachment_emit(struct emit *j, struct json_object *a)
{
	struct json_object *content = rt_get(a, "content_base64");
	const char *kind = rt_str(a, "kind");

	if (a == NULL || content == NULL || !json_object_is_type(content, json_type_string))
		return;
	emit_object_begin(j);
	emit_kstring(j, "FileName", rt_str(a, "name"));
	emit_kstring(j, "FileType",
		     strcmp(kind, "transcript") == 0 || strcmp(kind, "handover-note") == 0 || strcmp(kind, "note") == 0
			     ? "text/plain"
			     : "application/octet-stream");
	/* Our own base64 (emit_base64), passed through as RT's REST 2 wants it. */
	emit_kstring(j, "FileContent", json_object_get_string(content));
	emit_object_end(j);
}

/* POST /ticket/ID/comment or /correspond with text and the attachments a1, a2 (each may be NULL). */
static int rt_message(struct relay_rt *rt, int64_t rt_id, const char *what, const struct buf *text,
		      struct json_object *a1, struct json_object *a2, char *why, size_t whylen)
{
	struct buf body;
	struct emit j;
	struct rt_answer ans;
	char path[64];
	int rc = -1;

	buf_init(&body, RELAY_WEBHOOK_BODY_MAX + 65536);
	emit_init(&j, &body);
	emit_object_begin(&j);
	emit_kstring(&j, "ContentType", "text/plain");
	emit_key(&j, "Content");
	emit_bytes(&j, buf_ptr(text), buf_len(text));
	if (rt_get(a1, "content_base64") != NULL || rt_get(a2, "content_base64") != NULL) {
		emit_key(&j, "Attachments");
		emit_array_begin(&j);
		rt_attachment_emit(&j, a1);
		rt_attachment_emit(&j, a2);
		emit_array_end(&j);
	}
	emit_object_end(&j);
	if (emit_failed(&j)) {
		snprintf(why, whylen, "the %s for RT is over %u bytes", what, RELAY_WEBHOOK_BODY_MAX + 65536);
		goto out;
	}
	snprintf(path, sizeof(path), "/ticket/%lld/%s", (long long)rt_id, what);
	rc = rt_call_json(rt, "POST", path, &body, &ans, why, whylen);
	buf_free(&ans.body);
out:
	buf_free(&body);
	return rc;
}

/* PUT /ticket/ID {key: value}: the queue or the status. Repeating it changes nothing. */
static int rt_update(struct relay_rt *rt, int64_t rt_id, const char *key, const char *value, char *why,
		     size_t whylen)
{
	struct buf body;
	struct emit j;
	struct rt_answer ans;
	char path[64];
	int rc;

	buf_init(&body, 4096);
	emit_init(&j, &body);
	emit_object_begin(&j);
	emit_kstring(&j, key, value);
	emit_object_end(&j);
	snprintf(path, sizeof(path), "/ticket/%lld", (long long)rt_id);
	rc = rt_call_json(rt, "PUT", path, &body, &ans, why, whylen);
	buf_free(&ans.body);
	buf_free(&body);
	return rc;
}

/*
 * The subject tag that names Handoff ticket N of this relay and receiver
 * in RT: what rt_find looks for. The receiver's name is in it so that two
 * receivers on one RT (two sets of queues) never take each other's.
 */
static void rt_tag(const struct relay_rt *rt, int64_t ticket, char *out, size_t outlen)
{
	snprintf(out, outlen, "[%s %s #%lld]", rt->relay_id, rt->r.name, (long long)ticket);
}

/* A ticket an earlier try made whose answer was lost: found by its tag. *rt_id 0 when there is none. */
static int rt_find(struct relay_rt *rt, int64_t ticket, int64_t *rt_id, char *why, size_t whylen)
{
	char tag[96], query[256], path[1024];
	char *esc;
	struct rt_answer ans;
	int rc = -1;

	rt_tag(rt, ticket, tag, sizeof(tag));
	snprintf(query, sizeof(query), "Subject LIKE '%s'", tag);
	esc = curl_easy_escape(rt->easy, query, 0);
	if (esc == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "/tickets?query=%s&per_page=1&orderby=id&order=ASC", esc);
	curl_free(esc);
	if (rt_call_json(rt, "GET", path, NULL, &ans, why, whylen) == 0) {
		char what[160];

		if (rt_json_first((const char *)buf_ptr(&ans.body), buf_len(&ans.body), rt_id, what, sizeof(what)) == 0)
			rc = 0;
		else
			snprintf(why, whylen, "RT's search answer: %s", what);
	}
	buf_free(&ans.body);
	return rc;
}

/* Creates the RT ticket for Handoff ticket ev.ticket, text its first content, and stores the link. */
static int rt_create(struct relay_rt *rt, struct json_object *ev, int64_t ticket, const struct buf *text,
		     int64_t *rt_id, char *why, size_t whylen)
{
	struct json_object *t = rt_get(ev, "ticket");
	struct buf body;
	struct emit j;
	struct rt_answer ans;
	char tag[96], subject[512], what[160];
	int rc = -1;

	rt_tag(rt, ticket, tag, sizeof(tag));
	snprintf(subject, sizeof(subject), "%s %s", tag, rt_str(t, "summary"));
	buf_init(&body, 65536 + STORE_TEXT_MAX);
	emit_init(&j, &body);
	emit_object_begin(&j);
	emit_kstring(&j, "Queue", rt_queue(rt, rt_str(t, "tier")));
	emit_key(&j, "Subject");
	emit_bytes(&j, subject, utf8_cut(subject, strlen(subject), 200));
	emit_kstring(&j, "ContentType", "text/plain");
	emit_key(&j, "Content");
	emit_bytes(&j, buf_ptr(text), buf_len(text));
	emit_object_end(&j);
	if (emit_failed(&j)) {
		snprintf(why, whylen, "the new RT ticket's text is too long");
		goto out;
	}
	if (rt_call_json(rt, "POST", "/ticket", &body, &ans, why, whylen) != 0) {
		buf_free(&ans.body);
		goto out;
	}
	if (rt_json_id((const char *)buf_ptr(&ans.body), buf_len(&ans.body), rt_id, what, sizeof(what)) != 0) {
		snprintf(why, whylen, "RT's answer to POST /ticket: %s", what);
		buf_free(&ans.body);
		goto out;
	}
	buf_free(&ans.body);
	/* Stored at once: the next part failing must not make a second RT ticket on the next try. */
	if (store_rt_link_set(rt->st, rt->r.name, ticket, *rt_id, time(NULL)) != STORE_OK) {
		snprintf(why, whylen, "RT ticket %lld was created but the store did not keep the link",
			 (long long)*rt_id);
		goto out;
	}
	log_info("webhook %s: Handoff ticket %lld is RT ticket %lld", rt->r.name, (long long)ticket, (long long)*rt_id);
	rc = 0;
out:
	buf_free(&body);
	return rc;
}

/* The event's schema-1 body as a json-c object (NULL with why). */
static struct json_object *rt_event(struct relay_rt *rt, const struct store_outbox_row *row, char *why,
				    size_t whylen)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;
	struct buf body;
	int rc;

	buf_init(&body, RELAY_WEBHOOK_BODY_MAX);
	rc = relay_webhook_body(rt->st, &rt->r, rt->relay_id, row->seq, row->ticket, &body);
	if (rc == STORE_ERR && rt->r.inline_max > 0) {
		/* Too big with its attachments inline: the same event with references instead. */
		struct relay_webhook_conf *lean = malloc(sizeof(*lean));

		if (lean != NULL) {
			*lean = rt->r;
			lean->inline_max = 0;
			buf_reset(&body);
			rc = relay_webhook_body(rt->st, lean, rt->relay_id, row->seq, row->ticket, &body);
			OPENSSL_cleanse(lean, sizeof(*lean));
			free(lean);
		}
	}
	if (rc != STORE_OK) {
		snprintf(why, whylen, "%s", rc == STORE_NOT_FOUND ? "the event is missing from the store"
							   : "the event could not be read from the store");
		goto out;
	}
	tok = json_tokener_new_ex(RT_JSON_DEPTH);
	if (tok != NULL)
		o = json_tokener_parse_ex(tok, (const char *)buf_ptr(&body), (int)buf_len(&body));
	if (o == NULL)
		snprintf(why, whylen, "the event's body could not be read back");
	json_tokener_free(tok);
out:
	buf_free(&body);
	return o;
}

/* One outbox row said to RT: 0 when all of it went through, else -1 with why. */
static int rt_deliver(struct relay_rt *rt, const struct store_outbox_row *row, char *why, size_t whylen)
{
	struct json_object *ev = rt_event(rt, row, why, whylen), *packet, *t;
	struct rt_link_found link = { 0 };
	struct buf text;
	char self_actor[RELAY_WEBHOOK_NAME_MAX + 8];
	const char *kind;
	bool created = false;
	int rc = -1;

	if (ev == NULL)
		return -1;
	buf_init(&text, STORE_TEXT_MAX * 4 + 4096);
	kind = rt_str(ev, "kind");
	t = rt_get(ev, "ticket");
	snprintf(self_actor, sizeof(self_actor), RT_ACTOR_PREFIX "%s", rt->r.name);
	/* The relay's own records have no RT ticket; a note that came from this RT is not sent back to it. */
	if (row->ticket <= 0 || strcmp(rt_str(ev, "actor"), self_actor) == 0) {
		rc = 0;
		goto out;
	}
	rt_event_text(ev, &text);
	if (store_rt_links(rt->st, rt->r.name, row->ticket, 0, 1, rt_link_cb, &link) != STORE_OK) {
		snprintf(why, whylen, "the store's RT links could not be read");
		goto out;
	}
	if (link.rt_id == 0 && row->attempts > 0) {
		if (rt_find(rt, row->ticket, &link.rt_id, why, whylen) != 0)
			goto out;
		if (link.rt_id != 0 &&
		    store_rt_link_set(rt->st, rt->r.name, row->ticket, link.rt_id, time(NULL)) != STORE_OK) {
			snprintf(why, whylen, "the store did not keep the RT link");
			goto out;
		}
		if (link.rt_id != 0)
			log_info("webhook %s: Handoff ticket %lld is RT ticket %lld, found by its tag (an earlier "
				 "try's answer was lost)",
				 rt->r.name, (long long)row->ticket, (long long)link.rt_id);
	}
	if (link.rt_id == 0) {
		struct buf first;

		buf_init(&first, STORE_TEXT_MAX * 4 + 8192);
		buf_printf(&first, "Handoff ticket %lld (%s, %s), linked by the relay %s.\n\n", (long long)row->ticket,
			   rt_str(t, "tier"), rt_str(t, "priority"), rt->relay_id);
		buf_put(&first, buf_ptr(&text), buf_len(&text));
		rc = rt_create(rt, ev, row->ticket, &first, &link.rt_id, why, whylen);
		buf_free(&first);
		if (rc != 0)
			goto out;
		rc = -1;
		created = true;
	}
	if (strcmp(kind, EVENT_CREATED) == 0 || strcmp(kind, EVENT_TICKET_OPENED_BY_CUSTOMER) == 0 ||
	    strcmp(kind, EVENT_OPENED_AS) == 0) {
		if (!created && rt_message(rt, link.rt_id, "comment", &text, NULL, NULL, why, whylen) != 0)
			goto out;
	} else if (strcmp(kind, EVENT_CHAT) == 0) {
		if (rt_message(rt, link.rt_id, "correspond", &text, NULL, NULL, why, whylen) != 0)
			goto out;
	} else if (strcmp(kind, EVENT_ESCALATED) == 0) {
		packet = rt_get(ev, "packet");
		if (rt_update(rt, link.rt_id, "Queue", rt_queue(rt, rt_str(packet, "to")), why, whylen) != 0)
			goto out;
		buf_printf(&text, "\nThe escalation packet:");
		rt_attachment_text(rt_get(packet, "handover_note"), "handover note", &text);
		rt_attachment_text(rt_get(packet, "transcript"), "transcript", &text);
		buf_printf(&text, "\nlogs: %s\n", rt_str(packet, "logs"));
		if (rt_message(rt, link.rt_id, "comment", &text, rt_get(packet, "handover_note"),
			       rt_get(packet, "transcript"), why, whylen) != 0)
			goto out;
	} else if (strcmp(kind, EVENT_ATTACHMENT_ADDED) == 0) {
		struct json_object *a = rt_get(ev, "attachment");

		rt_attachment_text(a, rt_str(a, "kind"), &text);
		buf_printf(&text, "\n");
		if (rt_message(rt, link.rt_id, "comment", &text, a, NULL, why, whylen) != 0)
			goto out;
	} else if (strcmp(kind, EVENT_RESOLVED) == 0 || strcmp(kind, EVENT_REOPENED) == 0) {
		/* The comment first: RT does not reopen a resolved ticket for a comment, it might for a reply. */
		if (rt_message(rt, link.rt_id, "comment", &text, NULL, NULL, why, whylen) != 0 ||
		    rt_update(rt, link.rt_id, "Status", strcmp(kind, EVENT_RESOLVED) == 0 ? "resolved" : "open", why,
			      whylen) != 0)
			goto out;
	} else if (rt_message(rt, link.rt_id, "comment", &text, NULL, NULL, why, whylen) != 0) {
		goto out;
	}
	rc = 0;
out:
	if (buf_len(&text) == 0 && rc != 0 && why[0] == '\0')
		snprintf(why, whylen, "the event could not be said to RT");
	buf_free(&text);
	json_object_put(ev);
	return rc;
}

/* RT's name of our token's user: the Creator of an RT ticket we made. */
static int rt_learn_self(struct relay_rt *rt, int64_t rt_id, char *why, size_t whylen)
{
	struct rt_answer ans;
	char path[64], what[160];
	int rc = -1;

	snprintf(path, sizeof(path), "/ticket/%lld", (long long)rt_id);
	if (rt_call_json(rt, "GET", path, NULL, &ans, why, whylen) == 0) {
		if (rt_json_creator((const char *)buf_ptr(&ans.body), buf_len(&ans.body), rt->self, sizeof(rt->self),
				    what, sizeof(what)) == 0)
			rc = 0;
		else
			snprintf(why, whylen, "RT's answer to GET %s: %s", path, what);
	}
	buf_free(&ans.body);
	return rc;
}

/* One comment made a note, and the link's mark moved past it, in one transaction. */
static int rt_import(struct relay_rt *rt, int64_t ticket, int64_t rt_id, const struct rt_txn *x, char *why,
		     size_t whylen)
{
	struct rt_answer ans;
	char path[96], what[160], actor[RELAY_WEBHOOK_NAME_MAX + 8];
	char *content = malloc(RT_TEXT_MAX + 1);
	struct buf note;
	int rc = -1;

	if (content == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	buf_init(&note, RT_TEXT_MAX * 2 + 512);
	snprintf(path, sizeof(path), "/transaction/%lld/attachments?fields=ContentType,Filename,Content",
		 (long long)x->id);
	if (rt_call_json(rt, "GET", path, NULL, &ans, why, whylen) != 0)
		goto out;
	if (rt_json_text((const char *)buf_ptr(&ans.body), buf_len(&ans.body), content, RT_TEXT_MAX + 1, what,
			 sizeof(what)) != 0) {
		snprintf(why, whylen, "RT's answer to GET %s: %s", path, what);
		goto out;
	}
	buf_printf(&note, "RT #%lld, comment by %s: ", (long long)rt_id, x->creator);
	buf_put(&note, content, strlen(content)); /* valid UTF-8 already (rt_json_text) */
	buf_put_u8(&note, 0);
	snprintf(actor, sizeof(actor), RT_ACTOR_PREFIX "%s", rt->r.name);
	if (store_begin(rt->st) != STORE_OK) {
		snprintf(why, whylen, "the store is busy");
		goto out;
	}
	if (relay_audit_event(rt->st, ticket, time(NULL), EVENT_NOTE, actor, "relay", NULL,
			      (const char *)buf_ptr(&note)) != STORE_OK ||
	    store_rt_link_seen(rt->st, rt->r.name, ticket, x->id) != STORE_OK || store_commit(rt->st) != STORE_OK) {
		store_rollback(rt->st);
		snprintf(why, whylen, "the store did not take RT's comment %lld", (long long)x->id);
		goto out;
	}
	rc = 0;
out:
	buf_free(&ans.body);
	buf_free(&note);
	free(content);
	return rc;
}

struct rt_links_list {
	struct store_rt_link *l;
	size_t n;
};

static int rt_links_collect(const struct store_rt_link *l, void *ctx)
{
	struct rt_links_list *list = ctx;

	list->l[list->n] = *l;
	list->l[list->n].receiver = NULL;
	list->n++;
	return list->n == RT_POLL_TICKETS;
}

/* One linked ticket's new comments; 0, or -1 with why (the rest waits for the next round). */
static int rt_poll_ticket(struct relay_rt *rt, const struct store_rt_link *l, char *why, size_t whylen)
{
	struct rt_txn *txns = calloc(RT_PAGE_MAX, sizeof(*txns));
	struct buf body;
	struct emit j;
	struct rt_answer ans;
	char obj[24], after[24], what[160];
	size_t count = 0;
	int64_t mark = l->seen_txn;
	int rc = -1;

	if (txns == NULL)
		return -1;
	buf_init(&body, 4096);
	snprintf(obj, sizeof(obj), "%lld", (long long)l->rt_id);
	/* Our own comments are transactions too: at least the ticket's Create is older than anything to read. */
	snprintf(after, sizeof(after), "%lld", (long long)mark);
	emit_init(&j, &body);
	emit_array_begin(&j);
	emit_object_begin(&j);
	emit_kstring(&j, "field", "ObjectType");
	emit_kstring(&j, "value", "RT::Ticket");
	emit_object_end(&j);
	emit_object_begin(&j);
	emit_kstring(&j, "field", "ObjectId");
	emit_kstring(&j, "value", obj);
	emit_object_end(&j);
	emit_object_begin(&j);
	emit_kstring(&j, "field", "Type");
	emit_kstring(&j, "value", "Comment");
	emit_object_end(&j);
	emit_object_begin(&j);
	emit_kstring(&j, "field", "id");
	emit_kstring(&j, "operator", ">");
	emit_kstring(&j, "value", after);
	emit_object_end(&j);
	emit_array_end(&j);
	if (rt_call_json(rt, "POST", "/transactions?fields=Type,Creator&orderby=id&order=ASC&per_page=50", &body, &ans,
			 why, whylen) != 0)
		goto out;
	if (rt_json_txns((const char *)buf_ptr(&ans.body), buf_len(&ans.body), txns, RT_PAGE_MAX, &count, what,
			 sizeof(what)) != 0) {
		snprintf(why, whylen, "RT's answer to POST /transactions: %s", what);
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		if (txns[i].id <= mark || strcmp(txns[i].type, "Comment") != 0)
			continue;
		if (strcmp(txns[i].creator, rt->self) == 0) {
			/* Ours: only the mark moves (no note, no transaction of the chain). */
			if (store_rt_link_seen(rt->st, rt->r.name, l->ticket, txns[i].id) != STORE_OK) {
				snprintf(why, whylen, "the store did not keep the RT poll's mark");
				goto out;
			}
			continue;
		}
		if (rt_import(rt, l->ticket, l->rt_id, &txns[i], why, whylen) != 0)
			goto out;
		log_info("webhook %s: RT ticket %lld: comment %lld by %s is a note on ticket %lld", rt->r.name,
			 (long long)l->rt_id, (long long)txns[i].id, txns[i].creator, (long long)l->ticket);
	}
	rc = 0;
out:
	buf_free(&ans.body);
	buf_free(&body);
	free(txns);
	return rc;
}

static void rt_poll(struct relay_rt *rt)
{
	struct rt_links_list list = { .l = calloc(RT_POLL_TICKETS, sizeof(struct store_rt_link)) };
	char why[RT_WHY_MAX] = "";

	if (list.l == NULL)
		return;
	if (store_rt_links(rt->st, rt->r.name, 0, 1, RT_POLL_TICKETS, rt_links_collect, &list) != STORE_OK) {
		snprintf(why, sizeof(why), "the store's RT links could not be read");
		goto out;
	}
	if (list.n > 0 && rt->self[0] == '\0' && rt_learn_self(rt, list.l[0].rt_id, why, sizeof(why)) != 0)
		goto out;
	for (size_t i = 0; i < list.n && !atomic_load(&rt->stopping); i++)
		if (rt_poll_ticket(rt, &list.l[i], why, sizeof(why)) != 0)
			break;
out:
	/* An RT down is said by the outbound side (webhooks status) already: here a line when it starts and ends. */
	if (why[0] != '\0' && !rt->poll_failing)
		log_warn("webhook %s: polling RT for comments: %s (said again when it works)", rt->r.name, why);
	else if (why[0] == '\0' && rt->poll_failing)
		log_info("webhook %s: polling RT for comments works again", rt->r.name);
	rt->poll_failing = why[0] != '\0';
	free(list.l);
}

struct rt_rows {
	struct store_outbox_row row[RT_ROWS_PER_LOOK];
	size_t n;
};

static int rt_rows_collect(const struct store_outbox_row *r, void *ctx)
{
	struct rt_rows *rows = ctx;

	rows->row[rows->n] = *r;
	rows->row[rows->n].receiver = NULL;
	rows->n++;
	return rows->n == RT_ROWS_PER_LOOK;
}

static void *rt_main(void *arg)
{
	struct relay_rt *rt = arg;

	while (!atomic_load(&rt->stopping)) {
		struct rt_rows rows = { .n = 0 };
		int64_t now = time(NULL);

		if (store_outbox_due(rt->st, rt->r.name, rt->relay_id, now, RT_ROWS_PER_LOOK, rt_rows_collect, &rows) !=
		    STORE_OK)
			log_warn("webhook %s: cannot read the outbox", rt->r.name);
		for (size_t i = 0; i < rows.n && !atomic_load(&rt->stopping); i++) {
			char why[RT_WHY_MAX] = "";
			const int64_t at = time(NULL);

			/* Claimed one at a time, as it is sent: RT_CALLS_PER_ROW calls at most, each within timeout. */
			if (store_outbox_claim(rt->st, rt->r.name, rows.row[i].seq, rt->relay_id, at,
					       at + RT_CALLS_PER_ROW * (int64_t)rt->r.timeout + RELAY_WEBHOOK_CLAIM_MARGIN) !=
			    STORE_OK)
				continue;
			if (rt_deliver(rt, &rows.row[i], why, sizeof(why)) == 0)
				relay_webhook_row_delivered(rt->st, &rt->r, rows.row[i].seq);
			else if (!atomic_load(&rt->stopping))
				relay_webhook_row_failed(rt->st, &rt->r, rows.row[i].seq, rows.row[i].attempts, why);
		}
		/*
		 * Deliveries first: RT answers one call at a time in several
		 * hundred ms, so a poll between every two would halve the pace
		 * of a backlog. The poll waits while rows are due, but no
		 * longer than a second interval.
		 */
		if (!atomic_load(&rt->stopping) &&
		    ((rows.n == 0 && now >= rt->next_poll) || now >= rt->next_poll + (int64_t)rt->r.poll_interval)) {
			rt_poll(rt);
			rt->next_poll = time(NULL) + (int64_t)rt->r.poll_interval;
		}
		if (rows.n == RT_ROWS_PER_LOOK)
			continue;
		/* A second between looks at the outbox, as webhook.c's thread; stop wakes it at once. */
		pthread_mutex_lock(&rt->lock);
		if (!atomic_load(&rt->stopping)) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&rt->wake, &rt->lock, &until);
		}
		pthread_mutex_unlock(&rt->lock);
	}
	return NULL;
}

int relay_rt_start(const struct relay_webhook_conf *r, const struct store *st, const char *relay_id,
		   struct relay_rt **out, char *err, size_t errlen)
{
	struct relay_rt *rt = calloc(1, sizeof(*rt));
	sigset_t all, old;
	int e;

	*out = NULL;
	if (rt == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rt->r = *r;
	snprintf(rt->relay_id, sizeof(rt->relay_id), "%s", relay_id);
	pthread_mutex_init(&rt->lock, NULL);
	pthread_cond_init(&rt->wake, NULL);
	if ((rt->easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "webhook %s: libcurl does not start", r->name);
		goto fail;
	}
	if (store_open_again(st, &rt->st, err, errlen) != STORE_OK)
		goto fail;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&rt->thread, NULL, rt_main, rt);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		snprintf(err, errlen, "webhook %s: cannot start a thread: %s", r->name, strerror(e));
		goto fail;
	}
	log_info("webhook %s: Request Tracker at %s (queues %s, %s, %s; events: %s; polls every %lu s)", r->name,
		 r->url, r->rt_queue[0], r->rt_queue[1], r->rt_queue[2], r->kinds, r->poll_interval);
	*out = rt;
	return 0;
fail:
	store_close(rt->st);
	if (rt->easy != NULL)
		curl_easy_cleanup(rt->easy);
	pthread_cond_destroy(&rt->wake);
	pthread_mutex_destroy(&rt->lock);
	OPENSSL_cleanse(&rt->r, sizeof(rt->r));
	free(rt);
	return -1;
}

void relay_rt_stop(struct relay_rt *rt)
{
	if (rt == NULL)
		return;
	pthread_mutex_lock(&rt->lock);
	atomic_store(&rt->stopping, true);
	pthread_cond_signal(&rt->wake);
	pthread_mutex_unlock(&rt->lock);
	pthread_join(rt->thread, NULL);
	curl_easy_cleanup(rt->easy);
	store_close(rt->st);
	pthread_cond_destroy(&rt->wake);
	pthread_mutex_destroy(&rt->lock);
	OPENSSL_cleanse(&rt->r, sizeof(rt->r));
	free(rt);
}
