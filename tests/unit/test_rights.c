/*
 * Rights: every action against every role and tier, from one table, with
 * the ticket owned by the asker, by someone else, or by nobody.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "relay.h"

enum owner { MINE, THEIRS, NOBODY };

struct rule {
	enum relay_role role;
	const char *tier;        /* the asker's tier ("" for auditors) */
	enum relay_action action;
	const char *ticket_tier; /* or the queue asked for */
	enum owner owner;
	const char *state;
	int allowed;
};

#define T RELAY_ROLE_TECH
#define A RELAY_ROLE_AUDITOR

static const struct rule rules[] = {
	/* open and read */
	{ T, "L1", RELAY_ACT_NEW, "L1", NOBODY, "open", 1 },
	{ A, "", RELAY_ACT_NEW, "L1", NOBODY, "open", 0 },
	{ T, "L1", RELAY_ACT_SHOW, "L3", THEIRS, "open", 1 },
	{ A, "", RELAY_ACT_SHOW, "L3", THEIRS, "open", 1 },
	/* queues up to one's tier */
	{ T, "L1", RELAY_ACT_QUEUE, "L1", NOBODY, "open", 1 },
	{ T, "L1", RELAY_ACT_QUEUE, "L2", NOBODY, "open", 0 },
	{ T, "L2", RELAY_ACT_QUEUE, "L1", NOBODY, "open", 1 },
	{ T, "L3", RELAY_ACT_QUEUE, "L3", NOBODY, "open", 1 },
	{ A, "", RELAY_ACT_QUEUE, "L3", NOBODY, "open", 1 },
	/* take: unowned, up to one's tier, not closed */
	{ T, "L1", RELAY_ACT_TAKE, "L1", NOBODY, "open", 1 },
	{ T, "L1", RELAY_ACT_TAKE, "L2", NOBODY, "escalated", 0 },
	{ T, "L1", RELAY_ACT_TAKE, "L3", NOBODY, "escalated", 0 },
	{ T, "L2", RELAY_ACT_TAKE, "L2", NOBODY, "escalated", 1 },
	{ T, "L2", RELAY_ACT_TAKE, "L3", NOBODY, "escalated", 0 },
	{ T, "L3", RELAY_ACT_TAKE, "L3", NOBODY, "escalated", 1 },
	{ T, "L3", RELAY_ACT_TAKE, "L1", NOBODY, "open", 1 },
	{ T, "L2", RELAY_ACT_TAKE, "L2", THEIRS, "open", 0 },
	{ T, "L2", RELAY_ACT_TAKE, "L2", MINE, "open", 1 },
	{ T, "L3", RELAY_ACT_TAKE, "L2", NOBODY, "resolved", 0 },
	{ A, "", RELAY_ACT_TAKE, "L1", NOBODY, "open", 0 },
	/* audit commands: auditors only, whatever the technician's tier or ownership */
	{ A, "", RELAY_ACT_AUDIT, "L3", THEIRS, "resolved", 1 },
	{ A, "", RELAY_ACT_AUDIT, "L1", NOBODY, "open", 1 },
	{ T, "L1", RELAY_ACT_AUDIT, "L1", MINE, "open", 0 },
	{ T, "L2", RELAY_ACT_AUDIT, "L2", NOBODY, "escalated", 0 },
	{ T, "L3", RELAY_ACT_AUDIT, "L3", MINE, "open", 0 },
	/* the knowledge base: the right is everyone's; which articles, the store's tier filter */
	{ T, "L1", RELAY_ACT_KB_READ, "L1", NOBODY, "open", 1 },
	{ T, "L3", RELAY_ACT_KB_WRITE, "L1", NOBODY, "open", 1 },
	{ T, "L1", RELAY_ACT_KB_WRITE, "L1", NOBODY, "open", 1 },
	{ A, "", RELAY_ACT_KB_READ, "L1", NOBODY, "open", 1 },
	{ A, "", RELAY_ACT_KB_WRITE, "L1", NOBODY, "open", 0 },
	/* reviews of P1/P2 incidents: L2 and L3 write them at or below their tier; auditors and L2/L3 list */
	{ T, "L1", RELAY_ACT_REVIEW, "L1", MINE, "resolved", 0 },
	{ T, "L2", RELAY_ACT_REVIEW, "L2", THEIRS, "resolved", 1 },
	{ T, "L2", RELAY_ACT_REVIEW, "L3", NOBODY, "resolved", 0 },
	{ T, "L3", RELAY_ACT_REVIEW, "L3", NOBODY, "open", 1 },
	{ T, "L3", RELAY_ACT_REVIEW, "L1", THEIRS, "closed", 0 },
	{ A, "", RELAY_ACT_REVIEW, "L1", NOBODY, "resolved", 0 },
	{ T, "L1", RELAY_ACT_REVIEW_LIST, "L1", NOBODY, "open", 0 },
	{ T, "L2", RELAY_ACT_REVIEW_LIST, "L1", NOBODY, "open", 1 },
	{ T, "L3", RELAY_ACT_REVIEW_LIST, "L1", NOBODY, "open", 1 },
	{ A, "", RELAY_ACT_REVIEW_LIST, "L1", NOBODY, "open", 1 },
	/* reopen and close: any technician whose tier reaches the ticket's; never a closed one; not auditors */
	{ T, "L1", RELAY_ACT_REOPEN, "L1", THEIRS, "resolved", 1 },
	{ T, "L1", RELAY_ACT_REOPEN, "L2", NOBODY, "resolved", 0 },
	{ T, "L2", RELAY_ACT_REOPEN, "L2", MINE, "resolved", 1 },
	{ T, "L3", RELAY_ACT_REOPEN, "L1", NOBODY, "closed", 0 },
	{ A, "", RELAY_ACT_REOPEN, "L1", NOBODY, "resolved", 0 },
	{ T, "L1", RELAY_ACT_CLOSE, "L1", MINE, "resolved", 1 },
	{ T, "L1", RELAY_ACT_CLOSE, "L3", NOBODY, "resolved", 0 },
	{ T, "L3", RELAY_ACT_CLOSE, "L3", THEIRS, "resolved", 1 },
	{ T, "L2", RELAY_ACT_CLOSE, "L2", MINE, "closed", 0 },
	{ A, "", RELAY_ACT_CLOSE, "L1", NOBODY, "resolved", 0 },
};

