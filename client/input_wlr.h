/*
 * input_wlr: replays a controlling viewer's pointer and keys on a wlroots
 * compositor through its virtual devices (zwlr_virtual_pointer_v1 and
 * zwp_virtual_keyboard_v1). input.c forwards to it when the helper shares a
 * Wayland screen; the calls come from libvncserver's client threads, as
 * input.h says, and serialise on a mutex of this module.
 */
#ifndef HANDOFF_HELPER_INPUT_WLR_H
#define HANDOFF_HELPER_INPUT_WLR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct helper_input_wlr;

/*
 * Opens a Wayland connection of its own to display (NULL: $WAYLAND_DISPLAY)
 * and makes a virtual pointer and keyboard on the first seat. Pointer
 * positions are in a width x height screen (the box around every output).
 * 0 or -1 with err (the compositor offers no virtual devices).
 */
int helper_input_wlr_open(struct helper_input_wlr **out, const char *display, int width, int height, char *err,
			  size_t errlen);
void helper_input_wlr_pointer(struct helper_input_wlr *in, int buttons, int x, int y);
void helper_input_wlr_key(struct helper_input_wlr *in, bool down, uint32_t keysym);
void helper_input_wlr_release(struct helper_input_wlr *in);
/* Pointer positions are in a width x height screen from now on (the layout changed). */
void helper_input_wlr_set_space(struct helper_input_wlr *in, int width, int height);
/* Releases what is held, destroys the devices, disconnects, frees. NULL is fine. */
void helper_input_wlr_close(struct helper_input_wlr *in);

#endif
