/*
 * webhook.c: the delivery thread and the operator's commands (webhook.h).
 *
 * One thread drives every delivery through libcurl's multi interface, so
 * a receiver that hangs holds only its own transfers: each try is bounded
 * by the receiver's timeout, and the others' go on meanwhile. The thread
 * has its own store connection, never holds a transaction while a request
 * is under way, and touches nothing of struct relay after start: the
 * loop that splices live sessions never waits for it (the price is that
 * its short writes may make the loop's wait a moment for SQLite's lock).
 *
 * Order: the store gives only the oldest pending row of each (receiver,
 * ticket), so a ticket's event N+1 leaves after N was answered 2xx;
 * another ticket, or another receiver, is not held back by it. A row
 * leaves the outbox only after a 2xx answer: a crash or a lost answer
 * means a second delivery with the same Handoff-Event-Id (at least once).
 *
 * The thread looks at the outbox once a second, and at once after a
 * transfer ends: an event reaches its receivers within about a second of
 * being recorded, and `webhooks retry` run by the operator (another
 * process) is seen as soon.
 *
 * Failures are audited without flooding the chain: one webhook-failing
 * event when a receiver that worked fails, one webhook-recovered once none
 * of its pending events waits on a failed try (store.h), both on ticket 0:
 * one event it refuses for good, while others go through, is one pair.
 */
#include "webhook.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "event.h"
#include "hooksig.h"
#include "log.h"
#include "relay.h"
#include "rt.h"
#include "timefmt.h"
#include "version.h"

/* Transfers under way at once, in all and per receiver. */
#define WEBHOOK_INFLIGHT_MAX 32
#define WEBHOOK_INFLIGHT_PER_RECEIVER 4
/* Bytes of a receiver's answer kept to explain a refusal. */
#define WEBHOOK_ANSWER_KEEP 160
#define WEBHOOK_ERROR_MAX 400

struct webhook_xfer {
	CURL *easy;
	const struct relay_webhook_conf *r;
	int64_t seq, ticket, attempts;
	struct buf body;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	char answer[WEBHOOK_ANSWER_KEEP + 1];
	size_t answer_len;
	struct webhook_xfer *next;
};

struct relay_webhooks {
	pthread_t thread;
	atomic_bool stopping;
	CURLM *multi;
	struct store *st;
	struct relay_webhooks_conf conf;  /* a copy: the thread reads nothing of struct relay */
	char relay_id[40];
	struct webhook_xfer *xfers;
	size_t nxfers;
	struct relay_rt *rt[RELAY_WEBHOOKS_MAX]; /* the RT receivers' threads (rt.c), by index in conf */
};

/* Printable ASCII only: the text goes to the store, the chain and an operator's terminal. */
static void webhook_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static size_t webhook_answer(char *p, size_t size, size_t n, void *ctx)
{
	struct webhook_xfer *x = ctx;
	size_t len = size * n, room = WEBHOOK_ANSWER_KEEP - x->answer_len;

	if (room > len)
		room = len;
	memcpy(x->answer + x->answer_len, p, room);
	x->answer_len += room;
	x->answer[x->answer_len] = '\0';
	return len;
}

static struct relay_webhook_conf *webhook_receiver(struct relay_webhooks *w, const char *name)
{
	for (size_t i = 0; i < w->conf.n; i++)
		if (strcmp(w->conf.r[i].name, name) == 0)
			return &w->conf.r[i];
	return NULL;
}

static void webhook_xfer_free(struct webhook_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	buf_free(&x->body);
	free(x);
}

/* The body; one that cannot be built with its attachments inline is built with them as references. */
static int webhook_build(struct relay_webhooks *w, struct webhook_xfer *x)
{
	int rc;

	buf_init(&x->body, RELAY_WEBHOOK_BODY_MAX);
	rc = relay_webhook_body(w->st, x->r, w->relay_id, x->seq, x->ticket, &x->body);
	if (rc == STORE_ERR && x->r->inline_max > 0) {
		struct relay_webhook_conf *lean = malloc(sizeof(*lean));

		if (lean == NULL)
			return STORE_ERR;
		*lean = *x->r;
		lean->inline_max = 0;
		buf_reset(&x->body);
		rc = relay_webhook_body(w->st, lean, w->relay_id, x->seq, x->ticket, &x->body);
		OPENSSL_cleanse(lean, sizeof(*lean));
		free(lean);
	}
	return rc;
}

static int webhook_header(struct webhook_xfer *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int webhook_header(struct webhook_xfer *x, const char *fmt, ...)
{
	char line[256];
	struct curl_slist *grown;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) || (grown = curl_slist_append(x->headers, line)) == NULL)
		return -1;
	x->headers = grown;
	return 0;
}

