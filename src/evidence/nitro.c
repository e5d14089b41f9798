/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Nitro Enclaves attestation documents (AWS, "Verifying the root of
 * trust", the NSM attestation document specification): COSE_Sign1 with
 * ES384 over a CBOR map {module_id, digest, timestamp, pcrs, certificate,
 * cabundle, public_key?, user_data?, nonce?}; the certificate chains through
 * cabundle to the AWS Nitro Enclaves Root-G1, pinned here by SHA-256.
 * Stages: parse, chain, signature, binding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "../base/time.h"
#include "../crypto/cose.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "../crypto/x509.h"
#include "evidence.h"

static const char aws_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL\n"
    "MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD\n"
    "VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4\n"
    "MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL\n"
    "DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG\n"
    "BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb\n"
    "48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE\n"
    "h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF\n"
    "R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC\n"
    "MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW\n"
    "rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N\n"
    "IwLz3/Y=\n"
    "-----END CERTIFICATE-----\n";

/* SHA-256 of its DER, as AWS publishes it. */
static const uint8_t aws_root_sha256[32] = {
	0x64, 0x1a, 0x03, 0x21, 0xa3, 0xe2, 0x44, 0xef, 0xe4, 0x56, 0x46,
	0x31, 0x95, 0xd6, 0x06, 0x31, 0x7e, 0xd7, 0xcd, 0xcc, 0x3c, 0x17,
	0x56, 0xe0, 0x98, 0x93, 0xf3, 0xc6, 0x8f, 0x79, 0xbb, 0x5b,
};

struct blob {
	const uint8_t *p; /* NULL: absent or null */
	size_t n;
};

struct nitro_doc {
	struct cu_cose_sign1 cose;
	cbor_item_t *payload;
	char module_id[256];
	char digest[16];
	uint64_t timestamp_ms;
	struct blob pcr[32];
	struct blob certificate;
	struct blob cabundle[CU_LIMIT_CHAIN_LENGTH];
	size_t n_cabundle;
	struct blob public_key, user_data, nonce;
};

#define BAD(...) cu_fail(err, CU_ERR_MALFORMED, "parse", "nitro: " __VA_ARGS__)

static bool get_bstr(const cbor_item_t *item, size_t min, size_t max, struct blob *out)
{
	if (!item || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item) ||
	    cbor_bytestring_length(item) < min || cbor_bytestring_length(item) > max)
		return false;
	out->p = cbor_bytestring_handle(item);
	out->n = cbor_bytestring_length(item);
	return true;
}

static bool get_tstr(const cbor_item_t *item, char *out, size_t size)
{
	size_t n;

	if (!item || !cbor_isa_string(item) || !cbor_string_is_definite(item))
		return false;
	n = cbor_string_length(item);
	if (n == 0 || n >= size || memchr(cbor_string_handle(item), 0, n))
		return false;
	memcpy(out, cbor_string_handle(item), n);
	out[n] = '\0';
	return true;
}

/* An optional member: absent or null, or a byte string of up to `max` bytes. */
static int optional(const cbor_item_t *map, const char *key, size_t max, struct blob *out,
                    struct cu_error *err)
{
	const cbor_item_t *v = cu_cbor_map_get(map, key);

	if (!v || cbor_is_null(v))
		return 0;
	if (!get_bstr(v, key[0] == 'p' ? 1 : 0, max, out))
		return BAD("%s: a byte string of up to %zu bytes, or null", key, max);
	return 0;
}

static void doc_done(struct nitro_doc *d)
{
	if (d->payload)
		cbor_decref(&d->payload);
	cu_cose_sign1_done(&d->cose);
}

