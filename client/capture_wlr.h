/*
 * capture_wlr.h: what the wlroots backend (capture_wlr.c) tells the
 * wlroots input (input_wlr.c, through wayland_linux.c). The virtual
 * pointer's absolute motion spans the compositor's whole output layout, not
 * the output shared, so input needs the layout's size as well as the
 * shared area's origin in it (helper_capture_format's origin_x, origin_y).
 */
#ifndef HANDOFF_HELPER_CAPTURE_WLR_H
#define HANDOFF_HELPER_CAPTURE_WLR_H

struct helper_capture;

/*
 * The size of the box around every output of the compositor's layout, in
 * the pixels the captured area is in: 0 and *width, *height when c is the
 * wlroots capture, -1 otherwise.
 */
int helper_capture_wlr_extent(struct helper_capture *c, int *width, int *height);

#endif
