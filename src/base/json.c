/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "error.h"
#include "fileio.h"
#include "json.h"

int cu_json_parse(const char *buf, size_t size, size_t max_size, const char *what, json_t **ret,
                  struct cu_error *err)
{
	json_error_t jerr;
	json_t *j;

	if (size == 0)
		return cu_fail(err, CU_ERR_MALFORMED, what, "%s: empty document", what);
	if (size > max_size)
		return cu_fail(err, CU_ERR_TOO_LARGE, what,
		               "%s: %zu bytes, more than the limit of %zu", what, size, max_size);
	j = json_loadb(buf, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return cu_fail(err, CU_ERR_MALFORMED, what,
		               "%s: invalid JSON at line %d column %d: %s", what, jerr.line,
		               jerr.column, jerr.text);
	*ret = j;
	return 0;
}

int cu_json_load_file(const char *path, size_t max_size, const char *what, json_t **ret,
                      struct cu_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size;
	int r;

	r = cu_read_file(path, max_size, &buf, &size, err);
	if (r < 0)
		return r;
	r = cu_json_parse((const char *)buf, size, max_size, what, ret, err);
	if (r < 0)
		cu_error_prefix_file(err, path);
	return r;
}

bool cu_json_number_cmp(const json_t *a, const json_t *b, int *ret_cmp)
{
	if (!json_is_number(a) || !json_is_number(b))
		return false;
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);
		*ret_cmp = (x > y) - (x < y);
	} else if (json_is_integer(a) != json_is_integer(b)) {
		/* Integer against real: exactly, without rounding the integer to a double. */
		json_int_t i = json_integer_value(json_is_integer(a) ? a : b);
		double d = json_real_value(json_is_integer(a) ? b : a);
		int c;

		if (isnan(d))
			return false;
		if (d >= 9223372036854775808.0)
			c = -1;
		else if (d < -9223372036854775808.0)
			c = 1;
		else if ((double)(json_int_t)d == d)
			c = (i > (json_int_t)d) - (i < (json_int_t)d);
		else
			c = (json_int_t)floor(d) >= i ? -1 : 1;
		*ret_cmp = json_is_integer(a) ? c : -c;
	} else {
		double x = json_number_value(a), y = json_number_value(b);
		if (isnan(x) || isnan(y))
			return false;
		*ret_cmp = (x > y) - (x < y);
	}
	return true;
}

bool cu_json_scalar_equal(const json_t *a, const json_t *b)
{
	int cmp;

	if (!a || !b)
		return false;
	if (json_is_number(a) && json_is_number(b))
		return cu_json_number_cmp(a, b, &cmp) && cmp == 0;
	return json_equal((json_t *)a, (json_t *)b);
}

bool cu_json_is_scalar(const json_t *j)
{
	return json_is_string(j) || json_is_number(j) || json_is_boolean(j);
}

void cu_json_brief(const json_t *j, char *buf, size_t size)
{
	_cleanup_free_ char *s = NULL;
	size_t n;

	if (size == 0)
		return;
	if (!j) {
		snprintf(buf, size, "(absent)");
		return;
	}
	s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s) {
		snprintf(buf, size, "(unprintable)");
		return;
	}
	n = strlen(s);
	if (n < size) {
		memcpy(buf, s, n + 1);
		return;
	}
	if (size < 4) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, s, size - 4);
	buf[size - 4] = '\0';
	cu_utf8_trim_partial(buf);
	strcat(buf, "...");
}
