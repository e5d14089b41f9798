/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM2_MakeCredential in software, for AK registration by credential
 * activation (TCG TPM 2.0 Library, Part 1, "Credential Protection", and
 * Annex B.10 for RSA secret sharing): a secret that only the TPM holding the
 * EK can recover, and only for an object named as the AK.
 *
 *   seed            random, the size of the EK's nameAlg digest
 *   encryptedSecret RSA-OAEP(EK, seed), label "IDENTITY\0", the EK's nameAlg
 *   symKey          KDFa(nameAlg, seed, "STORAGE", AK name, -, EK symmetric bits)
 *   encIdentity     AES-CFB(symKey, IV 0, TPM2B_DIGEST(secret))
 *   hmacKey         KDFa(nameAlg, seed, "INTEGRITY", -, -, digest bits)
 *   integrity       HMAC(hmacKey, encIdentity || AK name)
 *   credentialBlob  TPM2B_ID_OBJECT(TPM2B_DIGEST(integrity) || encIdentity)
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "../base/error.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "tpm.h"

#define STAGE "credential"

/* HMAC-SHA-256 over up to four pieces (OpenSSL 3's EVP_MAC). */
static int hmac256(const uint8_t *key, size_t key_size, const void *const *parts,
                   const size_t *sizes, size_t n, uint8_t out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		                                                 (char *)"SHA256", 0),
		                OSSL_PARAM_construct_end() };
	size_t outl = 0;
	int ok = c && EVP_MAC_init(c, key, key_size, params) == 1;

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(c, parts[i], sizes[i]) == 1;
	ok = ok && EVP_MAC_final(c, out, &outl, 32) == 1 && outl == 32;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

/* SP 800-108 counter-mode KDF with HMAC-SHA-256, as the TPM's KDFa. */
static int kdfa(const uint8_t *key, size_t key_size, const char *label, const uint8_t *u, size_t un,
                uint8_t *out, size_t out_size)
{
	uint32_t bits = (uint32_t)(out_size * 8);
	size_t done = 0;

	for (uint32_t i = 1; done < out_size; i++) {
		uint8_t ctr[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
			           (uint8_t)i };
		uint8_t b[4] = { (uint8_t)(bits >> 24), (uint8_t)(bits >> 16), (uint8_t)(bits >> 8),
			         (uint8_t)bits };
		/* the label with its terminating zero, as the TPM hashes it */
		const void *parts[] = { ctr, label, u ? (const void *)u : "", b };
		const size_t sizes[] = { 4, strlen(label) + 1, un, 4 };
		uint8_t h[32];
		size_t take = out_size - done < 32 ? out_size - done : 32;

		if (hmac256(key, key_size, parts, sizes, 4, h) < 0)
			return -1;
		memcpy(out + done, h, take);
		done += take;
		OPENSSL_cleanse(h, sizeof(h));
	}
	return 0;
}

int cu_tpm_public_name(const uint8_t *tpmt, size_t size, uint8_t *name, size_t *name_size,
                       struct cu_error *err)
{
	TPMT_PUBLIC p;
	size_t off = 0;
	const EVP_MD *md;
	unsigned n = 0;

	cu_tpm_strip_tpm2b(&tpmt, &size);
	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(tpmt, size, &off, &p) != TSS2_RC_SUCCESS || off != size)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "tpm: not a TPMT_PUBLIC (%zu bytes)",
		               size);
	md = p.nameAlg == TPM2_ALG_SHA256   ? EVP_sha256()
	     : p.nameAlg == TPM2_ALG_SHA384 ? EVP_sha384()
	     : p.nameAlg == TPM2_ALG_SHA512 ? EVP_sha512()
	                                    : NULL;
	if (!md)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE, "tpm: name algorithm 0x%04x",
		               p.nameAlg);
	name[0] = (uint8_t)(p.nameAlg >> 8);
	name[1] = (uint8_t)p.nameAlg;
	if (!EVP_Digest(tpmt, size, name + 2, &n, md, NULL))
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "tpm: digest failed");
	*name_size = 2 + n;
	return 0;
}

int cu_tpm_make_credential(const uint8_t *ek_tpmt, size_t ek_size, const uint8_t *ak_name,
                           size_t ak_name_size, const uint8_t *secret, size_t secret_size,
                           struct cu_tpm_credential *ret, struct cu_error *err)
{
	TPMT_PUBLIC ek;
	size_t off = 0, sym_bytes, dn;
	const EVP_MD *md;
	uint8_t seed[64], sym[32], hmac_key[64], ident[2 + 64], enc[2 + 64], mac[64];
	unsigned mac_n = 0;
	int len, ok = 0;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	size_t ct_size = sizeof(ret->encrypted_secret) - 2;

