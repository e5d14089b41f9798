/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the policy parser (and the reference-value parser on the
 * same bytes). A policy that loads must evaluate without failing, twice the
 * same way, and carry the SHA-256 of its bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <custos/appraisal.h>

#include "../../src/base/encoding.h"
#include "../../src/crypto/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char refvalues_doc[] =
    "{\"version\":1,\"sets\":{"
    "\"payments-image\":{\"values\":[\"aa\",{\"value\":\"bb\",\"not_before\":"
    "\"2026-01-01T00:00:00Z\"}]},"
    "\"min-fw\":{\"values\":[5,{\"value\":8,\"not_after\":\"2027-01-01T00:00:00Z\"}]}}}";

static const char claims_doc[] =
    "{\"tee\":\"sev-snp\",\"measurement\":\"aa\",\"debug\":false,"
    "\"snp\":{\"reported_tcb\":{\"snp\":8},\"policy\":{\"debug\":false}},"
    "\"submods\":{\"cpu0\":{\"ear.status\":\"affirming\","
    "\"ear.trustworthiness-vector\":{\"executables\":2},\"list\":[1,2,3]}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cu_refvalues *rv;
	static json_t *claims;
	cu_refvalues *rv2 = NULL;
	cu_policy *p = NULL;
	uint8_t md[32];
	char hex[65];

	if (!rv) {
		if (cu_refvalues_load(&rv, refvalues_doc, strlen(refvalues_doc), NULL) < 0)
			abort();
		claims = json_loads(claims_doc, 0, NULL);
		if (!claims)
			abort();
	}
	if (cu_refvalues_load(&rv2, (const char *)data, size, NULL) == 0) {
		json_t *a = cu_refvalues_active(rv2, "payments-image", 1767225600);
		json_decref(a);
		cu_refvalues_free(rv2);
	} else if (rv2) {
		abort(); /* output set on failure */
	}

	if (cu_policy_load(&p, (const char *)data, size, rv, NULL) < 0) {
		if (p)
			abort();
		return 0;
	}
	cu_sha256(data, size, md);
	cu_hex_encode(md, sizeof(md), hex);
	if (strcmp(hex, cu_policy_get_digest(p)))
		abort();
	for (int64_t at = 1700000000; at <= 1800000000; at += 50000000) {
		json_t *t1 = NULL, *t2 = NULL, *submod = NULL;
		if (cu_policy_get_kind(p) == CU_POLICY_RELEASE) {
			bool a = cu_policy_allows(p, claims, at, &t1);
			bool b = cu_policy_allows(p, claims, at, &t2);
			if (a != b || !t1 || !t2 || !json_equal(t1, t2))
				abort();
		} else if (cu_appraise(p, claims, at, &submod, &t1, NULL) < 0) {
			abort(); /* a loaded appraisal policy cannot fail to evaluate */
		}
		json_decref(t1);
		json_decref(t2);
		json_decref(submod);
	}
	cu_policy_free(p);
	return 0;
}
