/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SEV-SNP evidence in the Trustee KBS form (src/evidence/snp_trustee.c): the
 * ATTESTATION_REPORT rebuilt from the virtee/sev crate's serde JSON must equal
 * the original bytes exactly (synthetic reports of every version, product and
 * signing key, and every real corpus report), in both the sev 5.x-7.x and the
 * sev 1.x serialisations; malformed JSON is refused naming the field; the
 * cert_chain's VCEK/VLEK become per-call extra collateral
 * (cu_verify_opts.extra_collateral), which is checked end to end.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/evidence/snp.h"
#include "../../src/evidence/snp_trustee.h"
#include "snp-builder.h"
#include "test-util.h"

/* 2030-01-01T00:00:00Z: inside the default validity of every test certificate. */
#define AT ((int64_t)1893456000)

static struct sb_pki milan, genoa, turin;

static int group_setup(void **state)
{
	struct sb_pki_opts o = { 0 };

	sb_pki_init(&milan, NULL);
	o.product = CU_SNP_PRODUCT_GENOA;
	sb_pki_init(&genoa, &o);
	o.product = CU_SNP_PRODUCT_TURIN;
	sb_pki_init(&turin, &o);
	return 0;
}

static json_t *base; /* one signed Milan v5 report in JSON form (base_json()) */

static int group_teardown(void **state)
{
	json_decref(base);
	base = NULL;
	sb_pki_done(&milan);
	sb_pki_done(&genoa);
	sb_pki_done(&turin);
	return 0;
}

/* ----------------------------------------------------------- helpers */

static void set(json_t *o, const char *key, json_t *v)
{
	assert_non_null(v);
	assert_int_equal(json_object_set_new(o, key, v), 0);
}

static json_t *bytes_json(const uint8_t *p, size_t n)
{
	json_t *a = json_array();

	assert_non_null(a);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(json_array_append_new(a, json_integer(p[i])), 0);
	return a;
}

static json_t *u64_json(uint64_t v)
{
	/* serde writes a u64; jansson holds up to INT64_MAX, enough for these tests. */
	assert_true(v <= (uint64_t)INT64_MAX);
	return json_integer((json_int_t)v);
}

enum style {
	SEV7, /* sev 5.x-7.x: {major, minor, build}, key_info, fmc */
	SEV1, /* sev 1.x: current_build/minor/major, _author_key_en, no fmc */
};

static json_t *tcb_json(uint64_t raw, enum cu_snp_product p, enum style style)
{
	struct cu_snp_tcb t;
	json_t *o;

	cu_snp_tcb_decode(raw, p, &t);
	o = json_pack("{s:i,s:i,s:i,s:i}", "bootloader", t.bootloader, "tee", t.tee, "snp", t.snp,
	              "microcode", t.microcode);
	assert_non_null(o);
	if (style == SEV7)
		set(o, "fmc", p == CU_SNP_PRODUCT_TURIN ? json_integer(t.fmc) : json_null());
	else
		set(o, "_reserved", json_pack("[i,i,i,i]", 0, 0, 0, 0));
	return o;
}

/* The report as the sev crate serialises AttestationReport (see sev_json() in the e2e test). */
static json_t *report_json(const struct cu_snp_report *r, enum style style)
{
	enum cu_snp_product p = CU_SNP_PRODUCT_MILAN;
	uint32_t keyinfo = (uint32_t)r->author_key_en | (uint32_t)r->mask_chip_key << 1 |
	                   (uint32_t)r->signing_key << 2;
	json_t *j = json_object(), *sig;

	assert_non_null(j);
	if (r->version >= 3 &&
	    cu_snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id) == CU_SNP_PRODUCT_TURIN)
		p = CU_SNP_PRODUCT_TURIN;
	set(j, "version", json_integer(r->version));
	set(j, "guest_svn", json_integer(r->guest_svn));
	set(j, "policy", u64_json(r->policy));
	set(j, "family_id", bytes_json(r->family_id, sizeof(r->family_id)));
	set(j, "image_id", bytes_json(r->image_id, sizeof(r->image_id)));
	set(j, "vmpl", json_integer(r->vmpl));
	set(j, "sig_algo", json_integer(r->signature_algo));
	set(j, "current_tcb", tcb_json(r->current_tcb, p, style));
	set(j, "plat_info", u64_json(r->platform_info));
	set(j, style == SEV7 ? "key_info" : "_author_key_en", json_integer(keyinfo));
	set(j, "report_data", bytes_json(r->report_data, sizeof(r->report_data)));
	set(j, "measurement", bytes_json(r->measurement, sizeof(r->measurement)));
	set(j, "host_data", bytes_json(r->host_data, sizeof(r->host_data)));
	set(j, "id_key_digest", bytes_json(r->id_key_digest, sizeof(r->id_key_digest)));
	set(j, "author_key_digest", bytes_json(r->author_key_digest, sizeof(r->author_key_digest)));
	set(j, "report_id", bytes_json(r->report_id, sizeof(r->report_id)));
	set(j, "report_id_ma", bytes_json(r->report_id_ma, sizeof(r->report_id_ma)));
	set(j, "reported_tcb", tcb_json(r->reported_tcb, p, style));
	if (style == SEV7) {
		set(j, "cpuid_fam_id",
		    r->version >= 3 ? json_integer(r->cpuid_fam_id) : json_null());
		set(j, "cpuid_mod_id",
		    r->version >= 3 ? json_integer(r->cpuid_mod_id) : json_null());
		set(j, "cpuid_step", r->version >= 3 ? json_integer(r->cpuid_step) : json_null());
	} else {
		set(j, "_reserved_0", json_integer(0));
	}
	set(j, "chip_id", bytes_json(r->chip_id, sizeof(r->chip_id)));
	set(j, "committed_tcb", tcb_json(r->committed_tcb, p, style));
	if (style == SEV7) {
		set(j, "current",
		    json_pack("{s:i,s:i,s:i}", "major", r->current_major, "minor", r->current_minor,
		              "build", r->current_build));
		set(j, "committed",
		    json_pack("{s:i,s:i,s:i}", "major", r->committed_major, "minor",
		              r->committed_minor, "build", r->committed_build));
	} else {
		set(j, "current_build", json_integer(r->current_build));
		set(j, "current_minor", json_integer(r->current_minor));
		set(j, "current_major", json_integer(r->current_major));
		set(j, "_reserved_2", json_integer(0));
		set(j, "committed_build", json_integer(r->committed_build));
		set(j, "committed_minor", json_integer(r->committed_minor));
		set(j, "committed_major", json_integer(r->committed_major));
		set(j, "_reserved_3", json_integer(0));
	}
	set(j, "launch_tcb", tcb_json(r->launch_tcb, p, style));
	if (r->version >= 5) {
		set(j, "launch_mit_vector", u64_json(r->launch_mit_vector));
		set(j, "current_mit_vector", u64_json(r->current_mit_vector));
	}
	sig = json_object();
	assert_non_null(sig);
	set(sig, "r", bytes_json(r->sig_r, sizeof(r->sig_r)));
	set(sig, "s", bytes_json(r->sig_s, sizeof(r->sig_s)));
	if (style == SEV1) {
		uint8_t zero[368] = { 0 };

		set(sig, "_reserved", bytes_json(zero, sizeof(zero)));
	}
	set(j, "signature", sig);
	return j;
}