static void webhook_failed(struct relay_webhooks *w, const struct webhook_xfer *x, const char *why)
{
	relay_webhook_row_failed(w->st, x->r, x->seq, x->attempts, why);
}

static int webhook_start(struct relay_webhooks *w, const struct store_outbox_row *row)
{
	struct relay_webhook_conf *r = webhook_receiver(w, row->receiver);
	struct webhook_xfer *x;
	char sig[HOOKSIG_SIGNATURE_LEN];
	int64_t now = time(NULL);
	int rc;

	if (r == NULL)
		return 0;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -1;
	x->r = r;
	x->seq = row->seq;
	x->ticket = row->ticket;
	x->attempts = row->attempts;
	rc = webhook_build(w, x);
	if (rc != STORE_OK) {
		/* Not the receiver's fault, but it holds the ticket all the same: said where the operator looks. */
		webhook_failed(w, x, rc == STORE_NOT_FOUND ? "the event is missing from the store"
							   : "the body could not be built from the store");
		webhook_xfer_free(x);
		return 0;
	}
	if (hooksig_sign(r->secret, r->secret_len, now, buf_ptr(&x->body), buf_len(&x->body), sig) != 0 ||
	    webhook_header(x, "Content-Type: application/json") != 0 ||
	    webhook_header(x, "Expect:") != 0 ||
	    webhook_header(x, "Handoff-Schema: %d", RELAY_WEBHOOK_SCHEMA) != 0 ||
	    webhook_header(x, "Handoff-Event-Id: %s:%lld", w->relay_id, (long long)row->seq) != 0 ||
	    webhook_header(x, "Handoff-Delivery-Attempt: %lld", (long long)row->attempts + 1) != 0 ||
	    webhook_header(x, "Handoff-Signature: %s", sig) != 0 || (x->easy = curl_easy_init()) == NULL)
		goto fail;
	curl_easy_setopt(x->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (r->ca_file[0] != '\0')
		curl_easy_setopt(x->easy, CURLOPT_CAINFO, r->ca_file);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT, (long)r->timeout);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT, (long)(r->timeout < 10 ? r->timeout : 10));
	curl_easy_setopt(x->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, (const char *)buf_ptr(&x->body));
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)buf_len(&x->body));
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "handoff-relay/" HANDOFF_VERSION);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, webhook_answer);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(w->multi, x->easy) != CURLM_OK)
		goto fail;
	x->next = w->xfers;
	w->xfers = x;
	w->nxfers++;
	return 0;
fail:
	webhook_xfer_free(x);
	return -1;
}

/* The failure in words an operator acts on: which layer refused, and curl's own explanation. */
static void webhook_explain(const struct webhook_xfer *x, CURLcode res, long status, char *out, size_t outlen)
{
	const char *e = x->errbuf[0] ? x->errbuf : curl_easy_strerror(res);

	switch (res) {
	case CURLE_OK:
		snprintf(out, outlen, "HTTP %ld from the receiver%s%.*s", status, x->answer_len ? ": " : "",
			 (int)x->answer_len, x->answer);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out, outlen, "DNS failure: %s", e);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(out, outlen, "cannot connect: %s", e);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(out, outlen, "timed out (timeout %lu s): %s", x->r->timeout, e);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(out, outlen, "TLS certificate refused (wrong name, or not signed by the trusted CA): %s", e);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(out, outlen, "TLS: cannot read the CA file (webhook ca_file): %s", e);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(out, outlen, "TLS handshake failed: %s", e);
		break;
	default:
		snprintf(out, outlen, "%s: %s", curl_easy_strerror(res), e);
		break;
	}
	webhook_clean(out);
}

static void webhook_finish(struct relay_webhooks *w, struct webhook_xfer *x, CURLcode res)
{
	long status = 0;
	char why[WEBHOOK_ERROR_MAX];

	if (res == CURLE_OK)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK || status < 200 || status > 299) {
		webhook_explain(x, res, status, why, sizeof(why));
		webhook_failed(w, x, why);
		return;
	}
	relay_webhook_row_delivered(w->st, x->r, x->seq);
}

static bool webhook_in_flight(const struct relay_webhooks *w, const char *receiver, int64_t seq, size_t *of_receiver)
{
	bool found = false;

	*of_receiver = 0;
	for (const struct webhook_xfer *x = w->xfers; x != NULL; x = x->next) {
		if (strcmp(x->r->name, receiver) != 0)
			continue;
		(*of_receiver)++;
		found = found || x->seq == seq;
	}
	return found;
}

/*
 * The row is this relay's to send for its transfer's time and a margin
 * (store_outbox_claim): another relay of the store reads it as claimed
 * and sends it only if this one died with it. false: another relay has it.
 */
