/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SEV-SNP evidence as Confidential Containers guests send it to a Trustee KBS:
 * SnpEvidence {attestation_report, cert_chain} serialised by serde from the
 * virtee/sev crate. The report arrives as a JSON structure, not as bytes, so
 * the 1184-byte ATTESTATION_REPORT is rebuilt here field by field at the
 * offsets of ABI 56860 Table 23 (reserved bytes zero), and then verified like
 * any other report: a field rebuilt wrongly fails the signature, it cannot
 * pass unsigned.
 *
 * Accepted: the sev 5.x-7.x serialisation (byte arrays as arrays of integers;
 * policy, plat_info, key_info as integers; TCB versions as {fmc?, bootloader,
 * tee, snp, microcode}; current/committed as {major, minor, build}; signature
 * {r, s} of 72 bytes each) and the sev 1.x one (current_build/minor/major,
 * _author_key_en). cert_chain entries {cert_type: "VCEK"|"VLEK"|..., data:
 * [DER bytes]} become extra collateral for this verification.
 */
#include <stdlib.h>
#include <string.h>

#include "../base/error.h"
#include "../base/limits.h"
#include "snp.h"
#include "snp_trustee.h"

#define STAGE "parse"

static void put_u32(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int get_uint(const json_t *o, const char *where, const char *key, uint64_t max,
                    bool optional, uint64_t *ret, struct cu_error *err)
{
	const json_t *v = json_object_get(o, key);

	if ((!v || json_is_null(v)) && optional) {
		*ret = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: %s.%s: expected an integer from 0 to %llu", where, key,
		               (unsigned long long)max);
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

/* A byte array serialised as a JSON array of n integers 0-255. */
static int get_bytes(const json_t *o, const char *where, const char *key, uint8_t *out, size_t n,
                     struct cu_error *err)
{
	const json_t *v = json_object_get(o, key), *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) != n)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: %s.%s: expected an array of %zu bytes", where, key, n);
	json_array_foreach (v, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 255)
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "snp: %s.%s[%zu]: expected a byte", where, key, i);
		out[i] = (uint8_t)json_integer_value(e);
	}
	return 0;
}

/* TCB_VERSION (ABI Table 3): Milan/Genoa layout, or Turin's when FMC is present. */
static int get_tcb(const json_t *o, const char *key, bool turin, uint8_t out[8],
                   struct cu_error *err)
{
	const json_t *t = json_object_get(o, key);
	uint64_t fmc, bl, tee, snp, ucode;
	int r;

	if (!json_is_object(t))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: attestation_report.%s: expected a TCB version object", key);
	char where[64];

	snprintf(where, sizeof(where), "attestation_report.%s", key);
	if ((r = get_uint(t, where, "bootloader", 255, false, &bl, err)) < 0 ||
	    (r = get_uint(t, where, "tee", 255, false, &tee, err)) < 0 ||
	    (r = get_uint(t, where, "snp", 255, false, &snp, err)) < 0 ||
	    (r = get_uint(t, where, "microcode", 255, false, &ucode, err)) < 0 ||
	    (r = get_uint(t, where, "fmc", 255, true, &fmc, err)) < 0)
		return r;
	memset(out, 0, 8);
	if (turin) {
		out[0] = (uint8_t)fmc;
		out[1] = (uint8_t)bl;
		out[2] = (uint8_t)tee;
		out[3] = (uint8_t)snp;
	} else {
		out[0] = (uint8_t)bl;
		out[1] = (uint8_t)tee;
		out[6] = (uint8_t)snp;
	}
	out[7] = (uint8_t)ucode;
	return 0;
}

/* {major, minor, build} (sev 5+) or PREFIX_build/minor/major (sev 1.x): bytes build, minor, major. */
static int get_version(const json_t *o, const char *key, uint8_t out[3], struct cu_error *err)
{
	const json_t *v = json_object_get(o, key);
	uint64_t major, minor, build;
	char k[32];
	int r;

	if (json_is_object(v)) {
		char where[64];

		snprintf(where, sizeof(where), "attestation_report.%s", key);
		if ((r = get_uint(v, where, "major", 255, false, &major, err)) < 0 ||
		    (r = get_uint(v, where, "minor", 255, false, &minor, err)) < 0 ||
		    (r = get_uint(v, where, "build", 255, false, &build, err)) < 0)
			return r;
	} else if (v) {
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: attestation_report.%s: expected {\"major\", \"minor\", "
		               "\"build\"}",
		               key);
	} else {
		/* sev 1.x: <key>_major, <key>_minor, <key>_build */
		snprintf(k, sizeof(k), "%s_major", key);
		if (!json_object_get(o, k))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "snp: attestation_report.%s.major: missing", key);
		if ((r = get_uint(o, "attestation_report", k, 255, false, &major, err)) < 0)
			return r;
		snprintf(k, sizeof(k), "%s_minor", key);
		if ((r = get_uint(o, "attestation_report", k, 255, false, &minor, err)) < 0)
			return r;
		snprintf(k, sizeof(k), "%s_build", key);
		if ((r = get_uint(o, "attestation_report", k, 255, false, &build, err)) < 0)
			return r;
	}
	out[0] = (uint8_t)build;
	out[1] = (uint8_t)minor;
	out[2] = (uint8_t)major;
	return 0;
}

