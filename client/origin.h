/*
 * origin: tells the input the helper injects for controlling viewers from
 * the customer's own, so that only the person at the machine can answer
 * the helper's questions, type into its chat or press its buttons.
 *
 * The helper's window gets its pointer and keyboard events from the
 * window system like any other window; the events a viewer's input
 * produces look the same there as the customer's. What tells them apart
 * is that the helper knows what it injected: input.c notes every press it
 * is about to inject (helper_origin_injecting, from libvncserver's client
 * threads), the backend watches the window system's own record of where
 * each press came from, and the window asks, for every press it receives,
 * whether it was one of ours (helper_origin_sdl_event). A press that was
 * is dropped before it reaches any button or field, and counted for the
 * relay's record (helper_origin_take_ignored).
 *
 * One backend per platform: origin_x11.c (XInput 2 raw events and the
 * XTEST devices), origin_win32.c (low-level hooks and the dwExtraInfo
 * marker input_win32.c puts on what it sends). docs/internals.md says how
 * Wayland would tell the same.
 */
#ifndef HANDOFF_HELPER_ORIGIN_H
#define HANDOFF_HELPER_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct helper_origin;
struct SDL_SysWMmsg;

enum helper_origin_kind {
	HELPER_ORIGIN_BUTTON,   /* detail: the button number */
	HELPER_ORIGIN_KEY,      /* detail: the key code */
};

/*
 * Opens a connection of its own to display and starts watching. -1 with
 * err when the window system cannot say where input comes from (no
 * XInput 2.2 on X11): the caller must then not let viewers control.
 */
int helper_origin_open(struct helper_origin **out, const char *display, char *err, size_t errlen);
/* NULL is fine. */
void helper_origin_close(struct helper_origin *o);
/* Readable when the window system has news; the loop then calls helper_origin_drain. -1: none to poll. */
int helper_origin_fd(const struct helper_origin *o);
/* Takes in what the window system reported; never blocks. Main loop only. */
void helper_origin_drain(struct helper_origin *o);
/*
 * Any thread, just before the helper injects a press of kind and detail
 * for viewer (releases need no note: nothing in the window acts on them).
 * NULL o is fine (nothing to note).
 */
void helper_origin_injecting(struct helper_origin *o, enum helper_origin_kind kind, unsigned detail,
			     uint32_t viewer);
/* What a window-system event is, as far as the window must care. */
enum helper_origin_verdict {
	HELPER_ORIGIN_NOT_INPUT,        /* not a press, release or motion */
	HELPER_ORIGIN_LOCAL,            /* input from the customer's side */
	HELPER_ORIGIN_INJECTED,         /* a press the helper injected for a viewer */
};

/*
 * Main loop: msg is SDL's copy of a window-system event the window got
 * (SDL_SYSWMEVENT, pushed before the SDL events made from it). For an
 * injected press, *viewer says whose and *key whether it was a key (else
 * a button), and the press is counted as ignored. NULL o: nothing was
 * injected (NOT_INPUT).
 */
enum helper_origin_verdict helper_origin_sdl_event(struct helper_origin *o, const struct SDL_SysWMmsg *msg,
						   uint32_t *viewer, bool *key);
/*
 * Main loop: a viewer whose ignored presses are due for the relay's
 * record, at most once a second per viewer (now_ms: a monotonic clock).
 * True with *viewer and *count (presses since the last report); call
 * again until false.
 */
bool helper_origin_take_ignored(struct helper_origin *o, int64_t now_ms, uint32_t *viewer, uint32_t *count);
/* Milliseconds until a held-back report is due, or -1 when none is waiting. */
int helper_origin_timeout(const struct helper_origin *o, int64_t now_ms);

#endif
