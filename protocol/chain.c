/*
 * chain.c: see chain.h. Everything here is pure computation over bytes,
 * apart from the key files, so that the relay (which writes the chain),
 * handoff-tech (which verifies exports offline) and the tests share one
 * definition of every hash and every signed message.
 */
#include "chain.h"
#include "files.h"
#include "hex.h"
#include "merkle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

/* A public key file is one short line; anything longer is not one. */
#define CHAIN_PUB_FILE_MAX 256u

int chain_body_encode(struct buf *out, const struct chain_event *e)
{
	size_t kind = strlen(e->kind), actor = strlen(e->actor), role = strlen(e->role);
	size_t clearance = strlen(e->clearance), detail = strlen(e->detail);
	int r;

	/* The decoder's caps, checked before anything is appended. */
	if (kind > CHAIN_KIND_MAX || actor > CHAIN_NAME_MAX || role > CHAIN_NAME_MAX ||
	    clearance > CHAIN_NAME_MAX || detail > CHAIN_DETAIL_MAX)
		return BUF_ERR_TOO_LONG;
	if ((r = buf_put_u64(out, e->ticket)) != 0 || (r = buf_put_u64(out, (uint64_t)e->at)) != 0 ||
	    (r = buf_put_string(out, e->kind, kind)) != 0 || (r = buf_put_string(out, e->actor, actor)) != 0 ||
	    (r = buf_put_string(out, e->role, role)) != 0 ||
	    (r = buf_put_string(out, e->clearance, clearance)) != 0 ||
	    (r = buf_put_string(out, e->detail, detail)) != 0)
		return r;
	return 0;
}

/* A string field as a C string: no NUL inside, since the encoder took it from one. */
static int chain_get_text(struct buf *b, char **s, size_t cap)
{
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = buf_get_string_ptr(b, &p, &n, cap)) != 0)
		return r;
	if (memchr(p, '\0', n) != NULL)
		return BUF_ERR_FORMAT;
	*s = malloc(n + 1);
	if (*s == NULL)
		return BUF_ERR_NOMEM;
	memcpy(*s, p, n);
	(*s)[n] = '\0';
	return 0;
}

void chain_event_free(struct chain_event_owned *e)
{
	free(e->kind);
	free(e->actor);
	free(e->role);
	free(e->clearance);
	free(e->detail);
	memset(e, 0, sizeof(*e));
}

int chain_body_decode(const uint8_t *p, size_t n, struct chain_event_owned *out)
{
	struct buf in;
	uint64_t ticket, at;
	int r;

	memset(out, 0, sizeof(*out));
	if (n > CHAIN_BODY_MAX)
		return BUF_ERR_TOO_LONG;
	buf_view(&in, p, n);
	if ((r = buf_get_u64(&in, &ticket)) != 0 || (r = buf_get_u64(&in, &at)) != 0 ||
	    (r = chain_get_text(&in, &out->kind, CHAIN_KIND_MAX)) != 0 ||
	    (r = chain_get_text(&in, &out->actor, CHAIN_NAME_MAX)) != 0 ||
	    (r = chain_get_text(&in, &out->role, CHAIN_NAME_MAX)) != 0 ||
	    (r = chain_get_text(&in, &out->clearance, CHAIN_NAME_MAX)) != 0 ||
	    (r = chain_get_text(&in, &out->detail, CHAIN_DETAIL_MAX)) != 0)
		goto fail;
	/* One encoding per event: nothing may trail it. */
	if (buf_len(&in) != 0) {
		r = BUF_ERR_FORMAT;
		goto fail;
	}
	out->e = (struct chain_event){ .ticket = ticket, .at = (int64_t)at, .kind = out->kind, .actor = out->actor,
				       .role = out->role, .clearance = out->clearance, .detail = out->detail };
	return 0;
fail:
	chain_event_free(out);
	return r;
}

void chain_sha256(const void *p, size_t n, uint8_t out[CHAIN_HASH_LEN])
{
	static const uint8_t empty[1];

	SHA256(n > 0 ? p : empty, n, out);
}

static void chain_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

