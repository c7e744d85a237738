/*
 * session.c: the helper's one event loop (see session.h).
 *
 * Setup is blocking and linear: open the X display first (a support code
 * is burnt by every sign-in, so nothing that can fail locally may come
 * after it), sign in with the code, open the control channel, ask for the
 * remote forward. The one exception is the desktop portal's dialog (GNOME,
 * KDE): only its presence is checked first; it is asked after the
 * customer's own yes to the first technician who asks to see the screen,
 * on a thread of its own while the loop goes on (wayland.h), so that the
 * customer's no there is recorded on the ticket as a deny of that
 * technician. Until it is answered there is no capture, screen or input
 * (s->screen NULL), and the relay hears the yes only once the screen is
 * ready for the stream. Then the session
 * turns non-blocking and everything happens in one ssh_event: the SSH
 * session, standard input (the tty UI), the X connection (damage events),
 * and one socketpair end per viewer (pumps). After every ssh_event_dopoll,
 * helper_session_step does all the work in a fixed order; fd callbacks only
 * wake the loop.
 *
 * Consent is enforced in helper_session_on_message: a forwarded-tcpip
 * channel is accepted only when its originator port names a viewer the
 * customer allowed, and only once per allowance. Everything else the relay
 * might try to open is refused by libssh's default reply.
 *
 * Questions to the customer (a viewer's CONSENT_ASK, a LOGS_ASK) share one
 * queue: each gets a sequence number when it arrives, the oldest
 * unanswered one is on screen, and answers apply to it. Logs are collected
 * on a worker thread once allowed or asked to be shown (logs_request.h),
 * which wakes the loop through the requests' wake when it is done; the loop
 * alone then shows or sends the bundle, fed to the control channel as it
 * drains. Nothing else runs beside the loop but libvncserver's client
 * threads, so only the loop touches libssh and the UI. Chat goes both ways through
 * the UI; the customer's lines are made valid UTF-8 and cut here, since
 * the UI knows nothing of the wire.
 *
 * Signals: SIGINT and SIGTERM arrive as a descriptor in the loop
 * (platform.h: a signalfd on Linux, a console control handler's wake on
 * Windows). A flag set by a handler would not do: libssh
 * retries poll() after EINTR, so the loop would not notice the flag until
 * some unrelated event arrived. They are blocked only once setup is done,
 * so that Ctrl-C still interrupts a slow connection attempt.
 */
#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
/* The message-callback API lives here, though clients use it too. */
#include <libssh/server.h>

#include "buf.h"
#include "capture.h"
#include "clipboard.h"
#include "code.h"
#include "control.h"
#include "ctl.h"
#include "hsock.h"
#include "i18n.h"
#include "input.h"
#include "log.h"
#include "logs.h"
#include "logs_request.h"
#include "origin.h"
#include "platform.h"
#include "pump.h"
#include "screen.h"
#include "sshutil.h"
#include "ui.h"
#include "ui_words.h"
#include "ui_text.h"
#include "utf8.h"
#include "viewer.h"
#include "wayland.h"

#define FORWARD_ADDRESS "localhost"
#define FORWARD_PORT 5900
#define FLUSH_TIMEOUT_MS 2000
#define HELPER_SESSION_REGRANTS 16
/* Coming back: rounds over the relays of the list, waiting 1, 2, 4, 8, 8 ... s between them. */
#define HELPER_RESUME_ROUNDS 10
#define HELPER_RESUME_WAIT_MAX_MS 8000
/*
 * How long after the loss a technician's viewer may come back and be
 * allowed again without a question: its own back-off (technician/view.c)
 * reaches the next relay within about a minute; later is a new visit.
 */
#define HELPER_REGRANT_MS (3 * 60 * 1000)

enum helper_end {
	HELPER_END_NONE = 0,
	HELPER_END_USER,    /* "end", Ctrl-C, SIGTERM */
	HELPER_END_RELAY,   /* the relay closed the control channel */
	HELPER_END_LOST,    /* the SSH connection died */
	HELPER_END_FAILED,  /* something on our side failed; reason says what */
	HELPER_END_CLOSED,  /* the relay ended the session (CTL_END); reason says why */
};

struct helper_session {
	struct helper_options *opt;
	bool intake;                /* no code: open a new ticket with the description below */
	char intake_name[INTAKE_NAME_MAX * 4 + 1];
	char intake_desc[INTAKE_DESC_MAX * 4 + 1];
	const struct helper_ui_ops *ui;
	void *ui_state;
	int ui_fd;                  /* registered in event, or -1 */
	int sig_fd;
	ssh_session ssh;
	ssh_event event;
	struct helper_control ctl;
	struct helper_viewers viewers;
	struct helper_logs_requests logs;
	struct helper_logs_config logs_cfg;     /* logs.cfg points here when a test shortens or lengthens the cap */
	int logs_fd;                /* a collection finished; registered in event, or -1 */
	uint64_t next_seq;          /* for the next question, viewer or logs */
	struct helper_capture *capture;
	int capture_fd;             /* registered in event, or -1 */
	int request_fd;             /* a viewer asked for an update; registered, or -1 */
	struct helper_input *input;
	struct helper_origin *origin;       /* NULL: presses cannot be told apart, so no control */
	int origin_fd;                      /* registered in event, or -1 */
	struct helper_clipboard *clipboard;   /* NULL: no clipboard sharing */
	int clip_x_fd, clip_wake_fd;          /* registered in event, or -1 */
	struct helper_screen *screen;       /* NULL until the portal's screen is open (portal) */
	bool portal;                /* the screen is the desktop portal's, opened after the first Allow */
	struct helper_wayland_ask *ask;     /* the portal is being asked (its dialog may be up), or NULL */
	int ask_fd;                 /* registered in event, or -1 */
	bool ask_told;              /* the customer was told before the dialog */
	char end_text[640];         /* end_reason when it is made up here */
	bool input_closed;          /* nobody can answer: deny every ask */
	bool paused;                /* the customer paused sharing (grants kept) */
	uint8_t desktop;            /* what Windows forbids now (enum ctl_desktop_flag), as last told */
	bool signalled;             /* SIGINT or SIGTERM: exit without waiting for the customer */
	bool code_from_ui;          /* the customer typed the code: a refusal asks again */
	/*
	 * Coming back after the relay was lost: the token the relay drew for
	 * us (CTL_RESUME; secret, wiped at the end), which relay of the list
	 * we are on (0: --relay, then --also-relay), and who the customer had
	 * allowed when it was lost, to allow them again without asking.
	 */
	char resume_token[INTAKE_TOKEN_TEXT_MAX];
	unsigned relay_at;
	struct helper_session_regrant {
		char name[CTL_NAME_MAX + 1];
		char tier[CTL_NAME_MAX + 1];
		uint32_t ticket;
		uint8_t caps;
		int64_t until_ms;   /* the allowance holds for a viewer back by then only */
	} regrants[HELPER_SESSION_REGRANTS];
	unsigned regrants_n;
	enum helper_end end;
	const char *end_reason;     /* for HELPER_END_FAILED and HELPER_END_CLOSED */
};

/* The desktop portal's question, after the customer's first yes (below the loop). */
static void helper_session_portal_ask(struct helper_session *s, struct helper_viewer *v);
static void helper_session_portal_stop(struct helper_session *s);
static void helper_session_run_portal(struct helper_session *s);

static void helper_session_finish(struct helper_session *s, enum helper_end end, const char *reason)
{
	if (s->end != HELPER_END_NONE)
		return;
	s->end = end;
	s->end_reason = reason;
	if (end == HELPER_END_LOST)
		log_warn("connection to the relay lost: %s", ssh_get_error(s->ssh));
	else if (end == HELPER_END_RELAY)
		log_info("the relay closed the control channel");
}

