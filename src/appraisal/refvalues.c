/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reference values: named sets of accepted values, each value with an
 * optional validity window, so that a new measurement can be rolled out
 * before the old one is withdrawn. Format: docs/policy.md.
 */
#include <stdlib.h>
#include <string.h>

#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../base/time.h"
#include "refvalues.h"

struct cu_refvalues {
	json_t *sets; /* name -> normalised array */
};

#define STAGE "refvalues"

bool cu_name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CU_LIMIT_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

int cu_json_get_time(const json_t *obj, const char *key, const char *what, const char *where,
                     int64_t *ret, bool *ret_present, struct cu_error *err)
{
	const json_t *v = json_object_get(obj, key);
	int64_t t;

	if (ret_present)
		*ret_present = false;
	if (!v)
		return 0;
	if (!json_is_string(v) || cu_time_parse_rfc3339(json_string_value(v), &t) < 0)
		return cu_fail(
		    err, CU_ERR_MALFORMED, what,
		    "%s: %s.%s: expected an RFC 3339 time such as \"2026-01-31T00:00:00Z\"", what,
		    where, key);
	*ret = t;
	if (ret_present)
		*ret_present = true;
	return 0;
}

int cu_json_check_text(const json_t *obj, const char *key, const char *stage, const char *where,
                       struct cu_error *err)
{
	const json_t *v = json_object_get(obj, key);

	if (v && (!json_is_string(v) || json_string_length(v) > CU_LIMIT_JSON_STRING))
		return cu_fail(err, CU_ERR_MALFORMED, stage,
		               "%s: %s.%s: expected a string of at most %u bytes", stage, where,
		               key, CU_LIMIT_JSON_STRING);
	return 0;
}

bool cu_refvalue_entry_active(const json_t *entry, int64_t at)
{
	const json_t *nb = json_object_get(entry, "not_before");
	const json_t *na = json_object_get(entry, "not_after");

	if (nb && at < json_integer_value(nb))
		return false;
	if (na && at >= json_integer_value(na))
		return false;
	return true;
}

bool cu_refvalue_set_all_numbers(const json_t *set)
{
	size_t i;
	const json_t *e;

	json_array_foreach (set, i, e)
		if (!json_is_number(json_object_get(e, "value")))
			return false;
	return true;
}

static int check_value(const json_t *v, const char *where, struct cu_error *err)
{
	if (!cu_json_is_scalar(v))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE ": %s: a value must be a string, a number or a boolean",
		               where);
	if (json_is_string(v) && json_string_length(v) > CU_LIMIT_JSON_STRING)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE,
		               STAGE ": %s: string longer than %u bytes", where,
		               CU_LIMIT_JSON_STRING);
	return 0;
}

/* One entry: a bare value, or {"value", "not_before"?, "not_after"?, "description"?}. */
static int parse_entry(const json_t *in, const char *where, json_t **ret, struct cu_error *err)
{
	json_auto_t *out = json_object();
	const char *key;
	const json_t *v;
	int64_t nb = 0, na = 0;
	bool has_nb, has_na;
	int r;

	if (!out)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	if (!json_is_object(in)) {
		r = check_value(in, where, err);
		if (r < 0)
			return r;
		if (json_object_set(out, "value", (json_t *)in) < 0)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
		*ret = json_incref(out);
		return 0;
	}
	json_object_foreach ((json_t *)in, key, v) {
		if (strcmp(key, "value") && strcmp(key, "not_before") && strcmp(key, "not_after") &&
		    strcmp(key, "description"))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               STAGE
			               ": %s: unknown key \"%s\" (expected value, not_before, "
			               "not_after, description)",
			               where, key);
	}
	v = json_object_get(in, "value");
	if (!v)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": %s: missing \"value\"",
		               where);
	r = check_value(v, where, err);
	if (r < 0)
		return r;
	r = cu_json_check_text(in, "description", STAGE, where, err);
	if (r < 0)
		return r;
	r = cu_json_get_time(in, "not_before", STAGE, where, &nb, &has_nb, err);
	if (r < 0)
		return r;
	r = cu_json_get_time(in, "not_after", STAGE, where, &na, &has_na, err);
	if (r < 0)
		return r;
	if (has_nb && has_na && na <= nb)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE
		               ": %s: not_after is not later than not_before: the value would "
		               "never be in effect",
		               where);
	if (json_object_set(out, "value", (json_t *)v) < 0 ||
	    (has_nb && json_object_set_new(out, "not_before", json_integer(nb)) < 0) ||
	    (has_na && json_object_set_new(out, "not_after", json_integer(na)) < 0))
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	*ret = json_incref(out);
	return 0;
}

