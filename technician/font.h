/*
 * font: a 5x7 bitmap font for the replay window's overlay (timeline,
 * technician input), drawn with the SDL renderer. Enough for printable
 * ASCII, which is what key names and times need; no font files, no
 * SDL2_ttf, nothing to install or to find at run time.
 */
#ifndef HANDOFF_TECH_FONT_H
#define HANDOFF_TECH_FONT_H

#include <SDL.h>

#define TECH_FONT_W 6   /* advance per character at scale 1, spacing included */
#define TECH_FONT_H 9   /* line height at scale 1 */

/*
 * Draws text with its top-left corner at x,y, each font pixel scale x scale
 * screen pixels, in the renderer's current draw colour. Characters outside
 * printable ASCII (including each UTF-8 sequence) show as '?'.
 */
void tech_font_draw(SDL_Renderer *ren, int x, int y, int scale, const char *text);
/* Width of text in screen pixels at scale. */
int tech_font_width(const char *text, int scale);

#endif
