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
 * When no question is on screen, a line that is not a command is chat for
 * the technician. It is not echoed: the terminal already shows what was
 * typed. While a question is on screen, lines are answers only, so a
 * hurried "y" meant for the question never goes out as chat instead; at a
 * logs question "show" prints exactly what would be sent, a line at a time
 * after "| ".
 *
 * Names, summaries and chat come from the relay. They are valid UTF-8, but
 * they could still carry terminal escape sequences; control characters are
 * printed as '?' so a hostile string cannot rewrite what the customer sees.
 */
#include "ui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "i18n.h"
#include "platform.h"
#include "ui_text.h"
#include "ui_words.h"
#include "utf8.h"

#define TTY_INPUT_MAX HELPER_UI_LINE_MAX
#define TTY_TEXT_MAX 4608  /* more than any string a control record carries */

struct helper_ui_tty {
	char in[TTY_INPUT_MAX];
	size_t len;
	bool discarding;    /* inside a line that was too long */
	bool eof;
	bool eof_reported;
	int in_fd;          /* helper_platform_stdin_open's, -1 when there is none */
	char org[256];      /* the support organisation, cleaned, or "" */
	bool upgrade;       /* the consent question on screen is about control only (ui.h) */
};

static int helper_ui_tty_open(void **state, const struct helper_ui_config *cfg, char *err,
			      size_t errlen)
{
	struct helper_ui_tty *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->in_fd = helper_platform_stdin_open();
	if (t->in_fd < 0) {
		free(t);
		snprintf(err, errlen, "cannot read standard input");
		return -1;
	}
	if (cfg->org != NULL)
		helper_ui_text_clean(cfg->org, t->org, sizeof(t->org));
	*state = t;
	return 0;
}

static void helper_ui_tty_close(void *state)
{
	struct helper_ui_tty *t = state;

	if (t != NULL)
		helper_platform_stdin_close(t->in_fd);
	free(state);
}

