/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA Hopper (H100) GPU attestation: the SPDM 1.1 GET_MEASUREMENTS
 * request (37 bytes) followed by the MEASUREMENTS response (DMTF SPDM
 * DSP0274 1.1, section 10.11), signed with ECDSA P-384 over SHA-384 of the
 * request and the response up to its signature. The signing key is the
 * GPU's attestation certificate, chained to the NVIDIA Device Identity CA
 * (pinned here by SHA-256). The response's opaque data carries NVIDIA's
 * TLVs (driver and VBIOS versions, the FWID the leaf certificate must
 * carry too). Measurements are compared with the driver and VBIOS
 * reference integrity manifests found among the collateral (rim.c).
 *
 * Input: Trustee's device evidence, {"arch", "uuid", "evidence" (hex or
 * base64), "certificate" (base64 of the PEM chain)}, alone or as the only
 * member of {"device_evidence_list": [...]}; or the raw request+response
 * with the chain as extra collateral.
 *
 * Stages: parse, chain, signature, fwid, binding, rim.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/obj_mac.h>

#include "../base/bytes.h"
#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../collateral/collateral.h"
#include "../crypto/openssl-util.h"
#include "../crypto/sig.h"
#include "../crypto/x509.h"
#include "evidence.h"
#include "nvgpu.h"

#define BAD(...) cu_fail(err, CU_ERR_MALFORMED, "parse", "nvgpu: " __VA_ARGS__)

static const char device_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICCzCCAZCgAwIBAgIQLTZwscoQBBHB/sDoKgZbVDAKBggqhkjOPQQDAzA1MSIw\n"
    "IAYDVQQDDBlOVklESUEgRGV2aWNlIElkZW50aXR5IENBMQ8wDQYDVQQKDAZOVklE\n"
    "SUEwIBcNMjExMTA1MDAwMDAwWhgPOTk5OTEyMzEyMzU5NTlaMDUxIjAgBgNVBAMM\n"
    "GU5WSURJQSBEZXZpY2UgSWRlbnRpdHkgQ0ExDzANBgNVBAoMBk5WSURJQTB2MBAG\n"
    "ByqGSM49AgEGBSuBBAAiA2IABA5MFKM7+KViZljbQSlgfky/RRnEQScW9NDZF8SX\n"
    "gAW96r6u/Ve8ZggtcYpPi2BS4VFu6KfEIrhN6FcHG7WP05W+oM+hxj7nyA1r1jkB\n"
    "2Ry70YfThX3Ba1zOryOP+MJ9vaNjMGEwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B\n"
    "Af8EBAMCAQYwHQYDVR0OBBYEFFeF/4PyY8xlfWi3Olv0jUrL+0lfMB8GA1UdIwQY\n"
    "MBaAFFeF/4PyY8xlfWi3Olv0jUrL+0lfMAoGCCqGSM49BAMDA2kAMGYCMQCPeFM3\n"
    "TASsKQVaT+8S0sO9u97PVGCpE9d/I42IT7k3UUOLSR/qvJynVOD1vQKVXf0CMQC+\n"
    "EY55WYoDBvs2wPAH1Gw4LbcwUN8QCff8bFmV4ZxjCRr4WXTLFHBKjbfneGSBWwA=\n"
    "-----END CERTIFICATE-----\n";

/* SHA-256 of the DER of the NVIDIA Device Identity CA. */
static const uint8_t device_root_sha256[32] = {
	0x10, 0x2b, 0xf6, 0x59, 0xd5, 0x41, 0x96, 0x14, 0xc9, 0xd8, 0xe6,
	0xae, 0xce, 0xbc, 0x80, 0x45, 0x4e, 0xb2, 0x6b, 0x1d, 0xf6, 0xa7,
	0x69, 0xac, 0x72, 0x0b, 0x9a, 0x69, 0x0b, 0x16, 0x7b, 0x48,
};

static const char rim_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICKTCCAbCgAwIBAgIQRdrjoA5QN73fh1N17LXicDAKBggqhkjOPQQDAzBFMQsw\n"
    "CQYDVQQGEwJVUzEPMA0GA1UECgwGTlZJRElBMSUwIwYDVQQDDBxOVklESUEgQ29S\n"
    "SU0gc2lnbmluZyBSb290IENBMCAXDTIzMDMxNjE1MzczNFoYDzIwNTMwMzA4MTUz\n"
    "NzM0WjBFMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGTlZJRElBMSUwIwYDVQQDDBxO\n"
    "VklESUEgQ29SSU0gc2lnbmluZyBSb290IENBMHYwEAYHKoZIzj0CAQYFK4EEACID\n"
    "YgAEuECyi9vNM+Iw2lfUzyBldHAwaC1HF7TCgp12QcEyUTm3Tagxwr48d55+K2VI\n"
    "lWYIDk7NlAIQdcV/Ff7euGLI+Qauj93HsSI4WX298PpW54RTgz9tC+Q684caR/BX\n"
    "WEeZo2MwYTAdBgNVHQ4EFgQUpaXrOPK4ZDAk08DBskn594zeZjAwHwYDVR0jBBgw\n"
    "FoAUpaXrOPK4ZDAk08DBskn594zeZjAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B\n"
    "Af8EBAMCAQYwCgYIKoZIzj0EAwMDZwAwZAIwHGDyscDP6ihHqRvZlI3eqZ4YkvjE\n"
    "1duaN84tAHRVgxVMvNrp5Tnom3idHYGW/dskAjATvjIx6VzHm/4e2GiZAyZEIUBD\n"
    "OKPzp5ei/A0iUZpdvngenDwV8Qa/wGdiTmJ7Bp4=\n"
    "-----END CERTIFICATE-----\n";

/* SHA-256 of the DER of the NVIDIA CoRIM signing Root CA. */
static const uint8_t rim_root_sha256[32] = {
	0x12, 0x97, 0x7b, 0x51, 0x15, 0xac, 0xb0, 0x38, 0x11, 0x79, 0x27,
	0x9f, 0xff, 0xeb, 0x5a, 0x8c, 0x4d, 0x26, 0x49, 0x71, 0xeb, 0xb3,
	0x22, 0x98, 0x02, 0x3a, 0x46, 0x5f, 0xa4, 0x1d, 0xf5, 0xd1,
};

