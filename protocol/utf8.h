/*
 * utf8: the one place that knows how UTF-8 is built, for every program.
 *
 * Valid means what RFC 3629 says: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing past U+10FFFF, no sequence cut by the end of the
 * input. Callers that show or type text (textesc.c, the viewer's typing)
 * decode through utf8_next so that all of them agree on what a character is;
 * every parser that takes text checks it with utf8_valid.
 *
 * Invariants the cutting functions keep, whatever the bytes:
 *   - a boundary is a position whose next byte is not a continuation byte
 *     (10xxxxxx), or the end: cutting there never leaves half a character
 *     of valid input, and on invalid input still never reads past n;
 *   - every result is <= n, and a function given a valid string returns a
 *     prefix that is itself valid.
 * They do not validate: a caller that needs valid text checks it first.
 */
#ifndef HANDOFF_UTF8_H
#define HANDOFF_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at s[0..len): returns its length in bytes (1..4)
 * with its code point in *cp, or -1 when s does not start with a valid
 * character (len 0 included; *cp is then untouched).
 */
int utf8_next(const char *s, size_t len, uint32_t *cp);

/* 1 if p[0..n) is valid UTF-8 holding no NUL (text, never a C string's end inside it), else 0. */
int utf8_valid(const void *p, size_t n);

/* A byte that continues a character (10xxxxxx) and so cannot start one. */
bool utf8_is_continuation(unsigned char c);

/* The longest prefix of s[0..n), at most max bytes, that ends on a boundary. */
size_t utf8_cut(const void *s, size_t n, size_t max);
/*
 * s[0..n) without a last character that n cut short (a lead byte whose
 * continuation bytes do not all lie before n); n when none was cut.
 */
size_t utf8_whole(const void *s, size_t n);
/* Characters in s[0..n): the bytes that are not continuation bytes. */
size_t utf8_count(const void *s, size_t n);
/* Bytes taken by the first chars characters of s[0..n) (each a byte and the continuation bytes after it). */
size_t utf8_skip(const void *s, size_t n, size_t chars);
/*
 * Where the last character of s[0..n) starts: back over continuation bytes
 * to the lead byte before them (a run with no lead before it is its own
 * character). 0 when n is 0.
 */
size_t utf8_prev(const void *s, size_t n);

/* Latin-1 to UTF-8: out must hold 2 * n + 1 bytes; returns the length written (NUL-terminated). */
size_t utf8_from_latin1(const char *in, size_t n, char *out);
/*
 * UTF-8 to Latin-1, at most max bytes into out (which holds max + 1, and
 * is NUL-terminated): a character past U+00FF becomes '?', and so does a
 * malformed byte with the continuation bytes that follow it. Returns the
 * length written.
 */
size_t utf8_to_latin1(const char *in, size_t n, char *out, size_t max);

#endif
