/*
 * capture_wayland.h: what the portal backend (capture_wayland.c) shares
 * with the portal's input (input_wayland.c). A RemoteDesktop session of
 * the portal belongs to the D-Bus connection that made it, so input goes
 * through the capture's own connection and session.
 */
#ifndef HANDOFF_HELPER_CAPTURE_WAYLAND_H
#define HANDOFF_HELPER_CAPTURE_WAYLAND_H

#include <stdbool.h>
#include <stdint.h>

struct helper_capture;

struct helper_capture_wayland_remote {
	void *bus;              /* the GDBusConnection (not owned; lives as long as the capture) */
	const char *session;    /* the portal session's object path (likewise) */
	uint32_t stream;        /* the PipeWire node absolute pointer positions are relative to */
	bool pointer, keyboard; /* what the customer allowed at the desktop's dialog */
};

/*
 * 0 and *out when c is the portal's capture on a RemoteDesktop session
 * whose dialog allowed some control; -1 otherwise (view only).
 */
int helper_capture_wayland_remote(struct helper_capture *c, struct helper_capture_wayland_remote *out);

/*
 * Names the relay (its pinned host key fingerprint, "SHA256:...") the next
 * open's session belongs to. The desktop's restore token is kept per relay
 * and offered only in that relay's sessions; NULL or "" keeps none.
 */
void helper_capture_wayland_set_relay(const char *host_key);

/*
 * asking(ctx, remembered, control) runs once per open, just before the
 * portal is asked what may open its dialog: remembered when this relay's
 * restore token is offered (the desktop may share without asking),
 * control when the session asks for the mouse and keyboard too. Lets the
 * customer be told what comes before it comes. NULL: nothing is said.
 */
void helper_capture_wayland_set_asking(void (*asking)(void *ctx, bool remembered, bool control), void *ctx);

struct helper_capture_wayland;

/*
 * The portal's half of an open: its session on a D-Bus connection of its
 * own, its dialog answered, its PipeWire descriptor, but no stream yet.
 * Blocks while the desktop asks the customer, so it may run on a thread of
 * its own (it touches nothing of the caller's but the asking hook, which
 * then runs on that thread). cancel_fd, when >= 0, turns readable to give
 * up: the pending request is closed (the dialog goes), then the session.
 * 0 and *out (for helper_capture_wayland_set_asked or _ask_free),
 * HELPER_CAPTURE_REFUSED when the customer said no at the dialog, or -1
 * with err.
 */
int helper_capture_wayland_ask(struct helper_capture_wayland **out, int cancel_fd, char *err, size_t errlen);
/* Closes the session of an answer no open took. NULL is fine. */
void helper_capture_wayland_ask_free(struct helper_capture_wayland *w);
/*
 * The next open of the portal backend, on the calling thread, takes w
 * (owned from then on, also when it fails) and only starts its stream.
 */
void helper_capture_wayland_set_asked(struct helper_capture_wayland *w);

/*
 * Whether the session bus has a desktop portal that offers ScreenCast: 0,
 * or -1 with err. Asks nothing of the customer (no dialog), so it can run
 * before the helper signs in; the portal itself is asked later.
 */
int helper_capture_wayland_probe(char *err, size_t errlen);

#endif
