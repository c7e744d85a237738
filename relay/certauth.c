/*
 * certauth.c: a technician or auditor logs in with an OpenSSH user
 * certificate instead of a registered key.
 *
 * The organisation's CA (or an SSO system: Teleport, Vault, step-ca)
 * vouches for who holds the key; the relay's store still says what that
 * person may do. So a certificate logs in the store user whose name is
 * one of its principals, with that user's role and tier, and only while
 * the user is active: disabling or removing a user stops their
 * certificates too, whoever signed them. When the principals name several
 * users, the SSH user name picks one of them (ssh alice@relay); when it
 * names none of them, the login is refused rather than guessed.
 *
 * relay.conf's trusted_user_ca_keys and revoked_keys are read at every
 * attempt, as sshd reads RevokedKeys: a revocation the operator writes
 * takes effect at the next login, without a restart; a file that cannot
 * be read refuses every certificate (it fails closed).
 *
 * libssh has already parsed the certificate (it must, to check the
 * possession signature with the key inside it) but checks nothing of what
 * the CA said; cert.c does, from the blob libssh hands back.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "log.h"
#include "relay.h"

/* The store user the certificate names, or -1 with why filled. */
static int certauth_user(struct relay *relay, const struct cert *c, const char *ssh_user, struct store_user *out,
			 char *why, size_t whylen)
{
	char name[CERT_PRINCIPAL_MAX + 1], names[256] = "";
	size_t found = 0;
	struct store_user u;

	for (size_t i = 0; i < c->nprincipals; i++) {
		if (cert_principal(c, i, name, sizeof(name)) != 0 || strlen(name) >= sizeof(u.name))
			continue;
		if (store_user_by_name(relay->store, name, &u) != STORE_OK)
			continue;
		if (ssh_user != NULL && strcmp(ssh_user, name) == 0) {
			*out = u;
			return 0;
		}
		if (found++ == 0)
			*out = u;
		{
			size_t used = strlen(names), n = strlen(name);

			if (used + n + 3 < sizeof(names)) {
				if (found > 1) {
					memcpy(names + used, ", ", 2);
					used += 2;
				}
				memcpy(names + used, name, n + 1);
			}
		}
	}
	if (found == 1)
		return 0;
	if (found == 0)
		snprintf(why, whylen, "no principal of it names a relay user");
	else
		snprintf(why, whylen, "its principals name several relay users (%s): log in as one of them", names);
	return -1;
}

bool relay_certauth_offered(ssh_key key)
{
	switch (ssh_key_type(key)) {
	case SSH_KEYTYPE_RSA_CERT01:
	case SSH_KEYTYPE_ECDSA_P256_CERT01:
	case SSH_KEYTYPE_ECDSA_P384_CERT01:
	case SSH_KEYTYPE_ECDSA_P521_CERT01:
	case SSH_KEYTYPE_ED25519_CERT01:
	case SSH_KEYTYPE_SK_ECDSA_CERT01:
	case SSH_KEYTYPE_SK_ED25519_CERT01:
		return true;
	default:
		return false;
	}
}

int relay_certauth(struct relay_conn *conn, ssh_key key, const char *ssh_user, char signature_state)
{
	struct relay *relay = conn->relay;
	struct cert_cas cas = { 0 };
	struct cert_revoked rev = { 0 };
	struct store_user found;
	struct cert c;
	char *b64 = NULL;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	char why[PATH_MAX + 256] = "", id[96] = "?", fp[64];
	int parsed = 0, rc = SSH_AUTH_DENIED;

	/* libssh 0.10 exports no blob, but the base64 of a certificate key is the whole certificate. */
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
	    cert_decode_base64(b64, strlen(b64), &blob, &bloblen) != 0) {
		snprintf(why, sizeof(why), "libssh gave no certificate blob");
		goto out;
	}
	if (cert_parse(blob, bloblen, &c) != CERT_OK) {
		snprintf(why, sizeof(why), "not a certificate the relay reads");
		goto out;
	}
	parsed = 1;
	cert_key_id_text(&c, id, sizeof(id));
	if (relay->home->trusted_user_ca_keys[0] == '\0') {
		snprintf(why, sizeof(why), "the relay trusts no CA (trusted_user_ca_keys is not set)");
		goto out;
	}
	if (cert_cas_load(relay->home->trusted_user_ca_keys, &cas, why, sizeof(why)) != 0)
		goto out;
	if (relay->home->revoked_keys[0] != '\0' &&
	    cert_revoked_load(relay->home->revoked_keys, &rev, why, sizeof(why)) != 0)
		goto out;
	if (cert_check(&c, &cas, &rev, relay_now(relay), why, sizeof(why)) != 0 ||
	    certauth_user(relay, &c, ssh_user, &found, why, sizeof(why)) != 0)
		goto out;
	if (strcmp(found.state, "active") != 0) {
		snprintf(why, sizeof(why), "%s is %s", found.name, found.state);
		goto out;
	}
	if (signature_state == SSH_PUBLICKEY_STATE_NONE) {
		rc = SSH_AUTH_SUCCESS;  /* the probe: libssh answers PK_OK; the login is the signed request */
		goto out;
	}
	if (signature_state != SSH_PUBLICKEY_STATE_VALID) {
		snprintf(why, sizeof(why), "the signature by its key does not verify");
		goto out;
	}
	if (relay_role_of_account(&found) == RELAY_ROLE_NONE) {
		snprintf(why, sizeof(why), "%s has role \"%s\", which this relay does not know", found.name, found.role);
		goto out;
	}
	conn->user = found;
	conn->role = relay_role_of_account(&found);
	cert_fingerprint(c.ca_key, c.ca_key_len, fp, sizeof(fp));
	log_info("conn %u (%s): %s %s (%s) logged in with certificate key id \"%s\" serial %llu from CA %s",
		 conn->id, conn->peer, relay_role_name(conn->role), found.name, found.tier[0] ? found.tier : "-", id,
		 (unsigned long long)c.serial, fp);
	rc = SSH_AUTH_SUCCESS;
out:
	if (rc != SSH_AUTH_SUCCESS) {
		if (parsed)
			log_info("conn %u (%s): certificate key id \"%s\" serial %llu refused: %s", conn->id, conn->peer,
				 id, (unsigned long long)c.serial, why);
		else
			log_info("conn %u (%s): certificate refused: %s", conn->id, conn->peer, why);
	}
	cert_cas_free(&cas);
	cert_revoked_free(&rev);
	ssh_string_free_char(b64);
	free(blob);
	return rc;
}
