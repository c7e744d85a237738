/*
 * export: one ticket's record as a single file that an auditor can check
 * offline with nothing but the relay's public audit key.
 *
 *   file   "HOEXP001" | item* (nothing after END)
 *   item   u8 type | u32 length | payload[length] (the payload is read whole
 *          and nothing may be left over)
 *
 *   HEADER      u64 ticket | u64 exported_at | 32 key id (SHA-256 of the raw
 *               audit public key: what its fingerprint shows)
 *   LINK        u64 seq | u64 ticket | 32 hash | string body
 *               a link of the exported ticket, in full (chain.h body)
 *   STUB        u64 seq | u64 ticket | 32 body_hash | 32 hash
 *               a link of another ticket: enough to check the chain, nothing
 *               of its content
 *   CHECKPOINT  u64 seq | 32 hash | u64 at | 64 signature
 *               right after the link it covers
 *   ATTACHMENT  u64 id | string kind | string name | string content
 *   RECORDING   string path | string bytes (the sealed file, as on the relay)
 *   END         u64 links | u32 checkpoints | u32 attachments | u32 recordings |
 *               64 signature over "handoff-export-v1" | SHA-256(every byte
 *               of the file before this signature)
 *
 * Order: HEADER; every link from seq 1 with its checkpoints, the last link
 * covered by a checkpoint; the attachments; the recordings; END. The links
 * and checkpoints carry the proof; the END signature only adds that nothing
 * else in the file (the header, the framing) was touched.
 *
 * The verifier recomputes every hash, follows prev linkage and seq from 1
 * without a gap, requires every link of the ticket in full and every
 * attachment and recording its events name (attachment-added:
 * "#ID KIND NAME, N bytes, sha256 HEX"; recording-closed:
 * "PATH SHA256 SIZE STATE") with matching content, and names the first
 * thing that fails.
 *
 * Version 1 carries a stub for every record of every other ticket, so it
 * grows with the relay's history. Version 2 carries the ticket alone and
 * is bounded by it (chain.h: the ticket's own chain and the signed root
 * over every ticket's head):
 *
 *   file   "HOEXP002" | item*
 *   HEADER      as in version 1
 *   LINK        u64 seq | u64 ticket | 32 ticket_hash | string body
 *               every link of the ticket up to the checkpoint, in order;
 *               ticket_hash is its link in the ticket's chain
 *   HEAD        u64 seq | 32 hash | u64 at | 64 signature  (the checkpoint,
 *               as version 1 has it: what witnesses keep)
 *               u64 tickets | 32 root | 64 tickets signature
 *               u64 head seq | 32 head ticket_hash | u64 leaf index |
 *               u32 n | 32 * n  (the ticket's head and its inclusion proof)
 *   ATTACHMENT, RECORDING  as in version 1
 *   END         as in version 1, "links" counting the ticket's; signed
 *               over "handoff-export-v2" | SHA-256(the file before it)
 *
 *   SIGNER      32 public key | string name  (only when the HEAD's checkpoint
 *               was signed by another relay of the store than the exporting
 *               one: the key its signatures are checked under, which must be
 *               among the keys the auditor trusts; right before HEAD)
 *
 * Order: HEADER; the LINKs; [SIGNER]; one HEAD; attachments; recordings; END. The
 * verifier follows the ticket's chain link by link from zeros (a link
 * left out, added or changed breaks it at that link), checks both
 * signatures and the proof of (ticket, head seq, head ticket_hash) under
 * the signed root, and requires that the chain end exactly at that head
 * (the tail cut off is named as such). Size: the ticket's links, 273 bytes
 * of HEAD and 32 per doubling of the relay's tickets, its files.
 */
#ifndef HANDOFF_EXPORT_H
#define HANDOFF_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "chain.h"
#include "event.h"
#include "merkle.h"

#define EXPORT_MAGIC "HOEXP001"
#define EXPORT_MAGIC_V2 "HOEXP002"
#define EXPORT_SIGN_LABEL "handoff-export-v1"
#define EXPORT_SIGN_LABEL_V2 "handoff-export-v2"

