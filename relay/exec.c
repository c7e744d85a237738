/*
 * exec.c: the commands people run over SSH exec, dispatched by the
 * authenticated identity. Output is plain text for people, or JSON with
 * --json for programs; errors go to stderr with a non-zero exit status.
 * Support codes are printed to the technician who asked and nowhere else:
 * the store keeps only their HMAC, and no log line carries one.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmdline.h"
#include "code.h"
#include "log.h"
#include "relay.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_DENIED = 3 };

struct exec_ctx {
	struct relay *relay;
	struct relay_conn *conn;
	struct buf *out, *err;
	char **argv;
	size_t argc;
	bool json;
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

static int exec_parse_ticket(struct exec_ctx *x, const char *arg, int64_t *id)
{
	char *end;
	long long n = strtoll(arg, &end, 10);

	if (arg[0] < '1' || arg[0] > '9' || *end != '\0' || n <= 0 || n > 100000000000LL) {
		exec_printf(x->err, "not a ticket number: %s\n", arg);
		return -1;
	}
	*id = n;
	return 0;
}

static int exec_require(struct exec_ctx *x, enum relay_role role)
{
	if (x->conn->role == role)
		return 0;
	exec_printf(x->err, "%s: only for %ss (you are a %s)\n", x->argv[0], relay_role_name(role),
		    relay_role_name(x->conn->role));
	return -1;
}

static int exec_help(struct exec_ctx *x)
{
	exec_printf(x->out,
		    "Handoff relay commands (add --json for machine-readable output):\n"
		    "  whoami                   who the relay thinks you are\n"
		    "  ticket new SUMMARY...    open a ticket; prints its number\n"
		    "  ticket show N            one ticket\n"
		    "  invite N                 a one-time support code for ticket N (valid %lu min)\n"
		    "To view a customer's screen: handoff-tech view N, or\n"
		    "  ssh -N -L 5901:ticket-N:5900 ... and any VNC viewer on localhost:5901\n",
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

static int exec_ticket_new(struct exec_ctx *x)
{
	char summary[STORE_TEXT_MAX] = "";
	size_t used = 0;
	int64_t id;

	if (exec_require(x, RELAY_ROLE_TECH) != 0)
		return EXIT_DENIED;
	for (size_t i = 2; i < x->argc; i++) {
		int n = snprintf(summary + used, sizeof(summary) - used, "%s%s", used ? " " : "", x->argv[i]);

		if (n < 0 || (size_t)n >= sizeof(summary) - used) {
			exec_printf(x->err, "ticket new: the summary is longer than %d bytes\n", STORE_TEXT_MAX - 1);
			return EXIT_USAGE;
		}
		used += (size_t)n;
	}
	if (used == 0) {
		exec_printf(x->err, "usage: ticket new SUMMARY...\n");
		return EXIT_USAGE;
	}
	if (store_ticket_new(x->relay->store, summary, &x->conn->user, (int64_t)time(NULL), &id) != STORE_OK) {
		exec_printf(x->err, "ticket new: the store failed\n");
		return EXIT_FAIL;
	}
	store_event_add(x->relay->store, id, (int64_t)time(NULL), "created", x->conn->user.name, summary);
	log_info("%s opened ticket %lld", x->conn->user.name, (long long)id);
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld}\n", (long long)id);
	else
		exec_printf(x->out, "%lld\n", (long long)id);
	return EXIT_OK;
}

static int exec_ticket_show(struct exec_ctx *x)
{
	struct store_ticket t;
	int64_t id;
	int rc;

	if (x->conn->role != RELAY_ROLE_TECH && exec_require(x, RELAY_ROLE_AUDITOR) != 0)
		return EXIT_DENIED;
	if (x->argc != 3) {
		exec_printf(x->err, "usage: ticket show N\n");
		return EXIT_USAGE;
	}
	if (exec_parse_ticket(x, x->argv[2], &id) != 0)
		return EXIT_USAGE;
	rc = store_ticket_get(x->relay->store, id, &t);
	if (rc == STORE_NOT_FOUND) {
		exec_printf(x->err, "no ticket %lld\n", (long long)id);
		return EXIT_FAIL;
	}
	if (rc != STORE_OK) {
		exec_printf(x->err, "ticket show: the store failed\n");
		return EXIT_FAIL;
	}
	bool live = relay_server_live_customer(x->relay, id) != NULL;
	if (x->json) {
		exec_printf(x->out, "{\"ticket\":%lld,\"summary\":", (long long)t.id);
		exec_json_string(x->out, t.summary);
		exec_printf(x->out, ",\"state\":\"%s\",\"tier\":\"%s\",\"owner\":", t.state, t.tier);
		exec_json_string(x->out, t.owner);
		exec_printf(x->out, ",\"created_at\":%lld,\"live\":%s}\n", (long long)t.created_at,
			    live ? "true" : "false");
	} else {
		exec_printf(x->out, "ticket %lld [%s, %s] owner %s%s\n  %s\n", (long long)t.id, t.tier,
			    t.state, t.owner[0] ? t.owner : "-", live ? ", customer connected" : "", t.summary);
	}
	return EXIT_OK;
}

static int exec_invite(struct exec_ctx *x)
{
	struct relay_home *home = x->relay->home;
	char text[CODE_TEXT_MAX], digits[CODE_DIGITS + 1];
	uint8_t hash[CODE_HASH_LEN];
	struct store_ticket t;
	int64_t id, now = (int64_t)time(NULL);
	int rc = STORE_ERR;

	if (exec_require(x, RELAY_ROLE_TECH) != 0)
		return EXIT_DENIED;
	if (x->argc != 2) {
		exec_printf(x->err, "usage: invite N\n");
		return EXIT_USAGE;
	}
	if (exec_parse_ticket(x, x->argv[1], &id) != 0)
		return EXIT_USAGE;
	if (store_ticket_get(x->relay->store, id, &t) != STORE_OK) {
		exec_printf(x->err, "no ticket %lld\n", (long long)id);
		return EXIT_FAIL;
	}
	/* A locator already taken by a live code is drawn again. */
	for (int attempt = 0; attempt < 32; attempt++) {
		if (code_generate(text) != 0 || code_parse(text, digits) != 0 ||
		    code_hash(home->pepper, sizeof(home->pepper), digits, hash) != 0)
			break;
		rc = store_code_add(x->relay->store, id, code_locator(digits), hash, now,
				    now + (int64_t)home->code_ttl);
		if (rc != STORE_ERR_EXISTS)
			break;
	}
	OPENSSL_cleanse(digits, sizeof(digits));
	if (rc != STORE_OK) {
		OPENSSL_cleanse(text, sizeof(text));
		exec_printf(x->err, "invite: no support code could be issued\n");
		return EXIT_FAIL;
	}
	store_event_add(x->relay->store, id, now, "code-issued", x->conn->user.name, NULL);
	log_info("%s issued a support code for ticket %lld", x->conn->user.name, (long long)id);
	if (x->json)
		exec_printf(x->out, "{\"ticket\":%lld,\"code\":\"%s\",\"expires_in\":%lu}\n",
			    (long long)id, text, home->code_ttl);
	else
		exec_printf(x->out, "%s\n", text);
	OPENSSL_cleanse(text, sizeof(text));
	return EXIT_OK;
}

