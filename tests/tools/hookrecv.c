/*
 * hookrecv: a webhook receiver for the tests, HTTPS with OpenSSL, checking
 * every delivery with the verification function we ship (hooksig.h).
 *
 *   hookrecv --port P --cert PEM --key PEM --secret-file F --out DIR [--mode-file F]
 *       serves 127.0.0.1:P. Each request: one line in DIR/log,
 *         "ok seq=N ticket=T kind=K attempt=A id=ID" or "bad WHY ...",
 *       and an accepted body in DIR/body-N.json (its signature in
 *       body-N.sig). The mode file, read at every request, says how to
 *       answer: ok (default) 200, slow (200 after a second, as a
 *       busy desk answers: long enough for several relays to look at
 *       one outbox during it), 500, or stall (no answer until the
 *       client gives up).
 *
 * A process per connection (the relay keeps several open), each dying
 * with the receiver. The request parser is a test's, bounded, and trusts
 * only our relay's JSON layout for the seq/ticket/kind it logs; the
 * signature check is the real one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "hooksig.h"

#define HEAD_MAX 16384
#define BODY_MAX (16 * 1024 * 1024)

static unsigned char secret[512];
static size_t secret_len;

static int read_file(const char *path, unsigned char *out, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	*len = fread(out, 1, cap, f);
	fclose(f);
	return 0;
}

static int load_secret(const char *path)
{
	if (read_file(path, secret, sizeof(secret), &secret_len) != 0)
		return -1;
	if (secret_len > 0 && secret[secret_len - 1] == '\n')
		secret_len--;
	return 0;
}

/* A header's value in head (NUL-terminated, lines ending \r\n), or NULL. */
static const char *header(const char *head, const char *name, size_t *len)
{
	size_t n = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *end;

			while (*v == ' ')
				v++;
			end = strstr(v, "\r\n");
			*len = end ? (size_t)(end - v) : strlen(v);
			return v;
		}
	}
	return NULL;
}

