/*
 * home: the relay's one directory, which is all an operator backs up.
 *
 *   relay.conf      settings (config.h format)
 *   host_ed25519    the SSH host key; its fingerprint is what helpers pin
 *   code.key        the secret that intake tokens are hashed under (support
 *                   codes are not: see code_key below)
 *   handoff.db      the SQLite store (plus its -wal and -shm files)
 *   keys/           0700: audit_ed25519 (the Ed25519 key that signs the
 *                   audit chain's checkpoints, PEM, 0600) and
 *                   audit_ed25519.pub (its public half, for auditors)
 *
 * The directory must be private (0700): it holds the keys that make the
 * relay who it is and the record of every session.
 */
#ifndef HANDOFF_RELAY_HOME_H
#define HANDOFF_RELAY_HOME_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "sla.h"
#include "triage.h"
#include "webhook.h"

#define HOME_PEPPER_LEN 32
#define HOME_ALSO_RELAYS_MAX 7

struct relay_home {
	char dir[PATH_MAX];
	char conf_path[PATH_MAX];
	char host_key_path[PATH_MAX];
	char pepper_path[PATH_MAX];
	char db_path[PATH_MAX];
	/*
	 * What store_open gets: db_path, or relay.conf's store = URL (a shared
	 * PostgreSQL database, store.h). May hold a password: never logged.
	 */
	char store[PATH_MAX];
	/*
	 * `also_relays`: the other relays of the store, "HOST:PORT=SHA256:..."
	 * space-separated (at most HOME_ALSO_RELAYS_MAX), that bundles name
	 * when `bundle` is given no --also-relay; "" if unset.
	 */
	char also_relays[2048];
	char keys_dir[PATH_MAX];
	char audit_key_path[PATH_MAX];
	char audit_pub_path[PATH_MAX];
	char run_user[64];               /* `user`: the account serve runs as (priv.h); "" if unset */
	char listen_host[256];
	unsigned listen_port;
	/*
	 * `peer_address`: where the other relays on this store reach this one
	 * for routed views (route.h); "" when unset: this relay then routes
	 * views out but takes none in.
	 */
	char peer_host[256];
	unsigned peer_port;
	unsigned long code_ttl;          /* seconds a support code stays valid */
	unsigned long max_unauthenticated;
	unsigned long login_grace;       /* seconds to authenticate */
	unsigned long max_unauthenticated_per_source; /* of those, from one source (guard.h) */
	unsigned long code_backoff_max;  /* seconds a source waits at most after wrong codes (guard.h) */
	unsigned long code_failures_per_minute;  /* wrong codes the relay counts per minute, at most */
	unsigned long intake_per_hour;    /* tickets one intake token may open per hour */
	unsigned long max_channels_per_connection; /* session channels and views one connection may hold (chan.c) */
	unsigned long max_channels_per_user;       /* the same, over all of one account's connections */
	unsigned long customer_events_per_minute;  /* records one customer session may turn into events (rate.h) */
	unsigned long intake_searches_per_minute;  /* self-help searches of one intake token (0: none) */
	unsigned long intake_events_per_minute;    /* the same, over all sessions one intake token opened */
	unsigned long desk_tickets_per_minute;     /* tickets one desk account opens a minute, all relays together (0: none) */
	/*
	 * OpenSSH user certificates (cert.h): the file of trusted CA keys ("" =
	 * certificates are refused) and the revocation list ("" = none). Both are
	 * read again at every certificate login, so an edit takes effect at once.
	 */
	char trusted_user_ca_keys[PATH_MAX];
	char revoked_keys[PATH_MAX];
	uint8_t pepper[HOME_PEPPER_LEN];  /* code.key: intake tokens' HMAC key */
	/*
	 * Support codes' HMAC key: drawn afresh by every relay_home_open and never
	 * written anywhere, so a copy of the home (a stolen disk, a backup) holds
	 * nothing that tests a guess at a live code; the price is that codes die
	 * with the serving process (serve cancels those left over at start).
	 * On a shared store (PostgreSQL: several relays) serve replaces it by
	 * relay_home_share_code_key's, which every relay of the store derives
	 * alike from code.key, so a code issued on one is redeemed on any.
	 */
	uint8_t code_key[HOME_PEPPER_LEN];
	/* Escalation policy. */
	unsigned long escalate_after[3];  /* seconds at L1, L2 (L3 unused); 0 = never */
	char start_tier[4][4];            /* tier a ticket of priority P1..P4 starts at */
	char log_sources[1024];           /* what escalation collects, one per line */
	/* Triage (triage.h): priority from impact and urgency; what an escalation from L1, L2 must hold. */
	struct relay_triage_matrix priority_matrix;
	struct relay_checklist checklist[2];
	/* SLA targets per priority and when to warn (sla.h). */
	struct relay_sla_targets sla;
	/* Webhook receivers (webhook.h), with their secrets: relay_home_clear wipes them. */
	struct relay_webhooks_conf webhooks;
};

/*
 * Creates a new home in dir (which must not hold one). Fills fingerprint
 * (the host key's) and audit_fp (the audit key's). run_user (may be NULL)
 * goes into relay.conf as `user`.
 */
int relay_home_init(const char *dir, const char *listen, const char *run_user, char *fingerprint, size_t fplen,
		    char *audit_fp, size_t audit_fplen, char *err, size_t errlen);
/*
 * Makes sure the home has an audit key pair, creating one when it has
 * none (homes made before the audit chain); *created says which. Fills fp
 * with the key's fingerprint. 0 or -1 with err.
 */
int relay_home_audit_key(const struct relay_home *home, int *created, char *fp, size_t fplen,
			 char *err, size_t errlen);
/* 1 when dir is a directory holding relay.conf (whatever its modes), else 0. */
/*
 * 1 when dir is a directory holding relay.conf (whatever its modes), or one
 * this account may not look into; else 0.
 */
int relay_home_is_home(const char *dir);
/* Fills err with why dir is not a relay home and what to do. */
void relay_home_not_home(const char *dir, char *err, size_t errlen);
/*
 * Loads an existing home: "not a relay home" first, then refuses one
 * readable by others, then every unknown setting and bad value of
 * relay.conf with its line.
 */
int relay_home_open(const char *dir, struct relay_home *home, char *err, size_t errlen);
/*
 * The support codes' key of relays that share a store: HMAC-SHA256(code.key,
 * "handoff support codes 1") into home->code_key, and in check the value
 * the store keeps to tell whether every relay derived the same key
 * (HMAC-SHA256(code_key, "handoff support codes check 1"), which says
 * nothing of the key). 0 or -1.
 */
int relay_home_share_code_key(struct relay_home *home, uint8_t check[HOME_PEPPER_LEN]);
/* Wipes the secrets from memory. */
void relay_home_clear(struct relay_home *home);

#endif
