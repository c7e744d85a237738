/*
 * relay.h: the state of a running relay, shared by the modules of the
 * server (server.c: connections and authentication; chan.c: session
 * channels for commands and control; viewer.c: consent and splicing;
 * exec.c: the commands). Everything lives in one thread and one ssh_event:
 * a splice touches two sessions, and libssh wants a session and its
 * channels used from one thread at a time. The one other thread, job.c's,
 * runs exports and verifies over its own store connection and copies of
 * what they need, and touches nothing declared here.
 *
 * Polling: every session has an ssh_event of its own, and the loop polls
 * their descriptors itself. libssh 0.10 drives a session's I/O through the
 * poll context its socket sits in, and many calls (a channel read on an
 * empty buffer, a non-blocking channel open, the key exchange) poll that
 * whole context; when one context held every session, another peer's hangup
 * seen inside such a call was charged to the calling session, which libssh
 * then marked as failed. One context per session keeps each failure with
 * its own session.
 *
 * Lifetimes: a connection owns its session; libssh owns the channels of a
 * session and frees them with it. Nothing is freed inside a libssh callback:
 * callbacks only record what happened (set a flag, keep a string) and the
 * loop acts on it after ssh_event_dopoll returns, then reaps what is dead.
 */
#ifndef HANDOFF_RELAY_H
#define HANDOFF_RELAY_H

#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "buf.h"
#include "chain.h"
#include "code.h"
#include "ctl.h"
#include "home.h"
#include "rate.h"
#include "store.h"
#include "wake.h"

/*
 * RELAY_ROLE_DESK is the desk's own ticket system signing in with a key of
 * its own: it opens tickets and gets their support codes, and nothing else
 * (rights.c), so a stolen desk key reads no ticket and views no screen.
 */
/*
 * RELAY_ROLE_PEER is another relay of the store fetching a recording
 * (peerrec.c): one command, no account, no view.
 */
enum relay_role { RELAY_ROLE_NONE, RELAY_ROLE_TECH, RELAY_ROLE_AUDITOR, RELAY_ROLE_CUSTOMER, RELAY_ROLE_DESK,
		  RELAY_ROLE_PEER };

/* Wrong support codes one connection may send before it is dropped. */
#define RELAY_KBD_TRIES_MAX 3
/* 4 KiB socket reads one busy session may make per turn of the loop (see server.c). */
#define RELAY_POLL_BURST 16
/* Seconds a customer has to answer a consent request. */
#define RELAY_CONSENT_TIMEOUT 300
/* Seconds a helper told its session ended (CTL_END) has to hang up before it is cut off. */
#define RELAY_END_GRACE 5

struct relay;

struct relay_conn {
	struct relay *relay;
	unsigned id;
	ssh_session session;
	ssh_event event;               /* this session alone; see above */
	int poll_index;                /* its slot in relay->pfds this round, or -1 */
	struct ssh_server_callbacks_struct server_cb;
	bool kex_done;
	bool auth_tried;               /* it sent an authentication request (progress, for admission) */
	bool dead;
	time_t accepted_at;
	int64_t accepted_ms;           /* the same, monotonic milliseconds (admission, server.c) */
	char peer[64];
	char source[64];               /* what the guard counts it under (guard.h) */
	enum relay_role role;
	struct store_user user;        /* technicians and auditors */
	int64_t ticket;                /* customers: the ticket their code opened */
	unsigned kbd_failures;
	int64_t intake;                /* sign-in: the intake token that asked for a description, or 0 */
	int64_t opened_by_intake;      /* customers: the intake token that opened their ticket, or 0 */
	bool resumed;                  /* customers: signed in with a resume token (their relay was lost) */
	bool told_store_down;          /* a key could not be looked up: the banner said why (server.c) */
	struct relay_rate budget;      /* customers: records they may still turn into events (rate.h) */
	unsigned long dropped_chat;    /* customers: records over the budget, not recorded yet as dropped */
	unsigned long dropped_other;
	int64_t dropped_logged_ms;     /* when the last "over its budget" log line was written */
	bool intake_refused;           /* sign-in: its rate limit was told; the next answer is refused */
	struct relay_selfhelp *selfhelp; /* sign-in: articles shown, the answers kept until the customer chooses */
	struct relay_chan *control;    /* customers: the handoff-control channel */
	bool forwarding;               /* customers: tcpip-forward granted */
	bool ending;                   /* customers: said the customer ended the session (CTL_SHARING_ENDED) */
	char fwd_host[256];
	unsigned fwd_port;
	uint32_t logs_request;         /* customers: log bundle asked for, 0 if none */
	int64_t logs_ticket;
	char logs_clearance[4];        /* customers: the bundle's clearance, "" or the tier it was asked at */
	bool logs_truncated;
	struct buf logs;               /* customers: the bundle as it arrives */
	time_t ending_at;              /* customers: when CTL_END was sent (no longer live), or 0 */
	int64_t farewell_until_ms;     /* ended on purpose with a message: its output drains until then (server.c) */
	bool farewell;                 /* closed gently: its socket lingers so the message arrives */
	/*
	 * Technicians: logged in by another relay on this store on their
	 * behalf, for a routed view (route.c): only direct-tcpip to ticket-N
	 * is served. via_relay names that relay for the log.
	 */
	bool routed;
	char via_relay[256];
	struct relay_conn *next;
};

