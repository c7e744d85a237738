/*
 * bench_tool: the byte pumps the relay benchmarks need, in one program.
 *
 *   bench_tool sink HOST PORT BYTES       connect, read BYTES, print MB/s and
 *                                         the longest gap between two reads
 *                                         (how long a viewer's frame would
 *                                         have waited, e.g. behind an export)
 *   bench_tool source PORT BYTES          accept one TCP client, send BYTES
 *   bench_tool helper HOST:PORT FP CODE BYTES
 *       a stand-in for handoff-helper that sends raw bytes instead of a
 *       screen: logs in with the code, opens the control channel, asks for
 *       the forward, allows the first technician who asks, and writes BYTES
 *       into the forwarded channel. It measures the relay, not the helper.
 *
 *   bench_tool idle HOST:PORT FP KEY N
 *       N technician sessions signed in with KEY and left idle; prints
 *       "idle N" once all are in, and holds them until stdin closes.
 *
 * Times are from the first byte to the last, so connection set-up and the
 * consent round trip are not counted as throughput.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "buf.h"
#include "config.h"
#include "ctl.h"
#include "sshutil.h"

#define CHUNK (64 * 1024)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_sink(const char *host, int port, unsigned long long bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static char chunk[CHUNK];
	unsigned long long got = 0;
	double first = 0, last = 0, prev = 0, gap = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, host, &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("sink: connect");
		return 1;
	}
	while (got < bytes) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n <= 0)
			break;
		last = now_s();
		if (got == 0)
			first = last;
		else if (last - prev > gap)
			gap = last - prev;
		prev = last;
		got += (unsigned long long)n;
	}
	last = now_s();
	close(fd);
	if (got < bytes) {
		fprintf(stderr, "sink: got %llu of %llu bytes\n", got, bytes);
		return 1;
	}
	printf("%.1f MB/s (%llu bytes in %.3f s, longest gap %.0f ms)\n", (double)got / 1e6 / (last - first), got,
	       last - first, gap * 1000);
	return 0;
}

static int bench_source(int port, unsigned long long bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	static char chunk[CHUNK];
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0), fd;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1) != 0) {
		perror("source: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0)
		return 1;
	memset(chunk, 'h', sizeof(chunk));
	for (unsigned long long sent = 0; sent < bytes;) {
		size_t n = bytes - sent < sizeof(chunk) ? (size_t)(bytes - sent) : sizeof(chunk);
		ssize_t w = write(fd, chunk, n);

		if (w <= 0)
			return 1;
		sent += (unsigned long long)w;
	}
	shutdown(fd, SHUT_WR);
	/* Wait for the reader to finish so no byte is lost in a reset. */
	while (read(fd, chunk, sizeof(chunk)) > 0)
		;
	close(fd);
	return 0;
}

/* Accepts the relay's forwarded-tcpip open (the technician's stream). */
static int bench_on_message(ssh_session session, ssh_message msg, void *userdata)
{
	ssh_channel *stream = userdata;

	(void)session;
	if (ssh_message_type(msg) == SSH_REQUEST_CHANNEL_OPEN &&
	    ssh_message_subtype(msg) == SSH_CHANNEL_FORWARDED_TCPIP && *stream == NULL) {
		*stream = ssh_message_channel_request_open_reply_accept(msg);
		return 0;
	}
	return 1;
}

