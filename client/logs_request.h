/*
 * logs_request: one technician's request for diagnostic information
 * (CTL_LOGS_ASK), from the question to the last CTL_LOGS_DATA record, and
 * the list of them in the order they came.
 *
 *   ASKED --y--> APPROVED --collected--> SENDING --last record queued--> QUEUED
 *     |             |                                                      |
 *     `--n, input closed, stop sharing: one REFUSED record--> FINISHED <--written
 *
 * Collection runs on a worker thread, one per request at most, so that the
 * helper's loop goes on streaming the screen and the chat while journalctl
 * takes its time (up to HELPER_LOGS_JOURNAL_TIMEOUT_MS). The worker
 * touches only its job: the request's plan (read only, never changed after
 * helper_logs_request_add), a bundle of its own, its cancel wake and the
 * list's done wake. It never sees libssh, libvncserver, the UI or the log.
 * When it finishes it signals the done wake, which the loop polls; the
 * loop then joins it in helper_logs_requests_reap and only then takes the
 * bundle, so the join is the one hand-over between the two threads.
 * Cancelling (a refusal, stop sharing, the end of the session) signals the
 * job's cancel wake, which logs.c polls beside journalctl's pipe: the
 * child is killed and reaped, the thread joined and its bundle freed
 * before helper_logs_request_cancel returns, so no thread, child, fd or
 * byte outlives the request, and the requests never outlive the session.
 *
 * Memory stays bounded whatever the relay sends: at most
 * HELPER_LOGS_REQUESTS_MAX requests are kept (more are refused without
 * asking), each holds a fixed-size plan, and only the oldest approved
 * request is collected and sent; the next one is collected only once the
 * previous one has queued its last record, so one bundle (1 MiB) at most is
 * held for sending. A customer may ask to see what will be sent before
 * answering: the question on screen (one at a time) is then collected
 * early, and that same bundle is what goes out if they allow it, so what
 * they read is exactly what is sent; a previewed bundle is kept until it
 * is sent or refused, so there is at most one bundle and one worker per
 * request. A bundle goes into the control channel a record at a time, only
 * while less than HELPER_CONTROL_LOW_WATER is pending there, so sending it
 * never blocks the loop nor delays a consent reply by more than that.
 */
#ifndef HANDOFF_HELPER_LOGS_REQUEST_H
#define HANDOFF_HELPER_LOGS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "ctl.h"
#include "logs.h"
#include "ui.h"
#include "wake.h"

#define HELPER_LOGS_REQUESTS_MAX 16

struct helper_logs_job;     /* a collection on a worker thread (logs_request.c) */

enum helper_logs_request_state {
	HELPER_LOGS_REQUEST_ASKED,
	HELPER_LOGS_REQUEST_APPROVED,
	HELPER_LOGS_REQUEST_SENDING,
	HELPER_LOGS_REQUEST_QUEUED,
	HELPER_LOGS_REQUEST_FINISHED,
};

struct helper_logs_request {
	struct helper_logs_request *next;
	enum helper_logs_request_state state;
	uint64_t seq;               /* arrival order among all questions; set by the session */
	uint32_t id;                /* the relay's request id */
	uint32_t ticket;
	char *name;
	char *tier;
	struct helper_logs_plan *plan;  /* owned */
	char **items;               /* owned: what the customer is told will be collected */
	size_t n_items;
	bool prompted;              /* the question is on the customer's screen */
	bool want_preview;          /* the customer asked to read it: shown once collected */
	bool collected;             /* bundle holds the collection */
	int collect_rc;             /* collected: 0, or -1 (out of memory: bundle is partial) */
	struct helper_logs_job *job;    /* owned: the collection running on a worker, or NULL */
	struct helper_logs_bundle bundle;  /* SENDING: what is not queued yet */
	size_t total;               /* bundle size in bytes */
	uint64_t done_mark;         /* QUEUED: written >= this means the last record left */
};

struct helper_logs_requests {
	struct helper_logs_request *head;
	struct wake done;           /* a worker signals it when its collection ends */
	const struct helper_logs_config *cfg;  /* NULL: logs.c's defaults; tests point journalctl elsewhere */
};

/* An empty list whose wake is not open yet (helper_logs_requests_close is safe on it). */
#define HELPER_LOGS_REQUESTS_INIT { .head = NULL, .done = { .fd = -1, .peer = -1 }, .cfg = NULL }

