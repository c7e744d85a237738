/*
 * server.c: the relay's SSH server: listening, key exchange, who may log
 * in and how, the global and channel-open requests that libssh 0.10 only
 * delivers through the message callback, and the one event loop.
 *
 * Authentication: technicians and auditors by public key (the key names
 * the person; the SSH user name is not trusted for that) or by an OpenSSH
 * user certificate from a trusted CA (certauth.c), customers by a
 * one-time support code through keyboard-interactive. A connection that
 * has not authenticated within login_grace seconds is dropped, and at most
 * max_unauthenticated such connections exist at once.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "code.h"
#include "event.h"
#include "guard.h"
#include "job.h"
#include "log.h"
#include "audit.h"
#include "relay.h"
#include "sshutil.h"
#include "utf8.h"

/*
 * Another relay of this store logs in with its host key on behalf of the
 * technician the SSH user names, for a routed view (route.c): from here on
 * the connection is that technician's, as if they had logged in here, and
 * serves only direct-tcpip and `control N` (exec.c). The relay that sends
 * it authenticated them; this one checks the account is an active
 * technician's, as at any login, and every right again at the view.
 */
static int relay_auth_routed(struct relay_conn *conn, const char *user, char signature_state)
{
	struct store_user found;
	int rc;

	if (signature_state == SSH_PUBLICKEY_STATE_NONE)
		return SSH_AUTH_SUCCESS;
	if (signature_state != SSH_PUBLICKEY_STATE_VALID)
		return SSH_AUTH_DENIED;
	rc = user != NULL ? store_user_by_name(conn->relay->store, user, &found) : STORE_NOT_FOUND;
	if (rc != STORE_OK || strcmp(found.state, "active") != 0 || strcmp(found.role, "auditor") == 0) {
		log_info("conn %u (%s): relay %s asked for %s, who is not an active technician: refused", conn->id,
			 conn->peer, conn->via_relay, user != NULL ? user : "nobody");
		return SSH_AUTH_DENIED;
	}
	conn->user = found;
	conn->role = RELAY_ROLE_TECH;
	conn->routed = true;
	log_info("conn %u (%s): relay %s logged in for technician %s (%s)", conn->id, conn->peer, conn->via_relay,
		 found.name, found.tier[0] ? found.tier : "-");
	return SSH_AUTH_SUCCESS;
}

/*
 * A login the store could not check (PostgreSQL down) is told so, not
 * refused as if its key or code were wrong: said before the refusal, so
 * that handoff-tech and the helper read it with it (sshutil.h), once a
 * connection.
 */
static void relay_auth_store_down(struct relay_conn *conn)
{
	ssh_string said;

	if (conn->told_store_down)
		return;
	conn->told_store_down = true;
	said = ssh_string_from_char(SSHUTIL_BANNER_PREFIX "the relay cannot read its database just now "
						       "(try again in a moment)\n");
	if (said != NULL)
		ssh_send_issue_banner(conn->session, said);
	ssh_string_free(said);
}

static int relay_auth_pubkey(ssh_session session, const char *user, struct ssh_key_struct *key,
			     char signature_state, void *userdata)
{
	struct relay_conn *conn = userdata;
	struct store_user found;
	char *b64 = NULL;
	char fp[SSHUTIL_FP_MAX] = "?";
	int rc;

	(void)session; /* conn->session, the same one */
	conn->auth_tried = true;
	if (conn->role != RELAY_ROLE_NONE)
		return SSH_AUTH_DENIED;
	if (relay_certauth_offered(key))
		return relay_certauth(conn, key, user, signature_state);
	rc = relay_route_peer_key(conn->relay, key, conn->via_relay, sizeof(conn->via_relay));
	if (rc < 0) {
		log_error("conn %u (%s): the store could not be read, a relay's key refused", conn->id, conn->peer);
		relay_auth_store_down(conn);
		return SSH_AUTH_DENIED;
	}
	if (rc == 1)
		return relay_auth_routed(conn, user, signature_state);
	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return SSH_AUTH_DENIED;
	rc = store_user_by_key(conn->relay->store, ssh_key_type_to_char(ssh_key_type(key)), b64, &found);
	ssh_string_free_char(b64);
	if (rc != STORE_OK) {
		sshutil_fingerprint(key, fp, sizeof(fp));
		/* A database that is down (store.h: PostgreSQL) is not a key nobody registered: say which. */
		if (rc != STORE_NOT_FOUND) {
			log_error("conn %u (%s): the store could not be read, public key %s refused", conn->id, conn->peer,
				  fp);
			relay_auth_store_down(conn);
		}
		else if (signature_state == SSH_PUBLICKEY_STATE_NONE)
			log_info("conn %u (%s): public key %s is not registered", conn->id, conn->peer, fp);
		return SSH_AUTH_DENIED;
	}
	if (strcmp(found.state, "active") != 0) {
		if (signature_state == SSH_PUBLICKEY_STATE_NONE)
			log_info("conn %u (%s): %s is %s: login refused", conn->id, conn->peer, found.name, found.state);
		return SSH_AUTH_DENIED;
	}
	if (signature_state == SSH_PUBLICKEY_STATE_NONE)
		return SSH_AUTH_SUCCESS;  /* the probe: libssh answers PK_OK */
	if (signature_state != SSH_PUBLICKEY_STATE_VALID)
		return SSH_AUTH_DENIED;
	if (relay_role_of_account(&found) == RELAY_ROLE_NONE) {
		log_error("conn %u (%s): %s has role \"%s\", which this relay does not know: login refused", conn->id,
			  conn->peer, found.name, found.role);
		return SSH_AUTH_DENIED;
	}
	conn->user = found;
	conn->role = relay_role_of_account(&found);
	log_info("conn %u (%s): %s %s (%s) logged in", conn->id, conn->peer,
		 relay_role_name(conn->role), found.name, found.tier[0] ? found.tier : "-");
	return SSH_AUTH_SUCCESS;
}

/*
 * A customer's answer to the intake prompts, made safe for a ticket: valid
 * UTF-8 (else -1), control characters turned to spaces, at most max
 * characters and maxbytes bytes (what the ticket keeps; never cut inside a
 * character), trimmed. The result may be empty.
 */
