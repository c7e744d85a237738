/*
 * test_client_logs.c: unit tests for client/logs.c, what the helper
 * collects when the customer allows a technician's request for logs.
 *
 * The source list comes from the relay and must be treated as hostile:
 * these tests feed it garbage, oversized lines and too many sources. The
 * bundle goes into CTL_LOGS_DATA records whose decoder rejects anything
 * but valid UTF-8, so every bundle here is checked with the same validator
 * (utf8_valid), including bundles built from files full of invalid
 * bytes and NULs, and the 1 MiB cap is pushed on purpose. journalctl is
 * replaced by small shell scripts to check its arguments, a missing
 * program, a failing one, and one that hangs (the 5 s cap, shortened).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "logs.h"
#include "utf8.h"
#include "testfs.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_client_logs.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testfs_remove_tree(f->dir);
	free(f);
	return 0;
}

static void path_in(const struct fixture *f, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", f->dir, name);
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Parses spec, collects, and checks the invariants every bundle must hold. */
static void collect(const char *spec, const struct helper_logs_config *cfg, struct helper_logs_bundle *b)
{
	struct helper_logs_plan *plan = malloc(sizeof(*plan));

	assert_non_null(plan);
	helper_logs_parse(spec, plan);
	assert_int_equal(helper_logs_collect(plan, cfg, b), 0);
	assert_true(buf_len(&b->text) <= HELPER_LOGS_BUNDLE_MAX);
	assert_true(utf8_valid(buf_ptr(&b->text), buf_len(&b->text)));
	free(plan);
}

/* The bundle as a C string (it holds no NUL); the caller frees it. */
static char *bundle_string(const struct helper_logs_bundle *b)
{
	char *s = malloc(buf_len(&b->text) + 1);

	assert_non_null(s);
	memcpy(s, buf_ptr(&b->text), buf_len(&b->text));
	s[buf_len(&b->text)] = '\0';
	return s;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%.2000s", needle, hay);
}

static void test_facts(void **state)
{
	struct helper_logs_bundle b;
	char *s, *p;

	(void)state;
	collect("facts", NULL, &b);
	s = bundle_string(&b);
	assert_true(strncmp(s, "== facts ==\n", 12) == 0);
	assert_contains(s, "\nos: ");
	assert_null(strstr(s, "os: unknown"));
	assert_contains(s, "\nkernel: Linux ");
	assert_contains(s, "\nhostname: ");
	assert_contains(s, "\nuptime: ");
	assert_null(strstr(s, "uptime: unknown"));
	assert_contains(s, " days ");
	assert_contains(s, "\ndisk /: ");
	assert_contains(s, " free of ");
	assert_contains(s, "\nmemory: ");
	assert_contains(s, " available of ");
	assert_contains(s, "\nlocal time: 2");
	/* Plausible numbers: the machine has some memory and a disk. */
	p = strstr(s, "memory: ");
	assert_non_null(p);
	assert_null(strstr(p, "available of 0 MiB"));
	assert_null(strstr(s, "free of 0 MiB"));
	assert_false(b.truncated);
	free(s);
	helper_logs_bundle_free(&b);
}

