/* SPDX-License-Identifier: Apache-2.0 */
/* Synthetic AMD SEV-SNP PKI and reports for the tests (see snp-builder.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "test-util.h"
#include "snp-builder.h"

#define AMD_OID "1.3.6.1.4.1.3704.1."

static void ossl_fail(const char *what)
{
	char buf[256] = "";

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	fail_msg("snp-builder: %s failed: %s", what, buf);
}

#define OK(expr)                                                                                   \
	do {                                                                                       \
		if (!(expr))                                                                       \
			ossl_fail(#expr);                                                          \
	} while (0)

static const char *product_str(enum cu_snp_product p)
{
	switch (p) {
	case CU_SNP_PRODUCT_GENOA:
		return "Genoa";
	case CU_SNP_PRODUCT_TURIN:
		return "Turin";
	default:
		return "Milan";
	}
}

/* ------------------------------------------------------------------ keys */

EVP_PKEY *sb_key_p384_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");

	OK(k);
	return k;
}

EVP_PKEY *sb_key_rsa_new(void)
{
	/* RSA 2048 for speed; AMD's keys are 4096 bits. */
	EVP_PKEY *k = EVP_RSA_gen(2048);

	OK(k);
	return k;
}

/* ----------------------------------------------------------- signatures */

/* An EVP_MD_CTX set up for RSASSA-PSS, SHA-384, MGF1 SHA-384, salt 48. */
static EVP_MD_CTX *pss_ctx(EVP_PKEY *key)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	OK(m);
	OK(EVP_DigestSignInit(m, &pctx, EVP_sha384(), NULL, key) == 1);
	OK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
	OK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) > 0);
	OK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) > 0);
	return m;
}

/* ---------------------------------------------------------- certificates */

static long next_serial = 0x1000;

static void add_ext_nid(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	OK(e);
	OK(X509_add_ext(x, e, -1) == 1);
	X509_EXTENSION_free(e);
}

