/*
 * A recording's plaintext as replay parses it (header, then records to the
 * end or the first malformed one), and the same bytes as a sealed file
 * opened with a fixed key: both come from disk an auditor does not control.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "recording.h"
#include "seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t priv[SEAL_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct recording_header h;
	struct recording_record r;
	struct buf in, plain;
	bool truncated;
	char err[256];

	buf_view(&in, data, size);
	if (recording_get_header(&in, &h) == 0)
		while (recording_get_record(&in, &r) == 1)
			if (r.len > RECORDING_CHUNK_MAX)
				abort();
	buf_init(&plain, 1u << 20);
	seal_open(data, size, priv, &plain, &truncated, err, sizeof(err));
	buf_free(&plain);
	return 0;
}
