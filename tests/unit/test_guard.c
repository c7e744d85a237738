/*
 * The code guard (relay/guard.c): per-source back-off, the global cap, the
 * audit events both write, and an in-process attacker: a million guesses
 * against a store holding 1,000 live codes, through relay_code_check, the
 * same function the relay's keyboard-interactive handler calls. The clock
 * is simulated (the million guesses are spread over the codes' 10 minutes),
 * so the test takes seconds, not minutes, even under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "code.h"
#include "guard.h"
#include "store.h"
#include "teststore.h"

#define T0 1000000
/* relay_code_check's verdict, the call itself having worked. */
static int code_verdict(struct relay_guard *g, struct store *st, const uint8_t *key, size_t key_len, const char *peer,
			const char *typed, int64_t now, int64_t *ticket)
{
	int verdict = -1;

	assert_int_equal(relay_code_check(g, st, key, key_len, peer, typed, now, &verdict, ticket), STORE_OK);
	return verdict;
}

static const uint8_t pepper[32] = { 7, 7, 7 };

struct fixture {
	struct teststore ts;
	struct store *st;
	struct relay_guard *g;
	int64_t ticket;
};

static struct fixture *fixture_new(unsigned long backoff_max, unsigned long per_minute)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	struct store_ticket_spec spec = { .summary = "Printer", .priority = "P3", .tier = "L1" };

	assert_non_null(f);
	assert_int_equal(teststore_make(&f->ts), 0);
	assert_int_equal(store_open(f->ts.spec, &f->st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_ticket_new(f->st, &spec, T0, &f->ticket), STORE_OK);
	f->g = relay_guard_new(&(struct relay_guard_config){ .backoff_max = backoff_max,
							     .failures_per_minute = per_minute });
	assert_non_null(f->g);
	return f;
}

static void fixture_free(struct fixture *f)
{
	relay_guard_free(f->g);
	store_close(f->st);
	teststore_drop(&f->ts);
	free(f);
}

/* Issues a code for ticket, as `invite` does; text gets it. */
static void issue_code(struct fixture *f, int64_t ticket, char text[CODE_TEXT_MAX])
{
	char digits[CODE_DIGITS + 1];
	uint8_t hash[CODE_HASH_LEN];

	for (int tries = 0; tries < 100; tries++) {
		assert_int_equal(code_generate(text), 0);
		assert_int_equal(code_parse(text, digits), 0);
		assert_int_equal(code_hash(pepper, sizeof(pepper), digits, hash), 0);
		int rc = store_code_add(f->st, ticket, code_locator(digits), hash, T0, T0 + CODE_TTL_DEFAULT, NULL);

		if (rc == STORE_OK)
			return;
		assert_int_equal(rc, STORE_ERR_EXISTS);
	}
	fail_msg("no free locator");
}

static int count_event(const struct store_event *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

static int events_of(struct fixture *f, int64_t ticket, const char *kind)
{
	int n = 0;

	assert_int_equal(store_events(f->st, ticket, kind, count_event, &n), STORE_OK);
	return n;
}

static void test_source_names(void **state)
{
	char s[RELAY_GUARD_SOURCE_MAX];

	(void)state;
	relay_guard_source("192.0.2.7", s);
	assert_string_equal(s, "192.0.2.7");
	relay_guard_source("2001:db8:1:2:aaaa:bbbb:cccc:dddd", s);
	assert_string_equal(s, "2001:db8:1:2::/64");
	relay_guard_source("2001:db8:1:2::1", s);
	assert_string_equal(s, "2001:db8:1:2::/64");
	relay_guard_source("conn-4", s);
	assert_string_equal(s, "conn-4");
}

/* 1, 2, 4, 8 s after each wrong code, capped, and forgotten after a right one. */
static void test_backoff_doubles(void **state)
{
	struct relay_guard *g = relay_guard_new(&(struct relay_guard_config){ .backoff_max = 8,
									       .failures_per_minute = 1000 });
	char audit[160];
	int64_t wait, now = T0;
	int capped;
	const int64_t expect[] = { 1, 2, 4, 8, 8, 8 };

	(void)state;
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_int_equal(relay_guard_admit(g, "198.51.100.1", now, &wait), 0);
		assert_int_equal(relay_guard_failed(g, "198.51.100.1", now, &capped, audit, sizeof(audit)),
				 i + 1 >= RELAY_GUARD_AUDIT_FROM);
		assert_int_equal(capped, 0);
		assert_int_equal(relay_guard_admit(g, "198.51.100.1", now, &wait), RELAY_CODE_BACKOFF);
		assert_int_equal(wait, expect[i]);
		/* Another source is not slowed down. */
		assert_int_equal(relay_guard_admit(g, "198.51.100.2", now, &wait), 0);
		assert_int_equal(relay_guard_admit(g, "198.51.100.1", now + expect[i] - 1, &wait), RELAY_CODE_BACKOFF);
		now += expect[i];
	}
	assert_non_null(strstr(audit, "198.51.100.1: 6 wrong codes"));
	relay_guard_succeeded(g, "198.51.100.1");
	assert_int_equal(relay_guard_failed(g, "198.51.100.1", now, &capped, audit, sizeof(audit)), 0);
	assert_int_equal(relay_guard_admit(g, "198.51.100.1", now, &wait), RELAY_CODE_BACKOFF);
	assert_int_equal(wait, 1);
	/* An hour of quiet starts afresh. */
	for (int i = 0; i < 5; i++)
		relay_guard_failed(g, "198.51.100.3", now, &capped, audit, sizeof(audit));
	assert_int_equal(relay_guard_failed(g, "198.51.100.3", now + RELAY_GUARD_FORGET, &capped, audit,
					    sizeof(audit)), 0);
	relay_guard_free(g);
}

