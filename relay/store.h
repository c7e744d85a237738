/*
 * store: everything the relay keeps, behind one small interface.
 *
 * The embedded default is SQLite (store_sqlite.c) in WAL mode with foreign
 * keys on and a schema versioned through PRAGMA user_version; PostgreSQL
 * (store_pg.c) is the shared one, for several relays on one database.
 * Callers never see SQL or either library's types: store.c picks the
 * backend at store_open and forwards each call (store_backend.h).
 *
 * Times are Unix seconds. Functions return 0 on success and a negative
 * STORE_ERR_* otherwise; lookups return STORE_NOT_FOUND (negative too) when
 * nothing matches. Results (a code's verdict, a new row's id) come back in
 * out-parameters, never as positive return values.
 */
#ifndef HANDOFF_RELAY_STORE_H
#define HANDOFF_RELAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "code.h"

enum {
	STORE_OK = 0,
	STORE_ERR = -1,
	STORE_ERR_EXISTS = -2,
	STORE_NOT_FOUND = -3,
};

enum store_code_result {
	STORE_CODE_ACCEPTED = 0,
	STORE_CODE_WRONG = 1,    /* a live code has this locator, the rest is wrong */
	STORE_CODE_UNKNOWN = 2,  /* no live code with this locator */
	STORE_CODE_EXPIRED = 3,
	STORE_CODE_LOCKED = 4,   /* too many wrong tries */
	STORE_CODE_USED = 5,
	STORE_CODE_CANCELLED = 6, /* a newer code, or the ticket's resolution, cancelled it */
	STORE_CODE_CLOSED = 7,    /* the code's ticket is resolved or closed */
};

#define STORE_NAME_MAX 64
#define STORE_TEXT_MAX 4096

struct store;

struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX];
	char role[16];   /* "tech", "auditor" or "desk" (the desk's ticket system) */
	char tier[4];    /* "L1".."L3" for technicians, "" for the others */
	char state[12];  /* "active", "disabled" or "removed" (see store_user_set_state) */
};

struct store_ticket {
	int64_t id;
	char summary[STORE_TEXT_MAX];
	char state[16];       /* open, in-session, escalated, resolved, closed */
	char tier[4];         /* L1..L3 */
	char priority[4];     /* P1..P4 */
	char customer_name[STORE_NAME_MAX * 2];
	char customer_contact[STORE_NAME_MAX * 2];
	int64_t owner_id;     /* 0 when the ticket waits in its tier's queue */
	char owner[STORE_NAME_MAX];
	int64_t created_at;
	int64_t updated_at;
	int64_t tier_since;   /* when the ticket reached its tier: escalation policy */
	/* SLA clocks (relay/sla.h); the SLA migration. */
	int64_t first_response_at; /* 0 until a technician responded */
	int64_t sla_paused_since;  /* 0 while the clocks run */
	int64_t sla_paused;        /* seconds of pauses that ended */
	int64_t tier_paused;       /* sla_paused when the ticket reached its tier */
	int sla_flags;             /* RELAY_SLA_* warnings and breaches already recorded */
};

/* What a new ticket starts with. */
struct store_ticket_spec {
	const char *summary;
	const char *priority;
	const char *tier;
	const char *customer_name;    /* may be NULL */
	const char *customer_contact; /* may be NULL */
	int64_t owner_id;             /* 0 for nobody */
};

/* One entry of a ticket's append-only history. */
struct store_event {
	int64_t id;
	int64_t at;
	const char *kind;
	const char *actor;      /* user name, "customer" or "policy"; may be "" */
	const char *role;       /* L1..L3, "customer", "auditor", "desk", "relay"; may be "" */
	const char *clearance;  /* "" for everyone, or the lowest tier allowed to read */
	const char *detail;     /* may be "" */
};

struct store_attachment {
	int64_t id;
	int64_t ticket;
	int64_t at;
	const char *kind;       /* transcript, handover-note, logs, note */
	const char *name;
	const char *author;
	const char *clearance;
	const char *sha256;     /* hex */
	int64_t size;
};