enum relay_chan_kind { RELAY_CHAN_NEW, RELAY_CHAN_EXEC, RELAY_CHAN_CONTROL, RELAY_CHAN_CHAT,
		       RELAY_CHAN_REFUSED /* over a channel cap: says so on stderr, then closes */ };

/* A session channel: an exec command or a customer's control stream. */
struct relay_chan {
	struct relay_conn *conn;
	ssh_channel chan;
	struct ssh_channel_callbacks_struct cb;
	enum relay_chan_kind kind;
	char *command;          /* exec request kept for the loop to run */
	char *refusal;          /* opened over a channel cap: why, for its stderr; NULL normally */
	bool command_done;
	int exit_status;
	int64_t chat_ticket;    /* a live chat stream: the ticket it follows */
	struct buf in;          /* control records, or chat input, not yet complete */
	struct buf out;         /* stdout or control records waiting for window */
	struct buf err;         /* stderr waiting for window */
	int stream_fd;          /* output too big for out (an export), sent after it; -1 if none */
	struct relay_job *job;  /* the command's work on the job thread (job.h); its output waits for it */
	bool output_ready;      /* out and err are final (made CR LF for a terminal) */
	bool pty;               /* the client asked for a terminal (ssh -t): no binary output then */
	bool dead;
	struct relay_chan *next;
};

enum relay_viewer_state {
	VIEWER_CONSENT,   /* waiting for the customer's answer */
	VIEWER_OPENING,   /* opening forwarded-tcpip to the helper */
	VIEWER_SPLICING,
	VIEWER_ROUTING,   /* the customer is on another relay: connecting to it (route.c) */
	VIEWER_REFUSING,  /* sending an RFB failure reason to the technician */
	VIEWER_DONE,
};

/* One technician's view of one customer's screen. */
struct relay_viewer {
	uint32_t id;
	int64_t ticket;
	struct relay_conn *tech;
	struct relay_conn *customer;   /* NULL when there was no live session */
	ssh_channel tech_chan;         /* owned by tech->session */
	ssh_channel cust_chan;         /* owned by customer->session */
	enum relay_viewer_state state;
	uint8_t caps;                  /* what the customer allows now */
	uint8_t asked;                 /* what the technician asked for (the destination port says) */
	bool reasking;                 /* asked for control while viewing; the answer is pending */
	time_t asked_at;
	struct buf refusal;
	uint64_t bytes_to_customer, bytes_to_tech;
	struct relay_recorder *recorder; /* NULL when not recording */
	/*
	 * Routed (route.c): the customer is on another relay, cust_chan is a
	 * direct-tcpip channel to it, which records and asks consent there.
	 */
	struct relay_route *route;
	struct relay_viewer *next;
};

/*
 * A source penalised for holding a pre-authentication slot without using it
 * (server.c, after OpenSSH's PerSourcePenalties): refused while the relay
 * is busy, until until; strikes doubles the next penalty.
 */
struct relay_penalty {
	char source[64];
	time_t until;
	unsigned strikes;
};
#define RELAY_PENALTY_SOURCES 1024

/*
 * A socket the relay hung up on with a message (an account disabled): it
 * is shut for writing and read until the peer closes or until until_ms,
 * because closing a socket that still has unread input sends a reset,
 * and a reset throws away what the peer had not yet been sent, the
 * message first.
 */
struct relay_linger {
	int fd;
	int64_t until_ms;
};
#define RELAY_LINGER_MAX 64
/* How long a farewell may take: draining libssh's output, then lingering. */
#define RELAY_FAREWELL_MS 2000

/* A log line that may come in floods: when it may next be written, and how many were not. */
struct relay_log_limit {
	time_t next;
	unsigned long quiet;
};

enum relay_recording_policy { RELAY_RECORDING_REQUIRED, RELAY_RECORDING_OPTIONAL, RELAY_RECORDING_OFF };

/*
 * What chan.c hands up. chan.c is transport and sits below the rooms that
 * act on what arrives; calling them by name would close a circle, so
 * server.c fills these at start (docs/internals.md, "Who may call whom").
 */
struct relay_hooks {
	/* A decoded record from a customer's control channel (dispatch.c). */
	void (*customer_record)(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec);
	/* An exec channel's command line; returns the exit status (exec.c). */
	int (*exec)(struct relay *relay, struct relay_chan *ch, const char *line, struct buf *out, struct buf *err);
	/* A line typed into a chat stream, len bytes before its NUL (follow.c). */
	void (*chat_said)(struct relay *relay, struct relay_chan *ch, const char *text, size_t len);
};

/* The budget of one intake token over all the sessions it opened (dispatch.c, rate.h). */
#define RELAY_INTAKE_BUDGETS 64
struct relay_intake_budget {
	int64_t intake;          /* 0: a free slot */
	struct relay_rate rate;
	struct relay_rate searches;   /* self-help searches before a ticket (server.c) */
};

/* An intake sign-in between the articles shown and the customer's choice (server.c). */
struct relay_selfhelp {
	char name[INTAKE_NAME_MAX * 4 + 1];
	char desc[INTAKE_DESC_MAX * 4 + 1];
	char shown[INTAKE_SELFHELP_MAX * (STORE_KB_TITLE_MAX + 32)];   /* "#3 TITLE; #7 TITLE" */
};

