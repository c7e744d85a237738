/*
 * capture: keeps the VNC framebuffer equal to what the customer's screen
 * shows, doing as little work as possible.
 *
 * Two layers. A backend knows one display server (X11 today, Wayland
 * later): it opens the display, says when something on screen changed
 * (damage), and copies a rectangle of pixels out on request. The driver in
 * capture.c is display-neutral: it collects damage into a grid of tiles,
 * grabs the dirty tiles, compares them with the framebuffer, copies only the
 * tiles that really differ and tells libvncserver about those. A screen
 * that does not change costs nothing: no timer runs unless the backend
 * cannot report damage by itself, and nothing is grabbed before a viewer
 * asks for it.
 *
 * Pixels are 32 bits in the host's byte order, laid out as the display
 * keeps them; the backend names the channel masks and the framebuffer
 * adopts that layout, so rows are copied with memcpy, never converted.
 * Everything here runs on the main thread only.
 */
#ifndef HANDOFF_HELPER_CAPTURE_H
#define HANDOFF_HELPER_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "screeninfo.h"

struct helper_screen;


/* What a backend reports from process_events. */
struct helper_capture_events {
	/* Called for each changed rectangle; the driver clips it to the screen. */
	void (*damage)(void *ctx, int x, int y, int w, int h);
	void *ctx;
	/* Set by the backend when the screen size changed; format() has the new one. */
	bool resized;
	/* Set when the monitors, the captured area's origin or liveness changed. */
	bool layout_changed;
	/*
	 * The pointer's shape changed: w x h pixels of ARGB32 (premultiplied
	 * alpha, as XFixes gives it), hot spot at (xhot, yhot). May be NULL.
	 */
	void (*cursor)(void *ctx, int w, int h, int xhot, int yhot, const uint32_t *argb);
};

struct helper_capture_backend {
	const char *name;
	/*
	 * Opens the display; *state is the backend's own. 0, or -1 with err,
	 * or HELPER_CAPTURE_REFUSED with err when the customer said no at the
	 * desktop's own question (the portal's dialog).
	 */
	int (*open)(const char *display, void **state, char *err, size_t errlen);
	void (*close)(void *state);
	/* Descriptor the event loop polls for the backend's events, or -1. */
	int (*fd)(void *state);
	/*
	 * 0 when the backend reports damage itself; otherwise how often (ms)
	 * the driver must compare the whole screen because nobody tells it.
	 */
	int (*poll_interval_ms)(void *state);
	/*
	 * Optional. How long (ms) the event loop may sleep before
	 * process_events has news to look for though fd() says nothing
	 * (Desktop Duplication hands out frames through a call, not a
	 * descriptor); -1 or absent: only when fd() is readable. Unlike
	 * poll_interval_ms it makes the driver compare nothing by itself.
	 */
	int (*wake_ms)(void *state);
	/* Handles every event already available, without blocking. 0 or -1. */
	int (*process_events)(void *state, struct helper_capture_events *ev);
	/* True when events wait in a client-side queue the fd will not announce. */
	bool (*events_queued)(void *state);
	void (*format)(void *state, struct helper_capture_format *fmt);
	/*
	 * Copies the rectangle out of the display. *pixels and *stride describe
	 * it and stay valid until the next grab or close. 0 or -1.
	 */
	int (*grab)(void *state, int x, int y, int w, int h, const uint8_t **pixels, size_t *stride);
	/*
	 * Optional. Shares only monitor index (1-based, in the display's own
	 * order) from now on, following it by name when the layout changes;
	 * 0 shares them all. 0, or -1 with err when there is no such monitor.
	 */
	int (*select_monitor)(void *state, int index, char *err, size_t errlen);
	/* Optional. The monitors in captured-area pixels (none: one covering it all). */
	void (*layout)(void *state, struct screeninfo *si);
	/*
	 * Optional. Whether anyone watches (a viewer is connected and sharing
	 * is not paused): a backend fed by the display (a PipeWire stream)
	 * stops it meanwhile, so nothing is copied for nobody.
	 */
	void (*set_watched)(void *state, bool watched);
	/*
	 * Optional. What the system forbids the capture now, as of the last
	 * process_events or grab: HELPER_CAPTURE_SECURE (the desktop in front
	 * is one this process may not read: Windows' secure desktop of a UAC
	 * prompt or the lock screen; the driver then grabs nothing, so the
	 * viewers keep the last picture rather than a black one) and
	 * HELPER_CAPTURE_DENIED (reading the screen failed).
	 */
	unsigned (*refused)(void *state);
};

enum helper_capture_refusal {
	HELPER_CAPTURE_SECURE = 1u << 0,
	HELPER_CAPTURE_DENIED = 1u << 1,
};

extern const struct helper_capture_backend helper_capture_x11_backend;
extern const struct helper_capture_backend helper_capture_win32_backend;
extern const struct helper_capture_backend helper_capture_wayland_backend;
extern const struct helper_capture_backend helper_capture_wlr_backend;
/* The backend of the platform built for (capture_x11.c or capture_win32.c defines it). */
extern const struct helper_capture_backend *const helper_capture_native_backend;

struct helper_capture;

/* A backend's open: the customer refused at the desktop's own question. */
#define HELPER_CAPTURE_REFUSED (-2)

/*
 * Opens the backend on display. *out is freed with helper_capture_close. 0,
 * or -1 or HELPER_CAPTURE_REFUSED (the backend's) with err.
 */
int helper_capture_open(struct helper_capture **out, const struct helper_capture_backend *be,
			const char *display, char *err, size_t errlen);
void helper_capture_format(const struct helper_capture *c, struct helper_capture_format *fmt);
/*
 * Shares one monitor (1-based) instead of the whole display; call before
 * helper_capture_attach. 0, or -1 with err (no such monitor, or a backend
 * that cannot tell monitors apart).
 */
int helper_capture_select_monitor(struct helper_capture *c, int index, char *err, size_t errlen);
/*
 * The screen the driver keeps up to date (not owned); the first run fills it
 * all. The screen learns the layout now and whenever it changes.
 */
void helper_capture_attach(struct helper_capture *c, struct helper_screen *screen);
int helper_capture_fd(const struct helper_capture *c);
/* How long the event loop may sleep before helper_capture_run has work: -1 = until an event. */
int helper_capture_timeout(const struct helper_capture *c);
/*
 * Handles events, then grabs and publishes the damage if a viewer has asked
 * for an update since the last grab (helper_screen_take_requests).
 * 0 or -1 (display lost).
 */
int helper_capture_run(struct helper_capture *c);
/*
 * While paused, nothing is grabbed (run and flush only collect damage and
 * requests), so viewers keep the last frame; pointer shapes are held back
 * too. Resuming grabs the damage at once if a viewer is still waiting.
 */
void helper_capture_set_paused(struct helper_capture *c, bool paused);
/* The backend's refused() (enum helper_capture_refusal), 0 when it has none. */
unsigned helper_capture_refused(const struct helper_capture *c);
/* Grabs all damage now, asked for or not: before a new viewer's first update. 0 or -1. */
int helper_capture_flush(struct helper_capture *c);
void helper_capture_close(struct helper_capture *c);
/* The backend's own state when c was opened with be, else NULL: for a backend's extra services. */
void *helper_capture_state_of(struct helper_capture *c, const struct helper_capture_backend *be);

#endif
