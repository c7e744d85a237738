/*
 * capture_win32.c: the capture backend for Windows' desktop through GDI
 * (see capture.h). BitBlt of the virtual screen (every monitor) into a
 * 32-bit top-down DIB section; GDI says nothing about what changed, so the
 * driver compares the whole screen every HELPER_CAPTURE_WIN32_POLL_MS while
 * a viewer waits (poll_interval_ms). DXGI Desktop Duplication, which does
 * report dirty rectangles, is capture_dxgi_win32.c, chosen first; it keeps
 * this backend open beneath it for the monitors, the secure desktop and
 * every grab it cannot make itself (Wine, where the tests run, has no
 * output duplication, so there this backend does all of it).
 *
 * Monitors come from EnumDisplayMonitors, in its order, named by their
 * device (DISPLAY1): --monitor N shares that one's rectangle and follows
 * the name when the layout changes, as the X11 backend follows a RandR
 * monitor. Coordinates are physical pixels: every call that measures or
 * reads the desktop runs with this thread per-monitor (v2) DPI aware
 * (SetThreadDpiAwarenessContext, restored after; input_win32.c does the
 * same around SendInput). Not the process and not the manifest, on
 * purpose: the window (SDL 2.26, which does not scale its drawing by DPI)
 * shares this thread and keeps the awareness it was made with, so Windows
 * goes on scaling it to a readable size on a 150 or 200 % monitor, and a
 * process-wide call after a window exists may be refused (Wine: error 5).
 * The pointer's shape is read
 * at every poll (GetCursorInfo: a new handle is a new shape) and converted
 * once to premultiplied ARGB for the screen's RichCursor.
 *
 * What Windows forbids an unprivileged process is found at every poll
 * rather than guessed from the pixels: when the desktop receiving input is
 * not the helper's own (OpenInputDesktop refused with ERROR_ACCESS_DENIED,
 * as for the secure desktop of a UAC prompt or the lock screen, or opened
 * under another name, "Winlogon"), refused() says HELPER_CAPTURE_SECURE
 * and the driver grabs nothing, so viewers keep the last picture instead
 * of the black one BitBlt would give; a failing BitBlt says
 * HELPER_CAPTURE_DENIED. Wine 8 has one input desktop, the caller's own
 * (SwitchDesktop is a stub): only a real Windows ever reports either.
 */
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>

#include "capture_win32.h"
#include "dupl.h"
#include "log.h"

#define HELPER_CAPTURE_WIN32_POLL_MS 100
/* As helper_screen_set_cursor takes them; Windows' own are 32x32 to 256x256 at high DPI. */
#define HELPER_CAPTURE_WIN32_CURSOR_MAX 256
/* Desktop names are short ("Default", "Winlogon", "Screen-saver"); a longer one is another desktop. */
#define HELPER_CAPTURE_WIN32_DESKTOP_NAME 64

DPI_AWARENESS_CONTEXT helper_capture_win32_dpi_enter(void)
{
	DPI_AWARENESS_CONTEXT old = SetThreadDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2);

	return old != NULL ? old : SetThreadDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE);
}

void helper_capture_win32_dpi_leave(DPI_AWARENESS_CONTEXT old)
{
	if (old != NULL)
		SetThreadDpiAwarenessContext(old);
}

struct helper_capture_win32_monitor {
	RECT r;                    /* in virtual-screen pixels */
	wchar_t device[CCHDEVICENAME];
	char name[SCREENINFO_NAME_MAX + 1];
};

struct helper_capture_win32_monitors {
	int count;
	struct helper_capture_win32_monitor m[SCREENINFO_MONITORS_MAX];
};

struct helper_capture_win32 {
	HDC screen;         /* the whole desktop's DC */
	HDC mem;            /* holds dib */
	HBITMAP dib, old;
	uint8_t *bits;      /* dib's pixels, top-down */
	int dib_w, dib_h;
	struct helper_capture_format fmt; /* the shared area: origin in virtual-screen pixels */
	int monitor;        /* 1-based, 0 for the whole virtual screen */
	wchar_t monitor_device[CCHDEVICENAME];
	struct screeninfo layout; /* monitors in shared-area pixels */
	HCURSOR cursor;     /* the shape last passed on */
	wchar_t desktop[HELPER_CAPTURE_WIN32_DESKTOP_NAME]; /* this thread's own desktop, "Default" */
	unsigned refused;   /* enum helper_capture_refusal */
	DWORD input_error;  /* OpenInputDesktop's last error other than ACCESS_DENIED, logged once */
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
	g->dib_w = g->dib_h = 0;
}

