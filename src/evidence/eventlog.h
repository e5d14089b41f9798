/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measured-boot event logs: the TCG PC Client Platform Firmware Profile log
 * (crypto-agile, "Spec ID Event03", and the legacy SHA-1 format), as TPM
 * firmware writes it and as TDX firmware writes its CC event log (CCEL,
 * where an event's index is the measurement register: 1..4 = RTMR0..3).
 * The log is untrusted until its replay equals registers that evidence signed.
 */
#ifndef CU_EVIDENCE_EVENTLOG_H
#define CU_EVIDENCE_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <custos/error.h>

#include "../base/macro.h"

#define CU_EVLOG_MAX_BANKS 8u

#define CU_TPM_ALG_SHA1   0x0004
#define CU_TPM_ALG_SHA256 0x000b
#define CU_TPM_ALG_SHA384 0x000c
#define CU_TPM_ALG_SHA512 0x000d

#define CU_EV_NO_ACTION                     0x00000003u
#define CU_EV_IPL                           0x0000000du
#define CU_EV_EFI_VARIABLE_DRIVER_CONFIG    0x800000e0u
#define CU_EV_EFI_BOOT_SERVICES_APPLICATION 0x80000003u

struct cu_evlog_event {
	uint32_t index; /* PCR, or CC measurement register */
	uint32_t type;
	const uint8_t *digest[CU_EVLOG_MAX_BANKS]; /* by bank, into the log's buffer */
	const uint8_t *data;
	uint32_t data_size;
};

struct cu_evlog {
	bool crypto_agile;
	size_t n_banks;
	uint16_t alg[CU_EVLOG_MAX_BANKS];
	size_t digest_size[CU_EVLOG_MAX_BANKS];
	struct cu_evlog_event *events;
	size_t n_events;
	int startup_locality; /* -1: no StartupLocality event */
};

/* The digest of TPM_ALG_ID `alg` (SHA-1, SHA-256, SHA-384, SHA-512), or NULL. */
const EVP_MD *cu_tpm_alg_md(uint16_t alg);

/* Parse a log; it points into buf, which must outlive it. */
int cu_evlog_parse(const uint8_t *buf, size_t size, struct cu_evlog *log,
                   struct cu_error *err) _must_check_;
void cu_evlog_done(struct cu_evlog *log);

/* The bank of algorithm `alg` (TPM_ALG_ID), or -1. */
int cu_evlog_bank(const struct cu_evlog *log, uint16_t alg);

/*
 * Replay into the 24 PCRs of bank `alg` as a TPM would: PCRs 0-16 and 23
 * start at zero, 17-22 at all ones, PCR0 at the StartupLocality when the log
 * has one; EV_NO_ACTION events are not extended. out[i] holds digest_size
 * bytes.
 */
int cu_evlog_replay_pcrs(const struct cu_evlog *log, uint16_t alg, uint8_t out[24][64],
                         struct cu_error *err) _must_check_;

/*
 * Replay a CC event log into RTMR0..3 (SHA-384, from zero; event index 1..4
 * is RTMR0..3; index 0, MRTD, is not extended from the log). extended[i]
 * says whether any event extended RTMR i.
 */
int cu_evlog_replay_rtmrs(const struct cu_evlog *log, uint8_t out[4][48], bool extended[4],
                          struct cu_error *err) _must_check_;

/*
 * What a policy needs from a replayed log, from the events of bank `alg`:
 * {"events": records in the log, "kernel_cmdline": "...", "grub_commands": [...],
 *  "boot_applications": ["hex", ...], "secure_boot": true|false}
 * (members absent when the log says nothing about them).
 */
json_t *cu_evlog_claims(const struct cu_evlog *log, uint16_t alg);

#endif
