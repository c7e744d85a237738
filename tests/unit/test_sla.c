/*
 * sla: the arithmetic of the SLA clocks (relay/sla.c): desk time with
 * pauses, the next clock and its time left, the flags due and when the
 * next one falls due, relay.conf's targets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sla.h"

static struct relay_sla_targets targets(void)
{
	struct relay_sla_targets t;

	relay_sla_default(&t);
	t.response[2] = 600;
	t.resolve[2] = 3600;
	t.warn_percent = 50;
	return t;
}

static void test_used_with_pauses(void **state)
{
	struct relay_sla_clock c = { .opened_at = 1000 };

	(void)state;
	assert_int_equal(relay_sla_used(&c, 1000), 0);
	assert_int_equal(relay_sla_used(&c, 1500), 500);
	c.paused_since = 1500;
	assert_int_equal(relay_sla_used(&c, 9000), 500);
	c.paused_since = 0;
	c.paused = 7500;
	assert_int_equal(relay_sla_used(&c, 9100), 600);
	/* A clock set back never gives negative time. */
	assert_int_equal(relay_sla_used(&c, 900), 0);
}

static void test_next_clock(void **state)
{
	struct relay_sla_targets t = targets();
	struct relay_sla_clock c = { .opened_at = 0 };
	struct relay_sla_view v;

	(void)state;
	relay_sla_next(&t, "P3", &c, 100, &v);
	assert_int_equal(v.which, RELAY_SLA_RESPONSE);
	assert_int_equal(v.target, 600);
	assert_int_equal(v.left, 500);
	assert_false(v.paused);
	c.first_response_at = 200;
	relay_sla_next(&t, "P3", &c, 4000, &v);
	assert_int_equal(v.which, RELAY_SLA_RESOLVE);
	assert_int_equal(v.left, -400);
	t.response[3] = t.resolve[3] = 0;
	relay_sla_next(&t, "P4", &c, 4000, &v);
	assert_int_equal(v.which, RELAY_SLA_NONE);
	relay_sla_next(&t, "P9", &c, 4000, &v);
	assert_int_equal(v.which, RELAY_SLA_NONE);
	/* No response target: the resolve clock from the start. */
	t.response[3] = 0;
	t.resolve[3] = 100;
	c.first_response_at = 0;
	relay_sla_next(&t, "P4", &c, 40, &v);
	assert_int_equal(v.which, RELAY_SLA_RESOLVE);
	assert_int_equal(v.left, 60);
}

static void test_due_flags_once(void **state)
{
	struct relay_sla_targets t = targets();
	struct relay_sla_clock c = { .opened_at = 0 };
	int flags = 0;

	(void)state;
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, flags, 299), 0);
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, flags, 300), RELAY_SLA_RESPONSE_WARNED);
	flags |= RELAY_SLA_RESPONSE_WARNED;
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, flags, 599), 0);
	/* A tick that skipped past both thresholds owes both. */
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, 0, 700), RELAY_SLA_RESPONSE_WARNED | RELAY_SLA_RESPONSE_BREACHED);
	flags |= RELAY_SLA_RESPONSE_BREACHED;
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, flags, 700), 0);
	/* Once responded, the response clock says nothing more. */
	c.first_response_at = 100;
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, 0, 700), 0);
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, 0, 1800), RELAY_SLA_RESOLVE_WARNED);
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, RELAY_SLA_RESOLVE_WARNED, 3600), RELAY_SLA_RESOLVE_BREACHED);
	/* Paused: time stands still. */
	c.paused_since = 1000;
	assert_int_equal(relay_sla_due_flags(&t, "P3", &c, 0, 100000), 0);
}

static void test_next_due(void **state)
{
	struct relay_sla_targets t = targets();
	struct relay_sla_clock c = { .opened_at = 1000, .paused = 200 };

	(void)state;
	/* Used at 1300: 100 (a 200 s pause ended). The warning at 300 s used: 1500. */
	assert_int_equal(relay_sla_next_due(&t, "P3", &c, 0, 1300), 1500);
	assert_int_equal(relay_sla_next_due(&t, "P3", &c, RELAY_SLA_RESPONSE_WARNED, 1300), 1800);
	/* Overdue: now. */
	assert_int_equal(relay_sla_next_due(&t, "P3", &c, 0, 5000), 5000);
	assert_int_equal(relay_sla_next_due(&t, "P3", &c, 15, 5000), -1);
	c.paused_since = 1100;
	assert_int_equal(relay_sla_next_due(&t, "P3", &c, 0, 1100), -1);
}

static void test_parse(void **state)
{
	struct relay_sla_targets t;
	char why[256];

	(void)state;
	relay_sla_default(&t);
	assert_int_equal(t.response[0], 900);
	assert_int_equal(t.resolve[3], 259200);
	assert_int_equal(t.warn_percent, 80);
	assert_int_equal(relay_sla_parse(&t, 0, " 60\t600 ", why, sizeof(why)), 0);
	assert_int_equal(t.response[0], 60);
	assert_int_equal(t.resolve[0], 600);
	assert_int_equal(relay_sla_parse(&t, 1, "0 0", why, sizeof(why)), 0);
	assert_int_equal(relay_sla_parse(&t, 1, "600", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "expected two numbers of seconds"));
	assert_int_equal(relay_sla_parse(&t, 1, "600 1h", why, sizeof(why)), -1);
	assert_int_equal(relay_sla_parse(&t, 1, "600 700 800", why, sizeof(why)), -1);
	assert_int_equal(relay_sla_parse(&t, 1, "-5 700", why, sizeof(why)), -1);
	assert_int_equal(relay_sla_parse(&t, 1, "31536001 0", why, sizeof(why)), -1);
	assert_int_equal(relay_sla_parse(&t, 1, "7200 3600", why, sizeof(why)), -1);
	assert_string_equal(why, "the first response (7200 s) comes after the resolution (3600 s)");
	assert_int_equal(relay_sla_parse(&t, 4, "1 2", why, sizeof(why)), -1);
	assert_int_equal(t.response[1], 0);
	assert_int_equal(relay_sla_priority("P2"), 1);
	assert_int_equal(relay_sla_priority("P5"), -1);
	assert_int_equal(relay_sla_priority("P22"), -1);
}

static void test_format_left(void **state)
{
	char s[24];

	(void)state;
	relay_sla_format_left(45, s, sizeof(s));
	assert_string_equal(s, "45s");
	relay_sla_format_left(14 * 60 + 59, s, sizeof(s));
	assert_string_equal(s, "14m");
	relay_sla_format_left(3600 + 5 * 60, s, sizeof(s));
	assert_string_equal(s, "1h05m");
	relay_sla_format_left(-180, s, sizeof(s));
	assert_string_equal(s, "-3m");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_used_with_pauses), cmocka_unit_test(test_next_clock),
		cmocka_unit_test(test_due_flags_once),   cmocka_unit_test(test_next_due),
		cmocka_unit_test(test_parse),            cmocka_unit_test(test_format_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
