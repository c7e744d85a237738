/*
 * store_sqlite.c: the embedded SQLite implementation of store.h.
 *
 * Every statement is prepared with bound parameters; no SQL text is ever
 * built from data. The relay is single-threaded, so one connection serves
 * it; WAL lets an operator's sqlite3 shell or a backup read while the relay
 * writes. Migrations are applied in order inside one transaction each and
 * recorded in PRAGMA user_version.
 */
#include "store_backend.h"


#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "chain.h"
#include "hex.h"

struct store_sqlite {
	struct store base;
	sqlite3 *db;
};

static sqlite3 *store_sqlite_db(const struct store *st)
{
	return ((const struct store_sqlite *)st)->db;
}

static const char *const store_migrations[] = {
	/* 1: identities, tickets, support codes, ticket events */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('tech', 'auditor')),"
	"  tier TEXT NOT NULL CHECK (tier IN ('', 'L1', 'L2', 'L3')),"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE user_keys ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  key_type TEXT NOT NULL,"
	"  key_base64 TEXT NOT NULL,"
	"  UNIQUE (key_type, key_base64));"
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  summary TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  tier TEXT NOT NULL DEFAULT 'L1',"
	"  owner_id INTEGER REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE codes ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  locator INTEGER NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  used_at INTEGER);"
	"CREATE INDEX codes_by_locator ON codes (locator, id);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  actor TEXT,"
	"  detail TEXT);"
	"CREATE INDEX events_by_ticket ON events (ticket_id, id);",
	/* 2: priority, customer, tier clock for escalation policy, event roles and clearance, attachments */
	"ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT 'P3'"
	"  CHECK (priority IN ('P1', 'P2', 'P3', 'P4'));"
	"ALTER TABLE tickets ADD COLUMN customer_name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tickets ADD COLUMN customer_contact TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tickets ADD COLUMN tier_since INTEGER NOT NULL DEFAULT 0;"
	"UPDATE tickets SET tier_since = created_at;"
	"CREATE INDEX tickets_by_tier ON tickets (tier, state, tier_since);"
	"ALTER TABLE events ADD COLUMN role TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE events ADD COLUMN clearance TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  author TEXT NOT NULL DEFAULT '',"
	"  clearance TEXT NOT NULL DEFAULT '',"
	"  sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  content BLOB NOT NULL);"
	"CREATE INDEX attachments_by_ticket ON attachments (ticket_id, id);",
	/*
	 * 3: the audit chain. seq is the event's id; the hashes of the events
	 * already there are filled in by store_chain_migrate, which then makes
	 * both tables append-only.
	 */
	"ALTER TABLE events ADD COLUMN prev_hash BLOB;"
	"ALTER TABLE events ADD COLUMN body_hash BLOB;"
	"ALTER TABLE events ADD COLUMN hash BLOB;"
	"CREATE TABLE checkpoints ("
	"  seq INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  signature BLOB NOT NULL);",
	/*
	 * 4: ticket 0, the relay's own record: events that belong to no support
	 * case (code guessing throttled, the global cap closing) still go into
	 * the audit chain, and events reference a ticket. It is closed and at L3,
	 * so it never shows in a queue and no one can take it.
	 */
	"INSERT OR IGNORE INTO tickets (id, summary, state, tier, priority, owner_id, created_at, updated_at,"
	"  tier_since) VALUES (0, 'relay: security events (not a support case)', 'closed', 'L3', 'P4', NULL,"
	"  0, 0, 0);",
	/*
	 * 5: intake tokens, built into bundles: only their HMAC under code.key
	 * is kept. Each use (a ticket a customer opened) is a row, which is
	 * what the per-token rate limit counts.
	 */
	"CREATE TABLE intake_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  org TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER);"
	"CREATE TABLE intake_uses ("
	"  token_id INTEGER NOT NULL REFERENCES intake_tokens (id),"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets (id),"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX intake_uses_by_token ON intake_uses (token_id, at);",
	/*
	 * 6: an account's state. Accounts are never deleted (tickets point at
	 * them, events name them): a removed one keeps its row without keys.
	 */
	"ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active'"
	"  CHECK (state IN ('active', 'disabled', 'removed'));"
	"ALTER TABLE users ADD COLUMN state_at INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 7: a code can be cancelled before it is used or expires: by a newer
	 * code for its ticket, or by the ticket being resolved.
	 */
	"ALTER TABLE codes ADD COLUMN cancelled_at INTEGER;"
	"CREATE INDEX codes_by_ticket ON codes (ticket_id);",
	/*
	 * 8: every ticket's own chain (chain.h: ticket_hash) and the signed root
	 * over their heads at each checkpoint, so that a ticket's export holds
	 * its own records and not the relay's whole history. store_ticket_migrate
	 * links the events already there; checkpoints signed before have no root.
	 */
	"ALTER TABLE events ADD COLUMN ticket_hash BLOB;"
	"ALTER TABLE checkpoints ADD COLUMN tickets_n INTEGER;"
	"ALTER TABLE checkpoints ADD COLUMN tickets_root BLOB;"
	"ALTER TABLE checkpoints ADD COLUMN tickets_sig BLOB;",
	/*
	 * 9: SLA clocks (relay/sla.h): the first response, pauses while the
	 * desk waits on the customer, the pauses a tier's time excludes, and
	 * which warnings and breaches are recorded. Tickets opened before have
	 * had their response (nobody measured it).
	 */
	"ALTER TABLE tickets ADD COLUMN first_response_at INTEGER;"
	"UPDATE tickets SET first_response_at = created_at;"
	"ALTER TABLE tickets ADD COLUMN sla_paused_since INTEGER;"
	"ALTER TABLE tickets ADD COLUMN sla_paused INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN tier_paused INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN sla_flags INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX tickets_open ON tickets (id) WHERE state NOT IN ('resolved', 'closed');",
	/*
	 * 10: the knowledge base. kb_fts is an external-content FTS5 index of
	 * kb kept by triggers; the trigram tokenizer (SQLite 3.34+) matches
	 * any substring of three characters or more, in any script.
	 */
	"CREATE TABLE kb ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  symptoms TEXT NOT NULL,"
	"  cause TEXT NOT NULL DEFAULT '',"
	"  fix TEXT NOT NULL,"
	"  tier TEXT NOT NULL CHECK (tier IN ('public', 'L1', 'L2', 'L3')),"
	"  author TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE VIRTUAL TABLE kb_fts USING fts5(title, symptoms, cause, fix, content='kb', content_rowid='id',"
	"  tokenize='trigram');"
	"CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb BEGIN"
	"  INSERT INTO kb_fts (rowid, title, symptoms, cause, fix)"
	"  VALUES (new.id, new.title, new.symptoms, new.cause, new.fix); END;"
	"CREATE TRIGGER kb_fts_update AFTER UPDATE ON kb BEGIN"
	"  INSERT INTO kb_fts (kb_fts, rowid, title, symptoms, cause, fix)"
	"  VALUES ('delete', old.id, old.title, old.symptoms, old.cause, old.fix);"
	"  INSERT INTO kb_fts (rowid, title, symptoms, cause, fix)"
	"  VALUES (new.id, new.title, new.symptoms, new.cause, new.fix); END;",
	/*
	 * 11: the webhooks' outbox (relay/webhook.h). A receiver row per
	 * receiver relay.conf named (active) or once named (kept, with what it
	 * has pending); kinds is ",KIND,KIND," or "all". store_chain_append
	 * adds one outbox row per active receiver that wants the event's kind,
	 * in the event's own transaction; delivery deletes it.
	 */
	"CREATE TABLE webhook_receivers ("
	"  name TEXT PRIMARY KEY,"
	"  kinds TEXT NOT NULL,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  delivered INTEGER NOT NULL DEFAULT 0,"
	"  last_ok_at INTEGER NOT NULL DEFAULT 0,"
	"  failing_since INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE webhook_outbox ("
	"  receiver TEXT NOT NULL REFERENCES webhook_receivers (name),"
	"  seq INTEGER NOT NULL REFERENCES events (id),"
	"  ticket_id INTEGER NOT NULL,"
	"  queued_at INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (receiver, seq));"
	"CREATE INDEX webhook_outbox_ticket ON webhook_outbox (receiver, ticket_id, seq);",
	/*
	 * 12: reviews of major incidents are records (reviewed "cause: ...",
	 * "prevention: ..."); this partial index holds those alone, in rowid
	 * order, so the newest causes are read without reading every event
	 * (recurrences). One ticket's review is read through events_by_ticket.
	 */
	"CREATE INDEX events_reviewed ON events (kind) WHERE kind = 'reviewed';"
	/* The tickets a review may be owed by, in the order review lists them: a walk that stops at a page. */
	"CREATE INDEX tickets_review ON tickets (priority, id) WHERE priority IN ('P1', 'P2') AND state <> 'closed';",
	/*
	 * 13: the relays' audit keys (store.h), each registered by a chain
	 * record (seq), and the key that signed each checkpoint (NULL on those
	 * signed before: the home's key, the first registered).
	 */
	"CREATE TABLE relay_keys ("
	"  pubkey BLOB PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  seq INTEGER NOT NULL REFERENCES events (id),"
	"  added_at INTEGER NOT NULL,"
	"  retired_seq INTEGER NOT NULL DEFAULT 0);"
	"ALTER TABLE checkpoints ADD COLUMN signer BLOB;",
	/*
	 * 14: desk accounts (role 'desk': the desk's ticket system opening
	 * tickets). SQLite cannot change a CHECK, so the table is made again
	 * and its rows copied, ids kept: what points at them still does. The
	 * migrations run with foreign keys off for this (store_sqlite_open),
	 * and store_keys_checked proves nothing dangles before the commit.
	 */
	"CREATE TABLE users_new ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('tech', 'auditor', 'desk')),"
	"  tier TEXT NOT NULL CHECK (tier IN ('', 'L1', 'L2', 'L3')),"
	"  created_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled', 'removed')),"
	"  state_at INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO users_new (id, name, role, tier, created_at, state, state_at)"
	"  SELECT id, name, role, tier, created_at, state, state_at FROM users;"
	"DROP TABLE users;"
	"ALTER TABLE users_new RENAME TO users;",
	/*
	 * 15: routing between relays (store.h): each relay's address for its
	 * peers and SSH host key, named by its audit key, and which relay
	 * holds each ticket's live customer.
	 */
	"CREATE TABLE relays ("
	"  pubkey BLOB PRIMARY KEY REFERENCES relay_keys (pubkey),"
	"  address TEXT NOT NULL,"
	"  host_key TEXT NOT NULL,"
	"  seen_at INTEGER NOT NULL);"
	"CREATE TABLE live_sessions ("
	"  ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),"
	"  relay BLOB NOT NULL REFERENCES relays (pubkey),"
	"  since INTEGER NOT NULL);"
	"CREATE INDEX live_sessions_relay ON live_sessions (relay);",
	/*
	 * 16: Request Tracker links (relay/rt.c). The RT ticket a receiver made for a Handoff ticket,
	 * and the newest RT transaction its inbound poll has looked at.
	 */
	"CREATE TABLE rt_links ("
	"  receiver TEXT NOT NULL,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets (id),"
	"  rt_id INTEGER NOT NULL,"
	"  seen_txn INTEGER NOT NULL DEFAULT 0,"
	"  linked_at INTEGER NOT NULL,"
	"  PRIMARY KEY (receiver, ticket_id));",
	/*
	 * 17: what several relays on one store must share beside the record
	 * (store.h): the check value of the secret they hold alike, the wrong
	 * codes of each guessing source, and each live ticket's resume token.
	 */
	"CREATE TABLE store_secrets ("
	"  name TEXT PRIMARY KEY,"
	"  mac BLOB NOT NULL,"
	"  added_at INTEGER NOT NULL);"
	"CREATE TABLE code_sources ("
	"  source TEXT PRIMARY KEY,"
	"  failures INTEGER NOT NULL,"
	"  last_failure INTEGER NOT NULL,"
	"  next_allowed INTEGER NOT NULL);"
	"CREATE TABLE resume_tokens ("
	"  ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),"
	"  hash BLOB NOT NULL UNIQUE,"
	"  issued_at INTEGER NOT NULL);"
	/*
	 * The relays' keys are what verify trusts: a row is never deleted,
	 * and changes only once, when its key is retired (retired_seq from 0
	 * to the retirement's record, nothing else).
	 */
	"CREATE TRIGGER relay_keys_append_only_delete BEFORE DELETE ON relay_keys"
	" BEGIN SELECT RAISE(ABORT, 'relay_keys are append-only'); END;"
	"CREATE TRIGGER relay_keys_append_only_update BEFORE UPDATE ON relay_keys"
	" WHEN NOT (OLD.retired_seq = 0 AND NEW.retired_seq <> 0 AND NEW.pubkey IS OLD.pubkey AND NEW.name IS OLD.name"
	" AND NEW.seq IS OLD.seq AND NEW.added_at IS OLD.added_at)"
	" BEGIN SELECT RAISE(ABORT, 'relay_keys are append-only (a key is only retired, once)'); END;",
	/*
	 * 18: the wrong codes of the last minutes per second, whichever relay
	 * counted them, so the global cap (guard.h) is the store's and not
	 * each relay's.
	 */
	"CREATE TABLE code_failures ("
	"  at_second INTEGER PRIMARY KEY,"
	"  n INTEGER NOT NULL);",
	/*
	 * 19: an outbox row's sender and its lease (store_outbox_claim), so
	 * that the relays of one store send each row once, not once each.
	 */
	"ALTER TABLE webhook_outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE webhook_outbox ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 20: which relay's home holds each recording (issue 18): files stay
	 * where they were made, and an export elsewhere fetches them from there.
	 */
	"CREATE TABLE recording_places ("
	"  path TEXT PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets (id),"
	"  relay BLOB NOT NULL,"
	"  at INTEGER NOT NULL);",
	/*
	 * 21: each desk account's ticket budget (desk_tickets_per_minute),
	 * as the time its bucket is whole again (store_desk_take), so that
	 * the relays of one store share it instead of allowing it once each.
	 */
	"CREATE TABLE desk_budgets ("
	"  user_id INTEGER PRIMARY KEY REFERENCES users (id),"
	"  full_at_ns INTEGER NOT NULL);",
};

