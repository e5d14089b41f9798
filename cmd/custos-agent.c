/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-agent, first step: a minimal client of the Trustee KBS protocol 0.4.0
 * that attests and fetches a resource. It talks to custosd and to any KBS
 * that speaks the protocol. Evidence comes from an attester back end; this
 * step has the simulated SEV-SNP platform (custos-snp-sim) for tests and
 * demos; the hardware back ends (configfs-tsm, /dev/sev-guest, ...) are the
 * agent's own issue.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jose/jose.h>
#include <openssl/crypto.h>

#include <custos/custos.h>

#include "../src/base/encoding.h"
#include "../src/base/error.h"
#include "../src/base/fileio.h"
#include "../src/base/jcs.h"
#include "../src/base/limits.h"
#include "../src/crypto/openssl-util.h"
#include "../src/crypto/sig.h"
#include "../src/crypto/x509.h"
#include "../src/evidence/snp_trustee.h"
#include "../src/collateral/snp_certtable.h"
#include "agent-ioctl.h"
#include "agent-platform.h"
#include "agent-tpm.h"
#include "agent-tsm.h"
#include "agent-nvml.h"
#include "https-client.h"

static const char *prog = "custos-agent";

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s platform [--json]\n"
	    "       %s token --url https://HOST:PORT [--ca FILE] [ATTESTER]\n"
	    "       %s evidence --report-data HEX [--out FILE [--force]] [ATTESTER]\n"
	    "       %s get-resource kbs:///REPO/TYPE/TAG --url https://HOST:PORT [--ca FILE]\n"
	    "                    [--out FILE [--force] | --exec CMD] [ATTESTER]\n"
	    "       %s tpm-provision [--out FILE [--force]] [TPM OPTIONS]\n"
	    "       %s tpm-enroll --url https://HOST:PORT [--ca FILE] [TPM OPTIONS]\n"
	    "\n"
	    "Attest to a KBS (custosd, or any server of the Trustee KBS protocol 0.4.0) and\n"
	    "fetch a resource, decrypted with a key that never leaves this process. The\n"
	    "resource goes to standard output, to a new file created 0600 (--out), or to a\n"
	    "command's standard input (--exec).\n"
	    "\n"
	    "  --url URL            the KBS (https only)\n"
	    "  --ca FILE            CA certificate to trust for it (default: the system's)\n"
	    "  --out FILE           write the resource to FILE, created 0600; an existing FILE\n"
	    "                       is refused unless --force\n"
	    "  --exec CMD           give the resource to CMD (via /bin/sh) on its standard input\n"
	    "                       instead of printing it; exit with CMD's status\n"
	    "\n"
	    "ATTESTER:\n"
	    "  --attester tsm       evidence through configfs-tsm: SEV-SNP (sev_guest) or TDX\n"
	    "                       (tdx_guest, with the CCEL event log); the default when\n"
	    "                       the kernel has it\n"
	    "  --attester sev-guest SEV-SNP through /dev/sev-guest (SNP_GET_EXT_REPORT, with\n"
	    "                       the host's certificates); the default otherwise\n"
	    "  --attester tdx-guest evidence only: the TDREPORT of /dev/tdx_guest\n"
	    "                       (TDX_CMD_GET_REPORT0), which only this machine can check\n"
	    "  --attester tpm       a TPM 2.0 quote (KBS tee \"tpm\") by the AK that\n"
	    "                       'tpm-provision' made, with the PCR values and the\n"
	    "                       firmware's event log; the default when there is no TEE\n"
	    "                       but a TPM\n"
	    "  --attester nsm       an AWS Nitro Enclaves attestation document from /dev/nsm,\n"
	    "                       the binding in user_data (KBS tee \"nitro\", a Custos\n"
	    "                       extension); the default inside an enclave\n"
	    "  --attester sim       evidence from a simulated SEV-SNP platform (INSECURE: for\n"
	    "                       tests and demos; the KBS must trust its test root)\n"
	    "  --sim-pki DIR        the simulator's TEST PKI (custos-snp-sim init DIR)\n"
	    "  --sim-measurement HEX, --sim-debug\n"
	    "                       the simulated workload's measurement and debug policy\n"
	    "  --sim-tool PATH      custos-snp-sim (default: found in PATH)\n"
	    "  --gpu auto|off|required\n"
	    "                       NVIDIA GPUs (H100) attested with the CPU, as the KBS's\n"
	    "                       additional evidence, through NVML loaded at run time\n"
	    "                       (libnvidia-ml.so.1); auto (default): when NVML sees GPUs.\n"
	    "                       Once the KBS accepted them, the GPUs are set ready\n"
	    "\n"
	    "TPM OPTIONS:\n"
	    "  --tpm-tcti CONF      the TPM's TCTI, e.g. device:/dev/tpmrm0 or\n"
	    "                       swtpm:host=127.0.0.1,port=2321 (default: $TPM2TOOLS_TCTI,\n"
	    "                       else /dev/tpmrm0)\n"
	    "  --tpm-ak HANDLE      persistent handle of the AK (default 0x81010002)\n"
	    "  --tpm-pcrs LIST      SHA-256 PCRs to quote, e.g. 0-7,14 (default 0-7)\n"
	    "\n"
	    "  token            attest and print the attestation result (an EAR JWT)\n"
	    "  evidence         print raw evidence for --report-data HEX (for 'custos verify')\n"
	    "  tpm-provision    make the TPM's attestation key once (a restricted ECDSA P-256\n"
	    "                   key of the owner hierarchy, persistent) and print its public\n"
	    "                   key: give it to the verifier (custosd's collateral/)\n"
	    "  tpm-enroll       register that AK with custosd by credential activation: the\n"
	    "                   EK certificate (from the TPM's NV) vouches for the TPM, and\n"
	    "                   only the TPM holding both keys recovers custosd's secret\n"
	    "  platform         what this machine offers for attestation (CPU flags, devices,\n"
	    "                   configfs-tsm, TPM, NVIDIA confidential computing) and a verdict;\n"
	    "                   exit 0 when a TEE or TPM is found, 1 when none\n"
	    "\n"
	    "Exit status: 0 the resource was fetched, 1 refused (the KBS's reason is printed),\n"
	    "2 usage error or unreachable KBS.\n",
	    prog, prog, prog, prog, prog, prog);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", prog, msg, prog);
	return 2;
}

