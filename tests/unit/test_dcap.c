/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic DCAP quotes and collateral under a TEST root (trusted only
 * through cu_verifier_add_test_root_INSECURE): every stage of verification
 * failing in turn, and every path of TCB status selection and convergence.
 * The real-hardware samples are in test_dcap_corpus.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../../src/base/encoding.h"
#include "../../src/crypto/sig.h"
#include "../../src/evidence/dcap.h"
#include "test-util.h"

#define OK(x) assert_true(x)

static const int64_t AT = 1751328000; /* 2025-07-01T00:00:00Z */
static const int64_t DAY = 86400;

/* ------------------------------------------------------------- buffers */

struct buf {
	uint8_t d[8192];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	OK(b->n + n <= sizeof(b->d));
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	put(b, x, 2);
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(b, x, 4);
}

/* DER TLV with a short or 2-byte long length. */
static void der(struct buf *b, uint8_t tag, const struct buf *content)
{
	uint8_t h[4] = { tag };

	if (content->n < 128) {
		h[1] = (uint8_t)content->n;
		put(b, h, 2);
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(content->n >> 8);
		h[3] = (uint8_t)content->n;
		put(b, h, 4);
	}
	put(b, content->d, content->n);
}

static void der_raw(struct buf *b, uint8_t tag, const void *p, size_t n)
{
	struct buf c = { .n = 0 };

	put(&c, p, n);
	der(b, tag, &c);
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.<arcs>, value } */
static void sgx_member(struct buf *b, const uint8_t *arcs, size_t n_arcs, const struct buf *value)
{
	static const uint8_t base[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };
	struct buf oid = { .n = 0 }, seq = { .n = 0 };

	put(&oid, base, sizeof(base));
	put(&oid, arcs, n_arcs);
	der(&seq, 0x06, &oid);
	put(&seq, value->d, value->n);
	der(b, 0x30, &seq);
}

static void int_value(struct buf *v, unsigned x)
{
	uint8_t d[3];
	size_t n = 0;

	if (x >= 0x8000)
		d[n++] = 0;
	if (x >= 0x80) {
		if (x < 0x100)
			d[n++] = 0;
		else
			d[n++] = (uint8_t)(x >> 8);
	}
	d[n++] = (uint8_t)x;
	der_raw(v, 0x02, d, n);
}

/* ------------------------------------------------------------------ PKI */

struct platform {
	uint8_t comp[16];
	uint16_t pcesvn;
	uint8_t fmspc[6];
	bool no_extension;
};

struct pki {
	EVP_PKEY *root_key, *ca_key, *pck_key, *tcb_key, *att_key;
	X509 *root, *ca, *pck, *tcb;
	X509_CRL *root_crl, *pck_crl;
};

static EVP_PKEY *p256(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	OK(k);
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	OK((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)));
	OK(X509_add_ext(x, e, -1) == 1);
	X509_EXTENSION_free(e);
}

static X509 *cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial,
                  bool ca, int64_t nb, int64_t na, const struct buf *sgx_ext)
{
	X509 *x = X509_new();

	OK(x);
	OK(X509_set_version(x, 2) == 1);
	OK(ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1);
	OK(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                              (const unsigned char *)cn, -1, -1, 0) == 1);
	OK(X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) == 1);
	OK(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb));
	OK(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
	OK(X509_set_pubkey(x, key) == 1);
	add_ext(x, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, issuer, NID_key_usage,
	        ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (sgx_ext) {
		ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;

		OK(obj && os && ASN1_OCTET_STRING_set(os, sgx_ext->d, (int)sgx_ext->n) == 1);
		OK((e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)));
		OK(X509_add_ext(x, e, -1) == 1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
	}
	OK(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static X509_CRL *crl(X509 *issuer, EVP_PKEY *key, X509 *revoked, int64_t last, int64_t next)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	OK(c && t);
	OK(X509_CRL_set_version(c, 1) == 1);
	OK(X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer)) == 1);
	OK(ASN1_TIME_set(t, (time_t)last) && X509_CRL_set1_lastUpdate(c, t) == 1);
	OK(ASN1_TIME_set(t, (time_t)next) && X509_CRL_set1_nextUpdate(c, t) == 1);
	if (revoked) {
		X509_REVOKED *r = X509_REVOKED_new();

		OK(r && X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked)) == 1);
		OK(ASN1_TIME_set(t, (time_t)last) && X509_REVOKED_set_revocationDate(r, t) == 1);
		OK(X509_CRL_add0_revoked(c, r) == 1);
	}
	ASN1_TIME_free(t);
	OK(X509_CRL_sort(c) == 1);
	OK(X509_CRL_sign(c, key, EVP_sha256()) > 0);
	return c;
}

