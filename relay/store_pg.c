/*
 * store_pg.c: the PostgreSQL implementation of store.h (libpq), for
 * several relays on one database.
 *
 * Every statement is PQexecParams with its data as parameters; no SQL text
 * is ever built from data. Results come back in binary, so integers and
 * hashes are read as they are stored (store_pg_int checks each column's
 * type). The schema is SQLite's, migration by migration (store_pg_migrations
 * mirrors store_sqlite.c's numbering, so migration 11 is 11 in both), and
 * its version sits in store_schema; several relays starting at once migrate
 * one after the other under an advisory lock.
 *
 * Where SQLite's single writer lock gave an ordering for free, PostgreSQL
 * needs it said:
 *  - store_begin and the functions that open their own write transaction
 *    in SQLite (BEGIN IMMEDIATE: a code's redemption, a user's key) take
 *    the writers' advisory lock (N = 2 below) for the transaction, so they see
 *    and change the database one at a time across relays, as in SQLite;
 *  - store_chain_append takes the chain head's lock (N = 3),
 *    before it reads the head, so concurrent appends from several relays
 *    queue and each reads the link the one before it committed (READ
 *    COMMITTED takes a new snapshot per statement, and a transaction's
 *    commit is visible before its locks are released): no fork, no gap, no
 *    seq twice. The events primary key would refuse a second seq anyway.
 * An error inside a transaction aborts all of it in PostgreSQL (SQLite
 * goes on), so an expected refusal (a key registered twice, a checkpoint
 * that exists) is an ON CONFLICT DO NOTHING that changed no row, not an
 * error, and the caller's transaction stays usable.
 */
#include "store_backend.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "hex.h"
#include "kb.h"

/*
 * The advisory locks are pg_advisory_xact_lock(1215260262, N): the first
 * key (0x486f6666, "Hoff") keeps clear of other applications' locks in a
 * shared database; N is 1 for migrations, 2 for writers, 3 for the chain
 * head. They are literals in the SQL text, not data.
 */

/* PostgreSQL's type oids of the columns read in binary (pg_type.h, stable across versions). */
#define STORE_PG_BOOL 16
#define STORE_PG_INT8 20
#define STORE_PG_INT2 21
#define STORE_PG_INT4 23

#define STORE_PG_ARGS_MAX 12

struct store_pg {
	struct store base;
	PGconn *conn;
	char *url; /* for store_open_again; may hold a password: cleansed at close */
	/*
	 * Between our BEGIN and its COMMIT or ROLLBACK. A connection that broke
	 * in a transaction is not opened again until the transaction ends:
	 * the statements after the break would run outside it, and the COMMIT
	 * of nothing would look like success.
	 */
	bool tx;
};

/* The parameters of one statement: text for numbers and strings, binary for hashes. */
struct store_pg_args {
	int n;
	const char *val[STORE_PG_ARGS_MAX];
	int len[STORE_PG_ARGS_MAX];
	int fmt[STORE_PG_ARGS_MAX];
	char num[STORE_PG_ARGS_MAX][24];
};

static const struct store_backend store_pg_backend;

static PGconn *store_pg_conn(const struct store *st)
{
	return ((const struct store_pg *)st)->conn;
}

static void store_pg_int_arg(struct store_pg_args *a, int64_t v)
{
	snprintf(a->num[a->n], sizeof(a->num[a->n]), "%" PRId64, v);
	a->val[a->n] = a->num[a->n];
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

/* NULL is SQL NULL. */
static void store_pg_text_arg(struct store_pg_args *a, const char *s)
{
	a->val[a->n] = s;
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

static void store_pg_blob_arg(struct store_pg_args *a, const void *p, size_t len)
{
	a->val[a->n] = len ? p : "";
	a->len[a->n] = (int)len;
	a->fmt[a->n++] = 1;
}

/* 1 when sql changes nothing (a BEGIN, a read): run twice, it does what it did once. */
static int store_pg_harmless(const char *sql)
{
	return strncmp(sql, "BEGIN", 5) == 0 || strncmp(sql, "SELECT ", 7) == 0 || strncmp(sql, "(SELECT ", 8) == 0;
}

/*
 * Runs sql with a's parameters (a may be NULL), results in binary. The
 * result when it succeeded (PQclear it), else NULL. Outside a transaction
 * a broken connection is opened again: before the statement when libpq
 * knows it is broken, and after it when the statement is what found out
 * (an idle connection to a server that restarted) and running it again
 * changes nothing. So a restarted database costs the writes of the moment
 * it was down, no more, and no write is ever made twice.
 */
static PGresult *store_pg_run(struct store *st, const char *sql, const struct store_pg_args *a)
{
	struct store_pg *sp = (struct store_pg *)st;
	PGconn *conn = sp->conn;
	bool in_tx = sp->tx;
	PGresult *res;
	ExecStatusType s;

	if (PQstatus(conn) == CONNECTION_BAD && !in_tx)
		PQreset(conn);
	/* Our own constant statements start and end transactions; no data decides this. */
	if (strncmp(sql, "BEGIN", 5) == 0)
		sp->tx = true;
	else if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
		sp->tx = false;
	for (int attempt = 0;; attempt++) {
		res = PQexecParams(conn, sql, a ? a->n : 0, NULL, a ? a->val : NULL, a ? a->len : NULL,
				   a ? a->fmt : NULL, 1);
		s = PQresultStatus(res);
		if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
			return res;
		PQclear(res);
		if (attempt > 0 || in_tx || PQstatus(conn) != CONNECTION_BAD || !store_pg_harmless(sql))
			return NULL;
		PQreset(conn);
	}
}

/* A statement whose result is not needed: 0 or STORE_ERR; *changed (may be NULL) gets its row count. */
static int store_pg_do(struct store *st, const char *sql, const struct store_pg_args *a, int64_t *changed)
{
	PGresult *res = store_pg_run(st, sql, a);

	if (res == NULL)
		return STORE_ERR;
	if (changed != NULL)
		*changed = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

/* libpq's last error as one line, for err. */
static void store_pg_error(const struct store *st, char *err, size_t errlen)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(store_pg_conn(st)));
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = *(p + 1) == '\0' ? '\0' : ' ';
	snprintf(err, errlen, "database (postgresql): %s", msg[0] ? msg : "error");
}

static int64_t store_pg_be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	/* Sign-extend the narrower integers. */
	if (n < 8 && n > 0 && (p[0] & 0x80))
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

/* An integer or boolean column; NULL reads as 0. */
static int64_t store_pg_int(const PGresult *res, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
	int len = PQgetlength(res, row, col);

	if (PQgetisnull(res, row, col))
		return 0;
	switch (PQftype(res, col)) {
	case STORE_PG_INT8:
		return len == 8 ? store_pg_be(p, 8) : 0;
	case STORE_PG_INT4:
		return len == 4 ? store_pg_be(p, 4) : 0;
	case STORE_PG_INT2:
		return len == 2 ? store_pg_be(p, 2) : 0;
	case STORE_PG_BOOL:
		return len == 1 ? p[0] != 0 : 0;
	default:
		return 0;
	}
}

static const char *store_pg_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

static const char *store_pg_text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void store_pg_copy_text(char *dst, size_t dstlen, const PGresult *res, int row, int col)
{
	snprintf(dst, dstlen, "%s", store_pg_text(res, row, col));
}

/* A bytea column of exactly len bytes, or NULL. */
static const uint8_t *store_pg_blob(const PGresult *res, int row, int col, int len)
{
	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != len)
		return NULL;
	return (const uint8_t *)PQgetvalue(res, row, col);
}

/* Transactions: a write one holds the writers' lock (N = 2) to its end. */
static int store_pg_begin_write(struct store *st)
{
	if (store_pg_do(st, "BEGIN", NULL, NULL) != STORE_OK)
		return STORE_ERR;
	if (store_pg_do(st, "SELECT pg_advisory_xact_lock(1215260262, 2)", NULL, NULL) != STORE_OK) {
		store_pg_do(st, "ROLLBACK", NULL, NULL);
		return STORE_ERR;
	}
	return STORE_OK;
}

/* COMMIT of a failed transaction answers ROLLBACK, not an error: that is a failure too. */
static int store_pg_commit_tx(struct store *st)
{
	PGresult *res = store_pg_run(st, "COMMIT", NULL);
	int rc = res != NULL && strcmp(PQcmdStatus(res), "COMMIT") == 0 ? STORE_OK : STORE_ERR;

	PQclear(res);
	return rc;
}

