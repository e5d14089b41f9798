/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/appraisal/refvalues.c: the reference-value document and its windows. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <custos/appraisal.h>

#include "../../src/appraisal/refvalues.h"
#include "../../src/base/limits.h"
#include "test-util.h"

/* A pointer no loader may produce: outputs left unchanged on failure. */
static char sentinel_byte;
#define SENTINEL ((cu_refvalues *)&sentinel_byte)

#define DAY 86400

static cu_refvalues *rv_ok(const char *json)
{
	struct cu_error err = { 0 };
	cu_refvalues *rv = NULL;

	if (cu_refvalues_load(&rv, json, strlen(json), &err) < 0)
		fail_msg("did not load: %s\n%s", err.message, json);
	assert_non_null(rv);
	return rv;
}

/*
 * Expect a load error with `code`, stage "refvalues", the output left alone,
 * and a message "refvalues: PATH: ..." containing `needle`.
 */
static void rv_fail(const char *json, size_t size, int code, const char *path, const char *needle)
{
	struct cu_error err = { 0 };
	cu_refvalues *rv = SENTINEL;
	char prefix[512];
	int r = cu_refvalues_load(&rv, json, size, &err);

	if (r == 0) {
		cu_refvalues_free(rv);
		fail_msg("loaded, expected error %d (%s):\n%.300s", code, needle ? needle : "",
		         json);
	}
	assert_int_equal(r, code);
	assert_ptr_equal(rv, SENTINEL);
	assert_int_equal(err.code, code);
	assert_non_null(err.stage);
	assert_string_equal(err.stage, "refvalues");
	if (path) {
		snprintf(prefix, sizeof(prefix), "refvalues: %s: ", path);
		if (strncmp(err.message, prefix, strlen(prefix)))
			fail_msg("message \"%s\" does not start with \"%s\"", err.message, prefix);
	}
	if (needle && !strstr(err.message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static void rv_fails(const char *json, int code, const char *path, const char *needle)
{
	rv_fail(json, strlen(json), code, path, needle);
}

/* A document with one set "a" whose values are `values` (JSON text). */
static char *doc_values(const char *values)
{
	char *s = NULL;

	assert_true(asprintf(&s, "{\"version\":1,\"sets\":{\"a\":{\"values\":%s}}}", values) > 0);
	return s;
}

static void values_fail(const char *values, int code, const char *path, const char *needle)
{
	char *d = doc_values(values);

	rv_fails(d, code, path, needle);
	free(d);
}

static cu_refvalues *values_ok(const char *values)
{
	char *d = doc_values(values);
	cu_refvalues *rv = rv_ok(d);

	free(d);
	return rv;
}

/* The values of `name` in effect at `at`, as compact JSON text (caller frees). */
static char *active(const cu_refvalues *rv, const char *name, int64_t at)
{
	json_t *a = cu_refvalues_active(rv, name, at);
	char *s;

	assert_non_null(a);
	assert_true(json_is_array(a));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	assert_non_null(s);
	return s;
}

static void assert_active(const cu_refvalues *rv, const char *name, int64_t at, const char *want)
{
	char *s = active(rv, name, at);

	if (strcmp(s, want))
		fail_msg("active(%s, %lld) = %s, expected %s", name, (long long)at, s, want);
	free(s);
}

/* ---- The document --------------------------------------------------------------- */

static void test_load_minimal(void **state)
{
	cu_refvalues *rv;

	(void)state;
	rv = rv_ok("{\"version\":1,\"sets\":{}}");
	assert_false(cu_refvalues_has(rv, "a"));
	assert_null(cu_refvalues_active(rv, "a", 0));
	cu_refvalues_free(rv);

	rv = rv_ok("{\"description\":\"d\",\"sets\":{\"a\":{\"values\":[]}},\"version\":1}");
	assert_true(cu_refvalues_has(rv, "a"));
	/* A set without values exists, and has nothing in effect. */
	assert_active(rv, "a", 0, "[]");
	cu_refvalues_free(rv);

	cu_refvalues_free(NULL);
}

static void test_load_full(void **state)
{
	const char *doc = "{\"version\":1,\"description\":\"all forms\",\"sets\":{"
	                  "\"img\":{\"description\":\"images\",\"values\":["
	                  "\"aa\","
	                  "{\"value\":\"bb\",\"description\":\"second\"},"
	                  "{\"value\":\"cc\",\"not_before\":\"2026-01-01T00:00:00Z\"},"
	                  "{\"value\":\"dd\",\"not_after\":\"2026-01-01T00:00:00Z\"},"
	                  "{\"value\":\"ee\",\"not_before\":\"2025-01-01T00:00:00Z\","
	                  "\"not_after\":\"2027-01-01T00:00:00Z\",\"description\":\"windowed\"}]},"
	                  "\"fw\":{\"values\":[5,{\"value\":8.5},-1]},"
	                  "\"flags\":{\"values\":[true,{\"value\":false}]},"
	                  "\"Mixed.Name_1:x-y\":{\"values\":[\"s\",2,true]}}}";
	cu_refvalues *rv = rv_ok(doc);
	const json_t *set;

	(void)state;
	assert_true(cu_refvalues_has(rv, "img"));
	assert_true(cu_refvalues_has(rv, "fw"));
	assert_true(cu_refvalues_has(rv, "flags"));
	assert_true(cu_refvalues_has(rv, "Mixed.Name_1:x-y"));
	assert_false(cu_refvalues_has(rv, "IMG"));
	assert_false(cu_refvalues_has(rv, "im"));
	assert_false(cu_refvalues_has(rv, ""));
	assert_false(cu_refvalues_has(rv, NULL));
	assert_false(cu_refvalues_has(NULL, "img"));

	/* Values keep their type and order. */
	assert_active(rv, "fw", 0, "[5,8.5,-1]");
	assert_active(rv, "flags", 0, "[true,false]");
	assert_active(rv, "Mixed.Name_1:x-y", 0, "[\"s\",2,true]");
	assert_active(rv, "img", tu_time("2024-06-01T00:00:00Z"), "[\"aa\",\"bb\",\"dd\"]");
	assert_active(rv, "img", tu_time("2025-06-01T00:00:00Z"), "[\"aa\",\"bb\",\"dd\",\"ee\"]");
	assert_active(rv, "img", tu_time("2026-06-01T00:00:00Z"), "[\"aa\",\"bb\",\"cc\",\"ee\"]");
	assert_active(rv, "img", tu_time("2027-06-01T00:00:00Z"), "[\"aa\",\"bb\",\"cc\"]");
	assert_null(cu_refvalues_active(rv, "nope", 0));
	assert_null(cu_refvalues_active(rv, NULL, 0));
	assert_null(cu_refvalues_active(NULL, "img", 0));

	/* The normalised form: {"value", "not_before"?, "not_after"?}, descriptions dropped. */
	set = cu_refvalues_get0_set(rv, "img");
	assert_non_null(set);
	assert_int_equal(json_array_size(set), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(set, 0), "value")),
	                    "aa");
	assert_int_equal(json_object_size(json_array_get(set, 0)), 1);
	assert_int_equal(json_object_size(json_array_get(set, 1)), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(set, 2), "not_before")),
	                 tu_time("2026-01-01T00:00:00Z"));
	assert_null(json_object_get(json_array_get(set, 2), "not_after"));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(set, 4), "not_after")),
	                 tu_time("2027-01-01T00:00:00Z"));
	assert_int_equal(json_object_size(json_array_get(set, 4)), 3);
	assert_true(cu_refvalue_set_all_numbers(cu_refvalues_get0_set(rv, "fw")));
	assert_false(cu_refvalue_set_all_numbers(cu_refvalues_get0_set(rv, "img")));
	assert_false(cu_refvalue_set_all_numbers(cu_refvalues_get0_set(rv, "Mixed.Name_1:x-y")));
	assert_false(cu_refvalue_set_all_numbers(cu_refvalues_get0_set(rv, "flags")));
	cu_refvalues_free(rv);
}

