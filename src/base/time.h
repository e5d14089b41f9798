/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_BASE_TIME_H
#define CU_BASE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/*
 * Parse an RFC 3339 date-time ("2024-01-01T00:00:00Z", optional fraction,
 * "Z" or a numeric offset) into seconds since the Unix epoch. Fractions are
 * truncated. Returns 0 or CU_ERR_MALFORMED; *ret untouched on failure.
 */
int cu_time_parse_rfc3339(const char *s, int64_t *ret) _must_check_;

/* Format as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 32 bytes). */
void cu_time_format_rfc3339(int64_t t, char *buf, size_t size);

/* Days since 1970-01-01 of a proleptic Gregorian date (no range checks). */
int64_t cu_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
