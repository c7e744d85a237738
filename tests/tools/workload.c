/*
 * workload: an X client that changes the screen the way a support session
 * does, and says when each change was on screen.
 *
 *   workload MODE SECONDS OUT [hold]
 *
 * MODE is one of
 *   typing  one character and the marker, 20 times a second
 *   scroll  the text area scrolls by one line, a new line appears, 30/s
 *   full    every pixel changes (16 pre-drawn video-like frames in turn), 30/s
 *   full60  the same at 60/s, so that the frames that arrive show each
 *           system's ceiling rather than the workload's rate
 *   idle    only the marker changes, once a second (a clock on a quiet desktop)
 *
 * Every change carries a frame number in a marker block at the top left
 * (MARKER_BITS cells of CELL x CELL pixels, white for 1, black for 0, and
 * a second row with the complement, so a viewer can tell a whole marker
 * from a torn or blurred one). The window covers the whole screen.
 *
 * It maps the window, draws frame 0, prints "ready" and waits for SIGUSR1
 * (the bench starts the viewer in between). Then it draws for SECONDS and
 * writes one line per frame to OUT: the frame number and the
 * CLOCK_MONOTONIC time in nanoseconds taken right after XSync returned,
 * that is, once the X server had drawn it. With "hold" it then prints
 * "done" and keeps its last frame on screen until a second SIGUSR1, so the
 * viewer's final picture can be held against it (vncmeter's quality).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "common/workload_core.h"

#define CELL WK_CELL
#define MARKER_BITS WK_MARKER_BITS
#define VIDEO_FRAMES WK_VIDEO_FRAMES
#define TEXT_TOP WK_TEXT_TOP

struct wl {
	Display *dpy;
	Window win;
	GC gc;
	int w, h;
	unsigned long white, black, grey;
	XFontStruct *font;
	int line_h, char_w;
	int cx, cy;             /* typing: the text cursor */
	Pixmap video[VIDEO_FRAMES];
	unsigned seed;
	const char *mode;
};

static void wl_marker(struct wl *w, unsigned n)
{
	for (int i = 0; i < MARKER_BITS; i++) {
		int bit = wk_marker_bit(n, i);

		XSetForeground(w->dpy, w->gc, bit ? w->white : w->black);
		XFillRectangle(w->dpy, w->win, w->gc, i * CELL, 0, CELL, CELL);
		XSetForeground(w->dpy, w->gc, bit ? w->black : w->white);
		XFillRectangle(w->dpy, w->win, w->gc, i * CELL, CELL, CELL, CELL);
	}
}

static int wl_shift(unsigned long mask)
{
	int s = 0;

	while (mask != 0 && !(mask & 1)) {
		mask >>= 1;
		s++;
	}
	return s;
}

/* The video-like frames (wk_video_rgb) as pixmaps. */
static int wl_video(struct wl *w)
{
	Visual *vis = DefaultVisual(w->dpy, DefaultScreen(w->dpy));
	int depth = DefaultDepth(w->dpy, DefaultScreen(w->dpy));
	int rs = wl_shift(vis->red_mask), gs = wl_shift(vis->green_mask), bs = wl_shift(vis->blue_mask);
	uint32_t *px = malloc((size_t)w->w * (size_t)w->h * 4);
	XImage *img;

	if (px == NULL)
		return -1;
	img = XCreateImage(w->dpy, vis, (unsigned)depth, ZPixmap, 0, (char *)px, (unsigned)w->w,
			   (unsigned)w->h, 32, 0);
	if (img == NULL) {
		free(px);
		return -1;
	}
	for (int k = 0; k < VIDEO_FRAMES; k++) {
		for (int y = 0; y < w->h; y++) {
			for (int x = 0; x < w->w; x++) {
				uint32_t rgb = wk_video_rgb(x, y, k, &w->seed);
				unsigned long r = rgb >> 16, g = (rgb >> 8) & 255, b = rgb & 255;

				XPutPixel(img, x, y, ((unsigned long)r << rs) | ((unsigned long)g << gs) |
							     ((unsigned long)b << bs));
			}
		}
		w->video[k] = XCreatePixmap(w->dpy, w->win, (unsigned)w->w, (unsigned)w->h, (unsigned)depth);
		XPutImage(w->dpy, w->video[k], w->gc, img, 0, 0, 0, 0, (unsigned)w->w, (unsigned)w->h);
	}
	XDestroyImage(img); /* frees px */
	XSync(w->dpy, False);
	return 0;
}

static void wl_text_line(struct wl *w, int y)
{
	char line[400];
	int n = w->w / w->char_w;

	if (n > (int)sizeof(line))
		n = (int)sizeof(line);
	for (int i = 0; i < n; i++)
		line[i] = wk_text_char(&w->seed);
	XSetForeground(w->dpy, w->gc, w->black);
	XDrawString(w->dpy, w->win, w->gc, 0, y + w->font->ascent, line, n);
}