/* Through text and back, as it travels. */
static json_t *wire(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_error_t e;
	json_t *back;

	assert_non_null(text);
	back = json_loads(text, 0, &e);
	if (!back)
		fail_msg("reload: %s", e.text);
	free(text);
	json_decref(j);
	return back;
}

/* Rebuild from JSON and compare with the original bytes (takes j). */
static void assert_round_trip_(json_t *j, const uint8_t want[CU_SNP_REPORT_SIZE], const char *what,
                               int line)
{
	struct cu_error err = { 0 };
	uint8_t out[CU_SNP_REPORT_SIZE];
	int r;

	j = wire(j);
	memset(out, 0xa5, sizeof(out));
	r = cu_snp_report_from_json(j, out, &err);
	if (r < 0)
		fail_msg("line %d: %s: cu_snp_report_from_json: %d (%s): %s", line, what, r,
		         cu_errname(r), err.message);
	for (size_t i = 0; i < CU_SNP_REPORT_SIZE; i++)
		if (out[i] != want[i])
			fail_msg("line %d: %s: byte 0x%03zx is 0x%02x, the original has 0x%02x",
			         line, what, i, out[i], want[i]);
	json_decref(j);
}
#define assert_round_trip(j, want, what) assert_round_trip_((j), (want), (what), __LINE__)

static void verify_ok_(cu_verifier *v, const uint8_t *buf, const struct cu_verify_opts *o,
                       const char *what, int line)
{
	struct cu_error err = { 0 };
	json_t *claims = NULL;
	int r = cu_verify(v, "snp", buf, CU_SNP_REPORT_SIZE, o, &claims, &err);

	if (r != 0)
		fail_msg("line %d: %s: cu_verify failed: %d (%s) stage %s: %s", line, what, r,
		         cu_errname(r), err.stage ? err.stage : "(null)", err.message);
	assert_non_null(claims);
	assert_true(json_is_true(json_object_get(claims, "verified")));
	json_decref(claims);
}
#define verify_ok(v, buf, o, what) verify_ok_((v), (buf), (o), (what), __LINE__)

static struct cu_error verify_fail_(cu_verifier *v, const uint8_t *buf,
                                    const struct cu_verify_opts *o, const char *what, int line)
{
	struct cu_error err = { 0 };
	json_t *claims = NULL;
	int r = cu_verify(v, "snp", buf, CU_SNP_REPORT_SIZE, o, &claims, &err);

	if (r >= 0)
		fail_msg("line %d: %s: verified, expected a rejection", line, what);
	assert_null(claims);
	assert_int_equal(err.code, r);
	assert_non_null(err.stage);
	assert_true(err.message[0] != '\0');
	return err;
}
#define verify_fail(v, buf, o, what) verify_fail_((v), (buf), (o), (what), __LINE__)

static const char *product_name(const struct sb_pki *pki)
{
	return cu_snp_product_name(pki->product);
}

/* A report with non-trivial values everywhere the JSON carries one. */
static void interesting_report(const struct sb_pki *pki, uint32_t version, bool vlek,
                               uint8_t out[CU_SNP_REPORT_SIZE])
{
	struct cu_snp_report r;

	if (vlek)
		sb_report_init_vlek(&r, pki, version);
	else
		sb_report_init(&r, pki, version);
	r.guest_svn = 0x89abcdef;
	/* ABI 1.55, SMT, bit 17, MIGRATE_MA, DEBUG, SINGLE_SOCKET */
	r.policy = 0x37 | 1u << 8 | 0x30000 | 1u << 18 | 1u << 19 | 1u << 20;
	r.vmpl = 3;
	r.platform_info = 0x25;
	r.author_key_en = true;
	for (size_t i = 0; i < sizeof(r.report_data); i++)
		r.report_data[i] = (uint8_t)(255 - i);
	r.measurement[0] = 0xff;
	r.measurement[47] = 0x00;
	r.host_data[31] = 0x80;
	r.current_build = 255;
	r.current_minor = 0;
	r.current_major = 1;
	r.committed_build = 1;
	r.committed_minor = 254;
	r.committed_major = 2;
	if (version >= 5) {
		r.launch_mit_vector = 0x7fedcba987654321ull;
		r.current_mit_vector = 0x0000000100000003ull;
	}
	sb_report_build(&r, vlek ? pki->vlek_key : pki->vcek_key, out);
}

static struct cu_snp_report parsed(const uint8_t buf[CU_SNP_REPORT_SIZE])
{
	struct cu_error err = { 0 };
	struct cu_snp_report r;

	if (cu_snp_report_parse(buf, CU_SNP_REPORT_SIZE, &r, &err) < 0)
		fail_msg("cu_snp_report_parse: %s", err.message);
	return r;
}

/* ----------------------------------------------------------- round trips */

static void test_round_trip_synthetic(void **state)
{
	const struct sb_pki *pkis[] = { &milan, &genoa, &turin };
	const uint32_t versions[] = { 2, 3, 5 };
	struct cu_verify_opts o = { .at = AT };
	int done = 0;

	for (size_t p = 0; p < ELEMENTSOF(pkis); p++) {
		cu_verifier *v = sb_verifier_new(pkis[p]);

		for (size_t k = 0; k < ELEMENTSOF(versions); k++) {
			for (int vlek = 0; vlek <= 1; vlek++) {
				uint8_t buf[CU_SNP_REPORT_SIZE], out[CU_SNP_REPORT_SIZE];
				struct cu_error err = { 0 };
				struct cu_snp_report r;
				char what[64];

				/*
				 * Turin firmware writes v3+ reports: without CPUID_FAM_ID the
				 * JSON form (like the sev crate) cannot tell the Turin TCB layout.
				 */
				if (pkis[p]->product == CU_SNP_PRODUCT_TURIN && versions[k] < 3)
					continue;
				snprintf(what, sizeof(what), "%s v%u %s", product_name(pkis[p]),
				         versions[k], vlek ? "VLEK" : "VCEK");
				interesting_report(pkis[p], versions[k], vlek, buf);
				/* the original verifies (sanity) */
				verify_ok(v, buf, &o, what);
				r = parsed(buf);
				assert_round_trip(report_json(&r, SEV7), buf, what);

				/* The rebuilt report verifies, and so does it from the evidence form. */
				{
					json_t *j = wire(report_json(&r, SEV7));

					assert_int_equal(cu_snp_report_from_json(j, out, &err), 0);
					json_decref(j);
				}
				verify_ok(v, out, &o, what);
				done++;
			}
		}
		cu_verifier_free(v);
	}
	assert_int_equal(done, 16);
}