static bool helper_session_lost(struct helper_session *s)
{
	return !ssh_is_connected(s->ssh) ||
	       (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;
}

/*
 * libssh calls this for every request it has no handler for, from inside
 * its packet processing: accept or refuse here, but leave all other
 * channel work to the loop. Returning 1 makes libssh send its default
 * reply, which for a channel open is a refusal.
 */
static int helper_session_on_message(ssh_session ssh, ssh_message msg, void *userdata)
{
	struct helper_session *s = userdata;
	struct helper_viewer *v;
	ssh_channel chan;
	int port;

	(void)ssh;
	if (ssh_message_type(msg) != SSH_REQUEST_CHANNEL_OPEN)
		return 1;
	if (ssh_message_subtype(msg) != SSH_CHANNEL_FORWARDED_TCPIP) {
		log_warn("refused a channel of type %d the helper never asked for",
			 ssh_message_subtype(msg));
		return 1;
	}
	port = ssh_message_channel_request_open_originator_port(msg);
	v = port >= 0 ? helper_viewer_find(&s->viewers, (uint32_t)port) : NULL;
	if (v == NULL || v->state != HELPER_VIEWER_GRANTED || !(v->caps_granted & CTL_CAP_VIEW)) {
		log_warn("refused a screen stream for viewer %d: the customer has not allowed it", port);
		return 1;
	}
	chan = ssh_message_channel_request_open_reply_accept(msg);
	if (chan == NULL) {
		log_error("could not accept the screen stream for viewer %d", port);
		return 0;
	}
	v->chan = chan;
	v->state = HELPER_VIEWER_ACCEPTED;
	return 0;
}

/* The fd callbacks only wake the loop; helper_session_step does the work. */
static int helper_session_on_wake(socket_t fd, int revents, void *userdata)
{
	(void)fd;
	(void)revents;
	(void)userdata;
	return 0;
}

static int helper_session_on_ui(socket_t fd, int revents, void *userdata)
{
	struct helper_session *s = userdata;

	(void)fd;
	(void)revents;
	s->ui->readable(s->ui_state);
	return 0;
}

static int helper_session_on_signal(socket_t fd, int revents, void *userdata)
{
	struct helper_session *s = userdata;
	int signo;

	(void)revents;
	while ((signo = helper_platform_signals_take(fd)) != 0) {
		log_info("received signal %d: ending the session", signo);
		s->signalled = true;
		helper_session_finish(s, HELPER_END_USER, NULL);
	}
	return 0;
}

static void helper_session_reply(struct helper_session *s, uint32_t viewer_id, uint8_t caps)
{
	struct ctl_record r = { .type = CTL_CONSENT_REPLY, .viewer_id = viewer_id, .caps = caps };

	if (helper_control_send(&s->ctl, &r) != 0) {
		helper_session_finish(s, HELPER_END_FAILED, "the relay stopped reading our messages");
		return;
	}
	/*
	 * Into libssh's output now, so that a revocation reaches the relay
	 * before the close of the stream it revokes.
	 */
	helper_control_flush(&s->ctl);
}

/* The oldest unanswered question: sets at most one of *v and *l. */
static void helper_session_question(struct helper_session *s, struct helper_viewer **v,
				    struct helper_logs_request **l)
{
	*v = helper_viewer_first_asked(&s->viewers);
	*l = helper_logs_request_first_asked(&s->logs);
	if (*v != NULL && *l != NULL) {
		if ((*v)->seq < (*l)->seq)
			*l = NULL;
		else
			*v = NULL;
	}
}

/* Shows the oldest unanswered question, if it is not on screen yet. */
static void helper_session_prompt(struct helper_session *s)
{
	struct helper_viewer *v;
	struct helper_logs_request *l;

	helper_session_question(s, &v, &l);
	if (v != NULL && !v->prompted) {
		struct helper_ui_request r = helper_viewer_request(v);

		s->ui->ask(s->ui_state, &r);
		v->prompted = true;
	} else if (l != NULL && !l->prompted) {
		struct helper_ui_logs_request r = helper_logs_request_ui(l);

		s->ui->logs_ask(s->ui_state, &r);
		l->prompted = true;
	}
}

static void helper_session_deny(struct helper_session *s, struct helper_viewer *v)
{
	struct helper_ui_request r = helper_viewer_request(v);

	helper_session_reply(s, v->id, 0);
	s->ui->denied(s->ui_state, &r);
	log_info("viewer %u denied", v->id);
	helper_viewer_end(v);
}

/* Ends a viewer for whatever reason and tells the customer in the right words. */
static void helper_session_drop(struct helper_session *s, struct helper_viewer *v)
{
	struct helper_ui_request r = helper_viewer_request(v);

	if (v->state == HELPER_VIEWER_ASKED || v->state == HELPER_VIEWER_ALLOWED) {
		if (v->prompted)
			s->ui->withdrawn(s->ui_state, &r);
		log_info("viewer %u withdrew the request", v->id);
	} else if (v->state != HELPER_VIEWER_ENDED) {
		if (v->reasking && v->prompted)
			s->ui->withdrawn(s->ui_state, &r);
		s->ui->stopped(s->ui_state, &r);
		log_info("viewer %u stopped", v->id);
	}
	helper_viewer_end(v);
}

/*
 * A technician who views only asks for control: the same question, and
 * meanwhile the stream goes on as it was. 0, or -1 when this ask is not
 * one (the caller then treats it as a new viewer).
 */
static int helper_session_on_reask(struct helper_session *s, struct helper_viewer *v, const struct ctl_record *rec)
{
	if (v->state == HELPER_VIEWER_ASKED || v->state == HELPER_VIEWER_ALLOWED || (v->caps_granted & CTL_CAP_CONTROL) ||
	    !(rec->caps & CTL_CAP_CONTROL) || !(rec->caps & CTL_CAP_VIEW) || rec->ticket != v->ticket)
		return -1;
	if (v->reasking)
		return 0;  /* asked again before the customer answered: one question is enough */
	v->caps_asked = rec->caps;
	v->reasking = true;
	v->prompted = false;
	v->seq = s->next_seq++;
	log_info("viewer %u, allowed to view, now asks for control", v->id);
	if (s->input_closed || (s->screen != NULL && s->input == NULL)) {
		/* No one can answer, or no answer could give control: the view stays as it was. */
		if (!s->input_closed)
			log_warn("viewer %u kept to view only: the helper has no input here", v->id);
		v->reasking = false;
		helper_session_reply(s, v->id, v->caps_granted);
		return 0;
	}
	helper_session_prompt(s);
	return 0;
}

static int64_t helper_session_now_ms(void);

/*
 * After a lost relay, the technicians the customer had allowed come back
 * through another relay and ask again, as new viewers. The customer's
 * answer still holds for the same person (name and tier), the same ticket
 * and no more than was allowed: it is granted at once, and said. Anyone
 * else, or more (control where view was allowed), is asked as always.
 * Each allowance serves once, and only within HELPER_REGRANT_MS of the
 * loss. true when v was granted so.
 */
static bool helper_session_regrant(struct helper_session *s, struct helper_viewer *v)
{
	if (s->screen == NULL)
		return false;  /* nothing allowed before is on the screen yet: ask */
	for (unsigned i = 0; i < s->regrants_n; i++) {
		struct helper_session_regrant *g = &s->regrants[i];
		struct helper_ui_request r;
		uint8_t caps = v->caps_asked & (CTL_CAP_VIEW | CTL_CAP_CONTROL);

		if (strcmp(g->name, v->name ? v->name : "") != 0 || strcmp(g->tier, v->tier ? v->tier : "") != 0 ||
		    g->ticket != v->ticket || (caps & ~g->caps) != 0 || helper_session_now_ms() > g->until_ms)
			continue;
		s->regrants[i] = s->regrants[--s->regrants_n];
		v->caps_granted = caps;
		v->state = HELPER_VIEWER_GRANTED;
		helper_session_reply(s, v->id, caps);
		r = helper_viewer_request(v);
		s->ui->sharing(s->ui_state, &r, (caps & CTL_CAP_CONTROL) != 0);
		log_info("viewer %u (%s, %s) allowed again after the reconnection, as the customer had allowed before",
			 v->id, g->name, g->tier);
		return true;
	}
	return false;
}

static void helper_session_on_ask(struct helper_session *s, const struct ctl_record *rec)
{
	struct helper_viewer *v = helper_viewer_find(&s->viewers, rec->viewer_id);

	if (v != NULL && helper_session_on_reask(s, v, rec) == 0)
		return;
	/* Any other second ask for a live viewer replaces it: consent never carries over. */
	if (v != NULL)
		helper_session_drop(s, v);
	v = helper_viewer_add(&s->viewers, rec);
	if (v == NULL) {
		helper_session_reply(s, rec->viewer_id, 0);
		return;
	}
	v->seq = s->next_seq++;
	log_info("viewer %u asks for capabilities 0x%x on ticket %u", v->id, v->caps_asked, v->ticket);
	if (!(rec->caps & CTL_CAP_VIEW) || rec->viewer_id > 0xffffu) {
		/* Nothing we could show (or a viewer id no stream can carry): refuse plainly. */
		log_warn("viewer %u asked for something this helper cannot grant; refused", v->id);
		helper_session_deny(s, v);
		return;
	}
	if (helper_session_regrant(s, v))
		return;
	if (s->input_closed) {
		helper_session_deny(s, v);
		return;
	}
	helper_session_prompt(s);
}

static void helper_session_refuse_logs(struct helper_session *s, struct helper_logs_request *r)
{
	struct helper_ui_logs_request u = helper_logs_request_ui(r);

	if (helper_logs_request_refuse(r, &s->ctl) != 0)
		helper_session_finish(s, HELPER_END_FAILED, "the relay stopped reading our messages");
	if (r->prompted || s->input_closed)
		s->ui->logs_refused(s->ui_state, &u);
	log_info("logs request %u refused", r->id);
}

static void helper_session_on_logs_ask(struct helper_session *s, const struct ctl_record *rec)
{
	struct helper_logs_request *r;

	if (helper_logs_request_find(&s->logs, rec->viewer_id) != NULL) {
		/* Answering twice for one id would leave the relay guessing which answer counts. */
		log_warn("the relay asked again for logs request %u, which is still open; ignored",
			 rec->viewer_id);
		return;
	}
	r = helper_logs_request_add(&s->logs, rec);
	if (r == NULL) {
		log_warn("logs request %u refused without asking: too many open requests or out of memory",
			 rec->viewer_id);
		if (helper_logs_request_send_refusal(&s->ctl, rec->viewer_id) != 0)
			helper_session_finish(s, HELPER_END_FAILED, "the relay stopped reading our messages");
		return;
	}
	r->seq = s->next_seq++;
	log_info("logs request %u on ticket %u names %zu source(s)", r->id, r->ticket, r->plan->n);
	if (r->plan->n == 0) {
		/* Nothing to collect is nothing to ask the customer about. */
		log_warn("logs request %u names no sources; refused", r->id);
		helper_session_refuse_logs(s, r);
		return;
	}
	if (s->input_closed) {
		helper_session_refuse_logs(s, r);
		return;
	}
	helper_session_prompt(s);
}

static void helper_session_on_record(struct helper_session *s, const struct ctl_record *rec)
{
	struct helper_viewer *v;

	switch (rec->type) {
	case CTL_HELLO: {
		struct ctl_record ask = { .type = CTL_RESUME };

		log_info("connected to the relay for ticket %u", rec->ticket);
		s->ui->connected(s->ui_state, rec->ticket, rec->text);
		/*
		 * A token to come back with through another relay if this one is
		 * lost (code.h); a fresh one after each sign-in. Without another
		 * relay there is none: a lone relay's loss ends the session, and a
		 * new code and a new yes start the next one.
		 */
		if (s->opt->also_n > 0 && helper_control_send(&s->ctl, &ask) != 0)
			log_warn("could not ask the relay for a resume token");
		break;
	}
	case CTL_RESUME:
		if (rec->text != NULL && intake_token_ok(rec->text)) {
			snprintf(s->resume_token, sizeof(s->resume_token), "%s", rec->text);
			log_info("the relay gave a resume token: the session can survive the loss of this relay");
		} else {
			log_warn("the relay sent a resume token that is not one; ignored");
		}
		break;
	case CTL_CONSENT_ASK:
		helper_session_on_ask(s, rec);
		break;
	case CTL_VIEWER_LEFT:
		v = helper_viewer_find(&s->viewers, rec->viewer_id);
		if (v != NULL)
			helper_session_drop(s, v);
		helper_session_prompt(s);
		break;
	case CTL_STATUS:
		s->ui->status(s->ui_state, rec->text);
		break;
	case CTL_NOTICE: {
		char words[1024];
		const char *said = helper_ui_words_notice(rec->flags, rec->name, rec->tier, s->opt->org, words,
							  sizeof(words));

		s->ui->status(s->ui_state, said != NULL ? said : rec->text);
		break;
	}
	case CTL_CHAT:
		s->ui->chat(s->ui_state, rec->name, rec->tier, rec->text);
		break;
	case CTL_LOGS_ASK:
		helper_session_on_logs_ask(s, rec);
		break;
	case CTL_END:
		/* The decoder admits only the reasons we know, so each has its words here. */
		log_info("the relay ended the session: %s", rec->text);
		helper_session_finish(s, HELPER_END_CLOSED,
				      _("your technician marked your request as resolved"));
		break;
	default:
		log_debug("ignored a %s record from the relay", ctl_type_name(rec->type));
		break;
	}
}

static void helper_session_read_control(struct helper_session *s)
{
	struct ctl_record rec;
	int rc;

	while (s->end == HELPER_END_NONE && (rc = helper_control_next(&s->ctl, &rec)) != 0) {
		if (rc == 1) {
			helper_session_on_record(s, &rec);
			ctl_record_free(&rec);
		} else if (rc == HELPER_CONTROL_BAD) {
			helper_session_finish(s, HELPER_END_FAILED,
					      "the relay sent a malformed control message");
		} else if (helper_session_lost(s)) {
			helper_session_finish(s, HELPER_END_LOST, NULL);
		} else {
			helper_session_finish(s, HELPER_END_RELAY, NULL);
		}
	}
}

/*
 * Revokes every allowance: the relay hears "caps 0" and the streams close.
 * Logs allowed but not collected yet are refused after all (their workers
 * cancelled); a bundle already going out is not called back, as before.
 */
static void helper_session_stop_all(struct helper_session *s)
{
	/* The desktop's dialog asked for them goes too: nobody is to be shown anything. */
	helper_session_portal_stop(s);
	for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next) {
		if (v->state == HELPER_VIEWER_ASKED || v->state == HELPER_VIEWER_ENDED)
			continue;
		helper_session_reply(s, v->id, 0);
		helper_session_drop(s, v);
	}
	for (struct helper_logs_request *l = s->logs.head; l != NULL; l = l->next)
		if (l->state == HELPER_LOGS_REQUEST_APPROVED)
			helper_session_refuse_logs(s, l);
	s->ui->stopped_all(s->ui_state);
	log_info("the customer stopped sharing");
}

