/*
 * logs_request.c: see logs_request.h.
 *
 * A job is written by its worker until `finished` is set (release) and
 * read by the loop only after pthread_join, which orders every write the
 * worker made before the loop's reads; `finished` itself only tells the
 * loop that the join will not wait. No lock is needed, and none is taken.
 */
#include "logs_request.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "utf8.h"

struct helper_logs_job {
	pthread_t thread;
	struct wake cancel;         /* signalled by the loop: stop now */
	struct wake *done;          /* the list's: signalled by the worker when it returns */
	const struct helper_logs_plan *plan;    /* the request's, which outlives the job */
	const struct helper_logs_config *cfg;
	struct helper_logs_bundle bundle;       /* the worker's until joined */
	int rc;
	atomic_bool finished;
};

static void *helper_logs_job_run(void *arg)
{
	struct helper_logs_job *j = arg;

	j->rc = helper_logs_collect_until(j->plan, j->cfg, j->cancel.fd, &j->bundle);
	atomic_store_explicit(&j->finished, true, memory_order_release);
	wake_signal(j->done);
	return NULL;
}

void helper_logs_request_cancel(struct helper_logs_request *r)
{
	struct helper_logs_job *j = r->job;

	if (j == NULL)
		return;
	r->job = NULL;
	wake_signal(&j->cancel);
	pthread_join(j->thread, NULL);
	helper_logs_bundle_free(&j->bundle);
	wake_close(&j->cancel);
	free(j);
}

static void helper_logs_request_free(struct helper_logs_request *r)
{
	if (r == NULL)
		return;
	helper_logs_request_cancel(r);
	for (size_t i = 0; i < r->n_items; i++)
		free(r->items[i]);
	free(r->items);
	free(r->plan);
	free(r->name);
	free(r->tier);
	helper_logs_bundle_free(&r->bundle);
	free(r);
}

/* The sentences the customer reads; built once, while the plan is fresh. */
static int helper_logs_request_describe(struct helper_logs_request *r)
{
	char line[HELPER_LOGS_DESC_MAX];
	size_t n = helper_logs_items(r->plan);

	if (n == 0)
		return 0;
	r->items = calloc(n, sizeof(*r->items));
	if (r->items == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		helper_logs_describe(r->plan, i, line, sizeof(line));
		r->items[i] = strdup(line);
		if (r->items[i] == NULL)
			return -1;
		r->n_items = i + 1;
	}
	return 0;
}

struct helper_logs_request *helper_logs_request_add(struct helper_logs_requests *rs,
						    const struct ctl_record *ask)
{
	struct helper_logs_request *r, **tail;
	size_t live = 0;

	for (tail = &rs->head; *tail != NULL; tail = &(*tail)->next)
		if ((*tail)->state != HELPER_LOGS_REQUEST_FINISHED)
			live++;
	if (live >= HELPER_LOGS_REQUESTS_MAX)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	buf_init(&r->bundle.text, 0);
	r->state = HELPER_LOGS_REQUEST_ASKED;
	r->id = ask->viewer_id;
	r->ticket = ask->ticket;
	r->name = strdup(ask->name != NULL ? ask->name : "");
	r->tier = strdup(ask->tier != NULL ? ask->tier : "");
	r->plan = malloc(sizeof(*r->plan));
	if (r->name == NULL || r->tier == NULL || r->plan == NULL)
		goto fail;
	helper_logs_parse(ask->text, r->plan);
	if (helper_logs_request_describe(r) != 0)
		goto fail;
	*tail = r;
	return r;
fail:
	helper_logs_request_free(r);
	return NULL;
}

struct helper_logs_request *helper_logs_request_find(struct helper_logs_requests *rs, uint32_t id)
{
	for (struct helper_logs_request *r = rs->head; r != NULL; r = r->next)
		if (r->id == id && r->state != HELPER_LOGS_REQUEST_FINISHED)
			return r;
	return NULL;
}

struct helper_logs_request *helper_logs_request_first_asked(struct helper_logs_requests *rs)
{
	for (struct helper_logs_request *r = rs->head; r != NULL; r = r->next)
		if (r->state == HELPER_LOGS_REQUEST_ASKED)
			return r;
	return NULL;
}

struct helper_logs_request *helper_logs_request_first_approved(struct helper_logs_requests *rs)
{
	for (struct helper_logs_request *r = rs->head; r != NULL; r = r->next)
		if (r->state == HELPER_LOGS_REQUEST_APPROVED || r->state == HELPER_LOGS_REQUEST_SENDING)
			return r;
	return NULL;
}

struct helper_ui_logs_request helper_logs_request_ui(const struct helper_logs_request *r)
{
	struct helper_ui_logs_request u = {
		.name = r->name,
		.tier = r->tier,
		.ticket = r->ticket,
		.items = (const char *const *)r->items,
		.n_items = r->n_items,
	};

	return u;
}

int helper_logs_request_send_refusal(struct helper_control *c, uint32_t id)
{
	char empty[] = "";
	struct ctl_record rec = {
		.type = CTL_LOGS_DATA,
		.viewer_id = id,
		.flags = CTL_LOGS_REFUSED,
		.text = empty,
	};

	return helper_control_send(c, &rec);
}

