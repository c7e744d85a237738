/*
 * input: replays a controlling viewer's pointer and keys on the customer's
 * X display through XTest, or on a wlroots compositor (input_wlr.h).
 *
 * These functions are called from libvncserver's client threads, never
 * from the main loop, so they use a Display connection of their own
 * (Xlib connections must not be shared across threads without locking
 * every call) and serialise on a mutex, since several viewers may control
 * at once.
 */
#ifndef HANDOFF_HELPER_INPUT_H
#define HANDOFF_HELPER_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct helper_input;
struct helper_origin;

/*
 * Opens its own connection to display and checks for XTest. origin (not
 * owned, may be NULL) is told of every press before it is injected, so
 * that the helper's own window can tell it from the customer's (origin.h).
 * 0 or -1 with err.
 */
int helper_input_open(struct helper_input **out, const char *display, struct helper_origin *origin, char *err,
		      size_t errlen);
/*
 * The same on a wlroots compositor's virtual pointer and keyboard
 * (input_wlr.h); pointer positions are in a width x height screen. No
 * origin: nothing on Wayland tells our injected presses from the
 * customer's. 0 or -1 with err.
 */
int helper_input_open_wayland(struct helper_input **out, const char *display, int width, int height, char *err,
			      size_t errlen);
struct helper_capture_wayland_remote;
/*
 * The same through the desktop portal's RemoteDesktop session the capture
 * opened (GNOME, KDE: input_wayland.c), when its dialog allowed control;
 * the stream is width x height. 0 or -1 with err.
 */
int helper_input_open_portal(struct helper_input **out, const struct helper_capture_wayland_remote *r, int width,
			     int height, char *err, size_t errlen);
/* RFB pointer event from viewer: buttons is the RFB mask (bit 0 = button 1, bits 3/4 = wheel). */
void helper_input_pointer(struct helper_input *in, uint32_t viewer, int buttons, int x, int y);
/* RFB key event from viewer with an X keysym. Keysyms the keyboard map lacks are skipped. */
void helper_input_key(struct helper_input *in, uint32_t viewer, bool down, uint32_t keysym);
/*
 * Whether the system refused the last event injected (Windows: SendInput
 * inserted fewer than asked, as UIPI does when an elevated window is in
 * front); false again once one goes through. Any thread; never on X11 or
 * Wayland, where nothing refuses a granted injection.
 */
bool helper_input_refused(struct helper_input *in);
/* Forgets a refusal (the secure desktop that caused it has gone): the next one is news. */
void helper_input_forget_refusal(struct helper_input *in);
/* Releases any button or key a viewer still holds (sharing paused, a controlling viewer left). */
void helper_input_release(struct helper_input *in);
/*
 * Pointer positions are in a width x height space from now on: a wlroots
 * compositor's layout changed (helper_capture_format's space_width). No
 * effect elsewhere, where positions are the display's own. Main thread.
 */
void helper_input_set_space(struct helper_input *in, int width, int height);
/* Releases any button or key still held, closes the connection, frees. NULL is fine. */
void helper_input_close(struct helper_input *in);

#endif
