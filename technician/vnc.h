/*
 * vnc: the RFB side of the viewer, on top of libvncclient.
 *
 * Owns the rfbClient and the framebuffer it decodes into, and turns
 * libvncclient's callbacks into plain state the UI reads between calls:
 * how many updates completed (and how many covered the whole screen), the
 * bounding box of what changed, whether the size changed, the remote cursor
 * shape. The UI (window.c, headless.c) never sees an RFB byte; this module
 * never draws.
 *
 * Pixels in fb are 32 bits in host order with red in the low byte
 * (rfbGetClient(8, 3, 4) on a little-endian host): SDL_PIXELFORMAT_XBGR8888.
 * The live viewer asks the server for exactly that format, so libvncclient
 * decodes straight into fb. A replay must decode in whatever format the
 * recorded viewer asked for; then libvncclient decodes into raw and every
 * rectangle is converted into fb as it completes, so the UI and snapshots
 * never see another format.
 *
 * The customer's helper also describes its screen to us in a private
 * message (protocol/screeninfo.h: our rights, pause, where the monitors
 * are). Every client asks for it, live or replayed, and keeps the last one
 * in info; a malformed one ends the session (broken).
 *
 * On the slowest links the helper asks for a smaller picture (the scale in
 * its description, issue 21). We answer with SetScale; libvncserver then
 * sends a framebuffer 1/scale as wide and as high, which libvncclient
 * decodes into small, and every rectangle is enlarged into fb as it
 * completes. So fb, width and height stay the screen's own size: the
 * window, the monitor boxes, the pointer and snapshots never see the small
 * picture, and pointer events are divided by the scale on the way out.
 */
#ifndef HANDOFF_TECH_VNC_H
#define HANDOFF_TECH_VNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rfb/rfbclient.h>

#include "screeninfo.h"

#define TECH_VNC_REASON_MAX 512
/* Larger framebuffers than this are refused rather than allocated. */
#define TECH_VNC_MAX_SIDE 16384

struct tech_vnc {
	rfbClient *client;       /* owned; NULL once closed */
	uint8_t *fb;             /* owned; XBGR8888, stride width * 4 */
	uint8_t *raw;            /* owned; libvncclient's framebuffer when its format is not
				    fb's, else NULL (client->frameBuffer is then fb) */
	int width, height;       /* of fb, in pixels: the screen's size, also while scaled */
	int scale;               /* 1, 2 or 4: what we last asked with SetScale */
	uint8_t *small;          /* owned; libvncclient's framebuffer while the picture is scaled, else NULL */
	int small_w, small_h;
	unsigned long scale_changes; /* SetScale messages sent, for stats */
	bool native_format;      /* take the server's format at ServerInit (tech_vnc_setup) */

	unsigned long updates;      /* framebuffer updates completed */
	unsigned long full_updates; /* ... of which covered every pixel */
	uint64_t covered;           /* pixels covered so far by the update in progress */

	bool dirty;              /* something changed since the UI last looked */
	int dirty_x0, dirty_y0, dirty_x1, dirty_y1;  /* half-open box */
	bool resized;            /* fb was reallocated since the UI last looked */
	bool want_full;          /* the size changed: ask for every pixel again */

	uint8_t *cursor;         /* owned; RGBA, cursor_w * cursor_h * 4, or NULL */
	int cursor_w, cursor_h, cursor_hot_x, cursor_hot_y;
	bool cursor_changed;

	char reason[TECH_VNC_REASON_MAX]; /* the server's refusal, when it sent one */
	char error[TECH_VNC_REASON_MAX];  /* libvncclient's last error line, when it had one */

	char *cut;               /* owned; the server's last cut text as UTF-8, or NULL
				    (Latin-1 cut text converted, or the helper's UTF-8 as sent) */
	bool cut_changed;        /* cut arrived since the UI last looked */

	long long probe_sent_us; /* when the round-trip probe went out, 0 if none pending */
	long long rtt_us;        /* last measured round trip, 0 until measured */
	int quality;             /* JPEG quality asked for (0-9), or -1: lossless */
	int fast_ticks;          /* consecutive ticks with a fast round trip */

	struct screeninfo info;  /* the helper's last screen description, when has_info */
	bool has_info;
	bool info_changed;       /* info differs from what the UI last looked at */
	/* Called with every description that arrives, changed or not (view.c words the rights); may be NULL. */
	void (*on_info)(void *ctx, const struct screeninfo *si);
	void *on_info_ctx;
	bool broken;             /* we ended the stream (a malformed description): error says why */
};

