/*
 * clipwatch.c: see clipwatch.h. XPending never blocks (it reads what the
 * socket already holds), so the viewer can ask every turn of its loop.
 */
#include "clipwatch.h"

#include <stdlib.h>

#include <X11/Xlib.h>
#include <X11/extensions/Xfixes.h>

struct tech_clipwatch {
	Display *dpy;
	int event_base;
};

struct tech_clipwatch *tech_clipwatch_open(void)
{
	struct tech_clipwatch *w = calloc(1, sizeof(*w));
	int error_base;

	if (w == NULL)
		return NULL;
	w->dpy = XOpenDisplay(NULL);
	if (w->dpy == NULL || !XFixesQueryExtension(w->dpy, &w->event_base, &error_base)) {
		tech_clipwatch_close(w);
		return NULL;
	}
	XFixesSelectSelectionInput(w->dpy, DefaultRootWindow(w->dpy), XInternAtom(w->dpy, "CLIPBOARD", False),
				   XFixesSetSelectionOwnerNotifyMask);
	XFlush(w->dpy);
	return w;
}

bool tech_clipwatch_changed(struct tech_clipwatch *w)
{
	bool changed = false;

	if (w == NULL)
		return false;
	while (XPending(w->dpy) > 0) {
		XEvent ev;

		XNextEvent(w->dpy, &ev);
		if (ev.type == w->event_base + XFixesSelectionNotify)
			changed = true;
	}
	return changed;
}

void tech_clipwatch_close(struct tech_clipwatch *w)
{
	if (w == NULL)
		return;
	if (w->dpy != NULL)
		XCloseDisplay(w->dpy);
	free(w);
}
