/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers every evidence format uses. Apart from registry.c, so that a
 * program that only parses one format (custos-agent) does not link them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "../crypto/x509.h"
#include "evidence.h"

int cu_verifier_state(cu_verifier *v, enum cu_format_id slot,
                      int (*build)(cu_verifier *v, void **ret, struct cu_error *err),
                      void (*state_free)(void *state), void **ret, struct cu_error *err)
{
	int r = 0;

	pthread_mutex_lock(&v->lock);
	if (!v->state[slot] || v->state_generation[slot] != v->generation) {
		void *st = NULL;

		r = build(v, &st, err);
		if (r == 0) {
			if (v->state[slot])
				state_free(v->state[slot]);
			v->state[slot] = st;
			v->state_generation[slot] = v->generation;
		}
	}
	if (r == 0)
		*ret = v->state[slot];
	pthread_mutex_unlock(&v->lock);
	return r;
}

int cu_append_test_roots(cu_verifier *v, STACK_OF(X509) * roots, struct cu_error *err)
{
	int n = sk_X509_num(roots);

	for (int i = 0; i < sk_X509_num(v->test_roots); i++) {
		X509 *x = sk_X509_value(v->test_roots, i);

		if (!X509_up_ref(x))
			goto nomem;
		if (!sk_X509_push(roots, x)) {
			X509_free(x);
			goto nomem;
		}
	}
	return 0;
nomem:
	while (sk_X509_num(roots) > n)
		X509_free(sk_X509_pop(roots));
	return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
}

int cu_pinned_roots(cu_verifier *v, const char *pem, const uint8_t pin[32], const char *what,
                    STACK_OF(X509) * *ret, struct cu_error *err)
{
	STACK_OF(X509) *roots = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	uint8_t d[32];
	int r;

	r = cu_x509_parse_any((const uint8_t *)pem, strlen(pem), &roots, &crls, NULL);
	cu_crl_stack_freep(&crls);
	if (r != 1 || cu_x509_sha256(sk_X509_value(roots, 0), d) < 0 || memcmp(d, pin, 32)) {
		cu_x509_stack_freep(&roots);
		return cu_fail(err, CU_ERR_INTERNAL, "init", "%s does not match its pin", what);
	}
	if ((r = cu_append_test_roots(v, roots, err)) < 0) {
		cu_x509_stack_freep(&roots);
		return r;
	}
	*ret = roots;
	return 0;
}

int cu_json_set_hex(json_t *obj, const char *key, const uint8_t *data, size_t size)
{
	char *hex = cu_hex_encode_alloc(data, size);
	json_t *s;

	if (!hex)
		return CU_ERR_NOMEM;
	s = json_string(hex);
	free(hex);
	if (!s || json_object_set_new(obj, key, s) < 0)
		return CU_ERR_NOMEM;
	return 0;
}

int cu_json_set_u64_hex(json_t *obj, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_set_new(obj, key, json_string(buf)) < 0 ? CU_ERR_NOMEM : 0;
}

int cu_check_report_data(const uint8_t rd[64], const struct cu_verify_opts *opts, const char *tee,
                         const char *field, struct cu_error *err)
{
	uint8_t want[64] = { 0 };
	char got_hex[17], want_hex[17];

	if (!opts->report_data)
		return 0;
	if (opts->report_data_size > sizeof(want))
		return cu_fail(err, CU_ERR_INVALID_ARG, "binding",
		               "%s: expected report data is %zu bytes, %s holds 64", tee,
		               opts->report_data_size, field);
	/* Shorter expected data is zero-padded to 64 bytes, as guests fill the field. */
	memcpy(want, opts->report_data, opts->report_data_size);
	if (CRYPTO_memcmp(want, rd, sizeof(want)) == 0)
		return 0;
	cu_hex_encode(rd, 8, got_hex);
	cu_hex_encode(want, 8, want_hex);
	return cu_fail(err, CU_ERR_BINDING, "binding",
	               "%s: %s %s... does not equal the expected %s...", tee, field, got_hex,
	               want_hex);
}

EVP_PKEY *cu_collateral_public_key(const json_t *doc)
{
	const json_t *jwk = json_object_get(doc, "jwk");
	const char *pem = json_string_value(json_object_get(doc, "pem"));

	if (strcmp(json_string_value(json_object_get(doc, "kind")) ?: "", "public_key"))
		return NULL;
	if (pem) {
		BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
		EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

		BIO_free(bio);
		return k;
	}
	if (json_is_object(jwk)) {
		const char *crv = json_string_value(json_object_get(jwk, "crv"));
		const char *xs = json_string_value(json_object_get(jwk, "x"));
		const char *ys = json_string_value(json_object_get(jwk, "y"));
		uint8_t *x = NULL, *y = NULL;
		size_t xn = 0, yn = 0, want;
		EVP_PKEY *k = NULL;

		if (!crv || !xs || !ys ||
		    strcmp(json_string_value(json_object_get(jwk, "kty")) ?: "", "EC"))
			return NULL;
		want = !strcmp(crv, "P-256") ? 32 : !strcmp(crv, "P-384") ? 48 : 66;
		if (cu_base64url_decode(xs, strlen(xs), &x, &xn) == 0 &&
		    cu_base64url_decode(ys, strlen(ys), &y, &yn) == 0 && xn == want && yn == want)
			k = cu_ec_pub_from_xy(crv, x, y, want);
		free(x);
		free(y);
		return k;
	}
	return NULL;
}

bool cu_looks_like_json_object(const uint8_t *buf, size_t size)
{
	size_t i = 0;

	while (i < size && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	return i < size && buf[i] == '{';
}
