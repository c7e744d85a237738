/*
 * ticket.c: what happens to a ticket, whoever causes it: a technician's
 * command, the customer's helper, or the escalation policy. Each change is
 * written to the store first (in one transaction where it touches several
 * rows), then told to the live parties: the customer's helper through its
 * control channel, technicians following the chat through their streams.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "code.h"
#include "event.h"
#include "hex.h"
#include "log.h"
#include "audit.h"
#include "ledger.h"
#include "relay.h"
#include "textesc.h"
#include "timefmt.h"
#include "sla.h"
#include "triage.h"

/* A log bundle larger than this is cut; the helper caps its own at the same size. */
#define RELAY_LOGS_MAX (1024u * 1024)

/* Something that may bring an SLA deadline closer happened to a ticket: the next tick scans. */
static void relay_ticket_sla_changed(struct relay *relay)
{
	relay->sla_known = false;
}

static struct relay_chan *relay_ticket_control(struct relay *relay, int64_t ticket)
{
	struct relay_conn *customer = relay_conn_live_customer(relay, ticket);

	return customer ? customer->control : NULL;
}

void relay_ticket_status(struct relay *relay, int64_t ticket, const char *text)
{
	struct relay_chan *control = relay_ticket_control(relay, ticket);
	struct ctl_record rec = { .type = CTL_STATUS, .text = (char *)(uintptr_t)text };

	if (control != NULL)
		relay_chan_send_ctl(control, &rec);
}

void relay_ticket_notice(struct relay *relay, int64_t ticket, uint8_t kind, const char *name, const char *tier,
			 const char *text)
{
	struct relay_chan *control = relay_ticket_control(relay, ticket);
	struct ctl_record rec = { .type = CTL_NOTICE,
				  .flags = kind,
				  .name = (char *)(uintptr_t)name,
				  .tier = (char *)(uintptr_t)tier,
				  .text = (char *)(uintptr_t)text };

	if (control != NULL)
		relay_chan_send_ctl(control, &rec);
}

/*
 * Escaped on the way out, never in the store (the event keeps what was
 * said, byte for byte, and the chain hashes that): one chat line is one
 * line, so a customer's CR, LF or ESC cannot clear a screen, retitle a
 * terminal or forge a "[12:00] alice (L1): ..." line in `chat N`,
 * `transcript` or the transcript an escalation freezes.
 */
void relay_ticket_chat_line(const struct store_event *e, char *out, size_t outlen)
{
	char when[16], actor[256], role[64], *text = malloc(RELAY_CHAT_LINE_MAX);

	if (text == NULL) {
		snprintf(out, outlen, "(out of memory)\n");
		return;
	}
	timefmt_utc(e->at, TIMEFMT_CLOCK, when, sizeof(when));
	textesc_string(e->detail, NULL, text, RELAY_CHAT_LINE_MAX);
	textesc_string(e->actor, NULL, actor, sizeof(actor));
	textesc_string(e->role, NULL, role, sizeof(role));
	if (strcmp(e->role, "customer") == 0)
		snprintf(out, outlen, "[%s] customer: %s\n", when, text);
	else
		snprintf(out, outlen, "[%s] %s (%s): %s\n", when, actor, role, text);
	free(text);
}

/* The customer is back (a chat line, a connection): a paused ticket's clocks run again. */
static void relay_ticket_sla_resume(struct relay *relay, int64_t ticket, const char *why)
{
	int64_t now = relay_now(relay), paused = 0;
	char detail[128];

	if (store_begin(relay->store) != STORE_OK)
		return;
	if (store_ticket_sla_resume(relay->store, ticket, now, &paused) != STORE_OK) {
		store_rollback(relay->store);
		return;
	}
	relay_ticket_sla_changed(relay);
	snprintf(detail, sizeof(detail), "%s; the clocks were paused %lld s", why, (long long)paused);
	if (relay_audit_event(relay->store, ticket, now, EVENT_SLA_RESUMED, "customer", "customer", NULL, detail) !=
		    STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		return;
	}
	log_info("ticket %lld: SLA clocks run again (%s)", (long long)ticket, detail);
}

static void relay_ticket_sharing_line(int64_t at, bool paused, char *line, size_t linelen)
{
	char when[16];

	timefmt_utc(at, TIMEFMT_CLOCK, when, sizeof(when));
	snprintf(line, linelen, "[%s] the customer %s sharing\n", when, paused ? "paused" : "resumed");
}

/* A CTL_DESKTOP change as the event's detail: the relay's words, never the helper's. */
static void relay_ticket_desktop_words(uint8_t flags, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	if (flags == 0) {
		snprintf(out, outlen, "the customer's normal desktop is back: the picture and control work again");
		return;
	}
	if (flags & CTL_DESKTOP_SECURE)
		used += (size_t)snprintf(out + used, outlen - used,
					 "the customer's screen shows an administrator prompt or another secure Windows "
					 "screen (UAC, sign-in, lock), which the helper can neither see nor control: ask "
					 "them to answer it; the picture is the last one from before");
	else if (flags & CTL_DESKTOP_INPUT)
		used += (size_t)snprintf(out + used, outlen - used,
					 "Windows refuses your input on the customer's screen: a window running as "
					 "administrator is in front; ask the customer to use it themselves or close it");
	if ((flags & CTL_DESKTOP_CAPTURE) && used < outlen)
		snprintf(out + used, outlen - used, "%sWindows does not let the helper read the customer's screen; the "
			 "picture is the last one that could be read", used > 0 ? "; " : "");
}

static void relay_ticket_desktop_line(int64_t at, const char *words, char *line, size_t linelen)
{
	char when[16];

	timefmt_utc(at, TIMEFMT_CLOCK, when, sizeof(when));
	snprintf(line, linelen, "[%s] %s\n", when, words);
}

/*
 * A line this relay wrote and already delivered: peerchat.c skips it. The
 * list is emptied up to what the tail has read once a second; past its cap
 * (a flood of lines within one second) a line may reach this relay's
 * streams twice, which is better than an unbounded list.
 */
#define RELAY_CHAT_OWN_MAX 65536
static void relay_ticket_chat_own(struct relay *relay, int64_t seq)
{
	struct relay_chat_tail *t = &relay->chat_tail;

	if (!t->started || seq <= t->seq)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		int64_t *grown = cap <= RELAY_CHAT_OWN_MAX ? realloc(t->own, cap * sizeof(*grown)) : NULL;

		if (grown == NULL)
			return;
		t->own = grown;
		t->cap = cap;
	}
	t->own[t->n++] = seq;
}


