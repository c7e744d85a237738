/*
 * priv: least privilege for the relay.
 *
 * The relay never runs as root. Started as root (to bind a low port, or
 * from an init system), `serve` binds its port and then becomes the
 * account that owns the relay home: `user = NAME` in relay.conf, or else
 * the home directory's owner. A home owned by root with no `user` is
 * refused: there is no one to become. The home's secrets must be private
 * to that account: the directory and keys/ 0700, every secret file 0600,
 * all owned by it; `serve` names the first file that is not and stops.
 *
 * The administration commands (user add, recording-key) run as root on a
 * home owned by someone else become that owner first, so that whatever
 * they create stays readable by the relay.
 */
#ifndef HANDOFF_RELAY_PRIV_H
#define HANDOFF_RELAY_PRIV_H

#include <stddef.h>
#include <sys/types.h>

#include "home.h"

struct relay_priv {
	uid_t uid;
	gid_t gid;
	char name[64];
	int drop;        /* 1 when the process runs as root and must become uid */
};

/*
 * Who the relay runs as, for the home at h (h->run_user from relay.conf,
 * may be empty). 0, or -1 with err (root with no one to become, an unknown
 * user, a home owned by someone else).
 */
int relay_priv_target(const struct relay_home *h, struct relay_priv *p, char *err, size_t errlen);

/* The home's directories are 0700 and its secret files 0600, all owned by p->uid. 0 or -1 naming the file. */
int relay_priv_check_home(const struct relay_home *h, const struct relay_priv *p, char *err, size_t errlen);

/* Becomes p->uid for good (groups, gid, uid; root cannot be regained). 0 or -1 with err. No-op without p->drop. */
int relay_priv_drop(const struct relay_priv *p, char *err, size_t errlen);

/*
 * For the administration commands: as root on a home owned by another
 * account, become that account. First refuses a directory that is not a
 * relay home (home.h). 0 (also when nothing was to be done) or -1.
 */
int relay_priv_become_owner(const char *dir, char *err, size_t errlen);

/* Looks up an account by name. 0 or -1 with err. */
int relay_priv_lookup(const char *name, struct relay_priv *p, char *err, size_t errlen);

#endif
