/*
 * chanflood: one technician connection that opens many `chat N` streams
 * and never reads them, the attack of issue 14 (item 2) on the relay's
 * memory, with our own client code (libssh, as handoff-tech uses).
 *
 *   chanflood HOST PORT KEY TICKET COUNT
 *
 * Opens COUNT session channels on one connection, each running
 * `chat TICKET`, and reads none of their output past the first bytes
 * (the ticket must hold a chat line, so that a follower sends some). Prints one line per
 * channel the relay would not give ("refused: REASON", the relay's stderr
 * or libssh's error), then "chanflood: OPEN following, REFUSED refused",
 * and holds the connection until its standard input ends. The relay's
 * host key is not checked: this is the attacker.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>

/*
 * What a refused channel said on stderr before it closed, or "" if it is following. The test
 * says a chat line on the ticket first, so a follower's first bytes (the transcript so far) come
 * on stdout: each channel is told apart by what it sent, never by how long it stayed quiet.
 */
static void chanflood_reason(ssh_channel ch, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	/* 300 rounds of 100 ms: a bound for a relay that never answers, not a guess at its speed. */
	for (int i = 0; i < 300 && n + 1 < outlen; i++) {
		int r = ssh_channel_read_timeout(ch, out + n, (uint32_t)(outlen - 1 - n), 1, 100);

		if (r > 0)
			n += (size_t)r;
		out[n] = '\0';
		if (strchr(out, '\n') != NULL || ssh_channel_is_eof(ch) || r < 0)
			break;
		if (n == 0 && ssh_channel_poll(ch, 0) > 0)
			break;
	}
	if (n == 0 && ssh_channel_poll(ch, 0) <= 0 && !ssh_channel_is_eof(ch))
		snprintf(out, outlen, "the relay sent nothing in 30 s");
	out[strcspn(out, "\n")] = '\0';
}

int main(int argc, char **argv)
{
	ssh_session s;
	ssh_key key = NULL;
	ssh_channel *chans;
	char cmd[64];
	int count, port, open = 0, refused = 0, rc = 1;
	long timeout = 30;

	if (argc != 6) {
		fprintf(stderr, "usage: chanflood HOST PORT KEY TICKET COUNT\n");
		return 2;
	}
	port = atoi(argv[2]);
	count = atoi(argv[5]);
	snprintf(cmd, sizeof(cmd), "chat %s", argv[4]);
	chans = calloc((size_t)(count > 0 ? count : 1), sizeof(*chans));
	s = ssh_new();
	if (chans == NULL || s == NULL)
		return 2;
	ssh_options_set(s, SSH_OPTIONS_HOST, argv[1]);
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, "handoff");
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_connect(s) != SSH_OK || ssh_pki_import_privkey_file(argv[3], NULL, NULL, NULL, &key) != SSH_OK ||
	    ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
		fprintf(stderr, "chanflood: %s\n", ssh_get_error(s));
		goto out;
	}
	for (int i = 0; i < count; i++) {
		char reason[512];

		chans[i] = ssh_channel_new(s);
		if (chans[i] == NULL || ssh_channel_open_session(chans[i]) != SSH_OK ||
		    ssh_channel_request_exec(chans[i], cmd) != SSH_OK) {
			printf("refused: %s\n", ssh_get_error(s));
			refused++;
			if (chans[i] != NULL)
				ssh_channel_free(chans[i]);
			chans[i] = NULL;
			continue;
		}
		chanflood_reason(chans[i], reason, sizeof(reason));
		if (reason[0] != '\0') {
			printf("refused: %s\n", reason);
			refused++;
			ssh_channel_free(chans[i]);
			chans[i] = NULL;
			continue;
		}
		open++;
	}
	printf("chanflood: %d following, %d refused\n", open, refused);
	fflush(stdout);
	/* Keep the session alive (libssh answers the relay's keepalives) without reading any stream. */
	for (;;) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		char c;

		if (poll(&p, 1, 200) == 1 && read(0, &c, 1) <= 0)
			break;
		if (ssh_is_connected(s) == 0)
			break;
	}
	rc = 0;
out:
	for (int i = 0; i < count; i++)
		if (chans[i] != NULL)
			ssh_channel_free(chans[i]);
	free(chans);
	ssh_key_free(key);
	ssh_disconnect(s);
	ssh_free(s);
	return rc;
}
