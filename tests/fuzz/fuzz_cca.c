/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: Arm CCA attestation tokens (the tag 399 collection, both
 * COSE_Sign1 tokens and their claims), inspect and full verification with the
 * public TEST platform key ($CUSTOS_FUZZ_CCA: tests/fuzz/cca), so that
 * mutants reach the signature and binding stages. Verification fails cleanly
 * or yields verified claims.
 */
#include <stdlib.h>

#include <custos/custos.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cu_verifier *v;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1 };
	json_t *j = NULL;

	if (!v) {
		const char *dir = getenv("CUSTOS_FUZZ_CCA");

		if (cu_verifier_new(&v, NULL) < 0 ||
		    (dir && cu_verifier_add_collateral(v, dir, NULL) <= 0))
			abort();
	}
	if (cu_inspect("cca", data, size, &j, &err) == 0)
		json_decref(j);
	j = NULL;
	if (cu_verify(v, "cca", data, size, &o, &j, &err) < 0) {
		if (j || !err.message[0] || !err.stage)
			abort();
	} else if (!j || !json_is_true(json_object_get(j, "verified"))) {
		abort();
	}
	json_decref(j);
	return 0;
}