/* Called once per row; the pointers live until the callback returns. Non-zero stops. */
typedef int (*store_ticket_fn)(const struct store_ticket *t, void *ctx);
typedef int (*store_event_fn)(const struct store_event *e, void *ctx);
typedef int (*store_attachment_fn)(const struct store_attachment *a, void *ctx);

/*
 * Opens (creating and migrating if needed) the store path names: a
 * postgresql:// (or postgres://) URL opens the PostgreSQL backend
 * (store_pg.c, libpq's URL syntax: postgresql:///DB?host=/socket/dir, or
 * postgresql://USER@HOST/DB), anything else is an SQLite file.
 */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
/* 1 when spec is a URL store_open gives to PostgreSQL, 0 for a file. */
int store_is_url(const char *spec);
/* "sqlite" or "postgresql": for logs and tests only, never to branch on. */
const char *store_backend_name(const struct store *st);
void store_close(struct store *st);
/*
 * A second connection to st's database, for another thread of the same
 * process (each connection is used by one thread). The caller closes it.
 * One for the life of the relay, not one per use: SQLite keeps the
 * database's descriptor open after a second connection in a process
 * closes, so each short-lived one would hold a descriptor.
 */
int store_open_again(const struct store *st, struct store **out, char *err, size_t errlen);

int store_user_add(struct store *st, const char *name, const char *role, const char *tier,
		   const char *key_type, const char *key_base64, char *err, size_t errlen);
/* The user a key belongs to, whatever its state (the caller refuses all but "active"). */
int store_user_by_key(struct store *st, const char *key_type, const char *key_base64,
		      struct store_user *out);
/* The user of that name, whatever its state (a certificate's principal names one: certauth.c). */
int store_user_by_name(struct store *st, const char *name, struct store_user *out);
/* A user's state into state ("active", "disabled", "removed"); STORE_NOT_FOUND when no such id. */
int store_user_state(struct store *st, int64_t id, char *state, size_t statelen);

/*
 * Accounts are never deleted: events and tickets name them (tickets by id),
 * and the audit chain covers those names. A removed account keeps its row,
 * loses its keys (they may be registered again, to another name) and its
 * name is never given to anyone else (store_user_add refuses it).
 */
struct store_user_key {
	const struct store_user *user;
	int64_t created_at;
	int64_t state_at;        /* when the state last changed; 0 if never */
	const char *key_type;    /* NULL for an account without keys (removed) */
	const char *key_base64;
};
typedef int (*store_user_key_fn)(const struct store_user_key *k, void *ctx);
/* Every account with each of its keys (one call per key, or one with key_type NULL), by name. */
int store_user_list(struct store *st, store_user_key_fn fn, void *ctx);
/*
 * Sets name's state to "active", "disabled" or "removed" at now; removal
 * also deletes its keys and is final. STORE_NOT_FOUND when there is no such
 * account, STORE_ERR_EXISTS when it already is in that state or was removed
 * (err says which). *out gets the account as it was. Joins the caller's
 * transaction if one is open (store_begin).
 */
int store_user_set_state(struct store *st, const char *name, const char *state, int64_t now,
			 struct store_user *out, char *err, size_t errlen);

