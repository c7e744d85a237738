/*
 * window.c: see window.h.
 *
 * One loop serves both sides: it waits briefly for RFB (tech_vnc_service
 * with a 10 ms budget, since SDL offers no descriptor to poll), copies what
 * changed into the streaming texture, then drains SDL's events. 10 ms keeps
 * input latency below a frame without spinning.
 *
 * Keyboard: characters come from SDL_TEXTINPUT (so the technician's own
 * layout and dead keys decide what is typed), non-character keys from
 * SDL_KEYDOWN. A character key's KEYDOWN is only sent when Ctrl or left Alt
 * is held, because then SDL produces no text and Ctrl+C must still reach
 * the customer; text input is ignored in that state so nothing is sent
 * twice. Every key we pressed remotely is remembered by scancode, so its
 * release sends the same keysym and losing focus can release them all:
 * otherwise a key or modifier would stay stuck down on the customer's side.
 */
#include "window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "keys.h"

#define TECH_WINDOW_POLL_MS 10
/* Room left for window decorations when fitting the window to the display. */
#define TECH_WINDOW_DECOR 64

struct tech_window {
	struct tech_vnc *vnc;
	bool view_only;
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	SDL_Cursor *cursor;
	uint32_t pressed[SDL_NUM_SCANCODES];  /* keysym we sent down, by scancode */
	int buttons;
	int x, y;
	bool present;
};

/* Window size for a w x h screen: 1:1 if it fits this display, else scaled down. */
static void tech_window_fit(int w, int h, int *out_w, int *out_h)
{
	SDL_Rect b;
	double sx, sy, s;

	*out_w = w;
	*out_h = h;
	if (SDL_GetDisplayUsableBounds(0, &b) != 0 || b.w <= 0 || b.h <= TECH_WINDOW_DECOR)
		return;
	sx = (double)b.w / w;
	sy = (double)(b.h - TECH_WINDOW_DECOR) / h;
	s = sx < sy ? sx : sy;
	if (s >= 1.0)
		return;
	*out_w = (int)(w * s) > 0 ? (int)(w * s) : 1;
	*out_h = (int)(h * s) > 0 ? (int)(h * s) : 1;
}

/* (Re)creates the texture for the current framebuffer size. 0 or -1. */
static int tech_window_resize(struct tech_window *t)
{
	struct tech_vnc *v = t->vnc;
	int ww, wh;

	if (t->tex != NULL)
		SDL_DestroyTexture(t->tex);
	t->tex = SDL_CreateTexture(t->ren, SDL_PIXELFORMAT_XBGR8888, SDL_TEXTUREACCESS_STREAMING,
				   v->width, v->height);
	if (t->tex == NULL) {
		fprintf(stderr, "handoff-tech: cannot create a %dx%d texture: %s\n", v->width,
			v->height, SDL_GetError());
		return -1;
	}
	SDL_RenderSetLogicalSize(t->ren, v->width, v->height);
	tech_window_fit(v->width, v->height, &ww, &wh);
	SDL_SetWindowSize(t->win, ww, wh);
	/* The whole new framebuffer is news to the texture. */
	v->dirty = true;
	v->dirty_x0 = v->dirty_y0 = 0;
	v->dirty_x1 = v->width;
	v->dirty_y1 = v->height;
	v->resized = false;
	return 0;
}

static void tech_window_update_cursor(struct tech_window *t)
{
	struct tech_vnc *v = t->vnc;
	SDL_Surface *s;
	SDL_Cursor *c;

	v->cursor_changed = false;
	if (v->cursor == NULL)
		return;
	s = SDL_CreateRGBSurfaceWithFormatFrom(v->cursor, v->cursor_w, v->cursor_h, 32,
					       v->cursor_w * 4, SDL_PIXELFORMAT_RGBA32);
	if (s == NULL)
		return;
	/* SDL copies the pixels; the shape is shown unscaled, as on the customer's side. */
	c = SDL_CreateColorCursor(s, v->cursor_hot_x, v->cursor_hot_y);
	SDL_FreeSurface(s);
	if (c == NULL)
		return;
	SDL_SetCursor(c);
	if (t->cursor != NULL)
		SDL_FreeCursor(t->cursor);
	t->cursor = c;
}

