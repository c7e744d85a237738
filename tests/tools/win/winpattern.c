/*
 * winpattern: the Windows test program the Wine end-to-end test drives
 * (issue 16). It opens one borderless window at the desktop's top-left
 * corner, fills it with a pattern every pixel of which the test can compute
 * (winpattern_pixel), and reports on stdout, one line each, what reaches
 * it: "ready W H" once painted, "click X Y" for a left click in window
 * coordinates, "char U+XXXX" for each typed character (WM_CHAR, UTF-16
 * units joined into one code point). Built with mingw-w64 (make windows).
 */
#include <stdio.h>
#include <stdint.h>

#include <windows.h>

#define WINPATTERN_W 320
#define WINPATTERN_H 240

static uint32_t winpattern_high_surrogate;

/* 0x00RRGGBB of pixel (x, y): bands a viewer can check exactly, whatever the encoding. */
static uint32_t winpattern_pixel(int x, int y)
{
	uint32_t r = (uint32_t)(x * 255 / (WINPATTERN_W - 1));
	uint32_t g = (uint32_t)(y * 255 / (WINPATTERN_H - 1));
	uint32_t b = ((x / 40 + y / 40) % 2) ? 0xc0u : 0x20u;

	return (r << 16) | (g << 8) | b;
}

static void winpattern_paint(HWND w)
{
	static uint32_t bits[WINPATTERN_W * WINPATTERN_H];
	BITMAPINFO bi = { 0 };
	PAINTSTRUCT ps;
	HDC dc = BeginPaint(w, &ps);

	for (int y = 0; y < WINPATTERN_H; y++)
		for (int x = 0; x < WINPATTERN_W; x++)
			bits[y * WINPATTERN_W + x] = winpattern_pixel(x, y);
	bi.bmiHeader.biSize = sizeof(bi.bmiHeader);
	bi.bmiHeader.biWidth = WINPATTERN_W;
	bi.bmiHeader.biHeight = -WINPATTERN_H; /* top-down */
	bi.bmiHeader.biPlanes = 1;
	bi.bmiHeader.biBitCount = 32;
	bi.bmiHeader.biCompression = BI_RGB;
	SetDIBitsToDevice(dc, 0, 0, WINPATTERN_W, WINPATTERN_H, 0, 0, 0, WINPATTERN_H, bits, &bi,
			  DIB_RGB_COLORS);
	EndPaint(w, &ps);
}

static LRESULT CALLBACK winpattern_proc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
	static int ready;

	switch (msg) {
	case WM_PAINT:
		winpattern_paint(w);
		if (!ready) {
			ready = 1;
			printf("ready %d %d\n", WINPATTERN_W, WINPATTERN_H);
			fflush(stdout);
		}
		return 0;
	case WM_LBUTTONDOWN:
		printf("click %d %d\n", (int)(short)LOWORD(lp), (int)(short)HIWORD(lp));
		fflush(stdout);
		return 0;
	case WM_CHAR: {
		uint32_t u = (uint32_t)wp;

		if (u >= 0xd800 && u < 0xdc00) {
			winpattern_high_surrogate = u;
			return 0;
		}
		if (u >= 0xdc00 && u < 0xe000 && winpattern_high_surrogate != 0)
			u = 0x10000 + ((winpattern_high_surrogate - 0xd800) << 10) + (u - 0xdc00);
		winpattern_high_surrogate = 0;
		printf("char U+%04X\n", (unsigned)u);
		fflush(stdout);
		return 0;
	}
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcW(w, msg, wp, lp);
}

int main(void)
{
	WNDCLASSW wc = { 0 };
	HWND w;
	MSG m;

	wc.lpfnWndProc = winpattern_proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.hCursor = LoadCursor(NULL, IDC_ARROW);
	wc.lpszClassName = L"winpattern";
	if (!RegisterClassW(&wc)) {
		fprintf(stderr, "winpattern: RegisterClass failed (%lu)\n", GetLastError());
		return 1;
	}
	w = CreateWindowExW(WS_EX_TOPMOST, L"winpattern", L"winpattern", WS_POPUP | WS_VISIBLE, 0, 0,
			    WINPATTERN_W, WINPATTERN_H, NULL, NULL, wc.hInstance, NULL);
	if (w == NULL) {
		fprintf(stderr, "winpattern: CreateWindow failed (%lu)\n", GetLastError());
		return 1;
	}
	SetForegroundWindow(w);
	while (GetMessageW(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
	}
	return 0;
}
