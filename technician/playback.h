/*
 * playback: a recording's screen stream decoded by libvncclient, exactly
 * as the live viewer decoded it (vnc.h), one server message at a time.
 *
 * libvncclient only reads from a socket, so a feeder thread writes the
 * recorded bytes into one end of a socketpair (as fast as the socket takes
 * them) and reads and discards whatever libvncclient writes (its handshake
 * answers, update requests). Pacing is not the feeder's job: the caller
 * decides when the next message is due, by its time (next_us), and asks
 * for it with step. Because the feeder is always ahead, a message is
 * always whole by the time libvncclient reads it, and the caller is never
 * blocked for longer than a decode.
 *
 * After every message we know exactly how many stream bytes libvncclient
 * has used: what the feeder wrote, less what is still queued in the
 * socket, less what libvncclient has buffered. So "the next message began
 * arriving at T" is exact, and every consumer (window, headless, render)
 * shows a message from the moment its first byte was recorded, whatever
 * the thread timing: the same recording always gives the same frames.
 *
 * libvncclient's decoders keep state (zlib streams) from message to
 * message, so there is no seeking back: a new playback starts from the
 * beginning and runs fast to the point wanted.
 */
#ifndef HANDOFF_TECH_PLAYBACK_H
#define HANDOFF_TECH_PLAYBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recfile.h"
#include "vnc.h"

struct tech_playback_feeder;

struct tech_playback {
	const struct tech_recfile *rf;   /* lent; must outlive the playback */
	struct tech_vnc vnc;             /* the decoder and its framebuffer (fb, dirty box) */
	bool vnc_open;
	uint64_t pos;                    /* screen bytes decoded so far (a message boundary) */
	bool ended;                      /* nothing more will be decoded */
	struct tech_playback_feeder *feeder; /* owned */
	char encodings[160];             /* libvncclient's encodingsString points here */
};

/*
 * Starts the feeder and runs the recorded handshake (up to ServerInit). 0,
 * or -1 with err (no picture in the recording, an unsupported pixel
 * format). Close with tech_playback_close either way.
 */
int tech_playback_open(struct tech_playback *pb, const struct tech_recfile *rf, char *err, size_t errlen);
void tech_playback_close(struct tech_playback *pb);

/* When the next message's first byte was recorded; UINT64_MAX when none is left. */
uint64_t tech_playback_next_us(const struct tech_playback *pb);
/*
 * Decodes the next message. 0; 1 when the stream is over (the recording
 * may stop inside a message: what was decoded of it stays); -1 with err
 * when libvncclient cannot decode what was recorded.
 */
int tech_playback_step(struct tech_playback *pb, char *err, size_t errlen);
/* Decodes every message that began arriving at or before t_us. Returns as step. */
int tech_playback_until(struct tech_playback *pb, uint64_t t_us, char *err, size_t errlen);

#endif
