/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/base/json.c: strict parsing, scalar comparison, brief renderings. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/base/json.h"
#include "test-util.h"

/* A pointer that no function under test may produce: outputs left unchanged. */
static json_t sentinel_json;
#define SENTINEL (&sentinel_json)

static json_t *parse_ok(const char *s, size_t n)
{
	struct cu_error err = { 0 };
	json_t *j = NULL;

	if (cu_json_parse(s, n, 1024, "doc", &j, &err) < 0)
		fail_msg("did not parse: %s", err.message);
	assert_non_null(j);
	return j;
}

/* Expect cu_json_parse to fail with `code`; the output is left unchanged. */
static void parse_fail(const char *s, size_t n, size_t max, int code, const char *needle)
{
	struct cu_error err = { 0 };
	json_t *j = SENTINEL;

	assert_int_equal(cu_json_parse(s, n, max, "doc", &j, &err), code);
	assert_ptr_equal(j, SENTINEL);
	assert_int_equal(err.code, code);
	assert_non_null(err.stage);
	assert_string_equal(err.stage, "doc");
	/* The message names the document first. */
	assert_memory_equal(err.message, "doc: ", 5);
	if (needle && !strstr(err.message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static void test_parse_ok(void **state)
{
	json_t *j;

	(void)state;
	j = parse_ok("{\"a\": [1, 2.5, \"x\", true, null]}", 32);
	assert_true(json_is_object(j));
	assert_int_equal(json_array_size(json_object_get(j, "a")), 5);
	json_decref(j);

	j = parse_ok("[]", 2);
	assert_true(json_is_array(j));
	json_decref(j);

	/* Surrounding whitespace is not trailing data. */
	j = parse_ok(" \n\t{}\r\n ", 8);
	assert_true(json_is_object(j));
	json_decref(j);

	/* Only `size` bytes are read: what follows in memory is ignored. */
	j = parse_ok("{}garbage", 2);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);

	/* Keys may repeat in different objects. */
	j = parse_ok("{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}}", 30);
	json_decref(j);

	/* Without an error struct. */
	j = NULL;
	assert_int_equal(cu_json_parse("{}", 2, 2, "doc", &j, NULL), 0);
	json_decref(j);
	j = SENTINEL;
	assert_int_equal(cu_json_parse("{", 1, 2, "doc", &j, NULL), CU_ERR_MALFORMED);
	assert_ptr_equal(j, SENTINEL);
}

static void test_parse_empty(void **state)
{
	(void)state;
	parse_fail("", 0, 1024, CU_ERR_MALFORMED, "empty document");
	parse_fail(NULL, 0, 1024, CU_ERR_MALFORMED, "empty document");
	/* Whitespace only is not a document either. */
	parse_fail("  ", 2, 1024, CU_ERR_MALFORMED, "invalid JSON");
}

static void test_parse_too_large(void **state)
{
	json_t *j = NULL;
	struct cu_error err = { 0 };

	(void)state;
	/* Exactly at the limit is fine, one byte more is refused before parsing. */
	assert_int_equal(cu_json_parse("[1,2]", 5, 5, "doc", &j, &err), 0);
	json_decref(j);
	parse_fail("[1,2] ", 6, 5, CU_ERR_TOO_LARGE, "6 bytes, more than the limit of 5");
	/* Refused by size even when it would not parse. */
	parse_fail("xxxxxxxx", 8, 4, CU_ERR_TOO_LARGE, "limit");
}

static void test_parse_duplicates(void **state)
{
	(void)state;
	parse_fail("{\"a\":1,\"a\":2}", 13, 1024, CU_ERR_MALFORMED, "duplicate");
	/* Also nested, and with equal values. */
	parse_fail("{\"x\":{\"a\":1,\"b\":0,\"a\":1}}", 25, 1024, CU_ERR_MALFORMED, "duplicate");
	parse_fail("[{\"a\":1},{\"b\":1,\"b\":1}]", 23, 1024, CU_ERR_MALFORMED, "duplicate");
}

static void test_parse_trailing(void **state)
{
	(void)state;
	parse_fail("{} x", 4, 1024, CU_ERR_MALFORMED, "end of file expected");
	parse_fail("{}{}", 4, 1024, CU_ERR_MALFORMED, "invalid JSON");
	parse_fail("[1]]", 4, 1024, CU_ERR_MALFORMED, "invalid JSON");
	parse_fail("{},", 3, 1024, CU_ERR_MALFORMED, "invalid JSON");
	/* A NUL byte after the document is trailing data, not an end marker. */
	parse_fail("{}\0", 3, 1024, CU_ERR_MALFORMED, "invalid JSON");
	parse_fail("{}\0{\"a\":1}", 10, 1024, CU_ERR_MALFORMED, "invalid JSON");
}

static void test_parse_nul(void **state)
{
	(void)state;
	/* A raw NUL inside a string, and an escaped one. */
	parse_fail("{\"a\":\"x\0y\"}", 11, 1024, CU_ERR_MALFORMED, "invalid JSON");
	parse_fail("{\"a\":\"\\u0000\"}", 14, 1024, CU_ERR_MALFORMED, "invalid JSON");
	parse_fail("{\"\\u0000\":1}", 12, 1024, CU_ERR_MALFORMED, "invalid JSON");
}

static void test_parse_invalid(void **state)
{
	const char *doc = "{\n  \"a\": 1,\n  \"b\": x\n}";
	struct cu_error err = { 0 };
	json_t *j = SENTINEL;

	(void)state;
	/* The position of the error: line 3, column 8 (the 'x'). */
	parse_fail(doc, strlen(doc), 1024, CU_ERR_MALFORMED,
	           "doc: invalid JSON at line 3 column 8: ");
	parse_fail("{\"a\":1,}", 8, 1024, CU_ERR_MALFORMED, "line 1 column");
	parse_fail("{", 1, 1024, CU_ERR_MALFORMED, "invalid JSON at line 1");
	/* A document is an object or an array. */
	parse_fail("1", 1, 1024, CU_ERR_MALFORMED, "invalid JSON");
	parse_fail("\"x\"", 3, 1024, CU_ERR_MALFORMED, "invalid JSON");
	parse_fail("true", 4, 1024, CU_ERR_MALFORMED, "invalid JSON");
	/* Invalid UTF-8. */
	parse_fail("[\"\xff\"]", 5, 1024, CU_ERR_MALFORMED, "invalid JSON");

	/* `what` is both the stage and the message prefix. */
	assert_int_equal(cu_json_parse("{", 1, 10, "policy", &j, &err), CU_ERR_MALFORMED);
	assert_string_equal(err.stage, "policy");
	assert_memory_equal(err.message, "policy: invalid JSON at line 1", 30);
	assert_ptr_equal(j, SENTINEL);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/custos-test-json-XXXXXX";
	struct cu_error err = { 0 };
	json_t *j = SENTINEL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"a\":1,\"a\":2}", 13), 13);
	close(fd);

	/* A parse error is prefixed with the file name. */
	assert_int_equal(cu_json_load_file(path, 1024, "doc", &j, &err), CU_ERR_MALFORMED);
	assert_ptr_equal(j, SENTINEL);
	assert_memory_equal(err.message, path, strlen(path));
	assert_non_null(strstr(err.message, ": doc: invalid JSON"));

	/* Too large for the limit. */
	assert_int_equal(cu_json_load_file(path, 5, "doc", &j, &err), CU_ERR_TOO_LARGE);
	assert_ptr_equal(j, SENTINEL);

	/* A good file. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"a\":1}", 7), 7);
	close(fd);
	j = NULL;
	assert_int_equal(cu_json_load_file(path, 1024, "doc", &j, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);

	/* An empty file. */
	assert_int_equal(truncate(path, 0), 0);
	j = SENTINEL;
	assert_int_equal(cu_json_load_file(path, 1024, "doc", &j, &err), CU_ERR_MALFORMED);
	assert_ptr_equal(j, SENTINEL);
	assert_non_null(strstr(err.message, "empty document"));
	unlink(path);

	/* A missing file. */
	assert_int_equal(cu_json_load_file(path, 1024, "doc", &j, &err), CU_ERR_IO);
	assert_ptr_equal(j, SENTINEL);
	assert_non_null(strstr(err.message, path));
}

