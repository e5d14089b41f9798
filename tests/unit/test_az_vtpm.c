/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Azure confidential VMs with a vTPM, from ../shared/corpus/az-snp-vtpm and
 * az-tdx-vtpm: each sample verifies at its verify_at with its expected
 * nonce, measurement and runtime claims; then each link of the chain is
 * broken in turn and refused at its stage: another nonce, the runtime
 * claims changed (the hardware report no longer vouches for them), the
 * quote's signature and a PCR value changed, any bit of the SNP report
 * flipped, the runtime claims' user-data disagreeing with the binding, an
 * unknown member, another version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "test-util.h"

struct sample {
	char dir[1024];
	const char *kind;
	json_t *meta, *ev;
	cu_verifier *v;
	struct cu_verify_opts o;
	uint8_t nonce[64];
};

static int verify(struct sample *s, json_t **claims, struct cu_error *err)
{
	char *txt = json_dumps(s->ev, JSON_COMPACT);
	int r;

	assert_non_null(txt);
	*err = (struct cu_error){ 0 };
	*claims = NULL;
	r = cu_verify(s->v, NULL, (const uint8_t *)txt, strlen(txt), &s->o, claims, err);
	free(txt);
	return r;
}

static void expect_stage(struct sample *s, const char *stage, const char *words)
{
	struct cu_error err;
	json_t *c;

	assert_true(verify(s, &c, &err) < 0);
	assert_null(c);
	if (strcmp(err.stage, stage) || (words && !strstr(err.message, words)))
		fail_msg("%s: expected stage %s (\"%s\"), got %s: %s", s->dir, stage,
		         words ? words : "", err.stage, err.message);
}

static const char *expected(struct sample *s, const char *claim)
{
	json_t *c = json_object_get(json_object_get(s->meta, "expected_claims"), claim);

	return json_string_value(json_object_get(c, "value"));
}