struct relay {
	struct relay_hooks hooks;
	struct relay_home *home;
	struct store *store;
	ssh_bind bind;
	struct pollfd *pfds;
	size_t pfds_cap;
	struct relay_conn *conns;
	struct relay_chan *chans;
	struct relay_viewer *viewers;
	uint32_t next_viewer_id;
	uint32_t next_logs_request;
	unsigned next_conn_id;
	volatile sig_atomic_t *stop;
	enum relay_recording_policy recording;
	bool record_input;             /* keep the technician's side of the stream */
	bool has_recording_key;
	uint8_t recording_key[32];     /* the auditors' X25519 public key */
	const char *clock_offset_path; /* a test's clock: seconds added to real time */
	int64_t clock_offset;
	int64_t last_policy_run;
	/*
	 * (ticket.c) When the next SLA warning or breach falls due (-1: none),
	 * as the last scan of the open tickets found; sla_known false makes the
	 * next tick scan again. Every change that could bring one closer (a new
	 * ticket, a priority, a response, a pause's end, a recorded flag) clears it.
	 */
	bool sla_known;
	int64_t sla_due;
	time_t last_record_flush;
	struct wake record_wake;       /* a recording's sync thread lets a held splice go on (record.c) */
	time_t last_audit_tick;
	struct relay_audit *audit;     /* the audit key and checkpoint state (audit.c) */
	struct relay_routing *routing; /* this relay's peer row and its routed views' sessions (route.c) */
	/*
	 * Chat lines other relays of the store write reach this relay's
	 * customers and chat streams by reading the chain (peerchat.c); own
	 * holds the seqs of the lines written here since, not to be sent twice.
	 */
	struct relay_chat_tail {
		int64_t seq;
		int64_t *own;
		size_t n, cap;
		bool started;
	} chat_tail;
	struct relay_jobs *jobs;       /* exports and verifies, off the loop (job.c) */
	struct relay_webhooks *webhooks; /* the webhooks' delivery thread, NULL without receivers (webhook.c) */
	struct relay_guard *guard;     /* code guessing: back-off and global cap (guard.c) */
	struct relay_log_limit admit_log[3]; /* pre-authentication refusals, evictions, penalties (server.c) */
	struct relay_penalty *penalties;     /* RELAY_PENALTY_SOURCES of them (server.c) */
	unsigned long penalty_refusals;      /* connections refused from penalised sources, for the log */
	int accept_reserve;                  /* a descriptor given up to refuse a connection at the limit (server.c) */
	int64_t accept_paused_until_ms;      /* the listening socket is not polled before (server.c) */
	struct relay_log_limit accept_log;   /* refusals for want of descriptors (server.c) */
	struct relay_linger lingering[RELAY_LINGER_MAX]; /* (server.c) */
	size_t nlingering;
	struct relay_intake_budget intake_budgets[RELAY_INTAKE_BUDGETS]; /* (dispatch.c) */
};

/* Rights: what a connection may do to a ticket (rights.c). */
enum relay_action {
	RELAY_ACT_NEW, RELAY_ACT_SHOW, RELAY_ACT_QUEUE, RELAY_ACT_TAKE, RELAY_ACT_CHAT,
	RELAY_ACT_NOTE, RELAY_ACT_NOTE_SENSITIVE, RELAY_ACT_ESCALATE, RELAY_ACT_RESOLVE,
	RELAY_ACT_INVITE, RELAY_ACT_VIEW, RELAY_ACT_TRIAGE, RELAY_ACT_WAIT,
	RELAY_ACT_KB_READ, RELAY_ACT_KB_WRITE, /* the knowledge base: technicians and auditors read, technicians write */
	RELAY_ACT_AUDIT,   /* auditor commands: tickets, show, transcript, recordings, export, verify */
	/* Major incidents and the end of a case (review.c): L2 and L3 review, list; auditors list too. */
	RELAY_ACT_REVIEW, RELAY_ACT_REVIEW_LIST, RELAY_ACT_REOPEN, RELAY_ACT_CLOSE,
};

/* record.c: recordings of spliced streams, sealed for the auditors */
/* Installs the auditors' public key (from a file the caller read, perhaps before dropping root). */
int relay_record_install_key(const char *home_dir, const uint8_t key[32], char *err, size_t errlen);
/* Reads the recording settings and key; seals segments a crash left open. */
int relay_record_setup(struct relay *relay, char *err, size_t errlen);
/* Starts v's segment. -1 when recording is required and impossible (reason filled). */
int relay_record_start(struct relay *relay, struct relay_viewer *v, char *reason, size_t reasonlen);
/* Appends bytes; -1 when the segment failed and the policy says sharing must stop. */
int relay_record_bytes(struct relay *relay, struct relay_viewer *v, uint8_t direction, const void *p, size_t n);
void relay_record_stop(struct relay *relay, struct relay_viewer *v);
/* Makes the last second of every open segment durable. */
void relay_record_tick(struct relay *relay);
/*
 * Whether v's splice may move more bytes now: false while its recording's
 * oldest byte not yet durable is a second old, or too much waits for the
 * disk; the segment's thread then signals record_wake when that changes.
 */
bool relay_record_ready(struct relay_viewer *v);
/* The last relay_record_ready said no (the splice is held back). */
bool relay_record_held(const struct relay_viewer *v);

/* rights.c */
int relay_tier_rank(const char *tier);
/*
 * 0 when conn may do action to t (NULL for actions on no ticket; for
 * QUEUE, t->tier is the queue asked for), else -1 with why filled.
 */
