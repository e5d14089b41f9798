/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SEV-SNP verifier (src/evidence/snp.c) on synthetic reports signed by a
 * synthetic AMD PKI (snp-builder.c), through the public API and through
 * cu_snp_report_parse. Layout: SEV-SNP Firmware ABI 56860 Table 23.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "../../src/base/encoding.h"
#include "../../src/evidence/snp.h"
#include "snp-builder.h"
#include "test-util.h"

/* 2030-01-01T00:00:00Z: inside the default validity of every test certificate. */
#define AT ((int64_t)1893456000)

#define T_2019    ((time_t)1546300800) /* 2019-01-01 */
#define T_2021    ((time_t)1609459200) /* 2021-01-01 */
#define T_2021_06 ((time_t)1622505600) /* 2021-06-01 */
#define T_2022    ((time_t)1640995200) /* 2022-01-01 */
#define T_2029    ((time_t)1861920000) /* 2029-01-01 */
#define T_2031    ((time_t)1924992000) /* 2031-01-01 */
#define T_2045    ((time_t)2366755200) /* 2045-01-01 */

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

static int group_teardown(void **state)
{
	sb_pki_done(&milan);
	sb_pki_done(&genoa);
	sb_pki_done(&turin);
	return 0;
}

/* ----------------------------------------------------------- helpers */

/* A verifier trusting pki's test ARK, with up to three certificates (NULL: none) as collateral. */
static cu_verifier *verifier_with(const struct sb_pki *pki, X509 *a, X509 *b, X509 *c)
{
	X509 *certs[] = { a, b, c };
	cu_verifier *v;

	assert_int_equal(cu_verifier_new(&v, NULL), 0);
	sb_pki_add_root(pki, v);
	for (size_t i = 0; i < ELEMENTSOF(certs); i++)
		if (certs[i])
			sb_add_cert(v, certs[i]);
	return v;
}

static struct cu_verify_opts opts_at(int64_t at)
{
	struct cu_verify_opts o = { .at = at };

	return o;
}

static json_t *verify_ok_(cu_verifier *v, const uint8_t *buf, size_t size,
                          const struct cu_verify_opts *o, int line)
{
	struct cu_error err = { 0 };
	json_t *claims = NULL;
	int r = cu_verify(v, "snp", buf, size, o, &claims, &err);

	if (r != 0)
		fail_msg("line %d: cu_verify failed: %d (%s) stage %s: %s", line, r, cu_errname(r),
		         err.stage ? err.stage : "(null)", err.message);
	assert_non_null(claims);
	return claims;
}
#define verify_ok(v, buf, o) verify_ok_((v), (buf), CU_SNP_REPORT_SIZE, (o), __LINE__)

/*
 * A failing cu_verify: the code, the stage, a message naming the format, and
 * *ret_claims left alone. Returns the error for further checks.
 */
static struct cu_error expect_fail_(cu_verifier *v, const char *format, const uint8_t *buf,
                                    size_t size, const struct cu_verify_opts *o, int code,
                                    const char *stage, int line)
{
	struct cu_error err = { 0 };
	json_t *claims = NULL;
	int r = cu_verify(v, format, buf, size, o, &claims, &err);

	if (r != code || !err.stage || strcmp(err.stage, stage) != 0)
		fail_msg("line %d: expected %s/%s, got %d (%s) stage %s: %s", line,
		         cu_errname(code), stage, r, cu_errname(r),
		         err.stage ? err.stage : "(null)", err.message);
	assert_null(claims);
	assert_int_equal(err.code, code);
	if (strncmp(err.message, "snp:", 4) != 0)
		fail_msg("line %d: message does not start with 'snp:': %s", line, err.message);
	assert_non_null(err.file);
	assert_true(err.line > 0);
	return err;
}
#define expect_fail(v, buf, o, code, stage)                                                        \
	expect_fail_((v), "snp", (buf), CU_SNP_REPORT_SIZE, (o), (code), (stage), __LINE__)

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* The value at a dotted path ("snp.policy.smt"), failing the test when absent. */
static json_t *jget_opt(json_t *root, const char *path)
{
	char buf[128];
	char *save = NULL, *tok;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, tok);
	return cur;
}

static json_t *jget(json_t *root, const char *path)
{
	json_t *j = jget_opt(root, path);

	if (!j)
		fail_msg("claim %s is missing", path);
	return j;
}

static void assert_jstr(json_t *root, const char *path, const char *want)
{
	json_t *j = jget(root, path);

	if (!json_is_string(j) || strcmp(json_string_value(j), want) != 0)
		fail_msg("claim %s is '%s', expected '%s'", path,
		         json_is_string(j) ? json_string_value(j) : "(not a string)", want);
}

static void assert_jint(json_t *root, const char *path, json_int_t want)
{
	json_t *j = jget(root, path);

	if (!json_is_integer(j) || json_integer_value(j) != want)
		fail_msg("claim %s is %lld, expected %lld", path,
		         json_is_integer(j) ? (long long)json_integer_value(j) : -1LL,
		         (long long)want);
}

static void assert_jbool(json_t *root, const char *path, bool want)
{
	json_t *j = jget(root, path);

	if (!json_is_boolean(j) || json_is_true(j) != want)
		fail_msg("claim %s is not %s", path, want ? "true" : "false");
}

static void assert_jhex(json_t *root, const char *path, const uint8_t *data, size_t size)
{
	char *hex = cu_hex_encode_alloc(data, size);

	assert_non_null(hex);
	assert_jstr(root, path, hex);
	free(hex);
}

static void assert_ju64(json_t *root, const char *path, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	assert_jstr(root, path, buf);
}

static void assert_jabsent(json_t *root, const char *path)
{
	if (jget_opt(root, path))
		fail_msg("claim %s should be absent", path);
}

static void assert_tcb(json_t *c, const char *path, uint64_t raw, enum cu_snp_product p)
{
	char key[96];
	struct cu_snp_tcb t;

	cu_snp_tcb_decode(raw, p, &t);
	snprintf(key, sizeof(key), "%s.raw", path);
	assert_ju64(c, key, raw);
	snprintf(key, sizeof(key), "%s.bootloader", path);
	assert_jint(c, key, t.bootloader);
	snprintf(key, sizeof(key), "%s.tee", path);
	assert_jint(c, key, t.tee);
	snprintf(key, sizeof(key), "%s.snp", path);
	assert_jint(c, key, t.snp);
	snprintf(key, sizeof(key), "%s.microcode", path);
	assert_jint(c, key, t.microcode);
	snprintf(key, sizeof(key), "%s.fmc", path);
	if (p == CU_SNP_PRODUCT_TURIN)
		assert_jint(c, key, t.fmc);
	else
		assert_jabsent(c, key);
}

static const struct {
	unsigned bit;
	const char *name;
} policy_bits[] = {
	{ 16, "smt" },		     { 18, "migrate_ma" },	  { 19, "debug" },
	{ 20, "single_socket" },     { 21, "cxl_allow" },	  { 22, "mem_aes_256_xts" },
	{ 23, "rapl_dis" },	     { 24, "ciphertext_hiding" }, { 25, "page_swap_disable" },
}, platform_bits[] = {
	{ 0, "smt_en" }, { 1, "tsme_en" },		{ 2, "ecc_en" }, { 3, "rapl_dis" },
	{ 4, "ciphertext_hiding_en" }, { 5, "alias_check_complete" }, { 7, "tio_en" },
};

static void assert_policy(json_t *c, uint64_t policy)
{
	uint64_t known = 0xffffull | 1ull << 17;
	char key[64];

	for (size_t i = 0; i < ELEMENTSOF(policy_bits); i++) {
		snprintf(key, sizeof(key), "snp.policy.%s", policy_bits[i].name);
		assert_jbool(c, key, (policy >> policy_bits[i].bit) & 1);
		known |= 1ull << policy_bits[i].bit;
	}
	assert_jint(c, "snp.policy.abi_minor", policy & 0xff);
	assert_jint(c, "snp.policy.abi_major", (policy >> 8) & 0xff);
	assert_jbool(c, "snp.policy.reserved_must_be_one", (policy >> 17) & 1);
	assert_ju64(c, "snp.policy.raw", policy);
	assert_ju64(c, "snp.policy.unknown_bits", policy & ~known);
	assert_jbool(c, "debug", (policy >> 19) & 1);
}

