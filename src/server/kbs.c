/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Trustee KBS attestation protocol 0.4.0 (RCAR), as PROTOCOLS.md
 * describes it: POST /kbs/v0/auth hands out a challenge and a kbs-session-id
 * cookie; POST /kbs/v0/attest checks the nonce and the binding
 * REPORT_DATA = SHA-384(JCS({"additional-evidence", "nonce", "tee-pubkey"}))
 * zero-padded to 64 bytes, verifies and appraises the evidence, and returns
 * {"token": EAR}. Errors use Trustee's shape {"type", "detail"} and status
 * (401 for everything but a bad path).
 */
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/jcs.h"
#include "../base/json.h"
#include "../crypto/sig.h"
#include "../base/limits.h"
#include "../evidence/dcap_trustee.h"
#include "../evidence/nvgpu.h"
#include "../evidence/snp_trustee.h"
#include "kbs.h"
#include "service.h"

#define KBS_VERSION "0.4.0"
#define ERR_PREFIX  "https://github.com/confidential-containers/kbs/errors/"

static void kbs_error(struct cu_http_response *resp, unsigned status, const char *kind,
                      const char *detail)
{
	char type[128];
	json_t *j;

	snprintf(type, sizeof(type), ERR_PREFIX "%s", kind);
	j = json_pack("{s:s,s:s}", "type", type, "detail", detail);
	cu_http_reply_json(resp, status, j);
	json_decref(j);
}

static void set_cookie(struct cu_http_response *resp, const struct cu_session *s, int64_t now)
{
	char cookie[160];

	snprintf(cookie, sizeof(cookie),
	         "kbs-session-id=%s; Path=/kbs/v0; Max-Age=%lld; Secure; HttpOnly; SameSite=Strict",
	         s->id, (long long)(s->expires > now ? s->expires - now : 0));
	cu_http_add_header(resp, "Set-Cookie", cookie);
}

/* Standard base64 (with padding), as Trustee encodes the challenge nonce. */
static void b64_std(const uint8_t *in, size_t n, char *out, size_t size)
{
	if (size < 4 * ((n + 2) / 3) + 1) {
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

void cu_kbs_auth(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };
	json_auto_t *body = NULL, *out = NULL;
	const char *version, *tee;
	char nonce[64];

	if (cu_json_parse((const char *)req->body, req->body_size, svc->config.max_body, "request",
	                  &body, &err) < 0) {
		kbs_error(resp, 401, "SerdeError", err.message);
		return;
	}
	version = json_string_value(json_object_get(body, "version"));
	tee = json_string_value(json_object_get(body, "tee"));
	if (!version || strcmp(version, KBS_VERSION)) {
		kbs_error(resp, 401, "HTTPFailed",
		          "KBS protocol version " KBS_VERSION " is required (Request.version)");
		return;
	}
	if (!tee || !cu_kbs_tee_supported(tee)) {
		char msg[128];

		snprintf(msg, sizeof(msg),
		         "TEE \"%.32s\" is not supported (supported: snp, tdx, sgx)",
		         tee ? tee : "");
		kbs_error(resp, 401, "AttestationError", msg);
		return;
	}
	cu_http_log_set(req, "tee", tee);
	if (cu_server_session_new(svc, "kbs", tee, &s, &err) < 0) {
		kbs_error(resp, 401, "HTTPFailed", err.message);
		return;
	}
	b64_std(s.nonce, sizeof(s.nonce), nonce, sizeof(nonce));
	out = json_pack("{s:s,s:s}", "nonce", nonce, "extra-params", "");
	cu_http_reply_json(resp, 200, out);
	set_cookie(resp, &s, (int64_t)time(NULL));
	cu_session_clear(&s);
}

/* TEEs whose primary evidence is a JSON object that is itself the evidence. */
static bool json_tee(const char *tee)
{
	return !strcmp(tee, "tpm") || !strcmp(tee, "az-snp-vtpm") || !strcmp(tee, "az-tdx-vtpm");
}

bool cu_kbs_tee_supported(const char *tee)
{
	return !strcmp(tee, "snp") || !strcmp(tee, "tdx") || !strcmp(tee, "sgx") ||
	       !strcmp(tee, "nitro") || json_tee(tee);
}

/* tee-evidence.primary_evidence, decoded: the evidence bytes and what travels with them. */
struct kbs_evidence {
	struct cu_snp_trustee_evidence snp;
	struct cu_dcap_trustee_evidence dcap;
	char *json;   /* JSON evidence (TPM, Azure vTPM), serialised as received */
	uint8_t *doc; /* a Nitro attestation document, decoded */
	const uint8_t *bytes;
	size_t size;
	const char *format; /* cu_verify's name of it */
};

static int primary_evidence(const char *tee, const json_t *primary, struct kbs_evidence *ret,
                            struct cu_error *err)
{
	int r;

	if (!strcmp(tee, "snp")) {
		if ((r = cu_snp_trustee_evidence_parse(primary, &ret->snp, err)) < 0)
			return r;
		ret->bytes = ret->snp.report;
		ret->size = sizeof(ret->snp.report);
		ret->format = "snp";
		return 0;
	}
	if (!strcmp(tee, "tdx") || !strcmp(tee, "sgx")) {
		if ((r = cu_dcap_trustee_evidence_parse(primary, !strcmp(tee, "tdx"), &ret->dcap,
		                                        err)) < 0)
			return r;
		ret->bytes = ret->dcap.quote;
		ret->size = ret->dcap.quote_size;
		ret->format = tee;
		return 0;
	}
	if (!strcmp(tee, "nitro")) {
		/* a Custos extension: {"attestation_document": base64 COSE_Sign1} */
		const char *d = json_string_value(json_object_get(primary, "attestation_document"));
		size_t n = 0;

		if (!d || cu_base64_decode(d, strlen(d), &ret->doc, &n) < 0 || n == 0)
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "kbs: nitro: primary_evidence is {\"attestation_document\": "
			               "base64}");
		ret->bytes = ret->doc;
		ret->size = n;
		ret->format = "nitro";
		return 0;
	}
	if (json_tee(tee)) {
		if (!json_is_object(primary))
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "kbs: %s: primary_evidence is not a JSON object", tee);
		if (!(ret->json = json_dumps(primary, JSON_COMPACT)))
			return cu_fail(err, CU_ERR_NOMEM, "parse", "out of memory");
		ret->bytes = (const uint8_t *)ret->json;
		ret->size = strlen(ret->json);
		ret->format = tee;
		return 0;
	}
	return cu_fail(err, CU_ERR_UNSUPPORTED, "parse", "kbs: TEE %s is not supported", tee);
}

