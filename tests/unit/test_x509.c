/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/crypto/x509.c: parsing, accessors, chain and CRL verification. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "../../src/base/limits.h"
#include "../../src/base/time.h"
#include "../../src/crypto/openssl-util.h"
#include "../../src/crypto/x509.h"
#include "test-util.h"

#define AMD_BLSPL_OID "1.3.6.1.4.1.3704.1.3.1"

struct pki {
	EVP_PKEY *root_key, *int_key, *leaf_key, *other_key;
	X509 *root, *inter, *leaf, *other_root;
	/* Validity of each certificate. */
	int64_t root_nb, root_na, int_nb, int_na, leaf_nb, leaf_na;
};

static int64_t T(const char *s)
{
	int64_t t = 0;

	assert_int_equal(cu_time_parse_rfc3339(s, &t), 0);
	return t;
}

/* ---- building certificates and CRLs ---- */

static EVP_PKEY *ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static void add_raw_ext(X509 *x, const char *oid, const void *value, size_t size)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	assert_non_null(obj);
	assert_non_null(os);
	assert_int_equal(ASN1_OCTET_STRING_set(os, value, (int)size), 1);
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

/* Round-trip through DER so that the object is exactly what a parser sees. */
static X509 *reparse_cert(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_X509(x, &der);
	X509 *y;

	assert_true(len > 0);
	p = der;
	y = d2i_X509(NULL, &p, len);
	assert_non_null(y);
	OPENSSL_free(der);
	X509_free(x);
	return y;
}

static X509_CRL *reparse_crl(X509_CRL *c)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_X509_CRL(c, &der);
	X509_CRL *d;

	assert_true(len > 0);
	p = der;
	d = d2i_X509_CRL(NULL, &p, len);
	assert_non_null(d);
	OPENSSL_free(der);
	X509_CRL_free(c);
	return d;
}

static void set_time(ASN1_TIME *field, int64_t t)
{
	assert_non_null(ASN1_TIME_set(field, (time_t)t));
}

/*
 * A certificate for `key` named `cn`, issued by `issuer` with `issuer_key`
 * (self-signed when issuer is NULL), valid [nb, na]. Unsigned when
 * issuer_key is NULL (the caller signs it).
 */
static X509 *make_cert_unsigned(const char *cn, EVP_PKEY *key, X509 *issuer, int64_t nb, int64_t na,
                                bool ca, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	assert_non_null(x);
	assert_non_null(name);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	if (cn)
		assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		                                            (const unsigned char *)cn, -1, -1, 0),
		                 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	                                            (const unsigned char *)"Custos Test", -1, -1,
	                                            0),
	                 1);
	assert_int_equal(X509_set_subject_name(x, name), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name), 1);
	X509_NAME_free(name);
	set_time(X509_getm_notBefore(x), nb);
	set_time(X509_getm_notAfter(x), na);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	if (ca) {
		add_ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,digitalSignature");
	}
	return x;
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       int64_t nb, int64_t na, bool ca, long serial)
{
	X509 *x = make_cert_unsigned(cn, key, issuer, nb, na, ca, serial);

	assert_true(X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) > 0);
	return reparse_cert(x);
}

static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key, int64_t last, int64_t next,
                          const long *revoked, size_t n_revoked)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t_last = ASN1_TIME_set(NULL, (time_t)last);
	ASN1_TIME *t_next = ASN1_TIME_set(NULL, (time_t)next);

	assert_non_null(crl);
	assert_non_null(t_last);
	assert_non_null(t_next);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t_last), 1);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t_next), 1);
	for (size_t i = 0; i < n_revoked; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *serial = ASN1_INTEGER_new();

		assert_non_null(r);
		assert_non_null(serial);
		assert_int_equal(ASN1_INTEGER_set(serial, revoked[i]), 1);
		assert_int_equal(X509_REVOKED_set_serialNumber(r, serial), 1);
		assert_int_equal(X509_REVOKED_set_revocationDate(r, t_last), 1);
		assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
		ASN1_INTEGER_free(serial);
	}
	assert_int_equal(X509_CRL_sort(crl), 1);
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	ASN1_TIME_free(t_last);
	ASN1_TIME_free(t_next);
	return reparse_crl(crl);
}