void chain_link_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t seq, uint64_t ticket,
		     const uint8_t body_hash[CHAIN_HASH_LEN], uint8_t out[CHAIN_HASH_LEN])
{
	uint8_t m[CHAIN_HASH_LEN + 8 + 8 + CHAIN_HASH_LEN];

	memcpy(m, prev, CHAIN_HASH_LEN);
	chain_be64(m + CHAIN_HASH_LEN, seq);
	chain_be64(m + CHAIN_HASH_LEN + 8, ticket);
	memcpy(m + CHAIN_HASH_LEN + 16, body_hash, CHAIN_HASH_LEN);
	SHA256(m, sizeof(m), out);
}

void chain_ticket_link_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t seq, uint64_t ticket,
			    const uint8_t body_hash[CHAIN_HASH_LEN], uint8_t out[CHAIN_HASH_LEN])
{
	const size_t l = sizeof(CHAIN_TICKET_LINK_LABEL) - 1;
	uint8_t m[sizeof(CHAIN_TICKET_LINK_LABEL) - 1 + CHAIN_HASH_LEN + 8 + 8 + CHAIN_HASH_LEN];

	/* The label keeps a ticket link from ever equalling a chain link over the same fields. */
	memcpy(m, CHAIN_TICKET_LINK_LABEL, l);
	memcpy(m + l, prev, CHAIN_HASH_LEN);
	chain_be64(m + l + CHAIN_HASH_LEN, seq);
	chain_be64(m + l + CHAIN_HASH_LEN + 8, ticket);
	memcpy(m + l + CHAIN_HASH_LEN + 16, body_hash, CHAIN_HASH_LEN);
	SHA256(m, sizeof(m), out);
}

void chain_ticket_leaf(uint64_t ticket, uint64_t seq, const uint8_t ticket_hash[CHAIN_HASH_LEN],
		       uint8_t out[CHAIN_HASH_LEN])
{
	uint8_t leaf[8 + 8 + CHAIN_HASH_LEN];

	chain_be64(leaf, ticket);
	chain_be64(leaf + 8, seq);
	memcpy(leaf + 16, ticket_hash, CHAIN_HASH_LEN);
	merkle_leaf_hash(leaf, sizeof(leaf), out);
}

int chain_link_compute(const struct chain_event *e, uint64_t seq, const uint8_t prev[CHAIN_HASH_LEN],
		       uint8_t body_hash[CHAIN_HASH_LEN], uint8_t hash[CHAIN_HASH_LEN])
{
	struct buf body;
	int rc = -1;

	buf_init(&body, CHAIN_BODY_MAX);
	if (chain_body_encode(&body, e) != 0)
		goto out;
	chain_sha256(buf_ptr(&body), buf_len(&body), body_hash);
	chain_link_hash(prev, seq, e->ticket, body_hash, hash);
	rc = 0;
out:
	buf_free(&body);
	return rc;
}

void chain_walk_init(struct chain_walk *w)
{
	memset(w, 0, sizeof(*w));
}

int chain_walk_step(struct chain_walk *w, uint64_t seq, uint64_t ticket, const uint8_t body_hash[CHAIN_HASH_LEN],
		    const uint8_t *stored_prev, const uint8_t stored_hash[CHAIN_HASH_LEN], char *err, size_t errlen)
{
	uint8_t want[CHAIN_HASH_LEN];

	if (w->failed) {
		snprintf(err, errlen, "the chain already failed before record %llu", (unsigned long long)seq);
		return -1;
	}
	if (seq != w->seq + 1) {
		if (seq <= w->seq)
			snprintf(err, errlen, "record %llu: out of order (after record %llu)", (unsigned long long)seq,
				 (unsigned long long)w->seq);
		else if (seq == w->seq + 2)
			snprintf(err, errlen, "record %llu is missing (the chain goes from %llu to %llu)",
				 (unsigned long long)(w->seq + 1), (unsigned long long)w->seq,
				 (unsigned long long)seq);
		else
			snprintf(err, errlen, "records %llu to %llu are missing (the chain goes from %llu to %llu)",
				 (unsigned long long)(w->seq + 1), (unsigned long long)(seq - 1),
				 (unsigned long long)w->seq, (unsigned long long)seq);
		goto fail;
	}
	if (stored_prev != NULL && CRYPTO_memcmp(stored_prev, w->hash, CHAIN_HASH_LEN) != 0) {
		snprintf(err, errlen, "record %llu: its previous hash is not record %llu's hash", (unsigned long long)seq,
			 (unsigned long long)w->seq);
		goto fail;
	}
	chain_link_hash(w->hash, seq, ticket, body_hash, want);
	if (CRYPTO_memcmp(want, stored_hash, CHAIN_HASH_LEN) != 0) {
		snprintf(err, errlen, "record %llu: hash mismatch", (unsigned long long)seq);
		goto fail;
	}
	w->seq = seq;
	memcpy(w->hash, want, CHAIN_HASH_LEN);
	return 0;
fail:
	w->failed = true;
	return -1;
}

