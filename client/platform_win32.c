/*
 * platform_win32.c: see platform.h.
 *
 * Two things here keep state in statics, which the rest of the helper
 * does not: a console control handler takes no context pointer, so the
 * wake it signals must be reachable without one; and standard input is
 * the process's, so there is at most one thread copying it.
 */
#include "platform.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include <winsock2.h>
#include <windows.h>

#include <libintl.h>
#include <openssl/evp.h>

#include "buf.h"
#include "bundle.h"
#include "hsock.h"
#include "wake.h"

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

/*
 * The catalogs are RCDATA resources named MO_<LANG> (handoff-helper.rc,
 * written by the Makefile from po/). libintl reads only files, so each is
 * written under %LOCALAPPDATA%\Handoff\locale-<hash of the catalogs>\
 * <lang>\LC_MESSAGES: a new .exe with other catalogs gets a folder of its
 * own, and a helper that finds the file with the right size already there
 * (an earlier run) leaves it. Written to a name of its own and renamed,
 * so two helpers starting at once never read half a catalog.
 */
#define PLATFORM_WIN32_CATALOGS 16

struct platform_win32_catalog {
	wchar_t lang[16];
	const unsigned char *data;
	DWORD size;
};

struct platform_win32_catalogs {
	struct platform_win32_catalog c[PLATFORM_WIN32_CATALOGS];
	size_t n;
};

static BOOL CALLBACK platform_win32_catalog_one(HMODULE mod, LPCWSTR type, LPWSTR name, LONG_PTR arg)
{
	struct platform_win32_catalogs *all = (struct platform_win32_catalogs *)arg;
	struct platform_win32_catalog *c;
	HRSRC res;
	HGLOBAL mem;
	size_t len;

	(void)type;
	if (IS_INTRESOURCE(name) || wcsncmp(name, L"MO_", 3) != 0 || all->n == PLATFORM_WIN32_CATALOGS)
		return TRUE;
	len = wcslen(name + 3);
	if (len == 0 || len >= 16)
		return TRUE;
	c = &all->c[all->n];
	/* Resource names are upper case: "JA" is ja, "PT_BR" pt_BR. */
	for (size_t i = 0, under = 0; i <= len; i++) {
		wchar_t ch = name[3 + i];

		if (ch == L'_')
			under = 1;
		else if (!under && ch >= L'A' && ch <= L'Z')
			ch = (wchar_t)(ch - L'A' + L'a');
		else if (!((ch >= L'A' && ch <= L'Z') || (ch >= L'a' && ch <= L'z') || ch == L'\0'))
			return TRUE;
		c->lang[i] = ch;
	}
	if ((res = FindResourceW(mod, name, MAKEINTRESOURCEW(10))) == NULL || (mem = LoadResource(mod, res)) == NULL)
		return TRUE;
	c->data = LockResource(mem);
	c->size = SizeofResource(mod, res);
	if (c->data != NULL && c->size > 0)
		all->n++;
	return TRUE;
}

