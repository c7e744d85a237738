/*
 * merkle: RFC 6962 (Certificate Transparency) Merkle trees over SHA-256,
 * for the audit chain's signed tickets root (chain.h, export.h).
 *
 *   leaf hash   SHA-256(0x00 | leaf bytes)
 *   node hash   SHA-256(0x01 | left | right)
 *   root        MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest
 *               power of two below n; one leaf is its own root; the empty
 *               tree's root is SHA-256 of nothing
 *
 * The prefixes keep a leaf from ever being read as a node (a second
 * preimage across levels). An inclusion proof of leaf m in a tree of n
 * leaves is the RFC's audit path: the sibling hashes from the leaf up,
 * at most MERKLE_PROOF_MAX of them. Everything here is pure computation.
 */
#ifndef HANDOFF_MERKLE_H
#define HANDOFF_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* A tree of up to 2^64 leaves has a path of at most 64 hashes. */
#define MERKLE_PROOF_MAX 64

void merkle_leaf_hash(const uint8_t *data, size_t n, uint8_t out[MERKLE_HASH_LEN]);
void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
		      uint8_t out[MERKLE_HASH_LEN]);
/* The root over n leaf hashes (n may be 0). */
void merkle_root(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, uint8_t out[MERKLE_HASH_LEN]);
/*
 * The inclusion proof of leaf index in the tree over n leaf hashes: *plen
 * hashes into proof (room for MERKLE_PROOF_MAX). 0, or -1 when index >= n.
 */
int merkle_proof(const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n, size_t index,
		 uint8_t (*proof)[MERKLE_HASH_LEN], size_t *plen);
/*
 * 1 when proof (plen hashes) shows leaf hash leaf at index in a tree of n
 * leaves whose root is root (RFC 9162, 2.1.3.2), else 0.
 */
int merkle_verify(const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t n,
		  const uint8_t (*proof)[MERKLE_HASH_LEN], size_t plen, const uint8_t root[MERKLE_HASH_LEN]);

#endif
