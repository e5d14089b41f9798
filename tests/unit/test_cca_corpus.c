/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm CCA attestation tokens from ../shared/corpus/cca (made by Arm's
 * reference software with its public TEST platform key): each verifies, or is
 * rejected at the realm binding, as its sample says; its claims are the
 * expected ones; the platform key comes from the collateral (JWK or PEM) and
 * no other key will do; flipped bits anywhere in the token are rejected; the
 * caller's binding is the realm challenge.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/pem.h>

#include "test-util.h"

struct sample {
	char dir[2048];
	json_t *meta;
	uint8_t *token;
	size_t size;
};

static bool expect_valid(const struct sample *s)
{
	const char *o =
	    json_string_value(json_object_get(json_object_get(s->meta, "expected"), "outcome"));

	assert_non_null(o);
	return strncmp(o, "valid", 5) == 0;
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
	snprintf(kind, sizeof(kind), "%s/cca", corpus);
	n = scandir(kind, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		struct sample s = { 0 };
		char path[2304];
		FILE *f;

		snprintf(s.dir, sizeof(s.dir), "%s/%s", kind, names[i]->d_name);
		free(names[i]);
		snprintf(path, sizeof(path), "%s/token.cbor", s.dir);
		if (!(f = fopen(path, "r")))
			continue;
		fclose(f);
		s.token = tu_read_file(path, &s.size);
		snprintf(path, sizeof(path), "%s/sample.json", s.dir);
		s.meta = tu_load_json(path);
		fn(&s);
		json_decref(s.meta);
		free(s.token);
		checked++;
	}
	free(names);
	assert_true(checked >= 2);
}

/* A verifier with the sample's platform key, as JWK or PEM, or none. */
static cu_verifier *verifier(const struct sample *s, const char *key_file)
{
	struct cu_error err = { 0 };
	cu_verifier *v;
	char path[2304];

	assert_int_equal(cu_verifier_new(&v, &err), 0);
	if (key_file) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, key_file);
		if (cu_verifier_add_collateral(v, path, &err) != 1)
			fail_msg("%s: %s", path, err.message);
	}
	return v;
}

static int verify(cu_verifier *v, const uint8_t *t, size_t n, const uint8_t *rd, size_t rd_size,
                  json_t **c, struct cu_error *err)
{
	struct cu_verify_opts o = { .at = 1, .report_data = rd, .report_data_size = rd_size };

	*c = NULL;
	return cu_verify(v, NULL, t, n, &o, c, err);
}

/* Values equal, hex case-insensitively; the corpus spells member names with '-'. */
static bool same(json_t *got, json_t *want)
{
	if (json_is_string(want))
		return json_is_string(got) &&
		       !strcasecmp(json_string_value(got), json_string_value(want));
	if (json_is_object(want)) {
		const char *k;
		json_t *w;

		json_object_foreach (want, k, w) {
			char ours[64];

			snprintf(ours, sizeof(ours), "%s", k);
			for (char *p = ours; *p; p++)
				*p = *p == '-' ? '_' : *p;
			if (!same(json_object_get(got, ours), w))
				return false;
		}
		return true;
	}
	if (json_is_array(want)) {
		if (!json_is_array(got) || json_array_size(got) != json_array_size(want))
			return false;
		for (size_t i = 0; i < json_array_size(want); i++)
			if (!same(json_array_get(got, i), json_array_get(want, i)))
				return false;
		return true;
	}
	return json_equal(got, want) || (json_is_null(want) && json_is_null(got));
}

