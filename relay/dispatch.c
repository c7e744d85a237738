/*
 * dispatch.c: where a record from a customer's helper goes. chan.c decodes
 * the control stream and hands each record up through relay->hooks (it is
 * transport and knows no ticket); this file sends it to the room that owns
 * what it says: consent and ending to viewer.c, chat, logs and sharing to
 * ticket.c.
 */
#include "log.h"
#include "relay.h"

void relay_dispatch_record(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec)
{
	/* A session the relay ended changes its ticket no more. */
	if (customer->ending_at != 0)
		log_info("conn %u: ignoring a %s record after the session ended", customer->id,
			 ctl_type_name(rec->type));
	else if (rec->type == CTL_CONSENT_REPLY)
		relay_viewer_consent_reply(relay, customer, rec);
	else if (rec->type == CTL_CHAT)
		relay_ticket_chat(relay, customer->ticket, "customer", "customer", rec->text ? rec->text : "");
	else if (rec->type == CTL_LOGS_DATA)
		relay_ticket_logs_data(relay, customer, rec);
	else if (rec->type == CTL_SHARING && rec->flags == CTL_SHARING_ENDED)
		relay_viewer_customer_ending(relay, customer);
	else if (rec->type == CTL_SHARING)
		relay_ticket_sharing(relay, customer, rec);
	else if (rec->type == CTL_INPUT_IGNORED)
		relay_ticket_input_ignored(relay, customer, rec);
	else if (rec->type == CTL_ANSWERED)
		relay_ticket_answered(relay, customer, rec);
	else
		log_info("conn %u: ignoring a %s record from the helper", customer->id, ctl_type_name(rec->type));
}
