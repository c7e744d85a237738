/*
 * techreport.c: `handoff-tech report --audit-key FILE.pub EXPORT...`, the
 * relay's `report` computed offline from exports. Each export is verified
 * first (export_verify, as `verify` does); only then are its ticket's
 * events fed to protocol/report.c, the same code  the relay runs over its
 * chain, so exports of every ticket give the relay's numbers. A ticket's
 * state depends on its own events only, so the order of the files does
 * not matter.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chain.h"
#include "export.h"
#include "timefmt.h"
#include "verify.h"
#include "techreport.h"

static const char tech_report_usage[] =
	"usage: handoff-tech report --audit-key FILE.pub [--since YYYY-MM-DD] [--until YYYY-MM-DD]\n"
	"                           [--by tier|tech|priority|kb] [--json|--csv|--html] EXPORT...\n";

int tech_report_is_offline(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--audit-key") == 0)
			return 1;
	return 0;
}

static void tech_report_event(uint64_t seq, const struct chain_event *e, void *ctx)
{
	struct relay_report_event ev = { .ticket = (int64_t)e->ticket, .at = e->at, .kind = e->kind, .actor = e->actor,
					 .role = e->role, .detail = e->detail };

	(void)seq;
	relay_report_event(ctx, &ev);
}

int tech_report_main(int argc, char **argv)
{
	const char *keyfile = NULL, *since = NULL, *until = NULL, *by = NULL, *format = "text";
	uint8_t pub[CHAIN_PUB_LEN];
	struct relay_report r;
	struct buf out;
	char err[512];
	int64_t from = 0, to = 0;
	int files = 0, rc = 2, b;

	for (int i = 1; i < argc; i++) {
		const char **value = strcmp(argv[i], "--audit-key") == 0 ? &keyfile : strcmp(argv[i], "--since") == 0 ? &since
				     : strcmp(argv[i], "--until") == 0 ? &until : strcmp(argv[i], "--by") == 0 ? &by : NULL;

		if (value != NULL) {
			if (i + 1 == argc) {
				fputs(tech_report_usage, stderr);
				return 2;
			}
			*value = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--csv") == 0 || strcmp(argv[i], "--html") == 0) {
			if (strcmp(format, "text") != 0) {
				fprintf(stderr, "handoff-tech report: one of --json, --csv, --html\n");
				return 2;
			}
			format = argv[i] + 2;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "handoff-tech report: unknown option %s\n%s", argv[i], tech_report_usage);
			return 2;
		} else
			files++;
	}
	if (keyfile == NULL || files == 0) {
		fputs(tech_report_usage, stderr);
		return 2;
	}
	if ((since != NULL && timefmt_parse_day(since, &from) != 0) || (until != NULL && timefmt_parse_day(until, &to) != 0)) {
		fprintf(stderr, "handoff-tech report: --since and --until want a day as YYYY-MM-DD\n");
		return 2;
	}
	if (to != 0)
		to += 86400;
	if ((b = relay_report_by_parse(by)) < 0) {
		fprintf(stderr, "handoff-tech report: --by is tier, tech, priority or kb\n");
		return 2;
	}
	if (chain_pub_load(keyfile, pub, err, sizeof(err)) != 0) {
		fprintf(stderr, "handoff-tech report: %s\n", err);
		return 2;
	}
	relay_report_init(&r, from, to, (enum relay_report_by)b);
	buf_init(&out, 64u * 1024 * 1024);
	for (int i = 1; i < argc; i++) {
		struct export_report rep;
		uint8_t *data;
		size_t len;

		if (strcmp(argv[i], "--audit-key") == 0 || strcmp(argv[i], "--since") == 0 || strcmp(argv[i], "--until") == 0 ||
		    strcmp(argv[i], "--by") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		if (tech_verify_read(argv[i], EXPORT_FILE_MAX, &data, &len) != 0)
			goto out;
		/* Nothing of an export counts before all of it verified: export_verify calls back only then. */
		if (export_verify(data, len, pub, &rep, tech_report_event, &r, err, sizeof(err)) != 0) {
			fprintf(stderr, "handoff-tech report: %s: export verification FAILED: %s\n", argv[i], err);
			free(data);
			rc = 1;
			goto out;
		}
		free(data);
	}
	if (relay_report_finish(&r) != 0) {
		fprintf(stderr, "handoff-tech report: out of memory\n");
		rc = 1;
		goto out;
	}
	if (strcmp(format, "json") == 0)
		relay_report_json(&r, &out);
	else if (strcmp(format, "csv") == 0)
		relay_report_csv(&r, &out);
	else if (strcmp(format, "html") == 0)
		relay_report_html(&r, &out);
	else
		relay_report_text(&r, &out);
	fwrite(buf_ptr(&out), 1, buf_len(&out), stdout);
	rc = 0;
out:
	buf_free(&out);
	relay_report_free(&r);
	return rc;
}
