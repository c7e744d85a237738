/*
 * test_witness.c: protocol/witness.c, signed heads kept outside the relay:
 * the head line round-trips and refuses what is not one; the relay's
 * `verify --json` gives its head and checkpoints; a kept head is found,
 * past the end (truncation), missing or of another hash (fork).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "witness.h"

static void head_of(struct witness_head *h, uint64_t seq, uint8_t fill, EVP_PKEY *key)
{
	memset(h, 0, sizeof(*h));
	h->seq = seq;
	memset(h->hash, fill, sizeof(h->hash));
	h->at = 1700000000 + (int64_t)seq;
	assert_int_equal(chain_checkpoint_sign(key, h->seq, h->hash, h->at, h->sig), 0);
}

static int count_head(const struct witness_head *h, void *ctx)
{
	(void)h;
	(*(int *)ctx)++;
	return 0;
}

static void test_head_line(void **state)
{
	EVP_PKEY *key = chain_key_generate();
	uint8_t pub[CHAIN_PUB_LEN];
	struct witness_head h, back;
	char line[WITNESS_LINE_MAX], two[2 * WITNESS_LINE_MAX];
	int n = 0;

	(void)state;
	assert_non_null(key);
	assert_int_equal(chain_key_public(key, pub), 0);
	head_of(&h, 100, 0xab, key);
	witness_head_format(&h, line, sizeof(line));
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(witness_head_parse(line, strlen(line) - 1, &back), 0);
	assert_memory_equal(&h, &back, sizeof(h));
	assert_int_equal(witness_head_signed(pub, &back), 1);
	back.seq++;
	assert_int_equal(witness_head_signed(pub, &back), 0);
	snprintf(two, sizeof(two), "%s%s", line, line);
	assert_int_equal(witness_heads_parse((const uint8_t *)two, strlen(two), count_head, &n), 0);
	assert_int_equal(n, 2);
	/* Not a head: other words, a short hash, a sign, trailing bytes, an empty line. */
	assert_int_equal(witness_head_parse("tail 1 00 1 00", 14, &back), -1);
	assert_int_equal(witness_head_parse(line, strlen(line) - 2, &back), -1);
	assert_int_equal(witness_head_parse("head -1", 7, &back), -1);
	assert_int_equal(witness_heads_parse((const uint8_t *)"\n", 1, count_head, &n), -1);
	EVP_PKEY_free(key);
}

static void test_verify_json_and_check(void **state)
{
	EVP_PKEY *key = chain_key_generate();
	struct witness_head h100, h200, newest, other;
	char json[2048], hash1[65], hash2[65], sig[129], err[300];
	struct witness_cp *cps;
	size_t ncps;
	int partial;

	(void)state;
	head_of(&h100, 100, 0x11, key);
	head_of(&h200, 200, 0x22, key);
	hex_encode(h100.hash, 32, hash1);
	hex_encode(h200.hash, 32, hash2);
	hex_encode(h200.sig, 64, sig);
	snprintf(json, sizeof(json),
		 "{\"ok\":true,\"records\":200,\"head\":{\"seq\":200,\"hash\":\"%s\",\"at\":%lld,\"sig\":\"%s\"},"
		 "\"heads\":[{\"seq\":100,\"hash\":\"%s\"},{\"seq\":200,\"hash\":\"%s\"}]}\n",
		 hash2, (long long)h200.at, sig, hash1, hash2);
	assert_int_equal(witness_parse_verify_json((const uint8_t *)json, strlen(json), &newest, &cps, &ncps, &partial), 0);
	assert_int_equal(ncps, 2);
	assert_memory_equal(&newest, &h200, sizeof(newest));
	assert_int_equal(witness_check(&h100, cps, ncps, 0, &newest, err, sizeof(err)), 0);
	assert_int_equal(witness_check(&h200, cps, ncps, 0, &newest, err, sizeof(err)), 0);
	/* A head past the end: truncation. */
	head_of(&other, 300, 0x33, key);
	assert_int_equal(witness_check(&other, cps, ncps, 0, &newest, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "TRUNCATION: the relay signed seq 300"));
	/* Another hash at a seq it has, or no checkpoint there: a fork. */
	head_of(&other, 100, 0x44, key);
	assert_int_equal(witness_check(&other, cps, ncps, 0, &newest, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "FORK: at seq 100"));
	head_of(&other, 150, 0x44, key);
	assert_int_equal(witness_check(&other, cps, ncps, 0, &newest, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "FORK: the relay signed seq 150"));
	free(cps);
	assert_int_equal(partial, 0);
	/* A list whose last entry is not the head, out of order, or cut: refused. */
	json[strlen(json) - 10] = 'x';
	assert_int_equal(witness_parse_verify_json((const uint8_t *)json, strlen(json), &newest, &cps, &ncps, &partial), -1);
	assert_int_equal(witness_parse_verify_json((const uint8_t *)json, 40, &newest, &cps, &ncps, &partial), -1);
	assert_int_equal(witness_parse_verify_json((const uint8_t *)"{}", 2, &newest, &cps, &ncps, &partial), -1);
	/* Only the newest listed ("heads_complete":false): an older kept head cannot be checked here. */
	snprintf(json, sizeof(json),
		 "{\"head\":{\"seq\":200,\"hash\":\"%s\",\"at\":%lld,\"sig\":\"%s\"},"
		 "\"heads\":[{\"seq\":200,\"hash\":\"%s\"}],\"heads_complete\":false}\n",
		 hash2, (long long)h200.at, sig, hash2);
	assert_int_equal(witness_parse_verify_json((const uint8_t *)json, strlen(json), &newest, &cps, &ncps, &partial), 0);
	assert_int_equal(partial, 1);
	assert_int_equal(witness_check(&h100, cps, ncps, partial, &newest, err, sizeof(err)), 1);
	assert_int_equal(witness_check(&h100, cps, ncps, 0, &newest, err, sizeof(err)), -1);
	free(cps);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_line),
		cmocka_unit_test(test_verify_json_and_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