static int relay_intake_text(const char *in, size_t max, size_t maxbytes, char *out, size_t outlen)
{
	size_t n = in != NULL ? strlen(in) : 0, o = 0;

	if (maxbytes >= outlen || !utf8_valid(in != NULL ? in : "", n))
		return -1;
	/* max characters, then whole characters within maxbytes: the stored text never ends inside one. */
	n = utf8_cut(in, utf8_skip(in, n, max), maxbytes);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	{
		size_t lead = strspn(out, " ");

		memmove(out, out + lead, o - lead + 1);
	}
	return 0;
}

/*
 * Opens the intake's ticket in the L1 queue and signs the connection in as
 * its customer, exactly as a code would; shown, if not NULL, names the
 * self-help articles the customer read first (a self-help-shown record).
 * 0 signed in, -1 refused.
 */
static int relay_intake_open(struct relay_conn *conn, const char *name, const char *desc, const char *shown)
{
	struct relay *relay = conn->relay;
	char detail[128];
	struct store_ticket_spec spec = { .priority = "P3", .tier = "L1" };
	int64_t ticket = 0, now = relay_now(relay), used = 0;

	/* Counted again here: the limit may have been reached while this customer typed. */
	if (store_intake_uses_since(relay->store, conn->intake, now - 3600, &used) != STORE_OK ||
	    used >= (int64_t)relay->home->intake_per_hour)
		return -1;
	spec.summary = desc;
	spec.customer_name = name[0] != '\0' ? name : NULL;
	snprintf(detail, sizeof(detail), "intake token %lld from %s", (long long)conn->intake, conn->peer);
	if (relay_ticket_open_intake(relay, &spec, conn->intake, detail, &ticket) != 0) {
		log_warn("conn %u (%s): intake: cannot open a ticket", conn->id, conn->peer);
		return -1;
	}
	conn->role = RELAY_ROLE_CUSTOMER;
	conn->ticket = ticket;
	conn->opened_by_intake = conn->intake;
	log_info("conn %u (%s): customer opened ticket %lld in the L1 queue (intake token %lld)", conn->id,
		 conn->peer, (long long)ticket, (long long)conn->intake);
	if (shown != NULL && shown[0] != '\0') {
		char said[sizeof(conn->selfhelp->shown) + 64];

		snprintf(said, sizeof(said), "%s: did not help; the customer opened this ticket", shown);
		relay_audit_event(relay->store, ticket, now, EVENT_SELF_HELP_SHOWN, "customer", "customer", NULL, said);
	}
	relay_audit_event(relay->store, ticket, now, EVENT_CUSTOMER_CONNECTED, "customer", "customer", NULL, conn->peer);
	return 0;
}

/*
 * The second round of an intake sign-in: name and description. With public
 * articles that match the description (and the token's search budget
 * left), asks a third round that shows them; else opens the ticket.
 * 0 signed in, 1 a third round was asked, -1 refused.
 */
static int relay_intake_described(struct relay_conn *conn, ssh_message msg)
{
	struct relay *relay = conn->relay;
	struct relay_selfhelp *h = calloc(1, sizeof(*h));
	char *instr = NULL;
	int rc = -1;

	if (h == NULL)
		return -1;
	if (ssh_userauth_kbdint_getnanswers(conn->session) != 2 ||
	    relay_intake_text(ssh_userauth_kbdint_getanswer(conn->session, 0), INTAKE_NAME_MAX,
			      STORE_NAME_MAX * 2 - 1, h->name, sizeof(h->name)) != 0 ||
	    relay_intake_text(ssh_userauth_kbdint_getanswer(conn->session, 1), INTAKE_DESC_MAX, sizeof(h->desc) - 1,
			      h->desc, sizeof(h->desc)) != 0 || h->desc[0] == '\0') {
		log_info("conn %u (%s): intake refused: no usable description", conn->id, conn->peer);
		goto out;
	}
	if (relay->home->intake_searches_per_minute > 0) {
		struct relay_intake_budget *b = relay_dispatch_intake_budget(relay, conn->intake);

		/* Over the budget, the customer is not turned away: the ticket opens without the articles. */
		if (!relay_rate_take(&b->searches, relay_now_ms(relay), relay->home->intake_searches_per_minute)) {
			log_info("conn %u (%s): intake token %lld is over its self-help searches; opening the ticket",
				 conn->id, conn->peer, (long long)conn->intake);
		} else if ((instr = malloc(INTAKE_SELFHELP_TEXT_MAX)) != NULL &&
			   relay_knowledge_self_help(relay, h->desc, h->shown, sizeof(h->shown), instr,
						     INTAKE_SELFHELP_TEXT_MAX) > 0) {
			const char *prompts[] = { "Did this solve the problem? Type \"" INTAKE_SELFHELP_SOLVED
						  "\" to stop here, or press Enter to open a ticket: " };
			char echo[] = { 1 };

			log_info("conn %u (%s): self-help: %s", conn->id, conn->peer, h->shown);
			ssh_message_auth_interactive_request(msg, INTAKE_SELFHELP_NAME, instr, 1, prompts, echo);
			conn->selfhelp = h;
			h = NULL;
			rc = 1;
			goto out;
		}
	}
	rc = relay_intake_open(conn, h->name, h->desc, NULL);
out:
	free(instr);
	free(h);
	return rc;
}

/* The third round: the customer read the articles. 0 signed in with a ticket, 1 solved (no ticket), -1 refused. */
static int relay_intake_selfhelp_answer(struct relay_conn *conn)
{
	struct relay_selfhelp *h = conn->selfhelp;
	const char *answer = ssh_userauth_kbdint_getnanswers(conn->session) == 1
				     ? ssh_userauth_kbdint_getanswer(conn->session, 0)
				     : NULL;
	int rc;

	conn->selfhelp = NULL;
	if (answer != NULL && strcmp(answer, INTAKE_SELFHELP_SOLVED) == 0) {
		/* No ticket, so no record: the chain holds cases, and this one never became one (docs/internals.md). */
		log_info("conn %u (%s): the customer's problem was solved by self-help (intake token %lld: %s)",
			 conn->id, conn->peer, (long long)conn->intake, h->shown);
		free(h);
		return 1;
	}
	rc = relay_intake_open(conn, h->name, h->desc, h->shown);
	free(h);
	return rc;
}