static void kbs_evidence_clear(struct kbs_evidence *e)
{
	cu_snp_trustee_evidence_clear(&e->snp);
	cu_dcap_trustee_evidence_clear(&e->dcap);
	free(e->json);
	free(e->doc);
}

int cu_server_additional_gpus(const json_t *map, json_t **ret_gpus, struct cu_error *err)
{
	const char *tee;
	json_t *ev;
	int r;

	*ret_gpus = NULL;
	if (!json_is_object(map))
		return cu_fail(err, CU_ERR_MALFORMED, "parse",
		               "additional_evidence: expected a JSON object {tee: evidence}");
	json_object_foreach ((json_t *)map, tee, ev) {
		if (strcmp(tee, "nvidia") && strcmp(tee, "nvgpu"))
			return cu_fail(
			    err, CU_ERR_UNSUPPORTED, "parse",
			    "additional_evidence: tee \"%.40s\" is not supported (nvidia "
			    "is)",
			    tee);
		if (*ret_gpus)
			return cu_fail(err, CU_ERR_MALFORMED, "parse",
			               "additional_evidence: GPU evidence given twice");
		if ((r = cu_nvgpu_split(ev, ret_gpus, err)) < 0)
			return r;
	}
	return 0;
}

/*
 * Trustee's additional_evidence: a JSON *string* holding the map tee ->
 * evidence (cu_server_additional_gpus), each GPU to be bound to
 * SHA-384(JCS({"nonce", "tee-pubkey"})) in gpu_digest.
 */
static int additional_evidence(const json_t *additional, const char *nonce, const json_t *pubkey,
                               json_t **ret_gpus, uint8_t gpu_digest[48], struct cu_error *err)
{
	const char *text = json_string_value(additional);
	json_auto_t *map = NULL, *binding = NULL;
	_cleanup_free_ char *canon = NULL;
	size_t canon_size;
	int r;

	*ret_gpus = NULL;
	if (!text || !text[0])
		return 0;
	if ((r = cu_json_parse(text, strlen(text), CU_LIMIT_HTTP_BODY, "additional_evidence", &map,
	                       err)) < 0 ||
	    (r = cu_server_additional_gpus(map, ret_gpus, err)) < 0)
		return r;
	binding = json_pack("{s:s,s:O}", "nonce", nonce, "tee-pubkey", pubkey);
	if (!binding || (r = cu_jcs_serialize(binding, &canon, &canon_size, err)) < 0)
		return binding ? r : cu_fail(err, CU_ERR_NOMEM, "parse", "out of memory");
	cu_sha384(canon, canon_size, gpu_digest);
	return 0;
}

