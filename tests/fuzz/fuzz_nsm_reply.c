/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: custos-agent's reading of the NSM's CBOR response
 * (/dev/nsm, NSM_IOCTL_RAW) through the system-call seam: the input is what
 * the "kernel" writes back. A document comes out only as bytes that lie in
 * the response, and every refusal has a message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/agent-ioctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in;
static size_t in_size;

struct raw {
	uint64_t req, req_len, resp, resp_len;
};

static int f_open(const char *path, int flags)
{
	(void)path, (void)flags;
	return 3;
}

static int f_close(int fd)
{
	(void)fd;
	return 0;
}

static int f_ioctl(int fd, unsigned long request, void *arg)
{
	struct raw *r = arg;

	(void)fd, (void)request;
	if (in_size > r->resp_len) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy((void *)(uintptr_t)r->resp, in, in_size);
	r->resp_len = in_size;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cu_agent_sys sys = { f_open, f_ioctl, f_close };
	struct cu_error err = { 0 };
	uint8_t *doc = NULL, ud[64] = { 0 };
	size_t n = 0;

	in = data;
	in_size = size;
	if (cu_agent_nsm_attestation(&sys, "/dev/nsm", ud, sizeof(ud), NULL, 0, NULL, 0, &doc, &n,
	                             &err) == 0) {
		if (!doc || n == 0 || n > size || !memmem(data, size, doc, n))
			abort();
		free(doc);
	} else if (doc || !err.message[0]) {
		abort();
	}
	return 0;
}
