/*
 * utf8: one decoder of UTF-8 for every program. Valid means what RFC 3629
 * says: no overlong forms, no surrogates (U+D800..U+DFFF), nothing past
 * U+10FFFF, no sequence cut by the end of the input. Callers that show or
 * type text (textesc.c, the viewer's typing) decode through it so that all
 * of them agree on what a character is.
 */
#ifndef HANDOFF_UTF8_H
#define HANDOFF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at s[0..len): returns its length in bytes (1..4)
 * with its code point in *cp, or -1 when s does not start with a valid
 * character (len 0 included; *cp is then untouched).
 */
int utf8_next(const char *s, size_t len, uint32_t *cp);

#endif