static void sgx_extension(const struct platform *p, struct buf *out)
{
	struct buf all = { .n = 0 }, tcb = { .n = 0 }, v;
	static const uint8_t ppid[16] = { 0x50, 0x50, 0x49, 0x44 };
	static const uint8_t pceid[2] = { 0, 0 };

	v.n = 0;
	der_raw(&v, 0x04, ppid, 16);
	sgx_member(&all, (const uint8_t[]){ 1 }, 1, &v);
	for (uint8_t i = 1; i <= 16; i++) {
		v.n = 0;
		int_value(&v, p->comp[i - 1]);
		sgx_member(&tcb, (const uint8_t[]){ 2, i }, 2, &v);
	}
	v.n = 0;
	int_value(&v, p->pcesvn);
	sgx_member(&tcb, (const uint8_t[]){ 2, 17 }, 2, &v);
	v.n = 0;
	der_raw(&v, 0x04, p->comp, 16);
	sgx_member(&tcb, (const uint8_t[]){ 2, 18 }, 2, &v);
	v.n = 0;
	der(&v, 0x30, &tcb);
	sgx_member(&all, (const uint8_t[]){ 2 }, 1, &v);
	v.n = 0;
	der_raw(&v, 0x04, pceid, 2);
	sgx_member(&all, (const uint8_t[]){ 3 }, 1, &v);
	v.n = 0;
	der_raw(&v, 0x04, p->fmspc, 6);
	sgx_member(&all, (const uint8_t[]){ 4 }, 1, &v);
	v.n = 0;
	der_raw(&v, 0x0a, (const uint8_t[]){ 1 }, 1);
	sgx_member(&all, (const uint8_t[]){ 5 }, 1, &v);
	out->n = 0;
	der(out, 0x30, &all);
}

static void pki_new(struct pki *k, const struct platform *p)
{
	struct buf ext;
	int64_t nb = AT - 365 * DAY, na = AT + 365 * DAY;

	memset(k, 0, sizeof(*k));
	k->root_key = p256();
	k->ca_key = p256();
	k->pck_key = p256();
	k->tcb_key = p256();
	k->att_key = p256();
	k->root = cert(k->root_key, "Test SGX Root CA", NULL, NULL, 1, true, nb, na, NULL);
	k->ca = cert(k->ca_key, "Test SGX PCK Platform CA", k->root, k->root_key, 2, true, nb, na,
	             NULL);
	sgx_extension(p, &ext);
	k->pck = cert(k->pck_key, "Intel SGX PCK Certificate", k->ca, k->ca_key, 3, false, nb, na,
	              p->no_extension ? NULL : &ext);
	k->tcb =
	    cert(k->tcb_key, "Intel SGX TCB Signing", k->root, k->root_key, 4, false, nb, na, NULL);
	k->root_crl = crl(k->root, k->root_key, NULL, AT - 10 * DAY, AT + 20 * DAY);
	k->pck_crl = crl(k->ca, k->ca_key, NULL, AT - 10 * DAY, AT + 20 * DAY);
}

static void pki_free(struct pki *k)
{
	EVP_PKEY_free(k->root_key);
	EVP_PKEY_free(k->ca_key);
	EVP_PKEY_free(k->pck_key);
	EVP_PKEY_free(k->tcb_key);
	EVP_PKEY_free(k->att_key);
	X509_free(k->root);
	X509_free(k->ca);
	X509_free(k->pck);
	X509_free(k->tcb);
	X509_CRL_free(k->root_crl);
	X509_CRL_free(k->pck_crl);
}

/* r || s, 32 bytes each, big-endian */
static void sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t n, uint8_t out[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der_sig[80];
	size_t len = sizeof(der_sig);
	const uint8_t *p = der_sig;
	ECDSA_SIG *sig;

	OK(md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
	OK(EVP_DigestSign(md, der_sig, &len, msg, n) == 1);
	EVP_MD_CTX_free(md);
	OK((sig = d2i_ECDSA_SIG(NULL, &p, (long)len)));
	OK(BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) == 32);
	OK(BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) == 32);
	ECDSA_SIG_free(sig);
}

static void pub_xy(EVP_PKEY *key, uint8_t out[64])
{
	uint8_t pt[65];
	size_t n = 0;

	OK(EVP_PKEY_get_octet_string_param(key, "pub", pt, sizeof(pt), &n) == 1 && n == 65);
	memcpy(out, pt + 1, 64);
}

/* ---------------------------------------------------------------- quotes */

struct quote_opts {
	bool sgx;
	uint8_t tee_tcb_svn[16];
	uint8_t mr_signer_seam[48];
	uint16_t qe_isvsvn;
	uint8_t qe_mrsigner[32];
	uint8_t report_data[64];
	uint8_t rtmr[4][48];
	bool bad_qe_binding;
	bool qe_signed_by_att_key; /* wrong key for the QE report */
};

