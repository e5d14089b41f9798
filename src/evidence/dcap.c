/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP ECDSA quote verification, SGX and TDX (see dcap.h for the
 * specifications). Each check is a named stage:
 *   parse, quote-signature, pck-chain, qe-report-signature, qe-binding,
 *   pck-extension, binding, tcb-info, qe-identity, tdx-module, tcb.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "../base/bytes.h"
#include "../base/encoding.h"
#include "../base/json.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "../base/time.h"
#include "../collateral/collateral.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "../crypto/x509.h"
#include "dcap.h"
#include "eventlog.h"

/* Intel SGX Root CA, the anchor of every PCK and TCB signing chain; pinned below. */
static const char intel_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

static const uint8_t intel_root_sha256[32] = {
	0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49,
	0xe9, 0x5b, 0x80, 0x7a, 0x35, 0x0e, 0x74, 0x24, 0x96, 0x43, 0x99,
	0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

#define ATT_KEY_ECDSA_P256  2
#define CERT_DATA_PCK_CHAIN 5
#define CERT_DATA_QE_REPORT 6

static const char *tee_name(uint32_t tee_type)
{
	return tee_type == CU_DCAP_TEE_TDX ? "tdx" : "sgx";
}

/* ------------------------------------------------------------------ parse */

static void sgx_report_read(const uint8_t *p, struct cu_dcap_sgx_report *r)
{
	memcpy(r->cpusvn, p, 16);
	memcpy(r->miscselect_raw, p + 16, 4);
	r->miscselect =
	    (uint32_t)p[16] | (uint32_t)p[17] << 8 | (uint32_t)p[18] << 16 | (uint32_t)p[19] << 24;
	memcpy(r->isv_ext_prod_id, p + 32, 16);
	memcpy(r->attributes, p + 48, 16);
	memcpy(r->mr_enclave, p + 64, 32);
	memcpy(r->mr_signer, p + 128, 32);
	memcpy(r->config_id, p + 192, 64);
	r->isv_prod_id = (uint16_t)(p[256] | p[257] << 8);
	r->isv_svn = (uint16_t)(p[258] | p[259] << 8);
	r->config_svn = (uint16_t)(p[260] | p[261] << 8);
	memcpy(r->isv_family_id, p + 304, 16);
	memcpy(r->report_data, p + 320, 64);
}

static void td_report_read(const uint8_t *p, bool v15, struct cu_dcap_td_report *t)
{
	size_t o = 0;
#define TD_FIELD(f)                                                                                \
	memcpy(t->f, p + o, sizeof(t->f));                                                         \
	o += sizeof(t->f)
	TD_FIELD(tee_tcb_svn);
	TD_FIELD(mr_seam);
	TD_FIELD(mr_signer_seam);
	TD_FIELD(seam_attributes);
	TD_FIELD(td_attributes);
	TD_FIELD(xfam);
	TD_FIELD(mr_td);
	TD_FIELD(mr_config_id);
	TD_FIELD(mr_owner);
	TD_FIELD(mr_owner_config);
	TD_FIELD(rtmr);
	TD_FIELD(report_data);
	if (v15) {
		TD_FIELD(tee_tcb_svn2);
		TD_FIELD(mr_servicetd);
	}
#undef TD_FIELD
}

bool cu_dcap_detect(const uint8_t *buf, size_t size, uint32_t tee_type)
{
	uint16_t version, key_type;
	uint32_t tee;

	if (!buf || size < CU_DCAP_HEADER_SIZE + CU_DCAP_SGX_REPORT_SIZE)
		return false;
	version = (uint16_t)(buf[0] | buf[1] << 8);
	key_type = (uint16_t)(buf[2] | buf[3] << 8);
	tee = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 | (uint32_t)buf[6] << 16 |
	      (uint32_t)buf[7] << 24;
	if (key_type != 2 && key_type != 3)
		return false;
	if (version == 3)
		return tee_type == CU_DCAP_TEE_SGX;
	return (version == 4 || version == 5) && tee == tee_type;
}

/* The certification data: type, size, and its bytes. */
static bool get_cert_data(struct cu_bytes *b, uint16_t *type, struct cu_bytes *data)
{
	uint32_t size;

	return cu_bytes_get_u16le(b, type) && cu_bytes_get_u32le(b, &size) &&
	       cu_bytes_get_bytes(b, size, data);
}

/* QE report, its signature, QE authentication data and the PCK chain (type 5). */
static int parse_qe_part(struct cu_bytes *b, struct cu_dcap_quote *q, struct cu_error *err)
{
	struct cu_bytes report, auth, chain;
	uint16_t auth_size, type;

	if (!cu_bytes_get_bytes(b, CU_DCAP_SGX_REPORT_SIZE, &report) ||
	    !cu_bytes_copy(b, q->qe_report_sig, 64) || !cu_bytes_get_u16le(b, &auth_size) ||
	    !cu_bytes_get_bytes(b, auth_size, &auth) || !get_cert_data(b, &type, &chain))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "dcap: QE report certification data truncated");
	if (type != CERT_DATA_PCK_CHAIN)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "dcap: certification data type %u not supported (5: the PCK "
		               "certificate chain in PEM)",
		               type);
	q->qe_report_raw = report.data;
	sgx_report_read(report.data, &q->qe_report);
	q->qe_auth = auth.data;
	q->qe_auth_size = auth.size;
	q->pck_chain = chain.data;
	q->pck_chain_size = chain.size;
	return 0;
}

int cu_dcap_quote_parse(const uint8_t *buf, size_t size, struct cu_dcap_quote *q,
                        struct cu_error *err)
{
	struct cu_bytes b, body, sig_data;
	uint32_t sig_size;
	uint16_t type;
	int r;

	memset(q, 0, sizeof(*q));
	if (size > CU_LIMIT_EVIDENCE_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, "parse", "dcap: quote larger than %u bytes",
		               CU_LIMIT_EVIDENCE_SIZE);
	cu_bytes_init(&b, buf, size);
	if (!cu_bytes_get_u16le(&b, &q->version) || !cu_bytes_get_u16le(&b, &q->att_key_type))
		return cu_fail(err, CU_ERR_MALFORMED, "parse", "dcap: quote header truncated");
	if (q->version < 3 || q->version > 5)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "dcap: quote version %u not supported (3, 4 and 5 are)", q->version);
	if (q->version == 3) {
		q->tee_type = CU_DCAP_TEE_SGX;
		if (!cu_bytes_skip(&b, 4) || !cu_bytes_get_u16le(&b, &q->qe_svn) ||
		    !cu_bytes_get_u16le(&b, &q->pce_svn))
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "dcap: quote header truncated");
	} else if (!cu_bytes_get_u32le(&b, &q->tee_type) || !cu_bytes_skip(&b, 4)) {
		return cu_fail(err, CU_ERR_MALFORMED, "parse", "dcap: quote header truncated");
	}
	if (!cu_bytes_copy(&b, q->qe_vendor_id, 16) || !cu_bytes_copy(&b, q->user_data, 20))
		return cu_fail(err, CU_ERR_MALFORMED, "parse", "dcap: quote header truncated");
	if (q->tee_type != CU_DCAP_TEE_SGX && q->tee_type != CU_DCAP_TEE_TDX)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "dcap: TEE type 0x%x not supported (0: SGX, 0x81: TDX)",
		               q->tee_type);
	if (q->att_key_type != ATT_KEY_ECDSA_P256)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "dcap: attestation key type %u not supported (2: ECDSA-256 with "
		               "P-256)",
		               q->att_key_type);

	/* body: v3 and v4 by TEE type; v5 carries a descriptor (type, size) */
	if (q->version == 5) {
		uint32_t body_size;

		if (!cu_bytes_get_u16le(&b, &type) || !cu_bytes_get_u32le(&b, &body_size))
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "dcap: quote body descriptor truncated");
		if (type < CU_DCAP_BODY_SGX || type > CU_DCAP_BODY_TD15)
			return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
			               "dcap: quote body type %u not supported (1: SGX report, 2: "
			               "TD report 1.0, 3: TD report 1.5)",
			               type);
		if (body_size != (type == CU_DCAP_BODY_SGX    ? CU_DCAP_SGX_REPORT_SIZE
		                  : type == CU_DCAP_BODY_TD10 ? CU_DCAP_TD10_SIZE
		                                              : CU_DCAP_TD15_SIZE))
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "dcap: quote body type %u has size %u", type, body_size);
		q->body_type = type;
	} else {
		q->body_type =
		    q->tee_type == CU_DCAP_TEE_TDX ? CU_DCAP_BODY_TD10 : CU_DCAP_BODY_SGX;
	}
	if ((q->body_type == CU_DCAP_BODY_SGX) != (q->tee_type == CU_DCAP_TEE_SGX))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "dcap: quote body type %u does not match TEE type 0x%x",
		               q->body_type, q->tee_type);
	if (!cu_bytes_get_bytes(&b,
	                        q->body_type == CU_DCAP_BODY_SGX    ? CU_DCAP_SGX_REPORT_SIZE
	                        : q->body_type == CU_DCAP_BODY_TD10 ? CU_DCAP_TD10_SIZE
	                                                            : CU_DCAP_TD15_SIZE,
	                        &body))
		return cu_fail(err, CU_ERR_MALFORMED, "parse", "dcap: quote body truncated");
	if (q->body_type == CU_DCAP_BODY_SGX)
		sgx_report_read(body.data, &q->sgx);
	else
		td_report_read(body.data, q->body_type == CU_DCAP_BODY_TD15, &q->td);
	q->signed_size = cu_bytes_offset(&b);

	/* signature data */
	if (!cu_bytes_get_u32le(&b, &sig_size) || !cu_bytes_get_bytes(&b, sig_size, &sig_data))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "dcap: quote signature data truncated");
	/*
	 * Bytes after the signature data are not part of the quote: configfs-tsm
	 * hands out a padded buffer, and some tools append to it. They are
	 * outside everything signed and never read.
	 */
	if (!cu_bytes_copy(&sig_data, q->signature, 64) ||
	    !cu_bytes_copy(&sig_data, q->att_key, 64))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "dcap: quote signature data truncated");
	if (q->version == 3) {
		if ((r = parse_qe_part(&sig_data, q, err)) < 0)
			return r;
	} else {
		struct cu_bytes qe;

		if (!get_cert_data(&sig_data, &type, &qe))
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "dcap: certification data truncated");
		if (type != CERT_DATA_QE_REPORT)
			return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
			               "dcap: certification data type %u not supported (6: QE "
			               "report certification data)",
			               type);
		if ((r = parse_qe_part(&qe, q, err)) < 0)
			return r;
		if (!cu_bytes_is_empty(&qe))
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "dcap: %zu unexpected bytes in the QE report certification "
			               "data",
			               cu_bytes_size(&qe));
	}
	if (!cu_bytes_is_empty(&sig_data))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "dcap: %zu unexpected bytes after the certification data",
		               cu_bytes_size(&sig_data));
	return 0;
}

