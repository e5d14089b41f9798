/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_SERVER_KEK_PKCS11_H
#define CU_SERVER_KEK_PKCS11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <custos/error.h>

#include "../base/macro.h"

struct cu_p11_opts {
	const char *module;   /* path of the PKCS#11 module (e.g. libsofthsm2.so) */
	const char *token;    /* token label */
	const char *pin_file; /* file holding the user PIN */
	const char *label;    /* label of the AES-256 key object */
};

struct cu_p11;

/* Open a session on the token, log in, and find the key. */
int cu_p11_open(const struct cu_p11_opts *o, struct cu_p11 **ret,
                struct cu_error *err) _must_check_;
/* Generate the AES-256 key in the token (sensitive, not extractable); never replaces one. */
int cu_p11_create_key(const struct cu_p11_opts *o, struct cu_error *err) _must_check_;
/* AES-256-GCM in the token: ciphertext || 16-byte tag, 96-bit IV, AAD. */
int cu_p11_gcm(struct cu_p11 *p, bool encrypt, const uint8_t iv[12], const uint8_t *aad,
               size_t aad_size, const uint8_t *in, size_t in_size, uint8_t *out, size_t *out_size,
               struct cu_error *err) _must_check_;
void cu_p11_close(struct cu_p11 *p);

#endif
