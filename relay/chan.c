/*
 * chan.c: session channels. Technicians and auditors run commands in them
 * (SSH exec, as gitolite does); customers' helpers open the
 * "handoff-control" subsystem in one for consent and status records.
 *
 * The callbacks only note the request; relay_chan_service, called from the
 * loop, runs commands, moves output as the peer's window allows, and
 * decodes control records.
 *
 * This file is transport: it knows channels, windows and records, not
 * tickets. What arrives (a command line, a helper's record, a line typed
 * into a chat stream) goes up through relay->hooks, which server.c fills
 * with exec.c, dispatch.c and follow.c; calling them by name would tie
 * chan.c into a circle with every room above it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "job.h"
#include "log.h"
#include "relay.h"

static void relay_chan_read_chat(struct relay *relay, struct relay_chan *ch);

/* Output of one command, at most. Commands print tickets and codes, not files. */
#define RELAY_CHAN_OUT_MAX (1024u * 1024)
/*
 * Chat lines a follower may leave unread before its stream is closed. A
 * technician reads a chat as it comes; a stream this far behind is not
 * being read, and 1000 of them holding a megabyte each took the relay
 * past a gigabyte.
 */
#define RELAY_CHAT_BACKLOG_MAX (256u * 1024)
/*
 * Channels past the cap that are still opened, to say why on their
 * stderr (SSH's own open failure carries no text through libssh 0.10);
 * past this many more the open itself fails.
 */
#define RELAY_CHAN_OVER_GRACE 4

int relay_chan_room(struct relay *relay, const struct relay_conn *conn, char *why, size_t whylen)
{
	unsigned long mine = 0, users = 0;
	const bool staff = conn->role == RELAY_ROLE_TECH || conn->role == RELAY_ROLE_AUDITOR || conn->role == RELAY_ROLE_DESK;
	int rc = 0;

	for (const struct relay_chan *ch = relay->chans; ch != NULL; ch = ch->next) {
		if (ch->dead || ch->conn->dead)
			continue;
		mine += ch->conn == conn;
		users += staff && ch->conn->user.id == conn->user.id && ch->conn->role == conn->role;
	}
	for (const struct relay_viewer *v = relay->viewers; v != NULL; v = v->next) {
		if (v->state == VIEWER_DONE || v->tech == NULL || v->tech->dead)
			continue;
		mine += v->tech == conn;
		users += staff && v->tech->user.id == conn->user.id;
	}
	if (mine >= relay->home->max_channels_per_connection) {
		snprintf(why, whylen, "too many channels on this connection: %lu open, at most %lu "
			 "(relay.conf: max_channels_per_connection)", mine, relay->home->max_channels_per_connection);
		rc = mine >= relay->home->max_channels_per_connection + RELAY_CHAN_OVER_GRACE ? -2 : -1;
	} else if (staff && users >= relay->home->max_channels_per_user) {
		snprintf(why, whylen, "too many channels for %s: %lu open over all connections, at most %lu "
			 "(relay.conf: max_channels_per_user)", conn->user.name, users, relay->home->max_channels_per_user);
		rc = users >= relay->home->max_channels_per_user + RELAY_CHAN_OVER_GRACE ? -2 : -1;
	}
	return rc;
}

static struct relay_conn *relay_chan_conn(void *userdata)
{
	return ((struct relay_chan *)userdata)->conn;
}

static int relay_chan_exec(ssh_session session, ssh_channel channel, const char *command, void *userdata)
{
	struct relay_chan *ch = userdata;

	(void)session;
	(void)channel;
	if (ch->kind != RELAY_CHAN_NEW || relay_chan_conn(userdata)->role == RELAY_ROLE_CUSTOMER)
		return -1;
	if (ch->refusal != NULL) {
		ch->kind = RELAY_CHAN_REFUSED;
		return 0;
	}
	ch->command = strndup(command, CMDLINE_MAX + 1);
	if (ch->command == NULL)
		return -1;
	ch->kind = RELAY_CHAN_EXEC;
	return 0;
}

/*
 * ssh -t asks for a terminal. The relay has none, but OpenSSH gives up on
 * a refused one when it was asked for explicitly, so it is granted: text
 * commands then get CR LF line ends (relay_chan_crlf), as a terminal's
 * line discipline would give them, and a command that writes binary
 * learns that its output would land on the client's screen and refuses.
 */
static int relay_chan_pty(ssh_session session, ssh_channel channel, const char *term, int width, int height,
			  int pxwidth, int pxheight, void *userdata)
{
	struct relay_chan *ch = userdata;

	(void)session;
	(void)channel;
	(void)term;
	(void)width;
	(void)height;
	(void)pxwidth;
	(void)pxheight;
	ch->pty = true;
	return 0;
}

