/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CRYPTO_SIG_H
#define CU_CRYPTO_SIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <custos/error.h>

#include "../base/macro.h"

/*
 * Verify an ECDSA signature given as raw little-endian r and s of
 * `component_size` bytes each (as SEV-SNP encodes it: ABI 56860 Table 139,
 * 72-byte fields for P-384). `key` must be an EC key on `curve_nid`; the
 * digest `md` is pinned by the caller, never taken from the input.
 * Returns 0, CU_ERR_SIGNATURE, CU_ERR_UNSUPPORTED (wrong key type/curve) or
 * CU_ERR_INTERNAL.
 */
int cu_ecdsa_verify_raw_le(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                           size_t msg_size, const uint8_t *r_le, const uint8_t *s_le,
                           size_t component_size, struct cu_error *err) _must_check_;

/* Same, with r and s big-endian (as COSE, JOSE and DCAP encode them). */
int cu_ecdsa_verify_raw_be(EVP_PKEY *key, int curve_nid, const EVP_MD *md, const uint8_t *msg,
                           size_t msg_size, const uint8_t *r_be, const uint8_t *s_be,
                           size_t component_size, struct cu_error *err) _must_check_;

/*
 * Verify an RSASSA-PSS signature (RFC 8017 section 8.1) with MGF1 using the
 * same digest `md` and a salt of exactly `salt_len` bytes. `key` must be RSA
 * of at least `min_bits` bits.
 */
int cu_rsa_pss_verify(EVP_PKEY *key, const EVP_MD *md, int salt_len, unsigned min_bits,
                      const uint8_t *msg, size_t msg_size, const uint8_t *sig, size_t sig_size,
                      struct cu_error *err) _must_check_;

/*
 * An EC public key from its raw affine coordinates x || y, each `n` bytes
 * big-endian, on `group` ("P-256", "P-384"). NULL when the point is not on
 * the curve or memory runs out.
 */
EVP_PKEY *cu_ec_pub_from_xy(const char *group, const uint8_t *x, const uint8_t *y, size_t n);

/* An RSA public key from its modulus (big-endian) and public exponent; NULL on failure. */
EVP_PKEY *cu_rsa_pub_from_ne(const uint8_t *n, size_t n_size, uint64_t e);

/* SHA-256 / SHA-384 one-shot digests. */
void cu_sha256(const void *data, size_t size, uint8_t out[32]);
void cu_sha384(const void *data, size_t size, uint8_t out[48]);

#endif
