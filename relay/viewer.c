/*
 * viewer.c: one technician viewing one customer's screen.
 *
 * A technician's direct-tcpip to ticket-N:5900 (view and control) or
 * ticket-N:5901 (view only) is accepted at once (libssh frees the open
 * request when the callback returns, so there is no waiting before
 * answering), then:
 *
 *   CONSENT   the customer's helper is asked, by name and tier, for the
 *             level the port names;
 *   OPENING   on consent, a forwarded-tcpip channel is opened to the helper,
 *             whose originator port carries the viewer id so the helper can
 *             match it to the consent it gave;
 *   SPLICING  bytes move both ways;
 *   REFUSING  when there is nothing to show, the technician's VNC client is
 *             told why in RFB's own words (a version, zero security types and
 *             a reason), which every VNC viewer prints.
 *
 * Once pixels flow, RFB has no way left to say why a stream ends, and the
 * relay cannot put a message of its own between the helper's. So the
 * technician's channel gets an SSH exit-signal request just before its
 * close, the reason as its error message: libssh hands it to our viewer's
 * channel_exit_signal_function; OpenSSH's ssh -L, for which RFC 4254 has no
 * meaning of it on a forwarding channel, ignores it.
 *
 * `control N` (relay_viewer_ask_control) asks the customer again, for
 * control, on a stream that is viewing only; the stream goes on meanwhile
 * and the helper applies the answer to it.
 *
 * Flow control: a splice reads from one channel only as many bytes as the
 * other channel's remote window accepts, then writes them at once. The
 * relay therefore holds no data of its own; what waits is in libssh's
 * receive buffer, bounded by the window we granted the sender.
 * channel_write_wontblock fires for socket drain, not window growth, so the
 * splice runs after every poll instead of waiting for a callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "recording.h"
#include "audit.h"
#include "relay.h"

#define RELAY_RFB_REASON_MAX 1024

static void relay_viewer_event(struct relay *relay, struct relay_viewer *v, const char *kind,
			       const char *detail)
{
	relay_audit_event(relay->store, v->ticket, relay_now(relay), kind,
			v->tech ? v->tech->user.name : NULL, v->tech ? v->tech->user.tier : NULL, NULL, detail);
}

static void relay_viewer_refuse(struct relay_viewer *v, const char *reason)
{
	static const char version[] = "RFB 003.008\n";

	buf_reset(&v->refusal);
	if (buf_put(&v->refusal, version, sizeof(version) - 1) != 0 ||
	    buf_put_u8(&v->refusal, 0) != 0 ||
	    buf_put_cstring(&v->refusal, reason) != 0)
		buf_reset(&v->refusal);
	log_info("viewer %u (ticket %lld): %s", v->id, (long long)v->ticket, reason);
	v->state = VIEWER_REFUSING;
}

static void relay_viewer_tell_customer(struct relay_viewer *v, uint8_t type)
{
	struct ctl_record rec = { .type = type, .viewer_id = v->id, .ticket = (uint32_t)v->ticket };

	if (v->customer == NULL || v->customer->control == NULL)
		return;
	if (type == CTL_CONSENT_ASK) {
		rec.name = v->tech->user.name;
		rec.tier = v->tech->user.tier;
		rec.caps = v->asked;
	}
	relay_chan_send_ctl(v->customer->control, &rec);
}

/* Why a stream that started ends, for the technician's viewer (see the top). */
static void relay_viewer_tell_tech(struct relay_viewer *v, const char *why)
{
	if (v->tech_chan == NULL || !ssh_channel_is_open(v->tech_chan) || why == NULL)
		return;
	if (ssh_channel_request_send_exit_signal(v->tech_chan, "TERM", 0, why, "en") != SSH_OK)
		log_info("viewer %u: could not tell the technician why: %s", v->id, why);
}

/* Why the customer's side went away. */
static const char *relay_viewer_customer_gone(const struct relay_conn *customer, bool lost)
{
	if (customer != NULL && customer->ending)
		return "the customer ended the session";
	return lost ? "the customer's connection to the relay was lost" : "the customer's helper closed the stream";
}