static bool store_pg_in_tx(const struct store *st)
{
	PGTransactionStatusType s = PQtransactionStatus(store_pg_conn(st));

	return ((const struct store_pg *)st)->tx || s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

/* Ends what store_pg_nest started: the own transaction or the savepoint. */
static int store_pg_unnest(struct store *st, bool own, const char *savepoint_release, const char *savepoint_undo,
			   int ok)
{
	if (own) {
		if (ok && store_pg_commit_tx(st) == STORE_OK)
			return STORE_OK;
		store_pg_do(st, "ROLLBACK", NULL, NULL);
		return STORE_ERR;
	}
	if (ok && store_pg_do(st, savepoint_release, NULL, NULL) == STORE_OK)
		return STORE_OK;
	store_pg_do(st, savepoint_undo, NULL, NULL);
	store_pg_do(st, savepoint_release, NULL, NULL);
	return STORE_ERR;
}

/*
 * The schema, as store_sqlite.c's migrations made it, step by step.
 * Steps 3 and 8 of SQLite also link the events already there into the
 * chain; a PostgreSQL store was never older than this file, so there are
 * none (step 3 refuses if there were) and only the tables change.
 */
static const char *const store_pg_migrations[] = {
	/* 1: identities, tickets, support codes, ticket events */
	"CREATE TABLE users ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('tech', 'auditor')),"
	"  tier TEXT NOT NULL CHECK (tier IN ('', 'L1', 'L2', 'L3')),"
	"  created_at BIGINT NOT NULL);"
	"CREATE TABLE user_keys ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id),"
	"  key_type TEXT NOT NULL,"
	"  key_base64 TEXT NOT NULL,"
	"  UNIQUE (key_type, key_base64));"
	"CREATE TABLE tickets ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  summary TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  tier TEXT NOT NULL DEFAULT 'L1',"
	"  owner_id BIGINT REFERENCES users(id),"
	"  created_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL);"
	"CREATE TABLE codes ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	"  locator INTEGER NOT NULL,"
	"  hash BYTEA NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  used_at BIGINT);"
	"CREATE INDEX codes_by_locator ON codes (locator, id);"
	"CREATE TABLE events ("
	"  id BIGINT PRIMARY KEY,"
	"  ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	"  at BIGINT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  actor TEXT,"
	"  detail TEXT);"
	"CREATE INDEX events_by_ticket ON events (ticket_id, id);",
	/* 2: priority, customer, tier clock, event roles and clearance, attachments */
	"ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT 'P3'"
	"  CHECK (priority IN ('P1', 'P2', 'P3', 'P4'));"
	"ALTER TABLE tickets ADD COLUMN customer_name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tickets ADD COLUMN customer_contact TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tickets ADD COLUMN tier_since BIGINT NOT NULL DEFAULT 0;"
	"UPDATE tickets SET tier_since = created_at;"
	"CREATE INDEX tickets_by_tier ON tickets (tier, state, tier_since);"
	"ALTER TABLE events ADD COLUMN role TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE events ADD COLUMN clearance TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE attachments ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  ticket_id BIGINT NOT NULL REFERENCES tickets(id),"
	"  at BIGINT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  author TEXT NOT NULL DEFAULT '',"
	"  clearance TEXT NOT NULL DEFAULT '',"
	"  sha256 TEXT NOT NULL,"
	"  size BIGINT NOT NULL,"
	"  content BYTEA NOT NULL);"
	/* Uncompressed out of line: store_attachment_read's substrings then read only their own chunks. */
	"ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL;"
	"CREATE INDEX attachments_by_ticket ON attachments (ticket_id, id);",
	/* 3: the audit chain; events and checkpoints append-only (TRUNCATE too, which SQLite has not) */
	"ALTER TABLE events ADD COLUMN prev_hash BYTEA;"
	"ALTER TABLE events ADD COLUMN body_hash BYTEA;"
	"ALTER TABLE events ADD COLUMN hash BYTEA;"
	"CREATE TABLE checkpoints ("
	"  seq BIGINT PRIMARY KEY,"
	"  hash BYTEA NOT NULL,"
	"  at BIGINT NOT NULL,"
	"  signature BYTEA NOT NULL);"
	"DO $$ BEGIN IF EXISTS (SELECT 1 FROM events) THEN"
	"  RAISE EXCEPTION 'events without chain links: this database predates the chain'; END IF; END $$;"
	"CREATE FUNCTION handoff_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
	"  BEGIN RAISE EXCEPTION '% are append-only', TG_TABLE_NAME; END $$;"
	"CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events"
	"  FOR EACH ROW EXECUTE FUNCTION handoff_append_only();"
	"CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events"
	"  FOR EACH STATEMENT EXECUTE FUNCTION handoff_append_only();"
	"CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints"
	"  FOR EACH ROW EXECUTE FUNCTION handoff_append_only();"
	"CREATE TRIGGER checkpoints_append_only_truncate BEFORE TRUNCATE ON checkpoints"
	"  FOR EACH STATEMENT EXECUTE FUNCTION handoff_append_only();",
	/* 4: ticket 0, the relay's own record (store_sqlite.c says why) */
	"INSERT INTO tickets (id, summary, state, tier, priority, owner_id, created_at, updated_at,"
	"  tier_since) VALUES (0, 'relay: security events (not a support case)', 'closed', 'L3', 'P4', NULL,"
	"  0, 0, 0) ON CONFLICT DO NOTHING;",
	/* 5: intake tokens and their uses */
	"CREATE TABLE intake_tokens ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  hash BYTEA NOT NULL UNIQUE,"
	"  org TEXT NOT NULL DEFAULT '',"
	"  created_at BIGINT NOT NULL,"
	"  revoked_at BIGINT);"
	"CREATE TABLE intake_uses ("
	"  token_id BIGINT NOT NULL REFERENCES intake_tokens (id),"
	"  ticket_id BIGINT NOT NULL REFERENCES tickets (id),"
	"  at BIGINT NOT NULL);"
	"CREATE INDEX intake_uses_by_token ON intake_uses (token_id, at);",
	/* 6: an account's state */
	"ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active'"
	"  CHECK (state IN ('active', 'disabled', 'removed'));"
	"ALTER TABLE users ADD COLUMN state_at BIGINT NOT NULL DEFAULT 0;",
	/* 7: codes cancelled */
	"ALTER TABLE codes ADD COLUMN cancelled_at BIGINT;"
	"CREATE INDEX codes_by_ticket ON codes (ticket_id);",
	/* 8: every ticket's own chain and the signed root over their heads */
	"ALTER TABLE events ADD COLUMN ticket_hash BYTEA;"
	"ALTER TABLE checkpoints ADD COLUMN tickets_n BIGINT;"
	"ALTER TABLE checkpoints ADD COLUMN tickets_root BYTEA;"
	"ALTER TABLE checkpoints ADD COLUMN tickets_sig BYTEA;",
	/* 9: SLA clocks */
	"ALTER TABLE tickets ADD COLUMN first_response_at BIGINT;"
	"UPDATE tickets SET first_response_at = created_at;"
	"ALTER TABLE tickets ADD COLUMN sla_paused_since BIGINT;"
	"ALTER TABLE tickets ADD COLUMN sla_paused BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN tier_paused BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN sla_flags INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX tickets_open ON tickets (id) WHERE state NOT IN ('resolved', 'closed');",
	/*
	 * 10: the knowledge base. pg_trgm (contrib, a trusted extension: the
	 * database's owner may create it) indexes every three-character window
	 * of the four fields joined, which is what SQLite's trigram FTS5 does
	 * per field; store_pg_kb_find checks each term against each field.
	 */
	"CREATE EXTENSION IF NOT EXISTS pg_trgm;"
	"CREATE TABLE kb ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  symptoms TEXT NOT NULL,"
	"  cause TEXT NOT NULL DEFAULT '',"
	"  fix TEXT NOT NULL,"
	"  tier TEXT NOT NULL CHECK (tier IN ('public', 'L1', 'L2', 'L3')),"
	"  author TEXT NOT NULL DEFAULT '',"
	"  created_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL);"
	"CREATE INDEX kb_trgm ON kb USING gin ((title || chr(10) || symptoms || chr(10) || cause || chr(10) || fix)"
	"  gin_trgm_ops);", /* STORE_PG_KB_DOC */
	/* 11: the webhooks' outbox (relay/webhook.h), as SQLite's */
	"CREATE TABLE webhook_receivers ("
	"  name TEXT PRIMARY KEY,"
	"  kinds TEXT NOT NULL,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  delivered BIGINT NOT NULL DEFAULT 0,"
	"  last_ok_at BIGINT NOT NULL DEFAULT 0,"
	"  failing_since BIGINT NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE webhook_outbox ("
	"  receiver TEXT NOT NULL REFERENCES webhook_receivers (name),"
	"  seq BIGINT NOT NULL REFERENCES events (id),"
	"  ticket_id BIGINT NOT NULL,"
	"  queued_at BIGINT NOT NULL,"
	"  attempts BIGINT NOT NULL DEFAULT 0,"
	"  next_at BIGINT NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (receiver, seq));"
	"CREATE INDEX webhook_outbox_ticket ON webhook_outbox (receiver, ticket_id, seq);",
	/* 12: reviews of major incidents and the tickets that owe one, as SQLite's */
	"CREATE INDEX events_reviewed ON events (id) WHERE kind = 'reviewed';"
	"CREATE INDEX tickets_review ON tickets (priority, id) WHERE priority IN ('P1', 'P2') AND state <> 'closed';",
	/* 13: the relays' audit keys and each checkpoint's signer, as SQLite's */
	"CREATE TABLE relay_keys ("
	"  pubkey BYTEA PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  seq BIGINT NOT NULL REFERENCES events (id),"
	"  added_at BIGINT NOT NULL,"
	"  retired_seq BIGINT NOT NULL DEFAULT 0);"
	"ALTER TABLE checkpoints ADD COLUMN signer BYTEA;",
	/* 14: desk accounts, as SQLite's (PostgreSQL changes the CHECK in place) */
	"ALTER TABLE users DROP CONSTRAINT users_role_check;"
	"ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('tech', 'auditor', 'desk'));",
	/* 15: routing between relays, as SQLite's */
	"CREATE TABLE relays ("
	"  pubkey BYTEA PRIMARY KEY REFERENCES relay_keys (pubkey),"
	"  address TEXT NOT NULL,"
	"  host_key TEXT NOT NULL,"
	"  seen_at BIGINT NOT NULL);"
	"CREATE TABLE live_sessions ("
	"  ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),"
	"  relay BYTEA NOT NULL REFERENCES relays (pubkey),"
	"  since BIGINT NOT NULL);"
	"CREATE INDEX live_sessions_relay ON live_sessions (relay);",
	/* 16: Request Tracker links (relay/rt.c), as SQLite's */
	"CREATE TABLE rt_links ("
	"  receiver TEXT NOT NULL,"
	"  ticket_id BIGINT NOT NULL REFERENCES tickets (id),"
	"  rt_id BIGINT NOT NULL,"
	"  seen_txn BIGINT NOT NULL DEFAULT 0,"
	"  linked_at BIGINT NOT NULL,"
	"  PRIMARY KEY (receiver, ticket_id));",
	/* 17: the shared secret's check value, guessing sources, resume tokens, as SQLite's */
	"CREATE TABLE store_secrets ("
	"  name TEXT PRIMARY KEY,"
	"  mac BYTEA NOT NULL,"
	"  added_at BIGINT NOT NULL);"
	"CREATE TABLE code_sources ("
	"  source TEXT PRIMARY KEY,"
	"  failures BIGINT NOT NULL,"
	"  last_failure BIGINT NOT NULL,"
	"  next_allowed BIGINT NOT NULL);"
	"CREATE TABLE resume_tokens ("
	"  ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id),"
	"  hash BYTEA NOT NULL UNIQUE,"
	"  issued_at BIGINT NOT NULL);"
	/* relay_keys: never deleted, changed only by a key's one retirement, as SQLite's */
	"CREATE FUNCTION handoff_relay_keys_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
	"  BEGIN"
	"    IF TG_OP = 'UPDATE' AND OLD.retired_seq = 0 AND NEW.retired_seq <> 0 AND NEW.pubkey = OLD.pubkey"
	"       AND NEW.name = OLD.name AND NEW.seq = OLD.seq AND NEW.added_at = OLD.added_at THEN"
	"      RETURN NEW;"
	"    END IF;"
	"    RAISE EXCEPTION 'relay_keys are append-only (a key is only retired, once)';"
	"  END $$;"
	"CREATE TRIGGER relay_keys_append_only BEFORE UPDATE OR DELETE ON relay_keys"
	"  FOR EACH ROW EXECUTE FUNCTION handoff_relay_keys_append_only();"
	"CREATE TRIGGER relay_keys_append_only_truncate BEFORE TRUNCATE ON relay_keys"
	"  FOR EACH STATEMENT EXECUTE FUNCTION handoff_append_only();",
	/* 18: the wrong codes of the last minutes per second, as SQLite's */
	"CREATE TABLE code_failures ("
	"  at_second BIGINT PRIMARY KEY,"
	"  n BIGINT NOT NULL);",
	/* 19: an outbox row's sender and its lease, as SQLite's */
	"ALTER TABLE webhook_outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE webhook_outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;",
	/* 20: which relay's home holds each recording, as SQLite's */
	"CREATE TABLE recording_places ("
	"  path TEXT PRIMARY KEY,"
	"  ticket_id BIGINT NOT NULL REFERENCES tickets (id),"
	"  relay BYTEA NOT NULL,"
	"  at BIGINT NOT NULL);",
	/* 21: each desk account's ticket budget, as SQLite's */
	"CREATE TABLE desk_budgets ("
	"  user_id BIGINT PRIMARY KEY REFERENCES users (id),"
	"  full_at_ns BIGINT NOT NULL);",
};

#define STORE_PG_LATEST ((int)(sizeof(store_pg_migrations) / sizeof(store_pg_migrations[0])))

/*
 * Each migration in its own transaction under the migrations' lock (N = 1), the
 * version read again once the lock is held: a relay that waited finds the
 * work done.
 */
static int store_pg_migrate(struct store *st, char *err, size_t errlen)
{
	PGresult *res;
	int version;

	for (;;) {
		if (store_pg_do(st, "BEGIN", NULL, NULL) != STORE_OK ||
		    store_pg_do(st, "SELECT pg_advisory_xact_lock(1215260262, 1)", NULL, NULL) != STORE_OK ||
		    store_pg_do(st, "CREATE TABLE IF NOT EXISTS store_schema (version INTEGER NOT NULL)", NULL, NULL) !=
			    STORE_OK)
			goto fail;
		res = store_pg_run(st, "SELECT version FROM store_schema", NULL);
		if (res == NULL)
			goto fail;
		version = PQntuples(res) == 1 ? (int)store_pg_int(res, 0, 0) : 0;
		PQclear(res);
		if (version > STORE_PG_LATEST) {
			snprintf(err, errlen, "database schema %d is newer than this relay (%d)", version, STORE_PG_LATEST);
			store_pg_do(st, "ROLLBACK", NULL, NULL);
			return STORE_ERR;
		}
		if (version == STORE_PG_LATEST)
			return store_pg_commit_tx(st) == STORE_OK ? STORE_OK : (store_pg_error(st, err, errlen), STORE_ERR);
		{
			struct store_pg_args a = { 0 };

			store_pg_int_arg(&a, version + 1);
			/* The migration's statements are ours, several to a string: the simple protocol runs them. */
			res = PQexec(store_pg_conn(st), store_pg_migrations[version]);
			if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
				PQclear(res);
				goto fail;
			}
			PQclear(res);
			if (store_pg_do(st, "DELETE FROM store_schema", NULL, NULL) != STORE_OK ||
			    store_pg_do(st, "INSERT INTO store_schema (version) VALUES ($1::integer)", &a, NULL) != STORE_OK ||
			    store_pg_commit_tx(st) != STORE_OK)
				goto fail;
		}
	}
fail:
	store_pg_error(st, err, errlen);
	store_pg_do(st, "ROLLBACK", NULL, NULL);
	return STORE_ERR;
}

static void store_pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* CREATE ... IF NOT EXISTS says it skipped: nothing an operator needs. */
}

static void store_pg_close(struct store *st);

static int store_pg_connect(const char *url, struct store **out, char *err, size_t errlen)
{
	struct store_pg *sp = calloc(1, sizeof(*sp));

	*out = NULL;
	if (sp == NULL || (sp->url = strdup(url)) == NULL) {
		free(sp);
		snprintf(err, errlen, "out of memory");
		return STORE_ERR;
	}
	sp->base.be = &store_pg_backend;
	/* libpq reads the URL (postgresql://... or postgresql:///db?host=/dir); the URL is never printed. */
	sp->conn = PQconnectdb(url);
	if (sp->conn == NULL || PQstatus(sp->conn) != CONNECTION_OK) {
		if (sp->conn == NULL)
			snprintf(err, errlen, "database (postgresql): out of memory");
		else
			store_pg_error(&sp->base, err, errlen);
		store_pg_close(&sp->base);
		return STORE_ERR;
	}
	PQsetNoticeProcessor(sp->conn, store_pg_notice, NULL);
	if (PQsetClientEncoding(sp->conn, "UTF8") != 0 ||
	    store_pg_do(&sp->base, "SET client_min_messages = warning", NULL, NULL) != STORE_OK) {
		store_pg_error(&sp->base, err, errlen);
		store_pg_close(&sp->base);
		return STORE_ERR;
	}
	*out = &sp->base;
	return STORE_OK;
}

int store_pg_open(const char *url, struct store **out, char *err, size_t errlen)
{
	struct store *st;

	if (store_pg_connect(url, &st, err, errlen) != STORE_OK)
		return STORE_ERR;
	if (store_pg_migrate(st, err, errlen) != STORE_OK) {
		store_pg_close(st);
		return STORE_ERR;
	}
	*out = st;
	return STORE_OK;
}

static int store_pg_open_again(const struct store *st, struct store **out, char *err, size_t errlen)
{
	return store_pg_connect(((const struct store_pg *)st)->url, out, err, errlen);
}

static void store_pg_close(struct store *st)
{
	struct store_pg *sp = (struct store_pg *)st;

	if (sp == NULL)
		return;
	PQfinish(sp->conn);
	if (sp->url != NULL) {
		OPENSSL_cleanse(sp->url, strlen(sp->url));
		free(sp->url);
	}
	free(sp);
}

static int store_pg_user_add(struct store *st, const char *name, const char *role, const char *tier,
			     const char *key_type, const char *key_base64, char *err, size_t errlen)
{
	struct store_pg_args a = { 0 }, k = { 0 };
	PGresult *res = NULL;
	int64_t user_id, added = 0;
	int rc = STORE_ERR;

	if (errlen > 0)
		err[0] = '\0';
	if (store_pg_begin_write(st) != STORE_OK) {
		store_pg_error(st, err, errlen);
		return STORE_ERR;
	}
	store_pg_text_arg(&a, name);
	res = store_pg_run(st, "SELECT id, role, tier, state FROM users WHERE name = $1", &a);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		user_id = store_pg_int(res, 0, 0);
		if (strcmp(store_pg_text(res, 0, 3), "removed") == 0) {
			snprintf(err, errlen, "%s was removed; the name stays with its past events, so choose another", name);
			rc = STORE_ERR_EXISTS;
			goto out;
		}
		if (strcmp(store_pg_text(res, 0, 1), role) != 0 || strcmp(store_pg_text(res, 0, 2), tier) != 0) {
			snprintf(err, errlen, "user %s already exists with another role or tier", name);
			goto out;
		}
	} else {
		PQclear(res);
		store_pg_text_arg(&a, role);
		store_pg_text_arg(&a, tier);
		res = store_pg_run(st,
				   "INSERT INTO users (name, role, tier, created_at)"
				   " VALUES ($1, $2, $3, extract(epoch FROM now())::bigint) RETURNING id", &a);
		if (res == NULL || PQntuples(res) != 1)
			goto out;
		user_id = store_pg_int(res, 0, 0);
	}
	store_pg_int_arg(&k, user_id);
	store_pg_text_arg(&k, key_type);
	store_pg_text_arg(&k, key_base64);
	if (store_pg_do(st,
			"INSERT INTO user_keys (user_id, key_type, key_base64) VALUES ($1::bigint, $2, $3)"
			" ON CONFLICT DO NOTHING", &k, &added) != STORE_OK)
		goto out;
	if (added != 1) {
		snprintf(err, errlen, "this key is already registered");
		rc = STORE_ERR_EXISTS;
		goto out;
	}
	rc = STORE_OK;
out:
	if (rc == STORE_ERR && err[0] == '\0')
		store_pg_error(st, err, errlen);
	PQclear(res);
	if (rc == STORE_OK && store_pg_commit_tx(st) != STORE_OK) {
		store_pg_error(st, err, errlen);
		rc = STORE_ERR;
	}
	if (rc != STORE_OK)
		store_pg_do(st, "ROLLBACK", NULL, NULL);
	return rc;
}

/* The one user row of an "id, name, role, tier, state" query. */
static int store_pg_user_row(PGresult *res, struct store_user *out)
{
	int rc = STORE_ERR;

	if (res == NULL)
		return STORE_ERR;
	if (PQntuples(res) >= 1) {
		memset(out, 0, sizeof(*out));
		out->id = store_pg_int(res, 0, 0);
		store_pg_copy_text(out->name, sizeof(out->name), res, 0, 1);
		store_pg_copy_text(out->role, sizeof(out->role), res, 0, 2);
		store_pg_copy_text(out->tier, sizeof(out->tier), res, 0, 3);
		store_pg_copy_text(out->state, sizeof(out->state), res, 0, 4);
		rc = STORE_OK;
	} else {
		rc = STORE_NOT_FOUND;
	}
	PQclear(res);
	return rc;
}

