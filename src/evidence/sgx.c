/* SPDX-License-Identifier: Apache-2.0 */
/* Intel SGX: DCAP quotes v3, v4 and v5 with an enclave report body (see dcap.c). */
#include "dcap.h"

static bool sgx_detect(const uint8_t *buf, size_t size)
{
	return cu_dcap_detect(buf, size, CU_DCAP_TEE_SGX);
}

static int sgx_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	return cu_dcap_inspect(buf, size, CU_DCAP_TEE_SGX, ret, err);
}

static int sgx_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                      const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	return cu_dcap_verify(v, buf, size, CU_DCAP_TEE_SGX, opts, ret, err);
}

const struct cu_evidence_ops cu_sgx_ops = {
	.name = "sgx",
	.tee = "sgx",
	.detect = sgx_detect,
	.inspect = sgx_inspect,
	.verify = sgx_verify,
	.state_free = cu_dcap_state_free,
};