/* (Re)creates the DIB for the shared area's size. 0 or -1. */
static int helper_capture_win32_dib(struct helper_capture_win32 *g)
{
	BITMAPINFO bi;
	void *bits = NULL;

	helper_capture_win32_free_dib(g);
	if (g->fmt.width <= 0 || g->fmt.height <= 0)
		return -1;
	memset(&bi, 0, sizeof(bi));
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = g->fmt.width;
	bi.bmiHeader.biHeight = -g->fmt.height;  /* top-down, as the framebuffer */
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
	g->dib_w = g->fmt.width;
	g->dib_h = g->fmt.height;
	return 0;
}

static BOOL CALLBACK helper_capture_win32_monitor_one(HMONITOR mon, HDC dc, LPRECT rect, LPARAM arg)
{
	struct helper_capture_win32_monitors *all = (struct helper_capture_win32_monitors *)arg;
	MONITORINFOEXW mi = { .cbSize = sizeof(mi) };
	struct helper_capture_win32_monitor *m;

	(void)dc;
	(void)rect;
	if (all->count == SCREENINFO_MONITORS_MAX || !GetMonitorInfoW(mon, (MONITORINFO *)&mi))
		return TRUE;
	m = &all->m[all->count++];
	m->r = mi.rcMonitor;
	memcpy(m->device, mi.szDevice, sizeof(m->device));
	m->device[CCHDEVICENAME - 1] = L'\0';
	/* "\\.\DISPLAY1" shown as "DISPLAY1", as the DXGI backend names its outputs to find them. */
	helper_dupl_device_name(m->device, m->name, sizeof(m->name));
	return TRUE;
}

static void helper_capture_win32_monitors(struct helper_capture_win32_monitors *all)
{
	memset(all, 0, sizeof(*all));
	EnumDisplayMonitors(NULL, NULL, helper_capture_win32_monitor_one, (LPARAM)all);
}

/* A monitor's rectangle as a screeninfo entry relative to (ox, oy), clipped at 0; false if empty. */
static bool helper_capture_win32_entry(const struct helper_capture_win32_monitor *m, int ox, int oy, int w, int h,
				       struct screeninfo_monitor *out)
{
	int x0 = m->r.left - ox, y0 = m->r.top - oy, x1 = m->r.right - ox, y1 = m->r.bottom - oy;

	x0 = x0 > 0 ? x0 : 0;
	y0 = y0 > 0 ? y0 : 0;
	x1 = x1 < w ? x1 : w;
	y1 = y1 < h ? y1 : h;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*out = (struct screeninfo_monitor){ .x = (uint32_t)x0, .y = (uint32_t)y0, .width = (uint32_t)(x1 - x0),
					    .height = (uint32_t)(y1 - y0) };
	memcpy(out->name, m->name, sizeof(out->name));
	return true;
}

/*
 * Works out the shared area (the virtual screen, or the chosen monitor
 * found by its device name) and the layout, and what changed: the size
 * (*resized, with the DIB made again) or the layout, origin or liveness
 * (*layout_changed). 0, or -1 when no DIB can be made.
 */
static int helper_capture_win32_update(struct helper_capture_win32 *g, bool *resized, bool *layout_changed)
{
	struct helper_capture_win32_monitors all;
	struct helper_capture_format fmt = g->fmt;
	struct screeninfo layout = { .count = 0 };

	helper_capture_win32_monitors(&all);
	if (g->monitor == 0) {
		fmt.origin_x = GetSystemMetrics(SM_XVIRTUALSCREEN);
		fmt.origin_y = GetSystemMetrics(SM_YVIRTUALSCREEN);
		fmt.width = GetSystemMetrics(SM_CXVIRTUALSCREEN);
		fmt.height = GetSystemMetrics(SM_CYVIRTUALSCREEN);
		fmt.live = true;
		for (int i = 0; i < all.count; i++)
			if (helper_capture_win32_entry(&all.m[i], fmt.origin_x, fmt.origin_y, fmt.width, fmt.height,
						       &layout.monitors[layout.count]))
				layout.count++;
	} else {
		int found = -1;

		for (int i = 0; i < all.count && found < 0; i++)
			if (wcscmp(all.m[i].device, g->monitor_device) == 0)
				found = i;
		fmt.live = found >= 0;
		if (found >= 0) {
			const RECT *r = &all.m[found].r;

			fmt.origin_x = r->left;
			fmt.origin_y = r->top;
			fmt.width = r->right - r->left;
			fmt.height = r->bottom - r->top;
			if (helper_capture_win32_entry(&all.m[found], r->left, r->top, fmt.width, fmt.height,
						       &layout.monitors[0]))
				layout.count = 1;
		} else {
			/* Keeps the last size: the viewers keep their window, black. */
			layout = g->layout;
		}
	}
	if (fmt.live != g->fmt.live || fmt.origin_x != g->fmt.origin_x || fmt.origin_y != g->fmt.origin_y ||
	    memcmp(&layout, &g->layout, sizeof(layout)) != 0)
		*layout_changed = true;
	g->layout = layout;
	g->fmt = fmt;
	if (g->bits != NULL && fmt.width == g->dib_w && fmt.height == g->dib_h)
		return 0;
	*resized = true;
	return helper_capture_win32_dib(g);
}

