/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm CCA attestation tokens (RMM specification "Realm Management Monitor"
 * A7.2, and draft-ffm-rats-cca-token): CBOR tag 399, a map {44234: platform
 * token, 44241: realm token}, each a COSE_Sign1 in a byte string. The realm
 * token is signed by the realm attestation key (RAK) it carries (44237, a
 * raw point in the legacy encoding, a COSE_Key in the draft); the platform
 * token by the CCA platform attestation key (CPAK), an endorsement given as
 * collateral (a JWK or PEM public key); the platform token's challenge is
 * the hash of the RAK bytes with the algorithm the realm names (44240).
 * Stages: parse, realm-signature, platform-signature, realm-binding, binding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "../collateral/collateral.h"
#include "../crypto/cose.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "evidence.h"

#define CCA_TAG            399
#define CCA_PLATFORM_TOKEN 44234
#define CCA_REALM_TOKEN    44241

/* Claim keys (RMM A7.2.3, PSA token claims) */
#define K_CHALLENGE       10
#define K_PROFILE         265
#define K_INSTANCE_ID     256
#define K_LIFECYCLE       2395
#define K_IMPLEMENTATION  2396
#define K_SW_COMPONENTS   2399
#define K_VERIFICATION    2400
#define K_CONFIG          2401
#define K_PLATFORM_HASH   2402
#define K_PERSONALIZATION 44235
#define K_REALM_HASH      44236
#define K_RAK             44237
#define K_RIM             44238
#define K_REM             44239
#define K_RAK_HASH        44240

struct cca_token {
	cbor_item_t *root;
	struct cu_cose_sign1 platform, realm;
	cbor_item_t *pclaims, *rclaims;
};

static void token_done(struct cca_token *t)
{
	cu_cose_sign1_done(&t->platform);
	cu_cose_sign1_done(&t->realm);
	if (t->pclaims)
		cbor_decref(&t->pclaims);
	if (t->rclaims)
		cbor_decref(&t->rclaims);
	if (t->root)
		cbor_decref(&t->root);
}

#define BAD(...) cu_fail(err, CU_ERR_MALFORMED, "parse", "cca: " __VA_ARGS__)

static bool bytes(const cbor_item_t *i, const uint8_t **p, size_t *n)
{
	if (!i || !cbor_isa_bytestring(i) || !cbor_bytestring_is_definite(i))
		return false;
	*p = cbor_bytestring_handle(i);
	*n = cbor_bytestring_length(i);
	return true;
}

static bool text(const cbor_item_t *i)
{
	return i && cbor_isa_string(i) && cbor_string_is_definite(i);
}

static int token_parse(const uint8_t *buf, size_t size, struct cca_token *t, struct cu_error *err)
{
	cbor_item_t *map = NULL;
	const uint8_t *p, *r;
	size_t pn, rn;
	int k;

	memset(t, 0, sizeof(*t));
	if ((k = cu_cbor_load(buf, size, "CCA token", &t->root, err)) < 0)
		return k;
	if (!cbor_isa_tag(t->root) || cbor_tag_value(t->root) != CCA_TAG) {
		k = BAD("not a CBOR tag 399 (CCA attestation token) collection");
		goto fail;
	}
	map = cbor_tag_item(t->root); /* a reference of our own, given back below */
	if (!cbor_isa_map(map) || cbor_map_size(map) != 2 ||
	    !bytes(cu_cbor_map_get_int(map, CCA_PLATFORM_TOKEN), &p, &pn) ||
	    !bytes(cu_cbor_map_get_int(map, CCA_REALM_TOKEN), &r, &rn)) {
		cbor_decref(&map);
		k = BAD("expected {44234: platform token, 44241: realm token}");
		goto fail;
	}
	cbor_decref(&map);
	if ((k = cu_cose_sign1_parse(p, pn, &t->platform, err)) < 0 ||
	    (k = cu_cose_sign1_parse(r, rn, &t->realm, err)) < 0 ||
	    (k = cu_cbor_load(t->platform.payload, t->platform.payload_size, "CCA platform claims",
	                      &t->pclaims, err)) < 0 ||
	    (k = cu_cbor_load(t->realm.payload, t->realm.payload_size, "CCA realm claims",
	                      &t->rclaims, err)) < 0)
		goto fail;
	if (!cbor_isa_map(t->pclaims) || !cbor_isa_map(t->rclaims)) {
		k = BAD("the platform and realm claims must be maps");
		goto fail;
	}
	{
		const uint8_t *c;
		size_t n;

		if (!bytes(cu_cbor_map_get_int(t->rclaims, K_CHALLENGE), &c, &n) || n != 64)
			k = BAD("realm challenge (10): not 64 bytes");
		else if (!bytes(cu_cbor_map_get_int(t->rclaims, K_RAK), &c, &n))
			k = BAD("realm public key (44237): missing");
		else if (!text(cu_cbor_map_get_int(t->rclaims, K_RAK_HASH)))
			k = BAD("realm public key hash algorithm (44240): missing");
		else if (!bytes(cu_cbor_map_get_int(t->rclaims, K_RIM), &c, &n))
			k = BAD("realm initial measurement (44238): missing");
		else if (!bytes(cu_cbor_map_get_int(t->pclaims, K_CHALLENGE), &c, &n))
			k = BAD("platform challenge (10): missing");
		else if (!bytes(cu_cbor_map_get_int(t->pclaims, K_INSTANCE_ID), &c, &n))
			k = BAD("platform instance id (256): missing");
		else
			k = 0;
		if (k < 0)
			goto fail;
	}
	return 0;
fail:
	token_done(t);
	return k;
}

