/*
 * files: creating the files that hold secrets and settings.
 */
#ifndef HANDOFF_FILES_H
#define HANDOFF_FILES_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes data to a new file of the given mode and fsyncs it. Never replaces
 * an existing file (a key overwritten by mistake cannot be recovered).
 * 0, or -1 with err; a half-written file is removed.
 */
int files_write_new(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t errlen);
/* Writes all n bytes to fd, again after EINTR and short writes. 0, or -1 (errno kept; a 0-byte write is EIO). */
int files_write_all(int fd, const void *p, size_t n);

#endif
