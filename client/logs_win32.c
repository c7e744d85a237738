/*
 * logs_win32.c: the collectors of logs_os.h on Windows. Facts from the
 * system's own calls (RtlGetVersion, which unlike GetVersionEx does not
 * lie to programs without a manifest; the registry's product name; the
 * tick count; fixed drives; memory; network adapters). "journal N" reads
 * the last N events of the System and of the Application event log
 * through wevtutil, Windows' own reader, started without a shell (a
 * fixed command line to CreateProcessW), read through a pipe with the
 * same deadline and cancel as journalctl on Linux, and killed at either.
 * Files are read as on Linux: regular files only, their last
 * HELPER_LOGS_READ_MAX bytes.
 */
#include "logs_os.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winsock2.h>
#include <windows.h>
#include <iphlpapi.h>

#include "logs_writer.h"

#define POLL_MS 10

/* "1.5 GiB" or "512 MiB": enough to judge a full disk or low memory. */
static void helper_logs_win32_size(unsigned long long bytes, char *out, size_t outlen)
{
	const unsigned long long mib = 1024ull * 1024, gib = mib * 1024;

	if (bytes >= gib)
		snprintf(out, outlen, "%llu.%llu GiB", bytes / gib, bytes % gib * 10 / gib);
	else
		snprintf(out, outlen, "%llu MiB", bytes / mib);
}

/* A wide string as UTF-8 into out (cut when it does not fit). */
static void helper_logs_win32_utf8(const wchar_t *w, char *out, size_t outlen)
{
	if (outlen > INT32_MAX || WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)outlen, NULL, NULL) == 0)
		out[outlen - 1] = '\0';
}

/* A string value under HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion, as UTF-8. 0 or -1. */
static int helper_logs_win32_version_value(const wchar_t *name, char *out, size_t outlen)
{
	wchar_t w[256];
	DWORD size = sizeof(w);

	if (RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", name,
			 RRF_RT_REG_SZ, NULL, w, &size) != ERROR_SUCCESS)
		return -1;
	helper_logs_win32_utf8(w, out, outlen);
	return 0;
}

typedef LONG(WINAPI *helper_logs_rtl_get_version)(OSVERSIONINFOW *);

static void helper_logs_win32_os(struct helper_logs_writer *w)
{
	char product[256] = "Windows", display[64] = "";
	OSVERSIONINFOW v = { .dwOSVersionInfoSize = sizeof(v) };
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	helper_logs_rtl_get_version get = NULL;

	if (ntdll != NULL)
		get = (helper_logs_rtl_get_version)(void (*)(void))GetProcAddress(ntdll, "RtlGetVersion");
	helper_logs_win32_version_value(L"ProductName", product, sizeof(product));
	helper_logs_win32_version_value(L"DisplayVersion", display, sizeof(display));
	if (get != NULL && get(&v) == 0)
		helper_logs_printf(w, "os: %s%s%s (version %lu.%lu, build %lu)\n", product, display[0] ? " " : "",
				   display, (unsigned long)v.dwMajorVersion, (unsigned long)v.dwMinorVersion,
				   (unsigned long)v.dwBuildNumber);
	else
		helper_logs_printf(w, "os: %s (version unknown)\n", product);
}

static void helper_logs_win32_disks(struct helper_logs_writer *w)
{
	DWORD drives = GetLogicalDrives();

	for (int i = 0; i < 26; i++) {
		wchar_t root[4] = { (wchar_t)(L'A' + i), L':', L'\\', L'\0' };
		ULARGE_INTEGER avail, total;
		char a[64], b[64];

		if (!(drives & (1u << i)) || GetDriveTypeW(root) != DRIVE_FIXED)
			continue;
		if (!GetDiskFreeSpaceExW(root, &avail, &total, NULL)) {
			helper_logs_printf(w, "disk %c: unknown (error %lu)\n", 'A' + i, (unsigned long)GetLastError());
			continue;
		}
		helper_logs_win32_size(avail.QuadPart, a, sizeof(a));
		helper_logs_win32_size(total.QuadPart, b, sizeof(b));
		helper_logs_printf(w, "disk %c: %s free of %s\n", 'A' + i, a, b);
	}
}

