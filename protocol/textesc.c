/*
 * textesc.c: see textesc.h.
 */
#include "textesc.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Code points that reorder or break a line without being seen (textesc.h). */
static int textesc_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x2029) ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

int textesc_append(struct buf *out, const char *s, const char *indent)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);

	while (p < end) {
		char esc[16];
		uint32_t cp;
		int got = utf8_next((const char *)p, (size_t)(end - p), &cp);
		size_t n = got > 0 ? (size_t)got : 0;
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
