/*
 * screen: the libvncserver side of the helper. One rfbScreen whose
 * framebuffer the capture driver fills, no listening socket at all, and one
 * rfbClient per consented viewer, each fed through a socketpair whose other
 * end a pump connects to the viewer's SSH channel.
 *
 * libvncserver runs its own threads here (two per client). Our main loop
 * never touches an rfbClient after handing it over: a viewer is ended by
 * closing our end of its socketpair, and libvncserver then drops and frees
 * the client on its own thread.
 */
#ifndef HANDOFF_HELPER_SCREEN_H
#define HANDOFF_HELPER_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "screeninfo.h"

struct helper_screen;
struct helper_input;
struct helper_clipboard;

/*
 * Creates the screen for fmt and starts libvncserver's background threads.
 * input (not owned, may be NULL when the display has no XTest) receives the
 * pointer and keyboard events of viewers allowed to control. 0 or -1 with err.
 */
int helper_screen_open(struct helper_screen **out, const struct helper_capture_format *fmt,
		       struct helper_input *input, char *err, size_t errlen);
/* The framebuffer the capture driver writes into, and its geometry. */
uint8_t *helper_screen_framebuffer(struct helper_screen *s, int *width, int *height, size_t *stride);
/* Tells the viewers that [x, x+w) x [y, y+h) changed. */
void helper_screen_mark(struct helper_screen *s, int x, int y, int w, int h);
/*
 * A scroll (capture.c, scroll.h): moves the framebuffer's rectangle [x,
 * x+w) x [y, y+h) by dy rows (each of its rows takes the row dy above it;
 * dy < 0 moves content up), so that viewers copy what they already have
 * (CopyRect; libvncserver sends the pixels to a viewer that did not offer
 * it). Until helper_screen_copy_end no viewer's encoder runs: none may
 * read the framebuffer half moved, nor send the move before the rows that
 * follow it are marked. So: begin, copy and compare the frame's pixels,
 * helper_screen_copy_announce, mark the frame (helper_screen_mark), end.
 * 0, or -1 when some viewer's update is going out right now: nothing was
 * moved or held (the capture tries again shortly, or sends pixels).
 */
int helper_screen_copy_begin(struct helper_screen *s, int x, int y, int w, int h, int dy);
/* Whether a scroll may go as a move now: not while a viewer's picture is scaled. */
bool helper_screen_copies(struct helper_screen *s);
/* Tells libvncserver of the move begun; the moved area carries what its source had in the refinement. */
void helper_screen_copy_announce(struct helper_screen *s);
/* Lets the viewers' encoders go again. */
void helper_screen_copy_end(struct helper_screen *s);
/*
 * Sends viewers a new pointer shape (RichCursor/XCursor encodings): w x h
 * ARGB32 pixels, hot spot (xhot, yhot). Sizes above 256 are ignored. 0 or -1.
 */
int helper_screen_set_cursor(struct helper_screen *s, int w, int h, int xhot, int yhot,
			     const uint32_t *argb);
/*
 * Cut text from viewers allowed to control goes to hook(ctx, text, len,
 * utf8), on the viewer's thread: Latin-1 RFB cut text, or UTF-8 from our
 * viewers (protocol/screeninfo.h); view-only viewers' cut text is dropped.
 */
void helper_screen_set_cut_text_hook(struct helper_screen *s,
				     void (*hook)(struct helper_clipboard *ctx, const char *text, size_t len, bool utf8),
				     struct helper_clipboard *ctx);
/*
 * Sends clipboard text to the viewers allowed to control (never to
 * view-only ones): as UTF-8 to ours, as Latin-1 RFB cut text to the rest.
 * From a short-lived thread: a write that waits for a viewer's socket must
 * not stop the loop that drains it. 0 or -1.
 */
int helper_screen_send_cut_text(struct helper_screen *s, const char *utf8, size_t utf8_len, const char *latin1,
				size_t latin1_len);
/*
 * While paused, no viewer's pointer, keys or cut text are applied and no
 * cut text is sent to viewers; pausing releases any button a viewer holds.
 * Pixels are held back by the capture (helper_capture_set_paused).
 */
void helper_screen_set_paused(struct helper_screen *s, bool paused);
/*
 * What Windows forbids the helper now (SCREENINFO_HELD, SCREENINFO_INPUT_REFUSED),
 * told to every viewer in the stream (and so to recordings) when it changes.
 */
void helper_screen_set_refused(struct helper_screen *s, uint8_t screeninfo_flags);
/*
 * The monitors (framebuffer pixels), and from fmt where framebuffer (0, 0)
 * lies on the display (pointer events are moved by as much), the space
 * input positions are in (told to the input when it is given) and whether
 * the display is shown at all (no input is replayed while not live). Our
 * viewers are told the layout, their own rights and the pause
 * (protocol/screeninfo.h) whenever one changes; stock viewers get the
 * monitors as ExtendedDesktopSize screens with the next size change.
 */
void helper_screen_set_layout(struct helper_screen *s, const struct screeninfo *layout,
			      const struct helper_capture_format *fmt);
/*
 * The lossless refinement: once the screen has been still a moment, what
 * went out lossy since it last changed is marked again, band by band, and
 * goes out without loss (see screen.c). The event loop sleeps at most
 * helper_screen_refine_timeout ms (-1: until an event) and then calls
 * helper_screen_refine; both on the main thread.
 */
int helper_screen_refine_timeout(struct helper_screen *s);
void helper_screen_refine(struct helper_screen *s);
/*
 * fd is the helper's connection to the relay (or -1): its lowest round trip
 * is the floor the pacing counts from until it has measured the path.
 */
void helper_screen_set_link(struct helper_screen *s, int fd);
/* The capture holds damage it has not grabbed yet: the screen is not still, whatever was marked. */
void helper_screen_set_damage_pending(struct helper_screen *s, bool pending);
/* Replaces the framebuffer with an empty one of the new size. 0 or -1. */
int helper_screen_resize(struct helper_screen *s, int width, int height);
/*
 * Hands fd (one end of a socketpair; always consumed, even on failure) to
 * libvncserver as a new viewer, known by tag from then on (the viewer id,
 * also passed with its input: input.h).
 * view_only viewers cannot send input. 0 or -1.
 */
int helper_screen_add_client(struct helper_screen *s, int fd, bool view_only, uint32_t tag);
/*
 * The customer changed what the viewer tagged tag may do, on its live
 * stream: its input counts from now on (control) or no more. Our viewers
 * get their screen description again with the new rights, whether they
 * changed or not. 0, or -1 when no such viewer is connected.
 */
int helper_screen_set_control(struct helper_screen *s, uint32_t tag, bool control);
/*
 * Readable when a viewer has sent a FramebufferUpdateRequest since the last
 * helper_screen_take_requests: the event loop polls it to wake the capture.
 */
int helper_screen_wake_fd(const struct helper_screen *s);
/* True when a viewer asked for an update since the last call; never blocks. */
bool helper_screen_take_requests(struct helper_screen *s);
/* Number of libvncserver clients still alive. */
int helper_screen_clients(struct helper_screen *s);
/* Joins the threads of clients libvncserver has finished with. */
void helper_screen_reap(struct helper_screen *s);
/*
 * Stops libvncserver and frees everything. Callers first close every
 * socketpair end they hold, so that each client thread sees EOF and exits.
 */
void helper_screen_close(struct helper_screen *s);

#endif
