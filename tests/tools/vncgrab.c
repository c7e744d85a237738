/*
 * vncgrab: a small stand-alone VNC client over plain TCP (libvncclient),
 * standing in for "any VNC viewer that is not handoff-tech", e.g. one
 * reaching a session through `ssh -L`.
 *
 *   vncgrab [--watch] [--no-copyrect] HOST PORT OUT.ppm [TIMEOUT_S]
 *
 * Connects (no password), asks for the whole screen and waits for a
 * framebuffer update that covers every pixel, writes it as a binary PPM and
 * exits 0. On failure or after TIMEOUT_S seconds (default 20) it says why
 * and exits 1. Exact pixels: JPEG is never requested, and the cursor is
 * asked for as a shape so the server does not paint it into the picture.
 *
 * --watch: a viewer that only waits. After that first picture it prints
 * "ready" and asks for nothing itself: the only requests are the incremental
 * one libvncclient sends after each update it has read, as any VNC viewer
 * does. After each update OUT.ppm is written anew (whole, through a rename)
 * and "update N copyrects M" printed; it exits 0 when TIMEOUT_S is over. A server that
 * is not woken by a change on its screen sends nothing to such a viewer
 * (handoff-tech re-asks every second and would hide that). At the end it
 * prints "copyrects N", the CopyRect rectangles it received.
 *
 * --no-copyrect: a viewer that does not offer CopyRect (the helper's
 * scrolls must reach it as pixels).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rfb/rfbclient.h>

#define VNCGRAB_TIMEOUT_DEFAULT 20
#define VNCGRAB_MAX_SIDE 16384

struct grab {
	uint8_t *fb;
	int w, h;
	uint64_t covered;    /* pixels covered by the update in progress */
	bool complete;       /* an update covering the whole screen finished */
	unsigned long updates;  /* updates finished */
	unsigned long copyrects;
	/* libvncclient's own copy, which does the work. */
	void (*copy)(rfbClient *c, int src_x, int src_y, int w, int h, int dest_x, int dest_y);
	char reason[512];    /* the server's refusal, if any */
};

static const char grab_tag = 'g';

static struct grab *grab_of(rfbClient *c)
{
	return rfbClientGetClientData(c, (void *)&grab_tag);
}

/*
 * libvncclient's log hooks carry no client pointer; this one-shot tool has
 * a single connection, so a file-level pointer is enough to catch the
 * server's "VNC connection failed: <reason>".
 */
static struct grab *grab_for_log;
static bool grab_verbose;

static void grab_log(const char *fmt, ...)
{
	static const char failed[] = "VNC connection failed: ";
	char line[600];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (grab_for_log != NULL && strncmp(line, failed, sizeof(failed) - 1) == 0)
		snprintf(grab_for_log->reason, sizeof(grab_for_log->reason), "%.500s",
			 line + sizeof(failed) - 1);
	if (grab_verbose)
		fprintf(stderr, "vncgrab: libvncclient: %s\n", line);
}

static rfbBool grab_alloc(rfbClient *c)
{
	struct grab *g = grab_of(c);
	uint8_t *fb;

	if (c->width <= 0 || c->height <= 0 || c->width > VNCGRAB_MAX_SIDE ||
	    c->height > VNCGRAB_MAX_SIDE)
		return FALSE;
	fb = calloc((size_t)c->width * (size_t)c->height, 4);
	if (fb == NULL)
		return FALSE;
	free(g->fb);
	g->fb = fb;
	g->w = c->width;
	g->h = c->height;
	g->covered = 0;
	c->frameBuffer = fb;
	return TRUE;
}

static void grab_rect(rfbClient *c, int x, int y, int w, int h)
{
	struct grab *g = grab_of(c);
	int x1 = x + w < g->w ? x + w : g->w;
	int y1 = y + h < g->h ? y + h : g->h;

	x = x < 0 ? 0 : x;
	y = y < 0 ? 0 : y;
	if (x < x1 && y < y1)
		g->covered += (uint64_t)(x1 - x) * (uint64_t)(y1 - y);
}

/* The rectangles of one update do not overlap, so their areas add up to the screen. */
static void grab_finished(rfbClient *c)
{
	struct grab *g = grab_of(c);

	if (g->covered >= (uint64_t)g->w * (uint64_t)g->h)
		g->complete = true;
	g->covered = 0;
	g->updates++;
}

static void grab_cursor(rfbClient *c, int xhot, int yhot, int w, int h, int bpp)
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

