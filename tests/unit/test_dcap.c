/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic DCAP quotes and collateral under a TEST root (trusted only
 * through cu_verifier_add_test_root_INSECURE): every stage of verification
 * failing in turn, and every path of TCB status selection and convergence.
 * The real-hardware samples are in test_dcap_corpus.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../../src/base/encoding.h"
#include "../../src/crypto/sig.h"
#include "../../src/evidence/dcap.h"
#include "dcap-builder.h"
#include "test-util.h"

#define OK(x) assert_true(x)

static const int64_t AT = 1751328000; /* 2025-07-01T00:00:00Z */
static const int64_t DAY = DB_DAY;

static void add_x509(cu_verifier *v, X509 *x, X509_CRL *c)
{
	uint8_t *d = NULL;
	int n = x ? i2d_X509(x, &d) : i2d_X509_CRL(c, &d);
	struct cu_error err = { 0 };

	OK(n > 0);
	OK(cu_verifier_add_collateral_mem(v, d, (size_t)n, "x509", &err) > 0);
	OPENSSL_free(d);
}

static void collateral_add(cu_verifier *v, const struct pki *k, const struct coll_opts *o)
{
	struct cu_error err = { 0 };
	char *tcb, *qe;

	db_collateral_docs(k, o, &tcb, &qe);
	if (cu_verifier_add_collateral_mem(v, (const uint8_t *)tcb, strlen(tcb), "tcb", &err) <=
	        0 ||
	    (qe &&
	     cu_verifier_add_collateral_mem(v, (const uint8_t *)qe, strlen(qe), "qe", &err) <= 0))
		fail_msg("collateral: %s", err.message);
	free(tcb);
	free(qe);
}

/* ------------------------------------------------------------ scenario */

struct scenario {
	struct platform plat;
	struct quote_opts q;
	struct coll_opts c;
	struct level_spec levels[4];
	/* knobs */
	bool untrusted_root, revoke_pck, no_pck_crl;
};

/* An UpToDate TDX platform: SGX components 3, PCESVN 11, TEE_TCB_SVN 03 01 02 ... */
static void scenario_default(struct scenario *s, bool sgx)
{
	memset(s, 0, sizeof(*s));
	memset(s->plat.comp, 3, 8);
	s->plat.pcesvn = 11;
	memcpy(s->plat.fmspc, "\x00\x90\x6e\xd5\x00\x00", 6);
	s->q.sgx = s->c.sgx = sgx;
	s->q.tee_tcb_svn[0] = 3; /* module SVN */
	s->q.tee_tcb_svn[1] = 1; /* module version: TDX_01 */
	s->q.tee_tcb_svn[2] = 2;
	s->q.qe_isvsvn = 8;
	memset(s->q.qe_mrsigner, 0xdc, 32);
	memset(s->c.qe_mrsigner, 0xdc, 32);
	for (int i = 0; i < 64; i++)
		s->q.report_data[i] = (uint8_t)i;
	memcpy(s->c.fmspc, s->plat.fmspc, 6);
	s->c.issue = AT - 15 * DAY;
	s->c.next = AT + 15 * DAY;
	s->c.qe_levels[0] = 8;
	s->c.qe_levels[1] = 4;
	/* level 0: UpToDate at 3/11/2; level 1: OutOfDate at 2/5/1 */
	memset(s->levels[0].sgx, 3, 8);
	s->levels[0].pcesvn = 11;
	s->levels[0].tdx[2] = 2;
	s->levels[0].status = "UpToDate";
	memset(s->levels[1].sgx, 2, 8);
	s->levels[1].pcesvn = 5;
	s->levels[1].tdx[2] = 1;
	s->levels[1].status = "OutOfDate";
	s->levels[1].advisory = "INTEL-SA-00001";
	s->c.levels = s->levels;
	s->c.n_levels = 2;
}

/* Build everything and verify; returns the result code, *claims on success. */
static int run(const struct scenario *s, json_t **claims, struct cu_error *err)
{
	struct pki k, other;
	struct buf *q = calloc(1, sizeof(*q));
	cu_verifier *v;
	struct cu_verify_opts o = { .at = AT };
	uint8_t *root_der = NULL;
	int n, r;

	OK(q);
	db_pki_new(&k, &s->plat, AT);
	db_quote_build(&k, &s->q, q);
	OK(cu_verifier_new(&v, err) == 0);
	if (s->untrusted_root) {
		db_pki_new(&other, &s->plat, AT);
		n = i2d_X509(other.root, &root_der);
		db_pki_free(&other);
	} else {
		n = i2d_X509(k.root, &root_der);
	}
	OK(n > 0 && cu_verifier_add_test_root_INSECURE(v, root_der, (size_t)n, err) == 0);
	OPENSSL_free(root_der);
	add_x509(v, k.ca, NULL);
	add_x509(v, k.tcb, NULL);
	add_x509(v, NULL, k.root_crl);
	if (s->revoke_pck) {
		X509_CRL *c = db_crl(k.ca, k.ca_key, k.pck, AT - 10 * DAY, AT + 20 * DAY);
		add_x509(v, NULL, c);
		X509_CRL_free(c);
	} else if (!s->no_pck_crl) {
		add_x509(v, NULL, k.pck_crl);
	}
	collateral_add(v, &k, &s->c);
	*claims = NULL;
	r = cu_verify(v, s->q.sgx ? "sgx" : "tdx", q->d, q->n, &o, claims, err);
	cu_verifier_free(v);
	db_pki_free(&k);
	free(q);
	return r;
}