/* An AMD extension: extnValue = `der` exactly (no extra wrapping). */
static void add_ext_raw(X509 *x, const char *oid, const uint8_t *der, size_t size)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	OK(obj && os);
	OK(ASN1_OCTET_STRING_set(os, der, (int)size) == 1);
	e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	OK(e);
	OK(X509_add_ext(x, e, -1) == 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

/* DER INTEGER 0..255: 02 01 xx, or 02 02 00 xx from 128 on. */
static void add_ext_int(X509 *x, const char *oid, unsigned v)
{
	uint8_t der[4] = { 0x02, 0x01, (uint8_t)v };

	if (v >= 0x80) {
		der[1] = 0x02;
		der[2] = 0x00;
		der[3] = (uint8_t)v;
		add_ext_raw(x, oid, der, 4);
	} else {
		add_ext_raw(x, oid, der, 3);
	}
}

/* DER IA5String. */
static void add_ext_ia5(X509 *x, const char *oid, const char *s)
{
	size_t n = strlen(s);
	uint8_t der[130];

	assert_true(n < 128);
	der[0] = 0x16;
	der[1] = (uint8_t)n;
	memcpy(der + 2, s, n);
	add_ext_raw(x, oid, der, n + 2);
}

static void set_time(ASN1_TIME *t, time_t when)
{
	OK(ASN1_TIME_set(t, when));
}

X509 *sb_cert_new(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key,
                  time_t not_before, time_t not_after, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	EVP_MD_CTX *m;

	OK(x && name);
	OK(X509_set_version(x, X509_VERSION_3) == 1);
	OK(ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++) == 1);
	OK(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Custos Test",
	                              -1, -1, 0) == 1);
	OK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
	                              0) == 1);
	OK(X509_set_subject_name(x, name) == 1);
	OK(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1);
	X509_NAME_free(name);
	set_time(X509_getm_notBefore(x), not_before ? not_before : SB_DEFAULT_NOT_BEFORE);
	set_time(X509_getm_notAfter(x), not_after ? not_after : SB_DEFAULT_NOT_AFTER);
	OK(X509_set_pubkey(x, pub) == 1);

	add_ext_nid(x, issuer, NID_subject_key_identifier, "hash");
	add_ext_nid(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (ca) {
		add_ext_nid(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext_nid(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	}

	m = pss_ctx(issuer_key);
	OK(X509_sign_ctx(x, m) > 0);
	EVP_MD_CTX_free(m);
	return x;
}

struct sb_tcb sb_default_tcb(enum cu_snp_product p)
{
	struct sb_tcb t = { .bootloader = 4, .tee = 1, .snp = 22, .microcode = 213 };

	if (p == CU_SNP_PRODUCT_TURIN)
		t.fmc = 3;
	return t;
}

uint64_t sb_tcb_encode(enum cu_snp_product p, const struct sb_tcb *t)
{
	if (p == CU_SNP_PRODUCT_TURIN)
		return (uint64_t)t->fmc | (uint64_t)t->bootloader << 8 | (uint64_t)t->tee << 16 |
		       (uint64_t)t->snp << 24 | (uint64_t)t->microcode << 56;
	return (uint64_t)t->bootloader | (uint64_t)t->tee << 8 | (uint64_t)t->snp << 48 |
	       (uint64_t)t->microcode << 56;
}

static void default_hwid(enum cu_snp_product p, uint8_t hwid[64], size_t *ret_size)
{
	memset(hwid, 0, 64);
	*ret_size = p == CU_SNP_PRODUCT_TURIN ? 8 : 64;
	for (size_t i = 0; i < *ret_size; i++)
		hwid[i] = (uint8_t)(0xC0 + i * 7);
}

static X509 *vek_build(enum cu_snp_product p, bool is_vlek, const struct sb_vek_opts *o,
                       X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key)
{
	struct sb_tcb tcb = o->set_tcb ? o->tcb : sb_default_tcb(p);
	bool turin = p == CU_SNP_PRODUCT_TURIN;
	const char *cn = o->cn ? o->cn : is_vlek ? "SEV-VLEK" : "SEV-VCEK";
	char pname[32];
	uint8_t hwid[64];
	size_t hwid_size;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	EVP_MD_CTX *m;

	if (o->product_name)
		snprintf(pname, sizeof(pname), "%s", o->product_name);
	else
		snprintf(pname, sizeof(pname), is_vlek ? "%s" : "%s-B0", product_str(p));
	if (o->set_hwid) {
		memcpy(hwid, o->hwid, sizeof(hwid));
		hwid_size = o->hwid_size;
	} else if (is_vlek) {
		hwid_size = 0;
	} else {
		default_hwid(p, hwid, &hwid_size);
	}

	OK(x && name);
	OK(X509_set_version(x, X509_VERSION_3) == 1);
	OK(ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++) == 1);
	OK(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Custos Test",
	                              -1, -1, 0) == 1);
	OK(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
	                              0) == 1);
	OK(X509_set_subject_name(x, name) == 1);
	OK(X509_set_issuer_name(x, X509_get_subject_name(issuer)) == 1);
	X509_NAME_free(name);
	set_time(X509_getm_notBefore(x), o->not_before ? o->not_before : SB_DEFAULT_NOT_BEFORE);
	set_time(X509_getm_notAfter(x), o->not_after ? o->not_after : SB_DEFAULT_NOT_AFTER);
	OK(X509_set_pubkey(x, key) == 1);
	/* Names the issuing key, so that chain building never picks a namesake. */
	add_ext_nid(x, issuer, NID_authority_key_identifier, "keyid:always");

	/* VCEK specification 57230, Table 8: extensions in AMD's order */
	add_ext_int(x, AMD_OID "1", turin ? 1 : 0);
	add_ext_ia5(x, AMD_OID "2", pname);
	add_ext_int(x, AMD_OID "3.1", tcb.bootloader);
	add_ext_int(x, AMD_OID "3.2", tcb.tee);
	add_ext_int(x, AMD_OID "3.3", tcb.snp);
	if (!turin)
		add_ext_int(x, AMD_OID "3.4", 0);
	add_ext_int(x, AMD_OID "3.5", 0);
	add_ext_int(x, AMD_OID "3.6", 0);
	add_ext_int(x, AMD_OID "3.7", 0);
	add_ext_int(x, AMD_OID "3.8", tcb.microcode);
	if (turin)
		add_ext_int(x, AMD_OID "3.9", tcb.fmc);
	if (hwid_size > 0) {
		if (o->hwid_der) {
			uint8_t der[66];

			der[0] = 0x04;
			der[1] = (uint8_t)hwid_size;
			memcpy(der + 2, hwid, hwid_size);
			add_ext_raw(x, AMD_OID "4", der, hwid_size + 2);
		} else {
			add_ext_raw(x, AMD_OID "4", hwid, hwid_size);
		}
	}
	if (is_vlek)
		add_ext_ia5(x, AMD_OID "5", o->csp_id ? o->csp_id : "Custos Test Cloud");

	m = pss_ctx(issuer_key);
	OK(X509_sign_ctx(x, m) > 0);
	EVP_MD_CTX_free(m);
	return x;
}