static void assert_platform_info(json_t *c, uint64_t pi)
{
	uint64_t known = 0;
	char key[64];

	for (size_t i = 0; i < ELEMENTSOF(platform_bits); i++) {
		snprintf(key, sizeof(key), "snp.platform_info.%s", platform_bits[i].name);
		assert_jbool(c, key, (pi >> platform_bits[i].bit) & 1);
		known |= 1ull << platform_bits[i].bit;
	}
	assert_ju64(c, "snp.platform_info.raw", pi);
	assert_ju64(c, "snp.platform_info.unknown_bits", pi & ~known);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Every field of the report, decoded (the claims of cu_verify and cu_inspect). */
static void assert_report_claims(json_t *c, const struct cu_snp_report *r, enum cu_snp_product p)
{
	assert_jstr(c, "tee", "sev-snp");
	assert_jhex(c, "measurement", r->measurement, sizeof(r->measurement));
	assert_jhex(c, "report_data", r->report_data, sizeof(r->report_data));
	if (r->mask_chip_key || all_zero(r->chip_id, sizeof(r->chip_id)))
		assert_jabsent(c, "platform_id");
	else
		assert_jhex(c, "platform_id", r->chip_id, sizeof(r->chip_id));

	assert_jint(c, "snp.version", r->version);
	assert_jint(c, "snp.guest_svn", r->guest_svn);
	assert_policy(c, r->policy);
	assert_jhex(c, "snp.family_id", r->family_id, sizeof(r->family_id));
	assert_jhex(c, "snp.image_id", r->image_id, sizeof(r->image_id));
	assert_jint(c, "snp.vmpl", r->vmpl);
	assert_jint(c, "snp.signature_algo", r->signature_algo);
	assert_tcb(c, "snp.current_tcb", r->current_tcb, p);
	assert_platform_info(c, r->platform_info);
	assert_jbool(c, "snp.author_key_en", r->author_key_en);
	assert_jbool(c, "snp.mask_chip_key", r->mask_chip_key);
	assert_jstr(c, "snp.signing_key", r->signing_key == CU_SNP_KEY_VLEK ? "vlek" : "vcek");
	assert_jhex(c, "snp.report_data", r->report_data, sizeof(r->report_data));
	assert_jhex(c, "snp.measurement", r->measurement, sizeof(r->measurement));
	assert_jhex(c, "snp.host_data", r->host_data, sizeof(r->host_data));
	assert_jhex(c, "snp.id_key_digest", r->id_key_digest, sizeof(r->id_key_digest));
	assert_jhex(c, "snp.author_key_digest", r->author_key_digest, sizeof(r->author_key_digest));
	assert_jhex(c, "snp.report_id", r->report_id, sizeof(r->report_id));
	assert_jhex(c, "snp.report_id_ma", r->report_id_ma, sizeof(r->report_id_ma));
	assert_tcb(c, "snp.reported_tcb", r->reported_tcb, p);
	if (r->version >= 3) {
		assert_jint(c, "snp.cpuid_fam_id", r->cpuid_fam_id);
		assert_jint(c, "snp.cpuid_mod_id", r->cpuid_mod_id);
		assert_jint(c, "snp.cpuid_step", r->cpuid_step);
	} else {
		assert_jabsent(c, "snp.cpuid_fam_id");
		assert_jabsent(c, "snp.cpuid_mod_id");
		assert_jabsent(c, "snp.cpuid_step");
	}
	assert_jhex(c, "snp.chip_id", r->chip_id, sizeof(r->chip_id));
	assert_tcb(c, "snp.committed_tcb", r->committed_tcb, p);
	assert_jint(c, "snp.current_build", r->current_build);
	assert_jint(c, "snp.current_minor", r->current_minor);
	assert_jint(c, "snp.current_major", r->current_major);
	assert_jint(c, "snp.committed_build", r->committed_build);
	assert_jint(c, "snp.committed_minor", r->committed_minor);
	assert_jint(c, "snp.committed_major", r->committed_major);
	assert_tcb(c, "snp.launch_tcb", r->launch_tcb, p);
	if (r->version >= 5) {
		assert_ju64(c, "snp.launch_mit_vector", r->launch_mit_vector);
		assert_ju64(c, "snp.current_mit_vector", r->current_mit_vector);
	} else {
		assert_jabsent(c, "snp.launch_mit_vector");
		assert_jabsent(c, "snp.current_mit_vector");
	}
	assert_jstr(c, "snp.tcb_layout", p == CU_SNP_PRODUCT_TURIN ? "turin" : "milan-genoa");
}

static void rfc3339(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The claims of a verified report: the report's, plus the endorsement key's. */
static void assert_verified_claims(json_t *c, const struct cu_snp_report *r, enum cu_snp_product p,
                                   X509 *vek, const char *product_name, const char *revocation)
{
	bool vlek = r->signing_key == CU_SNP_KEY_VLEK;
	const char *k = vlek ? "snp.vlek" : "snp.vcek";
	char key[64], t[32];
	uint8_t digest[32];
	struct tm tm;

	assert_report_claims(c, r, p);
	assert_jbool(c, "verified", true);
	assert_jbool(c, "insecure_test_roots", true);
	assert_jstr(c, "snp.product", cu_snp_product_name(p));
	assert_jstr(c, "snp.revocation", revocation);
	assert_jabsent(c, vlek ? "snp.vcek" : "snp.vlek");
	snprintf(key, sizeof(key), "%s.subject", k);
	assert_jstr(c, key, vlek ? "SEV-VLEK" : "SEV-VCEK");
	snprintf(key, sizeof(key), "%s.product_name", k);
	assert_jstr(c, key, product_name);
	sb_cert_sha256(vek, digest);
	snprintf(key, sizeof(key), "%s.sha256", k);
	assert_jhex(c, key, digest, sizeof(digest));
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notBefore(vek), &tm), 1);
	rfc3339(timegm(&tm), t);
	snprintf(key, sizeof(key), "%s.not_before", k);
	assert_jstr(c, key, t);
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(vek), &tm), 1);
	rfc3339(timegm(&tm), t);
	snprintf(key, sizeof(key), "%s.not_after", k);
	assert_jstr(c, key, t);
	snprintf(key, sizeof(key), "%s.csp_id", k);
	if (vlek)
		assert_jstr(c, key, "Custos Test Cloud");
	else
		assert_jabsent(c, key);
}

static void assert_report_equal(const struct cu_snp_report *a, const struct cu_snp_report *b)
{
#define EQ(f)  assert_int_equal(a->f, b->f)
#define EQM(f) assert_memory_equal(a->f, b->f, sizeof(a->f))
	EQ(version);
	EQ(guest_svn);
	EQ(policy);
	EQM(family_id);
	EQM(image_id);
	EQ(vmpl);
	EQ(signature_algo);
	EQ(current_tcb);
	EQ(platform_info);
	EQ(author_key_en);
	EQ(mask_chip_key);
	EQ(signing_key);
	EQM(report_data);
	EQM(measurement);
	EQM(host_data);
	EQM(id_key_digest);
	EQM(author_key_digest);
	EQM(report_id);
	EQM(report_id_ma);
	EQ(reported_tcb);
	EQ(cpuid_fam_id);
	EQ(cpuid_mod_id);
	EQ(cpuid_step);
	EQM(chip_id);
	EQ(committed_tcb);
	EQ(current_build);
	EQ(current_minor);
	EQ(current_major);
	EQ(committed_build);
	EQ(committed_minor);
	EQ(committed_major);
	EQ(launch_tcb);
	EQ(launch_mit_vector);
	EQ(current_mit_vector);
	EQM(sig_r);
	EQM(sig_s);
#undef EQ
#undef EQM
}

/* A failing cu_snp_report_parse leaves its output alone. */
static struct cu_error expect_parse_fail_(const uint8_t *buf, size_t size, int code, int line)
{
	struct cu_snp_report out, pattern;
	struct cu_error err = { 0 };
	int r;

	memset(&out, 0xA5, sizeof(out));
	memset(&pattern, 0xA5, sizeof(pattern));
	r = cu_snp_report_parse(buf, size, &out, &err);
	if (r != code)
		fail_msg("line %d: parse returned %d (%s), expected %s: %s", line, r, cu_errname(r),
		         cu_errname(code), err.message);
	assert_int_equal(err.code, code);
	assert_non_null(err.stage);
	assert_string_equal(err.stage, "parse");
	assert_true(strncmp(err.message, "snp:", 4) == 0);
	assert_memory_equal(&out, &pattern, sizeof(out));
	return err;
}
#define expect_parse_fail(buf, size, code) expect_parse_fail_((buf), (size), (code), __LINE__)

