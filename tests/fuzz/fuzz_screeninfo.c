/*
 * fuzz_screeninfo.c: libFuzzer target for screeninfo_decode, which the
 * viewer runs on a payload the customer's machine sent. Besides memory
 * errors, it checks that whatever decodes holds the promises the viewer
 * relies on (monitor count and sizes within their caps, names terminated,
 * a scale of 1, 2 or 4), re-encodes and decodes to the same thing, and
 * that a refusal leaves nothing behind. The same bytes are also read as
 * the rest of a UTF-8 clipboard message (screeninfo_read_cut, which both the helper and the
 * viewer run on what the other side sent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "screeninfo.h"
#include "utf8.h"

struct fuzz_stream {
	const uint8_t *p;
	size_t left;
};

static int fuzz_read_exact(void *ctx, void *p, size_t n)
{
	struct fuzz_stream *in = ctx;

	if (n > in->left)
		return -1;
	memcpy(p, in->p, n);
	in->p += n;
	in->left -= n;
	return 0;
}

static void fuzz_cut(const uint8_t *data, size_t size)
{
	struct fuzz_stream in = { data, size };
	char *text = (char *)1;
	size_t len = 1;
	int rc = screeninfo_read_cut(fuzz_read_exact, &in, &text, &len);

	if (rc != SCREENINFO_CUT_OK) {
		if (text != NULL || len != 0)
			abort();
		return;
	}
	if (len > SCREENINFO_CUT_WIRE_MAX || text[len] != '\0' || strlen(text) != len ||
	    !utf8_valid(text, len) || size - in.left != len + 4)
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct screeninfo si, again;
	struct buf in, out, payload;
	uint8_t type;
	uint32_t len;

	fuzz_cut(data, size);
	if (size > SCREENINFO_PAYLOAD_MAX)
		return 0;
	buf_view(&in, data, size);
	if (screeninfo_decode(&in, &si) != 0) {
		static const struct screeninfo zero;

		if (memcmp(&si, &zero, sizeof(si)) != 0)
			abort();
		return 0;
	}
	if (si.count > SCREENINFO_MONITORS_MAX || !screeninfo_scale_ok(si.scale))
		abort();
	for (unsigned i = 0; i < si.count; i++) {
		const struct screeninfo_monitor *m = &si.monitors[i];
		int x, y, w, h;

		if (m->width == 0 || m->height == 0 || m->x + m->width > SCREENINFO_SIDE_MAX ||
		    m->y + m->height > SCREENINFO_SIDE_MAX || memchr(m->name, '\0', sizeof(m->name)) == NULL)
			abort();
		if (screeninfo_monitor_box(&si, (int)i + 1, 1024, 768, &x, &y, &w, &h) &&
		    (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > 1024 || y + h > 768))
			abort();
	}
	buf_init(&out, SCREENINFO_PAYLOAD_MAX + 8);
	if (screeninfo_encode(&out, &si) != 0 || buf_get_u8(&out, &type) != 0 || buf_get_u32(&out, &len) != 0 ||
	    len != buf_len(&out))
		abort();
	buf_view(&payload, buf_ptr(&out), buf_len(&out));
	if (screeninfo_decode(&payload, &again) != 0 || buf_len(&payload) != 0 ||
	    memcmp(&si, &again, sizeof(si)) != 0)
		abort();
	buf_free(&out);
	return 0;
}
