/*
 * logs.c: see logs.h.
 *
 * Everything read from the machine goes into the bundle through
 * helper_logs_put, which replaces bytes that are not valid UTF-8 and stops
 * at the bundle's cap, so no section can break the bundle's invariants
 * whatever the files hold. Sources are read into a bounded struct buf
 * first, because "the last N lines" needs the whole tail in hand.
 */
#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "utf8.h"

extern char **environ;

#define TRUNCATED_MARK "\n[truncated]\n"
#define SHOW_MAX 80             /* bytes of an unsupported source line kept for display */
#define SMALL_FILE_MAX 16384    /* os-release, /proc/uptime, /proc/meminfo */
#define LINE_OUT_MAX 2048       /* one formatted line of the bundle */
#define REAP_POLL_MS 10

struct helper_logs_writer {
	struct helper_logs_bundle *b;
	int err;    /* first buf error, e.g. out of memory */
	int cancel_fd;      /* readable: stop (see helper_logs_collect_until), or -1 */
	bool cancelled;
};

/* Whether fd (-1: none) is readable now, without waiting. */
static bool helper_logs_fd_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* Length of the valid UTF-8 character at p[0..n), or 0 if none starts there (or NUL). */
static size_t helper_logs_char_len(const uint8_t *p, size_t n)
{
	uint32_t cp;
	int k = utf8_next((const char *)p, n, &cp);

	return k < 0 || cp == 0 ? 0 : (size_t)k;
}

size_t helper_logs_text_fit(char *s, size_t len, size_t max)
{
	uint8_t *p = (uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		size_t k = helper_logs_char_len(p + i, len - i);

		if (k == 0) {
			p[i] = '?';
			k = 1;
		}
		i += k;
	}
	if (len > max)
		len = utf8_cut(p, len, max);
	s[len] = '\0';
	return len;
}

/* Appends valid UTF-8 to the bundle, cutting at a character boundary at the cap. */
static void helper_logs_put_valid(struct helper_logs_writer *w, const uint8_t *p, size_t n)
{
	struct helper_logs_bundle *b = w->b;
	size_t limit = HELPER_LOGS_BUNDLE_MAX - (sizeof(TRUNCATED_MARK) - 1);
	size_t room = buf_len(&b->text) < limit ? limit - buf_len(&b->text) : 0;
	int e;

	if (b->truncated || w->err != 0 || n == 0)
		return;
	if (n <= room) {
		if ((e = buf_put(&b->text, p, n)) != 0)
			w->err = e;
		return;
	}
	/* The mark always fits: limit leaves room for it. */
	if ((e = buf_put(&b->text, p, utf8_cut(p, n, room))) != 0 ||
	    (e = buf_put(&b->text, TRUNCATED_MARK, sizeof(TRUNCATED_MARK) - 1)) != 0)
		w->err = e;
	b->truncated = true;
}

/* Appends any bytes; what is not valid UTF-8 (or NUL) goes in as '?'. */
static void helper_logs_put(struct helper_logs_writer *w, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t i = 0;

	while (i < n && !w->b->truncated && w->err == 0) {
		size_t start = i, k;

		while (i < n && (k = helper_logs_char_len(p + i, n - i)) != 0)
			i += k;
		helper_logs_put_valid(w, p + start, i - start);
		if (i < n) {
			helper_logs_put_valid(w, (const uint8_t *)"?", 1);
			i++;
		}
	}
}

