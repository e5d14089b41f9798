/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CRYPTO_JWE_H
#define CU_CRYPTO_JWE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

#include "../base/macro.h"

/*
 * Encrypt `pt` to an attested TEE's public key as a flattened JWE (RFC 7516
 * section 7.2.2) with exactly the members protected, encrypted_key, iv,
 * ciphertext and tag, the way Trustee's KBS answers resource requests:
 *   EC P-256 / P-384 / P-521: ECDH-ES+A256KW, epk in the protected header;
 *   RSA (2048 bits or more):  RSA-OAEP-256;
 * content encryption A256GCM, the protected header as AAD. The key's "alg",
 * when present, must be the one its type selects: RSA1_5 and anything else
 * is refused, never downgraded to.
 */
int cu_jwe_encrypt(const json_t *tee_pubkey, const uint8_t *pt, size_t size, json_t **ret,
                   struct cu_error *err) _must_check_;

#endif
