/*
 * wl_window: the fullscreen xdg-shell toplevel that the Wayland test
 * clients (tests/tools/wlpattern.c, tests/tools/wlworkload.c) show: the
 * globals they all bind (wl_compositor, wl_shm, xdg_wm_base), the surface
 * and its toplevel, and the configure handshake. What each one draws, and
 * any other global it wants (wlpattern's seat), stays its own.
 */
#ifndef WL_WINDOW_H
#define WL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

struct wl_window {
	struct wl_display *display;       /* the caller's: connected before, disconnected after */
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	int width, height;                /* the size of the last configure that named one; 0: none yet */
	bool configured;                  /* a configure was acknowledged */
	bool closed;                      /* the compositor asked the toplevel to close */
	/* Optional, set before wl_window_open: a global the window does not bind itself. */
	void (*on_global)(void *ctx, struct wl_registry *reg, uint32_t name, const char *iface, uint32_t version);
	/* Optional: after each acknowledged configure, width and height as it left them. */
	void (*on_configure)(void *ctx);
	void *ctx;
};

/*
 * Binds the globals, makes the fullscreen toplevel titled NAME (its app id
 * too) and commits it; the configure arrives with the caller's next
 * dispatch. w->display must be connected. 0, or -1 with the reason on
 * stderr; wl_window_close undoes either.
 */
int wl_window_open(struct wl_window *w, const char *name);
/* Destroys what wl_window_open made; the display stays the caller's. */
void wl_window_close(struct wl_window *w);

#endif