/*
 * Pause freezes what viewers get (no grab, so they keep the last frame) and
 * what they may do (no input, no clipboard) without touching any grant or
 * stream, so resuming needs no new consent. The relay hears it for the
 * ticket's record only: enforcement is here, like consent.
 */
static void helper_session_pause(struct helper_session *s, bool paused)
{
	struct ctl_record r = { .type = CTL_SHARING,
				.flags = paused ? CTL_SHARING_PAUSED : CTL_SHARING_RESUMED };

	if (s->paused == paused)
		return;
	s->paused = paused;
	/* Before the portal's screen is open, it takes this state when it opens. */
	if (s->capture != NULL)
		helper_capture_set_paused(s->capture, paused);
	if (s->screen != NULL)
		helper_screen_set_paused(s->screen, paused);
	if (helper_control_send(&s->ctl, &r) != 0) {
		helper_session_finish(s, HELPER_END_FAILED, "the relay stopped reading our messages");
		return;
	}
	s->ui->paused(s->ui_state, paused);
	log_info("the customer %s sharing", paused ? "paused" : "resumed");
}

/*
 * For the ticket: the customer, at the machine, answered question id in
 * this UI (the window only reports the customer's own presses, origin.h).
 * Goes before the reply it explains.
 */
static void helper_session_answered(struct helper_session *s, uint8_t which, uint32_t id, uint8_t caps)
{
	char ui[CTL_UI_NAME_MAX];
	struct ctl_record r = { .type = CTL_ANSWERED, .viewer_id = id, .flags = which, .caps = caps, .text = ui };

	snprintf(ui, sizeof(ui), "%s", s->ui == &helper_ui_sdl ? "window" : "terminal");
	if (helper_control_send(&s->ctl, &r) != 0)
		log_warn("could not record who answered question %u", id);
}

/*
 * The customer's yes (v->caps_granted) goes to the relay, and the stream may
 * come. Control is granted only where the helper can give it: without input
 * (the desktop's dialog left "Allow remote interaction" unticked, or XTest
 * or the portal refused) the ticket said "view,control" for a technician
 * who could only watch, so the yes is cut to view and the customer told.
 */
static void helper_session_grant(struct helper_session *s, struct helper_viewer *v)
{
	struct helper_ui_request r;

	if ((v->caps_granted & CTL_CAP_CONTROL) && s->input == NULL) {
		v->caps_granted &= (uint8_t)~CTL_CAP_CONTROL;
		s->ui->status(s->ui_state, _("This computer does not let the helper use the mouse and keyboard, so "
					     "the technician may only view your screen, not control it."));
		log_warn("viewer %u asked for control; granted view only: the helper has no input here", v->id);
	}
	r = helper_viewer_request(v);
	helper_session_answered(s, CTL_ANSWERED_CONSENT, v->id, v->caps_granted);
	v->state = HELPER_VIEWER_GRANTED;
	helper_session_reply(s, v->id, v->caps_granted);
	s->ui->sharing(s->ui_state, &r, (v->caps_granted & CTL_CAP_CONTROL) != 0);
}

static void helper_session_answer(struct helper_session *s, struct helper_viewer *v,
				  enum helper_ui_choice c)
{
	struct helper_ui_request r;
	uint8_t caps = 0;

	if (v->reasking) {
		/* About control only: a no keeps what the customer allowed before. */
		bool control = c == HELPER_UI_ALLOW;

		v->reasking = false;
		v->prompted = false;
		if (control)
			v->caps_granted = v->caps_asked & (CTL_CAP_VIEW | CTL_CAP_CONTROL);
		if (v->state == HELPER_VIEWER_ACTIVE &&
		    helper_screen_set_control(s->screen, v->id, control) != 0)
			log_warn("viewer %u: its stream is gone; nothing to change", v->id);
		helper_session_reply(s, v->id, v->caps_granted);
		r = helper_viewer_request(v);
		s->ui->sharing(s->ui_state, &r, (v->caps_granted & CTL_CAP_CONTROL) != 0);
		log_info("viewer %u %s", v->id, control ? "allowed to control too" : "kept to view only");
		return;
	}
	if (c == HELPER_UI_ALLOW)
		caps = v->caps_asked & (CTL_CAP_VIEW | CTL_CAP_CONTROL);
	else if (c == HELPER_UI_ALLOW_VIEW)
		caps = CTL_CAP_VIEW;
	if ((caps & CTL_CAP_CONTROL) && s->origin == NULL && s->ui == &helper_ui_sdl) {
		/* The window could not tell the technician's clicks from the customer's: view only. */
		caps &= (uint8_t)~CTL_CAP_CONTROL;
		s->ui->status(s->ui_state, _("This screen cannot tell the technician's clicks from yours, so the "
					     "technician may only view it, not control it."));
		log_warn("viewer %u asked for control; granted view only: presses cannot be told apart here", v->id);
	}
	if (caps == 0) {
		helper_session_answered(s, CTL_ANSWERED_CONSENT, v->id, caps);
		helper_session_deny(s, v);
		return;
	}
	v->caps_granted = caps;
	if (s->portal && s->screen == NULL) {
		/* The desktop asks now; the relay hears this yes once its screen is open. */
		v->state = HELPER_VIEWER_ALLOWED;
		log_info("viewer %u allowed to %s (answered in the %s); the desktop's own dialog is next", v->id,
			 (caps & CTL_CAP_CONTROL) ? "view and control" : "view",
			 s->ui == &helper_ui_sdl ? "window" : "terminal");
		helper_session_portal_ask(s, v);
		return;
	}
	helper_session_grant(s, v);
	log_info("viewer %u allowed to %s (answered in the %s)", v->id,
		 (caps & CTL_CAP_CONTROL) ? "view and control" : "view",
		 s->ui == &helper_ui_sdl ? "window" : "terminal");
}

static void helper_session_answer_logs(struct helper_session *s, struct helper_logs_request *l,
				       enum helper_ui_choice c)
{
	helper_session_answered(s, CTL_ANSWERED_LOGS, l->id, c == HELPER_UI_ALLOW ? CTL_CAP_LOGS : 0);
	if (c != HELPER_UI_ALLOW) {
		helper_session_refuse_logs(s, l);
		return;
	}
	/* Collected and sent from helper_session_run_logs, in the order allowed. */
	l->state = HELPER_LOGS_REQUEST_APPROVED;
	log_info("logs request %u allowed (answered in the %s)", l->id, s->ui == &helper_ui_sdl ? "window" : "terminal");
}

/* Shows the customer the collected bundle of the logs question on screen. */
static void helper_session_show_logs(struct helper_session *s, struct helper_logs_request *l)
{
	struct helper_ui_logs_request u = helper_logs_request_ui(l);
	const char *text;
	size_t len;

	l->want_preview = false;
	if (l->collect_rc != 0)
		log_warn("out of memory while collecting logs; showing what was collected");
	helper_logs_request_preview(l, &text, &len);
	if (s->ui->logs_preview != NULL)
		s->ui->logs_preview(s->ui_state, &u, text != NULL ? text : "", len);
}

/*
 * The customer asked to read what the logs question on screen would send:
 * shown now if it was collected, else once the worker is done
 * (helper_session_run_logs), the loop going on meanwhile.
 */
static void helper_session_preview_logs(struct helper_session *s, struct helper_logs_request *l)
{
	if (l->collected) {
		helper_session_show_logs(s, l);
		return;
	}
	l->want_preview = true;
	if (helper_logs_request_collecting(l))
		return;
	log_info("collecting logs for request %u to show the customer first", l->id);
	if (helper_logs_request_start(&s->logs, l) != 0) {
		log_warn("no worker thread for the logs; collected them in the loop");
		helper_session_show_logs(s, l);
	}
}

/* A line the customer wrote to the technician. line is modified. */
static void helper_session_chat(struct helper_session *s, char *line)
{
	char who[] = "customer";
	/* The relay knows who the customer is; name and tier are only filled in. */
	struct ctl_record r = { .type = CTL_CHAT, .name = who, .tier = who, .text = line };
	size_t typed = strnlen(line, HELPER_UI_LINE_MAX - 1);
	size_t n = helper_logs_text_fit(line, typed, CTL_TEXT_MAX);

	if (n < typed)
		log_info("a chat line of %zu bytes was cut to %zu", typed, n);
	/* Escape sequences typed or pasted here must not reach the technician's terminal. */
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
			line[i] = '?';
	if (helper_control_send(&s->ctl, &r) != 0)
		s->ui->chat_unsent(s->ui_state);
}

