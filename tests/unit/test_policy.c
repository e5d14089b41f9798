/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/appraisal/policy.c: loading (every error with its JSON path),
 * release-policy evaluation and its explanation, appraisal rules, claim paths.
 * cu_appraise itself is covered by test_ear.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <custos/appraisal.h>

#include "../../src/appraisal/policy.h"
#include "../../src/base/limits.h"
#include "test-util.h"

/* A pointer no loader may produce: outputs left unchanged on failure. */
static char sentinel_byte;
#define SENTINEL ((cu_policy *)&sentinel_byte)

#define DAY 86400

/* The moment sets and windows below change: T = 2026-03-01T00:00:00Z. */
#define T_TEXT   "2026-03-01T00:00:00Z"
#define TM1_TEXT "2026-02-28T00:00:00Z" /* T - 1 day */
static int64_t T;

static const char *const REFVALUES =
    "{\"version\":1,\"sets\":{"
    /* rollout: old until T, new from T - 1 day */
    "\"img\":{\"values\":[{\"value\":\"old\",\"not_after\":\"" T_TEXT "\"},"
    "{\"value\":\"new\",\"not_before\":\"" TM1_TEXT "\"}]},"
    /* minimum firmware: 5 until T, 8 from T */
    "\"fw\":{\"values\":[{\"value\":5,\"not_after\":\"" T_TEXT "\"},"
    "{\"value\":8,\"not_before\":\"" T_TEXT "\"}]},"
    /* nothing in effect before T */
    "\"later\":{\"values\":[{\"value\":10,\"not_before\":\"" T_TEXT "\"}]},"
    "\"multi\":{\"values\":[3,10]},"
    "\"high\":{\"values\":[10,20.5]},"
    "\"strs\":{\"values\":[\"a\",\"b\",3]},"
    "\"empty\":{\"values\":[]}}}";

/* The claims every evaluation test runs against. */
static const char *const INPUT =
    "{\"tee\":\"sev-snp\",\"debug\":false,\"svn\":5,\"ratio\":1.5,\"two\":2.0,\"zero\":0,"
    "\"neg\":-3,\"str5\":\"5\",\"nothing\":null,\"measurement\":\"new\",\"oldm\":\"old\","
    "\"three\":3.0,"
    "\"snp\":{\"reported_tcb\":{\"snp\":8,\"microcode\":200},\"policy\":{\"debug\":false}},"
    "\"list\":[10,\"x\",{\"k\":\"v\"}],"
    "\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\",\"ear\":{\"status\":\"warning\"},"
    "\"ear.trustworthiness-vector\":{\"executables\":2}}}}";

static cu_refvalues *g_rv;
static json_t *g_input;

static int setup(void **state)
{
	struct cu_error err = { 0 };
	json_error_t jerr;

	(void)state;
	T = tu_time(T_TEXT);
	if (cu_refvalues_load(&g_rv, REFVALUES, strlen(REFVALUES), &err) < 0) {
		fprintf(stderr, "refvalues: %s\n", err.message);
		return -1;
	}
	g_input = json_loads(INPUT, 0, &jerr);
	if (!g_input) {
		fprintf(stderr, "input: %s\n", jerr.text);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cu_refvalues_free(g_rv);
	json_decref(g_input);
	return 0;
}

/* ---- Helpers ---------------------------------------------------------------------------- */

/* {"version":1,"kind":"release","id":"t","allow":<cond>} (caller frees). */
static char *release_doc(const char *cond)
{
	char *s = NULL;

	assert_true(asprintf(&s, "{\"version\":1,\"kind\":\"release\",\"id\":\"t\",\"allow\":%s}",
	                     cond) > 0);
	return s;
}

static cu_policy *load_ok(const char *json, const cu_refvalues *rv)
{
	struct cu_error err = { 0 };
	cu_policy *p = NULL;

	if (cu_policy_load(&p, json, strlen(json), rv, &err) < 0)
		fail_msg("policy did not load: %s\n%.400s", err.message, json);
	assert_non_null(p);
	return p;
}

static cu_policy *cond_ok(const char *cond, const cu_refvalues *rv)
{
	char *d = release_doc(cond);
	cu_policy *p = load_ok(d, rv);

	free(d);
	return p;
}

/*
 * Expect a load error: `code`, stage "policy", the output left alone, a message
 * "policy: PATH: ..." (when path is given) containing `needle`.
 */
static void load_fail_n(const char *json, size_t size, const cu_refvalues *rv, int code,
                        const char *path, const char *needle)
{
	struct cu_error err = { 0 };
	cu_policy *p = SENTINEL;
	char prefix[1024];
	int r = cu_policy_load(&p, json, size, rv, &err);

	if (r == 0) {
		cu_policy_free(p);
		fail_msg("loaded, expected error %d at %s (%s):\n%.400s", code, path ? path : "",
		         needle ? needle : "", json ? json : "(null)");
	}
	if (r != code)
		fail_msg("error %d, expected %d: %s", r, code, err.message);
	assert_ptr_equal(p, SENTINEL);
	assert_int_equal(err.code, code);
	assert_non_null(err.stage);
	assert_string_equal(err.stage, "policy");
	if (path) {
		snprintf(prefix, sizeof(prefix), "policy: %s: ", path);
		if (strncmp(err.message, prefix, strlen(prefix)))
			fail_msg("message \"%s\" does not start with \"%s\"", err.message, prefix);
	}
	if (needle && !strstr(err.message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static void load_fail(const char *json, const cu_refvalues *rv, int code, const char *path,
                      const char *needle)
{
	load_fail_n(json, strlen(json), rv, code, path, needle);
}

static void cond_fail(const char *cond, const cu_refvalues *rv, int code, const char *path,
                      const char *needle)
{
	char *d = release_doc(cond);

	load_fail(d, rv, code, path, needle);
	free(d);
}

/*
 * Evaluate `p` on `input` at `at`; check the trace's first entry agrees with
 * the result. Returns the result; *ret_reason gets that entry's reason (or "").
 */
static bool eval_policy(const cu_policy *p, const json_t *input, int64_t at, char *reason,
                        size_t rsize)
{
	json_t *trace = NULL, *root;
	bool ok = cu_policy_allows(p, input, at, &trace);
	bool again;

	assert_non_null(trace);
	assert_true(json_is_array(trace));
	root = json_array_get(trace, 0);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "result")),
	                    ok ? "pass" : "fail");
	/* A failure always says why; a pass has no reason. */
	if (ok)
		assert_null(json_object_get(root, "reason"));
	else
		assert_non_null(json_string_value(json_object_get(root, "reason")));
	snprintf(reason, rsize, "%s",
	         json_string_value(json_object_get(root, "reason"))
	             ? json_string_value(json_object_get(root, "reason"))
	             : "");
	json_decref(trace);
	/* The same result without a trace. */
	again = cu_policy_allows(p, input, at, NULL);
	assert_int_equal(again, ok);
	return ok;
}

static void expect_at(const char *cond, int64_t at, bool want, const char *reason_needle)
{
	cu_policy *p = cond_ok(cond, g_rv);
	char reason[CU_ERROR_MESSAGE_MAX + 64];
	bool ok = eval_policy(p, g_input, at, reason, sizeof(reason));

	cu_policy_free(p);
	if (ok != want)
		fail_msg("%s: %s, expected %s (reason: %s)", cond, ok ? "pass" : "fail",
		         want ? "pass" : "fail", reason);
	if (reason_needle && !strstr(reason, reason_needle))
		fail_msg("%s: reason \"%s\" lacks \"%s\"", cond, reason, reason_needle);
}

static void pass(const char *cond)
{
	expect_at(cond, T, true, NULL);
}

static void fails(const char *cond, const char *reason)
{
	expect_at(cond, T, false, reason);
}

static void pass_at(const char *cond, int64_t at)
{
	expect_at(cond, at, true, NULL);
}

static void fails_at(const char *cond, int64_t at, const char *reason)
{
	expect_at(cond, at, false, reason);
}

static void sha256_hex(const char *data, size_t size, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, size, md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	for (size_t i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* ---- Loading: documents ---------------------------------------------------------------- */

static void test_load_release(void **state)
{
	const char *doc =
	    "{\"version\":1,\"kind\":\"release\",\"id\":\"payments-key\",\"revision\":"
	    "7,\"description\":\"d\",\"allow\":{\"claim\":\"tee\",\"equals\":\"sev-"
	    "snp\"}}";
	cu_policy *p;

	(void)state;
	p = load_ok(doc, NULL);
	assert_int_equal(cu_policy_get_kind(p), CU_POLICY_RELEASE);
	assert_string_equal(cu_policy_get_id(p), "payments-key");
	assert_int_equal(cu_policy_get_revision(p), 7);
	cu_policy_free(p);

	/* revision defaults to 1; ids use the set-name alphabet. */
	p = load_ok("{\"allow\":{\"claim\":\"a\",\"exists\":true},\"id\":\"A.b_c:d-0\",\"kind\":"
	            "\"release\",\"version\":1}",
	            NULL);
	assert_int_equal(cu_policy_get_revision(p), 1);
	assert_string_equal(cu_policy_get_id(p), "A.b_c:d-0");
	cu_policy_free(p);

	/* Refvalues given but not used: fine. */
	p = load_ok(doc, g_rv);
	cu_policy_free(p);

	cu_policy_free(NULL);
}

static void test_ref_digest(void **state)
{
	const char *doc =
	    "{\"version\":1,\"kind\":\"release\",\"id\":\"payments-key\",\"revision\":"
	    "42,\"allow\":{\"claim\":\"tee\",\"equals\":\"sev-snp\"}}\n";
	char hex[65], want[256];
	cu_policy *p;

	(void)state;
	sha256_hex(doc, strlen(doc), hex);
	p = load_ok(doc, NULL);
	assert_string_equal(cu_policy_get_digest(p), hex);
	snprintf(want, sizeof(want), "policy:payments-key@42;sha256=%s", hex);
	assert_string_equal(cu_policy_get_ref(p), want);
	assert_int_equal(strlen(cu_policy_get_digest(p)), 64);
	cu_policy_free(p);

	/* The digest is of the bytes: the same policy without the newline differs. */
	doc = "{\"version\":1,\"kind\":\"release\",\"id\":\"payments-key\",\"revision\":42,"
	      "\"allow\":{\"claim\":\"tee\",\"equals\":\"sev-snp\"}}";
	p = load_ok(doc, NULL);
	assert_string_not_equal(cu_policy_get_digest(p), hex);
	sha256_hex(doc, strlen(doc), hex);
	assert_string_equal(cu_policy_get_digest(p), hex);
	cu_policy_free(p);

	/* Default revision in the ref. */
	doc =
	    "{\"version\":1,\"kind\":\"appraisal\",\"id\":\"ap\",\"trustworthiness\":{\"hardware\":"
	    "{\"when\":{\"claim\":\"tee\",\"equals\":\"sev-snp\"}}}}";
	sha256_hex(doc, strlen(doc), hex);
	p = load_ok(doc, NULL);
	snprintf(want, sizeof(want), "policy:ap@1;sha256=%s", hex);
	assert_string_equal(cu_policy_get_ref(p), want);
	cu_policy_free(p);
}

static void test_load_args(void **state)
{
	struct cu_error err = { 0 };
	cu_policy *p = SENTINEL;

	(void)state;
	assert_int_equal(cu_policy_load(NULL, "{}", 2, NULL, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(err.code, CU_ERR_INVALID_ARG);
	assert_int_equal(cu_policy_load(&p, NULL, 5, NULL, &err), CU_ERR_INVALID_ARG);
	assert_ptr_equal(p, SENTINEL);
	assert_int_equal(cu_policy_load_file(&p, NULL, NULL, &err), CU_ERR_INVALID_ARG);
	assert_ptr_equal(p, SENTINEL);
	/* Without an error struct. */
	assert_int_equal(cu_policy_load(&p, "{}", 2, NULL, NULL), CU_ERR_MALFORMED);
	assert_ptr_equal(p, SENTINEL);
}

static void test_load_json_errors(void **state)
{
	size_t big = (size_t)CU_LIMIT_POLICY_SIZE + 1;
	char *buf;

	(void)state;
	load_fail_n("", 0, NULL, CU_ERR_MALFORMED, NULL, "policy: empty document");
	load_fail_n(NULL, 0, NULL, CU_ERR_MALFORMED, NULL, "empty document");
	load_fail("{\"version\":1,\n\"kind\":", NULL, CU_ERR_MALFORMED, NULL,
	          "policy: invalid JSON at line 2");
	load_fail("{\"version\":1,\"version\":1}", NULL, CU_ERR_MALFORMED, NULL, "duplicate");
	load_fail("{\"version\":1} {}", NULL, CU_ERR_MALFORMED, NULL, "invalid JSON");
	/* Duplicate keys inside a condition. */
	cond_fail("{\"claim\":\"a\",\"claim\":\"b\",\"exists\":true}", NULL, CU_ERR_MALFORMED, NULL,
	          "duplicate");
	/* Not an object. */
	load_fail("[]", NULL, CU_ERR_MALFORMED, "$", "expected a JSON object");
	/* Over the size limit. */
	buf = malloc(big);
	assert_non_null(buf);
	memset(buf, ' ', big);
	buf[0] = '{';
	buf[big - 1] = '}';
	load_fail_n(buf, big, NULL, CU_ERR_TOO_LARGE, NULL, "limit");
	free(buf);
}

static void test_load_header_errors(void **state)
{
	char doc[512];
	char name[CU_LIMIT_NAME + 2];

	(void)state;
	/* version */
	load_fail("{}", NULL, CU_ERR_MALFORMED, "$.version", "missing");
	load_fail("{\"kind\":\"release\",\"id\":\"x\",\"allow\":{\"claim\":\"a\",\"exists\":true}}",
	          NULL, CU_ERR_MALFORMED, "$.version", "missing");
	load_fail("{\"version\":2,\"kind\":\"release\",\"id\":\"x\"}", NULL, CU_ERR_UNSUPPORTED,
	          "$.version", "only version 1");
	load_fail("{\"version\":\"1\"}", NULL, CU_ERR_UNSUPPORTED, "$.version", NULL);
	load_fail("{\"version\":1.0}", NULL, CU_ERR_UNSUPPORTED, "$.version", NULL);
	load_fail("{\"version\":0}", NULL, CU_ERR_UNSUPPORTED, "$.version", NULL);
	load_fail("{\"version\":null}", NULL, CU_ERR_UNSUPPORTED, "$.version", NULL);

	/* kind */
	load_fail("{\"version\":1}", NULL, CU_ERR_MALFORMED, "$.kind", "\"release\"");
	load_fail("{\"version\":1,\"kind\":\"Release\"}", NULL, CU_ERR_MALFORMED, "$.kind", NULL);
	load_fail("{\"version\":1,\"kind\":\"deny\"}", NULL, CU_ERR_MALFORMED, "$.kind", NULL);
	load_fail("{\"version\":1,\"kind\":2}", NULL, CU_ERR_MALFORMED, "$.kind", NULL);

	/* id */
	load_fail("{\"version\":1,\"kind\":\"release\"}", NULL, CU_ERR_MALFORMED, "$.id",
	          "expected a name");
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"\"}", NULL, CU_ERR_MALFORMED,
	          "$.id", NULL);
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"a b\"}", NULL, CU_ERR_MALFORMED,
	          "$.id", NULL);
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"a/b\"}", NULL, CU_ERR_MALFORMED,
	          "$.id", NULL);
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"a@1\"}", NULL, CU_ERR_MALFORMED,
	          "$.id", NULL);
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"a;b\"}", NULL, CU_ERR_MALFORMED,
	          "$.id", NULL);
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":7}", NULL, CU_ERR_MALFORMED, "$.id",
	          NULL);
	memset(name, 'i', CU_LIMIT_NAME + 1);
	name[CU_LIMIT_NAME + 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"version\":1,\"kind\":\"release\",\"id\":\"%s\"}", name);
	load_fail(doc, NULL, CU_ERR_MALFORMED, "$.id", NULL);
	name[CU_LIMIT_NAME] = '\0';
	snprintf(doc, sizeof(doc),
	         "{\"version\":1,\"kind\":\"release\",\"id\":\"%s\",\"allow\":{\"claim\":\"a\","
	         "\"exists\":true}}",
	         name);
	cu_policy_free(load_ok(doc, NULL));

	/* revision */
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"revision\":0}", NULL,
	          CU_ERR_MALFORMED, "$.revision", "positive integer");
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"revision\":-1}", NULL,
	          CU_ERR_MALFORMED, "$.revision", NULL);
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"revision\":\"2\"}", NULL,
	          CU_ERR_MALFORMED, "$.revision", NULL);
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"revision\":1.5}", NULL,
	          CU_ERR_MALFORMED, "$.revision", NULL);

	/* description */
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"description\":1}", NULL,
	          CU_ERR_MALFORMED, "$.description", "expected a string");

	/* Unknown top-level keys, reported before anything else. */
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"allow\":{\"claim\":\"a\","
	          "\"exists\":true},\"deny\":{}}",
	          NULL, CU_ERR_MALFORMED, "$.deny", "unknown key");
	load_fail("{\"Version\":1}", NULL, CU_ERR_MALFORMED, "$.Version", "unknown key");
	load_fail("{\"version\":9,\"x-comment\":\"\"}", NULL, CU_ERR_MALFORMED, "$.x-comment",
	          "unknown key");
}

