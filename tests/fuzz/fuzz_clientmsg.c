/*
 * The technician's half of a recorded RFB stream, as replay parses it: a
 * recording is the auditor's evidence but its bytes came from a technician's
 * client, so they are hostile input. Fed in pieces, as records arrive.
 */
#include <stddef.h>
#include <stdint.h>

#include "clientmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tech_clientmsg c;
	size_t step = size > 0 ? (size_t)data[0] % 17 + 1 : 1;

	tech_clientmsg_init(&c);
	for (size_t off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;

		tech_clientmsg_feed(&c, data + off, n, off);
	}
	tech_clientmsg_free(&c);
	return 0;
}
