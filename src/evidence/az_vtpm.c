/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Azure confidential VMs with a vTPM (Trustee's az-snp-vtpm and az-tdx-vtpm
 * evidence, version 1):
 *
 *   {"version": 1, "hcl_report": b64url, "vcek": b64 DER or PEM (SNP),
 *    "td_quote": b64url (TDX), "tpm_quote": {"message": hex TPMS_ATTEST,
 *    "signature": hex RSASSA-PKCS1-v1_5 SHA-256, "pcrs": [hex, ...]}}
 *
 * The HCL report (Microsoft's paravisor): a 32-byte header ("HCLA"), the
 * hardware report (SNP ATTESTATION_REPORT, or a TDREPORT, in 1184 bytes), a
 * 20-byte header and the runtime claims JSON ("variable data"), which holds
 * the vTPM's attestation key (JWK, kid HCLAkPub). The chain: the SNP report
 * (or the TD quote) is genuine and its report data begins with the hash of
 * the runtime claims; the AK in them signed the TPM quote; the quote's
 * qualifying data is the caller's binding; its PCR digest covers the PCRs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "../base/bytes.h"
#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "eventlog.h"
#include "evidence.h"
#include "tpm.h"

#define HCL_HEADER_SIZE  0x20u
#define HCL_HW_REPORT    0x20u
#define HCL_HW_SIZE      1184u
#define HCL_IGVM_HEADER  0x4c0u
#define HCL_VAR_DATA     0x4d4u
#define HCL_TYPE_SNP     2u
#define HCL_TYPE_TDX     4u
#define TDREPORT_SIZE    1024u
#define SNP_REPORT_SIZE  1184u
#define SNP_VMPL_OFFSET  0x30u
#define MAX_HCL_VAR_SIZE (64u * 1024u)

struct hcl {
	uint32_t version, report_type, hash_type;
	const uint8_t *hw;  /* 1184 bytes */
	const uint8_t *var; /* the runtime claims JSON */
	size_t var_size;
	uint8_t hash[64]; /* of the runtime claims, with hash_type */
	size_t hash_size;
	json_t *claims; /* the runtime claims, parsed */
};

#define BAD(stage, ...) cu_fail(err, CU_ERR_MALFORMED, stage, __VA_ARGS__)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int hcl_parse(const uint8_t *p, size_t n, uint32_t want_type, const char *tee, struct hcl *h,
                     struct cu_error *err)
{
	const EVP_MD *md;
	unsigned hn = 0;
	uint32_t size, data_size;

	memset(h, 0, sizeof(*h));
	if (n < HCL_VAR_DATA || memcmp(p, "HCLA", 4))
		return BAD("parse", "%s: hcl_report: not an HCL report (%zu bytes, no \"HCLA\")",
		           tee, n);
	h->version = le32(p + 4);
	size = le32(p + 8);
	if (size > n || size < HCL_VAR_DATA)
		return BAD("parse", "%s: hcl_report: its size %u does not fit the %zu bytes given",
		           tee, size, n);
	data_size = le32(p + HCL_IGVM_HEADER);
	h->report_type = le32(p + HCL_IGVM_HEADER + 8);
	h->hash_type = le32(p + HCL_IGVM_HEADER + 12);
	h->var_size = le32(p + HCL_IGVM_HEADER + 16);
	if (h->report_type != want_type)
		return cu_fail(err, CU_ERR_MISMATCH, "parse",
		               "%s: hcl_report: hardware report type %u, not %s", tee,
		               h->report_type,
		               want_type == HCL_TYPE_SNP ? "2 (SEV-SNP)" : "4 (TDX)");
	if (h->var_size > MAX_HCL_VAR_SIZE || h->var_size > size - HCL_VAR_DATA ||
	    data_size != h->var_size + 20)
		return BAD("parse",
		           "%s: hcl_report: runtime claims of %zu bytes (header says %u in all) do "
		           "not fit the report",
		           tee, h->var_size, data_size);
	h->hw = p + HCL_HW_REPORT;
	h->var = p + HCL_VAR_DATA;
	md = h->hash_type == 1   ? EVP_sha256()
	     : h->hash_type == 2 ? EVP_sha384()
	     : h->hash_type == 3 ? EVP_sha512()
	                         : NULL;
	if (!md)
		return cu_fail(
		    err, CU_ERR_UNSUPPORTED, "parse",
		    "%s: hcl_report: runtime claims hash type %u (1 SHA-256, 2 SHA-384, 3 "
		    "SHA-512)",
		    tee, h->hash_type);
	if (!EVP_Digest(h->var, h->var_size, h->hash, &hn, md, NULL))
		return cu_fail(err, CU_ERR_INTERNAL, "parse", "%s: digest failed", tee);
	h->hash_size = hn;
	return cu_json_parse((const char *)h->var, h->var_size, MAX_HCL_VAR_SIZE, "runtime-claims",
	                     &h->claims, err);
}