/* The report of a product as the Turin TCB layout needs it: FMC present and non-zero. */
static void test_round_trip_turin_fmc(void **state)
{
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_snp_report r;
	json_t *j, *fmc;

	interesting_report(&turin, 5, false, buf);
	r = parsed(buf);
	j = report_json(&r, SEV7);
	fmc = json_object_get(json_object_get(j, "reported_tcb"), "fmc");
	assert_true(json_is_integer(fmc));
	/* the builder's default Turin TCB has an FMC SPL: the test would be vacuous otherwise */
	assert_true(json_integer_value(fmc) != 0 || buf[0x180] != 0);
	assert_round_trip(j, buf, "Turin v5");

	/* Milan's TCB JSON carries fmc null */
	interesting_report(&milan, 5, false, buf);
	r = parsed(buf);
	j = report_json(&r, SEV7);
	assert_true(json_is_null(json_object_get(json_object_get(j, "current_tcb"), "fmc")));
	assert_round_trip(j, buf, "Milan v5");
}

static void test_round_trip_sev1(void **state)
{
	const struct sb_pki *pkis[] = { &milan, &genoa };
	struct cu_verify_opts o = { .at = AT };

	for (size_t p = 0; p < ELEMENTSOF(pkis); p++) {
		cu_verifier *v = sb_verifier_new(pkis[p]);

		for (int vlek = 0; vlek <= 1; vlek++) {
			uint8_t buf[CU_SNP_REPORT_SIZE], out[CU_SNP_REPORT_SIZE];
			struct cu_error err = { 0 };
			struct cu_snp_report r;
			json_t *j;

			interesting_report(pkis[p], 2, vlek, buf);
			r = parsed(buf);
			j = report_json(&r, SEV1);
			assert_null(json_object_get(j, "key_info"));
			assert_null(json_object_get(j, "current"));
			assert_round_trip(j, buf, "sev 1.x");
			j = wire(report_json(&r, SEV1));
			assert_int_equal(cu_snp_report_from_json(j, out, &err), 0);
			json_decref(j);
			verify_ok(v, out, &o, "sev 1.x");
		}
		cu_verifier_free(v);
	}
}

static void test_round_trip_corpus(void **state)
{
	const char *corpus = tu_corpus_dir();
	char kind[1024];
	struct dirent **names;
	int n, checked = 0;

	if (!corpus) {
		skip();
		return;
	}
	snprintf(kind, sizeof(kind), "%s/sev-snp", corpus);
	n = scandir(kind, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		char path[2304];
		struct cu_snp_report r;
		uint8_t *buf;
		size_t size;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/report.bin", kind, names[i]->d_name);
		free(names[i]);
		if (!(f = fopen(path, "r")))
			continue;
		fclose(f);
		buf = tu_read_file(path, &size);
		assert_int_equal(size, CU_SNP_REPORT_SIZE);
		r = parsed(buf);
		assert_round_trip(report_json(&r, SEV7), buf, path);
		/* sev 1.x knew only version 2 (no CPUID fields) */
		if (r.version == 2)
			assert_round_trip(report_json(&r, SEV1), buf, path);
		free(buf);
		checked++;
	}
	free(names);
	assert_true(checked > 0);
}

/* Fields absent for older versions are ignored, whatever they hold. */
static void test_version_gated_fields(void **state)
{
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_snp_report r;
	json_t *j;

	/* v2: cpuid_* given anyway are not written */
	interesting_report(&milan, 2, false, buf);
	r = parsed(buf);
	j = report_json(&r, SEV7);
	set(j, "cpuid_fam_id", json_integer(0x19));
	set(j, "cpuid_mod_id", json_integer(0x11));
	set(j, "cpuid_step", json_integer(1));
	set(j, "launch_mit_vector", json_integer(5));
	assert_round_trip(j, buf, "v2 with CPUID");

	/* v3: mitigation vectors given anyway are not written */
	interesting_report(&genoa, 3, false, buf);
	r = parsed(buf);
	j = report_json(&r, SEV7);
	set(j, "launch_mit_vector", json_integer(5));
	set(j, "current_mit_vector", json_integer(6));
	assert_round_trip(j, buf, "v3 with mitigation vectors");

	/* v5 with null mitigation vectors: zero */
	interesting_report(&genoa, 5, false, buf);
	r = parsed(buf);
	r.launch_mit_vector = r.current_mit_vector = 0;
	sb_report_build(&r, genoa.vcek_key, buf);
	r = parsed(buf); /* the new signature */
	j = report_json(&r, SEV7);
	set(j, "launch_mit_vector", json_null());
	assert_int_equal(json_object_del(j, "current_mit_vector"), 0);
	assert_round_trip(j, buf, "v5 without mitigation vectors");
}

/* ----------------------------------------------------------- errors */

/* A fresh copy of the base report's JSON (signatures are randomised: one report only). */
static json_t *base_json(void)
{
	json_t *j;

	if (!base) {
		uint8_t buf[CU_SNP_REPORT_SIZE];
		struct cu_snp_report r;

		interesting_report(&milan, 5, false, buf);
		r = parsed(buf);
		base = report_json(&r, SEV7);
	}
	j = json_deep_copy(base);
	assert_non_null(j);
	return j;
}

/*
 * Both entry points refuse `rep` with CU_ERR_MALFORMED at stage "parse", a
 * message containing each of the needles, and outputs untouched. Takes rep.
 */
static void expect_malformed_(json_t *rep, const char *needle1, const char *needle2, int line)
{
	struct cu_error err = { 0 }, err2 = { 0 };
	uint8_t out[CU_SNP_REPORT_SIZE], before[CU_SNP_REPORT_SIZE];
	struct cu_snp_trustee_evidence ev, ev_before;
	json_t *evidence;
	int r;

	memset(out, 0xa5, sizeof(out));
	memcpy(before, out, sizeof(out));
	r = cu_snp_report_from_json(rep, out, &err);
	if (r != CU_ERR_MALFORMED || !err.stage || strcmp(err.stage, "parse") != 0)
		fail_msg("line %d: expected malformed/parse, got %d (%s) stage %s: %s", line, r,
		         cu_errname(r), err.stage ? err.stage : "(null)", err.message);
	assert_int_equal(err.code, CU_ERR_MALFORMED);
	assert_memory_equal(out, before, sizeof(out));
	if (needle1 && !strstr(err.message, needle1))
		fail_msg("line %d: '%s' does not name '%s'", line, err.message, needle1);
	if (needle2 && !strstr(err.message, needle2))
		fail_msg("line %d: '%s' does not name '%s'", line, err.message, needle2);

	/* the same through the evidence parser */
	evidence = json_pack("{s:O?,s:n}", "attestation_report", rep, "cert_chain");
	assert_non_null(evidence);
	memset(&ev, 0x5a, sizeof(ev));
	ev_before = ev;
	r = cu_snp_trustee_evidence_parse(evidence, &ev, &err2);
	assert_int_equal(r, CU_ERR_MALFORMED);
	assert_string_equal(err2.stage, "parse");
	assert_string_equal(err2.message, err.message);
	assert_memory_equal(&ev, &ev_before, sizeof(ev));
	json_decref(evidence);
	json_decref(rep);
}
#define expect_malformed(rep, n1, n2) expect_malformed_((rep), (n1), (n2), __LINE__)

