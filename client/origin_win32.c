/*
 * origin_win32.c: see origin.h; on Windows it cannot tell yet, and says so.
 *
 * input_win32.c stamps every event it injects with a dwExtraInfo marker,
 * and a low-level hook (WH_MOUSE_LL, WH_KEYBOARD_LL) on the thread that
 * pumps the window's messages would see that marker beside
 * LLMHF_INJECTED/LLKHF_INJECTED, as XInput 2's raw events tell the X11
 * backend. Until that hook is written, helper_origin_open fails: the
 * session then grants viewers of the window view only (never control
 * whose presses could answer the window's own questions), and the
 * terminal UI, which cannot be told apart on any platform, is unchanged.
 */
#include "origin.h"

#include <stdio.h>

int helper_origin_open(struct helper_origin **out, const char *display, char *err, size_t errlen)
{
	(void)display;
	*out = NULL;
	snprintf(err, errlen, "this Windows helper cannot yet tell a viewer's input from the customer's");
	return -1;
}

void helper_origin_close(struct helper_origin *o)
{
	(void)o;
}

int helper_origin_fd(const struct helper_origin *o)
{
	(void)o;
	return -1;
}

void helper_origin_drain(struct helper_origin *o)
{
	(void)o;
}

void helper_origin_injecting(struct helper_origin *o, enum helper_origin_kind kind, unsigned detail, uint32_t viewer)
{
	(void)o;
	(void)kind;
	(void)detail;
	(void)viewer;
}

enum helper_origin_verdict helper_origin_sdl_event(struct helper_origin *o, const struct SDL_SysWMmsg *msg,
						   uint32_t *viewer, bool *key)
{
	(void)o;
	(void)msg;
	(void)viewer;
	(void)key;
	return HELPER_ORIGIN_NOT_INPUT;
}

bool helper_origin_take_ignored(struct helper_origin *o, int64_t now_ms, uint32_t *viewer, uint32_t *count)
{
	(void)o;
	(void)now_ms;
	(void)viewer;
	(void)count;
	return false;
}

int helper_origin_timeout(const struct helper_origin *o, int64_t now_ms)
{
	(void)o;
	(void)now_ms;
	return -1;
}
