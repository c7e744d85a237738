/* bundle_cmd: `handoff-relay bundle`, the one-file helper for customers (see bundle_cmd.c). */
#ifndef HANDOFF_RELAY_BUNDLE_CMD_H
#define HANDOFF_RELAY_BUNDLE_CMD_H

/* argv[0] is the relay home; returns the exit status. */
int relay_cmd_bundle(int argc, char **argv);

#endif
