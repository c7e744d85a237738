/*
 * connect: the technician's SSH login to the relay.
 *
 * The relay is trusted through the fingerprint its operator handed out
 * (printed by `handoff-relay init`), pinned or accepted once at the first
 * connection as OpenSSH does; technicians log in with their key. This
 * module turns the command-line settings into one authenticated session and
 * prints what went wrong in words a technician can act on.
 */
#ifndef HANDOFF_TECH_CONNECT_H
#define HANDOFF_TECH_CONNECT_H

#include <libssh/libssh.h>

/* Used when --relay names a host without a port. */
#define TECH_CONNECT_DEFAULT_PORT 2222u

/* --also-relay, and tech.conf's also_relay (space-separated), at most. */
#define TECH_CONNECT_ALSO_MAX 7

/* Exit status for failures before a command ran (as OpenSSH's ssh uses). */
#define TECH_EXIT_SSH 255

struct tech_connect_opts {
	const char *relay;     /* "host:port", "[v6]:port" or "host" */
	const char *identity;  /* private key file */
	const char *host_key;  /* "SHA256:..." or NULL when not pinned */
	const char *user;
	const char *known_hosts; /* OpenSSH-format file of trusted relay keys (TOFU) */
	/*
	 * Other relays of the same store, "HOST:PORT=SHA256:..." each (the
	 * pin is required: a fallback is never trusted on first use), which
	 * the viewer turns to when its relay is lost (view.c).
	 */
	const char *also[TECH_CONNECT_ALSO_MAX];
	unsigned also_n;
};

/*
 * Connects, checks the pinned host key (or the known-hosts file, asking on
 * the terminal about a key never seen) and logs in. On success *out is an
 * authenticated blocking session the caller frees with sshutil_close.
 * Returns 0, or -1 after printing the reason on stderr.
 */
int tech_connect_open(const struct tech_connect_opts *o, ssh_session *out);

#endif
