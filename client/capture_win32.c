/*
 * capture_win32.c: the capture backend for Windows' desktop through GDI
 * (see capture.h). BitBlt of the virtual screen (every monitor) into a
 * 32-bit top-down DIB section; GDI says nothing about what changed, so the
 * driver compares the whole screen every HELPER_CAPTURE_WIN32_POLL_MS while
 * a viewer waits (poll_interval_ms). DXGI Desktop Duplication, which does
 * report dirty rectangles, is to come as a second backend where it opens;
 * Wine, where the tests run, has no output duplication.
 */
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#define HELPER_CAPTURE_WIN32_POLL_MS 100

struct helper_capture_win32 {
	HDC screen;         /* the whole desktop's DC */
	HDC mem;            /* holds dib */
	HBITMAP dib, old;
	uint8_t *bits;      /* dib's pixels, top-down */
	int x, y, width, height;  /* the virtual screen, in physical pixels */
};

static void helper_capture_win32_free_dib(struct helper_capture_win32 *g)
{
	if (g->mem != NULL) {
		if (g->old != NULL)
			SelectObject(g->mem, g->old);
		DeleteDC(g->mem);
	}
	if (g->dib != NULL)
		DeleteObject(g->dib);
	g->mem = NULL;
	g->dib = g->old = NULL;
	g->bits = NULL;
}

/* (Re)creates the DIB for the virtual screen's current size. 0 or -1. */
static int helper_capture_win32_dib(struct helper_capture_win32 *g)
{
	BITMAPINFO bi;
	void *bits = NULL;

	helper_capture_win32_free_dib(g);
	g->x = GetSystemMetrics(SM_XVIRTUALSCREEN);
	g->y = GetSystemMetrics(SM_YVIRTUALSCREEN);
	g->width = GetSystemMetrics(SM_CXVIRTUALSCREEN);
	g->height = GetSystemMetrics(SM_CYVIRTUALSCREEN);
	if (g->width <= 0 || g->height <= 0)
		return -1;
	memset(&bi, 0, sizeof(bi));
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = g->width;
	bi.bmiHeader.biHeight = -g->height;  /* top-down, as the framebuffer */
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	g->mem = CreateCompatibleDC(g->screen);
	if (g->mem == NULL)
		return -1;
	g->dib = CreateDIBSection(g->mem, &bi, DIB_RGB_COLORS, &bits, NULL, 0);
	if (g->dib == NULL || bits == NULL) {
		helper_capture_win32_free_dib(g);
		return -1;
	}
	g->old = SelectObject(g->mem, g->dib);
	g->bits = bits;
	return 0;
}

static int helper_capture_win32_open(const char *display, void **state, char *err, size_t errlen)
{
	struct helper_capture_win32 *g = calloc(1, sizeof(*g));

	(void)display;
	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Physical pixels on every monitor, whatever each one's scaling (Windows 10 1703 and later). */
	SetProcessDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2);
	g->screen = GetDC(NULL);
	if (g->screen == NULL || helper_capture_win32_dib(g) != 0) {
		snprintf(err, errlen, "cannot read the Windows desktop (GDI error %lu)", GetLastError());
		if (g->screen != NULL)
			ReleaseDC(NULL, g->screen);
		free(g);
		return -1;
	}
	*state = g;
	return 0;
}

static void helper_capture_win32_close(void *state)
{
	struct helper_capture_win32 *g = state;

	if (g == NULL)
		return;
	helper_capture_win32_free_dib(g);
	ReleaseDC(NULL, g->screen);
	free(g);
}

static int helper_capture_win32_fd(void *state)
{
	(void)state;
	return -1;
}

static int helper_capture_win32_poll_interval(void *state)
{
	(void)state;
	return HELPER_CAPTURE_WIN32_POLL_MS;
}

static int helper_capture_win32_process(void *state, struct helper_capture_events *ev)
{
	struct helper_capture_win32 *g = state;

	if (GetSystemMetrics(SM_CXVIRTUALSCREEN) != g->width || GetSystemMetrics(SM_CYVIRTUALSCREEN) != g->height ||
	    GetSystemMetrics(SM_XVIRTUALSCREEN) != g->x || GetSystemMetrics(SM_YVIRTUALSCREEN) != g->y) {
		if (helper_capture_win32_dib(g) != 0)
			return -1;
		ev->resized = true;
	}
	return 0;
}

static bool helper_capture_win32_queued(void *state)
{
	(void)state;
	return false;
}

static void helper_capture_win32_format(void *state, struct helper_capture_format *fmt)
{
	struct helper_capture_win32 *g = state;

	memset(fmt, 0, sizeof(*fmt));
	fmt->width = g->width;
	fmt->height = g->height;
	/* A 32-bit BI_RGB DIB is B, G, R, unused in memory: 0x00RRGGBB little-endian. */
	fmt->red_mask = 0x00ff0000u;
	fmt->green_mask = 0x0000ff00u;
	fmt->blue_mask = 0x000000ffu;
	fmt->origin_x = g->x;
	fmt->origin_y = g->y;
	fmt->live = true;
}

static int helper_capture_win32_grab(void *state, int x, int y, int w, int h, const uint8_t **pixels,
				     size_t *stride)
{
	struct helper_capture_win32 *g = state;

	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > g->width || y + h > g->height)
		return -1;
	/* CAPTUREBLT: layered (translucent, topmost) windows too, as the customer sees them. */
	if (!BitBlt(g->mem, x, y, w, h, g->screen, g->x + x, g->y + y, SRCCOPY | CAPTUREBLT))
		return -1;
	GdiFlush();
	*stride = (size_t)g->width * 4;
	*pixels = g->bits + (size_t)y * *stride + (size_t)x * 4;
	return 0;
}

const struct helper_capture_backend helper_capture_win32_backend = {
	.name = "win32-gdi",
	.open = helper_capture_win32_open,
	.close = helper_capture_win32_close,
	.fd = helper_capture_win32_fd,
	.poll_interval_ms = helper_capture_win32_poll_interval,
	.process_events = helper_capture_win32_process,
	.events_queued = helper_capture_win32_queued,
	.format = helper_capture_win32_format,
	.grab = helper_capture_win32_grab,
};

const struct helper_capture_backend *const helper_capture_native_backend = &helper_capture_win32_backend;