void cu_kbs_attest(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };
	struct kbs_evidence ev = { 0 };
	json_auto_t *body = NULL, *binding = NULL, *trace = NULL, *out = NULL, *runtime = NULL,
	            *gpus = NULL;
	const json_t *rt, *teev, *pubkey, *additional;
	const char *cookie = cu_http_cookie(req, "kbs-session-id"), *nonce, *status = NULL;
	_cleanup_free_ char *canon = NULL, *token = NULL;
	size_t canon_size;
	uint8_t digest[48], gpu_digest[48];
	char want_nonce[64];
	const uint8_t *extra[CU_SNP_TRUSTEE_MAX_CERTS];
	int64_t now = (int64_t)time(NULL);

	if (!cookie) {
		kbs_error(resp, 401, "AttestationError",
		          "no kbs-session-id cookie: call /kbs/v0/auth first");
		return;
	}
	if (cu_store_session_get(svc->store, cookie, now, &s, &err) < 0 || strcmp(s.kind, "kbs")) {
		kbs_error(resp, 401, "AttestationError",
		          "unknown or expired session: call /kbs/v0/auth again");
		goto out;
	}
	cu_http_log_set(req, "tee", s.tee);
	/* The same session attested already: the same result again (as Trustee does). */
	if (s.token) {
		out = json_pack("{s:s}", "token", s.token);
		cu_http_reply_json(resp, 200, out);
		set_cookie(resp, &s, now);
		goto out;
	}
	if (cu_json_parse((const char *)req->body, req->body_size, svc->config.max_body, "request",
	                  &body, &err) < 0) {
		kbs_error(resp, 401, "SerdeError", err.message);
		goto out;
	}
	rt = json_object_get(body, "runtime-data");
	teev = json_object_get(body, "tee-evidence");
	nonce = json_string_value(json_object_get(rt, "nonce"));
	pubkey = json_object_get(rt, "tee-pubkey");
	additional = json_object_get(teev, "additional_evidence");
	if (!nonce || !json_is_object(pubkey) || !json_is_object(teev) ||
	    !json_object_get(teev, "primary_evidence") ||
	    (additional && !json_is_string(additional))) {
		kbs_error(
		    resp, 401, "SerdeError",
		    "expected {\"runtime-data\": {\"nonce\", \"tee-pubkey\"}, \"tee-evidence\": "
		    "{\"primary_evidence\", \"additional_evidence\"}}");
		goto out;
	}
	b64_std(s.nonce, sizeof(s.nonce), want_nonce, sizeof(want_nonce));
	if (strlen(nonce) != strlen(want_nonce) ||
	    CRYPTO_memcmp(nonce, want_nonce, strlen(want_nonce))) {
		kbs_error(resp, 401, "AttestationError",
		          "runtime-data.nonce is not this session's challenge");
		goto out;
	}
	/* The digest the guest put in its report data (PROTOCOLS.md, Server checks). */
	binding = json_pack("{s:s,s:s,s:O}", "additional-evidence",
	                    additional ? json_string_value(additional) : "", "nonce", nonce,
	                    "tee-pubkey", pubkey);
	if (!binding || cu_jcs_serialize(binding, &canon, &canon_size, &err) < 0) {
		kbs_error(resp, 401, "SerdeError", err.message[0] ? err.message : "out of memory");
		goto out;
	}
	cu_sha384(canon, canon_size, digest);
	if (additional_evidence(additional, nonce, pubkey, &gpus, gpu_digest, &err) < 0) {
		kbs_error(resp, 401, "AttestationError", err.message);
		goto out;
	}
	if (primary_evidence(s.tee, json_object_get(teev, "primary_evidence"), &ev, &err) < 0) {
		kbs_error(resp, 401, "AttestationError", err.message);
		goto out;
	}
	for (size_t i = 0; i < ev.snp.n_certs; i++)
		extra[i] = ev.snp.certs[i];
	runtime = json_pack("{s:s,s:O}", "nonce", nonce, "tee-pubkey", pubkey);
	{
		struct cu_attest_in in = {
			.format = ev.format,
			.evidence = ev.bytes,
			.size = ev.size,
			.binding_digest = digest,
			.runtime = runtime,
			.nonce = s.nonce,
			.nonce_size = sizeof(s.nonce),
			.extra = extra,
			.extra_sizes = ev.snp.cert_sizes,
			.n_extra = ev.snp.n_certs,
			.eventlog = ev.dcap.eventlog,
			.eventlog_size = ev.dcap.eventlog_size,
			.gpus = gpus,
			.gpu_binding = gpu_digest,
		};
		if (cu_server_attest(svc, &in, &token, &trace, &status, &err) < 0) {
			struct cu_error aerr = { 0 };

			cu_http_log_set(req, "decision", "rejected");
			if (cu_server_audit_attestation(svc, "kbs", s.id, s.tee, ev.bytes, ev.size,
			                                gpus, "rejected", err.message, &aerr) < 0)
				kbs_error(resp, 401, "HTTPFailed", aerr.message);
			else
				kbs_error(resp, 401, "AttestationError", err.message);
			goto out;
		}
	}
	cu_http_log_set(req, "decision", status);
	if (cu_server_audit_attestation(svc, "kbs", s.id, s.tee, ev.bytes, ev.size, gpus, status,
	                                NULL, &err) < 0 ||
	    cu_store_session_set_token(svc->store, s.id, token, &err) < 0) {
		kbs_error(resp, 401, "HTTPFailed", err.message);
		goto out;
	}
	out = json_pack("{s:s}", "token", token);
	cu_http_reply_json(resp, 200, out);
	set_cookie(resp, &s, now);
out:
	kbs_evidence_clear(&ev);
	cu_session_clear(&s);
}
