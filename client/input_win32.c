/*
 * input_win32.c: SendInput replay of a controlling viewer's input on
 * Windows (see input.h; input.c is the X11 one).
 *
 * Pointer: RFB sends the whole button mask with every event; each bit that
 * changed becomes a button event, the wheel bits a WHEEL_DELTA turn on
 * their press. Positions are absolute over the virtual desktop (every
 * monitor), normalised to 0..65535 as SendInput wants them.
 *
 * Keys: keysyms with a key of their own (Return, arrows, F1, Shift...)
 * are sent as scan codes, so that applications reading raw keys and
 * games see real keys. Characters are sent as KEYEVENTF_UNICODE, which
 * types any character whatever the customer's layout (a Japanese one on
 * a US keyboard), except while a viewer holds Ctrl or Alt: a shortcut
 * (Ctrl+C) needs the key that carries the letter on this layout
 * (VkKeyScanW), as a scan code. Every key a viewer pressed is remembered
 * and released by helper_input_release, as on X11.
 *
 * Every press is noted in origin.h before it is sent (origin_win32.c's
 * hooks pair it with the marked event they see), so the helper's own
 * window can drop it.
 *
 * Windows refuses an unelevated process's input into an elevated window
 * (UIPI) and onto the secure desktop: SendInput then inserts fewer events
 * than asked (ERROR_ACCESS_DENIED). Every call is counted, so that
 * helper_input_refused says so until one goes through again, and the
 * session tells both sides instead of letting the input vanish. Wine has
 * no integrity levels and never refuses: only a real Windows shows it.
 */
#include "input.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "log.h"
#include "origin.h"

#define INPUT_WIN32_BUTTONS 8
#define INPUT_WIN32_HELD 32      /* keys a viewer may hold at once */
/* In every event we inject: tells ours from the customer's (see the header comment). */
#define INPUT_WIN32_MARK ((ULONG_PTR)0x48414e44u)  /* "HAND" */

struct helper_input_held {
	WORD scan;        /* scan code, or the UTF-16 unit for a Unicode key */
	DWORD flags;      /* KEYEVENTF_SCANCODE | EXTENDEDKEY, or KEYEVENTF_UNICODE */
	uint32_t keysym;
};

struct helper_input {
	pthread_mutex_t lock;   /* guards everything below: several viewers may control */
	int buttons;            /* last RFB button mask sent */
	struct helper_input_held held[INPUT_WIN32_HELD];
	int nheld;
	int ctrl_alt;           /* Control or Alt keys a viewer holds */
	struct helper_origin *origin;   /* not owned; NULL: nobody asks */
	atomic_bool refused;    /* the last SendInput inserted nothing: read by the main loop */
};

/* X keysyms with a key of their own, and the virtual key that has it. */
static const struct {
	uint32_t keysym;
	WORD vk;
	bool extended;
} helper_input_win32_keys[] = {
	{ 0xff08, VK_BACK, false },    { 0xff09, VK_TAB, false },     { 0xff0d, VK_RETURN, false },
	{ 0xff13, VK_PAUSE, false },   { 0xff14, VK_SCROLL, false },  { 0xff1b, VK_ESCAPE, false },
	{ 0xff50, VK_HOME, true },     { 0xff51, VK_LEFT, true },     { 0xff52, VK_UP, true },
	{ 0xff53, VK_RIGHT, true },    { 0xff54, VK_DOWN, true },     { 0xff55, VK_PRIOR, true },
	{ 0xff56, VK_NEXT, true },     { 0xff57, VK_END, true },      { 0xff61, VK_SNAPSHOT, true },
	{ 0xff63, VK_INSERT, true },   { 0xff67, VK_APPS, true },     { 0xff7f, VK_NUMLOCK, true },
	{ 0xff8d, VK_RETURN, true },   { 0xffff, VK_DELETE, true },   { 0xffe1, VK_LSHIFT, false },
	{ 0xffe2, VK_RSHIFT, false },  { 0xffe3, VK_LCONTROL, false }, { 0xffe4, VK_RCONTROL, true },
	{ 0xffe5, VK_CAPITAL, false }, { 0xffe9, VK_LMENU, false },   { 0xffea, VK_RMENU, true },
	{ 0xffe7, VK_LMENU, false },   { 0xffe8, VK_RMENU, true },    { 0xffeb, VK_LWIN, true },
	{ 0xffec, VK_RWIN, true },     { 0xfe03, VK_RMENU, true },
};

static bool helper_input_win32_is_ctrl_alt(uint32_t keysym)
{
	return keysym == 0xffe3 || keysym == 0xffe4 || (keysym >= 0xffe7 && keysym <= 0xffea) ||
	       keysym == 0xfe03;
}

int helper_input_open(struct helper_input **out, const char *display, struct helper_origin *origin, char *err,
		      size_t errlen)
{
	struct helper_input *in = calloc(1, sizeof(*in));

	(void)display;
	if (in == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&in->lock, NULL);
	atomic_init(&in->refused, false);
	in->origin = origin;
	*out = in;
	return 0;
}

