/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper playing the TEE's side of key release, through libjose:
 *   jwe_tool keygen EC|RSA > key.jwk      a private key
 *   jwe_tool pub < key.jwk                its public JWK (what the guest sends as tee-pubkey)
 *   jwe_tool decrypt key.jwk < jwe.json   the plaintext of a flattened JWE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdint.h>

static json_t *read_json(FILE *f)
{
	return json_loadf(f, 0, NULL);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "keygen")) {
		json_auto_t *jwk = !strcmp(argv[2], "RSA")
		                       ? json_pack("{s:s,s:i}", "kty", "RSA", "bits", 2048)
		                       : json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
		if (!jwk || !jose_jwk_gen(NULL, jwk))
			return 1;
		return json_dumpf(jwk, stdout, JSON_COMPACT) ? 1 : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "pub")) {
		json_auto_t *jwk = read_json(stdin);
		if (!jwk || !jose_jwk_pub(NULL, jwk))
			return 1;
		return json_dumpf(jwk, stdout, JSON_COMPACT) ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "decrypt")) {
		FILE *f = fopen(argv[2], "r");
		json_auto_t *jwk = f ? read_json(f) : NULL;
		json_auto_t *jwe = read_json(stdin);
		size_t n = 0;
		char *pt;

		if (f)
			fclose(f);
		if (!jwk || !jwe)
			return 2;
		if (!strcmp(json_string_value(json_object_get(jwk, "kty")) ?: "", "RSA")) {
			/* RSA-OAEP-256 unwrapping through OpenSSL (libjose 11 cannot on OpenSSL 3). */
			EVP_PKEY *pk = jose_openssl_jwk_to_EVP_PKEY(NULL, jwk);
			EVP_PKEY_CTX *ctx = pk ? EVP_PKEY_CTX_new(pk, NULL) : NULL;
			uint8_t ek[1024], key[1024]; /* RSA output needs the modulus size */
			size_t ek_size = sizeof(ek), key_size = sizeof(key);
			json_auto_t *cek = NULL;
			json_t *ekj = json_object_get(jwe, "encrypted_key");

			ek_size = ekj ? jose_b64_dec(ekj, ek, sizeof(ek)) : SIZE_MAX;
			if (!ctx || ek_size > sizeof(ek) || EVP_PKEY_decrypt_init(ctx) != 1 ||
			    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
			    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
			    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
			    EVP_PKEY_decrypt(ctx, key, &key_size, ek, ek_size) != 1) {
				fprintf(stderr, "jwe_tool: RSA-OAEP-256 unwrap failed\n");
				return 1;
			}
			cek =
			    json_pack("{s:s,s:o}", "kty", "oct", "k", jose_b64_enc(key, key_size));
			pt = jose_jwe_dec_cek(NULL, jwe, cek, &n);
			EVP_PKEY_CTX_free(ctx);
			EVP_PKEY_free(pk);
		} else {
			pt = jose_jwe_dec(NULL, jwe, NULL, jwk, &n);
		}
		if (!pt) {
			fprintf(stderr, "jwe_tool: cannot decrypt\n");
			return 1;
		}
		fwrite(pt, 1, n, stdout);
		free(pt);
		return 0;
	}
	fprintf(stderr, "usage: jwe_tool keygen EC|RSA | pub | decrypt KEY.jwk\n");
	return 2;
}
