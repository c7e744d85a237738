/*
 * cli.c: see cli.h. Parsing is strict: a customer who mistypes an option
 * should hear about it before anything touches the network, because a
 * support code is burnt by every failed attempt at the relay.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "code.h"
#include "config.h"
#include "i18n.h"
#include "platform.h"
#include "screeninfo.h"

enum {
	OPT_RELAY = 1000,
	OPT_HOST_KEY,
	OPT_CODE,
	OPT_INTAKE,
	OPT_DISPLAY,
	OPT_UI,
	OPT_USER,
	OPT_LANG,
	OPT_ORG,
	OPT_MONITOR,
	OPT_CAPTURE,
	OPT_ALSO_RELAY,
};

void helper_cli_usage(FILE *f)
{
	fputs("NAME\n"
	      "    handoff-helper - share this desktop with a support technician\n"
	      "\n"
	      "SYNOPSIS\n"
	      "    handoff-helper --relay HOST:PORT --host-key SHA256:... [--code CODE]\n"
	      "                   [--display :N] [--capture x11|wayland|portal]\n"
	      "                   [--monitor N|all] [--ui auto|sdl|tty] [--lang en|ja]\n"
	      "                   [--org NAME] [--user NAME] [--verbose]\n"
	      "    handoff-helper --help\n"
	      "    handoff-helper --version\n"
	      "\n"
	      "DESCRIPTION\n"
	      "    Connects out to a Handoff relay over SSH, signs in with the one-time\n"
	      "    support code your technician gave you, and waits. Nothing is shown to\n"
	      "    anyone until you allow it: every technician who wants to see your\n"
	      "    screen is named, and you answer in the helper's window (or on this\n"
	      "    terminal with --ui tty).\n"
	      "\n"
	      "    The window asks for the support code when none was given, names the\n"
	      "    organisation, asks for each consent with Allow / View only / Deny,\n"
	      "    shows a banner naming everyone who watches while anyone does, has\n"
	      "    Stop sharing and End session buttons, and a chat pane.\n"
	      "\n"
	      "    In the terminal, when asked, type y (allow what was asked), v (view only) or n (deny),\n"
	      "    then Enter. At any other time you can type:\n"
	      "        stop   stop sharing with everyone (the session stays open)\n"
	      "        end    end the session\n"
	      "    Ctrl-C also ends the session. Any other line you type is sent to the\n"
	      "    technician as a chat message; theirs appear as CHAT lines.\n"
	      "\n"
	      "    A technician may also ask to collect diagnostic information: system\n"
	      "    facts (OS, kernel, hostname, uptime, disk, memory, local time), the\n"
	      "    last lines of a log file, or of the system journal. You are shown\n"
	      "    exactly what would be collected, and nothing is sent unless you answer\n"
	      "    y; n refuses.\n"
	      "\n"
	      "OPTIONS\n"
	      "    --relay HOST:PORT   the relay to connect to ([v6addr]:PORT also works)\n"
	      "    --host-key FP       the relay's host key fingerprint, SHA256:...; the\n"
	      "                        helper refuses any relay presenting another key\n"
	      "    --also-relay HOST:PORT=FP\n"
	      "                        another relay of the same support service and its\n"
	      "                        host key (up to 7, in order): when the connection to\n"
	      "                        the relay is lost, the helper comes back through the\n"
	      "                        next one and the session goes on\n"
	      "    --code CODE         the support code, e.g. 1234-5678-9012; --code -\n"
	      "                        reads it from the first line of standard input, and\n"
	      "                        HANDOFF_CODE in the environment works too (both stay\n"
	      "                        out of ps, which shows --code CODE for a moment);\n"
	      "                        the window asks for it when it is not given\n"
	      "    --intake-token T    lets a customer without a code open a new ticket\n"
	      "                        with a short description (bundles carry one, and\n"
	      "                        pass it as HANDOFF_INTAKE_TOKEN)\n"
	      "    --display :N        the X display to share (default: $DISPLAY)\n"
	      "    --capture x11|wayland|portal\n"
	      "                        how to see the screen: an X display, or a Wayland\n"
	      "                        desktop (a wlroots compositor's screen copy, else\n"
	      "                        its screen-sharing portal; portal: only the portal).\n"
	      "                        Default: X11 with --display, else Wayland when\n"
	      "                        WAYLAND_DISPLAY is set or XDG_SESSION_TYPE is\n"
	      "                        wayland, else X11\n"
	      "    --monitor N|all     share only monitor N (1 is the first that\n"
	      "                        xrandr --listmonitors lists; on Windows, the\n"
	      "                        first EnumDisplayMonitors gives; on sway and\n"
	      "                        other wlroots desktops, the first output the\n"
	      "                        compositor announces), or all of them\n"
	      "                        (default); nothing else of the display is shown.\n"
	      "                        GNOME and KDE choose in their own dialog: there\n"
	      "                        --monitor is refused\n"
	      "    --ui auto|sdl|tty   how to talk to you: auto (default) opens the window\n"
	      "                        and falls back to the terminal when it cannot\n"
	      "    --lang en|ja        the language (default: from the locale)\n"
	      "    --org NAME          the support organisation's name to show\n"
	      "    --user NAME         the name shown to the relay (default: customer)\n"
	      "    --verbose           log debugging detail on standard error\n"
	      "    --help              show this text\n"
	      "    --version           print the version\n"
	      "\n"
	      "EXIT STATUS\n"
	      "    0 the session ended normally; 1 it failed or the relay was lost;\n"
	      "    2 the command line was wrong.\n", f);
}

/*
 * Copies a secret out of argv (or the environment) and blanks the original
 * bytes first, whatever follows: /proc/PID/cmdline is readable by every
 * account on the machine and shows those bytes as they are now.
 */
