/*
 * store.c: the front of store.h. store_open chooses the backend by the
 * scheme of what it is given; everything else goes through the store's
 * table (store_backend.h), so callers never know which one they hold.
 */
#include "store_backend.h"

#include <string.h>

int store_is_url(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	*out = NULL;
	if (store_is_url(path))
		return store_pg_open(path, out, err, errlen);
	return store_sqlite_open(path, out, err, errlen);
}

const char *store_backend_name(const struct store *st)
{
	return st->be->name;
}

void store_close(struct store *st)
{
	if (st != NULL)
		st->be->close(st);
}

int store_open_again(const struct store *st, struct store **out, char *err, size_t errlen)
{
	return st->be->open_again(st, out, err, errlen);
}

int store_user_add(struct store *st, const char *name, const char *role, const char *tier, const char *key_type,
		   const char *key_base64, char *err, size_t errlen)
{
	return st->be->user_add(st, name, role, tier, key_type, key_base64, err, errlen);
}

int store_user_by_key(struct store *st, const char *key_type, const char *key_base64, struct store_user *out)
{
	return st->be->user_by_key(st, key_type, key_base64, out);
}

int store_user_by_name(struct store *st, const char *name, struct store_user *out)
{
	return st->be->user_by_name(st, name, out);
}

int store_user_state(struct store *st, int64_t id, char *state, size_t statelen)
{
	return st->be->user_state(st, id, state, statelen);
}

int store_user_list(struct store *st, store_user_key_fn fn, void *ctx)
{
	return st->be->user_list(st, fn, ctx);
}

int store_user_set_state(struct store *st, const char *name, const char *state, int64_t now, struct store_user *out,
			 char *err, size_t errlen)
{
	return st->be->user_set_state(st, name, state, now, out, err, errlen);
}

int store_begin(struct store *st)
{
	return st->be->begin(st);
}

int store_begin_read(struct store *st)
{
	return st->be->begin_read(st);
}

int store_commit(struct store *st)
{
	return st->be->commit(st);
}

void store_rollback(struct store *st)
{
	st->be->rollback(st);
}

int store_ticket_new(struct store *st, const struct store_ticket_spec *spec, int64_t now, int64_t *id)
{
	return st->be->ticket_new(st, spec, now, id);
}

int store_ticket_get(struct store *st, int64_t id, struct store_ticket *out)
{
	return st->be->ticket_get(st, id, out);
}

int store_ticket_update(struct store *st, int64_t id, const char *state, const char *tier, int64_t owner_id,
			int64_t now)
{
	return st->be->ticket_update(st, id, state, tier, owner_id, now);
}

int store_ticket_sla_pause(struct store *st, int64_t id, int64_t now)
{
	return st->be->ticket_sla_pause(st, id, now);
}

int store_ticket_sla_resume(struct store *st, int64_t id, int64_t now, int64_t *paused_for)
{
	return st->be->ticket_sla_resume(st, id, now, paused_for);
}

int store_ticket_first_response(struct store *st, int64_t id, int64_t now, int *set)
{
	return st->be->ticket_first_response(st, id, now, set);
}

int store_ticket_sla_flags(struct store *st, int64_t id, int add)
{
	return st->be->ticket_sla_flags(st, id, add);
}

int store_sla_running(struct store *st, store_ticket_fn fn, void *ctx)
{
	return st->be->sla_running(st, fn, ctx);
}

int store_ticket_set_priority(struct store *st, int64_t id, const char *priority, int64_t now)
{
	return st->be->ticket_set_priority(st, id, priority, now);
}

int store_queue(struct store *st, const char *tier, store_ticket_fn fn, void *ctx)
{
	return st->be->queue(st, tier, fn, ctx);
}

int store_tickets_owned(struct store *st, int64_t owner_id, store_ticket_fn fn, void *ctx)
{
	return st->be->tickets_owned(st, owner_id, fn, ctx);
}

int store_tickets_due(struct store *st, const char *tier, int64_t now, int64_t limit, store_ticket_fn fn, void *ctx)
{
	return st->be->tickets_due(st, tier, now, limit, fn, ctx);
}

