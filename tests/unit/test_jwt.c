/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/crypto/jwt.c: the signing key file (creation, mode, refusals,
 * rotation), compact JWS signing and verification, and algorithm confusion.
 * Tokens for the negative cases are built by hand with OpenSSL from the
 * private key file, so that each one is correctly signed and fails only for
 * the reason under test.
 */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <custos/appraisal.h>

#include "../../src/base/limits.h"
#include "../../src/base/macro.h"
#include "../../src/crypto/openssl-util.h"
#include "test-util.h"

#define NOW ((int64_t)1767225600) /* 2026-01-01T00:00:00Z */
#define EXP (NOW + 300)

/* The payload of hand-built tokens: valid from NOW to EXP. */
#define PAYLOAD "{\"exp\":1767225900,\"iat\":1767225600,\"iss\":\"custos\"}"

static const enum cu_token_alg all_algs[] = { CU_ALG_ES256, CU_ALG_ES384, CU_ALG_EDDSA };

struct fixture {
	char dir[64];
};

/* ---- fixture -------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/custos-test-jwt-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int r = nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(fx);
	return r == 0 ? 0 : -1;
}

static char *path_in(const struct fixture *fx, const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", fx->dir, name) > 0);
	return p;
}

static void write_file(const char *path, const char *data, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (*data)
		assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
	size_t size;
	uint8_t *buf = tu_read_file(path, &size);
	char *s = malloc(size + 1);

	assert_non_null(s);
	memcpy(s, buf, size);
	s[size] = '\0';
	free(buf);
	return s;
}

static void write_json(const char *path, const json_t *doc, mode_t mode)
{
	_cleanup_free_ char *s = json_dumps(doc, JSON_INDENT(2));

	assert_non_null(s);
	write_file(path, s, mode);
}

/* Entries of the fixture directory, "." and ".." excepted. */
static size_t dir_entries(const struct fixture *fx)
{
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* ---- base64url, written independently of src/base/encoding.c ----------------------- */

static char *b64url(const void *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	int len;

	assert_non_null(out);
	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	assert_true(len >= 0);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return out;
}

static uint8_t *b64url_decode(const char *in, size_t n, size_t *ret_size)
{
	size_t padded = (n + 3) / 4 * 4, pad = padded - n;
	char *std = malloc(padded + 1);
	uint8_t *out = malloc(padded / 4 * 3 + 1);
	int len;

	assert_non_null(std);
	assert_non_null(out);
	assert_true(n % 4 != 1);
	for (size_t i = 0; i < n; i++) {
		assert_true(in[i] != '+' && in[i] != '/' && in[i] != '=');
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	}
	memset(std + n, '=', pad);
	std[padded] = '\0';
	len = EVP_DecodeBlock(out, (const unsigned char *)std, (int)padded);
	free(std);
	assert_true(len >= (int)pad);
	*ret_size = (size_t)len - pad;
	return out;
}

/* Segment idx (0 header, 1 payload, 2 signature) of a compact JWS: pointer and length. */
static const char *segment(const char *token, int idx, size_t *ret_len)
{
	const char *s = token, *e;

	for (int i = 0; i < idx; i++) {
		s = strchr(s, '.');
		assert_non_null(s);
		s++;
	}
	e = strchr(s, '.');
	*ret_len = e ? (size_t)(e - s) : strlen(s);
	return s;
}

static json_t *segment_json(const char *token, int idx)
{
	size_t len, n;
	const char *s = segment(token, idx, &len);
	uint8_t *buf = b64url_decode(s, len, &n);
	json_t *j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);

	free(buf);
	assert_non_null(j);
	return j;
}

/* ---- keys ------------------------------------------------------------------------------ */

static cu_signing_key *key_new(const struct fixture *fx, const char *name, enum cu_token_alg alg)
{
	_cleanup_free_ char *p = path_in(fx, name);
	cu_signing_key *k = NULL;
	bool created = false;
	struct cu_error err = { 0 };

	assert_int_equal(cu_signing_key_open(&k, p, alg, &created, &err), 0);
	assert_non_null(k);
	assert_true(created);
	assert_int_equal(cu_signing_key_alg(k), alg);
	return k;
}

/* The private JWK keys[idx] of a key file, new reference. */
static json_t *private_jwk(const struct fixture *fx, const char *name, size_t idx)
{
	_cleanup_free_ char *p = path_in(fx, name);
	json_auto_t *doc = tu_load_json(p);
	json_t *jwk = json_array_get(json_object_get(doc, "keys"), idx);

	assert_non_null(jwk);
	assert_true(json_is_string(json_object_get(jwk, "d")));
	return json_deep_copy(jwk);
}

static uint8_t *jwk_member(const json_t *jwk, const char *name, size_t *ret_size)
{
	const char *s = json_string_value(json_object_get(jwk, name));

	assert_non_null(s);
	return b64url_decode(s, strlen(s), ret_size);
}

/* An OpenSSL key from a JWK (EC P-256/P-384 or OKP Ed25519). */
static EVP_PKEY *pkey_from_jwk(const json_t *jwk, bool private)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	EVP_PKEY *pk = NULL;

	assert_non_null(kty);
	assert_non_null(crv);
	if (!strcmp(kty, "OKP")) {
		size_t n;
		uint8_t *raw = jwk_member(jwk, private ? "d" : "x", &n);

		assert_int_equal(n, 32);
		pk = private ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, n)
		             : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, n);
		free(raw);
	} else {
		size_t xn, yn, dn = 0;
		uint8_t *x = jwk_member(jwk, "x", &xn), *y = jwk_member(jwk, "y", &yn);
		uint8_t *d = private ? jwk_member(jwk, "d", &dn) : NULL;
		uint8_t pub[1 + 2 * 48];
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
		OSSL_PARAM *params;
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		BIGNUM *bn = NULL;

		assert_non_null(bld);
		assert_non_null(ctx);
		assert_int_equal(xn, yn);
		assert_true(xn <= 48);
		pub[0] = 4;
		memcpy(pub + 1, x, xn);
		memcpy(pub + 1 + xn, y, yn);
		assert_int_equal(
		    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0), 1);
		assert_int_equal(
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * xn),
		    1);
		if (d) {
			bn = BN_bin2bn(d, (int)dn, NULL);
			assert_non_null(bn);
			assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn),
			                 1);
		}
		params = OSSL_PARAM_BLD_to_param(bld);
		assert_non_null(params);
		assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
		assert_int_equal(
		    EVP_PKEY_fromdata(ctx, &pk, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params),
		    1);
		OSSL_PARAM_free(params);
		OSSL_PARAM_BLD_free(bld);
		EVP_PKEY_CTX_free(ctx);
		BN_clear_free(bn);
		free(x);
		free(y);
		if (d)
			OPENSSL_clear_free(d, dn);
	}
	assert_non_null(pk);
	return pk;
}

/* How an algorithm signs: digest and ECDSA component size (0: Ed25519). */
struct how {
	const EVP_MD *md;
	size_t comp;
};

static struct how how_of(enum cu_token_alg alg)
{
	switch (alg) {
	case CU_ALG_ES256:
		return (struct how){ EVP_sha256(), 32 };
	case CU_ALG_ES384:
		return (struct how){ EVP_sha384(), 48 };
	default:
		return (struct how){ NULL, 0 };
	}
}

static enum cu_token_alg alg_of_jwk(const json_t *jwk)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));

	if (!strcmp(crv, "P-256"))
		return CU_ALG_ES256;
	if (!strcmp(crv, "P-384"))
		return CU_ALG_ES384;
	return CU_ALG_EDDSA;
}

/* A JWS signature (base64url) over input: ECDSA as r || s (RFC 7518 3.4), or Ed25519. */
static char *sign_input(EVP_PKEY *pk, struct how h, const char *input, size_t n)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[256], raw[96];
	size_t sig_size = sizeof(sig);
	const unsigned char *p = sig;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, h.md, NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &sig_size, (const uint8_t *)input, n), 1);
	if (!h.comp)
		return b64url(sig, sig_size);
	es = d2i_ECDSA_SIG(NULL, &p, (long)sig_size);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	assert_int_equal(BN_bn2binpad(r, raw, (int)h.comp), (int)h.comp);
	assert_int_equal(BN_bn2binpad(s, raw + h.comp, (int)h.comp), (int)h.comp);
	ECDSA_SIG_free(es);
	return b64url(raw, 2 * h.comp);
}

/* Verify a JWS signature with OpenSSL alone. */
static bool verify_input(EVP_PKEY *pk, struct how h, const char *input, size_t n,
                         const uint8_t *sig, size_t sig_size)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int der_len;
	bool ok;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, h.md, NULL, pk), 1);
	if (!h.comp)
		return EVP_DigestVerify(ctx, sig, sig_size, (const uint8_t *)input, n) == 1;
	if (sig_size != 2 * h.comp)
		return false;
	{
		ECDSA_SIG *es = ECDSA_SIG_new();

		assert_non_null(es);
		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)h.comp, NULL),
		                                BN_bin2bn(sig + h.comp, (int)h.comp, NULL)),
		                 1);
		der_len = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
	}
	assert_true(der_len > 0);
	ok = EVP_DigestVerify(ctx, der, (size_t)der_len, (const uint8_t *)input, n) == 1;
	OPENSSL_free(der);
	return ok;
}

/* A compact JWS from encoded header and payload segments; pk NULL: empty signature. */
static char *jws_from_segments(const char *h, const char *p, EVP_PKEY *pk, struct how how)
{
	_cleanup_free_ char *input = NULL, *sig = NULL;
	char *out = NULL;

	assert_true(asprintf(&input, "%s.%s", h, p) > 0);
	sig = pk ? sign_input(pk, how, input, strlen(input)) : strdup("");
	assert_non_null(sig);
	assert_true(asprintf(&out, "%s.%s", input, sig) > 0);
	return out;
}

/* A compact JWS over literal header and payload JSON text. */
static char *jws(const char *header, const char *payload, EVP_PKEY *pk, struct how how)
{
	_cleanup_free_ char *h = b64url(header, strlen(header));
	_cleanup_free_ char *p = b64url(payload, strlen(payload));

	return jws_from_segments(h, p, pk, how);
}

