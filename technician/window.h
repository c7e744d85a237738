/*
 * window: the viewer on the technician's screen, with SDL2.
 *
 * One window, sized to the remote screen but never larger than this
 * display. The picture is scaled to the window keeping its aspect ratio,
 * or shown 1:1 (scrolled by moving the pointer to an edge); the window can
 * go full screen. It shows one of the customer's monitors or all of them.
 * A coloured frame around the picture says at a glance whether the
 * technician is in control (red) or only watching (blue), and a banner
 * says when the customer paused sharing. Keys, text, mouse buttons, the
 * wheel and clipboard text go to the customer's machine unless view_only
 * or the customer allowed viewing only. F8 opens a small menu (1:1, full
 * screen, figures overlay, next monitor, ask the customer for control,
 * Ctrl+Alt+Del, F8 itself). After asking for control, a view_only window
 * takes the customer's answer (the helper's description) as its rights.
 * Closing the window ends the session.
 */
#ifndef HANDOFF_TECH_WINDOW_H
#define HANDOFF_TECH_WINDOW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vnc.h"

struct tech_window_opts {
	unsigned long ticket;
	bool view_only;
	int monitor;                      /* shown first: 0 all, k the helper's monitor k */
	const _Atomic uint64_t *rx_bytes; /* bytes received so far (tunnel), for kbit/s; may be NULL */
	void (*tick)(void *ctx);          /* called every turn of the loop (the terminal's chat); may be NULL */
	void *tick_ctx;
	/* F8 c: asks the customer for control (view.c); 0 when asked. May be NULL. Gets tick_ctx. */
	int (*ask_control)(void *ctx);
};

/*
 * Shows the session until the window is closed (returns 0), the link
 * drops (1), or the display cannot be used (-1, message printed).
 */
int tech_window_run(struct tech_vnc *v, const struct tech_window_opts *o);

#endif
