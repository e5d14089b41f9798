/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/appraisal/ear.c: EAR status tiers, appraisal of SNP-like
 * claims with an appraisal policy and reference values (with validity windows
 * for a measurement rollout), EAR claims-sets, and one end-to-end run through
 * signing, verification and a release policy.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <custos/appraisal.h>

#include "../../src/base/macro.h"
#include "test-util.h"

#define AB16 "abababababababab"
#define CD16 "cdcdcdcdcdcdcdcd"
#define EF16 "efefefefefefefef"

/* 48-byte launch measurements: the image being retired, its successor, an unknown one. */
#define MEAS_OLD AB16 AB16 AB16 AB16 AB16 AB16
#define MEAS_NEW CD16 CD16 CD16 CD16 CD16 CD16
#define MEAS_BAD EF16 EF16 EF16 EF16 EF16 EF16

/*
 * The old image is accepted until 2030-01-01 (exclusive), the new one from
 * 2029-12-31: a one-day overlap. The lowest SNP firmware SVN moves from 5 to 8
 * at 2030-01-01.
 */
static const char refvalues_json[] =
    "{\"version\": 1, \"sets\": {"
    "  \"image\": {\"values\": ["
    "    {\"value\": \"" MEAS_OLD "\", \"not_after\": \"2030-01-01T00:00:00Z\"},"
    "    {\"value\": \"" MEAS_NEW "\", \"not_before\": \"2029-12-31T00:00:00Z\"}]},"
    "  \"snp-min\": {\"values\": ["
    "    {\"value\": 5, \"not_after\": \"2030-01-01T00:00:00Z\"},"
    "    {\"value\": 8, \"not_before\": \"2030-01-01T00:00:00Z\"}]}}}";

static const char appraisal_json[] =
    "{\"version\": 1, \"kind\": \"appraisal\", \"id\": \"snp-test\", \"revision\": 3,"
    " \"trustworthiness\": {"
    "  \"hardware\": {\"when\": {\"claim\": \"tee\", \"equals\": \"sev-snp\"},"
    "                 \"pass\": \"genuine\", \"fail\": \"unrecognized\"},"
    "  \"executables\": {\"when\": {\"claim\": \"measurement\","
    "                              \"in\": {\"refvalues\": \"image\"}},"
    "                    \"pass\": \"approved_runtime\"},"
    "  \"configuration\": {\"when\": {\"allOf\": ["
    "      {\"claim\": \"debug\", \"equals\": false},"
    "      {\"claim\": \"snp.reported_tcb.snp\","
    "       \"greaterOrEquals\": {\"refvalues\": \"snp-min\"}}]},"
    "    \"fail\": \"unsafe\"}}}";

static const char release_json[] =
    "{\"version\": 1, \"kind\": \"release\", \"id\": \"key-release\","
    " \"allow\": {\"claim\": \"submods.cpu0.ear.status\", \"equals\": \"affirming\"}}";

struct fixture {
	cu_refvalues *rv;
	cu_policy *ap;
	int64_t at;       /* 2029-06-01: the old image only */
	int64_t rollover; /* 2030-01-01 */
	char dir[64];     /* for the signing key of the end-to-end test */
};

/* ---- helpers ------------------------------------------------------------------------- */

static cu_refvalues *rv_load(const char *json)
{
	cu_refvalues *rv = NULL;
	struct cu_error err = { 0 };

	if (cu_refvalues_load(&rv, json, strlen(json), &err) < 0)
		fail_msg("reference values: %s", err.message);
	return rv;
}

static cu_policy *policy_load(const char *json, const cu_refvalues *rv)
{
	cu_policy *p = NULL;
	struct cu_error err = { 0 };

	if (cu_policy_load(&p, json, strlen(json), rv, &err) < 0)
		fail_msg("policy: %s", err.message);
	return p;
}

static json_t *snp_claims(const char *tee, const char *measurement, bool debug, int tcb)
{
	json_t *c = json_pack("{s:s,s:s,s:b,s:{s:{s:i}}}", "tee", tee, "measurement", measurement,
	                      "debug", debug, "snp", "reported_tcb", "snp", tcb);

	assert_non_null(c);
	return c;
}

static json_t *appraise(const cu_policy *p, const json_t *claims, int64_t at, json_t **ret_trace)
{
	json_t *submod = NULL;
	struct cu_error err = { 0 };
	int r = cu_appraise(p, claims, at, &submod, ret_trace, &err);

	if (r < 0)
		fail_msg("appraisal failed (%d): %s", r, err.message);
	assert_non_null(submod);
	return submod;
}

static const char *status_of(const json_t *submod)
{
	const char *s = json_string_value(json_object_get(submod, "ear.status"));

	assert_non_null(s);
	return s;
}

