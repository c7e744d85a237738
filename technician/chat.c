/*
 * chat.c: see chat.h.
 */
#include "chat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "cmdline.h"
#include "sshutil.h"
#include "textesc.h"

struct tech_chat {
	ssh_session s;
	ssh_channel stream;
	unsigned long ticket;
	char in[TECH_CHAT_LINE_MAX];
	size_t in_len;
};

/* Opens an exec channel running argv. NULL on failure. */
static ssh_channel tech_chat_exec(ssh_session s, char *const *argv, size_t argc)
{
	ssh_channel ch = ssh_channel_new(s);
	char *line = cmdline_join(argv, argc);

	if (ch == NULL || line == NULL || ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, line) != SSH_OK) {
		if (ch != NULL)
			ssh_channel_free(ch);
		free(line);
		return NULL;
	}
	free(line);
	return ch;
}

struct tech_chat *tech_chat_open(const struct tech_connect_opts *conn, unsigned long ticket)
{
	struct tech_chat *c = calloc(1, sizeof(*c));
	char num[24];
	char *argv[] = { "chat", num };

	if (c == NULL)
		return NULL;
	c->ticket = ticket;
	snprintf(num, sizeof(num), "%lu", ticket);
	if (tech_connect_open(conn, &c->s) != 0)
		goto fail;
	c->stream = tech_chat_exec(c->s, argv, 2);
	if (c->stream == NULL) {
		fprintf(stderr, "handoff-tech: cannot follow the chat: %s\n", ssh_get_error(c->s));
		goto fail;
	}
	return c;
fail:
	tech_chat_close(c);
	return NULL;
}

struct tech_chat_opening {
	const struct tech_connect_opts *conn;
	unsigned long ticket;
	pthread_t thread;
	struct tech_chat *chat;  /* the thread's until done is set */
	atomic_bool done;
};

static void *tech_chat_open_thread(void *arg)
{
	struct tech_chat_opening *o = arg;

	o->chat = tech_chat_open(o->conn, o->ticket);
	atomic_store(&o->done, true);
	return NULL;
}

struct tech_chat_opening *tech_chat_open_async(const struct tech_connect_opts *conn, unsigned long ticket)
{
	struct tech_chat_opening *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->conn = conn;
	o->ticket = ticket;
	atomic_init(&o->done, false);
	if (pthread_create(&o->thread, NULL, tech_chat_open_thread, o) != 0) {
		fprintf(stderr, "handoff-tech: cannot follow the chat: no thread to log in with\n");
		free(o);
		return NULL;
	}
	return o;
}

struct tech_chat *tech_chat_open_finish(struct tech_chat_opening *o)
{
	struct tech_chat *c;

	pthread_join(o->thread, NULL);
	c = o->chat;
	free(o);
	return c;
}

int tech_chat_open_poll(struct tech_chat_opening *o, struct tech_chat **out)
{
	if (!atomic_load(&o->done))
		return 0;
	*out = tech_chat_open_finish(o);
	return 1;
}

void tech_chat_open_cancel(struct tech_chat_opening *o)
{
	if (o != NULL)
		tech_chat_close(tech_chat_open_finish(o));
}

int tech_chat_fd(const struct tech_chat *c)
{
	return c != NULL && c->s != NULL ? ssh_get_fd(c->s) : -1;
}

/*
 * Hands fn one line of the relay's, escaped (textesc.h) whoever wrote it:
 * the relay escapes chat already, and escaping again changes nothing, but
 * a line is printed on this terminal or in headless output and is not to
 * steer either, whatever relay sent it.
 */
static void tech_chat_emit(const char *line, tech_chat_line_fn fn, void *ctx)
{
	char safe[4 * TECH_CHAT_LINE_MAX];

	textesc_string(line, NULL, safe, sizeof(safe));
	fn(safe, ctx);
}

/* Passes every complete line of in to fn; a line too long for the buffer is passed cut. */
static void tech_chat_lines(struct tech_chat *c, tech_chat_line_fn fn, void *ctx)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->in_len);
		size_t len = nl != NULL ? (size_t)(nl - c->in) : c->in_len;

		if (nl == NULL && c->in_len < sizeof(c->in) - 1)
			return;
		c->in[len] = '\0';
		tech_chat_emit(c->in, fn, ctx);
		len += nl != NULL ? 1 : 0;
		memmove(c->in, c->in + len, c->in_len - len);
		c->in_len -= len;
	}
}

