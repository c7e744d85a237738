/*
 * screeninfo: what the customer's helper tells each of our viewers about
 * the screen it shares, inside the RFB stream itself.
 *
 * RFB has no message that tells one viewer what it may do or where the
 * monitors are: ExtendedDesktopSize carries a screen layout, but Debian's
 * libvncclient 0.9.14 keeps only the last screen of it. So the helper sends
 * a private server message, and only to viewers that announced the private
 * pseudo-encoding SCREENINFO_ENCODING in SetEncodings (ours do; stock VNC
 * viewers never see it). Being in the stream, it reaches recordings in
 * order with the pixels it describes.
 *
 * On the wire: u8 SCREENINFO_MSG_TYPE, u32 payload length (at most
 * SCREENINFO_PAYLOAD_MAX), then the payload in buf encoding:
 *   u8 version (SCREENINFO_VERSION), u8 flags (enum screeninfo_flag),
 *   u8 count (at most SCREENINFO_MONITORS_MAX), then per monitor
 *   u32 x, u32 y, u32 width, u32 height (framebuffer pixels), string name.
 * Version 2 appends u8 scale (SCREENINFO_SCALE_*): how much smaller than
 * the screen the helper wants this viewer's picture (issue 21). A viewer
 * that listed SCREENINFO_SCALE_ENCODING too answers a change with
 * UltraVNC's SetScale and a FramebufferUpdateRequest, in that order; the
 * helper sends nothing else on the update path in between (client/screen.c
 * says why). Version 1 means scale 1.
 * A newer version may append fields after these; readers ignore what
 * follows the fields they know.
 *
 * RFB cut text is Latin-1, which cannot carry the Japanese our first
 * customers copy. A helper that sets SCREENINFO_UTF8_CLIPBOARD takes and
 * sends clipboard text as SCREENINFO_CUT_MSG_TYPE messages instead, both
 * ways: u8 type, u32 length (at most SCREENINFO_CUT_WIRE_MAX; more closes
 * the connection), then that many bytes of UTF-8 without NULs.
 */
#ifndef HANDOFF_SCREENINFO_H
#define HANDOFF_SCREENINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* "HDSI": not in the RFB registry, and chosen not to collide with its ranges. */
#define SCREENINFO_ENCODING 0x48445349
/* "HDSC": the viewer draws a scaled picture enlarged and answers the scale field with SetScale. */
#define SCREENINFO_SCALE_ENCODING 0x48445343
#define SCREENINFO_MSG_TYPE 200
#define SCREENINFO_CUT_MSG_TYPE 201
/* As libvncserver's limit for ordinary cut text: above it a sender is cut off, not just refused. */
#define SCREENINFO_CUT_WIRE_MAX (1024u * 1024u)
#define SCREENINFO_VERSION 2
/* The scales a helper may ask for (1: full size); anything else is malformed. */
#define SCREENINFO_SCALE_MAX 4
#define SCREENINFO_PAYLOAD_MAX 2048u
#define SCREENINFO_MONITORS_MAX 16
#define SCREENINFO_NAME_MAX 32u
/* The largest side a monitor may claim; matches what viewers allocate. */
#define SCREENINFO_SIDE_MAX 16384u

enum screeninfo_flag {
	SCREENINFO_CONTROL = 1u << 0, /* this viewer's input reaches the customer */
	SCREENINFO_PAUSED = 1u << 1,  /* the customer paused sharing */
	SCREENINFO_UTF8_CLIPBOARD = 1u << 2, /* clipboard text goes as SCREENINFO_CUT_MSG_TYPE */
	/*
	 * The picture is held: Windows shows a desktop the helper may not read
	 * (the secure desktop of a UAC prompt, the lock screen) or refuses the
	 * read, so what the viewer has is the last picture from before.
	 */
	SCREENINFO_HELD = 1u << 3,
	/* Windows refuses the injected input (an elevated window in front: UIPI). */
	SCREENINFO_INPUT_REFUSED = 1u << 4,
};

struct screeninfo_monitor {
	uint32_t x, y, width, height;
	char name[SCREENINFO_NAME_MAX + 1];
};

struct screeninfo {
	uint8_t flags;
	uint8_t count;
	uint8_t scale;          /* 1, 2 or 4: the picture is 1/scale as wide and as high (version 2) */
	struct screeninfo_monitor monitors[SCREENINFO_MONITORS_MAX];
};

/* Appends the whole message (type, length, payload) to out. 0 or a BUF_ERR_*. */
int screeninfo_encode(struct buf *out, const struct screeninfo *si);
/*
 * Parses a payload (what follows type and length). Every monitor must be
 * non-empty and lie inside SCREENINFO_SIDE_MAX; names must be UTF-8 without
 * NULs; a scale must be 1, 2 or 4 (version 1 has none: 1). 0, or a negative BUF_ERR_* with *si zeroed.
 */
int screeninfo_decode(struct buf *payload, struct screeninfo *si);
enum screeninfo_cut_result {
	SCREENINFO_CUT_OK = 0,
	SCREENINFO_CUT_IO = -1,       /* the stream ended or failed */
	SCREENINFO_CUT_TOO_LONG = -2, /* over SCREENINFO_CUT_WIRE_MAX: cut the sender off */
	SCREENINFO_CUT_BAD_TEXT = -3, /* read whole, but not UTF-8 or with NULs: drop it */
	SCREENINFO_CUT_NOMEM = -4,
};

/*
 * Reads the rest of a SCREENINFO_CUT_MSG_TYPE message, after its type byte,
 * through read_exact (0 once all n bytes are in p; both sides have one:
 * libvncserver's rfbReadExact, libvncclient's ReadFromRFBServer). On
 * SCREENINFO_CUT_OK *text is a new NUL-terminated string of *len bytes.
 */
int screeninfo_read_cut(int (*read_exact)(void *ctx, void *p, size_t n), void *ctx, char **text, size_t *len);
/* The 5 bytes that go before len bytes of clipboard text. */
void screeninfo_cut_header(uint8_t header[5], uint32_t len);

/* True for the scales a helper may ask for: 1, 2, 4. */
bool screeninfo_scale_ok(unsigned scale);

/* Monitor 1..count's box clipped to a width x height framebuffer; false when nothing is left. */
bool screeninfo_monitor_box(const struct screeninfo *si, int index, int width, int height,
			    int *x, int *y, int *w, int *h);

#endif
