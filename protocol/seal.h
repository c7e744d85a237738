/*
 * seal: encryption at rest for what only auditors may read (recordings).
 *
 * The relay seals to the auditors' X25519 public key and keeps no secret
 * that could open the result: each file has its own ephemeral key pair,
 * whose private half is forgotten once the file key is derived.
 *
 *   header  "HOSEAL01" | u8 version (1) | 32 ephemeral public key |
 *           32 SHA-256 of the recipient public key | 16 salt
 *   chunk   u32 length (<= SEAL_CHUNK_MAX) | u8 flags | ciphertext | 16 tag
 *
 * key, nonce prefix = HKDF-SHA256(X25519(eph, recipient), salt,
 * "handoff seal v1" | eph public | recipient public) -> 32 + 4 bytes;
 * chunk i uses nonce = prefix | u64 i (big-endian) with AES-256-GCM and
 * AAD = header | u64 i | u8 flags | u32 length. The last chunk carries
 * SEAL_FLAG_FINAL: a file that ends without one was cut short (a crash),
 * and everything before the cut still opens. Reordering, dropping or
 * changing a chunk fails its tag.
 */
#ifndef HANDOFF_SEAL_H
#define HANDOFF_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SEAL_KEY_LEN 32
#define SEAL_CHUNK_MAX (64u * 1024)
#define SEAL_HEADER_LEN (8 + 1 + 32 + 32 + 16)
#define SEAL_FLAG_FINAL 1u
/* A chunk's bytes in the file besides its ciphertext: length, flags, tag. */
#define SEAL_CHUNK_OVERHEAD (4u + 1u + 16u)

struct seal_writer;

/*
 * Key files are one line of text: "handoff-x25519-public HEX" or
 * "handoff-x25519-private HEX" (64 hex digits). 0 or -1 with err.
 */
int seal_keygen(uint8_t pub[SEAL_KEY_LEN], uint8_t priv[SEAL_KEY_LEN]);
int seal_key_save(const char *path, const uint8_t key[SEAL_KEY_LEN], bool is_private, char *err, size_t errlen);
int seal_key_load(const char *path, uint8_t key[SEAL_KEY_LEN], bool is_private, char *err, size_t errlen);
/* The public half of a private key. */
int seal_key_public(const uint8_t priv[SEAL_KEY_LEN], uint8_t pub[SEAL_KEY_LEN]);

/*
 * Starts a sealed stream on fd (which the caller keeps and closes) and
 * writes its header. *w is freed by seal_writer_close or seal_writer_abort.
 */
int seal_writer_open(struct seal_writer **w, int fd, const uint8_t recipient[SEAL_KEY_LEN]);
/* Buffers p; full chunks are written as they fill. -1 on a write error (errno kept). */
int seal_writer_write(struct seal_writer *w, const void *p, size_t n);
/*
 * Seals plain[0..n) (1 to SEAL_CHUNK_MAX bytes) in place, so the caller's
 * buffer holds ciphertext after, and writes it as the next (non-final)
 * chunk; w's own buffer must be empty. Lets a caller cut the chunks where
 * it wants (record.c ends them on the file's 64 KiB boundaries) without a
 * copy into w's buffer. -1 on a write error (errno).
 */
int seal_writer_seal(struct seal_writer *w, uint8_t *plain, size_t n);
/* Writes what is buffered as a (non-final) chunk, without syncing: a kill of the process after this loses nothing before it. */
int seal_writer_push(struct seal_writer *w);
/* seal_writer_push, then fdatasync: a crash of the machine after this loses nothing before it. */
int seal_writer_flush(struct seal_writer *w);
/* Writes the final chunk and frees w. */
int seal_writer_close(struct seal_writer *w);
/* Frees w without a final chunk (the stream reads as truncated). */
void seal_writer_abort(struct seal_writer *w);
/* Bytes written to fd so far. */
uint64_t seal_writer_size(const struct seal_writer *w);

/*
 * Opens a whole sealed file held in memory with the recipient's private
 * key, handing each authenticated chunk's plaintext to fn (which returns 0,
 * or non-zero to stop with an error). The plaintext is never longer than
 * the file, so a caller can size its storage from len. Otherwise as
 * seal_open.
 */
typedef int (*seal_chunk_fn)(const uint8_t *plain, size_t n, void *ctx);
int seal_open_each(const uint8_t *file, size_t len, const uint8_t priv[SEAL_KEY_LEN], seal_chunk_fn fn,
		   void *ctx, bool *truncated, char *err, size_t errlen);

/*
 * Opens a whole sealed file held in memory with the recipient's private
 * key, appending the plaintext to plain (so at most BUF_MAX_CAP of it). *truncated is set when the file
 * ends without a final chunk (everything before was authenticated). 0, or
 * -1 with err naming what failed (bad header, wrong key, chunk N corrupt).
 */
int seal_open(const uint8_t *file, size_t len, const uint8_t priv[SEAL_KEY_LEN], struct buf *plain,
	      bool *truncated, char *err, size_t errlen);

#endif
