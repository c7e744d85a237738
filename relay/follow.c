/*
 * follow.c: live chat streams (`chat N`). An exec channel becomes a
 * follower of a ticket's chat: it gets the transcript so far, then every
 * new line (ticket.c broadcasts through chan.c), and what the technician
 * types into it is said on the ticket if the ticket is still theirs to
 * chat on. chan.c moves the bytes and hands typed lines up through
 * relay->hooks; exec.c starts a stream here; nothing here calls back up.
 */
#include <string.h>

#include "event.h"
#include "relay.h"
#include "utf8.h"

static int relay_follow_replay_line(const struct store_event *e, void *ctx)
{
	struct relay_chan *ch = ctx;
	char line[RELAY_CHAT_LINE_MAX];

	relay_ticket_chat_line(e, line, sizeof(line));
	return buf_put(&ch->out, line, strlen(line)) != 0;
}

void relay_follow_chat(struct relay *relay, struct relay_chan *ch, int64_t ticket)
{
	ch->kind = RELAY_CHAN_CHAT;
	ch->chat_ticket = ticket;
	buf_reset(&ch->in);
	/* Other relays' lines up to now go out first, so the replay below is not followed by them again. */
	relay_peerchat_tick(relay);
	store_events(relay->store, ticket, EVENT_CHAT, relay_follow_replay_line, ch);
}

void relay_follow_said(struct relay *relay, struct relay_chan *ch, const char *text, size_t len)
{
	struct store_ticket t;
	char why[200];

	/* A NUL inside the line (strlen stops short of len) is not text. */
	if (len == 0 || strlen(text) != len || len > CTL_TEXT_MAX || !utf8_valid(text, len) ||
	    store_ticket_get(relay->store, ch->chat_ticket, &t) != STORE_OK)
		return;
	/* Rights are asked at every line: the ticket may have moved to another tier since the stream began. */
	if (relay_rights_check(ch->conn->role, &ch->conn->user, RELAY_ACT_CHAT, &t, why, sizeof(why)) == 0) {
		relay_ticket_chat(relay, ch->chat_ticket, ch->conn->user.name, ch->conn->user.tier, text);
	} else {
		buf_put(&ch->err, why, strlen(why));
		buf_put_u8(&ch->err, '\n');
	}
}
