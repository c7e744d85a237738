/*
 * replaywin.c: see replaywin.h.
 *
 * One loop: read the play clock, decode every message due by then
 * (playback.h), move what changed into the texture, draw picture, overlay
 * and timeline, then wait for SDL events at most a frame's time. The
 * overlay is drawn in window pixels, not scaled with the picture, so it
 * stays legible when a large screen is shown small.
 *
 * The clock is recording time: base_us at wall time wall_us, advancing at
 * speed while playing. Pausing freezes it; playback simply stops asking
 * for messages, nothing else has to stop.
 */
#include "replaywin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>

#include "font.h"
#include "playback.h"
#include "keys.h"

#define TECH_REPLAYWIN_BAR_H 40
#define TECH_REPLAYWIN_FRAME_MS 15
#define TECH_REPLAYWIN_SEEK_US 10000000u
#define TECH_REPLAYWIN_KEYS_US 10000000u   /* keys typed this recently are shown */
#define TECH_REPLAYWIN_KEYS_CHARS 48
#define TECH_REPLAYWIN_SPEED_MIN (1.0 / 16)
#define TECH_REPLAYWIN_SPEED_MAX 64.0
#define TECH_REPLAYWIN_DECOR 64

struct tech_replaywin {
	const struct tech_recfile *rf;
	struct tech_playback pb;
	bool pb_open;
	uint64_t decoded_us;       /* playback has decoded everything due by this time */
	char error[256];           /* a decode error, shown in the bar */

	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;

	double speed;
	bool playing;
	bool overlay;              /* draw the technician's input over the picture */
	uint64_t base_us, wall_us;
};

static uint64_t tech_replaywin_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t tech_replaywin_clock(const struct tech_replaywin *w)
{
	uint64_t t = w->base_us;

	if (w->playing)
		t += (uint64_t)((double)(tech_replaywin_wall_us() - w->wall_us) * w->speed);
	return t < w->rf->duration_us ? t : w->rf->duration_us;
}

static void tech_replaywin_set_clock(struct tech_replaywin *w, uint64_t t, bool playing)
{
	w->base_us = t;
	w->wall_us = tech_replaywin_wall_us();
	w->playing = playing;
}

/* Decodes up to t, starting over from the beginning when t is in the past. */
static int tech_replaywin_decode(struct tech_replaywin *w, uint64_t t)
{
	char err[256];

	if (t < w->decoded_us || !w->pb_open) {
		if (w->pb_open)
			tech_playback_close(&w->pb);
		w->pb_open = false;
		w->decoded_us = 0;
		w->error[0] = '\0'; /* met again at the same place, if it is in the recording */
		if (tech_playback_open(&w->pb, w->rf, err, sizeof(err)) != 0) {
			tech_playback_close(&w->pb);
			fprintf(stderr, "handoff-tech: %s\n", err);
			return -1;
		}
		w->pb_open = true;
	}
	if (w->error[0] == '\0' && tech_playback_until(&w->pb, t, err, sizeof(err)) < 0)
		snprintf(w->error, sizeof(w->error), "%s", err);
	w->decoded_us = t;
	return 0;
}

/* The window for a w x h picture: 1:1 if it fits this display, else scaled down. */
static void tech_replaywin_fit(int w, int h, int *out_w, int *out_h)
{
	SDL_Rect b;
	double s = 1.0;

	*out_w = w;
	*out_h = h + TECH_REPLAYWIN_BAR_H;
	if (SDL_GetDisplayUsableBounds(0, &b) != 0 || b.w <= 0 || b.h <= TECH_REPLAYWIN_DECOR + TECH_REPLAYWIN_BAR_H)
		return;
	if ((double)b.w / w < s)
		s = (double)b.w / w;
	if ((double)(b.h - TECH_REPLAYWIN_DECOR - TECH_REPLAYWIN_BAR_H) / h < s)
		s = (double)(b.h - TECH_REPLAYWIN_DECOR - TECH_REPLAYWIN_BAR_H) / h;
	*out_w = (int)(w * s) > 0 ? (int)(w * s) : 1;
	*out_h = ((int)(h * s) > 0 ? (int)(h * s) : 1) + TECH_REPLAYWIN_BAR_H;
}

