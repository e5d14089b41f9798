/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD SEV-SNP attestation reports.
 *
 * References:
 *   [ABI]  SEV Secure Nested Paging Firmware ABI Specification, AMD 56860
 *          rev 1.58: Table 23 ATTESTATION_REPORT, Table 9 GUEST_POLICY,
 *          Table 24 PLATFORM_INFO, Table 3 TCB_VERSION, Table 139 ECDSA
 *          signature format.
 *   [VCEK] Versioned Chip Endorsement Key (VCEK) Certificate and KDS
 *          Interface Specification, AMD 57230: certificate extensions.
 *
 * Stages: parse -> collateral (find the VCEK/VLEK) -> endorsement (TCB,
 * chip id, product line) -> chain (ARK -> ASK|ASVK -> VEK at --at) ->
 * signature (ECDSA P-384 SHA-384 over 0x000-0x29F) -> binding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "../base/bytes.h"
#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "../base/time.h"
#include "../collateral/collateral.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "../crypto/x509.h"
#include "evidence.h"
#include "snp.h"

#define SNP_CERT_OID_PREFIX "1.3.6.1.4.1.3704.1."

/* ---------------------------------------------------------------- parse */

static int reserved(struct cu_bytes *b, size_t n, const char *what, struct cu_error *err)
{
	size_t bad;

	if (!cu_bytes_expect_zero(b, n, &bad))
		return cu_fail(err, CU_ERR_RESERVED, "parse",
		               "snp: reserved %s is not zero (byte at offset 0x%zx)", what, bad);
	return 0;
}

int cu_snp_report_parse(const uint8_t *buf, size_t size, struct cu_snp_report *ret,
                        struct cu_error *err)
{
	struct cu_snp_report r = { 0 };
	struct cu_bytes b, sig;
	uint32_t keyinfo;
	int k;

	if (!buf)
		return cu_fail(err, CU_ERR_INVALID_ARG, "parse", "snp: no report");
	if (size != CU_SNP_REPORT_SIZE)
		return cu_fail(err, size < CU_SNP_REPORT_SIZE ? CU_ERR_MALFORMED : CU_ERR_TOO_LARGE,
		               "parse", "snp: report is %zu bytes, an ATTESTATION_REPORT is %u",
		               size, CU_SNP_REPORT_SIZE);
	cu_bytes_init(&b, buf, size);

	/* [ABI] Table 23, offsets 0x000-0x04F */
	if (!cu_bytes_get_u32le(&b, &r.version))
		goto short_input;
	if (r.version != 2 && r.version != 3 && r.version != 5)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "snp: report version %u not supported (2, 3 and 5 are)", r.version);
	if (!cu_bytes_get_u32le(&b, &r.guest_svn) || !cu_bytes_get_u64le(&b, &r.policy) ||
	    !cu_bytes_copy(&b, r.family_id, sizeof(r.family_id)) ||
	    !cu_bytes_copy(&b, r.image_id, sizeof(r.image_id)) ||
	    !cu_bytes_get_u32le(&b, &r.vmpl) || !cu_bytes_get_u32le(&b, &r.signature_algo) ||
	    !cu_bytes_get_u64le(&b, &r.current_tcb) || !cu_bytes_get_u64le(&b, &r.platform_info) ||
	    !cu_bytes_get_u32le(&b, &keyinfo))
		goto short_input;
	if (keyinfo >> 5)
		return cu_fail(
		    err, CU_ERR_RESERVED, "parse",
		    "snp: reserved bits 31:5 of the key information at 0x048 are not zero (0x%x)",
		    keyinfo);
	r.author_key_en = keyinfo & 1;
	r.mask_chip_key = (keyinfo >> 1) & 1;
	r.signing_key = (keyinfo >> 2) & 7;
	if ((k = reserved(&b, 4, "field at 0x04C", err)) < 0)
		return k;

	/* 0x050-0x187 */
	if (!cu_bytes_copy(&b, r.report_data, sizeof(r.report_data)) ||
	    !cu_bytes_copy(&b, r.measurement, sizeof(r.measurement)) ||
	    !cu_bytes_copy(&b, r.host_data, sizeof(r.host_data)) ||
	    !cu_bytes_copy(&b, r.id_key_digest, sizeof(r.id_key_digest)) ||
	    !cu_bytes_copy(&b, r.author_key_digest, sizeof(r.author_key_digest)) ||
	    !cu_bytes_copy(&b, r.report_id, sizeof(r.report_id)) ||
	    !cu_bytes_copy(&b, r.report_id_ma, sizeof(r.report_id_ma)) ||
	    !cu_bytes_get_u64le(&b, &r.reported_tcb))
		goto short_input;

	/* 0x188-0x19F: CPUID_FAM_ID, CPUID_MOD_ID, CPUID_STEP from version 3 on */
	if (r.version >= 3) {
		if (!cu_bytes_get_u8(&b, &r.cpuid_fam_id) ||
		    !cu_bytes_get_u8(&b, &r.cpuid_mod_id) || !cu_bytes_get_u8(&b, &r.cpuid_step))
			goto short_input;
		if ((k = reserved(&b, 0x1A0 - 0x18B, "range 0x18B-0x19F", err)) < 0)
			return k;
	} else if ((k = reserved(&b, 0x1A0 - 0x188, "range 0x188-0x19F", err)) < 0) {
		return k;
	}

	/* 0x1A0-0x1F7 */
	if (!cu_bytes_copy(&b, r.chip_id, sizeof(r.chip_id)) ||
	    !cu_bytes_get_u64le(&b, &r.committed_tcb) || !cu_bytes_get_u8(&b, &r.current_build) ||
	    !cu_bytes_get_u8(&b, &r.current_minor) || !cu_bytes_get_u8(&b, &r.current_major))
		goto short_input;
	if ((k = reserved(&b, 1, "byte 0x1EB", err)) < 0)
		return k;
	if (!cu_bytes_get_u8(&b, &r.committed_build) || !cu_bytes_get_u8(&b, &r.committed_minor) ||
	    !cu_bytes_get_u8(&b, &r.committed_major))
		goto short_input;
	if ((k = reserved(&b, 1, "byte 0x1EF", err)) < 0)
		return k;
	if (!cu_bytes_get_u64le(&b, &r.launch_tcb))
		goto short_input;

	/* 0x1F8-0x29F: the mitigation vectors from version 5 on */
	if (r.version >= 5) {
		if (!cu_bytes_get_u64le(&b, &r.launch_mit_vector) ||
		    !cu_bytes_get_u64le(&b, &r.current_mit_vector))
			goto short_input;
		if ((k = reserved(&b, CU_SNP_SIGNED_SIZE - 0x208, "range 0x208-0x29F", err)) < 0)
			return k;
	} else if ((k = reserved(&b, CU_SNP_SIGNED_SIZE - 0x1F8, "range 0x1F8-0x29F", err)) < 0) {
		return k;
	}

	/* 0x2A0-0x49F: SIGNATURE, [ABI] Table 139: R, S little-endian, then reserved */
	if (!cu_bytes_get_bytes(&b, CU_SNP_REPORT_SIZE - CU_SNP_SIGNED_SIZE, &sig) ||
	    !cu_bytes_copy(&sig, r.sig_r, sizeof(r.sig_r)) ||
	    !cu_bytes_copy(&sig, r.sig_s, sizeof(r.sig_s)))
		goto short_input;
	if ((k = reserved(&sig, cu_bytes_size(&sig), "signature range 0x330-0x49F", err)) < 0)
		return k;
	if (!cu_bytes_is_empty(&b))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "snp: trailing bytes after the report");

	*ret = r;
	return 0;

