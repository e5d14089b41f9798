/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP ECDSA quotes (SGX and TDX), shared by sgx.c and tdx.c.
 * [QL]   Intel SGX ECDSA Quote Library API (quote v3)
 * [TDQL] Intel TDX DCAP Quoting Library API (quote v4, v5)
 * [PCK]  Intel SGX PCK Certificate and CRL Profile
 * [TCB]  Intel PCS API: TCB info v3, enclave identity v2, and the TCB level
 *        selection and status rules of the quote verification library.
 */
#ifndef CU_EVIDENCE_DCAP_H
#define CU_EVIDENCE_DCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../base/macro.h"
#include "evidence.h"

#define CU_DCAP_HEADER_SIZE     48u
#define CU_DCAP_SGX_REPORT_SIZE 384u
#define CU_DCAP_TD10_SIZE       584u
#define CU_DCAP_TD15_SIZE       648u

#define CU_DCAP_TEE_SGX 0x00000000u
#define CU_DCAP_TEE_TDX 0x00000081u

enum cu_dcap_body { CU_DCAP_BODY_SGX = 1, CU_DCAP_BODY_TD10 = 2, CU_DCAP_BODY_TD15 = 3 };

/* SGX REPORT_BODY [QL] A.4 (also the QE report). */
struct cu_dcap_sgx_report {
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t miscselect_raw[4];
	uint8_t isv_ext_prod_id[16];
	uint8_t attributes[16];
	uint8_t mr_enclave[32];
	uint8_t mr_signer[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id, isv_svn, config_svn;
	uint8_t isv_family_id[16];
	uint8_t report_data[64];
};

/* TD report body 1.0 and 1.5 [TDQL] A.3.2, A.4.2. */
struct cu_dcap_td_report {
	uint8_t tee_tcb_svn[16];
	uint8_t mr_seam[48], mr_signer_seam[48];
	uint8_t seam_attributes[8], td_attributes[8], xfam[8];
	uint8_t mr_td[48], mr_config_id[48], mr_owner[48], mr_owner_config[48];
	uint8_t rtmr[4][48];
	uint8_t report_data[64];
	uint8_t tee_tcb_svn2[16]; /* 1.5 only */
	uint8_t mr_servicetd[48]; /* 1.5 only */
};

struct cu_dcap_quote {
	uint16_t version, att_key_type;
	uint32_t tee_type;
	uint16_t qe_svn, pce_svn; /* v3 header only */
	uint8_t qe_vendor_id[16];
	uint8_t user_data[20];
	enum cu_dcap_body body_type;
	struct cu_dcap_sgx_report sgx;
	struct cu_dcap_td_report td;
	size_t signed_size; /* header and body: what the attestation key signs */
	uint8_t signature[64];
	uint8_t att_key[64];
	const uint8_t *qe_report_raw; /* 384 bytes, signed by the PCK key */
	struct cu_dcap_sgx_report qe_report;
	uint8_t qe_report_sig[64];
	const uint8_t *qe_auth;
	size_t qe_auth_size;
	const uint8_t *pck_chain; /* PEM, certification data type 5 */
	size_t pck_chain_size;
};

/* Parse a quote (v3, v4, v5); bytes after its signature data are ignored. */
int cu_dcap_quote_parse(const uint8_t *buf, size_t size, struct cu_dcap_quote *q,
                        struct cu_error *err) _must_check_;

/* Cheap detection: a DCAP quote header for this TEE type. */
bool cu_dcap_detect(const uint8_t *buf, size_t size, uint32_t tee_type);

/* The SGX extension of a PCK certificate [PCK] 1.3.5. */
struct cu_dcap_pck {
	uint8_t ppid[16];
	uint8_t tcb_comp[16];
	uint16_t pcesvn;
	uint8_t cpusvn[16];
	uint8_t pce_id[2];
	uint8_t fmspc[6];
	int sgx_type; /* 0 Standard, 1 Scalable, 2 ScalableWithIntegrity */
};

int cu_dcap_pck_parse(X509 *pck, struct cu_dcap_pck *ret, struct cu_error *err) _must_check_;

/* Claims of the quote's fields alone (unverified: for inspect). */
int cu_dcap_quote_fields(const struct cu_dcap_quote *q, json_t **ret);

int cu_dcap_inspect(const uint8_t *buf, size_t size, uint32_t tee_type, json_t **ret,
                    struct cu_error *err);
int cu_dcap_verify(cu_verifier *v, const uint8_t *buf, size_t size, uint32_t tee_type,
                   const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err);
void cu_dcap_state_free(void *state);

#endif