void relay_viewer_open(struct relay *relay, struct relay_conn *tech, ssh_channel chan, int64_t ticket,
		       uint8_t asked)
{
	struct relay_viewer *v = calloc(1, sizeof(*v));
	char reason[RELAY_RFB_REASON_MAX];

	if (v == NULL) {
		ssh_channel_close(chan);
		ssh_channel_free(chan);
		return;
	}
	/* Viewer ids travel as a forwarded-tcpip originator port: 1..65535. */
	relay->next_viewer_id = relay->next_viewer_id % 65535 + 1;
	v->id = relay->next_viewer_id;
	v->ticket = ticket;
	v->tech = tech;
	v->tech_chan = chan;
	v->asked = asked;
	v->asked_at = time(NULL);
	buf_init(&v->refusal, RELAY_RFB_REASON_MAX + 32);
	v->next = relay->viewers;
	relay->viewers = v;
	{
		struct store_ticket t;
		char why[200];

		if (store_ticket_get(relay->store, ticket, &t) != STORE_OK) {
			snprintf(reason, sizeof(reason), "Handoff: no ticket %lld", (long long)ticket);
			relay_viewer_refuse(v, reason);
			return;
		}
		if (relay_rights_check(tech->role, &tech->user, RELAY_ACT_VIEW, &t, why, sizeof(why)) != 0) {
			snprintf(reason, sizeof(reason), "Handoff: %s", why);
			relay_viewer_refuse(v, reason);
			return;
		}
	}
	v->customer = relay_conn_live_customer(relay, ticket);
	/* On another relay: it asks, records and checks again; this one carries the bytes (route.c). */
	if (v->customer == NULL && !tech->routed) {
		char why[200];

		if (relay_route_open(relay, ticket,
				     asked & CTL_CAP_CONTROL ? RELAY_VIEWER_PORT_CONTROL : RELAY_VIEWER_PORT_VIEW,
				     tech->user.name, &v->route, why, sizeof(why)) != 0) {
			snprintf(reason, sizeof(reason), "Handoff: %s", why);
			relay_viewer_refuse(v, reason);
			return;
		}
		if (v->route != NULL) {
			v->state = VIEWER_ROUTING;
			return;
		}
	}
	if (relay->recording == RELAY_RECORDING_REQUIRED && !relay->has_recording_key) {
		relay_viewer_refuse(v, "Handoff: recording is required and no recording key is installed");
		return;
	}
	if (v->customer == NULL) {
		/* "no live session for ticket N" is what scripts (and our viewer's retry) look for. */
		snprintf(reason, sizeof(reason),
			 "Handoff: the customer is not connected (no live session for ticket %lld): run `invite %lld`",
			 (long long)ticket, (long long)ticket);
		relay_viewer_refuse(v, reason);
		return;
	}
	v->state = VIEWER_CONSENT;
	relay_viewer_tell_customer(v, CTL_CONSENT_ASK);
	relay_viewer_event(relay, v, EVENT_CONSENT_ASKED, (asked & CTL_CAP_CONTROL) ? "view,control" : "view");
	log_info("viewer %u: %s (%s) asks to %s ticket %lld; waiting for the customer", v->id,
		 tech->user.name, tech->user.tier, (asked & CTL_CAP_CONTROL) ? "view and control" : "view",
		 (long long)ticket);
}

bool relay_viewer_desktop_refused(struct relay *relay, struct relay_conn *customer, uint32_t id)
{
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next) {
		if (v->id != id || v->customer != customer || v->state != VIEWER_CONSENT)
			continue;
		/* Refused here: the helper's CONSENT_REPLY of 0 that follows finds no viewer waiting, so one record. */
		relay_viewer_event(relay, v, EVENT_CONSENT_DENIED,
				   "screen sharing refused by the customer at the desktop's own dialog, after allowing "
				   "this technician in the helper");
		relay_viewer_refuse(v, "Handoff: the customer declined at the desktop's own dialog");
		return true;
	}
	return false;
}

