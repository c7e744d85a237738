/*
 * store_backend.h: what a backend of store.h provides, for store.c and the
 * backends only (callers include store.h and never see this).
 *
 * store.c is a thin front: store_open picks a backend by the name it is
 * given (a postgresql:// URL or a file), and every other store_* function
 * forwards through the table its store carries. A backend's own struct
 * starts with a struct store, so the table's functions take the public
 * pointer and each backend finds its own state from it (store_sqlite.c,
 * store_pg.c). The table is one line per store.h function, in its order.
 */
#ifndef HANDOFF_RELAY_STORE_BACKEND_H
#define HANDOFF_RELAY_STORE_BACKEND_H

#include "store.h"

struct store_backend;

struct store {
	const struct store_backend *be;
};

struct store_backend {
	const char *name; /* "sqlite", "postgresql" */
	void (*close)(struct store *st);
	int (*open_again)(const struct store *st, struct store **out, char *err, size_t errlen);
	int (*user_add)(struct store *st, const char *name, const char *role, const char *tier, const char *key_type,
			const char *key_base64, char *err, size_t errlen);
	int (*user_by_key)(struct store *st, const char *key_type, const char *key_base64, struct store_user *out);
	int (*user_by_name)(struct store *st, const char *name, struct store_user *out);
	int (*user_state)(struct store *st, int64_t id, char *state, size_t statelen);
	int (*user_list)(struct store *st, store_user_key_fn fn, void *ctx);
	int (*user_set_state)(struct store *st, const char *name, const char *state, int64_t now,
			      struct store_user *out, char *err, size_t errlen);
	int (*begin)(struct store *st);
	int (*begin_read)(struct store *st);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	int (*ticket_new)(struct store *st, const struct store_ticket_spec *spec, int64_t now, int64_t *id);
	int (*ticket_get)(struct store *st, int64_t id, struct store_ticket *out);
	int (*ticket_update)(struct store *st, int64_t id, const char *state, const char *tier, int64_t owner_id,
			     int64_t now);
	int (*ticket_sla_pause)(struct store *st, int64_t id, int64_t now);
	int (*ticket_sla_resume)(struct store *st, int64_t id, int64_t now, int64_t *paused_for);
	int (*ticket_first_response)(struct store *st, int64_t id, int64_t now, int *set);
	int (*ticket_sla_flags)(struct store *st, int64_t id, int add);
	int (*sla_running)(struct store *st, store_ticket_fn fn, void *ctx);
	int (*ticket_set_priority)(struct store *st, int64_t id, const char *priority, int64_t now);
	int (*queue)(struct store *st, const char *tier, store_ticket_fn fn, void *ctx);
	int (*tickets_owned)(struct store *st, int64_t owner_id, store_ticket_fn fn, void *ctx);
	int (*tickets_due)(struct store *st, const char *tier, int64_t now, int64_t limit, store_ticket_fn fn,
			   void *ctx);
	int (*tier_oldest)(struct store *st, const char *tier, int64_t *since);
	int (*code_add)(struct store *st, int64_t ticket, unsigned locator, const uint8_t hash[CODE_HASH_LEN],
			int64_t now, int64_t expires_at, int *replaced);
	int (*code_cancel)(struct store *st, int64_t ticket, int64_t now, int *count);
	int (*code_cancel_all)(struct store *st, int64_t now, int *count);
	int (*code_redeem)(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN], int64_t now,
			   int *verdict, int64_t *ticket);
	int (*events)(struct store *st, int64_t ticket, const char *kind, store_event_fn fn, void *ctx);
	int (*attachment_add)(struct store *st, int64_t ticket, int64_t now, const char *kind, const char *name,
			      const char *author, const char *clearance, const void *content, size_t len, int64_t *id,
			      char sha256_hex[65]);
	int (*attachments)(struct store *st, int64_t ticket, store_attachment_fn fn, void *ctx);
	int (*attachment_get)(struct store *st, int64_t ticket, int64_t id, store_attachment_fn meta, void *ctx,
			      uint8_t **content, size_t *len);
	int (*attachment_read)(struct store *st, int64_t ticket, int64_t id, store_chunk_fn fn, void *ctx);
	int (*tickets_all)(struct store *st, store_ticket_fn fn, void *ctx);
	int (*chain_append)(struct store *st, int64_t ticket, store_link_make_fn make, void *ctx, int64_t *seq_out);
	int (*ticket_links)(struct store *st, int64_t ticket, int64_t to, store_link_fn fn, void *ctx);
	int (*ticket_prev)(struct store *st, int64_t ticket, int64_t before, int64_t *seq,
			   uint8_t hash[STORE_HASH_LEN]);
	int (*ticket_heads)(struct store *st, int64_t upto, store_head_fn fn, void *ctx);
	int (*chain_links)(struct store *st, int64_t from, int64_t to, store_link_fn fn, void *ctx);
	int (*chain_head)(struct store *st, int64_t *seq, uint8_t hash[STORE_HASH_LEN]);
	int (*chain_counts)(struct store *st, int64_t *links, int64_t *checkpoints);
	int (*checkpoint_add)(struct store *st, const struct store_checkpoint *cp);
	int (*checkpoint_last)(struct store *st, struct store_checkpoint *out);
	int (*checkpoint_orphan)(struct store *st, int64_t *seq);
	int (*relay_key_add)(struct store *st, const struct store_relay_key *k);
	int (*relay_keys)(struct store *st, store_relay_key_fn fn, void *ctx);
	int (*relay_key_retire)(struct store *st, const uint8_t pub[STORE_PUB_LEN], int64_t seq);
	int (*peer_put)(struct store *st, const uint8_t pub[STORE_PUB_LEN], const char *address, const char *host_key,
			int64_t now);
	int (*peers)(struct store *st, store_peer_fn fn, void *ctx);
	int (*live_set)(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN], int64_t now);
	int (*live_clear)(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN]);
	int (*live_get)(struct store *st, int64_t ticket, uint8_t pub[STORE_PUB_LEN], int64_t *since);
	int (*recording_place_put)(struct store *st, int64_t ticket, const char *path, const uint8_t pub[STORE_PUB_LEN],
				   int64_t now);
	int (*recording_place_get)(struct store *st, const char *path, uint8_t pub[STORE_PUB_LEN]);
	int (*intake_add)(struct store *st, const uint8_t hash[CODE_HASH_LEN], const char *org, int64_t now,
			  int64_t *id);
	int (*intake_find)(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t *id);
	int (*intake_uses_since)(struct store *st, int64_t id, int64_t since, int64_t *count);
	int (*intake_use)(struct store *st, int64_t id, int64_t ticket, int64_t now);
	int (*intake_revoke)(struct store *st, int64_t id, int64_t now);
	int (*intake_list)(struct store *st, store_intake_fn fn, void *ctx);
	int (*kb_add)(struct store *st, const struct store_kb *a, int64_t now, int64_t *id);
	int (*kb_update)(struct store *st, const struct store_kb *a, int64_t now);
	int (*kb_get)(struct store *st, int64_t id, int max_rank, store_kb_fn fn, void *ctx);
	int (*kb_find)(struct store *st, const char *match, int max_rank, int limit, store_kb_fn fn, void *ctx);
	int (*tickets_active_since)(struct store *st, int64_t since, store_ticket_fn fn, void *ctx);
	int (*review_pending)(struct store *st, int limit, store_ticket_fn fn, void *ctx);
	int (*reviewed_causes)(struct store *st, int limit, store_cause_fn fn, void *ctx);
	int (*outbox_receivers_set)(struct store *st, const struct store_outbox_receiver *r, size_t n);
	int (*outbox_due)(struct store *st, const char *receiver, const char *claimant, int64_t now, int limit,
			  store_outbox_fn fn, void *ctx);
	int (*outbox_claim)(struct store *st, const char *receiver, int64_t seq, const char *claimant, int64_t now,
			    int64_t until);
	int (*outbox_delivered)(struct store *st, const char *receiver, int64_t seq, int64_t now, int *recovered);
	int (*outbox_failed)(struct store *st, const char *receiver, int64_t seq, int64_t now, int64_t next_at, const char *error, int *newly_failing);
	int (*outbox_retry)(struct store *st, const char *receiver, int64_t *count);
	int (*outbox_status)(struct store *st, store_outbox_status_fn fn, void *ctx);
	int (*rt_link_set)(struct store *st, const char *receiver, int64_t ticket, int64_t rt_id, int64_t now);
	int (*rt_link_seen)(struct store *st, const char *receiver, int64_t ticket, int64_t txn);
	int (*rt_links)(struct store *st, const char *receiver, int64_t ticket, int open_only, int limit,
			store_rt_link_fn fn, void *ctx);
	int (*secret_check)(struct store *st, const char *name, const uint8_t mac[CODE_HASH_LEN], int64_t now, int *added);
	int (*source_wait)(struct store *st, const char *source, int64_t now, int64_t forget, int64_t *failures,
			   int64_t *next_allowed);
	int (*source_failed)(struct store *st, const char *source, int64_t now, int64_t backoff_max, int64_t forget,
			     int64_t *failures, int64_t *next_allowed);
	int (*source_clear)(struct store *st, const char *source);
	int (*desk_take)(struct store *st, int64_t user, int64_t now_ns, int64_t step_ns, int64_t slack_ns, int *taken,
			 int64_t *full_at_ns);
	int (*code_window)(struct store *st, int64_t now, int64_t window, int64_t *seconds, int64_t *counts, size_t max,
			   size_t *count);
	int (*resume_set)(struct store *st, int64_t ticket, const uint8_t hash[CODE_HASH_LEN], int64_t now);
	int (*resume_find)(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t since, int64_t *ticket);
};

/* The backends' opens: each fills *out with its store, whose be is its table. */
int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen);
int store_pg_open(const char *url, struct store **out, char *err, size_t errlen);

#endif
