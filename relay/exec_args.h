/*
 * exec_args.h: what every relay command shares: the context a command runs
 * in (its caller, output, parsed options), the table entry that declares
 * it (exec.c holds the table), and the parsing, rights and output helpers
 * the command files use (exec_args.c). The commands themselves live in
 * exec_ticket.c (a ticket's life), exec_kb.c (the knowledge base and
 * reviews) and exec_audit.c (auditors), one table in exec.c driving them.
 */
#ifndef HANDOFF_RELAY_EXEC_ARGS_H
#define HANDOFF_RELAY_EXEC_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cmdline.h"
#include "emit.h"
#include "relay.h"

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
 * One relay command, in the table exec_cmds in exec.c: the one place a
 * command is declared. Dispatch, help, `help --usage`, usage
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
void exec_text(struct buf *b, const char *s);
/* Text mode: a list that printed nothing since before says "(empty)". */
void exec_empty(struct exec_ctx *x, size_t before);
/* --json: {"ticket":N,"KEY":[ ... ]} around a list's rows. */
void exec_json_begin_list(struct exec_ctx *x, int64_t ticket, const char *key);
void exec_json_end_list(struct exec_ctx *x);
/* Columns the bytes take on a terminal, each UTF-8 character as one. */
size_t exec_columns(const uint8_t *p, size_t n);
/* "usage: NAME USAGE" of the command being run, to stderr. */
void exec_usage(struct exec_ctx *x);
/* The words after the name split into the options the usage declares and the rest (exec_args.c). */
int exec_options(struct exec_ctx *x);
/* The right to act (on t, or NULL); a refusal is written to stderr. 0 or -1. */
int exec_allowed(struct exec_ctx *x, enum relay_action action, const struct store_ticket *t);
/* The first word as a ticket, the ticket, the right: an EXIT_* status. */
int exec_ticket_arg(struct exec_ctx *x, enum relay_action action, struct store_ticket *t);
/* A text argument within CTL_TEXT_MAX and not empty; -1 after saying why. */
int exec_text_ok(struct exec_ctx *x, const char *what, const char *text);
/* "[sensitive]" when the caller may not read that clearance, else NULL. */
const char *exec_hidden(const struct exec_ctx *x, const char *clearance);
/* A UTC day for --since and --until (timefmt.h). */
int exec_parse_day(const char *s, int64_t *out);
/* Under --json, what a command wrote to stderr as one {"error","exit"} object. */
void exec_json_errors(struct buf *err, int status);

#endif