static int store_pg_user_by_key(struct store *st, const char *key_type, const char *key_base64, struct store_user *out)
{
	struct store_pg_args a = { 0 };

	store_pg_text_arg(&a, key_type);
	store_pg_text_arg(&a, key_base64);
	return store_pg_user_row(store_pg_run(st,
					      "SELECT u.id, u.name, u.role, u.tier, u.state FROM users u"
					      " JOIN user_keys k ON k.user_id = u.id"
					      " WHERE k.key_type = $1 AND k.key_base64 = $2", &a),
				 out);
}

static int store_pg_user_by_name(struct store *st, const char *name, struct store_user *out)
{
	struct store_pg_args a = { 0 };

	store_pg_text_arg(&a, name);
	return store_pg_user_row(store_pg_run(st, "SELECT id, name, role, tier, state FROM users WHERE name = $1", &a),
				 out);
}

static int store_pg_user_state(struct store *st, int64_t id, char *state, size_t statelen)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc;

	store_pg_int_arg(&a, id);
	res = store_pg_run(st, "SELECT state FROM users WHERE id = $1::bigint", &a);
	if (res == NULL)
		return STORE_ERR;
	rc = PQntuples(res) == 1 ? STORE_OK : STORE_NOT_FOUND;
	if (rc == STORE_OK)
		store_pg_copy_text(state, statelen, res, 0, 0);
	PQclear(res);
	return rc;
}

static int store_pg_user_list(struct store *st, store_user_key_fn fn, void *ctx)
{
	/* COLLATE "C": byte order, as SQLite sorts, whatever the database's locale. */
	PGresult *res = store_pg_run(st,
				     "SELECT u.id, u.name, u.role, u.tier, u.state, u.created_at, u.state_at, k.key_type,"
				     " k.key_base64 FROM users u LEFT JOIN user_keys k ON k.user_id = u.id"
				     " ORDER BY u.name COLLATE \"C\", k.id", NULL);

	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_user u = { .id = store_pg_int(res, r, 0) };
		struct store_user_key k = { .user = &u };

		store_pg_copy_text(u.name, sizeof(u.name), res, r, 1);
		store_pg_copy_text(u.role, sizeof(u.role), res, r, 2);
		store_pg_copy_text(u.tier, sizeof(u.tier), res, r, 3);
		store_pg_copy_text(u.state, sizeof(u.state), res, r, 4);
		k.created_at = store_pg_int(res, r, 5);
		k.state_at = store_pg_int(res, r, 6);
		k.key_type = store_pg_text_or_null(res, r, 7);
		k.key_base64 = store_pg_text_or_null(res, r, 8);
		if (fn(&k, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_user_set_state(struct store *st, const char *name, const char *state, int64_t now,
				   struct store_user *out, char *err, size_t errlen)
{
	/* Inside the caller's transaction (store_begin), so that its audit event commits with the change. */
	bool own = !store_pg_in_tx(st);
	struct store_pg_args a = { 0 }, s = { 0 };
	PGresult *res = NULL;
	int rc = STORE_ERR;

	if (errlen > 0)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if ((own ? store_pg_begin_write(st) : store_pg_do(st, "SAVEPOINT store_user", NULL, NULL)) != STORE_OK) {
		store_pg_error(st, err, errlen);
		return STORE_ERR;
	}
	store_pg_text_arg(&a, name);
	res = store_pg_run(st, "SELECT id, name, role, tier, state FROM users WHERE name = $1", &a);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		snprintf(err, errlen, "no user named %s", name);
		rc = STORE_NOT_FOUND;
		goto out;
	}
	out->id = store_pg_int(res, 0, 0);
	store_pg_copy_text(out->name, sizeof(out->name), res, 0, 1);
	store_pg_copy_text(out->role, sizeof(out->role), res, 0, 2);
	store_pg_copy_text(out->tier, sizeof(out->tier), res, 0, 3);
	store_pg_copy_text(out->state, sizeof(out->state), res, 0, 4);
	if (strcmp(out->state, "removed") == 0 || strcmp(out->state, state) == 0) {
		snprintf(err, errlen, "%s is %s already%s", name, out->state,
			 strcmp(out->state, "removed") == 0 ? " (removal is final)" : "");
		rc = STORE_ERR_EXISTS;
		goto out;
	}
	store_pg_text_arg(&s, state);
	store_pg_int_arg(&s, now);
	store_pg_int_arg(&s, out->id);
	if (store_pg_do(st, "UPDATE users SET state = $1, state_at = $2::bigint WHERE id = $3::bigint", &s, NULL) !=
	    STORE_OK)
		goto out;
	if (strcmp(state, "removed") == 0) {
		struct store_pg_args k = { 0 };

		store_pg_int_arg(&k, out->id);
		if (store_pg_do(st, "DELETE FROM user_keys WHERE user_id = $1::bigint", &k, NULL) != STORE_OK)
			goto out;
	}
	rc = STORE_OK;
out:
	if (rc == STORE_ERR && err[0] == '\0')
		store_pg_error(st, err, errlen);
	PQclear(res);
	if (store_pg_unnest(st, own, "RELEASE store_user", "ROLLBACK TO store_user", rc == STORE_OK) != STORE_OK &&
	    rc == STORE_OK) {
		store_pg_error(st, err, errlen);
		rc = STORE_ERR;
	}
	return rc;
}

static int store_pg_begin(struct store *st)
{
	return store_pg_begin_write(st);
}

static int store_pg_begin_read(struct store *st)
{
	/* One snapshot for the whole transaction, as SQLite's read transaction has. */
	return store_pg_do(st, "BEGIN ISOLATION LEVEL REPEATABLE READ", NULL, NULL);
}

static int store_pg_commit(struct store *st)
{
	if (store_pg_commit_tx(st) == STORE_OK)
		return STORE_OK;
	if (store_pg_in_tx(st))
		store_pg_do(st, "ROLLBACK", NULL, NULL);
	return STORE_ERR;
}

static void store_pg_rollback(struct store *st)
{
	store_pg_do(st, "ROLLBACK", NULL, NULL);
}

static int store_pg_ticket_new(struct store *st, const struct store_ticket_spec *spec, int64_t now, int64_t *id)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	store_pg_text_arg(&a, spec->summary);
	store_pg_text_arg(&a, spec->tier);
	store_pg_text_arg(&a, spec->priority);
	store_pg_text_arg(&a, spec->customer_name ? spec->customer_name : "");
	store_pg_text_arg(&a, spec->customer_contact ? spec->customer_contact : "");
	if (spec->owner_id > 0)
		store_pg_int_arg(&a, spec->owner_id);
	else
		store_pg_text_arg(&a, NULL);
	store_pg_int_arg(&a, now);
	res = store_pg_run(st,
			   "INSERT INTO tickets (summary, tier, priority, customer_name, customer_contact,"
			   " owner_id, created_at, updated_at, tier_since)"
			   " VALUES ($1, $2, $3, $4, $5, $6::bigint, $7::bigint, $7::bigint, $7::bigint) RETURNING id", &a);
	if (res != NULL && PQntuples(res) == 1) {
		*id = store_pg_int(res, 0, 0);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

#define STORE_PG_TICKET_COLUMNS \
	"t.id, t.summary, t.state, t.tier, t.priority, t.customer_name, t.customer_contact," \
	" COALESCE(t.owner_id, 0), COALESCE(u.name, ''), t.created_at, t.updated_at, t.tier_since," \
	" COALESCE(t.first_response_at, 0), COALESCE(t.sla_paused_since, 0), t.sla_paused, t.tier_paused, t.sla_flags" \
	" FROM tickets t LEFT JOIN users u ON u.id = t.owner_id"

static void store_pg_ticket_row(const PGresult *res, int r, struct store_ticket *out)
{
	memset(out, 0, sizeof(*out));
	out->id = store_pg_int(res, r, 0);
	store_pg_copy_text(out->summary, sizeof(out->summary), res, r, 1);
	store_pg_copy_text(out->state, sizeof(out->state), res, r, 2);
	store_pg_copy_text(out->tier, sizeof(out->tier), res, r, 3);
	store_pg_copy_text(out->priority, sizeof(out->priority), res, r, 4);
	store_pg_copy_text(out->customer_name, sizeof(out->customer_name), res, r, 5);
	store_pg_copy_text(out->customer_contact, sizeof(out->customer_contact), res, r, 6);
	out->owner_id = store_pg_int(res, r, 7);
	store_pg_copy_text(out->owner, sizeof(out->owner), res, r, 8);
	out->created_at = store_pg_int(res, r, 9);
	out->updated_at = store_pg_int(res, r, 10);
	out->tier_since = store_pg_int(res, r, 11);
	out->first_response_at = store_pg_int(res, r, 12);
	out->sla_paused_since = store_pg_int(res, r, 13);
	out->sla_paused = store_pg_int(res, r, 14);
	out->tier_paused = store_pg_int(res, r, 15);
	out->sla_flags = (int)store_pg_int(res, r, 16);
}

static int store_pg_ticket_get(struct store *st, int64_t id, struct store_ticket *out)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc;

	store_pg_int_arg(&a, id);
	res = store_pg_run(st, "SELECT " STORE_PG_TICKET_COLUMNS " WHERE t.id = $1::bigint", &a);
	if (res == NULL)
		return STORE_ERR;
	rc = PQntuples(res) == 1 ? STORE_OK : STORE_NOT_FOUND;
	if (rc == STORE_OK)
		store_pg_ticket_row(res, 0, out);
	PQclear(res);
	return rc;
}

static int store_pg_ticket_update(struct store *st, int64_t id, const char *state, const char *tier,
				  int64_t owner_id, int64_t now)
{
	struct store_pg_args a = { 0 };
	int64_t n = 0;

	store_pg_int_arg(&a, id);
	store_pg_text_arg(&a, state);
	store_pg_text_arg(&a, tier);
	store_pg_int_arg(&a, owner_id);
	store_pg_int_arg(&a, now);
	/* As in SQLite, every expression reads the row as it was before the update. */
	if (store_pg_do(st,
			"UPDATE tickets SET"
			" state = COALESCE($2::text, state),"
			" tier_since = CASE WHEN $3::text IS NOT NULL AND $3::text <> tier THEN $5::bigint ELSE tier_since END,"
			" tier_paused = CASE WHEN $3::text IS NOT NULL AND $3::text <> tier"
			"   THEN sla_paused + COALESCE($5::bigint - sla_paused_since, 0) ELSE tier_paused END,"
			" tier = COALESCE($3::text, tier),"
			" owner_id = CASE WHEN $4::bigint < 0 THEN owner_id WHEN $4::bigint = 0 THEN NULL ELSE $4::bigint END,"
			" updated_at = $5::bigint"
			" WHERE id = $1::bigint", &a, &n) != STORE_OK)
		return STORE_ERR;
	return n == 1 ? STORE_OK : STORE_NOT_FOUND;
}

/* One UPDATE of ticket $1 with the integer $2; *changed (may be NULL) gets the rows it changed. */
static int store_pg_ticket_set(struct store *st, const char *sql, int64_t id, int64_t v, int64_t *changed)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, id);
	store_pg_int_arg(&a, v);
	return store_pg_do(st, sql, &a, changed);
}

static int store_pg_ticket_sla_pause(struct store *st, int64_t id, int64_t now)
{
	int64_t n = 0;
	int rc = store_pg_ticket_set(st,
				     "UPDATE tickets SET sla_paused_since = $2::bigint WHERE id = $1::bigint"
				     " AND sla_paused_since IS NULL", id, now, &n);

	return rc != STORE_OK ? rc : n == 1 ? STORE_OK : STORE_ERR_EXISTS;
}

static int store_pg_ticket_sla_resume(struct store *st, int64_t id, int64_t now, int64_t *paused_for)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int64_t since, n = 0;
	int rc;

	*paused_for = 0;
	store_pg_int_arg(&a, id);
	res = store_pg_run(st, "SELECT sla_paused_since FROM tickets WHERE id = $1::bigint", &a);
	if (res == NULL)
		return STORE_ERR;
	rc = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? STORE_OK : STORE_NOT_FOUND;
	since = rc == STORE_OK ? store_pg_int(res, 0, 0) : 0;
	PQclear(res);
	if (rc != STORE_OK)
		return rc;
	/* A clock set back (a test's) must not make a pause negative. */
	*paused_for = now > since ? now - since : 0;
	rc = store_pg_ticket_set(st,
				 "UPDATE tickets SET sla_paused = sla_paused + $2::bigint, sla_paused_since = NULL"
				 " WHERE id = $1::bigint", id, *paused_for, &n);
	return rc != STORE_OK ? rc : n == 1 ? STORE_OK : STORE_NOT_FOUND;
}

static int store_pg_ticket_first_response(struct store *st, int64_t id, int64_t now, int *set)
{
	int64_t n = 0;
	int rc = store_pg_ticket_set(st,
				     "UPDATE tickets SET first_response_at = $2::bigint WHERE id = $1::bigint"
				     " AND first_response_at IS NULL", id, now, &n);

	if (set != NULL)
		*set = n == 1;
	return rc;
}

static int store_pg_ticket_sla_flags(struct store *st, int64_t id, int add)
{
	return store_pg_ticket_set(st, "UPDATE tickets SET sla_flags = sla_flags | $2::integer WHERE id = $1::bigint",
				   id, add, NULL);
}

static int store_pg_ticket_set_priority(struct store *st, int64_t id, const char *priority, int64_t now)
{
	struct store_pg_args a = { 0 };
	int64_t n = 0;

	store_pg_int_arg(&a, id);
	store_pg_text_arg(&a, priority);
	store_pg_int_arg(&a, now);
	if (store_pg_do(st, "UPDATE tickets SET priority = $2, updated_at = $3::bigint WHERE id = $1::bigint", &a, &n) !=
	    STORE_OK)
		return STORE_ERR;
	return n == 1 ? STORE_OK : STORE_NOT_FOUND;
}

/* Runs a tickets query and calls fn per row. */
static int store_pg_ticket_rows(struct store *st, const char *sql, const struct store_pg_args *a, store_ticket_fn fn,
				void *ctx)
{
	struct store_ticket *t = malloc(sizeof(*t));
	PGresult *res = t != NULL ? store_pg_run(st, sql, a) : NULL;

	if (res == NULL) {
		free(t);
		return STORE_ERR;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		store_pg_ticket_row(res, r, t);
		if (fn(t, ctx) != 0)
			break;
	}
	PQclear(res);
	free(t);
	return STORE_OK;
}