static int setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	/*
	 * Windows chosen so that the latest notBefore (intermediate) and the
	 * earliest notAfter (leaf) come from different certificates; the root
	 * runs past 2050 (GeneralizedTime).
	 */
	p->root_nb = T("2020-01-01T00:00:00Z");
	p->root_na = T("2060-01-01T00:00:00Z");
	p->int_nb = T("2021-01-01T00:00:00Z");
	p->int_na = T("2035-01-01T00:00:00Z");
	p->leaf_nb = T("2020-06-01T12:00:00Z");
	p->leaf_na = T("2029-01-01T00:00:00Z");

	p->root_key = ec_key();
	p->int_key = ec_key();
	p->leaf_key = ec_key();
	p->other_key = ec_key();
	p->root = make_cert("Test Root", p->root_key, NULL, NULL, p->root_nb, p->root_na, true, 1);
	p->inter = make_cert("Test Intermediate", p->int_key, p->root, p->root_key, p->int_nb,
	                     p->int_na, true, 2);
	p->leaf = make_cert("Test Leaf", p->leaf_key, p->inter, p->int_key, p->leaf_nb, p->leaf_na,
	                    false, 3);
	p->other_root =
	    make_cert("Other Root", p->other_key, NULL, NULL, p->root_nb, p->root_na, true, 1);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pki *p = *state;

	X509_free(p->root);
	X509_free(p->inter);
	X509_free(p->leaf);
	X509_free(p->other_root);
	EVP_PKEY_free(p->root_key);
	EVP_PKEY_free(p->int_key);
	EVP_PKEY_free(p->leaf_key);
	EVP_PKEY_free(p->other_key);
	free(p);
	return 0;
}

/* A non-owning stack of the given certificates. */
static STACK_OF(X509) * stack_of(X509 *a, X509 *b)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	assert_non_null(sk);
	if (a)
		assert_true(sk_X509_push(sk, a) > 0);
	if (b)
		assert_true(sk_X509_push(sk, b) > 0);
	return sk;
}

static STACK_OF(X509_CRL) * crl_stack_of(X509_CRL *a, X509_CRL *b)
{
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();

	assert_non_null(sk);
	if (a)
		assert_true(sk_X509_CRL_push(sk, a) > 0);
	if (b)
		assert_true(sk_X509_CRL_push(sk, b) > 0);
	return sk;
}

/* Verify p->leaf with roots/untrusted/crls; on failure check *res is untouched. */
static int verify(struct pki *p, X509 *leaf, STACK_OF(X509) * roots, STACK_OF(X509) * untrusted,
                  STACK_OF(X509_CRL) * crls, int64_t at, unsigned max_depth,
                  struct cu_chain_result *res, struct cu_error *err)
{
	struct cu_chain_opts opts = {
		.roots = roots,
		.untrusted = untrusted,
		.crls = crls,
		.at = at,
		.max_depth = max_depth,
	};
	struct cu_chain_result pattern;
	int r;

	memset(&pattern, 0xa5, sizeof(pattern));
	memcpy(res, &pattern, sizeof(*res));
	r = cu_x509_verify_chain(leaf, &opts, res, err);
	if (r < 0) {
		assert_memory_equal(res, &pattern, sizeof(*res));
		if (err) {
			assert_int_equal(err->code, r);
			assert_string_equal(err->stage, "chain");
		}
	}
	return r;
}

/* ---- chain verification ---- */

static void test_chain_ok(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, NULL, T("2024-03-01T00:00:00Z"), 8, &res, &err),
	    0);
	assert_non_null(res.chain);
	assert_int_equal(sk_X509_num(res.chain), 3);
	assert_int_equal(X509_cmp(sk_X509_value(res.chain, 0), p->leaf), 0);
	assert_int_equal(X509_cmp(sk_X509_value(res.chain, 1), p->inter), 0);
	assert_int_equal(X509_cmp(sk_X509_value(res.chain, 2), p->root), 0);
	/* The window: latest notBefore, earliest notAfter over the chain. */
	assert_int_equal(res.not_before, p->int_nb);
	assert_int_equal(res.not_after, p->leaf_na);
	/* No CRLs given at all. */
	assert_true(res.crl_missing == UINT32_MAX);
	cu_chain_result_done(&res);
	assert_null(res.chain);
	cu_chain_result_done(&res); /* idempotent */
	cu_chain_result_done(NULL);

	/* An empty CRL stack is the same as none. */
	{
		STACK_OF(X509_CRL) *crls = crl_stack_of(NULL, NULL);

		assert_int_equal(verify(p, p->leaf, roots, untrusted, crls,
		                        T("2024-03-01T00:00:00Z"), 8, &res, NULL),
		                 0);
		assert_true(res.crl_missing == UINT32_MAX);
		cu_chain_result_done(&res);
		sk_X509_CRL_free(crls);
	}

	/* max_depth 0 means the default limit; 3 is exactly enough. */
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, NULL, T("2024-03-01T00:00:00Z"), 0, &res, &err),
	    0);
	cu_chain_result_done(&res);
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, NULL, T("2024-03-01T00:00:00Z"), 3, &res, &err),
	    0);
	cu_chain_result_done(&res);

	/* Exactly at the edges of the window. */
	assert_int_equal(verify(p, p->leaf, roots, untrusted, NULL, p->int_nb, 8, &res, &err), 0);
	cu_chain_result_done(&res);
	/*
	 * The window is half-open, [not_before, not_after): OpenSSL treats
	 * notAfter itself as already expired, so the last accepted second is
	 * notAfter - 1 and verification at res.not_after fails.
	 */
	assert_int_equal(verify(p, p->leaf, roots, untrusted, NULL, p->leaf_na - 1, 8, &res, &err),
	                 0);
	assert_int_equal(res.not_after, p->leaf_na);
	cu_chain_result_done(&res);
	assert_int_equal(verify(p, p->leaf, roots, untrusted, NULL, p->leaf_na, 8, &res, &err),
	                 CU_ERR_EXPIRED);

	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