int relay_exec_run(struct relay *relay, struct relay_conn *conn, const char *line,
		   struct buf *out, struct buf *err)
{
	struct exec_ctx x = { .relay = relay, .conn = conn, .out = out, .err = err };
	char msg[256];
	int status = EXIT_USAGE;
	size_t kept = 0;

	if (cmdline_split(line, &x.argv, &x.argc, msg, sizeof(msg)) != 0) {
		exec_printf(err, "cannot read the command: %s\n", msg);
		return EXIT_USAGE;
	}
	/* --json may stand anywhere; the rest keep their order. */
	for (size_t i = 0; i < x.argc; i++) {
		if (strcmp(x.argv[i], "--json") == 0) {
			x.json = true;
			free(x.argv[i]);
		} else {
			x.argv[kept++] = x.argv[i];
		}
	}
	x.argv[kept] = NULL;
	x.argc = kept;
	if (x.argc == 0 || strcmp(x.argv[0], "help") == 0 || strcmp(x.argv[0], "--help") == 0)
		status = exec_help(&x);
	else if (strcmp(x.argv[0], "whoami") == 0)
		status = exec_whoami(&x);
	else if (strcmp(x.argv[0], "ticket") == 0 && x.argc >= 2 && strcmp(x.argv[1], "new") == 0)
		status = exec_ticket_new(&x);
	else if (strcmp(x.argv[0], "ticket") == 0 && x.argc >= 2 && strcmp(x.argv[1], "show") == 0)
		status = exec_ticket_show(&x);
	else if (strcmp(x.argv[0], "invite") == 0)
		status = exec_invite(&x);
	else
		exec_printf(err, "unknown command: %s (try: help)\n", x.argv[0]);
	log_debug("conn %u: %s ran %s, exit %d", conn->id, conn->user.name, x.argc ? x.argv[0] : "help", status);
	cmdline_free(x.argv);
	return status;
}
