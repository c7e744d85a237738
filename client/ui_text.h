/*
 * ui_text: making strings from the relay safe to show. Names, summaries
 * and chat are valid UTF-8 when they reach a UI, but they may still carry
 * control characters (terminal escapes) or invisible characters that
 * reorder or hide what follows (bidirectional overrides, zero-width
 * spaces): both UIs replace those with '?', so that a hostile string can
 * neither act on the display nor pass for something it is not.
 */
#ifndef HANDOFF_HELPER_UI_TEXT_H
#define HANDOFF_HELPER_UI_TEXT_H

#include <stddef.h>

/*
 * Copies s[0..n) (up to a NUL) into out (outlen > 0) with control and
 * invisible characters replaced by '?'. A copy cut short never ends inside
 * a character. Returns out.
 */
const char *helper_ui_text_clean_n(const char *s, size_t n, char *out, size_t outlen);
/* The same for a NUL-terminated s; NULL counts as "". */
const char *helper_ui_text_clean(const char *s, char *out, size_t outlen);

#endif