static int store_pg_sla_running(struct store *st, store_ticket_fn fn, void *ctx)
{
	return store_pg_ticket_rows(st,
				    "SELECT " STORE_PG_TICKET_COLUMNS " WHERE t.state NOT IN ('resolved', 'closed') AND t.id > 0"
				    " AND t.sla_paused_since IS NULL AND (t.sla_flags & 8) = 0 ORDER BY t.id", NULL, fn, ctx);
}

static int store_pg_queue(struct store *st, const char *tier, store_ticket_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };

	store_pg_text_arg(&a, tier);
	return store_pg_ticket_rows(st,
				    "SELECT " STORE_PG_TICKET_COLUMNS " WHERE t.tier = $1 AND t.owner_id IS NULL"
				    " AND t.state NOT IN ('resolved', 'closed')"
				    " ORDER BY t.priority COLLATE \"C\", t.tier_since, t.id", &a, fn, ctx);
}

static int store_pg_tickets_owned(struct store *st, int64_t owner_id, store_ticket_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, owner_id);
	return store_pg_ticket_rows(st,
				    "SELECT " STORE_PG_TICKET_COLUMNS " WHERE t.owner_id = $1::bigint"
				    " AND t.state NOT IN ('resolved', 'closed')"
				    " ORDER BY t.priority COLLATE \"C\", t.updated_at, t.id", &a, fn, ctx);
}

static int store_pg_tickets_due(struct store *st, const char *tier, int64_t now, int64_t limit, store_ticket_fn fn,
				void *ctx)
{
	struct store_pg_args a = { 0 };

	store_pg_text_arg(&a, tier);
	store_pg_int_arg(&a, now - limit);
	return store_pg_ticket_rows(st,
				    "SELECT " STORE_PG_TICKET_COLUMNS " WHERE t.tier = $1 AND t.tier_since <= $2::bigint"
				    " AND t.state NOT IN ('resolved', 'closed') AND t.sla_paused_since IS NULL"
				    " AND t.tier_since + t.sla_paused - t.tier_paused <= $2::bigint ORDER BY t.id", &a, fn, ctx);
}

static int store_pg_tier_oldest(struct store *st, const char *tier, int64_t *since)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc;

	store_pg_text_arg(&a, tier);
	res = store_pg_run(st,
			   "SELECT MIN(tier_since + sla_paused - tier_paused) FROM tickets WHERE tier = $1"
			   " AND state NOT IN ('resolved', 'closed') AND sla_paused_since IS NULL", &a);
	if (res == NULL)
		return STORE_ERR;
	rc = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? STORE_OK : STORE_NOT_FOUND;
	if (rc == STORE_OK)
		*since = store_pg_int(res, 0, 0);
	PQclear(res);
	return rc;
}

/* Cancels ticket's live codes, or every ticket's when ticket < 0; *count gets how many. */
static int store_pg_code_cancel_live(struct store *st, int64_t ticket, int64_t now, int *count)
{
	struct store_pg_args a = { 0 };
	int64_t n = 0;

	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, now);
	store_pg_int_arg(&a, CODE_MAX_FAILURES);
	if (store_pg_do(st,
			"UPDATE codes SET cancelled_at = $2::bigint WHERE ($1::bigint < 0 OR ticket_id = $1::bigint)"
			" AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > $2::bigint AND failures < $3::integer",
			&a, &n) != STORE_OK)
		return STORE_ERR;
	if (count != NULL)
		*count = (int)n;
	return STORE_OK;
}

static int store_pg_code_add(struct store *st, int64_t ticket, unsigned locator, const uint8_t hash[CODE_HASH_LEN],
			     int64_t now, int64_t expires_at, int *replaced)
{
	struct store_pg_args live = { 0 }, add = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	/* The write lock: two relays cannot both find a locator free and both take it. */
	if (store_pg_begin_write(st) != STORE_OK)
		return STORE_ERR;
	store_pg_int_arg(&live, locator);
	store_pg_int_arg(&live, now);
	store_pg_int_arg(&live, CODE_MAX_FAILURES);
	res = store_pg_run(st,
			   "SELECT 1 FROM codes WHERE locator = $1::integer AND used_at IS NULL AND cancelled_at IS NULL"
			   " AND expires_at > $2::bigint AND failures < $3::integer", &live);
	if (res == NULL)
		goto out;
	if (PQntuples(res) > 0) {
		PQclear(res);
		rc = STORE_ERR_EXISTS;
		goto out;
	}
	PQclear(res);
	/* One live code per ticket: the one the technician read out last. */
	if (store_pg_code_cancel_live(st, ticket, now, replaced) != STORE_OK)
		goto out;
	store_pg_int_arg(&add, ticket);
	store_pg_int_arg(&add, locator);
	store_pg_blob_arg(&add, hash, CODE_HASH_LEN);
	store_pg_int_arg(&add, now);
	store_pg_int_arg(&add, expires_at);
	if (store_pg_do(st,
			"INSERT INTO codes (ticket_id, locator, hash, created_at, expires_at)"
			" VALUES ($1::bigint, $2::integer, $3::bytea, $4::bigint, $5::bigint)", &add, NULL) == STORE_OK)
		rc = STORE_OK;
out:
	if (rc == STORE_OK && store_pg_commit_tx(st) != STORE_OK)
		rc = STORE_ERR;
	if (rc != STORE_OK)
		store_pg_do(st, "ROLLBACK", NULL, NULL);
	return rc;
}

static int store_pg_code_cancel(struct store *st, int64_t ticket, int64_t now, int *count)
{
	if (count != NULL)
		*count = 0;
	return store_pg_code_cancel_live(st, ticket, now, count);
}

static int store_pg_code_cancel_all(struct store *st, int64_t now, int *count)
{
	if (count != NULL)
		*count = 0;
	return store_pg_code_cancel_live(st, -1, now, count);
}

/*
 * Under the write lock as in SQLite: a wrong try is counted before anyone
 * else reads the code, whichever relay they typed into, so the limit of
 * CODE_MAX_FAILURES holds over all relays together.
 */
static int store_pg_code_redeem(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN], int64_t now,
				int *verdict, int64_t *ticket)
{
	struct store_pg_args a = { 0 }, u = { 0 };
	PGresult *res = NULL;
	int rc = STORE_ERR, match;
	int64_t code_id;
	const uint8_t *h;

	if (store_pg_begin_write(st) != STORE_OK)
		return STORE_ERR;
	store_pg_int_arg(&a, locator);
	res = store_pg_run(st,
			   "SELECT c.id, c.ticket_id, c.hash, c.expires_at, c.failures, c.used_at IS NOT NULL,"
			   " c.cancelled_at IS NOT NULL, t.state IN ('resolved', 'closed')"
			   " FROM codes c JOIN tickets t ON t.id = c.ticket_id"
			   " WHERE c.locator = $1::integer ORDER BY c.id DESC LIMIT 1", &a);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		rc = STORE_CODE_UNKNOWN;
		goto out;
	}
	h = store_pg_blob(res, 0, 2, CODE_HASH_LEN);
	if (h == NULL)
		goto out;
	code_id = store_pg_int(res, 0, 0);
	match = CRYPTO_memcmp(h, hash, CODE_HASH_LEN) == 0;
	if (store_pg_int(res, 0, 5)) {
		rc = match ? STORE_CODE_USED : STORE_CODE_UNKNOWN;
		goto out;
	}
	/* The right code of a cancelled or closed case: its ticket's record says it was tried. */
	if (store_pg_int(res, 0, 6) || store_pg_int(res, 0, 7)) {
		if (!match) {
			rc = STORE_CODE_UNKNOWN;
			goto out;
		}
		*ticket = store_pg_int(res, 0, 1);
		rc = store_pg_int(res, 0, 6) ? STORE_CODE_CANCELLED : STORE_CODE_CLOSED;
		goto out;
	}
	if (now >= store_pg_int(res, 0, 3)) {
		rc = match ? STORE_CODE_EXPIRED : STORE_CODE_UNKNOWN;
		goto out;
	}
	if (store_pg_int(res, 0, 4) >= CODE_MAX_FAILURES) {
		rc = STORE_CODE_LOCKED;
		goto out;
	}
	*ticket = store_pg_int(res, 0, 1);
	store_pg_int_arg(&u, code_id);
	if (match)
		store_pg_int_arg(&u, now);
	if (store_pg_do(st,
			match ? "UPDATE codes SET used_at = $2::bigint WHERE id = $1::bigint"
			      : "UPDATE codes SET failures = failures + 1 WHERE id = $1::bigint",
			&u, NULL) != STORE_OK)
		goto out;
	rc = match ? STORE_CODE_ACCEPTED : STORE_CODE_WRONG;
out:
	PQclear(res);
	/* rc is the verdict (>= 0) from here on, or STORE_ERR. */
	if (rc >= 0 && store_pg_commit_tx(st) != STORE_OK)
		rc = STORE_ERR;
	if (rc < 0) {
		store_pg_do(st, "ROLLBACK", NULL, NULL);
		return STORE_ERR;
	}
	*verdict = rc;
	return STORE_OK;
}

static int store_pg_intake_add(struct store *st, const uint8_t hash[CODE_HASH_LEN], const char *org, int64_t now,
			       int64_t *id)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	store_pg_blob_arg(&a, hash, CODE_HASH_LEN);
	store_pg_text_arg(&a, org != NULL ? org : "");
	store_pg_int_arg(&a, now);
	res = store_pg_run(st,
			   "INSERT INTO intake_tokens (hash, org, created_at) VALUES ($1::bytea, $2, $3::bigint) RETURNING id",
			   &a);
	if (res != NULL && PQntuples(res) == 1) {
		*id = store_pg_int(res, 0, 0);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

static int store_pg_intake_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t *id)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc;

	store_pg_blob_arg(&a, hash, CODE_HASH_LEN);
	res = store_pg_run(st, "SELECT id FROM intake_tokens WHERE hash = $1::bytea AND revoked_at IS NULL", &a);
	if (res == NULL)
		return STORE_ERR;
	rc = PQntuples(res) == 1 ? STORE_OK : STORE_NOT_FOUND;
	if (rc == STORE_OK)
		*id = store_pg_int(res, 0, 0);
	PQclear(res);
	return rc;
}

static int store_pg_intake_uses_since(struct store *st, int64_t id, int64_t since, int64_t *count)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	store_pg_int_arg(&a, id);
	store_pg_int_arg(&a, since);
	res = store_pg_run(st, "SELECT count(*) FROM intake_uses WHERE token_id = $1::bigint AND at >= $2::bigint", &a);
	if (res != NULL && PQntuples(res) == 1) {
		*count = store_pg_int(res, 0, 0);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

static int store_pg_intake_use(struct store *st, int64_t id, int64_t ticket, int64_t now)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, id);
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, now);
	return store_pg_do(st, "INSERT INTO intake_uses (token_id, ticket_id, at) VALUES ($1::bigint, $2::bigint, $3::bigint)",
			   &a, NULL);
}

static int store_pg_intake_revoke(struct store *st, int64_t id, int64_t now)
{
	struct store_pg_args a = { 0 };
	int64_t n = 0;

	store_pg_int_arg(&a, id);
	store_pg_int_arg(&a, now);
	if (store_pg_do(st, "UPDATE intake_tokens SET revoked_at = $2::bigint WHERE id = $1::bigint AND revoked_at IS NULL",
			&a, &n) != STORE_OK)
		return STORE_ERR;
	return n == 1 ? STORE_OK : STORE_NOT_FOUND;
}