short_input:
	return cu_fail(err, CU_ERR_MALFORMED, "parse", "snp: report truncated at offset 0x%zx",
	               cu_bytes_offset(&b));
}

/* ------------------------------------------------------- product lines */

enum cu_snp_product cu_snp_product_from_cpuid(uint8_t family, uint8_t model)
{
	/* CPUID_FAM_ID is extended family + family; CPUID_MOD_ID is ext model << 4 | model. */
	if (family == 0x19 && model <= 0x0f)
		return CU_SNP_PRODUCT_MILAN;
	if (family == 0x19 &&
	    ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf)))
		return CU_SNP_PRODUCT_GENOA; /* Genoa, Bergamo, Siena */
	if (family == 0x1a && model <= 0x11)
		return CU_SNP_PRODUCT_TURIN;
	return CU_SNP_PRODUCT_UNKNOWN;
}

const char *cu_snp_product_name(enum cu_snp_product p)
{
	switch (p) {
	case CU_SNP_PRODUCT_MILAN:
		return "Milan";
	case CU_SNP_PRODUCT_GENOA:
		return "Genoa";
	case CU_SNP_PRODUCT_TURIN:
		return "Turin";
	default:
		return "unknown";
	}
}

static enum cu_snp_product product_from_name(const char *s, size_t len)
{
	static const enum cu_snp_product all[] = { CU_SNP_PRODUCT_MILAN, CU_SNP_PRODUCT_GENOA,
		                                   CU_SNP_PRODUCT_TURIN };

	for (size_t i = 0; i < ELEMENTSOF(all); i++) {
		const char *n = cu_snp_product_name(all[i]);
		if (strlen(n) == len && strncmp(s, n, len) == 0)
			return all[i];
	}
	return CU_SNP_PRODUCT_UNKNOWN;
}

void cu_snp_tcb_decode(uint64_t raw, enum cu_snp_product p, struct cu_snp_tcb *ret)
{
	struct cu_snp_tcb t = { .raw = raw };

	if (p == CU_SNP_PRODUCT_TURIN) {
		/* Turin: FMC byte 0, BOOT_LOADER 1, TEE 2, SNP 3, reserved 4-6, MICROCODE 7 */
		t.fmc = (uint8_t)raw;
		t.bootloader = (uint8_t)(raw >> 8);
		t.tee = (uint8_t)(raw >> 16);
		t.snp = (uint8_t)(raw >> 24);
	} else {
		/* Milan, Genoa: BOOT_LOADER byte 0, TEE 1, reserved 2-5, SNP 6, MICROCODE 7 */
		t.bootloader = (uint8_t)raw;
		t.tee = (uint8_t)(raw >> 8);
		t.snp = (uint8_t)(raw >> 48);
	}
	t.microcode = (uint8_t)(raw >> 56);
	*ret = t;
}

/* --------------------------------------------------------------- claims */

static int set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) < 0 ? CU_ERR_NOMEM : 0;
}

