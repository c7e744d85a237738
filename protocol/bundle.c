/* bundle.c: see bundle.h. */
#include "bundle.h"

#include <string.h>

#include "utf8.h"

int bundle_trailer(const uint8_t *file, size_t n, size_t *off, size_t *len, uint8_t sha[32])
{
	struct buf b;
	uint8_t magic[BUNDLE_MAGIC_LEN];
	uint64_t plen;
	int r;

	if (n < BUNDLE_TRAILER_LEN)
		return BUF_ERR_SHORT;
	buf_view(&b, file + n - BUNDLE_TRAILER_LEN, BUNDLE_TRAILER_LEN);
	if ((r = buf_get(&b, magic, sizeof(magic))) != 0 || (r = buf_get_u64(&b, &plen)) != 0 ||
	    (r = buf_get(&b, sha, 32)) != 0)
		return r;
	if (memcmp(magic, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) != 0)
		return BUF_ERR_FORMAT;
	if (plen > BUNDLE_PAYLOAD_MAX || plen > n - BUNDLE_TRAILER_LEN)
		return BUF_ERR_TOO_LONG;
	*len = (size_t)plen;
	*off = n - BUNDLE_TRAILER_LEN - (size_t)plen;
	return 0;
}

void bundle_trailer_encode(uint64_t len, const uint8_t sha[32], uint8_t out[BUNDLE_TRAILER_LEN])
{
	memcpy(out, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	for (int i = 0; i < 8; i++)
		out[BUNDLE_MAGIC_LEN + i] = (uint8_t)(len >> (56 - 8 * i));
	memcpy(out + BUNDLE_MAGIC_LEN + 8, sha, 32);
}

static int bundle_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '+' || c == '-';
}

int bundle_path_ok(const char *path, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > BUNDLE_PATH_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && path[i] != '/') {
			if (!bundle_path_char(path[i]))
				return 0;
			continue;
		}
		/* A component ends at i: never empty (no leading, trailing or double slash), . or .. */
		if (i == start)
			return 0;
		if ((i - start == 1 && path[start] == '.') ||
		    (i - start == 2 && path[start] == '.' && path[start + 1] == '.'))
			return 0;
		start = i + 1;
	}
	return 1;
}

int bundle_next(struct buf *b, struct bundle_entry *e)
{
	const uint8_t *path, *data;
	size_t plen, dlen;
	uint32_t mode;
	struct buf save = *b;
	int r;

	if (buf_len(b) == 0)
		return 0;
	if ((r = buf_get_string_ptr(b, &path, &plen, BUNDLE_PATH_MAX)) != 0 ||
	    (r = buf_get_u32(b, &mode)) != 0 ||
	    (r = buf_get_string_ptr(b, &data, &dlen, BUNDLE_ENTRY_MAX)) != 0)
		goto bad;
	if (!bundle_path_ok((const char *)path, plen) || (mode & ~0700u) != 0) {
		r = BUF_ERR_FORMAT;
		goto bad;
	}
	memcpy(e->path, path, plen);
	e->path[plen] = '\0';
	e->mode = mode;
	e->data = data;
	e->len = dlen;
	return 1;
bad:
	*b = save;
	return r;
}

int bundle_entry_header(struct buf *out, const char *path, uint32_t mode, uint32_t data_len)
{
	int r;

	if (!bundle_path_ok(path, strlen(path)) || (mode & ~0700u) != 0 || data_len > BUNDLE_ENTRY_MAX)
		return BUF_ERR_FORMAT;
	if ((r = buf_put_string(out, path, strlen(path))) != 0 || (r = buf_put_u32(out, mode)) != 0 ||
	    (r = buf_put_u32(out, data_len)) != 0)
		return r;
	return 0;
}

int bundle_args(const uint8_t *data, size_t len, char *copy, size_t copylen, const char **argv,
		size_t *argc)
{
	size_t n = 0, start = 0;

	*argc = 0;
	if (len == 0)
		return 0;
	if (copylen <= len || data[len - 1] != '\0')
		return BUF_ERR_FORMAT;
	memcpy(copy, data, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (copy[i] != '\0')
			continue;
		if (n == BUNDLE_ARGS_MAX || !utf8_valid(data + start, i - start))
			return BUF_ERR_FORMAT;
		argv[n++] = copy + start;
		start = i + 1;
	}
	*argc = n;
	return 0;
}
