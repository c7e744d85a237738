/*
 * monitor: which part of the customer's screen a viewer shows, and what it
 * says about the screen, from the description the customer's helper sends
 * (protocol/screeninfo.h; tech_vnc keeps the last one).
 *
 * A viewer picks one monitor (1..count, as the helper numbers them) or all
 * of them (0). A pick that the screen does not have, or no description at
 * all (an older helper), shows the whole framebuffer. The window maps its
 * pixels to the customer's through tech_monitor_layout and
 * tech_monitor_to_remote, so a click lands on the pixel it was drawn from
 * and never outside the monitor shown.
 *
 * Pure functions, no SDL and no RFB: the window and the headless viewer
 * share them, and the unit tests run them without a display.
 */
#ifndef HANDOFF_TECH_MONITOR_H
#define HANDOFF_TECH_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "screeninfo.h"

/* Buffer sizes that always hold what the functions below write. */
#define TECH_MONITOR_LABEL_MAX 96
#define TECH_MONITOR_DESCRIBE_MAX (64 + SCREENINFO_MONITORS_MAX * (SCREENINFO_NAME_MAX + 48))

struct tech_rect {
	int x, y, w, h;
};

/*
 * Effective control: this viewer's input reaches the customer. Never with
 * --view-only; otherwise as the helper says, and when it says nothing (an
 * older helper), the consent the customer gave is all we know.
 */
bool tech_monitor_control(bool view_only, const struct screeninfo *si);

/*
 * The framebuffer part that monitor (0: all, k: si's monitor k) covers in
 * a fb_w x fb_h framebuffer, into *box. Returns the monitor shown: monitor
 * itself, or 0 (the whole framebuffer) when si is NULL or has no monitor
 * k inside the framebuffer.
 */
int tech_monitor_box(const struct screeninfo *si, int monitor, int fb_w, int fb_h, struct tech_rect *box);

/* F8 m's cycle through count monitors: all, 1, 2, ..., count, all. */
int tech_monitor_next(int shown, int count);

/*
 * What the viewer asked for (--monitor), and whether it was told it is not
 * there. A front end calls tech_monitor_pick_update once the screen is
 * known (a description arrived, or the first picture did without one) and
 * whenever either changes.
 */
struct tech_monitor_pick {
	int wanted;       /* 0: all, k: monitor k */
	int shown;        /* what tech_monitor_box gave for it last time */
	bool settled;     /* shown was decided at least once */
};

/*
 * Decides what is shown now (into pick->shown and *box). Returns true when
 * the wanted monitor has just become unavailable (or was never there), so
 * the front end says so once, not at every update.
 */
bool tech_monitor_pick_update(struct tech_monitor_pick *pick, const struct screeninfo *si, int fb_w, int fb_h,
			      struct tech_rect *box);

/*
 * Where box goes in an out_w x out_h window with a frame of border pixels:
 * src is the framebuffer part drawn, dst where. Scaled: all of box,
 * keeping its aspect, centred. One to one: as much of box as fits, from
 * the pan position (framebuffer pixels, clamped into box here).
 */
void tech_monitor_layout(const struct tech_rect *box, int out_w, int out_h, int border, bool one_to_one,
			 int *pan_x, int *pan_y, struct tech_rect *src, struct tech_rect *dst);

/* Window pixel wx,wy to framebuffer pixel *rx,*ry, clamped into box. */
void tech_monitor_to_remote(const struct tech_rect *box, const struct tech_rect *src, const struct tech_rect *dst,
			    int wx, int wy, int *rx, int *ry);

/* "monitor 2/2 RIGHT 800x600", "all monitors (2)", or "whole screen" without si. */
void tech_monitor_label(const struct screeninfo *si, int shown, const struct tech_rect *box, char *out,
			size_t outlen);

/*
 * One line for scripts (the headless "info" line):
 * "control=yes paused=no monitors=2 1:LEFT:800x600+0+0 2:RIGHT:800x600+800+0".
 * control is the helper's flag as sent. Names keep their UTF-8; blanks,
 * control characters and ':' in them become '_', so the line splits on
 * spaces and each monitor on its first two ':'.
 */
void tech_monitor_describe(const struct screeninfo *si, char *out, size_t outlen);

#endif
