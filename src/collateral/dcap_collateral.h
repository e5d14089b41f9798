/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP collateral in the shapes Intel's PCS and PCCS serve it: TCB
 * info ({"tcbInfo":{...},"signature":"hex"}) and QE identity
 * ({"enclaveIdentity":{...},"signature":"hex"}), whose signatures cover the
 * exact bytes of the inner object; and the QuoteCollateralV3 JSON bundle
 * that dcap-qvl and PCCS clients keep (bodies as strings, CRLs in hex,
 * issuer chains in PEM).
 */
#ifndef CU_DCAP_COLLATERAL_H
#define CU_DCAP_COLLATERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include <custos/error.h>

#include "../base/macro.h"

/* True when the buffer is a JSON object (collateral of this kind or not). */
bool cu_dcap_collateral_detect(const uint8_t *buf, size_t size);

/*
 * Split a JSON collateral file. Signed documents are appended to *docs (an
 * array, created when NULL) as {"kind": "tcb_info"|"qe_identity", "body":
 * exact signed text, "signature": hex}; certificates and CRLs of a bundle to
 * *certs / *crls. Returns the number of objects found (0: JSON but not DCAP
 * collateral), or a negative error with nothing appended.
 */
int cu_dcap_collateral_parse(const uint8_t *buf, size_t size, json_t **docs,
                             STACK_OF(X509) * *certs, STACK_OF(X509_CRL) * *crls,
                             struct cu_error *err) _must_check_;

#endif
