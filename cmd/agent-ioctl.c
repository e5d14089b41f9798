/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../src/base/error.h"
#include "../src/base/limits.h"
#include "agent-ioctl.h"

#define STAGE "attester"

/* include/uapi/linux/sev-guest.h, laid out here: older distribution headers lack it. */
struct snp_report_req {
	uint8_t user_data[64];
	uint32_t vmpl;
	uint8_t rsvd[28];
};

struct snp_report_resp {
	uint8_t data[4000];
};

struct snp_guest_request_ioctl {
	uint8_t msg_version;
	uint64_t req_data;
	uint64_t resp_data;
	union {
		uint64_t exitinfo2;
		struct {
			uint32_t fw_error;
			uint32_t vmm_error;
		};
	};
};

struct snp_ext_report_req {
	struct snp_report_req data;
	uint64_t certs_address;
	uint32_t certs_len;
};

/* include/uapi/linux/tdx-guest.h */
struct tdx_report_req {
	uint8_t reportdata[64];
	uint8_t tdreport[CU_TDX_REPORT_SIZE];
};

_Static_assert(sizeof(struct snp_report_req) == 96, "snp_report_req");
_Static_assert(sizeof(struct snp_guest_request_ioctl) == 32, "snp_guest_request_ioctl");
_Static_assert(sizeof(struct snp_ext_report_req) == 112, "snp_ext_report_req");

#define SNP_GET_REPORT      _IOWR('S', 0x0, struct snp_guest_request_ioctl)
#define SNP_GET_EXT_REPORT  _IOWR('S', 0x2, struct snp_guest_request_ioctl)
#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)

#define SNP_VMM_ERR_INVALID_LEN 1
#define SNP_CERTS_PAGE          4096u

static int sys_open(const char *path, int flags)
{
	return open(path, flags);
}

static int sys_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

const struct cu_agent_sys cu_agent_sys_linux = { sys_open, sys_ioctl, close };

/* MSG_REPORT_RSP (SEV-SNP ABI, Table 25): status, REPORT_SIZE, reserved, the report. */
static int report_from_resp(const struct snp_report_resp *resp, uint8_t *report,
                            struct cu_error *err)
{
	uint32_t status, size;

	memcpy(&status, resp->data, 4);
	memcpy(&size, resp->data + 4, 4);
	if (status != 0)
		return cu_fail(err, CU_ERR_IO, STAGE,
		               "sev-guest: the firmware answered status 0x%x", status);
	if (size != CU_SNP_MSG_REPORT_SIZE)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "sev-guest: a report of %u bytes (%u expected)", size,
		               CU_SNP_MSG_REPORT_SIZE);
	memcpy(report, resp->data + 32, CU_SNP_MSG_REPORT_SIZE);
	return 0;
}

/* 0, 1 when the ioctl failed (errno in *ret_errno), or a negative error when the device would not open. */
static int guest_request(const struct cu_agent_sys *sys, const char *dev, unsigned long request,
                         struct snp_guest_request_ioctl *g, int *ret_errno, struct cu_error *err)
{
	int fd = sys->open(dev, O_RDWR | O_CLOEXEC), r, e;

	if (fd < 0)
		return cu_fail(err, CU_ERR_NOT_FOUND, STAGE, "%s: %s", dev, strerror(errno));
	r = sys->ioctl(fd, request, g);
	e = errno;
	sys->close(fd);
	*ret_errno = r < 0 ? e : 0;
	return r < 0 ? 1 : 0;
}

static int request_failed(const char *dev, const struct snp_guest_request_ioctl *g, int e,
                          struct cu_error *err)
{
	return cu_fail(err, CU_ERR_IO, STAGE, "%s: %s (firmware error 0x%x, host error 0x%x)", dev,
	               strerror(e), g->fw_error, g->vmm_error);
}

int cu_agent_snp_report(const struct cu_agent_sys *sys, const char *dev, const uint8_t rd[64],
                        uint32_t vmpl, uint8_t report[CU_SNP_MSG_REPORT_SIZE], struct cu_error *err)
{
	struct snp_report_req req = { .vmpl = vmpl };
	struct snp_report_resp resp = { 0 };
	struct snp_guest_request_ioctl g = {
		.msg_version = 1,
		.req_data = (uint64_t)(uintptr_t)&req,
		.resp_data = (uint64_t)(uintptr_t)&resp,
	};
	int e, r;

	memcpy(req.user_data, rd, 64);
	if ((r = guest_request(sys, dev, SNP_GET_REPORT, &g, &e, err)) != 0)
		return r < 0 ? r : request_failed(dev, &g, e, err);
	return report_from_resp(&resp, report, err);
}