static json_t *tcb_json(uint64_t raw, enum cu_snp_product p)
{
	struct cu_snp_tcb t;
	json_t *o = json_object();

	if (!o)
		return NULL;
	cu_snp_tcb_decode(raw, p, &t);
	if ((p == CU_SNP_PRODUCT_TURIN && set(o, "fmc", json_integer(t.fmc)) < 0) ||
	    set(o, "bootloader", json_integer(t.bootloader)) < 0 ||
	    set(o, "tee", json_integer(t.tee)) < 0 || set(o, "snp", json_integer(t.snp)) < 0 ||
	    set(o, "microcode", json_integer(t.microcode)) < 0 ||
	    cu_json_set_u64_hex(o, "raw", raw) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct bit_name {
	unsigned bit;
	const char *name;
};

/* [ABI] Table 9 GUEST_POLICY */
static const struct bit_name policy_bits[] = {
	{ 16, "smt" },           { 18, "migrate_ma" },        { 19, "debug" },
	{ 20, "single_socket" }, { 21, "cxl_allow" },         { 22, "mem_aes_256_xts" },
	{ 23, "rapl_dis" },      { 24, "ciphertext_hiding" }, { 25, "page_swap_disable" },
};

/* [ABI] Table 24 PLATFORM_INFO */
static const struct bit_name platform_info_bits[] = {
	{ 0, "smt_en" },
	{ 1, "tsme_en" },
	{ 2, "ecc_en" },
	{ 3, "rapl_dis" },
	{ 4, "ciphertext_hiding_en" },
	{ 5, "alias_check_complete" },
	{ 7, "tio_en" },
};

static json_t *bits_json(uint64_t raw, const struct bit_name *bits, size_t n_bits,
                         uint64_t known_mask)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < n_bits; i++)
		if (set(o, bits[i].name, json_boolean((raw >> bits[i].bit) & 1)) < 0)
			goto fail;
	/* Bits this version of Custos does not know are shown, never dropped silently. */
	if (cu_json_set_u64_hex(o, "unknown_bits", raw & ~known_mask) < 0 ||
	    cu_json_set_u64_hex(o, "raw", raw) < 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *policy_json(uint64_t policy)
{
	uint64_t known = 0xffffull | (1ull << 17);
	json_t *o;

	for (size_t i = 0; i < ELEMENTSOF(policy_bits); i++)
		known |= 1ull << policy_bits[i].bit;
	o = bits_json(policy, policy_bits, ELEMENTSOF(policy_bits), known);
	if (o && (set(o, "abi_minor", json_integer(policy & 0xff)) < 0 ||
	          set(o, "abi_major", json_integer((policy >> 8) & 0xff)) < 0 ||
	          set(o, "reserved_must_be_one", json_boolean((policy >> 17) & 1)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *platform_info_json(uint64_t pi)
{
	uint64_t known = 0;

	for (size_t i = 0; i < ELEMENTSOF(platform_info_bits); i++)
		known |= 1ull << platform_info_bits[i].bit;
	return bits_json(pi, platform_info_bits, ELEMENTSOF(platform_info_bits), known);
}

static const char *signing_key_name(uint8_t k)
{
	switch (k) {
	case CU_SNP_KEY_VCEK:
		return "vcek";
	case CU_SNP_KEY_VLEK:
		return "vlek";
	case CU_SNP_KEY_NONE:
		return "none";
	default:
		return "reserved";
	}
}

int cu_snp_report_claims(const struct cu_snp_report *r, enum cu_snp_product product, json_t **ret)
{
	json_auto_t *c = json_object();
	json_auto_t *s = json_object();
	int k = 0;

	if (!c || !s)
		return CU_ERR_NOMEM;
	if (product == CU_SNP_PRODUCT_UNKNOWN && r->version >= 3)
		product = cu_snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);

	/* common claims (DESIGN.md "Claims") */
	k |= set(c, "tee", json_string("sev-snp"));
	k |= cu_json_set_hex(c, "measurement", r->measurement, sizeof(r->measurement));
	k |= cu_json_set_hex(c, "report_data", r->report_data, sizeof(r->report_data));
	k |= set(c, "debug", json_boolean((r->policy >> 19) & 1));
	if (!r->mask_chip_key && !cu_mem_all_zero(r->chip_id, sizeof(r->chip_id)))
		k |= cu_json_set_hex(c, "platform_id", r->chip_id, sizeof(r->chip_id));

	/* snp.*: every field of [ABI] Table 23 */
	k |= set(s, "version", json_integer(r->version));
	k |= set(s, "guest_svn", json_integer(r->guest_svn));
	k |= set(s, "policy", policy_json(r->policy));
	k |= cu_json_set_hex(s, "family_id", r->family_id, sizeof(r->family_id));
	k |= cu_json_set_hex(s, "image_id", r->image_id, sizeof(r->image_id));
	k |= set(s, "vmpl", json_integer(r->vmpl));
	k |= set(s, "signature_algo", json_integer(r->signature_algo));
	k |= set(s, "current_tcb", tcb_json(r->current_tcb, product));
	k |= set(s, "platform_info", platform_info_json(r->platform_info));
	k |= set(s, "author_key_en", json_boolean(r->author_key_en));
	k |= set(s, "mask_chip_key", json_boolean(r->mask_chip_key));
	k |= set(s, "signing_key", json_string(signing_key_name(r->signing_key)));
	k |= cu_json_set_hex(s, "report_data", r->report_data, sizeof(r->report_data));
	k |= cu_json_set_hex(s, "measurement", r->measurement, sizeof(r->measurement));
	k |= cu_json_set_hex(s, "host_data", r->host_data, sizeof(r->host_data));
	k |= cu_json_set_hex(s, "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest));
	k |= cu_json_set_hex(s, "author_key_digest", r->author_key_digest,
	                     sizeof(r->author_key_digest));
	k |= cu_json_set_hex(s, "report_id", r->report_id, sizeof(r->report_id));
	k |= cu_json_set_hex(s, "report_id_ma", r->report_id_ma, sizeof(r->report_id_ma));
	k |= set(s, "reported_tcb", tcb_json(r->reported_tcb, product));
	if (r->version >= 3) {
		k |= set(s, "cpuid_fam_id", json_integer(r->cpuid_fam_id));
		k |= set(s, "cpuid_mod_id", json_integer(r->cpuid_mod_id));
		k |= set(s, "cpuid_step", json_integer(r->cpuid_step));
	}
	k |= cu_json_set_hex(s, "chip_id", r->chip_id, sizeof(r->chip_id));
	k |= set(s, "committed_tcb", tcb_json(r->committed_tcb, product));
	k |= set(s, "current_build", json_integer(r->current_build));
	k |= set(s, "current_minor", json_integer(r->current_minor));
	k |= set(s, "current_major", json_integer(r->current_major));
	k |= set(s, "committed_build", json_integer(r->committed_build));
	k |= set(s, "committed_minor", json_integer(r->committed_minor));
	k |= set(s, "committed_major", json_integer(r->committed_major));
	k |= set(s, "launch_tcb", tcb_json(r->launch_tcb, product));
	if (r->version >= 5) {
		k |= cu_json_set_u64_hex(s, "launch_mit_vector", r->launch_mit_vector);
		k |= cu_json_set_u64_hex(s, "current_mit_vector", r->current_mit_vector);
	}
	k |= set(s, "tcb_layout",
	         json_string(product == CU_SNP_PRODUCT_TURIN ? "turin" : "milan-genoa"));
	if (k < 0)
		return CU_ERR_NOMEM;
	if (set(c, "snp", json_incref(s)) < 0)
		return CU_ERR_NOMEM;
	*ret = json_incref(c);
	return 0;
}

/* ----------------------------------------------------- collateral index */

struct snp_vek {
	X509 *cert; /* borrowed from the collateral */
	uint8_t digest[32];
	bool is_vlek;
	enum cu_snp_product product; /* from productName */
	long struct_version;
	char product_name[32];
	int bl, tee, snp, ucode, fmc; /* -1 when absent */
	uint8_t hwid[64];
	size_t hwid_size;
	char csp_id[128];
	/* cache of the verified chain, guarded by the verifier lock */
	bool chain_ok;
	int64_t chain_not_before, chain_not_after;
	enum cu_snp_product chain_product;
	bool revocation_checked;
};

/*
 * Endorsement keys that came with evidence and verified, by the SHA-256 of
 * their DER, so that the next report from the same chip costs no certificate
 * parsing and no chain check (as for keys from the collateral). Bounded; the
 * least recently used is replaced. Guarded by the verifier lock.
 */
#define SNP_SEEN_MAX 64

struct snp_seen {
	X509 *cert; /* owned; NULL when the slot is free */
	struct snp_vek vek;
	uint64_t used;
};

struct snp_state {
	STACK_OF(X509) * roots;         /* pinned ARKs + test roots */
	STACK_OF(X509) * intermediates; /* bundled + collateral ASK/ASVK */
	struct snp_vek *veks;
	size_t n_veks;
	struct snp_seen seen[SNP_SEEN_MAX];
	uint64_t tick;
};

static void snp_state_free(void *p)
{
	struct snp_state *st = p;

	if (!st)
		return;
	cu_x509_stack_freep(&st->roots);
	cu_x509_stack_freep(&st->intermediates);
	free(st->veks);
	for (size_t i = 0; i < SNP_SEEN_MAX; i++)
		X509_free(st->seen[i].cert);
	free(st);
}

static bool cn_has_prefix(X509 *x, const char *prefix, const char **ret_rest)
{
	static __thread char cn[128];

	cu_x509_subject_cn(x, cn, sizeof(cn));
	if (strncmp(cn, prefix, strlen(prefix)) != 0)
		return false;
	if (ret_rest)
		*ret_rest = cn + strlen(prefix);
	return true;
}

static bool cn_equals(X509 *x, const char *want)
{
	const char *rest;

	return cn_has_prefix(x, want, &rest) && *rest == '\0';
}

/* An SPL extension: DER INTEGER 0..255 ([VCEK] Table 8). -1 when absent. */
static int ext_u8(X509 *x, const char *oid, int *ret)
{
	const ASN1_OCTET_STRING *os = cu_x509_get0_ext(x, oid);
	const unsigned char *p;
	ASN1_INTEGER *ai;
	long v;

	if (!os) {
		*ret = -1;
		return 0;
	}
	p = ASN1_STRING_get0_data(os);
	ai = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(os));
	if (!ai || p != ASN1_STRING_get0_data(os) + ASN1_STRING_length(os)) {
		ASN1_INTEGER_free(ai);
		return CU_ERR_MALFORMED;
	}
	v = ASN1_INTEGER_get(ai);
	ASN1_INTEGER_free(ai);
	if (v < 0 || v > 255)
		return CU_ERR_MALFORMED;
	*ret = (int)v;
	return 0;
}

static int ext_ia5(X509 *x, const char *oid, char *buf, size_t size)
{
	const ASN1_OCTET_STRING *os = cu_x509_get0_ext(x, oid);
	const unsigned char *p;
	ASN1_IA5STRING *s;
	int len;

	buf[0] = '\0';
	if (!os)
		return 0;
	p = ASN1_STRING_get0_data(os);
	s = d2i_ASN1_IA5STRING(NULL, &p, ASN1_STRING_length(os));
	if (!s || p != ASN1_STRING_get0_data(os) + ASN1_STRING_length(os)) {
		ASN1_IA5STRING_free(s);
		return CU_ERR_MALFORMED;
	}
	len = ASN1_STRING_length(s);
	if (len < 0 || (size_t)len >= size || memchr(ASN1_STRING_get0_data(s), 0, (size_t)len)) {
		ASN1_IA5STRING_free(s);
		return CU_ERR_MALFORMED;
	}
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)len);
	buf[len] = '\0';
	ASN1_IA5STRING_free(s);
	return 0;
}

/* hwID: raw bytes (older KDS) or a DER OCTET STRING (newer), 64 bytes or 8 on Turin. */
static int ext_hwid(X509 *x, uint8_t *out, size_t *ret_size)
{
	const ASN1_OCTET_STRING *os = cu_x509_get0_ext(x, SNP_CERT_OID_PREFIX "4");
	const unsigned char *d;
	int len;

	*ret_size = 0;
	if (!os)
		return 0;
	d = ASN1_STRING_get0_data(os);
	len = ASN1_STRING_length(os);
	if (len == 64 || len == 8) {
		memcpy(out, d, (size_t)len);
		*ret_size = (size_t)len;
		return 0;
	}
	if ((len == 66 || len == 10) && d[0] == V_ASN1_OCTET_STRING && d[1] == len - 2) {
		memcpy(out, d + 2, (size_t)len - 2);
		*ret_size = (size_t)len - 2;
		return 0;
	}
	return CU_ERR_MALFORMED;
}

static int vek_parse(X509 *x, bool is_vlek, struct snp_vek *ret)
{
	struct snp_vek v = { .cert = x, .is_vlek = is_vlek };
	int sv;
	const char *dash;

	if (cu_x509_sha256(x, v.digest) < 0)
		return CU_ERR_INTERNAL;
	if (ext_u8(x, SNP_CERT_OID_PREFIX "1", &sv) < 0 ||
	    ext_ia5(x, SNP_CERT_OID_PREFIX "2", v.product_name, sizeof(v.product_name)) < 0 ||
	    ext_u8(x, SNP_CERT_OID_PREFIX "3.1", &v.bl) < 0 ||
	    ext_u8(x, SNP_CERT_OID_PREFIX "3.2", &v.tee) < 0 ||
	    ext_u8(x, SNP_CERT_OID_PREFIX "3.3", &v.snp) < 0 ||
	    ext_u8(x, SNP_CERT_OID_PREFIX "3.8", &v.ucode) < 0 ||
	    ext_u8(x, SNP_CERT_OID_PREFIX "3.9", &v.fmc) < 0 ||
	    ext_hwid(x, v.hwid, &v.hwid_size) < 0 ||
	    ext_ia5(x, SNP_CERT_OID_PREFIX "5", v.csp_id, sizeof(v.csp_id)) < 0)
		return CU_ERR_MALFORMED;
	v.struct_version = sv;
	/* "Milan-B0" for a VCEK, "Milan" for a VLEK */
	dash = strchr(v.product_name, '-');
	v.product = product_from_name(v.product_name, dash ? (size_t)(dash - v.product_name)
	                                                   : strlen(v.product_name));
	if (v.bl < 0 || v.tee < 0 || v.snp < 0 || v.ucode < 0)
		return CU_ERR_MALFORMED;
	/* A VCEK is tied to a chip; a VLEK to a cloud provider, never both. */
	if (is_vlek ? v.hwid_size != 0 : v.hwid_size == 0)
		return CU_ERR_MALFORMED;
	*ret = v;
	return 0;
}

static int push_pem(STACK_OF(X509) * sk, const char *pem)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;

	if (!bio)
		return CU_ERR_NOMEM;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!x)
		return CU_ERR_INTERNAL;
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		return CU_ERR_NOMEM;
	}
	return 0;
}

