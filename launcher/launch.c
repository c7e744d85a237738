/*
 * handoff-launch: the front of the one-file helper (see protocol/bundle.h).
 *
 * Built static, so it runs on any x86-64 Linux whatever is installed. It
 * reads its own file, checks the payload's SHA-256 before anything else
 * (a damaged or edited file is refused with a message, and nothing is
 * unpacked), unpacks the payload into a fresh 0700 directory under
 * $XDG_RUNTIME_DIR (else $TMPDIR, else /tmp), and runs the bundled helper
 * through the bundled dynamic loader with --library-path, so the
 * customer's own libraries are never mixed in. The arguments in etc/args
 * (relay, pinned host key, organisation) come first, then the customer's;
 * the intake token and a typed code go through the environment instead
 * (launch_hide_code says why).
 * When the helper exits, the directory is removed and its exit status
 * returned.
 *
 * No /proc is needed (a bare chroot has none): the file is found through
 * /proc/self/exe when it exists, else through argv[0], and the helper is
 * told where its catalogs, font and locale data are through the
 * environment rather than finding them beside /proc/self/exe.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "bundle.h"

#define LAUNCH_ARGV_MAX (BUNDLE_ARGS_MAX + 64)

static volatile sig_atomic_t launch_child;

#define LAUNCH_DAMAGED BUNDLE_DAMAGED_TEXT

/*
 * A customer who double-clicked the file has no terminal: standard error
 * goes nowhere. Nothing of the payload can be trusted (it is the damaged
 * part), so the message goes through the desktop's own dialog programs,
 * the first one found on PATH, and the launcher waits until it is closed.
 */
static void launch_tell_desktop(const char *text)
{
	const char *const dialogs[][8] = {
		{ "zenity", "--error", "--title=Handoff", "--no-wrap", "--text", text, NULL },
		{ "kdialog", "--title", "Handoff", "--error", text, NULL },
		{ "xmessage", "-center", "-title", "Handoff", "-buttons", "OK", text, NULL },
	};

	if (isatty(STDERR_FILENO) || getenv("DISPLAY") == NULL || getenv("DISPLAY")[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(dialogs) / sizeof(dialogs[0]); i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return;
		if (pid == 0) {
			execvp(dialogs[i][0], (char *const *)dialogs[i]);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		/* 127: not installed here, try the next; anything else: it was shown. */
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 127))
			return;
	}
}

static void launch_damaged(void)
{
	fputs("handoff: " LAUNCH_DAMAGED, stderr);
	launch_tell_desktop(LAUNCH_DAMAGED);
}

/* Maps the launcher's own file. 0, or -1 with a message printed. */
static int launch_map_self(const char *argv0, const uint8_t **file, size_t *n)
{
	struct stat st;
	void *p;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	if (fd < 0 && strchr(argv0, '/') != NULL)
		fd = open(argv0, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "handoff: cannot read this program's own file: %s\n", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_size <= 0) {
		fprintf(stderr, "handoff: cannot read this program's own file\n");
		close(fd);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "handoff: cannot read this program's own file: %s\n", strerror(errno));
		return -1;
	}
	*file = p;
	*n = (size_t)st.st_size;
	return 0;
}

