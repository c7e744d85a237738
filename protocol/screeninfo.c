/*
 * screeninfo.c: see screeninfo.h.
 */
#include "screeninfo.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static int screeninfo_put_payload(struct buf *b, const struct screeninfo *si)
{
	int e = 0;

	if (si->count > SCREENINFO_MONITORS_MAX)
		return BUF_ERR_TOO_LONG;
	/* The encoder refuses what the decoder would reject; 0 is a caller that never set it: full size. */
	if (si->scale != 0 && !screeninfo_scale_ok(si->scale))
		return BUF_ERR_FORMAT;
	if ((e = buf_put_u8(b, SCREENINFO_VERSION)) != 0 || (e = buf_put_u8(b, si->flags)) != 0 ||
	    (e = buf_put_u8(b, si->count)) != 0)
		return e;
	for (unsigned i = 0; i < si->count; i++) {
		const struct screeninfo_monitor *m = &si->monitors[i];
		size_t n = strnlen(m->name, SCREENINFO_NAME_MAX);

		if ((e = buf_put_u32(b, m->x)) != 0 || (e = buf_put_u32(b, m->y)) != 0 ||
		    (e = buf_put_u32(b, m->width)) != 0 || (e = buf_put_u32(b, m->height)) != 0 ||
		    (e = buf_put_string(b, m->name, n)) != 0)
			return e;
	}
	return buf_put_u8(b, si->scale != 0 ? si->scale : 1);
}

bool screeninfo_scale_ok(unsigned scale)
{
	return scale == 1 || scale == 2 || scale == SCREENINFO_SCALE_MAX;
}

int screeninfo_encode(struct buf *out, const struct screeninfo *si)
{
	struct buf payload;
	int e;

	buf_init(&payload, SCREENINFO_PAYLOAD_MAX);
	e = screeninfo_put_payload(&payload, si);
	if (e == 0 && (e = buf_put_u8(out, SCREENINFO_MSG_TYPE)) == 0 &&
	    (e = buf_put_u32(out, (uint32_t)buf_len(&payload))) == 0)
		e = buf_put(out, buf_ptr(&payload), buf_len(&payload));
	buf_free(&payload);
	return e;
}

static int screeninfo_get_monitor(struct buf *b, struct screeninfo_monitor *m)
{
	const uint8_t *name;
	size_t n;
	int e;

	if ((e = buf_get_u32(b, &m->x)) != 0 || (e = buf_get_u32(b, &m->y)) != 0 ||
	    (e = buf_get_u32(b, &m->width)) != 0 || (e = buf_get_u32(b, &m->height)) != 0 ||
	    (e = buf_get_string_ptr(b, &name, &n, SCREENINFO_NAME_MAX)) != 0)
		return e;
	if (m->width == 0 || m->height == 0 || m->x >= SCREENINFO_SIDE_MAX || m->y >= SCREENINFO_SIDE_MAX ||
	    m->width > SCREENINFO_SIDE_MAX - m->x || m->height > SCREENINFO_SIDE_MAX - m->y)
		return BUF_ERR_FORMAT;
	if (memchr(name, '\0', n) != NULL || !utf8_valid(name, n))
		return BUF_ERR_FORMAT;
	memcpy(m->name, name, n);
	m->name[n] = '\0';
	return 0;
}

int screeninfo_decode(struct buf *payload, struct screeninfo *si)
{
	uint8_t version = 0;
	int e;

	memset(si, 0, sizeof(*si));
	if ((e = buf_get_u8(payload, &version)) != 0 || (e = buf_get_u8(payload, &si->flags)) != 0 ||
	    (e = buf_get_u8(payload, &si->count)) != 0)
		goto fail;
	/* Version 1 is the floor; later versions only append. */
	if (version < 1) {
		e = BUF_ERR_FORMAT;
		goto fail;
	}
	if (si->count > SCREENINFO_MONITORS_MAX) {
		e = BUF_ERR_TOO_LONG;
		goto fail;
	}
	for (unsigned i = 0; i < si->count; i++)
		if ((e = screeninfo_get_monitor(payload, &si->monitors[i])) != 0)
			goto fail;
	si->scale = 1;
	if (version >= 2 && ((e = buf_get_u8(payload, &si->scale)) != 0 || !screeninfo_scale_ok(si->scale))) {
		e = e != 0 ? e : BUF_ERR_FORMAT;
		goto fail;
	}
	return 0;
fail:
	memset(si, 0, sizeof(*si));
	return e;
}

bool screeninfo_monitor_box(const struct screeninfo *si, int index, int width, int height,
			    int *x, int *y, int *w, int *h)
{
	const struct screeninfo_monitor *m;
	long x0, y0, x1, y1;

	if (index < 1 || index > si->count || width <= 0 || height <= 0)
		return false;
	m = &si->monitors[index - 1];
	x0 = m->x;
	y0 = m->y;
	x1 = x0 + (long)m->width;
	y1 = y0 + (long)m->height;
	x1 = x1 < width ? x1 : width;
	y1 = y1 < height ? y1 : height;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return true;
}

int screeninfo_read_cut(int (*read_exact)(void *ctx, void *p, size_t n), void *ctx, char **text, size_t *len)
{
	uint8_t raw[4];
	uint32_t n;
	char *t;

	*text = NULL;
	*len = 0;
	if (read_exact(ctx, raw, sizeof(raw)) != 0)
		return SCREENINFO_CUT_IO;
	n = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	if (n > SCREENINFO_CUT_WIRE_MAX)
		return SCREENINFO_CUT_TOO_LONG;
	t = malloc((size_t)n + 1);
	if (t == NULL)
		return SCREENINFO_CUT_NOMEM;
	if (n > 0 && read_exact(ctx, t, n) != 0) {
		free(t);
		return SCREENINFO_CUT_IO;
	}
	t[n] = '\0';
	if (memchr(t, '\0', n) != NULL || !utf8_valid(t, n)) {
		free(t);
		return SCREENINFO_CUT_BAD_TEXT;
	}
	*text = t;
	*len = n;
	return SCREENINFO_CUT_OK;
}

void screeninfo_cut_header(uint8_t header[5], uint32_t len)
{
	header[0] = SCREENINFO_CUT_MSG_TYPE;
	header[1] = (uint8_t)(len >> 24);
	header[2] = (uint8_t)(len >> 16);
	header[3] = (uint8_t)(len >> 8);
	header[4] = (uint8_t)len;
}
