/*
 * clipboard_wlr: the customer's clipboard on a wlroots compositor (sway and
 * others) through its data control protocol (zwlr_data_control_manager_v1),
 * for clipboard.c, which keeps the rules (control only, the cap, Latin-1
 * for stock viewers) and hands text here and takes it from here.
 *
 * Text goes through pipes the compositor passes between us and the other
 * client; none is ever read or written blocking: helper_clipboard_wlr_fd is
 * an epoll set of the Wayland connection and every pipe in flight, readable
 * when any of them is ready, and helper_clipboard_wlr_run moves what can be
 * moved without waiting.
 */
#ifndef HANDOFF_HELPER_CLIPBOARD_WLR_H
#define HANDOFF_HELPER_CLIPBOARD_WLR_H

#include <stddef.h>

struct helper_clipboard_wlr;

/* Its own connection to display (NULL: WAYLAND_DISPLAY). 0 and *out, or -1 with err. */
int helper_clipboard_wlr_open(struct helper_clipboard_wlr **out, const char *display, char *err, size_t errlen);
int helper_clipboard_wlr_fd(const struct helper_clipboard_wlr *w);
/* Takes text (UTF-8, len bytes, malloc'd): it is the customer's clipboard until another client's copy. */
void helper_clipboard_wlr_set(struct helper_clipboard_wlr *w, char *text, size_t len);

#define HELPER_CLIPBOARD_WLR_NOTHING 0
#define HELPER_CLIPBOARD_WLR_TEXT 1     /* *text (malloc'd, UTF-8, *len bytes) is the customer's new copy */
#define HELPER_CLIPBOARD_WLR_TOO_BIG 2  /* the customer's copy is over HELPER_CLIPBOARD_MAX: dropped */
/* Handles the compositor's events and moves the pipes' bytes; one of the above. */
int helper_clipboard_wlr_run(struct helper_clipboard_wlr *w, char **text, size_t *len);
void helper_clipboard_wlr_close(struct helper_clipboard_wlr *w);

#endif
