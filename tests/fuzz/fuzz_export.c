/*
 * fuzz_export.c: libFuzzer target for the export verifier (export_verify),
 * which handoff-tech runs on a file an auditor was handed, and for the
 * parser under it, the chain's event body (the attachment and recording
 * details have their own target, fuzz_event.c).
 *
 * The verifier is given two fixed audit keys (the seeds in corpus/export are
 * signed with the first, so the fuzzer starts from exports that verify; the
 * second is another relay's, which a SIGNER item may name). Besides
 * memory errors, the target checks that
 *   - a failure always says why, and a success reports a consistent chain
 *     (the last record is the last checkpoint's, no more ticket records
 *     than records);
 *   - a body that decodes re-encodes to exactly its bytes (one encoding);
 *   - a recording found by name (replay EXPORT --recording ID) lies inside
 *     the file and has its record's size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "export.h"

/*
 * Private key bytes 0x42 x 32 (the seeds were signed with it) and 0x43 x 32:
 * two trusted relays, so that a SIGNER item naming either is followed.
 */
static int fuzz_export_pub(uint8_t pub[2][CHAIN_PUB_LEN])
{
	static uint8_t cached[2][CHAIN_PUB_LEN];
	static int ready;

	if (!ready) {
		for (int i = 0; i < 2; i++) {
			uint8_t raw[32];
			EVP_PKEY *key;

			memset(raw, 0x42 + i, sizeof(raw));
			key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
			if (key == NULL || chain_key_public(key, cached[i]) != 0)
				abort();
			EVP_PKEY_free(key);
		}
		ready = 1;
	}
	memcpy(pub, cached, sizeof(cached));
	return 0;
}

static void fuzz_export_event(uint64_t seq, const struct chain_event *e, void *ctx)
{
	uint64_t *count = ctx;

	if (seq == 0 || e->kind == NULL || e->detail == NULL)
		abort();
	(*count)++;
}

static void fuzz_export_body(const uint8_t *data, size_t size)
{
	struct chain_event_owned e;
	struct buf again;

	if (chain_body_decode(data, size, &e) != 0)
		return;
	buf_init(&again, CHAIN_BODY_MAX);
	if (chain_body_encode(&again, &e.e) != 0 || buf_len(&again) != size || memcmp(buf_ptr(&again), data, size) != 0)
		abort();
	buf_free(&again);
	chain_event_free(&e);
}

/* replay EXPORT --recording ID: a recording found must lie inside the file and match its record. */
static void fuzz_export_recording(const uint8_t *data, size_t size)
{
	static const char *const ids[] = { "viewer-1-1.hrec", "recordings/7/viewer-1-1.hrec" };
	struct event_recording ref;
	const uint8_t *bytes;
	size_t len;
	char err[600];

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		err[0] = '\0';
		if (export_recording_find(data, size, ids[i], &bytes, &len, &ref, err, sizeof(err)) == 0) {
			if (bytes < data || len > size || (size_t)(bytes - data) > size - len || len != ref.size)
				abort();
		} else if (err[0] == '\0') {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pub[2][CHAIN_PUB_LEN];
	struct export_report rep;
	char err[600];
	uint64_t events = 0;

	fuzz_export_pub(pub);
	err[0] = '\0';
	if (export_verify_keys(data, size, (const uint8_t (*)[CHAIN_PUB_LEN])pub, 2, &rep, fuzz_export_event, &events, err,
			       sizeof(err)) == 0) {
		if (rep.records == 0 || rep.last_checkpoint != rep.records || rep.ticket_records > rep.records ||
		    events != rep.ticket_records || rep.checkpoints == 0)
			abort();
	} else if (err[0] == '\0') {
		abort();
	}
	fuzz_export_body(data, size);
	fuzz_export_recording(data, size);
	return 0;
}
