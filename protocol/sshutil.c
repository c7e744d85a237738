/*
 * sshutil.c: see sshutil.h. Clients never read ~/.ssh/config or
 * known_hosts: the relay is trusted only through the pinned fingerprint the
 * operator handed out, so a stray user configuration cannot redirect a
 * customer elsewhere.
 */
#include "sshutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "code.h"
#include "textesc.h"

int sshutil_fingerprint(ssh_key key, char *out, size_t outlen)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL;
	int rc = -1;

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0)
		return -1;
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	if (fp == NULL || strlen(fp) >= outlen)
		goto out;
	snprintf(out, outlen, "%s", fp);
	rc = 0;
out:
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	return rc;
}

int sshutil_fingerprint_file(const char *path, char *out, size_t outlen)
{
	ssh_key key = NULL;
	int rc;

	if (ssh_pki_import_pubkey_file(path, &key) != SSH_OK &&
	    ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK)
		return -1;
	rc = sshutil_fingerprint(key, out, outlen);
	ssh_key_free(key);
	return rc;
}

#define SSHUTIL_CIPHERS \
	"aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes128-ctr"

ssh_session sshutil_connect(const char *host, unsigned port, const char *user,
			    const char *pinned_fp, char *err, size_t errlen)
{
	ssh_session s = ssh_new();
	ssh_key key = NULL;
	char seen[SSHUTIL_FP_MAX];
	long timeout = 15;
	int no = 0, yes = 1;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ssh_options_set(s, SSH_OPTIONS_HOST, host) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PORT, &port) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_USER, user) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) != 0 ||
	    /*
	     * A screen update ends in a short segment, and so does a VNC
	     * client's next request: with Nagle's algorithm either waits for the
	     * peer's delayed ACK (40 ms on Linux) before it leaves.
	     */
	    ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes) != 0 ||
	    /*
	     * libssh offers ChaCha20-Poly1305 first; AES-GCM runs on the CPU's
	     * AES instructions and costs the helper and the relay less per byte
	     * of screen. Both are offered, so any server still agrees.
	     */
	    ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, SSHUTIL_CIPHERS) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, SSHUTIL_CIPHERS) != 0) {
		snprintf(err, errlen, "bad connection options: %s", ssh_get_error(s));
		goto fail;
	}
	if (ssh_connect(s) != SSH_OK) {
		snprintf(err, errlen, "cannot connect to the relay at %s:%u: %s", host, port,
			 ssh_get_error(s));
		goto fail;
	}
	if (ssh_get_server_publickey(s, &key) != SSH_OK ||
	    sshutil_fingerprint(key, seen, sizeof(seen)) != 0) {
		snprintf(err, errlen, "cannot read the relay's host key");
		goto fail;
	}
	if (pinned_fp == NULL) {
		snprintf(err, errlen, "no pinned host key; the relay presented %s", seen);
		goto fail;
	}
	if (strcmp(pinned_fp, seen) != 0) {
		snprintf(err, errlen,
			 "relay host key mismatch: expected %s, relay presented %s; not connecting",
			 pinned_fp, seen);
		goto fail;
	}
	ssh_key_free(key);
	return s;
fail:
	ssh_key_free(key);
	sshutil_close(s);
	return NULL;
}

/* The blob behind a key's base64 (a certificate's is the whole certificate); the caller frees it. */
static uint8_t *sshutil_key_blob(ssh_key key, size_t *len)
{
	char *b64 = NULL;
	uint8_t *blob = NULL;
	size_t n;
	int got;

	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return NULL;
	n = strlen(b64);
	if (n > 0 && n % 4 == 0 && n < BUF_MAX_CAP && (blob = malloc(n / 4 * 3)) != NULL) {
		got = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)n);
		if (got < 0) {
			free(blob);
			blob = NULL;
		} else {
			*len = (size_t)got - (b64[n - 1] == '=') - (n > 1 && b64[n - 2] == '=');
		}
	}
	ssh_string_free_char(b64);
	return blob;
}

/*
 * 1 when cert certifies key. libssh 0.10 joins any certificate to any key,
 * and the relay then finds the login's signature wrong and, being libssh,
 * answers nothing until login_grace runs out: so the client looks first.
 * A certificate carries the key's public fields (PROTOCOL.certkeys) right
 * after its type and nonce, in the order of the key's own blob.
 */
