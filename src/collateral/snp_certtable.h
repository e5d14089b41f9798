/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_COLLATERAL_SNP_CERTTABLE_H
#define CU_COLLATERAL_SNP_CERTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <custos/error.h>

#include "../base/macro.h"

/*
 * The SEV-SNP certificate table that SNP_GET_EXT_REPORT and configfs-tsm's
 * auxblob return (GHCB specification 56421, section 4.1.8.1): entries of
 * { GUID[16], u32 offset, u32 length } ended by an all-zero entry, then the
 * DER certificates at those offsets from the start of the table.
 */

/* True when buf starts with a table entry whose GUID is a known AMD one. */
bool cu_snp_certtable_detect(const uint8_t *buf, size_t size);

/*
 * Parse the table and append its certificates to *certs (created when NULL
 * and there is a certificate to append).
 * Returns the number of certificates, or CU_ERR_MALFORMED / CU_ERR_TOO_LARGE
 * naming the entry; nothing is appended on error.
 */
int cu_snp_certtable_parse(const uint8_t *buf, size_t size, STACK_OF(X509) * *certs,
                           struct cu_error *err) _must_check_;

#endif