static int doc_parse(const uint8_t *buf, size_t size, struct nitro_doc *d, struct cu_error *err)
{
	static const char *const known[] = { "module_id",  "digest",      "timestamp",
		                             "pcrs",       "certificate", "cabundle",
		                             "public_key", "user_data",   "nonce" };
	cbor_item_t *m, *pcrs, *ca;
	struct cbor_pair *p;
	int64_t ts;
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = cu_cose_sign1_parse(buf, size, &d->cose, err)) < 0)
		return r;
	if ((r = cu_cbor_load(d->cose.payload, d->cose.payload_size, "nitro document", &d->payload,
	                      err)) < 0)
		goto fail;
	m = d->payload;
	r = CU_ERR_MALFORMED;
	if (!cbor_isa_map(m)) {
		BAD("the payload is not a map");
		goto fail;
	}
	p = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++) {
		bool ok = false;

		for (size_t k = 0; k < ELEMENTSOF(known) && !ok; k++)
			ok = cbor_isa_string(p[i].key) &&
			     cbor_string_length(p[i].key) == strlen(known[k]) &&
			     !memcmp(cbor_string_handle(p[i].key), known[k], strlen(known[k]));
		if (!ok) {
			if (cbor_isa_string(p[i].key))
				BAD("unknown member \"%.*s\" in the document",
				    (int)(cbor_string_length(p[i].key) > 64
				              ? 64
				              : cbor_string_length(p[i].key)),
				    (const char *)cbor_string_handle(p[i].key));
			else
				BAD("a member with a key that is not text in the document");
			goto fail;
		}
	}
	if (!get_tstr(cu_cbor_map_get(m, "module_id"), d->module_id, sizeof(d->module_id))) {
		BAD("module_id: missing or not a text string");
		goto fail;
	}
	if (!get_tstr(cu_cbor_map_get(m, "digest"), d->digest, sizeof(d->digest)) ||
	    strcmp(d->digest, "SHA384")) {
		BAD("digest: missing or not \"SHA384\"");
		goto fail;
	}
	if (!cu_cbor_int(cu_cbor_map_get(m, "timestamp"), &ts) || ts <= 0) {
		BAD("timestamp: missing or not a positive integer (milliseconds)");
		goto fail;
	}
	d->timestamp_ms = (uint64_t)ts;
	pcrs = cu_cbor_map_get(m, "pcrs");
	if (!pcrs || !cbor_isa_map(pcrs) || cbor_map_size(pcrs) == 0 || cbor_map_size(pcrs) > 32) {
		BAD("pcrs: missing or not a map of 1 to 32 registers");
		goto fail;
	}
	p = cbor_map_handle(pcrs);
	for (size_t i = 0; i < cbor_map_size(pcrs); i++) {
		int64_t idx;
		struct blob b;

		if (!cu_cbor_int(p[i].key, &idx) || idx < 0 || idx > 31 || d->pcr[idx].p ||
		    !get_bstr(p[i].value, 32, 64, &b) || (b.n != 32 && b.n != 48 && b.n != 64)) {
			BAD("pcrs: each register an index 0..31, once, with 32, 48 or 64 bytes");
			goto fail;
		}
		d->pcr[idx] = b;
	}
	if (!d->pcr[0].p) {
		BAD("pcrs: PCR0 missing");
		goto fail;
	}
	if (!get_bstr(cu_cbor_map_get(m, "certificate"), 1, 1024, &d->certificate)) {
		BAD("certificate: missing or not 1 to 1024 bytes");
		goto fail;
	}
	ca = cu_cbor_map_get(m, "cabundle");
	if (!ca || !cbor_isa_array(ca) || cbor_array_size(ca) == 0 ||
	    cbor_array_size(ca) > CU_LIMIT_CHAIN_LENGTH - 1) {
		BAD("cabundle: missing or not 1 to %u certificates", CU_LIMIT_CHAIN_LENGTH - 1);
		goto fail;
	}
	for (size_t i = 0; i < cbor_array_size(ca); i++)
		if (!get_bstr(cbor_array_handle(ca)[i], 1, 1024, &d->cabundle[d->n_cabundle++])) {
			BAD("cabundle[%zu]: not 1 to 1024 bytes", i);
			goto fail;
		}
	if ((r = optional(m, "public_key", 1024, &d->public_key, err)) < 0 ||
	    (r = optional(m, "user_data", 512, &d->user_data, err)) < 0 ||
	    (r = optional(m, "nonce", 512, &d->nonce, err)) < 0)
		goto fail;
	return 0;
fail:
	doc_done(d);
	return r;
}

/*
 * A document carried in a TLS certificate, as some deployments do: one
 * subjectAltName DNS entry "<hex of the document>.<a name of the
 * certificate>". Strict: the first certificate of a PEM chain (or one DER
 * certificate), exactly one such entry, hex of an even length. *ret is
 * malloc'ed.
 */