static json_int_t tv_of(const json_t *submod, const char *claim)
{
	const json_t *v =
	    json_object_get(json_object_get(submod, "ear.trustworthiness-vector"), claim);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void assert_json_eq(const json_t *actual, const char *expected)
{
	json_auto_t *want = json_loads(expected, 0, NULL);

	assert_non_null(want);
	if (!json_equal((json_t *)actual, want)) {
		_cleanup_free_ char *got = json_dumps(actual, JSON_SORT_KEYS | JSON_COMPACT);

		fail_msg("expected %s, got %s", expected, got ? got : "(null)");
	}
}

static void assert_vector(const json_t *submod, const char *expected)
{
	assert_json_eq(json_object_get(submod, "ear.trustworthiness-vector"), expected);
}

static char *b64url(const void *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	int len;

	assert_non_null(out);
	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->rv = rv_load(refvalues_json);
	fx->ap = policy_load(appraisal_json, fx->rv);
	fx->at = tu_time("2029-06-01T00:00:00Z");
	fx->rollover = tu_time("2030-01-01T00:00:00Z");
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	cu_policy_free(fx->ap);
	cu_refvalues_free(fx->rv);
	free(fx);
	return 0;
}

/* ---- status tiers ------------------------------------------------------------------------ */

static void test_status_tiers(void **state)
{
	static const struct {
		int value;
		enum cu_ear_status status;
	} cases[] = {
		{ -1, CU_EAR_NONE },
		{ 0, CU_EAR_NONE },
		{ 1, CU_EAR_NONE },
		{ 2, CU_EAR_AFFIRMING },
		{ 3, CU_EAR_AFFIRMING },
		{ 31, CU_EAR_AFFIRMING },
		{ -2, CU_EAR_AFFIRMING },
		{ -32, CU_EAR_AFFIRMING },
		{ 32, CU_EAR_WARNING },
		{ 33, CU_EAR_WARNING },
		{ 95, CU_EAR_WARNING },
		{ -33, CU_EAR_WARNING },
		{ -96, CU_EAR_WARNING },
		{ 96, CU_EAR_CONTRAINDICATED },
		{ 97, CU_EAR_CONTRAINDICATED },
		{ 99, CU_EAR_CONTRAINDICATED },
		{ 127, CU_EAR_CONTRAINDICATED },
		{ -97, CU_EAR_CONTRAINDICATED },
		{ -128, CU_EAR_CONTRAINDICATED },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		if (cu_ear_status_of_value(cases[i].value) != cases[i].status)
			fail_msg("value %d: tier %d, expected %d", cases[i].value,
			         cu_ear_status_of_value(cases[i].value), cases[i].status);
	}
	/* Every value of the range, from the tiers' definition. */
	for (int v = -128; v <= 127; v++) {
		enum cu_ear_status want;

		if (v >= -1 && v <= 1)
			want = CU_EAR_NONE;
		else if ((v >= 2 && v <= 31) || (v >= -32 && v <= -2))
			want = CU_EAR_AFFIRMING;
		else if ((v >= 32 && v <= 95) || (v >= -96 && v <= -33))
			want = CU_EAR_WARNING;
		else
			want = CU_EAR_CONTRAINDICATED;
		assert_int_equal(cu_ear_status_of_value(v), want);
	}

	assert_string_equal(cu_ear_status_name(CU_EAR_NONE), "none");
	assert_string_equal(cu_ear_status_name(CU_EAR_AFFIRMING), "affirming");
	assert_string_equal(cu_ear_status_name(CU_EAR_WARNING), "warning");
	assert_string_equal(cu_ear_status_name(CU_EAR_CONTRAINDICATED), "contraindicated");
	assert_string_equal(cu_ear_status_name(42), "none");
}

/* ---- appraisal --------------------------------------------------------------------------- */

static void test_appraise_affirming(void **state)
{
	struct fixture *fx = *state;
	json_auto_t *claims = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *snapshot = json_deep_copy(claims);
	json_auto_t *submod = appraise(fx->ap, claims, fx->at, NULL);
	const json_t *evidence;
	char want_ref[128], hex[65];
	uint8_t md[32];
	unsigned md_len = 0;

	assert_string_equal(status_of(submod), "affirming");
	/* Exactly the claims the policy names. */
	assert_vector(submod, "{\"hardware\": 2, \"executables\": 2, \"configuration\": 2}");
	assert_int_equal(json_object_size(submod), 4);

	/* The policy reference: cu_policy_get_ref, i.e. id, revision and SHA-256 of the bytes. */
	assert_string_equal(json_string_value(json_object_get(submod, "ear.appraisal-policy-id")),
	                    cu_policy_get_ref(fx->ap));
	assert_int_equal(
	    EVP_Digest(appraisal_json, strlen(appraisal_json), md, &md_len, EVP_sha256(), NULL), 1);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(want_ref, sizeof(want_ref), "policy:snp-test@3;sha256=%s", hex);
	assert_string_equal(cu_policy_get_ref(fx->ap), want_ref);

	/* The evidence is annotated as given, as a copy. */
	evidence = json_object_get(submod, "ear.veraison.annotated-evidence");
	assert_true(json_equal((json_t *)evidence, claims));
	assert_ptr_not_equal(evidence, claims);
	json_object_set_new(claims, "debug", json_true());
	json_object_set_new(json_object_get(json_object_get(claims, "snp"), "reported_tcb"), "snp",
	                    json_integer(1));
	json_object_set_new(claims, "added", json_string("later"));
	assert_true(json_equal((json_t *)evidence, snapshot));

	/* And the other way round: the result does not reach into the claims. */
	json_object_set_new((json_t *)evidence, "tee", json_string("changed"));
	assert_string_equal(json_string_value(json_object_get(claims, "tee")), "sev-snp");
}

static void test_appraise_warning(void **state)
{
	struct fixture *fx = *state;
	json_auto_t *debug = snp_claims("sev-snp", MEAS_OLD, true, 8);
	json_auto_t *old_fw = snp_claims("sev-snp", MEAS_OLD, false, 4);
	json_auto_t *s1 = appraise(fx->ap, debug, fx->at, NULL);
	json_auto_t *s2 = appraise(fx->ap, old_fw, fx->at, NULL);

	/* configuration fails with fail "unsafe" (32). */
	assert_string_equal(status_of(s1), "warning");
	assert_vector(s1, "{\"hardware\": 2, \"executables\": 2, \"configuration\": 32}");
	assert_string_equal(status_of(s2), "warning");
	assert_vector(s2, "{\"hardware\": 2, \"executables\": 2, \"configuration\": 32}");
}

static void test_appraise_contraindicated(void **state)
{
	struct fixture *fx = *state;
	json_auto_t *bad_image = snp_claims("sev-snp", MEAS_BAD, false, 8);
	json_auto_t *tdx = snp_claims("tdx", MEAS_OLD, false, 8);
	json_auto_t *all_bad = snp_claims("tdx", MEAS_BAD, true, 1);
	json_auto_t *empty = json_object();
	json_auto_t *s1 = appraise(fx->ap, bad_image, fx->at, NULL);
	json_auto_t *s2 = appraise(fx->ap, tdx, fx->at, NULL);
	json_auto_t *s3 = appraise(fx->ap, all_bad, fx->at, NULL);
	json_auto_t *s4 = appraise(fx->ap, empty, fx->at, NULL);

	/* executables fails with the default fail value (96). */
	assert_string_equal(status_of(s1), "contraindicated");
	assert_vector(s1, "{\"hardware\": 2, \"executables\": 96, \"configuration\": 2}");
	/* hardware fails with "unrecognized" (97). */
	assert_string_equal(status_of(s2), "contraindicated");
	assert_vector(s2, "{\"hardware\": 97, \"executables\": 2, \"configuration\": 2}");
	/* The worst tier wins. */
	assert_string_equal(status_of(s3), "contraindicated");
	assert_vector(s3, "{\"hardware\": 97, \"executables\": 96, \"configuration\": 32}");
	/* Absent claims fail. */
	assert_string_equal(status_of(s4), "contraindicated");
	assert_vector(s4, "{\"hardware\": 97, \"executables\": 96, \"configuration\": 32}");
	assert_json_eq(json_object_get(s4, "ear.veraison.annotated-evidence"), "{}");
}

/* Without pass and fail, a rule gives 2 and 96. */
static void test_appraise_defaults(void **state)
{
	static const char policy[] =
	    "{\"version\": 1, \"kind\": \"appraisal\", \"id\": \"defaults\","
	    " \"trustworthiness\": {"
	    "  \"hardware\": {\"when\": {\"claim\": \"tee\", \"equals\": \"sev-snp\"}},"
	    "  \"runtime-opaque\": {\"when\": {\"claim\": \"debug\", \"equals\": false}}}}";
	cu_policy *p = policy_load(policy, NULL);
	json_auto_t *good = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *bad = snp_claims("sev-snp", MEAS_OLD, true, 8);
	json_auto_t *s1 = appraise(p, good, 1, NULL);
	json_auto_t *s2 = appraise(p, bad, 1, NULL);

	assert_vector(s1, "{\"hardware\": 2, \"runtime-opaque\": 2}");
	assert_string_equal(status_of(s1), "affirming");
	assert_vector(s2, "{\"hardware\": 2, \"runtime-opaque\": 96}");
	assert_string_equal(status_of(s2), "contraindicated");
	assert_string_equal(json_string_value(json_object_get(s1, "ear.appraisal-policy-id")),
	                    cu_policy_get_ref(p));
	assert_non_null(strstr(cu_policy_get_ref(p), "policy:defaults@1;sha256="));
	cu_policy_free(p);
}

/* Integers as pass and fail values, each tier, both signs. */
static void test_appraise_integers(void **state)
{
	static const struct {
		int pass, fail;
		const char *status_pass, *status_fail;
	} cases[] = {
		{ 3, 33, "affirming", "warning" },     { 2, 96, "affirming", "contraindicated" },
		{ -2, -33, "affirming", "warning" },   { 31, 95, "affirming", "warning" },
		{ -32, -96, "affirming", "warning" },  { 0, -97, "none", "contraindicated" },
		{ 1, 127, "none", "contraindicated" }, { -1, -128, "none", "contraindicated" },
		{ 32, 0, "warning", "none" },          { 96, 2, "contraindicated", "affirming" },
	};
	json_auto_t *good = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *bad = snp_claims("sev-snp", MEAS_OLD, true, 8);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char policy[512];
		cu_policy *p;
		json_auto_t *s1 = NULL, *s2 = NULL;

		snprintf(policy, sizeof(policy),
		         "{\"version\": 1, \"kind\": \"appraisal\", \"id\": \"ints\","
		         " \"trustworthiness\": {\"instance-identity\": {"
		         "  \"when\": {\"claim\": \"debug\", \"equals\": false},"
		         "  \"pass\": %d, \"fail\": %d}}}",
		         cases[i].pass, cases[i].fail);
		p = policy_load(policy, NULL);
		s1 = appraise(p, good, 1, NULL);
		s2 = appraise(p, bad, 1, NULL);
		assert_int_equal(tv_of(s1, "instance-identity"), cases[i].pass);
		assert_int_equal(tv_of(s2, "instance-identity"), cases[i].fail);
		assert_int_equal(
		    json_object_size(json_object_get(s1, "ear.trustworthiness-vector")), 1);
		assert_string_equal(status_of(s1), cases[i].status_pass);
		assert_string_equal(status_of(s2), cases[i].status_fail);
		cu_policy_free(p);
	}
}

