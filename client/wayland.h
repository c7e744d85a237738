/*
 * wayland: the screen, input and clipboard of a Wayland desktop, for session.c, which
 * knows only that the customer's session is one (cli.c decides).
 * wayland_linux.c opens them; Windows has no Wayland (wayland_win32.c).
 */
#ifndef HANDOFF_HELPER_WAYLAND_H
#define HANDOFF_HELPER_WAYLAND_H

#include <stdbool.h>
#include <stddef.h>

struct helper_capture;
struct helper_clipboard;
struct helper_input;

/* helper_wayland_capture_open: the screen is the desktop portal's, to be asked once signed in. */
#define HELPER_WAYLAND_PORTAL 1
/* helper_wayland_ask_finish: the customer said no at the desktop's own dialog. */
#define HELPER_WAYLAND_REFUSED (-2)

/*
 * A wlroots compositor's own screen copy when it offers one (no portal
 * between, no dialog: see capture_wlr.c): 0 and *out. Else, when a desktop
 * portal offers screen sharing (GNOME, KDE), HELPER_WAYLAND_PORTAL with
 * *out NULL: its dialog is the customer's answer and goes on the ticket,
 * so helper_wayland_ask_start asks it after the customer's own yes to a technician.
 * capture is --capture's choice: "portal" skips the screen copy. -1 with
 * err naming what each refused. Asks the customer nothing.
 */
int helper_wayland_capture_open(struct helper_capture **out, const char *capture, char *err, size_t errlen);
/*
 * The desktop portal's screen (capture_wayland.c) for a session of the
 * relay whose pinned host key is relay_key (the desktop's restore token, if
 * it gives one, is kept for that relay alone), asked without blocking the
 * caller: the portal's half on a thread of its own while the helper's loop
 * goes on (the desktop's dialog waits for a person), the stream's half on
 * the caller's thread at the end.
 * helper_wayland_ask_fd turns readable when there is news, and stays so
 * until helper_wayland_ask_poll, which drains it and says where the
 * question is: HELPER_WAYLAND_ASK_WAITING (not yet at the portal's
 * dialog), HELPER_WAYLAND_ASK_ASKING (the portal is about to be asked and its
 * dialog may open: *remembered when this relay's restore token is offered,
 * so it may not; *control when the mouse and keyboard are asked for too;
 * the thread waits for helper_wayland_ask_go, so that the customer is told
 * first what will ask and why), or HELPER_WAYLAND_ASK_DONE (then helper_wayland_ask_finish).
 * The thread starts with the caller's signal mask.
 */
#define HELPER_WAYLAND_ASK_WAITING 0
#define HELPER_WAYLAND_ASK_ASKING 1
#define HELPER_WAYLAND_ASK_DONE 2
struct helper_wayland_ask;
/* 0 and *out, or -1 with err. */
int helper_wayland_ask_start(struct helper_wayland_ask **out, const char *relay_key, char *err, size_t errlen);
int helper_wayland_ask_fd(const struct helper_wayland_ask *a);
int helper_wayland_ask_poll(struct helper_wayland_ask *a, bool *remembered, bool *control);
void helper_wayland_ask_go(struct helper_wayland_ask *a);
/*
 * After DONE: frees a, and opens the capture on this thread: 0 and *out,
 * HELPER_WAYLAND_REFUSED with err when the customer said no at the
 * desktop's dialog, or -1 with err.
 */
int helper_wayland_ask_finish(struct helper_wayland_ask *a, struct helper_capture **out, char *err, size_t errlen);
/*
 * Gives up at any point before finish: the portal's request is closed (its
 * dialog goes away), then its session; waits for the thread and frees a.
 * NULL is fine.
 */
void helper_wayland_ask_cancel(struct helper_wayland_ask *a);
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
/*
 * The customer's clipboard where the compositor lets a client hold it
 * (wlroots' data control: clipboard.h's calls then work as on X11). 0, or
 * -1 with err (GNOME's mutter 43 offers no such protocol, and the desktop portal
 * of Debian 12, 1.16, no Clipboard interface).
 */
int helper_wayland_clipboard_open(struct helper_clipboard **out, char *err, size_t errlen);

#endif
