/*
 * clipboard_win32.c: see clipboard.h; the Windows backend. CF_UNICODETEXT
 * both ways, under the same rules as on X11 (the session and the screen
 * decide who may paste and when; the caps are the same).
 *
 * Windows tells a window of clipboard changes (AddClipboardFormatListener)
 * through its message queue, which the helper's loop cannot poll (WSAPoll
 * waits on sockets only). So a thread of ours owns a message-only window
 * and its queue: on WM_CLIPBOARDUPDATE it reads the customer's text,
 * converts it to UTF-8 and hands it to the loop through a wake; a
 * technician's text comes the other way, posted to that window as
 * WM_APP, and the thread puts it on the clipboard. Only the thread opens
 * the clipboard, so OpenClipboard never races with ourselves. The window
 * is message-only (HWND_MESSAGE): nothing on the desktop, no input.
 */
#include "clipboard.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "log.h"
#include "screen.h"
#include "utf8.h"
#include "wake.h"

#define CLIP_MSG_PASTE (WM_APP + 1)  /* the technician's text waits in incoming */
#define CLIP_OPEN_TRIES 25
#define CLIP_OPEN_WAIT_MS 20

struct helper_clipboard {
	struct wake wake;
	pthread_t thread;
	bool started;
	HANDLE ready;               /* set once hwnd is known (or the thread gave up) */
	HWND hwnd;                  /* the thread's window; NULL when it could not make one */
	struct helper_screen *screen;
	pthread_mutex_t lock;       /* guards the four fields below */
	char *incoming;             /* technician's text for the clipboard, UTF-8 */
	size_t incoming_len;
	bool incoming_too_big;
	char *outgoing;             /* customer's text for the viewers, UTF-8 */
	size_t outgoing_len;
	bool outgoing_too_big;
};

/* UTF-8 to a new UTF-16 string, NUL-terminated; NULL when out of memory or not UTF-8. */
static wchar_t *helper_clipboard_wide(const char *s, size_t n)
{
	int wn = n == 0 ? 0 : MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, (int)n, NULL, 0);
	wchar_t *w;

	if (n > 0 && wn <= 0)
		return NULL;
	w = malloc(((size_t)wn + 1) * sizeof(*w));
	if (w == NULL)
		return NULL;
	if (wn > 0)
		MultiByteToWideChar(CP_UTF8, 0, s, (int)n, w, wn);
	w[wn] = L'\0';
	return w;
}

/*
 * OpenClipboard fails while another window holds the clipboard open, which
 * is the usual state just after it announced a change (the program that
 * copied, or Wine's X11 bridge, may still be writing): a few short tries
 * on this thread, never in the loop. True when it is open.
 */
static bool helper_clipboard_take(HWND hwnd)
{
	for (int i = 0; i < CLIP_OPEN_TRIES; i++) {
		if (OpenClipboard(hwnd))
			return true;
		Sleep(CLIP_OPEN_WAIT_MS);
	}
	return false;
}

/* The thread: puts the technician's text on the clipboard, as CF_UNICODETEXT. */
static void helper_clipboard_paste(struct helper_clipboard *c, HWND hwnd)
{
	char *text;
	size_t len;
	wchar_t *w;
	HGLOBAL mem;
	size_t bytes;

	pthread_mutex_lock(&c->lock);
	text = c->incoming;
	len = c->incoming_len;
	c->incoming = NULL;
	pthread_mutex_unlock(&c->lock);
	if (text == NULL)
		return;
	w = helper_clipboard_wide(text, len);
	free(text);
	if (w == NULL)
		return;
	bytes = (wcslen(w) + 1) * sizeof(*w);
	mem = GlobalAlloc(GMEM_MOVEABLE, bytes);
	if (mem != NULL) {
		void *p = GlobalLock(mem);

		if (p != NULL) {
			memcpy(p, w, bytes);
			GlobalUnlock(mem);
		}
	}
	free(w);
	if (mem == NULL)
		return;
	if (!helper_clipboard_take(hwnd)) {
		log_warn("the clipboard stayed busy; the technician's text was not pasted");
		GlobalFree(mem);
		return;
	}
	EmptyClipboard();
	/* On success the system owns mem. */
	if (SetClipboardData(CF_UNICODETEXT, mem) == NULL) {
		GlobalFree(mem);
		log_warn("the technician's clipboard text could not be put on the clipboard");
	} else {
		log_info("the technician's clipboard text (%zu bytes) is on the customer's clipboard", len);
	}
	CloseClipboard();
}