__attribute__((format(gnu_printf, 2, 3)))
static void helper_logs_printf(struct helper_logs_writer *w, const char *fmt, ...)
{
	char line[LINE_OUT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A cut line may end inside a character; helper_logs_put makes that a '?'. */
	helper_logs_put(w, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* --- parsing the relay's source list ---------------------------------- */

static bool helper_logs_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Invisible characters that change how the rest of a line is shown: zero
 * width U+200B-U+200F, bidirectional overrides U+202A-U+202E and isolates
 * U+2066-U+2069, and U+FEFF. A path holding one could read on the
 * customer's screen as another path than the one we would open.
 */
static bool helper_logs_invisible(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80)
		return (p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae);
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf;
}

/*
 * Valid UTF-8 without C0, DEL or C1 control characters nor invisible
 * formatting: safe to show, and shown as what it is.
 */
static bool helper_logs_plain(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	if (!utf8_valid(p, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return false;
		if (helper_logs_invisible(p + i, n - i))
			return false;
	}
	return true;
}

/* A line count: 1 to 9 decimal digits, at least 1, capped at HELPER_LOGS_LINES_MAX. */
static bool helper_logs_count(const char *s, size_t n, unsigned *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0)
		return false;
	*out = v > HELPER_LOGS_LINES_MAX ? HELPER_LOGS_LINES_MAX : (unsigned)v;
	return true;
}

/* Keeps a shortened, printable copy of a line we will not act on. */
static void helper_logs_unsupported(struct helper_logs_source *src, const char *line, size_t n)
{
	size_t keep = n < SHOW_MAX ? n : SHOW_MAX;
	uint8_t *p = (uint8_t *)src->text;

	src->kind = HELPER_LOGS_UNSUPPORTED;
	src->lines = 0;
	memcpy(src->text, line, keep);
	keep = helper_logs_text_fit(src->text, keep, keep);
	for (size_t i = 0; i < keep; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			p[i] = '?';
		else if (p[i] == 0xc2 && i + 1 < keep && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			p[i] = p[i + 1] = '?';
		else if (helper_logs_invisible(p + i, keep - i))
			p[i] = p[i + 1] = p[i + 2] = '?';
	}
	if (n > keep)
		memcpy(src->text + keep, "...", 4);
}

static bool helper_logs_starts(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n > w && memcmp(line, word, w) == 0 && line[w] == ' ';
}

/* "file PATH LINES": PATH is everything between, so it may hold spaces. */
static bool helper_logs_parse_file(const char *rest, size_t n, struct helper_logs_source *src)
{
	size_t sp = n, start = 0;

	while (sp > 0 && rest[sp - 1] != ' ')
		sp--;
	if (sp == 0 || !helper_logs_count(rest + sp, n - sp, &src->lines))
		return false;
	n = sp - 1;
	while (n > 0 && rest[n - 1] == ' ')
		n--;
	while (start < n && rest[start] == ' ')
		start++;
	/* Relative paths would depend on where the helper was started. */
	if (n == start || rest[start] != '/')
		return false;
	memcpy(src->text, rest + start, n - start);
	src->text[n - start] = '\0';
	src->kind = HELPER_LOGS_FILE;
	return true;
}

static void helper_logs_classify(const char *line, size_t n, struct helper_logs_source *src)
{
	memset(src, 0, sizeof(*src));
	if (n > HELPER_LOGS_LINE_MAX || !helper_logs_plain(line, n)) {
		helper_logs_unsupported(src, line, n);
		return;
	}
	if (n == 5 && memcmp(line, "facts", 5) == 0) {
		src->kind = HELPER_LOGS_FACTS;
		return;
	}
	if (helper_logs_starts(line, n, "journal")) {
		size_t start = 8;

		while (start < n && line[start] == ' ')
			start++;
		if (helper_logs_count(line + start, n - start, &src->lines)) {
			src->kind = HELPER_LOGS_JOURNAL;
			return;
		}
	}
	if (helper_logs_starts(line, n, "file") && helper_logs_parse_file(line + 5, n - 5, src))
		return;
	helper_logs_unsupported(src, line, n);
}

static void helper_logs_parse_line(struct helper_logs_plan *plan, const char *line, size_t n)
{
	while (n > 0 && helper_logs_is_blank(line[n - 1]))
		n--;
	while (n > 0 && helper_logs_is_blank(line[0])) {
		line++;
		n--;
	}
	if (n == 0)
		return;
	if (plan->n == HELPER_LOGS_SOURCES_MAX) {
		plan->dropped++;
		return;
	}
	helper_logs_classify(line, n, &plan->src[plan->n++]);
}

void helper_logs_parse(const char *spec, struct helper_logs_plan *plan)
{
	size_t len = spec != NULL ? strnlen(spec, HELPER_LOGS_SPEC_MAX + 1) : 0;
	size_t pos = 0;

	memset(plan, 0, sizeof(*plan));
	if (len > HELPER_LOGS_SPEC_MAX) {
		/* Only whole lines count: the one the cap cuts through is dropped. */
		len = HELPER_LOGS_SPEC_MAX;
		while (len > 0 && spec[len - 1] != '\n')
			len--;
		plan->dropped++;
	}
	while (pos < len) {
		const char *nl = memchr(spec + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (spec + pos)) : len - pos;

		helper_logs_parse_line(plan, spec + pos, n);
		pos += n + 1;
	}
}

size_t helper_logs_items(const struct helper_logs_plan *plan)
{
	return plan->n + (plan->dropped > 0 ? 1 : 0);
}

void helper_logs_describe(const struct helper_logs_plan *plan, size_t i, char *out, size_t outlen)
{
	const struct helper_logs_source *src;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (i >= plan->n) {
		if (plan->dropped > 0)
			snprintf(out, outlen,
				 dngettext(HELPER_I18N_DOMAIN,
					   "nothing from %zu more place: at most %d are taken at a time",
					   "nothing from %zu more places: at most %d are taken at a time",
					   plan->dropped),
				 plan->dropped, HELPER_LOGS_SOURCES_MAX);
		return;
	}
	src = &plan->src[i];
	switch (src->kind) {
	case HELPER_LOGS_FACTS:
		snprintf(out, outlen, "%s",
			 _("basic facts about this computer: its system and version, its name, how long it has "
			   "been on, free disk space and memory, and its clock"));
		break;
	case HELPER_LOGS_FILE:
		if (src->lines == 1)
			snprintf(out, outlen, _("the newest line of the record file %s"), src->text);
		else
			snprintf(out, outlen, _("the newest %u lines of the record file %s"), src->lines, src->text);
		break;
	case HELPER_LOGS_JOURNAL:
		if (src->lines == 1)
			snprintf(out, outlen, "%s",
				 _("the newest message this computer recorded about what it was doing"));
		else
			snprintf(out, outlen, _("the newest %u messages this computer recorded about what it was doing"),
				 src->lines);
		break;
	case HELPER_LOGS_UNSUPPORTED:
		snprintf(out, outlen, _("nothing for \"%s\": this program does not collect that"), src->text);
		break;
	}
}

/* --- collecting --------------------------------------------------------- */

/* Start of the last `lines` lines of p[0..n); a final newline ends the last line. */
static size_t helper_logs_tail_start(const uint8_t *p, size_t n, unsigned lines)
{
	size_t end = n;

	if (end > 0 && p[end - 1] == '\n')
		end--;
	while (end > 0) {
		if (p[end - 1] == '\n' && --lines == 0)
			return end;
		end--;
	}
	return 0;
}

/*
 * Puts the last `lines` lines of p[0..n) in the bundle, ending in a newline.
 * partial says p starts in the middle of a line (we skipped ahead), which
 * is then left out unless it is all there is.
 */
static void helper_logs_put_tail(struct helper_logs_writer *w, const uint8_t *p, size_t n,
				 unsigned lines, bool partial)
{
	size_t start = helper_logs_tail_start(p, n, lines);

	if (start == 0 && partial) {
		const uint8_t *nl = memchr(p, '\n', n);

		if (nl != NULL && (size_t)(nl - p) + 1 < n)
			start = (size_t)(nl - p) + 1;
	}
	if (start == n) {
		helper_logs_printf(w, "(empty)\n");
		return;
	}
	helper_logs_put(w, p + start, n - start);
	if (p[n - 1] != '\n')
		helper_logs_put(w, "\n", 1);
}

/* Opens path for reading only if it is a regular file: no FIFO that blocks, no device. */
static int helper_logs_open_regular(const char *path, struct stat *st)
{
	int fd;

	/* stat first: merely opening some devices has effects (a tape rewinds). */
	if (stat(path, st) != 0)
		return -1;
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* It could have been swapped since the stat. */
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Reads what fd gives until EOF or raw is full. 0, or -1 with errno. */
static int helper_logs_read_fd(int fd, struct buf *raw)
{
	for (;;) {
		size_t room = buf_room(raw);
		uint8_t *p;
		ssize_t n;

		if (room == 0)
			return 0;
		if (buf_reserve(raw, room, &p) != 0) {
			errno = ENOMEM;
			return -1;
		}
		n = read(fd, p, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		buf_commit(raw, (size_t)n);
	}
}

/* A small file (procfs, os-release) as a NUL-terminated string. 0 or -1. */
static int helper_logs_read_small(const char *path, char *out, size_t outlen)
{
	struct stat st;
	struct buf raw;
	int fd, rc = -1;

	buf_init(&raw, outlen - 1);
	fd = helper_logs_open_regular(path, &st);
	if (fd < 0)
		goto out;
	if (helper_logs_read_fd(fd, &raw) != 0)
		goto out;
	memcpy(out, buf_ptr(&raw), buf_len(&raw));
	out[buf_len(&raw)] = '\0';
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&raw);
	return rc;
}

static void helper_logs_file(struct helper_logs_writer *w, const struct helper_logs_source *src)
{
	struct stat st;
	struct buf raw;
	off_t skip = 0;
	int fd;

	buf_init(&raw, HELPER_LOGS_READ_MAX);
	helper_logs_printf(w, "== file %s (last %u lines) ==\n", src->text, src->lines);
	fd = helper_logs_open_regular(src->text, &st);
	if (fd < 0) {
		if (errno == EINVAL)
			helper_logs_printf(w, "file: %s is not a regular file; not read\n", src->text);
		else
			helper_logs_printf(w, "file: cannot read %s: %s\n", src->text, strerror(errno));
		goto out;
	}
	if (st.st_size > (off_t)HELPER_LOGS_READ_MAX) {
		skip = st.st_size - (off_t)HELPER_LOGS_READ_MAX;
		if (lseek(fd, skip, SEEK_SET) < 0) {
			helper_logs_printf(w, "file: cannot seek in %s: %s\n", src->text, strerror(errno));
			goto out;
		}
	}
	if (helper_logs_read_fd(fd, &raw) != 0) {
		helper_logs_printf(w, "file: error reading %s: %s\n", src->text, strerror(errno));
		goto out;
	}
	if (skip > 0 && helper_logs_tail_start(buf_ptr(&raw), buf_len(&raw), src->lines) == 0)
		helper_logs_printf(w, "[only the last %u KiB of the file were read]\n",
				   HELPER_LOGS_READ_MAX / 1024);
	helper_logs_put_tail(w, buf_ptr(&raw), buf_len(&raw), src->lines, skip > 0);
out:
	if (fd >= 0)
		close(fd);
	buf_free(&raw);
}

static long long helper_logs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for the child until deadline or cancel_fd (only if it may still
 * exit by itself), then kills it; always reaps it. 1 with *status if it
 * exited by itself.
 */
static int helper_logs_reap(pid_t pid, bool wait_first, long long deadline, int cancel_fd, int *status)
{
	struct pollfd pfd = { .fd = cancel_fd, .events = POLLIN };
	pid_t r;

	while (wait_first) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
		if (helper_logs_now_ms() >= deadline)
			break;
		/* No descriptor tells a child's exit; the cancel one ends the wait at once. */
		if (poll(&pfd, cancel_fd >= 0 ? 1 : 0, REAP_POLL_MS) > 0)
			break;
	}
	kill(pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return 0;
}

/* Starts journalctl with stdout on a pipe. The pid, or -1 with errno. */
static pid_t helper_logs_spawn_journal(const char *prog, unsigned lines, int *out_fd)
{
	char a0[] = "journalctl", a1[] = "--no-pager", a2[] = "-q", a3[] = "-n", a5[] = "-o",
	     a6[] = "short-iso", count[16];
	char *argv[] = { a0, a1, a2, a3, count, a5, a6, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int fds[2] = { -1, -1 }, rc;
	pid_t pid = -1;

	snprintf(count, sizeof(count), "%u", lines);
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/*
	 * The child must not read the customer's terminal (stdin) nor write on
	 * it (stderr), and must not inherit the helper's blocked SIGINT/SIGTERM
	 * or ignored SIGPIPE (which lets it die when we stop reading).
	 */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	rc = posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&attr, &dfl);
	if (rc == 0)
		rc = posix_spawnp(&pid, prog, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		errno = rc;
		return -1;
	}
	*out_fd = fds[0];
	return pid;
}

/*
 * Reads the child's output into raw until EOF, raw is full, deadline, or
 * cancel_fd (-1: none) is readable. Returns 1 at EOF, 0 when it stopped
 * early (full, timeout, cancelled, error).
 */
static int helper_logs_read_child(int fd, struct buf *raw, long long deadline, int cancel_fd, bool *timed_out,
				  bool *cancelled)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = cancel_fd, .events = POLLIN } };

	*timed_out = false;
	*cancelled = false;
	while (buf_room(raw) > 0) {
		long long left = deadline - helper_logs_now_ms();
		size_t room = buf_room(raw);
		uint8_t *p;
		ssize_t n;
		int pr;

		if (left <= 0) {
			*timed_out = true;
			return 0;
		}
		pr = poll(pfd, cancel_fd >= 0 ? 2 : 1, left > 1000 ? 1000 : (int)left);
		if (pr < 0 && errno != EINTR)
			return 0;
		if (pr <= 0)
			continue;
		if (cancel_fd >= 0 && pfd[1].revents != 0) {
			*cancelled = true;
			return 0;
		}
		if (pfd[0].revents == 0)
			continue;
		if (buf_reserve(raw, room, &p) != 0)
			return 0;
		n = read(fd, p, room);
		if (n == 0)
			return 1;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return 0;
		}
		buf_commit(raw, (size_t)n);
	}
	return 0;
}

