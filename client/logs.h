/*
 * logs: what the helper collects when the customer allows a technician's
 * request for diagnostic information. Pure C and POSIX (no X, no SSH) so
 * that it can be unit tested on its own.
 *
 * The list of sources comes from the relay (CTL_LOGS_ASK text, one source
 * per line) and is not trusted: helper_logs_parse reads it with fixed caps
 * (HELPER_LOGS_SOURCES_MAX sources, HELPER_LOGS_LINE_MAX bytes a line,
 * line counts range-checked) into a plan of fixed size. Whatever it does not
 * understand stays in the plan as UNSUPPORTED, so the customer sees it in
 * the question and the technician sees it in the bundle.
 *
 * helper_logs_collect then produces the bundle: plain text, one section per
 * source starting with a "== ... ==" header line, always valid UTF-8 without
 * NULs (other bytes become '?'), at most HELPER_LOGS_BUNDLE_MAX bytes
 * ("[truncated]" says where it was cut). A source that cannot be read (a
 * missing file, no journal) becomes a line saying so, never a failure.
 *
 * Collection runs on a worker thread of the helper (logs_request.h), never
 * in its event loop, and every step is bounded all the same: a file is read
 * for at most its last HELPER_LOGS_READ_MAX bytes, the journal for at most
 * HELPER_LOGS_READ_MAX bytes and HELPER_LOGS_JOURNAL_TIMEOUT_MS, after
 * which journalctl is killed. A cancel descriptor ends it sooner: it is
 * polled beside journalctl's pipe, so a collection that nobody wants any
 * more kills and reaps the child at once instead of at the deadline. The
 * collection touches nothing but its arguments, the files it reads and its
 * child (no gettext, no log lines, no global state), so it may run on any
 * thread.
 */
#ifndef HANDOFF_HELPER_LOGS_H
#define HANDOFF_HELPER_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "logs_writer.h"

#define HELPER_LOGS_SOURCES_MAX 32
#define HELPER_LOGS_LINE_MAX 1024            /* longest source line accepted */
#define HELPER_LOGS_SPEC_MAX 4096            /* longest source list read (CTL_TEXT_MAX) */
#define HELPER_LOGS_LINES_MAX 10000u         /* "the last LINES lines" is capped here */
#define HELPER_LOGS_JOURNAL_TIMEOUT_MS 5000u
#define HELPER_LOGS_DESC_MAX 1200            /* a description line, NUL included */

enum helper_logs_kind {
	HELPER_LOGS_FACTS,
	HELPER_LOGS_FILE,
	HELPER_LOGS_JOURNAL,
	HELPER_LOGS_UNSUPPORTED,
};

struct helper_logs_source {
	enum helper_logs_kind kind;
	unsigned lines;     /* FILE, JOURNAL: 1..HELPER_LOGS_LINES_MAX */
	/*
	 * FILE: the absolute path as asked (valid UTF-8, no control
	 * characters). UNSUPPORTED: the line as asked, shortened, with control
	 * characters and invalid bytes replaced by '?', safe to show.
	 */
	char text[HELPER_LOGS_LINE_MAX + 1];
};

struct helper_logs_plan {
	struct helper_logs_source src[HELPER_LOGS_SOURCES_MAX];
	size_t n;
	size_t dropped;     /* source lines past the HELPER_LOGS_SOURCES_MAX-th or past the read cap */
};

/* Where collection finds its tools; tests point these elsewhere. */
struct helper_logs_config {
	const char *journalctl;     /* looked up in PATH unless it holds a '/' */
	unsigned journal_timeout_ms;
};


/*
 * Fills *plan from the relay's source list (NULL counts as empty). Reads at
 * most HELPER_LOGS_SPEC_MAX bytes of spec. Never fails: what it cannot use
 * becomes an UNSUPPORTED source or counts in plan->dropped.
 */
void helper_logs_parse(const char *spec, struct helper_logs_plan *plan);

/*
 * How many lines describe the plan to the customer: one per source, and
 * one more when sources were dropped.
 */
size_t helper_logs_items(const struct helper_logs_plan *plan);
/*
 * Line i (< helper_logs_items) of that description, one sentence without
 * bullet or newline, into out. Safe to print: no control characters.
 */
void helper_logs_describe(const struct helper_logs_plan *plan, size_t i, char *out, size_t outlen);

/*
 * Collects every source of plan into out, which this initialises; the
 * caller frees it with helper_logs_bundle_free, also after a failure. cfg
 * may be NULL for the defaults. 0, or -1 when out of memory (out then
 * holds what was collected so far).
 */
int helper_logs_collect(const struct helper_logs_plan *plan, const struct helper_logs_config *cfg,
			struct helper_logs_bundle *out);

/* helper_logs_collect_until's answer when cancel_fd became readable. */
#define HELPER_LOGS_CANCELLED (-2)

/*
 * helper_logs_collect that stops as soon as cancel_fd is readable (-1:
 * never): between sources, and while journalctl runs (which is then
 * killed and reaped before this returns). 0, -1 (out of memory, as
 * above), or HELPER_LOGS_CANCELLED (out then holds a partial bundle, which
 * the caller frees and must not send). cancel_fd is only polled, never
 * read: it stays readable for whoever drains it.
 */
int helper_logs_collect_until(const struct helper_logs_plan *plan, const struct helper_logs_config *cfg,
			      int cancel_fd, struct helper_logs_bundle *out);
void helper_logs_bundle_free(struct helper_logs_bundle *b);

/*
 * Makes s[0..len) fit a text field: every byte that is not part of valid
 * UTF-8 (and every NUL) becomes '?', in place, then the text is cut to at
 * most max bytes at a character boundary. NUL-terminates s (which must
 * have room for len + 1 bytes) and returns the new length. The session
 * uses it for the customer's chat lines, this module for what it reads.
 */
size_t helper_logs_text_fit(char *s, size_t len, size_t max);

#endif
