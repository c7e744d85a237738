/*
 * test_ledger.c: relay/ledger.c, a ticket's row replayed from its events:
 * the opened-as record gives tier, priority, owner and summary; taken,
 * escalated, resolved and owner-removed move them; a row that differs is
 * named column by column ("the table says owner bob, the chain says
 * alice"); open and in-session are one phase; a row no record opens, and
 * tickets from before opened-as, compare only what the chain says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ledger.h"

static void feed(struct relay_ledger *l, const char *kind, const char *actor, const char *detail)
{
	struct store_event e = { .kind = kind, .actor = actor, .role = "", .clearance = "", .detail = detail };

	relay_ledger_event(l, &e);
}

static void row(struct store_ticket *t, const char *state, const char *tier, const char *prio, int64_t owner_id,
		const char *owner, const char *summary)
{
	memset(t, 0, sizeof(*t));
	t->id = 7;
	snprintf(t->state, sizeof(t->state), "%s", state);
	snprintf(t->tier, sizeof(t->tier), "%s", tier);
	snprintf(t->priority, sizeof(t->priority), "%s", prio);
	t->owner_id = owner_id;
	snprintf(t->owner, sizeof(t->owner), "%s", owner);
	snprintf(t->summary, sizeof(t->summary), "%s", summary);
}

static void opened(struct relay_ledger *l, const char *owner)
{
	char d[256];

	relay_ledger_init(l);
	feed(l, "created", "alice", "Printer jams");
	relay_ledger_opened_as(d, sizeof(d), "L1", "P2", owner, "Printer jams");
	feed(l, EVENT_OPENED_AS, "alice", d);
}

static void test_story_matches(void **state)
{
	struct relay_ledger l;
	struct store_ticket t;
	char out[512];

	(void)state;
	opened(&l, "alice");
	row(&t, "in-session", "L1", "P2", 3, "alice", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 0);
	feed(&l, "escalated", "alice", "L1 -> L2: driver broken");
	row(&t, "escalated", "L2", "P2", 0, "", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 0);
	feed(&l, "taken", "bob", "");
	row(&t, "open", "L2", "P2", 4, "bob", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 0);
	feed(&l, "resolved", "bob", "patched");
	row(&t, "resolved", "L2", "P2", 4, "bob", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 0);
	feed(&l, "owner-removed", "operator", "bob was removed");
	row(&t, "resolved", "L2", "P2", 0, "", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 0);
}

static void test_differences_named(void **state)
{
	struct relay_ledger l;
	struct store_ticket t;
	char out[1024];

	(void)state;
	opened(&l, "alice");
	row(&t, "open", "L1", "P2", 5, "bob", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 1);
	assert_string_equal(out, "ticket 7: the table says owner bob, the chain says alice");
	row(&t, "resolved", "L3", "P1", 3, "alice", "Nothing happened");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 4);
	assert_non_null(strstr(out, "ticket 7: the table says tier L3, the chain says L1"));
	assert_non_null(strstr(out, "ticket 7: the table says priority P1, the chain says P2"));
	assert_non_null(strstr(out, "ticket 7: the table says state resolved, the chain says open"));
	assert_non_null(strstr(out, "summary"));
	/* An owner_id whose user is gone, and nobody. */
	row(&t, "open", "L1", "P2", 99, "", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 1);
	assert_string_equal(out, "ticket 7: the table says owner #99, the chain says alice");
	opened(&l, NULL);
	row(&t, "open", "L1", "P2", 3, "alice", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 1);
	assert_string_equal(out, "ticket 7: the table says owner alice, the chain says nobody");
	/* Control bytes in the table never reach the line. */
	row(&t, "open", "L\x1b", "P2", 0, "", "Printer jams");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 1);
	assert_null(strchr(out, '\x1b'));
}

static void test_unopened_and_old(void **state)
{
	struct relay_ledger l;
	struct store_ticket t;
	char out[512];

	(void)state;
	relay_ledger_init(&l);
	row(&t, "open", "L1", "P2", 0, "", "Invented");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "no record of the chain opens it"));
	/* Before opened-as: only the summary, then what escalated and taken set. */
	feed(&l, "created", "alice", "Old ticket");
	row(&t, "open", "L3", "P1", 9, "zed", "Old ticket");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 0);
	feed(&l, "taken", "bob", "");
	assert_int_equal(relay_ledger_compare(&l, &t, out, sizeof(out)), 1);
	/* A malformed record that sets state is itself a finding. */
	feed(&l, "escalated", "bob", "garbage");
	assert_true(relay_ledger_compare(&l, &t, out, sizeof(out)) >= 1);
	assert_non_null(strstr(out, "unreadable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story_matches),
		cmocka_unit_test(test_differences_named),
		cmocka_unit_test(test_unopened_and_old),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