/* Groups the calls between them into one atomic change (not nestable). */
int store_begin(struct store *st);
/* A read-only transaction: what the calls up to store_commit read is one moment's database. */
int store_begin_read(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

int store_ticket_new(struct store *st, const struct store_ticket_spec *spec, int64_t now, int64_t *id);
int store_ticket_get(struct store *st, int64_t id, struct store_ticket *out);
/*
 * Changes a ticket. state and tier NULL keep theirs; owner_id -1 keeps the
 * owner, 0 clears it. A new tier restarts tier_since.
 */
int store_ticket_update(struct store *st, int64_t id, const char *state, const char *tier,
			int64_t owner_id, int64_t now);
/*
 * SLA clocks (relay/sla.h). pause: STORE_ERR_EXISTS when already paused.
 * resume: adds the pause to sla_paused (*paused_for gets its length);
 * STORE_NOT_FOUND when the ticket was not paused. first_response: sets it
 * once (*set says whether this call did). flags: ORs add in.
 */
int store_ticket_sla_pause(struct store *st, int64_t id, int64_t now);
int store_ticket_sla_resume(struct store *st, int64_t id, int64_t now, int64_t *paused_for);
int store_ticket_first_response(struct store *st, int64_t id, int64_t now, int *set);
int store_ticket_sla_flags(struct store *st, int64_t id, int add);
/* Open tickets (not resolved or closed, not ticket 0) whose clocks run and whose resolve target is not breached. */
int store_sla_running(struct store *st, store_ticket_fn fn, void *ctx);
/* A ticket's priority ("P1".."P4"); STORE_NOT_FOUND when there is no such ticket. */
int store_ticket_set_priority(struct store *st, int64_t id, const char *priority, int64_t now);
/* Unowned tickets of a tier that are neither resolved nor closed, oldest first. */
int store_queue(struct store *st, const char *tier, store_ticket_fn fn, void *ctx);
/* Tickets owned by owner_id that are neither resolved nor closed, by priority, then least recently changed. */
int store_tickets_owned(struct store *st, int64_t owner_id, store_ticket_fn fn, void *ctx);
/*
 * Tickets of a tier, not resolved or closed and not paused, that have spent
 * at least limit seconds there at now, pauses not counted.
 */
int store_tickets_due(struct store *st, const char *tier, int64_t now, int64_t limit, store_ticket_fn fn, void *ctx);
/*
 * When the running (not paused) open ticket that has waited longest at tier
 * reached it, moved later by its pauses there; STORE_NOT_FOUND when none.
 */
int store_tier_oldest(struct store *st, const char *tier, int64_t *since);

/*
 * STORE_ERR_EXISTS when a live code already uses this locator. A ticket has
 * at most one live code: the new one cancels the others in the same
 * transaction, and *replaced (may be NULL) gets how many it cancelled.
 */
int store_code_add(struct store *st, int64_t ticket, unsigned locator,
		   const uint8_t hash[CODE_HASH_LEN], int64_t now, int64_t expires_at, int *replaced);
/* Cancels every live code of ticket (resolving it); *count (may be NULL) gets how many. */
int store_code_cancel(struct store *st, int64_t ticket, int64_t now, int *count);
/*
 * Cancels every live code of every ticket, for serve's start: they were
 * hashed under the last process's key, which died with it (home.h,
 * code_key). *count (may be NULL) gets how many.
 */
int store_code_cancel_all(struct store *st, int64_t now, int *count);
/*
 * Checks a typed code. Counts a wrong try against the live code with the
 * same locator; the code dies at CODE_MAX_FAILURES. On STORE_CODE_ACCEPTED
 * the code is spent and *ticket is set. *verdict gets an enum
 * store_code_result; returns 0, or STORE_ERR (the verdict is then unset).
 */
int store_code_redeem(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN],
		      int64_t now, int *verdict, int64_t *ticket);

/* A ticket's events in order; only those of kind when kind is not NULL. */
int store_events(struct store *st, int64_t ticket, const char *kind, store_event_fn fn, void *ctx);

/*
 * Stores content as an attachment of ticket and computes its SHA-256
 * (sha256_hex gets 64 hex digits and a NUL). *id gets its number.
 */
int store_attachment_add(struct store *st, int64_t ticket, int64_t now, const char *kind,
			 const char *name, const char *author, const char *clearance,
			 const void *content, size_t len, int64_t *id, char sha256_hex[65]);
int store_attachments(struct store *st, int64_t ticket, store_attachment_fn fn, void *ctx);
/* One attachment with its content (malloc'd, the caller frees). STORE_NOT_FOUND if none. */
int store_attachment_get(struct store *st, int64_t ticket, int64_t id, store_attachment_fn meta,
			 void *ctx, uint8_t **content, size_t *len);

/*
 * Streams an attachment's content to fn, a chunk at a time (bounded memory
 * whatever its size); fn returning non-zero stops with STORE_ERR.
 * STORE_NOT_FOUND when ticket has no attachment id. A NULL content streams
 * nothing.
 */
