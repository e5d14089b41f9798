/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-agent platform: what this machine offers for attestation, and a
 * plain-language verdict ("does my machine support TDX or SEV?"). Reads only:
 * CPU flags, device nodes, configfs-tsm, TPM devices, and the NVIDIA driver's
 * confidential-computing state through NVML when it is installed (loaded at
 * run time; optional).
 *
 * CUSTOS_AGENT_SYSROOT (tests only) prefixes every path read.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "agent-platform.h"

static char *path_of(const char *p)
{
	const char *root = getenv("CUSTOS_AGENT_SYSROOT");
	char *out;

	if (asprintf(&out, "%s%s", root ? root : "", p) < 0)
		return NULL;
	return out;
}

static bool exists(const char *p)
{
	char *full = path_of(p);
	struct stat st;
	bool r = full && stat(full, &st) == 0;

	free(full);
	return r;
}

/* The "flags" line of the first processor in /proc/cpuinfo, padded with spaces. */
static char *cpu_flags(void)
{
	char *full = path_of("/proc/cpuinfo"), *line = NULL, *out = NULL;
	size_t cap = 0;
	FILE *f = full ? fopen(full, "re") : NULL;

	free(full);
	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "flags", 5) && strchr(line, ':')) {
			line[strcspn(line, "\n")] = '\0';
			if (asprintf(&out, " %s ", strchr(line, ':') + 1) < 0)
				out = NULL;
			break;
		}
	}
	free(line);
	fclose(f);
	return out;
}

static bool has_flag(const char *flags, const char *flag)
{
	char pat[64];

	snprintf(pat, sizeof(pat), " %s ", flag);
	return flags && strstr(flags, pat);
}

/* NVIDIA confidential computing through NVML, when a driver and NVML are present. */
static json_t *nvidia_state(void)
{
	struct nvml_cc_state {
		unsigned int environment, cc_feature, dev_tools_mode;
	} st = { 0 };
	int (*init)(void), (*shutdown)(void), (*get)(struct nvml_cc_state *);
	json_t *j;
	void *lib;

	if (!exists("/proc/driver/nvidia/version"))
		return NULL;
	lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return json_pack("{s:b,s:s}", "driver", 1, "nvml", "not installed");
	init = (int (*)(void))dlsym(lib, "nvmlInit_v2");
	shutdown = (int (*)(void))dlsym(lib, "nvmlShutdown");
	get = (int (*)(struct nvml_cc_state *))dlsym(lib, "nvmlSystemGetConfComputeState");
	if (!init || !shutdown || !get || init() != 0) {
		dlclose(lib);
		return json_pack("{s:b,s:s}", "driver", 1, "nvml", "unusable");
	}
	j = get(&st) == 0
	        ? json_pack("{s:b,s:b,s:b,s:i}", "driver", 1, "cc_enabled", st.cc_feature != 0,
	                    "devtools_mode", st.dev_tools_mode != 0, "environment", st.environment)
	        : json_pack("{s:b,s:s}", "driver", 1, "cc_state", "not reported");
	shutdown();
	dlclose(lib);
	return j;
}

json_t *cu_agent_platform(void)
{
	char *flags = cpu_flags();
	bool snp = has_flag(flags, "sev_snp"), sev = has_flag(flags, "sev"),
	     tdx = has_flag(flags, "tdx_guest"), vm = has_flag(flags, "hypervisor");
	bool sev_guest = exists("/dev/sev-guest"), tdx_guest = exists("/dev/tdx_guest");
	bool nsm = exists("/dev/nsm"), tsm = exists("/sys/kernel/config/tsm/report");
	bool tpm = exists("/dev/tpmrm0") || exists("/dev/tpm0");
	json_t *gpu = nvidia_state(), *out;
	const char *tee, *verdict;

	if (snp || sev_guest) {
		tee = "sev-snp";
		verdict = sev_guest || tsm
		              ? "This is an AMD SEV-SNP confidential VM: it can produce "
		                "attestation reports."
		              : "This is an AMD SEV-SNP confidential VM, but neither "
		                "/dev/sev-guest nor configfs-tsm is available: load the "
		                "sev-guest kernel module.";
	} else if (tdx || tdx_guest) {
		tee = "tdx";
		verdict =
		    tsm ? "This is an Intel TDX confidential VM: it can produce TD quotes "
		          "(through configfs-tsm)."
		        : "This is an Intel TDX confidential VM, but configfs-tsm is not "
		          "available: quotes need a kernel with TSM reports (6.7 or later) and a "
		          "quote generation service.";
	} else if (nsm) {
		tee = "nitro";
		verdict =
		    "This is an AWS Nitro Enclave: /dev/nsm can produce attestation documents.";
	} else if (sev) {
		tee = "none";
		verdict =
		    "This VM uses AMD SEV memory encryption without SNP: SEV and SEV-ES guests "
		    "cannot produce attestation reports themselves. Use an SEV-SNP VM.";
	} else if (tpm) {
		tee = "tpm";
		verdict =
		    "No confidential-computing TEE, but a TPM: TPM quotes can attest the boot "
		    "chain, not protect memory from the host.";
	} else {
		tee = "none";
		verdict =
		    vm ? "No confidential-computing TEE: this is an ordinary virtual machine "
		         "(no sev_snp or tdx_guest CPU flag, no /dev/sev-guest, /dev/tdx_guest or "
		         "/dev/nsm)."
		       : "No confidential-computing TEE: no sev_snp or tdx_guest CPU flag, no "
		         "/dev/sev-guest, /dev/tdx_guest or /dev/nsm.";
	}
	out = json_pack("{s:s,s:s,s:{s:b,s:b,s:b,s:b,s:b},s:{s:b,s:b,s:b,s:b,s:b}}", "tee", tee,
	                "verdict", verdict, "cpu_flags", "sev", sev, "sev_es",
	                has_flag(flags, "sev_es"), "sev_snp", snp, "tdx_guest", tdx, "hypervisor",
	                vm, "devices", "sev-guest", sev_guest, "tdx_guest", tdx_guest, "nsm", nsm,
	                "tpm", tpm, "configfs_tsm", tsm);
	if (out && gpu)
		json_object_set_new(out, "nvidia_gpu", gpu);
	else
		json_decref(gpu);
	free(flags);
	return out;
}

int cu_agent_platform_print(bool as_json)
{
	json_t *p = cu_agent_platform(), *devices;
	const char *key;
	json_t *v;
	int r;

	if (!p)
		return 2;
	if (as_json) {
		char *s = json_dumps(p, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s ? s : "{}");
		free(s);
	} else {
		printf("%s\n\n", json_string_value(json_object_get(p, "verdict")));
		printf("CPU flags:");
		json_object_foreach (json_object_get(p, "cpu_flags"), key, v)
			printf(" %s=%s", key, json_is_true(v) ? "yes" : "no");
		printf("\nDevices:  ");
		devices = json_object_get(p, "devices");
		json_object_foreach (devices, key, v)
			printf(" %s=%s", key, json_is_true(v) ? "yes" : "no");
		if (json_object_get(p, "nvidia_gpu")) {
			char *g = json_dumps(json_object_get(p, "nvidia_gpu"), JSON_COMPACT);
			printf("\nNVIDIA:    %s", g ? g : "?");
			free(g);
		}
		putchar('\n');
	}
	r = strcmp(json_string_value(json_object_get(p, "tee")), "none") ? 0 : 1;
	json_decref(p);
	return r;
}
