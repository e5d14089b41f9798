/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/base/time.c: RFC 3339 parsing and formatting, civil dates. */
#include <string.h>

#include "../../src/base/time.h"
#include "test-util.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)

static int64_t parse_ok(const char *s)
{
	int64_t t = SENTINEL;

	if (cu_time_parse_rfc3339(s, &t) != 0)
		fail_msg("expected '%s' to parse", s);
	return t;
}

static void assert_rejected(const char *s)
{
	int64_t t = SENTINEL;
	int r = cu_time_parse_rfc3339(s, &t);

	if (r != CU_ERR_MALFORMED)
		fail_msg("expected '%s' to be rejected, got %d", s ? s : "(null)", r);
	assert_true(t == SENTINEL);
}

static void test_days_from_civil(void **state)
{
	assert_int_equal(cu_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(cu_days_from_civil(1970, 1, 2), 1);
	assert_int_equal(cu_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(cu_days_from_civil(1971, 1, 1), 365);
	assert_int_equal(cu_days_from_civil(1972, 3, 1), 365 + 365 + 31 + 29);
	assert_int_equal(cu_days_from_civil(2000, 1, 1), 10957);
	assert_int_equal(cu_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(cu_days_from_civil(2024, 2, 29), 19782);
	assert_int_equal(cu_days_from_civil(2038, 1, 19), 24855);
	assert_int_equal(cu_days_from_civil(2100, 3, 1), 47541);
	assert_int_equal(cu_days_from_civil(1900, 1, 1), -25567);
	assert_int_equal(cu_days_from_civil(1600, 1, 1), -135140);
	assert_int_equal(cu_days_from_civil(0, 3, 1), -719468);
	assert_int_equal(cu_days_from_civil(9999, 12, 31), 2932896);
}

static void test_parse_z(void **state)
{
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("1970-01-01T00:00:01Z"), 1);
	assert_int_equal(parse_ok("2024-01-01T00:00:00Z"), 1704067200);
	assert_int_equal(parse_ok("2024-01-01T00:00:00z"), 1704067200);
	assert_int_equal(parse_ok("2024-01-01t00:00:00Z"), 1704067200);
	assert_int_equal(parse_ok("2024-01-01t00:00:00z"), 1704067200);
	assert_int_equal(parse_ok("2009-02-13T23:31:30Z"), 1234567890);
	assert_int_equal(parse_ok("2038-01-19T03:14:08Z"), INT64_C(2147483648));
	assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), INT64_C(253402300799));
	assert_int_equal(parse_ok("0000-01-01T00:00:00Z"), INT64_C(-62167219200));
}

static void test_parse_offsets(void **state)
{
	const int64_t base = 1704067200; /* 2024-01-01T00:00:00Z */

	assert_int_equal(parse_ok("2024-01-01T05:30:00+05:30"), base);
	assert_int_equal(parse_ok("2023-12-31T16:00:00-08:00"), base);
	assert_int_equal(parse_ok("2024-01-01T00:00:00+00:00"), base);
	assert_int_equal(parse_ok("2024-01-01T00:00:00-00:00"), base);
	assert_int_equal(parse_ok("2024-01-01T00:00:00+05:30"), base - 5 * 3600 - 30 * 60);
	assert_int_equal(parse_ok("2024-01-01T00:00:00-08:00"), base + 8 * 3600);
	assert_int_equal(parse_ok("2024-01-01T00:00:00+23:59"), base - 23 * 3600 - 59 * 60);
}

static void test_parse_fractions(void **state)
{
	const int64_t base = 1704067200;

	assert_int_equal(parse_ok("2024-01-01T00:00:00.0Z"), base);
	assert_int_equal(parse_ok("2024-01-01T00:00:00.999999999Z"), base);
	assert_int_equal(parse_ok("2024-01-01T00:00:01.5Z"), base + 1);
	assert_int_equal(parse_ok("2024-01-01T05:30:00.123+05:30"), base);
	assert_int_equal(parse_ok("2024-01-01T00:00:00.000000000000000000001Z"), base);
	/* A dot needs at least one digit. */
	assert_rejected("2024-01-01T00:00:00.Z");
	assert_rejected("2024-01-01T00:00:00.");
	assert_rejected("2024-01-01T00:00:00.+01:00");
	assert_rejected("2024-01-01T00:00:00,5Z");
}

static void test_parse_leap(void **state)
{
	assert_int_equal(parse_ok("2024-02-29T00:00:00Z"), INT64_C(19782) * 86400);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), INT64_C(11016) * 86400);
	assert_rejected("2023-02-29T00:00:00Z");
	assert_rejected("1900-02-29T00:00:00Z");
	assert_rejected("2100-02-29T00:00:00Z");
	assert_rejected("2024-02-30T00:00:00Z");
	assert_int_equal(parse_ok("2023-02-28T00:00:00Z") + 86400,
	                 parse_ok("2023-03-01T00:00:00Z"));

	/* A leap second is accepted and counts as the next second. */
	assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), parse_ok("2017-01-01T00:00:00Z"));
	assert_rejected("2016-12-31T23:59:61Z");
}

