/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Real SEV-SNP reports from ../shared/corpus/sev-snp: each sample verifies at
 * its verify_at with the sample directory as collateral, its claims equal the
 * sample's expected_claims, and flipping any bit of the signed region makes
 * it fail. Every sample directory present is checked, not a fixed list.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/evidence/snp.h"
#include "test-util.h"

struct sample {
	char dir[2048];
	json_t *meta;
	uint8_t *report;
	size_t size;
	int64_t at;
	cu_verifier *v;
};

static void sample_load(struct sample *s, const char *dir)
{
	char path[2304];
	struct cu_error err = { 0 };
	json_t *at;

	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/sample.json", dir);
	s->meta = tu_load_json(path);
	snprintf(path, sizeof(path), "%s/report.bin", dir);
	s->report = tu_read_file(path, &s->size);
	at = json_object_get(s->meta, "verify_at");
	assert_true(json_is_string(at));
	s->at = tu_time(json_string_value(at));
	assert_int_equal(cu_verifier_new(&s->v, &err), 0);
	if (cu_verifier_add_collateral(s->v, dir, &err) <= 0)
		fail_msg("%s: no collateral loaded: %s", dir, err.message);
}

static void sample_done(struct sample *s)
{
	json_decref(s->meta);
	free(s->report);
	cu_verifier_free(s->v);
}

static bool expect_valid(const struct sample *s)
{
	const char *o =
	    json_string_value(json_object_get(json_object_get(s->meta, "expected"), "outcome"));

	assert_non_null(o);
	return strncmp(o, "valid", 5) == 0;
}

/* "0x1f" or 31 or "31" → integer */
static unsigned long long num(json_t *j)
{
	if (json_is_integer(j))
		return (unsigned long long)json_integer_value(j);
	if (json_is_boolean(j))
		return json_is_true(j);
	if (json_is_string(j))
		return strtoull(json_string_value(j), NULL, 0);
	fail_msg("not a number");
	return 0;
}

static void expect_u(const char *sample, json_t *claims, const char *path, unsigned long long want)
{
	json_t *got = tu_json_path(claims, path);

	if (!got)
		fail_msg("%s: claim %s missing", sample, path);
	if (num(got) != want)
		fail_msg("%s: claim %s is %llu, expected %llu", sample, path, num(got), want);
}

static void expect_num(const char *sample, json_t *claims, const char *path, json_t *want)
{
	expect_u(sample, claims, path, num(want));
}

static void expect_str(const char *sample, json_t *claims, const char *path, const char *want)
{
	json_t *got = tu_json_path(claims, path);

	if (!json_is_string(got))
		fail_msg("%s: claim %s missing", sample, path);
	if (strcasecmp(json_string_value(got), want) != 0)
		fail_msg("%s: claim %s is %s, expected %s", sample, path, json_string_value(got),
		         want);
}

static void expect_tcb(const char *sample, json_t *claims, const char *name, json_t *want)
{
	const char *key;
	json_t *val;
	char path[128];

	json_object_foreach (want, key, val) {
		snprintf(path, sizeof(path), "snp.%s.%s", name, key);
		expect_num(sample, claims, path, val);
	}
}

static void expect_version(const char *sample, json_t *claims, const char *prefix, const char *want)
{
	unsigned major, minor, build;
	char path[64];

	if (sscanf(want, "%u.%u build %u", &major, &minor, &build) != 3)
		fail_msg("%s: unreadable firmware version %s", sample, want);
	snprintf(path, sizeof(path), "snp.%s_major", prefix);
	expect_u(sample, claims, path, major);
	snprintf(path, sizeof(path), "snp.%s_minor", prefix);
	expect_u(sample, claims, path, minor);
	snprintf(path, sizeof(path), "snp.%s_build", prefix);
	expect_u(sample, claims, path, build);
}

