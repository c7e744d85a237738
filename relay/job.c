/*
 * job.c: see job.h. One worker thread, a queue under one mutex, and a
 * pipe whose read end sits in the loop's poll: the thread writes a byte
 * when a job ends, the loop reads the finished list.
 *
 * Who touches what: the thread reads the queue (under the lock), the
 * job's run, ctx and cancel; the loop owns job->ch and calls done. A
 * channel that closes while its job runs only clears job->ch and sets
 * cancel (relay_job_abandon), so the thread never learns of channels.
 *
 * Why a thread and not a child process: the export reads the database and
 * signs with the audit key, both of which the relay already holds; a
 * child forked from a process with libssh sessions and an open SQLite
 * connection would inherit both, which SQLite forbids using across fork.
 */
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct relay_job {
	relay_job_run_fn run;
	relay_job_done_fn done;
	void *ctx;
	struct relay_chan *ch;         /* the loop's; NULL once the channel is gone */
	atomic_bool cancel;
	struct relay_job *next;
};

struct relay_jobs {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* Under lock: jobs waiting, in order; jobs ended, for the loop; whether to stop. */
	struct relay_job *queue, **queue_tail;
	struct relay_job *ended;
	struct relay_job *running;
	bool stopping;
	int pipe[2];                   /* [0] in the loop's poll, [1] written by the thread */
	struct store *store;           /* the thread's connection */
	char *gate;                    /* a test's HANDOFF_TEST_JOB_GATE, or NULL */
};

/* A test holds a job here until its file exists, to watch the loop meanwhile; cancel lets go. */
static void relay_jobs_gate(const struct relay_jobs *jobs, const struct relay_job *job)
{
	const struct timespec step = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	struct stat sb;

	if (jobs->gate == NULL || stat(jobs->gate, &sb) == 0)
		return;
	log_info("a job waits for the file %s (a test setting)", jobs->gate);
	while (stat(jobs->gate, &sb) != 0 && !atomic_load(&job->cancel))
		nanosleep(&step, NULL);
	log_info(atomic_load(&job->cancel) ? "the job was cancelled at the gate" : "the job goes on");
}

static void *relay_jobs_main(void *arg)
{
	struct relay_jobs *jobs = arg;

	for (;;) {
		struct relay_job *job;
		ssize_t w;

		pthread_mutex_lock(&jobs->lock);
		while (!jobs->stopping && jobs->queue == NULL)
			pthread_cond_wait(&jobs->wake, &jobs->lock);
		if (jobs->stopping) {
			pthread_mutex_unlock(&jobs->lock);
			return NULL;
		}
		job = jobs->queue;
		jobs->queue = job->next;
		if (jobs->queue == NULL)
			jobs->queue_tail = &jobs->queue;
		jobs->running = job;
		pthread_mutex_unlock(&jobs->lock);

		relay_jobs_gate(jobs, job);
		job->run(jobs->store, job->ctx, &job->cancel);

		pthread_mutex_lock(&jobs->lock);
		jobs->running = NULL;
		job->next = jobs->ended;
		jobs->ended = job;
		pthread_mutex_unlock(&jobs->lock);
		/* The pipe is non-blocking: when it is full, the loop has a wake-up pending anyway. */
		do
			w = write(jobs->pipe[1], "", 1);
		while (w < 0 && errno == EINTR);
	}
}

