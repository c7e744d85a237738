/*
 * logs_os: the collectors that read the machine, one file per platform
 * (logs_linux.c, logs_win32.c); logs.c parses the plan and calls them in
 * its order. Each writes one section, header line first, through
 * logs_writer.h (which keeps the bundle valid and capped), reads at most
 * HELPER_LOGS_READ_MAX bytes of any one thing, stops when w->cancel_fd
 * becomes readable (setting w->cancelled), and never fails: what cannot
 * be read becomes a line saying so.
 */
#ifndef HANDOFF_HELPER_LOGS_OS_H
#define HANDOFF_HELPER_LOGS_OS_H

struct helper_logs_writer;

/* "== facts ==": the system, its uptime, disk, memory, network, local time. */
void helper_logs_os_facts(struct helper_logs_writer *w);
/* "== file PATH ==": the last `lines` lines of the regular file at path (UTF-8). */
void helper_logs_os_file(struct helper_logs_writer *w, const char *path, unsigned lines);
/*
 * "== journal ==": the last `lines` entries of the system's own log
 * (journalctl: its program, looked up in PATH unless it holds a '/'),
 * given up after timeout_ms.
 */
void helper_logs_os_journal(struct helper_logs_writer *w, unsigned lines, const char *journalctl,
			    unsigned timeout_ms);

#endif