static void test_file_last_lines(void **state)
{
	struct fixture *f = *state;
	char path[128], spec[256], want[1024], data[2048];
	struct helper_logs_bundle b;
	size_t n = 0, w;
	char *s;

	path_in(f, "app.log", path, sizeof(path));
	for (int i = 1; i <= 100; i++)
		n += (size_t)snprintf(data + n, sizeof(data) - n, "line %d\n", i);
	write_file(path, data, n, 0600);

	snprintf(spec, sizeof(spec), "file %s 7", path);
	collect(spec, NULL, &b);
	s = bundle_string(&b);
	w = (size_t)snprintf(want, sizeof(want), "== file %s (last 7 lines) ==\n", path);
	for (int i = 94; i <= 100; i++)
		w += (size_t)snprintf(want + w, sizeof(want) - w, "line %d\n", i);
	assert_string_equal(s, want);
	free(s);
	helper_logs_bundle_free(&b);

	/* More lines asked than there are: all of them. No final newline: one is added. */
	write_file(path, "a\nb\nc", 5, 0600);
	snprintf(spec, sizeof(spec), "file %s 50", path);
	collect(spec, NULL, &b);
	s = bundle_string(&b);
	snprintf(want, sizeof(want), "== file %s (last 50 lines) ==\na\nb\nc\n", path);
	assert_string_equal(s, want);
	free(s);
	helper_logs_bundle_free(&b);

	/* One line, and an empty file. */
	snprintf(spec, sizeof(spec), "file %s 1", path);
	collect(spec, NULL, &b);
	s = bundle_string(&b);
	snprintf(want, sizeof(want), "== file %s (last 1 lines) ==\nc\n", path);
	assert_string_equal(s, want);
	free(s);
	helper_logs_bundle_free(&b);
	write_file(path, "", 0, 0600);
	collect(spec, NULL, &b);
	s = bundle_string(&b);
	assert_contains(s, "(empty)\n");
	free(s);
	helper_logs_bundle_free(&b);
}

/* A path with spaces is one path: LINES is the last word. */
static void test_file_path_with_spaces(void **state)
{
	struct fixture *f = *state;
	char path[128], spec[256];
	struct helper_logs_bundle b;
	char *s;

	path_in(f, "my log.txt", path, sizeof(path));
	write_file(path, "x\ny\n", 4, 0600);
	snprintf(spec, sizeof(spec), "  file   %s   1  \r", path);
	collect(spec, NULL, &b);
	s = bundle_string(&b);
	assert_contains(s, "my log.txt (last 1 lines) ==\ny\n");
	free(s);
	helper_logs_bundle_free(&b);
}

static void test_file_invalid_utf8(void **state)
{
	struct fixture *f = *state;
	static const uint8_t data[] = "ok \xff\xfe bad\n" "nul\0here\n" "cut \xe2\x82\n"
		"overlong \xc0\xaf surrogate \xed\xa0\x80\n" "euro \xe2\x82\xac fine\n" "end \xf0\x9f";
	char path[128], spec[256];
	struct helper_logs_bundle b;
	char *s;

	path_in(f, "binary.log", path, sizeof(path));
	write_file(path, data, sizeof(data) - 1, 0600);
	snprintf(spec, sizeof(spec), "file %s 100", path);
	collect(spec, NULL, &b);
	assert_null(memchr(buf_ptr(&b.text), 0, buf_len(&b.text)));
	s = bundle_string(&b);
	assert_contains(s, "ok ?? bad\n");
	assert_contains(s, "nul?here\n");
	assert_contains(s, "cut ??\n");
	assert_contains(s, "overlong ?? surrogate ???\n");
	assert_contains(s, "euro \xe2\x82\xac fine\n");
	assert_contains(s, "end ??\n");
	free(s);
	helper_logs_bundle_free(&b);
}