int relay_ticket_chat(struct relay *relay, int64_t ticket, const char *author, const char *role,
		      const char *text)
{
	struct store_event e = { .at = relay_now(relay), .kind = EVENT_CHAT, .actor = author, .role = role,
				 .clearance = "", .detail = text };
	char line[RELAY_CHAT_LINE_MAX];
	int64_t seq = 0;

	if (relay_audit_event_seq(relay->store, ticket, e.at, EVENT_CHAT, author, role, NULL, text, &seq) != STORE_OK)
		return -1;
	relay_ticket_chat_own(relay, seq);
	if (strcmp(role, "customer") == 0)
		relay_ticket_sla_resume(relay, ticket, "the customer wrote");
	else if (store_ticket_first_response(relay->store, ticket, e.at, NULL) == STORE_OK)
		relay_ticket_sla_changed(relay);
	if (strcmp(role, "customer") != 0) {
		struct relay_chan *control = relay_ticket_control(relay, ticket);
		struct ctl_record rec = { .type = CTL_CHAT, .name = (char *)(uintptr_t)author,
					  .tier = (char *)(uintptr_t)role, .text = (char *)(uintptr_t)text };

		if (control != NULL)
			relay_chan_send_ctl(control, &rec);
	}
	relay_ticket_chat_line(&e, line, sizeof(line));
	relay_chan_chat_broadcast(relay, ticket, line);
	return 0;
}

/*
 * The columns a new ticket starts with, as a record (ledger.h): without it
 * the tier, priority and first owner of a row would be the table's word
 * alone, and verify could not check them.
 */
static int relay_ticket_opened_as(struct relay *relay, int64_t ticket, int64_t now,
				  const struct store_ticket_spec *spec, const char *owner, const char *actor,
				  const char *role)
{
	char detail[STORE_TEXT_MAX + STORE_NAME_MAX + 64];

	relay_ledger_opened_as(detail, sizeof(detail), spec->tier, spec->priority, owner, spec->summary);
	return relay_audit_event(relay->store, ticket, now, EVENT_OPENED_AS, actor, role, NULL, detail);
}

/* The role an account's records carry: a technician's tier, else its role ("desk"). */
static const char *relay_ticket_actor_role(const struct store_user *by)
{
	return by->tier[0] ? by->tier : by->role;
}

int relay_ticket_open(struct relay *relay, const struct store_ticket_spec *spec, const struct store_user *by,
		      int64_t *id)
{
	int64_t now = relay_now(relay);
	const char *role = relay_ticket_actor_role(by);
	/*
	 * A technician who opens a ticket is talking to the customer already:
	 * that is the first response. The desk's system is not a technician:
	 * its tickets wait for one, and their clock runs.
	 */
	bool responded = strcmp(by->role, "desk") != 0;

	if (store_begin(relay->store) != STORE_OK ||
	    store_ticket_new(relay->store, spec, now, id) != STORE_OK ||
	    (responded && store_ticket_first_response(relay->store, *id, now, NULL) != STORE_OK) ||
	    relay_audit_event(relay->store, *id, now, EVENT_CREATED, by->name, role, NULL, spec->summary) != STORE_OK ||
	    relay_ticket_opened_as(relay, *id, now, spec, spec->owner_id != 0 ? by->name : NULL, by->name,
				   role) != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		return -1;
	}
	log_info("%s opened ticket %lld (%s, %s)", by->name, (long long)*id, spec->priority, spec->tier);
	relay_ticket_sla_changed(relay);
	relay_knowledge_suggest(relay, *id, "on opening", spec->summary);
	return 0;
}

int relay_ticket_open_intake(struct relay *relay, const struct store_ticket_spec *spec, int64_t intake,
			     const char *detail, int64_t *id)
{
	int64_t now = relay_now(relay);

	/* The token's use is counted in the same transaction: no ticket without its use, and no use without it. */
	if (store_begin(relay->store) != STORE_OK)
		return -1;
	if (store_ticket_new(relay->store, spec, now, id) != STORE_OK ||
	    store_intake_use(relay->store, intake, *id, now) != STORE_OK ||
	    relay_audit_event(relay->store, *id, now, EVENT_TICKET_OPENED_BY_CUSTOMER, "customer", "customer", NULL,
			    detail) != STORE_OK ||
	    relay_ticket_opened_as(relay, *id, now, spec, NULL, "customer", "customer") != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		return -1;
	}
	relay_ticket_sla_changed(relay);
	relay_knowledge_suggest(relay, *id, "on opening", spec->summary);
	return 0;
}

int relay_ticket_note(struct relay *relay, int64_t ticket, const struct store_user *by, bool sensitive,
		      const char *text)
{
	return relay_audit_event(relay->store, ticket, relay_now(relay), EVENT_NOTE, by->name, by->tier,
			       sensitive ? by->tier : NULL, text) == STORE_OK ? 0 : -1;
}

int relay_ticket_invite(struct relay *relay, int64_t ticket, const struct store_user *by, char *text,
			int *replaced)
{
	struct relay_home *home = relay->home;
	char digits[CODE_DIGITS + 1];
	uint8_t hash[CODE_HASH_LEN];
	int64_t now = relay_now(relay);
	int rc = STORE_ERR;

	*replaced = 0;
	/* A locator already taken by a live code is drawn again. */
	for (int attempt = 0; attempt < 32; attempt++) {
		if (code_generate(text) != 0 || code_parse(text, digits) != 0 ||
		    code_hash(home->code_key, sizeof(home->code_key), digits, hash) != 0)
			break;
		rc = store_code_add(relay->store, ticket, code_locator(digits), hash, now,
				    now + (int64_t)home->code_ttl, replaced);
		if (rc != STORE_ERR_EXISTS)
			break;
	}
	OPENSSL_cleanse(digits, sizeof(digits));
	if (rc != STORE_OK) {
		OPENSSL_cleanse(text, CODE_TEXT_MAX);
		return -1;
	}
	if (*replaced > 0)
		relay_audit_event(relay->store, ticket, now, EVENT_CODE_CANCELLED, by->name, relay_ticket_actor_role(by),
				NULL, "replaced by a new code");
	relay_audit_event(relay->store, ticket, now, EVENT_CODE_ISSUED, by->name, relay_ticket_actor_role(by), NULL,
			  NULL);
	log_info("%s issued a support code for ticket %lld%s", by->name, (long long)ticket,
		 *replaced > 0 ? " (the previous one is cancelled)" : "");
	return 0;
}

struct relay_transcript {
	struct buf text;
	int lines;
};

static int relay_transcript_add(const struct store_event *e, void *ctx)
{
	struct relay_transcript *t = ctx;
	char line[RELAY_CHAT_LINE_MAX];

	relay_ticket_chat_line(e, line, sizeof(line));
	/* The cap only bounds a pathological ticket; a full one keeps its start. */
	buf_put(&t->text, line, strlen(line));
	t->lines++;
	return 0;
}

/* clearance: "" (anyone may read it) or the lowest tier that may (relay_rights_can_read). */
static int relay_ticket_attach(struct relay *relay, int64_t ticket, int64_t now, const char *kind,
			       const char *name, const char *author, const char *role, const char *clearance,
			       const void *data, size_t len)
{
	char sha[65], detail[2 * EVENT_NAME_MAX + 128];
	uint8_t digest[CHAIN_HASH_LEN];
	int64_t id;

	if (store_attachment_add(relay->store, ticket, now, kind, name, author, clearance, data, len, &id, sha) !=
	    STORE_OK)
		return -1;
	/* A name the verifier would refuse still gets its event, saying what fits: the attachment is stored. */
	if (hex_decode(sha, 2 * CHAIN_HASH_LEN, digest, CHAIN_HASH_LEN) != 0 ||
	    event_attachment_format(detail, sizeof(detail), id, kind, name, len, digest) != 0) {
		log_error("ticket %lld: attachment #%lld: no attachment-added detail for it", (long long)ticket,
			  (long long)id);
		snprintf(detail, sizeof(detail), "#%lld %s", (long long)id, kind);
	}
	return relay_audit_event(relay->store, ticket, now, EVENT_ATTACHMENT_ADDED, author, role, NULL, detail);
}

