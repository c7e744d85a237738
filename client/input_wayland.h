/*
 * input_wayland.h: a technician's input through the desktop portal's
 * RemoteDesktop session (GNOME, KDE), the one the capture opened and the
 * customer allowed control in at the desktop's dialog. input.c forwards
 * to it; calls come from libvncserver's threads.
 */
#ifndef HANDOFF_HELPER_INPUT_WAYLAND_H
#define HANDOFF_HELPER_INPUT_WAYLAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture_wayland.h"

struct helper_input_wayland;

/* Input on the remote session r of a width x height stream. 0, or -1 with err. */
int helper_input_wayland_open(struct helper_input_wayland **out, const struct helper_capture_wayland_remote *r,
			      int width, int height, char *err, size_t errlen);
/* RFB pointer event: buttons is the RFB mask (bit 0 = button 1, bits 3/4 = wheel). */
void helper_input_wayland_pointer(struct helper_input_wayland *in, int buttons, int x, int y);
void helper_input_wayland_key(struct helper_input_wayland *in, bool down, uint32_t keysym);
void helper_input_wayland_release(struct helper_input_wayland *in);
/* Releases what is held and frees. NULL is fine. */
void helper_input_wayland_close(struct helper_input_wayland *in);

#endif