/* A member of the evidence: decoded, changed by `fn`, encoded again as it was. */
static void with_hcl_byte(struct sample *s, size_t at, uint8_t x)
{
	const char *b64 = json_string_value(json_object_get(s->ev, "hcl_report"));
	size_t n = strlen(b64);
	char *std = strdup(b64), *out;
	uint8_t *raw = malloc(n);
	int len;

	for (char *p = std; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	len = EVP_DecodeBlock(raw, (unsigned char *)std, (int)n);
	assert_true(len > (int)at);
	while (n > 0 && b64[n - 1] == '=') /* EVP_DecodeBlock counts padding as zero bytes */
		n--, len--;
	raw[at] ^= x;
	out = malloc(4 * (((size_t)len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, raw, len);
	json_object_set_new(s->ev, "hcl_report", json_string(out));
	free(out);
	free(raw);
	free(std);
}

/* Where `needle` is in the decoded HCL report. */
static size_t hcl_find(struct sample *s, const char *needle)
{
	const char *b64 = json_string_value(json_object_get(s->ev, "hcl_report"));
	char *std = strdup(b64);
	uint8_t *raw = malloc(strlen(b64));
	int len;
	const uint8_t *hit;
	size_t off;

	for (char *p = std; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	len = EVP_DecodeBlock(raw, (unsigned char *)std, (int)strlen(std));
	hit = memmem(raw, (size_t)len, needle, strlen(needle));
	assert_non_null(hit);
	off = (size_t)(hit - raw);
	free(std);
	free(raw);
	return off;
}

static void sample_load(struct sample *s, const char *kind, const char *dir)
{
	char p[1100];
	struct cu_error err = { 0 };
	const char *at, *nonce;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->kind = kind;
	snprintf(p, sizeof(p), "%s/sample.json", dir);
	s->meta = tu_load_json(p);
	snprintf(p, sizeof(p), "%s/evidence.json", dir);
	s->ev = tu_load_json(p);
	assert_int_equal(cu_verifier_new(&s->v, &err), 0);
	/* TDX: Intel's collateral for the TD quote (its root is compiled in) */
	snprintf(p, sizeof(p), "%s/collateral.json", dir);
	if (access(p, R_OK) == 0)
		assert_true(cu_verifier_add_collateral(s->v, p, &err) > 0);
	at = json_string_value(json_object_get(s->meta, "verify_at"));
	s->o.at = tu_time(at);
	nonce = expected(s, "tpm.nonce");
	assert_non_null(nonce);
	s->o.report_data = s->nonce;
	s->o.report_data_size = strlen(nonce) / 2;
	for (size_t i = 0; i < s->o.report_data_size; i++)
		assert_int_equal(sscanf(nonce + 2 * i, "%2hhx", &s->nonce[i]), 1);
}

static void sample_done(struct sample *s)
{
	json_decref(s->meta);
	json_decref(s->ev);
	cu_verifier_free(s->v);
}

static void check_sample(struct sample *s)
{
	struct cu_error err;
	json_t *c, *pcrs, *vm;
	const char *meas = expected(s, "snp.measurement");
	bool snp = !strcmp(s->kind, "az-snp-vtpm");
	size_t at;

	if (verify(s, &c, &err) < 0)
		fail_msg("%s: %s: %s", s->dir, err.stage, err.message);
	assert_string_equal(json_string_value(json_object_get(c, "tee")), s->kind);
	assert_string_equal(json_string_value(json_object_get(c, "report_data")),
	                    expected(s, "tpm.nonce"));
	if (meas)
		assert_string_equal(json_string_value(json_object_get(c, "measurement")), meas);
	if (snp)
		assert_string_equal(
		    json_string_value(tu_json_path(c, "az.hcl.runtime_claims_digest")),
		    expected(s, "runtime_claims.sha256"));
	else /* Intel's QVL skips TDX components 0 and 1 when byte 1 (the module's major) is set */
		assert_string_equal(json_string_value(json_object_get(c, "tcb_status")),
		                    "OutOfDate");
	vm = json_object_get(json_object_get(json_object_get(s->meta, "expected_claims"),
	                                     "runtime_claims.vm_configuration"),
	                     "value");
	if (vm)
		assert_true(json_equal(json_object_get(vm, "secure-boot"),
		                       tu_json_path(c, "az.vm_configuration.secure_boot")));
	pcrs = json_object_get(
	    json_object_get(json_object_get(s->meta, "expected_claims"), "tpm.pcrs"), "value");
	assert_string_equal(json_string_value(tu_json_path(c, "tpm.sha256.pcr0")),
	                    json_string_value(json_object_get(pcrs, "0")));
	json_decref(c);

	/* another nonce (the quote's qualifying data, or first the guest's user-data) */
	s->nonce[0] ^= 1;
	expect_stage(s, "binding", NULL);
	s->nonce[0] ^= 1;

	/* the quote's signature, and a PCR value */
	{
		json_t *tq = json_object_get(s->ev, "tpm_quote");
		char *sig = strdup(json_string_value(json_object_get(tq, "signature")));
		json_t *pl = json_object_get(tq, "pcrs");
		char *p0 = strdup(json_string_value(json_array_get(pl, 0)));
		char *bad;

		bad = strdup(sig);
		bad[1] = bad[1] == '0' ? '1' : '0';
		json_object_set_new(tq, "signature", json_string(bad));
		expect_stage(s, "quote-signature", NULL);
		json_object_set_new(tq, "signature", json_string(sig));
		free(bad);
		bad = strdup(p0);
		bad[1] = bad[1] == '0' ? '1' : '0';
		json_array_set_new(pl, 0, json_string(bad));
		expect_stage(s, "pcr-digest", NULL);
		json_array_set_new(pl, 0, json_string(p0));
		free(bad);
		free(sig);
		free(p0);
	}

	/* the runtime claims changed (a character of the VM's unique id) */
	at = hcl_find(s, "\"vmUniqueId\":\"") + 14;
	with_hcl_byte(s, at, 0x01);
	expect_stage(s, "runtime-claims", "hash of the runtime claims");
	with_hcl_byte(s, at, 0x01);

	if (snp) {
		/* bits of the SNP report inside the HCL report, each refused */
		for (size_t b = 0x20; b < 0x20 + 0x2a0; b += 37) {
			struct cu_error e2;
			json_t *c2;

			with_hcl_byte(s, b, 0x80);
			assert_true(verify(s, &c2, &e2) < 0);
			with_hcl_byte(s, b, 0x80);
		}
		/* user-data filled by the guest must be the binding (checked before the quote) */
		if (strspn(expected(s, "runtime_claims.user_data"), "0") != 128) {
			s->nonce[0] ^= 1;
			expect_stage(s, "binding", "user-data");
			s->nonce[0] ^= 1;
		}
	}

	/* unknown members and versions */
	json_object_set_new(s->ev, "extra", json_true());
	expect_stage(s, "parse", "unknown member \"extra\"");
	json_object_del(s->ev, "extra");
	json_object_set_new(s->ev, "version", json_integer(3));
	expect_stage(s, "parse", "versions 1 and 2");
}

static bool check_one(const char *dir, const char *name, void *kind)
{
	struct sample s;

	print_message("# %s/%s\n", (const char *)kind, name);
	sample_load(&s, kind, dir);
	check_sample(&s);
	sample_done(&s);
	return true;
}

static void test_corpus(void **state)
{
	static const char *const kinds[] = { "az-snp-vtpm", "az-tdx-vtpm" };
	int checked = 0;

	(void)state;
	for (size_t k = 0; k < 2; k++)
		checked += tu_for_each_sample(kinds[k], check_one, (void *)kinds[k]);
	assert_true(checked >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