static void check_claims(const struct sample *s, json_t *c)
{
	json_t *ec = json_object_get(s->meta, "expected_claims"), *e;
	const char *key;

	assert_string_equal(json_string_value(json_object_get(c, "tee")), "cca");
	json_object_foreach (ec, key, e) {
		char path[128];

		if (strncmp(key, "platform.", 9) && strncmp(key, "realm.", 6))
			continue;
		if (!strcmp(key, "platform.lifecycle_hex"))
			continue; /* the same value as platform.lifecycle */
		snprintf(path, sizeof(path), "cca.%s", key);
		if (!same(tu_json_path(c, path), json_object_get(e, "value")))
			fail_msg("%s: claim %s differs", s->dir, path);
	}
	assert_string_equal(json_string_value(json_object_get(c, "measurement")),
	                    json_string_value(tu_json_path(c, "cca.realm.initial_measurement")));
	assert_string_equal(json_string_value(tu_json_path(c, "cca.platform.lifecycle_state")),
	                    "secured");
}

static void verify_sample(struct sample *s)
{
	static const char *const keys[] = { "cpak_pub.json", "cpak_pub.pem" };
	struct cu_error err = { 0 };
	json_t *c;

	for (size_t k = 0; k < 2; k++) {
		cu_verifier *v = verifier(s, keys[k]);
		int r = verify(v, s->token, s->size, NULL, 0, &c, &err);

		if (!expect_valid(s)) {
			assert_int_equal(r, CU_ERR_BINDING);
			assert_string_equal(err.stage, "realm-binding");
			assert_null(c);
		} else {
			if (r < 0)
				fail_msg("%s (%s): %s: %s", s->dir, keys[k], err.stage,
				         err.message);
			check_claims(s, c);
			/* the caller's binding: the realm challenge */
			{
				uint8_t rd[64];
				const char *h =
				    json_string_value(tu_json_path(c, "cca.realm.challenge"));
				json_t *again;

				for (int i = 0; i < 64; i++)
					sscanf(h + 2 * i, "%2hhx", &rd[i]);
				assert_int_equal(verify(v, s->token, s->size, rd, 64, &again, &err),
				                 0);
				json_decref(again);
				rd[63] ^= 1;
				assert_int_equal(verify(v, s->token, s->size, rd, 64, &again, &err),
				                 CU_ERR_BINDING);
				assert_string_equal(err.stage, "binding");
			}
			json_decref(c);
		}
		cu_verifier_free(v);
	}
}

static void test_corpus(void **state)
{
	for_each_sample(verify_sample);
}

/* No platform key, or only another one: refused at the platform signature. */
static void keys_sample(struct sample *s)
{
	struct cu_error err = { 0 };
	cu_verifier *v = verifier(s, NULL);
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;
	json_t *c;

	assert_int_equal(verify(v, s->token, s->size, NULL, 0, &c, &err), CU_ERR_NOT_FOUND);
	assert_string_equal(err.stage, "platform-signature");
	assert_non_null(other);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, other), 1);
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(cu_verifier_add_collateral_mem(v, (uint8_t *)pem, (size_t)n, "k", &err),
	                 1);
	assert_int_equal(verify(v, s->token, s->size, NULL, 0, &c, &err), CU_ERR_SIGNATURE);
	assert_string_equal(err.stage, "platform-signature");
	BIO_free(bio);
	EVP_PKEY_free(other);
	cu_verifier_free(v);
}

static void test_platform_key(void **state)
{
	for_each_sample(keys_sample);
}

/* A bit flipped anywhere in the token (one per byte, varying): rejected. */
static void flip_sample(struct sample *s)
{
	cu_verifier *v = verifier(s, "cpak_pub.json");
	uint8_t *copy = malloc(s->size);
	struct cu_error err = { 0 };

	assert_non_null(copy);
	if (expect_valid(s))
		for (size_t off = 0; off < s->size; off++) {
			json_t *c;

			memcpy(copy, s->token, s->size);
			copy[off] ^= (uint8_t)(1u << (off % 8));
			if (verify(v, copy, s->size, NULL, 0, &c, &err) == 0)
				fail_msg("%s: a bit of byte %zu flipped still verifies", s->dir,
				         off);
		}
	free(copy);
	cu_verifier_free(v);
}

static void test_flips(void **state)
{
	for_each_sample(flip_sample);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_platform_key),
		cmocka_unit_test(test_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
