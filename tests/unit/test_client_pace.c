/*
 * The helper's pacing (client/pace.c): the rate of the viewer's path is
 * learnt from big updates and the round trip from small ones; each update
 * goes at the best level whose bytes fit in the budget at that rate, never
 * above what the viewer asked and never JPEG for a viewer that asked for
 * none; before the rate is known a big update goes at the start level.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

#define FULL_SCREEN (1280u * 800u)

/*
 * One update of pixels at what the viewer asked, which the path carries at
 * rate bytes per microsecond behind a round trip of rtt_us: its bytes are
 * what the chosen level costs (bytes_per_pixel[level]). Returns the level.
 */
static int update(struct helper_pace *p, int64_t *t, int asked, uint64_t pixels, const double *bytes_per_pixel,
		  double rate, int64_t rtt_us)
{
	int level;
	size_t bytes;

	helper_pace_sent(p, *t);
	level = helper_pace_choose(p, asked, pixels);
	bytes = (size_t)((double)pixels * bytes_per_pixel[level < 0 ? 0 : level]) + 40;
	helper_pace_size(p, bytes);
	int64_t took = rtt_us + (int64_t)((double)bytes / rate);
	helper_pace_acked(p, *t + took, rtt_us);
	*t += took + 1000;
	return level;
}

/* What the levels cost on photo-like pixels in these tests. */
static const double photo[PACE_LEVEL_MAX + 1] = { 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.3, 0.4, 0.5, 0.7 };

static void test_no_jpeg_stays_no_jpeg(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 5; i++)
		assert_int_equal(update(&p, &t, -1, FULL_SCREEN, photo, 0.125, 80000), -1);
	/* Its updates still teach the rate. */
	assert_true(p.bytes_per_us > 0.1 && p.bytes_per_us < 0.15);
}

static void test_before_the_rate_is_known(void **state)
{
	struct helper_pace p;

	(void)state;
	helper_pace_init(&p);
	helper_pace_sent(&p, 1000000);
	/* A typed character goes at what the viewer asked; a big change at the start level at most. */
	assert_int_equal(helper_pace_choose(&p, 7, 14 * 20), 7);
	helper_pace_sent(&p, 2000000);
	assert_int_equal(helper_pace_choose(&p, 7, FULL_SCREEN), PACE_START_LEVEL);
	helper_pace_sent(&p, 3000000);
	assert_int_equal(helper_pace_choose(&p, 0, FULL_SCREEN), 0);
}

/* Link b: 1 Mbit/s up, 80 ms. A full screen fits at no level: the lowest, every time; typing stays sharp. */
static void test_thin_uplink(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	assert_int_equal(update(&p, &t, 7, FULL_SCREEN, photo, 0.125, 80000), PACE_START_LEVEL);
	/* 1280x800 at the start level: 82 KB in 655 ms beyond the round trip, so 125 bytes a millisecond. */
	assert_true(p.bytes_per_us > 0.12 && p.bytes_per_us < 0.13);
	for (int i = 0; i < 10; i++)
		assert_int_equal(update(&p, &t, 7, FULL_SCREEN, photo, 0.125, 80000), 0);
	/* What a pixel costs at level 0 was learnt. */
	assert_true(p.pixel_bytes[0] > 0.059 && p.pixel_bytes[0] < 0.061);
	/* A line of typed text (600x20) fits at the viewer's own level. */
	assert_int_equal(update(&p, &t, 7, 600 * 20, photo, 0.125, 80000), 7);
}

/*
 * Link a: 5 Mbit/s. Half the screen settles at a middle level: one whose
 * bytes fit in the budget, with the next one up not fitting in three
 * quarters of it (the margin to rise); a small change goes at the top.
 */
static void test_middle_link(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;
	const double budget = 0.625 * PACE_BUDGET_US, pixels = FULL_SCREEN / 2;
	int level = 0;

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 20; i++)
		level = update(&p, &t, 9, FULL_SCREEN / 2, photo, 0.625, 30000);
	assert_true(level > 0 && level < 9);
	assert_true(pixels * photo[level] <= budget);
	assert_true(pixels * photo[level + 1] > 0.75 * budget);
	assert_int_equal(update(&p, &t, 9, 64 * 64, photo, 0.625, 30000), 9);
}

