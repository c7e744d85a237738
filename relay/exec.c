/*
 * exec.c: the commands people run over SSH exec, dispatched by the
 * authenticated identity. Output is plain text for people, or JSON with
 * --json for programs; errors go to stderr with a non-zero exit status
 * (under --json as one JSON object, {"error": TEXT, "exit": STATUS}).
 * Text from people (summaries, names, notes, chat) goes through textesc,
 * so no control character of theirs reaches a technician's terminal.
 * Support codes are printed to the technician who asked and nowhere else:
 * the store keeps only their HMAC, and no log line carries one.
 *
 * The commands are one table, exec_cmds at the end of this file: add a
 * command there (and to handoff-tech.1 and the completion, which
 * tests/e2e/test_relay_commands.sh holds to it). Changes to tickets are
 * ticket.c's; this file parses, checks rights and prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "chain.h"
#include "cmdline.h"
#include "code.h"
#include "emit.h"
#include "event.h"
#include "export.h"
#include "job.h"
#include "kb.h"
#include "report.h"
#include "log.h"
#include "relay.h"
#include "textesc.h"
#include "sla.h"
#include "timefmt.h"
#include "triage.h"
#include "utf8.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_DENIED = 3 };

/* An option as a command's usage string declares it (see exec_usage_options). */
struct exec_opt {
	char name[24];
	bool flag; /* "[--sensitive]": no value */
	bool text; /* "--note TEXT...": every word up to the next option */
};

#define EXEC_OPTS_MAX 6

struct exec_ctx;

/* When a command's right is checked. */
enum exec_when {
	EXEC_ANYONE,	/* no right needed */
	EXEC_FIRST,	/* before its arguments are read, with no ticket: refusals tell nothing of a ticket */
	EXEC_HANDLER,	/* by the handler, on the ticket or tier it names (a refusal may say why) */
};

/*
 * One relay command, in the table exec_cmds at the end of this file: the
 * one place a command is declared. Dispatch, help, `help --usage`, usage
 * errors and the option parser read it; tests/e2e/test_relay_commands.sh
 * checks the man page and the completion against `help --usage`.
 */
struct exec_cmd {
	const char *name;	/* one or two words: "take", "ticket new" */
	const char *usage;	/* what follows the name; its options are parsed from it */
	enum relay_action rights;
	enum exec_when when;
	int (*run)(struct exec_ctx *x);
	const char *help;	/* one line */
};

struct exec_ctx {
	struct relay *relay;
	struct relay_chan *ch;
	struct relay_conn *conn;
	struct buf *out, *err;
	struct emit j; /* --json output, on out */
	char **argv;
	size_t argc;
	bool json;
	/* The table's entry being run, and the argv index after its name. */
	const struct exec_cmd *cmd;
	size_t from;
	/* Options and words of the command after its name, see exec_options. */
	const char *opt_value[EXEC_OPTS_MAX];
	char opt_text[EXEC_OPTS_MAX][CMDLINE_MAX + 1];
	char words[CMDLINE_MAX + 1];
	size_t nwords;
	const char *first_word;
};

/* Someone's text in a text-mode line: controls escaped, newlines shown as \n. */
static void exec_text(struct buf *b, const char *s)
{
	textesc_append(b, s, NULL);
}

/* Text mode: a list that printed nothing since before says so. */
static void exec_empty(struct exec_ctx *x, size_t before)
{
	if (!x->json && buf_len(x->out) == before)
		buf_printf(x->out, "  (empty)\n");
}

/* --json: the start of a ticket's list, {"ticket":N,"KEY":[ (rows follow, one object each). */
static void exec_json_begin_list(struct exec_ctx *x, int64_t ticket, const char *key)
{
	emit_object_begin(&x->j);
	emit_kint(&x->j, "ticket", ticket);
	emit_key(&x->j, key);
	emit_array_begin(&x->j);
}

/* --json: the end of a list a command began (]} and the newline). */
static void exec_json_end_list(struct exec_ctx *x)
{
	emit_array_end(&x->j);
	emit_object_end(&x->j);
	emit_newline(&x->j);
}

/* Columns the bytes take on a terminal, counting each UTF-8 character as one. */
static size_t exec_columns(const uint8_t *p, size_t n)
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
static void exec_usage(struct exec_ctx *x)
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
static int exec_options(struct exec_ctx *x)
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

static int exec_allowed(struct exec_ctx *x, enum relay_action action, const struct store_ticket *t)
{
	char why[256];

	if (relay_rights_check(x->conn->role, &x->conn->user, action, t, why, sizeof(why)) == 0)
		return 0;
	buf_printf(x->err, "%s: not allowed: %s\n", x->argv[0], why);
	return -1;
}

/* Common start of commands on one ticket: the number, the ticket, the right. */
static int exec_ticket_arg(struct exec_ctx *x, enum relay_action action, struct store_ticket *t)
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

static int exec_text_ok(struct exec_ctx *x, const char *what, const char *text)
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

static int exec_help(struct exec_ctx *x);

static int exec_whoami(struct exec_ctx *x)
{
	const struct store_user *u = &x->conn->user;

	if (x->json) {
		emit_object_begin(&x->j);
		emit_kstring(&x->j, "name", u->name);
		emit_kstring(&x->j, "role", u->role);
		emit_kstring(&x->j, "tier", u->tier);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else {
		buf_printf(x->out, "%s %s %s\n", u->name, u->role, u->tier[0] ? u->tier : "-");
	}
	return EXIT_OK;
}

static int exec_priority_index(const char *p)
{
	if (p == NULL)
		return 2; /* P3 */
	if (p[0] == 'P' && p[1] >= '1' && p[1] <= '4' && p[2] == '\0')
		return p[1] - '1';
	return -1;
}

static int exec_ticket_new(struct exec_ctx *x)
{
	static const char *const priorities[] = { "P1", "P2", "P3", "P4" };
	struct store_ticket_spec spec = { 0 };
	char summary[STORE_TEXT_MAX];
	int64_t id;
	int p;

	if (exec_options(x) != 0)
		return EXIT_USAGE;
	p = exec_priority_index(x->opt_value[0]);
	if (p < 0) {
		buf_printf(x->err, "ticket new: --priority is P1, P2, P3 or P4\n");
		return EXIT_USAGE;
	}
	if (x->nwords == 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	int n = snprintf(summary, sizeof(summary), "%s%s%s", x->first_word, x->nwords > 1 ? " " : "", x->words);
	if (n < 0 || (size_t)n >= sizeof(summary) ||
	    (x->opt_value[1] && strlen(x->opt_value[1]) >= STORE_NAME_MAX * 2) ||
	    (x->opt_value[2] && strlen(x->opt_value[2]) >= STORE_NAME_MAX * 2)) {
		buf_printf(x->err, "ticket new: summary, customer or contact too long\n");
		return EXIT_USAGE;
	}
	spec.summary = summary;
	spec.priority = priorities[p];
	spec.tier = x->relay->home->start_tier[p];
	spec.customer_name = x->opt_value[1];
	spec.customer_contact = x->opt_value[2];
	/* A ticket above the opener's tier goes straight to that tier's queue. */
	if (relay_tier_rank(x->conn->user.tier) >= relay_tier_rank(spec.tier))
		spec.owner_id = x->conn->user.id;
	if (relay_ticket_open(x->relay, &spec, &x->conn->user, &id) != 0) {
		buf_printf(x->err, "ticket new: the store failed\n");
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", id);
		emit_kstring(&x->j, "tier", spec.tier);
		emit_kstring(&x->j, "priority", spec.priority);
		emit_kbool(&x->j, "owned", spec.owner_id != 0);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "%lld\n", (long long)id);
	return EXIT_OK;
}

static const char *exec_hidden(const struct exec_ctx *x, const char *clearance)
{
	return relay_rights_can_read(x->conn->role, x->conn->user.tier, clearance) ? NULL : "[sensitive]";
}

/*
 * One event of ticket show in text mode. A multi-line detail keeps the
 * columns: its continuation lines start under its first.
 */
static void exec_show_event_line(struct exec_ctx *x, const struct store_event *e, const char *when,
				 const char *hidden)
{
	bool role = e->role[0] && strcmp(e->role, e->actor) != 0;
	size_t start = buf_len(x->out), cols;
	char indent[96];

	buf_printf(x->out, "  %s  %-22s ", when, e->kind);
	exec_text(x->out, e->actor);
	if (role) {
		buf_printf(x->out, " (");
		exec_text(x->out, e->role);
		buf_printf(x->out, ")");
	}
	if (e->detail[0] || hidden) {
		buf_printf(x->out, ": ");
		cols = exec_columns(buf_ptr(x->out) + start, buf_len(x->out) - start);
		if (cols > sizeof(indent) - 1)
			cols = sizeof(indent) - 1;
		memset(indent, ' ', cols);
		indent[cols] = '\0';
		textesc_append(x->out, hidden ? hidden : e->detail, indent);
	}
	buf_printf(x->out, "%s\n", e->clearance[0] && !hidden ? " [sensitive]" : "");
}

static int exec_show_event(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	const char *hidden = exec_hidden(x, e->clearance);
	char when[32];

	timefmt_utc(e->at, TIMEFMT_DATETIME, when, sizeof(when));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "id", e->id);
		emit_kint(&x->j, "at", e->at);
		emit_kstring(&x->j, "kind", e->kind);
		emit_kstring(&x->j, "actor", e->actor);
		emit_kstring(&x->j, "role", e->role);
		emit_kstring(&x->j, "clearance", e->clearance);
		emit_kstring(&x->j, "detail", hidden ? hidden : e->detail);
		emit_object_end(&x->j);
		return 0;
	}
	exec_show_event_line(x, e, when, hidden);
	return 0;
}

static int exec_show_attachment(const struct store_attachment *a, void *ctx)
{
	struct exec_ctx *x = ctx;

	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "id", a->id);
		emit_kint(&x->j, "at", a->at);
		emit_kstring(&x->j, "kind", a->kind);
		emit_kstring(&x->j, "name", a->name);
		emit_kstring(&x->j, "author", a->author);
		emit_kstring(&x->j, "clearance", a->clearance);
		emit_kint(&x->j, "size", a->size);
		emit_kstring(&x->j, "sha256", a->sha256);
		emit_object_end(&x->j);
		return 0;
	}
	{
		char name[STORE_TEXT_MAX];

		textesc_string(a->name, NULL, name, sizeof(name));
		buf_printf(x->out, "  #%-3lld %-14s %-32s %8lld bytes  sha256 %s  by ", (long long)a->id, a->kind, name,
			    (long long)a->size, a->sha256);
	}
	exec_text(x->out, a->author);
	buf_printf(x->out, "%s\n", a->clearance[0] ? " [sensitive]" : "");
	return 0;
}