static int relay_chan_shell(ssh_session session, ssh_channel channel, void *userdata)
{
	/* "ssh relay" with no command gets the list of commands, then the channel ends. */
	return relay_chan_exec(session, channel, "help", userdata);
}

static int relay_chan_subsystem(ssh_session session, ssh_channel channel, const char *subsystem,
				void *userdata)
{
	struct relay_chan *ch = userdata;
	struct relay_conn *conn = ch->conn;
	struct store_ticket ticket;
	struct ctl_record hello = { .type = CTL_HELLO };

	(void)session;
	(void)channel;
	if (ch->kind != RELAY_CHAN_NEW || strcmp(subsystem, CTL_SUBSYSTEM) != 0 ||
	    conn->role != RELAY_ROLE_CUSTOMER || conn->control != NULL || ch->refusal != NULL)
		return -1;
	ch->kind = RELAY_CHAN_CONTROL;
	conn->control = ch;
	hello.ticket = (uint32_t)conn->ticket;
	if (store_ticket_get(conn->relay->store, conn->ticket, &ticket) == STORE_OK)
		hello.text = ticket.summary;
	relay_chan_send_ctl(ch, &hello);
	return 0;
}

ssh_channel relay_chan_open_session(ssh_session session, void *userdata)
{
	struct relay_conn *conn = userdata;
	struct relay *relay = conn->relay;
	struct relay_chan *ch;
	char why[200];
	int room;

	if (conn->role == RELAY_ROLE_NONE || conn->farewell_until_ms != 0)
		return NULL;
	room = relay_chan_room(relay, conn, why, sizeof(why));
	if (room != 0)
		log_info("conn %u (%s): channel %s: %s", conn->id, conn->peer, room == -2 ? "refused" : "opened to refuse",
			 why);
	if (room == -2)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return NULL;
	if (room != 0 && (ch->refusal = strdup(why)) == NULL) {
		free(ch);
		return NULL;
	}
	ch->chan = ssh_channel_new(session);
	if (ch->chan == NULL) {
		free(ch->refusal);
		free(ch);
		return NULL;
	}
	ch->conn = conn;
	ch->stream_fd = -1;
	buf_init(&ch->in, 2 * CTL_RECORD_MAX + 8);
	buf_init(&ch->out, RELAY_CHAN_OUT_MAX);
	buf_init(&ch->err, RELAY_CHAN_OUT_MAX);
	ch->cb = (struct ssh_channel_callbacks_struct){
		.userdata = ch,
		.channel_exec_request_function = relay_chan_exec,
		.channel_pty_request_function = relay_chan_pty,
		.channel_shell_request_function = relay_chan_shell,
		.channel_subsystem_request_function = relay_chan_subsystem,
	};
	ssh_callbacks_init(&ch->cb);
	ssh_set_channel_callbacks(ch->chan, &ch->cb);
	ch->next = relay->chans;
	relay->chans = ch;
	return ch->chan;
}

int relay_chan_send_ctl(struct relay_chan *ch, const struct ctl_record *rec)
{
	int e = ctl_encode(&ch->out, rec);

	if (e != 0)
		log_warn("conn %u: cannot queue a %s record: %s", ch->conn->id,
			 ctl_type_name(rec->type), buf_strerror(e));
	return e;
}

/*
 * Writes what the window allows from b to the channel (stderr if is_stderr).
 * Nothing while the session still has output the socket did not take: the
 * window only says what the peer's channel may buffer, and a peer that
 * stops reading its TCP socket would otherwise leave every channel's
 * window in libssh's output buffer, which has no limit. The bytes then
 * wait in b, which has one (and a chat stream is closed at its backlog).
 */
static int relay_chan_flush(struct relay_chan *ch, struct buf *b, int is_stderr)
{
	if (buf_len(b) > 0 && (ssh_get_poll_flags(ch->conn->session) & SSH_WRITE_PENDING))
		return 0;
	while (buf_len(b) > 0) {
		uint32_t window = ssh_channel_window_size(ch->chan);
		uint32_t n = buf_len(b) < window ? (uint32_t)buf_len(b) : window;
		int w;

		if (n == 0)
			return 0;
		w = is_stderr ? ssh_channel_write_stderr(ch->chan, buf_ptr(b), n)
			      : ssh_channel_write(ch->chan, buf_ptr(b), n);
		if (w < 0)
			return -1;
		buf_consume(b, (size_t)w);
	}
	return 0;
}

/*
 * After out is sent, a command's big output (an export) comes from
 * stream_fd, a window's worth at a time, so it never sits in memory whole.
 */
