/*
 * replay: `handoff-tech replay FILE --key PRIV [--headless] [--speed X]
 * [--snapshot OUT] [--until SECONDS]`, a sealed recording played back for
 * an auditor: the customer's screen as the technician saw it, and what the
 * technician typed and clicked.
 *
 * In a window (replaywin.h) with play/pause, speed, seek and a timeline;
 * or headless, for scripts and tests: input events printed as lines
 *   input 1.200 key a down
 *   input 1.000 pointer 10 20 buttons 1
 * then optionally the framebuffer at the end (or at --until) written like
 * the live viewer's snapshot, and "ok WxH frames=N duration=S".
 */
#ifndef HANDOFF_TECH_REPLAY_H
#define HANDOFF_TECH_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clientmsg.h"
#include "recfile.h"

/* argv[0] is "replay". Returns the exit status. */
int tech_replay_main(int argc, char **argv);

/*
 * Opens the recording for a replay or a render, saying on stderr what an
 * auditor must know about it (truncated, input not kept, input that could
 * not be followed). 0, or -1 with the reason printed.
 */
int tech_replay_open(struct tech_recfile *rf, const char *file, const char *key);


/* Parses "12.5" seconds into microseconds: 0, or -1 if it is not a time. */
int tech_replay_seconds(const char *s, uint64_t *us);

#endif
