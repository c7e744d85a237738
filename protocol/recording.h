/*
 * recording: what the relay records of one viewer's RFB stream, both
 * directions, with times. This is the plaintext inside a sealed file
 * (seal.h); every byte is parsed through buf.
 *
 *   header  "HOREC001" | u64 ticket | u32 viewer | string technician |
 *           string tier | u64 start (Unix microseconds) | u8 flags
 *   record  u64 offset (microseconds since start) | u8 direction | string bytes
 *   end     a record with direction RECORDING_END and no bytes
 *
 * Direction RECORDING_TO_VIEWER is the customer's RFB server speaking (the
 * screen); RECORDING_FROM_VIEWER is the technician's client (requests,
 * keystrokes, pointer). With RECORDING_NO_INPUT in the header flags the
 * operator chose not to keep technician input, and no FROM_VIEWER records
 * appear. A recording without an END record was cut short.
 */
#ifndef HANDOFF_RECORDING_H
#define HANDOFF_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RECORDING_MAGIC "HOREC001"
#define RECORDING_NAME_MAX 128u
#define RECORDING_CHUNK_MAX (64u * 1024)

enum recording_direction {
	RECORDING_TO_VIEWER = 0,
	RECORDING_FROM_VIEWER = 1,
	RECORDING_END = 255,
};

enum { RECORDING_NO_INPUT = 1u };

struct recording_header {
	uint64_t ticket;
	uint32_t viewer;
	char technician[RECORDING_NAME_MAX + 1];
	char tier[8];
	uint64_t start_us;
	uint8_t flags;
};

struct recording_record {
	uint64_t offset_us;
	uint8_t direction;
	const uint8_t *data;   /* points into the parsed buffer */
	size_t len;
};

int recording_put_header(struct buf *out, const struct recording_header *h);
int recording_put_record(struct buf *out, uint64_t offset_us, uint8_t direction, const void *data, size_t len);
int recording_put_end(struct buf *out, uint64_t offset_us);
/* A record's head alone, for a writer that appends its len bytes of data itself (no copy). */
int recording_put_record_head(struct buf *out, uint64_t offset_us, uint8_t direction, size_t len);

/* Parses the header from the front of in. 0 or a negative BUF_ERR_*. */
int recording_get_header(struct buf *in, struct recording_header *h);
/*
 * Takes the next record: 1 and *r filled (r->data valid until in changes),
 * 0 when in is empty (a cut-short recording), or a negative BUF_ERR_*.
 */
int recording_get_record(struct buf *in, struct recording_record *r);

#endif
