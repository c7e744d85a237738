/*
 * rfbevil: a hostile or broken RFB server, for tests of the technician's
 * viewer. It completes a correct RFB 3.8 handshake (no authentication),
 * lets the viewer send its set-up messages, then sends one kind of bad
 * input and waits for the viewer to hang up.
 *
 *   rfbevil PORT MODE
 *
 * Listens on 127.0.0.1:PORT, prints "listening", serves one connection
 * after another until SIGTERM (each viewer gets the same treatment), and
 * prints "served MODE" after each. MODE "@FILE" reads the mode from FILE's
 * first line at each connection, so one server can play every part. Modes:
 *   hugefb      ServerInit announces a 65535x65535 screen
 *   bigrect     a raw rectangle of 60000x60000 at 0,0
 *   offscreen   a raw rectangle of 64x64 at 65000,65000
 *   badenc      a rectangle in encoding 0x12345678
 *   hugecut     ServerCutText of length 0xfffffff0
 *   badmsg      a message of type 0xee
 *   zrlejunk    a ZRLE rectangle whose zlib stream is garbage
 *   tightjunk   a Tight rectangle with an invalid sub-encoding
 *   truncated   a raw rectangle cut off after 100 bytes, then EOF
 *   manyrects   an update announcing 65535 rectangles, then EOF
 *   infolen     the helper's screen description (screeninfo.h) with a
 *               length of 0xffffffff
 *   infojunk    a screen description whose payload does not decode
 *   infocut     a screen description cut off inside its payload, then EOF
 *   cutlong     UTF-8 clipboard text (SCREENINFO_CUT_MSG_TYPE) of length
 *               0xffffffff
 * and three that are not hostile at all, for the viewer's side of the
 * screen description without a real helper: a 320x240 screen split into
 * monitors LEFT (160x240+0+0, red, its last column yellow) and RIGHT
 * (160x240+160+0, blue, its first column white), described at once, with
 * the whole picture (raw, in the viewer's pixel format) as the answer to
 * every update request. Each client message is printed as it arrives:
 * "screeninfo asked" (SetEncodings lists SCREENINFO_ENCODING), "pointer X
 * Y MASK", "key KEYSYM DOWN".
 *   monitors           the description grants control
 *   monitors-viewonly  it grants viewing only
 *   monitors-paused    control, but the customer paused sharing
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "screeninfo.h"

#define EVIL_W 320
#define EVIL_H 240

static volatile sig_atomic_t evil_stop;

static void evil_on_signal(int sig)
{
	(void)sig;
	evil_stop = 1;
}

static int evil_write(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes, waiting at most 10 s in all. */
static int evil_read(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 10000) <= 0)
			return -1;
		r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Reads and drops whatever comes for ms milliseconds, or until EOF. 1 at EOF. */
static int evil_drain(int fd, int ms)
{
	for (int waited = 0; waited < ms; waited += 50) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint8_t junk[4096];

		if (poll(&pfd, 1, 50) > 0 && read(fd, junk, sizeof(junk)) <= 0)
			return 1;
	}
	return 0;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int evil_handshake(int fd, const char *mode)
{
	static const char name[] = "rfbevil";
	uint8_t version[12], b, init[24 + sizeof(name) - 1];
	uint8_t sec[2] = { 1, 1 }, ok[4] = { 0 };

	if (evil_write(fd, "RFB 003.008\n", 12) != 0 || evil_read(fd, version, 12) != 0 ||
	    evil_write(fd, sec, 2) != 0 || evil_read(fd, &b, 1) != 0 || evil_write(fd, ok, 4) != 0 ||
	    evil_read(fd, &b, 1) != 0)
		return -1;
	memset(init, 0, sizeof(init));
	if (strcmp(mode, "hugefb") == 0) {
		put16(init, 65535);
		put16(init + 2, 65535);
	} else {
		put16(init, EVIL_W);
		put16(init + 2, EVIL_H);
	}
	init[4] = 32;   /* bits per pixel */
	init[5] = 24;   /* depth */
	init[6] = 0;    /* little endian */
	init[7] = 1;    /* true colour */
	put16(init + 8, 255);
	put16(init + 10, 255);
	put16(init + 12, 255);
	init[14] = 16;
	init[15] = 8;
	init[16] = 0;
	put32(init + 20, sizeof(name) - 1);
	memcpy(init + 24, name, sizeof(name) - 1);
	return evil_write(fd, init, sizeof(init));
}