static void test_load_kind_sections(void **state)
{
	(void)state;
	/* A release policy must say when to allow. */
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\"}", NULL, CU_ERR_MALFORMED,
	          "$.allow", "missing");
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"allow\":{\"claim\":\"a\","
	          "\"exists\":true},\"trustworthiness\":{}}",
	          NULL, CU_ERR_MALFORMED, "$.trustworthiness", "only appraisal policies");
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"allow\":true}", NULL,
	          CU_ERR_MALFORMED, "$.allow", "expected a condition object");
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"allow\":[]}", NULL,
	          CU_ERR_MALFORMED, "$.allow", "expected a condition object");
	load_fail("{\"version\":1,\"kind\":\"release\",\"id\":\"x\",\"allow\":{}}", NULL,
	          CU_ERR_MALFORMED, "$.allow", "empty condition");
	/* An appraisal policy has rules, not "allow". */
	load_fail("{\"version\":1,\"kind\":\"appraisal\",\"id\":\"x\",\"allow\":{\"claim\":\"a\","
	          "\"exists\":true}}",
	          NULL, CU_ERR_MALFORMED, "$.allow", "only release policies");
	load_fail("{\"version\":1,\"kind\":\"appraisal\",\"id\":\"x\"}", NULL, CU_ERR_MALFORMED,
	          "$.trustworthiness", "at least one rule");
	load_fail("{\"version\":1,\"kind\":\"appraisal\",\"id\":\"x\",\"trustworthiness\":{}}",
	          NULL, CU_ERR_MALFORMED, "$.trustworthiness", "at least one rule");
	load_fail("{\"version\":1,\"kind\":\"appraisal\",\"id\":\"x\",\"trustworthiness\":[]}",
	          NULL, CU_ERR_MALFORMED, "$.trustworthiness", NULL);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/custos-test-policy-XXXXXX";
	const char *doc = "{\"version\":1,\"kind\":\"release\",\"id\":\"f\",\"allow\":{\"claim\":"
	                  "\"tee\",\"equals\":\"sev-snp\"}}\n";
	char path[256], hex[65];
	struct cu_error err = { 0 };
	cu_policy *p = SENTINEL;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	assert_int_equal(cu_policy_load_file(&p, path, NULL, &err), CU_ERR_IO);
	assert_ptr_equal(p, SENTINEL);
	assert_non_null(strstr(err.message, path));

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	p = NULL;
	assert_int_equal(cu_policy_load_file(&p, path, NULL, &err), 0);
	sha256_hex(doc, strlen(doc), hex);
	assert_string_equal(cu_policy_get_digest(p), hex);
	assert_true(cu_policy_allows(p, g_input, T, NULL));
	cu_policy_free(p);

	/* Errors are prefixed with the file name, once. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	doc = "{\"version\":1,\"kind\":\"release\",\"id\":\"f\",\"allow\":{}}";
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	p = SENTINEL;
	assert_int_equal(cu_policy_load_file(&p, path, NULL, &err), CU_ERR_MALFORMED);
	assert_ptr_equal(p, SENTINEL);
	assert_string_equal(err.stage, "policy");
	assert_memory_equal(err.message, path, strlen(path));
	assert_memory_equal(err.message + strlen(path), ": policy: $.allow: empty condition", 34);

	unlink(path);
	rmdir(dir);
}

/* ---- Loading: conditions --------------------------------------------------------------- */

static void test_cond_structure_errors(void **state)
{
	(void)state;
	/* Unknown keys, in nested conditions too: the path is the condition's. */
	cond_fail("{\"claim\":\"a\",\"equals\":1,\"bogus\":1}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "unknown key \"bogus\"");
	cond_fail(
	    "{\"allOf\":[{\"claim\":\"a\",\"equals\":1},{\"claim\":\"b\",\"equals\":1,\"Claim\":"
	    "\"c\"}]}",
	    NULL, CU_ERR_MALFORMED, "$.allow.allOf[1]", "unknown key \"Claim\"");
	cond_fail("{\"anyOf\":[{\"not\":{\"claim\":\"a\",\"equals\":1,\"comment\":\"\"}}]}", NULL,
	          CU_ERR_MALFORMED, "$.allow.anyOf[0].not", "unknown key \"comment\"");
	/* Unknown operators: a near miss is named, anything else is an unknown key. */
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"equals\":1},{\"claim\":\"b\",\"equal\":1}]}",
	          NULL, CU_ERR_MALFORMED, "$.allow.allOf[1]",
	          "unknown operator \"equal\" (did you mean \"equals\"?)");
	cond_fail("{\"claim\":\"a\",\"Equals\":1}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "unknown operator \"Equals\" (did you mean \"equals\"?)");
	cond_fail("{\"claim\":\"a\",\"greaterOrEqual\":1}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "did you mean \"greaterOrEquals\"?");
	cond_fail("{\"claim\":\"a\",\"notequals\":1}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "did you mean \"notEquals\"?");
	cond_fail("{\"claim\":\"a\",\"exist\":true}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "did you mean \"exists\"?");
	cond_fail("{\"claim\":\"a\",\"IN\":[1]}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "did you mean \"in\"?");
	cond_fail(
	    "{\"claim\":\"a\",\"matches\":\"x.*\"}", NULL, CU_ERR_MALFORMED, "$.allow",
	    "unknown key \"matches\" (expected allOf, anyOf, not, claim, notBefore, notAfter, "
	    "description, or an operator: equals, notEquals, in, notIn, greater, ");
	cond_fail("{\"claim\":\"a\",\"lessThan\":1}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "unknown key \"lessThan\"");
	cond_fail("{\"claim\":\"a\",\"notBefore\":\"" T_TEXT "\",\"notbefore\":\"" T_TEXT "\"}",
	          NULL, CU_ERR_MALFORMED, "$.allow", "unknown key \"notbefore\"");
	/* Two operators. */
	cond_fail("{\"claim\":\"a\",\"equals\":1,\"notEquals\":2}", NULL, CU_ERR_MALFORMED,
	          "$.allow", "two operators (\"equals\" and \"notEquals\")");
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"greater\":1,\"less\":5}]}", NULL,
	          CU_ERR_MALFORMED, "$.allow.allOf[0]", "two operators");
	/* Operator without claim, claim without operator. */
	cond_fail("{\"equals\":1}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "operator \"equals\" without \"claim\"");
	cond_fail("{\"anyOf\":[{\"claim\":\"a\",\"exists\":true},{\"in\":[1]}]}", NULL,
	          CU_ERR_MALFORMED, "$.allow.anyOf[1]", "operator \"in\" without \"claim\"");
	cond_fail("{\"claim\":\"snp.vmpl\"}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "clause on \"snp.vmpl\" has no operator");
	cond_fail("{\"claim\":\"a\",\"description\":\"d\"}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "has no operator");
	/* An operator next to a structure. */
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true}],\"equals\":1}", NULL,
	          CU_ERR_MALFORMED, "$.allow",
	          "operator \"equals\" belongs in a clause with \"claim\", not next to \"allOf\"");
	cond_fail("{\"not\":{\"claim\":\"a\",\"exists\":true},\"exists\":true}", NULL,
	          CU_ERR_MALFORMED, "$.allow", "belongs in a clause");
	/* Two structures in one object. */
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true}],\"anyOf\":[{\"claim\":\"a\","
	          "\"exists\":true}]}",
	          NULL, CU_ERR_MALFORMED, "$.allow", "\"allOf\" and \"anyOf\" in one condition");
	cond_fail("{\"claim\":\"a\",\"exists\":true,\"not\":{\"claim\":\"a\",\"exists\":true}}",
	          NULL, CU_ERR_MALFORMED, "$.allow", "\"claim\" and \"not\" in one condition");
	/* Empty condition, and only metadata. */
	cond_fail("{\"allOf\":[{}]}", NULL, CU_ERR_MALFORMED, "$.allow.allOf[0]",
	          "empty condition");
	cond_fail("{\"description\":\"x\",\"notBefore\":\"" T_TEXT "\"}", NULL, CU_ERR_MALFORMED,
	          "$.allow", "empty condition");
	/* allOf / anyOf: a non-empty list of condition objects. */
	cond_fail("{\"allOf\":[]}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "allOf: expected a non-empty list of conditions");
	cond_fail("{\"anyOf\":[]}", NULL, CU_ERR_MALFORMED, "$.allow",
	          "anyOf: expected a non-empty list");
	cond_fail("{\"allOf\":{\"claim\":\"a\",\"exists\":true}}", NULL, CU_ERR_MALFORMED,
	          "$.allow", "allOf: expected a non-empty list");
	cond_fail("{\"anyOf\":\"x\"}", NULL, CU_ERR_MALFORMED, "$.allow", "anyOf: expected");
	cond_fail("{\"allOf\":null}", NULL, CU_ERR_MALFORMED, "$.allow", "allOf: expected");
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true},\"b\"]}", NULL, CU_ERR_MALFORMED,
	          "$.allow.allOf[1]", "expected a condition object");
	cond_fail("{\"anyOf\":[{\"allOf\":[[{\"claim\":\"a\",\"exists\":true}]]}]}", NULL,
	          CU_ERR_MALFORMED, "$.allow.anyOf[0].allOf[0]", "expected a condition object");
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true},{\"anyOf\":[]}]}", NULL,
	          CU_ERR_MALFORMED, "$.allow.allOf[1]", "anyOf: expected a non-empty list");
	/* not: one condition object. */
	cond_fail("{\"not\":[{\"claim\":\"a\",\"exists\":true}]}", NULL, CU_ERR_MALFORMED,
	          "$.allow.not", "expected a condition object");
	cond_fail("{\"not\":\"a\"}", NULL, CU_ERR_MALFORMED, "$.allow.not",
	          "expected a condition object");
	cond_fail("{\"not\":true}", NULL, CU_ERR_MALFORMED, "$.allow.not", NULL);
	cond_fail("{\"not\":{}}", NULL, CU_ERR_MALFORMED, "$.allow.not", "empty condition");
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true},{\"not\":null}]}", NULL,
	          CU_ERR_MALFORMED, "$.allow.allOf[1].not", "expected a condition object");
	/* description: a string. */
	cond_fail("{\"claim\":\"a\",\"exists\":true,\"description\":5}", NULL, CU_ERR_MALFORMED,
	          "$.allow.description", "expected a string of at most 4096 bytes");
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true}],\"description\":[]}", NULL,
	          CU_ERR_MALFORMED, "$.allow.description", "expected a string");
}

