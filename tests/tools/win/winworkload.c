/*
 * winworkload: the bench's workload (tests/tools/workload.c) as a Windows
 * program, for the Windows helper's rows under Wine (bench/windows.sh).
 *
 *   winworkload MODE SECONDS OUT [hold]
 *
 * The same modes, rates, marker, text and video-like frames as the X11 and
 * Wayland workloads (tests/tools/common/workload_core.c, built with mingw),
 * drawn with GDI in one borderless topmost window over the whole desktop.
 * Windows has no SIGUSR1: the go is the first line on stdin and, with
 * "hold", the end the second (or stdin's end). "ready" and "done" go to
 * stdout as on Linux.
 *
 * Every frame is drawn into a memory DIB first and only the rectangles that
 * changed are copied to the window, as an application's own paint would,
 * so a one-character frame stays a one-character change for the capture.
 * The frame's time is taken after the window's queue has been served once:
 * under Wine that is when the window's surface goes to the X server (Wine
 * flushes window surfaces while a thread waits for messages), the moment
 * the X workload's XSync stands for. Its CLOCK_MONOTONIC (winpthreads, from
 * QueryPerformanceCounter) is Linux's CLOCK_MONOTONIC_RAW under Wine 8:
 * bench/windows.sh moves the times onto CLOCK_MONOTONIC for the meter.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "../common/workload_core.h"

#define CELL WK_CELL
#define MARKER_BITS WK_MARKER_BITS
#define VIDEO_FRAMES WK_VIDEO_FRAMES
#define TEXT_TOP WK_TEXT_TOP
#define WW_GREY RGB(0xd8, 0xd8, 0xd8)
#define WW_MAX_DIRTY 4

struct ww {
	HWND win;
	HDC mem;                /* the back buffer: a DIB the size of the desktop */
	HBITMAP bm, old;
	uint32_t *px;
	HFONT font;
	int w, h, line_h, char_w;
	int cx, cy;             /* typing: the text cursor */
	uint32_t *video[VIDEO_FRAMES];
	RECT dirty[WW_MAX_DIRTY];
	int ndirty;
	unsigned seed;
	const char *mode;
	HANDLE line;            /* set for each line read from stdin */
	bool painted;
};

static struct ww *ww_the; /* for the window procedure only */

static void ww_dirty(struct ww *w, int x, int y, int cw, int ch)
{
	if (w->ndirty == WW_MAX_DIRTY) {
		w->dirty[0] = (RECT){ 0, 0, w->w, w->h };
		w->ndirty = 1;
		return;
	}
	w->dirty[w->ndirty++] = (RECT){ x, y, x + cw, y + ch };
}

static void ww_fill(struct ww *w, int x, int y, int cw, int ch, COLORREF c)
{
	RECT r = { x, y, x + cw, y + ch };
	HBRUSH b = CreateSolidBrush(c);

	FillRect(w->mem, &r, b);
	DeleteObject(b);
}

static void ww_marker(struct ww *w, unsigned n)
{
	for (int i = 0; i < MARKER_BITS; i++) {
		int bit = wk_marker_bit(n, i);

		ww_fill(w, i * CELL, 0, CELL, CELL, bit ? RGB(255, 255, 255) : RGB(0, 0, 0));
		ww_fill(w, i * CELL, CELL, CELL, CELL, bit ? RGB(0, 0, 0) : RGB(255, 255, 255));
	}
	ww_dirty(w, 0, 0, MARKER_BITS * CELL, 2 * CELL);
}

static void ww_text_line(struct ww *w, int y)
{
	char line[400];
	int n = w->w / w->char_w;

	if (n > (int)sizeof(line))
		n = (int)sizeof(line);
	for (int i = 0; i < n; i++)
		line[i] = wk_text_char(&w->seed);
	TextOutA(w->mem, 0, y, line, n);
}

/* Copies the frame's changed rectangles to the window, then serves its queue (Wine flushes). */
static void ww_show(struct ww *w)
{
	HDC dc = GetDC(w->win);
	MSG msg;

	GdiFlush();
	for (int i = 0; i < w->ndirty; i++) {
		RECT *r = &w->dirty[i];

		BitBlt(dc, r->left, r->top, r->right - r->left, r->bottom - r->top, w->mem, r->left, r->top, SRCCOPY);
	}
	w->ndirty = 0;
	ReleaseDC(w->win, dc);
	GdiFlush();
	MsgWaitForMultipleObjects(0, NULL, FALSE, 0, QS_ALLINPUT);
	while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
}

