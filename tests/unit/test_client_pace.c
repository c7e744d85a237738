/*
 * The helper's pacing (client/pace.c): quality goes down while updates take
 * longer than the link's round trip plus the budget, fast when far longer,
 * up one step after a run of quick ones, never above what the viewer asked,
 * and never for a viewer that asked for no JPEG.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

/* One update that began at *t and was answered took_us later; the clock moves on. */
static bool update(struct helper_pace *p, int64_t *t, int64_t took_us)
{
	bool changed;

	helper_pace_sent(p, *t);
	helper_pace_size(p, took_us > 150000 ? 500000 : 1000);
	changed = helper_pace_acked(p, *t + took_us, -1);
	*t += took_us + 1000;
	return changed;
}

static void test_quick_updates_keep_the_asked_quality(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 50; i++)
		assert_false(update(&p, &t, 80000));
	assert_int_equal(helper_pace_quality(&p, 7), 7);
	assert_int_equal(helper_pace_quality(&p, -1), -1);
	/* The link's round trip is the quickest update. */
	assert_int_equal(p.rtt_us, 80000);
}

static void test_slow_updates_lower_it(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 5; i++)
		update(&p, &t, 80000);
	/* Over the budget (80 + 150 ms): one step. */
	assert_true(update(&p, &t, 300000));
	assert_int_equal(p.level, PACE_LEVEL_MAX - 1);
	/* Far over it (a full screen at quality 7 on 1 Mbit/s): three at once, down to 0 and no lower. */
	for (int i = 0; i < 10; i++)
		update(&p, &t, 5000000);
	assert_int_equal(p.level, 0);
	assert_int_equal(helper_pace_quality(&p, 7), 0);
	/* A viewer that asked for lossless still gets lossless. */
	assert_int_equal(helper_pace_quality(&p, -1), -1);
}

static void test_quick_again_raises_it_step_by_step(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	update(&p, &t, 80000);
	for (int i = 0; i < 4; i++)
		update(&p, &t, 5000000);
	assert_int_equal(p.level, 0);
	/* Three quick ones are not yet a run; the fourth is. */
	for (int i = 0; i < PACE_CALM_UPDATES - 1; i++)
		assert_false(update(&p, &t, 90000));
	assert_true(update(&p, &t, 90000));
	assert_int_equal(p.level, 1);
	/* Within the budget but not well within it: no step either way. */
	for (int i = 0; i < 10; i++)
		assert_false(update(&p, &t, 80000 + PACE_BUDGET_US - 10000));
	assert_int_equal(p.level, 1);
}

/* The steps count from what the viewer gets, not from the best level. */
static void test_steps_count_from_what_the_viewer_asked(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	update(&p, &t, 80000);
	helper_pace_limit(&p, 6);
	assert_true(update(&p, &t, 5000000));
	assert_int_equal(helper_pace_quality(&p, 6), 3);
	/* Lossless viewers set no limit. */
	helper_pace_limit(&p, -1);
	assert_int_equal(p.level, 3);
}

/* Regression: big updates alone never set the round trip (they made it 1.3 s, and excused themselves). */
static void test_big_updates_do_not_measure_the_round_trip(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 3; i++) {
		helper_pace_sent(&p, t);
		helper_pace_size(&p, 200000);
		helper_pace_acked(&p, t + 1300000, 80000);
		t += 1400000;
	}
	assert_int_equal(p.rtt_us, 0);
	/* Counted from the connection's own 80 ms: 1.3 s is far over, every time. */
	assert_int_equal(p.level, 0);
	assert_int_equal(helper_pace_rtt(&p, 80000), 80000);
	assert_int_equal(helper_pace_rtt(&p, -1), 0);
}

/* Regression: a request already on its way made a small update look quicker than the link (13 ms on 200). */
static void test_never_below_the_link(void **state)
{
	struct helper_pace p;

	(void)state;
	helper_pace_init(&p);
	helper_pace_sent(&p, 1000000);
	helper_pace_size(&p, 600);
	helper_pace_acked(&p, 1013000, 200000);
	assert_int_equal(p.rtt_us, 13000);
	assert_int_equal(helper_pace_rtt(&p, 200000), 200000);
	/* An update of 300 ms is within 200 + 150 ms: no step down. */
	helper_pace_sent(&p, 2000000);
	helper_pace_size(&p, 90000);
	assert_false(helper_pace_acked(&p, 2300000, 200000));
	assert_int_equal(p.level, PACE_LEVEL_MAX);
}

static void test_answers_without_an_update_count_for_nothing(void **state)
{
	struct helper_pace p;

	(void)state;
	helper_pace_init(&p);
	/* A request with nothing in flight (the first one, or after an idle spell). */
	assert_false(helper_pace_acked(&p, 5000000, -1));
	assert_int_equal(p.rtt_us, 0);
	/* A clock that reads earlier than the send is no measurement. */
	helper_pace_sent(&p, 9000000);
	assert_false(helper_pace_acked(&p, 8000000, -1));
	assert_int_equal(p.level, PACE_LEVEL_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_updates_keep_the_asked_quality),
		cmocka_unit_test(test_slow_updates_lower_it),
		cmocka_unit_test(test_quick_again_raises_it_step_by_step),
		cmocka_unit_test(test_steps_count_from_what_the_viewer_asked),
		cmocka_unit_test(test_big_updates_do_not_measure_the_round_trip),
		cmocka_unit_test(test_never_below_the_link),
		cmocka_unit_test(test_answers_without_an_update_count_for_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
