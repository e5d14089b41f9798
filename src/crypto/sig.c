/* SPDX-License-Identifier: Apache-2.0 */
#include <openssl/core_names.h>
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

static int ecdsa_verify_bn(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                           size_t msg_size, BIGNUM *r, BIGNUM *s, struct cu_error *err)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *sig = NULL;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	_cleanup_(cu_openssl_freep) unsigned char *der = NULL;
	int der_len, r_ok;

	r_ok = check_ec_key(key, curve_nid, err);
	if (r_ok < 0) {
		BN_free(r);
		BN_free(s);
		return r_ok;
	}
	sig = ECDSA_SIG_new();
	if (!sig || !ECDSA_SIG_set0(sig, r, s)) {
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
	r_ok = EVP_DigestVerify(ctx, der, (size_t)der_len, msg, msg_size);
	if (r_ok != 1)
		return cu_fail(err, CU_ERR_SIGNATURE, "signature",
		               "ECDSA signature does not verify");
	return 0;
}

int cu_ecdsa_verify_raw_le(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                           size_t msg_size, const uint8_t *r_le, const uint8_t *s_le,
                           size_t component_size, struct cu_error *err)
{
	BIGNUM *r = BN_lebin2bn(r_le, (int)component_size, NULL);
	BIGNUM *s = BN_lebin2bn(s_le, (int)component_size, NULL);

	if (!r || !s) {
		BN_free(r);
		BN_free(s);
		return cu_fail(err, CU_ERR_NOMEM, "signature", "out of memory");
	}
	return ecdsa_verify_bn(key, curve_nid, md, msg, msg_size, r, s, err);
}

int cu_ecdsa_verify_raw_be(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                           size_t msg_size, const uint8_t *r_be, const uint8_t *s_be,
                           size_t component_size, struct cu_error *err)
{
	BIGNUM *r = BN_bin2bn(r_be, (int)component_size, NULL);
	BIGNUM *s = BN_bin2bn(s_be, (int)component_size, NULL);

	if (!r || !s) {
		BN_free(r);
		BN_free(s);
		return cu_fail(err, CU_ERR_NOMEM, "signature", "out of memory");
	}
	return ecdsa_verify_bn(key, curve_nid, md, msg, msg_size, r, s, err);
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
