/*
 * cert.c: see cert.h. Every byte of a certificate goes through buf.h with
 * a cap; the CA's key is rebuilt from its blob for OpenSSL, never trusted
 * from anywhere else.
 */
#include "cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "buf.h"
#include "utf8.h"

#define CERT_FIELD_MAX 4096  /* one key field, a signature key, a signature */

/* Certificate types we parse: how many strings (or mpints) the certified key's fields take. */
static const struct {
	const char *type, *plain;
	int nfields;
} cert_types[] = {
	{ "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", 1 },
	{ "ssh-rsa-cert-v01@openssh.com", "ssh-rsa", 2 },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256", 2 },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384", 2 },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521", 2 },
	/* FIDO keys: the public key, then the application string. */
	{ "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", 2 },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", 3 },
};

/* Consumes a packed list of strings (or name/data pairs when pairs), checking each; *count gets their number. */
static int cert_packed(const uint8_t *p, size_t n, int pairs, size_t max, size_t *count)
{
	struct buf b;
	const uint8_t *s;
	size_t len;

	buf_view(&b, p, n);
	*count = 0;
	while (buf_len(&b) > 0) {
		if (*count == max)
			return CERT_ERR_FORMAT;
		if (buf_get_string_ptr(&b, &s, &len, CERT_PRINCIPAL_MAX) != 0 || !utf8_valid(s, len))
			return CERT_ERR_FORMAT;
		if (pairs && buf_get_string_ptr(&b, &s, &len, CERT_FIELD_MAX) != 0)
			return CERT_ERR_FORMAT;
		(*count)++;
	}
	return CERT_OK;
}

static int cert_get_name(struct buf *b, char *out, size_t outlen)
{
	const uint8_t *p;
	size_t n;

	if (buf_get_string_ptr(b, &p, &n, outlen - 1) != 0 || memchr(p, '\0', n) != NULL)
		return CERT_ERR_FORMAT;
	memcpy(out, p, n);
	out[n] = '\0';
	return CERT_OK;
}

int cert_parse(const uint8_t *blob, size_t n, struct cert *c)
{
	struct buf b;
	const uint8_t *p;
	size_t len, count;
	int kind = -1;

	memset(c, 0, sizeof(*c));
	if (n > CERT_BLOB_MAX)
		return CERT_ERR_FORMAT;
	buf_view(&b, blob, n);
	c->blob = blob;
	c->blob_len = n;
	if (cert_get_name(&b, c->type, sizeof(c->type)) != 0)
		return CERT_ERR_FORMAT;
	for (size_t i = 0; i < sizeof(cert_types) / sizeof(cert_types[0]); i++)
		if (strcmp(c->type, cert_types[i].type) == 0)
			kind = (int)i;
	if (kind < 0)
		return CERT_ERR_UNSUPPORTED;
	snprintf(c->plain_type, sizeof(c->plain_type), "%s", cert_types[kind].plain);
	if (buf_get_string_ptr(&b, &p, &len, 256) != 0)  /* the nonce */
		return CERT_ERR_FORMAT;
	c->key_fields = buf_ptr(&b);
	for (int f = 0; f < cert_types[kind].nfields; f++)
		if (buf_get_string_ptr(&b, &p, &len, CERT_FIELD_MAX) != 0)
			return CERT_ERR_FORMAT;
	c->key_fields_len = (size_t)(buf_ptr(&b) - c->key_fields);
	if (buf_get_u64(&b, &c->serial) != 0 || buf_get_u32(&b, &c->cert_type) != 0 ||
	    buf_get_string_ptr(&b, &c->key_id, &c->key_id_len, CERT_KEY_ID_MAX) != 0 ||
	    !utf8_valid(c->key_id, c->key_id_len) ||
	    buf_get_string_ptr(&b, &c->principals, &c->principals_len, CERT_BLOB_MAX) != 0 ||
	    cert_packed(c->principals, c->principals_len, 0, CERT_PRINCIPALS_MAX, &c->nprincipals) != 0 ||
	    buf_get_u64(&b, &c->valid_after) != 0 || buf_get_u64(&b, &c->valid_before) != 0 ||
	    buf_get_string_ptr(&b, &c->critical, &c->critical_len, CERT_BLOB_MAX) != 0 ||
	    cert_packed(c->critical, c->critical_len, 1, 64, &c->ncritical) != 0)
		return CERT_ERR_FORMAT;
	if (buf_get_string_ptr(&b, &p, &len, CERT_BLOB_MAX) != 0 || cert_packed(p, len, 1, 64, &count) != 0 ||
	    buf_get_string_ptr(&b, &p, &len, CERT_BLOB_MAX) != 0 ||  /* reserved */
	    buf_get_string_ptr(&b, &c->ca_key, &c->ca_key_len, CERT_FIELD_MAX) != 0)
		return CERT_ERR_FORMAT;
	c->signed_len = n - buf_len(&b);
	if (buf_get_string_ptr(&b, &c->signature, &c->signature_len, CERT_FIELD_MAX) != 0 || buf_len(&b) != 0)
		return CERT_ERR_FORMAT;
	return CERT_OK;
}