/* An intake token was right: ask for the description, or say the token's hourly limit is reached. */
static void relay_intake_ask(struct relay_conn *conn, ssh_message msg, int64_t intake)
{
	struct relay *relay = conn->relay;
	int64_t used = 0, now = relay_now(relay);

	conn->intake = intake;
	if (store_intake_uses_since(relay->store, intake, now - 3600, &used) != STORE_OK ||
	    used >= (int64_t)relay->home->intake_per_hour) {
		char detail[128];

		conn->intake_refused = true;
		snprintf(detail, sizeof(detail), "intake token %lld: %lld tickets in the last hour, from %s",
			 (long long)intake, (long long)used, conn->peer);
		relay_audit_event(relay->store, 0, now, EVENT_INTAKE_LIMITED, "relay", "relay", NULL, detail);
		log_info("conn %u (%s): intake refused: %s", conn->id, conn->peer, detail);
		/* No prompt: the name tells the helper why, so it can say so in the customer's language. */
		ssh_message_auth_interactive_request(msg, INTAKE_LIMIT_NAME,
						     "Too many new tickets from this helper in the last hour. "
						     "Please try again later or call your support organisation.",
						     0, NULL, NULL);
		return;
	}
	{
		const char *prompts[] = { "Your name (optional): ", "Describe the problem: " };
		char echo[] = { 1, 1 };

		ssh_message_auth_interactive_request(msg, "Handoff: new ticket",
						     "No code: a technician will see your description in the queue.",
						     2, prompts, echo);
	}
}

/* Keyboard-interactive: one prompt, the support code (or an intake token, then a description). */
static int relay_auth_code(struct relay_conn *conn, ssh_message msg)
{
	struct relay *relay = conn->relay;
	int64_t ticket = 0, intake = 0;
	int result = STORE_CODE_UNKNOWN;
	bool resumed = false;

	if (conn->role != RELAY_ROLE_NONE || conn->kbd_failures >= RELAY_KBD_TRIES_MAX)
		goto refuse;
	if (conn->intake != 0 && ssh_message_auth_kbdint_is_response(msg)) {
		bool solved = false;
		int r;

		if (conn->intake_refused)
			r = -1;
		else if (conn->selfhelp != NULL)
			r = relay_intake_selfhelp_answer(conn), solved = r == 1;
		else if ((r = relay_intake_described(conn, msg)) == 1)
			return 0;  /* the articles are asked about; conn->intake stays for the answer */
		conn->intake = 0;
		conn->intake_refused = false;
		if (r == 0) {
			ssh_message_auth_reply_success(msg, 0);
			return 0;
		}
		/* "It helped" is no failure: it must not bring the customer nearer the attempt limit. */
		if (!solved)
			conn->kbd_failures++;
		goto refuse;
	}
	conn->intake = 0;
	conn->intake_refused = false;
	free(conn->selfhelp);
	conn->selfhelp = NULL;
	if (!ssh_message_auth_kbdint_is_response(msg)) {
		const char *prompts[] = { "Support code: " };
		char echo[] = { 1 };

		ssh_message_auth_interactive_request(msg, "Handoff remote support",
						     "Type the support code your technician gave you.",
						     1, prompts, echo);
		return 0;
	}
	if (ssh_userauth_kbdint_getnanswers(conn->session) == 1)
		if (relay_customer_check(relay->guard, relay->store, relay->home->code_key, relay->home->pepper,
					 sizeof(relay->home->pepper), conn->peer,
					 ssh_userauth_kbdint_getanswer(conn->session, 0), relay_now(relay), &result,
					 &ticket, &intake, &resumed) != STORE_OK)
			result = STORE_ERR;
	if (result == STORE_CODE_ACCEPTED && intake != 0) {
		relay_intake_ask(conn, msg, intake);
		return 0;
	}
	if (result == STORE_CODE_ACCEPTED) {
		conn->role = RELAY_ROLE_CUSTOMER;
		conn->ticket = ticket;
		conn->resumed = resumed;
		log_info("conn %u (%s): customer for ticket %lld logged in with %s", conn->id, conn->peer,
			 (long long)ticket, resumed ? "a resume token (its relay was lost)" : "a support code");
		/* Lines other relays wrote before now are the transcript's, not this customer's to be sent. */
		relay_peerchat_tick(relay);
		relay_ticket_customer_came(relay, conn);
		ssh_message_auth_reply_success(msg, 0);
		return 0;
	}
	if (result == STORE_ERR) {
		/*
		 * Nothing was checked (the store failed): not the customer's try.
		 * Said before the refusal, as to a technician's key (sshutil.h).
		 */
		log_error("conn %u (%s): the store could not be read, support code not checked", conn->id, conn->peer);
		relay_auth_store_down(conn);
		goto refuse;
	}
	conn->kbd_failures++;
	log_info("conn %u (%s): support code refused: %s", conn->id, conn->peer,
		 relay_code_result_name(result));
refuse:
	ssh_message_auth_set_methods(msg, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE);
	ssh_message_reply_default(msg);
	return 0;
}

/* "ticket-N" with N a positive decimal number and nothing else. */
static int relay_parse_ticket_host(const char *host, int64_t *ticket)
{
	int64_t n = 0;
	const char *p;

	if (host == NULL || strncmp(host, "ticket-", 7) != 0 || host[7] == '\0')
		return -1;
	for (p = host + 7; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > 100000000000LL)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (n <= 0)
		return -1;
	*ticket = n;
	return 0;
}

static int relay_direct_tcpip(struct relay_conn *conn, ssh_message msg)
{
	const char *dest = ssh_message_channel_request_open_destination(msg);
	int port = ssh_message_channel_request_open_destination_port(msg);
	int64_t ticket;
	ssh_channel chan;

	if (conn->farewell_until_ms != 0)
		return 1;
	if (conn->role != RELAY_ROLE_TECH) {
		log_info("conn %u: direct-tcpip refused: %s may not view screens", conn->id,
			 relay_role_name(conn->role));
		return 1;
	}
	/* The port is the level asked for, so that a stock ssh -L can ask for view only too. */
	if (relay_parse_ticket_host(dest, &ticket) != 0 ||
	    (port != RELAY_VIEWER_PORT_CONTROL && port != RELAY_VIEWER_PORT_VIEW)) {
		log_info("conn %u: direct-tcpip refused: %s:%d is not ticket-N:%d or ticket-N:%d", conn->id,
			 dest ? dest : "?", port, RELAY_VIEWER_PORT_CONTROL, RELAY_VIEWER_PORT_VIEW);
		return 1;
	}
	{
		char why[200];

		if (relay_chan_room(conn->relay, conn, why, sizeof(why)) != 0) {
			log_info("conn %u: direct-tcpip refused: %s", conn->id, why);
			return 1;
		}
	}
	chan = ssh_message_channel_request_open_reply_accept(msg);
	if (chan == NULL)
		return 0;
	relay_viewer_open(conn->relay, conn, chan, ticket,
			  port == RELAY_VIEWER_PORT_VIEW ? CTL_CAP_VIEW : CTL_CAP_VIEW | CTL_CAP_CONTROL);
	return 0;
}

