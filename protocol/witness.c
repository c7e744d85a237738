/*
 * witness.c: see witness.h. Text in, through buf views; every number and
 * hash has a fixed form, and anything else is refused, not guessed at.
 */
#include "witness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"

void witness_head_format(const struct witness_head *h, char *out, size_t outlen)
{
	char hash[2 * CHAIN_HASH_LEN + 1], sig[2 * CHAIN_SIG_LEN + 1];

	hex_encode(h->hash, CHAIN_HASH_LEN, hash);
	hex_encode(h->sig, CHAIN_SIG_LEN, sig);
	snprintf(out, outlen, "head %llu %s %lld %s\n", (unsigned long long)h->seq, hash, (long long)h->at, sig);
}

/* The next run of bytes up to delim (consumed with it) or to the end; 0 or -1 when empty. */
static int witness_token(struct buf *b, char delim, const uint8_t **tok, size_t *len)
{
	const uint8_t *p = buf_ptr(b), *end;
	size_t n = buf_len(b);

	end = memchr(p, delim, n);
	*tok = p;
	*len = end ? (size_t)(end - p) : n;
	if (*len == 0)
		return -1;
	return buf_consume(b, *len + (end != NULL)) == 0 ? 0 : -1;
}

/* Decimal digits only, at most 18 of them: no sign, no overflow. */
static int witness_number(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

int witness_head_parse(const char *line, size_t n, struct witness_head *out)
{
	const uint8_t *t;
	size_t len;
	uint64_t at;
	struct buf b;

	memset(out, 0, sizeof(*out));
	buf_view(&b, line, n);
	if (witness_token(&b, ' ', &t, &len) != 0 || len != 4 || memcmp(t, "head", 4) != 0 ||
	    witness_token(&b, ' ', &t, &len) != 0 || witness_number(t, len, &out->seq) != 0 || out->seq == 0 ||
	    witness_token(&b, ' ', &t, &len) != 0 || hex_decode((const char *)t, len, out->hash, CHAIN_HASH_LEN) != 0 ||
	    witness_token(&b, ' ', &t, &len) != 0 || witness_number(t, len, &at) != 0 ||
	    witness_token(&b, ' ', &t, &len) != 0 || hex_decode((const char *)t, len, out->sig, CHAIN_SIG_LEN) != 0 ||
	    buf_len(&b) != 0)
		return -1;
	out->at = (int64_t)at;
	return 0;
}

int witness_head_signed(const uint8_t pub[CHAIN_PUB_LEN], const struct witness_head *h)
{
	return chain_checkpoint_verify(pub, h->seq, h->hash, h->at, h->sig);
}

int witness_heads_parse(const uint8_t *p, size_t n, witness_head_fn fn, void *ctx)
{
	struct buf b;
	const uint8_t *line;
	size_t len;

	buf_view(&b, p, n);
	while (buf_len(&b) > 0) {
		struct witness_head h;

		if (witness_token(&b, '\n', &line, &len) != 0 || len > WITNESS_LINE_MAX ||
		    witness_head_parse((const char *)line, len, &h) != 0 || fn(&h, ctx) != 0)
			return -1;
	}
	return 0;
}

/* Skips past the first occurrence of key (a literal such as "\"head\":{") in b; 0 or -1. */
static int witness_find(struct buf *b, const char *key)
{
	size_t klen = strlen(key), n = buf_len(b);
	const uint8_t *p = buf_ptr(b);

	for (size_t i = 0; i + klen <= n; i++)
		if (memcmp(p + i, key, klen) == 0)
			return buf_consume(b, i + klen) == 0 ? 0 : -1;
	return -1;
}

/* Exactly lit next in b, consumed; 0 or -1. */
static int witness_expect(struct buf *b, const char *lit)
{
	size_t n = strlen(lit);

	if (buf_len(b) < n || memcmp(buf_ptr(b), lit, n) != 0)
		return -1;
	return buf_consume(b, n) == 0 ? 0 : -1;
}

/* A JSON number (digits) ended by end, consumed with it. */
static int witness_json_number(struct buf *b, char end, uint64_t *v)
{
	const uint8_t *t;
	size_t len;

	return witness_token(b, end, &t, &len) == 0 && witness_number(t, len, v) == 0 ? 0 : -1;
}

/* "HEX" of n bytes, then end, consumed. */
static int witness_json_hex(struct buf *b, char end, uint8_t *out, size_t n)
{
	const uint8_t *t;
	size_t len;

	if (witness_expect(b, "\"") != 0 || witness_token(b, '"', &t, &len) != 0 ||
	    hex_decode((const char *)t, len, out, n) != 0)
		return -1;
	return end ? (buf_len(b) > 0 && buf_ptr(b)[0] == (uint8_t)end ? buf_consume(b, 1) : -1) : 0;
}

int witness_parse_verify_json(const uint8_t *p, size_t n, struct witness_head *head, struct witness_cp **cps,
			      size_t *ncps, int *partial)
{
	struct witness_cp *v = NULL;
	size_t count = 0, cap = 0;
	uint64_t at;
	struct buf b;

	*cps = NULL;
	*ncps = 0;
	*partial = 0;
	memset(head, 0, sizeof(*head));
	/* The shape the relay's emitter writes (relay/exec.c): no spaces, keys in this order. */
	buf_view(&b, p, n);
	if (witness_find(&b, "\"head\":{\"seq\":") != 0 || witness_json_number(&b, ',', &head->seq) != 0 ||
	    witness_expect(&b, "\"hash\":") != 0 || witness_json_hex(&b, ',', head->hash, CHAIN_HASH_LEN) != 0 ||
	    witness_expect(&b, "\"at\":") != 0 || witness_json_number(&b, ',', &at) != 0 ||
	    witness_expect(&b, "\"sig\":") != 0 || witness_json_hex(&b, '}', head->sig, CHAIN_SIG_LEN) != 0 ||
	    witness_expect(&b, ",\"heads\":[") != 0 || head->seq == 0)
		return -1;
	head->at = (int64_t)at;
	while (witness_expect(&b, "]") != 0) {
		if (count > 0 && witness_expect(&b, ",") != 0)
			goto fail;
		if (count == cap) {
			size_t want = cap ? 2 * cap : 64;
			struct witness_cp *grown;

			/* A checkpoint a record at least: far more than any relay signs. */
			if (want > (size_t)1 << 24 || (grown = realloc(v, want * sizeof(*v))) == NULL)
				goto fail;
			v = grown;
			cap = want;
		}
		if (witness_expect(&b, "{\"seq\":") != 0 || witness_json_number(&b, ',', &v[count].seq) != 0 ||
		    witness_expect(&b, "\"hash\":") != 0 || witness_json_hex(&b, '}', v[count].hash, CHAIN_HASH_LEN) != 0 ||
		    (count > 0 && v[count].seq <= v[count - 1].seq))
			goto fail;
		count++;
	}
	/* The newest head must be the last of the list, or the list is not the relay's whole. */
	if (count == 0 || v[count - 1].seq != head->seq || memcmp(v[count - 1].hash, head->hash, CHAIN_HASH_LEN) != 0)
		goto fail;
	*partial = witness_expect(&b, ",\"heads_complete\":false") == 0;
	*cps = v;
	*ncps = count;
	return 0;
fail:
	free(v);
	return -1;
}

int witness_check(const struct witness_head *kept, const struct witness_cp *cps, size_t ncps, int partial,
		  const struct witness_head *newest, char *err, size_t errlen)
{
	char want[2 * CHAIN_HASH_LEN + 1], got[2 * CHAIN_HASH_LEN + 1];
	size_t lo = 0, hi = ncps;

	hex_encode(kept->hash, CHAIN_HASH_LEN, want);
	if (kept->seq > newest->seq) {
		snprintf(err, errlen,
			 "TRUNCATION: the relay signed seq %llu (hash %.16s..., at %lld) and now ends at seq %llu",
			 (unsigned long long)kept->seq, want, (long long)kept->at, (unsigned long long)newest->seq);
		return -1;
	}
	if (partial && ncps > 0 && kept->seq < cps[0].seq)
		return 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cps[mid].seq < kept->seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ncps || cps[lo].seq != kept->seq) {
		snprintf(err, errlen,
			 "FORK: the relay signed seq %llu (hash %.16s..., at %lld) and has no checkpoint there now: "
			 "the chain was rewritten",
			 (unsigned long long)kept->seq, want, (long long)kept->at);
		return -1;
	}
	if (memcmp(cps[lo].hash, kept->hash, CHAIN_HASH_LEN) != 0) {
		hex_encode(cps[lo].hash, CHAIN_HASH_LEN, got);
		snprintf(err, errlen, "FORK: at seq %llu the relay signed hash %.16s... (at %lld), now it has %.16s...",
			 (unsigned long long)kept->seq, want, (long long)kept->at, got);
		return -1;
	}
	return 0;
}
