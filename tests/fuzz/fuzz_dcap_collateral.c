/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: Intel collateral JSON (PCS TCB info and QE identity,
 * dcap-qvl bundles) as the collateral loader splits it and as the verifier
 * reads it, with the real quote, chains and CRLs of tests/fuzz/dcap
 * ($CUSTOS_FUZZ_DCAP). Loading either fails with a reason and keeps nothing,
 * or the verification that follows fails cleanly or yields a known status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <custos/custos.h>

#include "../../src/base/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const base_files[] = { "tcb_info_issuer_chain.pem", "pck_crl.der",
	                                  "root_ca_crl.der", "pck_crl_issuer_chain.pem" };

static uint8_t *quote;
static size_t quote_size;

static cu_verifier *fresh_verifier(void)
{
	const char *dir = getenv("CUSTOS_FUZZ_DCAP");
	char path[4096];
	cu_verifier *v;

	if (cu_verifier_new(&v, NULL) < 0)
		abort();
	for (size_t i = 0; dir && i < sizeof(base_files) / sizeof(base_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, base_files[i]);
		if (cu_verifier_add_collateral(v, path, NULL) <= 0)
			abort();
	}
	if (dir && !quote) {
		snprintf(path, sizeof(path), "%s/quote.bin", dir);
		if (cu_read_file(path, 1 << 20, &quote, &quote_size, NULL) < 0)
			abort();
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const statuses[] = { "UpToDate",
		                                "SWHardeningNeeded",
		                                "ConfigurationNeeded",
		                                "ConfigurationAndSWHardeningNeeded",
		                                "OutOfDate",
		                                "OutOfDateConfigurationNeeded" };
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1751328000 }; /* 2025-07-01T00:00:00Z */
	cu_verifier *v = fresh_verifier();
	json_t *j = NULL;
	int k;

	k = cu_verifier_add_collateral_mem(v, data, size, "fuzz", &err);
	if (k < 0 && (err.message[0] == '\0' || !err.stage))
		abort();
	if (quote) {
		k = cu_verify(v, "tdx", quote, quote_size, &o, &j, &err);
		if (k < 0) {
			if (j || err.message[0] == '\0' || !err.stage)
				abort();
		} else {
			const char *s = json_string_value(json_object_get(j, "tcb_status"));
			bool known = false;

			for (size_t i = 0; s && i < sizeof(statuses) / sizeof(statuses[0]); i++)
				known |= !strcmp(s, statuses[i]);
			if (!known)
				abort();
		}
		json_decref(j);
	}
	cu_verifier_free(v);
	return 0;
}