static void helper_session_read_ui(struct helper_session *s)
{
	char line[HELPER_UI_LINE_MAX];

	for (;;) {
		struct helper_viewer *v;
		struct helper_logs_request *l;
		enum helper_ui_question asking = HELPER_UI_ASKING_NOTHING;
		enum helper_ui_choice c;

		helper_session_question(s, &v, &l);
		if (v != NULL && v->prompted)
			asking = HELPER_UI_ASKING_CONSENT;
		else if (l != NULL && l->prompted)
			asking = HELPER_UI_ASKING_LOGS;
		line[0] = '\0';
		c = s->ui->next(s->ui_state, asking, line, sizeof(line));
		switch (c) {
		case HELPER_UI_NONE:
			return;
		case HELPER_UI_ALLOW:
		case HELPER_UI_ALLOW_VIEW:
		case HELPER_UI_DENY:
			/* Answers count only for the question on screen. */
			if (asking == HELPER_UI_ASKING_CONSENT)
				helper_session_answer(s, v, c);
			else if (asking == HELPER_UI_ASKING_LOGS)
				helper_session_answer_logs(s, l, c);
			break;
		case HELPER_UI_CHAT:
			if (line[0] != '\0')
				helper_session_chat(s, line);
			break;
		case HELPER_UI_PREVIEW:
			if (asking == HELPER_UI_ASKING_LOGS)
				helper_session_preview_logs(s, l);
			break;
		case HELPER_UI_STOP:
			helper_session_stop_all(s);
			break;
		case HELPER_UI_PAUSE:
		case HELPER_UI_RESUME:
			helper_session_pause(s, c == HELPER_UI_PAUSE);
			break;
		case HELPER_UI_END:
			log_info("the customer ended the session");
			helper_session_finish(s, HELPER_END_USER, NULL);
			return;
		case HELPER_UI_CLOSED:
			s->input_closed = true;
			s->ui->input_closed(s->ui_state);
			/* In the order asked, as if the customer had said no to each. */
			for (helper_session_question(s, &v, &l); v != NULL || l != NULL;
			     helper_session_question(s, &v, &l)) {
				if (v != NULL)
					helper_session_deny(s, v);
				else
					helper_session_refuse_logs(s, l);
			}
			break;
		}
		helper_session_prompt(s);
	}
}

/* Starts accepted streams, moves bytes, and ends streams that finished. */
static void helper_session_run_viewers(struct helper_session *s)
{
	for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next) {
		/* Nothing is grabbed while nobody watches: the first update must be current. */
		if (v->state == HELPER_VIEWER_ACCEPTED && s->capture != NULL && helper_capture_flush(s->capture) != 0)
			helper_session_finish(s, HELPER_END_FAILED, "lost the X display");
		if (v->state == HELPER_VIEWER_ACCEPTED && (s->screen == NULL || helper_viewer_start(v, s->screen) != 0))
			helper_session_drop(s, v);
		if (v->state == HELPER_VIEWER_ACTIVE && pump_run(v->pump) != 0)
			helper_session_drop(s, v);
	}
	helper_viewer_sweep(&s->viewers);
}

/*
 * Takes what the workers finished (a preview asked for is shown then),
 * has the oldest allowed request collected, and queues its records as the
 * control channel drains; one bundle at a time (see logs_request.h).
 */
static void helper_session_run_logs(struct helper_session *s)
{
	struct helper_logs_request *r;

	if (helper_logs_requests_reap(&s->logs) > 0) {
		for (r = s->logs.head; r != NULL; r = r->next)
			if (r->want_preview && r->collected && r->state == HELPER_LOGS_REQUEST_ASKED && r->prompted)
				helper_session_show_logs(s, r);
	}
	while (s->end == HELPER_END_NONE && (r = helper_logs_request_first_approved(&s->logs)) != NULL) {
		if (r->state == HELPER_LOGS_REQUEST_APPROVED) {
			if (!r->collected) {
				if (helper_logs_request_collecting(r))
					return;  /* the worker wakes the loop when it is done */
				log_info("collecting logs for request %u", r->id);
				if (helper_logs_request_start(&s->logs, r) == 0)
					return;
				log_warn("no worker thread for the logs; collected them in the loop");
			}
			if (r->collect_rc != 0)
				log_warn("out of memory while collecting logs; sending what was collected");
			helper_logs_request_collect(r);
		}
		if (helper_logs_request_feed(r, &s->ctl) != 0) {
			helper_session_finish(s, HELPER_END_FAILED, "the relay stopped reading our messages");
			return;
		}
		if (r->state == HELPER_LOGS_REQUEST_SENDING)
			return;  /* waits for the channel to drain */
	}
}

/* Reports bundles whose last record has left our buffer for libssh's. */
static void helper_session_logs_written(struct helper_session *s)
{
	for (struct helper_logs_request *r = s->logs.head; r != NULL; r = r->next) {
		if (helper_logs_request_written(r, &s->ctl)) {
			struct helper_ui_logs_request u = helper_logs_request_ui(r);

			s->ui->logs_sent(s->ui_state, &u, r->total);
			log_info("logs request %u: sent %zu bytes", r->id, r->total);
			r->state = HELPER_LOGS_REQUEST_FINISHED;
		}
	}
	helper_logs_request_sweep(&s->logs);
}

/*
 * Reading one channel makes libssh process whatever packets are waiting,
 * which can fill another channel's buffer without any descriptor becoming
 * readable again. If data is buffered where a consumer is ready, the loop
 * must not sleep.
 */
static bool helper_session_more(struct helper_session *s)
{
	struct helper_logs_request *l;

	if (s->end != HELPER_END_NONE)
		return true;
	if (s->ui->pending != NULL && s->ui->pending(s->ui_state))
		return true;
	if (s->clipboard != NULL && helper_clipboard_queued(s->clipboard))
		return true;
	if (ssh_channel_poll(s->ctl.chan, 0) != 0)
		return true;
	/* A bundle to feed while the channel has room for more (a collection wakes the loop itself). */
	l = helper_logs_request_first_approved(&s->logs);
	if (l != NULL && l->state == HELPER_LOGS_REQUEST_SENDING &&
	    helper_control_pending(&s->ctl) < HELPER_CONTROL_LOW_WATER)
		return true;
	for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next) {
		if (v->state == HELPER_VIEWER_ACCEPTED)
			return true;
		if (v->state == HELPER_VIEWER_ACTIVE && v->pump->pending_len == 0 &&
		    ssh_channel_poll(v->chan, 0) != 0)
			return true;
	}
	return false;
}

/* Keeps the event's descriptors matching what each side can take now. */
static void helper_session_sync_fds(struct helper_session *s)
{
	int ui_fd = s->ui->fd(s->ui_state);

	if (ui_fd != s->ui_fd) {
		/* After EOF a descriptor stays readable forever: stop polling it. */
		if (s->ui_fd >= 0)
			ssh_event_remove_fd(s->event, s->ui_fd);
		s->ui_fd = -1;
		if (ui_fd >= 0 && ssh_event_add_fd(s->event, ui_fd, POLLIN, helper_session_on_ui, s) == SSH_OK)
			s->ui_fd = ui_fd;
	}
	for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next)
		if (v->state == HELPER_VIEWER_ACTIVE)
			pump_sync_event(v->pump, s->event);
}

static int64_t helper_session_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Tells the relay, coalesced, of viewers' presses the window dropped (origin.h). */
static void helper_session_report_ignored(struct helper_session *s)
{
	struct ctl_record r = { .type = CTL_INPUT_IGNORED };

	if (s->origin == NULL || s->end != HELPER_END_NONE)
		return;
	helper_origin_drain(s->origin);
	while (helper_origin_take_ignored(s->origin, helper_session_now_ms(), &r.viewer_id, &r.count)) {
		if (r.count > CTL_IGNORED_MAX)
			r.count = CTL_IGNORED_MAX;
		log_info("%u press(es) of viewer %u on the helper's window ignored", r.count, r.viewer_id);
		if (helper_control_send(&s->ctl, &r) != 0)
			log_warn("could not tell the relay of viewer %u's ignored input", r.viewer_id);
	}
}

/*
 * What the system forbids the helper now (capture.h's refused(), input.h's
 * helper_input_refused): told to the relay, which words it for the
 * technicians, and to the customer, once per change. Polled: on Windows
 * the capture's poll wakes the loop every 100 ms, and a refused key comes
 * on a viewer's thread, which has no say in what the loop shows.
 */
static void helper_session_report_desktop(struct helper_session *s)
{
	unsigned cap = s->capture != NULL ? helper_capture_refused(s->capture) : 0;
	struct ctl_record r = { .type = CTL_DESKTOP };
	uint8_t now = 0, was = s->desktop;

	if (s->end != HELPER_END_NONE)
		return;
	/* Input refused on the secure desktop says nothing about the desktop that is back. */
	if ((was & CTL_DESKTOP_SECURE) && !(cap & HELPER_CAPTURE_SECURE))
		helper_input_forget_refusal(s->input);
	now |= (cap & HELPER_CAPTURE_SECURE) ? CTL_DESKTOP_SECURE : 0;
	now |= (cap & HELPER_CAPTURE_DENIED) ? CTL_DESKTOP_CAPTURE : 0;
	now |= helper_input_refused(s->input) ? CTL_DESKTOP_INPUT : 0;
	if (now == was)
		return;
	s->desktop = now;
	r.flags = now;
	log_info("telling both sides what Windows forbids the helper now:%s%s%s%s", now == 0 ? " nothing" : "",
		 now & CTL_DESKTOP_SECURE ? " the secure desktop" : "", now & CTL_DESKTOP_INPUT ? " input" : "",
		 now & CTL_DESKTOP_CAPTURE ? " reading the screen" : "");
	if (helper_control_send(&s->ctl, &r) != 0)
		log_warn("could not tell the relay what Windows forbids the helper");
	if (s->screen != NULL)
		helper_screen_set_refused(s->screen, (now & (CTL_DESKTOP_SECURE | CTL_DESKTOP_CAPTURE) ? SCREENINFO_HELD : 0) |
							     (now & CTL_DESKTOP_INPUT ? SCREENINFO_INPUT_REFUSED : 0));
	if (now & CTL_DESKTOP_SECURE)
		s->ui->status(s->ui_state, _("Windows is showing a secure screen (an administrator prompt or the lock "
					     "screen). The technician can neither see nor answer it: please answer it "
					     "yourself. Until then they see the last picture."));
	else if (now & CTL_DESKTOP_INPUT)
		s->ui->status(s->ui_state, _("A window running as administrator is in front. Windows does not let the "
					     "technician control it: please use it yourself, or close it."));
	if (now & CTL_DESKTOP_CAPTURE)
		s->ui->status(s->ui_state, _("Windows does not let the helper read your screen right now; the "
					     "technician sees the last picture."));
	if (now == 0)
		s->ui->status(s->ui_state, _("The technician can see and use your screen again."));
}

