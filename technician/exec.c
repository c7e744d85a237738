/*
 * exec.c: see exec.h.
 *
 * Output arrives through libssh channel callbacks, so stdout and stderr
 * are written in the order the relay sent them and neither stream can stall
 * the other (both share one channel window). Anything that sends (stdin
 * data, EOF, close) happens in the loop, never inside a callback, because
 * libssh 0.10 does not cope with channel writes re-entered from its own
 * packet handlers.
 */
#include "exec.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "cmdline.h"
#include "files.h"
#include "connect.h"

struct tech_exec {
	ssh_channel chan;
	int exit_status;
	bool got_status;
	char signal_name[32];
	bool remote_eof;
	bool remote_closed;
	bool output_broken;   /* our stdout or stderr went away; keep draining */
	bool stdin_ready;
	bool stdin_done;
	bool stdin_polled;
};


static int tech_exec_on_data(ssh_session s, ssh_channel c, void *data, uint32_t len,
			     int is_stderr, void *userdata)
{
	struct tech_exec *x = userdata;

	(void)s;
	(void)c;
	/*
	 * A closed stdout (`| head`) must not stop the command half-way with a
	 * full window: swallow the rest, as ssh does.
	 */
	if (!x->output_broken &&
	    files_write_all(is_stderr ? STDERR_FILENO : STDOUT_FILENO, data, len) != 0)
		x->output_broken = true;
	return (int)len;
}

static void tech_exec_on_eof(ssh_session s, ssh_channel c, void *userdata)
{
	struct tech_exec *x = userdata;

	(void)s;
	(void)c;
	x->remote_eof = true;
}

static void tech_exec_on_close(ssh_session s, ssh_channel c, void *userdata)
{
	struct tech_exec *x = userdata;

	(void)s;
	(void)c;
	x->remote_closed = true;
}

static void tech_exec_on_status(ssh_session s, ssh_channel c, int status, void *userdata)
{
	struct tech_exec *x = userdata;

	(void)s;
	(void)c;
	x->exit_status = status;
	x->got_status = true;
}

static void tech_exec_on_signal(ssh_session s, ssh_channel c, const char *sig, int core,
				const char *errmsg, const char *lang, void *userdata)
{
	struct tech_exec *x = userdata;

	(void)s;
	(void)c;
	(void)core;
	(void)errmsg;
	(void)lang;
	snprintf(x->signal_name, sizeof(x->signal_name), "%s", sig != NULL ? sig : "?");
}

static int tech_exec_on_stdin(socket_t fd, int revents, void *userdata)
{
	struct tech_exec *x = userdata;

	(void)fd;
	(void)revents;
	x->stdin_ready = true;
	return 0;
}

/*
 * Keeps stdin in the event only while the relay's window has room, so a
 * command that does not read its input cannot make us spin.
 */
static void tech_exec_sync_stdin(struct tech_exec *x, ssh_event ev)
{
	bool want = !x->stdin_done && ssh_channel_is_open(x->chan) &&
		    ssh_channel_window_size(x->chan) > 0;

	if (want == x->stdin_polled)
		return;
	if (want) {
		if (ssh_event_add_fd(ev, STDIN_FILENO, POLLIN, tech_exec_on_stdin, x) == SSH_OK)
			x->stdin_polled = true;
		return;
	}
	ssh_event_remove_fd(ev, STDIN_FILENO);
	x->stdin_polled = false;
}

/* Moves one read's worth of stdin to the command; EOF becomes channel EOF. */
static void tech_exec_forward_stdin(struct tech_exec *x)
{
	char chunk[16 * 1024];
	uint32_t window = ssh_channel_window_size(x->chan);
	size_t want = window < sizeof(chunk) ? window : sizeof(chunk);
	ssize_t n;

	x->stdin_ready = false;
	if (want == 0)
		return;
	n = read(STDIN_FILENO, chunk, want);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		x->stdin_done = true;
		ssh_channel_send_eof(x->chan);
		return;
	}
	if (ssh_channel_write(x->chan, chunk, (uint32_t)n) != (int)n)
		x->stdin_done = true;
}

int tech_exec_run(ssh_session s, char *const *argv, size_t argc)
{
	struct tech_exec x = { .exit_status = -1 };
	struct ssh_channel_callbacks_struct cb = {
		.userdata = &x,
		.channel_data_function = tech_exec_on_data,
		.channel_eof_function = tech_exec_on_eof,
		.channel_close_function = tech_exec_on_close,
		.channel_exit_status_function = tech_exec_on_status,
		.channel_exit_signal_function = tech_exec_on_signal,
	};
	ssh_event ev = NULL;
	char *line = NULL;
	bool callbacks_set = false;
	int rc = TECH_EXIT_SSH;

	line = cmdline_join(argv, argc);
	if (line == NULL) {
		fprintf(stderr, "handoff-tech: the command line is too long\n");
		goto out;
	}
	x.chan = ssh_channel_new(s);
	if (x.chan == NULL || ssh_channel_open_session(x.chan) != SSH_OK) {
		fprintf(stderr, "handoff-tech: the relay refused a session: %s\n", ssh_get_error(s));
		goto out;
	}
	ssh_callbacks_init(&cb);
	if (ssh_set_channel_callbacks(x.chan, &cb) != SSH_OK) {
		fprintf(stderr, "handoff-tech: cannot watch the channel\n");
		goto out;
	}
	callbacks_set = true;
	if (ssh_channel_request_exec(x.chan, line) != SSH_OK) {
		fprintf(stderr, "handoff-tech: the relay refused the command: %s\n", ssh_get_error(s));
		goto out;
	}
	ev = ssh_event_new();
	if (ev == NULL || ssh_event_add_session(ev, s) != SSH_OK) {
		fprintf(stderr, "handoff-tech: out of memory\n");
		goto out;
	}
	/*
	 * Done when the relay closes the channel, or once both EOF and the exit
	 * status are in: nothing can follow those, and a server that never
	 * sends its close must not hang us.
	 */
	while (!x.remote_closed && !(x.remote_eof && x.got_status)) {
		tech_exec_sync_stdin(&x, ev);
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR && !ssh_is_connected(s))
			break;
		if (x.stdin_ready && !x.stdin_done)
			tech_exec_forward_stdin(&x);
	}
	if (x.stdin_polled)
		ssh_event_remove_fd(ev, STDIN_FILENO);
	if (x.got_status) {
		rc = x.exit_status & 0xff;
	} else if (x.signal_name[0] != '\0') {
		fprintf(stderr, "handoff-tech: the remote command was killed by signal %s\n",
			x.signal_name);
	} else if (!ssh_is_connected(s)) {
		fprintf(stderr, "handoff-tech: lost the connection to the relay: %s\n",
			ssh_get_error(s));
	} else {
		fprintf(stderr, "handoff-tech: the relay ended the command without an exit status\n");
	}
out:
	if (ev != NULL) {
		ssh_event_remove_session(ev, s);
		ssh_event_free(ev);
	}
	if (x.chan != NULL) {
		if (callbacks_set)
			ssh_remove_channel_callbacks(x.chan, &cb);
		if (ssh_channel_is_open(x.chan))
			ssh_channel_close(x.chan);
		ssh_channel_free(x.chan);
	}
	free(line);
	return rc;
}
