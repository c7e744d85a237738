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

/* How much of an estimate a new measurement replaces. */
#define PACE_LEARN 0.5

void helper_pace_init(struct helper_pace *p)
{
	*p = (struct helper_pace){ .level = -1, .sent_level = -1 };
}

void helper_pace_sent(struct helper_pace *p, int64_t start_us)
{
	/* 0 means "none in flight"; a clock that reads 0 is one microsecond late. */
	p->start_us = start_us != 0 ? start_us : 1;
	p->bytes = 0;
	p->pixels = 0;
	p->sent_level = -1;
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
	if (p->bytes_per_us <= 0) {
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
	if (p->sent_level >= 0 && p->pixels >= PACE_BIG_PIXELS / 4 && p->bytes > PACE_SMALL_BYTES)
		p->pixel_bytes[p->sent_level] =
			helper_pace_learnt(p->pixel_bytes[p->sent_level], (double)p->bytes / (double)p->pixels);
}
