/*
 * wayland: the screen and input of a Wayland desktop, for session.c, which
 * knows only that the customer's session is one (cli.c decides).
 * wayland_linux.c opens them; Windows has no Wayland (wayland_win32.c).
 */
#ifndef HANDOFF_HELPER_WAYLAND_H
#define HANDOFF_HELPER_WAYLAND_H

#include <stddef.h>

struct helper_capture;
struct helper_input;

/*
 * A wlroots compositor's own screen copy when it offers one (no portal
 * between, no dialog: see capture_wlr.c), else the desktop portal (GNOME,
 * KDE). capture is --capture's choice: "portal" skips the first. asking(ctx)
 * runs just before the portal is asked (its dialog may open then), so the
 * customer can be told first what will ask and why. 0, or -1 with err
 * naming what each refused.
 */
int helper_wayland_capture_open(struct helper_capture **out, const char *capture, void (*asking)(void *ctx),
				void *ctx, char *err, size_t errlen);
/*
 * Remote control on capture's width x height screen: through the portal's
 * RemoteDesktop session when capture has one that the customer allowed
 * control in (input_wayland.c), else wlroots' virtual devices
 * (input_wlr.c). 0, or -1 with err.
 */
int helper_wayland_input_open(struct helper_input **out, struct helper_capture *capture, int width, int height,
			      char *err, size_t errlen);

#endif
