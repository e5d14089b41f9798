/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-agent's TPM 2.0 attester, through tpm2-tss (ESYS, and the TCTI
 * loader: /dev/tpmrm0 by default, swtpm or another TPM by a TCTI string).
 */
#ifndef CU_CMD_AGENT_TPM_H
#define CU_CMD_AGENT_TPM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

#define CU_AGENT_TPM_AK_HANDLE 0x81010002u

struct cu_agent_tpm {
	const char *tcti;     /* TCTI configuration ("device:/dev/tpmrm0", "swtpm:port=2321");
	                         NULL: $TPM2TOOLS_TCTI or the loader's default */
	uint32_t ak;          /* persistent handle of the AK */
	uint32_t pcrs;        /* bit i: quote PCR i of the SHA-256 bank */
	const char *eventlog; /* the firmware's event log, sent when readable; NULL: none */
};

/*
 * Make the AK: a restricted ECDSA P-256 (SHA-256) signing key fixed to this
 * TPM, a primary of the owner hierarchy, made persistent at t->ak (an AK
 * already there is kept). Writes its public key as PEM to *ret_pem: what the
 * verifier pins.
 */
int cu_agent_tpm_provision(const struct cu_agent_tpm *t, char **ret_pem, struct cu_error *err);

/*
 * TPM evidence (docs/tpm.md) for `qualifying` (at most 64 bytes): the AK's
 * TPMT_PUBLIC, a quote of t->pcrs by the AK, their values, and the event log.
 */
int cu_agent_tpm_evidence(const struct cu_agent_tpm *t, const uint8_t *qualifying, size_t size,
                          json_t **ret, struct cu_error *err);

/*
 * Credential activation, the guest's half: the request for custosd's
 * /v1/tpm/enroll ({"ek_public", "ek_cert", "ak_public"}: the TCG RSA EK, its
 * certificate from NV, the AK), then TPM2_ActivateCredential of what came
 * back (TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, marshalled), under the
 * EK's policy: the secret, into out[64].
 */
int cu_agent_tpm_enroll_request(const struct cu_agent_tpm *t, json_t **ret, struct cu_error *err);
int cu_agent_tpm_activate(const struct cu_agent_tpm *t, const uint8_t *blob, size_t blob_size,
                          const uint8_t *secret, size_t secret_size, uint8_t out[64],
                          size_t *out_size, struct cu_error *err);

/* "0,1,2,7" or "0-7,14" into a PCR mask. */
int cu_agent_tpm_parse_pcrs(const char *s, uint32_t *ret);

#endif