static int helper_cli_take_code(char *src, struct helper_options *o, char *err, size_t errlen)
{
	char digits[CODE_DIGITS + 1];
	size_t n = strlen(src);

	if (n >= sizeof(o->code)) {
		memset(src, 'x', n);
		snprintf(err, errlen, "the support code is too long");
		return -1;
	}
	memcpy(o->code, src, n + 1);
	memset(src, 'x', n);
	/*
	 * Check the shape here: a typo caught locally does not count as a
	 * failed try against the code at the relay.
	 */
	if (code_parse(o->code, digits) != 0) {
		snprintf(err, errlen, "the support code must be %d digits, like 1234-5678-9012",
			 CODE_DIGITS);
		return -1;
	}
	memset(digits, 0, sizeof(digits));
	return 0;
}

/*
 * `--code -`: one line of standard input, read a byte at a time so that
 * nothing after the newline is taken from the terminal UI, which reads the
 * rest of standard input for the customer's answers.
 */
static int helper_cli_read_code(struct helper_options *o, char *err, size_t errlen)
{
	char line[HELPER_CLI_CODE_MAX + 1];
	size_t n = 0;
	int rc;

	for (;;) {
		ssize_t r = read(STDIN_FILENO, line + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || line[n] == '\n')
			break;
		if (++n == sizeof(line) - 1)
			break;
	}
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	if (line[0] == '\0') {
		snprintf(err, errlen, "--code -: no code on standard input");
		return -1;
	}
	rc = helper_cli_take_code(line, o, err, errlen);
	helper_platform_wipe(line, sizeof(line));
	return rc;
}

/* Copies an intake token out of argv or the environment, blanking it there. */
static int helper_cli_take_intake(char *src, struct helper_options *o, char *err, size_t errlen)
{
	size_t n = strlen(src);
	int ok = intake_token_ok(src);

	if (ok)
		memcpy(o->intake_token, src, n + 1);
	memset(src, 'x', n);
	if (!ok) {
		snprintf(err, errlen, "--intake-token must be 32 hexadecimal digits");
		return -1;
	}
	return 0;
}

/* HANDOFF_JOURNAL_TIMEOUT_MS: 1 to 600000 (ms) in decimal, else 0 (the default). */
static unsigned helper_cli_journal_timeout(const char *v)
{
	unsigned long ms = 0;

	if (v == NULL || *v == '\0' || strlen(v) > 6)
		return 0;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return 0;
		ms = ms * 10 + (unsigned long)(*v - '0');
	}
	return ms <= 600000 ? (unsigned)ms : 0;
}

/*
 * The desktop the helper was started in: a Wayland session sets
 * WAYLAND_DISPLAY (and logind's XDG_SESSION_TYPE); DISPLAY alone there is
 * XWayland, which shows only the X programs, so Wayland wins.
 */
