/*
 * vncmeter: the measuring viewer of the end-to-end benchmark.
 *
 *   vncmeter HOST PORT SECONDS OUT [DISPLAY]
 *
 * A libvncclient viewer on plain TCP that behaves like a real one: it asks
 * for the whole screen once, then libvncclient asks for an incremental
 * update after every update it has drawn. After each complete update it
 * reads the workload's marker (see workload.c) out of its own framebuffer;
 * the first time a frame number shows, it notes the CLOCK_MONOTONIC time.
 *
 * It prints "ready" once the first whole screen has arrived, then measures
 * for SECONDS and writes OUT: one "FRAME NS" line per frame seen, then
 * prints "bytes N seconds S updates U": N is what the kernel received on
 * the socket while measuring (TCP_INFO), the RFB stream on the wire.
 *
 * With DISPLAY (the X server the workload drew on), it then waits for the
 * picture to settle (no update for a second, at most 15 s, or
 * VNCMETER_SETTLE_SECONDS: a lossless refinement after motion arrives in
 * that time or not at all; a full screen of photo-like pixels takes ~20 s
 * on a 1 Mbit/s uplink, so the WAN bench waits longer), reads the
 * X screen itself and prints "quality psnr P exact E settled S": the PSNR in
 * dB of its framebuffer against the screen (inf when identical), the share
 * of pixels exactly right in %, and the ms from the end of the measurement
 * to the last update. That is what the technician is left looking at.
 *
 * Every system is asked for the same encodings (Tight with JPEG quality 7,
 * then ZRLE, Hextile, raw), so bytes compare at equal visual quality.
 * VNCMETER_QUALITY (0-9, or -1: no JPEG) and VNCMETER_BPP (16: RGB565, 8:
 * BGR233) change that, to measure what a frame costs at each depth;
 * VNCMETER_SCALE=N (2, 4, 8 or 16) asks, once the first screen is in, for
 * the screen 1/N as wide and as high (UltraVNC's SetScale, which
 * libvncserver serves; no final quality then: the sizes differ).
 *
 * Otherwise it acts on Handoff's helper as our viewer does (issue 21): it
 * lists the screeninfo pseudo-encodings, and when the helper's description
 * asks for a smaller picture it answers with SetScale and a request, reads
 * the marker in the smaller framebuffer, and is back at full size (so the
 * final quality is held against the screen) when the helper says so. The
 * other systems ignore those encodings. It prints "scale N" each time.
 * Exit 0, or 1 with the reason on stderr.
 */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <math.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <rfb/rfbclient.h>

#include "buf.h"
#include "screeninfo.h"

#define CELL 16
#define MARKER_BITS 16
#define MAX_SEEN 100000
#define MAX_SIDE 16384

struct meter {
	uint8_t *fb;
	int w, h;
	bool whole;            /* the first complete screen arrived */
	unsigned last;         /* highest frame number seen */
	unsigned nseen;
	unsigned updates;
	int64_t last_update_ns;
	unsigned *frame;
	int64_t *at;
	bool measuring;
	bool resized;          /* the framebuffer was allocated again (a new size) */
	bool want_full;        /* ... so ask for all of it (not asked for after ExtendedDesktopSize) */
	int scale;             /* 1, or what VNCMETER_SCALE or the helper asked for */
	int asked_scale;       /* the helper's last scale, which the next size follows */
	unsigned scale_changes;
	bool broken;           /* a malformed helper message */
	unsigned copyrects;    /* CopyRect rectangles received */
	/* libvncclient's own copy, which does the work. */
	void (*copy)(rfbClient *c, int src_x, int src_y, int w, int h, int dest_x, int dest_y);
};

static const char meter_tag = 'm';

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct meter *meter_of(rfbClient *c)
{
	return rfbClientGetClientData(c, (void *)&meter_tag);
}

