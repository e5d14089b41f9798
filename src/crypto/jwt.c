/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation-result tokens: compact JWS (RFC 7515) over a JWT claims-set
 * (RFC 7519), and the persistent signing key file they are signed with.
 *
 * Keys are generated and ES256/ES384 tokens signed through libjose. Debian
 * 12's libjose (11) has no EdDSA (RFC 8037), so Ed25519 signs through OpenSSL.
 * Verification goes through OpenSSL for every algorithm: libjose rebuilds an
 * EC_KEY with a full key check (a scalar multiplication) on every call, which
 * made token checks three times slower than the signature itself. On
 * verification the algorithm comes from the key, never from the token: the
 * header's "alg" must merely agree with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>

#include <custos/appraisal.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "jwt.h"
#include "openssl-util.h"
#include "sig.h"

#define STAGE  "token"
#define KSTAGE "signing-key"

struct cu_signing_key {
	char *path;
	json_t *keys; /* [current, previous?], private JWKs with kid and alg */
};

/* ---- JWK helpers ------------------------------------------------------------ */

CU_EXPORT const char *cu_token_alg_name(enum cu_token_alg alg)
{
	switch (alg) {
	case CU_ALG_ES256:
		return "ES256";
	case CU_ALG_ES384:
		return "ES384";
	case CU_ALG_EDDSA:
		return "EdDSA";
	default:
		return NULL;
	}
}

CU_EXPORT int cu_token_alg_from_name(const char *name, enum cu_token_alg *ret)
{
	for (enum cu_token_alg a = CU_ALG_ES256; a <= CU_ALG_EDDSA; a++)
		if (name && !strcmp(name, cu_token_alg_name(a))) {
			*ret = a;
			return 0;
		}
	return CU_ERR_UNSUPPORTED;
}

/* The one algorithm a key may be used with, from its type; 0 when not accepted. */
static enum cu_token_alg jwk_alg(const json_t *jwk)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));

	if (!kty || !crv)
		return 0;
	if (!strcmp(kty, "EC") && !strcmp(crv, "P-256"))
		return CU_ALG_ES256;
	if (!strcmp(kty, "EC") && !strcmp(crv, "P-384"))
		return CU_ALG_ES384;
	if (!strcmp(kty, "OKP") && !strcmp(crv, "Ed25519"))
		return CU_ALG_EDDSA;
	return 0;
}

/* Overwrite the private part of a JWK before it is freed (STYLE.md practice 7). */
static void jwk_wipe(json_t *jwk)
{
	json_t *d = json_object_get(jwk, "d");

	if (json_is_string(d))
		OPENSSL_cleanse((char *)json_string_value(d), json_string_length(d));
}

static void keys_free(json_t *keys)
{
	size_t i;
	json_t *k;

	if (!keys)
		return;
	/* Key arrays are never shared: rotation copies the previous key. */
	json_array_foreach (keys, i, k)
		jwk_wipe(k);
	json_decref(keys);
}

/* RFC 7638 thumbprint (SHA-256, base64url) of the public members. */
static char *jwk_thumbprint(const json_t *jwk)
{
	json_auto_t *pub = NULL;
	_cleanup_free_ char *s = NULL;
	uint8_t md[32];

	if (jwk_alg(jwk) == CU_ALG_EDDSA)
		pub = json_pack("{s:O,s:O,s:O}", "crv", json_object_get(jwk, "crv"), "kty",
		                json_object_get(jwk, "kty"), "x", json_object_get(jwk, "x"));
	else
		pub = json_pack("{s:O,s:O,s:O,s:O}", "crv", json_object_get(jwk, "crv"), "kty",
		                json_object_get(jwk, "kty"), "x", json_object_get(jwk, "x"), "y",
		                json_object_get(jwk, "y"));
	if (!pub)
		return NULL;
	s = json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return NULL;
	cu_sha256(s, strlen(s), md);
	return cu_base64url_encode_alloc(md, sizeof(md));
}

