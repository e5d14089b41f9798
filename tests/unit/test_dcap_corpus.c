/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Real Intel DCAP quotes from ../shared/corpus/tdx and ../shared/corpus/sgx:
 * every sample directory present is verified at its verify_at with the
 * directory as collateral; its TCB status, advisory IDs and expected claims
 * are compared; tampering with any signed byte, the collateral, the time or
 * the binding makes it fail at the right stage.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/evidence/dcap.h"
#include "test-util.h"

struct sample {
	char dir[2048];
	const char *kind; /* "tdx" or "sgx" */
	json_t *meta;
	uint8_t *quote;
	size_t size;
	int64_t at;
	cu_verifier *v;
};

static void sample_load(struct sample *s, const char *kind, const char *dir)
{
	char path[2304];
	struct cu_error err = { 0 };

	s->kind = kind;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/sample.json", dir);
	s->meta = tu_load_json(path);
	snprintf(path, sizeof(path), "%s/quote.bin", dir);
	s->quote = tu_read_file(path, &s->size);
	s->at = tu_time(json_string_value(json_object_get(s->meta, "verify_at")));
	assert_int_equal(cu_verifier_new(&s->v, &err), 0);
	if (cu_verifier_add_collateral(s->v, dir, &err) <= 0)
		fail_msg("%s: no collateral loaded: %s", dir, err.message);
}

static void sample_done(struct sample *s)
{
	json_decref(s->meta);
	free(s->quote);
	cu_verifier_free(s->v);
}

static const char *outcome(const struct sample *s)
{
	const char *o =
	    json_string_value(json_object_get(json_object_get(s->meta, "expected"), "outcome"));

	assert_non_null(o);
	return o;
}

/* valid, valid-with-warning, invalid-by-policy: the quote and its collateral verify */
static bool expect_verifies(const struct sample *s)
{
	return strncmp(outcome(s), "valid", 5) == 0 || !strcmp(outcome(s), "invalid-by-policy");
}

/* Values equal; strings case-insensitively (hex); arrays of strings in any order. */
static bool same(json_t *got, json_t *want)
{
	if (json_is_string(want))
		return json_is_string(got) &&
		       strcasecmp(json_string_value(got), json_string_value(want)) == 0;
	if (json_is_array(want) && json_is_array(got) &&
	    json_array_size(want) == json_array_size(got)) {
		size_t i, j;
		json_t *w;

		json_array_foreach (want, i, w) {
			bool found = false;
			for (j = 0; j < json_array_size(got) && !found; j++)
				found = same(json_array_get(got, j), w);
			if (!found)
				return false;
		}
		return true;
	}
	return json_equal(got, want);
}

/* The corpus names a claim as its builder decoded it; ours, per DESIGN.md "Claims". */
static void claim_path(const char *tee, const char *key, char *out, size_t size)
{
	static const struct {
		const char *from, *to;
	} map[] = {
		{ "header.version", "quote_version" },
		{ "header.att_key_type", "att_key_type" },
		{ "header.tee_type", "tee_type" },
		{ "header.qe_vendor_id", "qe_vendor_id" },
		{ "header.qe_svn", "qe_svn" },
		{ "header.pce_svn", "pce_svn" },
		{ "body_type", "body_type" },
		{ "td_report.td_attributes", "td_attributes.raw" },
		{ "td_report.td_attributes_decoded", "td_attributes" },
		{ "report.mrenclave", "mr_enclave" },
		{ "report.mrsigner", "mr_signer" },
		{ "report.isvprodid", "isv_prod_id" },
		{ "report.isvsvn", "isv_svn" },
		{ "report.configsvn", "config_svn" },
		{ "report.attributes", "attributes.raw" },
		{ "report.attributes_decoded", "attributes" },
		{ "pck.pceid", "pck.pce_id" },
		{ "qe_report.mrsigner", "qe.mr_signer" },
		{ "qe_report.isvprodid", "qe.isv_prod_id" },
		{ "qe_report.isvsvn", "qe.isv_svn" },
	};

	if (!strcmp(key, "tcb_status") || !strcmp(key, "advisory_ids")) {
		snprintf(out, size, "%s", key);
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(key, map[i].from)) {
			snprintf(out, size, "%s.%s", tee, map[i].to);
			return;
		}
	if (!strncmp(key, "td_report.", 10) || !strncmp(key, "report.", 7))
		snprintf(out, size, "%s.%s", tee, strchr(key, '.') + 1);
	else
		snprintf(out, size, "%s.%s", tee, key); /* pck.* */
}