static void helper_logs_win32_adapters(struct helper_logs_writer *w)
{
	ULONG size = 16 * 1024;
	IP_ADAPTER_ADDRESSES *list = NULL;
	ULONG rc = ERROR_BUFFER_OVERFLOW;

	/* The list can grow between the two calls; three tries, then give up. */
	for (int tries = 0; tries < 3 && rc == ERROR_BUFFER_OVERFLOW; tries++) {
		free(list);
		list = malloc(size);
		if (list == NULL)
			break;
		rc = GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
							     GAA_FLAG_SKIP_DNS_SERVER,
					  NULL, list, &size);
	}
	if (list == NULL || rc != NO_ERROR) {
		helper_logs_printf(w, "network: unknown\n");
		free(list);
		return;
	}
	for (IP_ADAPTER_ADDRESSES *a = list; a != NULL; a = a->Next) {
		char name[256];

		helper_logs_win32_utf8(a->FriendlyName, name, sizeof(name));
		helper_logs_printf(w, "network %s: %s\n", name, a->OperStatus == IfOperStatusUp ? "up" : "down");
		for (IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u != NULL; u = u->Next) {
			wchar_t text[64];
			DWORD tn = 64;
			char addr[128];

			if (WSAAddressToStringW(u->Address.lpSockaddr, (DWORD)u->Address.iSockaddrLength, NULL, text,
						&tn) != 0)
				continue;
			helper_logs_win32_utf8(text, addr, sizeof(addr));
			helper_logs_printf(w, "network %s: address %s\n", name, addr);
		}
	}
	free(list);
}

void helper_logs_os_facts(struct helper_logs_writer *w)
{
	MEMORYSTATUSEX mem = { .dwLength = sizeof(mem) };
	unsigned long long secs = GetTickCount64() / 1000;
	wchar_t host[256];
	DWORD hn = 256;
	char value[512], a[64], b[64];
	time_t now = time(NULL);
	struct tm *tm = localtime(&now);

	helper_logs_printf(w, "== facts ==\n");
	helper_logs_win32_os(w);
	if (GetComputerNameExW(ComputerNameDnsHostname, host, &hn)) {
		helper_logs_win32_utf8(host, value, sizeof(value));
		helper_logs_printf(w, "hostname: %s\n", value);
	}
	helper_logs_printf(w, "uptime: %llu days %02llu:%02llu:%02llu\n", secs / 86400, secs / 3600 % 24,
			   secs / 60 % 60, secs % 60);
	helper_logs_win32_disks(w);
	if (GlobalMemoryStatusEx(&mem)) {
		helper_logs_win32_size(mem.ullAvailPhys, a, sizeof(a));
		helper_logs_win32_size(mem.ullTotalPhys, b, sizeof(b));
		helper_logs_printf(w, "memory: %s available of %s\n", a, b);
	} else {
		helper_logs_printf(w, "memory: unknown\n");
	}
	helper_logs_win32_adapters(w);
	if (tm != NULL && strftime(value, sizeof(value), "%Y-%m-%d %H:%M:%S", tm) > 0)
		helper_logs_printf(w, "local time: %s\n", value);
	else
		helper_logs_printf(w, "local time: unknown\n");
}

void helper_logs_os_file(struct helper_logs_writer *w, const char *path, unsigned lines)
{
	wchar_t wpath[MAX_PATH];
	HANDLE h;
	LARGE_INTEGER size, skip = { .QuadPart = 0 };
	struct buf raw;

	helper_logs_printf(w, "== file %s (last %u lines) ==\n", path, lines);
	buf_init(&raw, HELPER_LOGS_READ_MAX);
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wpath, MAX_PATH) == 0) {
		helper_logs_printf(w, "file: cannot name %s on Windows\n", path);
		goto out;
	}
	h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
			OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		helper_logs_printf(w, "file: cannot open %s (error %lu)\n", path, (unsigned long)GetLastError());
		goto out;
	}
	/* Regular files only: no pipe or device that blocks. */
	if (GetFileType(h) != FILE_TYPE_DISK || !GetFileSizeEx(h, &size)) {
		helper_logs_printf(w, "file: %s is not a regular file\n", path);
		CloseHandle(h);
		goto out;
	}
	if (size.QuadPart > (LONGLONG)HELPER_LOGS_READ_MAX) {
		skip.QuadPart = size.QuadPart - (LONGLONG)HELPER_LOGS_READ_MAX;
		SetFilePointerEx(h, skip, NULL, FILE_BEGIN);
	}
	for (;;) {
		size_t room = buf_room(&raw);
		uint8_t *p;
		DWORD n = 0;

		if (room == 0 || buf_reserve(&raw, room, &p) != 0)
			break;
		if (!ReadFile(h, p, (DWORD)room, &n, NULL) || n == 0)
			break;
		buf_commit(&raw, n);
	}
	CloseHandle(h);
	if (skip.QuadPart > 0 && helper_logs_tail_start(buf_ptr(&raw), buf_len(&raw), lines) == 0)
		helper_logs_printf(w, "[only the last %u KiB of the file were read]\n", HELPER_LOGS_READ_MAX / 1024);
	helper_logs_put_tail(w, buf_ptr(&raw), buf_len(&raw), lines, skip.QuadPart > 0);