int relay_rights_check(enum relay_role role, const struct store_user *user, enum relay_action action,
		       const struct store_ticket *t, char *why, size_t whylen);
/* 1 when someone of this role and tier may read content cleared for clearance. */
int relay_rights_can_read(enum relay_role role, const char *tier, const char *clearance);

/* clock.c: now, as the relay sees it (a test may offset it) */
int64_t relay_now(struct relay *relay);
/* The same clock in milliseconds, for budgets that refill within a second (rate.h). */
int64_t relay_now_ms(struct relay *relay);
/* Re-reads a test's clock offset file, if one was given. */
void relay_clock_refresh(struct relay *relay);

/* conn.c: reading the table of connections */
const char *relay_role_name(enum relay_role role);
/* What an account's stored role lets it sign in as; RELAY_ROLE_NONE for a role this relay does not know. */
enum relay_role relay_role_of_account(const struct store_user *user);
/* The live helper of ticket (the newest, if it reconnected), or NULL. */
struct relay_conn *relay_conn_live_customer(struct relay *relay, int64_t ticket);

/* ticket.c: what happens to tickets, from commands, customers and policy alike */
/*
 * Opens a ticket from spec for by, with its "created" event, in one
 * transaction; *id gets its number. 0, or -1 when the store failed
 * (nothing was written).
 */
int relay_ticket_open(struct relay *relay, const struct store_ticket_spec *spec, const struct store_user *by,
		      int64_t *id);
/*
 * A customer's own ticket through intake token intake: the ticket, the
 * token's use and the event (detail: the token and where from) in one
 * transaction. 0, or -1 with nothing written.
 */
int relay_ticket_open_intake(struct relay *relay, const struct store_ticket_spec *spec, int64_t intake,
			     const char *detail, int64_t *id);
/* A note by by; sensitive ones are cleared for by's tier. 0 or -1. */
int relay_ticket_note(struct relay *relay, int64_t ticket, const struct store_user *by, bool sensitive,
		      const char *text);
/*
 * Issues a support code for ticket into text (CODE_TEXT_MAX bytes, which
 * the caller cleanses after use); the ticket's previous live code is
 * cancelled (*replaced > 0). 0, or -1 with text cleansed.
 */
int relay_ticket_invite(struct relay *relay, int64_t ticket, const struct store_user *by, char *text,
			int *replaced);
int relay_ticket_escalate(struct relay *relay, int64_t ticket, const struct store_user *by,
			  const char *to_tier, const char *note, char *err, size_t errlen);
int relay_ticket_take(struct relay *relay, int64_t ticket, const struct store_user *by,
		      char *err, size_t errlen);
/*
 * Triage (triage.h): the priority the home's matrix gives impact and
 * urgency (level indexes), the row and its triaged record in one
 * transaction. When that priority starts above the ticket's tier
 * (start_tier_pN), the ticket then escalates there as by's act, unowned.
 * priority gets the new one, moved_to the tier it moved to or "". 0, or -1
 * with err (nothing changed).
 */
int relay_ticket_triage(struct relay *relay, int64_t ticket, const struct store_user *by, int impact, int urgency,
			char priority[4], char moved_to[4], char *err, size_t errlen);
/*
 * `wait N --for customer`: the SLA clocks stop (sla-paused) until the
 * customer's next chat line or connection (sla-resumed). 0, or -1 with err
 * (already waiting: nothing written).
 */
int relay_ticket_wait(struct relay *relay, int64_t ticket, const struct store_user *by, char *err, size_t errlen);
/* The SLA timer: warnings and breaches now due, each once (sla.h); run by relay_policy_tick. */
void relay_ticket_sla_tick(struct relay *relay);
/* A checklist field filled: a field-set record "NAME: TEXT" (sensitive: cleared for by's tier). 0 or -1. */
int relay_ticket_field(struct relay *relay, int64_t ticket, const struct store_user *by, bool sensitive,
		       const char *field, const char *text);
/*
 * The fields of the checklist for leaving tier (checklist_l1, _l2) that
 * ticket's record has not filled (field-set records; triaged fills impact
 * and urgency), comma-separated into out. How many, or -1 (store failed).
 */
int relay_ticket_checklist_missing(struct relay *relay, int64_t ticket, const char *tier, char *out, size_t outlen);
/*
 * relay_ticket_escalate past a checklist: forced ("missing F: REASON") is
 * recorded as escalation-forced in the escalation's own transaction.
 */
int relay_ticket_escalate_forced(struct relay *relay, int64_t ticket, const struct store_user *by,
				 const char *to_tier, const char *note, const char *forced, char *err, size_t errlen);
int relay_ticket_chat(struct relay *relay, int64_t ticket, const char *author, const char *role,
		      const char *text);
/*
 * A record another relay wrote (peerchat.c): a chat line goes to this
 * relay's customer of the ticket (a technician's) and its chat streams; a
 * pause or resume of sharing to its chat streams, as ticket.c words them;
 * an escalation, a take or a resolution does here what it does on the
 * relay that made it, to this relay's customer and views.
 */
void relay_ticket_peer_event(struct relay *relay, const struct store_event *e, int64_t ticket);
int relay_ticket_resolve(struct relay *relay, int64_t ticket, const struct store_user *by,
			 const char *note, char *err, size_t errlen);
