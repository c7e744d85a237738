/*
 * ui: how the helper talks to the customer. The session decides; a UI only
 * shows what it is told and reports what the customer chose. UIs never see
 * wire bytes: names and summaries reach them as validated UTF-8 strings.
 *
 * Only the terminal UI (ui_tty.c) exists; the SDL2 window will implement
 * the same table.
 */
#ifndef HANDOFF_HELPER_UI_H
#define HANDOFF_HELPER_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who asks for what: the relay's CONSENT_ASK, as the customer sees it. */
struct helper_ui_request {
	const char *name;
	const char *tier;
	uint32_t ticket;
	bool control;   /* asks to control, not only to view */
};

enum helper_ui_choice {
	HELPER_UI_NONE = 0,
	HELPER_UI_ALLOW,        /* allow what was asked */
	HELPER_UI_ALLOW_VIEW,   /* allow viewing only */
	HELPER_UI_DENY,
	HELPER_UI_STOP,         /* stop sharing with everyone */
	HELPER_UI_END,          /* end the session */
	HELPER_UI_CLOSED,       /* the customer can no longer answer (stdin EOF) */
};

struct helper_ui_ops {
	const char *name;
	/* 0, or -1 with err. */
	int (*open)(void **state, char *err, size_t errlen);
	void (*close)(void *state);
	/* Descriptor the event loop polls for the customer's input, or -1. */
	int (*fd)(void *state);
	/* Called when fd is readable: takes in what is there, never blocks. */
	void (*readable)(void *state);
	/*
	 * Next thing the customer chose; asking says whether a question is on
	 * screen (answers only count then). HELPER_UI_NONE when nothing more.
	 */
	enum helper_ui_choice (*next)(void *state, bool asking);

	void (*connected)(void *state, uint32_t ticket, const char *summary);
	void (*ask)(void *state, const struct helper_ui_request *r);
	void (*sharing)(void *state, const struct helper_ui_request *r, bool control);
	void (*denied)(void *state, const struct helper_ui_request *r);
	void (*withdrawn)(void *state, const struct helper_ui_request *r);
	void (*stopped)(void *state, const struct helper_ui_request *r);
	void (*stopped_all)(void *state);
	void (*input_closed)(void *state);
	void (*status)(void *state, const char *text);
	/* reason is NULL for a normal end. */
	void (*ended)(void *state, const char *reason);
};

extern const struct helper_ui_ops helper_ui_tty;

#endif
