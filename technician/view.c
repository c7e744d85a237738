/*
 * view.c: see view.h.
 *
 * Shutdown order matters: the RFB client is closed first, which closes its
 * end of the socketpair; the pump thread sees that (or the wake byte,
 * whichever comes first), closes the channel and exits; only after the join
 * does the session belong to the main thread again.
 */
#include "view.h"

#include <stdio.h>
#include <unistd.h>

#include "headless.h"
#include "tunnel.h"
#include "vnc.h"
#include "window.h"

int tech_view_run(ssh_session s, const struct tech_connect_opts *conn, const struct tech_view_opts *o)
{
	struct tech_tunnel tunnel;
	struct tech_vnc vnc;
	int fd = -1;
	int r;
	int rc = 1;

	(void)conn;

	r = tech_tunnel_open(&tunnel, s, o->ticket, &fd);
	if (r == TECH_TUNNEL_REFUSED) {
		fprintf(stderr, "handoff-tech: the relay refused ticket %lu (no live session, or not yours)\n",
			o->ticket);
		goto out_tunnel;
	}
	if (r != 0)
		goto out_tunnel;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "handoff-tech: ticket %lu: waiting for the customer to accept...\n",
			o->ticket);
	if (tech_vnc_open(&vnc, fd) != 0) {
		if (vnc.reason[0] != '\0')
			fprintf(stderr, "handoff-tech: session ended: %s\n", vnc.reason);
		else if (vnc.error[0] != '\0')
			fprintf(stderr, "handoff-tech: session ended: %s\n", vnc.error);
		else
			fprintf(stderr, "handoff-tech: session ended: the connection closed before the session started\n");
		goto out_tunnel;
	}
	if (o->headless)
		r = tech_headless_run(&vnc);
	else
	{
		struct tech_window_opts wo = { .ticket = o->ticket, .view_only = o->view_only,
					       .rx_bytes = &tunnel.rx_bytes };

		r = tech_window_run(&vnc, &wo);
	}
	tech_vnc_close(&vnc);
	/* A link that ended under us says why, when libvncclient said (a bad rectangle...). */
	if (r > 0 && vnc.error[0] != '\0')
		fprintf(stderr, "handoff-tech: session ended: %s\n", vnc.error);
	else if (r >= 0)
		fprintf(stderr, "handoff-tech: session ended\n");
	rc = r == 0 ? 0 : 1;
out_tunnel:
	tech_tunnel_close(&tunnel);
	return rc;
}
