/*
 * keygen: `handoff-tech keygen --out PATH`, the auditors' recording key.
 *
 * The relay seals recordings to the public half (PATH.pub, installed with
 * `handoff-relay recording-key DIR PATH.pub`); only the private half (PATH,
 * mode 0600) opens them, and it never goes near the relay.
 */
#ifndef HANDOFF_TECH_KEYGEN_H
#define HANDOFF_TECH_KEYGEN_H

/* argv[0] is "keygen". Returns the exit status. */
int tech_keygen_main(int argc, char **argv);

#endif