static void test_cond_claim_errors(void **state)
{
	static const char *const bad[] = {
		"\"\"",         "\".a\"", "\"a.\"", "\"a..b\"", "\".\"",   "\"a\\nb\"",
		"\"a\\u0001\"", "5",      "true",   "null",     "[\"a\"]", "{}",
	};
	char cond[600], claim[CU_LIMIT_CLAIM_PATH + 2];
	cu_policy *p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cond, sizeof(cond), "{\"anyOf\":[{\"claim\":%s,\"exists\":true}]}",
		         bad[i]);
		cond_fail(cond, NULL, CU_ERR_MALFORMED, "$.allow.anyOf[0]",
		          "claim: expected a dotted claim path");
	}
	/* CU_LIMIT_CLAIM_PATH characters: fine; one more: refused. */
	memset(claim, 'c', CU_LIMIT_CLAIM_PATH);
	claim[CU_LIMIT_CLAIM_PATH] = '\0';
	snprintf(cond, sizeof(cond), "{\"claim\":\"%s\",\"exists\":false}", claim);
	p = cond_ok(cond, NULL);
	assert_true(cu_policy_allows(p, g_input, T, NULL));
	cu_policy_free(p);
	claim[CU_LIMIT_CLAIM_PATH] = 'c';
	claim[CU_LIMIT_CLAIM_PATH + 1] = '\0';
	snprintf(cond, sizeof(cond), "{\"claim\":\"%s\",\"exists\":false}", claim);
	cond_fail(cond, NULL, CU_ERR_MALFORMED, "$.allow", "claim: expected");
	/* Unusual but valid paths. */
	p = cond_ok("{\"claim\":\"x-ms-sgx-svn\",\"exists\":false}", NULL);
	cu_policy_free(p);
	p = cond_ok("{\"claim\":\"a b.c$[0]\",\"exists\":false}", NULL);
	cu_policy_free(p);
}

static void test_cond_operand_errors(void **state)
{
	(void)state;
	/* equals / notEquals: a scalar. */
	cond_fail("{\"claim\":\"a\",\"equals\":{\"x\":1}}", NULL, CU_ERR_MALFORMED,
	          "$.allow.equals", "equals: expected a string, a number or a boolean");
	cond_fail("{\"claim\":\"a\",\"equals\":[1]}", NULL, CU_ERR_MALFORMED, "$.allow.equals",
	          NULL);
	cond_fail("{\"claim\":\"a\",\"equals\":null}", NULL, CU_ERR_MALFORMED, "$.allow.equals",
	          NULL);
	cond_fail("{\"claim\":\"a\",\"equals\":{\"refvalues\":\"img\"}}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.equals", "equals: expected");
	cond_fail(
	    "{\"allOf\":[{\"claim\":\"a\",\"exists\":true},{\"claim\":\"a\",\"notEquals\":{}}]}",
	    NULL, CU_ERR_MALFORMED, "$.allow.allOf[1].notEquals", "notEquals: expected");
	/* in / notIn: a non-empty list of scalars, or a set. */
	cond_fail("{\"claim\":\"a\",\"in\":[]}", NULL, CU_ERR_MALFORMED, "$.allow.in",
	          "in: expected a non-empty list of values or {\"refvalues\"");
	cond_fail("{\"claim\":\"a\",\"in\":\"a\"}", NULL, CU_ERR_MALFORMED, "$.allow.in", NULL);
	cond_fail("{\"claim\":\"a\",\"in\":1}", NULL, CU_ERR_MALFORMED, "$.allow.in", NULL);
	cond_fail("{\"claim\":\"a\",\"in\":[[1]]}", NULL, CU_ERR_MALFORMED, "$.allow.in",
	          "in[0]: expected a string, a number or a boolean");
	cond_fail("{\"claim\":\"a\",\"in\":[1,\"b\",{}]}", NULL, CU_ERR_MALFORMED, "$.allow.in",
	          "in[2]: expected");
	cond_fail("{\"claim\":\"a\",\"in\":[1,null]}", NULL, CU_ERR_MALFORMED, "$.allow.in",
	          "in[1]");
	cond_fail("{\"claim\":\"a\",\"notIn\":[]}", NULL, CU_ERR_MALFORMED, "$.allow.notIn",
	          "notIn: expected a non-empty list");
	cond_fail("{\"claim\":\"a\",\"notIn\":[{\"refvalues\":\"img\"}]}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.notIn", "notIn[0]");
	/* Ordered operators: a number, or a set of numbers. */
	cond_fail("{\"claim\":\"a\",\"greater\":\"5\"}", NULL, CU_ERR_MALFORMED, "$.allow.greater",
	          "greater: expected a number or {\"refvalues\"");
	cond_fail("{\"claim\":\"a\",\"greaterOrEquals\":true}", NULL, CU_ERR_MALFORMED,
	          "$.allow.greaterOrEquals", "greaterOrEquals: expected a number");
	cond_fail("{\"claim\":\"a\",\"less\":[1]}", NULL, CU_ERR_MALFORMED, "$.allow.less",
	          "less: expected a number");
	cond_fail("{\"claim\":\"a\",\"lessOrEquals\":null}", NULL, CU_ERR_MALFORMED,
	          "$.allow.lessOrEquals", "lessOrEquals: expected a number");
	/* exists: a boolean. */
	cond_fail("{\"claim\":\"a\",\"exists\":\"true\"}", NULL, CU_ERR_MALFORMED, "$.allow.exists",
	          "exists: expected true or false");
	cond_fail("{\"claim\":\"a\",\"exists\":1}", NULL, CU_ERR_MALFORMED, "$.allow.exists", NULL);
	cond_fail("{\"claim\":\"a\",\"exists\":{\"refvalues\":\"img\"}}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.exists", NULL);
	/* prefix: a string. */
	cond_fail("{\"claim\":\"a\",\"prefix\":5}", NULL, CU_ERR_MALFORMED, "$.allow.prefix",
	          "prefix: expected a string");
	cond_fail("{\"claim\":\"a\",\"prefix\":[\"a\"]}", NULL, CU_ERR_MALFORMED, "$.allow.prefix",
	          NULL);
	cond_fail("{\"claim\":\"a\",\"prefix\":{\"refvalues\":\"strs\"}}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.prefix", NULL);
}

static void test_cond_set_errors(void **state)
{
	(void)state;
	/* A set named but no reference values given. */
	cond_fail("{\"claim\":\"m\",\"in\":{\"refvalues\":\"img\"}}", NULL, CU_ERR_NOT_FOUND,
	          "$.allow.in", "reference-value set \"img\" but no reference values were given");
	cond_fail("{\"claim\":\"m\",\"in\":{\"refvalues\":\"x\"}}", NULL, CU_ERR_NOT_FOUND,
	          "$.allow.in", "no reference values");
	/* An unknown set: named, with the known ones. */
	cond_fail("{\"allOf\":[{\"claim\":\"m\",\"in\":{\"refvalues\":\"img\"}},{\"claim\":\"s\","
	          "\"greater\":{\"refvalues\":\"firmware\"}}]}",
	          g_rv, CU_ERR_NOT_FOUND, "$.allow.allOf[1].greater",
	          "unknown reference-value set \"firmware\"");
	cond_fail("{\"claim\":\"m\",\"notIn\":{\"refvalues\":\"IMG\"}}", g_rv, CU_ERR_NOT_FOUND,
	          "$.allow.notIn", "(known: ");
	cond_fail("{\"claim\":\"m\",\"notIn\":{\"refvalues\":\"IMG\"}}", g_rv, CU_ERR_NOT_FOUND,
	          "$.allow.notIn", "img");
	/* The set reference itself: one string member. */
	cond_fail("{\"claim\":\"m\",\"in\":{\"refvalues\":5}}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.in", "in: expected {\"refvalues\": \"<set name>\"}");
	cond_fail("{\"claim\":\"m\",\"in\":{\"refvalues\":\"img\",\"at\":1}}", g_rv,
	          CU_ERR_MALFORMED, "$.allow.in", "expected {\"refvalues\"");
	cond_fail("{\"claim\":\"m\",\"in\":{}}", g_rv, CU_ERR_MALFORMED, "$.allow.in",
	          "expected {\"refvalues\"");
	cond_fail("{\"claim\":\"m\",\"in\":{\"set\":\"img\"}}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.in", NULL);
	cond_fail("{\"claim\":\"m\",\"less\":{\"refvalues\":[\"fw\"]}}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.less", "less: expected {\"refvalues\"");
	/* Ordered operators need a set of numbers; in/notIn take any set. */
	cond_fail("{\"claim\":\"m\",\"greater\":{\"refvalues\":\"strs\"}}", g_rv, CU_ERR_MALFORMED,
	          "$.allow.greater",
	          "greater needs numbers, but reference-value set \"strs\" holds other values");
	cond_fail("{\"claim\":\"m\",\"lessOrEquals\":{\"refvalues\":\"img\"}}", g_rv,
	          CU_ERR_MALFORMED, "$.allow.lessOrEquals", "needs numbers");
	cu_policy_free(cond_ok("{\"claim\":\"m\",\"in\":{\"refvalues\":\"strs\"}}", g_rv));
	cu_policy_free(cond_ok("{\"claim\":\"m\",\"less\":{\"refvalues\":\"high\"}}", g_rv));
	/* An empty set holds only numbers. */
	cu_policy_free(cond_ok("{\"claim\":\"m\",\"less\":{\"refvalues\":\"empty\"}}", g_rv));
}