/* `ticket show N` and the auditors' `show N`: the same content. */
static int exec_ticket_show(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	char created[32], since[32];
	size_t before;
	bool live;
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, t)) != EXIT_OK)
		goto out;
	live = relay_conn_live_customer(x->relay, t->id) != NULL;
	timefmt_utc(t->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "summary", t->summary);
		emit_kstring(&x->j, "state", t->state);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "owner", t->owner);
		emit_kstring(&x->j, "customer", t->customer_name);
		emit_kstring(&x->j, "contact", t->customer_contact);
		emit_kint(&x->j, "created_at", t->created_at);
		emit_kint(&x->j, "tier_since", t->tier_since);
		emit_kbool(&x->j, "live", live);
		emit_key(&x->j, "events");
		emit_array_begin(&x->j);
		store_events(x->relay->store, t->id, NULL, exec_show_event, x);
		emit_array_end(&x->j);
		emit_key(&x->j, "attachments");
		emit_array_begin(&x->j);
		store_attachments(x->relay->store, t->id, exec_show_attachment, x);
		emit_array_end(&x->j);
		emit_object_end(&x->j);
		emit_newline(&x->j);
		goto out;
	}
	buf_printf(x->out, "ticket %lld [%s, %s, %s] owner %s%s\n  ", (long long)t->id, t->tier, t->state, t->priority,
		    t->owner[0] ? t->owner : "- (in the queue)", live ? ", customer connected" : "");
	textesc_append(x->out, t->summary, "  ");
	buf_printf(x->out, "\n");
	if (t->customer_name[0] || t->customer_contact[0]) {
		buf_printf(x->out, "  customer: ");
		exec_text(x->out, t->customer_name);
		buf_printf(x->out, "%s", t->customer_contact[0] ? ", " : "");
		exec_text(x->out, t->customer_contact);
		buf_printf(x->out, "\n");
	}
	buf_printf(x->out, "  opened %s, at %s since %s\nevents:\n", created, t->tier, since);
	store_events(x->relay->store, t->id, NULL, exec_show_event, x);
	buf_printf(x->out, "attachments (ticket attachment %lld ID prints one):\n", (long long)t->id);
	before = buf_len(x->out);
	store_attachments(x->relay->store, t->id, exec_show_attachment, x);
	exec_empty(x, before);
out:
	free(t);
	return rc;
}

static int exec_attachment_readable(const struct store_attachment *a, void *ctx)
{
	struct exec_ctx *x = ctx;

	return exec_hidden(x, a->clearance) != NULL;
}

static int exec_ticket_attachment(struct exec_ctx *x)
{
	struct store_ticket t;
	uint8_t *content = NULL;
	size_t len = 0;
	char *end;
	long long aid;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 2) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, &t)) != EXIT_OK)
		return rc;
	aid = strtoll(x->words, &end, 10);
	if (x->words[0] < '1' || x->words[0] > '9' || *end != '\0') {
		buf_printf(x->err, "not an attachment number: %s\n", x->words);
		return EXIT_USAGE;
	}
	rc = store_attachment_get(x->relay->store, t.id, aid, exec_attachment_readable, x, &content, &len);
	if (rc == STORE_NOT_FOUND) {
		buf_printf(x->err, "ticket %lld has no attachment %lld\n", (long long)t.id, aid);
		return EXIT_FAIL;
	}
	if (rc != STORE_OK) {
		buf_printf(x->err, "attachment %lld is sensitive: not for an %s technician\n", aid, x->conn->user.tier);
		return EXIT_DENIED;
	}
	if (buf_put(x->out, content, len) != 0) {
		buf_printf(x->err, "attachment too large to print here\n");
		rc = EXIT_FAIL;
	}
	free(content);
	return rc == STORE_OK ? EXIT_OK : rc;
}

/* The SLA clock that matters next for t (sla.h), at the relay's now. */
static void exec_sla_view(struct exec_ctx *x, const struct store_ticket *t, struct relay_sla_view *v)
{
	struct relay_sla_clock c = { .opened_at = t->created_at, .first_response_at = t->first_response_at,
				     .paused_since = t->sla_paused_since, .paused = t->sla_paused };

	relay_sla_next(&x->relay->home->sla, t->priority, &c, relay_now(x->relay), v);
}

static int exec_queue_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	struct relay_sla_view v;
	char since[32], left[24], sla[40];

	exec_sla_view(x, t, &v);
	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "state", t->state);
		emit_kint(&x->j, "tier_since", t->tier_since);
		emit_kstring(&x->j, "summary", t->summary);
		emit_kbool(&x->j, "live", relay_conn_live_customer(x->relay, t->id) != NULL);
		emit_key(&x->j, "sla");
		if (v.which == RELAY_SLA_NONE)
			emit_null(&x->j);
		else {
			emit_object_begin(&x->j);
			emit_kstring(&x->j, "clock", v.which == RELAY_SLA_RESPONSE ? "response" : "resolve");
			emit_kint(&x->j, "target", v.target);
			emit_kint(&x->j, "left", v.left);
			emit_kbool(&x->j, "paused", v.paused);
			emit_object_end(&x->j);
		}
		emit_object_end(&x->j);
		return 0;
	}
	if (v.which == RELAY_SLA_NONE)
		snprintf(sla, sizeof(sla), "-");
	else {
		relay_sla_format_left(v.left, left, sizeof(left));
		snprintf(sla, sizeof(sla), "%s %s%s", v.which == RELAY_SLA_RESPONSE ? "resp" : "res", left,
			 v.paused ? " paused" : "");
	}
	buf_printf(x->out, "%6lld  %s  %-10s %s  %-17s ", (long long)t->id, t->priority, t->state, since, sla);
	exec_text(x->out, t->summary);
	buf_printf(x->out, "%s\n", relay_conn_live_customer(x->relay, t->id) ? "  (customer connected)" : "");
	return 0;
}

/* A queue's tickets, to be sorted by SLA time left before they are printed. */
struct exec_queue_order {
	struct exec_ctx *x;
	struct exec_queue_key { int64_t id, left; int rank; } *keys;
	size_t n, cap;
};

static int exec_queue_collect(const struct store_ticket *t, void *ctx)
{
	struct exec_queue_order *o = ctx;
	struct relay_sla_view v;

	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		void *p = realloc(o->keys, cap * sizeof(*o->keys));

		if (p == NULL)
			return 1;
		o->keys = p;
		o->cap = cap;
	}
	exec_sla_view(o->x, t, &v);
	/* Running clocks first, least time left first; paused ones after; no target last. */
	o->keys[o->n].id = t->id;
	o->keys[o->n].left = v.left;
	o->keys[o->n].rank = v.which == RELAY_SLA_NONE ? 2 : v.paused ? 1 : 0;
	o->n++;
	return 0;
}

static int exec_queue_cmp(const void *a, const void *b)
{
	const struct exec_queue_key *p = a, *q = b;

	if (p->rank != q->rank)
		return p->rank < q->rank ? -1 : 1;
	if (p->left != q->left)
		return p->left < q->left ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

/* The queue in SLA order (the store gives it by priority and age). */
static int exec_queue_rows(struct exec_ctx *x, const char *tier)
{
	struct exec_queue_order o = { .x = x };
	struct store_ticket *t = malloc(sizeof(*t));
	int rc = STORE_ERR;

	if (t == NULL)
		return STORE_ERR;
	if (store_queue(x->relay->store, tier, exec_queue_collect, &o) != STORE_OK)
		goto out;
	if (o.n > 1)
		qsort(o.keys, o.n, sizeof(*o.keys), exec_queue_cmp);
	for (size_t i = 0; i < o.n; i++)
		if (store_ticket_get(x->relay->store, o.keys[i].id, t) == STORE_OK)
			exec_queue_row(t, x);
	rc = STORE_OK;
out:
	free(o.keys);
	free(t);
	return rc;
}

static int exec_queue(struct exec_ctx *x)
{
	struct store_ticket *q = calloc(1, sizeof(*q));
	size_t before;
	int rc = EXIT_OK;

	if (q == NULL)
		return EXIT_FAIL;
	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		rc = EXIT_USAGE;
		goto out;
	}
	snprintf(q->tier, sizeof(q->tier), "%s",
		 x->opt_value[0] ? x->opt_value[0] : (x->conn->user.tier[0] ? x->conn->user.tier : "L1"));
	if (relay_tier_rank(q->tier) == 0) {
		buf_printf(x->err, "queue: --tier is L1, L2 or L3\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (exec_allowed(x, x->cmd->rights, q) != 0) {
		rc = EXIT_DENIED;
		goto out;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kstring(&x->j, "tier", q->tier);
		emit_key(&x->j, "tickets");
		emit_array_begin(&x->j);
	} else {
		buf_printf(x->out, "%s queue:\n", q->tier);
	}
	before = buf_len(x->out);
	if (exec_queue_rows(x, q->tier) != STORE_OK) {
		buf_printf(x->err, "queue: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
out:
	free(q);
	return rc;
}

static int exec_mine_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	bool live = relay_conn_live_customer(x->relay, t->id) != NULL;
	char since[32];

	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "state", t->state);
		emit_kint(&x->j, "tier_since", t->tier_since);
		emit_kstring(&x->j, "summary", t->summary);
		emit_kbool(&x->j, "live", live);
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%6lld  %s  %s  %-10s %s  ", (long long)t->id, t->priority, t->tier, t->state, since);
	exec_text(x->out, t->summary);
	buf_printf(x->out, "%s\n", live ? "  (customer connected)" : "");
	return 0;
}

/* `mine` and `ticket list`: the tickets one owns and has not resolved. */
static int exec_mine(struct exec_ctx *x)
{
	size_t before;
	int rc = EXIT_OK;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_allowed(x, x->cmd->rights, NULL) != 0)
		return EXIT_DENIED;
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kstring(&x->j, "owner", x->conn->user.name);
		emit_key(&x->j, "tickets");
		emit_array_begin(&x->j);
	} else {
		buf_printf(x->out, "tickets of ");
		exec_text(x->out, x->conn->user.name);
		buf_printf(x->out, ":\n");
	}
	before = buf_len(x->out);
	if (store_tickets_owned(x->relay->store, x->conn->user.id, exec_mine_row, x) != STORE_OK) {
		buf_printf(x->err, "%s: the store failed\n", x->argv[0]);
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
	return rc;
}

/* The last escalation of a ticket, kept by exec_last_escalation. */
struct exec_escalation {
	bool found;
	int64_t at;
	char actor[STORE_NAME_MAX];
	char role[16];
	char detail[CTL_TEXT_MAX + 64];
};

static int exec_last_escalation(const struct store_event *e, void *ctx)
{
	struct exec_escalation *esc = ctx;

	esc->found = true;
	esc->at = e->at;
	snprintf(esc->actor, sizeof(esc->actor), "%s", e->actor);
	snprintf(esc->role, sizeof(esc->role), "%s", e->role);
	snprintf(esc->detail, sizeof(esc->detail), "%s", e->detail);
	return 0;
}

/*
 * What the next tier must read first when it takes a ticket: its summary,
 * who escalated it with what note, and what is attached (ticket show N has
 * the whole history).
 */
