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
 */
#include "view.h"

#include <stdio.h>
#include <string.h>
#include <sys/select.h>
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

enum tech_view_outcome {
	TECH_VIEW_DONE,      /* ended by the technician: exit 0 */
	TECH_VIEW_FAILED,    /* ended otherwise, not worth retrying: exit 1 */
	TECH_VIEW_RETRY,     /* the link is gone or there is no live session yet */
};

/* The terminal's side of the chat in window mode: stdin lines in, chat lines out. */
struct tech_view_term {
	struct tech_chat *chat;
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

/* One viewer connection over the logged-in session s, start to end. */
static enum tech_view_outcome tech_view_once(ssh_session s, const struct tech_connect_opts *conn,
					     const struct tech_view_opts *o, bool again)
{
	struct tech_tunnel tunnel;
	struct tech_vnc vnc;
	struct tech_view_term term = { 0 };
	enum tech_view_outcome out = TECH_VIEW_FAILED;
	int fd = -1;
	int r;

	r = tech_tunnel_open(&tunnel, s, o->ticket, &fd);
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
	/* The chat is a help, not a condition: without it the viewer still works. */
	term.chat = tech_chat_open(conn, o->ticket);
	if (o->headless) {
		r = tech_headless_run(&vnc, term.chat, o->monitor);
	} else {
		struct tech_window_opts wo = { .ticket = o->ticket, .view_only = o->view_only,
					       .monitor = o->monitor, .rx_bytes = &tunnel.rx_bytes, .tick = tech_view_tick,
					       .tick_ctx = &term };

		r = tech_window_run(&vnc, &wo);
	}
	tech_vnc_close(&vnc);
	tech_chat_close(term.chat);
	/* A link that ended under us says why, when libvncclient said (a bad rectangle...). */
	if (r > 0 && vnc.error[0] != '\0')
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

int tech_view_run(ssh_session *s, const struct tech_connect_opts *conn, const struct tech_view_opts *o)
{
	enum tech_view_outcome out = tech_view_once(*s, conn, o, false);

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
			if (tech_connect_open(conn, s) != 0)
				continue;
		}
		out = tech_view_once(*s, conn, o, true);
	}
	if (out == TECH_VIEW_RETRY)
		fprintf(stderr, "handoff-tech: gave up after %d tries\n", TECH_VIEW_RETRIES);
	return out == TECH_VIEW_DONE ? 0 : 1;
}