static void test_scalar_equal(void **state)
{
	json_t *i1 = json_integer(1), *r1 = json_real(1.0), *i2 = json_integer(2);
	json_t *r15 = json_real(1.5), *s1 = json_string("1"), *sa = json_string("a");
	json_t *sa2 = json_string("a"), *sA = json_string("A"), *t = json_true(), *f = json_false();
	json_t *n = json_null(), *rz = json_real(0.0), *rnz = json_real(-0.0),
	       *iz = json_integer(0);
	json_t *o = json_object(), *a = json_array();

	(void)state;
	/* Numbers by value. */
	assert_true(cu_json_scalar_equal(i1, r1));
	assert_true(cu_json_scalar_equal(r1, i1));
	assert_true(cu_json_scalar_equal(i1, i1));
	assert_false(cu_json_scalar_equal(i1, i2));
	assert_false(cu_json_scalar_equal(r15, i1));
	assert_true(cu_json_scalar_equal(rz, rnz));
	assert_true(cu_json_scalar_equal(rnz, iz));
	/* Strings are not numbers. */
	assert_false(cu_json_scalar_equal(s1, i1));
	assert_false(cu_json_scalar_equal(i1, s1));
	assert_true(cu_json_scalar_equal(sa, sa2));
	assert_false(cu_json_scalar_equal(sa, sA));
	/* Booleans: only themselves; not 0 or 1. */
	assert_true(cu_json_scalar_equal(t, t));
	assert_true(cu_json_scalar_equal(f, f));
	assert_false(cu_json_scalar_equal(t, f));
	assert_false(cu_json_scalar_equal(t, i1));
	assert_false(cu_json_scalar_equal(f, iz));
	assert_false(cu_json_scalar_equal(t, s1));
	/* Absent values are equal to nothing. */
	assert_false(cu_json_scalar_equal(NULL, i1));
	assert_false(cu_json_scalar_equal(i1, NULL));
	assert_false(cu_json_scalar_equal(NULL, NULL));
	/* Containers never equal a scalar. */
	assert_false(cu_json_scalar_equal(o, sa));
	assert_false(cu_json_scalar_equal(a, i1));
	assert_false(cu_json_scalar_equal(n, f));

	json_decref(i1);
	json_decref(r1);
	json_decref(i2);
	json_decref(r15);
	json_decref(s1);
	json_decref(sa);
	json_decref(sa2);
	json_decref(sA);
	json_decref(rz);
	json_decref(rnz);
	json_decref(iz);
	json_decref(o);
	json_decref(a);
}