static void helper_logs_journal(struct helper_logs_writer *w, const struct helper_logs_source *src,
				const struct helper_logs_config *cfg)
{
	long long deadline = helper_logs_now_ms() + cfg->journal_timeout_ms;
	struct buf raw;
	bool timed_out = false, cancelled = false, eof;
	int fd = -1, status = 0, exited;
	pid_t pid;

	buf_init(&raw, HELPER_LOGS_READ_MAX);
	helper_logs_printf(w, "== journal (last %u lines) ==\n", src->lines);
	pid = helper_logs_spawn_journal(cfg->journalctl, src->lines, &fd);
	if (pid < 0) {
		helper_logs_printf(w, "journal: not available on this computer\n");
		goto out;
	}
	eof = helper_logs_read_child(fd, &raw, deadline, w->cancel_fd, &timed_out, &cancelled) == 1;
	close(fd);
	/* After EOF it is about to exit; otherwise it is stuck, has more to say, or is not wanted. */
	exited = helper_logs_reap(pid, eof, deadline, w->cancel_fd, &status);
	if (cancelled || (!exited && helper_logs_fd_ready(w->cancel_fd))) {
		w->cancelled = true;
		goto out;
	}
	if (buf_len(&raw) == 0 && exited && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		helper_logs_printf(w, "journal: not available on this computer (journalctl exited with status %d)\n",
				   WEXITSTATUS(status));
		goto out;
	}
	if (buf_len(&raw) > 0)
		helper_logs_put_tail(w, buf_ptr(&raw), buf_len(&raw), src->lines, false);
	else if (!timed_out)
		helper_logs_printf(w, "(no entries)\n");
	if (timed_out)
		helper_logs_printf(w, "[journal: gave up after %u ms]\n", cfg->journal_timeout_ms);
	else if (buf_room(&raw) == 0)
		helper_logs_printf(w, "[journal: output cut at %u KiB]\n", HELPER_LOGS_READ_MAX / 1024);
out:
	buf_free(&raw);
}

