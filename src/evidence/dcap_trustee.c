/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "dcap_trustee.h"

#define STAGE "parse"

static int b64_member(const json_t *ev, const char *key, size_t max, uint8_t **ret,
                      size_t *ret_size, struct cu_error *err)
{
	const json_t *j = json_object_get(ev, key);
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);

	if (!s)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: not a string", key);
	if (n > max / 3 * 4 + 4)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE, "%s: larger than %zu bytes", key, max);
	if (cu_base64_decode(s, n, ret, ret_size) < 0)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: not standard base64", key);
	return 0;
}

int cu_dcap_trustee_evidence_parse(const json_t *evidence, bool tdx,
                                   struct cu_dcap_trustee_evidence *ret, struct cu_error *err)
{
	struct cu_dcap_trustee_evidence e = { 0 };
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(evidence))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "%s evidence: expected {\"quote\": base64%s}", tdx ? "tdx" : "sgx",
		               tdx ? ", \"cc_eventlog\": base64 or null" : "");
	json_object_foreach ((json_t *)evidence, key, v) {
		if (!strcmp(key, "quote") || (tdx && !strcmp(key, "aa_eventlog")) ||
		    (tdx && !strcmp(key, "cc_eventlog")))
			continue;
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "%s evidence: unknown member \"%.64s\"", tdx ? "tdx" : "sgx", key);
	}
	if ((r = b64_member(evidence, "quote", CU_LIMIT_EVIDENCE_SIZE, &e.quote, &e.quote_size,
	                    err)) < 0)
		return r;
	v = json_object_get(evidence, "cc_eventlog");
	if (tdx && v && !json_is_null(v) &&
	    (r = b64_member(evidence, "cc_eventlog", CU_LIMIT_EVENTLOG_SIZE, &e.eventlog,
	                    &e.eventlog_size, err)) < 0) {
		cu_dcap_trustee_evidence_clear(&e);
		return r;
	}
	*ret = e;
	return 0;
}

void cu_dcap_trustee_evidence_clear(struct cu_dcap_trustee_evidence *e)
{
	free(e->quote);
	free(e->eventlog);
	memset(e, 0, sizeof(*e));
}
