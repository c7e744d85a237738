/*
 * timefmt.c: see timefmt.h. The formats are literals, one per style, so the
 * compiler checks them.
 */
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>
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

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): arithmetic rather than timegm, which the Windows build's
 * C library lacks.
 */
static int64_t timefmt_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int timefmt_parse_day(const char *s, int64_t *out)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	/* 29 February only in a leap year. */
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*out = timefmt_days(y, m, d) * 86400;
	return 0;
}