void relay_viewer_consent_reply(struct relay *relay, struct relay_conn *customer,
				const struct ctl_record *rec)
{
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next) {
		if (v->id != rec->viewer_id || v->customer != customer)
			continue;
		if (v->state == VIEWER_CONSENT) {
			if (rec->caps & CTL_CAP_VIEW) {
				v->caps = rec->caps;
				v->state = VIEWER_OPENING;
				v->cust_chan = ssh_channel_new(customer->session);
				relay_viewer_event(relay, v, EVENT_CONSENT_GRANTED,
						   (rec->caps & CTL_CAP_CONTROL) ? "view,control" : "view");
				log_info("viewer %u: the customer allowed %s", v->id,
					 (rec->caps & CTL_CAP_CONTROL) ? "view and control" : "view only");
				if (v->cust_chan == NULL)
					relay_viewer_refuse(v, "Handoff: the relay is out of resources");
			} else {
				relay_viewer_event(relay, v, EVENT_CONSENT_DENIED, NULL);
				relay_viewer_refuse(v, "Handoff: the customer declined");
			}
		} else if (v->state == VIEWER_OPENING || v->state == VIEWER_SPLICING) {
			bool reasked = v->reasking;

			v->caps = rec->caps;
			v->reasking = false;
			if (!(rec->caps & CTL_CAP_VIEW)) {
				const char *why = customer->ending ? "the customer ended the session"
								   : "the customer stopped sharing";

				relay_viewer_event(relay, v, EVENT_CONSENT_REVOKED, NULL);
				log_info("viewer %u: %s", v->id, why);
				if (v->state == VIEWER_OPENING) {
					char reason[RELAY_RFB_REASON_MAX];

					snprintf(reason, sizeof(reason), "Handoff: %s", why);
					relay_viewer_refuse(v, reason);
				} else {
					relay_viewer_tell_tech(v, why);
					v->state = VIEWER_DONE;
				}
			} else if (reasked) {
				/* A no to control keeps the view: the stream goes on as it was. */
				relay_viewer_event(relay, v,
						   (rec->caps & CTL_CAP_CONTROL) ? EVENT_CONSENT_GRANTED : EVENT_CONSENT_DENIED,
						   (rec->caps & CTL_CAP_CONTROL) ? "view,control" : "control");
				log_info("viewer %u: the customer %s", v->id,
					 (rec->caps & CTL_CAP_CONTROL) ? "allowed control" : "kept it to view only");
			}
		}
		return;
	}
	log_info("conn %u: consent reply for unknown viewer %u ignored", customer->id, rec->viewer_id);
}

/*
 * Moves src to dst within dst's window, recording what passes. 0 open, 1 src
 * finished, -1 error (or a recording that failed when it is required).
 */
static int relay_viewer_move(struct relay *relay, struct relay_viewer *v, ssh_channel src, ssh_channel dst,
			     uint8_t direction, uint64_t *count)
{
	uint8_t chunk[32 * 1024];

	for (;;) {
		uint32_t window = ssh_channel_window_size(dst);
		int n;

		if (!ssh_channel_is_open(dst))
			return 1;
		if (window == 0)
			return 0;
		/* The recording is a second behind the disk: the stream waits for it (record.c). */
		if (!relay_record_ready(v))
			return 0;
		n = ssh_channel_read_nonblocking(src, chunk, window < sizeof(chunk) ? window : sizeof(chunk), 0);
		if (n == SSH_EOF)
			return 1;
		if (n < 0)
			return ssh_channel_is_closed(src) ? 1 : -1;
		if (n == 0)
			return ssh_channel_is_closed(src) ? 1 : 0;
		if (ssh_channel_write(dst, chunk, (uint32_t)n) != n)
			return -1;
		*count += (uint64_t)n;
		if (relay_record_bytes(relay, v, direction, chunk, (size_t)n) != 0)
			return -1;
	}
}

static void relay_viewer_close_chan(ssh_channel chan)
{
	if (chan != NULL && ssh_channel_is_open(chan)) {
		ssh_channel_send_eof(chan);
		ssh_channel_close(chan);
	}
}

static void relay_viewer_finish(struct relay *relay, struct relay_viewer *v, const char *why)
{
	/* Routed: the far relay said why, and wrote the record of the leaving. */
	if (v->route != NULL && relay_route_why(v->route) != NULL)
		why = relay_route_why(v->route);
	relay_viewer_tell_tech(v, why);
	relay_viewer_close_chan(v->tech_chan);
	relay_viewer_close_chan(v->cust_chan);
	relay_viewer_tell_customer(v, CTL_VIEWER_LEFT);
	if (v->route == NULL)
		relay_viewer_event(relay, v, EVENT_TECHNICIAN_LEFT, NULL);
	log_info("viewer %u: %s left ticket %lld (%llu bytes to the customer, %llu to the technician)",
		 v->id, v->tech ? v->tech->user.name : "technician", (long long)v->ticket,
		 (unsigned long long)v->bytes_to_customer, (unsigned long long)v->bytes_to_tech);
	v->state = VIEWER_DONE;
}