static int relay_chan_stream(struct relay_chan *ch)
{
	while (ch->stream_fd >= 0 && buf_len(&ch->out) == 0 && ssh_channel_window_size(ch->chan) > 0) {
		uint8_t *dst;
		ssize_t n;

		if (buf_reserve(&ch->out, 64 * 1024, &dst) != 0)
			return -1;
		n = read(ch->stream_fd, dst, 64 * 1024);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(ch->stream_fd);
			ch->stream_fd = -1;
			return n < 0 ? -1 : 0;
		}
		buf_commit(&ch->out, (size_t)n);
		if (relay_chan_flush(ch, &ch->out, 0) != 0)
			return -1;
	}
	return 0;
}

/* A command's text for a client in raw terminal mode (ssh -t): every LF as CR LF. */
static void relay_chan_crlf(struct buf *b)
{
	static const char cut[] = "\r\n(output cut: too long for a terminal)\r\n";
	struct buf copy;
	size_t n = buf_len(b);
	const uint8_t *p;

	if (n == 0 || memchr(buf_ptr(b), '\n', n) == NULL)
		return;
	buf_init(&copy, 2 * RELAY_CHAN_OUT_MAX);
	p = buf_ptr(b);
	for (size_t i = 0; i < n; i++)
		if ((p[i] == '\n' && buf_put_u8(&copy, '\r') != 0) || buf_put_u8(&copy, p[i]) != 0)
			break;
	buf_reset(b);
	if (buf_put(b, buf_ptr(&copy), buf_len(&copy)) != 0)
		buf_put(b, cut, sizeof(cut) - 1);
	buf_free(&copy);
}

static void relay_chan_read_control(struct relay *relay, struct relay_chan *ch)
{
	for (;;) {
		struct ctl_record rec;
		uint8_t *dst;
		int n, e;

		while ((e = ctl_decode(&ch->in, &rec)) == 1) {
			relay->hooks.customer_record(relay, ch->conn, &rec);
			ctl_record_free(&rec);
		}
		if (e < 0) {
			log_warn("conn %u: bad control record (%s); closing the session", ch->conn->id,
				 buf_strerror(e));
			ch->conn->dead = true;
			return;
		}
		if (buf_reserve(&ch->in, 4096, &dst) != 0) {
			ch->conn->dead = true;
			return;
		}
		n = ssh_channel_read_nonblocking(ch->chan, dst, 4096, 0);
		if (n <= 0)
			return;
		buf_commit(&ch->in, (size_t)n);
	}
}

void relay_chan_service(struct relay *relay, struct relay_chan *ch)
{
	if (ch->dead)
		return;
	/*
	 * The peer's EOF ends its input, not our output: a command still sends
	 * what it has (an export takes many ticks). A chat stream ends at EOF
	 * (Ctrl-D leaves it) once its last line is sent and its output drained.
	 * A closed channel ends everything; a helper's control channel ends at
	 * EOF too.
	 */
	if (ssh_channel_is_closed(ch->chan) ||
	    (ssh_channel_is_eof(ch->chan) && (ch->kind == RELAY_CHAN_CONTROL || ch->kind == RELAY_CHAN_NEW))) {
		ch->dead = true;
		if (ch->kind == RELAY_CHAN_CONTROL) {
			log_info("conn %u: the helper closed its control channel", ch->conn->id);
			ch->conn->dead = true;
		}
		return;
	}
	switch (ch->kind) {
	case RELAY_CHAN_NEW:
		return;
	case RELAY_CHAN_REFUSED:
		/* The reason on stderr, exit status 1: what ssh and handoff-tech print for any failed command. */
		if (ssh_channel_write_stderr(ch->chan, "handoff-relay: ", 15) >= 0 &&
		    ssh_channel_write_stderr(ch->chan, ch->refusal, (uint32_t)strlen(ch->refusal)) >= 0 &&
		    ssh_channel_write_stderr(ch->chan, "\n", 1) >= 0) {
			ssh_channel_request_send_exit_status(ch->chan, 1);
			ssh_channel_send_eof(ch->chan);
			ssh_channel_close(ch->chan);
		}
		ch->dead = true;
		return;
	case RELAY_CHAN_EXEC:
		if (!ch->command_done) {
			ch->exit_status = relay->hooks.exec(relay, ch, ch->command, &ch->out, &ch->err);
			ch->command_done = true;
			/*
			 * A live chat stream reads lines; a terminal in raw mode sends
			 * keys (CR for Enter, no echo), so it would wait forever.
			 */
			if (ch->pty && ch->kind == RELAY_CHAN_CHAT) {
				static const char msg[] = "chat: the live chat stream reads lines, not a terminal's keys; "
							  "run it without -t\n";

				ch->kind = RELAY_CHAN_EXEC;
				buf_reset(&ch->out);
				buf_put(&ch->err, msg, sizeof(msg) - 1);
				ch->exit_status = 2;
			}
		}
		if (ch->kind == RELAY_CHAN_CHAT)
			return; /* the command made it a live stream */
		/* An export or a verify runs on the job thread; its output and exit status come when it ends. */
		if (ch->job != NULL)
			return;
		if (!ch->output_ready) {
			ch->output_ready = true;
			if (ch->pty && ch->stream_fd < 0) {
				relay_chan_crlf(&ch->out);
				relay_chan_crlf(&ch->err);
			}
		}
		if (relay_chan_flush(ch, &ch->out, 0) != 0 || relay_chan_flush(ch, &ch->err, 1) != 0 ||
		    relay_chan_stream(ch) != 0) {
			ch->dead = true;
			return;
		}
		if (buf_len(&ch->out) == 0 && buf_len(&ch->err) == 0 && ch->stream_fd < 0 &&
		    ssh_channel_is_open(ch->chan)) {
			ssh_channel_request_send_exit_status(ch->chan, ch->exit_status);
			ssh_channel_send_eof(ch->chan);
			ssh_channel_close(ch->chan);
			ch->dead = true;
		}
		return;
	case RELAY_CHAN_CONTROL:
		relay_chan_read_control(relay, ch);
		if (relay_chan_flush(ch, &ch->out, 0) != 0)
			ch->conn->dead = true;
		return;
	case RELAY_CHAN_CHAT:
		relay_chan_read_chat(relay, ch);
		/* A last line without its newline (text, then Ctrl-D twice) is still said. */
		if (ssh_channel_is_eof(ch->chan) && buf_len(&ch->in) > 0 && buf_put_u8(&ch->in, '\n') == 0)
			relay_chan_read_chat(relay, ch);
		if (relay_chan_flush(ch, &ch->out, 0) != 0 || relay_chan_flush(ch, &ch->err, 1) != 0) {
			ch->dead = true;
			return;
		}
		if (ssh_channel_is_eof(ch->chan) && buf_len(&ch->out) == 0 && buf_len(&ch->err) == 0) {
			ssh_channel_request_send_exit_status(ch->chan, 0);
			ssh_channel_send_eof(ch->chan);
			ssh_channel_close(ch->chan);
			ch->dead = true;
		}
		return;
	}
}