X509 *sb_vek_new(const struct sb_pki *pki, bool is_vlek, const struct sb_vek_opts *opts,
                 EVP_PKEY **ret_key)
{
	static const struct sb_vek_opts none = { 0 };
	const struct sb_vek_opts *o = opts ? opts : &none;
	enum sb_issuer who = o->issuer ? o->issuer : is_vlek ? SB_ISSUER_ASVK : SB_ISSUER_ASK;
	X509 *issuer = who == SB_ISSUER_ASK    ? pki->ask
	               : who == SB_ISSUER_ASVK ? pki->asvk
	                                       : pki->ark;
	EVP_PKEY *ikey = who == SB_ISSUER_ASK    ? pki->ask_key
	                 : who == SB_ISSUER_ASVK ? pki->asvk_key
	                                         : pki->ark_key;
	EVP_PKEY *key = sb_key_p384_new();
	X509 *x = vek_build(pki->product, is_vlek, o, issuer, ikey, key);

	if (ret_key)
		*ret_key = key;
	else
		EVP_PKEY_free(key);
	return x;
}

void sb_pki_init(struct sb_pki *pki, const struct sb_pki_opts *opts)
{
	static const struct sb_pki_opts none = { 0 };
	const struct sb_pki_opts *o = opts ? opts : &none;
	enum cu_snp_product p = o->product ? o->product : CU_SNP_PRODUCT_MILAN;
	char ark_cn[64], ask_cn[64], asvk_cn[64];

	memset(pki, 0, sizeof(*pki));
	pki->product = p;
	snprintf(ark_cn, sizeof(ark_cn), "%s", o->ark.cn ? o->ark.cn : "");
	if (!o->ark.cn)
		snprintf(ark_cn, sizeof(ark_cn), "ARK-%s", product_str(p));
	snprintf(ask_cn, sizeof(ask_cn), "%s", o->ask.cn ? o->ask.cn : "");
	if (!o->ask.cn)
		snprintf(ask_cn, sizeof(ask_cn), "SEV-%s", product_str(p));
	snprintf(asvk_cn, sizeof(asvk_cn), "%s", o->asvk.cn ? o->asvk.cn : "");
	if (!o->asvk.cn)
		snprintf(asvk_cn, sizeof(asvk_cn), "SEV-VLEK-%s", product_str(p));

	pki->ark_key = sb_key_rsa_new();
	pki->ask_key = sb_key_rsa_new();
	pki->asvk_key = sb_key_rsa_new();
	pki->ark = sb_cert_new(ark_cn, pki->ark_key, NULL, pki->ark_key, o->ark.not_before,
	                       o->ark.not_after, true);
	pki->ask = sb_cert_new(ask_cn, pki->ask_key, pki->ark, pki->ark_key, o->ask.not_before,
	                       o->ask.not_after, true);
	pki->asvk = sb_cert_new(asvk_cn, pki->asvk_key, pki->ark, pki->ark_key, o->asvk.not_before,
	                        o->asvk.not_after, true);

	pki->tcb = o->vcek.set_tcb ? o->vcek.tcb : sb_default_tcb(p);
	if (o->vcek.set_hwid) {
		memcpy(pki->hwid, o->vcek.hwid, sizeof(pki->hwid));
		pki->hwid_size = o->vcek.hwid_size;
	} else {
		default_hwid(p, pki->hwid, &pki->hwid_size);
	}
	pki->vcek = sb_vek_new(pki, false, &o->vcek, &pki->vcek_key);
	pki->vlek = sb_vek_new(pki, true, &o->vlek, &pki->vlek_key);
}

