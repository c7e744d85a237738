/*
 * fuzz_bundle.c: libFuzzer target for the one-file bundle's reader
 * (protocol/bundle.c), which the launcher runs over its own payload before
 * unpacking it.
 *
 * The input is treated as a whole bundle file (trailer found at its end)
 * and also as a bare payload. Every entry bundle_next accepts must have a
 * path bundle_path_ok accepts (relative, no "." or ".." component, no
 * empty component), a mode within 0700, and data that lies inside the
 * input; "etc/args" must split into at most BUNDLE_ARGS_MAX NUL-ended
 * arguments. The reader must end (at most one entry per 9 input bytes).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_bundle_payload(const uint8_t *p, size_t n)
{
	struct buf b;
	struct bundle_entry e;
	size_t count = 0;
	int r;

	buf_view(&b, p, n);
	while ((r = bundle_next(&b, &e)) == 1) {
		char copy[4097];
		const char *argv[BUNDLE_ARGS_MAX];
		size_t argc;

		assert(bundle_path_ok(e.path, strlen(e.path)));
		assert(e.path[0] != '/');
		assert((e.mode & ~0700u) == 0);
		assert(e.data >= p && e.data + e.len <= p + n);
		if (strcmp(e.path, "etc/args") == 0 &&
		    bundle_args(e.data, e.len, copy, sizeof(copy), argv, &argc) == 0) {
			assert(argc <= BUNDLE_ARGS_MAX);
			for (size_t i = 0; i < argc; i++)
				assert(argv[i] >= copy && argv[i] < copy + sizeof(copy));
		}
		count++;
		assert(count <= n / 9 + 1);
	}
	assert(r <= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off, len;
	uint8_t sha[32];

	if (bundle_trailer(data, size, &off, &len, sha) == 0) {
		assert(off + len + BUNDLE_TRAILER_LEN == size);
		fuzz_bundle_payload(data + off, len);
	}
	fuzz_bundle_payload(data, size);
	return 0;
}
