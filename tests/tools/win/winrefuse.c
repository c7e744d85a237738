/*
 * winrefuse: what a real Windows refuses an unprivileged helper, played
 * at the helper's imports, for the test of what the helper then tells
 * both sides (tests/e2e/test_windows_refused.sh). Wine 8 cannot refuse
 * either: its OpenInputDesktop always opens the caller's own desktop
 * (SwitchDesktop is a stub) and it has no integrity levels, so SendInput
 * never meets UIPI (README, Known limits).
 *
 * Linked first into a test build of the helper, never the product
 * (build/win64/tests/handoff-helper-refused.exe, from the same objects as
 * handoff-helper.exe): it defines the import slots __imp_OpenInputDesktop
 * and __imp_SendInput, through which every call of capture_win32.c and
 * input_win32.c goes, so the linker takes user32's members for neither.
 * Everything else reaches Windows (Wine) as in the product.
 *
 * WINREFUSE_FILE names a file read at every call; its first word says
 * what Windows does now:
 *   secure    OpenInputDesktop fails with ERROR_ACCESS_DENIED, as on the
 *             secure desktop of a UAC prompt (it belongs to SYSTEM)
 *   winlogon  OpenInputDesktop opens a desktop named "Winlogon" (made
 *             here with CreateDesktopW), as an account allowed to open it
 *             would see it
 *   elevated  SendInput inserts nothing, ERROR_ACCESS_DENIED, as UIPI
 *             does when an elevated window is in front
 * anything else, or no file: the real calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

enum winrefuse_mode { WINREFUSE_NONE, WINREFUSE_SECURE, WINREFUSE_WINLOGON, WINREFUSE_ELEVATED };

static enum winrefuse_mode winrefuse_mode(void)
{
	const char *path = getenv("WINREFUSE_FILE");
	char word[16] = "";
	FILE *f;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return WINREFUSE_NONE;
	if (fscanf(f, "%15s", word) != 1)
		word[0] = '\0';
	fclose(f);
	return strcmp(word, "secure") == 0     ? WINREFUSE_SECURE
	       : strcmp(word, "winlogon") == 0 ? WINREFUSE_WINLOGON
	       : strcmp(word, "elevated") == 0 ? WINREFUSE_ELEVATED
					       : WINREFUSE_NONE;
}

static FARPROC winrefuse_real(const char *name)
{
	return GetProcAddress(GetModuleHandleW(L"user32.dll"), name);
}

static HDESK WINAPI winrefuse_open_input_desktop(DWORD flags, BOOL inherit, ACCESS_MASK access)
{
	static HDESK winlogon;  /* kept open so that the desktop lives on between calls */
	HDESK(WINAPI * real)(DWORD, BOOL, ACCESS_MASK);

	switch (winrefuse_mode()) {
	case WINREFUSE_SECURE:
		SetLastError(ERROR_ACCESS_DENIED);
		return NULL;
	case WINREFUSE_WINLOGON:
		if (winlogon == NULL)
			winlogon = CreateDesktopW(L"Winlogon", NULL, NULL, 0, GENERIC_ALL, NULL);
		return winlogon != NULL ? OpenDesktopW(L"Winlogon", flags, inherit, access) : NULL;
	default:
		real = (HDESK(WINAPI *)(DWORD, BOOL, ACCESS_MASK))(void (*)(void))winrefuse_real("OpenInputDesktop");
		return real != NULL ? real(flags, inherit, access) : NULL;
	}
}

static UINT WINAPI winrefuse_send_input(UINT n, LPINPUT inputs, int size)
{
	UINT(WINAPI * real)(UINT, LPINPUT, int);

	if (winrefuse_mode() == WINREFUSE_ELEVATED) {
		SetLastError(ERROR_ACCESS_DENIED);
		return 0;
	}
	real = (UINT(WINAPI *)(UINT, LPINPUT, int))(void (*)(void))winrefuse_real("SendInput");
	return real != NULL ? real(n, inputs, size) : 0;
}

/* The import slots the helper's dllimport calls read (mingw's names for them). */
HDESK(WINAPI *__imp_OpenInputDesktop)(DWORD, BOOL, ACCESS_MASK) = winrefuse_open_input_desktop;
UINT(WINAPI *__imp_SendInput)(UINT, LPINPUT, int) = winrefuse_send_input;
