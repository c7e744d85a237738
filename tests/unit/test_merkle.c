/*
 * Merkle trees (protocol/merkle.c): the RFC 6962 reference vectors (the
 * roots of the first 1 to 8 of its leaves, and audit paths), then every
 * proof of every leaf in trees of 1 to 70 leaves verified, and each one
 * refused once anything about it changes: a hash of the proof, the leaf,
 * its index, a hash added or left out (the tree's size is not bound by a
 * proof: see below). And the tickets
 * root's signature (chain.h): another count or root is not signed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"
#include "hex.h"
#include "merkle.h"

static const char *const rfc_roots[] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* The reference leaves: "", 00, 10, 2021, 3031, 40..43, 50..57, 60..6f. */
static void rfc_leaves(uint8_t leaves[8][MERKLE_HASH_LEN])
{
	static const uint8_t d[] = { 0x00, 0x10, 0x20, 0x21, 0x30, 0x31, 0x40, 0x41, 0x42, 0x43, 0x50, 0x51, 0x52,
				     0x53, 0x54, 0x55, 0x56, 0x57, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
				     0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f };
	static const size_t off[] = { 0, 0, 1, 2, 4, 6, 10, 18 }, len[] = { 0, 1, 1, 2, 2, 4, 8, 16 };

	for (int i = 0; i < 8; i++)
		merkle_leaf_hash(d + off[i], len[i], leaves[i]);
}

static void hex_is(const uint8_t h[MERKLE_HASH_LEN], const char *want)
{
	char got[2 * MERKLE_HASH_LEN + 1];

	hex_encode(h, MERKLE_HASH_LEN, got);
	assert_string_equal(got, want);
}