/* base_json() with `key` (or `obj.key`) replaced by v (NULL: deleted). */
static json_t *with(const char *key, json_t *v)
{
	json_t *j = base_json(), *o = j;
	char buf[64], *dot;

	snprintf(buf, sizeof(buf), "%s", key);
	if ((dot = strchr(buf, '.'))) {
		*dot = '\0';
		o = json_object_get(j, buf);
		assert_non_null(o);
		key = dot + 1;
	} else {
		key = buf;
	}
	if (v)
		set(o, key, v);
	else
		assert_int_equal(json_object_del(o, key), 0);
	return j;
}

/* base_json() with element `i` of byte array `key` (or `obj.key`) replaced by v. */
static json_t *with_elem(const char *key, size_t i, json_t *v)
{
	json_t *j = base_json(), *o = j, *a;
	char buf[64], *dot;

	snprintf(buf, sizeof(buf), "%s", key);
	if ((dot = strchr(buf, '.'))) {
		*dot = '\0';
		o = json_object_get(j, buf);
		key = dot + 1;
	} else {
		key = buf;
	}
	a = json_object_get(o, key);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_set_new(a, i, v), 0);
	return j;
}

static void test_base_is_valid(void **state)
{
	uint8_t out[CU_SNP_REPORT_SIZE];
	json_t *j = base_json();

	assert_int_equal(cu_snp_report_from_json(j, out, NULL), 0);
	json_decref(j);
}

static void test_error_missing_field(void **state)
{
	static const char *const required[] = {
		"version",      "guest_svn",    "policy",        "family_id",         "image_id",
		"vmpl",         "sig_algo",     "current_tcb",   "plat_info",         "report_data",
		"measurement",  "host_data",    "id_key_digest", "author_key_digest", "report_id",
		"report_id_ma", "reported_tcb", "chip_id",       "committed_tcb",     "launch_tcb",
		"signature",
	};

	for (size_t i = 0; i < ELEMENTSOF(required); i++)
		expect_malformed(with(required[i], NULL), required[i], NULL);
	/* current/committed: neither the object nor the sev 1.x fields */
	expect_malformed(with("current", NULL), "current", NULL);
	expect_malformed(with("committed", NULL), "committed", NULL);
	/* key_info: neither it nor the sev 1.x _author_key_en */
	expect_malformed(with("key_info", NULL), "key_", NULL);
	/* members of nested objects */
	expect_malformed(with("current_tcb.microcode", NULL), "current_tcb", "microcode");
	expect_malformed(with("launch_tcb.bootloader", NULL), "launch_tcb", "bootloader");
	expect_malformed(with("committed.minor", NULL), "minor", NULL);
	expect_malformed(with("current.build", NULL), "build", NULL);
	expect_malformed(with("signature.r", NULL), "signature", NULL);
	expect_malformed(with("signature.s", NULL), "signature", NULL);
}

static void test_error_byte_array_length(void **state)
{
	uint8_t big[80] = { 0 };

	expect_malformed(with("family_id", bytes_json(big, 15)), "family_id", NULL);
	expect_malformed(with("image_id", bytes_json(big, 17)), "image_id", NULL);
	expect_malformed(with("report_data", bytes_json(big, 65)), "report_data", NULL);
	expect_malformed(with("measurement", bytes_json(big, 0)), "measurement", NULL);
	expect_malformed(with("chip_id", bytes_json(big, 63)), "chip_id", NULL);
	expect_malformed(with("report_id_ma", bytes_json(big, 33)), "report_id_ma", NULL);
	expect_malformed(with("signature.r", bytes_json(big, 71)), "signature", NULL);
	expect_malformed(with("signature.s", bytes_json(big, 73)), "signature", NULL);
	/* not an array at all: hex, base64, an object */
	expect_malformed(with("measurement", json_string("00ff")), "measurement", NULL);
	expect_malformed(with("host_data", json_object()), "host_data", NULL);
	expect_malformed(with("id_key_digest", json_null()), "id_key_digest", NULL);
}

static void test_error_bad_byte(void **state)
{
	expect_malformed(with_elem("measurement", 5, json_integer(256)), "measurement", NULL);
	expect_malformed(with_elem("host_data", 0, json_integer(-1)), "host_data", NULL);
	expect_malformed(with_elem("image_id", 3, json_string("1")), "image_id", NULL);
	expect_malformed(with_elem("family_id", 15, json_real(1.0)), "family_id", NULL);
	expect_malformed(with_elem("report_id", 31, json_true()), "report_id", NULL);
	expect_malformed(with_elem("chip_id", 63, json_null()), "chip_id", NULL);
	expect_malformed(with_elem("report_data", 1, json_integer(INT64_MAX)), "report_data", NULL);
	expect_malformed(with_elem("signature.s", 71, json_integer(1000)), "signature", NULL);
	expect_malformed(with_elem("signature.r", 0, json_array()), "signature", NULL);
}

static void test_error_tcb(void **state)
{
	expect_malformed(with("current_tcb", json_integer(0x4405000000000002)), "current_tcb",
	                 NULL);
	expect_malformed(with("reported_tcb", json_null()), "reported_tcb", NULL);
	expect_malformed(with("launch_tcb", json_pack("[i,i,i,i]", 1, 2, 3, 4)), "launch_tcb",
	                 NULL);
	expect_malformed(with("committed_tcb", json_string("0x4405000000000002")), "committed_tcb",
	                 NULL);
	expect_malformed(with("current_tcb.snp", json_integer(256)), "current_tcb", "snp");
	expect_malformed(with("reported_tcb.tee", json_integer(-1)), "reported_tcb", "tee");
	expect_malformed(with("launch_tcb.fmc", json_integer(300)), "launch_tcb", "fmc");
	expect_malformed(with("committed_tcb.microcode", json_string("68")), "committed_tcb",
	                 "microcode");
}