/* (Re)creates the texture at the framebuffer's size. */
static int tech_replaywin_texture(struct tech_replaywin *w, bool resize_window)
{
	struct tech_vnc *v = &w->pb.vnc;
	int ww, wh;

	if (w->tex != NULL)
		SDL_DestroyTexture(w->tex);
	w->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_XBGR8888, SDL_TEXTUREACCESS_STREAMING, v->width,
				   v->height);
	if (w->tex == NULL) {
		fprintf(stderr, "handoff-tech: cannot create a %dx%d texture: %s\n", v->width, v->height,
			SDL_GetError());
		return -1;
	}
	if (resize_window) {
		tech_replaywin_fit(v->width, v->height, &ww, &wh);
		SDL_SetWindowSize(w->win, ww, wh);
	}
	SDL_UpdateTexture(w->tex, NULL, v->fb, v->width * 4);
	v->resized = false;
	v->dirty = false;
	return 0;
}

static void tech_replaywin_upload(struct tech_replaywin *w)
{
	struct tech_vnc *v = &w->pb.vnc;
	SDL_Rect r;

	if (v->resized || w->tex == NULL) {
		int tw = 0, th = 0;

		/* A replay started over has a new framebuffer, usually of the same size. */
		if (w->tex != NULL)
			SDL_QueryTexture(w->tex, NULL, NULL, &tw, &th);
		tech_replaywin_texture(w, tw != v->width || th != v->height);
		return;
	}
	if (!v->dirty)
		return;
	r = (SDL_Rect){ v->dirty_x0, v->dirty_y0, v->dirty_x1 - v->dirty_x0, v->dirty_y1 - v->dirty_y0 };
	SDL_UpdateTexture(w->tex, &r, v->fb + ((size_t)r.y * (size_t)v->width + (size_t)r.x) * 4, v->width * 4);
	v->dirty = false;
}

/* Where the picture goes: the window above the bar, keeping the aspect ratio. */
static SDL_Rect tech_replaywin_video_rect(const struct tech_replaywin *w)
{
	const struct tech_vnc *v = &w->pb.vnc;
	int ww, wh, ah;
	double s;
	SDL_Rect r;

	SDL_GetRendererOutputSize(w->ren, &ww, &wh);
	ah = wh - TECH_REPLAYWIN_BAR_H;
	if (ah < 1 || v->width <= 0 || v->height <= 0)
		return (SDL_Rect){ 0, 0, 0, 0 };
	s = (double)ww / v->width;
	if ((double)ah / v->height < s)
		s = (double)ah / v->height;
	r.w = (int)(v->width * s);
	r.h = (int)(v->height * s);
	r.x = (ww - r.w) / 2;
	r.y = (ah - r.h) / 2;
	return r;
}

static SDL_Rect tech_replaywin_track_rect(const struct tech_replaywin *w)
{
	int ww, wh;

	SDL_GetRendererOutputSize(w->ren, &ww, &wh);
	return (SDL_Rect){ 8, wh - TECH_REPLAYWIN_BAR_H + 6, ww - 16 > 1 ? ww - 16 : 1, 8 };
}

