/*
 * connect.c: see connect.h. Fingerprints and public-key login are the
 * shared ones of protocol/sshutil.c; this file adds what only a person at
 * a terminal needs: trust on first use, as OpenSSH does it.
 *
 * Trust, in order: a pinned fingerprint (--host-key, HANDOFF_HOST_KEY or
 * host_key in tech.conf) is compared and nothing else is consulted. With
 * no pin, the relay's key is looked up in our own known-hosts file (the
 * OpenSSH format, kept by libssh, never ~/.ssh/known_hosts: an entry
 * someone made for plain ssh must not vouch for a relay). An unknown key
 * is shown and the technician is asked on the terminal; "yes" stores it.
 * A key that differs from the stored one is refused loudly, with no
 * prompt, because that is exactly the case an attacker in the middle
 * produces. Without a terminal there is nobody to ask, so we refuse.
 */
#include "connect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "sshutil.h"

#define TECH_CONNECT_ASK_TRIES 5

/*
 * Splits --relay into host and port. A bare host name gets the default
 * port, because that is what people type when the relay runs on it.
 */
static int tech_connect_parse_relay(const char *s, char *host, size_t hostlen, unsigned *port)
{
	if (config_parse_hostport(s, host, hostlen, port) == 0)
		return 0;
	if (*s == '\0' || strchr(s, ':') != NULL || strlen(s) >= hostlen)
		return -1;
	memcpy(host, s, strlen(s) + 1);
	*port = TECH_CONNECT_DEFAULT_PORT;
	return 0;
}

/* Makes the parent folders of path (0700), as ssh does for ~/.ssh. */
static void tech_connect_mkparents(const char *path)
{
	char dir[4096];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return;
	memcpy(dir, path, len + 1);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return;
		*p = '/';
	}
}

/*
 * Reads one answer line from the terminal into out (NUL-terminated, no
 * newline). 0, or -1 at end of input.
 */
static int tech_connect_read_answer(int tty, char *out, size_t outlen)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(tty, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		if (n + 1 < outlen)
			out[n++] = c;
	}
	while (n > 0 && (out[n - 1] == '\r' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
	return 0;
}

/* Asks on /dev/tty whether to trust fp. 1 yes, 0 no, -1 nobody to ask. */
static int tech_connect_ask(const char *relay, const char *fp, const char *known_hosts)
{
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	int answer = 0;

	if (tty < 0)
		return -1;
	dprintf(tty,
		"The authenticity of the relay at %s can't be established.\n"
		"Its host key fingerprint is %s.\n"
		"Compare it with the one the relay operator's `handoff-relay init` printed.\n"
		"Are you sure you want to continue connecting (yes/no)? ",
		relay, fp);
	for (int i = 0; i < TECH_CONNECT_ASK_TRIES; i++) {
		char line[128];

		if (tech_connect_read_answer(tty, line, sizeof(line)) != 0)
			break;
		if (strcmp(line, "yes") == 0 || strcmp(line, fp) == 0) {
			answer = 1;
			break;
		}
		if (strcmp(line, "no") == 0)
			break;
		dprintf(tty, "Please type 'yes' or 'no': ");
	}
	if (answer == 1)
		dprintf(tty, "Storing the relay's key in %s\n", known_hosts);
	close(tty);
	return answer;
}

static void tech_connect_changed(const char *relay, const char *fp, const char *known_hosts)
{
	fprintf(stderr,
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		"@    WARNING: THE RELAY'S HOST KEY HAS CHANGED!           @\n"
		"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
		"The relay at %s now presents %s,\n"
		"which is not the key stored for it in %s.\n"
		"Someone could be in the middle of your connection, or the relay was\n"
		"reinstalled. Ask the relay operator for the fingerprint `handoff-relay init`\n"
		"printed. Refusing to connect.\n",
		relay, fp, known_hosts);
}

/* Decides whether to trust the key the relay presented (no pin given). 0 or -1. */
static int tech_connect_trust(ssh_session s, const struct tech_connect_opts *o, const char *fp)
{
	enum ssh_known_hosts_e state;
	int answer;

	if (o->known_hosts == NULL) {
		fprintf(stderr, "handoff-tech: no pinned relay host key, and no known-hosts file (HOME is not set)\n");
		return -1;
	}
	state = ssh_session_is_known_server(s);

	switch (state) {
	case SSH_KNOWN_HOSTS_OK:
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		tech_connect_changed(o->relay, fp, o->known_hosts);
		return -1;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		break;
	default:
		fprintf(stderr, "handoff-tech: cannot read %s: %s\n", o->known_hosts, ssh_get_error(s));
		return -1;
	}
	answer = tech_connect_ask(o->relay, fp, o->known_hosts);
	if (answer < 0) {
		fprintf(stderr,
			"handoff-tech: the relay at %s presented the unknown host key\n"
			"    %s\n"
			"and there is no terminal to ask whether to trust it. Check it against the\n"
			"fingerprint `handoff-relay init` printed, then run once at a terminal and\n"
			"answer yes, or pin it: --host-key, HANDOFF_HOST_KEY, or host_key in tech.conf.\n",
			o->relay, fp);
		return -1;
	}
	if (answer == 0) {
		fprintf(stderr, "handoff-tech: host key not trusted; not connecting\n");
		return -1;
	}
	tech_connect_mkparents(o->known_hosts);
	if (ssh_session_update_known_hosts(s) != SSH_OK) {
		fprintf(stderr, "handoff-tech: cannot store the key in %s: %s\n", o->known_hosts,
			ssh_get_error(s));
		return -1;
	}
	return 0;
}

/* A blocking session to host:port, connected and not yet trusted. NULL after printing why. */
static ssh_session tech_connect_session(const struct tech_connect_opts *o, const char *host, unsigned port)
{
	ssh_session s = ssh_new();
	long timeout = 15;
	int no = 0;

	if (s == NULL)
		return NULL;
	if (ssh_options_set(s, SSH_OPTIONS_HOST, host) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &port) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_USER, o->user) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o->known_hosts != NULL ? o->known_hosts : "/dev/null") != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != 0) {
		fprintf(stderr, "handoff-tech: bad connection options: %s\n", ssh_get_error(s));
		ssh_free(s);
		return NULL;
	}
	if (ssh_connect(s) != SSH_OK) {
		fprintf(stderr, "handoff-tech: cannot connect to the relay at %s:%u: %s\n", host, port,
			ssh_get_error(s));
		ssh_free(s);
		return NULL;
	}
	return s;
}

