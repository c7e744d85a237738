/*
 * chain: the relay's tamper-evident audit log, as bytes and hashes.
 *
 * Every ticket event is one link of a single relay-wide chain. A link is
 *
 *   seq        1, 2, 3, ... without gaps (the event's id in the store)
 *   ticket     the ticket the event belongs to
 *   body       the canonical encoding of the event (buf encoding):
 *                u64 ticket | u64 at | string kind | string actor |
 *                string role | string clearance | string detail
 *   body_hash  SHA-256(body)
 *   hash       SHA-256(prev_hash | u64 seq | u64 ticket | body_hash), where
 *              prev_hash is the previous link's hash (32 zero bytes for seq 1)
 *
 * The ticket is hashed outside the body too, so that an export can show
 * another ticket's link as a stub (seq, ticket, body_hash) without its
 * content, and still nobody can pass one of the exported ticket's links
 * off as someone else's.
 *
 * A checkpoint is the relay's Ed25519 signature (its audit key) over
 * "handoff-checkpoint-v1" | u64 seq | hash | u64 at: "the chain up to seq
 * ends in hash", said at time at. A verifier that trusts the audit key thus
 * trusts every link up to the checkpoint; a change, a deletion, a
 * reordering or a cut changes some hash and breaks a signature.
 *
 * Each link also belongs to its ticket's own chain, so that one ticket's
 * record can be shown whole without the rest of the relay's:
 *
 *   ticket_hash  SHA-256("handoff-ticket-link-v1" | ticket_prev | u64 seq |
 *                u64 ticket | body_hash), where ticket_prev is the
 *                ticket_hash of the ticket's previous link (32 zero bytes
 *                for its first)
 *
 * and a checkpoint also signs the heads of every ticket's chain:
 * "handoff-tickets-v1" | u64 seq | hash | u64 at | u64 n | root, where root
 * is the RFC 6962 Merkle root (merkle.h) over n leaves, one per ticket with
 * a link up to seq, in ticket order: the leaf bytes are u64 ticket | u64
 * last seq | its ticket_hash there. "Ticket T's record up to checkpoint
 * seq ends at link S in hash H": a verifier holding T's links, the leaf's
 * inclusion proof and this signature knows that none is missing, added or
 * changed, the last ones included.
 *
 * Audit key files live in the relay home: keys/audit_ed25519 (PKCS#8 PEM,
 * written and read by OpenSSL) and keys/audit_ed25519.pub, one line of text
 * "handoff-audit-ed25519 HEX" (the 32 raw public key bytes). Its fingerprint
 * is "SHA256:" and the unpadded base64 of SHA-256 of the raw key, in the
 * style of the SSH host key's.
 */
#ifndef HANDOFF_CHAIN_H
#define HANDOFF_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "hex.h"

#define CHAIN_HASH_LEN 32
#define CHAIN_SIG_LEN 64
#define CHAIN_PUB_LEN 32
/* "SHA256:" + 43 base64 digits + NUL, with room to spare. */
#define CHAIN_FP_MAX 64

/* Caps on an event's fields: the encoder refuses what the decoder would reject. */
#define CHAIN_KIND_MAX 64u
#define CHAIN_NAME_MAX 256u       /* actor, role, clearance */
#define CHAIN_DETAIL_MAX 32768u
#define CHAIN_BODY_MAX (8 + 8 + 4 * 5 + CHAIN_KIND_MAX + 3 * CHAIN_NAME_MAX + CHAIN_DETAIL_MAX)

#define CHAIN_PUB_LABEL "handoff-audit-ed25519"
#define CHAIN_CHECKPOINT_LABEL "handoff-checkpoint-v1"
#define CHAIN_TICKET_LINK_LABEL "handoff-ticket-link-v1"
#define CHAIN_TICKETS_LABEL "handoff-tickets-v1"

/* One event as the chain sees it; strings may not be NULL and hold no NUL. */
struct chain_event {
	uint64_t ticket;
	int64_t at;
	const char *kind;
	const char *actor;
	const char *role;
	const char *clearance;
	const char *detail;
};

/* A decoded body: the strings are NUL-terminated copies the caller frees with chain_event_free. */
struct chain_event_owned {
	struct chain_event e;
	char *kind, *actor, *role, *clearance, *detail;
};

/* Appends the canonical body of e to out. 0 or a negative BUF_ERR_* (a field over its cap). */
int chain_body_encode(struct buf *out, const struct chain_event *e);
/*
 * Decodes a whole body (nothing may follow it) and checks that it is the
 * canonical encoding of what it holds. 0 or a negative BUF_ERR_*; on error
 * nothing is left to free.
 */
int chain_body_decode(const uint8_t *p, size_t n, struct chain_event_owned *out);
void chain_event_free(struct chain_event_owned *e);

void chain_sha256(const void *p, size_t n, uint8_t out[CHAIN_HASH_LEN]);
/* hash = SHA-256(prev | u64 seq | u64 ticket | body_hash) */
void chain_link_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t seq, uint64_t ticket,
		     const uint8_t body_hash[CHAIN_HASH_LEN], uint8_t out[CHAIN_HASH_LEN]);
