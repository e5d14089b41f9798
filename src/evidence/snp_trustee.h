/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_EVIDENCE_SNP_TRUSTEE_H
#define CU_EVIDENCE_SNP_TRUSTEE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

#include "snp.h"

#define CU_SNP_TRUSTEE_MAX_CERTS 4

struct cu_snp_trustee_evidence {
	uint8_t report[CU_SNP_REPORT_SIZE];
	uint8_t *certs[CU_SNP_TRUSTEE_MAX_CERTS]; /* VCEK/VLEK DER from cert_chain */
	size_t cert_sizes[CU_SNP_TRUSTEE_MAX_CERTS];
	size_t n_certs;
};

/* Rebuild the ATTESTATION_REPORT bytes from the sev crate's JSON form. */
int cu_snp_report_from_json(const json_t *report, uint8_t out[CU_SNP_REPORT_SIZE],
                            struct cu_error *err) _must_check_;

/* SnpEvidence {attestation_report, cert_chain} as Trustee guests send it. */
int cu_snp_trustee_evidence_parse(const json_t *evidence, struct cu_snp_trustee_evidence *ret,
                                  struct cu_error *err) _must_check_;
void cu_snp_trustee_evidence_clear(struct cu_snp_trustee_evidence *e);

/* The sev crate's JSON form of a raw report (what a guest sends a Trustee KBS). */
int cu_snp_report_to_json(const uint8_t *report, size_t size, json_t **ret,
                          struct cu_error *err) _must_check_;

#endif
