/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quotes (TCG TPM 2.0 Library, Part 2: TPMS_ATTEST, TPMT_SIGNATURE,
 * TPMT_PUBLIC), unmarshalled with libtss2-mu, carried in the JSON evidence
 * Trustee's TPM attester sends:
 *
 *   {"ak_pubkey": PEM, "quote": {"SHA256": {"attest_body": b64,
 *    "attest_sig": b64, "pcrs": [hex, ...]}}, "eventlog": b64, "ek_cert": PEM}
 *
 * with two additions: "ak_public" (the AK's TPMT_PUBLIC or TPM2B_PUBLIC,
 * base64) and "ak_cert" (its certificate, PEM or base64 DER). See docs/tpm.md.
 *
 * Stages: parse, ak (the key and its attributes), ak-trust (a certificate to
 * a root given as collateral, or the key itself given as collateral),
 * quote-signature, quote (magic, type), pcr-digest, binding (extraData),
 * eventlog (replay equals every PCR the log extends).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../collateral/collateral.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "../crypto/x509.h"
#include "eventlog.h"
#include "evidence.h"
#include "tpm.h"

#define STAGE_PARSE "parse"
#define MAX_QUOTES  4

struct tpm_quote {
	uint16_t bank; /* TPM_ALG_ID of the quote's key in "quote" */
	const char *key;
	uint8_t *attest, *sig;
	size_t attest_size, sig_size;
	TPMS_ATTEST a;
	TPMT_SIGNATURE s;
	const json_t *pcrs;
};

struct tpm_evidence {
	json_t *root;
	EVP_PKEY *ak;
	TPMT_PUBLIC akpub; /* when ak_public was given */
	uint8_t ak_id[32]; /* SHA-256 of the AK members as given: the AK cache's key */
	uint8_t *akpub_raw;
	size_t akpub_raw_size;
	X509 *ak_cert;
	struct tpm_quote q[MAX_QUOTES];
	size_t n;
	uint8_t *eventlog;
	size_t eventlog_size;
};

static void evidence_done(struct tpm_evidence *e)
{
	json_decref(e->root);
	EVP_PKEY_free(e->ak);
	free(e->akpub_raw);
	X509_free(e->ak_cert);
	for (size_t i = 0; i < e->n; i++) {
		free(e->q[i].attest);
		free(e->q[i].sig);
	}
	free(e->eventlog);
	memset(e, 0, sizeof(*e));
}

static void quiet_once(void)
{
	setenv("TSS2_LOG", "all+NONE", 0);
}

void cu_tpm_quiet_tss2(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, quiet_once);
}

/* --------------------------------------------------------- algorithms */

static const struct {
	uint16_t alg;
	const char *name;
	size_t size;
} banks[] = {
	{ CU_TPM_ALG_SHA1, "sha1", 20 },
	{ CU_TPM_ALG_SHA256, "sha256", 32 },
	{ CU_TPM_ALG_SHA384, "sha384", 48 },
	{ CU_TPM_ALG_SHA512, "sha512", 64 },
};

static const char *bank_name(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (banks[i].alg == alg)
			return banks[i].name;
	return NULL;
}

static size_t bank_size(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (banks[i].alg == alg)
			return banks[i].size;
	return 0;
}

/* ------------------------------------------------------------- parsing */

#define BAD(...) cu_fail(err, CU_ERR_MALFORMED, STAGE_PARSE, "tpm: " __VA_ARGS__)

/* A base64 member (standard alphabet), required or optional. */
static int b64_member(const json_t *o, const char *name, bool required, uint8_t **ret,
                      size_t *ret_size, struct cu_error *err)
{
	const json_t *j = json_object_get(o, name);
	const char *s = json_string_value(j);

	if (!j || json_is_null(j)) {
		if (required)
			return BAD("%s: missing", name);
		return 0;
	}
	if (!s)
		return BAD("%s: not a string", name);
	if (cu_base64_decode(s, strlen(s), ret, ret_size) < 0 || *ret_size == 0)
		return BAD("%s: not base64, or empty", name);
	return 1;
}

/* Unmarshal exactly `size` bytes with a libtss2-mu function. */
#define UNMARSHAL(fn, buf, size, out)                                                              \
	({                                                                                         \
		size_t off_ = 0;                                                                   \
		fn((buf), (size), &off_, (out)) == TSS2_RC_SUCCESS &&off_ == (size);               \
	})

static int parse_quote(struct tpm_evidence *e, const char *key, const json_t *v,
                       struct cu_error *err)
{
	struct tpm_quote *q = &e->q[e->n];
	const char *k;
	json_t *m;
	int r;

	q->bank = 0;
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (!strcasecmp(key, banks[i].name))
			q->bank = banks[i].alg;
	if (!q->bank)
		return BAD("quote: unknown PCR bank \"%.32s\" (SHA1, SHA256, SHA384, SHA512)", key);
	if (!json_is_object(v))
		return BAD("quote.%s: not an object", key);
	json_object_foreach ((json_t *)v, k, m)
		if (strcmp(k, "attest_body") && strcmp(k, "attest_sig") && strcmp(k, "pcrs"))
			return BAD("quote.%s: unknown member \"%.32s\"", key, k);
	q->key = key;
	e->n++; /* from here evidence_done frees what this quote holds */
	if ((r = b64_member(v, "attest_body", true, &q->attest, &q->attest_size, err)) < 0 ||
	    (r = b64_member(v, "attest_sig", true, &q->sig, &q->sig_size, err)) < 0)
		return r;
	if (!UNMARSHAL(Tss2_MU_TPMS_ATTEST_Unmarshal, q->attest, q->attest_size, &q->a))
		return BAD("quote.%s.attest_body: not a TPMS_ATTEST (%zu bytes)", key,
		           q->attest_size);
	if (!UNMARSHAL(Tss2_MU_TPMT_SIGNATURE_Unmarshal, q->sig, q->sig_size, &q->s))
		return BAD("quote.%s.attest_sig: not a TPMT_SIGNATURE (%zu bytes)", key,
		           q->sig_size);
	q->pcrs = json_object_get(v, "pcrs");
	if (!json_is_array(q->pcrs) && !json_is_object(q->pcrs))
		return BAD("quote.%s.pcrs: missing, or neither a list nor an object", key);
	return 0;
}

