/*
 * winbox: starts a Windows program the way a double-click does, with no
 * console and no standard handles, and reads the message box it shows
 * (tests/e2e/test_windows.sh, issue 16).
 *
 *   winbox SECONDS TITLE PROGRAM [ARGS...]
 *
 * Waits up to SECONDS for a top-level window of that process titled TITLE,
 * prints "text T" (UTF-8) for every child window with text but the
 * buttons, presses the first button, and prints "exit N" once the program
 * has exited. Exits 0 when the box was found and the program exited, 1
 * when it exited without a box, 2 on bad usage or a failure of its own.
 * It is a GUI program itself, so the child has no console to join either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>

struct winbox_find {
	DWORD pid;
	const wchar_t *title;
	HWND found;
};

static BOOL CALLBACK winbox_top(HWND w, LPARAM arg)
{
	struct winbox_find *f = (struct winbox_find *)arg;
	wchar_t title[256];
	DWORD pid = 0;

	GetWindowThreadProcessId(w, &pid);
	if (pid != f->pid || !IsWindowVisible(w) || GetWindowTextW(w, title, 256) <= 0 || wcscmp(title, f->title) != 0)
		return TRUE;
	f->found = w;
	return FALSE;
}

static void winbox_print(const char *what, const wchar_t *text)
{
	char utf8[4096];

	if (WideCharToMultiByte(CP_UTF8, 0, text, -1, utf8, sizeof(utf8), NULL, NULL) > 0)
		printf("%s %s\n", what, utf8);
}

static HWND winbox_button;

static BOOL CALLBACK winbox_child(HWND w, LPARAM arg)
{
	wchar_t cls[64], text[2048];

	(void)arg;
	if (GetClassNameW(w, cls, 64) <= 0)
		return TRUE;
	if (_wcsicmp(cls, L"Button") == 0) {
		if (winbox_button == NULL)
			winbox_button = w;
		return TRUE;
	}
	if (SendMessageW(w, WM_GETTEXT, 2048, (LPARAM)text) > 0)
		winbox_print("text", text);
	return TRUE;
}

/* argv[3..] as a command line CommandLineToArgvW reads back: each quoted, none with a quote or a final backslash. */
static int winbox_cmdline(wchar_t *out, size_t len, int argc, char **argv)
{
	size_t n = 0;

	for (int i = 3; i < argc; i++) {
		wchar_t arg[1024];

		size_t l = strlen(argv[i]);

		if (strchr(argv[i], '"') != NULL || (l > 0 && argv[i][l - 1] == '\\') ||
		    MultiByteToWideChar(CP_UTF8, 0, argv[i], -1, arg, 1024) <= 0)
			return -1;
		if (n + wcslen(arg) + 4 >= len)
			return -1;
		n += (size_t)swprintf(out + n, len - n, L"%ls\"%ls\"", n > 0 ? L" " : L"", arg);
	}
	return 0;
}

int main(int argc, char **argv)
{
	STARTUPINFOW si = { .cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES };
	PROCESS_INFORMATION pi;
	struct winbox_find f = { 0 };
	wchar_t cmd[8192], title[256];
	DWORD code = 0;
	int seconds;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 4 || (seconds = atoi(argv[1])) <= 0 || seconds > 600 ||
	    MultiByteToWideChar(CP_UTF8, 0, argv[2], -1, title, 256) <= 0 || winbox_cmdline(cmd, 8192, argc, argv) != 0) {
		fprintf(stderr, "usage: winbox SECONDS TITLE PROGRAM [ARGS...]\n");
		return 2;
	}
	/* No standard handles, no console: what Explorer gives a GUI program it starts. */
	si.hStdInput = si.hStdOutput = si.hStdError = NULL;
	if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, DETACHED_PROCESS, NULL, NULL, &si, &pi)) {
		fprintf(stderr, "winbox: cannot start the program (error %lu)\n", (unsigned long)GetLastError());
		return 2;
	}
	f.pid = pi.dwProcessId;
	f.title = title;
	/* Polled: another process's window comes with no event of ours (a bounded wait, not a sleep). */
	for (int i = 0; i < seconds * 10 && f.found == NULL; i++) {
		if (WaitForSingleObject(pi.hProcess, 100) == WAIT_OBJECT_0) {
			EnumWindows(winbox_top, (LPARAM)&f);
			break;
		}
		EnumWindows(winbox_top, (LPARAM)&f);
	}
	if (f.found == NULL) {
		GetExitCodeProcess(pi.hProcess, &code);
		printf("no box\nexit %lu\n", (unsigned long)code);
		TerminateProcess(pi.hProcess, 3);
		return 1;
	}
	EnumChildWindows(f.found, winbox_child, 0);
	if (winbox_button != NULL)
		PostMessageW(winbox_button, BM_CLICK, 0, 0);
	else
		PostMessageW(f.found, WM_CLOSE, 0, 0);
	if (WaitForSingleObject(pi.hProcess, (DWORD)seconds * 1000) != WAIT_OBJECT_0) {
		printf("still running\n");
		TerminateProcess(pi.hProcess, 3);
		return 2;
	}
	GetExitCodeProcess(pi.hProcess, &code);
	printf("exit %lu\n", (unsigned long)code);
	return 0;
}