static void pem_of(X509 *x, struct buf *b)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	OK(bio && PEM_write_bio_X509(bio, x) == 1);
	n = BIO_get_mem_data(bio, &p);
	put(b, p, (size_t)n);
	BIO_free(bio);
}

/* A v4 TDX (or v3 SGX) quote with certification data type 6 (v4) / 5 (v3). */
static void quote_build(const struct pki *k, const struct quote_opts *o, struct buf *q)
{
	static const uint8_t vendor[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
		                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };
	uint8_t qe[384] = { 0 }, att[64], sig[64], qe_sig[64], auth[32] = { 1, 2, 3 };
	struct buf chain = { .n = 0 }, qe_data = { .n = 0 }, sigdata = { .n = 0 };
	uint8_t zero[64] = { 0 };

	q->n = 0;
	put_u16(q, o->sgx ? 3 : 4);
	put_u16(q, 2);
	put_u32(q, o->sgx ? 0 : 0x81);
	put_u32(q, 0);
	put(q, vendor, 16);
	put(q, zero, 20);
	if (o->sgx) { /* enclave report */
		uint8_t r[384] = { 0 };

		r[48] = 0x05; /* INIT | MODE64BIT */
		memset(r + 64, 0xee, 32);
		memcpy(r + 320, o->report_data, 64);
		put(q, r, 384);
	} else { /* TD report 1.0 */
		uint8_t t[584] = { 0 };

		memcpy(t, o->tee_tcb_svn, 16);
		memcpy(t + 64, o->mr_signer_seam, 48);
		t[123] = 0x10;             /* TD_ATTRIBUTES: SEPT_VE_DISABLE */
		memset(t + 136, 0x7d, 48); /* MRTD */
		memcpy(t + 328, o->rtmr, sizeof(o->rtmr));
		memcpy(t + 520, o->report_data, 64);
		put(q, t, 584);
	}
	pub_xy(k->att_key, att);
	sign_raw(k->att_key, q->d, q->n, sig);

	/* the QE report: MRSIGNER, ISVPRODID 2, ISVSVN, REPORTDATA = SHA-256(att || auth) */
	qe[48] = 0x11;
	memcpy(qe + 128, o->qe_mrsigner, 32);
	qe[256] = 2;
	qe[258] = (uint8_t)o->qe_isvsvn;
	{
		uint8_t hd[96];

		memcpy(hd, att, 64);
		memcpy(hd + 64, auth, 32);
		cu_sha256(hd, 96, qe + 320);
		if (o->bad_qe_binding)
			qe[320] ^= 1;
	}
	sign_raw(o->qe_signed_by_att_key ? k->att_key : k->pck_key, qe, 384, qe_sig);
	pem_of(k->pck, &chain);
	pem_of(k->ca, &chain);
	pem_of(k->root, &chain);

	put(&qe_data, qe, 384);
	put(&qe_data, qe_sig, 64);
	put_u16(&qe_data, 32);
	put(&qe_data, auth, 32);
	put_u16(&qe_data, 5);
	put_u32(&qe_data, (uint32_t)chain.n);
	put(&qe_data, chain.d, chain.n);

	put(&sigdata, sig, 64);
	put(&sigdata, att, 64);
	if (o->sgx) {
		put(&sigdata, qe_data.d, qe_data.n);
	} else {
		put_u16(&sigdata, 6);
		put_u32(&sigdata, (uint32_t)qe_data.n);
		put(&sigdata, qe_data.d, qe_data.n);
	}
	put_u32(q, (uint32_t)sigdata.n);
	put(q, sigdata.d, sigdata.n);
}

/* ------------------------------------------------------------ collateral */

struct level_spec {
	uint8_t sgx[16], tdx[16];
	uint16_t pcesvn;
	const char *status;
	const char *advisory; /* one ID or NULL */
};

struct coll_opts {
	bool sgx;
	const struct level_spec *levels;
	size_t n_levels;
	uint8_t fmspc[6];
	int64_t issue, next;
	uint16_t qe_levels[2]; /* isvsvn of the QE identity's UpToDate and OutOfDate levels */
	uint8_t qe_mrsigner[32];
	const char *module_status; /* TDX_01's level for isvsvn >= 3 ("UpToDate" by default) */
	bool tamper_tcb_signature;
	bool no_qe_identity;
};

static char *hexs(const uint8_t *p, size_t n)
{
	char *s = cu_hex_encode_alloc(p, n);

	OK(s);
	return s;
}

static json_t *comps(const uint8_t *svn)
{
	json_t *a = json_array();

	for (int i = 0; i < 16; i++)
		json_array_append_new(a, json_pack("{s:i}", "svn", svn[i]));
	return a;
}

