/*
 * pace.c: see pace.h.
 */
#include "pace.h"

/*
 * Bytes per changed pixel at each level for photo-like pixels before any is
 * measured (JPEG at our libjpeg qualities 10..95, 4:2:0 below level 6, from
 * the bench's full-screen frames), and, more to the point, how the levels
 * compare: a level not seen yet is the nearest seen one scaled by these.
 */
static const double helper_pace_prior[PACE_LEVEL_MAX + 1] = {
	0.08, 0.11, 0.14, 0.17, 0.20, 0.23, 0.36, 0.45, 0.58, 0.85,
};

/*
 * How many times fewer bytes a level-0 full screen of photo-like pixels
 * takes at half and at a quarter of the width and height (docs/performance.md:
 * 80 KB, 15.2 KB, 4.2 KB; the averaged pixels also compress better).
 */
static const double helper_pace_scale_prior[3] = { 1.0, 5.4, 19.0 };

/* How much of an estimate a new measurement replaces. */
#define PACE_LEARN 0.5

void helper_pace_init(struct helper_pace *p)
{
	*p = (struct helper_pace){ .level = -1, .sent_level = -1, .scale = 1, .sent_scale = 1 };
}

void helper_pace_sent(struct helper_pace *p, int64_t start_us)
{
	/* 0 means "none in flight"; a clock that reads 0 is one microsecond late. */
	p->start_us = start_us != 0 ? start_us : 1;
	p->bytes = 0;
	p->pixels = 0;
	p->sent_level = -1;
	p->sent_scale = p->scale;
}

void helper_pace_size(struct helper_pace *p, size_t bytes)
{
	p->bytes = bytes;
}

int64_t helper_pace_rtt(const struct helper_pace *p, int64_t link_rtt_us)
{
	/*
	 * Never below the helper's own connection: a request already on its
	 * way when an update began (one a probe's answer drew out) makes that
	 * update look quicker than the path is (13 ms on a 200 ms link).
	 */
	if (link_rtt_us > p->rtt_us)
		return link_rtt_us;
	return p->rtt_us > 0 ? p->rtt_us : 0;
}

double helper_pace_pixel_bytes(const struct helper_pace *p, int level)
{
	int near = -1;

	if (level < 0 || level > PACE_LEVEL_MAX)
		return 0;
	if (p->pixel_bytes[level] > 0)
		return p->pixel_bytes[level];
	for (int d = 1; d <= PACE_LEVEL_MAX && near < 0; d++) {
		if (level - d >= 0 && p->pixel_bytes[level - d] > 0)
			near = level - d;
		else if (level + d <= PACE_LEVEL_MAX && p->pixel_bytes[level + d] > 0)
			near = level + d;
	}
	if (near < 0)
		return helper_pace_prior[level];
	return p->pixel_bytes[near] * helper_pace_prior[level] / helper_pace_prior[near];
}

static int helper_pace_scale_index(int scale)
{
	return scale >= PACE_SCALE_MAX ? 2 : scale >= 2 ? 1 : 0;
}

double helper_pace_scale_bytes(const struct helper_pace *p, int scale)
{
	int i = helper_pace_scale_index(scale), other = i == 1 ? 2 : 1;

	if (i == 0)
		return helper_pace_pixel_bytes(p, 0);
	if (p->scale_bytes[i] > 0)
		return p->scale_bytes[i];
	/* The other scale, when it was seen, knows these pixels better than level 0 at full size. */
	if (p->scale_bytes[other] > 0)
		return p->scale_bytes[other] * helper_pace_scale_prior[other] / helper_pace_scale_prior[i];
	return helper_pace_pixel_bytes(p, 0) / helper_pace_scale_prior[i];
}

int helper_pace_scale(const struct helper_pace *p, uint64_t pixels, uint64_t screen_pixels)
{
	int scale = p->scale == 2 || p->scale == PACE_SCALE_MAX ? p->scale : 1;
	double budget_bytes;

	if (p->bytes_per_us <= 0)
		return scale;
	budget_bytes = p->bytes_per_us * PACE_BUDGET_US;
	/*
	 * Smaller only by a clear margin: a switch costs the viewer's whole
	 * screen again and two round trips, so an update that would barely
	 * miss the budget goes at level 0 as it is.
	 */
	while (scale < PACE_SCALE_MAX && (double)pixels * helper_pace_scale_bytes(p, scale) > PACE_SCALE_DOWN * budget_bytes)
		scale *= 2;
	if (scale != p->scale)
		return scale;
	/*
	 * Larger during motion only when the link grew: what the switch sends
	 * is the whole screen at the larger size, whatever this update carries,
	 * so a small update between big ones (a typed key) does not flip it.
	 */
	while (scale > 1 && (double)screen_pixels * helper_pace_scale_bytes(p, scale / 2) <= PACE_SCALE_UP * budget_bytes)
		scale /= 2;
	return scale;
}

