/*
 * conn.c: questions about the table of connections that every room asks
 * (which helper is live for a ticket, what to call a role). server.c owns
 * the table and changes it; this file only reads it, so that ticket.c,
 * viewer.c and exec.c need not call up into server.c.
 */
#include <string.h>

#include "relay.h"

const char *relay_role_name(enum relay_role role)
{
	switch (role) {
	case RELAY_ROLE_TECH: return "technician";
	case RELAY_ROLE_AUDITOR: return "auditor";
	case RELAY_ROLE_CUSTOMER: return "customer";
	case RELAY_ROLE_DESK: return "desk system";
	case RELAY_ROLE_PEER: return "relay";
	default: return "unauthenticated";
	}
}

enum relay_role relay_role_of_account(const struct store_user *user)
{
	if (strcmp(user->role, "tech") == 0)
		return RELAY_ROLE_TECH;
	if (strcmp(user->role, "auditor") == 0)
		return RELAY_ROLE_AUDITOR;
	if (strcmp(user->role, "desk") == 0)
		return RELAY_ROLE_DESK;
	return RELAY_ROLE_NONE;
}

struct relay_conn *relay_conn_live_customer(struct relay *relay, int64_t ticket)
{
	struct relay_conn *found = NULL;

	/* The newest connection wins: a helper that reconnected replaces its ghost. */
	for (struct relay_conn *c = relay->conns; c != NULL; c = c->next)
		if (!c->dead && c->role == RELAY_ROLE_CUSTOMER && c->ticket == ticket && c->ending_at == 0 &&
		    c->forwarding && c->control != NULL && !c->control->dead)
			found = c;
	return found;
}
