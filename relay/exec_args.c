/*
 * exec_args.c: see exec_args.h.
 */
#include "exec_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textesc.h"
#include "timefmt.h"
#include "utf8.h"

/* Someone's text in a text-mode line: controls escaped, newlines shown as \n. */
void exec_text(struct buf *b, const char *s)
{
	textesc_append(b, s, NULL);
}

/* Text mode: a list that printed nothing since before says so. */
void exec_empty(struct exec_ctx *x, size_t before)
{
	if (!x->json && buf_len(x->out) == before)
		buf_printf(x->out, "  (empty)\n");
}

/* --json: the start of a ticket's list, {"ticket":N,"KEY":[ (rows follow, one object each). */
void exec_json_begin_list(struct exec_ctx *x, int64_t ticket, const char *key)
{
	emit_object_begin(&x->j);
	emit_kint(&x->j, "ticket", ticket);
	emit_key(&x->j, key);
	emit_array_begin(&x->j);
}

/* --json: the end of a list a command began (]} and the newline). */
void exec_json_end_list(struct exec_ctx *x)
{
	emit_array_end(&x->j);
	emit_object_end(&x->j);
	emit_newline(&x->j);
}

/* Columns the bytes take on a terminal, counting each UTF-8 character as one. */
size_t exec_columns(const uint8_t *p, size_t n)
{
	size_t cols = 0;

	for (size_t i = 0; i < n; i++)
		if (!utf8_is_continuation(p[i]))
			cols++;
	return cols;
}

static int exec_parse_ticket(struct exec_ctx *x, const char *arg, int64_t *id)
{
	char *end;
	long long n;

	if (arg == NULL) {
		buf_printf(x->err, "%s: which ticket? (a number)\n", x->argv[0]);
		return -1;
	}
	/* Ticket 0 is the relay's own record (security events): auditors read it, nobody else. */
	if (strcmp(arg, "0") == 0 && x->conn->role == RELAY_ROLE_AUDITOR) {
		*id = 0;
		return 0;
	}
	n = strtoll(arg, &end, 10);
	if (arg[0] < '1' || arg[0] > '9' || *end != '\0' || n <= 0 || n > 100000000000LL) {
		buf_printf(x->err, "not a ticket number: %s\n", arg);
		return -1;
	}
	*id = n;
	return 0;
}

/*
 * The options a usage string declares, in their order there: "--NAME" is a
 * flag when "]" or nothing follows its name ("[--sensitive]"), otherwise it
 * takes the word after it as its value ("--tier L1|L2|L3"), or every word
 * up to the next option when that metavariable ends in "..." ("--note
 * TEXT..."). The usage that help prints is the parser's only declaration.
 */
static size_t exec_usage_options(const char *usage, struct exec_opt *opts, size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(usage, "--"); p != NULL && n < max; p = strstr(p, "--")) {
		size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");
		const char *after = p + 2 + len;
		struct exec_opt *o = &opts[n++];

		snprintf(o->name, sizeof(o->name), "%.*s", (int)len, p + 2);
		o->flag = *after != ' ' || after[1] == '[' || after[1] == '-';
		o->text = false;
		if (!o->flag) {
			size_t mlen = strcspn(after + 1, " ]");

			o->text = mlen > 3 && strncmp(after + 1 + mlen - 3, "...", 3) == 0;
		}
		p = after;
	}
	return n;
}

/* "usage: NAME USAGE" of the command being run, to stderr. */
void exec_usage(struct exec_ctx *x)
{
	buf_printf(x->err, "usage: %s%s%s\n", x->cmd->name, x->cmd->usage[0] ? " " : "", x->cmd->usage);
}

/*
 * Splits the words after the command name into options and text, as the
 * command's usage declares them (exec_usage_options); x->opt_value[k] is
 * the k-th option there, NULL when absent, "" for a flag given. A text
 * option takes every word up to the next option as its value, so
 * "--note printer driver reinstalled" means the same from handoff-tech
 * (one quoted word) and from a stock ssh, which joins arguments with
 * spaces. The remaining words are joined into x->words; x->first_word is
 * the first of them.
 */