static void expect_status(const struct scenario *s, const char *status, const char *advisory)
{
	struct cu_error err = { 0 };
	json_t *c = NULL;

	if (run(s, &c, &err) < 0)
		fail_msg("expected %s, rejected at %s: %s", status, err.stage, err.message);
	assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), status);
	if (advisory) {
		json_t *ids = json_object_get(c, "advisory_ids"), *a;
		size_t i;
		bool found = false;

		json_array_foreach (ids, i, a)
			found |= !strcmp(json_string_value(a), advisory);
		if (!found)
			fail_msg("advisory %s missing for status %s", advisory, status);
	} else {
		assert_int_equal(json_array_size(json_object_get(c, "advisory_ids")), 0);
	}
	json_decref(c);
}

static void expect_fail(const struct scenario *s, int code, const char *stage)
{
	struct cu_error err = { 0 };
	json_t *c = NULL;
	int r = run(s, &c, &err);

	if (r == 0)
		fail_msg("expected a rejection at %s, but it verified", stage);
	assert_null(c);
	if (r != code || strcmp(err.stage, stage))
		fail_msg("expected %s at %s, got %s at %s: %s", cu_errname(code), stage,
		         cu_errname(r), err.stage, err.message);
}

/* ----------------------------------------------------------------- tests */

static void test_uptodate_tdx_and_sgx(void **state)
{
	struct scenario s;
	struct cu_error err = { 0 };
	json_t *c = NULL;

	scenario_default(&s, false);
	expect_status(&s, "UpToDate", NULL);
	OK(run(&s, &c, &err) == 0);
	assert_true(json_is_true(json_object_get(c, "insecure_test_roots")));
	assert_string_equal(json_string_value(json_object_get(c, "fmspc")), "00906ed50000");
	assert_string_equal(json_string_value(json_object_get(c, "tee")), "tdx");
	assert_true(json_is_true(json_object_get(
	    json_object_get(json_object_get(c, "tdx"), "td_attributes"), "sept_ve_disable")));
	json_decref(c);
	scenario_default(&s, true);
	expect_status(&s, "UpToDate", NULL);
}

static void test_platform_statuses(void **state)
{
	static const char *const statuses[] = { "SWHardeningNeeded", "ConfigurationNeeded",
		                                "ConfigurationAndSWHardeningNeeded", "OutOfDate",
		                                "OutOfDateConfigurationNeeded" };
	struct scenario s;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		scenario_default(&s, false);
		s.levels[0].status = statuses[i];
		s.levels[0].advisory = "INTEL-SA-00002";
		expect_status(&s, statuses[i], "INTEL-SA-00002");
		scenario_default(&s, true);
		s.levels[0].status = statuses[i];
		s.levels[0].advisory = "INTEL-SA-00002";
		expect_status(&s, statuses[i], "INTEL-SA-00002");
	}
	/* a lower platform falls to the second level */
	scenario_default(&s, true);
	s.plat.comp[4] = 2;
	expect_status(&s, "OutOfDate", "INTEL-SA-00001");
	scenario_default(&s, false);
	s.plat.pcesvn = 10;
	expect_status(&s, "OutOfDate", "INTEL-SA-00001");
	/* TEE_TCB_SVN below the first level's TDX components: the second level */
	scenario_default(&s, false);
	s.q.tee_tcb_svn[2] = 1;
	expect_status(&s, "OutOfDate", "INTEL-SA-00001");
	/* Revoked is a rejection */
	scenario_default(&s, false);
	s.levels[0].status = "Revoked";
	expect_fail(&s, CU_ERR_REVOKED, "tcb");
}

