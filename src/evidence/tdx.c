/* SPDX-License-Identifier: Apache-2.0 */
/* Intel TDX: DCAP quotes v4 and v5 with a TD report body (see dcap.c). */
#include "dcap.h"

static bool tdx_detect(const uint8_t *buf, size_t size)
{
	return cu_dcap_detect(buf, size, CU_DCAP_TEE_TDX);
}

static int tdx_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	return cu_dcap_inspect(buf, size, CU_DCAP_TEE_TDX, ret, err);
}

static int tdx_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                      const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	return cu_dcap_verify(v, buf, size, CU_DCAP_TEE_TDX, opts, ret, err);
}

const struct cu_evidence_ops cu_tdx_ops = {
	.name = "tdx",
	.tee = "tdx",
	.detect = tdx_detect,
	.inspect = tdx_inspect,
	.verify = tdx_verify,
	.state_free = cu_dcap_state_free,
};