static bool is_certificate(const uint8_t *buf, size_t size)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----";

	return buf && ((size > sizeof(pem) && !memcmp(buf, pem, sizeof(pem) - 1)) ||
	               (size > 4 && buf[0] == 0x30 && buf[1] == 0x82));
}

static int from_certificate(const uint8_t *buf, size_t size, uint8_t **ret, size_t *ret_size,
                            char *carrier, size_t carrier_size, struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *certs = NULL;
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
	GENERAL_NAMES *names;
	uint8_t *doc = NULL;
	size_t doc_size = 0;
	int found = 0, r;

	if ((r = cu_x509_parse_any(buf, size, &certs, &crls, err)) < 0)
		return r;
	/* the first certificate carries it; any after it are its TLS issuers, not read */
	if (!certs || sk_X509_num(certs) < 1 || (crls && sk_X509_CRL_num(crls) > 0))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "nitro: a carrier must be certificates only");
	names = X509_get_ext_d2i(sk_X509_value(certs, 0), NID_subject_alt_name, NULL, NULL);
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const char *dns;
		size_t len, hex;

		if (g->type != GEN_DNS)
			continue;
		dns = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
		len = (size_t)ASN1_STRING_length(g->d.dNSName);
		hex = strspn(dns, "0123456789abcdefABCDEF");
		if (hex < 64 || hex >= len || dns[hex] != '.' || hex % 2)
			continue;
		if (++found > 1)
			break;
		doc_size = hex / 2;
		if (!(doc = malloc(doc_size)) || cu_hex_decode(dns, hex, doc, doc_size) < 0) {
			free(doc);
			doc = NULL;
			found = 0;
			break;
		}
	}
	GENERAL_NAMES_free(names);
	if (found != 1) {
		free(doc);
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               found ? "nitro: the certificate carries more than one document"
		                     : "nitro: the certificate carries no attestation document "
		                       "(a subjectAltName \"<hex>.<name>\")");
	}
	cu_x509_name_rfc2253(X509_get_subject_name(sk_X509_value(certs, 0)), carrier, carrier_size);
	*ret = doc;
	*ret_size = doc_size;
	return 0;
}

static bool nitro_detect(const uint8_t *buf, size_t size)
{
	if (is_certificate(buf, size))
		return true;
	/* COSE_Sign1: tag 18 and a 4-element array, or the bare array, then a bstr */
	return buf && size > 16 &&
	       ((buf[0] == 0xd2 && buf[1] == 0x84 && (buf[2] & 0xe0) == 0x40) ||
	        (buf[0] == 0x84 && (buf[1] & 0xe0) == 0x40));
}

/* ------------------------------------------------------------- claims */

static int set(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) < 0 ? CU_ERR_NOMEM : 0;
}

static int set_blob(json_t *o, const char *k, const struct blob *b)
{
	return b->p ? cu_json_set_hex(o, k, b->p, b->n) : set(o, k, json_null());
}

static bool all_zero(const struct blob *b)
{
	for (size_t i = 0; b->p && i < b->n; i++)
		if (b->p[i])
			return false;
	return true;
}

static int doc_claims(const struct nitro_doc *d, json_t **ret)
{
	json_auto_t *c = json_object();
	json_t *n = json_object();
	char ts[40], key[8];
	int k = !c || !n;

	if (k) {
		json_decref(n);
		return CU_ERR_NOMEM;
	}
	/* debug mode shows as all-zero PCR0, PCR1 and PCR2 */
	cu_time_format_rfc3339((int64_t)(d->timestamp_ms / 1000), ts, sizeof(ts));
	k |= set(c, "tee", json_string("nitro"));
	k |= cu_json_set_hex(c, "measurement", d->pcr[0].p, d->pcr[0].n);
	k |=
	    set(c, "debug",
	        json_boolean(all_zero(&d->pcr[0]) && all_zero(&d->pcr[1]) && all_zero(&d->pcr[2])));
	k |= set(c, "platform_id", json_string(d->module_id));
	if (d->user_data.p)
		k |= cu_json_set_hex(c, "report_data", d->user_data.p, d->user_data.n);
	k |= set(n, "module_id", json_string(d->module_id));
	k |= set(n, "digest", json_string(d->digest));
	k |= set(n, "timestamp_ms", json_integer((json_int_t)d->timestamp_ms));
	k |= set(n, "timestamp", json_string(ts));
	for (int i = 0; i < 32; i++) {
		if (!d->pcr[i].p)
			continue;
		snprintf(key, sizeof(key), "pcr%d", i);
		k |= cu_json_set_hex(n, key, d->pcr[i].p, d->pcr[i].n);
	}
	k |= set_blob(n, "public_key", &d->public_key);
	k |= set_blob(n, "user_data", &d->user_data);
	k |= set_blob(n, "nonce", &d->nonce);
	k |= set(c, "nitro", n);
	if (k)
		return CU_ERR_NOMEM;
	*ret = json_incref(c);
	return 0;
}