static void add_signed(cu_verifier *v, const char *member, json_t *body, EVP_PKEY *key, bool tamper)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER), *doc, *sig_hex;
	uint8_t sig[64];
	struct cu_error err = { 0 };
	int n;

	OK(text);
	sign_raw(key, (const uint8_t *)text, strlen(text), sig);
	if (tamper)
		sig[10] ^= 1;
	sig_hex = hexs(sig, 64);
	n = asprintf(&doc, "{\"%s\":%s,\"signature\":\"%s\"}", member, text, sig_hex);
	OK(n > 0);
	if (cu_verifier_add_collateral_mem(v, (const uint8_t *)doc, (size_t)n, member, &err) <= 0)
		fail_msg("collateral: %s", err.message);
	free(doc);
	free(sig_hex);
	free(text);
	json_decref(body);
}

static void time_s(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void collateral_add(cu_verifier *v, const struct pki *k, const struct coll_opts *o)
{
	char issue[32], next[32], *fmspc = hexs(o->fmspc, 6), *qe_signer = hexs(o->qe_mrsigner, 32);
	json_t *levels = json_array(), *qe_levels, *tcb;
	uint8_t zero48[48] = { 0 };
	char *z48 = hexs(zero48, 48);

	time_s(o->issue, issue);
	time_s(o->next, next);
	for (size_t i = 0; i < o->n_levels; i++) {
		const struct level_spec *l = &o->levels[i];
		json_t *t =
		    json_pack("{s:o,s:i}", "sgxtcbcomponents", comps(l->sgx), "pcesvn", l->pcesvn);
		json_t *lv;

		if (!o->sgx)
			json_object_set_new(t, "tdxtcbcomponents", comps(l->tdx));
		lv = json_pack("{s:o,s:s,s:s}", "tcb", t, "tcbDate", "2024-03-13T00:00:00Z",
		               "tcbStatus", l->status);
		if (l->advisory)
			json_object_set_new(lv, "advisoryIDs", json_pack("[s]", l->advisory));
		json_array_append_new(levels, lv);
	}
	tcb = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:i}", "id", o->sgx ? "SGX" : "TDX",
	                "version", 3, "issueDate", issue, "nextUpdate", next, "fmspc", fmspc,
	                "pceId", "0000", "tcbType", 0, "tcbEvaluationDataNumber", 17);
	if (!o->sgx) {
		json_object_set_new(tcb, "tdxModule",
		                    json_pack("{s:s,s:s,s:s}", "mrsigner", z48, "attributes",
		                              "0000000000000000", "attributesMask",
		                              "FFFFFFFFFFFFFFFF"));
		json_object_set_new(
		    tcb, "tdxModuleIdentities",
		    json_pack("[{s:s,s:s,s:s,s:s,s:[{s:{s:i},s:s,s:s},{s:{s:i},s:s,s:s,s:[s]}]}]",
		              "id", "TDX_01", "mrsigner", z48, "attributes", "0000000000000000",
		              "attributesMask", "FFFFFFFFFFFFFFFF", "tcbLevels", "tcb", "isvsvn", 3,
		              "tcbDate", "2024-03-13T00:00:00Z", "tcbStatus",
		              o->module_status ? o->module_status : "UpToDate", "tcb", "isvsvn", 1,
		              "tcbDate", "2023-08-09T00:00:00Z", "tcbStatus", "OutOfDate",
		              "advisoryIDs", "INTEL-SA-MODULE"));
	}
	json_object_set_new(tcb, "tcbLevels", levels);
	add_signed(v, "tcbInfo", tcb, k->tcb_key, o->tamper_tcb_signature);

	if (o->no_qe_identity)
		goto out;
	qe_levels =
	    json_pack("[{s:{s:i},s:s,s:s},{s:{s:i},s:s,s:s,s:[s]}]", "tcb", "isvsvn",
	              o->qe_levels[0], "tcbDate", "2024-03-13T00:00:00Z", "tcbStatus", "UpToDate",
	              "tcb", "isvsvn", o->qe_levels[1], "tcbDate", "2023-02-15T00:00:00Z",
	              "tcbStatus", "OutOfDate", "advisoryIDs", "INTEL-SA-QE");
	add_signed(v, "enclaveIdentity",
	           json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:o}", "id",
	                     o->sgx ? "QE" : "TD_QE", "version", 2, "issueDate", issue,
	                     "nextUpdate", next, "tcbEvaluationDataNumber", 17, "miscselect",
	                     "00000000", "miscselectMask", "FFFFFFFF", "attributes",
	                     "11000000000000000000000000000000", "attributesMask",
	                     "FBFFFFFFFFFFFFFF0000000000000000", "mrsigner", qe_signer, "isvprodid",
	                     2, "tcbLevels", qe_levels),
	           k->tcb_key, false);
out:
	free(fmspc);
	free(qe_signer);
	free(z48);
}

static void add_x509(cu_verifier *v, X509 *x, X509_CRL *c)
{
	uint8_t *d = NULL;
	int n = x ? i2d_X509(x, &d) : i2d_X509_CRL(c, &d);
	struct cu_error err = { 0 };

	OK(n > 0);
	OK(cu_verifier_add_collateral_mem(v, d, (size_t)n, "x509", &err) > 0);
	OPENSSL_free(d);
}

