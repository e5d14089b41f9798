/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Real AWS Nitro Enclaves attestation documents from ../shared/corpus/nitro:
 * each verifies (or is rejected) at its verify_at as the sample says, with
 * its expected claims; the leaf certificate's short life is enforced; every
 * bit of the signature and bits throughout the signed payload, flipped, are
 * rejected; a document
 * re-signed with another key is rejected; the binding is nonce or user_data.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ec.h>

#include "../../src/crypto/cose.h"
#include "test-util.h"

struct sample {
	char dir[2048];
	json_t *meta;
	uint8_t *doc;
	size_t size;
	int64_t at;
	cu_verifier *v;
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
	snprintf(kind, sizeof(kind), "%s/nitro", corpus);
	n = scandir(kind, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		struct sample s = { 0 };
		char path[2304];
		struct cu_error err = { 0 };
		FILE *f;

		snprintf(s.dir, sizeof(s.dir), "%s/%s", kind, names[i]->d_name);
		free(names[i]);
		snprintf(path, sizeof(path), "%s/attestation_doc.cbor", s.dir);
		if (!(f = fopen(path, "r")))
			continue;
		fclose(f);
		s.doc = tu_read_file(path, &s.size);
		snprintf(path, sizeof(path), "%s/sample.json", s.dir);
		s.meta = tu_load_json(path);
		s.at = tu_time(json_string_value(json_object_get(s.meta, "verify_at")));
		assert_int_equal(cu_verifier_new(&s.v, &err), 0);
		fn(&s);
		cu_verifier_free(s.v);
		json_decref(s.meta);
		free(s.doc);
		checked++;
	}
	free(names);
	assert_true(checked >= 2);
}

static int verify(struct sample *s, const uint8_t *doc, size_t size, int64_t at, json_t **claims,
                  struct cu_error *err)
{
	struct cu_verify_opts o = { .at = at };

	*claims = NULL;
	return cu_verify(s->v, NULL, doc, size, &o, claims, err);
}

static void check_claims(const struct sample *s, json_t *c)
{
	json_t *ec = json_object_get(s->meta, "expected_claims"), *e, *want;
	const char *key;

	assert_string_equal(json_string_value(json_object_get(c, "tee")), "nitro");
	json_object_foreach (ec, key, e) {
		char path[64];
		json_t *got;

		want = json_object_get(e, "value");
		if (!strcmp(key, "pcrs")) {
			const char *idx;
			json_t *w;

			json_object_foreach (want, idx, w) {
				snprintf(path, sizeof(path), "nitro.pcr%s", idx);
				got = tu_json_path(c, path);
				if (!got ||
				    strcasecmp(json_string_value(got), json_string_value(w)))
					fail_msg("%s: %s differs", s->dir, path);
			}
			continue;
		}
		if (!strcmp(key, "debug_mode")) {
			assert_int_equal(json_is_true(json_object_get(c, "debug")),
			                 json_is_true(want));
			continue;
		}
		if (!strcmp(key, "certificate.subject")) {
			assert_string_equal(
			    json_string_value(tu_json_path(c, "nitro.certificate.subject")),
			    json_string_value(want));
			continue;
		}
		if (!strcmp(key, "module_id") || !strcmp(key, "digest") ||
		    !strcmp(key, "timestamp_ms") || !strcmp(key, "public_key") ||
		    !strcmp(key, "user_data") || !strcmp(key, "nonce")) {
			snprintf(path, sizeof(path), "nitro.%s", key);
			got = tu_json_path(c, path);
			if (!got || !(json_is_string(want) ? !strcasecmp(json_string_value(got),
			                                                 json_string_value(want))
			                                   : json_equal(got, want)))
				fail_msg("%s: %s differs", s->dir, path);
		}
	}
	assert_string_equal(json_string_value(json_object_get(c, "measurement")),
	                    json_string_value(tu_json_path(c, "nitro.pcr0")));
}

static void verify_sample(struct sample *s)
{
	struct cu_error err = { 0 };
	json_t *c;
	int r = verify(s, s->doc, s->size, s->at, &c, &err);

	if (!expect_valid(s)) {
		if (r == 0)
			fail_msg("%s: expected to be rejected", s->dir);
		assert_string_equal(err.stage, "signature");
		return;
	}
	if (r < 0)
		fail_msg("%s: %s: %s", s->dir, err.stage, err.message);
	check_claims(s, c);
	/* the binding: nonce or user_data, byte for byte */
	{
		const char *nonce = json_string_value(tu_json_path(c, "nitro.nonce"));
		struct cu_verify_opts o = { .at = s->at };
		uint8_t want[512];
		json_t *again = NULL;
		size_t n = nonce ? strlen(nonce) / 2 : 0;

		for (size_t i = 0; i < n; i++)
			sscanf(nonce + 2 * i, "%2hhx", &want[i]);
		o.report_data = want;
		o.report_data_size = n ? n : 1;
		want[0] ^= n ? 0 : 0xff;
		r = cu_verify(s->v, "nitro", s->doc, s->size, &o, &again, &err);
		if (n)
			assert_int_equal(r, 0);
		else
			assert_int_equal(r, CU_ERR_BINDING);
		json_decref(again);
		again = NULL;
		want[0] ^= 1;
		assert_int_equal(cu_verify(s->v, "nitro", s->doc, s->size, &o, &again, &err),
		                 CU_ERR_BINDING);
		assert_string_equal(err.stage, "binding");
	}
	/* a document carried in a TLS certificate (PEM chain or DER): the same claims */
	for (int i = 0; i < 2; i++) {
		char path[2304];
		uint8_t *cert;
		size_t n;
		json_t *cc = NULL;
		FILE *f;

		snprintf(path, sizeof(path), "%s/tls_cert.%s", s->dir, i ? "der" : "pem");
		if (!(f = fopen(path, "r")))
			continue;
		fclose(f);
		cert = tu_read_file(path, &n);
		if (verify(s, cert, n, s->at, &cc, &err) < 0)
			fail_msg("%s: %s: %s", path, err.stage, err.message);
		assert_string_equal(json_string_value(json_object_get(cc, "measurement")),
		                    json_string_value(json_object_get(c, "measurement")));
		assert_non_null(tu_json_path(cc, "nitro.carrier_certificate.subject"));
		json_decref(cc);
		free(cert);
	}
	/* a certificate that carries none: refused, saying so */
	{
		char path[2304];
		uint8_t *cert;
		size_t n;
		json_t *cc = NULL;

		snprintf(path, sizeof(path), "%s/certificate.pem", s->dir);
		cert = tu_read_file(path, &n);
		assert_int_equal(verify(s, cert, n, s->at, &cc, &err), CU_ERR_MALFORMED);
		assert_non_null(strstr(err.message, "carries no attestation document"));
		free(cert);
	}
	json_decref(c);
}