/* One event through SendInput, noting whether Windows took it (under in->lock). */
static void helper_input_win32_send(struct helper_input *in, INPUT *ev)
{
	bool refused = SendInput(1, ev, sizeof(*ev)) != 1;

	if (refused && !atomic_load(&in->refused))
		log_warn("Windows refused the technician's input (SendInput error %lu): an elevated window or a "
			 "secure desktop is in front", GetLastError());
	else if (!refused && atomic_load(&in->refused))
		log_info("Windows takes the technician's input again");
	atomic_store(&in->refused, refused);
}

static void helper_input_win32_send_key(struct helper_input *in, WORD scan, DWORD flags, bool down)
{
	INPUT ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = INPUT_KEYBOARD;
	ev.ki.wScan = scan;
	ev.ki.dwFlags = flags | (down ? 0 : KEYEVENTF_KEYUP);
	ev.ki.dwExtraInfo = INPUT_WIN32_MARK;
	helper_input_win32_send(in, &ev);
}

static void helper_input_win32_send_mouse(struct helper_input *in, DWORD flags, LONG x, LONG y, DWORD data)
{
	INPUT ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = INPUT_MOUSE;
	ev.mi.dx = x;
	ev.mi.dy = y;
	ev.mi.mouseData = data;
	ev.mi.dwFlags = flags;
	ev.mi.dwExtraInfo = INPUT_WIN32_MARK;
	helper_input_win32_send(in, &ev);
}

/* RFB bit -> (press, release) flags; 0 for the wheel bits, which turn instead. */
static const DWORD helper_input_win32_button[INPUT_WIN32_BUTTONS][2] = {
	{ MOUSEEVENTF_LEFTDOWN, MOUSEEVENTF_LEFTUP },
	{ MOUSEEVENTF_MIDDLEDOWN, MOUSEEVENTF_MIDDLEUP },
	{ MOUSEEVENTF_RIGHTDOWN, MOUSEEVENTF_RIGHTUP },
	{ 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 },
};

void helper_input_pointer(struct helper_input *in, uint32_t viewer, int buttons, int x, int y)
{
	/* The virtual desktop in physical pixels, as capture_win32.c measures it (see there). */
	DPI_AWARENESS_CONTEXT dpi = SetThreadDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE_V2);
	int vx, vy, vw, vh;
	LONG ax, ay;

	if (dpi == NULL)
		dpi = SetThreadDpiAwarenessContext(DPI_AWARENESS_CONTEXT_PER_MONITOR_AWARE);
	vx = GetSystemMetrics(SM_XVIRTUALSCREEN);
	vy = GetSystemMetrics(SM_YVIRTUALSCREEN);
	vw = GetSystemMetrics(SM_CXVIRTUALSCREEN);
	vh = GetSystemMetrics(SM_CYVIRTUALSCREEN);
	if (dpi != NULL)
		SetThreadDpiAwarenessContext(dpi);
	if (vw < 2 || vh < 2)
		return;
	/* The centre of pixel (x, y) in SendInput's 0..65535 over the virtual desktop. */
	ax = (LONG)(((long long)(x - vx) * 65535 + 32767) / (vw - 1));
	ay = (LONG)(((long long)(y - vy) * 65535 + 32767) / (vh - 1));
	pthread_mutex_lock(&in->lock);
	helper_input_win32_send_mouse(in, MOUSEEVENTF_MOVE | MOUSEEVENTF_ABSOLUTE | MOUSEEVENTF_VIRTUALDESK, ax, ay,
				      0);
	for (int i = 0; i < INPUT_WIN32_BUTTONS; i++) {
		int bit = 1 << i;
		bool down = (buttons & bit) != 0;

		if (down == ((in->buttons & bit) != 0))
			continue;
		if (i == 3 || i == 4) {
			if (down)
				helper_input_win32_send_mouse(in, MOUSEEVENTF_WHEEL, 0, 0,
							      (DWORD)(i == 3 ? WHEEL_DELTA : -WHEEL_DELTA));
		} else if (helper_input_win32_button[i][0] != 0) {
			/* RFB's button numbers, 1 left, 2 middle, 3 right, as origin_win32.c's hook names them. */
			if (down)
				helper_origin_injecting(in->origin, HELPER_ORIGIN_BUTTON, (unsigned)i + 1, viewer);
			helper_input_win32_send_mouse(in, helper_input_win32_button[i][down ? 0 : 1], 0, 0, 0);
		}
	}
	in->buttons = buttons;
	pthread_mutex_unlock(&in->lock);
}

/* The code point of a character keysym (Latin-1 or 0x01000000 + U), or 0. */
static uint32_t helper_input_win32_char(uint32_t keysym)
{
	if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff))
		return keysym;
	if (keysym >= 0x01000100 && keysym <= 0x0110ffff)
		return keysym - 0x01000000;
	return 0;
}

