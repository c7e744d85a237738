/*
 * pump: moves bytes between an SSH channel and a local stream descriptor
 * (one end of a socketpair handed to libvncserver or libvncclient), in both
 * directions, without blocking and without unbounded buffering.
 *
 * Flow control: we read from the descriptor only as much as the channel's
 * remote window accepts, so a slow peer pushes back all the way to the
 * producer; we read from the channel only when our one fixed-size pending
 * buffer towards the descriptor is empty, so libssh's own window stops the
 * peer. The pump holds at most PUMP_BUF bytes, ever.
 *
 * The pump does no polling itself: the owner's event loop calls pump_run
 * after every ssh_event_dopoll, and pump_sync_event keeps the descriptor in
 * the ssh_event with exactly the interest the pump has (POLLIN only while
 * the window is open, POLLOUT only while bytes are pending), so an idle or
 * blocked pump never spins the loop.
 */
#ifndef HANDOFF_PUMP_H
#define HANDOFF_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>

#define PUMP_BUF (64u * 1024)

struct pump {
	ssh_channel chan;      /* not owned: the owner frees it */
	int fd;                /* owned: closed by pump_close */
	uint8_t pending[PUMP_BUF];
	size_t pending_off, pending_len;
	short polled_events;   /* what the fd is registered for in the event, 0 if not */
	ssh_event event;       /* where it is registered, or NULL */
	bool chan_finished;    /* channel EOF or closed, everything delivered to fd */
	bool fd_finished;      /* fd reached EOF; EOF sent on the channel */
	bool done;
	uint64_t bytes_to_fd, bytes_to_chan;
	/*
	 * Bytes the fd already got ahead of the channel (pump_delivered): the
	 * channel's first bytes must be these, and are dropped, not delivered
	 * twice; anything else is an error.
	 */
	char ahead[8];
	size_t ahead_len;
};

/* Takes ownership of fd and makes it non-blocking. chan must outlive the pump. */
void pump_init(struct pump *p, ssh_channel chan, int fd);
/*
 * Writes n (at most 8) bytes to the fd now, before the channel's, as the
 * channel's first n bytes, which must then be exactly these. 0, or -1 when
 * they cannot be written at once (the fd is new: its buffer is empty).
 */
int pump_deliver_ahead(struct pump *p, const char *bytes, size_t n);
/*
 * Moves what can move now. Returns 0 while the stream lives, 1 once both
 * directions have ended (the owner then calls pump_close), -1 on an error.
 *
 * Ends are passed on as half-closes, never as a full close: when the
 * channel ends, the fd gets shutdown(SHUT_WR) after the last byte, and
 * when the fd ends, the channel gets EOF. A full close would lose the
 * peer's last words: a relay's RFB failure reason arrives just before its
 * EOF, and libvncclient first writes its own version, which would fail with
 * EPIPE on a closed socket before the reason is read.
 */
int pump_run(struct pump *p);
/* Registers, re-registers or unregisters p->fd in ev to match its needs. */
void pump_sync_event(struct pump *p, ssh_event ev);
/* Unregisters the fd, closes it, and sends EOF+close on the channel if still open. */
void pump_close(struct pump *p);

#endif
