/*
 * vnc.c: see vnc.h.
 *
 * Notes on libvncclient 0.9.14 that shape this file:
 * - There is no transport hook: we hand it one end of a socketpair as
 *   client->sock and set listenSpecified, which makes rfbInitConnection skip
 *   its own TCP connect (serverHost is never looked at).
 * - rfbInitClient frees the client (and closes the socket) when it fails.
 * - rfbClientCleanup frees neither the framebuffer (ours anyway) nor the
 *   cursor shape buffers, and HandleCursorShape allocates rcMask afresh for
 *   every new shape without freeing the old one: we free rcMask as soon as
 *   we have copied the shape, and rcSource at close.
 * - The log hooks are process-wide function pointers without a client
 *   argument, so the only way to get the server's refusal reason ("VNC
 *   connection failed: <reason>") back to the caller is a per-thread
 *   pointer to the context being served. It is set for the life of the
 *   connection on the thread that drives libvncclient, and is the one piece
 *   of file-level state in the technician's program.
 * - Pixels arrive exact on a fast link (snapshots are compared with the
 *   customer's screen, and text must stay legible): JPEG is only asked for
 *   when the round trip says the link is slow (tech_vnc_tick). The cursor
 *   comes as a shape, so the server does not paint it into the pixels.
 * - A replay (playback.c) drives this same client over a recorded stream;
 *   decoders read client->format at every rectangle, so the format must be
 *   the recorded viewer's from the start (tech_vnc_setup), and the ServerInit
 *   format is only known inside MallocFrameBuffer, which runs after it is
 *   read and before libvncclient sends its own SetPixelFormat.
 * - Private server messages reach only extensions registered with
 *   rfbClientRegisterExtension, a process-wide list whose encodings every
 *   client appends to its SetEncodings. Ours (the helper's screen
 *   description) is registered once and serves every client through its
 *   client data. An extension's handleMessage that returns FALSE for a
 *   type makes libvncclient log "Unknown message type" and then block
 *   reading 256 more bytes, so ours says TRUE even for a malformed
 *   description and marks the stream broken instead. The same extension
 *   says (SCREENINFO_SCALE_ENCODING) that we answer the helper's scale with
 *   UltraVNC's SetScale, which libvncclient 0.9.14's SendScaleSetting will
 *   not send: it finds SetScale missing from what libvncserver says it
 *   supports, so we write the four bytes ourselves. The same extension
 *   takes the helper's UTF-8 clipboard text (SCREENINFO_CUT_MSG_TYPE), which
 *   it sends instead of RFB's Latin-1 cut text to viewers that asked for
 *   the description.
 */
#include "vnc.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "utf8.h"

#define TECH_VNC_ENCODINGS "tight zrle zlib hextile copyrect raw"
/* Messages handled per tech_vnc_service call before the UI gets a turn. */
#define TECH_VNC_BATCH 64

static const char tech_vnc_tag = 'v';
static _Thread_local struct tech_vnc *tech_vnc_current;

static void tech_vnc_log_line(bool is_error, const char *fmt, va_list ap)
{
	static const char failed[] = "VNC connection failed: ";
	char line[TECH_VNC_REASON_MAX + sizeof(failed)];

	log_format_line(line, sizeof(line), fmt, ap);
	if (tech_vnc_current != NULL && strncmp(line, failed, sizeof(failed) - 1) == 0) {
		const char *why = line + sizeof(failed) - 1;
		size_t len = strlen(why);

		/* A long reason is cut, never trusted to fit. */
		if (len >= sizeof(tech_vnc_current->reason))
			len = sizeof(tech_vnc_current->reason) - 1;
		memcpy(tech_vnc_current->reason, why, len);
		tech_vnc_current->reason[len] = '\0';
	}
	/*
	 * What made the session end: a decoder's complaint about what the
	 * server sent. libvncclient reports some of those (a rectangle too
	 * large) as plain log lines, and may log a second line while it gives
	 * up (reading to the end), so every line of the call that failed is
	 * kept, joined; tech_vnc_service empties it before each call.
	 */
	if (tech_vnc_current != NULL && (is_error || tech_vnc_current->client != NULL)) {
		char *e = tech_vnc_current->error;
		size_t used = strlen(e), cap = sizeof(tech_vnc_current->error);

		snprintf(e + used, cap - used, "%s%.*s", used > 0 ? "; " : "", (int)strcspn(line, "\n"), line);
	}
	log_debug("libvncclient%s: %s", is_error ? " error" : "", line);
}

