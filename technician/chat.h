/*
 * chat: talking to the customer from the terminal that runs the viewer.
 *
 * While `handoff-tech view N` runs, a second SSH login to the relay
 * follows the ticket's live chat stream (the relay's own `chat N`, so the
 * transcript so far comes first, then new lines as they are said). Lines
 * the technician types go to the customer; a few start with '/' and run a
 * relay command for the ticket instead:
 *
 *     /note TEXT            note N TEXT
 *     /escalate L2 TEXT     escalate N --to L2 --note TEXT
 *     /control              control N (ask the customer for control)
 *     /help                 the list
 *
 * A second connection rather than a second channel in the viewer's: that
 * session belongs to the tunnel's pump thread, and this keeps the two
 * apart. Everything here runs on the viewer's main thread and never
 * blocks for long: the stream is read without waiting, and a command waits
 * at most TECH_CHAT_COMMAND_SECONDS for its answer.
 */
#ifndef HANDOFF_TECH_CHAT_H
#define HANDOFF_TECH_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "connect.h"

#define TECH_CHAT_COMMAND_SECONDS 15
#define TECH_CHAT_LINE_MAX 4096

struct tech_chat;

/* Called for each line the stream brings (no newline), or a command's output line. */
typedef void (*tech_chat_line_fn)(const char *line, void *ctx);

/* Logs in again and follows ticket's chat. NULL after printing why. */
struct tech_chat *tech_chat_open(const struct tech_connect_opts *conn, unsigned long ticket);
/*
 * The same login on a thread of its own, for the window: its picture is not
 * to wait for a second key exchange and login (up to the SSH timeout per
 * step on a slow or busy relay). conn must outlive the opening. NULL when
 * no thread could be started (the viewer goes on without a chat).
 */
struct tech_chat_opening;
struct tech_chat_opening *tech_chat_open_async(const struct tech_connect_opts *conn, unsigned long ticket);
/*
 * Without waiting: 0 while the login goes on; 1 once it has ended, with
 * *out the chat or NULL (why was printed), and the opening freed.
 */
int tech_chat_open_poll(struct tech_chat_opening *o, struct tech_chat **out);
/* Waits for the login to end: the chat or NULL (why was printed); the opening is freed. */
struct tech_chat *tech_chat_open_finish(struct tech_chat_opening *o);
/* Waits for the login to end and closes what it opened (the session ended first). NULL is fine. */
void tech_chat_open_cancel(struct tech_chat_opening *o);
/* The descriptor to poll for news (the SSH socket). */
int tech_chat_fd(const struct tech_chat *c);
/*
 * Reads what arrived without waiting and calls fn per complete line.
 * 0, or -1 once the stream has ended (it is then closed; the viewer goes on).
 */
int tech_chat_read(struct tech_chat *c, tech_chat_line_fn fn, void *ctx);
/*
 * One line the technician typed: said to the customer, or a /command run
 * on the relay, its output passed to fn line by line. 0 on success, -1 when
 * it failed (why went to fn).
 */
int tech_chat_input(struct tech_chat *c, const char *line, tech_chat_line_fn fn, void *ctx);
/*
 * Runs the relay's `control N`: the customer is asked again, for control of
 * the screen this technician views only. The answer comes in the stream
 * (the helper's screen description), not here. 0, or -1 (why went to fn).
 */
int tech_chat_ask_control(struct tech_chat *c, tech_chat_line_fn fn, void *ctx);
void tech_chat_close(struct tech_chat *c);

#endif