static int store_pg_intake_list(struct store *st, store_intake_fn fn, void *ctx)
{
	PGresult *res = store_pg_run(st,
				     "SELECT t.id, t.org, t.created_at, coalesce(t.revoked_at, 0),"
				     " (SELECT count(*) FROM intake_uses u WHERE u.token_id = t.id)"
				     " FROM intake_tokens t ORDER BY t.id", NULL);

	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_intake it = {
			.id = store_pg_int(res, r, 0),
			.org = store_pg_text(res, r, 1),
			.created_at = store_pg_int(res, r, 2),
			.revoked_at = store_pg_int(res, r, 3),
			.uses = store_pg_int(res, r, 4),
		};

		if (fn(&it, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

/* The first row's seq and hash of a "SELECT id, some hash ... LIMIT 1"; nothing when no row. */
static int store_pg_link_row(PGresult *res, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	if (res == NULL)
		return STORE_ERR;
	if (PQntuples(res) == 1) {
		const uint8_t *h = store_pg_blob(res, 0, 1, STORE_HASH_LEN);

		*seq = store_pg_int(res, 0, 0);
		if (h != NULL)
			memcpy(hash, h, STORE_HASH_LEN);
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_chain_head(struct store *st, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	*seq = 0;
	memset(hash, 0, STORE_HASH_LEN);
	/* A damaged head gets a successor all the same (linked to zeros): recording goes on, verify names the break. */
	return store_pg_link_row(store_pg_run(st, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", NULL), seq, hash);
}

static int store_pg_ticket_prev(struct store *st, int64_t ticket, int64_t before, int64_t *seq,
				uint8_t hash[STORE_HASH_LEN])
{
	struct store_pg_args a = { 0 };

	*seq = 0;
	memset(hash, 0, STORE_HASH_LEN);
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, before);
	return store_pg_link_row(store_pg_run(st,
					      "SELECT id, ticket_hash FROM events WHERE ticket_id = $1::bigint"
					      " AND id < $2::bigint ORDER BY id DESC LIMIT 1", &a),
				 seq, hash);
}

/*
 * The event's outbox rows, in the event's transaction: one per active
 * receiver that wants its kind (migration 11), as store_sqlite.c does.
 */
static int store_pg_outbox_enqueue(struct store *st, int64_t seq, int64_t ticket, int64_t at, const char *kind)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, seq);
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, at);
	store_pg_text_arg(&a, kind);
	return store_pg_do(st,
			   "INSERT INTO webhook_outbox (receiver, seq, ticket_id, queued_at)"
			   " SELECT name, $1::bigint, $2::bigint, $3::bigint FROM webhook_receivers WHERE active = 1"
			   " AND (kinds = 'all' OR strpos(kinds, ',' || $4 || ',') > 0)",
			   &a, NULL);
}

static int store_pg_chain_append(struct store *st, int64_t ticket, store_link_make_fn make, void *ctx,
				 int64_t *seq_out)
{
	struct store_link_new l = { 0 };
	uint8_t prev[STORE_HASH_LEN], ticket_prev[STORE_HASH_LEN];
	struct store_pg_args a = { 0 }, h = { 0 };
	PGresult *res;
	int64_t seq = 0;
	/* Inside a caller's transaction a savepoint nests. */
	bool own = !store_pg_in_tx(st);
	int rc = STORE_ERR;

	/*
	 * The chain head's lock, held to this transaction's end: appends from
	 * every relay take turns. One round trip for both (our own constant
	 * SQL, no data), and one more for the head and the ticket's last link,
	 * read by a statement after the lock's, so with a snapshot that has
	 * the last holder's commit.
	 */
	if (own && PQstatus(store_pg_conn(st)) == CONNECTION_BAD)
		PQreset(store_pg_conn(st));
	if (own)
		((struct store_pg *)st)->tx = true;
	res = PQexec(store_pg_conn(st), own ? "BEGIN; SELECT pg_advisory_xact_lock(1215260262, 3)"
					    : "SAVEPOINT store_event; SELECT pg_advisory_xact_lock(1215260262, 3)");
	/* An idle connection to a restarted server: once more on a new one (nothing was written yet). */
	if (own && PQresultStatus(res) != PGRES_TUPLES_OK && PQstatus(store_pg_conn(st)) == CONNECTION_BAD) {
		PQclear(res);
		PQreset(store_pg_conn(st));
		res = PQexec(store_pg_conn(st), "BEGIN; SELECT pg_advisory_xact_lock(1215260262, 3)");
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		if (own)
			store_pg_do(st, "ROLLBACK", NULL, NULL);
		else
			store_pg_unnest(st, false, "RELEASE store_event", "ROLLBACK TO store_event", 0);
		return STORE_ERR;
	}
	PQclear(res);
	memset(prev, 0, STORE_HASH_LEN);
	memset(ticket_prev, 0, STORE_HASH_LEN);
	store_pg_int_arg(&h, ticket);
	/* A damaged hash reads as zeros and gets a successor all the same: verify names the break. */
	res = store_pg_run(st,
			   "(SELECT 0, id, hash FROM events ORDER BY id DESC LIMIT 1) UNION ALL"
			   " (SELECT 1, id, ticket_hash FROM events WHERE ticket_id = $1::bigint ORDER BY id DESC LIMIT 1)",
			   &h);
	if (res == NULL)
		goto out;
	for (int r = 0; r < PQntuples(res); r++) {
		const uint8_t *hash = store_pg_blob(res, r, 2, STORE_HASH_LEN);

		if (store_pg_int(res, r, 0) == 0) {
			seq = store_pg_int(res, r, 1);
			if (hash != NULL)
				memcpy(prev, hash, STORE_HASH_LEN);
		} else if (hash != NULL) {
			memcpy(ticket_prev, hash, STORE_HASH_LEN);
		}
	}
	PQclear(res);
	seq++;
	if (make(seq, prev, ticket_prev, &l, ctx) != 0 || l.ticket != ticket || l.kind == NULL || l.actor == NULL ||
	    l.role == NULL || l.clearance == NULL || l.detail == NULL)
		goto out;
	store_pg_int_arg(&a, seq);
	store_pg_int_arg(&a, l.ticket);
	store_pg_int_arg(&a, l.at);
	store_pg_text_arg(&a, l.kind);
	store_pg_text_arg(&a, l.actor);
	store_pg_text_arg(&a, l.role);
	store_pg_text_arg(&a, l.clearance);
	store_pg_text_arg(&a, l.detail);
	store_pg_blob_arg(&a, prev, STORE_HASH_LEN);
	store_pg_blob_arg(&a, l.body_hash, STORE_HASH_LEN);
	store_pg_blob_arg(&a, l.hash, STORE_HASH_LEN);
	store_pg_blob_arg(&a, l.ticket_hash, STORE_HASH_LEN);
	if (store_pg_do(st,
			"INSERT INTO events (id, ticket_id, at, kind, actor, role, clearance, detail,"
			" prev_hash, body_hash, hash, ticket_hash)"
			" VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7, $8, $9::bytea, $10::bytea, $11::bytea,"
			" $12::bytea)", &a, NULL) == STORE_OK &&
	    store_pg_outbox_enqueue(st, seq, l.ticket, l.at, l.kind) == STORE_OK)
		rc = STORE_OK;
out:
	rc = store_pg_unnest(st, own, "RELEASE store_event", "ROLLBACK TO store_event", rc == STORE_OK);
	if (rc == STORE_OK && seq_out != NULL)
		*seq_out = seq;
	return rc;
}

/* An event from row r whose id is column 0 and whose at..detail start at column first. */
static struct store_event store_pg_event_row(const PGresult *res, int r, int first)
{
	struct store_event e = {
		.id = store_pg_int(res, r, 0),
		.at = store_pg_int(res, r, first),
		.kind = store_pg_text(res, r, first + 1),
		.actor = store_pg_text(res, r, first + 2),
		.role = store_pg_text(res, r, first + 3),
		.clearance = store_pg_text(res, r, first + 4),
		.detail = store_pg_text(res, r, first + 5),
	};

	return e;
}

static int store_pg_events(struct store *st, int64_t ticket, const char *kind, store_event_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	store_pg_int_arg(&a, ticket);
	store_pg_text_arg(&a, kind);
	res = store_pg_run(st,
			   "SELECT id, at, kind, actor, role, clearance, detail"
			   " FROM events WHERE ticket_id = $1::bigint AND ($2::text IS NULL OR kind = $2::text) ORDER BY id",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_event e = store_pg_event_row(res, r, 1);

		if (fn(&e, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_attachment_add(struct store *st, int64_t ticket, int64_t now, const char *kind, const char *name,
				   const char *author, const char *clearance, const void *content, size_t len,
				   int64_t *id, char sha256_hex[65])
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	if (len > (size_t)INT32_MAX)
		return STORE_ERR;
	SHA256(content, len, digest);
	hex_encode(digest, sizeof(digest), sha256_hex);
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, now);
	store_pg_text_arg(&a, kind);
	store_pg_text_arg(&a, name);
	store_pg_text_arg(&a, author ? author : "");
	store_pg_text_arg(&a, clearance ? clearance : "");
	store_pg_text_arg(&a, sha256_hex);
	store_pg_int_arg(&a, (int64_t)len);
	store_pg_blob_arg(&a, content, len);
	res = store_pg_run(st,
			   "INSERT INTO attachments (ticket_id, at, kind, name, author, clearance, sha256, size, content)"
			   " VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6, $7, $8::bigint, $9::bytea) RETURNING id", &a);
	if (res != NULL && PQntuples(res) == 1) {
		*id = store_pg_int(res, 0, 0);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

#define STORE_PG_ATTACHMENT_COLUMNS "id, ticket_id, at, kind, name, author, clearance, sha256, size"

static void store_pg_attachment_row(const PGresult *res, int r, struct store_attachment *a)
{
	a->id = store_pg_int(res, r, 0);
	a->ticket = store_pg_int(res, r, 1);
	a->at = store_pg_int(res, r, 2);
	a->kind = store_pg_text(res, r, 3);
	a->name = store_pg_text(res, r, 4);
	a->author = store_pg_text(res, r, 5);
	a->clearance = store_pg_text(res, r, 6);
	a->sha256 = store_pg_text(res, r, 7);
	a->size = store_pg_int(res, r, 8);
}

static int store_pg_attachments(struct store *st, int64_t ticket, store_attachment_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	store_pg_int_arg(&a, ticket);
	res = store_pg_run(st,
			   "SELECT " STORE_PG_ATTACHMENT_COLUMNS " FROM attachments WHERE ticket_id = $1::bigint ORDER BY id",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_attachment at;

		store_pg_attachment_row(res, r, &at);
		if (fn(&at, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_attachment_get(struct store *st, int64_t ticket, int64_t id, store_attachment_fn meta, void *ctx,
				   uint8_t **content, size_t *len)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	*content = NULL;
	*len = 0;
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, id);
	res = store_pg_run(st,
			   "SELECT " STORE_PG_ATTACHMENT_COLUMNS ", content FROM attachments"
			   " WHERE ticket_id = $1::bigint AND id = $2::bigint", &a);
	if (res == NULL)
		return STORE_ERR;
	if (PQntuples(res) == 0) {
		rc = STORE_NOT_FOUND;
	} else {
		struct store_attachment at;
		int n = PQgetlength(res, 0, 9);

		store_pg_attachment_row(res, 0, &at);
		*content = malloc(n > 0 ? (size_t)n : 1);
		if (*content != NULL) {
			if (n > 0)
				memcpy(*content, PQgetvalue(res, 0, 9), (size_t)n);
			*len = (size_t)n;
			rc = meta != NULL && meta(&at, ctx) != 0 ? STORE_ERR : STORE_OK;
			if (rc != STORE_OK) {
				free(*content);
				*content = NULL;
				*len = 0;
			}
		}
	}
	PQclear(res);
	return rc;
}

static int store_pg_attachment_read(struct store *st, int64_t ticket, int64_t id, store_chunk_fn fn, void *ctx)
{
	const int64_t chunk = 64 * 1024;
	struct store_pg_args a = { 0 };
	PGresult *res;
	int64_t size;

	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, id);
	res = store_pg_run(st, "SELECT octet_length(content) FROM attachments WHERE ticket_id = $1::bigint AND id = $2::bigint",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return STORE_NOT_FOUND;
	}
	size = store_pg_int(res, 0, 0);
	PQclear(res);
	/* A chunk per statement: a log bundle is never whole in memory, here or in libpq. */
	for (int64_t off = 0; off < size; off += chunk) {
		struct store_pg_args c = { 0 };
		int rc;

		store_pg_int_arg(&c, id);
		store_pg_int_arg(&c, off + 1);
		store_pg_int_arg(&c, chunk);
		res = store_pg_run(st, "SELECT substring(content FROM $2::integer FOR $3::integer) FROM attachments"
				       " WHERE id = $1::bigint", &c);
		if (res == NULL || PQntuples(res) != 1 || PQgetlength(res, 0, 0) == 0) {
			PQclear(res);
			return STORE_ERR;
		}
		rc = fn((const uint8_t *)PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), ctx);
		PQclear(res);
		if (rc != 0)
			return STORE_ERR;
	}
	return STORE_OK;
}

static int store_pg_tickets_all(struct store *st, store_ticket_fn fn, void *ctx)
{
	return store_pg_ticket_rows(st, "SELECT " STORE_PG_TICKET_COLUMNS " ORDER BY t.id", NULL, fn, ctx);
}

/* Links in [from, to] (to 0: to the end), of one ticket or (ticket -1) of all. */
static int store_pg_links_query(struct store *st, int64_t ticket, int64_t from, int64_t to, store_link_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	store_pg_int_arg(&a, from);
	store_pg_int_arg(&a, to);
	store_pg_int_arg(&a, ticket);
	/* Whole in memory, like the SQLite result rows would not be: callers walk ranges (audit.c). */
	res = store_pg_run(st,
			   "SELECT e.id, e.ticket_id, e.at, e.kind, e.actor, e.role, e.clearance,"
			   " e.detail, e.prev_hash, e.body_hash, e.hash,"
			   " c.seq IS NOT NULL, c.at, c.hash, c.signature, e.ticket_hash,"
			   " c.tickets_root IS NOT NULL, c.tickets_n, c.tickets_root, c.tickets_sig, c.signer"
			   " FROM events e LEFT JOIN checkpoints c ON c.seq = e.id"
			   " WHERE e.id >= $1::bigint AND ($2::bigint = 0 OR e.id <= $2::bigint)"
			   " AND ($3::bigint < 0 OR e.ticket_id = $3::bigint) ORDER BY e.id", &a);
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_link l = {
			.seq = store_pg_int(res, r, 0),
			.ticket = store_pg_int(res, r, 1),
			.event = store_pg_event_row(res, r, 2),
			.prev_hash = store_pg_blob(res, r, 8, STORE_HASH_LEN),
			.body_hash = store_pg_blob(res, r, 9, STORE_HASH_LEN),
			.hash = store_pg_blob(res, r, 10, STORE_HASH_LEN),
			.has_checkpoint = (int)store_pg_int(res, r, 11),
			.cp_at = store_pg_int(res, r, 12),
			.cp_hash = store_pg_blob(res, r, 13, STORE_HASH_LEN),
			.cp_sig = store_pg_blob(res, r, 14, STORE_SIG_LEN),
			.ticket_hash = store_pg_blob(res, r, 15, STORE_HASH_LEN),
			.cp_has_tickets = (int)store_pg_int(res, r, 16),
			.cp_tickets_n = store_pg_int(res, r, 17),
			.cp_tickets_root = store_pg_blob(res, r, 18, STORE_HASH_LEN),
			.cp_tickets_sig = store_pg_blob(res, r, 19, STORE_SIG_LEN),
			.cp_signer = store_pg_blob(res, r, 20, STORE_PUB_LEN),
		};

		if (fn(&l, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_chain_links(struct store *st, int64_t from, int64_t to, store_link_fn fn, void *ctx)
{
	return store_pg_links_query(st, -1, from, to, fn, ctx);
}

static int store_pg_ticket_links(struct store *st, int64_t ticket, int64_t to, store_link_fn fn, void *ctx)
{
	if (ticket < 0)
		return STORE_ERR;
	return store_pg_links_query(st, ticket, 1, to, fn, ctx);
}

static int store_pg_ticket_heads(struct store *st, int64_t upto, store_head_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	store_pg_int_arg(&a, upto);
	res = store_pg_run(st,
			   "SELECT t.id, e.id, e.ticket_hash FROM tickets t JOIN events e ON e.id ="
			   " (SELECT x.id FROM events x WHERE x.ticket_id = t.id AND x.id <= $1::bigint ORDER BY x.id DESC LIMIT 1)"
			   " ORDER BY t.id", &a);
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++)
		if (fn(store_pg_int(res, r, 0), store_pg_int(res, r, 1), store_pg_blob(res, r, 2, STORE_HASH_LEN), ctx) != 0)
			break;
	PQclear(res);
	return STORE_OK;
}

static int store_pg_chain_counts(struct store *st, int64_t *links, int64_t *checkpoints)
{
	PGresult *res = store_pg_run(st, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM checkpoints)", NULL);
	int rc = STORE_ERR;

	if (res != NULL && PQntuples(res) == 1) {
		*links = store_pg_int(res, 0, 0);
		*checkpoints = store_pg_int(res, 0, 1);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

static int store_pg_checkpoint_add(struct store *st, const struct store_checkpoint *cp)
{
	struct store_pg_args a = { 0 };
	int64_t n = 0;

	store_pg_int_arg(&a, cp->seq);
	store_pg_blob_arg(&a, cp->hash, STORE_HASH_LEN);
	store_pg_int_arg(&a, cp->at);
	store_pg_blob_arg(&a, cp->sig, STORE_SIG_LEN);
	if (cp->has_tickets) {
		store_pg_int_arg(&a, cp->tickets_n);
		store_pg_blob_arg(&a, cp->tickets_root, STORE_HASH_LEN);
		store_pg_blob_arg(&a, cp->tickets_sig, STORE_SIG_LEN);
	} else {
		store_pg_text_arg(&a, NULL);
		store_pg_text_arg(&a, NULL);
		store_pg_text_arg(&a, NULL);
	}
	if (cp->has_signer)
		store_pg_blob_arg(&a, cp->signer, STORE_PUB_LEN);
	else
		store_pg_text_arg(&a, NULL);
	if (store_pg_do(st,
			"INSERT INTO checkpoints (seq, hash, at, signature, tickets_n, tickets_root, tickets_sig, signer)"
			" VALUES ($1::bigint, $2::bytea, $3::bigint, $4::bytea, $5::bigint, $6::bytea, $7::bytea, $8::bytea)"
			" ON CONFLICT (seq) DO NOTHING", &a, &n) != STORE_OK)
		return STORE_ERR;
	return n == 1 ? STORE_OK : STORE_ERR_EXISTS;
}

static int store_pg_checkpoint_last(struct store *st, struct store_checkpoint *out)
{
	PGresult *res = store_pg_run(st,
				     "SELECT seq, hash, at, signature, tickets_n, tickets_root, tickets_sig, signer FROM checkpoints"
				     " ORDER BY seq DESC LIMIT 1", NULL);
	int rc;

	if (res == NULL)
		return STORE_ERR;
	memset(out, 0, sizeof(*out));
	rc = PQntuples(res) == 1 ? STORE_OK : STORE_NOT_FOUND;
	if (rc == STORE_OK) {
		const uint8_t *h = store_pg_blob(res, 0, 1, STORE_HASH_LEN), *sig = store_pg_blob(res, 0, 3, STORE_SIG_LEN);
		const uint8_t *root = store_pg_blob(res, 0, 5, STORE_HASH_LEN), *tsig = store_pg_blob(res, 0, 6, STORE_SIG_LEN);
		const uint8_t *signer = store_pg_blob(res, 0, 7, STORE_PUB_LEN);

		if (signer != NULL) {
			out->has_signer = 1;
			memcpy(out->signer, signer, STORE_PUB_LEN);
		}
		if (root != NULL && tsig != NULL) {
			out->has_tickets = 1;
			out->tickets_n = store_pg_int(res, 0, 4);
			memcpy(out->tickets_root, root, STORE_HASH_LEN);
			memcpy(out->tickets_sig, tsig, STORE_SIG_LEN);
		}
		out->seq = store_pg_int(res, 0, 0);
		out->at = store_pg_int(res, 0, 2);
		/* A malformed row reads as zeros, which no signature covers: verify will say so. */
		if (h != NULL)
			memcpy(out->hash, h, STORE_HASH_LEN);
		if (sig != NULL)
			memcpy(out->sig, sig, STORE_SIG_LEN);
	}
	PQclear(res);
	return rc;
}

static int store_pg_relay_key_add(struct store *st, const struct store_relay_key *k)
{
	struct store_pg_args a = { 0 };
	int64_t n = 0;

	store_pg_blob_arg(&a, k->pub, STORE_PUB_LEN);
	store_pg_text_arg(&a, k->name);
	store_pg_int_arg(&a, k->seq);
	store_pg_int_arg(&a, k->added_at);
	if (store_pg_do(st,
			"INSERT INTO relay_keys (pubkey, name, seq, added_at) VALUES ($1::bytea, $2, $3::bigint, $4::bigint)"
			" ON CONFLICT (pubkey) DO NOTHING", &a, &n) != STORE_OK)
		return STORE_ERR;
	return n == 1 ? STORE_OK : STORE_ERR_EXISTS;
}

static int store_pg_relay_keys(struct store *st, store_relay_key_fn fn, void *ctx)
{
	PGresult *res = store_pg_run(st, "SELECT pubkey, name, seq, added_at, retired_seq FROM relay_keys ORDER BY seq", NULL);

	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_relay_key k = { .seq = store_pg_int(res, r, 2), .added_at = store_pg_int(res, r, 3),
					     .retired_seq = store_pg_int(res, r, 4) };
		const uint8_t *pub = store_pg_blob(res, r, 0, STORE_PUB_LEN);

		if (pub != NULL)
			memcpy(k.pub, pub, STORE_PUB_LEN);
		store_pg_copy_text(k.name, sizeof(k.name), res, r, 1);
		if (fn(&k, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_relay_key_retire(struct store *st, const uint8_t pub[STORE_PUB_LEN], int64_t seq)
{
	struct store_pg_args a = { 0 };
	int64_t n = 0;

	store_pg_blob_arg(&a, pub, STORE_PUB_LEN);
	store_pg_int_arg(&a, seq);
	if (store_pg_do(st, "UPDATE relay_keys SET retired_seq = $2::bigint WHERE pubkey = $1::bytea AND retired_seq = 0",
			&a, &n) != STORE_OK)
		return STORE_ERR;
	return n == 1 ? STORE_OK : STORE_NOT_FOUND;
}

static int store_pg_peer_put(struct store *st, const uint8_t pub[STORE_PUB_LEN], const char *address,
			     const char *host_key, int64_t now)
{
	struct store_pg_args a = { 0 };

	store_pg_blob_arg(&a, pub, STORE_PUB_LEN);
	store_pg_text_arg(&a, address);
	store_pg_text_arg(&a, host_key);
	store_pg_int_arg(&a, now);
	return store_pg_do(st,
			   "INSERT INTO relays (pubkey, address, host_key, seen_at) VALUES ($1::bytea, $2, $3, $4::bigint)"
			   " ON CONFLICT (pubkey) DO UPDATE SET address = EXCLUDED.address, host_key = EXCLUDED.host_key,"
			   " seen_at = EXCLUDED.seen_at", &a, NULL);
}

static int store_pg_peers(struct store *st, store_peer_fn fn, void *ctx)
{
	PGresult *res = store_pg_run(st,
				     "SELECT r.pubkey, k.name, r.address, r.host_key, r.seen_at, k.retired_seq"
				     " FROM relays r JOIN relay_keys k ON k.pubkey = r.pubkey ORDER BY k.seq", NULL);

	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_peer p = { .seen_at = store_pg_int(res, r, 4), .retired_seq = store_pg_int(res, r, 5) };
		const uint8_t *pub = store_pg_blob(res, r, 0, STORE_PUB_LEN);

		if (pub != NULL)
			memcpy(p.pub, pub, STORE_PUB_LEN);
		store_pg_copy_text(p.name, sizeof(p.name), res, r, 1);
		store_pg_copy_text(p.address, sizeof(p.address), res, r, 2);
		/* A host key cut short would pin nothing sensible: none. */
		if (strlen(store_pg_text(res, r, 3)) < sizeof(p.host_key))
			store_pg_copy_text(p.host_key, sizeof(p.host_key), res, r, 3);
		if (fn(&p, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_live_set(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN], int64_t now)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, ticket);
	store_pg_blob_arg(&a, pub, STORE_PUB_LEN);
	store_pg_int_arg(&a, now);
	return store_pg_do(st,
			   "INSERT INTO live_sessions (ticket_id, relay, since) VALUES ($1::bigint, $2::bytea, $3::bigint)"
			   " ON CONFLICT (ticket_id) DO UPDATE SET relay = EXCLUDED.relay, since = EXCLUDED.since", &a, NULL);
}

static int store_pg_live_clear(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN])
{
	struct store_pg_args a = { 0 };

	store_pg_blob_arg(&a, pub, STORE_PUB_LEN);
	store_pg_int_arg(&a, ticket);
	return store_pg_do(st, "DELETE FROM live_sessions WHERE relay = $1::bytea AND ($2::bigint = 0 OR ticket_id = $2::bigint)",
			   &a, NULL);
}

static int store_pg_recording_place_put(struct store *st, int64_t ticket, const char *path,
					const uint8_t pub[STORE_PUB_LEN], int64_t now)
{
	struct store_pg_args a = { 0 };

	store_pg_text_arg(&a, path);
	store_pg_int_arg(&a, ticket);
	store_pg_blob_arg(&a, pub, STORE_PUB_LEN);
	store_pg_int_arg(&a, now);
	return store_pg_do(st,
			   "INSERT INTO recording_places (path, ticket_id, relay, at)"
			   " VALUES ($1, $2::bigint, $3::bytea, $4::bigint)"
			   " ON CONFLICT (path) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, relay = EXCLUDED.relay,"
			   " at = EXCLUDED.at", &a, NULL);
}

static int store_pg_recording_place_get(struct store *st, const char *path, uint8_t pub[STORE_PUB_LEN])
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc = STORE_NOT_FOUND;

	store_pg_text_arg(&a, path);
	res = store_pg_run(st, "SELECT relay FROM recording_places WHERE path = $1", &a);
	if (res == NULL)
		return STORE_ERR;
	if (PQntuples(res) == 1) {
		const uint8_t *p = store_pg_blob(res, 0, 0, STORE_PUB_LEN);

		memset(pub, 0, STORE_PUB_LEN);
		if (p != NULL)
			memcpy(pub, p, STORE_PUB_LEN);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

static int store_pg_live_get(struct store *st, int64_t ticket, uint8_t pub[STORE_PUB_LEN], int64_t *since)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc = STORE_NOT_FOUND;

	store_pg_int_arg(&a, ticket);
	res = store_pg_run(st, "SELECT relay, since FROM live_sessions WHERE ticket_id = $1::bigint", &a);
	if (res == NULL)
		return STORE_ERR;
	if (PQntuples(res) == 1) {
		const uint8_t *p = store_pg_blob(res, 0, 0, STORE_PUB_LEN);

		memset(pub, 0, STORE_PUB_LEN);
		if (p != NULL)
			memcpy(pub, p, STORE_PUB_LEN);
		*since = store_pg_int(res, 0, 1);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

static int store_pg_checkpoint_orphan(struct store *st, int64_t *seq)
{
	PGresult *res = store_pg_run(st,
				     "SELECT COALESCE(MAX(c.seq), 0) FROM checkpoints c"
				     " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.seq)", NULL);
	int rc = STORE_ERR;

	*seq = 0;
	if (res != NULL && PQntuples(res) == 1) {
		*seq = store_pg_int(res, 0, 0);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

static int store_pg_tickets_active_since(struct store *st, int64_t since, store_ticket_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, since);
	return store_pg_ticket_rows(st,
				    "SELECT " STORE_PG_TICKET_COLUMNS
				    " WHERE EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.at >= $1::bigint)"
				    " ORDER BY t.id", &a, fn, ctx);
}

#define STORE_PG_KB_COLUMNS "k.id, k.title, k.symptoms, k.cause, k.fix, k.tier, k.author, k.created_at, k.updated_at"
#define STORE_PG_KB_RANK "(CASE k.tier WHEN 'public' THEN 0 WHEN 'L1' THEN 1 WHEN 'L2' THEN 2 ELSE 3 END)"

static int store_pg_kb_rows(PGresult *res, store_kb_fn fn, void *ctx, int *found)
{
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_kb a = {
			.id = store_pg_int(res, r, 0),
			.title = store_pg_text(res, r, 1),
			.symptoms = store_pg_text(res, r, 2),
			.cause = store_pg_text(res, r, 3),
			.fix = store_pg_text(res, r, 4),
			.tier = store_pg_text(res, r, 5),
			.author = store_pg_text(res, r, 6),
			.created_at = store_pg_int(res, r, 7),
			.updated_at = store_pg_int(res, r, 8),
		};

		if (found != NULL)
			(*found)++;
		if (fn(&a, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_kb_add(struct store *st, const struct store_kb *a, int64_t now, int64_t *id)
{
	struct store_pg_args p = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	store_pg_text_arg(&p, a->title);
	store_pg_text_arg(&p, a->symptoms);
	store_pg_text_arg(&p, a->cause ? a->cause : "");
	store_pg_text_arg(&p, a->fix);
	store_pg_text_arg(&p, a->tier);
	store_pg_text_arg(&p, a->author ? a->author : "");
	store_pg_int_arg(&p, now);
	res = store_pg_run(st,
			   "INSERT INTO kb (title, symptoms, cause, fix, tier, author, created_at, updated_at)"
			   " VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $7::bigint) RETURNING id", &p);
	if (res != NULL && PQntuples(res) == 1) {
		*id = store_pg_int(res, 0, 0);
		rc = STORE_OK;
	}
	PQclear(res);
	return rc;
}

static int store_pg_kb_update(struct store *st, const struct store_kb *a, int64_t now)
{
	struct store_pg_args p = { 0 };
	int64_t n = 0;

	store_pg_int_arg(&p, a->id);
	store_pg_text_arg(&p, a->title);
	store_pg_text_arg(&p, a->symptoms);
	store_pg_text_arg(&p, a->cause);
	store_pg_text_arg(&p, a->fix);
	store_pg_text_arg(&p, a->tier);
	store_pg_int_arg(&p, now);
	if (store_pg_do(st,
			"UPDATE kb SET title = COALESCE($2::text, title), symptoms = COALESCE($3::text, symptoms),"
			" cause = COALESCE($4::text, cause), fix = COALESCE($5::text, fix), tier = COALESCE($6::text, tier),"
			" updated_at = $7::bigint WHERE id = $1::bigint", &p, &n) != STORE_OK)
		return STORE_ERR;
	return n == 1 ? STORE_OK : STORE_NOT_FOUND;
}

static int store_pg_kb_get(struct store *st, int64_t id, int max_rank, store_kb_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	int found = 0, rc;

	store_pg_int_arg(&a, id);
	store_pg_int_arg(&a, max_rank);
	rc = store_pg_kb_rows(store_pg_run(st,
					   "SELECT " STORE_PG_KB_COLUMNS " FROM kb k WHERE k.id = $1::bigint AND "
					   STORE_PG_KB_RANK " <= $2::integer", &a),
			      fn, ctx, &found);
	return rc != STORE_OK ? rc : found ? STORE_OK : STORE_NOT_FOUND;
}

/*
 * The terms as a PostgreSQL array literal of ILIKE patterns: each term
 * within %...%, its \, % and _ escaped for LIKE, then " and \ escaped for
 * the array's quoting. It is data bound as a parameter, never SQL. 0, or
 * -1 when out is too small.
 */
static int store_pg_kb_patterns(const struct relay_kb_terms *t, char *out, size_t outlen)
{
	size_t used = 0;

	if (outlen < 3)
		return -1;
	out[used++] = '{';
	for (size_t i = 0; i < t->n; i++) {
		/* Worst case per byte: LIKE's \ doubled, then both escaped for the array: 4 bytes. */
		if (used + 4 * strlen(t->term[i]) + 16 >= outlen)
			return -1;
		if (i > 0)
			out[used++] = ',';
		memcpy(out + used, "\"%", 2);
		used += 2;
		for (const char *p = t->term[i]; *p != '\0'; p++) {
			if (*p == '\\' || *p == '%' || *p == '_') {
				out[used++] = '\\';
				out[used++] = '\\';
			}
			if (*p == '"' || *p == '\\')
				out[used++] = '\\';
			out[used++] = *p;
		}
		memcpy(out + used, "%\"", 2);
		used += 2;
	}
	out[used++] = '}';
	out[used] = '\0';
	return 0;
}

/* kb_trgm's expression: the four fields joined, each a line. */
#define STORE_PG_KB_DOC "(k.title || chr(10) || k.symptoms || chr(10) || k.cause || chr(10) || k.fix)"
/*
 * The articles whose joined fields hold any of the patterns $1 (the index
 * answers this: a bitmap scan per pattern; it cannot answer ALL), then, as
 * the test says (hits: how many patterns one field or another holds), all
 * of them or any, each within one field.
 */
#define STORE_PG_KB_FIND(hits_test)                                                                               \
	"SELECT " STORE_PG_KB_COLUMNS " FROM kb k,"                                                                  \
	" LATERAL (SELECT count(*) AS hits FROM unnest($1::text[]) p WHERE k.title ILIKE p"                          \
	"   OR k.symptoms ILIKE p OR k.cause ILIKE p OR k.fix ILIKE p) h"                                             \
	" WHERE " STORE_PG_KB_RANK " <= $2::integer AND " STORE_PG_KB_DOC " ILIKE ANY ($1::text[])"                  \
	" AND h.hits " hits_test                                                                                      \
	" ORDER BY h.hits DESC, octet_length(k.title) + octet_length(k.symptoms) + octet_length(k.cause)"             \
	" + octet_length(k.fix), k.id LIMIT $3::integer"

/*
 * FTS5's trigram match without FTS5: the caller's expression is read back
 * into its terms (relay_kb_match_parse), each a case-insensitive substring
 * of one of the four fields, all of them (AND) or any (OR). The trigram
 * index on the fields joined narrows the rows; the per-field test decides,
 * as FTS5 matches a phrase within one column. "Best first" is the number
 * of terms an article holds, then the shorter article (bm25 favours both),
 * then the older: not bm25's scores, and the callers only take the first
 * few and filter them (relay_kb_hits).
 */
static int store_pg_kb_find(struct store *st, const char *match, int max_rank, int limit, store_kb_fn fn, void *ctx)
{
	struct relay_kb_terms *t;
	struct store_pg_args a = { 0 };
	char *patterns = NULL;
	size_t cap = RELAY_KB_TERMS_MAX * (4 * RELAY_KB_TERM_MAX + 8) + 8;
	int all, rc = STORE_ERR;

	if (match == NULL) {
		store_pg_int_arg(&a, max_rank);
		store_pg_int_arg(&a, limit);
		return store_pg_kb_rows(store_pg_run(st,
						     "SELECT " STORE_PG_KB_COLUMNS " FROM kb k WHERE " STORE_PG_KB_RANK
						     " <= $1::integer ORDER BY k.id LIMIT $2::integer", &a),
					fn, ctx, NULL);
	}
	t = malloc(sizeof(*t));
	patterns = malloc(cap);
	if (t == NULL || patterns == NULL || relay_kb_match_parse(match, t, &all) != 0 ||
	    store_pg_kb_patterns(t, patterns, cap) != 0)
		goto out;
	store_pg_text_arg(&a, patterns);
	store_pg_int_arg(&a, max_rank);
	store_pg_int_arg(&a, limit);
	/* A statement for each, not a CASE in one, so that the planner sees the index's condition as it is. */
	rc = store_pg_kb_rows(store_pg_run(st, all ? STORE_PG_KB_FIND("= cardinality($1::text[])") : STORE_PG_KB_FIND("> 0"),
					   &a),
			      fn, ctx, NULL);
out:
	free(patterns);
	free(t);
	return rc;
}

static int store_pg_rt_link_set(struct store *st, const char *receiver, int64_t ticket, int64_t rt_id, int64_t now)
{
	struct store_pg_args a = { 0 };

	store_pg_text_arg(&a, receiver);
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, rt_id);
	store_pg_int_arg(&a, now);
	return store_pg_do(st,
			   "INSERT INTO rt_links (receiver, ticket_id, rt_id, linked_at)"
			   " VALUES ($1, $2::bigint, $3::bigint, $4::bigint)"
			   " ON CONFLICT (receiver, ticket_id) DO UPDATE SET rt_id = excluded.rt_id,"
			   " seen_txn = 0, linked_at = excluded.linked_at",
			   &a, NULL);
}

static int store_pg_rt_link_seen(struct store *st, const char *receiver, int64_t ticket, int64_t txn)
{
	struct store_pg_args a = { 0 };
	int64_t changed = 0;

	store_pg_text_arg(&a, receiver);
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, txn);
	if (store_pg_do(st,
			"UPDATE rt_links SET seen_txn = GREATEST(seen_txn, $3::bigint)"
			" WHERE receiver = $1 AND ticket_id = $2::bigint",
			&a, &changed) != STORE_OK)
		return STORE_ERR;
	return changed == 1 ? STORE_OK : STORE_NOT_FOUND;
}

static int store_pg_rt_links(struct store *st, const char *receiver, int64_t ticket, int open_only, int limit,
			     store_rt_link_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	store_pg_text_arg(&a, receiver ? receiver : "");
	store_pg_int_arg(&a, ticket);
	store_pg_int_arg(&a, open_only != 0);
	store_pg_int_arg(&a, limit);
	res = store_pg_run(st,
			   "SELECT l.receiver, l.ticket_id, l.rt_id, l.seen_txn, l.linked_at FROM rt_links l"
			   " JOIN tickets t ON t.id = l.ticket_id"
			   " WHERE ($1 = '' OR l.receiver = $1) AND ($2::bigint = 0 OR l.ticket_id = $2::bigint)"
			   " AND ($3::bigint = 0 OR t.state <> 'closed')"
			   " ORDER BY l.ticket_id, l.receiver LIMIT $4::bigint",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_rt_link l = {
			.receiver = store_pg_text(res, r, 0),
			.ticket = store_pg_int(res, r, 1),
			.rt_id = store_pg_int(res, r, 2),
			.seen_txn = store_pg_int(res, r, 3),
			.linked_at = store_pg_int(res, r, 4),
		};

		if (fn(&l, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_outbox_receivers_set(struct store *st, const struct store_outbox_receiver *r, size_t n)
{
	int ok;

	if (store_pg_begin_write(st) != STORE_OK)
		return STORE_ERR;
	ok = store_pg_do(st, "UPDATE webhook_receivers SET active = 0", NULL, NULL) == STORE_OK;
	for (size_t i = 0; ok && i < n; i++) {
		struct store_pg_args a = { 0 };

		store_pg_text_arg(&a, r[i].name);
		store_pg_text_arg(&a, r[i].kinds);
		ok = store_pg_do(st,
				 "INSERT INTO webhook_receivers (name, kinds, active) VALUES ($1, $2, 1)"
				 " ON CONFLICT (name) DO UPDATE SET kinds = excluded.kinds, active = 1",
				 &a, NULL) == STORE_OK;
	}
	return store_pg_unnest(st, true, NULL, NULL, ok);
}

static int store_pg_outbox_due(struct store *st, const char *receiver, const char *claimant, int64_t now, int limit,
			       store_outbox_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	/* The head of each (receiver, ticket) first, then whether it is due: a waiting head holds its ticket. */
	store_pg_int_arg(&a, now);
	store_pg_int_arg(&a, limit);
	store_pg_text_arg(&a, receiver ? receiver : "");
	store_pg_text_arg(&a, claimant ? claimant : "");
	store_pg_int_arg(&a, claimant ? 1 : 0);
	res = store_pg_run(st,
			   "SELECT o.receiver, o.seq, o.ticket_id, o.queued_at, o.attempts"
			   " FROM (SELECT receiver, ticket_id, MIN(seq) AS seq FROM webhook_outbox"
			   "   GROUP BY receiver, ticket_id) h"
			   " JOIN webhook_outbox o ON o.receiver = h.receiver AND o.seq = h.seq"
			   " JOIN webhook_receivers r ON r.name = o.receiver AND r.active = 1"
			   " WHERE o.next_at <= $1::bigint AND ($3 = '' OR o.receiver = $3)"
			   " AND ($5::bigint = 0 OR o.claimed_until <= $1::bigint OR o.claimed_by = $4)"
			   " ORDER BY o.seq LIMIT $2::bigint",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_outbox_row row = {
			.receiver = store_pg_text(res, r, 0),
			.seq = store_pg_int(res, r, 1),
			.ticket = store_pg_int(res, r, 2),
			.queued_at = store_pg_int(res, r, 3),
			.attempts = store_pg_int(res, r, 4),
		};

		if (fn(&row, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

/*
 * Two relays claiming one row: the second UPDATE waits for the first's row
 * lock, then reads the row again (READ COMMITTED) and finds it claimed.
 */
static int store_pg_outbox_claim(struct store *st, const char *receiver, int64_t seq, const char *claimant,
				 int64_t now, int64_t until)
{
	struct store_pg_args a = { 0 };
	int64_t changed = 0;

	store_pg_text_arg(&a, receiver);
	store_pg_int_arg(&a, seq);
	store_pg_text_arg(&a, claimant);
	store_pg_int_arg(&a, now);
	store_pg_int_arg(&a, until);
	if (store_pg_do(st, "UPDATE webhook_outbox SET claimed_by = $3, claimed_until = $5::bigint"
			    " WHERE receiver = $1 AND seq = $2::bigint AND (claimed_until <= $4::bigint OR claimed_by = $3)",
			&a, &changed) != STORE_OK)
		return STORE_ERR;
	return changed == 1 ? STORE_OK : STORE_NOT_FOUND;
}

/* The receiver's failing_since, or -1 when there is no such receiver or the read failed. */
static int64_t store_pg_outbox_failing_since(struct store *st, const char *receiver)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int64_t since = -1;

	store_pg_text_arg(&a, receiver);
	res = store_pg_run(st, "SELECT failing_since FROM webhook_receivers WHERE name = $1", &a);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		since = store_pg_int(res, 0, 0);
	PQclear(res);
	return since;
}

static int store_pg_outbox_delivered(struct store *st, const char *receiver, int64_t seq, int64_t now, int *recovered)
{
	int64_t since = store_pg_outbox_failing_since(st, receiver), changed = 0;
	struct store_pg_args a = { 0 }, b = { 0 }, who = { 0 };
	PGresult *res;
	int still;

	if (since < 0)
		return STORE_NOT_FOUND;
	store_pg_text_arg(&a, receiver);
	store_pg_int_arg(&a, seq);
	if (store_pg_do(st, "DELETE FROM webhook_outbox WHERE receiver = $1 AND seq = $2::bigint", &a, &changed) !=
		    STORE_OK ||
	    changed != 1)
		return STORE_NOT_FOUND;
	/* Failing until no row of it waits on a failed try: one refused event must not flap the state per success. */
	/* Every parameter bound must be used: PostgreSQL refuses a statement given more than it names. */
	store_pg_text_arg(&who, receiver);
	res = store_pg_run(st, "SELECT EXISTS (SELECT 1 FROM webhook_outbox WHERE receiver = $1 AND attempts > 0)", &who);
	if (res == NULL || PQntuples(res) != 1) {
		PQclear(res);
		return STORE_ERR;
	}
	still = store_pg_int(res, 0, 0) != 0;
	PQclear(res);
	store_pg_text_arg(&b, receiver);
	store_pg_int_arg(&b, now);
	if (store_pg_do(st,
			still ? "UPDATE webhook_receivers SET delivered = delivered + 1, last_ok_at = $2::bigint WHERE name = $1"
			      : "UPDATE webhook_receivers SET delivered = delivered + 1, last_ok_at = $2::bigint,"
				" failing_since = 0, last_error = '' WHERE name = $1",
			&b, NULL) != STORE_OK)
		return STORE_ERR;
	if (recovered != NULL)
		*recovered = since != 0 && !still;
	return STORE_OK;
}

static int store_pg_outbox_failed(struct store *st, const char *receiver, int64_t seq, int64_t now, int64_t next_at,
				  const char *error, int *newly_failing)
{
	int64_t since = store_pg_outbox_failing_since(st, receiver), changed = 0;
	struct store_pg_args a = { 0 }, b = { 0 };

	if (since < 0)
		return STORE_NOT_FOUND;
	store_pg_text_arg(&a, receiver);
	store_pg_int_arg(&a, seq);
	store_pg_int_arg(&a, next_at);
	store_pg_text_arg(&a, error != NULL ? error : "");
	if (store_pg_do(st,
			"UPDATE webhook_outbox SET attempts = attempts + 1, next_at = $3::bigint, last_error = $4"
			" WHERE receiver = $1 AND seq = $2::bigint",
			&a, &changed) != STORE_OK ||
	    changed != 1)
		return STORE_NOT_FOUND;
	store_pg_text_arg(&b, receiver);
	store_pg_int_arg(&b, now);
	store_pg_text_arg(&b, error != NULL ? error : "");
	if (store_pg_do(st,
			"UPDATE webhook_receivers SET last_error = $3,"
			" failing_since = CASE failing_since WHEN 0 THEN $2::bigint ELSE failing_since END"
			" WHERE name = $1",
			&b, NULL) != STORE_OK)
		return STORE_ERR;
	if (newly_failing != NULL)
		*newly_failing = since == 0;
	return STORE_OK;
}

static int store_pg_outbox_retry(struct store *st, const char *receiver, int64_t *count)
{
	struct store_pg_args a = { 0 };
	int64_t changed = 0;
	int rc;

	if (receiver != NULL)
		store_pg_text_arg(&a, receiver);
	rc = store_pg_do(st,
			 receiver != NULL ? "UPDATE webhook_outbox SET next_at = 0 WHERE receiver = $1"
					  : "UPDATE webhook_outbox SET next_at = 0",
			 receiver != NULL ? &a : NULL, &changed);
	if (rc == STORE_OK && count != NULL)
		*count = changed;
	return rc;
}

static int store_pg_outbox_status(struct store *st, store_outbox_status_fn fn, void *ctx)
{
	PGresult *res = store_pg_run(st,
				     "SELECT r.name, r.active, r.delivered, r.last_ok_at, r.failing_since, r.last_error,"
				     " (SELECT COUNT(*) FROM webhook_outbox o WHERE o.receiver = r.name),"
				     " (SELECT COUNT(*) FROM webhook_outbox o WHERE o.receiver = r.name AND o.attempts > 0),"
				     " (SELECT COALESCE(MIN(o.queued_at), 0) FROM webhook_outbox o WHERE o.receiver = r.name)"
				     " FROM webhook_receivers r ORDER BY r.name COLLATE \"C\"",
				     NULL);

	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++) {
		struct store_outbox_status s = {
			.name = store_pg_text(res, r, 0),
			.active = (int)store_pg_int(res, r, 1),
			.delivered = store_pg_int(res, r, 2),
			.last_ok_at = store_pg_int(res, r, 3),
			.failing_since = store_pg_int(res, r, 4),
			.last_error = store_pg_text(res, r, 5),
			.pending = store_pg_int(res, r, 6),
			.failing = store_pg_int(res, r, 7),
			.oldest_queued_at = store_pg_int(res, r, 8),
		};

		if (fn(&s, ctx) != 0)
			break;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_review_pending(struct store *st, int limit, store_ticket_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, limit);
	return store_pg_ticket_rows(st,
				    "SELECT " STORE_PG_TICKET_COLUMNS
				    " WHERE t.id > 0 AND t.priority IN ('P1', 'P2') AND t.state <> 'closed'"
				    " AND NOT (EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'reviewed'"
				    "   AND e.detail LIKE 'cause: %')"
				    " AND EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'reviewed'"
				    "   AND e.detail LIKE 'prevention: %'))"
				    " ORDER BY t.priority COLLATE \"C\", t.id LIMIT $1::bigint",
				    &a, fn, ctx);
}

static int store_pg_reviewed_causes(struct store *st, int limit, store_cause_fn fn, void *ctx)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	/* DISTINCT ON keeps each ticket's newest cause; the newest tickets first, a bounded walk. */
	store_pg_int_arg(&a, limit);
	res = store_pg_run(st,
			   "SELECT ticket_id, cause FROM (SELECT DISTINCT ON (ticket_id) ticket_id, id,"
			   "   substr(detail, 8) AS cause FROM (SELECT ticket_id, id, detail FROM events"
			   "   WHERE kind = 'reviewed' AND detail LIKE 'cause: %' ORDER BY id DESC LIMIT 2 * $1::bigint) r"
			   "   ORDER BY ticket_id, id DESC) c ORDER BY id DESC LIMIT $1::bigint",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	for (int r = 0; r < PQntuples(res); r++)
		if (fn(store_pg_int(res, r, 0), store_pg_text(res, r, 1), ctx) != 0)
			break;
	PQclear(res);
	return STORE_OK;
}

/* Under the writers' lock: two relays starting at once cannot both register their own. */
static int store_pg_secret_check(struct store *st, const char *name, const uint8_t mac[CODE_HASH_LEN], int64_t now,
				 int *added)
{
	struct store_pg_args a = { 0 }, add = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	*added = 0;
	if (store_pg_begin_write(st) != STORE_OK)
		return STORE_ERR;
	store_pg_text_arg(&a, name);
	res = store_pg_run(st, "SELECT mac FROM store_secrets WHERE name = $1", &a);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		const uint8_t *have = store_pg_blob(res, 0, 0, CODE_HASH_LEN);

		rc = have != NULL && CRYPTO_memcmp(have, mac, CODE_HASH_LEN) == 0 ? STORE_OK : STORE_ERR_EXISTS;
		PQclear(res);
		goto out;
	}
	PQclear(res);
	store_pg_text_arg(&add, name);
	store_pg_blob_arg(&add, mac, CODE_HASH_LEN);
	store_pg_int_arg(&add, now);
	if (store_pg_do(st, "INSERT INTO store_secrets (name, mac, added_at) VALUES ($1, $2::bytea, $3::bigint)", &add,
			NULL) != STORE_OK)
		goto out;
	*added = 1;
	rc = STORE_OK;
out:
	if (rc != STORE_ERR && store_pg_commit_tx(st) != STORE_OK)
		rc = STORE_ERR;
	if (rc == STORE_ERR)
		store_pg_do(st, "ROLLBACK", NULL, NULL);
	return rc;
}

static int store_pg_source_wait(struct store *st, const char *source, int64_t now, int64_t forget,
				int64_t *failures, int64_t *next_allowed)
{
	struct store_pg_args a = { 0 };
	PGresult *res;

	*failures = 0;
	*next_allowed = 0;
	store_pg_text_arg(&a, source);
	store_pg_int_arg(&a, now - forget);
	res = store_pg_run(st, "SELECT failures, next_allowed FROM code_sources WHERE source = $1 AND last_failure > $2::bigint",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	if (PQntuples(res) == 1) {
		*failures = store_pg_int(res, 0, 0);
		*next_allowed = store_pg_int(res, 0, 1);
	}
	PQclear(res);
	return STORE_OK;
}

/* 1, 2, 4 ... s after the failures-th wrong code, at most max. */
static int64_t store_pg_source_delay(int64_t failures, int64_t max)
{
	int64_t delay = 1;

	for (int64_t i = 1; i < failures && delay < max; i++)
		delay *= 2;
	return delay > max ? max : delay;
}

/* The upsert locks the source's row, so two relays' failures are both counted, one after the other. */
static int store_pg_source_failed(struct store *st, const char *source, int64_t now, int64_t backoff_max,
				  int64_t forget, int64_t *failures, int64_t *next_allowed)
{
	struct store_pg_args a = { 0 }, u = { 0 }, w = { 0 }, old = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	if (store_pg_do(st, "BEGIN", NULL, NULL) != STORE_OK)
		return STORE_ERR;
	store_pg_text_arg(&a, source);
	store_pg_int_arg(&a, now);
	store_pg_int_arg(&a, forget);
	res = store_pg_run(st,
			   "INSERT INTO code_sources AS s (source, failures, last_failure, next_allowed)"
			   " VALUES ($1, 1, $2::bigint, $2::bigint) ON CONFLICT (source) DO UPDATE SET"
			   " failures = CASE WHEN s.last_failure <= $2::bigint - $3::bigint THEN 1 ELSE s.failures + 1 END,"
			   " last_failure = $2::bigint RETURNING failures", &a);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		PQclear(res);
		goto out;
	}
	*failures = store_pg_int(res, 0, 0);
	PQclear(res);
	*next_allowed = now + store_pg_source_delay(*failures, backoff_max);
	store_pg_text_arg(&u, source);
	store_pg_int_arg(&u, *next_allowed);
	if (store_pg_do(st, "UPDATE code_sources SET next_allowed = $2::bigint WHERE source = $1", &u, NULL) !=
	    STORE_OK)
		goto out;
	/* The second's row is locked by the upsert: two relays' failures in one second are both counted. */
	store_pg_int_arg(&w, now);
	store_pg_int_arg(&old, now - forget);
	if (store_pg_do(st, "INSERT INTO code_failures AS f (at_second, n) VALUES ($1::bigint, 1)"
			    " ON CONFLICT (at_second) DO UPDATE SET n = f.n + 1", &w, NULL) == STORE_OK &&
	    store_pg_do(st, "DELETE FROM code_failures WHERE at_second <= $1::bigint", &old, NULL) == STORE_OK)
		rc = STORE_OK;
out:
	if (rc == STORE_OK && store_pg_commit_tx(st) != STORE_OK)
		rc = STORE_ERR;
	if (rc != STORE_OK)
		store_pg_do(st, "ROLLBACK", NULL, NULL);
	return rc;
}

static int store_pg_code_window(struct store *st, int64_t now, int64_t window, int64_t *seconds, int64_t *counts,
				size_t max, size_t *count)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rows;

	*count = 0;
	store_pg_int_arg(&a, now - window);
	store_pg_int_arg(&a, now);
	store_pg_int_arg(&a, (int64_t)max);
	res = store_pg_run(st, "SELECT at_second, n FROM code_failures WHERE at_second > $1::bigint AND at_second <= $2::bigint"
			       " ORDER BY at_second DESC LIMIT $3::bigint", &a);
	if (res == NULL)
		return STORE_ERR;
	rows = PQntuples(res);
	for (int i = 0; i < rows && (size_t)i < max; i++) {
		seconds[i] = store_pg_int(res, i, 0);
		counts[i] = store_pg_int(res, i, 1);
		(*count)++;
	}
	PQclear(res);
	return STORE_OK;
}

static int store_pg_source_clear(struct store *st, const char *source)
{
	struct store_pg_args a = { 0 };

	store_pg_text_arg(&a, source);
	return store_pg_do(st, "DELETE FROM code_sources WHERE source = $1", &a, NULL);
}

/*
 * The take is one upsert: the row is locked by it, taken or not, so two
 * relays taking the last ticket of a budget at once are one after the
 * other, and the second finds it spent (ON CONFLICT locks the row even
 * when its WHERE refuses the update).
 */
static int store_pg_desk_take(struct store *st, int64_t user, int64_t now_ns, int64_t step_ns, int64_t slack_ns,
			      int *taken, int64_t *full_at_ns)
{
	struct store_pg_args a = { 0 }, b = { 0 };
	PGresult *res;
	int rc = STORE_ERR;

	*taken = 0;
	*full_at_ns = 0;
	if (store_pg_do(st, "BEGIN", NULL, NULL) != STORE_OK)
		return STORE_ERR;
	store_pg_int_arg(&a, user);
	store_pg_int_arg(&a, now_ns);
	store_pg_int_arg(&a, step_ns);
	store_pg_int_arg(&a, slack_ns);
	res = store_pg_run(st,
			   "INSERT INTO desk_budgets AS d (user_id, full_at_ns) VALUES ($1::bigint, $2::bigint + $3::bigint)"
			   " ON CONFLICT (user_id) DO UPDATE SET full_at_ns = GREATEST(d.full_at_ns, $2::bigint) + $3::bigint"
			   " WHERE d.full_at_ns - $2::bigint <= $4::bigint RETURNING full_at_ns", &a);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		*taken = 1;
		*full_at_ns = store_pg_int(res, 0, 0);
		PQclear(res);
		rc = STORE_OK;
		goto out;
	}
	PQclear(res);
	store_pg_int_arg(&b, user);
	res = store_pg_run(st, "SELECT full_at_ns FROM desk_budgets WHERE user_id = $1::bigint", &b);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 1) {
		*full_at_ns = store_pg_int(res, 0, 0);
		rc = STORE_OK;
	}
	PQclear(res);
out:
	if (rc == STORE_OK && store_pg_commit_tx(st) != STORE_OK)
		rc = STORE_ERR;
	if (rc != STORE_OK)
		store_pg_do(st, "ROLLBACK", NULL, NULL);
	return rc;
}

static int store_pg_resume_set(struct store *st, int64_t ticket, const uint8_t hash[CODE_HASH_LEN], int64_t now)
{
	struct store_pg_args a = { 0 };

	store_pg_int_arg(&a, ticket);
	store_pg_blob_arg(&a, hash, CODE_HASH_LEN);
	store_pg_int_arg(&a, now);
	return store_pg_do(st,
			   "INSERT INTO resume_tokens (ticket_id, hash, issued_at) VALUES ($1::bigint, $2::bytea, $3::bigint)"
			   " ON CONFLICT (ticket_id) DO UPDATE SET hash = excluded.hash, issued_at = excluded.issued_at",
			   &a, NULL);
}

static int store_pg_resume_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t since, int64_t *ticket)
{
	struct store_pg_args a = { 0 };
	PGresult *res;
	int rc;

	store_pg_blob_arg(&a, hash, CODE_HASH_LEN);
	store_pg_int_arg(&a, since);
	res = store_pg_run(st,
			   "SELECT r.ticket_id FROM resume_tokens r JOIN tickets t ON t.id = r.ticket_id"
			   " WHERE r.hash = $1::bytea AND r.issued_at >= $2::bigint AND t.state NOT IN ('resolved', 'closed')",
			   &a);
	if (res == NULL)
		return STORE_ERR;
	rc = PQntuples(res) == 1 ? STORE_OK : STORE_NOT_FOUND;
	if (rc == STORE_OK)
		*ticket = store_pg_int(res, 0, 0);
	PQclear(res);
	return rc;
}

static const struct store_backend store_pg_backend = {
	.name = "postgresql",
	.close = store_pg_close,
	.open_again = store_pg_open_again,
	.user_add = store_pg_user_add,
	.user_by_key = store_pg_user_by_key,
	.user_by_name = store_pg_user_by_name,
	.user_state = store_pg_user_state,
	.user_list = store_pg_user_list,
	.user_set_state = store_pg_user_set_state,
	.begin = store_pg_begin,
	.begin_read = store_pg_begin_read,
	.commit = store_pg_commit,
	.rollback = store_pg_rollback,
	.ticket_new = store_pg_ticket_new,
	.ticket_get = store_pg_ticket_get,
	.ticket_update = store_pg_ticket_update,
	.ticket_sla_pause = store_pg_ticket_sla_pause,
	.ticket_sla_resume = store_pg_ticket_sla_resume,
	.ticket_first_response = store_pg_ticket_first_response,
	.ticket_sla_flags = store_pg_ticket_sla_flags,
	.sla_running = store_pg_sla_running,
	.ticket_set_priority = store_pg_ticket_set_priority,
	.queue = store_pg_queue,
	.tickets_owned = store_pg_tickets_owned,
	.tickets_due = store_pg_tickets_due,
	.tier_oldest = store_pg_tier_oldest,
	.code_add = store_pg_code_add,
	.code_cancel = store_pg_code_cancel,
	.code_cancel_all = store_pg_code_cancel_all,
	.code_redeem = store_pg_code_redeem,
	.events = store_pg_events,
	.attachment_add = store_pg_attachment_add,
	.attachments = store_pg_attachments,
	.attachment_get = store_pg_attachment_get,
	.attachment_read = store_pg_attachment_read,
	.tickets_all = store_pg_tickets_all,
	.chain_append = store_pg_chain_append,
	.ticket_links = store_pg_ticket_links,
	.ticket_prev = store_pg_ticket_prev,
	.ticket_heads = store_pg_ticket_heads,
	.chain_links = store_pg_chain_links,
	.chain_head = store_pg_chain_head,
	.chain_counts = store_pg_chain_counts,
	.checkpoint_add = store_pg_checkpoint_add,
	.checkpoint_last = store_pg_checkpoint_last,
	.checkpoint_orphan = store_pg_checkpoint_orphan,
	.relay_key_add = store_pg_relay_key_add,
	.relay_keys = store_pg_relay_keys,
	.relay_key_retire = store_pg_relay_key_retire,
	.peer_put = store_pg_peer_put,
	.peers = store_pg_peers,
	.live_set = store_pg_live_set,
	.live_clear = store_pg_live_clear,
	.live_get = store_pg_live_get,
	.recording_place_put = store_pg_recording_place_put,
	.recording_place_get = store_pg_recording_place_get,
	.intake_add = store_pg_intake_add,
	.intake_find = store_pg_intake_find,
	.intake_uses_since = store_pg_intake_uses_since,
	.intake_use = store_pg_intake_use,
	.intake_revoke = store_pg_intake_revoke,
	.intake_list = store_pg_intake_list,
	.kb_add = store_pg_kb_add,
	.kb_update = store_pg_kb_update,
	.kb_get = store_pg_kb_get,
	.kb_find = store_pg_kb_find,
	.tickets_active_since = store_pg_tickets_active_since,
	.review_pending = store_pg_review_pending,
	.reviewed_causes = store_pg_reviewed_causes,
	.outbox_receivers_set = store_pg_outbox_receivers_set,
	.outbox_due = store_pg_outbox_due,
	.outbox_claim = store_pg_outbox_claim,
	.outbox_delivered = store_pg_outbox_delivered,
	.outbox_failed = store_pg_outbox_failed,
	.outbox_retry = store_pg_outbox_retry,
	.outbox_status = store_pg_outbox_status,
	.rt_link_set = store_pg_rt_link_set,
	.rt_link_seen = store_pg_rt_link_seen,
	.rt_links = store_pg_rt_links,
	.secret_check = store_pg_secret_check,
	.source_wait = store_pg_source_wait,
	.source_failed = store_pg_source_failed,
	.code_window = store_pg_code_window,
	.source_clear = store_pg_source_clear,
	.desk_take = store_pg_desk_take,
	.resume_set = store_pg_resume_set,
	.resume_find = store_pg_resume_find,
};