void sb_pki_done(struct sb_pki *pki)
{
	EVP_PKEY_free(pki->ark_key);
	EVP_PKEY_free(pki->ask_key);
	EVP_PKEY_free(pki->asvk_key);
	EVP_PKEY_free(pki->vcek_key);
	EVP_PKEY_free(pki->vlek_key);
	X509_free(pki->ark);
	X509_free(pki->ask);
	X509_free(pki->asvk);
	X509_free(pki->vcek);
	X509_free(pki->vlek);
	memset(pki, 0, sizeof(*pki));
}

/* ----------------------------------------------------------- encodings */

/* A malloc'd copy of OpenSSL-allocated DER of n bytes; frees der. */
static uint8_t *der_copy(unsigned char *der, int n, size_t *ret_size)
{
	uint8_t *out;

	OK(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*ret_size = (size_t)n;
	return out;
}

uint8_t *sb_cert_der(X509 *x, size_t *ret_size)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	return der_copy(der, n, ret_size);
}

char *sb_cert_pem(X509 *x, size_t *ret_size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	char *out;

	OK(bio);
	OK(PEM_write_bio_X509(bio, x) == 1);
	n = BIO_get_mem_data(bio, &data);
	OK(n > 0);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	*ret_size = (size_t)n;
	return out;
}

uint8_t *sb_crl_der(X509_CRL *crl, size_t *ret_size)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(crl, &der);

	return der_copy(der, n, ret_size);
}

void sb_cert_sha256(X509 *x, uint8_t out[32])
{
	unsigned len = 0;

	OK(X509_digest(x, EVP_sha256(), out, &len) == 1 && len == 32);
}

X509_CRL *sb_crl_new(const struct sb_pki *pki, X509 *revoked, time_t last_update,
                     time_t next_update)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	EVP_MD_CTX *m;

	OK(crl && t);
	OK(X509_CRL_set_version(crl, 1) == 1); /* v2 */
	OK(X509_CRL_set_issuer_name(crl, X509_get_subject_name(pki->ark)) == 1);
	set_time(t, last_update);
	OK(X509_CRL_set1_lastUpdate(crl, t) == 1);
	set_time(t, next_update);
	OK(X509_CRL_set1_nextUpdate(crl, t) == 1);
	if (revoked) {
		X509_REVOKED *rev = X509_REVOKED_new();

		OK(rev);
		OK(X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(revoked)) == 1);
		set_time(t, last_update);
		OK(X509_REVOKED_set_revocationDate(rev, t) == 1);
		OK(X509_CRL_add0_revoked(crl, rev) == 1);
	}
	ASN1_TIME_free(t);
	OK(X509_CRL_sort(crl) == 1);
	m = pss_ctx(pki->ark_key);
	OK(X509_CRL_sign_ctx(crl, m) > 0);
	EVP_MD_CTX_free(m);
	return crl;
}

/* ---------------------------------------------------------- verifiers */

void sb_add_cert(cu_verifier *v, X509 *x)
{
	struct cu_error err = { 0 };
	size_t size;
	uint8_t *der = sb_cert_der(x, &size);
	int r = cu_verifier_add_collateral_mem(v, der, size, "test-cert", &err);

	free(der);
	if (r != 1)
		fail_msg("add_collateral_mem: %d %s", r, err.message);
}

void sb_add_crl(cu_verifier *v, X509_CRL *crl)
{
	struct cu_error err = { 0 };
	size_t size;
	uint8_t *der = sb_crl_der(crl, &size);
	int r = cu_verifier_add_collateral_mem(v, der, size, "test-crl", &err);

	free(der);
	if (r != 1)
		fail_msg("add_collateral_mem (CRL): %d %s", r, err.message);
}

void sb_pki_add_root(const struct sb_pki *pki, cu_verifier *v)
{
	struct cu_error err = { 0 };
	size_t size;
	uint8_t *der = sb_cert_der(pki->ark, &size);
	int r = cu_verifier_add_test_root_INSECURE(v, der, size, &err);

	free(der);
	if (r != 0)
		fail_msg("add_test_root_INSECURE: %d %s", r, err.message);
}