/* The AR4SI names of each claim, and the names common to all. */
static void test_appraise_named_values(void **state)
{
	static const struct {
		const char *claim, *pass, *fail;
		int pass_value, fail_value;
	} cases[] = {
		{ "instance-identity", "trustworthy", "untrustworthy", 2, 96 },
		{ "instance-identity", "trustworthy", "unrecognized", 2, 97 },
		{ "configuration", "approved", "unsafe", 2, 32 },
		{ "configuration", "no_known_vulnerabilities", "unsupportable", 3, 96 },
		{ "executables", "approved_runtime", "unsafe", 2, 32 },
		{ "executables", "approved_boot", "unrecognized", 3, 33 },
		{ "executables", "approved_boot", "contraindicated", 3, 96 },
		{ "file-system", "approved", "unrecognized", 2, 32 },
		{ "file-system", "approved", "contraindicated", 2, 96 },
		{ "hardware", "genuine", "unsafe", 2, 32 },
		{ "hardware", "genuine", "contraindicated", 2, 96 },
		{ "hardware", "genuine", "unrecognized", 2, 97 },
		{ "runtime-opaque", "encrypted", "isolated", 2, 32 },
		{ "runtime-opaque", "encrypted", "visible", 2, 96 },
		{ "storage-opaque", "hw_keys_encrypted", "sw_keys_encrypted", 2, 32 },
		{ "storage-opaque", "hw_keys_encrypted", "unencrypted", 2, 96 },
		{ "sourced-data", "trusted", "untrusted", 2, 32 },
		{ "sourced-data", "trusted", "contraindicated", 2, 96 },
		/* Names shared by every claim. */
		{ "hardware", "no_claim", "verifier_malfunction", 0, -1 },
		{ "executables", "unexpected_evidence", "crypto_failed", 1, 99 },
		{ "sourced-data", "no_claim", "crypto_failed", 0, 99 },
	};
	json_auto_t *good = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *bad = snp_claims("sev-snp", MEAS_OLD, true, 8);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char policy[512];
		cu_policy *p;
		json_auto_t *s1 = NULL, *s2 = NULL;

		snprintf(policy, sizeof(policy),
		         "{\"version\": 1, \"kind\": \"appraisal\", \"id\": \"names\","
		         " \"trustworthiness\": {\"%s\": {"
		         "  \"when\": {\"claim\": \"debug\", \"equals\": false},"
		         "  \"pass\": \"%s\", \"fail\": \"%s\"}}}",
		         cases[i].claim, cases[i].pass, cases[i].fail);
		p = policy_load(policy, NULL);
		s1 = appraise(p, good, 1, NULL);
		s2 = appraise(p, bad, 1, NULL);
		if (tv_of(s1, cases[i].claim) != cases[i].pass_value ||
		    tv_of(s2, cases[i].claim) != cases[i].fail_value)
			fail_msg("%s: %s/%s gave %lld/%lld", cases[i].claim, cases[i].pass,
			         cases[i].fail, (long long)tv_of(s1, cases[i].claim),
			         (long long)tv_of(s2, cases[i].claim));
		assert_string_equal(
		    status_of(s1), cu_ear_status_name(cu_ear_status_of_value(cases[i].pass_value)));
		assert_string_equal(
		    status_of(s2), cu_ear_status_name(cu_ear_status_of_value(cases[i].fail_value)));
		cu_policy_free(p);
	}
}

