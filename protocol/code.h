/*
 * code: one-time support codes.
 *
 * A code is 12 decimal digits shown as "1234-5678-9012". The first four
 * digits are a locator that is not secret: it names the slot the relay
 * keeps for the code, so wrong tries can be counted against that code and
 * kill it after CODE_MAX_FAILURES. The other eight digits are the secret.
 * The relay stores only an HMAC-SHA256 of the whole code under a per-relay
 * key ("pepper"), so a stolen database does not reveal live codes and cannot
 * be brute-forced without the key.
 */
#ifndef HANDOFF_CODE_H
#define HANDOFF_CODE_H

#include <stddef.h>
#include <stdint.h>

#define CODE_DIGITS 12
#define CODE_LOCATOR_DIGITS 4
#define CODE_TEXT_MAX 16          /* "1234-5678-9012" and its NUL */
#define CODE_HASH_LEN 32
#define CODE_MAX_FAILURES 5
#define CODE_TTL_DEFAULT 600      /* seconds */

/* Fills text with a fresh random code, formatted. 0 or -1 (no randomness). */
int code_generate(char text[CODE_TEXT_MAX]);
/*
 * Normalises what a person typed: digits, with any spaces or dashes
 * between them, exactly CODE_DIGITS of them. 0 and digits filled, or -1.
 */
int code_parse(const char *typed, char digits[CODE_DIGITS + 1]);
/* The locator of parsed digits, 0..9999. */
unsigned code_locator(const char digits[CODE_DIGITS + 1]);
/* HMAC-SHA256(pepper, digits). 0 or -1. */
int code_hash(const uint8_t *pepper, size_t pepper_len,
	      const char digits[CODE_DIGITS + 1], uint8_t out[CODE_HASH_LEN]);

/*
 * Intake tokens: built into a bundle, they let the customer open a new L1
 * ticket without a code. 16 random bytes shown as 32 lowercase hex digits.
 * The relay stores HMAC-SHA256(pepper, "intake:" || token): the prefix
 * keeps a token's hash from ever matching a code's.
 */
#define INTAKE_TOKEN_BYTES 16
#define INTAKE_TOKEN_TEXT_MAX (2 * INTAKE_TOKEN_BYTES + 1)
#define INTAKE_ANSWER_PREFIX "intake:"   /* what the helper answers the code prompt with */
#define INTAKE_DESC_MAX 200               /* characters of the customer's description */
#define INTAKE_NAME_MAX 64                /* characters of the customer's name */
/* The keyboard-interactive round's name with which a relay says the token's hourly limit is reached. */
#define INTAKE_LIMIT_NAME "Handoff: intake limit"
/*
 * The round in which a relay shows public knowledge base articles that
 * match the description before it opens the ticket: its instruction holds
 * them, its one prompt asks whether they solved the problem. The answer
 * INTAKE_SELFHELP_SOLVED opens nothing; any other answer (Enter in a stock
 * ssh client, a helper that does not know this round) opens the ticket.
 */
#define INTAKE_SELFHELP_NAME "Handoff: self-help"
#define INTAKE_SELFHELP_SOLVED "solved"
#define INTAKE_SELFHELP_MAX 3             /* articles shown */
#define INTAKE_SELFHELP_TEXT_MAX 8192     /* bytes of the articles' text, both sides */

/* A fresh token. 0 or -1 (no randomness). */
int intake_token_generate(char text[INTAKE_TOKEN_TEXT_MAX]);
/* 1 if text is exactly 32 lowercase hex digits, else 0. */
int intake_token_ok(const char *text);
/* HMAC-SHA256(pepper, "intake:" || token). 0, or -1 (bad token or pepper). */
int intake_token_hash(const uint8_t *pepper, size_t pepper_len, const char *token,
		      uint8_t out[CODE_HASH_LEN]);

/*
 * Resume tokens: when a customer's relay dies, the helper signs in to
 * another relay of its bundle with "resume:TOKEN" (the support code is
 * spent). A token is drawn by the relay the helper is connected to, on the
 * helper's CTL_RESUME, and is as an intake token: 16 random bytes as 32
 * lowercase hex digits. The store keeps SHA-256("resume:" || token) for the
 * ticket: 128 random bits need no key against a search, so every relay of
 * a store checks it without sharing one, and a copy of the store shows
 * nothing that signs in.
 */
#define RESUME_ANSWER_PREFIX "resume:"
#define RESUME_TOKEN_TTL (24 * 3600)   /* seconds a token stays good after it was drawn */
/* SHA-256("resume:" || token). 0, or -1 (not a token). */
int resume_token_hash(const char *token, uint8_t out[CODE_HASH_LEN]);

#endif