static void tech_vnc_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tech_vnc_log_line(false, fmt, ap);
	va_end(ap);
}

static void tech_vnc_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tech_vnc_log_line(true, fmt, ap);
	va_end(ap);
}

static struct tech_vnc *tech_vnc_of(rfbClient *client)
{
	return rfbClientGetClientData(client, (void *)&tech_vnc_tag);
}

/* fb's own format: libvncclient can then decode straight into it. */
static bool tech_vnc_is_fb_format(const rfbPixelFormat *f)
{
	const uint16_t one = 1;
	const bool host_big = *(const uint8_t *)&one == 0;

	return f->bitsPerPixel == 32 && f->trueColour && f->redMax == 255 && f->greenMax == 255 &&
	       f->blueMax == 255 && f->redShift == 0 && f->greenShift == 8 && f->blueShift == 16 &&
	       (f->bigEndian != 0) == host_big;
}

/* Formats a recording may hold that we can convert: true colour, 8, 16 or 32 bits. */
static bool tech_vnc_format_ok(const rfbPixelFormat *f)
{
	if (!f->trueColour || (f->bitsPerPixel != 8 && f->bitsPerPixel != 16 && f->bitsPerPixel != 32))
		return false;
	if (f->redMax == 0 || f->greenMax == 0 || f->blueMax == 0)
		return false;
	return f->redShift < f->bitsPerPixel && f->greenShift < f->bitsPerPixel &&
	       f->blueShift < f->bitsPerPixel;
}

/* One pixel of format f at p, as 8-bit red, green, blue. */
static void tech_vnc_pixel_rgb(const rfbPixelFormat *f, const uint8_t *p, uint8_t rgb[3])
{
	uint32_t px = 0;
	unsigned bytes = f->bitsPerPixel / 8u;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned shift = f->bigEndian ? 8u * (bytes - 1 - i) : 8u * i;

		px |= (uint32_t)p[i] << shift;
	}
	rgb[0] = (uint8_t)(((px >> f->redShift) & f->redMax) * 255u / f->redMax);
	rgb[1] = (uint8_t)(((px >> f->greenShift) & f->greenMax) * 255u / f->greenMax);
	rgb[2] = (uint8_t)(((px >> f->blueShift) & f->blueMax) * 255u / f->blueMax);
}

/*
 * Draws the half-open box of src (src_w pixels a row, in the viewer's
 * pixel format) into fb, converting each pixel and making it a k x k
 * block, cut at fb's edge: k is 1 for the picture at full size, the scale
 * for a scaled one (a screen whose size the scale does not divide keeps
 * its last column or row from before).
 */
static void tech_vnc_draw(rfbClient *client, struct tech_vnc *v, const uint8_t *src, int src_w, int k, int x0,
			  int y0, int x1, int y1)
{
	size_t bytes = client->format.bitsPerPixel / 8u;

	for (int y = y0; y < y1; y++) {
		for (int x = x0; x < x1; x++) {
			size_t i = (size_t)y * (size_t)src_w + (size_t)x;
			uint8_t rgb[3];
			uint32_t px;

			tech_vnc_pixel_rgb(&client->format, src + i * bytes, rgb);
			px = (uint32_t)rgb[0] | (uint32_t)rgb[1] << 8 | (uint32_t)rgb[2] << 16;
			for (int dy = 0; dy < k && y * k + dy < v->height; dy++)
				for (int dx = 0; dx < k && x * k + dx < v->width; dx++)
					memcpy(v->fb + ((size_t)(y * k + dy) * (size_t)v->width + (size_t)(x * k + dx)) * 4,
					       &px, 4);
		}
	}
}

/*
 * The scaled picture libvncserver sends after our SetScale: libvncclient
 * decodes into small, fb keeps the screen's size and its last picture until
 * the scaled one covers it (no black flash, no window that jumps).
 */
static rfbBool tech_vnc_alloc_small(rfbClient *client, struct tech_vnc *v)
{
	uint8_t *small = calloc((size_t)client->width * (size_t)client->height, client->format.bitsPerPixel / 8u);

	if (small == NULL)
		return FALSE;
	free(v->small);
	v->small = small;
	v->small_w = client->width;
	v->small_h = client->height;
	v->covered = 0;
	v->want_full = true;
	client->frameBuffer = small;
	log_info("picture at 1/%d size: %dx%d drawn at %dx%d", v->scale, client->width, client->height, v->width,
		 v->height);
	return TRUE;
}

