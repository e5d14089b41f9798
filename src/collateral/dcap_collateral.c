/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../crypto/openssl-util.h"
#include "../crypto/x509.h"
#include "dcap_collateral.h"

#define STAGE "collateral"

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Index just past the JSON string starting at s[i] == '"', or 0. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* Index just past the JSON value starting at s[i], or 0. The text is already valid JSON. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
	unsigned depth = 0;

	if (i >= n)
		return 0;
	if (s[i] == '"')
		return skip_string(s, n, i);
	for (; i < n; i++) {
		if (s[i] == '"') {
			size_t e = skip_string(s, n, i);
			if (!e)
				return 0;
			i = e - 1;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if (s[i] == '}' || s[i] == ']') {
			if (depth == 0)
				return i; /* end of a scalar at the end of the enclosing object */
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && (s[i] == ',' || s[i] == ' ' || s[i] == '\n' ||
		                          s[i] == '\r' || s[i] == '\t')) {
			return i;
		}
	}
	return depth == 0 ? i : 0;
}

/*
 * The exact text of member `key` of the top-level object: what Intel signs
 * is the inner object as served, so it must not be re-serialised.
 */
static bool raw_member(const char *s, size_t n, const char *key, size_t *ret_off, size_t *ret_len)
{
	size_t klen = strlen(key), i = skip_ws(s, n, 0);

	if (i >= n || s[i] != '{')
		return false;
	for (i = skip_ws(s, n, i + 1); i < n && s[i] == '"';) {
		size_t kend = skip_string(s, n, i), vstart, vend;
		bool match;

		if (!kend)
			return false;
		match = kend - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0;
		i = skip_ws(s, n, kend);
		if (i >= n || s[i] != ':')
			return false;
		vstart = skip_ws(s, n, i + 1);
		vend = skip_value(s, n, vstart);
		if (!vend || vend <= vstart)
			return false;
		if (match) {
			*ret_off = vstart;
			*ret_len = vend - vstart;
			return true;
		}
		i = skip_ws(s, n, vend);
		if (i < n && s[i] == ',')
			i = skip_ws(s, n, i + 1);
	}
	return false;
}

bool cu_dcap_collateral_detect(const uint8_t *buf, size_t size)
{
	size_t i = skip_ws((const char *)buf, size, 0);

	return i < size && buf[i] == '{';
}

static int add_doc(json_t *docs, const char *kind, const char *body, size_t body_len,
                   const char *sig_hex, struct cu_error *err)
{
	json_t *d;

	if (!sig_hex || strlen(sig_hex) != 128 || cu_hex_decoded_size(sig_hex, 128) != 64)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "%s: signature must be 64 bytes in hex (ECDSA P-256 r||s)", kind);
	d = json_pack("{s:s,s:s%,s:s}", "kind", kind, "body", body, body_len, "signature", sig_hex);
	if (!d || json_array_append_new(docs, d) < 0)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	return 1;
}

/* Intel PCS form: {"tcbInfo":{...},"signature":"..."} or {"enclaveIdentity":...}. */
static int parse_pcs(const char *text, size_t size, json_t *root, json_t *docs,
                     struct cu_error *err)
{
	static const struct {
		const char *member, *kind;
	} kinds[] = { { "tcbInfo", "tcb_info" }, { "enclaveIdentity", "qe_identity" } };
	const char *sig = json_string_value(json_object_get(root, "signature"));

	for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
		size_t off, len;

		if (!json_is_object(json_object_get(root, kinds[k].member)))
			continue;
		if (!raw_member(text, size, kinds[k].member, &off, &len))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: body not found",
			               kinds[k].member);
		return add_doc(docs, kinds[k].kind, text + off, len, sig, err);
	}
	return 0;
}

/* PEM chains and hex DER CRLs of a QuoteCollateralV3 bundle. */
static int bundle_x509(json_t *root, STACK_OF(X509) * *certs, STACK_OF(X509_CRL) * *crls,
                       struct cu_error *err)
{
	static const char *const chains[] = { "pck_crl_issuer_chain", "tcb_info_issuer_chain",
		                              "qe_identity_issuer_chain" };
	static const char *const crl_keys[] = { "root_ca_crl", "pck_crl" };
	int n = 0;

