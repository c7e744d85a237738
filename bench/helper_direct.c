/*
 * helper_direct: the helper's screen, viewed without SSH and without the
 * relay. Bench only: the real helper never listens on a port.
 *
 *   helper_direct DISPLAY PORT
 *
 * It runs the helper's own capture (client/capture*.c) and libvncserver
 * setup (client/screen.c) in the same loop order as client/session.c, and
 * hands every TCP connection accepted on 127.0.0.1:PORT to
 * helper_screen_add_client (view only), where the helper would hand it the
 * socketpair end of an SSH channel. The difference between a viewer here
 * and a viewer through handoff-relay is what the SSH hops (helper to relay,
 * relay to `ssh -L`) and the relay's splice add.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "log.h"
#include "screen.h"

static int direct_listen(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct helper_capture *cap = NULL;
	struct helper_screen *screen = NULL;
	struct helper_capture_format fmt;
	char err[512];
	sigset_t stop;
	int lfd, sfd, rc = 1;

	if (argc != 3 || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: helper_direct DISPLAY PORT\n");
		return 2;
	}
	log_setup("helper_direct", LOG_WARN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	/* Before libvncserver starts threads: they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	sfd = signalfd(-1, &stop, SFD_CLOEXEC);
	lfd = direct_listen(atoi(argv[2]));
	if (lfd < 0 || sfd < 0) {
		fprintf(stderr, "helper_direct: cannot listen on 127.0.0.1:%s\n", argv[2]);
		return 1;
	}
	if (helper_capture_open(&cap, &helper_capture_x11_backend, argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "helper_direct: %s\n", err);
		goto out;
	}
	helper_capture_format(cap, &fmt);
	if (helper_screen_open(&screen, &fmt, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "helper_direct: %s\n", err);
		goto out;
	}
	helper_capture_attach(cap, screen);
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = helper_capture_fd(cap), .events = POLLIN },
			{ .fd = helper_screen_wake_fd(screen), .events = POLLIN },
		};

		if (poll(p, 4, helper_capture_timeout(cap)) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			int one = 1;

			if (fd >= 0) {
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				helper_capture_flush(cap);
				helper_screen_add_client(screen, fd, true, 0);
			}
		}
		if (helper_capture_run(cap) != 0) {
			fprintf(stderr, "helper_direct: lost the display\n");
			goto out;
		}
		helper_screen_reap(screen);
	}
	rc = 0;
out:
	close(lfd);
	helper_screen_close(screen);
	helper_capture_close(cap);
	return rc;
}
