/*
 * fuzz_ctl.c: libFuzzer target for ctl_decode, the parser of control
 * records that arrive from the other end of an SSH channel.
 *
 * The input is a byte stream as the channel would deliver it. It is decoded
 * twice: once with everything present, and once fed a byte at a time the way
 * a slow network delivers it. Besides memory errors (ASan, UBSan), the
 * target checks that
 *   - every record decoded re-encodes to exactly the bytes it came from
 *     (one encoding per record, as ctl.c promises);
 *   - a 0 ("need more") or an error leaves the input untouched;
 *   - both feeds decode the same records and end the same way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"

#define FUZZ_CTL_MAX_RECORDS 4096

struct fuzz_ctl_result {
	size_t records;
	uint8_t types[FUZZ_CTL_MAX_RECORDS];
	int last; /* what the final ctl_decode returned: 0 or negative */
};

/* Checks that r re-encodes to the len bytes at p. */
static void fuzz_ctl_check_canonical(const struct ctl_record *r, const uint8_t *p, size_t len)
{
	struct buf again;

	buf_init(&again, CTL_RECORD_MAX + 4);
	if (ctl_encode(&again, r) != 0)
		abort();
	if (buf_len(&again) != len || memcmp(buf_ptr(&again), p, len) != 0)
		abort();
	buf_free(&again);
}

/*
 * Decodes whole records from the front of in until ctl_decode says 0 or
 * fails. Returns that final value.
 */
static int fuzz_ctl_drain(struct buf *in, struct fuzz_ctl_result *res)
{
	for (;;) {
		struct ctl_record r;
		size_t before = buf_len(in);
		const uint8_t *start = before > 0 ? buf_ptr(in) : NULL;
		int e = ctl_decode(in, &r);

		if (e <= 0) {
			/* Nothing consumed, nothing left to free. */
			if (buf_len(in) != before || r.name != NULL || r.tier != NULL ||
			    r.text != NULL)
				abort();
			return e;
		}
		if (e != 1 || buf_len(in) >= before)
			abort();
		fuzz_ctl_check_canonical(&r, start, before - buf_len(in));
		if (res->records < FUZZ_CTL_MAX_RECORDS)
			res->types[res->records] = r.type;
		res->records++;
		ctl_record_free(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_ctl_result whole, trickle;
	struct buf in;

	if (size > BUF_MAX_CAP)
		return 0;
	memset(&whole, 0, sizeof(whole));
	memset(&trickle, 0, sizeof(trickle));

	/* Everything at once. */
	buf_init(&in, size);
	if (size > 0 && buf_put(&in, data, size) != 0)
		abort();
	whole.last = fuzz_ctl_drain(&in, &whole);
	buf_free(&in);

	/* A byte at a time, decoding after every byte until an error. */
	buf_init(&in, size);
	trickle.last = 0;
	for (size_t i = 0; i < size && trickle.last == 0; i++) {
		if (buf_put_u8(&in, data[i]) != 0)
			abort();
		trickle.last = fuzz_ctl_drain(&in, &trickle);
	}
	buf_free(&in);

	if (whole.records != trickle.records || whole.last != trickle.last)
		abort();
	size_t n = whole.records < FUZZ_CTL_MAX_RECORDS ? whole.records : FUZZ_CTL_MAX_RECORDS;
	if (memcmp(whole.types, trickle.types, n) != 0)
		abort();
	return 0;
}
