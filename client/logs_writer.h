/*
 * logs_writer: how the collectors write a logs bundle (logs.h) without
 * breaking its invariants: every byte goes in through helper_logs_put,
 * which makes what is not valid UTF-8 a '?' and stops at the bundle's cap
 * with "[truncated]". Shared by logs.c and the platform's collectors
 * (logs_linux.c, logs_win32.c), which know nothing of the cap.
 */
#ifndef HANDOFF_HELPER_LOGS_WRITER_H
#define HANDOFF_HELPER_LOGS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define HELPER_LOGS_READ_MAX (256u * 1024)   /* bytes read from one file or the journal */
#define HELPER_LOGS_BUNDLE_MAX (1024u * 1024)
#define HELPER_LOGS_LINE_OUT_MAX 2048        /* one formatted line of the bundle */

/* What a collection produced (logs.h). */
struct helper_logs_bundle {
	struct buf text;    /* valid UTF-8, no NUL, at most HELPER_LOGS_BUNDLE_MAX bytes */
	bool truncated;
};

/* One collection's output; b is borrowed. */
struct helper_logs_writer {
	struct helper_logs_bundle *b;
	int err;    /* first buf error, e.g. out of memory */
	int cancel_fd;      /* readable: stop (see helper_logs_collect_until), or -1 */
	bool cancelled;
};

/* Whether fd (-1: none) is readable now, without waiting: the cancel check. */
bool helper_logs_fd_ready(int fd);
/* Length of the valid UTF-8 character at p[0..n), or 0 if none starts there (or NUL). */
size_t helper_logs_char_len(const uint8_t *p, size_t n);
/* Appends any bytes; what is not valid UTF-8 (or NUL) goes in as '?'. */
void helper_logs_put(struct helper_logs_writer *w, const void *data, size_t n);
/* One formatted line of at most HELPER_LOGS_LINE_OUT_MAX bytes, through helper_logs_put. */
__attribute__((format(gnu_printf, 2, 3)))
void helper_logs_printf(struct helper_logs_writer *w, const char *fmt, ...);
/* Start of the last `lines` lines of p[0..n); a final newline ends the last line. */
size_t helper_logs_tail_start(const uint8_t *p, size_t n, unsigned lines);
/*
 * Puts the last `lines` lines of p[0..n) in the bundle, ending in a newline.
 * partial says p starts in the middle of a line (we skipped ahead), which
 * is then left out unless it is all there is.
 */
void helper_logs_put_tail(struct helper_logs_writer *w, const uint8_t *p, size_t n, unsigned lines, bool partial);

#endif
