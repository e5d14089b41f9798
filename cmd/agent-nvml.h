/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-agent's NVIDIA GPU evidence, through NVML (libnvidia-ml.so.1),
 * loaded at run time: a guest without GPUs, or without NVIDIA's driver,
 * carries nothing of it.
 */
#ifndef CU_CMD_AGENT_NVML_H
#define CU_CMD_AGENT_NVML_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

/* NVML's library: $CUSTOS_AGENT_NVML when set (tests), else libnvidia-ml.so.1. */
const char *cu_agent_nvml_library(void);

/*
 * Every GPU's SPDM attestation report for `nonce` and its attestation
 * certificate chain, as Trustee's device evidence list
 * {"device_evidence_list": [{"arch", "uuid", "evidence", "certificate"}]}
 * (base64, as Trustee's attester sends it). 1 and *ret when there are GPUs;
 * 0 and *ret NULL when NVML cannot be loaded or sees no GPU (an error
 * instead when `required`); negative on any other failure.
 */
int cu_agent_gpu_evidence(bool required, const uint8_t nonce[32], json_t **ret,
                          struct cu_error *err);

/*
 * Tell the driver the GPUs may now accept work (NVML's confidential-
 * computing "GPUs ready" state), once the attestation that covered them
 * was accepted. A driver without the call is not an error.
 */
int cu_agent_gpu_ready(struct cu_error *err);

#endif