/* The AK as an OpenSSL key, from its TPMT_PUBLIC. */
static EVP_PKEY *key_from_public(const TPMT_PUBLIC *p)
{
	if (p->type == TPM2_ALG_RSA)
		return cu_rsa_pub_from_ne(p->unique.rsa.buffer, p->unique.rsa.size,
		                          p->parameters.rsaDetail.exponent ?: 65537);
	if (p->type == TPM2_ALG_ECC) {
		uint8_t x[66] = { 0 }, y[66] = { 0 };
		const char *group = NULL;
		size_t n = 0;

		switch (p->parameters.eccDetail.curveID) {
		case TPM2_ECC_NIST_P256:
			group = "P-256", n = 32;
			break;
		case TPM2_ECC_NIST_P384:
			group = "P-384", n = 48;
			break;
		case TPM2_ECC_NIST_P521:
			group = "P-521", n = 66;
			break;
		default:
			return NULL;
		}
		if (p->unique.ecc.x.size > n || p->unique.ecc.y.size > n)
			return NULL;
		memcpy(x + n - p->unique.ecc.x.size, p->unique.ecc.x.buffer, p->unique.ecc.x.size);
		memcpy(y + n - p->unique.ecc.y.size, p->unique.ecc.y.buffer, p->unique.ecc.y.size);
		return cu_ec_pub_from_xy(group, x, y, n);
	}
	return NULL;
}

/*
 * The AK as the evidence gives it: ak_public unmarshalled here (its attributes
 * are checked on every quote), the identity digest of all three members (what
 * the AK cache is keyed by); the key itself is built by build_ak, on a miss.
 */
static int parse_ak(struct tpm_evidence *e, struct cu_error *err)
{
	static const char *const members[] = { "ak_public", "ak_pubkey", "ak_cert" };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool any = false;
	int r;

	if ((r = b64_member(e->root, "ak_public", false, &e->akpub_raw, &e->akpub_raw_size, err)) <
	    0) {
		EVP_MD_CTX_free(md);
		return r;
	}
	if (r > 0) {
		const uint8_t *p = e->akpub_raw;
		size_t n = e->akpub_raw_size;

		/* the TPMT_PUBLIC alone, also when a TPM2B_PUBLIC was given (the Name hashes it) */
		cu_tpm_strip_tpm2b(&p, &n);
		memmove(e->akpub_raw, p, n);
		e->akpub_raw_size = n;
		if (!UNMARSHAL(Tss2_MU_TPMT_PUBLIC_Unmarshal, e->akpub_raw, n, &e->akpub)) {
			EVP_MD_CTX_free(md);
			return BAD("ak_public: not a TPMT_PUBLIC or TPM2B_PUBLIC (%zu bytes)", n);
		}
	}
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return cu_fail(err, CU_ERR_INTERNAL, STAGE_PARSE, "tpm: digest failed");
	}
	for (size_t i = 0; i < 3; i++) {
		const json_t *j = json_object_get(e->root, members[i]);
		const char *v = json_string_value(j);

		if (j && !json_is_null(j) && !v) {
			EVP_MD_CTX_free(md);
			return BAD("%s: not a string", members[i]);
		}
		any |= v != NULL;
		/* each member with its length, so that no two evidences share an identity */
		if (EVP_DigestUpdate(md, v ? v : "", v ? strlen(v) + 1 : 0) != 1 ||
		    EVP_DigestUpdate(md, "\xff", 1) != 1) {
			EVP_MD_CTX_free(md);
			return cu_fail(err, CU_ERR_INTERNAL, STAGE_PARSE, "tpm: digest failed");
		}
	}
	r = EVP_DigestFinal_ex(md, e->ak_id, NULL) == 1 ? 0 : -1;
	EVP_MD_CTX_free(md);
	if (r < 0)
		return cu_fail(err, CU_ERR_INTERNAL, STAGE_PARSE, "tpm: digest failed");
	if (!any)
		return BAD("no attestation key: one of ak_public, ak_pubkey or ak_cert is needed");
	return 0;
}

/* The AK's key from ak_public, ak_pubkey and ak_cert, which must agree. */
static int build_ak(struct tpm_evidence *e, struct cu_error *err)
{
	const char *pem = json_string_value(json_object_get(e->root, "ak_pubkey"));
	const char *cert = json_string_value(json_object_get(e->root, "ak_cert"));
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *from_pem = NULL;

	if (e->akpub_raw && !(e->ak = key_from_public(&e->akpub)))
		return cu_fail(err, CU_ERR_UNSUPPORTED, "ak",
		               "tpm: ak_public: an AK of type 0x%04x (curve 0x%04x) is not "
		               "supported (RSA, or ECC on P-256, P-384, P-521)",
		               e->akpub.type, e->akpub.parameters.eccDetail.curveID);
	if (pem) {
		_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));

		if (!bio || !(from_pem = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)))
			return BAD("ak_pubkey: not a PEM public key");
		if (e->ak && EVP_PKEY_eq(e->ak, from_pem) != 1)
			return cu_fail(err, CU_ERR_MISMATCH, "ak",
			               "tpm: ak_pubkey and ak_public are different keys");
		if (!e->ak)
			e->ak = from_pem, from_pem = NULL;
	}
	if (cert) {
		_cleanup_x509_stack_ STACK_OF(X509) *certs = NULL;
		_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
		_cleanup_free_ uint8_t *der = NULL;
		size_t der_size = 0;
		int n;

		n = cu_x509_parse_any((const uint8_t *)cert, strlen(cert), &certs, &crls, NULL);
		if (n <= 0 && cu_base64_decode(cert, strlen(cert), &der, &der_size) == 0)
			n = cu_x509_parse_any(der, der_size, &certs, &crls, NULL);
		if (n != 1 || sk_X509_num(certs) != 1)
			return BAD("ak_cert: not one X.509 certificate (PEM or base64 DER)");
		e->ak_cert = sk_X509_shift(certs);
		if (!e->ak) {
			if (!(e->ak = X509_get_pubkey(e->ak_cert)))
				return BAD("ak_cert: its public key does not load");
		} else if (EVP_PKEY_eq(e->ak, X509_get0_pubkey(e->ak_cert)) != 1) {
			return cu_fail(
			    err, CU_ERR_MISMATCH, "ak",
			    "tpm: the AK certificate certifies another key than the AK's");
		}
	}
	return 0;
}

