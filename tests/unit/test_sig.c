/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/crypto/sig.c: raw ECDSA (LE and BE), RSA-PSS, digests. */
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "../../src/base/encoding.h"
#include "../../src/crypto/openssl-util.h"
#include "../../src/crypto/sig.h"
#include "test-util.h"

struct keys {
	EVP_PKEY *p384;
	EVP_PKEY *p256;
	EVP_PKEY *rsa2048;
	EVP_PKEY *rsa1024;
};

static const uint8_t msg[] = "The quick brown fox jumps over the lazy dog, attested.";

static int setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	k->p384 = EVP_EC_gen("P-384");
	k->p256 = EVP_EC_gen("P-256");
	k->rsa2048 = EVP_RSA_gen(2048);
	k->rsa1024 = EVP_RSA_gen(1024);
	if (!k->p384 || !k->p256 || !k->rsa2048 || !k->rsa1024)
		return -1;
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	EVP_PKEY_free(k->p384);
	EVP_PKEY_free(k->p256);
	EVP_PKEY_free(k->rsa2048);
	EVP_PKEY_free(k->rsa1024);
	free(k);
	return 0;
}

/* Sign with EVP and split the DER signature into fixed-size r and s fields. */
static void ecdsa_sign_raw(EVP_PKEY *key, const EVP_MD *md, const uint8_t *m, size_t m_size,
                           bool little_endian, uint8_t *r_out, uint8_t *s_out,
                           size_t component_size)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
	uint8_t der[256];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	const BIGNUM *r, *s;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &der_len, m, m_size), 1);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	assert_non_null(sig);
	ECDSA_SIG_get0(sig, &r, &s);
	if (little_endian) {
		assert_int_equal(BN_bn2lebinpad(r, r_out, (int)component_size),
		                 (int)component_size);
		assert_int_equal(BN_bn2lebinpad(s, s_out, (int)component_size),
		                 (int)component_size);
	} else {
		assert_int_equal(BN_bn2binpad(r, r_out, (int)component_size), (int)component_size);
		assert_int_equal(BN_bn2binpad(s, s_out, (int)component_size), (int)component_size);
	}
}

static void test_ecdsa_le_p384(void **state)
{
	struct keys *k = *state;
	uint8_t r[72], s[72], m[sizeof(msg)];
	struct cu_error err = { 0 };

	/* SEV-SNP layout: 72-byte little-endian fields (ABI 56860 Table 139). */
	ecdsa_sign_raw(k->p384, EVP_sha384(), msg, sizeof(msg), true, r, s, 72);
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 0);
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, NULL),
	                 0);

	/* A flipped message bit. */
	memcpy(m, msg, sizeof(m));
	m[3] ^= 0x10;
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha384(), m, sizeof(m),
	                                        r, s, 72, &err),
	                 CU_ERR_SIGNATURE);
	assert_int_equal(err.code, CU_ERR_SIGNATURE);
	assert_string_equal(err.stage, "signature");

	/* A flipped bit of r, then of s. */
	r[0] ^= 1;
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_SIGNATURE);
	r[0] ^= 1;
	s[20] ^= 0x80;
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_SIGNATURE);
	s[20] ^= 0x80;

	/* Non-zero padding above the 48 significant bytes makes r too large. */
	r[71] = 1;
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_SIGNATURE);
	r[71] = 0;

	/* A different pinned digest. */
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha256(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_SIGNATURE);

	/* Reading the fields big-endian is wrong. */
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_SIGNATURE);

	/* r = s = 0. */
	memset(r, 0, sizeof(r));
	memset(s, 0, sizeof(s));
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_SIGNATURE);
}

static void test_ecdsa_be_p384(void **state)
{
	struct keys *k = *state;
	uint8_t r[48], s[48], m[sizeof(msg)];
	struct cu_error err = { 0 };

	ecdsa_sign_raw(k->p384, EVP_sha384(), msg, sizeof(msg), false, r, s, 48);
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 48, &err),
	                 0);

	memcpy(m, msg, sizeof(m));
	m[sizeof(m) - 1] ^= 1;
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p384, NID_secp384r1, EVP_sha384(), m, sizeof(m),
	                                        r, s, 48, &err),
	                 CU_ERR_SIGNATURE);

	r[47] ^= 1;
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 48, &err),
	                 CU_ERR_SIGNATURE);
	assert_int_equal(err.code, CU_ERR_SIGNATURE);
	r[47] ^= 1;
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p384, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 48, &err),
	                 0);
}