static bool cca_detect(const uint8_t *buf, size_t size)
{
	/* tag 399: 0xd9 0x01 0x8f */
	return buf && size > 8 && buf[0] == 0xd9 && buf[1] == 0x01 && buf[2] == 0x8f;
}

/* -------------------------------------------------------------- keys */

/* The RAK: a raw uncompressed P-384 point (legacy) or a COSE_Key (EC2, P-384). */
static EVP_PKEY *rak(const uint8_t *p, size_t n)
{
	cbor_item_t *key = NULL;
	const uint8_t *x, *y;
	size_t xn, yn;
	int64_t kty, crv;
	EVP_PKEY *k = NULL;

	if (n == 97 && p[0] == 0x04)
		return cu_ec_pub_from_xy("P-384", p + 1, p + 49, 48);
	if (cu_cbor_load(p, n, "realm public key", &key, NULL) < 0)
		return NULL;
	if (cu_cbor_int(cu_cbor_map_get_int(key, 1), &kty) && kty == 2 &&
	    cu_cbor_int(cu_cbor_map_get_int(key, -1), &crv) && crv == 2 &&
	    bytes(cu_cbor_map_get_int(key, -2), &x, &xn) && xn == 48 &&
	    bytes(cu_cbor_map_get_int(key, -3), &y, &yn) && yn == 48)
		k = cu_ec_pub_from_xy("P-384", x, y, 48);
	cbor_decref(&key);
	return k;
}

static int64_t alg_for(EVP_PKEY *k)
{
	char group[32] = "";
	size_t n = 0;

	EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &n);
	return !strcmp(group, "prime256v1") || !strcmp(group, "P-256")  ? CU_COSE_ALG_ES256
	       : !strcmp(group, "secp384r1") || !strcmp(group, "P-384") ? CU_COSE_ALG_ES384
	       : !strcmp(group, "secp521r1") || !strcmp(group, "P-521") ? CU_COSE_ALG_ES512
	                                                                : 0;
}

/* ------------------------------------------------------------- claims */

static json_t *hex(const cbor_item_t *i)
{
	const uint8_t *p;
	size_t n;
	char *h;
	json_t *j;

	if (!bytes(i, &p, &n) || !(h = cu_hex_encode_alloc(p, n)))
		return json_null();
	j = json_string(h);
	free(h);
	return j;
}

static json_t *str(const cbor_item_t *i)
{
	return text(i) ? json_stringn((const char *)cbor_string_handle(i), cbor_string_length(i))
	               : json_null();
}

static const char *lifecycle_state(int64_t v)
{
	switch (v >> 8) {
	case 0x10:
		return "assembly_and_test";
	case 0x20:
		return "cca_platform_rot_provisioning";
	case 0x30:
		return "secured";
	case 0x40:
		return "non_cca_platform_rot_debug";
	case 0x50:
		return "recoverable_cca_platform_rot_debug";
	case 0x60:
		return "decommissioned";
	default:
		return "unknown";
	}
}