/* ------------------------------------------------------------- parsing */

static void parse_roundtrip(uint32_t version)
{
	struct cu_snp_report r, out;
	struct cu_error err = { 0 };
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &milan, version);
	r.author_key_en = true;
	sb_report_build(&r, milan.vcek_key, buf);
	memcpy(r.sig_r, buf + 0x2A0, sizeof(r.sig_r));
	memcpy(r.sig_s, buf + 0x2E8, sizeof(r.sig_s));
	memset(&out, 0xA5, sizeof(out));
	assert_int_equal(cu_snp_report_parse(buf, sizeof(buf), &out, &err), 0);
	assert_report_equal(&out, &r);
}

static void test_parse_v2(void **state)
{
	parse_roundtrip(2);
}

static void test_parse_v3(void **state)
{
	parse_roundtrip(3);
}

static void test_parse_v5(void **state)
{
	parse_roundtrip(5);
}

static void test_parse_v2_no_cpuid_no_mit(void **state)
{
	/* A v2 parse reports no CPUID and no mitigation vectors. */
	struct cu_snp_report r, out;
	struct cu_error err = { 0 };
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &milan, 2);
	sb_report_build(&r, milan.vcek_key, buf);
	assert_int_equal(cu_snp_report_parse(buf, sizeof(buf), &out, &err), 0);
	assert_int_equal(out.cpuid_fam_id, 0);
	assert_int_equal(out.launch_mit_vector, 0);
	assert_int_equal(out.current_mit_vector, 0);
}

static void test_parse_sizes(void **state)
{
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE + 1] = { 0 };
	struct cu_error err;

	sb_report_init(&r, &milan, 2);
	sb_report_build(&r, milan.vcek_key, buf);
	expect_parse_fail(buf, CU_SNP_REPORT_SIZE - 1, CU_ERR_MALFORMED);
	expect_parse_fail(buf, 500, CU_ERR_MALFORMED);
	expect_parse_fail(buf, 0, CU_ERR_MALFORMED);
	err = expect_parse_fail(buf, CU_SNP_REPORT_SIZE + 1, CU_ERR_TOO_LARGE);
	assert_contains(err.message, "1185");
	expect_parse_fail(NULL, CU_SNP_REPORT_SIZE, CU_ERR_INVALID_ARG);
}

static void test_parse_versions(void **state)
{
	static const uint32_t bad[] = { 0, 1, 4, 6, 7, 0x100, 0xffffffff };
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &milan, 2);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct cu_error err;

		r.version = bad[i];
		sb_report_build(&r, milan.vcek_key, buf);
		err = expect_parse_fail(buf, sizeof(buf), CU_ERR_UNSUPPORTED);
		assert_contains(err.message, "version");
	}
}

/* Every reserved range of [ABI] Table 23 and Table 139, per version. */
static const struct reserved_case {
	uint32_t version;
	size_t offset;
	uint8_t value;
} reserved_cases[] = {
	/* 0x048 bits 31:5 */
	{ 2, 0x048, 0x20 },
	{ 3, 0x049, 0x01 },
	{ 5, 0x04B, 0x80 },
	/* 0x04C-0x04F */
	{ 2, 0x04C, 0x01 },
	{ 3, 0x04D, 0x10 },
	{ 5, 0x04F, 0x80 },
	/* v2: 0x188-0x19F (no CPUID) */
	{ 2, 0x188, 0x19 },
	{ 2, 0x189, 0x01 },
	{ 2, 0x18A, 0x01 },
	{ 2, 0x18B, 0x01 },
	{ 2, 0x19F, 0x01 },
	/* v3 and v5: 0x18B-0x19F */
	{ 3, 0x18B, 0x01 },
	{ 3, 0x195, 0x01 },
	{ 3, 0x19F, 0x80 },
	{ 5, 0x18B, 0x01 },
	{ 5, 0x19F, 0x01 },
	/* 0x1EB, 0x1EF */
	{ 2, 0x1EB, 0x01 },
	{ 3, 0x1EB, 0x01 },
	{ 5, 0x1EB, 0x01 },
	{ 2, 0x1EF, 0x01 },
	{ 3, 0x1EF, 0x01 },
	{ 5, 0x1EF, 0x80 },
	/* v2, v3: 0x1F8-0x29F (the v5 mitigation vectors are reserved here) */
	{ 2, 0x1F8, 0x01 },
	{ 2, 0x200, 0x01 },
	{ 2, 0x208, 0x01 },
	{ 2, 0x29F, 0x01 },
	{ 3, 0x1F8, 0x01 },
	{ 3, 0x207, 0x01 },
	{ 3, 0x250, 0x01 },
	{ 3, 0x29F, 0x01 },
	/* v5: 0x208-0x29F */
	{ 5, 0x208, 0x01 },
	{ 5, 0x250, 0x01 },
	{ 5, 0x29F, 0x01 },
	/* signature: 0x330-0x49F after R and S */
	{ 2, 0x330, 0x01 },
	{ 3, 0x400, 0x01 },
	{ 5, 0x49F, 0x01 },
};

static void build_reserved_case(const struct reserved_case *c, uint8_t buf[CU_SNP_REPORT_SIZE])
{
	struct cu_snp_report r;

	sb_report_init(&r, &milan, c->version);
	sb_report_build(&r, milan.vcek_key, buf);
	buf[c->offset] |= c->value;
	/* Re-sign, so that only the reserved field is wrong. */
	if (c->offset < CU_SNP_SIGNED_SIZE)
		sb_report_sign(buf, milan.vcek_key);
	assert_true(buf[c->offset] & c->value);
}

static void test_parse_reserved(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(reserved_cases); i++) {
		uint8_t buf[CU_SNP_REPORT_SIZE];
		struct cu_error err;

		build_reserved_case(&reserved_cases[i], buf);
		print_message("reserved v%u byte 0x%zx\n", reserved_cases[i].version,
		              reserved_cases[i].offset);
		err = expect_parse_fail(buf, sizeof(buf), CU_ERR_RESERVED);
		assert_contains(err.message, "reserved");
	}
}

static void test_verify_reserved(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);

	for (size_t i = 0; i < ELEMENTSOF(reserved_cases); i++) {
		uint8_t buf[CU_SNP_REPORT_SIZE];
		struct cu_error err;

		build_reserved_case(&reserved_cases[i], buf);
		err = expect_fail(v, buf, &o, CU_ERR_RESERVED, "parse");
		assert_contains(err.message, "reserved");
	}
	cu_verifier_free(v);
}

static void test_parse_reserved_message_offset(void **state)
{
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct reserved_case c = { 3, 0x195, 0x01 };
	struct cu_error err;

	build_reserved_case(&c, buf);
	err = expect_parse_fail(buf, sizeof(buf), CU_ERR_RESERVED);
	assert_contains(err.message, "0x195");
}

static void test_parse_not_reserved(void **state)
{
	/* Fields that look like reserved space in another version are accepted. */
	struct cu_snp_report r, out;
	struct cu_error err = { 0 };
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &milan, 5);
	r.launch_mit_vector = UINT64_MAX;
	r.current_mit_vector = UINT64_MAX;
	r.cpuid_fam_id = 0xff;
	r.cpuid_mod_id = 0xff;
	r.cpuid_step = 0xff;
	r.author_key_en = true;
	r.mask_chip_key = true;
	r.signing_key = 7;
	sb_report_build(&r, milan.vcek_key, buf);
	assert_int_equal(cu_snp_report_parse(buf, sizeof(buf), &out, &err), 0);
	assert_int_equal(out.launch_mit_vector, UINT64_MAX);
	assert_int_equal(out.signing_key, 7);
	assert_true(out.mask_chip_key);
	assert_true(out.author_key_en);
}

/* ------------------------------------------------------- valid reports */

static void verify_valid(const struct sb_pki *pki, uint32_t version, const char *product_name)
{
	cu_verifier *v = sb_verifier_new(pki);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *c;

	sb_report_init(&r, pki, version);
	sb_report_build(&r, pki->vcek_key, buf);
	c = verify_ok(v, buf, &o);
	assert_verified_claims(c, &r, pki->product, pki->vcek, product_name, "not-checked");
	json_decref(c);
	cu_verifier_free(v);
}