static int parse_set(const char *name, const json_t *in, json_t **ret, struct cu_error *err)
{
	json_auto_t *out = json_array();
	const json_t *values, *v;
	const char *key;
	char where[CU_LIMIT_NAME + 64];
	size_t i;
	int r;

	if (!out)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	if (!json_is_object(in))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE ": $.sets.%s: expected an object with \"values\"", name);
	json_object_foreach ((json_t *)in, key, v) {
		if (strcmp(key, "values") && strcmp(key, "description"))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               STAGE ": $.sets.%s: unknown key \"%s\" (expected values, "
			                     "description)",
			               name, key);
	}
	snprintf(where, sizeof(where), "$.sets.%s", name);
	r = cu_json_check_text(in, "description", STAGE, where, err);
	if (r < 0)
		return r;
	values = json_object_get(in, "values");
	if (!json_is_array(values))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE ": $.sets.%s.values: expected an array", name);
	if (json_array_size(values) > CU_LIMIT_REFVALUES_PER_SET)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE,
		               STAGE ": $.sets.%s.values: more than %u values", name,
		               CU_LIMIT_REFVALUES_PER_SET);
	json_array_foreach (values, i, v) {
		json_t *e = NULL;

		snprintf(where, sizeof(where), "$.sets.%s.values[%zu]", name, i);
		r = parse_entry(v, where, &e, err);
		if (r < 0)
			return r;
		if (json_array_append_new(out, e) < 0)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	*ret = json_incref(out);
	return 0;
}

static int load_json(cu_refvalues **ret, const json_t *doc, struct cu_error *err)
{
	json_auto_t *sets = json_object();
	const json_t *v, *in_sets;
	const char *key;
	int r;

	if (!sets)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	if (!json_is_object(doc))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": $: expected a JSON object");
	json_object_foreach ((json_t *)doc, key, v) {
		if (strcmp(key, "version") && strcmp(key, "sets") && strcmp(key, "description"))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               STAGE ": $: unknown key \"%s\" (expected version, sets, "
			                     "description)",
			               key);
	}
	v = json_object_get(doc, "version");
	if (!v)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": $.version: missing (use 1)");
	r = cu_json_check_text(doc, "description", STAGE, "$", err);
	if (r < 0)
		return r;
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               STAGE ": $.version: only version 1 is supported");
	in_sets = json_object_get(doc, "sets");
	if (!json_is_object(in_sets))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE ": $.sets: expected an object of named sets");
	if (json_object_size(in_sets) > CU_LIMIT_REFVALUE_SETS)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE, STAGE ": $.sets: more than %u sets",
		               CU_LIMIT_REFVALUE_SETS);
	json_object_foreach ((json_t *)in_sets, key, v) {
		json_t *set = NULL;

		if (!cu_name_is_valid(key))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               STAGE
			               ": $.sets: invalid set name \"%.*s\" (1-%u characters of "
			               "A-Z a-z 0-9 . _ : -)",
			               (int)CU_LIMIT_NAME, key, CU_LIMIT_NAME);
		r = parse_set(key, v, &set, err);
		if (r < 0)
			return r;
		if (json_object_set_new(sets, key, set) < 0)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	*ret = calloc(1, sizeof(**ret));
	if (!*ret)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	(*ret)->sets = json_incref(sets);
	return 0;
}

CU_EXPORT int cu_refvalues_load(cu_refvalues **ret, const char *json, size_t size,
                                struct cu_error *err)
{
	json_auto_t *doc = NULL;
	int r;

	if (!ret || (!json && size))
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, STAGE ": invalid argument");
	r = cu_json_parse(json, size, CU_LIMIT_REFVALUES_SIZE, STAGE, &doc, err);
	if (r < 0)
		return r;
	return load_json(ret, doc, err);
}

CU_EXPORT int cu_refvalues_load_file(cu_refvalues **ret, const char *path, struct cu_error *err)
{
	json_auto_t *doc = NULL;
	int r;

	if (!ret || !path)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, STAGE ": invalid argument");
	r = cu_json_load_file(path, CU_LIMIT_REFVALUES_SIZE, STAGE, &doc, err);
	if (r < 0)
		return r;
	r = load_json(ret, doc, err);
	if (r < 0)
		cu_error_prefix_file(err, path);
	return r;
}

CU_EXPORT void cu_refvalues_free(cu_refvalues *rv)
{
	if (!rv)
		return;
	json_decref(rv->sets);
	free(rv);
}

const json_t *cu_refvalues_get0_set(const cu_refvalues *rv, const char *name)
{
	return rv && name ? json_object_get(rv->sets, name) : NULL;
}

CU_EXPORT bool cu_refvalues_has(const cu_refvalues *rv, const char *name)
{
	return cu_refvalues_get0_set(rv, name) != NULL;
}

CU_EXPORT json_t *cu_refvalues_active(const cu_refvalues *rv, const char *name, int64_t at)
{
	const json_t *set = cu_refvalues_get0_set(rv, name), *e;
	json_t *out;
	size_t i;

	if (!set)
		return NULL;
	out = json_array();
	if (!out)
		return NULL;
	json_array_foreach (set, i, e) {
		if (cu_refvalue_entry_active(e, at) &&
		    json_array_append(out, json_object_get(e, "value")) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

void cu_refvalues_names(const cu_refvalues *rv, char *buf, size_t size)
{
	const char *key;
	const json_t *v;
	size_t used = 0;

	if (size == 0)
		return;
	snprintf(buf, size, "none");
	json_object_foreach (rv->sets, key, v) {
		int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", key);
		if (n < 0 || (size_t)n >= size - used) {
			if (size > 4)
				memcpy(buf + size - 4, "...", 4);
			return;
		}
		used += (size_t)n;
	}
}