static void meter_log(const char *fmt, ...)
{
	va_list ap;

	if (getenv("VNCMETER_VERBOSE") == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static rfbBool meter_alloc(rfbClient *c)
{
	struct meter *m = meter_of(c);
	uint8_t *fb;

	if (c->width <= 0 || c->height <= 0 || c->width > MAX_SIDE || c->height > MAX_SIDE)
		return FALSE;
	fb = calloc((size_t)c->width * (size_t)c->height, 4);
	if (fb == NULL)
		return FALSE;
	m->resized = m->fb != NULL;
	m->want_full = m->resized;
	/* The size after our SetScale is the scaled picture's. */
	if (m->asked_scale > 0)
		m->scale = m->asked_scale;
	free(m->fb);
	m->fb = fb;
	m->w = c->width;
	m->h = c->height;
	c->frameBuffer = fb;
	return TRUE;
}

/* One channel of a pixel at (x, y) scaled to 0-255, in whatever depth the viewer asked for. */
static int meter_channel(rfbClient *c, int x, int y, int shift, int max)
{
	struct meter *m = meter_of(c);
	size_t bytes = (size_t)c->format.bitsPerPixel / 8u, i = (size_t)y * (size_t)m->w + (size_t)x;
	uint32_t px = 0;

	for (size_t k = 0; k < bytes; k++)
		px |= (uint32_t)m->fb[i * bytes + k] << (c->format.bigEndian ? 8 * (bytes - 1 - k) : 8 * k);
	return (int)((px >> shift) & (uint32_t)max) * 255 / (max ? max : 1);
}

/* Brightness of the middle of one marker cell: green is never subsampled away. */
static int meter_cell(rfbClient *c, int col, int row)
{
	int cell = CELL / meter_of(c)->scale;

	return meter_channel(c, col * cell + cell / 2, row * cell + cell / 2, c->format.greenShift,
			     c->format.greenMax);
}

/* The frame number, or -1 when the marker is not whole (torn or in between). */
static long meter_read(rfbClient *c)
{
	struct meter *m = meter_of(c);
	long n = 0;

	if (m->w < MARKER_BITS * CELL / m->scale || m->h < 2 * CELL / m->scale)
		return -1;
	for (int i = 0; i < MARKER_BITS; i++) {
		int a = meter_cell(c, i, 0), b = meter_cell(c, i, 1);

		if (a > 192 && b < 64)
			n = (n << 1) | 1;
		else if (a < 64 && b > 192)
			n <<= 1;
		else
			return -1;
	}
	return n;
}

static void meter_finished(rfbClient *c)
{
	struct meter *m = meter_of(c);
	int64_t t = now_ns();
	long n = meter_read(c);

	m->updates++;
	m->last_update_ns = t;
	m->whole = true;
	if (n < 0 || (unsigned long)n <= m->last)
		return;
	m->last = (unsigned)n;
	if (m->measuring && m->nseen < MAX_SEEN) {
		m->frame[m->nseen] = (unsigned)n;
		m->at[m->nseen] = t;
		m->nseen++;
	}
}

/* Counts CopyRects (a server's scroll detection at work), then lets libvncclient copy. */
static void meter_copyrect(rfbClient *c, int src_x, int src_y, int w, int h, int dest_x, int dest_y)
{
	struct meter *m = meter_of(c);

	m->copyrects++;
	m->copy(c, src_x, src_y, w, h, dest_x, dest_y);
}

static void meter_cursor(rfbClient *c, int xhot, int yhot, int w, int h, int bpp)
{
	(void)xhot;
	(void)yhot;
	(void)w;
	(void)h;
	(void)bpp;
	/* libvncclient 0.9.14 allocates a new mask per shape and never frees the old one. */
	free(c->rcMask);
	c->rcMask = NULL;
}

static uint64_t meter_bytes(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return 0;
	return ti.tcpi_bytes_received;
}

/*
 * Handoff's private server messages (protocol/screeninfo.h): the screen
 * description, whose scale we answer like handoff-tech (SetScale, then a
 * request), and UTF-8 clipboard text, skipped.
 */
static rfbBool meter_private(rfbClient *c, rfbServerToClientMsg *msg)
{
	struct meter *m = meter_of(c);
	uint8_t head[4], payload[SCREENINFO_PAYLOAD_MAX];
	struct screeninfo si;
	struct buf b;
	uint32_t len = 0;

	if (m == NULL || (msg->type != SCREENINFO_MSG_TYPE && msg->type != SCREENINFO_CUT_MSG_TYPE))
		return FALSE;
	buf_view(&b, head, sizeof(head));
	if (!ReadFromRFBServer(c, (char *)head, sizeof(head)) || buf_get_u32(&b, &len) != 0) {
		m->broken = true;
		return TRUE;
	}
	if (msg->type == SCREENINFO_CUT_MSG_TYPE) {
		char skip[4096];

		for (uint32_t left = len; left > 0 && !m->broken;) {
			unsigned n = left < sizeof(skip) ? left : (unsigned)sizeof(skip);

			m->broken = len > SCREENINFO_CUT_WIRE_MAX || !ReadFromRFBServer(c, skip, n);
			left -= n;
		}
		return TRUE;
	}
	if (len > SCREENINFO_PAYLOAD_MAX || (len > 0 && !ReadFromRFBServer(c, (char *)payload, len))) {
		m->broken = true;
		return TRUE;
	}
	buf_view(&b, payload, len);
	if (screeninfo_decode(&b, &si) != 0) {
		m->broken = true;
		return TRUE;
	}
	if (getenv("VNCMETER_SCALE") == NULL && si.scale != (m->asked_scale > 0 ? m->asked_scale : m->scale)) {
		char set[sz_rfbSetScaleMsg] = { (char)rfbSetScale, (char)si.scale, 0, 0 };
		int w = m->w * m->scale / si.scale, h = m->h * m->scale / si.scale;

		m->asked_scale = si.scale;
		m->scale_changes++;
		if (!WriteToRFBServer(c, set, sizeof(set)) ||
		    !SendFramebufferUpdateRequest(c, 0, 0, w > 0 ? w : 1, h > 0 ? h : 1, TRUE))
			m->broken = true;
	}
	return TRUE;
}

static int meter_encodings[3];
static rfbClientProtocolExtension meter_ext = {
	.encodings = meter_encodings,
	.handleMessage = meter_private,
};

/* Handles messages until the deadline (CLOCK_MONOTONIC ns) or until stop is true. */
static int meter_pump(rfbClient *c, int64_t deadline, const bool *stop)
{
	while (!*stop) {
		int64_t left = deadline - now_ns();
		int n;

		if (left <= 0)
			return 0;
		/* WaitForMessage's select() cannot see what libvncclient already buffered. */
		n = c->buffered > 0 ? 1 : WaitForMessage(c, left > 100000000 ? 100000 : (unsigned)(left / 1000));
		if (n < 0)
			return -1;
		if (n > 0 && (!HandleRFBServerMessage(c) || meter_of(c)->broken))
			return -1;
		if (meter_of(c)->want_full) {
			meter_of(c)->want_full = false;
			if (!SendFramebufferUpdateRequest(c, 0, 0, c->width, c->height, FALSE))
				return -1;
		}
	}
	return 0;
}

/* Waits for the picture to stop changing; returns when it did, or at the cap. */
static void meter_settle(rfbClient *c, struct meter *m)
{
	const char *env = getenv("VNCMETER_SETTLE_SECONDS");
	const long seconds = env != NULL && atol(env) > 0 && atol(env) <= 600 ? atol(env) : 15;
	const int64_t cap = now_ns() + seconds * 1000000000LL;
	bool no = false;

	while (now_ns() < cap && now_ns() - m->last_update_ns < 1000000000LL)
		if (meter_pump(c, now_ns() + 100000000LL, &no) != 0)
			return;
}

/* The framebuffer against the X screen: PSNR over R, G and B, and the share of exact pixels. */
static int meter_quality(rfbClient *c, struct meter *m, const char *display, double *psnr, double *exact)
{
	Display *dpy = XOpenDisplay(display);
	XImage *img;
	double sq = 0;
	uint64_t same = 0, n;

	if (dpy == NULL) {
		fprintf(stderr, "vncmeter: cannot open display %s\n", display);
		return -1;
	}
	img = XGetImage(dpy, DefaultRootWindow(dpy), 0, 0, (unsigned)m->w, (unsigned)m->h, AllPlanes, ZPixmap);
	if (img == NULL || img->width != m->w || img->height != m->h) {
		fprintf(stderr, "vncmeter: the X screen is not the size of the framebuffer\n");
		if (img != NULL)
			XDestroyImage(img);
		XCloseDisplay(dpy);
		return -1;
	}
	for (int y = 0; y < m->h; y++) {
		for (int x = 0; x < m->w; x++) {
			unsigned long want = XGetPixel(img, x, y);
			int d[3], same_px = 1;

			d[0] = (int)((want >> 16) & 0xff) - meter_channel(c, x, y, c->format.redShift, c->format.redMax);
			d[1] = (int)((want >> 8) & 0xff) - meter_channel(c, x, y, c->format.greenShift, c->format.greenMax);
			d[2] = (int)(want & 0xff) - meter_channel(c, x, y, c->format.blueShift, c->format.blueMax);
			for (int k = 0; k < 3; k++) {
				sq += (double)(d[k] * d[k]);
				same_px &= d[k] == 0;
			}
			same += (uint64_t)same_px;
		}
	}
	n = (uint64_t)m->w * (uint64_t)m->h;
	*psnr = sq == 0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / (sq / (double)(n * 3)));
	*exact = 100.0 * (double)same / (double)n;
	XDestroyImage(img);
	XCloseDisplay(dpy);
	return 0;
}

int main(int argc, char **argv)
{
	struct meter m = { .scale = 1 };
	rfbClient *c;
	int seconds;
	uint64_t b0, b1;
	int64_t t0, t1;
	FILE *out;

	if ((argc != 5 && argc != 6) || (seconds = atoi(argv[3])) <= 0 || seconds > 600) {
		fprintf(stderr, "usage: vncmeter HOST PORT SECONDS OUT [DISPLAY]\n");
		return 2;
	}
	m.frame = calloc(MAX_SEEN, sizeof(*m.frame));
	m.at = calloc(MAX_SEEN, sizeof(*m.at));
	if (m.frame == NULL || m.at == NULL)
		return 1;
	rfbClientLog = meter_log;
	rfbClientErr = meter_log;
	/* With VNCMETER_SCALE it scales by itself: the description is still read, its scale not followed. */
	meter_encodings[0] = SCREENINFO_ENCODING;
	meter_encodings[1] = getenv("VNCMETER_SCALE") == NULL ? SCREENINFO_SCALE_ENCODING : 0;
	rfbClientRegisterExtension(&meter_ext);
	c = rfbGetClient(8, 3, 4);
	if (c == NULL)
		return 1;
	rfbClientSetClientData(c, (void *)&meter_tag, &m);
	free(c->serverHost);
	c->serverHost = strdup(argv[1]);
	c->serverPort = atoi(argv[2]);
	c->connectTimeout = 10;
	c->readTimeout = 10;
	/* CopyRect as every real viewer offers it: a scroll that a server finds costs it next to nothing. */
	c->appData.encodingsString = "tight copyrect zrle hextile raw";
	/* VNCMETER_QUALITY: another JPEG level, or -1 for none (what a depth costs, docs/performance.md). */
	c->appData.enableJPEG = TRUE;
	c->appData.qualityLevel = 7;
	if (getenv("VNCMETER_QUALITY") != NULL) {
		int q = atoi(getenv("VNCMETER_QUALITY"));

		c->appData.enableJPEG = q >= 0 && q <= 9 ? TRUE : FALSE;
		c->appData.qualityLevel = q >= 0 && q <= 9 ? q : 7;
	}
	/* VNCMETER_BPP=16: RGB565, =8: BGR233, instead of 32 bits per pixel. */
	if (getenv("VNCMETER_BPP") != NULL && atoi(getenv("VNCMETER_BPP")) == 16) {
		c->format.bitsPerPixel = 16;
		c->format.depth = 16;
		c->format.redMax = 31;
		c->format.greenMax = 63;
		c->format.blueMax = 31;
		c->format.redShift = 11;
		c->format.greenShift = 5;
		c->format.blueShift = 0;
	} else if (getenv("VNCMETER_BPP") != NULL && atoi(getenv("VNCMETER_BPP")) == 8) {
		c->format.bitsPerPixel = 8;
		c->format.depth = 8;
		c->format.redMax = 7;
		c->format.greenMax = 7;
		c->format.blueMax = 3;
		c->format.redShift = 0;
		c->format.greenShift = 3;
		c->format.blueShift = 6;
	}
	c->appData.compressLevel = 1;
	c->appData.useRemoteCursor = TRUE;
	c->canHandleNewFBSize = TRUE;
	c->MallocFrameBuffer = meter_alloc;
	c->FinishedFrameBufferUpdate = meter_finished;
	c->GotCursorShape = meter_cursor;
	m.copy = c->GotCopyRect;
	c->GotCopyRect = meter_copyrect;
	if (c->serverHost == NULL || !rfbInitClient(c, NULL, NULL)) {
		fprintf(stderr, "vncmeter: cannot connect to a VNC server at %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	{
		bool no = false;

		while (!m.whole) {
			if (meter_pump(c, now_ns() + 20 * 1000000000LL, &m.whole) != 0 || !m.whole) {
				fprintf(stderr, "vncmeter: no first screen from %s:%s\n", argv[1], argv[2]);
				return 1;
			}
		}
		/*
		 * By hand: libvncclient's SendScaleSetting sends only what the server
		 * said it supports, and it finds SetScale missing from libvncserver
		 * 0.9.14's list, though libvncserver serves it.
		 */
		if (getenv("VNCMETER_SCALE") != NULL) {
			int n = atoi(getenv("VNCMETER_SCALE"));
			char msg[sz_rfbSetScaleMsg] = { rfbSetScale, (char)n, 0, 0 };

			if (n != 2 && n != 4 && n != 8 && n != 16) {
				fprintf(stderr, "vncmeter: VNCMETER_SCALE is 2, 4, 8 or 16\n");
				return 2;
			}
			m.scale = n;
			m.resized = false;
			if (!WriteToRFBServer(c, msg, sizeof(msg)) ||
			    meter_pump(c, now_ns() + 20 * 1000000000LL, &m.resized) != 0 || !m.resized) {
				fprintf(stderr, "vncmeter: %s:%s did not scale the screen\n", argv[1], argv[2]);
				return 1;
			}
			m.whole = false;
			if (meter_pump(c, now_ns() + 20 * 1000000000LL, &m.whole) != 0 || !m.whole) {
				fprintf(stderr, "vncmeter: no scaled screen from %s:%s\n", argv[1], argv[2]);
				return 1;
			}
		}
		printf("ready\n");
		fflush(stdout);
		m.measuring = true;
		b0 = meter_bytes(c->sock);
		t0 = now_ns();
		if (meter_pump(c, t0 + (int64_t)seconds * 1000000000LL, &no) != 0)
			fprintf(stderr, "vncmeter: the connection ended early\n");
		t1 = now_ns();
		b1 = meter_bytes(c->sock);
	}
	out = fopen(argv[4], "w");
	if (out == NULL) {
		perror("vncmeter: OUT");
		return 1;
	}
	for (unsigned i = 0; i < m.nseen; i++)
		fprintf(out, "%u %lld\n", m.frame[i], (long long)m.at[i]);
	fclose(out);
	printf("bytes %llu seconds %.3f updates %u copyrects %u\n", (unsigned long long)(b1 - b0),
	       (double)(t1 - t0) / 1e9, m.updates, m.copyrects);
	if (argc == 6 && getenv("VNCMETER_SCALE") == NULL) {
		double psnr, exact;

		meter_settle(c, &m);
		/* A helper that scaled brings the picture back to full size before it refines it. */
		if (m.scale != 1) {
			fprintf(stderr, "vncmeter: the picture was still at 1/%d size after settling\n", m.scale);
			goto done;
		}
		if (meter_quality(c, &m, argv[5], &psnr, &exact) == 0)
			printf("quality psnr %.1f exact %.2f settled %lld\n", psnr, exact,
			       (long long)(m.last_update_ns > t1 ? (m.last_update_ns - t1) / 1000000 : 0));
	}
done:
	printf("scale changes %u\n", m.scale_changes);
	fflush(stdout);
	free(c->rcSource);
	c->rcSource = NULL;
	free(c->rcMask);
	c->rcMask = NULL;
	rfbClientCleanup(c);
	free(m.fb);
	free(m.frame);
	free(m.at);
	return 0;
}
