/*
 * textesc: other people's text made safe for a terminal, visibly.
 *
 * Text from customers, technicians and the store is data: a control
 * character in it must not act on the reader's terminal (ESC starts colour
 * changes, cursor moves and title changes; CR overwrites a line; C1 bytes
 * are CSI on some terminals), and hiding it would hide what was sent. So
 * every control character is shown as an escape a person can read:
 *
 *   \n     a line break followed by the caller's indent (so continuation
 *          lines stay under the text they continue), or "\n" when there is
 *          no indent
 *   \t     "\t";  ESC "\e";  CR "\r";  other C0 and DEL "\xHH"
 *   C1     (U+0080..U+009F) "\u0080".."\u009f"
 *   bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E,
 *          U+2066..U+2069), which reorder what follows them on the line,
 *          and the line and paragraph separators U+2028, U+2029, which
 *          some terminals and windows break lines at: "\u202e" and so on
 *   bytes that are not UTF-8: "\xHH" each
 *
 * Printable UTF-8 (including backslashes) passes unchanged, so escaping
 * text already escaped changes nothing (a relay's output shown again by
 * handoff-tech stays as the relay wrote it). The module
 * has no state; it writes through buf.h, so the output is bounded by the
 * buffer's cap like any other output.
 */
#ifndef HANDOFF_TEXTESC_H
#define HANDOFF_TEXTESC_H

#include "buf.h"

/*
 * Appends s (NUL-terminated) to out, escaped as above. indent NULL: a
 * newline is shown as "\n"; otherwise it is a real newline followed by
 * indent. 0, or a negative BUF_ERR_* when out is full (out then holds a
 * prefix that ends on a whole escape).
 */
int textesc_append(struct buf *out, const char *s, const char *indent);

/*
 * The same into a string: out gets at most outlen - 1 bytes and a NUL,
 * cut before an escape or character that does not fit. Returns the
 * length written.
 */
size_t textesc_string(const char *s, const char *indent, char *out, size_t outlen);

#endif