static void relay_ticket_ask_logs(struct relay *relay, int64_t ticket, const char *by, const char *by_tier,
				  const char *clearance)
{
	struct relay_conn *customer = relay_conn_live_customer(relay, ticket);
	int64_t now = relay_now(relay);
	struct ctl_record ask = { .type = CTL_LOGS_ASK };

	/* The relay that holds the customer asks when it reads the escalation (peerchat.c). */
	if (customer == NULL && relay_route_held_elsewhere(relay, ticket))
		return;
	if (customer == NULL) {
		relay_audit_event(relay->store, ticket, now, EVENT_LOGS_UNAVAILABLE, "relay", "relay", NULL,
				"no live session to collect logs from");
		return;
	}
	if (customer->logs_request != 0) {
		/* One bundle at a time; it attaches to this ticket when it comes, as hidden as the latest ask. */
		if (relay_tier_rank(clearance) > relay_tier_rank(customer->logs_clearance))
			snprintf(customer->logs_clearance, sizeof(customer->logs_clearance), "%s", clearance);
		return;
	}
	relay->next_logs_request = relay->next_logs_request % 0x7fffffffu + 1;
	customer->logs_request = relay->next_logs_request;
	customer->logs_ticket = ticket;
	snprintf(customer->logs_clearance, sizeof(customer->logs_clearance), "%s", clearance);
	customer->logs_truncated = false;
	buf_free(&customer->logs);
	buf_init(&customer->logs, RELAY_LOGS_MAX);
	ask.viewer_id = customer->logs_request;
	ask.ticket = (uint32_t)ticket;
	ask.name = (char *)(uintptr_t)by;
	ask.tier = (char *)(uintptr_t)by_tier;
	ask.text = relay->home->log_sources;
	relay_chan_send_ctl(customer->control, &ask);
	relay_audit_event(relay->store, ticket, now, EVENT_LOGS_REQUESTED, by, by_tier, NULL, relay->home->log_sources);
}

/*
 * What an escalation does to this relay's views and customer, wherever it
 * was recorded: the ticket has no owner now, so nobody may act on the
 * customer's machine: every view ends (control and all; the customer's
 * banner drops the name), and the next tier's view comes after `take` and
 * a new yes. A view-only downgrade would keep an unowned watcher on the
 * screen. The customer is asked for the log bundle here, where they are.
 */
static void relay_ticket_escalated_here(struct relay *relay, int64_t ticket, const char *to_tier, const char *actor,
					const char *role, const char *clearance)
{
	char status[256], why[128];

	snprintf(why, sizeof(why), "ticket %lld was escalated to %s; views end until the next tier takes it",
		 (long long)ticket, to_tier);
	relay_viewer_detach_others(relay, ticket, 0, why);
	snprintf(status, sizeof(status),
		 "Your request has been passed to a specialist (%s). Please wait: your session stays open.", to_tier);
	relay_ticket_notice(relay, ticket, CTL_NOTICE_ESCALATED, "", to_tier, status);
	relay_ticket_ask_logs(relay, ticket, actor, role, clearance);
}

static int relay_ticket_escalate_as(struct relay *relay, int64_t ticket, const struct store_user *by,
				    const char *to_tier, const char *note, const char *forced, char *err, size_t errlen)
{
	const char *actor = by ? by->name : "policy";
	const char *role = by ? by->tier : "relay";
	struct relay_transcript transcript = { .lines = 0 };
	struct store_ticket t;
	int64_t now = relay_now(relay), seq = 0;
	char name[64], detail[CTL_TEXT_MAX + 64], clearance[4] = "";
	int rc = -1;

	buf_init(&transcript.text, 4u * 1024 * 1024);
	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "the store is busy");
		goto out;
	}
	if (store_ticket_get(relay->store, ticket, &t) != STORE_OK) {
		snprintf(err, errlen, "no ticket %lld", (long long)ticket);
		goto rollback;
	}
	if (relay_tier_rank(to_tier) <= relay_tier_rank(t.tier)) {
		snprintf(err, errlen, "ticket %lld is already at %s; escalate to a higher tier", (long long)ticket, t.tier);
		goto rollback;
	}
	/*
	 * What an escalation from L2 or above hands over (transcript, note, the
	 * note in the event, the log bundle) is sensitive at the tier it was made
	 * at: L1 staff are kept from confidential material (DESIGN.md), and by
	 * then the case holds what L2 found. From L1 nothing is hidden: L1 wrote it.
	 */
	if (relay_tier_rank(t.tier) > relay_tier_rank("L1"))
		snprintf(clearance, sizeof(clearance), "%s", t.tier);
	/* The transcript is frozen as it stands: the next tier reads what was said. */
	if (store_events(relay->store, ticket, EVENT_CHAT, relay_transcript_add, &transcript) != STORE_OK)
		goto store_failed;
	snprintf(name, sizeof(name), "transcript-%s-to-%s.txt", t.tier, to_tier);
	if (relay_ticket_attach(relay, ticket, now, "transcript", name, actor, role, clearance,
				buf_ptr(&transcript.text), buf_len(&transcript.text)) != 0)
		goto store_failed;
	if (note != NULL && note[0] != '\0') {
		snprintf(name, sizeof(name), "handover-%s-to-%s.txt", t.tier, to_tier);
		if (relay_ticket_attach(relay, ticket, now, "handover-note", name, actor, role, clearance, note,
					strlen(note)) != 0)
			goto store_failed;
	}
	snprintf(detail, sizeof(detail), "%s -> %s%s%s", t.tier, to_tier, note && note[0] ? ": " : "", note ? note : "");
	if (forced != NULL &&
	    relay_audit_event(relay->store, ticket, now, EVENT_ESCALATION_FORCED, actor, role, clearance, forced) != STORE_OK)
		goto store_failed;
	if (store_ticket_update(relay->store, ticket, "escalated", to_tier, 0, now) != STORE_OK ||
	    relay_audit_event_seq(relay->store, ticket, now, EVENT_ESCALATED, actor, role, clearance, detail, &seq) !=
		    STORE_OK)
		goto store_failed;
	if (store_commit(relay->store) != STORE_OK)
		goto store_failed;
	relay_ticket_chat_own(relay, seq);
	log_info("ticket %lld escalated %s -> %s by %s (%d transcript lines)", (long long)ticket, t.tier, to_tier,
		 actor, transcript.lines);
	/* What the next tier may already know: the summary, what was said and the handover note. */
	buf_put(&transcript.text, "\n", 1);
	buf_put(&transcript.text, t.summary, strlen(t.summary));
	if (note != NULL) {
		buf_put(&transcript.text, "\n", 1);
		buf_put(&transcript.text, note, strlen(note));
	}
	if (buf_put(&transcript.text, "", 1) == 0)
		relay_knowledge_suggest(relay, ticket, "on escalation", (const char *)buf_ptr(&transcript.text));
	relay_ticket_escalated_here(relay, ticket, to_tier, actor, role, clearance);
	rc = 0;
	goto out;