/* Makes every folder on the way to path (a full path, backslashes). */
static int platform_win32_mkdirs(wchar_t *path)
{
	for (wchar_t *p = path + 3; *p != L'\0'; p++) {
		if (*p != L'\\')
			continue;
		*p = L'\0';
		if (!CreateDirectoryW(path, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
			*p = L'\\';
			return -1;
		}
		*p = L'\\';
	}
	return CreateDirectoryW(path, NULL) || GetLastError() == ERROR_ALREADY_EXISTS ? 0 : -1;
}

static int platform_win32_write_catalog(const wchar_t *root, const struct platform_win32_catalog *c)
{
	wchar_t dir[MAX_PATH], file[MAX_PATH], tmp[MAX_PATH];
	WIN32_FILE_ATTRIBUTE_DATA have;
	HANDLE h;
	DWORD done = 0;
	BOOL ok;

	if (_snwprintf(dir, MAX_PATH, L"%ls\\%ls\\LC_MESSAGES", root, c->lang) >= MAX_PATH - 32 ||
	    platform_win32_mkdirs(dir) != 0)
		return -1;
	_snwprintf(file, MAX_PATH, L"%ls\\handoff-helper.mo", dir);
	if (GetFileAttributesExW(file, GetFileExInfoStandard, &have) && have.nFileSizeHigh == 0 &&
	    have.nFileSizeLow == c->size)
		return 0;
	_snwprintf(tmp, MAX_PATH, L"%ls\\handoff-helper.mo.%lu", dir, (unsigned long)GetCurrentProcessId());
	h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return -1;
	ok = WriteFile(h, c->data, c->size, &done, NULL) && done == c->size;
	CloseHandle(h);
	if (!ok || !MoveFileExW(tmp, file, MOVEFILE_REPLACE_EXISTING)) {
		DeleteFileW(tmp);
		return -1;
	}
	return 0;
}

int helper_platform_bind_catalogs(const char *domain)
{
	struct platform_win32_catalogs all = { .n = 0 };
	const wchar_t *base = _wgetenv(L"LOCALAPPDATA");
	wchar_t root[MAX_PATH];
	uint64_t hash = 1469598103934665603ull;   /* FNV-1a over every catalog */
	int written = 0;

	EnumResourceNamesW(NULL, MAKEINTRESOURCEW(10), platform_win32_catalog_one, (LONG_PTR)&all);
	if (all.n == 0 || base == NULL || base[0] == L'\0')
		return -1;
	for (size_t i = 0; i < all.n; i++) {
		for (const wchar_t *l = all.c[i].lang; *l != L'\0'; l++)
			hash = (hash ^ (uint64_t)*l) * 1099511628211ull;
		for (DWORD j = 0; j < all.c[i].size; j++)
			hash = (hash ^ all.c[i].data[j]) * 1099511628211ull;
	}
	if (_snwprintf(root, MAX_PATH, L"%ls\\Handoff\\locale-%016llx", base, (unsigned long long)hash) >=
	    MAX_PATH - 64)
		return -1;
	for (size_t i = 0; i < all.n; i++)
		if (platform_win32_write_catalog(root, &all.c[i]) == 0)
			written++;
	if (written == 0)
		return -1;
	/* Wide: the user's folder may have a name the ANSI code page cannot spell. */
	return wbindtextdomain(domain, root) != NULL ? 0 : -1;
}

/* True when the C library's stdout and stderr reach something (a pipe, a file or a console). */
static bool platform_win32_has_stdio(void)
{
	HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE), errh = GetStdHandle(STD_ERROR_HANDLE);

	return out != NULL && out != INVALID_HANDLE_VALUE && errh != NULL && errh != INVALID_HANDLE_VALUE;
}

static void platform_win32_reopen_stdio(void)
{
	/* The console's own handles: the C library's streams were opened on nothing. */
	if (freopen("CONIN$", "r", stdin) == NULL || freopen("CONOUT$", "w", stdout) == NULL ||
	    freopen("CONOUT$", "w", stderr) == NULL)
		return;
	setvbuf(stderr, NULL, _IONBF, 0);
}

const char *helper_platform_ui_language(void)
{
	wchar_t langs[256];
	ULONG n = 0, len = sizeof(langs) / sizeof(langs[0]);

	/* A list of names ("ja-JP\0en-US\0\0"); a list too long for the buffer falls back to the one. */
	if (GetUserPreferredUILanguages(MUI_LANGUAGE_NAME, &n, langs, &len) && n > 0 && langs[0] != L'\0')
		return wcsncmp(langs, L"ja", 2) == 0 && (langs[2] == L'\0' || langs[2] == L'-') ? "ja" : "en";
	return PRIMARYLANGID(GetUserDefaultUILanguage()) == LANG_JAPANESE ? "ja" : "en";
}

/*
 * Whether standard error reaches someone who stays to read it: redirected,
 * or a parent's console. False for a double-clicked .exe, and for one whose
 * console is its own (AllocConsole), which closes as it exits. A fact of the
 * process, set by helper_platform_console, read by last_words.
 */
static bool platform_win32_stderr_read = true;

void helper_platform_console(bool needed)
{
	if (platform_win32_has_stdio())
		return;
	if (AttachConsole(ATTACH_PARENT_PROCESS)) {
		platform_win32_reopen_stdio();
		return;
	}
	platform_win32_stderr_read = false;
	if (needed && AllocConsole())
		platform_win32_reopen_stdio();
}

void helper_platform_last_words(const char *text)
{
	wchar_t wide[1024];

	if (platform_win32_stderr_read)
		return;
	if (MultiByteToWideChar(CP_UTF8, 0, text, -1, wide, (int)(sizeof(wide) / sizeof(wide[0]))) > 0)
		MessageBoxW(NULL, wide, L"Remote support", MB_OK | MB_ICONERROR | MB_SETFOREGROUND);
}