static void test_verify_v2(void **state)
{
	verify_valid(&milan, 2, "Milan-B0");
}

static void test_verify_v3(void **state)
{
	verify_valid(&milan, 3, "Milan-B0");
}

static void test_verify_v5(void **state)
{
	verify_valid(&milan, 5, "Milan-B0");
}

static void test_verify_genoa(void **state)
{
	verify_valid(&genoa, 2, "Genoa-B0");
	verify_valid(&genoa, 3, "Genoa-B0");
	verify_valid(&genoa, 5, "Genoa-B0");
}

static void test_verify_turin(void **state)
{
	/* Turin: FMC in byte 0 of TCB_VERSION, an 8-byte hwID. */
	assert_int_equal(turin.hwid_size, 8);
	verify_valid(&turin, 2, "Turin-B0");
	verify_valid(&turin, 3, "Turin-B0");
	verify_valid(&turin, 5, "Turin-B0");
}

static void test_verify_detects_format(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_error err = { 0 };
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *c = NULL;

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	assert_string_equal(cu_detect_format(buf, sizeof(buf)), "snp");
	assert_int_equal(cu_verify(v, NULL, buf, sizeof(buf), &o, &c, &err), 0);
	json_decref(c);
	c = NULL;
	assert_int_equal(cu_verify(v, "sev-snp", buf, sizeof(buf), &o, &c, &err), 0);
	json_decref(c);
	cu_verifier_free(v);
}

static void test_verify_policy_and_platform_bits(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *c;

	sb_report_init(&r, &milan, 5);
	/* every known policy bit, ABI 1.58, and an unknown bit 40 */
	r.policy = 0x3ff0000ull | 0x013a | 1ull << 40;
	r.platform_info = 0xbf | 1ull << 6 | 1ull << 33;
	r.author_key_en = true;
	sb_report_build(&r, milan.vcek_key, buf);
	c = verify_ok(v, buf, &o);
	assert_verified_claims(c, &r, CU_SNP_PRODUCT_MILAN, milan.vcek, "Milan-B0", "not-checked");
	assert_jbool(c, "debug", true);
	assert_jint(c, "snp.policy.abi_major", 1);
	assert_jint(c, "snp.policy.abi_minor", 0x3a);
	assert_ju64(c, "snp.policy.unknown_bits", 1ull << 40);
	assert_ju64(c, "snp.platform_info.unknown_bits", 1ull << 6 | 1ull << 33);
	assert_jbool(c, "snp.platform_info.tio_en", true);
	json_decref(c);

	/* each bit alone */
	for (size_t i = 0; i < ELEMENTSOF(policy_bits); i++) {
		sb_report_init(&r, &milan, 3);
		r.policy = 1ull << 17 | 1ull << policy_bits[i].bit;
		sb_report_build(&r, milan.vcek_key, buf);
		c = verify_ok(v, buf, &o);
		assert_policy(c, r.policy);
		json_decref(c);
	}
	for (size_t i = 0; i < ELEMENTSOF(platform_bits); i++) {
		sb_report_init(&r, &milan, 3);
		r.platform_info = 1ull << platform_bits[i].bit;
		sb_report_build(&r, milan.vcek_key, buf);
		c = verify_ok(v, buf, &o);
		assert_platform_info(c, r.platform_info);
		json_decref(c);
	}
	cu_verifier_free(v);
}

static void test_inspect(void **state)
{
	struct cu_error err = { 0 };
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *c = NULL;

	/* No verification: an unrelated key and no collateral are fine. */
	EVP_PKEY *k = sb_key_p384_new();

	sb_report_init(&r, &turin, 5);
	sb_report_build(&r, k, buf);
	assert_int_equal(cu_inspect("snp", buf, sizeof(buf), &c, &err), 0);
	assert_report_claims(c, &r, CU_SNP_PRODUCT_TURIN);
	assert_jbool(c, "verified", false);
	assert_jhex(c, "snp.signature_r", buf + 0x2A0, 72);
	assert_jhex(c, "snp.signature_s", buf + 0x2E8, 72);
	assert_jabsent(c, "snp.vcek");
	assert_jabsent(c, "insecure_test_roots");
	json_decref(c);

	/* v2 has no CPUID: the Milan/Genoa layout is shown */
	sb_report_init(&r, &milan, 2);
	sb_report_build(&r, k, buf);
	c = NULL;
	assert_int_equal(cu_inspect(NULL, buf, sizeof(buf), &c, &err), 0);
	assert_report_claims(c, &r, CU_SNP_PRODUCT_MILAN);
	json_decref(c);

	/* malformed input: no output */
	c = NULL;
	assert_int_equal(cu_inspect("snp", buf, 100, &c, &err), CU_ERR_MALFORMED);
	assert_null(c);
	EVP_PKEY_free(k);
}

static void test_verify_hwid_der(void **state)
{
	/* Newer KDS certificates wrap the hwID in an OCTET STRING. */
	struct sb_vek_opts vo = { .hwid_der = true };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *key;
	X509 *vcek = sb_vek_new(&milan, false, &vo, &key);
	json_t *c;

	v = verifier_with(&milan, milan.ask, vcek, NULL);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, key, buf);
	c = verify_ok(v, buf, &o);
	assert_verified_claims(c, &r, CU_SNP_PRODUCT_MILAN, vcek, "Milan-B0", "not-checked");
	json_decref(c);
	cu_verifier_free(v);
	X509_free(vcek);
	EVP_PKEY_free(key);
}

/* ------------------------------------------------------------------ VLEK */

