/*
 * files.c: see files.h.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int files_write_new(const char *path, const void *data, size_t len, mode_t mode, char *err, size_t errlen)
{
	const char *p = data;
	size_t left = len;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	return close(fd);
fail:
	snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
	close(fd);
	unlink(path);
	return -1;
}
