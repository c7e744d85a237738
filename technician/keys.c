/*
 * keys.c: see keys.h. Tables follow the X11 keysym values (rfb/keysym.h is
 * a copy of X11/keysymdef.h), so the helper's XTest side can map them back
 * with XKeysymToKeycode.
 */
#include "keys.h"

#include <stdio.h>

#include <X11/Xlib.h>
#include <rfb/keysym.h>

uint32_t tech_keys_from_codepoint(uint32_t cp)
{
	if (cp == '\t')
		return XK_Tab;
	if (cp == '\n' || cp == '\r')
		return XK_Return;
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	if (cp <= 0xff)
		return cp;
	return 0x01000000u | cp;
}

uint32_t tech_keys_from_sdl_special(SDL_Keycode sym)
{
	switch (sym) {
	case SDLK_RETURN: return XK_Return;
	case SDLK_KP_ENTER: return XK_KP_Enter;
	case SDLK_BACKSPACE: return XK_BackSpace;
	case SDLK_TAB: return XK_Tab;
	case SDLK_ESCAPE: return XK_Escape;
	case SDLK_DELETE: return XK_Delete;
	case SDLK_INSERT: return XK_Insert;
	case SDLK_HOME: return XK_Home;
	case SDLK_END: return XK_End;
	case SDLK_PAGEUP: return XK_Page_Up;
	case SDLK_PAGEDOWN: return XK_Page_Down;
	case SDLK_UP: return XK_Up;
	case SDLK_DOWN: return XK_Down;
	case SDLK_LEFT: return XK_Left;
	case SDLK_RIGHT: return XK_Right;
	case SDLK_F1: return XK_F1;
	case SDLK_F2: return XK_F2;
	case SDLK_F3: return XK_F3;
	case SDLK_F4: return XK_F4;
	case SDLK_F5: return XK_F5;
	case SDLK_F6: return XK_F6;
	case SDLK_F7: return XK_F7;
	case SDLK_F8: return XK_F8;
	case SDLK_F9: return XK_F9;
	case SDLK_F10: return XK_F10;
	case SDLK_F11: return XK_F11;
	case SDLK_F12: return XK_F12;
	case SDLK_LSHIFT: return XK_Shift_L;
	case SDLK_RSHIFT: return XK_Shift_R;
	case SDLK_LCTRL: return XK_Control_L;
	case SDLK_RCTRL: return XK_Control_R;
	case SDLK_LALT: return XK_Alt_L;
	case SDLK_RALT: return XK_Alt_R;
	case SDLK_LGUI: return XK_Super_L;
	case SDLK_RGUI: return XK_Super_R;
	case SDLK_MENU: return XK_Menu;
	case SDLK_PRINTSCREEN: return XK_Print;
	case SDLK_PAUSE: return XK_Pause;
	default: return 0;
	}
}

uint32_t tech_keys_from_sdl_char(SDL_Keycode sym)
{
	/* SDL key codes of character keys are the unshifted character itself. */
	if (sym >= 0x20 && sym < 0x7f)
		return (uint32_t)sym;
	return 0;
}

/*
 * libX11 names a Unicode keysym (0x01000100 + code point) "U65E5" in a
 * string it mallocs and nobody may free (XKeysymToString's result is
 * static for every other keysym): a replay with Japanese typing leaked one
 * per key. The same name is made here instead.
 */
void tech_keys_name(uint32_t keysym, char *out, size_t outlen)
{
	const char *name;

	if (keysym >= 0x01000100u && keysym <= 0x0110ffffu) {
		uint32_t u = keysym - 0x01000000u;

		snprintf(out, outlen, u <= 0xffffu ? "U%04X" : "U%06X", (unsigned)u);
		return;
	}
	name = XKeysymToString((KeySym)keysym);
	if (name != NULL)
		snprintf(out, outlen, "%s", name);
	else
		snprintf(out, outlen, "0x%x", (unsigned)keysym);
}
