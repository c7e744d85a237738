/*
 * textesc.c: see textesc.h.
 */
#include "textesc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one; *cp gets its code point. */
static size_t textesc_utf8(const unsigned char *p, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Code points that reorder or break a line without being seen (textesc.h). */
static int textesc_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x2029) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int textesc_append(struct buf *out, const char *s, const char *indent)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		char esc[16];
		uint32_t cp;
		size_t n = textesc_utf8(p, &cp);
		int e;

		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[0]);
			n = 1;
		} else if (cp == '\n' && indent != NULL) {
			if (buf_room(out) < 1 + strlen(indent))
				return BUF_ERR_TOO_LONG;
			buf_put_u8(out, '\n');
			buf_put(out, indent, strlen(indent));
			p += n;
			continue;
		} else if (cp == '\n') {
			snprintf(esc, sizeof(esc), "\\n");
		} else if (cp == '\t') {
			snprintf(esc, sizeof(esc), "\\t");
		} else if (cp == '\r') {
			snprintf(esc, sizeof(esc), "\\r");
		} else if (cp == 0x1b) {
			snprintf(esc, sizeof(esc), "\\e");
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
		} else if ((cp >= 0x80 && cp <= 0x9f) || textesc_bidi(cp)) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		} else {
			if ((e = buf_put(out, p, n)) != 0)
				return e;
			p += n;
			continue;
		}
		if ((e = buf_put(out, esc, strlen(esc))) != 0)
			return e;
		p += n;
	}
	return 0;
}

size_t textesc_string(const char *s, const char *indent, char *out, size_t outlen)
{
	struct buf b;
	size_t len;

	if (outlen == 0)
		return 0;
	buf_init(&b, outlen - 1);
	textesc_append(&b, s, indent);
	len = buf_len(&b);
	if (len > 0)
		memcpy(out, buf_ptr(&b), len);
	out[len] = '\0';
	buf_free(&b);
	return len;
}
