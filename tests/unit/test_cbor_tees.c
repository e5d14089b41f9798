/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic AWS Nitro documents and Arm CCA tokens, built here with libcbor
 * and test keys: a valid one of each, then every failure in turn, each at its
 * stage. (The real ones are in test_nitro_corpus.c and test_cca_corpus.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../../src/crypto/sig.h"
#include "test-util.h"

#define OK(x) assert_true(x)

static const int64_t AT = 1700000000; /* 2023-11-14 */

/* ---------------------------------------------------------------- helpers */

static EVP_PKEY *key(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

	OK(k);
	return k;
}

static void xy(EVP_PKEY *k, uint8_t *out, size_t n)
{
	uint8_t pt[133];
	size_t len = 0;

	OK(EVP_PKEY_get_octet_string_param(k, "pub", pt, sizeof(pt), &len) == 1 &&
	   len == 1 + 2 * n);
	memcpy(out, pt + 1, 2 * n);
}

static void sign(EVP_PKEY *k, const EVP_MD *md, size_t comp, const uint8_t *m, size_t n,
                 uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t der[160];
	size_t len = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *s;

	OK(c && EVP_DigestSignInit(c, NULL, md, NULL, k) == 1 &&
	   EVP_DigestSign(c, der, &len, m, n) == 1);
	EVP_MD_CTX_free(c);
	OK((s = d2i_ECDSA_SIG(NULL, &p, (long)len)));
	OK(BN_bn2binpad(ECDSA_SIG_get0_r(s), out, (int)comp) == (int)comp);
	OK(BN_bn2binpad(ECDSA_SIG_get0_s(s), out + comp, (int)comp) == (int)comp);
	ECDSA_SIG_free(s);
}

static void put(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v)
{
	OK(cbor_map_add(map, (struct cbor_pair){ .key = cbor_move(k), .value = cbor_move(v) }));
}

static cbor_item_t *sint(int64_t v)
{
	return v >= 0 ? cbor_build_uint64((uint64_t)v) : cbor_build_negint64((uint64_t)(-1 - v));
}

static cbor_item_t *bytes(const void *p, size_t n)
{
	return cbor_build_bytestring(p, n);
}

/* Serialise and consume an item. */
static uint8_t *ser(cbor_item_t *i, size_t *n)
{
	uint8_t *buf = NULL;
	size_t cap = 0;

	*n = cbor_serialize_alloc(i, &buf, &cap);
	OK(*n > 0);
	cbor_decref(&i);
	return buf;
}

/*
 * COSE_Sign1 (untagged array; `tag` prefixes tag 18) over `payload`, with
 * protected header {1: alg}, signed by k (or, when `wrong`, by another key).
 */
static uint8_t *cose(const uint8_t *payload, size_t pn, int64_t alg, EVP_PKEY *k, bool tag,
                     size_t *ret_n)
{
	cbor_item_t *hdr = cbor_new_definite_map(1), *arr = cbor_new_definite_array(4), *sig;
	uint8_t *h, *tbs, s[132];
	size_t hn, n = 0, comp = ((size_t)EVP_PKEY_get_bits(k) + 7) / 8, out_n;
	cbor_item_t *st = cbor_new_definite_array(4);
	const EVP_MD *md = alg == -7 ? EVP_sha256() : alg == -35 ? EVP_sha384() : EVP_sha512();
	uint8_t *out;

	put(hdr, sint(1), sint(alg));
	h = ser(hdr, &hn);
	OK(cbor_array_push(st, cbor_move(cbor_build_string("Signature1"))));
	OK(cbor_array_push(st, cbor_move(bytes(h, hn))));
	OK(cbor_array_push(st, cbor_move(bytes("", 0))));
	OK(cbor_array_push(st, cbor_move(bytes(payload, pn))));
	tbs = ser(st, &n);
	sign(k, md, comp, tbs, n, s);
	free(tbs);
	sig = bytes(s, 2 * comp);
	OK(cbor_array_push(arr, cbor_move(bytes(h, hn))));
	OK(cbor_array_push(arr, cbor_move(cbor_new_definite_map(0))));
	OK(cbor_array_push(arr, cbor_move(bytes(payload, pn))));
	OK(cbor_array_push(arr, cbor_move(sig)));
	free(h);
	out = ser(arr, &out_n);
	if (tag) {
		uint8_t *t = malloc(out_n + 1);

		OK(t);
		t[0] = 0xd2;
		memcpy(t + 1, out, out_n);
		free(out);
		out = t;
		out_n++;
	}
	*ret_n = out_n;
	return out;
}

static X509 *cert(EVP_PKEY *k, const char *cn, X509 *issuer, EVP_PKEY *ik, int64_t nb, int64_t na)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	OK(x && X509_set_version(x, 2) == 1);
	OK(ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(nb & 0xffff) + 1) == 1);
	OK(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                              (const unsigned char *)cn, -1, -1, 0) == 1);
	OK(X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) == 1);
	OK(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) &&
	   ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na));
	OK(X509_set_pubkey(x, k) == 1);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	OK((e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	                            issuer ? "critical,CA:FALSE" : "critical,CA:TRUE")));
	OK(X509_add_ext(x, e, -1) == 1);
	X509_EXTENSION_free(e);
	OK(X509_sign(x, ik ? ik : k, EVP_sha384()) > 0);
	return x;
}

