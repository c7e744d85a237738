/*
 * pump.c: see pump.h.
 */
#include "pump.h"

#include <string.h>

#include "hsock.h"

/* The descriptor only has to wake the loop; pump_run does the work. */
static int pump_wake(socket_t fd, int revents, void *userdata)
{
	(void)fd;
	(void)revents;
	(void)userdata;
	return 0;
}

void pump_init(struct pump *p, ssh_channel chan, int fd)
{
	memset(p, 0, sizeof(*p));
	p->chan = chan;
	p->fd = fd;
	hsock_set_nonblocking(fd);
}

int pump_deliver_ahead(struct pump *p, const char *bytes, size_t n)
{
	if (n > sizeof(p->ahead) || p->ahead_len != 0 || p->bytes_to_fd != 0 ||
	    hsock_send(p->fd, bytes, n) != (ssize_t)n)
		return -1;
	memcpy(p->ahead, bytes, n);
	p->ahead_len = n;
	return 0;
}

/* Channel towards descriptor. 1 once the channel has ended and all of it was delivered. */
static int pump_to_fd(struct pump *p)
{
	if (p->chan_finished)
		return 1;
	for (;;) {
		if (p->pending_off < p->pending_len) {
			ssize_t n = hsock_send(p->fd, p->pending + p->pending_off,
					      p->pending_len - p->pending_off);
			if (n < 0) {
				if (hsock_would_block())
					return 0;
				return -1;
			}
			p->pending_off += (size_t)n;
			p->bytes_to_fd += (uint64_t)n;
			if (p->pending_off < p->pending_len)
				continue;
			p->pending_off = p->pending_len = 0;
		}
		int n = ssh_channel_read_nonblocking(p->chan, p->pending, sizeof(p->pending), 0);
		if (n > 0) {
			p->pending_len = (size_t)n;
			/* What went ahead must be what the channel says first; it is not sent again. */
			while (p->ahead_len > 0 && p->pending_off < p->pending_len) {
				if ((char)p->pending[p->pending_off] != p->ahead[0])
					return -1;
				memmove(p->ahead, p->ahead + 1, --p->ahead_len);
				p->pending_off++;
			}
			if (p->pending_off == p->pending_len)
				p->pending_off = p->pending_len = 0;
			continue;
		}
		if (n == 0 && !ssh_channel_is_closed(p->chan))
			return 0;
		if (n < 0 && n != SSH_EOF && !ssh_channel_is_closed(p->chan))
			return -1;
		/* Ended (EOF or closed) and nothing is pending: pass the end on. */
		hsock_shutdown_write(p->fd);
		p->chan_finished = true;
		return 1;
	}
}

/* Descriptor towards channel, never past the peer's window. 1 once the fd has ended. */
static int pump_to_chan(struct pump *p)
{
	uint8_t chunk[32 * 1024];

	if (p->fd_finished)
		return 1;
	for (;;) {
		size_t want = sizeof(chunk);
		bool discard = p->chan_finished || !ssh_channel_is_open(p->chan);
		ssize_t n;

		if (!discard) {
			uint32_t window = ssh_channel_window_size(p->chan);

			if (window == 0)
				return 0;
			if (window < want)
				want = window;
		} else if (!p->chan_finished) {
			/* Closed channel, bytes still owed to the fd: wait for them. */
			return 0;
		}
		n = hsock_recv(p->fd, chunk, want);
		if (n < 0 && hsock_would_block())
			return 0;
		if (n <= 0) {
			if (!discard)
				ssh_channel_send_eof(p->chan);
			p->fd_finished = true;
			return 1;
		}
		/* The channel has ended: what the local side still says has nowhere to go. */
		if (discard)
			continue;
		if (ssh_channel_write(p->chan, chunk, (uint32_t)n) != (int)n)
			return -1;
		p->bytes_to_chan += (uint64_t)n;
	}
}

int pump_run(struct pump *p)
{
	int in, out;

	if (p->done)
		return 1;
	in = pump_to_fd(p);
	out = pump_to_chan(p);
	if (in < 0 || out < 0) {
		p->done = true;
		return -1;
	}
	if (p->chan_finished && p->fd_finished) {
		p->done = true;
		return 1;
	}
	return 0;
}

void pump_sync_event(struct pump *p, ssh_event ev)
{
	short want = 0;

	if (!p->done && p->fd >= 0) {
		if (p->pending_off < p->pending_len)
			want |= POLLOUT;
		if (!p->fd_finished &&
		    (p->chan_finished ||
		     (ssh_channel_is_open(p->chan) && ssh_channel_window_size(p->chan) > 0)))
			want |= POLLIN;
	}
	if (want == p->polled_events && ev == p->event)
		return;
	if (p->polled_events != 0 && p->event != NULL)
		ssh_event_remove_fd(p->event, p->fd);
	p->polled_events = 0;
	p->event = NULL;
	if (want != 0 && ev != NULL && ssh_event_add_fd(ev, p->fd, want, pump_wake, p) == SSH_OK) {
		p->polled_events = want;
		p->event = ev;
	}
}

void pump_close(struct pump *p)
{
	pump_sync_event(p, NULL);
	if (p->fd >= 0) {
		hsock_close(p->fd);
		p->fd = -1;
	}
	if (p->chan != NULL && ssh_channel_is_open(p->chan)) {
		ssh_channel_send_eof(p->chan);
		ssh_channel_close(p->chan);
	}
	p->done = true;
}