static int store_chain_migrate(struct store *st, char *err, size_t errlen);
static int store_sqlite_ticket_prev(struct store *st, int64_t ticket, int64_t before, int64_t *seq,
				    uint8_t hash[STORE_HASH_LEN]);
static int store_ticket_migrate(struct store *st, char *err, size_t errlen);
static int store_keys_checked(struct store *st, char *err, size_t errlen);

/* C steps of a migration, run after its SQL in the same transaction (NULL: none). */
static int (*const store_migration_steps[])(struct store *st, char *err, size_t errlen) = {
	NULL,
	NULL,
	store_chain_migrate,
	NULL,
	NULL,
	NULL,
	NULL,
	store_ticket_migrate,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	store_keys_checked,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
};
_Static_assert(sizeof(store_migration_steps) / sizeof(store_migration_steps[0]) ==
		       sizeof(store_migrations) / sizeof(store_migrations[0]),
	       "every migration has a step (NULL for none)");

static int store_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(store_sqlite_db(st), sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", msg ? msg : sqlite3_errmsg(store_sqlite_db(st)));
		sqlite3_free(msg);
		return STORE_ERR;
	}
	return STORE_OK;
}

static int store_prepare(struct store *st, sqlite3_stmt **stmt, const char *sql)
{
	return sqlite3_prepare_v2(store_sqlite_db(st), sql, -1, stmt, NULL) == SQLITE_OK ? STORE_OK : STORE_ERR;
}

/* After a table is made again: every reference still finds its row (foreign keys are off meanwhile). */
static int store_keys_checked(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (store_prepare(st, &stmt, "PRAGMA foreign_key_check") != 0) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
		return STORE_ERR;
	}
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		snprintf(err, errlen, "database: migration left table %s pointing at a missing row",
			 (const char *)sqlite3_column_text(stmt, 0));
	else if (rc != SQLITE_DONE)
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERR;
}

static int store_migrate(struct store *st, char *err, size_t errlen)
{
	const int latest = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
	sqlite3_stmt *stmt = NULL;
	int version;

	if (store_prepare(st, &stmt, "PRAGMA user_version") != 0 || sqlite3_step(stmt) != SQLITE_ROW) {
		snprintf(err, errlen, "database: cannot read schema version: %s", sqlite3_errmsg(store_sqlite_db(st)));
		sqlite3_finalize(stmt);
		return STORE_ERR;
	}
	version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version > latest) {
		snprintf(err, errlen, "database schema %d is newer than this relay (%d)", version, latest);
		return STORE_ERR;
	}
	for (int v = version; v < latest; v++) {
		char bump[64];

		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		if (store_exec(st, "BEGIN IMMEDIATE", err, errlen) != 0)
			return STORE_ERR;
		if (store_exec(st, store_migrations[v], err, errlen) != 0 ||
		    (store_migration_steps[v] != NULL && store_migration_steps[v](st, err, errlen) != 0) ||
		    store_exec(st, bump, err, errlen) != 0) {
			store_exec(st, "ROLLBACK", err + strlen(err), 0);
			return STORE_ERR;
		}
		if (store_exec(st, "COMMIT", err, errlen) != 0)
			return STORE_ERR;
	}
	return STORE_OK;
}

/*
 * PRAGMA quick_check at every open: damage found at start is a clear
 * error, where damage found later would fail some write in the middle of
 * a session. It reads the whole file once (a second or so for hundreds of
 * megabytes); recordings live outside the database.
 */
static int store_check(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_ERR;

	if (store_prepare(st, &stmt, "PRAGMA quick_check(1)") != 0) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
		return STORE_ERR;
	}
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW && sqlite3_column_text(stmt, 0) != NULL &&
	    strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") == 0)
		rc = STORE_OK;
	else if (step == SQLITE_ROW) {
		char what[128];

		snprintf(what, sizeof(what), "%s", (const char *)sqlite3_column_text(stmt, 0));
		for (char *p = what; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		snprintf(err, errlen, "database: damaged (%s); restore it from a backup", what);
	}
	else
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(stmt);
	return rc;
}

static const struct store_backend store_sqlite_backend;
static void store_sqlite_close(struct store *st);

/* A new store of this backend with db not open yet. */
static struct store_sqlite *store_sqlite_new(char *err, size_t errlen)
{
	struct store_sqlite *sq = calloc(1, sizeof(*sq));

	if (sq == NULL)
		snprintf(err, errlen, "out of memory");
	else
		sq->base.be = &store_sqlite_backend;
	return sq;
}

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store_sqlite *sq = store_sqlite_new(err, errlen);
	struct store *st = &sq->base;

	if (sq == NULL)
		return STORE_ERR;
	if (sqlite3_open_v2(path, &sq->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path, sq->db ? sqlite3_errmsg(sq->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(sq->db, 2000);
	/* Foreign keys on after the migrations: one makes a table again (see migration 14). */
	if (store_exec(st, "PRAGMA journal_mode = WAL", err, errlen) != 0 ||
	    store_exec(st, "PRAGMA synchronous = NORMAL", err, errlen) != 0 ||
	    store_check(st, err, errlen) != 0 || store_migrate(st, err, errlen) != 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", err, errlen) != 0)
		goto fail;
	*out = st;
	return STORE_OK;
fail:
	/* Name the file: "database is locked" alone does not say which, nor what to do. */
	if (strncmp(err, "database: ", 10) == 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err + 10);
		snprintf(err, errlen, "database %s: %s%s", path, why,
			 strstr(why, "locked") ? " (another process holds it: stop it and start again)" : "");
	}
	store_sqlite_close(st);
	return STORE_ERR;
}

static int store_sqlite_open_again(const struct store *st, struct store **out, char *err, size_t errlen)
{
	const char *path = sqlite3_db_filename(store_sqlite_db(st), "main");
	struct store_sqlite *again;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "database: no file to open again");
		return STORE_ERR;
	}
	again = store_sqlite_new(err, errlen);
	if (again == NULL)
		return STORE_ERR;
	/* Checked and migrated by the first open; WAL is a property of the file and stays. */
	if (sqlite3_open_v2(path, &again->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path, again->db ? sqlite3_errmsg(again->db) : "cannot open");
		store_sqlite_close(&again->base);
		return STORE_ERR;
	}
	sqlite3_busy_timeout(again->db, 2000);
	if (store_exec(&again->base, "PRAGMA foreign_keys = ON", err, errlen) != 0) {
		store_sqlite_close(&again->base);
		return STORE_ERR;
	}
	*out = &again->base;
	return STORE_OK;
}

static void store_sqlite_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(store_sqlite_db(st));
	free(st);
}

static void store_copy_text(char *dst, size_t dstlen, sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(dst, dstlen, "%s", t ? (const char *)t : "");
}

static int store_sqlite_user_add(struct store *st, const char *name, const char *role, const char *tier,
		   const char *key_type, const char *key_base64, char *err, size_t errlen)
{
	sqlite3_stmt *find = NULL, *add = NULL, *key = NULL;
	int64_t user_id;
	int rc = STORE_ERR;

	if (errlen > 0)
		err[0] = '\0';
	if (store_exec(st, "BEGIN IMMEDIATE", err, errlen) != 0)
		return STORE_ERR;
	if (store_prepare(st, &find, "SELECT id, role, tier, state FROM users WHERE name = ?1") != 0)
		goto out;
	sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(find) == SQLITE_ROW) {
		user_id = sqlite3_column_int64(find, 0);
		/* Old events name the removed account: a new person under that name would take them over. */
		if (strcmp((const char *)sqlite3_column_text(find, 3), "removed") == 0) {
			snprintf(err, errlen, "%s was removed; the name stays with its past events, so choose another", name);
			rc = STORE_ERR_EXISTS;
			goto out;
		}
		if (strcmp((const char *)sqlite3_column_text(find, 1), role) != 0 ||
		    strcmp((const char *)sqlite3_column_text(find, 2), tier) != 0) {
			snprintf(err, errlen, "user %s already exists with another role or tier", name);
			goto out;
		}
	} else {
		if (store_prepare(st, &add,
				  "INSERT INTO users (name, role, tier, created_at)"
				  " VALUES (?1, ?2, ?3, strftime('%s', 'now'))") != 0)
			goto out;
		sqlite3_bind_text(add, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(add, 2, role, -1, SQLITE_STATIC);
		sqlite3_bind_text(add, 3, tier, -1, SQLITE_STATIC);
		if (sqlite3_step(add) != SQLITE_DONE)
			goto out;
		user_id = sqlite3_last_insert_rowid(store_sqlite_db(st));
	}
	if (store_prepare(st, &key,
			  "INSERT INTO user_keys (user_id, key_type, key_base64) VALUES (?1, ?2, ?3)") != 0)
		goto out;
	sqlite3_bind_int64(key, 1, user_id);
	sqlite3_bind_text(key, 2, key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(key, 3, key_base64, -1, SQLITE_STATIC);
	if (sqlite3_step(key) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(store_sqlite_db(st)) == SQLITE_CONSTRAINT_UNIQUE) {
			snprintf(err, errlen, "this key is already registered");
			rc = STORE_ERR_EXISTS;
		}
		goto out;
	}
	rc = STORE_OK;
out:
	if (rc == STORE_ERR && err[0] == '\0')
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(find);
	sqlite3_finalize(add);
	sqlite3_finalize(key);
	store_exec(st, rc == STORE_OK ? "COMMIT" : "ROLLBACK", err + strlen(err), 0);
	return rc;
}

/* The one user row a prepared "id, name, role, tier, state" query finds; finalizes it. */
static int store_user_row(sqlite3_stmt *stmt, struct store_user *out)
{
	int step = sqlite3_step(stmt), rc = STORE_ERR;

	if (step == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(stmt, 0);
		store_copy_text(out->name, sizeof(out->name), stmt, 1);
		store_copy_text(out->role, sizeof(out->role), stmt, 2);
		store_copy_text(out->tier, sizeof(out->tier), stmt, 3);
		store_copy_text(out->state, sizeof(out->state), stmt, 4);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_user_by_key(struct store *st, const char *key_type, const char *key_base64,
		      struct store_user *out)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt,
			  "SELECT u.id, u.name, u.role, u.tier, u.state FROM users u"
			  " JOIN user_keys k ON k.user_id = u.id"
			  " WHERE k.key_type = ?1 AND k.key_base64 = ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key_base64, -1, SQLITE_STATIC);
	return store_user_row(stmt, out);
}

static int store_sqlite_user_by_name(struct store *st, const char *name, struct store_user *out)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt, "SELECT id, name, role, tier, state FROM users WHERE name = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	return store_user_row(stmt, out);
}

