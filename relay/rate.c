/*
 * rate.c: see rate.h. The bucket is refilled lazily at each take, so a
 * quiet session costs nothing and no timer runs.
 */
#include "rate.h"

/* Brings the bucket up to now_ms without taking anything. */
static void relay_rate_refill(struct relay_rate *r, int64_t now_ms, unsigned long per_minute)
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
}

bool relay_rate_take(struct relay_rate *r, int64_t now_ms, unsigned long per_minute)
{
	return relay_rate_take_both(r, per_minute, NULL, 0, now_ms);
}

bool relay_rate_take_both(struct relay_rate *a, unsigned long a_per_minute, struct relay_rate *b,
			  unsigned long b_per_minute, int64_t now_ms)
{
	relay_rate_refill(a, now_ms, a_per_minute);
	if (b != NULL)
		relay_rate_refill(b, now_ms, b_per_minute);
	if (a->tokens < 1.0 || (b != NULL && b->tokens < 1.0))
		return false;
	a->tokens -= 1.0;
	if (b != NULL)
		b->tokens -= 1.0;
	return true;
}

int64_t relay_rate_wait_ms(const struct relay_rate *r, unsigned long per_minute)
{
	if (per_minute == 0)
		return INT64_MAX;
	if (r->tokens >= 1.0)
		return 0;
	return (int64_t)((1.0 - r->tokens) * 60000.0 / (double)per_minute) + 1;
}
