/*
 * guard.c: see guard.h.
 *
 * Sources live in a fixed open-addressed table: a lookup probes at most
 * RELAY_GUARD_PROBES slots from the name's hash, and slots are reused but
 * never emptied, so a lookup may stop at the first empty slot. A guesser
 * with more addresses than slots only pushes out the sources seen longest
 * ago, which the global cap covers anyway.
 *
 * The global window is 60 one-second buckets, each stamped with the second
 * it counts, so a bucket left from an older minute reads as empty.
 */
#include "guard.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "code.h"
#include "event.h"

#define RELAY_GUARD_PROBES 32
#define RELAY_GUARD_WINDOW 60

struct relay_guard_source {
	char name[RELAY_GUARD_SOURCE_MAX];   /* "" for a slot never used */
	uint32_t failures;
	int64_t last_failure;
	int64_t next_allowed;
	int64_t store_read_at;  /* the second the store's count for it was last read (-1: never) */
};

struct relay_guard {
	struct relay_guard_config cfg;
	struct relay_guard_source sources[RELAY_GUARD_SOURCES];
	int64_t bucket_at[RELAY_GUARD_WINDOW];
	uint32_t bucket_n[RELAY_GUARD_WINDOW];
	int64_t capped_until;    /* the end of the cap last reported, so each closing is audited once */
	int64_t window_read_at;  /* the second the store's window was last read (-1: never) */
	struct relay_guard_stats stats;
};

struct relay_guard *relay_guard_new(const struct relay_guard_config *cfg)
{
	struct relay_guard *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->cfg = *cfg;
	if (g->cfg.backoff_max == 0)
		g->cfg.backoff_max = 1;
	if (g->cfg.failures_per_minute == 0)
		g->cfg.failures_per_minute = 1;
	for (int i = 0; i < RELAY_GUARD_WINDOW; i++)
		g->bucket_at[i] = -1;
	g->window_read_at = -1;
	return g;
}

void relay_guard_free(struct relay_guard *g)
{
	free(g);
}

void relay_guard_source(const char *peer, char out[RELAY_GUARD_SOURCE_MAX])
{
	unsigned char a6[16];

	if (peer != NULL && strchr(peer, ':') != NULL && inet_pton(AF_INET6, peer, a6) == 1) {
		char text[INET6_ADDRSTRLEN];

		/* One customer network is one /64; counting single v6 addresses would give a guesser 2^64 sources. */
		memset(a6 + 8, 0, 8);
		if (inet_ntop(AF_INET6, a6, text, sizeof(text)) != NULL) {
			snprintf(out, RELAY_GUARD_SOURCE_MAX, "%s/64", text);
			return;
		}
	}
	snprintf(out, RELAY_GUARD_SOURCE_MAX, "%s", peer ? peer : "?");
}

static uint32_t relay_guard_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static bool relay_guard_forgotten(const struct relay_guard_source *s, int64_t now)
{
	return s->failures == 0 || now - s->last_failure >= RELAY_GUARD_FORGET;
}

/* The source's slot, or NULL when it is not tracked (create: take a slot for it). */
static struct relay_guard_source *relay_guard_find(struct relay_guard *g, const char *name, int64_t now, bool create)
{
	uint32_t h = relay_guard_hash(name);
	struct relay_guard_source *victim = NULL;

