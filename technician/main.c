/*
 * handoff-tech: the technician's program.
 *
 * `view N` shows ticket N's live session (SDL window, or --headless for
 * scripts and tests); every other command is run on the relay as an SSH
 * exec request, so the relay stays the one place that knows the commands
 * and this program never goes stale when one is added. Global options come
 * before the command; what follows it belongs to the command.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "exec.h"
#include "hookverify.h"
#include "keygen.h"
#include "log.h"
#include "render.h"
#include "replay.h"
#include "screeninfo.h"
#include "settings.h"
#include "sshutil.h"
#include "techreport.h"
#include "verify.h"
#include "heads.h"
#include "version.h"
#include "view.h"

#define TECH_EXIT_USAGE 2

static const char tech_main_help[] =
	"NAME\n"
	"    handoff-tech - the technician's side of Handoff remote assistance\n"
	"\n"
	"SYNOPSIS\n"
	"    handoff-tech [OPTIONS] view N [--headless] [--view-only] [--monitor N|all]\n"
	"    handoff-tech [OPTIONS] COMMAND [ARGS...]\n"
	"\n"
	"DESCRIPTION\n"
	"    Logs in to the Handoff relay over SSH with your key.\n"
	"\n"
	"    view N        Shows the customer's screen for ticket N in a window and\n"
	"                  lets you work on it (when the customer allowed control).\n"
	"                  The customer is asked to consent first; closing the window\n"
	"                  ends your part of the session.\n"
	"      --view-only   send no keyboard or mouse input\n"
	"      --monitor N|all  show the customer's monitor N (1, 2, ...) or all of\n"
	"                    them (the default); F8 m switches. A monitor the\n"
	"                    customer does not have shows all, with a note\n"
	"      --headless    no window: read commands from stdin, one per line, each\n"
	"                    answered by one line starting \"ok\" or \"error\":\n"
	"                      wait-frame [TIMEOUT_MS]   -> ok WxH (default 10000 ms)\n"
	"                      snapshot FILE             FILE.png: PNG, else PPM\n"
	"                      monitor N|all             snapshot, move, click: on monitor N\n"
	"                      move X Y\n"
	"                      click X Y [BUTTON]        BUTTON 1-5, default 1\n"
	"                      key NAME[+NAME...]        X keysym names: Return, Control_L+c\n"
	"                      type TEXT                 the rest of the line\n"
	"                      chat TEXT                 as typed in the terminal\n"
	"                      control                   ask the customer for control\n"
	"                    and prints \"info control=yes paused=no monitors=2 1:LEFT:...\"\n"
	"                    whenever the customer's side describes its screen anew\n"
	"                      quit                      (end of input also quits)\n"
	"\n"
	"    Any other COMMAND runs on the relay, exactly as `ssh RELAY COMMAND ARGS`\n"
	"    would; output, input and exit status are the remote command's.\n"
	"    `handoff-tech help` prints the relay's own list of its commands (the\n"
	"    relay is the one place that knows them). With --json, output is JSON\n"
	"    and every error is one line on stderr: {\"error\": TEXT, \"exit\": N}.\n"
	"\n"
	"    verify EXPORT --audit-key FILE.pub [--show]\n"
	"                  Auditors: checks an export (`export N > EXPORT` on the\n"
	"                  relay) offline, with the relay's public audit key: every\n"
	"                  record, checkpoint signature, attachment and recording.\n"
	"                  Prints \"export ok: ...\" or what fails (exit 1).\n"
	"    report --audit-key FILE.pub [--since DAY] [--until DAY] [--by tier|tech|priority|kb]\n"
	"           [--json|--csv|--html] EXPORT...\n"
	"                  Auditors: the relay's report, computed offline from\n"
	"                  exports that verify (the same numbers for the same tickets).\n"
	"    witness --audit-key FILE.pub [--dir DIR] EVIDENCE...\n"
	"                  Auditors: keeps the relay's signed heads (in\n"
	"                  ~/.config/handoff/witness/) and checks an export or\n"
	"                  `verify --json` output (- for stdin) against every head\n"
	"                  kept before: one the relay no longer contains is named\n"
	"                  as TRUNCATION or FORK (exit 1).\n"
	"\n"
	"    webhook-verify --secret-file FILE --signature VALUE [--window S] < BODY\n"
	"                  Receivers: checks a webhook delivery's Handoff-Signature\n"
	"                  (HMAC-SHA256 over timestamp and body, timestamp within\n"
	"                  300 s): prints \"verified\" or \"refused: WHY\" (exit 1).\n"
	"\n"
	"    keygen --out PATH\n"
	"                  Auditors: makes the recording key pair: PATH (private,\n"
	"                  0600, never on the relay) and PATH.pub, which the operator\n"
	"                  installs with `handoff-relay recording-key DIR PATH.pub`.\n"
	"\n"
	"    replay FILE --key PATH [--headless] [--speed X] [--until S]\n"
	"                [--snapshot OUT.ppm|.png]\n"
	"                  Auditors: plays a sealed recording in a window (space\n"
	"                  play/pause, +/- speed, arrows seek 10 s, click the\n"
	"                  timeline) with the technician's keys and pointer drawn\n"
	"                  over it. --headless prints the input as lines (\"input\n"
	"                  12.345 key a down\"), writes --snapshot at the end (or at\n"
	"                  --until) and prints \"ok WxH frames=N duration=S\".\n"
	"\n"
	"    replay EXPORT --recording ID --key PATH [--audit-key PUB] [...]\n"
	"                  Auditors: plays recording ID (as the relay's recordings lists it)\n"
	"                  out of an export, checked against its record's SHA-256;\n"
	"                  --audit-key verifies the export and shows its events.\n"
	"\n"
	"    The relay's binary output (auditors' export and recording) is refused\n"
	"    when standard output is a terminal.\n"
	"\n"
	"    render FILE --key PATH --out VIDEO [--fps N] [--codec NAME]\n"
	"                  Auditors: renders a recording to a video with ffmpeg,\n"
	"                  as long as the recording, ending on its last picture.\n"
	"\n"
	"OPTIONS\n"
	"    --relay HOST:PORT    the relay (port 2222 if omitted)\n"
	"    --identity KEYFILE   your private key\n"
	"    --host-key SHA256:.. the relay's host key fingerprint, as printed by\n"
	"                         `handoff-relay init`. Without a pin, the first\n"
	"                         connection shows the relay's key and asks (as\n"
	"                         OpenSSH does); yes stores it in known_hosts. A\n"
	"                         changed key is refused.\n"
	"    --user NAME          SSH user name (default \"handoff\"; the relay knows\n"
	"                         you by your key)\n"
	"    --also-relay HOST:PORT=SHA256:..\n"
	"                         another relay of the same store and its host key\n"
	"                         (up to 7): view turns to it when its relay is lost\n"
	"    -v, --verbose        debugging output on stderr\n"
	"    -h, --help           this text (man handoff-tech has more)\n"
	"    --version            print the version\n"
	"\n"
	"CONFIGURATION\n"
	"    Options win over HANDOFF_RELAY, HANDOFF_IDENTITY, HANDOFF_HOST_KEY, which\n"
	"    win over ~/.config/handoff/tech.conf (or $HANDOFF_TECH_CONFIG):\n"
	"        relay = relay.example.com:2222\n"
	"        identity = ~/.ssh/id_ed25519\n"
	"        host_key = SHA256:...      (optional)\n"
	"        also_relay = b.example.com:2222=SHA256:... c.example.com:2222=SHA256:...\n"
	"        known_hosts = ~/.config/handoff/known_hosts   (the default)\n"
	"\n"
	"THE VIEWER\n"
	"    Red frame: you are in control; blue: view only (--view-only, or the\n"
	"    customer allowed viewing only: then nothing you type or click is sent).\n"
	"    \"Paused by the customer\" over the picture: it is not live. F8 opens a\n"
	"    menu: 1 for 1:1/scaled, f full screen, o figures overlay, m next monitor\n"
	"    (all, 1, 2, ...), c ask the customer for control, d Ctrl+Alt+Del, F8\n"
	"    sends F8. Ctrl+Alt+End sends Ctrl+Alt+Del. Clipboard text goes both ways.\n"
	"    --view-only asks the customer to view only; the terminal says what they\n"
	"    allowed and when, and why the session ended.\n"
	"    Lines typed in the terminal go to the customer's chat; /note TEXT,\n"
	"    /escalate L2|L3 TEXT and /control run on the ticket. A lost relay connection is\n"
	"    retried with back-off (1 s doubling to 30 s, 8 tries); the customer is\n"
	"    asked for consent again.\n"
	"\n"
	"EXIT STATUS\n"
	"    view: 0 when you ended the session, 1 when the relay refused the ticket,\n"
	"    the customer declined or the connection dropped. Other commands: the\n"
	"    remote command's status. 2 for a usage error, 255 when the relay could\n"
	"    not be reached or did not accept the login.\n"
	"\n"
	"EXAMPLES\n"
	"    printf 'relay = relay.example.com:2222\\nidentity = ~/.ssh/id_ed25519\\n' \\\n"
	"        > ~/.config/handoff/tech.conf\n"
	"    handoff-tech queue\n"
	"    handoff-tech ticket new 'Printer does not print'\n"
	"    handoff-tech invite 42\n"
	"    handoff-tech view 42\n";

/* --json anywhere on the command line: errors are JSON, as the relay writes them. */
static bool tech_main_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

