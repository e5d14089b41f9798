/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-agent's NVIDIA GPU evidence (see agent-nvml.h). The NVML entry
 * points and structures are those of NVIDIA's nvml.h (confidential
 * computing, r535 and later), declared here so that building needs no
 * NVIDIA headers.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/encoding.h"
#include "../src/base/error.h"
#include "../src/base/macro.h"
#include "agent-nvml.h"

#define STAGE "gpu"

typedef int nvml_return;
typedef struct nvml_device *nvml_device;

#define NVML_SUCCESS            0
#define NVML_DEVICE_ARCH_HOPPER 9
#define NVML_UUID_SIZE          96

/* nvmlConfComputeGpuAttestationReport_t */
struct nvml_report {
	unsigned int cec_present;
	unsigned int report_size;
	unsigned int cec_report_size;
	unsigned char nonce[32];
	unsigned char report[0x2000];
	unsigned char cec_report[0x1000];
};

/* nvmlConfComputeGpuCertificate_t */
struct nvml_certificate {
	unsigned int cert_chain_size;
	unsigned int attestation_cert_chain_size;
	unsigned char cert_chain[0x1000];
	unsigned char attestation_cert_chain[0x1400];
};

static struct {
	void *lib;
	nvml_return (*init)(void);
	nvml_return (*shutdown)(void);
	nvml_return (*count)(unsigned int *);
	nvml_return (*handle)(unsigned int, nvml_device *);
	nvml_return (*report)(nvml_device, struct nvml_report *);
	nvml_return (*certificate)(nvml_device, struct nvml_certificate *);
	nvml_return (*uuid)(nvml_device, char *, unsigned int);
	nvml_return (*arch)(nvml_device, unsigned int *);
	nvml_return (*ready)(unsigned int); /* optional */
	const char *(*error_string)(nvml_return);
} nvml;

const char *cu_agent_nvml_library(void)
{
	const char *e = getenv("CUSTOS_AGENT_NVML");

	return e && *e ? e : "libnvidia-ml.so.1";
}

static const char *why(nvml_return r)
{
	return nvml.error_string ? nvml.error_string(r) : "NVML error";
}

/* 0 loaded, 1 not installed, negative: installed but unusable. */
static int load(struct cu_error *err)
{
	struct {
		const char *name;
		void *fn;
		bool optional;
	} const syms[] = {
		{ "nvmlInit_v2", &nvml.init, false },
		{ "nvmlShutdown", &nvml.shutdown, false },
		{ "nvmlDeviceGetCount_v2", &nvml.count, false },
		{ "nvmlDeviceGetHandleByIndex_v2", &nvml.handle, false },
		{ "nvmlDeviceGetConfComputeGpuAttestationReport", &nvml.report, false },
		{ "nvmlDeviceGetConfComputeGpuCertificate", &nvml.certificate, false },
		{ "nvmlDeviceGetUUID", &nvml.uuid, false },
		{ "nvmlDeviceGetArchitecture", &nvml.arch, false },
		{ "nvmlSystemSetConfComputeGpusReadyState", &nvml.ready, true },
		{ "nvmlErrorString", &nvml.error_string, true },
	};

	if (nvml.lib)
		return 0;
	nvml.lib = dlopen(cu_agent_nvml_library(), RTLD_NOW | RTLD_LOCAL);
	if (!nvml.lib)
		return 1;
	for (size_t i = 0; i < ELEMENTSOF(syms); i++) {
		void *f = dlsym(nvml.lib, syms[i].name);

		if (!f && !syms[i].optional) {
			dlclose(nvml.lib);
			nvml.lib = NULL;
			return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
			               "gpu: %s has no %s (a driver before r535 has no "
			               "confidential-computing attestation)",
			               cu_agent_nvml_library(), syms[i].name);
		}
		memcpy(syms[i].fn, &f, sizeof(f));
	}
	return 0;
}

static char *b64(const unsigned char *p, size_t n)
{
	return cu_base64_encode_alloc(p, n);
}

static int device_evidence(unsigned int i, const uint8_t nonce[32], json_t *list,
                           struct cu_error *err)
{
	struct nvml_report *rep = calloc(1, sizeof(*rep));
	struct nvml_certificate *cert = calloc(1, sizeof(*cert));
	char uuid[NVML_UUID_SIZE] = "";
	unsigned int arch = 0;
	_cleanup_free_ char *ev = NULL, *chain = NULL;
	nvml_device dev;
	nvml_return r;
	json_t *d;
	int ret = 0;