/*
 * The global cap: the 5th wrong code in a minute closes it for sources
 * that guessed wrong twice, until the window has room; a source with at
 * most one wrong code is still checked, until the window holds 4 times
 * the cap; then it closes for everyone.
 */
static void test_global_cap(void **state)
{
	struct relay_guard *g = relay_guard_new(&(struct relay_guard_config){ .backoff_max = 1,
									       .failures_per_minute = 5 });
	char audit[160], src[32];
	int64_t wait;
	int capped, closings = 0;

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(src, sizeof(src), "203.0.113.%d", i % 2);
		assert_int_equal(relay_guard_admit(g, src, T0 + 2 * i, &wait), 0);
		relay_guard_failed(g, src, T0 + 2 * i, &capped, audit, sizeof(audit));
		closings += capped;
	}
	assert_int_equal(closings, 1);
	/* 203.0.113.0 and .1 guessed wrong 3 and 2 times: held back. */
	assert_int_equal(relay_guard_admit(g, "203.0.113.1", T0 + 10, &wait), RELAY_CODE_CAPPED);
	/* The first failure (at T0) leaves the window at T0 + 60. */
	assert_int_equal(wait, 50);
	assert_int_equal(relay_guard_admit(g, "203.0.113.1", T0 + 59, &wait), RELAY_CODE_CAPPED);
	assert_int_equal(relay_guard_admit(g, "203.0.113.1", T0 + 60, &wait), 0);
	/* A new address is checked, and so is one with a single typo. */
	assert_int_equal(relay_guard_admit(g, "203.0.113.99", T0 + 10, &wait), 0);
	relay_guard_failed(g, "203.0.113.99", T0 + 10, &capped, audit, sizeof(audit));
	assert_int_equal(relay_guard_admit(g, "203.0.113.99", T0 + 12, &wait), 0);
	relay_guard_failed(g, "203.0.113.99", T0 + 12, &capped, audit, sizeof(audit));
	assert_int_equal(relay_guard_admit(g, "203.0.113.99", T0 + 14, &wait), RELAY_CODE_CAPPED);
	/* 7 wrong codes now; fresh addresses fill the window up to 20, then nobody is checked. */
	for (int i = 0; i < 13; i++) {
		snprintf(src, sizeof(src), "198.18.0.%d", i);
		assert_int_equal(relay_guard_admit(g, src, T0 + 20, &wait), 0);
		relay_guard_failed(g, src, T0 + 20, &capped, audit, sizeof(audit));
	}
	assert_int_equal(relay_guard_admit(g, "198.18.1.1", T0 + 21, &wait), RELAY_CODE_CAPPED);
	/* Room again for new addresses once the first failures (T0, T0 + 2) leave the window. */
	assert_int_equal(relay_guard_admit(g, "198.18.1.1", T0 + 61, &wait), 0);
	relay_guard_free(g);
}

/*
 * The lockout of issue 14: 30 addresses push 120 wrong codes in 25 s into
 * a relay with the default cap (120 a minute). The customer's right code,
 * from their own address, still works; the same code from a guessing
 * address is not checked.
 */