static void test_cond_time_errors(void **state)
{
	static const char *const bad[] = {
		"\"2026-03-01\"",
		"\"2026-03-01T00:00:00\"",
		"\"2026-02-29T00:00:00Z\"",
		"\"soon\"",
		"1772323200",
		"null",
		"{\"at\":\"x\"}",
		"\"2026-03-01T00:00Z\"",
	};
	char cond[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cond, sizeof(cond), "{\"claim\":\"a\",\"exists\":true,\"notBefore\":%s}",
		         bad[i]);
		cond_fail(cond, NULL, CU_ERR_MALFORMED, "$.allow.notBefore",
		          "expected an RFC 3339 time");
		snprintf(cond, sizeof(cond),
		         "{\"allOf\":[{\"claim\":\"a\",\"exists\":true,\"notAfter\":%s}]}", bad[i]);
		cond_fail(cond, NULL, CU_ERR_MALFORMED, "$.allow.allOf[0].notAfter",
		          "expected an RFC 3339 time");
	}
	/* Inverted or empty windows could never pass. */
	cond_fail("{\"claim\":\"a\",\"exists\":true,\"notBefore\":\"" T_TEXT
	          "\",\"notAfter\":\"" TM1_TEXT "\"}",
	          NULL, CU_ERR_MALFORMED, "$.allow", "notAfter is not later than notBefore");
	cond_fail("{\"anyOf\":[{\"claim\":\"a\",\"exists\":true},{\"claim\":\"a\",\"exists\":true,"
	          "\"notBefore\":\"" T_TEXT "\",\"notAfter\":\"" T_TEXT "\"}]}",
	          NULL, CU_ERR_MALFORMED, "$.allow.anyOf[1]", "could never pass");
	/* Also on composites. */
	cond_fail("{\"not\":{\"claim\":\"a\",\"exists\":true},\"notBefore\":\"" T_TEXT
	          "\",\"notAfter\":\"2026-02-28T23:00:00-01:00\"}",
	          NULL, CU_ERR_MALFORMED, "$.allow", "notAfter is not later");
	/* A one-second window is fine. */
	cu_policy_free(cond_ok("{\"claim\":\"a\",\"exists\":true,\"notBefore\":\"" T_TEXT
	                       "\",\"notAfter\":\"2026-03-01T00:00:01Z\"}",
	                       NULL));
}

/* A chain of `n` nots around a clause: the clause is n + 1 levels deep. */
static char *not_chain(size_t n)
{
	const char *leaf = "{\"claim\":\"zero\",\"equals\":0}";
	char *s = malloc(n * 8 + strlen(leaf) + n + 1), *p = s;

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "{\"not\":");
	p += sprintf(p, "%s", leaf);
	for (size_t i = 0; i < n; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

static void test_depth_limit(void **state)
{
	char *cond, path[512], *p;
	cu_policy *pol;
	size_t n = CU_LIMIT_POLICY_DEPTH;

	(void)state;
	/* $.allow is level 1: CU_LIMIT_POLICY_DEPTH - 1 nots and the clause fit. */
	cond = not_chain(n - 1);
	pol = cond_ok(cond, NULL);
	/* An odd number of nots around a passing clause fails. */
	assert_int_equal(cu_policy_allows(pol, g_input, T, NULL), (n - 1) % 2 == 0);
	cu_policy_free(pol);
	free(cond);

	/* One more level: refused, at the clause that is too deep. */
	cond = not_chain(n);
	p = path + sprintf(path, "$.allow");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, ".not");
	cond_fail(cond, NULL, CU_ERR_TOO_LARGE, path, "conditions nested more than 32 deep");
	free(cond);

	/* The same with allOf. */
	cond = malloc(n * 16 + 64);
	assert_non_null(cond);
	p = cond;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "{\"allOf\":[");
	p += sprintf(p, "{\"claim\":\"zero\",\"equals\":0}");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "]}");
	p = path + sprintf(path, "$.allow");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, ".allOf[0]");
	cond_fail(cond, NULL, CU_ERR_TOO_LARGE, path, NULL);
	free(cond);

	/* Appraisal rules count from their "when" (level 1). */
	cond = not_chain(n);
	assert_true(
	    asprintf(&p,
	             "{\"version\":1,\"kind\":\"appraisal\",\"id\":\"a\",\"trustworthiness\":"
	             "{\"hardware\":{\"when\":%s}}}",
	             cond) > 0);
	load_fail(p, NULL, CU_ERR_TOO_LARGE, NULL, "$.trustworthiness.hardware.when.not.not");
	free(p);
	free(cond);
}

/* {"allOf":[n clauses]} */
static char *wide_allof(size_t n)
{
	const char *leaf = "{\"claim\":\"zero\",\"equals\":0},";
	char *s = malloc(n * strlen(leaf) + 32), *p = s;

	assert_non_null(s);
	p += sprintf(p, "{\"allOf\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s", leaf);
	strcpy(p - 1, "]}");
	return s;
}

static void test_clause_limit(void **state)
{
	size_t n = CU_LIMIT_POLICY_CLAUSES;
	char *cond, *a, *b, *doc;
	json_t *trace = NULL;
	cu_policy *p;

	(void)state;
	/* The allOf and CU_LIMIT_POLICY_CLAUSES - 1 clauses: exactly the limit. */
	cond = wide_allof(n - 1);
	p = cond_ok(cond, NULL);
	assert_true(cu_policy_allows(p, g_input, T, &trace));
	assert_int_equal(json_array_size(trace), n);
	json_decref(trace);
	cu_policy_free(p);
	free(cond);
	/* One more: refused at the condition over the limit. */
	cond = wide_allof(n);
	cond_fail(cond, NULL, CU_ERR_TOO_LARGE, "$.allow.allOf[4095]",
	          "more than 4096 conditions in the policy");
	free(cond);

	/* The count is over the whole policy, across appraisal rules. */
	a = wide_allof(n / 2 - 1);
	b = wide_allof(n / 2);
	assert_true(
	    asprintf(&doc,
	             "{\"version\":1,\"kind\":\"appraisal\",\"id\":\"a\",\"trustworthiness\":"
	             "{\"hardware\":{\"when\":%s},\"executables\":{\"when\":%s}}}",
	             a, b) > 0);
	load_fail(doc, NULL, CU_ERR_TOO_LARGE, "$.trustworthiness.executables.when.allOf[2047]",
	          "more than 4096 conditions");
	free(doc);
	free(b);
	b = wide_allof(n / 2 - 1);
	assert_true(
	    asprintf(&doc,
	             "{\"version\":1,\"kind\":\"appraisal\",\"id\":\"a\",\"trustworthiness\":"
	             "{\"hardware\":{\"when\":%s},\"executables\":{\"when\":%s}}}",
	             a, b) > 0);
	cu_policy_free(load_ok(doc, NULL));
	free(doc);
	free(a);
	free(b);
}

static void test_operand_limits(void **state)
{
	size_t n = CU_LIMIT_POLICY_LIST, len = CU_LIMIT_JSON_STRING;
	char *cond = malloc(n * 3 + len + 128), *p;
	cu_policy *pol;

	(void)state;
	assert_non_null(cond);
	/* in: CU_LIMIT_POLICY_LIST values fine, one more too many. */
	p = cond + sprintf(cond, "{\"claim\":\"zero\",\"in\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "0,");
	strcpy(p - 1, "]}");
	pol = cond_ok(cond, NULL);
	assert_true(cu_policy_allows(pol, g_input, T, NULL));
	cu_policy_free(pol);
	strcpy(p - 1, ",1]}");
	cond_fail(cond, NULL, CU_ERR_TOO_LARGE, "$.allow.in", "in: more than 4096 values");

	/* A string operand of CU_LIMIT_JSON_STRING bytes is fine, one more is not. */
	p = cond + sprintf(cond, "{\"claim\":\"tee\",\"equals\":\"");
	memset(p, 's', len);
	strcpy(p + len, "\"}");
	cu_policy_free(cond_ok(cond, NULL));
	memset(p, 's', len + 1);
	strcpy(p + len + 1, "\"}");
	cond_fail(cond, NULL, CU_ERR_TOO_LARGE, "$.allow.equals",
	          "equals: string longer than 4096");
	p = cond + sprintf(cond, "{\"claim\":\"tee\",\"prefix\":\"");
	memset(p, 's', len + 1);
	strcpy(p + len + 1, "\"}");
	cond_fail(cond, NULL, CU_ERR_TOO_LARGE, "$.allow.prefix", "prefix: string longer than");

	/* A description over the limit is refused, naming the limit. */
	p = cond + sprintf(cond, "{\"claim\":\"tee\",\"exists\":true,\"description\":\"");
	memset(p, 'd', len + 1);
	strcpy(p + len + 1, "\"}");
	cond_fail(cond, NULL, CU_ERR_MALFORMED, "$.allow.description", "at most 4096 bytes");
	free(cond);
}

/*
 * The values of an in/notIn list are held to the CU_LIMIT_JSON_STRING limit
 * that equals, notEquals and prefix enforce.
 */
static void test_operand_list_string_limit(void **state)
{
	size_t len = CU_LIMIT_JSON_STRING;
	char *cond = malloc(len + 128), *doc, *p;
	struct cu_error err = { 0 };
	cu_policy *pol = SENTINEL;
	int r;

	(void)state;
	assert_non_null(cond);
	p = cond + sprintf(cond, "{\"claim\":\"tee\",\"in\":[\"a\",\"");
	memset(p, 's', len + 1);
	strcpy(p + len + 1, "\"]}");
	doc = release_doc(cond);
	free(cond);
	r = cu_policy_load(&pol, doc, strlen(doc), NULL, &err);
	free(doc);
	if (r == 0)
		cu_policy_free(pol);
	/* As for equals: "policy: $.allow.in: in: string longer than 4096 bytes". */
	assert_int_equal(r, CU_ERR_TOO_LARGE);
	assert_ptr_equal(pol, SENTINEL);
	assert_memory_equal(err.message, "policy: $.allow.in: ", 20);
	assert_non_null(strstr(err.message, "string longer than 4096"));
}

/* ---- Appraisal rules ------------------------------------------------------------------------ */

static char *appraisal_doc(const char *rules)
{
	char *s = NULL;

	assert_true(
	    asprintf(&s,
	             "{\"version\":1,\"kind\":\"appraisal\",\"id\":\"ap\",\"trustworthiness\":"
	             "%s}",
	             rules) > 0);
	return s;
}

static void rules_fail(const char *rules, int code, const char *path, const char *needle)
{
	char *d = appraisal_doc(rules);

	load_fail(d, g_rv, code, path, needle);
	free(d);
}

static void test_appraisal_load(void **state)
{
	char *d = appraisal_doc(
	    "{\"hardware\":{\"when\":{\"claim\":\"tee\",\"equals\":\"sev-snp\"},\"pass\":"
	    "\"genuine\","
	    "\"fail\":\"unrecognized\"},"
	    "\"executables\":{\"when\":{\"claim\":\"measurement\",\"in\":{\"refvalues\":\"img\"}},"
	    "\"pass\":3,\"fail\":-128},"
	    "\"configuration\":{\"when\":{\"claim\":\"debug\",\"equals\":false}},"
	    "\"sourced-data\":{\"fail\":127,\"pass\":\"no_claim\",\"when\":{\"claim\":\"x\","
	    "\"exists\":false}}}");
	const struct cu_tv_rule *r;
	cu_policy *p = load_ok(d, g_rv);
	json_t *trace = json_array();

	(void)state;
	assert_int_equal(cu_policy_get_kind(p), CU_POLICY_APPRAISAL);
	assert_string_equal(cu_policy_get_id(p), "ap");
	r = cu_policy_get0_rules(p);
	assert_non_null(r);
	assert_true(r[CU_TV_HARDWARE].present);
	assert_int_equal(r[CU_TV_HARDWARE].pass, 2);
	assert_int_equal(r[CU_TV_HARDWARE].fail, 97);
	assert_string_equal(r[CU_TV_HARDWARE].path, "$.trustworthiness.hardware");
	assert_true(r[CU_TV_EXECUTABLES].present);
	assert_int_equal(r[CU_TV_EXECUTABLES].pass, 3);
	assert_int_equal(r[CU_TV_EXECUTABLES].fail, -128);
	/* Defaults: pass 2, fail 96. */
	assert_true(r[CU_TV_CONFIGURATION].present);
	assert_int_equal(r[CU_TV_CONFIGURATION].pass, 2);
	assert_int_equal(r[CU_TV_CONFIGURATION].fail, 96);
	assert_true(r[CU_TV_SOURCED_DATA].present);
	assert_int_equal(r[CU_TV_SOURCED_DATA].pass, 0);
	assert_int_equal(r[CU_TV_SOURCED_DATA].fail, 127);
	assert_false(r[CU_TV_INSTANCE_IDENTITY].present);
	assert_false(r[CU_TV_FILE_SYSTEM].present);
	assert_false(r[CU_TV_RUNTIME_OPAQUE].present);
	assert_false(r[CU_TV_STORAGE_OPAQUE].present);

	/* The rules' conditions evaluate (paths under the rule). */
	assert_true(cu_policy_node_eval(r[CU_TV_HARDWARE].when, g_input, T, trace));
	assert_true(cu_policy_node_eval(r[CU_TV_EXECUTABLES].when, g_input, T, trace));
	assert_false(cu_policy_node_eval(r[CU_TV_EXECUTABLES].when, g_input, T - 2 * DAY, trace));
	assert_true(cu_policy_node_eval(r[CU_TV_CONFIGURATION].when, g_input, T, NULL));
	assert_int_equal(json_array_size(trace), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(trace, 0), "path")),
	                    "$.trustworthiness.hardware.when");
	assert_string_equal(json_string_value(json_object_get(json_array_get(trace, 1), "path")),
	                    "$.trustworthiness.executables.when");
	json_decref(trace);

	/* An appraisal policy never allows a release. */
	trace = NULL;
	assert_false(cu_policy_allows(p, g_input, T, &trace));
	assert_int_equal(json_array_size(trace), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(trace, 0), "result")),
	                    "fail");
	assert_non_null(
	    strstr(json_string_value(json_object_get(json_array_get(trace, 0), "reason")),
	           "not a release policy"));
	json_decref(trace);
	assert_false(cu_policy_allows(p, g_input, T, NULL));
	cu_policy_free(p);
	free(d);
}

