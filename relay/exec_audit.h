/*
 * exec_audit.h: the auditors' read-only commands (exec_audit.c): tickets,
 * transcripts, recordings, exports, the report and verify; the long ones
 * run on the job thread (job.h).
 */
#ifndef HANDOFF_RELAY_EXEC_AUDIT_H
#define HANDOFF_RELAY_EXEC_AUDIT_H

#include "exec_args.h"

/* One per command of exec.c's table; export, verify and report run on the job thread. */
int exec_tickets(struct exec_ctx *x);
int exec_transcript(struct exec_ctx *x);
int exec_recordings(struct exec_ctx *x);
int exec_recording(struct exec_ctx *x);
int exec_export(struct exec_ctx *x);
int exec_verify(struct exec_ctx *x);
int exec_report(struct exec_ctx *x);
/* Not in the table: the one command of a peer relay's login for recordings (peerrec.c). */
int exec_peer_recording(struct exec_ctx *x);

#endif
