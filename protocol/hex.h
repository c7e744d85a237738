/*
 * hex: lowercase hexadecimal for hashes and keys in text (key files,
 * event details, command output).
 */
#ifndef HANDOFF_HEX_H
#define HANDOFF_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2n digits and a NUL to out (2n + 1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* Exactly 2n digits (either case) of hex into n bytes. 0, or -1 and out unchanged in part. */
int hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t n);

#endif
