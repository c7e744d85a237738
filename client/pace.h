/*
 * pace: how good a picture a viewer's link can carry, decided by the helper.
 *
 * RFB is pulled: a viewer asks for an update, gets it, asks again. So the
 * time from the moment an update starts going out to the viewer's next
 * request is what that update cost on the viewer's link: its bytes through
 * the bottleneck, plus the link's own round trip. A stock viewer asks for one
 * JPEG quality for the whole session; on a thin uplink a full-screen change
 * at that quality takes seconds, and everything typed meanwhile waits
 * behind it. The controller lowers the quality while updates take longer
 * than the path's round trip plus a budget, and raises it again after a run
 * of updates well within it (multiplicative down, one step up: an uplink is
 * easy to overfill and slow to drain). It never goes above what the viewer
 * asked for, and a viewer that asked for no JPEG gets none.
 *
 * When the screen stops changing, screen.c sends what went out lossy again
 * without loss (see there); that is not this module's business.
 *
 * Pure arithmetic on times the caller gives (microseconds): unit-tested
 * without libvncserver or a clock.
 */
#ifndef HANDOFF_HELPER_PACE_H
#define HANDOFF_HELPER_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* JPEG quality levels as RFB's pseudo-encodings number them (0 worst, 9 best). */
#define PACE_LEVEL_MAX 9
/* What an update may take beyond the link's own round trip before the quality goes down. */
#define PACE_BUDGET_US 150000
/* Updates in a row well within the budget before one step up. */
#define PACE_CALM_UPDATES 4
/*
 * Updates up to this size measure the path's round trip: their bytes cost
 * next to nothing even at 1 Mbit/s. A big one's time is mostly its bytes,
 * and taking it for the round trip (as the quickest update of a screen in
 * full motion would be) would excuse every slow update after it.
 */
#define PACE_SMALL_BYTES 4096

struct helper_pace {
	int level;          /* 0..PACE_LEVEL_MAX */
	int64_t start_us;   /* when the update in flight began going out; 0: none */
	size_t bytes;       /* the size of the update in flight, once sent */
	int64_t rtt_us;     /* the path's own round trip: the quickest recent small update; 0: none yet */
	unsigned calm;
};

void helper_pace_init(struct helper_pace *p);
/* An update began going out at start_us. */
void helper_pace_sent(struct helper_pace *p, int64_t start_us);
/* The update in flight was bytes long. */
void helper_pace_size(struct helper_pace *p, size_t bytes);
/*
 * The viewer asked again at now_us: the update in flight has arrived.
 * link_rtt_us is the lowest round trip of the helper's own connection
 * (-1 when unknown): the floor of the path's, used until a small update
 * has measured the path itself. Returns true when the level changed.
 */
bool helper_pace_acked(struct helper_pace *p, int64_t now_us, int64_t link_rtt_us);
/* The round trip the budget counts from: the measured one, never below the link's; 0 when neither is known. */
int64_t helper_pace_rtt(const struct helper_pace *p, int64_t link_rtt_us);
/*
 * The viewer asks for asked (0..9): a level above it means nothing, so the
 * steps count from what the viewer gets. Call before each update.
 */
void helper_pace_limit(struct helper_pace *p, int asked);
/* The quality to send a viewer that asked for asked (0..9, or -1: lossless): never above it. */
int helper_pace_quality(const struct helper_pace *p, int asked);

#endif
