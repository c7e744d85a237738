/*
 * connect.c: see connect.h. All the hard parts (pinning, fingerprints,
 * public-key login) live in protocol/sshutil.c, shared with the helper;
 * what is left here is the technician-facing wording, above all for the
 * first run, when no fingerprint is pinned yet.
 */
#include "connect.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "sshutil.h"

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

/*
 * Without a pinned key we still connect once, only to show the key the
 * relay presents: the technician compares it with what the operator's
 * `handoff-relay init` printed and pins it. We never log in unpinned.
 */
static void tech_connect_explain_unpinned(const char *err, const char *relay)
{
	const char *fp = strstr(err, "SHA256:");

	fprintf(stderr, "handoff-tech: refusing to log in: no pinned relay host key.\n");
	if (fp == NULL) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		return;
	}
	fprintf(stderr,
		"The relay at %s presented the host key\n"
		"    %s\n"
		"Check it against the fingerprint the relay operator's `handoff-relay init`\n"
		"printed. If they are the same, pin it with\n"
		"    --host-key %s\n"
		"or\n"
		"    export HANDOFF_HOST_KEY=%s\n",
		relay, fp, fp, fp);
}

int tech_connect_open(const struct tech_connect_opts *o, ssh_session *out)
{
	char host[256];
	char pinned[SSHUTIL_FP_MAX];
	char err[512] = "";
	const char *pin = NULL;
	unsigned port = 0;
	ssh_session s = NULL;

	*out = NULL;
	if (o->relay == NULL || o->relay[0] == '\0') {
		fprintf(stderr, "handoff-tech: no relay given: use --relay HOST:PORT or set HANDOFF_RELAY\n");
		return -1;
	}
	if (tech_connect_parse_relay(o->relay, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "handoff-tech: bad relay address '%s' (want HOST:PORT)\n", o->relay);
		return -1;
	}
	if (o->identity == NULL || o->identity[0] == '\0') {
		fprintf(stderr, "handoff-tech: no key given: use --identity KEYFILE or set HANDOFF_IDENTITY\n");
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
	s = sshutil_connect(host, port, o->user, pin, err, sizeof(err));
	if (s == NULL) {
		if (pin == NULL)
			tech_connect_explain_unpinned(err, o->relay);
		else
			fprintf(stderr, "handoff-tech: %s\n", err);
		return -1;
	}
	if (sshutil_auth_pubkey(s, o->identity, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech: %s\n", err);
		sshutil_close(s);
		return -1;
	}
	*out = s;
	return 0;
}