store_failed:
	snprintf(err, errlen, "the store failed; nothing was changed");
rollback:
	store_rollback(relay->store);
out:
	buf_free(&transcript.text);
	return rc;
}

int relay_ticket_escalate(struct relay *relay, int64_t ticket, const struct store_user *by,
			  const char *to_tier, const char *note, char *err, size_t errlen)
{
	return relay_ticket_escalate_as(relay, ticket, by, to_tier, note, NULL, err, errlen);
}

int relay_ticket_escalate_forced(struct relay *relay, int64_t ticket, const struct store_user *by,
				 const char *to_tier, const char *note, const char *forced, char *err, size_t errlen)
{
	return relay_ticket_escalate_as(relay, ticket, by, to_tier, note, forced, err, errlen);
}

int relay_ticket_triage(struct relay *relay, int64_t ticket, const struct store_user *by, int impact, int urgency,
			char priority[4], char moved_to[4], char *err, size_t errlen)
{
	const char *p = relay_triage_priority(&relay->home->priority_matrix, impact, urgency);
	int64_t now = relay_now(relay);
	struct store_ticket t;
	char detail[96], note[96];
	const char *start;

	priority[0] = moved_to[0] = '\0';
	if (p == NULL) {
		snprintf(err, errlen, "impact and urgency are high, medium or low");
		return -1;
	}
	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "the store is busy");
		return -1;
	}
	if (store_ticket_get(relay->store, ticket, &t) != STORE_OK) {
		store_rollback(relay->store);
		snprintf(err, errlen, "no ticket %lld", (long long)ticket);
		return -1;
	}
	relay_ledger_triaged(detail, sizeof(detail), relay_triage_level_name(impact), relay_triage_level_name(urgency),
			     t.priority, p);
	if (store_ticket_set_priority(relay->store, ticket, p, now) != STORE_OK ||
	    relay_audit_event(relay->store, ticket, now, EVENT_TRIAGED, by->name, by->tier, NULL, detail) != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		snprintf(err, errlen, "the store failed; nothing was changed");
		return -1;
	}
	snprintf(priority, 4, "%s", p);
	relay_ticket_sla_changed(relay);
	log_info("ticket %lld triaged by %s: %s", (long long)ticket, by->name, detail);
	/* A priority that starts higher moves the ticket there, as an escalation: the next tier's queue. */
	start = relay->home->start_tier[p[1] - '1'];
	if (relay_tier_rank(start) > relay_tier_rank(t.tier) && strcmp(t.state, "resolved") != 0 &&
	    strcmp(t.state, "closed") != 0) {
		snprintf(note, sizeof(note), "triage: %s starts at %s", p, start);
		if (relay_ticket_escalate(relay, ticket, by, start, note, err, errlen) != 0)
			return -1;
		snprintf(moved_to, 4, "%s", start);
	}
	return 0;
}

int relay_ticket_field(struct relay *relay, int64_t ticket, const struct store_user *by, bool sensitive,
		       const char *field, const char *text)
{
	char *detail;
	size_t n = strlen(field) + strlen(text) + 3;
	int rc;

	if ((detail = malloc(n)) == NULL)
		return -1;
	snprintf(detail, n, "%s: %s", field, text);
	rc = relay_audit_event(relay->store, ticket, relay_now(relay), EVENT_FIELD_SET, by->name, by->tier,
			       sensitive ? by->tier : NULL, detail);
	free(detail);
	return rc == STORE_OK ? 0 : -1;
}

int relay_ticket_wait(struct relay *relay, int64_t ticket, const struct store_user *by, char *err, size_t errlen)
{
	int64_t now = relay_now(relay);
	char when[16], line[160];
	int rc;

	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "the store is busy");
		return -1;
	}
	rc = store_ticket_sla_pause(relay->store, ticket, now);
	if (rc == STORE_ERR_EXISTS) {
		store_rollback(relay->store);
		snprintf(err, errlen, "ticket %lld is already waiting for the customer", (long long)ticket);
		return -1;
	}
	if (rc != STORE_OK ||
	    relay_audit_event(relay->store, ticket, now, EVENT_SLA_PAUSED, by->name, by->tier, NULL,
			      "waiting for the customer") != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		snprintf(err, errlen, "the store failed; nothing was changed");
		return -1;
	}
	log_info("ticket %lld: %s waits for the customer; SLA clocks paused", (long long)ticket, by->name);
	timefmt_utc(now, TIMEFMT_CLOCK, when, sizeof(when));
	snprintf(line, sizeof(line), "[%s] %s is waiting for the customer's answer\n", when, by->name);
	relay_chan_chat_broadcast(relay, ticket, line);
	return 0;
}

static void relay_ticket_sla_clock_of(const struct store_ticket *t, struct relay_sla_clock *c)
{
	c->opened_at = t->created_at;
	c->first_response_at = t->first_response_at;
	c->paused_since = t->sla_paused_since;
	c->paused = t->sla_paused;
}

struct relay_ticket_sla_scan {
	struct relay *relay;
	int64_t now;
	int64_t next;            /* relay_ticket_sla_scan_due: the earliest due, -1 if none */
	struct { int64_t id; int add; char priority[4]; int64_t used; } due[64];
	size_t count;
};

static int relay_ticket_sla_scan_due(const struct store_ticket *t, void *ctx);

static int relay_ticket_sla_scan_row(const struct store_ticket *t, void *ctx)
{
	struct relay_ticket_sla_scan *s = ctx;
	struct relay_sla_clock c;
	int add;

	relay_ticket_sla_clock_of(t, &c);
	add = relay_sla_due_flags(&s->relay->home->sla, t->priority, &c, t->sla_flags, s->now);
	if (add == 0)
		return relay_ticket_sla_scan_due(t, ctx);
	s->due[s->count].id = t->id;
	s->due[s->count].add = add;
	snprintf(s->due[s->count].priority, sizeof(s->due[s->count].priority), "%s", t->priority);
	s->due[s->count].used = relay_sla_used(&c, s->now);
	return ++s->count == sizeof(s->due) / sizeof(s->due[0]);
}

static int relay_ticket_sla_scan_due(const struct store_ticket *t, void *ctx)
{
	struct relay_ticket_sla_scan *s = ctx;
	struct relay_sla_clock c;
	int64_t due;

	relay_ticket_sla_clock_of(t, &c);
	due = relay_sla_next_due(&s->relay->home->sla, t->priority, &c, t->sla_flags, s->now);
	if (due >= 0 && (s->next < 0 || due < s->next))
		s->next = due;
	return 0;
}