static void test_file_problems(void **state)
{
	struct fixture *f = *state;
	char path[128], spec[512];
	struct helper_logs_bundle b;
	char *s;

	path_in(f, "fifo", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	/* A FIFO would block a plain open() forever; a directory is no log. */
	snprintf(spec, sizeof(spec), "file /nonexistent/handoff.log 10\nfile %s 10\nfile %s 10\nfacts", path,
		 f->dir);
	collect(spec, NULL, &b);
	s = bundle_string(&b);
	assert_contains(s, "== file /nonexistent/handoff.log (last 10 lines) ==\n"
			"file: cannot read /nonexistent/handoff.log: No such file or directory\n");
	assert_contains(s, "fifo is not a regular file; not read\n");
	assert_contains(strstr(s, "fifo is not") + 1, " is not a regular file; not read\n");
	/* The sources after the failures are still collected. */
	assert_contains(s, "== facts ==\n");
	free(s);
	helper_logs_bundle_free(&b);

	/* Unreadable (unless we are root, who reads anything). */
	if (geteuid() != 0) {
		path_in(f, "secret", path, sizeof(path));
		write_file(path, "s\n", 2, 0000);
		snprintf(spec, sizeof(spec), "file %s 10", path);
		collect(spec, NULL, &b);
		s = bundle_string(&b);
		assert_contains(s, "Permission denied\n");
		free(s);
		helper_logs_bundle_free(&b);
	}
}

/* Only the last 256 KiB of a big file are read, and the cut line is not shown. */
static void test_file_big(void **state)
{
	struct fixture *f = *state;
	size_t size = 3 * HELPER_LOGS_READ_MAX, n = 0;
	char path[128], spec[256];
	struct helper_logs_bundle b;
	char *data = malloc(size), *s;
	int i = 0;

	assert_non_null(data);
	/* 100-byte lines: 10000 of them are more than the 256 KiB read. */
	while (n + 128 < size)
		n += (size_t)snprintf(data + n, size - n, "entry %08d %085d\n", i++, 0);
	path_in(f, "big.log", path, sizeof(path));
	write_file(path, data, n, 0600);
	snprintf(spec, sizeof(spec), "file %s 10000", path);
	collect(spec, NULL, &b);
	s = bundle_string(&b);
	assert_contains(s, "[only the last 256 KiB of the file were read]\n");
	/* Every line shown is whole, and the last one is the file's last. */
	for (char *line = strstr(s, "]\n") + 2; *line != '\0'; line = strchr(line, '\n') + 1)
		assert_true(strncmp(line, "entry ", 6) == 0 && strchr(line, '\n') - line == 100);
	{
		char last[128];

		snprintf(last, sizeof(last), "entry %08d %085d\n", i - 1, 0);
		assert_true(strcmp(s + strlen(s) - strlen(last), last) == 0);
	}
	assert_true(buf_len(&b.text) <= HELPER_LOGS_READ_MAX + 256);
	free(s);
	free(data);
	helper_logs_bundle_free(&b);
}

static void test_parse_good(void **state)
{
	struct helper_logs_plan plan;
	char d[HELPER_LOGS_DESC_MAX];

	(void)state;
	helper_logs_parse("facts\nfile /var/log/syslog 200\n\n  journal 100\r\nfile /a b/c 1\n", &plan);
	assert_int_equal(plan.n, 4);
	assert_int_equal(plan.dropped, 0);
	assert_int_equal(plan.src[0].kind, HELPER_LOGS_FACTS);
	assert_int_equal(plan.src[1].kind, HELPER_LOGS_FILE);
	assert_string_equal(plan.src[1].text, "/var/log/syslog");
	assert_int_equal(plan.src[1].lines, 200);
	assert_int_equal(plan.src[2].kind, HELPER_LOGS_JOURNAL);
	assert_int_equal(plan.src[2].lines, 100);
	assert_int_equal(plan.src[3].kind, HELPER_LOGS_FILE);
	assert_string_equal(plan.src[3].text, "/a b/c");
	assert_int_equal(helper_logs_items(&plan), 4);
	helper_logs_describe(&plan, 0, d, sizeof(d));
	assert_string_equal(d, "basic facts about this computer: its system and version, its name, how long it has "
				"been on, free disk space and memory, and its clock");
	helper_logs_describe(&plan, 1, d, sizeof(d));
	assert_string_equal(d, "the newest 200 lines of the record file /var/log/syslog");
	helper_logs_describe(&plan, 2, d, sizeof(d));
	assert_string_equal(d, "the newest 100 messages this computer recorded about what it was doing");
	helper_logs_describe(&plan, 3, d, sizeof(d));
	assert_string_equal(d, "the newest line of the record file /a b/c");

	/* Counts above the cap are capped, not refused. */
	helper_logs_parse("file /x 50000\njournal 999999999", &plan);
	assert_int_equal(plan.n, 2);
	assert_int_equal(plan.src[0].lines, HELPER_LOGS_LINES_MAX);
	assert_int_equal(plan.src[1].lines, HELPER_LOGS_LINES_MAX);

	helper_logs_parse(NULL, &plan);
	assert_int_equal(plan.n, 0);
	assert_int_equal(helper_logs_items(&plan), 0);
	helper_logs_parse("\n \n\r\n", &plan);
	assert_int_equal(plan.n, 0);
}

/* Every line here is something we must not act on. */
static void test_parse_garbage(void **state)
{
	static const char *const bad[] = {
		"bogus",
		"Facts",
		"facts now",
		"factsfile",
		"file",
		"file /x",
		"file 10",
		"file relative/path 10",
		"file /x 0",
		"file /x -5",
		"file /x +5",
		"file /x 5x",
		"file /x 1e3",
		"file /x 0x10",
		"file /x 99999999999999999999",
		"journal",
		"journal -1",
		"journal 10 20",
		"journal abc",
		"journal\t10",
		"file /etc/\x1b[2Jpasswd 10",
		"file /tmp/\xe2\x80\xaegol.txt 10",
		"file /tmp/\302\23331m 10",     /* C1 CSI */
		"file /tmp/\xff\xfe 10",
		"file /tmp/x\x7f 10",
	};
	struct helper_logs_plan plan;
	char d[HELPER_LOGS_DESC_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		helper_logs_parse(bad[i], &plan);
		if (plan.n != 1 || plan.src[0].kind != HELPER_LOGS_UNSUPPORTED)
			fail_msg("accepted \"%s\"", bad[i]);
		/* What the customer is shown is printable and valid. */
		helper_logs_describe(&plan, 0, d, sizeof(d));
		assert_true(utf8_valid(d, strlen(d)));
		for (const unsigned char *p = (const unsigned char *)d; *p != '\0'; p++)
			assert_true(*p >= 0x20 && *p != 0x7f);
		assert_null(strstr(d, "\xc2\x9b"));
		assert_null(strstr(d, "\xe2\x80\xae"));
		assert_true(strncmp(d, "nothing for \"", 13) == 0);
	}
}

static void test_parse_oversized(void **state)
{
	struct helper_logs_plan *plan = malloc(sizeof(*plan));
	char *spec = malloc(3 * HELPER_LOGS_SPEC_MAX), d[HELPER_LOGS_DESC_MAX];
	struct helper_logs_bundle b;
	size_t n = 0;
	char *s;

	(void)state;
	assert_non_null(plan);
	assert_non_null(spec);
	/* A line over the line cap: unsupported, shown shortened. */
	memcpy(spec, "file /", 6);
	memset(spec + 6, 'a', 2000);
	memcpy(spec + 2006, " 10", 4);
	helper_logs_parse(spec, plan);
	assert_int_equal(plan->n, 1);
	assert_int_equal(plan->src[0].kind, HELPER_LOGS_UNSUPPORTED);
	assert_true(strlen(plan->src[0].text) <= 80 + 3);
	helper_logs_describe(plan, 0, d, sizeof(d));
	assert_contains(d, "aaa...\"");

	/* 40 sources: 32 taken, the rest said to be ignored. */
	n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(spec + n, 64, "journal %d\n", i + 1);
	helper_logs_parse(spec, plan);
	assert_int_equal(plan->n, HELPER_LOGS_SOURCES_MAX);
	assert_int_equal(plan->dropped, 8);
	assert_int_equal(helper_logs_items(plan), HELPER_LOGS_SOURCES_MAX + 1);
	helper_logs_describe(plan, HELPER_LOGS_SOURCES_MAX, d, sizeof(d));
	assert_string_equal(d, "nothing from 8 more places: at most 32 are taken at a time");

	/* A list longer than the record text cap: only whole lines before the cap. */
	n = 0;
	while (n < 2 * HELPER_LOGS_SPEC_MAX)
		n += (size_t)snprintf(spec + n, 64, "bogus source number %zu\n", n);
	helper_logs_parse(spec, plan);
	assert_int_equal(plan->n, HELPER_LOGS_SOURCES_MAX);
	assert_true(plan->dropped > 0);
	collect("bogus\nfile nope 3", NULL, &b);
	s = bundle_string(&b);
	assert_string_equal(s, "unsupported source: bogus\nunsupported source: file nope 3\n");
	free(s);
	helper_logs_bundle_free(&b);
	free(spec);
	free(plan);
}

/* Many sources over big files: the bundle stops at 1 MiB and says so. */
static void test_bundle_cap(void **state)
{
	struct fixture *f = *state;
	size_t size = 2 * HELPER_LOGS_READ_MAX, n = 0, len;
	char path[128], *spec = malloc(HELPER_LOGS_SPEC_MAX + 1), *data = malloc(size);
	struct helper_logs_bundle b;
	const char *mark = "\n[truncated]\n";

	assert_non_null(spec);
	assert_non_null(data);
	/* Three-byte characters on 1000-byte lines, so the cut lands inside lines and characters. */
	while (n + 1001 <= size) {
		for (int k = 0; k < 333; k++, n += 3)
			memcpy(data + n, "\xe2\x82\xac", 3);
		data[n++] = '\n';
	}
	path_in(f, "euro.log", path, sizeof(path));
	write_file(path, data, n, 0600);
	n = 0;
	for (int i = 0; i < HELPER_LOGS_SOURCES_MAX; i++)
		n += (size_t)snprintf(spec + n, HELPER_LOGS_SPEC_MAX + 1 - n, "file %s 10000\n", path);
	collect(spec, NULL, &b);
	len = buf_len(&b.text);
	assert_true(b.truncated);
	assert_true(len <= HELPER_LOGS_BUNDLE_MAX);
	assert_true(len > HELPER_LOGS_BUNDLE_MAX - 16);
	assert_memory_equal(buf_ptr(&b.text) + len - strlen(mark), mark, strlen(mark));
	helper_logs_bundle_free(&b);
	free(spec);
	free(data);
}

/* Chunks for CTL_LOGS_DATA: each valid UTF-8, at most CTL_TEXT_MAX, together the whole. */
static void test_chunks(void **state)
{
	static const uint8_t euro[] = "a\xe2\x82\xac";      /* 1 + 3 bytes */
	static const uint8_t emoji[] = "\xf0\x9f\x98\x80";  /* 4 bytes */
	struct fixture *f = *state;
	char path[128], spec[256];
	struct helper_logs_bundle b;
	struct buf joined;
	size_t off = 0, chunks = 0;
	uint8_t data[3 * 4096 + 64];
	size_t n = 0;

	assert_int_equal(utf8_cut(euro, 4, 10), 4);
	assert_int_equal(utf8_cut(euro, 4, 3), 1);
	assert_int_equal(utf8_cut(emoji, 4, 3), 0);

	/* A bundle whose 4096-byte marks fall inside characters of every length. */
	data[n++] = 'x';
	while (n + 10 < sizeof(data)) {
		memcpy(data + n, "\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9", 9);
		n += 9;
	}
	data[n++] = '\n';
	path_in(f, "mixed.log", path, sizeof(path));
	write_file(path, data, n, 0600);
	snprintf(spec, sizeof(spec), "file %s 5", path);
	collect(spec, NULL, &b);
	buf_init(&joined, HELPER_LOGS_BUNDLE_MAX);
	while (off < buf_len(&b.text)) {
		const uint8_t *p = buf_ptr(&b.text) + off;
		size_t k = utf8_cut(p, buf_len(&b.text) - off, CTL_TEXT_MAX);

		assert_true(k > 0 && k <= CTL_TEXT_MAX);
		assert_true(utf8_valid(p, k));
		assert_int_equal(buf_put(&joined, p, k), 0);
		off += k;
		chunks++;
	}
	assert_true(chunks >= 3);
	assert_int_equal(buf_len(&joined), buf_len(&b.text));
	assert_memory_equal(buf_ptr(&joined), buf_ptr(&b.text), buf_len(&b.text));
	buf_free(&joined);
	helper_logs_bundle_free(&b);
}

static void test_text_fit(void **state)
{
	char s[32];
	size_t n;

	(void)state;
	memcpy(s, "a\xff" "b\0c", 5);
	n = helper_logs_text_fit(s, 5, 100);
	assert_int_equal(n, 5);
	assert_string_equal(s, "a?b?c");
	memcpy(s, "\xe2\x82\xac\xe2\x82\xac", 6);
	n = helper_logs_text_fit(s, 6, 4);
	assert_int_equal(n, 3);
	assert_string_equal(s, "\xe2\x82\xac");
	memcpy(s, "ab\xe2\x82", 4);
	n = helper_logs_text_fit(s, 4, 100);
	assert_string_equal(s, "ab??");
	assert_int_equal(n, 4);
}

static void make_script(const struct fixture *f, const char *name, const char *body, char *path, size_t len)
{
	char text[512];
	int n = snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);

	path_in(f, name, path, len);
	write_file(path, text, (size_t)n, 0700);
}

