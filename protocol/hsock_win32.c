/*
 * hsock_win32.c: see hsock.h. Winsock has no socketpair and no AF_UNIX
 * stream that libvncserver's select() and libssh's WSAPoll both accept, so
 * the pair is made over loopback TCP and checked (see hsock_pair).
 */
#include "hsock.h"

#include <limits.h>
#include <string.h>

#include <winsock2.h>
#include <ws2tcpip.h>

/* libssh's ssh_init starts Winsock too; the pair may be wanted before it. */
static int hsock_startup(void)
{
	static int started;
	WSADATA wsa;

	if (started)
		return 0;
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		return -1;
	started = 1;
	return 0;
}

int hsock_pair(int sv[2])
{
	SOCKET lst = INVALID_SOCKET, a = INVALID_SOCKET, c = INVALID_SOCKET;
	struct sockaddr_in addr, local, peer;
	int len, one = 1, rc = -1;

	sv[0] = sv[1] = -1;
	if (hsock_startup() != 0)
		return -1;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	lst = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (lst == INVALID_SOCKET)
		goto out;
	/* No other socket may bind the same port while ours listens. */
	setsockopt(lst, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one, sizeof(one));
	len = sizeof(addr);
	if (bind(lst, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(lst, 1) != 0 ||
	    getsockname(lst, (struct sockaddr *)&addr, &len) != 0)
		goto out;
	c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		goto out;
	len = sizeof(local);
	if (getsockname(c, (struct sockaddr *)&local, &len) != 0)
		goto out;
	len = sizeof(peer);
	a = accept(lst, (struct sockaddr *)&peer, &len);
	if (a == INVALID_SOCKET)
		goto out;
	/* Another local process that raced us to the port gets nothing. */
	if (peer.sin_addr.s_addr != local.sin_addr.s_addr || peer.sin_port != local.sin_port)
		goto out;
	setsockopt(a, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one));
	sv[0] = (int)a;
	sv[1] = (int)c;
	a = c = INVALID_SOCKET;
	rc = 0;
out:
	if (a != INVALID_SOCKET)
		closesocket(a);
	if (c != INVALID_SOCKET)
		closesocket(c);
	if (lst != INVALID_SOCKET)
		closesocket(lst);
	return rc;
}

int hsock_set_nonblocking(int fd)
{
	u_long on = 1;

	return ioctlsocket((SOCKET)fd, FIONBIO, &on) == 0 ? 0 : -1;
}

bool hsock_fits_select(int fd)
{
	return (SOCKET)fd != INVALID_SOCKET;
}

void hsock_set_buffers(int fd, int sndbuf, int rcvbuf)
{
	if (sndbuf > 0)
		setsockopt((SOCKET)fd, SOL_SOCKET, SO_SNDBUF, (const char *)&sndbuf, sizeof(sndbuf));
	if (rcvbuf > 0)
		setsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVBUF, (const char *)&rcvbuf, sizeof(rcvbuf));
}

ssize_t hsock_send(int fd, const void *buf, size_t len)
{
	int n = send((SOCKET)fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);

	return n == SOCKET_ERROR ? -1 : n;
}

ssize_t hsock_recv(int fd, void *buf, size_t len)
{
	int n = recv((SOCKET)fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);

	return n == SOCKET_ERROR ? -1 : n;
}

bool hsock_would_block(void)
{
	int e = WSAGetLastError();

	return e == WSAEWOULDBLOCK || e == WSAEINTR;
}

void hsock_shutdown_write(int fd)
{
	shutdown((SOCKET)fd, SD_SEND);
}

void hsock_close(int fd)
{
	closesocket((SOCKET)fd);
}

/* SIO_TCP_INFO would say (Windows 10 1703 and later); until the Windows helper uses it, the pacing learns the round trip from small updates alone. */
int64_t hsock_min_rtt_us(int fd)
{
	(void)fd;
	return -1;
}

bool hsock_readable(int fd)
{
	WSAPOLLFD pfd = { .fd = (SOCKET)fd, .events = POLLRDNORM };

	return WSAPoll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDNORM | POLLHUP | POLLERR)) != 0;
}