/* ------------------------------------------------------------ scenario */

struct scenario {
	struct platform plat;
	struct quote_opts q;
	struct coll_opts c;
	struct level_spec levels[4];
	/* knobs */
	bool untrusted_root, revoke_pck, no_pck_crl;
};

/* An UpToDate TDX platform: SGX components 3, PCESVN 11, TEE_TCB_SVN 03 01 02 ... */
static void scenario_default(struct scenario *s, bool sgx)
{
	memset(s, 0, sizeof(*s));
	memset(s->plat.comp, 3, 8);
	s->plat.pcesvn = 11;
	memcpy(s->plat.fmspc, "\x00\x90\x6e\xd5\x00\x00", 6);
	s->q.sgx = s->c.sgx = sgx;
	s->q.tee_tcb_svn[0] = 3; /* module SVN */
	s->q.tee_tcb_svn[1] = 1; /* module version: TDX_01 */
	s->q.tee_tcb_svn[2] = 2;
	s->q.qe_isvsvn = 8;
	memset(s->q.qe_mrsigner, 0xdc, 32);
	memset(s->c.qe_mrsigner, 0xdc, 32);
	for (int i = 0; i < 64; i++)
		s->q.report_data[i] = (uint8_t)i;
	memcpy(s->c.fmspc, s->plat.fmspc, 6);
	s->c.issue = AT - 15 * DAY;
	s->c.next = AT + 15 * DAY;
	s->c.qe_levels[0] = 8;
	s->c.qe_levels[1] = 4;
	/* level 0: UpToDate at 3/11/2; level 1: OutOfDate at 2/5/1 */
	memset(s->levels[0].sgx, 3, 8);
	s->levels[0].pcesvn = 11;
	s->levels[0].tdx[2] = 2;
	s->levels[0].status = "UpToDate";
	memset(s->levels[1].sgx, 2, 8);
	s->levels[1].pcesvn = 5;
	s->levels[1].tdx[2] = 1;
	s->levels[1].status = "OutOfDate";
	s->levels[1].advisory = "INTEL-SA-00001";
	s->c.levels = s->levels;
	s->c.n_levels = 2;
}

/* Build everything and verify; returns the result code, *claims on success. */
static int run(const struct scenario *s, json_t **claims, struct cu_error *err)
{
	struct pki k, other;
	struct buf *q = calloc(1, sizeof(*q));
	cu_verifier *v;
	struct cu_verify_opts o = { .at = AT };
	uint8_t *root_der = NULL;
	int n, r;

	OK(q);
	pki_new(&k, &s->plat);
	quote_build(&k, &s->q, q);
	OK(cu_verifier_new(&v, err) == 0);
	if (s->untrusted_root) {
		pki_new(&other, &s->plat);
		n = i2d_X509(other.root, &root_der);
		pki_free(&other);
	} else {
		n = i2d_X509(k.root, &root_der);
	}
	OK(n > 0 && cu_verifier_add_test_root_INSECURE(v, root_der, (size_t)n, err) == 0);
	OPENSSL_free(root_der);
	add_x509(v, k.ca, NULL);
	add_x509(v, k.tcb, NULL);
	add_x509(v, NULL, k.root_crl);
	if (s->revoke_pck) {
		X509_CRL *c = crl(k.ca, k.ca_key, k.pck, AT - 10 * DAY, AT + 20 * DAY);
		add_x509(v, NULL, c);
		X509_CRL_free(c);
	} else if (!s->no_pck_crl) {
		add_x509(v, NULL, k.pck_crl);
	}
	collateral_add(v, &k, &s->c);
	*claims = NULL;
	r = cu_verify(v, s->q.sgx ? "sgx" : "tdx", q->d, q->n, &o, claims, err);
	cu_verifier_free(v);
	pki_free(&k);
	free(q);
	return r;
}

static void expect_status(const struct scenario *s, const char *status, const char *advisory)
{
	struct cu_error err = { 0 };
	json_t *c = NULL;

	if (run(s, &c, &err) < 0)
		fail_msg("expected %s, rejected at %s: %s", status, err.stage, err.message);
	assert_string_equal(json_string_value(json_object_get(c, "tcb_status")), status);
	if (advisory) {
		json_t *ids = json_object_get(c, "advisory_ids"), *a;
		size_t i;
		bool found = false;

		json_array_foreach (ids, i, a)
			found |= !strcmp(json_string_value(a), advisory);
		if (!found)
			fail_msg("advisory %s missing for status %s", advisory, status);
	} else {
		assert_int_equal(json_array_size(json_object_get(c, "advisory_ids")), 0);
	}
	json_decref(c);
}