/* All eight claims in one policy: the vector holds all eight, and only the worst tier counts. */
static void test_appraise_all_claims(void **state)
{
	static const char policy[] =
	    "{\"version\": 1, \"kind\": \"appraisal\", \"id\": \"all\", \"trustworthiness\": {"
	    " \"instance-identity\": {\"when\": {\"claim\": \"tee\", \"exists\": true}},"
	    " \"configuration\": {\"when\": {\"claim\": \"debug\", \"equals\": false},"
	    "                    \"fail\": \"unsafe\"},"
	    " \"executables\": {\"when\": {\"claim\": \"tee\", \"exists\": true}},"
	    " \"file-system\": {\"when\": {\"claim\": \"tee\", \"exists\": true}},"
	    " \"hardware\": {\"when\": {\"claim\": \"tee\", \"exists\": true}},"
	    " \"runtime-opaque\": {\"when\": {\"claim\": \"tee\", \"exists\": true}},"
	    " \"storage-opaque\": {\"when\": {\"claim\": \"tee\", \"exists\": true}},"
	    " \"sourced-data\": {\"when\": {\"claim\": \"tee\", \"exists\": true},"
	    "                   \"pass\": \"no_claim\"}}}";
	cu_policy *p = policy_load(policy, NULL);
	json_auto_t *good = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *debug = snp_claims("sev-snp", MEAS_OLD, true, 8);
	json_auto_t *trace = NULL;
	json_auto_t *s1 = appraise(p, good, 1, &trace);
	json_auto_t *s2 = appraise(p, debug, 1, NULL);
	size_t i, rules = 0;
	json_t *e;
	static const char *const order[] = { "instance-identity", "configuration", "executables",
		                             "file-system",       "hardware",      "runtime-opaque",
		                             "storage-opaque",    "sourced-data" };

	assert_vector(s1, "{\"instance-identity\": 2, \"configuration\": 2, \"executables\": 2,"
	                  " \"file-system\": 2, \"hardware\": 2, \"runtime-opaque\": 2,"
	                  " \"storage-opaque\": 2, \"sourced-data\": 0}");
	/* A "none" value does not lower the status below the others. */
	assert_string_equal(status_of(s1), "affirming");
	assert_int_equal(tv_of(s2, "configuration"), 32);
	assert_string_equal(status_of(s2), "warning");

	/* Rules are traced in the AR4SI order. */
	json_array_foreach (trace, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "op")), "rule"))
			continue;
		assert_true(rules < ELEMENTSOF(order));
		assert_string_equal(json_string_value(json_object_get(e, "claim")), order[rules]);
		rules++;
	}
	assert_int_equal(rules, 8);
	assert_int_equal(json_array_size(trace), 16);
	cu_policy_free(p);
}

