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
 * The commands are one table, exec_cmds below: add a command there (and
 * to handoff-tech.1 and the completion, which tests/e2e/test_relay_commands.sh
 * holds to it), its handler in the file of its kind (exec_ticket.c,
 * exec_kb.c, exec_audit.c), what they share in exec_args.c.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_audit.h"
#include "exec_kb.h"
#include "exec_ticket.h"
#include "log.h"

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

static const struct exec_cmd exec_cmds[] = {
	{ .name = "help", .usage = "[--usage]", .when = EXEC_ANYONE, .run = exec_help,
	  .help = "these lines; --usage: each command as NAME<TAB>USAGE, for programs" },
	{ .name = "whoami", .usage = "", .when = EXEC_ANYONE, .run = exec_whoami,
	  .help = "who the relay thinks you are" },
	{ "ticket new", "[--priority P1-P4] [--customer NAME] [--contact HOW] [--invite] SUMMARY...", RELAY_ACT_NEW,
	  EXEC_FIRST, exec_ticket_new, "open a ticket; prints its number (--invite: and its support code)" },
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
	/* A peer's login for recordings (peerrec.c) runs its one command, which is in no table a person's is. */
	if (ch->conn->role == RELAY_ROLE_PEER)
		status = exec_peer_recording(x);
	else if (x->cmd == NULL)
		buf_printf(err, "unknown command: %s (try: help)\n", cmd);
	/* A relay's login for a routed view (route.c) asks for control of it, and nothing else. */
	else if (ch->conn->routed && strcmp(cmd, "control") != 0) {
		buf_printf(err, "not allowed: a relay's login runs only control N\n");
		status = EXIT_DENIED;
	} else if (x->cmd->when == EXEC_FIRST && exec_allowed(x, x->cmd->rights, NULL) != 0)
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
