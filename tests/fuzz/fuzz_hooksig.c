/*
 * fuzz_hooksig.c: libFuzzer target for protocol/hooksig.c's header parser
 * (what a webhook receiver reads from the network) and for
 * emit_json_bytes, which writes every text of a webhook body. The input is
 * a header, a newline, and a body. Besides memory errors: nothing but a
 * header signed with the secret verifies (a fuzzed one that does is a
 * forgery found); the body signed now verifies now; the body as JSON is
 * valid UTF-8 with no raw control byte, quoted at both ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "emit.h"
#include "hooksig.h"
#include "utf8.h"

static const char secret[] = "fuzz-secret-0123456789";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	const uint8_t *body = nl ? nl + 1 : data + size;
	size_t blen = size - hlen - (nl ? 1 : 0);
	char sig[HOOKSIG_SIGNATURE_LEN], why[256];
	int64_t ts;
	struct buf b;

	if (hooksig_verify(secret, strlen(secret), (const char *)data, hlen, body, blen, 1700000000, 300, &ts, why,
			   sizeof(why)) == HOOKSIG_OK) {
		/* Only a real signature verifies: sign what was claimed and find it (hex of either case). */
		char lower[HOOKSIG_HEADER_MAX];

		for (size_t i = 0; i < hlen; i++)
			lower[i] = (char)(data[i] >= 'A' && data[i] <= 'F' ? data[i] + 32 : data[i]);
		if (hooksig_sign(secret, strlen(secret), ts, body, blen, sig) != HOOKSIG_OK ||
		    memmem(lower, hlen, strchr(sig, ',') + 1, strlen(strchr(sig, ',') + 1)) == NULL)
			abort();
	}
	if (hooksig_sign(secret, strlen(secret), 1700000000, body, blen, sig) != HOOKSIG_OK ||
	    hooksig_verify(secret, strlen(secret), sig, strlen(sig), body, blen, 1700000000, 300, NULL, why,
			   sizeof(why)) != HOOKSIG_OK)
		abort();
	buf_init(&b, 6 * size + 16);
	if (emit_json_bytes(&b, data, size) != 0)
		abort();
	if (buf_len(&b) < 2 || buf_ptr(&b)[0] != '"' || buf_ptr(&b)[buf_len(&b) - 1] != '"' ||
	    !utf8_valid(buf_ptr(&b), buf_len(&b)))
		abort();
	for (size_t i = 0; i < buf_len(&b); i++)
		if (buf_ptr(&b)[i] < 0x20 || buf_ptr(&b)[i] == 0x7f)
			abort();
	buf_free(&b);
	return 0;
}