/* SPDM 1.1 (DSP0274): GET_MEASUREMENTS and MEASUREMENTS. */
#define SPDM_VERSION_11       0x11
#define SPDM_GET_MEASUREMENTS 0xe0
#define SPDM_MEASUREMENTS     0x60
#define SPDM_REQUEST_SIZE     37u
#define SPDM_SIG_SIZE         96u /* ECDSA P-384 r || s */
#define SPDM_DMTF_SPEC        0x01
/* Zero bytes some drivers append after the signature (outside what it signs). */
#define SPDM_MAX_TRAILING 16u

/* NVIDIA's opaque-data field types (nvtrust, OpaqueDataType). */
enum {
	OPAQUE_DRIVER_VERSION = 3,
	OPAQUE_VBIOS_VERSION = 6,
	OPAQUE_MSRSCNT = 12,
	OPAQUE_FWID = 20,
};

static const char *const opaque_names[] = {
	[1] = "cert_issuer_name",
	[2] = "cert_authority_key_identifier",
	[3] = "driver_version",
	[4] = "gpu_info",
	[5] = "sku",
	[6] = "vbios_version",
	[7] = "manufacturer_id",
	[8] = "tamper_detection",
	[9] = "smc",
	[10] = "vpr",
	[11] = "nvdec0_status",
	[12] = "msrscnt",
	[13] = "cprinfo",
	[14] = "board_id",
	[15] = "chip_sku",
	[16] = "chip_sku_mod",
	[17] = "project",
	[18] = "project_sku",
	[19] = "project_sku_mod",
	[20] = "fwid",
	[21] = "protected_pcie_status",
	[22] = "switch_pdi",
	[23] = "floorswept_ports",
	[24] = "position_id",
	[25] = "lock_switch_status",
	[32] = "gpu_link_conn",
	[33] = "sys_enable_status",
	[34] = "opaque_data_version",
	[35] = "chip_info",
	[36] = "feature_flag",
};

/* Fields that hold text (NUL-padded ASCII). */
static bool opaque_is_text(unsigned type)
{
	return type == 3 || (type >= 15 && type <= 19);
}

struct spdm_block {
	uint8_t index, value_type;
	const uint8_t *value;
	size_t size;
};

struct opaque_field {
	uint16_t type;
	const uint8_t *p;
	size_t n;
	size_t text_n; /* text fields: the length without the NUL padding */
};

struct gpu_report {
	uint8_t req_attributes, req_operation, req_slot;
	uint8_t nonce[CU_SPDM_NONCE_SIZE], resp_nonce[CU_SPDM_NONCE_SIZE];
	uint8_t resp_param1, resp_param2;
	size_t n_blocks;
	struct spdm_block blocks[CU_LIMIT_SPDM_BLOCKS];
	size_t n_fields;
	struct opaque_field fields[64];
	const uint8_t *sig;
	size_t signed_size, trailing;
	char driver_version[64], vbios_version[32];
	const uint8_t *fwid;
	size_t fwid_size;
};

/* ------------------------------------------------------------------ parse */

static int parse_opaque(struct cu_bytes *o, struct gpu_report *g, struct cu_error *err)
{
	while (!cu_bytes_is_empty(o)) {
		struct opaque_field *f = &g->fields[g->n_fields];
		struct cu_bytes v;
		uint16_t size;

		if (g->n_fields == ELEMENTSOF(g->fields))
			return BAD("more than %zu opaque fields", ELEMENTSOF(g->fields));
		if (!cu_bytes_get_u16le(o, &f->type) || !cu_bytes_get_u16le(o, &size) ||
		    !cu_bytes_get_bytes(o, size, &v))
			return BAD("opaque field %zu truncated", g->n_fields);
		for (size_t i = 0; i < g->n_fields; i++)
			if (g->fields[i].type == f->type)
				return BAD("opaque field type %u appears twice", f->type);
		f->p = v.data;
		f->n = v.size;
		g->n_fields++;
		if (opaque_is_text(f->type)) {
			size_t n = f->n;

			while (n > 0 && f->p[n - 1] == 0)
				n--;
			f->text_n = n;
			for (size_t i = 0; i < n; i++)
				if (!isprint(f->p[i]))
					return BAD("opaque field %s is not text",
					           opaque_names[f->type]);
			if (f->type == OPAQUE_DRIVER_VERSION) {
				if (n >= sizeof(g->driver_version))
					return BAD("opaque driver_version too long");
				memcpy(g->driver_version, f->p, n);
				g->driver_version[n] = '\0';
			}
		} else if (f->type == OPAQUE_VBIOS_VERSION) {
			if (f->n != 8)
				return BAD("opaque vbios_version is %zu bytes, not 8", f->n);
			/* As nvtrust prints it: the low 32 bits big-endian, then byte 4. */
			snprintf(g->vbios_version, sizeof(g->vbios_version),
			         "%02x.%02x.%02x.%02x.%02x", f->p[3], f->p[2], f->p[1], f->p[0],
			         f->p[4]);
		} else if (f->type == OPAQUE_MSRSCNT && f->n % 4) {
			return BAD("opaque msrscnt is %zu bytes, not a multiple of 4", f->n);
		} else if (f->type == OPAQUE_FWID) {
			g->fwid = f->p;
			g->fwid_size = f->n;
		}
	}
	return 0;
}