int cert_principal(const struct cert *c, size_t i, char *out, size_t outlen)
{
	struct buf b;
	const uint8_t *p = NULL;
	size_t n = 0;

	buf_view(&b, c->principals, c->principals_len);
	for (size_t k = 0; k <= i; k++)
		if (buf_get_string_ptr(&b, &p, &n, CERT_PRINCIPAL_MAX) != 0)
			return -1;
	if (n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

void cert_key_id_text(const struct cert *c, char *out, size_t outlen)
{
	size_t n;

	if (outlen == 0)
		return;
	/* Cut on a character boundary so the text stays valid; control bytes cannot hide in a log line. */
	n = utf8_cut(c->key_id, c->key_id_len, outlen - 1);
	for (size_t i = 0; i < n; i++)
		out[i] = c->key_id[i] < 0x20 || c->key_id[i] == 0x7f ? '?' : (char)c->key_id[i];
	out[n] = '\0';
}

static void cert_b64_unpadded(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	unsigned char enc[128];
	int len;

	if (n > 90 || outlen == 0) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	len = EVP_EncodeBlock(enc, p, (int)n);
	while (len > 0 && enc[len - 1] == '=')
		len--;
	snprintf(out, outlen, "%.*s", len, (const char *)enc);
}

void cert_fingerprint(const uint8_t *blob, size_t n, char *out, size_t outlen)
{
	uint8_t md[32];
	char b64[64];

	if (EVP_Digest(blob, n, md, NULL, EVP_sha256(), NULL) != 1) {
		snprintf(out, outlen, "SHA256:?");
		return;
	}
	cert_b64_unpadded(md, sizeof(md), b64, sizeof(b64));
	snprintf(out, outlen, "SHA256:%s", b64);
}

/* SHA-256 of the certified key's plain blob (string type, then its fields), as a "key:" revocation names it. */
static int cert_plain_digest(const struct cert *c, uint8_t md[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t len[4];
	size_t tl = strlen(c->plain_type);
	int ok;

	len[0] = (uint8_t)(tl >> 24);
	len[1] = (uint8_t)(tl >> 16);
	len[2] = (uint8_t)(tl >> 8);
	len[3] = (uint8_t)tl;
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, len, 4) == 1 &&
	     EVP_DigestUpdate(ctx, c->plain_type, tl) == 1 &&
	     EVP_DigestUpdate(ctx, c->key_fields, c->key_fields_len) == 1 && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* An mpint that must be positive (RSA e and n, ECDSA r and s): no sign bit, no empty value. */
static BIGNUM *cert_get_bn(struct buf *b)
{
	const uint8_t *p;
	size_t n;

	if (buf_get_string_ptr(b, &p, &n, CERT_FIELD_MAX) != 0 || n == 0 || (p[0] & 0x80) != 0)
		return NULL;
	return BN_bin2bn(p, (int)n, NULL);
}

static EVP_PKEY *cert_rsa_key(struct buf *b)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *e = cert_get_bn(b), *n = e ? cert_get_bn(b) : NULL;

	/* OpenSSH refuses RSA keys under 1024 bits; a CA's under 2048 is not worth trusting either. */
	if (n == NULL || BN_num_bits(n) < 2048 || BN_num_bits(n) > 16384 || buf_len(b) != 0)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return key;
}

static EVP_PKEY *cert_p256_key(struct buf *b)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	const uint8_t *curve, *q;
	size_t clen, qlen;
	char group[] = "prime256v1";

	if (buf_get_string_ptr(b, &curve, &clen, 16) != 0 || clen != 8 || memcmp(curve, "nistp256", 8) != 0 ||
	    buf_get_string_ptr(b, &q, &qlen, 133) != 0 || qlen != 65 || q[0] != 0x04 || buf_len(b) != 0)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)q, qlen);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* An SSH ECDSA signature (mpint r, mpint s) as the DER OpenSSL verifies; the caller frees *der. */