int store_tier_oldest(struct store *st, const char *tier, int64_t *since)
{
	return st->be->tier_oldest(st, tier, since);
}

int store_code_add(struct store *st, int64_t ticket, unsigned locator, const uint8_t hash[CODE_HASH_LEN], int64_t now,
		   int64_t expires_at, int *replaced)
{
	return st->be->code_add(st, ticket, locator, hash, now, expires_at, replaced);
}

int store_code_cancel(struct store *st, int64_t ticket, int64_t now, int *count)
{
	return st->be->code_cancel(st, ticket, now, count);
}

int store_code_cancel_all(struct store *st, int64_t now, int *count)
{
	return st->be->code_cancel_all(st, now, count);
}

int store_code_redeem(struct store *st, unsigned locator, const uint8_t hash[CODE_HASH_LEN], int64_t now, int *verdict,
		      int64_t *ticket)
{
	return st->be->code_redeem(st, locator, hash, now, verdict, ticket);
}

int store_events(struct store *st, int64_t ticket, const char *kind, store_event_fn fn, void *ctx)
{
	return st->be->events(st, ticket, kind, fn, ctx);
}

int store_attachment_add(struct store *st, int64_t ticket, int64_t now, const char *kind, const char *name,
			 const char *author, const char *clearance, const void *content, size_t len, int64_t *id,
			 char sha256_hex[65])
{
	return st->be->attachment_add(st, ticket, now, kind, name, author, clearance, content, len, id, sha256_hex);
}

int store_attachments(struct store *st, int64_t ticket, store_attachment_fn fn, void *ctx)
{
	return st->be->attachments(st, ticket, fn, ctx);
}

int store_attachment_get(struct store *st, int64_t ticket, int64_t id, store_attachment_fn meta, void *ctx,
			 uint8_t **content, size_t *len)
{
	return st->be->attachment_get(st, ticket, id, meta, ctx, content, len);
}

int store_attachment_read(struct store *st, int64_t ticket, int64_t id, store_chunk_fn fn, void *ctx)
{
	return st->be->attachment_read(st, ticket, id, fn, ctx);
}

int store_tickets_all(struct store *st, store_ticket_fn fn, void *ctx)
{
	return st->be->tickets_all(st, fn, ctx);
}

int store_chain_append(struct store *st, int64_t ticket, store_link_make_fn make, void *ctx, int64_t *seq_out)
{
	return st->be->chain_append(st, ticket, make, ctx, seq_out);
}

int store_ticket_links(struct store *st, int64_t ticket, int64_t to, store_link_fn fn, void *ctx)
{
	return st->be->ticket_links(st, ticket, to, fn, ctx);
}

int store_ticket_prev(struct store *st, int64_t ticket, int64_t before, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	return st->be->ticket_prev(st, ticket, before, seq, hash);
}

int store_ticket_heads(struct store *st, int64_t upto, store_head_fn fn, void *ctx)
{
	return st->be->ticket_heads(st, upto, fn, ctx);
}

int store_chain_links(struct store *st, int64_t from, int64_t to, store_link_fn fn, void *ctx)
{
	return st->be->chain_links(st, from, to, fn, ctx);
}

int store_chain_head(struct store *st, int64_t *seq, uint8_t hash[STORE_HASH_LEN])
{
	return st->be->chain_head(st, seq, hash);
}

int store_chain_counts(struct store *st, int64_t *links, int64_t *checkpoints)
{
	return st->be->chain_counts(st, links, checkpoints);
}

int store_checkpoint_add(struct store *st, const struct store_checkpoint *cp)
{
	return st->be->checkpoint_add(st, cp);
}

int store_checkpoint_last(struct store *st, struct store_checkpoint *out)
{
	return st->be->checkpoint_last(st, out);
}

int store_checkpoint_orphan(struct store *st, int64_t *seq)
{
	return st->be->checkpoint_orphan(st, seq);
}

int store_relay_key_add(struct store *st, const struct store_relay_key *k)
{
	return st->be->relay_key_add(st, k);
}

int store_relay_keys(struct store *st, store_relay_key_fn fn, void *ctx)
{
	return st->be->relay_keys(st, fn, ctx);
}