static void check_claims(const struct sample *s, json_t *claims)
{
	json_t *expected = json_object_get(s->meta, "expected_claims"), *entry;
	const char *key;

	assert_string_equal(json_string_value(json_object_get(claims, "tee")), s->kind);
	assert_true(json_is_true(json_object_get(claims, "verified")));
	json_object_foreach (expected, key, entry) {
		json_t *want = json_object_get(entry, "value"), *got;
		char path[256];

		claim_path(s->kind, key, path, sizeof(path));
		got = tu_json_path(claims, path);
		if (json_is_object(want)) { /* decoded attributes: every flag the corpus names */
			const char *flag;
			json_t *w;

			json_object_foreach (want, flag, w) {
				char p2[300];
				const char *ours = !strcmp(flag, "provisionkey") ? "provision_key"
				                   : !strcmp(flag, "einittokenkey")
				                       ? "einittoken_key"
				                       : flag;
				snprintf(p2, sizeof(p2), "%s.%s", path, ours);
				if (!same(tu_json_path(claims, p2), w))
					fail_msg("%s: claim %s differs", s->dir, p2);
			}
			continue;
		}
		if (!got || !same(got, want)) {
			char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
			char *w = json_dumps(want, JSON_ENCODE_ANY);
			fail_msg("%s: claim %s (%s) is %s, expected %s", s->dir, key, path,
			         g ? g : "missing", w);
		}
	}
	/* the common claims mirror the body */
	assert_string_equal(json_string_value(json_object_get(claims, "measurement")),
	                    json_string_value(tu_json_path(
	                        claims, !strcmp(s->kind, "tdx") ? "tdx.mr_td" : "sgx.mr_enclave")));
	assert_int_equal(
	    json_is_true(json_object_get(claims, "debug")),
	    json_is_true(tu_json_path(claims, !strcmp(s->kind, "tdx") ? "tdx.td_attributes.debug"
	                                                              : "sgx.attributes.debug")));
}

typedef void (*sample_fn)(struct sample *s);

static void for_each_sample(sample_fn fn)
{
	static const char *const kinds[] = { "tdx", "sgx" };
	const char *corpus = tu_corpus_dir();
	int checked = 0;

	if (!corpus) {
		skip();
		return;
	}
	for (size_t k = 0; k < 2; k++) {
		char kind[1024];
		struct dirent **names;
		int n;

		snprintf(kind, sizeof(kind), "%s/%s", corpus, kinds[k]);
		n = scandir(kind, &names, NULL, alphasort);
		assert_true(n > 0);
		for (int i = 0; i < n; i++) {
			char dir[2048], probe[2304];
			struct sample s = { 0 };
			FILE *f;

			snprintf(dir, sizeof(dir), "%s/%s", kind, names[i]->d_name);
			snprintf(probe, sizeof(probe), "%s/quote.bin", dir);
			free(names[i]);
			if (!(f = fopen(probe, "r")))
				continue;
			fclose(f);
			sample_load(&s, kinds[k], dir);
			fn(&s);
			sample_done(&s);
			checked++;
		}
		free(names);
	}
	assert_true(checked >= 2);
}

static int verify_at(struct sample *s, const uint8_t *quote, int64_t at, json_t **claims,
                     struct cu_error *err)
{
	struct cu_verify_opts o = { .at = at };

	return cu_verify(s->v, NULL, quote, s->size, &o, claims, err);
}

static void verify_sample(struct sample *s)
{
	json_t *exp = json_object_get(s->meta, "expected");
	struct cu_error err = { 0 };
	json_t *claims = NULL;
	int r = verify_at(s, s->quote, s->at, &claims, &err);

	if (!expect_verifies(s)) {
		if (r == 0)
			fail_msg("%s: expected to be rejected but verified", s->dir);
		assert_null(claims);
		/* a quote whose signatures are sound fails on its TCB, not before */
		if (json_object_get(exp, "signature_only") && strcmp(err.stage, "tcb") &&
		    strcmp(err.stage, "tdx-module") && strcmp(err.stage, "qe-identity"))
			fail_msg("%s: rejected at stage %s (%s), expected a TCB stage", s->dir,
			         err.stage, err.message);
		return;
	}
	if (r < 0)
		fail_msg("%s: %s: %s", s->dir, err.stage, err.message);
	check_claims(s, claims);
	assert_string_equal(json_string_value(json_object_get(claims, "tcb_status")),
	                    json_string_value(json_object_get(exp, "tcb_status")));
	if (json_object_get(exp, "advisory_ids"))
		assert_true(same(json_object_get(claims, "advisory_ids"),
		                 json_object_get(exp, "advisory_ids")));
	/* a debug TD or enclave is the policy's to refuse: the claim says so */
	if (!strcmp(outcome(s), "invalid-by-policy"))
		assert_true(json_is_true(json_object_get(claims, "debug")));

	/* the binding: the quote's own REPORTDATA passes, anything else is rejected */
	{
		const char *rd = json_string_value(json_object_get(claims, "report_data"));
		uint8_t want[64];
		struct cu_verify_opts o = { .at = s->at,
			                    .report_data = want,
			                    .report_data_size = sizeof(want) };
		json_t *again = NULL;

		for (int i = 0; i < 64; i++)
			sscanf(rd + 2 * i, "%2hhx", &want[i]);
		assert_int_equal(cu_verify(s->v, s->kind, s->quote, s->size, &o, &again, &err), 0);
		json_decref(again);
		again = NULL;
		want[0] ^= 1;
		assert_int_equal(cu_verify(s->v, s->kind, s->quote, s->size, &o, &again, &err),
		                 CU_ERR_BINDING);
		assert_string_equal(err.stage, "binding");
		assert_null(again);
	}
	json_decref(claims);
}