static int token_claims(const struct cca_token *t, json_t **ret)
{
	json_auto_t *c = json_object();
	json_t *p = json_object(), *r = json_object(), *sw = json_array(), *rem = json_array();
	cbor_item_t *swi = cu_cbor_map_get_int(t->pclaims, K_SW_COMPONENTS);
	cbor_item_t *remi = cu_cbor_map_get_int(t->rclaims, K_REM);
	int64_t lc = -1;
	int k = !c || !p || !r || !sw || !rem;

	if (k) {
		json_decref(p);
		json_decref(r);
		json_decref(sw);
		json_decref(rem);
		return CU_ERR_NOMEM;
	}
	(void)cu_cbor_int(cu_cbor_map_get_int(t->pclaims, K_LIFECYCLE), &lc);
	for (size_t i = 0; swi && cbor_isa_array(swi) && i < cbor_array_size(swi); i++) {
		cbor_item_t *m = cbor_array_handle(swi)[i];

		json_array_append_new(sw,
		                      json_pack("{s:o,s:o,s:o,s:o,s:o}", "component_type",
		                                str(cu_cbor_map_get_int(m, 1)), "measurement_value",
		                                hex(cu_cbor_map_get_int(m, 2)), "version",
		                                str(cu_cbor_map_get_int(m, 4)), "signer_id",
		                                hex(cu_cbor_map_get_int(m, 5)), "hash_algo_id",
		                                str(cu_cbor_map_get_int(m, 6))));
	}
	for (size_t i = 0; remi && cbor_isa_array(remi) && i < cbor_array_size(remi); i++)
		json_array_append_new(rem, hex(cbor_array_handle(remi)[i]));
	k |= json_object_set_new(p, "profile", str(cu_cbor_map_get_int(t->pclaims, K_PROFILE)));
	k |= json_object_set_new(p, "challenge", hex(cu_cbor_map_get_int(t->pclaims, K_CHALLENGE)));
	k |= json_object_set_new(p, "implementation_id",
	                         hex(cu_cbor_map_get_int(t->pclaims, K_IMPLEMENTATION)));
	k |= json_object_set_new(p, "instance_id",
	                         hex(cu_cbor_map_get_int(t->pclaims, K_INSTANCE_ID)));
	k |= json_object_set_new(p, "config", hex(cu_cbor_map_get_int(t->pclaims, K_CONFIG)));
	k |= json_object_set_new(p, "lifecycle", lc >= 0 ? json_integer(lc) : json_null());
	k |= json_object_set_new(p, "lifecycle_state", json_string(lifecycle_state(lc)));
	k |= json_object_set_new(p, "hash_algo_id",
	                         str(cu_cbor_map_get_int(t->pclaims, K_PLATFORM_HASH)));
	k |= json_object_set_new(p, "verification_service",
	                         str(cu_cbor_map_get_int(t->pclaims, K_VERIFICATION)));
	k |= json_object_set_new(p, "sw_components", sw);
	k |= json_object_set_new(r, "profile", str(cu_cbor_map_get_int(t->rclaims, K_PROFILE)));
	k |= json_object_set_new(r, "challenge", hex(cu_cbor_map_get_int(t->rclaims, K_CHALLENGE)));
	k |= json_object_set_new(r, "personalization_value",
	                         hex(cu_cbor_map_get_int(t->rclaims, K_PERSONALIZATION)));
	k |= json_object_set_new(r, "initial_measurement",
	                         hex(cu_cbor_map_get_int(t->rclaims, K_RIM)));
	k |= json_object_set_new(r, "extensible_measurements", rem);
	k |= json_object_set_new(r, "hash_algo_id",
	                         str(cu_cbor_map_get_int(t->rclaims, K_REALM_HASH)));
	k |= json_object_set_new(r, "public_key", hex(cu_cbor_map_get_int(t->rclaims, K_RAK)));
	k |= json_object_set_new(r, "public_key_hash_algo_id",
	                         str(cu_cbor_map_get_int(t->rclaims, K_RAK_HASH)));
	k |= json_object_set_new(c, "tee", json_string("cca"));
	k |= json_object_set_new(c, "measurement", hex(cu_cbor_map_get_int(t->rclaims, K_RIM)));
	k |= json_object_set_new(c, "report_data",
	                         hex(cu_cbor_map_get_int(t->rclaims, K_CHALLENGE)));
	/* the platform's root of trust in a debug lifecycle state */
	k |= json_object_set_new(c, "debug", json_boolean((lc >> 8) == 0x40 || (lc >> 8) == 0x50));
	k |= json_object_set_new(c, "platform_id",
	                         hex(cu_cbor_map_get_int(t->pclaims, K_INSTANCE_ID)));
	k |= json_object_set_new(c, "cca", json_pack("{s:o,s:o}", "platform", p, "realm", r));
	if (k)
		return CU_ERR_NOMEM;
	*ret = json_incref(c);
	return 0;
}

static int cca_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	struct cca_token t;
	json_t *c;
	int r;

	if ((r = token_parse(buf, size, &t, err)) < 0)
		return r;
	r = token_claims(&t, &c);
	token_done(&t);
	if (r < 0 || json_object_set_new(c, "verified", json_false()) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	*ret = c;
	return 0;
}

/* -------------------------------------------------------- verification */

