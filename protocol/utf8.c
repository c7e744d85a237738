/* utf8.c: see utf8.h; the invariants are written there. */
#include "utf8.h"

int utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	int n;

	if (len == 0)
		return -1;
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
		return -1;
	}
	if ((size_t)n > len)
		return -1;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return n;
}

int utf8_valid(const void *p, size_t n)
{
	const char *s = p;
	uint32_t cp;

	for (size_t i = 0; i < n;) {
		int k = utf8_next(s + i, n - i, &cp);

		if (k < 0 || cp == 0)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

bool utf8_is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t utf8_cut(const void *s, size_t n, size_t max)
{
	const unsigned char *p = s;

	if (n <= max)
		return n;
	while (max > 0 && utf8_is_continuation(p[max]))
		max--;
	return max;
}

size_t utf8_whole(const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t o = n, need;

	while (o > 0 && utf8_is_continuation(p[o - 1]))
		o--;
	if (o == 0 || p[o - 1] < 0xc0)
		return n;
	need = p[o - 1] >= 0xf0 ? 4 : p[o - 1] >= 0xe0 ? 3 : 2;
	return n - (o - 1) < need ? o - 1 : n;
}

size_t utf8_count(const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t chars = 0;

	for (size_t i = 0; i < n; i++)
		if (!utf8_is_continuation(p[i]))
			chars++;
	return chars;
}

size_t utf8_skip(const void *s, size_t n, size_t chars)
{
	const unsigned char *p = s;
	size_t i = 0;

	for (; i < n && chars > 0; chars--) {
		i++;
		while (i < n && utf8_is_continuation(p[i]))
			i++;
	}
	return i;
}

size_t utf8_prev(const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t k = n;

	if (n == 0)
		return 0;
	if (p[n - 1] < 0x80)
		return n - 1;
	while (k > 0 && utf8_is_continuation(p[k - 1]))
		k--;
	return k > 0 && p[k - 1] >= 0xc0 ? k - 1 : k;
}

size_t utf8_from_latin1(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x80) {
			out[o++] = (char)c;
		} else {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = '\0';
	return o;
}

size_t utf8_to_latin1(const char *in, size_t n, char *out, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o < max;) {
		uint32_t cp;
		int k = utf8_next(in + i, n - i, &cp);

		if (k > 0) {
			out[o++] = cp <= 0xff ? (char)cp : '?';
			i += (size_t)k;
			continue;
		}
		out[o++] = '?';
		i++;
		while (i < n && utf8_is_continuation((unsigned char)in[i]))
			i++;
	}
	out[o] = '\0';
	return o;
}