static void test_error_signature(void **state)
{
	expect_malformed(with("signature", json_null()), "signature", NULL);
	expect_malformed(with("signature", json_array()), "signature", NULL);
	expect_malformed(with("signature.r", NULL), "signature", NULL);
	expect_malformed(with("signature.r", json_string("00")), "signature", NULL);
}

static void test_error_integers(void **state)
{
	expect_malformed(with("version", json_string("2")), "version", NULL);
	expect_malformed(with("version", json_real(5.0)), "version", NULL);
	expect_malformed(with("version", json_null()), "version", NULL);
	expect_malformed(with("version", json_integer(-2)), "version", NULL);
	expect_malformed(with("version", json_integer(0x100000000)), "version", NULL);
	expect_malformed(with("policy", json_integer(-1)), "policy", NULL);
	expect_malformed(with("policy", json_string("0x30000")), "policy", NULL);
	expect_malformed(with("guest_svn", json_integer(0x100000000)), "guest_svn", NULL);
	expect_malformed(with("vmpl", json_integer(-1)), "vmpl", NULL);
	expect_malformed(with("sig_algo", json_false()), "sig_algo", NULL);
	expect_malformed(with("plat_info", json_integer(-3)), "plat_info", NULL);
	expect_malformed(with("key_info", json_integer(0x100000000)), "key_info", NULL);
	expect_malformed(with("key_info", json_null()), "key_info", NULL);
	expect_malformed(with("cpuid_fam_id", json_integer(256)), "cpuid_fam_id", NULL);
	expect_malformed(with("cpuid_step", json_string("1")), "cpuid_step", NULL);
	expect_malformed(with("launch_mit_vector", json_integer(-1)), "launch_mit_vector", NULL);
	expect_malformed(with("current_mit_vector", json_real(1.5)), "current_mit_vector", NULL);
	expect_malformed(with("current.major", json_integer(256)), "major", NULL);
	expect_malformed(with("committed.build", json_integer(-1)), "build", NULL);
	expect_malformed(with("current", json_string("1.55.21")), "current", NULL);
}

static void test_error_not_an_object(void **state)
{
	struct cu_error err = { 0 };
	uint8_t out[CU_SNP_REPORT_SIZE], before[CU_SNP_REPORT_SIZE];
	struct cu_snp_trustee_evidence ev, ev_before;
	json_t *bad[] = { json_array(), json_string("AQID"), json_integer(1), json_null() };

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		expect_malformed(bad[i], "attestation_report", NULL);
	expect_malformed(NULL, "attestation_report", NULL);

	/* The evidence itself must be an object. */
	memset(out, 0xa5, sizeof(out));
	memcpy(before, out, sizeof(out));
	memset(&ev, 0x5a, sizeof(ev));
	ev_before = ev;
	{
		json_t *arr = json_array();

		assert_int_equal(cu_snp_trustee_evidence_parse(arr, &ev, &err), CU_ERR_MALFORMED);
		assert_string_equal(err.stage, "parse");
		assert_memory_equal(&ev, &ev_before, sizeof(ev));
		json_decref(arr);
	}
	assert_int_equal(cu_snp_trustee_evidence_parse(NULL, &ev, &err), CU_ERR_MALFORMED);
	assert_memory_equal(&ev, &ev_before, sizeof(ev));
}

/*
 * Messages name the field by its full path, in the "snp: ..." form every other
 * SNP message has, so that an operator can tell current.major from committed.major.
 */
static void test_error_messages_name_the_path(void **state)
{
	static const struct {
		const char *key;
		const char *want;
	} cases[] = {
		{ "current.major", "current.major" },
		{ "committed.major", "committed.major" },
		{ "key_info", "key_info" },
		{ "current_tcb.bootloader", "attestation_report.current_tcb.bootloader" },
		{ "signature.r", "attestation_report.signature.r" },
	};
	char report[2048] = "";
	size_t off = 0;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cu_error err = { 0 };
		uint8_t out[CU_SNP_REPORT_SIZE];
		json_t *j = with(cases[i].key, NULL);

		assert_int_equal(cu_snp_report_from_json(j, out, &err), CU_ERR_MALFORMED);
		json_decref(j);
		if (!strstr(err.message, cases[i].want) || strncmp(err.message, "snp: ", 5) != 0)
			off += (size_t)snprintf(report + off, sizeof(report) - off,
			                        "\n  %s missing: \"%s\" (want \"snp: ...%s...\")",
			                        cases[i].key, err.message, cases[i].want);
	}
	if (off)
		fail_msg("messages that do not name the field path:%s", report);
}

/* ----------------------------------------------------------- evidence and cert_chain */

static json_t *evidence_with_chain(json_t *chain)
{
	json_t *e = json_object();

	assert_non_null(e);
	set(e, "attestation_report", base_json());
	if (chain)
		set(e, "cert_chain", chain);
	return e;
}

static json_t *entry(const char *type, const uint8_t *der, size_t size)
{
	return json_pack("{s:s,s:o}", "cert_type", type, "data", bytes_json(der, size));
}

static void parse_ok(json_t *ev, struct cu_snp_trustee_evidence *ret)
{
	struct cu_error err = { 0 };
	int r = cu_snp_trustee_evidence_parse(ev, ret, &err);

	if (r < 0)
		fail_msg("cu_snp_trustee_evidence_parse: %d (%s): %s", r, cu_errname(r),
		         err.message);
	json_decref(ev);
}

/* Refused with `code`, output untouched; takes ev. */
static void parse_fail_(json_t *ev, int code, const char *needle, int line)
{
	struct cu_error err = { 0 };
	struct cu_snp_trustee_evidence e, before;
	int r;

	memset(&e, 0x5a, sizeof(e));
	before = e;
	r = cu_snp_trustee_evidence_parse(ev, &e, &err);
	if (r != code || !err.stage || strcmp(err.stage, "parse") != 0)
		fail_msg("line %d: expected %s/parse, got %d (%s) stage %s: %s", line,
		         cu_errname(code), r, cu_errname(r), err.stage ? err.stage : "(null)",
		         err.message);
	assert_memory_equal(&e, &before, sizeof(e));
	if (needle && !strstr(err.message, needle))
		fail_msg("line %d: '%s' does not name '%s'", line, err.message, needle);
	json_decref(ev);
}
#define parse_fail(ev, code, needle) parse_fail_((ev), (code), (needle), __LINE__)

static void test_evidence_no_certs(void **state)
{
	struct cu_snp_trustee_evidence e;
	uint8_t want[CU_SNP_REPORT_SIZE];
	json_t *j = base_json();

	assert_int_equal(cu_snp_report_from_json(j, want, NULL), 0);
	json_decref(j);

	memset(&e, 0x5a, sizeof(e));
	parse_ok(evidence_with_chain(json_null()), &e);
	assert_int_equal(e.n_certs, 0);
	assert_memory_equal(e.report, want, sizeof(want));
	cu_snp_trustee_evidence_clear(&e);

	parse_ok(evidence_with_chain(NULL), &e);
	assert_int_equal(e.n_certs, 0);
	cu_snp_trustee_evidence_clear(&e);

	parse_ok(evidence_with_chain(json_array()), &e);
	assert_int_equal(e.n_certs, 0);
	assert_memory_equal(e.report, want, sizeof(want));
	cu_snp_trustee_evidence_clear(&e);
}

