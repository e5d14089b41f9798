/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the DCAP quote parser (SGX and TDX, v3 to v5), inspect,
 * detection, and full verification against real Intel collateral
 * ($CUSTOS_FUZZ_DCAP: tests/fuzz/dcap), so that mutated quotes reach the
 * chain, QE and TCB stages.
 */
#include <stdlib.h>
#include <string.h>

#include <custos/custos.h>

#include "../../src/evidence/dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cu_verifier *verifier(void)
{
	static cu_verifier *v;
	const char *dir = getenv("CUSTOS_FUZZ_DCAP");

	if (v)
		return v;
	if (cu_verifier_new(&v, NULL) < 0)
		abort();
	if (dir && cu_verifier_add_collateral(v, dir, NULL) <= 0)
		abort();
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cu_dcap_quote q;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1751328000 }; /* 2025-07-01T00:00:00Z */
	json_t *j = NULL;
	int k;

	k = cu_dcap_quote_parse(data, size, &q, &err);
	if (k < 0) {
		if (err.message[0] == '\0' || !err.stage)
			abort();
	} else {
		/* every part of a parsed quote lies inside the input */
		if (q.signed_size > size || q.qe_report_raw < data ||
		    q.qe_report_raw + CU_DCAP_SGX_REPORT_SIZE > data + size || q.pck_chain < data ||
		    q.pck_chain + q.pck_chain_size > data + size || q.qe_auth < data ||
		    q.qe_auth + q.qe_auth_size > data + size)
			abort();
		/* a parsed quote always has fields, and inspect agrees */
		if (cu_dcap_quote_fields(&q, &j) < 0)
			abort();
		json_decref(j);
		j = NULL;
		if (cu_inspect(q.tee_type == CU_DCAP_TEE_TDX ? "tdx" : "sgx", data, size, &j,
		               &err) < 0)
			abort();
		json_decref(j);
		j = NULL;
	}
	(void)cu_detect_format(data, size);

	for (int t = 0; t < 2; t++) {
		k = cu_verify(verifier(), t ? "sgx" : "tdx", data, size, &o, &j, &err);
		if (k < 0) {
			if (j || err.message[0] == '\0' || !err.stage)
				abort();
		} else if (!j || !json_is_true(json_object_get(j, "verified")) ||
		           !json_is_string(json_object_get(j, "tcb_status"))) {
			abort();
		}
		json_decref(j);
		j = NULL;
	}
	return 0;
}
