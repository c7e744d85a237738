/*
 * heads: `handoff-tech witness --audit-key FILE.pub EVIDENCE...`, an
 * auditor's own record of the relay's signed heads (protocol/witness.h).
 *
 * EVIDENCE is an export (`export N > FILE`) or the relay's `verify --json`
 * output (a file, or - for standard input). Each is checked against every
 * head kept so far for that audit key; if the relay still contains them
 * all, its newest head is kept too. Heads live in
 * $XDG_CONFIG_HOME/handoff/witness/ (~/.config/handoff/witness/), one file
 * per audit key, named by the key's SHA-256; --dir DIR puts them elsewhere.
 */
#ifndef HANDOFF_TECH_HEADS_H
#define HANDOFF_TECH_HEADS_H

/* Returns the exit status: 0 all kept heads contained, 1 truncation or fork (or evidence that fails), 2 usage. */
int tech_heads_main(int argc, char **argv);

#endif
