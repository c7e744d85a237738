/*
 * wincursor: the pointer shapes of the helper's Windows capture backend
 * (client/capture_win32.c) on their own, from cursors with known pixels.
 *
 *   wincursor mono|color
 *
 * Makes a cursor (mono: CreateCursor with four bands of 8 rows, AND/XOR
 * 0/0, 0/1, 1/0 and 1/1, hot spot 5,9; color: CreateIconIndirect from a
 * 32-bit bitmap, its left half red at alpha 0x80, its right half opaque
 * green, hot spot 2,3), shows it over a window of its own, runs the
 * backend's process_events and prints what reached its cursor callback:
 * "cursor W H XHOT YHOT", then "px X Y AARRGGBB" (premultiplied ARGB)
 * for a few pixels. Under Wine a cursor handle is good only in the
 * process that made it, so the shape of another program's pointer cannot
 * be read there (GetIconInfo says ERROR_INVALID_CURSOR_HANDLE): this is
 * how the conversion is checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "capture.h"

static int wincursor_seen;

static void wincursor_cb(void *ctx, int w, int h, int xhot, int yhot, const uint32_t *argb)
{
	static const int at[][2] = { { 0, 0 }, { 31, 8 }, { 4, 16 }, { 0, 24 }, { 3, 5 }, { 12, 10 } };

	(void)ctx;
	wincursor_seen = 1;
	printf("cursor %d %d %d %d\n", w, h, xhot, yhot);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (at[i][0] < w && at[i][1] < h)
			printf("px %d %d %08lx\n", at[i][0], at[i][1],
			       (unsigned long)argb[(size_t)at[i][1] * (size_t)w + (size_t)at[i][0]]);
}

static HCURSOR wincursor_mono(void)
{
	BYTE and_plane[32 * 4], xor_plane[32 * 4];

	for (int y = 0; y < 32; y++) {
		memset(and_plane + y * 4, y >= 16 ? 0xff : 0x00, 4);
		memset(xor_plane + y * 4, (y / 8) % 2 ? 0xff : 0x00, 4);
	}
	return CreateCursor(GetModuleHandleW(NULL), 5, 9, 32, 32, and_plane, xor_plane);
}

static HCURSOR wincursor_color(void)
{
	BITMAPINFO bi = { 0 };
	ICONINFO ii = { .fIcon = FALSE, .xHotspot = 2, .yHotspot = 3 };
	uint32_t *px = NULL;
	HCURSOR c;

	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = 16;
	bi.bmiHeader.biHeight = -16;
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	ii.hbmColor = CreateDIBSection(NULL, &bi, DIB_RGB_COLORS, (void **)&px, NULL, 0);
	ii.hbmMask = CreateBitmap(16, 16, 1, 1, NULL);
	if (ii.hbmColor == NULL || ii.hbmMask == NULL || px == NULL)
		return NULL;
	for (int i = 0; i < 16 * 16; i++)
		px[i] = i % 16 < 8 ? 0x80ff0000u : 0xff00ff00u;
	c = CreateIconIndirect(&ii);
	DeleteObject(ii.hbmColor);
	DeleteObject(ii.hbmMask);
	return c;
}

int main(int argc, char **argv)
{
	WNDCLASSW wc = { .lpfnWndProc = DefWindowProcW, .lpszClassName = L"wincursor" };
	struct helper_capture_events ev = { .cursor = wincursor_cb };
	char err[256];
	HCURSOR cur;
	HWND win;
	void *st;

	if (argc != 2 || (strcmp(argv[1], "mono") != 0 && strcmp(argv[1], "color") != 0)) {
		fprintf(stderr, "usage: wincursor mono|color\n");
		return 2;
	}
	cur = strcmp(argv[1], "mono") == 0 ? wincursor_mono() : wincursor_color();
	wc.hInstance = GetModuleHandleW(NULL);
	wc.hCursor = cur;
	if (cur == NULL || !RegisterClassW(&wc)) {
		fprintf(stderr, "wincursor: cannot make the cursor (error %lu)\n", (unsigned long)GetLastError());
		return 1;
	}
	win = CreateWindowExW(WS_EX_TOPMOST, L"wincursor", L"wincursor", WS_POPUP | WS_VISIBLE, 0, 0, 200, 200, NULL,
			      NULL, wc.hInstance, NULL);
	if (win == NULL || helper_capture_win32_backend.open(NULL, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "wincursor: %s\n", win == NULL ? "no window" : err);
		return 1;
	}
	SetForegroundWindow(win);
	SetCursorPos(100, 100);
	/* Until the pointer shows our cursor (its window's class cursor, or set here): at most 5 s. */
	for (int i = 0; i < 100 && !wincursor_seen; i++) {
		CURSORINFO ci = { .cbSize = sizeof(ci) };
		MSG msg;

		while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE))
			DispatchMessageW(&msg);
		SetCursor(cur);
		if (GetCursorInfo(&ci) && ci.hCursor == cur &&
		    helper_capture_win32_backend.process_events(st, &ev) != 0)
			break;
		if (!wincursor_seen)
			Sleep(50);
	}
	helper_capture_win32_backend.close(st);
	DestroyWindow(win);
	DestroyCursor(cur);
	if (!wincursor_seen) {
		fprintf(stderr, "wincursor: no pointer shape came through the backend\n");
		return 1;
	}
	return 0;
}
