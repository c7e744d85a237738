/*
 * headless: the viewer without a display, driven line by line on stdin.
 * Used by the end-to-end tests and on machines without a screen; SDL's
 * video is never initialised.
 *
 * Protocol: one command per line; each gets exactly one answer line on
 * stdout that starts with "ok" or "error" (flushed at once). Blank lines
 * and lines starting with '#' are ignored without an answer.
 *   wait-frame [TIMEOUT_MS]   asks for the whole screen and waits (default
 *                             10000 ms) until a framebuffer update that
 *                             covers the whole screen completes
 *                             -> "ok WxH"
 *   snapshot FILE             framebuffer to FILE (.png: PNG, else PPM P6)
 *   monitor N|all             from now on snapshot, move and click work on
 *                             the customer's monitor N (cropped; X,Y from
 *                             its corner), or the whole screen again
 *                             -> "ok monitor 2/2 RIGHT 800x600", "ok all
 *                             monitors (2)"; a monitor the screen does not
 *                             have is an error
 *   move X Y                  pointer to X,Y (buttons held stay held)
 *   click X Y [BUTTON]        press and release BUTTON (1-5, default 1) at X,Y
 *   key NAME[+NAME...]        X keysym names (XStringToKeysym): pressed in
 *                             order, released in reverse ("Control_L+c")
 *   type TEXT                 the rest of the line, character by character
 *   chat TEXT                 TEXT as typed at the viewer's terminal: said to
 *                             the customer, or /note TEXT, /escalate L2 TEXT
 *                             (chat.h); the command's output comes first, as
 *                             "chat LINE" lines
 *   control                   asks the customer for control (the relay's
 *                             control N): "ok asked the customer for
 *                             control of ticket N"; the customer's answer
 *                             comes later, as an "info control=..." line
 *                             and a line on stderr
 *   stats                     "ok rtt_ms=N encoding=tight lossless updates=N"
 *                             (round trip, what is asked for; see vnc.h)
 *   quit                      "ok", then the session ends (exit status 0)
 * Lines of the ticket's chat arrive any time as "chat LINE" (never "ok" or
 * "error", so they cannot be taken for an answer), and so does the
 * customer's side's description of its screen, whenever it changes:
 * "info control=yes paused=no monitors=2 1:LEFT:800x600+0+0 2:RIGHT:..."
 * (monitor.h, tech_monitor_describe). End of input is quit. RFB messages
 * are handled all the while.
 */
#ifndef HANDOFF_TECH_HEADLESS_H
#define HANDOFF_TECH_HEADLESS_H

#include "chat.h"
#include "vnc.h"

/*
 * Serves commands (chat may be NULL: no chat) on monitor (0: the whole
 * screen) until quit or end of input (returns 0) or until the link drops
 * (returns 1). ask_control(ctx, fn, fn_ctx) runs the control command (its
 * output lines to fn; 0 when asked); NULL: the command is refused.
 */
int tech_headless_run(struct tech_vnc *v, struct tech_chat *chat, int monitor,
		      int (*ask_control)(void *ctx, tech_chat_line_fn fn, void *fn_ctx), void *ctx);

#endif