static void test_load_args(void **state)
{
	struct cu_error err = { 0 };
	cu_refvalues *rv = SENTINEL;

	(void)state;
	assert_int_equal(cu_refvalues_load(NULL, "{}", 2, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(err.code, CU_ERR_INVALID_ARG);
	assert_int_equal(cu_refvalues_load(&rv, NULL, 2, &err), CU_ERR_INVALID_ARG);
	assert_ptr_equal(rv, SENTINEL);
	assert_int_equal(cu_refvalues_load_file(NULL, "x", &err), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_refvalues_load_file(&rv, NULL, &err), CU_ERR_INVALID_ARG);
	assert_ptr_equal(rv, SENTINEL);
	/* Without an error struct. */
	assert_int_equal(cu_refvalues_load(&rv, "[]", 2, NULL), CU_ERR_MALFORMED);
	assert_ptr_equal(rv, SENTINEL);
}

static void test_load_json_errors(void **state)
{
	const char *big_prefix = "{\"version\":1,\"sets\":{}}";
	size_t big = (size_t)CU_LIMIT_REFVALUES_SIZE + 1;
	char *buf;

	(void)state;
	rv_fail("", 0, CU_ERR_MALFORMED, NULL, "refvalues: empty document");
	rv_fail(NULL, 0, CU_ERR_MALFORMED, NULL, "empty document");
	rv_fails("{\"version\":1,", CU_ERR_MALFORMED, NULL, "refvalues: invalid JSON at line 1");
	rv_fails("{\"version\":1,\"sets\":{}} x", CU_ERR_MALFORMED, NULL, "invalid JSON");
	rv_fails("{\"version\":1,\"version\":1,\"sets\":{}}", CU_ERR_MALFORMED, NULL, "duplicate");
	rv_fails("{\"version\":1,\"sets\":{\"a\":{\"values\":[]},\"a\":{\"values\":[]}}}",
	         CU_ERR_MALFORMED, NULL, "duplicate");
	/* Over the size limit: refused before parsing. */
	buf = malloc(big);
	assert_non_null(buf);
	memset(buf, ' ', big);
	memcpy(buf, big_prefix, strlen(big_prefix));
	rv_fail(buf, big, CU_ERR_TOO_LARGE, NULL, "limit");
	free(buf);
}

static void test_version(void **state)
{
	(void)state;
	rv_fails("{}", CU_ERR_MALFORMED, "$.version", "missing");
	rv_fails("{\"sets\":{}}", CU_ERR_MALFORMED, "$.version", "missing");
	rv_fails("{\"version\":2,\"sets\":{}}", CU_ERR_UNSUPPORTED, "$.version", "version 1");
	rv_fails("{\"version\":0,\"sets\":{}}", CU_ERR_UNSUPPORTED, "$.version", NULL);
	rv_fails("{\"version\":\"1\",\"sets\":{}}", CU_ERR_UNSUPPORTED, "$.version", NULL);
	rv_fails("{\"version\":1.0,\"sets\":{}}", CU_ERR_UNSUPPORTED, "$.version", NULL);
	rv_fails("{\"version\":true,\"sets\":{}}", CU_ERR_UNSUPPORTED, "$.version", NULL);
	rv_fails("{\"version\":null,\"sets\":{}}", CU_ERR_UNSUPPORTED, "$.version", NULL);
}

static void test_structure(void **state)
{
	(void)state;
	rv_fails("[]", CU_ERR_MALFORMED, "$", "expected a JSON object");
	rv_fails("[{\"version\":1,\"sets\":{}}]", CU_ERR_MALFORMED, "$", "expected a JSON object");
	/* sets */
	rv_fails("{\"version\":1}", CU_ERR_MALFORMED, "$.sets", "expected an object");
	rv_fails("{\"version\":1,\"sets\":[]}", CU_ERR_MALFORMED, "$.sets", NULL);
	rv_fails("{\"version\":1,\"sets\":null}", CU_ERR_MALFORMED, "$.sets", NULL);
	/* one set */
	rv_fails("{\"version\":1,\"sets\":{\"a\":[1,2]}}", CU_ERR_MALFORMED, "$.sets.a",
	         "expected an object with \"values\"");
	rv_fails("{\"version\":1,\"sets\":{\"a\":\"x\"}}", CU_ERR_MALFORMED, "$.sets.a", NULL);
	rv_fails("{\"version\":1,\"sets\":{\"a\":{}}}", CU_ERR_MALFORMED, "$.sets.a.values",
	         "expected an array");
	rv_fails("{\"version\":1,\"sets\":{\"a\":{\"description\":\"x\"}}}", CU_ERR_MALFORMED,
	         "$.sets.a.values", "expected an array");
	values_fail("{\"value\":1}", CU_ERR_MALFORMED, "$.sets.a.values", "expected an array");
	values_fail("1", CU_ERR_MALFORMED, "$.sets.a.values", NULL);
	/* The second set is at fault: it is the one named. */
	rv_fails("{\"version\":1,\"sets\":{\"a\":{\"values\":[1]},\"b\":{\"values\":[[]]}}}",
	         CU_ERR_MALFORMED, "$.sets.b.values[0]", NULL);
}

static void test_unknown_keys(void **state)
{
	(void)state;
	/* Top level. */
	rv_fails("{\"version\":1,\"sets\":{},\"comment\":\"x\"}", CU_ERR_MALFORMED, "$",
	         "unknown key \"comment\"");
	rv_fails("{\"Version\":1,\"sets\":{}}", CU_ERR_MALFORMED, "$", "unknown key \"Version\"");
	/* Set level. */
	rv_fails("{\"version\":1,\"sets\":{\"a\":{\"values\":[],\"valus\":[]}}}", CU_ERR_MALFORMED,
	         "$.sets.a", "unknown key \"valus\"");
	/* Entry level, with the index of the entry. */
	values_fail("[1,{\"value\":2,\"notBefore\":\"2026-01-01T00:00:00Z\"}]", CU_ERR_MALFORMED,
	            "$.sets.a.values[1]", "unknown key \"notBefore\"");
	values_fail("[{\"value\":2,\"x\":null}]", CU_ERR_MALFORMED, "$.sets.a.values[0]",
	            "unknown key \"x\"");
}

static void test_descriptions(void **state)
{
	(void)state;
	/* Entry descriptions must be strings. */
	values_fail("[{\"value\":1,\"description\":5}]", CU_ERR_MALFORMED,
	            "$.sets.a.values[0].description", "expected a string");
	values_fail("[{\"value\":1,\"description\":null}]", CU_ERR_MALFORMED,
	            "$.sets.a.values[0].description", NULL);
}

/*
 * The descriptions of the document and of a set are text, as an entry's (and
 * a policy's "$.description") are.
 */
static void test_description_document(void **state)
{
	(void)state;
	rv_fails("{\"version\":1,\"sets\":{},\"description\":{\"a\":1}}", CU_ERR_MALFORMED,
	         "$.description", "expected a string");
}

static void test_description_set(void **state)
{
	(void)state;
	rv_fails("{\"version\":1,\"sets\":{\"a\":{\"values\":[],\"description\":[1]}}}",
	         CU_ERR_MALFORMED, "$.sets.a.description", "expected a string");
}

static void test_set_names(void **state)
{
	static const char *const bad[] = {
		"", "a b", "a/b", "a$", "caf\\u00e9", "tab\\t", "a\\\"b", "a{b}", "a,b", "a+b",
	};
	char name[CU_LIMIT_NAME + 2];
	char doc[512];
	cu_refvalues *rv;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "{\"version\":1,\"sets\":{\"%s\":{\"values\":[1]}}}",
		         bad[i]);
		rv_fails(doc, CU_ERR_MALFORMED, "$.sets", "invalid set name");
	}
	/* CU_LIMIT_NAME characters are fine, one more is not. */
	memset(name, 'n', CU_LIMIT_NAME);
	name[CU_LIMIT_NAME] = '\0';
	snprintf(doc, sizeof(doc), "{\"version\":1,\"sets\":{\"%s\":{\"values\":[1]}}}", name);
	rv = rv_ok(doc);
	assert_true(cu_refvalues_has(rv, name));
	cu_refvalues_free(rv);
	name[CU_LIMIT_NAME] = 'n';
	name[CU_LIMIT_NAME + 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"version\":1,\"sets\":{\"%s\":{\"values\":[1]}}}", name);
	rv_fails(doc, CU_ERR_MALFORMED, "$.sets", "invalid set name");

	/* The predicate itself. */
	assert_true(cu_name_is_valid("a"));
	assert_true(cu_name_is_valid("AZaz09._:-"));
	assert_false(cu_name_is_valid(""));
	assert_false(cu_name_is_valid(" a"));
	assert_false(cu_name_is_valid("a\n"));
	assert_false(cu_name_is_valid("\xc3\xa9"));
	assert_false(cu_name_is_valid(name));
	name[CU_LIMIT_NAME] = '\0';
	assert_true(cu_name_is_valid(name));
}

