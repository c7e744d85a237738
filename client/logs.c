/*
 * logs.c: see logs.h.
 *
 * The plan is parsed and described here, on every platform; what reads
 * the machine is in logs_linux.c or logs_win32.c (logs_os.h). Everything
 * read goes into the bundle through helper_logs_put (logs_writer.h),
 * which replaces bytes that are not valid UTF-8 and stops at the bundle's
 * cap, so no section can break the bundle's invariants whatever the files
 * hold.
 */
#include "logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "logs_os.h"
#include "logs_writer.h"
#include "utf8.h"

#define SHOW_MAX 80             /* bytes of an unsupported source line kept for display */

size_t helper_logs_text_fit(char *s, size_t len, size_t max)
{
	uint8_t *p = (uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		size_t k = helper_logs_char_len(p + i, len - i);

		if (k == 0) {
			p[i] = '?';
			k = 1;
		}
		i += k;
	}
	if (len > max)
		len = utf8_cut(p, len, max);
	s[len] = '\0';
	return len;
}


/* --- parsing the relay's source list ---------------------------------- */

static bool helper_logs_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Invisible characters that change how the rest of a line is shown: zero
 * width U+200B-U+200F, bidirectional overrides U+202A-U+202E and isolates
 * U+2066-U+2069, and U+FEFF. A path holding one could read on the
 * customer's screen as another path than the one we would open.
 */
static bool helper_logs_invisible(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80)
		return (p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae);
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf;
}

/*
 * Valid UTF-8 without C0, DEL or C1 control characters nor invisible
 * formatting: safe to show, and shown as what it is.
 */
static bool helper_logs_plain(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	if (!utf8_valid(p, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return false;
		if (helper_logs_invisible(p + i, n - i))
			return false;
	}
	return true;
}

/* A line count: 1 to 9 decimal digits, at least 1, capped at HELPER_LOGS_LINES_MAX. */
static bool helper_logs_count(const char *s, size_t n, unsigned *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0)
		return false;
	*out = v > HELPER_LOGS_LINES_MAX ? HELPER_LOGS_LINES_MAX : (unsigned)v;
	return true;
}

/* Keeps a shortened, printable copy of a line we will not act on. */
static void helper_logs_unsupported(struct helper_logs_source *src, const char *line, size_t n)
{
	size_t keep = n < SHOW_MAX ? n : SHOW_MAX;
	uint8_t *p = (uint8_t *)src->text;

	src->kind = HELPER_LOGS_UNSUPPORTED;
	src->lines = 0;
	memcpy(src->text, line, keep);
	keep = helper_logs_text_fit(src->text, keep, keep);
	for (size_t i = 0; i < keep; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			p[i] = '?';
		else if (p[i] == 0xc2 && i + 1 < keep && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			p[i] = p[i + 1] = '?';
		else if (helper_logs_invisible(p + i, keep - i))
			p[i] = p[i + 1] = p[i + 2] = '?';
	}
	if (n > keep)
		memcpy(src->text + keep, "...", 4);
}

static bool helper_logs_starts(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);

	return n > w && memcmp(line, word, w) == 0 && line[w] == ' ';
}

/* "file PATH LINES": PATH is everything between, so it may hold spaces. */
static bool helper_logs_parse_file(const char *rest, size_t n, struct helper_logs_source *src)
{
	size_t sp = n, start = 0;

	while (sp > 0 && rest[sp - 1] != ' ')
		sp--;
	if (sp == 0 || !helper_logs_count(rest + sp, n - sp, &src->lines))
		return false;
	n = sp - 1;
	while (n > 0 && rest[n - 1] == ' ')
		n--;
	while (start < n && rest[start] == ' ')
		start++;
	/* Relative paths would depend on where the helper was started. */
	if (n == start || rest[start] != '/')
		return false;
	memcpy(src->text, rest + start, n - start);
	src->text[n - start] = '\0';
	src->kind = HELPER_LOGS_FILE;
	return true;
}

static void helper_logs_classify(const char *line, size_t n, struct helper_logs_source *src)
{
	memset(src, 0, sizeof(*src));
	if (n > HELPER_LOGS_LINE_MAX || !helper_logs_plain(line, n)) {
		helper_logs_unsupported(src, line, n);
		return;
	}
	if (n == 5 && memcmp(line, "facts", 5) == 0) {
		src->kind = HELPER_LOGS_FACTS;
		return;
	}
	if (helper_logs_starts(line, n, "journal")) {
		size_t start = 8;

		while (start < n && line[start] == ' ')
			start++;
		if (helper_logs_count(line + start, n - start, &src->lines)) {
			src->kind = HELPER_LOGS_JOURNAL;
			return;
		}
	}
	if (helper_logs_starts(line, n, "file") && helper_logs_parse_file(line + 5, n - 5, src))
		return;
	helper_logs_unsupported(src, line, n);
}

