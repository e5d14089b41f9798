/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEST stand-in for libnvidia-ml.so.1 at custos-agent's dlopen seam: there is
 * no GPU on the test machines. It implements the NVML entry points the agent
 * calls, with NVIDIA's structure layouts, answering for
 * $CUSTOS_NVML_STANDIN_GPUS (default 2) simulated H100s of the
 * custos-gpu-sim directory $CUSTOS_NVML_STANDIN_DIR: their reports carry the
 * caller's nonce and are signed by the simulator's attestation key. Setting
 * the GPUs ready writes DIR/ready, so a test can tell when the agent did it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/gpu-builder.h"

#define EXPORT __attribute__((visibility("default")))

struct report {
	unsigned int cec_present, report_size, cec_report_size;
	unsigned char nonce[32];
	unsigned char report[0x2000];
	unsigned char cec_report[0x1000];
};

struct certificate {
	unsigned int cert_chain_size, attestation_cert_chain_size;
	unsigned char cert_chain[0x1000];
	unsigned char attestation_cert_chain[0x1400];
};

static const char *dir(void)
{
	return getenv("CUSTOS_NVML_STANDIN_DIR");
}

static unsigned int gpus(void)
{
	const char *n = getenv("CUSTOS_NVML_STANDIN_GPUS");

	return n ? (unsigned int)atoi(n) : 2;
}

EXPORT int nvmlInit_v2(void);
EXPORT int nvmlShutdown(void);
EXPORT int nvmlDeviceGetCount_v2(unsigned int *n);
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev);
EXPORT int nvmlDeviceGetArchitecture(void *dev, unsigned int *arch);
EXPORT int nvmlDeviceGetUUID(void *dev, char *uuid, unsigned int size);
EXPORT int nvmlDeviceGetConfComputeGpuAttestationReport(void *dev, struct report *r);
EXPORT int nvmlDeviceGetConfComputeGpuCertificate(void *dev, struct certificate *c);
EXPORT int nvmlSystemSetConfComputeGpusReadyState(unsigned int ready);
EXPORT const char *nvmlErrorString(int r);

int nvmlInit_v2(void)
{
	return dir() ? 0 : 9; /* NVML_ERROR_DRIVER_NOT_LOADED */
}

int nvmlShutdown(void)
{
	return 0;
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
	*n = gpus();
	return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev)
{
	if (i >= gpus())
		return 2; /* NVML_ERROR_INVALID_ARGUMENT */
	*dev = (void *)(uintptr_t)(i + 1);
	return 0;
}

int nvmlDeviceGetArchitecture(void *dev, unsigned int *arch)
{
	const char *a = getenv("CUSTOS_NVML_STANDIN_ARCH");

	*arch = a ? (unsigned int)atoi(a) : 9; /* NVML_DEVICE_ARCH_HOPPER */
	return 0;
}

int nvmlDeviceGetUUID(void *dev, char *uuid, unsigned int size)
{
	snprintf(uuid, size, "GPU-STANDIN-%u", (unsigned int)(uintptr_t)dev - 1);
	return 0;
}

int nvmlDeviceGetConfComputeGpuAttestationReport(void *dev, struct report *r)
{
	struct gb_pki p;
	struct gb_report_opts o;
	size_t size, sig;
	uint8_t *rep;
	char *chain;

	gb_sim_load(dir(), &p, &chain);
	gb_report_defaults(&o);
	memcpy(o.nonce, r->nonce, 32);
	rep = gb_report(&p, &o, &size, &sig);
	memcpy(r->report, rep, size);
	r->report_size = (unsigned int)size;
	free(rep);
	free(chain);
	EVP_PKEY_free(p.leaf_key);
	return 0;
}

int nvmlDeviceGetConfComputeGpuCertificate(void *dev, struct certificate *c)
{
	struct gb_pki p;
	char *chain;
	size_t n;

	gb_sim_load(dir(), &p, &chain);
	n = strlen(chain);
	if (n > sizeof(c->attestation_cert_chain))
		abort();
	memcpy(c->attestation_cert_chain, chain, n);
	c->attestation_cert_chain_size = (unsigned int)n;
	free(chain);
	EVP_PKEY_free(p.leaf_key);
	return 0;
}

int nvmlSystemSetConfComputeGpusReadyState(unsigned int ready)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ready", dir());
	f = fopen(path, "w");
	if (!f)
		return 999;
	fprintf(f, "%u\n", ready);
	fclose(f);
	return 0;
}

const char *nvmlErrorString(int r)
{
	return r == 9 ? "Driver Not Loaded" : "Unknown Error";
}