/* Owner-only actions, checked for every tier and both roles below. */
static const enum relay_action owner_only[] = {
	RELAY_ACT_CHAT, RELAY_ACT_NOTE, RELAY_ACT_ESCALATE, RELAY_ACT_RESOLVE, RELAY_ACT_INVITE, RELAY_ACT_VIEW,
	RELAY_ACT_TRIAGE, RELAY_ACT_WAIT,
};

static int check(enum relay_role role, const char *tier, enum relay_action action, const char *ticket_tier,
		 enum owner owner, const char *state)
{
	struct store_user me = { .id = 7 };
	struct store_ticket t = { .id = 42 };
	char why[256] = "";
	int rc;

	snprintf(me.name, sizeof(me.name), "me");
	snprintf(me.role, sizeof(me.role), "%s", role == A ? "auditor" : role == RELAY_ROLE_DESK ? "desk" : "tech");
	snprintf(me.tier, sizeof(me.tier), "%s", tier);
	snprintf(t.tier, sizeof(t.tier), "%s", ticket_tier);
	snprintf(t.state, sizeof(t.state), "%s", state);
	t.owner_id = owner == MINE ? 7 : owner == THEIRS ? 8 : 0;
	snprintf(t.owner, sizeof(t.owner), "%s", owner == MINE ? "me" : owner == THEIRS ? "other" : "");
	rc = relay_rights_check(role, &me, action, action == RELAY_ACT_NEW ? NULL : &t, why, sizeof(why));
	if (rc != 0 && why[0] == '\0')
		fail_msg("a refusal without a reason");
	return rc == 0;
}

static void test_rule_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];

		if (check(r->role, r->tier, r->action, r->ticket_tier, r->owner, r->state) != r->allowed)
			fail_msg("rule %zu: role %d tier %s action %d on %s ticket (%d, %s): expected %s", i, r->role,
				 r->tier, r->action, r->ticket_tier, r->owner, r->state, r->allowed ? "allowed" : "denied");
	}
}

static void test_owner_only_actions(void **state)
{
	static const char *const tiers[] = { "L1", "L2", "L3" };

	(void)state;
	for (size_t a = 0; a < sizeof(owner_only) / sizeof(owner_only[0]); a++) {
		for (size_t k = 0; k < 3; k++) {
			assert_true(check(T, tiers[k], owner_only[a], "L1", MINE, "open"));
			assert_true(check(T, tiers[k], owner_only[a], "L1", MINE, "in-session"));
			assert_false(check(T, tiers[k], owner_only[a], "L1", THEIRS, "open"));
			assert_false(check(T, tiers[k], owner_only[a], "L1", NOBODY, "escalated"));
			assert_false(check(T, tiers[k], owner_only[a], "L1", MINE, "resolved"));
			assert_false(check(T, tiers[k], owner_only[a], "L1", MINE, "closed"));
		}
		assert_false(check(A, "", owner_only[a], "L1", MINE, "open"));
		assert_false(check(RELAY_ROLE_CUSTOMER, "", owner_only[a], "L1", MINE, "open"));
	}
}