static void test_appraisal_errors(void **state)
{
	(void)state;
	rules_fail("{\"hardwares\":{\"when\":{\"claim\":\"a\",\"exists\":true}}}", CU_ERR_MALFORMED,
	           "$.trustworthiness.hardwares", "unknown trustworthiness claim");
	rules_fail("{\"hardware\":{\"when\":{\"claim\":\"a\",\"exists\":true}},\"Executables\":{}}",
	           CU_ERR_MALFORMED, "$.trustworthiness.Executables", "unknown trustworthiness");
	rules_fail("{\"hardware\":true}", CU_ERR_MALFORMED, "$.trustworthiness.hardware",
	           "expected {\"when\"");
	rules_fail("{\"hardware\":[]}", CU_ERR_MALFORMED, "$.trustworthiness.hardware", NULL);
	rules_fail("{\"hardware\":{}}", CU_ERR_MALFORMED, "$.trustworthiness.hardware",
	           "missing \"when\"");
	rules_fail("{\"hardware\":{\"pass\":2}}", CU_ERR_MALFORMED, "$.trustworthiness.hardware",
	           "missing \"when\"");
	rules_fail("{\"hardware\":{\"when\":{\"claim\":\"a\",\"exists\":true},\"else\":96}}",
	           CU_ERR_MALFORMED, "$.trustworthiness.hardware",
	           "unknown key \"else\" (expected when, pass, fail)");
	/* Errors inside "when" carry the full path. */
	rules_fail(
	    "{\"hardware\":{\"when\":{\"allOf\":[{\"claim\":\"a\",\"exists\":true},{\"claim\":"
	    "\"a\",\"equal\":1}]}}}",
	    CU_ERR_MALFORMED, "$.trustworthiness.hardware.when.allOf[1]",
	    "unknown operator \"equal\" (did you mean \"equals\"?)");
	rules_fail("{\"executables\":{\"when\":{\"claim\":\"m\",\"in\":{\"refvalues\":\"nope\"}}}}",
	           CU_ERR_NOT_FOUND, "$.trustworthiness.executables.when.in", "\"nope\"");
	rules_fail("{\"hardware\":{\"when\":[]}}", CU_ERR_MALFORMED,
	           "$.trustworthiness.hardware.when", "expected a condition object");
}

static void test_appraisal_values(void **state)
{
	static const char *const bad[] = {
		"128",
		"-129",
		"1.5",
		"2.0",
		"true",
		"null",
		"\"\"",
		"\"bogus\"",
		"\"Genuine\"",
		/* a name defined for another claim */
		"\"approved_boot\"",
		"\"trustworthy\"",
		"[2]",
		"{}",
	};
	char rules[256];
	cu_policy *p;
	char *d;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(rules, sizeof(rules),
		         "{\"hardware\":{\"when\":{\"claim\":\"a\",\"exists\":true},\"pass\":%s}}",
		         bad[i]);
		rules_fail(
		    rules, CU_ERR_MALFORMED, "$.trustworthiness.hardware.pass",
		    "expected an integer from -128 to 127 or a name defined for \"hardware\"");
		snprintf(rules, sizeof(rules),
		         "{\"hardware\":{\"fail\":%s,\"when\":{\"claim\":\"a\",\"exists\":true}}}",
		         bad[i]);
		rules_fail(rules, CU_ERR_MALFORMED, "$.trustworthiness.hardware.fail",
		           "name defined for \"hardware\"");
	}
	/* The ends of the integer range. */
	d = appraisal_doc("{\"file-system\":{\"when\":{\"claim\":\"a\",\"exists\":true},\"pass\":"
	                  "127,\"fail\":-128}}");
	p = load_ok(d, NULL);
	assert_int_equal(cu_policy_get0_rules(p)[CU_TV_FILE_SYSTEM].pass, 127);
	assert_int_equal(cu_policy_get0_rules(p)[CU_TV_FILE_SYSTEM].fail, -128);
	cu_policy_free(p);
	free(d);
}

/* Every name of draft-ietf-rats-ar4si, per claim, through the policy and directly. */
static void test_appraisal_names(void **state)
{
	static const struct {
		enum cu_tv_claim c;
		const char *claim, *name;
		int value;
	} names[] = {
		{ CU_TV_INSTANCE_IDENTITY, "instance-identity", "trustworthy", 2 },
		{ CU_TV_INSTANCE_IDENTITY, "instance-identity", "untrustworthy", 96 },
		{ CU_TV_INSTANCE_IDENTITY, "instance-identity", "unrecognized", 97 },
		{ CU_TV_CONFIGURATION, "configuration", "approved", 2 },
		{ CU_TV_CONFIGURATION, "configuration", "no_known_vulnerabilities", 3 },
		{ CU_TV_CONFIGURATION, "configuration", "unsafe", 32 },
		{ CU_TV_CONFIGURATION, "configuration", "unsupportable", 96 },
		{ CU_TV_EXECUTABLES, "executables", "approved_runtime", 2 },
		{ CU_TV_EXECUTABLES, "executables", "approved_boot", 3 },
		{ CU_TV_EXECUTABLES, "executables", "unsafe", 32 },
		{ CU_TV_EXECUTABLES, "executables", "unrecognized", 33 },
		{ CU_TV_EXECUTABLES, "executables", "contraindicated", 96 },
		{ CU_TV_FILE_SYSTEM, "file-system", "approved", 2 },
		{ CU_TV_FILE_SYSTEM, "file-system", "unrecognized", 32 },
		{ CU_TV_FILE_SYSTEM, "file-system", "contraindicated", 96 },
		{ CU_TV_HARDWARE, "hardware", "genuine", 2 },
		{ CU_TV_HARDWARE, "hardware", "unsafe", 32 },
		{ CU_TV_HARDWARE, "hardware", "contraindicated", 96 },
		{ CU_TV_HARDWARE, "hardware", "unrecognized", 97 },
		{ CU_TV_RUNTIME_OPAQUE, "runtime-opaque", "encrypted", 2 },
		{ CU_TV_RUNTIME_OPAQUE, "runtime-opaque", "isolated", 32 },
		{ CU_TV_RUNTIME_OPAQUE, "runtime-opaque", "visible", 96 },
		{ CU_TV_STORAGE_OPAQUE, "storage-opaque", "hw_keys_encrypted", 2 },
		{ CU_TV_STORAGE_OPAQUE, "storage-opaque", "sw_keys_encrypted", 32 },
		{ CU_TV_STORAGE_OPAQUE, "storage-opaque", "unencrypted", 96 },
		{ CU_TV_SOURCED_DATA, "sourced-data", "trusted", 2 },
		{ CU_TV_SOURCED_DATA, "sourced-data", "untrusted", 32 },
		{ CU_TV_SOURCED_DATA, "sourced-data", "contraindicated", 96 },
	};
	static const struct {
		const char *name;
		int value;
	} common[] = {
		{ "no_claim", 0 },
		{ "verifier_malfunction", -1 },
		{ "unexpected_evidence", 1 },
		{ "crypto_failed", 99 },
	};
	char rules[256], *d;
	cu_policy *p;
	int v;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_string_equal(cu_tv_claim_name(names[i].c), names[i].claim);
		v = -1000;
		assert_int_equal(cu_tv_value_from_name(names[i].c, names[i].name, &v), 0);
		assert_int_equal(v, names[i].value);
		snprintf(rules, sizeof(rules),
		         "{\"%s\":{\"when\":{\"claim\":\"a\",\"exists\":true},\"pass\":\"%s\","
		         "\"fail\":\"%s\"}}",
		         names[i].claim, names[i].name, names[i].name);
		d = appraisal_doc(rules);
		p = load_ok(d, NULL);
		assert_int_equal(cu_policy_get0_rules(p)[names[i].c].pass, names[i].value);
		assert_int_equal(cu_policy_get0_rules(p)[names[i].c].fail, names[i].value);
		cu_policy_free(p);
		free(d);
	}
	/* The common names hold for every claim. */
	for (enum cu_tv_claim c = 0; c < _CU_TV_MAX; c++) {
		assert_non_null(cu_tv_claim_name(c));
		for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
			v = -1000;
			assert_int_equal(cu_tv_value_from_name(c, common[i].name, &v), 0);
			assert_int_equal(v, common[i].value);
			snprintf(
			    rules, sizeof(rules),
			    "{\"%s\":{\"when\":{\"claim\":\"a\",\"exists\":true},\"fail\":\"%s\"}}",
			    cu_tv_claim_name(c), common[i].name);
			d = appraisal_doc(rules);
			p = load_ok(d, NULL);
			assert_int_equal(cu_policy_get0_rules(p)[c].fail, common[i].value);
			cu_policy_free(p);
			free(d);
		}
	}
	/* Names of one claim are not names of another. */
	v = -1000;
	assert_int_equal(cu_tv_value_from_name(CU_TV_HARDWARE, "approved", &v), CU_ERR_NOT_FOUND);
	assert_int_equal(cu_tv_value_from_name(CU_TV_EXECUTABLES, "genuine", &v), CU_ERR_NOT_FOUND);
	assert_int_equal(cu_tv_value_from_name(CU_TV_SOURCED_DATA, "", &v), CU_ERR_NOT_FOUND);
	assert_int_equal(cu_tv_value_from_name(_CU_TV_MAX, "genuine", &v), CU_ERR_NOT_FOUND);
	assert_int_equal(v, -1000);
	assert_int_equal(cu_tv_value_from_name(_CU_TV_MAX, "no_claim", &v), 0);
	assert_int_equal(v, 0);
	assert_null(cu_tv_claim_name(_CU_TV_MAX));
}

/* ---- Evaluation: operators ------------------------------------------------------------------ */