	for (uint32_t i = 0; i < RELAY_GUARD_PROBES; i++) {
		struct relay_guard_source *s = &g->sources[(h + i) % RELAY_GUARD_SOURCES];

		if (s->name[0] == '\0') {
			if (victim == NULL)
				victim = s;
			break;
		}
		if (strcmp(s->name, name) == 0) {
			if (relay_guard_forgotten(s, now))
				s->failures = 0;
			return s;
		}
		if (victim == NULL || (victim->name[0] != '\0' && s->last_failure < victim->last_failure))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->store_read_at = -1;
	snprintf(victim->name, sizeof(victim->name), "%s", name);
	return victim;
}

/* Wrong codes counted in the 60 s that end at now. */
static uint64_t relay_guard_window(const struct relay_guard *g, int64_t now)
{
	uint64_t n = 0;

	for (int i = 0; i < RELAY_GUARD_WINDOW; i++)
		if (g->bucket_at[i] > now - RELAY_GUARD_WINDOW && g->bucket_at[i] <= now)
			n += g->bucket_n[i];
	return n;
}

/* Seconds until the window holds fewer than factor times the cap. */
static int64_t relay_guard_cap_wait(const struct relay_guard *g, int64_t now, unsigned long factor)
{
	uint64_t n = relay_guard_window(g, now);

	for (int64_t t = now - RELAY_GUARD_WINDOW + 1; t <= now; t++) {
		const int i = (int)(((t % RELAY_GUARD_WINDOW) + RELAY_GUARD_WINDOW) % RELAY_GUARD_WINDOW);

		if (g->bucket_at[i] == t)
			n -= g->bucket_n[i];
		if (n < g->cfg.failures_per_minute * factor)
			return t + RELAY_GUARD_WINDOW - now;
	}
	return RELAY_GUARD_WINDOW;
}

void relay_guard_share_window(struct relay_guard *g, const int64_t *seconds, const int64_t *counts, size_t n)
{
	for (int i = 0; i < RELAY_GUARD_WINDOW; i++)
		g->bucket_at[i] = -1;
	for (size_t k = 0; k < n; k++) {
		const int b = (int)(((seconds[k] % RELAY_GUARD_WINDOW) + RELAY_GUARD_WINDOW) % RELAY_GUARD_WINDOW);

		if (counts[k] <= 0)
			continue;
		g->bucket_at[b] = seconds[k];
		g->bucket_n[b] = counts[k] > UINT32_MAX ? UINT32_MAX : (uint32_t)counts[k];
	}
}

void relay_guard_share_source(struct relay_guard *g, const char *source, int64_t now, int64_t failures,
			      int64_t next_allowed)
{
	struct relay_guard_source *s = relay_guard_find(g, source, now, failures > 0);

	if (s == NULL)
		return;
	if (failures <= 0) {
		s->failures = 0;
		return;
	}
	s->failures = failures > UINT32_MAX ? UINT32_MAX : (uint32_t)failures;
	s->next_allowed = next_allowed;
	s->store_read_at = now;
	/* The store says the source failed within the forget time; its second is not kept, now stands in for it. */
	s->last_failure = now;
}

/*
 * Whether this relay's own view, read from the store this same second,
 * already refuses the source, so that the store need not be asked again:
 * the cap closed to every source, or the source's wait. This relay's view
 * is the store's as read plus its own failures since, which the store
 * holds too; what it cannot see is the store changing under it (another
 * relay forgets a source on a right code, an operator clears a count), so
 * it trusts that view for the rest of the second only. A flood is then
 * one or two reads a second, not two per guess, and a customer another
 * relay just let in is refused here for at most the rest of that second.
 * (A cap closed only to guessers is left to the store.) Nothing is
 * counted: relay_guard_admit does that.
 */
static bool relay_guard_refused_here(struct relay_guard *g, const char *source, int64_t now)
{
	const struct relay_guard_source *s = relay_guard_find(g, source, now, false);

	if (s != NULL && s->failures > 0 && now < s->next_allowed && s->store_read_at == now)
		return true;
	return g->window_read_at == now &&
	       relay_guard_window(g, now) >= g->cfg.failures_per_minute * RELAY_GUARD_CLEAN_FACTOR;
}

int relay_guard_admit(struct relay_guard *g, const char *source, int64_t now, int64_t *wait)
{
	struct relay_guard_source *s = relay_guard_find(g, source, now, false);

	*wait = 0;
	if (s != NULL && s->failures > 0 && now < s->next_allowed) {
		*wait = s->next_allowed - now;
		g->stats.backoff++;
		return RELAY_CODE_BACKOFF;
	}
	/*
	 * A closed cap holds back only sources that already guessed wrong: the
	 * guessers. A customer typing their code from an address with at most
	 * a typo is still checked, up to RELAY_GUARD_CLEAN_FACTOR times the
	 * cap, so a botnet must bring fresh addresses every minute to lock
	 * customers out, not 30 addresses once.
	 */
	if (relay_guard_window(g, now) >= g->cfg.failures_per_minute) {
		const bool clean = s == NULL || relay_guard_forgotten(s, now) || s->failures < RELAY_GUARD_CLEAN_TRIES;

		if (!clean || relay_guard_window(g, now) >= g->cfg.failures_per_minute * RELAY_GUARD_CLEAN_FACTOR) {
			*wait = relay_guard_cap_wait(g, now, clean ? RELAY_GUARD_CLEAN_FACTOR : 1);
			g->stats.capped++;
			return RELAY_CODE_CAPPED;
		}
	}
	return 0;
}

bool relay_guard_failed(struct relay_guard *g, const char *source, int64_t now, int *capped_now,
		       char *audit, size_t auditlen)
{
	struct relay_guard_source *s = relay_guard_find(g, source, now, true);
	const int b = (int)(((now % RELAY_GUARD_WINDOW) + RELAY_GUARD_WINDOW) % RELAY_GUARD_WINDOW);
	int64_t delay = 1;

	if (g->bucket_at[b] != now) {
		g->bucket_at[b] = now;
		g->bucket_n[b] = 0;
	}
	g->bucket_n[b]++;
	*capped_now = 0;
	if (relay_guard_window(g, now) >= g->cfg.failures_per_minute && now >= g->capped_until) {
		g->capped_until = now + relay_guard_cap_wait(g, now, 1);
		*capped_now = 1;
	}

	if (s->failures < UINT32_MAX)
		s->failures++;
	s->last_failure = now;
	for (uint32_t i = 1; i < s->failures && delay < (int64_t)g->cfg.backoff_max; i++)
		delay *= 2;
	if (delay > (int64_t)g->cfg.backoff_max)
		delay = (int64_t)g->cfg.backoff_max;
	s->next_allowed = now + delay;
	if (s->failures < RELAY_GUARD_AUDIT_FROM)
		return false;
	snprintf(audit, auditlen, "%s: %u wrong codes; its next code is checked in %lld s", s->name, s->failures,
		 (long long)delay);
	return true;
}

void relay_guard_succeeded(struct relay_guard *g, const char *source)
{
	struct relay_guard_source *s = relay_guard_find(g, source, 0, false);

	if (s != NULL)
		s->failures = 0;
}

void relay_guard_stats(const struct relay_guard *g, struct relay_guard_stats *out)
{
	*out = g->stats;
	out->sources = 0;
	for (int i = 0; i < RELAY_GUARD_SOURCES; i++)
		if (g->sources[i].name[0] != '\0' && g->sources[i].failures > 0)
			out->sources++;
}

const char *relay_code_result_name(int result)
{
	switch (result) {
	case STORE_CODE_ACCEPTED: return "accepted";
	case STORE_CODE_WRONG: return "wrong code";
	case STORE_CODE_UNKNOWN: return "no such code";
	case STORE_CODE_EXPIRED: return "expired";
	case STORE_CODE_LOCKED: return "locked after too many wrong tries";
	case STORE_CODE_USED: return "already used";
	case STORE_CODE_CANCELLED: return "cancelled (a newer code, or the ticket was resolved)";
	case STORE_CODE_CLOSED: return "the ticket is resolved";
	case RELAY_CODE_BACKOFF: return "not checked: this source must wait after wrong codes";
	case RELAY_CODE_CAPPED: return "not checked: too many wrong codes in the last minute";
	default: return "error";
	}
}

/* The token of an "intake:TOKEN" answer: *verdict STORE_CODE_ACCEPTED with *id, or STORE_CODE_UNKNOWN. 0 or STORE_ERR. */
static int relay_intake_lookup(struct store *st, const uint8_t *pepper, size_t pepper_len, const char *typed,
			       int *verdict, int64_t *id)
{
	uint8_t hash[CODE_HASH_LEN];
	size_t plen = strlen(INTAKE_ANSWER_PREFIX);
	int rc;

	*verdict = STORE_CODE_UNKNOWN;
	if (strncmp(typed, INTAKE_ANSWER_PREFIX, plen) != 0 || !intake_token_ok(typed + plen))
		return STORE_OK;
	if (intake_token_hash(pepper, pepper_len, typed + plen, hash) != 0)
		return STORE_ERR;
	rc = store_intake_find(st, hash, id);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc == STORE_OK)
		*verdict = STORE_CODE_ACCEPTED;
	return rc == STORE_OK || rc == STORE_NOT_FOUND ? STORE_OK : STORE_ERR;
}