/*
 * Called at connection and on every size change. The old pixels mean
 * nothing at the new size, so the buffer starts black and a full update
 * fills it: libvncclient asks for one after NewFBSize, but not after
 * ExtendedDesktopSize, so tech_vnc_service asks then.
 */
static rfbBool tech_vnc_alloc_fb(rfbClient *client)
{
	struct tech_vnc *v = tech_vnc_of(client);
	size_t n = (size_t)client->width * (size_t)client->height;
	uint8_t *fb, *raw = NULL;

	if (v == NULL || client->width <= 0 || client->height <= 0 ||
	    client->width > TECH_VNC_MAX_SIDE || client->height > TECH_VNC_MAX_SIDE) {
		rfbClientErr("refusing a %dx%d framebuffer\n", client->width, client->height);
		return FALSE;
	}
	/* A viewer that never sent SetPixelFormat was sent the server's own format. */
	if (v->native_format)
		client->format = client->si.format;
	if (!tech_vnc_format_ok(&client->format)) {
		rfbClientErr("refusing pixel format: %d bits per pixel%s\n", client->format.bitsPerPixel,
			     client->format.trueColour ? "" : ", colour map");
		return FALSE;
	}
	/*
	 * After our SetScale every size is the scaled picture's: the helper
	 * brings a scaled viewer back to full size before the screen changes
	 * size (client/screen.c), so a size that is not the scaled one means
	 * the screen's own changed while we were told otherwise: its size is
	 * then the scaled one times the scale.
	 */
	if (v->scale > 1 && v->fb != NULL) {
		if (client->width != v->width / v->scale || client->height != v->height / v->scale) {
			int w = client->width * v->scale, h = client->height * v->scale;

			if (w > TECH_VNC_MAX_SIDE || h > TECH_VNC_MAX_SIDE)
				return FALSE;
			n = (size_t)w * (size_t)h;
			fb = calloc(n, 4);
			if (fb != NULL && !tech_vnc_is_fb_format(&client->format) &&
			    (raw = calloc(n, client->format.bitsPerPixel / 8u)) == NULL) {
				free(fb);
				fb = NULL;
			}
			if (fb == NULL)
				return FALSE;
			free(v->fb);
			free(v->raw);
			v->fb = fb;
			v->raw = raw;
			v->width = w;
			v->height = h;
			v->resized = true;
			v->dirty = false;
		}
		return tech_vnc_alloc_small(client, v);
	}
	/* Back at full size: fb already is, with the enlarged picture until the full one covers it. */
	if (v->small != NULL && v->fb != NULL && client->width == v->width && client->height == v->height) {
		free(v->small);
		v->small = NULL;
		v->small_w = v->small_h = 0;
		v->covered = 0;
		v->want_full = true;
		client->frameBuffer = v->raw != NULL ? v->raw : v->fb;
		log_info("picture at full size: %dx%d", v->width, v->height);
		return TRUE;
	}
	free(v->small);
	v->small = NULL;
	v->small_w = v->small_h = 0;
	fb = calloc(n, 4);
	if (fb != NULL && !tech_vnc_is_fb_format(&client->format)) {
		raw = calloc(n, client->format.bitsPerPixel / 8u);
		if (raw == NULL) {
			free(fb);
			fb = NULL;
		}
	}
	if (fb == NULL)
		return FALSE;
	v->want_full = v->fb != NULL;
	free(v->fb);
	free(v->raw);
	v->fb = fb;
	v->raw = raw;
	v->width = client->width;
	v->height = client->height;
	v->covered = 0;
	v->resized = true;
	v->dirty = false;
	client->frameBuffer = raw != NULL ? raw : fb;
	return TRUE;
}