static int evidence_parse(const uint8_t *buf, size_t size, struct tpm_evidence *e,
                          struct cu_error *err)
{
	static const char *const known[] = { "ak_pubkey", "ak_public",   "ak_cert",
		                             "ek_cert",   "ek_pubkey",   "quote",
		                             "eventlog",  "aa_eventlog", "keylime_agent_uuid" };
	const char *k;
	json_t *m;
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = cu_json_parse((const char *)buf, size, CU_LIMIT_EVIDENCE_SIZE, STAGE_PARSE,
	                       &e->root, err)) < 0)
		return r;
	if (!json_is_object(e->root))
		return BAD("the evidence is not a JSON object");
	json_object_foreach (e->root, k, m) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(k, known[i]); i++)
			;
		if (i == sizeof(known) / sizeof(known[0]))
			return BAD("unknown member \"%.32s\"", k);
	}
	/* what Custos does not check must not look checked */
	if (!json_is_null(json_object_get(e->root, "aa_eventlog") ?: json_null()))
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE_PARSE,
		               "tpm: aa_eventlog (the attestation agent's runtime log) is not "
		               "supported");
	if (!json_is_null(json_object_get(e->root, "keylime_agent_uuid") ?: json_null()))
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE_PARSE,
		               "tpm: keylime_agent_uuid (a Keylime registrar lookup) is not "
		               "supported");
	m = json_object_get(e->root, "quote");
	if (!json_is_object(m) || json_object_size(m) == 0 || json_object_size(m) > MAX_QUOTES)
		return BAD("quote: missing, or not an object of 1 to %d banks", MAX_QUOTES);
	{
		const char *key;
		json_t *v;

		json_object_foreach (m, key, v)
			if ((r = parse_quote(e, key, v, err)) < 0)
				return r;
	}
	if ((r = b64_member(e->root, "eventlog", false, &e->eventlog, &e->eventlog_size, err)) < 0)
		return r;
	return parse_ak(e, err);
}

static bool tpm_detect(const uint8_t *buf, size_t size)
{
	return cu_looks_like_json_object(buf, size) && memmem(buf, size, "\"attest_body\"", 13) &&
	       memmem(buf, size, "\"quote\"", 7);
}

/* -------------------------------------------------------------- claims */

static int set_hex(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	return cu_json_set_hex(o, k, p, n);
}

static json_t *ak_claims(const struct tpm_evidence *e)
{
	json_t *o = json_object();
	int k = 0;

	if (!o)
		return NULL;
	if (EVP_PKEY_is_a(e->ak, "RSA")) {
		k |= json_object_set_new(o, "type", json_string("rsa"));
		k |= json_object_set_new(o, "bits", json_integer(EVP_PKEY_get_bits(e->ak)));
	} else {
		char group[32] = "";
		size_t gn = 0;

		EVP_PKEY_get_utf8_string_param(e->ak, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                               sizeof(group), &gn);
		k |= json_object_set_new(o, "type", json_string("ecc"));
		k |= json_object_set_new(o, "curve",
		                         json_string(!strcmp(group, "prime256v1")  ? "P-256"
		                                     : !strcmp(group, "secp384r1") ? "P-384"
		                                     : !strcmp(group, "secp521r1") ? "P-521"
		                                                                   : group));
	}
	if (e->akpub_raw) {
		uint8_t name[2 + 64];
		const EVP_MD *md = cu_tpm_alg_md(e->akpub.nameAlg);
		unsigned int n = 0;
		char attrs[16];

		snprintf(attrs, sizeof(attrs), "0x%x", e->akpub.objectAttributes);
		k |= json_object_set_new(o, "attributes", json_string(attrs));
		/* the Name: nameAlg || H_nameAlg(TPMT_PUBLIC) */
		name[0] = (uint8_t)(e->akpub.nameAlg >> 8);
		name[1] = (uint8_t)e->akpub.nameAlg;
		if (md && EVP_Digest(e->akpub_raw, e->akpub_raw_size, name + 2, &n, md, NULL))
			k |= set_hex(o, "name", name, 2 + n);
	}
	return k ? (json_decref(o), NULL) : o;
}

static json_t *quote_claims(const struct tpm_quote *q)
{
	json_t *o = json_object();
	const TPMS_ATTEST *a = &q->a;
	char fw[24];
	int k = 0;

	if (!o)
		return NULL;
	snprintf(fw, sizeof(fw), "%016llx", (unsigned long long)a->firmwareVersion);
	k |= json_object_set_new(o, "clock", json_integer((json_int_t)a->clockInfo.clock));
	k |= json_object_set_new(o, "reset_count", json_integer(a->clockInfo.resetCount));
	k |= json_object_set_new(o, "restart_count", json_integer(a->clockInfo.restartCount));
	k |= json_object_set_new(o, "safe", json_boolean(a->clockInfo.safe));
	k |= json_object_set_new(o, "firmware_version", json_string(fw));
	k |= set_hex(o, "qualified_signer", a->qualifiedSigner.name, a->qualifiedSigner.size);
	k |= set_hex(o, "extra_data", a->extraData.buffer, a->extraData.size);
	return k ? (json_decref(o), NULL) : o;
}

/* ------------------------------------------------------------ checking */

static int check_signature(const struct tpm_evidence *e, const struct tpm_quote *q,
                           const struct cu_verify_opts *opts, const EVP_MD **ret_md,
                           struct cu_error *err)
{
	const TPMT_SIGNATURE *s = &q->s;
	uint16_t hash = s->signature.any.hashAlg;
	const EVP_MD *md = cu_tpm_alg_md(hash);
	bool rsa = EVP_PKEY_is_a(e->ak, "RSA");
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r;