/* The ticket of a "resume:TOKEN" answer: *verdict STORE_CODE_ACCEPTED with *ticket, or STORE_CODE_UNKNOWN. 0 or STORE_ERR. */
static int relay_resume_lookup(struct store *st, const char *typed, int64_t now, int *verdict, int64_t *ticket)
{
	uint8_t hash[CODE_HASH_LEN];
	size_t plen = strlen(RESUME_ANSWER_PREFIX);
	int rc;

	*verdict = STORE_CODE_UNKNOWN;
	if (resume_token_hash(typed + plen, hash) != 0)
		return STORE_OK;
	rc = store_resume_find(st, hash, now - RESUME_TOKEN_TTL, ticket);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc == STORE_OK)
		*verdict = STORE_CODE_ACCEPTED;
	return rc == STORE_OK || rc == STORE_NOT_FOUND ? STORE_OK : STORE_ERR;
}

int relay_code_check(struct relay_guard *g, struct store *st, const uint8_t *code_key, size_t key_len,
		     const char *peer, const char *typed, int64_t now, int *verdict, int64_t *ticket)
{
	return relay_customer_check(g, st, code_key, NULL, key_len, peer, typed, now, verdict, ticket, NULL, NULL);
}

int relay_intake_check(struct relay_guard *g, struct store *st, const uint8_t *code_key,
		       const uint8_t *intake_key, size_t key_len, const char *peer, const char *typed, int64_t now,
		       int *verdict, int64_t *ticket, int64_t *intake)
{
	return relay_customer_check(g, st, code_key, intake_key, key_len, peer, typed, now, verdict, ticket, intake,
				    NULL);
}