static void test_value_types(void **state)
{
	cu_refvalues *rv;

	(void)state;
	rv = values_ok("[\"s\",0,-7,1.25,true,false,{\"value\":\"t\"},{\"value\":3},{\"value\":"
	               "true},{\"value\":0.5}]");
	assert_active(rv, "a", 0, "[\"s\",0,-7,1.25,true,false,\"t\",3,true,0.5]");
	cu_refvalues_free(rv);

	/* Objects (other than an entry), arrays and null are refused, bare or as "value". */
	values_fail("[null]", CU_ERR_MALFORMED, "$.sets.a.values[0]",
	            "a value must be a string, a number or a boolean");
	values_fail("[1,[1]]", CU_ERR_MALFORMED, "$.sets.a.values[1]", "a value must be");
	values_fail("[{\"value\":null}]", CU_ERR_MALFORMED, "$.sets.a.values[0]",
	            "a value must be");
	values_fail("[{\"value\":[\"x\"]}]", CU_ERR_MALFORMED, "$.sets.a.values[0]",
	            "a value must be");
	values_fail("[{\"value\":{\"value\":1}}]", CU_ERR_MALFORMED, "$.sets.a.values[0]",
	            "a value must be");
	/* An object without "value". */
	values_fail("[{}]", CU_ERR_MALFORMED, "$.sets.a.values[0]", "missing \"value\"");
	values_fail("[{\"description\":\"x\"}]", CU_ERR_MALFORMED, "$.sets.a.values[0]",
	            "missing \"value\"");
}