static int relay_tcpip_forward(struct relay_conn *conn, ssh_message msg)
{
	const char *addr = ssh_message_global_request_address(msg);
	int port = ssh_message_global_request_port(msg);

	if (conn->role != RELAY_ROLE_CUSTOMER || conn->ending_at != 0 || addr == NULL || port <= 0 || port > 65535) {
		log_info("conn %u: tcpip-forward refused for %s", conn->id, relay_role_name(conn->role));
		return 1;
	}
	snprintf(conn->fwd_host, sizeof(conn->fwd_host), "%s", addr);
	conn->fwd_port = (unsigned)port;
	conn->forwarding = true;
	ssh_message_global_request_reply_success(msg, (uint16_t)port);
	log_info("conn %u: ticket %lld is live: the helper shares its screen", conn->id,
		 (long long)conn->ticket);
	relay_route_live(conn->relay, conn->ticket);
	return 0;
}

static int relay_message(ssh_session session, ssh_message msg, void *userdata)
{
	struct relay_conn *conn = userdata;
	int type = ssh_message_type(msg), subtype = ssh_message_subtype(msg);

	(void)session;
	if (type == SSH_REQUEST_AUTH || type == SSH_REQUEST_SERVICE)
		conn->auth_tried = true;
	if (type == SSH_REQUEST_AUTH && subtype == SSH_AUTH_METHOD_INTERACTIVE)
		return relay_auth_code(conn, msg);
	if (type == SSH_REQUEST_CHANNEL_OPEN && subtype == SSH_CHANNEL_DIRECT_TCPIP)
		return relay_direct_tcpip(conn, msg);
	if (type == SSH_REQUEST_GLOBAL && subtype == SSH_GLOBAL_REQUEST_TCPIP_FORWARD)
		return relay_tcpip_forward(conn, msg);
	if (type == SSH_REQUEST_GLOBAL && subtype == SSH_GLOBAL_REQUEST_CANCEL_TCPIP_FORWARD &&
	    conn->role == RELAY_ROLE_CUSTOMER) {
		conn->forwarding = false;
		ssh_message_global_request_reply_success(msg, 0);
		return 0;
	}
	return 1;
}

/*
 * Pre-authentication admission. OpenSSH's MaxStartups refuses newcomers
 * (at random from start, all at full), so connections held idle lock
 * everyone out until LoginGraceTime; dropping the oldest instead (what the
 * relay did) drops, with one connection per address, whoever is slowest.
 * So the relay asks what each connection has done: 0 nothing yet, 1 sent
 * its banner, 2 finished the key exchange, 3 asked to authenticate, and
 * how long it has had: a client on a 150 ms link (300 ms round trips)
 * sends its banner within a second, finishes the key exchange within a few
 * and asks to log in right after, so a connection past its level's
 * deadline is stalled. A full relay makes room by dropping the most
 * overdue connection, and with none overdue the one nearest its deadline:
 * a client that moves on a step gets a later deadline, while a flood's
 * connections stuck at a step run down theirs. A connection's first half
 * second is its own: at the pace of a flood, the oldest connection still
 * waiting for its banner was otherwise always the slow client's. With
 * every slot young or logging in, the newcomer is refused, as MaxStartups
 * does at full.
 *
 * Penalties, after OpenSSH's PerSourcePenalties: an address whose
 * connection was dropped as stalled, ran out its login_grace, or sent too
 * many wrong codes is refused for 30 s (doubling with each strike, to
 * 600 s) whenever the relay holds half its max_unauthenticated or more. A
 * flood's addresses then spend most of the flood refused at accept, which
 * costs the relay a close, not a key exchange; a quiet relay refuses
 * nobody, so a customer behind the same NAT as a stuck client is not held
 * back. Random early drop is left out: below full it would refuse the
 * slow client as often as the flood, while penalties pick the flood.
 */
#define RELAY_ADMIT_YOUNG_MS 500
#define RELAY_PENALTY_FIRST 30
#define RELAY_PENALTY_MAX 600

static int relay_conn_progress(const struct relay_conn *c)
{
	if (c->auth_tried)
		return 3;
	if (c->kex_done)
		return 2;
	return ssh_get_clientbanner(c->session) != NULL ? 1 : 0;
}

static int64_t relay_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds past its deadline a connection at its level of progress is (negative: within it). */
static int64_t relay_conn_overdue(const struct relay *relay, const struct relay_conn *c, int64_t now_ms)
{
	static const int64_t deadline_ms[3] = { 1500, 4000, 6000 };
	const int progress = relay_conn_progress(c);
	const int64_t deadline = progress < 3 ? deadline_ms[progress] : (int64_t)relay->home->login_grace * 1000;

	return now_ms - c->accepted_ms - deadline;
}

static struct relay_penalty *relay_penalty_find(struct relay *relay, const char *source)
{
	if (relay->penalties == NULL)
		return NULL;
	for (unsigned i = 0; i < RELAY_PENALTY_SOURCES; i++)
		if (strcmp(relay->penalties[i].source, source) == 0)
			return &relay->penalties[i];
	return NULL;
}

/* Penalises conn's source (why: for the log); a strike after a quiet hour starts afresh. */
static void relay_penalise(struct relay *relay, const struct relay_conn *conn, const char *why)
{
	struct relay_penalty *p = relay_penalty_find(relay, conn->source);
	time_t now = time(NULL), len = RELAY_PENALTY_FIRST;

	if (relay->penalties == NULL)
		return;
	if (p == NULL) {
		/* A new entry takes the slot whose penalty ended first: a table of 1024 forgets the oldest. */
		p = &relay->penalties[0];
		for (unsigned i = 1; i < RELAY_PENALTY_SOURCES && p->source[0] != '\0'; i++)
			if (relay->penalties[i].source[0] == '\0' || relay->penalties[i].until < p->until)
				p = &relay->penalties[i];
		memset(p, 0, sizeof(*p));
		snprintf(p->source, sizeof(p->source), "%s", conn->source);
	}
	if (now - p->until > 3600)
		p->strikes = 0;
	for (unsigned i = 0; i < p->strikes && len < RELAY_PENALTY_MAX; i++)
		len *= 2;
	if (len > RELAY_PENALTY_MAX)
		len = RELAY_PENALTY_MAX;
	p->strikes++;
	p->until = now + len;
	if (now >= relay->admit_log[2].next) {
		log_info("penalising %s for %lld s: %s (%lu more penalties in the last 10 s)", conn->source,
			 (long long)len, why, relay->admit_log[2].quiet);
		relay->admit_log[2] = (struct relay_log_limit){ .next = now + 10 };
	} else {
		relay->admit_log[2].quiet++;
	}
}