/* The events one ticket's new flags say, and the flags, in one transaction. */
static void relay_ticket_sla_record(struct relay *relay, int64_t ticket, const char *priority, int add, int64_t used,
			     int64_t now)
{
	static const struct { int flag; const char *kind, *clock; } says[] = {
		{ RELAY_SLA_RESPONSE_WARNED, EVENT_SLA_WARNING, "response" },
		{ RELAY_SLA_RESPONSE_BREACHED, EVENT_SLA_BREACH, "response" },
		{ RELAY_SLA_RESOLVE_WARNED, EVENT_SLA_WARNING, "resolve" },
		{ RELAY_SLA_RESOLVE_BREACHED, EVENT_SLA_BREACH, "resolve" },
	};
	const struct relay_sla_targets *tg = &relay->home->sla;
	int p = relay_sla_priority(priority);

	if (p < 0 || store_begin(relay->store) != STORE_OK)
		return;
	for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++) {
		unsigned long target = strcmp(says[i].clock, "response") == 0 ? tg->response[p] : tg->resolve[p];
		char detail[160];

		if (!(add & says[i].flag))
			continue;
		if (strcmp(says[i].kind, EVENT_SLA_WARNING) == 0)
			snprintf(detail, sizeof(detail), "%s: %s target %lu s, %lld s used, %lld s left", says[i].clock,
				 priority, target, (long long)used, (long long)((int64_t)target - used));
		else
			snprintf(detail, sizeof(detail), "%s: %s target %lu s passed, %lld s used", says[i].clock, priority,
				 target, (long long)used);
		if (relay_audit_event(relay->store, ticket, now, says[i].kind, "relay", "relay", NULL, detail) != STORE_OK)
			goto fail;
		log_info("ticket %lld: %s %s", (long long)ticket, says[i].kind, detail);
	}
	if (store_ticket_sla_flags(relay->store, ticket, add) != STORE_OK || store_commit(relay->store) != STORE_OK)
		goto fail;
	return;
fail:
	store_rollback(relay->store);
	log_error("ticket %lld: cannot record its SLA state", (long long)ticket);
}

void relay_ticket_sla_tick(struct relay *relay)
{
	struct relay_ticket_sla_scan *s;
	int64_t now = relay_now(relay);

	/* Nothing falls due before the deadline the last scan found: no scan of every open ticket each second. */
	if (relay->sla_known && (relay->sla_due < 0 || now < relay->sla_due))
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->relay = relay;
	s->now = now;
	s->next = -1;
	if (store_sla_running(relay->store, relay_ticket_sla_scan_row, s) == STORE_OK) {
		for (size_t i = 0; i < s->count; i++)
			relay_ticket_sla_record(relay, s->due[i].id, s->due[i].priority, s->due[i].add, s->due[i].used, s->now);
		/* Flags recorded (or a full batch of 64 left more): the next due is known after the next scan. */
		relay->sla_known = s->count == 0;
		relay->sla_due = s->next;
	}
	free(s);
}

/* When the next SLA warning or breach falls due; -1 when none can (relay_policy_next_due adds it). */
static int64_t relay_ticket_sla_next_due(struct relay *relay)
{
	struct relay_ticket_sla_scan *s;

	if (relay->sla_known)
		return relay->sla_due;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->relay = relay;
	s->now = relay_now(relay);
	s->next = -1;
	if (store_sla_running(relay->store, relay_ticket_sla_scan_due, s) == STORE_OK) {
		relay->sla_known = true;
		relay->sla_due = s->next;
	}
	free(s);
	return relay->sla_due;
}

struct relay_filled {
	const struct relay_checklist *list;
	bool filled[RELAY_CHECKLIST_MAX];
};

static void relay_filled_mark(struct relay_filled *f, const char *name, size_t len)
{
	char field[RELAY_TRIAGE_FIELD_MAX];
	int i;

	if (len == 0 || len >= sizeof(field))
		return;
	memcpy(field, name, len);
	field[len] = '\0';
	if ((i = relay_checklist_find(f->list, field)) >= 0)
		f->filled[i] = true;
}

/* field-set "NAME: TEXT" (written by relay_ticket_field above), and triaged for impact and urgency. */
static int relay_filled_event(const struct store_event *e, void *ctx)
{
	struct relay_filled *f = ctx;
	const char *colon;

	if (strcmp(e->kind, EVENT_TRIAGED) == 0) {
		relay_filled_mark(f, "impact", 6);
		relay_filled_mark(f, "urgency", 7);
	} else if (strcmp(e->kind, EVENT_FIELD_SET) == 0 && (colon = strstr(e->detail, ": ")) != NULL &&
		   colon[2] != '\0')
		relay_filled_mark(f, e->detail, (size_t)(colon - e->detail));
	return 0;
}

int relay_ticket_checklist_missing(struct relay *relay, int64_t ticket, const char *tier, char *out, size_t outlen)
{
	int rank = relay_tier_rank(tier);
	struct relay_filled f = { .list = NULL };

	if (outlen > 0)
		out[0] = '\0';
	if (rank < 1 || rank > 2)
		return 0;
	f.list = &relay->home->checklist[rank - 1];
	if (f.list->n == 0)
		return 0;
	if (store_events(relay->store, ticket, EVENT_FIELD_SET, relay_filled_event, &f) != STORE_OK ||
	    store_events(relay->store, ticket, EVENT_TRIAGED, relay_filled_event, &f) != STORE_OK)
		return -1;
	return (int)relay_checklist_missing(f.list, f.filled, out, outlen);
}

/* What a take does to this relay's views and customer, wherever the take was recorded. */
static void relay_ticket_taken_here(struct relay *relay, int64_t ticket, int64_t by_id, const char *name,
				    const char *tier)
{
	char status[256], why[128];

	snprintf(why, sizeof(why), "the %s technician %s took over", tier, name);
	relay_viewer_detach_others(relay, ticket, by_id, why);
	snprintf(status, sizeof(status), "%s (%s) is now handling your request.", name, tier);
	relay_ticket_notice(relay, ticket, CTL_NOTICE_TAKEN, name, tier, status);
}

int relay_ticket_take(struct relay *relay, int64_t ticket, const struct store_user *by,
		      char *err, size_t errlen)
{
	bool live = relay_conn_live_customer(relay, ticket) != NULL || relay_route_held_elsewhere(relay, ticket);
	int64_t now = relay_now(relay), seq = 0;

	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "the store is busy");
		return -1;
	}
	if (store_ticket_update(relay->store, ticket, live ? "in-session" : "open", NULL, by->id, now) != STORE_OK ||
	    store_ticket_first_response(relay->store, ticket, now, NULL) != STORE_OK ||
	    relay_audit_event_seq(relay->store, ticket, now, EVENT_TAKEN, by->name, by->tier, NULL, NULL, &seq) !=
		    STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		snprintf(err, errlen, "the store failed; nothing was changed");
		return -1;
	}
	relay_ticket_chat_own(relay, seq);
	relay_ticket_sla_changed(relay);
	log_info("ticket %lld taken by %s (%s)", (long long)ticket, by->name, by->tier);
	relay_ticket_taken_here(relay, ticket, by->id, by->name, by->tier);
	return 0;
}

/*
 * Ends the customer's sessions of ticket, live or still setting up: a
 * helper with its control channel hears why (CTL_END, worded in the
 * customer's language on their side) and hangs up; its connection is no
 * longer live at once, and is cut off if it lingers (server.c). One
 * without a control channel yet is dropped now.
 */