static void test_parse_invalid_fields(void **state)
{
	/* Months. */
	assert_rejected("2024-00-01T00:00:00Z");
	assert_rejected("2024-13-01T00:00:00Z");
	assert_rejected("2024-99-01T00:00:00Z");
	/* Days, per month. */
	assert_rejected("2024-01-00T00:00:00Z");
	assert_rejected("2024-01-32T00:00:00Z");
	assert_rejected("2024-04-31T00:00:00Z");
	assert_rejected("2024-06-31T00:00:00Z");
	assert_rejected("2024-09-31T00:00:00Z");
	assert_rejected("2024-11-31T00:00:00Z");
	assert_int_equal(parse_ok("2024-12-31T00:00:00Z"),
	                 parse_ok("2025-01-01T00:00:00Z") - 86400);
	/* Hours, minutes, seconds. */
	assert_rejected("2024-01-01T24:00:00Z");
	assert_rejected("2024-01-01T25:00:00Z");
	assert_rejected("2024-01-01T00:60:00Z");
	assert_rejected("2024-01-01T00:00:99Z");
	/* Offsets. */
	assert_rejected("2024-01-01T00:00:00+24:00");
	assert_rejected("2024-01-01T00:00:00+05:60");
	assert_rejected("2024-01-01T00:00:00+0530");
	assert_rejected("2024-01-01T00:00:00+05");
	assert_rejected("2024-01-01T00:00:00+5:30");
	assert_rejected("2024-01-01T00:00:00+05:3");
}

static void test_parse_syntax(void **state)
{
	assert_rejected(NULL);
	assert_rejected("");
	assert_rejected("2024");
	assert_rejected("2024-01-01");
	assert_rejected("2024-01-01 00:00:00Z");
	assert_rejected("2024-01-0100:00:00Z");
	assert_rejected("2024-01-01X00:00:00Z");
	assert_rejected("2024-01-01T00:00:00");
	assert_rejected("2024-01-01T00:00Z");
	assert_rejected("2024-01-01T00:00:00ZZ");
	assert_rejected("2024-01-01T00:00:00Z ");
	assert_rejected("2024-01-01T00:00:00Zgarbage");
	assert_rejected("2024-01-01T00:00:00+05:30:00");
	assert_rejected(" 2024-01-01T00:00:00Z");
	assert_rejected("24-01-01T00:00:00Z");
	assert_rejected("+2024-01-01T00:00:00Z");
	assert_rejected("2024-1-01T00:00:00Z");
	assert_rejected("2024-01-1T00:00:00Z");
	assert_rejected("2024-01-01T0:00:00Z");
	assert_rejected("2024/01/01T00:00:00Z");
	assert_rejected("2024-01-01T00-00-00Z");
	assert_rejected("2024-0a-01T00:00:00Z");
	assert_rejected("2024-01-01T00:00:0aZ");
	assert_rejected("2024-01-01T00:00:00UTC");
}

static void test_format(void **state)
{
	char buf[32];

	cu_time_format_rfc3339(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	cu_time_format_rfc3339(1704067200, buf, sizeof(buf));
	assert_string_equal(buf, "2024-01-01T00:00:00Z");
	cu_time_format_rfc3339(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	cu_time_format_rfc3339(-86400, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T00:00:00Z");
	cu_time_format_rfc3339(-86401, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-30T23:59:59Z");
	cu_time_format_rfc3339(INT64_C(19782) * 86400 + 3661, buf, sizeof(buf));
	assert_string_equal(buf, "2024-02-29T01:01:01Z");
	cu_time_format_rfc3339(INT64_C(4102444800), buf, sizeof(buf));
	assert_string_equal(buf, "2100-01-01T00:00:00Z");

	/* A small buffer is truncated, not overflowed. */
	memset(buf, 'X', sizeof(buf));
	cu_time_format_rfc3339(0, buf, 5);
	assert_string_equal(buf, "1970");
	assert_int_equal(buf[5], 'X');
}

static void test_round_trip(void **state)
{
	static const char *const samples[] = {
		"1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1900-01-01T00:00:00Z",
		"1601-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z",
		"2000-02-29T12:34:56Z", "2024-02-29T23:59:59Z", "2038-01-19T03:14:08Z",
		"2100-02-28T23:59:59Z", "2100-03-01T00:00:00Z", "2400-02-29T00:00:00Z",
		"3000-06-15T08:09:10Z", "9999-12-31T23:59:59Z",
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		int64_t t = parse_ok(samples[i]);

		cu_time_format_rfc3339(t, buf, sizeof(buf));
		assert_string_equal(buf, samples[i]);
	}

	/* A sweep of times, before 1970 and far into the future. */
	for (int64_t t = INT64_C(-62135596800); t <= INT64_C(253402300799);
	     t += INT64_C(86400) * 97 + 3 * 3600 + 7 * 60 + 13) {
		int64_t back = SENTINEL;

		cu_time_format_rfc3339(t, buf, sizeof(buf));
		assert_int_equal(cu_time_parse_rfc3339(buf, &back), 0);
		if (back != t)
			fail_msg("round trip of %lld gave %s = %lld", (long long)t, buf,
			         (long long)back);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_from_civil), cmocka_unit_test(test_parse_z),
		cmocka_unit_test(test_parse_offsets),   cmocka_unit_test(test_parse_fractions),
		cmocka_unit_test(test_parse_leap),      cmocka_unit_test(test_parse_invalid_fields),
		cmocka_unit_test(test_parse_syntax),    cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