/* Which tickets need a review, and what a review lacks in words (close and resolve print them). */
static void test_review_words(void **state)
{
	(void)state;
	assert_true(relay_review_needed("P1"));
	assert_true(relay_review_needed("P2"));
	assert_false(relay_review_needed("P3"));
	assert_false(relay_review_needed("P4"));
	assert_false(relay_review_needed(NULL));
	assert_string_equal(relay_review_missing_words(false, false), "cause and prevention");
	assert_string_equal(relay_review_missing_words(true, false), "prevention");
	assert_string_equal(relay_review_missing_words(false, true), "cause");
	assert_string_equal(relay_review_missing_words(true, true), "");
}

static void test_sensitive(void **state)
{
	(void)state;
	assert_false(check(T, "L1", RELAY_ACT_NOTE_SENSITIVE, "L1", MINE, "open"));
	assert_true(check(T, "L2", RELAY_ACT_NOTE_SENSITIVE, "L2", MINE, "open"));
	assert_true(check(T, "L3", RELAY_ACT_NOTE_SENSITIVE, "L3", MINE, "open"));
	assert_false(check(T, "L3", RELAY_ACT_NOTE_SENSITIVE, "L3", THEIRS, "open"));
	/* Reading: below the clearance nothing, at or above it, and auditors always. */
	assert_true(relay_rights_can_read(T, "L1", ""));
	assert_false(relay_rights_can_read(T, "L1", "L2"));
	assert_true(relay_rights_can_read(T, "L2", "L2"));
	assert_false(relay_rights_can_read(T, "L2", "L3"));
	assert_true(relay_rights_can_read(T, "L3", "L3"));
	assert_true(relay_rights_can_read(A, "", "L3"));
	assert_false(relay_rights_can_read(RELAY_ROLE_CUSTOMER, "", "L2"));
}

/* The desk's system opens tickets and does nothing else, whatever the ticket's owner or state. */
static void test_desk_only_opens(void **state)
{
	static const enum owner owners[] = { NOBODY, MINE, THEIRS };
	static const char *const states[] = { "open", "in-session", "escalated", "resolved", "closed" };

	(void)state;
	for (int a = RELAY_ACT_NEW; a <= RELAY_ACT_CLOSE; a++)
		for (size_t o = 0; o < sizeof(owners) / sizeof(owners[0]); o++)
			for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++)
				if (check(RELAY_ROLE_DESK, "", (enum relay_action)a, "L1", owners[o], states[s]) !=
				    (a == RELAY_ACT_NEW))
					fail_msg("desk: action %d on a ticket (%d, %s): expected %s", a, owners[o],
						 states[s], a == RELAY_ACT_NEW ? "allowed" : "denied");
}

/* An account's stored role; one this relay does not know signs in as nothing. */
static void test_role_of_account(void **state)
{
	struct store_user u = { .id = 1 };

	(void)state;
	snprintf(u.role, sizeof(u.role), "tech");
	assert_int_equal(relay_role_of_account(&u), RELAY_ROLE_TECH);
	snprintf(u.role, sizeof(u.role), "auditor");
	assert_int_equal(relay_role_of_account(&u), RELAY_ROLE_AUDITOR);
	snprintf(u.role, sizeof(u.role), "desk");
	assert_int_equal(relay_role_of_account(&u), RELAY_ROLE_DESK);
	snprintf(u.role, sizeof(u.role), "admin");
	assert_int_equal(relay_role_of_account(&u), RELAY_ROLE_NONE);
	snprintf(u.role, sizeof(u.role), "%s", "");
	assert_int_equal(relay_role_of_account(&u), RELAY_ROLE_NONE);
}

static void test_tier_rank(void **state)
{
	(void)state;
	assert_int_equal(relay_tier_rank("L1"), 1);
	assert_int_equal(relay_tier_rank("L3"), 3);
	assert_int_equal(relay_tier_rank("L4"), 0);
	assert_int_equal(relay_tier_rank("L"), 0);
	assert_int_equal(relay_tier_rank("L22"), 0);
	assert_int_equal(relay_tier_rank(""), 0);
	assert_int_equal(relay_tier_rank(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test(test_owner_only_actions),
		cmocka_unit_test(test_sensitive),
		cmocka_unit_test(test_review_words),
		cmocka_unit_test(test_tier_rank),
		cmocka_unit_test(test_desk_only_opens),
		cmocka_unit_test(test_role_of_account),
	};
	return cmocka_run_group_tests_name("rights", tests, NULL, NULL);
}
