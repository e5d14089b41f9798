/* SPDX-License-Identifier: Apache-2.0 */
/* See dcap-builder.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#ifdef DB_STANDALONE
#define OK(x)                                                                                      \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "dcap-builder: %s failed at %s:%d\n", #x, __FILE__,        \
			        __LINE__);                                                         \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)
#else
#include "test-util.h"
#define OK(x) assert_true(x)
#endif

#include "../../src/base/encoding.h"
#include "../../src/crypto/sig.h"
#include "dcap-builder.h"

#define DAY DB_DAY

/* ------------------------------------------------------------- buffers */

void db_put(struct buf *b, const void *p, size_t n)
{
	OK(b->n + n <= sizeof(b->d));
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

void db_put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	db_put(b, x, 2);
}

void db_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	db_put(b, x, 4);
}

/* DER TLV with a short or 2-byte long length. */
static void der(struct buf *b, uint8_t tag, const struct buf *content)
{
	uint8_t h[4] = { tag };

	if (content->n < 128) {
		h[1] = (uint8_t)content->n;
		db_put(b, h, 2);
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(content->n >> 8);
		h[3] = (uint8_t)content->n;
		db_put(b, h, 4);
	}
	db_put(b, content->d, content->n);
}

static void der_raw(struct buf *b, uint8_t tag, const void *p, size_t n)
{
	struct buf c = { .n = 0 };

	db_put(&c, p, n);
	der(b, tag, &c);
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.<arcs>, value } */
static void sgx_member(struct buf *b, const uint8_t *arcs, size_t n_arcs, const struct buf *value)
{
	static const uint8_t base[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };
	struct buf oid = { .n = 0 }, seq = { .n = 0 };

	db_put(&oid, base, sizeof(base));
	db_put(&oid, arcs, n_arcs);
	der(&seq, 0x06, &oid);
	db_put(&seq, value->d, value->n);
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

X509_CRL *db_crl(X509 *issuer, EVP_PKEY *key, X509 *revoked, int64_t last, int64_t next)
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

void db_pki_new(struct pki *k, const struct platform *p, int64_t at)
{
	struct buf ext;
	int64_t nb = at - 365 * DAY, na = at + 365 * DAY;

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
	k->root_crl = db_crl(k->root, k->root_key, NULL, at - 10 * DAY, at + 20 * DAY);
	k->pck_crl = db_crl(k->ca, k->ca_key, NULL, at - 10 * DAY, at + 20 * DAY);
}

void db_pki_free(struct pki *k)
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

static void pem_of(X509 *x, struct buf *b)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	OK(bio && PEM_write_bio_X509(bio, x) == 1);
	n = BIO_get_mem_data(bio, &p);
	db_put(b, p, (size_t)n);
	BIO_free(bio);
}

/* A v4 TDX (or v3 SGX) quote with certification data type 6 (v4) / 5 (v3). */
void db_quote_build(const struct pki *k, const struct quote_opts *o, struct buf *q)
{
	static const uint8_t vendor[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
		                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };
	uint8_t qe[384] = { 0 }, att[64], sig[64], qe_sig[64], auth[32] = { 1, 2, 3 };
	struct buf chain = { .n = 0 }, qe_data = { .n = 0 }, sigdata = { .n = 0 };
	uint8_t zero[64] = { 0 };

	q->n = 0;
	db_put_u16(q, o->sgx ? 3 : 4);
	db_put_u16(q, 2);
	db_put_u32(q, o->sgx ? 0 : 0x81);
	db_put_u32(q, 0);
	db_put(q, vendor, 16);
	db_put(q, zero, 20);
	if (o->sgx) { /* enclave report */
		uint8_t r[384] = { 0 };

		r[48] = o->debug ? 0x07 : 0x05; /* INIT | MODE64BIT, DEBUG */
		memset(r + 64, 0xee, 32);
		memcpy(r + 320, o->report_data, 64);
		db_put(q, r, 384);
	} else { /* TD report 1.0 */
		uint8_t t[584] = { 0 };

		memcpy(t, o->tee_tcb_svn, 16);
		memcpy(t + 64, o->mr_signer_seam, 48);
		t[123] = 0x10;                   /* TD_ATTRIBUTES: SEPT_VE_DISABLE */
		t[120] = o->debug ? 0x01 : 0x00; /* TD_ATTRIBUTES: DEBUG */
		memset(t + 136, 0x7d, 48);       /* MRTD */
		memcpy(t + 328, o->rtmr, sizeof(o->rtmr));
		memcpy(t + 520, o->report_data, 64);
		db_put(q, t, 584);
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

	db_put(&qe_data, qe, 384);
	db_put(&qe_data, qe_sig, 64);
	db_put_u16(&qe_data, 32);
	db_put(&qe_data, auth, 32);
	db_put_u16(&qe_data, 5);
	db_put_u32(&qe_data, (uint32_t)chain.n);
	db_put(&qe_data, chain.d, chain.n);

	db_put(&sigdata, sig, 64);
	db_put(&sigdata, att, 64);
	if (o->sgx) {
		db_put(&sigdata, qe_data.d, qe_data.n);
	} else {
		db_put_u16(&sigdata, 6);
		db_put_u32(&sigdata, (uint32_t)qe_data.n);
		db_put(&sigdata, qe_data.d, qe_data.n);
	}
	db_put_u32(q, (uint32_t)sigdata.n);
	db_put(q, sigdata.d, sigdata.n);
}

/* ------------------------------------------------------------ collateral */

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

/* {"<member>": body, "signature": hex} with the body signed as serialised; body consumed. */
static char *signed_doc(const char *member, json_t *body, EVP_PKEY *key, bool tamper)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER), *doc, *sig_hex;
	uint8_t sig[64];

	OK(text);
	sign_raw(key, (const uint8_t *)text, strlen(text), sig);
	if (tamper)
		sig[10] ^= 1;
	sig_hex = hexs(sig, 64);
	OK(asprintf(&doc, "{\"%s\":%s,\"signature\":\"%s\"}", member, text, sig_hex) > 0);
	free(sig_hex);
	free(text);
	json_decref(body);
	return doc;
}

