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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cu_verifier *v;
	struct cu_snp_report r, before;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1700000000 };
	json_t *j = NULL;
	int k;

	if (!v && cu_verifier_new(&v, NULL) < 0)
		abort();

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

	/* Without collateral nothing may verify. */
	if (cu_verify(v, "snp", data, size, &o, &j, &err) == 0)
		abort();
	if (j)
		abort();
	return 0;
}
