/*
 * hooksig.c: see hooksig.h.
 */
#include "hooksig.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "buf.h"
#include "hex.h"

#define HOOKSIG_MAC_LEN 32

static int hooksig_mac(const void *secret, size_t secretlen, int64_t ts, const void *body, size_t bodylen,
		       uint8_t mac[HOOKSIG_MAC_LEN])
{
	char prefix[32], digest[] = "SHA256";
	int n = snprintf(prefix, sizeof(prefix), "%lld.", (long long)ts);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *alg = NULL;
	EVP_MAC_CTX *h = NULL;
	size_t maclen = 0;
	int rc = HOOKSIG_ERR_INTERNAL;

	if (n < 0 || (size_t)n >= sizeof(prefix))
		return HOOKSIG_ERR_INTERNAL;
	alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (alg == NULL || (h = EVP_MAC_CTX_new(alg)) == NULL)
		goto out;
	if (EVP_MAC_init(h, secret, secretlen, params) == 1 &&
	    EVP_MAC_update(h, (const uint8_t *)prefix, (size_t)n) == 1 &&
	    (bodylen == 0 || EVP_MAC_update(h, body, bodylen) == 1) &&
	    EVP_MAC_final(h, mac, &maclen, HOOKSIG_MAC_LEN) == 1 && maclen == HOOKSIG_MAC_LEN)
		rc = HOOKSIG_OK;
out:
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(alg);
	return rc;
}

int hooksig_sign(const void *secret, size_t secretlen, int64_t ts, const void *body, size_t bodylen,
		 char out[HOOKSIG_SIGNATURE_LEN])
{
	uint8_t mac[HOOKSIG_MAC_LEN];
	char hex[2 * HOOKSIG_MAC_LEN + 1];

	out[0] = '\0';
	if (ts < 0 || hooksig_mac(secret, secretlen, ts, body, bodylen, mac) != HOOKSIG_OK)
		return HOOKSIG_ERR_INTERNAL;
	hex_encode(mac, sizeof(mac), hex);
	snprintf(out, HOOKSIG_SIGNATURE_LEN, "t=%lld,v1=%s", (long long)ts, hex);
	return HOOKSIG_OK;
}

/* One "name=value" item up to a comma or the end: name and value point into b's bytes. */
static int hooksig_item(struct buf *b, const char **name, size_t *namelen, const char **value, size_t *valuelen)
{
	const uint8_t *start = buf_ptr(b);
	size_t n = 0, eq = 0;
	bool seen_eq = false;
	uint8_t c;

	while (buf_len(b) > 0) {
		if (buf_get_u8(b, &c) != 0)
			return HOOKSIG_ERR_FORMAT;
		if (c == ',')
			break;
		if (c == '=' && !seen_eq) {
			seen_eq = true;
			eq = n;
		} else if (c < 0x21 || c > 0x7e) {
			return HOOKSIG_ERR_FORMAT;
		}
		n++;
	}
	if (!seen_eq || eq == 0)
		return HOOKSIG_ERR_FORMAT;
	*name = (const char *)start;
	*namelen = eq;
	*value = (const char *)start + eq + 1;
	*valuelen = n - eq - 1;
	return HOOKSIG_OK;
}

/* A decimal timestamp of 1 to 18 digits (no sign, no overflow). */
static int hooksig_number(const char *p, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return HOOKSIG_ERR_FORMAT;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return HOOKSIG_ERR_FORMAT;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return HOOKSIG_OK;
}

#define HOOKSIG_V1_MAX 8

int hooksig_verify(const void *secret, size_t secretlen, const char *header, size_t headerlen, const void *body,
		   size_t bodylen, int64_t now, int64_t window, int64_t *ts, char *why, size_t whylen)
{
	uint8_t want[HOOKSIG_MAC_LEN], got[HOOKSIG_V1_MAX][HOOKSIG_MAC_LEN];
	size_t nv1 = 0;
	int64_t t = -1;
	bool matched = false;
	struct buf b;

	if (headerlen > HOOKSIG_HEADER_MAX) {
		snprintf(why, whylen, "the signature header is longer than %u bytes", HOOKSIG_HEADER_MAX);
		return HOOKSIG_ERR_FORMAT;
	}
	buf_view(&b, header, headerlen);
	while (buf_len(&b) > 0) {
		const char *name, *value;
		size_t namelen, valuelen;

		if (hooksig_item(&b, &name, &namelen, &value, &valuelen) != HOOKSIG_OK) {
			snprintf(why, whylen, "the signature header is not t=TIMESTAMP,v1=HEX");
			return HOOKSIG_ERR_FORMAT;
		}
		if (namelen == 1 && name[0] == 't') {
			if (t >= 0 || hooksig_number(value, valuelen, &t) != HOOKSIG_OK) {
				snprintf(why, whylen, "the signature header's timestamp is not one decimal number");
				return HOOKSIG_ERR_FORMAT;
			}
		} else if (namelen == 2 && memcmp(name, "v1", 2) == 0) {
			if (nv1 == HOOKSIG_V1_MAX || valuelen != 2 * HOOKSIG_MAC_LEN ||
			    hex_decode(value, valuelen, got[nv1], HOOKSIG_MAC_LEN) != 0) {
				snprintf(why, whylen, "the signature header's v1 is not 64 hexadecimal digits");
				return HOOKSIG_ERR_FORMAT;
			}
			nv1++;
		}
		/* Other schemes (a later v2) are skipped: an old receiver still checks v1. */
	}
	if (t < 0 || nv1 == 0) {
		snprintf(why, whylen, "the signature header lacks %s", t < 0 ? "its timestamp t=" : "a v1= signature");
		return HOOKSIG_ERR_FORMAT;
	}
	if (ts != NULL)
		*ts = t;
	if (hooksig_mac(secret, secretlen, t, body, bodylen, want) != HOOKSIG_OK) {
		snprintf(why, whylen, "HMAC-SHA256 failed");
		return HOOKSIG_ERR_INTERNAL;
	}
	for (size_t i = 0; i < nv1; i++)
		if (CRYPTO_memcmp(want, got[i], HOOKSIG_MAC_LEN) == 0)
			matched = true;
	OPENSSL_cleanse(want, sizeof(want));
	/* The signature first: an unsigned timestamp says nothing, so a forgery is called a forgery. */
	if (!matched) {
		snprintf(why, whylen, "the signature does not match the body (forged, changed, or another secret)");
		return HOOKSIG_ERR_MISMATCH;
	}
	if (t > now + window || t < now - window) {
		snprintf(why, whylen, "the signature's timestamp is %lld s from now, outside the %lld s window (a replay?)",
			 (long long)(t - now), (long long)window);
		return HOOKSIG_ERR_STALE;
	}
	return HOOKSIG_OK;
}
