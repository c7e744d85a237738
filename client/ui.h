/*
 * ui: how the helper talks to the customer. The session decides; a UI only
 * shows what it is told and reports what the customer chose. UIs never see
 * wire bytes: names, summaries and chat reach them as validated UTF-8
 * strings (which may still hold control characters: a UI must not let them
 * act on its display).
 *
 * Questions (a technician asking to see the screen, one asking for logs)
 * are shown one at a time, in the order they came, and answered in that
 * order; next() is told which kind is on screen, because the answers
 * differ. Chat is shown with chat(); a line the customer writes to the
 * technician comes back from next() as HELPER_UI_CHAT.
 *
 * Two UIs implement the table: the terminal (ui_tty.c) and an SDL2 window
 * (ui_sdl.c). Every string either shows the customer goes through gettext
 * (i18n.h).
 */
#ifndef HANDOFF_HELPER_UI_H
#define HANDOFF_HELPER_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who asks for what: the relay's CONSENT_ASK, as the customer sees it. */
struct helper_ui_request {
	uint32_t viewer_id;     /* tells two requests from one person apart */
	const char *name;
	const char *tier;
	uint32_t ticket;
	bool control;   /* asks to control, not only to view */
	/*
	 * Already allowed to view, now asks for control too: the question is
	 * about control only, and anything but HELPER_UI_ALLOW keeps the view
	 * as it is (a UI offers "allow control" and "keep view only").
	 */
	bool upgrade;
};

/* A technician's LOGS_ASK, as the customer sees it. */
struct helper_ui_logs_request {
	const char *name;
	const char *tier;
	uint32_t ticket;
	const char *const *items;   /* what will be collected, one sentence each */
	size_t n_items;
};

/* Which question is on screen, if any: the answers differ. */
enum helper_ui_question {
	HELPER_UI_ASKING_NOTHING = 0,
	HELPER_UI_ASKING_CONSENT,   /* y, v or n */
	HELPER_UI_ASKING_LOGS,      /* y or n */
};

/* The longest chat line a UI hands over, NUL included; the session cuts it further. */
#define HELPER_UI_LINE_MAX 8192

enum helper_ui_choice {
	HELPER_UI_NONE = 0,
	HELPER_UI_ALLOW,        /* allow what was asked (logs: send them) */
	HELPER_UI_ALLOW_VIEW,   /* allow viewing only (logs: counts as a refusal) */
	HELPER_UI_DENY,
	HELPER_UI_STOP,         /* stop sharing with everyone */
	HELPER_UI_PAUSE,        /* pause sharing: grants and streams stay, nothing moves */
	HELPER_UI_RESUME,       /* resume a paused sharing, without asking anyone again */
	HELPER_UI_END,          /* end the session */
	HELPER_UI_CLOSED,       /* the customer can no longer answer (stdin EOF) */
	HELPER_UI_CHAT,         /* a line for the technician, in next()'s line buffer */
	HELPER_UI_PREVIEW,      /* logs: show what would be sent (logs_preview() follows) */
};

struct helper_origin;

/* What a UI is opened with; strings and origin are borrowed for the UI's lifetime. */
struct helper_ui_config {
	const char *org;        /* the support organisation's name, or NULL */
	const char *display;    /* the X display (the window goes there) */
	bool trace;             /* print each state and the button rectangles on stdout */
	bool intake;            /* the helper has an intake token: the code entry offers "no code" */
	/*
	 * Tells the presses the helper injected for viewers from the
	 * customer's (origin.h); a window drops the injected ones. NULL: no
	 * viewer can inject (the session then grants no control).
	 */
	struct helper_origin *origin;
};