int store_relay_key_retire(struct store *st, const uint8_t pub[STORE_PUB_LEN], int64_t seq)
{
	return st->be->relay_key_retire(st, pub, seq);
}

int store_peer_put(struct store *st, const uint8_t pub[STORE_PUB_LEN], const char *address, const char *host_key,
		   int64_t now)
{
	return st->be->peer_put(st, pub, address, host_key, now);
}

int store_peers(struct store *st, store_peer_fn fn, void *ctx)
{
	return st->be->peers(st, fn, ctx);
}

int store_live_set(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN], int64_t now)
{
	return st->be->live_set(st, ticket, pub, now);
}

int store_live_clear(struct store *st, int64_t ticket, const uint8_t pub[STORE_PUB_LEN])
{
	return st->be->live_clear(st, ticket, pub);
}

int store_live_get(struct store *st, int64_t ticket, uint8_t pub[STORE_PUB_LEN], int64_t *since)
{
	return st->be->live_get(st, ticket, pub, since);
}

int store_recording_place_put(struct store *st, int64_t ticket, const char *path, const uint8_t pub[STORE_PUB_LEN],
			      int64_t now)
{
	return st->be->recording_place_put(st, ticket, path, pub, now);
}

int store_recording_place_get(struct store *st, const char *path, uint8_t pub[STORE_PUB_LEN])
{
	return st->be->recording_place_get(st, path, pub);
}

int store_intake_add(struct store *st, const uint8_t hash[CODE_HASH_LEN], const char *org, int64_t now, int64_t *id)
{
	return st->be->intake_add(st, hash, org, now, id);
}

int store_intake_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t *id)
{
	return st->be->intake_find(st, hash, id);
}

int store_intake_uses_since(struct store *st, int64_t id, int64_t since, int64_t *count)
{
	return st->be->intake_uses_since(st, id, since, count);
}

int store_intake_use(struct store *st, int64_t id, int64_t ticket, int64_t now)
{
	return st->be->intake_use(st, id, ticket, now);
}

int store_intake_revoke(struct store *st, int64_t id, int64_t now)
{
	return st->be->intake_revoke(st, id, now);
}

int store_intake_list(struct store *st, store_intake_fn fn, void *ctx)
{
	return st->be->intake_list(st, fn, ctx);
}

int store_kb_add(struct store *st, const struct store_kb *a, int64_t now, int64_t *id)
{
	return st->be->kb_add(st, a, now, id);
}

int store_kb_update(struct store *st, const struct store_kb *a, int64_t now)
{
	return st->be->kb_update(st, a, now);
}

int store_kb_get(struct store *st, int64_t id, int max_rank, store_kb_fn fn, void *ctx)
{
	return st->be->kb_get(st, id, max_rank, fn, ctx);
}

int store_kb_find(struct store *st, const char *match, int max_rank, int limit, store_kb_fn fn, void *ctx)
{
	return st->be->kb_find(st, match, max_rank, limit, fn, ctx);
}

int store_tickets_active_since(struct store *st, int64_t since, store_ticket_fn fn, void *ctx)
{
	return st->be->tickets_active_since(st, since, fn, ctx);
}

int store_review_pending(struct store *st, int limit, store_ticket_fn fn, void *ctx)
{
	return st->be->review_pending(st, limit, fn, ctx);
}

int store_reviewed_causes(struct store *st, int limit, store_cause_fn fn, void *ctx)
{
	return st->be->reviewed_causes(st, limit, fn, ctx);
}

int store_outbox_receivers_set(struct store *st, const struct store_outbox_receiver *r, size_t n)
{
	return st->be->outbox_receivers_set(st, r, n);
}

int store_outbox_due(struct store *st, const char *receiver, const char *claimant, int64_t now, int limit,
		     store_outbox_fn fn, void *ctx)
{
	return st->be->outbox_due(st, receiver, claimant, now, limit, fn, ctx);
}

int store_outbox_claim(struct store *st, const char *receiver, int64_t seq, const char *claimant, int64_t now,
		       int64_t until)
{
	return st->be->outbox_claim(st, receiver, seq, claimant, now, until);
}

