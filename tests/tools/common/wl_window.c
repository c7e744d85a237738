/* wl_window.c: see wl_window.h. */
#include "wl_window.h"

#include <stdio.h>
#include <string.h>

static void wl_window_ping(void *data, struct xdg_wm_base *wm, uint32_t serial)
{
	(void)data;
	xdg_wm_base_pong(wm, serial);
}

static const struct xdg_wm_base_listener wl_window_wm_listener = { .ping = wl_window_ping };

static void wl_window_surface_configure(void *data, struct xdg_surface *s, uint32_t serial)
{
	struct wl_window *w = data;

	xdg_surface_ack_configure(s, serial);
	w->configured = true;
	if (w->on_configure != NULL)
		w->on_configure(w->ctx);
}

static const struct xdg_surface_listener wl_window_surface_listener = { .configure = wl_window_surface_configure };

/* The size comes with the toplevel's configure; the surface's configure that follows makes it the current one. */
static void wl_window_toplevel_configure(void *data, struct xdg_toplevel *t, int32_t width, int32_t height,
					 struct wl_array *states)
{
	struct wl_window *w = data;

	(void)t;
	(void)states;
	if (width > 0 && height > 0) {
		w->width = width;
		w->height = height;
	}
}

static void wl_window_toplevel_close(void *data, struct xdg_toplevel *t)
{
	struct wl_window *w = data;

	(void)t;
	w->closed = true;
}

static const struct xdg_toplevel_listener wl_window_toplevel_listener = {
	.configure = wl_window_toplevel_configure,
	.close = wl_window_toplevel_close,
};

static void wl_window_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface, uint32_t version)
{
	struct wl_window *w = data;

	if (strcmp(iface, wl_compositor_interface.name) == 0 && w->compositor == NULL) {
		w->compositor = wl_registry_bind(reg, name, &wl_compositor_interface, 4);
	} else if (strcmp(iface, wl_shm_interface.name) == 0 && w->shm == NULL) {
		w->shm = wl_registry_bind(reg, name, &wl_shm_interface, 1);
	} else if (strcmp(iface, xdg_wm_base_interface.name) == 0 && w->wm_base == NULL) {
		w->wm_base = wl_registry_bind(reg, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(w->wm_base, &wl_window_wm_listener, w);
	} else if (w->on_global != NULL) {
		w->on_global(w->ctx, reg, name, iface, version);
	}
}

static void wl_window_global_remove(void *data, struct wl_registry *reg, uint32_t name)
{
	(void)data;
	(void)reg;
	(void)name;
}

static const struct wl_registry_listener wl_window_registry_listener = {
	.global = wl_window_global,
	.global_remove = wl_window_global_remove,
};

int wl_window_open(struct wl_window *w, const char *name)
{
	w->registry = wl_display_get_registry(w->display);
	wl_registry_add_listener(w->registry, &wl_window_registry_listener, w);
	if (wl_display_roundtrip(w->display) < 0 || w->compositor == NULL || w->shm == NULL || w->wm_base == NULL) {
		fprintf(stderr, "%s: the compositor lacks wl_compositor, wl_shm or xdg_wm_base\n", name);
		return -1;
	}
	w->surface = wl_compositor_create_surface(w->compositor);
	w->xdg_surface = xdg_wm_base_get_xdg_surface(w->wm_base, w->surface);
	xdg_surface_add_listener(w->xdg_surface, &wl_window_surface_listener, w);
	w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
	xdg_toplevel_add_listener(w->toplevel, &wl_window_toplevel_listener, w);
	xdg_toplevel_set_title(w->toplevel, name);
	xdg_toplevel_set_app_id(w->toplevel, name);
	xdg_toplevel_set_fullscreen(w->toplevel, NULL);
	wl_surface_commit(w->surface);
	return 0;
}

void wl_window_close(struct wl_window *w)
{
	/* The proxies are memory on our side: freed, so that LeakSanitizer sees none left. */
	if (w->toplevel != NULL)
		xdg_toplevel_destroy(w->toplevel);
	if (w->xdg_surface != NULL)
		xdg_surface_destroy(w->xdg_surface);
	if (w->surface != NULL)
		wl_surface_destroy(w->surface);
	if (w->wm_base != NULL)
		xdg_wm_base_destroy(w->wm_base);
	if (w->shm != NULL)
		wl_shm_destroy(w->shm);
	if (w->compositor != NULL)
		wl_compositor_destroy(w->compositor);
	if (w->registry != NULL)
		wl_registry_destroy(w->registry);
	w->toplevel = NULL;
	w->xdg_surface = NULL;
	w->surface = NULL;
	w->wm_base = NULL;
	w->shm = NULL;
	w->compositor = NULL;
	w->registry = NULL;
}
