/*
 * vnccursor: a libvncclient program that prints every pointer shape the
 * server sends (the RichCursor encoding), to check that the helper passes
 * the customer's cursor on as a shape.
 *
 *   vnccursor HOST PORT [TIMEOUT_S]
 *
 * Prints "cursor W H XHOT YHOT HASH" per shape (HASH: FNV-1a of the pixels
 * under the mask and of the mask), flushed at once, until the connection
 * ends or TIMEOUT_S (default 20) passes; exits 0 if at least one shape came.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rfb/rfbclient.h>

static int shapes;

static void cursor_log(const char *fmt, ...)
{
	(void)fmt;
}

static rfbBool cursor_alloc(rfbClient *c)
{
	if (c->width <= 0 || c->height <= 0 || c->width > 16384 || c->height > 16384)
		return FALSE;
	free(c->frameBuffer);
	c->frameBuffer = calloc((size_t)c->width * (size_t)c->height, 4);
	return c->frameBuffer != NULL;
}

static void cursor_shape(rfbClient *c, int xhot, int yhot, int w, int h, int bpp)
{
	uint64_t hash = 1469598103934665603ull;
	size_t n = (size_t)w * (size_t)h;

	for (size_t i = 0; c->rcSource != NULL && c->rcMask != NULL && i < n; i++) {
		uint8_t shown = c->rcMask[i];
		uint32_t px = 0;

		if (shown)
			memcpy(&px, c->rcSource + i * (size_t)bpp, (size_t)bpp < 4 ? (size_t)bpp : 4);
		hash = (hash ^ shown) * 1099511628211ull;
		hash = (hash ^ px) * 1099511628211ull;
	}
	printf("cursor %d %d %d %d %016llx\n", w, h, xhot, yhot, (unsigned long long)hash);
	fflush(stdout);
	shapes++;
	/* libvncclient 0.9.14 allocates a new mask per shape and never frees the old one. */
	free(c->rcMask);
	c->rcMask = NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	rfbClient *c;
	long port, timeout = 20;
	double deadline;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: vnccursor HOST PORT [TIMEOUT_S]\n");
		return 1;
	}
	port = strtol(argv[2], NULL, 10);
	if (argc == 4)
		timeout = strtol(argv[3], NULL, 10);
	if (port < 1 || port > 65535 || timeout < 1 || timeout > 3600)
		return 1;
	rfbClientLog = cursor_log;
	rfbClientErr = cursor_log;
	c = rfbGetClient(8, 3, 4);
	if (c == NULL)
		return 1;
	free(c->serverHost);
	c->serverHost = strdup(argv[1]);
	c->serverPort = (int)port;
	c->appData.encodingsString = "zrle raw";
	c->appData.useRemoteCursor = TRUE;
	c->canHandleNewFBSize = TRUE;
	c->MallocFrameBuffer = cursor_alloc;
	c->GotCursorShape = cursor_shape;
	if (c->serverHost == NULL || !rfbInitClient(c, NULL, NULL)) {
		fprintf(stderr, "vnccursor: cannot connect to %s:%ld\n", argv[1], port);
		return 1;
	}
	deadline = now_s() + (double)timeout;
	while (now_s() < deadline) {
		int n = c->buffered > 0 ? 1 : WaitForMessage(c, 200000);

		if (n < 0 || (n > 0 && !HandleRFBServerMessage(c)))
			break;
	}
	free(c->frameBuffer);
	c->frameBuffer = NULL;
	free(c->rcSource);
	c->rcSource = NULL;
	rfbClientCleanup(c);
	return shapes > 0 ? 0 : 1;
}