static cbor_item_t *der_of(X509 *x)
{
	uint8_t *d = NULL;
	int n = i2d_X509(x, &d);
	cbor_item_t *b;

	OK(n > 0);
	b = bytes(d, (size_t)n);
	OPENSSL_free(d);
	return b;
}

static cu_verifier *verifier_with_root(X509 *root)
{
	struct cu_error err = { 0 };
	cu_verifier *v;
	uint8_t *d = NULL;
	int n = i2d_X509(root, &d);

	OK(cu_verifier_new(&v, &err) == 0);
	OK(n > 0 && cu_verifier_add_test_root_INSECURE(v, d, (size_t)n, &err) == 0);
	OPENSSL_free(d);
	return v;
}

static void expect(cu_verifier *v, const char *fmt, const uint8_t *buf, size_t n, int code,
                   const char *stage, const uint8_t *rd, size_t rdn)
{
	struct cu_verify_opts o = { .at = AT, .report_data = rd, .report_data_size = rdn };
	struct cu_error err = { 0 };
	json_t *c = NULL;
	int r = cu_verify(v, fmt, buf, n, &o, &c, &err);

	if (r != code || (code && strcmp(err.stage, stage)))
		fail_msg("%s: expected %s at %s, got %s at %s: %s", fmt, cu_errname(code),
		         stage ? stage : "-", cu_errname(r), r ? err.stage : "-",
		         r ? err.message : "verified");
	json_decref(c);
}

/* ------------------------------------------------------------------ Nitro */

struct nitro_opts {
	const char *drop;   /* a member left out */
	const char *extra;  /* an unknown member added */
	bool digest_sha256; /* "SHA256" */
	int pcr_index;      /* an index other than 0..2, e.g. 32 */
	size_t pcr_len;     /* 48, or another */
	bool nonce_text;    /* the nonce as a text string */
	int64_t alg;        /* -35 */
	bool other_signer;  /* signed by a key the certificate does not hold */
	bool tagged;
};

struct nitro_pki {
	EVP_PKEY *root_key, *leaf_key;
	X509 *root, *leaf;
};

static void nitro_pki(struct nitro_pki *p, int64_t leaf_nb, int64_t leaf_na)
{
	p->root_key = key("P-384");
	p->leaf_key = key("P-384");
	p->root = cert(p->root_key, "test nitro root", NULL, NULL, AT - 86400, AT + 86400);
	p->leaf =
	    cert(p->leaf_key, "i-test-enc01.test.aws", p->root, p->root_key, leaf_nb, leaf_na);
}

static void nitro_pki_free(struct nitro_pki *p)
{
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->leaf_key);
	X509_free(p->root);
	X509_free(p->leaf);
}

static uint8_t *nitro_doc(const struct nitro_pki *p, const struct nitro_opts *o, size_t *n)
{
	cbor_item_t *m = cbor_new_definite_map(16), *pcrs = cbor_new_definite_map(4),
	            *bundle = cbor_new_definite_array(1);
	uint8_t pcr[64] = { 0 }, *payload, *doc;
	size_t pn;
	EVP_PKEY *other = o->other_signer ? key("P-384") : NULL;

	memset(pcr, 0xab, sizeof(pcr));
	for (int i = 0; i < 3; i++)
		put(pcrs, sint(i), bytes(pcr, o->pcr_len ? o->pcr_len : 48));
	if (o->pcr_index)
		put(pcrs, sint(o->pcr_index), bytes(pcr, 48));
	OK(cbor_array_push(bundle, cbor_move(der_of(p->root))));
#define MEMBER(name, value)                                                                        \
	if (!o->drop || strcmp(o->drop, name))                                                     \
		put(m, cbor_build_string(name), value);                                            \
	else                                                                                       \
		cbor_decref(&(cbor_item_t *){ value })
	MEMBER("module_id", cbor_build_string("i-test-enc01"));
	MEMBER("digest", cbor_build_string(o->digest_sha256 ? "SHA256" : "SHA384"));
	MEMBER("timestamp", cbor_build_uint64((uint64_t)AT * 1000));
	MEMBER("pcrs", pcrs);
	MEMBER("certificate", der_of(p->leaf));
	MEMBER("cabundle", bundle);
	MEMBER("public_key", cbor_new_null());
	MEMBER("user_data", bytes("user-data", 9));
	MEMBER("nonce", o->nonce_text ? cbor_build_string("nonce") : bytes("nonce-1", 7));
#undef MEMBER
	if (o->extra)
		put(m, cbor_build_string(o->extra), cbor_new_null());
	payload = ser(m, &pn);
	doc = cose(payload, pn, o->alg ? o->alg : -35, other ? other : p->leaf_key, o->tagged, n);
	EVP_PKEY_free(other);
	free(payload);
	return doc;
}