int helper_platform_font_data(const void **data, size_t *len)
{
	HRSRC res = FindResourceW(NULL, L"FONT_JA", MAKEINTRESOURCEW(10));
	HGLOBAL mem;

	*data = NULL;
	*len = 0;
	if (res == NULL || (mem = LoadResource(NULL, res)) == NULL || (*data = LockResource(mem)) == NULL)
		return -1;
	*len = SizeofResource(NULL, res);
	return *len > 0 ? 0 : -1;
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

const char *helper_platform_default_display(void)
{
	/* A process shares the desktop it runs on; DISPLAY (Wine sets it) names nothing here. */
	return "desktop";
}

int helper_platform_setenv(const char *name, const char *value)
{
	return _putenv_s(name, value) == 0 ? 0 : -1;
}

void helper_platform_wipe(void *p, size_t n)
{
	SecureZeroMemory(p, n);
}

/* Written by the console's handler thread, read by the loop. */
static struct wake helper_platform_signal_wake = { .fd = -1, .peer = -1 };
static volatile LONG helper_platform_signal_seen;

static BOOL WINAPI helper_platform_on_console(DWORD type)
{
	switch (type) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
	case CTRL_LOGOFF_EVENT:
	case CTRL_SHUTDOWN_EVENT:
		InterlockedExchange(&helper_platform_signal_seen, type == CTRL_C_EVENT ? SIGINT : SIGTERM);
		if (helper_platform_signal_wake.peer >= 0)
			wake_signal(&helper_platform_signal_wake);
		/* Handled: the loop ends the session and the process exits by itself. */
		return TRUE;
	default:
		return FALSE;
	}
}

int helper_platform_signals_open(void)
{
	if (helper_platform_signal_wake.fd < 0 && wake_open(&helper_platform_signal_wake) != 0)
		return -1;
	if (!SetConsoleCtrlHandler(helper_platform_on_console, TRUE)) {
		wake_close(&helper_platform_signal_wake);
		errno = EINVAL;
		return -1;
	}
	return helper_platform_signal_wake.fd;
}

int helper_platform_signals_take(int fd)
{
	(void)fd;
	if (!wake_drain(&helper_platform_signal_wake))
		return 0;
	return (int)InterlockedExchange(&helper_platform_signal_seen, 0);
}

void helper_platform_signals_close(int fd)
{
	if (fd < 0)
		return;
	/* The handler stays: it still sets the flag helper_platform_signal_pending reads. */
	wake_close(&helper_platform_signal_wake);
}

bool helper_platform_signal_pending(void)
{
	return InterlockedExchange(&helper_platform_signal_seen, 0) != 0;
}

void helper_platform_ignore_sigpipe(void)
{
	/* Winsock has no SIGPIPE; a closed peer costs an error code. */
}

/* The thread that copies stdin into the pair, and its end of it. */
static struct {
	pthread_t thread;
	bool started;
	int write_fd;
	HANDLE in;
} helper_platform_stdin = { .write_fd = -1 };

static void *helper_platform_stdin_copy(void *arg)
{
	char buf[4096];
	DWORD n;

	(void)arg;
	/* Ends at EOF, at an error, or when close cancels the read or closes the pair. */
	while (ReadFile(helper_platform_stdin.in, buf, sizeof(buf), &n, NULL) && n > 0) {
		size_t off = 0;

		while (off < n) {
			ssize_t w = hsock_send(helper_platform_stdin.write_fd, buf + off, n - off);

			if (w <= 0)
				return NULL;
			off += (size_t)w;
		}
	}
	/* EOF for the reader. */
	hsock_shutdown_write(helper_platform_stdin.write_fd);
	return NULL;
}

int helper_platform_stdin_open(void)
{
	int sv[2];

	if (helper_platform_stdin.started)
		return -1;
	helper_platform_stdin.in = GetStdHandle(STD_INPUT_HANDLE);
	if (helper_platform_stdin.in == NULL || helper_platform_stdin.in == INVALID_HANDLE_VALUE)
		return -1;
	if (hsock_pair(sv) != 0)
		return -1;
	helper_platform_stdin.write_fd = sv[1];
	if (pthread_create(&helper_platform_stdin.thread, NULL, helper_platform_stdin_copy, NULL) != 0) {
		hsock_close(sv[0]);
		hsock_close(sv[1]);
		helper_platform_stdin.write_fd = -1;
		return -1;
	}
	helper_platform_stdin.started = true;
	return sv[0];
}

ssize_t helper_platform_stdin_read(int fd, void *buf, size_t len)
{
	ssize_t n = hsock_recv(fd, buf, len);

	if (n < 0)
		errno = hsock_would_block() ? EAGAIN : EIO;
	return n;
}

