/*
 * tunnel.c: see tunnel.h.
 *
 * The thread's loop is the one pattern that kept big transfers flowing in
 * our experiments with libssh 0.10: poll, then let the pump move whatever
 * the windows allow, then re-register the descriptor with exactly the
 * interest the pump has now. The wake pipe is the only way in from the
 * main thread, so no libssh object is ever touched by two threads at once.
 */
#include "tunnel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TECH_TUNNEL_PORT_CONTROL 5900
#define TECH_TUNNEL_PORT_VIEW 5901

/* Short polls after the close, so it is sent rather than left in libssh's buffer. */
#define TECH_TUNNEL_FLUSH_POLLS 3

/* On the pump thread, inside libssh: only keeps the words (cleaned: they go to a terminal). */
static void tech_tunnel_on_exit_signal(ssh_session session, ssh_channel channel, const char *signal, int core,
				       const char *errmsg, const char *lang, void *userdata)
{
	struct tech_tunnel *t = userdata;
	size_t n = 0;

	(void)session;
	(void)channel;
	(void)signal;
	(void)core;
	(void)lang;
	for (const char *p = errmsg != NULL ? errmsg : ""; *p != '\0' && n < sizeof(t->end_reason) - 1; p++)
		t->end_reason[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	t->end_reason[n] = '\0';
}

static int tech_tunnel_on_wake(socket_t fd, int revents, void *userdata)
{
	bool *stop = userdata;
	char drain[16];

	(void)revents;
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	*stop = true;
	return 0;
}

/* Blocks until the main thread writes to the wake pipe. */
static void tech_tunnel_wait_wake(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char drain[16];

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	while (read(fd, drain, sizeof(drain)) > 0)
		;
}

static void *tech_tunnel_main(void *arg)
{
	struct tech_tunnel *t = arg;
	ssh_event ev = NULL;
	bool stop = false;
	bool wake_added = false;
	int r = 0;

	ssh_set_blocking(t->session, 0);
	ev = ssh_event_new();
	if (ev == NULL || ssh_event_add_session(ev, t->session) != SSH_OK) {
		r = -1;
		goto out;
	}
	if (ssh_event_add_fd(ev, t->wake[0], POLLIN, tech_tunnel_on_wake, &stop) != SSH_OK) {
		r = -1;
		goto out;
	}
	wake_added = true;
	for (;;) {
		/* The pump may already have work before the first poll (libvncclient spoke). */
		r = pump_run(&t->pump);
		atomic_store_explicit(&t->rx_bytes, t->pump.bytes_to_fd, memory_order_relaxed);
		if (r != 0 || stop)
			break;
		pump_sync_event(&t->pump, ev);
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR && !ssh_is_connected(t->session)) {
			r = 1;
			break;
		}
	}
out:
	pump_sync_event(&t->pump, NULL);
	/*
	 * When the relay ends the stream, its last words are often an RFB
	 * failure reason that libvncclient has not read yet, and it will first
	 * write its own version string. Closing our end would make that write
	 * fail (EPIPE) and lose the reason, so we only shut down our sending
	 * side: libvncclient reads to the end, then sees EOF. The descriptor is
	 * closed once the main thread asks us to stop.
	 */
	if (!stop && t->pump.fd >= 0)
		shutdown(t->pump.fd, SHUT_WR);
	if (ssh_channel_is_open(t->chan)) {
		ssh_channel_send_eof(t->chan);
		ssh_channel_close(t->chan);
	}
	if (ev != NULL) {
		/* Give the EOF and close a chance to leave before the session is torn down. */
		for (int i = 0; i < TECH_TUNNEL_FLUSH_POLLS && ssh_is_connected(t->session); i++)
			ssh_event_dopoll(ev, 10);
		if (wake_added)
			ssh_event_remove_fd(ev, t->wake[0]);
		ssh_event_remove_session(ev, t->session);
		ssh_event_free(ev);
	}
	if (!stop)
		tech_tunnel_wait_wake(t->wake[0]);
	pump_close(&t->pump);
	t->result = stop ? 0 : r;
	return NULL;
}

int tech_tunnel_open(struct tech_tunnel *t, ssh_session s, unsigned long ticket, bool view_only, int *rfb_fd)
{
	char host[32];
	int sv[2] = { -1, -1 };
	sigset_t all, old;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	t->session = s;
	t->wake[0] = t->wake[1] = -1;
	t->pump.fd = -1;
	*rfb_fd = -1;
	snprintf(host, sizeof(host), "ticket-%lu", ticket);
	t->chan = ssh_channel_new(s);
	if (t->chan == NULL) {
		fprintf(stderr, "handoff-tech: out of memory\n");
		goto out;
	}
	t->cb = (struct ssh_channel_callbacks_struct){ .userdata = t,
						       .channel_exit_signal_function = tech_tunnel_on_exit_signal };
	ssh_callbacks_init(&t->cb);
	ssh_set_channel_callbacks(t->chan, &t->cb);
	if (ssh_channel_open_forward(t->chan, host, view_only ? TECH_TUNNEL_PORT_VIEW : TECH_TUNNEL_PORT_CONTROL,
				     "127.0.0.1", 0) != SSH_OK) {
		rc = ssh_is_connected(s) ? TECH_TUNNEL_REFUSED : -1;
		if (rc == -1)
			fprintf(stderr, "handoff-tech: lost the connection to the relay: %s\n",
				ssh_get_error(s));
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe2(t->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		fprintf(stderr, "handoff-tech: cannot create a socketpair: %s\n", strerror(errno));
		goto out;
	}
	pump_init(&t->pump, t->chan, sv[0]);
	sv[0] = -1;
	/* Signals are the main thread's business; a stray EINTR in poll is not. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = pthread_create(&t->thread, NULL, tech_tunnel_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno != 0) {
		fprintf(stderr, "handoff-tech: cannot start the pump thread: %s\n", strerror(errno));
		goto out;
	}
	t->running = true;
	*rfb_fd = sv[1];
	sv[1] = -1;
	rc = 0;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return rc;
}

int tech_tunnel_close(struct tech_tunnel *t)
{
	if (t->running) {
		char one = 1;

		/* The pipe is non-blocking and one byte is enough; a full pipe already wakes. */
		if (write(t->wake[1], &one, 1) < 0 && errno != EAGAIN)
			fprintf(stderr, "handoff-tech: cannot wake the pump thread: %s\n", strerror(errno));
		pthread_join(t->thread, NULL);
		t->running = false;
	} else {
		pump_close(&t->pump);
	}
	for (int i = 0; i < 2; i++) {
		if (t->wake[i] >= 0)
			close(t->wake[i]);
		t->wake[i] = -1;
	}
	if (t->session != NULL)
		ssh_set_blocking(t->session, 1);
	if (t->chan != NULL) {
		ssh_remove_channel_callbacks(t->chan, &t->cb);
		ssh_channel_free(t->chan);
		t->chan = NULL;
		t->pump.chan = NULL;  /* a second close must not touch it */
	}
	return t->result;
}
