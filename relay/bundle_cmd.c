/*
 * bundle_cmd.c: `handoff-relay bundle DIR --out FILE`, the one-file helper for
 * customers (format in protocol/bundle.h).
 *
 * What goes in: the static launcher and the helper from beside this
 * program, every shared library the helper needs (ldd's list, plus the X
 * extension libraries SDL opens with dlopen, which ldd cannot see, and
 * their own dependencies), the dynamic loader as lib/ld.so, the message
 * catalogs, a font that covers Japanese, glibc's C.UTF-8 locale data, and
 * etc/args: the relay's address, the pinned host key fingerprint of this
 * relay home, the organisation's name and a fresh intake token (code.h)
 * whose HMAC goes into the relay's database. The helper then runs on a
 * machine that has none of those libraries (tests/e2e/test_bundle.sh runs
 * it in an empty chroot).
 *
 * --target windows: the file is build/win64/handoff-helper.exe (make
 * windows; beside this program's bin/ as ../win64/, or --helper FILE)
 * with only etc/args as its payload. The .exe is statically linked and its
 * own launcher: it finds the trailer at the end of its own file, checks
 * the hash and takes the arguments (client/platform_win32.c). Windows
 * loads a PE file's headers and sections and ignores bytes appended after
 * them, so the file still runs. The font is the system's (platform.h).
 *
 * ldd is spawned with an argv array and its output is read bounded; only
 * absolute paths it names are taken. The file is written beside FILE and
 * renamed into place, so a failed run leaves no half bundle.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "bundle.h"
#include "code.h"
#include "config.h"
#include "home.h"
#include "bundle_cmd.h"
#include "priv.h"
#include "sshutil.h"
#include "store.h"
#include "utf8.h"

#define BUNDLE_LIBS_MAX 256
#define BUNDLE_LDD_OUT_MAX (1024 * 1024)

extern char **environ;

/* Libraries SDL2 opens at run time (dlopen), so ldd does not list them. */
static const char *const bundle_dlopened[] = {
	"libXcursor.so.1", "libXi.so.6", "libXinerama.so.1", "libXrandr.so.2", "libXss.so.1",
	"libXxf86vm.so.1", "libXfixes.so.3", "libXext.so.6", "libX11.so.6", "libxkbcommon.so.0",
};

static const char *const bundle_fonts[] = {
	"/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
	"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
	"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
};

struct bundle_writer {
	FILE *out;
	EVP_MD_CTX *md;
	uint64_t payload;
	char err[PATH_MAX + 640];
};

struct bundle_libs {
	char *path[BUNDLE_LIBS_MAX];
	size_t n;
	char loader[PATH_MAX];
};

static int bundle_emit(struct bundle_writer *w, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (fwrite(p, 1, n, w->out) != n || EVP_DigestUpdate(w->md, p, n) != 1) {
		snprintf(w->err, sizeof(w->err), "cannot write the bundle: %s", strerror(errno));
		return -1;
	}
	w->payload += n;
	return 0;
}

static int bundle_add_bytes(struct bundle_writer *w, const char *path, uint32_t mode, const void *p,
			    size_t n)
{
	struct buf h;
	int rc;

	buf_init(&h, BUNDLE_PATH_MAX + 16);
	rc = bundle_entry_header(&h, path, mode, (uint32_t)n);
	if (rc != 0 || n > BUNDLE_ENTRY_MAX) {
		snprintf(w->err, sizeof(w->err), "cannot add %s to the bundle", path);
		buf_free(&h);
		return -1;
	}
	rc = bundle_emit(w, buf_ptr(&h), buf_len(&h));
	buf_free(&h);
	if (rc != 0)
		return -1;
	return bundle_emit(w, p, n);
}