int cu_snp_report_from_json(const json_t *rep, uint8_t out[CU_SNP_REPORT_SIZE],
                            struct cu_error *err)
{
	uint8_t b[CU_SNP_REPORT_SIZE] = { 0 };
	uint64_t version, svn, policy, vmpl, algo, plat, keyinfo, fam = 0, mod = 0, step = 0;
	uint64_t launch_mit = 0, current_mit = 0;
	const json_t *sig;
	bool turin;
	int r;

	if (!json_is_object(rep))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: attestation_report: expected an object");
	if ((r = get_uint(rep, "attestation_report", "version", UINT32_MAX, false, &version, err)) <
	        0 ||
	    (r = get_uint(rep, "attestation_report", "guest_svn", UINT32_MAX, false, &svn, err)) <
	        0 ||
	    (r = get_uint(rep, "attestation_report", "policy", UINT64_MAX >> 1, false, &policy,
	                  err)) < 0 ||
	    (r = get_uint(rep, "attestation_report", "vmpl", UINT32_MAX, false, &vmpl, err)) < 0 ||
	    (r = get_uint(rep, "attestation_report", "sig_algo", UINT32_MAX, false, &algo, err)) <
	        0 ||
	    (r = get_uint(rep, "attestation_report", "plat_info", UINT64_MAX >> 1, false, &plat,
	                  err)) < 0)
		return r;
	/* sev 5+: key_info; sev 1.x: _author_key_en (the same 32-bit word at 0x048). */
	if (json_object_get(rep, "key_info") || !json_object_get(rep, "_author_key_en"))
		r = get_uint(rep, "attestation_report", "key_info", UINT32_MAX, false, &keyinfo,
		             err);
	else
		r = get_uint(rep, "attestation_report", "_author_key_en", UINT32_MAX, false,
		             &keyinfo, err);
	if (r < 0)
		return r;
	if (version >= 3 &&
	    ((r = get_uint(rep, "attestation_report", "cpuid_fam_id", 255, true, &fam, err)) < 0 ||
	     (r = get_uint(rep, "attestation_report", "cpuid_mod_id", 255, true, &mod, err)) < 0 ||
	     (r = get_uint(rep, "attestation_report", "cpuid_step", 255, true, &step, err)) < 0))
		return r;
	if (version >= 5 && ((r = get_uint(rep, "attestation_report", "launch_mit_vector",
	                                   UINT64_MAX >> 1, true, &launch_mit, err)) < 0 ||
	                     (r = get_uint(rep, "attestation_report", "current_mit_vector",
	                                   UINT64_MAX >> 1, true, &current_mit, err)) < 0))
		return r;
	turin = version >= 3 &&
	        cu_snp_product_from_cpuid((uint8_t)fam, (uint8_t)mod) == CU_SNP_PRODUCT_TURIN;