static void time_s(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void db_collateral_docs(const struct pki *k, const struct coll_opts *o, char **ret_tcb,
                        char **ret_qe)
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
	*ret_tcb = signed_doc("tcbInfo", tcb, k->tcb_key, o->tamper_tcb_signature);
	*ret_qe = NULL;

	if (o->no_qe_identity)
		goto out;
	qe_levels =
	    json_pack("[{s:{s:i},s:s,s:s},{s:{s:i},s:s,s:s,s:[s]}]", "tcb", "isvsvn",
	              o->qe_levels[0], "tcbDate", "2024-03-13T00:00:00Z", "tcbStatus", "UpToDate",
	              "tcb", "isvsvn", o->qe_levels[1], "tcbDate", "2023-02-15T00:00:00Z",
	              "tcbStatus", "OutOfDate", "advisoryIDs", "INTEL-SA-QE");
	*ret_qe = signed_doc(
	    "enclaveIdentity",
	    json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:o}", "id",
	              o->sgx ? "QE" : "TD_QE", "version", 2, "issueDate", issue, "nextUpdate", next,
	              "tcbEvaluationDataNumber", 17, "miscselect", "00000000", "miscselectMask",
	              "FFFFFFFF", "attributes", "11000000000000000000000000000000",
	              "attributesMask", "FBFFFFFFFFFFFFFF0000000000000000", "mrsigner", qe_signer,
	              "isvprodid", 2, "tcbLevels", qe_levels),
	    k->tcb_key, false);
out:
	free(fmspc);
	free(qe_signer);
	free(z48);
}

/* A CC event log of three events (RTMR0, RTMR1, RTMR2); the RTMRs it replays to. */
size_t db_ccel_build(uint8_t *out, uint8_t rtmr[4][48])
{
	static const uint32_t index[3] = { 1, 2, 3 };
	static const char cmdline[] = "kernel_cmdline: console=hvc0 root=/dev/vda1";
	struct buf b = { .n = 0 };
	uint8_t zero[20] = { 0 };

	memset(rtmr, 0, 4 * 48);
	db_put_u32(&b, 0);
	db_put_u32(&b, 3); /* EV_NO_ACTION: the Spec ID Event03 header */
	db_put(&b, zero, 20);
	db_put_u32(&b, 33);
	db_put(&b, "Spec ID Event03", 16);
	db_put_u32(&b, 0);
	db_put(&b, "\x00\x02\x00\x02", 4);
	db_put_u32(&b, 1);
	db_put(&b, "\x0c\x00\x30\x00", 4);
	db_put(&b, "", 1);
	for (int e = 0; e < 3; e++) {
		uint8_t d[48], two[96];
		unsigned len;

		db_put_u32(&b, index[e]);
		db_put_u32(&b, 0xd); /* EV_IPL */
		db_put_u32(&b, 1);
		db_put(&b, "\x0c\x00", 2);
		cu_sha384(cmdline, sizeof(cmdline) - (size_t)e, d);
		db_put(&b, d, 48);
		db_put_u32(&b, sizeof(cmdline));
		db_put(&b, cmdline, sizeof(cmdline));
		memcpy(two, rtmr[index[e] - 1], 48);
		memcpy(two + 48, d, 48);
		OK(EVP_Digest(two, 96, rtmr[index[e] - 1], &len, EVP_sha384(), NULL) == 1);
	}
	memcpy(out, b.d, b.n);
	return b.n;
}
