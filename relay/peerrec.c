/*
 * peerrec.c: a recording made on another relay of the store, fetched for
 * an export (or a `recording N ID`) made here.
 *
 * Recordings stay in the home of the relay that made them; the store says
 * which (store_recording_place_*, written when the recording starts). An
 * export on relay A of a ticket recorded on relay B asks B for the file
 * over the peers' own SSH path (route.c's relay_route_dial: B's host key
 * pinned from the store, A logged in with its own host key), under the
 * user name RELAY_PEER_USER, which no account can have. B admits it only
 * for a host key of a relay of its store in service (the same test as a
 * routed view's: server.c) and then runs one command on that connection
 * and no other, `peer-recording N PATH` (exec_audit.c's
 * exec_peer_recording): the sealed file byte for byte, streamed as
 * `recording N ID` streams it. Nobody else reaches that command: it is not
 * in the table a technician's or auditor's command line is looked up in.
 *
 * A receives into a file the caller gives (an unnamed O_TMPFILE in its
 * home), never more than the record's size, hashing as it goes, and
 * accepts it only if size and SHA-256 are the record's: the recording is
 * the one the chain covers, sealed as it was written. What crosses is the
 * file's bytes and a line of error text from B, kept as printable ASCII
 * only. This file is the client half only and calls nothing above route.c
 * and the store, so that audit.c (the export) may call it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "config.h"
#include "event.h"
#include "hex.h"
#include "log.h"
#include "files.h"
#include "relay.h"

/* Milliseconds B may stay silent in the middle of a file before A gives up. */
#define RELAY_PEERREC_READ_MS 10000
/* The most of B's stderr A keeps for its message. */
#define RELAY_PEERREC_SAID_MAX 300