static int cert_ecdsa_der(const uint8_t *p, size_t n, unsigned char **der, int *derlen)
{
	struct buf b;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r, *s;

	buf_view(&b, p, n);
	r = cert_get_bn(&b);
	s = r ? cert_get_bn(&b) : NULL;
	if (sig == NULL || s == NULL || buf_len(&b) != 0 || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return -1;
	}
	*der = NULL;
	*derlen = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	return *derlen > 0 ? 0 : -1;
}

int cert_verify_signature(const struct cert *c)
{
	struct buf kb, sb;
	char ktype[40], sformat[40];
	const uint8_t *sig, *pk;
	size_t siglen, pklen;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	const EVP_MD *md = NULL;
	unsigned char *der = NULL;
	int derlen = 0, rc = CERT_ERR_UNSUPPORTED;

	buf_view(&kb, c->ca_key, c->ca_key_len);
	buf_view(&sb, c->signature, c->signature_len);
	if (cert_get_name(&kb, ktype, sizeof(ktype)) != 0 || cert_get_name(&sb, sformat, sizeof(sformat)) != 0 ||
	    buf_get_string_ptr(&sb, &sig, &siglen, CERT_FIELD_MAX) != 0 || buf_len(&sb) != 0)
		return CERT_ERR_FORMAT;
	if (strcmp(ktype, "ssh-ed25519") == 0 && strcmp(sformat, "ssh-ed25519") == 0) {
		if (buf_get_string_ptr(&kb, &pk, &pklen, 32) != 0 || pklen != 32 || buf_len(&kb) != 0 || siglen != 64)
			return CERT_ERR_FORMAT;
		key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, pklen);
	} else if (strcmp(ktype, "ssh-rsa") == 0 &&
		   (strcmp(sformat, "rsa-sha2-256") == 0 || strcmp(sformat, "rsa-sha2-512") == 0)) {
		md = strcmp(sformat, "rsa-sha2-256") == 0 ? EVP_sha256() : EVP_sha512();
		key = cert_rsa_key(&kb);
	} else if (strcmp(ktype, "ecdsa-sha2-nistp256") == 0 && strcmp(sformat, "ecdsa-sha2-nistp256") == 0) {
		md = EVP_sha256();
		key = cert_p256_key(&kb);
		if (key != NULL && cert_ecdsa_der(sig, siglen, &der, &derlen) != 0)
			rc = CERT_ERR_FORMAT;
		sig = der;
		siglen = (size_t)derlen;
	} else {
		return CERT_ERR_UNSUPPORTED;
	}
	if (key == NULL || sig == NULL) {
		rc = key == NULL ? CERT_ERR_FORMAT : rc;
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	rc = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
			     EVP_DigestVerify(ctx, sig, siglen, c->blob, c->signed_len) == 1
		     ? CERT_OK
		     : CERT_ERR_FORMAT;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

/* The whole of a small file, NUL-terminated; the caller frees *data. */
static int cert_read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *p = NULL;
	size_t n = 0;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	p = malloc(CERT_FILE_MAX + 1);
	if (p == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, p + n, CERT_FILE_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CERT_FILE_MAX) {
			snprintf(err, errlen, "%s: larger than %u bytes", path, CERT_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
fail:
	close(fd);
	free(p);
	return -1;
}

/* Base64 (padded, as OpenSSH writes keys) into a new allocation; -1 when it is not. */
int cert_decode_base64(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
	int len;

	if (n == 0 || n % 4 != 0 || n > 4 * CERT_FIELD_MAX)
		return -1;
	*out = malloc(n / 4 * 3 + 1);
	if (*out == NULL)
		return -1;
	len = EVP_DecodeBlock(*out, (const unsigned char *)s, (int)n);
	if (len < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	len -= s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
	*outlen = (size_t)len;
	return 0;
}

/* "TYPE BASE64 [COMMENT]" into a new blob whose own type string must be TYPE. */
static int cert_key_line(const char *line, uint8_t **blob, size_t *len)
{
	const char *sp = strchr(line, ' '), *b64, *end;
	struct buf b;
	const uint8_t *t;
	size_t tlen;

	if (sp == NULL)
		return -1;
	b64 = sp + strspn(sp, " ");
	end = b64 + strcspn(b64, " \t");
	if (cert_decode_base64(b64, (size_t)(end - b64), blob, len) != 0)
		return -1;
	buf_view(&b, *blob, *len);
	if (buf_get_string_ptr(&b, &t, &tlen, 64) != 0 || tlen != (size_t)(sp - line) || memcmp(t, line, tlen) != 0) {
		free(*blob);
		*blob = NULL;
		return -1;
	}
	return 0;
}

/*
 * Splits data into lines (trimmed, comments and blanks dropped) and calls
 * fn for each; stops at the first non-zero. *lineno says where.
 */
typedef int (*cert_line_fn)(char *line, void *ctx);
static int cert_lines(char *data, cert_line_fn fn, void *ctx, size_t *lineno)
{
	char *p = data;

	*lineno = 0;
	while (*p != '\0') {
		char *nl = strchr(p, '\n'), *next = nl ? nl + 1 : p + strlen(p);
		size_t len;

		(*lineno)++;
		if (nl)
			*nl = '\0';
		p += strspn(p, " \t");
		len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
			p[--len] = '\0';
		if (len > 0 && p[0] != '#' && fn(p, ctx) != 0)
			return -1;
		p = next;
	}
	return 0;
}

static int cert_ca_line(char *line, void *ctx)
{
	struct cert_cas *cas = ctx;

	if (cas->n == CERT_CAS_MAX)
		return -1;
	if (cert_key_line(line, &cas->blob[cas->n], &cas->len[cas->n]) != 0)
		return -1;
	cas->n++;
	return 0;
}

int cert_cas_load(const char *path, struct cert_cas *cas, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len, lineno;

	cert_cas_free(cas);
	if (cert_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	if (cert_lines(data, cert_ca_line, cas, &lineno) != 0) {
		snprintf(err, errlen, "%s line %zu: %s", path, lineno,
			 cas->n == CERT_CAS_MAX ? "more than 64 CA keys" : "not an OpenSSH public key (TYPE BASE64 [COMMENT])");
		free(data);
		cert_cas_free(cas);
		return -1;
	}
	free(data);
	if (cas->n == 0) {
		snprintf(err, errlen, "%s holds no CA key", path);
		return -1;
	}
	return 0;
}

void cert_cas_free(struct cert_cas *cas)
{
	for (size_t i = 0; i < cas->n; i++)
		free(cas->blob[i]);
	memset(cas, 0, sizeof(*cas));
}

static int cert_parse_u64(const char *s, const char **end, uint64_t *v)
{
	char *e;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &e, 10);
	if (errno != 0)
		return -1;
	*v = x;
	*end = e;
	return 0;
}

/* Appends to a growing array; the caps keep a bad file from eating memory. */
static int cert_grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n >= CERT_REVOKED_MAX)
		return -1;
	if ((n & (n - 1)) != 0 && n != 0)
		return 0;  /* room left until the next power of two */
	p = realloc(*arr, (n ? n * 2 : 1) * size);
	if (p == NULL)
		return -1;
	*arr = p;
	return 0;
}

static int cert_revoked_line(char *line, void *ctx)
{
	struct cert_revoked *rev = ctx;
	char *colon = strchr(line, ':'), *v;

	if (colon == NULL)
		return -1;
	*colon = '\0';
	v = colon + 1 + strspn(colon + 1, " \t");
	if (strcmp(line, "serial") == 0) {
		uint64_t lo, hi;
		const char *end;

		if (cert_parse_u64(v, &end, &lo) != 0)
			return -1;
		hi = lo;
		if (*end == '-' && cert_parse_u64(end + 1, &end, &hi) != 0)
			return -1;
		if (*end != '\0' || hi < lo || cert_grow((void **)&rev->serials, rev->nserials, sizeof(*rev->serials)) != 0)
			return -1;
		rev->serials[rev->nserials][0] = lo;
		rev->serials[rev->nserials][1] = hi;
		rev->nserials++;
	} else if (strcmp(line, "id") == 0) {
		if (*v == '\0' || strlen(v) > CERT_KEY_ID_MAX ||
		    cert_grow((void **)&rev->ids, rev->nids, sizeof(*rev->ids)) != 0 ||
		    (rev->ids[rev->nids] = strdup(v)) == NULL)
			return -1;
		rev->nids++;
	} else if (strcmp(line, "key") == 0) {
		uint8_t *blob;
		size_t len;
		int ok;

		if (cert_key_line(v, &blob, &len) != 0)
			return -1;
		ok = cert_grow((void **)&rev->keys, rev->nkeys, sizeof(*rev->keys)) == 0 &&
		     EVP_Digest(blob, len, rev->keys[rev->nkeys], NULL, EVP_sha256(), NULL) == 1;
		free(blob);
		if (!ok)
			return -1;
		rev->nkeys++;
	} else if (strcmp(line, "sha256") == 0) {
		char padded[48];
		uint8_t *md;
		size_t len;
		int ok;

		if (strncmp(v, "SHA256:", 7) == 0)
			v += 7;
		if (strlen(v) != 43)
			return -1;
		snprintf(padded, sizeof(padded), "%s=", v);
		if (cert_decode_base64(padded, 44, &md, &len) != 0)
			return -1;
		ok = len == 32 && cert_grow((void **)&rev->keys, rev->nkeys, sizeof(*rev->keys)) == 0;
		if (ok)
			memcpy(rev->keys[rev->nkeys++], md, 32);
		free(md);
		if (!ok)
			return -1;
	} else {
		return -1;
	}
	return 0;
}

int cert_revoked_load(const char *path, struct cert_revoked *rev, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len, lineno;

	cert_revoked_free(rev);
	if (cert_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	if (len >= 6 && memcmp(data, "SSHKRL", 6) == 0) {
		snprintf(err, errlen,
			 "%s is a binary KRL; the relay reads the text that ssh-keygen -k is given "
			 "(serial:, id:, key:, sha256: lines)", path);
		free(data);
		return -1;
	}
	if (cert_lines(data, cert_revoked_line, rev, &lineno) != 0) {
		snprintf(err, errlen, "%s line %zu: expected serial: N[-M], id: KEY-ID, key: TYPE BASE64 or sha256: FP",
			 path, lineno);
		free(data);
		cert_revoked_free(rev);
		return -1;
	}
	free(data);
	return 0;
}

void cert_revoked_free(struct cert_revoked *rev)
{
	for (size_t i = 0; i < rev->nids; i++)
		free(rev->ids[i]);
	free(rev->ids);
	free(rev->serials);
	free(rev->keys);
	memset(rev, 0, sizeof(*rev));
}

static int cert_digest_revoked(const struct cert_revoked *rev, const uint8_t md[32])
{
	for (size_t i = 0; i < rev->nkeys; i++)
		if (CRYPTO_memcmp(rev->keys[i], md, 32) == 0)
			return 1;
	return 0;
}

static int cert_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

int cert_check(const struct cert *c, const struct cert_cas *cas, const struct cert_revoked *rev, int64_t now,
	       char *why, size_t whylen)
{
	char fp[64], name[CERT_PRINCIPAL_MAX + 1];
	uint8_t md[32];
	size_t i;
	uint64_t t = now < 0 ? 0 : (uint64_t)now;

	if (c->cert_type != CERT_TYPE_USER)
		return cert_why(why, whylen, "a %s certificate, not a user certificate",
				c->cert_type == CERT_TYPE_HOST ? "host" : "unknown type of");
	for (i = 0; i < cas->n; i++)
		if (cas->len[i] == c->ca_key_len && memcmp(cas->blob[i], c->ca_key, c->ca_key_len) == 0)
			break;
	cert_fingerprint(c->ca_key, c->ca_key_len, fp, sizeof(fp));
	if (i == cas->n)
		return cert_why(why, whylen, "signed by %s, which is not in trusted_user_ca_keys", fp);
	switch (cert_verify_signature(c)) {
	case CERT_OK:
		break;
	case CERT_ERR_UNSUPPORTED:
		return cert_why(why, whylen, "signed by CA %s with an algorithm the relay does not verify", fp);
	default:
		return cert_why(why, whylen, "its signature by CA %s does not verify", fp);
	}
	if (t < c->valid_after)
		return cert_why(why, whylen, "not valid yet (valid from %llu, now %llu)",
				(unsigned long long)c->valid_after, (unsigned long long)t);
	if (t >= c->valid_before)
		return cert_why(why, whylen, "expired (valid until %llu, now %llu)",
				(unsigned long long)c->valid_before, (unsigned long long)t);
	if (c->ncritical > 0) {
		struct buf b;
		const uint8_t *p = NULL;
		size_t n = 0;

		buf_view(&b, c->critical, c->critical_len);
		if (buf_get_string_ptr(&b, &p, &n, CERT_PRINCIPAL_MAX) != 0)
			n = 0;
		for (size_t k = 0; k < n; k++)
			name[k] = p[k] < 0x20 || p[k] == 0x7f ? '?' : (char)p[k];
		name[n] = '\0';
		return cert_why(why, whylen, "it carries the critical option \"%s\", which the relay does not honour",
				name);
	}
	if (c->nprincipals == 0)
		return cert_why(why, whylen, "it names no principal");
	if (rev == NULL)
		return 0;
	for (i = 0; i < rev->nserials; i++)
		if (c->serial >= rev->serials[i][0] && c->serial <= rev->serials[i][1])
			return cert_why(why, whylen, "serial %llu is revoked", (unsigned long long)c->serial);
	for (i = 0; i < rev->nids; i++)
		if (strlen(rev->ids[i]) == c->key_id_len && memcmp(rev->ids[i], c->key_id, c->key_id_len) == 0)
			return cert_why(why, whylen, "key id is revoked");
	if (EVP_Digest(c->ca_key, c->ca_key_len, md, NULL, EVP_sha256(), NULL) != 1 || cert_digest_revoked(rev, md))
		return cert_why(why, whylen, "CA %s is revoked", fp);
	if (cert_plain_digest(c, md) != 0 || cert_digest_revoked(rev, md))
		return cert_why(why, whylen, "the certified key is revoked");
	return 0;
}
