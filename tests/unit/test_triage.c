/*
 * triage: the matrix rows and checklists relay.conf holds (relay/triage.c),
 * and the triaged detail the ledger reads back (relay/ledger.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ledger.h"
#include "triage.h"

static void test_default_matrix(void **state)
{
	struct relay_triage_matrix m;
	static const char *const want[3][3] = { { "P1", "P2", "P3" }, { "P2", "P3", "P4" }, { "P3", "P4", "P4" } };

	(void)state;
	relay_triage_default(&m);
	for (int i = 0; i < 3; i++)
		for (int u = 0; u < 3; u++)
			assert_string_equal(relay_triage_priority(&m, i, u), want[i][u]);
	assert_null(relay_triage_priority(&m, 3, 0));
	assert_null(relay_triage_priority(&m, 0, -1));
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(relay_triage_level("high"), 0);
	assert_int_equal(relay_triage_level("medium"), 1);
	assert_int_equal(relay_triage_level("low"), 2);
	assert_int_equal(relay_triage_level("High"), -1);
	assert_int_equal(relay_triage_level("critical"), -1);
	assert_int_equal(relay_triage_level(""), -1);
	assert_int_equal(relay_triage_level(NULL), -1);
	assert_string_equal(relay_triage_level_name(1), "medium");
}

static void test_row_parse(void **state)
{
	struct relay_triage_matrix m, before;
	char why[256];

	(void)state;
	relay_triage_default(&m);
	assert_int_equal(relay_triage_row_parse(&m, 2, "  P4\tP4 P4 ", why, sizeof(why)), 0);
	assert_string_equal(relay_triage_priority(&m, 2, 0), "P4");
	assert_string_equal(relay_triage_priority(&m, 1, 0), "P2");
	before = m;
	assert_int_equal(relay_triage_row_parse(&m, 0, "P1 P2", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "got 2"));
	assert_int_equal(relay_triage_row_parse(&m, 0, "P1 P2 P3 P4", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "got more"));
	assert_int_equal(relay_triage_row_parse(&m, 0, "P1 P5 P3", why, sizeof(why)), -1);
	assert_string_equal(why, "expected P1, P2, P3 or P4, got \"P5\"");
	assert_int_equal(relay_triage_row_parse(&m, 0, "P1 p2 P3", why, sizeof(why)), -1);
	assert_int_equal(relay_triage_row_parse(&m, 0, "P1 P22 P3", why, sizeof(why)), -1);
	assert_int_equal(relay_triage_row_parse(&m, 0, "", why, sizeof(why)), -1);
	assert_int_equal(relay_triage_row_parse(&m, 3, "P1 P1 P1", why, sizeof(why)), -1);
	assert_memory_equal(&m, &before, sizeof(m));
}

static void test_checklist(void **state)
{
	struct relay_checklist c;
	bool filled[RELAY_CHECKLIST_MAX] = { false };
	char why[256], missing[256];

	(void)state;
	assert_int_equal(relay_checklist_parse(&c, " error-text, started ,tried,impact,", why, sizeof(why)), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.field[1], "started");
	assert_int_equal(relay_checklist_find(&c, "impact"), 3);
	assert_int_equal(relay_checklist_find(&c, "impac"), -1);
	assert_int_equal(relay_checklist_missing(&c, filled, missing, sizeof(missing)), 4);
	assert_string_equal(missing, "error-text, started, tried, impact");
	filled[0] = filled[3] = true;
	assert_int_equal(relay_checklist_missing(&c, filled, missing, sizeof(missing)), 2);
	assert_string_equal(missing, "started, tried");
	/* Cut short, still counted. */
	assert_int_equal(relay_checklist_missing(&c, filled, missing, 5), 2);
	assert_int_equal(strlen(missing), 4);

	assert_int_equal(relay_checklist_parse(&c, NULL, why, sizeof(why)), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(relay_checklist_parse(&c, " , ,", why, sizeof(why)), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(relay_checklist_parse(&c, "error text", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "\"error text\" is not a field name"));
	assert_int_equal(relay_checklist_parse(&c, "a, b, a", why, sizeof(why)), -1);
	assert_string_equal(why, "\"a\" is named twice");
	assert_int_equal(relay_checklist_parse(&c, "a,b,c,d,e,f,g,h,i", why, sizeof(why)), -1);
	assert_string_equal(why, "at most 8 fields");
	assert_int_equal(relay_checklist_parse(&c, "Error", why, sizeof(why)), -1);
	assert_int_equal(relay_checklist_parse(&c, "abcdefghijabcdefghijabcdefghijab", why, sizeof(why)), -1);
	assert_int_equal(relay_checklist_parse(&c, "abcdefghijabcdefghijabcdefghija", why, sizeof(why)), 0);
	assert_true(relay_triage_field_ok("error-text"));
	assert_false(relay_triage_field_ok(""));
	assert_false(relay_triage_field_ok("a b"));
}

static void test_ledger_reads_triage(void **state)
{
	struct relay_ledger l;
	struct store_event e = { .kind = EVENT_TRIAGED, .actor = "alice", .role = "L1", .clearance = "" };
	char detail[96];

	(void)state;
	relay_ledger_init(&l);
	relay_ledger_triaged(detail, sizeof(detail), "high", "medium", "P3", "P2");
	assert_string_equal(detail, "impact high, urgency medium: P3 -> P2");
	e.detail = detail;
	relay_ledger_event(&l, &e);
	assert_true(l.priority_known);
	assert_string_equal(l.priority, "P2");
	assert_false(l.bad_record);
	e.detail = "impact high, urgency medium: P3 -> P7";
	relay_ledger_event(&l, &e);
	assert_true(l.bad_record);
	relay_ledger_init(&l);
	e.detail = "P1";
	relay_ledger_event(&l, &e);
	assert_true(l.bad_record);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_matrix),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_row_parse),
		cmocka_unit_test(test_checklist),
		cmocka_unit_test(test_ledger_reads_triage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