static void expect_fail(const struct scenario *s, int code, const char *stage)
{
	struct cu_error err = { 0 };
	json_t *c = NULL;
	int r = run(s, &c, &err);

	if (r == 0)
		fail_msg("expected a rejection at %s, but it verified", stage);
	assert_null(c);
	if (r != code || strcmp(err.stage, stage))
		fail_msg("expected %s at %s, got %s at %s: %s", cu_errname(code), stage,
		         cu_errname(r), err.stage, err.message);
}

/* ----------------------------------------------------------------- tests */

static void test_uptodate_tdx_and_sgx(void **state)
{
	struct scenario s;
	struct cu_error err = { 0 };
	json_t *c = NULL;

	scenario_default(&s, false);
	expect_status(&s, "UpToDate", NULL);
	OK(run(&s, &c, &err) == 0);
	assert_true(json_is_true(json_object_get(c, "insecure_test_roots")));
	assert_string_equal(json_string_value(json_object_get(c, "fmspc")), "00906ed50000");
	assert_string_equal(json_string_value(json_object_get(c, "tee")), "tdx");
	assert_true(json_is_true(json_object_get(
	    json_object_get(json_object_get(c, "tdx"), "td_attributes"), "sept_ve_disable")));
	json_decref(c);
	scenario_default(&s, true);
	expect_status(&s, "UpToDate", NULL);
}

static void test_platform_statuses(void **state)
{
	static const char *const statuses[] = { "SWHardeningNeeded", "ConfigurationNeeded",
		                                "ConfigurationAndSWHardeningNeeded", "OutOfDate",
		                                "OutOfDateConfigurationNeeded" };
	struct scenario s;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		scenario_default(&s, false);
		s.levels[0].status = statuses[i];
		s.levels[0].advisory = "INTEL-SA-00002";
		expect_status(&s, statuses[i], "INTEL-SA-00002");
		scenario_default(&s, true);
		s.levels[0].status = statuses[i];
		s.levels[0].advisory = "INTEL-SA-00002";
		expect_status(&s, statuses[i], "INTEL-SA-00002");
	}
	/* a lower platform falls to the second level */
	scenario_default(&s, true);
	s.plat.comp[4] = 2;
	expect_status(&s, "OutOfDate", "INTEL-SA-00001");
	scenario_default(&s, false);
	s.plat.pcesvn = 10;
	expect_status(&s, "OutOfDate", "INTEL-SA-00001");
	/* TEE_TCB_SVN below the first level's TDX components: the second level */
	scenario_default(&s, false);
	s.q.tee_tcb_svn[2] = 1;
	expect_status(&s, "OutOfDate", "INTEL-SA-00001");
	/* Revoked is a rejection */
	scenario_default(&s, false);
	s.levels[0].status = "Revoked";
	expect_fail(&s, CU_ERR_REVOKED, "tcb");
}

static void test_convergence(void **state)
{
	struct scenario s;

	/* an out-of-date QE makes an up-to-date platform OutOfDate */
	scenario_default(&s, false);
	s.q.qe_isvsvn = 5;
	expect_status(&s, "OutOfDate", "INTEL-SA-QE");
	/* ... and a platform needing configuration OutOfDateConfigurationNeeded */
	scenario_default(&s, true);
	s.q.qe_isvsvn = 5;
	s.levels[0].status = "ConfigurationNeeded";
	expect_status(&s, "OutOfDateConfigurationNeeded", "INTEL-SA-QE");
	/* an out-of-date TDX module likewise */
	scenario_default(&s, false);
	s.q.tee_tcb_svn[0] = 2;
	expect_status(&s, "OutOfDate", "INTEL-SA-MODULE");
	scenario_default(&s, false);
	s.c.module_status = "Revoked";
	expect_fail(&s, CU_ERR_REVOKED, "tcb");
	/* TDX module version 0: judged by tdxModule, no module TCB level */
	scenario_default(&s, false);
	s.q.tee_tcb_svn[0] = 0;
	s.q.tee_tcb_svn[1] = 0;
	expect_status(&s, "UpToDate", NULL);
}