static void test_string_limit(void **state)
{
	size_t n = CU_LIMIT_JSON_STRING;
	char *values = malloc(n + 16);
	cu_refvalues *rv;

	(void)state;
	assert_non_null(values);
	/* ["xxx...x"] with exactly the limit: accepted. */
	values[0] = '[';
	values[1] = '"';
	memset(values + 2, 'x', n);
	strcpy(values + 2 + n, "\"]");
	rv = values_ok(values);
	cu_refvalues_free(rv);
	/* One more byte: too large, bare or in an entry. */
	memset(values + 2, 'x', n + 1);
	strcpy(values + 3 + n, "\"]");
	values_fail(values, CU_ERR_TOO_LARGE, "$.sets.a.values[0]", "longer than 4096");
	free(values);
}

static void test_counts(void **state)
{
	size_t n = CU_LIMIT_REFVALUES_PER_SET + 1;
	char *values = malloc(2 * n + 2), *doc, *p;
	cu_refvalues *rv;
	json_t *a;

	(void)state;
	/* CU_LIMIT_REFVALUES_PER_SET values: fine; one more: too large. */
	assert_non_null(values);
	p = values;
	*p++ = '[';
	for (size_t i = 0; i < n - 1; i++) {
		*p++ = '1';
		*p++ = ',';
	}
	p[-1] = ']';
	*p = '\0';
	rv = values_ok(values);
	a = cu_refvalues_active(rv, "a", 0);
	assert_int_equal(json_array_size(a), CU_LIMIT_REFVALUES_PER_SET);
	json_decref(a);
	cu_refvalues_free(rv);
	p[-1] = ',';
	strcpy(p, "1]");
	values_fail(values, CU_ERR_TOO_LARGE, "$.sets.a.values", "more than 65536 values");
	free(values);

	/* CU_LIMIT_REFVALUE_SETS sets: fine; one more: too large. */
	n = CU_LIMIT_REFVALUE_SETS + 1;
	doc = malloc(n * 32 + 64);
	assert_non_null(doc);
	p = doc + sprintf(doc, "{\"version\":1,\"sets\":{");
	for (size_t i = 0; i < n - 1; i++)
		p += sprintf(p, "\"s%zu\":{\"values\":[]},", i);
	strcpy(p - 1, "}}");
	rv = rv_ok(doc);
	assert_true(cu_refvalues_has(rv, "s0"));
	assert_true(cu_refvalues_has(rv, "s4095"));
	cu_refvalues_free(rv);
	sprintf(p - 1, ",\"s%zu\":{\"values\":[]}}}", n - 1);
	rv_fails(doc, CU_ERR_TOO_LARGE, "$.sets", "more than 4096 sets");
	free(doc);
}