static const json_t *trace_at(const json_t *trace, size_t i)
{
	const json_t *e = json_array_get(trace, i);

	assert_non_null(e);
	return e;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fail_msg("no string \"%s\"", key);
	return s;
}

static void test_appraise_trace(void **state)
{
	struct fixture *fx = *state;
	json_auto_t *good = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *bad = snp_claims("sev-snp", MEAS_BAD, true, 8);
	json_auto_t *trace = NULL, *trace2 = NULL;
	json_auto_t *s1 = appraise(fx->ap, good, fx->at, &trace);
	json_auto_t *s2 = appraise(fx->ap, bad, fx->at, &trace2);
	const json_t *e;
	size_t i, rules = 0;

	/*
	 * configuration rule, its allOf and two clauses; executables rule and its
	 * clause; hardware rule and its clause.
	 */
	assert_true(json_is_array(trace));
	assert_int_equal(json_array_size(trace), 8);
	json_array_foreach (trace, i, e) {
		if (!strcmp(str(e, "op"), "rule")) {
			const char *claim = str(e, "claim");
			char path[64];

			rules++;
			snprintf(path, sizeof(path), "$.trustworthiness.%s", claim);
			assert_string_equal(str(e, "path"), path);
			assert_string_equal(str(e, "result"), "pass");
			assert_int_equal(json_integer_value(json_object_get(e, "value")),
			                 tv_of(s1, claim));
			assert_null(json_object_get(e, "reason"));
		} else {
			assert_non_null(strstr(str(e, "path"), ".when"));
			assert_string_equal(str(e, "result"), "pass");
		}
	}
	assert_int_equal(rules, 3);

	e = trace_at(trace, 0);
	assert_string_equal(str(e, "op"), "rule");
	assert_string_equal(str(e, "claim"), "configuration");
	e = trace_at(trace, 1);
	assert_string_equal(str(e, "op"), "allOf");
	assert_string_equal(str(e, "path"), "$.trustworthiness.configuration.when");
	e = trace_at(trace, 2);
	assert_string_equal(str(e, "op"), "equals");
	assert_string_equal(str(e, "path"), "$.trustworthiness.configuration.when.allOf[0]");
	assert_string_equal(str(e, "claim"), "debug");
	assert_true(json_is_false(json_object_get(e, "actual")));
	e = trace_at(trace, 3);
	assert_string_equal(str(e, "op"), "greaterOrEquals");
	assert_string_equal(str(e, "claim"), "snp.reported_tcb.snp");
	assert_json_eq(json_object_get(e, "expected"),
	               "{\"refvalues\": \"snp-min\", \"active\": [5]}");
	assert_int_equal(json_integer_value(json_object_get(e, "actual")), 8);
	e = trace_at(trace, 4);
	assert_string_equal(str(e, "claim"), "executables");
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 2);
	e = trace_at(trace, 5);
	assert_string_equal(str(e, "op"), "in");
	assert_string_equal(str(e, "path"), "$.trustworthiness.executables.when");
	assert_json_eq(json_object_get(e, "expected"),
	               "{\"refvalues\": \"image\", \"active\": [\"" MEAS_OLD "\"]}");
	assert_string_equal(str(e, "actual"), MEAS_OLD);
	e = trace_at(trace, 6);
	assert_string_equal(str(e, "claim"), "hardware");
	e = trace_at(trace, 7);
	assert_string_equal(str(e, "op"), "equals");
	assert_string_equal(str(e, "claim"), "tee");
	assert_string_equal(str(e, "expected"), "sev-snp");
	assert_string_equal(str(e, "actual"), "sev-snp");

	/* Failures: the rule carries the fail value and a reason, as does each failed clause. */
	assert_int_equal(json_array_size(trace2), 8);
	e = trace_at(trace2, 0);
	assert_string_equal(str(e, "result"), "fail");
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 32);
	assert_non_null(strstr(str(e, "reason"), "fail value"));
	e = trace_at(trace2, 1);
	assert_string_equal(str(e, "result"), "fail");
	assert_string_equal(str(e, "reason"), "1 of 2 conditions failed");
	e = trace_at(trace2, 2);
	assert_string_equal(str(e, "result"), "fail");
	assert_true(json_is_true(json_object_get(e, "actual")));
	e = trace_at(trace2, 3);
	assert_string_equal(str(e, "result"), "pass");
	e = trace_at(trace2, 4);
	assert_string_equal(str(e, "result"), "fail");
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 96);
	e = trace_at(trace2, 5);
	assert_string_equal(str(e, "result"), "fail");
	assert_non_null(strstr(str(e, "reason"), "set \"image\""));
	e = trace_at(trace2, 6);
	assert_string_equal(str(e, "result"), "pass");
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 2);
	assert_string_equal(status_of(s2), "contraindicated");
}