static void helper_session_step(struct helper_session *s)
{
	helper_session_read_control(s);
	helper_session_read_ui(s);
	helper_session_report_ignored(s);
	helper_session_run_viewers(s);
	helper_session_run_logs(s);
	if (s->end == HELPER_END_NONE && helper_control_flush(&s->ctl) != 0)
		helper_session_finish(s, helper_session_lost(s) ? HELPER_END_LOST : HELPER_END_RELAY, NULL);
	helper_session_logs_written(s);
	if (s->end == HELPER_END_NONE && helper_session_lost(s))
		helper_session_finish(s, HELPER_END_LOST, NULL);
	helper_session_sync_fds(s);
	helper_session_run_portal(s);
	if (s->capture != NULL && helper_capture_run(s->capture) != 0)
		helper_session_finish(s, HELPER_END_FAILED, "lost the X display");
	helper_session_report_desktop(s);
	if (s->clipboard != NULL) {
		switch (helper_clipboard_run(s->clipboard)) {
		case HELPER_CLIPBOARD_TOO_BIG_IN:
			s->ui->status(s->ui_state, _("The technician's clipboard text was larger than 256 KiB; "
						     "it was not pasted here."));
			break;
		case HELPER_CLIPBOARD_TOO_BIG_OUT:
			s->ui->status(s->ui_state, _("Your clipboard text is larger than 256 KiB; it was not "
						     "sent to the technician."));
			break;
		case HELPER_CLIPBOARD_NOTHING:
			break;
		}
	}
	if (s->screen != NULL)
		helper_screen_reap(s->screen);
}

static void helper_session_loop(struct helper_session *s)
{
	bool more = true;  /* the control channel may hold records from setup */

	while (s->end == HELPER_END_NONE) {
		int timeout = more ? 0 : s->capture != NULL ? helper_capture_timeout(s->capture) : -1;
		int due = helper_origin_timeout(s->origin, helper_session_now_ms());

		int ui_due = s->ui->timeout != NULL ? s->ui->timeout(s->ui_state) : -1;
		int rc;

		/* A held-back report of ignored input must not wait for the next event. */
		if (due >= 0 && (timeout < 0 || due < timeout))
			timeout = due;
		if (ui_due >= 0 && (timeout < 0 || ui_due < timeout))
			timeout = ui_due;
		rc = ssh_event_dopoll(s->event, timeout);

		if (rc == SSH_ERROR) {
			if (helper_session_lost(s)) {
				helper_session_finish(s, HELPER_END_LOST, NULL);
				break;
			}
			log_error("polling failed: %s", strerror(errno));
			helper_session_finish(s, HELPER_END_FAILED, "internal error while waiting for events");
			break;
		}
		helper_session_step(s);
		more = helper_session_more(s);
	}
}

/* The relay refused the support code (helper_session_connect). */
#define HELPER_SESSION_REFUSED (-2)
/* The self-help articles solved the customer's problem: no ticket, nothing to share. */
#define HELPER_SESSION_SOLVED (-3)

/* The relay's self-help articles, in the customer's words, for the UI to show (sshutil_selfhelp_fn). */
static int helper_session_self_help(void *arg, const char *articles)
{
	struct helper_session *s = arg;
	char *text = malloc(INTAKE_SELFHELP_TEXT_MAX + 1024);
	int r;

	if (text == NULL)
		return 1;
	helper_ui_words_selfhelp(articles, text, INTAKE_SELFHELP_TEXT_MAX + 1024);
	log_info("the relay shows knowledge base articles before a ticket opens");
	r = s->ui->self_help(s->ui_state, text);
	free(text);
	return r;
}

/*
 * Everything up to a signed-in session with the control channel and the
 * forward. 0, HELPER_SESSION_REFUSED (s->ssh is then closed), or -1 with err.
 */
static int helper_session_connect(struct helper_session *s, char *err, size_t errlen)
{
	struct helper_options *o = s->opt;
	int rc;

	log_info("connecting to the relay at %s:%u", o->relay_host, o->relay_port);
	if (s->ui->connecting != NULL) {
		char where[HELPER_CLI_HOST_MAX + 16];

		snprintf(where, sizeof(where), "%s:%u", o->relay_host, o->relay_port);
		s->ui->connecting(s->ui_state, where);
	}
	s->ssh = sshutil_connect(o->relay_host, o->relay_port, o->user, o->host_key, err, errlen);
	if (s->ssh == NULL)
		return -1;
	log_info("relay host key matches the pinned %s", o->host_key);
	if (s->intake)
		rc = sshutil_auth_intake(s->ssh, o->intake_token, s->intake_name, s->intake_desc,
					 s->ui->self_help != NULL ? helper_session_self_help : NULL, s, err, errlen);
	else
		rc = sshutil_auth_code(s->ssh, o->code, err, errlen);
	helper_cli_wipe(o);
	if (s->intake && rc == -2)
		snprintf(err, errlen, "%s", _("Too many requests for help were sent from this program in the last hour. "
					      "Please try again later, or call your support organisation."));
	if (s->intake && rc == -3) {
		log_info("the customer's problem was solved by the articles: no ticket was opened");
		snprintf(err, errlen, "%s", _("Glad it helped. No request for help was sent; run this program again "
					      "if the problem comes back."));
		return HELPER_SESSION_SOLVED;
	}
	if (!s->intake && rc == SSHUTIL_AUTH_UNCHECKED) {
		log_warn("the relay could not check the support code: %s", err);
		snprintf(err, errlen, "%s", _("The support service cannot check support codes just now. Please try "
					      "again in a few minutes: your code was not used up."));
		return -1;
	}
	if (!s->intake && rc == -2) {
		log_info("the relay refused the support code");
		sshutil_close(s->ssh);
		s->ssh = NULL;
		return HELPER_SESSION_REFUSED;
	}
	if (rc != 0)
		return -1;
	log_info(s->intake ? "signed in with the intake token: a new ticket was opened"
			   : "signed in with the support code");
	if (helper_control_open(&s->ctl, s->ssh, err, errlen) != 0)
		return -1;
	ssh_set_message_callback(s->ssh, helper_session_on_message, s);
	if (ssh_channel_listen_forward(s->ssh, FORWARD_ADDRESS, FORWARD_PORT, NULL) != SSH_OK) {
		snprintf(err, errlen, "the relay refused the screen forward: %s", ssh_get_error(s->ssh));
		return -1;
	}
	log_info("control channel open; waiting for technicians");
	return 0;
}

/*
 * The screen the viewers will see, on the capture (and input) already
 * open, in the loop's event: at setup, or once the desktop portal's
 * screen is open. After the signal mask: libvncserver's threads inherit
 * it. 0, or -1 with err.
 */
static int helper_session_open_screen(struct helper_session *s, char *err, size_t errlen)
{
	struct helper_capture_format fmt;

	helper_capture_format(s->capture, &fmt);
	if (helper_screen_open(&s->screen, &fmt, s->input, err, errlen) != 0)
		return -1;
	helper_capture_attach(s->capture, s->screen);
	helper_screen_set_link(s->screen, ssh_get_fd(s->ssh));
	if (s->clipboard != NULL)
		helper_clipboard_attach(s->clipboard, s->screen);
	/* The customer may have paused before the portal's screen was open. */
	helper_capture_set_paused(s->capture, s->paused);
	helper_screen_set_paused(s->screen, s->paused);
	s->capture_fd = helper_capture_fd(s->capture);
	if (s->capture_fd >= 0 &&
	    ssh_event_add_fd(s->event, s->capture_fd, POLLIN, helper_session_on_wake, s) != SSH_OK) {
		snprintf(err, errlen, "cannot set up the event loop");
		s->capture_fd = -1;
		return -1;
	}
	if (ssh_event_add_fd(s->event, helper_screen_wake_fd(s->screen), POLLIN, helper_session_on_wake, s) !=
	    SSH_OK) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	s->request_fd = helper_screen_wake_fd(s->screen);
	return 0;
}

/* The clipboard's descriptors in the loop (after the portal's screen, when the clipboard comes then). */
static int helper_session_watch_clipboard(struct helper_session *s, char *err, size_t errlen)
{
	if (s->clipboard == NULL || s->clip_wake_fd >= 0)
		return 0;
	/* No display connection of its own on Windows (-1): the wake stands for both. */
	if ((helper_clipboard_x_fd(s->clipboard) >= 0 &&
	     ssh_event_add_fd(s->event, helper_clipboard_x_fd(s->clipboard), POLLIN,
			      helper_session_on_wake, s) != SSH_OK) ||
	    ssh_event_add_fd(s->event, helper_clipboard_wake_fd(s->clipboard), POLLIN,
			     helper_session_on_wake, s) != SSH_OK) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	s->clip_x_fd = helper_clipboard_x_fd(s->clipboard);
	s->clip_wake_fd = helper_clipboard_wake_fd(s->clipboard);
	return 0;
}

