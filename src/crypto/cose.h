/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CBOR (RFC 8949) through libcbor, and COSE_Sign1 (RFC 9052) on it, for
 * Nitro attestation documents, CCA tokens and EAT. Untrusted CBOR is first
 * scanned without recursion: definite lengths only, at most
 * CU_LIMIT_CBOR_DEPTH nested, CU_LIMIT_CBOR_ITEMS items, nothing after the
 * top item; only then does libcbor build the tree.
 */
#ifndef CU_CRYPTO_COSE_H
#define CU_CRYPTO_COSE_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>
#include <openssl/evp.h>

#include <custos/error.h>

#include "../base/macro.h"

#define CU_COSE_ALG_ES256 (-7)
#define CU_COSE_ALG_ES384 (-35)
#define CU_COSE_ALG_ES512 (-36)

/* Parse one CBOR item, bounded as above. `what` names it in errors (stage "parse"). */
int cu_cbor_load(const uint8_t *buf, size_t size, const char *what, cbor_item_t **ret,
                 struct cu_error *err) _must_check_;

/* Member `key` (a text key) of a CBOR map, or NULL. */
cbor_item_t *cu_cbor_map_get(const cbor_item_t *map, const char *key);

/* Member with the integer key `key` (COSE header labels), or NULL. */
cbor_item_t *cu_cbor_map_get_int(const cbor_item_t *map, int64_t key);

/* An integer item's value (unsigned or negative), false when it is none or out of range. */
bool cu_cbor_int(const cbor_item_t *item, int64_t *ret);

struct cu_cose_sign1 {
	cbor_item_t *root;
	const uint8_t *protected_raw; /* the protected header's bytes, as signed */
	size_t protected_size;
	int64_t alg; /* from the protected header */
	const uint8_t *payload;
	size_t payload_size;
	const uint8_t *signature;
	size_t signature_size;
};

/* COSE_Sign1, tagged (18) or not, with a protected header that names its algorithm. */
int cu_cose_sign1_parse(const uint8_t *buf, size_t size, struct cu_cose_sign1 *ret,
                        struct cu_error *err) _must_check_;
void cu_cose_sign1_done(struct cu_cose_sign1 *s);

/*
 * Verify the signature over Sig_structure ["Signature1", protected, h'',
 * payload] with `key`. The algorithm is pinned by the caller (`alg`): a
 * document naming another is refused, never followed.
 */
int cu_cose_sign1_verify(const struct cu_cose_sign1 *s, int64_t alg, EVP_PKEY *key,
                         struct cu_error *err) _must_check_;

#endif