/* The thread: the customer's text, if any, for the loop. */
static void helper_clipboard_changed(struct helper_clipboard *c, HWND hwnd)
{
	HANDLE h;
	const wchar_t *w;
	char *u = NULL;
	int n = 0;
	bool too_big = false;

	/* EmptyClipboard made us the owner: this update is our own paste, not the customer's copy. */
	if (GetClipboardOwner() == hwnd)
		return;
	if (!helper_clipboard_take(hwnd)) {
		log_warn("the clipboard stayed busy; the customer's copy was not read");
		return;
	}
	h = IsClipboardFormatAvailable(CF_UNICODETEXT) ? GetClipboardData(CF_UNICODETEXT) : NULL;
	w = h != NULL ? GlobalLock(h) : NULL;
	if (w != NULL) {
		n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
		if (n <= 0) {
			n = 0;
		} else if ((size_t)n - 1 > HELPER_CLIPBOARD_MAX) {
			too_big = true;
		} else if ((u = malloc((size_t)n)) != NULL) {
			WideCharToMultiByte(CP_UTF8, 0, w, -1, u, n, NULL, NULL);
		}
		GlobalUnlock(h);
	}
	CloseClipboard();
	if (u == NULL && !too_big)
		return;
	pthread_mutex_lock(&c->lock);
	free(c->outgoing);
	c->outgoing = u;
	c->outgoing_len = u != NULL ? (size_t)n - 1 : 0;
	c->outgoing_too_big = too_big;
	pthread_mutex_unlock(&c->lock);
	wake_signal(&c->wake);
}

static LRESULT CALLBACK helper_clipboard_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct helper_clipboard *c = (struct helper_clipboard *)GetWindowLongPtrW(hwnd, GWLP_USERDATA);

	switch (msg) {
	case WM_CLIPBOARDUPDATE:
		if (c != NULL)
			helper_clipboard_changed(c, hwnd);
		return 0;
	case CLIP_MSG_PASTE:
		if (c != NULL)
			helper_clipboard_paste(c, hwnd);
		return 0;
	case WM_CLOSE:
		RemoveClipboardFormatListener(hwnd);
		DestroyWindow(hwnd);
		return 0;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	default:
		return DefWindowProcW(hwnd, msg, wp, lp);
	}
}