/* A usage error: text, or under --json {"error": ..., "exit": 2} like the relay's (why is ours, plain ASCII). */
static int tech_main_usage(bool json, const char *why)
{
	if (json)
		fprintf(stderr, "{\"error\":\"handoff-tech: %s\",\"exit\":%d}\n", why, TECH_EXIT_USAGE);
	else
		fprintf(stderr, "handoff-tech: %s\nTry 'handoff-tech --help'.\n", why);
	return TECH_EXIT_USAGE;
}

static const char *tech_main_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* "42" only: no sign, no spaces, no zero, no trailing words. */
static int tech_main_ticket(const char *s, unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || *out == 0 || *out > 0xffffffffUL)
		return -1;
	return 0;
}

/* "all" or 1..SCREENINFO_MONITORS_MAX, as the helper numbers the customer's monitors. */
static int tech_main_monitor(const char *s, int *out)
{
	unsigned long n;

	if (strcmp(s, "all") == 0) {
		*out = 0;
		return 0;
	}
	if (tech_main_ticket(s, &n) != 0 || n > SCREENINFO_MONITORS_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

static int tech_main_view_args(int argc, char **argv, struct tech_view_opts *o, bool json)
{
	if (argc < 2)
		return tech_main_usage(json, "view needs a ticket number: view N [--headless] [--view-only] [--monitor N|all]");
	if (tech_main_ticket(argv[1], &o->ticket) != 0)
		return tech_main_usage(json, "view: the ticket is a number, e.g. view 42");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--headless") == 0)
			o->headless = true;
		else if (strcmp(argv[i], "--view-only") == 0)
			o->view_only = true;
		else if (strcmp(argv[i], "--monitor") == 0 && i + 1 < argc) {
			if (tech_main_monitor(argv[++i], &o->monitor) != 0)
				return tech_main_usage(json, "view: --monitor takes all or a monitor number, 1 to 16");
		} else
			return tech_main_usage(json, "view: unknown option (want --headless, --view-only or --monitor N|all)");
	}
	return 0;
}

/*
 * Relay commands whose output is binary (an export, a sealed recording):
 * on a terminal it would be garbage at best and terminal controls at
 * worst, so they are refused before logging in. Returns 0 to go on, or
 * the exit status after saying how to redirect.
 */
static int tech_main_binary_to_tty(int argc, char **argv)
{
	char name[96];

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (strcmp(argv[0], "export") == 0)
		snprintf(name, sizeof(name), "ticket-%.20s.hexp", argc > 1 ? argv[1] : "N");
	else if (strcmp(argv[0], "recording") == 0)
		snprintf(name, sizeof(name), "%.80s", argc > 2 ? (strrchr(argv[2], '/') ? strrchr(argv[2], '/') + 1 : argv[2])
								: "recording.hrec");
	else
		return 0;
	/* Only the characters a ticket number or recording name may hold go back to the terminal. */
	for (char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '-' || *p == '_'))
			*p = '_';
	fprintf(stderr, "handoff-tech: refusing to write binary data to a terminal; redirect to a file: > %s\n", name);
	return TECH_EXIT_USAGE;
}