/* One request; the reply body is parsed as JSON. Returns the HTTP status, or -1. */
static long request(struct cu_https *c, const char *url, const char *path, const json_t *body,
                    json_t **ret)
{
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	char *reply = NULL;
	size_t size = 0;
	struct cu_error err = { 0 };
	long status;

	(void)url;
	if (body && !text)
		return -1;
	status = cu_https_request(c, body ? "POST" : "GET", path, text, &reply, &size, &err);
	if (status < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return -1;
	}
	*ret = size ? json_loadb(reply, size, 0, NULL) : NULL;
	free(reply);
	if (status == 200 && !json_is_object(*ret)) {
		fprintf(stderr, "%s: the KBS's reply to %s is not JSON\n", prog, path);
		json_decref(*ret);
		*ret = NULL;
		return -1;
	}
	return status;
}

/* The KBS's reason for a refusal, in one line. */
static void refused(const char *step, long status, const json_t *reply)
{
	const char *detail = json_string_value(json_object_get(reply, "detail"));
	const char *type = json_string_value(json_object_get(reply, "type"));

	if (type && strrchr(type, '/'))
		type = strrchr(type, '/') + 1;
	fprintf(stderr, "%s: %s refused (HTTP %ld)%s%s%s%s\n", prog, step, status, type ? " " : "",
	        type ? type : "", detail ? ": " : "", detail ? detail : "");
}

/* A report from the simulator with REPORT_DATA = report_data_hex (up to 64 bytes). */
static int sim_report(const char *tool, const char *pki, const char *measurement, bool debug,
                      const char *report_data_hex, uint8_t report[CU_SNP_REPORT_SIZE])
{
	char cmd[8192];
	size_t n;
	FILE *p;

	if (strpbrk(pki, "'\\") || strpbrk(tool, "'\\") ||
	    strspn(report_data_hex, "0123456789abcdefABCDEF") != strlen(report_data_hex) ||
	    (measurement && strspn(measurement, "0123456789abcdefABCDEF") != strlen(measurement)))
		return usage_error(
		    "--sim-pki and --sim-tool: no quotes; hex values: hex digits only");
	snprintf(cmd, sizeof(cmd), "'%s' report --pki '%s' --report-data %s%s%s%s", tool, pki,
	         report_data_hex, measurement ? " --measurement " : "",
	         measurement ? measurement : "", debug ? " --policy-debug" : "");
	p = popen(cmd, "r");
	n = p ? fread(report, 1, CU_SNP_REPORT_SIZE, p) : 0;
	if (!p || pclose(p) != 0 || n != CU_SNP_REPORT_SIZE) {
		fprintf(stderr, "%s: the simulated platform gave no report (%s)\n", prog, cmd);
		return 2;
	}
	return 0;
}

/* Standard base64 with padding, as Trustee's evidence carries quotes and logs. */
static json_t *b64_std(const uint8_t *p, size_t n)
{
	char *out = cu_base64_encode_alloc(p, n);
	json_t *j = out ? json_string(out) : NULL;

	free(out);
	return j;
}

static char *sysroot_path(const char *p)
{
	const char *root = getenv("CUSTOS_AGENT_SYSROOT");
	char *out;

	return asprintf(&out, "%s%s", root ? root : "", p) < 0 ? NULL : out;
}

