/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: SEV-SNP evidence in the Trustee KBS form (the sev crate's
 * JSON report and cert_chain), and the verification of the rebuilt report
 * with the cert_chain's endorsement keys as per-call extra collateral.
 */
#include <stdlib.h>
#include <string.h>

#include <custos/custos.h>

#include "../../src/evidence/snp_trustee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * As in fuzz_snp.c: $CUSTOS_FUZZ_COLLATERAL (meson test points it at the
 * gsg-milan-v2-debug certificate table: its VCEK, the Milan ASK and ARK) lets
 * rebuilt reports reach the endorsement, chain and signature stages; a VCEK of
 * another Milan chip in cert_chain then chains to that ASK.
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
	struct cu_snp_trustee_evidence e, before;
	struct cu_error err = { 0 };
	/* 2026-01-01T00:00:00Z: inside the validity of the seeds' Milan VCEKs and ASK */
	struct cu_verify_opts o = { .at = 1767225600 };
	const uint8_t *extra[CU_SNP_TRUSTEE_MAX_CERTS];
	json_t *j = json_loadb((const char *)data, size, 0, NULL), *claims = NULL;
	int k;

	if (!j)
		return 0;
	memset(&e, 0xa5, sizeof(e));
	before = e;
	k = cu_snp_trustee_evidence_parse(j, &e, &err);
	json_decref(j);
	if (k < 0) {
		/* outputs untouched on failure, and a reason given */
		if (memcmp(&e, &before, sizeof(e)) != 0 || err.message[0] == '\0' || !err.stage)
			abort();
		return 0;
	}
	if (e.n_certs > CU_SNP_TRUSTEE_MAX_CERTS)
		abort();
	for (size_t i = 0; i < e.n_certs; i++) {
		if (!e.certs[i] || e.cert_sizes[i] == 0)
			abort();
		extra[i] = e.certs[i];
	}
	o.extra_collateral = extra;
	o.extra_collateral_sizes = e.cert_sizes;
	o.n_extra_collateral = e.n_certs;

	/* Verification either fails cleanly or yields verified claims. */
	k = cu_verify(verifier(), "snp", e.report, sizeof(e.report), &o, &claims, &err);
	if (k < 0) {
		if (claims || err.message[0] == '\0' || !err.stage)
			abort();
	} else if (!claims || !json_is_true(json_object_get(claims, "verified"))) {
		abort();
	}
	json_decref(claims);
	cu_snp_trustee_evidence_clear(&e);
	return 0;
}