void helper_platform_stdin_close(int fd)
{
	if (fd < 0)
		return;
	hsock_close(fd);
	if (!helper_platform_stdin.started)
		return;
	/*
	 * The copy may sit in ReadFile on a console or pipe that never ends;
	 * cancelling that read ends it, and a copy that still would not end
	 * within a second is left to the process's exit (it holds nothing
	 * else than its end of the pair).
	 */
	CancelSynchronousIo(pthread_gethandle(helper_platform_stdin.thread));
	if (WaitForSingleObject(pthread_gethandle(helper_platform_stdin.thread), 1000) == WAIT_OBJECT_0) {
		pthread_join(helper_platform_stdin.thread, NULL);
		hsock_close(helper_platform_stdin.write_fd);
	} else {
		pthread_detach(helper_platform_stdin.thread);
	}
	helper_platform_stdin.write_fd = -1;
	helper_platform_stdin.started = false;
}

/* Standard error for a terminal, a message box for a customer who double-clicked. */
static void helper_platform_bundle_damaged(void)
{
	wchar_t text[1024];

	fputs("handoff: " BUNDLE_DAMAGED_TEXT, stderr);
	fflush(stderr);
	if (MultiByteToWideChar(CP_UTF8, 0, BUNDLE_DAMAGED_TEXT, -1, text, 1024) > 0)
		MessageBoxW(NULL, text, L"Remote support", MB_OK | MB_ICONERROR | MB_SETFOREGROUND);
}

/*
 * Checks the payload of the mapped file against its trailer and copies the
 * arguments of etc/args out: 0 with *n (0: not a bundle), -1 when damaged.
 */
static int helper_platform_bundle_read(const uint8_t *file, size_t size, char *copy, size_t copylen,
				       const char **args, size_t *n)
{
	uint8_t want[32], got[32];
	unsigned int glen = 0;
	size_t off, len;
	struct buf b;
	struct bundle_entry e;
	int r = bundle_trailer(file, size, &off, &len, want);

	*n = 0;
	if (r == BUF_ERR_FORMAT || r == BUF_ERR_SHORT)
		return 0;
	if (r != 0 || EVP_Digest(file + off, len, got, &glen, EVP_sha256(), NULL) != 1 || glen != 32 ||
	    memcmp(got, want, 32) != 0)
		return -1;
	buf_view(&b, file + off, len);
	while ((r = bundle_next(&b, &e)) == 1)
		if (strcmp(e.path, "etc/args") == 0 && bundle_args(e.data, e.len, copy, copylen, args, n) != 0)
			return -1;
	/* The hash matched: a payload that does not parse was made wrong, and is refused all the same. */
	return r == 0 ? 0 : -1;
}

int helper_platform_bundle_args(int *argc, char ***argv)
{
	/* Until exit: the new argv points into them. */
	static char copy[8192];
	static const char *args[BUNDLE_ARGS_MAX];
	static char *av[BUNDLE_ARGS_MAX + 64];
	wchar_t exe[MAX_PATH];
	DWORD len = GetModuleFileNameW(NULL, exe, MAX_PATH);
	HANDLE f, map = NULL;
	LARGE_INTEGER size;
	const uint8_t *view = NULL;
	size_t n = 0;
	int rc = 0, ac = 0;

	if (len == 0 || len >= MAX_PATH)
		return 0;
	f = CreateFileW(exe, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return 0;
	if (GetFileSizeEx(f, &size) && size.QuadPart > 0 && (map = CreateFileMappingW(f, NULL, PAGE_READONLY, 0, 0,
										      NULL)) != NULL)
		view = MapViewOfFile(map, FILE_MAP_READ, 0, 0, 0);
	if (view != NULL)
		rc = helper_platform_bundle_read(view, (size_t)size.QuadPart, copy, sizeof(copy), args, &n);
	if (view != NULL)
		UnmapViewOfFile(view);
	if (map != NULL)
		CloseHandle(map);
	CloseHandle(f);
	if (rc != 0) {
		helper_platform_bundle_damaged();
		return -1;
	}
	if (n == 0)
		return 0;
	av[ac++] = (*argv)[0];
	for (size_t i = 0; i < n; i++)
		av[ac++] = (char *)args[i];
	for (int i = 1; i < *argc && ac + 1 < (int)(sizeof(av) / sizeof(av[0])); i++)
		av[ac++] = (*argv)[i];
	av[ac] = NULL;
	*argc = ac;
	*argv = av;
	return 0;
}
