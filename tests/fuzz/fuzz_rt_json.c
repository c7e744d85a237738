/*
 * fuzz_rt_json.c: libFuzzer target for relay/rt_json.c, what the relay
 * reads from whatever answers at a Request Tracker receiver's URL. Every
 * parser gets the same bytes. Besides memory errors: a success yields
 * what its contract says (ids positive, names printable ASCII within
 * their size, transactions in increasing id order, the text NUL-ended
 * within its buffer and valid UTF-8 where the input was), and the
 * explanation is printable ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "utf8.h"

static void printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char why[160], name[RT_NAME_MAX], text[257];
	struct rt_txn txns[8];
	size_t count = 0;
	int64_t id = 0;

	if (rt_json_id(p, size, &id, why, sizeof(why)) == 0 && id <= 0)
		abort();
	if (rt_json_first(p, size, &id, why, sizeof(why)) == 0 && id < 0)
		abort();
	if (rt_json_creator(p, size, name, sizeof(name), why, sizeof(why)) == 0)
		printable(name);
	if (rt_json_txns(p, size, txns, 8, &count, why, sizeof(why)) == 0) {
		if (count > 8)
			abort();
		for (size_t i = 0; i < count; i++) {
			if (txns[i].id <= 0 || (i > 0 && txns[i].id <= txns[i - 1].id))
				abort();
			printable(txns[i].type);
			printable(txns[i].creator);
		}
	}
	if (rt_json_text(p, size, text, sizeof(text), why, sizeof(why)) == 0) {
		size_t n = strnlen(text, sizeof(text));

		/* json-c decodes to UTF-8; the cut keeps it whole. */
		if (n == sizeof(text) || !utf8_valid(text, n))
			abort();
	}
	rt_json_explain(p, size, why, sizeof(why));
	if (strnlen(why, sizeof(why)) == sizeof(why))
		abort();
	printable(why);
	return 0;
}
