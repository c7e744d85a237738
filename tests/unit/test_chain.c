/*
 * The audit chain: the canonical event body, the link hash, the walk that
 * names a broken record, checkpoint signatures, the audit key files; then
 * the store writing the chain with its events (rolled-back transactions
 * leave no gap, old databases are migrated, rows are append-only) and the
 * relay's side (checkpoints every 100 records or 60 s, verify naming a
 * changed or removed record, an export that verifies offline).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "chain.h"
#include "export.h"
#include "log.h"
#include "audit.h"
#include "relay.h"
#include "testfs.h"
#include "teststore.h"

static const struct chain_event sample = {
	.ticket = 42, .at = 1700000000, .kind = "chat", .actor = "alice", .role = "L1", .clearance = "",
	.detail = "プリンターのエラー 0x12",
};

static void test_body_round_trip(void **state)
{
	struct chain_event_owned e;
	struct buf b, again;

	(void)state;
	buf_init(&b, CHAIN_BODY_MAX);
	assert_int_equal(chain_body_encode(&b, &sample), 0);
	assert_int_equal(chain_body_decode(buf_ptr(&b), buf_len(&b), &e), 0);
	assert_int_equal(e.e.ticket, 42);
	assert_int_equal(e.e.at, 1700000000);
	assert_string_equal(e.e.kind, "chat");
	assert_string_equal(e.e.actor, "alice");
	assert_string_equal(e.e.role, "L1");
	assert_string_equal(e.e.clearance, "");
	assert_string_equal(e.e.detail, sample.detail);
	buf_init(&again, CHAIN_BODY_MAX);
	assert_int_equal(chain_body_encode(&again, &e.e), 0);
	assert_int_equal(buf_len(&again), buf_len(&b));
	assert_memory_equal(buf_ptr(&again), buf_ptr(&b), buf_len(&b));
	chain_event_free(&e);
	buf_free(&again);
	buf_free(&b);
}

static void test_body_rejects(void **state)
{
	struct chain_event_owned e;
	struct chain_event big = sample;
	struct buf b;
	uint8_t *copy;
	char *detail;

	(void)state;
	buf_init(&b, CHAIN_BODY_MAX + 16);
	assert_int_equal(chain_body_encode(&b, &sample), 0);
	/* Every prefix is short, a trailing byte is not canonical. */
	for (size_t n = 0; n < buf_len(&b); n++)
		assert_true(chain_body_decode(buf_ptr(&b), n, &e) < 0);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_int_equal(chain_body_decode(buf_ptr(&b), buf_len(&b), &e), BUF_ERR_FORMAT);
	/* A NUL inside a field cannot come from a C string. */
	copy = malloc(buf_len(&b));
	memcpy(copy, buf_ptr(&b), buf_len(&b));
	copy[8 + 8 + 4 + 1] = '\0'; /* inside "chat" */
	assert_int_equal(chain_body_decode(copy, buf_len(&b) - 1, &e), BUF_ERR_FORMAT);
	free(copy);
	/* The encoder refuses what the decoder would. */
	detail = malloc(CHAIN_DETAIL_MAX + 2);
	memset(detail, 'x', CHAIN_DETAIL_MAX + 1);
	detail[CHAIN_DETAIL_MAX + 1] = '\0';
	big.detail = detail;
	buf_reset(&b);
	assert_int_equal(chain_body_encode(&b, &big), BUF_ERR_TOO_LONG);
	assert_int_equal(buf_len(&b), 0);
	detail[CHAIN_DETAIL_MAX] = '\0';
	assert_int_equal(chain_body_encode(&b, &big), 0);
	assert_int_equal(chain_body_decode(buf_ptr(&b), buf_len(&b), &e), 0);
	chain_event_free(&e);
	free(detail);
	buf_free(&b);
}

/* The link hash, computed here byte by byte from the format in chain.h. */
static void test_link_hash_layout(void **state)
{
	uint8_t prev[32], body_hash[32], hash[32], want[32], m[32 + 8 + 8 + 32];
	struct buf b;

	(void)state;
	memset(prev, 0xab, sizeof(prev));
	buf_init(&b, CHAIN_BODY_MAX);
	assert_int_equal(chain_body_encode(&b, &sample), 0);
	SHA256(buf_ptr(&b), buf_len(&b), want);
	assert_int_equal(chain_link_compute(&sample, 5, prev, body_hash, hash), 0);
	assert_memory_equal(body_hash, want, 32);
	memcpy(m, prev, 32);
	memset(m + 32, 0, 16);
	m[32 + 7] = 5;
	m[40 + 7] = 42;
	memcpy(m + 48, body_hash, 32);
	SHA256(m, sizeof(m), want);
	assert_memory_equal(hash, want, 32);
	/* The body starts u64 ticket, u64 at, then u32-prefixed strings. */
	assert_int_equal(buf_ptr(&b)[7], 42);
	assert_int_equal(buf_ptr(&b)[19], 4);
	assert_memory_equal(buf_ptr(&b) + 20, "chat", 4);
	buf_free(&b);
}

struct links {
	uint8_t body_hash[6][32];
	uint8_t hash[6][32];
};

static void make_links(struct links *l)
{
	uint8_t prev[32] = { 0 };

	for (int i = 0; i < 6; i++) {
		struct chain_event e = sample;

		e.ticket = (uint64_t)(i % 2 + 1);
		e.at += i;
		assert_int_equal(chain_link_compute(&e, (uint64_t)i + 1, prev, l->body_hash[i], l->hash[i]), 0);
		memcpy(prev, l->hash[i], 32);
	}
}

static void walk_expect(const struct links *l, const int *seqs, int n, const char *want)
{
	struct chain_walk w;
	char err[256] = "";
	int rc = 0;

	chain_walk_init(&w);
	for (int k = 0; k < n && rc == 0; k++) {
		int i = seqs[k] - 1;

		rc = chain_walk_step(&w, (uint64_t)seqs[k], (uint64_t)(i % 2 + 1), l->body_hash[i], NULL, l->hash[i], err,
				     sizeof(err));
	}
	if (want == NULL) {
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, -1);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, want);
}

