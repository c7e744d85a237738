/*
 * wake_linux.c: see wake.h.
 */
#include "wake.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int wake_open(struct wake *w)
{
	w->peer = -1;
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return w->fd < 0 ? -1 : 0;
}

void wake_signal(struct wake *w)
{
	uint64_t one = 1;

	/* A full counter (2^64 - 2 wakes) only means the loop is already awake. */
	if (write(w->fd, &one, sizeof(one)) < 0)
		return;
}

bool wake_drain(struct wake *w)
{
	uint64_t n = 0;

	return read(w->fd, &n, sizeof(n)) == (ssize_t)sizeof(n) && n > 0;
}

void wake_close(struct wake *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