	memset(ret, 0, sizeof(*ret));
	cu_tpm_strip_tpm2b(&ek_tpmt, &ek_size);
	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(ek_tpmt, ek_size, &off, &ek) != TSS2_RC_SUCCESS ||
	    off != ek_size)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "tpm: ek_public is not a TPMT_PUBLIC");
	if (ek.type != TPM2_ALG_RSA || ek.nameAlg != TPM2_ALG_SHA256 ||
	    ek.parameters.rsaDetail.symmetric.algorithm != TPM2_ALG_AES ||
	    ek.parameters.rsaDetail.symmetric.mode.aes != TPM2_ALG_CFB ||
	    (ek.parameters.rsaDetail.symmetric.keyBits.aes != 128 &&
	     ek.parameters.rsaDetail.symmetric.keyBits.aes != 256) ||
	    !(ek.objectAttributes & TPMA_OBJECT_RESTRICTED) ||
	    !(ek.objectAttributes & TPMA_OBJECT_DECRYPT))
		return cu_fail(
		    err, CU_ERR_UNSUPPORTED, STAGE,
		    "tpm: the EK must be a restricted RSA decryption key with SHA-256 "
		    "names and AES-CFB (the TCG EK templates); ECC EKs are not supported "
		    "yet");
	if (secret_size == 0 || secret_size > 64 || ak_name_size < 2)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, "tpm: bad secret or name");
	md = EVP_sha256();
	dn = 32;
	sym_bytes = ek.parameters.rsaDetail.symmetric.keyBits.aes / 8u;
	/* the EK's public key */
	if (!(key = cu_rsa_pub_from_ne(ek.unique.rsa.buffer, ek.unique.rsa.size,
	                               ek.parameters.rsaDetail.exponent ?: 65537)))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "tpm: the EK's key does not load");
	/* seed, sealed to the EK */
	if (RAND_bytes(seed, (int)dn) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "tpm: no randomness");
	{
		static const char label[] = "IDENTITY"; /* with its terminating zero */
		char *l = OPENSSL_malloc(sizeof(label));

		if (!l || !(pctx = EVP_PKEY_CTX_new(key, NULL)) ||
		    EVP_PKEY_encrypt_init(pctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, md) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
			OPENSSL_free(l);
			goto out;
		}
		memcpy(l, label, sizeof(label));
		if (EVP_PKEY_CTX_set0_rsa_oaep_label(pctx, l, (int)sizeof(label)) != 1) {
			OPENSSL_free(l);
			goto out;
		}
		if (EVP_PKEY_encrypt(pctx, ret->encrypted_secret + 2, &ct_size, seed, dn) != 1)
			goto out;
		ret->encrypted_secret[0] = (uint8_t)(ct_size >> 8);
		ret->encrypted_secret[1] = (uint8_t)ct_size;
		ret->encrypted_secret_size = 2 + ct_size;
	}
	/* the credential, encrypted and authenticated for the AK's name */
	ident[0] = (uint8_t)(secret_size >> 8);
	ident[1] = (uint8_t)secret_size;
	memcpy(ident + 2, secret, secret_size);
	if (kdfa(seed, dn, "STORAGE", ak_name, ak_name_size, sym, sym_bytes) < 0 ||
	    kdfa(seed, dn, "INTEGRITY", NULL, 0, hmac_key, dn) < 0 ||
	    !(cctx = EVP_CIPHER_CTX_new()) ||
	    EVP_EncryptInit_ex(cctx, sym_bytes == 16 ? EVP_aes_128_cfb128() : EVP_aes_256_cfb128(),
	                       NULL, sym, (const uint8_t[16]){ 0 }) != 1 ||
	    EVP_EncryptUpdate(cctx, enc, &len, ident, (int)(2 + secret_size)) != 1 ||
	    (size_t)len != 2 + secret_size)
		goto out;
	{
		const void *parts[] = { enc, ak_name };
		const size_t sizes[] = { 2 + secret_size, ak_name_size };

		if (hmac256(hmac_key, dn, parts, sizes, 2, mac) < 0)
			goto out;
		mac_n = 32;
	}
	/* TPM2B_ID_OBJECT: size, then TPM2B_DIGEST(integrity) and encIdentity */
	{
		size_t inner = 2 + mac_n + 2 + secret_size;
		uint8_t *p = ret->credential_blob;

		*p++ = (uint8_t)(inner >> 8);
		*p++ = (uint8_t)inner;
		*p++ = (uint8_t)(mac_n >> 8);
		*p++ = (uint8_t)mac_n;
		memcpy(p, mac, mac_n);
		p += mac_n;
		memcpy(p, enc, 2 + secret_size);
		ret->credential_blob_size = 2 + inner;
	}
	ok = 1;
out:
	EVP_PKEY_CTX_free(pctx);
	EVP_CIPHER_CTX_free(cctx);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(sym, sizeof(sym));
	OPENSSL_cleanse(hmac_key, sizeof(hmac_key));
	OPENSSL_cleanse(ident, sizeof(ident));
	if (!ok) {
		memset(ret, 0, sizeof(*ret));
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "tpm: making the credential failed");
	}
	return 0;
}