/* Adds the file at src as path. Symbolic links are followed: the bundle holds contents. */
static int bundle_add_file(struct bundle_writer *w, const char *path, uint32_t mode, const char *src)
{
	struct stat st;
	uint8_t *data;
	size_t got = 0;
	int fd = open(src, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > BUNDLE_ENTRY_MAX) {
		snprintf(w->err, sizeof(w->err), "cannot read %s%s%s", src, fd < 0 ? ": " : "",
			 fd < 0 ? strerror(errno) : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	data = malloc((size_t)st.st_size + 1);
	if (data == NULL) {
		close(fd);
		snprintf(w->err, sizeof(w->err), "out of memory");
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, data + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(data);
		snprintf(w->err, sizeof(w->err), "cannot read %s", src);
		return -1;
	}
	rc = bundle_add_bytes(w, path, mode, data, got);
	free(data);
	return rc;
}

static int bundle_has(const struct bundle_libs *l, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	for (size_t i = 0; i < l->n; i++) {
		const char *b = strrchr(l->path[i], '/');

		if (strcmp(b != NULL ? b + 1 : l->path[i], base) == 0)
			return 1;
	}
	return 0;
}

/* Takes the absolute paths out of ldd's output (trusted tool, but read bounded). */
static int bundle_parse_ldd(char *out, struct bundle_libs *l, char *err, size_t errlen)
{
	for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *arrow = strstr(line, "=> "), *p, *end;

		p = arrow != NULL ? arrow + 3 : line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '/')
			continue;  /* linux-vdso, "not a dynamic executable", a file header line */
		end = strchr(p, ' ');
		if (end != NULL)
			*end = '\0';
		if (arrow == NULL && strstr(p, "/ld-linux") != NULL) {
			snprintf(l->loader, sizeof(l->loader), "%s", p);
			continue;
		}
		if (arrow == NULL || bundle_has(l, p))
			continue;
		if (l->n == BUNDLE_LIBS_MAX) {
			snprintf(err, errlen, "more than %d libraries", BUNDLE_LIBS_MAX);
			return -1;
		}
		l->path[l->n] = strdup(p);
		if (l->path[l->n] == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		l->n++;
	}
	return 0;
}

/* Runs ldd on files (NULL-terminated) and adds what it names to l. */
static int bundle_ldd(const char *const *files, struct bundle_libs *l, char *err, size_t errlen)
{
	char *argv[BUNDLE_LIBS_MAX + 2];
	char *out = NULL;
	size_t n = 0, argc = 0;
	posix_spawn_file_actions_t fa;
	int pfd[2], status = 0, rc = -1;
	pid_t pid;

	argv[argc++] = "ldd";
	for (size_t i = 0; files[i] != NULL && argc < BUNDLE_LIBS_MAX + 1; i++)
		argv[argc++] = (char *)files[i];
	argv[argc] = NULL;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	if (posix_spawnp(&pid, "ldd", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pfd[0]);
		close(pfd[1]);
		snprintf(err, errlen, "cannot run ldd");
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	out = malloc(BUNDLE_LDD_OUT_MAX + 1);
	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		goto wait;
	}
	for (;;) {
		ssize_t r = read(pfd[0], out + n, BUNDLE_LDD_OUT_MAX - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == BUNDLE_LDD_OUT_MAX) {
			snprintf(err, errlen, "ldd printed more than %d bytes", BUNDLE_LDD_OUT_MAX);
			goto wait;
		}
	}
	out[n] = '\0';
	rc = 0;
wait:
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		snprintf(err, errlen, "ldd failed on the helper");
		rc = -1;
	}
	if (rc == 0)
		rc = bundle_parse_ldd(out, l, err, errlen);
	free(out);
	return rc;
}