/* relay_ticket_resolve naming the article that fixed it (kb > 0): a resolved-by-kb record "#ID" beside resolved. */
/*
 * A resolved ticket opened again (the customer came back: the fix did not
 * hold): state open, unowned, in its tier's queue; a reopened record with
 * reason. 0, or -1 with err.
 */
int relay_ticket_reopen(struct relay *relay, int64_t ticket, const struct store_user *by, const char *reason,
			char *err, size_t errlen);
/* A resolved ticket closed for good (no reopening): a closed record. 0, or -1 with err. */
int relay_ticket_close(struct relay *relay, int64_t ticket, const struct store_user *by, char *err, size_t errlen);
int relay_ticket_resolve_kb(struct relay *relay, int64_t ticket, const struct store_user *by, const char *note,
			    int64_t kb, char *err, size_t errlen);
void relay_ticket_logs_data(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec);
/* The customer of c->ticket logged in with a support code: recorded, and an owned ticket is in session. */
void relay_ticket_customer_came(struct relay *relay, struct relay_conn *customer);
void relay_ticket_customer_left(struct relay *relay, struct relay_conn *customer);
/* What the customer's helper sent over its budget (rate.h), said in one event and forgotten; nothing if none. */
void relay_ticket_customer_dropped(struct relay *relay, struct relay_conn *customer);
/* The customer paused or resumed sharing (CTL_SHARING): an event, and a line in the chat streams. */
void relay_ticket_sharing(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec);
/*
 * A controlling viewer's clicks or keys landed on the customer's helper
 * window and were dropped there (CTL_INPUT_IGNORED): an event naming the
 * technician.
 */
void relay_ticket_input_ignored(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec);
/*
 * What Windows forbids the customer's helper now (CTL_DESKTOP), in the
 * relay's own words: an event, and a line in the chat streams.
 */
void relay_ticket_desktop(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec);
/* Who answered a consent or logs question, and where (CTL_ANSWERED): an event. */
void relay_ticket_answered(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec);
/* The helper's CTL_RESUME: a fresh resume token for its ticket (code.h), stored and sent back. */
void relay_ticket_resume_token(struct relay *relay, struct relay_conn *customer);
void relay_ticket_status(struct relay *relay, int64_t ticket, const char *text);
/* What happened to the request, for the helper to word (CTL_NOTICE); text is the English, for logs. */
void relay_ticket_notice(struct relay *relay, int64_t ticket, uint8_t kind, const char *name, const char *tier,
			 const char *text);
/* Formats a chat event as one transcript line into out. */
/* A chat line's room: its text escaped (textesc.h: at most 4 bytes per byte), names and time. */
#define RELAY_CHAT_LINE_MAX (4 * CTL_TEXT_MAX + 512)
void relay_ticket_chat_line(const struct store_event *e, char *out, size_t outlen);
void relay_policy_tick(struct relay *relay);
/* When (relay_now's clock) the next automatic escalation falls due; -1 when none can. */
int64_t relay_policy_next_due(struct relay *relay);

/*
 * certauth.c: logins by OpenSSH user certificate. relay_certauth_offered
 * says whether key is a certificate; relay_certauth answers the publickey
 * request for one (an SSH_AUTH_* code), signing conn in when the signature
 * is valid and logging every refusal with the certificate's key id and serial.
 */
bool relay_certauth_offered(ssh_key key);
int relay_certauth(struct relay_conn *conn, ssh_key key, const char *ssh_user, char signature_state);

/* server.c */
/*
 * Binds the listening port and loads the host key (before privileges are
 * dropped: the port may be below 1024). NULL on failure, logged.
 */
ssh_bind relay_server_listen(const struct relay_home *home);
/* Serves until *stop; takes bind (frees it). */
int relay_server_run(struct relay_home *home, struct store *store, ssh_bind bind, volatile sig_atomic_t *stop);

/* chan.c */
/*
 * Whether conn may hold one more channel (a session channel or a view):
 * 0 yes; -1 over max_channels_per_connection or max_channels_per_user
 * (why filled); -2 so far over that the open itself is refused.
 */
int relay_chan_room(struct relay *relay, const struct relay_conn *conn, char *why, size_t whylen);
ssh_channel relay_chan_open_session(ssh_session session, void *userdata);
int relay_chan_send_ctl(struct relay_chan *ch, const struct ctl_record *rec);
void relay_chan_service(struct relay *relay, struct relay_chan *ch);
void relay_chan_free(struct relay *relay, struct relay_chan *ch, bool session_dying);
/* Sends a transcript line to every stream following ticket. */
void relay_chan_chat_broadcast(struct relay *relay, int64_t ticket, const char *line);

/* follow.c: live chat streams */
/* Makes an exec channel a live chat stream of ticket (transcript so far, then new lines). */
void relay_follow_chat(struct relay *relay, struct relay_chan *ch, int64_t ticket);
/* A line the stream's technician typed: said on the ticket if they may chat there. */
void relay_follow_said(struct relay *relay, struct relay_chan *ch, const char *text, size_t len);

/* dispatch.c: a customer's control record to the room that owns it */
void relay_dispatch_record(struct relay *relay, struct relay_conn *customer, const struct ctl_record *rec);
/* The budgets of intake token intake: its own slot, or the stalest one, now its. */
struct relay_intake_budget *relay_dispatch_intake_budget(struct relay *relay, int64_t intake);