void relay_chan_chat_broadcast(struct relay *relay, int64_t ticket, const char *line)
{
	for (struct relay_chan *ch = relay->chans; ch != NULL; ch = ch->next) {
		if (ch->kind != RELAY_CHAN_CHAT || ch->chat_ticket != ticket || ch->dead)
			continue;
		/* A follower that stopped reading loses its stream, not the relay's memory. */
		if (buf_len(&ch->out) + strlen(line) > RELAY_CHAT_BACKLOG_MAX || buf_put(&ch->out, line, strlen(line)) != 0) {
			log_info("conn %u: chat stream of ticket %lld is not being read; closed", ch->conn->id,
				 (long long)ticket);
			ch->dead = true;
		}
	}
}

/*
 * Lines the technician types into a chat stream go up to follow.c, which
 * says them on the ticket if it is still theirs.
 */
static void relay_chan_read_chat(struct relay *relay, struct relay_chan *ch)
{
	/*
	 * Back-pressure on the writer: its own stream shows every line, so
	 * while that is behind, its input waits in the SSH window, not here.
	 */
	while (buf_len(&ch->out) <= RELAY_CHAT_BACKLOG_MAX / 4) {
		const uint8_t *p = buf_ptr(&ch->in);
		const uint8_t *nl = memchr(p, '\n', buf_len(&ch->in));
		uint8_t *dst;
		int n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - p);
			char *text = strndup((const char *)p, len);

			buf_consume(&ch->in, len + 1);
			if (text == NULL)
				return;
			relay->hooks.chat_said(relay, ch, text, len);
			free(text);
			continue;
		}
		if (buf_len(&ch->in) > CTL_TEXT_MAX) {
			buf_put(&ch->err, "line too long; dropped\n", 23);
			buf_reset(&ch->in);
		}
		if (buf_reserve(&ch->in, 1024, &dst) != 0)
			return;
		n = ssh_channel_read_nonblocking(ch->chan, dst, 1024, 0);
		if (n <= 0)
			return;
		buf_commit(&ch->in, (size_t)n);
	}
}

void relay_chan_free(struct relay *relay, struct relay_chan *ch, bool session_dying)
{
	(void)relay;
	relay_job_abandon(ch->job);
	if (ch->conn->control == ch)
		ch->conn->control = NULL;
	ssh_remove_channel_callbacks(ch->chan, &ch->cb);
	/* A dying session frees its channels itself in ssh_free. */
	if (!session_dying)
		ssh_channel_free(ch->chan);
	if (ch->stream_fd >= 0)
		close(ch->stream_fd);
	free(ch->command);
	free(ch->refusal);
	buf_free(&ch->in);
	buf_free(&ch->out);
	buf_free(&ch->err);
	free(ch);
}
