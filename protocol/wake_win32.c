/*
 * wake_win32.c: see wake.h. One byte per wake_signal into a loopback pair
 * (hsock.h); when the pair's buffer is full the loop is awake anyway.
 */
#include "wake.h"

#include "hsock.h"

int wake_open(struct wake *w)
{
	int sv[2];

	w->fd = w->peer = -1;
	if (hsock_pair(sv) != 0)
		return -1;
	hsock_set_nonblocking(sv[0]);
	hsock_set_nonblocking(sv[1]);
	w->fd = sv[0];
	w->peer = sv[1];
	return 0;
}

void wake_signal(struct wake *w)
{
	char one = 1;

	if (hsock_send(w->peer, &one, 1) < 0)
		return;
}

bool wake_drain(struct wake *w)
{
	char buf[256];
	bool woken = false;

	while (hsock_recv(w->fd, buf, sizeof(buf)) > 0)
		woken = true;
	return woken;
}

void wake_close(struct wake *w)
{
	if (w->fd >= 0)
		hsock_close(w->fd);
	if (w->peer >= 0)
		hsock_close(w->peer);
	w->fd = w->peer = -1;
}