	if (!md)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "quote-signature",
		               "tpm: quote %s: signature hash 0x%04x is not supported", q->key,
		               hash);
	if (hash == CU_TPM_ALG_SHA1 && !opts->insecure_allow_sha1)
		return cu_fail(
		    err, CU_ERR_UNSUPPORTED, "quote-signature",
		    "tpm: quote %s is signed with SHA-1, which is refused (collisions are "
		    "practical); accepting it is INSECURE (--insecure-allow-sha1)",
		    q->key);
	if (e->akpub_raw && e->akpub.parameters.asymDetail.scheme.scheme != TPM2_ALG_NULL &&
	    (e->akpub.parameters.asymDetail.scheme.scheme != s->sigAlg ||
	     e->akpub.parameters.asymDetail.scheme.details.anySig.hashAlg != hash))
		return cu_fail(err, CU_ERR_MISMATCH, "quote-signature",
		               "tpm: quote %s: signature scheme 0x%04x/0x%04x is not the AK's "
		               "0x%04x/0x%04x",
		               q->key, s->sigAlg, hash,
		               e->akpub.parameters.asymDetail.scheme.scheme,
		               e->akpub.parameters.asymDetail.scheme.details.anySig.hashAlg);
	*ret_md = md;
	if (s->sigAlg == TPM2_ALG_ECDSA) {
		const TPMS_SIGNATURE_ECC *ec = &s->signature.ecdsa;
		uint8_t rb[66] = { 0 }, sb[66] = { 0 };
		size_t n = (size_t)(EVP_PKEY_get_bits(e->ak) + 7) / 8;
		int nid = EVP_PKEY_get_bits(e->ak) == 256   ? NID_X9_62_prime256v1
		          : EVP_PKEY_get_bits(e->ak) == 384 ? NID_secp384r1
		                                            : NID_secp521r1;

		if (rsa || n > sizeof(rb) || ec->signatureR.size > n || ec->signatureS.size > n)
			return cu_fail(err, CU_ERR_MISMATCH, "quote-signature",
			               "tpm: quote %s: an ECDSA signature does not fit the AK",
			               q->key);
		memcpy(rb + n - ec->signatureR.size, ec->signatureR.buffer, ec->signatureR.size);
		memcpy(sb + n - ec->signatureS.size, ec->signatureS.buffer, ec->signatureS.size);
		r = cu_ecdsa_verify_raw_be(e->ak, nid, md, q->attest, q->attest_size, rb, sb, n,
		                           err);
	} else if (s->sigAlg == TPM2_ALG_RSASSA || s->sigAlg == TPM2_ALG_RSAPSS) {
		const TPM2B_PUBLIC_KEY_RSA *sig = &s->signature.rsassa.sig;

		if (!rsa)
			return cu_fail(err, CU_ERR_MISMATCH, "quote-signature",
			               "tpm: quote %s: an RSA signature, but the AK is not RSA",
			               q->key);
		if (EVP_PKEY_get_bits(e->ak) < 2048)
			return cu_fail(err, CU_ERR_UNSUPPORTED, "quote-signature",
			               "tpm: the AK has %d bits; at least 2048 are required",
			               EVP_PKEY_get_bits(e->ak));
		if (!(ctx = EVP_MD_CTX_new()) ||
		    EVP_DigestVerifyInit(ctx, &pctx, md, NULL, e->ak) != 1 ||
		    (s->sigAlg == TPM2_ALG_RSAPSS &&
		     (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
		      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)))
			return cu_fail(err, CU_ERR_INTERNAL, "quote-signature",
			               "tpm: cannot set up the signature check");
		r = EVP_DigestVerify(ctx, sig->buffer, sig->size, q->attest, q->attest_size) == 1
		        ? 0
		        : cu_fail(err, CU_ERR_SIGNATURE, "quote-signature",
		                  "signature does not verify");
	} else {
		return cu_fail(
		    err, CU_ERR_UNSUPPORTED, "quote-signature",
		    "tpm: quote %s: signature algorithm 0x%04x is not supported (RSASSA, "
		    "RSAPSS, ECDSA)",
		    q->key, s->sigAlg);
	}
	if (r < 0 && err && err->code == CU_ERR_SIGNATURE) {
		err->stage = "quote-signature";
		snprintf(err->message, sizeof(err->message),
		         "tpm: quote %s: the signature does not verify with the attestation key",
		         q->key);
	}
	return r;
}

/* The PCR value of index `i` for this quote's bank, from its "pcrs". */
static int pcr_value(const struct tpm_quote *q, unsigned i, size_t pos, uint8_t *out, size_t size,
                     struct cu_error *err)
{
	char key[8];
	const json_t *j;
	const char *s;

	snprintf(key, sizeof(key), "%u", i);
	j = json_is_array(q->pcrs) ? json_array_get(q->pcrs, pos) : json_object_get(q->pcrs, key);
	s = json_string_value(j);
	if (!s)
		return BAD("quote.%s.pcrs: no value for PCR %u", q->key, i);
	if (strlen(s) != 2 * size || cu_hex_decode(s, strlen(s), out, size) < 0)
		return BAD("quote.%s.pcrs: PCR %u is not %zu bytes of hex", q->key, i, size);
	return 0;
}

/* pcrDigest = H_sig(selected PCR values, bank by bank, each in ascending order). */
static int check_pcr_digest(const struct tpm_quote *q, const EVP_MD *md, json_t *bank_claims,
                            struct cu_error *err)
{
	const TPML_PCR_SELECTION *sel = &q->a.attested.quote.pcrSelect;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[EVP_MAX_MD_SIZE], v[64];
	unsigned dn = 0;
	size_t pos = 0, size = bank_size(q->bank);
	int r;

	if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, "pcr-digest", "tpm: digest failed");
	for (uint32_t b = 0; b < sel->count; b++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[b];

		if (s->hash != q->bank)
			return cu_fail(
			    err, CU_ERR_UNSUPPORTED, "pcr-digest",
			    "tpm: quote %s selects PCRs of bank 0x%04x; one bank per quote, "
			    "its own, is supported",
			    q->key, s->hash);
		for (unsigned i = 0; i < 8u * s->sizeofSelect; i++) {
			char name[8];

			if (!(s->pcrSelect[i / 8] & (1u << (i % 8))))
				continue;
			if (i >= 24)
				return cu_fail(err, CU_ERR_UNSUPPORTED, "pcr-digest",
				               "tpm: quote %s selects PCR %u (0 to 23 exist)",
				               q->key, i);
			if ((r = pcr_value(q, i, pos++, v, size, err)) < 0)
				return r;
			if (EVP_DigestUpdate(ctx, v, size) != 1)
				return cu_fail(err, CU_ERR_INTERNAL, "pcr-digest",
				               "tpm: digest failed");
			snprintf(name, sizeof(name), "pcr%u", i);
			if (set_hex(bank_claims, name, v, size) < 0)
				return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
		}
	}
	if (pos == 0)
		return cu_fail(err, CU_ERR_MALFORMED, "pcr-digest", "tpm: quote %s selects no PCR",
		               q->key);
	if (json_is_array(q->pcrs) && json_array_size(q->pcrs) != pos)
		return BAD("quote.%s.pcrs: %zu values for %zu selected PCRs", q->key,
		           json_array_size(q->pcrs), pos);
	if (EVP_DigestFinal_ex(ctx, d, &dn) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, "pcr-digest", "tpm: digest failed");
	if (q->a.attested.quote.pcrDigest.size != dn ||
	    CRYPTO_memcmp(q->a.attested.quote.pcrDigest.buffer, d, dn))
		return cu_fail(
		    err, CU_ERR_MISMATCH, "pcr-digest",
		    "tpm: quote %s: the PCR values given are not the ones the TPM quoted "
		    "(their digest differs from pcrDigest)",
		    q->key);
	return 0;
}

