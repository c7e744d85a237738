/*
 * fuzz_selfhelp.c: libFuzzer target for the helper's reading of a relay's
 * self-help articles (client/ui_words.c, helper_ui_words_selfhelp): the
 * instruction of a keyboard-interactive round, as hostile as any wire text.
 *
 * The input (NUL-terminated copy) goes through buffers of several sizes.
 * The output always ends inside its buffer and holds no control character
 * but the line breaks, no DEL and no bidirectional override, whatever the
 * relay sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui_words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 7, 64, 1024, 16384 };
	char *in = malloc(size + 1);

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		char *out = malloc(sizes[s]);
		size_t n;

		if (out == NULL)
			break;
		helper_ui_words_selfhelp(in, out, sizes[s]);
		n = strnlen(out, sizes[s]);
		if (n >= sizes[s])
			abort();
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)out[i];

			if ((c < 0x20 && c != '\n') || c == 0x7f)
				abort();
		}
		if (strstr(out, "\xe2\x80\xae") != NULL || strstr(out, "\xe2\x81\xa6") != NULL)
			abort();
		free(out);
	}
	free(in);
	return 0;
}