static void exec_handover(struct exec_ctx *x, const struct store_ticket *t, bool already)
{
	struct exec_escalation *esc = calloc(1, sizeof(*esc));
	char when[32];
	size_t before;

	if (esc != NULL)
		store_events(x->relay->store, t->id, EVENT_ESCALATED, exec_last_escalation, esc);
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "owner", x->conn->user.name);
		emit_kbool(&x->j, "already_yours", already);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "summary", t->summary);
		emit_key(&x->j, "escalation");
		if (esc != NULL && esc->found) {
			emit_object_begin(&x->j);
			emit_kint(&x->j, "at", esc->at);
			emit_kstring(&x->j, "by", esc->actor);
			emit_kstring(&x->j, "role", esc->role);
			emit_kstring(&x->j, "detail", esc->detail);
			emit_object_end(&x->j);
		} else {
			emit_null(&x->j);
		}
		emit_key(&x->j, "attachments");
		emit_array_begin(&x->j);
		store_attachments(x->relay->store, t->id, exec_show_attachment, x);
		emit_array_end(&x->j);
		emit_object_end(&x->j);
		emit_newline(&x->j);
		free(esc);
		return;
	}
	if (already)
		buf_printf(x->out, "ticket %lld is already yours; nothing changed\n", (long long)t->id);
	else
		buf_printf(x->out, "ticket %lld is yours\n", (long long)t->id);
	buf_printf(x->out, "  [%s, %s] ", t->tier, t->priority);
	textesc_append(x->out, t->summary, "  ");
	buf_printf(x->out, "\n");
	if (esc != NULL && esc->found) {
		timefmt_utc(esc->at, TIMEFMT_DATETIME, when, sizeof(when));
		buf_printf(x->out, "  escalated %s by ", when);
		exec_text(x->out, esc->actor);
		buf_printf(x->out, " (%s): ", esc->role);
		textesc_append(x->out, esc->detail, "    ");
		buf_printf(x->out, "\n");
	} else {
		buf_printf(x->out, "  not escalated\n");
	}
	buf_printf(x->out, "read first (ticket attachment %lld ID):\n", (long long)t->id);
	before = buf_len(x->out);
	store_attachments(x->relay->store, t->id, exec_show_attachment, x);
	exec_empty(x, before);
	free(esc);
}

static int exec_take(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256];
	bool already;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	/* Taking one's own ticket again changes nothing: no event, no status to the customer. */
	already = t.owner_id == x->conn->user.id;
	if (!already && relay_ticket_take(x->relay, t.id, &x->conn->user, err, sizeof(err)) != 0) {
		buf_printf(x->err, "take: %s\n", err);
		return EXIT_FAIL;
	}
	exec_handover(x, &t, already);
	return EXIT_OK;
}

/* The customer is asked; the answer reaches the viewer in its stream, not here. */
static int exec_control(struct exec_ctx *x)
{
	struct store_ticket t;
	char out[256], err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_viewer_ask_control(x->relay, t.id, &x->conn->user, out, sizeof(out), err, sizeof(err)) != 0) {
		buf_printf(x->err, "control: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "asked", "control");
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "%s", out);
	return EXIT_OK;
}

static int exec_chat(struct exec_ctx *x)
{
	struct store_ticket t;
	int rc;

	if (exec_options(x) != 0 || x->nwords == 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (x->nwords == 1) {
		relay_follow_chat(x->relay, x->ch, t.id);
		return EXIT_OK;
	}
	if (exec_text_ok(x, "chat line", x->words) != 0)
		return EXIT_USAGE;
	if (relay_ticket_chat(x->relay, t.id, x->conn->user.name, x->conn->user.tier, x->words) != 0) {
		buf_printf(x->err, "chat: the store failed\n");
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kbool(&x->j, "sent", true);
		emit_kbool(&x->j, "customer_connected", relay_conn_live_customer(x->relay, t.id) != NULL);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	}
	return EXIT_OK;
}

/* "checklist_l1: a, b; checklist_l2: -", for an error about a field no checklist names. */
static void exec_checklists(struct exec_ctx *x, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (int k = 0; k < 2; k++) {
		const struct relay_checklist *c = &x->relay->home->checklist[k];
		int n = snprintf(out + used, outlen - used, "%schecklist_l%d: ", k ? "; " : "", k + 1);

		used = n < 0 || (size_t)n >= outlen - used ? outlen - 1 : used + (size_t)n;
		for (size_t i = 0; i <= c->n && used < outlen - 1; i++) {
			n = i < c->n ? snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", c->field[i])
				     : c->n == 0 ? snprintf(out + used, outlen - used, "-") : 0;
			used = n < 0 || (size_t)n >= outlen - used ? outlen - 1 : used + (size_t)n;
		}
	}
}

static int exec_note(struct exec_ctx *x)
{
	struct store_ticket t;
	const char *field;
	bool sensitive;
	int rc;

	if (exec_options(x) != 0 || x->nwords < 2 || (x->opt_value[1] != NULL && x->opt_value[1][0] == '\0')) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	sensitive = x->opt_value[0] != NULL;
	field = x->opt_value[1];
	if (field != NULL && (!relay_triage_field_ok(field) ||
			      (relay_checklist_find(&x->relay->home->checklist[0], field) < 0 &&
			       relay_checklist_find(&x->relay->home->checklist[1], field) < 0))) {
		char lists[2 * RELAY_CHECKLIST_MAX * RELAY_TRIAGE_FIELD_MAX + 64];

		exec_checklists(x, lists, sizeof(lists));
		buf_printf(x->err, "note: no checklist in relay.conf names the field \"");
		exec_text(x->err, field);
		buf_printf(x->err, "\" (%s)\n", lists);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, sensitive ? RELAY_ACT_NOTE_SENSITIVE : x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "note", x->words) != 0)
		return EXIT_USAGE;
	if ((field != NULL ? relay_ticket_field(x->relay, t.id, &x->conn->user, sensitive, field, x->words)
			   : relay_ticket_note(x->relay, t.id, &x->conn->user, sensitive, x->words)) != 0) {
		buf_printf(x->err, "note: the store failed\n");
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kbool(&x->j, "noted", true);
		emit_kbool(&x->j, "sensitive", sensitive);
		if (field != NULL)
			emit_kstring(&x->j, "field", field);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	}
	return EXIT_OK;
}

