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
 * The several-relay bench (bench/relays.sh) reads its work from a FILE of
 * lines "HOST:PORT FP CODE", one customer each, so that one process spreads
 * the customers over the relays as the file says:
 *
 *   bench_tool issue HOST:PORT FP KEY N WORD
 *       N tickets with a support code each ("ticket new --invite WORD i"),
 *       through one technician session signed in with KEY; prints
 *       "TICKET CODE" for each.
 *   bench_tool idle-helpers FILE THREADS
 *       each line's customer signs in and holds what an idle helper holds
 *       (the control channel and its forward), THREADS signing in at once;
 *       prints "idle UP of N" (and the first failure) once all have tried,
 *       and holds them until stdin closes.
 *   bench_tool redeem FILE THREADS
 *       each line's code typed in by THREADS customers at once (connect, key
 *       exchange, the code), then hung up; prints how many were accepted and
 *       refused, and redemptions per second from the first connect to the
 *       last answer.
 *
 * Times are from the first byte to the last, so connection set-up and the
 * consent round trip are not counted as throughput.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
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

/*
 * What handoff-helper does before it shares anything: signs in at relay
 * (HOST:PORT) with code, opens the control channel and asks for the
 * forward. 0 with *s and *control set (the caller frees both), or -1 with
 * err filled and nothing left open.
 */
static int bench_helper_login(const char *relay, const char *fp, const char *code, ssh_session *s,
			      ssh_channel *control, char *err, size_t errlen)
{
	char host[256];
	unsigned port;

	*s = NULL;
	*control = NULL;
	if (config_parse_hostport(relay, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "not HOST:PORT: %s", relay);
		return -1;
	}
	*s = sshutil_connect(host, port, "customer", fp, err, errlen);
	if (*s == NULL || sshutil_auth_code(*s, code, err, errlen) != 0)
		goto fail;
	*control = ssh_channel_new(*s);
	if (*control == NULL || ssh_channel_open_session(*control) != SSH_OK ||
	    ssh_channel_request_subsystem(*control, CTL_SUBSYSTEM) != SSH_OK ||
	    ssh_channel_listen_forward(*s, "localhost", 5900, NULL) != SSH_OK) {
		snprintf(err, errlen, "%s", ssh_get_error(*s));
		goto fail;
	}
	return 0;
fail:
	if (*control != NULL)
		ssh_channel_free(*control);
	sshutil_close(*s);
	*s = NULL;
	*control = NULL;
	return -1;
}