static void tech_vnc_got_rect(rfbClient *client, int x, int y, int w, int h)
{
	struct tech_vnc *v = tech_vnc_of(client);
	int x1, y1;

	if (v == NULL)
		return;
	if (v->small != NULL) {
		/* Decoders check rectangles against the size; clip anyway, we index with these. */
		x1 = x + w < v->small_w ? x + w : v->small_w;
		y1 = y + h < v->small_h ? y + h : v->small_h;
		x = x < 0 ? 0 : x;
		y = y < 0 ? 0 : y;
		if (x >= x1 || y >= y1)
			return;
		tech_vnc_draw(client, v, v->small, v->small_w, v->scale, x, y, x1, y1);
		x *= v->scale;
		y *= v->scale;
		x1 = x1 * v->scale < v->width ? x1 * v->scale : v->width;
		y1 = y1 * v->scale < v->height ? y1 * v->scale : v->height;
		/* Covered counts in the small picture's pixels, as the size it must reach (finished_update). */
		v->covered += (uint64_t)(x1 - x) * (uint64_t)(y1 - y) / (uint64_t)(v->scale * v->scale);
		goto dirty;
	}
	/* Decoders check rectangles against the size; clip anyway, we index with these. */
	x1 = x + w < v->width ? x + w : v->width;
	y1 = y + h < v->height ? y + h : v->height;
	x = x < 0 ? 0 : x;
	y = y < 0 ? 0 : y;
	if (x >= x1 || y >= y1)
		return;
	if (v->raw != NULL)
		tech_vnc_draw(client, v, v->raw, v->width, 1, x, y, x1, y1);
	v->covered += (uint64_t)(x1 - x) * (uint64_t)(y1 - y);
dirty:
	if (!v->dirty) {
		v->dirty_x0 = x;
		v->dirty_y0 = y;
		v->dirty_x1 = x1;
		v->dirty_y1 = y1;
		v->dirty = true;
		return;
	}
	v->dirty_x0 = x < v->dirty_x0 ? x : v->dirty_x0;
	v->dirty_y0 = y < v->dirty_y0 ? y : v->dirty_y0;
	v->dirty_x1 = x1 > v->dirty_x1 ? x1 : v->dirty_x1;
	v->dirty_y1 = y1 > v->dirty_y1 ? y1 : v->dirty_y1;
}

static long long tech_vnc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * "Covered every pixel" sums rectangle areas: the rectangles of one RFB
 * update do not overlap in practice (libvncserver sends a region's
 * rectangles), so the sum reaching width*height means a complete picture.
 */
static void tech_vnc_finished_update(rfbClient *client)
{
	struct tech_vnc *v = tech_vnc_of(client);

	if (v == NULL)
		return;
	v->updates++;
	if (v->probe_sent_us != 0) {
		v->rtt_us = tech_vnc_now_us() - v->probe_sent_us;
		v->probe_sent_us = 0;
	}
	if (v->covered >= (v->small != NULL ? (uint64_t)v->small_w * (uint64_t)v->small_h
					    : (uint64_t)v->width * (uint64_t)v->height))
		v->full_updates++;
	v->covered = 0;
}

static void tech_vnc_got_cursor(rfbClient *client, int xhot, int yhot, int w, int h, int bpp)
{
	struct tech_vnc *v = tech_vnc_of(client);
	uint8_t *rgba = NULL;

	if (v == NULL || bpp != client->format.bitsPerPixel / 8 || client->rcSource == NULL ||
	    client->rcMask == NULL || w <= 0 || h <= 0)
		goto out;
	rgba = malloc((size_t)w * (size_t)h * 4);
	if (rgba == NULL)
		goto out;
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		tech_vnc_pixel_rgb(&client->format, client->rcSource + i * (size_t)bpp, rgba + i * 4);
		rgba[i * 4 + 3] = client->rcMask[i] ? 0xff : 0x00;
	}
	free(v->cursor);
	v->cursor = rgba;
	v->cursor_w = w;
	v->cursor_h = h;
	v->cursor_hot_x = xhot;
	v->cursor_hot_y = yhot;
	v->cursor_changed = true;
out:
	/* libvncclient would leak it at the next shape; nothing else reads it. */
	free(client->rcMask);
	client->rcMask = NULL;
}

/*
 * RFB cut text is Latin-1 (libvncclient caps its length at 1 MiB before
 * calling us); the UI wants UTF-8. Every byte becomes one or two, so the
 * output is bounded by twice our own cap.
 */