static void helper_logs_parse_line(struct helper_logs_plan *plan, const char *line, size_t n)
{
	while (n > 0 && helper_logs_is_blank(line[n - 1]))
		n--;
	while (n > 0 && helper_logs_is_blank(line[0])) {
		line++;
		n--;
	}
	if (n == 0)
		return;
	if (plan->n == HELPER_LOGS_SOURCES_MAX) {
		plan->dropped++;
		return;
	}
	helper_logs_classify(line, n, &plan->src[plan->n++]);
}

void helper_logs_parse(const char *spec, struct helper_logs_plan *plan)
{
	size_t len = spec != NULL ? strnlen(spec, HELPER_LOGS_SPEC_MAX + 1) : 0;
	size_t pos = 0;

	memset(plan, 0, sizeof(*plan));
	if (len > HELPER_LOGS_SPEC_MAX) {
		/* Only whole lines count: the one the cap cuts through is dropped. */
		len = HELPER_LOGS_SPEC_MAX;
		while (len > 0 && spec[len - 1] != '\n')
			len--;
		plan->dropped++;
	}
	while (pos < len) {
		const char *nl = memchr(spec + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (spec + pos)) : len - pos;

		helper_logs_parse_line(plan, spec + pos, n);
		pos += n + 1;
	}
}

size_t helper_logs_items(const struct helper_logs_plan *plan)
{
	return plan->n + (plan->dropped > 0 ? 1 : 0);
}

void helper_logs_describe(const struct helper_logs_plan *plan, size_t i, char *out, size_t outlen)
{
	const struct helper_logs_source *src;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (i >= plan->n) {
		if (plan->dropped > 0)
			snprintf(out, outlen,
				 dngettext(HELPER_I18N_DOMAIN,
					   "nothing from %zu more place: at most %d are taken at a time",
					   "nothing from %zu more places: at most %d are taken at a time",
					   plan->dropped),
				 plan->dropped, HELPER_LOGS_SOURCES_MAX);
		return;
	}
	src = &plan->src[i];
	switch (src->kind) {
	case HELPER_LOGS_FACTS:
		snprintf(out, outlen, "%s",
			 _("basic facts about this computer: its system and version, its name, how long it has "
			   "been on, free disk space and memory, and its clock"));
		break;
	case HELPER_LOGS_FILE:
		if (src->lines == 1)
			snprintf(out, outlen, _("the newest line of the record file %s"), src->text);
		else
			snprintf(out, outlen, _("the newest %u lines of the record file %s"), src->lines, src->text);
		break;
	case HELPER_LOGS_JOURNAL:
		if (src->lines == 1)
			snprintf(out, outlen, "%s",
				 _("the newest message this computer recorded about what it was doing"));
		else
			snprintf(out, outlen, _("the newest %u messages this computer recorded about what it was doing"),
				 src->lines);
		break;
	case HELPER_LOGS_UNSUPPORTED:
		snprintf(out, outlen, _("nothing for \"%s\": this program does not collect that"), src->text);
		break;
	}
}

/* --- collecting --------------------------------------------------------- */


int helper_logs_collect(const struct helper_logs_plan *plan, const struct helper_logs_config *cfg,
			struct helper_logs_bundle *out)
{
	return helper_logs_collect_until(plan, cfg, -1, out);
}

int helper_logs_collect_until(const struct helper_logs_plan *plan, const struct helper_logs_config *cfg,
			      int cancel_fd, struct helper_logs_bundle *out)
{
	static const struct helper_logs_config defaults = {
		.journalctl = "journalctl",
		.journal_timeout_ms = HELPER_LOGS_JOURNAL_TIMEOUT_MS,
	};
	struct helper_logs_writer w = { .b = out, .cancel_fd = cancel_fd };

	memset(out, 0, sizeof(*out));
	buf_init(&out->text, HELPER_LOGS_BUNDLE_MAX);
	if (cfg == NULL)
		cfg = &defaults;
	for (size_t i = 0; i < plan->n && !out->truncated && w.err == 0; i++) {
		const struct helper_logs_source *src = &plan->src[i];

		if (w.cancelled || helper_logs_fd_ready(cancel_fd))
			return HELPER_LOGS_CANCELLED;

		switch (src->kind) {
		case HELPER_LOGS_FACTS:
			helper_logs_os_facts(&w);
			break;
		case HELPER_LOGS_FILE:
			helper_logs_os_file(&w, src->text, src->lines);
			break;
		case HELPER_LOGS_JOURNAL:
			helper_logs_os_journal(&w, src->lines, cfg->journalctl, cfg->journal_timeout_ms);
			break;
		case HELPER_LOGS_UNSUPPORTED:
			helper_logs_printf(&w, "unsupported source: %s\n", src->text);
			break;
		}
	}
	if (w.cancelled)
		return HELPER_LOGS_CANCELLED;
	if (plan->dropped > 0)
		helper_logs_printf(&w, "unsupported source: %zu more source%s ignored (at most %d per request)\n",
				   plan->dropped, plan->dropped == 1 ? "" : "s", HELPER_LOGS_SOURCES_MAX);
	return w.err == 0 ? 0 : -1;
}

void helper_logs_bundle_free(struct helper_logs_bundle *b)
{
	buf_free(&b->text);
	b->truncated = false;
}