/* Caps on what a reader accepts. A writer refuses what a reader would reject. */
#define EXPORT_FILE_MAX (1024u * 1024 * 1024)
#define EXPORT_NAME_MAX EVENT_NAME_MAX     /* attachment kind and name, recording path: what a detail names */
#define EXPORT_ATTACHMENT_MAX (64u * 1024 * 1024)
#define EXPORT_RECORDING_MAX (512u * 1024 * 1024)
/* Attachments and recordings one ticket may name (its events are bounded far below). */
#define EXPORT_REFS_MAX 65536u

enum export_item {
	EXPORT_HEADER = 1,
	EXPORT_LINK = 2,
	EXPORT_STUB = 3,
	EXPORT_CHECKPOINT = 4,
	EXPORT_ATTACHMENT = 5,
	EXPORT_RECORDING = 6,
	EXPORT_END = 7,
	EXPORT_HEAD = 8,     /* version 2 */
	EXPORT_SIGNER = 9,   /* version 2, several relays (store.h relay_keys) */
};

/* A relay key's name in a SIGNER item (store.h: host:home). */
#define EXPORT_SIGNER_NAME_MAX 255u
/* Keys an auditor may trust at once (export_verify_keys). */
#define EXPORT_KEYS_MAX 64u

/* A version 2 export's signed head: the checkpoint, its tickets root, the ticket's leaf and proof. */
struct export_head {
	uint64_t seq;
	uint8_t hash[CHAIN_HASH_LEN];
	int64_t at;
	uint8_t sig[CHAIN_SIG_LEN];
	uint64_t tickets;
	uint8_t root[CHAIN_HASH_LEN];
	uint8_t tickets_sig[CHAIN_SIG_LEN];
	uint64_t head_seq;
	uint8_t head_hash[CHAIN_HASH_LEN];
	uint64_t index;
	size_t nproof;
	uint8_t proof[MERKLE_PROOF_MAX][CHAIN_HASH_LEN];
};

/*
 * The writer appends to a buf the caller owns (its cap bounds the export).
 * Calls must come in the file's order; a call out of order, or one that
 * does not fit, fails and leaves the writer failed. 0 or a negative BUF_ERR_*.
 */
struct export_writer {
	int version;          /* 1 or 2 */
	struct buf *out;
	int sink_fd;          /* -1: the whole export stays in out */
	EVP_MD_CTX *sink_md;  /* SHA-256 of what went to sink_fd, for the END signature */
	int phase;
	bool failed;
	bool head;            /* version 2: the HEAD is written */
	bool signer;          /* version 2: a SIGNER is written */
	uint64_t links;
	uint32_t checkpoints, attachments, recordings;
};

int export_writer_start(struct export_writer *w, struct buf *out, uint64_t ticket, int64_t exported_at,
			const uint8_t pub[CHAIN_PUB_LEN]);
/* A version 2 export (HOEXP002): links with their ticket_hash, one HEAD, no stubs. */
int export_writer_start_v2(struct export_writer *w, struct buf *out, uint64_t ticket, int64_t exported_at,
			   const uint8_t pub[CHAIN_PUB_LEN]);
/* Version 2: the key that signed the HEAD's checkpoint, when not the exporter's; once, right before the HEAD. */
int export_put_signer(struct export_writer *w, const uint8_t pub[CHAIN_PUB_LEN], const char *name);
/* Version 2: the signed head, once, after the links. */
int export_put_head(struct export_writer *w, const struct export_head *h);
/* In version 1 hash is the link's chain hash, in version 2 its ticket_hash. */
int export_put_link(struct export_writer *w, uint64_t seq, uint64_t ticket, const uint8_t hash[CHAIN_HASH_LEN],
		    const uint8_t *body, size_t bodylen);
int export_put_stub(struct export_writer *w, uint64_t seq, uint64_t ticket,
		    const uint8_t body_hash[CHAIN_HASH_LEN], const uint8_t hash[CHAIN_HASH_LEN]);
int export_put_checkpoint(struct export_writer *w, uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], int64_t at,
			  const uint8_t sig[CHAIN_SIG_LEN]);
