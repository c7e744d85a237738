/*
 * clock.c: the relay's idea of now. Every event, deadline and record time
 * comes from relay_now, so a test can move the whole relay forward in time
 * (HANDOFF_CLOCK_OFFSET_FILE) without waiting for it. It sits at the
 * bottom of relay/: it calls nothing of the relay's and everything may
 * call it.
 */
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "relay.h"

int64_t relay_now(struct relay *relay)
{
	return (int64_t)time(NULL) + relay->clock_offset;
}

int64_t relay_now_ms(struct relay *relay)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec + relay->clock_offset) * 1000 + ts.tv_nsec / 1000000;
}

void relay_clock_refresh(struct relay *relay)
{
	FILE *f;
	long long offset = 0;

	if (relay->clock_offset_path == NULL)
		return;
	f = fopen(relay->clock_offset_path, "r");
	if (f == NULL)
		return;
	if (fscanf(f, "%lld", &offset) == 1 && offset >= 0 && offset < 100LL * 365 * 86400 &&
	    offset != relay->clock_offset) {
		relay->clock_offset = offset;
		/* Tests wait for this line instead of sleeping through a tick. */
		log_info("the test clock is now offset by %lld s", offset);
	}
	fclose(f);
}
