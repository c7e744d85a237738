/*
 * wininput: the helper's Windows input backend (client/input_win32.c) on
 * its own, for checking under Wine that what a viewer sends reaches a
 * program (winpattern reports it).
 *
 *   wininput X Y TEXT
 *       A left click at X,Y (RFB button mask 1, then 0), then each
 *       character of TEXT (UTF-8) as the keysym a viewer sends for it
 *       (Latin-1 as itself, anything else as 0x01000000 + U), press and
 *       release, then helper_input_release.
 */
#include <stdio.h>
#include <stdlib.h>

#include "input.h"

/* The next code point of UTF-8 s at *i (valid input assumed: this is a test tool). */
static uint32_t wininput_next(const unsigned char *s, size_t *i)
{
	uint32_t c = s[(*i)++];
	int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	c &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
	while (more-- > 0 && s[*i] != '\0')
		c = (c << 6) | (s[(*i)++] & 0x3f);
	return c;
}

int main(int argc, char **argv)
{
	struct helper_input *in;
	char err[256];
	size_t i = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: wininput X Y TEXT\n");
		return 2;
	}
	if (helper_input_open(&in, NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "wininput: %s\n", err);
		return 1;
	}
	helper_input_pointer(in, 1, 0, atoi(argv[1]), atoi(argv[2]));
	helper_input_pointer(in, 1, 1, atoi(argv[1]), atoi(argv[2]));
	helper_input_pointer(in, 1, 0, atoi(argv[1]), atoi(argv[2]));
	while (argv[3][i] != '\0') {
		uint32_t u = wininput_next((const unsigned char *)argv[3], &i);
		uint32_t keysym = (u >= 0x20 && u <= 0xff && (u < 0x7f || u >= 0xa0)) ? u : 0x01000000 + u;

		helper_input_key(in, 1, true, keysym);
		helper_input_key(in, 1, false, keysym);
	}
	helper_input_release(in);
	helper_input_close(in);
	return 0;
}
