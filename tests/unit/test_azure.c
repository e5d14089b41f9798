/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/appraisal/azure.c: importing Azure Key Vault secure key release
 * policies (grammar 1.0.0) into native release policies, which must then load
 * and decide as the Azure policy meant over a Custos attestation result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <custos/appraisal.h>

#include "../../src/base/limits.h"
#include "test-util.h"

#define EVIDENCE "submods.cpu0.ear.veraison.annotated-evidence."
#define STATUS   "submods.cpu0.ear.status"

/* A pointer no function may produce: outputs left unchanged on failure. */
static json_t sentinel_json;
#define SENTINEL (&sentinel_json)

#define AT 1772323200 /* 2026-03-01T00:00:00Z; imported policies have no windows */

/* Microsoft's confidential VM example. */
static const char *const CVM =
    "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://sharedweu.weu.attest.azure.net\","
    "\"allOf\":[{\"claim\":\"x-ms-isolation-tee.x-ms-attestation-type\",\"equals\":\"sevsnpvm\"},"
    "{\"claim\":\"x-ms-isolation-tee.x-ms-compliance-status\",\"equals\":\"azure-compliant-cvm\"}"
    "]}]}";

#define HOSTDATA_UPPER "73973B78D70CC68353426DE188DB5DFC57E5B766E399935FB73A61127EA26D20"
#define HOSTDATA_LOWER "73973b78d70cc68353426de188db5dfc57e5b766e399935fb73a61127ea26d20"

/* A confidential container policy pinning the host data (the CCE policy digest). */
static const char *const CONTAINER =
    "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://sharedeus2.eus2.attest.azure.net\","
    "\"allOf\":[{\"claim\":\"x-ms-sevsnpvm-hostdata\",\"equals\":\"" HOSTDATA_UPPER "\"},"
    "{\"claim\":\"x-ms-attestation-type\",\"equals\":\"sevsnpvm\"}]}]}";

#define MRSIGNER "83D719E77DEACA1470F6BAF62A4D774303C899DB69020F9C70EE1DFC08C7CE9E"

/* An SGX enclave policy: no Custos equivalents. */
static const char *const SGX =
    "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://sharedeus.eus.attest.azure.net/\","
    "\"allOf\":[{\"claim\":\"x-ms-sgx-mrsigner\",\"equals\":\"" MRSIGNER "\"},"
    "{\"claim\":\"x-ms-sgx-productid\",\"equals\":1},"
    "{\"claim\":\"x-ms-sgx-svn\",\"greaterOrEquals\":1}]}]}";

/* ---- Helpers ------------------------------------------------------------------------------ */

struct imported {
	json_t *policy;   /* the native document */
	json_t *warnings; /* array of strings */
	cu_policy *p;     /* loaded with cu_policy_load, no reference values */
};

