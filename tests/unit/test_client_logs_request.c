/*
 * test_client_logs_request.c: unit tests for client/logs_request.c, the
 * helper's log collection on worker threads, with client/logs.c doing the
 * collecting and client/control.c only queueing (no channel is open, so
 * what would go to the relay stays in its buffer, where we decode it).
 *
 * journalctl is a shell script that blocks on a fifo until the test lets
 * it go (or forever), and says its pid through another fifo once it runs:
 * the test waits on those fifos, never on a clock. What is checked: the
 * caller gets control back while journalctl is still running; the done
 * descriptor becomes readable when the worker ends and the bundle is then
 * complete; and every way of cancelling (cancel, a refusal, closing the
 * list) ends the worker well before the journal's timeout, with the child
 * killed and reaped and the process's threads and descriptors back where
 * they were. LeakSanitizer checks the memory at exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "ctl.h"
#include "logs.h"
#include "logs_request.h"
#include "testfs.h"

/* Far beyond what any check here waits: a cancel that waited for it would fail the time checks. */
#define JOURNAL_TIMEOUT_MS 60000u
#define CANCEL_MAX_MS 2000

struct fixture {
	char dir[64];
	char prog[128];     /* the fake journalctl */
	char gate[128];     /* fifo: the fake waits to read a line from it */
	char ready[128];    /* fifo: the fake writes its pid to it first */
	struct helper_logs_config cfg;
	struct helper_logs_requests rs;
	struct helper_control ctl;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct helper_logs_requests empty = HELPER_LOGS_REQUESTS_INIT;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_client_logs_request.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->prog, sizeof(f->prog), "%s/journalctl", f->dir);
	snprintf(f->gate, sizeof(f->gate), "%s/gate", f->dir);
	snprintf(f->ready, sizeof(f->ready), "%s/ready", f->dir);
	if (mkfifo(f->gate, 0600) != 0 || mkfifo(f->ready, 0600) != 0)
		return -1;
	f->cfg.journalctl = f->prog;
	f->cfg.journal_timeout_ms = JOURNAL_TIMEOUT_MS;
	f->rs = empty;
	f->rs.cfg = &f->cfg;
	if (helper_logs_requests_open(&f->rs) != 0)
		return -1;
	buf_init(&f->ctl.in, 4096);
	buf_init(&f->ctl.out, 1024u * 1024);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	helper_logs_requests_close(&f->rs);
	helper_control_close(&f->ctl);
	testfs_remove_tree(f->dir);
	free(f);
	return 0;
}

/* The fake journalctl: says its pid on the ready fifo, waits for the gate, then prints. */
static void make_journal(struct fixture *f)
{
	FILE *fp = fopen(f->prog, "w");

	assert_non_null(fp);
	/* Only builtins after the start: a kill of the shell leaves nothing behind. */
	fprintf(fp, "#!/bin/sh\necho $$ >'%s'\nread -r _ <'%s'\necho 'entry 1'\necho 'entry 2'\n", f->ready,
		f->gate);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(f->prog, 0700), 0);
}

/* Blocks until the fake journalctl runs; its pid. */
static pid_t journal_started(const struct fixture *f)
{
	char line[32] = "";
	FILE *fp = fopen(f->ready, "r");

	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	return (pid_t)atoi(line);
}

/* Lets the fake journalctl go on. */
static void open_gate(const struct fixture *f)
{
	int fd = open(f->gate, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "go\n", 3), 3);
	close(fd);
}

static size_t count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static size_t open_fds(void)
{
	return count_entries("/proc/self/fd") - 1;  /* less opendir's own */
}