	/* [ABI] Table 23 */
	put_u32(b + 0x000, version);
	put_u32(b + 0x004, svn);
	put_u64(b + 0x008, policy);
	if ((r = get_bytes(rep, "attestation_report", "family_id", b + 0x010, 16, err)) < 0 ||
	    (r = get_bytes(rep, "attestation_report", "image_id", b + 0x020, 16, err)) < 0)
		return r;
	put_u32(b + 0x030, vmpl);
	put_u32(b + 0x034, algo);
	if ((r = get_tcb(rep, "current_tcb", turin, b + 0x038, err)) < 0)
		return r;
	put_u64(b + 0x040, plat);
	put_u32(b + 0x048, keyinfo);
	if ((r = get_bytes(rep, "attestation_report", "report_data", b + 0x050, 64, err)) < 0 ||
	    (r = get_bytes(rep, "attestation_report", "measurement", b + 0x090, 48, err)) < 0 ||
	    (r = get_bytes(rep, "attestation_report", "host_data", b + 0x0C0, 32, err)) < 0 ||
	    (r = get_bytes(rep, "attestation_report", "id_key_digest", b + 0x0E0, 48, err)) < 0 ||
	    (r = get_bytes(rep, "attestation_report", "author_key_digest", b + 0x110, 48, err)) <
	        0 ||
	    (r = get_bytes(rep, "attestation_report", "report_id", b + 0x140, 32, err)) < 0 ||
	    (r = get_bytes(rep, "attestation_report", "report_id_ma", b + 0x160, 32, err)) < 0 ||
	    (r = get_tcb(rep, "reported_tcb", turin, b + 0x180, err)) < 0)
		return r;
	if (version >= 3) {
		b[0x188] = (uint8_t)fam;
		b[0x189] = (uint8_t)mod;
		b[0x18A] = (uint8_t)step;
	}
	if ((r = get_bytes(rep, "attestation_report", "chip_id", b + 0x1A0, 64, err)) < 0 ||
	    (r = get_tcb(rep, "committed_tcb", turin, b + 0x1E0, err)) < 0 ||
	    (r = get_version(rep, "current", b + 0x1E8, err)) < 0 ||
	    (r = get_version(rep, "committed", b + 0x1EC, err)) < 0 ||
	    (r = get_tcb(rep, "launch_tcb", turin, b + 0x1F0, err)) < 0)
		return r;
	if (version >= 5) {
		put_u64(b + 0x1F8, launch_mit);
		put_u64(b + 0x200, current_mit);
	}
	sig = json_object_get(rep, "signature");
	if (!json_is_object(sig))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: attestation_report.signature: expected {\"r\", \"s\"}");
	if ((r = get_bytes(sig, "attestation_report.signature", "r", b + 0x2A0, 72, err)) < 0 ||
	    (r = get_bytes(sig, "attestation_report.signature", "s", b + 0x2E8, 72, err)) < 0)
		return r;
	memcpy(out, b, sizeof(b));
	return 0;
}

void cu_snp_trustee_evidence_clear(struct cu_snp_trustee_evidence *e)
{
	for (size_t i = 0; i < e->n_certs; i++)
		free(e->certs[i]);
	memset(e, 0, sizeof(*e));
}

int cu_snp_trustee_evidence_parse(const json_t *ev, struct cu_snp_trustee_evidence *ret,
                                  struct cu_error *err)
{
	struct cu_snp_trustee_evidence e = { 0 };
	const json_t *chain, *entry;
	size_t i;
	int r;

	if (!json_is_object(ev))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: evidence: expected {\"attestation_report\", \"cert_chain\"}");
	r = cu_snp_report_from_json(json_object_get(ev, "attestation_report"), e.report, err);
	if (r < 0)
		return r;
	chain = json_object_get(ev, "cert_chain");
	if (chain && !json_is_null(chain) && !json_is_array(chain))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "snp: cert_chain: expected a list or null");
	json_array_foreach (chain, i, entry) {
		const json_t *type = json_object_get(entry, "cert_type");
		const json_t *data = json_object_get(entry, "data"), *byte;
		size_t j, n = json_array_size(data);
		uint8_t *der;

		if (!json_is_array(data) || n == 0 || n > CU_LIMIT_COLLATERAL_FILE_SIZE) {
			cu_snp_trustee_evidence_clear(&e);
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "snp: cert_chain[%zu].data: expected the certificate bytes",
			               i);
		}
		/* Only endorsement keys are taken: roots and intermediates are built in. */
		if (!json_is_string(type) || (strcmp(json_string_value(type), "VCEK") &&
		                              strcmp(json_string_value(type), "VLEK")))
			continue;
		if (e.n_certs == CU_SNP_TRUSTEE_MAX_CERTS) {
			cu_snp_trustee_evidence_clear(&e);
			return cu_fail(err, CU_ERR_TOO_LARGE, STAGE,
			               "snp: cert_chain: more than %d endorsement keys",
			               CU_SNP_TRUSTEE_MAX_CERTS);
		}
		der = malloc(n);
		if (!der) {
			cu_snp_trustee_evidence_clear(&e);
			return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
		}
		json_array_foreach (data, j, byte) {
			if (!json_is_integer(byte) || json_integer_value(byte) < 0 ||
			    json_integer_value(byte) > 255) {
				free(der);
				cu_snp_trustee_evidence_clear(&e);
				return cu_fail(err, CU_ERR_MALFORMED, STAGE,
				               "snp: cert_chain[%zu].data[%zu]: expected a byte", i,
				               j);
			}
			der[j] = (uint8_t)json_integer_value(byte);
		}
		e.certs[e.n_certs] = der;
		e.cert_sizes[e.n_certs++] = n;
	}
	*ret = e;
	return 0;
}