static void test_chain_expired(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	/* Before the intermediate is valid (the leaf already is). */
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, NULL, T("2020-12-01T00:00:00Z"), 8, &res, &err),
	    CU_ERR_EXPIRED);
	assert_string_equal(err.stage, "chain");
	assert_non_null(strstr(err.message, "Test Intermediate"));
	assert_int_equal(verify(p, p->leaf, roots, untrusted, NULL, p->int_nb - 1, 8, &res, &err),
	                 CU_ERR_EXPIRED);

	/* After the leaf expired. */
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, NULL, T("2029-06-01T00:00:00Z"), 8, &res, &err),
	    CU_ERR_EXPIRED);
	assert_string_equal(err.stage, "chain");
	assert_non_null(strstr(err.message, "Test Leaf"));
	assert_int_equal(verify(p, p->leaf, roots, untrusted, NULL, p->leaf_na + 1, 8, &res, &err),
	                 CU_ERR_EXPIRED);

	/* Before everything. */
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, NULL, T("2010-01-01T00:00:00Z"), 8, &res, NULL),
	    CU_ERR_EXPIRED);

	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

static void test_chain_untrusted(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *other = stack_of(p->other_root, NULL);
	STACK_OF(X509) *inter_only = stack_of(p->inter, NULL);
	STACK_OF(X509) *empty = stack_of(NULL, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	STACK_OF(X509) *root_as_untrusted = stack_of(p->inter, p->root);
	const int64_t at = T("2024-03-01T00:00:00Z");
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	/* An unknown root. */
	assert_int_equal(verify(p, p->leaf, other, untrusted, NULL, at, 8, &res, &err),
	                 CU_ERR_CHAIN);
	/* No roots at all. */
	assert_int_equal(verify(p, p->leaf, empty, untrusted, NULL, at, 8, &res, &err),
	                 CU_ERR_CHAIN);
	assert_int_equal(verify(p, p->leaf, NULL, untrusted, NULL, at, 8, &res, &err),
	                 CU_ERR_CHAIN);
	/* The root among the untrusted certificates does not make it trusted. */
	assert_int_equal(verify(p, p->leaf, other, root_as_untrusted, NULL, at, 8, &res, &err),
	                 CU_ERR_CHAIN);
	/* A partial chain (the intermediate as anchor) is refused. */
	assert_int_equal(verify(p, p->leaf, inter_only, NULL, NULL, at, 8, &res, &err),
	                 CU_ERR_CHAIN);

	sk_X509_free(other);
	sk_X509_free(inter_only);
	sk_X509_free(empty);
	sk_X509_free(untrusted);
	sk_X509_free(root_as_untrusted);
}

static void test_chain_missing_intermediate(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	assert_int_equal(
	    verify(p, p->leaf, roots, NULL, NULL, T("2024-03-01T00:00:00Z"), 8, &res, &err),
	    CU_ERR_CHAIN);
	sk_X509_free(roots);
}

static void test_chain_too_long(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	const int64_t at = T("2024-03-01T00:00:00Z");
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	/* Three certificates, two allowed. */
	assert_int_equal(verify(p, p->leaf, roots, untrusted, NULL, at, 2, &res, &err),
	                 CU_ERR_CHAIN);
	/* The intermediate itself (two certificates) fits in two. */
	assert_int_equal(verify(p, p->inter, roots, NULL, NULL, at, 2, &res, &err), 0);
	assert_int_equal(sk_X509_num(res.chain), 2);
	cu_chain_result_done(&res);

	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

/*
 * max_depth 1 allows only the root itself, so a two-certificate chain must
 * be refused.
 */
static void test_chain_max_depth_one(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	const int64_t at = T("2024-03-01T00:00:00Z");
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	assert_int_equal(verify(p, p->inter, roots, NULL, NULL, at, 1, &res, &err), CU_ERR_CHAIN);
	assert_int_equal(verify(p, p->leaf, roots, untrusted, NULL, at, 1, &res, &err),
	                 CU_ERR_CHAIN);

	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

static void test_chain_bad_signature(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	const int64_t at = T("2024-03-01T00:00:00Z");
	struct cu_chain_result res;
	struct cu_error err = { 0 };
	/* Named as issued by the intermediate, but signed by another key. */
	X509 *forged = make_cert("Forged Leaf", p->leaf_key, p->inter, p->other_key, p->leaf_nb,
	                         p->leaf_na, false, 99);

	assert_int_equal(verify(p, forged, roots, untrusted, NULL, at, 8, &res, &err),
	                 CU_ERR_SIGNATURE);
	X509_free(forged);
	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

static void test_crl_revoked(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	const long revoked_int[] = { 2 };
	const long revoked_leaf[] = { 7, 3 };
	X509_CRL *root_crl = make_crl(p->root, p->root_key, T("2024-01-01T00:00:00Z"),
	                              T("2024-07-01T00:00:00Z"), revoked_int, 1);
	X509_CRL *int_crl = make_crl(p->inter, p->int_key, T("2024-01-01T00:00:00Z"),
	                             T("2024-07-01T00:00:00Z"), revoked_leaf, 2);
	STACK_OF(X509_CRL) *crls = crl_stack_of(root_crl, NULL);
	STACK_OF(X509_CRL) *crls_leaf = crl_stack_of(int_crl, NULL);
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	/* The root revoked the intermediate. */
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, crls, T("2024-03-01T00:00:00Z"), 8, &res, &err),
	    CU_ERR_REVOKED);
	assert_non_null(strstr(err.message, "Test Intermediate"));

	/* The intermediate revoked the leaf. */
	assert_int_equal(verify(p, p->leaf, roots, untrusted, crls_leaf, T("2024-03-01T00:00:00Z"),
	                        8, &res, &err),
	                 CU_ERR_REVOKED);
	assert_non_null(strstr(err.message, "Test Leaf"));

	sk_X509_CRL_free(crls);
	sk_X509_CRL_free(crls_leaf);
	X509_CRL_free(root_crl);
	X509_CRL_free(int_crl);
	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

static void test_crl_not_revoked(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	const long revoked[] = { 42, 43 };
	X509_CRL *root_crl = make_crl(p->root, p->root_key, T("2024-01-01T00:00:00Z"),
	                              T("2024-07-01T00:00:00Z"), revoked, 2);
	X509_CRL *int_crl = make_crl(p->inter, p->int_key, T("2024-02-01T00:00:00Z"),
	                             T("2024-06-01T00:00:00Z"), NULL, 0);
	STACK_OF(X509_CRL) *crls = crl_stack_of(root_crl, NULL);
	STACK_OF(X509_CRL) *both = crl_stack_of(root_crl, int_crl);
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, crls, T("2024-03-01T00:00:00Z"), 8, &res, &err),
	    0);
	assert_int_equal(sk_X509_num(res.chain), 3);
	/* The intermediate (depth 1) is covered; the leaf (depth 0) is not. */
	assert_true(res.crl_missing & 1u);
	assert_false(res.crl_missing & 2u);
	assert_true(res.crl_missing != UINT32_MAX);
	/* The CRL's own window bounds the result. */
	assert_int_equal(res.not_before, T("2024-01-01T00:00:00Z"));
	assert_int_equal(res.not_after, T("2024-07-01T00:00:00Z"));
	cu_chain_result_done(&res);

	/* Half-open at the CRL's edges too: lastUpdate accepted, nextUpdate expired. */
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, crls, T("2024-01-01T00:00:00Z"), 8, &res, &err),
	    0);
	cu_chain_result_done(&res);
	assert_int_equal(verify(p, p->leaf, roots, untrusted, crls, T("2024-07-01T00:00:00Z") - 1,
	                        8, &res, &err),
	                 0);
	cu_chain_result_done(&res);
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, crls, T("2024-07-01T00:00:00Z"), 8, &res, &err),
	    CU_ERR_EXPIRED);

	/* Both CRLs: the leaf and the intermediate are covered. */
	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, both, T("2024-03-01T00:00:00Z"), 8, &res, &err),
	    0);
	assert_false(res.crl_missing & 1u);
	assert_false(res.crl_missing & 2u);
	assert_int_equal(res.not_before, T("2024-02-01T00:00:00Z"));
	assert_int_equal(res.not_after, T("2024-06-01T00:00:00Z"));
	cu_chain_result_done(&res);

	sk_X509_CRL_free(crls);
	sk_X509_CRL_free(both);
	X509_CRL_free(root_crl);
	X509_CRL_free(int_crl);
	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

