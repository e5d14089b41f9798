/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA GPU attestation (nvgpu.c) and its reference integrity manifests
 * (rim.c): internal interfaces shared with custosd and the tests.
 */
#ifndef CU_EVIDENCE_NVGPU_H
#define CU_EVIDENCE_NVGPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include <custos/error.h>

#include "../base/macro.h"

/* The SPDM nonce of GET_MEASUREMENTS: the binding field of GPU evidence. */
#define CU_SPDM_NONCE_SIZE 32u
/* Measurement values of the H100 and of NVIDIA's RIMs: SHA-384. */
#define CU_RIM_VALUE_MAX 64u

/* One golden measurement of a RIM (a SWID Payload/Resource). */
struct cu_rim_measurement {
	unsigned index; /* RIM index i: SPDM measurement block i + 1 */
	bool active;
	unsigned n_alternatives;
	size_t size; /* bytes of each value */
	uint8_t (*values)[CU_RIM_VALUE_MAX];
	char name[64];
};

/* A RIM whose XML signature verified with the key of its first certificate. */
struct cu_rim {
	char version[64];       /* Meta/@colloquialVersion, lowercase */
	char product[64];       /* Meta/@product ("GH100") */
	char tag_id[160];       /* SoftwareIdentity/@tagId */
	STACK_OF(X509) * certs; /* KeyInfo's certificates, signer first; not yet chained */
	struct cu_rim_measurement *m;
	size_t n_m;
};

/*
 * Parse a SWID tag RIM and verify its enveloped XML-DSig signature
 * (xmlsec1, ECDSA-SHA384 over C14N 1.1, one reference to the whole
 * document) with the key of the first certificate of its KeyInfo. The
 * chain of those certificates is the caller's to verify. Refused: a DTD,
 * more than one signature, references other than the document itself.
 */
int cu_rim_parse(const uint8_t *xml, size_t size, struct cu_rim *ret,
                 struct cu_error *err) _must_check_;
void cu_rim_done(struct cu_rim *rim);

/* libxml2 and xmlsec1 (OpenSSL) initialised, once per process; false when they failed. */
bool cu_xmlsec_ready(void);

/* Whether a buffer looks like a SWID tag (collateral classification). */
bool cu_rim_detect(const uint8_t *buf, size_t size);

/*
 * NVIDIA GPU evidence as Trustee carries it, {"device_evidence_list": [...]}:
 * the devices, each a new JSON object {"arch", "uuid", "evidence",
 * "certificate"} that cu_verify (format "nvgpu") takes on its own.
 */
int cu_nvgpu_split(const json_t *evidence, json_t **ret_devices, struct cu_error *err) _must_check_;

#endif
