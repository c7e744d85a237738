/*
 * logs_request: one technician's request for diagnostic information
 * (CTL_LOGS_ASK), from the question to the last CTL_LOGS_DATA record, and
 * the list of them in the order they came.
 *
 *   ASKED --y--> APPROVED --collect--> SENDING --last record queued--> QUEUED
 *     |                                                                  |
 *     `--n, input closed: one REFUSED record--> FINISHED <--written------'
 *
 * Memory stays bounded whatever the relay sends: at most
 * HELPER_LOGS_REQUESTS_MAX requests are kept (more are refused without
 * asking), each holds a fixed-size plan, and only the oldest approved
 * request is collected and sent; the next one is collected only once the
 * previous one has queued its last record, so one bundle (1 MiB) at most is
 * held for sending. A customer may ask to see what will be sent before
 * answering: the question on screen (one at a time) is then collected
 * early, and that same bundle is what goes out if they allow it, so what
 * they read is exactly what is sent; at most two bundles are held then. A bundle goes into the control channel a record at a time, only
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

#define HELPER_LOGS_REQUESTS_MAX 16

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
	bool collected;             /* bundle holds the collection (a preview came first) */
	struct helper_logs_bundle bundle;  /* SENDING: what is not queued yet */
	size_t total;               /* bundle size in bytes */
	uint64_t done_mark;         /* QUEUED: written >= this means the last record left */
};

struct helper_logs_requests {
	struct helper_logs_request *head;
};

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
/* Refuses r (one REFUSED record) and marks it FINISHED. 0 or -1 (queue full). */
int helper_logs_request_refuse(struct helper_logs_request *r, struct helper_control *c);
/*
 * For an ASKED request: collects the bundle if that was not done yet
 * (blocking, bounded: see logs.h) and points *text, *len at it, valid
 * while r is ASKED. 0, or -1 when memory ran out (the text is then what
 * was collected, which is also what would be sent).
 */
int helper_logs_request_preview(struct helper_logs_request *r, const char **text, size_t *len);
/*
 * APPROVED -> SENDING: collects the bundle (blocking, bounded: see logs.h)
 * unless a preview did; then that bundle is sent unchanged.
 * 0, or -1 when memory ran out (what was collected is still sent).
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
/* Frees everything. */
void helper_logs_request_free_all(struct helper_logs_requests *rs);

#endif
