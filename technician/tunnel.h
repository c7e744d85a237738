/*
 * tunnel: the RFB stream of one ticket, carried in a direct-tcpip channel
 * to the relay's virtual address "ticket-N:5900" (asking the customer for
 * view and control) or "ticket-N:5901" (view only) and handed to
 * libvncclient as one end of a socketpair. When the relay ends a stream
 * that started, it says why in an exit-signal request on the channel
 * (relay/viewer.c): the tunnel keeps that message in end_reason.
 *
 * Why a thread: libvncclient reads block until a whole RFB message is in
 * (ReadFromRFBServer loops until it has n bytes), so the loop that pumps
 * SSH cannot be the one that decodes RFB; if it were, a half-arrived
 * framebuffer update would wait forever for bytes only that same loop could
 * deliver. So once the channel is open, a pump thread owns the SSH session
 * and everything in it until tech_tunnel_close joins it; the main thread
 * only talks RFB over its end of the socketpair.
 */
#ifndef HANDOFF_TECH_TUNNEL_H
#define HANDOFF_TECH_TUNNEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include "pump.h"

/* What tech_tunnel_open can report besides success. */
enum {
	TECH_TUNNEL_REFUSED = -2,  /* the relay would not open ticket-N:5900 */
};

struct tech_tunnel {
	ssh_session session;  /* not owned; lent to the thread while it runs */
	ssh_channel chan;     /* owned */
	struct pump pump;     /* owns the thread's end of the socketpair */
	int wake[2];          /* main writes a byte to ask the thread to stop */
	pthread_t thread;
	bool running;
	int result;           /* thread's verdict: 0 stopped on request, 1 link ended, -1 error */
	_Atomic uint64_t rx_bytes; /* relay to viewer so far; written by the thread, read by the UI */
	struct ssh_channel_callbacks_struct cb;
	char end_reason[256];  /* the relay's why, or ""; the thread's until tech_tunnel_close */
};

/*
 * Opens the channel for ticket over the authenticated blocking session s
 * and starts the pump thread. On success *rfb_fd is the descriptor for
 * libvncclient (the caller owns it) and s belongs to the thread until
 * tech_tunnel_close. Returns 0, TECH_TUNNEL_REFUSED, or -1 (message printed).
 */
int tech_tunnel_open(struct tech_tunnel *t, ssh_session s, unsigned long ticket, bool view_only, int *rfb_fd);
/*
 * Stops the thread (if still running), joins it, closes the channel and
 * gives the session back in blocking mode. Safe on a tunnel that failed to
 * open, and twice. Returns the thread's verdict (see result).
 */
int tech_tunnel_close(struct tech_tunnel *t);

#endif