static void test_each_stage_fails(void **state)
{
	struct scenario s;

	scenario_default(&s, false);
	s.untrusted_root = true; /* another root of the same name: its signatures fail */
	expect_fail(&s, CU_ERR_SIGNATURE, "pck-chain");
	scenario_default(&s, false);
	s.revoke_pck = true;
	expect_fail(&s, CU_ERR_REVOKED, "pck-chain");
	scenario_default(&s, false);
	s.no_pck_crl = true;
	expect_fail(&s, CU_ERR_NOT_FOUND, "pck-chain");
	scenario_default(&s, false);
	s.plat.no_extension = true;
	expect_fail(&s, CU_ERR_MALFORMED, "pck-extension");
	scenario_default(&s, false);
	s.q.qe_signed_by_att_key = true;
	expect_fail(&s, CU_ERR_SIGNATURE, "qe-report-signature");
	scenario_default(&s, true);
	s.q.bad_qe_binding = true;
	expect_fail(&s, CU_ERR_SIGNATURE, "qe-binding");
	scenario_default(&s, false);
	memcpy(s.c.fmspc, "\x11\x11\x1f\x00\x00\x00", 6);
	expect_fail(&s, CU_ERR_NOT_FOUND, "tcb-info");
	scenario_default(&s, false);
	s.c.tamper_tcb_signature = true;
	expect_fail(&s, CU_ERR_SIGNATURE, "tcb-info");
	scenario_default(&s, false);
	s.c.next = AT - 1;
	s.c.issue = AT - 30 * DAY;
	expect_fail(&s, CU_ERR_EXPIRED, "tcb-info");
	scenario_default(&s, false);
	s.c.issue = AT + 1;
	expect_fail(&s, CU_ERR_EXPIRED, "tcb-info");
	scenario_default(&s, false);
	s.c.no_qe_identity = true;
	expect_fail(&s, CU_ERR_NOT_FOUND, "qe-identity");
	scenario_default(&s, true);
	memset(s.c.qe_mrsigner, 0xab, 32);
	expect_fail(&s, CU_ERR_MISMATCH, "qe-identity");
	scenario_default(&s, true);
	s.q.qe_isvsvn = 3;
	expect_fail(&s, CU_ERR_MISMATCH, "qe-identity");
	scenario_default(&s, false);
	s.q.mr_signer_seam[0] = 1;
	expect_fail(&s, CU_ERR_MISMATCH, "tdx-module");
	scenario_default(&s, false);
	s.q.tee_tcb_svn[1] = 2; /* TDX_02: not in the TCB info */
	expect_fail(&s, CU_ERR_MISMATCH, "tdx-module");
	scenario_default(&s, false);
	s.q.tee_tcb_svn[0] = 0; /* module SVN below every level of TDX_01 */
	expect_fail(&s, CU_ERR_MISMATCH, "tdx-module");
	scenario_default(&s, true);
	memset(s.plat.comp, 1, 8); /* below every level */
	expect_fail(&s, CU_ERR_MISMATCH, "tcb");
	scenario_default(&s, false);
	s.q.tee_tcb_svn[2] = 0;
	expect_fail(&s, CU_ERR_MISMATCH, "tcb");
}

/* The quote's own signature and the caller's binding, on a quote built once. */
static void test_quote_signature_and_binding(void **state)
{
	struct scenario s;
	struct pki k;
	struct buf *q = calloc(1, sizeof(*q));
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = AT };
	cu_verifier *v;
	uint8_t *root_der = NULL, rd[64];
	json_t *c = NULL;
	int n;

	OK(q);
	scenario_default(&s, false);
	pki_new(&k, &s.plat);
	quote_build(&k, &s.q, q);
	OK(cu_verifier_new(&v, &err) == 0);
	n = i2d_X509(k.root, &root_der);
	OK(cu_verifier_add_test_root_INSECURE(v, root_der, (size_t)n, &err) == 0);
	OPENSSL_free(root_der);
	add_x509(v, k.ca, NULL);
	add_x509(v, k.tcb, NULL);
	add_x509(v, NULL, k.root_crl);
	add_x509(v, NULL, k.pck_crl);
	collateral_add(v, &k, &s.c);
	OK(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err) == 0);
	json_decref(c);
	c = NULL;
	/* the MRTD changed after signing */
	q->d[48 + 136] ^= 1;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_SIGNATURE);
	assert_string_equal(err.stage, "quote-signature");
	q->d[48 + 136] ^= 1;
	/* binding */
	memcpy(rd, s.q.report_data, 64);
	o.report_data = rd;
	o.report_data_size = 64;
	OK(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err) == 0);
	json_decref(c);
	c = NULL;
	rd[63] ^= 1;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_BINDING);
	assert_string_equal(err.stage, "binding");
	/* a TDX quote is not an SGX one */
	assert_int_equal(cu_verify(v, "sgx", q->d, q->n, &o, &c, &err), CU_ERR_MALFORMED);
	assert_string_equal(cu_detect_format(q->d, q->n), "tdx");
	cu_verifier_free(v);
	pki_free(&k);
	free(q);
}