static void test_corpus_verifies(void **state)
{
	for_each_sample(verify_sample);
}

/* One second after the earliest expiry the claims announce, the quote no longer verifies. */
static void expiry_sample(struct sample *s)
{
	struct cu_error err = { 0 };
	json_t *claims = NULL, *late = NULL;
	int64_t expires;
	json_t *neg;
	size_t i;

	if (!expect_verifies(s))
		return;
	assert_int_equal(verify_at(s, s->quote, s->at, &claims, &err), 0);
	expires = tu_time(json_string_value(json_object_get(claims, "collateral_expires")));
	json_decref(claims);
	claims = NULL;
	assert_true(expires > s->at);
	assert_int_equal(verify_at(s, s->quote, expires - 1, &claims, &err), 0);
	json_decref(claims);
	assert_true(verify_at(s, s->quote, expires + 1, &late, &err) < 0);
	assert_null(late);
	if (err.code != CU_ERR_EXPIRED)
		fail_msg("%s: after %s: %s (%s), expected an expiry", s->dir, "collateral_expires",
		         err.message, err.stage);
	/* and the sample's own "verify at ... or later" variants */
	json_array_foreach (json_object_get(s->meta, "negative_variants"), i, neg) {
		const char *m = json_string_value(json_object_get(neg, "mutation"));
		char when[64];

		if (!m || sscanf(m, "verify at %63s", when) != 1)
			continue;
		assert_true(verify_at(s, s->quote, tu_time(when) + 1, &late, &err) < 0);
		assert_null(late);
	}
	/* nor before the collateral was issued */
	assert_true(verify_at(s, s->quote, s->at - 5L * 365 * 86400, &late, &err) < 0);
}

static void test_corpus_expiry(void **state)
{
	for_each_sample(expiry_sample);
}

/* Every bit of what the attestation key and the PCK key sign, and of the keys themselves. */
static void flip_sample(struct sample *s)
{
	struct cu_dcap_quote q;
	struct cu_error err = { 0 };
	uint8_t *copy;
	size_t qe_off, auth_off, key_off;

	if (!expect_verifies(s))
		return;
	assert_int_equal(cu_dcap_quote_parse(s->quote, s->size, &q, &err), 0);
	qe_off = (size_t)(q.qe_report_raw - s->quote);
	auth_off = (size_t)(q.qe_auth - s->quote);
	key_off = q.signed_size + 4 + 64;
	copy = malloc(s->size);
	assert_non_null(copy);
	for (size_t off = 0; off < s->size; off++) {
		json_t *claims = NULL;
		bool in_quote = off < q.signed_size;
		bool in_sig = off >= q.signed_size + 4 && off < key_off + 64;
		bool in_qe = off >= qe_off && off < qe_off + CU_DCAP_SGX_REPORT_SIZE + 64;
		bool in_auth = off >= auth_off && off < auth_off + q.qe_auth_size;

		if (!in_quote && !in_sig && !in_qe && !in_auth)
			continue;
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, s->quote, s->size);
			copy[off] ^= (uint8_t)(1u << bit);
			if (verify_at(s, copy, s->at, &claims, &err) == 0)
				fail_msg("%s: flipping bit %d of byte %zu still verifies", s->dir,
				         bit, off);
			assert_null(claims);
		}
	}
	free(copy);
}

static void test_corpus_every_signed_byte(void **state)
{
	for_each_sample(flip_sample);
}