static void relay_ticket_end_customer(struct relay *relay, int64_t ticket, uint8_t reason, const char *text)
{
	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next) {
		struct ctl_record end = { .type = CTL_END, .flags = reason, .text = (char *)(uintptr_t)text };

		if (c->dead || c->role != RELAY_ROLE_CUSTOMER || c->ticket != ticket || c->ending_at != 0)
			continue;
		log_info("conn %u: customer session of ticket %lld ended: %s", c->id, (long long)ticket, text);
		if (c->control == NULL || c->control->dead || relay_chan_send_ctl(c->control, &end) != 0)
			c->dead = true;
		else
			c->ending_at = time(NULL);
	}
}

/* What a resolution does to this relay's views, customer and chat streams, wherever it was recorded. */
static void relay_ticket_resolved_here(struct relay *relay, int64_t ticket, int64_t at, const char *name,
				       const char *tier)
{
	char ended[256], when[16], line[512];

	relay_viewer_detach_others(relay, ticket, -1, "the ticket was resolved");
	snprintf(ended, sizeof(ended), "%s (%s) resolved ticket %lld", name, tier, (long long)ticket);
	relay_ticket_end_customer(relay, ticket, CTL_END_RESOLVED, ended);
	timefmt_utc(at, TIMEFMT_CLOCK, when, sizeof(when));
	snprintf(line, sizeof(line), "[%s] %s; the session has ended\n", when, ended);
	relay_chan_chat_broadcast(relay, ticket, line);
}

int relay_ticket_resolve(struct relay *relay, int64_t ticket, const struct store_user *by,
			 const char *note, char *err, size_t errlen)
{
	return relay_ticket_resolve_kb(relay, ticket, by, note, 0, err, errlen);
}

int relay_ticket_resolve_kb(struct relay *relay, int64_t ticket, const struct store_user *by, const char *note,
			    int64_t kb, char *err, size_t errlen)
{
	int64_t now = relay_now(relay), seq = 0;
	char linked[32];
	int cancelled = 0;

	snprintf(linked, sizeof(linked), "#%lld", (long long)kb);

	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "the store is busy");
		return -1;
	}
	/* Resolved is final: its codes die with it, in the same transaction. */
	if (store_ticket_update(relay->store, ticket, "resolved", NULL, -1, now) != STORE_OK ||
	    store_code_cancel(relay->store, ticket, now, &cancelled) != STORE_OK ||
	    relay_audit_event_seq(relay->store, ticket, now, EVENT_RESOLVED, by->name, by->tier, NULL, note, &seq) !=
		    STORE_OK ||
	    (kb > 0 && relay_audit_event(relay->store, ticket, now, EVENT_RESOLVED_BY_KB, by->name, by->tier, NULL,
					 linked) != STORE_OK) ||
	    (cancelled > 0 && relay_audit_event(relay->store, ticket, now, EVENT_CODE_CANCELLED, by->name, by->tier, NULL,
					      "the ticket was resolved") != STORE_OK) ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		snprintf(err, errlen, "the store failed; nothing was changed");
		return -1;
	}
	relay_ticket_chat_own(relay, seq);
	log_info("ticket %lld resolved by %s (%d support code%s cancelled)", (long long)ticket, by->name, cancelled,
		 cancelled == 1 ? "" : "s");
	relay_ticket_resolved_here(relay, ticket, now, by->name, by->tier);
	return 0;
}

int relay_ticket_reopen(struct relay *relay, int64_t ticket, const struct store_user *by, const char *reason,
			char *err, size_t errlen)
{
	int64_t now = relay_now(relay);

	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "the store is busy");
		return -1;
	}
	/* Back to its tier's queue, unowned: whoever is free there takes it, as with an escalation. */
	if (store_ticket_update(relay->store, ticket, "open", NULL, 0, now) != STORE_OK ||
	    relay_audit_event(relay->store, ticket, now, EVENT_REOPENED, by->name, by->tier, NULL, reason) != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		snprintf(err, errlen, "the store failed; nothing was changed");
		return -1;
	}
	relay_ticket_sla_changed(relay);
	log_info("ticket %lld reopened by %s (%s)", (long long)ticket, by->name, by->tier);
	return 0;
}

int relay_ticket_close(struct relay *relay, int64_t ticket, const struct store_user *by, char *err, size_t errlen)
{
	int64_t now = relay_now(relay);

	if (store_begin(relay->store) != STORE_OK) {
		snprintf(err, errlen, "the store is busy");
		return -1;
	}
	if (store_ticket_update(relay->store, ticket, "closed", NULL, -1, now) != STORE_OK ||
	    relay_audit_event(relay->store, ticket, now, EVENT_CLOSED, by->name, by->tier, NULL, NULL) != STORE_OK ||
	    store_commit(relay->store) != STORE_OK) {
		store_rollback(relay->store);
		snprintf(err, errlen, "the store failed; nothing was changed");
		return -1;
	}
	log_info("ticket %lld closed by %s (%s)", (long long)ticket, by->name, by->tier);
	return 0;
}

static void relay_ticket_logs_finish(struct relay *relay, struct relay_conn *c, const char *event, const char *detail)
{
	relay_audit_event(relay->store, c->logs_ticket, relay_now(relay), event, "customer", "customer", NULL, detail);
	c->logs_request = 0;
	buf_free(&c->logs);
}

/*
 * The bundle's error lines, the first 8, are what the knowledge base is
 * asked: a journal's ordinary lines would match everything a little.
 */
static void relay_ticket_logs_suggest(struct relay *relay, int64_t ticket, const char *logs, size_t len)
{
	static const char *const marks[] = { "error", "fail", "エラー", "失敗", "できません" };
	char *text = malloc(8 * 512 + 1);
	size_t used = 0, lines = 0;

	if (text == NULL)
		return;
	for (size_t at = 0; at < len && lines < 8;) {
		const char *nl = memchr(logs + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (logs + at)) : len - at;
		char line[512];
		bool hit = false;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), logs + at);
		for (size_t i = 0; !hit && i < sizeof(marks) / sizeof(marks[0]); i++)
			hit = strcasestr(line, marks[i]) != NULL;
		if (hit) {
			used += (size_t)snprintf(text + used, 8 * 512 + 1 - used, "%s\n", line);
			lines++;
		}
		at += n + 1;
	}
	text[used] = '\0';
	if (lines > 0)
		relay_knowledge_suggest(relay, ticket, "when its logs arrived", text);
	free(text);
}