/* ------------------------------------------------------- PCK extension */

/* One DER TLV with a single-byte tag and a definite, minimal length. */
static bool der_get(struct cu_bytes *b, uint8_t *tag, struct cu_bytes *val)
{
	uint8_t t, l;
	size_t len = 0;

	if (!cu_bytes_get_u8(b, &t) || !cu_bytes_get_u8(b, &l))
		return false;
	if (l & 0x80) {
		unsigned n = l & 0x7f;

		if (n == 0 || n > 3)
			return false;
		for (unsigned i = 0; i < n; i++) {
			uint8_t x;
			if (!cu_bytes_get_u8(b, &x) || (i == 0 && x == 0))
				return false;
			len = len << 8 | x;
		}
		if (len < 0x80)
			return false;
	} else {
		len = l;
	}
	*tag = t;
	return cu_bytes_get_bytes(b, len, val);
}

/* A non-negative DER INTEGER of at most `max`. */
static bool der_uint(const struct cu_bytes *v, unsigned long max, unsigned long *ret)
{
	unsigned long x = 0;

	if (v->size == 0 || v->size > 3 || (v->data[0] & 0x80) ||
	    (v->size > 1 && v->data[0] == 0 && !(v->data[1] & 0x80)))
		return false;
	for (size_t i = 0; i < v->size; i++)
		x = x << 8 | v->data[i];
	if (x > max)
		return false;
	*ret = x;
	return true;
}

/* 1.2.840.113741.1.13.1: the SGX extension and the prefix of its members' OIDs. */
static const uint8_t sgx_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };

/* The arc after the SGX OID (sub-arcs in `sub` when two deep), or -1. */
static int oid_arc(const struct cu_bytes *oid, unsigned depth, int *sub)
{
	if (oid->size != sizeof(sgx_oid) + depth || memcmp(oid->data, sgx_oid, sizeof(sgx_oid)))
		return -1;
	if (depth == 2)
		*sub = oid->data[sizeof(sgx_oid) + 1] & 0x80 ? -1 : oid->data[sizeof(sgx_oid) + 1];
	return oid->data[sizeof(sgx_oid)] & 0x80 ? -1 : oid->data[sizeof(sgx_oid)];
}

#define PCK_FAIL(...) cu_fail(err, CU_ERR_MALFORMED, "pck-extension", "dcap: PCK " __VA_ARGS__)

static int pck_tcb(struct cu_bytes *seq, struct cu_dcap_pck *p, struct cu_error *err)
{
	uint32_t seen = 0;

	while (!cu_bytes_is_empty(seq)) {
		struct cu_bytes item, oid, val;
		uint8_t tag, vtag;
		unsigned long x;
		int arc, sub = -1;

		if (!der_get(seq, &tag, &item) || tag != 0x30 || !der_get(&item, &tag, &oid) ||
		    tag != 0x06 || !der_get(&item, &vtag, &val) || !cu_bytes_is_empty(&item))
			return PCK_FAIL("TCB: malformed entry");
		arc = oid_arc(&oid, 2, &sub);
		if (arc != 2 || sub < 1 || sub > 18 || (seen & (1u << sub)))
			return PCK_FAIL("TCB: unexpected or repeated member");
		seen |= 1u << sub;
		if (sub <= 16) {
			if (vtag != 0x02 || !der_uint(&val, 255, &x))
				return PCK_FAIL("TCB: SGXTCBComp%02dSVN is not an integer 0..255",
				                sub);
			p->tcb_comp[sub - 1] = (uint8_t)x;
		} else if (sub == 17) {
			if (vtag != 0x02 || !der_uint(&val, 65535, &x))
				return PCK_FAIL("TCB: PCESVN is not an integer 0..65535");
			p->pcesvn = (uint16_t)x;
		} else {
			if (vtag != 0x04 || val.size != 16)
				return PCK_FAIL("TCB: CPUSVN is not 16 bytes");
			memcpy(p->cpusvn, val.data, 16);
		}
	}
	if (seen != 0x7fffeu)
		return PCK_FAIL("TCB: members missing");
	return 0;
}

int cu_dcap_pck_parse(X509 *pck, struct cu_dcap_pck *p, struct cu_error *err)
{
	const ASN1_OCTET_STRING *ext = cu_x509_get0_ext(pck, "1.2.840.113741.1.13.1");
	struct cu_bytes b, seq;
	uint32_t seen = 0;
	uint8_t tag;
	int r;

	memset(p, 0, sizeof(*p));
	if (!ext)
		return cu_fail(err, CU_ERR_MALFORMED, "pck-extension",
		               "dcap: the PCK certificate has no SGX extension "
		               "(1.2.840.113741.1.13.1)");
	cu_bytes_init(&b, ASN1_STRING_get0_data(ext), (size_t)ASN1_STRING_length(ext));
	if (!der_get(&b, &tag, &seq) || tag != 0x30 || !cu_bytes_is_empty(&b))
		return PCK_FAIL("SGX extension: not a SEQUENCE");
	while (!cu_bytes_is_empty(&seq)) {
		struct cu_bytes item, oid, val;
		uint8_t vtag;
		unsigned long x;
		int arc;

		if (!der_get(&seq, &tag, &item) || tag != 0x30 || !der_get(&item, &tag, &oid) ||
		    tag != 0x06 || !der_get(&item, &vtag, &val) || !cu_bytes_is_empty(&item))
			return PCK_FAIL("SGX extension: malformed entry");
		arc = oid_arc(&oid, 1, NULL);
		if (arc < 1)
			return PCK_FAIL("SGX extension: unexpected member");
		if (arc < 32 && (seen & (1u << arc)))
			return PCK_FAIL("SGX extension: member %d repeated", arc);
		if (arc < 32)
			seen |= 1u << arc;
		switch (arc) {
		case 1: /* PPID */
			if (vtag != 0x04 || val.size != 16)
				return PCK_FAIL("PPID is not 16 bytes");
			memcpy(p->ppid, val.data, 16);
			break;
		case 2: /* TCB */
			if (vtag != 0x30)
				return PCK_FAIL("TCB is not a SEQUENCE");
			if ((r = pck_tcb(&val, p, err)) < 0)
				return r;
			break;
		case 3: /* PCE-ID */
			if (vtag != 0x04 || val.size != 2)
				return PCK_FAIL("PCE-ID is not 2 bytes");
			memcpy(p->pce_id, val.data, 2);
			break;
		case 4: /* FMSPC */
			if (vtag != 0x04 || val.size != 6)
				return PCK_FAIL("FMSPC is not 6 bytes");
			memcpy(p->fmspc, val.data, 6);
			break;
		case 5: /* SGX Type */
			if (vtag != 0x0a || !der_uint(&val, 2, &x))
				return PCK_FAIL("SGX Type is not 0, 1 or 2");
			p->sgx_type = (int)x;
			break;
		default: /* PlatformInstanceID, Configuration (platform CA): not used */
			break;
		}
	}
	for (int arc = 1; arc <= 5; arc++)
		if (!(seen & (1u << arc)))
			return PCK_FAIL("SGX extension: member %d (%s) missing", arc,
			                (const char *[]){ "", "PPID", "TCB", "PCE-ID", "FMSPC",
			                                  "SGX Type" }[arc]);
	return 0;
}

