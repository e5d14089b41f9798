/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets at rest: AES-256-GCM under the key-encryption key (KEK), with the
 * tenant and resource name as associated data, so a sealed value moved to
 * another row does not open. The database alone discloses no secret.
 */
#ifndef CU_SERVER_SECRETS_H
#define CU_SERVER_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include <custos/error.h>

#include "../base/macro.h"
#include "../store/store.h"

struct cu_p11;

/* The KEK: key bytes from a file (development), or a key that stays in a PKCS#11 token. */
struct cu_kek {
	uint8_t key[32];
	struct cu_p11 *p11; /* when set, the key is in the token and `key` is unused */
};

/* Read a KEK file (64 hex digits); refused when group or others can read it. */
int cu_kek_load(const char *path, struct cu_kek *ret, struct cu_error *err) _must_check_;
/* The KEK as a key object in a PKCS#11 token (kek_pkcs11.h). */
int cu_kek_open_pkcs11(const char *module, const char *token, const char *pin_file,
                       const char *label, struct cu_kek *ret, struct cu_error *err) _must_check_;
/* Wipe the key bytes, or close the token session. */
void cu_kek_wipe(struct cu_kek *k);

/* Seal `pt` for (tenant, name) into r->nonce / r->sealed (ciphertext || 16-byte tag). */
int cu_secret_seal(const struct cu_kek *k, const char *tenant, const char *name, const uint8_t *pt,
                   size_t size, struct cu_resource *r, struct cu_error *err) _must_check_;

/* Open a sealed resource; *ret (malloc'ed) must be wiped with OPENSSL_clear_free. */
int cu_secret_open(const struct cu_kek *k, const char *tenant, const char *name,
                   const struct cu_resource *r, uint8_t **ret, size_t *ret_size,
                   struct cu_error *err) _must_check_;

#endif
