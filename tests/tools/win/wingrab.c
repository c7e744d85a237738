/*
 * wingrab: the helper's Windows capture backend (client/capture_win32.c)
 * on its own, for checking under Wine that what it grabs is what the
 * screen shows.
 *
 *   wingrab X Y [X Y ...]
 *       Prints "size W H origin X Y", then "pixel X Y #rrggbb" for each
 *       point, as grabbed through the backend (a 1x1 grab, then the whole
 *       screen, which must agree).
 */
#include <stdio.h>
#include <stdlib.h>

#include "capture.h"

static int wingrab_pixel(void *st, const struct helper_capture_format *fmt, int x, int y, int whole,
			 uint32_t *out)
{
	const uint8_t *px;
	size_t stride;

	if (whole) {
		if (helper_capture_win32_backend.grab(st, 0, 0, fmt->width, fmt->height, &px, &stride) != 0)
			return -1;
		px += (size_t)y * stride + (size_t)x * 4;
	} else if (helper_capture_win32_backend.grab(st, x, y, 1, 1, &px, &stride) != 0) {
		return -1;
	}
	*out = (uint32_t)px[0] | (uint32_t)px[1] << 8 | (uint32_t)px[2] << 16;
	return 0;
}

int main(int argc, char **argv)
{
	struct helper_capture_format fmt;
	char err[256];
	void *st;
	int rc = 0;

	if (argc < 3 || argc % 2 != 1) {
		fprintf(stderr, "usage: wingrab X Y [X Y ...]\n");
		return 2;
	}
	if (helper_capture_win32_backend.open(NULL, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "wingrab: %s\n", err);
		return 1;
	}
	helper_capture_win32_backend.format(st, &fmt);
	printf("size %d %d origin %d %d\n", fmt.width, fmt.height, fmt.origin_x, fmt.origin_y);
	for (int i = 1; i + 1 < argc; i += 2) {
		int x = atoi(argv[i]), y = atoi(argv[i + 1]);
		uint32_t one, all;

		if (wingrab_pixel(st, &fmt, x, y, 0, &one) != 0 || wingrab_pixel(st, &fmt, x, y, 1, &all) != 0) {
			fprintf(stderr, "wingrab: cannot grab %d,%d\n", x, y);
			rc = 1;
			continue;
		}
		if (one != all) {
			fprintf(stderr, "wingrab: %d,%d is #%06x alone but #%06x in the whole screen\n", x, y,
				(unsigned)one, (unsigned)all);
			rc = 1;
		}
		printf("pixel %d %d #%06x\n", x, y, (unsigned)one);
	}
	helper_capture_win32_backend.close(st);
	return rc;
}
