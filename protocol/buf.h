/*
 * buf: the bounded byte buffer every wire parser in Handoff goes through.
 *
 * Modelled on OpenSSH's sshbuf. A buffer holds the bytes [off, len) of an
 * allocation; reads consume from the front, writes append at the back, and
 * nothing ever grows past the cap given at init. Every getter returns 0 or a
 * negative BUF_ERR_* code and leaves the buffer untouched on error, so a
 * parser can chain calls and bail out at the first failure. Lengths that come
 * from the wire are always checked against the caller's cap and against what
 * is actually present; no getter trusts them.
 *
 * Integers are big-endian (network order), strings are a u32 length followed
 * by that many bytes, as in SSH.
 */
#ifndef HANDOFF_BUF_H
#define HANDOFF_BUF_H

#include <stddef.h>
#include <stdint.h>

enum {
	BUF_OK = 0,
	BUF_ERR_SHORT = -1,    /* fewer bytes present than the read needs */
	BUF_ERR_TOO_LONG = -2, /* a length exceeds its cap or the buffer's */
	BUF_ERR_NOMEM = -3,
	BUF_ERR_FORMAT = -4,   /* bytes present but not well formed */
	BUF_ERR_READONLY = -5,
};

/* The hard ceiling for any buffer, whatever its owner asks for. */
#define BUF_MAX_CAP (16u * 1024 * 1024)

struct buf {
	uint8_t *data;
	size_t off;      /* first unread byte */
	size_t len;      /* one past the last written byte */
	size_t alloc;
	size_t cap;      /* len - off never exceeds this */
	int readonly;    /* a view over bytes owned by someone else */
};

/* Empty buffer that may hold up to cap bytes (clamped to BUF_MAX_CAP). */
void buf_init(struct buf *b, size_t cap);
/* Read-only view over p[0..n); p must outlive the view. No allocation. */
void buf_view(struct buf *b, const void *p, size_t n);
/* Frees the allocation (wiping it first) and leaves an empty buffer. */
void buf_free(struct buf *b);
/* Drops all content, keeps the allocation and the cap. */
void buf_reset(struct buf *b);

size_t buf_len(const struct buf *b);
const uint8_t *buf_ptr(const struct buf *b);
/* How many more bytes may be appended before the cap. */
size_t buf_room(const struct buf *b);

int buf_put(struct buf *b, const void *p, size_t n);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_string(struct buf *b, const void *p, size_t n);
int buf_put_cstring(struct buf *b, const char *s);
/*
 * Appends printf's text (no NUL), whole or not at all: BUF_ERR_TOO_LONG
 * when it does not fit the cap, BUF_ERR_FORMAT when fmt cannot be printed.
 */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Makes room for n bytes at the back and points *p at them, for reading
 * from a descriptor straight into the buffer; then call buf_commit with the
 * number actually written there.
 */
int buf_reserve(struct buf *b, size_t n, uint8_t **p);
int buf_commit(struct buf *b, size_t n);

int buf_get(struct buf *b, void *p, size_t n);
int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
int buf_peek_u32(const struct buf *b, uint32_t *v);
/*
 * A u32-length-prefixed string of at most cap bytes. *p points into the
 * buffer and stays valid until the next write or free.
 */
int buf_get_string_ptr(struct buf *b, const uint8_t **p, size_t *n, size_t cap);
/*
 * Same, copied into a new NUL-terminated string the caller frees. Rejects
 * embedded NULs and bytes that are not valid UTF-8 (BUF_ERR_FORMAT).
 */
int buf_get_cstring(struct buf *b, char **s, size_t cap);
int buf_consume(struct buf *b, size_t n);

const char *buf_strerror(int err);

#endif