static const char *helper_cli_session_capture(void)
{
	const char *wl = getenv("WAYLAND_DISPLAY"), *type = getenv("XDG_SESSION_TYPE");

	if ((wl != NULL && wl[0] != '\0') || (type != NULL && strcmp(type, "wayland") == 0))
		return "wayland";
	return "x11";
}

/* --also-relay HOST:PORT=SHA256:...: the fingerprint follows the last '=' before "SHA256:". */
static int helper_cli_also_relay(const char *arg, struct helper_options *o, char *err, size_t errlen)
{
	const char *fp = strstr(arg, "=SHA256:");
	char where[HELPER_CLI_HOST_MAX + 16];
	struct helper_cli_relay *r;

	if (o->also_n >= HELPER_CLI_RELAYS_MAX - 1) {
		snprintf(err, errlen, "at most %u --also-relay", HELPER_CLI_RELAYS_MAX - 1);
		return -1;
	}
	if (fp == NULL || fp[8] == '\0' || (size_t)(fp - arg) >= sizeof(where)) {
		snprintf(err, errlen, "--also-relay '%s' is not HOST:PORT=SHA256:...", arg);
		return -1;
	}
	r = &o->also[o->also_n];
	memcpy(where, arg, (size_t)(fp - arg));
	where[fp - arg] = '\0';
	if (config_parse_hostport(where, r->host, sizeof(r->host), &r->port) != 0) {
		snprintf(err, errlen, "--also-relay '%s' is not HOST:PORT=SHA256:...", arg);
		return -1;
	}
	r->host_key = fp + 1;
	o->also_n++;
	return 0;
}

