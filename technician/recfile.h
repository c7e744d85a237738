/*
 * recfile: a sealed recording (seal.h around recording.h), opened with the
 * auditors' private key and indexed for playback.
 *
 * The screen half (RECORDING_TO_VIEWER) is kept as a list of chunks that
 * point into the decrypted plaintext, each with its place in the byte
 * stream and its time, so that playback can say when any byte arrived.
 * The technician's half is parsed once, here (clientmsg.h): how the viewer
 * set the session up, and every key and pointer event with its time.
 *
 * Times are offsets from the recording's start in microseconds, made
 * non-decreasing (a relay clock stepping back must not reorder playback).
 */
#ifndef HANDOFF_TECH_RECFILE_H
#define HANDOFF_TECH_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "clientmsg.h"
#include "recording.h"
#include "timeline.h"

struct tech_recfile_chunk {
	uint64_t t_us;
	uint64_t pos;             /* offset of data[0] in the screen stream */
	const uint8_t *data;      /* points into the recfile's plaintext */
	size_t len;
};

struct tech_recfile {
	struct recording_header header;
	bool seal_truncated;      /* the sealed file ends without its final chunk */
	bool has_end;             /* the recording's END record is there */
	bool clock_stepped_back;  /* some record was older than the one before */
	uint64_t duration_us;     /* END's time, else the last record's */
	struct tech_recfile_chunk *chunks; /* owned */
	size_t n_chunks;
	uint64_t screen_len;      /* bytes in the screen stream */
	struct tech_clientmsg input; /* setup and events; empty with RECORDING_NO_INPUT */
	struct tech_timeline timeline; /* the ticket's events, when an export was given */
	uint8_t *plain_mem;       /* owned plaintext the chunks point into */
	size_t plain_len, plain_cap;
	struct buf plain;         /* a read-only view of plain_mem */
};

/*
 * Opens the sealed recording at path with the private key in keyfile.
 * 0, or -1 with err saying what failed (wrong key, altered file, not a
 * recording). Free with tech_recfile_close, also after a failure.
 */
int tech_recfile_open(struct tech_recfile *rf, const char *path, const char *keyfile, char *err, size_t errlen);
/*
 * The same for a sealed recording already in memory (len bytes at sealed,
 * which the caller keeps; nothing points into it after the call), named
 * name in messages: one taken out of an export.
 */
int tech_recfile_open_mem(struct tech_recfile *rf, const uint8_t *sealed, size_t len, const char *name,
			  const char *keyfile, char *err, size_t errlen);
void tech_recfile_close(struct tech_recfile *rf);

/* Cut short: the relay stopped (or was killed) while recording. */
bool tech_recfile_truncated(const struct tech_recfile *rf);
/* When the screen byte at pos arrived; UINT64_MAX when pos is past the end. */
uint64_t tech_recfile_time_at(const struct tech_recfile *rf, uint64_t pos);

#endif
