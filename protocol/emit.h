/*
 * emit: JSON output without hand-placed commas.
 *
 * An emitter appends to a buf and remembers, for each open object or
 * array, whether it holds a value yet; every value but the first of its
 * container is preceded by a comma, and a value after emit_key takes none.
 * So a list written by a callback per row (store_events and friends) needs
 * no "first row?" flag of its own. Strings are escaped as JSON wants:
 * '"', '\\' and the C0 controls; other bytes (UTF-8) pass through, so the
 * caller passes valid UTF-8 (the store keeps only that).
 *
 * Nesting deeper than EMIT_DEPTH_MAX is refused (the emitter writes
 * nothing more and emit_failed says so); a buf that is full fails the same
 * way. Nothing is allocated: an emitter lives on its owner's stack.
 */
#ifndef HANDOFF_EMIT_H
#define HANDOFF_EMIT_H

#include <stdbool.h>

#include "buf.h"

#define EMIT_DEPTH_MAX 8

struct emit {
	struct buf *out;     /* not owned */
	unsigned depth;
	bool has_value[EMIT_DEPTH_MAX + 1]; /* [0]: the top level */
	bool after_key;
	bool failed;
};

void emit_init(struct emit *e, struct buf *out);
/* 1 when something was refused or did not fit, else 0. */
int emit_failed(const struct emit *e);

void emit_object_begin(struct emit *e);
void emit_object_end(struct emit *e);
void emit_array_begin(struct emit *e);
void emit_array_end(struct emit *e);
/* An object's key; the next call writes its value. */
void emit_key(struct emit *e, const char *key);

void emit_string(struct emit *e, const char *s);
void emit_int(struct emit *e, long long v);
void emit_uint(struct emit *e, unsigned long long v);
void emit_bool(struct emit *e, bool v);
void emit_null(struct emit *e);

/* A key and its value in one call, for the common case. */
void emit_kstring(struct emit *e, const char *key, const char *s);
void emit_kint(struct emit *e, const char *key, long long v);
void emit_kuint(struct emit *e, const char *key, unsigned long long v);
void emit_kbool(struct emit *e, const char *key, bool v);

/* Ends a top-level value with a newline: one JSON document per line. */
void emit_newline(struct emit *e);

/* s as a JSON string literal, appended to b; 0 or a negative BUF_ERR_*. */
int emit_json_string(struct buf *b, const char *s);

/*
 * Any n bytes as a JSON string literal that every strict parser accepts,
 * for text that is data from others (webhook bodies: docs/webhooks.md):
 * bytes that are not valid UTF-8 become U+FFFD (one per byte), and besides
 * '"', '\\' and C0 (NUL included) it escapes DEL, the C1 controls and
 * U+2028/U+2029 (which JavaScript source would take as line ends) as
 * \uXXXX. 0 or a negative BUF_ERR_*.
 */
int emit_json_bytes(struct buf *b, const void *p, size_t n);
void emit_bytes(struct emit *e, const void *p, size_t n);
void emit_kbytes(struct emit *e, const char *key, const void *p, size_t n);
/* p[0..n) in base64 (RFC 4648, with padding) as a JSON string. */
void emit_base64(struct emit *e, const void *p, size_t n);

#endif
