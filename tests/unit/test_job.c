/*
 * The job thread (relay/job.c): a job runs off the caller's thread on the
 * jobs' own store connection and its done function reaches the channel on
 * the caller's; an abandoned job is cancelled and its done gets no channel;
 * drain at shutdown cancels what waits (held here by the test gate), joins
 * the thread and runs every done once.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "job.h"
#include "log.h"
#include "relay.h"
#include "teststore.h"

struct fixture {
	struct teststore ts;
	char gate[128];
	struct relay relay;
};

struct probe {
	struct store *run_store;      /* what run was given */
	pthread_t run_thread;
	bool ran, cancelled_at_run, done, done_with_chan;
};

static void probe_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct probe *p = ctx;

	p->run_store = st;
	p->run_thread = pthread_self();
	p->cancelled_at_run = atomic_load(cancel);
	p->ran = true;
}

static void probe_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct probe *p = ctx;

	(void)relay;
	p->done = true;
	p->done_with_chan = ch != NULL;
}

static void fixture_open(struct fixture *f, bool gated)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	assert_int_equal(teststore_make(&f->ts), 0);
	snprintf(f->gate, sizeof(f->gate), "%s/gate", f->ts.dir);
	assert_int_equal(store_open(f->ts.spec, &f->relay.store, err, sizeof(err)), STORE_OK);
	if (gated)
		setenv("HANDOFF_TEST_JOB_GATE", f->gate, 1);
	else
		unsetenv("HANDOFF_TEST_JOB_GATE");
	if (relay_jobs_start(&f->relay, err, sizeof(err)) != 0)
		fail_msg("jobs: %s", err);
	unsetenv("HANDOFF_TEST_JOB_GATE");
	assert_true(relay_jobs_fd(&f->relay) >= 0);
}

static void fixture_close(struct fixture *f)
{
	relay_jobs_drain(&f->relay);
	assert_null(f->relay.jobs);
	store_close(f->relay.store);
	unlink(f->gate);
	teststore_drop(&f->ts);
}

/* As the loop does: waits for the jobs' descriptor, then runs what ended. */
static void service_until(struct fixture *f, const struct probe *p)
{
	for (int i = 0; i < 100 && !p->done; i++) {
		struct pollfd pfd = { .fd = relay_jobs_fd(&f->relay), .events = POLLIN };

		assert_true(poll(&pfd, 1, 100) >= 0);
		relay_jobs_service(&f->relay);
	}
	assert_true(p->done);
}

static void test_job_runs_off_the_thread(void **state)
{
	struct fixture f;
	struct relay_chan ch = { .stream_fd = -1 };
	struct probe p = { 0 };

	(void)state;
	fixture_open(&f, false);
	assert_int_equal(relay_job_submit(&f.relay, &ch, probe_run, probe_done, &p), 0);
	assert_non_null(ch.job);
	service_until(&f, &p);
	assert_true(p.ran);
	assert_false(p.cancelled_at_run);
	assert_true(p.done_with_chan);
	assert_null(ch.job);
	assert_false(pthread_equal(p.run_thread, pthread_self()));
	assert_non_null(p.run_store);
	assert_ptr_not_equal(p.run_store, f.relay.store);
	fixture_close(&f);
}

static void test_job_abandoned(void **state)
{
	struct fixture f;
	struct relay_chan ch = { .stream_fd = -1 };
	struct probe p = { 0 };

	(void)state;
	fixture_open(&f, true);
	assert_int_equal(relay_job_submit(&f.relay, &ch, probe_run, probe_done, &p), 0);
	relay_job_abandon(ch.job);
	service_until(&f, &p);
	assert_true(p.ran);
	assert_true(p.cancelled_at_run);
	assert_false(p.done_with_chan);
	fixture_close(&f);
}

static void test_drain_cancels_what_waits(void **state)
{
	struct fixture f;
	struct relay_chan a = { .stream_fd = -1 }, b = { .stream_fd = -1 };
	struct probe held = { 0 }, queued = { 0 };

	(void)state;
	fixture_open(&f, true);
	assert_int_equal(relay_job_submit(&f.relay, &a, probe_run, probe_done, &held), 0);
	assert_int_equal(relay_job_submit(&f.relay, &b, probe_run, probe_done, &queued), 0);
	/* Drained with both waiting (at the gate or in the queue): nothing runs uncancelled. */
	fixture_close(&f);
	assert_true(held.done);
	assert_true(queued.done);
	assert_false(held.done_with_chan || queued.done_with_chan);
	assert_null(a.job);
	assert_null(b.job);
	assert_true(!held.ran || held.cancelled_at_run);
	assert_true(!queued.ran || queued.cancelled_at_run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_runs_off_the_thread),
		cmocka_unit_test(test_job_abandoned),
		cmocka_unit_test(test_drain_cancels_what_waits),
	};

	log_setup("test", LOG_ERROR);
	return teststore_run("job", tests, sizeof(tests) / sizeof(tests[0]));
}
