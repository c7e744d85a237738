/*
 * clientmsg.c: see clientmsg.h.
 *
 * Each message is parsed from a read-only view over the pending bytes; a
 * short read (BUF_ERR_SHORT) means "not whole yet" and leaves the bytes
 * where they are, anything else consumes exactly the message. Lengths of
 * the only unbounded message, ClientCutText, are not buffered at all: its
 * text is counted off as it arrives, so a huge paste costs no memory.
 */
#include "clientmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "screeninfo.h"

/* The longest message we buffer: SetEncodings with 65535 entries. */
#define TECH_CLIENTMSG_PENDING_CAP (4u + 4u * 65535u + 64u)
#define TECH_CLIENTMSG_EVENTS_MAX (16u * 1024 * 1024)

enum {
	TECH_CLIENTMSG_VERSION,
	TECH_CLIENTMSG_SECURITY,
	TECH_CLIENTMSG_VNCAUTH,
	TECH_CLIENTMSG_CLIENTINIT,
	TECH_CLIENTMSG_MESSAGES,
	TECH_CLIENTMSG_STOPPED,
};

/* A message was taken; 0 means "not whole yet", -1 stop (note set). */
#define TECH_CLIENTMSG_TAKEN 1

void tech_clientmsg_init(struct tech_clientmsg *c)
{
	memset(c, 0, sizeof(*c));
	c->state = TECH_CLIENTMSG_VERSION;
	buf_init(&c->pending, TECH_CLIENTMSG_PENDING_CAP);
}

void tech_clientmsg_free(struct tech_clientmsg *c)
{
	free(c->events);
	c->events = NULL;
	c->n_events = c->cap_events = 0;
	buf_free(&c->pending);
}

__attribute__((format(printf, 2, 3)))
static int tech_clientmsg_stop(struct tech_clientmsg *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->note, sizeof(c->note), fmt, ap);
	va_end(ap);
	c->stopped = true;
	c->state = TECH_CLIENTMSG_STOPPED;
	return -1;
}

static int tech_clientmsg_get_u16(struct buf *b, uint16_t *v)
{
	uint8_t be[2];
	int e = buf_get(b, be, sizeof(be));

	if (e == 0)
		*v = (uint16_t)(be[0] << 8 | be[1]);
	return e;
}

static int tech_clientmsg_push(struct tech_clientmsg *c, const struct tech_clientmsg_event *ev)
{
	if (c->n_events == c->cap_events) {
		size_t cap = c->cap_events ? c->cap_events * 2 : 256;
		struct tech_clientmsg_event *grown;

		if (cap > TECH_CLIENTMSG_EVENTS_MAX)
			return tech_clientmsg_stop(c, "more than %u input events; the rest are not shown",
						   TECH_CLIENTMSG_EVENTS_MAX);
		grown = realloc(c->events, cap * sizeof(*grown));
		if (grown == NULL)
			return tech_clientmsg_stop(c, "out of memory reading the technician's input");
		c->events = grown;
		c->cap_events = cap;
	}
	c->events[c->n_events++] = *ev;
	return 0;
}

/* "RFB 003.008\n": the minor version, or -1. */
static int tech_clientmsg_version(const uint8_t v[12])
{
	int minor = 0;

	if (memcmp(v, "RFB 003.", 8) != 0 || v[11] != '\n')
		return -1;
	for (int i = 8; i < 11; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		minor = minor * 10 + (v[i] - '0');
	}
	return minor;
}