/*
 * Fills what the command line and environment left open from tech.conf,
 * and expands "~/" in paths. 0, or -1 after printing why.
 */
static int tech_main_settings(struct tech_settings *st, struct tech_connect_opts *conn)
{
	const char *kh;

	if (tech_settings_load(st) != 0)
		return -1;
	if (conn->relay == NULL)
		conn->relay = tech_settings_get(st, "relay");
	if (conn->host_key == NULL)
		conn->host_key = tech_settings_get(st, "host_key");
	if (conn->also_n == 0 && tech_settings_get(st, "also_relay") != NULL) {
		/* Space-separated, in tech.conf: the settings' own copy is cut in place, as it lives as long. */
		char *list = (char *)(uintptr_t)tech_settings_get(st, "also_relay"), *save = NULL;

		for (char *w = strtok_r(list, " \t", &save); w != NULL && conn->also_n < TECH_CONNECT_ALSO_MAX;
		     w = strtok_r(NULL, " \t", &save))
			if (strstr(w, "=SHA256:") != NULL)
				conn->also[conn->also_n++] = w;
	}
	if (conn->user == NULL)
		conn->user = tech_settings_get(st, "user");
	if (conn->user == NULL)
		conn->user = "handoff";
	if (conn->identity == NULL)
		conn->identity = tech_settings_get(st, "identity");
	if (conn->identity != NULL) {
		if (tech_settings_expand(conn->identity, st->identity, sizeof(st->identity)) != 0) {
			fprintf(stderr, "handoff-tech: cannot expand the key path %s\n", conn->identity);
			goto fail;
		}
		conn->identity = st->identity;
	}
	kh = tech_settings_get(st, "known_hosts");
	if (kh == NULL)
		kh = "~/.config/handoff/known_hosts";
	/* Without a home there is no default file; a pinned key needs none. */
	if (tech_settings_expand(kh, st->known_hosts, sizeof(st->known_hosts)) == 0)
		conn->known_hosts = st->known_hosts;
	return 0;
fail:
	tech_settings_free(st);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "relay", required_argument, NULL, 'r' },
		{ "identity", required_argument, NULL, 'i' },
		{ "host-key", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "also-relay", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct tech_connect_opts conn = {
		.relay = tech_main_env("HANDOFF_RELAY"),
		.identity = tech_main_env("HANDOFF_IDENTITY"),
		.host_key = tech_main_env("HANDOFF_HOST_KEY"),
	};
	struct tech_view_opts view = { 0 };
	struct tech_settings st;
	struct sigaction ign = { .sa_handler = SIG_IGN };
	bool verbose = false, json = tech_main_json(argc, argv);
	ssh_session s = NULL;
	int c, rc;

	opterr = 0;
	/* '+': stop at the command, whose own options (escalate --to) are not ours. */
	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': conn.relay = optarg; break;
		case 'i': conn.identity = optarg; break;
		case 'k': conn.host_key = optarg; break;
		case 'u': conn.user = optarg; break;
		case 'a':
			if (conn.also_n >= TECH_CONNECT_ALSO_MAX || strstr(optarg, "=SHA256:") == NULL) {
				fprintf(stderr, "handoff-tech: --also-relay HOST:PORT=SHA256:... (at most %d)\n",
					TECH_CONNECT_ALSO_MAX);
				return 2;
			}
			conn.also[conn.also_n++] = optarg;
			break;
		case 'v': verbose = true; break;
		case 'h':
			fputs(tech_main_help, stdout);
			return 0;
		case 'V':
			printf("handoff-tech %s\n", HANDOFF_VERSION);
			return 0;
		default:
			if (!json)
				fprintf(stderr, "handoff-tech: unknown option or missing value: %s\n",
					argv[optind - 1]);
			return tech_main_usage(json, "global options go before the command");
		}
	}
	if (optind >= argc)
		return tech_main_usage(json, "no command given");
	argc -= optind;
	argv += optind;
	/* verify EXPORT is checked here, offline; a bare `verify` is the relay's. */
	if (strcmp(argv[0], "verify") == 0 && tech_verify_is_offline(argc, argv))
		return tech_verify_main(argc, argv);
	/* report --audit-key ... EXPORT... is computed here from verified exports; without a key it is the relay's. */
	if (strcmp(argv[0], "report") == 0 && tech_report_is_offline(argc, argv))
		return tech_report_main(argc, argv);
	if (strcmp(argv[0], "view") == 0 && (rc = tech_main_view_args(argc, argv, &view, json)) != 0)
		return rc;
	log_setup("handoff-tech", verbose ? LOG_DEBUG : LOG_WARN);
	/* libvncclient and our exec output write to sockets and pipes that may close under us. */
	sigaction(SIGPIPE, &ign, NULL);
	/* The auditors' commands work on local files and never log in to the relay. */
	if (strcmp(argv[0], "keygen") == 0)
		return tech_keygen_main(argc, argv);
	if (strcmp(argv[0], "webhook-verify") == 0)
		return tech_hookverify_main(argc, argv);
	if (strcmp(argv[0], "witness") == 0)
		return tech_heads_main(argc, argv);
	if (strcmp(argv[0], "replay") == 0)
		return tech_replay_main(argc, argv);
	if (strcmp(argv[0], "render") == 0)
		return tech_render_main(argc, argv);
	if ((rc = tech_main_binary_to_tty(argc, argv)) != 0)
		return rc;
	if (tech_main_settings(&st, &conn) != 0)
		return TECH_EXIT_SSH;
	if (tech_connect_open(&conn, &s) != 0) {
		tech_settings_free(&st);
		return TECH_EXIT_SSH;
	}
	if (strcmp(argv[0], "view") == 0)
		rc = tech_view_run(&s, &conn, &view);
	else
		rc = tech_exec_run(s, argv, (size_t)argc);
	sshutil_close(s);
	tech_settings_free(&st);
	return rc;
}