static void test_ecdsa_p256(void **state)
{
	struct keys *k = *state;
	uint8_t r[32], s[32], m[sizeof(msg)];
	struct cu_error err = { 0 };

	ecdsa_sign_raw(k->p256, EVP_sha256(), msg, sizeof(msg), false, r, s, 32);
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p256, NID_X9_62_prime256v1, EVP_sha256(), msg,
	                                        sizeof(msg), r, s, 32, &err),
	                 0);
	r[0] ^= 0x01;
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p256, NID_X9_62_prime256v1, EVP_sha256(), msg,
	                                        sizeof(msg), r, s, 32, &err),
	                 CU_ERR_SIGNATURE);

	ecdsa_sign_raw(k->p256, EVP_sha256(), msg, sizeof(msg), true, r, s, 32);
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p256, NID_X9_62_prime256v1, EVP_sha256(), msg,
	                                        sizeof(msg), r, s, 32, &err),
	                 0);
	memcpy(m, msg, sizeof(m));
	m[0] ^= 0x80;
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p256, NID_X9_62_prime256v1, EVP_sha256(), m,
	                                        sizeof(m), r, s, 32, &err),
	                 CU_ERR_SIGNATURE);
}

static void test_ecdsa_wrong_curve(void **state)
{
	struct keys *k = *state;
	uint8_t r[72], s[72];
	struct cu_error err = { 0 };

	/* A valid P-256 signature, but the caller pinned P-384. */
	ecdsa_sign_raw(k->p256, EVP_sha384(), msg, sizeof(msg), true, r, s, 72);
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p256, NID_X9_62_prime256v1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 0);
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p256, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_UNSUPPORTED);
	assert_int_equal(err.code, CU_ERR_UNSUPPORTED);
	assert_string_equal(err.stage, "signature");
	assert_int_equal(cu_ecdsa_verify_raw_be(k->p256, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_UNSUPPORTED);

	ecdsa_sign_raw(k->p384, EVP_sha384(), msg, sizeof(msg), true, r, s, 72);
	assert_int_equal(cu_ecdsa_verify_raw_le(k->p384, NID_X9_62_prime256v1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_UNSUPPORTED);
}

static void test_ecdsa_rsa_key(void **state)
{
	struct keys *k = *state;
	uint8_t r[72] = { 1 }, s[72] = { 1 };
	struct cu_error err = { 0 };

	assert_int_equal(cu_ecdsa_verify_raw_le(k->rsa2048, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, &err),
	                 CU_ERR_UNSUPPORTED);
	assert_int_equal(err.code, CU_ERR_UNSUPPORTED);
	assert_string_equal(err.stage, "signature");
	assert_int_equal(cu_ecdsa_verify_raw_be(k->rsa2048, NID_secp384r1, EVP_sha384(), msg,
	                                        sizeof(msg), r, s, 72, NULL),
	                 CU_ERR_UNSUPPORTED);
}

static size_t rsa_sign(EVP_PKEY *key, int padding, int salt_len, const EVP_MD *md, uint8_t *sig,
                       size_t sig_cap)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t len = sig_cap;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, key), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, padding), 1);
	if (padding == RSA_PKCS1_PSS_PADDING) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_len), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, msg, sizeof(msg)), 1);
	return len;
}