void relay_viewer_service(struct relay *relay, struct relay_viewer *v)
{
	int rc, up, down;

	if (v->state != VIEWER_DONE && v->tech_chan != NULL && ssh_channel_is_closed(v->tech_chan) &&
	    v->state != VIEWER_SPLICING) {
		/* The technician gave up before the screen came. */
		if (v->state == VIEWER_CONSENT || v->state == VIEWER_OPENING)
			relay_viewer_tell_customer(v, CTL_VIEWER_LEFT);
		relay_viewer_close_chan(v->cust_chan);
		v->state = VIEWER_DONE;
		return;
	}
	switch (v->state) {
	case VIEWER_CONSENT:
		if (time(NULL) - v->asked_at > RELAY_CONSENT_TIMEOUT) {
			relay_viewer_tell_customer(v, CTL_VIEWER_LEFT);
			relay_viewer_refuse(v, "Handoff: the customer did not answer");
		}
		return;
	case VIEWER_ROUTING: {
		char why[768], reason[RELAY_RFB_REASON_MAX];

		rc = relay_route_ready(v->route, &v->cust_chan, why, sizeof(why));
		if (rc == 0)
			return;
		if (rc < 0) {
			log_error("viewer %u (ticket %lld): %s", v->id, (long long)v->ticket, why);
			snprintf(reason, sizeof(reason), "Handoff: %s", why);
			v->cust_chan = NULL;
			relay_viewer_refuse(v, reason);
			return;
		}
		v->state = VIEWER_SPLICING;
		log_info("viewer %u: %s's view of ticket %lld is routed", v->id, v->tech->user.name, (long long)v->ticket);
		/* Bytes may already be waiting: splice them now, once. */
		relay_viewer_service(relay, v);
		return;
	}
	case VIEWER_OPENING:
		rc = ssh_channel_open_reverse_forward(v->cust_chan, v->customer->fwd_host,
						      (int)v->customer->fwd_port, "127.0.0.1", (int)v->id);
		if (rc == SSH_AGAIN)
			return;
		if (rc != SSH_OK) {
			relay_viewer_refuse(v, "Handoff: the customer's helper did not accept the connection");
			return;
		}
		{
			char reason[RELAY_RFB_REASON_MAX];

			/* Nothing passes before the recorder is ready. */
			if (relay_record_start(relay, v, reason, sizeof(reason)) != 0) {
				relay_viewer_refuse(v, reason);
				return;
			}
		}
		v->state = VIEWER_SPLICING;
		relay_viewer_event(relay, v, EVENT_TECHNICIAN_JOINED, (v->caps & CTL_CAP_CONTROL) ? "control" : "view");
		log_info("viewer %u: %s is viewing ticket %lld", v->id, v->tech->user.name, (long long)v->ticket);
		/* fall through: bytes may already be waiting */
		/* FALLTHROUGH */
	case VIEWER_SPLICING:
		relay_route_service(v->route);
		up = relay_viewer_move(relay, v, v->tech_chan, v->cust_chan, RECORDING_FROM_VIEWER, &v->bytes_to_customer);
		down = relay_viewer_move(relay, v, v->cust_chan, v->tech_chan, RECORDING_TO_VIEWER, &v->bytes_to_tech);
		if (up < 0 || down < 0)
			relay_viewer_finish(relay, v, "the relay could not go on with the stream (see its log)");
		else if (up != 0 || down != 0)
			relay_viewer_finish(relay, v, relay_viewer_customer_gone(v->customer, false));
		return;
	case VIEWER_REFUSING:
		if (buf_len(&v->refusal) > 0 && ssh_channel_is_open(v->tech_chan)) {
			uint32_t window = ssh_channel_window_size(v->tech_chan);
			uint32_t n = buf_len(&v->refusal) < window ? (uint32_t)buf_len(&v->refusal) : window;
			int w = n ? ssh_channel_write(v->tech_chan, buf_ptr(&v->refusal), n) : 0;

			if (w > 0)
				buf_consume(&v->refusal, (size_t)w);
			if (w < 0)
				buf_reset(&v->refusal);
		}
		if (buf_len(&v->refusal) == 0) {
			relay_viewer_close_chan(v->tech_chan);
			relay_viewer_close_chan(v->cust_chan);
			v->state = VIEWER_DONE;
		}
		return;
	case VIEWER_DONE:
		return;
	}
}

/* src holds bytes libssh has read, and dst has window for them. */
static bool relay_viewer_waiting(ssh_channel src, ssh_channel dst)
{
	return src != NULL && dst != NULL && ssh_channel_is_open(dst) && ssh_channel_window_size(dst) > 0 &&
	       ssh_channel_poll(src, 0) > 0;
}

/*
 * libssh reads whole packets from a session's socket whenever any of its
 * channels is read, so bytes for one splice can land in its buffer while
 * the loop reads another; no descriptor then says they are there, and
 * without this the loop would sleep until its next deadline.
 */
bool relay_viewer_pending(struct relay *relay)
{
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next)
		if (v->state == VIEWER_SPLICING && !relay_record_held(v) &&
		    (relay_viewer_waiting(v->cust_chan, v->tech_chan) || relay_viewer_waiting(v->tech_chan, v->cust_chan)))
			return true;
	return false;
}