static void test_evidence_vcek(void **state)
{
	struct cu_snp_trustee_evidence e;
	size_t vcek_size, vlek_size;
	uint8_t *vcek = sb_cert_der(milan.vcek, &vcek_size);
	uint8_t *vlek = sb_cert_der(milan.vlek, &vlek_size);

	parse_ok(evidence_with_chain(json_pack("[o]", entry("VCEK", vcek, vcek_size))), &e);
	assert_int_equal(e.n_certs, 1);
	assert_int_equal(e.cert_sizes[0], vcek_size);
	assert_memory_equal(e.certs[0], vcek, vcek_size);
	cu_snp_trustee_evidence_clear(&e);
	assert_int_equal(e.n_certs, 0);

	parse_ok(evidence_with_chain(json_pack("[o]", entry("VLEK", vlek, vlek_size))), &e);
	assert_int_equal(e.n_certs, 1);
	assert_int_equal(e.cert_sizes[0], vlek_size);
	assert_memory_equal(e.certs[0], vlek, vlek_size);
	cu_snp_trustee_evidence_clear(&e);
	free(vcek);
	free(vlek);
}

static void test_evidence_skips_other_types(void **state)
{
	struct cu_snp_trustee_evidence e;
	size_t vcek_size, ask_size, ark_size;
	uint8_t *vcek = sb_cert_der(milan.vcek, &vcek_size);
	uint8_t *ask = sb_cert_der(milan.ask, &ask_size);
	uint8_t *ark = sb_cert_der(milan.ark, &ark_size);
	const uint8_t junk[] = { 1, 2, 3 };
	json_t *chain, *other;

	other =
	    json_pack("{s:{s:s},s:o}", "cert_type", "OTHER", "63da758d-e664-4564-adc5-f4b93be8accd",
	              "data", bytes_json(junk, sizeof(junk)));
	chain = json_pack("[o,o,o,o,o,o]", entry("ARK", ark, ark_size), entry("ASK", ask, ask_size),
	                  entry("CRL", junk, sizeof(junk)), entry("Empty", junk, sizeof(junk)),
	                  other, entry("VCEK", vcek, vcek_size));
	assert_non_null(chain);
	parse_ok(evidence_with_chain(chain), &e);
	assert_int_equal(e.n_certs, 1);
	assert_int_equal(e.cert_sizes[0], vcek_size);
	assert_memory_equal(e.certs[0], vcek, vcek_size);
	cu_snp_trustee_evidence_clear(&e);

	/* only roots and intermediates: nothing taken */
	parse_ok(evidence_with_chain(
	             json_pack("[o,o]", entry("ARK", ark, ark_size), entry("ASK", ask, ask_size))),
	         &e);
	assert_int_equal(e.n_certs, 0);
	cu_snp_trustee_evidence_clear(&e);
	free(vcek);
	free(ask);
	free(ark);
}

static void test_evidence_too_many_keys(void **state)
{
	struct cu_snp_trustee_evidence e;
	size_t size;
	uint8_t *vcek = sb_cert_der(milan.vcek, &size);
	json_t *chain = json_array();

	/* exactly the maximum, VCEKs and VLEKs mixed, with other entries between */
	for (int i = 0; i < CU_SNP_TRUSTEE_MAX_CERTS; i++) {
		assert_int_equal(json_array_append_new(
		                     chain, entry(i % 2 ? "VLEK" : "VCEK", vcek, size - (size_t)i)),
		                 0);
		assert_int_equal(json_array_append_new(chain, entry("ASK", vcek, 10)), 0);
	}
	parse_ok(evidence_with_chain(json_incref(chain)), &e);
	assert_int_equal(e.n_certs, CU_SNP_TRUSTEE_MAX_CERTS);
	for (int i = 0; i < CU_SNP_TRUSTEE_MAX_CERTS; i++) {
		assert_int_equal(e.cert_sizes[i], size - (size_t)i);
		assert_memory_equal(e.certs[i], vcek, size - (size_t)i);
	}
	cu_snp_trustee_evidence_clear(&e);

	/* one more endorsement key: refused, and the ones taken so far are freed */
	assert_int_equal(json_array_append_new(chain, entry("VCEK", vcek, size)), 0);
	parse_fail(evidence_with_chain(chain), CU_ERR_TOO_LARGE, "cert_chain");
	free(vcek);
}

static void test_evidence_bad_entries(void **state)
{
	size_t size;
	uint8_t *vcek = sb_cert_der(milan.vcek, &size);
	json_t *bad_byte;

	/* data not an array (base64 text), empty, missing */
	parse_fail(
	    evidence_with_chain(json_pack("[{s:s,s:s}]", "cert_type", "VCEK", "data", "MIIB")),
	    CU_ERR_MALFORMED, "cert_chain[0].data");
	parse_fail(evidence_with_chain(json_pack("[{s:s,s:[]}]", "cert_type", "VCEK", "data")),
	           CU_ERR_MALFORMED, "cert_chain[0].data");
	parse_fail(evidence_with_chain(json_pack("[{s:s}]", "cert_type", "VCEK")), CU_ERR_MALFORMED,
	           "cert_chain[0].data");
	/* an entry that is not an object */
	parse_fail(evidence_with_chain(json_pack("[i]", 7)), CU_ERR_MALFORMED, "cert_chain[0]");

	/* bad bytes, after a good VCEK so that something has to be freed */
	for (int k = 0; k < 4; k++) {
		json_t *values[] = { json_integer(256), json_integer(-1), json_string("0"),
			             json_real(3.0) };
		json_t *chain;

		bad_byte = entry("VLEK", vcek, size);
		assert_int_equal(
		    json_array_set(json_object_get(bad_byte, "data"), size - 1, values[k]), 0);
		for (int i = 0; i < 4; i++)
			json_decref(values[i]);
		chain = json_pack("[o,o]", entry("VCEK", vcek, size), bad_byte);
		parse_fail(evidence_with_chain(chain), CU_ERR_MALFORMED, "cert_chain[1].data[");
	}

	/* cert_chain neither a list nor null */
	parse_fail(evidence_with_chain(json_object()), CU_ERR_MALFORMED, "cert_chain");
	parse_fail(evidence_with_chain(json_string("-----BEGIN CERTIFICATE-----")),
	           CU_ERR_MALFORMED, "cert_chain");
	parse_fail(evidence_with_chain(json_integer(0)), CU_ERR_MALFORMED, "cert_chain");
	parse_fail(evidence_with_chain(json_false()), CU_ERR_MALFORMED, "cert_chain");
	free(vcek);
}