static void test_rfc_vectors(void **state)
{
	uint8_t leaves[8][MERKLE_HASH_LEN], root[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX][MERKLE_HASH_LEN];
	size_t n;

	(void)state;
	rfc_leaves(leaves);
	for (size_t i = 0; i < 8; i++) {
		merkle_root((const uint8_t (*)[MERKLE_HASH_LEN])leaves, i + 1, root);
		hex_is(root, rfc_roots[i]);
	}
	merkle_root(NULL, 0, root);
	hex_is(root, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(merkle_proof((const uint8_t (*)[MERKLE_HASH_LEN])leaves, 8, 0, proof, &n), 0);
	assert_int_equal(n, 3);
	hex_is(proof[0], "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
	hex_is(proof[1], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
	hex_is(proof[2], "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
	assert_int_equal(merkle_proof((const uint8_t (*)[MERKLE_HASH_LEN])leaves, 8, 5, proof, &n), 0);
	assert_int_equal(n, 3);
	hex_is(proof[0], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
	hex_is(proof[1], "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
	hex_is(proof[2], "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
	/* One leaf: no proof, the leaf is the root. */
	assert_int_equal(merkle_proof((const uint8_t (*)[MERKLE_HASH_LEN])leaves, 1, 0, proof, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(merkle_verify(leaves[0], 0, 1, proof, 0, leaves[0]), 1);
	assert_int_equal(merkle_proof((const uint8_t (*)[MERKLE_HASH_LEN])leaves, 8, 8, proof, &n), -1);
}

/* A leaf and a node over the same bytes differ: the prefixes keep the levels apart. */
static void test_domain_separation(void **state)
{
	uint8_t a[MERKLE_HASH_LEN], b[MERKLE_HASH_LEN], node[MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
	uint8_t both[2 * MERKLE_HASH_LEN];

	(void)state;
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	merkle_node_hash(a, b, node);
	memcpy(both, a, sizeof(a));
	memcpy(both + sizeof(a), b, sizeof(b));
	merkle_leaf_hash(both, sizeof(both), leaf);
	assert_memory_not_equal(node, leaf, MERKLE_HASH_LEN);
	/* Two leaves' node is not a leaf of a one-leaf tree a verifier would accept for the pair's bytes. */
	assert_int_equal(merkle_verify(leaf, 0, 1, NULL, 0, node), 0);
}

static void test_every_proof(void **state)
{
	static uint8_t leaves[70][MERKLE_HASH_LEN];
	uint8_t root[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX + 1][MERKLE_HASH_LEN], other[MERKLE_HASH_LEN];
	size_t checked = 0;

	(void)state;
	for (uint8_t i = 0; i < 70; i++)
		merkle_leaf_hash(&i, 1, leaves[i]);
	memset(other, 0x5a, sizeof(other));
	for (size_t n = 1; n <= 70; n++) {
		merkle_root((const uint8_t (*)[MERKLE_HASH_LEN])leaves, n, root);
		for (size_t m = 0; m < n; m++) {
			size_t plen;

			assert_int_equal(merkle_proof((const uint8_t (*)[MERKLE_HASH_LEN])leaves, n, m, proof, &plen), 0);
			assert_true(plen <= 7);
			assert_int_equal(merkle_verify(leaves[m], m, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen, root),
					 1);
			/* Another leaf, index or size. */
			assert_int_equal(merkle_verify(other, m, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen, root), 0);
			if (n > 1) {
				assert_int_equal(merkle_verify(leaves[m], (m + 1) % n, n,
							       (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen, root),
						 0);
				assert_int_equal(merkle_verify(leaves[(m + 1) % n], m, n,
							       (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen, root),
						 0);
			}
			/*
			 * Another size is not always refused: a leaf of a left subtree has
			 * the same path in trees of nearby sizes. That is why the number of
			 * tickets is signed with the root (chain.h), not left to the proof.
			 */
			assert_int_equal(merkle_verify(leaves[m], n, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen, root),
					 0);
			/* A hash left out, or one more. */
			if (plen > 0)
				assert_int_equal(merkle_verify(leaves[m], m, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof,
							       plen - 1, root),
						 0);
			memcpy(proof[plen], other, MERKLE_HASH_LEN);
			assert_int_equal(merkle_verify(leaves[m], m, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof, plen + 1,
						       root),
					 0);
			/* Each hash changed in one bit. */
			for (size_t k = 0; k < plen; k++) {
				proof[k][k % MERKLE_HASH_LEN] ^= 0x04;
				assert_int_equal(merkle_verify(leaves[m], m, n, (const uint8_t (*)[MERKLE_HASH_LEN])proof,
							       plen, root),
						 0);
				proof[k][k % MERKLE_HASH_LEN] ^= 0x04;
			}
			checked++;
		}
	}
	assert_int_equal(checked, 70 * 71 / 2);
	/* A proof longer than any tree's is refused before it is read. */
	assert_int_equal(merkle_verify(leaves[0], 0, 2, (const uint8_t (*)[MERKLE_HASH_LEN])proof, MERKLE_PROOF_MAX + 1,
				       root),
			 0);
}

/* The tickets root is signed with the checkpoint it belongs to: nothing of it can be swapped. */
static void test_tickets_signature(void **state)
{
	EVP_PKEY *key = chain_key_generate();
	uint8_t pub[CHAIN_PUB_LEN], hash[CHAIN_HASH_LEN], root[CHAIN_HASH_LEN], sig[CHAIN_SIG_LEN];
	uint8_t a[CHAIN_HASH_LEN], b[CHAIN_HASH_LEN], th[CHAIN_HASH_LEN], body[CHAIN_HASH_LEN];

	(void)state;
	assert_non_null(key);
	assert_int_equal(chain_key_public(key, pub), 0);
	memset(hash, 0x11, sizeof(hash));
	memset(root, 0x22, sizeof(root));
	assert_int_equal(chain_tickets_sign(key, 100, hash, 1700, 5, root, sig), 0);
	assert_int_equal(chain_tickets_verify(pub, 100, hash, 1700, 5, root, sig), 1);
	assert_int_equal(chain_tickets_verify(pub, 101, hash, 1700, 5, root, sig), 0);
	assert_int_equal(chain_tickets_verify(pub, 100, hash, 1701, 5, root, sig), 0);
	assert_int_equal(chain_tickets_verify(pub, 100, hash, 1700, 4, root, sig), 0);
	root[0] ^= 1;
	assert_int_equal(chain_tickets_verify(pub, 100, hash, 1700, 5, root, sig), 0);
	root[0] ^= 1;
	/* Not a checkpoint's signature either way: the labels differ. */
	assert_int_equal(chain_checkpoint_verify(pub, 100, hash, 1700, sig), 0);
	/* A ticket's leaf names the ticket, its last seq and its hash. */
	memset(th, 0x33, sizeof(th));
	chain_ticket_leaf(7, 40, th, a);
	chain_ticket_leaf(8, 40, th, b);
	assert_memory_not_equal(a, b, CHAIN_HASH_LEN);
	chain_ticket_leaf(7, 41, th, b);
	assert_memory_not_equal(a, b, CHAIN_HASH_LEN);
	/* A ticket link is not a chain link over the same fields. */
	memset(body, 0x44, sizeof(body));
	chain_ticket_link_hash(th, 40, 7, body, a);
	chain_link_hash(th, 40, 7, body, b);
	assert_memory_not_equal(a, b, CHAIN_HASH_LEN);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_vectors),
		cmocka_unit_test(test_domain_separation),
		cmocka_unit_test(test_every_proof),
		cmocka_unit_test(test_tickets_signature),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
