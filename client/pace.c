/*
 * pace.c: see pace.h.
 */
#include "pace.h"

void helper_pace_init(struct helper_pace *p)
{
	*p = (struct helper_pace){ .level = PACE_LEVEL_MAX };
}

void helper_pace_sent(struct helper_pace *p, int64_t start_us)
{
	/* 0 means "none in flight"; a clock that reads 0 is one microsecond late. */
	p->start_us = start_us != 0 ? start_us : 1;
	p->bytes = 0;
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

static int helper_pace_clamp(int level)
{
	return level < 0 ? 0 : level > PACE_LEVEL_MAX ? PACE_LEVEL_MAX : level;
}

bool helper_pace_acked(struct helper_pace *p, int64_t now_us, int64_t link_rtt_us)
{
	int64_t took, budget, rtt;
	int was = p->level;

	if (p->start_us == 0 || now_us < p->start_us)
		return false;
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
	budget = rtt + PACE_BUDGET_US;
	if (took > 3 * budget) {
		p->level = helper_pace_clamp(p->level - 3);
		p->calm = 0;
	} else if (took > budget) {
		p->level = helper_pace_clamp(p->level - 1);
		p->calm = 0;
	} else if (took - rtt < PACE_BUDGET_US / 3) {
		if (++p->calm >= PACE_CALM_UPDATES) {
			p->level = helper_pace_clamp(p->level + 1);
			p->calm = 0;
		}
	}
	return p->level != was;
}

void helper_pace_limit(struct helper_pace *p, int asked)
{
	if (asked >= 0 && asked < p->level)
		p->level = asked;
}

int helper_pace_quality(const struct helper_pace *p, int asked)
{
	if (asked < 0)
		return -1;
	return asked < p->level ? asked : p->level;
}