static int store_sqlite_user_state(struct store *st, int64_t id, char *state, size_t statelen)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR, step;

	if (store_prepare(st, &stmt, "SELECT state FROM users WHERE id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		store_copy_text(state, statelen, stmt, 0);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_user_list(struct store *st, store_user_key_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_OK, step;

	if (store_prepare(st, &stmt,
			  "SELECT u.id, u.name, u.role, u.tier, u.state, u.created_at, u.state_at, k.key_type,"
			  " k.key_base64 FROM users u LEFT JOIN user_keys k ON k.user_id = u.id ORDER BY u.name, k.id") != 0)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_user u = { .id = sqlite3_column_int64(stmt, 0) };
		struct store_user_key k = { .user = &u };

		store_copy_text(u.name, sizeof(u.name), stmt, 1);
		store_copy_text(u.role, sizeof(u.role), stmt, 2);
		store_copy_text(u.tier, sizeof(u.tier), stmt, 3);
		store_copy_text(u.state, sizeof(u.state), stmt, 4);
		k.created_at = sqlite3_column_int64(stmt, 5);
		k.state_at = sqlite3_column_int64(stmt, 6);
		k.key_type = (const char *)sqlite3_column_text(stmt, 7);
		k.key_base64 = (const char *)sqlite3_column_text(stmt, 8);
		if (fn(&k, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_user_set_state(struct store *st, const char *name, const char *state, int64_t now,
			 struct store_user *out, char *err, size_t errlen)
{
	sqlite3_stmt *find = NULL, *set = NULL, *keys = NULL;
	/* Inside the caller's transaction (store_begin), so that its audit event commits with the change. */
	bool own = sqlite3_get_autocommit(store_sqlite_db(st)) != 0;
	int rc = STORE_ERR, step;

	if (errlen > 0)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (store_exec(st, own ? "BEGIN IMMEDIATE" : "SAVEPOINT store_user", err, errlen) != 0)
		return STORE_ERR;
	if (store_prepare(st, &find, "SELECT id, name, role, tier, state FROM users WHERE name = ?1") != 0)
		goto out;
	sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
	step = sqlite3_step(find);
	if (step == SQLITE_DONE) {
		snprintf(err, errlen, "no user named %s", name);
		rc = STORE_NOT_FOUND;
		goto out;
	}
	if (step != SQLITE_ROW)
		goto out;
	out->id = sqlite3_column_int64(find, 0);
	store_copy_text(out->name, sizeof(out->name), find, 1);
	store_copy_text(out->role, sizeof(out->role), find, 2);
	store_copy_text(out->tier, sizeof(out->tier), find, 3);
	store_copy_text(out->state, sizeof(out->state), find, 4);
	if (strcmp(out->state, "removed") == 0 || strcmp(out->state, state) == 0) {
		snprintf(err, errlen, "%s is %s already%s", name, out->state,
			 strcmp(out->state, "removed") == 0 ? " (removal is final)" : "");
		rc = STORE_ERR_EXISTS;
		goto out;
	}
	if (store_prepare(st, &set, "UPDATE users SET state = ?1, state_at = ?2 WHERE id = ?3") != 0)
		goto out;
	sqlite3_bind_text(set, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(set, 2, now);
	sqlite3_bind_int64(set, 3, out->id);
	if (sqlite3_step(set) != SQLITE_DONE)
		goto out;
	if (strcmp(state, "removed") == 0) {
		if (store_prepare(st, &keys, "DELETE FROM user_keys WHERE user_id = ?1") != 0)
			goto out;
		sqlite3_bind_int64(keys, 1, out->id);
		if (sqlite3_step(keys) != SQLITE_DONE)
			goto out;
	}
	rc = STORE_OK;
out:
	if (rc == STORE_ERR && err[0] == '\0')
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(find);
	sqlite3_finalize(set);
	sqlite3_finalize(keys);
	if (own)
		store_exec(st, rc == STORE_OK ? "COMMIT" : "ROLLBACK", err + strlen(err), 0);
	else
		store_exec(st, rc == STORE_OK ? "RELEASE store_user" : "ROLLBACK TO store_user; RELEASE store_user",
			   err + strlen(err), 0);
	return rc;
}

static int store_sqlite_begin(struct store *st)
{
	char ignored[8];

	return store_exec(st, "BEGIN IMMEDIATE", ignored, 0);
}

static int store_sqlite_begin_read(struct store *st)
{
	char ignored[8];

	return store_exec(st, "BEGIN DEFERRED", ignored, 0);
}

static int store_sqlite_commit(struct store *st)
{
	char ignored[8];

	return store_exec(st, "COMMIT", ignored, 0);
}

static void store_sqlite_rollback(struct store *st)
{
	char ignored[8];

	store_exec(st, "ROLLBACK", ignored, 0);
}

static void store_bind_text_or_empty(sqlite3_stmt *stmt, int col, const char *s)
{
	sqlite3_bind_text(stmt, col, s ? s : "", -1, SQLITE_STATIC);
}

static int store_sqlite_ticket_new(struct store *st, const struct store_ticket_spec *spec, int64_t now, int64_t *id)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO tickets (summary, tier, priority, customer_name, customer_contact,"
			  " owner_id, created_at, updated_at, tier_since)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7)") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, spec->summary, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, spec->tier, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, spec->priority, -1, SQLITE_STATIC);
	store_bind_text_or_empty(stmt, 4, spec->customer_name);
	store_bind_text_or_empty(stmt, 5, spec->customer_contact);
	if (spec->owner_id > 0)
		sqlite3_bind_int64(stmt, 6, spec->owner_id);
	else
		sqlite3_bind_null(stmt, 6);
	sqlite3_bind_int64(stmt, 7, now);
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_sqlite_db(st));
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

#define STORE_TICKET_COLUMNS \
	"t.id, t.summary, t.state, t.tier, t.priority, t.customer_name, t.customer_contact," \
	" COALESCE(t.owner_id, 0), COALESCE(u.name, ''), t.created_at, t.updated_at, t.tier_since," \
	" COALESCE(t.first_response_at, 0), COALESCE(t.sla_paused_since, 0), t.sla_paused, t.tier_paused, t.sla_flags" \
	" FROM tickets t LEFT JOIN users u ON u.id = t.owner_id"

static void store_ticket_row(sqlite3_stmt *stmt, struct store_ticket *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(stmt, 0);
	store_copy_text(out->summary, sizeof(out->summary), stmt, 1);
	store_copy_text(out->state, sizeof(out->state), stmt, 2);
	store_copy_text(out->tier, sizeof(out->tier), stmt, 3);
	store_copy_text(out->priority, sizeof(out->priority), stmt, 4);
	store_copy_text(out->customer_name, sizeof(out->customer_name), stmt, 5);
	store_copy_text(out->customer_contact, sizeof(out->customer_contact), stmt, 6);
	out->owner_id = sqlite3_column_int64(stmt, 7);
	store_copy_text(out->owner, sizeof(out->owner), stmt, 8);
	out->created_at = sqlite3_column_int64(stmt, 9);
	out->updated_at = sqlite3_column_int64(stmt, 10);
	out->tier_since = sqlite3_column_int64(stmt, 11);
	out->first_response_at = sqlite3_column_int64(stmt, 12);
	out->sla_paused_since = sqlite3_column_int64(stmt, 13);
	out->sla_paused = sqlite3_column_int64(stmt, 14);
	out->tier_paused = sqlite3_column_int64(stmt, 15);
	out->sla_flags = sqlite3_column_int(stmt, 16);
}

static int store_sqlite_ticket_get(struct store *st, int64_t id, struct store_ticket *out)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR, step;

	if (store_prepare(st, &stmt, "SELECT " STORE_TICKET_COLUMNS " WHERE t.id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		store_ticket_row(stmt, out);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_ticket_update(struct store *st, int64_t id, const char *state, const char *tier,
			int64_t owner_id, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "UPDATE tickets SET"
			  " state = COALESCE(?2, state),"
			  " tier_since = CASE WHEN ?3 IS NOT NULL AND ?3 <> tier THEN ?5 ELSE tier_since END,"
			  " tier_paused = CASE WHEN ?3 IS NOT NULL AND ?3 <> tier"
			  "   THEN sla_paused + COALESCE(?5 - sla_paused_since, 0) ELSE tier_paused END,"
			  " tier = COALESCE(?3, tier),"
			  " owner_id = CASE WHEN ?4 < 0 THEN owner_id WHEN ?4 = 0 THEN NULL ELSE ?4 END,"
			  " updated_at = ?5"
			  " WHERE id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	if (state != NULL)
		sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
	if (tier != NULL)
		sqlite3_bind_text(stmt, 3, tier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, owner_id);
	sqlite3_bind_int64(stmt, 5, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = sqlite3_changes(store_sqlite_db(st)) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

/* One UPDATE of ticket id with up to two integers; *changed (may be NULL) gets the rows it changed. */
static int store_ticket_set(struct store *st, const char *sql, int64_t id, int64_t a, int64_t *changed)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, sql) != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, a);
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		rc = STORE_OK;
		if (changed != NULL)
			*changed = sqlite3_changes(store_sqlite_db(st));
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_ticket_sla_pause(struct store *st, int64_t id, int64_t now)
{
	int64_t n = 0;
	int rc = store_ticket_set(st, "UPDATE tickets SET sla_paused_since = ?2 WHERE id = ?1 AND sla_paused_since IS NULL",
				  id, now, &n);

	return rc != STORE_OK ? rc : n == 1 ? STORE_OK : STORE_ERR_EXISTS;
}

static int store_sqlite_ticket_sla_resume(struct store *st, int64_t id, int64_t now, int64_t *paused_for)
{
	sqlite3_stmt *stmt = NULL;
	int64_t since = 0, n = 0;
	int rc = STORE_ERR, step;

	*paused_for = 0;
	if (store_prepare(st, &stmt, "SELECT sla_paused_since FROM tickets WHERE id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
		since = sqlite3_column_int64(stmt, 0);
		rc = STORE_OK;
	} else if (step == SQLITE_ROW || step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	if (rc != STORE_OK)
		return rc;
	/* A clock set back (a test's) must not make a pause negative. */
	*paused_for = now > since ? now - since : 0;
	rc = store_ticket_set(st, "UPDATE tickets SET sla_paused = sla_paused + ?2, sla_paused_since = NULL WHERE id = ?1",
			      id, *paused_for, &n);
	return rc != STORE_OK ? rc : n == 1 ? STORE_OK : STORE_NOT_FOUND;
}

static int store_sqlite_ticket_first_response(struct store *st, int64_t id, int64_t now, int *set)
{
	int64_t n = 0;
	int rc = store_ticket_set(st, "UPDATE tickets SET first_response_at = ?2 WHERE id = ?1 AND first_response_at IS NULL",
				  id, now, &n);

	if (set != NULL)
		*set = n == 1;
	return rc;
}

static int store_sqlite_ticket_sla_flags(struct store *st, int64_t id, int add)
{
	return store_ticket_set(st, "UPDATE tickets SET sla_flags = sla_flags | ?2 WHERE id = ?1", id, add, NULL);
}

static int store_sqlite_ticket_set_priority(struct store *st, int64_t id, const char *priority, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "UPDATE tickets SET priority = ?2, updated_at = ?3 WHERE id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, priority, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = sqlite3_changes(store_sqlite_db(st)) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_ticket_rows(sqlite3_stmt *stmt, store_ticket_fn fn, void *ctx)
{
	struct store_ticket *t = malloc(sizeof(*t));
	int step, rc = STORE_OK;

	if (t == NULL) {
		sqlite3_finalize(stmt);
		return STORE_ERR;
	}
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		store_ticket_row(stmt, t);
		if (fn(t, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	free(t);
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_sla_running(struct store *st, store_ticket_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt,
			  "SELECT " STORE_TICKET_COLUMNS " WHERE t.state NOT IN ('resolved', 'closed') AND t.id > 0"
			  " AND t.sla_paused_since IS NULL AND (t.sla_flags & 8) = 0 ORDER BY t.id") != 0)
		return STORE_ERR;
	return store_ticket_rows(stmt, fn, ctx);
}

static int store_sqlite_queue(struct store *st, const char *tier, store_ticket_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt,
			  "SELECT " STORE_TICKET_COLUMNS " WHERE t.tier = ?1 AND t.owner_id IS NULL"
			  " AND t.state NOT IN ('resolved', 'closed')"
			  " ORDER BY t.priority, t.tier_since, t.id") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, tier, -1, SQLITE_STATIC);
	return store_ticket_rows(stmt, fn, ctx);
}

static int store_sqlite_tickets_owned(struct store *st, int64_t owner_id, store_ticket_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt,
			  "SELECT " STORE_TICKET_COLUMNS " WHERE t.owner_id = ?1"
			  " AND t.state NOT IN ('resolved', 'closed')"
			  " ORDER BY t.priority, t.updated_at, t.id") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, owner_id);
	return store_ticket_rows(stmt, fn, ctx);
}

static int store_sqlite_tickets_due(struct store *st, const char *tier, int64_t now, int64_t limit, store_ticket_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;

	/* tier_since <= ?2 first, so the index on (tier, state, tier_since) narrows before the pauses are added. */
	if (store_prepare(st, &stmt,
			  "SELECT " STORE_TICKET_COLUMNS " WHERE t.tier = ?1 AND t.tier_since <= ?2"
			  " AND t.state NOT IN ('resolved', 'closed') AND t.sla_paused_since IS NULL"
			  " AND t.tier_since + t.sla_paused - t.tier_paused <= ?2 ORDER BY t.id") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, tier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, now - limit);
	return store_ticket_rows(stmt, fn, ctx);
}

static int store_sqlite_tier_oldest(struct store *st, const char *tier, int64_t *since)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "SELECT MIN(tier_since + sla_paused - tier_paused) FROM tickets WHERE tier = ?1"
			  " AND state NOT IN ('resolved', 'closed') AND sla_paused_since IS NULL") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, tier, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		rc = sqlite3_column_type(stmt, 0) == SQLITE_NULL ? STORE_NOT_FOUND : STORE_OK;
		if (rc == STORE_OK)
			*since = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* Cancels ticket's live codes, or every ticket's when ticket < 0 (inside the caller's transaction); *count gets how many. */
static int store_code_cancel_live(struct store *st, int64_t ticket, int64_t now, int *count)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "UPDATE codes SET cancelled_at = ?2 WHERE (?1 < 0 OR ticket_id = ?1) AND used_at IS NULL"
			  " AND cancelled_at IS NULL AND expires_at > ?2 AND failures < ?3") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int(stmt, 3, CODE_MAX_FAILURES);
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		if (count != NULL)
			*count = sqlite3_changes(store_sqlite_db(st));
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_code_add(struct store *st, int64_t ticket, unsigned locator,
		   const uint8_t hash[CODE_HASH_LEN], int64_t now, int64_t expires_at, int *replaced)
{
	sqlite3_stmt *live = NULL, *add = NULL;
	char ignored[8];
	int rc = STORE_ERR;

	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_prepare(st, &live,
			  "SELECT 1 FROM codes WHERE locator = ?1 AND used_at IS NULL AND cancelled_at IS NULL"
			  " AND expires_at > ?2 AND failures < ?3") != 0)
		goto out;
	sqlite3_bind_int(live, 1, (int)locator);
	sqlite3_bind_int64(live, 2, now);
	sqlite3_bind_int(live, 3, CODE_MAX_FAILURES);
	if (sqlite3_step(live) == SQLITE_ROW) {
		rc = STORE_ERR_EXISTS;
		goto out;
	}
	/* One live code per ticket: the one the technician read out last. */
	if (store_code_cancel_live(st, ticket, now, replaced) != STORE_OK)
		goto out;
	if (store_prepare(st, &add,
			  "INSERT INTO codes (ticket_id, locator, hash, created_at, expires_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)") != 0)
		goto out;
	sqlite3_bind_int64(add, 1, ticket);
	sqlite3_bind_int(add, 2, (int)locator);
	sqlite3_bind_blob(add, 3, hash, CODE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(add, 4, now);
	sqlite3_bind_int64(add, 5, expires_at);
	if (sqlite3_step(add) == SQLITE_DONE)
		rc = STORE_OK;
out:
	sqlite3_finalize(live);
	sqlite3_finalize(add);
	store_exec(st, rc == STORE_OK ? "COMMIT" : "ROLLBACK", ignored, 0);
	return rc;
}

static int store_sqlite_code_cancel(struct store *st, int64_t ticket, int64_t now, int *count)
{
	if (count != NULL)
		*count = 0;
	return store_code_cancel_live(st, ticket, now, count);
}

static int store_sqlite_code_cancel_all(struct store *st, int64_t now, int *count)
{
	if (count != NULL)
		*count = 0;
	return store_code_cancel_live(st, -1, now, count);
}

static int store_sqlite_code_redeem(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN],
		      int64_t now, int *verdict, int64_t *ticket)
{
	sqlite3_stmt *find = NULL, *update = NULL;
	char ignored[8];
	int rc = STORE_ERR, step, match;
	int64_t code_id;

	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_prepare(st, &find,
			  "SELECT c.id, c.ticket_id, c.hash, c.expires_at, c.failures, c.used_at IS NOT NULL,"
			  " c.cancelled_at IS NOT NULL, t.state IN ('resolved', 'closed')"
			  " FROM codes c JOIN tickets t ON t.id = c.ticket_id"
			  " WHERE c.locator = ?1 ORDER BY c.id DESC LIMIT 1") != 0)
		goto out;
	sqlite3_bind_int(find, 1, (int)locator);
	step = sqlite3_step(find);
	if (step == SQLITE_DONE) {
		rc = STORE_CODE_UNKNOWN;
		goto out;
	}
	if (step != SQLITE_ROW || sqlite3_column_bytes(find, 2) != CODE_HASH_LEN)
		goto out;
	code_id = sqlite3_column_int64(find, 0);
	match = CRYPTO_memcmp(sqlite3_column_blob(find, 2), hash, CODE_HASH_LEN) == 0;
	if (sqlite3_column_int(find, 5)) {
		rc = match ? STORE_CODE_USED : STORE_CODE_UNKNOWN;
		goto out;
	}
	/* The right code of a cancelled or closed case: its ticket's record says it was tried. */
	if (sqlite3_column_int(find, 6) || sqlite3_column_int(find, 7)) {
		if (!match) {
			rc = STORE_CODE_UNKNOWN;
			goto out;
		}
		*ticket = sqlite3_column_int64(find, 1);
		rc = sqlite3_column_int(find, 6) ? STORE_CODE_CANCELLED : STORE_CODE_CLOSED;
		goto out;
	}
	if (now >= sqlite3_column_int64(find, 3)) {
		rc = match ? STORE_CODE_EXPIRED : STORE_CODE_UNKNOWN;
		goto out;
	}
	if (sqlite3_column_int(find, 4) >= CODE_MAX_FAILURES) {
		rc = STORE_CODE_LOCKED;
		goto out;
	}
	*ticket = sqlite3_column_int64(find, 1);
	if (store_prepare(st, &update,
			  match ? "UPDATE codes SET used_at = ?2 WHERE id = ?1"
				: "UPDATE codes SET failures = failures + 1 WHERE id = ?1") != 0)
		goto out;
	sqlite3_bind_int64(update, 1, code_id);
	if (match)
		sqlite3_bind_int64(update, 2, now);
	if (sqlite3_step(update) != SQLITE_DONE)
		goto out;
	rc = match ? STORE_CODE_ACCEPTED : STORE_CODE_WRONG;
out:
	sqlite3_finalize(find);
	sqlite3_finalize(update);
	/* rc is the verdict (>= 0) from here on, or STORE_ERR. */
	store_exec(st, rc >= 0 ? "COMMIT" : "ROLLBACK", ignored, 0);
	if (rc < 0)
		return STORE_ERR;
	*verdict = rc;
	return STORE_OK;
}

static int store_sqlite_intake_add(struct store *st, const uint8_t hash[CODE_HASH_LEN], const char *org, int64_t now,
		     int64_t *id)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "INSERT INTO intake_tokens (hash, org, created_at) VALUES (?1, ?2, ?3)") != 0)
		return STORE_ERR;
	sqlite3_bind_blob(stmt, 1, hash, CODE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, org != NULL ? org : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now);
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_sqlite_db(st));
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_intake_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t *id)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_ERR;

	if (store_prepare(st, &stmt, "SELECT id FROM intake_tokens WHERE hash = ?1 AND revoked_at IS NULL") != 0)
		return STORE_ERR;
	sqlite3_bind_blob(stmt, 1, hash, CODE_HASH_LEN, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_intake_uses_since(struct store *st, int64_t id, int64_t since, int64_t *count)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "SELECT count(*) FROM intake_uses WHERE token_id = ?1 AND at >= ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, since);
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*count = sqlite3_column_int64(stmt, 0);
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_intake_use(struct store *st, int64_t id, int64_t ticket, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "INSERT INTO intake_uses (token_id, ticket_id, at) VALUES (?1, ?2, ?3)") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, ticket);
	sqlite3_bind_int64(stmt, 3, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_intake_revoke(struct store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "UPDATE intake_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = sqlite3_changes(store_sqlite_db(st)) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_intake_list(struct store *st, store_intake_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step;

	if (store_prepare(st, &stmt,
			  "SELECT t.id, t.org, t.created_at, coalesce(t.revoked_at, 0),"
			  " (SELECT count(*) FROM intake_uses u WHERE u.token_id = t.id)"
			  " FROM intake_tokens t ORDER BY t.id") != 0)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_intake it = {
			.id = sqlite3_column_int64(stmt, 0),
			.org = (const char *)sqlite3_column_text(stmt, 1),
			.created_at = sqlite3_column_int64(stmt, 2),
			.revoked_at = sqlite3_column_int64(stmt, 3),
			.uses = sqlite3_column_int64(stmt, 4),
		};

		if (it.org == NULL)
			it.org = "";
		if (fn(&it, ctx) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	return step == SQLITE_ROW || step == SQLITE_DONE ? STORE_OK : STORE_ERR;
}

/* A BLOB column of exactly len bytes, or NULL. */
static const uint8_t *store_col_blob(sqlite3_stmt *stmt, int col, int len)
{
	const void *p = sqlite3_column_blob(stmt, col);

	return p != NULL && sqlite3_column_bytes(stmt, col) == len ? p : NULL;
}

/*
 * Steps stmt (SELECT id, some hash ... LIMIT 1) and finalizes it: the row's
 * id and hash, or nothing for no row; a hash of the wrong size stays zeros.
 */
static int store_link_row(sqlite3_stmt *stmt, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	int step = sqlite3_step(stmt), rc = STORE_ERR;

	if (step == SQLITE_ROW) {
		const uint8_t *h = store_col_blob(stmt, 1, STORE_HASH_LEN);

		*seq = sqlite3_column_int64(stmt, 0);
		if (h != NULL)
			memcpy(hash, h, STORE_HASH_LEN);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* The last link's seq and hash (zeros for an empty chain, or a head whose hash is damaged). */
static int store_chain_head_read(struct store *st, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	sqlite3_stmt *stmt = NULL;

	*seq = 0;
	memset(hash, 0, STORE_HASH_LEN);
	if (store_prepare(st, &stmt, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1") != 0)
		return STORE_ERR;
	/* A damaged head gets a successor all the same (linked to zeros): recording goes on, verify names the break. */
	return store_link_row(stmt, seq, hash);
}

static int store_sqlite_chain_head(struct store *st, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	return store_chain_head_read(st, seq, hash);
}

/*
 * The event's outbox rows, in the event's transaction: one per active
 * receiver that wants its kind (migration 11). A crash keeps both or
 * neither, so no event is ever recorded without its webhooks.
 */
static int store_outbox_enqueue(struct store *st, int64_t seq, int64_t ticket, int64_t at, const char *kind)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO webhook_outbox (receiver, seq, ticket_id, queued_at)"
			  " SELECT name, ?1, ?2, ?3 FROM webhook_receivers WHERE active = 1"
			  " AND (kinds = 'all' OR instr(kinds, ',' || ?4 || ',') > 0)") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, seq);
	sqlite3_bind_int64(stmt, 2, ticket);
	sqlite3_bind_int64(stmt, 3, at);
	sqlite3_bind_text(stmt, 4, kind, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_chain_append(struct store *st, int64_t ticket, store_link_make_fn make, void *ctx, int64_t *seq_out)
{
	struct store_link_new l = { 0 };
	uint8_t prev[STORE_HASH_LEN], ticket_prev[STORE_HASH_LEN];
	int64_t ticket_seq;
	sqlite3_stmt *stmt = NULL;
	/* Inside a caller's transaction a savepoint nests; alone, the write lock is taken at once. */
	bool own = sqlite3_get_autocommit(store_sqlite_db(st)) != 0;
	char ignored[8];
	int64_t seq;
	int rc = STORE_ERR;

	if (store_exec(st, own ? "BEGIN IMMEDIATE" : "SAVEPOINT store_event", ignored, 0) != 0)
		return STORE_ERR;
	if (store_chain_head_read(st, &seq, prev) != STORE_OK ||
	    store_sqlite_ticket_prev(st, ticket, INT64_MAX, &ticket_seq, ticket_prev) != STORE_OK)
		goto out;
	seq++;
	if (make(seq, prev, ticket_prev, &l, ctx) != 0 || l.ticket != ticket || l.kind == NULL || l.actor == NULL ||
	    l.role == NULL || l.clearance == NULL || l.detail == NULL)
		goto out;
	if (store_prepare(st, &stmt,
			  "INSERT INTO events (id, ticket_id, at, kind, actor, role, clearance, detail,"
			  " prev_hash, body_hash, hash, ticket_hash)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)") != 0)
		goto out;
	sqlite3_bind_int64(stmt, 1, seq);
	sqlite3_bind_int64(stmt, 2, l.ticket);
	sqlite3_bind_int64(stmt, 3, l.at);
	sqlite3_bind_text(stmt, 4, l.kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, l.actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, l.role, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, l.clearance, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, l.detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 9, prev, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 10, l.body_hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 11, l.hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 12, l.ticket_hash, STORE_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = store_outbox_enqueue(st, seq, l.ticket, l.at, l.kind);
out:
	sqlite3_finalize(stmt);
	if (own) {
		if (rc == STORE_OK && store_exec(st, "COMMIT", ignored, 0) != STORE_OK)
			rc = STORE_ERR;
		if (rc != STORE_OK)
			store_exec(st, "ROLLBACK", ignored, 0);
	} else if (rc == STORE_OK)
		store_exec(st, "RELEASE store_event", ignored, 0);
	else
		store_exec(st, "ROLLBACK TO store_event; RELEASE store_event", ignored, 0);
	if (rc == STORE_OK && seq_out != NULL)
		*seq_out = seq;
	return rc;
}

static const char *store_col_text(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return t ? (const char *)t : "";
}

/* An event from a row whose id is column 0 and whose at..detail start at column first. */
static struct store_event store_event_row(sqlite3_stmt *stmt, int first)
{
	struct store_event e = {
		.id = sqlite3_column_int64(stmt, 0),
		.at = sqlite3_column_int64(stmt, first),
		.kind = store_col_text(stmt, first + 1),
		.actor = store_col_text(stmt, first + 2),
		.role = store_col_text(stmt, first + 3),
		.clearance = store_col_text(stmt, first + 4),
		.detail = store_col_text(stmt, first + 5),
	};

	return e;
}

static int store_sqlite_events(struct store *st, int64_t ticket, const char *kind, store_event_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	if (store_prepare(st, &stmt,
			  "SELECT id, at, kind, COALESCE(actor, ''), role, clearance, COALESCE(detail, '')"
			  " FROM events WHERE ticket_id = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY id") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	if (kind != NULL)
		sqlite3_bind_text(stmt, 2, kind, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_event e = store_event_row(stmt, 1);

		if (fn(&e, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_attachment_add(struct store *st, int64_t ticket, int64_t now, const char *kind,
			 const char *name, const char *author, const char *clearance,
			 const void *content, size_t len, int64_t *id, char sha256_hex[65])
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (len > (size_t)INT32_MAX)
		return STORE_ERR;
	SHA256(content, len, digest);
	hex_encode(digest, sizeof(digest), sha256_hex);
	if (store_prepare(st, &stmt,
			  "INSERT INTO attachments (ticket_id, at, kind, name, author, clearance, sha256, size, content)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_text(stmt, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, name, -1, SQLITE_STATIC);
	store_bind_text_or_empty(stmt, 5, author);
	store_bind_text_or_empty(stmt, 6, clearance);
	sqlite3_bind_text(stmt, 7, sha256_hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 8, (int64_t)len);
	sqlite3_bind_blob(stmt, 9, len ? content : "", (int)len, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_sqlite_db(st));
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

#define STORE_ATTACHMENT_COLUMNS "id, ticket_id, at, kind, name, author, clearance, sha256, size"

static void store_attachment_row(sqlite3_stmt *stmt, struct store_attachment *a)
{
	a->id = sqlite3_column_int64(stmt, 0);
	a->ticket = sqlite3_column_int64(stmt, 1);
	a->at = sqlite3_column_int64(stmt, 2);
	a->kind = store_col_text(stmt, 3);
	a->name = store_col_text(stmt, 4);
	a->author = store_col_text(stmt, 5);
	a->clearance = store_col_text(stmt, 6);
	a->sha256 = store_col_text(stmt, 7);
	a->size = sqlite3_column_int64(stmt, 8);
}

static int store_sqlite_attachments(struct store *st, int64_t ticket, store_attachment_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	if (store_prepare(st, &stmt,
			  "SELECT " STORE_ATTACHMENT_COLUMNS " FROM attachments WHERE ticket_id = ?1 ORDER BY id") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_attachment a;

		store_attachment_row(stmt, &a);
		if (fn(&a, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_attachment_get(struct store *st, int64_t ticket, int64_t id, store_attachment_fn meta,
			 void *ctx, uint8_t **content, size_t *len)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_ERR;

	*content = NULL;
	*len = 0;
	if (store_prepare(st, &stmt,
			  "SELECT " STORE_ATTACHMENT_COLUMNS ", content FROM attachments"
			  " WHERE ticket_id = ?1 AND id = ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_int64(stmt, 2, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	} else if (step == SQLITE_ROW) {
		struct store_attachment a;
		int n = sqlite3_column_bytes(stmt, 9);
		const void *blob = sqlite3_column_blob(stmt, 9);

		store_attachment_row(stmt, &a);
		*content = malloc(n > 0 ? (size_t)n : 1);
		if (*content != NULL) {
			if (n > 0)
				memcpy(*content, blob, (size_t)n);
			*len = (size_t)n;
			rc = meta != NULL && meta(&a, ctx) != 0 ? STORE_ERR : STORE_OK;
			if (rc != STORE_OK) {
				free(*content);
				*content = NULL;
				*len = 0;
			}
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_attachment_read(struct store *st, int64_t ticket, int64_t id, store_chunk_fn fn, void *ctx)
{
	sqlite3_blob *blob = NULL;
	sqlite3_stmt *stmt = NULL;
	uint8_t chunk[64 * 1024];
	int step, size, rc = STORE_ERR;

	if (store_prepare(st, &stmt, "SELECT 1 FROM attachments WHERE ticket_id = ?1 AND id = ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_int64(stmt, 2, id);
	step = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (step == SQLITE_DONE)
		return STORE_NOT_FOUND;
	if (step != SQLITE_ROW)
		return STORE_ERR;
	/* An incremental blob: a log bundle is read a chunk at a time, never whole. */
	if (sqlite3_blob_open(store_sqlite_db(st), "main", "attachments", "content", id, 0, &blob) != SQLITE_OK)
		goto out;
	size = sqlite3_blob_bytes(blob);
	for (int off = 0; off < size;) {
		int n = size - off < (int)sizeof(chunk) ? size - off : (int)sizeof(chunk);

		if (sqlite3_blob_read(blob, chunk, n, off) != SQLITE_OK)
			goto out;
		if (fn(chunk, (size_t)n, ctx) != 0)
			goto out;
		off += n;
	}
	rc = STORE_OK;
out:
	sqlite3_blob_close(blob);
	return rc;
}

static int store_sqlite_tickets_all(struct store *st, store_ticket_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt, "SELECT " STORE_TICKET_COLUMNS " ORDER BY t.id") != 0)
		return STORE_ERR;
	return store_ticket_rows(stmt, fn, ctx);
}

/*
 * Migration 3: the events already there become the chain's first links,
 * in id order, then events and checkpoints become append-only.
 */
static int store_chain_migrate(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *rows = NULL, *set = NULL;
	uint8_t prev[STORE_HASH_LEN] = { 0 }, body_hash[STORE_HASH_LEN], hash[STORE_HASH_LEN];
	int step, rc = STORE_ERR;

	if (errlen > 0)
		err[0] = '\0';
	if (store_prepare(st, &rows,
			  "SELECT id, ticket_id, at, kind, COALESCE(actor, ''), role, clearance, COALESCE(detail, '')"
			  " FROM events ORDER BY id") != 0 ||
	    store_prepare(st, &set, "UPDATE events SET prev_hash = ?2, body_hash = ?3, hash = ?4 WHERE id = ?1") != 0)
		goto out;
	while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(rows, 0);
		struct chain_event e = {
			.ticket = (uint64_t)sqlite3_column_int64(rows, 1),
			.at = sqlite3_column_int64(rows, 2),
			.kind = store_col_text(rows, 3),
			.actor = store_col_text(rows, 4),
			.role = store_col_text(rows, 5),
			.clearance = store_col_text(rows, 6),
			.detail = store_col_text(rows, 7),
		};

		if (chain_link_compute(&e, (uint64_t)seq, prev, body_hash, hash) != 0) {
			snprintf(err, errlen, "event %lld is too large for the audit chain", (long long)seq);
			goto out;
		}
		sqlite3_reset(set);
		sqlite3_bind_int64(set, 1, seq);
		sqlite3_bind_blob(set, 2, prev, STORE_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(set, 3, body_hash, STORE_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(set, 4, hash, STORE_HASH_LEN, SQLITE_STATIC);
		if (sqlite3_step(set) != SQLITE_DONE)
			goto out;
		memcpy(prev, hash, STORE_HASH_LEN);
	}
	if (step != SQLITE_DONE)
		goto out;
	sqlite3_finalize(rows);
	sqlite3_finalize(set);
	rows = set = NULL;
	if (store_exec(st,
		       "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events"
		       " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
		       "CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events"
		       " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
		       "CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints"
		       " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
		       "CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints"
		       " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;",
		       err, errlen) != 0)
		return STORE_ERR;
	return STORE_OK;
out:
	if (err[0] == '\0')
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(rows);
	sqlite3_finalize(set);
	return rc;
}

/* Links in [from, to] (to 0: to the end), of one ticket or (ticket -1) of all. */
static int store_links_query(struct store *st, int64_t ticket, int64_t from, int64_t to, store_link_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	if (store_prepare(st, &stmt,
			  "SELECT e.id, e.ticket_id, e.at, e.kind, COALESCE(e.actor, ''), e.role, e.clearance,"
			  " COALESCE(e.detail, ''), e.prev_hash, e.body_hash, e.hash,"
			  " c.seq IS NOT NULL, c.at, c.hash, c.signature, e.ticket_hash,"
			  " c.tickets_root IS NOT NULL, c.tickets_n, c.tickets_root, c.tickets_sig, c.signer"
			  " FROM events e LEFT JOIN checkpoints c ON c.seq = e.id"
			  " WHERE e.id >= ?1 AND (?2 = 0 OR e.id <= ?2) AND (?3 < 0 OR e.ticket_id = ?3) ORDER BY e.id") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	sqlite3_bind_int64(stmt, 3, ticket);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_link l = {
			.seq = sqlite3_column_int64(stmt, 0),
			.ticket = sqlite3_column_int64(stmt, 1),
			.event = store_event_row(stmt, 2),
			.prev_hash = store_col_blob(stmt, 8, STORE_HASH_LEN),
			.body_hash = store_col_blob(stmt, 9, STORE_HASH_LEN),
			.hash = store_col_blob(stmt, 10, STORE_HASH_LEN),
			.has_checkpoint = sqlite3_column_int(stmt, 11),
			.cp_at = sqlite3_column_int64(stmt, 12),
			.cp_hash = store_col_blob(stmt, 13, STORE_HASH_LEN),
			.cp_sig = store_col_blob(stmt, 14, STORE_SIG_LEN),
			.ticket_hash = store_col_blob(stmt, 15, STORE_HASH_LEN),
			.cp_has_tickets = sqlite3_column_int(stmt, 16),
			.cp_tickets_n = sqlite3_column_int64(stmt, 17),
			.cp_tickets_root = store_col_blob(stmt, 18, STORE_HASH_LEN),
			.cp_tickets_sig = store_col_blob(stmt, 19, STORE_SIG_LEN),
			.cp_signer = store_col_blob(stmt, 20, STORE_PUB_LEN),
		};

		if (fn(&l, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Migration 8: the events already there are linked into their tickets'
 * chains, in id order, from the body hashes the relay-wide chain holds (a
 * row whose body hash is damaged gets none, and relay verify names it).
 * The update trigger steps aside for it and comes back.
 */
static int store_ticket_migrate(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *rows = NULL, *set = NULL;
	uint8_t prev[STORE_HASH_LEN], th[STORE_HASH_LEN];
	int64_t prev_seq;
	int step, rc = STORE_ERR;

	if (errlen > 0)
		err[0] = '\0';
	if (store_exec(st, "DROP TRIGGER IF EXISTS events_append_only_update", err, errlen) != 0)
		return STORE_ERR;
	if (store_prepare(st, &rows, "SELECT id, ticket_id, body_hash FROM events ORDER BY id") != 0 ||
	    store_prepare(st, &set, "UPDATE events SET ticket_hash = ?2 WHERE id = ?1") != 0)
		goto out;
	while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(rows, 0), ticket = sqlite3_column_int64(rows, 1);
		const uint8_t *body_hash = store_col_blob(rows, 2, STORE_HASH_LEN);

		if (body_hash == NULL)
			continue;
		if (store_sqlite_ticket_prev(st, ticket, seq, &prev_seq, prev) != STORE_OK)
			goto out;
		chain_ticket_link_hash(prev, (uint64_t)seq, (uint64_t)ticket, body_hash, th);
		sqlite3_reset(set);
		sqlite3_bind_int64(set, 1, seq);
		sqlite3_bind_blob(set, 2, th, STORE_HASH_LEN, SQLITE_STATIC);
		if (sqlite3_step(set) != SQLITE_DONE)
			goto out;
	}
	if (step != SQLITE_DONE)
		goto out;
	sqlite3_finalize(rows);
	sqlite3_finalize(set);
	rows = set = NULL;
	return store_exec(st,
			  "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events"
			  " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",
			  err, errlen);
out:
	if (err[0] == '\0')
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(store_sqlite_db(st)));
	sqlite3_finalize(rows);
	sqlite3_finalize(set);
	return rc;
}

static int store_sqlite_chain_links(struct store *st, int64_t from, int64_t to, store_link_fn fn, void *ctx)
{
	return store_links_query(st, -1, from, to, fn, ctx);
}

static int store_sqlite_ticket_links(struct store *st, int64_t ticket, int64_t to, store_link_fn fn, void *ctx)
{
	if (ticket < 0)
		return STORE_ERR;
	return store_links_query(st, ticket, 1, to, fn, ctx);
}

static int store_sqlite_ticket_prev(struct store *st, int64_t ticket, int64_t before, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	sqlite3_stmt *stmt = NULL;

	*seq = 0;
	memset(hash, 0, STORE_HASH_LEN);
	/* events_by_ticket (ticket_id, id) answers this from its last entry below before. */
	if (store_prepare(st, &stmt,
			  "SELECT id, ticket_hash FROM events WHERE ticket_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT 1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_int64(stmt, 2, before);
	return store_link_row(stmt, seq, hash);
}

static int store_sqlite_ticket_heads(struct store *st, int64_t upto, store_head_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	/* One index lookup per ticket, not a scan of the events: a checkpoint costs the number of tickets. */
	if (store_prepare(st, &stmt,
			  "SELECT t.id, e.id, e.ticket_hash FROM tickets t JOIN events e ON e.id ="
			  " (SELECT x.id FROM events x WHERE x.ticket_id = t.id AND x.id <= ?1 ORDER BY x.id DESC LIMIT 1)"
			  " ORDER BY t.id") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, upto);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn(sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
		       store_col_blob(stmt, 2, STORE_HASH_LEN), ctx) != 0)
			break;
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_chain_counts(struct store *st, int64_t *links, int64_t *checkpoints)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM checkpoints)") != 0)
		return STORE_ERR;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*links = sqlite3_column_int64(stmt, 0);
		*checkpoints = sqlite3_column_int64(stmt, 1);
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_checkpoint_add(struct store *st, const struct store_checkpoint *cp)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO checkpoints (seq, hash, at, signature, tickets_n, tickets_root, tickets_sig, signer)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, cp->seq);
	sqlite3_bind_blob(stmt, 2, cp->hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, cp->at);
	sqlite3_bind_blob(stmt, 4, cp->sig, STORE_SIG_LEN, SQLITE_STATIC);
	if (cp->has_tickets) {
		sqlite3_bind_int64(stmt, 5, cp->tickets_n);
		sqlite3_bind_blob(stmt, 6, cp->tickets_root, STORE_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(stmt, 7, cp->tickets_sig, STORE_SIG_LEN, SQLITE_STATIC);
	}
	if (cp->has_signer)
		sqlite3_bind_blob(stmt, 8, cp->signer, STORE_PUB_LEN, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	else if (sqlite3_extended_errcode(store_sqlite_db(st)) == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = STORE_ERR_EXISTS;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_checkpoint_last(struct store *st, struct store_checkpoint *out)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "SELECT seq, hash, at, signature, tickets_n, tickets_root, tickets_sig, signer FROM checkpoints"
			  " ORDER BY seq DESC LIMIT 1") != 0)
		return STORE_ERR;
	step = sqlite3_step(stmt);
	memset(out, 0, sizeof(*out));
	if (step == SQLITE_ROW) {
		const uint8_t *h = store_col_blob(stmt, 1, STORE_HASH_LEN), *sig = store_col_blob(stmt, 3, STORE_SIG_LEN);
		const uint8_t *root = store_col_blob(stmt, 5, STORE_HASH_LEN), *tsig = store_col_blob(stmt, 6, STORE_SIG_LEN);
		const uint8_t *signer = store_col_blob(stmt, 7, STORE_PUB_LEN);

		if (signer != NULL) {
			out->has_signer = 1;
			memcpy(out->signer, signer, STORE_PUB_LEN);
		}
		if (root != NULL && tsig != NULL) {
			out->has_tickets = 1;
			out->tickets_n = sqlite3_column_int64(stmt, 4);
			memcpy(out->tickets_root, root, STORE_HASH_LEN);
			memcpy(out->tickets_sig, tsig, STORE_SIG_LEN);
		}

		out->seq = sqlite3_column_int64(stmt, 0);
		out->at = sqlite3_column_int64(stmt, 2);
		/* A malformed row reads as zeros, which no signature covers: verify will say so. */
		if (h != NULL)
			memcpy(out->hash, h, STORE_HASH_LEN);
		if (sig != NULL)
			memcpy(out->sig, sig, STORE_SIG_LEN);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_relay_key_add(struct store *st, const struct store_relay_key *k)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "INSERT INTO relay_keys (pubkey, name, seq, added_at) VALUES (?1, ?2, ?3, ?4)") != 0)
		return STORE_ERR;
	sqlite3_bind_blob(stmt, 1, k->pub, STORE_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, k->seq);
	sqlite3_bind_int64(stmt, 4, k->added_at);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	else if (sqlite3_extended_errcode(store_sqlite_db(st)) == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = STORE_ERR_EXISTS;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_relay_keys(struct store *st, store_relay_key_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	if (store_prepare(st, &stmt, "SELECT pubkey, name, seq, added_at, retired_seq FROM relay_keys ORDER BY seq") != 0)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_relay_key k = { .seq = sqlite3_column_int64(stmt, 2),
					     .added_at = sqlite3_column_int64(stmt, 3),
					     .retired_seq = sqlite3_column_int64(stmt, 4) };
		const uint8_t *pub = store_col_blob(stmt, 0, STORE_PUB_LEN);
		const unsigned char *name = sqlite3_column_text(stmt, 1);

		/* A malformed key reads as zeros, which signs nothing: verify names the checkpoint. */
		if (pub != NULL)
			memcpy(k.pub, pub, STORE_PUB_LEN);
		snprintf(k.name, sizeof(k.name), "%s", name ? (const char *)name : "");
		if (fn(&k, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_relay_key_retire(struct store *st, const uint8_t pub[STORE_PUB_LEN], int64_t seq)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "UPDATE relay_keys SET retired_seq = ?2 WHERE pubkey = ?1 AND retired_seq = 0") != 0)
		return STORE_ERR;
	sqlite3_bind_blob(stmt, 1, pub, STORE_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, seq);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = sqlite3_changes(store_sqlite_db(st)) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_peer_put(struct store *st, const uint8_t pub[STORE_PUB_LEN], const char *address,
				 const char *host_key, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO relays (pubkey, address, host_key, seen_at) VALUES (?1, ?2, ?3, ?4)"
			  " ON CONFLICT (pubkey) DO UPDATE SET address = excluded.address, host_key = excluded.host_key,"
			  " seen_at = excluded.seen_at") != 0)
		return STORE_ERR;
	sqlite3_bind_blob(stmt, 1, pub, STORE_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, host_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_peers(struct store *st, store_peer_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	if (store_prepare(st, &stmt,
			  "SELECT r.pubkey, k.name, r.address, r.host_key, r.seen_at, k.retired_seq"
			  " FROM relays r JOIN relay_keys k ON k.pubkey = r.pubkey ORDER BY k.seq") != 0)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_peer p = { .seen_at = sqlite3_column_int64(stmt, 4),
					.retired_seq = sqlite3_column_int64(stmt, 5) };
		const uint8_t *pub = store_col_blob(stmt, 0, STORE_PUB_LEN);
		const unsigned char *name = sqlite3_column_text(stmt, 1), *addr = sqlite3_column_text(stmt, 2),
				    *hk = sqlite3_column_text(stmt, 3);

		/* A malformed row reads as zeros and no host key: nobody is routed to it. */
		if (pub != NULL)
			memcpy(p.pub, pub, STORE_PUB_LEN);
		snprintf(p.name, sizeof(p.name), "%s", name ? (const char *)name : "");
		snprintf(p.address, sizeof(p.address), "%s", addr ? (const char *)addr : "");
		if (hk != NULL && strlen((const char *)hk) < sizeof(p.host_key))
			snprintf(p.host_key, sizeof(p.host_key), "%s", (const char *)hk);
		if (fn(&p, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_live_set(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN], int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO live_sessions (ticket_id, relay, since) VALUES (?1, ?2, ?3)"
			  " ON CONFLICT (ticket_id) DO UPDATE SET relay = excluded.relay, since = excluded.since") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_blob(stmt, 2, pub, STORE_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_live_clear(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN])
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "DELETE FROM live_sessions WHERE relay = ?1 AND (?2 = 0 OR ticket_id = ?2)") != 0)
		return STORE_ERR;
	sqlite3_bind_blob(stmt, 1, pub, STORE_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, ticket);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_live_get(struct store *st, int64_t ticket, uint8_t pub[STORE_PUB_LEN], int64_t *since)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR, step;

	if (store_prepare(st, &stmt, "SELECT relay, since FROM live_sessions WHERE ticket_id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		const uint8_t *p = store_col_blob(stmt, 0, STORE_PUB_LEN);

		memset(pub, 0, STORE_PUB_LEN);
		if (p != NULL)
			memcpy(pub, p, STORE_PUB_LEN);
		*since = sqlite3_column_int64(stmt, 1);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_recording_place_put(struct store *st, int64_t ticket, const char *path,
					    const uint8_t pub[STORE_PUB_LEN], int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	/* A path names one file of one home; one made again (a restart's segment) is where it was made last. */
	if (store_prepare(st, &stmt,
			  "INSERT INTO recording_places (path, ticket_id, relay, at) VALUES (?1, ?2, ?3, ?4)"
			  " ON CONFLICT (path) DO UPDATE SET ticket_id = excluded.ticket_id, relay = excluded.relay,"
			  " at = excluded.at") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, ticket);
	sqlite3_bind_blob(stmt, 3, pub, STORE_PUB_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_recording_place_get(struct store *st, const char *path, uint8_t pub[STORE_PUB_LEN])
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR, step;

	if (store_prepare(st, &stmt, "SELECT relay FROM recording_places WHERE path = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, path, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		const uint8_t *p = store_col_blob(stmt, 0, STORE_PUB_LEN);

		memset(pub, 0, STORE_PUB_LEN);
		if (p != NULL)
			memcpy(pub, p, STORE_PUB_LEN);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_checkpoint_orphan(struct store *st, int64_t *seq)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	*seq = 0;
	if (store_prepare(st, &stmt,
			  "SELECT COALESCE(MAX(c.seq), 0) FROM checkpoints c"
			  " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = c.seq)") != 0)
		return STORE_ERR;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(stmt, 0);
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_tickets_active_since(struct store *st, int64_t since, store_ticket_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt,
			  "SELECT " STORE_TICKET_COLUMNS
			  " WHERE EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.at >= ?1)"
			  " ORDER BY t.id") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, since);
	return store_ticket_rows(stmt, fn, ctx);
}

#define STORE_KB_COLUMNS "k.id, k.title, k.symptoms, k.cause, k.fix, k.tier, k.author, k.created_at, k.updated_at"
#define STORE_KB_RANK "(CASE k.tier WHEN 'public' THEN 0 WHEN 'L1' THEN 1 WHEN 'L2' THEN 2 ELSE 3 END)"

static int store_kb_rows(sqlite3_stmt *stmt, store_kb_fn fn, void *ctx, int *found)
{
	int step, rc = STORE_OK;

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_kb a = {
			.id = sqlite3_column_int64(stmt, 0),
			.title = store_col_text(stmt, 1),
			.symptoms = store_col_text(stmt, 2),
			.cause = store_col_text(stmt, 3),
			.fix = store_col_text(stmt, 4),
			.tier = store_col_text(stmt, 5),
			.author = store_col_text(stmt, 6),
			.created_at = sqlite3_column_int64(stmt, 7),
			.updated_at = sqlite3_column_int64(stmt, 8),
		};

		if (found != NULL)
			(*found)++;
		if (fn(&a, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_kb_add(struct store *st, const struct store_kb *a, int64_t now, int64_t *id)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO kb (title, symptoms, cause, fix, tier, author, created_at, updated_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, a->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, a->symptoms, -1, SQLITE_STATIC);
	store_bind_text_or_empty(stmt, 3, a->cause);
	sqlite3_bind_text(stmt, 4, a->fix, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, a->tier, -1, SQLITE_STATIC);
	store_bind_text_or_empty(stmt, 6, a->author);
	sqlite3_bind_int64(stmt, 7, now);
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(store_sqlite_db(st));
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_kb_update(struct store *st, const struct store_kb *a, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "UPDATE kb SET title = COALESCE(?2, title), symptoms = COALESCE(?3, symptoms),"
			  " cause = COALESCE(?4, cause), fix = COALESCE(?5, fix), tier = COALESCE(?6, tier),"
			  " updated_at = ?7 WHERE id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, a->id);
	if (a->title != NULL)
		sqlite3_bind_text(stmt, 2, a->title, -1, SQLITE_STATIC);
	if (a->symptoms != NULL)
		sqlite3_bind_text(stmt, 3, a->symptoms, -1, SQLITE_STATIC);
	if (a->cause != NULL)
		sqlite3_bind_text(stmt, 4, a->cause, -1, SQLITE_STATIC);
	if (a->fix != NULL)
		sqlite3_bind_text(stmt, 5, a->fix, -1, SQLITE_STATIC);
	if (a->tier != NULL)
		sqlite3_bind_text(stmt, 6, a->tier, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = sqlite3_changes(store_sqlite_db(st)) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_kb_get(struct store *st, int64_t id, int max_rank, store_kb_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int found = 0, rc;

	if (store_prepare(st, &stmt, "SELECT " STORE_KB_COLUMNS " FROM kb k WHERE k.id = ?1 AND " STORE_KB_RANK " <= ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int(stmt, 2, max_rank);
	rc = store_kb_rows(stmt, fn, ctx, &found);
	return rc != STORE_OK ? rc : found ? STORE_OK : STORE_NOT_FOUND;
}

static int store_sqlite_kb_find(struct store *st, const char *match, int max_rank, int limit, store_kb_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (match == NULL) {
		if (store_prepare(st, &stmt, "SELECT " STORE_KB_COLUMNS " FROM kb k WHERE " STORE_KB_RANK " <= ?1"
					     " ORDER BY k.id LIMIT ?2") != 0)
			return STORE_ERR;
		sqlite3_bind_int(stmt, 1, max_rank);
		sqlite3_bind_int(stmt, 2, limit);
		return store_kb_rows(stmt, fn, ctx, NULL);
	}
	if (store_prepare(st, &stmt,
			  "SELECT " STORE_KB_COLUMNS " FROM kb_fts f JOIN kb k ON k.id = f.rowid"
			  " WHERE kb_fts MATCH ?1 AND " STORE_KB_RANK " <= ?2 ORDER BY f.rank LIMIT ?3") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, max_rank);
	sqlite3_bind_int(stmt, 3, limit);
	rc = store_kb_rows(stmt, fn, ctx, NULL);
	return rc;
}

static int store_sqlite_outbox_receivers_set(struct store *st, const struct store_outbox_receiver *r, size_t n)
{
	sqlite3_stmt *stmt = NULL;
	char ignored[8];
	int rc = STORE_ERR;

	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_exec(st, "UPDATE webhook_receivers SET active = 0", ignored, 0) != 0 ||
	    store_prepare(st, &stmt,
			  "INSERT INTO webhook_receivers (name, kinds, active) VALUES (?1, ?2, 1)"
			  " ON CONFLICT (name) DO UPDATE SET kinds = excluded.kinds, active = 1") != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_text(stmt, 1, r[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, r[i].kinds, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE)
			goto out;
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(stmt);
	if (rc == STORE_OK && store_exec(st, "COMMIT", ignored, 0) != 0)
		rc = STORE_ERR;
	if (rc != STORE_OK)
		store_exec(st, "ROLLBACK", ignored, 0);
	return rc;
}

static int store_sqlite_outbox_due(struct store *st, const char *receiver, const char *claimant, int64_t now,
				   int limit, store_outbox_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	/*
	 * The head of each (receiver, ticket) first; only then whether it is
	 * due, so a waiting head holds its ticket. One scan of the covering
	 * index for the heads: 50,000 pending rows take 11 ms, a correlated
	 * MIN per row took 68 (docs/internals.md, Webhooks).
	 */
	if (store_prepare(st, &stmt,
			  "SELECT o.receiver, o.seq, o.ticket_id, o.queued_at, o.attempts"
			  " FROM (SELECT receiver, ticket_id, MIN(seq) AS seq FROM webhook_outbox"
			  "   GROUP BY receiver, ticket_id) h"
			  " JOIN webhook_outbox o ON o.receiver = h.receiver AND o.seq = h.seq"
			  " JOIN webhook_receivers r ON r.name = o.receiver AND r.active = 1"
			  " WHERE o.next_at <= ?1 AND (?3 IS NULL OR o.receiver = ?3)"
			  " AND (?4 IS NULL OR o.claimed_until <= ?1 OR o.claimed_by = ?4) ORDER BY o.seq LIMIT ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int(stmt, 2, limit);
	if (receiver != NULL)
		sqlite3_bind_text(stmt, 3, receiver, -1, SQLITE_STATIC);
	if (claimant != NULL)
		sqlite3_bind_text(stmt, 4, claimant, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_outbox_row row = {
			.receiver = store_col_text(stmt, 0),
			.seq = sqlite3_column_int64(stmt, 1),
			.ticket = sqlite3_column_int64(stmt, 2),
			.queued_at = sqlite3_column_int64(stmt, 3),
			.attempts = sqlite3_column_int64(stmt, 4),
		};

		if (fn(&row, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_outbox_claim(struct store *st, const char *receiver, int64_t seq, const char *claimant,
				     int64_t now, int64_t until)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "UPDATE webhook_outbox SET claimed_by = ?3, claimed_until = ?5"
				     " WHERE receiver = ?1 AND seq = ?2 AND (claimed_until <= ?4 OR claimed_by = ?3)") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, receiver, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, seq);
	sqlite3_bind_text(stmt, 3, claimant, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, now);
	sqlite3_bind_int64(stmt, 5, until);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = sqlite3_changes(store_sqlite_db(st)) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

/* The receiver's failing_since, or -1 when there is no such receiver or the read failed. */
static int64_t store_outbox_failing_since(struct store *st, const char *receiver)
{
	sqlite3_stmt *stmt = NULL;
	int64_t since = -1;

	if (store_prepare(st, &stmt, "SELECT failing_since FROM webhook_receivers WHERE name = ?1") != 0)
		return -1;
	sqlite3_bind_text(stmt, 1, receiver, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		since = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return since;
}

/* One UPDATE or DELETE with text ?1, int ?2, int ?3, text ?4 (binding one the SQL lacks is a harmless SQLITE_RANGE). */
static int store_outbox_write(struct store *st, const char *sql, const char *a, int64_t b, int64_t c, const char *d)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, sql) != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, b);
	sqlite3_bind_int64(stmt, 3, c);
	sqlite3_bind_text(stmt, 4, d ? d : "", -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_outbox_delivered(struct store *st, const char *receiver, int64_t seq, int64_t now, int *recovered)
{
	int64_t since = store_outbox_failing_since(st, receiver);
	sqlite3_stmt *stmt = NULL;
	int still = 0;

	if (since < 0)
		return STORE_NOT_FOUND;
	if (store_outbox_write(st, "DELETE FROM webhook_outbox WHERE receiver = ?1 AND seq = ?2", receiver, seq, 0,
			       NULL) != STORE_OK ||
	    sqlite3_changes(store_sqlite_db(st)) != 1)
		return STORE_NOT_FOUND;
	/* Failing until no row of it waits on a failed try: one refused event must not flap the state per success. */
	if (store_prepare(st, &stmt, "SELECT EXISTS (SELECT 1 FROM webhook_outbox WHERE receiver = ?1 AND attempts > 0)") !=
	    0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, receiver, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		return STORE_ERR;
	}
	still = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (store_outbox_write(st,
			       still ? "UPDATE webhook_receivers SET delivered = delivered + 1, last_ok_at = ?2 WHERE name = ?1"
				     : "UPDATE webhook_receivers SET delivered = delivered + 1, last_ok_at = ?2,"
				       " failing_since = 0, last_error = '' WHERE name = ?1",
			       receiver, now, 0, NULL) != STORE_OK)
		return STORE_ERR;
	if (recovered != NULL)
		*recovered = since != 0 && !still;
	return STORE_OK;
}

static int store_sqlite_outbox_failed(struct store *st, const char *receiver, int64_t seq, int64_t now, int64_t next_at,
			const char *error, int *newly_failing)
{
	int64_t since = store_outbox_failing_since(st, receiver);

	if (since < 0)
		return STORE_NOT_FOUND;
	if (store_outbox_write(st,
			       "UPDATE webhook_outbox SET attempts = attempts + 1, next_at = ?3, last_error = ?4"
			       " WHERE receiver = ?1 AND seq = ?2",
			       receiver, seq, next_at, error) != STORE_OK ||
	    sqlite3_changes(store_sqlite_db(st)) != 1)
		return STORE_NOT_FOUND;
	if (store_outbox_write(st,
			       "UPDATE webhook_receivers SET last_error = ?4,"
			       " failing_since = CASE failing_since WHEN 0 THEN ?2 ELSE failing_since END"
			       " WHERE name = ?1",
			       receiver, now, 0, error) != STORE_OK)
		return STORE_ERR;
	if (newly_failing != NULL)
		*newly_failing = since == 0;
	return STORE_OK;
}

static int store_sqlite_outbox_retry(struct store *st, const char *receiver, int64_t *count)
{
	int rc = store_outbox_write(st,
				    receiver ? "UPDATE webhook_outbox SET next_at = 0 WHERE receiver = ?1"
					     : "UPDATE webhook_outbox SET next_at = 0",
				    receiver ? receiver : "", 0, 0, NULL);

	if (rc == STORE_OK && count != NULL)
		*count = sqlite3_changes(store_sqlite_db(st));
	return rc;
}

static int store_sqlite_outbox_status(struct store *st, store_outbox_status_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	if (store_prepare(st, &stmt,
			  "SELECT r.name, r.active, r.delivered, r.last_ok_at, r.failing_since, r.last_error,"
			  " (SELECT COUNT(*) FROM webhook_outbox o WHERE o.receiver = r.name),"
			  " (SELECT COUNT(*) FROM webhook_outbox o WHERE o.receiver = r.name AND o.attempts > 0),"
			  " (SELECT COALESCE(MIN(o.queued_at), 0) FROM webhook_outbox o WHERE o.receiver = r.name)"
			  " FROM webhook_receivers r ORDER BY r.name") != 0)
		return STORE_ERR;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_outbox_status s = {
			.name = store_col_text(stmt, 0),
			.active = sqlite3_column_int(stmt, 1),
			.delivered = sqlite3_column_int64(stmt, 2),
			.last_ok_at = sqlite3_column_int64(stmt, 3),
			.failing_since = sqlite3_column_int64(stmt, 4),
			.last_error = store_col_text(stmt, 5),
			.pending = sqlite3_column_int64(stmt, 6),
			.failing = sqlite3_column_int64(stmt, 7),
			.oldest_queued_at = sqlite3_column_int64(stmt, 8),
		};

		if (fn(&s, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_rt_link_set(struct store *st, const char *receiver, int64_t ticket, int64_t rt_id, int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO rt_links (receiver, ticket_id, rt_id, linked_at) VALUES (?1, ?2, ?3, ?4)"
			  " ON CONFLICT (receiver, ticket_id) DO UPDATE SET rt_id = excluded.rt_id,"
			  " seen_txn = 0, linked_at = excluded.linked_at") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, receiver, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, ticket);
	sqlite3_bind_int64(stmt, 3, rt_id);
	sqlite3_bind_int64(stmt, 4, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_rt_link_seen(struct store *st, const char *receiver, int64_t ticket, int64_t txn)
{
	if (store_outbox_write(st, "UPDATE rt_links SET seen_txn = MAX(seen_txn, ?3) WHERE receiver = ?1 AND ticket_id = ?2",
			       receiver, ticket, txn, NULL) != STORE_OK)
		return STORE_ERR;
	return sqlite3_changes(store_sqlite_db(st)) == 1 ? STORE_OK : STORE_NOT_FOUND;
}

static int store_sqlite_rt_links(struct store *st, const char *receiver, int64_t ticket, int open_only, int limit,
				 store_rt_link_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_OK;

	if (store_prepare(st, &stmt,
			  "SELECT l.receiver, l.ticket_id, l.rt_id, l.seen_txn, l.linked_at FROM rt_links l"
			  " JOIN tickets t ON t.id = l.ticket_id"
			  " WHERE (?1 IS NULL OR l.receiver = ?1) AND (?2 = 0 OR l.ticket_id = ?2)"
			  " AND (?3 = 0 OR t.state <> 'closed')"
			  " ORDER BY l.ticket_id, l.receiver LIMIT ?4") != 0)
		return STORE_ERR;
	if (receiver != NULL)
		sqlite3_bind_text(stmt, 1, receiver, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, ticket);
	sqlite3_bind_int(stmt, 3, open_only != 0);
	sqlite3_bind_int(stmt, 4, limit);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_rt_link l = {
			.receiver = store_col_text(stmt, 0),
			.ticket = sqlite3_column_int64(stmt, 1),
			.rt_id = sqlite3_column_int64(stmt, 2),
			.seen_txn = sqlite3_column_int64(stmt, 3),
			.linked_at = sqlite3_column_int64(stmt, 4),
		};

		if (fn(&l, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_review_pending(struct store *st, int limit, store_ticket_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;

	if (store_prepare(st, &stmt,
			  "SELECT " STORE_TICKET_COLUMNS
			  " WHERE t.id > 0 AND t.priority IN ('P1', 'P2') AND t.state <> 'closed'"
			  /* +e.kind: one ticket's events by events_by_ticket, never a walk of every review. */
			  " AND NOT (EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND +e.kind = 'reviewed'"
			  "   AND e.detail LIKE 'cause: %')"
			  " AND EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND +e.kind = 'reviewed'"
			  "   AND e.detail LIKE 'prevention: %'))"
			  " ORDER BY t.priority, t.id LIMIT ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int(stmt, 1, limit);
	return store_ticket_rows(stmt, fn, ctx);
}

static int store_sqlite_reviewed_causes(struct store *st, int limit, store_cause_fn fn, void *ctx)
{
	sqlite3_stmt *stmt = NULL;
	int64_t *seen = calloc((size_t)(limit > 0 ? limit : 1), sizeof(*seen));
	int step, rc = STORE_OK, nseen = 0;

	/*
	 * The newest reviewed records backwards through events_reviewed, a
	 * bounded walk; a ticket's first cause met is its latest.
	 */
	if (seen == NULL)
		return STORE_ERR;
	if (store_prepare(st, &stmt,
			  "SELECT ticket_id, substr(detail, 8) FROM events WHERE kind = 'reviewed'"
			  " AND detail LIKE 'cause: %' ORDER BY id DESC LIMIT ?1") != 0) {
		free(seen);
		return STORE_ERR;
	}
	sqlite3_bind_int(stmt, 1, 2 * limit);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW && nseen < limit) {
		int64_t ticket = sqlite3_column_int64(stmt, 0);
		bool again = false;

		for (int i = 0; i < nseen && !again; i++)
			again = seen[i] == ticket;
		if (again)
			continue;
		seen[nseen++] = ticket;
		if (fn(ticket, store_col_text(stmt, 1), ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = STORE_ERR;
	sqlite3_finalize(stmt);
	free(seen);
	return rc;
}

static int store_sqlite_secret_check(struct store *st, const char *name, const uint8_t mac[CODE_HASH_LEN], int64_t now,
				     int *added)
{
	sqlite3_stmt *find = NULL, *add = NULL;
	char ignored[8];
	int rc = STORE_ERR, step;

	*added = 0;
	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_prepare(st, &find, "SELECT mac FROM store_secrets WHERE name = ?1") != 0)
		goto out;
	sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
	step = sqlite3_step(find);
	if (step == SQLITE_ROW) {
		rc = sqlite3_column_bytes(find, 0) == CODE_HASH_LEN &&
				     CRYPTO_memcmp(sqlite3_column_blob(find, 0), mac, CODE_HASH_LEN) == 0
			     ? STORE_OK
			     : STORE_ERR_EXISTS;
		goto out;
	}
	if (step != SQLITE_DONE ||
	    store_prepare(st, &add, "INSERT INTO store_secrets (name, mac, added_at) VALUES (?1, ?2, ?3)") != 0)
		goto out;
	sqlite3_bind_text(add, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(add, 2, mac, CODE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(add, 3, now);
	if (sqlite3_step(add) != SQLITE_DONE)
		goto out;
	*added = 1;
	rc = STORE_OK;
out:
	sqlite3_finalize(find);
	sqlite3_finalize(add);
	store_exec(st, rc == STORE_ERR ? "ROLLBACK" : "COMMIT", ignored, 0);
	return rc;
}

static int store_sqlite_source_wait(struct store *st, const char *source, int64_t now, int64_t forget,
				    int64_t *failures, int64_t *next_allowed)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_ERR;

	*failures = 0;
	*next_allowed = 0;
	if (store_prepare(st, &stmt, "SELECT failures, next_allowed FROM code_sources WHERE source = ?1 AND last_failure > ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, now - forget);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*failures = sqlite3_column_int64(stmt, 0);
		*next_allowed = sqlite3_column_int64(stmt, 1);
	}
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

/* 1, 2, 4 ... s after the failures-th wrong code, at most max. */
static int64_t store_source_delay(int64_t failures, int64_t max)
{
	int64_t delay = 1;

	for (int64_t i = 1; i < failures && delay < max; i++)
		delay *= 2;
	return delay > max ? max : delay;
}

static int store_sqlite_source_failed(struct store *st, const char *source, int64_t now, int64_t backoff_max,
				      int64_t forget, int64_t *failures, int64_t *next_allowed)
{
	sqlite3_stmt *up = NULL, *set = NULL;
	char ignored[8];
	int rc = STORE_ERR;

	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_prepare(st, &up,
			  "INSERT INTO code_sources (source, failures, last_failure, next_allowed) VALUES (?1, 1, ?2, ?2)"
			  " ON CONFLICT (source) DO UPDATE SET failures = CASE WHEN last_failure <= ?2 - ?3 THEN 1"
			  " ELSE failures + 1 END, last_failure = ?2 RETURNING failures") != 0)
		goto out;
	sqlite3_bind_text(up, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 2, now);
	sqlite3_bind_int64(up, 3, forget);
	if (sqlite3_step(up) != SQLITE_ROW)
		goto out;
	*failures = sqlite3_column_int64(up, 0);
	*next_allowed = now + store_source_delay(*failures, backoff_max);
	sqlite3_finalize(up);
	up = NULL;
	if (store_prepare(st, &set, "UPDATE code_sources SET next_allowed = ?2 WHERE source = ?1") != 0)
		goto out;
	sqlite3_bind_text(set, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(set, 2, *next_allowed);
	if (sqlite3_step(set) != SQLITE_DONE)
		goto out;
	sqlite3_finalize(set);
	set = NULL;
	if (store_prepare(st, &up, "INSERT INTO code_failures (at_second, n) VALUES (?1, 1)"
				   " ON CONFLICT (at_second) DO UPDATE SET n = n + 1") != 0)
		goto out;
	sqlite3_bind_int64(up, 1, now);
	if (sqlite3_step(up) != SQLITE_DONE)
		goto out;
	if (store_prepare(st, &set, "DELETE FROM code_failures WHERE at_second <= ?1") != 0)
		goto out;
	sqlite3_bind_int64(set, 1, now - forget);
	if (sqlite3_step(set) == SQLITE_DONE)
		rc = STORE_OK;
out:
	sqlite3_finalize(up);
	sqlite3_finalize(set);
	store_exec(st, rc == STORE_OK ? "COMMIT" : "ROLLBACK", ignored, 0);
	return rc;
}

static int store_sqlite_code_window(struct store *st, int64_t now, int64_t window, int64_t *seconds, int64_t *counts,
				    size_t max, size_t *count)
{
	sqlite3_stmt *stmt = NULL;
	int step;

	*count = 0;
	if (store_prepare(st, &stmt, "SELECT at_second, n FROM code_failures WHERE at_second > ?1 AND at_second <= ?2"
				     " ORDER BY at_second DESC LIMIT ?3") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, now - window);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, (int64_t)max);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		seconds[*count] = sqlite3_column_int64(stmt, 0);
		counts[*count] = sqlite3_column_int64(stmt, 1);
		(*count)++;
	}
	sqlite3_finalize(stmt);
	return step == SQLITE_DONE ? STORE_OK : STORE_ERR;
}

static int store_sqlite_source_clear(struct store *st, const char *source)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt, "DELETE FROM code_sources WHERE source = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

/* BEGIN IMMEDIATE holds the database's write lock from the start: a take on another relay waits for this one. */
static int store_sqlite_desk_take(struct store *st, int64_t user, int64_t now_ns, int64_t step_ns, int64_t slack_ns,
				  int *taken, int64_t *full_at_ns)
{
	sqlite3_stmt *up = NULL, *get = NULL;
	char ignored[8];
	int step, rc = STORE_ERR;

	*taken = 0;
	*full_at_ns = 0;
	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_prepare(st, &up,
			  "INSERT INTO desk_budgets (user_id, full_at_ns) VALUES (?1, ?2 + ?3)"
			  " ON CONFLICT (user_id) DO UPDATE SET full_at_ns = max(full_at_ns, ?2) + ?3"
			  " WHERE full_at_ns - ?2 <= ?4 RETURNING full_at_ns") != 0)
		goto out;
	sqlite3_bind_int64(up, 1, user);
	sqlite3_bind_int64(up, 2, now_ns);
	sqlite3_bind_int64(up, 3, step_ns);
	sqlite3_bind_int64(up, 4, slack_ns);
	step = sqlite3_step(up);
	if (step == SQLITE_ROW) {
		*taken = 1;
		*full_at_ns = sqlite3_column_int64(up, 0);
		/* RETURNING's row is written when the statement runs to its end. */
		if (sqlite3_step(up) == SQLITE_DONE)
			rc = STORE_OK;
		goto out;
	}
	if (step != SQLITE_DONE)
		goto out;
	if (store_prepare(st, &get, "SELECT full_at_ns FROM desk_budgets WHERE user_id = ?1") != 0)
		goto out;
	sqlite3_bind_int64(get, 1, user);
	if (sqlite3_step(get) == SQLITE_ROW) {
		*full_at_ns = sqlite3_column_int64(get, 0);
		rc = STORE_OK;
	}
out:
	sqlite3_finalize(up);
	sqlite3_finalize(get);
	store_exec(st, rc == STORE_OK ? "COMMIT" : "ROLLBACK", ignored, 0);
	return rc;
}

static int store_sqlite_resume_set(struct store *st, int64_t ticket, const uint8_t hash[CODE_HASH_LEN], int64_t now)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO resume_tokens (ticket_id, hash, issued_at) VALUES (?1, ?2, ?3)"
			  " ON CONFLICT (ticket_id) DO UPDATE SET hash = excluded.hash, issued_at = excluded.issued_at") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_blob(stmt, 2, hash, CODE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, now);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

static int store_sqlite_resume_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t since, int64_t *ticket)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "SELECT r.ticket_id FROM resume_tokens r JOIN tickets t ON t.id = r.ticket_id"
			  " WHERE r.hash = ?1 AND r.issued_at >= ?2 AND t.state NOT IN ('resolved', 'closed')") != 0)
		return STORE_ERR;
	sqlite3_bind_blob(stmt, 1, hash, CODE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, since);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*ticket = sqlite3_column_int64(stmt, 0);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

static const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.close = store_sqlite_close,
	.open_again = store_sqlite_open_again,
	.user_add = store_sqlite_user_add,
	.user_by_key = store_sqlite_user_by_key,
	.user_by_name = store_sqlite_user_by_name,
	.user_state = store_sqlite_user_state,
	.user_list = store_sqlite_user_list,
	.user_set_state = store_sqlite_user_set_state,
	.begin = store_sqlite_begin,
	.begin_read = store_sqlite_begin_read,
	.commit = store_sqlite_commit,
	.rollback = store_sqlite_rollback,
	.ticket_new = store_sqlite_ticket_new,
	.ticket_get = store_sqlite_ticket_get,
	.ticket_update = store_sqlite_ticket_update,
	.ticket_sla_pause = store_sqlite_ticket_sla_pause,
	.ticket_sla_resume = store_sqlite_ticket_sla_resume,
	.ticket_first_response = store_sqlite_ticket_first_response,
	.ticket_sla_flags = store_sqlite_ticket_sla_flags,
	.sla_running = store_sqlite_sla_running,
	.ticket_set_priority = store_sqlite_ticket_set_priority,
	.queue = store_sqlite_queue,
	.tickets_owned = store_sqlite_tickets_owned,
	.tickets_due = store_sqlite_tickets_due,
	.tier_oldest = store_sqlite_tier_oldest,
	.code_add = store_sqlite_code_add,
	.code_cancel = store_sqlite_code_cancel,
	.code_cancel_all = store_sqlite_code_cancel_all,
	.code_redeem = store_sqlite_code_redeem,
	.events = store_sqlite_events,
	.attachment_add = store_sqlite_attachment_add,
	.attachments = store_sqlite_attachments,
	.attachment_get = store_sqlite_attachment_get,
	.attachment_read = store_sqlite_attachment_read,
	.tickets_all = store_sqlite_tickets_all,
	.chain_append = store_sqlite_chain_append,
	.ticket_links = store_sqlite_ticket_links,
	.ticket_prev = store_sqlite_ticket_prev,
	.ticket_heads = store_sqlite_ticket_heads,
	.chain_links = store_sqlite_chain_links,
	.chain_head = store_sqlite_chain_head,
	.chain_counts = store_sqlite_chain_counts,
	.checkpoint_add = store_sqlite_checkpoint_add,
	.checkpoint_last = store_sqlite_checkpoint_last,
	.checkpoint_orphan = store_sqlite_checkpoint_orphan,
	.relay_key_add = store_sqlite_relay_key_add,
	.relay_keys = store_sqlite_relay_keys,
	.relay_key_retire = store_sqlite_relay_key_retire,
	.peer_put = store_sqlite_peer_put,
	.peers = store_sqlite_peers,
	.live_set = store_sqlite_live_set,
	.live_clear = store_sqlite_live_clear,
	.live_get = store_sqlite_live_get,
	.recording_place_put = store_sqlite_recording_place_put,
	.recording_place_get = store_sqlite_recording_place_get,
	.intake_add = store_sqlite_intake_add,
	.intake_find = store_sqlite_intake_find,
	.intake_uses_since = store_sqlite_intake_uses_since,
	.intake_use = store_sqlite_intake_use,
	.intake_revoke = store_sqlite_intake_revoke,
	.intake_list = store_sqlite_intake_list,
	.kb_add = store_sqlite_kb_add,
	.kb_update = store_sqlite_kb_update,
	.kb_get = store_sqlite_kb_get,
	.kb_find = store_sqlite_kb_find,
	.tickets_active_since = store_sqlite_tickets_active_since,
	.outbox_receivers_set = store_sqlite_outbox_receivers_set,
	.outbox_due = store_sqlite_outbox_due,
	.outbox_claim = store_sqlite_outbox_claim,
	.outbox_delivered = store_sqlite_outbox_delivered,
	.outbox_failed = store_sqlite_outbox_failed,
	.outbox_retry = store_sqlite_outbox_retry,
	.outbox_status = store_sqlite_outbox_status,
	.rt_link_set = store_sqlite_rt_link_set,
	.rt_link_seen = store_sqlite_rt_link_seen,
	.rt_links = store_sqlite_rt_links,
	.secret_check = store_sqlite_secret_check,
	.source_wait = store_sqlite_source_wait,
	.source_failed = store_sqlite_source_failed,
	.code_window = store_sqlite_code_window,
	.source_clear = store_sqlite_source_clear,
	.desk_take = store_sqlite_desk_take,
	.resume_set = store_sqlite_resume_set,
	.resume_find = store_sqlite_resume_find,
	.review_pending = store_sqlite_review_pending,
	.reviewed_causes = store_sqlite_reviewed_causes,
};