/* ---- Validity windows --------------------------------------------------------------- */

static void test_window_errors(void **state)
{
	static const char *const bad_times[] = {
		"\"2026-01-31\"",
		"\"2026-01-31T00:00:00\"",
		"\"2026-01-31 00:00:00Z\"",
		"\"2026-13-01T00:00:00Z\"",
		"\"2026-02-30T00:00:00Z\"",
		"\"2026-01-31T24:00:00Z\"",
		"\"2026-01-31T00:00:00Z \"",
		"\"yesterday\"",
		"\"\"",
		"1769817600",
		"null",
		"true",
		"[\"2026-01-31T00:00:00Z\"]",
	};
	char values[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		snprintf(values, sizeof(values), "[1,{\"value\":2,\"not_before\":%s}]",
		         bad_times[i]);
		values_fail(values, CU_ERR_MALFORMED, "$.sets.a.values[1].not_before",
		            "expected an RFC 3339 time");
		snprintf(values, sizeof(values), "[{\"value\":2,\"not_after\":%s}]", bad_times[i]);
		values_fail(values, CU_ERR_MALFORMED, "$.sets.a.values[0].not_after",
		            "expected an RFC 3339 time");
	}
	/* not_after must be later than not_before. */
	values_fail("[{\"value\":1,\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2026-01-"
	            "01T00:00:00Z\"}]",
	            CU_ERR_MALFORMED, "$.sets.a.values[0]",
	            "not_after is not later than not_before");
	values_fail(
	    "[1,2,{\"value\":1,\"not_before\":\"2026-01-02T00:00:00Z\",\"not_after\":\"2026-"
	    "01-01T00:00:00Z\"}]",
	    CU_ERR_MALFORMED, "$.sets.a.values[2]", "never be in effect");
	/* The same instant written with an offset is still not later. */
	values_fail("[{\"value\":1,\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2026-01-"
	            "01T01:00:00+01:00\"}]",
	            CU_ERR_MALFORMED, "$.sets.a.values[0]", "not_after is not later");
}

