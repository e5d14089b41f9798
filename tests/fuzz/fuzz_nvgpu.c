/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: NVIDIA H100 GPU evidence (nvgpu), the SPDM 1.1
 * GET_MEASUREMENTS request and MEASUREMENTS response, raw or in Trustee's
 * JSON ({"arch", "uuid", "evidence", "certificate"}, alone or as
 * {"device_evidence_list": [...]}): inspect, and full verification at a time
 * when the corpus's device chains are valid, with the VBIOS RIM of the
 * trustee sample as collateral ($CUSTOS_FUZZ_NVGPU: tests/fuzz/nvgpu), so
 * that mutants reach the chain, signature, FWID and RIM stages. A raw report
 * carries no chain: it stops at the chain stage. Verification fails cleanly
 * or yields verified claims; an input that is a JSON object is also split
 * into its devices, which are 1..16 objects or a refusal with a reason.
 */
#include <stdlib.h>
#include <string.h>

#include <custos/custos.h>

#include "../../src/base/json.h"
#include "../../src/base/limits.h"
#include "../../src/evidence/nvgpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_split(const uint8_t *data, size_t size)
{
	struct cu_error err = { 0 };
	json_t *root = NULL, *devices = NULL, *d;
	size_t i;

	if (cu_json_parse((const char *)data, size, CU_LIMIT_EVIDENCE_SIZE, "nvgpu evidence", &root,
	                  NULL) < 0)
		return;
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	if (cu_nvgpu_split(root, &devices, &err) < 0) {
		if (devices || !err.message[0] || !err.stage)
			abort();
	} else {
		if (!json_is_array(devices) || json_array_size(devices) == 0 ||
		    json_array_size(devices) > CU_LIMIT_GPU_DEVICES)
			abort();
		json_array_foreach (devices, i, d)
			if (!json_is_object(d))
				abort();
	}
	json_decref(devices);
	json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cu_verifier *v;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1748736000 }; /* 2025-06-01T00:00:00Z */
	json_t *j = NULL;

	if (!v) {
		const char *dir = getenv("CUSTOS_FUZZ_NVGPU");

		if (cu_verifier_new(&v, NULL) < 0 ||
		    (dir && cu_verifier_add_collateral(v, dir, NULL) <= 0))
			abort();
	}
	if (cu_inspect("nvgpu", data, size, &j, &err) == 0)
		json_decref(j);
	j = NULL;
	if (cu_verify(v, "nvgpu", data, size, &o, &j, &err) < 0) {
		if (j || !err.message[0] || !err.stage)
			abort();
	} else if (!j || !json_is_true(json_object_get(j, "verified"))) {
		abort();
	}
	json_decref(j);
	check_split(data, size);
	return 0;
}
