/*
 * buf.c: see buf.h. Invariants: off <= len <= alloc; len - off <= cap;
 * a read-only view never reallocates or writes. Growth doubles the
 * allocation so appends stay amortised O(1), but never beyond cap + off
 * (compaction moves unread bytes to the front first).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "utf8.h"

void buf_init(struct buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap > BUF_MAX_CAP ? BUF_MAX_CAP : cap;
}

void buf_view(struct buf *b, const void *p, size_t n)
{
	memset(b, 0, sizeof(*b));
	/* The cast is safe: readonly forbids every write path. */
	b->data = (uint8_t *)(uintptr_t)p;
	b->len = n;
	b->alloc = n;
	b->cap = n;
	b->readonly = 1;
}

void buf_free(struct buf *b)
{
	if (!b->readonly && b->data != NULL) {
		OPENSSL_cleanse(b->data, b->alloc);
		free(b->data);
	}
	size_t cap = b->cap;
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void buf_reset(struct buf *b)
{
	if (b->readonly)
		return;
	b->off = 0;
	b->len = 0;
}

size_t buf_len(const struct buf *b)
{
	return b->len - b->off;
}

const uint8_t *buf_ptr(const struct buf *b)
{
	/* An unallocated buffer has no data pointer; NULL + 0 is undefined. */
	static const uint8_t empty[1];

	return b->data != NULL ? b->data + b->off : empty;
}

size_t buf_room(const struct buf *b)
{
	return b->readonly ? 0 : b->cap - buf_len(b);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	char line[1024];
	char *big = NULL;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return BUF_ERR_FORMAT;
	if ((size_t)n < sizeof(line))
		return buf_put(b, line, (size_t)n);
	/* Longer than a line: sized once, checked against the cap before any allocation. */
	if ((size_t)n > buf_room(b))
		return BUF_ERR_TOO_LONG;
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return BUF_ERR_NOMEM;
	va_start(ap, fmt);
	r = vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = r == n ? buf_put(b, big, (size_t)n) : BUF_ERR_FORMAT;
	free(big);
	return r;
}

int buf_reserve(struct buf *b, size_t n, uint8_t **p)
{
	if (b->readonly)
		return BUF_ERR_READONLY;
	if (n > buf_room(b))
		return BUF_ERR_TOO_LONG;
	if (b->alloc - b->len < n && b->off > 0) {
		/* Reclaim consumed space before asking for more memory. */
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->alloc - b->len < n) {
		size_t want = b->alloc ? b->alloc : 256;
		while (want < b->len + n)
			want *= 2;
		if (want > b->cap)
			want = b->cap;
		if (want < b->len + n)
			return BUF_ERR_TOO_LONG;
		uint8_t *grown = malloc(want);
		if (grown == NULL)
			return BUF_ERR_NOMEM;
		if (b->data != NULL) {
			memcpy(grown, b->data, b->len);
			OPENSSL_cleanse(b->data, b->alloc);
			free(b->data);
		}
		b->data = grown;
		b->alloc = want;
	}
	*p = b->data + b->len;
	return BUF_OK;
}

int buf_commit(struct buf *b, size_t n)
{
	if (b->readonly)
		return BUF_ERR_READONLY;
	if (n > b->alloc - b->len)
		return BUF_ERR_TOO_LONG;
	b->len += n;
	return BUF_OK;
}

int buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int r;

	if (n == 0)
		return BUF_OK;
	if ((r = buf_reserve(b, n, &dst)) != 0)
		return r;
	memcpy(dst, p, n);
	return buf_commit(b, n);
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return buf_put(b, be, sizeof(be));
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	int r;

	/* Check room first so a failed put appends nothing. */
	if (buf_room(b) < 8)
		return b->readonly ? BUF_ERR_READONLY : BUF_ERR_TOO_LONG;
	if ((r = buf_put_u32(b, (uint32_t)(v >> 32))) != 0)
		return r;
	return buf_put_u32(b, (uint32_t)v);
}

int buf_put_string(struct buf *b, const void *p, size_t n)
{
	int r;

	if (b->readonly)
		return BUF_ERR_READONLY;
	if (n > UINT32_MAX || n + 4 > buf_room(b))
		return BUF_ERR_TOO_LONG;
	if ((r = buf_put_u32(b, (uint32_t)n)) != 0)
		return r;
	return buf_put(b, p, n);
}

int buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s ? s : "", s ? strlen(s) : 0);
}

int buf_get(struct buf *b, void *p, size_t n)
{
	if (n > buf_len(b))
		return BUF_ERR_SHORT;
	if (n == 0)
		return BUF_OK;
	if (p != NULL)
		memcpy(p, buf_ptr(b), n);
	b->off += n;
	return BUF_OK;
}

int buf_consume(struct buf *b, size_t n)
{
	return buf_get(b, NULL, n);
}

int buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

int buf_peek_u32(const struct buf *b, uint32_t *v)
{
	if (buf_len(b) < 4)
		return BUF_ERR_SHORT;
	const uint8_t *p = buf_ptr(b);
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return BUF_OK;
}

int buf_get_u32(struct buf *b, uint32_t *v)
{
	int r;
	if ((r = buf_peek_u32(b, v)) != 0)
		return r;
	b->off += 4;
	return BUF_OK;
}

int buf_get_u64(struct buf *b, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;

	if (buf_len(b) < 8)
		return BUF_ERR_SHORT;
	buf_get_u32(b, &hi);
	buf_get_u32(b, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return BUF_OK;
}

int buf_get_string_ptr(struct buf *b, const uint8_t **p, size_t *n, size_t cap)
{
	uint32_t len;
	int r;

	if ((r = buf_peek_u32(b, &len)) != 0)
		return r;
	if (len > cap)
		return BUF_ERR_TOO_LONG;
	if ((size_t)len > buf_len(b) - 4)
		return BUF_ERR_SHORT;
	b->off += 4;
	*p = buf_ptr(b);
	*n = len;
	b->off += len;
	return BUF_OK;
}

int buf_get_cstring(struct buf *b, char **s, size_t cap)
{
	const uint8_t *p;
	size_t n;
	size_t saved = b->off;
	int r;

	if ((r = buf_get_string_ptr(b, &p, &n, cap)) != 0)
		return r;
	if (!utf8_valid(p, n)) {
		b->off = saved;
		return BUF_ERR_FORMAT;
	}
	char *copy = malloc(n + 1);
	if (copy == NULL) {
		b->off = saved;
		return BUF_ERR_NOMEM;
	}
	memcpy(copy, p, n);
	copy[n] = '\0';
	*s = copy;
	return BUF_OK;
}

const char *buf_strerror(int err)
{
	switch (err) {
	case BUF_OK: return "ok";
	case BUF_ERR_SHORT: return "message truncated";
	case BUF_ERR_TOO_LONG: return "length exceeds its limit";
	case BUF_ERR_NOMEM: return "out of memory";
	case BUF_ERR_FORMAT: return "malformed data";
	case BUF_ERR_READONLY: return "write to a read-only buffer";
	default: return "unknown buffer error";
	}
}