static int bench_helper(const char *relay, const char *fp, const char *code, unsigned long long bytes)
{
	char host[256], err[512];
	unsigned port;
	ssh_session s = NULL;
	ssh_channel control = NULL, stream = NULL;
	struct buf in;
	static char chunk[CHUNK];
	int rc = 1;

	buf_init(&in, 2 * CTL_RECORD_MAX);
	if (config_parse_hostport(relay, host, sizeof(host), &port) != 0)
		return 2;
	s = sshutil_connect(host, port, "customer", fp, err, sizeof(err));
	if (s == NULL || sshutil_auth_code(s, code, err, sizeof(err)) != 0) {
		fprintf(stderr, "helper: %s\n", err);
		goto out;
	}
	control = ssh_channel_new(s);
	if (control == NULL || ssh_channel_open_session(control) != SSH_OK ||
	    ssh_channel_request_subsystem(control, CTL_SUBSYSTEM) != SSH_OK ||
	    ssh_channel_listen_forward(s, "localhost", 5900, NULL) != SSH_OK) {
		fprintf(stderr, "helper: %s\n", ssh_get_error(s));
		goto out;
	}
	printf("live\n");
	fflush(stdout);
	for (;;) {
		struct ctl_record rec;
		uint8_t *dst;
		int n, e;

		if ((e = ctl_decode(&in, &rec)) == 1) {
			if (rec.type == CTL_CONSENT_ASK) {
				struct ctl_record reply = { .type = CTL_CONSENT_REPLY, .viewer_id = rec.viewer_id,
							    .caps = CTL_CAP_VIEW | CTL_CAP_CONTROL };
				struct buf out;

				buf_init(&out, CTL_RECORD_MAX);
				ctl_encode(&out, &reply);
				ssh_channel_write(control, buf_ptr(&out), (uint32_t)buf_len(&out));
				buf_free(&out);
				ctl_record_free(&rec);
				break;
			}
			ctl_record_free(&rec);
			continue;
		}
		if (e < 0 || buf_reserve(&in, 4096, &dst) != 0)
			goto out;
		n = ssh_channel_read(control, dst, 4096, 0);
		if (n <= 0)
			goto out;
		buf_commit(&in, (size_t)n);
	}
	ssh_set_message_callback(s, bench_on_message, &stream);
	/* Reading the control channel drives the session until the open arrives. */
	for (int i = 0; i < 300 && stream == NULL; i++)
		if (ssh_channel_read_timeout(control, chunk, sizeof(chunk), 0, 100) < 0)
			break;
	if (stream == NULL) {
		fprintf(stderr, "helper: no forwarded channel came\n");
		goto out;
	}
	memset(chunk, 'r', sizeof(chunk));
	for (unsigned long long sent = 0; sent < bytes;) {
		uint32_t n = bytes - sent < sizeof(chunk) ? (uint32_t)(bytes - sent) : sizeof(chunk);
		int w = ssh_channel_write(stream, chunk, n);

		if (w <= 0)
			goto out;
		sent += (unsigned long long)w;
	}
	/* Keep the channel until the far end has read everything and closed. */
	while (ssh_channel_read(stream, chunk, sizeof(chunk), 0) > 0)
		;
	rc = 0;
out:
	if (stream != NULL)
		ssh_channel_free(stream);
	if (control != NULL)
		ssh_channel_free(control);
	sshutil_close(s);
	buf_free(&in);
	return rc;
}

static int bench_idle(const char *relay, const char *fp, const char *key, int n)
{
	char host[256], err[512], line[16];
	unsigned port;
	ssh_session *s = calloc((size_t)n, sizeof(*s));
	int up = 0, rc = 1;

	if (s == NULL || config_parse_hostport(relay, host, sizeof(host), &port) != 0)
		goto out;
	for (; up < n; up++) {
		s[up] = sshutil_connect(host, port, "handoff", fp, err, sizeof(err));
		if (s[up] == NULL || sshutil_auth_pubkey(s[up], key, err, sizeof(err)) != 0) {
			fprintf(stderr, "idle: session %d: %s\n", up + 1, err);
			if (s[up] != NULL)
				sshutil_close(s[up]);
			goto out;
		}
	}
	printf("idle %d\n", up);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL)
		;
	rc = 0;
out:
	for (int i = 0; i < up; i++)
		sshutil_close(s[i]);
	free(s);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "sink") == 0)
		return bench_sink(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "source") == 0)
		return bench_source(atoi(argv[2]), strtoull(argv[3], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "helper") == 0)
		return bench_helper(argv[2], argv[3], argv[4], strtoull(argv[5], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "idle") == 0)
		return bench_idle(argv[2], argv[3], argv[4], atoi(argv[5]));
	fprintf(stderr, "usage: bench_tool sink HOST PORT BYTES | source PORT BYTES | helper HOST:PORT FP CODE BYTES | idle HOST:PORT FP KEY N\n");
	return 2;
}
