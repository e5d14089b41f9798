/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-agent's legacy guest devices through the system-call seam: a stand-in
 * for the kernel that checks each request as the sev-guest and tdx-guest
 * drivers would and answers with captured real structures (a Milan report and
 * its host certificate table from the corpus), which must then verify.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/agent-ioctl.h"
#include "test-util.h"

/* The drivers' request structures, as the kernel sees them. */
struct req {
	uint8_t user_data[64];
	uint32_t vmpl;
	uint8_t rsvd[28];
};
struct ext_req {
	struct req data;
	uint64_t certs_address;
	uint32_t certs_len;
};
struct guest_ioctl {
	uint8_t msg_version;
	uint64_t req_data, resp_data;
	uint32_t fw_error, vmm_error;
};
struct tdx_req {
	uint8_t reportdata[64];
	uint8_t tdreport[1024];
};

static struct {
	uint8_t *report; /* a real report, and the table its host gave */
	size_t report_size;
	uint8_t *table;
	size_t table_size;
	uint8_t want_rd[64];
	uint32_t fw_status; /* MSG_REPORT_RSP status to answer */
	bool small_first;   /* the first extended request is refused for its length */
	int calls, opens;
} k;

static int fake_open(const char *path, int flags)
{
	if (strcmp(path, "/dev/sev-guest") && strcmp(path, "/dev/tdx_guest")) {
		errno = ENOENT;
		return -1;
	}
	k.opens++;
	return 7;
}

static int fake_close(int fd)
{
	assert_int_equal(fd, 7);
	k.opens--;
	return 0;
}

static int fake_ioctl(int fd, unsigned long request, void *arg)
{
	unsigned nr = request & 0xff, type = (request >> 8) & 0xff;

	assert_int_equal(fd, 7);
	k.calls++;
	if (type == 'T') {
		struct tdx_req *t = arg;

		assert_int_equal(nr, 1);
		assert_memory_equal(t->reportdata, k.want_rd, 64);
		memset(t->tdreport, 0x5a, sizeof(t->tdreport));
		return 0;
	}
	struct guest_ioctl *g = arg;
	struct req *r = (struct req *)(uintptr_t)g->req_data;
	uint8_t *resp = (uint8_t *)(uintptr_t)g->resp_data;
	uint32_t size = 1184;

	assert_int_equal(type, 'S');
	assert_int_equal(g->msg_version, 1);
	assert_memory_equal(r->user_data, k.want_rd, 64);
	assert_int_equal(r->vmpl, 0);
	if (nr == 2) {
		struct ext_req *x = (struct ext_req *)r;

		assert_int_equal(x->certs_len % 4096, 0);
		if (k.small_first && k.calls == 1) {
			x->certs_len = 5 * 4096;
			g->vmm_error = 1; /* SNP_GUEST_VMM_ERR_INVALID_LEN */
			errno = EIO;
			return -1;
		}
		assert_true(x->certs_len >= k.table_size);
		memcpy((void *)(uintptr_t)x->certs_address, k.table, k.table_size);
	} else {
		assert_int_equal(nr, 0);
	}
	memcpy(resp, &k.fw_status, 4);
	memcpy(resp + 4, &size, 4);
	memcpy(resp + 32, k.report, k.report_size);
	return 0;
}

static const struct cu_agent_sys fake = { fake_open, fake_ioctl, fake_close };

static int setup(void **state)
{
	const char *corpus = tu_corpus_dir();
	char path[2048];

	memset(&k, 0, sizeof(k));
	if (!corpus)
		return 0;
	snprintf(path, sizeof(path), "%s/sev-snp/gsg-milan-v2-debug/report.bin", corpus);
	k.report = tu_read_file(path, &k.report_size);
	snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/snp_certtable/gsg-milan-v2-debug.bin",
	         getenv("CUSTOS_SOURCE_ROOT"));
	k.table = tu_read_file(path, &k.table_size);
	/* the report's own REPORT_DATA: what the agent asked for */
	memcpy(k.want_rd, k.report + 0x50, 64);
	return 0;
}

static int teardown(void **state)
{
	free(k.report);
	free(k.table);
	return 0;
}

static void test_snp_report(void **state)
{
	uint8_t report[1184];
	struct cu_error err = { 0 };

	if (!k.report) {
		skip();
		return;
	}
	assert_int_equal(cu_agent_snp_report(&fake, "/dev/sev-guest", k.want_rd, 0, report, &err),
	                 0);
	assert_memory_equal(report, k.report, 1184);
	assert_int_equal(k.opens, 0);
	k.fw_status = 0x16; /* INVALID_PARAM */
	assert_int_equal(cu_agent_snp_report(&fake, "/dev/sev-guest", k.want_rd, 0, report, &err),
	                 CU_ERR_IO);
	assert_non_null(strstr(err.message, "status 0x16"));
	k.fw_status = 0;
	assert_int_equal(cu_agent_snp_report(&fake, "/dev/nope", k.want_rd, 0, report, &err),
	                 CU_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "/dev/nope"));
}

static void test_snp_ext_report_verifies(void **state)
{
	uint8_t report[1184], *certs = NULL;
	size_t certs_size = 0;
	struct cu_error err = { 0 };
	cu_verifier *v;
	json_t *claims = NULL;
	struct cu_verify_opts o = { .at = tu_time("2022-09-24T01:00:00Z") };

	if (!k.report) {
		skip();
		return;
	}
	k.small_first = true;
	k.calls = 0;
	assert_int_equal(cu_agent_snp_ext_report(&fake, "/dev/sev-guest", k.want_rd, 0, report,
	                                         &certs, &certs_size, &err),
	                 0);
	assert_int_equal(k.calls, 2); /* asked again with the length the host wanted */
	assert_int_equal(certs_size, 5 * 4096);
	assert_int_equal(k.opens, 0);
	/* what came back verifies, the VCEK taken from the host's table (GHCB 56421) */
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_true(cu_verifier_add_collateral_mem(v, certs, certs_size, "certs", &err) > 0);
	if (cu_verify(v, "snp", report, sizeof(report), &o, &claims, &err) < 0)
		fail_msg("%s: %s", err.stage, err.message);
	json_decref(claims);
	cu_verifier_free(v);
	free(certs);
}

static void test_tdx_report(void **state)
{
	uint8_t tdreport[1024], rd[64] = { 1, 2, 3 };
	struct cu_error err = { 0 };

	memcpy(k.want_rd, rd, 64);
	assert_int_equal(cu_agent_tdx_report(&fake, "/dev/tdx_guest", rd, tdreport, &err), 0);
	assert_int_equal(tdreport[0], 0x5a);
	assert_int_equal(cu_agent_tdx_report(&fake, "/dev/none", rd, tdreport, &err),
	                 CU_ERR_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_report),
		cmocka_unit_test(test_snp_ext_report_verifies),
		cmocka_unit_test(test_tdx_report),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
