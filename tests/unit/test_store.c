/*
 * The SQLite store: support-code rules (once, expiry, five wrong tries,
 * live locators unique), users by key, tickets and migrations on reopen.
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

#include "store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
	struct store_user alice;
	int64_t ticket;
};

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
	assert_int_equal(store_ticket_new(f->st, "Printer", &f->alice, 1000, &f->ticket), STORE_OK);
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
	assert_int_equal(store_code_add(f->st, f->ticket, 1234, h, 1000, 1600), STORE_OK);
	assert_int_equal(store_code_redeem(f->st, 1234, h, 1001, &ticket), STORE_CODE_ACCEPTED);
	assert_int_equal(ticket, f->ticket);
	assert_int_equal(store_code_redeem(f->st, 1234, h, 1002, &ticket), STORE_CODE_USED);
}

static void test_code_expires(void **state)
{
	struct fixture *f = *state;
	uint8_t h[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(h, 2);
	assert_int_equal(store_code_add(f->st, f->ticket, 42, h, 1000, 1600), STORE_OK);
	assert_int_equal(store_code_redeem(f->st, 42, h, 1600, &ticket), STORE_CODE_EXPIRED);
	assert_int_equal(store_code_redeem(f->st, 42, h, 1599, &ticket), STORE_CODE_ACCEPTED);
}

static void test_code_dies_after_five_wrong(void **state)
{
	struct fixture *f = *state;
	uint8_t right[CODE_HASH_LEN], wrong[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(right, 3);
	hash_of(wrong, 4);
	assert_int_equal(store_code_add(f->st, f->ticket, 7, right, 1000, 1600), STORE_OK);
	for (int i = 0; i < CODE_MAX_FAILURES; i++)
		assert_int_equal(store_code_redeem(f->st, 7, wrong, 1001, &ticket), STORE_CODE_WRONG);
	assert_int_equal(store_code_redeem(f->st, 7, right, 1002, &ticket), STORE_CODE_LOCKED);
	/* A dead code frees its locator for a new one. */
	hash_of(right, 5);
	assert_int_equal(store_code_add(f->st, f->ticket, 7, right, 1003, 1600), STORE_OK);
	assert_int_equal(store_code_redeem(f->st, 7, right, 1004, &ticket), STORE_CODE_ACCEPTED);
}

static void test_code_four_wrong_then_right(void **state)
{
	struct fixture *f = *state;
	uint8_t right[CODE_HASH_LEN], wrong[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(right, 6);
	hash_of(wrong, 7);
	assert_int_equal(store_code_add(f->st, f->ticket, 8, right, 1000, 1600), STORE_OK);
	for (int i = 0; i < CODE_MAX_FAILURES - 1; i++)
		assert_int_equal(store_code_redeem(f->st, 8, wrong, 1001, &ticket), STORE_CODE_WRONG);
	assert_int_equal(store_code_redeem(f->st, 8, right, 1002, &ticket), STORE_CODE_ACCEPTED);
}

static void test_live_locator_unique(void **state)
{
	struct fixture *f = *state;
	uint8_t h[CODE_HASH_LEN];
	int64_t ticket = 0;

	hash_of(h, 8);
	assert_int_equal(store_code_add(f->st, f->ticket, 99, h, 1000, 1600), STORE_OK);
	assert_int_equal(store_code_add(f->st, f->ticket, 99, h, 1001, 1600), STORE_ERR_EXISTS);
	/* Once it expired, the locator may be drawn again. */
	assert_int_equal(store_code_add(f->st, f->ticket, 99, h, 1600, 2200), STORE_OK);
	assert_int_equal(store_code_redeem(f->st, 5555, h, 1601, &ticket), STORE_CODE_UNKNOWN);
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
	assert_int_equal(store_event_add(f->st, f->ticket, 1000, "note", "alice", "日本語"), STORE_OK);
	assert_int_not_equal(store_event_add(f->st, 999, 1000, "note", "alice", NULL), STORE_OK);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_code_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_dies_after_five_wrong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_code_four_wrong_then_right, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_locator_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_and_tickets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_database_is_a_clear_error, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