typedef int (*store_chunk_fn)(const uint8_t *p, size_t n, void *ctx);
int store_attachment_read(struct store *st, int64_t ticket, int64_t id, store_chunk_fn fn, void *ctx);
/* Every ticket, by number. */
int store_tickets_all(struct store *st, store_ticket_fn fn, void *ctx);

/*
 * The audit chain. Events never change once written: triggers refuse
 * UPDATE and DELETE on events and checkpoints (someone with the database
 * file can drop them; the chain is what catches that).
 */
#define STORE_HASH_LEN 32
#define STORE_SIG_LEN 64
#define STORE_PUB_LEN 32

/* One link: an event with its chain columns. Hash pointers are NULL when a column is not 32 bytes. */
struct store_link {
	int64_t seq;
	int64_t ticket;
	struct store_event event;
	const uint8_t *prev_hash;
	const uint8_t *body_hash;
	const uint8_t *hash;
	const uint8_t *ticket_hash; /* the link in its ticket's own chain (chain.h) */
	/* The checkpoint signed at this seq, if any. */
	int has_checkpoint;
	int64_t cp_at;
	const uint8_t *cp_hash;   /* NULL when malformed */
	const uint8_t *cp_sig;    /* NULL when malformed */
	/* Its tickets root (checkpoints signed before migration 8 have none). */
	int cp_has_tickets;
	int64_t cp_tickets_n;
	const uint8_t *cp_tickets_root, *cp_tickets_sig; /* NULL when absent or malformed */
	/* The public key of the relay that signed it (migration 13); NULL on older checkpoints or when malformed. */
	const uint8_t *cp_signer;
};
typedef int (*store_link_fn)(const struct store_link *l, void *ctx);

struct store_checkpoint {
	int64_t seq;
	uint8_t hash[STORE_HASH_LEN];
	int64_t at;
	uint8_t sig[STORE_SIG_LEN];
	/* The signed root over every ticket's head at seq (chain.h); 0 on older checkpoints. */
	int has_tickets;
	int64_t tickets_n;
	uint8_t tickets_root[STORE_HASH_LEN];
	uint8_t tickets_sig[STORE_SIG_LEN];
	/* The signing relay's Ed25519 public key; has_signer 0 on checkpoints from before migration 13. */
	int has_signer;
	uint8_t signer[STORE_PUB_LEN];
};

/*
 * The chain's arithmetic is the relay's (relay/audit.c over protocol/chain.h), not the
 * store's: a second backend keeps links the same way and never computes a hash. Appending
 * reads the head and writes the next link in one transaction (a savepoint inside a caller's),
 * so a crash leaves the event and its link both or neither, and two writers never make the
 * same seq. make gets the next seq, the head's hash (zeros before the first) and the
 * ticket_hash of ticket's last link (zeros before its first), and fills the link: the event
 * (strings not NULL, for that ticket) and its body_hash, hash and ticket_hash. *seq_out (may
 * be NULL) gets the new link's seq. 0, or STORE_ERR when make refused or the write failed.
 */
struct store_link_new {
	int64_t ticket, at;
	const char *kind, *actor, *role, *clearance, *detail;
	uint8_t body_hash[STORE_HASH_LEN], hash[STORE_HASH_LEN], ticket_hash[STORE_HASH_LEN];
};
typedef int (*store_link_make_fn)(int64_t seq, const uint8_t prev[STORE_HASH_LEN],
				  const uint8_t ticket_prev[STORE_HASH_LEN], struct store_link_new *link, void *ctx);
int store_chain_append(struct store *st, int64_t ticket, store_link_make_fn make, void *ctx, int64_t *seq_out);
/* The links of one ticket with seq <= to (0: all), in order, with their checkpoints. */
int store_ticket_links(struct store *st, int64_t ticket, int64_t to, store_link_fn fn, void *ctx);
/*
 * The ticket's last link before seq before: its seq and ticket_hash; seq 0 and zeros when
 * it has none (ticket_hash zeros too when the column is damaged).
 */