static void wl_frame(struct wl *w, const char *mode, unsigned n)
{
	if (strcmp(mode, "typing") == 0) {
		char c = (char)('a' + wk_rand(&w->seed) % 26);

		XSetForeground(w->dpy, w->gc, w->black);
		XDrawString(w->dpy, w->win, w->gc, w->cx, w->cy + w->font->ascent, &c, 1);
		w->cx += w->char_w;
		if (w->cx + w->char_w > w->w / 2) {
			w->cx = 8;
			w->cy += w->line_h;
			if (w->cy + w->line_h > w->h) {
				w->cy = TEXT_TOP;
				XSetForeground(w->dpy, w->gc, w->grey);
				XFillRectangle(w->dpy, w->win, w->gc, 0, TEXT_TOP, (unsigned)w->w,
					       (unsigned)(w->h - TEXT_TOP));
			}
		}
	} else if (strcmp(mode, "scroll") == 0) {
		int bottom = w->h - w->line_h;

		XCopyArea(w->dpy, w->win, w->win, w->gc, 0, TEXT_TOP + w->line_h, (unsigned)w->w,
			  (unsigned)(bottom - TEXT_TOP), 0, TEXT_TOP);
		XSetForeground(w->dpy, w->gc, w->grey);
		XFillRectangle(w->dpy, w->win, w->gc, 0, bottom, (unsigned)w->w, (unsigned)w->line_h);
		wl_text_line(w, bottom);
	} else if (wk_full(mode)) {
		XCopyArea(w->dpy, w->video[n % VIDEO_FRAMES], w->win, w->gc, 0, 0, (unsigned)w->w,
			  (unsigned)w->h, 0, 0);
	}
	wl_marker(w, n);
}

/* wk_run's WAIT: SIGUSR1 (the X server needs nothing from us meanwhile). */
static int wl_wait(void *ctx)
{
	(void)ctx;
	return wk_wait_usr1();
}

/* Fills the screen once: grey, with text for the scrolling workload. */
static void wl_background(struct wl *w, const char *mode)
{
	XSetForeground(w->dpy, w->gc, w->grey);
	XFillRectangle(w->dpy, w->win, w->gc, 0, 0, (unsigned)w->w, (unsigned)w->h);
	if (strcmp(mode, "scroll") == 0)
		for (int y = TEXT_TOP; y + w->line_h <= w->h; y += w->line_h)
			wl_text_line(w, y);
	if (wk_full(mode))
		XCopyArea(w->dpy, w->video[0], w->win, w->gc, 0, 0, (unsigned)w->w, (unsigned)w->h, 0, 0);
}

/* wk_run's FRAME: draws frame N; XSync returns once the X server has drawn it. */
static int wl_step(void *ctx, unsigned n)
{
	struct wl *w = ctx;

	wl_frame(w, w->mode, n);
	XSync(w->dpy, False);
	return 0;
}

int main(int argc, char **argv)
{
	struct wl w = { .seed = 42, .cx = 8, .cy = TEXT_TOP };
	XSetWindowAttributes attr = { .override_redirect = True, .background_pixel = 0 };
	int seconds, scr;
	bool hold;

	if (wk_args(argc, argv, "usage: workload typing|scroll|full|full60|idle SECONDS OUT [hold]\n", &seconds, &hold) != 0)
		return 2;
	w.mode = argv[1];
	wk_start();
	w.dpy = XOpenDisplay(NULL);
	if (w.dpy == NULL) {
		fprintf(stderr, "workload: cannot open the display\n");
		return 1;
	}
	scr = DefaultScreen(w.dpy);
	w.w = DisplayWidth(w.dpy, scr);
	w.h = DisplayHeight(w.dpy, scr);
	w.white = WhitePixel(w.dpy, scr);
	w.black = BlackPixel(w.dpy, scr);
	w.grey = 0xd8d8d8 & (DefaultVisual(w.dpy, scr)->red_mask | DefaultVisual(w.dpy, scr)->green_mask |
			     DefaultVisual(w.dpy, scr)->blue_mask);
	w.win = XCreateWindow(w.dpy, RootWindow(w.dpy, scr), 0, 0, (unsigned)w.w, (unsigned)w.h, 0,
			      CopyFromParent, InputOutput, CopyFromParent, CWOverrideRedirect | CWBackPixel, &attr);
	w.gc = XCreateGC(w.dpy, w.win, 0, NULL);
	w.font = XLoadQueryFont(w.dpy, "fixed");
	if (w.font == NULL) {
		fprintf(stderr, "workload: no 'fixed' font\n");
		return 1;
	}
	XSetFont(w.dpy, w.gc, w.font->fid);
	w.char_w = w.font->max_bounds.width;
	w.line_h = w.font->ascent + w.font->descent;
	XMapRaised(w.dpy, w.win);
	XSync(w.dpy, False);
	if (wk_full(argv[1]) && wl_video(&w) != 0) {
		fprintf(stderr, "workload: out of memory\n");
		return 1;
	}
	wl_background(&w, argv[1]);
	wl_marker(&w, 0);
	XSync(w.dpy, False);
	printf("ready\n");
	fflush(stdout);
	if (wk_run(argv[1], seconds, argv[3], wl_step, wl_wait, &w) != 0)
		return 1;
	if (hold) {
		printf("done\n");
		fflush(stdout);
		if (wk_wait_usr1() != 0)
			return 1;
	}
	/* The server frees its side with the connection; Xlib's client-side copies are ours. */
	XFreeFont(w.dpy, w.font);
	XFreeGC(w.dpy, w.gc);
	XCloseDisplay(w.dpy);
	return 0;
}
