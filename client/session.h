/*
 * session: one run of the helper, from signing in at the relay to the end,
 * around the program's single event loop.
 */
#ifndef HANDOFF_HELPER_SESSION_H
#define HANDOFF_HELPER_SESSION_H

#include "cli.h"

/*
 * Runs the whole session and returns the process exit status: 0 when the
 * customer or the relay ended it, 1 when it failed or the relay was lost.
 * Wipes the support code in o once it has been used.
 */
int helper_session_run(struct helper_options *o);

#endif