/* Desktop d's name into out (NUL-terminated, "" when unreadable). */
static void helper_capture_win32_desktop_name(HDESK d, wchar_t *out, size_t n)
{
	DWORD len = 0;

	if (!GetUserObjectInformationW(d, UOI_NAME, out, (DWORD)(n * sizeof(*out)), &len))
		out[0] = L'\0';
	out[n - 1] = L'\0';
}

/*
 * Whether the desktop that receives input now is not the one this thread
 * draws and reads: refused outright (the secure desktop belongs to
 * SYSTEM), or open under another name. Other failures (a window station
 * with no input at all) are logged once and taken as not secure: nothing
 * would be more honest to say then.
 */
static bool helper_capture_win32_secure(struct helper_capture_win32 *g)
{
	wchar_t name[HELPER_CAPTURE_WIN32_DESKTOP_NAME];
	HDESK d = OpenInputDesktop(0, FALSE, DESKTOP_READOBJECTS);
	bool other;

	if (d == NULL) {
		DWORD e = GetLastError();

		if (e == ERROR_ACCESS_DENIED)
			return true;
		if (e != g->input_error)
			log_warn("cannot open the input desktop (error %lu): a secure desktop would go unnoticed", e);
		g->input_error = e;
		return false;
	}
	helper_capture_win32_desktop_name(d, name, sizeof(name) / sizeof(name[0]));
	CloseDesktop(d);
	other = g->desktop[0] != L'\0' && wcscmp(name, g->desktop) != 0;
	if (other && !(g->refused & HELPER_CAPTURE_SECURE))
		log_info("the input desktop is \"%ls\", not this process's \"%ls\"", name, g->desktop);
	return other;
}