/*
 * What the collateral says about AKs, built once per change of collateral:
 * pinned AK public keys, CA roots (self-signed certificates, and INSECURE
 * test roots), candidate intermediates; and the AK certificates already
 * verified, with the window in which their chains hold.
 */
#define AK_CACHE 64

struct ak_entry {
	uint8_t id[32];    /* parse_ak's identity digest */
	EVP_PKEY *key;     /* warm: OpenSSL keeps its precomputation with the key */
	int64_t window[2]; /* when the trust holds (a certificate chain's validity) */
	char issuer[256];  /* the AK certificate's issuer, "" for a pinned key */
};

struct tpm_state {
	EVP_PKEY **keys;
	size_t n_keys;
	STACK_OF(X509) * roots;
	STACK_OF(X509) * untrusted;
	struct ak_entry aks[AK_CACHE];
	size_t n_aks, next;
};

static void tpm_state_free(void *state)
{
	struct tpm_state *st = state;

	if (!st)
		return;
	for (size_t i = 0; i < st->n_keys; i++)
		EVP_PKEY_free(st->keys[i]);
	for (size_t i = 0; i < st->n_aks; i++)
		EVP_PKEY_free(st->aks[i].key);
	free(st->keys);
	cu_x509_stack_freep(&st->roots);
	cu_x509_stack_freep(&st->untrusted);
	free(st);
}

static int push_ref(STACK_OF(X509) * sk, X509 *x)
{
	if (!X509_up_ref(x))
		return -1;
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		return -1;
	}
	return 0;
}

static int state_build(cu_verifier *v, void **ret, struct cu_error *err)
{
	struct tpm_state *st = calloc(1, sizeof(*st));
	json_t *docs = v->collateral->dcap_docs;
	int k = 0;

	if (!st || !(st->roots = sk_X509_new_null()) || !(st->untrusted = sk_X509_new_null()) ||
	    !(st->keys = calloc(json_array_size(docs) + 1, sizeof(*st->keys)))) {
		tpm_state_free(st);
		return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
	}
	for (size_t i = 0; i < json_array_size(docs); i++)
		if ((st->keys[st->n_keys] = cu_collateral_public_key(json_array_get(docs, i))))
			st->n_keys++;
	for (int i = 0; i < sk_X509_num(v->collateral->certs) && !k; i++) {
		X509 *x = sk_X509_value(v->collateral->certs, i);

		k = push_ref(X509_check_issued(x, x) == X509_V_OK ? st->roots : st->untrusted, x);
	}
	for (int i = 0; i < sk_X509_num(v->test_roots) && !k; i++)
		k = push_ref(st->roots, sk_X509_value(v->test_roots, i));
	if (k) {
		tpm_state_free(st);
		return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
	}
	*ret = st;
	return 0;
}

static int set_trust(json_t *ak, const char *how, const char *issuer, struct cu_error *err)
{
	if (json_object_set_new(ak, "trust", json_string(how)) < 0 ||
	    (issuer && json_object_set_new(ak, "certificate_issuer", json_string(issuer)) < 0))
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	return 0;
}

/* Remember a trusted AK (the verifier's lock is held). */
static void ak_remember(struct tpm_state *st, const struct tpm_evidence *e, int64_t nb, int64_t na,
                        const char *issuer)
{
	struct ak_entry *a;

	if (!EVP_PKEY_up_ref(e->ak))
		return;
	a = &st->aks[st->n_aks < AK_CACHE ? st->n_aks++ : st->next++ % AK_CACHE];
	EVP_PKEY_free(a->key);
	memcpy(a->id, e->ak_id, 32);
	a->key = e->ak;
	a->window[0] = nb;
	a->window[1] = na;
	snprintf(a->issuer, sizeof(a->issuer), "%s", issuer ? issuer : "");
}

/*
 * The AK's key, trusted as a key given as collateral or through its
 * certificate; an AK trusted before (the same members, within the window of
 * its chain) is taken from the cache without building or checking again.
 */