static void test_eval_equals(void **state)
{
	(void)state;
	pass("{\"claim\":\"tee\",\"equals\":\"sev-snp\"}");
	fails("{\"claim\":\"tee\",\"equals\":\"tdx\"}", "value differs");
	fails("{\"claim\":\"tee\",\"equals\":\"SEV-SNP\"}", "value differs");
	/* Numbers by value, not by type or text. */
	pass("{\"claim\":\"svn\",\"equals\":5}");
	pass("{\"claim\":\"svn\",\"equals\":5.0}");
	pass("{\"claim\":\"two\",\"equals\":2}");
	fails("{\"claim\":\"svn\",\"equals\":\"5\"}", "value differs");
	fails("{\"claim\":\"str5\",\"equals\":5}", "value differs");
	fails("{\"claim\":\"ratio\",\"equals\":1}", "value differs");
	/* Booleans are not numbers. */
	pass("{\"claim\":\"debug\",\"equals\":false}");
	fails("{\"claim\":\"debug\",\"equals\":true}", "value differs");
	fails("{\"claim\":\"debug\",\"equals\":0}", "value differs");
	fails("{\"claim\":\"zero\",\"equals\":false}", "value differs");
	/* Objects, null and absent claims never equal. */
	fails("{\"claim\":\"snp\",\"equals\":\"x\"}", "value differs");
	fails("{\"claim\":\"nothing\",\"equals\":false}", "value differs");
	fails("{\"claim\":\"absent\",\"equals\":\"x\"}", "claim is absent");
}

static void test_eval_not_equals(void **state)
{
	(void)state;
	pass("{\"claim\":\"tee\",\"notEquals\":\"tdx\"}");
	fails("{\"claim\":\"tee\",\"notEquals\":\"sev-snp\"}", "value is the one excluded");
	fails("{\"claim\":\"svn\",\"notEquals\":5.0}", "the one excluded");
	pass("{\"claim\":\"str5\",\"notEquals\":5}");
	pass("{\"claim\":\"debug\",\"notEquals\":true}");
	/* An absent claim fails notEquals: absence proves nothing. */
	fails("{\"claim\":\"absent\",\"notEquals\":\"x\"}", "claim is absent");
	fails("{\"claim\":\"snp.absent\",\"notEquals\":true}", "claim is absent");
}

static void test_eval_in(void **state)
{
	(void)state;
	pass("{\"claim\":\"tee\",\"in\":[\"tdx\",\"sev-snp\"]}");
	fails("{\"claim\":\"tee\",\"in\":[\"tdx\",\"sgx\"]}", "value is not among the 2 listed");
	pass("{\"claim\":\"svn\",\"in\":[1,5.0]}");
	pass("{\"claim\":\"three\",\"in\":[\"a\",3]}");
	fails("{\"claim\":\"str5\",\"in\":[5]}", "not among the 1 listed");
	fails("{\"claim\":\"debug\",\"in\":[0]}", "not among");
	pass("{\"claim\":\"debug\",\"in\":[true,false]}");
	fails("{\"claim\":\"snp\",\"in\":[\"x\"]}", "not among");
	fails("{\"claim\":\"absent\",\"in\":[\"x\"]}", "claim is absent");
}

static void test_eval_not_in(void **state)
{
	(void)state;
	pass("{\"claim\":\"tee\",\"notIn\":[\"tdx\",\"sgx\"]}");
	fails("{\"claim\":\"tee\",\"notIn\":[\"tdx\",\"sev-snp\"]}", "value is listed as excluded");
	fails("{\"claim\":\"svn\",\"notIn\":[5.0]}", "listed as excluded");
	pass("{\"claim\":\"str5\",\"notIn\":[5]}");
	/* Absent: fails. */
	fails("{\"claim\":\"absent\",\"notIn\":[\"x\"]}", "claim is absent");
}

static void test_eval_ordered(void **state)
{
	(void)state;
	/* Integers. */
	pass("{\"claim\":\"svn\",\"greater\":4}");
	fails("{\"claim\":\"svn\",\"greater\":5}", "comparison greater fails");
	pass("{\"claim\":\"svn\",\"greaterOrEquals\":5}");
	fails("{\"claim\":\"svn\",\"greaterOrEquals\":6}", "comparison greaterOrEquals fails");
	pass("{\"claim\":\"svn\",\"less\":6}");
	fails("{\"claim\":\"svn\",\"less\":5}", "comparison less fails");
	pass("{\"claim\":\"svn\",\"lessOrEquals\":5}");
	fails("{\"claim\":\"svn\",\"lessOrEquals\":4}", "comparison lessOrEquals fails");
	pass("{\"claim\":\"neg\",\"less\":0}");
	pass("{\"claim\":\"zero\",\"greater\":-1}");
	pass("{\"claim\":\"snp.reported_tcb.microcode\",\"greaterOrEquals\":200}");
	/* Integer claim, real operand and the reverse. */
	pass("{\"claim\":\"svn\",\"greater\":4.5}");
	fails("{\"claim\":\"svn\",\"greater\":5.0}", "comparison greater fails");
	pass("{\"claim\":\"svn\",\"greaterOrEquals\":5.0}");
	pass("{\"claim\":\"svn\",\"less\":5.5}");
	pass("{\"claim\":\"ratio\",\"greater\":1}");
	fails("{\"claim\":\"ratio\",\"greater\":2}", "comparison greater fails");
	pass("{\"claim\":\"ratio\",\"less\":2}");
	pass("{\"claim\":\"two\",\"lessOrEquals\":2}");
	pass("{\"claim\":\"two\",\"greaterOrEquals\":2}");
	fails("{\"claim\":\"two\",\"less\":2}", "comparison less fails");
	pass("{\"claim\":\"ratio\",\"lessOrEquals\":1.5}");
	/* Not numbers, or absent. */
	fails("{\"claim\":\"str5\",\"greater\":1}", "claim is not a number");
	fails("{\"claim\":\"debug\",\"lessOrEquals\":1}", "claim is not a number");
	fails("{\"claim\":\"nothing\",\"less\":1}", "claim is not a number");
	fails("{\"claim\":\"snp\",\"greaterOrEquals\":0}", "claim is not a number");
	fails("{\"claim\":\"absent\",\"greater\":0}", "claim is absent");
	fails("{\"claim\":\"absent\",\"less\":0}", "claim is absent");
}

static void test_eval_exists(void **state)
{
	(void)state;
	pass("{\"claim\":\"tee\",\"exists\":true}");
	fails("{\"claim\":\"tee\",\"exists\":false}", "claim is present");
	pass("{\"claim\":\"absent\",\"exists\":false}");
	fails("{\"claim\":\"absent\",\"exists\":true}", "claim is absent");
	/* A null value is present; so is false, 0 and an object. */
	pass("{\"claim\":\"nothing\",\"exists\":true}");
	pass("{\"claim\":\"debug\",\"exists\":true}");
	pass("{\"claim\":\"zero\",\"exists\":true}");
	pass("{\"claim\":\"snp.policy\",\"exists\":true}");
	pass("{\"claim\":\"snp.policy.smt\",\"exists\":false}");
	pass("{\"claim\":\"tee.x\",\"exists\":false}");
}

static void test_eval_prefix(void **state)
{
	(void)state;
	pass("{\"claim\":\"tee\",\"prefix\":\"sev\"}");
	pass("{\"claim\":\"tee\",\"prefix\":\"sev-snp\"}");
	pass("{\"claim\":\"tee\",\"prefix\":\"\"}");
	fails("{\"claim\":\"tee\",\"prefix\":\"snp\"}", "value does not start with the prefix");
	fails("{\"claim\":\"tee\",\"prefix\":\"SEV\"}", "does not start with the prefix");
	fails("{\"claim\":\"tee\",\"prefix\":\"sev-snp-2\"}", "does not start with the prefix");
	/* Not strings: no text to look at. */
	fails("{\"claim\":\"svn\",\"prefix\":\"5\"}", "claim is not a string");
	fails("{\"claim\":\"debug\",\"prefix\":\"f\"}", "claim is not a string");
	fails("{\"claim\":\"list\",\"prefix\":\"\"}", "claim is not a string");
	fails("{\"claim\":\"absent\",\"prefix\":\"\"}", "claim is absent");
}

static void test_eval_sets(void **state)
{
	(void)state;
	/* Rollout through a set: "old" until T, "new" from T - 1 day. */
	fails_at("{\"claim\":\"measurement\",\"in\":{\"refvalues\":\"img\"}}", T - 2 * DAY,
	         "value is not among the 1 values of set \"img\" in effect");
	pass_at("{\"claim\":\"measurement\",\"in\":{\"refvalues\":\"img\"}}", T - DAY);
	pass_at("{\"claim\":\"measurement\",\"in\":{\"refvalues\":\"img\"}}", T - DAY / 2);
	pass_at("{\"claim\":\"measurement\",\"in\":{\"refvalues\":\"img\"}}", T);
	pass_at("{\"claim\":\"oldm\",\"in\":{\"refvalues\":\"img\"}}", T - 2 * DAY);
	pass_at("{\"claim\":\"oldm\",\"in\":{\"refvalues\":\"img\"}}", T - 1);
	fails_at("{\"claim\":\"oldm\",\"in\":{\"refvalues\":\"img\"}}", T, "set \"img\"");
	/* notIn with a set: the values in effect are excluded. */
	pass_at("{\"claim\":\"oldm\",\"notIn\":{\"refvalues\":\"img\"}}", T);
	fails_at("{\"claim\":\"oldm\",\"notIn\":{\"refvalues\":\"img\"}}", T - 1,
	         "listed as excluded");
	fails_at("{\"claim\":\"absent\",\"notIn\":{\"refvalues\":\"img\"}}", T, "claim is absent");
	/* Numbers compare by value, also from sets. */
	pass("{\"claim\":\"three\",\"in\":{\"refvalues\":\"strs\"}}");
	pass("{\"claim\":\"tee\",\"notIn\":{\"refvalues\":\"strs\"}}");
	/* An empty set admits nothing and excludes nothing. */
	fails("{\"claim\":\"tee\",\"in\":{\"refvalues\":\"empty\"}}", "among the 0 values");
	pass("{\"claim\":\"tee\",\"notIn\":{\"refvalues\":\"empty\"}}");
}

static void test_eval_ordered_sets(void **state)
{
	(void)state;
	/* The bound in effect: 5 until T, 8 from T. */
	pass_at("{\"claim\":\"svn\",\"greaterOrEquals\":{\"refvalues\":\"fw\"}}", T - 1);
	fails_at("{\"claim\":\"svn\",\"greaterOrEquals\":{\"refvalues\":\"fw\"}}", T,
	         "comparison greaterOrEquals fails");
	pass_at("{\"claim\":\"snp.reported_tcb.snp\",\"greaterOrEquals\":{\"refvalues\":\"fw\"}}",
	        T);
	fails_at("{\"claim\":\"svn\",\"less\":{\"refvalues\":\"fw\"}}", T - 1,
	         "comparison less fails");
	pass_at("{\"claim\":\"svn\",\"less\":{\"refvalues\":\"fw\"}}", T);
	/* Against several values in effect: passes if it holds for any of them. */
	pass("{\"claim\":\"svn\",\"greater\":{\"refvalues\":\"multi\"}}");
	pass("{\"claim\":\"svn\",\"less\":{\"refvalues\":\"multi\"}}");
	fails("{\"claim\":\"svn\",\"greater\":{\"refvalues\":\"high\"}}",
	      "comparison greater fails");
	pass("{\"claim\":\"svn\",\"lessOrEquals\":{\"refvalues\":\"high\"}}");
	pass("{\"claim\":\"ratio\",\"less\":{\"refvalues\":\"multi\"}}");
	/* No value in effect: fails, and says so. */
	fails_at("{\"claim\":\"svn\",\"less\":{\"refvalues\":\"later\"}}", T - 1,
	         "set \"later\" has no value in effect");
	pass_at("{\"claim\":\"svn\",\"less\":{\"refvalues\":\"later\"}}", T);
	fails("{\"claim\":\"svn\",\"greater\":{\"refvalues\":\"empty\"}}",
	      "set \"empty\" has no value in effect");
	/* The claim must still be a number. */
	fails("{\"claim\":\"str5\",\"less\":{\"refvalues\":\"multi\"}}", "claim is not a number");
	fails("{\"claim\":\"absent\",\"less\":{\"refvalues\":\"multi\"}}", "claim is absent");
}