int store_ticket_prev(struct store *st, int64_t ticket, int64_t before, int64_t *seq, uint8_t hash[STORE_HASH_LEN]);
/*
 * The head of every ticket's chain at seq upto: each ticket of the tickets table with a
 * link up to upto, in ticket order, with that last link's seq and ticket_hash (NULL when
 * damaged). fn returns non-zero to stop.
 */
typedef int (*store_head_fn)(int64_t ticket, int64_t seq, const uint8_t *ticket_hash, void *ctx);
int store_ticket_heads(struct store *st, int64_t upto, store_head_fn fn, void *ctx);

/* Links with seq in [from, to] (to 0: to the end), in order, with their checkpoints. */
int store_chain_links(struct store *st, int64_t from, int64_t to, store_link_fn fn, void *ctx);
/* The last link: its seq and hash; seq 0 and zeros when the chain is empty. */
int store_chain_head(struct store *st, int64_t *seq, uint8_t hash[STORE_HASH_LEN]);
/* Number of links, and of checkpoints. */
int store_chain_counts(struct store *st, int64_t *links, int64_t *checkpoints);
int store_checkpoint_add(struct store *st, const struct store_checkpoint *cp);
/* The checkpoint with the highest seq; STORE_NOT_FOUND when none was signed yet. */
int store_checkpoint_last(struct store *st, struct store_checkpoint *out);
/* Highest seq of a checkpoint that has no link (the records it covered are gone); 0 if none. */
int store_checkpoint_orphan(struct store *st, int64_t *seq);

/*
 * The relays' audit keys (migration 13): each relay registers its public key
 * at start, with the seq of the chain record that registered it
 * (EVENT_RELAY_KEY_ADDED, written in the same transaction), so the key set
 * is covered by the chain itself; relay verify accepts a checkpoint at seq S
 * only under a key registered at a seq <= S and not retired at or before S
 * (retired_seq 0: in service). See docs/internals.md.
 */
struct store_relay_key {
	uint8_t pub[STORE_PUB_LEN];
	char name[256];
	int64_t seq;         /* the registering record */
	int64_t added_at;
	int64_t retired_seq; /* the retiring record; 0 when in service */
};
typedef int (*store_relay_key_fn)(const struct store_relay_key *k, void *ctx);
/* STORE_ERR_EXISTS when the key is registered already (the transaction stays usable). */
int store_relay_key_add(struct store *st, const struct store_relay_key *k);
/* Every registered key, in the order of their registration. */
int store_relay_keys(struct store *st, store_relay_key_fn fn, void *ctx);
/* Marks pub retired from record seq on; STORE_NOT_FOUND when it is not registered or already retired. */
int store_relay_key_retire(struct store *st, const uint8_t pub[STORE_PUB_LEN], int64_t seq);

/*
 * Routing between relays (migration 15; relay/route.c): each relay that
 * serves puts its row, named by its audit key (a relay_keys row, whose
 * retired_seq retires the relay as a peer too), with the SSH address its
 * peers dial ("" when it takes no routed views) and its SSH host key
 * ("ssh-ed25519 BASE64"), which peers pin and which is also the key it
 * logs in to them with; seen_at is its heartbeat. live_sessions says which
 * relay holds each ticket's live customer (cleared when the customer
 * leaves, by all of a relay's at its start after a crash, and not believed
 * once the holder's seen_at is stale).
 */
struct store_peer {
	uint8_t pub[STORE_PUB_LEN];
	char name[256];      /* relay_keys.name */
	char address[256];   /* host:port */
	char host_key[1024]; /* "TYPE BASE64" */
	int64_t seen_at;
	int64_t retired_seq; /* relay_keys.retired_seq: 0 while in service */
};
typedef int (*store_peer_fn)(const struct store_peer *p, void *ctx);
/* Inserts or replaces pub's row (its audit key must be registered). */
int store_peer_put(struct store *st, const uint8_t pub[STORE_PUB_LEN], const char *address, const char *host_key,
		   int64_t now);
