/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: measured-boot event logs (TCG PC Client, legacy and
 * crypto-agile; the TDX CC event log): parse, replay every bank into PCRs and
 * into RTMRs, claims. A parsed log replays every bank it declares with a known
 * algorithm, and its events lie inside the input.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/evidence/eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cu_evlog log;
	struct cu_error err = { 0 };
	uint8_t pcrs[24][64], rtmrs[4][48];
	bool ext[4];

	if (cu_evlog_parse(data, size, &log, &err) < 0) {
		if (err.message[0] == '\0' || !err.stage)
			abort();
		return 0;
	}
	for (size_t i = 0; i < log.n_events; i++) {
		const struct cu_evlog_event *e = &log.events[i];

		if (e->data_size && (e->data < data || e->data + e->data_size > data + size))
			abort();
		for (size_t b = 0; b < log.n_banks; b++)
			if (!e->digest[b] || e->digest[b] < data ||
			    e->digest[b] + log.digest_size[b] > data + size)
				abort();
	}
	for (size_t b = 0; b < log.n_banks; b++) {
		json_t *c;
		int r = cu_evlog_replay_pcrs(&log, log.alg[b], pcrs, &err);

		if (r < 0 && r != CU_ERR_NOT_FOUND && r != CU_ERR_MALFORMED)
			abort();
		c = cu_evlog_claims(&log, log.alg[b]);
		if (!c)
			abort();
		json_decref(c);
	}
	if (cu_evlog_replay_rtmrs(&log, rtmrs, ext, &err) < 0 && !err.stage)
		abort();
	cu_evlog_done(&log);
	return 0;
}