static void test_corpus_verifies(void **state)
{
	for_each_sample(verify_sample);
}

/* The leaf lives about three hours: a day later the chain is expired. */
static void expiry_sample(struct sample *s)
{
	struct cu_error err = { 0 };
	json_t *c;

	if (!expect_valid(s))
		return;
	assert_int_equal(verify(s, s->doc, s->size, s->at + 86400, &c, &err), CU_ERR_EXPIRED);
	assert_string_equal(err.stage, "chain");
	assert_null(c);
}

static void test_corpus_expiry(void **state)
{
	for_each_sample(expiry_sample);
}

/* Flipped bits of the payload and of the signature. */
static void flip_sample(struct sample *s)
{
	struct cu_cose_sign1 cose;
	struct cu_error err = { 0 };
	size_t pay, sig;
	uint8_t *copy;

	if (!expect_valid(s))
		return;
	assert_int_equal(cu_cose_sign1_parse(s->doc, s->size, &cose, &err), 0);
	/* the payload and the signature are the document's last two byte strings */
	sig = s->size - cose.signature_size;
	pay = sig - 2 - cose.payload_size;
	while (memcmp(s->doc + pay, cose.payload, 16))
		pay--;
	cu_cose_sign1_done(&cose);
	copy = malloc(s->size);
	assert_non_null(copy);
	/* every bit of the signature; of the payload, one bit of every seventh byte */
	for (size_t off = pay; off < s->size; off += (off < sig ? 7 : 1)) {
		for (int bit = off < sig ? (int)(off % 8) : 0;
		     bit < (off < sig ? (int)(off % 8) + 1 : 8); bit++) {
			json_t *c;

			memcpy(copy, s->doc, s->size);
			copy[off] ^= (uint8_t)(1u << bit);
			if (verify(s, copy, s->size, s->at, &c, &err) == 0)
				fail_msg("%s: flipping bit %d of byte %zu still verifies", s->dir,
				         bit, off);
		}
	}
	free(copy);
}

static void test_corpus_flips(void **state)
{
	for_each_sample(flip_sample);
}

/* The document signed again by a fresh P-384 key: the certificate's key does not verify it. */
static void resign_sample(struct sample *s)
{
	struct cu_cose_sign1 cose;
	struct cu_error err = { 0 };
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	uint8_t *copy = malloc(s->size), sig[96];
	json_t *c;

	if (!expect_valid(s)) {
		EVP_PKEY_free(k);
		free(copy);
		return;
	}
	assert_non_null(k);
	assert_int_equal(cu_cose_sign1_parse(s->doc, s->size, &cose, &err), 0);
	{
		/* Sig_structure, as cose.c builds it, signed with the stranger's key */
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		uint8_t der[120];
		size_t dlen = sizeof(der), n = 0;
		uint8_t *tbs = malloc(32 + cose.protected_size + cose.payload_size);
		const uint8_t *p = der;
		ECDSA_SIG *es;

		memcpy(tbs, "\x84\x6aSignature1", 12);
		n = 12;
		tbs[n++] = (uint8_t)(0x40 | cose.protected_size);
		memcpy(tbs + n, cose.protected_raw, cose.protected_size);
		n += cose.protected_size;
		tbs[n++] = 0x40;
		tbs[n++] = 0x59;
		tbs[n++] = (uint8_t)(cose.payload_size >> 8);
		tbs[n++] = (uint8_t)cose.payload_size;
		memcpy(tbs + n, cose.payload, cose.payload_size);
		n += cose.payload_size;
		assert_true(cose.payload_size >= 256 && cose.payload_size < 65536);
		assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, k), 1);
		assert_int_equal(EVP_DigestSign(md, der, &dlen, tbs, n), 1);
		es = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
		assert_non_null(es);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 48);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 48, 48);
		ECDSA_SIG_free(es);
		EVP_MD_CTX_free(md);
		free(tbs);
	}
	memcpy(copy, s->doc, s->size);
	memcpy(copy + s->size - 96, sig, 96);
	assert_int_equal(cose.signature_size, 96);
	cu_cose_sign1_done(&cose);
	assert_int_equal(verify(s, copy, s->size, s->at, &c, &err), CU_ERR_SIGNATURE);
	assert_string_equal(err.stage, "signature");
	EVP_PKEY_free(k);
	free(copy);
}

static void test_corpus_resigned(void **state)
{
	for_each_sample(resign_sample);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_verifies),
		cmocka_unit_test(test_corpus_expiry),
		cmocka_unit_test(test_corpus_resigned),
		cmocka_unit_test(test_corpus_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
