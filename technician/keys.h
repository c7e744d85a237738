/*
 * keys: what the technician types, as X keysyms for RFB KeyEvents.
 *
 * RFB carries keysyms, not key codes or characters, so every input path
 * ends here: SDL key codes for keys that are not characters (Return,
 * arrows, modifiers, F-keys), and Unicode code points for the characters
 * SDL's text input produced or the headless `type` command was given.
 */
#ifndef HANDOFF_TECH_KEYS_H
#define HANDOFF_TECH_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

/*
 * The keysym that types the code point cp: Latin-1 code points are their
 * own keysyms, everything else above is 0x01000000 | cp (the X convention
 * for Unicode keysyms), tab and newline are the Tab and Return keys. 0 for
 * control characters that no key types.
 */
uint32_t tech_keys_from_codepoint(uint32_t cp);
/*
 * The keysym of a key that does not produce text (Return, arrows, F-keys,
 * modifiers...). 0 when the key is a character key, left to text input.
 */
uint32_t tech_keys_from_sdl_special(SDL_Keycode sym);
/*
 * For a character key pressed with Ctrl or Alt, where SDL gives no text
 * event: the keysym of the unshifted character on the key, or 0.
 */
uint32_t tech_keys_from_sdl_char(SDL_Keycode sym);
/* The X name of keysym ("Return", "a", "Japanese_...") or 0xHEX, for replays and their timelines. */
void tech_keys_name(uint32_t keysym, char *out, size_t outlen);

#endif