/* viewer.c */
/* The destination ports of ticket-N: the level the technician asks the customer for. */
#define RELAY_VIEWER_PORT_CONTROL 5900
#define RELAY_VIEWER_PORT_VIEW 5901
/* Takes chan; asked is CTL_CAP_VIEW, or CTL_CAP_VIEW | CTL_CAP_CONTROL. */
void relay_viewer_open(struct relay *relay, struct relay_conn *tech, ssh_channel chan, int64_t ticket,
		       uint8_t asked);
/*
 * `control N`: asks the customer again, for control this time, on behalf of
 * every view-only stream user has of ticket. 0 (out says what was asked),
 * or -1 with err filled.
 */
int relay_viewer_ask_control(struct relay *relay, int64_t ticket, const struct store_user *user,
			     char *out, size_t outlen, char *err, size_t errlen);
/* The customer ended the session (CTL_SHARING_ENDED): their streams end with that reason. */
void relay_viewer_customer_ending(struct relay *relay, struct relay_conn *customer);
/*
 * The customer allowed viewer id in the helper, then refused at the
 * desktop's own dialog (the portal's, asked after that Allow): a deny of
 * that technician, recorded with where it was said. false when no viewer
 * of this customer with that id waits for consent any more.
 */
bool relay_viewer_desktop_refused(struct relay *relay, struct relay_conn *customer, uint32_t id);
void relay_viewer_consent_reply(struct relay *relay, struct relay_conn *customer,
				const struct ctl_record *rec);
void relay_viewer_service(struct relay *relay, struct relay_viewer *v);
/* Whether a splice has bytes that libssh already read and the loop has not moved (no socket will say so). */
bool relay_viewer_pending(struct relay *relay);
void relay_viewer_conn_lost(struct relay *relay, struct relay_conn *conn);
/*
 * Ends every viewer of ticket except those of keep_user_id (a takeover, a
 * resolution); why ("the L3 technician bob took over") reaches each
 * technician: as the RFB failure reason before the stream started, as the
 * exit-signal message of the channel after.
 */
void relay_viewer_detach_others(struct relay *relay, int64_t ticket, int64_t keep_user_id, const char *why);
void relay_viewer_free(struct relay_viewer *v);

/*
 * knowledge.c: the knowledge base's changes (records of ticket 0) and its
 * suggestions to a ticket's technician (kb.h for the matching).
 */
/* public 0, L1..L3 1..3, else -1: the rank an article's tier is read at. */
int relay_knowledge_rank(const char *tier);
/* A new article by by, and its kb-added record, in one transaction; *id gets its number. 0 or -1. */
int relay_knowledge_add(struct relay *relay, const struct store_kb *a, const struct store_user *by, int64_t *id);
/* Article a->id changed (NULL fields kept), with a kb-edited record naming fields. 0, STORE_NOT_FOUND or -1. */
int relay_knowledge_edit(struct relay *relay, const struct store_kb *a, const char *fields,
			 const struct store_user *by);
/*
 * Articles the ticket's tier may read that text matches (kb.h), at most 3,
 * as one kb-suggested record ("WHEN: #ID TITLE; ..."); nothing when none.
 */
void relay_knowledge_suggest(struct relay *relay, int64_t ticket, const char *when, const char *text);
/* review.c: the review of a P1/P2 incident (cause, prevention) and its recurrence. */
bool relay_review_needed(const char *priority);
/* What a review lacks, in words ("cause and prevention", "cause", "prevention", or ""). */
const char *relay_review_missing_words(bool cause, bool prevention);
/* Whether ticket's review has a cause and a prevention. 0, or -1 when the store failed. */
int relay_review_state(struct relay *relay, int64_t ticket, bool *cause, bool *prevention);
/* Records the fields given (NULL: unchanged), one reviewed record each, in one transaction. 0 or -1. */
int relay_review_set(struct relay *relay, int64_t ticket, const struct store_user *by, const char *cause,
		     const char *prevention);
struct relay_kb_terms;
/* A recurrence record on ticket when its terms match a reviewed incident's cause or kb (the articles suggested now) its article. */
void relay_review_recurrence(struct relay *relay, int64_t ticket, const char *when, const struct relay_kb_terms *terms,
			     const int64_t *kb, size_t nkb);

/*
 * Self-help for a customer without a code: the public articles (at most
 * INTAKE_SELFHELP_MAX) that match text, the description they typed. instr
 * gets what the customer reads (per article "#ID TITLE", "Symptoms: ...",
 * "Fix: ...", the fields cut and escaped), shown "#ID TITLE; ..." for the
 * ticket's record. Returns how many; 0 with both "" when none or on error.
 */
size_t relay_knowledge_self_help(struct relay *relay, const char *text, char *shown, size_t shownlen, char *instr,
				 size_t instrlen);

/*
 * route.c: views of a customer who is on another relay of the same store.
 * See the top of route.c for the design.
 */
/*
 * At serve's start: this relay's peer row, named by pub (its audit key's
 * public half), and its live rows of a crash cleared. 0 or -1 with err.
 */
