/*
 * The helper's pacing (client/pace.c): the rate of the viewer's path is
 * learnt from big updates and the round trip from small ones; each update
 * goes at the best level whose bytes fit in the budget at that rate, never
 * above what the viewer asked and never JPEG for a viewer that asked for
 * none; before the rate is known a big update goes at the start level.
 * Below level 0 the picture is scaled (half, then a quarter of the width
 * and height) when level 0 misses the budget by a clear margin, and comes
 * back up during motion only when a whole screen at the larger size fits.
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

/*
 * One update at the scale the controller wants (switched at once, as the
 * helper does once the viewer has): its bytes are level 0's at full size
 * divided by how much a scale saves on these pixels (5 at half, 12 at a
 * quarter, not quite the prior's 5.4 and 19). Returns the scale it went at.
 */
static int scaled_update(struct helper_pace *p, int64_t *t, uint64_t pixels, double rate, int64_t rtt_us)
{
	int scale = helper_pace_scale(p, pixels, FULL_SCREEN), level;
	size_t bytes;

	helper_pace_set_scale(p, scale);
	helper_pace_sent(p, *t);
	level = helper_pace_choose(p, 7, pixels);
	if (scale > 1)
		assert_int_equal(level, 0);
	bytes = (size_t)((double)pixels * photo[level] / (scale == 4 ? 12.0 : scale == 2 ? 5.0 : 1.0)) + 40;
	helper_pace_size(p, bytes);
	int64_t took = rtt_us + (int64_t)((double)bytes / rate);
	helper_pace_acked(p, *t + took, rtt_us);
	*t += took + 1000;
	return scale;
}

/* Link b: level 0 needs 3.3 budgets for a full screen, so full-screen motion goes at half size, at level 0. */
static void test_scale_on_thin_uplink(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;
	double level0;

	(void)state;
	helper_pace_init(&p);
	/* Nothing is scaled before the rate is known. */
	assert_int_equal(helper_pace_scale(&p, FULL_SCREEN, FULL_SCREEN), 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(update(&p, &t, 7, 600 * 20, photo, 0.125, 80000), 7);
	assert_int_equal(update(&p, &t, 7, FULL_SCREEN, photo, 0.125, 80000), PACE_START_LEVEL);
	assert_int_equal(update(&p, &t, 7, FULL_SCREEN, photo, 0.125, 80000), 0);
	level0 = p.pixel_bytes[0];
	for (int i = 0; i < 10; i++)
		assert_int_equal(scaled_update(&p, &t, FULL_SCREEN, 0.125, 80000), 2);
	/* What half size saves was learnt apart: level 0's own cost is untouched. */
	assert_true(p.pixel_bytes[0] == level0);
	assert_true(p.scale_bytes[1] > 0.0119 && p.scale_bytes[1] < 0.0121);
	/* A typed line in between does not bring it back: the switch would send the whole screen. */
	assert_int_equal(scaled_update(&p, &t, 600 * 20, 0.125, 80000), 2);
	assert_int_equal(scaled_update(&p, &t, FULL_SCREEN, 0.125, 80000), 2);
}

/* A third of link b (330 kbit/s): half size still misses by the margin, a quarter fits. */
static void test_scale_to_a_quarter(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;
	int scale = 1;

	(void)state;
	helper_pace_init(&p);
	update(&p, &t, 7, FULL_SCREEN, photo, 0.04, 80000);
	for (int i = 0; i < 10; i++)
		scale = scaled_update(&p, &t, FULL_SCREEN, 0.04, 80000);
	assert_int_equal(scale, PACE_SCALE_MAX);
	assert_true(p.scale_bytes[2] > 0);
}

/* Hysteresis: an update that misses the budget, but not by the margin, goes at level 0 at full size. */
static void test_scale_needs_a_clear_margin(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;
	/* 1.5 budgets of level 0 at link b's rate. */
	const uint64_t pixels = (uint64_t)(1.5 * 0.125 * PACE_BUDGET_US / photo[0]);

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 3; i++)
		update(&p, &t, 7, FULL_SCREEN, photo, 0.125, 80000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(scaled_update(&p, &t, pixels, 0.125, 80000), 1);
	assert_int_equal(scaled_update(&p, &t, 2 * pixels, 0.125, 80000), 2);
	/* Back at this size only when the link carries a whole screen at full size: 1.5 budgets never are. */
	assert_int_equal(scaled_update(&p, &t, pixels, 0.125, 80000), 2);
}

/*
 * The link grows during motion (10 Mbit/s, learnt from a big update): a
 * whole full-size screen fits, so back to full size. Small scaled updates
 * teach no rate: 8 KB ones once made 2 MB/s of a 1 Mbit/s uplink.
 */
static void test_scale_follows_a_faster_link(void **state)
{
	struct helper_pace p;
	int64_t t = 1000000;
	double rate;

	(void)state;
	helper_pace_init(&p);
	for (int i = 0; i < 3; i++)
		update(&p, &t, 7, FULL_SCREEN, photo, 0.125, 80000);
	assert_int_equal(scaled_update(&p, &t, FULL_SCREEN, 0.125, 80000), 2);
	rate = p.bytes_per_us;
	/* 12 KB answered 5 ms after the round trip: no rate from that. */
	helper_pace_sent(&p, t);
	helper_pace_choose(&p, 7, FULL_SCREEN);
	helper_pace_size(&p, 12000);
	helper_pace_acked(&p, t + 85000, 80000);
	t += 100000;
	assert_true(p.bytes_per_us == rate);
	assert_int_equal(helper_pace_scale(&p, FULL_SCREEN, FULL_SCREEN), 2);
	p.bytes_per_us = 1.25;
	assert_int_equal(helper_pace_scale(&p, FULL_SCREEN, FULL_SCREEN), 1);
	helper_pace_set_scale(&p, 1);
	/* And a level above 0 again once it is there. */
	assert_true(update(&p, &t, 7, FULL_SCREEN, photo, 1.25, 30000) > 0);
	helper_pace_set_scale(&p, 3);
	assert_int_equal(p.scale, 1);
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
		cmocka_unit_test(test_scale_on_thin_uplink),
		cmocka_unit_test(test_scale_to_a_quarter),
		cmocka_unit_test(test_scale_needs_a_clear_margin),
		cmocka_unit_test(test_scale_follows_a_faster_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