int relay_customer_check(struct relay_guard *g, struct store *st, const uint8_t *code_key,
			 const uint8_t *intake_key, size_t key_len, const char *peer, const char *typed, int64_t now,
			 int *verdict, int64_t *ticket, int64_t *intake, bool *resumed)
{
	char source[RELAY_GUARD_SOURCE_MAX], digits[CODE_DIGITS + 1], audit[160];
	uint8_t hash[CODE_HASH_LEN];
	int64_t wait, refused_ticket = 0;
	int result, rc = STORE_OK, capped_now = 0;

	relay_guard_source(peer, source);
	/*
	 * The minute's wrong codes and the source's, as every relay of the
	 * store counted them (guard.h), this one's among them: the guard then
	 * judges from what the store knows. Not asked when this relay refuses
	 * already: a flood refused unchecked costs no store round trip (a
	 * million guesses on PostgreSQL took 400 s of the unit test's time
	 * with two reads each). Always asked for a helper's resume token: it
	 * comes back because its relay just died, maybe within the second this
	 * relay last read the store, and a refusal there ends the session
	 * (test_failover found it); a token of 16 random bytes is not guessed,
	 * and each try is a whole SSH login.
	 */
	if ((resumed != NULL && typed != NULL && strncmp(typed, RESUME_ANSWER_PREFIX, strlen(RESUME_ANSWER_PREFIX)) == 0) ||
	    !relay_guard_refused_here(g, source, now)) {
		int64_t seconds[RELAY_GUARD_WINDOW], counts[RELAY_GUARD_WINDOW], failures, next_allowed;
		size_t n;

		if (store_code_window(st, now, RELAY_GUARD_WINDOW, seconds, counts, RELAY_GUARD_WINDOW, &n) != STORE_OK ||
		    store_source_wait(st, source, now, RELAY_GUARD_FORGET, &failures, &next_allowed) != STORE_OK)
			return STORE_ERR;
		relay_guard_share_window(g, seconds, counts, n);
		g->window_read_at = now;
		relay_guard_share_source(g, source, now, failures, next_allowed);
	}
	*verdict = relay_guard_admit(g, source, now, &wait);
	if (*verdict != 0)
		return STORE_OK;
	result = STORE_CODE_UNKNOWN;
	if (resumed != NULL)
		*resumed = false;
	if (resumed != NULL && typed != NULL && strncmp(typed, RESUME_ANSWER_PREFIX, strlen(RESUME_ANSWER_PREFIX)) == 0) {
		g->stats.checked++;
		rc = relay_resume_lookup(st, typed, now, &result, &refused_ticket);
		*resumed = result == STORE_CODE_ACCEPTED;
	} else if (intake != NULL && intake_key != NULL && typed != NULL && strncmp(typed, INTAKE_ANSWER_PREFIX, strlen(INTAKE_ANSWER_PREFIX)) == 0) {
		g->stats.checked++;
		rc = relay_intake_lookup(st, intake_key, key_len, typed, &result, intake);
	} else if (typed != NULL && code_parse(typed, digits) == 0) {
		if (code_hash(code_key, key_len, digits, hash) != 0) {
			OPENSSL_cleanse(digits, sizeof(digits));
			return STORE_ERR;
		}
		g->stats.checked++;
		rc = store_code_redeem(st, code_locator(digits), hash, now, &result, &refused_ticket);
		OPENSSL_cleanse(digits, sizeof(digits));
		OPENSSL_cleanse(hash, sizeof(hash));
	}
	if (rc != STORE_OK)
		return STORE_ERR;
	*verdict = result;
	if (result == STORE_CODE_ACCEPTED) {
		*ticket = refused_ticket;
		relay_guard_succeeded(g, source);
		return store_source_clear(st, source) == STORE_OK ? STORE_OK : STORE_ERR;
	}
	{
		int64_t failures, next_allowed;

		if (store_source_failed(st, source, now, (int64_t)g->cfg.backoff_max, RELAY_GUARD_FORGET, &failures,
					&next_allowed) != STORE_OK)
			return STORE_ERR;
	}
	if (result == STORE_CODE_WRONG || result == STORE_CODE_LOCKED || result == STORE_CODE_CANCELLED ||
	    result == STORE_CODE_CLOSED)
		relay_audit_event(st, refused_ticket, now, EVENT_CODE_REFUSED, "customer", "customer", NULL,
				relay_code_result_name(result));
	if (relay_guard_failed(g, source, now, &capped_now, audit, sizeof(audit))) {
		relay_audit_event(st, 0, now, EVENT_CODE_BACKOFF, "relay", "relay", NULL, audit);
		g->stats.audited++;
	}
	if (capped_now) {
		snprintf(audit, sizeof(audit),
			 "%lu wrong codes in 60 s: for %lld s only addresses without wrong codes are checked "
			 "(last from %s)",
			 g->cfg.failures_per_minute, (long long)(g->capped_until - now), source);
		relay_audit_event(st, 0, now, EVENT_CODE_CAP, "relay", "relay", NULL, audit);
		g->stats.audited++;
	}
	return STORE_OK;
}