/* A compact JWS signed with a private JWK the way its type prescribes. */
static char *jws_with_jwk(const char *header, const char *payload, const json_t *jwk)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = pkey_from_jwk(jwk, true);

	return jws(header, payload, pk, how_of(alg_of_jwk(jwk)));
}

/* {"alg": alg, "kid": kid, "typ": "JWT"} (kid NULL: none). */
static char *header(const char *alg, const char *kid)
{
	char *h = NULL;

	if (kid)
		assert_true(
		    asprintf(&h, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", alg, kid) > 0);
	else
		assert_true(asprintf(&h, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg) > 0);
	return h;
}

static char *sign_claims(const cu_signing_key *k, const json_t *claims)
{
	char *t = NULL;
	struct cu_error err = { 0 };

	assert_int_equal(cu_token_sign(k, claims, &t, &err), 0);
	assert_non_null(t);
	return t;
}

/* Sign the claims {"iss": "custos", "iat": NOW, "exp": EXP}. */
static char *sign_default(const cu_signing_key *k)
{
	json_auto_t *c = json_pack("{s:s,s:I,s:I}", "iss", "custos", "iat", (json_int_t)NOW, "exp",
	                           (json_int_t)EXP);

	assert_non_null(c);
	return sign_claims(k, c);
}

/* ---- verification outcomes ---------------------------------------------------------- */

static json_t *verify_ok(const char *token, const json_t *jwks, int64_t at)
{
	json_t *claims = NULL;
	struct cu_error err = { 0 };
	int r = cu_token_verify(token, strlen(token), jwks, at, &claims, &err);

	if (r != 0)
		fail_msg("verification failed (%d): %s", r, err.message);
	assert_non_null(claims);
	assert_true(json_is_object(claims));
	return claims;
}

static void refused_n(const char *token, size_t size, const json_t *jwks, int64_t at, int code,
                      const char *fragment)
{
	json_t *claims = NULL;
	struct cu_error err = { 0 };
	int r = cu_token_verify(token, size, jwks, at, &claims, &err);

	if (r != code)
		fail_msg("expected %d, got %d (%s)", code, r, err.message);
	assert_null(claims);
	assert_int_equal(err.code, code);
	assert_non_null(err.stage);
	assert_string_equal(err.stage, "token");
	if (fragment && !strstr(err.message, fragment))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, fragment);
}

static void refused(const char *token, const json_t *jwks, int64_t at, int code,
                    const char *fragment)
{
	refused_n(token, strlen(token), jwks, at, code, fragment);
}

/* A key file is refused with `code` and a message holding `fragment`; nothing is created. */
static void open_refused(const char *path, int code, const char *fragment)
{
	cu_signing_key *k = NULL;
	bool created = true;
	struct cu_error err = { 0 };
	_cleanup_free_ char *before = read_text(path), *after = NULL;
	int r = cu_signing_key_open(&k, path, CU_ALG_ES256, &created, &err);

	if (r != code)
		fail_msg("%s: expected %d, got %d (%s)", path, code, r, err.message);
	assert_null(k);
	assert_true(created);
	assert_int_equal(err.code, code);
	assert_string_equal(err.stage, "signing-key");
	if (fragment && !strstr(err.message, fragment))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, fragment);
	/* A refused key file is never replaced by a new key. */
	after = read_text(path);
	assert_string_equal(before, after);
}

static void assert_no_private(const json_t *jwks)
{
	const json_t *keys = json_object_get(jwks, "keys"), *k;
	size_t i;

	assert_true(json_is_array(keys));
	json_array_foreach (keys, i, k) {
		assert_null(json_object_get(k, "d"));
		assert_true(json_is_string(json_object_get(k, "x")));
	}
}

static json_t *rsa_jwk(EVP_PKEY *rsa, const char *kid)
{
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[512], eb[8];
	int nl, el;
	_cleanup_free_ char *ns = NULL, *es = NULL;
	json_t *jwk;

	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	nl = BN_bn2bin(n, nb);
	el = BN_bn2bin(e, eb);
	ns = b64url(nb, (size_t)nl);
	es = b64url(eb, (size_t)el);
	jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", kid, "alg", "RS256", "n", ns,
	                "e", es);
	BN_free(n);
	BN_free(e);
	assert_non_null(jwk);
	return jwk;
}

/* ---- algorithm names ---------------------------------------------------------------- */

static void test_alg_names(void **state)
{
	static const char *const bad[] = { "es256", "ES512", "ES256K", "EDDSA",  "Ed25519", "none",
		                           "HS256", "RS256", "",       "ES256 ", " ES256" };
	enum cu_token_alg a;

	assert_string_equal(cu_token_alg_name(CU_ALG_ES256), "ES256");
	assert_string_equal(cu_token_alg_name(CU_ALG_ES384), "ES384");
	assert_string_equal(cu_token_alg_name(CU_ALG_EDDSA), "EdDSA");
	assert_null(cu_token_alg_name(0));
	assert_null(cu_token_alg_name(4));
	assert_null(cu_token_alg_name(-1));

	for (size_t i = 0; i < ELEMENTSOF(all_algs); i++) {
		a = 0;
		assert_int_equal(cu_token_alg_from_name(cu_token_alg_name(all_algs[i]), &a), 0);
		assert_int_equal(a, all_algs[i]);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		a = CU_ALG_ES384;
		assert_int_equal(cu_token_alg_from_name(bad[i], &a), CU_ERR_UNSUPPORTED);
		assert_int_equal(a, CU_ALG_ES384);
	}
	a = CU_ALG_ES384;
	assert_int_equal(cu_token_alg_from_name(NULL, &a), CU_ERR_UNSUPPORTED);
	assert_int_equal(a, CU_ALG_ES384);
}

/* ---- key file -------------------------------------------------------------------------- */

static void test_key_create_and_reopen(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "ear.jwks");
	_cleanup_free_ char *kid = NULL;
	cu_signing_key *k = NULL, *k2 = NULL;
	bool created = false;
	struct cu_error err = { 0 };
	struct stat st;
	json_auto_t *doc = NULL;
	json_auto_t *jwks = NULL, *jwks2 = NULL;

	assert_int_equal(cu_signing_key_open(&k, p, CU_ALG_ES256, &created, &err), 0);
	assert_non_null(k);
	assert_true(created);
	assert_int_equal(cu_signing_key_alg(k), CU_ALG_ES256);
	kid = strdup(cu_signing_key_kid(k));
	assert_non_null(kid);
	assert_int_equal(strlen(kid), 43); /* base64url of 32 bytes */

	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(dir_entries(fx), 1); /* no temporary file left behind */

	/* The file is a JWKS holding one private key. */
	doc = tu_load_json(p);
	assert_int_equal(json_array_size(json_object_get(doc, "keys")), 1);
	{
		const json_t *jwk = json_array_get(json_object_get(doc, "keys"), 0);

		assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
		assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
		assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "ES256");
		assert_string_equal(json_string_value(json_object_get(jwk, "kid")), kid);
		assert_true(json_is_string(json_object_get(jwk, "d")));
	}

	/* Reopening reads it: not created, same key, whatever alg is asked for. */
	created = true;
	assert_int_equal(cu_signing_key_open(&k2, p, CU_ALG_EDDSA, &created, &err), 0);
	assert_false(created);
	assert_string_equal(cu_signing_key_kid(k2), kid);
	assert_int_equal(cu_signing_key_alg(k2), CU_ALG_ES256);
	jwks = cu_signing_key_jwks(k);
	jwks2 = cu_signing_key_jwks(k2);
	assert_true(json_equal(jwks, jwks2));

	/* A token of one instance verifies with the other's JWKS. */
	{
		_cleanup_free_ char *t = sign_default(k2);
		json_auto_t *c = verify_ok(t, jwks, NOW);

		assert_int_equal(json_integer_value(json_object_get(c, "exp")), EXP);
	}

	/* ret_created is optional. */
	cu_signing_key_free(k2);
	k2 = NULL;
	assert_int_equal(cu_signing_key_open(&k2, p, CU_ALG_ES256, NULL, &err), 0);
	assert_string_equal(cu_signing_key_kid(k2), kid);

	cu_signing_key_free(k);
	cu_signing_key_free(k2);
	cu_signing_key_free(NULL);
}