static int parse_blocks(struct cu_bytes *rec, struct gpu_report *g, uint8_t n_blocks,
                        struct cu_error *err)
{
	for (size_t i = 0; i < n_blocks; i++) {
		struct spdm_block *b = &g->blocks[i];
		struct cu_bytes m;
		uint8_t spec;
		uint16_t size, vsize;

		if (!cu_bytes_get_u8(rec, &b->index) || !cu_bytes_get_u8(rec, &spec) ||
		    !cu_bytes_get_u16le(rec, &size) || !cu_bytes_get_bytes(rec, size, &m))
			return BAD("measurement block %zu truncated", i);
		if (spec != SPDM_DMTF_SPEC)
			return cu_fail(
			    err, CU_ERR_UNSUPPORTED, "parse",
			    "nvgpu: measurement block %u: specification 0x%02x, only the "
			    "DMTF format (0x01) is known",
			    b->index, spec);
		if (b->index == 0 || b->index == 0xff)
			return BAD("measurement block %zu has index %u (1..254)", i, b->index);
		for (size_t j = 0; j < i; j++)
			if (g->blocks[j].index == b->index)
				return BAD("measurement index %u appears twice", b->index);
		if (!cu_bytes_get_u8(&m, &b->value_type) || !cu_bytes_get_u16le(&m, &vsize) ||
		    vsize != cu_bytes_size(&m))
			return BAD("measurement block %u: DMTF value size disagrees with the block",
			           b->index);
		b->value = m.data;
		b->size = m.size;
		g->n_blocks++;
	}
	if (!cu_bytes_is_empty(rec))
		return BAD("%zu bytes after the last measurement block", cu_bytes_size(rec));
	return 0;
}

static int report_parse(const uint8_t *buf, size_t size, struct gpu_report *g, struct cu_error *err)
{
	struct cu_bytes b, rec, opaque, sig;
	uint8_t v, code, rv, rcode, n_blocks, len[3];
	uint16_t opaque_size;
	size_t bad;
	int r;

	memset(g, 0, sizeof(*g));
	cu_bytes_init(&b, buf, size);
	if (!cu_bytes_get_u8(&b, &v) || !cu_bytes_get_u8(&b, &code) ||
	    !cu_bytes_get_u8(&b, &g->req_attributes) || !cu_bytes_get_u8(&b, &g->req_operation) ||
	    !cu_bytes_copy(&b, g->nonce, sizeof(g->nonce)) || !cu_bytes_get_u8(&b, &g->req_slot))
		return BAD("the GET_MEASUREMENTS request is truncated (%zu bytes)", size);
	if (code != SPDM_GET_MEASUREMENTS)
		return BAD("request code 0x%02x, not GET_MEASUREMENTS (0xe0)", code);
	if (v != SPDM_VERSION_11)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "nvgpu: SPDM version 0x%02x, only 1.1 (0x11) is supported", v);
	if (!(g->req_attributes & 1))
		return BAD("the request did not ask for a signature (attributes 0x%02x)",
		           g->req_attributes);
	if (!cu_bytes_get_u8(&b, &rv) || !cu_bytes_get_u8(&b, &rcode) ||
	    !cu_bytes_get_u8(&b, &g->resp_param1) || !cu_bytes_get_u8(&b, &g->resp_param2) ||
	    !cu_bytes_get_u8(&b, &n_blocks) || !cu_bytes_copy(&b, len, 3))
		return BAD("the MEASUREMENTS response header is truncated");
	if (rv != v || rcode != SPDM_MEASUREMENTS)
		return BAD("response version 0x%02x code 0x%02x (0x11 0x60 expected)", rv, rcode);
	if ((g->resp_param2 & 0x0f) != (g->req_slot & 0x0f))
		return BAD("response slot %u, request slot %u", g->resp_param2 & 0x0f,
		           g->req_slot & 0x0f);
	if (n_blocks == 0)
		return BAD("the response holds no measurement block");
	if (!cu_bytes_get_bytes(&b, (size_t)len[0] | (size_t)len[1] << 8 | (size_t)len[2] << 16,
	                        &rec))
		return BAD("measurement record truncated");
	if ((r = parse_blocks(&rec, g, n_blocks, err)) < 0)
		return r;
	if (!cu_bytes_copy(&b, g->resp_nonce, sizeof(g->resp_nonce)) ||
	    !cu_bytes_get_u16le(&b, &opaque_size) || !cu_bytes_get_bytes(&b, opaque_size, &opaque))
		return BAD("response nonce or opaque data truncated");
	if (opaque_size > CU_LIMIT_SPDM_OPAQUE)
		return cu_fail(err, CU_ERR_TOO_LARGE, "parse",
		               "nvgpu: opaque data is %u bytes, limit is %u", opaque_size,
		               CU_LIMIT_SPDM_OPAQUE);
	if ((r = parse_opaque(&opaque, g, err)) < 0)
		return r;
	g->signed_size = cu_bytes_offset(&b);
	if (!cu_bytes_get_bytes(&b, SPDM_SIG_SIZE, &sig))
		return BAD("the signature is truncated (%zu of %u bytes)", cu_bytes_size(&b),
		           SPDM_SIG_SIZE);
	g->sig = sig.data;
	/* Zero padding after the signature is tolerated; nothing else is. */
	g->trailing = cu_bytes_size(&b);
	if (g->trailing > SPDM_MAX_TRAILING || !cu_bytes_expect_zero(&b, g->trailing, &bad))
		return BAD("%zu bytes after the signature that are not zero padding", g->trailing);
	return 0;
}

/* ------------------------------------------------------------------ input */

struct gpu_input {
	uint8_t *report; /* owned when decoded from JSON */
	const uint8_t *bytes;
	size_t size;
	/* the device chain as received (PEM or DER), leaf first; parsed only when not cached */
	uint8_t *pem; /* owned, from the JSON form */
	size_t pem_size;
	const uint8_t *const *chain;
	const size_t *chain_sizes;
	size_t n_chain;
	bool json;
};

static void input_done(struct gpu_input *in)
{
	free(in->report);
	free(in->pem);
}

static bool json_form(const uint8_t *buf, size_t size)
{
	return cu_looks_like_json_object(buf, size) &&
	       (memmem(buf, size, "\"device_evidence_list\"", 22) ||
	        (memmem(buf, size, "\"certificate\"", 13) && memmem(buf, size, "\"arch\"", 6)));
}

static bool nvgpu_detect(const uint8_t *buf, size_t size)
{
	return (size > SPDM_REQUEST_SIZE + 2 && buf[0] == SPDM_VERSION_11 &&
	        buf[1] == SPDM_GET_MEASUREMENTS && buf[SPDM_REQUEST_SIZE] == SPDM_VERSION_11 &&
	        buf[SPDM_REQUEST_SIZE + 1] == SPDM_MEASUREMENTS) ||
	       json_form(buf, size);
}