int cu_agent_snp_ext_report(const struct cu_agent_sys *sys, const char *dev, const uint8_t rd[64],
                            uint32_t vmpl, uint8_t report[CU_SNP_MSG_REPORT_SIZE],
                            uint8_t **ret_certs, size_t *ret_certs_size, struct cu_error *err)
{
	struct snp_ext_report_req req = { .data = { .vmpl = vmpl } };
	struct snp_report_resp resp = { 0 };
	struct snp_guest_request_ioctl g;
	uint8_t *certs = NULL;
	uint32_t len = 4 * SNP_CERTS_PAGE;
	int e, r;

	memcpy(req.data.user_data, rd, 64);
	for (int attempt = 0; attempt < 2; attempt++) {
		free(certs);
		if (len > CU_LIMIT_COLLATERAL_FILE_SIZE || len % SNP_CERTS_PAGE ||
		    !(certs = aligned_alloc(SNP_CERTS_PAGE, len)))
			return cu_fail(err, CU_ERR_TOO_LARGE, STAGE,
			               "%s: the host's certificates need %u bytes", dev, len);
		memset(certs, 0, len);
		req.certs_address = (uint64_t)(uintptr_t)certs;
		req.certs_len = len;
		g = (struct snp_guest_request_ioctl){
			.msg_version = 1,
			.req_data = (uint64_t)(uintptr_t)&req,
			.resp_data = (uint64_t)(uintptr_t)&resp,
		};
		if ((r = guest_request(sys, dev, SNP_GET_EXT_REPORT, &g, &e, err)) == 0) {
			if ((r = report_from_resp(&resp, report, err)) < 0) {
				free(certs);
				return r;
			}
			*ret_certs = certs;
			*ret_certs_size = req.certs_len;
			return 0;
		}
		if (r < 0) {
			free(certs);
			return r;
		}
		/* The host needs a larger buffer and said how large: once more. */
		if (g.vmm_error != SNP_VMM_ERR_INVALID_LEN || req.certs_len <= len)
			break;
		len = req.certs_len;
	}
	free(certs);
	return request_failed(dev, &g, e, err);
}

int cu_agent_tdx_report(const struct cu_agent_sys *sys, const char *dev, const uint8_t rd[64],
                        uint8_t tdreport[CU_TDX_REPORT_SIZE], struct cu_error *err)
{
	struct tdx_report_req req = { 0 };
	int fd = sys->open(dev, O_RDWR | O_CLOEXEC), r, e;

	if (fd < 0)
		return cu_fail(err, CU_ERR_NOT_FOUND, STAGE, "%s: %s", dev, strerror(errno));
	memcpy(req.reportdata, rd, 64);
	r = sys->ioctl(fd, TDX_CMD_GET_REPORT0, &req);
	e = errno;
	sys->close(fd);
	if (r < 0)
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: TDX_CMD_GET_REPORT0: %s", dev,
		               strerror(e));
	memcpy(tdreport, req.tdreport, CU_TDX_REPORT_SIZE);
	return 0;
}

/* ------------------------------------------------------------ /dev/nsm */

/* include/uapi/linux/nsm.h */
struct nsm_iovec {
	uint64_t addr;
	uint64_t len;
};

struct nsm_raw {
	struct nsm_iovec request;
	struct nsm_iovec response;
};

_Static_assert(sizeof(struct nsm_raw) == 32, "nsm_raw");

#define NSM_IOCTL_RAW         _IOWR(0x0A, 0x0, struct nsm_raw)
#define NSM_REQUEST_MAX_SIZE  0x1000u
#define NSM_RESPONSE_MAX_SIZE 0x3000u

/* CBOR (RFC 8949) head: major type and argument, in as few bytes as the argument needs. */
static size_t cbor_head(uint8_t *p, unsigned major, uint64_t v)
{
	uint8_t m = (uint8_t)(major << 5);

	if (v < 24) {
		p[0] = m | (uint8_t)v;
		return 1;
	}
	if (v < 0x100) {
		p[0] = m | 24, p[1] = (uint8_t)v;
		return 2;
	}
	p[0] = m | 25, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)v;
	return 3;
}

static size_t cbor_text(uint8_t *p, const char *s)
{
	size_t n = cbor_head(p, 3, strlen(s));

	memcpy(p + n, s, strlen(s));
	return n + strlen(s);
}

/* A byte string, or null when absent. */
static size_t cbor_bytes_or_null(uint8_t *p, const uint8_t *b, size_t len)
{
	size_t n;

	if (!b) {
		p[0] = 0xf6;
		return 1;
	}
	n = cbor_head(p, 2, len);
	memcpy(p + n, b, len);
	return n + len;
}

/* Read a head of definite length; -1 when it is not one or runs past the end. */
static int cbor_read_head(const uint8_t **p, const uint8_t *end, unsigned *major, uint64_t *v)
{
	unsigned ai, extra;

	if (*p >= end)
		return -1;
	*major = **p >> 5;
	ai = **p & 0x1f;
	(*p)++;
	if (ai < 24) {
		*v = ai;
		return 0;
	}
	if (ai > 27)
		return -1; /* indefinite lengths and reserved values: not from the NSM */
	extra = 1u << (ai - 24);
	if ((size_t)(end - *p) < extra)
		return -1;
	*v = 0;
	for (unsigned i = 0; i < extra; i++)
		*v = *v << 8 | *(*p)++;
	return 0;
}

