/*
 * platform: what the helper asks of the operating system beyond the
 * display, input and clipboard (those have backends of their own): where
 * its program lives, the fonts a window may use, the environment, and
 * wiping secrets. platform_linux.c and platform_win32.c implement it.
 */
#ifndef HANDOFF_HELPER_PLATFORM_H
#define HANDOFF_HELPER_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The directory holding the running program, without a trailing separator. 0 or -1. */
int helper_platform_exe_dir(char *dir, size_t len);
/*
 * Binds gettext's domain to the message catalogs that travel with the
 * program: on Linux BIN/../share/locale (the build tree, an install, the
 * bundle); on Windows the ones compiled into the .exe as resources,
 * written once to the user's local application data folder, since libintl
 * reads only files. 0, or -1 when there are none (English then).
 */
int helper_platform_bind_catalogs(const char *domain);
/*
 * The customer's display language when the environment names none (no
 * LC_ALL, LC_MESSAGES or LANG) and no --lang was given, as a catalog the
 * helper has: "ja" or "en". Windows: the user's first preferred display
 * language (GetUserPreferredUILanguages, else GetUserDefaultUILanguage),
 * which is what a customer set in Settings; Linux: NULL, since there the
 * locale variables are the answer and none set means the C locale.
 */
const char *helper_platform_ui_language(void);
/*
 * The system's fonts that have Japanese glyphs, best first, for the window
 * when none ships beside the program; *n gets how many. Static strings.
 */
const char *const *helper_platform_fonts(size_t *n);
/*
 * The terminal the program talks through. On Windows the .exe is a GUI
 * program (no console window flashes up when a customer double-clicks
 * it): helper_platform_console(false), before anything is printed, joins
 * the console of a parent that has one (cmd, PowerShell) unless the
 * standard handles are redirected already; helper_platform_console(true),
 * once --ui tty is known, opens a console of its own when there is still
 * none. Nothing on Linux.
 */
void helper_platform_console(bool needed);
/*
 * The helper's last words when no window of its own shows them (bad
 * arguments, a window that would not open, the terminal UI's errors):
 * the caller has written them to standard error already. On Windows, when
 * that reaches no one (a double-clicked .exe has no console) or only a
 * console the helper opened itself (it closes as the program exits), the
 * same words in a message box too. Nothing on Linux. TEXT is UTF-8.
 */
void helper_platform_last_words(const char *text);
/*
 * A font with Japanese glyphs inside the program, for the window when none
 * is named, beside the program or in the system: on Windows the .exe's
 * FONT_JA resource (Debian's IPA P Gothic, whose licence lets it travel
 * with a program); on Linux none (the bundle carries one beside the
 * program). 0 with *data and *len, valid while the program runs, or -1.
 */
int helper_platform_font_data(const void **data, size_t *len);
/*
 * The display to share when --display is not given: $DISPLAY on Linux
 * (NULL when unset); on Windows the one interactive desktop, "desktop".
 */
const char *helper_platform_default_display(void);
/* setenv(name, value, 1). 0 or -1. */
int helper_platform_setenv(const char *name, const char *value);
/* Overwrites n bytes at p in a way the compiler may not drop (codes, tokens). */
void helper_platform_wipe(void *p, size_t n);

/*
 * SIGINT and SIGTERM as a descriptor the event loop polls, so that they
 * end the session in the loop and never inside a handler (libssh is not
 * async-signal-safe). Linux: both blocked in this thread and every thread
 * it creates later, read from a signalfd; call it before any thread
 * starts. Windows: a console control handler (Ctrl-C, Ctrl-Break, the
 * console closed) signals a wake. -1 or the descriptor.
 */
int helper_platform_signals_open(void);
/* The number of a signal that arrived, or 0 when none waits. Never blocks. */
int helper_platform_signals_take(int fd);
/* -1 is fine. */
void helper_platform_signals_close(int fd);
/* After signals_close: true when SIGINT or SIGTERM came since (a window lingering on its last words). */
bool helper_platform_signal_pending(void);
/* A viewer hanging up mid-write must cost an EPIPE, not the process (Windows has no SIGPIPE). */
void helper_platform_ignore_sigpipe(void);

/*
 * The customer's standard input as a descriptor the event loop can poll.
 * Linux: stdin itself. Windows: WSAPoll waits on sockets only, so a
 * thread copies stdin into an hsock_pair and the loop polls its other end.
 * -1 when there is none.
 */
int helper_platform_stdin_open(void);
/* One read from it, as read(): >0 bytes, 0 at EOF, -1 with errno (EINTR, EAGAIN). */
ssize_t helper_platform_stdin_read(int fd, void *buf, size_t len);
/* Stops what helper_platform_stdin_open started; -1 is fine. */
void helper_platform_stdin_close(int fd);

/*
 * The arguments of a one-file bundle (protocol/bundle.h: relay, pinned host
 * key, organisation, intake token) put before the command line's own.
 * Linux: launcher/launch.c did it before this program started; nothing
 * changes. Windows: the .exe is its own launcher, its file ending in the
 * payload and trailer; a plain .exe (no trailer) runs as it is. 0 (*argv
 * may then point to storage that lives until exit), or -1 when the file
 * is a damaged bundle: the customer was told (standard error and a message
 * box) and the program must exit.
 */
int helper_platform_bundle_args(int *argc, char ***argv);

#endif