int helper_cli_parse(int argc, char **argv, struct helper_options *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "relay", required_argument, NULL, OPT_RELAY },
		{ "host-key", required_argument, NULL, OPT_HOST_KEY },
		{ "code", required_argument, NULL, OPT_CODE },
		{ "intake-token", required_argument, NULL, OPT_INTAKE },
		{ "display", required_argument, NULL, OPT_DISPLAY },
		{ "ui", required_argument, NULL, OPT_UI },
		{ "user", required_argument, NULL, OPT_USER },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "org", required_argument, NULL, OPT_ORG },
		{ "monitor", required_argument, NULL, OPT_MONITOR },
		{ "capture", required_argument, NULL, OPT_CAPTURE },
		{ "also-relay", required_argument, NULL, OPT_ALSO_RELAY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *relay = NULL;
	char *env_code, *env_intake;
	bool code_stdin = false, display_given = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->ui = "auto";
	o->user = "customer";
	o->display = helper_platform_default_display();
	o->capture = helper_cli_session_capture();
	o->ui_trace = getenv("HANDOFF_UI_TRACE") != NULL && strcmp(getenv("HANDOFF_UI_TRACE"), "1") == 0;
	o->journal_timeout_ms = helper_cli_journal_timeout(getenv("HANDOFF_JOURNAL_TIMEOUT_MS"));

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hv", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RELAY:
			relay = optarg;
			break;
		case OPT_HOST_KEY:
			o->host_key = optarg;
			break;
		case OPT_ALSO_RELAY:
			if (helper_cli_also_relay(optarg, o, err, errlen) != 0)
				return HELPER_CLI_ERROR;
			break;
		case OPT_CODE:
			if (strcmp(optarg, "-") == 0) {
				/* Read after the loop, so that --help or a typo does not wait for input. */
				code_stdin = true;
				break;
			}
			if (helper_cli_take_code(optarg, o, err, errlen) != 0)
				return HELPER_CLI_ERROR;
			break;
		case OPT_INTAKE:
			if (helper_cli_take_intake(optarg, o, err, errlen) != 0)
				return HELPER_CLI_ERROR;
			break;
		case OPT_DISPLAY:
			o->display = optarg;
			display_given = true;
			break;
		case OPT_CAPTURE:
			if (strcmp(optarg, "x11") != 0 && strcmp(optarg, "wayland") != 0 && strcmp(optarg, "portal") != 0) {
				snprintf(err, errlen, "unknown --capture '%s': use x11, wayland or portal", optarg);
				return HELPER_CLI_ERROR;
			}
			o->capture = optarg;
			o->capture_forced = true;
			break;
		case OPT_UI:
			o->ui = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_LANG:
			o->lang = optarg;
			break;
		case OPT_ORG:
			o->org = optarg;
			break;
		case OPT_MONITOR: {
			char *end;
			long n;

			if (strcmp(optarg, "all") == 0) {
				o->monitor = 0;
				break;
			}
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || n < 1 || n > SCREENINFO_MONITORS_MAX) {
				snprintf(err, errlen, "--monitor takes a monitor number from 1 to %d, or all",
					 SCREENINFO_MONITORS_MAX);
				return HELPER_CLI_ERROR;
			}
			o->monitor = (int)n;
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			return HELPER_CLI_HELP;
		case 'V':
			return HELPER_CLI_VERSION;
		case ':':
			snprintf(err, errlen, "option %s needs a value", argv[optind - 1]);
			return HELPER_CLI_ERROR;
		default:
			snprintf(err, errlen, "unknown option %s (see --help)", argv[optind - 1]);
			return HELPER_CLI_ERROR;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return HELPER_CLI_ERROR;
	}
	/* --display names an X display: X11 it is, unless --capture says otherwise. */
	if (display_given && !o->capture_forced)
		o->capture = "x11";
	if (strcmp(o->ui, "tty") != 0 && strcmp(o->ui, "sdl") != 0 && strcmp(o->ui, "auto") != 0) {
		snprintf(err, errlen, "unknown --ui '%s': use auto, sdl or tty", o->ui);
		return HELPER_CLI_ERROR;
	}
	if (o->lang != NULL && strcmp(o->lang, "en") != 0 && strcmp(o->lang, "ja") != 0) {
		snprintf(err, errlen, "unknown --lang '%s': use en or ja", o->lang);
		return HELPER_CLI_ERROR;
	}
	if (o->org != NULL && (o->org[0] == '\0' || strlen(o->org) > 128)) {
		snprintf(err, errlen, "--org must be 1 to 128 bytes");
		return HELPER_CLI_ERROR;
	}
	if (relay == NULL) {
		snprintf(err, errlen, "--relay HOST:PORT is required (see --help)");
		return HELPER_CLI_ERROR;
	}
	if (config_parse_hostport(relay, o->relay_host, sizeof(o->relay_host), &o->relay_port) != 0) {
		snprintf(err, errlen, "--relay '%s' is not HOST:PORT", relay);
		return HELPER_CLI_ERROR;
	}
	if (o->host_key == NULL || strncmp(o->host_key, "SHA256:", 7) != 0 || o->host_key[7] == '\0') {
		snprintf(err, errlen,
			 "--host-key SHA256:... is required: the helper only talks to the relay it was told about");
		return HELPER_CLI_ERROR;
	}
	env_intake = getenv("HANDOFF_INTAKE_TOKEN");
	if (o->intake_token[0] == '\0' && env_intake != NULL && env_intake[0] != '\0' &&
	    helper_cli_take_intake(env_intake, o, err, errlen) != 0)
		return HELPER_CLI_ERROR;
	if (code_stdin && o->code[0] == '\0' && helper_cli_read_code(o, err, errlen) != 0)
		return HELPER_CLI_ERROR;
	if (o->code[0] == '\0') {
		env_code = getenv("HANDOFF_CODE");
		if (env_code != NULL && env_code[0] != '\0') {
			if (helper_cli_take_code(env_code, o, err, errlen) != 0)
				return HELPER_CLI_ERROR;
		} else if (strcmp(o->ui, "tty") == 0 && o->intake_token[0] == '\0') {
			/* The terminal UI has no code entry (it asks for a description only with a token). */
			snprintf(err, errlen, "--code CODE (or --intake-token) is required with --ui tty (see --help)");
			return HELPER_CLI_ERROR;
		}
	}
	if (strcmp(o->capture, "x11") == 0 && (o->display == NULL || o->display[0] == '\0')) {
		/* The one problem a customer who double-clicked can meet here: said in their language. */
		helper_i18n_init(o->lang);
		snprintf(err, errlen, "%s",
			 _("No screen to share was found. Please start this program from your desktop, in the "
			   "session you want help with (technical detail: no X display; pass --display :N or "
			   "set DISPLAY)."));
		return HELPER_CLI_ERROR;
	}
	if (o->user[0] == '\0') {
		snprintf(err, errlen, "--user must not be empty");
		return HELPER_CLI_ERROR;
	}
	return HELPER_CLI_OK;
}

void helper_cli_wipe(struct helper_options *o)
{
	helper_platform_wipe(o->code, sizeof(o->code));
	helper_platform_wipe(o->intake_token, sizeof(o->intake_token));
}
