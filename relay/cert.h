/*
 * cert: OpenSSH user certificates (PROTOCOL.certkeys), so that an
 * organisation's CA, or an SSO system that issues short-lived SSH
 * certificates, can log technicians in without each key being registered.
 *
 * The module is pure: it parses a certificate blob through buf.h, checks
 * the CA's signature with OpenSSL, and reads the two files relay.conf names
 * (trusted_user_ca_keys, revoked_keys). It knows nothing of connections or
 * the store, so the unit tests and the fuzz target drive it alone; the
 * login itself (principal to user, logging) is certauth.c.
 *
 * What it refuses, as sshd does: host certificates, certificates without
 * principals, unknown signature algorithms (and "ssh-rsa", SHA-1, which
 * OpenSSH no longer accepts for certificates), a signature key that is
 * itself a certificate, and every critical option. sshd honours
 * force-command and source-address; the relay has no shell for a forced
 * command to replace and source-address would need its own address
 * matcher, so a certificate that carries either is refused rather than
 * accepted with the restriction silently dropped.
 */
#ifndef HANDOFF_RELAY_CERT_H
#define HANDOFF_RELAY_CERT_H

#include <stddef.h>
#include <stdint.h>

/* Caps: far above what ssh-keygen, Vault, Teleport or step-ca issue. */
#define CERT_BLOB_MAX 16384       /* a whole certificate (an RSA-16384 CA fits) */
#define CERT_KEY_ID_MAX 1024
#define CERT_PRINCIPAL_MAX 255
#define CERT_PRINCIPALS_MAX 256   /* principals in one certificate */
#define CERT_CAS_MAX 64           /* keys in trusted_user_ca_keys */
#define CERT_REVOKED_MAX 100000   /* lines in revoked_keys */
#define CERT_FILE_MAX (4u * 1024 * 1024)

enum {
	CERT_OK = 0,
	CERT_ERR_FORMAT = -1,     /* not a well-formed certificate */
	CERT_ERR_UNSUPPORTED = -2, /* a key or signature type we do not verify */
	CERT_ERR_NOMEM = -3,
};

#define CERT_TYPE_USER 1
#define CERT_TYPE_HOST 2

/*
 * A parsed certificate. Every pointer points into the blob given to
 * cert_parse, which must outlive this struct; nothing is allocated.
 */
struct cert {
	const uint8_t *blob;
	size_t blob_len;
	char type[48];              /* e.g. "ssh-ed25519-cert-v01@openssh.com" */
	char plain_type[40];        /* the certified key's own type, e.g. "ssh-ed25519" */
	const uint8_t *key_fields;  /* the certified key's public fields, as in its plain blob */
	size_t key_fields_len;
	uint64_t serial;
	uint32_t cert_type;         /* CERT_TYPE_USER or _HOST (or anything: cert_check refuses) */
	const uint8_t *key_id;      /* valid UTF-8 without NUL, not terminated */
	size_t key_id_len;
	const uint8_t *principals;  /* the packed strings, each checked at parse */
	size_t principals_len;
	size_t nprincipals;
	uint64_t valid_after, valid_before;
	const uint8_t *critical;    /* packed name/data pairs, checked at parse */
	size_t critical_len;
	size_t ncritical;
	const uint8_t *ca_key;      /* the signature key's blob */
	size_t ca_key_len;
	const uint8_t *signature;   /* string format, string blob */
	size_t signature_len;
	size_t signed_len;          /* blob[0..signed_len) is what the CA signed */
};

/* Trusted CA keys: blobs the caller owns through cert_cas_free. */
struct cert_cas {
	size_t n;
	uint8_t *blob[CERT_CAS_MAX];
	size_t len[CERT_CAS_MAX];
};

/* Revocations: the text of ssh-keygen's KRL specification (see cert_revoked_load). */
struct cert_revoked {
	size_t nserials, nids, nkeys;
	uint64_t (*serials)[2];     /* inclusive ranges */
	char **ids;
	uint8_t (*keys)[32];        /* SHA-256 of revoked keys' blobs */
};

/*
 * Parses blob[0..n) as a certificate into *c (views into blob). CERT_OK,
 * CERT_ERR_FORMAT for anything malformed or over a cap (trailing bytes
 * included), CERT_ERR_UNSUPPORTED for a type we do not know.
 */
int cert_parse(const uint8_t *blob, size_t n, struct cert *c);
/* CERT_OK when the CA key in c signed c; else a negative code. */
int cert_verify_signature(const struct cert *c);
/* Principal i (0-based) into out, NUL-terminated; -1 past the last or when out is too small. */
int cert_principal(const struct cert *c, size_t i, char *out, size_t outlen);
/* The key id made safe for a log line (control characters as '?'), cut to fit. */
void cert_key_id_text(const struct cert *c, char *out, size_t outlen);
/* The SHA-256 fingerprint ("SHA256:" + unpadded base64) of a key blob. */
void cert_fingerprint(const uint8_t *blob, size_t n, char *out, size_t outlen);

/* Padded base64 (as OpenSSH writes keys) into a new allocation the caller frees; -1 when it is not. */
int cert_decode_base64(const char *s, size_t n, uint8_t **out, size_t *outlen);

/*
 * Reads path: one CA public key a line in OpenSSH format ("TYPE BASE64
 * [COMMENT]"), '#' comments and blank lines ignored, as sshd's
 * TrustedUserCAKeys. 0, or -1 with err naming the line. cas is freed first.
 */
int cert_cas_load(const char *path, struct cert_cas *cas, char *err, size_t errlen);
void cert_cas_free(struct cert_cas *cas);

/*
 * Reads path, the plain-text list that ssh-keygen -k turns into a binary
 * KRL: "serial: N" or "serial: N-M", "id: KEY-ID", "key: TYPE BASE64" (a
 * revoked key: the certified key or a CA's) and "sha256: [SHA256:]B64" (a
 * key by fingerprint), '#' comments and blank lines ignored. A binary KRL
 * is refused with a message saying so. 0, or -1 with err naming the line.
 */
int cert_revoked_load(const char *path, struct cert_revoked *rev, char *err, size_t errlen);
void cert_revoked_free(struct cert_revoked *rev);

/*
 * Every check a login needs: a user certificate, signed by one of cas
 * (checked signature), valid at now, no critical options, not revoked in
 * rev (may be NULL: nothing revoked). 0, or -1 with why filled in words
 * fit for the relay's log.
 */
int cert_check(const struct cert *c, const struct cert_cas *cas, const struct cert_revoked *rev, int64_t now,
	       char *why, size_t whylen);

#endif
