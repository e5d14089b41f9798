/* SPDX-License-Identifier: Apache-2.0 */
/* AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP Firmware ABI specification 56860). */
#ifndef CU_EVIDENCE_SNP_H
#define CU_EVIDENCE_SNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

#include "../base/macro.h"

enum cu_snp_product {
	CU_SNP_PRODUCT_UNKNOWN = 0,
	CU_SNP_PRODUCT_MILAN,
	CU_SNP_PRODUCT_GENOA,
	CU_SNP_PRODUCT_TURIN,
};

enum cu_snp_signing_key {
	CU_SNP_KEY_VCEK = 0,
	CU_SNP_KEY_VLEK = 1,
	CU_SNP_KEY_NONE = 7,
};

#define CU_SNP_REPORT_SIZE        0x4A0u
#define CU_SNP_SIGNED_SIZE        0x2A0u
#define CU_SNP_SIG_COMPONENT_SIZE 72u

/* TCB_VERSION decoded (56860 Table 3; Turin layout has FMC and moves fields). */
struct cu_snp_tcb {
	uint64_t raw;
	uint8_t fmc; /* Turin only */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

struct cu_snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t vmpl;
	uint32_t signature_algo;
	uint64_t current_tcb;
	uint64_t platform_info;
	bool author_key_en;
	bool mask_chip_key;
	uint8_t signing_key;
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint8_t host_data[32];
	uint8_t id_key_digest[48];
	uint8_t author_key_digest[48];
	uint8_t report_id[32];
	uint8_t report_id_ma[32];
	uint64_t reported_tcb;
	uint8_t cpuid_fam_id; /* v3+ */
	uint8_t cpuid_mod_id; /* v3+ */
	uint8_t cpuid_step;   /* v3+ */
	uint8_t chip_id[64];
	uint64_t committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	uint64_t launch_tcb;
	uint64_t launch_mit_vector;               /* v5 */
	uint64_t current_mit_vector;              /* v5 */
	uint8_t sig_r[CU_SNP_SIG_COMPONENT_SIZE]; /* little-endian */
	uint8_t sig_s[CU_SNP_SIG_COMPONENT_SIZE]; /* little-endian */
};

/*
 * Parse a report field by field, rejecting unknown versions, wrong sizes and
 * non-zero reserved fields. *ret is untouched on failure.
 */
int cu_snp_report_parse(const uint8_t *buf, size_t size, struct cu_snp_report *ret,
                        struct cu_error *err) _must_check_;

/* The product line a v3+ report's CPUID family/model names, or UNKNOWN. */
enum cu_snp_product cu_snp_product_from_cpuid(uint8_t family, uint8_t model);

const char *cu_snp_product_name(enum cu_snp_product p);

void cu_snp_tcb_decode(uint64_t raw, enum cu_snp_product p, struct cu_snp_tcb *ret);

/*
 * Claims of a parsed report. `product` selects the TCB layout
 * (UNKNOWN: from the CPUID fields, Milan/Genoa layout when absent).
 */
int cu_snp_report_claims(const struct cu_snp_report *r, enum cu_snp_product product,
                         json_t **ret) _must_check_;

/* Compiled-in roots (snp_roots.c). */
struct cu_snp_root {
	enum cu_snp_product product;
	const char *pem;
	uint8_t sha256[32];
};
extern const struct cu_snp_root cu_snp_roots[];
extern const size_t cu_snp_n_roots;
extern const char *const cu_snp_intermediates[];

#endif
