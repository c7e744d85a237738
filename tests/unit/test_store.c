/*
 * The SQLite store: support-code rules (once, expiry, five wrong tries,
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
#include <unistd.h>

#include <cmocka.h>

#include "audit.h"
#include "store.h"

struct fixture {
	char dir[64];
	char path[128];
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

	snprintf(f->dir, sizeof(f->dir), "/tmp/handoff-store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/handoff.db", f->dir);
	assert_int_equal(store_open(f->path, &f->st, err, sizeof(err)), STORE_OK);
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
	char cmd[256];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "%s/handoff.db", f->dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/handoff.db-wal", f->dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/handoff.db-shm", f->dir);
	unlink(cmd);
	rmdir(f->dir);
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
	assert_int_equal(store_open(f->path, &f->st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_ticket_get(f->st, f->ticket, &t), STORE_OK);
}

static void test_corrupt_database_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	char path[160], err[256] = "";
	struct store *st = NULL;
	FILE *fp;

	(void)f;
	snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
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
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