static int exec_wait(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (strcmp(x->opt_value[0], "customer") != 0) {
		buf_printf(x->err, "wait: --for is customer (the SLA clocks stop only for the customer)\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_ticket_wait(x->relay, t.id, &x->conn->user, err, sizeof(err)) != 0) {
		buf_printf(x->err, "wait: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kbool(&x->j, "paused", true);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld waits for the customer: its SLA clocks stop until they write or connect\n",
			    (long long)t.id);
	return EXIT_OK;
}

static int exec_triage(struct exec_ctx *x)
{
	struct store_ticket t;
	char priority[4], moved[4], err[256];
	int impact, urgency, rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL || x->opt_value[1] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	impact = relay_triage_level(x->opt_value[0]);
	urgency = relay_triage_level(x->opt_value[1]);
	if (impact < 0 || urgency < 0) {
		buf_printf(x->err, "triage: --%s is high, medium or low, not \"", impact < 0 ? "impact" : "urgency");
		exec_text(x->err, impact < 0 ? x->opt_value[0] : x->opt_value[1]);
		buf_printf(x->err, "\"\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_ticket_triage(x->relay, t.id, &x->conn->user, impact, urgency, priority, moved, err,
				sizeof(err)) != 0) {
		buf_printf(x->err, "triage: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "impact", x->opt_value[0]);
		emit_kstring(&x->j, "urgency", x->opt_value[1]);
		emit_kstring(&x->j, "priority", priority);
		emit_kstring(&x->j, "was", t.priority);
		emit_kstring(&x->j, "tier", moved[0] ? moved : t.tier);
		emit_kbool(&x->j, "moved", moved[0] != '\0');
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else {
		buf_printf(x->out, "ticket %lld is %s (impact %s, urgency %s; was %s)\n", (long long)t.id, priority,
			    x->opt_value[0], x->opt_value[1], t.priority);
		if (moved[0])
			buf_printf(x->out, "%s starts at %s: the ticket is in the %s queue now\n", priority, moved, moved);
	}
	return EXIT_OK;
}

static int exec_escalate(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256], missing[RELAY_CHECKLIST_MAX * RELAY_TRIAGE_FIELD_MAX + 16], *forced = NULL;
	bool force;
	int rc, nmissing;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL || x->opt_value[1] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	force = x->opt_value[2] != NULL;
	if (relay_tier_rank(x->opt_value[0]) < 2) {
		buf_printf(x->err, "escalate: --to is L2 or L3\n");
		return EXIT_USAGE;
	}
	if (force != (x->opt_value[3] != NULL) || (force && x->opt_value[3][0] == '\0')) {
		buf_printf(x->err, "escalate: --force goes with --reason TEXT (why the checklist may wait)\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "handover note", x->opt_value[1]) != 0 || (force && exec_text_ok(x, "reason", x->opt_value[3])))
		return EXIT_USAGE;
	nmissing = relay_ticket_checklist_missing(x->relay, t.id, t.tier, missing, sizeof(missing));
	if (nmissing < 0) {
		buf_printf(x->err, "escalate: the store failed\n");
		return EXIT_FAIL;
	}
	if (nmissing > 0 && !force) {
		buf_printf(x->err,
			    "escalate: the %s checklist is not filled: missing %s (note %lld --field NAME TEXT..., "
			    "or --force --reason TEXT...)\n", t.tier, missing, (long long)t.id);
		return EXIT_FAIL;
	}
	if (nmissing > 0) {
		size_t n = strlen(missing) + strlen(x->opt_value[3]) + 16;

		if ((forced = malloc(n)) == NULL)
			return EXIT_FAIL;
		snprintf(forced, n, "missing %s: %s", missing, x->opt_value[3]);
	}
	rc = forced != NULL ? relay_ticket_escalate_forced(x->relay, t.id, &x->conn->user, x->opt_value[0],
							    x->opt_value[1], forced, err, sizeof(err))
			    : relay_ticket_escalate(x->relay, t.id, &x->conn->user, x->opt_value[0], x->opt_value[1], err,
						    sizeof(err));
	free(forced);
	if (rc != 0) {
		buf_printf(x->err, "escalate: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "tier", x->opt_value[0]);
		emit_kbool(&x->j, "forced", nmissing > 0);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld escalated to %s%s\n", (long long)t.id, x->opt_value[0],
			    nmissing > 0 ? " (checklist forced: recorded)" : "");
	return EXIT_OK;
}

/* An article number, as kb and resolve --kb take it. */
static int exec_parse_kb(struct exec_ctx *x, const char *arg, int64_t *id)
{
	char *end;
	long long n;

	if (arg == NULL || arg[0] < '1' || arg[0] > '9' || (n = strtoll(arg, &end, 10)) <= 0 || *end != '\0' ||
	    n > 100000000000LL) {
		buf_printf(x->err, "%s: not an article number: ", x->argv[0]);
		exec_text(x->err, arg ? arg : "");
		buf_printf(x->err, "\n");
		return -1;
	}
	*id = n;
	return 0;
}

/* The rank of articles the caller may read: auditors all, technicians up to their tier. */
static int exec_kb_rank(const struct exec_ctx *x)
{
	return x->conn->role == RELAY_ROLE_AUDITOR ? 3 : relay_tier_rank(x->conn->user.tier);
}

static int exec_kb_exists(const struct store_kb *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return 0;
}

/* After resolving a P1/P2: what its review lacks, since close will ask for it. */
static void exec_review_pending_note(struct exec_ctx *x, const struct store_ticket *t)
{
	bool cause = false, prevention = false;

	if (!relay_review_needed(t->priority) || relay_review_state(x->relay, t->id, &cause, &prevention) != 0 ||
	    (cause && prevention))
		return;
	buf_printf(x->out,
		    "%s: the review lacks its %s (review %lld --cause TEXT... --prevention TEXT...; close needs it)\n",
		    t->priority, relay_review_missing_words(cause, prevention), (long long)t->id);
}

/* The review list is read on the loop: a page of it, as queue and kb list show. */
#define EXEC_REVIEW_ROWS 100

struct exec_review_list {
	struct exec_ctx *x;
	int rows;
};

static int exec_review_row(const struct store_ticket *t, void *ctx)
{
	struct exec_review_list *l = ctx;
	struct exec_ctx *x = l->x;
	bool cause = false, prevention = false;

	if (++l->rows > EXEC_REVIEW_ROWS)
		return 1;
	if (relay_review_state(x->relay, t->id, &cause, &prevention) != 0)
		return 1;
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "state", t->state);
		emit_kstring(&x->j, "missing", relay_review_missing_words(cause, prevention));
		emit_kstring(&x->j, "summary", t->summary);
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%6lld  %s  %s  %-10s missing %-20s ", (long long)t->id, t->priority, t->tier, t->state,
		    relay_review_missing_words(cause, prevention));
	exec_text(x->out, t->summary);
	buf_printf(x->out, "\n");
	return 0;
}

/*
 * review: without N, the P1/P2 tickets whose review lacks a cause or a
 * prevention; with N, sets them (every field given is a reviewed record).
 */
static int exec_review(struct exec_ctx *x)
{
	const char *cause, *prevention;
	struct exec_review_list list = { .x = x };
	struct store_ticket t;
	size_t before;
	int rc;

	if (exec_options(x) != 0 || x->nwords > 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	cause = x->opt_value[0];
	prevention = x->opt_value[1];
	if (x->nwords == 0) {
		if (cause != NULL || prevention != NULL) {
			exec_usage(x);
			return EXIT_USAGE;
		}
		if (exec_allowed(x, RELAY_ACT_REVIEW_LIST, NULL) != 0)
			return EXIT_DENIED;
		if (x->json) {
			emit_object_begin(&x->j);
			emit_key(&x->j, "awaiting_review");
			emit_array_begin(&x->j);
		} else {
			buf_printf(x->out, "P1/P2 tickets awaiting review:\n");
		}
		before = buf_len(x->out);
		rc = EXIT_OK;
		if (store_review_pending(x->relay->store, EXEC_REVIEW_ROWS + 1, exec_review_row, &list) != STORE_OK) {
			buf_printf(x->err, "review: the store failed\n");
			rc = EXIT_FAIL;
		}
		exec_empty(x, before);
		if (x->json) {
			emit_array_end(&x->j);
			emit_kbool(&x->j, "more", list.rows > EXEC_REVIEW_ROWS);
			emit_object_end(&x->j);
			emit_newline(&x->j);
		} else if (list.rows > EXEC_REVIEW_ROWS) {
			buf_printf(x->out, "  (the first %d shown: review some to see the rest)\n", EXEC_REVIEW_ROWS);
		}
		return rc;
	}
	if (cause == NULL && prevention == NULL) {
		buf_printf(x->err, "review: give --cause TEXT... and/or --prevention TEXT...\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if ((cause != NULL && exec_text_ok(x, "cause", cause) != 0) ||
	    (prevention != NULL && exec_text_ok(x, "prevention", prevention) != 0))
		return EXIT_USAGE;
	if (!relay_review_needed(t.priority)) {
		buf_printf(x->err, "review: ticket %lld is %s; only P1 and P2 incidents are reviewed\n", (long long)t.id,
			    t.priority);
		return EXIT_FAIL;
	}
	if (relay_review_set(x->relay, t.id, &x->conn->user, cause, prevention) != 0) {
		buf_printf(x->err, "review: the store failed; nothing was changed\n");
		return EXIT_FAIL;
	}
	{
		bool has_cause = false, has_prevention = false;

		if (relay_review_state(x->relay, t.id, &has_cause, &has_prevention) != 0)
			return EXIT_FAIL;
		if (x->json) {
			emit_object_begin(&x->j);
			emit_kint(&x->j, "ticket", t.id);
			emit_kstring(&x->j, "missing", relay_review_missing_words(has_cause, has_prevention));
			emit_object_end(&x->j);
			emit_newline(&x->j);
		} else if (has_cause && has_prevention) {
			buf_printf(x->out, "ticket %lld reviewed\n", (long long)t.id);
		} else {
			buf_printf(x->out, "ticket %lld: review recorded; still missing its %s\n", (long long)t.id,
				    relay_review_missing_words(has_cause, has_prevention));
		}
	}
	return EXIT_OK;
}

/* reopen N --reason TEXT...: a resolved ticket back to its tier's queue. */
static int exec_reopen(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "reason", x->opt_value[0]) != 0)
		return EXIT_USAGE;
	if (strcmp(t.state, "resolved") != 0) {
		buf_printf(x->err, "reopen: ticket %lld is %s; only a resolved ticket is reopened\n", (long long)t.id,
			    t.state);
		return EXIT_FAIL;
	}
	if (relay_ticket_reopen(x->relay, t.id, &x->conn->user, x->opt_value[0], err, sizeof(err)) != 0) {
		buf_printf(x->err, "reopen: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "state", "open");
		emit_kstring(&x->j, "tier", t.tier);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld reopened: back in the %s queue\n", (long long)t.id, t.tier);
	return EXIT_OK;
}

/* close N: a resolved ticket closed for good; a P1/P2 needs its review first. */
static int exec_close(struct exec_ctx *x)
{
	struct store_ticket t;
	bool cause = false, prevention = false;
	char err[256];
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (strcmp(t.state, "resolved") != 0) {
		buf_printf(x->err, "close: ticket %lld is %s; resolve it first\n", (long long)t.id, t.state);
		return EXIT_FAIL;
	}
	if (relay_review_needed(t.priority)) {
		if (relay_review_state(x->relay, t.id, &cause, &prevention) != 0) {
			buf_printf(x->err, "close: the store failed\n");
			return EXIT_FAIL;
		}
		if (!cause || !prevention) {
			buf_printf(x->err,
				    "close: ticket %lld is %s: its review lacks its %s (review %lld --cause TEXT... "
				    "--prevention TEXT...)\n", (long long)t.id, t.priority,
				    relay_review_missing_words(cause, prevention), (long long)t.id);
			return EXIT_FAIL;
		}
	}
	if (relay_ticket_close(x->relay, t.id, &x->conn->user, err, sizeof(err)) != 0) {
		buf_printf(x->err, "close: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "state", "closed");
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "ticket %lld closed\n", (long long)t.id);
	return EXIT_OK;
}

static int exec_resolve(struct exec_ctx *x)
{
	struct store_ticket t;
	char err[256], title[STORE_KB_TITLE_MAX + 1];
	int64_t kb = 0;
	bool new_kb;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1 || x->opt_value[0] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	new_kb = x->opt_value[2] != NULL;
	if (x->opt_value[1] != NULL && (new_kb || exec_parse_kb(x, x->opt_value[1], &kb) != 0)) {
		if (new_kb)
			buf_printf(x->err, "resolve: --kb ID or --new-kb, not both\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "note", x->opt_value[0]) != 0)
		return EXIT_USAGE;
	if (kb > 0 && store_kb_get(x->relay->store, kb, exec_kb_rank(x), exec_kb_exists, NULL) != STORE_OK) {
		buf_printf(x->err, "resolve: no knowledge base article %lld (kb list shows those you may read)\n",
			    (long long)kb);
		return EXIT_FAIL;
	}
	if (new_kb) {
		/* What L3 learned, as a draft at the resolver's tier: kb edit ID --tier L1 shares it. */
		struct store_kb a = { .title = title, .symptoms = t.summary, .cause = "", .fix = x->opt_value[0],
				      .tier = x->conn->user.tier, .author = x->conn->user.name };
		size_t n = utf8_cut(t.summary, strlen(t.summary), STORE_KB_TITLE_MAX);

		memcpy(title, t.summary, n);
		title[n] = '\0';
		if (relay_knowledge_add(x->relay, &a, &x->conn->user, &kb) != 0) {
			buf_printf(x->err, "resolve: the store failed; nothing was changed\n");
			return EXIT_FAIL;
		}
	}
	if (relay_ticket_resolve_kb(x->relay, t.id, &x->conn->user, x->opt_value[0], kb, err, sizeof(err)) != 0) {
		buf_printf(x->err, "resolve: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "state", "resolved");
		if (kb > 0)
			emit_kint(&x->j, "kb", kb);
		if (relay_review_needed(t.priority)) {
			bool cause = false, prevention = false;

			if (relay_review_state(x->relay, t.id, &cause, &prevention) == 0)
				emit_kstring(&x->j, "review_missing", relay_review_missing_words(cause, prevention));
		}
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else {
		buf_printf(x->out, "ticket %lld resolved\n", (long long)t.id);
		exec_review_pending_note(x, &t);
		if (new_kb)
			buf_printf(x->out, "knowledge base article %lld written at %s (kb edit %lld --tier L1 shares it)\n",
				    (long long)kb, x->conn->user.tier, (long long)kb);
	}
	return EXIT_OK;
}

/* A field an article holds: valid UTF-8 within its cap (NULL: not given, fine unless required). */
static int exec_kb_field(struct exec_ctx *x, const char *what, const char *v, size_t max, bool required)
{
	size_t n = v ? strlen(v) : 0;

	if (v == NULL && !required)
		return 0;
	if (n == 0) {
		buf_printf(x->err, "%s: the %s is empty\n", x->argv[0], what);
		return -1;
	}
	if (n > max) {
		buf_printf(x->err, "%s: the %s is %zu bytes; at most %zu are kept\n", x->argv[0], what, n, max);
		return -1;
	}
	if (!utf8_valid(v, n)) {
		buf_printf(x->err, "%s: the %s is not UTF-8\n", x->argv[0], what);
		return -1;
	}
	return 0;
}

/* --tier of an article: public or L1..L3, no higher than the writer's own (they could not read it). */
static int exec_kb_tier(struct exec_ctx *x, const char *tier)
{
	int rank = relay_knowledge_rank(tier);

	if (rank < 0) {
		buf_printf(x->err, "%s: --tier is public, L1, L2 or L3\n", x->argv[0]);
		return -1;
	}
	if (rank > relay_tier_rank(x->conn->user.tier)) {
		buf_printf(x->err, "%s: an %s technician cannot write an article for %s only\n", x->argv[0],
			    x->conn->user.tier, tier);
		return -1;
	}
	return 0;
}

/* kb add/edit options in usage order: tier, title, symptoms, fix, cause (edit: after ID). */
static int exec_kb_fields(struct exec_ctx *x, struct store_kb *a, bool required)
{
	if ((x->opt_value[0] != NULL || required) && exec_kb_tier(x, x->opt_value[0]) != 0)
		return -1;
	if (exec_kb_field(x, "title", x->opt_value[1], STORE_KB_TITLE_MAX, required) != 0 ||
	    exec_kb_field(x, "symptoms", x->opt_value[2], RELAY_KB_FIELD_MAX, required) != 0 ||
	    exec_kb_field(x, "fix", x->opt_value[3], RELAY_KB_FIELD_MAX, required) != 0 ||
	    exec_kb_field(x, "cause", x->opt_value[4], RELAY_KB_FIELD_MAX, false) != 0)
		return -1;
	a->tier = x->opt_value[0];
	a->title = x->opt_value[1];
	a->symptoms = x->opt_value[2];
	a->fix = x->opt_value[3];
	a->cause = x->opt_value[4];
	a->author = x->conn->user.name;
	return 0;
}

static void exec_kb_done(struct exec_ctx *x, int64_t id, const char *what)
{
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "kb", id);
		emit_kstring(&x->j, "done", what);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "%lld\n", (long long)id);
}

static int exec_kb_add(struct exec_ctx *x)
{
	struct store_kb a = { .id = 0 };
	int64_t id;

	if (exec_options(x) != 0 || x->nwords != 0 || x->opt_value[0] == NULL || x->opt_value[1] == NULL ||
	    x->opt_value[2] == NULL || x->opt_value[3] == NULL) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_kb_fields(x, &a, true) != 0)
		return EXIT_USAGE;
	if (relay_knowledge_add(x->relay, &a, &x->conn->user, &id) != 0) {
		buf_printf(x->err, "kb add: the store failed; nothing was changed\n");
		return EXIT_FAIL;
	}
	exec_kb_done(x, id, "added");
	return EXIT_OK;
}

static int exec_kb_edit(struct exec_ctx *x)
{
	static const char *const names[5] = { "tier", "title", "symptoms", "fix", "cause" };
	struct store_kb a = { .id = 0 };
	char fields[64] = "";
	size_t used = 0;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_parse_kb(x, x->first_word, &a.id) != 0 || exec_kb_fields(x, &a, false) != 0)
		return EXIT_USAGE;
	for (int k = 0; k < 5; k++)
		if (x->opt_value[k] != NULL)
			used += (size_t)snprintf(fields + used, sizeof(fields) - used, "%s%s", used ? ", " : "", names[k]);
	if (used == 0) {
		buf_printf(x->err, "kb edit: nothing to change (give --tier, --title, --symptoms, --fix or --cause)\n");
		return EXIT_USAGE;
	}
	/* Only what one may read may be edited: an L1 cannot learn an L3 article's number is taken. */
	if (store_kb_get(x->relay->store, a.id, exec_kb_rank(x), exec_kb_exists, NULL) != STORE_OK) {
		buf_printf(x->err, "kb edit: no knowledge base article %lld\n", (long long)a.id);
		return EXIT_FAIL;
	}
	rc = relay_knowledge_edit(x->relay, &a, fields, &x->conn->user);
	if (rc != 0) {
		buf_printf(x->err, rc == STORE_NOT_FOUND ? "kb edit: no knowledge base article %lld\n"
						      : "kb edit: the store failed on article %lld; nothing was changed\n",
			    (long long)a.id);
		return EXIT_FAIL;
	}
	exec_kb_done(x, a.id, "edited");
	return EXIT_OK;
}

static int exec_kb_show_row(const struct store_kb *a, void *ctx)
{
	struct exec_ctx *x = ctx;
	char created[32], updated[32];

	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "kb", a->id);
		emit_kstring(&x->j, "tier", a->tier);
		emit_kstring(&x->j, "title", a->title);
		emit_kstring(&x->j, "symptoms", a->symptoms);
		emit_kstring(&x->j, "cause", a->cause);
		emit_kstring(&x->j, "fix", a->fix);
		emit_kstring(&x->j, "author", a->author);
		emit_kint(&x->j, "created_at", a->created_at);
		emit_kint(&x->j, "updated_at", a->updated_at);
		emit_object_end(&x->j);
		emit_newline(&x->j);
		return 0;
	}
	timefmt_utc(a->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	timefmt_utc(a->updated_at, TIMEFMT_DATETIME, updated, sizeof(updated));
	buf_printf(x->out, "article %lld [%s] ", (long long)a->id, a->tier);
	exec_text(x->out, a->title);
	buf_printf(x->out, "\n  symptoms: ");
	exec_text(x->out, a->symptoms);
	buf_printf(x->out, "\n  cause:    ");
	exec_text(x->out, a->cause[0] ? a->cause : "-");
	buf_printf(x->out, "\n  fix:      ");
	exec_text(x->out, a->fix);
	buf_printf(x->out, "\n  by ");
	exec_text(x->out, a->author);
	buf_printf(x->out, ", %s; changed %s\n", created, updated);
	return 0;
}

static int exec_kb_show(struct exec_ctx *x)
{
	int64_t id;
	int rc;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (exec_parse_kb(x, x->first_word, &id) != 0)
		return EXIT_USAGE;
	rc = store_kb_get(x->relay->store, id, exec_kb_rank(x), exec_kb_show_row, x);
	if (rc == STORE_NOT_FOUND) {
		/* The same words for an article above one's tier: its existence is not for them either. */
		buf_printf(x->err, "kb show: no knowledge base article %lld\n", (long long)id);
		return EXIT_FAIL;
	}
	if (rc != STORE_OK) {
		buf_printf(x->err, "kb show: the store failed\n");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* kb list and kb search: one line per article, or one JSON object each. */
struct exec_kb_list {
	struct exec_ctx *x;
	const struct relay_kb_terms *terms;   /* search: every one must occur; NULL for list */
	char *text;
	size_t shown;
};

#define EXEC_KB_SHOWN_MAX 50

static int exec_kb_list_row(const struct store_kb *a, void *ctx)
{
	struct exec_kb_list *l = ctx;
	struct exec_ctx *x = l->x;
	char line[STORE_KB_TITLE_MAX + 1];
	size_t n;

	if (l->terms != NULL) {
		snprintf(l->text, 4 * RELAY_KB_FIELD_MAX + STORE_KB_TITLE_MAX + 8, "%s\n%s\n%s\n%s", a->title, a->symptoms,
			 a->cause, a->fix);
		if (relay_kb_hits(l->terms, l->text) < l->terms->n)
			return 0;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "kb", a->id);
		emit_kstring(&x->j, "tier", a->tier);
		emit_kstring(&x->j, "title", a->title);
		emit_kstring(&x->j, "symptoms", a->symptoms);
		emit_object_end(&x->j);
	} else {
		buf_printf(x->out, "%6lld  %-6s ", (long long)a->id, a->tier);
		exec_text(x->out, a->title);
		n = utf8_cut(a->symptoms, strlen(a->symptoms), 80);
		memcpy(line, a->symptoms, n);
		line[n] = '\0';
		buf_printf(x->out, "\n        ");
		exec_text(x->out, line);
		buf_printf(x->out, "%s\n", n < strlen(a->symptoms) ? "..." : "");
	}
	return ++l->shown == EXEC_KB_SHOWN_MAX;
}

/*
 * How many articles the store hands over (-1: all the searcher may read).
 * Short terms cannot use the index and are checked here, row by row, so
 * every candidate must come: the index's first 200, or the first 10,000
 * articles, could all lack them while a later one has them. Otherwise
 * every row the index gives matches, and 50 are shown.
 */
static int exec_kb_candidates(const struct relay_kb_terms *terms)
{
	for (size_t i = 0; terms != NULL && i < terms->n; i++)
		if (relay_kb_short(terms->term[i]))
			return -1;
	return 200;
}

static int exec_kb_list_run(struct exec_ctx *x, const char *match, const struct relay_kb_terms *terms)
{
	struct exec_kb_list l = { .x = x, .terms = terms };
	size_t before;
	int rc;

	l.text = malloc(4 * RELAY_KB_FIELD_MAX + STORE_KB_TITLE_MAX + 8);
	if (l.text == NULL)
		return EXIT_FAIL;
	if (x->json) {
		emit_object_begin(&x->j);
		emit_key(&x->j, "articles");
		emit_array_begin(&x->j);
	}
	before = buf_len(x->out);
	rc = store_kb_find(x->relay->store, match, exec_kb_rank(x), exec_kb_candidates(terms), exec_kb_list_row, &l);
	exec_empty(x, before);
	if (x->json) {
		emit_array_end(&x->j);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	}
	free(l.text);
	if (rc != STORE_OK) {
		buf_printf(x->err, "%s: the store failed\n", x->argv[0]);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int exec_kb_list(struct exec_ctx *x)
{
	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	return exec_kb_list_run(x, NULL, NULL);
}

static int exec_kb_search(struct exec_ctx *x)
{
	struct relay_kb_terms *terms = malloc(sizeof(*terms));
	char *match = malloc(RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)), *words = malloc(CMDLINE_MAX + 2);
	int rc = EXIT_USAGE;

	if (terms == NULL || match == NULL || words == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (exec_options(x) != 0 || x->nwords == 0) {
		exec_usage(x);
		goto out;
	}
	snprintf(words, CMDLINE_MAX + 2, "%s%s%s", x->first_word, x->nwords > 1 ? " " : "", x->words);
	relay_kb_terms_words(words, terms);
	rc = exec_kb_list_run(x, relay_kb_match(terms, "AND", match, RELAY_KB_TERMS_MAX * (2 * RELAY_KB_TERM_MAX + 6)) == 0
				       ? match : NULL, terms);
out:
	free(words);
	free(match);
	free(terms);
	return rc;
}

static int exec_invite(struct exec_ctx *x)
{
	char text[CODE_TEXT_MAX];
	struct store_ticket t;
	int rc, replaced = 0;

	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, x->cmd->rights, &t)) != EXIT_OK)
		return rc;
	if (relay_ticket_invite(x->relay, t.id, &x->conn->user, text, &replaced) != 0) {
		buf_printf(x->err, "invite: no support code could be issued\n");
		return EXIT_FAIL;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t.id);
		emit_kstring(&x->j, "code", text);
		emit_kuint(&x->j, "expires_in", x->relay->home->code_ttl);
		emit_object_end(&x->j);
		emit_newline(&x->j);
	} else
		buf_printf(x->out, "%s\n", text);
	OPENSSL_cleanse(text, sizeof(text));
	return EXIT_OK;
}

/* ---- auditors ---- */

/* "YYYY-MM-DD" as the Unix time of that day's start (UTC). */
/* A UTC day for --since and --until (timefmt.h). */
static int exec_parse_day(const char *s, int64_t *out)
{
	return timefmt_parse_day(s, out);
}

static int exec_tickets_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	char created[32];

	timefmt_utc(t->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "ticket", t->id);
		emit_kstring(&x->j, "priority", t->priority);
		emit_kstring(&x->j, "tier", t->tier);
		emit_kstring(&x->j, "state", t->state);
		emit_kstring(&x->j, "owner", t->owner);
		emit_kint(&x->j, "created_at", t->created_at);
		emit_kint(&x->j, "updated_at", t->updated_at);
		emit_kstring(&x->j, "summary", t->summary);
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%6lld  %s  %s  %-10s %s  %-12s ", (long long)t->id, t->priority, t->tier, t->state,
		    created, t->owner[0] ? t->owner : "-");
	exec_text(x->out, t->summary);
	buf_printf(x->out, "\n");
	return 0;
}

static int exec_tickets(struct exec_ctx *x)
{
	int64_t since = 0;
	size_t before;
	int rc = EXIT_OK;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (x->opt_value[0] != NULL && exec_parse_day(x->opt_value[0], &since) != 0) {
		buf_printf(x->err, "tickets: --since wants a day as YYYY-MM-DD, got \"%s\"\n", x->opt_value[0]);
		return EXIT_USAGE;
	}
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "since", since);
		emit_key(&x->j, "tickets");
		emit_array_begin(&x->j);
	} else
		buf_printf(x->out, "%6s  %s  %s  %-10s %-20s  %-12s %s\n", "ticket", "P ", "T ", "state", "opened", "owner",
			    "summary");
	before = buf_len(x->out);
	if (store_tickets_active_since(x->relay->store, since, exec_tickets_row, x) != STORE_OK) {
		buf_printf(x->err, "tickets: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
	return rc;
}

/* Auditor commands on one ticket (the right was checked first, so that technicians learn nothing of the ticket). */
static int exec_audit_ticket(struct exec_ctx *x, struct store_ticket *t)
{
	if (exec_options(x) != 0 || x->nwords != 1) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	return exec_ticket_arg(x, RELAY_ACT_SHOW, t);
}

static int exec_transcript_line(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	char line[RELAY_CHAT_LINE_MAX];

	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "id", e->id);
		emit_kint(&x->j, "at", e->at);
		emit_kstring(&x->j, "author", e->actor);
		emit_kstring(&x->j, "role", e->role);
		emit_kstring(&x->j, "text", e->detail);
		emit_object_end(&x->j);
		return 0;
	}
	relay_ticket_chat_line(e, line, sizeof(line));
	buf_put(x->out, line, strlen(line));
	return 0;
}

static int exec_transcript(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	size_t before;
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, t)) != EXIT_OK)
		goto out;
	if (x->json)
		exec_json_begin_list(x, t->id, "lines");
	before = buf_len(x->out);
	if (store_events(x->relay->store, t->id, EVENT_CHAT, exec_transcript_line, x) != STORE_OK) {
		buf_printf(x->err, "transcript: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_json_end_list(x);
out:
	free(t);
	return rc;
}

/* "ok", "missing" or "size differs": the file of a recording-closed record, as the relay's disk holds it now. */
static const char *exec_recording_on_disk(struct exec_ctx *x, const struct event_recording *r)
{
	char path[4400];
	struct stat sb;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", x->relay->home->dir, r->path) >= sizeof(path) ||
	    stat(path, &sb) != 0)
		return "missing";
	return (uint64_t)sb.st_size == r->size ? "on disk" : "size differs";
}