/* Opens the done wake. 0, or -1 with errno. */
int helper_logs_requests_open(struct helper_logs_requests *rs);
/* What the loop polls for POLLIN: readable when a worker finished; -1 before open. */
int helper_logs_requests_fd(const struct helper_logs_requests *rs);
/* Frees every request (cancelling their workers) and closes the wake. Safe twice. */
void helper_logs_requests_close(struct helper_logs_requests *rs);

/*
 * Appends a request in ASKED state, parsing the ask's source list. NULL
 * when out of memory or when HELPER_LOGS_REQUESTS_MAX are already kept;
 * the caller then refuses with helper_logs_request_send_refusal.
 */
struct helper_logs_request *helper_logs_request_add(struct helper_logs_requests *rs,
						    const struct ctl_record *ask);
/* The request with this id that is not FINISHED, or NULL. */
struct helper_logs_request *helper_logs_request_find(struct helper_logs_requests *rs, uint32_t id);
/* The oldest request still waiting for an answer, or NULL. */
struct helper_logs_request *helper_logs_request_first_asked(struct helper_logs_requests *rs);
/* The oldest request APPROVED or SENDING (the one to work on), or NULL. */
struct helper_logs_request *helper_logs_request_first_approved(struct helper_logs_requests *rs);
/* The request as the UI shows it; valid while r lives. */
struct helper_ui_logs_request helper_logs_request_ui(const struct helper_logs_request *r);

/* Queues the one REFUSED record for request id. 0 or -1 (queue full). */
int helper_logs_request_send_refusal(struct helper_control *c, uint32_t id);
/* Refuses r (one REFUSED record), cancels its worker, and marks it FINISHED. 0 or -1 (queue full). */
int helper_logs_request_refuse(struct helper_logs_request *r, struct helper_control *c);
/*
 * Starts collecting r's bundle on a worker thread, unless it is collected
 * or being collected already; rs->done is signalled when it ends. 0, or -1
 * when no worker could start (no thread or no descriptor left): the
 * bundle was then collected in the calling thread (blocking, bounded: see
 * logs.h), so r is collected either way.
 */
int helper_logs_request_start(struct helper_logs_requests *rs, struct helper_logs_request *r);
/* A worker is collecting r's bundle. */
bool helper_logs_request_collecting(const struct helper_logs_request *r);
/*
 * Drains rs->done and joins every worker that has finished: its request is
 * then collected. Never blocks for long (only on a worker about to
 * return). How many requests became collected.
 */
size_t helper_logs_requests_reap(struct helper_logs_requests *rs);
/*
 * Ends r's worker, if it has one: wakes it (journalctl is killed and
 * reaped), joins it, and drops what it collected. r is then neither
 * collecting nor collected by that worker. Blocks only as long as the
 * worker takes to notice (a poll away, or one bounded file read).
 */
void helper_logs_request_cancel(struct helper_logs_request *r);
/*
 * For a collected request: points *text, *len at the bundle, valid while
 * r is ASKED. r->collect_rc: 0, or -1 when memory ran out (the text is
 * then what was collected, which is also what would be sent).
 */
void helper_logs_request_preview(const struct helper_logs_request *r, const char **text, size_t *len);
/*
 * APPROVED and collected -> SENDING: the bundle a preview showed, if one
 * did, is sent unchanged. 0, or -1 when not collected yet.
 */
int helper_logs_request_collect(struct helper_logs_request *r);
/*
 * Queues records of a SENDING request while the channel has less than
 * HELPER_CONTROL_LOW_WATER pending; after the last (DONE) record the
 * request is QUEUED and its bundle freed. 0 or -1 (queue full).
 */
int helper_logs_request_feed(struct helper_logs_request *r, struct helper_control *c);
/* A QUEUED request whose last record libssh has taken: ready to report as sent. */
bool helper_logs_request_written(const struct helper_logs_request *r, const struct helper_control *c);

/* Frees the FINISHED requests. */
void helper_logs_request_sweep(struct helper_logs_requests *rs);
/* Frees every request, cancelling and joining their workers first; the wake stays open. */
void helper_logs_request_free_all(struct helper_logs_requests *rs);

#endif
