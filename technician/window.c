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
 * both ways, so a click always lands where the picture showed it. What is
 * laid out is a box of the framebuffer: all of it, or the one monitor
 * picked (monitor.h); the window is refitted to the box whenever it
 * changes, and the pointer never leaves it.
 *
 * Control is what the customer's helper says it is (its screen
 * description), within --view-only: the frame, the title and the overlay
 * follow it, and without it no key, button, motion or clipboard text is
 * sent at all. When control is taken away, keys we held are forgotten, not
 * released: nothing more is sent, and the helper would drop it anyway.
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
#include "utf8.h"
#include "log.h"
#include "monitor.h"

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
/* How long a notice (the monitor now shown, why F8 m did nothing) stays. */
#define TECH_WINDOW_NOTICE_MS 2500

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
	bool control;            /* effective: our input reaches the customer */
	bool asked_control;      /* F8 c: started view only, asked for control since */
	struct tech_monitor_pick pick;  /* the monitor asked for, and the one shown */
	bool pick_known;         /* the screen is known: described, or pictured without a description */
	struct tech_rect box;    /* the framebuffer part shown (one monitor, or all) */
	int pan_x, pan_y;        /* 1:1: the remote pixel at the viewport's corner */
	struct tech_rect src, dst;  /* remote part shown, and where in the window */
	char notice[TECH_MONITOR_LABEL_MAX];  /* shown over the picture until notice_until */
	Uint32 notice_until;
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

/* Computes src and dst for the current window size, mode and box. */
static void tech_window_layout(struct tech_window *t)
{
	int ww = 1, wh = 1;

	SDL_GetRendererOutputSize(t->ren, &ww, &wh);
	tech_monitor_layout(&t->box, ww, wh, TECH_WINDOW_BORDER, t->one_to_one, &t->pan_x, &t->pan_y, &t->src,
			    &t->dst);
}

static SDL_Rect tech_window_sdl_rect(const struct tech_rect *r)
{
	return (SDL_Rect){ r->x, r->y, r->w, r->h };
}

/* Window pixel to remote pixel, clamped to the box shown. */
static void tech_window_to_remote(const struct tech_window *t, int wx, int wy, int *rx, int *ry)
{
	tech_monitor_to_remote(&t->box, &t->src, &t->dst, wx, wy, rx, ry);
}

static const struct screeninfo *tech_window_info(const struct tech_window *t)
{
	return t->vnc->has_info ? &t->vnc->info : NULL;
}

static void tech_window_notice(struct tech_window *t, const char *text)
{
	snprintf(t->notice, sizeof(t->notice), "%s", text);
	t->notice_until = SDL_GetTicks() + TECH_WINDOW_NOTICE_MS;
	t->notice_until += t->notice_until == 0;
	t->present = true;
}

/* The window at the size the box wants: 1:1 if the display has room. */
static void tech_window_refit(struct tech_window *t)
{
	int ww, wh;

	if (t->fullscreen)
		return;
	tech_window_fit(t->box.w, t->box.h, &ww, &wh);
	SDL_SetWindowSize(t->win, ww, wh);
}

/*
 * Decides which part of the framebuffer is shown. Until the screen is
 * known, a monitor asked for is not known to be missing, so all of it is
 * shown without a word; afterwards a monitor that is not there is said
 * once, and all of it shown, until it comes back.
 */
static void tech_window_choose(struct tech_window *t, bool refit)
{
	struct tech_vnc *v = t->vnc;
	struct tech_rect old = t->box;

	if (!t->pick_known)
		tech_monitor_box(NULL, 0, v->width, v->height, &t->box);
	else if (tech_monitor_pick_update(&t->pick, tech_window_info(t), v->width, v->height, &t->box))
		fprintf(stderr, "handoff-tech: monitor %d is not shared; showing all\n", t->pick.wanted);
	if (refit && memcmp(&old, &t->box, sizeof(old)) != 0)
		tech_window_refit(t);
	t->present = true;
}

static void tech_window_set_title(struct tech_window *t)
{
	char title[128];

	snprintf(title, sizeof(title), "Handoff \u2014 ticket %lu \u2014 %s", t->o->ticket,
		 t->control ? "CONTROL" : "VIEW ONLY");
	SDL_SetWindowTitle(t->win, title);
}

