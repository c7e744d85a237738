/*
 * wayland: the screen and input of a Wayland desktop, for session.c, which
 * knows only that the customer's session is one (cli.c decides).
 * wayland_linux.c opens them; Windows has no Wayland (wayland_win32.c).
 */
#ifndef HANDOFF_HELPER_WAYLAND_H
#define HANDOFF_HELPER_WAYLAND_H

#include <stdbool.h>
#include <stddef.h>

struct helper_capture;
struct helper_input;

/* helper_wayland_capture_open: the screen is the desktop portal's, to be asked once signed in. */
#define HELPER_WAYLAND_PORTAL 1
/* helper_wayland_portal_open: the customer said no at the desktop's own dialog. */
#define HELPER_WAYLAND_REFUSED (-2)

/*
 * A wlroots compositor's own screen copy when it offers one (no portal
 * between, no dialog: see capture_wlr.c): 0 and *out. Else, when a desktop
 * portal offers screen sharing (GNOME, KDE), HELPER_WAYLAND_PORTAL with
 * *out NULL: its dialog is the customer's answer and goes on the ticket,
 * so helper_wayland_portal_open asks it once the helper has signed in.
 * capture is --capture's choice: "portal" skips the screen copy. -1 with
 * err naming what each refused. Asks the customer nothing.
 */
int helper_wayland_capture_open(struct helper_capture **out, const char *capture, char *err, size_t errlen);
/*
 * The desktop portal's screen (capture_wayland.c) for a session of the
 * relay whose pinned host key is relay_key: the desktop's restore token, if
 * it gives one, is kept for that relay alone. asking(ctx, remembered,
 * control) runs just before the portal is asked (its dialog may open then;
 * remembered: this relay's token is offered, so it may not; control: the
 * mouse and keyboard are asked for too), so the customer can be told first
 * what will ask and why. 0, HELPER_WAYLAND_REFUSED with err when
 * the customer said no there, or -1 with err.
 */
int helper_wayland_portal_open(struct helper_capture **out, const char *relay_key,
			       void (*asking)(void *ctx, bool remembered, bool control), void *ctx, char *err,
			       size_t errlen);
/*
 * Remote control on capture's width x height screen: through the portal's
 * RemoteDesktop session when capture has one that the customer allowed
 * control in (input_wayland.c), else wlroots' virtual devices
 * (input_wlr.c), whose positions are in the capture's space (the box around
 * every output: capture.h's space_width) rather than width x height.
 * 0, or -1 with err.
 */
int helper_wayland_input_open(struct helper_input **out, struct helper_capture *capture, int width, int height,
			      char *err, size_t errlen);

#endif
