/*
 * witness: signed heads of the audit chain kept outside the relay, and the
 * check that the relay still contains every head it ever showed.
 *
 * A checkpoint (chain.h) says "the chain up to seq ends in hash", signed
 * by the audit key. Whoever holds the relay home holds that key too, so
 * the database alone cannot prove that records were not cut off and the
 * chain signed again: only a head kept somewhere else can. Two places keep
 * heads, in one line format:
 *
 *   head SEQ HASH AT SIG        (decimal, 64 hex digits, decimal, 128 hex digits)
 *
 * - the relay home's audit-head file, the relay's latest checkpoint,
 *   rewritten at each one (relay/audit.c): it catches a database cut or
 *   rewritten without the home around it;
 * - an auditor's witness file (handoff-tech witness), one line per head
 *   seen in exports and in the relay's `verify --json`, per audit key: it
 *   catches a home rewritten as a whole.
 *
 * Later evidence (an export, or `verify --json`) gives the checkpoints
 * the relay has now, (seq, hash) each, and its newest signed head. A kept
 * head past the newest is a truncation; one whose seq has no checkpoint
 * now, or another hash, is a rewrite (a fork of the chain).
 */
#ifndef HANDOFF_WITNESS_H
#define HANDOFF_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"

#define WITNESS_LINE_MAX 256

struct witness_head {
	uint64_t seq;
	uint8_t hash[CHAIN_HASH_LEN];
	int64_t at;
	uint8_t sig[CHAIN_SIG_LEN];
};

/* One checkpoint as later evidence shows it. */
struct witness_cp {
	uint64_t seq;
	uint8_t hash[CHAIN_HASH_LEN];
};

/* "head SEQ HASH AT SIG\n" into out (WITNESS_LINE_MAX bytes will do). */
void witness_head_format(const struct witness_head *h, char *out, size_t outlen);
/* One line (no newline in it). 0 or -1. */
int witness_head_parse(const char *line, size_t n, struct witness_head *out);
/* 1 when the head carries the audit key's signature. */
int witness_head_signed(const uint8_t pub[CHAIN_PUB_LEN], const struct witness_head *h);

/* Every head line of a file's n bytes, in order; a line that is not one is an error. 0 or -1. */
typedef int (*witness_head_fn)(const struct witness_head *h, void *ctx);
int witness_heads_parse(const uint8_t *p, size_t n, witness_head_fn fn, void *ctx);

/*
 * The relay's `verify --json` output: its "head" (newest checkpoint, with
 * signature) and "heads" (every checkpoint, seq and hash; only the newest
 * 8000 on a long chain, "heads_complete":false, and *partial is set).
 * cps gets a malloc'd array the caller frees. 0, or -1 (not that output,
 * or no head).
 */
int witness_parse_verify_json(const uint8_t *p, size_t n, struct witness_head *head, struct witness_cp **cps,
			      size_t *ncps, int *partial);

/*
 * Checks a kept head against what the relay has now: cps (sorted by seq)
 * and its newest head. 0 when the relay still contains it; 1 when partial
 * and the head is older than the first of cps (not checkable here: an
 * export carries every checkpoint); -1 with err saying truncation or fork,
 * naming seq and time.
 */
int witness_check(const struct witness_head *kept, const struct witness_cp *cps, size_t ncps, int partial,
		  const struct witness_head *newest, char *err, size_t errlen);

#endif