/*
 * The attester when none is named: configfs-tsm when the kernel has it (every
 * TEE through one interface), else the SEV-SNP guest device's ioctl.
 */
static const char *detect_attester(void)
{
	_cleanup_free_ char *tsm = sysroot_path("/sys/kernel/config/tsm/report");
	_cleanup_free_ char *sev = sysroot_path("/dev/sev-guest");

	if (tsm && access(tsm, F_OK) == 0)
		return "tsm";
	_cleanup_free_ char *tdx = sysroot_path("/dev/tdx_guest");
	_cleanup_free_ char *tpm = sysroot_path("/dev/tpmrm0");

	_cleanup_free_ char *nsm = sysroot_path("/dev/nsm");

	if (sev && access(sev, F_OK) == 0)
		return "sev-guest";
	if (nsm && access(nsm, F_OK) == 0)
		return "nsm";
	if (!(tdx && access(tdx, F_OK) == 0) && tpm && access(tpm, F_OK) == 0)
		return "tpm";
	return "tsm"; /* and its error says what is missing */
}

/* The TEE of this guest as the KBS names it, from its guest device. */
static const char *guest_tee(void)
{
	static const struct {
		const char *dev, *tee;
	} devs[] = { { "/dev/tdx_guest", "tdx" }, { "/dev/sev-guest", "snp" } };

	for (size_t i = 0; i < ELEMENTSOF(devs); i++) {
		_cleanup_free_ char *p = sysroot_path(devs[i].dev);

		if (p && access(p, F_OK) == 0)
			return devs[i].tee;
	}
	return NULL;
}

/*
 * TDX through configfs-tsm: TdxEvidence {"quote", "cc_eventlog"} with the
 * CC event log from the ACPI CCEL table when the guest can read it.
 */
