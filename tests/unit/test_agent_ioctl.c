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
	uint8_t *nitro; /* a real Nitro attestation document, what the NSM answers */
	size_t nitro_size;
	int nsm_answer;     /* 0 the document, 1 an Error, 2 a truncated response */
	uint32_t fw_status; /* MSG_REPORT_RSP status to answer */
	bool small_first;   /* the first extended request is refused for its length */
	int calls, opens;
} k;

static int fake_open(const char *path, int flags)
{
	if (strcmp(path, "/dev/sev-guest") && strcmp(path, "/dev/tdx_guest") &&
	    strcmp(path, "/dev/nsm")) {
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
	if (type == 0x0A) {
		/* the NSM: {"Attestation": {"user_data": h'..', "nonce": null, "public_key": null}} */
		struct {
			uint64_t req, req_len, resp, resp_len;
		} *raw = arg;
		const uint8_t *req = (const uint8_t *)(uintptr_t)raw->req;
		uint8_t *out = (uint8_t *)(uintptr_t)raw->resp;
		static const uint8_t head[] = { 0xa1, 0x6b, 'A', 't', 't',  'e',  's',  't', 'a',
			                        't',  'i',  'o', 'n', 0xa3, 0x69, 'u',  's', 'e',
			                        'r',  '_',  'd', 'a', 't',  'a',  0x58, 0x40 };
		size_t n = 0;

		assert_int_equal(nr, 0);
		assert_true(raw->req_len > sizeof(head) + 64);
		assert_memory_equal(req, head, sizeof(head));
		assert_memory_equal(req + sizeof(head), k.want_rd, 64);
		assert_memory_equal(req + sizeof(head) + 64, "\x65nonce\xf6\x6apublic_key\xf6", 19);
		assert_int_equal(raw->req_len, sizeof(head) + 64 + 19);
		if (k.nsm_answer == 1) {
			memcpy(out,
			       "\xa1\x65"
			       "Error"
			       "\x6f"
			       "InvalidArgument",
			       23);
			raw->resp_len = 23;
			return 0;
		}
		memcpy(out,
		       "\xa1\x6b"
		       "Attestation"
		       "\xa1\x68"
		       "document\x59",
		       24);
		n = 24;
		out[n++] = (uint8_t)(k.nitro_size >> 8);
		out[n++] = (uint8_t)k.nitro_size;
		memcpy(out + n, k.nitro, k.nitro_size);
		raw->resp_len = n + k.nitro_size - (k.nsm_answer == 2 ? 10 : 0);
		return 0;
	}
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
	snprintf(path, sizeof(path), "%s/nitro/evervault-nondebug-2022/attestation_doc.cbor",
	         corpus);
	k.nitro = tu_read_file(path, &k.nitro_size);
	/* the report's own REPORT_DATA: what the agent asked for */
	memcpy(k.want_rd, k.report + 0x50, 64);
	return 0;
}

static int teardown(void **state)
{
	free(k.report);
	free(k.table);
	free(k.nitro);
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

/* /dev/nsm: the request as the NSM expects it; the document, an Error, a truncated answer. */
static void test_nsm_attestation(void **state)
{
	struct cu_error err = { 0 };
	uint8_t *doc = NULL;
	size_t n = 0;
	cu_verifier *v;
	struct cu_verify_opts o = { 0 };
	json_t *claims = NULL;

	(void)state;
	if (!k.nitro) {
		skip();
		return;
	}
	memset(k.want_rd, 0xab, 64);
	assert_int_equal(cu_agent_nsm_attestation(&fake, "/dev/nsm", k.want_rd, 64, NULL, 0, NULL,
	                                          0, &doc, &n, &err),
	                 0);
	assert_int_equal(n, k.nitro_size);
	assert_memory_equal(doc, k.nitro, n);
	/* what came back is a real document: it verifies at its verify_at */
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	o.at = tu_time("2022-10-13T09:00:00Z");
	if (cu_verify(v, NULL, doc, n, &o, &claims, &err) < 0)
		fail_msg("%s: %s", err.stage, err.message);
	assert_string_equal(json_string_value(json_object_get(claims, "tee")), "nitro");
	json_decref(claims);
	cu_verifier_free(v);
	free(doc);
	doc = NULL;
	k.nsm_answer = 1;
	assert_int_equal(cu_agent_nsm_attestation(&fake, "/dev/nsm", k.want_rd, 64, NULL, 0, NULL,
	                                          0, &doc, &n, &err),
	                 CU_ERR_IO);
	if (!strstr(err.message, "InvalidArgument"))
		fail_msg("%s", err.message);
	k.nsm_answer = 2;
	assert_int_equal(cu_agent_nsm_attestation(&fake, "/dev/nsm", k.want_rd, 64, NULL, 0, NULL,
	                                          0, &doc, &n, &err),
	                 CU_ERR_MALFORMED);
	assert_null(doc);
	k.nsm_answer = 0;
	assert_int_equal(cu_agent_nsm_attestation(&fake, "/dev/nsm", k.want_rd, 600, NULL, 0, NULL,
	                                          0, &doc, &n, &err),
	                 CU_ERR_INVALID_ARG);
	assert_int_equal(cu_agent_nsm_attestation(&fake, "/dev/nope", k.want_rd, 64, NULL, 0, NULL,
	                                          0, &doc, &n, &err),
	                 CU_ERR_NOT_FOUND);
	assert_int_equal(k.opens, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_report),
		cmocka_unit_test(test_snp_ext_report_verifies),
		cmocka_unit_test(test_tdx_report),
		cmocka_unit_test(test_nsm_attestation),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
