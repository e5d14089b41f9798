/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the SEV-SNP report parser, the claims it produces, format
 * detection, and full verification (which must reject: no collateral).
 */
#include <stdlib.h>
#include <string.h>

#include <custos/custos.h>

#include "../../src/evidence/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * With $CUSTOS_FUZZ_COLLATERAL (a file or directory of AMD certificates; meson
 * test and `make fuzz` point it at a real VCEK and ASK), mutated reports reach
 * the endorsement, chain and signature stages too. Verification time is the
 * capture time of the seed reports' VCEK (gsg-milan-v2-debug).
 */
static cu_verifier *verifier(void)
{
	static cu_verifier *v;
	const char *collateral = getenv("CUSTOS_FUZZ_COLLATERAL");

	if (v)
		return v;
	if (cu_verifier_new(&v, NULL) < 0)
		abort();
	if (collateral && cu_verifier_add_collateral(v, collateral, NULL) <= 0)
		abort();
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cu_snp_report r, before;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1663981200 }; /* 2022-09-24T01:00:00Z */
	json_t *j = NULL;
	int k;

	memset(&r, 0xa5, sizeof(r));
	before = r;
	k = cu_snp_report_parse(data, size, &r, &err);
	if (k < 0) {
		/* outputs untouched on failure, and a reason given */
		if (memcmp(&r, &before, sizeof(r)) != 0 || err.message[0] == '\0' || !err.stage)
			abort();
	} else {
		/* a parsed report always yields claims, and inspect agrees with parse */
		if (cu_snp_report_claims(&r, CU_SNP_PRODUCT_UNKNOWN, &j) < 0)
			abort();
		json_decref(j);
		j = NULL;
		if (cu_inspect("snp", data, size, &j, &err) < 0)
			abort();
		json_decref(j);
		j = NULL;
	}
	(void)cu_detect_format(data, size);

	/* Verification either fails cleanly or yields verified claims of a parsed report. */
	k = cu_verify(verifier(), "snp", data, size, &o, &j, &err);
	if (k < 0) {
		if (j || err.message[0] == '\0' || !err.stage)
			abort();
	} else if (!j || !json_is_true(json_object_get(j, "verified")) ||
	           cu_snp_report_parse(data, size, &r, NULL) < 0) {
		abort();
	}
	json_decref(j);
	return 0;
}
