/*
 * test_code.c: unit tests for protocol/code.c, the one-time support codes.
 * A code is read aloud over the phone and typed by a customer, so parsing is
 * forgiving about spaces and dashes and strict about everything else; the
 * relay keeps only an HMAC of it, so the hash must be deterministic under
 * one pepper and change with the pepper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "code.h"

static void assert_formatted(const char *text)
{
	assert_int_equal(strlen(text), 14);
	for (int i = 0; i < 14; i++) {
		if (i == 4 || i == 9)
			assert_int_equal(text[i], '-');
		else
			assert_in_range(text[i], '0', '9');
	}
}

static void test_generate_format(void **state)
{
	char text[CODE_TEXT_MAX];
	char again[CODE_TEXT_MAX];
	char digits[CODE_DIGITS + 1];

	(void)state;
	memset(text, 'x', sizeof(text));
	assert_int_equal(code_generate(text), 0);
	assert_formatted(text);
	assert_int_equal(code_parse(text, digits), 0);
	assert_memory_equal(digits, text, 4);
	assert_memory_equal(digits + 4, text + 5, 4);
	assert_memory_equal(digits + 8, text + 10, 4);

	/* Two codes colliding by chance has probability 1e-12. */
	assert_int_equal(code_generate(again), 0);
	assert_formatted(again);
	assert_string_not_equal(text, again);
}

static void test_generate_digits_roughly_uniform(void **state)
{
	enum { DRAWS = 10000 };
	unsigned counts[10] = { 0 };
	unsigned drawn = 0;
	char text[CODE_TEXT_MAX];

	(void)state;
	while (drawn < DRAWS) {
		assert_int_equal(code_generate(text), 0);
		for (const char *p = text; *p != '\0' && drawn < DRAWS; p++) {
			if (*p == '-')
				continue;
			counts[*p - '0']++;
			drawn++;
		}
	}
	/* Expected 1000 each, sd about 30: 800..1200 only fails on a real bias. */
	for (int d = 0; d < 10; d++)
		if (counts[d] < DRAWS * 8 / 100 || counts[d] > DRAWS * 12 / 100)
			fail_msg("digit %d drawn %u times out of %d", d, counts[d], DRAWS);
}

static void expect_parse(const char *typed, const char *want)
{
	char digits[CODE_DIGITS + 1];

	memset(digits, 'x', sizeof(digits));
	if (code_parse(typed, digits) != 0)
		fail_msg("code_parse(\"%s\") failed", typed);
	assert_string_equal(digits, want);
}

static void expect_reject(const char *typed)
{
	char digits[CODE_DIGITS + 1];

	if (code_parse(typed, digits) != -1)
		fail_msg("code_parse(\"%s\") accepted", typed == NULL ? "(null)" : typed);
}

static void test_parse_accepts_spaces_and_dashes(void **state)
{
	(void)state;
	expect_parse("123456789012", "123456789012");
	expect_parse("1234-5678-9012", "123456789012");
	expect_parse("1234 5678 9012", "123456789012");
	expect_parse("  1234 - 5678 -- 9012  ", "123456789012");
	expect_parse("1-2-3-4-5-6-7-8-9-0-1-2", "123456789012");
	expect_parse("-000000000000-", "000000000000");
	expect_parse("9999 9999 9999", "999999999999");
}

static void test_parse_rejects(void **state)
{
	(void)state;
	expect_reject(NULL);
	expect_reject("");
	expect_reject("----");
	expect_reject("12345678901");         /* 11 digits */
	expect_reject("1234-5678-901");
	expect_reject("1234567890123");       /* 13 digits */
	expect_reject("1234-5678-9012-3");
	expect_reject("1234-5678-901a");      /* letters */
	expect_reject("abcd-efgh-ijkl");
	expect_reject("1234-5678-9O12");      /* letter O for zero */
	expect_reject("1234\t5678\t9012");    /* only spaces and dashes separate */
	expect_reject("1234-5678-9012\n");
	expect_reject("1234_5678_9012");
	expect_reject("+123456789012");
	expect_reject("１２３４-5678-9012");   /* fullwidth digits */
	expect_reject("1234-5678-9012\xff");
}