int export_put_attachment(struct export_writer *w, int64_t id, const char *kind, const char *name,
			  const void *content, size_t len);
int export_put_recording(struct export_writer *w, const char *path, const void *bytes, size_t len);
/*
 * Streams the export to fd from here on: out then only holds the item being
 * written, and big attachments and recordings go straight to fd, so an
 * export is not bounded by a buf's cap. Call right after export_writer_start.
 */
int export_writer_sink(struct export_writer *w, int fd);
/* Writes END, signed with the audit key. */
int export_writer_finish(struct export_writer *w, EVP_PKEY *key);
/* Frees what the writer holds (after finish, or instead of it). */
void export_writer_release(struct export_writer *w);

/* Called for every link of the exported ticket, once the whole export has verified. */
typedef void (*export_event_fn)(uint64_t seq, const struct chain_event *e, void *ctx);

struct export_report {
	int version;                  /* 1 or 2 */
	uint64_t ticket;
	int64_t exported_at;
	uint64_t records;             /* links from seq 1 (version 2: the relay's, up to the checkpoint) */
	uint64_t ticket_records;      /* of them, the exported ticket's */
	uint64_t checkpoints;         /* version 2: 1 */
	uint64_t tickets;             /* version 2: tickets under the signed root */
	uint64_t last_checkpoint;     /* the seq it covers */
	int64_t last_checkpoint_at;
	uint8_t last_checkpoint_hash[CHAIN_HASH_LEN]; /* the signed head, for a witness (witness.h) */
	uint8_t last_checkpoint_sig[CHAIN_SIG_LEN];
	uint64_t attachments;         /* verified */
	uint64_t recordings;          /* verified */
	uint64_t recordings_unhashed; /* named as unreadable by the relay: present in the record, not checkable */
	char key_fp[CHAIN_FP_MAX];    /* the key the export names */
	/* Version 2: the key its head's checkpoint is signed with (key_fp unless a SIGNER item names another). */
	char head_key_fp[CHAIN_FP_MAX];
	char head_key_name[EXPORT_SIGNER_NAME_MAX + 1]; /* as the SIGNER item gives it (text from the file); "" when none */
};

/*
 * Verifies the n bytes at p against the audit public key pub. 0 when all
 * holds (rep filled, and each_event, if not NULL, called for every link of
 * the ticket in order); -1 with err naming the first thing that fails.
 */
int export_verify(const uint8_t *p, size_t n, const uint8_t pub[CHAIN_PUB_LEN], struct export_report *rep,
		  export_event_fn each_event, void *ctx, char *err, size_t errlen);
/*
 * The same against a set of trusted keys (the auditor's, one per relay of
 * the store, at most EXPORT_KEYS_MAX): the key the header names and the key
 * a SIGNER item names must both be among them. Nothing in the file adds a
 * key to the set (docs/internals.md: what the offline verifier trusts).
 */
int export_verify_keys(const uint8_t *p, size_t n, const uint8_t (*keys)[CHAIN_PUB_LEN], size_t nkeys,
		       struct export_report *rep, export_event_fn each_event, void *ctx, char *err, size_t errlen);

/*
 * Every checkpoint of an export that export_verify accepted, in order
 * (what a witness checks its kept heads against; version 2 has only its
 * head). On any other bytes it stops at the first item it cannot read.
 */
typedef void (*export_checkpoint_fn)(uint64_t seq, const uint8_t hash[CHAIN_HASH_LEN], void *ctx);
void export_each_checkpoint(const uint8_t *p, size_t n, export_checkpoint_fn fn, void *ctx);

/*
 * Finds the sealed recording that id names in the export at p (n bytes):
 * its path as the records give it ("recordings/7/viewer-1-....hrec") or
 * the path's last component. The bytes must match the SHA-256 and size of
 * the ticket's recording-closed record for that path; nothing else is
 * checked here (export_verify checks the whole export). *bytes points into
 * p. 0, or -1 with err.
 */
int export_recording_find(const uint8_t *p, size_t n, const char *id, const uint8_t **bytes, size_t *len,
			  struct event_recording *ref, char *err, size_t errlen);

#endif