static int b64_member(const json_t *jwk, const char *key, size_t want, uint8_t **ret)
{
	const char *s = json_string_value(json_object_get(jwk, key));
	uint8_t *buf = NULL;
	size_t size = 0;

	if (!s || cu_base64url_decode(s, strlen(s), &buf, &size) < 0)
		return CU_ERR_MALFORMED;
	if (size != want) {
		OPENSSL_clear_free(buf, size);
		return CU_ERR_MALFORMED;
	}
	*ret = buf;
	return 0;
}

static EVP_PKEY *ed25519_from_jwk(const json_t *jwk, bool private)
{
	uint8_t *raw = NULL;
	EVP_PKEY *pk;

	if (b64_member(jwk, private ? "d" : "x", 32, &raw) < 0)
		return NULL;
	pk = private ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, 32)
	             : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
	OPENSSL_clear_free(raw, 32);
	return pk;
}

/* An EC public key from a JWK's x and y (each exactly the curve's size). */
static EVP_PKEY *ec_from_jwk(const json_t *jwk, enum cu_token_alg alg)
{
	size_t n = alg == CU_ALG_ES256 ? 32 : 48;
	_cleanup_free_ uint8_t *x = NULL, *y = NULL;

	if (b64_member(jwk, "x", n, &x) < 0 || b64_member(jwk, "y", n, &y) < 0)
		return NULL;
	return cu_ec_pub_from_xy(alg == CU_ALG_ES256 ? "P-256" : "P-384", x, y, n);
}

static json_t *jwk_generate(enum cu_token_alg alg)
{
	json_auto_t *jwk = NULL;
	_cleanup_free_ char *kid = NULL;

	if (alg == CU_ALG_EDDSA) {
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		uint8_t priv[32], pub[32];
		size_t priv_size = sizeof(priv), pub_size = sizeof(pub);
		_cleanup_free_ char *x = NULL, *d = NULL;

		if (!pk || EVP_PKEY_get_raw_private_key(pk, priv, &priv_size) != 1 ||
		    EVP_PKEY_get_raw_public_key(pk, pub, &pub_size) != 1)
			return NULL;
		x = cu_base64url_encode_alloc(pub, pub_size);
		d = cu_base64url_encode_alloc(priv, priv_size);
		OPENSSL_cleanse(priv, sizeof(priv));
		if (x && d)
			jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", x,
			                "d", d);
		if (d)
			OPENSSL_cleanse(d, strlen(d));
	} else {
		jwk = json_pack("{s:s,s:s}", "kty", "EC", "crv",
		                alg == CU_ALG_ES256 ? "P-256" : "P-384");
		if (jwk && !jose_jwk_gen(NULL, jwk)) {
			jwk_wipe(jwk);
			return NULL;
		}
	}
	if (!jwk)
		return NULL;
	kid = jwk_thumbprint(jwk);
	if (!kid || json_object_set_new(jwk, "kid", json_string(kid)) < 0 ||
	    json_object_set_new(jwk, "alg", json_string(cu_token_alg_name(alg))) < 0 ||
	    json_object_set_new(jwk, "use", json_string("sig")) < 0) {
		jwk_wipe(jwk);
		return NULL;
	}
	return json_incref(jwk);
}

/* A public copy of a JWK: private members removed. */
static json_t *jwk_public(const json_t *jwk)
{
	json_t *pub = json_deep_copy(jwk);

	if (!pub)
		return NULL;
	jwk_wipe(pub);
	json_object_del(pub, "d");
	return pub;
}

/* ---- Key file ------------------------------------------------------------------ */