/* "1.5 GiB" or "512 MiB": enough to judge a full disk or low memory. */
static void helper_logs_size(unsigned long long bytes, char *out, size_t outlen)
{
	const unsigned long long mib = 1024ull * 1024, gib = mib * 1024;

	if (bytes >= gib)
		snprintf(out, outlen, "%llu.%llu GiB", bytes / gib, bytes % gib * 10 / gib);
	else
		snprintf(out, outlen, "%llu MiB", bytes / mib);
}

/* The value of PRETTY_NAME in os-release text, unquoted, into out. 0 or -1. */
static int helper_logs_os_name(const char *text, char *out, size_t outlen)
{
	const char *line = text;

	while (line != NULL && *line != '\0') {
		const char *end = strchr(line, '\n');
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);

		if (n > 12 && memcmp(line, "PRETTY_NAME=", 12) == 0) {
			const char *v = line + 12;
			size_t vn = n - 12, o = 0;

			if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0]) {
				v++;
				vn -= 2;
			}
			/* Shell quoting: a backslash escapes the next character. */
			for (size_t i = 0; i < vn && o + 1 < outlen; i++) {
				if (v[i] == '\\' && i + 1 < vn)
					i++;
				out[o++] = v[i];
			}
			out[o] = '\0';
			return o > 0 ? 0 : -1;
		}
		line = end != NULL ? end + 1 : NULL;
	}
	return -1;
}