static void test_cap_spares_the_customer(void **state)
{
	struct fixture *f = fixture_new(300, 120);
	char code[CODE_TEXT_MAX], peer[32];
	int64_t ticket = 0, now = T0;
	int wrong = 0;

	(void)state;
	issue_code(f, f->ticket, code);
	/* Rounds at 0, 1, 3, 7 s meet each source's back-off; the rest of the 25 s is slack. */
	for (int round = 0; round < 4; round++) {
		now = T0 + (1 << round) - 1;
		for (int i = 0; i < 30; i++) {
			snprintf(peer, sizeof(peer), "198.51.100.%d", i);
			int rc = code_verdict(f->g, f->st, pepper, sizeof(pepper), peer, "9999-1234-5678", now,
						  &ticket);

			assert_true(rc == STORE_CODE_UNKNOWN || rc == RELAY_CODE_CAPPED);
			wrong += rc == STORE_CODE_UNKNOWN;
		}
	}
	assert_int_equal(wrong, 120);
	assert_int_equal(events_of(f, 0, "code-cap"), 1);
	now = T0 + 24;
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "198.51.100.7", code, now, &ticket),
			 RELAY_CODE_CAPPED);
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.50", code, now, &ticket),
			 STORE_CODE_ACCEPTED);
	assert_int_equal(ticket, f->ticket);
	fixture_free(f);
}

/* The guard in front of the store: a right code works, but not while its source waits. */
static void test_code_check_path(void **state)
{
	struct fixture *f = fixture_new(4, 100);
	char code[CODE_TEXT_MAX], wrong[CODE_TEXT_MAX];
	int64_t ticket = 0;

	(void)state;
	issue_code(f, f->ticket, code);
	/* Same locator, another secret: counted against the code and the source. */
	snprintf(wrong, sizeof(wrong), "%s", code);
	wrong[13] = wrong[13] == '0' ? '1' : '0';
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.1", wrong, T0, &ticket),
			 STORE_CODE_WRONG);
	assert_int_equal(events_of(f, f->ticket, "code-refused"), 1);
	/* The right one right after is not even checked. */
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.1", code, T0, &ticket),
			 RELAY_CODE_BACKOFF);
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.1", code, T0 + 1, &ticket),
			 STORE_CODE_ACCEPTED);
	assert_int_equal(ticket, f->ticket);
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.1", code, T0 + 1, &ticket),
			 STORE_CODE_USED);
	/* Garbage is a wrong code too, and never reaches the store. */
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.9", "12ab", T0, &ticket),
			 STORE_CODE_UNKNOWN);
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.9", NULL, T0 + 1, &ticket),
			 STORE_CODE_UNKNOWN);
	fixture_free(f);
}

/* xorshift64*: the attacker's guesses, reproducible. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

struct attack {
	uint64_t guesses, accepted, checked_wrong, not_checked;
	double seconds;
};

/*
 * guesses spread evenly over the codes' lifetime from sources distinct
 * addresses; every tenth guess names a live code's locator (the locators
 * are public to anyone who saw a code), the rest are random.
 */
