/*
 * protocol/hooksig.c, the webhooks' signature: a known HMAC-SHA256 vector
 * (computed independently with openssl dgst -hmac), a round trip, and each
 * refusal a receiver relies on: a changed body, another secret, a changed
 * timestamp, a timestamp outside the replay window either way, and headers
 * that are not t=...,v1=... (bounded, nothing read past the given length).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hooksig.h"

static const char secret[] = "0123456789abcdef-test-secret";
static const char body[] = "{\"schema\":1,\"kind\":\"chat\"}\n";

static int verify(const char *header, const char *b, int64_t now, char *why, size_t whylen)
{
	return hooksig_verify(secret, strlen(secret), header, strlen(header), b, strlen(b), now, 300, NULL, why, whylen);
}

static void test_known_vector(void **state)
{
	char sig[HOOKSIG_SIGNATURE_LEN];

	(void)state;
	/* printf '1700000000.{"schema":1,"kind":"chat"}\n' | openssl dgst -sha256 -hmac 0123456789abcdef-test-secret */
	assert_int_equal(hooksig_sign(secret, strlen(secret), 1700000000, body, strlen(body), sig), HOOKSIG_OK);
	assert_string_equal(sig, "t=1700000000,v1=ea8d5aef5501a39b96c0f8cc0ce4f858b38dfa421d57e9415fc53df2f2ba3127");
}

static void test_round_trip_and_refusals(void **state)
{
	char sig[HOOKSIG_SIGNATURE_LEN], hdr[400], why[256];
	int64_t ts = 0;

	(void)state;
	assert_int_equal(hooksig_sign(secret, strlen(secret), 1700000000, body, strlen(body), sig), HOOKSIG_OK);
	assert_int_equal(hooksig_verify(secret, strlen(secret), sig, strlen(sig), body, strlen(body), 1700000100, 300, &ts,
					why, sizeof(why)),
			 HOOKSIG_OK);
	assert_int_equal(ts, 1700000000);
	/* The window holds both ways, inclusive. */
	assert_int_equal(verify(sig, body, 1700000300, why, sizeof(why)), HOOKSIG_OK);
	assert_int_equal(verify(sig, body, 1699999700, why, sizeof(why)), HOOKSIG_OK);
	assert_int_equal(verify(sig, body, 1700000301, why, sizeof(why)), HOOKSIG_ERR_STALE);
	assert_non_null(strstr(why, "window"));
	assert_int_equal(verify(sig, body, 1699999699, why, sizeof(why)), HOOKSIG_ERR_STALE);
	/* A changed body, a changed timestamp, another secret. */
	assert_int_equal(verify(sig, "{\"schema\":1,\"kind\":\"note\"}\n", 1700000000, why, sizeof(why)),
			 HOOKSIG_ERR_MISMATCH);
	snprintf(hdr, sizeof(hdr), "t=1700000001,%s", strchr(sig, ',') + 1);
	assert_int_equal(verify(hdr, body, 1700000000, why, sizeof(why)), HOOKSIG_ERR_MISMATCH);
	assert_int_equal(hooksig_verify("another-secret-16", 17, sig, strlen(sig), body, strlen(body), 1700000000, 300,
					NULL, why, sizeof(why)),
			 HOOKSIG_ERR_MISMATCH);
	/* A forgery is called a forgery even with a stale timestamp. */
	assert_int_equal(verify("t=1,v1=0000000000000000000000000000000000000000000000000000000000000000", body,
				1700000000, why, sizeof(why)),
			 HOOKSIG_ERR_MISMATCH);
	/* Several v1 (a secret being rotated) and an unknown scheme: one match is enough. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%064d,v2=zz,%s", 0, strchr(sig, ',') + 1);
	assert_int_equal(verify(hdr, body, 1700000000, why, sizeof(why)), HOOKSIG_OK);
}

static void test_malformed_headers(void **state)
{
	static const char *const bad[] = {
		"", "t=", "v1=ab", "t=1700000000", "t=1700000000,v1=", "t=abc,v1=00", "t=-5,v1=00",
		"t=1700000000,v1=zz00000000000000000000000000000000000000000000000000000000000000",
		"t=1700000000,v1=0000", "t=1,t=2,v1=0000000000000000000000000000000000000000000000000000000000000000",
		"t=1700000000 ,v1=0000000000000000000000000000000000000000000000000000000000000000",
		"=1,v1=0000000000000000000000000000000000000000000000000000000000000000", "garbage",
		"t=1234567890123456789,v1=0000000000000000000000000000000000000000000000000000000000000000",
	};
	char why[256], big[HOOKSIG_HEADER_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(verify(bad[i], body, 1700000000, why, sizeof(why)), HOOKSIG_ERR_FORMAT);
		assert_true(why[0] != '\0');
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(verify(big, body, 1700000000, why, sizeof(why)), HOOKSIG_ERR_FORMAT);
	/* Only headerlen bytes are read: a valid header cut short is refused. */
	{
		char sig[HOOKSIG_SIGNATURE_LEN];

		assert_int_equal(hooksig_sign(secret, strlen(secret), 1700000000, body, strlen(body), sig), HOOKSIG_OK);
		assert_int_equal(hooksig_verify(secret, strlen(secret), sig, strlen(sig) - 1, body, strlen(body), 1700000000,
						300, NULL, why, sizeof(why)),
				 HOOKSIG_ERR_FORMAT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vector),
		cmocka_unit_test(test_round_trip_and_refusals),
		cmocka_unit_test(test_malformed_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