static void tech_vnc_got_cut(rfbClient *client, const char *text, int textlen)
{
	struct tech_vnc *v = tech_vnc_of(client);
	size_t n = textlen > 0 ? (size_t)textlen : 0;
	char *out;

	if (v == NULL)
		return;
	if (n > TECH_VNC_CUT_MAX)
		n = TECH_VNC_CUT_MAX;
	out = malloc(2 * n + 1);
	if (out == NULL)
		return;
	/* A NUL ends the text: the UI holds C strings. */
	utf8_from_latin1(text, strnlen(text, n), out);
	free(v->cut);
	v->cut = out;
	v->cut_changed = true;
}

static void tech_vnc_break(struct tech_vnc *v, const char *why)
{
	snprintf(v->error, sizeof(v->error), "%s", why);
	v->broken = true;
}

/*
 * The helper asks for its picture at 1/scale: SetScale, then a request, in
 * that order, and nothing of its update path comes before they are read
 * (client/screen.c waits for them). From here on our pointer events are
 * in the scaled picture's pixels, as libvncserver reads them after the
 * SetScale. In a replay these go to a socket nobody reads; the scale still
 * says how to take the sizes that follow.
 */
static int tech_vnc_answer_scale(rfbClient *client, struct tech_vnc *v, int scale)
{
	char msg[sz_rfbSetScaleMsg] = { (char)rfbSetScale, (char)scale, 0, 0 };
	int w = v->width / scale, h = v->height / scale;

	v->scale = scale;
	v->scale_changes++;
	log_debug("the customer's side asks for its picture at 1/%d size", scale);
	if (!WriteToRFBServer(client, msg, sizeof(msg)))
		return -1;
	return SendFramebufferUpdateRequest(client, 0, 0, w > 0 ? w : 1, h > 0 ? h : 1, TRUE) ? 0 : -1;
}

/*
 * The helper's screen description: u32 length, then the payload
 * (screeninfo.h). libvncclient has read the type byte. Anything that does
 * not decode ends the session: a helper that sends it is broken or
 * hostile, and guessing where its next message starts would be worse. A
 * stream that ends inside it is not broken, only over (libvncclient reads
 * without a timeout, so a failed read is the end): the next read says so,
 * and a recording cut there by a crash still replays up to it.
 */
static rfbBool tech_vnc_screeninfo_message(rfbClient *client, struct tech_vnc *v)
{
	static const char malformed[] = "the customer's side sent a malformed screen description";
	uint8_t head[4], payload[SCREENINFO_PAYLOAD_MAX];
	struct screeninfo si;
	struct buf b;
	uint32_t len = 0;

	if (!ReadFromRFBServer(client, (char *)head, sizeof(head))) {
		snprintf(v->error, sizeof(v->error), "the connection closed inside a screen description");
		return TRUE;
	}
	buf_view(&b, head, sizeof(head));
	if (buf_get_u32(&b, &len) != 0 || len > SCREENINFO_PAYLOAD_MAX) {
		tech_vnc_break(v, malformed);
		return TRUE;
	}
	if (len > 0 && !ReadFromRFBServer(client, (char *)payload, len)) {
		snprintf(v->error, sizeof(v->error), "the connection closed inside a screen description");
		return TRUE;
	}
	buf_view(&b, payload, len);
	if (screeninfo_decode(&b, &si) != 0) {
		tech_vnc_break(v, malformed);
		return TRUE;
	}
	if (!v->has_info || memcmp(&si, &v->info, sizeof(si)) != 0) {
		v->info = si;
		v->info_changed = true;
	}
	v->has_info = true;
	log_debug("screen description: flags %#x, %u monitors, scale %u", (unsigned)si.flags, (unsigned)si.count,
		  (unsigned)si.scale);
	if (si.scale != v->scale && tech_vnc_answer_scale(client, v, si.scale) != 0) {
		snprintf(v->error, sizeof(v->error), "the connection closed while answering the picture's scale");
		return TRUE;
	}
	if (v->on_info != NULL)
		v->on_info(v->on_info_ctx, &si);
	return TRUE;
}

static int tech_vnc_read_exact(void *ctx, void *p, size_t n)
{
	return n <= UINT_MAX && ReadFromRFBServer(ctx, p, (unsigned int)n) ? 0 : -1;
}

/*
 * The customer's clipboard as UTF-8 (SCREENINFO_CUT_MSG_TYPE), which a
 * helper sends instead of Latin-1 cut text to viewers that asked for its
 * screen description. Text that is not UTF-8 is dropped (it was read
 * whole); a length over the wire cap, or no memory for it, leaves the
 * stream somewhere inside the message, so the session ends.
 */
