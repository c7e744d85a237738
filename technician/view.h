/*
 * view: `handoff-tech view N`, the live session of ticket N. Wires the
 * tunnel (SSH channel + pump thread), the RFB client and one of the two
 * front ends (SDL window or headless commands) together, and turns how it
 * ended into words and an exit status.
 */
#ifndef HANDOFF_TECH_VIEW_H
#define HANDOFF_TECH_VIEW_H

#include <stdbool.h>

#include <libssh/libssh.h>

#include "connect.h"

struct tech_view_opts {
	unsigned long ticket;
	bool headless;
	bool view_only;
	int monitor;        /* shown first: 0 all, k the customer's monitor k */
};

/*
 * Runs the session over the authenticated session *s (not taken; it is lent
 * to the pump thread and given back before this returns; after a lost
 * connection *s is replaced by a new login, or NULL when none succeeded,
 * and the caller closes whatever *s is then). Lines typed on stdin go to
 * the ticket's chat (window mode; see chat.h). Returns the exit
 * status: 0 when the technician ended the session, 1 when the relay refused
 * it, the customer declined, or the link dropped.
 */
int tech_view_run(ssh_session *s, const struct tech_connect_opts *conn, const struct tech_view_opts *o);

#endif