/* A new image rolled out with a one-day overlap, and a firmware floor raised at the same time. */
static void test_appraise_rollout(void **state)
{
	struct fixture *fx = *state;
	const int64_t T = fx->rollover;
	static const struct {
		int64_t offset;
		int old_value, new_value; /* executables */
		size_t active_images;
		int tcb6_config; /* configuration for SNP firmware SVN 6 */
	} cases[] = {
		{ -2 * 86400, 2, 96, 1, 2 },   /* before the overlap: old only */
		{ -86400 - 1, 2, 96, 1, 2 },   /* one second before it */
		{ -86400, 2, 2, 2, 2 },        /* the new image's not_before: inclusive */
		{ -43200, 2, 2, 2, 2 },        /* inside the overlap */
		{ -1, 2, 2, 2, 2 },            /* the last second of the old image */
		{ 0, 96, 2, 1, 32 },           /* the old image's not_after: exclusive */
		{ 86400, 96, 2, 1, 32 },       /* after the overlap: new only */
		{ 400 * 86400, 96, 2, 1, 32 }, /* long after */
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int64_t at = T + cases[i].offset;
		json_auto_t *old_c = snp_claims("sev-snp", MEAS_OLD, false, 8);
		json_auto_t *new_c = snp_claims("sev-snp", MEAS_NEW, false, 8);
		json_auto_t *tcb6 = snp_claims("sev-snp", MEAS_NEW, false, 6);
		json_auto_t *trace = NULL;
		json_auto_t *s_old = appraise(fx->ap, old_c, at, &trace);
		json_auto_t *s_new = appraise(fx->ap, new_c, at, NULL);
		json_auto_t *s_tcb = appraise(fx->ap, tcb6, at, NULL);
		const json_t *active =
		    json_object_get(json_object_get(trace_at(trace, 5), "expected"), "active");

		if (tv_of(s_old, "executables") != cases[i].old_value ||
		    tv_of(s_new, "executables") != cases[i].new_value)
			fail_msg("T%+lld s: old %lld new %lld, expected %d and %d",
			         (long long)cases[i].offset, (long long)tv_of(s_old, "executables"),
			         (long long)tv_of(s_new, "executables"), cases[i].old_value,
			         cases[i].new_value);
		assert_string_equal(status_of(s_old),
		                    cases[i].old_value == 2 ? "affirming" : "contraindicated");
		assert_string_equal(status_of(s_new),
		                    cases[i].new_value == 2 ? "affirming" : "contraindicated");
		assert_int_equal(json_array_size(active), cases[i].active_images);
		assert_int_equal(tv_of(s_tcb, "configuration"), cases[i].tcb6_config);
		assert_int_equal(tv_of(s_tcb, "executables"), cases[i].new_value);
		assert_int_equal(tv_of(s_old, "configuration"), 2);
	}
}

/* The policy copies the sets it names: the reference values may go first. */
static void test_appraise_refvalues_freed(void **state)
{
	cu_refvalues *rv = rv_load(refvalues_json);
	cu_policy *p = policy_load(appraisal_json, rv);
	json_auto_t *c = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *s = NULL;

	cu_refvalues_free(rv);
	s = appraise(p, c, tu_time("2029-06-01T00:00:00Z"), NULL);
	assert_string_equal(status_of(s), "affirming");
	cu_policy_free(p);
}

static void appraise_refused(const cu_policy *p, const json_t *claims, const char *fragment)
{
	json_t *submod = NULL, *trace = NULL;
	struct cu_error err = { 0 };

	assert_int_equal(cu_appraise(p, claims, 1, &submod, &trace, &err), CU_ERR_INVALID_ARG);
	assert_null(submod);
	assert_null(trace);
	assert_int_equal(err.code, CU_ERR_INVALID_ARG);
	assert_string_equal(err.stage, "appraisal");
	if (fragment && !strstr(err.message, fragment))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, fragment);
	/* err is optional. */
	assert_int_equal(cu_appraise(p, claims, 1, &submod, NULL, NULL), CU_ERR_INVALID_ARG);
	assert_null(submod);
}

static void test_appraise_refused(void **state)
{
	struct fixture *fx = *state;
	cu_policy *release = policy_load(release_json, NULL);
	json_auto_t *claims = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *arr = json_pack("[O]", claims);
	json_auto_t *s = json_string("sev-snp");
	json_auto_t *n = json_integer(1);
	json_auto_t *nul = json_null();

	appraise_refused(release, claims, "release policy");
	appraise_refused(release, claims, "key-release");
	appraise_refused(fx->ap, arr, "claims object");
	appraise_refused(fx->ap, s, "claims object");
	appraise_refused(fx->ap, n, "claims object");
	appraise_refused(fx->ap, nul, "claims object");
	appraise_refused(fx->ap, NULL, "claims object");
	appraise_refused(NULL, claims, "policy");
	{
		struct cu_error err = { 0 };

		assert_int_equal(cu_appraise(fx->ap, claims, 1, NULL, NULL, &err),
		                 CU_ERR_INVALID_ARG);
	}
	/* The trace is optional on success. */
	{
		json_t *submod = NULL;

		assert_int_equal(cu_appraise(fx->ap, claims, fx->at, &submod, NULL, NULL), 0);
		assert_string_equal(status_of(submod), "affirming");
		json_decref(submod);
	}
	cu_policy_free(release);
}

/* ---- EAR claims-sets ---------------------------------------------------------------------- */

static json_t *ear_new(const json_t *submods, const struct cu_ear_opts *o)
{
	json_t *ear = NULL;
	struct cu_error err = { 0 };

	if (cu_ear_new(submods, o, &ear, &err) < 0)
		fail_msg("cu_ear_new: %s", err.message);
	assert_non_null(ear);
	return ear;
}

static void ear_refused(const json_t *submods, const struct cu_ear_opts *o, const char *fragment)
{
	json_t *ear = NULL;
	struct cu_error err = { 0 };

	assert_int_equal(cu_ear_new(submods, o, &ear, &err), CU_ERR_INVALID_ARG);
	assert_null(ear);
	assert_int_equal(err.code, CU_ERR_INVALID_ARG);
	assert_string_equal(err.stage, "ear");
	if (fragment && !strstr(err.message, fragment))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, fragment);
}