static void check_claims(const struct sample *s, json_t *claims)
{
	json_t *expected = json_object_get(s->meta, "expected_claims");
	const char *name = json_string_value(json_object_get(s->meta, "name"));
	const char *key;
	json_t *entry;
	char path[128];

	assert_string_equal(json_string_value(json_object_get(claims, "tee")), "sev-snp");
	assert_true(json_is_true(json_object_get(claims, "verified")));
	json_object_foreach (expected, key, entry) {
		json_t *want = json_object_get(entry, "value");

		if (strcmp(key, "policy") == 0 || strcmp(key, "platform_info") == 0) {
			snprintf(path, sizeof(path), "snp.%s.raw", key);
			expect_num(name, claims, path, want);
		} else if (strncmp(key, "policy.", 7) == 0) {
			snprintf(path, sizeof(path), "snp.%s", key);
			expect_num(name, claims, path, want);
		} else if (json_is_object(want) && strstr(key, "_tcb")) {
			expect_tcb(name, claims, key, want);
		} else if (strstr(key, "_tcb_raw")) {
			snprintf(path, sizeof(path), "snp.%.*s.raw", (int)(strlen(key) - 4), key);
			expect_num(name, claims, path, want);
		} else if (strcmp(key, "current_firmware_version") == 0) {
			expect_version(name, claims, "current", json_string_value(want));
		} else if (strcmp(key, "committed_firmware_version") == 0) {
			expect_version(name, claims, "committed", json_string_value(want));
		} else if (strcmp(key, "signing_key") == 0) {
			expect_str(name, claims, "snp.signing_key", json_string_value(want));
		} else if (strcmp(key, "vek_certificate") == 0) {
			const char *vek =
			    strcasecmp(json_string_value(tu_json_path(claims, "snp.signing_key")),
			               "vlek") == 0
			        ? "snp.vlek"
			        : "snp.vcek";
			const char *nb = json_string_value(json_object_get(want, "not_before"));
			const char *na = json_string_value(json_object_get(want, "not_after"));

			snprintf(path, sizeof(path), "%s.not_before", vek);
			assert_int_equal(tu_time(json_string_value(tu_json_path(claims, path))),
			                 tu_time(nb));
			snprintf(path, sizeof(path), "%s.not_after", vek);
			assert_int_equal(tu_time(json_string_value(tu_json_path(claims, path))),
			                 tu_time(na));
			snprintf(path, sizeof(path), "%s.product_name", vek);
			expect_str(name, claims, path,
			           json_string_value(json_object_get(want, "productName")));
		} else if (json_is_string(want) && strncmp(json_string_value(want), "0x", 2) != 0) {
			/* hex byte strings: family_id, measurement, chip_id, ... */
			snprintf(path, sizeof(path), "snp.%s", key);
			expect_str(name, claims, path, json_string_value(want));
		} else if (json_is_integer(want) || json_is_string(want) || json_is_boolean(want)) {
			snprintf(path, sizeof(path), "snp.%s", key);
			expect_num(name, claims, path, want);
		} else {
			fail_msg("%s: expected claim %s has a shape this test does not know", name,
			         key);
		}
	}
	/* common claims mirror the report */
	assert_string_equal(json_string_value(json_object_get(claims, "measurement")),
	                    json_string_value(tu_json_path(claims, "snp.measurement")));
	assert_string_equal(json_string_value(json_object_get(claims, "report_data")),
	                    json_string_value(tu_json_path(claims, "snp.report_data")));
	assert_int_equal(json_is_true(json_object_get(claims, "debug")),
	                 json_is_true(tu_json_path(claims, "snp.policy.debug")));
}

typedef void (*sample_fn)(struct sample *s);

static void for_each_sample(sample_fn fn)
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
		char dir[2048], probe[2304];
		struct sample s = { 0 };
		FILE *f;

		snprintf(dir, sizeof(dir), "%s/%s", kind, names[i]->d_name);
		snprintf(probe, sizeof(probe), "%s/report.bin", dir);
		free(names[i]);
		if (!(f = fopen(probe, "r")))
			continue;
		fclose(f);
		sample_load(&s, dir);
		fn(&s);
		sample_done(&s);
		checked++;
	}
	free(names);
	assert_true(checked > 0);
}