/* A FramebufferUpdate header with n rectangles, and the first rectangle's header. */
static int evil_rect(int fd, unsigned n, unsigned x, unsigned y, unsigned w, unsigned h, uint32_t enc)
{
	uint8_t m[16] = { 0 };

	put16(m + 2, n);
	put16(m + 4, x);
	put16(m + 6, y);
	put16(m + 8, w);
	put16(m + 10, h);
	put32(m + 12, enc);
	return evil_write(fd, m, sizeof(m));
}

static int evil_send(int fd, const char *mode)
{
	uint8_t junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 13);
	if (strcmp(mode, "hugefb") == 0)
		return 0;
	if (strcmp(mode, "bigrect") == 0)
		return evil_rect(fd, 1, 0, 0, 60000, 60000, 0) == 0 ? evil_write(fd, junk, sizeof(junk)) : -1;
	if (strcmp(mode, "offscreen") == 0)
		return evil_rect(fd, 1, 65000, 65000, 64, 64, 0) == 0 ? evil_write(fd, junk, sizeof(junk)) : -1;
	if (strcmp(mode, "badenc") == 0)
		return evil_rect(fd, 1, 0, 0, 16, 16, 0x12345678) == 0 ? evil_write(fd, junk, 1024) : -1;
	if (strcmp(mode, "hugecut") == 0) {
		uint8_t m[8] = { 3 };

		put32(m + 4, 0xfffffff0u);
		return evil_write(fd, m, sizeof(m)) == 0 ? evil_write(fd, junk, sizeof(junk)) : -1;
	}
	if (strcmp(mode, "badmsg") == 0) {
		uint8_t m = 0xee;

		return evil_write(fd, &m, 1);
	}
	if (strcmp(mode, "zrlejunk") == 0) {
		uint8_t len[4];

		put32(len, 1000);
		if (evil_rect(fd, 1, 0, 0, 64, 64, 16) != 0 || evil_write(fd, len, 4) != 0)
			return -1;
		return evil_write(fd, junk, 1000);
	}
	if (strcmp(mode, "tightjunk") == 0) {
		uint8_t ctl = 0xf0; /* above the JPEG sub-encoding: invalid */

		if (evil_rect(fd, 1, 0, 0, 64, 64, 7) != 0 || evil_write(fd, &ctl, 1) != 0)
			return -1;
		return evil_write(fd, junk, 256);
	}
	if (strcmp(mode, "truncated") == 0) {
		if (evil_rect(fd, 1, 0, 0, 64, 64, 0) != 0 || evil_write(fd, junk, 100) != 0)
			return -1;
		shutdown(fd, SHUT_WR);
		return 0;
	}
	if (strcmp(mode, "infolen") == 0 || strcmp(mode, "infojunk") == 0 || strcmp(mode, "infocut") == 0) {
		uint8_t m[5] = { SCREENINFO_MSG_TYPE };

		put32(m + 1, strcmp(mode, "infolen") == 0 ? 0xffffffffu : strcmp(mode, "infojunk") == 0 ? 7 : 100);
		if (evil_write(fd, m, sizeof(m)) != 0)
			return -1;
		if (strcmp(mode, "infocut") == 0) {
			if (evil_write(fd, junk, 10) != 0)
				return -1;
			shutdown(fd, SHUT_WR);
			return 0;
		}
		/* Version 1, no flags, five monitors announced, then junk where they should be. */
		return evil_write(fd, "\x01\x00\x05\xff\xff\xff\xff", 7) == 0 ? evil_write(fd, junk, 256) : -1;
	}
	if (strcmp(mode, "cutlong") == 0) {
		uint8_t m[5];

		screeninfo_cut_header(m, 0xffffffffu);
		return evil_write(fd, m, sizeof(m)) == 0 ? evil_write(fd, junk, sizeof(junk)) : -1;
	}
	if (strcmp(mode, "manyrects") == 0) {
		if (evil_rect(fd, 65535, 0, 0, 1, 1, 0) != 0 || evil_write(fd, junk, 4) != 0)
			return -1;
		shutdown(fd, SHUT_WR);
		return 0;
	}
	fprintf(stderr, "rfbevil: unknown mode %s\n", mode);
	return -1;
}

