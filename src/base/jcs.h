/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_BASE_JCS_H
#define CU_BASE_JCS_H

#include <stddef.h>

#include <jansson.h>

#include <custos/error.h>

#include "macro.h"

/*
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * cu_jcs_serialize writes the canonical form of `j`: no whitespace, object
 * members sorted by the UTF-16 code units of their names, strings escaped as
 * ECMAScript JSON.stringify does, numbers as ECMAScript Number.prototype.
 * toString. *ret is newly allocated and NUL-terminated (the output never
 * contains a NUL byte: one in a string is written \u0000); *ret_size (may be
 * NULL) excludes the NUL. Outputs are set only on success.
 *
 * Refused, with the path of the value in the message ("jcs: $.a[2]: ..."):
 *  - integers (json_integer) outside [-2^53, 2^53]: I-JSON numbers are IEEE
 *    754 doubles and these are not exact there (CU_ERR_UNSUPPORTED);
 *  - NaN and infinities, which JSON cannot express (CU_ERR_UNSUPPORTED; jansson
 *    does not create them, but cu_jcs_format_number refuses them);
 *  - arrays and objects nested deeper than CU_LIMIT_JSON_DEPTH (CU_ERR_TOO_LARGE);
 *  - strings or names that are not valid UTF-8, which jansson only lets in
 *    through its _nocheck functions (CU_ERR_MALFORMED).
 * CU_ERR_INVALID_ARG for a NULL `j` or `ret`, CU_ERR_NOMEM on allocation failure.
 */
int cu_jcs_serialize(const json_t *j, char **ret, size_t *ret_size,
                     struct cu_error *err) _must_check_;

/* Longest output of cu_jcs_format_number, NUL included ("-0.0000033333333333333327"). */
#define CU_JCS_NUMBER_MAX 32

/*
 * One double as ECMAScript Number.prototype.toString (RFC 8785 section 3.2.2.3):
 * the shortest decimal that reads back as `d`, without an exponent for
 * 1e-7 <= |d| < 1e21 ("0.000001", "123.5", "100000000000000000000"), otherwise
 * as "1e+21", "-5e-324", "1.7976931348623157e+308"; -0 is "0". Writes at most
 * CU_JCS_NUMBER_MAX bytes into buf. CU_ERR_UNSUPPORTED for NaN and infinities
 * (buf untouched).
 */
int cu_jcs_format_number(double d, char buf[static CU_JCS_NUMBER_MAX],
                         struct cu_error *err) _must_check_;

#endif