int relay_route_setup(struct relay *relay, const uint8_t pub[STORE_PUB_LEN], char *err, size_t errlen);
void relay_route_stop(struct relay *relay);
/* Once a second: the heartbeat that keeps this relay's live rows believed. */
void relay_route_tick(struct relay *relay);
/* Ticket's live customer came to this relay, or one left (the row stays while another is live here). */
void relay_route_live(struct relay *relay, int64_t ticket);
void relay_route_left(struct relay *relay, int64_t ticket);
/* Does another relay of the store hold ticket's live customer (the store says so)? */
bool relay_route_held_elsewhere(struct relay *relay, int64_t ticket);
/*
 * Is key the host key of a relay of this store in service? 1 (name filled
 * with its name), 0 no, -1 the store could not say.
 */
int relay_route_peer_key(struct relay *relay, ssh_key key, char *name, size_t namelen);
/*
 * Any thread: a peer's row by its audit key, from st (the caller's own
 * connection). 1 found and in service, 0 none or retired, -1 the store failed.
 */
int relay_route_peer_by_pub(struct store *st, const uint8_t pub[STORE_PUB_LEN], struct store_peer *out);
/*
 * Any thread, blocking (each step bounded by the route timeout): an SSH
 * client session to a peer relay at host:port that presents exactly the
 * host key pinned ("TYPE BASE64", the store's), logged in as user with
 * this relay's host key at key_path. 0 with *out, or -1 with why.
 */
struct relay_peer_dial {
	const char *host;
	unsigned port;
	const char *pinned;
	const char *name;             /* the peer's, for messages */
	const char *key_path;
	const char *user;
};
int relay_route_dial(const struct relay_peer_dial *d, ssh_session *out, char *why, size_t whylen);
/*
 * Starts a routed view of ticket on the relay that holds its live customer,
 * for user, at port (the level asked). 0 with *out set (connecting off the
 * loop); 0 with *out NULL when no other relay holds the ticket; -1 with why
 * when one does but cannot be reached from here.
 */
struct relay_route;
int relay_route_open(struct relay *relay, int64_t ticket, int port, const char *user, struct relay_route **out,
		     char *why, size_t whylen);
/* 0 still connecting; 1 *chan is the open stream to the far relay; -1 failed with why. */
int relay_route_ready(struct relay_route *r, ssh_channel *chan, char *why, size_t whylen);
/* Asks the far relay for control of r's stream (its `control N`, sent by relay_route_service). 0, or -1 not open yet. */
int relay_route_ask_control(struct relay_route *r);
/* Once a tick for an open route: moves a control request along. */
void relay_route_service(struct relay_route *r);
/* The far relay's reason for ending the stream (its exit-signal), or NULL. */
const char *relay_route_why(const struct relay_route *r);
/* Frees r (a connection still being made is left to its thread, which frees it). */
void relay_route_free(struct relay_route *r);
/* The descriptors the loop polls for routes: how many were put at pfds (room for relay_route_nfds). */
size_t relay_route_nfds(const struct relay *relay);
size_t relay_route_pollfds(struct relay *relay, struct pollfd *pfds);
/* After the poll: each routed session with events runs its own event. */
void relay_route_polled(struct relay *relay, const struct pollfd *pfds);

/*
 * peerrec.c: recordings that live on another relay of the store, for an
 * export here. A relay logs in to its peer as RELAY_PEER_USER (no account
 * can be named so: a ':') and runs RELAY_PEERREC_CMD, the only command such
 * a login runs (exec_audit.c's exec_peer_recording serves it).
 */
#define RELAY_PEER_USER "relay:recordings"
#define RELAY_PEERREC_CMD "peer-recording"
struct event_recording;
/*
 * Any thread, blocking: fetches ticket's recording ref from the relay whose
 * audit key is place into fd (at most ref's size), logging in with the host
 * key at key_path. 0 when the bytes are the record's (size and SHA-256), or
 * -1 with why naming the recording and the relay.
 */
int relay_peerrec_fetch(struct store *st, const uint8_t place[STORE_PUB_LEN], const char *key_path, int64_t ticket,
			const struct event_recording *ref, int fd, const atomic_bool *cancel, char *why, size_t whylen);

/* peerchat.c: chat lines of other relays of the store, read from the chain once a second. */
int relay_peerchat_start(struct relay *relay, char *err, size_t errlen);
void relay_peerchat_tick(struct relay *relay);
void relay_peerchat_stop(struct relay *relay);

/* exec.c */
int relay_exec_run(struct relay *relay, struct relay_chan *ch, const char *line,
		   struct buf *out, struct buf *err);

/* audit.c: the audit key, signed checkpoints, the relay's own chain check, exports */
/* Loads the audit key (creating it in a home that has none). 0 or -1 with err. */
int relay_audit_setup(struct relay *relay, char *err, size_t errlen);
/* The audit key's fingerprint (chain_fingerprint), once setup has loaded it. */
void relay_audit_fingerprint(struct relay *relay, char *out, size_t outlen);
/* The audit key's public half, which names this relay in the store. 0, or -1 before setup. */
int relay_audit_public(struct relay *relay, uint8_t pub[CHAIN_PUB_LEN]);
/* Signs a checkpoint when 100 records or 60 s of records are unsigned. */
void relay_audit_tick(struct relay *relay);
/*
 * When (relay_now's clock) the next checkpoint falls due: 60 s after the
 * first unsigned record the relay knows of; -1 when every record is signed.
 */
int64_t relay_audit_next_due(struct relay *relay);
/* Signs a last checkpoint and frees the audit state (the exit path). */
void relay_audit_stop(struct relay *relay);
/* Signs a checkpoint over every record written so far, if any is unsigned. 0 or -1 with err. */
int relay_audit_checkpoint(struct relay *relay, char *err, size_t errlen);