static int tech_clientmsg_handshake(struct tech_clientmsg *c, struct buf *in)
{
	uint8_t v[16];
	int e;

	switch (c->state) {
	case TECH_CLIENTMSG_VERSION:
		if ((e = buf_get(in, v, 12)) != 0)
			return e == BUF_ERR_SHORT ? 0 : -1;
		c->minor = tech_clientmsg_version(v);
		if (c->minor < 0)
			return tech_clientmsg_stop(c, "the viewer's stream does not start with an RFB 3.x version");
		/*
		 * Before 3.7 the server alone picks the security type and the
		 * client says nothing; Handoff's servers use none.
		 */
		c->state = c->minor >= 7 ? TECH_CLIENTMSG_SECURITY : TECH_CLIENTMSG_CLIENTINIT;
		return TECH_CLIENTMSG_TAKEN;
	case TECH_CLIENTMSG_SECURITY:
		if ((e = buf_get_u8(in, &c->security)) != 0)
			return e == BUF_ERR_SHORT ? 0 : -1;
		if (c->security == 1)
			c->state = TECH_CLIENTMSG_CLIENTINIT;
		else if (c->security == 2)
			c->state = TECH_CLIENTMSG_VNCAUTH;
		else
			return tech_clientmsg_stop(c, "security type %u: the viewer's messages cannot be followed",
						   c->security);
		return TECH_CLIENTMSG_TAKEN;
	case TECH_CLIENTMSG_VNCAUTH:
		if ((e = buf_get(in, v, 16)) != 0)
			return e == BUF_ERR_SHORT ? 0 : -1;
		c->state = TECH_CLIENTMSG_CLIENTINIT;
		return TECH_CLIENTMSG_TAKEN;
	case TECH_CLIENTMSG_CLIENTINIT:
		if ((e = buf_get(in, v, 1)) != 0)
			return e == BUF_ERR_SHORT ? 0 : -1;
		c->state = TECH_CLIENTMSG_MESSAGES;
		c->initialised = true;
		return TECH_CLIENTMSG_TAKEN;
	default:
		return -1;
	}
}

static int tech_clientmsg_pixel_format(struct tech_clientmsg *c, struct buf *in, uint64_t t_us)
{
	struct tech_clientmsg_format f;
	uint8_t pad[3];
	int e;

	if ((e = buf_get(in, pad, 3)) != 0 || (e = buf_get_u8(in, &f.bits_per_pixel)) != 0 ||
	    (e = buf_get_u8(in, &f.depth)) != 0 || (e = buf_get_u8(in, &f.big_endian)) != 0 ||
	    (e = buf_get_u8(in, &f.true_colour)) != 0 || (e = tech_clientmsg_get_u16(in, &f.red_max)) != 0 ||
	    (e = tech_clientmsg_get_u16(in, &f.green_max)) != 0 ||
	    (e = tech_clientmsg_get_u16(in, &f.blue_max)) != 0 || (e = buf_get_u8(in, &f.red_shift)) != 0 ||
	    (e = buf_get_u8(in, &f.green_shift)) != 0 || (e = buf_get_u8(in, &f.blue_shift)) != 0 ||
	    (e = buf_get(in, pad, 3)) != 0)
		return e;
	if (!c->has_format) {
		c->has_format = true;
		c->format = f;
	} else if (c->format_changed_us == 0 && memcmp(&f, &c->format, sizeof(f)) != 0) {
		/* The server switches at a moment the recording cannot pin down. */
		c->format_changed_us = t_us > 0 ? t_us : 1;
	}
	return 0;
}

static int tech_clientmsg_encodings(struct tech_clientmsg *c, struct buf *in)
{
	uint8_t pad;
	uint16_t n;
	int e;

	if ((e = buf_get_u8(in, &pad)) != 0 || (e = tech_clientmsg_get_u16(in, &n)) != 0)
		return e;
	if (buf_len(in) < (size_t)n * 4)
		return BUF_ERR_SHORT;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t enc;

		if ((e = buf_get_u32(in, &enc)) != 0)
			return e;
		if (!c->has_encodings && c->n_encodings < TECH_CLIENTMSG_ENCODINGS_MAX)
			c->encodings[c->n_encodings++] = (int32_t)enc;
	}
	c->has_encodings = true;
	return 0;
}

