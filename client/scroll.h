/*
 * scroll: tells whether a rectangle of the screen scrolled, from its
 * picture before (the framebuffer the viewers have) and after (a grab).
 *
 * Scrolled text costs Tight its palette and zlib coders for every line on
 * screen, whatever the JPEG level; RFB's CopyRect moves the lines the
 * viewer already has for 16 bytes. So when most of the rows that changed
 * are rows of the old picture moved up or down by one distance, the
 * capture driver (capture.c) moves its framebuffer by that distance,
 * sends the move as a CopyRect and only the rows it does not explain as
 * pixels.
 *
 * Pure: two pixel buffers in, a verdict out (tests/unit/test_client_scroll.c).
 * Pixels are 32 bits; only equality matters, so the layout is not needed.
 */
#ifndef HANDOFF_HELPER_SCROLL_H
#define HANDOFF_HELPER_SCROLL_H

#include <stddef.h>
#include <stdint.h>

/* The fewest changed rows a shift must explain to be taken: a line of text or two. */
#define SCROLL_MIN_ROWS 16

/* A shift found in a w x h rectangle, in the rectangle's own coordinates. */
struct helper_scroll {
	/*
	 * Destination row minus source row, as libvncserver's CopyRect counts
	 * it: negative when the content moved up (text scrolling forward).
	 */
	int dy;
	/* The columns that changed at all: the move spans them, nothing beside. */
	int x0, x1;
	/* The destination rows [y0, y1) the move covers: first to last row it explains. */
	int y0, y1;
	/* Changed rows the move explains, and rows that changed at all (outside the move's reach too). */
	int explained, changed;
};

/*
 * Looks for a vertical shift of the old picture in the new one, w x h
 * pixels each (strides in bytes). 1 with *out filled when one explains
 * at least half of the changed rows it can reach, those that have a row
 * dy away in the rectangle (and SCROLL_MIN_ROWS of them),
 * 0 when none does (out->changed still counts the rows that changed), -1
 * when out of memory. |dy| < h.
 */
int helper_scroll_find(const uint8_t *old, size_t old_stride, const uint8_t *cur, size_t cur_stride, int w,
		       int h, struct helper_scroll *out);

#endif