void helper_pace_set_scale(struct helper_pace *p, int scale)
{
	p->scale = scale == 2 || scale == PACE_SCALE_MAX ? scale : 1;
}

static double helper_pace_learnt(double was, double now)
{
	return was > 0 ? was + (now - was) * PACE_LEARN : now;
}

int helper_pace_choose(struct helper_pace *p, int asked, uint64_t pixels)
{
	int level;

	if (asked < 0)
		return -1;
	if (asked > PACE_LEVEL_MAX)
		asked = PACE_LEVEL_MAX;
	if (p->scale > 1) {
		/* Scaling is the step below level 0: a scaled picture goes at level 0. */
		level = 0;
	} else if (p->bytes_per_us <= 0) {
		level = pixels >= PACE_BIG_PIXELS && asked > PACE_START_LEVEL ? PACE_START_LEVEL : asked;
	} else {
		const double budget_bytes = p->bytes_per_us * PACE_BUDGET_US;

		/*
		 * The best level whose bytes fit in the budget; the worst when none
		 * does. Above the last level it must fit in three quarters of it,
		 * so that estimates wavering around the budget do not swap the
		 * level at every update.
		 */
		for (level = asked; level > 0; level--)
			if ((double)pixels * helper_pace_pixel_bytes(p, level) <=
			    (level > p->level ? budget_bytes * 0.75 : budget_bytes))
				break;
	}
	p->pixels = pixels;
	p->sent_scale = p->scale;
	p->sent_level = level;
	p->level = level;
	return level;
}

void helper_pace_acked(struct helper_pace *p, int64_t now_us, int64_t link_rtt_us)
{
	int64_t took, rtt;

	if (p->start_us == 0 || now_us < p->start_us)
		return;
	took = now_us - p->start_us;
	p->start_us = 0;
	/*
	 * The quickest small update is the path's round trip; it drifts up
	 * slowly so that a route that got longer (a roaming phone) is learnt,
	 * while one slow update does not make every update look quick.
	 */
	if (p->bytes <= PACE_SMALL_BYTES) {
		if (p->rtt_us == 0 || took < p->rtt_us)
			p->rtt_us = took;
		else
			p->rtt_us += (took - p->rtt_us) / 64;
	}
	rtt = helper_pace_rtt(p, link_rtt_us);
	/*
	 * A big update's bytes over its time beyond the round trip is what the
	 * bottleneck carried. One answered within PACE_PIPELINED_US of the
	 * round trip was not answered at all: the viewer had sent that request
	 * before the update reached it (libvncclient asks twice at the start; a
	 * bench run took 83 KB on a 1 Mbit/s uplink for 41 MB/s and sent the
	 * next full screen at quality 7, 5 s). A real answer to a big update
	 * also holds the viewer's decoding, which is longer than that even on
	 * a LAN. A slower rate is believed at once, a quicker one halfway: an
	 * uplink is easy to overfill and slow to drain, and one update sent for
	 * a rate the link no longer has costs seconds.
	 */
	if (p->bytes >= PACE_RATE_BYTES && took - rtt >= PACE_PIPELINED_US) {
		double rate = (double)p->bytes / (double)(took - rtt);

		p->bytes_per_us = rate < p->bytes_per_us ? rate : helper_pace_learnt(p->bytes_per_us, rate);
	}
	/* Small updates are mostly headers: their bytes per pixel say nothing of the level. */
	if (p->sent_level >= 0 && p->pixels >= PACE_BIG_PIXELS / 4 && p->bytes > PACE_SMALL_BYTES) {
		double per_pixel = (double)p->bytes / (double)p->pixels;
		int i = helper_pace_scale_index(p->sent_scale);

		/* A scaled update's bytes say what scaling saves, not what a level costs. */
		if (i > 0)
			p->scale_bytes[i] = helper_pace_learnt(p->scale_bytes[i], per_pixel);
		else
			p->pixel_bytes[p->sent_level] = helper_pace_learnt(p->pixel_bytes[p->sent_level], per_pixel);
	}
}
