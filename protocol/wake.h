/*
 * wake: a descriptor that any thread makes readable to wake an event loop
 * that polls it (libssh's ssh_event), and that the loop drains. On Linux an
 * eventfd (wake_linux.c); Windows has none, and WSAPoll only waits on
 * sockets, so there it is the read end of an hsock_pair (wake_win32.c).
 */
#ifndef HANDOFF_WAKE_H
#define HANDOFF_WAKE_H

#include <stdbool.h>

struct wake {
	int fd;     /* what the loop polls for POLLIN; -1 when closed */
	int peer;   /* the end wake_signal writes to (Windows), or -1 */
};

/* 0, or -1 with errno set. Both descriptors are owned until wake_close. */
int wake_open(struct wake *w);
/* Makes fd readable; from any thread, never blocks (an already woken loop stays woken). */
void wake_signal(struct wake *w);
/* Non-blocking: true when wake_signal was called since the last drain. */
bool wake_drain(struct wake *w);
/* Safe on a closed or never opened (fd = peer = -1) wake. */
void wake_close(struct wake *w);

#endif
