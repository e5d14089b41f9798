/* SPDX-License-Identifier: Apache-2.0 */
/* The SEV-SNP certificate table (GHCB 56421) as collateral. */
#include <stdlib.h>
#include <string.h>

#include "../../src/base/limits.h"
#include "../../src/collateral/collateral.h"
#include "../../src/collateral/snp_certtable.h"
#include "../../src/crypto/openssl-util.h"
#include "snp-builder.h"
#include "test-util.h"

#define AT ((int64_t)1893456000) /* 2030-01-01 */

static const uint8_t guid_ark[16] = { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
	                              0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae };
static const uint8_t guid_ask[16] = { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
	                              0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 };
static const uint8_t guid_vcek[16] = { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	                               0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd };
static const uint8_t guid_other[16] = { 0x11, 0x22, 0x33, 0x44 };

struct blob {
	const uint8_t *guid;
	const uint8_t *data;
	size_t size;
};

/* Lay out a table: n entries, the terminator, then the blobs. */
static uint8_t *table_build(const struct blob *blobs, size_t n, size_t *ret_size)
{
	size_t off = (n + 1) * 24, size = off;
	uint8_t *t;

	for (size_t i = 0; i < n; i++)
		size += blobs[i].size;
	t = calloc(1, size);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		memcpy(t + 24 * i, blobs[i].guid, 16);
		sb_put_u32le(t + 24 * i + 16, (uint32_t)off);
		sb_put_u32le(t + 24 * i + 20, (uint32_t)blobs[i].size);
		memcpy(t + off, blobs[i].data, blobs[i].size);
		off += blobs[i].size;
	}
	*ret_size = size;
	return t;
}

struct fixture {
	struct sb_pki pki;
	uint8_t *ark, *ask, *vcek;
	size_t ark_size, ask_size, vcek_size;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	sb_pki_init(&f->pki, NULL);
	f->ark = sb_cert_der(f->pki.ark, &f->ark_size);
	f->ask = sb_cert_der(f->pki.ask, &f->ask_size);
	f->vcek = sb_cert_der(f->pki.vcek, &f->vcek_size);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->ark);
	free(f->ask);
	free(f->vcek);
	sb_pki_done(&f->pki);
	free(f);
	return 0;
}

static void test_parse(void **state)
{
	struct fixture *f = *state;
	struct blob blobs[] = {
		{ guid_vcek, f->vcek, f->vcek_size },
		{ guid_other, (const uint8_t *)"opaque", 6 },
		{ guid_ask, f->ask, f->ask_size },
		{ guid_ark, f->ark, f->ark_size },
	};
	size_t size;
	_cleanup_free_ uint8_t *t = table_build(blobs, 4, &size);
	STACK_OF(X509) *certs = NULL;
	struct cu_error err = { 0 };

	assert_false(cu_snp_certtable_detect(blobs[1].data, 6));
	assert_true(cu_snp_certtable_detect(t, size));
	/* the unknown entry is skipped, the three certificates are kept, in order */
	assert_int_equal(cu_snp_certtable_parse(t, size, &certs, &err), 3);
	assert_int_equal(sk_X509_num(certs), 3);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), f->pki.vcek), 0);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 2), f->pki.ark), 0);
	cu_x509_stack_freep(&certs);
}

static void expect_malformed(uint8_t *t, size_t size, const char *needle)
{
	STACK_OF(X509) *certs = NULL;
	struct cu_error err = { 0 };
	int r = cu_snp_certtable_parse(t, size, &certs, &err);

	assert_true(r == CU_ERR_MALFORMED || r == CU_ERR_TOO_LARGE);
	assert_string_equal(err.stage, "collateral");
	if (!strstr(err.message, needle))
		fail_msg("message '%s' does not mention '%s'", err.message, needle);
	assert_null(certs); /* nothing appended */
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	struct blob blobs[] = { { guid_vcek, f->vcek, f->vcek_size } };
	size_t size;
	uint8_t *t = table_build(blobs, 1, &size);

	/* no terminator: the table is cut inside the terminating entry */
	expect_malformed(t, 40, "terminating");
	/* offset inside the header */
	sb_put_u32le(t + 16, 8);
	expect_malformed(t, size, "outside");
	/* offset past the end */
	sb_put_u32le(t + 16, (uint32_t)size + 1);
	expect_malformed(t, size, "outside");
	/* length past the end */
	sb_put_u32le(t + 16, 48);
	sb_put_u32le(t + 20, (uint32_t)size);
	expect_malformed(t, size, "outside");
	/* zero length */
	sb_put_u32le(t + 20, 0);
	expect_malformed(t, size, "outside");
	/* not DER */
	sb_put_u32le(t + 20, (uint32_t)f->vcek_size);
	t[48] ^= 0xff;
	expect_malformed(t, size, "not a DER certificate");
	free(t);

	/* more entries than the limit */
	{
		size_t n = CU_LIMIT_CERTS_PER_FILE + 1, big_size = (n + 1) * 24 + 1;
		uint8_t *big = calloc(1, big_size);

		for (size_t i = 0; i < n; i++) {
			memcpy(big + 24 * i, guid_vcek, 16);
			sb_put_u32le(big + 24 * i + 16, (uint32_t)((n + 1) * 24));
			sb_put_u32le(big + 24 * i + 20, 1);
		}
		expect_malformed(big, big_size, "more than");
		free(big);
	}
}

/* A report verifies with its chain supplied only as a certificate table. */
static void test_verify_with_table(void **state)
{
	struct fixture *f = *state;
	struct blob blobs[] = {
		{ guid_vcek, f->vcek, f->vcek_size },
		{ guid_ask, f->ask, f->ask_size },
	};
	size_t size, ark_size;
	_cleanup_free_ uint8_t *t = table_build(blobs, 2, &size);
	_cleanup_free_ char *ark_pem = sb_cert_pem(f->pki.ark, &ark_size);
	struct cu_verify_opts o = { .at = AT };
	struct cu_error err = { 0 };
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *claims = NULL;
	cu_verifier *v;

	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_int_equal(cu_verifier_add_test_root_INSECURE(v, (uint8_t *)ark_pem, ark_size, &err),
	                 0);
	assert_int_equal(cu_verifier_add_collateral_mem(v, t, size, "certs.bin", &err), 2);
	sb_report_init(&r, &f->pki, 3);
	sb_report_build(&r, f->pki.vcek_key, buf);
	if (cu_verify(v, NULL, buf, sizeof(buf), &o, &claims, &err) < 0)
		fail_msg("%s: %s", err.stage, err.message);
	assert_string_equal(json_string_value(json_object_get(claims, "tee")), "sev-snp");
	json_decref(claims);
	cu_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_verify_with_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