static void nitro_case(const struct nitro_opts *o, int code, const char *stage)
{
	struct nitro_pki p;
	cu_verifier *v;
	uint8_t *doc;
	size_t n;

	nitro_pki(&p, AT - 3600, AT + 7200);
	v = verifier_with_root(p.root);
	doc = nitro_doc(&p, o, &n);
	expect(v, "nitro", doc, n, code, stage, NULL, 0);
	free(doc);
	cu_verifier_free(v);
	nitro_pki_free(&p);
}

static void test_nitro(void **state)
{
	struct nitro_pki p;
	cu_verifier *v;
	uint8_t *doc;
	size_t n;

	nitro_case(&(struct nitro_opts){ 0 }, 0, NULL);
	nitro_case(&(struct nitro_opts){ .tagged = true }, 0, NULL);
	nitro_case(&(struct nitro_opts){ .drop = "module_id" }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .drop = "certificate" }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .drop = "cabundle" }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .drop = "pcrs" }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .extra = "surprise" }, CU_ERR_MALFORMED, "parse");
	{
		struct nitro_pki q;
		struct cu_error err = { 0 };
		struct cu_verify_opts o = { .at = AT };
		json_t *c = NULL;

		nitro_pki(&q, AT - 3600, AT + 7200);
		v = verifier_with_root(q.root);
		doc = nitro_doc(&q, &(struct nitro_opts){ .extra = "surprise" }, &n);
		OK(cu_verify(v, "nitro", doc, n, &o, &c, &err) == CU_ERR_MALFORMED);
		assert_non_null(strstr(err.message, "\"surprise\""));
		free(doc);
		cu_verifier_free(v);
		nitro_pki_free(&q);
	}
	nitro_case(&(struct nitro_opts){ .digest_sha256 = true }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .pcr_index = 32 }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .pcr_len = 20 }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .nonce_text = true }, CU_ERR_MALFORMED, "parse");
	nitro_case(&(struct nitro_opts){ .alg = -36 }, CU_ERR_UNSUPPORTED, "parse");
	nitro_case(&(struct nitro_opts){ .other_signer = true }, CU_ERR_SIGNATURE, "signature");

	/* the leaf's short life, and a root nobody trusts */
	nitro_pki(&p, AT - 7200, AT - 60);
	v = verifier_with_root(p.root);
	doc = nitro_doc(&p, &(struct nitro_opts){ 0 }, &n);
	expect(v, "nitro", doc, n, CU_ERR_EXPIRED, "chain", NULL, 0);
	cu_verifier_free(v);
	OK(cu_verifier_new(&v, NULL) == 0);
	expect(v, "nitro", doc, n, CU_ERR_CHAIN, "chain", NULL, 0);
	cu_verifier_free(v);
	free(doc);
	nitro_pki_free(&p);

	/* the binding: nonce or user_data, exactly */
	nitro_pki(&p, AT - 3600, AT + 7200);
	v = verifier_with_root(p.root);
	doc = nitro_doc(&p, &(struct nitro_opts){ 0 }, &n);
	expect(v, "nitro", doc, n, 0, NULL, (const uint8_t *)"nonce-1", 7);
	expect(v, "nitro", doc, n, 0, NULL, (const uint8_t *)"user-data", 9);
	expect(v, "nitro", doc, n, CU_ERR_BINDING, "binding", (const uint8_t *)"nonce-", 6);
	/* truncated anywhere: a parse error, never a crash */
	for (size_t cut = 0; cut < n; cut += 13)
		expect(v, "nitro", doc, cut, CU_ERR_MALFORMED, "parse", NULL, 0);
	free(doc);
	cu_verifier_free(v);
	nitro_pki_free(&p);
}

