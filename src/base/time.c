/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <custos/error.h>

#include "time.h"

/* Howard Hinnant's days_from_civil. */
int64_t cu_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char **p, unsigned n, unsigned *ret)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cu_time_parse_rfc3339(const char *s, int64_t *ret)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned Y, M, D, h, m, sec, oh = 0, om = 0;
	int sign = 0;
	const char *p = s;

	if (!s)
		return CU_ERR_MALFORMED;
	if (!digits(&p, 4, &Y) || !expect(&p, '-') || !digits(&p, 2, &M) || !expect(&p, '-') ||
	    !digits(&p, 2, &D))
		return CU_ERR_MALFORMED;
	if (*p != 'T' && *p != 't')
		return CU_ERR_MALFORMED;
	p++;
	if (!digits(&p, 2, &h) || !expect(&p, ':') || !digits(&p, 2, &m) || !expect(&p, ':') ||
	    !digits(&p, 2, &sec))
		return CU_ERR_MALFORMED;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return CU_ERR_MALFORMED;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if (!digits(&p, 2, &oh) || !expect(&p, ':') || !digits(&p, 2, &om))
			return CU_ERR_MALFORMED;
	} else {
		return CU_ERR_MALFORMED;
	}
	if (*p != '\0')
		return CU_ERR_MALFORMED;

	if (M < 1 || M > 12 || D < 1)
		return CU_ERR_MALFORMED;
	if (D > mdays[M - 1] + (M == 2 && leap(Y)))
		return CU_ERR_MALFORMED;
	/* RFC 3339 section 5.7: seconds may be 60 (leap second). */
	if (h > 23 || m > 59 || sec > 60 || oh > 23 || om > 59)
		return CU_ERR_MALFORMED;

	int64_t t = cu_days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	*ret = t;
	return 0;
}

void cu_time_format_rfc3339(int64_t t, char *buf, size_t size)
{
	int64_t days = t / 86400, rem = t % 86400, y;
	unsigned m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
	         (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}