/* Every relay's row, in the order of their keys' registration; fn returning non-zero stops. */
int store_peers(struct store *st, store_peer_fn fn, void *ctx);
/* Ticket's live customer is on relay pub since now (the newest connection wins). */
int store_live_set(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN], int64_t now);
/* Clears ticket's row if relay pub holds it; ticket 0: every row pub holds. */
int store_live_clear(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN]);
/* The relay holding ticket's live customer; STORE_NOT_FOUND when none. */
int store_live_get(struct store *st, int64_t ticket, uint8_t pub[STORE_PUB_LEN], int64_t *since);
/*
 * Where each recording lives (migration 20; relay/audit.c's export): the
 * relay whose home holds the file at path, written when the recording
 * starts. An export on another relay fetches the file from that one
 * (relay/peerrec.c). place_get: STORE_NOT_FOUND for a recording from
 * before migration 20 (it lives where the chain was, the one relay).
 */
int store_recording_place_put(struct store *st, int64_t ticket, const char *path, const uint8_t pub[STORE_PUB_LEN],
			      int64_t now);
int store_recording_place_get(struct store *st, const char *path, uint8_t pub[STORE_PUB_LEN]);

/*
 * Intake tokens (code.h): a bundle's right to open L1 tickets. Only the
 * hash is stored. find gives STORE_NOT_FOUND for unknown and revoked
 * tokens alike; uses_since counts the tickets a token opened since then.
 */
struct store_intake {
	int64_t id;
	const char *org;
	int64_t created_at;
	int64_t revoked_at;   /* 0 while live */
	int64_t uses;
};
typedef int (*store_intake_fn)(const struct store_intake *it, void *ctx);

int store_intake_add(struct store *st, const uint8_t hash[CODE_HASH_LEN], const char *org, int64_t now,
		     int64_t *id);
int store_intake_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t *id);
int store_intake_uses_since(struct store *st, int64_t id, int64_t since, int64_t *count);
int store_intake_use(struct store *st, int64_t id, int64_t ticket, int64_t now);
/* STORE_NOT_FOUND when no live token has this id. */
int store_intake_revoke(struct store *st, int64_t id, int64_t now);
int store_intake_list(struct store *st, store_intake_fn fn, void *ctx);

/*
 * Several relays on one store (issue 18). Each relay keeps in memory what
 * it alone may know; these rows are what they must agree on.
 *
 * store_secret_check: a relay's check value for a secret every relay of
 * the store must hold alike (name "codes": relay/home.h's code_key, a MAC
 * of a fixed text under it, which says nothing of the key). The first
 * relay registers it (*added = 1); later ones find theirs equal (STORE_OK,
 * *added = 0) or another one (STORE_ERR_EXISTS).
 */
int store_secret_check(struct store *st, const char *name, const uint8_t mac[CODE_HASH_LEN], int64_t now, int *added);
/*
 * Support-code guessers across relays (guard.h): a source's (an address,
 * an IPv6 /64) wrong codes, counted in the store so that every relay
 * holds it back alike. source_wait gives its wrong codes and when its next
 * code may be checked (0 and 0: none, or none for forget seconds). source_failed counts one more (starting afresh after
 * forget quiet seconds) and sets its wait to 1, 2, 4 ... s, at most
 * backoff_max; *failures gets its count and *next_allowed the time, and
 * counts the wrong code in its second of the store's window too (kept
 * for forget seconds). code_window gives the seconds of the window
 * (now - window, now] with their counts, newest first, at most max rows;
 * the global cap of every relay reads it. source_clear forgets the source
 * (a right code).
 */
int store_source_wait(struct store *st, const char *source, int64_t now, int64_t forget, int64_t *failures,
		      int64_t *next_allowed);
int store_source_failed(struct store *st, const char *source, int64_t now, int64_t backoff_max, int64_t forget,
			int64_t *failures, int64_t *next_allowed);
int store_code_window(struct store *st, int64_t now, int64_t window, int64_t *seconds, int64_t *counts, size_t max,
		      size_t *count);
