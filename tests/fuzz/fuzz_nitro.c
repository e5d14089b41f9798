/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the CBOR/COSE layer and AWS Nitro attestation documents.
 * cu_cbor_load (the bounded scan, then libcbor), COSE_Sign1 parsing, inspect,
 * and full verification at a time when the evervault seed's chain is valid,
 * so mutants reach the chain and signature stages. A parsed COSE_Sign1 lies
 * inside the input; verification fails cleanly or yields verified claims.
 */
#include <stdlib.h>
#include <string.h>

#include <custos/custos.h>

#include "../../src/crypto/cose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cu_verifier *v;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1665651600 }; /* 2022-10-13T09:00:00Z */
	struct cu_cose_sign1 cose;
	cbor_item_t *item = NULL;
	json_t *j = NULL;

	if (!v && cu_verifier_new(&v, NULL) < 0)
		abort();
	if (cu_cbor_load(data, size, "fuzz", &item, &err) == 0)
		cbor_decref(&item);
	else if (!err.message[0])
		abort();
	if (cu_cose_sign1_parse(data, size, &cose, &err) == 0) {
		if (!cose.protected_raw || !cose.payload || !cose.signature)
			abort();
		cu_cose_sign1_done(&cose);
	}
	if (cu_inspect("nitro", data, size, &j, &err) == 0)
		json_decref(j);
	j = NULL;
	if (cu_verify(v, "nitro", data, size, &o, &j, &err) < 0) {
		if (j || !err.message[0] || !err.stage)
			abort();
	} else if (!j || !json_is_true(json_object_get(j, "verified"))) {
		abort();
	}
	json_decref(j);
	return 0;
}