static int state_build(cu_verifier *v, struct snp_state **ret, struct cu_error *err)
{
	struct snp_state *st = calloc(1, sizeof(*st));
	STACK_OF(X509) *certs = v->collateral->certs;
	size_t cap = 0;
	int r;

	if (!st || !(st->roots = sk_X509_new_null()) || !(st->intermediates = sk_X509_new_null())) {
		r = cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < cu_snp_n_roots; i++) {
		uint8_t d[32];

		r = push_pem(st->roots, cu_snp_roots[i].pem);
		if (r < 0 || cu_x509_sha256(sk_X509_value(st->roots, (int)i), d) < 0 ||
		    memcmp(d, cu_snp_roots[i].sha256, 32) != 0) {
			r = cu_fail(err, r < 0 ? r : CU_ERR_INTERNAL, "init",
			            "snp: compiled-in AMD root %zu does not match its pin", i);
			goto fail;
		}
	}
	if ((r = cu_append_test_roots(v, st->roots, err)) < 0)
		goto fail;
	for (size_t i = 0; cu_snp_intermediates[i]; i++)
		if ((r = push_pem(st->intermediates, cu_snp_intermediates[i])) < 0) {
			r = cu_fail(err, r, "init",
			            "snp: cannot load compiled-in AMD intermediates");
			goto fail;
		}

	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		struct snp_vek vek;
		bool dup = false;

		if (cn_equals(x, "SEV-VCEK") || cn_equals(x, "SEV-VLEK")) {
			if (vek_parse(x, cn_equals(x, "SEV-VLEK"), &vek) < 0)
				continue; /* not a usable endorsement key: ignored */
			for (size_t j = 0; j < st->n_veks; j++)
				dup |= memcmp(st->veks[j].digest, vek.digest, 32) == 0;
			if (dup)
				continue;
			if (st->n_veks == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct snp_vek *n = realloc(st->veks, ncap * sizeof(*n));
				if (!n) {
					r = cu_fail(err, CU_ERR_NOMEM, "collateral",
					            "out of memory");
					goto fail;
				}
				st->veks = n;
				cap = ncap;
			}
			st->veks[st->n_veks++] = vek;
		} else if (cn_has_prefix(x, "SEV-", NULL)) {
			/* ASK (SEV-<product>) or ASVK (SEV-VLEK-<product>): untrusted intermediates */
			if (!X509_up_ref(x) || !sk_X509_push(st->intermediates, x)) {
				r = cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
				goto fail;
			}
		}
		/* ARKs in the collateral are not trusted: only pinned roots are. */
	}
	*ret = st;
	return 0;
