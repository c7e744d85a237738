/*
 * fuzz_witness.c: libFuzzer target for protocol/witness.c, which reads an
 * auditor's witness file, the relay home's audit-head and the relay's
 * `verify --json` output (the relay may be the party lying). Besides
 * memory errors: a parsed head formats back to a line that parses to the
 * same head; a parsed verify output has its head as the last of its
 * checkpoints, in increasing order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "witness.h"

static int fuzz_witness_head(const struct witness_head *h, void *ctx)
{
	char line[WITNESS_LINE_MAX];
	struct witness_head back;

	(void)ctx;
	witness_head_format(h, line, sizeof(line));
	if (witness_head_parse(line, strlen(line) - 1, &back) != 0 || memcmp(&back, h, sizeof(back)) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct witness_head head;
	struct witness_cp *cps;
	size_t ncps;
	int partial;
	char err[300];

	witness_heads_parse(data, size, fuzz_witness_head, NULL);
	if (witness_parse_verify_json(data, size, &head, &cps, &ncps, &partial) == 0) {
		if (ncps == 0 || cps[ncps - 1].seq != head.seq)
			abort();
		for (size_t i = 1; i < ncps; i++)
			if (cps[i].seq <= cps[i - 1].seq)
				abort();
		for (size_t i = 0; i < ncps; i++) {
			struct witness_head k = { .seq = cps[i].seq };

			memcpy(k.hash, cps[i].hash, CHAIN_HASH_LEN);
			if (witness_check(&k, cps, ncps, partial, &head, err, sizeof(err)) != 0)
				abort();
		}
		free(cps);
	}
	return 0;
}
