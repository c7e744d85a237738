/*
 * clientmsg: the technician's half of a recorded RFB stream (what the
 * viewer sent to the customer's server), parsed for two things:
 *
 * - how the viewer set the session up, so that a replay decodes the
 *   server's half exactly as it was decoded live: the security type it
 *   chose, its first SetPixelFormat and SetEncodings;
 * - what the technician did: every KeyEvent and PointerEvent, with the
 *   time of the record that completed it.
 *
 * The stream is hostile input like any other (a modified viewer wrote it),
 * so it is parsed through buf with every length capped. Records arrive in
 * pieces that need not align with messages: bytes are fed in order and a
 * message is taken once it is whole. An unknown message type ends parsing
 * (its length cannot be known); what came before it stands and `note` says
 * where it stopped.
 */
#ifndef HANDOFF_TECH_CLIENTMSG_H
#define HANDOFF_TECH_CLIENTMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TECH_CLIENTMSG_ENCODINGS_MAX 64
#define TECH_CLIENTMSG_NOTE_MAX 160

enum tech_clientmsg_kind { TECH_CLIENTMSG_KEY, TECH_CLIENTMSG_POINTER };

struct tech_clientmsg_event {
	uint64_t t_us;            /* recording time of the record that completed it */
	uint8_t kind;             /* enum tech_clientmsg_kind */
	bool down;                /* key: pressed (else released) */
	uint8_t buttons;          /* pointer: RFB button mask, bit 0 = button 1 */
	uint16_t x, y;            /* pointer: framebuffer pixels */
	uint32_t keysym;          /* key: X keysym */
};

/* RFB's PIXEL_FORMAT, as the viewer sent it. */
struct tech_clientmsg_format {
	uint8_t bits_per_pixel, depth, big_endian, true_colour;
	uint16_t red_max, green_max, blue_max;
	uint8_t red_shift, green_shift, blue_shift;
};

struct tech_clientmsg {
	/* What the viewer negotiated. */
	int minor;                /* RFB 3.minor, 0 until the version was read */
	uint8_t security;         /* the type it chose (3.7+), 0 if unknown */
	bool initialised;         /* ClientInit was sent: messages follow */
	bool has_format;
	struct tech_clientmsg_format format;
	uint64_t format_changed_us; /* a later SetPixelFormat that differs, 0 if none */
	bool has_encodings;
	int32_t encodings[TECH_CLIENTMSG_ENCODINGS_MAX];
	size_t n_encodings;

	/* What the technician did, in order. Owned; freed by tech_clientmsg_free. */
	struct tech_clientmsg_event *events;
	size_t n_events, cap_events;

	bool stopped;             /* parsing ended early; note says why */
	char note[TECH_CLIENTMSG_NOTE_MAX];

	/* Parser state. */
	int state;
	struct buf pending;       /* bytes of a message not yet whole */
	uint64_t skip;            /* bytes of a long cut text still to drop */
};

void tech_clientmsg_init(struct tech_clientmsg *c);
void tech_clientmsg_free(struct tech_clientmsg *c);
/*
 * Feeds the next n bytes of the viewer's stream, received at t_us, and
 * takes every message they complete. Nothing here fails the replay:
 * malformed input or running out of memory stops parsing (stopped, note),
 * and the screen still plays.
 */
void tech_clientmsg_feed(struct tech_clientmsg *c, const uint8_t *p, size_t n, uint64_t t_us);

#endif
