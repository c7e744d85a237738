/*
 * report: the aggregation of the desk's numbers from events alone
 * (relay/report.c), on a story told as events: the same records ticket.c
 * writes, fed in chain order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "report.h"
#include "timefmt.h"

static void feed(struct relay_report *r, int64_t ticket, int64_t at, const char *kind, const char *actor,
		 const char *role, const char *detail)
{
	struct relay_report_event e = { .ticket = ticket, .at = at, .kind = kind, .actor = actor, .role = role,
					.detail = detail };

	assert_int_equal(relay_report_event(r, &e), 0);
}

/* t1: alice opens and resolves with article 4; t2: a customer's, escalated, breached, bob resolves. */
static void story(struct relay_report *r)
{
	feed(r, 1, 100, EVENT_CREATED, "alice", "L1", "Printer");
	feed(r, 1, 100, EVENT_OPENED_AS, "alice", "L1", "tier L1, priority P3, owner alice: Printer");
	feed(r, 0, 150, EVENT_KB_ADDED, "alice", "L1", "#4 L1: Jam");
	feed(r, 2, 200, EVENT_TICKET_OPENED_BY_CUSTOMER, "customer", "customer", "intake token 1");
	feed(r, 2, 200, EVENT_OPENED_AS, "customer", "customer", "tier L1, priority P3, owner -: VPN");
	feed(r, 2, 260, EVENT_CHAT, "customer", "customer", "hello?");
	feed(r, 2, 300, EVENT_TAKEN, "alice", "L1", NULL);
	feed(r, 2, 350, EVENT_TRIAGED, "alice", "L1", "impact high, urgency medium: P3 -> P2");
	feed(r, 1, 1100, EVENT_RESOLVED, "alice", "L1", "cleared");
	feed(r, 1, 1100, EVENT_RESOLVED_BY_KB, "alice", "L1", "#4");
	feed(r, 2, 1200, EVENT_ESCALATED, "alice", "L1", "L1 -> L2: tried");
	feed(r, 2, 1300, EVENT_TAKEN, "bob", "L2", NULL);
	feed(r, 2, 1400, EVENT_SLA_BREACH, "relay", "relay", "resolve: P2 target 1000 s passed, 1000 s used");
	feed(r, 2, 2200, EVENT_RESOLVED, "bob", "L2", "new profile");
}

static void test_totals(void **state)
{
	struct relay_report r;

	(void)state;
	relay_report_init(&r, 0, 0, RELAY_REPORT_TOTAL);
	story(&r);
	assert_int_equal(relay_report_finish(&r), 0);
	assert_int_equal(r.total.opened, 2);
	assert_int_equal(r.total.resolved, 2);
	assert_int_equal(r.total.resolve_sum, 1000 + 2000);
	assert_int_equal(r.total.responded, 2);
	/* t1: opened by a technician (0 s); t2: taken 100 s after the customer opened it. */
	assert_int_equal(r.total.response_sum, 100);
	assert_int_equal(r.total.escalations, 1);
	assert_int_equal(r.total.breaches, 1);
	assert_int_equal(r.total.by_kb, 1);
	assert_int_equal(r.total.reopened, 0);
	assert_int_equal(r.stays[0], 2);
	assert_int_equal(r.stay_sum[0], 1000 + 1000);
	assert_int_equal(r.escalated_from[0], 1);
	assert_int_equal(r.stays[1], 1);
	assert_int_equal(r.stay_sum[1], 1000);
	assert_int_equal(r.ngroups, 0);
	relay_report_free(&r);
}

/*
 * Reopening (issue 19): t1 of the story is reopened at 1500 and resolved
 * again at 2500; t3, opened after self-help, is resolved and reopened and
 * stays open. Two tickets reopened; t3's undone resolution no longer counts.
 */
static void test_reopen(void **state)
{
	struct relay_report r;

	(void)state;
	relay_report_init(&r, 0, 0, RELAY_REPORT_TOTAL);
	story(&r);
	feed(&r, 1, 1500, EVENT_REOPENED, "alice", "L1", "the printer jams again");
	feed(&r, 1, 2500, EVENT_RESOLVED, "alice", "L1", "new roller");
	feed(&r, 3, 3000, EVENT_TICKET_OPENED_BY_CUSTOMER, "customer", "customer", "intake token 1");
	feed(&r, 3, 3000, EVENT_OPENED_AS, "customer", "customer", "tier L1, priority P3, owner -: Mail");
	feed(&r, 3, 3000, EVENT_SELF_HELP_SHOWN, "customer", "customer", "#5 Mail: did not help");
	feed(&r, 3, 3050, EVENT_RECURRENCE, "relay", "relay", "like ticket 1 (reviewed): quota");
	feed(&r, 3, 3100, EVENT_TAKEN, "alice", "L1", NULL);
	feed(&r, 3, 3200, EVENT_RESOLVED, "alice", "L1", "quota");
	feed(&r, 3, 3300, EVENT_REOPENED, "alice", "L1", "full again");
	assert_int_equal(relay_report_finish(&r), 0);
	assert_int_equal(r.total.opened, 3);
	assert_int_equal(r.total.resolved, 2);
	/* t1 now counts from opening to its last resolution, and without its article (the fix did not hold). */
	assert_int_equal(r.total.resolve_sum, 2400 + 2000);
	assert_int_equal(r.total.by_kb, 0);
	assert_int_equal(r.total.reopened, 2);
	assert_int_equal(r.total.self_help, 1);
	assert_int_equal(r.total.recurrences, 1);
	relay_report_free(&r);
	/* A window after both reopenings counts none. */
	relay_report_init(&r, 4000, 0, RELAY_REPORT_TOTAL);
	story(&r);
	feed(&r, 1, 1500, EVENT_REOPENED, "alice", "L1", "again");
	assert_int_equal(relay_report_finish(&r), 0);
	assert_int_equal(r.total.reopened, 0);
	relay_report_free(&r);
}