static int cmp_of(json_t *a, json_t *b)
{
	int cmp = 42;

	assert_true(cu_json_number_cmp(a, b, &cmp));
	json_decref(a);
	json_decref(b);
	return cmp;
}

static void test_number_cmp(void **state)
{
	json_t *s = json_string("1"), *i = json_integer(1), *t = json_true(), *n = json_null();
	int cmp = 42;

	(void)state;
	assert_int_equal(cmp_of(json_integer(1), json_integer(2)), -1);
	assert_int_equal(cmp_of(json_integer(2), json_integer(1)), 1);
	assert_int_equal(cmp_of(json_integer(-5), json_integer(-5)), 0);
	assert_int_equal(cmp_of(json_integer(1), json_real(1.0)), 0);
	assert_int_equal(cmp_of(json_real(1.5), json_integer(1)), 1);
	assert_int_equal(cmp_of(json_integer(1), json_real(1.5)), -1);
	assert_int_equal(cmp_of(json_real(-0.5), json_real(0.25)), -1);
	assert_int_equal(cmp_of(json_real(2.0), json_real(2.0)), 0);
	/* Integers compare exactly, also where a double could not tell them apart. */
	assert_int_equal(cmp_of(json_integer(INT64_MAX), json_integer(INT64_MAX - 1)), 1);
	assert_int_equal(cmp_of(json_integer(INT64_MIN), json_integer(INT64_MAX)), -1);
	assert_int_equal(cmp_of(json_integer(9007199254740993), json_integer(9007199254740992)), 1);

	/* Not numbers: false, and the result is left alone. */
	assert_false(cu_json_number_cmp(s, i, &cmp));
	assert_false(cu_json_number_cmp(i, s, &cmp));
	assert_false(cu_json_number_cmp(t, i, &cmp));
	assert_false(cu_json_number_cmp(i, n, &cmp));
	assert_false(cu_json_number_cmp(NULL, i, &cmp));
	assert_false(cu_json_number_cmp(i, NULL, &cmp));
	assert_int_equal(cmp, 42);

	json_decref(s);
	json_decref(i);
}

