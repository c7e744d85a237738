/*
 * test_client_origin_tally.c: the ignored presses' tally (client/origin_tally.c),
 * shared by the X11 and Windows origin backends: per viewer, one report a
 * second at most, and a full table says so instead of mixing viewers up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "log.h"
#include "origin_tally.h"

static void test_reports_at_most_once_a_second(void **state)
{
	struct helper_origin_tally t;
	uint32_t viewer = 0, count = 0;

	(void)state;
	helper_origin_tally_init(&t);
	assert_int_equal(helper_origin_tally_timeout(&t, 0), -1);
	assert_false(helper_origin_tally_take(&t, 0, &viewer, &count));
	helper_origin_tally_count(&t, 7);
	helper_origin_tally_count(&t, 7);
	helper_origin_tally_count(&t, 9);
	/* Never reported: due at once, each viewer on its own. */
	assert_int_equal(helper_origin_tally_timeout(&t, 1000), 0);
	assert_true(helper_origin_tally_take(&t, 1000, &viewer, &count));
	assert_int_equal(viewer, 7);
	assert_int_equal(count, 2);
	assert_true(helper_origin_tally_take(&t, 1000, &viewer, &count));
	assert_int_equal(viewer, 9);
	assert_int_equal(count, 1);
	assert_false(helper_origin_tally_take(&t, 1000, &viewer, &count));
	/* Another press of 7's within the second waits for it. */
	helper_origin_tally_count(&t, 7);
	assert_int_equal(helper_origin_tally_timeout(&t, 1400), HELPER_ORIGIN_TALLY_REPORT_MS - 400);
	assert_false(helper_origin_tally_take(&t, 1400, &viewer, &count));
	assert_true(helper_origin_tally_take(&t, 2000, &viewer, &count));
	assert_int_equal(viewer, 7);
	assert_int_equal(count, 1);
}

static void test_full_table_counts_no_one_else(void **state)
{
	struct helper_origin_tally t;
	uint32_t viewer = 0, count = 0, seen = 0;

	(void)state;
	log_setup("test", LOG_ERROR);
	helper_origin_tally_init(&t);
	for (uint32_t v = 1; v <= HELPER_ORIGIN_TALLY_VIEWERS + 1; v++)
		helper_origin_tally_count(&t, v);
	while (helper_origin_tally_take(&t, 0, &viewer, &count)) {
		assert_true(viewer >= 1 && viewer <= HELPER_ORIGIN_TALLY_VIEWERS);
		assert_int_equal(count, 1);
		seen++;
	}
	assert_int_equal(seen, HELPER_ORIGIN_TALLY_VIEWERS);
	/* Reported slots are free again for a new viewer. */
	helper_origin_tally_count(&t, 99);
	assert_true(helper_origin_tally_take(&t, 5000, &viewer, &count));
	assert_int_equal(viewer, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reports_at_most_once_a_second),
		cmocka_unit_test(test_full_table_counts_no_one_else),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
