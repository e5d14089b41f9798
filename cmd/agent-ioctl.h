/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The legacy guest devices: /dev/sev-guest (SNP_GET_REPORT,
 * SNP_GET_EXT_REPORT; Linux include/uapi/linux/sev-guest.h) and
 * /dev/tdx_guest (TDX_CMD_GET_REPORT0; include/uapi/linux/tdx-guest.h).
 * System calls go through a seam so that the tests can stand in for the
 * kernel with captured real structures.
 */
#ifndef CU_CMD_AGENT_IOCTL_H
#define CU_CMD_AGENT_IOCTL_H

#include <stddef.h>
#include <stdint.h>

#include <custos/error.h>

struct cu_agent_sys {
	int (*open)(const char *path, int flags);
	int (*ioctl)(int fd, unsigned long request, void *arg);
	int (*close)(int fd);
};

/* The real system calls. */
extern const struct cu_agent_sys cu_agent_sys_linux;

#define CU_SNP_MSG_REPORT_SIZE 1184u
#define CU_TDX_REPORT_SIZE     1024u

/* An SEV-SNP report for REPORT_DATA at VMPL `vmpl` (0 unless the guest runs at another). */
int cu_agent_snp_report(const struct cu_agent_sys *sys, const char *dev, const uint8_t rd[64],
                        uint32_t vmpl, uint8_t report[CU_SNP_MSG_REPORT_SIZE],
                        struct cu_error *err);

/*
 * The same with the host's certificate table (GHCB 56421: VCEK or VLEK, ASK,
 * ARK), which is grown and asked again when the host says it needs more room.
 * *ret_certs is malloc'ed (may be empty when the host provides none).
 */
int cu_agent_snp_ext_report(const struct cu_agent_sys *sys, const char *dev, const uint8_t rd[64],
                            uint32_t vmpl, uint8_t report[CU_SNP_MSG_REPORT_SIZE],
                            uint8_t **ret_certs, size_t *ret_certs_size, struct cu_error *err);

/* A TDREPORT (local, MAC'ed: the quote comes through configfs-tsm) for REPORTDATA. */
int cu_agent_tdx_report(const struct cu_agent_sys *sys, const char *dev, const uint8_t rd[64],
                        uint8_t tdreport[CU_TDX_REPORT_SIZE], struct cu_error *err);

/*
 * AWS Nitro Enclaves: an attestation document from /dev/nsm (NSM_IOCTL_RAW,
 * Linux include/uapi/linux/nsm.h: a CBOR request {"Attestation": {"user_data",
 * "nonce", "public_key"}}, a CBOR response {"Attestation": {"document"}} or
 * {"Error": "..."}). Each of user_data, nonce, public_key may be absent
 * (NULL); each is at most 512 bytes. *ret_doc is malloc'ed.
 */
#define CU_NSM_FIELD_MAX 512u

int cu_agent_nsm_attestation(const struct cu_agent_sys *sys, const char *dev,
                             const uint8_t *user_data, size_t user_data_size, const uint8_t *nonce,
                             size_t nonce_size, const uint8_t *public_key, size_t public_key_size,
                             uint8_t **ret_doc, size_t *ret_size, struct cu_error *err);

#endif
