/*
 * logs_linux.c: the collectors of logs_os.h on Linux: facts from
 * os-release, uname, /proc and statvfs; files read by path, only when
 * regular, at most their last HELPER_LOGS_READ_MAX bytes; the journal
 * through journalctl, spawned with an argv (no shell), killed at its
 * deadline or when the collection is cancelled.
 */
#include "logs_os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logs_writer.h"

extern char **environ;

#define SMALL_FILE_MAX 16384    /* os-release, /proc/uptime, /proc/meminfo */
#define REAP_POLL_MS 10

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

void helper_logs_os_file(struct helper_logs_writer *w, const char *path, unsigned lines)
{
	struct stat st;
	struct buf raw;
	off_t skip = 0;
	int fd;

	buf_init(&raw, HELPER_LOGS_READ_MAX);
	helper_logs_printf(w, "== file %s (last %u lines) ==\n", path, lines);
	fd = helper_logs_open_regular(path, &st);
	if (fd < 0) {
		if (errno == EINVAL)
			helper_logs_printf(w, "file: %s is not a regular file; not read\n", path);
		else
			helper_logs_printf(w, "file: cannot read %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (st.st_size > (off_t)HELPER_LOGS_READ_MAX) {
		skip = st.st_size - (off_t)HELPER_LOGS_READ_MAX;
		if (lseek(fd, skip, SEEK_SET) < 0) {
			helper_logs_printf(w, "file: cannot seek in %s: %s\n", path, strerror(errno));
			goto out;
		}
	}
	if (helper_logs_read_fd(fd, &raw) != 0) {
		helper_logs_printf(w, "file: error reading %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (skip > 0 && helper_logs_tail_start(buf_ptr(&raw), buf_len(&raw), lines) == 0)
		helper_logs_printf(w, "[only the last %u KiB of the file were read]\n",
				   HELPER_LOGS_READ_MAX / 1024);
	helper_logs_put_tail(w, buf_ptr(&raw), buf_len(&raw), lines, skip > 0);
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

void helper_logs_os_journal(struct helper_logs_writer *w, unsigned lines, const char *journalctl,
			    unsigned timeout_ms)
{
	long long deadline = helper_logs_now_ms() + timeout_ms;
	struct buf raw;
	bool timed_out = false, cancelled = false, eof;
	int fd = -1, status = 0, exited;
	pid_t pid;

	buf_init(&raw, HELPER_LOGS_READ_MAX);
	helper_logs_printf(w, "== journal (last %u lines) ==\n", lines);
	pid = helper_logs_spawn_journal(journalctl, lines, &fd);
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
		helper_logs_put_tail(w, buf_ptr(&raw), buf_len(&raw), lines, false);
	else if (!timed_out)
		helper_logs_printf(w, "(no entries)\n");
	if (timed_out)
		helper_logs_printf(w, "[journal: gave up after %u ms]\n", timeout_ms);
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

void helper_logs_os_facts(struct helper_logs_writer *w)
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
