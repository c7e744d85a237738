/*
 * dispatch.c: where a record from a customer's helper goes. chan.c decodes
 * the control stream and hands each record up through relay->hooks (it is
 * transport and knows no ticket); this file sends it to the room that owns
 * what it says: consent and ending to viewer.c, chat, logs and sharing to
 * ticket.c. Records that become events pass the session's and its intake
 * token's budgets first (rate.h).
 */
#include "log.h"
#include "relay.h"

/* One log line a minute at most for a session over its budget: the flood must not move to the log. */
#define RELAY_DROPPED_LOG_MS 60000

/* Whether a record is one a flood is made of (rate.h says which are never limited, and why). */
static bool relay_dispatch_limited(const struct ctl_record *rec)
{
	return rec->type == CTL_CHAT || (rec->type == CTL_SHARING && rec->flags != CTL_SHARING_ENDED) ||
	       rec->type == CTL_INPUT_IGNORED || rec->type == CTL_ANSWERED || rec->type == CTL_RESUME ||
	       rec->type == CTL_DESKTOP;
}

/* The budget of the intake token that opened the session: a slot of its own, or the stalest one. */
/* When a slot was last used, by a record or a search. */
static int64_t relay_dispatch_used_ms(const struct relay_intake_budget *b)
{
	return b->rate.at_ms > b->searches.at_ms ? b->rate.at_ms : b->searches.at_ms;
}

struct relay_intake_budget *relay_dispatch_intake_budget(struct relay *relay, int64_t intake)
{
	struct relay_intake_budget *stalest = &relay->intake_budgets[0];

	for (size_t i = 0; i < RELAY_INTAKE_BUDGETS; i++) {
		struct relay_intake_budget *b = &relay->intake_budgets[i];

		if (b->intake == intake)
			return b;
		if (b->intake == 0 || (stalest->intake != 0 && relay_dispatch_used_ms(b) < relay_dispatch_used_ms(stalest)))
			stalest = b;
	}
	*stalest = (struct relay_intake_budget){ .intake = intake };
	return stalest;
}

static bool relay_dispatch_fits(struct relay *relay, struct relay_conn *customer)
{
	struct relay_rate *intake = customer->opened_by_intake == 0
					    ? NULL
					    : &relay_dispatch_intake_budget(relay, customer->opened_by_intake)->rate;

	return relay_rate_take_both(&customer->budget, relay->home->customer_events_per_minute, intake,
				    relay->home->intake_events_per_minute, relay_now_ms(relay));
}

static void relay_dispatch_drop(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec)
{
	int64_t now_ms = relay_now_ms(relay);

	if (rec->type == CTL_CHAT)
		customer->dropped_chat++;
	else
		customer->dropped_other++;
	if (customer->dropped_logged_ms == 0 || now_ms - customer->dropped_logged_ms >= RELAY_DROPPED_LOG_MS) {
		customer->dropped_logged_ms = now_ms;
		log_warn("conn %u: the customer's helper of ticket %lld is over its budget (%lu records a minute%s); "
			 "what it sends is not recorded until it slows down", customer->id, (long long)customer->ticket,
			 relay->home->customer_events_per_minute,
			 customer->opened_by_intake != 0 ? ", or its intake token's" : "");
	}
}

void relay_dispatch_record(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec)
{
	/* A session the relay ended changes its ticket no more. */
	if (customer->ending_at != 0) {
		log_info("conn %u: ignoring a %s record after the session ended", customer->id,
			 ctl_type_name(rec->type));
		return;
	}
	if (relay_dispatch_limited(rec)) {
		if (!relay_dispatch_fits(relay, customer)) {
			relay_dispatch_drop(relay, customer, rec);
			return;
		}
		/* The flood stopped: what was left out is said once, before what comes now. */
		relay_ticket_customer_dropped(relay, customer);
	}
	if (rec->type == CTL_CONSENT_REPLY)
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
	else if (rec->type == CTL_DESKTOP)
		relay_ticket_desktop(relay, customer, rec);
	else if (rec->type == CTL_RESUME)
		relay_ticket_resume_token(relay, customer);
	else
		log_info("conn %u: ignoring a %s record from the helper", customer->id, ctl_type_name(rec->type));
}