/*
 * Room for one more unauthenticated connection from source. A source at
 * its own cap, or penalised while the relay is busy, is refused. When the
 * relay is full, the most overdue connection makes room (its source is
 * penalised); with none overdue, the least advanced connection of an
 * address holding more than the newcomer's, or else the one nearest its
 * deadline; with all asking to log in, the newcomer is refused. 0 to admit,
 * -1 to refuse.
 */
static int relay_admit(struct relay *relay, const char *source)
{
	struct relay_conn *victim = NULL, *crowded = NULL, *least = NULL;
	const struct relay_penalty *pen = relay_penalty_find(relay, source);
	unsigned total = 0, mine = 0, crowded_count = 0;
	int64_t victim_overdue = 0, least_overdue = 0, now_ms = relay_ms_now();
	time_t now = time(NULL);

	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next) {
		int64_t overdue;
		unsigned same = 0;

		if (c->dead || c->role != RELAY_ROLE_NONE)
			continue;
		total++;
		if (strcmp(c->source, source) == 0)
			mine++;
		overdue = relay_conn_overdue(relay, c, now_ms);
		if (overdue > victim_overdue) {
			victim = c;
			victim_overdue = overdue;
		}
		if (relay_conn_progress(c) < 3 && now_ms - c->accepted_ms >= RELAY_ADMIT_YOUNG_MS &&
		    (least == NULL || overdue > least_overdue)) {
			least = c;
			least_overdue = overdue;
		}
		/* Quadratic in the cap (64 by default), and only on accept. */
		for (struct relay_conn *d = relay->conns; d != NULL; d = d->next)
			if (!d->dead && d->role == RELAY_ROLE_NONE && strcmp(d->source, c->source) == 0)
				same++;
		if (crowded == NULL || same > crowded_count ||
		    (same == crowded_count && relay_conn_progress(c) < relay_conn_progress(crowded)) ||
		    (same == crowded_count && relay_conn_progress(c) == relay_conn_progress(crowded) &&
		     c->accepted_ms < crowded->accepted_ms)) {
			crowded = c;
			crowded_count = same;
		}
	}
	/*
	 * None overdue: an address holding more than the newcomer's gives up its
	 * least advanced connection, so a flood from a few addresses only
	 * pushes out its own; one connection each, the one nearest its
	 * deadline goes, a flood's stuck one rather than a client that just
	 * moved on a step, but none younger than RELAY_ADMIT_YOUNG_MS (a slow
	 * link's banner takes a round trip); all young or asking to log in,
	 * the newcomer is refused.
	 */
	if (victim == NULL && crowded_count >= 2 && mine + 1 < crowded_count)
		victim = crowded;
	if (victim == NULL)
		victim = least;
	/* A flood must not flood the log too: one line per kind every 10 s, with a count of the rest. */
	if (mine >= relay->home->max_unauthenticated_per_source) {
		if (now >= relay->admit_log[0].next) {
			log_warn("refusing a connection from %s: it has %u unauthenticated connections already "
				 "(%lu more refused in the last 10 s)", source, mine, relay->admit_log[0].quiet);
			relay->admit_log[0] = (struct relay_log_limit){ .next = now + 10 };
		} else {
			relay->admit_log[0].quiet++;
		}
		return -1;
	}
	if (pen != NULL && now < pen->until && total * 2 >= relay->home->max_unauthenticated) {
		relay->penalty_refusals++;
		return -1;
	}
	if (total < relay->home->max_unauthenticated)
		return 0;
	if (now >= relay->admit_log[1].next) {
		if (victim != NULL && victim_overdue > 0)
			log_warn("%u unauthenticated connections: dropping conn %u (%s, stalled at step %d of 3 for "
				 "%lld ms past its time) to make room for %s", total, victim->id, victim->peer,
				 relay_conn_progress(victim), (long long)victim_overdue, source);
		else if (victim != NULL)
			log_warn("%u unauthenticated connections: dropping conn %u (%s, at step %d of 3) to make room "
				 "for %s", total, victim->id, victim->peer, relay_conn_progress(victim), source);
		else
			log_warn("%u unauthenticated connections, all making progress: refusing %s", total, source);
		log_info("in the last 10 s: %lu more dropped or refused for room; %lu refused from penalised "
			 "addresses so far", relay->admit_log[1].quiet, relay->penalty_refusals);
		relay->admit_log[1] = (struct relay_log_limit){ .next = now + 10 };
	} else {
		relay->admit_log[1].quiet++;
	}
	if (victim == NULL)
		return -1;
	if (victim_overdue > 0)
		relay_penalise(relay, victim, "stalled before logging in, dropped to make room");
	victim->dead = true;
	return 0;
}