	if (!rep || !cert) {
		ret = cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
		goto out;
	}
	memcpy(rep->nonce, nonce, 32);
	if ((r = nvml.handle(i, &dev)) != NVML_SUCCESS ||
	    (r = nvml.arch(dev, &arch)) != NVML_SUCCESS ||
	    (r = nvml.uuid(dev, uuid, sizeof(uuid))) != NVML_SUCCESS) {
		ret = cu_fail(err, CU_ERR_IO, STAGE, "gpu %u: %s", i, why(r));
		goto out;
	}
	if (arch != NVML_DEVICE_ARCH_HOPPER) {
		ret = cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		              "gpu %u (%.64s): architecture %u; only Hopper (H100) is attested", i,
		              uuid, arch);
		goto out;
	}
	if ((r = nvml.report(dev, rep)) != NVML_SUCCESS ||
	    (r = nvml.certificate(dev, cert)) != NVML_SUCCESS) {
		ret =
		    cu_fail(err, CU_ERR_IO, STAGE,
		            "gpu %u (%.64s): no attestation report: %s (is confidential computing "
		            "on?)",
		            i, uuid, why(r));
		goto out;
	}
	/* The sizes come from the driver: bounded by the structures, checked anyway. */
	if (rep->report_size == 0 || rep->report_size > sizeof(rep->report) ||
	    cert->attestation_cert_chain_size == 0 ||
	    cert->attestation_cert_chain_size > sizeof(cert->attestation_cert_chain)) {
		ret = cu_fail(err, CU_ERR_MALFORMED, STAGE,
		              "gpu %u (%.64s): report of %u bytes, chain of %u bytes", i, uuid,
		              rep->report_size, cert->attestation_cert_chain_size);
		goto out;
	}
	uuid[sizeof(uuid) - 1] = '\0';
	ev = b64(rep->report, rep->report_size);
	chain = b64(cert->attestation_cert_chain, cert->attestation_cert_chain_size);
	d = ev && chain ? json_pack("{s:s,s:s,s:s,s:s}", "arch", "HOPPER", "uuid", uuid, "evidence",
	                            ev, "certificate", chain)
	                : NULL;
	if (!d || json_array_append_new(list, d) < 0)
		ret = cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
out:
	free(rep);
	free(cert);
	return ret;
}

int cu_agent_gpu_evidence(bool required, const uint8_t nonce[32], json_t **ret,
                          struct cu_error *err)
{
	json_auto_t *list = NULL;
	unsigned int n = 0;
	nvml_return r;
	int k;

	*ret = NULL;
	k = load(err);
	if (k < 0)
		return k;
	if (k == 1)
		return required ? cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		                          "gpu: %s cannot be loaded: no NVIDIA driver",
		                          cu_agent_nvml_library())
		                : 0;
	if ((r = nvml.init()) != NVML_SUCCESS)
		return required ? cu_fail(err, CU_ERR_IO, STAGE, "gpu: nvmlInit: %s", why(r)) : 0;
	if ((r = nvml.count(&n)) != NVML_SUCCESS) {
		k = cu_fail(err, CU_ERR_IO, STAGE, "gpu: nvmlDeviceGetCount: %s", why(r));
		goto out;
	}
	if (n == 0) {
		k = required ? cu_fail(err, CU_ERR_NOT_FOUND, STAGE, "gpu: NVML sees no GPU") : 0;
		goto out;
	}
	if (!(list = json_array())) {
		k = cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < n; i++)
		if ((k = device_evidence(i, nonce, list, err)) < 0)
			goto out;
	*ret = json_pack("{s:O}", "device_evidence_list", list);
	k = *ret ? 1 : cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
out:
	nvml.shutdown();
	return k;
}

int cu_agent_gpu_ready(struct cu_error *err)
{
	nvml_return r;

	if (load(err) != 0 || !nvml.ready)
		return 0;
	if ((r = nvml.init()) != NVML_SUCCESS)
		return cu_fail(err, CU_ERR_IO, STAGE, "gpu: nvmlInit: %s", why(r));
	r = nvml.ready(1);
	nvml.shutdown();
	if (r != NVML_SUCCESS)
		return cu_fail(err, CU_ERR_IO, STAGE, "gpu: setting the GPUs ready: %s", why(r));
	return 0;
}
