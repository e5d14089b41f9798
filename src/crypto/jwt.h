/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CRYPTO_JWT_H
#define CU_CRYPTO_JWT_H

#include <stdbool.h>

#include <openssl/evp.h>

#include <custos/appraisal.h>

#include "../base/macro.h"

CU_DEFINE_CLEANUP(cu_signing_key *, cu_signing_key_free);

/* A JWK (with "d" when `private`) of an Ed25519, P-256 or P-384 key; NULL otherwise. */
json_t *cu_jwk_from_pkey(EVP_PKEY *pk, bool private);

/* Sign claims as a JWT without kid (admin tokens), with an Ed25519/P-256/P-384 private key. */
int cu_token_sign_pkey(EVP_PKEY *pk, const json_t *claims, char **ret,
                       struct cu_error *err) _must_check_;

#endif