/* Import, check the result is a release policy that loads, and load it. */
static void import_ok(const char *json, const char *id, struct imported *out)
{
	struct cu_error err = { 0 };
	char *text;

	memset(out, 0, sizeof(*out));
	if (cu_policy_import_azure(json, strlen(json), id, &out->policy, &out->warnings, &err) < 0)
		fail_msg("import failed: %s\n%.400s", err.message, json);
	assert_non_null(out->policy);
	assert_true(json_is_array(out->warnings));
	assert_int_equal(json_integer_value(json_object_get(out->policy, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(out->policy, "kind")), "release");
	assert_string_equal(json_string_value(json_object_get(out->policy, "id")),
	                    id ? id : "azure-import");
	assert_non_null(json_string_value(json_object_get(out->policy, "description")));
	text = json_dumps(out->policy, JSON_COMPACT);
	assert_non_null(text);
	if (cu_policy_load(&out->p, text, strlen(text), NULL, &err) < 0)
		fail_msg("imported policy does not load: %s\n%.400s", err.message, text);
	free(text);
	assert_int_equal(cu_policy_get_kind(out->p), CU_POLICY_RELEASE);
	assert_string_equal(cu_policy_get_id(out->p), id ? id : "azure-import");
}

static void imported_free(struct imported *im)
{
	json_decref(im->policy);
	json_decref(im->warnings);
	cu_policy_free(im->p);
	memset(im, 0, sizeof(*im));
}

/*
 * Expect an import error: `code`, stage "azure-import", outputs left alone,
 * a message "azure-import: PATH: ..." (when path is given) containing `needle`.
 */
static void import_fail_n(const char *json, size_t size, const char *id, int code, const char *path,
                          const char *needle)
{
	struct cu_error err = { 0 };
	json_t *policy = SENTINEL, *warnings = SENTINEL;
	char prefix[1024];
	int r = cu_policy_import_azure(json, size, id, &policy, &warnings, &err);

	if (r == 0) {
		json_decref(policy);
		json_decref(warnings);
		fail_msg("imported, expected error %d at %s (%s):\n%.400s", code, path ? path : "",
		         needle ? needle : "", json ? json : "(null)");
	}
	if (r != code)
		fail_msg("error %d, expected %d: %s", r, code, err.message);
	assert_ptr_equal(policy, SENTINEL);
	assert_ptr_equal(warnings, SENTINEL);
	assert_int_equal(err.code, code);
	assert_non_null(err.stage);
	assert_string_equal(err.stage, "azure-import");
	if (path) {
		snprintf(prefix, sizeof(prefix), "azure-import: %s: ", path);
		if (strncmp(err.message, prefix, strlen(prefix)))
			fail_msg("message \"%s\" does not start with \"%s\"", err.message, prefix);
	}
	if (needle && !strstr(err.message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static void import_fail(const char *json, int code, const char *path, const char *needle)
{
	import_fail_n(json, strlen(json), NULL, code, path, needle);
}

/* {"version":"1.0.0","anyOf":[{"authority":"https://a.example","allOf":[<conds>]}]} */
static char *wrap(const char *conds)
{
	char *s = NULL;

	assert_true(asprintf(&s,
	                     "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://"
	                     "a.example\",\"allOf\":[%s]}]}",
	                     conds) > 0);
	return s;
}

static void cond_fail(const char *conds, int code, const char *path, const char *needle)
{
	char *d = wrap(conds);

	import_fail(d, code, path, needle);
	free(d);
}

/* The native clause the one condition `cond` was imported as. */
static json_t *import_one(const char *cond, json_t **ret_warnings)
{
	struct imported im;
	char *d = wrap(cond);
	json_t *c;

	import_ok(d, NULL, &im);
	free(d);
	c = json_array_get(
	    json_object_get(
	        json_array_get(json_object_get(json_object_get(im.policy, "allow"), "anyOf"), 0),
	        "allOf"),
	    0);
	assert_non_null(c);
	json_incref(c);
	if (ret_warnings)
		*ret_warnings = json_incref(im.warnings);
	imported_free(&im);
	return c;
}

static void assert_maps_to(const char *cond, const char *want)
{
	json_t *c = import_one(cond, NULL);
	json_t *w = json_loads(want, 0, NULL);

	assert_non_null(w);
	if (!json_equal(c, w)) {
		char *got = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("%s imported as %s, expected %s", cond, got, want);
	}
	json_decref(c);
	json_decref(w);
}

static size_t n_warnings_with(const json_t *warnings, const char *a, const char *b)
{
	size_t i, n = 0;
	const json_t *w;

	json_array_foreach (warnings, i, w) {
		assert_true(json_is_string(w));
		if (strstr(json_string_value(w), a) && (!b || strstr(json_string_value(w), b)))
			n++;
	}
	return n;
}

/* An EAR-like attestation result: `tee`, `status`, host data and debug of submodule cpu0. */
static json_t *ear(const char *tee, const char *status, const char *host_data, bool debug)
{
	json_t *j =
	    json_pack("{s:{s:{s:s,s:{s:s,s:b,s:{s:s,s:{s:i}}}}}}", "submods", "cpu0", "ear.status",
	              status, "ear.veraison.annotated-evidence", "tee", tee, "debug", debug, "snp",
	              "host_data", host_data, "reported_tcb", "snp", 8);

	assert_non_null(j);
	return j;
}

static bool allows(const cu_policy *p, json_t *input)
{
	bool ok = cu_policy_allows(p, input, AT, NULL);

	json_decref(input);
	return ok;
}

/* ---- The documented examples ------------------------------------------------------------- */

static void test_cvm_example(void **state)
{
	struct imported im;
	json_t *want, *trace = NULL;
	const json_t *w, *e;

	(void)state;
	import_ok(CVM, NULL, &im);
	/* One to one: anyOf of authorities, each the list it had; claims and values mapped. */
	want = json_loads("{\"anyOf\":[{\"allOf\":[{\"claim\":\"" EVIDENCE "tee\",\"equals\":\"sev-"
	                  "snp\"},{\"claim\":\"" STATUS "\",\"equals\":\"affirming\"}],"
	                  "\"description\":\"imported; was authority "
	                  "https://sharedweu.weu.attest.azure.net\"}]}",
	                  0, NULL);
	assert_non_null(want);
	assert_true(json_equal(json_object_get(im.policy, "allow"), want));
	json_decref(want);
	assert_int_equal(json_object_size(im.policy), 5);

	/* Warnings: the compliance status mapped, the authority dropped, each with its path. */
	assert_int_equal(json_array_size(im.warnings), 2);
	w = json_array_get(im.warnings, 0);
	assert_memory_equal(json_string_value(w), "$.anyOf[0].allOf[1]: ", 21);
	assert_non_null(strstr(json_string_value(w), "mapped to ear.status \"affirming\""));
	assert_non_null(strstr(json_string_value(w), "azure-compliant-cvm"));
	w = json_array_get(im.warnings, 1);
	assert_string_equal(json_string_value(w),
	                    "$.anyOf[0]: authority \"https://sharedweu.weu.attest.azure.net\" "
	                    "dropped: Custos itself verifies the evidence and signs the result");

	/* It decides as the Azure policy meant. */
	assert_true(allows(im.p, ear("sev-snp", "affirming", HOSTDATA_LOWER, false)));
	assert_false(allows(im.p, ear("tdx", "affirming", HOSTDATA_LOWER, false)));
	assert_false(allows(im.p, ear("sev-snp", "warning", HOSTDATA_LOWER, false)));
	assert_false(allows(im.p, ear("sev-snp", "contraindicated", HOSTDATA_LOWER, false)));
	assert_false(allows(im.p, ear("sevsnpvm", "affirming", HOSTDATA_LOWER, false)));
	assert_false(allows(im.p, json_object()));

	/* The explanation points at the failing clause of the native policy. */
	{
		json_t *in = ear("tdx", "affirming", HOSTDATA_LOWER, false);
		assert_false(cu_policy_allows(im.p, in, AT, &trace));
		json_decref(in);
	}
	assert_int_equal(json_array_size(trace), 4);
	e = json_array_get(trace, 2);
	assert_string_equal(json_string_value(json_object_get(e, "path")),
	                    "$.allow.anyOf[0].allOf[0]");
	assert_string_equal(json_string_value(json_object_get(e, "result")), "fail");
	assert_string_equal(json_string_value(json_object_get(e, "actual")), "tdx");
	assert_string_equal(json_string_value(json_object_get(e, "expected")), "sev-snp");
	json_decref(trace);
	imported_free(&im);
}

static void test_container_example(void **state)
{
	struct imported im;
	const json_t *clauses;

	(void)state;
	import_ok(CONTAINER, "aci-key", &im);
	clauses = json_object_get(
	    json_array_get(json_object_get(json_object_get(im.policy, "allow"), "anyOf"), 0),
	    "allOf");
	assert_int_equal(json_array_size(clauses), 2);
	/* Host data: mapped, and the hex lowercased as Custos claims are. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(clauses, 0), "claim")),
	                    EVIDENCE "snp.host_data");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(clauses, 0), "equals")),
	    HOSTDATA_LOWER);
	assert_string_equal(json_string_value(json_object_get(json_array_get(clauses, 1), "claim")),
	                    EVIDENCE "tee");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(clauses, 1), "equals")), "sev-snp");
	/* Only the authority is reported. */
	assert_int_equal(json_array_size(im.warnings), 1);
	assert_int_equal(n_warnings_with(im.warnings, "$.anyOf[0]: authority", "dropped"), 1);

	assert_true(allows(im.p, ear("sev-snp", "affirming", HOSTDATA_LOWER, false)));
	/* The status is not part of this policy. */
	assert_true(allows(im.p, ear("sev-snp", "warning", HOSTDATA_LOWER, false)));
	assert_false(allows(im.p, ear("sev-snp", "affirming",
	                              "00973b78d70cc68353426de188db5dfc57e5b766e399935fb73a61127ea2"
	                              "6d20",
	                              false)));
	assert_false(allows(im.p, ear("tdx", "affirming", HOSTDATA_LOWER, false)));
	/* Strings compare exactly: the claim is always lowercase, so uppercase is another value. */
	assert_false(allows(im.p, ear("sev-snp", "affirming", HOSTDATA_UPPER, false)));
	imported_free(&im);
}

static void test_sgx_example(void **state)
{
	struct imported im;
	json_t *in, *trace = NULL;
	const json_t *clauses;

	(void)state;
	import_ok(SGX, NULL, &im);
	clauses = json_object_get(
	    json_array_get(json_object_get(json_object_get(im.policy, "allow"), "anyOf"), 0),
	    "allOf");
	/* Kept exactly as written, value case included. */
	in = json_loads("[{\"claim\":\"x-ms-sgx-mrsigner\",\"equals\":\"" MRSIGNER "\"},"
	                "{\"claim\":\"x-ms-sgx-productid\",\"equals\":1},"
	                "{\"claim\":\"x-ms-sgx-svn\",\"greaterOrEquals\":1}]",
	                0, NULL);
	assert_true(json_equal(clauses, in));
	json_decref(in);
	/* A warning for each claim, and the authority. */
	assert_int_equal(json_array_size(im.warnings), 4);
	assert_int_equal(n_warnings_with(im.warnings,
	                                 "$.anyOf[0].allOf[0]: claim "
	                                 "\"x-ms-sgx-mrsigner\" has no Custos "
	                                 "equivalent",
	                                 "fails (deny)"),
	                 1);
	assert_int_equal(
	    n_warnings_with(im.warnings, "$.anyOf[0].allOf[1]: ", "x-ms-sgx-productid"), 1);
	assert_int_equal(n_warnings_with(im.warnings, "$.anyOf[0].allOf[2]: ", "x-ms-sgx-svn"), 1);
	assert_int_equal(n_warnings_with(im.warnings, "$.anyOf[0]: authority", NULL), 1);

	/* Against a Custos result it denies, every clause failing on an absent claim. */
	in = ear("sgx", "affirming", HOSTDATA_LOWER, false);
	assert_false(cu_policy_allows(im.p, in, AT, &trace));
	json_decref(in);
	assert_int_equal(json_array_size(trace), 5);
	for (size_t i = 2; i < 5; i++)
		assert_string_equal(
		    json_string_value(json_object_get(json_array_get(trace, i), "reason")),
		    "claim is absent");
	json_decref(trace);
	/* The conditions are the written ones: they hold for input that has these claims. */
	assert_true(allows(im.p, json_pack("{s:s,s:i,s:i}", "x-ms-sgx-mrsigner", MRSIGNER,
	                                   "x-ms-sgx-productid", 1, "x-ms-sgx-svn", 2)));
	assert_false(allows(im.p, json_pack("{s:s,s:i,s:i}", "x-ms-sgx-mrsigner", MRSIGNER,
	                                    "x-ms-sgx-productid", 1, "x-ms-sgx-svn", 0)));
	imported_free(&im);
}

/* ---- Claim and value mapping -------------------------------------------------------------- */

static void test_claim_map(void **state)
{
	static const struct {
		const char *maa, *custos;
		bool hex;
	} map[] = {
		{ "x-ms-sevsnpvm-launchmeasurement", EVIDENCE "measurement", true },
		{ "x-ms-sevsnpvm-hostdata", EVIDENCE "snp.host_data", true },
		{ "x-ms-sevsnpvm-idkeydigest", EVIDENCE "snp.id_key_digest", true },
		{ "x-ms-sevsnpvm-authorkeydigest", EVIDENCE "snp.author_key_digest", true },
		{ "x-ms-sevsnpvm-familyId", EVIDENCE "snp.family_id", true },
		{ "x-ms-sevsnpvm-imageId", EVIDENCE "snp.image_id", true },
		{ "x-ms-sevsnpvm-reportdata", EVIDENCE "report_data", true },
		{ "x-ms-sevsnpvm-reportid", EVIDENCE "snp.report_id", true },
		{ "x-ms-sevsnpvm-is-debuggable", EVIDENCE "debug", false },
		{ "x-ms-sevsnpvm-guestsvn", EVIDENCE "snp.guest_svn", false },
		{ "x-ms-sevsnpvm-vmpl", EVIDENCE "snp.vmpl", false },
		{ "x-ms-sevsnpvm-bootloader-svn", EVIDENCE "snp.reported_tcb.bootloader", false },
		{ "x-ms-sevsnpvm-tee-svn", EVIDENCE "snp.reported_tcb.tee", false },
		{ "x-ms-sevsnpvm-snpfw-svn", EVIDENCE "snp.reported_tcb.snp", false },
		{ "x-ms-sevsnpvm-microcode-svn", EVIDENCE "snp.reported_tcb.microcode", false },
		{ "x-ms-sevsnpvm-migration-allowed", EVIDENCE "snp.policy.migrate_ma", false },
		{ "x-ms-sevsnpvm-smt-allowed", EVIDENCE "snp.policy.smt", false },
	};
	static const char *const prefixes[] = { "", "x-ms-isolation-tee." };
	char cond[256], want[256];
	json_t *w;

	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		for (size_t k = 0; k < 2; k++) {
			/* A string value: lowercased only for hex claims. */
			snprintf(cond, sizeof(cond), "{\"claim\":\"%s%s\",\"equals\":\"AbCd01EF\"}",
			         prefixes[k], map[i].maa);
			snprintf(want, sizeof(want), "{\"claim\":\"%s\",\"equals\":\"%s\"}",
			         map[i].custos, map[i].hex ? "abcd01ef" : "AbCd01EF");
			assert_maps_to(cond, want);
			/* Mapped claims are not warned about. */
			json_decref(import_one(cond, &w));
			assert_int_equal(json_array_size(w), 1);
			json_decref(w);
			/* Numbers, booleans and other operators keep their value. */
			snprintf(cond, sizeof(cond), "{\"claim\":\"%s%s\",\"greaterOrEquals\":3}",
			         prefixes[k], map[i].maa);
			snprintf(want, sizeof(want), "{\"claim\":\"%s\",\"greaterOrEquals\":3}",
			         map[i].custos);
			assert_maps_to(cond, want);
			snprintf(cond, sizeof(cond), "{\"claim\":\"%s%s\",\"notEquals\":true}",
			         prefixes[k], map[i].maa);
			snprintf(want, sizeof(want), "{\"claim\":\"%s\",\"notEquals\":true}",
			         map[i].custos);
			assert_maps_to(cond, want);
			snprintf(cond, sizeof(cond), "{\"claim\":\"%s%s\",\"exists\":false}",
			         prefixes[k], map[i].maa);
			snprintf(want, sizeof(want), "{\"claim\":\"%s\",\"exists\":false}",
			         map[i].custos);
			assert_maps_to(cond, want);
		}
	}
	/* Claim names are case-sensitive, and the prefix is only that prefix. */
	assert_maps_to("{\"claim\":\"x-ms-sevsnpvm-familyid\",\"equals\":\"AB\"}",
	               "{\"claim\":\"x-ms-sevsnpvm-familyid\",\"equals\":\"AB\"}");
	assert_maps_to("{\"claim\":\"X-MS-SEVSNPVM-HOSTDATA\",\"equals\":\"AB\"}",
	               "{\"claim\":\"X-MS-SEVSNPVM-HOSTDATA\",\"equals\":\"AB\"}");
	assert_maps_to("{\"claim\":\"x-ms-runtime.x-ms-sevsnpvm-hostdata\",\"equals\":\"AB\"}",
	               "{\"claim\":\"x-ms-runtime.x-ms-sevsnpvm-hostdata\",\"equals\":\"AB\"}");
	assert_maps_to(
	    "{\"claim\":\"x-ms-isolation-tee.x-ms-runtime.keys.0.kid\",\"exists\":true}",
	    "{\"claim\":\"x-ms-isolation-tee.x-ms-runtime.keys.0.kid\",\"exists\":true}");
	json_decref(import_one("{\"claim\":\"x-ms-sevsnpvm-familyid\",\"equals\":\"AB\"}", &w));
	assert_int_equal(n_warnings_with(w,
	                                 "$.anyOf[0].allOf[0]: claim \"x-ms-sevsnpvm-familyid\" "
	                                 "has no Custos equivalent",
	                                 NULL),
	                 1);
	json_decref(w);
}

static void test_tee_map(void **state)
{
	json_t *w;

	(void)state;
	assert_maps_to("{\"claim\":\"x-ms-attestation-type\",\"equals\":\"sevsnpvm\"}",
	               "{\"claim\":\"" EVIDENCE "tee\",\"equals\":\"sev-snp\"}");
	assert_maps_to("{\"claim\":\"x-ms-isolation-tee.x-ms-attestation-type\",\"equals\":"
	               "\"tdxvm\"}",
	               "{\"claim\":\"" EVIDENCE "tee\",\"equals\":\"tdx\"}");
	assert_maps_to("{\"claim\":\"x-ms-attestation-type\",\"equals\":\"sgx\"}",
	               "{\"claim\":\"" EVIDENCE "tee\",\"equals\":\"sgx\"}");
	assert_maps_to("{\"claim\":\"x-ms-attestation-type\",\"notEquals\":\"sevsnpvm\"}",
	               "{\"claim\":\"" EVIDENCE "tee\",\"notEquals\":\"sev-snp\"}");
	assert_maps_to("{\"claim\":\"x-ms-attestation-type\",\"exists\":true}",
	               "{\"claim\":\"" EVIDENCE "tee\",\"exists\":true}");
	/* An attestation type without an equivalent: kept, with a warning. */
	assert_maps_to("{\"claim\":\"x-ms-attestation-type\",\"equals\":\"SEVSNPVM\"}",
	               "{\"claim\":\"" EVIDENCE "tee\",\"equals\":\"SEVSNPVM\"}");
	json_decref(import_one("{\"claim\":\"x-ms-attestation-type\",\"equals\":\"vbs\"}", &w));
	assert_int_equal(json_array_size(w), 2);
	assert_int_equal(n_warnings_with(w,
	                                 "$.anyOf[0].allOf[0]: attestation type \"vbs\" has no "
	                                 "Custos equivalent",
	                                 NULL),
	                 1);
	json_decref(w);
	json_decref(import_one("{\"claim\":\"x-ms-attestation-type\",\"equals\":\"tdxvm\"}", &w));
	assert_int_equal(json_array_size(w), 1);
	json_decref(w);
}

static void test_compliance_map(void **state)
{
	json_t *w;

	(void)state;
	assert_maps_to("{\"claim\":\"x-ms-compliance-status\",\"equals\":\"azure-compliant-uvm\"}",
	               "{\"claim\":\"" STATUS "\",\"equals\":\"affirming\"}");
	assert_maps_to("{\"claim\":\"x-ms-isolation-tee.x-ms-compliance-status\",\"notEquals\":"
	               "\"azure-compliant-cvm\"}",
	               "{\"claim\":\"" STATUS "\",\"notEquals\":\"affirming\"}");
	json_decref(import_one(
	    "{\"claim\":\"x-ms-compliance-status\",\"equals\":\"azure-compliant-uvm\"}", &w));
	assert_int_equal(n_warnings_with(w,
	                                 "$.anyOf[0].allOf[0]: \"x-ms-compliance-status\" "
	                                 "equals \"azure-compliant-uvm\" mapped to ear.status "
	                                 "\"affirming\"",
	                                 NULL),
	                 1);
	json_decref(w);
	/* Any other status: kept, with a warning. */
	assert_maps_to("{\"claim\":\"x-ms-compliance-status\",\"equals\":\"not-compliant\"}",
	               "{\"claim\":\"" STATUS "\",\"equals\":\"not-compliant\"}");
	json_decref(
	    import_one("{\"claim\":\"x-ms-compliance-status\",\"equals\":\"not-compliant\"}", &w));
	assert_int_equal(n_warnings_with(w,
	                                 "compliance status \"not-compliant\" has no Custos "
	                                 "equivalent",
	                                 NULL),
	                 1);
	json_decref(w);
	assert_maps_to("{\"claim\":\"x-ms-compliance-status\",\"exists\":true}",
	               "{\"claim\":\"" STATUS "\",\"exists\":true}");
}

/* ---- Structure ---------------------------------------------------------------------------- */

static void test_structure(void **state)
{
	struct imported im;
	json_t *want;
	const char *doc =
	    "{\"allOf\":[{\"anyOf\":[{\"claim\":\"x-ms-sevsnpvm-hostdata\",\"equals\":\"ABCDEF\"},"
	    "{\"allOf\":[{\"claim\":\"x-ms-sevsnpvm-guestsvn\",\"greaterOrEquals\":2},{\"claim\":"
	    "\"x-ms-attestation-type\",\"exists\":true}]}],\"authority\":\"https://a.attest.azure."
	    "net\"},{\"authority\":\"https://b.attest.azure.net\",\"allOf\":[{\"claim\":\"x-ms-"
	    "sevsnpvm-is-debuggable\",\"equals\":false}]}],\"version\":\"1.0.0\"}";
	json_t *in;

	(void)state;
	/* Top-level allOf: every authority's conditions must hold; nesting is kept. */
	import_ok(doc, "two.authorities", &im);
	want = json_loads(
	    "{\"allOf\":[{\"anyOf\":[{\"claim\":\"" EVIDENCE
	    "snp.host_data\",\"equals\":\"abcdef\"},"
	    "{\"allOf\":[{\"claim\":\"" EVIDENCE
	    "snp.guest_svn\",\"greaterOrEquals\":2},{\"claim\":"
	    "\"" EVIDENCE "tee\",\"exists\":true}]}],\"description\":\"imported; was authority "
	    "https://a.attest.azure.net\"},{\"allOf\":[{\"claim\":\"" EVIDENCE "debug\",\"equals\":"
	    "false}],\"description\":\"imported; was authority https://b.attest.azure.net\"}]}",
	    0, NULL);
	assert_non_null(want);
	assert_true(json_equal(json_object_get(im.policy, "allow"), want));
	json_decref(want);
	assert_int_equal(json_array_size(im.warnings), 2);
	assert_int_equal(n_warnings_with(im.warnings, "$.allOf[0]: authority \"https://a.", NULL),
	                 1);
	assert_int_equal(n_warnings_with(im.warnings, "$.allOf[1]: authority \"https://b.", NULL),
	                 1);

	/* Evaluate: host data matches, or svn >= 2 with a tee; and not debuggable. */
	in = json_pack("{s:{s:{s:{s:s,s:b,s:{s:s,s:i}}}}}", "submods", "cpu0",
	               "ear.veraison.annotated-evidence", "tee", "sev-snp", "debug", false, "snp",
	               "host_data", "abcdef", "guest_svn", 0);
	assert_true(cu_policy_allows(im.p, in, AT, NULL));
	json_decref(in);
	in = json_pack("{s:{s:{s:{s:s,s:b,s:{s:s,s:i}}}}}", "submods", "cpu0",
	               "ear.veraison.annotated-evidence", "tee", "sev-snp", "debug", false, "snp",
	               "host_data", "000000", "guest_svn", 2);
	assert_true(cu_policy_allows(im.p, in, AT, NULL));
	json_decref(in);
	in = json_pack("{s:{s:{s:{s:s,s:b,s:{s:s,s:i}}}}}", "submods", "cpu0",
	               "ear.veraison.annotated-evidence", "tee", "sev-snp", "debug", false, "snp",
	               "host_data", "000000", "guest_svn", 1);
	assert_false(cu_policy_allows(im.p, in, AT, NULL));
	json_decref(in);
	in = json_pack("{s:{s:{s:{s:s,s:b,s:{s:s,s:i}}}}}", "submods", "cpu0",
	               "ear.veraison.annotated-evidence", "tee", "sev-snp", "debug", true, "snp",
	               "host_data", "abcdef", "guest_svn", 2);
	assert_false(cu_policy_allows(im.p, in, AT, NULL));
	json_decref(in);
	imported_free(&im);

	/* Several authorities under anyOf: one is enough. */
	import_ok("{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://a\",\"allOf\":[{"
	          "\"claim\":\"x-ms-attestation-type\",\"equals\":\"tdxvm\"}]},{\"authority\":"
	          "\"https://b\",\"anyOf\":[{\"claim\":\"x-ms-attestation-type\",\"equals\":"
	          "\"sevsnpvm\"}]}]}",
	          NULL, &im);
	assert_true(allows(im.p, ear("sev-snp", "affirming", HOSTDATA_LOWER, false)));
	assert_true(allows(im.p, ear("tdx", "affirming", HOSTDATA_LOWER, false)));
	assert_false(allows(im.p, ear("sgx", "affirming", HOSTDATA_LOWER, false)));
	imported_free(&im);
}

static void test_args(void **state)
{
	struct cu_error err = { 0 };
	json_t *policy = SENTINEL, *warnings = SENTINEL;
	struct imported im;

	(void)state;
	/* The id. */
	import_ok(CVM, "skr.payments_key:v2-0", &im);
	imported_free(&im);
	import_fail_n(CVM, strlen(CVM), "a b", CU_ERR_INVALID_ARG, NULL,
	              "policy id \"a b\" is not a valid name");
	import_fail_n(CVM, strlen(CVM), "", CU_ERR_INVALID_ARG, NULL, "not a valid name");
	import_fail_n(CVM, strlen(CVM), "x/y", CU_ERR_INVALID_ARG, NULL, NULL);
	/* No output pointer. */
	assert_int_equal(cu_policy_import_azure(CVM, strlen(CVM), NULL, NULL, &warnings, &err),
	                 CU_ERR_INVALID_ARG);
	assert_ptr_equal(warnings, SENTINEL);
	/* Warnings are optional. */
	assert_int_equal(cu_policy_import_azure(CVM, strlen(CVM), NULL, &policy, NULL, &err), 0);
	assert_true(json_is_object(policy));
	json_decref(policy);
	/* Without an error struct. */
	policy = SENTINEL;
	assert_int_equal(cu_policy_import_azure("[]", 2, NULL, &policy, &warnings, NULL),
	                 CU_ERR_MALFORMED);
	assert_ptr_equal(policy, SENTINEL);
	assert_ptr_equal(warnings, SENTINEL);
}

/* ---- Errors --------------------------------------------------------------------------------- */

static void test_document_errors(void **state)
{
	(void)state;
	import_fail_n("", 0, NULL, CU_ERR_MALFORMED, NULL, "azure-import: empty document");
	import_fail_n(NULL, 0, NULL, CU_ERR_MALFORMED, NULL, "empty document");
	import_fail("{\"version\":\"1.0.0\",", CU_ERR_MALFORMED, NULL,
	            "azure-import: invalid JSON at line 1");
	import_fail("{\"version\":\"1.0.0\",\"version\":\"1.0.0\",\"anyOf\":[]}", CU_ERR_MALFORMED,
	            NULL, "duplicate");
	import_fail("[]", CU_ERR_MALFORMED, "$", "expected a JSON object");
	/* Version: exactly "1.0.0". */
	import_fail("{\"anyOf\":[]}", CU_ERR_MALFORMED, "$.version", "missing");
	import_fail("{\"version\":\"1.0\",\"anyOf\":[]}", CU_ERR_UNSUPPORTED, "$.version",
	            "only release-policy grammar \"1.0.0\" is supported");
	import_fail("{\"version\":\"2.0.0\",\"anyOf\":[]}", CU_ERR_UNSUPPORTED, "$.version", NULL);
	import_fail("{\"version\":1,\"anyOf\":[]}", CU_ERR_UNSUPPORTED, "$.version", NULL);
	import_fail("{\"version\":\"1.0.0 \",\"anyOf\":[]}", CU_ERR_UNSUPPORTED, "$.version", NULL);
	/* Top level: version and one list of authorities. */
	import_fail("{\"version\":\"1.0.0\",\"anyOf\":[],\"allOf\":[]}", CU_ERR_MALFORMED, "$",
	            "both anyOf and allOf at the top level");
	import_fail("{\"version\":\"1.0.0\"}", CU_ERR_MALFORMED, "$",
	            "expected \"anyOf\" (or \"allOf\") with authorities");
	import_fail("{\"version\":\"1.0.0\",\"anyOf\":[],\"authority\":\"https://a\"}",
	            CU_ERR_MALFORMED, "$",
	            "unknown key \"authority\" (expected version, anyOf, allOf)");
	import_fail("{\"version\":\"1.0.0\",\"anyOf\":[]}", CU_ERR_MALFORMED, "$",
	            "anyOf: expected a non-empty list of authorities");
	import_fail("{\"version\":\"1.0.0\",\"allOf\":{\"authority\":\"https://a\"}}",
	            CU_ERR_MALFORMED, "$", "allOf: expected a non-empty list of authorities");
}

static void test_authority_errors(void **state)
{
	(void)state;
	import_fail("{\"version\":\"1.0.0\",\"anyOf\":[\"https://a\"]}", CU_ERR_MALFORMED,
	            "$.anyOf[0]", "expected an authority object");
	import_fail(
	    "{\"version\":\"1.0.0\",\"anyOf\":[{\"allOf\":[{\"claim\":\"a\",\"exists\":true}]"
	    "}]}",
	    CU_ERR_MALFORMED, "$.anyOf[0]", "authority: expected the attestation service URL");
	import_fail(
	    "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":5,\"allOf\":[{\"claim\":\"a\","
	    "\"exists\":true}]}]}",
	    CU_ERR_MALFORMED, "$.anyOf[0]", "authority: expected");
	import_fail("{\"version\":\"1.0.0\",\"allOf\":[{\"authority\":\"https://a\",\"allOf\":[{"
	            "\"claim\":\"a\",\"exists\":true}]},{\"authority\":\"https://b\",\"allOf\":[{"
	            "\"claim\":\"a\",\"exists\":true}],\"anyOf\":[{\"claim\":\"a\",\"exists\":"
	            "true}]}]}",
	            CU_ERR_MALFORMED, "$.allOf[1]",
	            "expected exactly one of \"allOf\" or \"anyOf\"");
	import_fail("{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://a\"}]}",
	            CU_ERR_MALFORMED, "$.anyOf[0]",
	            "expected exactly one of \"allOf\" or \"anyOf\"");
	import_fail(
	    "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://a\",\"claim\":\"a\","
	    "\"exists\":true}]}",
	    CU_ERR_MALFORMED, "$.anyOf[0]",
	    "unknown key \"claim\" (expected authority, allOf, anyOf)");
	import_fail(
	    "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://a\",\"allOf\":[]}]}",
	    CU_ERR_MALFORMED, "$.anyOf[0]", "allOf: expected a non-empty list");
	import_fail(
	    "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://a\",\"anyOf\":{}}]}",
	    CU_ERR_MALFORMED, "$.anyOf[0]", "anyOf: expected a non-empty list");
}

static void test_condition_errors(void **state)
{
	(void)state;
	/* Unknown operators (the Azure grammar's own list). */
	cond_fail(
	    "{\"claim\":\"a\",\"exists\":true},{\"claim\":\"x-ms-attestation-type\",\"equal\":"
	    "\"sevsnpvm\"}",
	    CU_ERR_MALFORMED, "$.anyOf[0].allOf[1]",
	    "unknown key \"equal\" (the grammar's operators are equals, notEquals, less, "
	    "lessOrEquals, greater, greaterOrEquals, exists)");
	cond_fail("{\"claim\":\"a\",\"in\":[\"x\"]}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "unknown key \"in\"");
	cond_fail("{\"claim\":\"a\",\"prefix\":\"x\"}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "unknown key \"prefix\"");
	cond_fail("{\"claim\":\"a\",\"equals\":1,\"description\":\"x\"}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "unknown key \"description\"");
	cond_fail("{\"claim\":\"a\",\"equals\":1,\"allOf\":[]}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "unknown key \"allOf\"");
	/* Two operators, none, no claim. */
	cond_fail("{\"claim\":\"a\",\"equals\":1,\"notEquals\":2}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "two operators (\"equals\" and \"notEquals\")");
	cond_fail("{\"claim\":\"x-ms-sgx-svn\"}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "condition on \"x-ms-sgx-svn\" has no operator");
	cond_fail("{\"equals\":1}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "expected exactly one of \"claim\" (with an operator), \"allOf\" or \"anyOf\"");
	/* Claims: a valid dotted path (the native loader's rule). */
	cond_fail("{\"claim\":5,\"equals\":1}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "claim: expected a dotted claim name");
	cond_fail("{\"claim\":\"\",\"equals\":1}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "claim: expected");
	cond_fail("{\"claim\":\".x-ms-compliance-status\",\"equals\":\"a\"}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "claim: expected");
	cond_fail("{\"claim\":\"x-ms-isolation-tee..x\",\"equals\":\"a\"}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "claim: expected");
	cond_fail("{\"claim\":\"a.\",\"exists\":true}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "claim: expected");
	/* Operands: scalars; numbers for ordered operators; booleans for exists. */
	cond_fail("{\"claim\":\"a\",\"equals\":{\"x\":1}}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "equals: expected a string, a number, true or false");
	cond_fail("{\"claim\":\"a\",\"notEquals\":[1]}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "notEquals: expected a string");
	cond_fail("{\"claim\":\"a\",\"equals\":null}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "equals: expected");
	cond_fail("{\"claim\":\"x-ms-sgx-svn\",\"greater\":\"5\"}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "greater: expected a number");
	cond_fail("{\"claim\":\"a\",\"greaterOrEquals\":true}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "greaterOrEquals: expected a number");
	cond_fail("{\"claim\":\"a\",\"less\":\"1\"}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "less: expected a number");
	cond_fail("{\"claim\":\"a\",\"lessOrEquals\":false}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "lessOrEquals: expected a number");
	cond_fail("{\"claim\":\"a\",\"exists\":\"yes\"}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "exists: expected true or false");
	cond_fail("{\"claim\":\"a\",\"exists\":1}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "exists: expected true or false");
}

static void test_nested_errors(void **state)
{
	(void)state;
	/* Each error names the nested condition. */
	cond_fail(
	    "{\"claim\":\"a\",\"exists\":true},{\"anyOf\":[{\"claim\":\"b\",\"exists\":true},{"
	    "\"allOf\":[{\"claim\":\"c\",\"equal\":1}]}]}",
	    CU_ERR_MALFORMED, "$.anyOf[0].allOf[1].anyOf[1].allOf[0]", "unknown key \"equal\"");
	cond_fail("\"x-ms-attestation-type\"", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "expected a condition object");
	cond_fail("{\"anyOf\":[[]]}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0].anyOf[0]",
	          "expected a condition object");
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true}],\"anyOf\":[{\"claim\":\"a\","
	          "\"exists\":true}]}",
	          CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]", "expected exactly one of");
	cond_fail("{}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]", "expected exactly one of");
	cond_fail("{\"allOf\":[{\"claim\":\"a\",\"exists\":true}],\"authority\":\"https://a\"}",
	          CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]", "expected exactly one of");
	cond_fail("{\"not\":{\"claim\":\"a\",\"exists\":true}}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0]", "expected exactly one of");
	cond_fail("{\"allOf\":[]}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "allOf: expected a non-empty list");
	cond_fail("{\"anyOf\":\"x\"}", CU_ERR_MALFORMED, "$.anyOf[0].allOf[0]",
	          "anyOf: expected a non-empty list");
	cond_fail("{\"allOf\":[{\"anyOf\":[{\"claim\":\"a\",\"greater\":[1]}]}]}", CU_ERR_MALFORMED,
	          "$.anyOf[0].allOf[0].allOf[0].anyOf[0]", "greater: expected");
}

static void test_string_limit(void **state)
{
	size_t len = CU_LIMIT_JSON_STRING;
	char *cond = malloc(len + 64), *p;
	json_t *c;
	char *d;
	struct cu_error err = { 0 };
	json_t *policy = SENTINEL, *warnings = SENTINEL;
	int r;

	(void)state;
	assert_non_null(cond);
	p = cond + sprintf(cond, "{\"claim\":\"x-ms-sevsnpvm-hostdata\",\"equals\":\"");
	memset(p, 'A', len);
	strcpy(p + len, "\"}");
	c = import_one(cond, NULL);
	assert_int_equal(json_string_length(json_object_get(c, "equals")), len);
	assert_int_equal(json_string_value(json_object_get(c, "equals"))[0], 'a');
	json_decref(c);
	/* One byte more: refused at import (the native loader would refuse it too). */
	memset(p, 'A', len + 1);
	strcpy(p + len + 1, "\"}");
	d = wrap(cond);
	r = cu_policy_import_azure(d, strlen(d), NULL, &policy, &warnings, &err);
	assert_true(r == CU_ERR_MALFORMED || r == CU_ERR_TOO_LARGE);
	assert_ptr_equal(policy, SENTINEL);
	assert_ptr_equal(warnings, SENTINEL);
	assert_string_equal(err.stage, "azure-import");
	assert_memory_equal(err.message, "azure-import: $.anyOf[0].allOf[0]: ", 35);
	assert_non_null(strstr(err.message, "longer than 4096"));
	free(d);
	free(cond);
}

/* "a" and n times U+00E9: an odd byte offset before two-byte characters (caller frees). */
static char *odd_utf8(size_t n)
{
	char *s = malloc(2 * n + 2), *p = s;

	assert_non_null(s);
	*p++ = 'a';
	for (size_t i = 0; i < n; i++) {
		*p++ = '\xc3';
		*p++ = '\xa9';
	}
	*p = '\0';
	return s;
}

/*
 * A warning cut to fit must stay valid UTF-8: otherwise json_string() refuses
 * it and the warning is silently lost.
 */
static void test_warning_utf8(void **state)
{
	char *v = odd_utf8(200), *cond;
	json_t *w;
	size_t n;

	(void)state;
	assert_true(asprintf(&cond, "{\"claim\":\"x-ms-compliance-status\",\"equals\":\"%s\"}", v) >
	            0);
	json_decref(import_one(cond, &w));
	free(cond);
	free(v);
	n = json_array_size(w);
	json_decref(w);
	/* The compliance status kept as written, and the authority. */
	assert_int_equal(n, 2);
}

/*
 * An authority URL with multi-byte characters around byte 200 imports: cutting
 * it inside a character for the description made json_string() fail, so the
 * import reported "out of memory" (and leaked the imported conditions).
 */
static void test_authority_utf8(void **state)
{
	char *v = odd_utf8(150), *doc;
	struct cu_error err = { 0 };
	json_t *policy = NULL, *warnings = NULL;
	bool has_desc = false;
	size_t n = 0;
	int r;

	(void)state;
	assert_true(asprintf(&doc,
	                     "{\"version\":\"1.0.0\",\"anyOf\":[{\"authority\":\"https://%s\","
	                     "\"allOf\":[{\"claim\":\"x-ms-attestation-type\",\"equals\":"
	                     "\"sevsnpvm\"}]}]}",
	                     v) > 0);
	free(v);
	r = cu_policy_import_azure(doc, strlen(doc), NULL, &policy, &warnings, &err);
	free(doc);
	if (r == 0) {
		has_desc = json_is_string(json_object_get(
		    json_array_get(json_object_get(json_object_get(policy, "allow"), "anyOf"), 0),
		    "description"));
		n = json_array_size(warnings);
	}
	json_decref(policy);
	json_decref(warnings);
	if (r < 0)
		fail_msg("import failed: %s", err.message);
	/* Imported, the URL (cut to fit) in the description, the authority reported. */
	assert_true(has_desc);
	assert_int_equal(n, 1);
}

/* A chain of `wrappers` allOf conditions around one claim condition. */
static char *chain(size_t wrappers)
{
	char *s = malloc(wrappers * 16 + 64), *p = s;

	assert_non_null(s);
	for (size_t i = 0; i < wrappers; i++)
		p += sprintf(p, "{\"allOf\":[");
	p += sprintf(p, "{\"claim\":\"x-ms-attestation-type\",\"equals\":\"sevsnpvm\"}");
	for (size_t i = 0; i < wrappers; i++)
		p += sprintf(p, "]}");
	return s;
}

/* What imports must load: the limits leave room for the levels and nodes the import adds. */
static void test_limits(void **state)
{
	struct imported im;
	size_t deepest = 0, n;
	char *c, *d, *p;

	(void)state;
	/* Find the deepest chain that imports; it loads, and one more level is refused. */
	for (size_t w = 0; w <= CU_LIMIT_POLICY_DEPTH + 2; w++) {
		struct cu_error err = { 0 };
		json_t *policy = NULL, *warnings = NULL;
		int r;

		c = chain(w);
		d = wrap(c);
		r = cu_policy_import_azure(d, strlen(d), NULL, &policy, &warnings, &err);
		if (r == 0) {
			deepest = w;
			json_decref(policy);
			json_decref(warnings);
		} else {
			assert_int_equal(r, CU_ERR_TOO_LARGE);
			assert_string_equal(err.stage, "azure-import");
			assert_non_null(strstr(err.message, "$.anyOf[0].allOf[0]"));
		}
		free(c);
		free(d);
		if (r < 0)
			break;
	}
	/* allow, authority, the wrappers and the claim: CU_LIMIT_POLICY_DEPTH levels. */
	assert_int_equal(deepest + 3, CU_LIMIT_POLICY_DEPTH);
	c = chain(deepest);
	d = wrap(c);
	import_ok(d, NULL, &im);
	assert_true(allows(im.p, ear("sev-snp", "affirming", HOSTDATA_LOWER, false)));
	imported_free(&im);
	free(c);
	free(d);

	/* As many conditions as the native limit allows with allow and the authority. */
	n = CU_LIMIT_POLICY_CLAUSES - 2;
	c = malloc(n * 48 + 64);
	assert_non_null(c);
	p = c;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "{\"claim\":\"x-ms-sgx-svn\",\"exists\":false},");
	p[-1] = '\0';
	d = wrap(c);
	import_ok(d, NULL, &im);
	/* one warning per condition, and the authority */
	assert_int_equal(json_array_size(im.warnings), n + 1);
	assert_true(allows(im.p, json_object()));
	imported_free(&im);
	free(d);
	/* One more: refused. */
	sprintf(p - 1, ",{\"claim\":\"x-ms-sgx-svn\",\"exists\":false}");
	d = wrap(c);
	import_fail(d, CU_ERR_TOO_LARGE, NULL, "policy too large");
	free(d);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cvm_example),      cmocka_unit_test(test_container_example),
		cmocka_unit_test(test_sgx_example),      cmocka_unit_test(test_claim_map),
		cmocka_unit_test(test_tee_map),          cmocka_unit_test(test_compliance_map),
		cmocka_unit_test(test_structure),        cmocka_unit_test(test_args),
		cmocka_unit_test(test_document_errors),  cmocka_unit_test(test_authority_errors),
		cmocka_unit_test(test_condition_errors), cmocka_unit_test(test_nested_errors),
		cmocka_unit_test(test_string_limit),     cmocka_unit_test(test_limits),
		cmocka_unit_test(test_warning_utf8),     cmocka_unit_test(test_authority_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