/* --------------------------------------------------------------- claims */

static int set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) < 0 ? CU_ERR_NOMEM : 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static json_t *svn_array(const uint8_t *svn, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(svn[i]));
	return a;
}

static json_t *sgx_report_json(const struct cu_dcap_sgx_report *r)
{
	json_t *o = json_object(), *a = json_object();
	uint64_t flags = le64(r->attributes);
	int k = 0;

	if (!o || !a) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	k |= set(a, "init", json_boolean(flags & 1u));
	k |= set(a, "debug", json_boolean(flags & (1u << 1)));
	k |= set(a, "mode64bit", json_boolean(flags & (1u << 2)));
	k |= set(a, "provision_key", json_boolean(flags & (1u << 4)));
	k |= set(a, "einittoken_key", json_boolean(flags & (1u << 5)));
	k |= set(a, "kss", json_boolean(flags & (1u << 7)));
	k |= cu_json_set_hex(a, "raw", r->attributes, 16);
	k |= cu_json_set_hex(a, "xfrm", r->attributes + 8, 8);
	k |= set(o, "attributes", a);
	k |= cu_json_set_hex(o, "mr_enclave", r->mr_enclave, 32);
	k |= cu_json_set_hex(o, "mr_signer", r->mr_signer, 32);
	k |= set(o, "isv_prod_id", json_integer(r->isv_prod_id));
	k |= set(o, "isv_svn", json_integer(r->isv_svn));
	k |= cu_json_set_hex(o, "miscselect", r->miscselect_raw, 4);
	k |= cu_json_set_hex(o, "config_id", r->config_id, 64);
	k |= set(o, "config_svn", json_integer(r->config_svn));
	k |= cu_json_set_hex(o, "isv_ext_prod_id", r->isv_ext_prod_id, 16);
	k |= cu_json_set_hex(o, "isv_family_id", r->isv_family_id, 16);
	k |= cu_json_set_hex(o, "cpusvn", r->cpusvn, 16);
	k |= cu_json_set_hex(o, "report_data", r->report_data, 64);
	if (k) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *td_report_json(const struct cu_dcap_td_report *t, bool v15)
{
	json_t *o = json_object(), *a = json_object();
	uint64_t attr = le64(t->td_attributes);
	int k = 0;

	if (!o || !a) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	k |= set(a, "debug", json_boolean(attr & 1));
	k |= set(a, "sept_ve_disable", json_boolean(attr & (1ull << 28)));
	k |= set(a, "pks", json_boolean(attr & (1ull << 30)));
	k |= set(a, "kl", json_boolean(attr & (1ull << 31)));
	k |= set(a, "perfmon", json_boolean(attr & (1ull << 63)));
	k |= cu_json_set_hex(a, "raw", t->td_attributes, 8);
	k |= set(o, "td_attributes", a);
	k |= cu_json_set_hex(o, "tee_tcb_svn", t->tee_tcb_svn, 16);
	k |= cu_json_set_hex(o, "mr_seam", t->mr_seam, 48);
	k |= cu_json_set_hex(o, "mr_signer_seam", t->mr_signer_seam, 48);
	k |= cu_json_set_hex(o, "seam_attributes", t->seam_attributes, 8);
	k |= cu_json_set_hex(o, "xfam", t->xfam, 8);
	k |= cu_json_set_hex(o, "mr_td", t->mr_td, 48);
	k |= cu_json_set_hex(o, "mr_config_id", t->mr_config_id, 48);
	k |= cu_json_set_hex(o, "mr_owner", t->mr_owner, 48);
	k |= cu_json_set_hex(o, "mr_owner_config", t->mr_owner_config, 48);
	for (int i = 0; i < 4; i++) {
		char key[8];
		snprintf(key, sizeof(key), "rtmr%d", i);
		k |= cu_json_set_hex(o, key, t->rtmr[i], 48);
	}
	k |= cu_json_set_hex(o, "report_data", t->report_data, 64);
	if (v15) {
		k |= cu_json_set_hex(o, "tee_tcb_svn2", t->tee_tcb_svn2, 16);
		k |= cu_json_set_hex(o, "mr_servicetd", t->mr_servicetd, 48);
	}
	if (k) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *qe_json(const struct cu_dcap_sgx_report *r)
{
	json_t *o = json_object();
	int k = !o;

	if (k)
		return NULL;
	k |= cu_json_set_hex(o, "mr_signer", r->mr_signer, 32);
	k |= set(o, "isv_prod_id", json_integer(r->isv_prod_id));
	k |= set(o, "isv_svn", json_integer(r->isv_svn));
	if (k) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The common claims and <tee>.* for the quote's own fields. */
int cu_dcap_quote_fields(const struct cu_dcap_quote *q, json_t **ret)
{
	json_auto_t *c = json_object();
	json_t *body;
	bool tdx = q->tee_type == CU_DCAP_TEE_TDX;
	int k = 0;

	if (!c)
		return CU_ERR_NOMEM;
	body = tdx ? td_report_json(&q->td, q->body_type == CU_DCAP_BODY_TD15)
	           : sgx_report_json(&q->sgx);
	if (!body)
		return CU_ERR_NOMEM;
	k |= set(c, tee_name(q->tee_type), body);
	k |= set(c, "tee", json_string(tee_name(q->tee_type)));
	if (tdx) {
		k |= cu_json_set_hex(c, "measurement", q->td.mr_td, 48);
		k |= cu_json_set_hex(c, "report_data", q->td.report_data, 64);
		k |= set(c, "debug", json_boolean(q->td.td_attributes[0] & 1));
	} else {
		k |= cu_json_set_hex(c, "measurement", q->sgx.mr_enclave, 32);
		k |= cu_json_set_hex(c, "report_data", q->sgx.report_data, 64);
		k |= set(c, "debug", json_boolean(q->sgx.attributes[0] & 2));
	}
	k |= set(body, "quote_version", json_integer(q->version));
	k |= set(body, "att_key_type", json_integer(q->att_key_type));
	k |= cu_json_set_u64_hex(body, "tee_type", q->tee_type);
	if (q->version == 3) {
		k |= set(body, "qe_svn", json_integer(q->qe_svn));
		k |= set(body, "pce_svn", json_integer(q->pce_svn));
	}
	k |= set(body, "body_type", json_integer(q->body_type));
	k |= cu_json_set_hex(body, "qe_vendor_id", q->qe_vendor_id, 16);
	k |= set(body, "qe", qe_json(&q->qe_report));
	if (k)
		return CU_ERR_NOMEM;
	*ret = json_incref(c);
	return 0;
}

int cu_dcap_inspect(const uint8_t *buf, size_t size, uint32_t tee_type, json_t **ret,
                    struct cu_error *err)
{
	struct cu_dcap_quote q;
	json_t *c;
	int r;

	if ((r = cu_dcap_quote_parse(buf, size, &q, err)) < 0)
		return r;
	if (q.tee_type != tee_type)
		return cu_fail(err, CU_ERR_MALFORMED, "parse", "dcap: this is a %s quote, not %s",
		               tee_name(q.tee_type), tee_name(tee_type));
	if (cu_dcap_quote_fields(&q, &c) < 0 || set(c, "verified", json_false()) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	*ret = c;
	return 0;
}

/* ------------------------------------------------- collateral documents */

enum tcb_status {
	ST_UP_TO_DATE,
	ST_SW_HARDENING,
	ST_CONFIG,
	ST_CONFIG_SW_HARDENING,
	ST_OUT_OF_DATE,
	ST_OUT_OF_DATE_CONFIG,
	ST_REVOKED,
	_ST_MAX,
};

static const char *const status_names[_ST_MAX] = {
	"UpToDate",
	"SWHardeningNeeded",
	"ConfigurationNeeded",
	"ConfigurationAndSWHardeningNeeded",
	"OutOfDate",
	"OutOfDateConfigurationNeeded",
	"Revoked",
};

struct level {
	uint8_t sgx[16], tdx[16];
	uint16_t pcesvn; /* TCB info */
	uint16_t isvsvn; /* QE identity, TDX module identity */
	enum tcb_status status;
	json_t *advisories; /* borrowed from the document; may be NULL */
	const char *date;
};

struct module_identity {
	char id[16];
	uint8_t mrsigner[48], attributes[8], mask[8];
	struct level *levels;
	size_t n_levels;
};

struct dcap_doc {
	bool is_tcb;
	json_t *body;
	const char *id;
	int version;
	int64_t issue, next;
	json_int_t eval;
	X509 *signer;            /* borrowed from the collateral; NULL: signature not verified */
	bool chain_ok;           /* the signer's chain verified, and holds in chain_window */
	int64_t chain_window[2]; /* under the verifier's lock */
	int problem;             /* 0, or why the document cannot be used */
	char why[200];
	/* TCB info */
	uint8_t fmspc[6], pce_id[2];
	bool has_module;
	uint8_t module_mrsigner[48], module_attributes[8], module_mask[8];
	struct module_identity *modules;
	size_t n_modules;
	/* QE identity */
	uint8_t mrsigner[32], attributes[16], attributes_mask[16];
	uint32_t miscselect, miscselect_mask;
	uint16_t isvprodid;
	/* both */
	struct level *levels;
	size_t n_levels;
};

/* A PCK chain from a quote, verified, with its leaf's SGX extension. */
struct pck_entry {
	uint8_t digest[32]; /* SHA-256 of the PEM chain as the quote carries it */
	X509 *leaf;
	struct cu_dcap_pck pck;
	int64_t window[2];
	/* the last QE certification block checked under this chain, and its attestation key */
	uint8_t qe_digest[32];
	EVP_PKEY *att_key;
};

struct dcap_state {
	STACK_OF(X509) * roots;                         /* the pinned Intel root, and test roots */
	struct pck_entry pcks[CU_LIMIT_DCAP_PCK_CACHE]; /* under the verifier's lock */
	size_t n_pcks, next_pck;
	struct dcap_doc *docs;
	size_t n_docs;
};

static void doc_done(struct dcap_doc *d)
{
	for (size_t i = 0; i < d->n_modules; i++)
		free(d->modules[i].levels);
	free(d->modules);
	free(d->levels);
	json_decref(d->body);
}

void cu_dcap_state_free(void *state)
{
	struct dcap_state *st = state;

	if (!st)
		return;
	for (size_t i = 0; i < st->n_docs; i++)
		doc_done(&st->docs[i]);
	free(st->docs);
	for (size_t i = 0; i < st->n_pcks; i++) {
		X509_free(st->pcks[i].leaf);
		EVP_PKEY_free(st->pcks[i].att_key);
	}
	cu_x509_stack_freep(&st->roots);
	free(st);
}

#define DOC_BAD(d, ...)                                                                            \
	do {                                                                                       \
		snprintf((d)->why, sizeof((d)->why), __VA_ARGS__);                                 \
		(d)->problem = CU_ERR_MALFORMED;                                                   \
		return false;                                                                      \
	} while (0)

static bool hex_field(json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && strlen(s) == 2 * n && cu_hex_decode(s, 2 * n, out, n) == 0;
}

static bool int_field(json_t *o, const char *key, json_int_t max, json_int_t *ret)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > max)
		return false;
	*ret = json_integer_value(j);
	return true;
}

static bool time_field(json_t *o, const char *key, int64_t *ret)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && cu_time_parse_rfc3339(s, ret) == 0;
}

static int status_parse(const char *s)
{
	for (int i = 0; s && i < _ST_MAX; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

/* Status, date and advisory IDs, shared by every kind of level. */
static bool level_common(struct dcap_doc *d, json_t *lv, const char *where, size_t i,
                         struct level *out)
{
	int s = status_parse(json_string_value(json_object_get(lv, "tcbStatus")));
	json_t *adv = json_object_get(lv, "advisoryIDs");

	if (s < 0)
		DOC_BAD(d, "%s[%zu].tcbStatus: not a known status", where, i);
	out->status = (enum tcb_status)s;
	out->date = json_string_value(json_object_get(lv, "tcbDate"));
	if (adv) {
		size_t j;
		json_t *a;

		if (!json_is_array(adv))
			DOC_BAD(d, "%s[%zu].advisoryIDs: not an array", where, i);
		json_array_foreach (adv, j, a)
			if (!json_is_string(a))
				DOC_BAD(d, "%s[%zu].advisoryIDs[%zu]: not a string", where, i, j);
		out->advisories = adv;
	}
	return true;
}

/* 16 component SVNs: v3 [{"svn": N}, ...]; SGX v2 "sgxtcbcompNNsvn" members. */
static bool components(struct dcap_doc *d, json_t *tcb, const char *key, size_t i, uint8_t out[16])
{
	json_t *arr = json_object_get(tcb, key);

	if (d->version == 2 && !strcmp(key, "sgxtcbcomponents")) {
		for (int c = 0; c < 16; c++) {
			char name[32];
			json_int_t v;

			snprintf(name, sizeof(name), "sgxtcbcomp%02dsvn", c + 1);
			if (!int_field(tcb, name, 255, &v))
				DOC_BAD(d, "tcbLevels[%zu].tcb.%s: not an integer 0..255", i, name);
			out[c] = (uint8_t)v;
		}
		return true;
	}
	if (!json_is_array(arr) || json_array_size(arr) != 16)
		DOC_BAD(d, "tcbLevels[%zu].tcb.%s: not an array of 16", i, key);
	for (size_t c = 0; c < 16; c++) {
		json_int_t v;

		if (!int_field(json_array_get(arr, c), "svn", 255, &v))
			DOC_BAD(d, "tcbLevels[%zu].tcb.%s[%zu].svn: not an integer 0..255", i, key,
			        c);
		out[c] = (uint8_t)v;
	}
	return true;
}

/* tcbLevels of a QE identity or a TDX module identity: {"tcb": {"isvsvn": N}, ...}. */
static bool isv_levels(struct dcap_doc *d, json_t *arr, const char *where, struct level **ret,
                       size_t *ret_n)
{
	size_t i;
	json_t *lv;

	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 256)
		DOC_BAD(d, "%s: not an array of 1 to 256 levels", where);
	if (!(*ret = calloc(json_array_size(arr), sizeof(**ret))))
		DOC_BAD(d, "out of memory");
	*ret_n = json_array_size(arr);
	json_array_foreach (arr, i, lv) {
		json_int_t v;

		if (!int_field(json_object_get(lv, "tcb"), "isvsvn", 65535, &v))
			DOC_BAD(d, "%s[%zu].tcb.isvsvn: not an integer 0..65535", where, i);
		(*ret)[i].isvsvn = (uint16_t)v;
		if (!level_common(d, lv, where, i, &(*ret)[i]))
			return false;
	}
	return true;
}

static bool tcb_info_read(struct dcap_doc *d)
{
	json_t *b = d->body, *levels = json_object_get(b, "tcbLevels"), *lv, *m;
	bool tdx = !strcmp(d->id, "TDX");
	size_t i;

	if (strcmp(d->id, "TDX") && strcmp(d->id, "SGX"))
		DOC_BAD(d, "id \"%s\": neither SGX nor TDX", d->id);
	if (d->version != 3 && !(d->version == 2 && !tdx))
		DOC_BAD(d, "version %d not supported (3; 2 for SGX)", d->version);
	if (!hex_field(b, "fmspc", d->fmspc, 6) || !hex_field(b, "pceId", d->pce_id, 2))
		DOC_BAD(d, "fmspc or pceId missing or not hex");
	if (!json_is_array(levels) || json_array_size(levels) == 0 || json_array_size(levels) > 256)
		DOC_BAD(d, "tcbLevels: not an array of 1 to 256 levels");
	if (!(d->levels = calloc(json_array_size(levels), sizeof(*d->levels))))
		DOC_BAD(d, "out of memory");
	d->n_levels = json_array_size(levels);
	json_array_foreach (levels, i, lv) {
		json_t *tcb = json_object_get(lv, "tcb");
		json_int_t v;

		if (!json_is_object(tcb))
			DOC_BAD(d, "tcbLevels[%zu].tcb missing", i);
		if (!components(d, tcb, "sgxtcbcomponents", i, d->levels[i].sgx))
			return false;
		if (tdx && !components(d, tcb, "tdxtcbcomponents", i, d->levels[i].tdx))
			return false;
		if (!int_field(tcb, "pcesvn", 65535, &v))
			DOC_BAD(d, "tcbLevels[%zu].tcb.pcesvn: not an integer 0..65535", i);
		d->levels[i].pcesvn = (uint16_t)v;
		if (!level_common(d, lv, "tcbLevels", i, &d->levels[i]))
			return false;
	}
	if (!tdx)
		return true;
	m = json_object_get(b, "tdxModule");
	if (m) {
		if (!hex_field(m, "mrsigner", d->module_mrsigner, 48) ||
		    !hex_field(m, "attributes", d->module_attributes, 8) ||
		    !hex_field(m, "attributesMask", d->module_mask, 8))
			DOC_BAD(d, "tdxModule: mrsigner, attributes or attributesMask not hex");
		d->has_module = true;
	}
	m = json_object_get(b, "tdxModuleIdentities");
	if (m) {
		if (!json_is_array(m) || json_array_size(m) > 64)
			DOC_BAD(d, "tdxModuleIdentities: not an array of up to 64");
		if (!(d->modules = calloc(json_array_size(m) + 1, sizeof(*d->modules))))
			DOC_BAD(d, "out of memory");
		d->n_modules = json_array_size(m);
		json_array_foreach (m, i, lv) {
			struct module_identity *mi = &d->modules[i];
			const char *id = json_string_value(json_object_get(lv, "id"));

			if (!id || strlen(id) >= sizeof(mi->id))
				DOC_BAD(d, "tdxModuleIdentities[%zu].id: missing", i);
			snprintf(mi->id, sizeof(mi->id), "%s", id);
			if (!hex_field(lv, "mrsigner", mi->mrsigner, 48) ||
			    !hex_field(lv, "attributes", mi->attributes, 8) ||
			    !hex_field(lv, "attributesMask", mi->mask, 8))
				DOC_BAD(d,
				        "tdxModuleIdentities[%zu]: mrsigner, attributes or "
				        "attributesMask not hex",
				        i);
			if (!isv_levels(d, json_object_get(lv, "tcbLevels"),
			                "tdxModuleIdentities[].tcbLevels", &mi->levels,
			                &mi->n_levels))
				return false;
		}
	}
	return true;
}

static bool qe_identity_read(struct dcap_doc *d)
{
	json_t *b = d->body;
	uint8_t misc[4], mask[4];
	json_int_t v;

	if (strcmp(d->id, "QE") && strcmp(d->id, "TD_QE"))
		DOC_BAD(d, "id \"%s\": neither QE nor TD_QE", d->id);
	if (d->version != 2)
		DOC_BAD(d, "version %d not supported (2)", d->version);
	if (!hex_field(b, "mrsigner", d->mrsigner, 32) ||
	    !hex_field(b, "attributes", d->attributes, 16) ||
	    !hex_field(b, "attributesMask", d->attributes_mask, 16) ||
	    !hex_field(b, "miscselect", misc, 4) || !hex_field(b, "miscselectMask", mask, 4))
		DOC_BAD(d, "mrsigner, attributes, miscselect or their masks missing or not hex");
	/* MISCSELECT is a 32-bit value; the document spells it most significant byte first. */
	d->miscselect =
	    (uint32_t)misc[0] << 24 | (uint32_t)misc[1] << 16 | (uint32_t)misc[2] << 8 | misc[3];
	d->miscselect_mask =
	    (uint32_t)mask[0] << 24 | (uint32_t)mask[1] << 16 | (uint32_t)mask[2] << 8 | mask[3];
	if (!int_field(b, "isvprodid", 65535, &v))
		DOC_BAD(d, "isvprodid: not an integer 0..65535");
	d->isvprodid = (uint16_t)v;
	return isv_levels(d, json_object_get(b, "tcbLevels"), "tcbLevels", &d->levels,
	                  &d->n_levels);
}

static bool cn_is(X509 *x, const char *cn)
{
	char buf[96];

	cu_x509_subject_cn(x, buf, sizeof(buf));
	return strcmp(buf, cn) == 0;
}

/* Parse a signed document and find the TCB signing certificate whose key signed it. */
static void doc_load(struct dcap_doc *d, json_t *entry, STACK_OF(X509) * certs)
{
	const char *kind = json_string_value(json_object_get(entry, "kind"));
	json_t *body = json_object_get(entry, "body");
	const char *sig_hex = json_string_value(json_object_get(entry, "signature"));
	uint8_t sig[64];
	json_int_t v;
	bool ok;

	d->is_tcb = kind && !strcmp(kind, "tcb_info");
	if (cu_json_parse(json_string_value(body), json_string_length(body),
	                  CU_LIMIT_COLLATERAL_FILE_SIZE, "collateral", &d->body, NULL) < 0 ||
	    !json_is_object(d->body)) {
		d->problem = CU_ERR_MALFORMED;
		snprintf(d->why, sizeof(d->why), "not a JSON object");
		return;
	}
	d->id = json_string_value(json_object_get(d->body, "id"));
	if (!d->id || !int_field(d->body, "version", 1000, &v) ||
	    !time_field(d->body, "issueDate", &d->issue) ||
	    !time_field(d->body, "nextUpdate", &d->next) ||
	    !int_field(d->body, "tcbEvaluationDataNumber", INT32_MAX, &d->eval)) {
		d->id = d->id ? d->id : "?";
		d->problem = CU_ERR_MALFORMED;
		snprintf(d->why, sizeof(d->why),
		         "id, version, issueDate, nextUpdate or tcbEvaluationDataNumber missing");
		return;
	}
	d->version = (int)v;
	ok = d->is_tcb ? tcb_info_read(d) : qe_identity_read(d);
	if (!ok)
		return;
	if (!sig_hex || cu_hex_decode(sig_hex, strlen(sig_hex), sig, 64) < 0) {
		d->problem = CU_ERR_MALFORMED;
		snprintf(d->why, sizeof(d->why), "signature is not 64 bytes of hex");
		return;
	}
	for (int i = 0; i < sk_X509_num(certs) && !d->signer; i++) {
		X509 *x = sk_X509_value(certs, i);
		EVP_PKEY *key;

		if (!cn_is(x, "Intel SGX TCB Signing") || !(key = X509_get0_pubkey(x)))
			continue;
		if (cu_ecdsa_verify_raw_be(key, NID_X9_62_prime256v1, EVP_sha256(),
		                           (const uint8_t *)json_string_value(body),
		                           json_string_length(body), sig, sig + 32, 32, NULL) == 0)
			d->signer = x;
	}
	if (!d->signer) {
		d->problem = CU_ERR_SIGNATURE;
		snprintf(d->why, sizeof(d->why),
		         "signature does not verify with any Intel SGX TCB Signing certificate "
		         "in the collateral (pass the issuer chain with --collateral)");
	}
}

static int state_build(cu_verifier *v, struct dcap_state **ret, struct cu_error *err)
{
	struct dcap_state *st = calloc(1, sizeof(*st));
	json_t *docs = v->collateral->dcap_docs;
	int r;

	if (!st)
		goto nomem;
	if ((r = cu_pinned_roots(v, intel_root_pem, intel_root_sha256,
	                         "dcap: compiled-in Intel SGX Root CA", &st->roots, err)) < 0) {
		cu_dcap_state_free(st);
		return r;
	}
	if (json_array_size(docs) && !(st->docs = calloc(json_array_size(docs), sizeof(*st->docs))))
		goto nomem;
	for (size_t i = 0; i < json_array_size(docs); i++) {
		json_t *e = json_array_get(docs, i);
		const char *kind = json_string_value(json_object_get(e, "kind"));
		bool dup = false;

		if (!kind || (strcmp(kind, "tcb_info") && strcmp(kind, "qe_identity")))
			continue; /* another format's collateral */

		/* the same document given twice (PCS form and a bundle) is kept once */
		for (size_t j = 0; j < i && !dup; j++)
			dup = json_equal(json_array_get(docs, j), e);
		if (!dup)
			doc_load(&st->docs[st->n_docs++], e, v->collateral->certs);
	}
	*ret = st;
	return 0;
nomem:
	cu_dcap_state_free(st);
	return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
}

static int state_build_any(cu_verifier *v, void **ret, struct cu_error *err)
{
	return state_build(v, (struct dcap_state **)ret, err);
}

/* ------------------------------------------------------------ verification */

static void fmt_time(int64_t t, char buf[32])
{
	cu_time_format_rfc3339(t, buf, 32);
}

/*
 * Chain `leaf` to a pinned root at `at`; CRLs must cover the first
 * `need_crls` certificates. *window is where the result holds: every
 * certificate and CRL of the chain is valid then.
 */
static int chain_check(struct dcap_state *st, cu_verifier *v, X509 *leaf, STACK_OF(X509) * extra,
                       unsigned need_crls, int64_t at, const char *stage, const char *what,
                       int64_t window[2], struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *untrusted = sk_X509_dup(v->collateral->certs);
	struct cu_chain_opts o = { .roots = st->roots, .crls = v->collateral->crls, .at = at };
	struct cu_chain_result res = { 0 };
	int r;

	if (!untrusted)
		return cu_fail(err, CU_ERR_NOMEM, stage, "out of memory");
	/* borrowed pointers: freed with sk_X509_free, not pop_free */
	for (int i = 0; extra && i < sk_X509_num(extra); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(extra, i))) {
			sk_X509_free(TAKE_PTR(untrusted));
			return cu_fail(err, CU_ERR_NOMEM, stage, "out of memory");
		}
	o.untrusted = untrusted;
	r = cu_x509_verify_chain(leaf, &o, &res, err);
	sk_X509_free(TAKE_PTR(untrusted));
	if (r < 0) {
		if (err)
			err->stage = stage;
		return r;
	}
	for (unsigned d = 0; d < need_crls; d++)
		if (res.crl_missing & (1u << d)) {
			char cn[96];

			cu_x509_subject_cn(sk_X509_value(res.chain, (int)d), cn, sizeof(cn));
			cu_chain_result_done(&res);
			return cu_fail(err, CU_ERR_NOT_FOUND, stage,
			               "dcap: %s: no CRL covers '%s' (pass Intel's %s CRL with "
			               "--collateral)",
			               what, cn, d == 0 && need_crls == 2 ? "PCK" : "root CA");
		}
	window[0] = res.not_before;
	window[1] = res.not_after;
	cu_chain_result_done(&res);
	return 0;
}

/* The chain of a document's signer, remembered for the window in which it holds. */
static int signer_check(struct dcap_state *st, cu_verifier *v, struct dcap_doc *d, int64_t at,
                        const char *stage, const char *what, int64_t *not_after,
                        struct cu_error *err)
{
	int64_t w[2];
	bool hit;
	int r;

	pthread_mutex_lock(&v->lock);
	hit = d->chain_ok && at >= d->chain_window[0] && at < d->chain_window[1];
	w[1] = d->chain_window[1];
	pthread_mutex_unlock(&v->lock);
	if (!hit) {
		if ((r = chain_check(st, v, d->signer, NULL, 1, at, stage, what, w, err)) < 0)
			return r;
		pthread_mutex_lock(&v->lock);
		d->chain_ok = true;
		memcpy(d->chain_window, w, sizeof(w));
		pthread_mutex_unlock(&v->lock);
	}
	if (w[1] < *not_after)
		*not_after = w[1];
	return 0;
}

/*
 * The quote's PCK chain verified, its leaf (a new reference) and SGX
 * extension; remembered by the digest of the chain's bytes for the window in
 * which the verification holds.
 */
static int pck_get(struct dcap_state *st, cu_verifier *v, const struct cu_dcap_quote *q, int64_t at,
                   X509 **ret_leaf, struct cu_dcap_pck *ret_pck, int64_t *not_after,
                   struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *chain = NULL;
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
	struct pck_entry e = { 0 }, *slot;
	const char *tee = tee_name(q->tee_type);
	int r;

	cu_sha256(q->pck_chain, q->pck_chain_size, e.digest);
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < st->n_pcks; i++) {
		struct pck_entry *c = &st->pcks[i];

		if (memcmp(c->digest, e.digest, 32) || at < c->window[0] || at >= c->window[1] ||
		    !X509_up_ref(c->leaf))
			continue;
		*ret_leaf = c->leaf;
		*ret_pck = c->pck;
		if (c->window[1] < *not_after)
			*not_after = c->window[1];
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	pthread_mutex_unlock(&v->lock);

	r = cu_x509_parse_any(q->pck_chain, q->pck_chain_size, &chain, &crls, err);
	if (r <= 0)
		return r < 0 ? r
		             : cu_fail(err, CU_ERR_MALFORMED, "pck-chain",
		                       "%s: no certificate in the quote's PCK chain", tee);
	e.leaf = sk_X509_value(chain, 0);
	if (!cn_is(e.leaf, "Intel SGX PCK Certificate"))
		return cu_fail(err, CU_ERR_CHAIN, "pck-chain",
		               "%s: the first certificate of the chain is not an Intel SGX PCK "
		               "Certificate",
		               tee);
	if ((r = chain_check(st, v, e.leaf, chain, 2, at, "pck-chain", "PCK chain", e.window,
	                     err)) < 0 ||
	    (r = cu_dcap_pck_parse(e.leaf, &e.pck, err)) < 0)
		return r;
	if (!X509_up_ref(e.leaf) || !X509_up_ref(e.leaf))
		return cu_fail(err, CU_ERR_INTERNAL, "pck-chain", "reference count");
	*ret_leaf = e.leaf;
	*ret_pck = e.pck;
	if (e.window[1] < *not_after)
		*not_after = e.window[1];
	pthread_mutex_lock(&v->lock);
	if (st->n_pcks < CU_LIMIT_DCAP_PCK_CACHE) {
		slot = &st->pcks[st->n_pcks++];
	} else {
		slot = &st->pcks[st->next_pck];
		st->next_pck = (st->next_pck + 1) % CU_LIMIT_DCAP_PCK_CACHE;
		X509_free(slot->leaf);
		EVP_PKEY_free(slot->att_key);
	}
	*slot = e;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

/* SHA-256 over the pieces of a quote that the QE certifies: report, signature, key, auth data. */
static int qe_block_digest(const struct cu_dcap_quote *q, uint8_t out[32])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, q->qe_report_raw, CU_DCAP_SGX_REPORT_SIZE) != 1 ||
	    EVP_DigestUpdate(md, q->qe_report_sig, 64) != 1 ||
	    EVP_DigestUpdate(md, q->att_key, 64) != 1 ||
	    EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_size) != 1 ||
	    EVP_DigestFinal_ex(md, out, NULL) != 1)
		return CU_ERR_INTERNAL;
	return 0;
}