/* The AK: the RSA JWK with kid HCLAkPub in the runtime claims. */
static EVP_PKEY *hcl_ak(const struct hcl *h)
{
	json_t *keys = json_object_get(h->claims, "keys"), *k;
	size_t i;

	json_array_foreach (keys, i, k) {
		const char *n = json_string_value(json_object_get(k, "n"));
		const char *e = json_string_value(json_object_get(k, "e"));
		_cleanup_free_ uint8_t *nb = NULL, *eb = NULL;
		size_t nn = 0, en = 0;
		uint64_t ev = 0;

		if (strcmp(json_string_value(json_object_get(k, "kid")) ?: "", "HCLAkPub") ||
		    strcmp(json_string_value(json_object_get(k, "kty")) ?: "", "RSA") || !n || !e ||
		    cu_base64url_decode(n, strlen(n), &nb, &nn) < 0 ||
		    cu_base64url_decode(e, strlen(e), &eb, &en) < 0 || en > 8)
			continue;
		for (size_t b = 0; b < en; b++)
			ev = ev << 8 | eb[b];
		return cu_rsa_pub_from_ne(nb, nn, ev);
	}
	return NULL;
}

/* A hex member of tpm_quote. */
static int hex_member(const json_t *o, const char *name, const char *tee, uint8_t **ret,
                      size_t *ret_size, struct cu_error *err)
{
	const char *s = json_string_value(json_object_get(o, name));
	long n = s ? cu_hex_decoded_size(s, strlen(s)) : -1;

	if (n <= 0 || !(*ret = malloc((size_t)n)) ||
	    cu_hex_decode(s, strlen(s), *ret, (size_t)n) < 0)
		return BAD("parse", "%s: tpm_quote.%s: missing, or not hex", tee, name);
	*ret_size = (size_t)n;
	return 0;
}

/* A base64url (or base64) member. */
static int b64_member(const json_t *o, const char *name, const char *tee, uint8_t **ret,
                      size_t *ret_size, struct cu_error *err)
{
	const char *s = json_string_value(json_object_get(o, name));
	size_t n = s ? strlen(s) : 0, unpadded = n;

	/* Trustee writes base64url with its padding */
	while (unpadded > 0 && n - unpadded < 2 && s[unpadded - 1] == '=')
		unpadded--;
	if (!s ||
	    (cu_base64url_decode(s, unpadded, ret, ret_size) < 0 &&
	     cu_base64_decode(s, n, ret, ret_size) < 0) ||
	    *ret_size == 0)
		return BAD("parse", "%s: %s: missing, or not base64", tee, name);
	return 0;
}

/*
 * The TPM side: the quote by the HCL's AK (RSASSA-PKCS1-v1_5 with SHA-256, as
 * the vTPM signs), its qualifying data the caller's binding, its PCRs.
 */
