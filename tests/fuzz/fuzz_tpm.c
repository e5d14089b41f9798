/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: TPM 2.0 evidence, and Azure confidential VMs' vTPM
 * evidence (az-snp-vtpm, az-tdx-vtpm: the HCL report, its runtime claims, the
 * SNP report or TD quote, the vTPM quote), inspect and full verification with
 * the corpus's GCE AK roots, both TPM samples' AKs and the Azure TDX sample's
 * Intel collateral ($CUSTOS_FUZZ_TPM: tests/fuzz/tpm), at a time when all of
 * them verify, SHA-1 allowed so that mutants of each reach every stage.
 *
 * Two input shapes: the JSON evidence as it is (members, base64, PCR lists,
 * the event log), or, so that mutations land in the TPM structures
 * themselves, a binary frame the target wraps into that JSON:
 *   bank (0 SHA1, 1 SHA256, 2 SHA384, 3 SHA512)
 *   u16 length, TPMS_ATTEST; u16 length, TPMT_SIGNATURE; u16 length, TPMT_PUBLIC
 *   the PCR values, bank-size bytes each, in selection order.
 * Verification fails cleanly or yields verified claims.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <custos/custos.h>

#include "../../src/base/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool take(const uint8_t **p, size_t *left, const uint8_t **out, size_t *n)
{
	if (*left < 2)
		return false;
	*n = (size_t)((*p)[0] << 8 | (*p)[1]);
	if (*left - 2 < *n)
		return false;
	*out = *p + 2;
	*p += 2 + *n;
	*left -= 2 + *n;
	return true;
}

/* The binary frame as JSON evidence, or NULL when it is not one. */
static char *frame_to_json(const uint8_t *data, size_t size)
{
	static const char *const banks[] = { "SHA1", "SHA256", "SHA384", "SHA512" };
	static const size_t sizes[] = { 20, 32, 48, 64 };
	const uint8_t *p = data + 1, *att, *sig, *pub;
	size_t left = size - 1, an, sn, pn, bank = data[0];
	json_t *ev, *pcrs = json_array();
	char *a = NULL, *s = NULL, *k = NULL, *out = NULL;

	if (bank > 3 || !take(&p, &left, &att, &an) || !take(&p, &left, &sig, &sn) ||
	    !take(&p, &left, &pub, &pn) || !pcrs) {
		json_decref(pcrs);
		return NULL;
	}
	for (; left >= sizes[bank] && json_array_size(pcrs) < 24; left -= sizes[bank]) {
		char hex[129];

		for (size_t i = 0; i < sizes[bank]; i++)
			snprintf(hex + 2 * i, 3, "%02x", p[i]);
		json_array_append_new(pcrs, json_string(hex));
		p += sizes[bank];
	}
	a = cu_base64_encode_alloc(att, an), s = cu_base64_encode_alloc(sig, sn),
	k = cu_base64_encode_alloc(pub, pn);
	ev = a && s && k ? json_pack("{s:s,s:{s:{s:s,s:s,s:O}}}", "ak_public", k, "quote",
	                             banks[bank], "attest_body", a, "attest_sig", s, "pcrs", pcrs)
	                 : NULL;
	if (ev)
		out = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	json_decref(pcrs);
	free(a);
	free(s);
	free(k);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cu_verifier *v;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = 1738368000 /* 2025-02-01 */,
		                    .insecure_allow_sha1 = true };
	const char *format = "tpm";
	json_t *j = NULL;
	char *framed = NULL;

	if (!v) {
		const char *dir = getenv("CUSTOS_FUZZ_TPM");

		if (cu_verifier_new(&v, NULL) < 0 ||
		    (dir && cu_verifier_add_collateral(v, dir, NULL) <= 0))
			abort();
	}
	if (size > 0 && data[0] != '{' && (framed = frame_to_json(data, size))) {
		data = (const uint8_t *)framed;
		size = strlen(framed);
	}
	if (memmem(data, size, "\"hcl_report\"", 12))
		format = memmem(data, size, "\"td_quote\"", 10) ? "az-tdx-vtpm" : "az-snp-vtpm";
	if (cu_inspect(format, data, size, &j, &err) == 0)
		json_decref(j);
	j = NULL;
	if (cu_verify(v, format, data, size, &o, &j, &err) < 0) {
		if (j || !err.message[0] || !err.stage)
			abort();
	} else if (!j || !json_is_true(json_object_get(j, "verified"))) {
		abort();
	}
	json_decref(j);
	free(framed);
	return 0;
}