/* How keysym is typed: one scan-coded key or one UTF-16 unit. false: not at all. */
static bool helper_input_win32_lookup(const struct helper_input *in, uint32_t keysym, WORD *scan, DWORD *flags)
{
	uint32_t u;

	for (size_t i = 0; i < sizeof(helper_input_win32_keys) / sizeof(helper_input_win32_keys[0]); i++) {
		if (helper_input_win32_keys[i].keysym == keysym) {
			*scan = (WORD)MapVirtualKeyW(helper_input_win32_keys[i].vk, MAPVK_VK_TO_VSC);
			*flags = KEYEVENTF_SCANCODE | (helper_input_win32_keys[i].extended ? KEYEVENTF_EXTENDEDKEY : 0);
			return *scan != 0;
		}
	}
	u = helper_input_win32_char(keysym);
	/* Beyond the BMP: two units, typed by helper_input_win32_type_pair, never held. */
	if (u == 0 || u > 0xffff || (u >= 0xd800 && u < 0xe000))
		return false;
	if (in->ctrl_alt > 0) {
		SHORT vk = VkKeyScanW((WCHAR)u);

		if (vk != -1) {
			*scan = (WORD)MapVirtualKeyW((UINT)(vk & 0xff), MAPVK_VK_TO_VSC);
			*flags = KEYEVENTF_SCANCODE;
			if (*scan != 0)
				return true;
		}
	}
	*scan = (WORD)u;
	*flags = KEYEVENTF_UNICODE;
	return true;
}

/*
 * A character beyond the BMP (an emoji, a rare kanji) is two UTF-16 units,
 * each its own KEYEVENTF_UNICODE event; the program joins them in WM_CHAR.
 * Typed at the press (down and up of each unit, in order): a pair cannot
 * be held as one key, and its release then finds nothing held.
 */
static void helper_input_win32_type_pair(struct helper_input *in, uint32_t viewer, uint32_t u)
{
	const WORD unit[2] = { (WORD)(0xd800u + ((u - 0x10000u) >> 10)), (WORD)(0xdc00u + ((u - 0x10000u) & 0x3ffu)) };

	for (int i = 0; i < 2; i++) {
		helper_origin_injecting(in->origin, HELPER_ORIGIN_KEY, unit[i], viewer);
		helper_input_win32_send_key(in, unit[i], KEYEVENTF_UNICODE, true);
		helper_input_win32_send_key(in, unit[i], KEYEVENTF_UNICODE, false);
	}
}

void helper_input_key(struct helper_input *in, uint32_t viewer, bool down, uint32_t keysym)
{
	const uint32_t u = helper_input_win32_char(keysym);
	WORD scan;
	DWORD flags;

	pthread_mutex_lock(&in->lock);
	if (!down) {
		/* The release goes to the key the press used, whatever the modifiers are now. */
		for (int i = 0; i < in->nheld; i++) {
			if (in->held[i].keysym != keysym)
				continue;
			helper_input_win32_send_key(in, in->held[i].scan, in->held[i].flags, false);
			in->held[i] = in->held[--in->nheld];
			if (helper_input_win32_is_ctrl_alt(keysym) && in->ctrl_alt > 0)
				in->ctrl_alt--;
			break;
		}
		goto out;
	}
	if (u > 0xffff && u <= 0x10ffff) {
		helper_input_win32_type_pair(in, viewer, u);
		goto out;
	}
	if (!helper_input_win32_lookup(in, keysym, &scan, &flags))
		goto out;
	/* The hook sees wScan as the scan code, a Unicode key's UTF-16 unit included. */
	helper_origin_injecting(in->origin, HELPER_ORIGIN_KEY, scan, viewer);
	if (in->nheld == INPUT_WIN32_HELD) {
		/* More keys than any hand holds: type it, do not keep it down. */
		helper_input_win32_send_key(in, scan, flags, true);
		helper_input_win32_send_key(in, scan, flags, false);
		goto out;
	}
	helper_input_win32_send_key(in, scan, flags, true);
	in->held[in->nheld++] = (struct helper_input_held){ .scan = scan, .flags = flags, .keysym = keysym };
	if (helper_input_win32_is_ctrl_alt(keysym))
		in->ctrl_alt++;
out:
	pthread_mutex_unlock(&in->lock);
}

bool helper_input_refused(struct helper_input *in)
{
	return in != NULL && atomic_load(&in->refused);
}

void helper_input_forget_refusal(struct helper_input *in)
{
	if (in != NULL)
		atomic_store(&in->refused, false);
}

void helper_input_release(struct helper_input *in)
{
	if (in == NULL)
		return;
	pthread_mutex_lock(&in->lock);
	while (in->nheld > 0) {
		in->nheld--;
		helper_input_win32_send_key(in, in->held[in->nheld].scan, in->held[in->nheld].flags, false);
	}
	in->ctrl_alt = 0;
	for (int i = 0; i < 3; i++)
		if (in->buttons & (1 << i))
			helper_input_win32_send_mouse(in, helper_input_win32_button[i][1], 0, 0, 0);
	in->buttons = 0;
	pthread_mutex_unlock(&in->lock);
}

void helper_input_set_space(struct helper_input *in, int width, int height)
{
	/* SendInput's absolute positions are the virtual screen's own. */
	(void)in;
	(void)width;
	(void)height;
}

void helper_input_close(struct helper_input *in)
{
	if (in == NULL)
		return;
	helper_input_release(in);
	pthread_mutex_destroy(&in->lock);
	free(in);
}