static void *helper_clipboard_thread(void *arg)
{
	struct helper_clipboard *c = arg;
	WNDCLASSW wc = { .lpfnWndProc = helper_clipboard_proc, .hInstance = GetModuleHandleW(NULL),
			 .lpszClassName = L"HandoffClipboard" };
	MSG m;
	HWND hwnd;

	/* A second helper in the process is not a thing, but a class registered twice is no error either. */
	RegisterClassW(&wc);
	hwnd = CreateWindowExW(0, wc.lpszClassName, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL, wc.hInstance, NULL);
	if (hwnd != NULL) {
		SetWindowLongPtrW(hwnd, GWLP_USERDATA, (LONG_PTR)c);
		if (!AddClipboardFormatListener(hwnd)) {
			DestroyWindow(hwnd);
			hwnd = NULL;
		}
	}
	c->hwnd = hwnd;
	SetEvent(c->ready);
	if (hwnd == NULL)
		return NULL;
	while (GetMessageW(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
	}
	return NULL;
}

int helper_clipboard_open(struct helper_clipboard **out, const char *display, char *err, size_t errlen)
{
	struct helper_clipboard *c = calloc(1, sizeof(*c));

	(void)display;
	*out = NULL;
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->wake.fd = c->wake.peer = -1;
	pthread_mutex_init(&c->lock, NULL);
	if (wake_open(&c->wake) != 0 || (c->ready = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
		snprintf(err, errlen, "cannot make the clipboard's wake-up");
		helper_clipboard_close(c);
		return -1;
	}
	if (pthread_create(&c->thread, NULL, helper_clipboard_thread, c) != 0) {
		snprintf(err, errlen, "cannot start the clipboard's thread");
		helper_clipboard_close(c);
		return -1;
	}
	c->started = true;
	WaitForSingleObject(c->ready, INFINITE);
	if (c->hwnd == NULL) {
		snprintf(err, errlen, "cannot watch the clipboard (error %lu)", (unsigned long)GetLastError());
		helper_clipboard_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

int helper_clipboard_x_fd(const struct helper_clipboard *c)
{
	/* No display connection: the thread's queue stands in for it, behind the wake. */
	(void)c;
	return -1;
}

int helper_clipboard_wake_fd(const struct helper_clipboard *c)
{
	return c->wake.fd;
}

int helper_clipboard_queued(const struct helper_clipboard *c)
{
	(void)c;
	return 0;
}

void helper_clipboard_from_viewer(struct helper_clipboard *c, const char *text, size_t len, bool utf8)
{
	char *u = NULL;
	size_t ulen = 0;

	if (len <= HELPER_CLIPBOARD_MAX) {
		u = malloc(utf8 ? len + 1 : 2 * len + 1);
		if (u != NULL && utf8) {
			memcpy(u, text, len);
			u[len] = '\0';
			ulen = len;
		} else if (u != NULL) {
			ulen = utf8_from_latin1(text, len, u);
		}
	}
	pthread_mutex_lock(&c->lock);
	free(c->incoming);
	c->incoming = u;
	c->incoming_len = ulen;
	c->incoming_too_big = len > HELPER_CLIPBOARD_MAX;
	pthread_mutex_unlock(&c->lock);
	if (u != NULL)
		PostMessageW(c->hwnd, CLIP_MSG_PASTE, 0, 0);
	else
		wake_signal(&c->wake);
}

enum helper_clipboard_event helper_clipboard_run(struct helper_clipboard *c)
{
	enum helper_clipboard_event ev = HELPER_CLIPBOARD_NOTHING;
	char *text, *l;
	size_t len, llen;
	bool too_big_in, too_big_out;

	if (!wake_drain(&c->wake))
		return ev;
	pthread_mutex_lock(&c->lock);
	text = c->outgoing;
	len = c->outgoing_len;
	too_big_out = c->outgoing_too_big;
	too_big_in = c->incoming_too_big;
	c->outgoing = NULL;
	c->outgoing_too_big = c->incoming_too_big = false;
	pthread_mutex_unlock(&c->lock);
	if (too_big_in) {
		log_warn("a technician's clipboard text over %u bytes was dropped", HELPER_CLIPBOARD_MAX);
		ev = HELPER_CLIPBOARD_TOO_BIG_IN;
	}
	if (too_big_out) {
		log_warn("the customer's clipboard text is over %u bytes; not sent", HELPER_CLIPBOARD_MAX);
		ev = HELPER_CLIPBOARD_TOO_BIG_OUT;
	}
	if (text != NULL && c->screen != NULL) {
		/* Both forms: our viewers take UTF-8, other VNC viewers only Latin-1. */
		l = malloc(len + 1);
		llen = l != NULL ? utf8_to_latin1(text, len, l, len) : 0;
		if (l == NULL || helper_screen_send_cut_text(c->screen, text, len, l, llen) != 0)
			log_warn("could not send the clipboard to the viewers");
		else
			log_info("the customer's clipboard text (%zu bytes) goes to the viewers", len);
		free(l);
	}
	free(text);
	return ev;
}

void helper_clipboard_attach(struct helper_clipboard *c, struct helper_screen *screen)
{
	c->screen = screen;
	helper_screen_set_cut_text_hook(screen, helper_clipboard_from_viewer, c);
}

void helper_clipboard_close(struct helper_clipboard *c)
{
	if (c == NULL)
		return;
	if (c->started) {
		if (c->hwnd != NULL)
			PostMessageW(c->hwnd, WM_CLOSE, 0, 0);
		pthread_join(c->thread, NULL);
	}
	if (c->ready != NULL)
		CloseHandle(c->ready);
	wake_close(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->incoming);
	free(c->outgoing);
	free(c);
}