void sb_pki_add_collateral(const struct sb_pki *pki, cu_verifier *v)
{
	sb_add_cert(v, pki->ask);
	sb_add_cert(v, pki->asvk);
	sb_add_cert(v, pki->vcek);
	sb_add_cert(v, pki->vlek);
}

cu_verifier *sb_verifier_new(const struct sb_pki *pki)
{
	struct cu_error err = { 0 };
	cu_verifier *v = NULL;

	if (cu_verifier_new(&v, &err) != 0)
		fail_msg("cu_verifier_new: %s", err.message);
	sb_pki_add_root(pki, v);
	sb_pki_add_collateral(pki, v);
	return v;
}

/* --------------------------------------------------------------- reports */

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 3);
}

void sb_report_init(struct cu_snp_report *r, const struct sb_pki *pki, uint32_t version)
{
	struct sb_tcb cur = pki->tcb, committed = pki->tcb, launch = pki->tcb;

	memset(r, 0, sizeof(*r));
	r->version = version;
	r->guest_svn = 7;
	r->policy = 0x30000; /* SMT allowed, bit 17 (must be one), ABI 0.0 */
	pattern(r->family_id, sizeof(r->family_id), 0x10);
	pattern(r->image_id, sizeof(r->image_id), 0x20);
	r->vmpl = 1;
	r->signature_algo = 1;
	/* CURRENT/COMMITTED/LAUNCH_TCB differ from REPORTED_TCB so that a test sees each decoded. */
	cur.snp = (uint8_t)(cur.snp + 1);
	committed.tee = (uint8_t)(committed.tee + 2);
	launch.bootloader = (uint8_t)(launch.bootloader + 3);
	r->current_tcb = sb_tcb_encode(pki->product, &cur);
	r->platform_info = 0x3; /* SMT_EN, TSME_EN */
	r->author_key_en = false;
	r->mask_chip_key = false;
	r->signing_key = CU_SNP_KEY_VCEK;
	pattern(r->report_data, sizeof(r->report_data), 0x30);
	pattern(r->measurement, sizeof(r->measurement), 0x40);
	pattern(r->host_data, sizeof(r->host_data), 0x50);
	pattern(r->id_key_digest, sizeof(r->id_key_digest), 0x60);
	pattern(r->author_key_digest, sizeof(r->author_key_digest), 0x70);
	pattern(r->report_id, sizeof(r->report_id), 0x80);
	pattern(r->report_id_ma, sizeof(r->report_id_ma), 0x90);
	r->reported_tcb = sb_tcb_encode(pki->product, &pki->tcb);
	if (version >= 3) {
		switch (pki->product) {
		case CU_SNP_PRODUCT_GENOA:
			r->cpuid_fam_id = 0x19;
			r->cpuid_mod_id = 0x11;
			r->cpuid_step = 0x01;
			break;
		case CU_SNP_PRODUCT_TURIN:
			r->cpuid_fam_id = 0x1A;
			r->cpuid_mod_id = 0x02;
			r->cpuid_step = 0x00;
			break;
		default:
			r->cpuid_fam_id = 0x19;
			r->cpuid_mod_id = 0x01;
			r->cpuid_step = 0x01;
			break;
		}
	}
	memcpy(r->chip_id, pki->hwid, pki->hwid_size);
	r->committed_tcb = sb_tcb_encode(pki->product, &committed);
	r->current_build = 21;
	r->current_minor = 55;
	r->current_major = 1;
	r->committed_build = 20;
	r->committed_minor = 54;
	r->committed_major = 1;
	r->launch_tcb = sb_tcb_encode(pki->product, &launch);
	if (version >= 5) {
		r->launch_mit_vector = 0x0102030405060708ull;
		r->current_mit_vector = 0x1112131415161718ull;
	}
}

void sb_report_init_vlek(struct cu_snp_report *r, const struct sb_pki *pki, uint32_t version)
{
	sb_report_init(r, pki, version);
	r->signing_key = CU_SNP_KEY_VLEK;
	memset(r->chip_id, 0, sizeof(r->chip_id));
}