/* Collateral withheld or altered: a clear error at the stage that needs it. */
static void collateral_sample(struct sample *s)
{
	static const char *const crls[] = { "pck_crl.der", "root_ca_crl.der",
		                            "pck_crl_issuer_chain.pem" };
	struct cu_verify_opts o = { .at = s->at };
	struct cu_error err = { 0 };
	cu_verifier *v;
	json_t *claims = NULL;
	char path[2304];
	uint8_t *tcb;
	size_t tcb_size;
	int r;

	if (!expect_verifies(s))
		return;
	/* nothing: the PCK chain has no CRL */
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_int_equal(cu_verify(v, s->kind, s->quote, s->size, &o, &claims, &err),
	                 CU_ERR_NOT_FOUND);
	assert_string_equal(err.stage, "pck-chain");
	/* CRLs only: no TCB info */
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, crls[i]);
		assert_true(cu_verifier_add_collateral(v, path, &err) > 0);
	}
	assert_int_equal(cu_verify(v, s->kind, s->quote, s->size, &o, &claims, &err),
	                 CU_ERR_NOT_FOUND);
	assert_string_equal(err.stage, "tcb-info");
	assert_non_null(strstr(err.message, "FMSPC"));
	/* a TCB info altered by one byte, with its issuer chain: its signature fails */
	snprintf(path, sizeof(path), "%s/tcb_info_issuer_chain.pem", s->dir);
	assert_true(cu_verifier_add_collateral(v, path, &err) > 0);
	snprintf(path, sizeof(path), "%s/tcb_info.json", s->dir);
	tcb = tu_read_file(path, &tcb_size);
	{
		char *p = strstr((char *)tcb, "\"tcbDate\":\"20");

		assert_non_null(p);
		p[13] ^= 1; /* 20 → 21: a date, still valid JSON */
	}
	assert_true(cu_verifier_add_collateral_mem(v, tcb, tcb_size, "tcb_info", &err) > 0);
	free(tcb);
	assert_int_equal(cu_verify(v, s->kind, s->quote, s->size, &o, &claims, &err),
	                 CU_ERR_SIGNATURE);
	assert_string_equal(err.stage, "tcb-info");
	assert_null(claims);
	cu_verifier_free(v);

	/* an event log: SGX refuses one; a TDX quote's RTMRs are not those of an empty log */
	{
		static const uint8_t empty_log[] = {
			0,   0,   0,   0,   3,   0,   0,   0,   0,    0,   0,    0,   0,
			0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,    0,   0,
			0,   0,   33,  0,   0,   0,   'S', 'p', 'e',  'c', ' ',  'I', 'D',
			' ', 'E', 'v', 'e', 'n', 't', '0', '3', 0,    0,   0,    0,   0,
			0,   2,   0,   2,   1,   0,   0,   0,   0x0c, 0,   0x30, 0,   0,
		};
		struct cu_verify_opts eo = { .at = s->at,
			                     .eventlog = empty_log,
			                     .eventlog_size = sizeof(empty_log) };

		r = cu_verify(s->v, s->kind, s->quote, s->size, &eo, &claims, &err);
		if (r == 0) { /* only a TD whose RTMR0..2 are all zero matches an empty log */
			static const char zero[97] = { [0 ... 95] = '0' };

			assert_string_equal(s->kind, "tdx");
			for (int i = 0; i < 3; i++) {
				char p[16];
				snprintf(p, sizeof(p), "tdx.rtmr%d", i);
				assert_string_equal(json_string_value(tu_json_path(claims, p)),
				                    zero);
			}
			json_decref(claims);
			claims = NULL;
		} else {
			assert_null(claims);
			assert_int_equal(r, !strcmp(s->kind, "sgx") ? CU_ERR_INVALID_ARG
			                                            : CU_ERR_MISMATCH);
			assert_string_equal(err.stage, "eventlog");
		}
	}

	/* the dcap-qvl / PCCS bundle (collateral.json) alone is complete collateral */
	snprintf(path, sizeof(path), "%s/collateral.json", s->dir);
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_true(cu_verifier_add_collateral(v, path, &err) > 0);
	if (cu_verify(v, s->kind, s->quote, s->size, &o, &claims, &err) < 0)
		fail_msg("%s: with collateral.json: %s: %s", s->dir, err.stage, err.message);
	assert_string_equal(
	    json_string_value(json_object_get(claims, "tcb_status")),
	    json_string_value(json_object_get(json_object_get(s->meta, "expected"), "tcb_status")));
	json_decref(claims);
	cu_verifier_free(v);
}

static void test_corpus_collateral(void **state)
{
	for_each_sample(collateral_sample);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_verifies),
		cmocka_unit_test(test_corpus_expiry),
		cmocka_unit_test(test_corpus_collateral),
		cmocka_unit_test(test_corpus_every_signed_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