static void test_walk_names_the_record(void **state)
{
	struct links l;
	static const int good[] = { 1, 2, 3, 4, 5, 6 }, gap[] = { 1, 2, 4 }, gap2[] = { 1, 5 },
			 swapped[] = { 1, 3, 2 }, again[] = { 1, 2, 2 };
	struct chain_walk w;
	char err[256];

	(void)state;
	make_links(&l);
	walk_expect(&l, good, 6, NULL);
	walk_expect(&l, gap, 3, "record 3 is missing");
	walk_expect(&l, gap2, 2, "records 2 to 4 are missing");
	walk_expect(&l, swapped, 3, "record 2 is missing");
	walk_expect(&l, again, 3, "record 2: out of order");
	l.body_hash[3][0] ^= 1;
	walk_expect(&l, good, 6, "record 4: hash mismatch");
	l.body_hash[3][0] ^= 1;
	/* A stored prev that is not the previous hash. */
	chain_walk_init(&w);
	assert_int_equal(chain_walk_step(&w, 1, 1, l.body_hash[0], (const uint8_t[32]){ 0 }, l.hash[0], err, sizeof(err)), 0);
	assert_int_equal(chain_walk_step(&w, 2, 2, l.body_hash[1], l.body_hash[0], l.hash[1], err, sizeof(err)), -1);
	assert_non_null(strstr(err, "record 2: its previous hash"));
	/* A failed walk stays failed. */
	assert_int_equal(chain_walk_step(&w, 2, 2, l.body_hash[1], l.hash[0], l.hash[1], err, sizeof(err)), -1);
	/* The ticket is part of the link: a record cannot move to another ticket. */
	chain_walk_init(&w);
	assert_int_equal(chain_walk_step(&w, 1, 2, l.body_hash[0], NULL, l.hash[0], err, sizeof(err)), -1);
}

static EVP_PKEY *key_from_seed(uint8_t seed)
{
	uint8_t raw[32];

	memset(raw, seed, sizeof(raw));
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
}