fail:
	snp_state_free(st);
	return r;
}

static int state_build_any(cu_verifier *v, void **ret, struct cu_error *err)
{
	return state_build(v, (struct snp_state **)ret, err);
}

/* --------------------------------------------------------- verification */

/* How far a candidate key got: the error of the furthest one is reported. */
enum vek_stage {
	VEK_STAGE_CHIP_ID,
	VEK_STAGE_TCB,
	VEK_STAGE_CHAIN,
	VEK_STAGE_PRODUCT,
	VEK_STAGE_SIGNATURE,
};

static int check_chip_id(const struct cu_snp_report *r, const struct snp_vek *k,
                         struct cu_error *err)
{
	char got[17], want[17];

	if (k->is_vlek || r->mask_chip_key)
		return 0; /* a VLEK is not tied to a chip; MASK_CHIP_KEY hides the id */
	/* Turin VCEKs carry an 8-byte hwID: the first 8 bytes of CHIP_ID, the rest zero. */
	if (memcmp(r->chip_id, k->hwid, k->hwid_size) == 0 &&
	    cu_mem_all_zero(r->chip_id + k->hwid_size, sizeof(r->chip_id) - k->hwid_size))
		return 0;
	cu_hex_encode(r->chip_id, 8, got);
	cu_hex_encode(k->hwid, 8, want);
	return cu_fail(err, CU_ERR_MISMATCH, "endorsement",
	               "snp: CHIP_ID %s... does not match the VCEK hwID %s...", got, want);
}