/* A number after "key" in our relay's compact JSON. */
static long long json_int(const char *body, const char *key)
{
	const char *p = strstr(body, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static void json_kind(const char *body, char *out, size_t outlen)
{
	const char *p = strstr(body, "\"kind\":\"");
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 8;
	while (p[n] != '\0' && p[n] != '"' && n + 1 < outlen)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static char mode_path[4096];

static void mode(char *out, size_t outlen)
{
	FILE *f = mode_path[0] ? fopen(mode_path, "r") : NULL;

	snprintf(out, outlen, "ok");
	if (f != NULL) {
		if (fgets(out, (int)outlen, f) == NULL)
			snprintf(out, outlen, "ok");
		out[strcspn(out, "\r\n")] = '\0';
		fclose(f);
	}
}

static int ssl_read_all(SSL *ssl, char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		int r = SSL_read(ssl, p + got, (int)(n - got));

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void answer(SSL *ssl, int status, const char *text)
{
	char out[512];
	int n = snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
			 status, status == 200 ? "OK" : "Refused", strlen(text), text);

	SSL_write(ssl, out, n);
}

/* One request on ssl: 0 to keep the connection, -1 to close it. */
static int serve_one(SSL *ssl, int fd, const char *dir, FILE *log)
{
	static char head[HEAD_MAX + 1];
	char *body = NULL, kind[64], m[32], why[256], idv[160] = "", attempt[16] = "";
	size_t used = 0, len = 0, vlen;
	const char *v, *end = NULL;
	long long clen;
	int rc = -1;

	while (end == NULL) {
		int r;

		if (used == HEAD_MAX)
			return -1;
		r = SSL_read(ssl, head + used, 1);
		if (r <= 0)
			return -1;
		used++;
		head[used] = '\0';
		if (used >= 4 && memcmp(head + used - 4, "\r\n\r\n", 4) == 0)
			end = head + used;
	}
	v = header(head, "Content-Length", &vlen);
	clen = v ? strtoll(v, NULL, 10) : -1;
	if (clen < 0 || clen > BODY_MAX)
		return -1;
	len = (size_t)clen;
	body = malloc(len + 1);
	if (body == NULL || ssl_read_all(ssl, body, len) != 0)
		goto out;
	body[len] = '\0';
	mode(m, sizeof(m));
	if (strcmp(m, "stall") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		/* No answer: wait until the client gives up (or 60 s), as a hung receiver would. */
		poll(&p, 1, 60000);
		goto out;
	}
	if (strcmp(m, "slow") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, 1000);
	}
	if ((v = header(head, "Handoff-Event-Id", &vlen)) != NULL)
		snprintf(idv, sizeof(idv), "%.*s", (int)vlen, v);
	if ((v = header(head, "Handoff-Delivery-Attempt", &vlen)) != NULL)
		snprintf(attempt, sizeof(attempt), "%.*s", (int)vlen, v);
	json_kind(body, kind, sizeof(kind));
	v = header(head, "Handoff-Signature", &vlen);
	if (v == NULL || hooksig_verify(secret, secret_len, v, vlen, body, len, time(NULL), HOOKSIG_WINDOW_DEFAULT, NULL,
					why, sizeof(why)) != 0) {
		if (v == NULL)
			snprintf(why, sizeof(why), "no Handoff-Signature");
		fprintf(log, "bad %s id=%s\n", why, idv);
		fflush(log);
		answer(ssl, 401, "bad signature");
		rc = 0;
		goto out;
	}
	if (strcmp(m, "500") == 0) {
		fprintf(log, "refused-500 seq=%lld id=%s\n", json_int(body, "\"seq\":"), idv);
		fflush(log);
		answer(ssl, 500, "internal error (as told)");
		rc = 0;
		goto out;
	}
	{
		char path[4200];
		FILE *f;

		snprintf(path, sizeof(path), "%s/body-%lld.json", dir, json_int(body, "\"seq\":"));
		f = fopen(path, "wb");
		if (f != NULL) {
			fwrite(body, 1, len, f);
			fclose(f);
		}
		/* The signature beside it, for the test's forgeries and replays. */
		snprintf(path, sizeof(path), "%s/body-%lld.sig", dir, json_int(body, "\"seq\":"));
		f = fopen(path, "wb");
		if (f != NULL) {
			fprintf(f, "%.*s\n", (int)vlen, v);
			fclose(f);
		}
	}
	fprintf(log, "ok seq=%lld ticket=%lld kind=%s attempt=%s id=%s\n", json_int(body, "\"seq\":"),
		json_int(body, "\"ticket\":{\"id\":"), kind, attempt, idv);
	fflush(log);
	answer(ssl, 200, "ok");
	rc = 0;
out:
	free(body);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *dir = NULL;
	int port = 0, lfd;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char logpath[4200];
	SSL_CTX *ctx;
	FILE *log;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--port") == 0)
			port = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--cert") == 0)
			cert = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--key") == 0)
			key = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
			dir = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--mode-file") == 0)
			snprintf(mode_path, sizeof(mode_path), "%s", argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--secret-file") == 0) {
			if (load_secret(argv[++i]) != 0) {
				fprintf(stderr, "hookrecv: cannot read %s\n", argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "hookrecv: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (secret_len == 0) {
		fprintf(stderr, "hookrecv: --secret-file is needed\n");
		return 2;
	}
	if (port <= 0 || cert == NULL || key == NULL || dir == NULL) {
		fprintf(stderr, "usage: hookrecv --port P --cert PEM --key PEM --secret-file F --out DIR [--mode-file F]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	log = fopen(logpath, "a");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (log == NULL || lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 16) != 0) {
		fprintf(stderr, "hookrecv: cannot listen on %d: %s\n", port, strerror(errno));
		return 2;
	}
	printf("listening on 127.0.0.1:%d\n", port);
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		struct timeval tv = { .tv_sec = 20 };
		SSL *ssl;

		pid_t pid;

		if (fd < 0)
			continue;
		/* A process per connection: the relay holds several at once, and keeps them alive. */
		pid = fork();
		if (pid != 0) {
			close(fd);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			continue;
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(lfd);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1)
			while (serve_one(ssl, fd, dir, log) == 0)
				;
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
		_exit(0);
	}
}