int chain_checkpoint_message(struct buf *out, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at)
{
	int r;

	if ((r = buf_put(out, CHAIN_CHECKPOINT_LABEL, strlen(CHAIN_CHECKPOINT_LABEL))) != 0 ||
	    (r = buf_put_u64(out, seq)) != 0 || (r = buf_put(out, hash, CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_put_u64(out, (uint64_t)at)) != 0)
		return r;
	return 0;
}

int chain_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[CHAIN_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = CHAIN_SIG_LEN;
	int rc = -1;

	/* Ed25519 hashes the message itself: no digest is named, and it is signed in one go. */
	if (md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == CHAIN_SIG_LEN)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

int chain_verify(const uint8_t pub[CHAIN_PUB_LEN], const uint8_t *msg, size_t len, const uint8_t sig[CHAIN_SIG_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, CHAIN_PUB_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (key != NULL && md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1)
		ok = EVP_DigestVerify(md, sig, CHAIN_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok;
}

int chain_checkpoint_sign(EVP_PKEY *key, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
			  uint8_t sig[CHAIN_SIG_LEN])
{
	struct buf m;
	int rc = -1;

	buf_init(&m, 128);
	if (chain_checkpoint_message(&m, seq, hash, at) == 0)
		rc = chain_sign(key, buf_ptr(&m), buf_len(&m), sig);
	buf_free(&m);
	return rc;
}

int chain_checkpoint_verify(const uint8_t pub[CHAIN_PUB_LEN], uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
			    int64_t at, const uint8_t sig[CHAIN_SIG_LEN])
{
	struct buf m;
	int ok = 0;

	buf_init(&m, 128);
	if (chain_checkpoint_message(&m, seq, hash, at) == 0)
		ok = chain_verify(pub, buf_ptr(&m), buf_len(&m), sig);
	buf_free(&m);
	return ok;
}

int chain_tickets_message(struct buf *out, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
			  uint64_t ntickets, const uint8_t root[CHAIN_HASH_LEN])
{
	int r;

	if ((r = buf_put(out, CHAIN_TICKETS_LABEL, strlen(CHAIN_TICKETS_LABEL))) != 0 ||
	    (r = buf_put_u64(out, seq)) != 0 || (r = buf_put(out, hash, CHAIN_HASH_LEN)) != 0 ||
	    (r = buf_put_u64(out, (uint64_t)at)) != 0 || (r = buf_put_u64(out, ntickets)) != 0 ||
	    (r = buf_put(out, root, CHAIN_HASH_LEN)) != 0)
		return r;
	return 0;
}

int chain_tickets_sign(EVP_PKEY *key, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
		       uint64_t ntickets, const uint8_t root[CHAIN_HASH_LEN], uint8_t sig[CHAIN_SIG_LEN])
{
	struct buf m;
	int rc = -1;

	buf_init(&m, 160);
	if (chain_tickets_message(&m, seq, hash, at, ntickets, root) == 0)
		rc = chain_sign(key, buf_ptr(&m), buf_len(&m), sig);
	buf_free(&m);
	return rc;
}

int chain_tickets_verify(const uint8_t pub[CHAIN_PUB_LEN], uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
			 int64_t at, uint64_t ntickets, const uint8_t root[CHAIN_HASH_LEN],
			 const uint8_t sig[CHAIN_SIG_LEN])
{
	struct buf m;
	int ok = 0;

	buf_init(&m, 160);
	if (chain_tickets_message(&m, seq, hash, at, ntickets, root) == 0)
		ok = chain_verify(pub, buf_ptr(&m), buf_len(&m), sig);
	buf_free(&m);
	return ok;
}

EVP_PKEY *chain_key_generate(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *key = NULL;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int chain_key_public(EVP_PKEY *key, uint8_t pub[CHAIN_PUB_LEN])
{
	size_t len = CHAIN_PUB_LEN;

	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != CHAIN_PUB_LEN)
		return -1;
	return 0;
}

void chain_key_id(const uint8_t pub[CHAIN_PUB_LEN], uint8_t id[CHAIN_HASH_LEN])
{
	SHA256(pub, CHAIN_PUB_LEN, id);
}

void chain_fingerprint(const uint8_t pub[CHAIN_PUB_LEN], char *out, size_t outlen)
{
	uint8_t id[CHAIN_HASH_LEN];

	chain_key_id(pub, id);
	chain_fingerprint_id(id, out, outlen);
}

void chain_fingerprint_id(const uint8_t id[CHAIN_HASH_LEN], char *out, size_t outlen)
{
	unsigned char b64[4 * ((CHAIN_HASH_LEN + 2) / 3) + 1];
	int n;

	n = EVP_EncodeBlock(b64, id, CHAIN_HASH_LEN);
	/* OpenSSH prints SHA256 fingerprints without base64 padding; so do we. */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, outlen, "SHA256:%.*s", n, (const char *)b64);
}

int chain_key_save(EVP_PKEY *key, const char *priv_path, const char *pub_path, char *err, size_t errlen)
{
	uint8_t pub[CHAIN_PUB_LEN];
	char line[sizeof(CHAIN_PUB_LABEL) + 2 * CHAIN_PUB_LEN + 2], hex[2 * CHAIN_PUB_LEN + 1];
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long pemlen;
	int rc = -1;

	if (mem == NULL || chain_key_public(key, pub) != 0 ||
	    PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) != 1) {
		snprintf(err, errlen, "cannot encode the audit key");
		goto out;
	}
	pemlen = BIO_get_mem_data(mem, &pem);
	if (pemlen <= 0 || files_write_new(priv_path, pem, (size_t)pemlen, 0600, err, errlen) != 0)
		goto out;
	hex_encode(pub, CHAIN_PUB_LEN, hex);
	snprintf(line, sizeof(line), "%s %s\n", CHAIN_PUB_LABEL, hex);
	if (files_write_new(pub_path, line, strlen(line), 0644, err, errlen) != 0) {
		unlink(priv_path);
		goto out;
	}
	/* The public half is for auditors to copy; it says nothing secret. */
	chmod(pub_path, 0644);
	rc = 0;
out:
	BIO_free(mem);
	return rc;
}

int chain_key_load_private(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *key;

	*out = NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "%s is not an Ed25519 private key", path);
		EVP_PKEY_free(key);
		return -1;
	}
	*out = key;
	return 0;
}

