/*
 * timefmt.c: see timefmt.h. The formats are literals, one per style, so the
 * compiler checks them.
 */
#include "timefmt.h"

#include <time.h>

void timefmt_utc(int64_t at, enum timefmt_style style, char *out, size_t outlen)
{
	time_t t = (time_t)at;
	struct tm tm;
	size_t n = 0;

	if (outlen == 0)
		return;
	if (gmtime_r(&t, &tm) != NULL) {
		switch (style) {
		case TIMEFMT_DATETIME:
			n = strftime(out, outlen, "%Y-%m-%d %H:%M:%SZ", &tm);
			break;
		case TIMEFMT_CLOCK:
			n = strftime(out, outlen, "%H:%M:%S", &tm);
			break;
		case TIMEFMT_ISO:
			n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
			break;
		}
	}
	if (n == 0)
		out[0] = '\0';
}
