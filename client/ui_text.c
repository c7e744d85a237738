/* ui_text.c: see ui_text.h. */
#include "ui_text.h"

#include <stdbool.h>
#include <string.h>

#include "utf8.h"

/*
 * Invisible characters that reorder or hide what follows them (zero width
 * U+200B-U+200F, bidirectional U+202A-U+202E and U+2066-U+2069, U+FEFF):
 * 3 bytes each in UTF-8.
 */
static bool helper_ui_text_invisible(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80)
		return (p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae);
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf;
}

const char *helper_ui_text_clean_n(const char *s, size_t n, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < n && p[i] != '\0' && o + 1 < outlen) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			out[o++] = '?';
			i++;
		} else if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			out[o++] = '?';
			i += 2;
		} else if (helper_ui_text_invisible(p + i, n - i)) {
			out[o++] = '?';
			i += 3;
		} else {
			out[o++] = (char)p[i++];
		}
	}
	if (i < n && p[i] != '\0') {
		/* Cut short: drop the last character if it is not ASCII, as it may be incomplete. */
		if (o > 0 && (unsigned char)out[o - 1] >= 0x80)
			o = utf8_prev(out, o);
	}
	out[o] = '\0';
	return out;
}

const char *helper_ui_text_clean(const char *s, char *out, size_t outlen)
{
	if (s == NULL)
		s = "";
	return helper_ui_text_clean_n(s, strlen(s), out, outlen);
}
