/*
 * vncclip: a libvncclient program for the clipboard: sends cut text to the
 * server once connected, and prints every cut text the server sends.
 *
 *   vncclip HOST PORT TIMEOUT_S [TEXT | --size N]
 *
 * TEXT is sent as it is (Latin-1 on the wire); --size N sends N bytes of
 * 'x' (a giant clipboard). Prints "sent LEN" after sending and
 * "cut LEN TEXT" (TEXT cut to 200 bytes) per server cut text, flushed at
 * once; "closed" when the server ends the connection. Exits 0 on timeout
 * or close, 1 when it cannot connect.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rfb/rfbclient.h>

static void clip_log(const char *fmt, ...)
{
	(void)fmt;
}

static rfbBool clip_alloc(rfbClient *c)
{
	if (c->width <= 0 || c->height <= 0 || c->width > 16384 || c->height > 16384)
		return FALSE;
	free(c->frameBuffer);
	c->frameBuffer = calloc((size_t)c->width * (size_t)c->height, 4);
	return c->frameBuffer != NULL;
}

static void clip_got(rfbClient *c, const char *text, int len)
{
	(void)c;
	printf("cut %d %.*s\n", len, len < 200 ? len : 200, text);
	fflush(stdout);
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
	long port, timeout;
	char *send = NULL;
	size_t send_len = 0;
	double deadline;

	/*
	 * A server that closes while we still write (the giant clipboard) must
	 * show up as "closed", not as a silent death by SIGPIPE.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: vncclip HOST PORT TIMEOUT_S [TEXT | --size N]\n");
		return 1;
	}
	port = strtol(argv[2], NULL, 10);
	timeout = strtol(argv[3], NULL, 10);
	if (port < 1 || port > 65535 || timeout < 1 || timeout > 3600)
		return 1;
	if (argc == 6 && strcmp(argv[4], "--size") == 0) {
		send_len = strtoul(argv[5], NULL, 10);
		if (send_len == 0 || send_len > 64u * 1024 * 1024 || (send = malloc(send_len)) == NULL)
			return 1;
		memset(send, 'x', send_len);
	} else if (argc == 5) {
		send = strdup(argv[4]);
		send_len = send != NULL ? strlen(send) : 0;
	}
	rfbClientLog = clip_log;
	rfbClientErr = clip_log;
	c = rfbGetClient(8, 3, 4);
	if (c == NULL)
		return 1;
	free(c->serverHost);
	c->serverHost = strdup(argv[1]);
	c->serverPort = (int)port;
	c->appData.encodingsString = "zrle raw";
	c->canHandleNewFBSize = TRUE;
	c->MallocFrameBuffer = clip_alloc;
	c->GotXCutText = clip_got;
	if (c->serverHost == NULL || !rfbInitClient(c, NULL, NULL)) {
		fprintf(stderr, "vncclip: cannot connect to %s:%ld\n", argv[1], port);
		free(send);
		return 1;
	}
	if (send != NULL) {
		if (!SendClientCutText(c, send, (int)send_len))
			printf("send failed\n");
		else
			printf("sent %zu\n", send_len);
		fflush(stdout);
	}
	deadline = now_s() + (double)timeout;
	while (now_s() < deadline) {
		int n = c->buffered > 0 ? 1 : WaitForMessage(c, 200000);

		if (n < 0 || (n > 0 && !HandleRFBServerMessage(c))) {
			printf("closed\n");
			fflush(stdout);
			break;
		}
	}
	free(send);
	free(c->frameBuffer);
	c->frameBuffer = NULL;
	rfbClientCleanup(c);
	return 0;
}
