/*
 * fuzz_event.c: libFuzzer target for the event details that are parsed
 * again after the relay wrote them (protocol/event.c): attachment-added and
 * recording-closed, read from a store or an export an auditor was handed.
 *
 * Besides memory errors, the target checks that
 *   - a parsed attachment names a positive id, a kind and a name;
 *   - a parsed recording path is one the relay may open;
 *   - whatever parses formats back to exactly its input (one spelling per
 *     detail, so the format and the parse cannot drift apart).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_attachment a;
	struct event_recording r;
	char *s, *again;

	if (size > CHAIN_DETAIL_MAX)
		return 0;
	s = malloc(size + 1);
	again = malloc(size + 1);
	if (s == NULL || again == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (event_attachment_parse(s, &a) == 0) {
		if (a.id <= 0 || a.kind[0] == '\0' || a.name[0] == '\0')
			abort();
		/* Case-blind only because hex may come in upper case; the relay writes lower. */
		if (event_attachment_format(again, size + 1, a.id, a.kind, a.name, a.size, a.sha256) != 0 ||
		    strcasecmp(again, s) != 0)
			abort();
	}
	if (event_recording_parse(s, &r) == 0) {
		if (!event_recording_path_ok(r.path))
			abort();
		if (event_recording_format(again, size + 1, r.path, r.hashed ? r.sha256 : NULL, r.size, r.state) != 0 ||
		    strcasecmp(again, s) != 0)
			abort();
	}
	free(again);
	free(s);
	return 0;
}