static int nitro_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	struct nitro_doc d;
	_cleanup_free_ uint8_t *carried = NULL;
	char carrier[256];
	json_t *c;
	int r;

	if (is_certificate(buf, size)) {
		if ((r = from_certificate(buf, size, &carried, &size, carrier, sizeof(carrier),
		                          err)) < 0)
			return r;
		buf = carried;
	}
	if ((r = doc_parse(buf, size, &d, err)) < 0)
		return r;
	r = doc_claims(&d, &c);
	doc_done(&d);
	if (r < 0 || json_object_set_new(c, "verified", json_false()) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	*ret = c;
	return 0;
}

/* -------------------------------------------------------- verification */

/* A leaf certificate whose chain verified, for the window in which it holds. */
struct leaf_entry {
	uint8_t digest[32];
	EVP_PKEY *key;
	int64_t window[2];
	char subject[256];
};

struct nitro_state {
	STACK_OF(X509) * roots;
	struct leaf_entry leaves[CU_LIMIT_DCAP_PCK_CACHE]; /* under the verifier's lock */
	size_t n_leaves, next;
};

static void nitro_state_free(void *p)
{
	struct nitro_state *st = p;

	if (!st)
		return;
	for (size_t i = 0; i < st->n_leaves; i++)
		EVP_PKEY_free(st->leaves[i].key);
	cu_x509_stack_freep(&st->roots);
	free(st);
}

static int state_build(cu_verifier *v, void **ret, struct cu_error *err)
{
	struct nitro_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
	if ((r = cu_pinned_roots(v, aws_root_pem, aws_root_sha256,
	                         "nitro: the compiled-in AWS root", &st->roots, err)) < 0) {
		nitro_state_free(st);
		return r;
	}
	*ret = st;
	return 0;
}

/* The leaf's key, its chain verified through cabundle to a pinned root at `at`. */
static int leaf_key(cu_verifier *v, struct nitro_state *st, const struct nitro_doc *d, int64_t at,
                    EVP_PKEY **ret, char *subject, size_t subject_size, struct cu_error *err)
{
	struct leaf_entry e = { 0 };
	_cleanup_x509_stack_ STACK_OF(X509) *bundle = sk_X509_new_null();
	_cleanup_(X509_freep) X509 *leaf = NULL;
	struct cu_chain_opts o = { .roots = st->roots, .at = at };
	struct cu_chain_result res = { 0 };
	const uint8_t *p = d->certificate.p;
	int r;

	cu_sha256(d->certificate.p, d->certificate.n, e.digest);
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < st->n_leaves; i++) {
		struct leaf_entry *c = &st->leaves[i];

		if (!memcmp(c->digest, e.digest, 32) && at >= c->window[0] && at < c->window[1] &&
		    EVP_PKEY_up_ref(c->key)) {
			*ret = c->key;
			snprintf(subject, subject_size, "%s", c->subject);
			pthread_mutex_unlock(&v->lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&v->lock);

	if (!bundle || !(leaf = d2i_X509(NULL, &p, (long)d->certificate.n)) ||
	    p != d->certificate.p + d->certificate.n)
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "nitro: certificate is not DER X.509");
	for (size_t i = 0; i < d->n_cabundle; i++) {
		const uint8_t *q = d->cabundle[i].p;
		X509 *x = d2i_X509(NULL, &q, (long)d->cabundle[i].n);

		if (!x || q != d->cabundle[i].p + d->cabundle[i].n || !sk_X509_push(bundle, x)) {
			X509_free(x);
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "nitro: cabundle[%zu] is not DER X.509", i);
		}
	}
	o.untrusted = bundle;
	if ((r = cu_x509_verify_chain(leaf, &o, &res, err)) < 0) {
		if (err)
			err->stage = "chain";
		return r;
	}
	e.window[0] = res.not_before;
	e.window[1] = res.not_after;
	cu_chain_result_done(&res);
	cu_x509_name_rfc2253(X509_get_subject_name(leaf), e.subject, sizeof(e.subject));
	if (!(e.key = X509_get_pubkey(leaf)))
		return cu_fail(err, CU_ERR_MALFORMED, "chain", "nitro: the certificate has no key");
	if (!EVP_PKEY_up_ref(e.key)) {
		EVP_PKEY_free(e.key);
		return cu_fail(err, CU_ERR_INTERNAL, "chain", "reference count");
	}
	*ret = e.key;
	snprintf(subject, subject_size, "%s", e.subject);
	pthread_mutex_lock(&v->lock);
	if (st->n_leaves < CU_LIMIT_DCAP_PCK_CACHE) {
		st->leaves[st->n_leaves++] = e;
	} else {
		EVP_PKEY_free(st->leaves[st->next].key);
		st->leaves[st->next] = e;
		st->next = (st->next + 1) % CU_LIMIT_DCAP_PCK_CACHE;
	}
	pthread_mutex_unlock(&v->lock);
	return 0;
}