static rfbBool tech_vnc_cut_message(rfbClient *client, struct tech_vnc *v)
{
	char *text = NULL;
	size_t len = 0;

	switch (screeninfo_read_cut(tech_vnc_read_exact, client, &text, &len)) {
	case SCREENINFO_CUT_OK:
		len = utf8_cut(text, len, TECH_VNC_CUT_MAX);
		text[len] = '\0';
		free(v->cut);
		v->cut = text;
		v->cut_changed = true;
		break;
	case SCREENINFO_CUT_BAD_TEXT:
		log_warn("the customer's clipboard text is not UTF-8 or holds NULs: dropped");
		break;
	case SCREENINFO_CUT_IO:
		snprintf(v->error, sizeof(v->error), "the connection closed inside clipboard text");
		break;
	case SCREENINFO_CUT_TOO_LONG:
		tech_vnc_break(v, "the customer's side sent clipboard text over 1 MiB");
		break;
	default:
		tech_vnc_break(v, "out of memory for the customer's clipboard text");
		break;
	}
	return TRUE;
}

static rfbBool tech_vnc_private_message(rfbClient *client, rfbServerToClientMsg *msg)
{
	struct tech_vnc *v = tech_vnc_of(client);

	if (v == NULL)
		return FALSE;
	if (msg->type == SCREENINFO_MSG_TYPE)
		return tech_vnc_screeninfo_message(client, v);
	if (msg->type == SCREENINFO_CUT_MSG_TYPE)
		return tech_vnc_cut_message(client, v);
	return FALSE;
}

static int tech_vnc_screeninfo_encodings[] = { SCREENINFO_ENCODING, SCREENINFO_SCALE_ENCODING, 0 };
/* libvncclient links it into its list (next), so it cannot be const. */
static rfbClientProtocolExtension tech_vnc_screeninfo_ext = {
	.encodings = tech_vnc_screeninfo_encodings,
	.handleMessage = tech_vnc_private_message,
};
static pthread_once_t tech_vnc_screeninfo_once = PTHREAD_ONCE_INIT;

static void tech_vnc_screeninfo_register(void)
{
	rfbClientRegisterExtension(&tech_vnc_screeninfo_ext);
}

/*
 * Only a replay asks (the recorded viewer used VNC authentication): the
 * answer goes to a socket nobody reads, but libvncclient wants a non-empty
 * one, which it frees.
 */
static char *tech_vnc_password(rfbClient *client)
{
	(void)client;
	return strdup("replay");
}

static void tech_vnc_apply_setup(rfbClient *client, struct tech_vnc *v, const struct tech_vnc_setup *s)
{
	if (s->has_format)
		client->format = s->format;
	v->native_format = !s->has_format && s->native_format;
	if (s->encodings != NULL)
		client->appData.encodingsString = s->encodings;
	client->appData.compressLevel = s->compress;
	client->appData.qualityLevel = s->quality;
	client->appData.enableJPEG = s->jpeg ? TRUE : FALSE;
	client->appData.useRemoteCursor = s->remote_cursor ? TRUE : FALSE;
	if (s->auth_scheme != 0) {
		const uint32_t schemes[] = { s->auth_scheme, 0 };

		SetClientAuthSchemes(client, schemes, 1);
	}
	client->GetPassword = tech_vnc_password;
}

int tech_vnc_open(struct tech_vnc *v, int fd)
{
	return tech_vnc_open_setup(v, fd, NULL);
}