/*
 * The QE report signed by the PCK key, its REPORTDATA = SHA-256(attestation
 * key || QE authentication data) followed by zeros; the attestation key (a
 * new reference). The QE certifies one attestation key for many quotes, so
 * the outcome is remembered with the PCK chain, keyed by the digest of every
 * byte that went into it: the same bytes under the same chain are the same
 * answer.
 */
static int qe_get(struct dcap_state *st, cu_verifier *v, const struct cu_dcap_quote *q, X509 *leaf,
                  EVP_PKEY **ret, struct cu_error *err)
{
	const char *tee = tee_name(q->tee_type);
	uint8_t chain_digest[32], block[32], hash[32];
	struct pck_entry *e = NULL;
	EVP_PKEY *key;

	cu_sha256(q->pck_chain, q->pck_chain_size, chain_digest);
	if (qe_block_digest(q, block) < 0)
		return cu_fail(err, CU_ERR_INTERNAL, "qe-binding", "%s: SHA-256 failed", tee);
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < st->n_pcks && !e; i++)
		if (!memcmp(st->pcks[i].digest, chain_digest, 32) && st->pcks[i].att_key &&
		    !memcmp(st->pcks[i].qe_digest, block, 32) &&
		    EVP_PKEY_up_ref(st->pcks[i].att_key))
			e = &st->pcks[i];
	if (e)
		*ret = e->att_key;
	pthread_mutex_unlock(&v->lock);
	if (e)
		return 0;

	if (cu_ecdsa_verify_raw_be(X509_get0_pubkey(leaf), NID_X9_62_prime256v1, EVP_sha256(),
	                           q->qe_report_raw, CU_DCAP_SGX_REPORT_SIZE, q->qe_report_sig,
	                           q->qe_report_sig + 32, 32, NULL) < 0)
		return cu_fail(err, CU_ERR_SIGNATURE, "qe-report-signature",
		               "%s: the QE report's signature does not verify with the PCK key",
		               tee);
	{
		_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(md, q->att_key, 64) != 1 ||
		    EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_size) != 1 ||
		    EVP_DigestFinal_ex(md, hash, NULL) != 1)
			return cu_fail(err, CU_ERR_INTERNAL, "qe-binding", "%s: SHA-256 failed",
			               tee);
	}
	if (CRYPTO_memcmp(hash, q->qe_report.report_data, 32) ||
	    !cu_mem_all_zero(q->qe_report.report_data + 32, 32))
		return cu_fail(err, CU_ERR_SIGNATURE, "qe-binding",
		               "%s: the QE report data is not SHA-256(attestation key || QE "
		               "authentication data) followed by zeros",
		               tee);
	if (!(key = cu_ec_pub_from_xy("P-256", q->att_key, q->att_key + 32, 32)))
		return cu_fail(err, CU_ERR_SIGNATURE, "quote-signature",
		               "%s: the attestation key is not a P-256 point", tee);
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; i < st->n_pcks && !e; i++)
		if (!memcmp(st->pcks[i].digest, chain_digest, 32) && EVP_PKEY_up_ref(key))
			e = &st->pcks[i];
	if (e) {
		EVP_PKEY_free(e->att_key);
		e->att_key = key;
		memcpy(e->qe_digest, block, 32);
	}
	pthread_mutex_unlock(&v->lock);
	*ret = key;
	return 0;
}