void relay_viewer_conn_lost(struct relay *relay, struct relay_conn *conn)
{
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next) {
		if (v->tech == conn) {
			/* The session's channels die with it in ssh_free. */
			v->tech_chan = NULL;
			if (v->state == VIEWER_SPLICING)
				relay_viewer_finish(relay, v, NULL);
			else if (v->state != VIEWER_DONE)
				relay_viewer_tell_customer(v, CTL_VIEWER_LEFT);
			relay_viewer_close_chan(v->cust_chan);
			v->tech = NULL;
			v->state = VIEWER_DONE;
		}
		if (v->customer == conn) {
			const char *why = relay_viewer_customer_gone(conn, true);

			v->cust_chan = NULL;
			v->customer = NULL;
			if (v->state == VIEWER_SPLICING || v->state == VIEWER_DONE) {
				if (v->state == VIEWER_SPLICING)
					relay_viewer_tell_tech(v, why);
				relay_viewer_close_chan(v->tech_chan);
				v->state = VIEWER_DONE;
			} else {
				char reason[RELAY_RFB_REASON_MAX];

				snprintf(reason, sizeof(reason), "Handoff: %s", conn->ending ? why : "the customer left");
				relay_viewer_refuse(v, reason);
			}
		}
	}
}

void relay_viewer_detach_others(struct relay *relay, int64_t ticket, int64_t keep_user_id, const char *why)
{
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next) {
		if (v->ticket != ticket || v->state == VIEWER_DONE || v->tech == NULL ||
		    v->tech->user.id == keep_user_id)
			continue;
		log_info("viewer %u: %s", v->id, why);
		if (v->state == VIEWER_SPLICING) {
			relay_viewer_finish(relay, v, why);
		} else {
			char reason[RELAY_RFB_REASON_MAX];

			snprintf(reason, sizeof(reason), "Handoff: %s", why);
			relay_viewer_tell_customer(v, CTL_VIEWER_LEFT);
			relay_viewer_refuse(v, reason);
		}
	}
}

void relay_viewer_customer_ending(struct relay *relay, struct relay_conn *customer)
{
	(void)relay;
	customer->ending = true;
	log_info("conn %u: the customer ended the session of ticket %lld", customer->id, (long long)customer->ticket);
}

int relay_viewer_ask_control(struct relay *relay, int64_t ticket, const struct store_user *user,
			     char *out, size_t outlen, char *err, size_t errlen)
{
	unsigned asked = 0, controlling = 0;

	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next) {
		if (v->ticket == ticket && v->tech != NULL && v->tech->user.id == user->id && v->route != NULL &&
		    v->state == VIEWER_SPLICING && relay_route_ask_control(v->route) == 0) {
			/* Whether it already has control is the far relay's to know; it answers in the log. */
			asked++;
			log_info("viewer %u: %s (%s) asks to control ticket %lld on the relay the customer is on", v->id,
				 user->name, user->tier, (long long)ticket);
			continue;
		}
		if (v->ticket != ticket || v->tech == NULL || v->tech->user.id != user->id || v->customer == NULL ||
		    (v->state != VIEWER_OPENING && v->state != VIEWER_SPLICING))
			continue;
		if (v->caps & CTL_CAP_CONTROL) {
			controlling++;
			continue;
		}
		asked++;
		if (v->reasking)
			continue;  /* the question is on the customer's screen already */
		v->asked = CTL_CAP_VIEW | CTL_CAP_CONTROL;
		v->reasking = true;
		relay_viewer_tell_customer(v, CTL_CONSENT_ASK);
		relay_viewer_event(relay, v, EVENT_CONSENT_ASKED, "view,control");
		log_info("viewer %u: %s (%s) asks to control ticket %lld; waiting for the customer", v->id,
			 user->name, user->tier, (long long)ticket);
	}
	if (asked > 0) {
		snprintf(out, outlen, "asked the customer for control of ticket %lld\n", (long long)ticket);
		return 0;
	}
	if (controlling > 0)
		snprintf(err, errlen, "you control ticket %lld already", (long long)ticket);
	else
		snprintf(err, errlen, "you are not viewing ticket %lld (start view %lld first)", (long long)ticket,
			 (long long)ticket);
	return -1;
}

void relay_viewer_free(struct relay_viewer *v)
{
	if (v->tech_chan != NULL)
		ssh_channel_free(v->tech_chan);
	/* A routed view's channel belongs to its route's session. */
	if (v->cust_chan != NULL && v->route == NULL)
		ssh_channel_free(v->cust_chan);
	relay_route_free(v->route);
	buf_free(&v->refusal);
	free(v);
}