/* A "Key:   N kB" field of /proc/meminfo, in bytes. 0 or -1. */
static int helper_logs_meminfo(const char *text, const char *key, unsigned long long *bytes)
{
	size_t kn = strlen(key);
	const char *line = text;

	while (line != NULL && *line != '\0') {
		if (strncmp(line, key, kn) == 0 && line[kn] == ':') {
			const char *p = line + kn + 1;
			unsigned long long v = 0;
			int digits = 0;

			while (*p == ' ' || *p == '\t')
				p++;
			while (*p >= '0' && *p <= '9' && digits < 18) {
				v = v * 10 + (unsigned long long)(*p++ - '0');
				digits++;
			}
			if (digits == 0)
				return -1;
			*bytes = v * 1024;
			return 0;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return -1;
}

static void helper_logs_facts(struct helper_logs_writer *w)
{
	char text[SMALL_FILE_MAX], value[512], a[64], b[64];
	unsigned long long total, avail;
	struct utsname u;
	struct statvfs vfs;
	struct tm tm;
	time_t now = time(NULL);

	helper_logs_printf(w, "== facts ==\n");
	if ((helper_logs_read_small("/etc/os-release", text, sizeof(text)) == 0 ||
	     helper_logs_read_small("/usr/lib/os-release", text, sizeof(text)) == 0) &&
	    helper_logs_os_name(text, value, sizeof(value)) == 0)
		helper_logs_printf(w, "os: %s\n", value);
	else
		helper_logs_printf(w, "os: unknown\n");
	if (uname(&u) == 0) {
		helper_logs_printf(w, "kernel: %s %s %s %s\n", u.sysname, u.release, u.version, u.machine);
		helper_logs_printf(w, "hostname: %s\n", u.nodename);
	} else {
		helper_logs_printf(w, "kernel: unknown\n");
	}
	if (helper_logs_read_small("/proc/uptime", text, sizeof(text)) == 0 && text[0] >= '0' &&
	    text[0] <= '9') {
		unsigned long long secs = strtoull(text, NULL, 10);

		helper_logs_printf(w, "uptime: %llu days %02llu:%02llu:%02llu\n", secs / 86400,
				   secs / 3600 % 24, secs / 60 % 60, secs % 60);
	} else {
		helper_logs_printf(w, "uptime: unknown\n");
	}
	if (statvfs("/", &vfs) == 0) {
		helper_logs_size((unsigned long long)vfs.f_bavail * vfs.f_frsize, a, sizeof(a));
		helper_logs_size((unsigned long long)vfs.f_blocks * vfs.f_frsize, b, sizeof(b));
		helper_logs_printf(w, "disk /: %s free of %s\n", a, b);
	} else {
		helper_logs_printf(w, "disk /: unknown (%s)\n", strerror(errno));
	}
	if (helper_logs_read_small("/proc/meminfo", text, sizeof(text)) == 0 &&
	    helper_logs_meminfo(text, "MemTotal", &total) == 0 &&
	    helper_logs_meminfo(text, "MemAvailable", &avail) == 0) {
		helper_logs_size(avail, a, sizeof(a));
		helper_logs_size(total, b, sizeof(b));
		helper_logs_printf(w, "memory: %s available of %s\n", a, b);
	} else {
		helper_logs_printf(w, "memory: unknown\n");
	}
	if (localtime_r(&now, &tm) != NULL && strftime(value, sizeof(value), "%Y-%m-%d %H:%M:%S %z (%Z)", &tm) > 0)
		helper_logs_printf(w, "local time: %s\n", value);
	else
		helper_logs_printf(w, "local time: unknown\n");
}

int helper_logs_collect(const struct helper_logs_plan *plan, const struct helper_logs_config *cfg,
			struct helper_logs_bundle *out)
{
	return helper_logs_collect_until(plan, cfg, -1, out);
}

int helper_logs_collect_until(const struct helper_logs_plan *plan, const struct helper_logs_config *cfg,
			      int cancel_fd, struct helper_logs_bundle *out)
{
	static const struct helper_logs_config defaults = {
		.journalctl = "journalctl",
		.journal_timeout_ms = HELPER_LOGS_JOURNAL_TIMEOUT_MS,
	};
	struct helper_logs_writer w = { .b = out, .cancel_fd = cancel_fd };

	memset(out, 0, sizeof(*out));
	buf_init(&out->text, HELPER_LOGS_BUNDLE_MAX);
	if (cfg == NULL)
		cfg = &defaults;
	for (size_t i = 0; i < plan->n && !out->truncated && w.err == 0; i++) {
		const struct helper_logs_source *src = &plan->src[i];

		if (w.cancelled || helper_logs_fd_ready(cancel_fd))
			return HELPER_LOGS_CANCELLED;

		switch (src->kind) {
		case HELPER_LOGS_FACTS:
			helper_logs_facts(&w);
			break;
		case HELPER_LOGS_FILE:
			helper_logs_file(&w, src);
			break;
		case HELPER_LOGS_JOURNAL:
			helper_logs_journal(&w, src, cfg);
			break;
		case HELPER_LOGS_UNSUPPORTED:
			helper_logs_printf(&w, "unsupported source: %s\n", src->text);
			break;
		}
	}
	if (w.cancelled)
		return HELPER_LOGS_CANCELLED;
	if (plan->dropped > 0)
		helper_logs_printf(&w, "unsupported source: %zu more source%s ignored (at most %d per request)\n",
				   plan->dropped, plan->dropped == 1 ? "" : "s", HELPER_LOGS_SOURCES_MAX);
	return w.err == 0 ? 0 : -1;
}

void helper_logs_bundle_free(struct helper_logs_bundle *b)
{
	buf_free(&b->text);
	b->truncated = false;
}