void sb_put_u32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void sb_put_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* SEV-SNP ABI 56860, Table 23 ATTESTATION_REPORT. */
void sb_report_serialize(const struct cu_snp_report *r, uint8_t out[CU_SNP_REPORT_SIZE])
{
	memset(out, 0, CU_SNP_REPORT_SIZE);
	sb_put_u32le(out + 0x000, r->version);
	sb_put_u32le(out + 0x004, r->guest_svn);
	sb_put_u64le(out + 0x008, r->policy);
	memcpy(out + 0x010, r->family_id, 16);
	memcpy(out + 0x020, r->image_id, 16);
	sb_put_u32le(out + 0x030, r->vmpl);
	sb_put_u32le(out + 0x034, r->signature_algo);
	sb_put_u64le(out + 0x038, r->current_tcb);
	sb_put_u64le(out + 0x040, r->platform_info);
	sb_put_u32le(out + 0x048, (uint32_t)r->author_key_en | (uint32_t)r->mask_chip_key << 1 |
	                              (uint32_t)(r->signing_key & 7) << 2);
	memcpy(out + 0x050, r->report_data, 64);
	memcpy(out + 0x090, r->measurement, 48);
	memcpy(out + 0x0C0, r->host_data, 32);
	memcpy(out + 0x0E0, r->id_key_digest, 48);
	memcpy(out + 0x110, r->author_key_digest, 48);
	memcpy(out + 0x140, r->report_id, 32);
	memcpy(out + 0x160, r->report_id_ma, 32);
	sb_put_u64le(out + 0x180, r->reported_tcb);
	out[0x188] = r->cpuid_fam_id;
	out[0x189] = r->cpuid_mod_id;
	out[0x18A] = r->cpuid_step;
	memcpy(out + 0x1A0, r->chip_id, 64);
	sb_put_u64le(out + 0x1E0, r->committed_tcb);
	out[0x1E8] = r->current_build;
	out[0x1E9] = r->current_minor;
	out[0x1EA] = r->current_major;
	out[0x1EC] = r->committed_build;
	out[0x1ED] = r->committed_minor;
	out[0x1EE] = r->committed_major;
	sb_put_u64le(out + 0x1F0, r->launch_tcb);
	sb_put_u64le(out + 0x1F8, r->launch_mit_vector);
	sb_put_u64le(out + 0x200, r->current_mit_vector);
	memcpy(out + 0x2A0, r->sig_r, CU_SNP_SIG_COMPONENT_SIZE);
	memcpy(out + 0x2A0 + CU_SNP_SIG_COMPONENT_SIZE, r->sig_s, CU_SNP_SIG_COMPONENT_SIZE);
}

/* SEV-SNP ABI 56860, Table 139: R and S little-endian, zero-extended to 72 bytes. */
void sb_report_sign(uint8_t buf[CU_SNP_REPORT_SIZE], EVP_PKEY *key)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char der[160];
	const unsigned char *p = der;
	size_t der_size = sizeof(der);
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;

	OK(m);
	OK(EVP_DigestSignInit(m, NULL, EVP_sha384(), NULL, key) == 1);
	OK(EVP_DigestSign(m, der, &der_size, buf, CU_SNP_SIGNED_SIZE) == 1);
	EVP_MD_CTX_free(m);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_size);
	OK(sig);
	ECDSA_SIG_get0(sig, &r, &s);
	memset(buf + CU_SNP_SIGNED_SIZE, 0, CU_SNP_REPORT_SIZE - CU_SNP_SIGNED_SIZE);
	OK(BN_bn2lebinpad(r, buf + 0x2A0, CU_SNP_SIG_COMPONENT_SIZE) == CU_SNP_SIG_COMPONENT_SIZE);
	OK(BN_bn2lebinpad(s, buf + 0x2E8, CU_SNP_SIG_COMPONENT_SIZE) == CU_SNP_SIG_COMPONENT_SIZE);
	ECDSA_SIG_free(sig);
}

void sb_report_build(const struct cu_snp_report *r, EVP_PKEY *key, uint8_t out[CU_SNP_REPORT_SIZE])
{
	sb_report_serialize(r, out);
	sb_report_sign(out, key);
}