static int trusted_ak(cu_verifier *v, struct tpm_evidence *e, const struct cu_verify_opts *opts,
                      json_t **ret_ak, struct cu_error *err)
{
	struct tpm_state *st;
	struct cu_chain_opts o = { .at = opts->at, .max_depth = CU_LIMIT_CHAIN_LENGTH };
	struct cu_chain_result res = { 0 };
	char issuer[256] = "";
	json_t *ak;
	int r;

	if ((r = cu_verifier_state(v, CU_FORMAT_TPM, state_build, tpm_state_free, (void **)&st,
	                           err)) < 0)
		return r;
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < st->n_aks; i++) {
		struct ak_entry *a = &st->aks[i];

		if (!memcmp(a->id, e->ak_id, 32) && opts->at >= a->window[0] &&
		    opts->at < a->window[1] && EVP_PKEY_up_ref(a->key)) {
			e->ak = a->key;
			snprintf(issuer, sizeof(issuer), "%s", a->issuer);
			pthread_mutex_unlock(&v->lock);
			if (!(ak = ak_claims(e)))
				return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
			*ret_ak = ak;
			return set_trust(ak, issuer[0] ? "certificate" : "key",
			                 issuer[0] ? issuer : NULL, err);
		}
	}
	pthread_mutex_unlock(&v->lock);

	if ((r = build_ak(e, err)) < 0)
		return r;
	if (!(ak = ak_claims(e)))
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	*ret_ak = ak;
	for (size_t i = 0; i < st->n_keys; i++)
		if (EVP_PKEY_eq(st->keys[i], e->ak) == 1) {
			pthread_mutex_lock(&v->lock);
			ak_remember(st, e, INT64_MIN, INT64_MAX, NULL);
			pthread_mutex_unlock(&v->lock);
			return set_trust(ak, "key", NULL, err);
		}
	/* a key the caller registered (credential activation), by the AK's Name: asked each
	 * time, not remembered here, so that the caller's registry stays the authority */
	if (opts->registered_ak && json_is_string(json_object_get(ak, "name"))) {
		_cleanup_free_ char *pem = NULL;

		if (opts->registered_ak(opts->registered_ak_ctx,
		                        json_string_value(json_object_get(ak, "name")),
		                        &pem) == 0 &&
		    pem) {
			_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, -1);
			_cleanup_(EVP_PKEY_freep) EVP_PKEY *k =
			    bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

			if (k && EVP_PKEY_eq(k, e->ak) == 1)
				return set_trust(ak, "registered", NULL, err);
		}
	}
	if (!e->ak_cert)
		return cu_fail(
		    err, CU_ERR_NOT_FOUND, "ak-trust",
		    "tpm: the attestation key is not trusted: the evidence has no AK "
		    "certificate and the collateral has no such key (give the AK's public "
		    "key, PEM, or the CA that certifies AKs, with --collateral)");
	if (sk_X509_num(st->roots) == 0)
		return cu_fail(err, CU_ERR_NOT_FOUND, "ak-trust",
		               "tpm: the AK certificate cannot be checked: no CA root in the "
		               "collateral (give the root that issues AK certificates with "
		               "--collateral)");
	o.roots = st->roots;
	o.untrusted = st->untrusted;
	if ((r = cu_x509_verify_chain(e->ak_cert, &o, &res, err)) < 0) {
		if (err)
			err->stage = "ak-trust";
		return r;
	}
	cu_x509_name_rfc2253(X509_get_issuer_name(e->ak_cert), issuer, sizeof(issuer));
	pthread_mutex_lock(&v->lock);
	ak_remember(st, e, res.not_before, res.not_after, issuer);
	pthread_mutex_unlock(&v->lock);
	cu_chain_result_done(&res);
	return set_trust(ak, "certificate", issuer, err);
}

static int check_attest(const struct tpm_quote *q, const struct tpm_quote *first,
                        const struct cu_verify_opts *opts, struct cu_error *err)
{
	const TPM2B_DATA *x = &q->a.extraData;
	uint8_t rd[64] = { 0 }, want[64] = { 0 };
	char got[17] = "", want_hex[17] = "";

	if (q->a.magic != TPM2_GENERATED_VALUE)
		return cu_fail(
		    err, CU_ERR_MALFORMED, "quote",
		    "tpm: quote %s: magic 0x%08x is not TPM_GENERATED_VALUE: the TPM did "
		    "not produce these bytes",
		    q->key, q->a.magic);
	if (q->a.type != TPM2_ST_ATTEST_QUOTE)
		return cu_fail(err, CU_ERR_MALFORMED, "quote",
		               "tpm: quote %s: type 0x%04x is not TPM_ST_ATTEST_QUOTE", q->key,
		               q->a.type);
	if (q != first && (x->size != first->a.extraData.size ||
	                   memcmp(x->buffer, first->a.extraData.buffer, x->size)))
		return cu_fail(err, CU_ERR_BINDING, "binding",
		               "tpm: quotes %s and %s carry different qualifying data", first->key,
		               q->key);
	if (!opts->report_data)
		return 0;
	/* both zero-padded to 64 bytes, as for every TEE (cu_check_report_data) */
	_Static_assert(sizeof(x->buffer) <= sizeof(rd), "TPM2B_DATA larger than 64 bytes");
	memcpy(rd, x->buffer, x->size);
	if (opts->report_data_size <= sizeof(rd)) {
		memcpy(want, opts->report_data, opts->report_data_size);
		if (!CRYPTO_memcmp(rd, want, sizeof(rd)))
			return 0;
	}
	cu_hex_encode(x->buffer, x->size < 8 ? x->size : 8, got);
	cu_hex_encode(opts->report_data, opts->report_data_size < 8 ? opts->report_data_size : 8,
	              want_hex);
	return cu_fail(err, CU_ERR_BINDING, "binding",
	               "tpm: quote %s: qualifying data (extraData, %u bytes) %s... does not equal "
	               "the expected %zu bytes %s...",
	               q->key, x->size, got, opts->report_data_size, want_hex);
}

/*
 * The event log replays, bank by bank, to every quoted PCR it extends. PCRs the
 * log does not extend (e.g. PCR 10, which IMA extends from its own log) are
 * reported as not covered; event claims come from the replayed log.
 */
