/*
 * verify: `handoff-tech verify EXPORT --audit-key FILE.pub`, the auditor's
 * offline check of an export (protocol/export.h). It needs no relay and no
 * network: only the export file and the relay's public audit key, obtained
 * from the operator out of band (keys/audit_ed25519.pub in the relay home;
 * `handoff-relay init` prints its fingerprint).
 */
#ifndef HANDOFF_TECH_VERIFY_H
#define HANDOFF_TECH_VERIFY_H

/* 1 when argv (argv[0] = "verify") asks for the offline check rather than the relay's `verify`. */
int tech_verify_is_offline(int argc, char **argv);
/* Runs the check; returns the exit status (0 ok, 1 the export fails, 2 usage or unreadable input). */
int tech_verify_main(int argc, char **argv);

#include <stddef.h>
#include <stdint.h>

/* Reads a whole file of at most max bytes; *out is freed by the caller. 0 or -1 after saying why on stderr. */
int tech_verify_read(const char *path, size_t max, uint8_t **out, size_t *len);

#endif
