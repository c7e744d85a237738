/*
 * clipwatch: tells the viewer when someone on the technician's X display
 * copied something, so it can pass the text on at once.
 *
 * SDL 2.26 reports SDL_CLIPBOARDUPDATE on X11 only when SDL itself loses
 * the selection, not when another program takes it over from another
 * program, so a copy in the technician's terminal would go unnoticed. The
 * XFixes extension tells every change of the CLIPBOARD owner; this module
 * keeps its own small X connection for that and nothing else. Without X
 * (or XFixes) it watches nothing and the viewer falls back to SDL's event.
 */
#ifndef HANDOFF_TECH_CLIPWATCH_H
#define HANDOFF_TECH_CLIPWATCH_H

#include <stdbool.h>

struct tech_clipwatch;

/* A watcher on $DISPLAY, or NULL when there is none to be had. Free with tech_clipwatch_close. */
struct tech_clipwatch *tech_clipwatch_open(void);
/* True once per batch of owner changes since the last call; never blocks. */
bool tech_clipwatch_changed(struct tech_clipwatch *w);
void tech_clipwatch_close(struct tech_clipwatch *w);

#endif