static const EVP_MD *md_named(const char *name)
{
	return !name                      ? NULL
	       : !strcmp(name, "sha-256") ? EVP_sha256()
	       : !strcmp(name, "sha-384") ? EVP_sha384()
	       : !strcmp(name, "sha-512") ? EVP_sha512()
	                                  : NULL;
}

static int check_realm_binding(const struct cca_token *t, struct cu_error *err)
{
	const cbor_item_t *algi = cu_cbor_map_get_int(t->rclaims, K_RAK_HASH);
	char alg[16] = "";
	const uint8_t *key = NULL, *challenge = NULL;
	size_t kn = 0, cn = 0;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hn = 0;
	const EVP_MD *md;

	snprintf(alg, sizeof(alg), "%.*s", (int)cbor_string_length(algi),
	         (const char *)cbor_string_handle(algi));
	if (!(md = md_named(alg)))
		return cu_fail(err, CU_ERR_UNSUPPORTED, "realm-binding",
		               "cca: realm public key hash algorithm \"%s\" (sha-256, sha-384, "
		               "sha-512)",
		               alg);
	(void)bytes(cu_cbor_map_get_int(t->rclaims, K_RAK), &key, &kn);
	(void)bytes(cu_cbor_map_get_int(t->pclaims, K_CHALLENGE), &challenge, &cn);
	if (EVP_Digest(key, kn, h, &hn, md, NULL) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, "realm-binding", "digest failed");
	if (hn != cn || CRYPTO_memcmp(h, challenge, hn))
		return cu_fail(err, CU_ERR_BINDING, "realm-binding",
		               "cca: the platform token's challenge is not the %s of the realm "
		               "public key: the two tokens do not belong together",
		               alg);
	return 0;
}

static int cca_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                      const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	struct cca_token t;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *realm_key = NULL;
	json_t *docs = v->collateral->dcap_docs, *c = NULL;
	const uint8_t *p = NULL, *rd = NULL;
	size_t n = 0, rdn = 0;
	int r, n_keys = 0;
	bool platform_ok = false;

	if (opts->eventlog)
		return cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		               "cca: an event log was given, but CCA tokens carry their own "
		               "measurements");
	if ((r = token_parse(buf, size, &t, err)) < 0)
		return r;
	(void)bytes(cu_cbor_map_get_int(t.rclaims, K_RAK), &p, &n);
	if (!(realm_key = rak(p, n))) {
		token_done(&t);
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "cca: the realm public key (44237) is neither a P-384 point nor a "
		               "P-384 COSE_Key");
	}
	if ((r = cu_cose_sign1_verify(&t.realm, CU_COSE_ALG_ES384, realm_key, err)) < 0) {
		token_done(&t);
		if (err)
			err->stage = "realm-signature";
		return r;
	}
	/* the platform token, by a platform key given as collateral */
	for (size_t i = 0; i < json_array_size(docs) && !platform_ok; i++) {
		json_t *d = json_array_get(docs, i);
		EVP_PKEY *k;

		if (!(k = cu_collateral_public_key(d)))
			continue;
		n_keys++;
		platform_ok = alg_for(k) && t.platform.alg == alg_for(k) &&
		              cu_cose_sign1_verify(&t.platform, alg_for(k), k, NULL) == 0;
		EVP_PKEY_free(k);
	}
	if (!platform_ok) {
		token_done(&t);
		return n_keys ? cu_fail(err, CU_ERR_SIGNATURE, "platform-signature",
		                        "cca: the platform token verifies with none of the %d "
		                        "platform keys (CPAK) in the collateral",
		                        n_keys)
		              : cu_fail(err, CU_ERR_NOT_FOUND, "platform-signature",
		                        "cca: no platform attestation key (CPAK) in the collateral "
		                        "(pass it with --collateral: a JWK or PEM public key)");
	}
	if ((r = check_realm_binding(&t, err)) < 0) {
		token_done(&t);
		return r;
	}
	(void)bytes(cu_cbor_map_get_int(t.rclaims, K_CHALLENGE), &rd, &rdn);
	if ((r = cu_check_report_data(rd, opts, "cca", "the realm challenge", err)) < 0) {
		token_done(&t);
		return r;
	}
	r = token_claims(&t, &c);
	token_done(&t);
	if (r < 0 || json_object_set_new(c, "verified", json_true()) < 0) {
		json_decref(c);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	*ret = c;
	return 0;
}

static void cca_state_free(void *state)
{
	free(state);
}

const struct cu_evidence_ops cu_cca_ops = {
	.name = "cca",
	.tee = "cca",
	.detect = cca_detect,
	.inspect = cca_inspect,
	.verify = cca_verify,
	.state_free = cca_state_free,
};
