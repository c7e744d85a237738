/*
 * origin_win32.c: the Windows backend of origin.h.
 *
 * What Windows tells us. A WM_LBUTTONDOWN or WM_KEYDOWN on the helper's
 * window says nothing of where it came from, except through two things
 * the input system keeps with every event: the dwExtraInfo the injector
 * gave SendInput (GetMessageExtraInfo, valid for the message
 * PeekMessage just returned), and, for low-level hooks (WH_MOUSE_LL,
 * WH_KEYBOARD_LL), LLMHF_INJECTED/LLKHF_INJECTED beside that same
 * dwExtraInfo and the event's time. input_win32.c puts INPUT_WIN32_MARK
 * in the dwExtraInfo of everything it injects.
 *
 * The hooks run on a thread of their own that does nothing but pump its
 * message queue: Windows calls a low-level hook on the installing thread
 * and holds every input event on the machine until it returns, so the
 * hook must never wait on the session's loop (which sleeps in WSAPoll).
 * The hook sees an event before it is queued to any window, so by the
 * time the window's thread retrieves the press, the hook has recorded it.
 * There, an injected press with our marker is matched against the oldest
 * note input_win32.c made (helper_origin_injecting), as on X11, and goes
 * into a short list of recent injections with its time, kind and viewer.
 * The marker is what says "ours"; the notes only say whose.
 *
 * SDL's copy of a window message (SDL_SysWMmsg) carries no time, and
 * SDL pumps several messages before we read the first copy, so the
 * press is judged earlier, in SDL_SetWindowsMessageHook's callback, which
 * SDL calls right after PeekMessage for every message, before it is
 * dispatched (and its SDL_SysWMmsg queued). The verdicts wait in a FIFO
 * that helper_origin_sdl_event consumes in the same order.
 */
#include "origin.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include <SDL.h>
#include <SDL_syswm.h>

#include "log.h"
#include "origin_tally.h"

#define ORIGIN_MARK ((ULONG_PTR)0x48414e44u)  /* input_win32.c's INPUT_WIN32_MARK, "HAND" */
#define ORIGIN_NOTES 256        /* injected presses the hook has not seen yet */
#define ORIGIN_RECENT 64        /* injected presses the hook saw */
#define ORIGIN_VERDICTS 64      /* judged presses whose SDL copy is not read yet */

struct origin_note {
	enum helper_origin_kind kind;
	unsigned detail;
	uint32_t viewer;
};

struct origin_seen {
	DWORD time;
	enum helper_origin_kind kind;
	uint32_t viewer;
};

struct origin_verdict {
	UINT msg;
	WPARAM wparam;
	LPARAM lparam;
	bool injected;
	uint32_t viewer;
};


struct helper_origin {
	pthread_mutex_t lock;           /* guards notes, seen and last_viewer: input and hook threads */
	struct origin_note notes[ORIGIN_NOTES];
	size_t note_head, note_n;
	struct origin_seen seen[ORIGIN_RECENT];
	size_t seen_next, seen_n;
	uint32_t last_viewer;           /* whose note came last: for a marked press no note matched */

	HANDLE thread;
	DWORD thread_id;
	HANDLE ready;                   /* set once the hooks are in (or failed) */
	HHOOK mouse, keyboard;

	/* Main loop only. */
	struct origin_verdict verdicts[ORIGIN_VERDICTS];
	size_t verdict_head, verdict_n;
	struct helper_origin_tally ignored;
};

/* Hook procedures take no context: one origin per process, as there is one window. */
static struct helper_origin *origin_win32_current;

/* An injected press of ours the hook saw: pairs it with the oldest note of its kind and detail. */
static void origin_win32_seen(struct helper_origin *o, enum helper_origin_kind kind, unsigned detail, DWORD time)
{
	uint32_t viewer;
	size_t i;

	pthread_mutex_lock(&o->lock);
	viewer = o->last_viewer;
	for (i = 0; i < o->note_n; i++) {
		const struct origin_note *n = &o->notes[(o->note_head + i) % ORIGIN_NOTES];

		if (n->kind == kind && n->detail == detail)
			break;
	}
	if (i < o->note_n) {
		viewer = o->notes[(o->note_head + i) % ORIGIN_NOTES].viewer;
		/* This one and every older note: those never became presses. */
		o->note_head = (o->note_head + i + 1) % ORIGIN_NOTES;
		o->note_n -= i + 1;
	}
	o->seen[o->seen_next] = (struct origin_seen){ .time = time, .kind = kind, .viewer = viewer };
	o->seen_next = (o->seen_next + 1) % ORIGIN_RECENT;
	if (o->seen_n < ORIGIN_RECENT)
		o->seen_n++;
	pthread_mutex_unlock(&o->lock);
}