/* The helper's libraries, SDL's dlopen'ed ones and theirs, and the loader. */
static int bundle_collect_libs(const char *helper, struct bundle_libs *l, char *err, size_t errlen)
{
	const char *files[2] = { helper, NULL };
	const char *extra[sizeof(bundle_dlopened) / sizeof(bundle_dlopened[0]) + 1];
	char dir[PATH_MAX] = "", *slash;
	size_t ne = 0;
	static char paths[sizeof(bundle_dlopened) / sizeof(bundle_dlopened[0])][PATH_MAX + 64];

	if (bundle_ldd(files, l, err, errlen) != 0)
		return -1;
	if (l->loader[0] == '\0') {
		snprintf(err, errlen, "ldd named no dynamic loader for %s", helper);
		return -1;
	}
	/* The dlopen'ed libraries live where libSDL2 does. */
	for (size_t i = 0; i < l->n; i++)
		if (strstr(l->path[i], "/libSDL2-2.0.so") != NULL)
			snprintf(dir, sizeof(dir), "%s", l->path[i]);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		snprintf(err, errlen, "the helper does not use libSDL2");
		return -1;
	}
	*slash = '\0';
	for (size_t i = 0; i < sizeof(bundle_dlopened) / sizeof(bundle_dlopened[0]); i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, bundle_dlopened[i]);
		if (access(paths[i], R_OK) == 0 && !bundle_has(l, paths[i])) {
			extra[ne++] = paths[i];
			l->path[l->n++] = strdup(paths[i]);
			if (l->path[l->n - 1] == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	extra[ne] = NULL;
	return ne > 0 ? bundle_ldd(extra, l, err, errlen) : 0;
}

/* Everything under /usr/lib/locale/C.utf8, as lib/locale/C.utf8/... */
static struct bundle_writer *bundle_walk_w;
static int bundle_walk_rc;

static int bundle_walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char name[BUNDLE_PATH_MAX + 1];
	const char *rel = strstr(path, "/C.utf8");

	(void)st;
	(void)ftw;
	if (type != FTW_F || rel == NULL)
		return 0;
	snprintf(name, sizeof(name), "lib/locale%s", rel);
	if (bundle_add_file(bundle_walk_w, name, 0600, path) != 0) {
		bundle_walk_rc = -1;
		return 1;
	}
	return 0;
}

static int bundle_add_locale(struct bundle_writer *w)
{
	bundle_walk_w = w;
	bundle_walk_rc = 0;
	if (access("/usr/lib/locale/C.utf8", R_OK) != 0)
		return 0;  /* the helper falls back to English in a bare root then; not fatal */
	nftw("/usr/lib/locale/C.utf8", bundle_walk_one, 8, 0);
	return bundle_walk_rc;
}

/* Message catalogs from BIN/../share/locale/LANG/LC_MESSAGES/handoff-helper.mo. */
static int bundle_add_catalogs(struct bundle_writer *w, const char *bindir)
{
	char dir[PATH_MAX + 32], src[PATH_MAX + 320], name[BUNDLE_PATH_MAX + 320];
	struct dirent *d;
	DIR *dp;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/../share/locale", bindir);
	dp = opendir(dir);
	if (dp == NULL) {
		snprintf(w->err, sizeof(w->err), "no message catalogs in %s", dir);
		return -1;
	}
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || strlen(d->d_name) > 16)
			continue;
		snprintf(src, sizeof(src), "%s/%s/LC_MESSAGES/handoff-helper.mo", dir, d->d_name);
		if (access(src, R_OK) != 0)
			continue;
		snprintf(name, sizeof(name), "share/locale/%s/LC_MESSAGES/handoff-helper.mo", d->d_name);
		rc = bundle_add_file(w, name, 0600, src);
	}
	closedir(dp);
	return rc;
}

/*
 * Records a new intake token's hash in the relay's database. The database
 * belongs to the relay's account: when run as root, a child becomes that
 * account for the write (files it creates must stay the relay's), while
 * this process keeps writing the bundle where root was asked to. 0 with
 * *id set, or -1 with err.
 */
static int bundle_store_intake(const char *dir, const struct relay_home *home, const char *org,
			       const uint8_t hash[CODE_HASH_LEN], int64_t *id, char *err, size_t errlen)
{
	int fds[2], status = 0;
	pid_t pid;
	ssize_t n;

	if (pipe(fds) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		struct store *st = NULL;
		char cerr[512] = "";
		int64_t got = 0;
		int ok;

		close(fds[0]);
		ok = relay_priv_become_owner(dir, cerr, sizeof(cerr)) == 0 &&
		     store_open(home->store, &st, cerr, sizeof(cerr)) == 0 &&
		     store_intake_add(st, hash, org, (int64_t)time(NULL), &got) == STORE_OK;
		if (!ok)
			fprintf(stderr, "handoff-relay bundle: cannot record the intake token: %s\n",
				cerr[0] ? cerr : "database error");
		store_close(st);
		if (ok && write(fds[1], &got, sizeof(got)) != (ssize_t)sizeof(got))
			ok = 0;
		_exit(ok ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], id, sizeof(*id));
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    n != (ssize_t)sizeof(*id)) {
		snprintf(err, errlen, "the intake token was not recorded");
		return -1;
	}
	return 0;
}