static int check_vtpm(const struct hcl *h, const json_t *tq, const char *tee,
                      const struct cu_verify_opts *opts, json_t *tpm, struct cu_error *err)
{
	_cleanup_free_ uint8_t *msg = NULL, *sig = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = hcl_ak(h);
	TPMT_SIGNATURE s = { .sigAlg = TPM2_ALG_RSASSA };
	size_t mn = 0, sn = 0;
	const json_t *pcrs = json_object_get(tq, "pcrs");
	int r;

	if (!ak)
		return cu_fail(
		    err, CU_ERR_MALFORMED, "runtime-claims",
		    "%s: the runtime claims hold no RSA key \"HCLAkPub\" (the vTPM's AK)", tee);
	if ((r = hex_member(tq, "message", tee, &msg, &mn, err)) < 0 ||
	    (r = hex_member(tq, "signature", tee, &sig, &sn, err)) < 0)
		return r;
	if (sn > sizeof(s.signature.rsassa.sig.buffer))
		return BAD("parse", "%s: tpm_quote.signature: %zu bytes", tee, sn);
	if (!json_is_array(pcrs))
		return BAD("parse", "%s: tpm_quote.pcrs: missing, or not a list", tee);
	s.signature.rsassa.hash = TPM2_ALG_SHA256;
	s.signature.rsassa.sig.size = (UINT16)sn;
	memcpy(s.signature.rsassa.sig.buffer, sig, sn);
	return cu_tpm_check_quote(ak, msg, mn, &s, CU_TPM_ALG_SHA256, pcrs, opts, tpm, err);
}

/* "secure-boot" -> "secure_boot", "vmUniqueId" -> "vm_unique_id". */
static void snake_case(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 2 < size; i++) {
		char ch = in[i];

		if (ch >= 'A' && ch <= 'Z') {
			if (o)
				out[o++] = '_';
			ch = (char)(ch + 32);
		}
		out[o++] = ch == '-' ? '_' : ch;
	}
	out[o] = 0;
}

/* The runtime claims a policy reads: az.vm_configuration, az.user_data, az.hcl. */
static int az_claims(const struct hcl *h, const json_t *tpm, json_t *c, struct cu_error *err)
{
	json_t *az = json_object(), *hcl = json_object();
	const json_t *vm = json_object_get(h->claims, "vm-configuration");
	const char *ud = json_string_value(json_object_get(h->claims, "user-data"));
	const char *pcr8 =
	    json_string_value(json_object_get(json_object_get(tpm, "sha256"), "pcr8"));
	int k = 0;

	k |= !az || !hcl || json_object_set_new(c, "az", az) < 0;
	if (!k && json_is_object(vm)) {
		json_t *o = json_object();
		const char *key;
		json_t *v;

		k |= !o || json_object_set_new(az, "vm_configuration", o) < 0;
		json_object_foreach ((json_t *)vm, key, v) {
			char name[64];

			snake_case(key, name, sizeof(name));
			if (!k)
				k |= json_object_set(o, name, v) < 0;
		}
	}
	if (ud) {
		char *lower = strdup(ud);

		for (char *q = lower; q && *q; q++)
			*q = (char)(*q >= 'A' && *q <= 'F' ? *q + 32 : *q);
		k |= !lower || json_object_set_new(az, "user_data", json_string(lower)) < 0;
		free(lower);
	}
	if (pcr8) /* Trustee's init-data binding lives in PCR 8 */
		k |= json_object_set_new(c, "init_data", json_string(pcr8)) < 0;
	k |= !hcl || json_object_set_new(az, "hcl", hcl) < 0 ||
	     json_object_set_new(hcl, "version", json_integer(h->version)) < 0 ||
	     json_object_set_new(hcl, "report_type", json_integer(h->report_type)) < 0 ||
	     cu_json_set_hex(hcl, "runtime_claims_digest", h->hash, h->hash_size) < 0;
	return k ? cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory") : 0;
}

