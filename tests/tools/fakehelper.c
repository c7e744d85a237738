/*
 * fakehelper: a stand-in for the customer's handoff-helper that shares a
 * local TCP service instead of a screen, for tests of the technician's
 * viewer against other RFB servers (a hostile one, or x11vnc).
 *
 *   fakehelper HOST:PORT FINGERPRINT CODE TARGET_PORT
 *
 * Logs in with the support code like the helper, opens the control
 * channel, asks for the remote forward, consents to every technician with
 * view and control, and joins every forwarded channel the relay opens to
 * a fresh TCP connection to 127.0.0.1:TARGET_PORT, bytes both ways
 * (protocol/pump.c, as the helper does). Prints "live" once the forward is
 * up and "viewer N" per consent. Runs until SIGTERM or the relay ends the
 * session; exits 0 then.
 *
 * FAKEHELPER_SAY=FILE: once live, sends FILE's content (at most
 * CTL_TEXT_MAX bytes) as one chat line, as a hostile customer would: raw,
 * control characters and newlines included, unlike the real helper.
 *
 * FAKEHELPER_FLOOD=N: once live, sends N chat lines ("flood 1" ...) as fast
 * as the channel takes them, then says the customer ended the session (so
 * that the relay's log shows when it has read them all: the stream keeps
 * its order) and prints "flooded N": a customer's helper trying to fill the
 * audit chain (issue 14, item 4).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "buf.h"
#include "config.h"
#include "ctl.h"
#include "pump.h"
#include "sshutil.h"

#define FAKE_STREAMS 8

struct fake_stream {
	ssh_channel chan;
	struct pump *pump;
};

struct fake {
	ssh_session s;
	ssh_channel control;
	ssh_event ev;
	unsigned target;
	ssh_channel incoming;  /* opened by the relay, not yet joined */
	struct fake_stream streams[FAKE_STREAMS];
};

static volatile sig_atomic_t fake_stop;

static void fake_on_signal(int sig)
{
	(void)sig;
	fake_stop = 1;
}

static int fake_on_message(ssh_session session, ssh_message msg, void *userdata)
{
	struct fake *f = userdata;

	(void)session;
	if (ssh_message_type(msg) == SSH_REQUEST_CHANNEL_OPEN &&
	    ssh_message_subtype(msg) == SSH_CHANNEL_FORWARDED_TCPIP && f->incoming == NULL) {
		f->incoming = ssh_message_channel_request_open_reply_accept(msg);
		return 0;
	}
	return 1;
}

/* FAKEHELPER_SAY: FILE's content as one CTL_CHAT. 0 or -1. */
static int fake_say(struct fake *f, const char *path)
{
	char text[CTL_TEXT_MAX + 1], who[] = "customer";
	struct ctl_record r = { .type = CTL_CHAT, .name = who, .tier = who, .text = text };
	FILE *in = fopen(path, "rb");
	struct buf out;
	size_t n;
	int rc = -1;

	if (in == NULL)
		return -1;
	n = fread(text, 1, CTL_TEXT_MAX, in);
	fclose(in);
	text[n] = '\0';
	buf_init(&out, CTL_RECORD_MAX);
	if (ctl_encode(&out, &r) == 0 &&
	    ssh_channel_write(f->control, buf_ptr(&out), (uint32_t)buf_len(&out)) == (int)buf_len(&out))
		rc = 0;
	buf_free(&out);
	return rc;
}

/* FAKEHELPER_FLOOD: n chat lines back to back, blocking so that none is lost on our side. 0 or -1. */
static int fake_flood(struct fake *f, long n)
{
	char text[32], who[] = "customer";
	struct ctl_record r = { .type = CTL_CHAT, .name = who, .tier = who, .text = text };
	struct buf out;
	int rc = 0;

	buf_init(&out, CTL_RECORD_MAX);
	ssh_set_blocking(f->s, 1);
	for (long i = 1; i <= n + 1 && rc == 0; i++) {
		snprintf(text, sizeof(text), "flood %ld", i);
		if (i == n + 1)
			r = (struct ctl_record){ .type = CTL_SHARING, .flags = CTL_SHARING_ENDED };
		buf_reset(&out);
		if (ctl_encode(&out, &r) != 0 ||
		    ssh_channel_write(f->control, buf_ptr(&out), (uint32_t)buf_len(&out)) != (int)buf_len(&out))
			rc = -1;
	}
	ssh_set_blocking(f->s, 0);
	buf_free(&out);
	return rc;
}