static void test_locator(void **state)
{
	(void)state;
	assert_int_equal(code_locator("000000000000"), 0);
	assert_int_equal(code_locator("000199999999"), 1);
	assert_int_equal(code_locator("042011112222"), 420);
	assert_int_equal(code_locator("123456789012"), 1234);
	assert_int_equal(code_locator("999900000000"), 9999);
}

static void test_generated_locator_matches_text(void **state)
{
	char text[CODE_TEXT_MAX], digits[CODE_DIGITS + 1];

	(void)state;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(code_generate(text), 0);
		assert_int_equal(code_parse(text, digits), 0);
		assert_int_equal(code_locator(digits), (unsigned)strtoul(text, NULL, 10));
		assert_true(code_locator(digits) < 10000);
	}
}

static void test_hash_known_answer(void **state)
{
	/* printf 123456789012 | openssl dgst -sha256 -hmac pepper */
	static const uint8_t want[CODE_HASH_LEN] = {
		0xd5, 0x46, 0xac, 0x6a, 0x35, 0x49, 0xe4, 0x0a, 0x99, 0xc5, 0x6e,
		0xc7, 0x4f, 0xca, 0x28, 0x6e, 0xad, 0xeb, 0x38, 0x7a, 0xfb, 0x55,
		0x8d, 0xaf, 0xe7, 0xb1, 0x94, 0x11, 0x30, 0x70, 0x12, 0x7b,
	};
	uint8_t out[CODE_HASH_LEN];

	(void)state;
	assert_int_equal(code_hash((const uint8_t *)"pepper", 6, "123456789012", out), 0);
	assert_memory_equal(out, want, CODE_HASH_LEN);
}

static void test_hash_deterministic_and_pepper_dependent(void **state)
{
	static const uint8_t pepper1[32] = { 1, [31] = 0x80 };
	static const uint8_t pepper2[32] = { 2, [31] = 0x80 };
	uint8_t a[CODE_HASH_LEN], b[CODE_HASH_LEN], c[CODE_HASH_LEN], d[CODE_HASH_LEN];

	(void)state;
	assert_int_equal(code_hash(pepper1, sizeof(pepper1), "123456789012", a), 0);
	assert_int_equal(code_hash(pepper1, sizeof(pepper1), "123456789012", b), 0);
	assert_memory_equal(a, b, CODE_HASH_LEN);
	assert_int_equal(code_hash(pepper2, sizeof(pepper2), "123456789012", c), 0);
	assert_memory_not_equal(a, c, CODE_HASH_LEN);
	/*
	 * A shorter pepper with the same leading bytes is a different key (as
	 * long as the dropped byte is not 0: HMAC pads short keys with zeros).
	 */
	assert_int_equal(code_hash(pepper1, sizeof(pepper1) - 1, "123456789012", c), 0);
	assert_memory_not_equal(a, c, CODE_HASH_LEN);
	/* One digit changes the hash, and the locator alone is not enough. */
	assert_int_equal(code_hash(pepper1, sizeof(pepper1), "123456789013", d), 0);
	assert_memory_not_equal(a, d, CODE_HASH_LEN);
	assert_int_equal(code_hash(pepper1, sizeof(pepper1), "123400000000", d), 0);
	assert_memory_not_equal(a, d, CODE_HASH_LEN);
}

static void test_hash_pepper_bounds(void **state)
{
	uint8_t *pepper = calloc(1, 1025);
	uint8_t out[CODE_HASH_LEN];

	(void)state;
	assert_non_null(pepper);
	assert_int_equal(code_hash(pepper, 0, "123456789012", out), -1);
	assert_int_equal(code_hash(pepper, 1025, "123456789012", out), -1);
	assert_int_equal(code_hash(pepper, 1, "123456789012", out), 0);
	assert_int_equal(code_hash(pepper, 1024, "123456789012", out), 0);
	free(pepper);
}

