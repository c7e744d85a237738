/*
 * hostile: the attacker's side of the relay's pre-authentication tests,
 * from chosen loopback source addresses (127.0.0.0/8 is all local on
 * Linux, so each address is a different "source" to the relay).
 *
 *   hostile code HOST PORT SRC CODE
 *       one SSH connection from SRC that answers the keyboard-interactive
 *       prompt with CODE; prints "accepted" (exit 0) or "refused" (exit 1).
 *       The relay's host key is not checked: this is the attacker.
 *   hostile flood HOST PORT SECONDS COUNT SRC...
 *       holds COUNT connections, spread over the SRC addresses, for
 *       SECONDS: a fifth each stay silent, send only a banner, send a
 *       banner and half a packet, trickle a banner one byte a second, or
 *       finish the key exchange (libssh) and then never authenticate. Any
 *       the relay drops is opened again at once. Prints
 *       "flood: COUNT open" once COUNT were opened, and at the end how
 *       many were opened and dropped in all.
 *   hostile flood-rate HOST PORT SECONDS COUNT RATE SRC...
 *       the same, re-opening at most RATE connections a second (the first
 *       COUNT included), as a botnet with that much to spend would.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/libssh.h>

static int connect_from(const char *src, const char *host, int port, int nonblock)
{
	struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -1;
	if (inet_pton(AF_INET, src, &from.sin_addr) != 1 || inet_pton(AF_INET, host, &to.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_code(const char *host, int port, const char *src, const char *code)
{
	ssh_session s = ssh_new();
	int fd = connect_from(src, host, port, 0), rc, verdict = 1;
	long timeout = 20;

	if (s == NULL || fd < 0) {
		fprintf(stderr, "hostile: cannot connect from %s\n", src);
		ssh_free(s);
		return 2;
	}
	ssh_options_set(s, SSH_OPTIONS_FD, &fd);
	ssh_options_set(s, SSH_OPTIONS_HOST, host);
	ssh_options_set(s, SSH_OPTIONS_USER, "customer");
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_connect(s) != SSH_OK) {
		fprintf(stderr, "hostile: %s\n", ssh_get_error(s));
		ssh_free(s);
		return 2;
	}
	rc = ssh_userauth_kbdint(s, NULL, NULL);
	for (int round = 0; rc == SSH_AUTH_INFO && round < 3; round++) {
		if (ssh_userauth_kbdint_getnprompts(s) == 1)
			ssh_userauth_kbdint_setanswer(s, 0, code);
		rc = ssh_userauth_kbdint(s, NULL, NULL);
	}
	if (rc == SSH_AUTH_SUCCESS)
		verdict = 0;
	printf("%s\n", verdict == 0 ? "accepted" : "refused");
	ssh_disconnect(s);
	ssh_free(s);
	return verdict;
}

enum { FLOOD_SILENT, FLOOD_BANNER, FLOOD_HALF_PACKET, FLOOD_TRICKLE, FLOOD_KEXED, FLOOD_MODES };

struct flood_conn {
	int fd;
	int mode;
	ssh_session ssh;      /* FLOOD_KEXED: the session whose key exchange is done */
	const char *src;
	size_t sent;          /* trickle: banner bytes sent */
	time_t last_sent;
};

static const char flood_banner[] = "SSH-2.0-hostile_flood\r\n";

/* A connection that completes the key exchange and then sits there, as far as SSH goes before a login. */
static int flood_open_kexed(struct flood_conn *c, const char *host, int port)
{
	long timeout = 5;
	int fd = connect_from(c->src, host, port, 0);

	if (fd < 0)
		return -1;
	c->ssh = ssh_new();
	if (c->ssh == NULL) {
		close(fd);
		return -1;
	}
	ssh_options_set(c->ssh, SSH_OPTIONS_FD, &fd);
	ssh_options_set(c->ssh, SSH_OPTIONS_HOST, host);
	ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	if (ssh_connect(c->ssh) != SSH_OK) {
		ssh_free(c->ssh);  /* closes fd */
		c->ssh = NULL;
		return -1;
	}
	return ssh_get_fd(c->ssh);
}

static void flood_close(struct flood_conn *c)
{
	if (c->ssh != NULL) {
		ssh_free(c->ssh);
		c->ssh = NULL;
	} else if (c->fd >= 0) {
		close(c->fd);
	}
	c->fd = -1;
}

static void flood_open(struct flood_conn *c, const char *host, int port, unsigned long *opened)
{
	c->fd = c->mode == FLOOD_KEXED ? flood_open_kexed(c, host, port) : connect_from(c->src, host, port, 1);
	c->sent = 0;
	c->last_sent = 0;
	if (c->fd >= 0)
		(*opened)++;
}

