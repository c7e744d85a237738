/*
 * ui_tty.c: the terminal UI (see ui.h). One line on standard output per
 * event, each starting with an upper-case word (CONNECTED, CONSENT,
 * SHARING, DENIED, STOPPED, SESSION ENDED, ...) so that people read it and
 * scripts and tests can wait for it. Answers and commands are lines on
 * standard input.
 *
 * Standard input is read only when the event loop has seen it readable, one
 * read() each time, so it never blocks, and we leave it in blocking mode:
 * O_NONBLOCK would be shared with the customer's shell through the
 * terminal and break it after we exit. Lines are kept in a fixed buffer;
 * a line longer than that is thrown away whole.
 *
 * Names and summaries come from the relay. They are valid UTF-8, but they
 * could still carry terminal escape sequences; control characters are
 * printed as '?' so a hostile string cannot rewrite what the customer sees.
 */
#include "ui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TTY_INPUT_MAX 512
#define TTY_TEXT_MAX 4608  /* more than any string a control record carries */

struct helper_ui_tty {
	char in[TTY_INPUT_MAX];
	size_t len;
	bool discarding;    /* inside a line that was too long */
	bool eof;
	bool eof_reported;
};

static int helper_ui_tty_open(void **state, char *err, size_t errlen)
{
	struct helper_ui_tty *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*state = t;
	return 0;
}

static void helper_ui_tty_close(void *state)
{
	free(state);
}

static int helper_ui_tty_fd(void *state)
{
	struct helper_ui_tty *t = state;

	return t->eof ? -1 : STDIN_FILENO;
}

static void helper_ui_tty_readable(void *state)
{
	struct helper_ui_tty *t = state;
	ssize_t n;

	if (t->eof)
		return;
	if (t->len == sizeof(t->in)) {
		/* No newline in a whole buffer: drop it and the rest of that line. */
		t->len = 0;
		t->discarding = true;
		fputs("That line was too long; it was ignored.\n", stdout);
		fflush(stdout);
	}
	n = read(STDIN_FILENO, t->in + t->len, sizeof(t->in) - t->len);
	if (n > 0) {
		t->len += (size_t)n;
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	t->eof = true;
}

/* Copies s for display with control characters (C0, DEL, C1) replaced. */
static const char *helper_ui_tty_clean(const char *s, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	while (*p != '\0' && o + 1 < outlen) {
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = '?';
			p++;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			out[o++] = '?';
			p += 2;
		} else {
			out[o++] = (char)*p++;
		}
	}
	if (*p != '\0') {
		/* Cut short: drop the last character, which may be incomplete. */
		while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && (unsigned char)out[o - 1] >= 0xc0)
			o--;
	}
	out[o] = '\0';
	return out;
}

/* Takes the next complete line out of the buffer, trimmed. 1, or 0 if none. */
static int helper_ui_tty_line(struct helper_ui_tty *t, char *line, size_t linelen)
{
	char *nl = memchr(t->in, '\n', t->len);
	size_t n, start = 0;

	if (nl == NULL) {
		if (!t->eof || t->len == 0)
			return 0;
		n = t->len;  /* a last line without newline before EOF */
	} else {
		n = (size_t)(nl - t->in);
	}
	if (t->discarding) {
		t->discarding = false;
		n = 0;
		line[0] = '\0';
	} else {
		while (start < n && (t->in[start] == ' ' || t->in[start] == '\t'))
			start++;
		while (n > start && (t->in[n - 1] == ' ' || t->in[n - 1] == '\t' || t->in[n - 1] == '\r'))
			n--;
		if (n - start >= linelen)
			n = start + linelen - 1;
		memcpy(line, t->in + start, n - start);
		line[n - start] = '\0';
	}
	n = nl != NULL ? (size_t)(nl - t->in) + 1 : t->len;
	memmove(t->in, t->in + n, t->len - n);
	t->len -= n;
	return 1;
}

static bool helper_ui_tty_is(const char *line, const char *a, const char *b)
{
	return strcasecmp(line, a) == 0 || (b != NULL && strcasecmp(line, b) == 0);
}

static enum helper_ui_choice helper_ui_tty_next(void *state, bool asking)
{
	struct helper_ui_tty *t = state;
	char line[TTY_INPUT_MAX];