static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_journal(void **state)
{
	struct fixture *f = *state;
	struct helper_logs_config cfg = { .journal_timeout_ms = 5000 };
	char prog[128];
	struct helper_logs_bundle b;
	struct timespec t0, t1;
	char *s;

	/* The arguments are exactly the documented ones; stdin is not the terminal. */
	make_script(f, "fake-journalctl",
		    "echo \"argv: $*\"; echo 'entry 1'; echo 'entry 2'; echo oops >&2; cat; echo 'entry 3'",
		    prog, sizeof(prog));
	cfg.journalctl = prog;
	collect("journal 4", &cfg, &b);
	s = bundle_string(&b);
	assert_string_equal(s, "== journal (last 4 lines) ==\n"
			    "argv: --no-pager -q -n 4 -o short-iso\nentry 1\nentry 2\nentry 3\n");
	free(s);
	helper_logs_bundle_free(&b);

	cfg.journalctl = "/nonexistent/journalctl";
	collect("journal 10", &cfg, &b);
	s = bundle_string(&b);
	assert_string_equal(s, "== journal (last 10 lines) ==\njournal: not available on this computer\n");
	free(s);
	helper_logs_bundle_free(&b);

	make_script(f, "failing", "exit 1", prog, sizeof(prog));
	cfg.journalctl = prog;
	collect("journal 10", &cfg, &b);
	s = bundle_string(&b);
	assert_contains(s, "journal: not available on this computer (journalctl exited with status 1)\n");
	free(s);
	helper_logs_bundle_free(&b);

	/* A journalctl that hangs is killed at the deadline, and reaped. */
	make_script(f, "hanging", "echo first; exec sleep 30", prog, sizeof(prog));
	cfg.journalctl = prog;
	cfg.journal_timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	collect("journal 10", &cfg, &b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	s = bundle_string(&b);
	assert_string_equal(s, "== journal (last 10 lines) ==\nfirst\n[journal: gave up after 300 ms]\n");
	free(s);
	helper_logs_bundle_free(&b);
	assert_no_children();

	/* One that writes without end is cut at the read cap and killed. */
	make_script(f, "flood", "exec yes 'the same line again'", prog, sizeof(prog));
	cfg.journalctl = prog;
	cfg.journal_timeout_ms = 5000;
	collect("journal 10000", &cfg, &b);
	s = bundle_string(&b);
	assert_contains(s, "[journal: output cut at 256 KiB]\n");
	assert_true(buf_len(&b.text) <= HELPER_LOGS_READ_MAX + 256);
	free(s);
	helper_logs_bundle_free(&b);
	assert_no_children();

	/* The real one, when there is one: a section, whatever the machine allows. */
	collect("journal 3", NULL, &b);
	s = bundle_string(&b);
	assert_true(strncmp(s, "== journal (last 3 lines) ==\n", 29) == 0);
	free(s);
	helper_logs_bundle_free(&b);
	assert_no_children();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts),
		cmocka_unit_test_setup_teardown(test_file_last_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_path_with_spaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_invalid_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_big, setup, teardown),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test_setup_teardown(test_bundle_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
		cmocka_unit_test(test_text_fit),
		cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