/* -------------------------------------------------------------------- CCA */

struct cca_opts {
	bool cose_key;        /* the RAK as a COSE_Key (draft-ffm), else a raw point */
	size_t challenge_len; /* 64 */
	bool drop_rak;        /* no realm public key */
	bool bad_rak;         /* a realm public key that is no point */
	const char *rak_hash; /* "sha-256" */
	bool wrong_binding;   /* a platform challenge that is not the RAK's hash */
	bool realm_other_key; /* the realm token signed by another key than the RAK */
	int64_t realm_alg;    /* -35 */
	uint64_t tag;         /* 399 */
};

static uint8_t *cca_token(EVP_PKEY *cpak, const struct cca_opts *o, size_t *n)
{
	EVP_PKEY *rak = key("P-384"), *other = key("P-384");
	cbor_item_t *r = cbor_new_definite_map(8), *p = cbor_new_definite_map(8),
	            *top = cbor_new_definite_map(2), *rem = cbor_new_definite_array(4), *tagged;
	uint8_t ch[64], x[96], rakb[200], h[64], *rt, *pt, *rc, *pc, *out;
	size_t rakn, rtn, ptn, rcn, pcn;
	const char *alg = o->rak_hash ? o->rak_hash : "sha-256";
	unsigned hn = 0;

	memset(ch, 0x11, sizeof(ch));
	xy(rak, x, 48);
	if (o->cose_key) {
		cbor_item_t *k = cbor_new_definite_map(4);

		put(k, sint(1), sint(2));
		put(k, sint(-1), sint(2));
		put(k, sint(-2), bytes(x, 48));
		put(k, sint(-3), bytes(x + 48, 48));
		{
			uint8_t *kb = ser(k, &rakn);

			memcpy(rakb, kb, rakn);
			free(kb);
		}
	} else {
		rakb[0] = 0x04;
		memcpy(rakb + 1, x, 96);
		rakn = 97;
	}
	if (o->bad_rak)
		rakb[1] ^= 0xff;
	for (int i = 0; i < 4; i++)
		OK(cbor_array_push(rem, cbor_move(bytes(ch, 48))));
	put(r, sint(10), bytes(ch, o->challenge_len ? o->challenge_len : 64));
	put(r, sint(44235), bytes(ch, 64));
	put(r, sint(44238), bytes(ch, 48));
	put(r, sint(44239), rem);
	put(r, sint(44236), cbor_build_string("sha-384"));
	if (!o->drop_rak)
		put(r, sint(44237), bytes(rakb, rakn));
	put(r, sint(44240), cbor_build_string(alg));
	rc = ser(r, &rcn);
	rt = cose(rc, rcn, o->realm_alg ? o->realm_alg : -35, o->realm_other_key ? other : rak,
	          true, &rtn);
	OK(EVP_Digest(rakb, rakn, h, &hn, !strcmp(alg, "sha-512") ? EVP_sha512() : EVP_sha256(),
	              NULL) == 1);
	if (o->wrong_binding)
		h[0] ^= 1;
	put(p, sint(265), cbor_build_string("tag:arm.com,2023:cca_platform#1.0.0"));
	put(p, sint(10), bytes(h, hn));
	put(p, sint(2396), bytes(ch, 32));
	put(p, sint(256), bytes(ch, 33));
	put(p, sint(2401), bytes("cfg", 3));
	put(p, sint(2395), sint(0x3003));
	put(p, sint(2402), cbor_build_string("sha-256"));
	pc = ser(p, &pcn);
	pt = cose(pc, pcn, -35, cpak, true, &ptn);
	put(top, sint(44234), bytes(pt, ptn));
	put(top, sint(44241), bytes(rt, rtn));
	tagged = cbor_new_tag(o->tag ? o->tag : 399);
	cbor_tag_set_item(tagged, cbor_move(top));
	out = ser(tagged, n);
	free(rc);
	free(rt);
	free(pc);
	free(pt);
	EVP_PKEY_free(rak);
	EVP_PKEY_free(other);
	return out;
}

static cu_verifier *verifier_with_key(EVP_PKEY *k)
{
	struct cu_error err = { 0 };
	cu_verifier *v;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	OK(cu_verifier_new(&v, &err) == 0);
	OK(bio && PEM_write_bio_PUBKEY(bio, k) == 1);
	n = BIO_get_mem_data(bio, &pem);
	OK(cu_verifier_add_collateral_mem(v, (uint8_t *)pem, (size_t)n, "cpak", &err) == 1);
	BIO_free(bio);
	return v;
}