int store_source_clear(struct store *st, const char *source);
/*
 * A desk account's tickets a minute (desk_tickets_per_minute), shared by
 * every relay of the store: a bucket of per_minute tickets that starts
 * full and refills one ticket each 1/per_minute of a minute, as rate.h's,
 * kept in the account's row as the time it is whole again. desk_take
 * takes one ticket at now_ms (the relay's clock, ms since 1970) in one
 * transaction, so two relays never both take the last one: *taken 1, or
 * 0 with *wait_ms the milliseconds until one is back.
 */
int store_desk_take(struct store *st, int64_t user, int64_t now_ms, unsigned long per_minute, int *taken,
		    int64_t *wait_ms);
/*
 * Resume tokens (code.h): a helper's right to come back to its ticket on
 * any relay after its relay died. One per ticket, only the hash stored;
 * set replaces the ticket's token. find gives the ticket of a token whose
 * ticket is neither resolved nor closed, issued at or after since; else
 * STORE_NOT_FOUND.
 */
int store_resume_set(struct store *st, int64_t ticket, const uint8_t hash[CODE_HASH_LEN], int64_t now);
int store_resume_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t since, int64_t *ticket);

/*
 * The knowledge base (its own migration): articles with the lowest tier that may
 * read them ("public", then "L1".."L3"), full-text indexed by SQLite FTS5's
 * trigram tokenizer, which needs no word boundaries (Japanese has none).
 */
#define STORE_KB_TITLE_MAX 200
struct store_kb {
	int64_t id;
	const char *title, *symptoms, *cause, *fix;
	const char *tier;      /* public, L1, L2, L3 */
	const char *author;
	int64_t created_at, updated_at;
};
typedef int (*store_kb_fn)(const struct store_kb *a, void *ctx);
/* A new article; *id gets its number. */
int store_kb_add(struct store *st, const struct store_kb *a, int64_t now, int64_t *id);
/* Changes article a->id: NULL fields keep theirs. STORE_NOT_FOUND when there is no such article. */
int store_kb_update(struct store *st, const struct store_kb *a, int64_t now);
/* Article id if its tier ranks at most max_rank (0 public, 1..3 L1..L3); else STORE_NOT_FOUND. */
int store_kb_get(struct store *st, int64_t id, int max_rank, store_kb_fn fn, void *ctx);
/*
 * Articles of rank at most max_rank: match NULL gives them by number,
 * otherwise those matching the FTS5 expression match, best first (bm25);
 * at most limit. The tier is filtered in the query, before any text
 * leaves the store.
 */
int store_kb_find(struct store *st, const char *match, int max_rank, int limit, store_kb_fn fn, void *ctx);

/* P1 and P2 tickets, not closed, whose review lacks a cause or a prevention (reviewed records), by priority, at most limit. */
int store_review_pending(struct store *st, int limit, store_ticket_fn fn, void *ctx);
/* The latest "cause: ..." reviewed record of each ticket among the newest 2 * limit causes, newest first, at most limit tickets. */
typedef int (*store_cause_fn)(int64_t ticket, const char *cause, void *ctx);
int store_reviewed_causes(struct store *st, int limit, store_cause_fn fn, void *ctx);

/* Tickets with at least one event at or after since, by number. */
int store_tickets_active_since(struct store *st, int64_t since, store_ticket_fn fn, void *ctx);

/*
 * The webhooks' outbox (relay/webhook.h; migration 11). store_chain_append
 * also adds, in the event's own transaction, one outbox row per active
 * receiver whose kinds take the event's kind: a second backend does the
 * same in its append. Rows leave the outbox only when delivered.
 */
struct store_outbox_receiver {
	const char *name;
	const char *kinds;        /* "all", or ",KIND,KIND," */
};
/*
 * Makes exactly these n receivers active (adding the new ones, updating
 * kinds) and every other inactive: an inactive receiver gets no new rows,
 * and keeps what it has pending. One transaction.
 */
int store_outbox_receivers_set(struct store *st, const struct store_outbox_receiver *r, size_t n);