static void test_key_invalid_args(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "ear.jwks");
	cu_signing_key *k = NULL;
	bool created = false;
	struct cu_error err = { 0 };

	assert_int_equal(cu_signing_key_open(NULL, p, CU_ALG_ES256, &created, &err),
	                 CU_ERR_INVALID_ARG);
	assert_int_equal(cu_signing_key_open(&k, NULL, CU_ALG_ES256, &created, &err),
	                 CU_ERR_INVALID_ARG);
	assert_int_equal(cu_signing_key_open(&k, p, 0, &created, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_signing_key_open(&k, p, 4, &created, &err), CU_ERR_INVALID_ARG);
	assert_null(k);
	assert_false(created);
	assert_int_equal(dir_entries(fx), 0); /* nothing created */

	/* A key file in a directory that does not exist. */
	{
		_cleanup_free_ char *q = path_in(fx, "missing/ear.jwks");

		assert_int_equal(cu_signing_key_open(&k, q, CU_ALG_ES256, &created, &err),
		                 CU_ERR_IO);
		assert_null(k);
		assert_false(created);
	}

	k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	assert_int_equal(cu_signing_key_rotate(NULL, CU_ALG_ES256, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_signing_key_rotate(k, 0, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(cu_signing_key_rotate(k, 7, &err), CU_ERR_INVALID_ARG);
	{
		json_auto_t *jwks = cu_signing_key_jwks(k);

		assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
	}
	{
		json_auto_t *c = json_object();
		char *t = NULL;

		assert_int_equal(cu_token_sign(NULL, c, &t, &err), CU_ERR_INVALID_ARG);
		assert_int_equal(cu_token_sign(k, NULL, &t, &err), CU_ERR_INVALID_ARG);
		assert_int_equal(cu_token_sign(k, c, NULL, &err), CU_ERR_INVALID_ARG);
		assert_null(t);
	}
	cu_signing_key_free(k);
}

/* Sign and verify with each algorithm; check the header and the signature independently. */
static void test_round_trip(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < ELEMENTSOF(all_algs); i++) {
		enum cu_token_alg alg = all_algs[i];
		char name[32];
		cu_signing_key *k;
		json_auto_t *jwks = NULL, *claims = NULL, *hdr = NULL, *got = NULL, *payload = NULL;
		json_auto_t *jwk = NULL;
		_cleanup_free_ char *t = NULL;
		_cleanup_free_ uint8_t *sig = NULL;
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *pub = NULL;
		size_t hlen, plen, slen, sig_size;
		const char *s;

		snprintf(name, sizeof(name), "key-%s.jwks", cu_token_alg_name(alg));
		k = key_new(fx, name, alg);
		jwks = cu_signing_key_jwks(k);
		assert_non_null(jwks);
		claims = json_pack("{s:s,s:I,s:I,s:{s:{s:s}},s:s}", "iss", "custos", "iat",
		                   (json_int_t)NOW, "exp", (json_int_t)EXP, "submods", "cpu0",
		                   "ear.status", "affirming", "note", "caf\xc3\xa9 / \"quoted\"");
		assert_non_null(claims);
		t = sign_claims(k, claims);

		/* Three base64url segments. */
		for (const char *c = t; *c; c++)
			assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			                   "0123456789-_.",
			                   *c));

		/* The header: exactly alg, typ and kid. */
		hdr = segment_json(t, 0);
		assert_int_equal(json_object_size(hdr), 3);
		assert_string_equal(json_string_value(json_object_get(hdr, "alg")),
		                    cu_token_alg_name(alg));
		assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "JWT");
		assert_string_equal(json_string_value(json_object_get(hdr, "kid")),
		                    cu_signing_key_kid(k));

		/* The payload is the claims, as is the verified result. */
		payload = segment_json(t, 1);
		assert_true(json_equal(payload, claims));
		got = verify_ok(t, jwks, NOW);
		assert_true(json_equal(got, claims));

		/* The signature verifies with OpenSSL alone, in JWS form (r || s for ECDSA). */
		jwk = json_deep_copy(json_array_get(json_object_get(jwks, "keys"), 0));
		pub = pkey_from_jwk(jwk, false);
		segment(t, 0, &hlen);
		segment(t, 1, &plen);
		s = segment(t, 2, &slen);
		sig = b64url_decode(s, slen, &sig_size);
		assert_int_equal(sig_size, alg == CU_ALG_ES384 ? 96 : 64);
		assert_true(verify_input(pub, how_of(alg), t, hlen + 1 + plen, sig, sig_size));

		/* Ed25519 is deterministic: our own signature is the same bytes. */
		if (alg == CU_ALG_EDDSA) {
			json_auto_t *priv = private_jwk(fx, name, 0);
			_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = pkey_from_jwk(priv, true);
			_cleanup_free_ char *mine = sign_input(pk, how_of(alg), t, hlen + 1 + plen);

			assert_int_equal(strlen(mine), slen);
			assert_memory_equal(mine, s, slen);
		}
		cu_signing_key_free(k);
	}
}

/* RFC 7638: kid = base64url(SHA-256(canonical JSON of the required public members)). */
static void test_kid_thumbprint(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < ELEMENTSOF(all_algs); i++) {
		char name[32];
		cu_signing_key *k;
		json_auto_t *jwks = NULL;
		const json_t *jwk;
		_cleanup_free_ char *canon = NULL, *want = NULL;
		uint8_t md[32];
		unsigned md_len = 0;

		snprintf(name, sizeof(name), "tp-%zu.jwks", i);
		k = key_new(fx, name, all_algs[i]);
		jwks = cu_signing_key_jwks(k);
		jwk = json_array_get(json_object_get(jwks, "keys"), 0);
		if (all_algs[i] == CU_ALG_EDDSA)
			assert_true(asprintf(&canon,
			                     "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}",
			                     json_string_value(json_object_get(jwk, "x"))) > 0);
		else
			assert_true(
			    asprintf(&canon,
			             "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			             all_algs[i] == CU_ALG_ES256 ? "P-256" : "P-384",
			             json_string_value(json_object_get(jwk, "x")),
			             json_string_value(json_object_get(jwk, "y"))) > 0);
		assert_int_equal(EVP_Digest(canon, strlen(canon), md, &md_len, EVP_sha256(), NULL),
		                 1);
		assert_int_equal(md_len, 32);
		want = b64url(md, sizeof(md));
		assert_string_equal(cu_signing_key_kid(k), want);
		assert_string_equal(json_string_value(json_object_get(jwk, "kid")), want);
		cu_signing_key_free(k);
	}
}

static void test_jwks_public(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_EDDSA);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	const json_t *jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	_cleanup_free_ char *dump = json_dumps(jwks, 0);

	assert_int_equal(json_object_size(jwks), 1);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
	assert_no_private(jwks);
	assert_null(strstr(dump, "\"d\""));
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "OKP");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "Ed25519");
	assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "EdDSA");
	assert_string_equal(json_string_value(json_object_get(jwk, "use")), "sig");
	assert_string_equal(json_string_value(json_object_get(jwk, "kid")), cu_signing_key_kid(k));

	/* A new reference each time: changing one does not change the key. */
	json_object_set_new((json_t *)jwk, "kid", json_string("changed"));
	{
		json_auto_t *again = cu_signing_key_jwks(k);

		assert_string_equal(json_string_value(json_object_get(
		                        json_array_get(json_object_get(again, "keys"), 0), "kid")),
		                    cu_signing_key_kid(k));
	}
	cu_signing_key_free(k);
}

static void test_key_file_mode(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "ear.jwks");
	static const mode_t refused_modes[] = { 0644, 0640, 0604, 0660, 0606, 0610, 0601, 0666 };
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	_cleanup_free_ char *kid = strdup(cu_signing_key_kid(k));

	cu_signing_key_free(k);
	for (size_t i = 0; i < ELEMENTSOF(refused_modes); i++) {
		char mode[8];

		assert_int_equal(chmod(p, refused_modes[i]), 0);
		open_refused(p, CU_ERR_IO, "chmod 600");
		snprintf(mode, sizeof(mode), "%03o", (unsigned)refused_modes[i]);
		{
			cu_signing_key *k2 = NULL;
			struct cu_error err = { 0 };

			assert_int_equal(cu_signing_key_open(&k2, p, CU_ALG_ES256, NULL, &err),
			                 CU_ERR_IO);
			assert_non_null(strstr(err.message, mode));
			assert_non_null(strstr(err.message, "group or others"));
		}
	}

	/* Owner-only modes are accepted. */
	assert_int_equal(chmod(p, 0400), 0);
	{
		cu_signing_key *k2 = NULL;
		bool created = true;
		struct cu_error err = { 0 };

		assert_int_equal(cu_signing_key_open(&k2, p, CU_ALG_ES256, &created, &err), 0);
		assert_false(created);
		assert_string_equal(cu_signing_key_kid(k2), kid);
		cu_signing_key_free(k2);
	}
	assert_int_equal(chmod(p, 0600), 0);
}

