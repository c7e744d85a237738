/*
 * The store, on SQLite and (tests/unit/with-postgres.sh) PostgreSQL: support-code rules (once, expiry, five wrong tries,
 * live locators unique), users by key and their states, tickets and
 * migrations on reopen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "audit.h"
#include "kb.h"
#include "rate.h"
#include "store.h"
#include "teststore.h"

struct fixture {
	struct teststore ts;
	struct store *st;
	struct store_user alice;
	int64_t ticket;
};

/* store_code_redeem's verdict, the call itself having worked. */
static int redeem(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN], int64_t now, int64_t *ticket)
{
	int verdict = -1;

	assert_int_equal(store_code_redeem(st, locator, hash, now, &verdict, ticket), STORE_OK);
	return verdict;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_int_equal(teststore_make(&f->ts), 0);
	assert_int_equal(store_open(f->ts.spec, &f->st, err, sizeof(err)), STORE_OK);
	assert_string_equal(store_backend_name(f->st), teststore_backend == TESTSTORE_PG ? "postgresql" : "sqlite");
	assert_int_equal(store_user_add(f->st, "alice", "tech", "L1", "ssh-ed25519", "AAAAkey1", err, sizeof(err)), STORE_OK);
	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "AAAAkey1", &f->alice), STORE_OK);
	struct store_ticket_spec spec = { .summary = "Printer", .priority = "P3", .tier = "L1",
					  .owner_id = f->alice.id };

	assert_int_equal(store_ticket_new(f->st, &spec, 1000, &f->ticket), STORE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	teststore_drop(&f->ts);
	free(f);
	return 0;
}

static void hash_of(uint8_t h[CODE_HASH_LEN], uint8_t seed)
{
	memset(h, seed, CODE_HASH_LEN);
}