static int helper_session_setup_loop(struct helper_session *s, char *err, size_t errlen)
{
	s->sig_fd = helper_platform_signals_open();
	if (s->sig_fd < 0) {
		snprintf(err, errlen, "cannot set up signal handling: %s", strerror(errno));
		return -1;
	}
	ssh_set_blocking(s->ssh, 0);
	s->event = ssh_event_new();
	if (s->event == NULL || ssh_event_add_session(s->event, s->ssh) != SSH_OK ||
	    ssh_event_add_fd(s->event, s->sig_fd, POLLIN, helper_session_on_signal, s) != SSH_OK) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	/* The desktop portal's screen comes later, after the customer's first yes. */
	if (s->capture != NULL && helper_session_open_screen(s, err, errlen) != 0)
		return -1;
	if (helper_session_watch_clipboard(s, err, errlen) != 0)
		return -1;
	if (helper_logs_requests_open(&s->logs) != 0 ||
	    ssh_event_add_fd(s->event, helper_logs_requests_fd(&s->logs), POLLIN, helper_session_on_wake, s) !=
		    SSH_OK) {
		snprintf(err, errlen, "cannot set up the event loop");
		return -1;
	}
	s->logs_fd = helper_logs_requests_fd(&s->logs);
	if (s->opt->journal_timeout_ms != 0) {
		s->logs_cfg.journalctl = "journalctl";
		s->logs_cfg.journal_timeout_ms = s->opt->journal_timeout_ms;
		s->logs.cfg = &s->logs_cfg;
		log_info("the journal is read for at most %u ms (HANDOFF_JOURNAL_TIMEOUT_MS)", s->opt->journal_timeout_ms);
	}
	/* -1: the backend records on a thread of its own (origin_win32.c), nothing to wait on. */
	if (s->origin != NULL && helper_origin_fd(s->origin) >= 0) {
		if (ssh_event_add_fd(s->event, helper_origin_fd(s->origin), POLLIN, helper_session_on_wake, s) !=
		    SSH_OK) {
			snprintf(err, errlen, "cannot set up the event loop");
			return -1;
		}
		s->origin_fd = helper_origin_fd(s->origin);
	}
	return 0;
}

/*
 * Everything but the UI, so that the customer reads the end in the window
 * while the relay already sees the session closed. Safe to call twice.
 */
static void helper_session_teardown_net(struct helper_session *s)
{
	bool lost = s->ssh == NULL || helper_session_lost(s);

	if (!lost && s->end == HELPER_END_USER) {
		/* Before the streams close, so the technicians hear "ended", not "the stream closed". */
		struct ctl_record r = { .type = CTL_SHARING, .flags = CTL_SHARING_ENDED };

		if (helper_control_send(&s->ctl, &r) == 0)
			helper_control_flush(&s->ctl);
	}
	/* The desktop's dialog, if still up, goes first: nobody will be shown the screen. */
	helper_session_portal_stop(s);
	/* Closing our socketpair ends is what lets libvncserver's threads finish. */
	helper_viewer_free_all(&s->viewers);
	helper_logs_request_free_all(&s->logs);
	helper_screen_close(s->screen);
	s->screen = NULL;
	helper_input_close(s->input);
	s->input = NULL;
	if (s->event != NULL) {
		if (s->capture_fd >= 0)
			ssh_event_remove_fd(s->event, s->capture_fd);
		if (s->request_fd >= 0)
			ssh_event_remove_fd(s->event, s->request_fd);
		if (s->clip_x_fd >= 0)
			ssh_event_remove_fd(s->event, s->clip_x_fd);
		if (s->clip_wake_fd >= 0)
			ssh_event_remove_fd(s->event, s->clip_wake_fd);
		s->clip_x_fd = s->clip_wake_fd = -1;
		if (s->origin_fd >= 0)
			ssh_event_remove_fd(s->event, s->origin_fd);
		s->origin_fd = -1;
		if (s->logs_fd >= 0)
			ssh_event_remove_fd(s->event, s->logs_fd);
		s->logs_fd = -1;
		if (s->ui_fd >= 0)
			ssh_event_remove_fd(s->event, s->ui_fd);
		if (s->sig_fd >= 0)
			ssh_event_remove_fd(s->event, s->sig_fd);
		ssh_event_remove_session(s->event, s->ssh);
		ssh_event_free(s->event);
		s->event = NULL;
		s->capture_fd = s->ui_fd = -1;
	}
	helper_capture_close(s->capture);
	s->capture = NULL;
	/* After the screen: its client threads may call the clipboard until they are joined. */
	helper_clipboard_close(s->clipboard);
	s->clipboard = NULL;
	if (s->ssh != NULL && !lost) {
		/* Last CONSENT_REPLY records should reach the relay before we hang up. */
		helper_control_flush(&s->ctl);
		ssh_blocking_flush(s->ssh, FLUSH_TIMEOUT_MS);
	}
	helper_control_close(&s->ctl);
	sshutil_close(s->ssh);
	s->ssh = NULL;
	/* Its workers went with free_all above; the wake goes once the event no longer polls it. */
	helper_logs_requests_close(&s->logs);
}

static void helper_session_teardown(struct helper_session *s)
{
	helper_session_teardown_net(s);
	helper_platform_signals_close(s->sig_fd);
	s->sig_fd = -1;
	if (s->ui_state != NULL)
		s->ui->close(s->ui_state);
	s->ui_state = NULL;
	/* After the input and the window, which both borrow it. */
	helper_origin_close(s->origin);
	s->origin = NULL;
}

/*
 * The customer's UI: the window when asked for or when it can open (auto),
 * else the terminal. The window may fail for want of a display, a font or
 * SDL's X11 driver; auto then falls back quietly, with a log line.
 */
static int helper_session_open_ui(struct helper_session *s, char *err, size_t errlen)
{
	struct helper_options *o = s->opt;
	struct helper_ui_config cfg = { .org = o->org, .display = o->display, .trace = o->ui_trace,
					.intake = o->intake_token[0] != '\0', .origin = s->origin };

	if (strcmp(o->ui, "tty") != 0) {
		s->ui = &helper_ui_sdl;
		if (s->ui->open(&s->ui_state, &cfg, err, errlen) == 0)
			return 0;
		s->ui_state = NULL;
		if (strcmp(o->ui, "sdl") == 0)
			return -1;
		log_info("no window (%s); using the terminal", err);
		err[0] = '\0';
	}
	s->ui = &helper_ui_tty;
	return s->ui->open(&s->ui_state, &cfg, err, errlen);
}

/*
 * A customer's description or name made fit for the relay: valid UTF-8
 * (else -1), cleaned like everything shown (ui_text.h), at most max
 * characters, never cut inside one.
 */
static int helper_session_intake_text(const char *in, size_t max, char *out, size_t outlen)
{
	char clean[INTAKE_DESC_MAX * 4 + 1];
	size_t n = strlen(in), i;

	if (!utf8_valid(in, n))
		return -1;
	helper_ui_text_clean(in, clean, sizeof(clean));
	i = utf8_skip(clean, strlen(clean), max);
	snprintf(out, outlen, "%.*s", (int)utf8_whole(clean, i), clean);
	return 0;
}

/*
 * With an intake token and no code, a UI that can asks for a description
 * instead: the relay opens a new ticket with it. 0 (s->intake says which
 * path), 1 when the customer went back to code entry, or -1 with err.
 */
static int helper_session_intake_ask(struct helper_session *s, char *err, size_t errlen)
{
	const char *problem = NULL;
	char name[INTAKE_NAME_MAX * 4 + 1], desc[INTAKE_DESC_MAX * 4 + 1];

	for (;;) {
		int r = s->ui->ask_intake(s->ui_state, problem, name, sizeof(name), desc, sizeof(desc));

		if (r == 1)
			return 1;
		if (r != 0) {
			snprintf(err, errlen, "no description was entered");
			return -1;
		}
		if (helper_session_intake_text(name, INTAKE_NAME_MAX, s->intake_name, sizeof(s->intake_name)) == 0 &&
		    helper_session_intake_text(desc, INTAKE_DESC_MAX, s->intake_desc, sizeof(s->intake_desc)) == 0 &&
		    s->intake_desc[strspn(s->intake_desc, " ")] != '\0')
			break;
		problem = _("Please describe the problem in a few words.");
	}
	s->intake = true;
	return 0;
}

/* The terminal has no code entry: with a token and no code, it asks for the description straight away. */
/*
 * Before the desktop's own dialog (the portal's, on GNOME and KDE): the
 * customer is told what asks and why, so the question does not come from
 * nowhere, and that the technician still needs their own yes here. With
 * this relay's restore token the desktop may share without asking: saying
 * it will ask would leave the customer waiting for a dialog that never comes.
 * "May": KDE 5.27 asks nothing of an unsandboxed program, GNOME always does.
 */
static void helper_session_portal_notice(void *ctx, bool remembered, bool control)
{
	struct helper_session *s = ctx;
	const char *text;

	if (remembered)
		text = _("Your desktop remembers that you let this support helper see your screen before, so it may "
			 "not ask again. Nobody sees anything until you also say yes here to each technician.");
	else if (control)
		text = _("Your desktop may now ask whether this support helper can see your screen. If it does, "
			 "choose Share so that your technician can see it, and tick \"Allow remote interaction\" "
			 "too if they may use your mouse and keyboard. Nobody sees anything until you also say yes "
			 "here to each technician.");
	else
		text = _("Your desktop may now ask whether this support helper can see your screen. If it does, "
			 "choose Share so that your technician can see it. Nobody sees anything until you also say "
			 "yes here to each technician.");
	s->ui->status(s->ui_state, text);
}

static int helper_session_intake(struct helper_session *s, char *err, size_t errlen)
{
	struct helper_options *o = s->opt;

	if (o->code[0] != '\0' || o->intake_token[0] == '\0' || s->ui->ask_intake == NULL || s->ui->ask_code != NULL)
		return 0;
	return helper_session_intake_ask(s, err, errlen) == 0 ? 0 : -1;
}

/*
 * The support code from the UI when the command line had none; problem,
 * if not NULL, says why the last one did not do. 0, or -1 with err.
 */
static int helper_session_code(struct helper_session *s, const char *problem, char *err, size_t errlen)
{
	struct helper_options *o = s->opt;
	char digits[CODE_DIGITS + 1];

	if (o->code[0] != '\0' || s->intake)
		return 0;
	if (s->ui->ask_code == NULL) {
		snprintf(err, errlen, "no support code: pass --code CODE");
		return -1;
	}
	s->code_from_ui = true;
	for (;;) {
		int r = s->ui->ask_code(s->ui_state, problem, o->code, sizeof(o->code));

		if (r == 1 && o->intake_token[0] != '\0' && s->ui->ask_intake != NULL) {
			int back = helper_session_intake_ask(s, err, errlen);

			if (back != 1)
				return back;
			/* The customer found the code after all: ask for it again. */
			problem = NULL;
			continue;
		}
		if (r != 0) {
			helper_cli_wipe(o);
			snprintf(err, errlen, "no support code was entered");
			return -1;
		}
		/* A typo caught here does not count as a failed try at the relay. */
		if (code_parse(o->code, digits) == 0)
			break;
		helper_cli_wipe(o);
		problem = _("A support code has 12 digits, like 1234-5678-9012. Please check it and try again.");
	}
	helper_platform_wipe(digits, sizeof(digits));
	return 0;
}

