/*
 * peerchat.c: chat lines that other relays of the same store write, and
 * their customers' pauses, for this relay's customers and live chat
 * streams.
 *
 * A technician on relay A chats with a customer whose helper is on relay B
 * (route.c routes the screen): the line is a chat record in the shared
 * chain, written by A, which has no control channel to that helper. So
 * every relay reads the chain once a second from where it last stopped and
 * hands each chat record it did not write itself to ticket.c, which sends
 * it to its own customer of the ticket (a technician's line) and to its
 * own `chat N` streams (anyone's); a customer's pause or resume on another
 * relay is told to this relay's chat streams the same way (the picture
 * itself stops in the helper, so a routed stream pauses with no help). The chain is the one ordered log every
 * relay already shares, and its appends take turns on one lock, so a seq
 * read once is never followed by a lower one committed later: a plain
 * "seq > last" never misses a line. Lines this relay wrote are delivered
 * at once by ticket.c and skipped here (relay->chat_tail.own).
 *
 * Not LISTEN/NOTIFY: that exists on PostgreSQL only, needs a second
 * connection held outside store.h and still a catch-up read after every
 * reconnection, which is this read. The price is up to a second more for
 * a line that crosses relays, and one indexed range read a second.
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "relay.h"

int relay_peerchat_start(struct relay *relay, char *err, size_t errlen)
{
	uint8_t hash[STORE_HASH_LEN];
	struct relay_chat_tail *t = &relay->chat_tail;

	if (store_chain_head(relay->store, &t->seq, hash) != STORE_OK) {
		snprintf(err, errlen, "cannot read the chain's head");
		return -1;
	}
	t->started = true;
	return 0;
}

/* The records another relay's customers and views must hear of. */
static bool relay_peerchat_kind(const char *kind)
{
	static const char *const kinds[] = { EVENT_CHAT,	      EVENT_SHARING_PAUSED, EVENT_SHARING_RESUMED,
					     EVENT_DESKTOP_REFUSED, EVENT_DESKTOP_BACK,	  EVENT_ESCALATED,
					     EVENT_TAKEN,	      EVENT_RESOLVED };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

struct relay_peerchat_read {
	struct relay *relay;
	size_t own_at;
	int64_t last;
};

static int relay_peerchat_link(const struct store_link *l, void *ctx)
{
	struct relay_peerchat_read *r = ctx;
	struct relay_chat_tail *t = &r->relay->chat_tail;

	r->last = l->seq;
	while (r->own_at < t->n && t->own[r->own_at] < l->seq)
		r->own_at++;
	if (r->own_at < t->n && t->own[r->own_at] == l->seq)
		return 0;
	if (l->event.kind != NULL && relay_peerchat_kind(l->event.kind))
		relay_ticket_peer_event(r->relay, &l->event, l->ticket);
	return 0;
}

void relay_peerchat_tick(struct relay *relay)
{
	struct relay_chat_tail *t = &relay->chat_tail;
	struct relay_peerchat_read r = { .relay = relay, .last = t->seq };
	size_t keep = 0;

	if (!t->started)
		return;
	if (store_chain_links(relay->store, t->seq + 1, 0, relay_peerchat_link, &r) != STORE_OK) {
		log_debug("peer chat: the chain could not be read; next second");
		return;
	}
	t->seq = r.last;
	for (size_t i = 0; i < t->n; i++)
		if (t->own[i] > t->seq)
			t->own[keep++] = t->own[i];
	t->n = keep;
}

void relay_peerchat_stop(struct relay *relay)
{
	free(relay->chat_tail.own);
	relay->chat_tail = (struct relay_chat_tail){ 0 };
}
