/*
 * hsock_posix.c: see hsock.h.
 */
#include "hsock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

int hsock_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 ? 0 : -1;
}

int hsock_set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return -1;
	return 0;
}

bool hsock_fits_select(int fd)
{
	return fd >= 0 && fd < FD_SETSIZE;
}

void hsock_set_buffers(int fd, int sndbuf, int rcvbuf)
{
	if (sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
}

ssize_t hsock_send(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL);
}

ssize_t hsock_recv(int fd, void *buf, size_t len)
{
	return recv(fd, buf, len, 0);
}

bool hsock_would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

void hsock_shutdown_write(int fd)
{
	shutdown(fd, SHUT_WR);
}

void hsock_close(int fd)
{
	close(fd);
}

int64_t hsock_min_rtt_us(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
	    len < offsetof(struct tcp_info, tcpi_min_rtt) + sizeof(ti.tcpi_min_rtt) || ti.tcpi_min_rtt == 0)
		return -1;
	return (int64_t)ti.tcpi_min_rtt;
}

bool hsock_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}
