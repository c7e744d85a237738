/*
 * exec.c: the commands people run over SSH exec, dispatched by the
 * authenticated identity. Output is plain text for people, or JSON with
 * --json for programs; errors go to stderr with a non-zero exit status
 * (under --json as one JSON object, {"error": TEXT, "exit": STATUS}).
 * Text from people (summaries, names, notes, chat) goes through textesc,
 * so no control character of theirs reaches a technician's terminal.
 * Support codes are printed to the technician who asked and nowhere else:
 * the store keeps only their HMAC, and no log line carries one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
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
#include "event.h"
#include "export.h"
#include "log.h"
#include "relay.h"
#include "textesc.h"
#include "timefmt.h"
#include "utf8.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_DENIED = 3 };

struct exec_ctx {
	struct relay *relay;
	struct relay_chan *ch;
	struct relay_conn *conn;
	struct buf *out, *err;
	char **argv;
	size_t argc;
	bool json;
	/* Options and words of the command after its name, see exec_options. */
	const char *opt_value[4];
	char opt_text[4][CMDLINE_MAX + 1];
	char words[CMDLINE_MAX + 1];
	size_t nwords;
	const char *first_word;
};

static void exec_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void exec_printf(struct buf *b, const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put(b, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* A JSON string literal of s (UTF-8 passes through; controls are escaped). */
static void exec_json_string(struct buf *b, const char *s)
{
	buf_put_u8(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			exec_printf(b, "\\%c", c);
		else if (c < 0x20)
			exec_printf(b, "\\u%04x", c);
		else
			buf_put_u8(b, c);
	}
	buf_put_u8(b, '"');
}

/* Someone's text in a text-mode line: controls escaped, newlines shown as \n. */
static void exec_text(struct buf *b, const char *s)
{
	textesc_append(b, s, NULL);
}

/* Text mode: a list that printed nothing since before says so. */
static void exec_empty(struct exec_ctx *x, size_t before)
{
	if (!x->json && buf_len(x->out) == before)
		exec_printf(x->out, "  (empty)\n");
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
		exec_printf(x->err, "%s: which ticket? (a number)\n", x->argv[0]);
		return -1;
	}
	/* Ticket 0 is the relay's own record (security events): auditors read it, nobody else. */
	if (strcmp(arg, "0") == 0 && x->conn->role == RELAY_ROLE_AUDITOR) {
		*id = 0;
		return 0;
	}
	n = strtoll(arg, &end, 10);
	if (arg[0] < '1' || arg[0] > '9' || *end != '\0' || n <= 0 || n > 100000000000LL) {
		exec_printf(x->err, "not a ticket number: %s\n", arg);
		return -1;
	}
	*id = n;
	return 0;
}

/*
 * Splits the words after the command name into options and text. An option
 * listed in names takes every word up to the next option as its value, so
 * "--note printer driver reinstalled" means the same from handoff-tech
 * (one quoted word) and from a stock ssh, which joins arguments with spaces.
 * Flags (names ending in '!') take no value. The remaining words are joined
 * into x->words; x->first_word is the first of them.
 */
static int exec_options(struct exec_ctx *x, size_t from, const char *const *names, size_t nnames)
{
	char *vals[4] = { 0 };
	size_t cur = nnames; /* collecting into: nnames = plain words */
	char (*scratch)[CMDLINE_MAX + 1] = x->opt_text;
	size_t used[4] = { 0 }, wused = 0;

	if (nnames > 4)
		return -1;

	memset(x->opt_value, 0, sizeof(x->opt_value));
	x->words[0] = '\0';
	x->nwords = 0;
	x->first_word = NULL;
	for (size_t i = from; i < x->argc; i++) {
		const char *a = x->argv[i];
		size_t k;

		if (strncmp(a, "--", 2) == 0) {
			for (k = 0; k < nnames; k++) {
				size_t len = strcspn(names[k], "!");

				if (strncmp(a + 2, names[k], len) == 0 && a[2 + len] == '\0')
					break;
			}
			if (k == nnames) {
				exec_printf(x->err, "%s: unknown option %s\n", x->argv[0], a);
				return -1;
			}
			if (strchr(names[k], '!') != NULL) {
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
			if (strcmp(names[cur], "note") != 0)
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
	exec_printf(x->err, "%s: arguments too long\n", x->argv[0]);
	return -1;
}

static int exec_get_ticket(struct exec_ctx *x, int64_t id, struct store_ticket *t)
{
	int rc = store_ticket_get(x->relay->store, id, t);

	if (rc == STORE_NOT_FOUND)
		exec_printf(x->err, "no ticket %lld\n", (long long)id);
	else if (rc != STORE_OK)
		exec_printf(x->err, "%s: the store failed\n", x->argv[0]);
	return rc == STORE_OK ? 0 : -1;
}

static int exec_allowed(struct exec_ctx *x, enum relay_action action, const struct store_ticket *t)
{
	char why[256];

	if (relay_rights_check(x->conn->role, &x->conn->user, action, t, why, sizeof(why)) == 0)
		return 0;
	exec_printf(x->err, "%s: not allowed: %s\n", x->argv[0], why);
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
		exec_printf(x->err, "%s: the %s is empty\n", x->argv[0], what);
		return -1;
	}
	if (len > CTL_TEXT_MAX) {
		exec_printf(x->err, "%s: the %s is %zu bytes; at most %u are kept\n", x->argv[0], what, len,
			    CTL_TEXT_MAX);
		return -1;
	}
	return 0;
}

static int exec_help(struct exec_ctx *x)
{
	exec_printf(x->out,
		    "Handoff relay commands (add --json for machine-readable output):\n"
		    "  whoami                               who the relay thinks you are\n"
		    "  ticket new [--priority P1-P4] [--customer NAME] [--contact HOW] SUMMARY...\n"
		    "                                       open a ticket; prints its number\n"
		    "  ticket show N                        a ticket: events, transcript, attachments\n"
		    "  ticket attachment N ID               one attachment's content\n"
		    "  queue [--tier L1|L2|L3]              tickets waiting to be taken (default: your tier)\n"
		    "  mine  (or: ticket list)              your tickets that are not resolved\n"
		    "  take N                               take a ticket from your queue; prints what the\n"
		    "                                       last tier handed over (a no-op if it is yours)\n"
		    "  control N                            ask the customer for control of a screen you view\n"
		    "  invite N                             a one-time support code (valid %lu min)\n"
		    "  chat N TEXT...                       say something to the customer\n"
		    "  chat N                               follow the conversation live; lines you type are sent,\n"
		    "                                       end of input (Ctrl-D) leaves\n"
		    "  note N [--sensitive] TEXT...         a note on the ticket (sensitive: L2/L3 only)\n"
		    "  escalate N --to L2|L3 --note TEXT... hand the ticket to the next tier\n"
		    "  resolve N --note TEXT...             close the case\n"
		    "Auditors (read-only):\n"
		    "  tickets [--since YYYY-MM-DD]         tickets, or those with events since a day (UTC)\n"
		    "  show N                               a ticket, as ticket show prints it\n"
		    "  transcript N                         the chat with the customer\n"
		    "  recordings N                         the ticket's screen recordings: path, size, sha256, state\n"
		    "  recording N ID > FILE.hrec           one sealed recording (ID: its path or file name), binary\n"
		    "  export N > FILE                      the ticket's signed record as one file (binary);\n"
		    "                                       check it offline: handoff-tech verify FILE --audit-key PUB\n"
		    "  verify                               check the relay's whole audit chain and its signatures\n"
		    "Errors go to stderr; with --json as {\"error\": TEXT, \"exit\": STATUS}.\n"
		    "To view a customer's screen: handoff-tech view N, or\n"
		    "  ssh -N -L 5901:ticket-N:5900 ... and any VNC viewer on localhost:5901\n"
		    "  (ticket-N:5900 asks the customer for view and control, ticket-N:5901 for view only)\n",
		    x->relay->home->code_ttl / 60);
	return EXIT_OK;
}

static int exec_whoami(struct exec_ctx *x)
{
	const struct store_user *u = &x->conn->user;

	if (x->json) {
		exec_printf(x->out, "{\"name\":");
		exec_json_string(x->out, u->name);
		exec_printf(x->out, ",\"role\":\"%s\",\"tier\":\"%s\"}\n", u->role, u->tier);
	} else {
		exec_printf(x->out, "%s %s %s\n", u->name, u->role, u->tier[0] ? u->tier : "-");
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
	static const char *const names[] = { "priority", "customer", "contact" };
	static const char *const priorities[] = { "P1", "P2", "P3", "P4" };
	struct store_ticket_spec spec = { 0 };
	char summary[STORE_TEXT_MAX];
	int64_t id, now = relay_now(x->relay);
	int p;

	if (exec_allowed(x, RELAY_ACT_NEW, NULL) != 0)
		return EXIT_DENIED;
	if (exec_options(x, 2, names, 3) != 0)
		return EXIT_USAGE;
	p = exec_priority_index(x->opt_value[0]);
	if (p < 0) {
		exec_printf(x->err, "ticket new: --priority is P1, P2, P3 or P4\n");
		return EXIT_USAGE;
	}
	if (x->nwords == 0) {
		exec_printf(x->err, "usage: ticket new [--priority P1-P4] [--customer NAME] [--contact HOW] SUMMARY...\n");
		return EXIT_USAGE;
	}
	int n = snprintf(summary, sizeof(summary), "%s%s%s", x->first_word, x->nwords > 1 ? " " : "", x->words);
	if (n < 0 || (size_t)n >= sizeof(summary) ||
	    (x->opt_value[1] && strlen(x->opt_value[1]) >= STORE_NAME_MAX * 2) ||
	    (x->opt_value[2] && strlen(x->opt_value[2]) >= STORE_NAME_MAX * 2)) {
		exec_printf(x->err, "ticket new: summary, customer or contact too long\n");
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
	if (store_begin(x->relay->store) != STORE_OK ||
	    store_ticket_new(x->relay->store, &spec, now, &id) != STORE_OK ||
	    store_event_add(x->relay->store, id, now, EVENT_CREATED, x->conn->user.name, x->conn->user.tier, NULL,
			    summary) != STORE_OK ||
	    store_commit(x->relay->store) != STORE_OK) {
		store_rollback(x->relay->store);
		exec_printf(x->err, "ticket new: the store failed\n");
		return EXIT_FAIL;
	}
	log_info("%s opened ticket %lld (%s, %s)", x->conn->user.name, (long long)id, spec.priority, spec.tier);
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"tier\":\"%s\",\"priority\":\"%s\",\"owned\":%s}\n",
			    (long long)id, spec.tier, spec.priority, spec.owner_id ? "true" : "false");
	else
		exec_printf(x->out, "%lld\n", (long long)id);
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

	exec_printf(x->out, "  %s  %-22s ", when, e->kind);
	exec_text(x->out, e->actor);
	if (role) {
		exec_printf(x->out, " (");
		exec_text(x->out, e->role);
		exec_printf(x->out, ")");
	}
	if (e->detail[0] || hidden) {
		exec_printf(x->out, ": ");
		cols = exec_columns(buf_ptr(x->out) + start, buf_len(x->out) - start);
		if (cols > sizeof(indent) - 1)
			cols = sizeof(indent) - 1;
		memset(indent, ' ', cols);
		indent[cols] = '\0';
		textesc_append(x->out, hidden ? hidden : e->detail, indent);
	}
	exec_printf(x->out, "%s\n", e->clearance[0] && !hidden ? " [sensitive]" : "");
}

static int exec_show_event(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	const char *hidden = exec_hidden(x, e->clearance);
	char when[32];

	timefmt_utc(e->at, TIMEFMT_DATETIME, when, sizeof(when));
	if (x->json) {
		exec_printf(x->out, "%s{\"id\":%lld,\"at\":%lld,\"kind\":", x->nwords++ ? "," : "",
			    (long long)e->id, (long long)e->at);
		exec_json_string(x->out, e->kind);
		exec_printf(x->out, ",\"actor\":");
		exec_json_string(x->out, e->actor);
		exec_printf(x->out, ",\"role\":");
		exec_json_string(x->out, e->role);
		exec_printf(x->out, ",\"clearance\":");
		exec_json_string(x->out, e->clearance);
		exec_printf(x->out, ",\"detail\":");
		exec_json_string(x->out, hidden ? hidden : e->detail);
		exec_printf(x->out, "}");
		return 0;
	}
	exec_show_event_line(x, e, when, hidden);
	return 0;
}

static int exec_show_attachment(const struct store_attachment *a, void *ctx)
{
	struct exec_ctx *x = ctx;

	if (x->json) {
		exec_printf(x->out, "%s{\"id\":%lld,\"at\":%lld,\"kind\":", x->nwords++ ? "," : "", (long long)a->id,
			    (long long)a->at);
		exec_json_string(x->out, a->kind);
		exec_printf(x->out, ",\"name\":");
		exec_json_string(x->out, a->name);
		exec_printf(x->out, ",\"author\":");
		exec_json_string(x->out, a->author);
		exec_printf(x->out, ",\"clearance\":");
		exec_json_string(x->out, a->clearance);
		exec_printf(x->out, ",\"size\":%lld,\"sha256\":\"%s\"}", (long long)a->size, a->sha256);
		return 0;
	}
	{
		char name[STORE_TEXT_MAX];

		textesc_string(a->name, NULL, name, sizeof(name));
		exec_printf(x->out, "  #%-3lld %-14s %-32s %8lld bytes  sha256 %s  by ", (long long)a->id, a->kind, name,
			    (long long)a->size, a->sha256);
	}
	exec_text(x->out, a->author);
	exec_printf(x->out, "%s\n", a->clearance[0] ? " [sensitive]" : "");
	return 0;
}

/* `ticket show N` (from = 2) and the auditors' `show N` (from = 1): the same content. */
static int exec_ticket_show(struct exec_ctx *x, size_t from)
{
	struct store_ticket *t = malloc(sizeof(*t));
	char created[32], since[32];
	size_t before;
	bool live;
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if (from == 1 && exec_allowed(x, RELAY_ACT_AUDIT, NULL) != 0) {
		rc = EXIT_DENIED;
		goto out;
	}
	if (exec_options(x, from, NULL, 0) != 0 || x->nwords != 1) {
		exec_printf(x->err, "usage: %s N\n", from == 1 ? "show" : "ticket show");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, t)) != EXIT_OK)
		goto out;
	live = relay_conn_live_customer(x->relay, t->id) != NULL;
	timefmt_utc(t->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		exec_printf(x->out, "{\"ticket\":%lld,\"summary\":", (long long)t->id);
		exec_json_string(x->out, t->summary);
		exec_printf(x->out, ",\"state\":\"%s\",\"tier\":\"%s\",\"priority\":\"%s\",\"owner\":", t->state,
			    t->tier, t->priority);
		exec_json_string(x->out, t->owner);
		exec_printf(x->out, ",\"customer\":");
		exec_json_string(x->out, t->customer_name);
		exec_printf(x->out, ",\"contact\":");
		exec_json_string(x->out, t->customer_contact);
		exec_printf(x->out, ",\"created_at\":%lld,\"tier_since\":%lld,\"live\":%s,\"events\":[",
			    (long long)t->created_at, (long long)t->tier_since, live ? "true" : "false");
		x->nwords = 0;
		store_events(x->relay->store, t->id, NULL, exec_show_event, x);
		exec_printf(x->out, "],\"attachments\":[");
		x->nwords = 0;
		store_attachments(x->relay->store, t->id, exec_show_attachment, x);
		exec_printf(x->out, "]}\n");
		goto out;
	}
	exec_printf(x->out, "ticket %lld [%s, %s, %s] owner %s%s\n  ", (long long)t->id, t->tier, t->state, t->priority,
		    t->owner[0] ? t->owner : "- (in the queue)", live ? ", customer connected" : "");
	textesc_append(x->out, t->summary, "  ");
	exec_printf(x->out, "\n");
	if (t->customer_name[0] || t->customer_contact[0]) {
		exec_printf(x->out, "  customer: ");
		exec_text(x->out, t->customer_name);
		exec_printf(x->out, "%s", t->customer_contact[0] ? ", " : "");
		exec_text(x->out, t->customer_contact);
		exec_printf(x->out, "\n");
	}
	exec_printf(x->out, "  opened %s, at %s since %s\nevents:\n", created, t->tier, since);
	store_events(x->relay->store, t->id, NULL, exec_show_event, x);
	exec_printf(x->out, "attachments (ticket attachment %lld ID prints one):\n", (long long)t->id);
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

	if (exec_options(x, 2, NULL, 0) != 0 || x->nwords != 2) {
		exec_printf(x->err, "usage: ticket attachment N ID\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, &t)) != EXIT_OK)
		return rc;
	aid = strtoll(x->words, &end, 10);
	if (x->words[0] < '1' || x->words[0] > '9' || *end != '\0') {
		exec_printf(x->err, "not an attachment number: %s\n", x->words);
		return EXIT_USAGE;
	}
	rc = store_attachment_get(x->relay->store, t.id, aid, exec_attachment_readable, x, &content, &len);
	if (rc == STORE_NOT_FOUND) {
		exec_printf(x->err, "ticket %lld has no attachment %lld\n", (long long)t.id, aid);
		return EXIT_FAIL;
	}
	if (rc != STORE_OK) {
		exec_printf(x->err, "attachment %lld is sensitive: not for an %s technician\n", aid, x->conn->user.tier);
		return EXIT_DENIED;
	}
	if (buf_put(x->out, content, len) != 0) {
		exec_printf(x->err, "attachment too large to print here\n");
		rc = EXIT_FAIL;
	}
	free(content);
	return rc == STORE_OK ? EXIT_OK : rc;
}

static int exec_queue_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	char since[32];

	timefmt_utc(t->tier_since, TIMEFMT_DATETIME, since, sizeof(since));
	if (x->json) {
		exec_printf(x->out, "%s{\"ticket\":%lld,\"priority\":\"%s\",\"state\":\"%s\",\"tier_since\":%lld,\"summary\":",
			    x->nwords++ ? "," : "", (long long)t->id, t->priority, t->state, (long long)t->tier_since);
		exec_json_string(x->out, t->summary);
		exec_printf(x->out, ",\"live\":%s}", relay_conn_live_customer(x->relay, t->id) ? "true" : "false");
		return 0;
	}
	exec_printf(x->out, "%6lld  %s  %-10s %s  ", (long long)t->id, t->priority, t->state, since);
	exec_text(x->out, t->summary);
	exec_printf(x->out, "%s\n", relay_conn_live_customer(x->relay, t->id) ? "  (customer connected)" : "");
	return 0;
}

static int exec_queue(struct exec_ctx *x)
{
	static const char *const names[] = { "tier" };
	struct store_ticket *q = calloc(1, sizeof(*q));
	size_t before;
	int rc = EXIT_OK;

	if (q == NULL)
		return EXIT_FAIL;
	if (exec_options(x, 1, names, 1) != 0 || x->nwords != 0) {
		exec_printf(x->err, "usage: queue [--tier L1|L2|L3]\n");
		rc = EXIT_USAGE;
		goto out;
	}
	snprintf(q->tier, sizeof(q->tier), "%s",
		 x->opt_value[0] ? x->opt_value[0] : (x->conn->user.tier[0] ? x->conn->user.tier : "L1"));
	if (relay_tier_rank(q->tier) == 0) {
		exec_printf(x->err, "queue: --tier is L1, L2 or L3\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (exec_allowed(x, RELAY_ACT_QUEUE, q) != 0) {
		rc = EXIT_DENIED;
		goto out;
	}
	if (x->json)
		exec_printf(x->out, "{\"tier\":\"%s\",\"tickets\":[", q->tier);
	else
		exec_printf(x->out, "%s queue:\n", q->tier);
	x->nwords = 0;
	before = buf_len(x->out);
	if (store_queue(x->relay->store, q->tier, exec_queue_row, x) != STORE_OK) {
		exec_printf(x->err, "queue: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_printf(x->out, "]}\n");
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
		exec_printf(x->out, "%s{\"ticket\":%lld,\"priority\":\"%s\",\"tier\":\"%s\",\"state\":\"%s\","
			    "\"tier_since\":%lld,\"summary\":", x->nwords++ ? "," : "", (long long)t->id, t->priority,
			    t->tier, t->state, (long long)t->tier_since);
		exec_json_string(x->out, t->summary);
		exec_printf(x->out, ",\"live\":%s}", live ? "true" : "false");
		return 0;
	}
	exec_printf(x->out, "%6lld  %s  %s  %-10s %s  ", (long long)t->id, t->priority, t->tier, t->state, since);
	exec_text(x->out, t->summary);
	exec_printf(x->out, "%s\n", live ? "  (customer connected)" : "");
	return 0;
}

/* `mine` and `ticket list` (from = 2): the tickets one owns and has not resolved. */
static int exec_mine(struct exec_ctx *x, size_t from)
{
	size_t before;
	int rc = EXIT_OK;

	if (exec_options(x, from, NULL, 0) != 0 || x->nwords != 0) {
		exec_printf(x->err, "usage: %s\n", from == 1 ? "mine" : "ticket list");
		return EXIT_USAGE;
	}
	if (exec_allowed(x, RELAY_ACT_QUEUE, NULL) != 0)
		return EXIT_DENIED;
	if (x->json) {
		exec_printf(x->out, "{\"owner\":");
		exec_json_string(x->out, x->conn->user.name);
		exec_printf(x->out, ",\"tickets\":[");
	} else {
		exec_printf(x->out, "tickets of ");
		exec_text(x->out, x->conn->user.name);
		exec_printf(x->out, ":\n");
	}
	x->nwords = 0;
	before = buf_len(x->out);
	if (store_tickets_owned(x->relay->store, x->conn->user.id, exec_mine_row, x) != STORE_OK) {
		exec_printf(x->err, "%s: the store failed\n", x->argv[0]);
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_printf(x->out, "]}\n");
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
		exec_printf(x->out, "{\"ticket\":%lld,\"owner\":", (long long)t->id);
		exec_json_string(x->out, x->conn->user.name);
		exec_printf(x->out, ",\"already_yours\":%s,\"tier\":\"%s\",\"priority\":\"%s\",\"summary\":",
			    already ? "true" : "false", t->tier, t->priority);
		exec_json_string(x->out, t->summary);
		exec_printf(x->out, ",\"escalation\":");
		if (esc != NULL && esc->found) {
			exec_printf(x->out, "{\"at\":%lld,\"by\":", (long long)esc->at);
			exec_json_string(x->out, esc->actor);
			exec_printf(x->out, ",\"role\":");
			exec_json_string(x->out, esc->role);
			exec_printf(x->out, ",\"detail\":");
			exec_json_string(x->out, esc->detail);
			exec_printf(x->out, "}");
		} else {
			exec_printf(x->out, "null");
		}
		exec_printf(x->out, ",\"attachments\":[");
		x->nwords = 0;
		store_attachments(x->relay->store, t->id, exec_show_attachment, x);
		exec_printf(x->out, "]}\n");
		free(esc);
		return;
	}
	if (already)
		exec_printf(x->out, "ticket %lld is already yours; nothing changed\n", (long long)t->id);
	else
		exec_printf(x->out, "ticket %lld is yours\n", (long long)t->id);
	exec_printf(x->out, "  [%s, %s] ", t->tier, t->priority);
	textesc_append(x->out, t->summary, "  ");
	exec_printf(x->out, "\n");
	if (esc != NULL && esc->found) {
		timefmt_utc(esc->at, TIMEFMT_DATETIME, when, sizeof(when));
		exec_printf(x->out, "  escalated %s by ", when);
		exec_text(x->out, esc->actor);
		exec_printf(x->out, " (%s): ", esc->role);
		textesc_append(x->out, esc->detail, "    ");
		exec_printf(x->out, "\n");
	} else {
		exec_printf(x->out, "  not escalated\n");
	}
	exec_printf(x->out, "read first (ticket attachment %lld ID):\n", (long long)t->id);
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

	if (exec_options(x, 1, NULL, 0) != 0 || x->nwords != 1) {
		exec_printf(x->err, "usage: take N\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_TAKE, &t)) != EXIT_OK)
		return rc;
	/* Taking one's own ticket again changes nothing: no event, no status to the customer. */
	already = t.owner_id == x->conn->user.id;
	if (!already && relay_ticket_take(x->relay, t.id, &x->conn->user, err, sizeof(err)) != 0) {
		exec_printf(x->err, "take: %s\n", err);
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

	if (exec_options(x, 1, NULL, 0) != 0 || x->nwords != 1) {
		exec_printf(x->err, "usage: control N\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_VIEW, &t)) != EXIT_OK)
		return rc;
	if (relay_viewer_ask_control(x->relay, t.id, &x->conn->user, out, sizeof(out), err, sizeof(err)) != 0) {
		exec_printf(x->err, "control: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"asked\":\"control\"}\n", (long long)t.id);
	else
		exec_printf(x->out, "%s", out);
	return EXIT_OK;
}

static int exec_chat(struct exec_ctx *x)
{
	struct store_ticket t;
	int rc;

	if (exec_options(x, 1, NULL, 0) != 0 || x->nwords == 0) {
		exec_printf(x->err, "usage: chat N TEXT...  or  chat N (live)\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_CHAT, &t)) != EXIT_OK)
		return rc;
	if (x->nwords == 1) {
		relay_follow_chat(x->relay, x->ch, t.id);
		return EXIT_OK;
	}
	if (exec_text_ok(x, "chat line", x->words) != 0)
		return EXIT_USAGE;
	if (relay_ticket_chat(x->relay, t.id, x->conn->user.name, x->conn->user.tier, x->words) != 0) {
		exec_printf(x->err, "chat: the store failed\n");
		return EXIT_FAIL;
	}
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"sent\":true,\"customer_connected\":%s}\n", (long long)t.id,
			    relay_conn_live_customer(x->relay, t.id) ? "true" : "false");
	return EXIT_OK;
}

static int exec_note(struct exec_ctx *x)
{
	static const char *const names[] = { "sensitive!" };
	struct store_ticket t;
	bool sensitive;
	int rc;

	if (exec_options(x, 1, names, 1) != 0 || x->nwords < 2) {
		exec_printf(x->err, "usage: note N [--sensitive] TEXT...\n");
		return EXIT_USAGE;
	}
	sensitive = x->opt_value[0] != NULL;
	if ((rc = exec_ticket_arg(x, sensitive ? RELAY_ACT_NOTE_SENSITIVE : RELAY_ACT_NOTE, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "note", x->words) != 0)
		return EXIT_USAGE;
	if (store_event_add(x->relay->store, t.id, relay_now(x->relay), EVENT_NOTE, x->conn->user.name, x->conn->user.tier,
			    sensitive ? x->conn->user.tier : NULL, x->words) != STORE_OK) {
		exec_printf(x->err, "note: the store failed\n");
		return EXIT_FAIL;
	}
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"noted\":true,\"sensitive\":%s}\n", (long long)t.id,
			    sensitive ? "true" : "false");
	return EXIT_OK;
}

static int exec_escalate(struct exec_ctx *x)
{
	static const char *const names[] = { "to", "note" };
	struct store_ticket t;
	char err[256];
	int rc;

	if (exec_options(x, 1, names, 2) != 0 || x->nwords != 1 || x->opt_value[0] == NULL ||
	    x->opt_value[1] == NULL) {
		exec_printf(x->err, "usage: escalate N --to L2|L3 --note \"what was tried, what is known\"\n");
		return EXIT_USAGE;
	}
	if (relay_tier_rank(x->opt_value[0]) < 2) {
		exec_printf(x->err, "escalate: --to is L2 or L3\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_ESCALATE, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "handover note", x->opt_value[1]) != 0)
		return EXIT_USAGE;
	if (relay_ticket_escalate(x->relay, t.id, &x->conn->user, x->opt_value[0], x->opt_value[1], err,
				  sizeof(err)) != 0) {
		exec_printf(x->err, "escalate: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"tier\":\"%s\"}\n", (long long)t.id, x->opt_value[0]);
	else
		exec_printf(x->out, "ticket %lld escalated to %s\n", (long long)t.id, x->opt_value[0]);
	return EXIT_OK;
}

static int exec_resolve(struct exec_ctx *x)
{
	static const char *const names[] = { "note" };
	struct store_ticket t;
	char err[256];
	int rc;

	if (exec_options(x, 1, names, 1) != 0 || x->nwords != 1 || x->opt_value[0] == NULL) {
		exec_printf(x->err, "usage: resolve N --note \"what fixed it\"\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_RESOLVE, &t)) != EXIT_OK)
		return rc;
	if (exec_text_ok(x, "note", x->opt_value[0]) != 0)
		return EXIT_USAGE;
	if (relay_ticket_resolve(x->relay, t.id, &x->conn->user, x->opt_value[0], err, sizeof(err)) != 0) {
		exec_printf(x->err, "resolve: %s\n", err);
		return EXIT_FAIL;
	}
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"state\":\"resolved\"}\n", (long long)t.id);
	else
		exec_printf(x->out, "ticket %lld resolved\n", (long long)t.id);
	return EXIT_OK;
}

static int exec_invite(struct exec_ctx *x)
{
	struct relay_home *home = x->relay->home;
	char text[CODE_TEXT_MAX], digits[CODE_DIGITS + 1];
	uint8_t hash[CODE_HASH_LEN];
	struct store_ticket t;
	int64_t now = relay_now(x->relay);
	int rc = STORE_ERR, replaced = 0;

	if (exec_options(x, 1, NULL, 0) != 0 || x->nwords != 1) {
		exec_printf(x->err, "usage: invite N\n");
		return EXIT_USAGE;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_INVITE, &t)) != EXIT_OK)
		return rc;
	rc = STORE_ERR;
	/* A locator already taken by a live code is drawn again. */
	for (int attempt = 0; attempt < 32; attempt++) {
		if (code_generate(text) != 0 || code_parse(text, digits) != 0 ||
		    code_hash(home->code_key, sizeof(home->code_key), digits, hash) != 0)
			break;
		rc = store_code_add(x->relay->store, t.id, code_locator(digits), hash, now,
				    now + (int64_t)home->code_ttl, &replaced);
		if (rc != STORE_ERR_EXISTS)
			break;
	}
	OPENSSL_cleanse(digits, sizeof(digits));
	if (rc != STORE_OK) {
		OPENSSL_cleanse(text, sizeof(text));
		exec_printf(x->err, "invite: no support code could be issued\n");
		return EXIT_FAIL;
	}
	if (replaced > 0)
		store_event_add(x->relay->store, t.id, now, EVENT_CODE_CANCELLED, x->conn->user.name, x->conn->user.tier, NULL,
				"replaced by a new code");
	store_event_add(x->relay->store, t.id, now, EVENT_CODE_ISSUED, x->conn->user.name, x->conn->user.tier, NULL, NULL);
	log_info("%s issued a support code for ticket %lld%s", x->conn->user.name, (long long)t.id,
		 replaced > 0 ? " (the previous one is cancelled)" : "");
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"code\":\"%s\",\"expires_in\":%lu}\n",
			    (long long)t.id, text, home->code_ttl);
	else
		exec_printf(x->out, "%s\n", text);
	OPENSSL_cleanse(text, sizeof(text));
	return EXIT_OK;
}

/* ---- auditors ---- */

/* "YYYY-MM-DD" as the Unix time of that day's start (UTC). */
static int exec_parse_day(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	int y, m, d;
	time_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	/* timegm normalises 2024-02-31 to March: refuse what it had to move. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int exec_tickets_row(const struct store_ticket *t, void *ctx)
{
	struct exec_ctx *x = ctx;
	char created[32];

	timefmt_utc(t->created_at, TIMEFMT_DATETIME, created, sizeof(created));
	if (x->json) {
		exec_printf(x->out, "%s{\"ticket\":%lld,\"priority\":\"%s\",\"tier\":\"%s\",\"state\":\"%s\",\"owner\":",
			    x->nwords++ ? "," : "", (long long)t->id, t->priority, t->tier, t->state);
		exec_json_string(x->out, t->owner);
		exec_printf(x->out, ",\"created_at\":%lld,\"updated_at\":%lld,\"summary\":", (long long)t->created_at,
			    (long long)t->updated_at);
		exec_json_string(x->out, t->summary);
		exec_printf(x->out, "}");
		return 0;
	}
	exec_printf(x->out, "%6lld  %s  %s  %-10s %s  %-12s ", (long long)t->id, t->priority, t->tier, t->state,
		    created, t->owner[0] ? t->owner : "-");
	exec_text(x->out, t->summary);
	exec_printf(x->out, "\n");
	return 0;
}

static int exec_tickets(struct exec_ctx *x)
{
	static const char *const names[] = { "since" };
	int64_t since = 0;
	size_t before;
	int rc = EXIT_OK;

	if (exec_allowed(x, RELAY_ACT_AUDIT, NULL) != 0)
		return EXIT_DENIED;
	if (exec_options(x, 1, names, 1) != 0 || x->nwords != 0) {
		exec_printf(x->err, "usage: tickets [--since YYYY-MM-DD]\n");
		return EXIT_USAGE;
	}
	if (x->opt_value[0] != NULL && exec_parse_day(x->opt_value[0], &since) != 0) {
		exec_printf(x->err, "tickets: --since wants a day as YYYY-MM-DD, got \"%s\"\n", x->opt_value[0]);
		return EXIT_USAGE;
	}
	x->nwords = 0;
	if (x->json)
		exec_printf(x->out, "{\"since\":%lld,\"tickets\":[", (long long)since);
	else
		exec_printf(x->out, "%6s  %s  %s  %-10s %-20s  %-12s %s\n", "ticket", "P ", "T ", "state", "opened", "owner",
			    "summary");
	before = buf_len(x->out);
	if (store_tickets_active_since(x->relay->store, since, exec_tickets_row, x) != STORE_OK) {
		exec_printf(x->err, "tickets: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_printf(x->out, "]}\n");
	return rc;
}

/* Auditor commands on one ticket: the right first, so that technicians learn nothing of the ticket. */
static int exec_audit_ticket(struct exec_ctx *x, const char *usage, struct store_ticket *t)
{
	if (exec_allowed(x, RELAY_ACT_AUDIT, NULL) != 0)
		return EXIT_DENIED;
	if (exec_options(x, 1, NULL, 0) != 0 || x->nwords != 1) {
		exec_printf(x->err, "usage: %s\n", usage);
		return EXIT_USAGE;
	}
	return exec_ticket_arg(x, RELAY_ACT_SHOW, t);
}

static int exec_transcript_line(const struct store_event *e, void *ctx)
{
	struct exec_ctx *x = ctx;
	char line[RELAY_CHAT_LINE_MAX];

	if (x->json) {
		exec_printf(x->out, "%s{\"id\":%lld,\"at\":%lld,\"author\":", x->nwords++ ? "," : "", (long long)e->id,
			    (long long)e->at);
		exec_json_string(x->out, e->actor);
		exec_printf(x->out, ",\"role\":");
		exec_json_string(x->out, e->role);
		exec_printf(x->out, ",\"text\":");
		exec_json_string(x->out, e->detail);
		exec_printf(x->out, "}");
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
	if ((rc = exec_audit_ticket(x, "transcript N", t)) != EXIT_OK)
		goto out;
	x->nwords = 0;
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"lines\":[", (long long)t->id);
	before = buf_len(x->out);
	if (store_events(x->relay->store, t->id, EVENT_CHAT, exec_transcript_line, x) != STORE_OK) {
		exec_printf(x->err, "transcript: the store failed\n");
		rc = EXIT_FAIL;
	}
	exec_empty(x, before);
	if (x->json)
		exec_printf(x->out, "]}\n");
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
		exec_printf(x->err, "record %lld: unreadable recording-closed detail\n", (long long)e->id);
		return 0;
	}
	if (r.hashed)
		hex_encode(r.sha256, CHAIN_HASH_LEN, sha);
	if (x->json) {
		exec_printf(x->out, "%s{\"record\":%lld,\"at\":%lld,\"path\":", x->nwords++ ? "," : "", (long long)e->id,
			    (long long)e->at);
		exec_json_string(x->out, r.path);
		exec_printf(x->out, ",\"size\":%llu,\"sha256\":\"%s\",\"state\":\"%s\",\"technician\":",
			    (unsigned long long)r.size, sha, r.state);
		exec_json_string(x->out, e->actor);
		exec_printf(x->out, ",\"file\":\"%s\"}", exec_recording_on_disk(x, &r));
		return 0;
	}
	exec_printf(x->out, "%s  %llu bytes  sha256 %s  %s  (%s; %s)\n", r.path, (unsigned long long)r.size, sha,
		    r.state, e->actor, exec_recording_on_disk(x, &r));
	return 0;
}

static int exec_recordings(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	int rc;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, "recordings N", t)) != EXIT_OK)
		goto out;
	x->nwords = 0;
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"recordings\":[", (long long)t->id);
	if (store_events(x->relay->store, t->id, EVENT_RECORDING_CLOSED, exec_recording_row, x) != STORE_OK) {
		exec_printf(x->err, "recordings: the store failed\n");
		rc = EXIT_FAIL;
	}
	if (x->json)
		exec_printf(x->out, "]}\n");
	else if (x->nwords == 0 && buf_len(x->out) == 0)
		exec_printf(x->out, "ticket %lld has no recordings\n", (long long)t->id);
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
	exec_printf(x->err, "%s: refusing to write binary data to a terminal (ssh -t asked for one); "
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
	rc = EXIT_DENIED;
	if (exec_allowed(x, RELAY_ACT_AUDIT, NULL) != 0)
		goto out;
	rc = EXIT_USAGE;
	if (exec_options(x, 1, NULL, 0) != 0 || x->nwords != 2 || strlen(x->words) > EXPORT_NAME_MAX) {
		exec_printf(x->err, "usage: recording N ID > FILE.hrec   (ID: a path `recordings N` lists, or its file name)\n");
		goto out;
	}
	if ((rc = exec_ticket_arg(x, RELAY_ACT_SHOW, t)) != EXIT_OK)
		goto out;
	rc = EXIT_USAGE;
	if (exec_binary_ok(x, strrchr(id, '/') ? strrchr(id, '/') + 1 : id) != 0)
		goto out;
	found = relay_audit_recording_open(x->relay, t->id, id, &fd, &ref, err, sizeof(err));
	rc = EXIT_FAIL;
	if (found == 1) {
		exec_printf(x->err, "recording: ticket %lld has no recording %s (see: recordings %lld)\n", (long long)t->id,
			    id, (long long)t->id);
		goto out;
	}
	if (found != 0) {
		exec_printf(x->err, "recording: %s\n", err);
		goto out;
	}
	if (fstat(fd, &sb) == 0 && (uint64_t)sb.st_size != ref.size)
		exec_printf(x->err, "recording: warning: %s is %lld bytes on the relay's disk, its record says %llu; "
			    "it will not match its sha256\n", ref.path, (long long)sb.st_size, (unsigned long long)ref.size);
	log_info("auditor %s downloaded recording %s of ticket %lld", x->conn->user.name, ref.path, (long long)t->id);
	x->ch->stream_fd = fd;
	rc = EXIT_OK;
out:
	free(t);
	return rc;
}

static int exec_export(struct exec_ctx *x)
{
	struct store_ticket *t = malloc(sizeof(*t));
	char err[512] = "the store failed", name[40];
	int rc, fd;

	if (t == NULL)
		return EXIT_FAIL;
	if ((rc = exec_audit_ticket(x, "export N > FILE", t)) != EXIT_OK)
		goto out;
	snprintf(name, sizeof(name), "ticket-%lld.hexp", (long long)t->id);
	if (exec_binary_ok(x, name) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	/*
	 * An export can be far bigger than a command's output buffer: it is
	 * written to an unnamed file in the relay home, which the channel then
	 * streams as the technician's window allows (and which vanishes with
	 * its descriptor).
	 */
	fd = open(x->relay->home->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		exec_printf(x->err, "export: no room for a temporary file: %s\n", strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	if (relay_audit_export(x->relay, t->id, fd, err, sizeof(err)) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		exec_printf(x->err, "export: %s\n", err);
		rc = EXIT_FAIL;
		goto out;
	}
	log_info("auditor %s exported ticket %lld", x->conn->user.name, (long long)t->id);
	x->ch->stream_fd = fd;
out:
	free(t);
	return rc;
}

static int exec_verify(struct exec_ctx *x)
{
	struct relay_audit_report rep;
	int ok;

	if (exec_allowed(x, RELAY_ACT_AUDIT, NULL) != 0)
		return EXIT_DENIED;
	if (exec_options(x, 1, NULL, 0) != 0 || x->nwords != 0) {
		exec_printf(x->err, "usage: verify\n");
		return EXIT_USAGE;
	}
	ok = relay_audit_verify(x->relay, &rep) == 0;
	if (x->json) {
		exec_printf(x->out, "{\"ok\":%s,\"records\":%lld,\"checkpoints\":%lld,\"last_checkpoint\":%lld,"
			    "\"unsigned\":%lld", ok ? "true" : "false", (long long)rep.records, (long long)rep.checkpoints,
			    (long long)rep.last_checkpoint, (long long)rep.unsigned_records);
		if (!ok) {
			exec_printf(x->out, ",\"error\":");
			exec_json_string(x->out, rep.error);
		}
		exec_printf(x->out, "}\n");
	} else if (ok) {
		exec_printf(x->out, "chain ok: %lld records, %lld checkpoints, last checkpoint at seq %lld\n",
			    (long long)rep.records, (long long)rep.checkpoints, (long long)rep.last_checkpoint);
		if (rep.unsigned_records > 0)
			exec_printf(x->out, "%lld newer records are not signed yet (a checkpoint follows within 60 s)\n",
				    (long long)rep.unsigned_records);
	} else {
		exec_printf(x->out, "chain verification FAILED: %s\n", rep.error);
	}
	log_info("auditor %s verified the audit chain: %s", x->conn->user.name, ok ? "ok" : rep.error);
	return ok ? EXIT_OK : EXIT_FAIL;
}

/*
 * Under --json, what a command wrote to stderr becomes one object, so that
 * a program reads every error (usage, refusal, failure) the same way.
 */
static void exec_json_errors(struct buf *err, int status)
{
	size_t n = buf_len(err);
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
	exec_printf(err, "{\"error\":");
	exec_json_string(err, text);
	exec_printf(err, ",\"exit\":%d}\n", status);
	free(text);
}

int relay_exec_run(struct relay *relay, struct relay_chan *ch, const char *line,
		   struct buf *out, struct buf *err)
{
	struct exec_ctx *x = calloc(1, sizeof(*x));
	char msg[256];
	int status = EXIT_USAGE;
	size_t kept = 0;
	const char *cmd, *sub;

	if (x == NULL)
		return EXIT_FAIL;
	*x = (struct exec_ctx){ .relay = relay, .ch = ch, .conn = ch->conn, .out = out, .err = err };
	if (cmdline_split(line, &x->argv, &x->argc, msg, sizeof(msg)) != 0) {
		exec_printf(err, "cannot read the command: %s\n", msg);
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
	sub = x->argc > 1 ? x->argv[1] : "";
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0)
		status = exec_help(x);
	else if (strcmp(cmd, "whoami") == 0)
		status = exec_whoami(x);
	else if (strcmp(cmd, "ticket") == 0 && strcmp(sub, "new") == 0)
		status = exec_ticket_new(x);
	else if (strcmp(cmd, "ticket") == 0 && strcmp(sub, "show") == 0)
		status = exec_ticket_show(x, 2);
	else if (strcmp(cmd, "show") == 0)
		status = exec_ticket_show(x, 1);
	else if (strcmp(cmd, "tickets") == 0)
		status = exec_tickets(x);
	else if (strcmp(cmd, "transcript") == 0)
		status = exec_transcript(x);
	else if (strcmp(cmd, "recordings") == 0)
		status = exec_recordings(x);
	else if (strcmp(cmd, "recording") == 0)
		status = exec_recording(x);
	else if (strcmp(cmd, "export") == 0)
		status = exec_export(x);
	else if (strcmp(cmd, "verify") == 0)
		status = exec_verify(x);
	else if (strcmp(cmd, "ticket") == 0 && strcmp(sub, "attachment") == 0)
		status = exec_ticket_attachment(x);
	else if (strcmp(cmd, "queue") == 0)
		status = exec_queue(x);
	else if (strcmp(cmd, "mine") == 0)
		status = exec_mine(x, 1);
	else if (strcmp(cmd, "ticket") == 0 && strcmp(sub, "list") == 0)
		status = exec_mine(x, 2);
	else if (strcmp(cmd, "take") == 0)
		status = exec_take(x);
	else if (strcmp(cmd, "chat") == 0)
		status = exec_chat(x);
	else if (strcmp(cmd, "control") == 0)
		status = exec_control(x);
	else if (strcmp(cmd, "note") == 0)
		status = exec_note(x);
	else if (strcmp(cmd, "escalate") == 0)
		status = exec_escalate(x);
	else if (strcmp(cmd, "resolve") == 0)
		status = exec_resolve(x);
	else if (strcmp(cmd, "invite") == 0)
		status = exec_invite(x);
	else
		exec_printf(err, "unknown command: %s (try: help)\n", cmd);
	if (x->json)
		exec_json_errors(err, status);
	log_debug("conn %u: %s ran %s, exit %d", ch->conn->id, ch->conn->user.name, cmd, status);
	cmdline_free(x->argv);
	free(x);
	return status;
}