static int check_tcb(const struct cu_snp_report *r, const struct snp_vek *k, struct cu_error *err)
{
	struct cu_snp_tcb t;
	enum cu_snp_product p =
	    k->struct_version == 1 || k->fmc >= 0 ? CU_SNP_PRODUCT_TURIN : CU_SNP_PRODUCT_MILAN;
	const char *what = k->is_vlek ? "VLEK" : "VCEK";

	cu_snp_tcb_decode(r->reported_tcb, p, &t);
#define TCB_FIELD(field, ext, name)                                                                \
	if ((int)t.field != k->ext)                                                                \
		return cu_fail(err, CU_ERR_MISMATCH, "endorsement",                                \
		               "snp: REPORTED_TCB." name " is %u but the %s was issued for %d",    \
		               t.field, what, k->ext);
	TCB_FIELD(bootloader, bl, "bootloader")
	TCB_FIELD(tee, tee, "tee")
	TCB_FIELD(snp, snp, "snp")
	TCB_FIELD(microcode, ucode, "microcode")
	if (p == CU_SNP_PRODUCT_TURIN)
		TCB_FIELD(fmc, fmc, "fmc")
#undef TCB_FIELD
	return 0;
}

/* Chain ARK -> ASK|ASVK -> VEK at `at`, through the cache. */
static int check_chain(cu_verifier *v, struct snp_state *st, struct snp_vek *k, int64_t at,
                       struct cu_error *err)
{
	struct cu_chain_opts o = {
		.roots = st->roots,
		.untrusted = st->intermediates,
		.crls = v->collateral->crls,
		.at = at,
		.max_depth = 3,
	};
	struct cu_chain_result res = { 0 };
	const char *rest;
	enum cu_snp_product root_product, mid_product;
	X509 *mid, *root;
	bool cached;
	int r;

	pthread_mutex_lock(&v->lock);
	cached = k->chain_ok && at >= k->chain_not_before && at < k->chain_not_after;
	pthread_mutex_unlock(&v->lock);
	if (cached)
		return 0;

	r = cu_x509_verify_chain(k->cert, &o, &res, err);
	if (r < 0) {
		cu_error_prefix(err, k->is_vlek ? "snp: VLEK chain: " : "snp: VCEK chain: ");
		return r;
	}
	if (sk_X509_num(res.chain) != 3) {
		r = cu_fail(err, CU_ERR_CHAIN, "chain",
		            "snp: chain has %d certificates, expected ARK, %s and %s",
		            sk_X509_num(res.chain), k->is_vlek ? "ASVK" : "ASK",
		            k->is_vlek ? "VLEK" : "VCEK");
		goto out;
	}
	mid = sk_X509_value(res.chain, 1);
	root = sk_X509_value(res.chain, 2);

	/* The product line comes from the root: "ARK-<product>" */
	root_product = cn_has_prefix(root, "ARK-", &rest) ? product_from_name(rest, strlen(rest))
	                                                  : CU_SNP_PRODUCT_UNKNOWN;
	if (root_product == CU_SNP_PRODUCT_UNKNOWN) {
		r = cu_fail(err, CU_ERR_CHAIN, "chain",
		            "snp: root is not an AMD ARK of a known product line");
		goto out;
	}
	/* A VCEK is issued by the ASK "SEV-<product>", a VLEK by the ASVK "SEV-VLEK-<product>". */
	mid_product = cn_has_prefix(mid, k->is_vlek ? "SEV-VLEK-" : "SEV-", &rest)
	                  ? product_from_name(rest, strlen(rest))
	                  : CU_SNP_PRODUCT_UNKNOWN;
	if (mid_product != root_product) {
		char cn[128];

		cu_x509_subject_cn(mid, cn, sizeof(cn));
		r = cu_fail(err, CU_ERR_CHAIN, "chain",
		            "snp: %s is issued by '%s', expected '%s%s' under ARK-%s",
		            k->is_vlek ? "VLEK" : "VCEK", cn, k->is_vlek ? "SEV-VLEK-" : "SEV-",
		            cu_snp_product_name(root_product), cu_snp_product_name(root_product));
		goto out;
	}
	/* Pinned algorithms: AMD signs ASK, ASVK and VEKs with RSASSA-PSS SHA-384. */
	if (!cu_x509_signed_with_rsa_pss(k->cert, NID_sha384) ||
	    !cu_x509_signed_with_rsa_pss(mid, NID_sha384)) {
		r = cu_fail(err, CU_ERR_UNSUPPORTED, "chain",
		            "snp: certificate not signed with RSASSA-PSS SHA-384");
		goto out;
	}
	pthread_mutex_lock(&v->lock);
	k->chain_ok = true;
	k->chain_not_before = res.not_before;
	k->chain_not_after = res.not_after;
	k->chain_product = root_product;
	/* AMD's CRL is issued by the ARK and covers the ASK/ASVK (depth 1). */
	k->revocation_checked = !(res.crl_missing & (1u << 1));
	pthread_mutex_unlock(&v->lock);
	r = 0;
out:
	cu_chain_result_done(&res);
	return r;
}

static int check_product(const struct cu_snp_report *r, const struct snp_vek *k,
                         struct cu_error *err)
{
	enum cu_snp_product p = k->chain_product;

	if (k->product != p)
		return cu_fail(err, CU_ERR_MISMATCH, "endorsement",
		               "snp: %s productName '%s' does not match the %s chain",
		               k->is_vlek ? "VLEK" : "VCEK", k->product_name,
		               cu_snp_product_name(p));
	if (r->version >= 3) {
		enum cu_snp_product c = cu_snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);

		if (c != p)
			return cu_fail(err, CU_ERR_MISMATCH, "endorsement",
			               "snp: CPUID family 0x%02x model 0x%02x (%s) does not match "
			               "the %s certificate chain",
			               r->cpuid_fam_id, r->cpuid_mod_id, cu_snp_product_name(c),
			               cu_snp_product_name(p));
	}
	return 0;
}

static int check_signature(const uint8_t *buf, const struct cu_snp_report *r,
                           const struct snp_vek *k, struct cu_error *err)
{
	int ret = cu_ecdsa_verify_raw_le(X509_get0_pubkey(k->cert), NID_secp384r1, EVP_sha384(),
	                                 buf, CU_SNP_SIGNED_SIZE, r->sig_r, r->sig_s,
	                                 CU_SNP_SIG_COMPONENT_SIZE, err);
	if (ret < 0)
		cu_error_prefix(err, k->is_vlek ? "snp: report signature with the VLEK: "
		                                : "snp: report signature with the VCEK: ");
	return ret;
}

