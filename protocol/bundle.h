/*
 * bundle: the one-file helper a customer double-clicks.
 *
 *   FILE    = LAUNCHER || PAYLOAD || TRAILER
 *   TRAILER = "HANDOFF-BUNDLE-1" (16 bytes) || u64 payload length || SHA-256(PAYLOAD)
 *   PAYLOAD = ENTRY*
 *   ENTRY   = string path || u32 mode || string data     (buf.h encoding)
 *
 * LAUNCHER is a static program (launcher/launch.c) that finds its own
 * payload through the trailer at the end of its file, checks the hash,
 * unpacks the entries into a private directory and runs the helper in it
 * with the bundled dynamic loader and libraries. The entry "etc/args"
 * holds the helper's arguments (relay, pinned host key, organisation),
 * NUL-separated.
 *
 * The hash catches a damaged or naively edited file. It is not a
 * signature: whoever can rewrite the file can rewrite the hash, and a
 * self-contained file cannot authenticate itself. Authenticity comes from
 * where the customer gets the file (see SECURITY.md).
 *
 * The reader treats the payload as hostile: every length is checked, and
 * paths must be relative, made of [A-Za-z0-9._+-] components, none of
 * them "." or "..", so nothing can be written outside the directory.
 */
#ifndef HANDOFF_BUNDLE_H
#define HANDOFF_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define BUNDLE_MAGIC "HANDOFF-BUNDLE-1"
#define BUNDLE_MAGIC_LEN 16
#define BUNDLE_TRAILER_LEN (BUNDLE_MAGIC_LEN + 8 + 32)
#define BUNDLE_PATH_MAX 200
#define BUNDLE_ENTRY_MAX (64u * 1024 * 1024)    /* one file */
#define BUNDLE_PAYLOAD_MAX (1024u * 1024 * 1024) /* all of them */
#define BUNDLE_ENTRIES_MAX 4096
#define BUNDLE_ARGS_MAX 32

/* What a damaged bundle tells the customer, in both languages (nothing in it can be trusted). */
#define BUNDLE_DAMAGED_TEXT \
	"This support program is damaged or was changed after your support\n" \
	"organisation made it, so it will not run. Please ask them for a new copy.\n" \
	"\n" \
	"このサポートプログラムは壊れているか、作成後に変更されているため\n" \
	"実行しません。サポート担当者に新しいファイルを依頼してください。\n"

struct bundle_entry {
	char path[BUNDLE_PATH_MAX + 1];
	uint32_t mode;          /* permission bits only, 0700 at most */
	const uint8_t *data;    /* points into the payload */
	size_t len;
};

/*
 * Finds the payload of a bundle file of n bytes: *off and *len locate it,
 * sha receives the hash the trailer claims. 0, or a negative BUF_ERR_*.
 */
int bundle_trailer(const uint8_t *file, size_t n, size_t *off, size_t *len, uint8_t sha[32]);
/* Encodes a trailer for a payload of len bytes with hash sha into out. */
void bundle_trailer_encode(uint64_t len, const uint8_t sha[32], uint8_t out[BUNDLE_TRAILER_LEN]);
/* 1 if path[0..n) is a safe relative path (see above), else 0. */
int bundle_path_ok(const char *path, size_t n);
/*
 * Reads the next entry of a payload viewed by b. 1 with *e filled, 0 at
 * the end, or a negative BUF_ERR_* (the caller stops).
 */
int bundle_next(struct buf *b, struct bundle_entry *e);
/* Encodes an entry's header (path, mode, data length) into out. 0 or BUF_ERR_*. */
int bundle_entry_header(struct buf *out, const char *path, uint32_t mode, uint32_t data_len);
/*
 * Splits the "etc/args" entry into argv[0..*argc) (pointers into copy,
 * which receives the bytes NUL-terminated; copylen > len). 0, or
 * BUF_ERR_FORMAT (too many arguments, no final NUL, not UTF-8).
 */
int bundle_args(const uint8_t *data, size_t len, char *copy, size_t copylen, const char **argv,
		size_t *argc);

#endif
