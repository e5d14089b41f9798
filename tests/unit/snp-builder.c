/* SPDX-License-Identifier: Apache-2.0 */
/* Synthetic AMD SEV-SNP PKI and reports for the tests (see snp-builder.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#ifndef SB_STANDALONE
#include "test-util.h"
#endif
#include "../../src/base/encoding.h"
#include "../../src/crypto/x509.h"
#include "snp-builder.h"

#define AMD_OID "1.3.6.1.4.1.3704.1."

/* ------------------------------------------------------------- failures */

/*
 * The one way out on an unexpected error: under cmocka, fail the running test
 * (fail_msg longjmps out of it); in a standalone build (-DSB_STANDALONE, the
 * custos-snp-sim tool), print one line and exit(1).
 */
void sb_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
#ifdef SB_STANDALONE
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
	exit(1);
#else
	fail_msg("%s", msg);
	abort(); /* not reached: fail_msg does not return */
#endif
}

static void ossl_fail(const char *what)
{
	char buf[256] = "";

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	sb_fail("snp-builder: %s failed: %s", what, buf);
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

/*
 * Serial numbers count up from 0x1000 in the tests. The tool's are random
 * (63 bits, as a CA's should be), so that PKIs made by different runs, which
 * share their subject names, never share an issuer name and serial number.
 */
static void set_serial(X509 *x)
{
#ifdef SB_STANDALONE
	BIGNUM *bn = BN_new();

	OK(bn);
	OK(BN_rand(bn, 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1);
	OK(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
#else
	static long next_serial = 0x1000;

	OK(ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++) == 1);
#endif
}

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

	if (n >= 128)
		sb_fail("snp-builder: extension string too long: %s", s);
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
	set_serial(x);
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
	set_serial(x);
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
	if (!out)
		sb_fail("snp-builder: out of memory");
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
	if (!out)
		sb_fail("snp-builder: out of memory");
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
		sb_fail("add_collateral_mem: %d %s", r, err.message);
}

void sb_add_crl(cu_verifier *v, X509_CRL *crl)
{
	struct cu_error err = { 0 };
	size_t size;
	uint8_t *der = sb_crl_der(crl, &size);
	int r = cu_verifier_add_collateral_mem(v, der, size, "test-crl", &err);

	free(der);
	if (r != 1)
		sb_fail("add_collateral_mem (CRL): %d %s", r, err.message);
}

void sb_pki_add_root(const struct sb_pki *pki, cu_verifier *v)
{
	struct cu_error err = { 0 };
	size_t size;
	uint8_t *der = sb_cert_der(pki->ark, &size);
	int r = cu_verifier_add_test_root_INSECURE(v, der, size, &err);

	free(der);
	if (r != 0)
		sb_fail("add_test_root_INSECURE: %d %s", r, err.message);
}

void sb_pki_add_collateral(const struct sb_pki *pki, cu_verifier *v)
{
	X509 *all[] = { pki->ask, pki->asvk, pki->vcek, pki->vlek };

	/* A loaded PKI (sb_pki_load) has no ASVK and VLEK. */
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i])
			sb_add_cert(v, all[i]);
}

