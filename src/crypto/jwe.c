/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resource release as JWE through libjose (RSA-OAEP-256 key wrapping through
 * OpenSSL, which libjose 11 cannot do on OpenSSL 3). libjose puts the ephemeral key of
 * ECDH-ES in the recipient's unprotected header; KBS clients read it from the
 * protected header, so the key is wrapped first, the epk moved into the
 * protected header, and only then is the content encrypted (the protected
 * header, epk included, is the AAD).
 */
#include <string.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "jwe.h"
#include "openssl-util.h"

#define STAGE "release"

static const char *const ec_curves[] = { "P-256", "P-384", "P-521" };

/* The public members of the TEE key, nothing else (a stray "d" is not copied). */
static json_t *public_jwk(const json_t *k, const char **ret_alg, struct cu_error *err)
{
	const char *kty = json_string_value(json_object_get(k, "kty"));
	const char *alg = json_string_value(json_object_get(k, "alg"));
	const json_t *n;

	if (!json_is_object(k) || !kty) {
		cu_fail(err, CU_ERR_MALFORMED, STAGE, "release: tee-pubkey: not a JWK (no kty)");
		return NULL;
	}
	if (alg && !strcmp(alg, "RSA1_5")) {
		cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		        "release: tee-pubkey alg RSA1_5 is refused (padding-oracle prone); use "
		        "RSA-OAEP-256 or ECDH-ES+A256KW");
		return NULL;
	}
	if (!strcmp(kty, "EC")) {
		const char *crv = json_string_value(json_object_get(k, "crv"));
		bool ok = false;

		for (size_t i = 0; crv && i < ELEMENTSOF(ec_curves); i++)
			ok |= !strcmp(crv, ec_curves[i]);
		if (!ok) {
			cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
			        "release: tee-pubkey: EC curve %.16s not accepted (P-256, P-384, "
			        "P-521)",
			        crv ? crv : "(none)");
			return NULL;
		}
		if (alg && strcmp(alg, "ECDH-ES+A256KW")) {
			cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
			        "release: tee-pubkey alg %.32s not accepted for an EC key "
			        "(ECDH-ES+A256KW)",
			        alg);
			return NULL;
		}
		*ret_alg = "ECDH-ES+A256KW";
		return json_pack("{s:s,s:s,s:O,s:O}", "kty", "EC", "crv", crv, "x",
		                 json_object_get(k, "x"), "y", json_object_get(k, "y"));
	}
	if (!strcmp(kty, "RSA")) {
		n = json_object_get(k, "n");
		if (alg && strcmp(alg, "RSA-OAEP-256")) {
			cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
			        "release: tee-pubkey alg %.32s not accepted for an RSA key "
			        "(RSA-OAEP-256)",
			        alg);
			return NULL;
		}
		/* base64url of the modulus: 2048 bits are 342 characters. */
		if (!json_is_string(n) || json_string_length(n) < 342) {
			cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
			        "release: tee-pubkey: RSA keys need at least 2048 bits");
			return NULL;
		}
		*ret_alg = "RSA-OAEP-256";
		return json_pack("{s:s,s:O,s:O}", "kty", "RSA", "n", n, "e",
		                 json_object_get(k, "e"));
	}
	cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
	        "release: tee-pubkey: key type %.16s not accepted (EC or RSA)", kty);
	return NULL;
}

/*
 * RSA-OAEP-256 (RFC 7518 section 4.3: OAEP with SHA-256 and MGF1-SHA-256) of
 * a fresh 256-bit CEK, through OpenSSL: libjose 11 cannot wrap with OAEP on
 * OpenSSL 3 (only RSA1_5, which is refused here).
 */
static int rsa_oaep_wrap(const json_t *jwk, json_t *jwe, json_t **cek, struct cu_error *err)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = jose_openssl_jwk_to_EVP_PKEY(NULL, jwk);
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx = NULL;
	uint8_t key[32], ek[1024];
	size_t ek_size = sizeof(ek);
	_cleanup_free_ char *k = NULL, *e = NULL;
	int ok;

	if (!pk || EVP_PKEY_get_bits(pk) < 2048 || EVP_PKEY_get_size(pk) > (int)sizeof(ek))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "release: tee-pubkey: not a usable RSA key (2048 to 8192 bits)");
	ctx = EVP_PKEY_CTX_new(pk, NULL);
	ok = ctx && RAND_priv_bytes(key, sizeof(key)) == 1 && EVP_PKEY_encrypt_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
	     EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
	     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
	     EVP_PKEY_encrypt(ctx, ek, &ek_size, key, sizeof(key)) == 1;
	if (ok) {
		k = cu_base64url_encode_alloc(key, sizeof(key));
		e = cu_base64url_encode_alloc(ek, ek_size);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (!ok || !k || !e)
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "release: RSA-OAEP-256 wrap failed");
	json_decref(*cek);
	*cek = json_pack("{s:s,s:s}", "kty", "oct", "k", k);
	OPENSSL_cleanse(k, strlen(k));
	if (!*cek || json_object_set_new(jwe, "encrypted_key", json_string(e)) < 0)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "release: out of memory");
	return 0;
}

int cu_jwe_encrypt(const json_t *tee_pubkey, const uint8_t *pt, size_t size, json_t **ret,
                   struct cu_error *err)
{
	json_auto_t *jwk = NULL, *jwe = NULL, *cek = NULL, *out = NULL;
	const char *alg = NULL;
	json_t *epk;

	jwk = public_jwk(tee_pubkey, &alg, err);
	if (!jwk)
		return err ? err->code : CU_ERR_MALFORMED;
	jwe = json_pack("{s:{s:s,s:s}}", "protected", "alg", alg, "enc", "A256GCM");
	cek = json_object();
	if (!jwe || !cek)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "release: out of memory");
	if (!strcmp(alg, "RSA-OAEP-256")) {
		int r = rsa_oaep_wrap(jwk, jwe, &cek, err);
		if (r < 0)
			return r;
	} else if (!jose_jwe_enc_jwk(NULL, jwe, NULL, jwk, cek))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "release: tee-pubkey: cannot wrap a key to it (invalid %s key)",
		               json_string_value(json_object_get(jwk, "kty")));
	epk = json_object_get(json_object_get(jwe, "header"), "epk");
	if (epk && json_object_set(json_object_get(jwe, "protected"), "epk", epk) < 0)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "release: out of memory");
	json_object_del(jwe, "header");
	if (!jose_jwe_enc_cek(NULL, jwe, cek, pt, size))
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "release: A256GCM encryption failed");
	/* Exactly the members a KBS client expects. */
	out = json_pack("{s:O,s:O,s:O,s:O,s:O}", "protected", json_object_get(jwe, "protected"),
	                "encrypted_key", json_object_get(jwe, "encrypted_key"), "iv",
	                json_object_get(jwe, "iv"), "ciphertext",
	                json_object_get(jwe, "ciphertext"), "tag", json_object_get(jwe, "tag"));
	if (!out || !json_is_string(json_object_get(out, "protected")))
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "release: unexpected JWE from libjose");
	/* The CEK is secret: wipe it (k is base64url in the JWK) before it is freed. */
	if (json_is_string(json_object_get(cek, "k")))
		OPENSSL_cleanse((char *)json_string_value(json_object_get(cek, "k")),
		                json_string_length(json_object_get(cek, "k")));
	*ret = TAKE_PTR(out);
	return 0;
}