int relay_jobs_start(struct relay *relay, char *err, size_t errlen)
{
	struct relay_jobs *jobs = calloc(1, sizeof(*jobs));
	const char *gate = getenv("HANDOFF_TEST_JOB_GATE");
	sigset_t all, old;
	int e;

	if (jobs == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	jobs->queue_tail = &jobs->queue;
	jobs->pipe[0] = jobs->pipe[1] = -1;
	if (gate != NULL && (jobs->gate = strdup(gate)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (pipe2(jobs->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "jobs: cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	if (store_open_again(relay->store, &jobs->store, err, errlen) != STORE_OK)
		goto fail;
	/*
	 * A first read opens the connection's write-ahead log now: opened by
	 * the first job instead, it would be one descriptor more after it than
	 * before, which test_faults counts as a leak.
	 */
	{
		uint8_t hash[CHAIN_HASH_LEN];
		int64_t head;

		if (store_chain_head(jobs->store, &head, hash) != STORE_OK) {
			snprintf(err, errlen, "jobs: cannot read the database");
			goto fail;
		}
	}
	pthread_mutex_init(&jobs->lock, NULL);
	pthread_cond_init(&jobs->wake, NULL);
	/* Signals are the loop's (ppoll lets the stop signals in there): the thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&jobs->thread, NULL, relay_jobs_main, jobs);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		snprintf(err, errlen, "jobs: cannot start a thread: %s", strerror(e));
		pthread_cond_destroy(&jobs->wake);
		pthread_mutex_destroy(&jobs->lock);
		goto fail;
	}
	if (jobs->gate != NULL)
		log_warn("jobs wait for the file %s before they run (a test setting)", jobs->gate);
	relay->jobs = jobs;
	return 0;
fail:
	store_close(jobs->store);
	if (jobs->pipe[0] >= 0)
		close(jobs->pipe[0]);
	if (jobs->pipe[1] >= 0)
		close(jobs->pipe[1]);
	free(jobs->gate);
	free(jobs);
	return -1;
}

int relay_job_submit(struct relay *relay, struct relay_chan *ch, relay_job_run_fn run, relay_job_done_fn done,
		     void *ctx)
{
	struct relay_jobs *jobs = relay->jobs;
	struct relay_job *job;

	if (jobs == NULL || (job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->run = run;
	job->done = done;
	job->ctx = ctx;
	job->ch = ch;
	atomic_init(&job->cancel, false);
	ch->job = job;
	pthread_mutex_lock(&jobs->lock);
	*jobs->queue_tail = job;
	jobs->queue_tail = &job->next;
	pthread_cond_signal(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
	return 0;
}

int relay_jobs_fd(const struct relay *relay)
{
	return relay->jobs != NULL ? relay->jobs->pipe[0] : -1;
}

/* Runs done for each job of list (newest first as the thread pushed them: oldest first here). */
static void relay_jobs_finish(struct relay *relay, struct relay_job *list)
{
	struct relay_job *in_order = NULL;

	while (list != NULL) {
		struct relay_job *next = list->next;

		list->next = in_order;
		in_order = list;
		list = next;
	}
	while (in_order != NULL) {
		struct relay_job *job = in_order;

		in_order = job->next;
		if (job->ch != NULL)
			job->ch->job = NULL;
		job->done(relay, job->ch, job->ctx);
		free(job);
	}
}

void relay_jobs_service(struct relay *relay)
{
	struct relay_jobs *jobs = relay->jobs;
	struct relay_job *ended;
	char drain[64];

	if (jobs == NULL)
		return;
	while (read(jobs->pipe[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&jobs->lock);
	ended = jobs->ended;
	jobs->ended = NULL;
	pthread_mutex_unlock(&jobs->lock);
	relay_jobs_finish(relay, ended);
}

void relay_job_abandon(struct relay_job *job)
{
	if (job == NULL)
		return;
	job->ch = NULL;
	atomic_store(&job->cancel, true);
}

void relay_jobs_drain(struct relay *relay)
{
	struct relay_jobs *jobs = relay->jobs;
	struct relay_job *left;

	if (jobs == NULL)
		return;
	pthread_mutex_lock(&jobs->lock);
	jobs->stopping = true;
	for (struct relay_job *j = jobs->queue; j != NULL; j = j->next)
		atomic_store(&j->cancel, true);
	if (jobs->running != NULL)
		atomic_store(&jobs->running->cancel, true);
	pthread_cond_signal(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
	pthread_join(jobs->thread, NULL);
	/* What ended, then what never started, oldest first: every done runs once, with no channel. */
	left = jobs->queue;
	jobs->queue = NULL;
	while (left != NULL) {
		struct relay_job *next = left->next;

		left->next = jobs->ended;
		jobs->ended = left;
		left = next;
	}
	for (struct relay_job *j = jobs->ended; j != NULL; j = j->next)
		if (j->ch != NULL) {
			j->ch->job = NULL;
			j->ch = NULL;
		}
	relay_jobs_finish(relay, jobs->ended);
	jobs->ended = NULL;
	store_close(jobs->store);
	close(jobs->pipe[0]);
	close(jobs->pipe[1]);
	pthread_cond_destroy(&jobs->wake);
	pthread_mutex_destroy(&jobs->lock);
	free(jobs->gate);
	free(jobs);
	relay->jobs = NULL;
}