int tech_vnc_open_setup(struct tech_vnc *v, int fd, const struct tech_vnc_setup *s)
{
	rfbClient *client;

	memset(v, 0, sizeof(*v));
	v->scale = 1;
	pthread_once(&tech_vnc_screeninfo_once, tech_vnc_screeninfo_register);
	rfbClientLog = tech_vnc_log;
	rfbClientErr = tech_vnc_err;
	tech_vnc_current = v;
	client = rfbGetClient(8, 3, 4);
	if (client == NULL) {
		close(fd);
		return -1;
	}
	rfbClientSetClientData(client, (void *)&tech_vnc_tag, v);
	client->sock = fd;
	client->listenSpecified = TRUE;
	client->appData.encodingsString = TECH_VNC_ENCODINGS;
	client->appData.enableJPEG = FALSE;
	client->appData.useRemoteCursor = TRUE;
	if (s != NULL) {
		tech_vnc_apply_setup(client, v, s);
	} else {
		/*
		 * Live: SSH did the authentication, and the helper's server asks
		 * for none. Accepting only None means a hostile customer cannot make
		 * libvncclient ask the technician's terminal for a VNC password.
		 */
		const uint32_t none[] = { rfbNoAuth, 0 };

		SetClientAuthSchemes(client, none, 1);
	}
	client->canHandleNewFBSize = TRUE;
	client->MallocFrameBuffer = tech_vnc_alloc_fb;
	client->GotFrameBufferUpdate = tech_vnc_got_rect;
	client->FinishedFrameBufferUpdate = tech_vnc_finished_update;
	client->GotCursorShape = tech_vnc_got_cursor;
	client->GotXCutText = tech_vnc_got_cut;
	if (!rfbInitClient(client, NULL, NULL)) {
		/* The client and fd are gone; what we allocated for it is not. */
		free(v->fb);
		v->fb = NULL;
		free(v->raw);
		v->raw = NULL;
		free(v->small);
		v->small = NULL;
		free(v->cursor);
		v->cursor = NULL;
		tech_vnc_current = NULL;
		return -1;
	}
	v->client = client;
	v->quality = client->appData.enableJPEG ? client->appData.qualityLevel : -1;
	return 0;
}

void tech_vnc_close(struct tech_vnc *v)
{
	if (v->client != NULL) {
		free(v->client->rcSource);
		v->client->rcSource = NULL;
		free(v->client->rcMask);
		v->client->rcMask = NULL;
		v->client->frameBuffer = NULL;
		rfbClientCleanup(v->client);
		v->client = NULL;
	}
	free(v->fb);
	v->fb = NULL;
	free(v->raw);
	v->raw = NULL;
	free(v->small);
	v->small = NULL;
	free(v->cursor);
	v->cursor = NULL;
	free(v->cut);
	v->cut = NULL;
	if (tech_vnc_current == v)
		tech_vnc_current = NULL;
}

int tech_vnc_fd(const struct tech_vnc *v)
{
	return v->client != NULL ? v->client->sock : -1;
}

bool tech_vnc_broken(const struct tech_vnc *v)
{
	return v->broken;
}

/* 1 when a message can be read without waiting longer than timeout_ms. */
static int tech_vnc_readable(struct tech_vnc *v, int timeout_ms)
{
	struct pollfd pfd = { .fd = v->client->sock, .events = POLLIN };
	int n;

	if (v->client->buffered > 0)
		return 1;
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	return n > 0;
}

int tech_vnc_service(struct tech_vnc *v, int timeout_ms)
{
	int r;

	if (v->client == NULL || v->broken)
		return -1;
	v->error[0] = '\0';
	r = tech_vnc_readable(v, timeout_ms);
	for (int i = 0; r > 0 && i < TECH_VNC_BATCH; i++) {
		if (!HandleRFBServerMessage(v->client) || v->broken)
			return -1;
		if (v->want_full) {
			v->want_full = false;
			if (tech_vnc_request_full(v) != 0)
				return -1;
		}
		r = tech_vnc_readable(v, 0);
	}
	return r < 0 ? -1 : 0;
}

int tech_vnc_pointer(struct tech_vnc *v, int x, int y, int buttons)
{
	if (v->client == NULL)
		return -1;
	x = x < 0 ? 0 : x >= v->width ? v->width - 1 : x;
	y = y < 0 ? 0 : y >= v->height ? v->height - 1 : y;
	/* libvncserver scales it back up by the scale of our last SetScale, read before this event. */
	if (v->scale > 1) {
		int w = v->width / v->scale, h = v->height / v->scale;

		x /= v->scale;
		y /= v->scale;
		x = x >= w ? w - 1 : x;
		y = y >= h ? h - 1 : y;
	}
	return SendPointerEvent(v->client, x, y, buttons) ? 0 : -1;
}

int tech_vnc_key(struct tech_vnc *v, uint32_t keysym, bool down)
{
	if (v->client == NULL || keysym == 0)
		return -1;
	return SendKeyEvent(v->client, keysym, down ? TRUE : FALSE) ? 0 : -1;
}

