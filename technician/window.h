/*
 * window: the viewer on the technician's screen, with SDL2.
 *
 * One window, sized to the remote screen but never larger than this
 * display, scaled keeping the aspect ratio (SDL's logical size does the
 * letterboxing and maps mouse coordinates back to remote pixels). Keys,
 * text, mouse buttons and the wheel go to the customer's machine unless
 * view_only. Closing the window ends the session.
 */
#ifndef HANDOFF_TECH_WINDOW_H
#define HANDOFF_TECH_WINDOW_H

#include <stdbool.h>

#include "vnc.h"

/*
 * Shows the session until the window is closed (returns 0), the link
 * drops (1), or the display cannot be used (-1, message printed).
 */
int tech_window_run(struct tech_vnc *v, unsigned long ticket, bool view_only);

#endif