/* The helper described its screen anew (or the first picture came without a description). */
static void tech_window_screen_changed(struct tech_window *t)
{
	/* Once control was asked for, the customer's answer (the description's rights) decides. */
	bool control = tech_monitor_control(t->o->view_only && !t->asked_control, tech_window_info(t));

	t->vnc->info_changed = false;
	t->pick_known = true;
	if (control != t->control) {
		if (!control) {
			memset(t->pressed, 0, sizeof(t->pressed));
			t->buttons = 0;
		}
		t->control = control;
		tech_window_set_title(t);
	}
	tech_window_choose(t, true);
}

/* (Re)creates the texture for the current framebuffer size. 0 or -1. */
static int tech_window_resize(struct tech_window *t)
{
	struct tech_vnc *v = t->vnc;

	if (t->tex != NULL)
		SDL_DestroyTexture(t->tex);
	t->tex = SDL_CreateTexture(t->ren, SDL_PIXELFORMAT_XBGR8888, SDL_TEXTUREACCESS_STREAMING,
				   v->width, v->height);
	if (t->tex == NULL) {
		fprintf(stderr, "handoff-tech: cannot create a %dx%d texture: %s\n", v->width,
			v->height, SDL_GetError());
		return -1;
	}
	tech_window_choose(t, false);
	tech_window_refit(t);
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
	char l1[128], l2[128], l3[128], l4[TECH_MONITOR_LABEL_MAX], enc[48];
	const char *lines[5] = { l1, l2, l3, l4, "F8: menu" };

	if (v->rtt_us > 0)
		snprintf(l1, sizeof(l1), "rtt %lld ms  %.1f fps  %.0f kbit/s", v->rtt_us / 1000, t->fps, t->kbps);
	else
		snprintf(l1, sizeof(l1), "rtt -  %.1f fps  %.0f kbit/s", t->fps, t->kbps);
	tech_vnc_encoding_name(v, enc, sizeof(enc));
	snprintf(l2, sizeof(l2), "%s  %dx%d  %s %d%%", enc, v->width, v->height,
		 t->one_to_one ? "1:1" : "scaled", t->dst.w * 100 / (t->src.w > 0 ? t->src.w : 1));
	if (t->control)
		snprintf(l3, sizeof(l3), "CONTROL");
	else if (t->o->view_only)
		snprintf(l3, sizeof(l3), "VIEW ONLY");
	else
		snprintf(l3, sizeof(l3), "VIEW ONLY (the customer allowed viewing only)");
	tech_monitor_label(tech_window_info(t), t->pick.shown, &t->box, l4, sizeof(l4));
	tech_window_text_box(t, t->dst.x + 4, t->dst.y + 4, lines, 5);
}

static void tech_window_draw_menu(struct tech_window *t)
{
	static const char *const lines[] = {
		"F8 menu",
		"1    1:1 / scaled",
		"f    full screen",
		"o    figures overlay",
		"m    next monitor",
		"c    ask the customer for control",
		"d    send Ctrl+Alt+Del",
		"F8   send F8",
		"Esc  close",
	};

	tech_window_text_box(t, t->dst.x + t->dst.w / 2 - 120, t->dst.y + t->dst.h / 2 - 80, lines,
			     (int)(sizeof(lines) / sizeof(lines[0])));
}

/* One line in a box centred on the picture at height y. */
static void tech_window_banner(struct tech_window *t, int y, const char *text)
{
	const char *lines[1] = { text };
	int w = tech_font_width(text, 2) + 12;

	tech_window_text_box(t, t->dst.x + (t->dst.w - w) / 2, y, lines, 1);
}