static bool webhook_claim(struct relay_webhooks *w, const struct store_outbox_row *row)
{
	const struct relay_webhook_conf *r = webhook_receiver(w, row->receiver);
	const int64_t now = time(NULL);
	int rc;

	if (r == NULL)
		return false;
	rc = store_outbox_claim(w->st, row->receiver, row->seq, w->relay_id, now,
				now + (int64_t)r->timeout + RELAY_WEBHOOK_CLAIM_MARGIN);
	if (rc == STORE_ERR)
		log_warn("webhook %s: event %lld: cannot claim it in the store", row->receiver, (long long)row->seq);
	return rc == STORE_OK;
}

static int webhook_due(const struct store_outbox_row *row, void *ctx)
{
	struct relay_webhooks *w = ctx;
	size_t mine;

	if (w->nxfers >= WEBHOOK_INFLIGHT_MAX)
		return 1;
	if (webhook_in_flight(w, row->receiver, row->seq, &mine) || mine >= WEBHOOK_INFLIGHT_PER_RECEIVER)
		return 0;
	if (!webhook_claim(w, row))
		return 0;
	if (webhook_start(w, row) != 0)
		log_warn("webhook %s: event %lld: cannot start a transfer", row->receiver, (long long)row->seq);
	return 0;
}

static int64_t webhook_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *webhook_main(void *arg)
{
	struct relay_webhooks *w = arg;
	int64_t last_look = 0;
	bool ended = true;

	while (!atomic_load(&w->stopping)) {
		int running = 0, left = 0;
		CURLMsg *msg;

		if (ended || webhook_ms() - last_look >= 1000) {
			last_look = webhook_ms();
			ended = false;
			/* Each JSON receiver's own rows: an RT receiver's (its own thread's) never fill the limit. */
			for (size_t i = 0; i < w->conf.n; i++)
				if (w->conf.r[i].kind == RELAY_WEBHOOK_JSON &&
				    store_outbox_due(w->st, w->conf.r[i].name, w->relay_id, time(NULL), 2 * WEBHOOK_INFLIGHT_MAX,
						     webhook_due, w) != STORE_OK)
					log_warn("webhooks: cannot read the outbox");
		}
		curl_multi_perform(w->multi, &running);
		while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
			struct webhook_xfer *x = NULL, **pp;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			webhook_finish(w, x, msg->data.result);
			curl_multi_remove_handle(w->multi, x->easy);
			for (pp = &w->xfers; *pp != NULL; pp = &(*pp)->next)
				if (*pp == x) {
					*pp = x->next;
					break;
				}
			w->nxfers--;
			webhook_xfer_free(x);
			ended = true;
		}
		if (!ended)
			curl_multi_poll(w->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

/* This relay's name in event ids: the audit key's id, short, so that two relays' ids never meet. */
static void webhook_relay_id(struct relay *relay, char *out, size_t outlen)
{
	char fp[CHAIN_FP_MAX];
	size_t o = 0;

	relay_audit_fingerprint(relay, fp, sizeof(fp));
	o = (size_t)snprintf(out, outlen, "handoff-");
	/* The fingerprint's base64 with its '+' and '/' left out: an id for headers and file names. */
	for (const char *p = strchr(fp, ':') ? strchr(fp, ':') + 1 : fp; *p != '\0' && o + 1 < outlen && o < 24; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			out[o++] = *p;
	out[o] = '\0';
}

int relay_webhooks_start(struct relay *relay, char *err, size_t errlen)
{
	const struct relay_webhooks_conf *conf = &relay->home->webhooks;
	struct store_outbox_receiver subs[RELAY_WEBHOOKS_MAX];
	struct relay_webhooks *w;
	sigset_t all, old;
	int e;

	for (size_t i = 0; i < conf->n; i++)
		subs[i] = (struct store_outbox_receiver){ .name = conf->r[i].name, .kinds = conf->r[i].kinds };
	/* Receivers gone from relay.conf stop getting rows now, even with no thread to deliver. */
	if (store_outbox_receivers_set(relay->store, subs, conf->n) != STORE_OK) {
		snprintf(err, errlen, "webhooks: cannot record the receivers in the store");
		return -1;
	}
	if (conf->n == 0)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "webhooks: libcurl does not start");
		return -1;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	w->conf = *conf;
	webhook_relay_id(relay, w->relay_id, sizeof(w->relay_id));
	if ((w->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "webhooks: libcurl does not start");
		goto fail;
	}
	if (store_open_again(relay->store, &w->st, err, errlen) != STORE_OK)
		goto fail;
	for (size_t i = 0; i < conf->n; i++)
		if (conf->r[i].kind == RELAY_WEBHOOK_RT &&
		    relay_rt_start(&conf->r[i], relay->store, w->relay_id, &w->rt[i], err, errlen) != 0)
			goto fail;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&w->thread, NULL, webhook_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		snprintf(err, errlen, "webhooks: cannot start a thread: %s", strerror(e));
		goto fail;
	}
	for (size_t i = 0; i < conf->n; i++)
		if (conf->r[i].kind == RELAY_WEBHOOK_JSON)
			log_info("webhook %s: %s (events: %s)", conf->r[i].name, conf->r[i].url, conf->r[i].kinds);
	relay->webhooks = w;
	return 0;
fail:
	for (size_t i = 0; i < conf->n; i++)
		relay_rt_stop(w->rt[i]);
	store_close(w->st);
	if (w->multi != NULL)
		curl_multi_cleanup(w->multi);
	relay_webhook_conf_clear(&w->conf);
	free(w);
	return -1;
}

void relay_webhooks_stop(struct relay *relay)
{
	struct relay_webhooks *w = relay->webhooks;

	if (w == NULL)
		return;
	for (size_t i = 0; i < w->conf.n; i++)
		relay_rt_stop(w->rt[i]);
	atomic_store(&w->stopping, true);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	/* Tries under way are dropped: their rows are still in the outbox, for the next start. */
	while (w->xfers != NULL) {
		struct webhook_xfer *x = w->xfers;

		w->xfers = x->next;
		curl_multi_remove_handle(w->multi, x->easy);
		webhook_xfer_free(x);
	}
	curl_multi_cleanup(w->multi);
	store_close(w->st);
	relay_webhook_conf_clear(&w->conf);
	free(w);
	relay->webhooks = NULL;
	curl_global_cleanup();
}

/* `webhooks status` */
struct webhook_status {
	const struct relay_webhooks_conf *conf;
	int64_t now;
	FILE *out;
	int count;
};

static void webhook_age(int64_t secs, char *out, size_t outlen)
{
	if (secs < 120)
		snprintf(out, outlen, "%lld s", (long long)secs);
	else if (secs < 7200)
		snprintf(out, outlen, "%lld min", (long long)(secs / 60));
	else if (secs < 172800)
		snprintf(out, outlen, "%lld h", (long long)(secs / 3600));
	else
		snprintf(out, outlen, "%lld days", (long long)(secs / 86400));
}

static int webhook_status_row(const struct store_outbox_status *s, void *ctx)
{
	struct webhook_status *st = ctx;
	const struct relay_webhook_conf *r = NULL;
	char age[32], when[32];
	char err[WEBHOOK_ERROR_MAX];

	for (size_t i = 0; i < st->conf->n; i++)
		if (strcmp(st->conf->r[i].name, s->name) == 0)
			r = &st->conf->r[i];
	st->count++;
	fprintf(st->out, "%s: %s%s\n", s->name, r && r->kind == RELAY_WEBHOOK_RT ? "Request Tracker at " : "",
		r ? r->url : "(no longer in relay.conf: nothing new is queued for it)");
	fprintf(st->out, "  delivered %lld, pending %lld, failing %lld\n", (long long)s->delivered,
		(long long)s->pending, (long long)s->failing);
	if (s->pending > 0) {
		webhook_age(st->now - s->oldest_queued_at, age, sizeof(age));
		fprintf(st->out, "  oldest pending: %s old\n", age);
	}
	if (s->last_ok_at > 0) {
		timefmt_utc(s->last_ok_at, TIMEFMT_DATETIME, when, sizeof(when));
		fprintf(st->out, "  last delivered: %s\n", when);
	}
	if (s->failing_since > 0) {
		snprintf(err, sizeof(err), "%s", s->last_error);
		webhook_clean(err);
		webhook_age(st->now - s->failing_since, age, sizeof(age));
		fprintf(st->out, "  FAILING for %s: %s\n", age, err);
	} else {
		fprintf(st->out, "  state: %s\n", s->pending > 0 ? "delivering" : "ok");
	}
	return 0;
}

int relay_webhooks_status(struct store *st, const struct relay_webhooks_conf *conf, int64_t now, FILE *out)
{
	struct webhook_status s = { .conf = conf, .now = now, .out = out };

	if (store_outbox_status(st, webhook_status_row, &s) != STORE_OK)
		return -1;
	/* Configured but never started by serve: the store has no row for them yet. */
	if (s.count == 0 && conf->n == 0)
		fprintf(out, "no webhook receivers (see webhook_url in docs/operator.md)\n");
	else if (s.count == 0)
		fprintf(out, "%zu receiver(s) in relay.conf; serve has not started since: nothing queued yet\n", conf->n);
	return 0;
}

int relay_webhooks_retry(struct store *st, const char *receiver, int64_t *count)
{
	return store_outbox_retry(st, receiver, count);
}