static void test_checkpoint_signatures(void **state)
{
	EVP_PKEY *key = key_from_seed(7), *other = key_from_seed(8);
	uint8_t pub[32], opub[32], hash[32], sig[64];

	(void)state;
	memset(hash, 0x5a, sizeof(hash));
	assert_int_equal(chain_key_public(key, pub), 0);
	assert_int_equal(chain_key_public(other, opub), 0);
	assert_int_equal(chain_checkpoint_sign(key, 100, hash, 1700000000, sig), 0);
	assert_true(chain_checkpoint_verify(pub, 100, hash, 1700000000, sig));
	assert_false(chain_checkpoint_verify(opub, 100, hash, 1700000000, sig));
	assert_false(chain_checkpoint_verify(pub, 101, hash, 1700000000, sig));
	assert_false(chain_checkpoint_verify(pub, 100, hash, 1700000001, sig));
	hash[31] ^= 1;
	assert_false(chain_checkpoint_verify(pub, 100, hash, 1700000000, sig));
	hash[31] ^= 1;
	sig[10] ^= 1;
	assert_false(chain_checkpoint_verify(pub, 100, hash, 1700000000, sig));
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_key_files(void **state)
{
	char dir[] = "/tmp/handoff-chain.XXXXXX", priv[128], pubf[128], err[256], fp[CHAIN_FP_MAX];
	uint8_t pub[32], loaded[32];
	EVP_PKEY *key = chain_key_generate(), *back = NULL;
	struct stat sb;
	char line[200], hex[65];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(priv, sizeof(priv), "%s/audit_ed25519", dir);
	snprintf(pubf, sizeof(pubf), "%s/audit_ed25519.pub", dir);
	assert_non_null(key);
	assert_int_equal(chain_key_public(key, pub), 0);
	assert_int_equal(chain_key_save(key, priv, pubf, err, sizeof(err)), 0);
	assert_int_equal(stat(priv, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* Never over an existing key. */
	assert_int_equal(chain_key_save(key, priv, pubf, err, sizeof(err)), -1);
	assert_int_equal(chain_key_load_private(priv, &back, err, sizeof(err)), 0);
	assert_int_equal(chain_key_public(back, loaded), 0);
	assert_memory_equal(pub, loaded, 32);
	assert_int_equal(chain_pub_load(pubf, loaded, err, sizeof(err)), 0);
	assert_memory_equal(pub, loaded, 32);
	/* The public file: one line; CR LF or no newline are fine, anything else is not. */
	hex_encode(pub, 32, hex);
	snprintf(line, sizeof(line), "handoff-audit-ed25519 %s\r\n", hex);
	assert_int_equal(chain_pub_parse((const uint8_t *)line, strlen(line), loaded), 0);
	snprintf(line, sizeof(line), "handoff-audit-ed25519 %s", hex);
	assert_int_equal(chain_pub_parse((const uint8_t *)line, strlen(line), loaded), 0);
	/* Each a prefix, the key's hex (whole or cut to 62 digits) and a suffix. */
	static const struct { const char *pre; int digits; const char *post; } bad[] = {
		{ "handoff-audit-ed25519 ", 64, "\n\n" }, { "handoff-audit-ed25519  ", 64, "\n" },
		{ "handoff-x25519-public ", 64, "\n" }, { "handoff-audit-ed25519 ", 64, " extra\n" },
		{ "handoff-audit-ed25519 ", 62, "\n" }, { "handoff-audit-ed25519 ", 62, "zz\n" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s%.*s%s", bad[i].pre, bad[i].digits, hex, bad[i].post);
		if (chain_pub_parse((const uint8_t *)line, strlen(line), loaded) == 0)
			fail_msg("\"%s\" parsed as a public key", line);
	}
	{
		EVP_PKEY *none = NULL;

		assert_int_equal(chain_key_load_private(pubf, &none, err, sizeof(err)), -1);
		assert_null(none);
	}
	chain_fingerprint(pub, fp, sizeof(fp));
	assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
	assert_int_equal(strlen(fp), 7 + 43);
	unlink(priv);
	unlink(pubf);
	rmdir(dir);
	EVP_PKEY_free(key);
	EVP_PKEY_free(back);
}

/* ---- the store ---- */

/*
 * The database reached around the store, as someone holding it would:
 * SQLite's file or PostgreSQL's schema, whichever the round runs on.
 */
struct rawdb {
	sqlite3 *lite;
	PGconn *pg;
	char err[512];
};

static void rawdb_open(struct rawdb *r, const char *spec)
{
	memset(r, 0, sizeof(*r));
	if (teststore_backend == TESTSTORE_PG) {
		r->pg = PQconnectdb(spec);
		assert_int_equal(PQstatus(r->pg), CONNECTION_OK);
	} else {
		assert_int_equal(sqlite3_open(spec, &r->lite), SQLITE_OK);
	}
}

/* 0, or -1 with r->err. */
static int rawdb_exec(struct rawdb *r, const char *sql)
{
	char *msg = NULL;
	int rc = 0;

	r->err[0] = '\0';
	if (r->pg != NULL) {
		PGresult *res = PQexec(r->pg, sql);

		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			snprintf(r->err, sizeof(r->err), "%s", PQerrorMessage(r->pg));
			rc = -1;
		}
		PQclear(res);
		return rc;
	}
	if (sqlite3_exec(r->lite, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(r->err, sizeof(r->err), "%s", msg ? msg : "error");
		rc = -1;
	}
	sqlite3_free(msg);
	return rc;
}

/* Takes away table's append-only triggers (events or checkpoints), as an attacker with the database can. */
static void rawdb_unguard(struct rawdb *r, const char *table)
{
	char sql[256];

	if (r->pg != NULL)
		snprintf(sql, sizeof(sql), "ALTER TABLE %s DISABLE TRIGGER USER", table);
	else
		snprintf(sql, sizeof(sql), "DROP TRIGGER IF EXISTS %s_append_only_update; DROP TRIGGER IF EXISTS %s_append_only_delete",
			 table, table);
	assert_int_equal(rawdb_exec(r, sql), 0);
}

static void rawdb_close(struct rawdb *r)
{
	PQfinish(r->pg);
	sqlite3_close(r->lite);
}

struct tmpdb {
	struct teststore ts;
	struct store *st;
};

static void tmpdb_open(struct tmpdb *t)
{
	char err[256];

	assert_int_equal(teststore_make(&t->ts), 0);
	assert_int_equal(store_open(t->ts.spec, &t->st, err, sizeof(err)), STORE_OK);
}

struct walked {
	struct chain_walk w;
	int64_t n;
	char err[256];
};

static int walk_store(const struct store_link *l, void *ctx)
{
	struct walked *v = ctx;
	struct chain_event e = { .ticket = (uint64_t)l->ticket, .at = l->event.at, .kind = l->event.kind,
				 .actor = l->event.actor, .role = l->event.role, .clearance = l->event.clearance,
				 .detail = l->event.detail };
	uint8_t bh[32], h[32];

	assert_non_null(l->hash);
	assert_int_equal(chain_link_compute(&e, (uint64_t)l->seq, v->w.hash, bh, h), 0);
	assert_memory_equal(bh, l->body_hash, 32);
	if (chain_walk_step(&v->w, (uint64_t)l->seq, (uint64_t)l->ticket, bh, l->prev_hash, l->hash, v->err,
			    sizeof(v->err)) != 0)
		fail_msg("%s", v->err);
	v->n++;
	return 0;
}

static void test_store_writes_the_chain(void **state)
{
	struct tmpdb t;
	struct walked v;
	struct store_ticket_spec spec = { .summary = "s", .priority = "P3", .tier = "L1" };
	struct store_checkpoint cp = { .seq = 3, .at = 5 }, last;
	uint8_t head_hash[32];
	int64_t ticket, head, links, cps, orphan;
	struct rawdb db;

	(void)state;
	tmpdb_open(&t);
	assert_int_equal(store_ticket_new(t.st, &spec, 1, &ticket), STORE_OK);
	assert_int_equal(relay_audit_event(t.st, ticket, 1, "created", "alice", "L1", NULL, "s"), STORE_OK);
	/* Inside a caller's transaction, and a rolled-back one that leaves no gap. */
	assert_int_equal(store_begin(t.st), STORE_OK);
	assert_int_equal(relay_audit_event(t.st, ticket, 2, "note", "alice", "L1", NULL, "a"), STORE_OK);
	assert_int_equal(relay_audit_event(t.st, ticket, 2, "note", "alice", "L1", "L2", "b"), STORE_OK);
	assert_int_equal(store_commit(t.st), STORE_OK);
	assert_int_equal(store_begin(t.st), STORE_OK);
	assert_int_equal(relay_audit_event(t.st, ticket, 3, "note", "alice", "L1", NULL, "gone"), STORE_OK);
	store_rollback(t.st);
	assert_int_equal(relay_audit_event(t.st, ticket, 4, "chat", NULL, NULL, NULL, NULL), STORE_OK);
	/* Too large for the chain: refused, nothing written. */
	{
		char *huge = malloc(CHAIN_DETAIL_MAX + 2);

		memset(huge, 'y', CHAIN_DETAIL_MAX + 1);
		huge[CHAIN_DETAIL_MAX + 1] = '\0';
		assert_int_equal(relay_audit_event(t.st, ticket, 5, "note", "a", "L1", NULL, huge), STORE_ERR);
		free(huge);
	}
	memset(&v, 0, sizeof(v));
	chain_walk_init(&v.w);
	assert_int_equal(store_chain_links(t.st, 1, 0, walk_store, &v), STORE_OK);
	assert_int_equal(v.n, 4);
	assert_int_equal(store_chain_head(t.st, &head, head_hash), STORE_OK);
	assert_int_equal(head, 4);
	assert_memory_equal(head_hash, v.w.hash, 32);
	/* Checkpoints. */
	assert_int_equal(store_checkpoint_last(t.st, &last), STORE_NOT_FOUND);
	assert_int_equal(store_checkpoint_add(t.st, &cp), STORE_OK);
	assert_int_equal(store_checkpoint_add(t.st, &cp), STORE_ERR_EXISTS);
	assert_int_equal(store_checkpoint_last(t.st, &last), STORE_OK);
	assert_int_equal(last.seq, 3);
	assert_int_equal(store_chain_counts(t.st, &links, &cps), STORE_OK);
	assert_int_equal(links, 4);
	assert_int_equal(cps, 1);
	assert_int_equal(store_checkpoint_orphan(t.st, &orphan), STORE_OK);
	assert_int_equal(orphan, 0);
	/* Append-only: another connection cannot change or delete rows while the triggers stand. */
	rawdb_open(&db, t.ts.spec);
	assert_int_not_equal(rawdb_exec(&db, "UPDATE events SET detail = 'x' WHERE id = 2"), 0);
	assert_non_null(strstr(db.err, "append-only"));
	assert_int_not_equal(rawdb_exec(&db, "DELETE FROM events WHERE id = 4"), 0);
	assert_int_not_equal(rawdb_exec(&db, "DELETE FROM checkpoints"), 0);
	rawdb_close(&db);
	store_close(t.st);
	teststore_drop(&t.ts);
}

/* A database of schema 2 (before the chain) gets its events linked when opened. */
static void test_store_migrates_old_events(void **state)
{
	struct tmpdb t;
	struct walked v;
	char err[256];
	sqlite3 *db;

	(void)state;
	/* SQLite's history: a PostgreSQL store was born at the schema with the chain. */
	if (teststore_backend == TESTSTORE_PG)
		skip();
	assert_int_equal(teststore_make(&t.ts), 0);
	assert_int_equal(sqlite3_open(t.ts.spec, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE events (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL,"
				      " at INTEGER NOT NULL, kind TEXT NOT NULL, actor TEXT, detail TEXT,"
				      " role TEXT NOT NULL DEFAULT '', clearance TEXT NOT NULL DEFAULT '');"
				      "CREATE TABLE tickets (id INTEGER PRIMARY KEY, summary TEXT, state TEXT, tier TEXT,"
				      " priority TEXT, owner_id INTEGER, created_at INTEGER, updated_at INTEGER, tier_since INTEGER);"
				      /* Schema 6 gives users a state: a version-2 store has the table. */
				      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
				      " tier TEXT NOT NULL, created_at INTEGER NOT NULL);"
				      /* Schema 7 alters the codes table, which schema 1 made. */
				      "CREATE TABLE codes (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, locator INTEGER NOT NULL,"
				      " hash BLOB NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
				      " failures INTEGER NOT NULL DEFAULT 0, used_at INTEGER);"
				      "INSERT INTO events (ticket_id, at, kind, actor, detail) VALUES (1, 10, 'created', 'bob', 'x');"
				      "INSERT INTO events (ticket_id, at, kind, actor, detail) VALUES (1, 11, 'note', NULL, NULL);"
				      "INSERT INTO events (ticket_id, at, kind, actor, detail, role) VALUES (2, 12, 'chat', 'c', 'y', 'customer');"
				      "PRAGMA user_version = 2;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(t.ts.spec, &t.st, err, sizeof(err)), STORE_OK);
	memset(&v, 0, sizeof(v));
	chain_walk_init(&v.w);
	assert_int_equal(store_chain_links(t.st, 1, 0, walk_store, &v), STORE_OK);
	assert_int_equal(v.n, 3);
	store_close(t.st);
	teststore_drop(&t.ts);
}

/* ---- the relay's side ---- */

struct relay_fixture {
	char dir[64];
	struct teststore ts;
	struct relay_home home;
	struct relay relay;
	int64_t ticket, other;
	bool opened_ticket, opened_other;   /* a ticket's first record opens it, as verify expects */
};

static void relay_fixture_open(struct relay_fixture *f)
{
	char fp[64], afp[64], err[512];
	struct store_ticket_spec spec = { .summary = "Printer", .priority = "P3", .tier = "L1" };

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/handoff-audit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	rmdir(f->dir);
	if (relay_home_init(f->dir, "127.0.0.1:1", NULL, fp, sizeof(fp), afp, sizeof(afp), err, sizeof(err)) != 0)
		fail_msg("init: %s", err);
	assert_int_equal(relay_home_open(f->dir, &f->home, err, sizeof(err)), 0);
	f->relay.home = &f->home;
	/* The home's store = setting, as relay.conf would give it: its own file, or a fresh schema. */
	assert_int_equal(teststore_make(&f->ts), 0);
	if (teststore_backend == TESTSTORE_PG)
		snprintf(f->home.store, sizeof(f->home.store), "%s", f->ts.spec);
	assert_int_equal(store_open(f->home.store, &f->relay.store, err, sizeof(err)), STORE_OK);
	if (relay_audit_setup(&f->relay, err, sizeof(err)) != 0)
		fail_msg("audit setup: %s", err);
	assert_int_equal(store_ticket_new(f->relay.store, &spec, 1, &f->ticket), STORE_OK);
	assert_int_equal(store_ticket_new(f->relay.store, &spec, 1, &f->other), STORE_OK);
}

static void relay_fixture_close(struct relay_fixture *f)
{
	relay_audit_stop(&f->relay);
	store_close(f->relay.store);
	relay_home_clear(&f->home);
	testfs_remove_tree(f->dir);
	teststore_drop(&f->ts);
}

static void add_events(struct relay_fixture *f, int n)
{
	for (int i = 0; i < n; i++) {
		char d[64];

		bool *opened = i % 3 ? &f->opened_ticket : &f->opened_other;
		const char *kind = *opened ? "chat" : "created";

		snprintf(d, sizeof(d), *opened ? "line %d" : "Printer", i);
		*opened = true;
		assert_int_equal(relay_audit_event(f->relay.store, i % 3 ? f->ticket : f->other, relay_now(&f->relay), kind,
						 "alice", "L1", NULL, d),
				 STORE_OK);
	}
}

static int64_t checkpoints(struct relay_fixture *f)
{
	int64_t links, cps;

	assert_int_equal(store_chain_counts(f->relay.store, &links, &cps), STORE_OK);
	return cps;
}

/* As `verify` runs it: the key copied on the loop, the walk over a second connection (the job thread's). */
static int verify_chain(struct relay_fixture *f, struct relay_audit_report *rep)
{
	struct relay_audit_verify_plan plan;
	struct store *again;
	atomic_bool cancel = false;
	char err[512];
	int rc;

	assert_int_equal(relay_audit_verify_prepare(&f->relay, &plan, rep), 0);
	if (store_open_again(f->relay.store, &again, err, sizeof(err)) != STORE_OK)
		fail_msg("open again: %s", err);
	rc = relay_audit_verify(again, &plan, &cancel, rep);
	if (rc != 0)
		print_message("verify: %s\n", rep->problems);
	relay_audit_report_clear(rep);
	store_close(again);
	return rc;
}

static void test_relay_checkpoints_and_verify(void **state)
{
	struct relay_fixture f;
	struct relay_audit_report rep;
	struct store_checkpoint last;
	struct rawdb db;

	(void)state;
	log_setup("test", LOG_ERROR);
	relay_fixture_open(&f);
	/* 99 records wait (the first is the audit key's registration); the 100th makes a checkpoint. */
	add_events(&f, 98);
	relay_audit_tick(&f.relay);
	assert_int_equal(checkpoints(&f), 0);
	add_events(&f, 1);
	relay_audit_tick(&f.relay);
	assert_int_equal(checkpoints(&f), 1);
	/* One more record: signed once it has waited 60 s. */
	add_events(&f, 1);
	relay_audit_tick(&f.relay);
	f.relay.clock_offset += 59;
	relay_audit_tick(&f.relay);
	assert_int_equal(checkpoints(&f), 1);
	f.relay.clock_offset += 1;
	relay_audit_tick(&f.relay);
	assert_int_equal(checkpoints(&f), 2);
	assert_int_equal(store_checkpoint_last(f.relay.store, &last), STORE_OK);
	assert_int_equal(last.seq, 101);
	add_events(&f, 5);
	assert_int_equal(verify_chain(&f, &rep), 0);
	assert_int_equal(rep.records, 106);
	assert_int_equal(rep.checkpoints, 2);
	assert_int_equal(rep.last_checkpoint, 101);
	assert_int_equal(rep.unsigned_records, 5);

	/* Someone with the database file changes a row: verify names it. */
	rawdb_open(&db, f.home.store);
	rawdb_unguard(&db, "events");
	assert_int_equal(rawdb_exec(&db, "UPDATE events SET detail = 'line altered' WHERE id = 57"), 0);
	assert_int_equal(verify_chain(&f, &rep), -1);
	assert_non_null(strstr(rep.error, "record 57: its content does not match its body hash"));
	assert_int_equal(rawdb_exec(&db, "UPDATE events SET detail = 'line 55' WHERE id = 57"), 0);
	assert_int_equal(verify_chain(&f, &rep), 0);
	/* A record changed in the unsigned tail: the relay will not sign over it. */
	assert_int_equal(rawdb_exec(&db, "UPDATE events SET actor = 'mallory' WHERE id = 104"), 0);
	{
		char err[600];

		assert_int_equal(relay_audit_checkpoint(&f.relay, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "record 104"));
	}
	assert_int_equal(rawdb_exec(&db, "UPDATE events SET actor = 'alice' WHERE id = 104"), 0);
	/* The hashes rewritten to match: the checkpoint catches it. */
	assert_int_not_equal(rawdb_exec(&db, "UPDATE checkpoints SET at = at + 1 WHERE seq = 100"), 0);
	rawdb_unguard(&db, "checkpoints");
	assert_int_equal(rawdb_exec(&db, "UPDATE checkpoints SET at = at + 1 WHERE seq = 100"), 0);
	assert_int_equal(verify_chain(&f, &rep), -1);
	assert_non_null(strstr(rep.error, "checkpoint at seq 100: bad signature"));
	assert_int_equal(rawdb_exec(&db, "UPDATE checkpoints SET at = at - 1 WHERE seq = 100"), 0);
	/* Records removed: from the middle, and the signed tail. */
	assert_int_equal(relay_audit_checkpoint(&f.relay, (char[600]){ 0 }, 600), 0);
	assert_int_equal(rawdb_exec(&db, "DELETE FROM events WHERE id >= 104"), 0);
	assert_int_equal(verify_chain(&f, &rep), -1);
	assert_non_null(strstr(rep.error, "records end at seq 103 but the last checkpoint covers 106"));
	/* The head kept outside the database says so too. */
	assert_non_null(strstr(rep.problems, "the chain ends at seq 103, but the relay signed seq 106"));
	assert_int_equal(rawdb_exec(&db, "DELETE FROM events WHERE id = 30"), 0);
	assert_int_equal(verify_chain(&f, &rep), -1);
	assert_non_null(strstr(rep.error, "record 30 is missing"));
	rawdb_close(&db);
	relay_fixture_close(&f);
}

static void test_relay_export_verifies(void **state)
{
	struct relay_fixture f;
	struct export_report rep;
	uint8_t pub[CHAIN_PUB_LEN];
	char err[600], sha[65], detail[256];
	int64_t aid;
	int created;

	(void)state;
	log_setup("test", LOG_ERROR);
	relay_fixture_open(&f);
	add_events(&f, 30);
	assert_int_equal(store_attachment_add(f.relay.store, f.ticket, 2, "note", "n.txt", "alice", NULL, "hello", 5, &aid,
					      sha),
			 STORE_OK);
	snprintf(detail, sizeof(detail), "#%lld note n.txt, 5 bytes, sha256 %s", (long long)aid, sha);
	assert_int_equal(relay_audit_event(f.relay.store, f.ticket, 2, "attachment-added", "alice", "L1", NULL, detail),
			 STORE_OK);
	/* Regression: exports were built in one 16 MiB buffer; a 20 MiB attachment now streams through. */
	{
		size_t big_len = 20u * 1024 * 1024;
		char *big = malloc(big_len);

		assert_non_null(big);
		memset(big, 'L', big_len);
		assert_int_equal(store_attachment_add(f.relay.store, f.ticket, 2, "logs", "big.txt", "customer", NULL, big,
						      big_len, &aid, sha),
				 STORE_OK);
		snprintf(detail, sizeof(detail), "#%lld logs big.txt, %zu bytes, sha256 %s", (long long)aid, big_len, sha);
		assert_int_equal(relay_audit_event(f.relay.store, f.ticket, 2, "attachment-added", "alice", "L1", NULL, detail),
				 STORE_OK);
		free(big);
	}
	{
		FILE *tf = tmpfile();
		long size;
		uint8_t *file;

		assert_non_null(tf);
		struct relay_audit_export_plan plan;
		atomic_bool cancel = true;
		struct store *again;

		assert_int_equal(relay_audit_export_prepare(&f.relay, f.ticket, &plan, err, sizeof(err)), 0);
		assert_int_equal(store_open_again(f.relay.store, &again, err, sizeof(err)), STORE_OK);
		/* A cancelled export stops with an error; the plan serves again. */
		assert_int_equal(relay_audit_export(again, &plan, fileno(tf), &cancel, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "cancelled"));
		assert_int_equal(ftruncate(fileno(tf), 0), 0);
		assert_int_equal(lseek(fileno(tf), 0, SEEK_SET), 0);
		cancel = false;
		assert_int_equal(relay_audit_export(again, &plan, fileno(tf), &cancel, err, sizeof(err)), 0);
		store_close(again);
		relay_audit_export_plan_clear(&plan);
		size = lseek(fileno(tf), 0, SEEK_END);
		assert_true(size > 16L * 1024 * 1024);
		file = malloc((size_t)size);
		assert_non_null(file);
		assert_int_equal(pread(fileno(tf), file, (size_t)size, 0), size);
		fclose(tf);
		assert_int_equal(chain_pub_load(f.home.audit_pub_path, pub, err, sizeof(err)), 0);
		if (export_verify(file, (size_t)size, pub, &rep, NULL, NULL, err, sizeof(err)) != 0)
			fail_msg("%s", err);
		free(file);
	}
	assert_int_equal(rep.records, 33);
	assert_int_equal(rep.ticket_records, 22);
	assert_int_equal(rep.checkpoints, 1);
	assert_int_equal(rep.attachments, 2);
	/* The export's key is the home's; opening the home again keeps it. */
	{
		char fp[CHAIN_FP_MAX], want[CHAIN_FP_MAX];

		assert_int_equal(relay_home_audit_key(&f.home, &created, fp, sizeof(fp), err, sizeof(err)), 0);
		assert_int_equal(created, 0);
		chain_fingerprint(pub, want, sizeof(want));
		assert_string_equal(fp, want);
	}
	relay_fixture_close(&f);
}

/* Exports ticket as `export` does (prepare on the loop, the job on a second connection) and verifies it. */
static int export_and_verify(struct relay_fixture *f, int64_t ticket, struct export_report *rep, char *err,
			     size_t errlen)
{
	struct relay_audit_export_plan plan;
	atomic_bool cancel = false;
	uint8_t pub[CHAIN_PUB_LEN], *file;
	struct store *again;
	FILE *tf = tmpfile();
	long size;
	int rc;

	assert_non_null(tf);
	assert_int_equal(relay_audit_export_prepare(&f->relay, ticket, &plan, err, errlen), 0);
	assert_int_equal(store_open_again(f->relay.store, &again, err, errlen), STORE_OK);
	if (relay_audit_export(again, &plan, fileno(tf), &cancel, err, errlen) != 0)
		fail_msg("export: %s", err);
	store_close(again);
	relay_audit_export_plan_clear(&plan);
	size = lseek(fileno(tf), 0, SEEK_END);
	assert_true(size > 0);
	file = malloc((size_t)size);
	assert_non_null(file);
	assert_int_equal(pread(fileno(tf), file, (size_t)size, 0), size);
	fclose(tf);
	assert_int_equal(chain_pub_load(f->home.audit_pub_path, pub, err, errlen), 0);
	rc = export_verify(file, (size_t)size, pub, rep, NULL, NULL, err, errlen);
	free(file);
	return rc;
}

/* Exports ticket through f's relay (as `export` does) into *size bytes the caller frees. */
static uint8_t *export_bytes(struct relay_fixture *f, int64_t ticket, size_t *size)
{
	struct relay_audit_export_plan plan;
	atomic_bool cancel = false;
	struct store *again;
	char err[600];
	FILE *tf = tmpfile();
	uint8_t *file;
	off_t n;

	assert_non_null(tf);
	if (relay_audit_export_prepare(&f->relay, ticket, &plan, err, sizeof(err)) != 0)
		fail_msg("export prepare: %s", err);
	assert_int_equal(store_open_again(f->relay.store, &again, err, sizeof(err)), STORE_OK);
	if (relay_audit_export(again, &plan, fileno(tf), &cancel, err, sizeof(err)) != 0)
		fail_msg("export: %s", err);
	store_close(again);
	relay_audit_export_plan_clear(&plan);
	n = lseek(fileno(tf), 0, SEEK_END);
	assert_true(n > 0);
	file = malloc((size_t)n);
	assert_non_null(file);
	assert_int_equal(pread(fileno(tf), file, (size_t)n, 0), n);
	fclose(tf);
	*size = (size_t)n;
	return file;
}

/*
 * Two relays on one store, each with its own audit key (issue 18): each
 * registers its key by a record at start, both sign checkpoints, verify
 * passes on both; an export whose head the other relay signed names that
 * key and verifies with both keys, not with the exporter's alone; a
 * checkpoint under a key no relay registered, and one by a key after its
 * retirement, fail verify, named.
 */
static void test_relay_keys_of_several_relays(void **state)
{
	struct relay_fixture a, b;
	struct relay_audit_report rep;
	struct store_checkpoint last;
	struct export_report xrep;
	uint8_t keys[2][CHAIN_PUB_LEN], *file;
	char err[600], fp[64], afp[64], sql[512];
	size_t size;
	struct rawdb db;
	int64_t seq_b;

	(void)state;
	log_setup("test", LOG_ERROR);
	relay_fixture_open(&a);
	/* Relay b: a home of its own (its own audit key) on a's store. */
	memset(&b, 0, sizeof(b));
	snprintf(b.dir, sizeof(b.dir), "/tmp/handoff-audit.XXXXXX");
	assert_non_null(mkdtemp(b.dir));
	rmdir(b.dir);
	if (relay_home_init(b.dir, "127.0.0.1:1", NULL, fp, sizeof(fp), afp, sizeof(afp), err, sizeof(err)) != 0)
		fail_msg("init: %s", err);
	assert_int_equal(relay_home_open(b.dir, &b.home, err, sizeof(err)), 0);
	b.relay.home = &b.home;
	snprintf(b.home.store, sizeof(b.home.store), "%s", a.home.store);
	assert_int_equal(store_open(b.home.store, &b.relay.store, err, sizeof(err)), STORE_OK);
	if (relay_audit_setup(&b.relay, err, sizeof(err)) != 0)
		fail_msg("audit setup b: %s", err);
	b.ticket = a.ticket;
	b.other = a.other;
	assert_int_equal(chain_pub_load(a.home.audit_pub_path, keys[0], err, sizeof(err)), 0);
	assert_int_equal(chain_pub_load(b.home.audit_pub_path, keys[1], err, sizeof(err)), 0);
	assert_memory_not_equal(keys[0], keys[1], CHAIN_PUB_LEN);

	add_events(&a, 10);
	assert_int_equal(relay_audit_checkpoint(&a.relay, err, sizeof(err)), 0);
	b.opened_ticket = b.opened_other = true;
	add_events(&b, 10);
	assert_int_equal(relay_audit_checkpoint(&b.relay, err, sizeof(err)), 0);
	assert_int_equal(store_checkpoint_last(b.relay.store, &last), STORE_OK);
	assert_int_equal(last.has_signer, 1);
	assert_memory_equal(last.signer, keys[1], CHAIN_PUB_LEN);
	seq_b = last.seq;
	add_events(&a, 3);
	assert_int_equal(relay_audit_checkpoint(&a.relay, err, sizeof(err)), 0);
	assert_int_equal(verify_chain(&a, &rep), 0);
	assert_int_equal(rep.checkpoints, 3);
	assert_int_equal(verify_chain(&b, &rep), 0);

	/* Nothing new: b's export ends on a's checkpoint and names a's key. */
	file = export_bytes(&b, b.ticket, &size);
	assert_int_equal(export_verify(file, size, keys[1], &xrep, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the signed head is signed by key"));
	assert_non_null(strstr(err, "which is not among the keys given"));
	assert_int_equal(export_verify_keys(file, size, (const uint8_t (*)[CHAIN_PUB_LEN])keys, 2, &xrep, NULL, NULL, err,
					    sizeof(err)),
			 0);
	chain_fingerprint(keys[0], fp, sizeof(fp));
	assert_string_equal(xrep.head_key_fp, fp);
	assert_non_null(strstr(xrep.head_key_name, a.dir));
	/* Only b's key trusted and b's own head: a's export is refused for its header. */
	free(file);
	file = export_bytes(&a, a.ticket, &size);
	assert_int_equal(export_verify(file, size, keys[1], &xrep, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the export names audit key"));
	assert_int_equal(export_verify(file, size, keys[0], &xrep, NULL, NULL, err, sizeof(err)), 0);
	assert_string_equal(xrep.head_key_name, "");
	free(file);

	/*
	 * b stops and its key is retired by a record: verify still passes (b's
	 * checkpoints came before it), b does not start again, and once the
	 * row is moved back onto b's own checkpoint that checkpoint fails, and
	 * the row names a record that is not a retirement.
	 */
	relay_audit_stop(&b.relay);
	{
		int64_t rseq = 0;

		assert_int_equal(relay_audit_key_retire(a.relay.store, keys[1], 50, &rseq), STORE_OK);
		assert_true(rseq > seq_b);
		assert_int_equal(relay_audit_key_retire(a.relay.store, keys[1], 50, &rseq), STORE_NOT_FOUND);
	}
	assert_int_equal(verify_chain(&a, &rep), 0);
	assert_int_equal(relay_audit_setup(&b.relay, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "was retired"));
	/* A checkpoint under b's key after its retirement (someone kept the key): named. */
	{
		struct store_checkpoint cp = { .at = 60, .has_signer = 1 };
		EVP_PKEY *bkey = NULL;

		add_events(&a, 1);
		assert_int_equal(store_chain_head(a.relay.store, &cp.seq, cp.hash), STORE_OK);
		assert_int_equal(chain_key_load_private(b.home.audit_key_path, &bkey, err, sizeof(err)), 0);
		assert_int_equal(chain_checkpoint_sign(bkey, (uint64_t)cp.seq, cp.hash, cp.at, cp.sig), 0);
		memcpy(cp.signer, keys[1], CHAIN_PUB_LEN);
		EVP_PKEY_free(bkey);
		assert_int_equal(store_checkpoint_add(a.relay.store, &cp), STORE_OK);
		assert_int_equal(verify_chain(&a, &rep), -1);
		snprintf(sql, sizeof(sql), "checkpoint at seq %lld: signed by key", (long long)cp.seq);
		assert_non_null(strstr(rep.error, sql));
		assert_non_null(strstr(rep.error, "retired at seq"));
	}
	rawdb_open(&db, a.home.store);
	/* The store refuses a changed retirement, a retirement taken back and a deleted key (migration 14)... */
	snprintf(sql, sizeof(sql), "UPDATE relay_keys SET retired_seq = %lld WHERE retired_seq <> 0", (long long)seq_b);
	assert_int_not_equal(rawdb_exec(&db, sql), 0);
	assert_int_not_equal(rawdb_exec(&db, "UPDATE relay_keys SET retired_seq = 0"), 0);
	assert_int_not_equal(rawdb_exec(&db, "UPDATE relay_keys SET name = 'someone else'"), 0);
	assert_int_not_equal(rawdb_exec(&db, "DELETE FROM relay_keys"), 0);
	/* ...but its owner can drop the triggers: verify still finds what was changed. */
	assert_int_equal(rawdb_exec(&db, teststore_backend == TESTSTORE_PG
						 ? "ALTER TABLE relay_keys DISABLE TRIGGER relay_keys_append_only"
						 : "DROP TRIGGER relay_keys_append_only_update"),
			 0);
	assert_int_equal(rawdb_exec(&db, sql), 0);
	assert_int_equal(verify_chain(&a, &rep), -1);
	assert_non_null(strstr(rep.error, "is retired at seq"));
	assert_non_null(strstr(rep.error, "which is not its retirement record"));
	/* The retirement taken back, as someone with the database could (verify trusts the store's key set). */
	assert_int_equal(rawdb_exec(&db, "UPDATE relay_keys SET retired_seq = 0"), 0);
	assert_int_equal(verify_chain(&a, &rep), 0);

	/* A checkpoint forged at an unsigned seq under a key no relay registered. */
	add_events(&a, 1);
	if (teststore_backend == TESTSTORE_PG)
		snprintf(sql, sizeof(sql),
			 "INSERT INTO checkpoints (seq, hash, at, signature, signer) SELECT id, hash, at, "
			 "decode(repeat('00', 64), 'hex'), decode(repeat('ab', 32), 'hex') FROM events WHERE id = "
			 "(SELECT max(id) FROM events)");
	else
		snprintf(sql, sizeof(sql),
			 "INSERT INTO checkpoints (seq, hash, at, signature, signer) SELECT id, hash, at, zeroblob(64), "
			 "x'abababababababababababababababababababababababababababababababab' FROM events WHERE id = "
			 "(SELECT max(id) FROM events)");
	assert_int_equal(rawdb_exec(&db, sql), 0);
	assert_int_equal(verify_chain(&a, &rep), -1);
	assert_non_null(strstr(rep.error, "which no relay registered"));
	rawdb_close(&db);
	store_close(b.relay.store);
	relay_home_clear(&b.home);
	testfs_remove_tree(b.dir);
	relay_fixture_close(&a);
}

/*
 * A store from before migration 8: its events have no ticket links and its
 * checkpoints no tickets root. It opens, links them, verifies; exports stay
 * version 1 until the next checkpoint, which signs the root; after it they
 * are version 2 and cover the old records too. Then the new columns changed
 * in the database are named by verify.
 */
static void test_relay_old_store_migrates(void **state)
{
	struct relay_fixture f;
	struct relay_audit_report rep;
	struct export_report xrep;
	char err[600];
	sqlite3 *db;

	(void)state;
	/* SQLite's history again: there is no PostgreSQL store of schema 7. */
	if (teststore_backend == TESTSTORE_PG)
		skip();
	log_setup("test", LOG_ERROR);
	relay_fixture_open(&f);
	add_events(&f, 30);
	relay_audit_stop(&f.relay);
	store_close(f.relay.store);
	/* Back to schema 7 (SQLite 3.35+ drops columns): the later migrations (to 11: an index)' tables and columns go too. */
	assert_int_equal(sqlite3_open(f.home.db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE live_sessions;"
				      "DROP TABLE relays;"
				      "DROP TABLE rt_links;"
				      "DROP TABLE resume_tokens;"
				      "DROP TABLE code_sources;"
				      "DROP TABLE store_secrets;"
				      "DROP TABLE code_failures;"
				      "DROP TABLE recording_places;"
				      "DROP TABLE desk_budgets;"
				      "DROP TABLE relay_keys;"
				      "ALTER TABLE checkpoints DROP COLUMN signer;"
				      "DROP TABLE webhook_outbox;"
				      "DROP TABLE webhook_receivers;"
				      "DROP INDEX events_reviewed;"
				      "DROP INDEX tickets_review;"
				      "DROP TABLE kb_fts;"
				      "DROP TABLE kb;"
				      "DROP INDEX tickets_open;"
				      "ALTER TABLE tickets DROP COLUMN first_response_at;"
				      "ALTER TABLE tickets DROP COLUMN sla_paused_since;"
				      "ALTER TABLE tickets DROP COLUMN sla_paused;"
				      "ALTER TABLE tickets DROP COLUMN tier_paused;"
				      "ALTER TABLE tickets DROP COLUMN sla_flags;"
				      "ALTER TABLE events DROP COLUMN ticket_hash;"
				      "ALTER TABLE checkpoints DROP COLUMN tickets_n;"
				      "ALTER TABLE checkpoints DROP COLUMN tickets_root;"
				      "ALTER TABLE checkpoints DROP COLUMN tickets_sig;"
				      "PRAGMA user_version = 7",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f.home.db_path, &f.relay.store, err, sizeof(err)), STORE_OK);
	if (relay_audit_setup(&f.relay, err, sizeof(err)) != 0)
		fail_msg("audit setup: %s", err);
	/*
	 * The relay registers its key again (migration 13 came after the
	 * records): record 32. Its checkpoints from before have no signer and
	 * are checked under that key, the first registered.
	 */
	assert_int_equal(verify_chain(&f, &rep), 0);
	assert_int_equal(rep.records, 32);
	/*
	 * The registration is unsigned, so the export's checkpoint signs the
	 * root over the old links too (a version 1 export of an old store is
	 * what test_export checks now: an upgraded relay's next export is 2).
	 */
	if (export_and_verify(&f, f.ticket, &xrep, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(xrep.version, 2);
	assert_int_equal(xrep.records, 32);
	assert_int_equal(xrep.ticket_records, 20);
	/* Ticket 0 (the relay's own records) has a head too. */
	assert_int_equal(xrep.tickets, 3);
	if (export_and_verify(&f, f.other, &xrep, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(xrep.ticket_records, 10);
	assert_int_equal(verify_chain(&f, &rep), 0);

	/* The number of tickets under a root changed: its signature no longer holds. */
	assert_int_equal(sqlite3_open(f.home.db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER checkpoints_append_only_update;"
				      "UPDATE checkpoints SET tickets_n = tickets_n + 1 WHERE seq = 32",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(verify_chain(&f, &rep), -1);
	assert_non_null(strstr(rep.error, "checkpoint at seq 32: bad signature on its tickets root"));
	assert_int_equal(sqlite3_exec(db, "UPDATE checkpoints SET tickets_n = tickets_n - 1 WHERE seq = 32", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(verify_chain(&f, &rep), 0);
	/* A ticket link changed in the database. */
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER events_append_only_update;"
				      "UPDATE events SET ticket_hash = zeroblob(32) WHERE id = 9",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(verify_chain(&f, &rep), -1);
	assert_non_null(strstr(rep.error, "record 9: its link in ticket"));
	assert_non_null(strstr(rep.error, "chain does not follow record"));
	sqlite3_close(db);
	relay_fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_round_trip),
		cmocka_unit_test(test_body_rejects),
		cmocka_unit_test(test_link_hash_layout),
		cmocka_unit_test(test_walk_names_the_record),
		cmocka_unit_test(test_checkpoint_signatures),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_store_writes_the_chain),
		cmocka_unit_test(test_store_migrates_old_events),
		cmocka_unit_test(test_relay_checkpoints_and_verify),
		cmocka_unit_test(test_relay_export_verifies),
		cmocka_unit_test(test_relay_old_store_migrates),
		cmocka_unit_test(test_relay_keys_of_several_relays),
	};

	return teststore_run("chain", tests, sizeof(tests) / sizeof(tests[0]));
}