#define BUNDLE_ALSO_MAX 7   /* other relays in one bundle (the helper's HELPER_CLI_RELAYS_MAX - 1) */

static int bundle_add_args(struct bundle_writer *w, const char *relay, const char *fp, const char *org,
			   const char *token, const char *const *also, size_t also_n)
{
	char args[4096];
	size_t n = 0;
	const char *words[8 + 2 * BUNDLE_ALSO_MAX] = { "--relay", relay, "--host-key", fp, "--intake-token", token };
	size_t nw = 6;

	if (org != NULL) {
		words[nw++] = "--org";
		words[nw++] = org;
	}
	for (size_t i = 0; i < also_n && i < BUNDLE_ALSO_MAX; i++) {
		words[nw++] = "--also-relay";
		words[nw++] = also[i];
	}

	for (size_t i = 0; i < nw; i++) {
		size_t len = strlen(words[i]);

		if (n + len + 1 > sizeof(args)) {
			snprintf(w->err, sizeof(w->err), "the arguments are too long");
			return -1;
		}
		memcpy(args + n, words[i], len + 1);
		n += len + 1;
	}
	{
		int rc = bundle_add_bytes(w, "etc/args", 0600, args, n);

		OPENSSL_cleanse(args, sizeof(args));
		return rc;
	}
}