/* The usable document of a kind for this platform at `at` (highest tcbEvaluationDataNumber). */
static int pick_doc(struct dcap_state *st, cu_verifier *v, bool tcb, const char *id,
                    const struct cu_dcap_pck *pck, int64_t at, const struct dcap_doc **ret,
                    int64_t *not_after, struct cu_error *err)
{
	const char *stage = tcb ? "tcb-info" : "qe-identity";
	const char *what = tcb ? "TCB info" : "QE identity";
	const struct dcap_doc *best = NULL;
	int64_t best_na = INT64_MAX;
	struct cu_error first = { 0 };
	char fmspc[13] = "";

	if (tcb)
		cu_hex_encode(pck->fmspc, 6, fmspc);
	for (size_t i = 0; i < st->n_docs; i++) {
		struct dcap_doc *d = &st->docs[i];
		struct cu_error e = { 0 };
		int64_t na = d->next;
		char a[32], b[32], c[32];

		if (d->is_tcb != tcb || !d->id || strcmp(d->id, id))
			continue;
		if (tcb && (memcmp(d->fmspc, pck->fmspc, 6) || memcmp(d->pce_id, pck->pce_id, 2)))
			continue;
		if (d->problem) {
			cu_fail(&e, d->problem, stage, "dcap: %s %s%s: %s", what, id,
			        tcb ? " for this FMSPC" : "", d->why);
		} else if (at < d->issue || at > d->next) {
			fmt_time(d->issue, a);
			fmt_time(d->next, b);
			fmt_time(at, c);
			cu_fail(&e, CU_ERR_EXPIRED, stage,
			        "dcap: %s %s%s%s is valid from %s until %s, not at %s", what, id,
			        tcb ? " for FMSPC " : "", fmspc, a, b, c);
		} else if (signer_check(st, v, d, at, stage, what, &na, &e) == 0) {
			if (!best || d->eval > best->eval ||
			    (d->eval == best->eval && d->issue > best->issue)) {
				best = d;
				best_na = na;
			}
			continue;
		}
		if (!first.code)
			first = e;
	}
	if (best) {
		*ret = best;
		if (best_na < *not_after)
			*not_after = best_na;
		return 0;
	}
	if (first.code) {
		if (err)
			*err = first;
		return first.code;
	}
	if (tcb)
		return cu_fail(err, CU_ERR_NOT_FOUND, stage,
		               "dcap: no %s TCB info for FMSPC %s in the collateral (Intel PCS: "
		               "/%s/certification/v4/tcb?fmspc=%s; pass it with --collateral)",
		               id, fmspc, !strcmp(id, "TDX") ? "tdx" : "sgx", fmspc);
	return cu_fail(err, CU_ERR_NOT_FOUND, stage,
	               "dcap: no %s identity in the collateral (Intel PCS: "
	               "/%s/certification/v4/qe/identity; pass it with --collateral)",
	               id, !strcmp(id, "TD_QE") ? "tdx" : "sgx");
}

