/*
 * replaywin: the replay in an SDL2 window, for an auditor.
 *
 * The picture as the technician saw it, with what the technician did drawn
 * over it (the keys typed in the last seconds, the pointer and its
 * buttons), and a timeline below: elapsed and total time, speed, marks
 * where keys were typed and buttons pressed. Space plays and pauses, + and
 * - double and halve the speed, the arrows jump 10 s, Home and End go to
 * either end, a click on the timeline jumps there, o hides and shows the
 * overlay; q, Escape or closing the window quits. Jumping back replays from the start as fast as
 * possible (libvncclient cannot go backwards), jumping forward decodes up
 * to the new time.
 */
#ifndef HANDOFF_TECH_REPLAYWIN_H
#define HANDOFF_TECH_REPLAYWIN_H

#include <stdbool.h>
#include <stdint.h>

#include "recfile.h"

/*
 * Plays rf from start_us (paused there when paused) until the window is
 * closed. Returns the exit status: 0, or 1 when the display cannot be used
 * or the recording cannot be played (message printed).
 */
int tech_replaywin_run(const struct tech_recfile *rf, const char *title, double speed, uint64_t start_us,
		       bool paused);

#endif