/* How many problems one verify names; past that it counts them. */
#define RELAY_AUDIT_PROBLEMS_MAX 40

struct relay_audit_report {
	int ok;
	int64_t records;
	int64_t checkpoints;
	int64_t last_checkpoint;     /* seq the last checkpoint covers, 0 if none */
	int64_t unsigned_records;    /* records after it, not signed yet */
	int64_t attachments;         /* attachments whose bytes were checked */
	int64_t recordings;          /* recordings on disk checked */
	int64_t tickets;             /* tickets whose row was checked against their events */
	char error[512];             /* the first thing that failed, naming the record, file or ticket */
	/* Every problem found, one a line, error first (at most RELAY_AUDIT_PROBLEMS_MAX, then a count). */
	char problems[RELAY_AUDIT_PROBLEMS_MAX * 300];
	int nproblems;
	/* The signed head: the last checkpoint of the verified chain, for auditors' witnesses. */
	int has_head;
	int64_t head_at;
	uint8_t head_hash[CHAIN_HASH_LEN];
	uint8_t head_sig[CHAIN_SIG_LEN];
	/* The head the relay keeps outside its database (audit-head); 0 when there is none yet. */
	int64_t kept_head;
	/* Every checkpoint (seq, hash), so that a witness can check the heads it kept; malloc'd. */
	struct relay_audit_cp { int64_t seq; uint8_t hash[CHAIN_HASH_LEN]; } *cps;
	size_t ncps;
	uint8_t pub[CHAIN_PUB_LEN];
};
/* Frees what a verify left in rep. */
void relay_audit_report_clear(struct relay_audit_report *rep);

/* What a verify needs from the loop: the public key and where the relay's files are. */
struct relay_audit_verify_plan {
	uint8_t pub[CHAIN_PUB_LEN];
	char home_dir[4096];
};
/* On the loop: fills p. 0, or -1 with rep's error (no key). */
int relay_audit_verify_prepare(struct relay *relay, struct relay_audit_verify_plan *p,
			       struct relay_audit_report *rep);
/*
 * Any thread: checks the whole chain and every checkpoint signature in st
 * (the thread's own connection), the head kept in the relay home, every
 * attachment and recording against the SHA-256 its record names, and every
 * ticket's row against its events. Stops early, failed, once *cancel is
 * set (between records and between files).
 */
int relay_audit_verify(struct store *st, const struct relay_audit_verify_plan *p, const atomic_bool *cancel,
		       struct relay_audit_report *rep);

/* What an export needs, taken on the loop, so that the thread that writes it reads no relay state. */
struct relay_audit_export_plan {
	int64_t ticket;
	int64_t upto;                  /* the checkpoint signed for this export: it ends there */
	int64_t now;                   /* its exported-at, on the relay's clock */
	char *home_dir;                /* owned: where the recordings are */
	char *key_path;                /* owned: the host key, to fetch recordings from peers (peerrec.c) */
	uint8_t pub[CHAIN_PUB_LEN];
	EVP_PKEY *key;                 /* owned: a copy of the audit key, for the export's signature */
	/* That checkpoint: with a tickets root the export is version 2 (bounded by the ticket), else 1. */
	struct store_checkpoint cp;
	/* Another relay of the store signed cp: its registered key and name go in the export (SIGNER). */
	bool foreign;
	struct store_relay_key signer;
};
/* On the loop: signs a checkpoint over everything written so far and fills p. 0 or -1 with err. */
int relay_audit_export_prepare(struct relay *relay, int64_t ticket, struct relay_audit_export_plan *p, char *err,
			       size_t errlen);
void relay_audit_export_plan_clear(struct relay_audit_export_plan *p);
/*
 * Any thread: writes p's export (protocol/export.h) to fd, streamed (no
 * size bound but the export format's), reading st (the thread's own
 * connection). Stops early once *cancel is set. 0 or -1 with err.
 */
int relay_audit_export(struct store *st, const struct relay_audit_export_plan *p, int fd, const atomic_bool *cancel,
		       char *err, size_t errlen);
/*
 * Opens the recording of ticket that id names: the path `recordings N`
 * lists, or its file name. Only files named by the ticket's
 * recording-closed records are opened. *fd (the caller closes it) reads
 * the sealed file from its start; ref is what its record says. 0;
 * RELAY_AUDIT_ELSEWHERE with ref and place (the holder's audit key) when
 * the store says another relay holds it (peerrec.c fetches it);
 * STORE_NOT_FOUND when no record of the ticket names it; -1 with err when
 * it cannot be read.
 */
#define RELAY_AUDIT_ELSEWHERE 1
struct event_recording;
int relay_audit_recording_open(struct relay *relay, int64_t ticket, const char *id, int *fd,
			       struct event_recording *ref, uint8_t place[STORE_PUB_LEN], char *err, size_t errlen);
/*
 * Any thread: whether the relay whose audit key is self holds recording
 * path (the store's place for it, or none: a recording from before places
 * were kept, which is local). 1 here, 0 elsewhere with place set, -1 the
 * store failed.
 */
int relay_audit_recording_here(struct store *st, const uint8_t self[STORE_PUB_LEN], const char *path,
			       uint8_t place[STORE_PUB_LEN]);

#endif