static bool masked_equal(const uint8_t *a, const uint8_t *b, const uint8_t *mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((a[i] & mask[i]) != b[i])
			return false;
	return true;
}

/* The QE report against the QE identity; its TCB level. */
static int check_qe(const struct cu_dcap_sgx_report *qe, const struct dcap_doc *d,
                    const struct level **ret, struct cu_error *err)
{
	char got[65], want[65];

	if (memcmp(qe->mr_signer, d->mrsigner, 32)) {
		cu_hex_encode(qe->mr_signer, 32, got);
		cu_hex_encode(d->mrsigner, 32, want);
		return cu_fail(err, CU_ERR_MISMATCH, "qe-identity",
		               "dcap: QE MRSIGNER %s is not Intel's %s", got, want);
	}
	if (qe->isv_prod_id != d->isvprodid)
		return cu_fail(err, CU_ERR_MISMATCH, "qe-identity",
		               "dcap: QE ISVPRODID %u, the identity says %u", qe->isv_prod_id,
		               d->isvprodid);
	if ((qe->miscselect & d->miscselect_mask) != d->miscselect)
		return cu_fail(err, CU_ERR_MISMATCH, "qe-identity",
		               "dcap: QE MISCSELECT 0x%08x does not match 0x%08x under mask 0x%08x",
		               qe->miscselect, d->miscselect, d->miscselect_mask);
	if (!masked_equal(qe->attributes, d->attributes, d->attributes_mask, 16)) {
		cu_hex_encode(qe->attributes, 16, got);
		cu_hex_encode(d->attributes, 16, want);
		return cu_fail(err, CU_ERR_MISMATCH, "qe-identity",
		               "dcap: QE ATTRIBUTES %s do not match %s under the identity's mask",
		               got, want);
	}
	for (size_t i = 0; i < d->n_levels; i++)
		if (qe->isv_svn >= d->levels[i].isvsvn) {
			*ret = &d->levels[i];
			return 0;
		}
	return cu_fail(err, CU_ERR_MISMATCH, "qe-identity",
	               "dcap: QE ISVSVN %u is below every TCB level of the QE identity",
	               qe->isv_svn);
}