static size_t threads(void)
{
	return count_entries("/proc/self/task");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static bool done_readable(const struct fixture *f, int timeout_ms)
{
	struct pollfd pfd = { .fd = helper_logs_requests_fd(&f->rs), .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1;
}

static struct helper_logs_request *ask(struct fixture *f, uint32_t id, const char *sources)
{
	char name[] = "alice", tier[] = "L1";
	struct ctl_record rec = { .type = CTL_LOGS_ASK, .viewer_id = id, .ticket = 9, .name = name, .tier = tier };
	struct helper_logs_request *r;

	rec.text = (char *)(uintptr_t)sources;
	r = helper_logs_request_add(&f->rs, &rec);
	assert_non_null(r);
	return r;
}

/* What the control buffer holds for the relay: every LOGS_DATA text, and the last record's flags. */
static void sent(struct fixture *f, struct buf *text, uint8_t *last_flags)
{
	struct ctl_record rec;

	while (ctl_decode(&f->ctl.out, &rec) == 1) {
		assert_int_equal(rec.type, CTL_LOGS_DATA);
		assert_int_equal(buf_put(text, rec.text, strlen(rec.text)), 0);
		*last_flags = rec.flags;
		ctl_record_free(&rec);
	}
}

/* The worker collects while the caller goes on; done wakes it, and the bundle is whole. */
static void test_collect_beside(void **state)
{
	struct fixture *f = *state;
	const char want[] = "== journal (last 2 lines) ==\nentry 1\nentry 2\n";
	size_t fds = open_fds(), tasks = threads();
	struct helper_logs_request *r;
	struct buf text;
	uint8_t flags = 0xff;

	make_journal(f);
	r = ask(f, 1, "journal 2");
	r->state = HELPER_LOGS_REQUEST_APPROVED;
	assert_int_equal(helper_logs_request_start(&f->rs, r), 0);
	journal_started(f);
	/* journalctl is running and blocked: we have control, nothing is collected yet. */
	assert_true(helper_logs_request_collecting(r));
	assert_false(done_readable(f, 0));
	assert_int_equal(helper_logs_requests_reap(&f->rs), 0);
	assert_false(r->collected);
	assert_int_equal(helper_logs_request_collect(r), -1);
	/* A second start while it runs is no second worker. */
	assert_int_equal(helper_logs_request_start(&f->rs, r), 0);
	assert_int_equal(threads(), tasks + 1);

	open_gate(f);
	assert_true(done_readable(f, 10000));
	assert_int_equal(helper_logs_requests_reap(&f->rs), 1);
	assert_false(done_readable(f, 0));
	assert_false(helper_logs_request_collecting(r));
	assert_true(r->collected);
	assert_int_equal(r->collect_rc, 0);
	assert_int_equal(r->total, sizeof(want) - 1);
	assert_memory_equal(buf_ptr(&r->bundle.text), want, sizeof(want) - 1);
	assert_int_equal(threads(), tasks);
	assert_int_equal(open_fds(), fds);
	assert_no_children();

	/* Then it goes out unchanged. */
	assert_int_equal(helper_logs_request_collect(r), 0);
	assert_int_equal(r->state, HELPER_LOGS_REQUEST_SENDING);
	assert_int_equal(helper_logs_request_feed(r, &f->ctl), 0);
	assert_int_equal(r->state, HELPER_LOGS_REQUEST_QUEUED);
	buf_init(&text, HELPER_LOGS_BUNDLE_MAX);
	sent(f, &text, &flags);
	assert_int_equal(flags, CTL_LOGS_DONE);
	assert_int_equal(buf_len(&text), sizeof(want) - 1);
	assert_memory_equal(buf_ptr(&text), want, sizeof(want) - 1);
	buf_free(&text);
}

/* Asserts that cancelling through how() ends the worker and journalctl at once, leaving nothing. */
static void cancel_case(struct fixture *f, void (*how)(struct fixture *f, struct helper_logs_request *r))
{
	size_t fds = open_fds(), tasks = threads();
	struct helper_logs_request *r;
	long long t0;
	pid_t child;

	make_journal(f);
	r = ask(f, 2, "facts\njournal 5\nfile /etc/hostname 1");
	assert_int_equal(helper_logs_request_start(&f->rs, r), 0);
	child = journal_started(f);
	assert_true(child > 0);
	assert_int_equal(kill(child, 0), 0);
	assert_int_equal(threads(), tasks + 1);

	t0 = now_ms();
	how(f, r);
	assert_true(now_ms() - t0 < CANCEL_MAX_MS);
	/* Reaped, not only killed: no zombie, no pid left. */
	assert_int_equal(kill(child, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_no_children();
	assert_int_equal(threads(), tasks);
	assert_int_equal(open_fds(), fds);
}

static void cancel_now(struct fixture *f, struct helper_logs_request *r)
{
	(void)f;
	helper_logs_request_cancel(r);
	assert_false(helper_logs_request_collecting(r));
	assert_false(r->collected);
	assert_int_equal(buf_len(&r->bundle.text), 0);
	/* Nothing was said to the relay, and nothing is left to reap. */
	assert_int_equal(helper_control_pending(&f->ctl), 0);
	assert_int_equal(helper_logs_requests_reap(&f->rs), 0);
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	struct helper_logs_request *r;

	cancel_case(f, cancel_now);
	/* The request can be collected afterwards all the same, by a new worker. */
	r = f->rs.head;
	assert_int_equal(helper_logs_request_start(&f->rs, r), 0);
	journal_started(f);
	open_gate(f);
	assert_true(done_readable(f, 10000));
	assert_int_equal(helper_logs_requests_reap(&f->rs), 1);
	assert_true(r->collected);
	assert_non_null(memmem(buf_ptr(&r->bundle.text), buf_len(&r->bundle.text), "entry 2\n", 8));
	assert_no_children();
}

static void refuse_now(struct fixture *f, struct helper_logs_request *r)
{
	struct buf text;
	uint8_t flags = 0xff;

	assert_int_equal(helper_logs_request_refuse(r, &f->ctl), 0);
	assert_int_equal(r->state, HELPER_LOGS_REQUEST_FINISHED);
	assert_false(helper_logs_request_collecting(r));
	buf_init(&text, HELPER_LOGS_BUNDLE_MAX);
	sent(f, &text, &flags);
	assert_int_equal(flags, CTL_LOGS_REFUSED);
	assert_int_equal(buf_len(&text), 0);
	buf_free(&text);
	helper_logs_request_sweep(&f->rs);
	assert_null(f->rs.head);
}

/* The customer says no (or stops sharing) while the bundle is being collected. */
static void test_refuse_cancels(void **state)
{
	cancel_case(*state, refuse_now);
}

static void close_all(struct fixture *f, struct helper_logs_request *r)
{
	(void)r;
	helper_logs_requests_close(&f->rs);
	assert_null(f->rs.head);
	assert_int_equal(helper_logs_requests_fd(&f->rs), -1);
	/* Open again, so that only what the worker held counts in the descriptors left. */
	assert_int_equal(helper_logs_requests_open(&f->rs), 0);
}

/* The session ends (the technician went away, the relay closed, Ctrl-C) mid-collection. */
static void test_close_cancels(void **state)
{
	cancel_case(*state, close_all);
}

/* A worker that already finished, never reaped, is joined and freed by close all the same. */
static void test_close_after_finish(void **state)
{
	struct fixture *f = *state;
	size_t tasks = threads();
	struct helper_logs_request *r;

	make_journal(f);
	r = ask(f, 3, "journal 1");
	assert_int_equal(helper_logs_request_start(&f->rs, r), 0);
	journal_started(f);
	open_gate(f);
	assert_true(done_readable(f, 10000));
	helper_logs_requests_close(&f->rs);
	assert_int_equal(threads(), tasks);
	assert_no_children();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_collect_beside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_cancels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_cancels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_after_finish, setup, teardown),
	};

	/* Collection runs on its own thread here as in the helper: SIGPIPE must not end the test. */
	signal(SIGPIPE, SIG_IGN);
	/* A worker that never started would leave journal_started waiting on its fifo for ever. */
	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
