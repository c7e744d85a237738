/*
 * The customers' budget (relay/rate.c): a bucket that starts full with a
 * minute's worth, refills at that rate, never above it, and gives nothing
 * for a clock that steps back; two buckets give both or neither.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rate.h"

static int takes(struct relay_rate *r, int64_t now_ms, unsigned long per_minute, int tries)
{
	int n = 0;

	for (int i = 0; i < tries; i++)
		n += relay_rate_take(r, now_ms, per_minute);
	return n;
}

static void test_starts_full_then_refills(void **state)
{
	struct relay_rate r = { 0 };

	(void)state;
	assert_int_equal(takes(&r, 1000000, 60, 100), 60);
	/* One a second at 60 a minute. */
	assert_int_equal(takes(&r, 1000999, 60, 10), 0);
	assert_int_equal(takes(&r, 1001000, 60, 10), 1);
	assert_int_equal(takes(&r, 1011000, 60, 100), 10);
}

static void test_never_above_a_minute(void **state)
{
	struct relay_rate r = { 0 };

	(void)state;
	assert_int_equal(takes(&r, 5000, 120, 200), 120);
	/* An hour of quiet still gives one minute's worth. */
	assert_int_equal(takes(&r, 5000 + 3600000, 120, 500), 120);
}

static void test_clock_back_gives_nothing(void **state)
{
	struct relay_rate r = { 0 };

	(void)state;
	assert_int_equal(takes(&r, 90000, 60, 60), 60);
	assert_int_equal(takes(&r, 30000, 60, 5), 0);
	/* Time is counted from the latest moment seen, not from the step back. */
	assert_int_equal(takes(&r, 90999, 60, 5), 0);
	assert_int_equal(takes(&r, 91000, 60, 5), 1);
}

/* Regression: a record the token's budget refused used to cost the session's budget one. */
static void test_both_or_neither(void **state)
{
	struct relay_rate session = { 0 }, token = { 0 };

	(void)state;
	assert_int_equal(takes(&token, 1000, 10, 10), 10);
	for (int i = 0; i < 50; i++)
		assert_false(relay_rate_take_both(&session, 60, &token, 10, 1000));
	/* Six seconds give the token one more at 10 a minute; the session is still full. */
	assert_true(relay_rate_take_both(&session, 60, &token, 10, 7000));
	assert_false(relay_rate_take_both(&session, 60, &token, 10, 7000));
	assert_int_equal(takes(&session, 7000, 60, 100), 59);
	/* Without a second bucket it is relay_rate_take. */
	assert_false(relay_rate_take_both(&session, 60, NULL, 0, 7000));
	assert_true(relay_rate_take_both(&session, 60, NULL, 0, 8000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_full_then_refills),
		cmocka_unit_test(test_never_above_a_minute),
		cmocka_unit_test(test_clock_back_gives_nothing),
		cmocka_unit_test(test_both_or_neither),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