static void ww_frame(struct ww *w, unsigned n)
{
	if (strcmp(w->mode, "typing") == 0) {
		char c = (char)('a' + wk_rand(&w->seed) % 26);

		TextOutA(w->mem, w->cx, w->cy, &c, 1);
		ww_dirty(w, w->cx, w->cy, w->char_w, w->line_h);
		w->cx += w->char_w;
		if (w->cx + w->char_w > w->w / 2) {
			w->cx = 8;
			w->cy += w->line_h;
			if (w->cy + w->line_h > w->h) {
				w->cy = TEXT_TOP;
				ww_fill(w, 0, TEXT_TOP, w->w, w->h - TEXT_TOP, WW_GREY);
				ww_dirty(w, 0, TEXT_TOP, w->w, w->h - TEXT_TOP);
			}
		}
	} else if (strcmp(w->mode, "scroll") == 0) {
		int bottom = w->h - w->line_h;

		BitBlt(w->mem, 0, TEXT_TOP, w->w, bottom - TEXT_TOP, w->mem, 0, TEXT_TOP + w->line_h, SRCCOPY);
		ww_fill(w, 0, bottom, w->w, w->line_h, WW_GREY);
		ww_text_line(w, bottom);
		ww_dirty(w, 0, TEXT_TOP, w->w, w->h - TEXT_TOP);
	} else if (wk_full(w->mode)) {
		GdiFlush();
		memcpy(w->px, w->video[n % VIDEO_FRAMES], (size_t)w->w * (size_t)w->h * 4);
		ww_dirty(w, 0, 0, w->w, w->h);
	}
	ww_marker(w, n);
}

/* wk_run's FRAME. */
static int ww_step(void *ctx, unsigned n)
{
	struct ww *w = ctx;

	ww_frame(w, n);
	ww_show(w);
	return 0;
}

/* The next line on stdin, while the window's messages are served; 0, or -1 if the loop ended. */
static int ww_wait_line(struct ww *w)
{
	for (;;) {
		DWORD r = MsgWaitForMultipleObjects(1, &w->line, FALSE, INFINITE, QS_ALLINPUT);
		MSG msg;

		if (r == WAIT_OBJECT_0)
			return 0;
		if (r != WAIT_OBJECT_0 + 1)
			return -1;
		while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
			if (msg.message == WM_QUIT)
				return -1;
			TranslateMessage(&msg);
			DispatchMessageW(&msg);
		}
	}
}

/* wk_run's WAIT: the go. */
static int ww_wait(void *ctx)
{
	return ww_wait_line(ctx);
}

/* The stdin reader: an auto-reset event per line, and one more at the end of input. */
static DWORD WINAPI ww_stdin(void *arg)
{
	struct ww *w = arg;
	char buf[64];

	while (fgets(buf, sizeof(buf), stdin) != NULL)
		SetEvent(w->line);
	SetEvent(w->line);
	return 0;
}