static int exec_recording_row(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	struct event_recording r;
	char sha[2 * CHAIN_HASH_LEN + 1] = "unreadable";

	if (event_recording_parse(e->detail, &r) != 0) {
		buf_printf(x->err, "record %lld: unreadable recording-closed detail\n", (long long)e->id);
		return 0;
	}
	if (r.hashed)
		hex_encode(r.sha256, CHAIN_HASH_LEN, sha);
	if (x->json) {
		emit_object_begin(&x->j);
		emit_kint(&x->j, "record", e->id);
		emit_kint(&x->j, "at", e->at);
		emit_kstring(&x->j, "path", r.path);
		emit_kuint(&x->j, "size", r.size);
		emit_kstring(&x->j, "sha256", sha);
		emit_kstring(&x->j, "state", r.state);
		emit_kstring(&x->j, "technician", e->actor);
		emit_kstring(&x->j, "file", exec_recording_on_disk(x, &r));
		emit_object_end(&x->j);
		return 0;
	}
	buf_printf(x->out, "%s  %llu bytes  sha256 %s  %s  (%s; %s)\n", r.path, (unsigned long long)r.size, sha,
		    r.state, e->actor, exec_recording_on_disk(x, &r));
	return 0;
}

static int exec_recordings(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, t)) != EXIT_OK)
		goto out;
	x->nwords = 0;
	if (x->json)
		exec_json_begin_list(x, t->id, "recordings");
	if (store_events(x->relay->store, t->id, EVENT_RECORDING_CLOSED, exec_recording_row, x) != STORE_OK) {
		buf_printf(x->err, "recordings: the store failed\n");
		rc = EXIT_FAIL;
	}
	if (x->json)
		exec_json_end_list(x);
	else if (x->nwords == 0 && buf_len(x->out) == 0)
		buf_printf(x->out, "ticket %lld has no recordings\n", (long long)t->id);