/* ----------------------------------------------------------- extra collateral end to end */

static cu_verifier *verifier_root_and(const struct sb_pki *pki, X509 *a, X509 *b)
{
	cu_verifier *v;

	assert_int_equal(cu_verifier_new(&v, NULL), 0);
	sb_pki_add_root(pki, v);
	if (a)
		sb_add_cert(v, a);
	if (b)
		sb_add_cert(v, b);
	return v;
}

static void test_extra_collateral_vcek(void **state)
{
	cu_verifier *v = verifier_root_and(&milan, milan.ask, NULL);
	uint8_t buf[CU_SNP_REPORT_SIZE];
	size_t vcek_size, pem_size;
	uint8_t *vcek = sb_cert_der(milan.vcek, &vcek_size);
	char *pem = sb_cert_pem(milan.vcek, &pem_size);
	const uint8_t *extra[2];
	size_t sizes[2];
	struct cu_verify_opts o = { .at = AT };
	struct cu_error err;

	interesting_report(&milan, 3, false, buf);

	/* without the VCEK: nothing to check the signature with */
	err = verify_fail(v, buf, &o, "no VCEK");
	assert_int_equal(err.code, CU_ERR_NOT_FOUND);
	assert_string_equal(err.stage, "collateral");

	/* with it, for this call */
	extra[0] = vcek;
	sizes[0] = vcek_size;
	o.extra_collateral = extra;
	o.extra_collateral_sizes = sizes;
	o.n_extra_collateral = 1;
	verify_ok(v, buf, &o, "VCEK as extra collateral (DER)");

	/* for this call only: the verifier did not keep it */
	o.n_extra_collateral = 0;
	err = verify_fail(v, buf, &o, "no VCEK again");
	assert_int_equal(err.code, CU_ERR_NOT_FOUND);
	assert_string_equal(err.stage, "collateral");

	/* PEM works too */
	extra[0] = (const uint8_t *)pem;
	sizes[0] = pem_size;
	o.n_extra_collateral = 1;
	verify_ok(v, buf, &o, "VCEK as extra collateral (PEM)");

	/* bytes that are no certificate at all are refused, alone or next to a good VCEK */
	{
		static const uint8_t junk[] = "not a certificate";

		extra[0] = junk;
		sizes[0] = sizeof(junk);
		o.n_extra_collateral = 1;
		err = verify_fail(v, buf, &o, "junk extra collateral");
		assert_int_equal(err.code, CU_ERR_MALFORMED);
		assert_string_equal(err.stage, "collateral");
		extra[1] = vcek;
		sizes[1] = vcek_size;
		o.n_extra_collateral = 2;
		err = verify_fail(v, buf, &o, "junk and the VCEK");
		assert_int_equal(err.code, CU_ERR_MALFORMED);
		assert_string_equal(err.stage, "collateral");
	}

	/* a damaged PEM certificate is refused, even next to a good VCEK */
	{
		char *bad = strdup(pem);

		assert_non_null(bad);
		bad[40] = bad[40] == 'A' ? 'B' : 'A';
		bad[41] = '!';
		extra[0] = (const uint8_t *)bad;
		sizes[0] = pem_size;
		err = verify_fail(v, buf, &o, "damaged PEM extra collateral");
		assert_int_equal(err.code, CU_ERR_MALFORMED);
		assert_string_equal(err.stage, "collateral");
		free(bad);
	}
	free(vcek);
	free(pem);
	cu_verifier_free(v);
}

/*
 * Trustee guests send their VCEK as DER. A damaged one (here cut short, as a
 * guest with a broken certificate cache would send it) should be reported as
 * such, like a damaged PEM certificate is ("certificate N that came with the
 * evidence does not parse", CU_ERR_MALFORMED at stage collateral), not as a
 * missing VCEK that the operator should "pass with --collateral".
 */
/*
 * Keys that came with evidence are remembered once verified (no parsing or
 * chain check for the next report), and that never changes an answer: the
 * chain's validity window still applies, and a key seen before is still
 * refused for a report it did not sign.
 */
static void test_extra_collateral_cached(void **state)
{
	cu_verifier *v = verifier_root_and(&milan, milan.ask, NULL);
	uint8_t buf[CU_SNP_REPORT_SIZE], other[CU_SNP_REPORT_SIZE];
	size_t vcek_size;
	uint8_t *vcek = sb_cert_der(milan.vcek, &vcek_size);
	const uint8_t *extra[1] = { vcek };
	size_t sizes[1] = { vcek_size };
	struct cu_verify_opts o = { .at = AT,
		                    .extra_collateral = extra,
		                    .extra_collateral_sizes = sizes,
		                    .n_extra_collateral = 1 };
	struct cu_error err;

	(void)state;
	interesting_report(&milan, 3, false, buf);
	for (int i = 0; i < 3; i++)
		verify_ok(v, buf, &o, "the same VCEK again (cached)");
	/* the cached chain result is bounded by the certificates' validity */
	o.at = SB_DEFAULT_NOT_AFTER + 86400;
	err = verify_fail(v, buf, &o, "cached VCEK after its validity");
	assert_string_equal(err.stage, "chain");
	o.at = AT;
	verify_ok(v, buf, &o, "cached VCEK back inside its validity");
	/* a changed report still fails its signature with the cached key */
	memcpy(other, buf, sizeof(other));
	other[0x90] ^= 1;
	err = verify_fail(v, other, &o, "cached VCEK, changed report");
	assert_string_equal(err.stage, "signature");
	cu_verifier_free(v);
	free(vcek);
}

static void test_extra_collateral_damaged_der(void **state)
{
	cu_verifier *v = verifier_root_and(&milan, milan.ask, NULL);
	uint8_t buf[CU_SNP_REPORT_SIZE];
	size_t vcek_size, cut;
	uint8_t *vcek = sb_cert_der(milan.vcek, &vcek_size);
	const uint8_t *extra[1] = { vcek };
	struct cu_verify_opts o = { .at = AT };
	struct cu_error err;

	interesting_report(&milan, 3, false, buf);
	cut = vcek_size - 10;
	o.extra_collateral = extra;
	o.extra_collateral_sizes = &cut;
	o.n_extra_collateral = 1;
	err = verify_fail(v, buf, &o, "truncated DER VCEK");
	free(vcek);
	cu_verifier_free(v);
	if (err.code != CU_ERR_MALFORMED || strcmp(err.stage, "collateral") != 0)
		fail_msg("a truncated DER VCEK as extra collateral: expected malformed/collateral "
		         "(\"does not parse\"), got %s/%s: %s",
		         cu_errname(err.code), err.stage, err.message);
}