/* ---- The other way: raw report -> the sev crate's JSON (what guests send) ---------- */

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static json_t *byte_array(const uint8_t *p, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(p[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *tcb_json(const uint8_t *p, bool turin)
{
	return turin ? json_pack("{s:i,s:i,s:i,s:i,s:i}", "fmc", p[0], "bootloader", p[1], "tee",
	                         p[2], "snp", p[3], "microcode", p[7])
	             : json_pack("{s:n,s:i,s:i,s:i,s:i}", "fmc", "bootloader", p[0], "tee", p[1],
	                         "snp", p[6], "microcode", p[7]);
}

int cu_snp_report_to_json(const uint8_t *b, size_t size, json_t **ret, struct cu_error *err)
{
	struct cu_snp_report r;
	json_auto_t *j = NULL;
	bool v3 = false, turin = false;
	int k;

	if ((k = cu_snp_report_parse(b, size, &r, err)) < 0)
		return k;
	v3 = r.version >= 3;
	turin =
	    v3 && cu_snp_product_from_cpuid(r.cpuid_fam_id, r.cpuid_mod_id) == CU_SNP_PRODUCT_TURIN;
	/* virtee/sev 6.x/7.x AttestationReport, field by field in its order */
	j = json_pack(
	    "{s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "version",
	    (json_int_t)r.version, "guest_svn", (json_int_t)r.guest_svn, "policy",
	    (json_int_t)r.policy, "family_id", byte_array(b + 0x10, 16), "image_id",
	    byte_array(b + 0x20, 16), "vmpl", (json_int_t)r.vmpl, "sig_algo",
	    (json_int_t)r.signature_algo, "current_tcb", tcb_json(b + 0x38, turin), "plat_info",
	    (json_int_t)r.platform_info, "key_info", (json_int_t)le(b + 0x48, 4), "report_data",
	    byte_array(b + 0x50, 64), "measurement", byte_array(b + 0x90, 48), "host_data",
	    byte_array(b + 0xC0, 32), "id_key_digest", byte_array(b + 0xE0, 48),
	    "author_key_digest", byte_array(b + 0x110, 48), "report_id", byte_array(b + 0x140, 32),
	    "report_id_ma", byte_array(b + 0x160, 32), "reported_tcb", tcb_json(b + 0x180, turin));
	if (!j)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	k = 0;
	k |= json_object_set_new(j, "cpuid_fam_id", v3 ? json_integer(b[0x188]) : json_null());
	k |= json_object_set_new(j, "cpuid_mod_id", v3 ? json_integer(b[0x189]) : json_null());
	k |= json_object_set_new(j, "cpuid_step", v3 ? json_integer(b[0x18A]) : json_null());
	k |= json_object_set_new(j, "chip_id", byte_array(b + 0x1A0, 64));
	k |= json_object_set_new(j, "committed_tcb", tcb_json(b + 0x1E0, turin));
	k |= json_object_set_new(
	    j, "current",
	    json_pack("{s:i,s:i,s:i}", "major", b[0x1EA], "minor", b[0x1E9], "build", b[0x1E8]));
	k |= json_object_set_new(
	    j, "committed",
	    json_pack("{s:i,s:i,s:i}", "major", b[0x1EE], "minor", b[0x1ED], "build", b[0x1EC]));
	k |= json_object_set_new(j, "launch_tcb", tcb_json(b + 0x1F0, turin));
	if (r.version >= 5) {
		k |= json_object_set_new(j, "launch_mit_vector",
		                         json_integer((json_int_t)r.launch_mit_vector));
		k |= json_object_set_new(j, "current_mit_vector",
		                         json_integer((json_int_t)r.current_mit_vector));
	}
	k |= json_object_set_new(
	    j, "signature",
	    json_pack("{s:o,s:o}", "r", byte_array(b + 0x2A0, 72), "s", byte_array(b + 0x2E8, 72)));
	if (k)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	*ret = TAKE_PTR(j);
	return 0;
}