static int check_eventlog(const struct tpm_evidence *e, const uint8_t *buf, size_t size,
                          json_t *tpm, struct cu_error *err)
{
	struct cu_evlog log;
	json_t *out = json_object(), *claims = NULL;
	int r;

	if (!out)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	if ((r = cu_evlog_parse(buf, size, &log, err)) < 0) {
		json_decref(out);
		return r;
	}
	for (size_t i = 0; i < e->n && r == 0; i++) {
		const struct tpm_quote *q = &e->q[i];
		json_t *bank = json_object_get(tpm, bank_name(q->bank));
		json_t *match = json_array(), *uncovered = json_array(), *b = json_object();
		uint8_t pcrs[24][64];
		bool extended[24] = { false };
		int bi = cu_evlog_bank(&log, q->bank);

		if (!match || !uncovered || !b || json_object_set_new(b, "replayed", match) < 0 ||
		    json_object_set_new(b, "not_in_log", uncovered) < 0 ||
		    json_object_set_new(out, bank_name(q->bank), b) < 0) {
			r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
			break;
		}
		if (bi < 0)
			continue; /* the log has no such bank: nothing to compare */
		if ((r = cu_evlog_replay_pcrs(&log, q->bank, pcrs, err)) < 0)
			break;
		for (size_t k = 0; k < log.n_events; k++)
			if (log.events[k].type != CU_EV_NO_ACTION && log.events[k].index < 24 &&
			    log.events[k].digest[bi])
				extended[log.events[k].index] = true;
		for (unsigned p = 0; p < 24 && r == 0; p++) {
			char name[8], hex[129];
			const char *quoted;

			snprintf(name, sizeof(name), "pcr%u", p);
			if (!(quoted = json_string_value(json_object_get(bank, name))))
				continue;
			cu_hex_encode(pcrs[p], log.digest_size[bi], hex);
			if (extended[p] && strcmp(hex, quoted))
				r = cu_fail(
				    err, CU_ERR_MISMATCH, "eventlog",
				    "tpm: the event log replays %s PCR %u to %.16s..., the TPM "
				    "quoted %.16s...",
				    bank_name(q->bank), p, hex, quoted);
			else if (json_array_append_new(extended[p] ? match : uncovered,
			                               json_integer(p)) < 0)
				r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
		}
	}
	if (r == 0) {
		uint16_t best = 0;

		/* event claims from the strongest bank both the log and a quote have */
		for (size_t i = 0; i < e->n; i++)
			if (cu_evlog_bank(&log, e->q[i].bank) >= 0 &&
			    bank_size(e->q[i].bank) > bank_size(best))
				best = e->q[i].bank;
		claims = best ? cu_evlog_claims(&log, best) : NULL;
		if (claims)
			r = json_object_update(out, claims);
		json_decref(claims);
		if (r == 0 && json_object_set_new(tpm, "eventlog", out) == 0)
			out = NULL;
		else
			r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	json_decref(out);
	cu_evlog_done(&log);
	return r;
}

static int tpm_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                      const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	struct tpm_evidence e;
	json_t *c = json_object(), *tpm = json_object(), *ak = NULL;
	int r;

	if (!c || !tpm || json_object_set_new(c, "tpm", tpm) < 0) {
		if (!c)
			json_decref(tpm); /* json_object_set_new took it otherwise */
		json_decref(c);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	if ((r = evidence_parse(buf, size, &e, err)) < 0)
		goto out;
	if (e.eventlog && opts->eventlog) {
		r = cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		            "tpm: two event logs: one in the evidence and one given beside it");
		goto out;
	}
	/* the AK must be a restricted signing key, or TPM_GENERATED proves nothing */
	if (e.akpub_raw &&
	    (e.akpub.objectAttributes &
	     (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM)) !=
	        (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM)) {
		r = cu_fail(
		    err, CU_ERR_UNSUPPORTED, "ak",
		    "tpm: the AK (attributes 0x%x) is not a restricted signing key fixed to "
		    "its TPM: it could sign anything, so its quotes prove nothing",
		    e.akpub.objectAttributes);
		goto out;
	}
	r = trusted_ak(v, &e, opts, &ak, err);
	if (ak && json_object_set_new(tpm, "ak", ak) < 0 && r == 0)
		r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	if (r < 0)
		goto out;
	for (size_t i = 0; i < e.n; i++) {
		const struct tpm_quote *q = &e.q[i];
		json_t *bank = json_object();
		const EVP_MD *md = NULL;

		if (!bank || json_object_set_new(tpm, bank_name(q->bank), bank) < 0) {
			r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
			goto out;
		}
		if ((r = check_signature(&e, q, opts, &md, err)) < 0 ||
		    (r = check_attest(q, &e.q[0], opts, err)) < 0 ||
		    (r = check_pcr_digest(q, md, bank, err)) < 0)
			goto out;
	}
	if (e.eventlog || opts->eventlog) {
		if ((r = check_eventlog(&e, e.eventlog ?: opts->eventlog,
		                        e.eventlog ? e.eventlog_size : opts->eventlog_size, tpm,
		                        err)) < 0)
			goto out;
	}
	{
		json_t *qc = quote_claims(&e.q[0]);

		if (!qc || json_object_set_new(tpm, "quote", qc) < 0 ||
		    json_object_set_new(c, "tee", json_string("tpm")) < 0 ||
		    set_hex(c, "report_data", e.q[0].a.extraData.buffer, e.q[0].a.extraData.size) <
		        0 ||
		    json_object_set_new(c, "verified", json_true()) < 0) {
			r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
			goto out;
		}
	}
	*ret = c;
	c = NULL;
out:
	evidence_done(&e);
	json_decref(c);
	return r < 0 ? r : 0;
}

/* A public key as PEM (malloc'ed). */
static int pem_of(EVP_PKEY *k, char **ret)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	if (!bio || PEM_write_bio_PUBKEY(bio, k) != 1 || (n = BIO_get_mem_data(bio, &p)) <= 0 ||
	    !(*ret = strndup(p, (size_t)n)))
		return -1;
	return 0;
}

/* The AK as PEM: what an operator pins, with --collateral, to trust it. */
static int set_pem(json_t *o, EVP_PKEY *k)
{
	char *pem = NULL;
	int r;

	if (pem_of(k, &pem) < 0)
		return -1;
	r = json_object_set_new(o, "pem", json_string(pem));
	free(pem);
	return r;
}

/*
 * One quote by a key trusted by other means (the Azure HCL report's AK): the
 * signature, magic and type, the binding, the PCR digest; claims into `tpm`
 * as for TPM evidence (tpm.quote, tpm.<bank>.pcrN).
 */