static void test_extra_collateral_from_evidence(void **state)
{
	/* The whole Trustee path: JSON evidence -> report + cert_chain -> cu_verify. */
	cu_verifier *v = verifier_root_and(&genoa, genoa.ask, NULL);
	struct cu_snp_trustee_evidence e;
	struct cu_verify_opts o = { .at = AT };
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_snp_report r;
	size_t vcek_size, ask_size;
	uint8_t *vcek = sb_cert_der(genoa.vcek, &vcek_size);
	uint8_t *ask = sb_cert_der(genoa.ask, &ask_size);
	const uint8_t *extra[CU_SNP_TRUSTEE_MAX_CERTS];
	json_t *ev;

	interesting_report(&genoa, 5, false, buf);
	r = parsed(buf);
	ev = json_pack("{s:o,s:[o,o]}", "attestation_report", report_json(&r, SEV7), "cert_chain",
	               entry("ASK", ask, ask_size), entry("VCEK", vcek, vcek_size));
	assert_non_null(ev);
	parse_ok(wire(ev), &e);
	assert_memory_equal(e.report, buf, sizeof(buf));
	assert_int_equal(e.n_certs, 1);
	for (size_t i = 0; i < e.n_certs; i++)
		extra[i] = e.certs[i];
	o.extra_collateral = extra;
	o.extra_collateral_sizes = e.cert_sizes;
	o.n_extra_collateral = e.n_certs;
	verify_ok(v, e.report, &o, "Trustee evidence");
	cu_snp_trustee_evidence_clear(&e);
	free(vcek);
	free(ask);
	cu_verifier_free(v);
}

static void test_extra_collateral_wrong_chip(void **state)
{
	cu_verifier *v = verifier_root_and(&milan, milan.ask, NULL);
	struct sb_vek_opts vo = { 0 };
	struct cu_verify_opts o = { .at = AT };
	uint8_t buf[CU_SNP_REPORT_SIZE];
	const uint8_t *extra[1];
	size_t size;
	uint8_t *der;
	X509 *other;

	vo.set_hwid = true;
	vo.hwid_size = 64;
	memset(vo.hwid, 0xc3, sizeof(vo.hwid));
	other = sb_vek_new(&milan, false, &vo, NULL);
	der = sb_cert_der(other, &size);
	extra[0] = der;
	o.extra_collateral = extra;
	o.extra_collateral_sizes = &size;
	o.n_extra_collateral = 1;

	interesting_report(&milan, 2, false, buf);
	verify_fail(v, buf, &o, "VCEK of another chip");
	free(der);
	X509_free(other);
	cu_verifier_free(v);
}

static void test_extra_collateral_vlek_report(void **state)
{
	cu_verifier *v = verifier_root_and(&milan, milan.ask, milan.asvk);
	struct cu_verify_opts o = { .at = AT };
	uint8_t buf[CU_SNP_REPORT_SIZE];
	const uint8_t *extra[1];
	size_t vcek_size, vlek_size;
	uint8_t *vcek = sb_cert_der(milan.vcek, &vcek_size);
	uint8_t *vlek = sb_cert_der(milan.vlek, &vlek_size);
	struct cu_error err;

	interesting_report(&milan, 3, true, buf);
	o.extra_collateral = extra;
	o.n_extra_collateral = 1;

	/* a VCEK does not endorse a VLEK-signed report */
	extra[0] = vcek;
	o.extra_collateral_sizes = &vcek_size;
	err = verify_fail(v, buf, &o, "VLEK report, VCEK extra");
	assert_string_equal(err.stage, "collateral");

	/* the VLEK does */
	extra[0] = vlek;
	o.extra_collateral_sizes = &vlek_size;
	verify_ok(v, buf, &o, "VLEK report, VLEK extra");

	/* and a VLEK does not endorse a VCEK-signed report */
	interesting_report(&milan, 3, false, buf);
	verify_fail(v, buf, &o, "VCEK report, VLEK extra");
	free(vcek);
	free(vlek);
	cu_verifier_free(v);
}

static void test_extra_collateral_never_roots(void **state)
{
	/*
	 * A whole foreign chain (ARK, ASK, VCEK of another, untrusted PKI) passed
	 * with the evidence must not make its report verify.
	 */
	struct sb_pki rogue;
	cu_verifier *v = verifier_root_and(&milan, milan.ask, NULL);
	struct cu_verify_opts o = { .at = AT };
	uint8_t buf[CU_SNP_REPORT_SIZE];
	const uint8_t *extra[3];
	size_t sizes[3];
	uint8_t *ders[3];

	sb_pki_init(&rogue, NULL);
	ders[0] = sb_cert_der(rogue.ark, &sizes[0]);
	ders[1] = sb_cert_der(rogue.ask, &sizes[1]);
	ders[2] = sb_cert_der(rogue.vcek, &sizes[2]);
	for (int i = 0; i < 3; i++)
		extra[i] = ders[i];
	o.extra_collateral = extra;
	o.extra_collateral_sizes = sizes;
	o.n_extra_collateral = 3;
	interesting_report(&rogue, 3, false, buf);
	verify_fail(v, buf, &o, "rogue chain as extra collateral");
	for (int i = 0; i < 3; i++)
		free(ders[i]);
	sb_pki_done(&rogue);
	cu_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_synthetic),
		cmocka_unit_test(test_round_trip_turin_fmc),
		cmocka_unit_test(test_round_trip_sev1),
		cmocka_unit_test(test_round_trip_corpus),
		cmocka_unit_test(test_version_gated_fields),
		cmocka_unit_test(test_base_is_valid),
		cmocka_unit_test(test_error_missing_field),
		cmocka_unit_test(test_error_byte_array_length),
		cmocka_unit_test(test_error_bad_byte),
		cmocka_unit_test(test_error_tcb),
		cmocka_unit_test(test_error_signature),
		cmocka_unit_test(test_error_integers),
		cmocka_unit_test(test_error_not_an_object),
		cmocka_unit_test(test_error_messages_name_the_path),
		cmocka_unit_test(test_evidence_no_certs),
		cmocka_unit_test(test_evidence_vcek),
		cmocka_unit_test(test_evidence_skips_other_types),
		cmocka_unit_test(test_evidence_too_many_keys),
		cmocka_unit_test(test_evidence_bad_entries),
		cmocka_unit_test(test_extra_collateral_vcek),
		cmocka_unit_test(test_extra_collateral_cached),
		cmocka_unit_test(test_extra_collateral_damaged_der),
		cmocka_unit_test(test_extra_collateral_from_evidence),
		cmocka_unit_test(test_extra_collateral_wrong_chip),
		cmocka_unit_test(test_extra_collateral_vlek_report),
		cmocka_unit_test(test_extra_collateral_never_roots),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