/* A text or byte string of `major` whose bytes lie in [p, end). */
static int cbor_read_string(const uint8_t **p, const uint8_t *end, unsigned want, const uint8_t **s,
                            size_t *n)
{
	unsigned major;
	uint64_t v;

	if (cbor_read_head(p, end, &major, &v) < 0 || major != want || v > (uint64_t)(end - *p))
		return -1;
	*s = *p;
	*n = (size_t)v;
	*p += v;
	return 0;
}

static bool text_is(const uint8_t *s, size_t n, const char *want)
{
	return n == strlen(want) && !memcmp(s, want, n);
}

int cu_agent_nsm_attestation(const struct cu_agent_sys *sys, const char *dev,
                             const uint8_t *user_data, size_t user_data_size, const uint8_t *nonce,
                             size_t nonce_size, const uint8_t *public_key, size_t public_key_size,
                             uint8_t **ret_doc, size_t *ret_size, struct cu_error *err)
{
	uint8_t req[NSM_REQUEST_MAX_SIZE], *resp = NULL;
	const uint8_t *p, *end, *s;
	struct nsm_raw raw;
	size_t n = 0, sn;
	unsigned major;
	uint64_t v;
	int fd, r, e;

	if (user_data_size > CU_NSM_FIELD_MAX || nonce_size > CU_NSM_FIELD_MAX ||
	    public_key_size > CU_NSM_FIELD_MAX)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               "nsm: user_data, nonce and public_key are at most %u bytes each",
		               CU_NSM_FIELD_MAX);
	/* {"Attestation": {"user_data": ..., "nonce": ..., "public_key": ...}} */
	n += cbor_head(req + n, 5, 1);
	n += cbor_text(req + n, "Attestation");
	n += cbor_head(req + n, 5, 3);
	n += cbor_text(req + n, "user_data");
	n += cbor_bytes_or_null(req + n, user_data, user_data_size);
	n += cbor_text(req + n, "nonce");
	n += cbor_bytes_or_null(req + n, nonce, nonce_size);
	n += cbor_text(req + n, "public_key");
	n += cbor_bytes_or_null(req + n, public_key, public_key_size);
	if (!(resp = malloc(NSM_RESPONSE_MAX_SIZE)))
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	raw.request.addr = (uint64_t)(uintptr_t)req;
	raw.request.len = n;
	raw.response.addr = (uint64_t)(uintptr_t)resp;
	raw.response.len = NSM_RESPONSE_MAX_SIZE;
	if ((fd = sys->open(dev, O_RDWR | O_CLOEXEC)) < 0) {
		free(resp);
		return cu_fail(err, CU_ERR_NOT_FOUND, STAGE, "%s: %s", dev, strerror(errno));
	}
	r = sys->ioctl(fd, NSM_IOCTL_RAW, &raw);
	e = errno;
	sys->close(fd);
	if (r < 0) {
		free(resp);
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: %s%s", dev, strerror(e),
		               e == EPERM ? " (the NSM's raw interface needs CAP_SYS_ADMIN)" : "");
	}
	if (raw.response.len > NSM_RESPONSE_MAX_SIZE) {
		free(resp);
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "nsm: a response of %llu bytes",
		               (unsigned long long)raw.response.len);
	}
	/* {"Attestation": {"document": bytes}} or {"Error": "..."} */
	p = resp;
	end = resp + raw.response.len;
	r = -1;
	if (cbor_read_head(&p, end, &major, &v) == 0 && major == 5 && v == 1 &&
	    cbor_read_string(&p, end, 3, &s, &sn) == 0) {
		if (text_is(s, sn, "Error") && cbor_read_string(&p, end, 3, &s, &sn) == 0) {
			r = cu_fail(err, CU_ERR_IO, STAGE, "nsm: the NSM answered an error: %.*s",
			            (int)(sn < 64 ? sn : 64), (const char *)s);
			free(resp);
			return r;
		}
		if (text_is(s, sn, "Attestation") && cbor_read_head(&p, end, &major, &v) == 0 &&
		    major == 5 && v >= 1 && v <= 8) {
			for (uint64_t i = 0; i < v && r < 0; i++) {
				const uint8_t *k, *d;
				size_t kn, dn;

				if (cbor_read_string(&p, end, 3, &k, &kn) < 0 ||
				    !text_is(k, kn, "document") ||
				    cbor_read_string(&p, end, 2, &d, &dn) < 0 || dn == 0)
					break;
				if (!(*ret_doc = malloc(dn)))
					break;
				memcpy(*ret_doc, d, dn);
				*ret_size = dn;
				r = 0;
			}
		}
	}
	free(resp);
	return r == 0
	           ? 0
	           : cu_fail(err, CU_ERR_MALFORMED, STAGE,
	                     "nsm: the response is not {\"Attestation\": {\"document\": bytes}}");
}
