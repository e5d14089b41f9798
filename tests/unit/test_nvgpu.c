/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA H100 GPU evidence (nvgpu) and its RIMs.
 *
 * Corpus (../shared/corpus/nvidia-gpu): each real report verifies at its
 * verify_at with every expected claim; its VBIOS RIM verifies and compares as
 * the sample says (RIM index 9 mismatches); every bit of the signature and
 * bits throughout the signed bytes, flipped, are refused; the broken chains
 * trustee ships are refused; the nonce binding holds.
 *
 * Synthetic (gpu-builder, a TEST root trusted as INSECURE): matching and
 * mismatching RIMs, RIMs that overlap, FWID absent and different, trailing
 * bytes, every truncation, multi-device lists, another architecture.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/encoding.h"
#include "../../src/evidence/nvgpu.h"
#include "gpu-builder.h"
#include "test-util.h"

#define AT_2025 ((int64_t)1748736000) /* 2025-06-01T00:00:00Z */

static char *corpus_file(const char *sample, const char *name, size_t *ret_size)
{
	char path[2048];
	size_t n;
	uint8_t *b;
	char *s;

	snprintf(path, sizeof(path), "%s/nvidia-gpu/%s/%s", tu_corpus_dir(), sample, name);
	b = tu_read_file(path, &n);
	s = realloc(b, n + 1);
	assert_non_null(s);
	s[n] = '\0';
	if (ret_size)
		*ret_size = n;
	return s;
}