static int sshutil_cert_matches(ssh_key cert, ssh_key key)
{
	size_t clen = 0, klen = 0, n;
	uint8_t *c = sshutil_key_blob(cert, &clen), *k = sshutil_key_blob(key, &klen);
	const uint8_t *p;
	struct buf cb, kb;
	int ok = 0;

	if (c != NULL && k != NULL) {
		buf_view(&cb, c, clen);
		buf_view(&kb, k, klen);
		ok = buf_get_string_ptr(&cb, &p, &n, 256) == 0 && buf_get_string_ptr(&cb, &p, &n, 256) == 0 &&
		     buf_get_string_ptr(&kb, &p, &n, 256) == 0 && buf_len(&kb) > 0 && buf_len(&cb) >= buf_len(&kb) &&
		     memcmp(buf_ptr(&cb), buf_ptr(&kb), buf_len(&kb)) == 0;
	}
	free(c);
	free(k);
	return ok;
}

/*
 * KEYFILE-cert.pub beside the key, as OpenSSH's client looks for it: the
 * certificate joined to a copy of the private key, or NULL when there is
 * none (or it does not belong to the key: the relay would refuse it; see
 * sshutil_cert_matches).
 */
static ssh_key sshutil_cert_key(const char *keyfile, int *mismatch)
{
	char path[4096];
	ssh_key cert = NULL, both = NULL;

	if ((size_t)snprintf(path, sizeof(path), "%s-cert.pub", keyfile) >= sizeof(path) ||
	    access(path, F_OK) != 0 || ssh_pki_import_cert_file(path, &cert) != SSH_OK)
		return NULL;
	*mismatch = 0;
	if (ssh_pki_import_privkey_file(keyfile, NULL, NULL, NULL, &both) == SSH_OK && !sshutil_cert_matches(cert, both))
		*mismatch = 1;
	if (both == NULL || *mismatch || ssh_pki_copy_cert_to_privkey(cert, both) != SSH_OK) {
		ssh_key_free(both);
		both = NULL;
	}
	ssh_key_free(cert);
	return both;
}

/* 1 with said filled (its first line, escaped) when the relay sent a banner of ours (SSHUTIL_BANNER_PREFIX), else 0. */
static int sshutil_banner(ssh_session s, char *said, size_t saidlen)
{
	char *banner = ssh_get_issue_banner(s);
	int ours = banner != NULL && strncmp(banner, SSHUTIL_BANNER_PREFIX, strlen(SSHUTIL_BANNER_PREFIX)) == 0;

	if (ours) {
		banner[strcspn(banner, "\r\n")] = '\0';
		textesc_string(banner + strlen(SSHUTIL_BANNER_PREFIX), "", said, saidlen);
	}
	ssh_string_free_char(banner);
	return ours;
}

int sshutil_auth_pubkey(ssh_session s, const char *keyfile, char *err, size_t errlen)
{
	ssh_key key = NULL, cert;
	int rc = SSH_AUTH_DENIED, had_cert, mismatch = 0;

	if (ssh_pki_import_privkey_file(keyfile, NULL, NULL, NULL, &key) != SSH_OK) {
		snprintf(err, errlen, "cannot read the private key %s", keyfile);
		return -1;
	}
	/* The certificate first, as ssh does; then the key alone, which may be registered. */
	cert = sshutil_cert_key(keyfile, &mismatch);
	had_cert = cert != NULL;
	if (had_cert)
		rc = ssh_userauth_publickey(s, NULL, cert);
	ssh_key_free(cert);
	if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR)
		rc = ssh_userauth_publickey(s, NULL, key);
	ssh_key_free(key);
	if (rc != SSH_AUTH_SUCCESS) {
		/*
		 * A relay that could not look the key up (its database is down)
		 * says so in a banner before its refusal (relay/server.c): the key
		 * is not to blame. Its words are the relay's: escaped.
		 */
		char said[256];

		if (sshutil_banner(s, said, sizeof(said))) {
			snprintf(err, errlen, "the relay could not check the key %s: %s", keyfile, said);
			return -1;
		}
		snprintf(err, errlen, "the relay refused the key %s (not registered%s?)", keyfile,
			 had_cert ? ", and its certificate refused"
			 : mismatch ? "; its -cert.pub is a certificate of another key, not offered" : "");
		return -1;
	}
	return 0;
}