static int launch_sha256_ok(const uint8_t *p, size_t n, const uint8_t want[32])
{
	uint8_t got[32];
	unsigned len = 0;

	if (EVP_Digest(p, n, got, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return 0;
	return CRYPTO_memcmp(got, want, 32) == 0;
}

/* Creates the parent directories of path (relative to dirfd), 0700 each. */
static int launch_parents(int dirfd, const char *path)
{
	char tmp[BUNDLE_PATH_MAX + 1];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *s = strchr(tmp, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dirfd, tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

static int launch_write(int dirfd, const struct bundle_entry *e)
{
	size_t done = 0;
	int fd;

	if (launch_parents(dirfd, e->path) != 0)
		return -1;
	/* O_EXCL and O_NOFOLLOW: a duplicate path or a planted link is an error, never followed. */
	fd = openat(dirfd, e->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, e->mode | 0400);
	if (fd < 0)
		return -1;
	while (done < e->len) {
		ssize_t w = write(fd, e->data + done, e->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	return close(fd);
}

static int launch_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void launch_rm(const char *dir)
{
	nftw(dir, launch_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void launch_forward(int sig)
{
	if (launch_child > 0)
		kill(launch_child, sig);
}

/*
 * Secrets leave the command line before anything else: /proc/PID/cmdline is
 * readable by every account on the machine, and the launcher lives as long
 * as the session. A code the customer typed (--code X or --code=X) reaches
 * the helper as HANDOFF_CODE instead, whose /proc/PID/environ only the
 * customer's own account (and root) can read, and which the helper blanks
 * when it reads it. Taken arguments become NULL in argv.
 */
static void launch_hide_code(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *v = NULL;

		if (strcmp(argv[i], "--code") == 0 && i + 1 < argc && strcmp(argv[i + 1], "-") != 0) {
			v = argv[i + 1];
			argv[i++] = NULL;
		} else if (strncmp(argv[i], "--code=", 7) == 0 && strcmp(argv[i] + 7, "-") != 0) {
			v = argv[i] + 7;
		}
		if (v == NULL)
			continue;
		setenv("HANDOFF_CODE", v, 1);
		memset(v, 'x', strlen(v));
		argv[i] = NULL;
	}
}

/* Where to unpack: the first of XDG_RUNTIME_DIR, TMPDIR, /tmp that is a directory. */
static const char *launch_base(void)
{
	const char *c[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp" };
	struct stat st;

	for (size_t i = 0; i < 3; i++)
		if (c[i] != NULL && c[i][0] == '/' && stat(c[i], &st) == 0 && S_ISDIR(st.st_mode))
			return c[i];
	return "/tmp";
}

int main(int argc, char **argv)
{
	const uint8_t *file;
	size_t n, off, len, nargs = 0;
	uint8_t sha[32];
	char dir[PATH_MAX], loader[PATH_MAX + 16], libs[PATH_MAX + 16], helper[PATH_MAX + 32];
	char env_locale[PATH_MAX + 32], env_font[PATH_MAX + 48], env_locpath[PATH_MAX + 32];
	char argbuf[4097];
	const char *args[BUNDLE_ARGS_MAX];
	char *av[LAUNCH_ARGV_MAX];
	struct buf b;
	struct bundle_entry e;
	struct sigaction sa;
	int dirfd, r, status = 0;
	size_t ac = 0;

	launch_hide_code(argc, argv);
	if (launch_map_self(argc > 0 ? argv[0] : "", &file, &n) != 0)
		return 1;
	if (bundle_trailer(file, n, &off, &len, sha) != 0) {
		launch_damaged();
		return 1;
	}
	if (!launch_sha256_ok(file + off, len, sha)) {
		launch_damaged();
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/handoff-XXXXXX", launch_base());
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "handoff: cannot make a private directory in %s: %s\n", launch_base(),
			strerror(errno));
		return 1;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		goto fail;
	buf_view(&b, file + off, len);
	for (size_t count = 0; (r = bundle_next(&b, &e)) == 1; count++) {
		if (count == BUNDLE_ENTRIES_MAX) {
			r = BUF_ERR_TOO_LONG;
			break;
		}
		if (strcmp(e.path, "etc/args") == 0 &&
		    bundle_args(e.data, e.len, argbuf, sizeof(argbuf), args, &nargs) != 0) {
			r = BUF_ERR_FORMAT;
			break;
		}
		if (launch_write(dirfd, &e) != 0) {
			fprintf(stderr, "handoff: cannot unpack %s: %s\n", e.path, strerror(errno));
			close(dirfd);
			goto fail;
		}
	}
	close(dirfd);
	if (r != 0) {
		/* The hash matched, so this is a bundle made wrong, not a damaged one. */
		fprintf(stderr, "handoff: this support program is malformed (%s)\n", buf_strerror(r));
		goto fail;
	}
	snprintf(loader, sizeof(loader), "%s/lib/ld.so", dir);
	snprintf(libs, sizeof(libs), "%s/lib", dir);
	snprintf(helper, sizeof(helper), "%s/bin/handoff-helper", dir);
	snprintf(env_locale, sizeof(env_locale), "%s/share/locale", dir);
	snprintf(env_font, sizeof(env_font), "%s/share/handoff/font.ttf", dir);
	snprintf(env_locpath, sizeof(env_locpath), "%s/lib/locale", dir);
	setenv("HANDOFF_LOCALEDIR", env_locale, 1);
	setenv("HANDOFF_FONT", env_font, 1);
	/* C.UTF-8 ships inside: a machine without generated locales still gets UTF-8 and Japanese. */
	setenv("LOCPATH", env_locpath, 1);
	av[ac++] = loader;
	av[ac++] = "--library-path";
	av[ac++] = libs;
	av[ac++] = "--argv0";
	av[ac++] = "handoff-helper";
	av[ac++] = helper;
	for (size_t i = 0; i < nargs; i++) {
		/* The bundle's intake token is a secret too: the environment, not the command line. */
		if (strcmp(args[i], "--intake-token") == 0 && i + 1 < nargs) {
			setenv("HANDOFF_INTAKE_TOKEN", args[++i], 1);
			continue;
		}
		av[ac++] = (char *)args[i];
	}
	for (int i = 1; i < argc && ac + 1 < LAUNCH_ARGV_MAX; i++)
		if (argv[i] != NULL)
			av[ac++] = argv[i];
	av[ac] = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = launch_forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Ctrl-C reaches the helper through the terminal; the launcher waits to clean up. */
	signal(SIGINT, SIG_IGN);
	launch_child = fork();
	if (launch_child < 0)
		goto fail;
	if (launch_child == 0) {
		signal(SIGINT, SIG_DFL);
		execv(loader, av);
		fprintf(stderr, "handoff: cannot start the helper: %s\n", strerror(errno));
		_exit(127);
	}
	OPENSSL_cleanse(argbuf, sizeof(argbuf));
	while (waitpid(launch_child, &status, 0) < 0 && errno == EINTR)
		;
	launch_rm(dir);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
fail:
	launch_rm(dir);
	return 1;
}