int exec_options(struct exec_ctx *x)
{
	struct exec_opt opts[EXEC_OPTS_MAX];
	size_t nnames = exec_usage_options(x->cmd->usage, opts, EXEC_OPTS_MAX);
	char *vals[EXEC_OPTS_MAX] = { 0 };
	size_t cur = nnames; /* collecting into: nnames = plain words */
	char (*scratch)[CMDLINE_MAX + 1] = x->opt_text;
	size_t used[EXEC_OPTS_MAX] = { 0 }, wused = 0;

	memset(x->opt_value, 0, sizeof(x->opt_value));
	x->words[0] = '\0';
	x->nwords = 0;
	x->first_word = NULL;
	for (size_t i = x->from; i < x->argc; i++) {
		const char *a = x->argv[i];
		size_t k;

		if (strncmp(a, "--", 2) == 0) {
			for (k = 0; k < nnames; k++)
				if (strcmp(a + 2, opts[k].name) == 0)
					break;
			if (k == nnames) {
				buf_printf(x->err, "%s: unknown option %s\n", x->argv[0], a);
				return -1;
			}
			if (opts[k].flag) {
				x->opt_value[k] = "";
				cur = nnames;
			} else {
				cur = k;
				vals[k] = scratch[k];
				scratch[k][0] = '\0';
				used[k] = 0;
			}
			continue;
		}
		if (cur < nnames) {
			int n = snprintf(scratch[cur] + used[cur], sizeof(scratch[cur]) - used[cur], "%s%s",
					 used[cur] ? " " : "", a);
			if (n < 0 || (size_t)n >= sizeof(scratch[cur]) - used[cur])
				goto too_long;
			used[cur] += (size_t)n;
			/* Single-valued options end after one word unless they are text. */
			if (!opts[cur].text)
				cur = nnames;
			continue;
		}
		if (x->nwords == 0)
			x->first_word = a;
		else {
			int n = snprintf(x->words + wused, sizeof(x->words) - wused, "%s%s", wused ? " " : "", a);

			if (n < 0 || (size_t)n >= sizeof(x->words) - wused)
				goto too_long;
			wused += (size_t)n;
		}
		x->nwords++;
	}
	for (size_t k = 0; k < nnames; k++)
		if (vals[k] != NULL)
			x->opt_value[k] = vals[k];
	return 0;
too_long:
	buf_printf(x->err, "%s: arguments too long\n", x->argv[0]);
	return -1;
}

static int exec_get_ticket(struct exec_ctx *x, int64_t id, struct store_ticket *t)
{
	int rc = store_ticket_get(x->relay->store, id, t);

	if (rc == STORE_NOT_FOUND)
		buf_printf(x->err, "no ticket %lld\n", (long long)id);
	else if (rc != STORE_OK)
		buf_printf(x->err, "%s: the store failed\n", x->argv[0]);
	return rc == STORE_OK ? 0 : -1;
}

int exec_allowed(struct exec_ctx *x, enum relay_action action, const struct store_ticket *t)
{
	char why[256];

	if (relay_rights_check(x->conn->role, &x->conn->user, action, t, why, sizeof(why)) == 0)
		return 0;
	buf_printf(x->err, "%s: not allowed: %s\n", x->argv[0], why);
	return -1;
}

/* Common start of commands on one ticket: the number, the ticket, the right. */
int exec_ticket_arg(struct exec_ctx *x, enum relay_action action, struct store_ticket *t)
{
	int64_t id;

	if (exec_parse_ticket(x, x->first_word, &id) != 0)
		return EXIT_USAGE;
	if (exec_get_ticket(x, id, t) != 0)
		return EXIT_FAIL;
	if (exec_allowed(x, action, t) != 0)
		return EXIT_DENIED;
	return EXIT_OK;
}

int exec_text_ok(struct exec_ctx *x, const char *what, const char *text)
{
	size_t len = text ? strlen(text) : 0;

	if (len == 0) {
		buf_printf(x->err, "%s: the %s is empty\n", x->argv[0], what);
		return -1;
	}
	if (len > CTL_TEXT_MAX) {
		buf_printf(x->err, "%s: the %s is %zu bytes; at most %u are kept\n", x->argv[0], what, len,
			    CTL_TEXT_MAX);
		return -1;
	}
	return 0;
}

const char *exec_hidden(const struct exec_ctx *x, const char *clearance)
{
	return relay_rights_can_read(x->conn->role, x->conn->user.tier, clearance) ? NULL : "[sensitive]";
}

/* A UTC day for --since and --until (timefmt.h). */
int exec_parse_day(const char *s, int64_t *out)
{
	return timefmt_parse_day(s, out);
}

/*
 * Under --json, what a command wrote to stderr becomes one object, so that
 * a program reads every error (usage, refusal, failure) the same way.
 */
void exec_json_errors(struct buf *err, int status)
{
	size_t n = buf_len(err);
	struct emit j;
	char *text;

	if (n == 0)
		return;
	text = malloc(n + 1);
	if (text == NULL)
		return;
	memcpy(text, buf_ptr(err), n);
	while (n > 0 && text[n - 1] == '\n')
		n--;
	text[n] = '\0';
	buf_reset(err);
	emit_init(&j, err);
	emit_object_begin(&j);
	emit_kstring(&j, "error", text);
	emit_kint(&j, "exit", status);
	emit_object_end(&j);
	emit_newline(&j);
	free(text);
}