static int bundle_copy_launcher(struct bundle_writer *w, const char *path)
{
	char chunk[65536];
	size_t r;
	FILE *in = fopen(path, "rb");

	if (in == NULL) {
		snprintf(w->err, sizeof(w->err), "cannot read the launcher %s: %s", path, strerror(errno));
		return -1;
	}
	while ((r = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		if (fwrite(chunk, 1, r, w->out) != r) {
			fclose(in);
			snprintf(w->err, sizeof(w->err), "cannot write the bundle: %s", strerror(errno));
			return -1;
		}
	}
	fclose(in);
	return 0;
}

/* The Linux bundle's files after etc/args: the helper, its loader and libraries, font, catalogs, locale. */
static int bundle_add_linux(struct bundle_writer *w, const char *helper, const struct bundle_libs *libs,
			    const char *font, const char *bindir)
{
	char name[BUNDLE_PATH_MAX + 1];

	if (bundle_add_file(w, "bin/handoff-helper", 0700, helper) != 0 ||
	    bundle_add_file(w, "lib/ld.so", 0700, libs->loader) != 0)
		return -1;
	for (size_t i = 0; i < libs->n; i++) {
		snprintf(name, sizeof(name), "lib/%s", strrchr(libs->path[i], '/') + 1);
		if (bundle_add_file(w, name, 0600, libs->path[i]) != 0)
			return -1;
	}
	if (bundle_add_file(w, "share/handoff/font.ttf", 0600, font) != 0 || bundle_add_catalogs(w, bindir) != 0 ||
	    bundle_add_locale(w) != 0)
		return -1;
	return 0;
}

static void bundle_usage(void)
{
	fputs("usage: handoff-relay bundle DIR --out FILE [--org NAME] [--relay HOST:PORT]\n"
	      "                           [--target linux|windows] [--helper FILE.exe]\n"
	      "                           [--also-relay HOST:PORT=SHA256:...]...\n"
	      "  Writes FILE: one executable for customers with this relay's address (from\n"
	      "  DIR/relay.conf's listen, or --relay when customers reach it elsewhere), its\n"
	      "  pinned host key and the organisation's name built in. Run with no arguments\n"
	      "  (double-clicked), it asks the customer for the support code, or for a short\n"
	      "  description that opens a ticket in the L1 queue: each bundle carries its own\n"
	      "  intake token (see handoff-relay intake DIR list|revoke ID). --target windows\n"
	      "  makes a Windows .exe from handoff-helper.exe (make windows; --helper names it).\n"
	      "  --also-relay (up to 7; relay.conf's also_relays when none is given) names\n"
	      "  other relays of the same store with their host keys (handoff-relay init\n"
	      "  printed them): when this relay is lost, the helper goes on through the next.\n",
	      stderr);
}

int relay_cmd_bundle(int argc, char **argv)
{
	struct relay_home home;
	struct bundle_writer w = { 0 };
	struct bundle_libs libs = { 0 };
	const char *out = NULL, *org = NULL, *relay = NULL, *font = NULL, *target = "linux", *win_exe = NULL;
	char err[PATH_MAX + 640] = "", fp[128], addr[300], exe[PATH_MAX], bindir[PATH_MAX];
	char launcher[PATH_MAX + 32], helper[PATH_MAX + 32], tmp[PATH_MAX + 16];
	char host[256], token[INTAKE_TOKEN_TEXT_MAX] = "";
	unsigned port;
	uint8_t sha[32], trailer[BUNDLE_TRAILER_LEN], token_hash[CODE_HASH_LEN];
	int64_t intake_id = 0;
	const char *also[BUNDLE_ALSO_MAX];
	size_t also_n = 0;
	unsigned mdlen = 0;
	ssize_t n;
	int rc = 1, tmp_fd;

	memset(&home, 0, sizeof(home));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
			org = argv[++i];
		else if (strcmp(argv[i], "--relay") == 0 && i + 1 < argc)
			relay = argv[++i];
		else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc)
			target = argv[++i];
		else if (strcmp(argv[i], "--helper") == 0 && i + 1 < argc)
			win_exe = argv[++i];
		else if (strcmp(argv[i], "--also-relay") == 0 && i + 1 < argc && also_n < BUNDLE_ALSO_MAX) {
			const char *a = argv[++i], *eq = strstr(a, "=SHA256:");
			char where[300];

			if (eq == NULL || eq[8] == '\0' || (size_t)(eq - a) >= sizeof(where)) {
				fprintf(stderr, "handoff-relay bundle: --also-relay '%s' is not HOST:PORT=SHA256:...\n", a);
				return 2;
			}
			memcpy(where, a, (size_t)(eq - a));
			where[eq - a] = '\0';
			if (config_parse_hostport(where, host, sizeof(host), &port) != 0) {
				fprintf(stderr, "handoff-relay bundle: --also-relay '%s' is not HOST:PORT=SHA256:...\n", a);
				return 2;
			}
			also[also_n++] = a;
		} else {
			bundle_usage();
			return 2;
		}
	}
	if (strcmp(target, "linux") != 0 && strcmp(target, "windows") != 0) {
		fprintf(stderr, "handoff-relay bundle: --target is linux or windows, not '%s'\n", target);
		return 2;
	}
	if (argc < 1 || out == NULL || (win_exe != NULL && strcmp(target, "windows") != 0) || (org != NULL && (org[0] == '\0' || strlen(org) > 128 ||
						       !utf8_valid(org, strlen(org))))) {
		bundle_usage();
		return 2;
	}
	if (relay_home_open(argv[0], &home, err, sizeof(err)) != 0 ||
	    sshutil_fingerprint_file(home.host_key_path, fp, sizeof(fp)) != 0) {
		fprintf(stderr, "handoff-relay bundle: %s\n", err[0] ? err : "cannot read the host key");
		goto out;
	}
	/* No --also-relay: relay.conf's also_relays (checked by relay_home_open), cut in place. */
	if (also_n == 0 && home.also_relays[0] != '\0') {
		char *save = NULL;

		for (char *word = strtok_r(home.also_relays, " \t", &save); word != NULL && also_n < BUNDLE_ALSO_MAX;
		     word = strtok_r(NULL, " \t", &save))
			also[also_n++] = word;
	}
	if (relay == NULL) {
		if (strcmp(home.listen_host, "0.0.0.0") == 0 || strcmp(home.listen_host, "::") == 0) {
			fprintf(stderr, "handoff-relay bundle: the relay listens on every address; "
					"pass --relay HOST:PORT as customers reach it\n");
			goto out;
		}
		snprintf(addr, sizeof(addr), strchr(home.listen_host, ':') ? "[%s]:%u" : "%s:%u",
			 home.listen_host, home.listen_port);
		relay = addr;
	} else if (config_parse_hostport(relay, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "handoff-relay bundle: --relay '%s' is not HOST:PORT\n", relay);
		goto out;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "handoff-relay bundle: cannot find this program's directory\n");
		goto out;
	}
	exe[n] = '\0';
	snprintf(bindir, sizeof(bindir), "%s", exe);
	*strrchr(bindir, '/') = '\0';
	snprintf(launcher, sizeof(launcher), "%s/handoff-launch", bindir);
	snprintf(helper, sizeof(helper), "%s/handoff-helper", bindir);
	if (strcmp(target, "windows") == 0) {
		/* The .exe is the launcher; nothing else goes in but etc/args. */
		if (win_exe != NULL)
			snprintf(launcher, sizeof(launcher), "%s", win_exe);
		else
			snprintf(launcher, sizeof(launcher), "%s/../win64/handoff-helper.exe", bindir);
		if (access(launcher, R_OK) != 0) {
			fprintf(stderr, "handoff-relay bundle: no Windows helper at %s (make windows)\n", launcher);
			goto out;
		}
	}
	for (size_t i = 0; strcmp(target, "linux") == 0 && i < sizeof(bundle_fonts) / sizeof(bundle_fonts[0]) && font == NULL; i++)
		if (access(bundle_fonts[i], R_OK) == 0)
			font = bundle_fonts[i];
	if (font == NULL && strcmp(target, "linux") == 0) {
		fprintf(stderr, "handoff-relay bundle: no Japanese font (install fonts-ipafont-gothic)\n");
		goto out;
	}
	if (strcmp(target, "linux") == 0 && bundle_collect_libs(helper, &libs, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay bundle: %s\n", err);
		goto out;
	}

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	/*
	 * 0700 from the first byte, not after: the file carries the intake token, and a
	 * bundle readable by everyone on this machine hands that token to every local
	 * account (README, Customer: the operator hands it out, not the file system).
	 */
	tmp_fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	w.out = tmp_fd >= 0 ? fdopen(tmp_fd, "wb") : NULL;
	if (w.out == NULL && tmp_fd >= 0)
		close(tmp_fd);
	w.md = EVP_MD_CTX_new();
	if (w.out == NULL || w.md == NULL || EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "handoff-relay bundle: cannot create %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (intake_token_generate(token) != 0 ||
	    intake_token_hash(home.pepper, sizeof(home.pepper), token, token_hash) != 0 ||
	    bundle_store_intake(argv[0], &home, org, token_hash, &intake_id, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-relay bundle: %s\n", err[0] ? err : "cannot make an intake token");
		goto fail;
	}
	if (bundle_copy_launcher(&w, launcher) != 0 || bundle_add_args(&w, relay, fp, org, token, also, also_n) != 0)
		goto fail;
	if (strcmp(target, "linux") == 0 && bundle_add_linux(&w, helper, &libs, font, bindir) != 0)
		goto fail;
	if (EVP_DigestFinal_ex(w.md, sha, &mdlen) != 1 || mdlen != sizeof(sha))
		goto fail;
	bundle_trailer_encode(w.payload, sha, trailer);
	if (fwrite(trailer, 1, sizeof(trailer), w.out) != sizeof(trailer) || fflush(w.out) != 0 ||
	    fchmod(fileno(w.out), 0700) != 0 || fsync(fileno(w.out)) != 0) {
		snprintf(w.err, sizeof(w.err), "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fclose(w.out);
	w.out = NULL;
	if (rename(tmp, out) != 0) {
		fprintf(stderr, "handoff-relay bundle: cannot rename %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	printf("bundle %s: relay %s, host key %s, %zu other relay%s, intake token %lld, %zu libraries, payload %llu "
	       "bytes\n", out, relay, fp, also_n, also_n == 1 ? "" : "s", (long long)intake_id, libs.n,
	       (unsigned long long)w.payload);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "handoff-relay bundle: %s\n", w.err[0] ? w.err : "cannot write the bundle");
	if (w.out != NULL) {
		fclose(w.out);
		w.out = NULL;
	}
	unlink(tmp);
out:
	OPENSSL_cleanse(token, sizeof(token));
	if (w.out != NULL)
		fclose(w.out);
	EVP_MD_CTX_free(w.md);
	for (size_t i = 0; i < libs.n; i++)
		free(libs.path[i]);
	relay_home_clear(&home);
	return rc;
}