int tech_chat_read(struct tech_chat *c, tech_chat_line_fn fn, void *ctx)
{
	if (c == NULL || c->stream == NULL)
		return -1;
	for (;;) {
		int n = ssh_channel_read_nonblocking(c->stream, c->in + c->in_len,
						     (uint32_t)(sizeof(c->in) - 1 - c->in_len), 0);

		if (n < 0 || (n == 0 && (ssh_channel_is_eof(c->stream) || !ssh_channel_is_open(c->stream)))) {
			ssh_channel_free(c->stream);
			c->stream = NULL;
			return -1;
		}
		if (n == 0)
			return 0;
		c->in_len += (size_t)n;
		tech_chat_lines(c, fn, ctx);
	}
}

/* Runs argv on the relay over the chat's session; its output goes to fn. 0 or -1. */
static int tech_chat_command(struct tech_chat *c, char *const *argv, size_t argc, tech_chat_line_fn fn, void *ctx)
{
	ssh_channel ch = tech_chat_exec(c->s, argv, argc);
	char out[TECH_CHAT_LINE_MAX];
	size_t len = 0;
	int status;

	if (ch == NULL) {
		fn("the relay did not run the command", ctx);
		return -1;
	}
	for (int is_err = 0; is_err < 2; is_err++) {
		for (;;) {
			int n = ssh_channel_read_timeout(ch, out + len, (uint32_t)(sizeof(out) - 1 - len), is_err,
							 TECH_CHAT_COMMAND_SECONDS * 1000);

			if (n <= 0)
				break;
			len += (size_t)n;
			if (len == sizeof(out) - 1)
				break;
		}
	}
	out[len] = '\0';
	ssh_channel_send_eof(ch);
	status = ssh_channel_get_exit_status(ch);
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	for (char *line = out, *nl; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL) {
			tech_chat_emit(line, fn, ctx);
			break;
		}
		*nl = '\0';
		tech_chat_emit(line, fn, ctx);
	}
	return status == 0 ? 0 : -1;
}

int tech_chat_ask_control(struct tech_chat *c, tech_chat_line_fn fn, void *ctx)
{
	char num[24];
	char *argv[] = { "control", num };

	if (c == NULL || c->s == NULL) {
		fn("no connection to ask the relay with", ctx);
		return -1;
	}
	snprintf(num, sizeof(num), "%lu", c->ticket);
	return tech_chat_command(c, argv, 2, fn, ctx);
}

int tech_chat_input(struct tech_chat *c, const char *line, tech_chat_line_fn fn, void *ctx)
{
	char num[24];
	char text[TECH_CHAT_LINE_MAX];
	char tier[8];

	if (c == NULL || c->s == NULL) {
		fn("no chat connection", ctx);
		return -1;
	}
	snprintf(num, sizeof(num), "%lu", c->ticket);
	if (strncmp(line, "/note ", 6) == 0) {
		char *argv[] = { "note", num, text };

		snprintf(text, sizeof(text), "%s", line + 6);
		return tech_chat_command(c, argv, 3, fn, ctx);
	}
	if (strncmp(line, "/escalate ", 10) == 0) {
		char *argv[] = { "escalate", num, "--to", tier, "--note", text };
		const char *rest = line + 10;
		size_t tl = strcspn(rest, " ");

		if (tl == 0 || tl >= sizeof(tier) || rest[tl] != ' ') {
			fn("usage: /escalate L2|L3 TEXT", ctx);
			return -1;
		}
		memcpy(tier, rest, tl);
		tier[tl] = '\0';
		snprintf(text, sizeof(text), "%s", rest + tl + 1);
		return tech_chat_command(c, argv, 6, fn, ctx);
	}
	if (strcmp(line, "/control") == 0)
		return tech_chat_ask_control(c, fn, ctx);
	if (line[0] == '/') {
		fn("/note TEXT  a note on the ticket;  /escalate L2|L3 TEXT  hand over with a note;"
		   "  /control  ask the customer for control;  anything else is said to the customer", ctx);
		return strcmp(line, "/help") == 0 ? 0 : -1;
	}
	if (line[0] == '\0')
		return 0;
	if (c->stream == NULL) {
		fn("the chat stream has ended", ctx);
		return -1;
	}
	if (ssh_channel_write(c->stream, line, (uint32_t)strlen(line)) < 0 ||
	    ssh_channel_write(c->stream, "\n", 1) < 0) {
		fn("cannot send the line", ctx);
		return -1;
	}
	return 0;
}

void tech_chat_close(struct tech_chat *c)
{
	if (c == NULL)
		return;
	if (c->stream != NULL) {
		ssh_channel_send_eof(c->stream);
		ssh_channel_close(c->stream);
		ssh_channel_free(c->stream);
	}
	sshutil_close(c->s);
	free(c);
}