static void cca_case(EVP_PKEY *cpak, cu_verifier *v, const struct cca_opts *o, int code,
                     const char *stage)
{
	size_t n;
	uint8_t *t = cca_token(cpak, o, &n);

	expect(v, "cca", t, n, code, stage, NULL, 0);
	free(t);
}

static void test_cca(void **state)
{
	EVP_PKEY *cpak = key("P-384"), *stranger = key("P-384");
	cu_verifier *v = verifier_with_key(cpak), *w = verifier_with_key(stranger);
	uint8_t ch[64], *t;
	size_t n;

	cca_case(cpak, v, &(struct cca_opts){ 0 }, 0, NULL);
	cca_case(cpak, v, &(struct cca_opts){ .cose_key = true }, 0, NULL);
	cca_case(cpak, v, &(struct cca_opts){ .rak_hash = "sha-512" }, 0, NULL);
	cca_case(cpak, v, &(struct cca_opts){ .challenge_len = 63 }, CU_ERR_MALFORMED, "parse");
	cca_case(cpak, v, &(struct cca_opts){ .drop_rak = true }, CU_ERR_MALFORMED, "parse");
	cca_case(cpak, v, &(struct cca_opts){ .bad_rak = true }, CU_ERR_MALFORMED, "parse");
	cca_case(cpak, v, &(struct cca_opts){ .tag = 400 }, CU_ERR_MALFORMED, "parse");
	cca_case(cpak, v, &(struct cca_opts){ .realm_alg = -7 }, CU_ERR_UNSUPPORTED,
	         "realm-signature");
	cca_case(cpak, v, &(struct cca_opts){ .realm_other_key = true }, CU_ERR_SIGNATURE,
	         "realm-signature");
	cca_case(cpak, v, &(struct cca_opts){ .wrong_binding = true }, CU_ERR_BINDING,
	         "realm-binding");
	cca_case(cpak, v, &(struct cca_opts){ .rak_hash = "md5" }, CU_ERR_UNSUPPORTED,
	         "realm-binding");
	cca_case(cpak, w, &(struct cca_opts){ 0 }, CU_ERR_SIGNATURE, "platform-signature");
	/* the caller's binding is the realm challenge */
	t = cca_token(cpak, &(struct cca_opts){ 0 }, &n);
	memset(ch, 0x11, sizeof(ch));
	expect(v, "cca", t, n, 0, NULL, ch, 64);
	ch[5] ^= 1;
	expect(v, "cca", t, n, CU_ERR_BINDING, "binding", ch, 64);
	for (size_t cut = 1; cut < n; cut += 11)
		expect(v, "cca", t, cut, CU_ERR_MALFORMED, "parse", NULL, 0);
	free(t);
	cu_verifier_free(v);
	cu_verifier_free(w);
	EVP_PKEY_free(cpak);
	EVP_PKEY_free(stranger);
}

/* The CBOR scan's limits: nesting, indefinite lengths, trailing bytes. */
static void test_cbor_limits(void **state)
{
	uint8_t deep[40], *out;
	size_t n = 0;
	cu_verifier *v;
	struct cu_error err = { 0 };
	json_t *c = NULL;
	struct cu_verify_opts o = { .at = AT };

	OK(cu_verifier_new(&v, &err) == 0);
	/* tag 18 then arrays nested 30 deep */
	deep[n++] = 0xd2;
	while (n < sizeof(deep) - 1)
		deep[n++] = 0x81;
	deep[n++] = 0x00;
	assert_int_equal(cu_verify(v, "nitro", deep, n, &o, &c, &err), CU_ERR_TOO_LARGE);
	assert_non_null(strstr(err.message, "nested deeper"));
	/* an indefinite-length array */
	out = (uint8_t *)"\xd2\x9f\x40\xa0\x40\x40\xff";
	assert_int_equal(cu_verify(v, "nitro", out, 7, &o, &c, &err), CU_ERR_MALFORMED);
	assert_non_null(strstr(err.message, "indefinite"));
	/* bytes after the item */
	out = (uint8_t *)"\x84\x40\xa0\x40\x40\x00";
	assert_int_equal(cu_verify(v, "nitro", out, 6, &o, &c, &err), CU_ERR_MALFORMED);
	assert_non_null(strstr(err.message, "after the CBOR item"));
	assert_null(c);
	cu_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nitro),
		cmocka_unit_test(test_cca),
		cmocka_unit_test(test_cbor_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