static void test_ear_new_defaults(void **state)
{
	struct fixture *fx = *state;
	json_auto_t *claims = snp_claims("sev-snp", MEAS_OLD, false, 8);
	json_auto_t *submod = appraise(fx->ap, claims, fx->at, NULL);
	json_auto_t *submods = json_pack("{s:O}", "cpu0", submod);
	json_auto_t *snapshot = json_deep_copy(submods);
	struct cu_ear_opts o = { .iat = 1767225600 };
	json_auto_t *ear = ear_new(submods, &o);
	const char *key;
	json_t *v;

	assert_string_equal(str(ear, "eat_profile"), "tag:github.com,2023:veraison/ear");
	assert_int_equal(json_integer_value(json_object_get(ear, "iat")), 1767225600);
	assert_int_equal(json_integer_value(json_object_get(ear, "exp")), 1767225600 + 300);
	assert_string_equal(str(ear, "iss"), "custos");
	assert_json_eq(json_object_get(ear, "ear.verifier-id"),
	               "{\"developer\": \"custos\", \"build\": \"custos " CUSTOS_VERSION "\"}");
	assert_true(json_equal(json_object_get(ear, "submods"), submods));
	assert_null(json_object_get(ear, "eat_nonce"));
	/* Nothing else. */
	json_object_foreach (ear, key, v) {
		static const char *const known[] = { "eat_profile",     "iat",    "exp", "iss",
			                             "ear.verifier-id", "submods" };
		bool found = false;

		for (size_t i = 0; i < ELEMENTSOF(known); i++)
			found |= !strcmp(key, known[i]);
		if (!found)
			fail_msg("unexpected member \"%s\"", key);
	}

	/* The submodules are copied, deeply. */
	json_object_set_new(submod, "ear.status", json_string("contraindicated"));
	json_object_set_new(submods, "gpu0", json_object());
	assert_true(json_equal(json_object_get(ear, "submods"), snapshot));
	assert_string_equal(
	    str(json_object_get(json_object_get(ear, "submods"), "cpu0"), "ear.status"),
	    "affirming");
	assert_int_equal(submods->refcount, 1);
}

static void test_ear_new_options(void **state)
{
	json_auto_t *submods = json_pack("{s:{s:s},s:{s:s}}", "cpu0", "ear.status", "affirming",
	                                 "gpu0", "ear.status", "warning");
	static const int64_t lifetimes[] = { 1, 60, 3600, 86400, 366 * 86400 };

	for (size_t i = 0; i < ELEMENTSOF(lifetimes); i++) {
		struct cu_ear_opts o = { .iat = 1000, .lifetime = lifetimes[i] };
		json_auto_t *ear = ear_new(submods, &o);

		assert_int_equal(json_integer_value(json_object_get(ear, "iat")), 1000);
		assert_int_equal(json_integer_value(json_object_get(ear, "exp")),
		                 1000 + lifetimes[i]);
	}
	{
		struct cu_ear_opts o = { .iat = 1, .issuer = "https://verifier.example" };
		json_auto_t *ear = ear_new(submods, &o);

		assert_string_equal(str(ear, "iss"), "https://verifier.example");
		assert_int_equal(json_integer_value(json_object_get(ear, "exp")), 301);
		assert_true(json_equal(json_object_get(ear, "submods"), submods));
	}
}

static void test_ear_new_nonce(void **state)
{
	json_auto_t *submods = json_pack("{s:{s:s}}", "cpu0", "ear.status", "affirming");
	uint8_t nonce[80];
	static const size_t good[] = { 8, 9, 31, 32, 33, 48, 63, 64 };
	static const size_t bad[] = { 0, 1, 7, 65, 80 };

	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xf8 + 3 * i);
	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		struct cu_ear_opts o = { .iat = 1, .nonce = nonce, .nonce_size = good[i] };
		json_auto_t *ear = ear_new(submods, &o);
		_cleanup_free_ char *want = b64url(nonce, good[i]);

		assert_string_equal(str(ear, "eat_nonce"), want);
		assert_null(strchr(want, '='));
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct cu_ear_opts o = { .iat = 1, .nonce = nonce, .nonce_size = bad[i] };

		ear_refused(submods, &o, "eat_nonce must be 8 to 64 bytes");
	}
	/* No nonce pointer: the size is not looked at. */
	{
		struct cu_ear_opts o = { .iat = 1, .nonce = NULL, .nonce_size = 3 };
		json_auto_t *ear = ear_new(submods, &o);

		assert_null(json_object_get(ear, "eat_nonce"));
	}
}

static void test_ear_new_refused(void **state)
{
	json_auto_t *submods = json_pack("{s:{s:s}}", "cpu0", "ear.status", "affirming");
	json_auto_t *empty = json_object();
	json_auto_t *arr = json_pack("[O]", submods);
	struct cu_ear_opts o = { .iat = 1767225600 };

	/* The issue time is required. */
	o.iat = 0;
	ear_refused(submods, &o, "iat");
	o.iat = -1;
	ear_refused(submods, &o, "iat");
	o.iat = INT64_MIN;
	ear_refused(submods, &o, "iat");
	o.iat = 1767225600;

	/* At least one submodule, in an object. */
	ear_refused(empty, &o, "at least one submodule");
	ear_refused(arr, &o, "at least one submodule");
	ear_refused(NULL, &o, "at least one submodule");
	ear_refused(submods, NULL, "at least one submodule");
	{
		struct cu_error err = { 0 };

		assert_int_equal(cu_ear_new(submods, &o, NULL, &err), CU_ERR_INVALID_ARG);
	}

	/* Lifetime from 1 s to 366 days (0 is the default). */
	o.lifetime = -1;
	ear_refused(submods, &o, "lifetime -1 s is out of range");
	o.lifetime = INT64_MIN;
	ear_refused(submods, &o, "out of range");
	o.lifetime = 366 * 86400 + 1;
	ear_refused(submods, &o, "out of range");
	o.lifetime = INT64_MAX;
	ear_refused(submods, &o, "out of range");
}

