/*
 * code.c: see code.h. Digits come from RAND_bytes with rejection sampling,
 * so every digit is uniform (taking a byte modulo 10 would favour 0-5).
 */
#include "code.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

static int code_random_digit(char *out)
{
	unsigned char byte;

	do {
		if (RAND_bytes(&byte, 1) != 1)
			return -1;
	} while (byte >= 250);
	*out = (char)('0' + byte % 10);
	return 0;
}

int code_generate(char text[CODE_TEXT_MAX])
{
	char digits[CODE_DIGITS + 1];

	for (int i = 0; i < CODE_DIGITS; i++)
		if (code_random_digit(&digits[i]) != 0)
			return -1;
	digits[CODE_DIGITS] = '\0';
	snprintf(text, CODE_TEXT_MAX, "%.4s-%.4s-%.4s", digits, digits + 4, digits + 8);
	return 0;
}

int code_parse(const char *typed, char digits[CODE_DIGITS + 1])
{
	size_t n = 0;

	if (typed == NULL)
		return -1;
	for (const char *p = typed; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == CODE_DIGITS)
				return -1;
			digits[n++] = *p;
		} else if (*p != '-' && *p != ' ') {
			return -1;
		}
	}
	if (n != CODE_DIGITS)
		return -1;
	digits[n] = '\0';
	return 0;
}

unsigned code_locator(const char digits[CODE_DIGITS + 1])
{
	unsigned v = 0;

	for (int i = 0; i < CODE_LOCATOR_DIGITS; i++)
		v = v * 10 + (unsigned)(digits[i] - '0');
	return v;
}

int code_hash(const uint8_t *pepper, size_t pepper_len,
	      const char digits[CODE_DIGITS + 1], uint8_t out[CODE_HASH_LEN])
{
	unsigned int len = CODE_HASH_LEN;

	if (pepper_len == 0 || pepper_len > 1024)
		return -1;
	if (HMAC(EVP_sha256(), pepper, (int)pepper_len, (const unsigned char *)digits,
		 CODE_DIGITS, out, &len) == NULL || len != CODE_HASH_LEN)
		return -1;
	return 0;
}

int intake_token_generate(char text[INTAKE_TOKEN_TEXT_MAX])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[INTAKE_TOKEN_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[2 * INTAKE_TOKEN_BYTES] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int intake_token_ok(const char *text)
{
	size_t n = 0;

	if (text == NULL)
		return 0;
	for (; text[n] != '\0'; n++)
		if (n >= 2 * INTAKE_TOKEN_BYTES || !((text[n] >= '0' && text[n] <= '9') || (text[n] >= 'a' && text[n] <= 'f')))
			return 0;
	return n == 2 * INTAKE_TOKEN_BYTES;
}

int intake_token_hash(const uint8_t *pepper, size_t pepper_len, const char *token,
		      uint8_t out[CODE_HASH_LEN])
{
	char msg[sizeof(INTAKE_ANSWER_PREFIX) + INTAKE_TOKEN_TEXT_MAX];
	unsigned int len = CODE_HASH_LEN;
	int n;

	if (pepper_len == 0 || pepper_len > 1024 || !intake_token_ok(token))
		return -1;
	n = snprintf(msg, sizeof(msg), "%s%s", INTAKE_ANSWER_PREFIX, token);
	if (HMAC(EVP_sha256(), pepper, (int)pepper_len, (const unsigned char *)msg, (size_t)n, out, &len) == NULL ||
	    len != CODE_HASH_LEN) {
		OPENSSL_cleanse(msg, sizeof(msg));
		return -1;
	}
	OPENSSL_cleanse(msg, sizeof(msg));
	return 0;
}

int resume_token_hash(const char *token, uint8_t out[CODE_HASH_LEN])
{
	char msg[sizeof(RESUME_ANSWER_PREFIX) + INTAKE_TOKEN_TEXT_MAX];
	unsigned int len = CODE_HASH_LEN;
	int n, rc = 0;

	if (!intake_token_ok(token))
		return -1;
	n = snprintf(msg, sizeof(msg), "%s%s", RESUME_ANSWER_PREFIX, token);
	if (EVP_Digest(msg, (size_t)n, out, &len, EVP_sha256(), NULL) != 1 || len != CODE_HASH_LEN)
		rc = -1;
	OPENSSL_cleanse(msg, sizeof(msg));
	return rc;
}
