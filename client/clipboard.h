/*
 * clipboard: text on the customer's CLIPBOARD selection and the technicians'
 * VNC cut text, both ways, only with viewers allowed to control.
 *
 * Technician to customer: libvncserver hands a controlling viewer's cut text
 * to helper_clipboard_from_viewer on the client's thread; the main loop then
 * takes CLIPBOARD ownership on a window of our own X connection and answers
 * paste requests (TARGETS, UTF8_STRING, STRING). Customer to technician:
 * XFixes tells us when another client takes CLIPBOARD; we convert it to
 * UTF8_STRING and send it to the controlling viewers (screen.h).
 *
 * On a wlroots compositor the same calls go to clipboard_wlr.c's data
 * control instead of X (helper_clipboard_open_wayland, which session.c
 * reaches through wayland.h): the rules below are the same. Windows has
 * clipboard_win32.c behind this header.
 *
 * RFB cut text is ISO-8859-1: for stock VNC viewers text is converted both
 * ways, and characters outside Latin-1 become '?'. Our own viewers get and
 * send UTF-8 (protocol/screeninfo.h), so Japanese survives. Both directions are capped at
 * HELPER_CLIPBOARD_MAX bytes; larger text is dropped whole (never cut),
 * and the customer is told. A viewer that sends more than 1 MiB is
 * disconnected by libvncserver before we see the text.
 */
#ifndef HANDOFF_HELPER_CLIPBOARD_H
#define HANDOFF_HELPER_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Below libvncserver's own limit (1 MiB of client cut text, above which it
 * closes the viewer), so that text between the two is dropped with a word
 * to the customer instead of a lost connection.
 */
#define HELPER_CLIPBOARD_MAX (256u * 1024u)

struct helper_clipboard;
struct helper_screen;

/* Opens an X connection of its own on display. 0 or -1 with err. */
int helper_clipboard_open(struct helper_clipboard **out, const char *display, char *err,
			  size_t errlen);
/*
 * Linux only: the Wayland display's clipboard through wlroots' data control
 * (display NULL: WAYLAND_DISPLAY). helper_clipboard_x_fd is then an epoll
 * set of its connection and pipes. 0, or -1 with err (no data control:
 * GNOME's mutter 43 offers none).
 */
int helper_clipboard_open_wayland(struct helper_clipboard **out, const char *display, char *err, size_t errlen);
/* Where customer text goes (not owned); also registers the viewer hook on screen. */
void helper_clipboard_attach(struct helper_clipboard *c, struct helper_screen *screen);
/* The X connection's descriptor (Wayland: see above) and the wake-up descriptor, for the loop. */
int helper_clipboard_x_fd(const struct helper_clipboard *c);
int helper_clipboard_wake_fd(const struct helper_clipboard *c);
/* Any thread: text a controlling viewer put on its clipboard (len bytes, UTF-8 or Latin-1). */
void helper_clipboard_from_viewer(struct helper_clipboard *c, const char *text, size_t len, bool utf8);

enum helper_clipboard_event {
	HELPER_CLIPBOARD_NOTHING = 0,
	HELPER_CLIPBOARD_TOO_BIG_IN,    /* a technician's text was over the cap: dropped */
	HELPER_CLIPBOARD_TOO_BIG_OUT,   /* the customer's text was over the cap: not sent */
};

/* True when X events wait in Xlib's queue, where the descriptor does not announce them. */
int helper_clipboard_queued(const struct helper_clipboard *c);
/* Main thread: handles X events and viewer text. Returns what the customer should hear of. */
enum helper_clipboard_event helper_clipboard_run(struct helper_clipboard *c);
void helper_clipboard_close(struct helper_clipboard *c);

#endif