/* How long a helper that ends before its loop waits for the relay to take its last record. */
#define HELPER_SESSION_GOODBYE_MS 5000

/* ERR (a technical detail, in English) becomes why the Wayland desktop shares no screen, in the customer's words. */
static void helper_session_wayland_words(char *err, size_t errlen)
{
	char detail[512];

	snprintf(detail, sizeof(detail), "%s", err);
	/* TRANSLATORS: %s is a technical detail, in English. */
	snprintf(err, errlen, _("This desktop (Wayland) did not let the helper see the screen. If it "
				"asked whether to share the screen, the answer was no; otherwise it "
				"offers no screen sharing to programs (technical detail: %s)."),
		 detail);
}

/*
 * What comes once the screen is known: the monitor asked for, remote
 * control, the clipboard. 0, or -1 with err.
 */
static int helper_session_open_around(struct helper_session *s, bool wayland, char *err, size_t errlen)
{
	struct helper_options *o = s->opt;
	char detail[256];

	if (o->monitor != 0 && helper_capture_select_monitor(s->capture, o->monitor, detail, sizeof(detail)) != 0) {
		/* TRANSLATORS: %d is the monitor number given with --monitor; %s is a technical detail, in English. */
		snprintf(err, errlen, _("The helper cannot share monitor %d alone. Please start it without --monitor, "
					"or with the number of a monitor this screen has (technical detail: %s)."),
			 o->monitor, detail);
		return -1;
	}
	if (wayland) {
		struct helper_capture_format fmt;

		helper_capture_format(s->capture, &fmt);
		if (helper_wayland_input_open(&s->input, s->capture, fmt.width, fmt.height, err, errlen) != 0) {
			log_warn("remote control is not possible: %s", err);
			err[0] = '\0';
		}
		if (helper_wayland_clipboard_open(&s->clipboard, err, errlen) != 0) {
			log_warn("no clipboard sharing: %s", err);
			err[0] = '\0';
		}
	} else if (helper_input_open(&s->input, o->display, s->origin, err, errlen) != 0) {
		log_warn("remote control is not possible: %s", err);
		err[0] = '\0';
	}
	if (!wayland && helper_clipboard_open(&s->clipboard, o->display, err, errlen) != 0) {
		log_warn("no clipboard sharing: %s", err);
		err[0] = '\0';
	}
	return 0;
}

/* Relay i of the list: 0 is --relay, then the --also-relay ones. */
static void helper_session_relay(const struct helper_options *o, unsigned i, const char **host, unsigned *port,
				 const char **key)
{
	if (i == 0 || i > o->also_n) {
		*host = o->relay_host, *port = o->relay_port, *key = o->host_key;
		return;
	}
	*host = o->also[i - 1].host, *port = o->also[i - 1].port, *key = o->also[i - 1].host_key;
}

/* Waits ms in the loop's event, without the relay: a signal still ends the helper. */
static void helper_session_resume_wait(struct helper_session *s, int ms)
{
	int64_t until = helper_session_now_ms() + ms;

	for (int64_t now = helper_session_now_ms(); now < until && !s->signalled; now = helper_session_now_ms())
		if (ssh_event_dopoll(s->event, (int)(until - now)) == SSH_ERROR)
			break;
}

/* Signs in to relay i with the resume token. 0, HELPER_SESSION_REFUSED (the token is dead), or -1. */
static int helper_session_resume_at(struct helper_session *s, unsigned i)
{
	char answer[sizeof(RESUME_ANSWER_PREFIX) + INTAKE_TOKEN_TEXT_MAX], err[512];
	const char *host, *key;
	unsigned port;
	int rc;

	helper_session_relay(s->opt, i, &host, &port, &key);
	log_info("reconnecting through the relay at %s:%u", host, port);
	s->ssh = sshutil_connect(host, port, s->opt->user, key, err, sizeof(err));
	if (s->ssh == NULL) {
		log_warn("%s:%u: %s", host, port, err);
		return -1;
	}
	snprintf(answer, sizeof(answer), "%s%s", RESUME_ANSWER_PREFIX, s->resume_token);
	rc = sshutil_auth_code(s->ssh, answer, err, sizeof(err));
	helper_platform_wipe(answer, sizeof(answer));
	if (rc == 0 && helper_control_open(&s->ctl, s->ssh, err, sizeof(err)) != 0)
		rc = -1;
	if (rc == 0) {
		ssh_set_message_callback(s->ssh, helper_session_on_message, s);
		if (ssh_channel_listen_forward(s->ssh, FORWARD_ADDRESS, FORWARD_PORT, NULL) != SSH_OK) {
			snprintf(err, sizeof(err), "the relay refused the screen forward: %s", ssh_get_error(s->ssh));
			rc = -1;
		}
	}
	if (rc == 0) {
		ssh_set_blocking(s->ssh, 0);
		if (ssh_event_add_session(s->event, s->ssh) != SSH_OK) {
			snprintf(err, sizeof(err), "cannot set up the event loop");
			rc = -1;
		}
	}
	if (rc != 0) {
		log_warn("%s:%u: %s", host, port, rc == -2 ? "the relay refused the resume token" : err);
		helper_control_close(&s->ctl);
		sshutil_close(s->ssh);
		s->ssh = NULL;
		return rc == -2 ? HELPER_SESSION_REFUSED : -1;
	}
	if (s->screen != NULL)
		helper_screen_set_link(s->screen, ssh_get_fd(s->ssh));
	s->relay_at = i;
	return 0;
}

/* Wakes the loop; the news is read in helper_session_run_portal. */
static int helper_session_on_portal(socket_t fd, int revents, void *userdata)
{
	struct helper_session *s = userdata;
	bool remembered, control;

	(void)fd;
	(void)revents;
	/* Drained here, so that a wait of the loop without the relay (a resume) does not spin. */
	if (s->ask != NULL)
		helper_wayland_ask_poll(s->ask, &remembered, &control);
	return 0;
}

/*
 * The desktop portal's own dialog, asked after the customer's yes to
 * viewer v (the first to ask while there is no screen yet), so that the
 * customer's no there goes on the ticket as a deny of that technician
 * (CTL_ANSWERED_DESKTOP with its id). Asked once: a second technician
 * allowed meanwhile waits for the same answer.
 */
static void helper_session_portal_ask(struct helper_session *s, struct helper_viewer *v)
{
	char err[512];

	if (s->ask != NULL)
		return;
	/* The relay signed in to is --relay's: the others of the list serve only a resume. */
	if (helper_wayland_ask_start(&s->ask, s->opt->host_key, err, sizeof(err)) != 0) {
		helper_session_wayland_words(err, sizeof(err));
		snprintf(s->end_text, sizeof(s->end_text), "%s", err);
		log_warn("%s", s->end_text);
		helper_session_finish(s, HELPER_END_FAILED, s->end_text);
		return;
	}
	s->ask_told = false;
	if (ssh_event_add_fd(s->event, helper_wayland_ask_fd(s->ask), POLLIN, helper_session_on_portal, s) == SSH_OK)
		s->ask_fd = helper_wayland_ask_fd(s->ask);
	else
		log_warn("the desktop portal's answer is looked for at each wake of the loop only");
	log_info("asking the desktop portal for the screen, after the customer allowed viewer %u", v->id);
}

/* Forgets the portal's question, if one is out: its dialog is closed, its session too. */
static void helper_session_portal_stop(struct helper_session *s)
{
	if (s->ask == NULL)
		return;
	if (s->ask_fd >= 0 && s->event != NULL)
		ssh_event_remove_fd(s->event, s->ask_fd);
	s->ask_fd = -1;
	helper_wayland_ask_cancel(s->ask);
	s->ask = NULL;
}

/*
 * The customer said no at the desktop's dialog: a deny of each technician
 * they had allowed here (the relay names them; viewer 0 when none waits
 * any more, as older helpers said it), then the session ends as before,
 * the record sent before we hang up (helper_control_goodbye).
 */
static void helper_session_portal_refused(struct helper_session *s)
{
	bool named = false;

	for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next) {
		struct ctl_record r = { .type = CTL_ANSWERED, .viewer_id = v->id, .flags = CTL_ANSWERED_DESKTOP,
					.text = "desktop" };
		struct ctl_record no = { .type = CTL_CONSENT_REPLY, .viewer_id = v->id };

		if (v->state != HELPER_VIEWER_ALLOWED)
			continue;
		/* The reply after it is for relays that do not name the technician: the refusal of the stream. */
		if (helper_control_send(&s->ctl, &r) != 0 || helper_control_send(&s->ctl, &no) != 0)
			log_warn("could not tell the relay that viewer %u was refused at the desktop's dialog", v->id);
		log_info("viewer %u refused at the desktop's own dialog", v->id);
		helper_viewer_end(v);
		named = true;
	}
	if (!named) {
		struct ctl_record r = { .type = CTL_ANSWERED, .flags = CTL_ANSWERED_DESKTOP, .text = "desktop" };

		if (helper_control_send(&s->ctl, &r) != 0)
			log_warn("could not tell the relay that the desktop's dialog was refused");
	}
	ssh_set_blocking(s->ssh, 1);
	if (helper_control_goodbye(&s->ctl, HELPER_SESSION_GOODBYE_MS) != 0)
		log_warn("could not tell the relay that the desktop's dialog was refused");
	else
		log_info("the relay recorded the refusal at the desktop's dialog on the ticket");
	ssh_set_blocking(s->ssh, 0);
}

/*
 * The portal answered: its screen, input and the VNC server are set up,
 * then the technicians the customer allowed meanwhile are let in, in the
 * order allowed. A refusal or a failure ends the session in plain words.
 */
