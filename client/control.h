/*
 * control: the helper's end of the "handoff-control" subsystem channel.
 * Records in both directions go through ctl_encode/ctl_decode and bounded
 * buffers; nothing here parses a byte by hand.
 */
#ifndef HANDOFF_HELPER_CONTROL_H
#define HANDOFF_HELPER_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>

#include "buf.h"
#include "ctl.h"

struct helper_control {
	ssh_channel chan;   /* owned */
	struct buf in;      /* received, not yet decoded */
	struct buf out;     /* encoded, not yet accepted by the channel */
	/*
	 * Bytes ever queued into out, and ever handed to libssh: a record
	 * queued when queued was Q has left our hands once written >= Q.
	 */
	uint64_t queued;
	uint64_t written;
};

/* Bulk senders (log bundles) queue more only while less than this is pending. */
#define HELPER_CONTROL_LOW_WATER (32u * 1024)

enum {
	HELPER_CONTROL_CLOSED = -2, /* the relay closed the channel */
	HELPER_CONTROL_BAD = -1,    /* the relay sent bytes that are not a record */
};

/* Opens the session channel and requests the subsystem; blocking. 0 or -1 with err. */
int helper_control_open(struct helper_control *c, ssh_session s, char *err, size_t errlen);
/*
 * Next record from the relay without blocking: 1 with *r filled (caller
 * frees with ctl_record_free), 0 when none is complete yet,
 * HELPER_CONTROL_CLOSED or HELPER_CONTROL_BAD.
 */
int helper_control_next(struct helper_control *c, struct ctl_record *r);
/* Queues one record; helper_control_flush sends it. 0 or -1 (queue full). */
int helper_control_send(struct helper_control *c, const struct ctl_record *r);
/* Sends what the relay's window accepts now. 0, or -1 if the channel failed. */
int helper_control_flush(struct helper_control *c);
/* Bytes queued and not yet accepted by the channel. */
size_t helper_control_pending(const struct helper_control *c);
/*
 * The last word before hanging up, for a session whose loop never ran:
 * sends what is queued, then EOF, and waits (blocking, timeout_ms at most)
 * until the relay has closed the channel or the session. The relay reads a
 * channel's data before it sees its EOF, but data that comes in the same
 * batch as a disconnect is never read, so hanging up at once could lose the
 * record. 0 when the relay closed first, -1 otherwise.
 */
int helper_control_goodbye(struct helper_control *c, int timeout_ms);
/* Closes and frees the channel. Safe on a zeroed or closed struct. */
void helper_control_close(struct helper_control *c);

#endif