static void test_window_boundaries(void **state)
{
	int64_t nb = tu_time("2026-01-01T00:00:00Z"), na = tu_time("2026-02-01T00:00:00Z");
	cu_refvalues *rv = values_ok(
	    "[\"always\",{\"value\":\"from\",\"not_before\":\"2026-01-01T00:00:00Z\"},"
	    "{\"value\":\"until\",\"not_after\":\"2026-02-01T00:00:00Z\"},"
	    "{\"value\":\"window\",\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2026-02-"
	    "01T00:00:00Z\"},"
	    "{\"value\":\"offset\",\"not_before\":\"2026-01-01T02:00:00+02:00\",\"not_after\":"
	    "\"2026-01-31T19:00:00-05:00\"},"
	    "{\"value\":\"second\",\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2026-01-"
	    "01T00:00:01Z\"}]");

	(void)state;
	/* Before the window. */
	assert_active(rv, "a", nb - 1, "[\"always\",\"until\"]");
	assert_active(rv, "a", INT64_MIN, "[\"always\",\"until\"]");
	/* not_before is inclusive. */
	assert_active(rv, "a", nb,
	              "[\"always\",\"from\",\"until\",\"window\",\"offset\",\"second\"]");
	assert_active(rv, "a", nb + 1, "[\"always\",\"from\",\"until\",\"window\",\"offset\"]");
	/* Inside, up to the last second before not_after. */
	assert_active(rv, "a", na - 1, "[\"always\",\"from\",\"until\",\"window\",\"offset\"]");
	/* not_after is exclusive. */
	assert_active(rv, "a", na, "[\"always\",\"from\"]");
	assert_active(rv, "a", INT64_MAX, "[\"always\",\"from\"]");

	/* The entry predicate, on the normalised entries. */
	const json_t *set = cu_refvalues_get0_set(rv, "a");
	const json_t *window = json_array_get(set, 3);
	assert_false(cu_refvalue_entry_active(window, nb - 1));
	assert_true(cu_refvalue_entry_active(window, nb));
	assert_true(cu_refvalue_entry_active(window, na - 1));
	assert_false(cu_refvalue_entry_active(window, na));
	assert_true(cu_refvalue_entry_active(json_array_get(set, 0), INT64_MIN));
	/* The offset entry normalised to UTC: the same window. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(set, 4), "not_before")),
	                 nb);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(set, 4), "not_after")),
	                 na);
	cu_refvalues_free(rv);
}

/*
 * Rolling out a new measurement: the old one is accepted until T, the new one
 * from a day before T, so both are accepted while machines are updated.
 */
static void test_rollout(void **state)
{
	int64_t t = tu_time("2026-03-01T00:00:00Z");
	cu_refvalues *rv =
	    values_ok("[{\"value\":\"old\",\"not_after\":\"2026-03-01T00:00:00Z\"},"
	              "{\"value\":\"new\",\"not_before\":\"2026-02-28T00:00:00Z\"}]");

	(void)state;
	assert_active(rv, "a", t - 2 * DAY, "[\"old\"]");
	assert_active(rv, "a", t - DAY - 1, "[\"old\"]");
	assert_active(rv, "a", t - DAY, "[\"old\",\"new\"]");
	assert_active(rv, "a", t - DAY / 2, "[\"old\",\"new\"]");
	assert_active(rv, "a", t - 1, "[\"old\",\"new\"]");
	assert_active(rv, "a", t, "[\"new\"]");
	assert_active(rv, "a", t + 365 * DAY, "[\"new\"]");
	cu_refvalues_free(rv);
}

/* cu_refvalues_active returns a new array each time; the set is not changed by it. */
static void test_active_independent(void **state)
{
	cu_refvalues *rv = values_ok("[\"x\",\"y\"]");
	json_t *a = cu_refvalues_active(rv, "a", 0);

	(void)state;
	assert_non_null(a);
	assert_int_equal(json_array_clear(a), 0);
	assert_int_equal(json_array_append_new(a, json_string("z")), 0);
	json_decref(a);
	assert_active(rv, "a", 0, "[\"x\",\"y\"]");
	cu_refvalues_free(rv);
}

static void test_names(void **state)
{
	cu_refvalues *rv = rv_ok("{\"version\":1,\"sets\":{\"alpha\":{\"values\":[]},\"beta\":{"
	                         "\"values\":[]},\"gamma\":{\"values\":[]}}}");
	cu_refvalues *empty = rv_ok("{\"version\":1,\"sets\":{}}");
	char buf[64];

	(void)state;
	cu_refvalues_names(rv, buf, sizeof(buf));
	assert_string_equal(buf, "alpha, beta, gamma");
	cu_refvalues_names(empty, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	/* Cut to fit, marked with "...". */
	cu_refvalues_names(rv, buf, 12);
	assert_int_equal(strlen(buf), 11);
	assert_string_equal(buf + 8, "...");
	assert_memory_equal(buf, "alpha, ", 7);
	cu_refvalues_free(rv);
	cu_refvalues_free(empty);
}

/* ---- Files ----------------------------------------------------------------------------- */

static void write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/custos-test-refvalues-XXXXXX";
	char path[256];
	struct cu_error err = { 0 };
	cu_refvalues *rv = SENTINEL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/refvalues.json", dir);

	/* Missing file: an I/O error naming the file. */
	assert_int_equal(cu_refvalues_load_file(&rv, path, &err), CU_ERR_IO);
	assert_ptr_equal(rv, SENTINEL);
	assert_int_equal(err.code, CU_ERR_IO);
	assert_non_null(strstr(err.message, path));

	/* A directory is not a document. */
	assert_int_equal(cu_refvalues_load_file(&rv, dir, &err), CU_ERR_IO);
	assert_ptr_equal(rv, SENTINEL);

	/* Invalid JSON: "PATH: refvalues: invalid JSON ...". */
	write_file(path, "{\"version\":1,\n\"sets\":{}");
	assert_int_equal(cu_refvalues_load_file(&rv, path, &err), CU_ERR_MALFORMED);
	assert_ptr_equal(rv, SENTINEL);
	assert_string_equal(err.stage, "refvalues");
	assert_memory_equal(err.message, path, strlen(path));
	assert_memory_equal(err.message + strlen(path), ": refvalues: invalid JSON at line 2", 35);

	/* A content error: "PATH: refvalues: $.sets.a.values[0]: ...", prefixed once. */
	write_file(path, "{\"version\":1,\"sets\":{\"a\":{\"values\":[null]}}}");
	assert_int_equal(cu_refvalues_load_file(&rv, path, &err), CU_ERR_MALFORMED);
	assert_ptr_equal(rv, SENTINEL);
	assert_memory_equal(err.message, path, strlen(path));
	assert_memory_equal(err.message + strlen(path), ": refvalues: $.sets.a.values[0]: ", 33);
	assert_null(strstr(err.message + strlen(path), path));

	/* Unsupported version. */
	write_file(path, "{\"version\":3,\"sets\":{}}");
	assert_int_equal(cu_refvalues_load_file(&rv, path, &err), CU_ERR_UNSUPPORTED);
	assert_ptr_equal(rv, SENTINEL);
	assert_memory_equal(err.message, path, strlen(path));

	/* An empty file. */
	write_file(path, "");
	assert_int_equal(cu_refvalues_load_file(&rv, path, &err), CU_ERR_MALFORMED);
	assert_ptr_equal(rv, SENTINEL);
	assert_non_null(strstr(err.message, "empty document"));

	/* A good file. */
	write_file(path, "{\"version\":1,\"sets\":{\"fw\":{\"values\":[{\"value\":7,\"not_before\":"
	                 "\"2026-01-01T00:00:00Z\"}]}}}");
	rv = NULL;
	assert_int_equal(cu_refvalues_load_file(&rv, path, &err), 0);
	assert_true(cu_refvalues_has(rv, "fw"));
	assert_active(rv, "fw", tu_time("2025-12-31T23:59:59Z"), "[]");
	assert_active(rv, "fw", tu_time("2026-01-01T00:00:00Z"), "[7]");
	cu_refvalues_free(rv);

	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_minimal),
		cmocka_unit_test(test_load_full),
		cmocka_unit_test(test_load_args),
		cmocka_unit_test(test_load_json_errors),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_descriptions),
		cmocka_unit_test(test_description_document),
		cmocka_unit_test(test_description_set),
		cmocka_unit_test(test_set_names),
		cmocka_unit_test(test_value_types),
		cmocka_unit_test(test_string_limit),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_window_errors),
		cmocka_unit_test(test_window_boundaries),
		cmocka_unit_test(test_rollout),
		cmocka_unit_test(test_active_independent),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