static LRESULT CALLBACK origin_win32_mouse_hook(int code, WPARAM wparam, LPARAM lparam)
{
	const MSLLHOOKSTRUCT *m = (const MSLLHOOKSTRUCT *)lparam;
	struct helper_origin *o = origin_win32_current;
	unsigned button = 0;

	if (code == HC_ACTION && o != NULL && (m->flags & LLMHF_INJECTED) && m->dwExtraInfo == ORIGIN_MARK) {
		if (wparam == WM_LBUTTONDOWN)
			button = 1;
		else if (wparam == WM_MBUTTONDOWN)
			button = 2;
		else if (wparam == WM_RBUTTONDOWN)
			button = 3;
		if (button != 0)
			origin_win32_seen(o, HELPER_ORIGIN_BUTTON, button, m->time);
	}
	return CallNextHookEx(NULL, code, wparam, lparam);
}

static LRESULT CALLBACK origin_win32_key_hook(int code, WPARAM wparam, LPARAM lparam)
{
	const KBDLLHOOKSTRUCT *k = (const KBDLLHOOKSTRUCT *)lparam;
	struct helper_origin *o = origin_win32_current;

	if (code == HC_ACTION && o != NULL && (wparam == WM_KEYDOWN || wparam == WM_SYSKEYDOWN) &&
	    (k->flags & LLKHF_INJECTED) && k->dwExtraInfo == ORIGIN_MARK)
		origin_win32_seen(o, HELPER_ORIGIN_KEY, (unsigned)k->scanCode, k->time);
	return CallNextHookEx(NULL, code, wparam, lparam);
}

static DWORD WINAPI origin_win32_thread(LPVOID arg)
{
	struct helper_origin *o = arg;
	HINSTANCE self = GetModuleHandleW(NULL);
	MSG msg;

	/* The queue exists before anyone may post WM_QUIT to it. */
	PeekMessageW(&msg, NULL, WM_USER, WM_USER, PM_NOREMOVE);
	o->mouse = SetWindowsHookExW(WH_MOUSE_LL, origin_win32_mouse_hook, self, 0);
	o->keyboard = SetWindowsHookExW(WH_KEYBOARD_LL, origin_win32_key_hook, self, 0);
	SetEvent(o->ready);
	if (o->mouse == NULL || o->keyboard == NULL)
		goto out;
	while (GetMessageW(&msg, NULL, 0, 0) > 0) {
		TranslateMessage(&msg);
		DispatchMessageW(&msg);
	}
out:
	if (o->mouse != NULL)
		UnhookWindowsHookEx(o->mouse);
	if (o->keyboard != NULL)
		UnhookWindowsHookEx(o->keyboard);
	o->mouse = o->keyboard = NULL;
	return 0;
}

static bool origin_win32_is_press(UINT msg, enum helper_origin_kind *kind)
{
	switch (msg) {
	case WM_LBUTTONDOWN:
	case WM_MBUTTONDOWN:
	case WM_RBUTTONDOWN:
	case WM_LBUTTONDBLCLK:
	case WM_MBUTTONDBLCLK:
	case WM_RBUTTONDBLCLK:
		*kind = HELPER_ORIGIN_BUTTON;
		return true;
	case WM_KEYDOWN:
	case WM_SYSKEYDOWN:
		*kind = HELPER_ORIGIN_KEY;
		return true;
	default:
		return false;
	}
}

/* Releases, motion and the wheel: input the window does not act on by itself, or the customer's. */
static bool origin_win32_is_other_input(UINT msg)
{
	return (msg >= WM_MOUSEFIRST && msg <= WM_MOUSELAST) || msg == WM_KEYUP || msg == WM_SYSKEYUP;
}

/*
 * SDL's message hook: the message PeekMessage just returned, so
 * GetMessageExtraInfo and GetMessageTime are this message's. Judged now,
 * read back in helper_origin_sdl_event.
 */
static void SDLCALL origin_win32_message_hook(void *userdata, void *hwnd, unsigned int msg, Uint64 wparam,
					      Sint64 lparam)
{
	struct helper_origin *o = userdata;
	enum helper_origin_kind kind;
	struct origin_verdict v = { .msg = msg, .wparam = (WPARAM)wparam, .lparam = (LPARAM)lparam };
	DWORD time;

	(void)hwnd;
	if (!origin_win32_is_press(msg, &kind))
		return;
	time = (DWORD)GetMessageTime();
	v.injected = GetMessageExtraInfo() == (LPARAM)ORIGIN_MARK;
	pthread_mutex_lock(&o->lock);
	v.viewer = o->last_viewer;
	for (size_t i = 0; i < o->seen_n; i++) {
		const struct origin_seen *s = &o->seen[i];

		if (s->time == time && s->kind == kind) {
			/* The hook saw it injected and marked: ours, whatever the message says. */
			v.injected = true;
			v.viewer = s->viewer;
			break;
		}
	}
	pthread_mutex_unlock(&o->lock);
	if (o->verdict_n == ORIGIN_VERDICTS) {
		/* SDL's copies are not being read (SDL_SYSWMEVENT off?): the oldest will not be asked for. */
		o->verdict_head = (o->verdict_head + 1) % ORIGIN_VERDICTS;
		o->verdict_n--;
	}
	o->verdicts[(o->verdict_head + o->verdict_n) % ORIGIN_VERDICTS] = v;
	o->verdict_n++;
}

