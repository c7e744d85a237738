/*
 * rate.c: see rate.h. The bucket is refilled lazily at each take, so a
 * quiet session costs nothing and no timer runs.
 */
#include "rate.h"

bool relay_rate_take(struct relay_rate *r, int64_t now_ms, unsigned long per_minute)
{
	const double cap = (double)per_minute;

	if (r->at_ms == 0) {
		r->tokens = cap;
	} else if (now_ms > r->at_ms) {
		r->tokens += (double)(now_ms - r->at_ms) * cap / 60000.0;
		if (r->tokens > cap)
			r->tokens = cap;
	}
	/* A clock that steps back gives nothing, and takes nothing away. */
	if (now_ms > r->at_ms)
		r->at_ms = now_ms;
	if (r->tokens < 1.0)
		return false;
	r->tokens -= 1.0;
	return true;
}
