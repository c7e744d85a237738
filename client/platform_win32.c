/*
 * platform_win32.c: see platform.h.
 */
#include "platform.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

int helper_platform_exe_dir(char *dir, size_t len)
{
	wchar_t exe[MAX_PATH];
	DWORD n = GetModuleFileNameW(NULL, exe, MAX_PATH);
	wchar_t *slash;

	if (n == 0 || n >= MAX_PATH)
		return -1;
	exe[n] = L'\0';
	slash = wcsrchr(exe, L'\\');
	if (slash == NULL)
		return -1;
	*slash = L'\0';
	/* UTF-8, as every path the helper hands to SDL_ttf and gettext. */
	if (len > INT_MAX || WideCharToMultiByte(CP_UTF8, 0, exe, -1, dir, (int)len, NULL, NULL) == 0)
		return -1;
	return 0;
}

const char *const *helper_platform_fonts(size_t *n)
{
	/* Every Japanese edition has these; other editions get them with the Japanese language pack. */
	static const char *const fonts[] = {
		"C:\\Windows\\Fonts\\YuGothM.ttc",
		"C:\\Windows\\Fonts\\meiryo.ttc",
		"C:\\Windows\\Fonts\\msgothic.ttc",
	};

	*n = sizeof(fonts) / sizeof(fonts[0]);
	return fonts;
}

int helper_platform_setenv(const char *name, const char *value)
{
	return _putenv_s(name, value) == 0 ? 0 : -1;
}

void helper_platform_wipe(void *p, size_t n)
{
	SecureZeroMemory(p, n);
}