static int check_keys(json_t *keys, const char *path, struct cu_error *err)
{
	size_t i;
	json_t *k;

	if (!json_is_array(keys) || json_array_size(keys) < 1 || json_array_size(keys) > 2)
		return cu_fail(err, CU_ERR_MALFORMED, KSTAGE,
		               "%s: expected {\"keys\": [current, previous?]}", path);
	json_array_foreach (keys, i, k) {
		enum cu_token_alg a = jwk_alg(k);
		const char *alg = json_string_value(json_object_get(k, "alg"));
		_cleanup_free_ char *kid = NULL;

		if (!a)
			return cu_fail(
			    err, CU_ERR_UNSUPPORTED, KSTAGE,
			    "%s: keys[%zu]: key type not accepted (EC P-256, EC P-384 or "
			    "OKP Ed25519)",
			    path, i);
		if (!json_is_string(json_object_get(k, "d")))
			return cu_fail(err, CU_ERR_MALFORMED, KSTAGE,
			               "%s: keys[%zu]: not a private key", path, i);
		if (!alg || strcmp(alg, cu_token_alg_name(a)))
			return cu_fail(err, CU_ERR_MALFORMED, KSTAGE,
			               "%s: keys[%zu]: alg must be %s for this key type", path, i,
			               cu_token_alg_name(a));
		kid = jwk_thumbprint(k);
		if (!kid)
			return cu_fail(err, CU_ERR_MALFORMED, KSTAGE,
			               "%s: keys[%zu]: public key members missing", path, i);
		if (!json_is_string(json_object_get(k, "kid")) &&
		    json_object_set_new(k, "kid", json_string(kid)) < 0)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	return 0;
}

/* Write the key file atomically: a 0600 temporary file, fsync, then link or rename. */
static int write_keys(const char *path, const json_t *keys, bool replace, struct cu_error *err)
{
	json_auto_t *doc = json_pack("{s:O}", "keys", (json_t *)keys);
	_cleanup_free_ char *tmp = NULL, *dir_copy = NULL;
	char *s;
	size_t n;
	int fd, r = 0, dfd;

	if (!doc || asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return cu_fail(err, CU_ERR_NOMEM, KSTAGE, "out of memory");
	s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_object_clear(doc);
	if (!s)
		return cu_fail(err, CU_ERR_NOMEM, KSTAGE, "out of memory");
	n = strlen(s);
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		r = cu_fail(err, CU_ERR_IO, KSTAGE, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, s, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		r = cu_fail(err, CU_ERR_IO, KSTAGE, "%s: cannot write: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (replace ? rename(tmp, path) < 0 : link(tmp, path) < 0) {
		r = cu_fail(err, CU_ERR_IO, KSTAGE, "%s: cannot %s: %s", path,
		            replace ? "replace" : "create", strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (!replace)
		unlink(tmp);
	dir_copy = strdup(path);
	if (dir_copy && (dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
out:
	OPENSSL_cleanse(s, n);
	free(s);
	return r;
}

static int read_keys(const char *path, json_t **ret, struct cu_error *err)
{
	struct stat st;
	char *buf = NULL;
	json_t *doc = NULL, *keys;
	ssize_t got;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cu_fail(err, errno == ENOENT ? CU_ERR_NOT_FOUND : CU_ERR_IO, KSTAGE,
		               "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cu_fail(err, CU_ERR_IO, KSTAGE, "%s: not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return cu_fail(err, CU_ERR_IO, KSTAGE,
		               "%s: the signing key is accessible to group or others (mode %03o); "
		               "run chmod 600 on it",
		               path, (unsigned)(st.st_mode & 0777));
	}
	if (st.st_size == 0) {
		close(fd);
		return cu_fail(err, CU_ERR_MALFORMED, KSTAGE, "%s: empty file (size 0)", path);
	}
	if ((size_t)st.st_size > CU_LIMIT_KEYFILE_SIZE) {
		close(fd);
		return cu_fail(err, CU_ERR_TOO_LARGE, KSTAGE,
		               "%s: size %lld out of range (limit %u)", path, (long long)st.st_size,
		               CU_LIMIT_KEYFILE_SIZE);
	}
	buf = malloc((size_t)st.st_size);
	got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (got != st.st_size) {
		free(buf);
		return cu_fail(err, CU_ERR_IO, KSTAGE, "%s: cannot read", path);
	}
	r = cu_json_parse(buf, (size_t)got, CU_LIMIT_KEYFILE_SIZE, KSTAGE, &doc, err);
	OPENSSL_clear_free(buf, (size_t)got);
	if (r < 0) {
		cu_error_prefix_file(err, path);
		return r;
	}
	keys = json_incref(json_object_get(doc, "keys"));
	json_decref(doc);
	r = check_keys(keys, path, err);
	if (r < 0) {
		keys_free(keys);
		return r == CU_ERR_NOMEM ? cu_fail(err, r, KSTAGE, "out of memory") : r;
	}
	*ret = keys;
	return 0;
}

CU_EXPORT int cu_signing_key_open(cu_signing_key **ret, const char *path, enum cu_token_alg alg,
                                  bool *ret_created, struct cu_error *err)
{
	json_t *keys = NULL;
	cu_signing_key *k;
	bool created = false;
	int r;

	if (!ret || !path || !cu_token_alg_name(alg))
		return cu_fail(err, CU_ERR_INVALID_ARG, KSTAGE, "invalid argument");
	r = read_keys(path, &keys, err);
	if (r == CU_ERR_NOT_FOUND) {
		json_t *jwk = jwk_generate(alg);

		keys = jwk ? json_pack("[o]", jwk) : NULL;
		if (!keys)
			return cu_fail(err, CU_ERR_INTERNAL, KSTAGE, "cannot generate a %s key",
			               cu_token_alg_name(alg));
		r = write_keys(path, keys, false, err);
		if (r < 0) {
			keys_free(keys);
			return r;
		}
		created = true;
	} else if (r < 0) {
		return r;
	}
	k = calloc(1, sizeof(*k));
	if (!k || !(k->path = strdup(path))) {
		free(k);
		keys_free(keys);
		return cu_fail(err, CU_ERR_NOMEM, KSTAGE, "out of memory");
	}
	k->keys = keys;
	if (ret_created)
		*ret_created = created;
	*ret = k;
	return 0;
}

CU_EXPORT int cu_signing_key_rotate(cu_signing_key *k, enum cu_token_alg alg, struct cu_error *err)
{
	json_t *jwk, *keys;
	int r;

	if (!k || !cu_token_alg_name(alg))
		return cu_fail(err, CU_ERR_INVALID_ARG, KSTAGE, "invalid argument");
	jwk = jwk_generate(alg);
	keys = jwk ? json_pack("[o,o]", jwk, json_deep_copy(json_array_get(k->keys, 0))) : NULL;
	if (!keys)
		return cu_fail(err, CU_ERR_INTERNAL, KSTAGE, "cannot generate a %s key",
		               cu_token_alg_name(alg));
	r = write_keys(k->path, keys, true, err);
	if (r < 0) {
		keys_free(keys);
		return r;
	}
	keys_free(k->keys);
	k->keys = keys;
	return 0;
}

CU_EXPORT void cu_signing_key_free(cu_signing_key *k)
{
	if (!k)
		return;
	keys_free(k->keys);
	free(k->path);
	free(k);
}

CU_EXPORT const char *cu_signing_key_kid(const cu_signing_key *k)
{
	return json_string_value(json_object_get(json_array_get(k->keys, 0), "kid"));
}

CU_EXPORT enum cu_token_alg cu_signing_key_alg(const cu_signing_key *k)
{
	return jwk_alg(json_array_get(k->keys, 0));
}

CU_EXPORT json_t *cu_signing_key_jwks(const cu_signing_key *k)
{
	json_auto_t *arr = json_array();
	size_t i;
	json_t *jwk;

	if (!arr)
		return NULL;
	json_array_foreach (k->keys, i, jwk)
		if (json_array_append_new(arr, jwk_public(jwk)) < 0)
			return NULL;
	return json_pack("{s:O}", "keys", arr);
}

/* ---- Signing -------------------------------------------------------------------- */

static char *b64_json(const json_t *j)
{
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	return s ? cu_base64url_encode_alloc((const uint8_t *)s, strlen(s)) : NULL;
}

static int ed25519_sign(const json_t *jwk, const char *input, char **ret_sig)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = ed25519_from_jwk(jwk, true);
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[64];
	size_t sig_size = sizeof(sig);

	if (!pk || !ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_size, (const uint8_t *)input, strlen(input)) != 1)
		return CU_ERR_INTERNAL;
	*ret_sig = cu_base64url_encode_alloc(sig, sig_size);
	return *ret_sig ? 0 : CU_ERR_NOMEM;
}

/* Sign claims with a private JWK; the header names `kid` when given. */
static int sign_jwk(const json_t *jwk, const char *kid, const json_t *claims, char **ret,
                    struct cu_error *err)
{
	enum cu_token_alg alg = jwk_alg(jwk);
	json_auto_t *header = NULL;
	_cleanup_free_ char *h = NULL, *p = NULL, *input = NULL, *sig = NULL;
	char *out;

	if (!alg)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               STAGE ": signing key type not accepted");
	header = json_pack("{s:s,s:s}", "alg", cu_token_alg_name(alg), "typ", "JWT");
	if (header && kid && json_object_set_new(header, "kid", json_string(kid)) < 0)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	if (!header || !(h = b64_json(header)) || !(p = b64_json(claims)) ||
	    asprintf(&input, "%s.%s", h, p) < 0) {
		input = NULL;
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	if (alg == CU_ALG_EDDSA) {
		if (ed25519_sign(jwk, input, &sig) < 0)
			return cu_fail(err, CU_ERR_INTERNAL, STAGE,
			               STAGE ": Ed25519 signing failed");
	} else {
		json_auto_t *jws = json_pack("{s:s}", "payload", p);
		json_auto_t *tmpl = json_pack("{s:s}", "protected", h);

		if (!jws || !tmpl || !jose_jws_sig(NULL, jws, tmpl, jwk))
			return cu_fail(err, CU_ERR_INTERNAL, STAGE, STAGE ": %s signing failed",
			               cu_token_alg_name(alg));
		/* libjose keeps our encoded header: check, do not assume. */
		if (strcmp(json_string_value(json_object_get(jws, "protected")) ?: "", h) ||
		    !json_is_string(json_object_get(jws, "signature")))
			return cu_fail(err, CU_ERR_INTERNAL, STAGE,
			               STAGE ": unexpected JWS from libjose");
		sig = strdup(json_string_value(json_object_get(jws, "signature")));
		if (!sig)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	if (asprintf(&out, "%s.%s", input, sig) < 0)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	*ret = out;
	return 0;
}

CU_EXPORT int cu_token_sign(const cu_signing_key *k, const json_t *claims, char **ret,
                            struct cu_error *err)
{
	if (!k || !claims || !ret)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, STAGE ": invalid argument");
	return sign_jwk(json_array_get(k->keys, 0), cu_signing_key_kid(k), claims, ret, err);
}

json_t *cu_jwk_from_pkey(EVP_PKEY *pk, bool private)
{
	json_t *jwk = NULL;

	if (EVP_PKEY_is_a(pk, "ED25519")) {
		uint8_t raw[32];
		size_t n = sizeof(raw);
		_cleanup_free_ char *x = NULL, *d = NULL;

		if (EVP_PKEY_get_raw_public_key(pk, raw, &n) != 1 || n != 32 ||
		    !(x = cu_base64url_encode_alloc(raw, n)))
			return NULL;
		if (private) {
			n = sizeof(raw);
			if (EVP_PKEY_get_raw_private_key(pk, raw, &n) != 1 ||
			    !(d = cu_base64url_encode_alloc(raw, n))) {
				OPENSSL_cleanse(raw, sizeof(raw));
				return NULL;
			}
			OPENSSL_cleanse(raw, sizeof(raw));
		}
		jwk = json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", x);
		if (jwk && d && json_object_set_new(jwk, "d", json_string(d)) < 0) {
			json_decref(jwk);
			jwk = NULL;
		}
		if (d)
			OPENSSL_cleanse(d, strlen(d));
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, pk);
		if (jwk && !private) {
			jwk_wipe(jwk);
			json_object_del(jwk, "d");
		}
	}
	if (jwk && !jwk_alg(jwk)) {
		jwk_wipe(jwk);
		json_decref(jwk);
		return NULL;
	}
	return jwk;
}

int cu_token_sign_pkey(EVP_PKEY *pk, const json_t *claims, char **ret, struct cu_error *err)
{
	json_t *jwk = cu_jwk_from_pkey(pk, true);
	int r;

	if (!jwk)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               STAGE ": the key is not Ed25519, P-256 or P-384");
	r = sign_jwk(jwk, NULL, claims, ret, err);
	jwk_wipe(jwk);
	json_decref(jwk);
	return r;
}

/* ---- Verification ------------------------------------------------------------------ */

static bool ed25519_verify(const json_t *jwk, const char *input, size_t input_size,
                           const uint8_t *sig, size_t sig_size)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = ed25519_from_jwk(jwk, false);
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	return pk && ctx && sig_size == 64 &&
	       EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
	       EVP_DigestVerify(ctx, sig, sig_size, (const uint8_t *)input, input_size) == 1;
}

static const json_t *find_key(const json_t *jwks, const char *kid, struct cu_error *err)
{
	const json_t *keys = json_object_get(jwks, "keys"), *k;
	size_t i;

	if (!json_is_array(keys) || json_array_size(keys) > CU_LIMIT_JWKS_KEYS) {
		cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": JWKS: expected {\"keys\": [...]}");
		return NULL;
	}
	if (!kid) {
		if (json_array_size(keys) == 1)
			return json_array_get(keys, 0);
		cu_fail(err, CU_ERR_MALFORMED, STAGE,
		        STAGE ": header has no kid and the JWKS holds %zu keys",
		        json_array_size(keys));
		return NULL;
	}
	json_array_foreach (keys, i, k) {
		const char *id = json_string_value(json_object_get(k, "kid"));
		if (id && !strcmp(id, kid))
			return k;
	}
	cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
	        STAGE ": no key with kid \"%.64s\" in the JWKS (signed by another issuer, or a "
	              "key rotated out)",
	        kid);
	return NULL;
}

