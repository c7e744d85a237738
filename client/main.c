/*
 * handoff-helper: the customer's side of Handoff. Connects out to the
 * relay, signs in with a one-time support code, and shares this X display
 * over RFB with the technicians the customer allows, one at a time, in the
 * order they ask. See --help, and session.c for how the pieces meet.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "log.h"
#include "platform.h"
#include "session.h"
#include "version.h"

int main(int argc, char **argv)
{
	struct helper_options opt;
	char err[512];
	int rc;

	helper_platform_console(false);
	log_setup("handoff-helper", LOG_INFO);
	helper_platform_ignore_sigpipe();
	if (helper_platform_bundle_args(&argc, &argv) != 0)
		return 2;

	rc = helper_cli_parse(argc, argv, &opt, err, sizeof(err));
	if (rc == HELPER_CLI_VERSION) {
		printf("handoff-helper %s\n", HANDOFF_VERSION);
		return 0;
	}
	if (rc == HELPER_CLI_HELP) {
		helper_cli_usage(stdout);
		return 0;
	}
	if (rc != HELPER_CLI_OK) {
		helper_cli_wipe(&opt);
		fprintf(stderr, "handoff-helper: %s\n", err);
		helper_platform_last_words(err);
		return 2;
	}
	/* The terminal UI needs a terminal; the window (and auto, which tries it first) does not. */
	if (strcmp(opt.ui, "tty") == 0)
		helper_platform_console(true);
	if (opt.verbose)
		log_setup("handoff-helper", LOG_DEBUG);
	helper_i18n_init(opt.lang);
	rc = helper_session_run(&opt);
	helper_cli_wipe(&opt);
	return rc;
}