static void helper_session_portal_done(struct helper_session *s)
{
	char err[512] = "";
	int rc;

	if (s->ask_fd >= 0)
		ssh_event_remove_fd(s->event, s->ask_fd);
	s->ask_fd = -1;
	rc = helper_wayland_ask_finish(s->ask, &s->capture, err, sizeof(err));
	s->ask = NULL;
	if (rc == 0 && helper_session_open_around(s, true, err, sizeof(err)) == 0 &&
	    helper_session_open_screen(s, err, sizeof(err)) == 0 &&
	    helper_session_watch_clipboard(s, err, sizeof(err)) == 0) {
		for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next) {
			if (v->state != HELPER_VIEWER_ALLOWED)
				continue;
			helper_session_grant(s, v);
			log_info("viewer %u: the desktop's screen is open, the customer's yes goes to the relay", v->id);
		}
		return;
	}
	helper_session_wayland_words(err, sizeof(err));
	snprintf(s->end_text, sizeof(s->end_text), "%s", err);
	log_warn("%s", s->end_text);
	helper_session_finish(s, HELPER_END_FAILED, s->end_text);
	if (rc == HELPER_WAYLAND_REFUSED) {
		helper_session_portal_refused(s);
		return;
	}
	/*
	 * No person said no: nothing is sent for the technicians waiting, who
	 * read that the customer left, and the ticket records no refusal.
	 */
	for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next)
		if (v->state == HELPER_VIEWER_ALLOWED)
			helper_viewer_end(v);
}

/* Where the portal's question is: the word before its dialog, then its answer. */
static void helper_session_run_portal(struct helper_session *s)
{
	bool remembered, control;

	if (s->ask == NULL || s->end != HELPER_END_NONE)
		return;
	switch (helper_wayland_ask_poll(s->ask, &remembered, &control)) {
	case HELPER_WAYLAND_ASK_ASKING:
		if (!s->ask_told) {
			helper_session_portal_notice(s, remembered, control);
			s->ask_told = true;
			helper_wayland_ask_go(s->ask);
		}
		break;
	case HELPER_WAYLAND_ASK_DONE:
		helper_session_portal_done(s);
		break;
	default:
		break;
	}
}

/*
 * The relay was lost (it died, or the network): the streams are gone, the
 * customer's allowances are kept for the same people (helper_session_regrant),
 * and the helper signs in again with its resume token, through the next
 * relay of the list first, then each in turn, for about a minute. The
 * capture, the screen, the window and the chat stay as they are. 0 with a
 * new session (s->end cleared), or -1 (s->end says why).
 */
static int helper_session_resume(struct helper_session *s)
{
	const unsigned n = s->opt->also_n + 1;
	int wait_ms = 1000;

	for (struct helper_viewer *v = s->viewers.head; v != NULL; v = v->next) {
		if ((v->state == HELPER_VIEWER_GRANTED || v->state == HELPER_VIEWER_ACCEPTED ||
		     v->state == HELPER_VIEWER_ACTIVE) && s->regrants_n < HELPER_SESSION_REGRANTS) {
			struct helper_session_regrant *g = &s->regrants[s->regrants_n++];

			snprintf(g->name, sizeof(g->name), "%s", v->name ? v->name : "");
			snprintf(g->tier, sizeof(g->tier), "%s", v->tier ? v->tier : "");
			g->ticket = v->ticket;
			g->caps = v->caps_granted & (CTL_CAP_VIEW | CTL_CAP_CONTROL);
			g->until_ms = helper_session_now_ms() + HELPER_REGRANT_MS;
		}
		helper_session_drop(s, v);
	}
	helper_viewer_sweep(&s->viewers);
	/* What a technician asked of the lost relay is asked again through the next one, if still wanted. */
	helper_logs_request_free_all(&s->logs);
	ssh_event_remove_session(s->event, s->ssh);
	helper_control_close(&s->ctl);
	sshutil_close(s->ssh);
	s->ssh = NULL;
	s->end = HELPER_END_NONE;
	s->ui->status(s->ui_state, _("The connection to the support service was lost. Reconnecting..."));
	for (unsigned round = 0; round < HELPER_RESUME_ROUNDS && !s->signalled; round++) {
		for (unsigned k = 1; k <= n && !s->signalled; k++) {
			int rc = helper_session_resume_at(s, (s->relay_at + k) % n);

			if (rc == 0) {
				log_info("the session goes on through relay %u of %u", s->relay_at + 1, n);
				s->ui->status(s->ui_state, _("Reconnected to the support service: the session goes on."));
				return 0;
			}
			if (rc == HELPER_SESSION_REFUSED)
				goto lost;  /* one store: every relay would say the same */
		}
		helper_session_resume_wait(s, wait_ms);
		if (wait_ms < HELPER_RESUME_WAIT_MAX_MS)
			wait_ms *= 2;
	}
lost:
	if (s->end == HELPER_END_NONE)
		s->end = s->signalled ? HELPER_END_USER : HELPER_END_LOST;
	return -1;
}

int helper_session_run(struct helper_options *o)
{
	struct helper_session s = {
		.opt = o,
		.ui = &helper_ui_tty,
		.ui_fd = -1,
		.sig_fd = -1,
		.capture_fd = -1,
		.request_fd = -1,
		.clip_x_fd = -1,
		.clip_wake_fd = -1,
		.origin_fd = -1,
		.logs = HELPER_LOGS_REQUESTS_INIT,
		.logs_fd = -1,
		.ask_fd = -1,
	};
	char err[512] = "";
	char shown[640];
	int status = 1, rc;
	bool wayland, portal = false;

	log_info("speaking %s to the customer", helper_i18n_lang());
	/* Before the window, which asks it about every press. */
	/* Wayland: the X helpers below would reach only XWayland's windows, so none of them run. */
	wayland = strcmp(o->capture, "x11") != 0;
	if (!wayland && o->display != NULL && helper_origin_open(&s.origin, o->display, err, sizeof(err)) != 0) {
		log_warn("viewers will be granted view only: %s", err);
		err[0] = '\0';
	}
	if (helper_session_open_ui(&s, err, sizeof(err)) != 0) {
		s.ui_state = NULL;
		goto fail;
	}
	if (s.ui != &helper_ui_sdl) {
		/* Only the window asks it; the terminal cannot be told apart (SECURITY.md). */
		helper_origin_close(s.origin);
		s.origin = NULL;
	}
	/*
	 * The display first: failing here does not burn the support code. The
	 * desktop portal is only found here; its dialog waits for the
	 * customer's own yes to a technician (helper_session_portal_ask), for
	 * the ticket to record its answer as theirs to that technician.
	 */
	if (wayland) {
		rc = helper_wayland_capture_open(&s.capture, o->capture, err, sizeof(err));
		if (rc < 0) {
			helper_session_wayland_words(err, sizeof(err));
			goto fail;
		}
		portal = rc == HELPER_WAYLAND_PORTAL;
		/*
		 * The portal has no way to name a monitor: SelectSources asks for
		 * one, and the customer picks it in the desktop's dialog. Said
		 * now, before the code is spent, rather than share another.
		 */
		if (portal && o->monitor != 0) {
			/* TRANSLATORS: %d is the monitor number given with --monitor. */
			snprintf(err, sizeof(err), _("This desktop chooses the screen to share in its own dialog, so the "
						     "helper cannot pick monitor %d. Please start the helper without "
						     "--monitor and choose that monitor in the desktop's dialog."),
				 o->monitor);
			goto fail;
		}
	}
	if (!wayland && helper_capture_open(&s.capture, helper_capture_native_backend, o->display, err, sizeof(err)) != 0) {
		char detail[sizeof(err)];

		snprintf(detail, sizeof(detail), "%s", err);
		/* TRANSLATORS: %s is a technical detail, in English. */
		snprintf(err, sizeof(err), _("No screen to share was found. Please start this program from your "
					     "desktop, in the session you want help with (technical detail: %s)."),
			 detail);
		goto fail;
	}
	if (!portal && helper_session_open_around(&s, wayland, err, sizeof(err)) != 0)
		goto fail;
	if (helper_session_intake(&s, err, sizeof(err)) != 0 || helper_session_code(&s, NULL, err, sizeof(err)) != 0)
		goto fail;
	/* A code the customer typed and the relay refused: back to the code entry, their text kept. */
	while ((rc = helper_session_connect(&s, err, sizeof(err))) == HELPER_SESSION_REFUSED && s.code_from_ui) {
		if (helper_session_code(&s, _("That code didn't work. Please check it with your technician and try "
					      "again: a code works only once, and only for a short time."),
					err, sizeof(err)) != 0)
			goto fail;
	}
	if (rc == HELPER_SESSION_SOLVED) {
		/* A good end: the customer reads it, and nothing was shared or opened. */
		log_info("%s", err);
		helper_session_teardown_net(&s);
		s.ui->ended(s.ui_state, err);
		if (s.ui->linger != NULL && !s.signalled)
			s.ui->linger(s.ui_state);
		helper_session_teardown(&s);
		return 0;
	}
	if (rc != 0) {
		if (rc == HELPER_SESSION_REFUSED)
			snprintf(err, sizeof(err), "%s", _("the support code was refused (wrong, expired or already used)"));
		goto fail;
	}
	s.portal = portal;
	if (helper_session_setup_loop(&s, err, sizeof(err)) != 0)
		goto fail;

	helper_session_loop(&s);
	while (s.end == HELPER_END_LOST && o->also_n > 0 && s.resume_token[0] != '\0' && !s.signalled &&
	       helper_session_resume(&s) == 0)
		helper_session_loop(&s);
	helper_platform_wipe(s.resume_token, sizeof(s.resume_token));

	switch (s.end) {
	case HELPER_END_LOST:
		s.ui->ended(s.ui_state, _("the connection to the support service was lost"));
		break;
	case HELPER_END_RELAY:
		s.ui->ended(s.ui_state, _("the support service ended the session"));
		status = 0;
		break;
	case HELPER_END_FAILED:
		s.ui->ended(s.ui_state, s.end_reason);
		break;
	case HELPER_END_CLOSED:
		s.ui->ended(s.ui_state, s.end_reason);
		status = 0;
		break;
	default:
		s.ui->ended(s.ui_state, NULL);
		status = 0;
		break;
	}
	helper_session_teardown_net(&s);
	if (s.ui->linger != NULL && !s.signalled)
		s.ui->linger(s.ui_state);
	helper_session_teardown(&s);
	return status;
fail:
	helper_cli_wipe(o);
	fprintf(stderr, "handoff-helper: %s\n", err);
	helper_session_teardown_net(&s);
	if (s.ui_state != NULL && s.ui->linger != NULL) {
		/* The window is all a customer who double-clicked sees: say it there too. */
		/* TRANSLATORS: %s is a technical detail, in English. */
		snprintf(shown, sizeof(shown), _("Could not start the support session: %s"), err);
		s.ui->ended(s.ui_state, shown);
		s.ui->linger(s.ui_state);
	} else {
		/* No window says it: a customer who double-clicked the .exe has no console either. */
		helper_platform_last_words(err);
	}
	helper_session_teardown(&s);
	return 1;
}
