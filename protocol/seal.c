/*
 * seal.c: see seal.h. OpenSSL 3 does the cryptography (X25519, HKDF-SHA256,
 * AES-256-GCM); this file only frames it and never parses bytes outside buf.
 */
#include "seal.h"


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "files.h"
#include "hex.h"

static const char seal_magic[8] = { 'H', 'O', 'S', 'E', 'A', 'L', '0', '1' };
static const char seal_info[] = "handoff seal v1";

struct seal_writer {
	int fd;
	EVP_CIPHER_CTX *ctx;           /* keyed once: each chunk only sets its nonce */
	uint8_t key[32];
	uint8_t nonce_prefix[4];
	uint8_t header[SEAL_HEADER_LEN];
	uint64_t counter;
	uint64_t size;
	size_t used;
	uint8_t plain[SEAL_CHUNK_MAX]; /* encrypted in place, so no plaintext stays behind a chunk */
};

int seal_key_public(const uint8_t priv[SEAL_KEY_LEN], uint8_t pub[SEAL_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, SEAL_KEY_LEN);
	size_t len = SEAL_KEY_LEN;
	int rc = -1;

	if (k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == SEAL_KEY_LEN)
		rc = 0;
	EVP_PKEY_free(k);
	return rc;
}

int seal_keygen(uint8_t pub[SEAL_KEY_LEN], uint8_t priv[SEAL_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t plen = SEAL_KEY_LEN, qlen = SEAL_KEY_LEN;
	int rc = -1;

	if (k != NULL && EVP_PKEY_get_raw_private_key(k, priv, &qlen) == 1 &&
	    EVP_PKEY_get_raw_public_key(k, pub, &plen) == 1 && plen == SEAL_KEY_LEN && qlen == SEAL_KEY_LEN)
		rc = 0;
	EVP_PKEY_free(k);
	return rc;
}

static const char *seal_key_label(bool is_private)
{
	return is_private ? "handoff-x25519-private" : "handoff-x25519-public";
}

int seal_key_save(const char *path, const uint8_t key[SEAL_KEY_LEN], bool is_private, char *err, size_t errlen)
{
	char line[128], hex[2 * SEAL_KEY_LEN + 1];
	int rc;

	hex_encode(key, SEAL_KEY_LEN, hex);
	snprintf(line, sizeof(line), "%s %s\n", seal_key_label(is_private), hex);
	rc = files_write_new(path, line, strlen(line), is_private ? 0600 : 0644, err, errlen);
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

int seal_key_load(const char *path, uint8_t key[SEAL_KEY_LEN], bool is_private, char *err, size_t errlen)
{
	const char *label = seal_key_label(is_private);
	size_t llen = strlen(label);
	char line[160];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	line[n] = '\0';
	if ((size_t)n < llen + 1 + 2 * SEAL_KEY_LEN || strncmp(line, label, llen) != 0 || line[llen] != ' ') {
		snprintf(err, errlen, "%s is not a %s key file", path, is_private ? "private" : "public");
		OPENSSL_cleanse(line, sizeof(line));
		return -1;
	}
	if (hex_decode(line + llen + 1, 2 * SEAL_KEY_LEN, key, SEAL_KEY_LEN) != 0) {
		snprintf(err, errlen, "%s: bad key digits", path);
		OPENSSL_cleanse(line, sizeof(line));
		return -1;
	}
	OPENSSL_cleanse(line, sizeof(line));
	return 0;
}

/* X25519 then HKDF: 32 bytes of AES key and 4 of nonce prefix. */
static int seal_derive(const uint8_t eph_priv_or_recipient_priv[SEAL_KEY_LEN], const uint8_t peer_pub[SEAL_KEY_LEN],
		       const uint8_t eph_pub[SEAL_KEY_LEN], const uint8_t recipient_pub[SEAL_KEY_LEN],
		       const uint8_t salt[16], uint8_t key[32], uint8_t prefix[4])
{
	EVP_PKEY *mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, eph_priv_or_recipient_priv, SEAL_KEY_LEN);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, SEAL_KEY_LEN);
	EVP_PKEY_CTX *dctx = NULL;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	uint8_t shared[32], out[36], info[sizeof(seal_info) - 1 + 2 * SEAL_KEY_LEN];
	size_t slen = sizeof(shared);
	OSSL_PARAM params[5];
	int rc = -1;

	memcpy(info, seal_info, sizeof(seal_info) - 1);
	memcpy(info + sizeof(seal_info) - 1, eph_pub, SEAL_KEY_LEN);
	memcpy(info + sizeof(seal_info) - 1 + SEAL_KEY_LEN, recipient_pub, SEAL_KEY_LEN);
	if (mine == NULL || peer == NULL)
		goto out;
	dctx = EVP_PKEY_CTX_new(mine, NULL);
	if (dctx == NULL || EVP_PKEY_derive_init(dctx) != 1 || EVP_PKEY_derive_set_peer(dctx, peer) != 1 ||
	    EVP_PKEY_derive(dctx, shared, &slen) != 1 || slen != sizeof(shared))
		goto out;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (kctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared, sizeof(shared));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt, 16);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, sizeof(out), params) != 1)
		goto out;
	memcpy(key, out, 32);
	memcpy(prefix, out + 32, 4);
	rc = 0;