/* Moves what changed since last time into the texture. */
static void tech_window_upload(struct tech_window *t)
{
	struct tech_vnc *v = t->vnc;
	SDL_Rect r;

	if (!v->dirty || v->fb == NULL)
		return;
	r.x = v->dirty_x0;
	r.y = v->dirty_y0;
	r.w = v->dirty_x1 - v->dirty_x0;
	r.h = v->dirty_y1 - v->dirty_y0;
	SDL_UpdateTexture(t->tex, &r, v->fb + ((size_t)r.y * (size_t)v->width + (size_t)r.x) * 4,
			  v->width * 4);
	v->dirty = false;
	t->present = true;
}

static void tech_window_present(struct tech_window *t)
{
	SDL_SetRenderDrawColor(t->ren, 0, 0, 0, 255);
	SDL_RenderClear(t->ren);
	SDL_RenderCopy(t->ren, t->tex, NULL, NULL);
	SDL_RenderPresent(t->ren);
	t->present = false;
}

static void tech_window_key(struct tech_window *t, const SDL_KeyboardEvent *k)
{
	SDL_Scancode sc = k->keysym.scancode;
	uint32_t ks;

	if ((unsigned)sc >= SDL_NUM_SCANCODES)
		return;
	if (k->type == SDL_KEYUP) {
		if (t->pressed[sc] != 0)
			tech_vnc_key(t->vnc, t->pressed[sc], false);
		t->pressed[sc] = 0;
		return;
	}
	ks = tech_keys_from_sdl_special(k->keysym.sym);
	if (ks == 0 && (k->keysym.mod & (KMOD_CTRL | KMOD_LALT)) != 0)
		ks = tech_keys_from_sdl_char(k->keysym.sym);
	if (ks == 0)
		return;
	/* Auto-repeat arrives as more KEYDOWNs; X does the same, so pass them on. */
	if (tech_vnc_key(t->vnc, ks, true) == 0)
		t->pressed[sc] = ks;
}

static void tech_window_text(struct tech_window *t, const char *text)
{
	size_t len = strlen(text);
	size_t off = 0;

	if ((SDL_GetModState() & (KMOD_CTRL | KMOD_LALT)) != 0)
		return;
	while (off < len) {
		uint32_t cp;
		int n = tech_keys_utf8_next(text + off, len - off, &cp);
		uint32_t ks;

		if (n < 0)
			return;
		ks = tech_keys_from_codepoint(cp);
		if (ks != 0) {
			tech_vnc_key(t->vnc, ks, true);
			tech_vnc_key(t->vnc, ks, false);
		}
		off += (size_t)n;
	}
}

static void tech_window_release_all(struct tech_window *t)
{
	for (size_t i = 0; i < SDL_NUM_SCANCODES; i++) {
		if (t->pressed[i] != 0)
			tech_vnc_key(t->vnc, t->pressed[i], false);
		t->pressed[i] = 0;
	}
	if (t->buttons != 0) {
		t->buttons = 0;
		tech_vnc_pointer(t->vnc, t->x, t->y, 0);
	}
}

static void tech_window_pointer(struct tech_window *t, int x, int y)
{
	t->x = x < 0 ? 0 : x >= t->vnc->width ? t->vnc->width - 1 : x;
	t->y = y < 0 ? 0 : y >= t->vnc->height ? t->vnc->height - 1 : y;
}

