/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/base/error.c: every code has a string, cu_fail fills the detail. */
#include <string.h>

#include "../../src/base/error.h"
#include "test-util.h"

static void test_strerror_every_code(void **state)
{
	const char *texts[-CU_ERR_FIRST + 1];
	const char *names[-CU_ERR_FIRST + 1];

	assert_true(CU_ERR_FIRST < CU_OK);
	for (int code = CU_OK; code >= CU_ERR_FIRST; code--) {
		const char *t = cu_strerror(code);
		const char *n = cu_errname(code);

		assert_non_null(t);
		assert_non_null(n);
		assert_true(t[0] != '\0');
		assert_true(n[0] != '\0');
		assert_string_not_equal(t, "unknown error");
		assert_string_not_equal(n, "unknown");
		/* Names are machine-readable: lowercase letters and underscores. */
		for (const char *p = n; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		for (int prev = CU_OK; prev > code; prev--) {
			assert_string_not_equal(t, texts[-prev]);
			assert_string_not_equal(n, names[-prev]);
		}
		texts[-code] = t;
		names[-code] = n;
	}
}

static void test_strerror_known_values(void **state)
{
	assert_string_equal(cu_errname(CU_OK), "ok");
	assert_string_equal(cu_errname(CU_ERR_SIGNATURE), "signature");
	assert_string_equal(cu_errname(CU_ERR_INTERNAL), "internal");
	assert_string_equal(cu_strerror(CU_OK), "success");
}

static void test_strerror_unknown(void **state)
{
	static const int unknown[] = { CU_ERR_FIRST - 1, CU_ERR_FIRST - 100, 1, 42, -1000,
		                       INT32_MIN,        INT32_MAX };

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_string_equal(cu_strerror(unknown[i]), "unknown error");
		assert_string_equal(cu_errname(unknown[i]), "unknown");
	}
}

static void test_fail_fills(void **state)
{
	struct cu_error err;
	int line, r;

	memset(&err, 0xa5, sizeof(err));
	line = __LINE__ + 1;
	r = cu_fail(&err, CU_ERR_MALFORMED, "parse", "snp: field %s at %d", "version", 7);
	assert_int_equal(r, CU_ERR_MALFORMED);
	assert_int_equal(err.code, CU_ERR_MALFORMED);
	assert_string_equal(err.stage, "parse");
	assert_string_equal(err.message, "snp: field version at 7");
	assert_string_equal(err.file, __FILE__);
	assert_int_equal(err.line, line);
}

static void test_fail_null_err(void **state)
{
	assert_int_equal(cu_fail(NULL, CU_ERR_IO, "input", "cannot open %s", "x"), CU_ERR_IO);
	assert_int_equal(cu_fail(NULL, CU_ERR_CHAIN, "chain", "no root"), CU_ERR_CHAIN);
	cu_error_clear(NULL);
	cu_error_prefix(NULL, "while testing: ");
}

static void test_fail_returns_code(void **state)
{
	struct cu_error err;

	for (int code = CU_ERR_NOMEM; code >= CU_ERR_FIRST; code--) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(cu_fail(&err, code, "stage", "code %d", code), code);
		assert_int_equal(err.code, code);
	}
}

static void test_clear(void **state)
{
	struct cu_error err;

	(void)cu_fail(&err, CU_ERR_IO, "input", "something");
	cu_error_clear(&err);
	assert_int_equal(err.code, CU_OK);
	assert_null(err.stage);
	assert_string_equal(err.message, "");
	assert_null(err.file);
	assert_int_equal(err.line, 0);
}

static void test_prefix(void **state)
{
	struct cu_error err;

	(void)cu_fail(&err, CU_ERR_IO, "collateral", "cannot open x.pem");
	cu_error_prefix(&err, "while loading certs/: ");
	assert_string_equal(err.message, "while loading certs/: cannot open x.pem");
	assert_int_equal(err.code, CU_ERR_IO);
	assert_string_equal(err.stage, "collateral");

	/* A NULL prefix changes nothing. */
	cu_error_prefix(&err, NULL);
	assert_string_equal(err.message, "while loading certs/: cannot open x.pem");

	/* Empty message. */
	cu_error_clear(&err);
	cu_error_prefix(&err, "ctx");
	assert_string_equal(err.message, "ctx");
}

static void test_prefix_truncates(void **state)
{
	char longmsg[CU_ERROR_MESSAGE_MAX + 50];
	struct cu_error err;
	int line;

	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	line = __LINE__ + 1;
	(void)cu_fail(&err, CU_ERR_IO, "input", "%s", longmsg);
	cu_error_prefix(&err, "prefix: ");
	assert_int_equal(strlen(err.message), CU_ERROR_MESSAGE_MAX - 1);
	assert_memory_equal(err.message, "prefix: mmm", 11);
	assert_int_equal(err.message[CU_ERROR_MESSAGE_MAX - 2], 'm');
	/* The fields after the message were not overwritten. */
	assert_string_equal(err.file, __FILE__);
	assert_int_equal(err.line, line);

	/* A prefix longer than the buffer. */
	memset(longmsg, 'p', sizeof(longmsg) - 1);
	cu_error_prefix(&err, longmsg);
	assert_int_equal(strlen(err.message), CU_ERROR_MESSAGE_MAX - 1);
	assert_int_equal(err.message[0], 'p');
	assert_string_equal(err.file, __FILE__);
	assert_int_equal(err.line, line);
}

static void test_message_truncation(void **state)
{
	struct {
		struct cu_error err;
		char guard[64];
	} s;
	char longmsg[CU_ERROR_MESSAGE_MAX * 3];
	int line;

	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	memset(s.guard, 0x5a, sizeof(s.guard));
	line = __LINE__ + 1;
	assert_int_equal(cu_fail(&s.err, CU_ERR_TOO_LARGE, "input", "%s", longmsg),
	                 CU_ERR_TOO_LARGE);
	assert_int_equal(strlen(s.err.message), CU_ERROR_MESSAGE_MAX - 1);
	assert_int_equal(s.err.message[CU_ERROR_MESSAGE_MAX - 1], '\0');
	assert_string_equal(s.err.file, __FILE__);
	assert_int_equal(s.err.line, line);
	assert_string_equal(s.err.stage, "input");
	for (size_t i = 0; i < sizeof(s.guard); i++)
		assert_int_equal((unsigned char)s.guard[i], 0x5a);

	/* Exactly fitting. */
	longmsg[CU_ERROR_MESSAGE_MAX - 1] = '\0';
	(void)cu_fail(&s.err, CU_ERR_TOO_LARGE, "input", "%s", longmsg);
	assert_string_equal(s.err.message, longmsg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_every_code),
		cmocka_unit_test(test_strerror_known_values),
		cmocka_unit_test(test_strerror_unknown),
		cmocka_unit_test(test_fail_fills),
		cmocka_unit_test(test_fail_null_err),
		cmocka_unit_test(test_fail_returns_code),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_truncates),
		cmocka_unit_test(test_message_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