static LRESULT CALLBACK ww_proc(HWND win, UINT msg, WPARAM wp, LPARAM lp)
{
	struct ww *w = ww_the;

	switch (msg) {
	case WM_PAINT: {
		PAINTSTRUCT ps;
		HDC dc = BeginPaint(win, &ps);

		BitBlt(dc, ps.rcPaint.left, ps.rcPaint.top, ps.rcPaint.right - ps.rcPaint.left,
		       ps.rcPaint.bottom - ps.rcPaint.top, w->mem, ps.rcPaint.left, ps.rcPaint.top, SRCCOPY);
		EndPaint(win, &ps);
		w->painted = true;
		return 0;
	}
	case WM_ERASEBKGND:
		return 1;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcW(win, msg, wp, lp);
}

/* The back buffer, the font, the video frames and the window; 0, or -1. */
static int ww_open(struct ww *w)
{
	BITMAPINFO bi = { 0 };
	WNDCLASSW wc = { 0 };
	TEXTMETRICA tm;
	size_t n;

	w->w = GetSystemMetrics(SM_CXSCREEN);
	w->h = GetSystemMetrics(SM_CYSCREEN);
	n = (size_t)w->w * (size_t)w->h;
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = w->w;
	bi.bmiHeader.biHeight = -w->h; /* top-down */
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	w->mem = CreateCompatibleDC(NULL);
	w->bm = CreateDIBSection(w->mem, &bi, DIB_RGB_COLORS, (void **)&w->px, NULL, 0);
	if (w->mem == NULL || w->bm == NULL)
		return -1;
	w->old = SelectObject(w->mem, w->bm);
	/* Like the X workload's core "fixed": a small monospaced face, no smoothing. */
	w->font = CreateFontA(13, 0, 0, 0, FW_NORMAL, FALSE, FALSE, FALSE, ANSI_CHARSET, OUT_DEFAULT_PRECIS,
			      CLIP_DEFAULT_PRECIS, NONANTIALIASED_QUALITY, FIXED_PITCH | FF_MODERN, "Courier New");
	if (w->font == NULL)
		return -1;
	SelectObject(w->mem, w->font);
	SetBkMode(w->mem, TRANSPARENT);
	SetTextColor(w->mem, RGB(0, 0, 0));
	GetTextMetricsA(w->mem, &tm);
	w->char_w = tm.tmMaxCharWidth > 0 ? tm.tmMaxCharWidth : 8;
	w->line_h = tm.tmHeight > 0 ? tm.tmHeight : 13;
	if (wk_full(w->mode)) {
		for (int k = 0; k < VIDEO_FRAMES; k++) {
			w->video[k] = malloc(n * 4);
			if (w->video[k] == NULL)
				return -1;
			for (int y = 0; y < w->h; y++)
				for (int x = 0; x < w->w; x++)
					w->video[k][(size_t)y * (size_t)w->w + (size_t)x] = wk_video_rgb(x, y, k, &w->seed);
		}
	}
	ww_fill(w, 0, 0, w->w, w->h, WW_GREY);
	if (strcmp(w->mode, "scroll") == 0)
		for (int y = TEXT_TOP; y + w->line_h <= w->h; y += w->line_h)
			ww_text_line(w, y);
	if (wk_full(w->mode)) {
		GdiFlush();
		memcpy(w->px, w->video[0], n * 4);
	}
	ww_marker(w, 0);
	w->ndirty = 0;
	GdiFlush();
	wc.lpfnWndProc = ww_proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.lpszClassName = L"winworkload";
	wc.hCursor = LoadCursorW(NULL, (LPCWSTR)IDC_ARROW);
	if (!RegisterClassW(&wc))
		return -1;
	w->win = CreateWindowExW(WS_EX_TOPMOST, L"winworkload", L"winworkload", WS_POPUP | WS_VISIBLE, 0, 0, w->w,
				 w->h, NULL, NULL, wc.hInstance, NULL);
	return w->win != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct ww w = { .seed = 42, .cx = 8, .cy = TEXT_TOP };
	HANDLE reader;
	int seconds;
	bool hold;

	if (wk_args(argc, argv, "usage: winworkload typing|scroll|full|full60|idle SECONDS OUT [hold]\n", &seconds,
		    &hold) != 0)
		return 2;
	w.mode = argv[1];
	ww_the = &w;
	w.line = CreateEventW(NULL, FALSE, FALSE, NULL);
	if (w.line == NULL || ww_open(&w) != 0) {
		fprintf(stderr, "winworkload: cannot set up its window (error %lu)\n", (unsigned long)GetLastError());
		return 1;
	}
	/* Shown and painted once before "ready": the meter's first picture is frame 0. */
	while (!w.painted) {
		MSG msg;

		if (GetMessageW(&msg, NULL, 0, 0) <= 0)
			return 1;
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
	ww_show(&w);
	reader = CreateThread(NULL, 0, ww_stdin, &w, 0, NULL);
	if (reader == NULL)
		return 1;
	printf("ready\n");
	fflush(stdout);
	if (wk_run(w.mode, seconds, argv[3], ww_step, ww_wait, &w) != 0)
		return 1;
	if (hold) {
		printf("done\n");
		fflush(stdout);
		if (ww_wait_line(&w) != 0)
			return 1;
	}
	DestroyWindow(w.win);
	SelectObject(w.mem, w.old);
	DeleteObject(w.bm);
	DeleteObject(w.font);
	DeleteDC(w.mem);
	for (int k = 0; k < VIDEO_FRAMES; k++)
		free(w.video[k]);
	return 0;
}
