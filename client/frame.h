/*
 * frame: what the framebuffer is, as the capture driver that fills it
 * (capture.h) and the screen that serves it to viewers (screen.h) both
 * know it. It has a header of its own so that the screen needs nothing
 * else of the capture: the capture drives the screen, never the reverse.
 */
#ifndef HANDOFF_HELPER_FRAME_H
#define HANDOFF_HELPER_FRAME_H

#include <stdbool.h>
#include <stdint.h>

struct helper_capture_format {
	int width, height;
	uint32_t red_mask, green_mask, blue_mask; /* 8 contiguous bits each */
	/* Where the captured area starts on the display: input is moved by as much. */
	int origin_x, origin_y;
	/*
	 * False while the one monitor the customer chose is gone: nothing of the
	 * display is shown (the framebuffer is black) and no input is replayed,
	 * rather than showing more than the customer agreed to.
	 */
	bool live;
	/*
	 * The size of the space origin_x, origin_y and input positions are in,
	 * where input must be told it: a wlroots virtual pointer's absolute
	 * motion spans the box around every output, which changes with the
	 * layout. 0 and 0 where input goes in the display's own coordinates
	 * (X11, Windows, the portal's stream).
	 */
	int space_width, space_height;
};

#endif