static void test_rsa_pss(void **state)
{
	struct keys *k = *state;
	uint8_t sig[512], m[sizeof(msg)];
	size_t len;
	struct cu_error err = { 0 };

	len = rsa_sign(k->rsa2048, RSA_PKCS1_PSS_PADDING, 48, EVP_sha384(), sig, sizeof(sig));
	assert_int_equal(len, 256);
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 2048, msg, sizeof(msg), sig, len, &err),
	    0);
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 2048, msg, sizeof(msg), sig, len, NULL),
	    0);

	/* The salt length is pinned: a verifier expecting another one rejects. */
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 32, 2048, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_SIGNATURE);
	assert_int_equal(err.code, CU_ERR_SIGNATURE);
	assert_string_equal(err.stage, "signature");
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 64, 2048, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_SIGNATURE);

	/* Another digest. */
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha256(), 48, 2048, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_SIGNATURE);

	/* A flipped message bit, a flipped signature bit, a truncated signature. */
	memcpy(m, msg, sizeof(m));
	m[5] ^= 4;
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 2048, m, sizeof(m), sig, len, &err),
	    CU_ERR_SIGNATURE);
	sig[100] ^= 1;
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 2048, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_SIGNATURE);
	sig[100] ^= 1;
	assert_int_equal(cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 2048, msg, sizeof(msg),
	                                   sig, len - 1, &err),
	                 CU_ERR_SIGNATURE);

	/* Signed with a 32-byte salt, verified expecting 48. */
	len = rsa_sign(k->rsa2048, RSA_PKCS1_PSS_PADDING, 32, EVP_sha384(), sig, sizeof(sig));
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 32, 2048, msg, sizeof(msg), sig, len, &err),
	    0);
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 2048, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_SIGNATURE);
}

static void test_rsa_pkcs1_rejected(void **state)
{
	struct keys *k = *state;
	uint8_t sig[512];
	size_t len;
	struct cu_error err = { 0 };

	len = rsa_sign(k->rsa2048, RSA_PKCS1_PADDING, 0, EVP_sha384(), sig, sizeof(sig));
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 2048, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_SIGNATURE);
	assert_int_equal(err.code, CU_ERR_SIGNATURE);
}

static void test_rsa_key_checks(void **state)
{
	struct keys *k = *state;
	uint8_t sig[512];
	size_t len;
	struct cu_error err = { 0 };

	/* A valid PSS signature by a key below the minimum size. */
	len = rsa_sign(k->rsa1024, RSA_PKCS1_PSS_PADDING, 48, EVP_sha384(), sig, sizeof(sig));
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa1024, EVP_sha384(), 48, 1024, msg, sizeof(msg), sig, len, &err),
	    0);
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa1024, EVP_sha384(), 48, 2048, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_UNSUPPORTED);
	assert_int_equal(err.code, CU_ERR_UNSUPPORTED);
	assert_string_equal(err.stage, "signature");

	/* The 2048-bit key against a 4096-bit minimum. */
	len = rsa_sign(k->rsa2048, RSA_PKCS1_PSS_PADDING, 48, EVP_sha384(), sig, sizeof(sig));
	assert_int_equal(
	    cu_rsa_pss_verify(k->rsa2048, EVP_sha384(), 48, 4096, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_UNSUPPORTED);

	/* An EC key is not an RSA key. */
	assert_int_equal(
	    cu_rsa_pss_verify(k->p384, EVP_sha384(), 48, 0, msg, sizeof(msg), sig, len, &err),
	    CU_ERR_UNSUPPORTED);
}

static void test_sha(void **state)
{
	uint8_t out256[32], out384[48];
	char hex[97];

	cu_sha256("abc", 3, out256);
	cu_hex_encode(out256, sizeof(out256), hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	cu_sha256("", 0, out256);
	cu_hex_encode(out256, sizeof(out256), hex);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	cu_sha384("abc", 3, out384);
	cu_hex_encode(out384, sizeof(out384), hex);
	assert_string_equal(hex, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	                         "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");

	cu_sha384("", 0, out384);
	cu_hex_encode(out384, sizeof(out384), hex);
	assert_string_equal(hex, "38b060a751ac96384cd9327eb1b1e36a21fdb71114be0743"
	                         "4c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecdsa_le_p384),
		cmocka_unit_test(test_ecdsa_be_p384),
		cmocka_unit_test(test_ecdsa_p256),
		cmocka_unit_test(test_ecdsa_wrong_curve),
		cmocka_unit_test(test_ecdsa_rsa_key),
		cmocka_unit_test(test_rsa_pss),
		cmocka_unit_test(test_rsa_pkcs1_rejected),
		cmocka_unit_test(test_rsa_key_checks),
		cmocka_unit_test(test_sha),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
