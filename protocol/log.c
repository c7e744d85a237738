/*
 * log.c: see log.h. The program name and level live in a file-static
 * struct set once at start-up; that is configuration, not state.
 *
 * Every message is escaped as a whole (textesc.h) before it is written:
 * log lines carry other people's text (an SSH client's banner inside
 * libssh's error, a technician's direct-tcpip destination, names), and an
 * operator reads the log on a terminal. One call is one line, whatever
 * the arguments held, so nobody can forge a line or steer the terminal.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "textesc.h"

#define LOG_LINE_MAX 4096

static struct {
	const char *program;
	enum log_level level;
} log_config = { "handoff", LOG_INFO };

void log_setup(const char *program, enum log_level level)
{
	log_config.program = program;
	log_config.level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char when[32] = "", msg[LOG_LINE_MAX], safe[4 * LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > log_config.level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	textesc_string(msg, NULL, safe, sizeof(safe));
	fprintf(stderr, "%s.%03ld %s %s: %s\n", when, ts.tv_nsec / 1000000, log_config.program, names[level], safe);
}

void log_format_line(char *out, size_t outlen, const char *fmt, va_list ap)
{
	size_t n;

	if (outlen == 0)
		return;
	vsnprintf(out, outlen, fmt, ap);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
}
