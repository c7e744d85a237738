/*
 * exec_ticket.h: the commands of a ticket's life, from ticket new to
 * resolve, reopen and close (exec_ticket.c); exec.c's table runs them.
 */
#ifndef HANDOFF_RELAY_EXEC_TICKET_H
#define HANDOFF_RELAY_EXEC_TICKET_H

#include "exec_args.h"

/* One per command of exec.c's table. */
int exec_ticket_new(struct exec_ctx *x);
int exec_ticket_show(struct exec_ctx *x);
int exec_ticket_attachment(struct exec_ctx *x);
int exec_queue(struct exec_ctx *x);
int exec_mine(struct exec_ctx *x);
int exec_take(struct exec_ctx *x);
int exec_control(struct exec_ctx *x);
int exec_chat(struct exec_ctx *x);
int exec_note(struct exec_ctx *x);
int exec_wait(struct exec_ctx *x);
int exec_triage(struct exec_ctx *x);
int exec_escalate(struct exec_ctx *x);
int exec_reopen(struct exec_ctx *x);
int exec_close(struct exec_ctx *x);
int exec_resolve(struct exec_ctx *x);
int exec_invite(struct exec_ctx *x);

#endif