static void test_key_file_refused(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "base.jwks", CU_ALG_ES256);
	json_auto_t *base = NULL, *other = NULL;
	_cleanup_free_ char *p = path_in(fx, "bad.jwks");
	json_t *doc, *jwk;

	cu_signing_key_free(k);
	k = key_new(fx, "other.jwks", CU_ALG_EDDSA);
	cu_signing_key_free(k);
	base = private_jwk(fx, "base.jwks", 0);
	other = private_jwk(fx, "other.jwks", 0);

	/* Not JSON, empty, not an object, no keys member. */
	write_file(p, "this is not JSON\n", 0600);
	open_refused(p, CU_ERR_MALFORMED, "invalid JSON");
	write_file(p, "", 0600);
	open_refused(p, CU_ERR_MALFORMED, "empty file");
	write_file(p, "[]", 0600);
	open_refused(p, CU_ERR_MALFORMED, "expected {\"keys\"");
	write_file(p, "{\"kys\": []}", 0600);
	open_refused(p, CU_ERR_MALFORMED, "expected {\"keys\"");
	write_file(p, "{\"keys\": []}", 0600);
	open_refused(p, CU_ERR_MALFORMED, "expected {\"keys\"");
	write_file(p, "{\"keys\": {}}", 0600);
	open_refused(p, CU_ERR_MALFORMED, "expected {\"keys\"");

	/* A public key only. */
	jwk = json_deep_copy(base);
	json_object_del(jwk, "d");
	doc = json_pack("{s:[o]}", "keys", jwk);
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_MALFORMED, "keys[0]: not a private key");

	/* A real RSA private key. */
	{
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *rsa = EVP_RSA_gen(2048);
		BIGNUM *d = NULL;
		uint8_t db[512];
		_cleanup_free_ char *ds = NULL;

		assert_non_null(rsa);
		assert_int_equal(EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_D, &d), 1);
		ds = b64url(db, (size_t)BN_bn2bin(d, db));
		BN_clear_free(d);
		jwk = rsa_jwk(rsa, "rsa");
		json_object_set_new(jwk, "d", json_string(ds));
		doc = json_pack("{s:[o]}", "keys", jwk);
		write_json(p, doc, 0600);
		json_decref(doc);
		open_refused(p, CU_ERR_UNSUPPORTED, "keys[0]: key type not accepted");
	}

	/* A symmetric key. */
	doc =
	    json_pack("{s:[{s:s,s:s,s:s}]}", "keys", "kty", "oct", "alg", "HS256", "k", "c2VjcmV0");
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_UNSUPPORTED, "key type not accepted");

	/* EC on a curve not accepted. */
	jwk = json_deep_copy(base);
	json_object_set_new(jwk, "crv", json_string("P-521"));
	doc = json_pack("{s:[o]}", "keys", jwk);
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_UNSUPPORTED, "key type not accepted");

	/* alg not matching the key type, or missing. */
	{
		static const char *const algs[] = { "ES384", "EdDSA", "HS256", "none", "es256" };

		for (size_t i = 0; i < ELEMENTSOF(algs); i++) {
			jwk = json_deep_copy(base);
			json_object_set_new(jwk, "alg", json_string(algs[i]));
			doc = json_pack("{s:[o]}", "keys", jwk);
			write_json(p, doc, 0600);
			json_decref(doc);
			open_refused(p, CU_ERR_MALFORMED, "alg must be ES256");
		}
	}
	jwk = json_deep_copy(other);
	json_object_set_new(jwk, "alg", json_string("ES256"));
	doc = json_pack("{s:[o]}", "keys", jwk);
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_MALFORMED, "alg must be EdDSA");
	jwk = json_deep_copy(base);
	json_object_del(jwk, "alg");
	doc = json_pack("{s:[o]}", "keys", jwk);
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_MALFORMED, "alg must be ES256");

	/* Public members missing. */
	jwk = json_deep_copy(base);
	json_object_del(jwk, "y");
	doc = json_pack("{s:[o]}", "keys", jwk);
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_MALFORMED, "public key members missing");

	/* Three keys, and a bad previous key. */
	doc = json_pack("{s:[O,O,O]}", "keys", base, other, base);
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_MALFORMED, "expected {\"keys\": [current, previous?]}");
	jwk = json_deep_copy(other);
	json_object_del(jwk, "d");
	doc = json_pack("{s:[O,o]}", "keys", base, jwk);
	write_json(p, doc, 0600);
	json_decref(doc);
	open_refused(p, CU_ERR_MALFORMED, "keys[1]: not a private key");

	/* Two good keys are accepted. */
	doc = json_pack("{s:[O,O]}", "keys", base, other);
	write_json(p, doc, 0600);
	json_decref(doc);
	{
		cu_signing_key *k2 = NULL;
		bool created = true;
		struct cu_error err = { 0 };
		json_auto_t *jwks = NULL;

		assert_int_equal(cu_signing_key_open(&k2, p, CU_ALG_ES256, &created, &err), 0);
		assert_false(created);
		assert_string_equal(cu_signing_key_kid(k2),
		                    json_string_value(json_object_get(base, "kid")));
		jwks = cu_signing_key_jwks(k2);
		assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 2);
		assert_no_private(jwks);
		cu_signing_key_free(k2);
	}

	/* A symbolic link to a good key file is not followed. */
	{
		_cleanup_free_ char *target = path_in(fx, "base.jwks");
		_cleanup_free_ char *link = path_in(fx, "link.jwks");
		cu_signing_key *k2 = NULL;
		struct cu_error err = { 0 };

		assert_int_equal(symlink(target, link), 0);
		assert_int_equal(cu_signing_key_open(&k2, link, CU_ALG_ES256, NULL, &err),
		                 CU_ERR_IO);
		assert_null(k2);
	}

	/* A directory. */
	{
		_cleanup_free_ char *d = path_in(fx, "dir.jwks");
		cu_signing_key *k2 = NULL;
		struct cu_error err = { 0 };

		assert_int_equal(mkdir(d, 0700), 0);
		assert_int_equal(cu_signing_key_open(&k2, d, CU_ALG_ES256, NULL, &err), CU_ERR_IO);
		assert_null(k2);
	}

	/* Larger than CU_LIMIT_KEYFILE_SIZE. */
	{
		_cleanup_free_ char *big = malloc(CU_LIMIT_KEYFILE_SIZE + 2);

		assert_non_null(big);
		memset(big, ' ', CU_LIMIT_KEYFILE_SIZE + 1);
		big[CU_LIMIT_KEYFILE_SIZE + 1] = '\0';
		write_file(p, big, 0600);
		open_refused(p, CU_ERR_TOO_LARGE, "out of range");
	}
}

/* A key file without kid members: the kid is the thumbprint. */
static void test_key_file_without_kid(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "base.jwks", CU_ALG_ES384);
	_cleanup_free_ char *kid = strdup(cu_signing_key_kid(k));
	_cleanup_free_ char *p = path_in(fx, "nokid.jwks");
	json_auto_t *jwk = private_jwk(fx, "base.jwks", 0);
	json_auto_t *doc = NULL, *jwks = NULL;
	_cleanup_free_ char *t = NULL;

	cu_signing_key_free(k);
	json_object_del(jwk, "kid");
	doc = json_pack("{s:[O]}", "keys", jwk);
	write_json(p, doc, 0600);
	assert_int_equal(cu_signing_key_open(&k, p, CU_ALG_ES384, NULL, NULL), 0);
	assert_string_equal(cu_signing_key_kid(k), kid);
	jwks = cu_signing_key_jwks(k);
	t = sign_default(k);
	json_decref(verify_ok(t, jwks, NOW));
	cu_signing_key_free(k);
}

/* ---- rotation ------------------------------------------------------------------------------ */

static void test_rotation(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "ear.jwks");
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	_cleanup_free_ char *kid1 = strdup(cu_signing_key_kid(k)), *kid2 = NULL, *kid3 = NULL;
	_cleanup_free_ char *t1 = sign_default(k), *t2 = NULL, *t3 = NULL;
	json_auto_t *jwks1 = cu_signing_key_jwks(k), *jwks2 = NULL, *jwks3 = NULL, *file = NULL;
	struct cu_error err = { 0 };
	struct stat st;
	const json_t *keys;

	/* First rotation, to another algorithm. */
	assert_int_equal(cu_signing_key_rotate(k, CU_ALG_EDDSA, &err), 0);
	assert_int_equal(cu_signing_key_alg(k), CU_ALG_EDDSA);
	kid2 = strdup(cu_signing_key_kid(k));
	assert_string_not_equal(kid1, kid2);
	jwks2 = cu_signing_key_jwks(k);
	assert_no_private(jwks2);
	keys = json_object_get(jwks2, "keys");
	assert_int_equal(json_array_size(keys), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "kid")),
	                    kid2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "kty")),
	                    "OKP");
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 1), "kid")),
	                    kid1);
	assert_true(
	    json_equal(json_array_get(keys, 1), json_array_get(json_object_get(jwks1, "keys"), 0)));

	/* The file was replaced in place: still 0600, no temporary file, both keys private. */
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(dir_entries(fx), 1);
	file = tu_load_json(p);
	assert_int_equal(json_array_size(json_object_get(file, "keys")), 2);
	for (size_t i = 0; i < 2; i++)
		assert_true(json_is_string(
		    json_object_get(json_array_get(json_object_get(file, "keys"), i), "d")));

	/* The old token still verifies; new tokens carry the new kid and algorithm. */
	json_decref(verify_ok(t1, jwks2, NOW));
	t2 = sign_default(k);
	{
		json_auto_t *h = segment_json(t2, 0);

		assert_string_equal(json_string_value(json_object_get(h, "kid")), kid2);
		assert_string_equal(json_string_value(json_object_get(h, "alg")), "EdDSA");
	}
	json_decref(verify_ok(t2, jwks2, NOW));
	/* ... but not with the JWKS from before the rotation. */
	refused(t2, jwks1, NOW, CU_ERR_NOT_FOUND, kid2);

	/* Reopening the file gives the rotated state. */
	{
		cu_signing_key *k2 = NULL;
		bool created = true;
		json_auto_t *again = NULL;

		assert_int_equal(cu_signing_key_open(&k2, p, CU_ALG_ES256, &created, &err), 0);
		assert_false(created);
		assert_string_equal(cu_signing_key_kid(k2), kid2);
		assert_int_equal(cu_signing_key_alg(k2), CU_ALG_EDDSA);
		again = cu_signing_key_jwks(k2);
		assert_true(json_equal(again, jwks2));
		cu_signing_key_free(k2);
	}

	/* Second rotation: the first key is gone. */
	assert_int_equal(cu_signing_key_rotate(k, CU_ALG_ES384, &err), 0);
	kid3 = strdup(cu_signing_key_kid(k));
	jwks3 = cu_signing_key_jwks(k);
	assert_no_private(jwks3);
	keys = json_object_get(jwks3, "keys");
	assert_int_equal(json_array_size(keys), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "kid")),
	                    kid3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 0), "crv")),
	                    "P-384");
	assert_string_equal(json_string_value(json_object_get(json_array_get(keys, 1), "kid")),
	                    kid2);
	assert_string_not_equal(kid3, kid1);
	refused(t1, jwks3, NOW, CU_ERR_NOT_FOUND, "no key with kid");
	json_decref(verify_ok(t2, jwks3, NOW));
	t3 = sign_default(k);
	{
		json_auto_t *h = segment_json(t3, 0);

		assert_string_equal(json_string_value(json_object_get(h, "kid")), kid3);
		assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES384");
	}
	json_decref(verify_ok(t3, jwks3, NOW));
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(dir_entries(fx), 1);
	cu_signing_key_free(k);
}

/* ES256 -> EdDSA, then the same algorithm again: every rotation makes a new key. */
static void test_rotation_same_alg(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_EDDSA);
	_cleanup_free_ char *kid1 = strdup(cu_signing_key_kid(k));
	_cleanup_free_ char *t1 = sign_default(k);
	json_auto_t *jwks = NULL;

	assert_int_equal(cu_signing_key_rotate(k, CU_ALG_EDDSA, NULL), 0);
	assert_string_not_equal(cu_signing_key_kid(k), kid1);
	jwks = cu_signing_key_jwks(k);
	assert_no_private(jwks);
	json_decref(verify_ok(t1, jwks, NOW));
	cu_signing_key_free(k);
}

/* ---- verification failures ------------------------------------------------------------ */

static char replace_char(char c)
{
	return c == 'A' ? 'B' : 'A';
}

