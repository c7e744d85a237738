/*
 * fuzz_merkle.c: libFuzzer target for protocol/merkle.c, whose verifier
 * reads an inclusion proof out of an export (export.h, version 2: the
 * leaf index, the tree's size and the proof's hashes all come from the
 * file). The input is
 *
 *   u8 leaves (1..64) | u64 index | u64 size | 32 root | 32 leaf | 32 * k proof
 *
 * Besides memory errors and a proof read past its hashes, the target
 * checks that
 *   - every proof merkle_proof makes for a tree over the first bytes (as
 *     leaf data) verifies, and fails with its first hash changed;
 *   - a proof taken from the input verifies only for its own root: it
 *     never verifies for the root with one bit changed;
 *   - an index at or past the size never verifies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

static uint64_t fuzz_merkle_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A tree of n leaves over the input's bytes: each of its proofs verifies. */
static void fuzz_merkle_tree(const uint8_t *data, size_t size, size_t n)
{
	uint8_t leaves[64][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	size_t plen;

	for (size_t i = 0; i < n; i++)
		merkle_leaf_hash(data + (i < size ? i : 0), i < size ? size - i : 0, leaves[i]);
	merkle_root((const uint8_t (*)[MERKLE_HASH_LEN])leaves, n, root);
	for (size_t m = 0; m < n; m++) {
		if (merkle_proof((const uint8_t (*)[MERKLE_HASH_LEN])leaves, n, m, proof, &plen) != 0 ||
		    !merkle_verify(leaves[m], m, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen, root))
			abort();
		if (plen > 0) {
			proof[0][0] ^= 0x80;
			if (merkle_verify(leaves[m], m, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen, root))
				abort();
		}
	}
	if (merkle_proof((const uint8_t (*)[MERKLE_HASH_LEN])leaves, n, n, proof, &plen) != -1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t head = 1 + 8 + 8 + 2 * MERKLE_HASH_LEN;
	uint8_t root[MERKLE_HASH_LEN], *proof;
	uint64_t index, n;
	size_t k;

	if (size < 1)
		return 0;
	fuzz_merkle_tree(data + 1, size - 1, (size_t)(data[0] % 64) + 1);
	if (size < head)
		return 0;
	index = fuzz_merkle_u64(data + 1);
	n = fuzz_merkle_u64(data + 9);
	memcpy(root, data + 17, MERKLE_HASH_LEN);
	k = (size - head) / MERKLE_HASH_LEN;
	/* An exact copy, so that a read past the proof's end is a reported overflow. */
	proof = malloc(k ? k * MERKLE_HASH_LEN : 1);
	if (proof == NULL)
		return 0;
	memcpy(proof, data + head, k * MERKLE_HASH_LEN);
	if (merkle_verify(data + 17 + MERKLE_HASH_LEN, index, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, k, root)) {
		if (index >= n || k > MERKLE_PROOF_MAX)
			abort();
		root[MERKLE_HASH_LEN - 1] ^= 1;
		if (merkle_verify(data + 17 + MERKLE_HASH_LEN, index, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, k, root))
			abort();
	}
	free(proof);
	return 0;
}
