/*
 * chan.c: session channels. Technicians and auditors run commands in them
 * (SSH exec, as gitolite does); customers' helpers open the
 * "handoff-control" subsystem in one for consent and status records.
 *
 * The callbacks only note the request; relay_chan_service, called from the
 * loop, runs commands, moves output as the peer's window allows, and
 * decodes control records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "log.h"
#include "relay.h"

static void relay_chan_read_chat(struct relay *relay, struct relay_chan *ch);

/* Output of one command, at most. Commands print tickets and codes, not files. */
#define RELAY_CHAN_OUT_MAX (1024u * 1024)

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
	    conn->role != RELAY_ROLE_CUSTOMER || conn->control != NULL)
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

	if (conn->role == RELAY_ROLE_NONE)
		return NULL;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return NULL;
	ch->chan = ssh_channel_new(session);
	if (ch->chan == NULL) {
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

/* Writes what the window allows from b to the channel (stderr if is_stderr). */
static int relay_chan_flush(struct relay_chan *ch, struct buf *b, int is_stderr)
{
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
			/* A session the relay ended changes its ticket no more. */
			if (ch->conn->ending_at != 0)
				log_info("conn %u: ignoring a %s record after the session ended", ch->conn->id,
					 ctl_type_name(rec.type));
			else if (rec.type == CTL_CONSENT_REPLY)
				relay_viewer_consent_reply(relay, ch->conn, &rec);
			else if (rec.type == CTL_CHAT)
				relay_ticket_chat(relay, ch->conn->ticket, "customer", "customer", rec.text ? rec.text : "");
			else if (rec.type == CTL_LOGS_DATA)
				relay_ticket_logs_data(relay, ch->conn, &rec);
			else if (rec.type == CTL_SHARING && rec.flags == CTL_SHARING_ENDED)
				relay_viewer_customer_ending(relay, ch->conn);
			else if (rec.type == CTL_SHARING)
				relay_ticket_sharing(relay, ch->conn, &rec);
			else if (rec.type == CTL_INPUT_IGNORED)
				relay_ticket_input_ignored(relay, ch->conn, &rec);
			else if (rec.type == CTL_ANSWERED)
				relay_ticket_answered(relay, ch->conn, &rec);
			else
				log_info("conn %u: ignoring a %s record from the helper", ch->conn->id,
					 ctl_type_name(rec.type));
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
	case RELAY_CHAN_EXEC:
		if (!ch->command_done) {
			ch->exit_status = relay_exec_run(relay, ch, ch->command, &ch->out, &ch->err);
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
			if (ch->pty && ch->stream_fd < 0) {
				relay_chan_crlf(&ch->out);
				relay_chan_crlf(&ch->err);
			}
		}
		if (ch->kind == RELAY_CHAN_CHAT)
			return; /* the command made it a live stream */
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

struct relay_chan_replay {
	struct relay_chan *ch;
};

static int relay_chan_replay_line(const struct store_event *e, void *ctx)
{
	struct relay_chan *ch = ctx;
	char line[RELAY_CHAT_LINE_MAX];

	relay_ticket_chat_line(e, line, sizeof(line));
	return buf_put(&ch->out, line, strlen(line)) != 0;
}

void relay_chan_follow_chat(struct relay *relay, struct relay_chan *ch, int64_t ticket)
{
	ch->kind = RELAY_CHAN_CHAT;
	ch->chat_ticket = ticket;
	buf_reset(&ch->in);
	store_events(relay->store, ticket, "chat", relay_chan_replay_line, ch);
}

void relay_chan_chat_broadcast(struct relay *relay, int64_t ticket, const char *line)
{
	for (struct relay_chan *ch = relay->chans; ch != NULL; ch = ch->next) {
		if (ch->kind != RELAY_CHAN_CHAT || ch->chat_ticket != ticket || ch->dead)
			continue;
		/* A follower that stopped reading loses its stream, not the relay's memory. */
		if (buf_put(&ch->out, line, strlen(line)) != 0) {
			log_info("conn %u: chat stream of ticket %lld is not being read; closed", ch->conn->id,
				 (long long)ticket);
			ch->dead = true;
		}
	}
}

/*
 * Lines the technician types into a chat stream go to the customer, as long
 * as the ticket is still theirs.
 */
static void relay_chan_read_chat(struct relay *relay, struct relay_chan *ch)
{
	for (;;) {
		const uint8_t *p = buf_ptr(&ch->in);
		const uint8_t *nl = memchr(p, '\n', buf_len(&ch->in));
		uint8_t *dst;
		int n;

		if (nl != NULL) {
			size_t len = (size_t)(nl - p);
			char *text = strndup((const char *)p, len);
			struct store_ticket t;
			char why[200];

			buf_consume(&ch->in, len + 1);
			if (text == NULL)
				return;
			if (len > 0 && len <= CTL_TEXT_MAX && buf_utf8_valid((const uint8_t *)text, len) &&
			    store_ticket_get(relay->store, ch->chat_ticket, &t) == STORE_OK) {
				if (relay_rights_check(ch->conn->role, &ch->conn->user, RELAY_ACT_CHAT, &t, why,
						       sizeof(why)) == 0) {
					relay_ticket_chat(relay, ch->chat_ticket, ch->conn->user.name,
							  ch->conn->user.tier, text);
				} else {
					buf_put(&ch->err, why, strlen(why));
					buf_put_u8(&ch->err, '\n');
				}
			}
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
	if (ch->conn->control == ch)
		ch->conn->control = NULL;
	ssh_remove_channel_callbacks(ch->chan, &ch->cb);
	/* A dying session frees its channels itself in ssh_free. */
	if (!session_dying)
		ssh_channel_free(ch->chan);
	if (ch->stream_fd >= 0)
		close(ch->stream_fd);
	free(ch->command);
	buf_free(&ch->in);
	buf_free(&ch->out);
	buf_free(&ch->err);
	free(ch);
}