int chain_pub_parse(const uint8_t *text, size_t len, uint8_t pub[CHAIN_PUB_LEN])
{
	const size_t llen = strlen(CHAIN_PUB_LABEL);
	uint8_t label[sizeof(CHAIN_PUB_LABEL) - 1], sep, hex[2 * CHAIN_PUB_LEN], nl = '\n';
	struct buf in;

	if (len > CHAIN_PUB_FILE_MAX)
		return -1;
	buf_view(&in, text, len);
	if (buf_get(&in, label, llen) != 0 || memcmp(label, CHAIN_PUB_LABEL, llen) != 0 ||
	    buf_get_u8(&in, &sep) != 0 || sep != ' ' || buf_get(&in, hex, sizeof(hex)) != 0 ||
	    hex_decode((const char *)hex, sizeof(hex), pub, CHAIN_PUB_LEN) != 0)
		return -1;
	/* One optional newline (or CR LF, from a copy on another system), then nothing. */
	if (buf_len(&in) > 0) {
		buf_get_u8(&in, &nl);
		if (nl == '\r' && buf_get_u8(&in, &nl) != 0)
			return -1;
	}
	return nl == '\n' && buf_len(&in) == 0 ? 0 : -1;
}

int chain_pub_load(const char *path, uint8_t pub[CHAIN_PUB_LEN], char *err, size_t errlen)
{
	uint8_t text[CHAIN_PUB_FILE_MAX + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || chain_pub_parse(text, (size_t)n, pub) != 0) {
		snprintf(err, errlen, "%s is not an audit public key (\"%s HEX\")", path, CHAIN_PUB_LABEL);
		return -1;
	}
	return 0;
}
