/*
 * store: everything the relay keeps, behind one small interface.
 *
 * The embedded default is SQLite (store_sqlite.c) in WAL mode with foreign
 * keys on and a schema versioned through PRAGMA user_version. Callers never
 * see SQL or SQLite types, so a PostgreSQL backend is a second
 * implementation of this header, not a change to its callers.
 *
 * Times are Unix seconds. Functions return 0 on success and a negative
 * STORE_ERR_* otherwise; lookups return STORE_NOT_FOUND when nothing matches.
 */
#ifndef HANDOFF_RELAY_STORE_H
#define HANDOFF_RELAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"

enum {
	STORE_OK = 0,
	STORE_NOT_FOUND = 1,
	STORE_ERR = -1,
	STORE_ERR_EXISTS = -2,
};

enum store_code_result {
	STORE_CODE_ACCEPTED = 0,
	STORE_CODE_WRONG = 1,    /* a live code has this locator, the rest is wrong */
	STORE_CODE_UNKNOWN = 2,  /* no live code with this locator */
	STORE_CODE_EXPIRED = 3,
	STORE_CODE_LOCKED = 4,   /* too many wrong tries */
	STORE_CODE_USED = 5,
};

#define STORE_NAME_MAX 64
#define STORE_TEXT_MAX 4096

struct store;

struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX];
	char role[16];   /* "tech" or "auditor" */
	char tier[4];    /* "L1".."L3" for technicians, "" for auditors */
};

struct store_ticket {
	int64_t id;
	char summary[STORE_TEXT_MAX];
	char state[16];
	char tier[4];
	char owner[STORE_NAME_MAX];
	int64_t created_at;
};

/* Opens (creating and migrating if needed) the store at path. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

int store_user_add(struct store *st, const char *name, const char *role, const char *tier,
		   const char *key_type, const char *key_base64, char *err, size_t errlen);
int store_user_by_key(struct store *st, const char *key_type, const char *key_base64,
		      struct store_user *out);

int store_ticket_new(struct store *st, const char *summary, const struct store_user *owner,
		     int64_t now, int64_t *id);
int store_ticket_get(struct store *st, int64_t id, struct store_ticket *out);
int store_ticket_set_state(struct store *st, int64_t id, const char *state);

/* STORE_ERR_EXISTS when a live code already uses this locator. */
int store_code_add(struct store *st, int64_t ticket, unsigned locator,
		   const uint8_t hash[CODE_HASH_LEN], int64_t now, int64_t expires_at);
/*
 * Checks a typed code. Counts a wrong try against the live code with the
 * same locator; the code dies at CODE_MAX_FAILURES. On STORE_CODE_ACCEPTED
 * the code is spent and *ticket is set. Returns an enum store_code_result,
 * or STORE_ERR.
 */
int store_code_redeem(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN],
		      int64_t now, int64_t *ticket);

/* Appends an event to a ticket's history. actor and detail may be NULL. */
int store_event_add(struct store *st, int64_t ticket, int64_t now, const char *kind,
		    const char *actor, const char *detail);

#endif