int sshutil_auth_code(ssh_session s, const char *code, char *err, size_t errlen)
{
	/* A relay asks once; a bound keeps a hostile one from looping us. */
	for (int round = 0; round < 4; round++) {
		int rc = ssh_userauth_kbdint(s, NULL, NULL);

		if (rc == SSH_AUTH_SUCCESS)
			return 0;
		if (rc != SSH_AUTH_INFO)
			break;
		int n = ssh_userauth_kbdint_getnprompts(s);
		for (int i = 0; i < n; i++) {
			if (ssh_userauth_kbdint_setanswer(s, (unsigned)i, code) < 0) {
				snprintf(err, errlen, "cannot answer the relay's prompt");
				return -1;
			}
		}
	}
	if (sshutil_banner(s, err, errlen))
		return SSHUTIL_AUTH_UNCHECKED;
	snprintf(err, errlen,
		 "the support code was refused (wrong, expired, already used, or locked after too many tries)");
	return -2;
}

int sshutil_auth_intake(ssh_session s, const char *token, const char *name, const char *desc,
			sshutil_selfhelp_fn selfhelp, void *arg, char *err, size_t errlen)
{
	char answer[sizeof(INTAKE_ANSWER_PREFIX) + INTAKE_TOKEN_TEXT_MAX];
	int limited = 0, solved = 0, rc = -1;

	snprintf(answer, sizeof(answer), "%s%s", INTAKE_ANSWER_PREFIX, token);
	/* Two or three rounds from an honest relay; the bound keeps a hostile one from looping us. */
	for (int round = 0; round < 4; round++) {
		int r = ssh_userauth_kbdint(s, NULL, NULL), n;
		const char *rname;

		if (r == SSH_AUTH_SUCCESS) {
			rc = 0;
			goto out;
		}
		if (r != SSH_AUTH_INFO)
			break;
		rname = ssh_userauth_kbdint_getname(s);
		if (rname != NULL && strcmp(rname, INTAKE_LIMIT_NAME) == 0)
			limited = 1;
		n = ssh_userauth_kbdint_getnprompts(s);
		if (rname != NULL && strcmp(rname, INTAKE_SELFHELP_NAME) == 0 && n == 1) {
			const char *text = ssh_userauth_kbdint_getinstruction(s);
			char *copy = NULL;
			int choice = 1;

			/* A hostile relay's instruction is capped as an honest one's is. */
			if (selfhelp != NULL && text != NULL) {
				size_t len = strnlen(text, INTAKE_SELFHELP_TEXT_MAX);

				if ((copy = malloc(len + 1)) != NULL) {
					memcpy(copy, text, len);
					copy[len] = '\0';
					choice = selfhelp(arg, copy);
				}
			}
			free(copy);
			if (choice < 0) {
				snprintf(err, errlen, "the customer closed the articles without choosing");
				goto out;
			}
			solved = choice == 0;
			if (ssh_userauth_kbdint_setanswer(s, 0, solved ? INTAKE_SELFHELP_SOLVED : "") < 0) {
				snprintf(err, errlen, "cannot answer the relay's prompts");
				goto out;
			}
			continue;
		}
		if ((n == 1 && ssh_userauth_kbdint_setanswer(s, 0, answer) < 0) ||
		    (n == 2 && (ssh_userauth_kbdint_setanswer(s, 0, name) < 0 ||
				ssh_userauth_kbdint_setanswer(s, 1, desc) < 0)) ||
		    n > 2) {
			snprintf(err, errlen, "cannot answer the relay's prompts");
			goto out;
		}
	}
	if (solved) {
		snprintf(err, errlen, "the articles solved the problem: no ticket was opened");
		rc = -3;
	} else if (limited) {
		snprintf(err, errlen, "the relay refused: too many new tickets from this helper in the last hour");
		rc = -2;
	} else {
		snprintf(err, errlen, "the relay refused to open a ticket (the helper's intake token is not valid)");
	}
out:
	OPENSSL_cleanse(answer, sizeof(answer));
	return rc;
}

void sshutil_close(ssh_session s)
{
	if (s == NULL)
		return;
	if (ssh_is_connected(s))
		ssh_disconnect(s);
	ssh_free(s);
}
