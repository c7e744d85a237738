/*
 * hooksig: the signature on Handoff's webhooks, for the relay that signs
 * and for a receiver that checks (docs/webhooks.md).
 *
 * A delivery carries the header
 *
 *   Handoff-Signature: t=UNIX_SECONDS,v1=HEX
 *
 * where HEX is HMAC-SHA256(secret, "UNIX_SECONDS." || body) in lowercase
 * hexadecimal. Signing the timestamp with the body lets a receiver refuse
 * an old delivery replayed by someone who recorded it: hooksig_verify
 * accepts only timestamps within window seconds of its clock. Within the
 * window, a replay carries a Handoff-Event-Id the receiver has seen, and
 * a receiver that drops repeated ids (as at-least-once delivery asks it
 * to anyway) refuses it too.
 *
 * A header may carry several v1= values (a receiver's secret being
 * rotated): one that matches is enough. The header is parsed through
 * buf.h, capped at HOOKSIG_HEADER_MAX bytes and fuzzed
 * (tests/fuzz/fuzz_hooksig.c). Comparison is in constant time.
 *
 * This file needs only OpenSSL's libcrypto, so that a receiver written in
 * C can take hooksig.c, hooksig.h, buf.c, buf.h, hex.c and hex.h alone.
 */
#ifndef HANDOFF_HOOKSIG_H
#define HANDOFF_HOOKSIG_H

#include <stddef.h>
#include <stdint.h>

#define HOOKSIG_HEADER_MAX 512u
/* Seconds a timestamp may differ from the receiver's clock, either way, by default. */
#define HOOKSIG_WINDOW_DEFAULT 300
/* "t=" 20 digits ",v1=" 64 hex and a NUL. */
#define HOOKSIG_SIGNATURE_LEN 96u

enum {
	HOOKSIG_OK = 0,
	HOOKSIG_ERR_FORMAT = -1,   /* not t=...,v1=... */
	HOOKSIG_ERR_STALE = -2,    /* the timestamp is outside the window: a replay, or a clock far off */
	HOOKSIG_ERR_MISMATCH = -3, /* no v1 matches: a forgery, a changed body or another secret */
	HOOKSIG_ERR_INTERNAL = -4, /* OpenSSL failed */
};

/* The header's value for body signed at ts into out (HOOKSIG_SIGNATURE_LEN bytes). 0 or HOOKSIG_ERR_INTERNAL. */
int hooksig_sign(const void *secret, size_t secretlen, int64_t ts, const void *body, size_t bodylen,
		 char out[HOOKSIG_SIGNATURE_LEN]);

/*
 * Checks header (the Handoff-Signature value, headerlen bytes, not
 * necessarily NUL-terminated) against body at now: 0 when a v1 matches
 * and |now - t| <= window, else a negative HOOKSIG_ERR_* with why filled
 * in plain words. *ts (may be NULL) gets the header's timestamp when it
 * parsed.
 */
int hooksig_verify(const void *secret, size_t secretlen, const char *header, size_t headerlen, const void *body,
		   size_t bodylen, int64_t now, int64_t window, int64_t *ts, char *why, size_t whylen);

#endif
