/*
 * hookverify: `handoff-tech webhook-verify`, a Handoff webhook checked as a
 * receiver checks it (protocol/hooksig.h), for a receiver written as a
 * script: the body on standard input, the Handoff-Signature header's value
 * and the secret's file as arguments; exit 0 when it verifies.
 */
#ifndef HANDOFF_TECH_HOOKVERIFY_H
#define HANDOFF_TECH_HOOKVERIFY_H

/* argv[0] is "webhook-verify". Returns the exit status: 0 verified, 1 refused, 2 usage or unreadable input. */
int tech_hookverify_main(int argc, char **argv);

#endif
