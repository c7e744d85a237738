/*
 * store_sqlite.c: the embedded SQLite implementation of store.h.
 *
 * Every statement is prepared with bound parameters; no SQL text is ever
 * built from data. The relay is single-threaded, so one connection serves
 * it; WAL lets an operator's sqlite3 shell or a backup read while the relay
 * writes. Migrations are applied in order inside one transaction each and
 * recorded in PRAGMA user_version.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

struct store {
	sqlite3 *db;
};

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
};

static int store_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return STORE_ERR;
	}
	return STORE_OK;
}

static int store_prepare(struct store *st, sqlite3_stmt **stmt, const char *sql)
{
	return sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) == SQLITE_OK ? STORE_OK : STORE_ERR;
}

static int store_migrate(struct store *st, char *err, size_t errlen)
{
	const int latest = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
	sqlite3_stmt *stmt = NULL;
	int version;

	if (store_prepare(st, &stmt, "PRAGMA user_version") != 0 || sqlite3_step(stmt) != SQLITE_ROW) {
		snprintf(err, errlen, "database: cannot read schema version: %s", sqlite3_errmsg(st->db));
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
		    store_exec(st, bump, err, errlen) != 0) {
			store_exec(st, "ROLLBACK", err + strlen(err), 0);
			return STORE_ERR;
		}
		if (store_exec(st, "COMMIT", err, errlen) != 0)
			return STORE_ERR;
	}
	return STORE_OK;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return STORE_ERR;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 2000);
	if (store_exec(st, "PRAGMA journal_mode = WAL", err, errlen) != 0 ||
	    store_exec(st, "PRAGMA foreign_keys = ON", err, errlen) != 0 ||
	    store_exec(st, "PRAGMA synchronous = NORMAL", err, errlen) != 0 ||
	    store_migrate(st, err, errlen) != 0)
		goto fail;
	*out = st;
	return STORE_OK;
fail:
	store_close(st);
	return STORE_ERR;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

static void store_copy_text(char *dst, size_t dstlen, sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(dst, dstlen, "%s", t ? (const char *)t : "");
}

int store_user_add(struct store *st, const char *name, const char *role, const char *tier,
		   const char *key_type, const char *key_base64, char *err, size_t errlen)
{
	sqlite3_stmt *find = NULL, *add = NULL, *key = NULL;
	int64_t user_id;
	int rc = STORE_ERR;

	if (errlen > 0)
		err[0] = '\0';
	if (store_exec(st, "BEGIN IMMEDIATE", err, errlen) != 0)
		return STORE_ERR;
	if (store_prepare(st, &find, "SELECT id, role, tier FROM users WHERE name = ?1") != 0)
		goto out;
	sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(find) == SQLITE_ROW) {
		user_id = sqlite3_column_int64(find, 0);
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
		user_id = sqlite3_last_insert_rowid(st->db);
	}
	if (store_prepare(st, &key,
			  "INSERT INTO user_keys (user_id, key_type, key_base64) VALUES (?1, ?2, ?3)") != 0)
		goto out;
	sqlite3_bind_int64(key, 1, user_id);
	sqlite3_bind_text(key, 2, key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(key, 3, key_base64, -1, SQLITE_STATIC);
	if (sqlite3_step(key) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
			snprintf(err, errlen, "this key is already registered");
			rc = STORE_ERR_EXISTS;
		}
		goto out;
	}
	rc = STORE_OK;
out:
	if (rc == STORE_ERR && err[0] == '\0')
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(st->db));
	sqlite3_finalize(find);
	sqlite3_finalize(add);
	sqlite3_finalize(key);
	store_exec(st, rc == STORE_OK ? "COMMIT" : "ROLLBACK", err + strlen(err), 0);
	return rc;
}

int store_user_by_key(struct store *st, const char *key_type, const char *key_base64,
		      struct store_user *out)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR, step;

	if (store_prepare(st, &stmt,
			  "SELECT u.id, u.name, u.role, u.tier FROM users u"
			  " JOIN user_keys k ON k.user_id = u.id"
			  " WHERE k.key_type = ?1 AND k.key_base64 = ?2") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, key_base64, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(stmt, 0);
		store_copy_text(out->name, sizeof(out->name), stmt, 1);
		store_copy_text(out->role, sizeof(out->role), stmt, 2);
		store_copy_text(out->tier, sizeof(out->tier), stmt, 3);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int store_ticket_new(struct store *st, const char *summary, const struct store_user *owner,
		     int64_t now, int64_t *id)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO tickets (summary, tier, owner_id, created_at, updated_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?4)") != 0)
		return STORE_ERR;
	sqlite3_bind_text(stmt, 1, summary, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, owner->tier[0] ? owner->tier : "L1", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, owner->id);
	sqlite3_bind_int64(stmt, 4, now);
	if (sqlite3_step(stmt) == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(st->db);
		rc = STORE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int store_ticket_get(struct store *st, int64_t id, struct store_ticket *out)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR, step;

	if (store_prepare(st, &stmt,
			  "SELECT t.id, t.summary, t.state, t.tier, COALESCE(u.name, ''), t.created_at"
			  " FROM tickets t LEFT JOIN users u ON u.id = t.owner_id WHERE t.id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(stmt, 0);
		store_copy_text(out->summary, sizeof(out->summary), stmt, 1);
		store_copy_text(out->state, sizeof(out->state), stmt, 2);
		store_copy_text(out->tier, sizeof(out->tier), stmt, 3);
		store_copy_text(out->owner, sizeof(out->owner), stmt, 4);
		out->created_at = sqlite3_column_int64(stmt, 5);
		rc = STORE_OK;
	} else if (step == SQLITE_DONE) {
		rc = STORE_NOT_FOUND;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int store_ticket_set_state(struct store *st, int64_t id, const char *state)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "UPDATE tickets SET state = ?2, updated_at = strftime('%s', 'now') WHERE id = ?1") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = sqlite3_changes(st->db) == 1 ? STORE_OK : STORE_NOT_FOUND;
	sqlite3_finalize(stmt);
	return rc;
}

int store_code_add(struct store *st, int64_t ticket, unsigned locator,
		   const uint8_t hash[CODE_HASH_LEN], int64_t now, int64_t expires_at)
{
	sqlite3_stmt *live = NULL, *add = NULL;
	char ignored[8];
	int rc = STORE_ERR;

	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_prepare(st, &live,
			  "SELECT 1 FROM codes WHERE locator = ?1 AND used_at IS NULL"
			  " AND expires_at > ?2 AND failures < ?3") != 0)
		goto out;
	sqlite3_bind_int(live, 1, (int)locator);
	sqlite3_bind_int64(live, 2, now);
	sqlite3_bind_int(live, 3, CODE_MAX_FAILURES);
	if (sqlite3_step(live) == SQLITE_ROW) {
		rc = STORE_ERR_EXISTS;
		goto out;
	}
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

int store_code_redeem(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN],
		      int64_t now, int64_t *ticket)
{
	sqlite3_stmt *find = NULL, *update = NULL;
	char ignored[8];
	int rc = STORE_ERR, step, match;
	int64_t code_id;

	if (store_exec(st, "BEGIN IMMEDIATE", ignored, 0) != 0)
		return STORE_ERR;
	if (store_prepare(st, &find,
			  "SELECT id, ticket_id, hash, expires_at, failures, used_at IS NOT NULL"
			  " FROM codes WHERE locator = ?1 ORDER BY id DESC LIMIT 1") != 0)
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
	store_exec(st, rc >= 0 ? "COMMIT" : "ROLLBACK", ignored, 0);
	return rc;
}

int store_event_add(struct store *st, int64_t ticket, int64_t now, const char *kind,
		    const char *actor, const char *detail)
{
	sqlite3_stmt *stmt = NULL;
	int rc = STORE_ERR;

	if (store_prepare(st, &stmt,
			  "INSERT INTO events (ticket_id, at, kind, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)") != 0)
		return STORE_ERR;
	sqlite3_bind_int64(stmt, 1, ticket);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_text(stmt, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, detail, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_DONE)
		rc = STORE_OK;
	sqlite3_finalize(stmt);
	return rc;
}
