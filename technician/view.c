/*
 * view.c: see view.h.
 *
 * Shutdown order matters: the RFB client is closed first, which closes its
 * end of the socketpair; the pump thread sees that (or the wake byte,
 * whichever comes first), closes the channel and exits; only after the join
 * does the session belong to the main thread again.
 *
 * Reconnecting: when the SSH connection itself is gone (the relay was
 * restarted, the network dropped), the viewer logs in again with bounded
 * exponential back-off and asks for the ticket anew. Consent belongs to a
 * viewer connection, so the customer is asked again; and while the
 * customer's helper has not come back to the relay there is "no live
 * session", which is retried the same way. A session that ended for any
 * other reason (the technician closed it, the customer declined or ended
 * it, the server sent garbage) is not retried.
 *
 * What the technician reads in this terminal about the customer's answers:
 * the level they allowed, when the first screen description says it and
 * again whenever it changes or answers a request for control (the rights
 * travel in the stream: screeninfo.h); and why the session ended, from
 * the RFB failure reason before the stream started or the relay's
 * exit-signal message after (tunnel.h).
 */
#include "view.h"

#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"
#include "headless.h"
#include "sshutil.h"
#include "tunnel.h"
#include "vnc.h"
#include "window.h"

/* Back-off: 1, 2, 4, 8, 16, 30, 30, 30 s, then give up (about two minutes). */
#define TECH_VIEW_RETRIES 8
#define TECH_VIEW_BACKOFF_MAX 30
/* What libvncclient 0.9.14 logs when the stream simply ends (sockets.c): no news next to the relay's why. */
#define TECH_VIEW_PLAIN_EOF "VNC server closed connection"

enum tech_view_outcome {
	TECH_VIEW_DONE,      /* ended by the technician: exit 0 */
	TECH_VIEW_FAILED,    /* ended otherwise, not worth retrying: exit 1 */
	TECH_VIEW_RETRY,     /* the link is gone or there is no live session yet */
};

/* The terminal's side of the chat in window mode: stdin lines in, chat lines out. */
struct tech_view_term {
	struct tech_chat *chat;
	struct tech_chat_opening *chat_opening; /* the window's chat while its login goes on */
	unsigned long ticket;
	int level;              /* -1 not told yet, 0 view only, 1 view and control */
	bool control_asked;     /* a request for control waits for the customer's answer */
	char in[TECH_CHAT_LINE_MAX];
	size_t in_len;
	bool eof;
};

static void tech_view_print_line(const char *line, void *ctx)
{
	(void)ctx;
	printf("%s\n", line);
	fflush(stdout);
}

static void tech_view_tick(void *ctx)
{
	struct tech_view_term *t = ctx;
	char *nl;

	if (t->chat_opening != NULL && tech_chat_open_poll(t->chat_opening, &t->chat) == 1)
		t->chat_opening = NULL;
	if (t->chat == NULL)
		return;
	if (tech_chat_read(t->chat, tech_view_print_line, NULL) != 0) {
		printf("(the chat stream ended)\n");
		fflush(stdout);
		tech_chat_close(t->chat);
		t->chat = NULL;
		return;
	}
	if (!t->eof) {
		fd_set rd;
		struct timeval zero = { 0, 0 };

		FD_ZERO(&rd);
		FD_SET(STDIN_FILENO, &rd);
		if (select(STDIN_FILENO + 1, &rd, NULL, NULL, &zero) > 0) {
			ssize_t n = read(STDIN_FILENO, t->in + t->in_len, sizeof(t->in) - 1 - t->in_len);

			if (n <= 0)
				t->eof = true;
			else
				t->in_len += (size_t)n;
		}
	}
	while ((nl = memchr(t->in, '\n', t->in_len)) != NULL || t->in_len == sizeof(t->in) - 1) {
		size_t len = nl != NULL ? (size_t)(nl - t->in) : t->in_len;

		t->in[len] = '\0';
		if (len > 0 && t->in[len - 1] == '\r')
			t->in[len - 1] = '\0';
		tech_chat_input(t->chat, t->in, tech_view_print_line, NULL);
		len += nl != NULL ? 1 : 0;
		memmove(t->in, t->in + len, t->in_len - len);
		t->in_len -= len;
	}
}

