/*
 * sshutil: the SSH pieces both clients (helper and technician) share, on
 * top of libssh: connecting with a pinned relay host key, authenticating,
 * and printing key fingerprints the way OpenSSH does ("SHA256:" + base64
 * without padding), so an operator can compare them by eye with ssh-keygen -l.
 */
#ifndef HANDOFF_SSHUTIL_H
/* A relay's banner that begins so explains a refusal that follows it (sshutil_auth_key). */
#define SSHUTIL_BANNER_PREFIX "Handoff: "
#define HANDOFF_SSHUTIL_H

#include <stddef.h>

#include <libssh/libssh.h>

#define SSHUTIL_FP_MAX 64   /* "SHA256:" + 43 base64 chars + NUL fits */

/* OpenSSH-style SHA256 fingerprint of key into out. 0 or -1. */
int sshutil_fingerprint(ssh_key key, char *out, size_t outlen);
/* Fingerprint of the public key in a file (.pub or private). 0 or -1. */
int sshutil_fingerprint_file(const char *path, char *out, size_t outlen);

/*
 * Opens a blocking session to host:port as user and checks the server's
 * host key against pinned_fp ("SHA256:..."). On a mismatch, or when
 * pinned_fp is NULL, fails with an error naming the fingerprint seen.
 * Returns the connected, not yet authenticated, session (caller frees with
 * sshutil_close) or NULL with err filled.
 */
ssh_session sshutil_connect(const char *host, unsigned port, const char *user,
			    const char *pinned_fp, char *err, size_t errlen);
/*
 * Public-key login with the private key in keyfile; when keyfile-cert.pub
 * exists (an OpenSSH certificate for it), that is offered first. 0 or -1
 * with err.
 */
int sshutil_auth_pubkey(ssh_session s, const char *keyfile, char *err, size_t errlen);
/*
 * Keyboard-interactive login answering the relay's prompt with code. 0;
 * -2 when the relay refused the code (it never says why: wrong, expired,
 * used and locked look alike); SSHUTIL_AUTH_UNCHECKED when the relay said
 * in a banner that it could not check it (its database is down: the code
 * was not tried, err holds the relay's words, escaped); -1 when its
 * prompts could not be answered.
 */
#define SSHUTIL_AUTH_UNCHECKED (-4)
int sshutil_auth_code(ssh_session s, const char *code, char *err, size_t errlen);
/*
 * Keyboard-interactive with an intake token (code.h): answers the code
 * prompt with "intake:" and the token, then the relay's two prompts with
 * name and description. When the relay then shows self-help articles
 * (INTAKE_SELFHELP_NAME), selfhelp(arg, text) is asked with their text as
 * the relay sent it (untrusted: clean before showing): 1 opens the ticket,
 * 0 says they solved the problem, -1 gave up. selfhelp NULL opens the
 * ticket. 0 signed in; -2 when the relay said the token's hourly limit is
 * reached; -3 when the customer said the articles solved it; -1 otherwise,
 * with err.
 */
typedef int (*sshutil_selfhelp_fn)(void *arg, const char *articles);
int sshutil_auth_intake(ssh_session s, const char *token, const char *name, const char *desc,
			sshutil_selfhelp_fn selfhelp, void *arg, char *err,
			size_t errlen);
/* Disconnects (if connected) and frees. NULL is fine. */
void sshutil_close(ssh_session s);

#endif
