/*
 * priv.c: see priv.h.
 */
#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int relay_priv_lookup(const char *name, struct relay_priv *p, char *err, size_t errlen)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	memset(p, 0, sizeof(*p));
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &found) != 0 || found == NULL) {
		snprintf(err, errlen, "no user named \"%s\" on this system", name);
		return -1;
	}
	p->uid = found->pw_uid;
	p->gid = found->pw_gid;
	snprintf(p->name, sizeof(p->name), "%s", found->pw_name);
	return 0;
}

static int relay_priv_by_uid(uid_t uid, struct relay_priv *p, char *err, size_t errlen)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	memset(p, 0, sizeof(*p));
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) != 0 || found == NULL) {
		snprintf(err, errlen, "uid %u has no account on this system", (unsigned)uid);
		return -1;
	}
	p->uid = found->pw_uid;
	p->gid = found->pw_gid;
	snprintf(p->name, sizeof(p->name), "%s", found->pw_name);
	return 0;
}

int relay_priv_target(const struct relay_home *h, struct relay_priv *p, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(h->dir, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", h->dir, strerror(errno));
		return -1;
	}
	if (geteuid() != 0) {
		/* Not root: the relay is whoever runs it, and the home must be theirs. */
		memset(p, 0, sizeof(*p));
		p->uid = geteuid();
		p->gid = getegid();
		snprintf(p->name, sizeof(p->name), "uid %u", (unsigned)p->uid);
		if (h->run_user[0] != '\0') {
			struct relay_priv want;

			if (relay_priv_lookup(h->run_user, &want, err, errlen) != 0)
				return -1;
			if (want.uid != p->uid) {
				snprintf(err, errlen, "relay.conf says user = %s, but this is uid %u; run as %s or as root",
					 h->run_user, (unsigned)p->uid, h->run_user);
				return -1;
			}
			snprintf(p->name, sizeof(p->name), "%s", want.name);
		}
		return 0;
	}
	if (h->run_user[0] != '\0') {
		if (relay_priv_lookup(h->run_user, p, err, errlen) != 0)
			return -1;
	} else if (sb.st_uid != 0) {
		if (relay_priv_by_uid(sb.st_uid, p, err, errlen) != 0)
			return -1;
	} else {
		snprintf(err, errlen,
			 "refusing to run as root: %s belongs to root and relay.conf names no user; create an "
			 "account for the relay, chown -R it the home, or set user = NAME in %s",
			 h->dir, h->conf_path);
		return -1;
	}
	if (p->uid == 0) {
		snprintf(err, errlen, "refusing to run as root: user = %s is uid 0; name an unprivileged account",
			 p->name);
		return -1;
	}
	p->drop = 1;
	return 0;
}

/* One path of the home: must exist unless optional, be private (mode & 077 == 0) and owned by p. */
static int relay_priv_check_path(const char *path, int optional, int want_dir, const struct relay_priv *p,
				 char *err, size_t errlen)
{
	struct stat sb;

	if (lstat(path, &sb) != 0) {
		if (optional && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (want_dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: expected a %s", path, want_dir ? "directory" : "regular file");
		return -1;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen, "%s is mode %04o: it must be private to the relay (chmod %s %s)", path,
			 (unsigned)(sb.st_mode & 07777), want_dir ? "700" : "600", path);
		return -1;
	}
	if (sb.st_uid != p->uid) {
		snprintf(err, errlen, "%s belongs to uid %u, not to %s (uid %u) who runs the relay (chown -R %s %s)",
			 path, (unsigned)sb.st_uid, p->name, (unsigned)p->uid, p->name, path);
		return -1;
	}
	return 0;
}

int relay_priv_check_home(const struct relay_home *h, const struct relay_priv *p, char *err, size_t errlen)
{
	char wal[PATH_MAX + 8], shm[PATH_MAX + 8], rec[PATH_MAX + 16];

	snprintf(wal, sizeof(wal), "%s-wal", h->db_path);
	snprintf(shm, sizeof(shm), "%s-shm", h->db_path);
	/* Recordings are sealed, but their names and sizes still say who was helped when. */
	snprintf(rec, sizeof(rec), "%s/recordings", h->dir);
	if (relay_priv_check_path(h->dir, 0, 1, p, err, errlen) != 0 ||
	    relay_priv_check_path(h->keys_dir, 1, 1, p, err, errlen) != 0 ||
	    relay_priv_check_path(h->conf_path, 0, 0, p, err, errlen) != 0 ||
	    relay_priv_check_path(h->host_key_path, 0, 0, p, err, errlen) != 0 ||
	    relay_priv_check_path(h->pepper_path, 0, 0, p, err, errlen) != 0 ||
	    relay_priv_check_path(h->audit_key_path, 1, 0, p, err, errlen) != 0 ||
	    relay_priv_check_path(h->db_path, 1, 0, p, err, errlen) != 0 ||
	    relay_priv_check_path(wal, 1, 0, p, err, errlen) != 0 ||
	    relay_priv_check_path(shm, 1, 0, p, err, errlen) != 0 ||
	    relay_priv_check_path(rec, 1, 1, p, err, errlen) != 0)
		return -1;
	return 0;
}

int relay_priv_drop(const struct relay_priv *p, char *err, size_t errlen)
{
	if (!p->drop)
		return 0;
	if (setgroups(1, &p->gid) != 0 || setgid(p->gid) != 0 || setuid(p->uid) != 0) {
		snprintf(err, errlen, "cannot become %s (uid %u): %s", p->name, (unsigned)p->uid, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		snprintf(err, errlen, "still able to become root after dropping to %s", p->name);
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * LeakSanitizer inspects the process through ptrace at exit, which a
	 * process that changed its uid (and so became non-dumpable) refuses. Only
	 * the sanitizer build does this; release builds stay non-dumpable, so no
	 * other process of that account can read the relay's keys from it.
	 */
	prctl(PR_SET_DUMPABLE, 1);
#endif
	return 0;
}

int relay_priv_become_owner(const char *dir, char *err, size_t errlen)
{
	struct relay_priv p;
	struct stat sb;

	/* Said first, as root or not: advice on owners and modes would send the operator the wrong way. */
	if (!relay_home_is_home(dir)) {
		relay_home_not_home(dir, err, errlen);
		return -1;
	}
	if (geteuid() != 0)
		return 0;
	if (stat(dir, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (sb.st_uid == 0)
		return 0;
	if (relay_priv_by_uid(sb.st_uid, &p, err, errlen) != 0)
		return -1;
	p.drop = 1;
	return relay_priv_drop(&p, err, errlen);
}