out:
	buf_free(&raw);
}

/*
 * Runs wevtutil for the newest `count` events of log (newest first) into
 * raw, until it ends, raw is full, deadline_ms (GetTickCount64) passes or
 * the collection is cancelled; the child is killed unless it ended. 0 when
 * it ran to its end, 1 at the deadline or the cap, -1 when it could not start.
 */
static int helper_logs_win32_wevtutil(struct helper_logs_writer *w, const wchar_t *log, unsigned count,
				      ULONGLONG deadline_ms, struct buf *raw)
{
	SECURITY_ATTRIBUTES sa = { .nLength = sizeof(sa), .bInheritHandle = TRUE };
	STARTUPINFOW si = { .cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES };
	PROCESS_INFORMATION pi;
	HANDLE rd = NULL, wr = NULL;
	wchar_t cmd[160];
	int rc = 1;

	/* No shell: CreateProcessW parses this fixed line into wevtutil's arguments itself. */
	_snwprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"wevtutil.exe qe %ls /c:%u /rd:true /f:text", log, count);
	cmd[sizeof(cmd) / sizeof(cmd[0]) - 1] = L'\0';
	if (!CreatePipe(&rd, &wr, &sa, 0))
		return -1;
	SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
	si.hStdOutput = wr;
	si.hStdError = wr;
	si.hStdInput = INVALID_HANDLE_VALUE;
	if (!CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) {
		CloseHandle(rd);
		CloseHandle(wr);
		return -1;
	}
	CloseHandle(wr);
	CloseHandle(pi.hThread);
	for (;;) {
		DWORD avail = 0, n = 0;
		uint8_t *p;
		size_t room = buf_room(raw);

		if (room == 0 || GetTickCount64() >= deadline_ms)
			break;
		if (helper_logs_fd_ready(w->cancel_fd)) {
			w->cancelled = true;
			break;
		}
		if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL)) {
			/* The child closed its end: all of it was read. */
			rc = 0;
			break;
		}
		if (avail == 0) {
			Sleep(POLL_MS);
			continue;
		}
		if (buf_reserve(raw, room, &p) != 0)
			break;
		if (!ReadFile(rd, p, avail < room ? avail : (DWORD)room, &n, NULL) || n == 0) {
			rc = 0;
			break;
		}
		buf_commit(raw, n);
	}
	if (WaitForSingleObject(pi.hProcess, 0) != WAIT_OBJECT_0)
		TerminateProcess(pi.hProcess, 1);
	WaitForSingleObject(pi.hProcess, INFINITE);
	CloseHandle(pi.hProcess);
	CloseHandle(rd);
	return rc;
}

void helper_logs_os_journal(struct helper_logs_writer *w, unsigned lines, const char *journalctl,
			    unsigned timeout_ms)
{
	static const wchar_t *const logs[] = { L"System", L"Application" };
	ULONGLONG deadline = GetTickCount64() + timeout_ms;

	/* Windows has no journal: its event logs stand in, read by wevtutil from the system's own path. */
	(void)journalctl;
	helper_logs_printf(w, "== journal (last %u lines) ==\n", lines);
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]) && !w->cancelled; i++) {
		struct buf raw;
		int rc;

		buf_init(&raw, HELPER_LOGS_READ_MAX);
		helper_logs_printf(w, "[event log %ls, newest %u events first]\n", logs[i], lines);
		rc = helper_logs_win32_wevtutil(w, logs[i], lines, deadline, &raw);
		if (rc < 0)
			helper_logs_printf(w, "[event log: cannot run wevtutil (error %lu)]\n",
					   (unsigned long)GetLastError());
		else if (!w->cancelled)
			helper_logs_put_tail(w, buf_ptr(&raw), buf_len(&raw), UINT_MAX, false);
		if (rc == 1 && !w->cancelled)
			helper_logs_printf(w, "[event log: gave up after %u ms or %u KiB]\n", timeout_ms,
					   HELPER_LOGS_READ_MAX / 1024);
		buf_free(&raw);
	}
}
