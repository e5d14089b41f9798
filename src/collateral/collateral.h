/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collateral: certificates and CRLs given to a verifier (files, directories,
 * memory). Formats classify what they need from it by content.
 */
#ifndef CU_COLLATERAL_H
#define CU_COLLATERAL_H

#include <jansson.h>
#include <openssl/x509.h>

#include <custos/error.h>

#include "../base/macro.h"

struct cu_collateral {
	STACK_OF(X509) * certs;
	STACK_OF(X509_CRL) * crls;
	/*
	 * JSON collateral: Intel TCB info and QE identity (see dcap_collateral.h),
	 * and public keys {"kind": "public_key", "jwk": {...} | "pem": "..."}.
	 */
	json_t *dcap_docs;
	unsigned n_files;
};

int cu_collateral_new(struct cu_collateral **ret);
void cu_collateral_free(struct cu_collateral *c);

/*
 * Load a file or a directory (recursively, CU_LIMIT_COLLATERAL_DEPTH levels,
 * entries in name order). Files that hold no certificate or CRL are skipped.
 * Returns the number of certificates and CRLs added, or a negative error;
 * on error nothing from `path` is kept.
 */
int cu_collateral_add_path(struct cu_collateral *c, const char *path,
                           struct cu_error *err) _must_check_;

/* Load certificates/CRLs from memory. Same return convention. */
int cu_collateral_add_mem(struct cu_collateral *c, const uint8_t *buf, size_t size,
                          const char *name, struct cu_error *err) _must_check_;

#endif
