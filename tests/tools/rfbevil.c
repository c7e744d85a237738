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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	if (strcmp(mode, "manyrects") == 0) {
		if (evil_rect(fd, 65535, 0, 0, 1, 1, 0) != 0 || evil_write(fd, junk, 4) != 0)
			return -1;
		shutdown(fd, SHUT_WR);
		return 0;
	}
	fprintf(stderr, "rfbevil: unknown mode %s\n", mode);
	return -1;
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
		if (evil_handshake(fd, mode) == 0 && evil_drain(fd, 300) == 0 && evil_send(fd, mode) == 0)
			evil_drain(fd, 10000);
		close(fd);
		printf("served %s\n", mode);
		fflush(stdout);
	}
	close(ls);
	return 0;
}
