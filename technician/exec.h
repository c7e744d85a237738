/*
 * exec: every command that is not `view` runs on the relay as an SSH exec
 * request, exactly as `ssh relay COMMAND ARGS` would run it: the remote
 * stdout and stderr come out on ours, our stdin goes to the command, and we
 * exit with the remote exit status. So `handoff-tech invite 1` prints what
 * `ssh ... invite 1` prints, byte for byte.
 */
#ifndef HANDOFF_TECH_EXEC_H
#define HANDOFF_TECH_EXEC_H

#include <stddef.h>

#include <libssh/libssh.h>

/*
 * Runs argv[0..argc) on the relay over the authenticated session s (not
 * taken: the caller still frees it). Returns the remote exit status
 * (0..255), or TECH_EXIT_SSH after printing why when no status came back.
 */
int tech_exec_run(ssh_session s, char *const *argv, size_t argc);

#endif