/* Every screen description: says the level when it is news (see the top). */
static void tech_view_on_info(void *ctx, const struct screeninfo *si)
{
	struct tech_view_term *t = ctx;
	int level = (si->flags & SCREENINFO_CONTROL) != 0;
	char when[16] = "?";
	time_t now = time(NULL);
	struct tm tm;

	if (level == t->level && !t->control_asked)
		return;
	if (localtime_r(&now, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M", &tm);
	if (level)
		fprintf(stderr, "handoff-tech: ticket %lu: the customer allowed view and control at %s\n", t->ticket, when);
	else if (t->control_asked)
		fprintf(stderr, "handoff-tech: ticket %lu: the customer kept it to view only (no control) at %s\n",
			t->ticket, when);
	else
		fprintf(stderr, "handoff-tech: ticket %lu: the customer allowed view only at %s\n", t->ticket, when);
	t->level = level;
	t->control_asked = false;
}

/* The relay's control N, for the window (F8 c) and the headless control command. */
static int tech_view_ask_control_to(void *ctx, tech_chat_line_fn fn, void *fn_ctx)
{
	struct tech_view_term *t = ctx;

	if (t->level == 1) {
		fn("you have control already", fn_ctx);
		return -1;
	}
	/* Asked before the chat's login has ended: the answer is worth that wait. */
	if (t->chat_opening != NULL) {
		t->chat = tech_chat_open_finish(t->chat_opening);
		t->chat_opening = NULL;
	}
	if (tech_chat_ask_control(t->chat, fn, fn_ctx) != 0)
		return -1;
	t->control_asked = true;
	return 0;
}

/* What the relay said to a request from the window: to the terminal, as our other news. */
static void tech_view_print_said(const char *line, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "handoff-tech: %s\n", line);
}

static int tech_view_ask_control(void *ctx)
{
	return tech_view_ask_control_to(ctx, tech_view_print_said, NULL);
}

/* One viewer connection over the logged-in session s, start to end. */
static enum tech_view_outcome tech_view_once(ssh_session s, const struct tech_connect_opts *conn,
					     const struct tech_view_opts *o, bool again)
{
	struct tech_tunnel tunnel;
	struct tech_vnc vnc;
	struct tech_view_term term = { .ticket = o->ticket, .level = -1 };
	enum tech_view_outcome out = TECH_VIEW_FAILED;
	int fd = -1;
	int r;

	r = tech_tunnel_open(&tunnel, s, o->ticket, o->view_only, &fd);
	if (r == TECH_TUNNEL_REFUSED) {
		fprintf(stderr, "handoff-tech: the relay refused ticket %lu (no live session, or not yours)\n",
			o->ticket);
		goto out_tunnel;
	}
	if (r != 0) {
		out = TECH_VIEW_RETRY;
		goto out_tunnel;
	}
	if (isatty(STDERR_FILENO) || again)
		fprintf(stderr, "handoff-tech: ticket %lu: waiting for the customer to accept...\n", o->ticket);
	if (tech_vnc_open(&vnc, fd) != 0) {
		if (vnc.reason[0] != '\0')
			fprintf(stderr, "handoff-tech: session ended: %s\n", vnc.reason);
		else if (vnc.error[0] != '\0')
			fprintf(stderr, "handoff-tech: session ended: %s\n", vnc.error);
		else
			fprintf(stderr, "handoff-tech: session ended: the connection closed before the session started\n");
		/* After a relay restart the customer's helper may not be back yet. */
		if (again && strstr(vnc.reason, "no live session") != NULL)
			out = TECH_VIEW_RETRY;
		goto out_tunnel;
	}
	if (again)
		fprintf(stderr, "handoff-tech: ticket %lu: reconnected\n", o->ticket);
	vnc.on_info = tech_view_on_info;
	vnc.on_info_ctx = &term;
	/*
	 * The chat is a help, not a condition: without it the viewer still
	 * works. The window shows the picture while the chat logs in; headless
	 * output has no picture to show first, and its scripts may speak at once.
	 */
	if (o->headless) {
		term.chat = tech_chat_open(conn, o->ticket);
		r = tech_headless_run(&vnc, term.chat, o->monitor, tech_view_ask_control_to, &term);
	} else {
		struct tech_window_opts wo = { .ticket = o->ticket, .view_only = o->view_only,
					       .monitor = o->monitor, .rx_bytes = &tunnel.rx_bytes, .tick = tech_view_tick,
					       .tick_ctx = &term, .ask_control = tech_view_ask_control };

		term.chat_opening = tech_chat_open_async(conn, o->ticket);
		r = tech_window_run(&vnc, &wo);
	}
	tech_vnc_close(&vnc);
	tech_chat_open_cancel(term.chat_opening);
	tech_chat_close(term.chat);
	/* After the join: end_reason was the pump thread's until then. */
	tech_tunnel_close(&tunnel);
	if (r != 0 && tunnel.end_reason[0] != '\0' && vnc.error[0] != '\0' &&
	    strcmp(vnc.error, TECH_VIEW_PLAIN_EOF) != 0)
		/* Both sides have something to say (a bad rectangle, then the stream closed): both count. */
		fprintf(stderr, "handoff-tech: session ended: %s; the viewer saw: %s\n", tunnel.end_reason, vnc.error);
	else if (r != 0 && tunnel.end_reason[0] != '\0')
		fprintf(stderr, "handoff-tech: session ended: %s\n", tunnel.end_reason);
	/* A link that ended under us says why, when libvncclient said (a bad rectangle...). */
	else if (r > 0 && vnc.error[0] != '\0')
		fprintf(stderr, "handoff-tech: session ended: %s\n", vnc.error);
	else if (r >= 0)
		fprintf(stderr, "handoff-tech: session ended\n");
	out = r == 0 ? TECH_VIEW_DONE : TECH_VIEW_FAILED;
out_tunnel:
	tech_tunnel_close(&tunnel);
	/*
	 * Whatever the front end saw, even a session that never started (the
	 * relay died while the customer was being asked): a dead SSH
	 * connection is worth a new login.
	 */
	if (out == TECH_VIEW_FAILED && !ssh_is_connected(s)) {
		/*
		 * libssh 0.10 keeps a received disconnect's text only in the error
		 * ("Received SSH_MSG_DISCONNECT: 11:TEXT"). "Handoff: ..." is the relay
		 * ending this login on purpose (the account was disabled): no retry.
		 */
		const char *err = ssh_get_error(s), *why = NULL;

		if (strncmp(err, "Received SSH_MSG_DISCONNECT: ", 29) == 0)
			why = strstr(err, ":Handoff: ");
		if (why != NULL) {
			fputs("handoff-tech: ", stderr);
			for (const char *p = why + 10; *p != '\0'; p++)
				fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, stderr);
			fputc('\n', stderr);
		} else {
			out = TECH_VIEW_RETRY;
		}
	}
	return out;
}