/* What a connection sends once connected, and each second (trickle). */
static void flood_send(struct flood_conn *c, time_t now)
{
	static const unsigned char half[] = { 0, 0, 1, 0, 6, 20, 1, 2, 3, 4, 5, 6, 7, 8 };
	ssize_t n = 0;

	if (c->last_sent == now)
		return;
	switch (c->mode) {
	case FLOOD_BANNER:
		if (c->sent == 0)
			n = write(c->fd, flood_banner, sizeof(flood_banner) - 1);
		break;
	case FLOOD_HALF_PACKET:
		if (c->sent == 0) {
			n = write(c->fd, flood_banner, sizeof(flood_banner) - 1);
			if (n > 0 && write(c->fd, half, sizeof(half)) < 0)
				n = -1;
		}
		break;
	case FLOOD_TRICKLE:
		if (c->sent < sizeof(flood_banner) - 3)
			n = write(c->fd, flood_banner + c->sent, 1);
		break;
	default:
		break;
	}
	if (n > 0)
		c->sent += (size_t)n;
	c->last_sent = now;
}

/* Whether one more connection fits in rate a second (0: no limit); counts it if so. */
static int flood_may_open(int rate)
{
	static struct timespec second;
	static int used;
	struct timespec now;

	if (rate <= 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != second.tv_sec) {
		second = now;
		used = 0;
	}
	if (used >= rate)
		return 0;
	used++;
	return 1;
}

static int cmd_flood(const char *host, int port, int seconds, int count, int rate, char **srcs, int nsrcs)
{
	struct flood_conn *conns = calloc((size_t)count, sizeof(*conns));
	struct pollfd *pfds = calloc((size_t)count, sizeof(*pfds));
	unsigned long opened = 0, dropped = 0;
	time_t end = time(NULL) + seconds;
	int announced = 0;

	if (conns == NULL || pfds == NULL)
		return 2;
	for (int i = 0; i < count; i++) {
		conns[i].src = srcs[i % nsrcs];
		conns[i].mode = i % FLOOD_MODES;
		conns[i].fd = -1;
	}
	while (time(NULL) < end) {
		time_t now = time(NULL);
		int open_now = 0;

		for (int i = 0; i < count; i++) {
			if (conns[i].fd < 0 && flood_may_open(rate))
				flood_open(&conns[i], host, port, &opened);
			/* libssh owns a kexed session's reads: only its end is watched. */
			pfds[i] = (struct pollfd){ .fd = conns[i].fd,
						   .events = conns[i].ssh != NULL ? POLLRDHUP : POLLIN };
			if (conns[i].fd >= 0) {
				open_now++;
				flood_send(&conns[i], now);
			}
		}
		/* Counted in openings: a full relay refuses some at once, so all may never be open together. */
		if (!announced && (open_now == count || opened >= (unsigned long)count)) {
			printf("flood: %d open\n", count);
			fflush(stdout);
			announced = 1;
		}
		if (poll(pfds, (nfds_t)count, rate > 0 ? 20 : 200) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < count; i++) {
			char buf[512];

			if (conns[i].fd < 0 || pfds[i].revents == 0)
				continue;
			if (conns[i].ssh != NULL) {
				flood_close(&conns[i]);
				dropped++;
				continue;
			}
			/* The relay's banner and KEXINIT are read and ignored; an end means dropped. */
			if (read(conns[i].fd, buf, sizeof(buf)) <= 0 || (pfds[i].revents & (POLLHUP | POLLERR))) {
				flood_close(&conns[i]);
				dropped++;
			}
		}
	}
	printf("flood: %lu opened in all, %lu dropped by the relay\n", opened, dropped);
	for (int i = 0; i < count; i++)
		flood_close(&conns[i]);
	free(conns);
	free(pfds);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 6 && strcmp(argv[1], "code") == 0) {
		ssh_init();
		rc = cmd_code(argv[2], atoi(argv[3]), argv[4], argv[5]);
		ssh_finalize();
	} else if (argc >= 7 && strcmp(argv[1], "flood") == 0) {
		ssh_init();
		rc = cmd_flood(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), 0, argv + 6, argc - 6);
	} else if (argc >= 8 && strcmp(argv[1], "flood-rate") == 0) {
		rc = cmd_flood(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), argv + 7, argc - 7);
		ssh_finalize();
	} else {
		fprintf(stderr, "usage: hostile code HOST PORT SRC CODE\n"
				"       hostile flood HOST PORT SECONDS COUNT SRC...\n");
	}
	return rc;
}