static int try_vek(cu_verifier *v, struct snp_state *st, const uint8_t *buf,
                   const struct cu_snp_report *r, struct snp_vek *k, int64_t at,
                   enum vek_stage *ret_stage, struct cu_error *err)
{
	int ret;

	*ret_stage = VEK_STAGE_CHIP_ID;
	if ((ret = check_chip_id(r, k, err)) < 0)
		return ret;
	*ret_stage = VEK_STAGE_TCB;
	if ((ret = check_tcb(r, k, err)) < 0)
		return ret;
	*ret_stage = VEK_STAGE_CHAIN;
	if ((ret = check_chain(v, st, k, at, err)) < 0)
		return ret;
	*ret_stage = VEK_STAGE_PRODUCT;
	if ((ret = check_product(r, k, err)) < 0)
		return ret;
	*ret_stage = VEK_STAGE_SIGNATURE;
	return check_signature(buf, r, k, err);
}

static int vek_claims(json_t *snp, const struct snp_vek *k)
{
	json_auto_t *o = json_object();
	char cn[128], t[32];
	int64_t nb, na;
	int e = 0;

	if (!o || cu_x509_validity(k->cert, &nb, &na) < 0)
		return CU_ERR_NOMEM;
	cu_x509_subject_cn(k->cert, cn, sizeof(cn));
	e |= set(o, "subject", json_string(cn));
	e |= set(o, "product_name", json_string(k->product_name));
	e |= cu_json_set_hex(o, "sha256", k->digest, sizeof(k->digest));
	cu_time_format_rfc3339(nb, t, sizeof(t));
	e |= set(o, "not_before", json_string(t));
	cu_time_format_rfc3339(na, t, sizeof(t));
	e |= set(o, "not_after", json_string(t));
	if (k->is_vlek && k->csp_id[0])
		e |= set(o, "csp_id", json_string(k->csp_id));
	e |= set(snp, "product", json_string(cu_snp_product_name(k->chain_product)));
	e |= set(snp, "revocation", json_string(k->revocation_checked ? "checked" : "not-checked"));
	e |= set(snp, k->is_vlek ? "vlek" : "vcek", json_incref(o));
	return e < 0 ? CU_ERR_NOMEM : 0;
}

/* The keys tried for a report, and the failure that got furthest (the one reported). */
struct attempts {
	struct cu_error best, cur;
	enum vek_stage best_stage;
	bool any;
};

/* Try one key; true when it verified the report. */
static bool attempt(cu_verifier *v, struct snp_state *st, const uint8_t *buf,
                    const struct cu_snp_report *r, struct snp_vek *k, int64_t at,
                    struct attempts *a)
{
	enum vek_stage stage;

	cu_error_clear(&a->cur);
	if (try_vek(v, st, buf, r, k, at, &stage, &a->cur) == 0)
		return true;
	if (!a->any || stage > a->best_stage) {
		a->best = a->cur;
		a->best_stage = stage;
	}
	a->any = true;
	return false;
}

/*
 * A key seen before whose DER is exactly these bytes: a copy of its entry, the
 * certificate with a reference of its own (the caller frees it).
 */
static bool seen_get(cu_verifier *v, struct snp_state *st, const uint8_t *der, size_t size,
                     bool want_vlek, struct snp_vek *ret)
{
	uint8_t md[32];
	bool found = false;

	cu_sha256(der, size, md);
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < SNP_SEEN_MAX && !found; i++) {
		struct snp_seen *e = &st->seen[i];

		if (e->cert && e->vek.is_vlek == want_vlek && !memcmp(e->vek.digest, md, 32) &&
		    X509_up_ref(e->cert)) {
			*ret = e->vek;
			e->used = ++st->tick;
			found = true;
		}
	}
	pthread_mutex_unlock(&v->lock);
	return found;
}

/* Whether every certificate that came with the evidence is a key seen before. */
static bool all_seen(cu_verifier *v, struct snp_state *st, const struct cu_verify_opts *opts,
                     bool want_vlek)
{
	for (size_t i = 0; i < opts->n_extra_collateral; i++) {
		struct snp_vek k;

		if (!seen_get(v, st, opts->extra_collateral[i], opts->extra_collateral_sizes[i],
		              want_vlek, &k))
			return false;
		X509_free(k.cert);
	}
	return true;
}

/* Remember a key that verified, with its chain's cached result. */
static void seen_put(cu_verifier *v, struct snp_state *st, const struct snp_vek *k)
{
	struct snp_seen *slot = NULL;

	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < SNP_SEEN_MAX; i++) {
		struct snp_seen *e = &st->seen[i];

		if (e->cert && !memcmp(e->vek.digest, k->digest, 32)) {
			/* Known: refresh its chain result (it may have been checked again). */
			X509 *cert = e->cert;

			e->vek = *k;
			e->vek.cert = cert;
			e->used = ++st->tick;
			pthread_mutex_unlock(&v->lock);
			return;
		}
		if (!slot || !e->cert || (slot->cert && e->used < slot->used))
			slot = e;
	}
	if (X509_up_ref(k->cert)) {
		X509_free(slot->cert);
		slot->cert = k->cert;
		slot->vek = *k;
		slot->used = ++st->tick;
	}
	pthread_mutex_unlock(&v->lock);
}

