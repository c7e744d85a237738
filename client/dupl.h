/*
 * dupl: the arithmetic of DXGI Desktop Duplication that needs no COM, so
 * that it is tested on Linux (tests/unit/test_client_dupl.c) although the
 * backend around it (capture_dxgi_win32.c) runs only on a real Windows.
 *
 * It turns a frame's dirty and move rectangles, in one output's own
 * pixels, into rectangles to copy and report in the shared area; names an
 * output the way the GDI backend names a monitor, so that --monitor finds
 * the same one in both; converts the pointer shapes Duplication gives into
 * the premultiplied ARGB capture.h wants; and says a failing HRESULT in
 * words. The rectangle and move types mirror RECT and
 * DXGI_OUTDUPL_MOVE_RECT field for field; the backend copies them over.
 */
#ifndef HANDOFF_HELPER_DUPL_H
#define HANDOFF_HELPER_DUPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

/* As helper_screen_set_cursor takes them (and capture_win32.c's GDI shapes). */
#define HELPER_DUPL_CURSOR_MAX 256

/* Half-open: [left, right) x [top, bottom). */
struct helper_dupl_rect {
	int32_t left, top, right, bottom;
};

/* A block of the previous frame moved to dst (scrolling, a dragged window). */
struct helper_dupl_move {
	int32_t src_x, src_y;
	struct helper_dupl_rect dst;
};

/* Where one output's picture lies in the shared area. */
struct helper_dupl_place {
	int x, y;           /* the output's top left, in shared-area pixels (may be negative) */
	int width, height;  /* the output's own size: its texture's */
	int area_w, area_h; /* the shared area's size */
};

/*
 * Clips r (output pixels) to the output's texture and to the part of the
 * output inside the shared area. true with *out, in output pixels (add
 * p->x, p->y for the shared area's), the pixels to copy and report; false
 * when nothing is left. A driver's rectangle outside its own texture thus
 * never reaches a memcpy.
 */
bool helper_dupl_clip(const struct helper_dupl_rect *r, const struct helper_dupl_place *p,
		      struct helper_dupl_rect *out);
/*
 * The rectangles a frame changed, clipped as helper_dupl_clip does, into
 * out (room for max; *n says how many): the destinations of moves first
 * (capture.h has no copy notion: the driver's tile compare then sends them
 * as changed pixels), then the dirty ones. Returns false when more than max
 * would be needed: the caller then takes the whole output as changed.
 */
bool helper_dupl_changes(const struct helper_dupl_move *moves, size_t nmoves, const struct helper_dupl_rect *dirty,
			 size_t ndirty, const struct helper_dupl_place *p, struct helper_dupl_rect *out, size_t max,
			 size_t *n);

/*
 * A display device name ("\\.\DISPLAY1", from MONITORINFOEX.szDevice or
 * DXGI_OUTPUT_DESC.DeviceName) as the helper shows it ("DISPLAY1"):
 * printable ASCII only, at most n - 1 characters, NUL-terminated.
 */
void helper_dupl_device_name(const wchar_t *device, char *out, size_t n);

/* DXGI_OUTDUPL_POINTER_SHAPE_TYPE's values. */
enum helper_dupl_shape {
	HELPER_DUPL_SHAPE_MONOCHROME = 1,
	HELPER_DUPL_SHAPE_COLOR = 2,
	HELPER_DUPL_SHAPE_MASKED_COLOR = 4,
};

/*
 * A pointer shape from GetFramePointerShape (type, width, height as
 * DXGI_OUTDUPL_POINTER_SHAPE_INFO says: a monochrome one is 1 bit a pixel,
 * its AND mask above its XOR mask in twice the height) as premultiplied
 * ARGB, by the rules capture_win32.c uses for GDI's: colour with alpha as
 * it is; a pixel that inverts the screen black, since a picture cannot
 * invert. 0 with *w and *h set and out filled (room for
 * HELPER_DUPL_CURSOR_MAX squared), or -1 for a shape that is too big,
 * unknown, or longer than the len bytes given.
 */
int helper_dupl_pointer_argb(unsigned type, unsigned width, unsigned height, unsigned pitch, const uint8_t *buf,
			     size_t len, int *w, int *h, uint32_t *out);

/* What a failed call's HRESULT means, in words for the log (a static string). */
const char *helper_dupl_reason(uint32_t hr);

#endif
