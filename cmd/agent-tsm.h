/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CMD_AGENT_TSM_H
#define CU_CMD_AGENT_TSM_H

#include <stddef.h>
#include <stdint.h>

#include <custos/error.h>

struct cu_tsm_evidence {
	uint8_t *outblob; /* the report (SEV-SNP) or quote (TDX) */
	size_t outblob_size;
	uint8_t *auxblob; /* SEV-SNP: the GHCB certificate table; may be empty */
	size_t auxblob_size;
	char provider[64]; /* "sev_guest", "tdx_guest", ... */
};

/* Evidence for these 64 bytes of report data through configfs-tsm. */
int cu_agent_tsm_report(const uint8_t report_data[64], struct cu_tsm_evidence *ret,
                        struct cu_error *err);
void cu_agent_tsm_clear(struct cu_tsm_evidence *e);

#endif
