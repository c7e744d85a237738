/*
 * hsock: the few stream-socket calls whose spelling differs between POSIX
 * and Winsock, so that the pump, the helper's viewers and its wake-ups are
 * written once. hsock_posix.c implements them on Linux, hsock_win32.c on
 * Windows (where a descriptor here is a SOCKET: Winsock hands out small
 * handle values, and libssh's event loop takes them as socket_t). Not
 * "sock_": libvncserver exports sock_set_nonblocking, and a program's
 * function of that name would replace the library's own (ELF interposition).
 */
#ifndef HANDOFF_HSOCK_H
#define HANDOFF_HSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* POLLIN and POLLOUT, which libssh's event loop takes, live in different headers. */
#ifdef _WIN32
#include <winsock2.h>
#else
#include <poll.h>
#endif

/*
 * A connected pair of stream sockets that only this process can hold:
 * an AF_UNIX socketpair on POSIX. Windows has none, so there it is a
 * loopback TCP pair: a listener on 127.0.0.1 with an ephemeral port, kept
 * only until our own connect is accepted, and refused unless the accepted
 * peer is our connecting socket (address and port), so that nothing
 * another process or machine can reach is ever part of it. 0 or -1.
 */
int hsock_pair(int sv[2]);
/* 0 or -1. */
int hsock_set_nonblocking(int fd);
/*
 * True when select() can wait on fd (libvncserver's threads do): below
 * FD_SETSIZE on POSIX; always on Windows, whose fd_set lists handles.
 */
bool hsock_fits_select(int fd);
/* Sets SO_SNDBUF and SO_RCVBUF to as many bytes, each unless 0. */
void hsock_set_buffers(int fd, int sndbuf, int rcvbuf);
/* send() that never raises SIGPIPE; as send(). */
ssize_t hsock_send(int fd, const void *buf, size_t len);
ssize_t hsock_recv(int fd, void *buf, size_t len);
/* True when the last hsock_send/hsock_recv failed only for want of room or data. */
bool hsock_would_block(void);
/* True when fd is readable (or at EOF or in error) now, without waiting. */
bool hsock_readable(int fd);
/* Passes EOF on: no more bytes from us, the peer may still talk. */
void hsock_shutdown_write(int fd);
void hsock_close(int fd);
/* The lowest round trip the system has seen on TCP connection fd, in microseconds, or -1 when it does not say. */
int64_t hsock_min_rtt_us(int fd);

#endif