static int helper_capture_win32_open(const char *display, void **state, char *err, size_t errlen)
{
	struct helper_capture_win32 *g = calloc(1, sizeof(*g));
	bool resized = false, layout_changed = false;
	DPI_AWARENESS_CONTEXT old, dpi;
	int r;

	(void)display;
	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	old = helper_capture_win32_dpi_enter();
	/* Said, since without it every coordinate would be scaled on a scaled monitor. */
	dpi = GetThreadDpiAwarenessContext();
	if (AreDpiAwarenessContextsEqual(dpi, DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2))
		log_info("capturing the Windows desktop through GDI, DPI awareness per-monitor v2");
	else if (GetAwarenessFromDpiAwarenessContext(dpi) == DPI_AWARENESS_PER_MONITOR_AWARE)
		log_info("capturing the Windows desktop through GDI, DPI awareness per-monitor");
	else
		log_warn("capturing the Windows desktop through GDI, not DPI aware: scaled monitors come out scaled");
	g->fmt.red_mask = 0x00ff0000u;
	g->fmt.green_mask = 0x0000ff00u;
	g->fmt.blue_mask = 0x000000ffu;
	helper_capture_win32_desktop_name(GetThreadDesktop(GetCurrentThreadId()), g->desktop,
					  sizeof(g->desktop) / sizeof(g->desktop[0]));
	g->screen = GetDC(NULL);
	r = g->screen != NULL ? helper_capture_win32_update(g, &resized, &layout_changed) : -1;
	helper_capture_win32_dpi_leave(old);
	if (r != 0) {
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

/* Bitmap B (w x h) as 32-bit top-down pixels into out. 0 or -1. */
static int helper_capture_win32_bitmap(HDC dc, HBITMAP b, int w, int h, uint32_t *out)
{
	BITMAPINFO bi;

	memset(&bi, 0, sizeof(bi));
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = w;
	bi.bmiHeader.biHeight = -h;
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	return GetDIBits(dc, b, 0, (UINT)h, out, &bi, DIB_RGB_COLORS) == h ? 0 : -1;
}

/*
 * A cursor's bitmaps as premultiplied ARGB (capture.h): a colour cursor
 * with alpha as it is; one without, opaque where its AND mask is clear; a
 * monochrome one (AND above XOR in one bitmap twice as high) black, white
 * or clear, its inverting pixels black. 0 with *w, *h and *argb (free
 * it), or -1.
 */
static int helper_capture_win32_cursor_argb(HDC dc, const ICONINFO *ii, int *w, int *h, uint32_t **argb)
{
	BITMAP bm;
	uint32_t *mask = NULL, *color = NULL, *out = NULL;
	bool alpha = false;
	size_t n;
	int r = -1;

	if (GetObjectW(ii->hbmMask, sizeof(bm), &bm) == 0 || bm.bmWidth <= 0 || bm.bmHeight <= 0)
		return -1;
	*w = bm.bmWidth;
	*h = ii->hbmColor != NULL ? bm.bmHeight : bm.bmHeight / 2;
	if (*h <= 0 || *w > HELPER_CAPTURE_WIN32_CURSOR_MAX || *h > HELPER_CAPTURE_WIN32_CURSOR_MAX)
		return -1;
	n = (size_t)*w * (size_t)*h;
	mask = calloc(n * 2, sizeof(*mask));
	out = calloc(n, sizeof(*out));
	if (mask == NULL || out == NULL ||
	    helper_capture_win32_bitmap(dc, ii->hbmMask, bm.bmWidth, bm.bmHeight, mask) != 0)
		goto out;
	if (ii->hbmColor != NULL) {
		color = calloc(n, sizeof(*color));
		if (color == NULL || helper_capture_win32_bitmap(dc, ii->hbmColor, *w, *h, color) != 0)
			goto out;
		for (size_t i = 0; i < n && !alpha; i++)
			alpha = (color[i] >> 24) != 0;
	}
	for (size_t i = 0; i < n; i++) {
		bool and_bit = (mask[i] & 0xffffffu) != 0;

		if (color != NULL && alpha) {
			uint32_t a = color[i] >> 24, px = color[i];
			uint32_t cr = ((px >> 16) & 255) * a / 255, cg = ((px >> 8) & 255) * a / 255, cb = (px & 255) * a / 255;

			out[i] = (a << 24) | (cr << 16) | (cg << 8) | cb;
		} else if (color != NULL) {
			out[i] = !and_bit ? 0xff000000u | (color[i] & 0xffffffu) : (color[i] & 0xffffffu) != 0 ? 0xff000000u : 0;
		} else {
			bool xor_bit = (mask[n + i] & 0xffffffu) != 0;

			out[i] = !and_bit ? (xor_bit ? 0xffffffffu : 0xff000000u) : xor_bit ? 0xff000000u : 0;
		}
	}
	*argb = out;
	out = NULL;
	r = 0;
out:
	free(mask);
	free(color);
	free(out);
	return r;
}

/* The pointer's shape, when its handle changed since the last look (hidden: the last one stays). */
static void helper_capture_win32_cursor(struct helper_capture_win32 *g, struct helper_capture_events *ev)
{
	CURSORINFO ci = { .cbSize = sizeof(ci) };
	ICONINFO ii;
	uint32_t *argb = NULL;
	int w, h;

	if (ev->cursor == NULL || !GetCursorInfo(&ci) || !(ci.flags & CURSOR_SHOWING) || ci.hCursor == NULL ||
	    ci.hCursor == g->cursor)
		return;
	g->cursor = ci.hCursor;
	if (!GetIconInfo(ci.hCursor, &ii))
		return;
	if (helper_capture_win32_cursor_argb(g->screen, &ii, &w, &h, &argb) == 0)
		ev->cursor(ev->ctx, w, h, (int)ii.xHotspot, (int)ii.yHotspot, argb);
	free(argb);
	DeleteObject(ii.hbmMask);
	if (ii.hbmColor != NULL)
		DeleteObject(ii.hbmColor);
}

static int helper_capture_win32_process(void *state, struct helper_capture_events *ev)
{
	struct helper_capture_win32 *g = state;
	DPI_AWARENESS_CONTEXT old = helper_capture_win32_dpi_enter();
	int r = helper_capture_win32_update(g, &ev->resized, &ev->layout_changed);
	bool secure = helper_capture_win32_secure(g);

	if (secure != ((g->refused & HELPER_CAPTURE_SECURE) != 0))
		log_info(secure ? "a secure desktop is in front: the viewers keep the last picture"
				: "the helper's desktop is back in front");
	g->refused = (g->refused & ~HELPER_CAPTURE_SECURE) | (secure ? HELPER_CAPTURE_SECURE : 0);
	/* The secure desktop's pointer is not the customer's: the last shape stays. */
	if (r == 0 && !secure)
		helper_capture_win32_cursor(g, ev);
	helper_capture_win32_dpi_leave(old);
	return r;
}

static bool helper_capture_win32_queued(void *state)
{
	(void)state;
	return false;
}

static void helper_capture_win32_format(void *state, struct helper_capture_format *fmt)
{
	struct helper_capture_win32 *g = state;

	/* A 32-bit BI_RGB DIB is B, G, R, unused in memory: 0x00RRGGBB little-endian. */
	*fmt = g->fmt;
}

static int helper_capture_win32_grab(void *state, int x, int y, int w, int h, const uint8_t **pixels,
				     size_t *stride)
{
	struct helper_capture_win32 *g = state;
	DPI_AWARENESS_CONTEXT old;
	BOOL ok;

	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > g->dib_w || y + h > g->dib_h)
		return -1;
	*stride = (size_t)g->dib_w * 4;
	*pixels = g->bits + (size_t)y * *stride + (size_t)x * 4;
	if (!g->fmt.live) {
		/* The chosen monitor is gone: black, never what now lies there instead. */
		for (int row = 0; row < h; row++)
			memset(g->bits + (size_t)(y + row) * *stride + (size_t)x * 4, 0, (size_t)w * 4);
		return 0;
	}
	old = helper_capture_win32_dpi_enter();
	/* CAPTUREBLT: layered (translucent, topmost) windows too, as the customer sees them. */
	ok = BitBlt(g->mem, x, y, w, h, g->screen, g->fmt.origin_x + x, g->fmt.origin_y + y, SRCCOPY | CAPTUREBLT);
	GdiFlush();
	helper_capture_win32_dpi_leave(old);
	if (!ok && !(g->refused & HELPER_CAPTURE_DENIED))
		log_warn("Windows refuses to let the helper read the screen (BitBlt error %lu): the viewers keep the "
			 "last picture", GetLastError());
	else if (ok && (g->refused & HELPER_CAPTURE_DENIED))
		log_info("the screen can be read again");
	g->refused = (g->refused & ~HELPER_CAPTURE_DENIED) | (ok ? 0 : HELPER_CAPTURE_DENIED);
	return ok ? 0 : -1;
}

static int helper_capture_win32_select_monitor(void *state, int index, char *err, size_t errlen)
{
	struct helper_capture_win32 *g = state;
	struct helper_capture_win32_monitors all;
	bool resized = false, layout_changed = false;
	DPI_AWARENESS_CONTEXT old = helper_capture_win32_dpi_enter();
	int r;

	helper_capture_win32_monitors(&all);
	if (index < 0 || index > all.count) {
		helper_capture_win32_dpi_leave(old);
		snprintf(err, errlen, "there is no monitor %d: this desktop has %d", index, all.count);
		return -1;
	}
	g->monitor = index;
	if (index > 0)
		memcpy(g->monitor_device, all.m[index - 1].device, sizeof(g->monitor_device));
	r = helper_capture_win32_update(g, &resized, &layout_changed);
	helper_capture_win32_dpi_leave(old);
	if (r != 0) {
		snprintf(err, errlen, "cannot read the Windows desktop (GDI error %lu)", GetLastError());
		return -1;
	}
	if (index > 0)
		log_info("sharing monitor %d (%s), %dx%d at %+d%+d", index, all.m[index - 1].name, g->fmt.width,
			 g->fmt.height, g->fmt.origin_x, g->fmt.origin_y);
	return 0;
}

static void helper_capture_win32_layout(void *state, struct screeninfo *si)
{
	struct helper_capture_win32 *g = state;

	*si = g->layout;
}

static unsigned helper_capture_win32_refused(void *state)
{
	const struct helper_capture_win32 *g = state;

	return g->refused;
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
	.select_monitor = helper_capture_win32_select_monitor,
	.layout = helper_capture_win32_layout,
	.refused = helper_capture_win32_refused,
};