static void relay_accept(struct relay *relay)
{
	struct relay_conn *conn;
	ssh_session session;

	session = ssh_new();
	if (session == NULL)
		return;
	if (ssh_bind_accept(relay->bind, session) != SSH_OK) {
		log_warn("accept failed: %s", ssh_get_error(relay->bind));
		ssh_free(session);
		return;
	}
	{
		/* Without it the last segment of a screen update waits for a delayed ACK. */
		int one = 1;

		setsockopt(ssh_get_fd(session), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		ssh_disconnect(session);
		ssh_free(session);
		return;
	}
	conn->id = ++relay->next_conn_id;
	snprintf(conn->peer, sizeof(conn->peer), "conn-%u", conn->id);
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[48];

		if (getpeername(ssh_get_fd(session), (struct sockaddr *)&ss, &sl) == 0 &&
		    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
			snprintf(conn->peer, sizeof(conn->peer), "%s", host);
	}
	relay_guard_source(conn->peer, conn->source);
	if (relay_admit(relay, conn->source) != 0) {
		ssh_disconnect(session);
		ssh_free(session);
		free(conn);
		return;
	}
	conn->relay = relay;
	conn->session = session;
	conn->poll_index = -1;
	conn->event = ssh_event_new();
	conn->accepted_at = time(NULL);
	conn->accepted_ms = relay_ms_now();
	conn->server_cb = (struct ssh_server_callbacks_struct){
		.userdata = conn,
		.auth_pubkey_function = relay_auth_pubkey,
		.channel_open_request_session_function = relay_chan_open_session,
	};
	ssh_callbacks_init(&conn->server_cb);
	ssh_set_server_callbacks(session, &conn->server_cb);
	ssh_set_message_callback(session, relay_message, conn);
	ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE);
	ssh_set_blocking(session, 0);
	conn->next = relay->conns;
	relay->conns = conn;
	if (ssh_handle_key_exchange(session) == SSH_ERROR) {
		log_info("conn %u (%s): key exchange failed: %s", conn->id, conn->peer, ssh_get_error(session));
		conn->dead = true;
		return;
	}
	if (conn->event == NULL || ssh_event_add_session(conn->event, session) != SSH_OK) {
		conn->dead = true;
		return;
	}
	log_debug("conn %u (%s): accepted", conn->id, conn->peer);
	return;
}