static void test_crl_expired(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	X509_CRL *old = make_crl(p->root, p->root_key, T("2023-01-01T00:00:00Z"),
	                         T("2023-06-01T00:00:00Z"), NULL, 0);
	X509_CRL *future = make_crl(p->root, p->root_key, T("2025-01-01T00:00:00Z"),
	                            T("2025-06-01T00:00:00Z"), NULL, 0);
	STACK_OF(X509_CRL) *crls_old = crl_stack_of(old, NULL);
	STACK_OF(X509_CRL) *crls_future = crl_stack_of(future, NULL);
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	assert_int_equal(verify(p, p->leaf, roots, untrusted, crls_old, T("2024-03-01T00:00:00Z"),
	                        8, &res, &err),
	                 CU_ERR_EXPIRED);
	assert_int_equal(verify(p, p->leaf, roots, untrusted, crls_future,
	                        T("2024-03-01T00:00:00Z"), 8, &res, &err),
	                 CU_ERR_EXPIRED);

	sk_X509_CRL_free(crls_old);
	sk_X509_CRL_free(crls_future);
	X509_CRL_free(old);
	X509_CRL_free(future);
	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

static void test_crl_bad_signature(void **state)
{
	struct pki *p = *state;
	STACK_OF(X509) *roots = stack_of(p->root, NULL);
	STACK_OF(X509) *untrusted = stack_of(p->inter, NULL);
	/* Names the root as issuer, signed by another key. */
	X509_CRL *forged = make_crl(p->root, p->other_key, T("2024-01-01T00:00:00Z"),
	                            T("2024-07-01T00:00:00Z"), NULL, 0);
	STACK_OF(X509_CRL) *crls = crl_stack_of(forged, NULL);
	struct cu_chain_result res;
	struct cu_error err = { 0 };

	assert_int_equal(
	    verify(p, p->leaf, roots, untrusted, crls, T("2024-03-01T00:00:00Z"), 8, &res, &err),
	    CU_ERR_SIGNATURE);

	sk_X509_CRL_free(crls);
	X509_CRL_free(forged);
	sk_X509_free(roots);
	sk_X509_free(untrusted);
}

/* ---- parsing ---- */

static uint8_t *pem_of(BIO *bio, size_t *ret_size)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	uint8_t *copy;

	assert_true(len > 0);
	copy = malloc((size_t)len);
	assert_non_null(copy);
	memcpy(copy, data, (size_t)len);
	*ret_size = (size_t)len;
	return copy;
}