/* Malformed quotes: each a clear error at the parse stage. */
static void test_parse_errors(void **state)
{
	struct scenario s;
	struct pki k;
	struct buf *q = calloc(1, sizeof(*q));
	struct cu_dcap_quote out;
	struct cu_error err = { 0 };

	OK(q);
	scenario_default(&s, false);
	pki_new(&k, &s.plat);
	quote_build(&k, &s.q, q);
	OK(cu_dcap_quote_parse(q->d, q->n, &out, &err) == 0);
	for (size_t n = 0; n < q->n; n += 97) {
		assert_true(cu_dcap_quote_parse(q->d, n, &out, &err) < 0);
		assert_string_equal(err.stage, "parse");
	}
	q->d[2] = 3; /* attestation key type 3: ECDSA-384 */
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "attestation key type 3"));
	q->d[2] = 2;
	q->d[0] = 6;
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	q->d[0] = 4;
	q->d[4] = 0x82; /* TEE type */
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	q->d[4] = 0x81;
	q->d[48 + 584 + 4 + 128] = 7; /* certification data type 7 */
	assert_int_equal(cu_dcap_quote_parse(q->d, q->n, &out, &err), CU_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "certification data type 7"));
	pki_free(&k);
	free(q);
}

/* A CC event log of three events (RTMR0, RTMR1, RTMR2); the RTMRs it replays to. */
static size_t ccel_build(uint8_t *out, uint8_t rtmr[4][48])
{
	static const uint32_t index[3] = { 1, 2, 3 };
	static const char cmdline[] = "kernel_cmdline: console=hvc0 root=/dev/vda1";
	struct buf b = { .n = 0 };
	uint8_t zero[20] = { 0 };

	memset(rtmr, 0, 4 * 48);
	put_u32(&b, 0);
	put_u32(&b, 3); /* EV_NO_ACTION: the Spec ID Event03 header */
	put(&b, zero, 20);
	put_u32(&b, 33);
	put(&b, "Spec ID Event03", 16);
	put_u32(&b, 0);
	put(&b, "\x00\x02\x00\x02", 4);
	put_u32(&b, 1);
	put(&b, "\x0c\x00\x30\x00", 4);
	put(&b, "", 1);
	for (int e = 0; e < 3; e++) {
		uint8_t d[48], two[96];
		unsigned len;

		put_u32(&b, index[e]);
		put_u32(&b, 0xd); /* EV_IPL */
		put_u32(&b, 1);
		put(&b, "\x0c\x00", 2);
		cu_sha384(cmdline, sizeof(cmdline) - (size_t)e, d);
		put(&b, d, 48);
		put_u32(&b, sizeof(cmdline));
		put(&b, cmdline, sizeof(cmdline));
		memcpy(two, rtmr[index[e] - 1], 48);
		memcpy(two + 48, d, 48);
		OK(EVP_Digest(two, 96, rtmr[index[e] - 1], &len, EVP_sha384(), NULL) == 1);
	}
	memcpy(out, b.d, b.n);
	return b.n;
}

static void test_ccel(void **state)
{
	struct scenario s;
	struct pki k;
	struct buf *q = calloc(1, sizeof(*q));
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = AT };
	cu_verifier *v;
	uint8_t *root_der = NULL, log[1024];
	size_t log_size;
	json_t *c = NULL, *el;
	int n;

	OK(q);
	scenario_default(&s, false);
	log_size = ccel_build(log, s.q.rtmr);
	pki_new(&k, &s.plat);
	quote_build(&k, &s.q, q);
	OK(cu_verifier_new(&v, &err) == 0);
	n = i2d_X509(k.root, &root_der);
	OK(cu_verifier_add_test_root_INSECURE(v, root_der, (size_t)n, &err) == 0);
	OPENSSL_free(root_der);
	add_x509(v, k.ca, NULL);
	add_x509(v, k.tcb, NULL);
	add_x509(v, NULL, k.root_crl);
	add_x509(v, NULL, k.pck_crl);
	collateral_add(v, &k, &s.c);
	o.eventlog = log;
	o.eventlog_size = log_size;
	if (cu_verify(v, "tdx", q->d, q->n, &o, &c, &err) < 0)
		fail_msg("%s: %s", err.stage, err.message);
	el = json_object_get(json_object_get(c, "tdx"), "eventlog");
	assert_string_equal(json_string_value(json_object_get(el, "kernel_cmdline")),
	                    "console=hvc0 root=/dev/vda1");
	assert_int_equal(json_array_size(json_object_get(el, "rtmrs_checked")), 3);
	json_decref(c);
	c = NULL;
	/* an event's digest changed: its RTMR no longer replays */
	log[log_size - 60] ^= 1;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_MISMATCH);
	assert_string_equal(err.stage, "eventlog");
	assert_non_null(strstr(err.message, "RTMR2"));
	assert_null(c);
	/* a truncated log */
	o.eventlog_size = 70;
	assert_int_equal(cu_verify(v, "tdx", q->d, q->n, &o, &c, &err), CU_ERR_MALFORMED);
	assert_string_equal(err.stage, "eventlog");
	cu_verifier_free(v);
	pki_free(&k);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uptodate_tdx_and_sgx),
		cmocka_unit_test(test_platform_statuses),
		cmocka_unit_test(test_convergence),
		cmocka_unit_test(test_each_stage_fails),
		cmocka_unit_test(test_quote_signature_and_binding),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_ccel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
