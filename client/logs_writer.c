/*
 * logs_writer.c: see logs_writer.h.
 */
#include "logs_writer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hsock.h"
#include "utf8.h"

#define TRUNCATED_MARK "\n[truncated]\n"

/* Whether fd (-1: none) is readable now, without waiting. */
bool helper_logs_fd_ready(int fd)
{
	return fd >= 0 && hsock_readable(fd);
}

/* Length of the valid UTF-8 character at p[0..n), or 0 if none starts there (or NUL). */
size_t helper_logs_char_len(const uint8_t *p, size_t n)
{
	uint32_t cp;
	int k = utf8_next((const char *)p, n, &cp);

	return k < 0 || cp == 0 ? 0 : (size_t)k;
}

/* Appends valid UTF-8 to the bundle, cutting at a character boundary at the cap. */
static void helper_logs_put_valid(struct helper_logs_writer *w, const uint8_t *p, size_t n)
{
	struct helper_logs_bundle *b = w->b;
	size_t limit = HELPER_LOGS_BUNDLE_MAX - (sizeof(TRUNCATED_MARK) - 1);
	size_t room = buf_len(&b->text) < limit ? limit - buf_len(&b->text) : 0;
	int e;

	if (b->truncated || w->err != 0 || n == 0)
		return;
	if (n <= room) {
		if ((e = buf_put(&b->text, p, n)) != 0)
			w->err = e;
		return;
	}
	/* The mark always fits: limit leaves room for it. */
	if ((e = buf_put(&b->text, p, utf8_cut(p, n, room))) != 0 ||
	    (e = buf_put(&b->text, TRUNCATED_MARK, sizeof(TRUNCATED_MARK) - 1)) != 0)
		w->err = e;
	b->truncated = true;
}

/* Appends any bytes; what is not valid UTF-8 (or NUL) goes in as '?'. */
void helper_logs_put(struct helper_logs_writer *w, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t i = 0;

	while (i < n && !w->b->truncated && w->err == 0) {
		size_t start = i, k;

		while (i < n && (k = helper_logs_char_len(p + i, n - i)) != 0)
			i += k;
		helper_logs_put_valid(w, p + start, i - start);
		if (i < n) {
			helper_logs_put_valid(w, (const uint8_t *)"?", 1);
			i++;
		}
	}
}

void helper_logs_printf(struct helper_logs_writer *w, const char *fmt, ...)
{
	char line[HELPER_LOGS_LINE_OUT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A cut line may end inside a character; helper_logs_put makes that a '?'. */
	helper_logs_put(w, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}


/* Start of the last `lines` lines of p[0..n); a final newline ends the last line. */
size_t helper_logs_tail_start(const uint8_t *p, size_t n, unsigned lines)
{
	size_t end = n;

	if (end > 0 && p[end - 1] == '\n')
		end--;
	while (end > 0) {
		if (p[end - 1] == '\n' && --lines == 0)
			return end;
		end--;
	}
	return 0;
}

/*
 * Puts the last `lines` lines of p[0..n) in the bundle, ending in a newline.
 * partial says p starts in the middle of a line (we skipped ahead), which
 * is then left out unless it is all there is.
 */
void helper_logs_put_tail(struct helper_logs_writer *w, const uint8_t *p, size_t n,
				 unsigned lines, bool partial)
{
	size_t start = helper_logs_tail_start(p, n, lines);

	if (start == 0 && partial) {
		const uint8_t *nl = memchr(p, '\n', n);

		if (nl != NULL && (size_t)(nl - p) + 1 < n)
			start = (size_t)(nl - p) + 1;
	}
	if (start == n) {
		helper_logs_printf(w, "(empty)\n");
		return;
	}
	helper_logs_put(w, p + start, n - start);
	if (p[n - 1] != '\n')
		helper_logs_put(w, "\n", 1);
}