/*
 * With a binding, a non-zero user-data in the runtime claims (what the guest
 * asked the paravisor to bind) must be that binding, zero-padded to 64 bytes.
 */
static int check_user_data(const struct hcl *h, const char *tee, const struct cu_verify_opts *opts,
                           struct cu_error *err)
{
	const char *ud = json_string_value(json_object_get(h->claims, "user-data"));
	uint8_t got[64] = { 0 }, want[64] = { 0 }, zero[64] = { 0 };

	if (!opts->report_data || !ud)
		return 0;
	if (strlen(ud) != 128 || cu_hex_decode(ud, 128, got, 64) < 0)
		return BAD("runtime-claims", "%s: runtime claims: user-data is not 64 bytes of hex",
		           tee);
	if (!memcmp(got, zero, 64) || opts->report_data_size > 64)
		return 0;
	memcpy(want, opts->report_data, opts->report_data_size);
	if (CRYPTO_memcmp(got, want, 64))
		return cu_fail(err, CU_ERR_BINDING, "binding",
		               "%s: the runtime claims' user-data is not the expected report data",
		               tee);
	return 0;
}

struct az_evidence {
	json_t *root;
	uint8_t *hcl_raw;
	size_t hcl_size;
	struct hcl hcl;
};

static void az_done(struct az_evidence *e)
{
	json_decref(e->root);
	json_decref(e->hcl.claims);
	free(e->hcl_raw);
}

static int az_parse(const uint8_t *buf, size_t size, uint32_t type, const char *tee,
                    const char *const *known, struct az_evidence *e, struct cu_error *err)
{
	const char *k;
	json_t *m;
	long long version;
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = cu_json_parse((const char *)buf, size, CU_LIMIT_EVIDENCE_SIZE, "parse", &e->root,
	                       err)) < 0)
		return r;
	if (!json_is_object(e->root))
		return BAD("parse", "%s: the evidence is not a JSON object", tee);
	json_object_foreach (e->root, k, m) {
		size_t i;

		for (i = 0; known[i] && strcmp(k, known[i]); i++)
			;
		if (!known[i])
			return BAD("parse", "%s: unknown member \"%.32s\"", tee, k);
	}
	/* 1, and 2 (the same members; the attester also fills user-data) */
	m = json_object_get(e->root, "version");
	if (json_is_string(m))
		version = strtol(json_string_value(m), NULL, 10);
	else
		version = json_integer_value(m);
	if (version != 1 && version != 2)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "%s: evidence version %.16s: versions 1 and 2 are supported", tee,
		               json_is_string(m) ? json_string_value(m)
		               : m               ? "not 1 or 2"
		                                 : "missing");
	if (!json_is_object(json_object_get(e->root, "tpm_quote")))
		return BAD("parse", "%s: tpm_quote: missing, or not an object", tee);
	if ((r = b64_member(e->root, "hcl_report", tee, &e->hcl_raw, &e->hcl_size, err)) < 0)
		return r;
	return hcl_parse(e->hcl_raw, e->hcl_size, type, tee, &e->hcl, err);
}