/* The viewer's pixel format, enough to encode true-colour pixels in it. */
struct evil_format {
	unsigned bpp;
	bool big_endian;
	unsigned red_max, green_max, blue_max, red_shift, green_shift, blue_shift;
};

static void evil_put_pixel(uint8_t *p, const struct evil_format *f, unsigned r, unsigned g, unsigned b)
{
	uint32_t px = (r * f->red_max / 255) << f->red_shift | (g * f->green_max / 255) << f->green_shift |
		      (b * f->blue_max / 255) << f->blue_shift;
	unsigned bytes = f->bpp / 8;

	for (unsigned i = 0; i < bytes; i++)
		p[f->big_endian ? bytes - 1 - i : i] = (uint8_t)(px >> (8 * i));
}

/* The whole monitors picture as one raw rectangle. */
static int evil_monitors_frame(int fd, const struct evil_format *f)
{
	static uint8_t rows[EVIL_H][EVIL_W * 4];
	unsigned bytes = f->bpp / 8;

	if (bytes != 1 && bytes != 2 && bytes != 4)
		return -1;
	for (int y = 0; y < EVIL_H; y++) {
		for (int x = 0; x < EVIL_W; x++) {
			uint8_t *p = rows[y] + (size_t)x * bytes;

			if (x == EVIL_W / 2 - 1)
				evil_put_pixel(p, f, 255, 255, 0);
			else if (x == EVIL_W / 2)
				evil_put_pixel(p, f, 255, 255, 255);
			else if (x < EVIL_W / 2)
				evil_put_pixel(p, f, 255, 0, 0);
			else
				evil_put_pixel(p, f, 0, 0, 255);
		}
	}
	if (evil_rect(fd, 1, 0, 0, EVIL_W, EVIL_H, 0) != 0)
		return -1;
	for (int y = 0; y < EVIL_H; y++)
		if (evil_write(fd, rows[y], (size_t)EVIL_W * bytes) != 0)
			return -1;
	return 0;
}

static int evil_monitors_describe(int fd, const char *mode)
{
	struct screeninfo si = { .flags = SCREENINFO_CONTROL, .count = 2 };
	struct buf b;
	int rc;

	if (strcmp(mode, "monitors-viewonly") == 0)
		si.flags = 0;
	else if (strcmp(mode, "monitors-paused") == 0)
		si.flags = SCREENINFO_CONTROL | SCREENINFO_PAUSED;
	si.monitors[0] = (struct screeninfo_monitor){ .x = 0, .y = 0, .width = EVIL_W / 2, .height = EVIL_H, .name = "LEFT" };
	si.monitors[1] = (struct screeninfo_monitor){ .x = EVIL_W / 2, .y = 0, .width = EVIL_W / 2, .height = EVIL_H,
						      .name = "RIGHT" };
	buf_init(&b, SCREENINFO_PAYLOAD_MAX + 8);
	rc = screeninfo_encode(&b, &si) == 0 ? evil_write(fd, buf_ptr(&b), buf_len(&b)) : -1;
	buf_free(&b);
	return rc;
}