int helper_logs_request_refuse(struct helper_logs_request *r, struct helper_control *c)
{
	/* Now, not at the sweep: a refused collection must not go on reading the machine. */
	helper_logs_request_cancel(r);
	r->state = HELPER_LOGS_REQUEST_FINISHED;
	return helper_logs_request_send_refusal(c, r->id);
}

/* r's bundle is now b (moved: b is left empty), collected with result rc. */
static void helper_logs_request_take(struct helper_logs_request *r, struct helper_logs_bundle *b, int rc)
{
	helper_logs_bundle_free(&r->bundle);
	r->bundle = *b;
	memset(b, 0, sizeof(*b));
	r->total = buf_len(&r->bundle.text);
	r->collect_rc = rc;
	r->collected = true;
}

int helper_logs_requests_open(struct helper_logs_requests *rs)
{
	return wake_open(&rs->done);
}

int helper_logs_requests_fd(const struct helper_logs_requests *rs)
{
	return rs->done.fd;
}

void helper_logs_requests_close(struct helper_logs_requests *rs)
{
	helper_logs_request_free_all(rs);
	wake_close(&rs->done);
}

bool helper_logs_request_collecting(const struct helper_logs_request *r)
{
	return r->job != NULL;
}

int helper_logs_request_start(struct helper_logs_requests *rs, struct helper_logs_request *r)
{
	struct helper_logs_job *j;
	struct helper_logs_bundle b;
	int rc;

	if (r->collected || r->job != NULL)
		return 0;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		goto inline_collect;
	j->done = &rs->done;
	j->plan = r->plan;
	j->cfg = rs->cfg;
	atomic_init(&j->finished, false);
	if (wake_open(&j->cancel) != 0) {
		free(j);
		goto inline_collect;
	}
	if (pthread_create(&j->thread, NULL, helper_logs_job_run, j) != 0) {
		wake_close(&j->cancel);
		free(j);
		goto inline_collect;
	}
	r->job = j;
	return 0;
inline_collect:
	/* Bounded (logs.h): a stalled loop for a few seconds beats a request never answered. */
	rc = helper_logs_collect_until(r->plan, rs->cfg, -1, &b);
	helper_logs_request_take(r, &b, rc);
	return -1;
}

size_t helper_logs_requests_reap(struct helper_logs_requests *rs)
{
	size_t n = 0;

	/* Before looking: a worker that finishes after the look signals again, and the loop wakes again. */
	wake_drain(&rs->done);
	for (struct helper_logs_request *r = rs->head; r != NULL; r = r->next) {
		struct helper_logs_job *j = r->job;

		if (j == NULL || !atomic_load_explicit(&j->finished, memory_order_acquire))
			continue;
		r->job = NULL;
		pthread_join(j->thread, NULL);
		helper_logs_request_take(r, &j->bundle, j->rc);
		wake_close(&j->cancel);
		free(j);
		n++;
	}
	return n;
}

void helper_logs_request_preview(const struct helper_logs_request *r, const char **text, size_t *len)
{
	*text = (const char *)buf_ptr(&r->bundle.text);
	*len = buf_len(&r->bundle.text);
}

int helper_logs_request_collect(struct helper_logs_request *r)
{
	if (!r->collected)
		return -1;
	r->state = HELPER_LOGS_REQUEST_SENDING;
	return 0;
}

int helper_logs_request_feed(struct helper_logs_request *r, struct helper_control *c)
{
	char chunk[CTL_TEXT_MAX + 1];

	while (r->state == HELPER_LOGS_REQUEST_SENDING && helper_control_pending(c) < HELPER_CONTROL_LOW_WATER) {
		size_t left = buf_len(&r->bundle.text);
		size_t n = utf8_cut(buf_ptr(&r->bundle.text), left, CTL_TEXT_MAX);
		struct ctl_record rec = {
			.type = CTL_LOGS_DATA,
			.viewer_id = r->id,
			.flags = n == left ? CTL_LOGS_DONE : CTL_LOGS_MORE,
			.text = chunk,
		};

		/* Cannot happen with valid UTF-8; it would loop forever if it did. */
		if (n == 0 && left > 0)
			return -1;
		memcpy(chunk, buf_ptr(&r->bundle.text), n);
		chunk[n] = '\0';
		if (helper_control_send(c, &rec) != 0)
			return -1;
		buf_consume(&r->bundle.text, n);
		if (n == left) {
			r->state = HELPER_LOGS_REQUEST_QUEUED;
			r->done_mark = c->queued;
			helper_logs_bundle_free(&r->bundle);
		}
	}
	return 0;
}

bool helper_logs_request_written(const struct helper_logs_request *r, const struct helper_control *c)
{
	return r->state == HELPER_LOGS_REQUEST_QUEUED && c->written >= r->done_mark;
}

void helper_logs_request_sweep(struct helper_logs_requests *rs)
{
	struct helper_logs_request **link = &rs->head;

	while (*link != NULL) {
		struct helper_logs_request *r = *link;

		if (r->state == HELPER_LOGS_REQUEST_FINISHED) {
			*link = r->next;
			helper_logs_request_free(r);
		} else {
			link = &r->next;
		}
	}
}

void helper_logs_request_free_all(struct helper_logs_requests *rs)
{
	while (rs->head != NULL) {
		struct helper_logs_request *r = rs->head;

		rs->head = r->next;
		helper_logs_request_free(r);
	}
}