int cu_tpm_check_quote(EVP_PKEY *ak, const uint8_t *attest, size_t attest_size,
                       const TPMT_SIGNATURE *sig, uint16_t bank, const json_t *pcrs,
                       const struct cu_verify_opts *opts, json_t *tpm, struct cu_error *err)
{
	struct tpm_evidence e = { .ak = ak };
	struct tpm_quote q = { .bank = bank, .key = bank_name(bank), .s = *sig, .pcrs = pcrs };
	json_t *bc = json_object(), *qc;
	const EVP_MD *md = NULL;
	int r;

	cu_tpm_quiet_tss2();
	if (!bc || !q.key || json_object_set_new(tpm, q.key, bc) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	q.attest = (uint8_t *)attest;
	q.attest_size = attest_size;
	if (!UNMARSHAL(Tss2_MU_TPMS_ATTEST_Unmarshal, attest, attest_size, &q.a))
		return BAD("the quote is not a TPMS_ATTEST (%zu bytes)", attest_size);
	if (!json_is_array(pcrs) && !json_is_object(pcrs))
		return BAD("the quote's PCR values are neither a list nor an object");
	if ((r = check_signature(&e, &q, opts, &md, err)) < 0 ||
	    (r = check_attest(&q, &q, opts, err)) < 0 ||
	    (r = check_pcr_digest(&q, md, bc, err)) < 0)
		return r;
	if (!(qc = quote_claims(&q)) || json_object_set_new(tpm, "quote", qc) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	return 0;
}

static int tpm_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	struct tpm_evidence e;
	json_t *c = json_object(), *tpm = json_object(), *ak;
	int r;

	cu_tpm_quiet_tss2();
	if (!c || !tpm || json_object_set_new(c, "tpm", tpm) < 0) {
		if (!c)
			json_decref(tpm); /* json_object_set_new took it otherwise */
		json_decref(c);
		return cu_fail(err, CU_ERR_NOMEM, "inspect", "out of memory");
	}
	if ((r = evidence_parse(buf, size, &e, err)) < 0) {
		evidence_done(&e);
		json_decref(c);
		return r;
	}
	if ((r = build_ak(&e, err)) < 0) {
		evidence_done(&e);
		json_decref(c);
		return r;
	}
	r = !(ak = ak_claims(&e)) || json_object_set_new(tpm, "ak", ak) < 0 ||
	    set_pem(ak, e.ak) < 0;
	for (size_t i = 0; i < e.n && !r; i++) {
		json_t *q = quote_claims(&e.q[i]);
		char key[32];

		snprintf(key, sizeof(key), "quote_%s", bank_name(e.q[i].bank));
		r = !q || json_object_set_new(tpm, key, q) < 0 ||
		    set_hex(q, "pcr_digest", e.q[i].a.attested.quote.pcrDigest.buffer,
		            e.q[i].a.attested.quote.pcrDigest.size) < 0 ||
		    json_object_set(q, "pcrs", (json_t *)e.q[i].pcrs) < 0;
	}
	r = r || json_object_set_new(c, "tee", json_string("tpm")) < 0 ||
	    json_object_set_new(c, "verified", json_false()) < 0;
	evidence_done(&e);
	if (r) {
		json_decref(c);
		return cu_fail(err, CU_ERR_NOMEM, "inspect", "out of memory");
	}
	*ret = c;
	return 0;
}

void cu_tpm_strip_tpm2b(const uint8_t **p, size_t *n)
{
	if (*n > 2 && (size_t)(((*p)[0] << 8) | (*p)[1]) == *n - 2) {
		*p += 2;
		*n -= 2;
	}
}

int cu_tpm_ak_for_registration(const uint8_t *tpmt, size_t size, char name_hex[2 * 66 + 1],
                               char **ret_pem, struct cu_error *err)
{
	struct tpm_evidence e = { 0 };
	uint8_t name[66];
	size_t nn = 0;
	int r;

	cu_tpm_quiet_tss2();
	cu_tpm_strip_tpm2b(&tpmt, &size);
	if (!UNMARSHAL(Tss2_MU_TPMT_PUBLIC_Unmarshal, tpmt, size, &e.akpub))
		return cu_fail(err, CU_ERR_MALFORMED, "ak", "tpm: ak_public is not a TPMT_PUBLIC");
	if ((e.akpub.objectAttributes &
	     (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM)) !=
	    (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM))
		return cu_fail(
		    err, CU_ERR_UNSUPPORTED, "ak",
		    "tpm: the AK (attributes 0x%x) is not a restricted signing key fixed "
		    "to its TPM",
		    e.akpub.objectAttributes);
	if (!(e.ak = key_from_public(&e.akpub)))
		return cu_fail(err, CU_ERR_UNSUPPORTED, "ak",
		               "tpm: this kind of AK is not supported");
	r = cu_tpm_public_name(tpmt, size, name, &nn, err);
	if (r == 0) {
		cu_hex_encode(name, nn, name_hex);
		r = pem_of(e.ak, ret_pem) < 0 ? cu_fail(err, CU_ERR_NOMEM, "ak", "out of memory")
		                              : 0;
	}
	EVP_PKEY_free(e.ak);
	return r;
}

int cu_tpm_check_ek(cu_verifier *v, const uint8_t *ek_tpmt, size_t ek_size, const uint8_t *cert,
                    size_t cert_size, int64_t at, char *desc, size_t desc_size,
                    struct cu_error *err)
{
	struct tpm_state *st;
	struct cu_chain_opts o = { .at = at, .max_depth = CU_LIMIT_CHAIN_LENGTH };
	struct cu_chain_result res = { 0 };
	TPMT_PUBLIC ek;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(X509_freep) X509 *x = NULL;
	const uint8_t *p = cert;
	char subject[256], issuer[256];
	int r;

	cu_tpm_quiet_tss2();
	cu_tpm_strip_tpm2b(&ek_tpmt, &ek_size);
	if (!UNMARSHAL(Tss2_MU_TPMT_PUBLIC_Unmarshal, ek_tpmt, ek_size, &ek) ||
	    !(key = key_from_public(&ek)))
		return cu_fail(err, CU_ERR_MALFORMED, "ek",
		               "tpm: ek_public is not a TPMT_PUBLIC of a supported key");
	if (!(x = d2i_X509(NULL, &p, (long)cert_size)) || p != cert + cert_size)
		return cu_fail(err, CU_ERR_MALFORMED, "ek",
		               "tpm: ek_cert is not one DER certificate");
	if (EVP_PKEY_eq(key, X509_get0_pubkey(x)) != 1)
		return cu_fail(err, CU_ERR_MISMATCH, "ek",
		               "tpm: the EK certificate certifies another key than ek_public");
	if ((r = cu_verifier_state(v, CU_FORMAT_TPM, state_build, tpm_state_free, (void **)&st,
	                           err)) < 0)
		return r;
	if (sk_X509_num(st->roots) == 0)
		return cu_fail(
		    err, CU_ERR_NOT_FOUND, "ek",
		    "tpm: no TPM root in the collateral to check the EK certificate with "
		    "(the manufacturer's root CA)");
	o.roots = st->roots;
	o.untrusted = st->untrusted;
	if ((r = cu_x509_verify_chain(x, &o, &res, err)) < 0) {
		if (err)
			err->stage = "ek";
		return r;
	}
	cu_chain_result_done(&res);
	cu_x509_name_rfc2253(X509_get_subject_name(x), subject, sizeof(subject));
	cu_x509_name_rfc2253(X509_get_issuer_name(x), issuer, sizeof(issuer));
	snprintf(desc, desc_size, "subject %s, issuer %s", subject[0] ? subject : "(empty)",
	         issuer);
	return 0;
}

const struct cu_evidence_ops cu_tpm_ops = {
	.name = "tpm",
	.tee = "tpm",
	.detect = tpm_detect,
	.inspect = tpm_inspect,
	.verify = tpm_verify,
	.state_free = tpm_state_free,
};