static void test_intake_token(void **state)
{
	static const uint8_t pepper[32] = { 1, [31] = 0x80 };
	static const uint8_t want[CODE_HASH_LEN] = {
		0xe1, 0xfb, 0x72, 0x52, 0xac, 0x18, 0xab, 0x2d, 0x0e, 0x6f, 0x4e, 0xbd, 0xbb, 0xdc, 0xb4, 0xfa,
		0xd5, 0xa8, 0x20, 0x1c, 0x82, 0x6a, 0x52, 0xab, 0xb5, 0xe7, 0x04, 0xde, 0x25, 0x01, 0x29, 0x39,
	};
	char a[INTAKE_TOKEN_TEXT_MAX], b[INTAKE_TOKEN_TEXT_MAX];
	uint8_t out[CODE_HASH_LEN];

	(void)state;
	assert_int_equal(intake_token_generate(a), 0);
	assert_int_equal(intake_token_generate(b), 0);
	assert_int_equal(strlen(a), 32);
	assert_true(intake_token_ok(a));
	assert_string_not_equal(a, b);
	/* HMAC(pepper, "intake:" || token): python3 -c 'import hmac,hashlib; ...' */
	assert_int_equal(intake_token_hash(pepper, sizeof(pepper), "0123456789abcdef0123456789abcdef", out), 0);
	assert_memory_equal(out, want, CODE_HASH_LEN);
	assert_false(intake_token_ok("0123456789abcdef0123456789abcde"));
	assert_false(intake_token_ok("0123456789abcdef0123456789abcdef0"));
	assert_false(intake_token_ok("0123456789ABCDEF0123456789abcdef"));
	assert_false(intake_token_ok("intake:0123456789abcdef0123456789"));
	assert_false(intake_token_ok(""));
	assert_false(intake_token_ok(NULL));
	assert_int_equal(intake_token_hash(pepper, sizeof(pepper), "not a token", out), -1);
	assert_int_equal(intake_token_hash(pepper, 0, a, out), -1);
}

/* Resume tokens are hashed without a key (code.h): every relay of a store checks them alike. */
static void test_resume_token_hash(void **state)
{
	static const uint8_t want[CODE_HASH_LEN] = {
		0x20, 0x32, 0x2e, 0x5a, 0x72, 0x0d, 0xfc, 0xf4, 0x66, 0x7c, 0x49, 0x0a, 0xf7, 0x5f, 0xc3, 0xea,
		0x43, 0x0a, 0x9d, 0x36, 0x67, 0xf0, 0xbd, 0x0a, 0x58, 0xab, 0x82, 0x4d, 0x97, 0x9b, 0xfb, 0xef,
	};
	uint8_t got[CODE_HASH_LEN];

	(void)state;
	/* sha256sum of "resume:0123456789abcdef0123456789abcdef" */
	assert_int_equal(resume_token_hash("0123456789abcdef0123456789abcdef", got), 0);
	assert_memory_equal(got, want, CODE_HASH_LEN);
	assert_int_equal(resume_token_hash("0123456789ABCDEF0123456789abcdef", got), -1);
	assert_int_equal(resume_token_hash("0123456789abcdef", got), -1);
	assert_int_equal(resume_token_hash("", got), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_format),
		cmocka_unit_test(test_generate_digits_roughly_uniform),
		cmocka_unit_test(test_parse_accepts_spaces_and_dashes),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_locator),
		cmocka_unit_test(test_generated_locator_matches_text),
		cmocka_unit_test(test_hash_known_answer),
		cmocka_unit_test(test_hash_deterministic_and_pepper_dependent),
		cmocka_unit_test(test_hash_pepper_bounds),
		cmocka_unit_test(test_intake_token),
		cmocka_unit_test(test_resume_token_hash),
	};

	return cmocka_run_group_tests_name("code", tests, NULL, NULL);
}