/* Index of the first input event after t. */
static size_t tech_replaywin_events_upto(const struct tech_recfile *rf, uint64_t t)
{
	size_t lo = 0, hi = rf->input.n_events;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rf->input.events[mid].t_us <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void tech_replaywin_box(SDL_Renderer *ren, int x, int y, int w, int h)
{
	SDL_Rect r = { x, y, w, h };

	SDL_SetRenderDrawColor(ren, 0, 0, 0, 170);
	SDL_RenderFillRect(ren, &r);
}

/* The keys typed in the last seconds, as text: characters as themselves, other keys as <Name>. */
static void tech_replaywin_keys_text(const struct tech_recfile *rf, size_t upto, uint64_t t,
				     char out[TECH_REPLAYWIN_KEYS_CHARS + 4])
{
	char all[1024];
	size_t n = 0, first = upto;

	while (first > 0 && rf->input.events[first - 1].t_us + TECH_REPLAYWIN_KEYS_US >= t)
		first--;
	all[0] = '\0';
	for (size_t i = first; i < upto; i++) {
		const struct tech_clientmsg_event *e = &rf->input.events[i];
		char name[64];
		int k;

		if (e->kind != TECH_CLIENTMSG_KEY || !e->down)
			continue;
		if (e->keysym >= 0x20 && e->keysym <= 0x7e) {
			name[0] = (char)e->keysym;
			name[1] = '\0';
		} else {
			char sym[48];

			tech_keys_name(e->keysym, sym, sizeof(sym));
			snprintf(name, sizeof(name), "<%s>", sym);
		}
		k = snprintf(all + n, sizeof(all) - n, "%s", name);
		if (k < 0 || (size_t)k >= sizeof(all) - n) {
			/* Full: keep the most recent half. */
			size_t half = n / 2;

			memmove(all, all + half, n - half + 1);
			n -= half;
			i--;
			continue;
		}
		n += (size_t)k;
	}
	/* The most recent keys, with "..." when older ones were cut. */
	if (n > TECH_REPLAYWIN_KEYS_CHARS) {
		memcpy(out, "...", 3);
		memcpy(out + 3, all + n - TECH_REPLAYWIN_KEYS_CHARS, TECH_REPLAYWIN_KEYS_CHARS + 1);
	} else {
		memcpy(out, all, n + 1);
	}
}

static void tech_replaywin_overlay(struct tech_replaywin *w, SDL_Rect video, uint64_t t)
{
	const struct tech_recfile *rf = w->rf;
	size_t upto = tech_replaywin_events_upto(rf, t);
	char keys[TECH_REPLAYWIN_KEYS_CHARS + 4], line[128];
	const struct tech_clientmsg_event *ptr = NULL;

	if (rf->header.flags & RECORDING_NO_INPUT) {
		snprintf(line, sizeof(line), "technician input not recorded");
		tech_replaywin_box(w->ren, 4, 4, tech_font_width(line, 2) + 8, 22);
		SDL_SetRenderDrawColor(w->ren, 255, 255, 255, 255);
		tech_font_draw(w->ren, 8, 8, 2, line);
		return;
	}
	tech_replaywin_keys_text(rf, upto, t, keys);
	if (keys[0] != '\0') {
		snprintf(line, sizeof(line), "keys: %s", keys);
		tech_replaywin_box(w->ren, 4, 4, tech_font_width(line, 2) + 8, 22);
		SDL_SetRenderDrawColor(w->ren, 255, 230, 120, 255);
		tech_font_draw(w->ren, 8, 8, 2, line);
	}
	for (size_t i = upto; i > 0; i--) {
		if (rf->input.events[i - 1].kind == TECH_CLIENTMSG_POINTER) {
			ptr = &rf->input.events[i - 1];
			break;
		}
	}
	if (ptr != NULL && w->pb.vnc.width > 0 && w->pb.vnc.height > 0) {
		int x = video.x + (int)((double)ptr->x * video.w / w->pb.vnc.width);
		int y = video.y + (int)((double)ptr->y * video.h / w->pb.vnc.height);
		SDL_Rect ring[2] = { { x - 9, y - 9, 19, 19 }, { x - 8, y - 8, 17, 17 } };

		/* A ring, not a cursor: it must not be mistaken for the customer's own. */
		if (ptr->buttons != 0)
			SDL_SetRenderDrawColor(w->ren, 255, 60, 60, 255);
		else
			SDL_SetRenderDrawColor(w->ren, 80, 200, 255, 255);
		SDL_RenderDrawRects(w->ren, ring, 2);
		SDL_RenderDrawLine(w->ren, x - 14, y, x - 4, y);
		SDL_RenderDrawLine(w->ren, x + 4, y, x + 14, y);
		SDL_RenderDrawLine(w->ren, x, y - 14, x, y - 4);
		SDL_RenderDrawLine(w->ren, x, y + 4, x, y + 14);
		if (ptr->buttons != 0)
			snprintf(line, sizeof(line), "%u,%u buttons %u", ptr->x, ptr->y, ptr->buttons);
		else
			snprintf(line, sizeof(line), "%u,%u", ptr->x, ptr->y);
		tech_replaywin_box(w->ren, x + 12, y + 12, tech_font_width(line, 1) + 6, 12);
		tech_font_draw(w->ren, x + 15, y + 14, 1, line);
	}
}

static void tech_replaywin_format_time(uint64_t us, char *out, size_t outlen)
{
	uint64_t ds = us / 100000u;

	snprintf(out, outlen, "%llu:%02llu.%llu", (unsigned long long)(ds / 600), (unsigned long long)(ds / 10 % 60),
		 (unsigned long long)(ds % 10));
}

static void tech_replaywin_bar(struct tech_replaywin *w, uint64_t t)
{
	const struct tech_recfile *rf = w->rf;
	SDL_Rect track = tech_replaywin_track_rect(w), fill = track;
	uint64_t d = rf->duration_us > 0 ? rf->duration_us : 1;
	char now[32], total[32], line[384];
	int ww, wh, last_x = -1;

	SDL_GetRendererOutputSize(w->ren, &ww, &wh);
	SDL_SetRenderDrawColor(w->ren, 30, 30, 34, 255);
	SDL_RenderFillRect(w->ren, &(SDL_Rect){ 0, wh - TECH_REPLAYWIN_BAR_H, ww, TECH_REPLAYWIN_BAR_H });
	SDL_SetRenderDrawColor(w->ren, 70, 70, 80, 255);
	SDL_RenderFillRect(w->ren, &track);
	fill.w = (int)((double)track.w * (double)t / (double)d);
	SDL_SetRenderDrawColor(w->ren, 90, 150, 240, 255);
	SDL_RenderFillRect(w->ren, &fill);
	/* Marks where the technician typed or pressed a button: where to look first. */
	for (size_t i = 0; i < rf->input.n_events; i++) {
		const struct tech_clientmsg_event *e = &rf->input.events[i];
		int x;

		if (!(e->kind == TECH_CLIENTMSG_KEY && e->down) && !(e->kind == TECH_CLIENTMSG_POINTER && e->buttons))
			continue;
		x = track.x + (int)((double)track.w * (double)e->t_us / (double)d);
		if (x == last_x)
			continue;
		last_x = x;
		if (e->kind == TECH_CLIENTMSG_KEY)
			SDL_SetRenderDrawColor(w->ren, 255, 200, 80, 255);
		else
			SDL_SetRenderDrawColor(w->ren, 255, 80, 80, 255);
		SDL_RenderDrawLine(w->ren, x, track.y - 3, x, track.y + track.h + 2);
	}
	/* The ticket's events (chat, consent, escalation) in green, the latest one written above the bar. */
	{
		const struct tech_timeline_event *latest = NULL;

		size_t before = 0;

		SDL_SetRenderDrawColor(w->ren, 90, 220, 120, 255);
		for (size_t i = 0; i < rf->timeline.n; i++) {
			const struct tech_timeline_event *e = &rf->timeline.events[i];
			int x = track.x + (int)((double)track.w * (double)(e->t_us < d ? e->t_us : d) / (double)d);

			if (e->before_us > 0)
				before++;
			else
				SDL_RenderDrawLine(w->ren, x, track.y - 5, x, track.y + track.h + 4);
			if (e->t_us <= t)
				latest = e;
		}
		/* Events before the recording: one grey mark left of the track, not a green one at 0:00. */
		if (before > 0) {
			SDL_SetRenderDrawColor(w->ren, 170, 170, 180, 255);
			for (int k = 0; k < 4; k++)
				SDL_RenderDrawLine(w->ren, track.x - 4 - k, track.y + track.h / 2 - k, track.x - 4 - k,
						   track.y + track.h / 2 + k);
		}
		if (latest != NULL) {
			if (latest->before_us > 0)
				snprintf(line, sizeof(line), "before the recording (-%.1f s): %s",
					 (double)latest->before_us / 1e6, latest->line);
			else
				snprintf(line, sizeof(line), "%s", latest->line);
			SDL_SetRenderDrawColor(w->ren, 90, 220, 120, 255);
			tech_font_draw(w->ren, 8, wh - TECH_REPLAYWIN_BAR_H - 14, 1, line);
		}
	}
	tech_replaywin_format_time(t, now, sizeof(now));
	tech_replaywin_format_time(rf->duration_us, total, sizeof(total));
	snprintf(line, sizeof(line), "%s  %s / %s  x%g%s%s%s", w->playing ? "PLAY " : "PAUSE", now, total, w->speed,
		 tech_recfile_truncated(rf) ? "  TRUNCATED" : "", w->error[0] ? "  ERROR: " : "", w->error);
	SDL_SetRenderDrawColor(w->ren, 230, 230, 230, 255);
	tech_font_draw(w->ren, 8, wh - TECH_REPLAYWIN_BAR_H + 20, 2, line);
	snprintf(line, sizeof(line), "space play/pause  +/- speed  arrows 10 s  o overlay  q quit");
	if (ww - tech_font_width(line, 1) - 8 > tech_font_width("PAUSE  0:00.0 / 0:00.0  x1", 2) + 24) {
		SDL_SetRenderDrawColor(w->ren, 150, 150, 160, 255);
		tech_font_draw(w->ren, ww - tech_font_width(line, 1) - 8, wh - TECH_REPLAYWIN_BAR_H + 26, 1, line);
	}
}

static void tech_replaywin_draw(struct tech_replaywin *w, uint64_t t)
{
	SDL_Rect video = tech_replaywin_video_rect(w);

	SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
	SDL_RenderClear(w->ren);
	if (w->tex != NULL)
		SDL_RenderCopy(w->ren, w->tex, NULL, &video);
	if (w->overlay)
		tech_replaywin_overlay(w, video, t);
	tech_replaywin_bar(w, t);
	SDL_RenderPresent(w->ren);
}

static void tech_replaywin_seek(struct tech_replaywin *w, int64_t delta_us, bool absolute, uint64_t to)
{
	uint64_t t = tech_replaywin_clock(w);

	if (absolute)
		t = to;
	else if (delta_us < 0)
		t = t > (uint64_t)-delta_us ? t - (uint64_t)-delta_us : 0;
	else
		t += (uint64_t)delta_us;
	if (t > w->rf->duration_us)
		t = w->rf->duration_us;
	tech_replaywin_set_clock(w, t, w->playing);
}

/* Returns 1 to quit. */
static int tech_replaywin_event(struct tech_replaywin *w, const SDL_Event *e)
{
	switch (e->type) {
	case SDL_QUIT:
		return 1;
	case SDL_WINDOWEVENT:
		return e->window.event == SDL_WINDOWEVENT_CLOSE;
	case SDL_MOUSEBUTTONDOWN: {
		SDL_Rect track = tech_replaywin_track_rect(w);

		if (e->button.button == SDL_BUTTON_LEFT && e->button.y >= track.y - 6 &&
		    e->button.y <= track.y + track.h + 6) {
			int x = e->button.x < track.x ? 0 : e->button.x - track.x;

			if (x > track.w)
				x = track.w;
			tech_replaywin_seek(w, 0, true, (uint64_t)((double)w->rf->duration_us * x / track.w));
		}
		return 0;
	}
	case SDL_KEYDOWN:
		break;
	default:
		return 0;
	}
	switch (e->key.keysym.sym) {
	case SDLK_q:
	case SDLK_ESCAPE:
		return 1;
	case SDLK_o:
		/* What the overlay covers may be what the auditor needs to read. */
		w->overlay = !w->overlay;
		return 0;
	case SDLK_SPACE: {
		uint64_t t = tech_replaywin_clock(w);

		/* Play at the end starts over. */
		if (!w->playing && t >= w->rf->duration_us)
			t = 0;
		tech_replaywin_set_clock(w, t, !w->playing);
		return 0;
	}
	case SDLK_PLUS:
	case SDLK_EQUALS:
	case SDLK_KP_PLUS:
		tech_replaywin_set_clock(w, tech_replaywin_clock(w), w->playing);
		if (w->speed * 2 <= TECH_REPLAYWIN_SPEED_MAX)
			w->speed *= 2;
		return 0;
	case SDLK_MINUS:
	case SDLK_KP_MINUS:
		tech_replaywin_set_clock(w, tech_replaywin_clock(w), w->playing);
		if (w->speed / 2 >= TECH_REPLAYWIN_SPEED_MIN)
			w->speed /= 2;
		return 0;
	case SDLK_LEFT:
		tech_replaywin_seek(w, -(int64_t)TECH_REPLAYWIN_SEEK_US, false, 0);
		return 0;
	case SDLK_RIGHT:
		tech_replaywin_seek(w, (int64_t)TECH_REPLAYWIN_SEEK_US, false, 0);
		return 0;
	case SDLK_HOME:
		tech_replaywin_seek(w, 0, true, 0);
		return 0;
	case SDLK_END:
		tech_replaywin_seek(w, 0, true, w->rf->duration_us);
		return 0;
	default:
		return 0;
	}
}

static int tech_replaywin_open(struct tech_replaywin *w, const char *title)
{
	int ww, wh;

	tech_replaywin_fit(w->pb.vnc.width, w->pb.vnc.height, &ww, &wh);
	w->win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, ww, wh,
				  SDL_WINDOW_RESIZABLE);
	if (w->win == NULL) {
		fprintf(stderr, "handoff-tech: cannot open a window: %s\n", SDL_GetError());
		return -1;
	}
	w->ren = SDL_CreateRenderer(w->win, -1, 0);
	if (w->ren == NULL) {
		fprintf(stderr, "handoff-tech: cannot draw in the window: %s\n", SDL_GetError());
		return -1;
	}
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	SDL_SetRenderDrawBlendMode(w->ren, SDL_BLENDMODE_BLEND);
	return tech_replaywin_texture(w, false);
}