/*
 * Relay i of the list: 0 is --relay with its pin (or known_hosts), then
 * the --also-relay ones, "HOST:PORT=SHA256:..." cut into where (which
 * holds the address). The rest of the settings are the technician's own.
 */
static void tech_view_relay(const struct tech_connect_opts *conn, unsigned i, struct tech_connect_opts *cur,
			    char *where, size_t wherelen)
{
	const char *eq;

	*cur = *conn;
	if (i == 0 || i > conn->also_n)
		return;
	eq = strstr(conn->also[i - 1], "=SHA256:");
	snprintf(where, wherelen, "%.*s", (int)(eq - conn->also[i - 1]), conn->also[i - 1]);
	cur->relay = where;
	cur->host_key = eq + 1;
	cur->known_hosts = NULL;
}

/*
 * Logs in again: the relay in use first (a restart, a blip), then each
 * other relay of the list in turn; the first that takes the login is the
 * one from now on (*at). 0 or -1.
 */
static int tech_view_login(const struct tech_connect_opts *conn, unsigned *at, struct tech_connect_opts *cur,
			   char *where, size_t wherelen, ssh_session *s)
{
	const unsigned n = conn->also_n + 1;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = (*at + k) % n;

		tech_view_relay(conn, i, cur, where, wherelen);
		if (k > 0)
			fprintf(stderr, "handoff-tech: trying the relay at %s\n", cur->relay);
		if (tech_connect_open(cur, s) == 0) {
			*at = i;
			return 0;
		}
	}
	tech_view_relay(conn, *at, cur, where, wherelen);
	return -1;
}

int tech_view_run(ssh_session *s, const struct tech_connect_opts *conn, const struct tech_view_opts *o)
{
	struct tech_connect_opts cur = *conn;
	char where[300];
	unsigned at = 0;
	enum tech_view_outcome out = tech_view_once(*s, &cur, o, false);

	for (int attempt = 0; out == TECH_VIEW_RETRY && attempt < TECH_VIEW_RETRIES; attempt++) {
		int delay = 1 << attempt;

		if (delay > TECH_VIEW_BACKOFF_MAX)
			delay = TECH_VIEW_BACKOFF_MAX;
		fprintf(stderr, "handoff-tech: lost the session; trying again in %d s (%d of %d)\n", delay,
			attempt + 1, TECH_VIEW_RETRIES);
		sleep((unsigned)delay);
		if (!ssh_is_connected(*s)) {
			sshutil_close(*s);
			*s = NULL;
			if (tech_view_login(conn, &at, &cur, where, sizeof(where), s) != 0)
				continue;
		}
		out = tech_view_once(*s, &cur, o, true);
	}
	if (out == TECH_VIEW_RETRY)
		fprintf(stderr, "handoff-tech: gave up after %d tries\n", TECH_VIEW_RETRIES);
	return out == TECH_VIEW_DONE ? 0 : 1;
}