static void test_convergence(void **state)
{
	struct scenario s;

	/* an out-of-date QE makes an up-to-date platform OutOfDate */
	scenario_default(&s, false);
	s.q.qe_isvsvn = 5;
	expect_status(&s, "OutOfDate", "INTEL-SA-QE");
	/* ... and a platform needing configuration OutOfDateConfigurationNeeded */
	scenario_default(&s, true);
	s.q.qe_isvsvn = 5;
	s.levels[0].status = "ConfigurationNeeded";
	expect_status(&s, "OutOfDateConfigurationNeeded", "INTEL-SA-QE");
	/* an out-of-date TDX module likewise */
	scenario_default(&s, false);
	s.q.tee_tcb_svn[0] = 2;
	expect_status(&s, "OutOfDate", "INTEL-SA-MODULE");
	scenario_default(&s, false);
	s.c.module_status = "Revoked";
	expect_fail(&s, CU_ERR_REVOKED, "tcb");
	/* TDX module version 0: judged by tdxModule, no module TCB level */
	scenario_default(&s, false);
	s.q.tee_tcb_svn[0] = 0;
	s.q.tee_tcb_svn[1] = 0;
	expect_status(&s, "UpToDate", NULL);
}

static void test_each_stage_fails(void **state)
{
	struct scenario s;

	scenario_default(&s, false);
	s.untrusted_root = true; /* another root of the same name: its signatures fail */
	expect_fail(&s, CU_ERR_SIGNATURE, "pck-chain");
	scenario_default(&s, false);
	s.revoke_pck = true;
	expect_fail(&s, CU_ERR_REVOKED, "pck-chain");
	scenario_default(&s, false);
	s.no_pck_crl = true;
	expect_fail(&s, CU_ERR_NOT_FOUND, "pck-chain");
	scenario_default(&s, false);
	s.plat.no_extension = true;
	expect_fail(&s, CU_ERR_MALFORMED, "pck-extension");
	scenario_default(&s, false);
	s.q.qe_signed_by_att_key = true;
	expect_fail(&s, CU_ERR_SIGNATURE, "qe-report-signature");
	scenario_default(&s, true);
	s.q.bad_qe_binding = true;
	expect_fail(&s, CU_ERR_SIGNATURE, "qe-binding");
	scenario_default(&s, false);
	memcpy(s.c.fmspc, "\x11\x11\x1f\x00\x00\x00", 6);
	expect_fail(&s, CU_ERR_NOT_FOUND, "tcb-info");
	scenario_default(&s, false);
	s.c.tamper_tcb_signature = true;
	expect_fail(&s, CU_ERR_SIGNATURE, "tcb-info");
	scenario_default(&s, false);
	s.c.next = AT - 1;
	s.c.issue = AT - 30 * DAY;
	expect_fail(&s, CU_ERR_EXPIRED, "tcb-info");
	scenario_default(&s, false);
	s.c.issue = AT + 1;
	expect_fail(&s, CU_ERR_EXPIRED, "tcb-info");
	scenario_default(&s, false);
	s.c.no_qe_identity = true;
	expect_fail(&s, CU_ERR_NOT_FOUND, "qe-identity");
	scenario_default(&s, true);
	memset(s.c.qe_mrsigner, 0xab, 32);
	expect_fail(&s, CU_ERR_MISMATCH, "qe-identity");
	scenario_default(&s, true);
	s.q.qe_isvsvn = 3;
	expect_fail(&s, CU_ERR_MISMATCH, "qe-identity");
	scenario_default(&s, false);
	s.q.mr_signer_seam[0] = 1;
	expect_fail(&s, CU_ERR_MISMATCH, "tdx-module");
	scenario_default(&s, false);
	s.q.tee_tcb_svn[1] = 2; /* TDX_02: not in the TCB info */
	expect_fail(&s, CU_ERR_MISMATCH, "tdx-module");
	scenario_default(&s, false);
	s.q.tee_tcb_svn[0] = 0; /* module SVN below every level of TDX_01 */
	expect_fail(&s, CU_ERR_MISMATCH, "tdx-module");
	scenario_default(&s, true);
	memset(s.plat.comp, 1, 8); /* below every level */
	expect_fail(&s, CU_ERR_MISMATCH, "tcb");
	scenario_default(&s, false);
	s.q.tee_tcb_svn[2] = 0;
	expect_fail(&s, CU_ERR_MISMATCH, "tcb");
}