static void run_attack(struct fixture *f, const unsigned *locators, size_t nlocators, uint64_t guesses,
		       unsigned sources, int64_t seconds, struct attack *a)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct timespec t0, t1;

	memset(a, 0, sizeof(*a));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < guesses; i++) {
		const int64_t now = T0 + (int64_t)(i * (uint64_t)seconds / guesses);
		const unsigned src = (unsigned)(i % sources);
		uint64_t r = next_rand(&seed);
		unsigned locator = (i % 10 == 0) ? locators[r % nlocators] : (unsigned)(r % 10000);
		char peer[32], typed[CODE_DIGITS + 1];
		int64_t ticket = 0;
		int rc;

		snprintf(peer, sizeof(peer), "10.%u.%u.%u", (src >> 16) & 255, (src >> 8) & 255, src & 255);
		snprintf(typed, sizeof(typed), "%04u%08u", locator, (unsigned)(next_rand(&seed) % 100000000u));
		rc = code_verdict(f->g, f->st, pepper, sizeof(pepper), peer, typed, now, &ticket);
		assert_true(rc >= 0);
		if (rc == STORE_CODE_ACCEPTED)
			a->accepted++;
		else if (rc == RELAY_CODE_BACKOFF || rc == RELAY_CODE_CAPPED)
			a->not_checked++;
		else
			a->checked_wrong++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	a->guesses = guesses;
	a->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Issues n codes, each for a ticket of its own; fills locators and codes. */
static void issue_codes(struct fixture *f, int n, unsigned *locators, char (*codes)[CODE_TEXT_MAX])
{
	for (int i = 0; i < n; i++) {
		struct store_ticket_spec spec = { .summary = "case", .priority = "P3", .tier = "L1" };
		char digits[CODE_DIGITS + 1];
		int64_t id;

		assert_int_equal(store_ticket_new(f->st, &spec, T0, &id), STORE_OK);
		issue_code(f, id, codes[i]);
		assert_int_equal(code_parse(codes[i], digits), 0);
		locators[i] = code_locator(digits);
	}
}

/*
 * A million guesses from 50,000 addresses over 8 of the codes' 10 minutes,
 * against 1,000 live codes, with the relay's defaults (back-off up to
 * 300 s, 120 wrong codes a minute): no session.
 */
static void test_million_guesses_no_session(void **state)
{
	struct fixture *f = fixture_new(300, 120);
	static unsigned locators[1000];
	static char codes[1000][CODE_TEXT_MAX];
	struct relay_guard_stats stats;
	struct attack a;
	int worked = 0, dead = 0;

	(void)state;
	issue_codes(f, 1000, locators, codes);
	run_attack(f, locators, 1000, 1000000, 50000, 480, &a);
	relay_guard_stats(f->g, &stats);
	print_message("attacker: %llu guesses from 50000 sources in %.2f s (%.0f guesses/s): %llu checked, "
		      "%llu not checked (%llu back-off, %llu cap), %llu accepted, %llu audit events\n",
		      (unsigned long long)a.guesses, a.seconds, (double)a.guesses / a.seconds,
		      (unsigned long long)a.checked_wrong, (unsigned long long)a.not_checked,
		      (unsigned long long)stats.backoff, (unsigned long long)stats.capped,
		      (unsigned long long)a.accepted, (unsigned long long)stats.audited);
	assert_int_equal(a.accepted, 0);
	assert_int_equal(a.guesses, a.checked_wrong + a.not_checked);
	/*
	 * The cap is the bound: at most 4 x 120 a minute reach the store (every
	 * one of the 50,000 addresses is new for its first guesses, so the
	 * addresses without wrong codes use up their share of the cap too).
	 */
	assert_true(stats.checked <= 4 * 120 * 9);
	assert_true(stats.checked >= 120 * 7);
	assert_true(events_of(f, 0, "code-cap") >= 7);
	/* The audit trail grows with the cap, not with the guesses. */
	assert_true(stats.audited <= 120 * 9 + 20);

	/*
	 * The harness does see a session when there is one: a minute after the
	 * attack, customers (each from an address of their own) get in with
	 * their live codes. Codes whose locator the attacker hit 5 times are
	 * dead: the denial of service the cap keeps small.
	 */
	for (int i = 0; i < 1000; i++) {
		char peer[32];
		int64_t ticket = 0;
		int rc;

		snprintf(peer, sizeof(peer), "192.0.%d.%d", i / 250, i % 250);
		rc = code_verdict(f->g, f->st, pepper, sizeof(pepper), peer, codes[i], T0 + 540, &ticket);
		if (rc == STORE_CODE_ACCEPTED)
			worked++;
		else if (rc == STORE_CODE_LOCKED)
			dead++;
		else
			fail_msg("code %d: %s", i, relay_code_result_name(rc));
	}
	print_message("after the attack: %d of 1000 codes still work, %d were locked by wrong tries\n", worked,
		      dead);
	assert_true(worked >= 900);
	fixture_free(f);
}

/* One address alone: the back-off holds it to a dozen checks, whatever its speed. */
static void test_one_source_is_held_back(void **state)
{
	struct fixture *f = fixture_new(300, 120);
	unsigned locators[10];
	char codes[10][CODE_TEXT_MAX];
	struct relay_guard_stats stats;
	struct attack a;

	(void)state;
	issue_codes(f, 10, locators, codes);
	run_attack(f, locators, 10, 1000000, 1, 480, &a);
	relay_guard_stats(f->g, &stats);
	assert_int_equal(a.accepted, 0);
	/* 1+2+4+...+256 = 511 s: 9 checks fit in 480 s, and the first. */
	assert_true(stats.checked <= 10);
	assert_true(events_of(f, 0, "code-backoff") >= 1);
	assert_int_equal(events_of(f, 0, "code-cap"), 0);
	fixture_free(f);
}

/* A live code for the fixture's ticket, and the same code with its last digit changed. */
static void issue_code_and_wrong(struct fixture *f, char code[CODE_TEXT_MAX], char wrong[CODE_TEXT_MAX])
{
	issue_code(f, f->ticket, code);
	snprintf(wrong, CODE_TEXT_MAX, "%s", code);
	wrong[13] = wrong[13] == '9' ? '0' : (char)(wrong[13] + 1);
}

/*
 * Two relays on one store (two guards, one store): a source's wrong code
 * through one makes it wait on the other, unchecked; the code's tries are
 * counted once for both, so 5 split between them lock it; a right code
 * through either forgets the source on both.
 */
static void test_two_relays_one_store(void **state)
{
	struct fixture *f = fixture_new(300, 120);
	struct relay_guard *b = relay_guard_new(&(struct relay_guard_config){ .backoff_max = 300, .failures_per_minute = 120 });
	char code[CODE_TEXT_MAX], wrong[CODE_TEXT_MAX];
	int64_t ticket = 0, t = T0;

	(void)state;
	assert_non_null(b);
	issue_code_and_wrong(f, code, wrong);
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.9", wrong, t, &ticket), STORE_CODE_WRONG);
	/* Relay b has never seen the source: the store holds it back. */
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.9", wrong, t, &ticket), RELAY_CODE_BACKOFF);
	/* Four more, alternating, each once the wait (1, 2, 4, 8 s) is over. */
	for (int i = 1; i < CODE_MAX_FAILURES; i++) {
		t += 1 << (i - 1);
		assert_int_equal(code_verdict(i % 2 ? b : f->g, f->st, pepper, sizeof(pepper), "192.0.2.9", wrong, t, &ticket),
				 STORE_CODE_WRONG);
	}
	t += 1 << (CODE_MAX_FAILURES - 1);
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.9", code, t, &ticket), STORE_CODE_LOCKED);
	/* A customer elsewhere with a right code: accepted through b, and forgotten on a too. */
	issue_code(f, f->ticket, code);
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "198.51.100.1", code, t, &ticket), STORE_CODE_ACCEPTED);
	relay_guard_free(b);
	fixture_free(f);
}