int tech_vnc_request_full(struct tech_vnc *v)
{
	if (v->client == NULL)
		return -1;
	/* In the picture's own pixels: libvncserver ignores a request beyond the scaled picture. */
	return SendFramebufferUpdateRequest(v->client, 0, 0, v->client->width, v->client->height, FALSE) ? 0 : -1;
}

/* To a helper that takes clipboard text as UTF-8 (SCREENINFO_UTF8_CLIPBOARD). */
static int tech_vnc_send_cut_utf8(struct tech_vnc *v, const char *utf8)
{
	size_t len = utf8_cut(utf8, strlen(utf8), TECH_VNC_CUT_MAX);
	uint8_t head[5];

	screeninfo_cut_header(head, (uint32_t)len);
	if (!WriteToRFBServer(v->client, (const char *)head, sizeof(head)))
		return -1;
	return len == 0 || WriteToRFBServer(v->client, utf8, (unsigned int)len) ? 0 : -1;
}

int tech_vnc_send_cut(struct tech_vnc *v, const char *utf8)
{
	size_t len = strlen(utf8), o;
	char *latin1;
	int rc;

	if (v->client == NULL)
		return -1;
	if (v->has_info && (v->info.flags & SCREENINFO_UTF8_CLIPBOARD) != 0)
		return tech_vnc_send_cut_utf8(v, utf8);
	latin1 = malloc(TECH_VNC_CUT_MAX + 1);
	if (latin1 == NULL)
		return -1;
	/* Only what Latin-1 has survives; a malformed run counts as one '?'. */
	o = utf8_to_latin1(utf8, len, latin1, TECH_VNC_CUT_MAX);
	rc = SendClientCutText(v->client, latin1, (int)o) ? 0 : -1;
	free(latin1);
	return rc;
}

int tech_vnc_probe(struct tech_vnc *v)
{
	if (v->client == NULL || v->width <= 0)
		return -1;
	if (v->probe_sent_us != 0)
		return 0;
	if (!SendFramebufferUpdateRequest(v->client, 0, 0, 1, 1, FALSE))
		return -1;
	v->probe_sent_us = tech_vnc_now_us();
	return 0;
}

/* Asks the server for quality q (-1: lossless) from now on. 0 or -1. */
static int tech_vnc_set_quality(struct tech_vnc *v, int q)
{
	rfbClient *c = v->client;

	if (q == v->quality)
		return 0;
	c->appData.enableJPEG = q >= 0 ? TRUE : FALSE;
	c->appData.qualityLevel = q >= 0 ? q : 5;
	/* More zlib effort pays off where bytes are what is scarce. */
	c->appData.compressLevel = q >= 0 ? 9 : 3;
	log_debug("round trip %lld ms: asking for %s%d", v->rtt_us / 1000, q >= 0 ? "JPEG quality " : "lossless ",
		  q >= 0 ? q : 0);
	v->quality = q;
	return SetFormatAndEncodings(c) ? 0 : -1;
}

int tech_vnc_tick(struct tech_vnc *v)
{
	int want = v->quality;

	if (v->client == NULL)
		return -1;
	if (v->rtt_us > TECH_VNC_VERY_SLOW_RTT_US)
		want = 2;
	else if (v->rtt_us > TECH_VNC_SLOW_RTT_US)
		want = want >= 0 && want < 6 ? want : 6;
	/*
	 * A scaled picture means the helper measured a link too slow for JPEG
	 * level 0 at full size: a quick probe then only met an update already
	 * on its way (small scaled ones follow each other closely), and
	 * lossless would be the worst choice there is.
	 */
	if (v->scale > 1) {
		v->fast_ticks = 0;
	} else if (v->rtt_us > 0 && v->rtt_us < TECH_VNC_FAST_RTT_US) {
		if (++v->fast_ticks >= TECH_VNC_FAST_TICKS)
			want = -1;
	} else {
		v->fast_ticks = 0;
	}
	if (tech_vnc_set_quality(v, want) != 0)
		return -1;
	return tech_vnc_probe(v);
}

void tech_vnc_encoding_name(const struct tech_vnc *v, char *out, size_t outlen)
{
	const char *enc = v->client != NULL ? v->client->appData.encodingsString : "";
	size_t n = strcspn(enc, " ");

	if (v->quality >= 0)
		snprintf(out, outlen, "%.*s jpeg q%d", (int)n, enc, v->quality);
	else
		snprintf(out, outlen, "%.*s lossless", (int)n, enc);
}