void relay_ticket_logs_data(struct relay *relay, struct relay_conn *c, const struct ctl_record *rec)
{
	char name[64];
	size_t n;

	if (c->logs_request == 0 || rec->viewer_id != c->logs_request) {
		log_info("conn %u: log data for no open request ignored", c->id);
		return;
	}
	if (rec->flags == CTL_LOGS_REFUSED) {
		log_info("ticket %lld: the customer refused log collection", (long long)c->logs_ticket);
		relay_ticket_logs_finish(relay, c, EVENT_LOGS_REFUSED, "the customer refused log collection");
		return;
	}
	n = rec->text ? strlen(rec->text) : 0;
	if (!c->logs_truncated && buf_put(&c->logs, rec->text ? rec->text : "", n) != 0)
		c->logs_truncated = true;
	if (rec->flags != CTL_LOGS_DONE)
		return;
	snprintf(name, sizeof(name), "logs-%lld.txt", (long long)relay_now(relay));
	if (relay_ticket_attach(relay, c->logs_ticket, relay_now(relay), "logs", name, "customer", "customer",
				c->logs_clearance, buf_ptr(&c->logs), buf_len(&c->logs)) != 0)
		log_error("ticket %lld: cannot store the log bundle", (long long)c->logs_ticket);
	log_info("ticket %lld: log bundle of %zu bytes attached%s", (long long)c->logs_ticket, buf_len(&c->logs),
		 c->logs_truncated ? " (cut at 1 MiB)" : "");
	relay_ticket_logs_suggest(relay, c->logs_ticket, (const char *)buf_ptr(&c->logs), buf_len(&c->logs));
	c->logs_request = 0;
	buf_free(&c->logs);
}

void relay_ticket_sharing(struct relay *relay, struct relay_conn *c, const struct ctl_record *rec)
{
	bool paused = rec->flags == CTL_SHARING_PAUSED;
	int64_t now = relay_now(relay), seq = 0;
	char line[96];

	/* The helper enforces the pause itself; the ticket only keeps the record. */
	if (relay_audit_event_seq(relay->store, c->ticket, now, paused ? EVENT_SHARING_PAUSED : EVENT_SHARING_RESUMED,
				  "customer", "customer", NULL, NULL, &seq) == STORE_OK)
		relay_ticket_chat_own(relay, seq);
	log_info("ticket %lld: the customer %s sharing", (long long)c->ticket, paused ? "paused" : "resumed");
	relay_ticket_sharing_line(now, paused, line, sizeof(line));
	relay_chan_chat_broadcast(relay, c->ticket, line);
}

void relay_ticket_desktop(struct relay *relay, struct relay_conn *c, const struct ctl_record *rec)
{
	int64_t now = relay_now(relay), seq = 0;
	char words[512], line[RELAY_CHAT_LINE_MAX];

	relay_ticket_desktop_words(rec->flags, words, sizeof(words));
	if (relay_audit_event_seq(relay->store, c->ticket, now, rec->flags != 0 ? EVENT_DESKTOP_REFUSED : EVENT_DESKTOP_BACK,
				  "customer", "customer", NULL, words, &seq) == STORE_OK)
		relay_ticket_chat_own(relay, seq);
	log_info("ticket %lld: Windows on the customer's side %s (flags %u)", (long long)c->ticket,
		 rec->flags != 0 ? "forbids the helper the screen or input" : "is back to the normal desktop",
		 (unsigned)rec->flags);
	relay_ticket_desktop_line(now, words, line, sizeof(line));
	relay_chan_chat_broadcast(relay, c->ticket, line);
}

/* The viewer of this customer's session with that id, or NULL (it may have left already). */
static struct relay_viewer *relay_ticket_viewer(struct relay *relay, struct relay_conn *c, uint32_t id)
{
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next)
		if (v->id == id && v->customer == c)
			return v;
	return NULL;
}

void relay_ticket_input_ignored(struct relay *relay, struct relay_conn *c, const struct ctl_record *rec)
{
	struct relay_viewer *v = relay_ticket_viewer(relay, c, rec->viewer_id);
	const char *name = v != NULL && v->tech != NULL ? v->tech->user.name : NULL;
	const char *tier = v != NULL && v->tech != NULL ? v->tech->user.tier : NULL;
	char detail[160];

	snprintf(detail, sizeof(detail),
		 "%u click(s) or key(s) of viewer %u on the customer's helper window ignored: only the customer answers there",
		 rec->count, rec->viewer_id);
	relay_audit_event(relay->store, c->ticket, relay_now(relay), EVENT_REMOTE_INPUT_IGNORED, name, tier, NULL,
			detail);
	log_info("ticket %lld: %u press(es) of viewer %u (%s) on the helper's window ignored", (long long)c->ticket,
		 rec->count, rec->viewer_id, name != NULL ? name : "gone");
}

void relay_ticket_answered(struct relay *relay, struct relay_conn *c, const struct ctl_record *rec)
{
	/* The helper's word, but only one of two words: nothing else of it reaches the record. */
	const char *ui = rec->text != NULL && strcmp(rec->text, "terminal") == 0 ? "terminal"
			 : rec->text != NULL && strcmp(rec->text, "window") == 0 ? "window" : "unknown UI";
	char detail[256];
	int64_t ticket = c->ticket;

	if (rec->flags == CTL_ANSWERED_DESKTOP) {
		/*
		 * Only a refusal is ever sent (ctl.h). A helper that asks after an
		 * Allow names the technician: their deny. Viewer 0 (helpers of
		 * before, which asked at sign-in; or nobody waits any more), or one
		 * gone meanwhile: the customer's, in words true of both.
		 */
		if (rec->viewer_id != 0 && relay_viewer_desktop_refused(relay, c, rec->viewer_id)) {
			log_info("ticket %lld: the customer refused viewer %u at the desktop's own dialog", (long long)ticket,
				 rec->viewer_id);
			return;
		}
		relay_audit_event(relay->store, ticket, relay_now(relay), EVENT_CONSENT_DENIED, "customer", "customer",
				  NULL, "screen sharing refused by the customer at the desktop's own dialog, with no "
					"technician waiting for it");
		log_info("ticket %lld: the customer refused to share the screen at the desktop's own dialog",
			 (long long)ticket);
		return;
	}
	if (rec->flags == CTL_ANSWERED_LOGS) {
		if (c->logs_request != 0 && rec->viewer_id == c->logs_request)
			ticket = c->logs_ticket;
		snprintf(detail, sizeof(detail), "log collection request %u %s by the customer at the machine, in the %s",
			 rec->viewer_id, rec->caps & CTL_CAP_LOGS ? "allowed" : "refused", ui);
	} else {
		struct relay_viewer *v = relay_ticket_viewer(relay, c, rec->viewer_id);

		snprintf(detail, sizeof(detail), "consent of viewer %u (%s) %s by the customer at the machine, in the %s",
			 rec->viewer_id, v != NULL && v->tech != NULL ? v->tech->user.name : "gone",
			 rec->caps & CTL_CAP_CONTROL ? "granted view and control"
			 : rec->caps & CTL_CAP_VIEW ? "granted view only" : "refused", ui);
	}
	relay_audit_event(relay->store, ticket, relay_now(relay), EVENT_ANSWERED, "customer", "customer", NULL, detail);
}

/*
 * One token per ticket, replaced at each ask: the helper asks once signed
 * in, with a code or a token, so the token a lost relay handed out is dead
 * once its helper is back. Not an event: it is no fact of the ticket, and
 * the chain would keep its hash for ever.
 */