static void tech_window_present(struct tech_window *t)
{
	SDL_Rect frame, src, dst;
	const struct screeninfo *si = tech_window_info(t);

	tech_window_layout(t);
	SDL_SetRenderDrawBlendMode(t->ren, SDL_BLENDMODE_BLEND);
	SDL_SetRenderDrawColor(t->ren, 0, 0, 0, 255);
	SDL_RenderClear(t->ren);
	/* Red: your input reaches the customer. Blue: you only watch. */
	if (!t->control)
		SDL_SetRenderDrawColor(t->ren, 0x20, 0x60, 0xe0, 255);
	else
		SDL_SetRenderDrawColor(t->ren, 0xe0, 0x20, 0x20, 255);
	frame = (SDL_Rect){ t->dst.x - TECH_WINDOW_BORDER, t->dst.y - TECH_WINDOW_BORDER,
			    t->dst.w + 2 * TECH_WINDOW_BORDER, t->dst.h + 2 * TECH_WINDOW_BORDER };
	SDL_RenderFillRect(t->ren, &frame);
	src = tech_window_sdl_rect(&t->src);
	dst = tech_window_sdl_rect(&t->dst);
	SDL_RenderCopy(t->ren, t->tex, &src, &dst);
	if (t->overlay)
		tech_window_draw_overlay(t);
	/* Always and on top, not only with the overlay: a still picture must not pass for a live one. */
	if (si != NULL && (si->flags & SCREENINFO_PAUSED) != 0)
		tech_window_banner(t, t->dst.y + t->dst.h / 2 - TECH_FONT_H - 5, "Paused by the customer");
	else if (si != NULL && (si->flags & SCREENINFO_HELD) != 0)
		tech_window_banner(t, t->dst.y + t->dst.h / 2 - TECH_FONT_H - 5,
				   "Last picture: an admin prompt is up");
	else if (si != NULL && (si->flags & SCREENINFO_INPUT_REFUSED) != 0)
		tech_window_banner(t, t->dst.y + t->dst.h / 2 - TECH_FONT_H - 5,
				   "Windows refuses your input (admin window)");
	if (t->notice_until != 0)
		tech_window_banner(t, t->dst.y + t->dst.h - 2 * TECH_FONT_H - 24, t->notice);
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

/* F8 m: all, monitor 1, 2, ..., all again. */
static void tech_window_next_monitor(struct tech_window *t)
{
	const struct screeninfo *si = tech_window_info(t);
	char label[TECH_MONITOR_LABEL_MAX];

	if (si == NULL || si->count < 2) {
		tech_window_notice(t, si == NULL ? "the customer's side lists no monitors" : "only one monitor is shared");
		return;
	}
	t->pick.wanted = tech_monitor_next(t->pick.shown, si->count);
	tech_window_choose(t, true);
	tech_monitor_label(si, t->pick.shown, &t->box, label, sizeof(label));
	tech_window_notice(t, label);
}

/* F8 c: the relay asks the customer; their answer arrives as a new screen description. */
static void tech_window_ask_control(struct tech_window *t)
{
	if (t->control) {
		tech_window_notice(t, "you have control already");
		return;
	}
	if (t->o->ask_control == NULL || t->o->ask_control(t->o->tick_ctx) != 0) {
		tech_window_notice(t, "could not ask for control (see the terminal)");
		return;
	}
	t->asked_control = true;
	tech_window_notice(t, "asked the customer for control");
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
	case SDLK_m:
		tech_window_next_monitor(t);
		break;
	case SDLK_c:
		tech_window_ask_control(t);
		break;
	case SDLK_d:
		if (t->control)
			tech_window_tap(t, cad, 3);
		break;
	case SDLK_F8:
		if (t->control)
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
	if (!t->control || sym == SDLK_RALT || sym == SDLK_MODE)
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
		int n = utf8_next(text + off, len - off, &cp);
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
	if (mx < t->dst.x + TECH_WINDOW_EDGE && t->src.x > t->box.x)
		dx = -TECH_WINDOW_EDGE_STEP;
	else if (mx >= t->dst.x + t->dst.w - TECH_WINDOW_EDGE && t->src.x + t->src.w < t->box.x + t->box.w)
		dx = TECH_WINDOW_EDGE_STEP;
	if (my < t->dst.y + TECH_WINDOW_EDGE && t->src.y > t->box.y)
		dy = -TECH_WINDOW_EDGE_STEP;
	else if (my >= t->dst.y + t->dst.h - TECH_WINDOW_EDGE && t->src.y + t->src.h < t->box.y + t->box.h)
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

	if (!t->control || !SDL_HasClipboardText()) {
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
	if (!t->control)
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
	int ww, wh;

	t->control = tech_monitor_control(t->o->view_only, tech_window_info(t));
	t->pick.wanted = t->o->monitor;
	tech_window_choose(t, false);
	tech_window_fit(t->box.w, t->box.h, &ww, &wh);
	t->win = SDL_CreateWindow("Handoff", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, ww, wh,
				  SDL_WINDOW_RESIZABLE);
	if (t->win == NULL) {
		fprintf(stderr, "handoff-tech: cannot open a window: %s\n", SDL_GetError());
		return -1;
	}
	tech_window_set_title(t);
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
		if (v->info_changed || (!t->pick_known && v->full_updates > 0))
			tech_window_screen_changed(t);
		if (t->notice_until != 0 && SDL_GetTicks() >= t->notice_until) {
			t->notice_until = 0;
			t->present = true;
		}
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