/* body_hash and hash of e as link seq after prev: what the store writes. 0 or -1 (a field too long). */
int chain_link_compute(const struct chain_event *e, uint64_t seq, const uint8_t prev[CHAIN_HASH_LEN],
		       uint8_t body_hash[CHAIN_HASH_LEN], uint8_t hash[CHAIN_HASH_LEN]);

/*
 * Walks a chain link by link from seq 1, for the relay's own check and for
 * the offline verifier alike. Start with chain_walk_init; feed every link
 * in order. A step that fails fills err with what failed, naming the
 * record, and the walk stays failed.
 */
struct chain_walk {
	uint64_t seq;                    /* last link accepted, 0 before the first */
	uint8_t hash[CHAIN_HASH_LEN];    /* its hash (zeros before the first) */
	bool failed;
};

void chain_walk_init(struct chain_walk *w);
/*
 * Accepts link seq if it follows the last one: seq is the next number, the
 * stored prev (NULL when the source keeps none) is the last link's hash,
 * and stored_hash is SHA-256(prev | seq | ticket | body_hash). 0 or -1.
 */
int chain_walk_step(struct chain_walk *w, uint64_t seq, uint64_t ticket, const uint8_t body_hash[CHAIN_HASH_LEN],
		    const uint8_t *stored_prev, const uint8_t stored_hash[CHAIN_HASH_LEN], char *err, size_t errlen);

/* The bytes a checkpoint signature covers. */
int chain_checkpoint_message(struct buf *out, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at);
/* Signs a checkpoint with the audit key (an Ed25519 private EVP_PKEY). 0 or -1. */
int chain_checkpoint_sign(EVP_PKEY *key, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
			  uint8_t sig[CHAIN_SIG_LEN]);
/* 1 when sig is the key pub's signature of the checkpoint, else 0. */
int chain_checkpoint_verify(const uint8_t pub[CHAIN_PUB_LEN], uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
			    int64_t at, const uint8_t sig[CHAIN_SIG_LEN]);

/* ticket_hash = SHA-256("handoff-ticket-link-v1" | prev | u64 seq | u64 ticket | body_hash) */
void chain_ticket_link_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t seq, uint64_t ticket,
			    const uint8_t body_hash[CHAIN_HASH_LEN], uint8_t out[CHAIN_HASH_LEN]);
/* The Merkle leaf hash of a ticket's head: leaf bytes u64 ticket | u64 seq | ticket_hash. */
void chain_ticket_leaf(uint64_t ticket, uint64_t seq, const uint8_t ticket_hash[CHAIN_HASH_LEN],
		       uint8_t out[CHAIN_HASH_LEN]);
/* The bytes a tickets signature covers. */
int chain_tickets_message(struct buf *out, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
			  uint64_t ntickets, const uint8_t root[CHAIN_HASH_LEN]);
/* Signs, or checks (1 when good), the tickets root of the checkpoint at seq. */
int chain_tickets_sign(EVP_PKEY *key, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
		       uint64_t ntickets, const uint8_t root[CHAIN_HASH_LEN], uint8_t sig[CHAIN_SIG_LEN]);
int chain_tickets_verify(const uint8_t pub[CHAIN_PUB_LEN], uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN],
			 int64_t at, uint64_t ntickets, const uint8_t root[CHAIN_HASH_LEN],
			 const uint8_t sig[CHAIN_SIG_LEN]);

/* Ed25519 over any message (used for checkpoints and for whole exports). */
int chain_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[CHAIN_SIG_LEN]);
int chain_verify(const uint8_t pub[CHAIN_PUB_LEN], const uint8_t *msg, size_t len, const uint8_t sig[CHAIN_SIG_LEN]);

/* A new Ed25519 key (the caller frees it with EVP_PKEY_free), or NULL. */
EVP_PKEY *chain_key_generate(void);
/* The raw public half of a private or public Ed25519 key. 0 or -1. */
int chain_key_public(EVP_PKEY *key, uint8_t pub[CHAIN_PUB_LEN]);
/*
 * Writes the private key (PEM, created 0600, never over an existing file)
 * and the public key file. 0 or -1 with err.
 */
int chain_key_save(EVP_PKEY *key, const char *priv_path, const char *pub_path, char *err, size_t errlen);
/* Reads a private key file written by chain_key_save; *out is freed by the caller. 0 or -1 with err. */
int chain_key_load_private(const char *path, EVP_PKEY **out, char *err, size_t errlen);
/* Reads a public key file ("handoff-audit-ed25519 HEX"). 0 or -1 with err. */
int chain_pub_load(const char *path, uint8_t pub[CHAIN_PUB_LEN], char *err, size_t errlen);
/* Parses the text of a public key file. 0 or -1. */
int chain_pub_parse(const uint8_t *text, size_t len, uint8_t pub[CHAIN_PUB_LEN]);
/* "SHA256:..." of a raw public key. */
void chain_fingerprint(const uint8_t pub[CHAIN_PUB_LEN], char *out, size_t outlen);
/* The 32 bytes the fingerprint shows: SHA-256 of the raw key. */
void chain_key_id(const uint8_t pub[CHAIN_PUB_LEN], uint8_t id[CHAIN_HASH_LEN]);
/* The fingerprint of a key known only by its id (as an export names its key). */
void chain_fingerprint_id(const uint8_t id[CHAIN_HASH_LEN], char *out, size_t outlen);


#endif