/* Checks shared by both: the vTPM quote, user-data, the claims. */
static int az_common(const struct az_evidence *e, const char *tee,
                     const struct cu_verify_opts *opts, json_t *c, struct cu_error *err)
{
	json_t *tpm = json_object();
	int r;

	if (!tpm || json_object_set_new(c, "tpm", tpm) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	if ((r = check_user_data(&e->hcl, tee, opts, err)) < 0 ||
	    (r = check_vtpm(&e->hcl, json_object_get(e->root, "tpm_quote"), tee, opts, tpm, err)) <
	        0 ||
	    (r = az_claims(&e->hcl, tpm, c, err)) < 0)
		return r;
	if (json_object_set(c, "report_data",
	                    json_object_get(json_object_get(tpm, "quote"), "extra_data")) < 0 ||
	    json_object_set_new(c, "tee", json_string(tee)) < 0 ||
	    json_object_set_new(c, "verified", json_true()) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	return 0;
}

/* The hardware report's data begins with the hash of the runtime claims. */
static int check_var_binding(const struct hcl *h, const uint8_t *rd, const char *tee,
                             const char *what, struct cu_error *err)
{
	if (CRYPTO_memcmp(rd, h->hash, h->hash_size))
		return cu_fail(
		    err, CU_ERR_BINDING, "runtime-claims",
		    "%s: the %s's report data does not begin with the hash of the runtime "
		    "claims: they are not the ones the hardware report vouches for",
		    tee, what);
	return 0;
}

/* ------------------------------------------------------------ SEV-SNP */

static const char *const snp_known[] = { "version", "hcl_report", "tpm_quote", "vcek", NULL };

static bool az_snp_detect(const uint8_t *buf, size_t size)
{
	return cu_looks_like_json_object(buf, size) && memmem(buf, size, "\"hcl_report\"", 12) &&
	       memmem(buf, size, "\"vcek\"", 6);
}

static int az_snp_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                         const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	static const char tee[] = "az-snp-vtpm";
	struct az_evidence e;
	struct cu_verify_opts so = { .at = opts->at };
	_cleanup_free_ uint8_t *vcek = NULL;
	size_t vn = 0;
	const char *vs;
	json_t *c = NULL;
	int r;

	if (opts->eventlog)
		return cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		               "%s: an event log was given, but this evidence carries none", tee);
	if ((r = az_parse(buf, size, HCL_TYPE_SNP, tee, snp_known, &e, err)) < 0)
		goto out;
	/* the VCEK travels with the evidence: base64 DER, or PEM */
	vs = json_string_value(json_object_get(e.root, "vcek"));
	if (!vs) {
		r = BAD("parse", "%s: vcek: missing", tee);
		goto out;
	}
	if (strstr(vs, "-----BEGIN")) {
		vcek = (uint8_t *)strdup(vs);
		vn = vcek ? strlen(vs) : 0;
	} else if ((r = b64_member(e.root, "vcek", tee, &vcek, &vn, err)) < 0) {
		goto out;
	}
	so.extra_collateral = (const uint8_t *const *)&vcek;
	so.extra_collateral_sizes = &vn;
	so.n_extra_collateral = 1;
	/* the SNP report: genuine, at VMPL 0 (the paravisor's), bound to the runtime claims */
	if ((r = cu_verify(v, "snp", e.hcl.hw, SNP_REPORT_SIZE, &so, &c, err)) < 0)
		goto out;
	if (le32(e.hcl.hw + SNP_VMPL_OFFSET) != 0) {
		r = cu_fail(err, CU_ERR_MISMATCH, "vmpl",
		            "%s: the SNP report was made at VMPL %u, not 0 (the paravisor's)", tee,
		            le32(e.hcl.hw + SNP_VMPL_OFFSET));
		goto out;
	}
	if ((r = check_var_binding(&e.hcl, e.hcl.hw + 0x50, tee, "SNP report", err)) < 0 ||
	    (r = az_common(&e, tee, opts, c, err)) < 0)
		goto out;
	*ret = c;
	c = NULL;
out:
	json_decref(c);
	az_done(&e);
	return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- TDX */

static const char *const tdx_known[] = { "version", "hcl_report", "tpm_quote", "td_quote", NULL };

static bool az_tdx_detect(const uint8_t *buf, size_t size)
{
	return cu_looks_like_json_object(buf, size) && memmem(buf, size, "\"hcl_report\"", 12) &&
	       memmem(buf, size, "\"td_quote\"", 10);
}

static int az_tdx_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                         const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	static const char tee[] = "az-tdx-vtpm";
	struct az_evidence e;
	struct cu_verify_opts qo = { .at = opts->at };
	_cleanup_free_ uint8_t *quote = NULL;
	size_t qn = 0;
	json_t *c = NULL, *vtpm = NULL, *rd;
	uint8_t td_rd[64];
	int r;

	if (opts->eventlog)
		return cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		               "%s: an event log was given, but this evidence carries none", tee);
	if ((r = az_parse(buf, size, HCL_TYPE_TDX, tee, tdx_known, &e, err)) < 0 ||
	    (r = b64_member(e.root, "td_quote", tee, &quote, &qn, err)) < 0)
		goto out;
	/* the vTPM first: its failures are the evidence's own, not the collateral's */
	if (!(vtpm = json_object())) {
		r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
		goto out;
	}
	if ((r = az_common(&e, tee, opts, vtpm, err)) < 0)
		goto out;
	/* the TD quote, genuine and bound to the runtime claims; the vTPM's claims on top */
	if ((r = cu_verify(v, "tdx", quote, qn, &qo, &c, err)) < 0)
		goto out;
	rd = json_object_get(c, "report_data");
	if (!json_is_string(rd) || strlen(json_string_value(rd)) != 128 ||
	    cu_hex_decode(json_string_value(rd), 128, td_rd, 64) < 0) {
		r = cu_fail(err, CU_ERR_INTERNAL, "runtime-claims", "%s: no report data", tee);
		goto out;
	}
	if ((r = check_var_binding(&e.hcl, td_rd, tee, "TD quote", err)) < 0)
		goto out;
	if (json_object_update(c, vtpm) < 0) {
		r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
		goto out;
	}
	*ret = c;
	c = NULL;