int store_outbox_delivered(struct store *st, const char *receiver, int64_t seq, int64_t now, int *recovered)
{
	return st->be->outbox_delivered(st, receiver, seq, now, recovered);
}

int store_outbox_failed(struct store *st, const char *receiver, int64_t seq, int64_t now, int64_t next_at, const char *error, int *newly_failing)
{
	return st->be->outbox_failed(st, receiver, seq, now, next_at, error, newly_failing);
}

int store_outbox_retry(struct store *st, const char *receiver, int64_t *count)
{
	return st->be->outbox_retry(st, receiver, count);
}

int store_outbox_status(struct store *st, store_outbox_status_fn fn, void *ctx)
{
	return st->be->outbox_status(st, fn, ctx);
}

int store_rt_link_set(struct store *st, const char *receiver, int64_t ticket, int64_t rt_id, int64_t now)
{
	return st->be->rt_link_set(st, receiver, ticket, rt_id, now);
}

int store_rt_link_seen(struct store *st, const char *receiver, int64_t ticket, int64_t txn)
{
	return st->be->rt_link_seen(st, receiver, ticket, txn);
}

int store_rt_links(struct store *st, const char *receiver, int64_t ticket, int open_only, int limit,
		   store_rt_link_fn fn, void *ctx)
{
	return st->be->rt_links(st, receiver, ticket, open_only, limit, fn, ctx);
}

int store_secret_check(struct store *st, const char *name, const uint8_t mac[CODE_HASH_LEN], int64_t now, int *added)
{
	return st->be->secret_check(st, name, mac, now, added);
}

int store_source_wait(struct store *st, const char *source, int64_t now, int64_t forget, int64_t *failures,
		      int64_t *next_allowed)
{
	return st->be->source_wait(st, source, now, forget, failures, next_allowed);
}

int store_source_failed(struct store *st, const char *source, int64_t now, int64_t backoff_max, int64_t forget,
			int64_t *failures, int64_t *next_allowed)
{
	return st->be->source_failed(st, source, now, backoff_max, forget, failures, next_allowed);
}

int store_code_window(struct store *st, int64_t now, int64_t window, int64_t *seconds, int64_t *counts, size_t max,
		      size_t *count)
{
	return st->be->code_window(st, now, window, seconds, counts, max, count);
}

int store_source_clear(struct store *st, const char *source)
{
	return st->be->source_clear(st, source);
}

int store_desk_take(struct store *st, int64_t user, int64_t now_ms, unsigned long per_minute, int *taken,
		    int64_t *wait_ms)
{
	/*
	 * Nanoseconds: a ticket's step (a minute / per_minute) rounded down to
	 * one lets no extra ticket into a full bucket's burst for budgets up to
	 * 244948 (60 s in ns over the budget squared stays at least 1 ns); the
	 * config allows 10000.
	 */
	const int64_t minute_ns = INT64_C(60000000000);
	int64_t step_ns, full_at_ns = 0;
	int rc;

	*taken = 0;
	*wait_ms = INT64_MAX;
	if (per_minute == 0 || per_minute > (unsigned long)minute_ns)
		return STORE_OK;
	if (now_ms < 0 || now_ms > INT64_MAX / 1000000 - minute_ns / 1000000)
		return STORE_ERR;
	step_ns = minute_ns / (int64_t)per_minute;
	rc = st->be->desk_take(st, user, now_ms * 1000000, step_ns, minute_ns - step_ns, taken, &full_at_ns);
	if (rc != STORE_OK)
		return rc;
	/* Until one ticket's worth is back, rounded up as rate.c's relay_rate_wait_ms does. */
	*wait_ms = *taken ? 0 : (full_at_ns - now_ms * 1000000 - (minute_ns - step_ns)) / 1000000 + 1;
	return STORE_OK;
}

int store_resume_set(struct store *st, int64_t ticket, const uint8_t hash[CODE_HASH_LEN], int64_t now)
{
	return st->be->resume_set(st, ticket, hash, now);
}

int store_resume_find(struct store *st, const uint8_t hash[CODE_HASH_LEN], int64_t since, int64_t *ticket)
{
	return st->be->resume_find(st, hash, since, ticket);
}