static int snp_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                      const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	struct cu_snp_report r;
	struct snp_state *st = NULL;
	struct attempts tries = { .best_stage = VEK_STAGE_CHIP_ID };
	struct snp_vek *ok = NULL, extra_vek;
	STACK_OF(X509) *extra = NULL; /* certificates that came with the evidence */
	bool want_vlek;
	json_t *claims, *snp;
	int k;

	if ((k = cu_snp_report_parse(buf, size, &r, err)) < 0)
		return k;
	if (r.signature_algo != 1)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "snp: SIGNATURE_ALGO %u not supported (1: ECDSA P-384 with SHA-384)",
		               r.signature_algo);
	if (r.signing_key == CU_SNP_KEY_NONE)
		return cu_fail(err, CU_ERR_SIGNATURE, "parse",
		               "snp: report is not signed (SIGNING_KEY is none)");
	if (r.signing_key != CU_SNP_KEY_VCEK && r.signing_key != CU_SNP_KEY_VLEK)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse", "snp: SIGNING_KEY %u is reserved",
		               r.signing_key);
	want_vlek = r.signing_key == CU_SNP_KEY_VLEK;

	if ((k = cu_verifier_state(v, CU_FORMAT_SNP, state_build_any, snp_state_free, (void **)&st,
	                           err)) < 0)
		return k;
	for (size_t i = 0; i < st->n_veks && !ok; i++) {
		if (st->veks[i].is_vlek != want_vlek)
			continue;
		if (attempt(v, st, buf, &r, &st->veks[i], opts->at, &tries))
			ok = &st->veks[i];
	}
	/*
	 * Then the endorsement keys that came with this evidence: when every one
	 * of them was seen before, from the cache (no parsing, no chain check);
	 * otherwise all are parsed, so that the answer never depends on the cache.
	 */
	if (!ok && opts->n_extra_collateral && all_seen(v, st, opts, want_vlek)) {
		for (size_t i = 0; !ok && i < opts->n_extra_collateral; i++) {
			if (!seen_get(v, st, opts->extra_collateral[i],
			              opts->extra_collateral_sizes[i], want_vlek, &extra_vek))
				continue;
			if ((!extra && !(extra = sk_X509_new_null())) ||
			    !sk_X509_push(extra, extra_vek.cert)) {
				X509_free(extra_vek.cert);
				cu_x509_stack_freep(&extra);
				return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
			}
			if (attempt(v, st, buf, &r, &extra_vek, opts->at, &tries)) {
				ok = &extra_vek;
				seen_put(v, st, &extra_vek);
			}
		}
		if (!ok) {
			/* parse them all below, from scratch */
			cu_x509_stack_freep(&extra);
			extra = NULL;
		}
	}
	/* then the rest, parsed. */
	for (size_t i = 0; !ok && opts->n_extra_collateral && i < opts->n_extra_collateral; i++) {
		STACK_OF(X509_CRL) *crls = NULL;

		if (!extra && !(extra = sk_X509_new_null()))
			return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
		if (cu_x509_parse_any(opts->extra_collateral[i], opts->extra_collateral_sizes[i],
		                      &extra, &crls, NULL) <= 0) {
			cu_x509_stack_freep(&extra);
			return cu_fail(
			    err, CU_ERR_MALFORMED, "collateral",
			    "snp: certificate %zu that came with the evidence does not parse", i);
		}
		cu_crl_stack_freep(&crls);
	}
	for (int i = 0; !ok && extra && i < sk_X509_num(extra); i++) {
		X509 *x = sk_X509_value(extra, i);
		if (!(cn_equals(x, "SEV-VCEK") || cn_equals(x, "SEV-VLEK")) ||
		    cn_equals(x, "SEV-VLEK") != want_vlek ||
		    vek_parse(x, want_vlek, &extra_vek) < 0)
			continue;
		if (attempt(v, st, buf, &r, &extra_vek, opts->at, &tries)) {
			ok = &extra_vek;
			seen_put(v, st, &extra_vek);
		}
	}
	if (!ok) {
		cu_x509_stack_freep(&extra);
		if (tries.any) {
			if (err)
				*err = tries.best;
			return tries.best.code;
		}
		return cu_fail(err, CU_ERR_NOT_FOUND, "collateral",
		               "snp: no %s certificate in the collateral (the report is signed by "
		               "its %s; pass it with --collateral)",
		               want_vlek ? "VLEK" : "VCEK", want_vlek ? "VLEK" : "VCEK");
	}
	if (opts->eventlog) {
		cu_x509_stack_freep(&extra);
		return cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		               "snp: an event log was given, but SEV-SNP reports carry no "
		               "registers to replay it against (a vTPM quote does)");
	}
	if ((k = cu_check_report_data(r.report_data, opts, "snp", "REPORT_DATA", err)) < 0) {
		cu_x509_stack_freep(&extra);
		return k;
	}

	if (cu_snp_report_claims(&r, ok->chain_product, &claims) < 0) {
		cu_x509_stack_freep(&extra);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	snp = json_object_get(claims, "snp");
	k = vek_claims(snp, ok) < 0 || set(claims, "verified", json_true()) < 0;
	cu_x509_stack_freep(&extra);
	if (k) {
		json_decref(claims);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	*ret = claims;
	return 0;
}

static int snp_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	struct cu_snp_report r;
	json_t *claims, *snp;
	int k;

	if ((k = cu_snp_report_parse(buf, size, &r, err)) < 0)
		return k;
	if (cu_snp_report_claims(&r, CU_SNP_PRODUCT_UNKNOWN, &claims) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	snp = json_object_get(claims, "snp");
	if (cu_json_set_hex(snp, "signature_r", r.sig_r, sizeof(r.sig_r)) < 0 ||
	    cu_json_set_hex(snp, "signature_s", r.sig_s, sizeof(r.sig_s)) < 0 ||
	    set(claims, "verified", json_false()) < 0) {
		json_decref(claims);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	*ret = claims;
	return 0;
}

static bool snp_detect(const uint8_t *buf, size_t size)
{
	uint32_t version, algo;
	struct cu_bytes b;

	/* Exactly one report, a known version, and the signature algorithm at 0x34. */
	if (size != CU_SNP_REPORT_SIZE)
		return false;
	cu_bytes_init(&b, buf, size);
	if (!cu_bytes_get_u32le(&b, &version) || !cu_bytes_skip(&b, 0x34 - 4) ||
	    !cu_bytes_get_u32le(&b, &algo))
		return false;
	return version >= 2 && version <= 5 && algo == 1;
}

const struct cu_evidence_ops cu_snp_ops = {
	.name = "snp",
	.tee = "sev-snp",
	.detect = snp_detect,
	.inspect = snp_inspect,
	.verify = snp_verify,
	.state_free = snp_state_free,
};