/* Trustee's device evidence for a corpus sample, with the chain file `chain`. */
static char *corpus_device(const char *sample, const char *chain)
{
	char *hex = corpus_file(sample, "report.hex", NULL),
	     *pem = corpus_file(sample, chain, NULL);
	char *b64 = cu_base64_encode_alloc((const uint8_t *)pem, strlen(pem)), *out;

	for (char *p = hex; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '\0';
	assert_true(asprintf(&out,
	                     "{\"device_evidence_list\":[{\"arch\":\"HOPPER\",\"uuid\":\"GPU-0\","
	                     "\"evidence\":\"%s\",\"certificate\":\"%s\"}]}",
	                     hex, b64) > 0);
	free(hex);
	free(pem);
	free(b64);
	return out;
}

/* A new verifier, when the corpus is there (the test is skipped otherwise). */
static cu_verifier *corpus_verifier(void)
{
	struct cu_error err;
	cu_verifier *v = NULL;

	if (!tu_corpus_dir())
		skip(); /* does not return */
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	return v;
}

static int verify(cu_verifier *v, const void *ev, size_t size, int64_t at, const uint8_t *rd,
                  size_t rd_size, json_t **ret, struct cu_error *err)
{
	struct cu_verify_opts o = { .at = at, .report_data = rd, .report_data_size = rd_size };
	json_t *c = NULL;
	int r;

	memset(err, 0, sizeof(*err));
	r = cu_verify(v, "nvgpu", ev, size, &o, &c, err);
	if (r < 0) {
		assert_null(c);
		assert_non_null(err->stage);
		assert_true(err->message[0] != '\0');
	}
	if (ret)
		*ret = c;
	else
		json_decref(c);
	return r;
}

static const char *gpu_str(json_t *c, const char *path)
{
	char p[256];

	snprintf(p, sizeof(p), "gpu.%s", path);
	return json_string_value(tu_json_path(c, p));
}

static void check_expected_claims(const char *sample, json_t *c)
{
	char *meta_text = corpus_file(sample, "sample.json", NULL);
	json_auto_t *meta = json_loads(meta_text, 0, NULL);
	json_t *exp = json_object_get(meta, "expected_claims"), *m;
	const char *key;
	json_t *val;
	char want[64];

	free(meta_text);
	assert_non_null(exp);
	assert_string_equal(gpu_str(c, "request_nonce"),
	                    json_string_value(tu_json_path(exp, "request_nonce.value")));
	assert_string_equal(gpu_str(c, "response_nonce"),
	                    json_string_value(tu_json_path(exp, "response_nonce.value")));
	assert_int_equal(json_integer_value(tu_json_path(c, "gpu.num_measurement_blocks")),
	                 json_integer_value(tu_json_path(exp, "num_measurement_blocks.value")));
	m = tu_json_path(exp, "measurements.value");
	assert_int_equal(json_object_size(m), 64);
	json_object_foreach (m, key, val)
		assert_string_equal(
		    json_string_value(json_object_get(tu_json_path(c, "gpu.measurements"), key)),
		    json_string_value(val));
	assert_string_equal(gpu_str(c, "driver_version"),
	                    json_string_value(tu_json_path(exp, "driver_version.value")));
	assert_string_equal(gpu_str(c, "vbios_version"),
	                    json_string_value(tu_json_path(exp, "vbios_version.value")));
	assert_string_equal(gpu_str(c, "opaque.vbios_version"),
	                    json_string_value(tu_json_path(exp, "vbios_version_raw.value")));
	json_object_foreach (exp, key, val) {
		json_t *got;

		if (strncmp(key, "opaque.", 7) || !strcmp(key, "opaque.msrscnt"))
			continue;
		got = json_object_get(tu_json_path(c, "gpu.opaque"), key + 7);
		assert_non_null(got);
		assert_string_equal(json_string_value(got),
		                    json_string_value(json_object_get(val, "value")));
	}
	/* msrscnt: the little-endian 32-bit counters */
	{
		const char *hex = json_string_value(
		    json_object_get(json_object_get(exp, "opaque.msrscnt"), "value"));
		json_t *a = tu_json_path(c, "gpu.opaque.msrscnt");
		size_t i;

		assert_int_equal(json_array_size(a) * 8, strlen(hex));
		for (i = 0; i < json_array_size(a); i++) {
			uint32_t n = (uint32_t)json_integer_value(json_array_get(a, i));

			snprintf(want, sizeof(want), "%02x%02x%02x%02x", n & 0xff, (n >> 8) & 0xff,
			         (n >> 16) & 0xff, n >> 24);
			assert_memory_equal(want, hex + 8 * i, 8);
		}
	}
	assert_string_equal(gpu_str(c, "opaque.fwid"),
	                    json_string_value(tu_json_path(exp, "leaf_fwid_extension.value")));
	assert_true(json_is_true(tu_json_path(c, "gpu.fwid_bound")));
	/* the leaf's subject, and its serialNumber (2.5.4.5) as the device's identity */
	{
		const char *subj = json_string_value(tu_json_path(exp, "leaf_subject.value"));
		const char *sn = strstr(subj, ",2.5.4.5=");
		char id[64];
		size_t i;

		assert_non_null(sn);
		assert_memory_equal(gpu_str(c, "certificate.subject"), subj, (size_t)(sn - subj));
		for (i = 0; sn[9 + i] && i + 1 < sizeof(id); i++)
			id[i] = (char)tolower((unsigned char)sn[9 + i]);
		id[i] = '\0';
		assert_string_equal(json_string_value(json_object_get(c, "platform_id")), id);
	}
	assert_string_equal(json_string_value(json_object_get(c, "tee")), "nvidia-gpu");
	assert_string_equal(gpu_str(c, "revocation"), "not_checked");
	assert_true(json_is_true(json_object_get(c, "verified")));
}

static void test_corpus_samples(void **state)
{
	static const char *const samples[] = { "nvtrust-hopper-h100-sample",
		                               "trustee-coco-ci-h100" };
	struct cu_error err;

	if (!tu_corpus_dir()) {
		skip();
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		char *ev = corpus_device(samples[i], "cert_chain.pem");
		cu_verifier *v;
		json_t *c = NULL;

		assert_int_equal(cu_verifier_new(&v, &err), 0);
		assert_int_equal(verify(v, ev, strlen(ev), AT_2025, NULL, 0, &c, &err), 0);
		check_expected_claims(samples[i], c);
		/* no RIM among the collateral: nothing compared, the result says so */
		assert_string_equal(gpu_str(c, "rim.result"), "incomplete");
		assert_string_equal(gpu_str(c, "rim.vbios.status"), "missing");
		json_decref(c);
		/* before the device certificates were valid */
		assert_int_equal(verify(v, ev, strlen(ev), 1577836800, NULL, 0, NULL, &err),
		                 CU_ERR_EXPIRED);
		cu_verifier_free(v);
		free(ev);
	}
}

static void test_corpus_binding(void **state)
{
	uint8_t rd[48];
	struct cu_error err;
	cu_verifier *v = corpus_verifier();
	char *ev;

	ev = corpus_device("nvtrust-hopper-h100-sample", "cert_chain.pem");
	assert_int_equal(
	    cu_hex_decode("931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb", 64,
	                  rd, 32),
	    0);
	assert_int_equal(verify(v, ev, strlen(ev), AT_2025, rd, 32, NULL, &err), 0);
	rd[31] ^= 1;
	assert_int_equal(verify(v, ev, strlen(ev), AT_2025, rd, 32, NULL, &err), CU_ERR_BINDING);
	assert_string_equal(err.stage, "binding");
	free(ev);
	/* Trustee truncates the 48-byte report data of the KBS binding to the 32-byte nonce */
	ev = corpus_device("trustee-coco-ci-h100", "cert_chain.pem");
	assert_int_equal(
	    cu_hex_decode("87d8e24ab336adafe228d49e83d745f6dba4ae505372b6a5704820856b343"
	                  "fece279b616efefc2aae21da80cf5581250",
	                  96, rd, 48),
	    0);
	assert_int_equal(verify(v, ev, strlen(ev), AT_2025, rd, 48, NULL, &err), 0);
	rd[40] ^= 1; /* beyond the nonce: not compared */
	assert_int_equal(verify(v, ev, strlen(ev), AT_2025, rd, 48, NULL, &err), 0);
	rd[0] ^= 1;
	assert_int_equal(verify(v, ev, strlen(ev), AT_2025, rd, 48, NULL, &err), CU_ERR_BINDING);
	free(ev);
	cu_verifier_free(v);
}

/* The raw report with the chain as extra collateral; flipped bits refused. */
static void test_corpus_raw_and_bitflips(void **state)
{
	static const char *const samples[] = { "nvtrust-hopper-h100-sample",
		                               "trustee-coco-ci-h100" };
	struct cu_error err;
	cu_verifier *v = corpus_verifier();
	for (size_t s = 0; s < 2; s++) {
		size_t size, pem_size, flips = 0;
		char *bin = corpus_file(samples[s], "report.bin", &size);
		char *pem = corpus_file(samples[s], "cert_chain.pem", &pem_size);
		const uint8_t *extra[1] = { (const uint8_t *)pem };
		size_t extra_size[1] = { pem_size };
		struct cu_verify_opts o = { .at = AT_2025,
			                    .extra_collateral = extra,
			                    .extra_collateral_sizes = extra_size,
			                    .n_extra_collateral = 1 };
		uint8_t *b = (uint8_t *)bin;
		/* the signature ends where the zero padding, if any, begins */
		size_t end = size - (b[size - 1] == 0 && b[size - 2] != 0 ? 1 : 0);
		json_t *c = NULL;

		assert_string_equal(cu_detect_format(b, size), "nvgpu");
		assert_int_equal(cu_verify(v, NULL, b, size, &o, &c, &err), 0);
		assert_true(json_is_true(json_object_get(c, "verified")));
		json_decref(c);
		/* every bit of the signature, and one bit every 13 bytes of what it signs */
		for (size_t i = 0; i < end; i += i >= end - 96 ? 1 : 13) {
			for (int bit = 0; bit < 8; bit += i >= end - 96 ? 1 : 8) {
				c = NULL;
				b[i] ^= (uint8_t)(1u << bit);
				assert_true(cu_verify(v, "nvgpu", b, size, &o, &c, &err) < 0);
				assert_null(c);
				b[i] ^= (uint8_t)(1u << bit);
				flips++;
			}
		}
		assert_true(flips > 900);
		/* without a chain */
		o.n_extra_collateral = 0;
		assert_int_equal(cu_verify(v, "nvgpu", b, size, &o, &c, &err), CU_ERR_NOT_FOUND);
		assert_string_equal(err.stage, "chain");
		free(bin);
		free(pem);
	}
	cu_verifier_free(v);
}

/* trustee's negative chains: only the root, an intermediate missing, the leaf missing. */
static void test_corpus_bad_chains(void **state)
{
	static const char *const chains[] = { "chain_case2.pem", "chain_case3.pem",
		                              "chain_case4.pem" };
	struct cu_error err;
	cu_verifier *v = corpus_verifier();
	for (size_t i = 0; i < 3; i++) {
		char *ev = corpus_device("nvtrust-hopper-h100-sample", chains[i]);

		assert_true(verify(v, ev, strlen(ev), AT_2025, NULL, 0, NULL, &err) < 0);
		assert_true(!strcmp(err.stage, "chain") || !strcmp(err.stage, "signature"));
		free(ev);
	}
	cu_verifier_free(v);
}

/* The corpus VBIOS RIM: signature, chain window, the per-index comparison the sample gives. */
static void test_corpus_rim(void **state)
{
	static const char *const want_mismatch[] = { "10" };
	struct cu_error err;
	cu_verifier *v;
	json_t *c = NULL, *res;
	size_t size;
	char *ev, *rim;

	if (!tu_corpus_dir()) {
		skip();
		return;
	}
	rim = corpus_file("trustee-coco-ci-h100", "vbios_rim_960074001A.swidtag", &size);
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_int_equal(cu_verifier_add_collateral_mem(v, (uint8_t *)rim, size, "rim", &err), 1);
	ev = corpus_device("trustee-coco-ci-h100", "cert_chain.pem");
	assert_int_equal(verify(v, ev, strlen(ev), AT_2025, NULL, 0, &c, &err), 0);
	assert_string_equal(gpu_str(c, "rim.vbios.status"), "verified");
	assert_string_equal(gpu_str(c, "rim.vbios.version"), "96.00.74.00.1a");
	assert_string_equal(gpu_str(c, "rim.driver.status"), "missing");
	assert_string_equal(gpu_str(c, "rim.result"), "mismatch");
	/* sample.json: RIM indexes 0-6, 8, 10-12 match, 9 mismatches; 7 is inactive */
	res = tu_json_path(c, "gpu.rim.results");
	for (unsigned idx = 0; idx <= 12; idx++) {
		char key[8];

		snprintf(key, sizeof(key), "%u", idx + 1);
		assert_string_equal(json_string_value(json_object_get(res, key)),
		                    idx == 9   ? "mismatch"
		                    : idx == 7 ? "unlisted"
		                               : "match");
	}
	assert_int_equal(json_array_size(tu_json_path(c, "gpu.rim.mismatches")), 1);
	assert_int_equal(
	    json_integer_value(json_array_get(tu_json_path(c, "gpu.rim.mismatches"), 0)),
	    atoi(want_mismatch[0]));
	json_decref(c);
	/* the RIM signer's certificate ended on 2025-09-05 */
	assert_int_equal(verify(v, ev, strlen(ev), 1767225600, NULL, 0, NULL, &err),
	                 CU_ERR_EXPIRED);
	assert_string_equal(err.stage, "rim");
	cu_verifier_free(v);
	free(ev);

	/* one changed golden value: the signature no longer holds, the collateral is refused */
	{
		char *p = strstr(rim, "ns2:Hash0=\"b558");

		assert_non_null(p);
		p[11] = 'c';
		assert_int_equal(cu_verifier_new(&v, &err), 0);
		assert_int_equal(
		    cu_verifier_add_collateral_mem(v, (uint8_t *)rim, size, "rim", &err),
		    CU_ERR_SIGNATURE);
		assert_string_equal(err.stage, "rim");
		cu_verifier_free(v);
		p[11] = '5';
	}
	/* a document type declaration (entities) is refused before anything else */
	{
		char *dtd;
		struct cu_rim r;

		assert_true(asprintf(&dtd, "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>%s", rim) > 0);
		assert_int_equal(cu_rim_parse((uint8_t *)dtd, strlen(dtd), &r, &err),
		                 CU_ERR_MALFORMED);
		free(dtd);
	}
	free(rim);
}

/* ---------------------------------------------------------------- synthetic */

struct fixture {
	struct gb_pki pki;
	struct gb_report_opts o;
	char *chain;
	cu_verifier *v;
};

static void fixture_new(struct fixture *f)
{
	uint8_t fwid[48];
	struct cu_error err;
	char *root;

	memset(fwid, 0xf1, sizeof(fwid));
	gb_pki_new(&f->pki, fwid);
	gb_report_defaults(&f->o);
	f->chain = gb_chain_pem(&f->pki);
	root = gb_cert_pem(f->pki.root);
	assert_int_equal(cu_verifier_new(&f->v, &err), 0);
	assert_int_equal(
	    cu_verifier_add_test_root_INSECURE(f->v, (uint8_t *)root, strlen(root), &err), 0);
	free(root);
}

static void fixture_free(struct fixture *f)
{
	cu_verifier_free(f->v);
	free(f->chain);
	gb_pki_free(&f->pki);
}

static char *device(struct fixture *f)
{
	size_t size, sig;
	uint8_t *rep = gb_report(&f->pki, &f->o, &size, &sig);
	char *j = gb_device_json(rep, size, f->chain, "GPU-0");

	free(rep);
	return j;
}

/* Driver RIM: blocks 1..8 (indexes 0..7); VBIOS RIM: blocks 9..16. */
static void add_rims(struct fixture *f, bool overlap, int wrong_block)
{
	uint8_t vals[GB_MEASUREMENTS][48];
	char vb[32], *d, *b;
	struct cu_error err;

	memcpy(vals, f->o.measurements, sizeof(vals));
	if (wrong_block > 0)
		vals[wrong_block - 1][0] ^= 0xff;
	gb_vbios_string(f->o.vbios, vb);
	d = gb_rim(&f->pki, "550.90.07", 0, overlap ? 9 : 8, (const uint8_t(*)[48])vals, NULL);
	b = gb_rim(&f->pki, vb, 8, 8, (const uint8_t(*)[48])vals + 8, NULL);
	assert_int_equal(cu_verifier_add_collateral_mem(f->v, (uint8_t *)d, strlen(d), "d", &err),
	                 1);
	assert_int_equal(cu_verifier_add_collateral_mem(f->v, (uint8_t *)b, strlen(b), "b", &err),
	                 1);
	free(d);
	free(b);
}

/* A fixture, with RIMs when asked (see add_rims), and its device evidence. */
static char *start(struct fixture *f, bool rims, bool overlap, int wrong_block)
{
	fixture_new(f);
	if (rims)
		add_rims(f, overlap, wrong_block);
	return device(f);
}

static void test_sim_rims_match(void **state)
{
	struct fixture f;
	struct cu_error err;
	json_t *c = NULL;
	char *ev;

	fixture_new(&f);
	add_rims(&f, false, 0);
	memset(f.o.nonce, 0x5a, 32);
	ev = device(&f); /* with its nonce */
	assert_int_equal(verify(f.v, ev, strlen(ev), AT_2025, f.o.nonce, 32, &c, &err), 0);
	assert_string_equal(gpu_str(c, "rim.result"), "match");
	assert_int_equal(json_integer_value(tu_json_path(c, "gpu.rim.matched")), 16);
	assert_string_equal(gpu_str(c, "rim.driver.status"), "verified");
	assert_string_equal(gpu_str(c, "rim.vbios.version"), "96.00.9f.00.01");
	assert_true(json_is_true(json_object_get(c, "insecure_test_roots")));
	assert_string_equal(json_string_value(json_object_get(c, "platform_id")),
	                    "c0ffee0123456789abcdef");
	json_decref(c);
	free(ev);
	fixture_free(&f);
}

static void test_sim_rim_mismatch_and_overlap(void **state)
{
	struct fixture f;
	struct cu_error err;
	json_t *c = NULL;
	char *ev;

	ev = start(&f, true, false, 11);
	assert_int_equal(verify(f.v, ev, strlen(ev), AT_2025, NULL, 0, &c, &err), 0);
	assert_string_equal(gpu_str(c, "rim.result"), "mismatch");
	assert_string_equal(gpu_str(c, "rim.results.11"), "mismatch");
	assert_string_equal(gpu_str(c, "rim.results.10"), "match");
	json_decref(c);
	fixture_free(&f);
	free(ev);

	ev = start(&f, true, true, 0);
	assert_int_equal(verify(f.v, ev, strlen(ev), AT_2025, NULL, 0, NULL, &err),
	                 CU_ERR_MISMATCH);
	assert_string_equal(err.stage, "rim");
	assert_non_null(strstr(err.message, "index 8"));
	fixture_free(&f);
	free(ev);
}

static void test_sim_fwid(void **state)
{
	struct fixture f;
	struct cu_error err;
	json_t *c = NULL;
	char *ev;

	fixture_new(&f);
	f.o.no_fwid = true;
	ev = device(&f);
	assert_int_equal(verify(f.v, ev, strlen(ev), AT_2025, NULL, 0, &c, &err), 0);
	assert_true(json_is_false(tu_json_path(c, "gpu.fwid_bound")));
	json_decref(c);
	free(ev);
	/* the report's FWID differs from the certificate's */
	f.o.no_fwid = false;
	f.pki.fwid[47] ^= 1;
	ev = device(&f);
	assert_int_equal(verify(f.v, ev, strlen(ev), AT_2025, NULL, 0, NULL, &err),
	                 CU_ERR_MISMATCH);
	assert_string_equal(err.stage, "fwid");
	free(ev);
	fixture_free(&f);
}

static void test_sim_trailing_and_truncation(void **state)
{
	struct fixture f;
	struct cu_error err;
	size_t size, sig;
	uint8_t *rep;
	char *pem;
	json_t *c = NULL;

	fixture_new(&f);
	f.o.trailing_zeros = 1;
	rep = gb_report(&f.pki, &f.o, &size, &sig);
	pem = f.chain;
	{
		const uint8_t *extra[1] = { (const uint8_t *)pem };
		size_t extra_size[1] = { strlen(pem) };
		struct cu_verify_opts o = { .at = AT_2025,
			                    .extra_collateral = extra,
			                    .extra_collateral_sizes = extra_size,
			                    .n_extra_collateral = 1 };

		assert_int_equal(cu_verify(f.v, "nvgpu", rep, size, &o, &c, &err), 0);
		assert_int_equal(json_integer_value(tu_json_path(c, "gpu.trailing_zero_bytes")), 1);
		json_decref(c);
		/* a byte after the signature that is not padding */
		rep[size - 1] = 7;
		assert_int_equal(cu_verify(f.v, "nvgpu", rep, size, &o, &c, &err),
		                 CU_ERR_MALFORMED);
		rep[size - 1] = 0;
		/* every truncation */
		for (size_t n = 0; n < sig + 96; n++) {
			c = NULL;
			assert_true(cu_verify(f.v, "nvgpu", rep, n, &o, &c, &err) < 0);
			assert_null(c);
		}
	}
	free(rep);
	/* too much padding */
	f.o.trailing_zeros = 17;
	rep = gb_report(&f.pki, &f.o, &size, &sig);
	{
		json_t *j = NULL;

		assert_int_equal(cu_inspect("nvgpu", rep, size, &j, &err), CU_ERR_MALFORMED);
	}
	free(rep);
	fixture_free(&f);
}

static void test_sim_lists_and_arch(void **state)
{
	struct fixture f;
	struct cu_error err;
	json_auto_t *list = NULL, *devs = NULL;
	char *ev, *two, *bw;

	ev = start(&f, false, false, 0);
	assert_true(asprintf(&two, "{\"device_evidence_list\":[%s,%s]}", ev, ev) > 0);
	assert_int_equal(verify(f.v, two, strlen(two), AT_2025, NULL, 0, NULL, &err),
	                 CU_ERR_MALFORMED);
	assert_non_null(strstr(err.message, "one at a time"));
	list = json_loads(two, 0, NULL);
	assert_int_equal(cu_nvgpu_split(list, &devs, &err), 0);
	assert_int_equal(json_array_size(devs), 2);
	{
		char *one = json_dumps(json_array_get(devs, 1), 0);

		assert_int_equal(verify(f.v, one, strlen(one), AT_2025, NULL, 0, NULL, &err), 0);
		free(one);
	}
	bw = strdup(ev);
	memcpy(strstr(bw, "HOPPER"), "HOPPEX", 6);
	assert_int_equal(verify(f.v, bw, strlen(bw), AT_2025, NULL, 0, NULL, &err),
	                 CU_ERR_UNSUPPORTED);
	/* without the INSECURE test root the chain ends nowhere */
	{
		cu_verifier *plain;

		assert_int_equal(cu_verifier_new(&plain, &err), 0);
		assert_int_equal(verify(plain, ev, strlen(ev), AT_2025, NULL, 0, NULL, &err),
		                 CU_ERR_CHAIN);
		cu_verifier_free(plain);
	}
	free(bw);
	free(two);
	free(ev);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_samples),
		cmocka_unit_test(test_corpus_binding),
		cmocka_unit_test(test_corpus_raw_and_bitflips),
		cmocka_unit_test(test_corpus_bad_chains),
		cmocka_unit_test(test_corpus_rim),
		cmocka_unit_test(test_sim_rims_match),
		cmocka_unit_test(test_sim_rim_mismatch_and_overlap),
		cmocka_unit_test(test_sim_fwid),
		cmocka_unit_test(test_sim_trailing_and_truncation),
		cmocka_unit_test(test_sim_lists_and_arch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