/*
 * The platform's TCB level, as Intel's quote verification library selects
 * it: the first level (levels are sorted, highest first) whose SGX
 * components and PCESVN the PCK certificate meets; for TDX, from there on
 * the first level whose TDX components TEE_TCB_SVN meets (bytes 0 and 1,
 * the TDX module's SVN and version, are judged by the module identity when
 * the version is not 0).
 */
static int pick_level(const struct dcap_doc *d, const struct cu_dcap_pck *pck,
                      const struct cu_dcap_td_report *td, const struct level **ret,
                      struct cu_error *err)
{
	size_t i;

	for (i = 0; i < d->n_levels; i++) {
		const struct level *l = &d->levels[i];
		bool ok = pck->pcesvn >= l->pcesvn;

		for (int c = 0; ok && c < 16; c++)
			ok = pck->tcb_comp[c] >= l->sgx[c];
		if (ok)
			break;
	}
	if (i == d->n_levels)
		return cu_fail(
		    err, CU_ERR_MISMATCH, "tcb",
		    "dcap: no TCB level matches the platform's SGX components and PCESVN "
		    "%u (TCB not supported)",
		    pck->pcesvn);
	if (!td || d->levels[i].status == ST_REVOKED) {
		*ret = &d->levels[i];
		return 0;
	}
	for (; i < d->n_levels; i++) {
		const struct level *l = &d->levels[i];
		bool ok = true;

		for (int c = td->tee_tcb_svn[1] > 0 ? 2 : 0; ok && c < 16; c++)
			ok = td->tee_tcb_svn[c] >= l->tdx[c];
		if (ok) {
			*ret = l;
			return 0;
		}
	}
	return cu_fail(err, CU_ERR_MISMATCH, "tcb",
	               "dcap: no TCB level matches TEE_TCB_SVN (TCB not supported)");
}

/* The TDX module: MRSIGNERSEAM and SEAM attributes, and its own TCB level. */
static int check_module(const struct dcap_doc *d, const struct cu_dcap_td_report *td,
                        const struct level **ret, char id[16], struct cu_error *err)
{
	const uint8_t *mrsigner = d->module_mrsigner, *attr = d->module_attributes,
	              *mask = d->module_mask;
	const struct module_identity *mi = NULL;
	uint8_t version = td->tee_tcb_svn[1];

	*ret = NULL;
	snprintf(id, 16, "TDX_%02X", version);
	if (version > 0) {
		for (size_t i = 0; i < d->n_modules && !mi; i++)
			if (!strcasecmp(d->modules[i].id, id))
				mi = &d->modules[i];
		if (!mi)
			return cu_fail(
			    err, CU_ERR_MISMATCH, "tdx-module",
			    "dcap: TDX module %s (TEE_TCB_SVN[1] = %u) is not in the TCB "
			    "info",
			    id, version);
		mrsigner = mi->mrsigner;
		attr = mi->attributes;
		mask = mi->mask;
	} else if (!d->has_module) {
		return cu_fail(err, CU_ERR_MALFORMED, "tdx-module",
		               "dcap: the TDX TCB info has no tdxModule");
	}
	if (memcmp(td->mr_signer_seam, mrsigner, 48))
		return cu_fail(err, CU_ERR_MISMATCH, "tdx-module",
		               "dcap: MRSIGNERSEAM is not the TDX module signer of the TCB info");
	if (!masked_equal(td->seam_attributes, attr, mask, 8))
		return cu_fail(err, CU_ERR_MISMATCH, "tdx-module",
		               "dcap: SEAMATTRIBUTES do not match the TCB info under its mask");
	if (!mi)
		return 0;
	for (size_t i = 0; i < mi->n_levels; i++)
		if (td->tee_tcb_svn[0] >= mi->levels[i].isvsvn) {
			*ret = &mi->levels[i];
			return 0;
		}
	return cu_fail(err, CU_ERR_MISMATCH, "tdx-module",
	               "dcap: TDX module %s SVN %u is below every level of its identity", id,
	               td->tee_tcb_svn[0]);
}

/* A platform status made worse by an out-of-date component (QE or TDX module). */
static enum tcb_status converge(enum tcb_status platform, enum tcb_status other)
{
	if (other == ST_REVOKED)
		return ST_REVOKED;
	if (other != ST_OUT_OF_DATE)
		return platform;
	switch (platform) {
	case ST_UP_TO_DATE:
	case ST_SW_HARDENING:
		return ST_OUT_OF_DATE;
	case ST_CONFIG:
	case ST_CONFIG_SW_HARDENING:
		return ST_OUT_OF_DATE_CONFIG;
	default:
		return platform;
	}
}

static int add_advisories(json_t *out, const struct level *l)
{
	size_t i, j;
	json_t *a;

	if (!l || !l->advisories)
		return 0;
	json_array_foreach (l->advisories, i, a) {
		bool dup = false;

		for (j = 0; j < json_array_size(out) && !dup; j++)
			dup = json_equal(json_array_get(out, j), a);
		if (!dup && json_array_append(out, a) < 0)
			return CU_ERR_NOMEM;
	}
	return 0;
}

