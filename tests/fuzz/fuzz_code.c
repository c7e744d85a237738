/*
 * fuzz_code.c: libFuzzer target for code_parse, which normalises the
 * support code a customer types (or a client sends as its keyboard-
 * interactive answer).
 *
 * On a NUL-terminated copy of the input: when code_parse accepts it, the
 * result must be exactly CODE_DIGITS decimal digits, equal to the digits of
 * the input in order, the input must hold nothing but digits, spaces and
 * dashes, the locator must be below 10000, and the code must hash.
 * The same input is also an intake answer ("intake:" and a token, code.h):
 * a token the checker accepts is exactly 32 lowercase hex digits and
 * hashes; anything else does not hash. So for a resume answer ("resume:"
 * and a token), hashed without a key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pepper[] = "fuzz pepper";
	char *typed = malloc(size + 1);
	char digits[CODE_DIGITS + 1];
	uint8_t hash[CODE_HASH_LEN];
	size_t n = 0;

	if (typed == NULL)
		return 0;
	memcpy(typed, data, size);
	typed[size] = '\0';
	if (code_parse(typed, digits) == 0) {
		if (strlen(digits) != CODE_DIGITS)
			abort();
		for (const char *p = typed; *p != '\0'; p++) {
			if (*p >= '0' && *p <= '9') {
				if (n >= CODE_DIGITS || digits[n] != *p)
					abort();
				n++;
			} else if (*p != ' ' && *p != '-') {
				abort();
			}
		}
		if (n != CODE_DIGITS)
			abort();
		if (code_locator(digits) >= 10000)
			abort();
		if (code_hash(pepper, sizeof(pepper) - 1, digits, hash) != 0)
			abort();
	}
	{
		const char *token = typed;
		size_t plen = strlen(INTAKE_ANSWER_PREFIX);

		if (strncmp(token, INTAKE_ANSWER_PREFIX, plen) == 0)
			token += plen;
		if (intake_token_ok(token)) {
			if (strlen(token) != 2 * INTAKE_TOKEN_BYTES ||
			    strspn(token, "0123456789abcdef") != 2 * INTAKE_TOKEN_BYTES ||
			    intake_token_hash(pepper, sizeof(pepper) - 1, token, hash) != 0)
				abort();
		} else if (intake_token_hash(pepper, sizeof(pepper) - 1, token, hash) == 0) {
			abort();
		}
	}
	{
		/* A resume answer ("resume:" and a token): hashes exactly when the token is one. */
		const char *token = typed;
		size_t plen = strlen(RESUME_ANSWER_PREFIX);

		if (strncmp(token, RESUME_ANSWER_PREFIX, plen) == 0)
			token += plen;
		if ((resume_token_hash(token, hash) == 0) != (intake_token_ok(token) != 0))
			abort();
	}
	free(typed);
	return 0;
}
