/*
 * emit.c: JSON written value by value, commas placed here (see emit.h).
 * Every function checks e->failed first, so that a caller may write a
 * whole document and look at emit_failed once at the end.
 */
#include <stdio.h>
#include <string.h>

#include "emit.h"

#include <openssl/evp.h>

#include "utf8.h"

void emit_init(struct emit *e, struct buf *out)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
}

int emit_failed(const struct emit *e)
{
	return e->failed ? 1 : 0;
}

static void emit_raw(struct emit *e, const char *p, size_t n)
{
	if (!e->failed && buf_put(e->out, p, n) != 0)
		e->failed = true;
}

/* What every value does first: the comma its container needs, if any. */
static void emit_value_start(struct emit *e)
{
	if (e->failed)
		return;
	if (e->after_key) {
		e->after_key = false;
		return;
	}
	if (e->has_value[e->depth])
		emit_raw(e, ",", 1);
	e->has_value[e->depth] = true;
}

static void emit_open(struct emit *e, char c)
{
	emit_value_start(e);
	if (e->failed)
		return;
	if (e->depth == EMIT_DEPTH_MAX) {
		e->failed = true;
		return;
	}
	emit_raw(e, &c, 1);
	e->has_value[++e->depth] = false;
}

static void emit_close(struct emit *e, char c)
{
	if (e->failed)
		return;
	if (e->depth == 0 || e->after_key) {
		e->failed = true;
		return;
	}
	e->depth--;
	emit_raw(e, &c, 1);
}

void emit_object_begin(struct emit *e)
{
	emit_open(e, '{');
}

void emit_object_end(struct emit *e)
{
	emit_close(e, '}');
}

void emit_array_begin(struct emit *e)
{
	emit_open(e, '[');
}

void emit_array_end(struct emit *e)
{
	emit_close(e, ']');
}

int emit_json_string(struct buf *b, const char *s)
{
	static const char hexdig[] = "0123456789abcdef";
	int rc = buf_put_u8(b, '"');

	for (; rc == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			rc = buf_put(b, esc, 2);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15] };

			rc = buf_put(b, esc, 6);
		} else {
			rc = buf_put_u8(b, c);
		}
	}
	return rc == 0 ? buf_put_u8(b, '"') : rc;
}

int emit_json_bytes(struct buf *b, const void *p, size_t n)
{
	static const char hexdig[] = "0123456789abcdef";
	const char *s = p;
	size_t i = 0;
	int rc = buf_put_u8(b, '"');

	while (rc == 0 && i < n) {
		uint32_t cp;
		int len = utf8_next(s + i, n - i, &cp);

		if (len < 0) {
			/* Not UTF-8: the byte becomes the replacement character, never a raw byte in JSON. */
			rc = buf_put(b, "\\ufffd", 6);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			char esc[2] = { '\\', (char)cp };

			rc = buf_put(b, esc, 2);
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
			char esc[6] = { '\\', 'u', hexdig[(cp >> 12) & 15], hexdig[(cp >> 8) & 15], hexdig[(cp >> 4) & 15],
					hexdig[cp & 15] };

			rc = buf_put(b, esc, 6);
		} else {
			rc = buf_put(b, s + i, (size_t)len);
		}
		i += (size_t)len;
	}
	return rc == 0 ? buf_put_u8(b, '"') : rc;
}

void emit_bytes(struct emit *e, const void *p, size_t n)
{
	emit_value_start(e);
	if (!e->failed && emit_json_bytes(e->out, p, n) != 0)
		e->failed = true;
}

void emit_kbytes(struct emit *e, const char *key, const void *p, size_t n)
{
	emit_key(e, key);
	emit_bytes(e, p, n);
}

void emit_base64(struct emit *e, const void *p, size_t n)
{
	const uint8_t *in = p;
	uint8_t chunk[4 * 768 + 1];

	emit_value_start(e);
	if (e->failed || buf_put_u8(e->out, '"') != 0) {
		e->failed = true;
		return;
	}
	/* 3 * 768 input bytes make 4 * 768 output characters, no padding but at the end. */
	for (size_t off = 0; off < n && !e->failed; off += 3 * 768) {
		size_t take = n - off < 3 * 768 ? n - off : 3 * 768;
		int out = EVP_EncodeBlock(chunk, in + off, (int)take);

		if (out < 0 || buf_put(e->out, chunk, (size_t)out) != 0)
			e->failed = true;
	}
	if (!e->failed && buf_put_u8(e->out, '"') != 0)
		e->failed = true;
}

void emit_key(struct emit *e, const char *key)
{
	/* A key is where a value would be: the comma goes before it. */
	emit_value_start(e);
	if (e->failed)
		return;
	if (e->depth == 0 || emit_json_string(e->out, key) != 0) {
		e->failed = true;
		return;
	}
	emit_raw(e, ":", 1);
	e->after_key = true;
}

void emit_string(struct emit *e, const char *s)
{
	emit_value_start(e);
	if (!e->failed && emit_json_string(e->out, s ? s : "") != 0)
		e->failed = true;
}

static void emit_number(struct emit *e, const char *text, int n)
{
	emit_value_start(e);
	if (n > 0)
		emit_raw(e, text, (size_t)n);
	else
		e->failed = true;
}

void emit_int(struct emit *e, long long v)
{
	char text[24];

	emit_number(e, text, snprintf(text, sizeof(text), "%lld", v));
}

void emit_uint(struct emit *e, unsigned long long v)
{
	char text[24];

	emit_number(e, text, snprintf(text, sizeof(text), "%llu", v));
}

void emit_bool(struct emit *e, bool v)
{
	emit_value_start(e);
	emit_raw(e, v ? "true" : "false", v ? 4 : 5);
}

void emit_null(struct emit *e)
{
	emit_value_start(e);
	emit_raw(e, "null", 4);
}

void emit_kstring(struct emit *e, const char *key, const char *s)
{
	emit_key(e, key);
	emit_string(e, s);
}

void emit_kint(struct emit *e, const char *key, long long v)
{
	emit_key(e, key);
	emit_int(e, v);
}

void emit_kuint(struct emit *e, const char *key, unsigned long long v)
{
	emit_key(e, key);
	emit_uint(e, v);
}

void emit_kbool(struct emit *e, const char *key, bool v)
{
	emit_key(e, key);
	emit_bool(e, v);
}

void emit_newline(struct emit *e)
{
	if (e->depth != 0 || e->after_key)
		e->failed = true;
	emit_raw(e, "\n", 1);
	/* The next document on the next line starts without a comma. */
	e->has_value[0] = false;
}