/* Writes through PATH.tmp and a rename, so a reader never sees half a picture. */
static int write_ppm(const char *path, const struct grab *g, const rfbPixelFormat *pf)
{
	char tmp[4096];
	FILE *f;
	int rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "vncgrab: path too long: %s\n", path);
		return -1;
	}
	f = fopen(tmp, "wb");
	if (f == NULL) {
		fprintf(stderr, "vncgrab: cannot create %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "P6\n%d %d\n255\n", g->w, g->h);
	for (size_t i = 0; i < (size_t)g->w * (size_t)g->h && rc == 0; i++) {
		uint32_t px;
		uint8_t rgb[3];

		memcpy(&px, g->fb + i * 4, 4);
		rgb[0] = (uint8_t)(px >> pf->redShift);
		rgb[1] = (uint8_t)(px >> pf->greenShift);
		rgb[2] = (uint8_t)(px >> pf->blueShift);
		if (fwrite(rgb, 1, 3, f) != 3)
			rc = -1;
	}
	if (fclose(f) != 0 || rc != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "vncgrab: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void grab_copyrect(rfbClient *c, int src_x, int src_y, int w, int h, int dest_x, int dest_y)
{
	struct grab *g = grab_of(c);

	g->copyrects++;
	g->copy(c, src_x, src_y, w, h, dest_x, dest_y);
}

static int usage(void)
{
	fprintf(stderr, "usage: vncgrab [--watch] [--no-copyrect] HOST PORT OUT.ppm [TIMEOUT_S]\n");
	return 1;
}

/*
 * Reads server messages until the first whole picture (watch false) or
 * until the deadline (watch true, writing OUT after each update). 0 when
 * it got what it waited for, -1 with the reason on stderr.
 */
static int grab_pump(rfbClient *c, struct grab *g, const char *what, double deadline, bool watch,
		     const char *out)
{
	unsigned long written = g->updates;

	for (;;) {
		double left = deadline - now_s();
		int n;

		if (!watch && g->complete)
			return 0;
		if (left <= 0) {
			if (watch)
				return 0;
			fprintf(stderr, "vncgrab: timeout: no complete frame from %s\n", what);
			return -1;
		}
		/* WaitForMessage's select() cannot see what libvncclient already buffered. */
		n = c->buffered > 0 ? 1 : WaitForMessage(c, left > 0.5 ? 500000 : (unsigned)(left * 1e6));
		if (n < 0) {
			fprintf(stderr, "vncgrab: connection error\n");
			return -1;
		}
		if (n > 0 && !HandleRFBServerMessage(c)) {
			fprintf(stderr, "vncgrab: the server closed the connection\n");
			return -1;
		}
		if (watch && g->updates != written) {
			written = g->updates;
			if (write_ppm(out, g, &c->format) != 0)
				return -1;
			printf("update %lu copyrects %lu\n", written, g->copyrects);
			fflush(stdout);
		}
	}
}

int main(int argc, char **argv)
{
	struct grab g = { 0 };
	rfbClient *c = NULL;
	char *end, what[300];
	long port, timeout = VNCGRAB_TIMEOUT_DEFAULT;
	bool watch = false, copyrect = true;
	int rc = 1;

	for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; argv++, argc--) {
		if (strcmp(argv[1], "--watch") == 0)
			watch = true;
		else if (strcmp(argv[1], "--no-copyrect") == 0)
			copyrect = false;
		else
			return usage();
	}
	if (argc < 4 || argc > 5)
		return usage();
	port = strtol(argv[2], &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return usage();
	if (argc == 5) {
		timeout = strtol(argv[4], &end, 10);
		if (*end != '\0' || timeout < 1 || timeout > 3600)
			return usage();
	}
	snprintf(what, sizeof(what), "%.200s:%ld within %ld s", argv[1], port, timeout);
	grab_verbose = getenv("VNCGRAB_VERBOSE") != NULL;
	grab_for_log = &g;
	rfbClientLog = grab_log;
	rfbClientErr = grab_log;

	c = rfbGetClient(8, 3, 4);
	if (c == NULL)
		goto out;
	rfbClientSetClientData(c, (void *)&grab_tag, &g);
	free(c->serverHost);
	c->serverHost = strdup(argv[1]);
	c->serverPort = (int)port;
	c->connectTimeout = (unsigned)timeout;
	c->readTimeout = (unsigned)timeout;
	c->appData.encodingsString = copyrect ? "tight zrle hextile copyrect raw" : "tight zrle hextile raw";
	c->appData.enableJPEG = FALSE;
	c->appData.useRemoteCursor = TRUE;
	c->canHandleNewFBSize = TRUE;
	c->MallocFrameBuffer = grab_alloc;
	c->GotFrameBufferUpdate = grab_rect;
	c->FinishedFrameBufferUpdate = grab_finished;
	c->GotCursorShape = grab_cursor;
	g.copy = c->GotCopyRect;
	c->GotCopyRect = grab_copyrect;
	if (c->serverHost == NULL || !rfbInitClient(c, NULL, NULL)) {
		/* rfbInitClient freed the client. */
		c = NULL;
		if (g.reason[0] != '\0')
			fprintf(stderr, "vncgrab: %s:%ld refused: %s\n", argv[1], port, g.reason);
		else
			fprintf(stderr, "vncgrab: cannot connect to a VNC server at %s:%ld\n", argv[1], port);
		goto out;
	}
	if (grab_pump(c, &g, what, now_s() + (double)timeout, false, NULL) != 0 ||
	    write_ppm(argv[3], &g, &c->format) != 0)
		goto out;
	if (watch) {
		printf("ready\n");
		fflush(stdout);
		if (grab_pump(c, &g, what, now_s() + (double)timeout, true, argv[3]) != 0)
			goto out;
	}
	printf("copyrects %lu\n", g.copyrects);
	rc = 0;
out:
	if (c != NULL) {
		free(c->rcSource);
		c->rcSource = NULL;
		free(c->rcMask);
		c->rcMask = NULL;
		rfbClientCleanup(c);
	}
	free(g.fb);
	return rc;
}