static int tech_clientmsg_key(struct tech_clientmsg *c, struct buf *in, uint64_t t_us)
{
	struct tech_clientmsg_event ev = { .t_us = t_us, .kind = TECH_CLIENTMSG_KEY };
	uint8_t down, pad[2];
	int e;

	if ((e = buf_get_u8(in, &down)) != 0 || (e = buf_get(in, pad, 2)) != 0 ||
	    (e = buf_get_u32(in, &ev.keysym)) != 0)
		return e;
	ev.down = down != 0;
	return tech_clientmsg_push(c, &ev) == 0 ? 0 : BUF_ERR_NOMEM;
}

static int tech_clientmsg_pointer(struct tech_clientmsg *c, struct buf *in, uint64_t t_us)
{
	struct tech_clientmsg_event ev = { .t_us = t_us, .kind = TECH_CLIENTMSG_POINTER };
	int e;

	if ((e = buf_get_u8(in, &ev.buttons)) != 0 || (e = tech_clientmsg_get_u16(in, &ev.x)) != 0 ||
	    (e = tech_clientmsg_get_u16(in, &ev.y)) != 0)
		return e;
	return tech_clientmsg_push(c, &ev) == 0 ? 0 : BUF_ERR_NOMEM;
}

/* QEMU's messages: only the extended key event (0) and audio (1) have a known size. */
static int tech_clientmsg_qemu(struct tech_clientmsg *c, struct buf *in, uint64_t t_us)
{
	struct tech_clientmsg_event ev = { .t_us = t_us, .kind = TECH_CLIENTMSG_KEY };
	uint8_t sub;
	uint16_t word;
	uint32_t keycode;
	uint8_t rest[6];
	int e;

	if ((e = buf_get_u8(in, &sub)) != 0)
		return e;
	if (sub == 0) {
		if ((e = tech_clientmsg_get_u16(in, &word)) != 0 || (e = buf_get_u32(in, &ev.keysym)) != 0 ||
		    (e = buf_get_u32(in, &keycode)) != 0)
			return e;
		ev.down = word != 0;
		return tech_clientmsg_push(c, &ev) == 0 ? 0 : BUF_ERR_NOMEM;
	}
	if (sub == 1) {
		if ((e = tech_clientmsg_get_u16(in, &word)) != 0)
			return e;
		return word == 2 ? buf_get(in, rest, 6) : 0;
	}
	return BUF_ERR_FORMAT;
}

/* One message from in. 0 taken, BUF_ERR_SHORT not whole, other errors stop. */
static int tech_clientmsg_message(struct tech_clientmsg *c, struct buf *in, uint64_t t_us, uint8_t *type)
{
	uint8_t skip[16];
	uint8_t u8;
	uint16_t n;
	uint32_t len;
	int e;

	if ((e = buf_get_u8(in, type)) != 0)
		return e;
	switch (*type) {
	case 0: /* SetPixelFormat */
		return tech_clientmsg_pixel_format(c, in, t_us);
	case 2: /* SetEncodings */
		return tech_clientmsg_encodings(c, in);
	case 3: /* FramebufferUpdateRequest */
		return buf_get(in, skip, 9);
	case 4: /* KeyEvent */
		return tech_clientmsg_key(c, in, t_us);
	case 5: /* PointerEvent */
		return tech_clientmsg_pointer(c, in, t_us);
	case 6: /* ClientCutText: the text is dropped as it arrives, never buffered */
		if ((e = buf_get(in, skip, 3)) != 0 || (e = buf_get_u32(in, &len)) != 0)
			return e;
		/* A negative length is the extended clipboard's; its size is the magnitude. */
		c->skip = (len & 0x80000000u) ? (uint64_t)(~len + 1u) : len;
		return 0;
	case 150: /* EnableContinuousUpdates */
		return buf_get(in, skip, 9);
	case SCREENINFO_CUT_MSG_TYPE: /* our viewers' UTF-8 clipboard text: skipped as it arrives */
		if ((e = buf_get_u32(in, &len)) != 0)
			return e;
		if (len > SCREENINFO_CUT_WIRE_MAX)
			return BUF_ERR_TOO_LONG;
		c->skip = len;
		return 0;
	case 248: /* ClientFence */
		if ((e = buf_get(in, skip, 7)) != 0 || (e = buf_get_u8(in, &u8)) != 0)
			return e;
		if (u8 > 64)
			return BUF_ERR_FORMAT;
		c->skip = u8;
		return 0;
	case 251: /* SetDesktopSize */
		if ((e = buf_get(in, skip, 5)) != 0 || (e = buf_get_u8(in, &u8)) != 0 ||
		    (e = buf_get(in, skip, 1)) != 0)
			return e;
		n = u8;
		if (buf_len(in) < (size_t)n * 16)
			return BUF_ERR_SHORT;
		c->skip = (uint64_t)n * 16;
		return 0;
	case 252: /* xvp */
		return buf_get(in, skip, 3);
	case 255:
		return tech_clientmsg_qemu(c, in, t_us);
	default:
		return BUF_ERR_FORMAT;
	}
}