static void verify_sample(struct sample *s)
{
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = s->at };
	json_t *claims = NULL;
	int r = cu_verify(s->v, NULL, s->report, s->size, &o, &claims, &err);

	if (!expect_valid(s)) {
		if (r == 0)
			fail_msg("%s: expected to be rejected but verified", s->dir);
		assert_null(claims);
		return;
	}
	if (r < 0)
		fail_msg("%s: %s: %s", s->dir, err.stage, err.message);
	check_claims(s, claims);

	/* --report-data binding: the report's own data passes, anything else is rejected */
	{
		uint8_t rd[64];
		json_t *again = NULL;

		memcpy(rd, s->report + 0x50, sizeof(rd));
		o.report_data = rd;
		o.report_data_size = sizeof(rd);
		assert_int_equal(cu_verify(s->v, "snp", s->report, s->size, &o, &again, &err), 0);
		json_decref(again);
		again = NULL;
		rd[63] ^= 1;
		assert_int_equal(cu_verify(s->v, "snp", s->report, s->size, &o, &again, &err),
		                 CU_ERR_BINDING);
		assert_string_equal(err.stage, "binding");
		assert_null(again);
	}
	json_decref(claims);
}

static void test_corpus_verifies(void **state)
{
	for_each_sample(verify_sample);
}

/* The window: one day after the validity window's end, the chain is expired. */
static void expired_sample(struct sample *s)
{
	json_t *w = json_object_get(s->meta, "validity_window");
	const char *na = json_string_value(json_object_get(w, "not_after"));
	struct cu_error err = { 0 };
	struct cu_verify_opts o;
	json_t *claims = NULL;

	if (!expect_valid(s) || !na)
		return;
	o = (struct cu_verify_opts){ .at = tu_time(na) + 86400 };
	assert_int_equal(cu_verify(s->v, NULL, s->report, s->size, &o, &claims, &err),
	                 CU_ERR_EXPIRED);
	assert_string_equal(err.stage, "chain");
	assert_null(claims);
}

static void test_corpus_expired_after_window(void **state)
{
	for_each_sample(expired_sample);
}

static void flip_sample(struct sample *s)
{
	struct cu_verify_opts o = { .at = s->at };
	uint8_t *copy;

	if (!expect_valid(s))
		return;
	copy = malloc(s->size);
	assert_non_null(copy);
	for (size_t bit = 0; bit < CU_SNP_SIGNED_SIZE * 8; bit++) {
		struct cu_error err = { 0 };
		json_t *claims = NULL;
		int r;

		memcpy(copy, s->report, s->size);
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		r = cu_verify(s->v, "snp", copy, s->size, &o, &claims, &err);
		if (r == 0)
			fail_msg("%s: flipping bit %zu of the signed region still verifies", s->dir,
			         bit);
		assert_null(claims);
	}
	free(copy);
}

static void test_corpus_every_bit_flip_fails(void **state)
{
	for_each_sample(flip_sample);
}

/* Flipping a bit of the signature itself (r or s) fails too. */
static void sigflip_sample(struct sample *s)
{
	struct cu_verify_opts o = { .at = s->at };
	uint8_t *copy = malloc(s->size);

	if (!expect_valid(s)) {
		free(copy);
		return;
	}
	for (size_t off = CU_SNP_SIGNED_SIZE;
	     off < CU_SNP_SIGNED_SIZE + 2 * CU_SNP_SIG_COMPONENT_SIZE; off += 7) {
		struct cu_error err = { 0 };
		json_t *claims = NULL;

		memcpy(copy, s->report, s->size);
		copy[off] ^= 0x01;
		assert_true(cu_verify(s->v, "snp", copy, s->size, &o, &claims, &err) < 0);
		assert_null(claims);
	}
	free(copy);
}

static void test_corpus_signature_flip_fails(void **state)
{
	for_each_sample(sigflip_sample);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_verifies),
		cmocka_unit_test(test_corpus_expired_after_window),
		cmocka_unit_test(test_corpus_signature_flip_fails),
		cmocka_unit_test(test_corpus_every_bit_flip_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