static void test_parse_pem_bundle(void **state)
{
	struct pki *p = *state;
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	X509_CRL *crl = make_crl(p->root, p->root_key, T("2024-01-01T00:00:00Z"),
	                         T("2024-07-01T00:00:00Z"), NULL, 0);
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct cu_error err = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size;

	assert_non_null(bio);
	/* Text around and between the blocks is allowed. */
	assert_true(BIO_puts(bio, "Bundle of test certificates\n") > 0);
	assert_int_equal(PEM_write_bio_X509(bio, p->leaf), 1);
	assert_int_equal(PEM_write_bio_X509(bio, p->inter), 1);
	assert_true(BIO_puts(bio, "some comment\n") > 0);
	assert_int_equal(PEM_write_bio_X509_CRL(bio, crl), 1);
	assert_int_equal(PEM_write_bio_X509(bio, p->root), 1);
	buf = pem_of(bio, &size);

	assert_int_equal(cu_x509_parse_any(buf, size, &certs, &crls, &err), 4);
	assert_non_null(certs);
	assert_non_null(crls);
	assert_int_equal(sk_X509_num(certs), 3);
	assert_int_equal(sk_X509_CRL_num(crls), 1);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), p->leaf), 0);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 1), p->inter), 0);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 2), p->root), 0);
	assert_int_equal(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), crl), 0);

	/* Parsing again appends. */
	assert_int_equal(cu_x509_parse_any(buf, size, &certs, &crls, &err), 4);
	assert_int_equal(sk_X509_num(certs), 6);
	assert_int_equal(sk_X509_CRL_num(crls), 2);

	cu_x509_stack_freep(&certs);
	cu_crl_stack_freep(&crls);
	X509_CRL_free(crl);
}

/* A damaged certificate in a bundle is an error, and nothing from the bundle is kept. */
static void test_parse_damaged_pem(void **state)
{
	struct pki *p = *state;
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct cu_error err = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, p->leaf), 1);
	assert_true(
	    BIO_puts(bio,
	             "-----BEGIN CERTIFICATE-----\nMIIBAAAAbroken\n-----END CERTIFICATE-----\n") >
	    0);
	buf = pem_of(bio, &size);
	assert_int_equal(cu_x509_parse_any(buf, size, &certs, &crls, &err), CU_ERR_MALFORMED);
	assert_string_equal(err.stage, "collateral");
	assert_null(certs);
	assert_null(crls);
}