static void test_eval_combinations(void **state)
{
	(void)state;
	pass("{\"allOf\":[{\"claim\":\"tee\",\"equals\":\"sev-snp\"},{\"claim\":\"debug\","
	     "\"equals\":false}]}");
	fails("{\"allOf\":[{\"claim\":\"tee\",\"equals\":\"sev-snp\"},{\"claim\":\"debug\","
	      "\"equals\":true},{\"claim\":\"svn\",\"less\":5}]}",
	      "2 of 3 conditions failed");
	fails("{\"allOf\":[{\"claim\":\"tee\",\"equals\":\"tdx\"}]}", "1 of 1 conditions failed");
	pass("{\"anyOf\":[{\"claim\":\"tee\",\"equals\":\"tdx\"},{\"claim\":\"tee\",\"equals\":"
	     "\"sev-"
	     "snp\"}]}");
	fails("{\"anyOf\":[{\"claim\":\"tee\",\"equals\":\"tdx\"},{\"claim\":\"tee\",\"equals\":"
	      "\"sgx\"}]}",
	      "none of 2 conditions passed");
	pass("{\"not\":{\"claim\":\"debug\",\"equals\":true}}");
	fails("{\"not\":{\"claim\":\"debug\",\"equals\":false}}", "the negated condition passed");
	/* not of a clause on an absent claim passes: the clause failed. */
	pass("{\"not\":{\"claim\":\"absent\",\"equals\":true}}");
	pass("{\"not\":{\"not\":{\"claim\":\"tee\",\"exists\":true}}}");
	/* Nested. */
	pass(
	    "{\"allOf\":[{\"anyOf\":[{\"claim\":\"tee\",\"equals\":\"tdx\"},{\"allOf\":[{\"claim\":"
	    "\"tee\",\"prefix\":\"sev\"},{\"claim\":\"svn\",\"greaterOrEquals\":5}]}]},{\"not\":{"
	    "\"anyOf\":[{\"claim\":\"debug\",\"equals\":true},{\"claim\":\"snp.policy.debug\","
	    "\"equals\":true}]}}]}");
	fails(
	    "{\"allOf\":[{\"anyOf\":[{\"claim\":\"tee\",\"equals\":\"tdx\"},{\"allOf\":[{\"claim\":"
	    "\"tee\",\"prefix\":\"sev\"},{\"claim\":\"svn\",\"greaterOrEquals\":5}]}]},{\"not\":{"
	    "\"anyOf\":[{\"claim\":\"debug\",\"equals\":true},{\"claim\":\"snp.policy.debug\","
	    "\"equals\":false}]}}]}",
	    "1 of 2 conditions failed");
}

static void test_eval_windows(void **state)
{
	const char *nb = "{\"claim\":\"tee\",\"equals\":\"sev-snp\",\"notBefore\":\"" T_TEXT "\"}";
	const char *na = "{\"claim\":\"tee\",\"equals\":\"sev-snp\",\"notAfter\":\"" T_TEXT "\"}";
	const char *both = "{\"claim\":\"tee\",\"equals\":\"sev-snp\",\"notBefore\":\"" TM1_TEXT
	                   "\",\"notAfter\":\"" T_TEXT "\"}";

	(void)state;
	/* notBefore is inclusive. */
	fails_at(nb, T - 1, "not in effect before 2026-03-01T00:00:00Z (notBefore)");
	pass_at(nb, T);
	pass_at(nb, T + 365 * DAY);
	/* notAfter is exclusive. */
	pass_at(na, T - 2 * DAY);
	pass_at(na, T - 1);
	fails_at(na, T, "no longer in effect since 2026-03-01T00:00:00Z (notAfter)");
	fails_at(na, T + 1, "notAfter");
	/* Both. */
	fails_at(both, T - DAY - 1, "notBefore");
	pass_at(both, T - DAY);
	pass_at(both, T - 1);
	fails_at(both, T, "notAfter");
	/* A clause out of effect fails even when its claim matches; under not, it passes. */
	pass_at("{\"not\":{\"claim\":\"tee\",\"equals\":\"sev-snp\",\"notAfter\":\"" T_TEXT "\"}}",
	        T);
	fails_at("{\"not\":{\"claim\":\"tee\",\"equals\":\"sev-snp\",\"notAfter\":\"" T_TEXT "\"}}",
	         T - 1, "the negated condition passed");
	/* Offsets count. */
	fails_at("{\"claim\":\"tee\",\"exists\":true,\"notBefore\":\"2026-03-01T01:00:00+01:00\"}",
	         T - 1, "notBefore");
	pass_at("{\"claim\":\"tee\",\"exists\":true,\"notBefore\":\"2026-03-01T01:00:00+01:00\"}",
	        T);
	/* On composites. */
	fails_at("{\"allOf\":[{\"claim\":\"tee\",\"exists\":true}],\"notAfter\":\"" T_TEXT "\"}", T,
	         "notAfter");
	pass_at("{\"allOf\":[{\"claim\":\"tee\",\"exists\":true}],\"notAfter\":\"" T_TEXT "\"}",
	        T - 1);
	fails_at("{\"anyOf\":[{\"claim\":\"tee\",\"exists\":true}],\"notBefore\":\"" T_TEXT "\"}",
	         T - 1, "notBefore");
	/* Rollout with clauses: old measurement until T, new one from T - 1 day. */
	{
		const char *r =
		    "{\"anyOf\":[{\"claim\":\"measurement\",\"equals\":\"old\","
		    "\"notAfter\":\"" T_TEXT "\"},{\"claim\":\"measurement\",\"equals\":"
		    "\"new\",\"notBefore\":\"" TM1_TEXT "\"}]}";
		fails_at(r, T - 2 * DAY, "none of 2 conditions passed");
		pass_at(r, T - DAY / 2);
		pass_at(r, T);
	}
}

static void test_eval_paths(void **state)
{
	(void)state;
	pass("{\"claim\":\"snp.reported_tcb.snp\",\"equals\":8}");
	pass("{\"claim\":\"snp.policy.debug\",\"equals\":false}");
	/* Array indexes. */
	pass("{\"claim\":\"list.0\",\"equals\":10}");
	pass("{\"claim\":\"list.1\",\"equals\":\"x\"}");
	pass("{\"claim\":\"list.2.k\",\"equals\":\"v\"}");
	fails("{\"claim\":\"list.3\",\"exists\":true}", "claim is absent");
	fails("{\"claim\":\"list.01\",\"exists\":true}", "claim is absent");
	fails("{\"claim\":\"list.x\",\"exists\":true}", "claim is absent");
	/* A key containing dots: the longest key wins ("ear.status", not "ear"."status"). */
	pass("{\"claim\":\"submods.cpu0.ear.status\",\"equals\":\"affirming\"}");
	pass("{\"claim\":\"submods.cpu0.ear.trustworthiness-vector.executables\",\"in\":[2,3]}");
	pass("{\"claim\":\"submods.cpu0.ear\",\"exists\":true}");
}

/* ---- Evaluation: results and explanations ------------------------------------------------- */

static const json_t *entry_at(const json_t *trace, size_t i)
{
	const json_t *e = json_array_get(trace, i);

	assert_non_null(e);
	return e;
}