int helper_origin_open(struct helper_origin **out, const char *display, char *err, size_t errlen)
{
	struct helper_origin *o;

	(void)display;
	*out = NULL;
	if (origin_win32_current != NULL) {
		snprintf(err, errlen, "input is watched already");
		return -1;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&o->lock, NULL);
	helper_origin_tally_init(&o->ignored);
	origin_win32_current = o;
	o->ready = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (o->ready == NULL)
		goto fail;
	o->thread = CreateThread(NULL, 0, origin_win32_thread, o, 0, &o->thread_id);
	if (o->thread == NULL)
		goto fail;
	WaitForSingleObject(o->ready, INFINITE);
	if (o->mouse == NULL || o->keyboard == NULL)
		goto fail;
	SDL_SetWindowsMessageHook(origin_win32_message_hook, o);
	log_info("origin: low-level mouse and keyboard hooks watch for the helper's own injections");
	*out = o;
	return 0;
fail:
	snprintf(err, errlen, "cannot hook the mouse and keyboard to tell injected input (error %lu)",
		 (unsigned long)GetLastError());
	helper_origin_close(o);
	return -1;
}

void helper_origin_close(struct helper_origin *o)
{
	if (o == NULL)
		return;
	SDL_SetWindowsMessageHook(NULL, NULL);
	if (o->thread != NULL) {
		PostThreadMessageW(o->thread_id, WM_QUIT, 0, 0);
		WaitForSingleObject(o->thread, INFINITE);
		CloseHandle(o->thread);
	}
	if (o->ready != NULL)
		CloseHandle(o->ready);
	origin_win32_current = NULL;
	pthread_mutex_destroy(&o->lock);
	free(o);
}

int helper_origin_fd(const struct helper_origin *o)
{
	/* The hooks' thread records under the lock: nothing for the loop to wait on. */
	(void)o;
	return -1;
}

void helper_origin_drain(struct helper_origin *o)
{
	(void)o;
}

void helper_origin_injecting(struct helper_origin *o, enum helper_origin_kind kind, unsigned detail,
			     uint32_t viewer)
{
	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	if (o->note_n == ORIGIN_NOTES) {
		/* The oldest never matched for 256 presses: it will not. */
		o->note_head = (o->note_head + 1) % ORIGIN_NOTES;
		o->note_n--;
	}
	o->notes[(o->note_head + o->note_n) % ORIGIN_NOTES] =
		(struct origin_note){ .kind = kind, .detail = detail, .viewer = viewer };
	o->note_n++;
	o->last_viewer = viewer;
	pthread_mutex_unlock(&o->lock);
}


enum helper_origin_verdict helper_origin_sdl_event(struct helper_origin *o, const struct SDL_SysWMmsg *msg,
						   uint32_t *viewer, bool *key)
{
	enum helper_origin_kind kind;
	UINT m;

	if (o == NULL || msg == NULL || msg->subsystem != SDL_SYSWM_WINDOWS)
		return HELPER_ORIGIN_NOT_INPUT;
	m = msg->msg.win.msg;
	if (!origin_win32_is_press(m, &kind))
		/* WM_CHAR and the IME's messages follow their key down: they stay with its verdict. */
		return origin_win32_is_other_input(m) ? HELPER_ORIGIN_LOCAL : HELPER_ORIGIN_NOT_INPUT;
	/* The oldest verdict for this message; older ones were for messages SDL did not copy. */
	while (o->verdict_n > 0) {
		struct origin_verdict v = o->verdicts[o->verdict_head];

		o->verdict_head = (o->verdict_head + 1) % ORIGIN_VERDICTS;
		o->verdict_n--;
		if (v.msg != m || v.wparam != msg->msg.win.wParam || v.lparam != msg->msg.win.lParam)
			continue;
		if (!v.injected)
			return HELPER_ORIGIN_LOCAL;
		*viewer = v.viewer;
		*key = kind == HELPER_ORIGIN_KEY;
		helper_origin_tally_count(&o->ignored, v.viewer);
		return HELPER_ORIGIN_INJECTED;
	}
	/* Never judged (posted to the window, not input): not the customer's hand either way; not ours. */
	return HELPER_ORIGIN_LOCAL;
}

bool helper_origin_take_ignored(struct helper_origin *o, int64_t now_ms, uint32_t *viewer, uint32_t *count)
{
	return o != NULL && helper_origin_tally_take(&o->ignored, now_ms, viewer, count);
}

int helper_origin_timeout(const struct helper_origin *o, int64_t now_ms)
{
	return o != NULL ? helper_origin_tally_timeout(&o->ignored, now_ms) : -1;
}