/* Takes one whole message (or handshake step) from the front of pending. */
static int tech_clientmsg_take(struct tech_clientmsg *c, uint64_t t_us)
{
	struct buf in;
	uint8_t type = 0;
	int e;

	buf_view(&in, buf_ptr(&c->pending), buf_len(&c->pending));
	if (c->state != TECH_CLIENTMSG_MESSAGES) {
		e = tech_clientmsg_handshake(c, &in);
		if (e == TECH_CLIENTMSG_TAKEN)
			buf_consume(&c->pending, buf_len(&c->pending) - buf_len(&in));
		return e;
	}
	e = tech_clientmsg_message(c, &in, t_us, &type);
	if (e == BUF_ERR_SHORT)
		return 0;
	if (e == BUF_ERR_NOMEM)
		return -1; /* push already stopped and said why */
	if (e != 0)
		return tech_clientmsg_stop(c, "unknown or malformed viewer message (type %u) at %.3f s; "
					   "later input is not shown", type, (double)t_us / 1e6);
	buf_consume(&c->pending, buf_len(&c->pending) - buf_len(&in));
	return TECH_CLIENTMSG_TAKEN;
}

/* Drops what a message said to skip, from pending first, then from the new bytes. */
static void tech_clientmsg_skip(struct tech_clientmsg *c, const uint8_t **p, size_t *n)
{
	size_t take = buf_len(&c->pending) < c->skip ? buf_len(&c->pending) : (size_t)c->skip;

	buf_consume(&c->pending, take);
	c->skip -= take;
	take = *n < c->skip ? *n : (size_t)c->skip;
	*p += take;
	*n -= take;
	c->skip -= take;
}

void tech_clientmsg_feed(struct tech_clientmsg *c, const uint8_t *p, size_t n, uint64_t t_us)
{
	while (c->state != TECH_CLIENTMSG_STOPPED) {
		size_t room, put;
		int r;

		if (c->skip > 0)
			tech_clientmsg_skip(c, &p, &n);
		if (c->skip > 0)
			return;
		r = tech_clientmsg_take(c, t_us);
		if (r < 0)
			return;
		if (r == TECH_CLIENTMSG_TAKEN)
			continue;
		if (n == 0)
			return;
		/* Not whole yet: add what fits and try again. */
		room = buf_room(&c->pending);
		put = n < room ? n : room;
		if (put == 0) {
			tech_clientmsg_stop(c, "a viewer message longer than %u bytes", TECH_CLIENTMSG_PENDING_CAP);
			return;
		}
		if (buf_put(&c->pending, p, put) != 0) {
			tech_clientmsg_stop(c, "out of memory reading the technician's input");
			return;
		}
		p += put;
		n -= put;
	}
}
