/*
 * fuzz_triage.c: libFuzzer target for the desk's parsers of relay.conf
 * values: relay/triage.c's matrix row and checklist, relay/sla.c's targets.
 *
 * The input (NUL-terminated copy) is parsed as both. A row that parses
 * holds three priorities P1..P4 and changes only its own impact's row; a
 * refusal leaves the matrix as it was and says why. A checklist that parses
 * holds at most RELAY_CHECKLIST_MAX distinct names, each a valid field
 * that finds itself, and every field is missing until it is marked. SLA
 * targets that parse are at most a year each, the response no later than
 * the resolution; a refusal changes nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sla.h"
#include "triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_triage_matrix m, before;
	struct relay_checklist c;
	bool filled[RELAY_CHECKLIST_MAX] = { false };
	char *text = malloc(size + 1), why[256], missing[512];

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	relay_triage_default(&m);
	before = m;
	why[0] = '\0';
	if (relay_triage_row_parse(&m, 1, text, why, sizeof(why)) == 0) {
		for (int u = 0; u < RELAY_TRIAGE_LEVELS; u++) {
			const char *p = relay_triage_priority(&m, 1, u);

			if (p == NULL || p[0] != 'P' || p[1] < '1' || p[1] > '4' || p[2] != '\0')
				abort();
		}
		if (memcmp(m.p[0], before.p[0], sizeof(m.p[0])) != 0 || memcmp(m.p[2], before.p[2], sizeof(m.p[2])) != 0)
			abort();
	} else if (why[0] == '\0' || memcmp(&m, &before, sizeof(m)) != 0) {
		abort();
	}
	why[0] = '\0';
	if (relay_checklist_parse(&c, text, why, sizeof(why)) == 0) {
		if (c.n > RELAY_CHECKLIST_MAX)
			abort();
		for (size_t i = 0; i < c.n; i++)
			if (!relay_triage_field_ok(c.field[i]) || relay_checklist_find(&c, c.field[i]) != (int)i)
				abort();
		if (relay_checklist_missing(&c, filled, missing, sizeof(missing)) != c.n)
			abort();
		for (size_t i = 0; i < c.n; i++)
			filled[i] = true;
		if (relay_checklist_missing(&c, filled, missing, sizeof(missing)) != 0 || missing[0] != '\0')
			abort();
	} else if (why[0] == '\0') {
		abort();
	}
	{
		struct relay_sla_targets t, t0;

		relay_sla_default(&t);
		t0 = t;
		why[0] = '\0';
		if (relay_sla_parse(&t, 2, text, why, sizeof(why)) == 0) {
			if (t.response[2] > 31536000 || t.resolve[2] > 31536000 ||
			    (t.response[2] && t.resolve[2] && t.response[2] > t.resolve[2]) ||
			    memcmp(t.response, t0.response, 2 * sizeof(t.response[0])) != 0)
				abort();
		} else if (why[0] == '\0' || memcmp(&t, &t0, sizeof(t)) != 0) {
			abort();
		}
	}
	free(text);
	return 0;
}