static const char *field(const json_t *e, const char *key)
{
	const json_t *v = json_object_get(e, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void assert_entry(const json_t *e, const char *path, const char *op, const char *result)
{
	assert_string_equal(field(e, "path"), path);
	assert_string_equal(field(e, "op"), op);
	assert_string_equal(field(e, "result"), result);
	if (!strcmp(result, "pass"))
		assert_null(json_object_get(e, "reason"));
	else
		assert_true(field(e, "reason") && *field(e, "reason"));
}

static void test_trace(void **state)
{
	cu_policy *p = cond_ok(
	    "{\"description\":\"top\",\"allOf\":["
	    "{\"claim\":\"tee\",\"equals\":\"sev-snp\",\"description\":\"the TEE\"},"
	    "{\"anyOf\":[{\"claim\":\"svn\",\"greater\":7},{\"claim\":\"measurement\",\"in\":{"
	    "\"refvalues\":\"img\"}}]},"
	    "{\"not\":{\"claim\":\"debug\",\"equals\":true}},"
	    "{\"claim\":\"absent\",\"notEquals\":\"x\"}]}",
	    g_rv);
	json_t *trace = NULL, *want;
	const json_t *e;

	(void)state;
	assert_false(cu_policy_allows(p, g_input, T, &trace));
	assert_non_null(trace);
	/* One entry per condition, in document order (each composite before its children). */
	assert_int_equal(json_array_size(trace), 8);
	e = entry_at(trace, 0);
	assert_entry(e, "$.allow", "allOf", "fail");
	assert_string_equal(field(e, "reason"), "1 of 4 conditions failed");
	assert_string_equal(field(e, "description"), "top");

	e = entry_at(trace, 1);
	assert_entry(e, "$.allow.allOf[0]", "equals", "pass");
	assert_string_equal(field(e, "claim"), "tee");
	assert_string_equal(field(e, "expected"), "sev-snp");
	assert_string_equal(field(e, "actual"), "sev-snp");
	assert_string_equal(field(e, "description"), "the TEE");

	e = entry_at(trace, 2);
	assert_entry(e, "$.allow.allOf[1]", "anyOf", "pass");
	assert_null(json_object_get(e, "claim"));

	e = entry_at(trace, 3);
	assert_entry(e, "$.allow.allOf[1].anyOf[0]", "greater", "fail");
	assert_string_equal(field(e, "claim"), "svn");
	assert_int_equal(json_integer_value(json_object_get(e, "expected")), 7);
	assert_int_equal(json_integer_value(json_object_get(e, "actual")), 5);
	assert_string_equal(field(e, "reason"), "comparison greater fails");

	/* A set: the expected value names it and lists the values in effect. */
	e = entry_at(trace, 4);
	assert_entry(e, "$.allow.allOf[1].anyOf[1]", "in", "pass");
	want = json_pack("{s:s,s:[s]}", "refvalues", "img", "active", "new");
	assert_true(json_equal(json_object_get(e, "expected"), want));
	json_decref(want);
	assert_string_equal(field(e, "actual"), "new");

	e = entry_at(trace, 5);
	assert_entry(e, "$.allow.allOf[2]", "not", "pass");
	e = entry_at(trace, 6);
	assert_entry(e, "$.allow.allOf[2].not", "equals", "fail");
	assert_true(json_is_false(json_object_get(e, "actual")));
	assert_true(json_is_true(json_object_get(e, "expected")));

	/* The failing clause: no "actual" for an absent claim. */
	e = entry_at(trace, 7);
	assert_entry(e, "$.allow.allOf[3]", "notEquals", "fail");
	assert_string_equal(field(e, "claim"), "absent");
	assert_string_equal(field(e, "expected"), "x");
	assert_null(json_object_get(e, "actual"));
	assert_string_equal(field(e, "reason"), "claim is absent");
	json_decref(trace);

	/* At another time the set's active values differ in the explanation. */
	assert_false(cu_policy_allows(p, g_input, T - 2 * DAY, &trace));
	e = entry_at(trace, 4);
	assert_entry(e, "$.allow.allOf[1].anyOf[1]", "in", "fail");
	want = json_pack("{s:s,s:[s]}", "refvalues", "img", "active", "old");
	assert_true(json_equal(json_object_get(e, "expected"), want));
	json_decref(want);
	json_decref(trace);
	cu_policy_free(p);
}

static void test_trace_no_short_cut(void **state)
{
	cu_policy *p;
	json_t *trace = NULL;

	(void)state;
	/* allOf: a first failure does not stop the others being evaluated and listed. */
	p = cond_ok(
	    "{\"allOf\":[{\"claim\":\"tee\",\"equals\":\"tdx\"},{\"claim\":\"svn\",\"equals\":"
	    "5},{\"claim\":\"debug\",\"equals\":false}]}",
	    NULL);
	assert_false(cu_policy_allows(p, g_input, T, &trace));
	assert_int_equal(json_array_size(trace), 4);
	assert_entry(entry_at(trace, 0), "$.allow", "allOf", "fail");
	assert_entry(entry_at(trace, 1), "$.allow.allOf[0]", "equals", "fail");
	assert_entry(entry_at(trace, 2), "$.allow.allOf[1]", "equals", "pass");
	assert_entry(entry_at(trace, 3), "$.allow.allOf[2]", "equals", "pass");
	json_decref(trace);
	cu_policy_free(p);

	/* anyOf: a first success does not either. */
	p = cond_ok("{\"anyOf\":[{\"claim\":\"tee\",\"equals\":\"sev-snp\"},{\"allOf\":[{\"claim\":"
	            "\"svn\",\"equals\":4},{\"claim\":\"svn\",\"equals\":5}]}]}",
	            NULL);
	assert_true(cu_policy_allows(p, g_input, T, &trace));
	assert_int_equal(json_array_size(trace), 5);
	assert_entry(entry_at(trace, 0), "$.allow", "anyOf", "pass");
	assert_entry(entry_at(trace, 1), "$.allow.anyOf[0]", "equals", "pass");
	assert_entry(entry_at(trace, 2), "$.allow.anyOf[1]", "allOf", "fail");
	assert_entry(entry_at(trace, 3), "$.allow.anyOf[1].allOf[0]", "equals", "fail");
	assert_entry(entry_at(trace, 4), "$.allow.anyOf[1].allOf[1]", "equals", "pass");
	json_decref(trace);
	cu_policy_free(p);

	/* A clause out of effect is listed with the reason. */
	p = cond_ok("{\"allOf\":[{\"claim\":\"tee\",\"exists\":true,\"notBefore\":\"" T_TEXT
	            "\"},{\"claim\":\"svn\",\"equals\":5}]}",
	            NULL);
	assert_false(cu_policy_allows(p, g_input, T - 1, &trace));
	assert_int_equal(json_array_size(trace), 3);
	assert_entry(entry_at(trace, 1), "$.allow.allOf[0]", "exists", "fail");
	assert_non_null(strstr(field(entry_at(trace, 1), "reason"), "notBefore"));
	assert_entry(entry_at(trace, 2), "$.allow.allOf[1]", "equals", "pass");
	json_decref(trace);
	cu_policy_free(p);
}

static void test_deny_defaults(void **state)
{
	cu_policy *p = cond_ok("{\"claim\":\"tee\",\"exists\":false}", NULL);
	json_t *trace = NULL, *empty = json_object();

	(void)state;
	/* No policy: deny, and say so. */
	assert_false(cu_policy_allows(NULL, g_input, T, NULL));
	assert_false(cu_policy_allows(NULL, g_input, T, &trace));
	assert_int_equal(json_array_size(trace), 1);
	assert_entry(entry_at(trace, 0), "$", "policy", "fail");
	assert_string_equal(field(entry_at(trace, 0), "reason"), "no policy: default deny");
	json_decref(trace);
	/* No input: deny. */
	trace = NULL;
	assert_false(cu_policy_allows(p, NULL, T, &trace));
	assert_entry(entry_at(trace, 0), "$", "policy", "fail");
	assert_non_null(strstr(field(entry_at(trace, 0), "reason"), "no attestation result"));
	json_decref(trace);
	/* A policy that passes on an empty result (exists: false) does allow it. */
	assert_true(cu_policy_allows(p, empty, T, NULL));
	/* Non-object inputs: every claim is absent. */
	json_decref(empty);
	empty = json_array();
	assert_true(cu_policy_allows(p, empty, T, NULL));
	json_decref(empty);
	cu_policy_free(p);
}

/* The policy keeps its own copy of the sets it names. */
static void test_sets_copied(void **state)
{
	struct cu_error err = { 0 };
	cu_refvalues *rv = NULL;
	cu_policy *p;
	json_t *trace = NULL;

	(void)state;
	assert_int_equal(cu_refvalues_load(&rv, REFVALUES, strlen(REFVALUES), &err), 0);
	p = cond_ok("{\"allOf\":[{\"claim\":\"measurement\",\"in\":{\"refvalues\":\"img\"}},{"
	            "\"claim\":\"svn\",\"greaterOrEquals\":{\"refvalues\":\"fw\"}}]}",
	            rv);
	cu_refvalues_free(rv);
	assert_true(cu_policy_allows(p, g_input, T - 1, &trace));
	assert_int_equal(json_array_size(trace), 3);
	json_decref(trace);
	assert_false(cu_policy_allows(p, g_input, T - 2 * DAY, NULL));
	assert_false(cu_policy_allows(p, g_input, T, NULL));
	cu_policy_free(p);
}

/* ---- Claim paths ---------------------------------------------------------------------------- */

static void test_claim_path_resolve(void **state)
{
	json_t *root = json_loads(
	    "{\"a\":{\"b\":{\"c\":1}},\"a.b\":{\"c\":2},\"x\":[{\"y\":\"z\"},[7,8]],\"n\":null,"
	    "\"0\":\"zero\",\"k.e.y\":3,\"k\":{\"e\":{\"y\":4}},\"p.q\":5,\"p\":{\"q\":{\"r\":6}},"
	    "\"s\":\"str\",\"big\":[0,1,2,3,4,5,6,7,8,9,10]}",
	    0, NULL);
	json_t *arr = json_loads("[{\"a\":1},2]", 0, NULL);
	const json_t *v;

	(void)state;
	assert_non_null(root);
	assert_non_null(arr);
	/* The longest run of segments that is a key wins at each level. */
	assert_int_equal(json_integer_value(cu_claim_path_resolve(root, "a.b.c")), 2);
	assert_int_equal(json_integer_value(cu_claim_path_resolve(root, "k.e.y")), 3);
	assert_ptr_equal(cu_claim_path_resolve(root, "a.b"), json_object_get(root, "a.b"));
	assert_ptr_equal(cu_claim_path_resolve(root, "a"), json_object_get(root, "a"));
	/* No backtracking: once "p.q" is taken, "p"."q"."r" is not tried. */
	assert_null(cu_claim_path_resolve(root, "p.q.r"));
	assert_int_equal(json_integer_value(cu_claim_path_resolve(root, "p.q")), 5);
	/* Arrays: decimal indexes without leading zeros. */
	assert_string_equal(json_string_value(cu_claim_path_resolve(root, "x.0.y")), "z");
	assert_int_equal(json_integer_value(cu_claim_path_resolve(root, "x.1.1")), 8);
	assert_int_equal(json_integer_value(cu_claim_path_resolve(root, "big.10")), 10);
	assert_null(cu_claim_path_resolve(root, "big.11"));
	assert_null(cu_claim_path_resolve(root, "big.01"));
	assert_null(cu_claim_path_resolve(root, "big.-1"));
	assert_null(cu_claim_path_resolve(root, "big.+1"));
	assert_null(cu_claim_path_resolve(root, "big.1x"));
	assert_null(cu_claim_path_resolve(root, "big.9999999999"));
	assert_null(cu_claim_path_resolve(root, "x.2"));
	assert_null(cu_claim_path_resolve(root, "x.0.y.z"));
	/* Objects: "0" is a key, not an index. */
	assert_string_equal(json_string_value(cu_claim_path_resolve(root, "0")), "zero");
	assert_int_equal(json_integer_value(cu_claim_path_resolve(arr, "0.a")), 1);
	assert_int_equal(json_integer_value(cu_claim_path_resolve(arr, "1")), 2);
	assert_null(cu_claim_path_resolve(arr, "a"));
	/* A null value is present. */
	v = cu_claim_path_resolve(root, "n");
	assert_non_null(v);
	assert_true(json_is_null(v));
	assert_null(cu_claim_path_resolve(root, "n.x"));
	/* Scalars have no members. */
	assert_null(cu_claim_path_resolve(root, "s.0"));
	assert_null(cu_claim_path_resolve(root, "s.length"));
	/* Missing keys, and invalid paths. */
	assert_null(cu_claim_path_resolve(root, "nope"));
	assert_null(cu_claim_path_resolve(root, "a.nope"));
	assert_null(cu_claim_path_resolve(root, "A"));
	assert_null(cu_claim_path_resolve(root, ""));
	assert_null(cu_claim_path_resolve(root, ".a"));
	assert_null(cu_claim_path_resolve(root, "a."));
	assert_null(cu_claim_path_resolve(root, "a..b"));
	assert_null(cu_claim_path_resolve(root, "a\n"));

	/* The validity check itself. */
	assert_true(cu_claim_path_is_valid("a"));
	assert_true(cu_claim_path_is_valid("submods.cpu0.ear.status"));
	assert_true(cu_claim_path_is_valid("x-ms-isolation-tee.x-ms-attestation-type"));
	assert_true(cu_claim_path_is_valid("with space.and$[0]"));
	assert_false(cu_claim_path_is_valid(""));
	assert_false(cu_claim_path_is_valid("."));
	assert_false(cu_claim_path_is_valid(".a"));
	assert_false(cu_claim_path_is_valid("a."));
	assert_false(cu_claim_path_is_valid("a..b"));
	assert_false(cu_claim_path_is_valid("a\tb"));
	assert_false(cu_claim_path_is_valid("a\x1f"));
	json_decref(root);
	json_decref(arr);
}

static void test_claim_path_long(void **state)
{
	char path[CU_LIMIT_CLAIM_PATH + 2];
	json_t *root = json_object(), *cur = root;
	size_t segs = CU_LIMIT_CLAIM_PATH / 2;

	(void)state;
	/* a.a.a...a: CU_LIMIT_CLAIM_PATH / 2 segments (255 characters) nested that deep. */
	for (size_t i = 0; i < segs; i++) {
		json_t *next = i + 1 < segs ? json_object() : json_integer(42);
		assert_int_equal(json_object_set_new(cur, "a", next), 0);
		cur = next;
		path[2 * i] = 'a';
		path[2 * i + 1] = '.';
	}
	path[2 * segs - 1] = '\0';
	assert_int_equal(strlen(path), 2 * segs - 1);
	assert_int_equal(json_integer_value(cu_claim_path_resolve(root, path)), 42);
	/* CU_LIMIT_CLAIM_PATH + 1 characters: not a valid path. */
	memset(path, 'b', CU_LIMIT_CLAIM_PATH + 1);
	path[CU_LIMIT_CLAIM_PATH + 1] = '\0';
	assert_int_equal(json_object_set_new(root, path, json_true()), 0);
	assert_null(cu_claim_path_resolve(root, path));
	path[CU_LIMIT_CLAIM_PATH] = '\0';
	assert_null(cu_claim_path_resolve(root, path));
	assert_int_equal(json_object_set_new(root, path, json_true()), 0);
	assert_true(json_is_true(cu_claim_path_resolve(root, path)));
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_release),
		cmocka_unit_test(test_ref_digest),
		cmocka_unit_test(test_load_args),
		cmocka_unit_test(test_load_json_errors),
		cmocka_unit_test(test_load_header_errors),
		cmocka_unit_test(test_load_kind_sections),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_cond_structure_errors),
		cmocka_unit_test(test_cond_claim_errors),
		cmocka_unit_test(test_cond_operand_errors),
		cmocka_unit_test(test_cond_set_errors),
		cmocka_unit_test(test_cond_time_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_clause_limit),
		cmocka_unit_test(test_operand_limits),
		cmocka_unit_test(test_operand_list_string_limit),
		cmocka_unit_test(test_appraisal_load),
		cmocka_unit_test(test_appraisal_errors),
		cmocka_unit_test(test_appraisal_values),
		cmocka_unit_test(test_appraisal_names),
		cmocka_unit_test(test_eval_equals),
		cmocka_unit_test(test_eval_not_equals),
		cmocka_unit_test(test_eval_in),
		cmocka_unit_test(test_eval_not_in),
		cmocka_unit_test(test_eval_ordered),
		cmocka_unit_test(test_eval_exists),
		cmocka_unit_test(test_eval_prefix),
		cmocka_unit_test(test_eval_sets),
		cmocka_unit_test(test_eval_ordered_sets),
		cmocka_unit_test(test_eval_combinations),
		cmocka_unit_test(test_eval_windows),
		cmocka_unit_test(test_eval_paths),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_trace_no_short_cut),
		cmocka_unit_test(test_deny_defaults),
		cmocka_unit_test(test_sets_copied),
		cmocka_unit_test(test_claim_path_resolve),
		cmocka_unit_test(test_claim_path_long),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