static int fake_connect_target(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void fake_join(struct fake *f)
{
	ssh_channel chan = f->incoming;
	int fd;

	f->incoming = NULL;
	fd = fake_connect_target(f->target);
	for (int i = 0; fd >= 0 && i < FAKE_STREAMS; i++) {
		if (f->streams[i].chan != NULL)
			continue;
		f->streams[i].pump = calloc(1, sizeof(struct pump));
		if (f->streams[i].pump == NULL)
			break;
		f->streams[i].chan = chan;
		pump_init(f->streams[i].pump, chan, fd);
		return;
	}
	fprintf(stderr, "fakehelper: cannot join a stream (%s)\n", fd < 0 ? strerror(errno) : "too many");
	if (fd >= 0)
		close(fd);
	ssh_channel_close(chan);
	ssh_channel_free(chan);
}

static void fake_stream_end(struct fake_stream *st)
{
	pump_sync_event(st->pump, NULL);
	pump_close(st->pump);
	free(st->pump);
	ssh_channel_free(st->chan);
	st->pump = NULL;
	st->chan = NULL;
}

/* Consents to every ask. 0, or -1 when the control channel ended. */
static int fake_control(struct fake *f, struct buf *in)
{
	for (;;) {
		struct ctl_record rec;
		uint8_t *dst;
		int n, e = ctl_decode(in, &rec);

		if (e == 1) {
			if (rec.type == CTL_CONSENT_ASK) {
				struct ctl_record reply = { .type = CTL_CONSENT_REPLY, .viewer_id = rec.viewer_id,
							    .caps = CTL_CAP_VIEW | CTL_CAP_CONTROL };
				struct buf out;

				buf_init(&out, CTL_RECORD_MAX);
				if (ctl_encode(&out, &reply) == 0)
					ssh_channel_write(f->control, buf_ptr(&out), (uint32_t)buf_len(&out));
				buf_free(&out);
				printf("viewer %u\n", rec.viewer_id);
				fflush(stdout);
			}
			ctl_record_free(&rec);
			continue;
		}
		if (e < 0 || buf_reserve(in, 4096, &dst) != 0)
			return -1;
		n = ssh_channel_read_nonblocking(f->control, dst, 4096, 0);
		if (n < 0 || (n == 0 && ssh_channel_is_eof(f->control)))
			return -1;
		buf_commit(in, (size_t)n);
		if (n == 0)
			return 0;
	}
}

int main(int argc, char **argv)
{
	struct fake f = { 0 };
	struct sigaction sa = { .sa_handler = fake_on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	char host[256], err[512];
	unsigned port;
	struct buf in;
	int rc = 1;

	if (argc != 5 || config_parse_hostport(argv[1], host, sizeof(host), &port) != 0) {
		fprintf(stderr, "usage: fakehelper HOST:PORT FINGERPRINT CODE TARGET_PORT\n");
		return 2;
	}
	f.target = (unsigned)atoi(argv[4]);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	buf_init(&in, 2 * CTL_RECORD_MAX);
	f.s = sshutil_connect(host, port, "customer", argv[2], err, sizeof(err));
	if (f.s == NULL || sshutil_auth_code(f.s, argv[3], err, sizeof(err)) != 0) {
		fprintf(stderr, "fakehelper: %s\n", err);
		goto out;
	}
	f.control = ssh_channel_new(f.s);
	ssh_set_message_callback(f.s, fake_on_message, &f);
	if (f.control == NULL || ssh_channel_open_session(f.control) != SSH_OK ||
	    ssh_channel_request_subsystem(f.control, CTL_SUBSYSTEM) != SSH_OK ||
	    ssh_channel_listen_forward(f.s, "localhost", 5900, NULL) != SSH_OK) {
		fprintf(stderr, "fakehelper: %s\n", ssh_get_error(f.s));
		goto out;
	}
	ssh_set_blocking(f.s, 0);
	f.ev = ssh_event_new();
	if (f.ev == NULL || ssh_event_add_session(f.ev, f.s) != SSH_OK)
		goto out;
	printf("live\n");
	fflush(stdout);
	if (getenv("FAKEHELPER_SAY") != NULL) {
		if (fake_say(&f, getenv("FAKEHELPER_SAY")) != 0) {
			fprintf(stderr, "fakehelper: cannot say %s\n", getenv("FAKEHELPER_SAY"));
			goto out;
		}
		printf("said\n");
		fflush(stdout);
	}
	if (getenv("FAKEHELPER_FLOOD") != NULL) {
		long n = strtol(getenv("FAKEHELPER_FLOOD"), NULL, 10);

		if (n <= 0 || fake_flood(&f, n) != 0) {
			fprintf(stderr, "fakehelper: the flood of %s lines failed\n", getenv("FAKEHELPER_FLOOD"));
			goto out;
		}
		printf("flooded %ld\n", n);
		fflush(stdout);
	}
	while (!fake_stop) {
		if (ssh_event_dopoll(f.ev, 100) == SSH_ERROR && !ssh_is_connected(f.s))
			break;
		if (fake_control(&f, &in) != 0)
			break;
		if (f.incoming != NULL)
			fake_join(&f);
		for (int i = 0; i < FAKE_STREAMS; i++) {
			if (f.streams[i].pump == NULL)
				continue;
			if (pump_run(f.streams[i].pump) != 0)
				fake_stream_end(&f.streams[i]);
			else
				pump_sync_event(f.streams[i].pump, f.ev);
		}
	}
	rc = 0;
out:
	for (int i = 0; i < FAKE_STREAMS; i++)
		if (f.streams[i].pump != NULL)
			fake_stream_end(&f.streams[i]);
	if (f.ev != NULL) {
		ssh_event_remove_session(f.ev, f.s);
		ssh_event_free(f.ev);
	}
	if (f.control != NULL)
		ssh_channel_free(f.control);
	sshutil_close(f.s);
	buf_free(&in);
	return rc;
}