/* Returns 1 when the technician closed the window. */
static int tech_window_event(struct tech_window *t, const SDL_Event *e)
{
	switch (e->type) {
	case SDL_QUIT:
		return 1;
	case SDL_WINDOWEVENT:
		if (e->window.event == SDL_WINDOWEVENT_CLOSE)
			return 1;
		if (e->window.event == SDL_WINDOWEVENT_FOCUS_LOST && !t->view_only)
			tech_window_release_all(t);
		t->present = true;
		return 0;
	default:
		break;
	}
	if (t->view_only)
		return 0;
	switch (e->type) {
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		tech_window_key(t, &e->key);
		break;
	case SDL_TEXTINPUT:
		tech_window_text(t, e->text.text);
		break;
	case SDL_MOUSEMOTION:
		tech_window_pointer(t, e->motion.x, e->motion.y);
		tech_vnc_pointer(t->vnc, t->x, t->y, t->buttons);
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		/* SDL's left, middle, right are RFB's buttons 1, 2, 3. */
		if (e->button.button < 1 || e->button.button > 3)
			break;
		if (e->type == SDL_MOUSEBUTTONDOWN)
			t->buttons |= 1 << (e->button.button - 1);
		else
			t->buttons &= ~(1 << (e->button.button - 1));
		tech_window_pointer(t, e->button.x, e->button.y);
		tech_vnc_pointer(t->vnc, t->x, t->y, t->buttons);
		break;
	case SDL_MOUSEWHEEL: {
		/* RFB has no wheel: buttons 4 (up) and 5 (down), one click per step. */
		int steps = e->wheel.y;
		int bit = steps > 0 ? 1 << 3 : 1 << 4;

		if (e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED)
			bit = steps > 0 ? 1 << 4 : 1 << 3;
		for (int i = 0; i < abs(steps); i++) {
			tech_vnc_pointer(t->vnc, t->x, t->y, t->buttons | bit);
			tech_vnc_pointer(t->vnc, t->x, t->y, t->buttons);
		}
		break;
	}
	default:
		break;
	}
	return 0;
}

static int tech_window_open(struct tech_window *t, unsigned long ticket)
{
	char title[128];
	int ww, wh;

	snprintf(title, sizeof(title), "Handoff \u2014 ticket %lu \u2014 %s", ticket,
		 t->view_only ? "view" : "control");
	tech_window_fit(t->vnc->width, t->vnc->height, &ww, &wh);
	t->win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, ww, wh,
				  SDL_WINDOW_RESIZABLE);
	if (t->win == NULL) {
		fprintf(stderr, "handoff-tech: cannot open a window: %s\n", SDL_GetError());
		return -1;
	}
	t->ren = SDL_CreateRenderer(t->win, -1, 0);
	if (t->ren == NULL) {
		fprintf(stderr, "handoff-tech: cannot draw in the window: %s\n", SDL_GetError());
		return -1;
	}
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	return tech_window_resize(t);
}

int tech_window_run(struct tech_vnc *v, unsigned long ticket, bool view_only)
{
	struct tech_window *t = NULL;
	int rc = -1;

	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		fprintf(stderr, "handoff-tech: no display (%s); try --headless\n", SDL_GetError());
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto out;
	t->vnc = v;
	t->view_only = view_only;
	if (tech_window_open(t, ticket) != 0)
		goto out;
	if (!view_only)
		SDL_StartTextInput();
	for (;;) {
		SDL_Event e;
		int quit = 0;

		if (tech_vnc_service(v, TECH_WINDOW_POLL_MS) != 0) {
			rc = 1;
			break;
		}
		if (v->resized && tech_window_resize(t) != 0)
			break;
		if (v->cursor_changed)
			tech_window_update_cursor(t);
		tech_window_upload(t);
		while (!quit && SDL_PollEvent(&e))
			quit = tech_window_event(t, &e);
		if (quit) {
			if (!view_only)
				tech_window_release_all(t);
			rc = 0;
			break;
		}
		if (t->present)
			tech_window_present(t);
	}
out:
	if (t != NULL) {
		if (t->tex != NULL)
			SDL_DestroyTexture(t->tex);
		if (t->ren != NULL)
			SDL_DestroyRenderer(t->ren);
		if (t->win != NULL)
			SDL_DestroyWindow(t->win);
		if (t->cursor != NULL)
			SDL_FreeCursor(t->cursor);
		free(t);
	}
	SDL_Quit();
	return rc;
}