/* The certificates of a PEM or DER buffer appended to *chain (CRLs are not expected). */
static int add_certs(const uint8_t *buf, size_t size, STACK_OF(X509) * *chain, struct cu_error *err)
{
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
	int r = cu_x509_parse_any(buf, size, chain, &crls, err);

	if (r < 0 && err)
		err->stage = "parse";
	return r;
}

static const json_t *the_device(const json_t *root, struct cu_error *err)
{
	const json_t *list = json_object_get(root, "device_evidence_list");

	if (!list)
		return root;
	if (!json_is_array(list) || json_array_size(list) != 1) {
		BAD("device_evidence_list holds %zu devices: verify them one at a time "
		    "(custosd's KBS does: gpu0, gpu1, ...)",
		    json_array_size(list));
		return NULL;
	}
	return json_array_get(list, 0);
}

static int decode_json(const uint8_t *buf, size_t size, struct gpu_input *in, struct cu_error *err)
{
	json_auto_t *root = NULL;
	const json_t *dev;
	const char *arch, *ev, *cert;
	size_t n;
	long hn;
	int r;

	if ((r = cu_json_parse((const char *)buf, size, CU_LIMIT_EVIDENCE_SIZE, "parse", &root,
	                       err)) < 0)
		return r;
	if (!(dev = the_device(root, err)))
		return CU_ERR_MALFORMED;
	arch = json_string_value(json_object_get(dev, "arch"));
	ev = json_string_value(json_object_get(dev, "evidence"));
	cert = json_string_value(json_object_get(dev, "certificate"));
	if (!arch || !ev || !cert)
		return BAD("a device needs string members arch, evidence and certificate");
	if (strcasecmp(arch, "hopper"))
		return cu_fail(err, CU_ERR_UNSUPPORTED, "parse",
		               "nvgpu: arch \"%.32s\": only HOPPER (H100) is supported", arch);
	n = strlen(ev);
	/* Hex, as the attester first sent it, or base64 (Trustee accepts both). */
	hn = cu_hex_decoded_size(ev, n);
	if (hn > 0) {
		if (!(in->report = malloc((size_t)hn)))
			return cu_fail(err, CU_ERR_NOMEM, "parse", "out of memory");
		if (cu_hex_decode(ev, n, in->report, (size_t)hn) < 0)
			return BAD("evidence is not hex");
		in->size = (size_t)hn;
	} else if (cu_base64_decode(ev, n, &in->report, &in->size) < 0) {
		return BAD("evidence is neither hex nor base64");
	}
	in->bytes = in->report;
	in->json = true;
	if (cu_base64_decode(cert, strlen(cert), &in->pem, &in->pem_size) < 0)
		return BAD("certificate is not base64 (of the PEM chain)");
	in->chain = (const uint8_t *const *)&in->pem;
	in->chain_sizes = &in->pem_size;
	in->n_chain = 1;
	return 0;
}

static int input_decode(const uint8_t *buf, size_t size, const struct cu_verify_opts *opts,
                        struct gpu_input *in, struct cu_error *err)
{
	memset(in, 0, sizeof(*in));
	if (json_form(buf, size))
		return decode_json(buf, size, in, err);
	in->bytes = buf;
	in->size = size;
	if (opts) {
		in->chain = opts->extra_collateral;
		in->chain_sizes = opts->extra_collateral_sizes;
		in->n_chain = opts->n_extra_collateral;
	}
	return 0;
}

/* ----------------------------------------------------------------- claims */

static int set(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v) < 0 ? -1 : 0;
}

static int report_claims(const struct gpu_report *g, json_t **ret)
{
	json_auto_t *c = json_object(), *gpu = json_object(), *m = json_object(),
	            *op = json_object();
	char key[64];
	int k = 0;

	if (!c || !gpu || !m || !op)
		return CU_ERR_NOMEM;
	k |= set(c, "tee", json_string("nvidia-gpu"));
	k |= cu_json_set_hex(c, "report_data", g->nonce, sizeof(g->nonce));
	k |= set(gpu, "arch", json_string("hopper"));
	k |= set(gpu, "spdm_version", json_string("1.1"));
	k |= cu_json_set_hex(gpu, "request_nonce", g->nonce, sizeof(g->nonce));
	k |= cu_json_set_hex(gpu, "response_nonce", g->resp_nonce, sizeof(g->resp_nonce));
	k |= set(gpu, "slot", json_integer(g->req_slot & 0x0f));
	k |= set(gpu, "measurement_operation", json_integer(g->req_operation));
	for (size_t i = 0; i < g->n_blocks; i++) {
		snprintf(key, sizeof(key), "%u", g->blocks[i].index);
		k |= cu_json_set_hex(m, key, g->blocks[i].value, g->blocks[i].size);
	}
	k |= set(gpu, "num_measurement_blocks", json_integer((json_int_t)g->n_blocks));
	k |= set(gpu, "measurements", json_incref(m));
	for (size_t i = 0; i < g->n_fields; i++) {
		const struct opaque_field *f = &g->fields[i];
		const char *name = f->type < ELEMENTSOF(opaque_names) && opaque_names[f->type]
		                       ? opaque_names[f->type]
		                       : NULL;

		if (!name) {
			snprintf(key, sizeof(key), "type_%u", f->type);
			name = key;
		}
		if (opaque_is_text(f->type)) {
			k |= set(op, name, json_stringn((const char *)f->p, f->text_n));
		} else if (f->type == OPAQUE_MSRSCNT) {
			json_t *a = json_array();

			for (size_t j = 0; a && j + 4 <= f->n; j += 4)
				k |= json_array_append_new(
				    a, json_integer((json_int_t)f->p[j] |
				                    (json_int_t)f->p[j + 1] << 8 |
				                    (json_int_t)f->p[j + 2] << 16 |
				                    (json_int_t)f->p[j + 3] << 24));
			k |= set(op, name, a);
		} else {
			k |= cu_json_set_hex(op, name, f->p, f->n);
		}
	}
	k |= set(gpu, "opaque", json_incref(op));
	if (g->driver_version[0])
		k |= set(gpu, "driver_version", json_string(g->driver_version));
	if (g->vbios_version[0])
		k |= set(gpu, "vbios_version", json_string(g->vbios_version));
	k |= set(c, "gpu", json_incref(gpu));
	if (k)
		return CU_ERR_NOMEM;
	*ret = TAKE_PTR(c);
	return 0;
}

