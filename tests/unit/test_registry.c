/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/evidence/registry.c through the public API (include/custos/custos.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <custos/custos.h>

#include "../../src/base/limits.h"
#include "test-util.h"

#define SNP_REPORT_SIZE 1184

static void put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Deterministic pseudo-random bytes (xorshift). */
static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

/* The smallest thing that looks like an SNP report: version at 0, algo at 0x34. */
static uint8_t *snp_like(uint32_t version, uint32_t algo)
{
	uint8_t *b = calloc(1, SNP_REPORT_SIZE + 1);

	assert_non_null(b);
	put_u32le(b, version);
	put_u32le(b + 0x34, algo);
	return b;
}

static void test_new_free(void **state)
{
	cu_verifier *v = NULL;
	struct cu_error err = { 0 };

	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_non_null(v);
	assert_int_equal(cu_verifier_n_test_roots(v), 0);
	cu_verifier_free(v);
	cu_verifier_free(NULL);

	assert_int_equal(cu_verifier_new(&v, NULL), 0);
	cu_verifier_free(v);
}

static void test_formats(void **state)
{
	const char *const *f = cu_formats();
	bool snp = false;
	size_t n = 0;

	assert_non_null(f);
	for (; f[n]; n++)
		if (strcmp(f[n], "snp") == 0)
			snp = true;
	assert_true(snp);
	assert_true(n >= 1);
	/* Every listed format detects nothing on an empty buffer. */
	assert_null(cu_detect_format((const uint8_t *)"", 0));
}

static void test_detect(void **state)
{
	uint8_t *b;
	uint8_t rnd[SNP_REPORT_SIZE];

	for (uint32_t version = 2; version <= 5; version++) {
		b = snp_like(version, 1);
		assert_non_null(cu_detect_format(b, SNP_REPORT_SIZE));
		assert_string_equal(cu_detect_format(b, SNP_REPORT_SIZE), "snp");
		free(b);
	}

	/* Unknown versions or signature algorithm. */
	b = snp_like(1, 1);
	assert_null(cu_detect_format(b, SNP_REPORT_SIZE));
	free(b);
	b = snp_like(6, 1);
	assert_null(cu_detect_format(b, SNP_REPORT_SIZE));
	free(b);
	b = snp_like(0, 1);
	assert_null(cu_detect_format(b, SNP_REPORT_SIZE));
	free(b);
	b = snp_like(2, 0);
	assert_null(cu_detect_format(b, SNP_REPORT_SIZE));
	free(b);
	b = snp_like(2, 2);
	assert_null(cu_detect_format(b, SNP_REPORT_SIZE));
	free(b);

	/* Wrong sizes. */
	b = snp_like(2, 1);
	assert_null(cu_detect_format(b, SNP_REPORT_SIZE - 1));
	assert_null(cu_detect_format(b, SNP_REPORT_SIZE + 1));
	assert_null(cu_detect_format(b, 0x38));
	assert_null(cu_detect_format(b, 0));
	free(b);

	/* Random bytes, and NULL. */
	for (uint64_t seed = 1; seed <= 16; seed++) {
		fill_random(rnd, sizeof(rnd), seed * 0x9e3779b97f4a7c15u);
		assert_null(cu_detect_format(rnd, sizeof(rnd)));
	}
	assert_null(cu_detect_format(NULL, SNP_REPORT_SIZE));
	assert_null(cu_detect_format(NULL, 0));
}

/* Call cu_verify expecting failure; check *ret_claims was left alone. */
static int verify_fail(cu_verifier *v, const char *format, const uint8_t *ev, size_t size,
                       const struct cu_verify_opts *opts, struct cu_error *err)
{
	json_t sentinel;
	json_t *claims = &sentinel;
	int r;

	memset(&sentinel, 0, sizeof(sentinel));
	r = cu_verify(v, format, ev, size, opts, &claims, err);
	assert_true(r < 0);
	assert_ptr_equal(claims, &sentinel);
	if (err)
		assert_int_equal(err->code, r);
	return r;
}

static void test_verify_bad_args(void **state)
{
	cu_verifier *v = NULL;
	struct cu_verify_opts opts = { .at = 1704067200 };
	struct cu_error err = { 0 };
	uint8_t ev[64] = { 0 };
	json_t *claims = NULL;

	assert_int_equal(cu_verifier_new(&v, &err), 0);

	/* An unknown format name. */
	assert_int_equal(verify_fail(v, "no-such-tee", ev, sizeof(ev), &opts, &err),
	                 CU_ERR_INVALID_ARG);
	assert_non_null(strstr(err.message, "no-such-tee"));
	assert_int_equal(verify_fail(v, "", ev, sizeof(ev), &opts, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(verify_fail(v, "SNP", ev, sizeof(ev), &opts, &err), CU_ERR_INVALID_ARG);

	/* NULL arguments. */
	assert_int_equal(verify_fail(NULL, NULL, ev, sizeof(ev), &opts, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(verify_fail(v, NULL, ev, sizeof(ev), NULL, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(verify_fail(v, NULL, NULL, 0, &opts, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(verify_fail(v, "snp", NULL, SNP_REPORT_SIZE, &opts, &err),
	                 CU_ERR_INVALID_ARG);
	assert_int_equal(verify_fail(v, NULL, NULL, 0, &opts, NULL), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_verify(v, NULL, ev, sizeof(ev), &opts, NULL, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(err.code, CU_ERR_INVALID_ARG);
	assert_null(claims);

	cu_verifier_free(v);
}

static void test_verify_undetectable(void **state)
{
	cu_verifier *v = NULL;
	struct cu_verify_opts opts = { .at = 1704067200 };
	struct cu_error err = { 0 };
	uint8_t rnd[SNP_REPORT_SIZE];
	uint8_t *b;

	assert_int_equal(cu_verifier_new(&v, &err), 0);
	fill_random(rnd, sizeof(rnd), 42);

	assert_int_equal(verify_fail(v, NULL, rnd, sizeof(rnd), &opts, &err),
	                 CU_ERR_UNKNOWN_FORMAT);
	assert_string_equal(err.stage, "decode");
	assert_int_equal(verify_fail(v, NULL, rnd, 17, &opts, &err), CU_ERR_UNKNOWN_FORMAT);
	assert_string_equal(err.stage, "decode");
	assert_int_equal(verify_fail(v, NULL, rnd, 0, &opts, &err), CU_ERR_UNKNOWN_FORMAT);

	/* Nearly an SNP report, one byte short. */
	b = snp_like(2, 1);
	assert_int_equal(verify_fail(v, NULL, b, SNP_REPORT_SIZE - 1, &opts, &err),
	                 CU_ERR_UNKNOWN_FORMAT);
	free(b);

	cu_verifier_free(v);
}

static void test_verify_too_large(void **state)
{
	cu_verifier *v = NULL;
	struct cu_verify_opts opts = { .at = 1704067200 };
	struct cu_error err = { 0 };
	size_t size = (size_t)CU_LIMIT_EVIDENCE_SIZE + 1;
	uint8_t *big = calloc(1, size);

	assert_non_null(big);
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_int_equal(verify_fail(v, NULL, big, size, &opts, &err), CU_ERR_TOO_LARGE);
	assert_string_equal(err.stage, "input");
	/* Also with the format named. */
	assert_int_equal(verify_fail(v, "snp", big, size, &opts, &err), CU_ERR_TOO_LARGE);
	assert_int_equal(verify_fail(v, "sev-snp", big, size, &opts, &err), CU_ERR_TOO_LARGE);

	cu_verifier_free(v);
	free(big);
}

/* ---- test roots ---- */

static char *pem_certs(X509 *a, X509 *b, size_t *ret_size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy;
	long len;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, a), 1);
	if (b)
		assert_int_equal(PEM_write_bio_X509(bio, b), 1);
	len = BIO_get_mem_data(bio, &data);
	assert_true(len > 0);
	copy = malloc((size_t)len);
	assert_non_null(copy);
	memcpy(copy, data, (size_t)len);
	BIO_free(bio);
	*ret_size = (size_t)len;
	return copy;
}

static void test_test_roots(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *a, *b;
	cu_verifier *v = NULL;
	struct cu_error err = { 0 };
	static const char garbage[] = "not a certificate";
	char *one, *two;
	size_t one_size, two_size;
	unsigned char *der = NULL;
	int der_len;

	assert_non_null(key);
	a = tu_self_signed(key, "Test Root A", 1);
	b = tu_self_signed(key, "Test Root B", 1);
	one = pem_certs(a, NULL, &one_size);
	two = pem_certs(a, b, &two_size);
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_int_equal(cu_verifier_n_test_roots(v), 0);
	assert_int_equal(cu_verifier_n_test_roots(NULL), 0);

	/* Two certificates: refused, nothing added. */
	assert_true(cu_verifier_add_test_root_INSECURE(v, (const uint8_t *)two, two_size, &err) <
	            0);
	assert_true(err.code < 0);
	assert_int_equal(cu_verifier_n_test_roots(v), 0);

	/* Not a certificate. */
	assert_true(cu_verifier_add_test_root_INSECURE(v, (const uint8_t *)garbage, strlen(garbage),
	                                               &err) < 0);
	assert_int_equal(cu_verifier_n_test_roots(v), 0);

	/* NULL arguments. */
	assert_int_equal(cu_verifier_add_test_root_INSECURE(v, NULL, 10, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(
	    cu_verifier_add_test_root_INSECURE(NULL, (const uint8_t *)one, one_size, &err),
	    CU_ERR_INVALID_ARG);
	assert_int_equal(cu_verifier_n_test_roots(v), 0);

	/* One certificate, PEM then DER. */
	assert_int_equal(
	    cu_verifier_add_test_root_INSECURE(v, (const uint8_t *)one, one_size, &err), 0);
	assert_int_equal(cu_verifier_n_test_roots(v), 1);
	der_len = i2d_X509(b, &der);
	assert_true(der_len > 0);
	assert_int_equal(cu_verifier_add_test_root_INSECURE(v, der, (size_t)der_len, NULL), 0);
	assert_int_equal(cu_verifier_n_test_roots(v), 2);
	OPENSSL_free(der);

	/* A failure later does not drop the roots already added. */
	assert_true(cu_verifier_add_test_root_INSECURE(v, (const uint8_t *)two, two_size, NULL) <
	            0);
	assert_int_equal(cu_verifier_n_test_roots(v), 2);

	cu_verifier_free(v);
	free(one);
	free(two);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(key);
}

static void test_add_collateral_bad_args(void **state)
{
	cu_verifier *v = NULL;
	struct cu_error err = { 0 };

	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_int_equal(cu_verifier_add_collateral(v, NULL, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_verifier_add_collateral(NULL, "/", &err), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_verifier_add_collateral(v, "/nonexistent/custos/path", &err),
	                 CU_ERR_IO);
	assert_int_equal(cu_verifier_add_collateral_mem(v, NULL, 10, "x", &err),
	                 CU_ERR_INVALID_ARG);
	assert_int_equal(cu_verifier_add_collateral_mem(NULL, (const uint8_t *)"x", 1, "x", &err),
	                 CU_ERR_INVALID_ARG);
	assert_int_equal(cu_verifier_add_collateral_mem(v, (const uint8_t *)"text", 4, "x", &err),
	                 0);
	cu_verifier_free(v);
}

static void test_inspect_undetectable(void **state)
{
	struct cu_error err = { 0 };
	uint8_t rnd[SNP_REPORT_SIZE];
	json_t sentinel;
	json_t *fields = &sentinel;
	uint8_t *big;

	memset(&sentinel, 0, sizeof(sentinel));
	fill_random(rnd, sizeof(rnd), 7);
	assert_int_equal(cu_inspect(NULL, rnd, sizeof(rnd), &fields, &err), CU_ERR_UNKNOWN_FORMAT);
	assert_int_equal(err.code, CU_ERR_UNKNOWN_FORMAT);
	assert_string_equal(err.stage, "decode");
	assert_ptr_equal(fields, &sentinel);

	assert_int_equal(cu_inspect("no-such-tee", rnd, sizeof(rnd), &fields, &err),
	                 CU_ERR_INVALID_ARG);
	assert_int_equal(cu_inspect(NULL, NULL, 0, &fields, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_inspect(NULL, rnd, sizeof(rnd), NULL, &err), CU_ERR_INVALID_ARG);
	assert_ptr_equal(fields, &sentinel);

	big = calloc(1, (size_t)CU_LIMIT_EVIDENCE_SIZE + 1);
	assert_non_null(big);
	assert_int_equal(cu_inspect(NULL, big, (size_t)CU_LIMIT_EVIDENCE_SIZE + 1, &fields, NULL),
	                 CU_ERR_TOO_LARGE);
	assert_int_equal(cu_inspect("snp", big, (size_t)CU_LIMIT_EVIDENCE_SIZE + 1, &fields, &err),
	                 CU_ERR_TOO_LARGE);
	assert_ptr_equal(fields, &sentinel);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_verify_bad_args),
		cmocka_unit_test(test_verify_undetectable),
		cmocka_unit_test(test_verify_too_large),
		cmocka_unit_test(test_test_roots),
		cmocka_unit_test(test_add_collateral_bad_args),
		cmocka_unit_test(test_inspect_undetectable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
