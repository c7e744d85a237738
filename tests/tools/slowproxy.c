/*
 * slowproxy: a slow link for tests: a TCP proxy on 127.0.0.1 that holds
 * every chunk it forwards for a while, in both directions.
 *
 *   slowproxy LISTEN_PORT TARGET_PORT DELAY_MS
 *
 * Prints "listening"; serves any number of connections (two threads each).
 * SIGUSR1 makes the link fast (no delay) from then on, SIGUSR2 slow again.
 * Runs until SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int slow_delay_ms;
static int slow_configured_ms;

struct slow_pipe {
	int from, to;
};

static void slow_on_usr(int sig)
{
	atomic_store(&slow_delay_ms, sig == SIGUSR1 ? 0 : slow_configured_ms);
}

static void *slow_pump(void *arg)
{
	struct slow_pipe *p = arg;
	char buf[16384];

	for (;;) {
		ssize_t n = read(p->from, buf, sizeof(buf));
		int ms = atomic_load(&slow_delay_ms);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(p->to, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	shutdown(p->to, SHUT_WR);
	shutdown(p->from, SHUT_RD);
	return NULL;
}

static int slow_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = slow_on_usr };
	struct sigaction ign = { .sa_handler = SIG_IGN };
	int one = 1, ls, target;

	if (argc != 4) {
		fprintf(stderr, "usage: slowproxy LISTEN_PORT TARGET_PORT DELAY_MS\n");
		return 2;
	}
	target = atoi(argv[2]);
	slow_configured_ms = atoi(argv[3]);
	atomic_store(&slow_delay_ms, slow_configured_ms);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 8) != 0) {
		fprintf(stderr, "slowproxy: cannot listen: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(ls, NULL, NULL), t;
		struct slow_pipe *p;
		pthread_t th;

		if (c < 0)
			continue;
		t = slow_connect(target);
		p = calloc(2, sizeof(*p));
		if (t < 0 || p == NULL) {
			close(c);
			if (t >= 0)
				close(t);
			free(p);
			continue;
		}
		/* Both threads run for the life of the process; the test ends it. */
		p[0] = (struct slow_pipe){ c, t };
		p[1] = (struct slow_pipe){ t, c };
		if (pthread_create(&th, NULL, slow_pump, &p[0]) == 0)
			pthread_detach(th);
		if (pthread_create(&th, NULL, slow_pump, &p[1]) == 0)
			pthread_detach(th);
	}
}