out:
	free(t);
	return rc;
}

/*
 * Binary output (an export, a recording) must not reach a terminal: with
 * ssh -t the client asked for one, so the bytes would land on a screen.
 */
static int exec_binary_ok(struct exec_ctx *x, const char *redirect)
{
	if (!x->ch->pty)
		return 0;
	buf_printf(x->err, "%s: refusing to write binary data to a terminal (ssh -t asked for one); "
		    "run it without -t and redirect to a file: > %s\n", x->argv[0], redirect);
	return -1;
}

/* recording N ID: one sealed recording file, byte for byte as the relay holds it (ID as `recordings N` lists it). */
static int exec_recording(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	struct event_recording ref;
	char err[512];
	const char *id = x->words;
	struct stat sb;
	int rc, fd = -1, found;

	if (t == NULL)
		return EXIT_FAIL;
	rc = EXIT_USAGE;
	if (exec_options(x) != 0 || x->nwords != 2 || strlen(x->words) > EXPORT_NAME_MAX) {
		exec_usage(x);
		goto out;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, t)) != EXIT_OK)
		goto out;
	rc = EXIT_USAGE;
	if (exec_binary_ok(x, strrchr(id, '/') ? strrchr(id, '/') + 1 : id) != 0)
		goto out;
	found = relay_audit_recording_open(x->relay, t->id, id, &fd, &ref, err, sizeof(err));
	rc = EXIT_FAIL;
	if (found == STORE_NOT_FOUND) {
		buf_printf(x->err, "recording: ticket %lld has no recording %s (see: recordings %lld)\n", (long long)t->id,
			    id, (long long)t->id);
		goto out;
	}
	if (found != 0) {
		buf_printf(x->err, "recording: %s\n", err);
		goto out;
	}
	if (fstat(fd, &sb) == 0 && (uint64_t)sb.st_size != ref.size)
		buf_printf(x->err, "recording: warning: %s is %lld bytes on the relay's disk, its record says %llu; "
			    "it will not match its sha256\n", ref.path, (long long)sb.st_size, (unsigned long long)ref.size);
	log_info("auditor %s downloaded recording %s of ticket %lld", x->conn->user.name, ref.path, (long long)t->id);
	x->ch->stream_fd = fd;
	rc = EXIT_OK;
out:
	free(t);
	return rc;
}

static void exec_json_errors(struct buf *err, int status);

/* An export on the job thread (job.h): what it needs, and what it tells the channel when it ends. */
struct exec_export_job {
	struct relay_audit_export_plan plan;
	int fd;
	int rc;
	bool json;
	char user[STORE_NAME_MAX];
	char err[512];
};

static void exec_export_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct exec_export_job *j = ctx;

	j->rc = relay_audit_export(st, &j->plan, j->fd, cancel, j->err, sizeof(j->err));
	if (j->rc == 0 && lseek(j->fd, 0, SEEK_SET) != 0) {
		snprintf(j->err, sizeof(j->err), "cannot read back the temporary file: %s", strerror(errno));
		j->rc = -1;
	}
}

static void exec_export_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct exec_export_job *j = ctx;

	(void)relay;
	if (ch != NULL && j->rc == 0) {
		log_info("auditor %s exported ticket %lld", j->user, (long long)j->plan.ticket);
		ch->stream_fd = j->fd;
		j->fd = -1;
	} else if (ch != NULL) {
		buf_printf(&ch->err, "export: %s\n", j->err);
		ch->exit_status = EXIT_FAIL;
		if (j->json)
			exec_json_errors(&ch->err, EXIT_FAIL);
	}
	if (j->fd >= 0)
		close(j->fd);
	relay_audit_export_plan_clear(&j->plan);
	free(j);
}

static int exec_export(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	struct exec_export_job *j = NULL;
	char name[40];
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, t)) != EXIT_OK)
		goto out;
	snprintf(name, sizeof(name), "ticket-%lld.hexp", (long long)t->id);
	if (exec_binary_ok(x, name) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = EXIT_FAIL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto out;
	j->json = x->json;
	snprintf(j->user, sizeof(j->user), "%s", x->conn->user.name);
	/*
	 * An export can be far bigger than a command's output buffer: it is
	 * written to an unnamed file in the relay home, which the channel then
	 * streams as the technician's window allows (and which vanishes with
	 * its descriptor). It is written whole before a byte is sent, so that
	 * an export that fails half-way sends nothing but its error.
	 */
	j->fd = open(x->relay->home->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		buf_printf(x->err, "export: no room for a temporary file: %s\n", strerror(errno));
		goto out;
	}
	/* The checkpoint it ends on is signed here, on the loop; reading the chain is the job thread's. */
	if (relay_audit_export_prepare(x->relay, t->id, &j->plan, j->err, sizeof(j->err)) != 0) {
		buf_printf(x->err, "export: %s\n", j->err);
		goto out;
	}
	if (relay_job_submit(x->relay, x->ch, exec_export_run, exec_export_done, j) != 0) {
		buf_printf(x->err, "export: cannot start the job: out of memory\n");
		goto out;
	}
	j = NULL;
	rc = EXIT_OK;
out:
	if (j != NULL) {
		if (j->fd >= 0)
			close(j->fd);
		relay_audit_export_plan_clear(&j->plan);
		free(j);
	}
	free(t);
	return rc;
}

/* A verify on the job thread: the whole chain is read there. */
struct exec_verify_job {
	struct relay_audit_verify_plan plan;
	struct relay_audit_report rep;
	int ok;
	bool json;
	char user[STORE_NAME_MAX];
};

/* Checkpoints verify --json lists at most (about 85 bytes each; the channel holds 1 MiB). */
#define EXEC_VERIFY_HEADS_MAX 8000

static void exec_verify_hex(char *out, const uint8_t *p, size_t n)
{
	hex_encode(p, n, out);
}