static int tsm_tdx_evidence(const struct cu_tsm_evidence *ev, json_t **ret)
{
	_cleanup_free_ char *ccel = sysroot_path("/sys/firmware/acpi/tables/data/CCEL");
	_cleanup_free_ uint8_t *log = NULL;
	size_t log_size = 0;
	struct cu_error err = { 0 };
	json_t *q = b64_std(ev->outblob, ev->outblob_size), *l = NULL;

	if (ccel && access(ccel, R_OK) == 0) {
		if (cu_read_file(ccel, CU_LIMIT_EVENTLOG_SIZE, &log, &log_size, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			json_decref(q);
			return 2;
		}
		l = b64_std(log, log_size);
	}
	*ret = json_pack("{s:o,s:o}", "quote", q, "cc_eventlog", l ? l : json_null());
	return *ret ? 0 : 2;
}

/*
 * SnpEvidence as the sev crate serialises it: the report, and the VCEK or
 * VLEK from the host's certificate table (GHCB 56421), so that the verifier
 * needs no network.
 */
static int snp_evidence_json(const uint8_t *report, size_t size, const uint8_t *table,
                             size_t table_size, json_t **ret)
{
	STACK_OF(X509) *certs = NULL;
	struct cu_error err = { 0 };
	json_t *rep = NULL, *chain = NULL;

	if (cu_snp_report_to_json(report, size, &rep, &err) < 0 ||
	    (table_size && cu_snp_certtable_parse(table, table_size, &certs, &err) < 0)) {
		fprintf(stderr, "%s: SEV-SNP evidence: %s\n", prog, err.message);
		json_decref(rep);
		return 2;
	}
	for (int i = 0; certs && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		char cn[64];
		unsigned char *d = NULL;
		int len;
		json_t *der;

		cu_x509_subject_cn(x, cn, sizeof(cn));
		if (strcmp(cn, "SEV-VCEK") && strcmp(cn, "SEV-VLEK"))
			continue;
		if ((len = i2d_X509(x, &d)) <= 0)
			continue;
		der = json_array();
		for (int k = 0; der && k < len; k++)
			json_array_append_new(der, json_integer(d[k]));
		OPENSSL_free(d);
		if (!chain)
			chain = json_array();
		json_array_append_new(chain,
		                      json_pack("{s:s,s:o}", "cert_type", cn + 4, "data", der));
	}
	cu_x509_stack_freep(&certs);
	*ret = json_pack("{s:o,s:o}", "attestation_report", rep, "cert_chain",
	                 chain ? chain : json_null());
	return *ret ? 0 : 2;
}

/* configfs-tsm evidence for a binding: the SNP report and the VEK from auxblob, or a TDX quote. */
static int tsm_evidence(const uint8_t binding[48], json_t **ret)
{
	uint8_t rd[64] = { 0 };
	struct cu_tsm_evidence ev = { 0 };
	struct cu_error err = { 0 };
	int r;

	memcpy(rd, binding, 48);
	if (cu_agent_tsm_report(rd, &ev, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return 2;
	}
	if (!strcmp(ev.provider, "tdx_guest")) {
		r = tsm_tdx_evidence(&ev, ret);
		cu_agent_tsm_clear(&ev);
		return r;
	}
	if (strcmp(ev.provider, "sev_guest")) {
		fprintf(stderr,
		        "%s: configfs-tsm provider \"%s\": the agent speaks for sev_guest "
		        "(SEV-SNP) and tdx_guest (TDX)\n",
		        prog, ev.provider);
		cu_agent_tsm_clear(&ev);
		return 2;
	}
	r = snp_evidence_json(ev.outblob, ev.outblob_size, ev.auxblob, ev.auxblob_size, ret);
	cu_agent_tsm_clear(&ev);
	return r;
}

/* SEV-SNP through /dev/sev-guest (SNP_GET_EXT_REPORT), for kernels without configfs-tsm. */
static int sev_guest_evidence(const uint8_t binding[48], json_t **ret)
{
	_cleanup_free_ char *dev = sysroot_path("/dev/sev-guest");
	uint8_t rd[64] = { 0 }, report[CU_SNP_MSG_REPORT_SIZE];
	_cleanup_free_ uint8_t *certs = NULL;
	size_t certs_size = 0;
	struct cu_error err = { 0 };

	memcpy(rd, binding, 48);
	if (!dev || cu_agent_snp_ext_report(&cu_agent_sys_linux, dev, rd, 0, report, &certs,
	                                    &certs_size, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return 2;
	}
	return snp_evidence_json(report, sizeof(report), certs, certs_size, ret);
}

/* Evidence from the simulator: a report with REPORT_DATA = binding, and its VCEK. */
static int sim_evidence(const char *tool, const char *pki, const char *measurement, bool debug,
                        const uint8_t binding[48], json_t **ret)
{
	char hex[97], path[4096];
	uint8_t report[CU_SNP_REPORT_SIZE];
	_cleanup_free_ uint8_t *vcek = NULL;
	size_t vcek_size;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct cu_error err = { 0 };
	json_t *rep = NULL, *der;
	unsigned char *d = NULL;
	int len, r;

	cu_hex_encode(binding, 48, hex);
	if ((r = sim_report(tool, pki, measurement, debug, hex, report)) != 0)
		return r;
	/* The VCEK travels with the evidence, as the guest's certificate table would carry it. */
	snprintf(path, sizeof(path), "%s/vcek.pem", pki);
	if (cu_read_file(path, CU_LIMIT_COLLATERAL_FILE_SIZE, &vcek, &vcek_size, &err) < 0 ||
	    cu_x509_parse_any(vcek, vcek_size, &certs, &crls, &err) <= 0 ||
	    (len = i2d_X509(sk_X509_value(certs, 0), &d)) <= 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path,
		        err.message[0] ? err.message : "no VCEK");
		cu_x509_stack_freep(&certs);
		cu_crl_stack_freep(&crls);
		return 2;
	}
	cu_x509_stack_freep(&certs);
	cu_crl_stack_freep(&crls);
	der = json_array();
	for (int i = 0; der && i < len; i++)
		json_array_append_new(der, json_integer(d[i]));
	OPENSSL_free(d);
	if (cu_snp_report_to_json(report, sizeof(report), &rep, &err) < 0) {
		json_decref(der);
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return 2;
	}
	*ret = json_pack("{s:o,s:[{s:s,s:o}]}", "attestation_report", rep, "cert_chain",
	                 "cert_type", "VCEK", "data", der);
	return *ret ? 0 : 2;
}

/*
 * --exec CMD: run CMD (through /bin/sh) with the resource on its standard
 * input, so the secret never touches a file; our exit status is CMD's.
 */
static int run_with_secret(const char *cmd, const uint8_t *data, size_t size)
{
	int fds[2], status = 0;
	pid_t pid;
	size_t done = 0;

	if (pipe(fds) < 0)
		return 2;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return 2;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	while (done < size) {
		ssize_t w = write(fds[1], data + done, size - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(fds[1]);
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	if (!WIFEXITED(status)) {
		fprintf(stderr, "%s: --exec: the command did not exit normally\n", prog);
		return 2;
	}
	return WEXITSTATUS(status);
}

/*
 * To standard output, or to a new file created 0600; an existing file is
 * replaced only with --force (and made 0600).
 */
static bool force_out;

static int write_out(const char *out, const void *data, size_t size)
{
	int fd;
	size_t done = 0;

	if (!out)
		return fwrite(data, 1, size, stdout) == size && fflush(stdout) == 0 ? 0 : -1;
	fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force_out ? O_TRUNC : O_EXCL),
	          0600);
	if (fd < 0) {
		if (errno == EEXIST)
			fprintf(stderr, "%s: %s exists: not replaced (--force replaces it)\n", prog,
			        out);
		else
			fprintf(stderr, "%s: %s: cannot create: %s\n", prog, out, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, out, strerror(errno));
		close(fd);
		return -1;
	}
	while (done < size) {
		ssize_t w = write(fd, (const uint8_t *)data + done, size - done);

		if (w <= 0) {
			fprintf(stderr, "%s: %s: cannot write: %s\n", prog, out, strerror(errno));
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fprintf(stderr, "%s: %s: cannot write: %s\n", prog, out, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * AK registration by credential activation: custosd seals a secret to this
 * TPM's EK for the AK's Name; only this TPM can recover it.
 */
static int tpm_enroll(const struct cu_agent_tpm *tpm, const char *url, const char *ca)
{
	struct cu_https https;
	struct cu_error err = { 0 };
	json_auto_t *req = NULL, *reply = NULL, *act = NULL;
	_cleanup_free_ uint8_t *blob = NULL, *sealed = NULL;
	size_t blob_size = 0, sealed_size = 0, n = 0;
	uint8_t secret[64];
	const char *b, *e, *session;
	json_t *sj;
	long status;
	int r = 2;

	if (!url || strncmp(url, "https://", 8))
		return usage_error("--url https://HOST:PORT is required (https only)");
	if (cu_agent_tpm_enroll_request(tpm, &req, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return 2;
	}
	if (cu_https_init(&https, url, ca, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		cu_https_free(&https);
		return 2;
	}
	status = request(&https, url, "/v1/tpm/enroll", req, &reply);
	b = json_string_value(json_object_get(reply, "credential_blob"));
	e = json_string_value(json_object_get(reply, "encrypted_secret"));
	session = json_string_value(json_object_get(reply, "session"));
	if (status != 200 || !b || !e || !session) {
		if (status > 0)
			refused("enroll", status, reply);
		r = status > 0 ? 1 : 2;
		goto out;
	}
	if (cu_base64_decode(b, strlen(b), &blob, &blob_size) < 0 ||
	    cu_base64_decode(e, strlen(e), &sealed, &sealed_size) < 0) {
		fprintf(stderr, "%s: enroll: the credential is not base64\n", prog);
		goto out;
	}
	if (cu_agent_tpm_activate(tpm, blob, blob_size, sealed, sealed_size, secret, &n, &err) <
	    0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		r = 1;
		goto out;
	}
	sj = b64_std(secret, n);
	OPENSSL_cleanse(secret, sizeof(secret));
	act = sj ? json_pack("{s:s,s:o}", "session", session, "secret", sj) : NULL;
	json_decref(reply);
	reply = NULL;
	status = act ? request(&https, url, "/v1/tpm/activate", act, &reply) : -1;
	if (status != 200) {
		if (status > 0)
			refused("activate", status, reply);
		r = status > 0 ? 1 : 2;
		goto out;
	}
	fprintf(stderr, "%s: AK %s registered\n", prog,
	        json_string_value(json_object_get(reply, "ak_name")) ?: "");
	r = 0;
out:
	cu_https_free(&https);
	return r;
}

/*
 * The GPUs' evidence as the KBS's additional evidence (a JSON string
 * {"nvidia": {"device_evidence_list": [...]}}), each bound as Trustee binds
 * additional devices: SHA-384(JCS({"nonce", "tee-pubkey"})), its first 32
 * bytes the SPDM nonce. *ret stays NULL when there is no GPU.
 */
static int gpu_evidence(bool required, const char *nonce, const json_t *pub, char **ret)
{
	json_auto_t *binding = json_pack("{s:s,s:O}", "nonce", nonce, "tee-pubkey", pub);
	json_auto_t *gpus = NULL, *map = NULL;
	_cleanup_free_ char *canon = NULL;
	struct cu_error err = { 0 };
	uint8_t digest[48];
	size_t n;
	int k;

	if (!binding || cu_jcs_serialize(binding, &canon, &n, &err) < 0)
		return 2;
	cu_sha384(canon, n, digest);
	k = cu_agent_gpu_evidence(required, digest, &gpus, &err);
	if (k < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return 2;
	}
	if (k == 0)
		return 0;
	map = json_pack("{s:O}", "nvidia", gpus);
	*ret = map ? json_dumps(map, JSON_COMPACT) : NULL;
	if (*ret)
		fprintf(stderr, "%s: %zu GPU(s) attested with the CPU\n", prog,
		        json_array_size(json_object_get(gpus, "device_evidence_list")));
	return *ret ? 0 : 2;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "ca", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "exec", required_argument, NULL, 'x' },
		{ "force", no_argument, NULL, 'f' },
		{ "attester", required_argument, NULL, 'a' },
		{ "sim-pki", required_argument, NULL, 'p' },
		{ "sim-measurement", required_argument, NULL, 'm' },
		{ "sim-debug", no_argument, NULL, 'd' },
		{ "sim-tool", required_argument, NULL, 't' },
		{ "report-data", required_argument, NULL, 'r' },
		{ "tpm-tcti", required_argument, NULL, 'T' },
		{ "tpm-ak", required_argument, NULL, 'K' },
		{ "tpm-pcrs", required_argument, NULL, 'P' },
		{ "gpu", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *ca = NULL, *out = NULL, *attester = NULL, *pki = NULL;
	const char *measurement = NULL, *tool = "custos-snp-sim", *uri, *nonce, *cmd;
	const char *report_data = NULL, *exec_cmd = NULL, *tee, *gpu = "auto";
	bool debug = false;
	struct cu_agent_tpm tpm = { .ak = CU_AGENT_TPM_AK_HANDLE, .pcrs = 0xff };
	_cleanup_free_ char *eventlog =
	    sysroot_path("/sys/kernel/security/tpm0/binary_bios_measurements");
	json_auto_t *reply = NULL, *jwk = NULL, *pub = NULL, *binding = NULL, *evidence = NULL,
	            *body = NULL;
	_cleanup_free_ char *canon = NULL, *additional = NULL;
	struct cu_error err = { 0 };
	char path[1024];
	uint8_t digest[48];
	size_t canon_size, pt_size = 0;
	long status;
	struct cu_https https, *c;
	int opt, r = 2;
	uint8_t *pt = NULL;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "platform")) {
		if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json")))
			return usage_error("usage: custos-agent platform [--json]");
		return cu_agent_platform_print(argc == 3);
	}
	cmd = argv[1];
	if (strcmp(cmd, "get-resource") && strcmp(cmd, "token") && strcmp(cmd, "evidence") &&
	    strcmp(cmd, "tpm-provision") && strcmp(cmd, "tpm-enroll"))
		return usage_error("unknown command (get-resource, token, evidence, tpm-provision, "
		                   "tpm-enroll, platform)");
	optind = 2;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'u':
			url = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'a':
			attester = optarg;
			break;
		case 'p':
			pki = optarg;
			break;
		case 'm':
			measurement = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 't':
			tool = optarg;
			break;
		case 'r':
			report_data = optarg;
			break;
		case 'x':
			exec_cmd = optarg;
			break;
		case 'f':
			force_out = true;
			break;
		case 'T':
			tpm.tcti = optarg;
			break;
		case 'K': {
			char *end;
			unsigned long h = strtoul(optarg, &end, 0);

			if (*end || h < 0x81000000ul || h > 0x81ffffffUL)
				return usage_error("--tpm-ak: a persistent handle, 0x81000000 to "
				                   "0x81ffffff");
			tpm.ak = (uint32_t)h;
			break;
		}
		case 'P':
			if (cu_agent_tpm_parse_pcrs(optarg, &tpm.pcrs) < 0)
				return usage_error(
				    "--tpm-pcrs: PCR numbers 0 to 23 and ranges, e.g. "
				    "0-7,14");
			break;
		case 'g':
			if (strcmp(optarg, "auto") && strcmp(optarg, "off") &&
			    strcmp(optarg, "required"))
				return usage_error("--gpu: auto, off or required");
			gpu = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("invalid option");
		}
	}
	tpm.eventlog = eventlog && access(eventlog, R_OK) == 0 ? eventlog : NULL;
	if (!strcmp(cmd, "tpm-provision")) {
		_cleanup_free_ char *pem = NULL;

		if (optind != argc)
			return usage_error("tpm-provision takes no argument");
		if (cu_agent_tpm_provision(&tpm, &pem, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			return 2;
		}
		return write_out(out, (const uint8_t *)pem, strlen(pem)) < 0 ? 2 : 0;
	}
	if (!strcmp(cmd, "tpm-enroll")) {
		if (optind != argc)
			return usage_error("tpm-enroll takes no argument");
		return tpm_enroll(&tpm, url, ca);
	}
	if (!attester)
		attester = detect_attester();
	if (strcmp(attester, "sim") && strcmp(attester, "tsm") && strcmp(attester, "sev-guest") &&
	    strcmp(attester, "tdx-guest") && strcmp(attester, "tpm") && strcmp(attester, "nsm"))
		return usage_error("--attester: tsm (configfs-tsm), sev-guest, tdx-guest (evidence "
		                   "only), tpm, nsm or sim");
	if (!strcmp(attester, "tdx-guest") && strcmp(cmd, "evidence"))
		return usage_error("--attester tdx-guest gives a TDREPORT, which only this machine "
		                   "can check: a TDX quote comes through configfs-tsm (--attester "
		                   "tsm, Linux 6.7 and later)");
	if (!strcmp(attester, "sim") && !pki)
		return usage_error("--attester sim needs --sim-pki DIR");
	if (!strcmp(cmd, "evidence")) {
		/* Raw evidence for a given REPORT_DATA, e.g. to feed 'custos verify'. */
		uint8_t report[CU_SNP_REPORT_SIZE];

		if (optind != argc || !report_data || strlen(report_data) > 128)
			return usage_error(
			    "usage: custos-agent evidence --report-data HEX (up to 64 "
			    "bytes) --attester sim --sim-pki DIR");
		if (!strcmp(attester, "nsm")) {
			uint8_t rd[64], *doc = NULL;
			size_t len = strlen(report_data), dn = 0;
			_cleanup_free_ char *dev = sysroot_path("/dev/nsm");

			if (len % 2 || cu_hex_decode(report_data, len, rd, len / 2) < 0)
				return usage_error("--report-data: hex of up to 64 bytes");
			if (!dev ||
			    cu_agent_nsm_attestation(&cu_agent_sys_linux, dev, rd, len / 2, NULL, 0,
			                             NULL, 0, &doc, &dn, &err) < 0) {
				fprintf(stderr, "%s: %s\n", prog, err.message);
				return 2;
			}
			r = write_out(out, doc, dn) < 0 ? 2 : 0;
			free(doc);
			return r;
		}
		if (!strcmp(attester, "tpm")) {
			uint8_t rd[64];
			size_t len = strlen(report_data);
			json_t *ev = NULL;
			char *text;

			if (len % 2 || cu_hex_decode(report_data, len, rd, len / 2) < 0)
				return usage_error("--report-data: hex of up to 64 bytes");
			if (cu_agent_tpm_evidence(&tpm, rd, len / 2, &ev, &err) < 0) {
				fprintf(stderr, "%s: %s\n", prog, err.message);
				return 2;
			}
			text = json_dumps(ev, JSON_COMPACT);
			json_decref(ev);
			r = text && write_out(out, (const uint8_t *)text, strlen(text)) == 0 ? 0
			                                                                     : 2;
			free(text);
			return r;
		}
		if (strcmp(attester, "sim")) {
			struct cu_tsm_evidence ev = { 0 };
			uint8_t rd[64] = { 0 }, td[CU_TDX_REPORT_SIZE];
			size_t len = strlen(report_data);
			_cleanup_free_ char *dev = NULL;

			if (len % 2 || cu_hex_decode(report_data, len, rd, len / 2) < 0)
				return usage_error("--report-data: hex of up to 64 bytes");
			if (!strcmp(attester, "sev-guest") || !strcmp(attester, "tdx-guest")) {
				bool snp = !strcmp(attester, "sev-guest");

				dev = sysroot_path(snp ? "/dev/sev-guest" : "/dev/tdx_guest");
				if (!dev || (snp ? cu_agent_snp_report(&cu_agent_sys_linux, dev, rd,
				                                       0, report, &err)
				                 : cu_agent_tdx_report(&cu_agent_sys_linux, dev, rd,
				                                       td, &err)) < 0) {
					fprintf(stderr, "%s: %s\n", prog, err.message);
					return 2;
				}
				return write_out(out, snp ? report : td,
				                 snp ? sizeof(report) : sizeof(td)) < 0
				           ? 2
				           : 0;
			}
			if (cu_agent_tsm_report(rd, &ev, &err) < 0) {
				fprintf(stderr, "%s: %s\n", prog, err.message);
				return 2;
			}
			r = write_out(out, ev.outblob, ev.outblob_size) < 0 ? 2 : 0;
			cu_agent_tsm_clear(&ev);
			return r;
		}
		if ((r = sim_report(tool, pki, measurement, debug, report_data, report)) != 0)
			return r;
		return write_out(out, report, sizeof(report)) < 0 ? 2 : 0;
	}
	if (strcmp(cmd, "token") && optind != argc - 1)
		return usage_error("expected one resource URI kbs:///REPO/TYPE/TAG");
	if (!strcmp(cmd, "token") && optind != argc)
		return usage_error("token takes no argument");
	uri = strcmp(cmd, "token") ? argv[optind] : "kbs:///";
	if (strncmp(uri, "kbs:///", 7) || strlen(uri) > 512)
		return usage_error("the resource is a URI kbs:///REPO/TYPE/TAG");
	if (!url || strncmp(url, "https://", 8))
		return usage_error("--url https://HOST:PORT is required (https only)");

	if (cu_https_init(&https, url, ca, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		cu_https_free(&https);
		return 2;
	}
	c = &https;

	/* 1. auth: the challenge */
	tee = !strcmp(attester, "sim")   ? "snp"
	      : !strcmp(attester, "tpm") ? "tpm"
	      : !strcmp(attester, "nsm") ? "nitro"
	                                 : guest_tee();
	if (!tee) {
		fprintf(stderr,
		        "%s: this is neither an SEV-SNP nor a TDX guest (no /dev/sev-guest, no "
		        "/dev/tdx_guest); 'custos-agent platform' tells what it offers\n",
		        prog);
		r = 2;
		goto out;
	}
	body = json_pack("{s:s,s:s,s:{s:[s,s,s]}}", "version", "0.4.0", "tee", tee, "extra-params",
	                 "supported-hash-algorithms", "sha256", "sha384", "sha512");
	status = request(c, url, "/kbs/v0/auth", body, &reply);
	nonce = json_string_value(json_object_get(reply, "nonce"));
	if (status != 200 || !nonce) {
		if (status > 0)
			refused("auth", status, reply);
		r = status > 0 ? 1 : 2;
		goto out;
	}
	/* 2. a fresh key for the resource, and the binding the evidence carries */
	jwk = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
	if (!jwk || !jose_jwk_gen(NULL, jwk) || !(pub = json_deep_copy(jwk)) ||
	    !jose_jwk_pub(NULL, pub) ||
	    json_object_set_new(pub, "alg", json_string("ECDH-ES+A256KW")) < 0)
		goto out;
	/* GPUs first: the CPU's binding covers the additional evidence */
	if (strcmp(gpu, "off") &&
	    (r = gpu_evidence(!strcmp(gpu, "required"), nonce, pub, &additional)) != 0)
		goto out;
	binding = json_pack("{s:s,s:s,s:O}", "additional-evidence", additional ?: "", "nonce",
	                    nonce, "tee-pubkey", pub);
	if (!binding || cu_jcs_serialize(binding, &canon, &canon_size, &err) < 0)
		goto out;
	cu_sha384(canon, canon_size, digest);
	if (!strcmp(attester, "nsm")) {
		/* Nitro (a Custos extension of the KBS protocol): the binding in user_data */
		uint8_t ud[64] = { 0 }, *doc = NULL;
		size_t dn = 0;
		_cleanup_free_ char *dev = sysroot_path("/dev/nsm");
		json_t *d;

		memcpy(ud, digest, sizeof(digest));
		if (!dev || cu_agent_nsm_attestation(&cu_agent_sys_linux, dev, ud, sizeof(ud), NULL,
		                                     0, NULL, 0, &doc, &dn, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			r = 2;
			goto out;
		}
		d = b64_std(doc, dn);
		free(doc);
		evidence = d ? json_pack("{s:o}", "attestation_document", d) : NULL;
		r = evidence ? 0 : 2;
	} else if (!strcmp(attester, "tpm")) {
		if (cu_agent_tpm_evidence(&tpm, digest, sizeof(digest), &evidence, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			r = 2;
			goto out;
		}
		r = 0;
	} else if ((r = !strcmp(attester, "tsm") ? tsm_evidence(digest, &evidence)
	                : !strcmp(attester, "sev-guest")
	                    ? sev_guest_evidence(digest, &evidence)
	                    : sim_evidence(tool, pki, measurement, debug, digest, &evidence)) != 0)
		goto out;
	/* 3. attest */
	json_decref(body);
	body = json_pack("{s:{s:s,s:O},s:{s:o,s:s}}", "runtime-data", "nonce", nonce, "tee-pubkey",
	                 pub, "tee-evidence", "primary_evidence", TAKE_PTR(evidence),
	                 "additional_evidence", additional ?: "");
	json_decref(reply);
	reply = NULL;
	status = request(c, url, "/kbs/v0/attest", body, &reply);
	if (status != 200) {
		if (status > 0)
			refused("attest", status, reply);
		r = status > 0 ? 1 : 2;
		goto out;
	}
	fprintf(stderr, "%s: attested%s\n", prog, additional ? " (with the GPUs)" : "");
	if (additional && cu_agent_gpu_ready(&err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		r = 2;
		goto out;
	}
	if (!strcmp(cmd, "token")) {
		/* The attestation result, for a relying party or 'custos token verify'. */
		const char *token = json_string_value(json_object_get(reply, "token"));

		r = token && printf("%s\n", token) > 0 ? 0 : 2;
		goto out;
	}
	/* 4. the resource, as a JWE to our key */
	snprintf(path, sizeof(path), "/kbs/v0/resource/%s", uri + 7);
	json_decref(reply);
	reply = NULL;
	status = request(c, url, path, NULL, &reply);
	if (status != 200) {
		if (status > 0)
			refused("resource", status, reply);
		r = status > 0 ? 1 : 2;
		goto out;
	}
	pt = jose_jwe_dec(NULL, reply, NULL, jwk, &pt_size);
	if (!pt) {
		fprintf(stderr, "%s: the resource does not decrypt with this agent's key\n", prog);
		r = 1;
		goto out;
	}
	if (exec_cmd)
		r = run_with_secret(exec_cmd, pt, pt_size);
	else
		r = write_out(out, pt, pt_size) < 0 ? 2 : 0;
out:
	if (pt)
		OPENSSL_clear_free(pt, pt_size);
	if (jwk && json_is_string(json_object_get(jwk, "d")))
		OPENSSL_cleanse((char *)json_string_value(json_object_get(jwk, "d")),
		                json_string_length(json_object_get(jwk, "d")));
	cu_https_free(&https);
	return r;
}
