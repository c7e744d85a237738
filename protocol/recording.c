/*
 * recording.c: see recording.h.
 */
#include "recording.h"

#include <string.h>

#include "utf8.h"

int recording_put_header(struct buf *out, const struct recording_header *h)
{
	int e;

	if ((e = buf_put(out, RECORDING_MAGIC, 8)) != 0 || (e = buf_put_u64(out, h->ticket)) != 0 ||
	    (e = buf_put_u32(out, h->viewer)) != 0 || (e = buf_put_cstring(out, h->technician)) != 0 ||
	    (e = buf_put_cstring(out, h->tier)) != 0 || (e = buf_put_u64(out, h->start_us)) != 0 ||
	    (e = buf_put_u8(out, h->flags)) != 0)
		return e;
	return 0;
}

int recording_put_record(struct buf *out, uint64_t offset_us, uint8_t direction, const void *data, size_t len)
{
	int e;

	if (len > RECORDING_CHUNK_MAX)
		return BUF_ERR_TOO_LONG;
	if ((e = buf_put_u64(out, offset_us)) != 0 || (e = buf_put_u8(out, direction)) != 0 ||
	    (e = buf_put_string(out, data, len)) != 0)
		return e;
	return 0;
}

int recording_put_record_head(struct buf *out, uint64_t offset_us, uint8_t direction, size_t len)
{
	int e;

	if (len > RECORDING_CHUNK_MAX)
		return BUF_ERR_TOO_LONG;
	if ((e = buf_put_u64(out, offset_us)) != 0 || (e = buf_put_u8(out, direction)) != 0 ||
	    (e = buf_put_u32(out, (uint32_t)len)) != 0)
		return e;
	return 0;
}

int recording_put_end(struct buf *out, uint64_t offset_us)
{
	return recording_put_record(out, offset_us, RECORDING_END, "", 0);
}

static int recording_get_name(struct buf *in, char *out, size_t outlen, size_t cap)
{
	const uint8_t *p;
	size_t n;
	int e;

	if ((e = buf_get_string_ptr(in, &p, &n, cap)) != 0)
		return e;
	if (n >= outlen || !utf8_valid(p, n))
		return BUF_ERR_FORMAT;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int recording_get_header(struct buf *in, struct recording_header *h)
{
	uint8_t magic[8];
	int e;

	memset(h, 0, sizeof(*h));
	if ((e = buf_get(in, magic, sizeof(magic))) != 0)
		return e;
	if (memcmp(magic, RECORDING_MAGIC, 8) != 0)
		return BUF_ERR_FORMAT;
	if ((e = buf_get_u64(in, &h->ticket)) != 0 || (e = buf_get_u32(in, &h->viewer)) != 0 ||
	    (e = recording_get_name(in, h->technician, sizeof(h->technician), RECORDING_NAME_MAX)) != 0 ||
	    (e = recording_get_name(in, h->tier, sizeof(h->tier), sizeof(h->tier) - 1)) != 0 ||
	    (e = buf_get_u64(in, &h->start_us)) != 0 || (e = buf_get_u8(in, &h->flags)) != 0)
		return e;
	return 0;
}

int recording_get_record(struct buf *in, struct recording_record *r)
{
	struct buf saved = *in; /* reads never reallocate, so a copy restores the position */
	int e;

	memset(r, 0, sizeof(*r));
	if (buf_len(in) == 0)
		return 0;
	if ((e = buf_get_u64(in, &r->offset_us)) != 0 || (e = buf_get_u8(in, &r->direction)) != 0 ||
	    (e = buf_get_string_ptr(in, &r->data, &r->len, RECORDING_CHUNK_MAX)) != 0)
		goto fail;
	if (r->direction != RECORDING_TO_VIEWER && r->direction != RECORDING_FROM_VIEWER &&
	    !(r->direction == RECORDING_END && r->len == 0)) {
		e = BUF_ERR_FORMAT;
		goto fail;
	}
	return 1;
fail:
	*in = saved;
	memset(r, 0, sizeof(*r));
	return e;
}