/* B's stderr, for a message: printable ASCII only, the rest as '?', one line. */
static void relay_peerrec_said(ssh_channel chan, char *out, size_t outlen)
{
	char raw[RELAY_PEERREC_SAID_MAX];
	size_t k = 0;
	int n = ssh_channel_read_timeout(chan, raw, sizeof(raw), 1, 1000);

	for (int i = 0; i < n && k + 1 < outlen; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '\n' || c == '\r') {
			if (k > 0 && i + 1 < n)
				out[k++] = ' ';
			continue;
		}
		out[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	while (k > 0 && out[k - 1] == ' ')
		k--;
	if (outlen > 0)
		out[k < outlen ? k : outlen - 1] = '\0';
}

/* Receives the file into fd, bounded by ref's size; its length in *got and SHA-256 in digest. 0 or -1 with why. */
static int relay_peerrec_receive(ssh_channel chan, const char *peer, const struct event_recording *ref, int fd,
				 const atomic_bool *cancel, uint64_t *got, uint8_t digest[CHAIN_HASH_LEN], char *why,
				 size_t whylen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t chunk[64 * 1024];
	unsigned int dlen = 0;
	int rc = -1;

	*got = 0;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (;;) {
		int n;

		if (cancel != NULL && atomic_load(cancel)) {
			snprintf(why, whylen, "cancelled");
			goto out;
		}
		n = ssh_channel_read_timeout(chan, chunk, sizeof(chunk), 0, RELAY_PEERREC_READ_MS);
		if (n == SSH_ERROR) {
			snprintf(why, whylen, "relay %s broke off recording %s after %" PRIu64 " bytes", peer, ref->path,
				 *got);
			goto out;
		}
		if (n == 0) {
			if (ssh_channel_is_eof(chan) || ssh_channel_is_closed(chan))
				break;
			snprintf(why, whylen, "relay %s stopped sending recording %s after %" PRIu64 " bytes", peer,
				 ref->path, *got);
			goto out;
		}
		/* The record says how long the file is: a peer never makes an export carry more. */
		if ((uint64_t)n > ref->size - *got) {
			snprintf(why, whylen, "relay %s sent more of recording %s than its record's %" PRIu64 " bytes", peer,
				 ref->path, ref->size);
			goto out;
		}
		if (files_write_all(fd, chunk, (size_t)n) != 0) {
			snprintf(why, whylen, "no room for recording %s from relay %s: %s", ref->path, peer, strerror(errno));
			goto out;
		}
		EVP_DigestUpdate(md, chunk, (size_t)n);
		*got += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != CHAIN_HASH_LEN) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

int relay_peerrec_fetch(struct store *st, const uint8_t place[STORE_PUB_LEN], const char *key_path, int64_t ticket,
			const struct event_recording *ref, int fd, const atomic_bool *cancel, char *why, size_t whylen)
{
	struct store_peer *peer = calloc(1, sizeof(*peer));
	struct relay_peer_dial d = { .key_path = key_path, .user = RELAY_PEER_USER };
	ssh_session session = NULL;
	ssh_channel chan = NULL;
	char host[256], cmd[64 + EVENT_NAME_MAX], said[RELAY_PEERREC_SAID_MAX + 1] = "", fp[2 * 8 + 1];
	uint8_t digest[CHAIN_HASH_LEN];
	uint64_t got = 0;
	unsigned port = 0;
	int found, status, rc = -1;

	if (peer == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	hex_encode(place, 8, fp);
	found = relay_route_peer_by_pub(st, place, peer);
	if (found < 0) {
		snprintf(why, whylen, "the store could not say where recording %s is", ref->path);
		goto out;
	}
	if (found == 0) {
		snprintf(why, whylen, "recording %s is on relay %s..., which the store no longer has in service", ref->path,
			 fp);
		goto out;
	}
	if (peer->address[0] == '\0') {
		snprintf(why, whylen, "recording %s is on relay %s, which has no peer_address set", ref->path, peer->name);
		goto out;
	}
	if (config_parse_hostport(peer->address, host, sizeof(host), &port) != 0) {
		snprintf(why, whylen, "recording %s is on relay %s, whose peer address \"%s\" is not HOST:PORT", ref->path,
			 peer->name, peer->address);
		goto out;
	}
	d.host = host;
	d.port = port;
	d.pinned = peer->host_key;
	d.name = peer->name;
	if (relay_route_dial(&d, &session, said, sizeof(said)) != 0) {
		snprintf(why, whylen, "recording %s (on relay %s): %s", ref->path, peer->name, said);
		goto out;
	}
	said[0] = '\0';
	snprintf(cmd, sizeof(cmd), RELAY_PEERREC_CMD " %lld %s", (long long)ticket, ref->path);
	chan = ssh_channel_new(session);
	if (chan == NULL || ssh_channel_open_session(chan) != SSH_OK || ssh_channel_request_exec(chan, cmd) != SSH_OK) {
		snprintf(why, whylen, "relay %s did not take the request for recording %s: %s", peer->name, ref->path,
			 ssh_get_error(session));
		goto out;
	}
	if (relay_peerrec_receive(chan, peer->name, ref, fd, cancel, &got, digest, why, whylen) != 0)
		goto out;
	relay_peerrec_said(chan, said, sizeof(said));
	status = ssh_channel_get_exit_status(chan);
	if (status != 0) {
		snprintf(why, whylen, "relay %s could not send recording %s: %s", peer->name, ref->path,
			 said[0] ? said : "it gave no reason");
		goto out;
	}
	if (got != ref->size || CRYPTO_memcmp(digest, ref->sha256, CHAIN_HASH_LEN) != 0) {
		snprintf(why, whylen,
			 "recording %s from relay %s does not match its record (%" PRIu64 " bytes, the record says %" PRIu64
			 "%s)", ref->path, peer->name, got, ref->size, got == ref->size ? ", another SHA-256" : "");
		goto out;
	}
	log_info("export of ticket %lld: recording %s fetched from relay %s (%" PRIu64 " bytes)", (long long)ticket,
		 ref->path, peer->name, got);
	rc = 0;
out:
	if (chan != NULL) {
		ssh_channel_close(chan);
		ssh_channel_free(chan);
	}
	if (session != NULL) {
		ssh_disconnect(session);
		ssh_free(session);
	}
	free(peer);
	return rc;
}