int tech_replaywin_run(const struct tech_recfile *rf, const char *title, double speed, uint64_t start_us,
		       bool paused)
{
	struct tech_replaywin *w = calloc(1, sizeof(*w));
	int rc = 1;

	if (w == NULL)
		return 1;
	w->rf = rf;
	w->speed = speed;
	w->overlay = true;
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		fprintf(stderr, "handoff-tech: no display (%s); try --headless\n", SDL_GetError());
		free(w);
		return 1;
	}
	if (start_us > rf->duration_us)
		start_us = rf->duration_us;
	if (tech_replaywin_decode(w, start_us) != 0 || tech_replaywin_open(w, title) != 0)
		goto out;
	tech_replaywin_set_clock(w, start_us, !paused);
	for (;;) {
		uint64_t t = tech_replaywin_clock(w);
		SDL_Event e;
		int quit = 0;

		if (w->playing && t >= rf->duration_us)
			tech_replaywin_set_clock(w, rf->duration_us, false);
		if (tech_replaywin_decode(w, t) != 0)
			goto out;
		tech_replaywin_upload(w);
		tech_replaywin_draw(w, t);
		if (SDL_WaitEventTimeout(&e, TECH_REPLAYWIN_FRAME_MS)) {
			quit = tech_replaywin_event(w, &e);
			while (!quit && SDL_PollEvent(&e))
				quit = tech_replaywin_event(w, &e);
		}
		if (quit)
			break;
	}
	rc = 0;
out:
	if (w->pb_open)
		tech_playback_close(&w->pb);
	if (w->tex != NULL)
		SDL_DestroyTexture(w->tex);
	if (w->ren != NULL)
		SDL_DestroyRenderer(w->ren);
	if (w->win != NULL)
		SDL_DestroyWindow(w->win);
	free(w);
	SDL_Quit();
	return rc;
}