static int decode_part(const char *s, size_t n, const char *what, uint8_t **ret, size_t *ret_size,
                       struct cu_error *err)
{
	if (cu_base64url_decode(s, n, ret, ret_size) < 0)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": %s: invalid base64url", what);
	return 0;
}

CU_EXPORT int cu_token_verify(const char *token, size_t size, const json_t *jwks, int64_t at,
                              json_t **ret_claims, struct cu_error *err)
{
	const char *dot1, *dot2;
	_cleanup_free_ uint8_t *hbuf = NULL, *pbuf = NULL, *sbuf = NULL;
	size_t hsize, psize, ssize;
	json_auto_t *header = NULL, *claims = NULL;
	const json_t *jwk, *v;
	const char *alg, *kid;
	enum cu_token_alg pinned;
	bool ok;
	int r;

	if (!token || !jwks || !ret_claims)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, STAGE ": invalid argument");
	if (size > CU_LIMIT_TOKEN_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE, STAGE ": %zu bytes, limit %u", size,
		               CU_LIMIT_TOKEN_SIZE);
	if (memchr(token, '\0', size))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": NUL byte in token");
	dot1 = memchr(token, '.', size);
	dot2 = dot1 ? memchr(dot1 + 1, '.', size - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', size - (size_t)(dot2 + 1 - token)))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE ": expected a compact JWS (header.payload.signature)");
	r = decode_part(token, (size_t)(dot1 - token), "header", &hbuf, &hsize, err);
	if (r < 0)
		return r;
	r = cu_json_parse((const char *)hbuf, hsize, hsize, STAGE, &header, err);
	if (r < 0) {
		cu_error_prefix(err, "header: ");
		return r;
	}
	alg = json_string_value(json_object_get(header, "alg"));
	kid = json_string_value(json_object_get(header, "kid"));
	if (!alg)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": header: alg missing");
	if (json_object_get(header, "crit"))
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               STAGE ": header: crit extensions are not supported");
	jwk = find_key(jwks, kid, err);
	if (!jwk)
		return err ? err->code : CU_ERR_NOT_FOUND;
	pinned = jwk_alg(jwk);
	if (!pinned)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               STAGE
		               ": key \"%.64s\": type not accepted for attestation results (EC "
		               "P-256, EC P-384, OKP Ed25519)",
		               kid ? kid : "");
	v = json_object_get(jwk, "alg");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), cu_token_alg_name(pinned))))
		return cu_fail(err, CU_ERR_MISMATCH, STAGE,
		               STAGE
		               ": JWKS key \"%.64s\" claims alg %.16s, but its type allows only %s",
		               kid ? kid : "", json_is_string(v) ? json_string_value(v) : "?",
		               cu_token_alg_name(pinned));
	if (strcmp(alg, cu_token_alg_name(pinned)))
		return cu_fail(err, CU_ERR_SIGNATURE, STAGE,
		               STAGE ": header alg \"%.16s\" refused: key \"%.64s\" is for %s only",
		               alg, kid ? kid : "", cu_token_alg_name(pinned));
	r = decode_part(dot2 + 1, size - (size_t)(dot2 + 1 - token), "signature", &sbuf, &ssize,
	                err);
	if (r < 0)
		return r;
	if (pinned == CU_ALG_EDDSA) {
		ok = ed25519_verify(jwk, token, (size_t)(dot2 - token), sbuf, ssize);
	} else {
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = ec_from_jwk(jwk, pinned);
		size_t n = pinned == CU_ALG_ES256 ? 32 : 48;

		if (!pk)
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               STAGE ": JWKS key \"%.64s\": not a valid %s public key",
			               kid ? kid : "", cu_token_alg_name(pinned));
		/* RFC 7518 section 3.4: R || S, big-endian, each exactly the curve's size. */
		ok = ssize == 2 * n &&
		     cu_ecdsa_verify_raw_be(
		         pk, pinned == CU_ALG_ES256 ? NID_X9_62_prime256v1 : NID_secp384r1,
		         pinned == CU_ALG_ES256 ? EVP_sha256() : EVP_sha384(),
		         (const uint8_t *)token, (size_t)(dot2 - token), sbuf, sbuf + n, n,
		         NULL) == 0;
	}
	if (!ok)
		return cu_fail(err, CU_ERR_SIGNATURE, STAGE,
		               STAGE ": signature does not verify with key \"%.64s\"",
		               kid ? kid : "");

	r = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), "payload", &pbuf, &psize, err);
	if (r < 0)
		return r;
	r = cu_json_parse((const char *)pbuf, psize, psize, STAGE, &claims, err);
	if (r < 0) {
		cu_error_prefix(err, "payload: ");
		return r;
	}
	if (!json_is_object(claims))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE ": payload is not a JSON object");
	v = json_object_get(claims, "exp");
	if (!json_is_integer(v))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               STAGE ": exp %s: attestation results must expire",
		               v ? "is not an integer" : "missing");
	/* No arithmetic on the token's numbers: they may be anything a signer wrote. */
	if (at >= json_integer_value(v))
		return cu_fail(err, CU_ERR_EXPIRED, STAGE,
		               STAGE ": expired: exp %" JSON_INTEGER_FORMAT
		                     " is not after the check time %lld",
		               json_integer_value(v), (long long)at);
	v = json_object_get(claims, "nbf");
	if (v && !json_is_integer(v))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": nbf is not an integer");
	if (v && at < json_integer_value(v))
		return cu_fail(err, CU_ERR_EXPIRED, STAGE,
		               STAGE ": not valid yet: nbf %" JSON_INTEGER_FORMAT
		                     " is after the check time %lld",
		               json_integer_value(v), (long long)at);
	v = json_object_get(claims, "iat");
	if (v && !json_is_integer(v))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, STAGE ": iat is not an integer");
	*ret_claims = TAKE_PTR(claims);
	return 0;
}