	while (helper_ui_tty_line(t, line, sizeof(line))) {
		if (line[0] == '\0')
			continue;
		if (helper_ui_tty_is(line, "stop", NULL))
			return HELPER_UI_STOP;
		if (helper_ui_tty_is(line, "end", "quit"))
			return HELPER_UI_END;
		if (asking) {
			if (helper_ui_tty_is(line, "y", "yes"))
				return HELPER_UI_ALLOW;
			if (helper_ui_tty_is(line, "v", "view"))
				return HELPER_UI_ALLOW_VIEW;
			if (helper_ui_tty_is(line, "n", "no"))
				return HELPER_UI_DENY;
			fputs("Please answer y, v or n.\n", stdout);
		} else if (helper_ui_tty_is(line, "help", "?")) {
			fputs("Commands: stop (stop sharing with everyone), end (end the session).\n",
			      stdout);
		} else if (helper_ui_tty_is(line, "y", "n") || helper_ui_tty_is(line, "v", NULL)) {
			fputs("Nobody is asking right now.\n", stdout);
		} else {
			fputs("Unknown command. Commands: stop (stop sharing with everyone), "
			      "end (end the session).\n", stdout);
		}
		fflush(stdout);
	}
	if (t->eof && !t->eof_reported) {
		t->eof_reported = true;
		return HELPER_UI_CLOSED;
	}
	return HELPER_UI_NONE;
}

static void helper_ui_tty_connected(void *state, uint32_t ticket, const char *summary)
{
	char s[TTY_TEXT_MAX];

	(void)state;
	printf("CONNECTED to relay for ticket %u: %s\n", ticket,
	       helper_ui_tty_clean(summary, s, sizeof(s)));
	printf("Nothing is shared until you allow it. Type stop to stop sharing, end to end the session.\n");
	fflush(stdout);
}

static void helper_ui_tty_ask(void *state, const struct helper_ui_request *r)
{
	char name[TTY_TEXT_MAX], tier[TTY_TEXT_MAX];

	(void)state;
	helper_ui_tty_clean(r->name, name, sizeof(name));
	helper_ui_tty_clean(r->tier, tier, sizeof(tier));
	if (r->control)
		printf("CONSENT %s (%s) on ticket %u asks to view and control your screen. "
		       "Allow? [y = view and control, v = view only, n = deny]\n", name, tier, r->ticket);
	else
		printf("CONSENT %s (%s) on ticket %u asks to view your screen. "
		       "Allow? [y = view only, n = deny]\n", name, tier, r->ticket);
	fflush(stdout);
}

static void helper_ui_tty_who(const char *word, const struct helper_ui_request *r, const char *tail)
{
	char name[TTY_TEXT_MAX], tier[TTY_TEXT_MAX];

	printf("%s %s (%s)%s\n", word, helper_ui_tty_clean(r->name, name, sizeof(name)),
	       helper_ui_tty_clean(r->tier, tier, sizeof(tier)), tail);
	fflush(stdout);
}

static void helper_ui_tty_sharing(void *state, const struct helper_ui_request *r, bool control)
{
	(void)state;
	helper_ui_tty_who("SHARING with", r, control ? ": view and control" : ": view only");
}

static void helper_ui_tty_denied(void *state, const struct helper_ui_request *r)
{
	(void)state;
	helper_ui_tty_who("DENIED", r, "");
}

static void helper_ui_tty_withdrawn(void *state, const struct helper_ui_request *r)
{
	(void)state;
	helper_ui_tty_who("WITHDRAWN", r, ": the request was cancelled; no answer needed");
}

static void helper_ui_tty_stopped(void *state, const struct helper_ui_request *r)
{
	(void)state;
	helper_ui_tty_who("STOPPED sharing with", r, "");
}

static void helper_ui_tty_stopped_all(void *state)
{
	(void)state;
	puts("STOPPED sharing");
	fflush(stdout);
}

static void helper_ui_tty_input_closed(void *state)
{
	(void)state;
	puts("INPUT closed: nobody can answer, so every request to see this screen will be denied");
	fflush(stdout);
}

static void helper_ui_tty_status(void *state, const char *text)
{
	char s[TTY_TEXT_MAX];

	(void)state;
	printf("STATUS %s\n", helper_ui_tty_clean(text, s, sizeof(s)));
	fflush(stdout);
}

static void helper_ui_tty_ended(void *state, const char *reason)
{
	(void)state;
	if (reason == NULL)
		puts("SESSION ENDED");
	else
		printf("SESSION ENDED: %s\n", reason);
	fflush(stdout);
}

const struct helper_ui_ops helper_ui_tty = {
	.name = "tty",
	.open = helper_ui_tty_open,
	.close = helper_ui_tty_close,
	.fd = helper_ui_tty_fd,
	.readable = helper_ui_tty_readable,
	.next = helper_ui_tty_next,
	.connected = helper_ui_tty_connected,
	.ask = helper_ui_tty_ask,
	.sharing = helper_ui_tty_sharing,
	.denied = helper_ui_tty_denied,
	.withdrawn = helper_ui_tty_withdrawn,
	.stopped = helper_ui_tty_stopped,
	.stopped_all = helper_ui_tty_stopped_all,
	.input_closed = helper_ui_tty_input_closed,
	.status = helper_ui_tty_status,
	.ended = helper_ui_tty_ended,
};