/*
 * A relay trusts what it read of the store for the rest of that second
 * only: a source relay b holds back is let in from the next second once
 * the store forgets it (a right code through another relay clears the
 * store's row; here store_source_clear stands for it), and within the
 * second it is refused without a store round trip.
 */
static void test_store_view_lasts_a_second(void **state)
{
	struct fixture *f = fixture_new(300, 120);
	struct relay_guard *b = relay_guard_new(&(struct relay_guard_config){ .backoff_max = 300, .failures_per_minute = 120 });
	char code[CODE_TEXT_MAX], wrong[CODE_TEXT_MAX];
	int64_t ticket = 0, t = T0;

	(void)state;
	assert_non_null(b);
	issue_code_and_wrong(f, code, wrong);
	/* Three wrong codes through b, each after its wait: the source now waits 4 s. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.7", wrong, t, &ticket),
				 STORE_CODE_WRONG);
		t += 1 << i;
	}
	t -= 4;
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.7", code, t + 1, &ticket),
			 RELAY_CODE_BACKOFF);
	assert_int_equal(store_source_clear(f->st, "192.0.2.7"), STORE_OK);
	/* The same second: b's view of the store, read at t + 1, still holds the source back. */
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.7", code, t + 1, &ticket),
			 RELAY_CODE_BACKOFF);
	/* The next second b asks the store again, which forgot the source: the right code works. */
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.7", code, t + 2, &ticket),
			 STORE_CODE_ACCEPTED);

	/*
	 * A helper's resume token always asks the store: held back by b's view
	 * of this second, then forgotten by the store, the token still gets in
	 * within the same second (its relay just died; a refusal ends the session).
	 */
	{
		const char *token = "0123456789abcdef0123456789abcdef";
		char typed[64];
		uint8_t hash[CODE_HASH_LEN];
		int verdict = -1;
		bool resumed = false;

		snprintf(typed, sizeof(typed), RESUME_ANSWER_PREFIX "%s", token);
		assert_int_equal(resume_token_hash(token, hash), 0);
		assert_int_equal(store_resume_set(f->st, f->ticket, hash, t + 2), STORE_OK);
		t += 10;
		/* Three checked wrong codes (the code they name is spent by now), each after its wait. */
		for (int i = 0; i < 3; i++) {
			const int v = code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.8", wrong, t, &ticket);

			assert_true(v != STORE_CODE_ACCEPTED && v != RELAY_CODE_BACKOFF && v != RELAY_CODE_CAPPED);
			t += 1 << i;
		}
		t -= 4;
		assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.8", wrong, t + 1, &ticket),
				 RELAY_CODE_BACKOFF);
		assert_int_equal(store_source_clear(f->st, "192.0.2.8"), STORE_OK);
		assert_int_equal(relay_customer_check(b, f->st, pepper, NULL, sizeof(pepper), "192.0.2.8", typed, t + 1,
						      &verdict, &ticket, NULL, &resumed),
				 STORE_OK);
		assert_int_equal(verdict, STORE_CODE_ACCEPTED);
		assert_true(resumed);
		assert_int_equal(ticket, f->ticket);
	}
	relay_guard_free(b);
	fixture_free(f);
}

