/*
 * viewer: one technician who asked to see this screen, from the ask to the
 * end of their stream, and the list of all of them in the order they asked.
 *
 *   ASKED ----> GRANTED ----> ACCEPTED ----> ACTIVE ----> ENDED
 *     \  \        (consent)    (channel       (pump +       (freed by
 *      \  `-> ALLOWED -'       accepted)      VNC client)   the loop)
 *       `--> ENDED (denied, withdrawn, refused at the desktop's dialog)
 *
 * ALLOWED: the customer said yes, and the desktop's own dialog (the
 * portal's, asked after that first yes) is still to answer; the relay
 * hears the yes once the screen is open (session.c).
 *
 * Only a GRANTED viewer may have its forwarded-tcpip channel accepted, and
 * only once: consent covers one stream. A viewer granted view only may be
 * asked about again, for control (reasking): it keeps its state and stream
 * while the question waits, and the answer changes its rights in place. The SSH message callback moves a
 * viewer from GRANTED to ACCEPTED and does nothing else, because libssh
 * forbids channel work inside callbacks; the loop starts the stream.
 */
#ifndef HANDOFF_HELPER_VIEWER_H
#define HANDOFF_HELPER_VIEWER_H

#include <stdbool.h>
#include <stdint.h>

#include <libssh/libssh.h>

#include "ctl.h"
#include "pump.h"
#include "ui.h"

struct helper_screen;

enum helper_viewer_state {
	HELPER_VIEWER_ASKED,
	HELPER_VIEWER_ALLOWED,
	HELPER_VIEWER_GRANTED,
	HELPER_VIEWER_ACCEPTED,
	HELPER_VIEWER_ACTIVE,
	HELPER_VIEWER_ENDED,
};

struct helper_viewer {
	struct helper_viewer *next;
	enum helper_viewer_state state;
	uint64_t seq;           /* arrival order among all questions; set by the session */
	uint32_t id;
	uint32_t ticket;
	char *name;
	char *tier;
	uint8_t caps_asked;
	uint8_t caps_granted;
	bool prompted;          /* the question is on the customer's screen */
	bool reasking;          /* granted view only, now asked for control; the stream goes on */
	ssh_channel chan;       /* owned from ACCEPTED on */
	struct pump *pump;      /* owned while ACTIVE */
};

struct helper_viewers {
	struct helper_viewer *head;
};

/* Appends a viewer in ASKED state, copying what the ask carries. NULL if out of memory. */
struct helper_viewer *helper_viewer_add(struct helper_viewers *vs, const struct ctl_record *ask);
/* The live (not ENDED) viewer with this id, or NULL. */
struct helper_viewer *helper_viewer_find(struct helper_viewers *vs, uint32_t id);
/* The oldest viewer still waiting for an answer (a first ask, or one for control), or NULL. */
struct helper_viewer *helper_viewer_first_asked(struct helper_viewers *vs);
/* The viewer as the UI shows it. */
struct helper_ui_request helper_viewer_request(const struct helper_viewer *v);
/*
 * Starts the stream of an ACCEPTED viewer: a socketpair, one end to
 * libvncserver, the other to a pump on the channel. 0 (ACTIVE) or -1 (the
 * caller ends the viewer).
 */
int helper_viewer_start(struct helper_viewer *v, struct helper_screen *screen);
/*
 * Closes the viewer's stream, if any (pump, then channel), and marks it
 * ENDED. Must run from the loop, never from a libssh callback.
 */
void helper_viewer_end(struct helper_viewer *v);
/* Frees the ENDED viewers. */
void helper_viewer_sweep(struct helper_viewers *vs);
/* Ends and frees everything. */
void helper_viewer_free_all(struct helper_viewers *vs);

#endif