struct store_outbox_row {
	const char *receiver;
	int64_t seq, ticket, queued_at, attempts;
};
typedef int (*store_outbox_fn)(const struct store_outbox_row *r, void *ctx);
/*
 * Rows of active receivers due at now (next_at <= now), each the oldest
 * pending row of its receiver and ticket (so a ticket's events go in
 * order), by seq, at most limit; of receiver alone unless it is NULL (a
 * Request Tracker receiver's thread reads its own rows, webhook.c's
 * thread each of its receivers': one slow kind never fills the other's
 * limit). A head that another claimant holds (store_outbox_claim, a
 * lease not yet over) is left out, and with it the rest of its ticket;
 * claimant NULL sees every head.
 */
int store_outbox_due(struct store *st, const char *receiver, const char *claimant, int64_t now, int limit,
		     store_outbox_fn fn, void *ctx);
/*
 * Several relays deliver one outbox: before a row is sent, its sender
 * claims it until until (a lease: the transfer's time and a margin).
 * STORE_OK when the row is now the claimant's (unclaimed, its lease over,
 * or already its own: the lease is extended), STORE_NOT_FOUND when it is
 * gone or another claimant holds it. One conditional UPDATE, atomic on
 * both backends.
 */
int store_outbox_claim(struct store *st, const char *receiver, int64_t seq, const char *claimant, int64_t now,
		       int64_t until);
/*
 * A row delivered: deletes it and counts it for its receiver. A receiver
 * is failing from a failed try until none of its pending rows has failed:
 * then this clears its error, and *recovered (may be NULL) says it did.
 * STORE_NOT_FOUND when there is no such row. Joins the caller's transaction.
 */
int store_outbox_delivered(struct store *st, const char *receiver, int64_t seq, int64_t now, int *recovered);
/*
 * A try failed: the row's attempts grow by one and it waits until next_at;
 * error goes on the row and the receiver; *newly_failing (may be NULL)
 * says whether the receiver was not failing before (see delivered).
 * STORE_NOT_FOUND when there is no such row. Joins the caller's transaction.
 */
int store_outbox_failed(struct store *st, const char *receiver, int64_t seq, int64_t now, int64_t next_at,
			const char *error, int *newly_failing);
/* Makes every pending row of receiver (NULL: of all) due now; *count (may be NULL) gets how many. */
int store_outbox_retry(struct store *st, const char *receiver, int64_t *count);

struct store_outbox_status {
	const char *name;
	int active;
	int64_t delivered, pending;
	int64_t failing;          /* pending rows tried at least once */
	int64_t oldest_queued_at; /* 0 when nothing is pending */
	int64_t last_ok_at, failing_since; /* 0: never, not failing */
	const char *last_error;   /* "" when the last try went through */
};
typedef int (*store_outbox_status_fn)(const struct store_outbox_status *s, void *ctx);
/* Every receiver ever known, by name. */
int store_outbox_status(struct store *st, store_outbox_status_fn fn, void *ctx);

/*
 * Request Tracker links (relay/rt.c; migration 16): the RT
 * ticket a receiver made for a Handoff ticket, and the newest RT
 * transaction id its inbound poll has looked at (RT comments become the
 * ticket's notes once, whatever crashes between).
 */
struct store_rt_link {
	const char *receiver;
	int64_t ticket, rt_id, seen_txn, linked_at;
};
typedef int (*store_rt_link_fn)(const struct store_rt_link *l, void *ctx);
/* Links (receiver, ticket) to RT ticket rt_id, replacing an older link. Joins the caller's transaction. */
int store_rt_link_set(struct store *st, const char *receiver, int64_t ticket, int64_t rt_id, int64_t now);
/* The poll has looked at RT transactions up to txn (never moves back). STORE_NOT_FOUND: no link. */
int store_rt_link_seen(struct store *st, const char *receiver, int64_t ticket, int64_t txn);
/*
 * Links of receiver (NULL: any) and ticket (0: any), by ticket then
 * receiver, at most limit; open_only leaves out closed tickets' (nothing
 * more is polled for them).
 */
int store_rt_links(struct store *st, const char *receiver, int64_t ticket, int open_only, int limit,
		   store_rt_link_fn fn, void *ctx);

#endif