/* The quote's own signature and the caller's binding, on a quote built once. */
static void test_quote_signature_and_binding(void **state)
{
	struct scenario s;
	struct pki k;
	struct buf *q = calloc(1, sizeof(*q));
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = AT };
	cu_verifier *v;
	uint8_t *root_der = NULL, rd[64];
	json_t *c = NULL;
	int n;

	OK(q);
	scenario_default(&s, false);
	db_pki_new(&k, &s.plat, AT);
	db_quote_build(&k, &s.q, q);
	OK(cu_verifier_new(&v, &err) == 0);
	n = i2d_X509(k.root, &root_der);
	OK(cu_verifier_add_test_root_INSECURE(v, root_der, (size_t)n, &err) == 0);
	OPENSSL_free(root_der);
	add_x509(v, k.ca, NULL);
	add_x509(v, k.tcb, NULL);
	add_x509(v, NULL, k.root_crl);
	add_x509(v, NULL, k.pck_crl);
	collateral_add(v, &k, &s.c);
	OK(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err) == 0);
	json_decref(c);
	c = NULL;
	/* the MRTD changed after signing */
	q->d[48 + 136] ^= 1;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_SIGNATURE);
	assert_string_equal(err.stage, "quote-signature");
	q->d[48 + 136] ^= 1;
	/* binding */
	memcpy(rd, s.q.report_data, 64);
	o.report_data = rd;
	o.report_data_size = 64;
	OK(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err) == 0);
	json_decref(c);
	c = NULL;
	rd[63] ^= 1;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_BINDING);
	assert_string_equal(err.stage, "binding");
	/* a TDX quote is not an SGX one */
	assert_int_equal(cu_verify(v, "sgx", q->d, q->n, &o, &c, &err), CU_ERR_MALFORMED);
	assert_string_equal(cu_detect_format(q->d, q->n), "tdx");
	cu_verifier_free(v);
	db_pki_free(&k);
	free(q);
}

/* Malformed quotes: each a clear error at the parse stage. */
static void test_parse_errors(void **state)
{
	struct scenario s;
	struct pki k;
	struct buf *q = calloc(1, sizeof(*q));
	struct cu_dcap_quote out;
	struct cu_error err = { 0 };

	OK(q);
	scenario_default(&s, false);
	db_pki_new(&k, &s.plat, AT);
	db_quote_build(&k, &s.q, q);
	OK(cu_dcap_quote_parse(q->d, q->n, &out, &err) == 0);
	for (size_t n = 0; n < q->n; n += 97) {
		assert_true(cu_dcap_quote_parse(q->d, n, &out, &err) < 0);
		assert_string_equal(err.stage, "parse");
	}
	q->d[2] = 3; /* attestation key type 3: ECDSA-384 */
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "attestation key type 3"));
	q->d[2] = 2;
	q->d[0] = 6;
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	q->d[0] = 4;
	q->d[4] = 0x82; /* TEE type */
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	q->d[4] = 0x81;
	q->d[48 + 584 + 4 + 128] = 7; /* certification data type 7 */
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "certification data type 7"));
	db_pki_free(&k);
	free(q);
}

static void test_ccel(void **state)
{
	struct scenario s;
	struct pki k;
	struct buf *q = calloc(1, sizeof(*q));
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = AT };
	cu_verifier *v;
	uint8_t *root_der = NULL, log[1024];
	size_t log_size;
	json_t *c = NULL, *el;
	int n;

	OK(q);
	scenario_default(&s, false);
	log_size = db_ccel_build(log, s.q.rtmr);
	db_pki_new(&k, &s.plat, AT);
	db_quote_build(&k, &s.q, q);
	OK(cu_verifier_new(&v, &err) == 0);
	n = i2d_X509(k.root, &root_der);
	OK(cu_verifier_add_test_root_INSECURE(v, root_der, (size_t)n, &err) == 0);
	OPENSSL_free(root_der);
	add_x509(v, k.ca, NULL);
	add_x509(v, k.tcb, NULL);
	add_x509(v, NULL, k.root_crl);
	add_x509(v, NULL, k.pck_crl);
	collateral_add(v, &k, &s.c);
	o.eventlog = log;
	o.eventlog_size = log_size;
	if (cu_verify(v, "tdx", q->d, q->n, &o, &c, &err) < 0)
		fail_msg("%s: %s", err.stage, err.message);
	el = json_object_get(json_object_get(c, "tdx"), "eventlog");
	assert_string_equal(json_string_value(json_object_get(el, "kernel_cmdline")),
	                    "console=hvc0 root=/dev/vda1");
	assert_int_equal(json_array_size(json_object_get(el, "rtmrs_checked")), 3);
	json_decref(c);
	c = NULL;
	/* an event's digest changed: its RTMR no longer replays */
	log[log_size - 60] ^= 1;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_MISMATCH);
	assert_string_equal(err.stage, "eventlog");
	assert_non_null(strstr(err.message, "RTMR2"));
	assert_null(c);
	/* a truncated log */
	o.eventlog_size = 70;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_MALFORMED);
	assert_string_equal(err.stage, "eventlog");
	cu_verifier_free(v);
	db_pki_free(&k);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uptodate_tdx_and_sgx),
		cmocka_unit_test(test_platform_statuses),
		cmocka_unit_test(test_convergence),
		cmocka_unit_test(test_each_stage_fails),
		cmocka_unit_test(test_quote_signature_and_binding),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_ccel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
