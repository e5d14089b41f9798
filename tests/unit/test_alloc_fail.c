/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation failures, injected one at a time.
 *
 * Every allocation of Custos's own code (malloc, calloc, realloc, strdup,
 * strndup, wrapped at link time), of OpenSSL (CRYPTO_set_mem_functions) and
 * of jansson (json_set_alloc_funcs) goes through a counter (Debian's libcbor
 * is built without CBOR_CUSTOM_ALLOC: its own allocations are not counted;
 * Custos's calls around them are). Each scenario — a real piece of evidence verified from
 * a fresh verifier with its collateral, a policy loaded and evaluated — is
 * run once to count its allocations, then again with the 1st, 2nd, … failing
 * (every one when there are at most 1500, else 1500 spread evenly across
 * them, always including the first 300). Each run must end cleanly: either
 * it still succeeds (the failure was absorbed: e.g. an optional cache) or it
 * fails with a stage and a message and no claims; never a crash (the suite
 * runs under ASan and UBSan), and nothing leaked (LeakSanitizer checks at
 * exit, after thousands of failed runs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <custos/custos.h>
#include <custos/appraisal.h>

#include "test-util.h"

#include "alloc-inject.h"

/* ------------------------------------------------------------ scenarios */

struct scenario {
	const char *name;
	const char *format;
	const char *evidence;      /* path, under the corpus ("c:") or the source tree ("s:") */
	const char *collateral[3]; /* the same */
	const char *at;
	const char *report_data; /* hex, or NULL */
};

static const struct scenario scenarios[] = {
	{ "sev-snp report",
	  "snp",
	  "c:sev-snp/gsg-milan-v2-debug/report.bin",
	  { "s:tests/fuzz/seeds/snp_certtable/gsg-milan-v2-debug.bin" },
	  "2022-09-24T01:00:00Z",
	  NULL },
	{ "tdx quote",
	  "tdx",
	  "c:tdx/dcap-qvl-tdx-v4-uptodate/quote.bin",
	  { "c:tdx/dcap-qvl-tdx-v4-uptodate/collateral.json" },
	  "2025-07-01T00:00:00Z",
	  NULL },
	{ "nitro document",
	  "nitro",
	  "c:nitro/evervault-nondebug-2022/attestation_doc.cbor",
	  { NULL },
	  "2022-10-13T09:00:00Z",
	  NULL },
	{ "cca token",
	  "cca",
	  "c:cca/rust-ccatoken-draft-ffm-00/token.cbor",
	  { "c:cca/rust-ccatoken-draft-ffm-00/cpak_pub.json" },
	  "2025-01-01T00:00:00Z",
	  NULL },
	{ "tpm quotes and event log",
	  "tpm",
	  "s:tests/fuzz/seeds/tpm/gce-cos85-nonce9009.json",
	  { "s:tests/fuzz/tpm" },
	  "2025-01-01T00:00:00Z",
	  "9009" },
	{ "nvidia h100 report and vbios rim",
	  "nvgpu",
	  "s:tests/fuzz/seeds/nvgpu/trustee-coco-ci-h100-device.json",
	  { "s:tests/fuzz/nvgpu" },
	  "2025-06-01T00:00:00Z",
	  "87d8e24ab336adafe228d49e83d745f6dba4ae505372b6a5704820856b343fec" },
	{ "azure snp vtpm",
	  "az-snp-vtpm",
	  "s:tests/fuzz/seeds/tpm/az-snp-vtpm-milan-v1.json",
	  { NULL },
	  "2025-06-01T00:00:00Z",
	  "6368616c6c656e6765" },
};

static char *path_of(const char *spec)
{
	const char *root = spec[0] == 'c' ? tu_corpus_dir() : getenv("CUSTOS_SOURCE_ROOT");
	char *p = NULL;

	if (!root || asprintf(&p, "%s/%s", root, spec + 2) < 0)
		return NULL;
	return p;
}

/* One run from nothing: a verifier, its collateral, the verification. 1 verified, 0 refused. */
static int run_once(const struct scenario *s, const uint8_t *ev, size_t size,
                    char *const *collateral)
{
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 };
	uint8_t rd[64];
	cu_verifier *v = NULL;
	json_t *claims = NULL;
	int r = 0;

	o.at = tu_time(s->at);
	if (s->report_data) {
		o.report_data_size = strlen(s->report_data) / 2;
		for (size_t i = 0; i < o.report_data_size; i++)
			sscanf(s->report_data + 2 * i, "%2hhx", &rd[i]);
		o.report_data = rd;
	}
	if (cu_verifier_new(&v, &err) < 0)
		goto refused;
	for (size_t i = 0; collateral[i]; i++)
		if (cu_verifier_add_collateral(v, collateral[i], &err) < 0)
			goto refused;
	if (cu_verify(v, s->format, ev, size, &o, &claims, &err) < 0)
		goto refused;
	if (!json_is_true(json_object_get(claims, "verified")))
		fail_msg("%s: verified without \"verified\": true", s->name);
	json_decref(claims);
	cu_verifier_free(v);
	return 1;
refused:
	/* a clean refusal: no claims, a stage and a message */
	if (claims || !err.stage || !err.message[0])
		fail_msg("%s: failing allocation %ld: unclean error (stage %s, message \"%s\")",
		         s->name, A.fail_at, err.stage ? err.stage : "(none)", err.message);
	cu_verifier_free(v);
	ERR_clear_error();
	return r;
}

static void test_evidence(void **state)
{
	int ran = 0;

	(void)state;
	if (!tu_corpus_dir()) {
		skip();
		return;
	}
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		char *collateral[4] = { NULL };
		char *evp = path_of(s->evidence);
		uint8_t *ev;
		size_t size;
		long total, step, tried = 0, absorbed = 0;

		assert_non_null(evp);
		ev = tu_read_file(evp, &size);
		for (size_t c = 0; c < 3 && s->collateral[c]; c++)
			assert_non_null(collateral[c] = path_of(s->collateral[c]));
		/* count: nothing fails, and the scenario succeeds */
		A = (typeof(A)){ 0 };
		if (run_once(s, ev, size, collateral) != 1)
			fail_msg("%s: does not verify without failures", s->name);
		total = A.count;
		step = total <= 1500 ? 1 : (total - 300) / 1200 + 1;
		for (long k = 1; k <= total; k += k <= 300 ? 1 : step) {
			A = (typeof(A)){ .fail_at = k };
			absorbed += run_once(s, ev, size, collateral);
			tried++;
			if (!A.failed)
				break; /* fewer allocations this time: the run is over */
		}
		print_message("# %s: %ld allocations, %ld failed in turn, %ld absorbed\n", s->name,
		              total, tried, absorbed);
		A = (typeof(A)){ 0 };
		free(ev);
		free(evp);
		for (size_t c = 0; collateral[c]; c++)
			free(collateral[c]);
		ran++;
	}
	assert_int_equal(ran, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
}

/* A policy with reference values, loaded and evaluated, each allocation failing in turn. */
static void test_policy(void **state)
{
	const char *root = getenv("CUSTOS_SOURCE_ROOT");
	char path[2048];
	uint8_t *pol, *rv;
	size_t pn, rn;
	long total = 0, tried = 0;
	json_t *claims;

	(void)state;
	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/docs/examples/appraisal-snp.json", root);
	pol = tu_read_file(path, &pn);
	snprintf(path, sizeof(path), "%s/docs/examples/refvalues.json", root);
	rv = tu_read_file(path, &rn);
	claims =
	    json_pack("{s:s,s:s,s:b,s:{s:{s:b},s:{s:i}}}", "tee", "sev-snp", "measurement", "00",
	              "debug", 0, "snp", "policy", "migrate_ma", 0, "reported_tcb", "snp", 8);
	for (long k = 0;; k++) {
		struct cu_error err = { 0 };
		cu_refvalues *refs = NULL;
		cu_policy *p = NULL;
		json_t *result = NULL, *trace = NULL;
		int r;

		A = (typeof(A)){ .fail_at = k };
		r = cu_refvalues_load(&refs, (const char *)rv, rn, &err);
		if (r == 0)
			r = cu_policy_load(&p, (const char *)pol, pn, refs, &err);
		if (r == 0)
			r = cu_appraise(p, claims, 0, &result, &trace, &err);
		if (r < 0 && (!err.stage || !err.message[0]))
			fail_msg(
			    "policy: failing allocation %ld: unclean error %d (stage %s, \"%s\")",
			    k, r, err.stage ? err.stage : "-", err.message);
		if (r == 0 && k == 0)
			total = A.count;
		json_decref(result);
		json_decref(trace);
		cu_policy_free(p);
		cu_refvalues_free(refs);
		if (k > 0) {
			tried++;
			if (!A.failed)
				break;
		}
	}
	print_message("# policy: %ld allocations, each failed in turn\n", total);
	assert_true(tried >= total);
	json_decref(claims);
	free(pol);
	free(rv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_policy),
	};

	if (alloc_inject_init() != 0)
		return 1; /* OpenSSL must be routed here: this test is about its failures too */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
