/*
 * platform_linux.c: see platform.h.
 */
#include "platform.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <libintl.h>

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

int helper_platform_bind_catalogs(const char *domain)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];

	if (helper_platform_exe_dir(exe, sizeof(exe)) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/../share/locale", exe);
	return bindtextdomain(domain, path) != NULL ? 0 : -1;
}

const char *helper_platform_ui_language(void)
{
	return NULL;
}

void helper_platform_console(bool needed)
{
	(void)needed;
}

void helper_platform_last_words(const char *text)
{
	/* Standard error has them: a terminal, or the desktop's own log for a launched program. */
	(void)text;
}

int helper_platform_font_data(const void **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	return -1;
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

const char *helper_platform_default_display(void)
{
	return getenv("DISPLAY");
}

int helper_platform_setenv(const char *name, const char *value)
{
	return setenv(name, value, 1) == 0 ? 0 : -1;
}

void helper_platform_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

int helper_platform_signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int helper_platform_signals_take(int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

void helper_platform_signals_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

bool helper_platform_signal_pending(void)
{
	struct timespec now = { 0, 0 };
	sigset_t stop;

	/* Still blocked since signals_open, so they wait here to be taken. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	return sigtimedwait(&stop, NULL, &now) > 0;
}

void helper_platform_ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
}

int helper_platform_stdin_open(void)
{
	return STDIN_FILENO;
}

ssize_t helper_platform_stdin_read(int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

void helper_platform_stdin_close(int fd)
{
	/* stdin is the process's, not ours to close. */
	(void)fd;
}

int helper_platform_bundle_args(int *argc, char ***argv)
{
	/* The launcher passed them already (the intake token through the environment). */
	(void)argc;
	(void)argv;
	return 0;
}