struct helper_ui_ops {
	const char *name;
	/* 0, or -1 with err (the caller may fall back to another UI). */
	int (*open)(void **state, const struct helper_ui_config *cfg, char *err, size_t errlen);
	void (*close)(void *state);
	/*
	 * Asks for the support code before anything is connected; blocks.
	 * problem, if not NULL, says what was wrong with the last one. 0 with
	 * the code in code[0..len), 1 when the customer chose "I have no code"
	 * (offered only with config.intake; then ask_intake follows), or -1
	 * when the customer gave up. NULL in a UI that cannot ask (the code
	 * must come from the command line).
	 */
	int (*ask_code)(void *state, const char *problem, char *code, size_t len);
	/*
	 * For a customer who has no code (the helper has an intake token):
	 * asks for a short description of the problem and, optionally, a
	 * name; blocks. problem as for ask_code. 0 with both filled (name may
	 * be empty, desc is not), 1 when the customer went back to code entry
	 * (only after ask_code offered the way here), or -1 when the customer
	 * gave up. NULL in a UI that offers no such path.
	 */
	int (*ask_intake)(void *state, const char *problem, char *name, size_t namelen, char *desc,
			  size_t desclen);
	/*
	 * Before the ticket opens: public knowledge base articles that match
	 * the description, text as helper_ui_words_selfhelp made it (clean,
	 * lines). Blocks. 1 when the customer still wants a ticket ("This did
	 * not help: open a ticket"), 0 when the articles solved it, -1 when
	 * they gave up. NULL: the ticket opens.
	 */
	int (*self_help)(void *state, const char *text);
	/* Shown while the blocking connection and sign-in run. */
	void (*connecting)(void *state, const char *relay);
	/*
	 * True when the UI has work the loop must not sleep through: input
	 * queued where its descriptor does not announce it, or a display to
	 * redraw. NULL means never.
	 */
	bool (*pending)(void *state);
	/*
	 * After ended(): lets the customer read the end and close the UI
	 * (blocks until then, or until SIGINT or SIGTERM). NULL: nothing to wait for.
	 */
	void (*linger)(void *state);
	/* Descriptor the event loop polls for the customer's input, or -1. */
	int (*fd)(void *state);
	/*
	 * How long (ms) the loop may sleep at most without asking next(),
	 * -1 for as long as fd stays quiet: for a UI whose input has no
	 * descriptor (a window on Windows). NULL means -1.
	 */
	int (*timeout)(void *state);
	/* Called when fd is readable: takes in what is there, never blocks. */
	void (*readable)(void *state);
	/*
	 * Next thing the customer chose; asking says which question is on
	 * screen (answers only count then). For HELPER_UI_CHAT the line is in
	 * line[0..linelen), NUL-terminated, not empty, in no particular
	 * encoding (the session makes it valid UTF-8). HELPER_UI_NONE when
	 * nothing more.
	 */
	enum helper_ui_choice (*next)(void *state, enum helper_ui_question asking, char *line,
				      size_t linelen);

	void (*connected)(void *state, uint32_t ticket, const char *summary);
	void (*ask)(void *state, const struct helper_ui_request *r);
	void (*sharing)(void *state, const struct helper_ui_request *r, bool control);
	void (*denied)(void *state, const struct helper_ui_request *r);
	void (*withdrawn)(void *state, const struct helper_ui_request *r);
	void (*stopped)(void *state, const struct helper_ui_request *r);
	void (*stopped_all)(void *state);
	/* Sharing was paused (true) or resumed (false) by the customer. */
	void (*paused)(void *state, bool paused);
	void (*input_closed)(void *state);
	void (*status)(void *state, const char *text);
	/* A chat message from the relay: author's name and role, text (may span lines). */
	void (*chat)(void *state, const char *name, const char *tier, const char *text);
	/* A chat line of the customer's could not be sent (the relay is not keeping up). */
	void (*chat_unsent)(void *state);
	/* Asks whether to collect and send what r lists. */
	void (*logs_ask)(void *state, const struct helper_ui_logs_request *r);
	/*
	 * What r would send, text[0..len) (valid UTF-8, no NUL, not
	 * terminated; may hold control characters, which a UI must not let
	 * act), exactly the bytes that go out if the customer allows it.
	 * Borrowed for the call. Asked for with HELPER_UI_PREVIEW.
	 */
	void (*logs_preview)(void *state, const struct helper_ui_logs_request *r, const char *text, size_t len);
	/* The bundle for r, bytes long, has gone to the relay. */
	void (*logs_sent)(void *state, const struct helper_ui_logs_request *r, size_t bytes);
	void (*logs_refused)(void *state, const struct helper_ui_logs_request *r);
	/* reason is NULL for a normal end. */
	void (*ended)(void *state, const char *reason);
};

extern const struct helper_ui_ops helper_ui_tty;
extern const struct helper_ui_ops helper_ui_sdl;

#endif
