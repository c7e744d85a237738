/*
 * platform_linux.c: see platform.h.
 */
#include "platform.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int helper_platform_exe_dir(char *dir, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(dir, len, "%s", exe) >= len)
		return -1;
	return 0;
}

const char *const *helper_platform_fonts(size_t *n)
{
	static const char *const fonts[] = {
		"/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
		"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
		"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	};

	*n = sizeof(fonts) / sizeof(fonts[0]);
	return fonts;
}

int helper_platform_setenv(const char *name, const char *value)
{
	return setenv(name, value, 1) == 0 ? 0 : -1;
}

void helper_platform_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}