static void test_parse_der(void **state)
{
	struct pki *p = *state;
	X509_CRL *crl = make_crl(p->inter, p->int_key, T("2024-01-01T00:00:00Z"),
	                         T("2024-07-01T00:00:00Z"), NULL, 0);
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct cu_error err = { 0 };
	unsigned char *der = NULL;
	uint8_t *longer;
	int len;

	/* One DER certificate. */
	len = i2d_X509(p->leaf, &der);
	assert_true(len > 0);
	assert_int_equal(cu_x509_parse_any(der, (size_t)len, &certs, &crls, &err), 1);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(sk_X509_CRL_num(crls), 0);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), p->leaf), 0);

	/* With a trailing byte: not a certificate, nothing appended. */
	longer = malloc((size_t)len + 1);
	assert_non_null(longer);
	memcpy(longer, der, (size_t)len);
	longer[len] = 0;
	assert_int_equal(cu_x509_parse_any(longer, (size_t)len + 1, &certs, &crls, &err), 0);
	assert_int_equal(sk_X509_num(certs), 1);
	/* Truncated. */
	assert_int_equal(cu_x509_parse_any(der, (size_t)len - 1, &certs, &crls, &err), 0);
	assert_int_equal(sk_X509_num(certs), 1);
	free(longer);
	OPENSSL_free(der);
	der = NULL;

	/* One DER CRL. */
	len = i2d_X509_CRL(crl, &der);
	assert_true(len > 0);
	assert_int_equal(cu_x509_parse_any(der, (size_t)len, &certs, &crls, &err), 1);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(sk_X509_CRL_num(crls), 1);
	assert_int_equal(X509_CRL_cmp(sk_X509_CRL_value(crls, 0), crl), 0);

	/* A DER CRL with trailing bytes. */
	longer = malloc((size_t)len + 3);
	assert_non_null(longer);
	memcpy(longer, der, (size_t)len);
	memset(longer + len, 0xff, 3);
	assert_int_equal(cu_x509_parse_any(longer, (size_t)len + 3, &certs, &crls, &err), 0);
	assert_int_equal(sk_X509_CRL_num(crls), 1);
	free(longer);
	OPENSSL_free(der);

	cu_x509_stack_freep(&certs);
	cu_crl_stack_freep(&crls);
	X509_CRL_free(crl);
}

static void test_parse_nothing(void **state)
{
	struct pki *p = *state;
	static const uint8_t garbage[] = { 0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef };
	static const char text[] = "# README\nThis directory holds collateral.\n";
	static const char json[] = "{\"-----BEGIN \": \"not pem\"}\n";
	static const char fake_pem[] = "-----BEGIN CERTIFICATE-----\nnot base64!!\n"
	                               "-----END CERTIFICATE-----\n";
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct cu_error err = { 0 };
	_cleanup_free_ uint8_t *key_pem = NULL;
	size_t key_size;

	assert_int_equal(cu_x509_parse_any(garbage, sizeof(garbage), &certs, &crls, &err), 0);
	assert_int_equal(
	    cu_x509_parse_any((const uint8_t *)text, strlen(text), &certs, &crls, &err), 0);
	assert_int_equal(
	    cu_x509_parse_any((const uint8_t *)json, strlen(json), &certs, &crls, &err), 0);
	/* A certificate block that does not decode is damaged collateral, not "nothing". */
	assert_int_equal(
	    cu_x509_parse_any((const uint8_t *)fake_pem, strlen(fake_pem), &certs, &crls, &err),
	    CU_ERR_MALFORMED);
	assert_int_equal(cu_x509_parse_any(garbage, 0, &certs, &crls, &err), 0);

	/* A PEM private key is not collateral. */
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, p->leaf_key, NULL, NULL, 0, NULL, NULL), 1);
	key_pem = pem_of(bio, &key_size);
	assert_int_equal(cu_x509_parse_any(key_pem, key_size, &certs, &crls, &err), 0);
	/* Nor a public key. */
	(void)BIO_reset(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, p->leaf_key), 1);
	free(key_pem);
	key_pem = pem_of(bio, &key_size);
	assert_int_equal(cu_x509_parse_any(key_pem, key_size, &certs, &crls, &err), 0);

	/* Nothing found: the stacks were not even created. */
	assert_null(certs);
	assert_null(crls);
	/* No OpenSSL errors left behind. */
	assert_int_equal(ERR_peek_error(), 0);
}