out:
	json_decref(vtpm);
	json_decref(c);
	az_done(&e);
	return r < 0 ? r : 0;
}

static int az_inspect(const uint8_t *buf, size_t size, uint32_t type, const char *tee,
                      const char *const *known, json_t **ret, struct cu_error *err)
{
	struct az_evidence e;
	json_t *c = json_object();
	int r;

	if (!c)
		return cu_fail(err, CU_ERR_NOMEM, "inspect", "out of memory");
	if ((r = az_parse(buf, size, type, tee, known, &e, err)) < 0 ||
	    (r = az_claims(&e.hcl, NULL, c, err)) < 0 ||
	    (r = json_object_set(json_object_get(c, "az"), "runtime_claims", e.hcl.claims) < 0
	             ? cu_fail(err, CU_ERR_NOMEM, "inspect", "out of memory")
	             : 0) < 0 ||
	    (r = json_object_set_new(c, "tee", json_string(tee)) < 0 ||
	                 json_object_set_new(c, "verified", json_false()) < 0
	             ? cu_fail(err, CU_ERR_NOMEM, "inspect", "out of memory")
	             : 0) < 0) {
		json_decref(c);
		az_done(&e);
		return r;
	}
	az_done(&e);
	*ret = c;
	return 0;
}

static int az_snp_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	return az_inspect(buf, size, HCL_TYPE_SNP, "az-snp-vtpm", snp_known, ret, err);
}

static int az_tdx_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	return az_inspect(buf, size, HCL_TYPE_TDX, "az-tdx-vtpm", tdx_known, ret, err);
}

static void az_state_free(void *state)
{
	free(state);
}

const struct cu_evidence_ops cu_az_snp_vtpm_ops = {
	.name = "az-snp-vtpm",
	.tee = "az-snp-vtpm",
	.detect = az_snp_detect,
	.inspect = az_snp_inspect,
	.verify = az_snp_verify,
	.state_free = az_state_free,
};

const struct cu_evidence_ops cu_az_tdx_vtpm_ops = {
	.name = "az-tdx-vtpm",
	.tee = "az-tdx-vtpm",
	.detect = az_tdx_detect,
	.inspect = az_tdx_inspect,
	.verify = az_tdx_verify,
	.state_free = az_state_free,
};
