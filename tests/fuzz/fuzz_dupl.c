/*
 * fuzz_dupl.c: libFuzzer target for Desktop Duplication's COM-free part
 * (client/dupl.c): the pointer shape buffer Windows hands over with its
 * type, size and pitch, and a frame's move and dirty rectangles, both
 * taken as they come from a display driver, which the helper does not
 * trust to stay inside its own texture.
 *
 * Input: type (1 byte), width, height, pitch (2 bytes each, little-endian),
 * then the shape's bytes (copied to a buffer of exactly that length, so
 * that reading past it is caught); the same bytes again as rectangles.
 * Every rectangle out of helper_dupl_changes lies inside the output and
 * the shared area; a shape is accepted only at a size capture.h takes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dupl.h"

static uint32_t argb[HELPER_DUPL_CURSOR_MAX * HELPER_DUPL_CURSOR_MAX];

static unsigned u16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helper_dupl_place p = { .x = -7, .y = 5, .width = 640, .height = 480, .area_w = 600, .area_h = 500 };
	struct helper_dupl_rect out[64];
	uint8_t *buf;
	size_t len, nrects, nmoves, n;
	int w = 0, h = 0;

	if (size < 7)
		return 0;
	len = size - 7;
	buf = malloc(len > 0 ? len : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 7, len);
	if (helper_dupl_pointer_argb(data[0], u16(data + 1), u16(data + 3), u16(data + 5), buf, len, &w, &h, argb) ==
	    0 && (w <= 0 || h <= 0 || w > HELPER_DUPL_CURSOR_MAX || h > HELPER_DUPL_CURSOR_MAX))
		abort();
	nrects = len / sizeof(struct helper_dupl_rect);
	nmoves = len / sizeof(struct helper_dupl_move);
	{
		struct helper_dupl_rect *rects = calloc(nrects + 1, sizeof(*rects));
		struct helper_dupl_move *moves = calloc(nmoves + 1, sizeof(*moves));

		if (rects != NULL && moves != NULL) {
			memcpy(rects, buf, nrects * sizeof(*rects));
			memcpy(moves, buf, nmoves * sizeof(*moves));
			if (helper_dupl_changes(moves, nmoves / 2, rects, nrects / 2, &p, out, 64, &n)) {
				for (size_t i = 0; i < n; i++) {
					const struct helper_dupl_rect *r = &out[i];

					if (r->left < 0 || r->top < 0 || r->right > p.width || r->bottom > p.height ||
					    r->left >= r->right || r->top >= r->bottom || p.x + r->left < 0 ||
					    p.y + r->top < 0 || p.x + r->right > p.area_w || p.y + r->bottom > p.area_h)
						abort();
				}
			}
		}
		free(rects);
		free(moves);
	}
	free(buf);
	return 0;
}