int tech_connect_open(const struct tech_connect_opts *o, ssh_session *out)
{
	char host[256];
	char pinned[SSHUTIL_FP_MAX];
	char seen[SSHUTIL_FP_MAX];
	char err[512] = "";
	const char *pin = NULL;
	unsigned port = 0;
	ssh_session s = NULL;
	ssh_key key = NULL;

	*out = NULL;
	if (o->relay == NULL || o->relay[0] == '\0') {
		fprintf(stderr, "handoff-tech: no relay given: use --relay HOST:PORT, set HANDOFF_RELAY,\n"
				"or write relay = HOST:PORT in ~/.config/handoff/tech.conf\n");
		return -1;
	}
	if (tech_connect_parse_relay(o->relay, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "handoff-tech: bad relay address '%s' (want HOST:PORT)\n", o->relay);
		return -1;
	}
	if (o->identity == NULL || o->identity[0] == '\0') {
		fprintf(stderr, "handoff-tech: no key given: use --identity KEYFILE, set HANDOFF_IDENTITY,\n"
				"or write identity = KEYFILE in ~/.config/handoff/tech.conf\n");
		return -1;
	}
	if (o->host_key != NULL && o->host_key[0] != '\0') {
		/* ssh-keygen -l prints the prefix; people sometimes copy only the hash. */
		const char *prefix = strncmp(o->host_key, "SHA256:", 7) == 0 ? "" : "SHA256:";

		if ((size_t)snprintf(pinned, sizeof(pinned), "%s%s", prefix, o->host_key) >= sizeof(pinned)) {
			fprintf(stderr, "handoff-tech: --host-key is too long to be a SHA256 fingerprint\n");
			return -1;
		}
		pin = pinned;
	}
	s = tech_connect_session(o, host, port);
	if (s == NULL)
		return -1;
	if (ssh_get_server_publickey(s, &key) != SSH_OK || sshutil_fingerprint(key, seen, sizeof(seen)) != 0) {
		fprintf(stderr, "handoff-tech: cannot read the relay's host key\n");
		goto fail;
	}
	if (pin != NULL && strcmp(pin, seen) != 0) {
		fprintf(stderr, "handoff-tech: relay host key mismatch: expected %s, relay presented %s; not connecting\n",
			pin, seen);
		goto fail;
	}
	if (pin == NULL && tech_connect_trust(s, o, seen) != 0)
		goto fail;
	ssh_key_free(key);
	key = NULL;
	if (sshutil_auth_pubkey(s, o->identity, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	ssh_key_free(key);
	sshutil_close(s);
	return -1;
}
