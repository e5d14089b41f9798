/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DCAP evidence Trustee guests send a KBS: TdxEvidence {"quote",
 * "cc_eventlog", "aa_eventlog"} and SgxEvidence {"quote"}, quotes and logs in
 * standard base64.
 */
#ifndef CU_EVIDENCE_DCAP_TRUSTEE_H
#define CU_EVIDENCE_DCAP_TRUSTEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

#include "../base/macro.h"

struct cu_dcap_trustee_evidence {
	uint8_t *quote;
	size_t quote_size;
	uint8_t *eventlog; /* the CC event log, or NULL */
	size_t eventlog_size;
};

/*
 * Decode it. The attestation agent's own event log (aa_eventlog, which
 * extends RTMR3 at run time) is accepted but neither checked nor used: it
 * contributes no claims.
 */
int cu_dcap_trustee_evidence_parse(const json_t *evidence, bool tdx,
                                   struct cu_dcap_trustee_evidence *ret,
                                   struct cu_error *err) _must_check_;
void cu_dcap_trustee_evidence_clear(struct cu_dcap_trustee_evidence *e);

#endif