static void test_is_scalar(void **state)
{
	json_t *v[] = { json_string(""), json_integer(0), json_real(0.5), json_true(),
		        json_false() };
	json_t *o = json_object(), *a = json_array();

	(void)state;
	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		assert_true(cu_json_is_scalar(v[k]));
		json_decref(v[k]);
	}
	assert_false(cu_json_is_scalar(json_null()));
	assert_false(cu_json_is_scalar(o));
	assert_false(cu_json_is_scalar(a));
	assert_false(cu_json_is_scalar(NULL));
	json_decref(o);
	json_decref(a);
}

/* Whether s is valid UTF-8 (no overlong or surrogate checks needed here). */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : 3;
		if (*p >= 0x80 && (*p & 0xc0) == 0x80)
			return false;
		p++;
		for (size_t i = 0; i < n; i++, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static void test_brief(void **state)
{
	json_t *j = json_pack("{s:i,s:[s,b]}", "a", 1, "b", "xyz", true);
	json_t *s = json_string("line1\nline2");
	char buf[64];

	(void)state;
	assert_non_null(j);
	/* Compact and complete when it fits. */
	cu_json_brief(j, buf, sizeof(buf));
	assert_string_equal(buf, "{\"a\":1,\"b\":[\"xyz\",true]}");
	/* Scalars, and the absent value. */
	cu_json_brief(json_true(), buf, sizeof(buf));
	assert_string_equal(buf, "true");
	cu_json_brief(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "(absent)");
	/* Single line: a newline in a string stays escaped. */
	cu_json_brief(s, buf, sizeof(buf));
	assert_string_equal(buf, "\"line1\\nline2\"");
	assert_null(strchr(buf, '\n'));

	/* 24 characters: fits exactly in 25 bytes, is cut in 24. */
	cu_json_brief(j, buf, 25);
	assert_string_equal(buf, "{\"a\":1,\"b\":[\"xyz\",true]}");
	memset(buf, 'Z', sizeof(buf));
	cu_json_brief(j, buf, 24);
	assert_string_equal(buf, "{\"a\":1,\"b\":[\"xyz\",tr...");
	assert_int_equal(strlen(buf), 23);
	assert_int_equal(buf[24], 'Z'); /* nothing written past size */
	cu_json_brief(j, buf, 10);
	assert_string_equal(buf, "{\"a\":1...");
	cu_json_brief(j, buf, 4);
	assert_string_equal(buf, "...");
	/* Too small for the ellipsis: empty. */
	memset(buf, 'Z', sizeof(buf));
	cu_json_brief(j, buf, 3);
	assert_string_equal(buf, "");
	assert_int_equal(buf[1], 'Z');
	/* Size 0: nothing is written. */
	memset(buf, 'Z', sizeof(buf));
	cu_json_brief(j, buf, 0);
	assert_int_equal(buf[0], 'Z');

	json_decref(j);
	json_decref(s);
}

/* The cut never splits a UTF-8 sequence. */
static void test_brief_utf8(void **state)
{
	json_t *u = json_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	char buf[64];
	size_t bad = 0;

	(void)state;
	assert_non_null(u);
	/*
	 * A cut never splits a UTF-8 sequence: messages carrying the brief end up in
	 * JSON (traces, error output), which must be valid UTF-8. "\"ééééé\"" is
	 * 12 bytes; cut to fit 6 bytes, 2 remain before the "...": the quote and
	 * the first byte of an é.
	 */
	cu_json_brief(u, buf, sizeof(buf));
	assert_string_equal(buf, "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"");
	for (size_t size = 4; size <= 13 && !bad; size++) {
		cu_json_brief(u, buf, size);
		assert_true(strlen(buf) < size);
		if (!utf8_valid(buf))
			bad = size;
	}
	json_decref(u);
	if (bad)
		fail_msg("cu_json_brief of a string of 5 U+00E9, size %zu: split a UTF-8 sequence "
		         "(%zu bytes before the ellipsis)",
		         bad, strlen(buf) - 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),        cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_too_large), cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_trailing),  cmocka_unit_test(test_parse_nul),
		cmocka_unit_test(test_parse_invalid),   cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_scalar_equal),    cmocka_unit_test(test_number_cmp),
		cmocka_unit_test(test_is_scalar),       cmocka_unit_test(test_brief),
		cmocka_unit_test(test_brief_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