static json_t *pck_json(const struct cu_dcap_pck *p, X509 *leaf)
{
	json_t *o = json_object();
	static const char *const types[] = { "Standard", "Scalable", "ScalableWithIntegrity" };
	char issuer[256];
	int k = !o;

	if (k)
		return NULL;
	/* "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=Intel SGX PCK Platform CA" */
	cu_x509_name_rfc2253(X509_get_issuer_name(leaf), issuer, sizeof(issuer));
	k |= cu_json_set_hex(o, "fmspc", p->fmspc, 6);
	k |= cu_json_set_hex(o, "pce_id", p->pce_id, 2);
	k |= set(o, "pcesvn", json_integer(p->pcesvn));
	k |= cu_json_set_hex(o, "cpusvn", p->cpusvn, 16);
	k |= set(o, "sgx_tcb_components", svn_array(p->tcb_comp, 16));
	k |= set(o, "sgx_type", json_string(types[p->sgx_type]));
	k |= cu_json_set_hex(o, "ppid", p->ppid, 16);
	k |= set(o, "issuer", json_string(issuer));
	if (k) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct outcome {
	const struct dcap_doc *tcb, *qe;
	const struct level *platform, *qe_level, *module_level;
	char module_id[16];
	enum tcb_status status;
	int64_t not_after;
	json_t *eventlog; /* claims of the replayed CC event log, or NULL */
};

static int claims_build(const struct cu_dcap_quote *q, const struct cu_dcap_pck *pck, X509 *leaf,
                        const struct outcome *o, json_t **ret)
{
	json_t *c = NULL, *body, *adv = json_array(), *tcb = json_object();
	char when[32];
	int k;

	if (!adv || !tcb || cu_dcap_quote_fields(q, &c) < 0) {
		json_decref(adv);
		json_decref(tcb);
		return CU_ERR_NOMEM;
	}
	body = json_object_get(c, tee_name(q->tee_type));
	k = add_advisories(adv, o->platform) | add_advisories(adv, o->module_level) |
	    add_advisories(adv, o->qe_level);
	fmt_time(o->not_after, when);
	k |= set(c, "tcb_status", json_string(status_names[o->status]));
	k |= set(c, "advisory_ids", adv);
	k |= cu_json_set_hex(c, "fmspc", pck->fmspc, 6);
	k |= cu_json_set_hex(c, "pce_id", pck->pce_id, 2);
	k |= cu_json_set_hex(c, "platform_id", pck->ppid, 16);
	k |= set(c, "collateral_expires", json_string(when));
	k |= set(body, "pck", pck_json(pck, leaf));
	k |= set(tcb, "platform_status", json_string(status_names[o->platform->status]));
	if (o->platform->date)
		k |= set(tcb, "tcb_date", json_string(o->platform->date));
	k |= set(tcb, "qe_status", json_string(status_names[o->qe_level->status]));
	k |= set(tcb, "tcb_evaluation_data_number", json_integer(o->tcb->eval));
	k |= set(tcb, "qe_identity_evaluation_data_number", json_integer(o->qe->eval));
	if (q->tee_type == CU_DCAP_TEE_TDX) {
		k |= set(tcb, "tdx_module", json_string(o->module_id));
		if (o->module_level)
			k |= set(tcb, "tdx_module_status",
			         json_string(status_names[o->module_level->status]));
	}
	k |= set(body, "tcb", tcb);
	if (o->eventlog)
		k |= set(body, "eventlog", json_incref(o->eventlog));
	k |= set(c, "verified", json_true());
	if (k) {
		json_decref(c);
		return CU_ERR_NOMEM;
	}
	*ret = c;
	return 0;
}

/*
 * The CC event log (CCEL) replayed into RTMR0..3 must equal the quote's:
 * RTMR0..2 always (firmware, OS loader and kernel measure into them), RTMR3
 * when the log extends it (otherwise the guest extended it at run time, and
 * its own log speaks for it). Its events become claims.
 */
static int replay_ccel(const struct cu_dcap_quote *q, const struct cu_verify_opts *opts,
                       json_t **ret, struct cu_error *err)
{
	struct cu_evlog log;
	uint8_t rtmr[4][48];
	bool extended[4];
	json_t *checked, *c;
	int r;

	if (q->tee_type != CU_DCAP_TEE_TDX)
		return cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		               "sgx: an event log was given, but SGX quotes measure no boot");
	if ((r = cu_evlog_parse(opts->eventlog, opts->eventlog_size, &log, err)) < 0)
		return r;
	if ((r = cu_evlog_replay_rtmrs(&log, rtmr, extended, err)) < 0) {
		cu_evlog_done(&log);
		return r;
	}
	for (int i = 0; i < 4; i++) {
		char got[17], want[17];

		if ((i == 3 && !extended[3]) || !memcmp(rtmr[i], q->td.rtmr[i], 48))
			continue;
		cu_evlog_done(&log);
		cu_hex_encode(rtmr[i], 8, got);
		cu_hex_encode(q->td.rtmr[i], 8, want);
		return cu_fail(err, CU_ERR_MISMATCH, "eventlog",
		               "tdx: RTMR%d replayed from the event log is %s..., the quote's is "
		               "%s...",
		               i, got, want);
	}
	c = cu_evlog_claims(&log, CU_TPM_ALG_SHA384);
	checked = json_pack("[iii]", 0, 1, 2);
	if (extended[3] && checked)
		json_array_append_new(checked, json_integer(3));
	cu_evlog_done(&log);
	if (!c || !checked || json_object_set_new(c, "rtmrs_checked", checked) < 0) {
		json_decref(c);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	*ret = c;
	return 0;
}

int cu_dcap_verify(cu_verifier *v, const uint8_t *buf, size_t size, uint32_t tee_type,
                   const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	const char *tee = tee_name(tee_type);
	bool tdx = tee_type == CU_DCAP_TEE_TDX;
	struct cu_dcap_quote q;
	struct cu_dcap_pck pck;
	struct outcome o = { .not_after = INT64_MAX };
	struct dcap_state *st = NULL;
	_cleanup_(X509_freep) X509 *leaf = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *att_key = NULL;
	int r;

	if ((r = cu_dcap_quote_parse(buf, size, &q, err)) < 0)
		return r;
	if (q.tee_type != tee_type)
		return cu_fail(err, CU_ERR_MALFORMED, "parse", "dcap: this is a %s quote, not %s",
		               tee_name(q.tee_type), tee);
	if ((r = cu_verifier_state(v, tdx ? CU_FORMAT_TDX : CU_FORMAT_SGX, state_build_any,
	                           cu_dcap_state_free, (void **)&st, err)) < 0)
		return r;

	/* 1. the PCK certificate chain, to the pinned root, with the CRLs; its SGX extension */
	if ((r = pck_get(st, v, &q, opts->at, &leaf, &pck, &o.not_after, err)) < 0)
		return r;

	/* 2. the QE report, signed by the PCK key, and bound to the attestation key */
	if ((r = qe_get(st, v, &q, leaf, &att_key, err)) < 0)
		return r;

	/* 3. the quote, signed by the attestation key */
	if (cu_ecdsa_verify_raw_be(att_key, NID_X9_62_prime256v1, EVP_sha256(), buf, q.signed_size,
	                           q.signature, q.signature + 32, 32, NULL) < 0)
		return cu_fail(err, CU_ERR_SIGNATURE, "quote-signature",
		               "%s: the quote's signature does not verify with its attestation key",
		               tee);

	/* 4. the caller's binding */
	if ((r = cu_check_report_data(tdx ? q.td.report_data : q.sgx.report_data, opts, tee,
	                              "REPORTDATA", err)) < 0)
		return r;

	/* 5. collateral: TCB info and QE identity, signed by Intel, current at `at` */
	if ((r = pick_doc(st, v, true, tdx ? "TDX" : "SGX", &pck, opts->at, &o.tcb, &o.not_after,
	                  err)) < 0 ||
	    (r = pick_doc(st, v, false, tdx ? "TD_QE" : "QE", &pck, opts->at, &o.qe, &o.not_after,
	                  err)) < 0)
		return r;
	if ((r = check_qe(&q.qe_report, o.qe, &o.qe_level, err)) < 0)
		return r;
	if (tdx && (r = check_module(o.tcb, &q.td, &o.module_level, o.module_id, err)) < 0)
		return r;
	if ((r = pick_level(o.tcb, &pck, tdx ? &q.td : NULL, &o.platform, err)) < 0)
		return r;
	o.status = o.platform->status;
	if (o.module_level)
		o.status = converge(o.status, o.module_level->status);
	o.status = converge(o.status, o.qe_level->status);
	if (o.status == ST_REVOKED)
		return cu_fail(err, CU_ERR_REVOKED, "tcb",
		               "%s: the platform's TCB level is Revoked (%s)", tee,
		               o.platform->status == ST_REVOKED ? "platform" : "QE or TDX module");
	if (opts->eventlog && (r = replay_ccel(&q, opts, &o.eventlog, err)) < 0)
		return r;
	r = claims_build(&q, &pck, leaf, &o, ret);
	json_decref(o.eventlog);
	if (r < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	return 0;
}
