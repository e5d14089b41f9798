/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 quotes, for formats that carry one (Azure confidential VMs' vTPM). */
#ifndef CU_EVIDENCE_TPM_H
#define CU_EVIDENCE_TPM_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <custos/custos.h>

#include "../base/macro.h"

/*
 * Verify one TPM2_Quote (`attest`: TPMS_ATTEST bytes) signed by `ak`, a key
 * the caller already trusts: the signature `sig`, TPM_GENERATED_VALUE and
 * TPM_ST_ATTEST_QUOTE, the qualifying data against opts->report_data (when
 * given), and the digest of `pcrs` (the selected PCRs of bank `bank`, a list
 * in selection order or an object by index) against pcrDigest. Adds
 * tpm.quote and tpm.<bank>.pcrN to `tpm`.
 */
int cu_tpm_check_quote(EVP_PKEY *ak, const uint8_t *attest, size_t attest_size,
                       const TPMT_SIGNATURE *sig, uint16_t bank, const json_t *pcrs,
                       const struct cu_verify_opts *opts, json_t *tpm,
                       struct cu_error *err) _must_check_;

#endif
