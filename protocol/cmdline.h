/*
 * cmdline: SSH exec command lines, split and joined the way a POSIX shell
 * would for the simple cases people type: words separated by blanks, '...'
 * taken literally, "..." with \" \\ \$ \` escapes, and \ outside quotes.
 * No expansion of any kind. The relay splits what a client sent; handoff-tech
 * joins its argv so the relay gets back exactly those words (stock ssh joins
 * with plain spaces, so "ssh relay ticket new Printer broken" also works: the
 * summary is the rest of the words).
 */
#ifndef HANDOFF_CMDLINE_H
#define HANDOFF_CMDLINE_H

#include <stddef.h>

#define CMDLINE_MAX 8192u
#define CMDLINE_ARGS_MAX 64u

/*
 * Splits line into a NULL-terminated argv (caller frees with cmdline_free).
 * 0, or -1 with err (unterminated quote, too long, too many words, not UTF-8).
 */
int cmdline_split(const char *line, char ***argv, size_t *argc, char *err, size_t errlen);
void cmdline_free(char **argv);
/* Joins argv with quoting so cmdline_split gives it back. NULL if too long. Caller frees. */
char *cmdline_join(char *const *argv, size_t argc);

#endif