static void relay_conn_check(struct relay *relay, struct relay_conn *conn, time_t now)
{
	if (conn->farewell_until_ms != 0) {
		if (!(ssh_get_poll_flags(conn->session) & SSH_WRITE_PENDING) ||
		    relay_ms_now() >= conn->farewell_until_ms ||
		    (ssh_get_status(conn->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
			conn->dead = true;
			conn->farewell = true;
		}
		return;
	}
	if (conn->dead)
		return;
	if (!conn->kex_done) {
		int rc = ssh_handle_key_exchange(conn->session);

		if (rc == SSH_OK) {
			conn->kex_done = true;
		} else if (rc == SSH_ERROR) {
			log_info("conn %u (%s): key exchange failed: %s", conn->id, conn->peer,
				 ssh_get_error(conn->session));
			conn->dead = true;
			return;
		}
	}
	if (conn->role == RELAY_ROLE_NONE && now - conn->accepted_at >= (time_t)relay->home->login_grace) {
		log_info("conn %u (%s): no login within %lu s, dropped", conn->id, conn->peer,
			 relay->home->login_grace);
		relay_penalise(relay, conn, "held a login slot for its whole login_grace");
		conn->dead = true;
		return;
	}
	if (conn->kbd_failures >= RELAY_KBD_TRIES_MAX) {
		log_info("conn %u (%s): dropped after %u wrong support codes", conn->id, conn->peer,
			 conn->kbd_failures);
		relay_penalise(relay, conn, "wrong support codes");
		conn->dead = true;
		return;
	}
	/* A helper told that its session ended hangs up itself; one that does not is cut off. */
	if (conn->ending_at != 0 && now - conn->ending_at >= RELAY_END_GRACE) {
		log_info("conn %u (%s): the session ended %d s ago and the helper is still there; dropped", conn->id,
			 conn->peer, RELAY_END_GRACE);
		conn->dead = true;
		return;
	}
	if (ssh_get_status(conn->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
		conn->dead = true;
}

static void relay_conn_free(struct relay *relay, struct relay_conn *conn)
{
	int keep = -1;

	relay_viewer_conn_lost(relay, conn);
	for (struct relay_chan **pp = &relay->chans; *pp != NULL;) {
		struct relay_chan *ch = *pp;

		if (ch->conn == conn) {
			*pp = ch->next;
			relay_chan_free(relay, ch, true);
		} else {
			pp = &ch->next;
		}
	}
	if (conn->role == RELAY_ROLE_CUSTOMER) {
		relay_ticket_customer_left(relay, conn);
		relay_audit_event(relay->store, conn->ticket, relay_now(relay), EVENT_CUSTOMER_DISCONNECTED, "customer",
				"customer", NULL, conn->peer);
		log_info("conn %u: customer for ticket %lld left", conn->id, (long long)conn->ticket);
		if (conn->forwarding)
			relay_route_left(relay, conn->ticket);
	} else if (conn->role != RELAY_ROLE_NONE) {
		log_info("conn %u: %s %s left", conn->id, relay_role_name(conn->role), conn->user.name);
	}
	if (conn->event != NULL) {
		ssh_event_remove_session(conn->event, conn->session);
		ssh_event_free(conn->event);
	}
	free(conn->selfhelp);
	if (conn->farewell && relay->nlingering < RELAY_LINGER_MAX && ssh_get_fd(conn->session) >= 0)
		keep = dup(ssh_get_fd(conn->session));
	ssh_disconnect(conn->session);
	ssh_free(conn->session);
	if (keep >= 0) {
		/* The FIN goes after the disconnect message; the peer's reads now end with both. */
		shutdown(keep, SHUT_WR);
		relay->lingering[relay->nlingering++] = (struct relay_linger){ .fd = keep,
			.until_ms = relay_ms_now() + RELAY_FAREWELL_MS };
	}
	free(conn);
}

/*
 * Ends conn on purpose, telling the peer why (their ssh or handoff-tech
 * prints the message, and our viewer does not retry). Its views and
 * channels end now; the connection itself lives on, unserved, until
 * libssh has sent what it holds (a splice's last frames), so that the
 * message is not queued behind output that is dropped at the close.
 */
static void relay_conn_farewell(struct relay *relay, struct relay_conn *conn, const char *message)
{
	ssh_session_set_disconnect_message(conn->session, message);
	relay_viewer_conn_lost(relay, conn);
	for (struct relay_chan *ch = relay->chans; ch != NULL; ch = ch->next)
		if (ch->conn == conn)
			ch->dead = true;
	conn->farewell_until_ms = relay_ms_now() + RELAY_FAREWELL_MS;
}

/* Closes lingering sockets whose peer has closed, or whose time is up. */
static void relay_linger_service(struct relay *relay, const struct pollfd *pfds, int64_t now_ms)
{
	for (size_t i = 0; i < relay->nlingering;) {
		struct relay_linger *l = &relay->lingering[i];
		bool done = now_ms >= l->until_ms;

		if (!done && pfds != NULL && pfds[i].revents != 0) {
			char sink[4096];
			ssize_t n;

			while ((n = recv(l->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
				;
			done = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
		}
		if (done) {
			close(l->fd);
			*l = relay->lingering[--relay->nlingering];
			/* The moved entry's revents belong to another slot now: look again next round. */
			pfds = NULL;
		} else {
			i++;
		}
	}
}

static void relay_reap(struct relay *relay)
{
	for (struct relay_chan **pp = &relay->chans; *pp != NULL;) {
		struct relay_chan *ch = *pp;

		if (ch->dead && !ch->conn->dead) {
			*pp = ch->next;
			relay_chan_free(relay, ch, false);
		} else {
			pp = &ch->next;
		}
	}
	for (struct relay_viewer **pp = &relay->viewers; *pp != NULL;) {
		struct relay_viewer *v = *pp;

		if (v->state == VIEWER_DONE) {
			*pp = v->next;
			relay_record_stop(relay, v);
			relay_viewer_free(v);
		} else {
			pp = &v->next;
		}
	}
	for (struct relay_conn **pp = &relay->conns; *pp != NULL;) {
		struct relay_conn *conn = *pp;

		if (conn->dead) {
			*pp = conn->next;
			relay_conn_free(relay, conn);
		} else {
			pp = &conn->next;
		}
	}
}

/*
 * One poll over the listening socket and every session, then each session
 * that has something to do runs its own event (see relay.h for why).
 */
static void relay_poll(struct relay *relay, int timeout_ms, const sigset_t *waking)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };
	size_t n = 3 + relay->nlingering + relay_route_nfds(relay), linger_at, route_at;
	int rc;

	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next)
		n++;
	if (n > relay->pfds_cap) {
		struct pollfd *grown = realloc(relay->pfds, n * 2 * sizeof(*grown));

		if (grown == NULL) {
			log_error("out of memory for %zu descriptors", n);
			return;
		}
		relay->pfds = grown;
		relay->pfds_cap = n * 2;
	}
	relay->pfds[0] = (struct pollfd){ .fd = ssh_bind_get_fd(relay->bind), .events = POLLIN };
	n = 1;
	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next) {
		short events = POLLIN;

		c->poll_index = -1;
		if (c->dead)
			continue;
		if (ssh_get_poll_flags(c->session) & SSH_WRITE_PENDING)
			events |= POLLOUT;
		relay->pfds[n] = (struct pollfd){ .fd = ssh_get_fd(c->session), .events = events };
		c->poll_index = (int)n++;
	}
	linger_at = n;
	for (size_t i = 0; i < relay->nlingering; i++)
		relay->pfds[n++] = (struct pollfd){ .fd = relay->lingering[i].fd, .events = POLLIN };
	/* A job that ended wakes the loop, which hands its result to the channel (relay_tick). */
	relay->pfds[n++] = (struct pollfd){ .fd = relay_jobs_fd(relay), .events = POLLIN };
	/* A recording's thread lets a splice it held back go on (record.c). */
	relay->pfds[n++] = (struct pollfd){ .fd = relay->record_wake.fd, .events = POLLIN };
	/* Routed views' sessions to other relays, and their connecting threads' wake (route.c). */
	route_at = n;
	n += relay_route_pollfds(relay, relay->pfds + n);
	/* The stop signals are let in only while waiting here, so one never arrives just before a long wait. */
	rc = ppoll(relay->pfds, n, timeout_ms < 0 ? NULL : &ts, waking);
	relay_linger_service(relay, rc > 0 ? relay->pfds + linger_at : NULL, relay_ms_now());
	if (rc <= 0)
		return;
	/*
	 * libssh reads at most 4 KiB from a socket per dopoll. A busy session
	 * gets up to RELAY_POLL_BURST of them before the loop goes on, so
	 * that a stream is not moved 4 KiB per turn of the whole loop; the
	 * peer's window bounds what this can buffer.
	 */
	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next) {
		if (c->poll_index < 0 || relay->pfds[c->poll_index].revents == 0)
			continue;
		for (int i = 0; i < RELAY_POLL_BURST && ssh_event_dopoll(c->event, 0) == SSH_OK; i++)
			if (ssh_get_status(c->session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
				break;
	}
	relay_route_polled(relay, relay->pfds + route_at);
	/*
	 * Several accepts a round: under a flood of connections that are
	 * refused at once, one a round let the backlog, and a customer's
	 * connection in it, wait behind the flood.
	 */
	for (int i = 0; i < 16 && (relay->pfds[0].revents & POLLIN); i++) {
		struct pollfd more = { .fd = relay->pfds[0].fd, .events = POLLIN };

		relay_accept(relay);
		if (poll(&more, 1, 0) != 1)
			break;
	}
}

/*
 * `handoff-relay user disable|remove` runs in another process and only
 * writes the database: once a second each signed-in technician's,
 * auditor's and desk account is read again (one indexed row each), and the
 * connection of one that is no longer active ends, with its views and chat
 * streams. The bound is about a second plus one turn of the loop.
 */
static void relay_staff_check(struct relay *relay)
{
	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next) {
		char state[12] = "";
		int rc;

		if (c->dead || c->farewell_until_ms != 0 || (c->role != RELAY_ROLE_TECH && c->role != RELAY_ROLE_AUDITOR &&
		     c->role != RELAY_ROLE_DESK))
			continue;
		rc = store_user_state(relay->store, c->user.id, state, sizeof(state));
		if (rc == STORE_ERR || (rc == STORE_OK && strcmp(state, "active") == 0))
			continue;
		log_info("conn %u (%s): %s %s is %s: session ended", c->id, c->peer, relay_role_name(c->role),
			 c->user.name, rc == STORE_OK ? state : "gone");
		/* What their ssh or handoff-tech prints, instead of libssh's "Bye Bye". */
		relay_conn_farewell(relay, c, strcmp(state, "disabled") == 0
			? "Handoff: your account was disabled by the relay's operator"
			: "Handoff: your account was removed by the relay's operator");
	}
}

/*
 * How long the loop may sleep: until the first thing due. Anyone
 * connected (or a socket lingering): at most to the next second, which is
 * the step of login grace, consent timeouts, the account check, the
 * recordings' flush and a farewell's drain. Nobody connected: until the
 * next audit checkpoint or automatic escalation, and at most
 * RELAY_IDLE_MAX_MS, because other processes (`handoff-relay user`) write
 * records the relay must sign and cannot hear about. A test's clock is
 * read once a second.
 */
#define RELAY_IDLE_MAX_MS (60 * 1000)
static int relay_sleep_ms(struct relay *relay)
{
	int64_t now = relay_now(relay), wait = RELAY_IDLE_MAX_MS, audit, policy;

	if (relay_viewer_pending(relay))
		return 0;
	if (relay->conns != NULL || relay->nlingering > 0 || relay->clock_offset_path != NULL) {
		struct timespec ts;

		/* Just past the next second of the wall clock, which the once-a-second checks count in. */
		clock_gettime(CLOCK_REALTIME, &ts);
		return (int)(1000 - ts.tv_nsec / 1000000) + 1;
	}
	audit = relay_audit_next_due(relay);
	policy = relay_policy_next_due(relay);
	for (int i = 0; i < 2; i++) {
		int64_t due = i == 0 ? audit : policy;

		if (due >= 0 && (due - now) * 1000 < wait)
			wait = due <= now ? 0 : (due - now) * 1000;
	}
	return (int)wait;
}

static void relay_tick(struct relay *relay)
{
	time_t now = time(NULL);

	relay_clock_refresh(relay);
	relay_policy_tick(relay);
	wake_drain(&relay->record_wake);
	relay_route_tick(relay);
	if (time(NULL) != relay->last_record_flush) {
		relay->last_record_flush = time(NULL);
		relay_record_tick(relay);
	}

	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next)
		relay_conn_check(relay, c, now);
	relay_jobs_service(relay);
	for (struct relay_chan *ch = relay->chans; ch != NULL; ch = ch->next)
		if (!ch->conn->dead)
			relay_chan_service(relay, ch);
	for (struct relay_viewer *v = relay->viewers; v != NULL; v = v->next)
		relay_viewer_service(relay, v);
	relay_reap(relay);
	/*
	 * It reads the chain's head from the store: once a second, not once
	 * per packet; and at every wake of an idle relay, which is rare.
	 */
	if (now != relay->last_audit_tick || relay->conns == NULL) {
		relay->last_audit_tick = now;
		relay_audit_tick(relay);
		relay_staff_check(relay);
		relay_peerchat_tick(relay);
	}
}

ssh_bind relay_server_listen(const struct relay_home *home)
{
	ssh_bind bind = ssh_bind_new();

	if (bind == NULL)
		return NULL;
	if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDADDR, home->listen_host) != SSH_OK ||
	    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_BINDPORT, &home->listen_port) != SSH_OK ||
	    ssh_bind_options_set(bind, SSH_BIND_OPTIONS_HOSTKEY, home->host_key_path) != SSH_OK) {
		log_error("bad listen options: %s", ssh_get_error(bind));
		ssh_bind_free(bind);
		return NULL;
	}
	if (ssh_bind_listen(bind) != SSH_OK) {
		log_error("cannot listen on %s:%u: %s", home->listen_host, home->listen_port, ssh_get_error(bind));
		ssh_bind_free(bind);
		return NULL;
	}
	ssh_bind_set_blocking(bind, 0);
	return bind;
}

