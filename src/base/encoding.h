/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_BASE_ENCODING_H
#define CU_BASE_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Lowercase hex of n bytes into out, which must hold 2n+1 bytes. */
void cu_hex_encode(const uint8_t *in, size_t n, char *out);

/* Newly allocated lowercase hex string, or NULL on allocation failure. */
char *cu_hex_encode_alloc(const uint8_t *in, size_t n);

/*
 * Decode a hex string of exactly 2 * out_size digits (either case) into out.
 * Returns 0 or CU_ERR_MALFORMED; out is untouched on failure.
 */
int cu_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size) _must_check_;

/* Length in bytes of the decoded form of a hex string, or -1 if malformed. */
long cu_hex_decoded_size(const char *in, size_t in_len);

/* Unpadded base64url (RFC 4648 section 5) of n bytes; newly allocated. */
char *cu_base64url_encode_alloc(const uint8_t *in, size_t n);

/* Standard base64 (RFC 4648 section 4) with padding, as Trustee's evidence carries it; newly allocated. */
char *cu_base64_encode_alloc(const uint8_t *in, size_t n);

/*
 * Strict unpadded base64url decode: rejects padding, characters outside the
 * alphabet, impossible lengths and non-zero trailing bits. On success sets
 * *ret (newly allocated) and *ret_size; outputs untouched on failure.
 */
int cu_base64url_decode(const char *in, size_t in_len, uint8_t **ret,
                        size_t *ret_size) _must_check_;

/* Strict standard base64 (RFC 4648 section 4) with its padding; otherwise as above. */
int cu_base64_decode(const char *in, size_t in_len, uint8_t **ret, size_t *ret_size) _must_check_;

/*
 * Remove an incomplete UTF-8 sequence from the end of a NUL-terminated
 * string, as left by cutting it to fit a buffer (JSON needs valid UTF-8).
 */
void cu_utf8_trim_partial(char *s);

#endif
