/*
 * libvncserver as the helper runs it (client/screen.c), fed a hostile
 * viewer's byte stream: an rfbScreen with no listening socket at all, the
 * helper's pixel layout (32 bits, depth 24), shared, and one rfbNewClient
 * per input on a socketpair, as each consented viewer gets. The input is
 * what the technician's side sends, written in one go and followed by EOF;
 * libvncserver answers (handshake, framebuffer updates in whatever encoding
 * and pixel format the input asks for) into the other end, which the
 * harness drains and throws away.
 *
 * Differences from the helper, and why:
 *  - libvncserver is driven with rfbProcessEvents on this thread instead of
 *    its own threads (rfbRunEventLoop), so that every input runs the same
 *    way and a finding replays.
 *  - The helper's pump starts only after rfbNewClient returns, so
 *    libvncserver's 100 ms WebSocket peek always times out and the stream
 *    is plain RFB. Here the bytes are already there when it peeks, so the
 *    harness puts "RFB " in front of every input: the peek then takes the
 *    same plain-RFB path, and the input continues the version string.
 *  - Input events go to callbacks that honour viewOnly like the helper's,
 *    but do not reach X (no display here).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rfb/rfb.h>

#define FB_W 64
#define FB_H 48
#define MAX_ROUNDS 4096

static rfbScreenInfoPtr screen;
static int client_gone;

static void quiet(const char *fmt, ...)
{
	(void)fmt;
}

static void on_pointer(int buttons, int x, int y, rfbClientPtr cl)
{
	if (cl->viewOnly)
		return;
	rfbDefaultPtrAddEvent(buttons, x, y, cl);
}

static void on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	(void)down;
	(void)keysym;
	(void)cl;
}

static void on_gone(rfbClientPtr cl)
{
	(void)cl;
	client_gone = 1;
}

static void setup(void)
{
	static uint32_t fb[FB_W * FB_H];
	rfbPixelFormat *f;

	rfbLog = quiet;
	rfbErr = quiet;
	for (int i = 0; i < FB_W * FB_H; i++)
		fb[i] = (uint32_t)i * 2654435761u;
	screen = rfbGetScreen(NULL, NULL, FB_W, FB_H, 8, 3, 4);
	screen->frameBuffer = (char *)fb;
	screen->desktopName = "Handoff";
	f = &screen->serverFormat;
	f->bitsPerPixel = 32;
	f->depth = 24;
	f->trueColour = TRUE;
	f->redMax = f->greenMax = f->blueMax = 255;
	f->redShift = 16;
	f->greenShift = 8;
	f->blueShift = 0;
	screen->port = 0;
	screen->ipv6port = 0;
	screen->autoPort = FALSE;
	screen->httpPort = 0;
	screen->http6Port = 0;
	screen->httpDir = NULL;
	screen->alwaysShared = TRUE;
	screen->neverShared = FALSE;
	screen->deferUpdateTime = 0;
	screen->ptrAddEvent = on_pointer;
	screen->kbdAddEvent = on_key;
	/* A viewer that stops reading must not hold the harness for rfbMaxClientWait (20 s). */
	rfbMaxClientWait = 200;
	rfbInitServer(screen);
	if (screen->listenSock != RFB_INVALID_SOCKET || screen->listen6Sock != RFB_INVALID_SOCKET)
		abort();
}

static void drain(int fd)
{
	char sink[65536];

	while (read(fd, sink, sizeof(sink)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	rfbClientPtr cl;
	size_t off = 0;

	if (screen == NULL)
		setup();
	if (size > 60000)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (write(sv[0], "RFB ", 4) != 4)
		abort();
	client_gone = 0;
	cl = rfbNewClient(screen, sv[1]);
	if (cl == NULL) {
		close(sv[0]);
		return 0;
	}
	cl->clientGoneHook = on_gone;
	/* Every other input from a view-only viewer, chosen by the input itself. */
	cl->viewOnly = size > 0 && (data[size - 1] & 1) ? TRUE : FALSE;
	rfbMarkRectAsModified(screen, 0, 0, FB_W, FB_H);
	for (int round = 0; round < MAX_ROUNDS && !client_gone; round++) {
		if (off < size) {
			ssize_t n = write(sv[0], data + off, size - off);

			if (n > 0)
				off += (size_t)n;
			if (off == size)
				shutdown(sv[0], SHUT_WR);
		} else if (size == 0 && round == 0) {
			shutdown(sv[0], SHUT_WR);
		}
		rfbProcessEvents(screen, 0);
		drain(sv[0]);
		/* Keep the encoders busy: every round has something new to send. */
		if ((round & 7) == 0)
			rfbMarkRectAsModified(screen, round % FB_W, 0, FB_W, FB_H);
	}
	if (!client_gone) {
		rfbCloseClient(cl);
		for (int round = 0; round < 16 && !client_gone; round++) {
			rfbProcessEvents(screen, 0);
			drain(sv[0]);
		}
	}
	close(sv[0]);
	return 0;
}
