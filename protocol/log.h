/*
 * log: one line per event on standard error, with time, program and level.
 * Never pass a secret (support code, key material) to these functions.
 */
#ifndef HANDOFF_LOG_H
#define HANDOFF_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_setup(const char *program, enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(gnu_printf, 2, 3)));

/*
 * Formats a library's log message into out without its trailing newlines
 * (libvncserver and libvncclient end theirs with one; our log adds its own).
 */
void log_format_line(char *out, size_t outlen, const char *fmt, va_list ap)
	__attribute__((format(gnu_printf, 3, 0)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
