/*
 * job.h: long work of a command (an export, a verify) on a thread of its
 * own, so that the loop keeps splicing live sessions meanwhile.
 *
 * The job thread touches no libssh object of the loop's and no part of
 * struct relay: a libssh session is for one thread at a time and the loop
 * owns both (a job may make and free a session of its own, as an export's
 * fetch from another relay does: peerrec.c). A job gets what it
 * needs copied in (its ctx) and the thread's one store connection, opened
 * once for the life of the relay. When it ends, the thread says so through
 * a pipe the loop polls; the loop then runs the job's done function, which
 * hands the result to the job's channel. One job runs at a time; others
 * wait their turn in order.
 */
#ifndef HANDOFF_RELAY_JOB_H
#define HANDOFF_RELAY_JOB_H

#include <stdatomic.h>
#include <stdbool.h>

#include "relay.h"

/* On the job thread: the work, over st. It stops early once *cancel is set. */
typedef void (*relay_job_run_fn)(struct store *st, void *ctx, const atomic_bool *cancel);
/*
 * On the loop, once run returned (or, at shutdown, instead of it): hands
 * the result to ch and frees ctx. ch is NULL when the channel is gone:
 * then it only frees.
 */
typedef void (*relay_job_done_fn)(struct relay *relay, struct relay_chan *ch, void *ctx);

/*
 * Starts the job thread and its store connection. The environment's
 * HANDOFF_TEST_JOB_GATE (a path, a test setting) makes each job wait until
 * that file exists. 0 or -1 with err.
 */
int relay_jobs_start(struct relay *relay, char *err, size_t errlen);
/*
 * Queues run/done for ch (ch->job is set until done has run). On failure
 * (-1), nothing was queued and the caller still owns ctx.
 */
int relay_job_submit(struct relay *relay, struct relay_chan *ch, relay_job_run_fn run, relay_job_done_fn done,
		     void *ctx);
/* The descriptor the loop polls for finished jobs; -1 without a job thread. */
int relay_jobs_fd(const struct relay *relay);
/* On the loop: runs the done function of every finished job. */
void relay_jobs_service(struct relay *relay);
/* ch is going away: its job is cancelled, and its result is dropped when it ends. */
void relay_job_abandon(struct relay_job *job);
/*
 * At shutdown, before the audit state goes: cancels every job, waits for
 * the thread to end, runs each done with no channel, closes the store.
 * No thread outlives this call.
 */
void relay_jobs_drain(struct relay *relay);

#endif
