/*
 * pace: how good a picture a viewer's link can carry, decided by the helper.
 *
 * RFB is pulled: a viewer asks for an update, gets it, asks again. So the
 * time from the moment an update starts going out to the viewer's next
 * request is what that update cost on the viewer's link: its bytes through
 * the bottleneck, plus the link's own round trip. From those times the
 * controller learns two things per viewer: the path's round trip (the
 * quickest recent small update) and the rate its bottleneck carries (a big
 * update's bytes over its time beyond the round trip). It also learns, for
 * each JPEG quality level, how many bytes a changed pixel costs.
 *
 * Before each update it predicts: this many changed pixels, at this level,
 * at this rate, take this long. It sends the best level whose bytes fit in
 * the budget (PACE_BUDGET_US beyond the round trip), so that keys typed
 * meanwhile wait at most that long behind a picture; at level 0 when none
 * fits. It never goes above what the viewer asked for, and a viewer that
 * asked for no JPEG gets none. Before the rate is known, a big update goes
 * at PACE_START_LEVEL at most: the first full screen at a stock viewer's
 * quality is ~700 KB, 5.6 s on a 1 Mbit/s uplink, and a fast link sharpens
 * it within a second anyway (screen.c's lossless refinement).
 *
 * Below level 0 it scales (issue 21): when even level 0 needs more than
 * PACE_SCALE_DOWN budgets for the update about to go out, the picture goes
 * at half the width and height (a quarter when half is still too much), at
 * level 0; it comes back up during motion only when a whole screen at the
 * larger size (what the switch costs: the viewer asks for everything again)
 * fits in PACE_SCALE_UP of the budget. The caller brings it back to full
 * size when the screen is still, before the lossless refinement. Bytes per
 * pixel at each scale are learnt apart from the levels' (a scaled update's
 * bytes over the screen pixels it carries), from a prior until measured.
 * Scaled updates teach the rate only from PACE_RATE_BYTES like any other:
 * a bench run took 8 KB ones for 2 MB/s on a 1 Mbit/s uplink (the round
 * trip's error is most of their time) and sent a full screen at level 5.
 *
 * Pure arithmetic on times, sizes and counts the caller gives
 * (microseconds, bytes, pixels): unit-tested without libvncserver or a clock.
 */
#ifndef HANDOFF_HELPER_PACE_H
#define HANDOFF_HELPER_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* JPEG quality levels as RFB's pseudo-encodings number them (0 worst, 9 best). */
#define PACE_LEVEL_MAX 9
/* What an update's bytes may take beyond the link's own round trip. */
#define PACE_BUDGET_US 150000
/*
 * Updates up to this size measure the path's round trip: their bytes cost
 * next to nothing even at 1 Mbit/s. A big one's time is mostly its bytes,
 * and taking it for the round trip (as the quickest update of a screen in
 * full motion would be) would excuse every slow update after it.
 */
#define PACE_SMALL_BYTES 4096
/* Updates from this size on measure the rate: their time is mostly their bytes. */
#define PACE_RATE_BYTES 16384
/* A big update answered sooner than this after the round trip was answered by a request sent before it. */
#define PACE_PIPELINED_US 2000
/* Changed pixels from which an update counts as big while the rate is unknown (a 128x128 square). */
#define PACE_BIG_PIXELS 16384
/* The most a big update gets before the rate is known. */
#define PACE_START_LEVEL 1

/* The smallest picture: a quarter of the width and height. */
#define PACE_SCALE_MAX 4
/* Smaller when level 0 would need more than this many budgets: a clear margin, so one big update is not enough. */
#define PACE_SCALE_DOWN 2.0
/* Larger again during motion when a whole screen at the larger size fits in this share of the budget. */
#define PACE_SCALE_UP 0.75

struct helper_pace {
	int level;              /* the level of the last update that could be lossy; -1 before any */
	int64_t start_us;       /* when the update in flight began going out; 0: none */
	size_t bytes;           /* the size of the update in flight, once sent */
	uint64_t pixels;        /* the changed pixels it carries (0: not counted) */
	int sent_level;         /* the level it went at; -1 lossless */
	int64_t rtt_us;         /* the path's own round trip: the quickest recent small update; 0: none yet */
	double bytes_per_us;    /* what the path's bottleneck carries; 0: not known yet */
	double pixel_bytes[PACE_LEVEL_MAX + 1]; /* bytes per changed pixel at each level; 0: not seen */
	int scale;              /* updates go 1/scale as wide and high: 1, 2 or 4 */
	int sent_scale;         /* the scale of the update in flight */
	double scale_bytes[3];  /* bytes per changed screen pixel at level 0 at scale 1 (unused), 2, 4; 0: not seen */
};

void helper_pace_init(struct helper_pace *p);
/* An update began going out at start_us (lossless unless helper_pace_choose says otherwise). */
void helper_pace_sent(struct helper_pace *p, int64_t start_us);
/*
 * The level for the update that began going out, carrying pixels changed
 * pixels, for a viewer that asked for asked (0..9, or -1: no JPEG, which
 * is returned as it is).
 */
int helper_pace_choose(struct helper_pace *p, int asked, uint64_t pixels);
/* The update in flight was bytes long. */
void helper_pace_size(struct helper_pace *p, size_t bytes);
/*
 * The viewer asked again at now_us: the update in flight has arrived, and
 * what it cost is learnt. link_rtt_us is the lowest round trip of the
 * helper's own connection (-1 when unknown): the floor of the path's, used
 * until a small update has measured the path itself.
 */
void helper_pace_acked(struct helper_pace *p, int64_t now_us, int64_t link_rtt_us);
/* The round trip the budget counts from: the measured one, never below the link's; 0 when neither is known. */
int64_t helper_pace_rtt(const struct helper_pace *p, int64_t link_rtt_us);
/*
 * The scale (1, 2 or 4) the update about to go out, carrying pixels of a
 * screen of screen_pixels, should go at; p->scale is what they go at now.
 * The caller switches (helper_pace_set_scale) once the viewer has.
 */
int helper_pace_scale(const struct helper_pace *p, uint64_t pixels, uint64_t screen_pixels);
/* Updates go at scale from now on. */
void helper_pace_set_scale(struct helper_pace *p, int scale);
/* The bytes per changed screen pixel expected at level 0 and scale (learnt, or scaled from level 0's). */
double helper_pace_scale_bytes(const struct helper_pace *p, int scale);
/* The bytes per changed pixel expected at level (learnt, or scaled from a level learnt, or a prior). */
double helper_pace_pixel_bytes(const struct helper_pace *p, int level);

#endif