static void exec_verify_print(struct buf *out, bool json, int ok, const struct relay_audit_report *rep)
{
	char hash[2 * CHAIN_HASH_LEN + 1], sig[2 * CHAIN_SIG_LEN + 1], fp[CHAIN_FP_MAX];
	const char *line = rep->problems[0] ? rep->problems : rep->error;

	chain_fingerprint(rep->pub, fp, sizeof(fp));
	exec_verify_hex(hash, rep->head_hash, CHAIN_HASH_LEN);
	exec_verify_hex(sig, rep->head_sig, CHAIN_SIG_LEN);
	if (json) {
		struct emit j;

		emit_init(&j, out);
		emit_object_begin(&j);
		emit_kbool(&j, "ok", ok);
		emit_kint(&j, "records", rep->records);
		emit_kint(&j, "checkpoints", rep->checkpoints);
		emit_kint(&j, "last_checkpoint", rep->last_checkpoint);
		emit_kint(&j, "unsigned", rep->unsigned_records);
		emit_kint(&j, "attachments", rep->attachments);
		emit_kint(&j, "recordings", rep->recordings);
		emit_kint(&j, "tickets", rep->tickets);
		emit_kint(&j, "kept_head", rep->kept_head);
		emit_kstring(&j, "audit_key", fp);
		if (!ok) {
			emit_kstring(&j, "error", rep->error);
			emit_key(&j, "problems");
			emit_array_begin(&j);
			for (const char *p = line; *p != '\0';) {
				const char *nl = strchr(p, '\n');
				char one[400];
				size_t n = nl ? (size_t)(nl - p) : strlen(p);

				snprintf(one, sizeof(one), "%.*s", (int)n, p);
				emit_string(&j, one);
				p += n + (nl != NULL);
			}
			emit_array_end(&j);
		}
		if (rep->has_head) {
			/* What a witness keeps (handoff-tech witness): the last checkpoint, and every one before it. */
			emit_key(&j, "head");
			emit_object_begin(&j);
			emit_kint(&j, "seq", rep->last_checkpoint);
			emit_kstring(&j, "hash", hash);
			emit_kint(&j, "at", rep->head_at);
			emit_kstring(&j, "sig", sig);
			emit_object_end(&j);
			emit_key(&j, "heads");
			emit_array_begin(&j);
			for (size_t i = rep->ncps > EXEC_VERIFY_HEADS_MAX ? rep->ncps - EXEC_VERIFY_HEADS_MAX : 0; i < rep->ncps;
			     i++) {
				exec_verify_hex(hash, rep->cps[i].hash, CHAIN_HASH_LEN);
				emit_object_begin(&j);
				emit_kint(&j, "seq", rep->cps[i].seq);
				emit_kstring(&j, "hash", hash);
				emit_object_end(&j);
			}
			emit_array_end(&j);
			/* Older ones are left out so that the line fits the channel; exports carry them all. */
			if (rep->ncps > EXEC_VERIFY_HEADS_MAX)
				emit_kbool(&j, "heads_complete", false);
		}
		emit_object_end(&j);
		emit_newline(&j);
		return;
	}
	if (ok) {
		buf_printf(out, "chain ok: %lld records, %lld checkpoints, last checkpoint at seq %lld\n",
			    (long long)rep->records, (long long)rep->checkpoints, (long long)rep->last_checkpoint);
		buf_printf(out, "files ok: %lld attachments and %lld recordings match their records; %lld tickets match their events\n",
			    (long long)rep->attachments, (long long)rep->recordings, (long long)rep->tickets);
		if (rep->unsigned_records > 0)
			buf_printf(out, "%lld newer records are not signed yet (a checkpoint follows within 60 s)\n",
				    (long long)rep->unsigned_records);
	} else {
		for (const char *p = line; *p != '\0';) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			buf_printf(out, "chain verification FAILED: %.*s\n", (int)n, p);
			p += n + (nl != NULL);
		}
	}
	if (rep->has_head)
		buf_printf(out, "signed head: seq %lld hash %s at %lld sig %s key %s\n", (long long)rep->last_checkpoint,
			    hash, (long long)rep->head_at, sig, fp);
}

static void exec_verify_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct exec_verify_job *j = ctx;

	j->ok = relay_audit_verify(st, &j->plan, cancel, &j->rep) == 0;
}

static void exec_verify_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct exec_verify_job *j = ctx;

	(void)relay;
	if (ch != NULL) {
		exec_verify_print(&ch->out, j->json, j->ok, &j->rep);
		ch->exit_status = j->ok ? EXIT_OK : EXIT_FAIL;
		log_info("auditor %s verified the audit chain: %s", j->user, j->ok ? "ok" : j->rep.error);
	}
	relay_audit_report_clear(&j->rep);
	free(j);
}