int relay_server_run(struct relay_home *home, struct store *store, ssh_bind bind, volatile sig_atomic_t *stop)
{
	sigset_t stopping, waking;
	struct relay relay = { .home = home, .store = store, .stop = stop, .bind = bind,
			       .hooks = { .customer_record = relay_dispatch_record, .exec = relay_exec_run,
					  .chat_said = relay_follow_said },
			       .record_wake = { .fd = -1, .peer = -1 } };
	int rc = -1;

	sigemptyset(&stopping);
	sigaddset(&stopping, SIGINT);
	sigaddset(&stopping, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stopping, &waking);
	relay.clock_offset_path = getenv("HANDOFF_CLOCK_OFFSET_FILE");
	if (relay.clock_offset_path != NULL)
		log_warn("the clock is offset by the file %s (a test setting)", relay.clock_offset_path);

	relay.penalties = calloc(RELAY_PENALTY_SOURCES, sizeof(*relay.penalties));
	relay.guard = relay_guard_new(&(struct relay_guard_config){ .backoff_max = home->code_backoff_max,
					.failures_per_minute = home->code_failures_per_minute });
	if (relay.guard == NULL || relay.penalties == NULL) {
		log_error("out of memory");
		goto out;
	}
	{
		char err[512] = "";
		uint8_t pub[CHAIN_PUB_LEN];

		if (relay_record_setup(&relay, err, sizeof(err)) != 0 ||
		    relay_audit_setup(&relay, err, sizeof(err)) != 0 ||
		    relay_audit_public(&relay, pub) != 0 ||
		    relay_route_setup(&relay, pub, err, sizeof(err)) != 0 ||
		    relay_peerchat_start(&relay, err, sizeof(err)) != 0 ||
		    relay_jobs_start(&relay, err, sizeof(err)) != 0 ||
		    relay_webhooks_start(&relay, err, sizeof(err)) != 0) {
			log_error("%s", err);
			goto out;
		}
	}
	log_info("listening on %s:%u", home->listen_host, home->listen_port);
	printf("handoff-relay: serving %s on %s:%u\n", home->dir, home->listen_host, home->listen_port);
	fflush(stdout);
	while (!*stop) {
		relay_poll(&relay, relay_sleep_ms(&relay), &waking);
		relay_tick(&relay);
	}
	log_info("stopping");
	rc = 0;
out:
	for (struct relay_conn *c = relay.conns; c != NULL; c = c->next)
		c->dead = true;
	for (struct relay_viewer *v = relay.viewers; v != NULL; v = v->next)
		v->state = VIEWER_DONE;
	relay_reap(&relay);
	while (relay.nlingering > 0)
		close(relay.lingering[--relay.nlingering].fd);
	/* The reap abandoned every channel's job; none may outlive the audit key or the store. */
	relay_jobs_drain(&relay);
	relay_webhooks_stop(&relay);
	relay_route_stop(&relay);
	relay_peerchat_stop(&relay);
	/* After the reap: the disconnections and closed recordings it wrote get signed too. */
	relay_audit_stop(&relay);
	wake_close(&relay.record_wake);
	free(relay.pfds);
	relay_guard_free(relay.guard);
	free(relay.penalties);
	ssh_bind_free(relay.bind);
	pthread_sigmask(SIG_SETMASK, &waking, NULL);
	return rc;
}