static void test_code_once(void **state)
{
	struct fixture *f = *state;
	uint8_t h[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(h, 1);
	assert_int_equal(store_code_add(f->st, f->ticket, 1234, h, 1000, 1600, NULL), STORE_OK);
	assert_int_equal(redeem(f->st, 1234, h, 1001, &ticket), STORE_CODE_ACCEPTED);
	assert_int_equal(ticket, f->ticket);
	assert_int_equal(redeem(f->st, 1234, h, 1002, &ticket), STORE_CODE_USED);
}

static void test_code_expires(void **state)
{
	struct fixture *f = *state;
	uint8_t h[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(h, 2);
	assert_int_equal(store_code_add(f->st, f->ticket, 42, h, 1000, 1600, NULL), STORE_OK);
	assert_int_equal(redeem(f->st, 42, h, 1600, &ticket), STORE_CODE_EXPIRED);
	assert_int_equal(redeem(f->st, 42, h, 1599, &ticket), STORE_CODE_ACCEPTED);
}

static void test_code_dies_after_five_wrong(void **state)
{
	struct fixture *f = *state;
	uint8_t right[CODE_HASH_LEN], wrong[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(right, 3);
	hash_of(wrong, 4);
	assert_int_equal(store_code_add(f->st, f->ticket, 7, right, 1000, 1600, NULL), STORE_OK);
	for (int i = 0; i < CODE_MAX_FAILURES; i++)
		assert_int_equal(redeem(f->st, 7, wrong, 1001, &ticket), STORE_CODE_WRONG);
	assert_int_equal(redeem(f->st, 7, right, 1002, &ticket), STORE_CODE_LOCKED);
	/* A dead code frees its locator for a new one. */
	hash_of(right, 5);
	assert_int_equal(store_code_add(f->st, f->ticket, 7, right, 1003, 1600, NULL), STORE_OK);
	assert_int_equal(redeem(f->st, 7, right, 1004, &ticket), STORE_CODE_ACCEPTED);
}

static void test_code_four_wrong_then_right(void **state)
{
	struct fixture *f = *state;
	uint8_t right[CODE_HASH_LEN], wrong[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(right, 6);
	hash_of(wrong, 7);
	assert_int_equal(store_code_add(f->st, f->ticket, 8, right, 1000, 1600, NULL), STORE_OK);
	for (int i = 0; i < CODE_MAX_FAILURES - 1; i++)
		assert_int_equal(redeem(f->st, 8, wrong, 1001, &ticket), STORE_CODE_WRONG);
	assert_int_equal(redeem(f->st, 8, right, 1002, &ticket), STORE_CODE_ACCEPTED);
}

static void test_live_locator_unique(void **state)
{
	struct fixture *f = *state;
	uint8_t h[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(h, 8);
	assert_int_equal(store_code_add(f->st, f->ticket, 99, h, 1000, 1600, NULL), STORE_OK);
	assert_int_equal(store_code_add(f->st, f->ticket, 99, h, 1001, 1600, NULL), STORE_ERR_EXISTS);
	/* Once it expired, the locator may be drawn again. */
	assert_int_equal(store_code_add(f->st, f->ticket, 99, h, 1600, 2200, NULL), STORE_OK);
	assert_int_equal(redeem(f->st, 5555, h, 1601, &ticket), STORE_CODE_UNKNOWN);
}

/* A ticket has one live code: a new one cancels the old, resolving cancels all. */
static void test_code_replaced_and_cancelled(void **state)
{
	struct fixture *f = *state;
	uint8_t first[CODE_HASH_LEN], second[CODE_HASH_LEN], third[CODE_HASH_LEN];
	int64_t ticket = 0;
	int n = -1;

	hash_of(first, 1);
	hash_of(second, 2);
	hash_of(third, 3);
	assert_int_equal(store_code_add(f->st, f->ticket, 11, first, 1000, 1600, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_code_add(f->st, f->ticket, 12, second, 1001, 1600, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(redeem(f->st, 11, first, 1002, &ticket), STORE_CODE_CANCELLED);
	assert_int_equal(ticket, f->ticket);
	/* A wrong code on a cancelled locator tells nothing. */
	assert_int_equal(redeem(f->st, 11, second, 1002, &ticket), STORE_CODE_UNKNOWN);
	/* The cancelled code's locator is free again. */
	assert_int_equal(store_code_add(f->st, f->ticket, 11, third, 1003, 1600, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(redeem(f->st, 12, second, 1004, &ticket), STORE_CODE_CANCELLED);
	assert_int_equal(store_code_cancel(f->st, f->ticket, 1005, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(redeem(f->st, 11, third, 1006, &ticket), STORE_CODE_CANCELLED);
	assert_int_equal(store_code_cancel(f->st, f->ticket, 1007, &n), STORE_OK);
	assert_int_equal(n, 0);
}

/* serve's start: every live code of every ticket is cancelled, spent and dead ones stay as they are. */
static void test_code_cancel_all(void **state)
{
	struct fixture *f = *state;
	struct store_ticket_spec spec = { .summary = "Second", .priority = "P3", .tier = "L1" };
	uint8_t a[CODE_HASH_LEN], b[CODE_HASH_LEN], c[CODE_HASH_LEN], d[CODE_HASH_LEN];
	int64_t other, ticket = 0;
	int n = -1;

	hash_of(a, 1);
	hash_of(b, 2);
	hash_of(c, 3);
	hash_of(d, 4);
	assert_int_equal(store_ticket_new(f->st, &spec, 1000, &other), STORE_OK);
	assert_int_equal(store_code_add(f->st, f->ticket, 24, d, 900, 950, NULL), STORE_OK); /* expires */
	assert_int_equal(store_code_add(f->st, f->ticket, 21, a, 1000, 1600, NULL), STORE_OK);
	assert_int_equal(store_code_add(f->st, other, 22, b, 1000, 1600, NULL), STORE_OK);
	assert_int_equal(store_code_add(f->st, other, 23, c, 1000, 1600, NULL), STORE_OK); /* replaces b */
	assert_int_equal(store_code_cancel_all(f->st, 1001, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(redeem(f->st, 21, a, 1002, &ticket), STORE_CODE_CANCELLED);
	assert_int_equal(redeem(f->st, 23, c, 1002, &ticket), STORE_CODE_CANCELLED);
	assert_int_equal(redeem(f->st, 24, d, 1002, &ticket), STORE_CODE_EXPIRED);
	assert_int_equal(store_code_cancel_all(f->st, 1003, &n), STORE_OK);
	assert_int_equal(n, 0);
}

/* Several relays: the shared secret's check value, registered once, then matched or refused. */
static void test_secret_check(void **state)
{
	struct fixture *f = *state;
	uint8_t a[CODE_HASH_LEN], b[CODE_HASH_LEN];
	int added = -1;

	hash_of(a, 1);
	hash_of(b, 2);
	assert_int_equal(store_secret_check(f->st, "codes", a, 1000, &added), STORE_OK);
	assert_int_equal(added, 1);
	assert_int_equal(store_secret_check(f->st, "codes", a, 1001, &added), STORE_OK);
	assert_int_equal(added, 0);
	assert_int_equal(store_secret_check(f->st, "codes", b, 1002, &added), STORE_ERR_EXISTS);
	assert_int_equal(added, 0);
	/* Another name is another secret. */
	assert_int_equal(store_secret_check(f->st, "other", b, 1003, &added), STORE_OK);
	assert_int_equal(added, 1);
}

/* A guessing source's wrong codes and wait, as every relay of the store sees them. */
static void test_code_sources(void **state)
{
	struct fixture *f = *state;
	int64_t failures = 0, next = -1;

	assert_int_equal(store_source_wait(f->st, "192.0.2.1", 1000, 3600, &failures, &next), STORE_OK);
	assert_int_equal(next, 0);
	assert_int_equal(store_source_failed(f->st, "192.0.2.1", 1000, 300, 3600, &failures, &next), STORE_OK);
	assert_int_equal(failures, 1);
	assert_int_equal(next, 1001);
	assert_int_equal(store_source_failed(f->st, "192.0.2.1", 1001, 300, 3600, &failures, &next), STORE_OK);
	assert_int_equal(failures, 2);
	assert_int_equal(next, 1003);
	assert_int_equal(store_source_failed(f->st, "192.0.2.1", 1003, 3, 3600, &failures, &next), STORE_OK);
	assert_int_equal(failures, 3);
	assert_int_equal(next, 1006); /* 4 s, held to the maximum of 3 */
	assert_int_equal(store_source_wait(f->st, "192.0.2.1", 1004, 3600, &failures, &next), STORE_OK);
	assert_int_equal(failures, 3);
	assert_int_equal(next, 1006);
	/* The store's window (guard.h's global cap): each wrong code in its second, newest first. */
	assert_int_equal(store_source_failed(f->st, "192.0.2.3", 1003, 300, 3600, &failures, &next), STORE_OK);
	{
		int64_t sec[4], n[4];
		size_t rows = 9;

		assert_int_equal(store_code_window(f->st, 1003, 60, sec, n, 4, &rows), STORE_OK);
		assert_int_equal(rows, 3);
		assert_int_equal(sec[0], 1003);
		assert_int_equal(n[0], 2);
		assert_int_equal(sec[2], 1000);
		assert_int_equal(n[2], 1);
		/* (now - window, now]: the second 1000 is out of the 3 s that end at 1003. */
		assert_int_equal(store_code_window(f->st, 1003, 3, sec, n, 4, &rows), STORE_OK);
		assert_int_equal(rows, 2);
		assert_int_equal(store_code_window(f->st, 1003, 60, sec, n, 1, &rows), STORE_OK);
		assert_int_equal(rows, 1);
	}
	/* Another source is not held back. */
	assert_int_equal(store_source_wait(f->st, "192.0.2.2", 1004, 3600, &failures, &next), STORE_OK);
	assert_int_equal(next, 0);
	/* Quiet for the forget time: forgotten, and counted afresh. */
	assert_int_equal(store_source_wait(f->st, "192.0.2.1", 1003 + 3600, 3600, &failures, &next), STORE_OK);
	assert_int_equal(next, 0);
	assert_int_equal(store_source_failed(f->st, "192.0.2.1", 1003 + 3600, 300, 3600, &failures, &next), STORE_OK);
	assert_int_equal(failures, 1);
	{
		int64_t sec[4], n[4];
		size_t rows = 9;

		/* Seconds older than forget are gone from the store. */
		assert_int_equal(store_code_window(f->st, 1003 + 3600, 4000, sec, n, 4, &rows), STORE_OK);
		assert_int_equal(rows, 1);
		assert_int_equal(sec[0], 1003 + 3600);
	}
	/* A right code forgets it. */
	assert_int_equal(store_source_clear(f->st, "192.0.2.1"), STORE_OK);
	assert_int_equal(store_source_wait(f->st, "192.0.2.1", 1003 + 3601, 3600, &failures, &next), STORE_OK);
	assert_int_equal(next, 0);
}

/* Resume tokens: one per ticket, replaced, dead with the ticket's resolution and after their time. */
static void test_resume_tokens(void **state)
{
	struct fixture *f = *state;
	uint8_t a[CODE_HASH_LEN], b[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(a, 1);
	hash_of(b, 2);
	assert_int_equal(store_resume_find(f->st, a, 0, &ticket), STORE_NOT_FOUND);
	assert_int_equal(store_resume_set(f->st, f->ticket, a, 1000), STORE_OK);
	assert_int_equal(store_resume_find(f->st, a, 900, &ticket), STORE_OK);
	assert_int_equal(ticket, f->ticket);
	/* Drawn before the oldest time still good: dead. */
	assert_int_equal(store_resume_find(f->st, a, 1001, &ticket), STORE_NOT_FOUND);
	/* A new one replaces it. */
	assert_int_equal(store_resume_set(f->st, f->ticket, b, 1002), STORE_OK);
	assert_int_equal(store_resume_find(f->st, a, 900, &ticket), STORE_NOT_FOUND);
	assert_int_equal(store_resume_find(f->st, b, 900, &ticket), STORE_OK);
	/* A resolved ticket cannot be resumed. */
	assert_int_equal(store_ticket_update(f->st, f->ticket, "resolved", NULL, -1, 1003), STORE_OK);
	assert_int_equal(store_resume_find(f->st, b, 900, &ticket), STORE_NOT_FOUND);
}

static int owned_ids(const struct store_ticket *t, void *ctx)
{
	int64_t *ids = ctx;

	for (int i = 0; i < 4; i++)
		if (ids[i] == 0) {
			ids[i] = t->id;
			break;
		}
	return 0;
}

/* mine: the owner's tickets that are not resolved, by priority. */
static void test_tickets_owned(void **state)
{
	struct fixture *f = *state;
	struct store_ticket_spec urgent = { .summary = "Outage", .priority = "P1", .tier = "L1", .owner_id = f->alice.id };
	struct store_ticket_spec queued = { .summary = "Queued", .priority = "P2", .tier = "L1" };
	int64_t ids[4] = { 0 }, p1, other;

	assert_int_equal(store_ticket_new(f->st, &urgent, 1001, &p1), STORE_OK);
	assert_int_equal(store_ticket_new(f->st, &queued, 1002, &other), STORE_OK);
	assert_int_equal(store_tickets_owned(f->st, f->alice.id, owned_ids, ids), STORE_OK);
	assert_int_equal(ids[0], p1);
	assert_int_equal(ids[1], f->ticket);
	assert_int_equal(ids[2], 0);
	assert_int_equal(store_ticket_update(f->st, p1, "resolved", NULL, -1, 1003), STORE_OK);
	memset(ids, 0, sizeof(ids));
	assert_int_equal(store_tickets_owned(f->st, f->alice.id, owned_ids, ids), STORE_OK);
	assert_int_equal(ids[0], f->ticket);
	assert_int_equal(ids[1], 0);
}

/* A live code of a resolved ticket (a relay before codes were cancelled) lets no one in. */
static void test_code_of_resolved_ticket(void **state)
{
	struct fixture *f = *state;
	uint8_t h[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(h, 4);
	assert_int_equal(store_code_add(f->st, f->ticket, 21, h, 1000, 1600, NULL), STORE_OK);
	assert_int_equal(store_ticket_update(f->st, f->ticket, "resolved", NULL, -1, 1001), STORE_OK);
	assert_int_equal(redeem(f->st, 21, h, 1002, &ticket), STORE_CODE_CLOSED);
	assert_int_equal(ticket, f->ticket);
}

static void test_users_and_tickets(void **state)
{
	struct fixture *f = *state;
	struct store_user u;
	struct store_ticket t;
	char err[256];

	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "nope", &u), STORE_NOT_FOUND);
	assert_int_equal(store_user_add(f->st, "alice", "tech", "L1", "ssh-ed25519", "AAAAkey1", err, sizeof(err)),
			 STORE_ERR_EXISTS);
	assert_int_not_equal(store_user_add(f->st, "alice", "auditor", "", "ssh-ed25519", "k2", err, sizeof(err)),
			     STORE_OK);
	assert_non_null(strstr(err, "another role"));
	assert_int_equal(store_user_add(f->st, "alice", "tech", "L1", "ssh-ed25519", "AAAAkey2", err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "AAAAkey2", &u), STORE_OK);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.tier, "L1");
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	assert_string_equal(t.summary, "Printer");
	assert_string_equal(t.owner, "alice");
	assert_string_equal(t.state, "open");
	assert_int_equal(store_ticket_get(f->st, 999, &t), STORE_NOT_FOUND);
	assert_int_equal(relay_audit_event(f->st, f->ticket, 1000, "note", "alice", "L1", NULL, "日本語"), STORE_OK);
	assert_int_not_equal(relay_audit_event(f->st, 999, 1000, "note", "alice", "L1", NULL, NULL), STORE_OK);
}

static void test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct store_ticket t;
	char err[256];

	store_close(f->st);
	assert_int_equal(store_open(f->ts.spec, &f->st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
}

static void test_corrupt_database_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	char path[160], err[256] = "";
	struct store *st = NULL;
	FILE *fp;

	(void)f;
	snprintf(path, sizeof(path), "%s/garbage.db", f->ts.dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("this is not a database, just some text that is long enough to matter\n", fp);
	fclose(fp);
	assert_int_not_equal(store_open(path, &st, err, sizeof(err)), STORE_OK);
	assert_null(st);
	assert_non_null(strstr(err, "database"));
	unlink(path);
}

static int count_ticket(const struct store_ticket *t, void *ctx)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static void test_update_queue_and_due(void **state)
{
	struct fixture *f = *state;
	struct store_ticket t;
	int n = 0;

	/* Owned by alice: not in the queue. */
	assert_int_equal(store_queue(f->st, "L1", count_ticket, &n), STORE_OK);
	assert_int_equal(n, 0);
	/* Escalated to L2, unowned: in the L2 queue, tier clock restarted. */
	assert_int_equal(store_ticket_update(f->st, f->ticket, "escalated", "L2", 0, 2000), STORE_OK);
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	assert_string_equal(t.tier, "L2");
	assert_string_equal(t.state, "escalated");
	assert_int_equal(t.owner_id, 0);
	assert_int_equal(t.tier_since, 2000);
	n = 0;
	assert_int_equal(store_queue(f->st, "L2", count_ticket, &n), STORE_OK);
	assert_int_equal(n, 1);
	/* Same tier again: the clock keeps running. */
	assert_int_equal(store_ticket_update(f->st, f->ticket, "open", "L2", f->alice.id, 2500), STORE_OK);
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	assert_int_equal(t.tier_since, 2000);
	assert_int_equal(t.owner_id, f->alice.id);
	assert_string_equal(t.owner, "alice");
	n = 0;
	assert_int_equal(store_tickets_due(f->st, "L2", 1999, 0, count_ticket, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_tickets_due(f->st, "L2", 2000, 0, count_ticket, &n), STORE_OK);
	assert_int_equal(n, 1);
	/* Resolved tickets are neither queued nor due. */
	assert_int_equal(store_ticket_update(f->st, f->ticket, "resolved", NULL, 0, 3000), STORE_OK);
	n = 0;
	assert_int_equal(store_queue(f->st, "L2", count_ticket, &n), STORE_OK);
	assert_int_equal(store_tickets_due(f->st, "L2", 9999, 0, count_ticket, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_ticket_update(f->st, 999, "open", NULL, -1, 3000), STORE_NOT_FOUND);
}

static int keep_attachment(const struct store_attachment *a, void *ctx)
{
	char *sha = ctx;

	snprintf(sha, 65, "%s", a->sha256);
	return 0;
}

static void test_attachments(void **state)
{
	struct fixture *f = *state;
	char sha[65], listed[65] = "";
	uint8_t *content;
	size_t len;
	int64_t id;

	assert_int_equal(store_attachment_add(f->st, f->ticket, 1000, "logs", "logs.txt", "customer", NULL, "abc", 3,
					      &id, sha), STORE_OK);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(store_attachments(f->st, f->ticket, keep_attachment, listed), STORE_OK);
	assert_string_equal(listed, sha);
	assert_int_equal(store_attachment_get(f->st, f->ticket, id, NULL, NULL, &content, &len), STORE_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(content, "abc", 3);
	free(content);
	assert_int_equal(store_attachment_get(f->st, f->ticket + 1, id, NULL, NULL, &content, &len), STORE_NOT_FOUND);
	assert_null(content);
	/* Empty content is an attachment too (an empty transcript). */
	assert_int_equal(store_attachment_add(f->st, f->ticket, 1000, "transcript", "t.txt", "alice", NULL, "", 0,
					      &id, sha), STORE_OK);
	assert_string_equal(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static int count_event(const struct store_event *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

static void test_events_and_rollback(void **state)
{
	struct fixture *f = *state;
	int n = 0;

	assert_int_equal(relay_audit_event(f->st, f->ticket, 1000, "chat", "alice", "L1", NULL, "hello"), STORE_OK);
	assert_int_equal(relay_audit_event(f->st, f->ticket, 1001, "note", "alice", "L1", "L2", "secret"), STORE_OK);
	assert_int_equal(store_events(f->st, f->ticket, "chat", count_event, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(relay_audit_event(f->st, f->ticket, 1002, "chat", "alice", "L1", NULL, "lost"), STORE_OK);
	store_rollback(f->st);
	n = 0;
	assert_int_equal(store_events(f->st, f->ticket, NULL, count_event, &n), STORE_OK);
	assert_int_equal(n, 2);
}

/* Intake tokens: found by hash while live, uses counted in a window, revoked for good. */
static void test_intake_tokens(void **state)
{
	struct fixture *f = *state;
	uint8_t h[CODE_HASH_LEN], other[CODE_HASH_LEN];
	int64_t id = 0, found = 0, n = -1, t2 = 0;
	struct store_ticket_spec spec = { .summary = "from intake", .priority = "P3", .tier = "L1" };

	hash_of(h, 7);
	hash_of(other, 8);
	assert_int_equal(store_intake_add(f->st, h, "Acme IT", 1000, &id), STORE_OK);
	assert_true(id > 0);
	/* The same hash twice would make two rows for one token. */
	assert_int_equal(store_intake_add(f->st, h, "Acme IT", 1000, &found), STORE_ERR);
	assert_int_equal(store_intake_find(f->st, other, &found), STORE_NOT_FOUND);
	assert_int_equal(store_intake_find(f->st, h, &found), STORE_OK);
	assert_int_equal(found, id);
	assert_int_equal(store_intake_uses_since(f->st, id, 0, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_ticket_new(f->st, &spec, 1100, &t2), STORE_OK);
	assert_int_equal(store_intake_use(f->st, id, t2, 1100), STORE_OK);
	assert_int_equal(store_intake_use(f->st, id, t2, 2000), STORE_OK);
	assert_int_equal(store_intake_uses_since(f->st, id, 1100, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_intake_uses_since(f->st, id, 1101, &n), STORE_OK);
	assert_int_equal(n, 1);
	/* A use must name a real token and ticket (foreign keys). */
	assert_int_equal(store_intake_use(f->st, id + 100, t2, 2000), STORE_ERR);
	assert_int_equal(store_intake_revoke(f->st, id, 3000), STORE_OK);
	assert_int_equal(store_intake_find(f->st, h, &found), STORE_NOT_FOUND);
	assert_int_equal(store_intake_revoke(f->st, id, 3001), STORE_NOT_FOUND);
	assert_int_equal(store_intake_revoke(f->st, id + 100, 3001), STORE_NOT_FOUND);
}

static int count_keys(const struct store_user_key *k, void *ctx)
{
	int *n = ctx;

	if (strcmp(k->user->name, "alice") == 0)
		*n += k->key_type != NULL ? 1 : 100;
	return 0;
}

static void test_user_states(void **state)
{
	struct fixture *f = *state;
	struct store_user u, was;
	struct store_ticket t;
	char err[256], st[12];
	int keys = 0;

	assert_string_equal(f->alice.state, "active");
	assert_int_equal(store_user_set_state(f->st, "alice", "disabled", 2000, &was, err, sizeof(err)), STORE_OK);
	assert_string_equal(was.state, "active");
	/* A disabled account's key still names it; the relay refuses it by its state. */
	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "AAAAkey1", &u), STORE_OK);
	assert_string_equal(u.state, "disabled");
	assert_int_equal(store_user_state(f->st, f->alice.id, st, sizeof(st)), STORE_OK);
	assert_string_equal(st, "disabled");
	assert_int_equal(store_user_set_state(f->st, "alice", "disabled", 2001, &was, err, sizeof(err)), STORE_ERR_EXISTS);
	assert_non_null(strstr(err, "disabled already"));
	assert_int_equal(store_user_set_state(f->st, "alice", "active", 2002, &was, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_user_list(f->st, count_keys, &keys), STORE_OK);
	assert_int_equal(keys, 1);

	assert_int_equal(store_user_set_state(f->st, "alice", "removed", 2003, &was, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "AAAAkey1", &u), STORE_NOT_FOUND);
	keys = 0;
	assert_int_equal(store_user_list(f->st, count_keys, &keys), STORE_OK);
	assert_int_equal(keys, 100);   /* the row without keys */
	/* The ticket still points at the account and shows its name. */
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	assert_string_equal(t.owner, "alice");
	assert_int_equal(store_user_set_state(f->st, "alice", "active", 2004, &was, err, sizeof(err)), STORE_ERR_EXISTS);
	assert_non_null(strstr(err, "removal is final"));
	assert_int_equal(store_user_add(f->st, "alice", "tech", "L1", "ssh-ed25519", "AAAAkey9", err, sizeof(err)),
			 STORE_ERR_EXISTS);
	assert_non_null(strstr(err, "was removed"));
	/* Its key is free for a new name. */
	assert_int_equal(store_user_add(f->st, "alice2", "tech", "L1", "ssh-ed25519", "AAAAkey1", err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_user_set_state(f->st, "nobody", "disabled", 2005, &was, err, sizeof(err)), STORE_NOT_FOUND);
	assert_int_equal(store_user_state(f->st, 9999, st, sizeof(st)), STORE_NOT_FOUND);
}

/* The store's part of the chain: it hands out seq and the head, keeps what it is given, adds nothing. */
static int refuse_link(int64_t seq, const uint8_t prev[STORE_HASH_LEN], const uint8_t ticket_prev[STORE_HASH_LEN],
		       struct store_link_new *l, void *ctx)
{
	(void)seq;
	(void)prev;
	(void)ticket_prev;
	(void)l;
	(void)ctx;
	return -1;
}

struct given_link {
	int64_t seq_seen;
	uint8_t prev_seen[STORE_HASH_LEN];
	uint8_t ticket_prev_seen[STORE_HASH_LEN];
};

static int give_link(int64_t seq, const uint8_t prev[STORE_HASH_LEN], const uint8_t ticket_prev[STORE_HASH_LEN],
		     struct store_link_new *l, void *ctx)
{
	struct given_link *g = ctx;

	g->seq_seen = seq;
	memcpy(g->prev_seen, prev, STORE_HASH_LEN);
	memcpy(g->ticket_prev_seen, ticket_prev, STORE_HASH_LEN);
	*l = (struct store_link_new){ .ticket = 0, .at = 5, .kind = "k", .actor = "", .role = "", .clearance = "",
				      .detail = "" };
	memset(l->body_hash, 0xb0, STORE_HASH_LEN);
	memset(l->hash, 0xa0 + (int)seq, STORE_HASH_LEN);
	memset(l->ticket_hash, 0xc0 + (int)seq, STORE_HASH_LEN);
	return 0;
}

static void test_chain_append_is_the_stores_only_part(void **state)
{
	struct fixture *f = *state;
	struct given_link g = { 0 };
	uint8_t head_hash[STORE_HASH_LEN], want[STORE_HASH_LEN];
	int64_t head, seq = 0;

	assert_int_equal(store_chain_head(f->st, &head, head_hash), STORE_OK);
	/* A link its maker refused leaves no row and no gap. */
	assert_int_equal(store_chain_append(f->st, 0, refuse_link, NULL, &seq), STORE_ERR);
	assert_int_equal(seq, 0);
	assert_int_equal(store_chain_append(f->st, 0, give_link, &g, &seq), STORE_OK);
	assert_int_equal(g.seq_seen, head + 1);
	assert_int_equal(seq, head + 1);
	assert_memory_equal(g.prev_seen, head_hash, STORE_HASH_LEN);
	/* The next maker sees exactly the hash it was given, not one the store made. */
	assert_int_equal(store_chain_append(f->st, 0, give_link, &g, &seq), STORE_OK);
	memset(want, 0xa0 + (int)(head + 1), STORE_HASH_LEN);
	assert_int_equal(g.seq_seen, head + 2);
	assert_memory_equal(g.prev_seen, want, STORE_HASH_LEN);
	/* And the ticket's last link, as it was given: the ticket's chain is the maker's too. */
	memset(want, 0xc0 + (int)(head + 1), STORE_HASH_LEN);
	assert_memory_equal(g.ticket_prev_seen, want, STORE_HASH_LEN);
}

/* PostgreSQL that is not there: an error that names the backend, no store. */
static void test_unreachable_database_is_a_clear_error(void **state)
{
	struct store *st = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(store_open("postgresql:///handoff?host=/nonexistent-handoff-dir", &st, err, sizeof(err)),
			 STORE_ERR);
	assert_null(st);
	assert_non_null(strstr(err, "postgresql"));
	/* The URL (it may hold a password) is not repeated. */
	assert_null(strstr(err, "nonexistent-handoff-dir?"));
}

/* Links made as audit.c makes them, in spirit: each hash covers the one before and its seq. */
static void chain_hash(const uint8_t prev[STORE_HASH_LEN], int64_t seq, uint8_t out[STORE_HASH_LEN])
{
	uint8_t buf[STORE_HASH_LEN + 8];

	memcpy(buf, prev, STORE_HASH_LEN);
	for (int i = 0; i < 8; i++)
		buf[STORE_HASH_LEN + i] = (uint8_t)((uint64_t)seq >> (8 * i));
	SHA256(buf, sizeof(buf), out);
}

static int hashed_link(int64_t seq, const uint8_t prev[STORE_HASH_LEN], const uint8_t ticket_prev[STORE_HASH_LEN],
		       struct store_link_new *l, void *ctx)
{
	const int64_t *ticket = ctx;

	*l = (struct store_link_new){ .ticket = *ticket, .at = 7, .kind = "chat", .actor = "a", .role = "L1",
				      .clearance = "", .detail = "line" };
	memset(l->body_hash, 0xb0, STORE_HASH_LEN);
	chain_hash(prev, seq, l->hash);
	chain_hash(ticket_prev, seq, l->ticket_hash);
	return 0;
}

struct appender {
	const char *spec;
	int64_t ticket;
	int n, done;
};

/* One relay's worth of appends, on its own connection. */
static void *append_many(void *arg)
{
	struct appender *a = arg;
	struct store *st = NULL;
	char err[256];

	if (store_open(a->spec, &st, err, sizeof(err)) != STORE_OK)
		return NULL;
	for (int i = 0; i < a->n; i++)
		if (store_chain_append(st, a->ticket, hashed_link, &a->ticket, NULL) == STORE_OK)
			a->done++;
	store_close(st);
	return NULL;
}

struct chain_walk {
	int64_t next_seq;
	uint8_t prev[STORE_HASH_LEN];
	int64_t per_ticket[2];
	uint8_t ticket_prev[2][STORE_HASH_LEN];
	int64_t tickets[2];
	int bad;
};

static int walk_link(const struct store_link *l, void *ctx)
{
	struct chain_walk *w = ctx;
	uint8_t want[STORE_HASH_LEN];

	if (l->seq != w->next_seq || l->prev_hash == NULL || l->hash == NULL ||
	    memcmp(l->prev_hash, w->prev, STORE_HASH_LEN) != 0)
		w->bad++;
	chain_hash(w->prev, l->seq, want);
	if (l->hash != NULL && memcmp(l->hash, want, STORE_HASH_LEN) != 0)
		w->bad++;
	for (int i = 0; i < 2; i++) {
		if (l->ticket != w->tickets[i])
			continue;
		chain_hash(w->ticket_prev[i], l->seq, want);
		if (l->ticket_hash == NULL || memcmp(l->ticket_hash, want, STORE_HASH_LEN) != 0)
			w->bad++;
		else
			memcpy(w->ticket_prev[i], l->ticket_hash, STORE_HASH_LEN);
		w->per_ticket[i]++;
	}
	if (l->hash != NULL)
		memcpy(w->prev, l->hash, STORE_HASH_LEN);
	w->next_seq = l->seq + 1;
	return 0;
}

/*
 * Two writers (two relays on one database, or two connections to one
 * SQLite file) append at once: one chain, every seq once, no gap, each
 * link on the head its writer read, each ticket's chain whole too.
 */
static void test_concurrent_appends_keep_one_chain(void **state)
{
	struct fixture *f = *state;
	struct store_ticket_spec spec = { .summary = "Second", .priority = "P3", .tier = "L1" };
	struct appender a[2] = { { .spec = f->ts.spec, .ticket = f->ticket, .n = 300 },
				 { .spec = f->ts.spec, .n = 300 } };
	struct chain_walk w = { .next_seq = 1, .tickets = { f->ticket, 0 } };
	pthread_t th[2];
	int64_t links = 0, cps = 0;

	assert_int_equal(store_ticket_new(f->st, &spec, 1000, &a[1].ticket), STORE_OK);
	w.tickets[1] = a[1].ticket;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, append_many, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(a[0].done, 300);
	assert_int_equal(a[1].done, 300);
	assert_int_equal(store_chain_links(f->st, 1, 0, walk_link, &w), STORE_OK);
	assert_int_equal(w.bad, 0);
	assert_int_equal(w.next_seq, 601);
	assert_int_equal(w.per_ticket[0], 300);
	assert_int_equal(w.per_ticket[1], 300);
	assert_int_equal(store_chain_counts(f->st, &links, &cps), STORE_OK);
	assert_int_equal(links, 600);
}

/* One take on st at now_ms for user from a budget of per_minute: 1 taken, 0 not (with *wait_ms). */
static int desk_take(struct store *st, int64_t user, int64_t now_ms, unsigned long per_minute, int64_t *wait_ms)
{
	int taken = -1;

	assert_int_equal(store_desk_take(st, user, now_ms, per_minute, &taken, wait_ms), STORE_OK);
	return taken;
}

struct desk_taker {
	const char *spec;
	int64_t user, now_ms;
	int tries, taken, failed;
};

/* One relay's desk commands at one instant, on its own connection. */
static void *desk_take_many(void *arg)
{
	struct desk_taker *d = arg;
	struct store *st = NULL;
	char err[256];
	int64_t wait_ms;
	int taken;

	if (store_open(d->spec, &st, err, sizeof(err)) != STORE_OK) {
		d->failed = d->tries;
		return NULL;
	}
	for (int i = 0; i < d->tries; i++) {
		if (store_desk_take(st, d->user, d->now_ms, 5, &taken, &wait_ms) != STORE_OK)
			d->failed++;
		else
			d->taken += taken;
	}
	store_close(st);
	return NULL;
}

/*
 * desk_tickets_per_minute over two relays of one store (issue 18: N relays
 * allowed N times it): tickets taken through relay a and relay b come out
 * of one bucket, the refusal's wait is the one a relay of its own gave
 * (rate.c's), the bucket refills as before, another desk account is not
 * touched, and two relays racing at one instant take exactly the budget.
 */
static void test_desk_budget_shared(void **state)
{
	struct fixture *f = *state;
	const int64_t t0 = INT64_C(1764800000000);
	struct store *b = NULL;
	struct store_user other;
	struct desk_taker d[2] = { { .spec = f->ts.spec, .now_ms = t0 + 600000, .tries = 10 },
				   { .spec = f->ts.spec, .now_ms = t0 + 600000, .tries = 10 } };
	pthread_t th[2];
	char err[256];
	int64_t wait_ms = -1;
	const int64_t user = f->alice.id;

	assert_int_equal(store_open(f->ts.spec, &b, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_user_add(f->st, "deskbot", "desk", "", "ssh-ed25519", "AAAAdesk", err, sizeof(err)), STORE_OK);
	assert_int_equal(store_user_by_name(f->st, "deskbot", &other), STORE_OK);
	/* 3 a minute: a, b, a take them; b is refused, as a would be. */
	assert_int_equal(desk_take(f->st, user, t0, 3, &wait_ms), 1);
	assert_int_equal(wait_ms, 0);
	assert_int_equal(desk_take(b, user, t0, 3, &wait_ms), 1);
	assert_int_equal(desk_take(f->st, user, t0, 3, &wait_ms), 1);
	assert_int_equal(desk_take(b, user, t0 + 10, 3, &wait_ms), 0);
	/* One ticket's worth is back 20 s after them: what relay_rate_wait_ms says of the same bucket. */
	{
		struct relay_rate r = { 0 };

		for (int i = 0; i < 3; i++)
			assert_true(relay_rate_take(&r, t0, 3));
		assert_false(relay_rate_take(&r, t0 + 10, 3));
		assert_int_equal(wait_ms, relay_rate_wait_ms(&r, 3));
	}
	assert_int_equal(desk_take(f->st, user, t0 + 10, 3, &wait_ms), 0);
	/* Another desk account has its own bucket. */
	assert_int_equal(desk_take(b, other.id, t0 + 10, 3, &wait_ms), 1);
	/* Refilled: one more, on either relay, and no second. */
	assert_int_equal(desk_take(b, user, t0 + 20000, 3, &wait_ms), 1);
	assert_int_equal(desk_take(f->st, user, t0 + 20000, 3, &wait_ms), 0);
	/* A relay whose clock is behind gets nothing back, and is told to wait longer, not less. */
	assert_int_equal(desk_take(b, user, t0 + 15000, 3, &wait_ms), 0);
	assert_true(wait_ms > 20000);
	/* A bucket of 0 gives nothing and asks no store. */
	assert_int_equal(desk_take(f->st, user, t0 + 600000, 0, &wait_ms), 0);
	/* Ten minutes on the bucket is whole: two relays racing at one instant take 5 of 5 a minute, not 5 each. */
	d[0].user = d[1].user = user;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, desk_take_many, &d[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(d[0].failed + d[1].failed, 0);
	assert_int_equal(d[0].taken + d[1].taken, 5);
	assert_int_equal(desk_take(b, user, t0 + 600000, 5, &wait_ms), 0);
	assert_int_equal(wait_ms, 12001);
	store_close(b);
}

struct relay_keys_seen {
	struct store_relay_key k[4];
	int n;
};

static int relay_key_seen(const struct store_relay_key *k, void *ctx)
{
	struct relay_keys_seen *s = ctx;

	if (s->n < 4)
		s->k[s->n] = *k;
	s->n++;
	return 0;
}

static int signer_of_last(const struct store_link *l, void *ctx)
{
	const uint8_t **signer = ctx;

	*signer = l->has_checkpoint ? l->cp_signer : (const uint8_t *)"none";
	return 0;
}

/*
 * The relays' audit keys (migration 13): registered with the seq of their
 * record, listed in that order, refused twice with the transaction usable,
 * retired once; a checkpoint keeps its signer and reads it back.
 */
static void test_relay_keys_and_signers(void **state)
{
	struct fixture *f = *state;
	struct store_relay_key a = { .added_at = 10 }, b = { .added_at = 20 };
	struct relay_keys_seen seen = { 0 };
	struct store_checkpoint cp = { .at = 30, .has_signer = 1 }, last;
	const uint8_t *signer = NULL;
	int64_t s1 = 0, s2 = 0, s3 = 0;

	memset(a.pub, 0xa1, sizeof(a.pub));
	memset(b.pub, 0xb2, sizeof(b.pub));
	snprintf(a.name, sizeof(a.name), "relay-a:/srv/handoff");
	snprintf(b.name, sizeof(b.name), "relay-b:/srv/handoff");
	assert_int_equal(store_chain_append(f->st, f->ticket, hashed_link, &f->ticket, &s1), STORE_OK);
	assert_int_equal(store_chain_append(f->st, f->ticket, hashed_link, &f->ticket, &s2), STORE_OK);
	a.seq = s1;
	b.seq = s2;
	/* Registered out of order: the list follows the records. */
	assert_int_equal(store_relay_key_add(f->st, &b), STORE_OK);
	assert_int_equal(store_relay_key_add(f->st, &a), STORE_OK);
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_relay_key_add(f->st, &a), STORE_ERR_EXISTS);
	assert_int_equal(store_chain_append(f->st, f->ticket, hashed_link, &f->ticket, &s3), STORE_OK);
	assert_int_equal(store_commit(f->st), STORE_OK);
	assert_int_equal(store_relay_keys(f->st, relay_key_seen, &seen), STORE_OK);
	assert_int_equal(seen.n, 2);
	assert_memory_equal(seen.k[0].pub, a.pub, STORE_PUB_LEN);
	assert_string_equal(seen.k[0].name, a.name);
	assert_int_equal(seen.k[0].seq, s1);
	assert_int_equal(seen.k[0].added_at, 10);
	assert_int_equal(seen.k[0].retired_seq, 0);
	assert_memory_equal(seen.k[1].pub, b.pub, STORE_PUB_LEN);
	assert_int_equal(seen.k[1].seq, s2);
	/* Retired once; a second time, or an unknown key, is not found. */
	assert_int_equal(store_relay_key_retire(f->st, b.pub, s3), STORE_OK);
	assert_int_equal(store_relay_key_retire(f->st, b.pub, s3), STORE_NOT_FOUND);
	memset(cp.signer, 0xcc, sizeof(cp.signer));
	assert_int_equal(store_relay_key_retire(f->st, cp.signer, s3), STORE_NOT_FOUND);
	seen.n = 0;
	assert_int_equal(store_relay_keys(f->st, relay_key_seen, &seen), STORE_OK);
	assert_int_equal(seen.k[1].retired_seq, s3);
	assert_int_equal(seen.k[0].retired_seq, 0);
	/* A checkpoint with its signer, and one without (as before migration 13). */
	cp.seq = s3;
	memcpy(cp.signer, a.pub, STORE_PUB_LEN);
	assert_int_equal(store_checkpoint_add(f->st, &cp), STORE_OK);
	assert_int_equal(store_checkpoint_last(f->st, &last), STORE_OK);
	assert_int_equal(last.has_signer, 1);
	assert_memory_equal(last.signer, a.pub, STORE_PUB_LEN);
	assert_int_equal(store_chain_links(f->st, s3, s3, signer_of_last, &signer), STORE_OK);
	assert_non_null(signer);
	assert_memory_equal(signer, a.pub, STORE_PUB_LEN);
	cp = (struct store_checkpoint){ .seq = s1, .at = 5 };
	assert_int_equal(store_checkpoint_add(f->st, &cp), STORE_OK);
	signer = (const uint8_t *)"unset";
	assert_int_equal(store_chain_links(f->st, s1, s1, signer_of_last, &signer), STORE_OK);
	assert_null(signer);
}

struct peers_seen {
	struct store_peer p[4];
	int n;
};

static int peer_seen(const struct store_peer *p, void *ctx)
{
	struct peers_seen *s = ctx;

	if (s->n < 4)
		s->p[s->n] = *p;
	s->n++;
	return 0;
}

/*
 * Routing (migration 15): a relay's row replaced in place and listed with
 * its key's name and retirement; the live customer's relay set, replaced
 * by the newest, cleared only by its holder, and all of a relay's at once.
 */
static void test_peers_and_live_sessions(void **state)
{
	struct fixture *f = *state;
	struct store_relay_key a = { .added_at = 10 }, b = { .added_at = 20 };
	struct peers_seen seen = { 0 };
	uint8_t holder[STORE_PUB_LEN];
	int64_t s1 = 0, s2 = 0, since = 0, t2 = 0;

	memset(a.pub, 0xa1, sizeof(a.pub));
	memset(b.pub, 0xb2, sizeof(b.pub));
	snprintf(a.name, sizeof(a.name), "relay-a");
	snprintf(b.name, sizeof(b.name), "relay-b");
	assert_int_equal(store_chain_append(f->st, f->ticket, hashed_link, &f->ticket, &s1), STORE_OK);
	assert_int_equal(store_chain_append(f->st, f->ticket, hashed_link, &f->ticket, &s2), STORE_OK);
	a.seq = s1;
	b.seq = s2;
	assert_int_equal(store_relay_key_add(f->st, &a), STORE_OK);
	assert_int_equal(store_relay_key_add(f->st, &b), STORE_OK);
	assert_int_equal(store_peer_put(f->st, b.pub, "127.0.0.1:2223", "ssh-ed25519 BBBB", 5), STORE_OK);
	assert_int_equal(store_peer_put(f->st, a.pub, "", "ssh-ed25519 AAAA", 6), STORE_OK);
	assert_int_equal(store_peer_put(f->st, a.pub, "127.0.0.1:2222", "ssh-ed25519 AAAB", 7), STORE_OK);
	assert_int_equal(store_relay_key_retire(f->st, b.pub, s2), STORE_OK);
	assert_int_equal(store_peers(f->st, peer_seen, &seen), STORE_OK);
	assert_int_equal(seen.n, 2);
	assert_memory_equal(seen.p[0].pub, a.pub, STORE_PUB_LEN);
	assert_string_equal(seen.p[0].name, "relay-a");
	assert_string_equal(seen.p[0].address, "127.0.0.1:2222");
	assert_string_equal(seen.p[0].host_key, "ssh-ed25519 AAAB");
	assert_int_equal(seen.p[0].seen_at, 7);
	assert_int_equal(seen.p[0].retired_seq, 0);
	assert_string_equal(seen.p[1].address, "127.0.0.1:2223");
	assert_int_equal(seen.p[1].retired_seq, s2);

	assert_int_equal(store_live_get(f->st, f->ticket, holder, &since), STORE_NOT_FOUND);
	assert_int_equal(store_live_set(f->st, f->ticket, a.pub, 100), STORE_OK);
	assert_int_equal(store_live_set(f->st, f->ticket, b.pub, 101), STORE_OK);
	assert_int_equal(store_live_get(f->st, f->ticket, holder, &since), STORE_OK);
	assert_memory_equal(holder, b.pub, STORE_PUB_LEN);
	assert_int_equal(since, 101);
	/* The customer's old relay hearing it leave does not clear where it went. */
	assert_int_equal(store_live_clear(f->st, f->ticket, a.pub), STORE_OK);
	assert_int_equal(store_live_get(f->st, f->ticket, holder, &since), STORE_OK);
	assert_memory_equal(holder, b.pub, STORE_PUB_LEN);
	assert_int_equal(store_ticket_new(f->st, &(struct store_ticket_spec){ .summary = "Second", .priority = "P3",
			 .tier = "L1", .owner_id = f->alice.id }, 1001, &t2), STORE_OK);
	assert_int_equal(store_live_set(f->st, t2, b.pub, 102), STORE_OK);
	assert_int_equal(store_live_clear(f->st, 0, b.pub), STORE_OK);
	assert_int_equal(store_live_get(f->st, f->ticket, holder, &since), STORE_NOT_FOUND);
	assert_int_equal(store_live_get(f->st, t2, holder, &since), STORE_NOT_FOUND);
}

/* Where recordings live (migration 20): unknown until put, the newest put of a path wins. */
static void test_recording_places(void **state)
{
	struct fixture *f = *state;
	uint8_t a[STORE_PUB_LEN], b[STORE_PUB_LEN], got[STORE_PUB_LEN];
	const char *path = "recordings/1/viewer-1-100.hrec";

	memset(a, 0xa1, sizeof(a));
	memset(b, 0xb2, sizeof(b));
	assert_int_equal(store_recording_place_get(f->st, path, got), STORE_NOT_FOUND);
	assert_int_equal(store_recording_place_put(f->st, f->ticket, path, a, 100), STORE_OK);
	assert_int_equal(store_recording_place_put(f->st, f->ticket, "recordings/1/viewer-2-101.hrec", b, 101), STORE_OK);
	assert_int_equal(store_recording_place_get(f->st, path, got), STORE_OK);
	assert_memory_equal(got, a, STORE_PUB_LEN);
	assert_int_equal(store_recording_place_put(f->st, f->ticket, path, b, 102), STORE_OK);
	assert_int_equal(store_recording_place_get(f->st, path, got), STORE_OK);
	assert_memory_equal(got, b, STORE_PUB_LEN);
	assert_int_equal(store_recording_place_get(f->st, "recordings/1/other.hrec", got), STORE_NOT_FOUND);
}

/* The append-only triggers, reached around the store as someone with the database would. */
static void test_events_refuse_change(void **state)
{
	static const char *const changes[] = { "UPDATE events SET detail = 'forged'", "DELETE FROM events",
					       "UPDATE checkpoints SET at = 0", "DELETE FROM checkpoints" };
	struct fixture *f = *state;
	struct store_checkpoint cp = { .seq = 1, .at = 9 };
	int64_t seq = 0, links = 0, cps = 0;

	assert_int_equal(store_chain_append(f->st, f->ticket, hashed_link, &f->ticket, &seq), STORE_OK);
	assert_int_equal(store_checkpoint_add(f->st, &cp), STORE_OK);
	/* A checkpoint twice is refused as existing, and the store stays usable (PostgreSQL: no aborted transaction). */
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_checkpoint_add(f->st, &cp), STORE_ERR_EXISTS);
	assert_int_equal(store_chain_append(f->st, f->ticket, hashed_link, &f->ticket, &seq), STORE_OK);
	assert_int_equal(store_commit(f->st), STORE_OK);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		if (teststore_backend == TESTSTORE_PG) {
			PGconn *conn = PQconnectdb(f->ts.spec);
			PGresult *res = PQexec(conn, changes[i]);

			assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
			assert_non_null(strstr(PQerrorMessage(conn), "append-only"));
			PQclear(res);
			res = PQexec(conn, "TRUNCATE events, checkpoints");
			assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
			PQclear(res);
			PQfinish(conn);
		} else {
			sqlite3 *db = NULL;

			assert_int_equal(sqlite3_open(f->ts.spec, &db), SQLITE_OK);
			assert_int_not_equal(sqlite3_exec(db, changes[i], NULL, NULL, NULL), SQLITE_OK);
			assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
			sqlite3_close(db);
		}
	}
	assert_int_equal(store_chain_counts(f->st, &links, &cps), STORE_OK);
	assert_int_equal(links, 2);
	assert_int_equal(cps, 1);
}

struct kb_hits {
	int64_t id[16];
	int n;
};

static int kb_hit(const struct store_kb *a, void *ctx)
{
	struct kb_hits *h = ctx;

	if (h->n < 16)
		h->id[h->n++] = a->id;
	return 0;
}

/* The ids store_kb_find gives for words as `kb search` (AND) or suggestions (OR) would ask, sorted. */
static int kb_find_ids(struct store *st, const char *words, const char *op, int max_rank, int64_t *out)
{
	struct relay_kb_terms t;
	char match[RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)];
	struct kb_hits h = { .n = 0 };

	relay_kb_terms_words(words, &t);
	assert_int_equal(relay_kb_match(&t, op, match, sizeof(match)), 0);
	assert_int_equal(store_kb_find(st, match, max_rank, 10, kb_hit, &h), STORE_OK);
	for (int i = 0; i < h.n; i++)
		for (int j = i + 1; j < h.n; j++)
			if (h.id[j] < h.id[i]) {
				int64_t x = h.id[i];

				h.id[i] = h.id[j];
				h.id[j] = x;
			}
	memcpy(out, h.id, sizeof(int64_t) * (size_t)h.n);
	return h.n;
}

/*
 * What the knowledge base's callers see, the same on both backends (FTS5
 * trigram, pg_trgm with a per-field check): substrings of three characters
 * or more, ASCII case folded, Japanese as it is, each term within one
 * field, LIKE's wildcards only themselves, the tier filtered.
 */
static void test_kb_find_matches_alike(void **state)
{
	struct fixture *f = *state;
	const struct store_kb articles[] = {
		{ .title = "Printer offline", .symptoms = "The PRINTER says offline", .fix = "Restart the spooler",
		  .tier = "public" },
		{ .title = "VPN drops", .symptoms = "Timeout after 50% of the upload", .fix = "Lower the MTU",
		  .tier = "L1" },
		{ .title = "印刷できない", .symptoms = "プリンターが応答しません", .fix = "スプーラーを再起動", .tier = "public" },
		{ .title = "Disk full", .symptoms = "a_b quota", .cause = "logs", .fix = "rotate", .tier = "L3" },
	};
	int64_t id[4], got[16];

	for (int i = 0; i < 4; i++)
		assert_int_equal(store_kb_add(f->st, &articles[i], 100, &id[i]), STORE_OK);
	assert_int_equal(kb_find_ids(f->st, "printer", "AND", 3, got), 1);
	assert_int_equal(got[0], id[0]);
	assert_int_equal(kb_find_ids(f->st, "PRINT spooler", "AND", 3, got), 1);
	/* Both words, in different fields of one article. */
	assert_int_equal(kb_find_ids(f->st, "offline spooler", "AND", 3, got), 1);
	assert_int_equal(kb_find_ids(f->st, "offline mtu", "AND", 3, got), 0);
	assert_int_equal(kb_find_ids(f->st, "offline mtu", "OR", 3, got), 2);
	assert_int_equal(got[0], id[0]);
	assert_int_equal(got[1], id[1]);
	/* The tier is filtered in the query: L1's article is not a public reader's. */
	assert_int_equal(kb_find_ids(f->st, "offline mtu", "OR", 0, got), 1);
	assert_int_equal(kb_find_ids(f->st, "応答しま", "AND", 0, got), 1);
	assert_int_equal(got[0], id[2]);
	assert_int_equal(kb_find_ids(f->st, "スプーラー printer", "OR", 0, got), 2);
	/* % and _ are characters, not wildcards. */
	assert_int_equal(kb_find_ids(f->st, "50%", "AND", 3, got), 1);
	assert_int_equal(got[0], id[1]);
	assert_int_equal(kb_find_ids(f->st, "0%z", "AND", 3, got), 0);
	assert_int_equal(kb_find_ids(f->st, "a_b", "AND", 3, got), 1);
	assert_int_equal(got[0], id[3]);
	assert_int_equal(kb_find_ids(f->st, "axb", "AND", 3, got), 0);
	assert_int_equal(kb_find_ids(f->st, "a_b", "AND", 2, got), 0);
	/* A quote in a term. */
	assert_int_equal(kb_find_ids(f->st, "the\"x", "OR", 3, got), 0);
}

/* Ends every other connection to the test database, as a server restart would. */
static void terminate_others(const char *spec)
{
	PGconn *conn = PQconnectdb(spec);
	PGresult *res = PQexec(conn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
				     " WHERE datname = current_database() AND pid <> pg_backend_pid()");

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	PQfinish(conn);
}

/*
 * The database went away under a live store (PostgreSQL only): the call of
 * that moment fails, the next one connects again; a transaction the break
 * cut does not commit, even though later statements could run again.
 */
static void test_connection_lost_and_found(void **state)
{
	struct fixture *f = *state;
	struct store_ticket t;

	if (teststore_backend != TESTSTORE_PG)
		skip();
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	/* A read finds the connection gone and is made again on a new one: no call fails. */
	terminate_others(f->ts.spec);
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	/* A write is not made twice on a guess: the one that found out fails, the next works. */
	terminate_others(f->ts.spec);
	assert_int_equal(store_ticket_sla_flags(f->st, f->ticket, 1), STORE_ERR);
	assert_int_equal(store_ticket_sla_flags(f->st, f->ticket, 2), STORE_OK);
	/* A transaction begins on a new connection too. */
	terminate_others(f->ts.spec);
	assert_int_equal(store_begin(f->st), STORE_OK);
	assert_int_equal(store_ticket_update(f->st, f->ticket, "escalated", NULL, -1, 1500), STORE_OK);
	terminate_others(f->ts.spec);
	assert_int_not_equal(store_ticket_update(f->st, f->ticket, NULL, "L2", -1, 1501), STORE_OK);
	assert_int_not_equal(store_ticket_update(f->st, f->ticket, NULL, "L3", -1, 1502), STORE_OK);
	assert_int_equal(store_commit(f->st), STORE_ERR);
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	assert_string_equal(t.state, "open");
	assert_string_equal(t.tier, "L1");
	assert_int_equal(t.sla_flags, 2);
}

struct review_seen {
	int n;
	int64_t ticket[4];
	char cause[4][32];
};

static int review_ticket(const struct store_ticket *t, void *ctx)
{
	struct review_seen *r = ctx;

	if (r->n < 4)
		r->ticket[r->n++] = t->id;
	return 0;
}

static int review_cause(int64_t ticket, const char *cause, void *ctx)
{
	struct review_seen *r = ctx;

	if (r->n < 4) {
		r->ticket[r->n] = ticket;
		snprintf(r->cause[r->n++], sizeof(r->cause[0]), "%s", cause);
	}
	return 0;
}

/* Reviews owed and given (relay/review.h): the same answers from both backends. */
static void test_reviews(void **state)
{
	struct fixture *f = *state;
	struct store_ticket_spec spec = { .summary = "Outage", .priority = "P1", .tier = "L2" };
	struct review_seen seen = { 0 };
	int64_t p1, p2;

	assert_int_equal(store_ticket_new(f->st, &spec, 1000, &p1), STORE_OK);
	spec.priority = "P2";
	assert_int_equal(store_ticket_new(f->st, &spec, 1000, &p2), STORE_OK);
	/* The P3 ticket of the fixture owes none; both new ones do, P1 first. */
	assert_int_equal(store_review_pending(f->st, 10, review_ticket, &seen), STORE_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ticket[0], p1);
	assert_int_equal(seen.ticket[1], p2);
	assert_int_equal(relay_audit_event(f->st, p1, 1001, "reviewed", "bob", "L2", NULL, "cause: old disk"), STORE_OK);
	assert_int_equal(relay_audit_event(f->st, p1, 1002, "reviewed", "bob", "L2", NULL, "cause: full disk"),
			 STORE_OK);
	/* A cause alone is not a review. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_review_pending(f->st, 10, review_ticket, &seen), STORE_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(relay_audit_event(f->st, p1, 1003, "reviewed", "bob", "L2", NULL, "prevention: alerts"),
			 STORE_OK);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_review_pending(f->st, 10, review_ticket, &seen), STORE_OK);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ticket[0], p2);
	assert_int_equal(relay_audit_event(f->st, p2, 1004, "reviewed", "bob", "L2", NULL, "cause: cable"), STORE_OK);
	/* Newest first, each ticket once with its latest cause. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_reviewed_causes(f->st, 10, review_cause, &seen), STORE_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ticket[0], p2);
	assert_string_equal(seen.cause[0], "cable");
	assert_int_equal(seen.ticket[1], p1);
	assert_string_equal(seen.cause[1], "full disk");
}

/*
 * Desk accounts (migration 14): the role is accepted and an unknown one is
 * not. On SQLite the step makes the users table again: run from schema 13
 * over a store with accounts, keys and an owned ticket, it keeps every row
 * and id, and foreign keys hold again afterwards.
 */
static void test_desk_role_migration(void **state)
{
	struct fixture *f = *state;
	struct store_user desk, again;
	struct store_ticket t;
	char err[256];
	sqlite3 *db;

	assert_int_equal(store_user_add(f->st, "deskbot", "desk", "", "ssh-ed25519", "AAAAdesk", err, sizeof(err)),
			 STORE_OK);
	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "AAAAdesk", &desk), STORE_OK);
	assert_string_equal(desk.role, "desk");
	assert_int_not_equal(store_user_add(f->st, "root", "admin", "", "ssh-ed25519", "AAAAroot", err, sizeof(err)),
			     STORE_OK);
	if (teststore_backend == TESTSTORE_PG)
		return;
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->ts.spec, &db), SQLITE_OK);
	/*
	 * Migrations 15 (routing), 16 (RT links), 17 (several relays), 18 (the cap's window), 19 (outbox claims),
	 * 20 (recordings' places) and 21 (desk budgets) run again after it: theirs go too.
	 */
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE live_sessions; DROP TABLE relays; DROP TABLE rt_links;"
				      "DROP TABLE resume_tokens; DROP TABLE code_sources; DROP TABLE store_secrets; DROP TABLE code_failures;"
				      "ALTER TABLE webhook_outbox DROP COLUMN claimed_by; ALTER TABLE webhook_outbox DROP COLUMN claimed_until;"
				      "DROP TABLE recording_places; DROP TABLE desk_budgets;"
				      "DROP TRIGGER relay_keys_append_only_delete; DROP TRIGGER relay_keys_append_only_update;"
				      "PRAGMA user_version = 13",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->ts.spec, &f->st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "AAAAdesk", &again), STORE_OK);
	assert_int_equal(again.id, desk.id);
	assert_string_equal(again.role, "desk");
	assert_int_equal(store_user_by_key(f->st, "ssh-ed25519", "AAAAkey1", &again), STORE_OK);
	assert_int_equal(again.id, f->alice.id);
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
	assert_int_equal(t.owner_id, f->alice.id);
	assert_string_equal(t.owner, "alice");
	/* Foreign keys are on again: a key for nobody is refused. */
	assert_int_equal(sqlite3_open(f->ts.spec, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db,
					  "INSERT INTO user_keys (user_id, key_type, key_base64) VALUES (999, 'x', 'y')",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	assert_int_not_equal(store_user_add(f->st, "nobody", "tech", "L4", "ssh-ed25519", "AAAAl4", err, sizeof(err)),
			     STORE_OK);
	/* And on the store's own connection: a ticket owned by nobody is refused. */
	{
		struct store_ticket_spec spec = { .summary = "Ghost", .priority = "P3", .tier = "L1", .owner_id = 999 };
		int64_t id;

		assert_int_not_equal(store_ticket_new(f->st, &spec, 1000, &id), STORE_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_code_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_dies_after_five_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_four_wrong_then_right, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_locator_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_replaced_and_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_cancel_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_of_resolved_ticket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tickets_owned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_and_tickets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_database_is_a_clear_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_queue_and_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_and_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_append_is_the_stores_only_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intake_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_states, setup, teardown),
		cmocka_unit_test(test_unreachable_database_is_a_clear_error),
		cmocka_unit_test_setup_teardown(test_concurrent_appends_keep_one_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_desk_budget_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_refuse_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kb_find_matches_alike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_lost_and_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reviews, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_keys_and_signers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peers_and_live_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recording_places, setup, teardown),
		cmocka_unit_test_setup_teardown(test_desk_role_migration, setup, teardown),
	};
	return teststore_run("store", tests, sizeof(tests) / sizeof(tests[0]));
}