/* ---- end to end ----------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* The end-to-end test's key directory (the state is the group's fixture). */
static int e2e_setup(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/custos-test-ear-XXXXXX");
	return mkdtemp(fx->dir) ? 0 : -1;
}

static int e2e_teardown(void **state)
{
	struct fixture *fx = *state;

	return nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

static void test_end_to_end(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *path = NULL;
	cu_signing_key *k = NULL;
	cu_policy *release = policy_load(release_json, NULL);
	json_auto_t *jwks = NULL;
	static const uint8_t nonce[16] = "0123456789abcdef";
	const int64_t iat = fx->at;
	struct {
		const char *measurement;
		bool debug;
		const char *status;
		bool allowed;
	} cases[] = {
		{ MEAS_OLD, false, "affirming", true },
		{ MEAS_OLD, true, "warning", false },
		{ MEAS_BAD, false, "contraindicated", false },
	};

	assert_true(asprintf(&path, "%s/ear.jwks", fx->dir) > 0);
	assert_int_equal(cu_signing_key_open(&k, path, CU_ALG_ES256, NULL, NULL), 0);
	jwks = cu_signing_key_jwks(k);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		json_auto_t *claims =
		    snp_claims("sev-snp", cases[i].measurement, cases[i].debug, 8);
		json_auto_t *submod = appraise(fx->ap, claims, iat, NULL);
		json_auto_t *submods = json_pack("{s:O}", "cpu0", submod);
		struct cu_ear_opts o = { .iat = iat, .nonce = nonce, .nonce_size = sizeof(nonce) };
		json_auto_t *ear = ear_new(submods, &o);
		json_auto_t *verified = NULL, *trace = NULL, *trace2 = NULL;
		_cleanup_free_ char *token = NULL;
		struct cu_error err = { 0 };
		json_t *none = NULL;

		assert_string_equal(status_of(submod), cases[i].status);
		assert_int_equal(cu_token_sign(k, ear, &token, &err), 0);
		assert_int_equal(
		    cu_token_verify(token, strlen(token), jwks, iat + 10, &verified, &err), 0);
		assert_true(json_equal(verified, ear));
		assert_int_equal(cu_policy_allows(release, verified, iat + 10, &trace),
		                 cases[i].allowed);
		assert_int_equal(json_array_size(trace), 1);
		assert_string_equal(str(trace_at(trace, 0), "claim"), "submods.cpu0.ear.status");
		assert_string_equal(str(trace_at(trace, 0), "actual"), cases[i].status);
		assert_string_equal(str(trace_at(trace, 0), "result"),
		                    cases[i].allowed ? "pass" : "fail");

		/* The appraisal policy does not release anything. */
		assert_false(cu_policy_allows(fx->ap, verified, iat + 10, &trace2));
		assert_non_null(strstr(str(trace_at(trace2, 0), "reason"), "not a release policy"));

		/* Five minutes later the result has expired. */
		assert_int_equal(
		    cu_token_verify(token, strlen(token), jwks, iat + 300, &none, &err),
		    CU_ERR_EXPIRED);
		assert_null(none);
	}
	cu_signing_key_free(k);
	cu_policy_free(release);
}

/*
 * iat so late that iat + lifetime does not fit in int64_t: refused, not
 * computed with signed overflow (undefined; UBSan aborts here).
 */
static void test_ear_new_iat_overflow(void **state)
{
	json_auto_t *submods = json_pack("{s:{s:s}}", "cpu0", "ear.status", "affirming");
	struct cu_ear_opts o = { .iat = INT64_MAX - 100 };
	json_t *ear = NULL;
	struct cu_error err = { 0 };
	int r = cu_ear_new(submods, &o, &ear, &err);

	if (r == 0) {
		json_int_t iat = json_integer_value(json_object_get(ear, "iat"));
		json_int_t exp = json_integer_value(json_object_get(ear, "exp"));

		json_decref(ear);
		fail_msg("accepted: iat %lld, exp %lld (exp must be after iat)", (long long)iat,
		         (long long)exp);
	}
	assert_int_equal(r, CU_ERR_INVALID_ARG);
	assert_null(ear);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_tiers),
		cmocka_unit_test(test_appraise_affirming),
		cmocka_unit_test(test_appraise_warning),
		cmocka_unit_test(test_appraise_contraindicated),
		cmocka_unit_test(test_appraise_defaults),
		cmocka_unit_test(test_appraise_integers),
		cmocka_unit_test(test_appraise_named_values),
		cmocka_unit_test(test_appraise_all_claims),
		cmocka_unit_test(test_appraise_trace),
		cmocka_unit_test(test_appraise_rollout),
		cmocka_unit_test(test_appraise_refvalues_freed),
		cmocka_unit_test(test_appraise_refused),
		cmocka_unit_test(test_ear_new_defaults),
		cmocka_unit_test(test_ear_new_options),
		cmocka_unit_test(test_ear_new_nonce),
		cmocka_unit_test(test_ear_new_refused),
		cmocka_unit_test_setup_teardown(test_end_to_end, e2e_setup, e2e_teardown),
		/* Last: under UBSan a failure here ends the process. */
		cmocka_unit_test(test_ear_new_iat_overflow),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
