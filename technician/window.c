/*
 * window.c: see window.h.
 *
 * One loop serves both sides: it waits briefly for RFB (tech_vnc_service
 * with a 10 ms budget, since SDL offers no descriptor to poll), copies what
 * changed into the streaming texture, then drains SDL's events. 10 ms keeps
 * input latency below a frame without spinning.
 *
 * Layout is ours, not SDL's logical size: we need window pixels for the
 * frame, the overlay and the 1:1 viewport, and one function (layout) maps
 * both ways, so a click always lands where the picture showed it.
 *
 * Keyboard: characters come from SDL_TEXTINPUT, so the technician's own
 * layout, AltGr and dead keys decide what is typed, and it arrives as the
 * character's keysym (Latin-1 directly, anything else as a Unicode keysym).
 * Non-character keys come from SDL_KEYDOWN. A character key's KEYDOWN is
 * only sent when Ctrl or left Alt is held, because then SDL produces no
 * text and Ctrl+C must still reach the customer; text input is ignored in
 * that state so nothing is sent twice. Right Alt is never forwarded: on
 * most non-US layouts it is AltGr, whose result already arrives as text,
 * and an Alt_R held on the customer's side would turn "@" into Alt+@.
 * Every key we pressed remotely is remembered by scancode, so its release
 * sends the same keysym and losing focus can release them all: otherwise
 * a key or modifier would stay stuck down on the customer's side.
 */
#include "window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <rfb/keysym.h>

#include "clipwatch.h"
#include "font.h"
#include "keys.h"
#include "log.h"

#define TECH_WINDOW_POLL_MS 10
/* Room left for window decorations when fitting the window to the display. */
#define TECH_WINDOW_DECOR 64
/* The control/view-only frame around the picture, in window pixels. */
#define TECH_WINDOW_BORDER 4
/* 1:1 mode scrolls when the pointer is this close to an edge, by this much per turn. */
#define TECH_WINDOW_EDGE 16
#define TECH_WINDOW_EDGE_STEP 8
#define TECH_WINDOW_STATS_MS 1000
#define TECH_WINDOW_PROBE_MS 1000

struct tech_window {
	struct tech_vnc *vnc;
	const struct tech_window_opts *o;
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	SDL_Cursor *cursor;
	uint32_t pressed[SDL_NUM_SCANCODES];  /* keysym we sent down, by scancode */
	int buttons;
	int x, y;                /* last pointer position sent, remote pixels */
	bool present;
	bool one_to_one, fullscreen, overlay, menu;
	bool swallow_text;       /* the text of a key the menu consumed */
	int pan_x, pan_y;        /* 1:1: the remote pixel at the viewport's corner */
	SDL_Rect src, dst;       /* remote part shown, and where in the window */
	/* Figures for the overlay. */
	Uint32 stats_t0, probe_t0;
	unsigned long stats_updates0;
	uint64_t stats_rx0;
	double fps, kbps;
	char *clip_last;         /* clipboard text we set or sent last (echo suppression) */
	struct tech_clipwatch *clipwatch;  /* NULL: rely on SDL_CLIPBOARDUPDATE */
};