/* A LAN (160 Mbit/s): the first big update at the start level, every later one at what the viewer asked. */
static void test_fast_link(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	assert_int_equal(update(&p, &t, 8, FULL_SCREEN, photo, 20.0, 1000), PACE_START_LEVEL);
	for (int i = 0; i < 5; i++)
		assert_int_equal(update(&p, &t, 8, FULL_SCREEN, photo, 20.0, 1000), 8);
	/* Never above what the viewer asked. */
	assert_int_equal(update(&p, &t, 3, FULL_SCREEN, photo, 20.0, 1000), 3);
}

/* The link gets faster (the customer left the hotel): the level follows the rate up. */
static void test_rate_is_followed_both_ways(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;
	int level = 0;

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 10; i++)
		level = update(&p, &t, 9, FULL_SCREEN, photo, 0.125, 80000);
	assert_int_equal(level, 0);
	for (int i = 0; i < 10; i++)
		level = update(&p, &t, 9, FULL_SCREEN, photo, 20.0, 20000);
	assert_int_equal(level, 9);
	/* Back in the hotel: one update at the old rate's level, then the lowest again at once. */
	assert_int_equal(update(&p, &t, 9, FULL_SCREEN, photo, 0.125, 80000), 9);
	assert_int_equal(update(&p, &t, 9, FULL_SCREEN, photo, 0.125, 80000), 0);
}

/* A level not seen yet is the nearest seen one scaled by the prior's ratios. */
static void test_unseen_levels_scale_from_seen_ones(void **state)
{
	struct helper_pace p;

	(void)state;
	helper_pace_init(&p);
	assert_true(helper_pace_pixel_bytes(&p, 0) > 0);
	p.pixel_bytes[2] = 0.2;
	assert_true(helper_pace_pixel_bytes(&p, 2) == 0.2);
	assert_true(helper_pace_pixel_bytes(&p, 9) > 0.2);
	assert_true(helper_pace_pixel_bytes(&p, 0) < 0.2);
	assert_true(helper_pace_pixel_bytes(&p, -1) == 0);
	assert_true(helper_pace_pixel_bytes(&p, PACE_LEVEL_MAX + 1) == 0);
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
	assert_int_equal(helper_pace_rtt(&p, 80000), 80000);
	assert_int_equal(helper_pace_rtt(&p, -1), 0);
	/* The rate counts from the connection's 80 ms: 200,000 bytes in 1.22 s. */
	assert_true(p.bytes_per_us > 0.16 && p.bytes_per_us < 0.17);
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
}

/* Regression: a request sent before a big update reached the viewer answered it at once (41 MB/s on 1 Mbit/s). */
static void test_pipelined_answer_teaches_no_rate(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;

	(void)state;
	helper_pace_init(&p);
	helper_pace_sent(&p, t);
	assert_int_equal(helper_pace_choose(&p, 7, FULL_SCREEN), PACE_START_LEVEL);
	helper_pace_size(&p, 83000);
	helper_pace_acked(&p, t + 80000 + 1500, 80000);
	assert_true(p.bytes_per_us == 0);
	/* So the next full screen still goes at the start level, not at 7. */
	helper_pace_sent(&p, t + 100000);
	assert_int_equal(helper_pace_choose(&p, 7, FULL_SCREEN), PACE_START_LEVEL);
}

static void test_answers_without_an_update_count_for_nothing(void **state)
{
	struct helper_pace p;

	(void)state;
	helper_pace_init(&p);
	/* A request with nothing in flight (the first one, or after an idle spell). */
	helper_pace_acked(&p, 5000000, -1);
	assert_int_equal(p.rtt_us, 0);
	/* A clock that reads earlier than the send is no measurement. */
	helper_pace_sent(&p, 9000000);
	helper_pace_size(&p, 500000);
	helper_pace_acked(&p, 8000000, -1);
	assert_true(p.bytes_per_us == 0);
	assert_int_equal(p.level, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_jpeg_stays_no_jpeg),
		cmocka_unit_test(test_before_the_rate_is_known),
		cmocka_unit_test(test_thin_uplink),
		cmocka_unit_test(test_middle_link),
		cmocka_unit_test(test_fast_link),
		cmocka_unit_test(test_rate_is_followed_both_ways),
		cmocka_unit_test(test_unseen_levels_scale_from_seen_ones),
		cmocka_unit_test(test_big_updates_do_not_measure_the_round_trip),
		cmocka_unit_test(test_never_below_the_link),
		cmocka_unit_test(test_pipelined_answer_teaches_no_rate),
		cmocka_unit_test(test_answers_without_an_update_count_for_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