/*
 * The binding: the expected report data equals the document's nonce, its
 * user_data or its public_key, byte for byte (no padding: all three are
 * variable-length fields).
 */
static int check_binding(const struct nitro_doc *d, const struct cu_verify_opts *opts,
                         struct cu_error *err)
{
	const struct blob *b[3] = { &d->nonce, &d->user_data, &d->public_key };

	if (!opts->report_data)
		return 0;
	for (int i = 0; i < 3; i++)
		if (b[i]->p && b[i]->n == opts->report_data_size &&
		    CRYPTO_memcmp(b[i]->p, opts->report_data, b[i]->n) == 0)
			return 0;
	return cu_fail(err, CU_ERR_BINDING, "binding",
	               "nitro: none of nonce, user_data, public_key equals the expected %zu bytes",
	               opts->report_data_size);
}

static int nitro_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                        const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	struct nitro_doc d;
	struct nitro_state *st = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_free_ uint8_t *carried = NULL;
	char subject[256], carrier[256] = "";
	json_t *c = NULL, *cert;
	int r;

	if (is_certificate(buf, size)) {
		if ((r = from_certificate(buf, size, &carried, &size, carrier, sizeof(carrier),
		                          err)) < 0)
			return r;
		buf = carried;
	}
	if (opts->eventlog)
		return cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		               "nitro: an event log was given, but Nitro documents measure into "
		               "PCRs the document carries");
	if ((r = doc_parse(buf, size, &d, err)) < 0)
		return r;
	if (d.cose.alg != CU_COSE_ALG_ES384) {
		doc_done(&d);
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "nitro: COSE algorithm %lld (ES384, -35, expected)",
		               (long long)d.cose.alg);
	}
	if ((r = cu_verifier_state(v, CU_FORMAT_NITRO, state_build, nitro_state_free, (void **)&st,
	                           err)) < 0 ||
	    (r = leaf_key(v, st, &d, opts->at, &key, subject, sizeof(subject), err)) < 0 ||
	    (r = cu_cose_sign1_verify(&d.cose, CU_COSE_ALG_ES384, key, err)) < 0 ||
	    (r = check_binding(&d, opts, err)) < 0) {
		doc_done(&d);
		return r;
	}
	r = doc_claims(&d, &c);
	doc_done(&d);
	cert = r == 0 ? json_pack("{s:s}", "subject", subject) : NULL;
	if (r == 0 && carrier[0] &&
	    json_object_set_new(json_object_get(c, "nitro"), "carrier_certificate",
	                        json_pack("{s:s}", "subject", carrier)) < 0)
		r = CU_ERR_NOMEM;
	if (r < 0 || !cert ||
	    json_object_set_new(json_object_get(c, "nitro"), "certificate", TAKE_PTR(cert)) < 0 ||
	    json_object_set_new(c, "verified", json_true()) < 0) {
		json_decref(cert);
		json_decref(c);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	*ret = c;
	return 0;
}

const struct cu_evidence_ops cu_nitro_ops = {
	.name = "nitro",
	.tee = "nitro",
	.detect = nitro_detect,
	.inspect = nitro_inspect,
	.verify = nitro_verify,
	.state_free = nitro_state_free,
};