static void test_verify_vlek(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *c;

	for (uint32_t version = 2; version <= 5; version++) {
		if (version == 4)
			continue;
		sb_report_init_vlek(&r, &milan, version);
		sb_report_build(&r, milan.vlek_key, buf);
		c = verify_ok(v, buf, &o);
		assert_verified_claims(c, &r, CU_SNP_PRODUCT_MILAN, milan.vlek, "Milan",
		                       "not-checked");
		assert_jabsent(c, "platform_id");
		json_decref(c);
	}

	/* The VLEK key does not verify a report that says VCEK, and vice versa. */
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vlek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	sb_report_init_vlek(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	cu_verifier_free(v);
}

static void test_verify_vlek_tcb_mismatch(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	struct sb_tcb t = milan.tcb;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_error err;

	t.snp++;
	sb_report_init_vlek(&r, &milan, 3);
	r.reported_tcb = sb_tcb_encode(CU_SNP_PRODUCT_MILAN, &t);
	sb_report_build(&r, milan.vlek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	assert_contains(err.message, "VLEK");
	cu_verifier_free(v);
}

static void test_verify_vlek_via_ask(void **state)
{
	/* A VLEK must be issued by the ASVK. */
	struct sb_vek_opts vo = { .issuer = SB_ISSUER_ASK };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *key;
	X509 *vlek = sb_vek_new(&milan, true, &vo, &key);

	v = verifier_with(&milan, milan.ask, milan.asvk, vlek);
	sb_report_init_vlek(&r, &milan, 3);
	sb_report_build(&r, key, buf);
	expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	cu_verifier_free(v);
	X509_free(vlek);
	EVP_PKEY_free(key);
}

/* ------------------------------------------------------------ signatures */

static void test_bad_signature(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE], good[CU_SNP_REPORT_SIZE];
	/* offsets in the signed region, chosen not to trip a check before the signature */
	static const size_t offsets[] = { 0x004, 0x010, 0x050, 0x090, 0x0C0, 0x140, 0x1E8, 0x1F0 };
	struct cu_error err;

	sb_report_init(&r, &milan, 5);
	sb_report_build(&r, milan.vcek_key, good);
	for (size_t i = 0; i < ELEMENTSOF(offsets); i++) {
		memcpy(buf, good, sizeof(buf));
		buf[offsets[i]] ^= 0x01;
		err = expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
		assert_contains(err.message, "VCEK");
	}
	/* R and S themselves */
	memcpy(buf, good, sizeof(buf));
	buf[0x2A0] ^= 0x01;
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	memcpy(buf, good, sizeof(buf));
	buf[0x2E8 + 10] ^= 0x80;
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	/* R = S = 0 */
	memcpy(buf, good, sizeof(buf));
	memset(buf + 0x2A0, 0, 0x90);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	/* R >= n: all 0xff in the 48 significant bytes */
	memcpy(buf, good, sizeof(buf));
	memset(buf + 0x2A0, 0xff, 48);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	/* the good one still verifies */
	json_decref(verify_ok(v, good, &o));
	cu_verifier_free(v);
}

static void test_unrelated_key(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *k = sb_key_p384_new();

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, k, buf);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	/* another chip's VCEK key (same TCB, same chip id: a cloned certificate) */
	sb_report_build(&r, genoa.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	EVP_PKEY_free(k);
	cu_verifier_free(v);
}

static void test_signature_algo(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	static const uint32_t algos[] = { 0, 2, 3, 0xffffffff };

	for (size_t i = 0; i < ELEMENTSOF(algos); i++) {
		sb_report_init(&r, &milan, 3);
		r.signature_algo = algos[i];
		sb_report_build(&r, milan.vcek_key, buf);
		expect_fail(v, buf, &o, CU_ERR_UNSUPPORTED, "parse");
	}
	cu_verifier_free(v);
}

static void test_signing_key(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_error err;

	/* 7: the report is not signed */
	sb_report_init(&r, &milan, 3);
	r.signing_key = CU_SNP_KEY_NONE;
	sb_report_build(&r, milan.vcek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "parse");
	assert_contains(err.message, "not signed");
	/* 2-6: reserved */
	for (uint8_t k = 2; k <= 6; k++) {
		r.signing_key = k;
		sb_report_build(&r, milan.vcek_key, buf);
		expect_fail(v, buf, &o, CU_ERR_UNSUPPORTED, "parse");
	}
	cu_verifier_free(v);
}

/* ---------------------------------------------------------------- chains */

static void test_wrong_chain(void **state)
{
	/* An ARK with the same names but another key, not added as a test root. */
	struct sb_pki other;
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_error err;

	sb_pki_init(&other, NULL);
	v = verifier_with(&milan, milan.ask, milan.asvk, NULL);
	sb_pki_add_collateral(&other, v);
	/* other's VCEK has the same TCB and chip id as milan's */
	sb_report_init(&r, &other, 3);
	sb_report_build(&r, other.vcek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	assert_contains(err.message, "VCEK chain");
	sb_report_init_vlek(&r, &other, 3);
	sb_report_build(&r, other.vlek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	assert_contains(err.message, "VLEK chain");
	/*
	 * With milan's own VCEK present too (same chip, same TCB), that one gets
	 * furthest: its chain holds and its key does not verify the report.
	 */
	sb_add_cert(v, milan.vcek);
	sb_report_init(&r, &other, 3);
	sb_report_build(&r, other.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	cu_verifier_free(v);

	/* Its ARK given as collateral is not trusted either. */
	v = verifier_with(&milan, other.ark, NULL, NULL);
	sb_pki_add_collateral(&other, v);
	sb_report_init(&r, &other, 3);
	sb_report_build(&r, other.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	cu_verifier_free(v);

	/* No test root at all: the compiled-in AMD roots do not sign test certificates. */
	assert_int_equal(cu_verifier_new(&v, NULL), 0);
	sb_pki_add_collateral(&milan, v);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	cu_verifier_free(v);
	sb_pki_done(&other);
}

static void test_missing_ask(void **state)
{
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	v = verifier_with(&milan, milan.vcek, NULL, NULL);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	cu_verifier_free(v);
}

static void test_ask_of_other_product(void **state)
{
	/* ARK-Milan signs an intermediate named SEV-Genoa. */
	struct sb_pki_opts po = { .ask.cn = "SEV-Genoa" };
	struct sb_pki p;
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_error err;

	sb_pki_init(&p, &po);
	v = sb_verifier_new(&p);
	sb_report_init(&r, &p, 2);
	sb_report_build(&r, p.vcek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	assert_contains(err.message, "SEV-Genoa");
	cu_verifier_free(v);
	sb_pki_done(&p);
}

static void test_ark_unknown_product(void **state)
{
	struct sb_pki_opts po = { .ark.cn = "ARK-Venice", .ask.cn = "SEV-Venice" };
	struct sb_pki p;
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_pki_init(&p, &po);
	v = sb_verifier_new(&p);
	sb_report_init(&r, &p, 2);
	sb_report_build(&r, p.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	cu_verifier_free(v);
	sb_pki_done(&p);
}

static void test_vcek_via_asvk(void **state)
{
	struct sb_vek_opts vo = { .issuer = SB_ISSUER_ASVK };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *key;
	X509 *vcek = sb_vek_new(&milan, false, &vo, &key);
	struct cu_error err;

	v = verifier_with(&milan, milan.ask, milan.asvk, vcek);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	assert_contains(err.message, "SEV-VLEK-Milan");
	cu_verifier_free(v);
	X509_free(vcek);
	EVP_PKEY_free(key);
}

static void test_vcek_signed_by_ark(void **state)
{
	/* ARK -> VCEK directly: a chain of two is refused. */
	struct sb_vek_opts vo = { .issuer = SB_ISSUER_ARK };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *key;
	X509 *vcek = sb_vek_new(&milan, false, &vo, &key);

	v = verifier_with(&milan, vcek, NULL, NULL);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, key, buf);
	expect_fail(v, buf, &o, CU_ERR_CHAIN, "chain");
	cu_verifier_free(v);
	X509_free(vcek);
	EVP_PKEY_free(key);
}

/* ---------------------------------------------------------- endorsement */

static void tcb_mismatch(const struct sb_pki *pki, uint32_t version, const char *field)
{
	cu_verifier *v = sb_verifier_new(pki);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	struct sb_tcb t = pki->tcb;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_error err;
	char want[64];

	if (strcmp(field, "bootloader") == 0)
		t.bootloader++;
	else if (strcmp(field, "tee") == 0)
		t.tee++;
	else if (strcmp(field, "snp") == 0)
		t.snp--;
	else if (strcmp(field, "microcode") == 0)
		t.microcode--;
	else if (strcmp(field, "fmc") == 0)
		t.fmc++;
	else
		fail();
	sb_report_init(&r, pki, version);
	r.reported_tcb = sb_tcb_encode(pki->product, &t);
	sb_report_build(&r, pki->vcek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	snprintf(want, sizeof(want), "REPORTED_TCB.%s", field);
	assert_contains(err.message, want);
	cu_verifier_free(v);
}

static void test_tcb_mismatch(void **state)
{
	static const char *const fields[] = { "bootloader", "tee", "snp", "microcode" };

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		tcb_mismatch(&milan, 2, fields[i]);
		tcb_mismatch(&milan, 5, fields[i]);
		tcb_mismatch(&genoa, 3, fields[i]);
		tcb_mismatch(&turin, 3, fields[i]);
	}
	tcb_mismatch(&turin, 3, "fmc");
	tcb_mismatch(&turin, 5, "fmc");
}

static void test_tcb_other_fields_ignored(void **state)
{
	/* Only REPORTED_TCB is endorsed: the other TCBs may differ (they do in sb_report_init). */
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &milan, 3);
	r.current_tcb = 0;
	r.committed_tcb = UINT64_MAX;
	r.launch_tcb = 0x1234;
	sb_report_build(&r, milan.vcek_key, buf);
	json_decref(verify_ok(v, buf, &o));
	cu_verifier_free(v);
}

static void test_chip_id_mismatch(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	static const size_t bytes[] = { 0, 7, 8, 63 };
	struct cu_error err;

	for (size_t i = 0; i < ELEMENTSOF(bytes); i++) {
		sb_report_init(&r, &milan, 3);
		r.chip_id[bytes[i]] ^= 0x01;
		sb_report_build(&r, milan.vcek_key, buf);
		err = expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
		assert_contains(err.message, "CHIP_ID");
	}
	/* an all-zero CHIP_ID without MASK_CHIP_KEY does not match a VCEK */
	sb_report_init(&r, &milan, 3);
	memset(r.chip_id, 0, sizeof(r.chip_id));
	sb_report_build(&r, milan.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	cu_verifier_free(v);
}

static void test_mask_chip_key(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *c;

	sb_report_init(&r, &milan, 3);
	r.mask_chip_key = true;
	memset(r.chip_id, 0, sizeof(r.chip_id));
	sb_report_build(&r, milan.vcek_key, buf);
	c = verify_ok(v, buf, &o);
	assert_verified_claims(c, &r, CU_SNP_PRODUCT_MILAN, milan.vcek, "Milan-B0", "not-checked");
	assert_jbool(c, "snp.mask_chip_key", true);
	assert_jabsent(c, "platform_id");
	json_decref(c);
	cu_verifier_free(v);
}

static void test_turin_chip_id(void **state)
{
	cu_verifier *v = sb_verifier_new(&turin);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	json_t *c;

	/* the 8-byte hwID is the first 8 bytes of CHIP_ID; the rest is zero */
	sb_report_init(&r, &turin, 3);
	assert_memory_equal(r.chip_id, turin.hwid, 8);
	assert_true(all_zero(r.chip_id + 8, 56));
	sb_report_build(&r, turin.vcek_key, buf);
	c = verify_ok(v, buf, &o);
	assert_jstr(c, "snp.tcb_layout", "turin");
	assert_jint(c, "snp.reported_tcb.fmc", turin.tcb.fmc);
	assert_jint(c, "snp.reported_tcb.bootloader", turin.tcb.bootloader);
	assert_jint(c, "snp.reported_tcb.tee", turin.tcb.tee);
	assert_jint(c, "snp.reported_tcb.snp", turin.tcb.snp);
	assert_jint(c, "snp.reported_tcb.microcode", turin.tcb.microcode);
	assert_jstr(c, "snp.product", "Turin");
	json_decref(c);

	/* a difference in the first 8 bytes, or a non-zero byte after them */
	sb_report_init(&r, &turin, 3);
	r.chip_id[3] ^= 0x40;
	sb_report_build(&r, turin.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	sb_report_init(&r, &turin, 3);
	r.chip_id[8] = 0x01;
	sb_report_build(&r, turin.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	sb_report_init(&r, &turin, 3);
	r.chip_id[63] = 0x01;
	sb_report_build(&r, turin.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	cu_verifier_free(v);
}

static void test_turin_tcb_layout(void **state)
{
	/* A Milan-layout REPORTED_TCB does not match a Turin VCEK. */
	cu_verifier *v = sb_verifier_new(&turin);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &turin, 3);
	r.reported_tcb = sb_tcb_encode(CU_SNP_PRODUCT_MILAN, &turin.tcb);
	sb_report_build(&r, turin.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	cu_verifier_free(v);
}

static void test_cpuid_product_mismatch(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	static const uint8_t cpuids[][2] = {
		{ 0x19, 0x11 }, /* Genoa */
		{ 0x19, 0xa0 }, /* Siena (Genoa line) */
		{ 0x1a, 0x02 }, /* Turin */
		{ 0x17, 0x01 }, /* Zen 2: unknown */
		{ 0x00, 0x00 },
	};
	struct cu_error err;

	for (size_t i = 0; i < ELEMENTSOF(cpuids); i++) {
		sb_report_init(&r, &milan, 3);
		r.cpuid_fam_id = cpuids[i][0];
		r.cpuid_mod_id = cpuids[i][1];
		sb_report_build(&r, milan.vcek_key, buf);
		err = expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
		assert_contains(err.message, "CPUID");
	}
	/* other Milan models and steppings are Milan */
	sb_report_init(&r, &milan, 5);
	r.cpuid_mod_id = 0x00;
	r.cpuid_step = 0x02;
	sb_report_build(&r, milan.vcek_key, buf);
	json_decref(verify_ok(v, buf, &o));
	cu_verifier_free(v);

	/* and the reverse: a Milan CPUID with the Genoa chain */
	v = sb_verifier_new(&genoa);
	sb_report_init(&r, &genoa, 3);
	r.cpuid_mod_id = 0x01;
	sb_report_build(&r, genoa.vcek_key, buf);
	expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	cu_verifier_free(v);
}

static void test_product_name_mismatch(void **state)
{
	struct sb_vek_opts vo = { .product_name = "Genoa-B0" };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *key;
	X509 *vcek = sb_vek_new(&milan, false, &vo, &key);
	struct cu_error err;

	v = verifier_with(&milan, milan.ask, vcek, NULL);
	sb_report_init(&r, &milan, 2);
	sb_report_build(&r, key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	assert_contains(err.message, "Genoa-B0");
	cu_verifier_free(v);
	X509_free(vcek);
	EVP_PKEY_free(key);
}

static void test_no_vcek(void **state)
{
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct cu_error err;

	/* nothing at all */
	assert_int_equal(cu_verifier_new(&v, NULL), 0);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_NOT_FOUND, "collateral");
	assert_contains(err.message, "VCEK");
	/* chain and a VLEK, but no VCEK */
	sb_pki_add_root(&milan, v);
	sb_add_cert(v, milan.ask);
	sb_add_cert(v, milan.asvk);
	sb_add_cert(v, milan.vlek);
	expect_fail(v, buf, &o, CU_ERR_NOT_FOUND, "collateral");
	cu_verifier_free(v);

	/* a VLEK-signed report with only a VCEK */
	v = verifier_with(&milan, milan.ask, milan.vcek, NULL);
	sb_report_init_vlek(&r, &milan, 3);
	sb_report_build(&r, milan.vlek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_NOT_FOUND, "collateral");
	assert_contains(err.message, "VLEK");
	cu_verifier_free(v);
}

static void test_second_vcek(void **state)
{
	/* VCEKs of another chip and of an older TCB, added before the right one */
	uint8_t other_hwid[64];
	struct sb_vek_opts chip = { .set_hwid = true, .hwid_size = 64 };
	struct sb_vek_opts tcb = { .set_tcb = true };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	X509 *x1, *x2;
	json_t *c;

	memset(other_hwid, 0x5a, sizeof(other_hwid));
	memcpy(chip.hwid, other_hwid, sizeof(other_hwid));
	tcb.tcb = milan.tcb;
	tcb.tcb.snp--;
	x1 = sb_vek_new(&milan, false, &chip, NULL);
	x2 = sb_vek_new(&milan, false, &tcb, NULL);
	assert_int_equal(cu_verifier_new(&v, NULL), 0);
	sb_pki_add_root(&milan, v);
	sb_add_cert(v, milan.ask);
	sb_add_cert(v, x1);
	sb_add_cert(v, x2);
	sb_add_cert(v, milan.vcek);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	c = verify_ok(v, buf, &o);
	assert_verified_claims(c, &r, CU_SNP_PRODUCT_MILAN, milan.vcek, "Milan-B0", "not-checked");
	json_decref(c);
	/* twice, through the cache */
	c = verify_ok(v, buf, &o);
	assert_verified_claims(c, &r, CU_SNP_PRODUCT_MILAN, milan.vcek, "Milan-B0", "not-checked");
	json_decref(c);
	cu_verifier_free(v);

	/* the same certificate twice is harmless */
	v = sb_verifier_new(&milan);
	sb_add_cert(v, milan.vcek);
	json_decref(verify_ok(v, buf, &o));
	cu_verifier_free(v);
	X509_free(x1);
	X509_free(x2);
}

static void test_best_error(void **state)
{
	/* With two wrong VCEKs, the error of the one that got further is reported. */
	uint8_t other_hwid[64];
	struct sb_vek_opts chip = { .set_hwid = true, .hwid_size = 64 };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	X509 *x1;
	struct cu_error err;

	memset(other_hwid, 0x5a, sizeof(other_hwid));
	memcpy(chip.hwid, other_hwid, sizeof(other_hwid));
	x1 = sb_vek_new(&milan, false, &chip, NULL);
	v = verifier_with(&milan, milan.ask, milan.vcek, x1);
	sb_report_init(&r, &milan, 3);
	r.reported_tcb ^= 1; /* bootloader */
	sb_report_build(&r, milan.vcek_key, buf);
	err = expect_fail(v, buf, &o, CU_ERR_MISMATCH, "endorsement");
	assert_contains(err.message, "REPORTED_TCB.bootloader");
	cu_verifier_free(v);
	X509_free(x1);
}

/* -------------------------------------------------------- time and CRLs */

static void test_vcek_validity(void **state)
{
	struct sb_vek_opts vo = { .not_before = T_2021, .not_after = T_2022 };
	struct cu_verify_opts o;
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *key;
	X509 *vcek = sb_vek_new(&milan, false, &vo, &key);
	cu_verifier *v = verifier_with(&milan, milan.ask, vcek, NULL);
	struct cu_error err;
	json_t *c;

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, key, buf);
	o = opts_at(AT); /* expired */
	err = expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	assert_contains(err.message, "SEV-VCEK");
	o = opts_at(T_2019); /* not yet valid */
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	o = opts_at(T_2021_06); /* inside */
	c = verify_ok(v, buf, &o);
	assert_jstr(c, "snp.vcek.not_before", "2021-01-01T00:00:00Z");
	assert_jstr(c, "snp.vcek.not_after", "2022-01-01T00:00:00Z");
	json_decref(c);
	/* after a success is cached, the time still counts */
	o = opts_at(AT);
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	o = opts_at(T_2019);
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	o = opts_at(T_2021_06);
	json_decref(verify_ok(v, buf, &o));
	cu_verifier_free(v);
	X509_free(vcek);
	EVP_PKEY_free(key);
}

static void test_ask_validity(void **state)
{
	/* The chain is only as valid as its shortest-lived element. */
	struct sb_pki_opts po = { .ask = { .not_before = T_2021, .not_after = T_2022 } };
	struct sb_pki p;
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(T_2021_06);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_pki_init(&p, &po);
	v = sb_verifier_new(&p);
	sb_report_init(&r, &p, 3);
	sb_report_build(&r, p.vcek_key, buf);
	json_decref(verify_ok(v, buf, &o));
	o = opts_at(AT);
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	cu_verifier_free(v);
	sb_pki_done(&p);
}

static void test_cache_time(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	json_decref(verify_ok(v, buf, &o));
	json_decref(verify_ok(v, buf, &o));
	/* the default VCEK expires on 2040-01-01: a cached success must not leak past it */
	o = opts_at(T_2045);
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	o = opts_at(T_2019);
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	o = opts_at(AT);
	json_decref(verify_ok(v, buf, &o));
	cu_verifier_free(v);
}

static int verify_code(cu_verifier *v, const uint8_t *buf, int64_t at)
{
	struct cu_verify_opts o = opts_at(at);
	struct cu_error err = { 0 };
	json_t *c = NULL;
	int r = cu_verify(v, "snp", buf, CU_SNP_REPORT_SIZE, &o, &c, &err);

	json_decref(c);
	return r;
}

static void test_cache_boundaries(void **state)
{
	/*
	 * At the exact notBefore / notAfter second, a cached result must agree
	 * with a fresh verification (whatever the window's convention is).
	 */
	struct sb_vek_opts vo = { .not_before = T_2021, .not_after = T_2022 };
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	EVP_PKEY *key;
	X509 *vcek = sb_vek_new(&milan, false, &vo, &key);
	static const int64_t edges[] = { T_2021 - 1, T_2021, T_2022 - 1, T_2022, T_2022 + 1 };

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, key, buf);
	for (size_t i = 0; i < ELEMENTSOF(edges); i++) {
		cu_verifier *fresh = verifier_with(&milan, milan.ask, vcek, NULL);
		cu_verifier *warm = verifier_with(&milan, milan.ask, vcek, NULL);
		int want, got;

		assert_int_equal(verify_code(warm, buf, T_2021_06), 0);
		want = verify_code(fresh, buf, edges[i]);
		got = verify_code(warm, buf, edges[i]);
		if (want != got)
			fail_msg("at %lld: fresh verification gives %s, cached gives %s",
			         (long long)edges[i], cu_errname(want), cu_errname(got));
		cu_verifier_free(fresh);
		cu_verifier_free(warm);
	}
	X509_free(vcek);
	EVP_PKEY_free(key);
}

static void test_cache_boundaries_crl(void **state)
{
	/* The same at the edges of a CRL's thisUpdate / nextUpdate. */
	static const int64_t edges[] = { T_2021 - 1, T_2021, T_2022 - 1, T_2022, T_2022 + 1 };
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	X509_CRL *crl;

	crl = sb_crl_new(&milan, NULL, T_2021, T_2022);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	for (size_t i = 0; i < ELEMENTSOF(edges); i++) {
		cu_verifier *fresh = sb_verifier_new(&milan);
		cu_verifier *warm = sb_verifier_new(&milan);
		int want, got;

		sb_add_crl(fresh, crl);
		sb_add_crl(warm, crl);
		assert_int_equal(verify_code(warm, buf, T_2021_06), 0);
		want = verify_code(fresh, buf, edges[i]);
		got = verify_code(warm, buf, edges[i]);
		if (want != got)
			fail_msg("CRL at %lld: fresh verification gives %s, cached gives %s",
			         (long long)edges[i], cu_errname(want), cu_errname(got));
		cu_verifier_free(fresh);
		cu_verifier_free(warm);
	}
	X509_CRL_free(crl);
}

static void test_crl_not_revoked(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	X509_CRL *crl = sb_crl_new(&milan, NULL, T_2029, T_2031);
	json_t *c;

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	c = verify_ok(v, buf, &o);
	assert_jstr(c, "snp.revocation", "not-checked");
	json_decref(c);
	sb_add_crl(v, crl);
	c = verify_ok(v, buf, &o);
	assert_verified_claims(c, &r, CU_SNP_PRODUCT_MILAN, milan.vcek, "Milan-B0", "checked");
	json_decref(c);

	/* a CRL that revokes something else */
	X509_CRL_free(crl);
	crl = sb_crl_new(&milan, milan.vcek, T_2029, T_2031);
	cu_verifier_free(v);
	v = sb_verifier_new(&milan);
	sb_add_crl(v, crl);
	c = verify_ok(v, buf, &o);
	assert_jstr(c, "snp.revocation", "checked");
	json_decref(c);

	/* VLEK chain: the ARK's CRL covers the ASVK */
	sb_report_init_vlek(&r, &milan, 3);
	sb_report_build(&r, milan.vlek_key, buf);
	c = verify_ok(v, buf, &o);
	assert_jstr(c, "snp.revocation", "checked");
	json_decref(c);
	cu_verifier_free(v);
	X509_CRL_free(crl);
}

static void test_crl_revoked(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	X509_CRL *crl = sb_crl_new(&milan, milan.ask, T_2029, T_2031);
	struct cu_error err;

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	/* a success before the CRL is added must not be remembered */
	json_decref(verify_ok(v, buf, &o));
	sb_add_crl(v, crl);
	err = expect_fail(v, buf, &o, CU_ERR_REVOKED, "chain");
	assert_contains(err.message, "SEV-Milan");
	/* the ASVK is not revoked */
	sb_report_init_vlek(&r, &milan, 3);
	sb_report_build(&r, milan.vlek_key, buf);
	json_decref(verify_ok(v, buf, &o));
	cu_verifier_free(v);
	X509_CRL_free(crl);

	/* a revoked ASVK */
	crl = sb_crl_new(&milan, milan.asvk, T_2029, T_2031);
	v = sb_verifier_new(&milan);
	sb_add_crl(v, crl);
	expect_fail(v, buf, &o, CU_ERR_REVOKED, "chain");
	cu_verifier_free(v);
	X509_CRL_free(crl);
}

static void test_crl_expired(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	X509_CRL *crl = sb_crl_new(&milan, NULL, T_2021, T_2022);
	json_t *c;

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	sb_add_crl(v, crl);
	/* expired at 2030 */
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	/* not yet issued in 2019 */
	o = opts_at(T_2019);
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	/* current in 2021-06 */
	o = opts_at(T_2021_06);
	c = verify_ok(v, buf, &o);
	assert_jstr(c, "snp.revocation", "checked");
	json_decref(c);
	/* and the cached success ends with the CRL's nextUpdate */
	o = opts_at(AT);
	expect_fail(v, buf, &o, CU_ERR_EXPIRED, "chain");
	cu_verifier_free(v);
	X509_CRL_free(crl);
}

static void test_crl_wrong_signer(void **state)
{
	/* A CRL with the ARK's name signed by another key is refused, not ignored. */
	struct sb_pki other;
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	X509_CRL *crl;
	struct cu_error err = { 0 };
	json_t *c = NULL;
	int ret;

	sb_pki_init(&other, NULL);
	crl = sb_crl_new(&other, NULL, T_2029, T_2031);
	sb_add_crl(v, crl);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	ret = cu_verify(v, "snp", buf, sizeof(buf), &o, &c, &err);
	assert_int_equal(ret, CU_ERR_SIGNATURE);
	assert_null(c);
	assert_string_equal(err.stage, "chain");
	assert_true(strncmp(err.message, "snp:", 4) == 0);
	assert_contains(err.message, "CRL");
	cu_verifier_free(v);
	X509_CRL_free(crl);
	sb_pki_done(&other);
}

/* --------------------------------------------------------------- inputs */

static void test_verify_versions(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	static const uint32_t bad[] = { 0, 1, 4, 6 };
	struct cu_error err;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		sb_report_init(&r, &milan, 3);
		r.version = bad[i];
		sb_report_build(&r, milan.vcek_key, buf);
		err = expect_fail(v, buf, &o, CU_ERR_UNSUPPORTED, "parse");
		assert_contains(err.message, "version");
	}
	cu_verifier_free(v);
}

static void test_verify_sizes(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE + 1] = { 0 };

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	expect_fail_(v, "snp", buf, CU_SNP_REPORT_SIZE - 1, &o, CU_ERR_MALFORMED, "parse",
	             __LINE__);
	expect_fail_(v, "snp", buf, 500, &o, CU_ERR_MALFORMED, "parse", __LINE__);
	expect_fail_(v, "snp", buf, 0, &o, CU_ERR_MALFORMED, "parse", __LINE__);
	expect_fail_(v, "snp", buf, CU_SNP_REPORT_SIZE + 1, &o, CU_ERR_TOO_LARGE, "parse",
	             __LINE__);
	cu_verifier_free(v);
}

static void test_binding(void **state)
{
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE], want[65];
	struct cu_error err;

	/* 64 bytes, equal */
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	memcpy(want, r.report_data, 64);
	o.report_data = want;
	o.report_data_size = 64;
	json_decref(verify_ok(v, buf, &o));

	/* one bit off, anywhere */
	want[63] ^= 0x01;
	err = expect_fail(v, buf, &o, CU_ERR_BINDING, "binding");
	assert_contains(err.message, "REPORT_DATA");
	want[63] ^= 0x01;
	want[0] ^= 0x80;
	expect_fail(v, buf, &o, CU_ERR_BINDING, "binding");
	want[0] ^= 0x80;

	/* shorter: zero-padded (a 32-byte nonce) */
	memset(r.report_data + 32, 0, 32);
	sb_report_build(&r, milan.vcek_key, buf);
	o.report_data_size = 32;
	json_decref(verify_ok(v, buf, &o));
	/* ... but the padding must really be zero */
	o.report_data_size = 16;
	expect_fail(v, buf, &o, CU_ERR_BINDING, "binding");
	/* the full 64 bytes with zeros also match */
	memset(want + 32, 0, 32);
	o.report_data_size = 64;
	json_decref(verify_ok(v, buf, &o));
	/* empty expected data: REPORT_DATA must be all zero */
	o.report_data_size = 0;
	expect_fail(v, buf, &o, CU_ERR_BINDING, "binding");
	memset(r.report_data, 0, 64);
	sb_report_build(&r, milan.vcek_key, buf);
	json_decref(verify_ok(v, buf, &o));

	/* more than 64 bytes is a usage error */
	o.report_data_size = 65;
	expect_fail(v, buf, &o, CU_ERR_INVALID_ARG, "binding");
	cu_verifier_free(v);
}

static void test_binding_after_signature(void **state)
{
	/* A binding mismatch is only reported once the signature holds. */
	cu_verifier *v = sb_verifier_new(&milan);
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE], want[64] = { 0 };

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	buf[0x090] ^= 1;
	o.report_data = want;
	o.report_data_size = sizeof(want);
	expect_fail(v, buf, &o, CU_ERR_SIGNATURE, "signature");
	cu_verifier_free(v);
}

static void test_collateral_pem_bundle(void **state)
{
	/* The whole chain as one PEM bundle, and the ARK as PEM. */
	struct cu_error err = { 0 };
	cu_verifier *v;
	struct cu_verify_opts o = opts_at(AT);
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	size_t n1, n2, n3;
	char *ark = sb_cert_pem(milan.ark, &n1);
	char *ask = sb_cert_pem(milan.ask, &n2);
	char *vcek = sb_cert_pem(milan.vcek, &n3);
	char *bundle = malloc(n2 + n3 + 1);

	assert_non_null(bundle);
	memcpy(bundle, vcek, n3);
	memcpy(bundle + n3, ask, n2);
	assert_int_equal(cu_verifier_new(&v, &err), 0);
	assert_int_equal(cu_verifier_add_test_root_INSECURE(v, (uint8_t *)ark, n1, &err), 0);
	assert_int_equal(cu_verifier_n_test_roots(v), 1);
	assert_int_equal(
	    cu_verifier_add_collateral_mem(v, (uint8_t *)bundle, n2 + n3, "bundle", &err), 2);
	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	json_decref(verify_ok(v, buf, &o));
	cu_verifier_free(v);
	free(ark);
	free(ask);
	free(vcek);
	free(bundle);
}

static void test_report_sign_layout(void **state)
{
	/* The builder's own invariants: R and S fill 48 of 72 bytes, the rest is zero. */
	struct cu_snp_report r;
	uint8_t buf[CU_SNP_REPORT_SIZE];

	sb_report_init(&r, &milan, 3);
	sb_report_build(&r, milan.vcek_key, buf);
	assert_true(all_zero(buf + 0x2A0 + 48, 24));
	assert_true(all_zero(buf + 0x2E8 + 48, 24));
	assert_true(all_zero(buf + 0x330, CU_SNP_REPORT_SIZE - 0x330));
	assert_false(all_zero(buf + 0x2A0, 48));
	assert_false(all_zero(buf + 0x2E8, 48));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v2),
		cmocka_unit_test(test_parse_v3),
		cmocka_unit_test(test_parse_v5),
		cmocka_unit_test(test_parse_v2_no_cpuid_no_mit),
		cmocka_unit_test(test_parse_sizes),
		cmocka_unit_test(test_parse_versions),
		cmocka_unit_test(test_parse_reserved),
		cmocka_unit_test(test_parse_reserved_message_offset),
		cmocka_unit_test(test_parse_not_reserved),
		cmocka_unit_test(test_report_sign_layout),
		cmocka_unit_test(test_verify_v2),
		cmocka_unit_test(test_verify_v3),
		cmocka_unit_test(test_verify_v5),
		cmocka_unit_test(test_verify_genoa),
		cmocka_unit_test(test_verify_turin),
		cmocka_unit_test(test_verify_detects_format),
		cmocka_unit_test(test_verify_policy_and_platform_bits),
		cmocka_unit_test(test_inspect),
		cmocka_unit_test(test_verify_hwid_der),
		cmocka_unit_test(test_verify_vlek),
		cmocka_unit_test(test_verify_vlek_tcb_mismatch),
		cmocka_unit_test(test_verify_vlek_via_ask),
		cmocka_unit_test(test_verify_reserved),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_unrelated_key),
		cmocka_unit_test(test_signature_algo),
		cmocka_unit_test(test_signing_key),
		cmocka_unit_test(test_wrong_chain),
		cmocka_unit_test(test_missing_ask),
		cmocka_unit_test(test_ask_of_other_product),
		cmocka_unit_test(test_ark_unknown_product),
		cmocka_unit_test(test_vcek_via_asvk),
		cmocka_unit_test(test_vcek_signed_by_ark),
		cmocka_unit_test(test_tcb_mismatch),
		cmocka_unit_test(test_tcb_other_fields_ignored),
		cmocka_unit_test(test_chip_id_mismatch),
		cmocka_unit_test(test_mask_chip_key),
		cmocka_unit_test(test_turin_chip_id),
		cmocka_unit_test(test_turin_tcb_layout),
		cmocka_unit_test(test_cpuid_product_mismatch),
		cmocka_unit_test(test_product_name_mismatch),
		cmocka_unit_test(test_no_vcek),
		cmocka_unit_test(test_second_vcek),
		cmocka_unit_test(test_best_error),
		cmocka_unit_test(test_vcek_validity),
		cmocka_unit_test(test_ask_validity),
		cmocka_unit_test(test_cache_time),
		cmocka_unit_test(test_cache_boundaries),
		cmocka_unit_test(test_cache_boundaries_crl),
		cmocka_unit_test(test_crl_not_revoked),
		cmocka_unit_test(test_crl_revoked),
		cmocka_unit_test(test_crl_expired),
		cmocka_unit_test(test_crl_wrong_signer),
		cmocka_unit_test(test_verify_versions),
		cmocka_unit_test(test_verify_sizes),
		cmocka_unit_test(test_binding),
		cmocka_unit_test(test_binding_after_signature),
		cmocka_unit_test(test_collateral_pem_bundle),
	};

	return cmocka_run_group_tests_name("snp", tests, group_setup, group_teardown);
}