/*
 * Adaptive encoding (tech_vnc_tick): lossless Tight/ZRLE while the round
 * trip stays short; JPEG inside Tight, at a lower quality the slower the
 * link, once it is long. Going back needs several fast ticks in a row, so
 * one lucky probe does not flip the picture back and forth.
 */
#define TECH_VNC_SLOW_RTT_US 150000      /* above: JPEG quality 6 */
#define TECH_VNC_VERY_SLOW_RTT_US 400000 /* above: JPEG quality 2 */
#define TECH_VNC_FAST_RTT_US 60000       /* below, TECH_VNC_FAST_TICKS times: lossless */
#define TECH_VNC_FAST_TICKS 3

/* Cut text longer than this (bytes, either way) is cut off, never allocated. */
#define TECH_VNC_CUT_MAX (256u * 1024)

/*
 * How to set libvncclient up when the stream is not live but recorded: it
 * must decode in the pixel format the recorded viewer negotiated, and
 * answer the security type that viewer chose. The rest only shapes what
 * libvncclient writes, which a replay discards, but keeping it identical
 * keeps the replayed conversation the recorded one.
 */
struct tech_vnc_setup {
	bool has_format;          /* the viewer sent SetPixelFormat: decode in format */
	rfbPixelFormat format;
	bool native_format;       /* it sent none: the server's own (ServerInit) format */
	const char *encodings;    /* libvncclient's encodingsString; NULL: the viewer's default */
	int compress, quality;    /* 0-9, or -1 when not asked for */
	bool jpeg;
	bool remote_cursor;
	uint32_t auth_scheme;     /* the security type to pick; 0: libvncclient's choice */
};

/*
 * Runs the RFB handshake over fd (taken: closed by tech_vnc_close, or at
 * once when this fails). Blocks until the server answers, which includes
 * the time the customer takes to consent. Returns 0, or -1 with v->reason
 * holding the server's reason if it gave one (empty otherwise).
 */
int tech_vnc_open(struct tech_vnc *v, int fd);
/* Same, set up as s says (NULL: as tech_vnc_open). */
int tech_vnc_open_setup(struct tech_vnc *v, int fd, const struct tech_vnc_setup *s);
/* Frees the client, its socket and the framebuffer. Safe twice. */
void tech_vnc_close(struct tech_vnc *v);

int tech_vnc_fd(const struct tech_vnc *v);
/*
 * Whoever drives libvncclient directly (playback.c) checks this after each
 * HandleRFBServerMessage: our own message handler must tell libvncclient
 * it handled a malformed message (else it reads on blindly), so a broken
 * stream shows here, with v->error saying why.
 */
bool tech_vnc_broken(const struct tech_vnc *v);
/*
 * Waits up to timeout_ms (0: not at all) for the server, then handles every
 * message that is already there, a bounded number per call so the UI stays
 * responsive. Also returns early when messages are buffered inside
 * libvncclient, which a poll on the socket cannot see. 0, or -1 when the
 * link is gone or the stream is broken (v->error says why).
 */
int tech_vnc_service(struct tech_vnc *v, int timeout_ms);

/* Input, in framebuffer pixels (the screen's, also while scaled). Coordinates are clamped. 0 or -1. */
int tech_vnc_pointer(struct tech_vnc *v, int x, int y, int buttons);
int tech_vnc_key(struct tech_vnc *v, uint32_t keysym, bool down);
/*
 * Sends clipboard text (UTF-8): as UTF-8 (SCREENINFO_CUT_MSG_TYPE) to a
 * helper whose description says it takes that, else as RFB ClientCutText,
 * which is Latin-1: characters beyond it become '?'. Capped at
 * TECH_VNC_CUT_MAX (UTF-8 on a character boundary). 0 or -1.
 */
int tech_vnc_send_cut(struct tech_vnc *v, const char *utf8);
/*
 * Measures the round trip: asks for one pixel, non-incrementally, which a
 * server answers at once; the time until that update completes lands in
 * rtt_us. One probe at a time; 0, or -1 when the link is gone.
 */
int tech_vnc_probe(struct tech_vnc *v);
/*
 * Called about once a second by a live front end: sends a round-trip probe
 * and adapts the encoding to the last round trip measured. 0 or -1.
 */
int tech_vnc_tick(struct tech_vnc *v);
/* What is asked for now, for people: "tight lossless", "tight jpeg q6". */
void tech_vnc_encoding_name(const struct tech_vnc *v, char *out, size_t outlen);
/* Asks for the whole screen (non-incremental), whatever changed. 0 or -1. */
int tech_vnc_request_full(struct tech_vnc *v);

#endif