static void test_parse_too_many(void **state)
{
	struct pki *p = *state;
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct cu_error err = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	unsigned char *der = NULL;
	size_t size;
	int len;

	/* Start with one certificate already present. */
	len = i2d_X509(p->root, &der);
	assert_int_equal(cu_x509_parse_any(der, (size_t)len, &certs, &crls, &err), 1);
	OPENSSL_free(der);

	assert_non_null(bio);
	for (unsigned i = 0; i < CU_LIMIT_CERTS_PER_FILE; i++)
		assert_int_equal(PEM_write_bio_X509(bio, p->leaf), 1);
	buf = pem_of(bio, &size);
	/* Exactly at the limit. */
	assert_int_equal(cu_x509_parse_any(buf, size, &certs, &crls, &err),
	                 (int)CU_LIMIT_CERTS_PER_FILE);
	assert_int_equal(sk_X509_num(certs), 1 + (int)CU_LIMIT_CERTS_PER_FILE);
	cu_x509_stack_freep(&certs);
	cu_crl_stack_freep(&crls);
	certs = NULL;
	crls = NULL;

	der = NULL;
	len = i2d_X509(p->root, &der);
	assert_int_equal(cu_x509_parse_any(der, (size_t)len, &certs, &crls, &err), 1);
	OPENSSL_free(der);

	/* One over. */
	assert_int_equal(PEM_write_bio_X509(bio, p->leaf), 1);
	free(buf);
	buf = pem_of(bio, &size);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cu_x509_parse_any(buf, size, &certs, &crls, &err), CU_ERR_TOO_LARGE);
	assert_int_equal(err.code, CU_ERR_TOO_LARGE);
	assert_string_equal(err.stage, "collateral");
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(sk_X509_CRL_num(crls), 0);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), p->root), 0);

	/* Also when the stacks did not exist yet. */
	{
		STACK_OF(X509) *c2 = NULL;
		STACK_OF(X509_CRL) *l2 = NULL;

		assert_int_equal(cu_x509_parse_any(buf, size, &c2, &l2, NULL), CU_ERR_TOO_LARGE);
		assert_null(c2);
		assert_null(l2);
	}

	cu_x509_stack_freep(&certs);
	cu_crl_stack_freep(&crls);
}

/* ---- accessors ---- */

static void test_subject_cn(void **state)
{
	struct pki *p = *state;
	char buf[64];
	char small[5];
	X509 *nocn =
	    make_cert(NULL, p->leaf_key, p->inter, p->int_key, p->leaf_nb, p->leaf_na, false, 5);

	cu_x509_subject_cn(p->leaf, buf, sizeof(buf));
	assert_string_equal(buf, "Test Leaf");
	cu_x509_subject_cn(p->root, buf, sizeof(buf));
	assert_string_equal(buf, "Test Root");

	memset(buf, 'X', sizeof(buf));
	cu_x509_subject_cn(nocn, buf, sizeof(buf));
	assert_string_equal(buf, "");

	/* Truncated to the buffer, always terminated. */
	memset(small, 'X', sizeof(small));
	cu_x509_subject_cn(p->leaf, small, sizeof(small));
	assert_int_equal(small[sizeof(small) - 1], '\0');
	assert_true(strlen(small) < sizeof(small));
	assert_memory_equal(small, "Test", strlen(small));

	X509_free(nocn);
}

static void test_validity(void **state)
{
	struct pki *p = *state;
	int64_t nb = 1, na = 2;

	assert_int_equal(cu_x509_validity(p->leaf, &nb, &na), 0);
	assert_int_equal(nb, p->leaf_nb);
	assert_int_equal(na, p->leaf_na);
	/* notAfter in 2060 is a GeneralizedTime. */
	assert_int_equal(cu_x509_validity(p->root, &nb, &na), 0);
	assert_int_equal(nb, p->root_nb);
	assert_int_equal(na, p->root_na);
	assert_int_equal(cu_x509_validity(p->inter, &nb, &na), 0);
	assert_int_equal(nb, p->int_nb);
	assert_int_equal(na, p->int_na);
}

static void test_sha256(void **state)
{
	struct pki *p = *state;
	uint8_t a[32], b[32], want[32];
	unsigned char *der = NULL;
	int len = i2d_X509(p->leaf, &der);

	assert_true(len > 0);
	SHA256(der, (size_t)len, want);
	OPENSSL_free(der);
	assert_int_equal(cu_x509_sha256(p->leaf, a), 0);
	assert_memory_equal(a, want, 32);
	assert_int_equal(cu_x509_sha256(p->root, b), 0);
	assert_memory_not_equal(a, b, 32);
}

