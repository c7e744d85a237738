/*
 * merkle.c: see merkle.h. The root and the proof recurse on the RFC's
 * split (depth at most 64); the verifier is the RFC 9162 loop, which
 * checks the proof's length against the tree's shape as it goes, so a
 * proof with a hash too many or too few fails instead of being cut.
 */
#include "merkle.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

void merkle_leaf_hash(const uint8_t *data, size_t n, uint8_t out[MERKLE_HASH_LEN])
{
	static const uint8_t prefix = 0x00;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;

	/* A digest that cannot run leaves a root nobody signed: zeros, never a match. */
	memset(out, 0, MERKLE_HASH_LEN);
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(md, &prefix, 1) == 1 &&
	    (n == 0 || EVP_DigestUpdate(md, data, n) == 1))
		EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
		      uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t m[1 + 2 * MERKLE_HASH_LEN];

	m[0] = 0x01;
	memcpy(m + 1, left, MERKLE_HASH_LEN);
	memcpy(m + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	SHA256(m, sizeof(m), out);
}

/* The largest power of two strictly below n (n >= 2). */
static size_t merkle_split(size_t n)
{
	size_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void merkle_subtree(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t left[MERKLE_HASH_LEN], right[MERKLE_HASH_LEN];
	size_t k;

	if (n == 1) {
		memcpy(out, leaves[0], MERKLE_HASH_LEN);
		return;
	}
	k = merkle_split(n);
	merkle_subtree(leaves, k, left);
	merkle_subtree(leaves + k, n - k, right);
	merkle_node_hash(left, right, out);
}

void merkle_root(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, uint8_t out[MERKLE_HASH_LEN])
{
	if (n == 0) {
		SHA256((const uint8_t *)"", 0, out);
		return;
	}
	merkle_subtree(leaves, n, out);
}

int merkle_proof(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, size_t index,
		 uint8_t (*proof)[MERKLE_HASH_LEN], size_t *plen)
{
	/* Siblings are found from the root down and belong in the proof from the leaf up. */
	uint8_t down[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	size_t depth = 0;

	*plen = 0;
	if (index >= n)
		return -1;
	while (n > 1) {
		size_t k = merkle_split(n);

		if (index < k) {
			merkle_subtree(leaves + k, n - k, down[depth]);
			n = k;
		} else {
			merkle_subtree(leaves, k, down[depth]);
			leaves += k;
			index -= k;
			n -= k;
		}
		depth++;
	}
	for (size_t i = 0; i < depth; i++)
		memcpy(proof[i], down[depth - 1 - i], MERKLE_HASH_LEN);
	*plen = depth;
	return 0;
}

int merkle_verify(const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t n,
		  const uint8_t (*proof)[MERKLE_HASH_LEN], size_t plen, const uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t r[MERKLE_HASH_LEN];
	uint64_t fn = index, sn;

	if (index >= n || plen > MERKLE_PROOF_MAX)
		return 0;
	sn = n - 1;
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (size_t i = 0; i < plen; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) != 0 || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && CRYPTO_memcmp(r, root, MERKLE_HASH_LEN) == 0;
}
