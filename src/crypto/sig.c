/* SPDX-License-Identifier: Apache-2.0 */
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "../base/error.h"
#include "openssl-util.h"
#include "sig.h"

static int check_ec_key(EVP_PKEY *key, int curve_nid, struct cu_error *err)
{
	char name[64];
	size_t len = 0;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "signature",
		               "signing key is not an EC key");
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
	                                    &len) ||
	    OBJ_sn2nid(name) != curve_nid)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "signature",
		               "signing key is not on curve %s", OBJ_nid2sn(curve_nid));
	return 0;
}

typedef BIGNUM *(*bin2bn_fn)(const unsigned char *s, int len, BIGNUM *ret);

/* r and s as fixed-size integers, converted with bin2bn (big- or little-endian). */
static int ecdsa_verify_raw(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                            size_t msg_size, const uint8_t *r_raw, const uint8_t *s_raw,
                            size_t component_size, bin2bn_fn bin2bn, struct cu_error *err)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	_cleanup_(cu_openssl_freep) unsigned char *der = NULL;
	BIGNUM *r, *s;
	int der_len, k;

	k = check_ec_key(key, curve_nid, err);
	if (k < 0)
		return k;
	sig = ECDSA_SIG_new();
	r = bin2bn(r_raw, (int)component_size, NULL);
	s = bin2bn(s_raw, (int)component_size, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		return cu_fail(err, CU_ERR_NOMEM, "signature", "out of memory");
	}
	der_len = i2d_ECDSA_SIG(sig, &der);
	if (der_len <= 0)
		return cu_fail(err, CU_ERR_INTERNAL, "signature", "cannot encode ECDSA signature");
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, "signature",
		               "cannot initialise ECDSA verification");
	if (EVP_DigestVerify(ctx, der, (size_t)der_len, msg, msg_size) != 1)
		return cu_fail(err, CU_ERR_SIGNATURE, "signature",
		               "ECDSA signature does not verify");
	return 0;
}

int cu_ecdsa_verify_raw_le(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                           size_t msg_size, const uint8_t *r_le, const uint8_t *s_le,
                           size_t component_size, struct cu_error *err)
{
	return ecdsa_verify_raw(key, curve_nid, md, msg, msg_size, r_le, s_le, component_size,
	                        BN_lebin2bn, err);
}

int cu_ecdsa_verify_raw_be(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                           size_t msg_size, const uint8_t *r_be, const uint8_t *s_be,
                           size_t component_size, struct cu_error *err)
{
	return ecdsa_verify_raw(key, curve_nid, md, msg, msg_size, r_be, s_be, component_size,
	                        BN_bin2bn, err);
}

int cu_rsa_pss_verify(EVP_PKEY *key, const EVP_MD *md, int salt_len, unsigned min_bits,
                      const uint8_t *msg, size_t msg_size, const uint8_t *sig, size_t sig_size,
                      struct cu_error *err)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int id = EVP_PKEY_get_base_id(key);

	if (id != EVP_PKEY_RSA && id != EVP_PKEY_RSA_PSS)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "signature",
		               "signing key is not an RSA key");
	if ((unsigned)EVP_PKEY_get_bits(key) < min_bits)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "signature",
		               "RSA key of %d bits is below the minimum of %u",
		               EVP_PKEY_get_bits(key), min_bits);
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_len) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, "signature",
		               "cannot initialise RSA-PSS verification");
	if (EVP_DigestVerify(ctx, sig, sig_size, msg, msg_size) != 1)
		return cu_fail(err, CU_ERR_SIGNATURE, "signature",
		               "RSA-PSS signature does not verify");
	return 0;
}

void cu_sha256(const void *data, size_t size, uint8_t out[32])
{
	SHA256(data, size, out);
}

void cu_sha384(const void *data, size_t size, uint8_t out[48])
{
	SHA384(data, size, out);
}

EVP_PKEY *cu_rsa_pub_from_ne(const uint8_t *n, size_t n_size, uint64_t e)
{
	_cleanup_(BN_freep) BIGNUM *bn = BN_bin2bn(n, (int)n_size, NULL);
	_cleanup_(BN_freep) BIGNUM *be = BN_new();
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
	    EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY *k = NULL;

	if (!bn || !be || !b || !ctx || !BN_set_word(be, e) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) ||
	    !(params = OSSL_PARAM_BLD_to_param(b)) || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
		k = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return k;
}

EVP_PKEY *cu_ec_pub_from_xy(const char *group, const uint8_t *x, const uint8_t *y, size_t n)
{
	uint8_t point[1 + 2 * 66];
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	OSSL_PARAM params[3];

	if (n > 66)
		return NULL;
	point[0] = 0x04; /* uncompressed (SEC 1 section 2.3.3) */
	memcpy(point + 1, x, n);
	memcpy(point + 1 + n, y, n);
	params[0] = OSSL_PARAM_construct_utf8_string("group", (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string("pub", point, 1 + 2 * n);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		return NULL;
	return pk;
}