static void test_get0_ext(void **state)
{
	struct pki *p = *state;
	static const uint8_t value[] = { 0x02, 0x01, 0x07 }; /* INTEGER 7 */
	X509 *x =
	    make_cert_unsigned("Ext", p->leaf_key, p->inter, p->leaf_nb, p->leaf_na, false, 6);
	X509 *dup;
	const ASN1_OCTET_STRING *os;

	add_raw_ext(x, AMD_BLSPL_OID, value, sizeof(value));
	assert_true(X509_sign(x, p->int_key, EVP_sha256()) > 0);
	x = reparse_cert(x);

	os = cu_x509_get0_ext(x, AMD_BLSPL_OID);
	assert_non_null(os);
	assert_int_equal(ASN1_STRING_length(os), sizeof(value));
	assert_memory_equal(ASN1_STRING_get0_data(os), value, sizeof(value));

	/* A standard extension by dotted OID (basicConstraints). */
	assert_non_null(cu_x509_get0_ext(x, "2.5.29.19"));
	/* Absent. */
	assert_null(cu_x509_get0_ext(x, "1.3.6.1.4.1.3704.1.3.2"));
	assert_null(cu_x509_get0_ext(p->leaf, AMD_BLSPL_OID));
	/* Not an OID. */
	assert_null(cu_x509_get0_ext(x, "not an oid"));
	assert_null(cu_x509_get0_ext(x, ""));

	/* Present twice: ambiguous, so absent. */
	dup = make_cert_unsigned("Dup", p->leaf_key, p->inter, p->leaf_nb, p->leaf_na, false, 8);
	add_raw_ext(dup, AMD_BLSPL_OID, value, sizeof(value));
	add_raw_ext(dup, AMD_BLSPL_OID, value, sizeof(value));
	assert_true(X509_sign(dup, p->int_key, EVP_sha256()) > 0);
	dup = reparse_cert(dup);
	assert_null(cu_x509_get0_ext(dup, AMD_BLSPL_OID));

	X509_free(x);
	X509_free(dup);
}

static X509 *rsa_signed_cert(EVP_PKEY *rsa, bool pss, const EVP_MD *md)
{
	X509 *x = make_cert_unsigned("RSA", rsa, NULL, T("2024-01-01T00:00:00Z"),
	                             T("2030-01-01T00:00:00Z"), true, 10);
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, rsa), 1);
	if (pss) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, EVP_MD_get_size(md)), 1);
	}
	assert_true(X509_sign_ctx(x, ctx) > 0);
	return reparse_cert(x);
}

static void test_signed_with_rsa_pss(void **state)
{
	struct pki *p = *state;
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	X509 *pss384, *pss256, *pkcs1;

	assert_non_null(rsa);
	pss384 = rsa_signed_cert(rsa, true, EVP_sha384());
	pss256 = rsa_signed_cert(rsa, true, EVP_sha256());
	pkcs1 = rsa_signed_cert(rsa, false, EVP_sha384());

	assert_true(cu_x509_signed_with_rsa_pss(pss384, NID_sha384));
	assert_false(cu_x509_signed_with_rsa_pss(pss384, NID_sha256));
	assert_true(cu_x509_signed_with_rsa_pss(pss256, NID_sha256));
	assert_false(cu_x509_signed_with_rsa_pss(pss256, NID_sha384));
	assert_false(cu_x509_signed_with_rsa_pss(pkcs1, NID_sha384));
	assert_false(cu_x509_signed_with_rsa_pss(p->leaf, NID_sha256));
	assert_false(cu_x509_signed_with_rsa_pss(p->leaf, NID_sha384));

	X509_free(pss384);
	X509_free(pss256);
	X509_free(pkcs1);
	EVP_PKEY_free(rsa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_ok),
		cmocka_unit_test(test_chain_expired),
		cmocka_unit_test(test_chain_untrusted),
		cmocka_unit_test(test_chain_missing_intermediate),
		cmocka_unit_test(test_chain_too_long),
		cmocka_unit_test(test_chain_max_depth_one),
		cmocka_unit_test(test_chain_bad_signature),
		cmocka_unit_test(test_crl_revoked),
		cmocka_unit_test(test_crl_not_revoked),
		cmocka_unit_test(test_crl_expired),
		cmocka_unit_test(test_crl_bad_signature),
		cmocka_unit_test(test_parse_pem_bundle),
		cmocka_unit_test(test_parse_damaged_pem),
		cmocka_unit_test(test_parse_der),
		cmocka_unit_test(test_parse_nothing),
		cmocka_unit_test(test_parse_too_many),
		cmocka_unit_test(test_subject_cn),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_get0_ext),
		cmocka_unit_test(test_signed_with_rsa_pss),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