static int helper_ui_tty_fd(void *state)
{
	struct helper_ui_tty *t = state;

	return t->eof ? -1 : t->in_fd;
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
		fputs(_("That line was too long; it was ignored."), stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	n = helper_platform_stdin_read(t->in_fd, t->in + t->len, sizeof(t->in) - t->len);
	if (n > 0) {
		t->len += (size_t)n;
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	t->eof = true;
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

static enum helper_ui_choice helper_ui_tty_next(void *state, enum helper_ui_question asking,
					       char *chat, size_t chatlen)
{
	struct helper_ui_tty *t = state;
	char line[TTY_INPUT_MAX];

	while (helper_ui_tty_line(t, line, sizeof(line))) {
		if (line[0] == '\0')
			continue;
		if (helper_ui_tty_is(line, "stop", NULL))
			return HELPER_UI_STOP;
		if (helper_ui_tty_is(line, "pause", NULL))
			return HELPER_UI_PAUSE;
		if (helper_ui_tty_is(line, "resume", NULL))
			return HELPER_UI_RESUME;
		if (helper_ui_tty_is(line, "end", "quit"))
			return HELPER_UI_END;
		switch (asking) {
		case HELPER_UI_ASKING_CONSENT:
			if (helper_ui_tty_is(line, "y", "yes"))
				return HELPER_UI_ALLOW;
			if (t->upgrade) {
				/* No control: the view goes on as allowed before ("v" means the same). */
				if (helper_ui_tty_is(line, "n", "no") || helper_ui_tty_is(line, "v", "view"))
					return HELPER_UI_ALLOW_VIEW;
				puts(_("Please answer y or n."));
				break;
			}
			if (helper_ui_tty_is(line, "v", "view"))
				return HELPER_UI_ALLOW_VIEW;
			if (helper_ui_tty_is(line, "n", "no"))
				return HELPER_UI_DENY;
			puts(_("Please answer y, v or n."));
			break;
		case HELPER_UI_ASKING_LOGS:
			if (helper_ui_tty_is(line, "y", "yes"))
				return HELPER_UI_ALLOW;
			if (helper_ui_tty_is(line, "n", "no"))
				return HELPER_UI_DENY;
			if (helper_ui_tty_is(line, "show", NULL))
				return HELPER_UI_PREVIEW;
			puts(_("Please answer y, n or show."));
			break;
		case HELPER_UI_ASKING_NOTHING:
			if (helper_ui_tty_is(line, "help", NULL)) {
				puts(_("Commands: pause (pause sharing), resume (resume sharing), stop (stop "
				       "sharing with everyone), end (end the session). Any other line is sent to "
				       "the technician."));
				break;
			}
			if (chatlen == 0)
				break;
			snprintf(chat, chatlen, "%s", line);
			return HELPER_UI_CHAT;
		}
		fflush(stdout);
	}
	if (t->eof && !t->eof_reported) {
		t->eof_reported = true;
		return HELPER_UI_CLOSED;
	}
	return HELPER_UI_NONE;
}

/*
 * Each line starts with an upper-case word that is never translated, so
 * scripts and tests can wait for it in any language; the rest is gettext's.
 */
static void helper_ui_tty_line_out(const char *word, const char *text)
{
	printf("%s %s\n", word, text);
	fflush(stdout);
}

static void helper_ui_tty_connected(void *state, uint32_t ticket, const char *summary)
{
	char s[TTY_TEXT_MAX], line[TTY_TEXT_MAX + 256];

	(void)state;
	/* TRANSLATORS: after the word CONNECTED; the number is the ticket's, %s what it is about. */
	snprintf(line, sizeof(line), _("to remote support. Your reference number is %1$u. About: %2$s"), ticket,
		 helper_ui_text_clean(summary, s, sizeof(s)));
	helper_ui_tty_line_out("CONNECTED", line);
	puts(_("Nothing is shared until you allow it. Type a line and press Enter to send it to the "
	       "technician; type stop to stop sharing, end to end the session."));
	fflush(stdout);
}

static void helper_ui_tty_ask(void *state, const struct helper_ui_request *r)
{
	struct helper_ui_tty *t = state;
	char who[TTY_TEXT_MAX], line[2 * TTY_TEXT_MAX + 256];

	helper_ui_words_who(r->name, r->tier, t->org, who, sizeof(who));
	t->upgrade = r->upgrade;
	if (r->upgrade)
		/* TRANSLATORS: after the word CONSENT; %s is who. They see the screen already; n keeps that. */
		snprintf(line, sizeof(line),
			 _("%s, who can already see your screen, asks to also control it (use your mouse "
			   "and keyboard). Allow? [y = allow control, n = keep view only]"), who);
	else if (r->control)
		snprintf(line, sizeof(line),
			 _("%s asks to view and control your screen. "
			   "Allow? [y = view and control, v = view only, n = deny]"), who);
	else
		snprintf(line, sizeof(line),
			 _("%s asks to view your screen. "
			   "Allow? [y = view only, n = deny]"), who);
	helper_ui_tty_line_out("CONSENT", line);
}

/* WORD, then fmt (a translated text with one %s, for who r is: ui_words.h). */
static void helper_ui_tty_who(const struct helper_ui_tty *t, const char *word, const char *fmt,
			      const struct helper_ui_request *r)
{
	char who[TTY_TEXT_MAX], line[2 * TTY_TEXT_MAX + 256];

	helper_ui_words_who(r->name, r->tier, t->org, who, sizeof(who));
	/* fmt is one of our own translated strings, checked by msgfmt --check-format. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(line, sizeof(line), fmt, who);
#pragma GCC diagnostic pop
	helper_ui_tty_line_out(word, line);
}

static void helper_ui_tty_sharing(void *state, const struct helper_ui_request *r, bool control)
{
	/* TRANSLATORS: after the word SHARING; %s is who (alice from the help desk). */
	helper_ui_tty_who(state, "SHARING", control ? _("with %s: view and control") : _("with %s: view only"), r);
}

static void helper_ui_tty_denied(void *state, const struct helper_ui_request *r)
{
	helper_ui_tty_who(state, "DENIED", "%s", r);
}

static void helper_ui_tty_withdrawn(void *state, const struct helper_ui_request *r)
{
	helper_ui_tty_who(state, "WITHDRAWN", _("%s: the request was cancelled; no answer needed"), r);
}

static void helper_ui_tty_stopped(void *state, const struct helper_ui_request *r)
{
	/* TRANSLATORS: after the word STOPPED. */
	helper_ui_tty_who(state, "STOPPED", _("sharing with %s"), r);
}

static void helper_ui_tty_stopped_all(void *state)
{
	(void)state;
	/* TRANSLATORS: after the word STOPPED: sharing with everyone stopped. */
	helper_ui_tty_line_out("STOPPED", _("sharing"));
}

static void helper_ui_tty_paused(void *state, bool paused)
{
	(void)state;
	if (paused)
		/* TRANSLATORS: after the word PAUSED. */
		helper_ui_tty_line_out("PAUSED", _("sharing: the technicians stay connected but see nothing "
						   "new and cannot control; type resume to go on"));
	else
		/* TRANSLATORS: after the word RESUMED. */
		helper_ui_tty_line_out("RESUMED", _("sharing as before: the technicians see your screen again"));
}

static void helper_ui_tty_input_closed(void *state)
{
	(void)state;
	/* TRANSLATORS: after the word INPUT. */
	helper_ui_tty_line_out("INPUT", _("closed: nobody can answer, so every request to see this "
					 "screen or to collect information will be refused"));
}

static void helper_ui_tty_status(void *state, const char *text)
{
	char s[TTY_TEXT_MAX];

	(void)state;
	helper_ui_tty_line_out("STATUS", helper_ui_text_clean(text, s, sizeof(s)));
}

/* One output line per line of text, each with the author, so none can pass for ours. */
static void helper_ui_tty_chat(void *state, const char *name, const char *tier, const char *text)
{
	char n[TTY_TEXT_MAX], rb[TTY_TEXT_MAX], l[TTY_TEXT_MAX];
	const char *p = text != NULL ? text : "";
	const char *r = helper_ui_words_tier(tier, rb, sizeof(rb));

	(void)state;
	helper_ui_text_clean(name, n, sizeof(n));
	do {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		/* CRLF line ends would otherwise show as a '?' on every line. */
		if (len > 0 && p[len - 1] == '\r')
			len--;
		/* TRANSLATORS: after the word CHAT: the technician's name, their team, the text. */
		printf("CHAT ");
		printf(_("%1$s (%2$s): %3$s"), n, r, helper_ui_text_clean_n(p, len, l, sizeof(l)));
		putchar('\n');
		p = nl != NULL ? nl + 1 : NULL;
	} while (p != NULL && *p != '\0');
	fflush(stdout);
}

static void helper_ui_tty_chat_unsent(void *state)
{
	(void)state;
	puts(_("That line was not sent: the connection is busy. Please type it again in a moment."));
	fflush(stdout);
}

static void helper_ui_tty_logs_ask(void *state, const struct helper_ui_logs_request *r)
{
	struct helper_ui_tty *t = state;
	char who[TTY_TEXT_MAX], item[TTY_TEXT_MAX], line[2 * TTY_TEXT_MAX + 256];

	helper_ui_words_who(r->name, r->tier, t->org, who, sizeof(who));
	snprintf(line, sizeof(line),
		 _("%s asks for information about this computer, to find the cause of the problem. "
		   "It would get:"), who);
	helper_ui_tty_line_out("LOGS", line);
	for (size_t i = 0; i < r->n_items; i++)
		printf("  - %s\n", helper_ui_text_clean(r->items[i], item, sizeof(item)));
	puts(_("Allow? [y = send it, n = refuse, show = print exactly what would be sent]"));
	fflush(stdout);
}

/*
 * The exact text, a line at a time after "| " so that no line of it can
 * pass for one of ours; control characters show as '?'.
 */
static void helper_ui_tty_logs_preview(void *state, const struct helper_ui_logs_request *r, const char *text,
				       size_t len)
{
	char line[TTY_TEXT_MAX], head[256];
	size_t at = 0;

	(void)state;
	(void)r;
	/* TRANSLATORS: after the word PREVIEW. */
	snprintf(head, sizeof(head), _("of what would be sent (%zu bytes), each line after \"| \":"), len);
	helper_ui_tty_line_out("PREVIEW", head);
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;

		/* A line longer than the buffer continues on the next output line. */
		if (n >= sizeof(line))
			n = utf8_whole(text + at, sizeof(line) - 1);
		printf("| %s\n", helper_ui_text_clean_n(text + at, n, line, sizeof(line)));
		at += n;
		if (at < len && text[at] == '\n')
			at++;
	}
	/* TRANSLATORS: after the word PREVIEW, when the text has been printed. */
	helper_ui_tty_line_out("PREVIEW", _("end"));
	puts(_("Allow? [y = send it, n = refuse, show = print exactly what would be sent]"));
	fflush(stdout);
}

static void helper_ui_tty_logs_sent(void *state, const struct helper_ui_logs_request *r, size_t bytes)
{
	char line[256];

	(void)state;
	(void)r;
	/* TRANSLATORS: after the word LOGS. */
	snprintf(line, sizeof(line), _("sent (%zu bytes)"), bytes);
	helper_ui_tty_line_out("LOGS", line);
}

static void helper_ui_tty_logs_refused(void *state, const struct helper_ui_logs_request *r)
{
	(void)state;
	(void)r;
	/* TRANSLATORS: after the word LOGS. */
	helper_ui_tty_line_out("LOGS", _("refused"));
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

/* Blocks for the next line of standard input. 0, or -1 at its end. */
static int helper_ui_tty_read_line(struct helper_ui_tty *t, char *line, size_t linelen)
{
	/* Bounded: each read() either adds bytes, meets EOF, or was interrupted. */
	for (int i = 0; i < 100000; i++) {
		if (helper_ui_tty_line(t, line, linelen))
			return 0;
		if (t->eof)
			return -1;
		helper_ui_tty_readable(t);
	}
	return -1;
}

static int helper_ui_tty_ask_intake(void *state, const char *problem, char *name, size_t namelen, char *desc,
				    size_t desclen)
{
	struct helper_ui_tty *t = state;

	if (problem != NULL)
		helper_ui_tty_line_out("PROBLEM", problem);
	for (;;) {
		helper_ui_tty_line_out("NO CODE",
				       _("Describe the problem in a few words (one line); a technician will read it "
					 "and answer:"));
		if (helper_ui_tty_read_line(t, desc, desclen) != 0)
			return -1;
		if (desc[0] != '\0')
			break;
	}
	helper_ui_tty_line_out("NAME", _("Your name (optional; press Enter to skip):"));
	if (helper_ui_tty_read_line(t, name, namelen) != 0)
		name[0] = '\0';
	return 0;
}

/*
 * The articles, one ARTICLE line per line of text (clean already), then the
 * question: "y" says they solved it; "n" or an empty line opens the ticket.
 */
static int helper_ui_tty_self_help(void *state, const char *text)
{
	struct helper_ui_tty *t = state;
	char line[TTY_INPUT_MAX];

	helper_ui_tty_line_out("SELF-HELP", _("Before you ask for help: these articles may solve the problem."));
	for (const char *p = text; *p != '\0';) {
		const char *end = strchr(p, '\n');
		int n = end != NULL ? (int)(end - p) : (int)strlen(p);

		printf("ARTICLE %.*s\n", n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
	for (;;) {
		helper_ui_tty_line_out("SOLVED?", _("Did this solve your problem? y: yes, it is solved; "
						    "n: this did not help, ask for help"));
		if (helper_ui_tty_read_line(t, line, sizeof(line)) != 0)
			return -1;
		if (helper_ui_tty_is(line, "y", "yes"))
			return 0;
		if (line[0] == '\0' || helper_ui_tty_is(line, "n", "no"))
			return 1;
	}
}

const struct helper_ui_ops helper_ui_tty = {
	.ask_intake = helper_ui_tty_ask_intake,
	.self_help = helper_ui_tty_self_help,
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
	.paused = helper_ui_tty_paused,
	.input_closed = helper_ui_tty_input_closed,
	.status = helper_ui_tty_status,
	.chat = helper_ui_tty_chat,
	.chat_unsent = helper_ui_tty_chat_unsent,
	.logs_ask = helper_ui_tty_logs_ask,
	.logs_preview = helper_ui_tty_logs_preview,
	.logs_sent = helper_ui_tty_logs_sent,
	.logs_refused = helper_ui_tty_logs_refused,
	.ended = helper_ui_tty_ended,
};