	for (size_t i = 0; i < ELEMENTSOF(chains); i++) {
		const char *pem = json_string_value(json_object_get(root, chains[i]));
		int r;

		if (!pem)
			continue;
		r = cu_x509_parse_any((const uint8_t *)pem, strlen(pem), certs, crls, err);
		if (r <= 0)
			return r < 0 ? r
			             : cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: no certificate",
			                       chains[i]);
		n += r;
	}
	for (size_t i = 0; i < ELEMENTSOF(crl_keys); i++) {
		const char *hex = json_string_value(json_object_get(root, crl_keys[i]));
		_cleanup_free_ uint8_t *der = NULL;
		long dlen;
		int r;

		if (!hex)
			continue;
		dlen = cu_hex_decoded_size(hex, strlen(hex));
		if (dlen <= 0 || !(der = malloc((size_t)dlen)) ||
		    cu_hex_decode(hex, strlen(hex), der, (size_t)dlen) < 0)
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: not a hex DER CRL",
			               crl_keys[i]);
		r = cu_x509_parse_any(der, (size_t)dlen, certs, crls, err);
		if (r <= 0)
			return r < 0 ? r
			             : cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: not a CRL",
			                       crl_keys[i]);
		n += r;
	}
	return n;
}

/* dcap-qvl / PCCS client QuoteCollateralV3: bodies as strings, signatures in hex. */
static int parse_bundle(json_t *root, json_t *docs, STACK_OF(X509) * *certs,
                        STACK_OF(X509_CRL) * *crls, struct cu_error *err)
{
	static const struct {
		const char *body, *sig, *kind;
	} kinds[] = { { "tcb_info", "tcb_info_signature", "tcb_info" },
		      { "qe_identity", "qe_identity_signature", "qe_identity" } };
	_cleanup_x509_stack_ STACK_OF(X509) *c = NULL;
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *l = NULL;
	int n = 0, r;

	for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
		json_t *body = json_object_get(root, kinds[k].body);

		if (!json_is_string(body))
			continue;
		r = add_doc(docs, kinds[k].kind, json_string_value(body), json_string_length(body),
		            json_string_value(json_object_get(root, kinds[k].sig)), err);
		if (r < 0)
			return r;
		n += r;
	}
	if (n == 0)
		return 0;
	if ((r = bundle_x509(root, &c, &l, err)) < 0)
		return r;
	if (cu_x509_move_all(certs, c, crls, l) < 0)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	return n + r;
}

int cu_dcap_collateral_parse(const uint8_t *buf, size_t size, json_t **docs,
                             STACK_OF(X509) * *certs, STACK_OF(X509_CRL) * *crls,
                             struct cu_error *err)
{
	json_auto_t *root = NULL;
	json_auto_t *staged = json_array();
	int r;

	if (!staged)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	if ((r = cu_json_parse((const char *)buf, size, CU_LIMIT_COLLATERAL_FILE_SIZE, STAGE, &root,
	                       err)) < 0)
		return r;
	if (!json_is_object(root))
		return 0;
	r = parse_pcs((const char *)buf, size, root, staged, err);
	if (r == 0)
		r = parse_bundle(root, staged, certs, crls, err);
	/* a JWK public key (e.g. an Arm CCA platform attestation key) */
	if (r == 0 && json_is_string(json_object_get(root, "kty"))) {
		if (json_object_get(root, "d"))
			return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
			               "a private JWK given as collateral: pass its public part");
		if (json_array_append_new(
		        staged, json_pack("{s:s,s:O}", "kind", "public_key", "jwk", root)) < 0)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
		r = 1;
	}
	if (r <= 0)
		return r;
	if (!*docs && !(*docs = json_array()))
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	if (json_array_extend(*docs, staged) < 0)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	return r;
}
