/*
 * cli: the helper's command line. The customer (or the one-click launcher
 * that starts the helper for them) passes where the relay is, the relay's
 * pinned host key, and the one-time support code; everything else has a
 * default.
 */
#ifndef HANDOFF_HELPER_CLI_H
#define HANDOFF_HELPER_CLI_H

#include <stdbool.h>
#include <stdio.h>

#define HELPER_CLI_HOST_MAX 256u
#define HELPER_CLI_CODE_MAX 64u

#define HELPER_CLI_RELAYS_MAX 8u  /* relays of one bundle, the first included */

/* Another relay of the same store, to come back to when the one in use is lost. */
struct helper_cli_relay {
	char host[HELPER_CLI_HOST_MAX];
	unsigned port;
	const char *host_key;   /* "SHA256:...", points into argv */
};

struct helper_options {
	char relay_host[HELPER_CLI_HOST_MAX];
	unsigned relay_port;
	const char *host_key;   /* "SHA256:...", points into argv */
	/* --also-relay HOST:PORT=SHA256:..., in the order given. */
	struct helper_cli_relay also[HELPER_CLI_RELAYS_MAX - 1];
	unsigned also_n;
	char code[HELPER_CLI_CODE_MAX]; /* secret: wiped by helper_cli_wipe */
	char intake_token[HELPER_CLI_CODE_MAX]; /* the bundle's intake token, or "": secret, wiped too */
	const char *display;    /* X display name, points into argv or the environment */
	/*
	 * "x11", "wayland" or "portal" (Wayland through the portal only):
	 * chosen by --capture, else by the session
	 * (WAYLAND_DISPLAY or XDG_SESSION_TYPE=wayland: Wayland, else X11).
	 */
	const char *capture;
	bool capture_forced;    /* --capture was given */
	const char *ui;         /* "auto" (the window if it opens, else tty), "sdl" or "tty" */
	const char *lang;       /* "en", "ja", or NULL: the locale decides */
	const char *org;        /* the support organisation's name to show, or NULL */
	const char *user;       /* SSH user name presented to the relay */
	int monitor;            /* 0: the whole display; N: only monitor N (1-based) */
	bool verbose;
	bool ui_trace;          /* HANDOFF_UI_TRACE=1: the window reports states and buttons */
	/*
	 * HANDOFF_JOURNAL_TIMEOUT_MS (1 to 600000), for tests that hold
	 * journalctl on purpose; 0: logs.h's HELPER_LOGS_JOURNAL_TIMEOUT_MS.
	 */
	unsigned journal_timeout_ms;
};

enum {
	HELPER_CLI_OK = 0,
	HELPER_CLI_HELP = 1,    /* --help was printed: exit 0 */
	HELPER_CLI_VERSION = 2, /* --version was asked: print it, exit 0 */
	HELPER_CLI_ERROR = -1,  /* err says what is wrong: exit 2 */
};

/*
 * Fills o from argv. The support code is copied into o->code and blanked in
 * argv so that it does not linger in ps output longer than necessary.
 * Returns HELPER_CLI_OK, HELPER_CLI_HELP, HELPER_CLI_VERSION, or
 * HELPER_CLI_ERROR with err set.
 */
int helper_cli_parse(int argc, char **argv, struct helper_options *o, char *err, size_t errlen);
void helper_cli_usage(FILE *f);
/* Forgets the support code once it has been used. */
void helper_cli_wipe(struct helper_options *o);

#endif