static int exec_verify(struct exec_ctx *x)
{
	struct exec_verify_job *j;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return EXIT_FAIL;
	j->json = x->json;
	snprintf(j->user, sizeof(j->user), "%s", x->conn->user.name);
	if (relay_audit_verify_prepare(x->relay, &j->plan, &j->rep) != 0) {
		exec_verify_print(x->out, x->json, 0, &j->rep);
		log_info("auditor %s verified the audit chain: %s", j->user, j->rep.error);
		free(j);
		return EXIT_FAIL;
	}
	if (relay_job_submit(x->relay, x->ch, exec_verify_run, exec_verify_done, j) != 0) {
		buf_printf(x->err, "verify: cannot start the job: out of memory\n");
		free(j);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* `report`: the chain's events read on the job thread (a desk's whole history is long work). */
struct exec_report_job {
	struct relay_report rep;
	enum { EXEC_REPORT_TEXT, EXEC_REPORT_JSON, EXEC_REPORT_CSV, EXEC_REPORT_HTML } format;
	bool ok;
	struct buf out;
	char user[STORE_NAME_MAX];
};

struct exec_report_walk {
	struct relay_report *rep;
	const atomic_bool *cancel;
};

static int exec_report_link(const struct store_link *l, void *ctx)
{
	struct exec_report_walk *w = ctx;
	struct relay_report_event e = { .ticket = l->ticket, .at = l->event.at, .kind = l->event.kind,
					.actor = l->event.actor, .role = l->event.role, .detail = l->event.detail };

	if (atomic_load(w->cancel))
		return 1;
	return relay_report_event(w->rep, &e) != 0;
}

static void exec_report_run(struct store *st, void *ctx, const atomic_bool *cancel)
{
	struct exec_report_job *j = ctx;
	struct exec_report_walk w = { .rep = &j->rep, .cancel = cancel };

	if (store_begin_read(st) != STORE_OK)
		return;
	j->ok = store_chain_links(st, 1, 0, exec_report_link, &w) == STORE_OK && !atomic_load(cancel) &&
		relay_report_finish(&j->rep) == 0;
	store_commit(st);
	if (!j->ok)
		return;
	switch (j->format) {
	case EXEC_REPORT_TEXT: relay_report_text(&j->rep, &j->out); break;
	case EXEC_REPORT_JSON: relay_report_json(&j->rep, &j->out); break;
	case EXEC_REPORT_CSV: relay_report_csv(&j->rep, &j->out); break;
	case EXEC_REPORT_HTML: relay_report_html(&j->rep, &j->out); break;
	}
}

static void exec_report_done(struct relay *relay, struct relay_chan *ch, void *ctx)
{
	struct exec_report_job *j = ctx;

	(void)relay;
	if (ch != NULL) {
		if (j->ok && buf_put(&ch->out, buf_ptr(&j->out), buf_len(&j->out)) == 0)
			ch->exit_status = EXIT_OK;
		else {
			buf_printf(&ch->err, "report: %s\n", j->ok ? "too large to send" : "the store failed");
			ch->exit_status = EXIT_FAIL;
		}
		log_info("auditor %s ran a report", j->user);
	}
	relay_report_free(&j->rep);
	buf_free(&j->out);
	free(j);
}

static int exec_report(struct exec_ctx *x)
{
	struct exec_report_job *j;
	int64_t since = 0, until = 0;
	int by;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	for (int k = 0; k < 2; k++) {
		int64_t *day = k == 0 ? &since : &until;

		if (x->opt_value[k] != NULL && exec_parse_day(x->opt_value[k], day) != 0) {
			buf_printf(x->err, "report: --%s wants a day as YYYY-MM-DD, got \"", k == 0 ? "since" : "until");
			exec_text(x->err, x->opt_value[k]);
			buf_printf(x->err, "\"\n");
			return EXIT_USAGE;
		}
	}
	/* --until names the last day counted. */
	if (until != 0)
		until += 86400;
	if (until != 0 && until <= since) {
		buf_printf(x->err, "report: --until is before --since\n");
		return EXIT_USAGE;
	}
	if ((by = relay_report_by_parse(x->opt_value[2])) < 0) {
		buf_printf(x->err, "report: --by is tier, tech, priority or kb\n");
		return EXIT_USAGE;
	}
	if ((x->opt_value[3] != NULL) + (x->opt_value[4] != NULL) + x->json > 1) {
		buf_printf(x->err, "report: one of --json, --csv, --html\n");
		return EXIT_USAGE;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return EXIT_FAIL;
	relay_report_init(&j->rep, since, until, (enum relay_report_by)by);
	j->format = x->json ? EXEC_REPORT_JSON : x->opt_value[3] ? EXEC_REPORT_CSV : x->opt_value[4] ? EXEC_REPORT_HTML
												: EXEC_REPORT_TEXT;
	buf_init(&j->out, 16u * 1024 * 1024);
	snprintf(j->user, sizeof(j->user), "%s", x->conn->user.name);
	if (relay_job_submit(x->relay, x->ch, exec_report_run, exec_report_done, j) != 0) {
		buf_printf(x->err, "report: cannot start the job: out of memory\n");
		buf_free(&j->out);
		free(j);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/*
 * Under --json, what a command wrote to stderr becomes one object, so that
 * a program reads every error (usage, refusal, failure) the same way.
 */
static void exec_json_errors(struct buf *err, int status)
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

static const struct exec_cmd exec_cmds[] = {
	{ .name = "help", .usage = "[--usage]", .when = EXEC_ANYONE, .run = exec_help,
	  .help = "these lines; --usage: each command as NAME<TAB>USAGE, for programs" },
	{ .name = "whoami", .usage = "", .when = EXEC_ANYONE, .run = exec_whoami,
	  .help = "who the relay thinks you are" },
	{ "ticket new", "[--priority P1-P4] [--customer NAME] [--contact HOW] SUMMARY...", RELAY_ACT_NEW, EXEC_FIRST,
	  exec_ticket_new, "open a ticket; prints its number" },
	{ "ticket show", "N", RELAY_ACT_SHOW, EXEC_HANDLER, exec_ticket_show,
	  "a ticket: events, transcript, attachments" },
	{ "ticket attachment", "N ID", RELAY_ACT_SHOW, EXEC_HANDLER, exec_ticket_attachment,
	  "one attachment's content" },
	{ "queue", "[--tier L1|L2|L3]", RELAY_ACT_QUEUE, EXEC_HANDLER, exec_queue,
	  "tickets waiting to be taken (default: your tier), least SLA time left first" },
	{ "mine", "", RELAY_ACT_QUEUE, EXEC_HANDLER, exec_mine, "your tickets that are not resolved" },
	{ "ticket list", "", RELAY_ACT_QUEUE, EXEC_HANDLER, exec_mine, "the same as mine" },
	{ "take", "N", RELAY_ACT_TAKE, EXEC_HANDLER, exec_take,
	  "take a ticket from your queue; prints what the last tier handed over (a no-op if it is yours)" },
	{ "control", "N", RELAY_ACT_VIEW, EXEC_HANDLER, exec_control,
	  "ask the customer for control of a screen you view" },
	{ "invite", "N", RELAY_ACT_INVITE, EXEC_HANDLER, exec_invite,
	  "a one-time support code (it cancels the ticket's previous one)" },
	{ "chat", "N [TEXT...]", RELAY_ACT_CHAT, EXEC_HANDLER, exec_chat,
	  "say TEXT to the customer; without it, follow the chat live: lines you type are sent, Ctrl-D leaves" },
	{ "note", "N [--sensitive] [--field NAME] TEXT...", RELAY_ACT_NOTE, EXEC_HANDLER, exec_note,
	  "a note on the ticket (sensitive: L2/L3 only); --field fills a handover checklist's field" },
	{ "triage", "N --impact high|medium|low --urgency high|medium|low", RELAY_ACT_TRIAGE, EXEC_HANDLER, exec_triage,
	  "set the priority from impact and urgency (relay.conf's matrix); a priority that starts higher moves the ticket" },
	{ "wait", "N --for customer", RELAY_ACT_WAIT, EXEC_HANDLER, exec_wait,
	  "stop the SLA clocks until the customer's next message or connection" },
	{ "escalate", "N --to L2|L3 --note TEXT... [--force] [--reason TEXT...]", RELAY_ACT_ESCALATE, EXEC_HANDLER,
	  exec_escalate,
	  "hand the ticket to the next tier: what was tried, what is known; refused while the tier's checklist "
	  "lacks a field (--force --reason: recorded)" },
	{ "resolve", "N --note TEXT... [--kb ID] [--new-kb]", RELAY_ACT_RESOLVE, EXEC_HANDLER, exec_resolve,
	  "the customer's problem is fixed: what fixed it; --kb: the article that did, --new-kb: write one from it" },
	{ "reopen", "N --reason TEXT...", RELAY_ACT_REOPEN, EXEC_HANDLER, exec_reopen,
	  "the customer came back: a resolved ticket returns to its tier's queue, unowned (counted in report)" },
	{ "close", "N", RELAY_ACT_CLOSE, EXEC_HANDLER, exec_close,
	  "close a resolved ticket for good (no reopening); a P1/P2 needs its review first" },
	{ "review", "[N] [--cause TEXT...] [--prevention TEXT...]", RELAY_ACT_REVIEW, EXEC_HANDLER, exec_review,
	  "P1/P2 incidents: without N, those awaiting a review; with N, record the cause and the prevention (L2/L3)" },
	{ "kb add", "--tier public|L1|L2|L3 --title TEXT... --symptoms TEXT... --fix TEXT... [--cause TEXT...]",
	  RELAY_ACT_KB_WRITE, EXEC_FIRST, exec_kb_add,
	  "a knowledge base article; --tier: the lowest tier that may read it (public: customers too)" },
	{ "kb edit", "ID [--tier public|L1|L2|L3] [--title TEXT...] [--symptoms TEXT...] [--fix TEXT...] [--cause TEXT...]",
	  RELAY_ACT_KB_WRITE, EXEC_FIRST, exec_kb_edit, "change an article you may read" },
	{ "kb show", "ID", RELAY_ACT_KB_READ, EXEC_FIRST, exec_kb_show, "one article" },
	{ "kb search", "WORDS...", RELAY_ACT_KB_READ, EXEC_FIRST, exec_kb_search,
	  "articles holding every word (Japanese too), best first" },
	{ "kb list", "", RELAY_ACT_KB_READ, EXEC_FIRST, exec_kb_list, "the articles you may read" },
	/* Auditors (read-only); help puts a heading before the first of them. */
	{ "tickets", "[--since YYYY-MM-DD]", RELAY_ACT_AUDIT, EXEC_FIRST, exec_tickets,
	  "tickets, or those with events since a day (UTC)" },
	{ "show", "N", RELAY_ACT_AUDIT, EXEC_FIRST, exec_ticket_show, "a ticket, as ticket show prints it" },
	{ "transcript", "N", RELAY_ACT_AUDIT, EXEC_FIRST, exec_transcript, "the chat with the customer" },
	{ "recordings", "N", RELAY_ACT_AUDIT, EXEC_FIRST, exec_recordings,
	  "the ticket's screen recordings: path, size, sha256, state" },
	{ "recording", "N ID > FILE.hrec", RELAY_ACT_AUDIT, EXEC_FIRST, exec_recording,
	  "one sealed recording, binary (ID: a path recordings N lists, or its file name)" },
	{ "export", "N > FILE", RELAY_ACT_AUDIT, EXEC_FIRST, exec_export,
	  "the ticket's signed record as one file, binary; check it offline: handoff-tech verify FILE --audit-key PUB" },
	{ "report", "[--since YYYY-MM-DD] [--until YYYY-MM-DD] [--by tier|tech|priority|kb] [--csv] [--html]",
	  RELAY_ACT_AUDIT, EXEC_FIRST, exec_report,
	  "the desk's numbers from the chain: opened, resolved, MTTR, first response, time in tier, escalations, "
	  "SLA breaches, reopened, resolved by an article; --html: one page with charts" },
	{ "verify", "", RELAY_ACT_AUDIT, EXEC_FIRST, exec_verify,
	  "check the audit chain, its signatures and the kept head; every attachment and recording; every ticket's row" },
};

#define EXEC_NCMDS (sizeof(exec_cmds) / sizeof(exec_cmds[0]))

/* The help column: a name and usage longer than this puts the help on its own line. */
#define EXEC_HELP_COLUMN 37
#define EXEC_HELP_WIDTH 79

/* A command's help from the help column on, wrapped at spaces to EXEC_HELP_WIDTH. */
static void exec_help_text(struct exec_ctx *x, const char *text)
{
	const size_t room = EXEC_HELP_WIDTH - 2 - EXEC_HELP_COLUMN;

	while (strlen(text) > room) {
		size_t cut = room;

		while (cut > 0 && text[cut] != ' ')
			cut--;
		if (cut == 0)
			break;
		buf_printf(x->out, "%.*s\n  %*s", (int)cut, text, EXEC_HELP_COLUMN, "");
		text += cut + 1;
	}
	buf_printf(x->out, "%s\n", text);
}

static int exec_help(struct exec_ctx *x)
{
	bool auditors = false;

	if (exec_options(x) != 0 || x->nwords != 0) {
		exec_usage(x);
		return EXIT_USAGE;
	}
	if (x->opt_value[0] != NULL) {
		for (size_t i = 0; i < EXEC_NCMDS; i++)
			buf_printf(x->out, "%s\t%s\n", exec_cmds[i].name, exec_cmds[i].usage);
		return EXIT_OK;
	}
	buf_printf(x->out, "Handoff relay commands (add --json for machine-readable output):\n");
	for (size_t i = 0; i < EXEC_NCMDS; i++) {
		const struct exec_cmd *c = &exec_cmds[i];
		int n;

		if (c->rights == RELAY_ACT_AUDIT && c->when != EXEC_ANYONE && !auditors) {
			buf_printf(x->out, "Auditors (read-only):\n");
			auditors = true;
		}
		n = (int)(strlen(c->name) + (c->usage[0] ? 1 + strlen(c->usage) : 0));
		buf_printf(x->out, "  %s%s%s", c->name, c->usage[0] ? " " : "", c->usage);
		if (n < EXEC_HELP_COLUMN - 1)
			buf_printf(x->out, "%*s", EXEC_HELP_COLUMN - n, "");
		else
			buf_printf(x->out, "\n  %*s", EXEC_HELP_COLUMN, "");
		exec_help_text(x, c->help);
	}
	buf_printf(x->out,
		    "Support codes are valid for %lu min.\n"
		    "Errors go to stderr; with --json as {\"error\": TEXT, \"exit\": STATUS}.\n"
		    "To view a customer's screen: handoff-tech view N, or\n"
		    "  ssh -N -L 5901:ticket-N:5900 ... and any VNC viewer on localhost:5901\n"
		    "  (ticket-N:5900 asks the customer for view and control, ticket-N:5901 for view only)\n",
		    x->relay->home->code_ttl / 60);
	return EXIT_OK;
}

/* The table's entry for argv: two-word names first match their two words. */
static const struct exec_cmd *exec_find(char **argv, size_t argc, size_t *from)
{
	for (size_t i = 0; i < EXEC_NCMDS; i++) {
		const char *name = exec_cmds[i].name, *space = strchr(name, ' ');

		if (space == NULL && strcmp(argv[0], name) == 0) {
			*from = 1;
			return &exec_cmds[i];
		}
		if (space != NULL && argc > 1 && strncmp(argv[0], name, (size_t)(space - name)) == 0 &&
		    argv[0][space - name] == '\0' && strcmp(argv[1], space + 1) == 0) {
			*from = 2;
			return &exec_cmds[i];
		}
	}
	return NULL;
}

int relay_exec_run(struct relay *relay, struct relay_chan *ch, const char *line,
		   struct buf *out, struct buf *err)
{
	struct exec_ctx *x = calloc(1, sizeof(*x));
	char msg[256];
	int status = EXIT_USAGE;
	size_t kept = 0;
	const char *cmd;

	if (x == NULL)
		return EXIT_FAIL;
	*x = (struct exec_ctx){ .relay = relay, .ch = ch, .conn = ch->conn, .out = out, .err = err };
	emit_init(&x->j, out);
	if (cmdline_split(line, &x->argv, &x->argc, msg, sizeof(msg)) != 0) {
		buf_printf(err, "cannot read the command: %s\n", msg);
		free(x);
		return EXIT_USAGE;
	}
	/* --json may stand anywhere; the rest keep their order. */
	for (size_t i = 0; i < x->argc; i++) {
		if (strcmp(x->argv[i], "--json") == 0) {
			x->json = true;
			free(x->argv[i]);
		} else {
			x->argv[kept++] = x->argv[i];
		}
	}
	x->argv[kept] = NULL;
	x->argc = kept;
	cmd = x->argc > 0 ? x->argv[0] : "help";
	if (x->argc == 0 || strcmp(cmd, "--help") == 0) {
		x->cmd = &exec_cmds[0];
		x->from = x->argc > 0 ? 1 : 0;
	} else {
		x->cmd = exec_find(x->argv, x->argc, &x->from);
	}
	if (x->cmd == NULL)
		buf_printf(err, "unknown command: %s (try: help)\n", cmd);
	else if (x->cmd->when == EXEC_FIRST && exec_allowed(x, x->cmd->rights, NULL) != 0)
		status = EXIT_DENIED;
	else
		status = x->cmd->run(x);
	if (x->json)
		exec_json_errors(err, status);
	log_debug("conn %u: %s ran %s, exit %d", ch->conn->id, ch->conn->user.name, cmd, status);
	cmdline_free(x->argv);
	free(x);
	return status;
}