static void test_groups(void **state)
{
	struct relay_report r;

	(void)state;
	relay_report_init(&r, 0, 0, RELAY_REPORT_PRIORITY);
	story(&r);
	assert_int_equal(relay_report_finish(&r), 0);
	assert_int_equal(r.ngroups, 2);
	assert_string_equal(r.groups[0].key, "P2");
	assert_int_equal(r.groups[0].breaches, 1);
	assert_string_equal(r.groups[1].key, "P3");
	relay_report_free(&r);

	relay_report_init(&r, 0, 0, RELAY_REPORT_TECH);
	story(&r);
	assert_int_equal(relay_report_finish(&r), 0);
	assert_int_equal(r.ngroups, 2);
	assert_string_equal(r.groups[0].key, "alice");
	assert_string_equal(r.groups[1].key, "bob");
	relay_report_free(&r);

	relay_report_init(&r, 0, 0, RELAY_REPORT_KB);
	story(&r);
	assert_int_equal(relay_report_finish(&r), 0);
	assert_string_equal(r.groups[0].key, "#4");
	assert_int_equal(r.groups[0].by_kb, 1);
	assert_string_equal(r.groups[1].key, "none");
	relay_report_free(&r);
}

static void test_window(void **state)
{
	struct relay_report r;

	(void)state;
	/* [1000, 1300): t1's resolution and t2's escalation; no opening, no breach. */
	relay_report_init(&r, 1000, 1300, RELAY_REPORT_TIER);
	story(&r);
	assert_int_equal(relay_report_finish(&r), 0);
	assert_int_equal(r.total.opened, 0);
	assert_int_equal(r.total.resolved, 1);
	assert_int_equal(r.total.escalations, 1);
	assert_int_equal(r.total.breaches, 0);
	assert_int_equal(r.stays[0], 2);
	assert_int_equal(r.stays[1], 0);
	relay_report_free(&r);
	assert_int_equal(relay_report_by_parse("kb"), RELAY_REPORT_KB);
	assert_int_equal(relay_report_by_parse(NULL), RELAY_REPORT_TOTAL);
	assert_int_equal(relay_report_by_parse("colour"), -1);
}

static void test_outputs(void **state)
{
	struct relay_report r;
	struct buf out;

	(void)state;
	relay_report_init(&r, 0, 0, RELAY_REPORT_TIER);
	story(&r);
	/* A record that does not parse changes nothing. */
	feed(&r, 3, 10, EVENT_ESCALATED, "x", "L1", "nonsense");
	assert_int_equal(relay_report_finish(&r), 0);
	buf_init(&out, 1u << 20);
	relay_report_csv(&r, &out);
	buf_put(&out, "", 1);
	assert_non_null(strstr((const char *)buf_ptr(&out), "\n\"L1\",1,1,1000,0,0,0,0,1\n"));
	assert_non_null(strstr((const char *)buf_ptr(&out), "\n\"L2\",1,1,2000,100,1,1,0,0\n"));
	buf_reset(&out);
	relay_report_html(&r, &out);
	buf_put(&out, "", 1);
	assert_non_null(strstr((const char *)buf_ptr(&out), "<svg"));
	assert_null(strstr((const char *)buf_ptr(&out), "<script"));
	buf_free(&out);
	relay_report_free(&r);
}

/* --since and --until: UTC days by arithmetic (timefmt.c), the month's length and leap years checked. */
static void test_days(void **state)
{
	int64_t t = -1;

	(void)state;
	assert_int_equal(timefmt_parse_day("1970-01-01", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(timefmt_parse_day("2026-12-03", &t), 0);
	assert_int_equal(t, 1796256000);
	assert_int_equal(timefmt_parse_day("2024-02-29", &t), 0);
	assert_int_equal(t, 1709164800);
	assert_int_equal(timefmt_parse_day("2000-02-29", &t), 0);
	assert_int_equal(timefmt_parse_day("2023-02-29", &t), -1);
	assert_int_equal(timefmt_parse_day("2100-02-29", &t), -1);
	assert_int_equal(timefmt_parse_day("2024-04-31", &t), -1);
	assert_int_equal(timefmt_parse_day("2026-13-01", &t), -1);
	assert_int_equal(timefmt_parse_day("1969-12-31", &t), -1);
	assert_int_equal(timefmt_parse_day("2026-1-01", &t), -1);
	assert_int_equal(timefmt_parse_day("2026-01-0x", &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_days),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