static void test_verify_tampered(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < ELEMENTSOF(all_algs); i++) {
		char name[32];
		cu_signing_key *k;
		json_auto_t *jwks = NULL;
		_cleanup_free_ char *t = NULL, *u = NULL;
		size_t hlen, plen, slen;
		const char *s;

		snprintf(name, sizeof(name), "k%zu.jwks", i);
		k = key_new(fx, name, all_algs[i]);
		jwks = cu_signing_key_jwks(k);
		t = sign_default(k);
		json_decref(verify_ok(t, jwks, NOW));

		/* Each character of the payload, one at a time, in the middle and at the ends. */
		segment(t, 0, &hlen);
		s = segment(t, 1, &plen);
		for (size_t j = 0; j < plen - 1; j += plen / 7) {
			u = strdup(t);
			u[hlen + 1 + j] = replace_char(s[j]);
			refused(u, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
			free(u);
			u = NULL;
		}
		/* A changed header, still valid JSON with the same alg and kid. */
		{
			_cleanup_free_ char *h = NULL, *hb = NULL, *forged = NULL;

			assert_true(asprintf(&h, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JOSE\"}",
			                     cu_token_alg_name(all_algs[i]),
			                     cu_signing_key_kid(k)) > 0);
			hb = b64url(h, strlen(h));
			assert_true(asprintf(&forged, "%s%s", hb, t + hlen) > 0);
			refused(forged, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
		}

		/* The signature: a middle character, then the first. */
		s = segment(t, 2, &slen);
		u = strdup(t);
		u[s - t + slen / 2] = replace_char(s[slen / 2]);
		refused(u, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
		free(u);
		u = strdup(t);
		u[s - t] = replace_char(s[0]);
		refused(u, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
		free(u);
		u = NULL;

		/* A valid payload from another token spliced in. */
		{
			json_auto_t *c = json_pack("{s:s,s:I,s:I}", "iss", "custos", "iat",
			                           (json_int_t)NOW, "exp", (json_int_t)EXP + 86400);
			_cleanup_free_ char *other = sign_claims(k, c), *spliced = NULL;
			size_t oh, op, os;
			const char *o1;

			segment(other, 0, &oh);
			o1 = segment(other, 1, &op);
			segment(t, 2, &os);
			assert_true(asprintf(&spliced, "%.*s.%.*s.%s", (int)hlen, t, (int)op, o1,
			                     segment(t, 2, &os)) > 0);
			refused(spliced, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
		}
		cu_signing_key_free(k);
	}
}

static void test_verify_structure(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	json_auto_t *jwk = private_jwk(fx, "ear.jwks", 0);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = pkey_from_jwk(jwk, true);
	const char *kid = cu_signing_key_kid(k);
	_cleanup_free_ char *t = sign_default(k), *u = NULL, *hdr = header("ES256", kid);
	size_t n = strlen(t), hlen, plen, slen;

	segment(t, 0, &hlen);
	segment(t, 1, &plen);
	segment(t, 2, &slen);
	assert_int_equal(slen, 86);

	/* Truncated: one character short of the signature is an impossible length. */
	refused_n(t, n - 1, jwks, NOW, CU_ERR_MALFORMED, "signature: invalid base64url");
	/* Two short: a 63-byte signature. */
	refused_n(t, n - 2, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
	/* The whole signature gone, the dot kept. */
	refused_n(t, hlen + plen + 2, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
	/* Cut before the second dot, and inside the header. */
	refused_n(t, hlen + plen + 1, jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	refused_n(t, hlen / 2, jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	refused_n(t, 0, jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");

	/* Segment counts. */
	refused("a.b", jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	refused("abc", jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	refused("..", jwks, NOW, CU_ERR_MALFORMED, NULL);
	refused("...", jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	assert_true(asprintf(&u, "%s.%.*s", t, (int)slen, t + hlen + plen + 2) > 0);
	refused(u, jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	free(u);
	assert_true(asprintf(&u, "%s.", t) > 0);
	refused(u, jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	free(u);
	assert_true(asprintf(&u, ".%s", t) > 0);
	refused(u, jwks, NOW, CU_ERR_MALFORMED, "expected a compact JWS");
	free(u);
	u = NULL;

	/* Invalid base64url in each segment: standard alphabet, padding, space, and bad bits. */
	{
		static const char *const bad[] = { "+", "/", "=", " ", "%" };

		for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
			u = strdup(t);
			u[3] = bad[i][0];
			refused(u, jwks, NOW, CU_ERR_MALFORMED, "header: invalid base64url");
			free(u);
			u = strdup(t);
			u[hlen + plen + 2 + 10] = bad[i][0];
			refused(u, jwks, NOW, CU_ERR_MALFORMED, "signature: invalid base64url");
			free(u);
			u = NULL;
		}
	}
	/* Padding appended to the header. */
	assert_true(asprintf(&u, "%.*s=%s", (int)hlen, t, t + hlen) > 0);
	refused(u, jwks, NOW, CU_ERR_MALFORMED, "invalid base64url");
	free(u);
	u = NULL;
	/* A payload segment that is not base64url, signed correctly. */
	{
		_cleanup_free_ char *h = b64url(hdr, strlen(hdr));

		u = jws_from_segments(h, "e30+", pk, how_of(CU_ALG_ES256));
		refused(u, jwks, NOW, CU_ERR_MALFORMED, "payload: invalid base64url");
		free(u);
		u = jws_from_segments(h, "", pk, how_of(CU_ALG_ES256));
		refused(u, jwks, NOW, CU_ERR_MALFORMED, "payload");
		free(u);
		u = NULL;
	}

	/* Headers that are not JSON objects, or lack a string alg. */
	{
		static const struct {
			const char *header;
			const char *fragment;
		} cases[] = {
			{ "not json", "header: " },
			{ "{\"alg\":\"ES256\"", "header: " },
			{ "{\"alg\":\"ES256\"} x", "header: " },
			{ "\"ES256\"", "header: " },
			{ "[\"ES256\"]", "alg missing" },
			{ "{}", "alg missing" },
			{ "{\"typ\":\"JWT\"}", "alg missing" },
			{ "{\"alg\":null}", "alg missing" },
			{ "{\"alg\":256}", "alg missing" },
			{ "{\"alg\":[\"ES256\"]}", "alg missing" },
			/* Two algs: parsers disagree on which wins, so neither may. */
			{ "{\"alg\":\"none\",\"alg\":\"ES256\"}", "header: " },
			{ "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", "header: " },
		};

		for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
			u = jws(cases[i].header, PAYLOAD, pk, how_of(CU_ALG_ES256));
			refused(u, jwks, NOW, CU_ERR_MALFORMED, cases[i].fragment);
			free(u);
			u = NULL;
		}
		/* An empty header. */
		u = jws_from_segments("", "e30", pk, how_of(CU_ALG_ES256));
		refused(u, jwks, NOW, CU_ERR_MALFORMED, "header: ");
		free(u);
		u = NULL;
	}

	/* A payload that is not an object, or repeats a claim. */
	{
		static const char *const payloads[] = {
			"[1767225900]",
			"{\"exp\":1767225900,\"exp\":1767225900}",
			"{\"exp\":1767225900} trailing",
			"not json",
		};

		for (size_t i = 0; i < ELEMENTSOF(payloads); i++) {
			u = jws(hdr, payloads[i], pk, how_of(CU_ALG_ES256));
			refused(u, jwks, NOW, CU_ERR_MALFORMED, "payload");
			free(u);
			u = NULL;
		}
	}

	/* The hand-built form itself is fine. */
	u = jws(hdr, PAYLOAD, pk, how_of(CU_ALG_ES256));
	json_decref(verify_ok(u, jwks, NOW));
	free(u);
	u = NULL;

	/* Invalid arguments. */
	{
		json_t *claims = NULL;
		struct cu_error err = { 0 };

		assert_int_equal(cu_token_verify(NULL, 0, jwks, NOW, &claims, &err),
		                 CU_ERR_INVALID_ARG);
		assert_int_equal(cu_token_verify(t, n, NULL, NOW, &claims, &err),
		                 CU_ERR_INVALID_ARG);
		assert_int_equal(cu_token_verify(t, n, jwks, NOW, NULL, &err), CU_ERR_INVALID_ARG);
		assert_null(claims);
		/* err is optional. */
		assert_int_equal(cu_token_verify(t, n - 1, jwks, NOW, &claims, NULL),
		                 CU_ERR_MALFORMED);
		assert_null(claims);
		assert_int_equal(cu_token_verify(t, n, jwks, NOW, &claims, NULL), 0);
		assert_non_null(claims);
		json_decref(claims);
	}
	cu_signing_key_free(k);
}

static void test_verify_wrong_key(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	cu_signing_key *other = key_new(fx, "other.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k), *ojwks = cu_signing_key_jwks(other);
	_cleanup_free_ char *t = sign_default(k);
	json_auto_t *forged = NULL;
	json_t *ok;

	/* Another issuer's JWKS: no key with our kid. */
	refused(t, ojwks, NOW, CU_ERR_NOT_FOUND, "no key with kid");
	refused(t, ojwks, NOW, CU_ERR_NOT_FOUND, cu_signing_key_kid(k));

	/* Another key published under our kid. */
	forged = json_deep_copy(ojwks);
	json_object_set_new(json_array_get(json_object_get(forged, "keys"), 0), "kid",
	                    json_string(cu_signing_key_kid(k)));
	refused(t, forged, NOW, CU_ERR_SIGNATURE, "does not verify");

	/* Another Ed25519 key under the kid of an Ed25519-signed token. */
	{
		cu_signing_key *e1 = key_new(fx, "e1.jwks", CU_ALG_EDDSA);
		cu_signing_key *e2 = key_new(fx, "e2.jwks", CU_ALG_EDDSA);
		json_auto_t *j2 = cu_signing_key_jwks(e2);
		_cleanup_free_ char *te = sign_default(e1);

		json_object_set_new(json_array_get(json_object_get(j2, "keys"), 0), "kid",
		                    json_string(cu_signing_key_kid(e1)));
		refused(te, j2, NOW, CU_ERR_SIGNATURE, "does not verify");
		cu_signing_key_free(e1);
		cu_signing_key_free(e2);
	}

	/* Both JWKS merged: the right key is found by kid, in either order. */
	ok = json_pack("{s:[O,O]}", "keys", json_array_get(json_object_get(ojwks, "keys"), 0),
	               json_array_get(json_object_get(jwks, "keys"), 0));
	json_decref(verify_ok(t, ok, NOW));
	json_decref(ok);

	/* JWKS that are not a key set. */
	{
		json_auto_t *j = json_object();
		json_auto_t *many = json_pack("{s:[]}", "keys");

		refused(t, j, NOW, CU_ERR_MALFORMED, "JWKS");
		json_object_set_new(j, "keys", json_object());
		refused(t, j, NOW, CU_ERR_MALFORMED, "JWKS");
		json_object_set_new(j, "keys", json_array());
		refused(t, j, NOW, CU_ERR_NOT_FOUND, "no key with kid");
		json_decref(j);
		j = json_array();
		refused(t, j, NOW, CU_ERR_MALFORMED, "JWKS");
		/* A JWK instead of a JWKS. */
		refused(t, json_array_get(json_object_get(jwks, "keys"), 0), NOW, CU_ERR_MALFORMED,
		        "JWKS");

		/* More keys than CU_LIMIT_JWKS_KEYS, ours among them. */
		for (size_t i = 0; i < CU_LIMIT_JWKS_KEYS; i++)
			json_array_append(json_object_get(many, "keys"),
			                  json_array_get(json_object_get(ojwks, "keys"), 0));
		json_array_append(json_object_get(many, "keys"),
		                  json_array_get(json_object_get(jwks, "keys"), 0));
		refused(t, many, NOW, CU_ERR_MALFORMED, "JWKS");
		/* At the limit it is fine. */
		json_array_remove(json_object_get(many, "keys"), 0);
		json_decref(verify_ok(t, many, NOW));
	}
	cu_signing_key_free(k);
	cu_signing_key_free(other);
}

static void test_verify_times(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	_cleanup_free_ char *t = sign_default(k), *u = NULL;
	json_auto_t *c = NULL;

	/* exp: valid up to exp - 1; at == exp is expired. */
	json_decref(verify_ok(t, jwks, NOW - 86400));
	json_decref(verify_ok(t, jwks, EXP - 1));
	refused(t, jwks, EXP, CU_ERR_EXPIRED, "expired");
	refused(t, jwks, EXP + 1, CU_ERR_EXPIRED, "is not after the check time");
	refused(t, jwks, EXP + 86400, CU_ERR_EXPIRED, "expired");

	/* nbf: not valid before it; valid at it. */
	c = json_pack("{s:I,s:I,s:I}", "iat", (json_int_t)NOW, "nbf", (json_int_t)NOW + 10, "exp",
	              (json_int_t)EXP);
	u = sign_claims(k, c);
	refused(u, jwks, NOW, CU_ERR_EXPIRED, "nbf");
	refused(u, jwks, NOW + 9, CU_ERR_EXPIRED, "nbf");
	json_decref(verify_ok(u, jwks, NOW + 10));
	json_decref(verify_ok(u, jwks, EXP - 1));
	refused(u, jwks, EXP, CU_ERR_EXPIRED, "expired");
	free(u);
	json_decref(c);

	/* exp missing, or not an integer. */
	{
		json_t *bad[] = {
			json_pack("{s:I,s:s}", "iat", (json_int_t)NOW, "iss", "custos"),
			json_pack("{s:I,s:s}", "iat", (json_int_t)NOW, "exp", "1767225900"),
			json_pack("{s:I,s:f}", "iat", (json_int_t)NOW, "exp", 1767225900.0),
			json_pack("{s:I,s:f}", "iat", (json_int_t)NOW, "exp", 1767225900.5),
			json_pack("{s:I,s:b}", "iat", (json_int_t)NOW, "exp", 1),
			json_pack("{s:I,s:n}", "iat", (json_int_t)NOW, "exp"),
			json_pack("{s:I,s:[I]}", "iat", (json_int_t)NOW, "exp", (json_int_t)EXP),
		};

		for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
			assert_non_null(bad[i]);
			u = sign_claims(k, bad[i]);
			refused(u, jwks, NOW, CU_ERR_MALFORMED, "exp");
			free(u);
			json_decref(bad[i]);
		}
	}

	/* iat, when present, is an integer. */
	c = json_pack("{s:s,s:I}", "iat", "now", "exp", (json_int_t)EXP);
	u = sign_claims(k, c);
	refused(u, jwks, NOW, CU_ERR_MALFORMED, "iat");
	free(u);
	json_decref(c);

	/* nbf, when present, must be an integer, like exp and iat. */
	c = json_pack("{s:s,s:I}", "nbf", "1767225600", "exp", (json_int_t)EXP);
	u = sign_claims(k, c);
	refused(u, jwks, NOW, CU_ERR_MALFORMED, "nbf is not an integer");
	free(u);
	json_decref(c);

	/* A payload that is not an object. */
	c = json_pack("[I]", (json_int_t)EXP);
	u = sign_claims(k, c);
	refused(u, jwks, NOW, CU_ERR_MALFORMED, "not a JSON object");
	free(u);
	u = NULL;
	cu_signing_key_free(k);
}

static void test_verify_crit(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	json_auto_t *jwk = private_jwk(fx, "ear.jwks", 0);
	_cleanup_free_ char *h1 = NULL, *h2 = NULL, *h3 = NULL, *t = NULL;

	assert_true(asprintf(&h1,
	                     "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1767225900,"
	                     "\"kid\":\"%s\"}",
	                     cu_signing_key_kid(k)) > 0);
	assert_true(asprintf(&h2,
	                     "{\"alg\":\"ES256\",\"b64\":false,\"crit\":[\"b64\"],\"kid\":\"%s\"}",
	                     cu_signing_key_kid(k)) > 0);
	assert_true(asprintf(&h3, "{\"alg\":\"ES256\",\"crit\":[],\"kid\":\"%s\"}",
	                     cu_signing_key_kid(k)) > 0);
	t = jws_with_jwk(h1, PAYLOAD, jwk);
	refused(t, jwks, NOW, CU_ERR_UNSUPPORTED, "crit");
	free(t);
	t = jws_with_jwk(h2, PAYLOAD, jwk);
	refused(t, jwks, NOW, CU_ERR_UNSUPPORTED, "crit");
	free(t);
	t = jws_with_jwk(h3, PAYLOAD, jwk);
	refused(t, jwks, NOW, CU_ERR_UNSUPPORTED, "crit");
	free(t);
	t = NULL;
	cu_signing_key_free(k);
}

/* A token of n bytes or fewer (n - 3 at least), signed by k. */
static char *token_of_size(const cu_signing_key *k, size_t n)
{
	size_t pad = n * 3 / 4;

	for (int tries = 0; tries < 32; tries++) {
		_cleanup_free_ char *s = malloc(pad + 1);
		json_auto_t *c = NULL;
		char *t;
		size_t len;

		assert_non_null(s);
		memset(s, 'x', pad);
		s[pad] = '\0';
		c = json_pack("{s:I,s:s}", "exp", (json_int_t)EXP, "pad", s);
		assert_non_null(c);
		t = sign_claims(k, c);
		len = strlen(t);
		if (len <= n && len + 3 >= n)
			return t;
		free(t);
		if (len > n)
			pad -= (len - n) * 3 / 4 + 1;
		else
			pad += (n - len) * 3 / 4;
	}
	fail_msg("cannot make a token of %zu bytes", n);
	return NULL;
}

static void test_verify_size_limit(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_EDDSA);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	_cleanup_free_ char *at_limit = token_of_size(k, CU_LIMIT_TOKEN_SIZE);
	_cleanup_free_ char *over = token_of_size(k, CU_LIMIT_TOKEN_SIZE + 8);
	_cleanup_free_ char *junk = malloc(CU_LIMIT_TOKEN_SIZE + 2);

	/* A correctly signed token at the limit is accepted, one above it is not. */
	json_decref(verify_ok(at_limit, jwks, NOW));
	assert_true(strlen(over) > CU_LIMIT_TOKEN_SIZE);
	refused(over, jwks, NOW, CU_ERR_TOO_LARGE, "limit");

	/* The size is checked before anything else. */
	assert_non_null(junk);
	memset(junk, 'A', CU_LIMIT_TOKEN_SIZE + 1);
	junk[10] = '.';
	junk[20] = '.';
	junk[CU_LIMIT_TOKEN_SIZE + 1] = '\0';
	refused(junk, jwks, NOW, CU_ERR_TOO_LARGE, "limit");
	cu_signing_key_free(k);
}

static void test_verify_nul(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	_cleanup_free_ char *t = sign_default(k), *u = NULL;
	size_t n = strlen(t), hlen, plen;

	segment(t, 0, &hlen);
	segment(t, 1, &plen);

	/* A NUL in each segment. */
	u = strdup(t);
	u[4] = '\0';
	refused_n(u, n, jwks, NOW, CU_ERR_MALFORMED, "NUL");
	memcpy(u, t, n);
	u[hlen + 5] = '\0';
	refused_n(u, n, jwks, NOW, CU_ERR_MALFORMED, "NUL");
	memcpy(u, t, n);
	u[n - 3] = '\0';
	refused_n(u, n, jwks, NOW, CU_ERR_MALFORMED, "NUL");
	free(u);

	/* The terminating NUL counted in the size. */
	refused_n(t, n + 1, jwks, NOW, CU_ERR_MALFORMED, "NUL");

	/* A NUL appended after a valid token. */
	u = calloc(1, n + 8);
	assert_non_null(u);
	memcpy(u, t, n);
	memcpy(u + n + 1, "AAAA", 4);
	refused_n(u, n + 5, jwks, NOW, CU_ERR_MALFORMED, "NUL");
	cu_signing_key_free(k);
}

/* ---- algorithm confusion ------------------------------------------------------------------ */

static void test_confusion_none(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	const char *kid = cu_signing_key_kid(k);
	static const char *const nones[] = { "none", "None", "NONE", "nOnE", "" };

	for (size_t i = 0; i < ELEMENTSOF(nones); i++) {
		_cleanup_free_ char *h = header(nones[i], kid), *h2 = header(nones[i], NULL);
		_cleanup_free_ char *t = jws(h, PAYLOAD, NULL, how_of(0));
		_cleanup_free_ char *t2 = jws(h2, PAYLOAD, NULL, how_of(0));

		/* With and without kid (the JWKS holds one key). */
		refused(t, jwks, NOW, CU_ERR_SIGNATURE, "refused");
		refused(t2, jwks, NOW, CU_ERR_SIGNATURE, "refused");
	}
	/* The bare {"alg":"none"} header. */
	{
		_cleanup_free_ char *t = jws("{\"alg\":\"none\"}", PAYLOAD, NULL, how_of(0));

		refused(t, jwks, NOW, CU_ERR_SIGNATURE, "header alg \"none\" refused");
	}
	/* "none" with the signature of a real token kept. */
	{
		_cleanup_free_ char *real = sign_default(k), *h = header("none", kid);
		_cleanup_free_ char *hb = b64url(h, strlen(h)), *t = NULL;
		size_t hlen;

		segment(real, 0, &hlen);
		assert_true(asprintf(&t, "%s%s", hb, real + hlen) > 0);
		refused(t, jwks, NOW, CU_ERR_SIGNATURE, "refused");
	}
	cu_signing_key_free(k);
}

/* HMAC-SHA256 over header.payload with `secret`: the classic public-key-as-secret forgery. */
static char *hs256_token(const char *hdr, const void *secret, size_t secret_size)
{
	_cleanup_free_ char *h = b64url(hdr, strlen(hdr)), *p = b64url(PAYLOAD, strlen(PAYLOAD));
	_cleanup_free_ char *input = NULL, *sig = NULL;
	uint8_t mac[32];
	unsigned mac_len = sizeof(mac);
	char *out = NULL;

	assert_true(asprintf(&input, "%s.%s", h, p) > 0);
	assert_non_null(HMAC(EVP_sha256(), secret, (int)secret_size, (const uint8_t *)input,
	                     strlen(input), mac, &mac_len));
	assert_int_equal(mac_len, 32);
	sig = b64url(mac, mac_len);
	assert_true(asprintf(&out, "%s.%s", input, sig) > 0);
	return out;
}

static void test_confusion_hs256(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < ELEMENTSOF(all_algs); i++) {
		char name[32];
		cu_signing_key *k;
		json_auto_t *jwks = NULL, *oct = NULL;
		const json_t *pubjwk;
		_cleanup_free_ char *h = NULL, *h_nokid = NULL, *json_secret = NULL;
		_cleanup_free_ char *pem = NULL, *k_json = NULL, *k_pem = NULL;
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *pub = NULL;
		_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
		char *pem_data;
		long pem_len;
		static const char *const algs[] = { "HS256", "HS384", "HS512" };

		snprintf(name, sizeof(name), "hs-%zu.jwks", i);
		k = key_new(fx, name, all_algs[i]);
		jwks = cu_signing_key_jwks(k);
		pubjwk = json_array_get(json_object_get(jwks, "keys"), 0);
		h = header("HS256", cu_signing_key_kid(k));
		h_nokid = header("HS256", NULL);

		/* The public JWK (as published) and its PEM form as the HMAC secret. */
		json_secret = json_dumps(pubjwk, JSON_COMPACT | JSON_SORT_KEYS);
		assert_non_null(json_secret);
		pub = pkey_from_jwk(pubjwk, false);
		assert_non_null(bio);
		assert_int_equal(PEM_write_bio_PUBKEY(bio, pub), 1);
		pem_len = BIO_get_mem_data(bio, &pem_data);
		assert_true(pem_len > 0);
		pem = strndup(pem_data, (size_t)pem_len);

		{
			_cleanup_free_ char *t1 = hs256_token(h, json_secret, strlen(json_secret));
			_cleanup_free_ char *t2 = hs256_token(h, pem, strlen(pem));
			_cleanup_free_ char *t3 = hs256_token(h_nokid, pem, strlen(pem));

			refused(t1, jwks, NOW, CU_ERR_SIGNATURE, "header alg \"HS256\" refused");
			refused(t2, jwks, NOW, CU_ERR_SIGNATURE, "header alg \"HS256\" refused");
			refused(t3, jwks, NOW, CU_ERR_SIGNATURE, "header alg \"HS256\" refused");
		}
		for (size_t j = 0; j < ELEMENTSOF(algs); j++) {
			_cleanup_free_ char *hj = header(algs[j], cu_signing_key_kid(k));
			_cleanup_free_ char *t = hs256_token(hj, pem, strlen(pem));

			refused(t, jwks, NOW, CU_ERR_SIGNATURE, "refused");
		}

		/* The same secret published as an "oct" key under the kid: still refused. */
		k_json = b64url(json_secret, strlen(json_secret));
		k_pem = b64url(pem, strlen(pem));
		oct = json_pack("{s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s}]}", "keys", "kty", "oct",
		                "kid", cu_signing_key_kid(k), "alg", "HS256", "k", k_pem, "kty",
		                "oct", "kid", "json", "k", k_json);
		assert_non_null(oct);
		{
			_cleanup_free_ char *t = hs256_token(h, pem, strlen(pem));
			_cleanup_free_ char *hj = header("HS256", "json");
			_cleanup_free_ char *tj = hs256_token(hj, json_secret, strlen(json_secret));

			refused(t, oct, NOW, CU_ERR_UNSUPPORTED, "type not accepted");
			refused(tj, oct, NOW, CU_ERR_UNSUPPORTED, "type not accepted");
		}
		cu_signing_key_free(k);
	}
}

/* A header alg other than the one the key type fixes, correctly signed where possible. */
static void test_confusion_alg_vs_key(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *p256 = key_new(fx, "p256.jwks", CU_ALG_ES256);
	cu_signing_key *p384 = key_new(fx, "p384.jwks", CU_ALG_ES384);
	cu_signing_key *ed = key_new(fx, "ed.jwks", CU_ALG_EDDSA);
	json_auto_t *j256 = cu_signing_key_jwks(p256), *j384 = cu_signing_key_jwks(p384);
	json_auto_t *jed = cu_signing_key_jwks(ed);
	json_auto_t *d256 = private_jwk(fx, "p256.jwks", 0),
	            *d384 = private_jwk(fx, "p384.jwks", 0);
	json_auto_t *ded = private_jwk(fx, "ed.jwks", 0);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k256 = pkey_from_jwk(d256, true);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *k384 = pkey_from_jwk(d384, true);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ked = pkey_from_jwk(ded, true);
	_cleanup_free_ char *h = NULL, *t = NULL;

	/* ES384 on a P-256 key: signed with P-256 over SHA-384. */
	h = header("ES384", cu_signing_key_kid(p256));
	t = jws(h, PAYLOAD, k256, (struct how){ EVP_sha384(), 32 });
	refused(t, j256, NOW, CU_ERR_SIGNATURE, "header alg \"ES384\" refused");
	free(t);
	/* ... and with a 96-byte signature shape. */
	t = jws(h, PAYLOAD, k256, (struct how){ EVP_sha384(), 48 });
	refused(t, j256, NOW, CU_ERR_SIGNATURE, "refused");
	free(t);
	free(h);

	/* ES256 on a P-384 key. */
	h = header("ES256", cu_signing_key_kid(p384));
	t = jws(h, PAYLOAD, k384, (struct how){ EVP_sha256(), 48 });
	refused(t, j384, NOW, CU_ERR_SIGNATURE, "header alg \"ES256\" refused");
	free(t);
	free(h);

	/* ES256 signed by the Ed25519 key, kid pointing to it. */
	h = header("ES256", cu_signing_key_kid(ed));
	t = jws(h, PAYLOAD, ked, how_of(CU_ALG_EDDSA));
	refused(t, jed, NOW, CU_ERR_SIGNATURE, "header alg \"ES256\" refused");
	free(t);
	/* ... and signed by a P-256 key, kid pointing to the Ed25519 key. */
	t = jws(h, PAYLOAD, k256, how_of(CU_ALG_ES256));
	refused(t, jed, NOW, CU_ERR_SIGNATURE, "refused");
	free(t);
	free(h);

	/* EdDSA (and spelling variants) on EC keys. */
	{
		static const char *const names[] = { "EdDSA", "Ed25519", "eddsa", "ES256K",
			                             "es256", "ES256 ",  "PS256", "RS256" };

		for (size_t i = 0; i < ELEMENTSOF(names); i++) {
			h = header(names[i], cu_signing_key_kid(p256));
			t = jws(h, PAYLOAD, ked, how_of(CU_ALG_EDDSA));
			refused(t, j256, NOW, CU_ERR_SIGNATURE, "refused");
			free(t);
			t = jws(h, PAYLOAD, k256, how_of(CU_ALG_ES256));
			refused(t, j256, NOW, CU_ERR_SIGNATURE, "refused");
			free(t);
			free(h);
		}
	}

	/* The right alg, signed by the right key of the wrong kid's type: refused too. */
	h = header("ES256", cu_signing_key_kid(p256));
	t = jws(h, PAYLOAD, k256, how_of(CU_ALG_ES256));
	json_decref(verify_ok(t, j256, NOW));
	refused(t, j384, NOW, CU_ERR_NOT_FOUND, "no key with kid");
	free(t);
	free(h);
	h = NULL;
	t = NULL;
	cu_signing_key_free(p256);
	cu_signing_key_free(p384);
	cu_signing_key_free(ed);
}

/* A JWKS key whose "alg" member disagrees with its type. */
static void test_confusion_jwks_alg_member(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	cu_signing_key *ed = key_new(fx, "ed.jwks", CU_ALG_EDDSA);
	json_auto_t *jwks = cu_signing_key_jwks(k), *jed = cu_signing_key_jwks(ed);
	_cleanup_free_ char *t = sign_default(k), *te = sign_default(ed);
	json_t *jwk = json_array_get(json_object_get(jwks, "keys"), 0);
	json_t *ejwk = json_array_get(json_object_get(jed, "keys"), 0);
	static const char *const algs[] = { "ES384", "EdDSA", "HS256", "none", "RS256", "es256" };

	for (size_t i = 0; i < ELEMENTSOF(algs); i++) {
		json_object_set_new(jwk, "alg", json_string(algs[i]));
		refused(t, jwks, NOW, CU_ERR_MISMATCH, "its type allows only ES256");
	}
	json_object_set_new(jwk, "alg", json_integer(256));
	refused(t, jwks, NOW, CU_ERR_MISMATCH, "ES256");
	json_object_set_new(jwk, "alg", json_null());
	refused(t, jwks, NOW, CU_ERR_MISMATCH, "ES256");

	json_object_set_new(ejwk, "alg", json_string("ES256"));
	refused(te, jed, NOW, CU_ERR_MISMATCH, "its type allows only EdDSA");

	/* A token whose header agrees with the JWKS alg member but not with the key type. */
	{
		json_auto_t *d = private_jwk(fx, "ear.jwks", 0);
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = pkey_from_jwk(d, true);
		_cleanup_free_ char *h = header("ES384", cu_signing_key_kid(k));
		_cleanup_free_ char *u = jws(h, PAYLOAD, pk, (struct how){ EVP_sha384(), 32 });

		json_object_set_new(jwk, "alg", json_string("ES384"));
		refused(u, jwks, NOW, CU_ERR_MISMATCH, NULL);
	}

	/* A JWKS key without "alg" is fine: the type decides. */
	json_object_del(jwk, "alg");
	json_decref(verify_ok(t, jwks, NOW));
	json_object_del(ejwk, "alg");
	json_decref(verify_ok(te, jed, NOW));
	cu_signing_key_free(k);
	cu_signing_key_free(ed);
}

/* Key types not accepted for attestation results, even with a valid signature. */
static void test_confusion_key_types(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k);
	const char *kid = cu_signing_key_kid(k);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *rsa = EVP_RSA_gen(2048);
	_cleanup_free_ char *t = sign_default(k);

	assert_non_null(rsa);

	/* An RSA key under our kid, and an RS256 token it really signed. */
	{
		json_auto_t *j = json_pack("{s:[o]}", "keys", rsa_jwk(rsa, kid));
		_cleanup_free_ char *h = header("RS256", kid);
		_cleanup_free_ char *hn = header("RS256", NULL);
		_cleanup_free_ char *rt = jws(h, PAYLOAD, rsa, (struct how){ EVP_sha256(), 0 });
		_cleanup_free_ char *rtn = jws(hn, PAYLOAD, rsa, (struct how){ EVP_sha256(), 0 });

		refused(rt, j, NOW, CU_ERR_UNSUPPORTED, "type not accepted");
		refused(rtn, j, NOW, CU_ERR_UNSUPPORTED, "type not accepted");
		refused(t, j, NOW, CU_ERR_UNSUPPORTED, "type not accepted");
	}

	/* "oct", unknown curves and types under our kid. */
	{
		const json_t *pub = json_array_get(json_object_get(jwks, "keys"), 0);
		json_t *variants[] = {
			json_pack("{s:s,s:s,s:s}", "kty", "oct", "kid", kid, "k", "c2VjcmV0"),
			json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct", "kid", kid, "k", "c2VjcmV0",
			          "crv", "P-256"),
			json_deep_copy(pub),
			json_deep_copy(pub),
			json_deep_copy(pub),
			json_deep_copy(pub),
			json_deep_copy(pub),
			json_deep_copy(pub),
		};

		json_object_set_new(variants[2], "crv", json_string("P-521"));
		json_object_set_new(variants[3], "crv", json_string("secp256k1"));
		json_object_set_new(variants[4], "kty", json_string("OKP"));
		json_object_set_new(variants[5], "crv", json_string("X25519"));
		json_object_set_new(variants[5], "kty", json_string("OKP"));
		json_object_del(variants[6], "crv");
		json_object_set_new(variants[7], "kty", json_integer(1));
		for (size_t i = 0; i < ELEMENTSOF(variants); i++) {
			json_auto_t *j = json_pack("{s:[o]}", "keys", variants[i]);

			assert_non_null(j);
			refused(t, j, NOW, CU_ERR_UNSUPPORTED, "type not accepted");
		}
	}

	/* An EC P-256 key's type with an Ed25519 key's x: the signature cannot verify. */
	{
		cu_signing_key *ed = key_new(fx, "ed.jwks", CU_ALG_EDDSA);
		json_auto_t *jed = cu_signing_key_jwks(ed);
		_cleanup_free_ char *te = sign_default(ed);
		json_t *jwk = json_array_get(json_object_get(jed, "keys"), 0);

		json_object_set_new(jwk, "kty", json_string("EC"));
		json_object_set_new(jwk, "crv", json_string("P-256"));
		json_object_del(jwk, "alg");
		refused(te, jed, NOW, CU_ERR_SIGNATURE, "refused");
		cu_signing_key_free(ed);
	}
	cu_signing_key_free(k);
}

/* A key carried in the header (jwk, jku, x5c) is never used. */
static void test_confusion_embedded_key(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES256);
	cu_signing_key *evil = key_new(fx, "evil.jwks", CU_ALG_ES256);
	json_auto_t *jwks = cu_signing_key_jwks(k), *ejwks = cu_signing_key_jwks(evil);
	json_auto_t *ejwk = private_jwk(fx, "evil.jwks", 0);
	_cleanup_free_ char *epub =
	    json_dumps(json_array_get(json_object_get(ejwks, "keys"), 0), JSON_COMPACT);
	_cleanup_free_ char *h1 = NULL, *h2 = NULL, *h3 = NULL, *t = NULL;

	assert_true(asprintf(&h1, "{\"alg\":\"ES256\",\"jwk\":%s,\"kid\":\"%s\"}", epub,
	                     cu_signing_key_kid(k)) > 0);
	assert_true(asprintf(&h2, "{\"alg\":\"ES256\",\"jwk\":%s}", epub) > 0);
	h3 = strdup("{\"alg\":\"ES256\",\"jku\":\"https://evil.example/jwks\"}");
	t = jws_with_jwk(h1, PAYLOAD, ejwk);
	refused(t, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
	free(t);
	t = jws_with_jwk(h2, PAYLOAD, ejwk);
	refused(t, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
	free(t);
	t = jws_with_jwk(h3, PAYLOAD, ejwk);
	refused(t, jwks, NOW, CU_ERR_SIGNATURE, "does not verify");
	free(t);
	t = NULL;
	cu_signing_key_free(k);
	cu_signing_key_free(evil);
}

/* No kid: accepted only when the JWKS leaves no choice. */
static void test_no_kid(void **state)
{
	struct fixture *fx = *state;
	cu_signing_key *k = key_new(fx, "ear.jwks", CU_ALG_ES384);
	json_auto_t *jwks = cu_signing_key_jwks(k), *jwks2 = NULL, *empty = NULL;
	json_auto_t *jwk = private_jwk(fx, "ear.jwks", 0);
	_cleanup_free_ char *h = header("ES384", NULL);
	_cleanup_free_ char *t = jws_with_jwk(h, PAYLOAD, jwk);
	json_auto_t *c = verify_ok(t, jwks, NOW);

	assert_int_equal(json_integer_value(json_object_get(c, "exp")), EXP);
	refused(t, jwks, EXP, CU_ERR_EXPIRED, "expired");

	/* After a rotation the JWKS holds two keys: which one is not guessed. */
	assert_int_equal(cu_signing_key_rotate(k, CU_ALG_ES384, NULL), 0);
	jwks2 = cu_signing_key_jwks(k);
	assert_int_equal(json_array_size(json_object_get(jwks2, "keys")), 2);
	refused(t, jwks2, NOW, CU_ERR_MALFORMED, "no kid and the JWKS holds 2 keys");

	/* Nor with an empty set. */
	empty = json_pack("{s:[]}", "keys");
	refused(t, empty, NOW, CU_ERR_MALFORMED, "no kid and the JWKS holds 0 keys");

	/* A single key of another owner: the signature decides. */
	{
		cu_signing_key *o = key_new(fx, "other.jwks", CU_ALG_ES384);
		json_auto_t *oj = cu_signing_key_jwks(o);

		refused(t, oj, NOW, CU_ERR_SIGNATURE, "does not verify");
		cu_signing_key_free(o);
	}
	cu_signing_key_free(k);
}

/*
 * An issuer's exp far in the past: the message computes "at - exp", which must
 * not overflow (signed overflow is undefined; UBSan aborts here).
 */
static void test_verify_exp_extreme(void **state)
{
	struct fixture *fx = NULL;
	cu_signing_key *k;
	json_auto_t *jwks = NULL;
	json_auto_t *c = json_pack("{s:I}", "exp", (json_int_t)INT64_MIN);
	json_auto_t *c2 = json_pack("{s:I}", "exp", (json_int_t)-1);
	_cleanup_free_ char *t = NULL, *t2 = NULL;

	/* The key directory goes before the verification, which may end the process. */
	assert_int_equal(setup((void **)&fx), 0);
	k = key_new(fx, "ear.jwks", CU_ALG_EDDSA);
	jwks = cu_signing_key_jwks(k);
	t = sign_claims(k, c);
	t2 = sign_claims(k, c2);
	cu_signing_key_free(k);
	assert_int_equal(teardown((void **)&fx), 0);

	refused(t, jwks, NOW, CU_ERR_EXPIRED, "expired");
	refused(t2, jwks, INT64_MAX, CU_ERR_EXPIRED, "expired");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test_setup_teardown(test_key_create_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_invalid_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kid_thumbprint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jwks_public, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_without_kid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_same_alg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_structure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_wrong_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_crit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_nul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confusion_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confusion_hs256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confusion_alg_vs_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confusion_jwks_alg_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confusion_key_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confusion_embedded_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_kid, setup, teardown),
		/* Last: under UBSan a failure here ends the process. */
		cmocka_unit_test(test_verify_exp_extreme),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