/* Waits for the viewer's next message type until it hangs up or we are stopped. */
static int evil_next_type(int fd, uint8_t *type)
{
	while (!evil_stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, 500);

		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			return evil_read(fd, type, 1);
	}
	return -1;
}

/* The not-hostile modes: describe, then serve the viewer's messages until it leaves. */
static void evil_monitors(int fd, const char *mode)
{
	struct evil_format f = { 32, false, 255, 255, 255, 16, 8, 0 };
	uint8_t type, m[20];

	if (evil_monitors_describe(fd, mode) != 0)
		return;
	while (evil_next_type(fd, &type) == 0) {
		if (type == 0) {
			if (evil_read(fd, m + 1, 19) != 0)
				return;
			f = (struct evil_format){ m[4], m[6] != 0, (unsigned)m[8] << 8 | m[9],
						  (unsigned)m[10] << 8 | m[11], (unsigned)m[12] << 8 | m[13],
						  m[14], m[15], m[16] };
		} else if (type == 2) {
			unsigned n;
			bool asked = false;

			if (evil_read(fd, m + 1, 3) != 0)
				return;
			n = (unsigned)m[2] << 8 | m[3];
			for (unsigned i = 0; i < n; i++) {
				if (evil_read(fd, m, 4) != 0)
					return;
				asked |= ((uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3]) ==
					 SCREENINFO_ENCODING;
			}
			if (asked)
				printf("screeninfo asked\n");
		} else if (type == 3) {
			if (evil_read(fd, m + 1, 9) != 0 || evil_monitors_frame(fd, &f) != 0)
				return;
		} else if (type == 4) {
			if (evil_read(fd, m + 1, 7) != 0)
				return;
			printf("key 0x%x %u\n", (unsigned)m[4] << 24 | (unsigned)m[5] << 16 | (unsigned)m[6] << 8 | m[7],
			       (unsigned)m[1]);
		} else if (type == 5) {
			if (evil_read(fd, m + 1, 5) != 0)
				return;
			printf("pointer %u %u %u\n", (unsigned)m[2] << 8 | m[3], (unsigned)m[4] << 8 | m[5],
			       (unsigned)m[1]);
		} else if (type == 6) {
			uint32_t len;

			if (evil_read(fd, m + 1, 7) != 0)
				return;
			len = (uint32_t)m[4] << 24 | (uint32_t)m[5] << 16 | (uint32_t)m[6] << 8 | m[7];
			for (; len > 0; len--)
				if (evil_read(fd, m, 1) != 0)
					return;
		} else {
			return;
		}
		fflush(stdout);
	}
}

/* The mode itself, or the first line of the file named after '@'. 0 or -1. */
static int evil_mode(const char *arg, char *out, size_t outlen)
{
	FILE *f;

	if (arg[0] != '@')
		return (size_t)snprintf(out, outlen, "%s", arg) < outlen ? 0 : -1;
	f = fopen(arg + 1, "r");
	if (f == NULL)
		return -1;
	if (fgets(out, (int)outlen, f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = evil_on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	int one = 1, ls;

	if (argc != 3) {
		fprintf(stderr, "usage: rfbevil PORT MODE\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4) != 0) {
		fprintf(stderr, "rfbevil: cannot listen: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (!evil_stop) {
		char mode[64];
		int fd = accept(ls, NULL, NULL);

		if (fd < 0)
			continue;
		if (evil_mode(argv[2], mode, sizeof(mode)) != 0) {
			close(fd);
			continue;
		}
		/* The viewer's SetPixelFormat, SetEncodings and first request come first. */
		if (strncmp(mode, "monitors", 8) == 0) {
			if (evil_handshake(fd, mode) == 0)
				evil_monitors(fd, mode);
		} else if (evil_handshake(fd, mode) == 0 && evil_drain(fd, 300) == 0 && evil_send(fd, mode) == 0) {
			evil_drain(fd, 10000);
		}
		close(fd);
		printf("served %s\n", mode);
		fflush(stdout);
	}
	close(ls);
	return 0;
}