cu_verifier *sb_verifier_new(const struct sb_pki *pki)
{
	struct cu_error err = { 0 };
	cu_verifier *v = NULL;

	if (cu_verifier_new(&v, &err) != 0)
		sb_fail("cu_verifier_new: %s", err.message);
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

/* ------------------------------------------------------- saving, loading */

static const char *const pki_files[] = {
	"ark.pem", "ask.pem", "vcek.pem", "ark.key", "ask.key", "vcek.key", "pki.json",
};

static void set_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

static void path_join(char *buf, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
		sb_fail("snp-builder: path too long: %s/%s", dir, name);
}

/* A malloc'd NUL-terminated copy of a memory BIO's contents; frees the BIO. */
static char *bio_text(BIO *bio, size_t *ret_size)
{
	char *data, *out;
	long n = BIO_get_mem_data(bio, &data);

	OK(n > 0);
	out = malloc((size_t)n + 1);
	if (!out)
		sb_fail("snp-builder: out of memory");
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	*ret_size = (size_t)n;
	return out;
}

/* Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
static char *key_pem(EVP_PKEY *k, size_t *ret_size)
{
	BIO *bio = BIO_new(BIO_s_mem());

	OK(bio);
	OK(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) == 1);
	return bio_text(bio, ret_size);
}

/* The description saved as pki.json; compared with pki.json on loading. */
static json_t *pki_json(const struct sb_pki *pki)
{
	char hwid[2 * sizeof(pki->hwid) + 1], product[16];
	json_t *tcb, *j;
	size_t i;

	cu_hex_encode(pki->hwid, pki->hwid_size, hwid);
	for (i = 0; product_str(pki->product)[i] && i < sizeof(product) - 1; i++)
		product[i] = (char)tolower((unsigned char)product_str(pki->product)[i]);
	product[i] = '\0';
	tcb = json_pack("{s:i, s:i, s:i, s:i}", "bootloader", pki->tcb.bootloader, "tee",
	                pki->tcb.tee, "snp", pki->tcb.snp, "microcode", pki->tcb.microcode);
	if (!tcb || (pki->product == CU_SNP_PRODUCT_TURIN &&
	             json_object_set_new(tcb, "fmc", json_integer(pki->tcb.fmc)) < 0))
		sb_fail("snp-builder: out of memory");
	j = json_pack("{s:s, s:s, s:{s:o, s:s}}", "warning",
	              "TEST PKI, INSECURE: a synthetic AMD SEV-SNP ARK/ASK/VCEK chain whose "
	              "private keys lie beside it. Trust ark.pem in tests and demos only "
	              "(custos verify --insecure-test-root).",
	              "product", product, "vcek", "tcb", tcb, "hwid", hwid);
	if (!j)
		sb_fail("snp-builder: out of memory");
	return j;
}

/* Create dir/name (which must not exist) with exactly `mode`, holding data. */
static int write_new(const char *dir, const char *name, mode_t mode, const char *data, size_t size,
                     char *err, size_t err_size)
{
	char path[4096];
	int fd;

	path_join(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) < 0)
		goto fail;
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		data += n;
		size -= (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	set_err(err, err_size, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	return -1;
}

int sb_pki_save(const struct sb_pki *pki, const char *dir, char *err, size_t err_size)
{
	X509 *certs[] = { pki->ark, pki->ask, pki->vcek };
	EVP_PKEY *keys[] = { pki->ark_key, pki->ask_key, pki->vcek_key };
	char path[4096];
	json_t *j;
	int r = 0;

	if (mkdir(dir, 0755) < 0) {
		set_err(err, err_size, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < 3 && r == 0; i++) {
		size_t n;
		char *pem = sb_cert_pem(certs[i], &n);

		r = write_new(dir, pki_files[i], 0644, pem, n, err, err_size);
		free(pem);
		if (r == 0) {
			pem = key_pem(keys[i], &n);
			r = write_new(dir, pki_files[3 + i], 0600, pem, n, err, err_size);
			OPENSSL_cleanse(pem, n);
			free(pem);
		}
	}
	if (r == 0) {
		char *text;

		j = pki_json(pki);
		text = json_dumps(j, JSON_INDENT(2));
		json_decref(j);
		if (!text)
			sb_fail("snp-builder: out of memory");
		r = write_new(dir, "pki.json", 0644, text, strlen(text), err, err_size);
		free(text);
	}
	if (r < 0) {
		/* The directory is ours (just made): leave nothing half-written behind. */
		for (size_t i = 0; i < sizeof(pki_files) / sizeof(pki_files[0]); i++) {
			path_join(path, sizeof(path), dir, pki_files[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	return r;
}

/* One PEM certificate or private key from dir/name. */
static int read_pem(const char *dir, const char *name, X509 **ret_cert, EVP_PKEY **ret_key,
                    char *err, size_t err_size)
{
	char path[4096];
	FILE *f;

	path_join(path, sizeof(path), dir, name);
	f = fopen(path, "re");
	if (!f) {
		set_err(err, err_size, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (ret_cert)
		*ret_cert = PEM_read_X509(f, NULL, NULL, NULL);
	else
		*ret_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (ret_cert ? !*ret_cert : !*ret_key) {
		set_err(err, err_size, "%s is not a PEM %s", path,
		        ret_cert ? "certificate" : "private key");
		return -1;
	}
	return 0;
}

/* A VCEK extension that is a DER INTEGER 0..255 (57230 Table 8). */
static int ext_u8(X509 *x, const char *oid, uint8_t *ret)
{
	const ASN1_OCTET_STRING *os = cu_x509_get0_ext(x, oid);
	const unsigned char *p, *end;
	ASN1_INTEGER *i;
	long v;

	if (!os)
		return -1;
	p = ASN1_STRING_get0_data(os);
	end = p + ASN1_STRING_length(os);
	i = d2i_ASN1_INTEGER(NULL, &p, end - p);
	v = i && p == end ? ASN1_INTEGER_get(i) : -1;
	ASN1_INTEGER_free(i);
	ERR_clear_error();
	if (v < 0 || v > 255)
		return -1;
	*ret = (uint8_t)v;
	return 0;
}

/* The VCEK's TCB, hwID and product name, as vek_build wrote them. */
static int vcek_parse(struct sb_pki *pki)
{
	bool turin = pki->product == CU_SNP_PRODUCT_TURIN;
	const ASN1_OCTET_STRING *os;
	const unsigned char *p;
	ASN1_IA5STRING *name;
	size_t n, plen = strlen(product_str(pki->product));
	bool name_ok;

	if (ext_u8(pki->vcek, AMD_OID "3.1", &pki->tcb.bootloader) < 0 ||
	    ext_u8(pki->vcek, AMD_OID "3.2", &pki->tcb.tee) < 0 ||
	    ext_u8(pki->vcek, AMD_OID "3.3", &pki->tcb.snp) < 0 ||
	    ext_u8(pki->vcek, AMD_OID "3.8", &pki->tcb.microcode) < 0 ||
	    (turin && ext_u8(pki->vcek, AMD_OID "3.9", &pki->tcb.fmc) < 0))
		return -1;

	/* productName "<Product>-<stepping>" */
	os = cu_x509_get0_ext(pki->vcek, AMD_OID "2");
	if (!os)
		return -1;
	p = ASN1_STRING_get0_data(os);
	name = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(os));
	name_ok = name && (size_t)ASN1_STRING_length(name) >= plen &&
	          strncmp((const char *)ASN1_STRING_get0_data(name), product_str(pki->product),
	                  plen) == 0;
	ASN1_IA5STRING_free(name);
	ERR_clear_error();
	if (!name_ok)
		return -1;

	/* hwID: raw bytes, or (newer KDS) wrapped in a DER OCTET STRING */
	os = cu_x509_get0_ext(pki->vcek, AMD_OID "4");
	if (!os)
		return -1;
	p = ASN1_STRING_get0_data(os);
	n = (size_t)ASN1_STRING_length(os);
	if (n >= 2 && p[0] == 0x04 && p[1] == n - 2 && (n - 2 == 8 || n - 2 == 64)) {
		p += 2;
		n -= 2;
	}
	if (n == 0 || n > sizeof(pki->hwid))
		return -1;
	memset(pki->hwid, 0, sizeof(pki->hwid));
	memcpy(pki->hwid, p, n);
	pki->hwid_size = n;
	return 0;
}

int sb_pki_load(struct sb_pki *pki, const char *dir, char *err, size_t err_size)
{
	static const enum cu_snp_product products[] = { CU_SNP_PRODUCT_MILAN, CU_SNP_PRODUCT_GENOA,
		                                        CU_SNP_PRODUCT_TURIN };
	X509 **certs[] = { &pki->ark, &pki->ask, &pki->vcek };
	EVP_PKEY **keys[] = { &pki->ark_key, &pki->ask_key, &pki->vcek_key };
	char path[4096];
	json_error_t jerr;
	json_t *j, *want = NULL;
	const char *product;

	memset(pki, 0, sizeof(*pki));
	path_join(path, sizeof(path), dir, "pki.json");
	j = json_load_file(path, 0, &jerr);
	if (!j) {
		set_err(err, err_size, "%s: %s", path, jerr.text);
		return -1;
	}
	product = json_string_value(json_object_get(j, "product"));
	for (size_t i = 0; product && i < sizeof(products) / sizeof(products[0]); i++)
		if (strcasecmp(product, product_str(products[i])) == 0)
			pki->product = products[i];
	if (pki->product == CU_SNP_PRODUCT_UNKNOWN) {
		set_err(err, err_size, "%s: \"product\" is not milan, genoa or turin", path);
		goto fail;
	}

	for (size_t i = 0; i < 3; i++)
		if (read_pem(dir, pki_files[i], certs[i], NULL, err, err_size) < 0 ||
		    read_pem(dir, pki_files[3 + i], NULL, keys[i], err, err_size) < 0)
			goto fail;
	for (size_t i = 0; i < 3; i++)
		if (X509_check_private_key(*certs[i], *keys[i]) != 1) {
			ERR_clear_error();
			set_err(err, err_size, "%s/%s is not the key of %s/%s", dir,
			        pki_files[3 + i], dir, pki_files[i]);
			goto fail;
		}
	/* ARK self-signed, ASK signed by the ARK, VCEK by the ASK */
	for (size_t i = 0; i < 3; i++)
		if (X509_verify(*certs[i], *keys[i == 0 ? 0 : i - 1]) != 1) {
			ERR_clear_error();
			set_err(err, err_size, "%s/%s is not signed by %s/%s", dir, pki_files[i],
			        dir, pki_files[i == 0 ? 0 : i - 1]);
			goto fail;
		}
	if (vcek_parse(pki) < 0) {
		set_err(err, err_size,
		        "%s/vcek.pem: not a %s VCEK (TCB, productName or hwID extension missing "
		        "or malformed)",
		        dir, product_str(pki->product));
		goto fail;
	}
	/* pki.json describes the VCEK; it must not contradict it. */
	want = pki_json(pki);
	if (json_object_get(j, "vcek") &&
	    !json_equal(json_object_get(j, "vcek"), json_object_get(want, "vcek"))) {
		set_err(err, err_size, "%s: \"vcek\" (TCB, hwid) disagrees with %s/vcek.pem", path,
		        dir);
		goto fail;
	}
	json_decref(want);
	json_decref(j);
	return 0;
fail:
	json_decref(want);
	json_decref(j);
	sb_pki_done(pki);
	return -1;
}