static int nvgpu_inspect(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err)
{
	struct gpu_input in;
	struct gpu_report *g = malloc(sizeof(*g));
	json_t *c = NULL;
	int r;

	if (!g)
		return cu_fail(err, CU_ERR_NOMEM, "parse", "out of memory");
	r = input_decode(buf, size, NULL, &in, err);
	if (r == 0)
		r = report_parse(in.bytes, in.size, g, err);
	if (r == 0 &&
	    (report_claims(g, &c) < 0 || json_object_set_new(c, "verified", json_false()) < 0))
		r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	input_done(&in);
	free(g);
	if (r < 0) {
		json_decref(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* ------------------------------------------------------------ verification */

/* A device chain or a RIM signer chain that verified, for the window in which it holds. */
struct chain_entry {
	uint8_t digest[32];
	int64_t window[2];
};

struct rim_entry {
	struct cu_rim rim;
	struct chain_entry chain; /* window[1] == 0: not verified yet */
};

/*
 * What a device chain proved, remembered per verifier by the SHA-256 of the
 * chain's bytes as received, for the window in which it holds: parsing the
 * certificates (and their EC points) costs about as much as the signature.
 */
struct device_entry {
	struct chain_entry chain;
	EVP_PKEY *key;    /* the attestation key (P-384) */
	int dice;         /* the DICE extension: 1 parsed, 0 absent, -1 malformed */
	uint8_t fwid[48]; /* its SHA-384 FWID when parsed */
	json_t *claims;   /* {"certificate": {...}, "device_id"?} */
};

struct nvgpu_state {
	STACK_OF(X509) * device_roots;
	STACK_OF(X509) * rim_roots;
	struct rim_entry *rims;
	size_t n_rims;
	/* under the verifier's lock */
	struct device_entry devices[CU_LIMIT_DCAP_PCK_CACHE];
	size_t n_devices, next;
};

static void device_entry_done(struct device_entry *e)
{
	EVP_PKEY_free(e->key);
	json_decref(e->claims);
	memset(e, 0, sizeof(*e));
}

static void nvgpu_state_free(void *p)
{
	struct nvgpu_state *st = p;

	if (!st)
		return;
	for (size_t i = 0; i < st->n_rims; i++)
		cu_rim_done(&st->rims[i].rim);
	for (size_t i = 0; i < st->n_devices; i++)
		device_entry_done(&st->devices[i]);
	free(st->rims);
	cu_x509_stack_freep(&st->device_roots);
	cu_x509_stack_freep(&st->rim_roots);
	free(st);
}

static int state_build(cu_verifier *v, void **ret, struct cu_error *err)
{
	struct nvgpu_state *st = calloc(1, sizeof(*st));
	const json_t *docs = v->collateral->dcap_docs, *d;
	size_t i, n = 0;
	int r;

	if (!st)
		return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
	if ((r = cu_pinned_roots(v, device_root_pem, device_root_sha256,
	                         "nvgpu: the compiled-in NVIDIA Device Identity CA",
	                         &st->device_roots, err)) < 0 ||
	    (r = cu_pinned_roots(v, rim_root_pem, rim_root_sha256,
	                         "nvgpu: the compiled-in NVIDIA RIM root", &st->rim_roots, err)) <
	        0)
		goto fail;
	json_array_foreach (docs, i, d)
		n += !strcmp(json_string_value(json_object_get(d, "kind")) ?: "", "swid_rim");
	if (n && !(st->rims = calloc(n, sizeof(*st->rims)))) {
		r = cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
		goto fail;
	}
	json_array_foreach (docs, i, d) {
		const char *xml = json_string_value(json_object_get(d, "xml"));

		if (strcmp(json_string_value(json_object_get(d, "kind")) ?: "", "swid_rim") || !xml)
			continue;
		r = cu_rim_parse((const uint8_t *)xml,
		                 json_string_length(json_object_get(d, "xml")),
		                 &st->rims[st->n_rims].rim, err);
		if (r < 0)
			goto fail;
		st->n_rims++;
	}
	*ret = st;
	return 0;
fail:
	nvgpu_state_free(st);
	return r;
}

/* SHA-256 over the chain's pieces as received (each with its length): the cache key. */
static bool chain_digest(const struct gpu_input *in, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);

	for (size_t i = 0; ok && i < in->n_chain; i++) {
		uint64_t n = in->chain_sizes[i];

		ok = EVP_DigestUpdate(ctx, &n, sizeof(n)) &&
		     EVP_DigestUpdate(ctx, in->chain[i], in->chain_sizes[i]);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool cached(const struct chain_entry *e, const uint8_t digest[32], int64_t at)
{
	return e->window[1] && !memcmp(e->digest, digest, 32) && at >= e->window[0] &&
	       at < e->window[1];
}

/* chain[0] to one of roots at `at`, through the rest of chain; remembered in *e. */
static int verify_chain(STACK_OF(X509) * chain, STACK_OF(X509) * roots, int64_t at,
                        struct chain_entry *e, const char *stage, struct cu_error *err)
{
	STACK_OF(X509) *untrusted = sk_X509_dup(chain); /* borrowed certificates */
	struct cu_chain_opts o = { .roots = roots, .at = at, .max_depth = CU_LIMIT_CHAIN_LENGTH };
	struct cu_chain_result res = { 0 };
	int r;

	if (!untrusted)
		return cu_fail(err, CU_ERR_NOMEM, stage, "out of memory");
	(void)sk_X509_shift(untrusted);
	o.untrusted = untrusted;
	r = cu_x509_verify_chain(sk_X509_value(chain, 0), &o, &res, err);
	sk_X509_free(untrusted);
	if (r < 0) {
		if (err)
			err->stage = stage;
		return r;
	}
	e->window[0] = res.not_before;
	e->window[1] = res.not_after;
	cu_chain_result_done(&res);
	return 0;
}

/*
 * The FWID of the leaf's TCG DICE extension (2.23.133.5.4.1, as NVIDIA
 * encodes it: SEQUENCE { INTEGER, SubjectPublicKeyInfo, SEQUENCE { hashAlg
 * OID, OCTET STRING digest } }) must equal the opaque FWID.
 */
static bool der_get(struct cu_bytes *b, uint8_t tag, struct cu_bytes *content)
{
	uint8_t t, l0, l;
	size_t len = 0;

	if (!cu_bytes_get_u8(b, &t) || t != tag || !cu_bytes_get_u8(b, &l0))
		return false;
	if (l0 < 0x80) {
		len = l0;
	} else if (l0 == 0x81 || l0 == 0x82) {
		for (int i = 0; i < (l0 & 0x7f); i++) {
			if (!cu_bytes_get_u8(b, &l))
				return false;
			len = len << 8 | l;
		}
	} else {
		return false;
	}
	return cu_bytes_get_bytes(b, len, content);
}

/* NVIDIA's DICE extension of the attestation certificate: its FWID into e. */
static void read_dice(X509 *leaf, struct device_entry *e)
{
	static const uint8_t sha384_oid[] = {
		0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02
	};
	const ASN1_OCTET_STRING *ext = cu_x509_get0_ext(leaf, "2.23.133.5.4.1");
	struct cu_bytes b, seq, x, fwid, oid, digest;

	e->dice = 0;
	if (!ext)
		return;
	cu_bytes_init(&b, ASN1_STRING_get0_data(ext), (size_t)ASN1_STRING_length(ext));
	e->dice = -1;
	if (!der_get(&b, 0x30, &seq) || !cu_bytes_is_empty(&b) || !der_get(&seq, 0x02, &x) ||
	    !der_get(&seq, 0x30, &x) || !der_get(&seq, 0x30, &fwid) || !cu_bytes_is_empty(&seq) ||
	    !der_get(&fwid, 0x06, &oid) || !der_get(&fwid, 0x04, &digest) ||
	    !cu_bytes_is_empty(&fwid) || oid.size != sizeof(sha384_oid) ||
	    memcmp(oid.data, sha384_oid, sizeof(sha384_oid)) || digest.size != 48)
		return;
	memcpy(e->fwid, digest.data, 48);
	e->dice = 1;
}

static int set_bool(json_t *o, const char *key, bool v, struct cu_error *err)
{
	if (json_object_set_new(o, key, json_boolean(v)) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	return 0;
}

static int check_fwid(const struct device_entry *e, const struct gpu_report *g, json_t *gpu,
                      struct cu_error *err)
{
	if (!g->fwid)
		return set_bool(gpu, "fwid_bound", false, err);
	if (e->dice == 0)
		return cu_fail(err, CU_ERR_MISMATCH, "fwid",
		               "nvgpu: the report carries an FWID but the attestation certificate "
		               "has no DICE extension (2.23.133.5.4.1)");
	if (e->dice < 0)
		return cu_fail(err, CU_ERR_MALFORMED, "fwid",
		               "nvgpu: the certificate's DICE extension is not {version, key, "
		               "SHA-384 FWID}");
	if (g->fwid_size != 48 || CRYPTO_memcmp(g->fwid, e->fwid, 48))
		return cu_fail(
		    err, CU_ERR_MISMATCH, "fwid",
		    "nvgpu: the report's FWID differs from its attestation certificate's");
	return set_bool(gpu, "fwid_bound", true, err);
}

/* The SPDM nonce against the expected report data, truncated or zero-padded to 32 bytes. */
static int check_binding(const struct gpu_report *g, const struct cu_verify_opts *opts,
                         struct cu_error *err)
{
	uint8_t want[CU_SPDM_NONCE_SIZE] = { 0 };
	char got_hex[17], want_hex[17];

	if (!opts->report_data)
		return 0;
	memcpy(want, opts->report_data,
	       opts->report_data_size < sizeof(want) ? opts->report_data_size : sizeof(want));
	if (!CRYPTO_memcmp(want, g->nonce, sizeof(want)))
		return 0;
	cu_hex_encode(g->nonce, 8, got_hex);
	cu_hex_encode(want, 8, want_hex);
	return cu_fail(err, CU_ERR_BINDING, "binding",
	               "nvgpu: the request nonce %s... does not equal the expected %s...", got_hex,
	               want_hex);
}

static struct rim_entry *find_rim(struct nvgpu_state *st, const char *version)
{
	char lower[64];
	size_t n = strlen(version);

	if (!n || n >= sizeof(lower))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)version[i]);
	for (size_t i = 0; i < st->n_rims; i++)
		if (!strcmp(st->rims[i].rim.version, lower))
			return &st->rims[i];
	return NULL;
}

static int rim_trusted(cu_verifier *v, struct nvgpu_state *st, struct rim_entry *e, int64_t at,
                       const char *what, struct cu_error *err)
{
	struct chain_entry c = { 0 };
	bool ok;
	int r;

	pthread_mutex_lock(&v->lock);
	ok = e->chain.window[1] && at >= e->chain.window[0] && at < e->chain.window[1];
	pthread_mutex_unlock(&v->lock);
	if (ok)
		return 0;
	if ((r = verify_chain(e->rim.certs, st->rim_roots, at, &c, "rim", err)) < 0) {
		char msg[CU_ERROR_MESSAGE_MAX];

		if (err) {
			snprintf(msg, sizeof(msg), "nvgpu: the %s RIM %s: %.200s", what,
			         e->rim.version, err->message);
			memcpy(err->message, msg, sizeof(msg));
		}
		return r;
	}
	pthread_mutex_lock(&v->lock);
	e->chain = c;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static const struct spdm_block *block_of(const struct gpu_report *g, unsigned index)
{
	for (size_t i = 0; i < g->n_blocks; i++)
		if (g->blocks[i].index == index)
			return &g->blocks[i];
	return NULL;
}

static json_t *rim_summary(const struct rim_entry *e)
{
	char subject[256];

	if (!e)
		return json_pack("{s:s}", "status", "missing");
	cu_x509_name_rfc2253(X509_get_subject_name(sk_X509_value(e->rim.certs, 0)), subject,
	                     sizeof(subject));
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "status", "verified", "version", e->rim.version,
	                 "product", e->rim.product, "tag_id", e->rim.tag_id, "signer", subject);
}

/*
 * Compare each measurement block with the active golden values of the driver
 * and VBIOS RIMs (RIM index i is SPDM block i + 1): "match" when one of the
 * alternatives equals it, "mismatch" otherwise (or when the block is
 * missing), "unlisted" for a block no RIM covers. Two RIMs claiming one
 * index is an error, as in NVIDIA's verifier.
 */
static int appraise_rims(cu_verifier *v, struct nvgpu_state *st, const struct gpu_report *g,
                         int64_t at, json_t *gpu, struct cu_error *err)
{
	struct rim_entry *rims[2] = { NULL, NULL };
	static const char *const what[2] = { "driver", "vbios" };
	json_auto_t *results = json_object(), *mism = json_array(), *rim = NULL;
	const char *overall;
	size_t matched = 0;
	char key[8];
	int r, k = 0;

	if (!results || !mism)
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	rims[0] = g->driver_version[0] ? find_rim(st, g->driver_version) : NULL;
	rims[1] = g->vbios_version[0] ? find_rim(st, g->vbios_version) : NULL;
	for (int i = 0; i < 2; i++)
		if (rims[i] && (r = rim_trusted(v, st, rims[i], at, what[i], err)) < 0)
			return r;
	for (unsigned idx = 0; idx < 255; idx++) {
		const struct cu_rim_measurement *gm = NULL;
		const struct spdm_block *b = block_of(g, idx + 1);
		const char *res;

		for (int i = 0; i < 2; i++)
			for (size_t j = 0; rims[i] && j < rims[i]->rim.n_m; j++) {
				const struct cu_rim_measurement *m = &rims[i]->rim.m[j];

				if (m->index != idx || !m->active)
					continue;
				if (gm)
					return cu_fail(err, CU_ERR_MISMATCH, "rim",
					               "nvgpu: the driver and VBIOS RIMs both "
					               "claim measurement index %u",
					               idx);
				gm = m;
			}
		if (!gm && !b)
			continue;
		snprintf(key, sizeof(key), "%u", idx + 1);
		if (!gm) {
			res = "unlisted";
		} else {
			res = "mismatch";
			for (unsigned a = 0; b && a < gm->n_alternatives; a++)
				if (b->size == gm->size &&
				    !CRYPTO_memcmp(b->value, gm->values[a], gm->size))
					res = "match";
			if (!strcmp(res, "match"))
				matched++;
			else
				k |= json_array_append_new(mism, json_integer(idx + 1));
		}
		k |= json_object_set_new(results, key, json_string(res));
	}
	overall = json_array_size(mism) ? "mismatch" : rims[0] && rims[1] ? "match" : "incomplete";
	rim = json_pack("{s:o,s:o,s:s,s:O,s:O,s:i}", "driver", rim_summary(rims[0]), "vbios",
	                rim_summary(rims[1]), "result", overall, "results", results, "mismatches",
	                mism, "matched", (int)matched);
	if (k || !rim || json_object_set(gpu, "rim", rim) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "rim", "out of memory");
	return 0;
}

/* The chain's claims: the leaf's subject, the serials, the device's identity. */
static json_t *device_claims(STACK_OF(X509) * chain)
{
	X509 *leaf = sk_X509_value(chain, 0);
	json_auto_t *serials = json_array(), *c = NULL;
	char subject[256], serial[128] = "";
	int k = 0, idx;

	if (!serials)
		return NULL;
	/* Serial numbers as their content octets in hex. */
	for (int i = 0; i < sk_X509_num(chain); i++) {
		const ASN1_INTEGER *sn = X509_get0_serialNumber(sk_X509_value(chain, i));
		char *hex =
		    cu_hex_encode_alloc(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn));

		k |= !hex || json_array_append_new(serials, json_string(hex)) < 0;
		free(hex);
	}
	cu_x509_name_rfc2253(X509_get_subject_name(leaf), subject, sizeof(subject));
	/* The device's identity: the leaf's subject serialNumber (2.5.4.5). */
	idx = X509_NAME_get_index_by_NID(X509_get_subject_name(leaf), NID_serialNumber, -1);
	if (idx >= 0) {
		ASN1_STRING *s =
		    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(X509_get_subject_name(leaf), idx));
		int n = ASN1_STRING_length(s);

		if (n > 0 && (size_t)n < sizeof(serial)) {
			for (int i = 0; i < n; i++)
				serial[i] = (char)tolower(ASN1_STRING_get0_data(s)[i]);
			serial[n] = '\0';
		}
	}
	c = json_pack("{s:{s:s,s:O}}", "certificate", "subject", subject, "serials", serials);
	if (!c || k || (serial[0] && set(c, "device_id", json_string(serial))))
		return NULL;
	return TAKE_PTR(c);
}

/*
 * The device behind a chain at `at`: from the cache, or parsed, verified to
 * the pinned root and remembered. *ret holds new references (key, claims).
 */
static int device_resolve(cu_verifier *v, struct nvgpu_state *st, const struct gpu_input *in,
                          int64_t at, struct device_entry *ret, struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *chain = NULL;
	struct device_entry e = { 0 };
	bool keyed;
	char group[16] = "";
	int r;

	if (in->n_chain == 0)
		return cu_fail(err, CU_ERR_NOT_FOUND, "chain",
		               "nvgpu: no device certificate chain (the evidence's certificate, "
		               "or custos verify --cert for a raw SPDM report)");
	keyed = chain_digest(in, e.chain.digest);
	pthread_mutex_lock(&v->lock);
	for (size_t i = 0; keyed && i < st->n_devices; i++) {
		const struct device_entry *c = &st->devices[i];

		if (cached(&c->chain, e.chain.digest, at) && EVP_PKEY_up_ref(c->key)) {
			*ret = *c;
			ret->claims = json_deep_copy(c->claims);
			pthread_mutex_unlock(&v->lock);
			if (!ret->claims) {
				EVP_PKEY_free(ret->key);
				return cu_fail(err, CU_ERR_NOMEM, "chain", "out of memory");
			}
			return 0;
		}
	}
	pthread_mutex_unlock(&v->lock);
	for (size_t i = 0; i < in->n_chain; i++)
		if ((r = add_certs(in->chain[i], in->chain_sizes[i], &chain, err)) < 0)
			return r;
	if (!chain || sk_X509_num(chain) == 0)
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "nvgpu: the device certificate chain holds no certificate");
	if ((r = verify_chain(chain, st->device_roots, at, &e.chain, "chain", err)) < 0)
		return r;
	e.key = X509_get_pubkey(sk_X509_value(chain, 0));
	if (!e.key || EVP_PKEY_get_base_id(e.key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(e.key, group, sizeof(group), NULL) ||
	    strcmp(group, "secp384r1")) {
		EVP_PKEY_free(e.key);
		return cu_fail(err, CU_ERR_UNSUPPORTED, "signature",
		               "nvgpu: the attestation certificate's key is not EC P-384");
	}
	read_dice(sk_X509_value(chain, 0), &e);
	if (!(e.claims = device_claims(chain))) {
		device_entry_done(&e);
		return cu_fail(err, CU_ERR_NOMEM, "chain", "out of memory");
	}
	*ret = e;
	/* the cache holds references of its own; failing to make them only skips the cache */
	if (!keyed)
		return 0;
	e.claims = json_deep_copy(ret->claims);
	if (!e.claims || !EVP_PKEY_up_ref(e.key)) {
		json_decref(e.claims);
		return 0;
	}
	pthread_mutex_lock(&v->lock);
	if (st->n_devices < CU_LIMIT_DCAP_PCK_CACHE) {
		st->devices[st->n_devices++] = e;
	} else {
		device_entry_done(&st->devices[st->next]);
		st->devices[st->next] = e;
		st->next = (st->next + 1) % CU_LIMIT_DCAP_PCK_CACHE;
	}
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static int nvgpu_verify(cu_verifier *v, const uint8_t *buf, size_t size,
                        const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err)
{
	struct gpu_input in;
	struct gpu_report *g = NULL;
	struct nvgpu_state *st = NULL;
	struct device_entry dev = { 0 };
	json_t *c = NULL, *gpu;
	const char *id;
	int r;

	if (opts->eventlog)
		return cu_fail(err, CU_ERR_INVALID_ARG, "eventlog",
		               "nvgpu: an event log was given, but GPU evidence has none");
	if (!(g = malloc(sizeof(*g))))
		return cu_fail(err, CU_ERR_NOMEM, "parse", "out of memory");
	if ((r = input_decode(buf, size, opts, &in, err)) < 0 ||
	    (r = report_parse(in.bytes, in.size, g, err)) < 0 ||
	    (r = cu_verifier_state(v, CU_FORMAT_NVGPU, state_build, nvgpu_state_free, (void **)&st,
	                           err)) < 0 ||
	    (r = device_resolve(v, st, &in, opts->at, &dev, err)) < 0)
		goto out;
	if ((r = cu_ecdsa_verify_raw_be(dev.key, NID_secp384r1, EVP_sha384(), in.bytes,
	                                g->signed_size, g->sig, g->sig + 48, 48, err)) < 0) {
		if (err) {
			err->stage = "signature";
			snprintf(err->message, sizeof(err->message),
			         "nvgpu: the SPDM signature does not verify with the attestation "
			         "certificate's key");
		}
		goto out;
	}
	if ((r = report_claims(g, &c)) < 0) {
		r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
		goto out;
	}
	gpu = json_object_get(c, "gpu");
	if ((r = check_fwid(&dev, g, gpu, err)) < 0 || (r = check_binding(g, opts, err)) < 0 ||
	    (r = appraise_rims(v, st, g, opts->at, gpu, err)) < 0)
		goto out;
	id = json_string_value(json_object_get(dev.claims, "device_id"));
	if (json_object_update(gpu, dev.claims) < 0 ||
	    (id && set(c, "platform_id", json_string(id))) ||
	    /* Revocation (NVIDIA's OCSP responder) is not consulted offline. */
	    set(gpu, "revocation", json_string("not_checked")) ||
	    (g->trailing &&
	     set(gpu, "trailing_zero_bytes", json_integer((json_int_t)g->trailing))) ||
	    set(c, "verified", json_true())) {
		r = cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
		goto out;
	}
	*ret = TAKE_PTR(c);
out:
	json_decref(c);
	device_entry_done(&dev);
	input_done(&in);
	free(g);
	return r;
}

int cu_nvgpu_split(const json_t *evidence, json_t **ret_devices, struct cu_error *err)
{
	const json_t *list = json_object_get(evidence, "device_evidence_list"), *d;
	json_auto_t *out = json_array();
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return BAD("expected {\"device_evidence_list\": [devices]}");
	if (json_array_size(list) > CU_LIMIT_GPU_DEVICES)
		return cu_fail(err, CU_ERR_TOO_LARGE, "parse", "nvgpu: %zu devices, limit is %u",
		               json_array_size(list), CU_LIMIT_GPU_DEVICES);
	if (!out)
		return cu_fail(err, CU_ERR_NOMEM, "parse", "out of memory");
	json_array_foreach (list, i, d) {
		if (!json_is_object(d))
			return BAD("device_evidence_list[%zu] is not an object", i);
		if (json_array_append(out, (json_t *)d) < 0)
			return cu_fail(err, CU_ERR_NOMEM, "parse", "out of memory");
	}
	*ret_devices = TAKE_PTR(out);
	return 0;
}

const struct cu_evidence_ops cu_nvgpu_ops = {
	.name = "nvgpu",
	.tee = "nvidia-gpu",
	.detect = nvgpu_detect,
	.inspect = nvgpu_inspect,
	.verify = nvgpu_verify,
	.state_free = nvgpu_state_free,
};