out:
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(out, sizeof(out));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(peer);
	return rc;
}

static void seal_put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The chunk's nonce and additional data; both bind it to its place in this file. */
static void seal_chunk_params(const uint8_t header[SEAL_HEADER_LEN], const uint8_t prefix[4], uint64_t counter,
			      uint8_t flags, uint32_t len, uint8_t nonce[12], uint8_t aad[SEAL_HEADER_LEN + 13])
{
	memcpy(nonce, prefix, 4);
	seal_put_be(nonce + 4, counter, 8);
	memcpy(aad, header, SEAL_HEADER_LEN);
	seal_put_be(aad + SEAL_HEADER_LEN, counter, 8);
	aad[SEAL_HEADER_LEN + 8] = flags;
	seal_put_be(aad + SEAL_HEADER_LEN + 9, len, 4);
}

/* One chunk is one writev: frame, ciphertext, tag. */
static int seal_write_chunk(int fd, uint8_t frame[5], uint8_t *cipher, size_t n, uint8_t tag[16])
{
	struct iovec iov[3] = { { frame, 5 }, { cipher, n }, { tag, 16 } };
	int i = 0;

	while (i < 3) {
		ssize_t w = writev(fd, iov + i, 3 - i);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (i < 3 && (size_t)w >= iov[i].iov_len) {
			w -= (ssize_t)iov[i].iov_len;
			i++;
		}
		if (i < 3) {
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * Seals what is buffered as the next chunk and writes it. The cipher
 * context keeps its key schedule from chunk to chunk (a new context per
 * chunk, a malloc'd ciphertext and a cleanse of the plaintext were a
 * quarter of the recording's cost), and the plaintext is encrypted where it
 * lies, which leaves no plaintext to wipe.
 */
/* Seals plain[0..n) in place as the next chunk and writes it. */
static int seal_emit_buf(struct seal_writer *w, uint8_t *plain, size_t n, uint8_t flags)
{
	uint8_t nonce[12], aad[SEAL_HEADER_LEN + 13], frame[5], tag[16];
	int outl = 0;

	seal_chunk_params(w->header, w->nonce_prefix, w->counter, flags, (uint32_t)n, nonce, aad);
	if (EVP_EncryptInit_ex(w->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(w->ctx, NULL, &outl, aad, (int)sizeof(aad)) != 1 ||
	    (n > 0 && EVP_EncryptUpdate(w->ctx, plain, &outl, plain, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(w->ctx, plain + n, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(w->ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		return -1;
	seal_put_be(frame, n, 4);
	frame[4] = flags;
	if (seal_write_chunk(w->fd, frame, plain, n, tag) != 0)
		return -1;
	w->size += sizeof(frame) + n + sizeof(tag);
	w->counter++;
	return 0;
}

static int seal_emit(struct seal_writer *w, uint8_t flags)
{
	if (seal_emit_buf(w, w->plain, w->used, flags) != 0)
		return -1;
	w->used = 0;
	return 0;
}

static void seal_writer_free(struct seal_writer *w)
{
	EVP_CIPHER_CTX_free(w->ctx);
	OPENSSL_cleanse(w, sizeof(*w));
	free(w);
}

int seal_writer_open(struct seal_writer **out, int fd, const uint8_t recipient[SEAL_KEY_LEN])
{
	struct seal_writer *w = calloc(1, sizeof(*w));
	uint8_t eph_pub[SEAL_KEY_LEN], eph_priv[SEAL_KEY_LEN], salt[16];
	int rc = -1;

	if (w == NULL)
		return -1;
	w->fd = fd;
	if (seal_keygen(eph_pub, eph_priv) != 0 || RAND_bytes(salt, sizeof(salt)) != 1)
		goto out;
	memcpy(w->header, seal_magic, 8);
	w->header[8] = 1;
	memcpy(w->header + 9, eph_pub, SEAL_KEY_LEN);
	SHA256(recipient, SEAL_KEY_LEN, w->header + 9 + SEAL_KEY_LEN);
	memcpy(w->header + 9 + 2 * SEAL_KEY_LEN, salt, sizeof(salt));
	/* The ephemeral private key dies here: nothing the relay keeps can open the file. */
	if (seal_derive(eph_priv, recipient, eph_pub, recipient, salt, w->key, w->nonce_prefix) != 0 ||
	    (w->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(w->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(w->ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_EncryptInit_ex(w->ctx, NULL, NULL, w->key, NULL) != 1 ||
	    files_write_all(fd, w->header, sizeof(w->header)) != 0)
		goto out;
	w->size = sizeof(w->header);
	*out = w;
	rc = 0;
out:
	OPENSSL_cleanse(eph_priv, sizeof(eph_priv));
	if (rc != 0)
		seal_writer_free(w);
	return rc;
}

int seal_writer_write(struct seal_writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		size_t take = SEAL_CHUNK_MAX - w->used;

		if (take > n)
			take = n;
		memcpy(w->plain + w->used, b, take);
		w->used += take;
		b += take;
		n -= take;
		if (w->used == SEAL_CHUNK_MAX && seal_emit(w, 0) != 0)
			return -1;
	}
	return 0;
}

int seal_writer_seal(struct seal_writer *w, uint8_t *plain, size_t n)
{
	/* Bytes of w's own buffer would go out after these: the chunks would change order. */
	if (w->used > 0 || n == 0 || n > SEAL_CHUNK_MAX) {
		errno = EINVAL;
		return -1;
	}
	return seal_emit_buf(w, plain, n, 0);
}

int seal_writer_push(struct seal_writer *w)
{
	return w->used > 0 ? seal_emit(w, 0) : 0;
}

int seal_writer_flush(struct seal_writer *w)
{
	if (seal_writer_push(w) != 0)
		return -1;
	return fdatasync(w->fd);
}

int seal_writer_close(struct seal_writer *w)
{
	int rc = seal_emit(w, SEAL_FLAG_FINAL);

	if (rc == 0)
		rc = fdatasync(w->fd);
	seal_writer_free(w);
	return rc;
}

void seal_writer_abort(struct seal_writer *w)
{
	if (w == NULL)
		return;
	seal_writer_free(w);
}

uint64_t seal_writer_size(const struct seal_writer *w)
{
	return w->size;
}

static int seal_append(const uint8_t *p, size_t n, void *ctx)
{
	return buf_put(ctx, p, n);
}

int seal_open(const uint8_t *file, size_t len, const uint8_t priv[SEAL_KEY_LEN], struct buf *plain,
	      bool *truncated, char *err, size_t errlen)
{
	return seal_open_each(file, len, priv, seal_append, plain, truncated, err, errlen);
}

int seal_open_each(const uint8_t *file, size_t len, const uint8_t priv[SEAL_KEY_LEN], seal_chunk_fn fn,
		   void *fn_ctx, bool *truncated, char *err, size_t errlen)
{
	uint8_t pub[SEAL_KEY_LEN], want[32], key[32], prefix[4], header[SEAL_HEADER_LEN];
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *clear = NULL;
	struct buf in;
	uint64_t counter = 0;
	int rc = -1;

	*truncated = false;
	buf_view(&in, file, len);
	if (buf_get(&in, header, sizeof(header)) != 0 || memcmp(header, seal_magic, 8) != 0 || header[8] != 1) {
		snprintf(err, errlen, "not a sealed Handoff file");
		return -1;
	}
	if (seal_key_public(priv, pub) != 0) {
		snprintf(err, errlen, "bad private key");
		return -1;
	}
	SHA256(pub, SEAL_KEY_LEN, want);
	if (memcmp(want, header + 9 + SEAL_KEY_LEN, 32) != 0) {
		snprintf(err, errlen, "sealed for another key");
		return -1;
	}
	if (seal_derive(priv, header + 9, header + 9, pub, header + 9 + 2 * SEAL_KEY_LEN, key, prefix) != 0) {
		snprintf(err, errlen, "key agreement failed");
		return -1;
	}
	clear = malloc(SEAL_CHUNK_MAX);
	ctx = EVP_CIPHER_CTX_new();
	if (clear == NULL || ctx == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		uint8_t nonce[12], aad[SEAL_HEADER_LEN + 13], flags;
		const uint8_t *cipher, *tag;
		uint32_t clen;
		int outl = 0;

		if (buf_len(&in) == 0 || buf_peek_u32(&in, &clen) != 0 || buf_len(&in) < 5 + (size_t)clen + 16) {
			/* A crash leaves no final chunk, or half of one: what came before stands. */
			*truncated = true;
			break;
		}
		if (clen > SEAL_CHUNK_MAX) {
			snprintf(err, errlen, "chunk %llu: length %u over the limit", (unsigned long long)counter, clen);
			goto out;
		}
		buf_get_u32(&in, &clen);
		buf_get_u8(&in, &flags);
		if (flags & ~SEAL_FLAG_FINAL) {
			snprintf(err, errlen, "chunk %llu: unknown flags", (unsigned long long)counter);
			goto out;
		}
		cipher = buf_ptr(&in);
		buf_consume(&in, clen);
		tag = buf_ptr(&in);
		buf_consume(&in, 16);
		seal_chunk_params(header, prefix, counter, flags, clen, nonce, aad);
		if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
		    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
		    EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)sizeof(aad)) != 1 ||
		    (clen > 0 && EVP_DecryptUpdate(ctx, clear, &outl, cipher, (int)clen) != 1) ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(uintptr_t)tag) != 1 ||
		    EVP_DecryptFinal_ex(ctx, clear + (clen > 0 ? clen : 0), &outl) != 1) {
			snprintf(err, errlen, "chunk %llu does not authenticate (altered, reordered or wrong key)",
				 (unsigned long long)counter);
			goto out;
		}
		if (fn(clear, clen, fn_ctx) != 0) {
			snprintf(err, errlen, "plaintext larger than the buffer allows");
			goto out;
		}
		counter++;
		if (flags & SEAL_FLAG_FINAL) {
			if (buf_len(&in) != 0) {
				snprintf(err, errlen, "bytes after the final chunk");
				goto out;
			}
			break;
		}
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (clear != NULL) {
		OPENSSL_cleanse(clear, SEAL_CHUNK_MAX);
		free(clear);
	}
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}