/* Window size for a w x h screen plus frame: 1:1 if it fits this display, else scaled down. */
static void tech_window_fit(int w, int h, int *out_w, int *out_h)
{
	SDL_Rect b;
	double sx, sy, s;

	w += 2 * TECH_WINDOW_BORDER;
	h += 2 * TECH_WINDOW_BORDER;
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

/* Computes src and dst for the current window size and mode. */
static void tech_window_layout(struct tech_window *t)
{
	struct tech_vnc *v = t->vnc;
	int ww = 1, wh = 1, iw, ih;

	SDL_GetRendererOutputSize(t->ren, &ww, &wh);
	iw = ww - 2 * TECH_WINDOW_BORDER > 1 ? ww - 2 * TECH_WINDOW_BORDER : 1;
	ih = wh - 2 * TECH_WINDOW_BORDER > 1 ? wh - 2 * TECH_WINDOW_BORDER : 1;
	if (t->one_to_one) {
		t->src.w = v->width < iw ? v->width : iw;
		t->src.h = v->height < ih ? v->height : ih;
		t->pan_x = t->pan_x < 0 ? 0 : t->pan_x > v->width - t->src.w ? v->width - t->src.w : t->pan_x;
		t->pan_y = t->pan_y < 0 ? 0 : t->pan_y > v->height - t->src.h ? v->height - t->src.h : t->pan_y;
		t->src.x = t->pan_x;
		t->src.y = t->pan_y;
		t->dst.w = t->src.w;
		t->dst.h = t->src.h;
	} else {
		double sx = (double)iw / v->width, sy = (double)ih / v->height;
		double s = sx < sy ? sx : sy;

		t->src = (SDL_Rect){ 0, 0, v->width, v->height };
		t->dst.w = (int)(v->width * s + 0.5) > 0 ? (int)(v->width * s + 0.5) : 1;
		t->dst.h = (int)(v->height * s + 0.5) > 0 ? (int)(v->height * s + 0.5) : 1;
	}
	t->dst.x = (ww - t->dst.w) / 2;
	t->dst.y = (wh - t->dst.h) / 2;
}

/* Window pixel to remote pixel, clamped to the screen. */
static void tech_window_to_remote(const struct tech_window *t, int wx, int wy, int *rx, int *ry)
{
	long x = t->src.x + (long)(wx - t->dst.x) * t->src.w / (t->dst.w > 0 ? t->dst.w : 1);
	long y = t->src.y + (long)(wy - t->dst.y) * t->src.h / (t->dst.h > 0 ? t->dst.h : 1);

	*rx = x < 0 ? 0 : x >= t->vnc->width ? t->vnc->width - 1 : (int)x;
	*ry = y < 0 ? 0 : y >= t->vnc->height ? t->vnc->height - 1 : (int)y;
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
	if (!t->fullscreen) {
		tech_window_fit(v->width, v->height, &ww, &wh);
		SDL_SetWindowSize(t->win, ww, wh);
	}
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

static void tech_window_text_box(struct tech_window *t, int x, int y, const char *const *lines, int n)
{
	int w = 0;

	for (int i = 0; i < n; i++) {
		int lw = tech_font_width(lines[i], 2);

		w = lw > w ? lw : w;
	}
	SDL_SetRenderDrawColor(t->ren, 0, 0, 0, 200);
	SDL_RenderFillRect(t->ren, &(SDL_Rect){ x, y, w + 12, n * 2 * TECH_FONT_H + 10 });
	SDL_SetRenderDrawColor(t->ren, 255, 255, 255, 255);
	for (int i = 0; i < n; i++)
		tech_font_draw(t->ren, x + 6, y + 6 + i * 2 * TECH_FONT_H, 2, lines[i]);
}

static void tech_window_draw_overlay(struct tech_window *t)
{
	struct tech_vnc *v = t->vnc;
	char l1[128], l2[128], l3[128], enc[48];
	const char *lines[4] = { l1, l2, l3, "F8: menu" };

	if (v->rtt_us > 0)
		snprintf(l1, sizeof(l1), "rtt %lld ms  %.1f fps  %.0f kbit/s", v->rtt_us / 1000, t->fps, t->kbps);
	else
		snprintf(l1, sizeof(l1), "rtt -  %.1f fps  %.0f kbit/s", t->fps, t->kbps);
	tech_vnc_encoding_name(v, enc, sizeof(enc));
	snprintf(l2, sizeof(l2), "%s  %dx%d  %s %d%%", enc, v->width, v->height,
		 t->one_to_one ? "1:1" : "scaled", t->dst.w * 100 / (t->src.w > 0 ? t->src.w : 1));
	snprintf(l3, sizeof(l3), "%s", t->o->view_only ? "VIEW ONLY" : "CONTROL");
	tech_window_text_box(t, t->dst.x + 4, t->dst.y + 4, lines, 4);
}

static void tech_window_draw_menu(struct tech_window *t)
{
	static const char *const lines[] = {
		"F8 menu",
		"1    1:1 / scaled",
		"f    full screen",
		"o    figures overlay",
		"d    send Ctrl+Alt+Del",
		"F8   send F8",
		"Esc  close",
	};

	tech_window_text_box(t, t->dst.x + t->dst.w / 2 - 120, t->dst.y + t->dst.h / 2 - 70, lines,
			     (int)(sizeof(lines) / sizeof(lines[0])));
}

static void tech_window_present(struct tech_window *t)
{
	SDL_Rect frame;

	tech_window_layout(t);
	SDL_SetRenderDrawBlendMode(t->ren, SDL_BLENDMODE_BLEND);
	SDL_SetRenderDrawColor(t->ren, 0, 0, 0, 255);
	SDL_RenderClear(t->ren);
	/* Red: your input reaches the customer. Blue: you only watch. */
	if (t->o->view_only)
		SDL_SetRenderDrawColor(t->ren, 0x20, 0x60, 0xe0, 255);
	else
		SDL_SetRenderDrawColor(t->ren, 0xe0, 0x20, 0x20, 255);
	frame = (SDL_Rect){ t->dst.x - TECH_WINDOW_BORDER, t->dst.y - TECH_WINDOW_BORDER,
			    t->dst.w + 2 * TECH_WINDOW_BORDER, t->dst.h + 2 * TECH_WINDOW_BORDER };
	SDL_RenderFillRect(t->ren, &frame);
	SDL_RenderCopy(t->ren, t->tex, &t->src, &t->dst);
	if (t->overlay)
		tech_window_draw_overlay(t);
	if (t->menu)
		tech_window_draw_menu(t);
	SDL_RenderPresent(t->ren);
	t->present = false;
}

static void tech_window_tap(struct tech_window *t, const uint32_t *keysyms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tech_vnc_key(t->vnc, keysyms[i], true);
	for (size_t i = n; i-- > 0;)
		tech_vnc_key(t->vnc, keysyms[i], false);
}

static void tech_window_set_fullscreen(struct tech_window *t, bool on)
{
	if (SDL_SetWindowFullscreen(t->win, on ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0) != 0) {
		fprintf(stderr, "handoff-tech: full screen: %s\n", SDL_GetError());
		return;
	}
	t->fullscreen = on;
}

/* The key that follows F8. */
static void tech_window_menu_key(struct tech_window *t, SDL_Keycode sym)
{
	static const uint32_t cad[] = { XK_Control_L, XK_Alt_L, XK_Delete };
	static const uint32_t f8[] = { XK_F8 };

	t->menu = false;
	t->present = true;
	/* The key's own text must not reach the customer. */
	t->swallow_text = sym >= 0x20 && sym < 0x7f;
	switch (sym) {
	case SDLK_1:
		t->one_to_one = !t->one_to_one;
		break;
	case SDLK_f:
		tech_window_set_fullscreen(t, !t->fullscreen);
		break;
	case SDLK_o:
		t->overlay = !t->overlay;
		break;
	case SDLK_d:
		if (!t->o->view_only)
			tech_window_tap(t, cad, 3);
		break;
	case SDLK_F8:
		if (!t->o->view_only)
			tech_window_tap(t, f8, 1);
		break;
	default:
		break;
	}
}

static void tech_window_key(struct tech_window *t, const SDL_KeyboardEvent *k)
{
	SDL_Scancode sc = k->keysym.scancode;
	SDL_Keycode sym = k->keysym.sym;
	uint32_t ks;

	if ((unsigned)sc >= SDL_NUM_SCANCODES)
		return;
	if (k->type == SDL_KEYUP) {
		if (t->pressed[sc] != 0)
			tech_vnc_key(t->vnc, t->pressed[sc], false);
		t->pressed[sc] = 0;
		return;
	}
	t->swallow_text = false;
	if (t->menu) {
		if (k->repeat == 0)
			tech_window_menu_key(t, sym);
		return;
	}
	if (sym == SDLK_F8) {
		t->menu = true;
		t->present = true;
		return;
	}
	if (t->o->view_only || sym == SDLK_RALT || sym == SDLK_MODE)
		return;
	ks = tech_keys_from_sdl_special(sym);
	/* Ctrl+Alt+End is Ctrl+Alt+Del for the customer, as remote desktops do it. */
	if (sym == SDLK_END && (k->keysym.mod & KMOD_CTRL) != 0 && (k->keysym.mod & KMOD_LALT) != 0)
		ks = XK_Delete;
	if (ks == 0 && (k->keysym.mod & (KMOD_CTRL | KMOD_LALT)) != 0)
		ks = tech_keys_from_sdl_char(sym);
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

	if (t->swallow_text || t->menu) {
		t->swallow_text = false;
		return;
	}
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

static void tech_window_pointer(struct tech_window *t, int wx, int wy)
{
	tech_window_layout(t);
	tech_window_to_remote(t, wx, wy, &t->x, &t->y);
}

/* 1:1 with a window smaller than the screen: the pointer at an edge scrolls. */
static void tech_window_edge_scroll(struct tech_window *t)
{
	int mx, my, dx = 0, dy = 0;

	if (!t->one_to_one || (SDL_GetWindowFlags(t->win) & SDL_WINDOW_MOUSE_FOCUS) == 0)
		return;
	SDL_GetMouseState(&mx, &my);
	if (mx < t->dst.x + TECH_WINDOW_EDGE && t->src.x > 0)
		dx = -TECH_WINDOW_EDGE_STEP;
	else if (mx >= t->dst.x + t->dst.w - TECH_WINDOW_EDGE && t->src.x + t->src.w < t->vnc->width)
		dx = TECH_WINDOW_EDGE_STEP;
	if (my < t->dst.y + TECH_WINDOW_EDGE && t->src.y > 0)
		dy = -TECH_WINDOW_EDGE_STEP;
	else if (my >= t->dst.y + t->dst.h - TECH_WINDOW_EDGE && t->src.y + t->src.h < t->vnc->height)
		dy = TECH_WINDOW_EDGE_STEP;
	if (dx == 0 && dy == 0)
		return;
	t->pan_x += dx;
	t->pan_y += dy;
	t->present = true;
}

static void tech_window_wheel(struct tech_window *t, const SDL_MouseWheelEvent *w)
{
	/* RFB has no wheel: buttons 4 (up) and 5 (down), one click per step. */
	int steps = w->y;
	int bit = steps > 0 ? 1 << 3 : 1 << 4;

	if (w->direction == SDL_MOUSEWHEEL_FLIPPED)
		bit = steps > 0 ? 1 << 4 : 1 << 3;
	for (int i = 0; i < abs(steps); i++) {
		tech_vnc_pointer(t->vnc, t->x, t->y, t->buttons | bit);
		tech_vnc_pointer(t->vnc, t->x, t->y, t->buttons);
	}
}

/* The technician copied something: it goes to the customer's clipboard. */
static void tech_window_clipboard_out(struct tech_window *t)
{
	char *text;

	if (t->o->view_only || !SDL_HasClipboardText()) {
		log_debug("clipboard changed, but holds no text");
		return;
	}
	text = SDL_GetClipboardText();
	if (text == NULL)
		return;
	log_debug("clipboard: %zu bytes of text", strlen(text));
	/* Our own SDL_SetClipboardText comes back as an update; do not bounce it. */
	if (text[0] != '\0' && (t->clip_last == NULL || strcmp(text, t->clip_last) != 0)) {
		tech_vnc_send_cut(t->vnc, text);
		free(t->clip_last);
		t->clip_last = strdup(text);
	}
	SDL_free(text);
}

/* The customer copied something: it becomes our clipboard. */
static void tech_window_clipboard_in(struct tech_window *t)
{
	struct tech_vnc *v = t->vnc;

	v->cut_changed = false;
	if (v->cut == NULL || (t->clip_last != NULL && strcmp(v->cut, t->clip_last) == 0))
		return;
	free(t->clip_last);
	t->clip_last = strdup(v->cut);
	SDL_SetClipboardText(v->cut);
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
		if (e->window.event == SDL_WINDOWEVENT_FOCUS_LOST)
			tech_window_release_all(t);
		t->present = true;
		return 0;
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		/* Even view only: F8 and its menu (1:1, full screen, overlay) are ours. */
		tech_window_key(t, &e->key);
		return 0;
	case SDL_CLIPBOARDUPDATE:
		tech_window_clipboard_out(t);
		return 0;
	default:
		break;
	}
	if (t->o->view_only)
		return 0;
	switch (e->type) {
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
	case SDL_MOUSEWHEEL:
		tech_window_wheel(t, &e->wheel);
		break;
	default:
		break;
	}
	return 0;
}

/* Once a second: frames and kbit/s since last time, and a tick (probe, adaptive encoding). */
static void tech_window_stats(struct tech_window *t)
{
	Uint32 now = SDL_GetTicks();
	uint64_t rx = t->o->rx_bytes != NULL ? atomic_load_explicit(t->o->rx_bytes, memory_order_relaxed) : 0;
	double dt = (now - t->stats_t0) / 1000.0;

	if (now - t->probe_t0 >= TECH_WINDOW_PROBE_MS) {
		tech_vnc_tick(t->vnc);
		t->probe_t0 = now;
	}
	if (now - t->stats_t0 < TECH_WINDOW_STATS_MS)
		return;
	t->fps = (double)(t->vnc->updates - t->stats_updates0) / dt;
	t->kbps = (double)(rx - t->stats_rx0) * 8.0 / 1000.0 / dt;
	t->stats_t0 = now;
	t->stats_updates0 = t->vnc->updates;
	t->stats_rx0 = rx;
	if (t->overlay)
		t->present = true;
}

static int tech_window_open(struct tech_window *t)
{
	char title[128];
	int ww, wh;

	snprintf(title, sizeof(title), "Handoff \u2014 ticket %lu \u2014 %s", t->o->ticket,
		 t->o->view_only ? "VIEW ONLY" : "CONTROL");
	tech_window_fit(t->vnc->width, t->vnc->height, &ww, &wh);
	t->win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, ww, wh,
				  SDL_WINDOW_RESIZABLE);
	if (t->win == NULL) {
		fprintf(stderr, "handoff-tech: cannot open a window: %s\n", SDL_GetError());
		return -1;
	}
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	t->ren = SDL_CreateRenderer(t->win, -1, 0);
	if (t->ren == NULL) {
		fprintf(stderr, "handoff-tech: cannot draw in the window: %s\n", SDL_GetError());
		return -1;
	}
	t->stats_t0 = t->probe_t0 = SDL_GetTicks();
	return tech_window_resize(t);
}

int tech_window_run(struct tech_vnc *v, const struct tech_window_opts *o)
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
	t->o = o;
	if (tech_window_open(t) != 0)
		goto out;
	if (!o->view_only) {
		SDL_StartTextInput();
		t->clipwatch = tech_clipwatch_open();
	}
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
		if (v->cut_changed)
			tech_window_clipboard_in(t);
		tech_window_upload(t);
		while (!quit && SDL_PollEvent(&e))
			quit = tech_window_event(t, &e);
		if (quit) {
			tech_window_release_all(t);
			rc = 0;
			break;
		}
		if (tech_clipwatch_changed(t->clipwatch))
			tech_window_clipboard_out(t);
		tech_window_stats(t);
		tech_window_edge_scroll(t);
		if (o->tick != NULL)
			o->tick(o->tick_ctx);
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
		free(t->clip_last);
		tech_clipwatch_close(t->clipwatch);
		free(t);
	}
	SDL_Quit();
	return rc;
}
