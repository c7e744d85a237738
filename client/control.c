/*
 * control.c: see control.h. Both directions are bounded: the receive
 * buffer holds at most two maximal records (one being decoded, the next
 * arriving), the send buffer at most OUT_CAP bytes. Consent replies are
 * tiny; chat lines are up to CTL_TEXT_MAX each, so OUT_CAP leaves room for
 * a burst of pasted lines. Log bundles (up to 1 MiB) do not go through
 * here at once: the session feeds them in only while less than
 * HELPER_CONTROL_LOW_WATER is pending, so they never crowd out a consent
 * reply. A relay that stops reading long enough to fill OUT_CAP is broken,
 * and we report it instead of queueing without end.
 */
#include "control.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#define IN_CAP (2 * (CTL_RECORD_MAX + 4))
#define OUT_CAP (256u * 1024)
#define READ_CHUNK (16u * 1024)

int helper_control_open(struct helper_control *c, ssh_session s, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->in, IN_CAP);
	buf_init(&c->out, OUT_CAP);
	c->chan = ssh_channel_new(s);
	if (c->chan == NULL) {
		snprintf(err, errlen, "cannot create a channel: %s", ssh_get_error(s));
		return -1;
	}
	if (ssh_channel_open_session(c->chan) != SSH_OK) {
		snprintf(err, errlen, "the relay refused a session channel: %s", ssh_get_error(s));
		return -1;
	}
	if (ssh_channel_request_subsystem(c->chan, CTL_SUBSYSTEM) != SSH_OK) {
		snprintf(err, errlen, "the relay refused the %s subsystem: %s", CTL_SUBSYSTEM,
			 ssh_get_error(s));
		return -1;
	}
	return 0;
}

int helper_control_next(struct helper_control *c, struct ctl_record *r)
{
	for (;;) {
		int rc = ctl_decode(&c->in, r);
		size_t want;
		uint8_t *p;
		int n;

		if (rc == 1)
			return 1;
		if (rc < 0) {
			log_error("malformed control record from the relay: %s", buf_strerror(rc));
			return HELPER_CONTROL_BAD;
		}
		want = buf_room(&c->in) < READ_CHUNK ? buf_room(&c->in) : READ_CHUNK;
		/* Cannot happen while IN_CAP holds more than one maximal record. */
		if (want == 0)
			return HELPER_CONTROL_BAD;
		if (buf_reserve(&c->in, want, &p) != 0)
			return HELPER_CONTROL_BAD;
		n = ssh_channel_read_nonblocking(c->chan, p, (uint32_t)want, 0);
		if (n > 0) {
			buf_commit(&c->in, (size_t)n);
			continue;
		}
		if (n == SSH_EOF || n < 0 || ssh_channel_is_closed(c->chan) || ssh_channel_is_eof(c->chan))
			return HELPER_CONTROL_CLOSED;
		return 0;
	}
}

int helper_control_send(struct helper_control *c, const struct ctl_record *r)
{
	size_t before = buf_len(&c->out);
	int rc = ctl_encode(&c->out, r);

	if (rc != 0) {
		log_error("cannot queue a %s record: %s", ctl_type_name(r->type), buf_strerror(rc));
		return -1;
	}
	c->queued += buf_len(&c->out) - before;
	return 0;
}

int helper_control_flush(struct helper_control *c)
{
	while (buf_len(&c->out) > 0) {
		uint32_t window;
		size_t n;
		int w;

		if (c->chan == NULL || !ssh_channel_is_open(c->chan))
			return -1;
		window = ssh_channel_window_size(c->chan);
		if (window == 0)
			return 0;
		n = buf_len(&c->out) < window ? buf_len(&c->out) : window;
		w = ssh_channel_write(c->chan, buf_ptr(&c->out), (uint32_t)n);
		if (w < 0)
			return -1;
		if (w == 0)
			return 0;
		buf_consume(&c->out, (size_t)w);
		c->written += (uint64_t)w;
	}
	return 0;
}

size_t helper_control_pending(const struct helper_control *c)
{
	return buf_len(&c->out);
}

int helper_control_goodbye(struct helper_control *c, int timeout_ms)
{
	char sink[256];
	int n;

	if (c->chan == NULL || helper_control_flush(c) != 0 || buf_len(&c->out) > 0 ||
	    ssh_channel_send_eof(c->chan) != SSH_OK)
		return -1;
	/* Whatever the relay still sends is no longer of use: read and dropped until it closes. */
	do
		n = ssh_channel_read_timeout(c->chan, sink, sizeof(sink), 0, timeout_ms);
	while (n > 0);
	return n == 0 || ssh_channel_is_closed(c->chan) ? 0 : -1;
}

void helper_control_close(struct helper_control *c)
{
	if (c->chan != NULL) {
		if (ssh_channel_is_open(c->chan)) {
			ssh_channel_send_eof(c->chan);
			ssh_channel_close(c->chan);
		}
		ssh_channel_free(c->chan);
		c->chan = NULL;
	}
	buf_free(&c->in);
	buf_free(&c->out);
}