static int bench_helper(const char *relay, const char *fp, const char *code, unsigned long long bytes)
{
	char err[512];
	ssh_session s = NULL;
	ssh_channel control = NULL, stream = NULL;
	struct buf in;
	static char chunk[CHUNK];
	int rc = 1;

	buf_init(&in, 2 * CTL_RECORD_MAX);
	if (bench_helper_login(relay, fp, code, &s, &control, err, sizeof(err)) != 0) {
		fprintf(stderr, "helper: %s\n", err);
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

/* A bench file holds at most this many customers: the relays' bench asks for a few thousand. */
#define BENCH_LINES_MAX 100000

struct bench_line {
	char relay[256], fp[SSHUTIL_FP_MAX], code[64];
};

/* The lines "HOST:PORT FP CODE" of path (malloc'd, the caller frees), *n how many; NULL if malformed. */
static struct bench_line *bench_read_lines(const char *path, int *n)
{
	FILE *f = fopen(path, "r");
	struct bench_line *l = NULL;
	char line[512];
	int cap = 0;

	*n = 0;
	if (f == NULL) {
		perror(path);
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (*n == cap) {
			struct bench_line *more;

			if (cap >= BENCH_LINES_MAX)
				goto bad;
			cap = cap ? cap * 2 : 256;
			if ((more = realloc(l, (size_t)cap * sizeof(*l))) == NULL)
				goto bad;
			l = more;
		}
		if (sscanf(line, "%255s %63s %63s", l[*n].relay, l[*n].fp, l[*n].code) != 3)
			goto bad;
		(*n)++;
	}
	fclose(f);
	return l;
bad:
	fprintf(stderr, "%s: line %d is not HOST:PORT FP CODE (or there are more than %d)\n", path, *n + 1,
		BENCH_LINES_MAX);
	fclose(f);
	free(l);
	return NULL;
}

/* One code typed in: 0 accepted, -2 refused (used, wrong, ...), -1 no answer; hangs up after. */
static int bench_redeem_one(const struct bench_line *l, char *err, size_t errlen)
{
	char host[256];
	unsigned port;
	ssh_session s;
	int rc;

	if (config_parse_hostport(l->relay, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "not HOST:PORT: %s", l->relay);
		return -1;
	}
	if ((s = sshutil_connect(host, port, "customer", l->fp, err, errlen)) == NULL)
		return -1;
	rc = sshutil_auth_code(s, l->code, err, errlen);
	sshutil_close(s);
	return rc == 0 || rc == -2 ? rc : -1;
}

/* The customers of a bench file, worked through by threads that each take the next line. */
struct bench_pool {
	pthread_mutex_t lock;
	const struct bench_line *lines;
	int n, next;
	bool redeem;          /* redeem: type the code and hang up; else sign in and hold */
	ssh_session *s;       /* idle-helpers: what line i holds (NULL when it failed) */
	ssh_channel *control;
	int ok, refused, failed;
	char first_err[600];
};

static void *bench_pool_run(void *arg)
{
	struct bench_pool *p = arg;

	for (;;) {
		char err[512] = "";
		int i, rc;

		pthread_mutex_lock(&p->lock);
		i = p->next < p->n ? p->next++ : -1;
		pthread_mutex_unlock(&p->lock);
		if (i < 0)
			return NULL;
		if (p->redeem)
			rc = bench_redeem_one(&p->lines[i], err, sizeof(err));
		else
			rc = bench_helper_login(p->lines[i].relay, p->lines[i].fp, p->lines[i].code, &p->s[i],
						&p->control[i], err, sizeof(err));
		pthread_mutex_lock(&p->lock);
		if (rc == 0)
			p->ok++;
		else if (rc == -2)
			p->refused++;
		else
			p->failed++;
		if (rc != 0 && p->first_err[0] == '\0')
			snprintf(p->first_err, sizeof(p->first_err), "line %d (%s): %s", i + 1, p->lines[i].relay, err);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Runs the pool's lines on threads (1-64) and waits for them; -1 if no thread could start. */
static int bench_pool_work(struct bench_pool *p, int threads)
{
	pthread_t th[64];
	int started = 0;

	if (threads < 1 || threads > 64)
		return -1;
	for (; started < threads; started++)
		if (pthread_create(&th[started], NULL, bench_pool_run, p) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return started > 0 ? 0 : -1;
}

static int bench_idle_helpers(const char *path, int threads)
{
	struct bench_pool p = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct bench_line *lines;
	char line[16];
	int rc = 1;

	if ((lines = bench_read_lines(path, &p.n)) == NULL)
		return 1;
	p.lines = lines;
	p.s = calloc((size_t)p.n + 1, sizeof(*p.s));
	p.control = calloc((size_t)p.n + 1, sizeof(*p.control));
	if (p.s == NULL || p.control == NULL || bench_pool_work(&p, threads) != 0)
		goto out;
	printf("idle %d of %d%s%s\n", p.ok, p.n, p.first_err[0] ? "; first failure: " : "", p.first_err);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL)
		;
	rc = p.ok == p.n ? 0 : 1;
out:
	for (int i = 0; p.s != NULL && p.control != NULL && i < p.n; i++) {
		if (p.control[i] != NULL)
			ssh_channel_free(p.control[i]);
		sshutil_close(p.s[i]);
	}
	free(p.s);
	free(p.control);
	free(lines);
	return rc;
}

static int bench_redeem(const char *path, int threads)
{
	struct bench_pool p = { .lock = PTHREAD_MUTEX_INITIALIZER, .redeem = true };
	struct bench_line *lines;
	double t0, t;

	if ((lines = bench_read_lines(path, &p.n)) == NULL)
		return 1;
	p.lines = lines;
	t0 = now_s();
	if (bench_pool_work(&p, threads) != 0) {
		free(lines);
		return 1;
	}
	t = now_s() - t0;
	printf("accepted %d refused %d failed %d of %d in %.3f s: %.1f/s%s%s\n", p.ok, p.refused, p.failed, p.n, t,
	       (double)p.n / t, p.first_err[0] ? "; first refusal or failure: " : "", p.first_err);
	free(lines);
	return p.failed == 0 ? 0 : 1;
}

/* One relay command on a new channel of s; its stdout (cut at outlen) into out. 0, or -1. */
static int bench_exec(ssh_session s, const char *cmd, char *out, size_t outlen)
{
	ssh_channel ch = ssh_channel_new(s);
	size_t used = 0;
	int n, rc = -1;

	if (ch == NULL || ssh_channel_open_session(ch) != SSH_OK || ssh_channel_request_exec(ch, cmd) != SSH_OK)
		goto out;
	while (used + 1 < outlen && (n = ssh_channel_read(ch, out + used, (uint32_t)(outlen - 1 - used), 0)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	rc = ssh_channel_get_exit_status(ch) == 0 ? 0 : -1;
out:
	if (ch != NULL) {
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	return rc;
}

static int bench_issue(const char *relay, const char *fp, const char *key, int n, const char *word)
{
	char host[256], err[512], cmd[300], out[256], code[64];
	unsigned port;
	ssh_session s;
	long long ticket;
	int rc = 1;

	if (config_parse_hostport(relay, host, sizeof(host), &port) != 0)
		return 2;
	s = sshutil_connect(host, port, "handoff", fp, err, sizeof(err));
	if (s == NULL || sshutil_auth_pubkey(s, key, err, sizeof(err)) != 0) {
		fprintf(stderr, "issue: %s\n", err);
		goto out;
	}
	for (int i = 1; i <= n; i++) {
		snprintf(cmd, sizeof(cmd), "ticket new --invite %s %d", word, i);
		if (bench_exec(s, cmd, out, sizeof(out)) != 0 || sscanf(out, "%lld %63s", &ticket, code) != 2) {
			fprintf(stderr, "issue: '%s' failed after %d tickets: %s\n", cmd, i - 1, ssh_get_error(s));
			goto out;
		}
		printf("%lld %s\n", ticket, code);
	}
	rc = 0;
out:
	sshutil_close(s);
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
	if (argc == 7 && strcmp(argv[1], "issue") == 0)
		return bench_issue(argv[2], argv[3], argv[4], atoi(argv[5]), argv[6]);
	if (argc == 4 && strcmp(argv[1], "idle-helpers") == 0)
		return bench_idle_helpers(argv[2], atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "redeem") == 0)
		return bench_redeem(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: bench_tool sink HOST PORT BYTES | source PORT BYTES | helper HOST:PORT FP CODE BYTES | "
			"idle HOST:PORT FP KEY N | issue HOST:PORT FP KEY N WORD | idle-helpers FILE THREADS | "
			"redeem FILE THREADS\n");
	return 2;
}