void relay_ticket_resume_token(struct relay *relay, struct relay_conn *c)
{
	char token[INTAKE_TOKEN_TEXT_MAX];
	uint8_t hash[CODE_HASH_LEN];
	struct ctl_record rec = { .type = CTL_RESUME, .text = token };

	if (c->control == NULL || intake_token_generate(token) != 0 || resume_token_hash(token, hash) != 0) {
		log_warn("conn %u: no resume token for ticket %lld: no randomness", c->id, (long long)c->ticket);
		goto out;
	}
	if (store_resume_set(relay->store, c->ticket, hash, relay_now(relay)) != STORE_OK) {
		log_warn("conn %u: no resume token for ticket %lld: the store could not be written", c->id,
			 (long long)c->ticket);
		goto out;
	}
	relay_chan_send_ctl(c->control, &rec);
	log_info("conn %u: a resume token for ticket %lld went to the helper", c->id, (long long)c->ticket);
out:
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(hash, sizeof(hash));
}

void relay_ticket_customer_came(struct relay *relay, struct relay_conn *c)
{
	struct store_ticket t;
	char detail[128];

	snprintf(detail, sizeof(detail), "%s%s", c->peer, c->resumed ? " (resumed: its relay was lost)" : "");
	relay_audit_event(relay->store, c->ticket, relay_now(relay), EVENT_CUSTOMER_CONNECTED, "customer", "customer", NULL,
			  detail);
	relay_ticket_sla_resume(relay, c->ticket, "the customer connected");
	/* A ticket someone owns is in session once its customer is here; a queued one waits for its taker. */
	if (store_ticket_get(relay->store, c->ticket, &t) == STORE_OK && strcmp(t.state, "open") == 0 &&
	    t.owner_id != 0)
		store_ticket_update(relay->store, c->ticket, "in-session", NULL, -1, relay_now(relay));
}

void relay_ticket_customer_dropped(struct relay *relay, struct relay_conn *c)
{
	char detail[200];

	if (c->dropped_chat == 0 && c->dropped_other == 0)
		return;
	snprintf(detail, sizeof(detail),
		 "%lu chat line(s) and %lu other record(s) from the customer's helper were not recorded: over %lu "
		 "a minute%s",
		 c->dropped_chat, c->dropped_other, relay->home->customer_events_per_minute,
		 c->opened_by_intake != 0 ? " for the session, or its intake token's budget" : "");
	relay_audit_event(relay->store, c->ticket, relay_now(relay), EVENT_CUSTOMER_EVENTS_DROPPED, "relay", "relay",
			  NULL, detail);
	c->dropped_chat = 0;
	c->dropped_other = 0;
}

void relay_ticket_customer_left(struct relay *relay, struct relay_conn *c)
{
	struct store_ticket t;

	relay_ticket_customer_dropped(relay, c);

	if (c->logs_request != 0)
		relay_ticket_logs_finish(relay, c, EVENT_LOGS_UNAVAILABLE,
					 "the customer disconnected before the logs arrived");
	buf_free(&c->logs);
	if (store_ticket_get(relay->store, c->ticket, &t) == STORE_OK && strcmp(t.state, "in-session") == 0)
		store_ticket_update(relay->store, c->ticket, "open", NULL, -1, relay_now(relay));
}

struct relay_due {
	int64_t ids[64];
	size_t count;
};

static int relay_due_add(const struct store_ticket *t, void *ctx)
{
	struct relay_due *due = ctx;

	due->ids[due->count++] = t->id;
	return due->count == sizeof(due->ids) / sizeof(due->ids[0]);
}

static const char *const relay_policy_tiers[] = { "L1", "L2", "L3" };

int64_t relay_policy_next_due(struct relay *relay)
{
	int64_t due = relay_ticket_sla_next_due(relay);

	for (int i = 0; i < 2; i++) {
		unsigned long limit = relay->home->escalate_after[i];
		int64_t since, at;

		if (limit == 0 || store_tier_oldest(relay->store, relay_policy_tiers[i], &since) != STORE_OK)
			continue;
		at = since + (int64_t)limit;
		if (due < 0 || at < due)
			due = at;
	}
	return due;
}

void relay_policy_tick(struct relay *relay)
{
	const char *const *tiers = relay_policy_tiers;
	int64_t now = relay_now(relay);

	if (now == relay->last_policy_run)
		return;
	relay->last_policy_run = now;
	for (int i = 0; i < 2; i++) {
		unsigned long limit = relay->home->escalate_after[i];
		struct relay_due due = { .count = 0 };
		char note[128], err[256];

		if (limit == 0)
			continue;
		if (store_tickets_due(relay->store, tiers[i], now, (int64_t)limit, relay_due_add, &due) != STORE_OK)
			continue;
		snprintf(note, sizeof(note), "automatic: unresolved at %s for more than %lu s", tiers[i], limit);
		for (size_t k = 0; k < due.count; k++)
			if (relay_ticket_escalate(relay, due.ids[k], NULL, tiers[i + 1], note, err, sizeof(err)) != 0)
				log_warn("policy could not escalate ticket %lld: %s", (long long)due.ids[k], err);
	}
	relay_ticket_sla_tick(relay);
}

void relay_ticket_peer_event(struct relay *relay, const struct store_event *e, int64_t ticket)
{
	char line[RELAY_CHAT_LINE_MAX];

	if (strcmp(e->kind, EVENT_SHARING_PAUSED) == 0 || strcmp(e->kind, EVENT_SHARING_RESUMED) == 0) {
		relay_ticket_sharing_line(e->at, strcmp(e->kind, EVENT_SHARING_PAUSED) == 0, line, sizeof(line));
		relay_chan_chat_broadcast(relay, ticket, line);
		return;
	}
	if (strcmp(e->kind, EVENT_DESKTOP_REFUSED) == 0 || strcmp(e->kind, EVENT_DESKTOP_BACK) == 0) {
		/* The detail is this relay's kind's own words (relay_ticket_desktop): re-escaped all the same. */
		char words[512];

		textesc_string(e->detail != NULL ? e->detail : "", NULL, words, sizeof(words));
		relay_ticket_desktop_line(e->at, words, line, sizeof(line));
		relay_chan_chat_broadcast(relay, ticket, line);
		return;
	}
	if (strcmp(e->kind, EVENT_ESCALATED) == 0) {
		struct store_ticket t;

		if (store_ticket_get(relay->store, ticket, &t) == STORE_OK)
			relay_ticket_escalated_here(relay, ticket, t.tier, e->actor, e->role, e->clearance);
		return;
	}
	if (strcmp(e->kind, EVENT_TAKEN) == 0) {
		struct store_user by;

		if (store_user_by_name(relay->store, e->actor, &by) == STORE_OK)
			relay_ticket_taken_here(relay, ticket, by.id, e->actor, e->role);
		return;
	}
	if (strcmp(e->kind, EVENT_RESOLVED) == 0) {
		relay_ticket_resolved_here(relay, ticket, e->at, e->actor, e->role);
		return;
	}
	if (strcmp(e->kind, EVENT_CHAT) != 0)
		return;
	if (strcmp(e->role, "customer") != 0) {
		struct relay_chan *control = relay_ticket_control(relay, ticket);
		struct ctl_record rec = { .type = CTL_CHAT, .name = (char *)(uintptr_t)e->actor,
					  .tier = (char *)(uintptr_t)e->role, .text = (char *)(uintptr_t)e->detail };

		if (control != NULL)
			relay_chan_send_ctl(control, &rec);
	}
	relay_ticket_chat_line(e, line, sizeof(line));
	relay_chan_chat_broadcast(relay, ticket, line);
}