/*
 * The global cap over two relays of one store (issue 18: an attacker cannot
 * multiply its tries by the number of relays): wrong codes counted through
 * relay a close the cap on relay b for a source that guessed wrong, fresh
 * addresses through b fill the same window until a checks nobody, and the
 * window's seconds leave it on both.
 */
static void test_cap_across_relays(void **state)
{
	struct fixture *f = fixture_new(300, 5);
	struct relay_guard *b = relay_guard_new(&(struct relay_guard_config){ .backoff_max = 300, .failures_per_minute = 5 });
	const char *wrong = "9999-1234-5678";
	char peer[32];
	int64_t ticket = 0;

	(void)state;
	assert_non_null(b);
	/* 192.0.2.9 guesses wrong on a, then on b once its 1 s back-off is over: two wrong codes. */
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.9", wrong, T0, &ticket), STORE_CODE_UNKNOWN);
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.9", wrong, T0 + 1, &ticket), STORE_CODE_UNKNOWN);
	/* Three more through a: the store's minute holds 5, the cap. */
	for (int i = 0; i < 3; i++) {
		snprintf(peer, sizeof(peer), "203.0.113.%d", i);
		assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), peer, wrong, T0 + 1, &ticket),
				 STORE_CODE_UNKNOWN);
	}
	/* b counted one of the five itself; a cap of its own would check the guesser again. */
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "192.0.2.9", wrong, T0 + 3, &ticket), RELAY_CODE_CAPPED);
	/* A fresh address is still checked, on either relay, up to 4 times the cap between them. */
	for (int i = 0; i < 15; i++) {
		snprintf(peer, sizeof(peer), "198.18.0.%d", i);
		assert_int_equal(code_verdict(i % 2 ? f->g : b, f->st, pepper, sizeof(pepper), peer, wrong, T0 + 4, &ticket),
				 STORE_CODE_UNKNOWN);
	}
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "198.18.1.1", wrong, T0 + 5, &ticket), RELAY_CODE_CAPPED);
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "198.18.1.1", wrong, T0 + 5, &ticket), RELAY_CODE_CAPPED);
	/* A minute after the last of them the window is empty: the guesser is checked again, on either relay. */
	assert_int_equal(code_verdict(f->g, f->st, pepper, sizeof(pepper), "192.0.2.9", wrong, T0 + 65, &ticket), STORE_CODE_UNKNOWN);
	assert_int_equal(code_verdict(b, f->st, pepper, sizeof(pepper), "198.18.1.1", wrong, T0 + 65, &ticket), STORE_CODE_UNKNOWN);
	relay_guard_free(b);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_names),
		cmocka_unit_test(test_backoff_doubles),
		cmocka_unit_test(test_global_cap),
		cmocka_unit_test(test_cap_spares_the_customer),
		cmocka_unit_test(test_code_check_path),
		cmocka_unit_test(test_million_guesses_no_session),
		cmocka_unit_test(test_one_source_is_held_back),
		cmocka_unit_test(test_two_relays_one_store),
		cmocka_unit_test(test_store_view_lasts_a_second),
		cmocka_unit_test(test_cap_across_relays),
	};
	return teststore_run("guard", tests, sizeof(tests) / sizeof(tests[0]));
}
