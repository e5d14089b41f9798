/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custosd's routes: operations (/healthz, /readyz, /metrics), key discovery
 * (/.well-known/...), the native API (/v1/challenge, /v1/attest) and the Trustee
 * KBS protocol 0.4.0 (/kbs/v0/auth, /kbs/v0/attest). See docs/api.md.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/jcs.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../base/time.h"
#include "../crypto/sig.h"
#include "admin.h"
#include "kbs.h"
#include "tpm_enroll.h"
#include "service.h"

/* ---- helpers ------------------------------------------------------------------------ */

static int64_t now(void)
{
	return (int64_t)time(NULL);
}

/* A random UUID (version 4) for a session. */
static int new_session_id(char out[CU_SESSION_ID_SIZE])
{
	uint8_t b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, CU_SESSION_ID_SIZE,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
	return 0;
}

int cu_server_session_new(struct cu_service *svc, const char *kind, const char *tee,
                          struct cu_session *ret, struct cu_error *err)
{
	struct cu_session s = { 0 };

	if (new_session_id(s.id) < 0 || RAND_bytes(s.nonce, sizeof(s.nonce)) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, "session", "session: no randomness");
	snprintf(s.kind, sizeof(s.kind), "%s", kind);
	snprintf(s.tee, sizeof(s.tee), "%s", tee);
	s.created = now();
	s.expires = s.created + svc->config.session_lifetime;
	if (cu_store_session_put(svc->store, &s, err) < 0)
		return err ? err->code : CU_ERR_IO;
	*ret = s;
	return 0;
}

/* The worst EAR status over the submodules. */
static enum cu_ear_status worst_status(const json_t *submods)
{
	enum cu_ear_status worst = CU_EAR_NONE;
	const char *name;
	const json_t *sm;

	json_object_foreach ((json_t *)submods, name, sm)
		for (enum cu_ear_status e = CU_EAR_NONE; e <= CU_EAR_CONTRAINDICATED; e++)
			if (!strcmp(cu_ear_status_name(e),
			            json_string_value(json_object_get(sm, "ear.status")) ?: "") &&
			    e > worst)
				worst = e;
	return worst;
}

/*
 * Each additional GPU verified (bound to in->gpu_binding) and appraised with
 * the GPU appraisal policy into submodule gpu<i>. One that fails fails the
 * whole attestation: a result must never cover less than was presented.
 */
static int attest_gpus(struct cu_service *svc, const struct cu_attest_in *in, int64_t at,
                       json_t *submods, struct cu_error *err)
{
	struct cu_verify_opts o = { .at = at,
		                    .report_data = in->gpu_binding,
		                    .report_data_size = 48 };
	const json_t *dev;
	size_t i;
	int r;

	json_array_foreach (in->gpus, i, dev) {
		json_auto_t *claims = NULL, *submod = NULL;
		_cleanup_free_ char *text = json_dumps(dev, JSON_COMPACT);
		char name[32], msg[CU_ERROR_MESSAGE_MAX];

		snprintf(name, sizeof(name), "gpu%zu", i);
		if (!text)
			return cu_fail(err, CU_ERR_NOMEM, "gpu", "out of memory");
		r = cu_verify(svc->verifier, "nvgpu", (const uint8_t *)text, strlen(text), &o,
		              &claims, err);
		if (r == 0)
			r = cu_appraise(svc->gpu_appraisal, claims, at, &submod, NULL, err);
		if (r < 0) {
			if (err) {
				snprintf(msg, sizeof(msg), "%s: %.280s", name, err->message);
				memcpy(err->message, msg, sizeof(msg));
			}
			return r;
		}
		if (json_object_set(submods, name, submod) < 0)
			return cu_fail(err, CU_ERR_NOMEM, "ear", "ear: out of memory");
	}
	return 0;
}

/*
 * Verify evidence bound to SHA-384(binding) (zero-padded to 64 bytes),
 * appraise it, and sign the attestation result. `runtime` joins the claims as
 * runtime_data_claims (where Trustee's KBS finds tee-pubkey).
 */
int cu_server_attest(struct cu_service *svc, const struct cu_attest_in *in, char **ret_token,
                     json_t **ret_trace, const char **ret_status, struct cu_error *err)
{
	uint8_t report_data[64] = { 0 };
	struct cu_verify_opts o = { .at = now(),
		                    .extra_collateral = in->extra,
		                    .extra_collateral_sizes = in->extra_sizes,
		                    .n_extra_collateral = in->n_extra,
		                    .eventlog = in->eventlog,
		                    .eventlog_size = in->eventlog_size };
	struct cu_ear_opts eo = { .iat = o.at,
		                  .lifetime = svc->config.token_lifetime,
		                  .issuer = svc->config.issuer,
		                  .nonce = in->nonce,
		                  .nonce_size = in->nonce_size };
	json_auto_t *claims = NULL, *submod = NULL, *submods = NULL, *ear = NULL;
	int r;

	memcpy(report_data, in->binding_digest, 48);
	o.report_data = report_data;
	o.report_data_size = sizeof(report_data);
	const char *format = in->format ? in->format : cu_detect_format(in->evidence, in->size);
	/* TPM AKs registered by credential activation are looked up by the verifier */
	o.registered_ak = cu_tpm_registered_ak;
	o.registered_ak_ctx = svc;

	r = cu_verify(svc->verifier, in->format, in->evidence, in->size, &o, &claims, err);
	if (r < 0) {
		cu_service_count_attestation(svc, format, "rejected");
		return r;
	}
	if (in->runtime &&
	    json_object_set(claims, "runtime_data_claims", (json_t *)in->runtime) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "appraisal", "appraisal: out of memory");
	if ((r = cu_appraise(svc->appraisal, claims, o.at, &submod, ret_trace, err)) < 0)
		return r;
	submods = json_pack("{s:O}", "cpu0", submod);
	if (!submods)
		return cu_fail(err, CU_ERR_NOMEM, "ear", "ear: out of memory");
	if (in->gpus && (r = attest_gpus(svc, in, o.at, submods, err)) < 0) {
		cu_service_count_attestation(svc, format, "rejected");
		return r;
	}
	if ((r = cu_ear_new(submods, &eo, &ear, err)) < 0 ||
	    (r = cu_token_sign(svc->key, ear, ret_token, err)) < 0)
		return r;
	/* The worst status of the submodules, by its static name. */
	*ret_status = cu_ear_status_name(worst_status(submods));
	cu_service_count_attestation(svc, format, *ret_status);
	return 0;
}

/*
 * Append an attestation to the audit log; the reply waits for it to be
 * durable. The evidence is kept by digest: the primary evidence's bytes, and
 * each additional device's RFC 8785 form (gpus, may be NULL).
 */
int cu_server_audit_attestation(struct cu_service *svc, const char *api, const char *session,
                                const char *tee, const uint8_t *evidence, size_t size,
                                const json_t *gpus, const char *status, const char *reason,
                                struct cu_error *err)
{
	uint8_t md[32];
	char hex[65];
	const json_t *dev;
	json_t *rec, *digests = NULL;
	size_t i;
	int r;

	cu_sha256(evidence, size, md);
	cu_hex_encode(md, sizeof(md), hex);
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "api", api, "session", session, "tee",
	                tee ? tee : "", "evidence_sha256", hex, "result", status, "policy",
	                cu_policy_get_ref(svc->appraisal));
	if (rec && reason)
		json_object_set_new(rec, "reason", json_string(reason));
	if (rec && json_array_size(gpus) &&
	    (!(digests = json_array()) ||
	     json_object_set_new(rec, "additional_evidence_sha256", digests) < 0))
		json_decref(TAKE_PTR(rec));
	json_array_foreach (rec ? gpus : NULL, i, dev) {
		_cleanup_free_ char *canon = NULL;
		size_t n;

		if (cu_jcs_serialize(dev, &canon, &n, err) < 0) {
			json_decref(rec);
			return err ? err->code : CU_ERR_NOMEM;
		}
		cu_sha256(canon, n, md);
		cu_hex_encode(md, sizeof(md), hex);
		if (json_array_append_new(digests, json_string(hex)) < 0) {
			json_decref(TAKE_PTR(rec));
			break;
		}
	}
	if (!rec)
		return cu_fail(err, CU_ERR_NOMEM, "audit", "audit: out of memory");
	r = cu_store_audit_append(svc->store, now(), "attestation", rec, NULL, err);
	json_decref(rec);
	return r;
}

/* ---- operations ------------------------------------------------------------------------ */

static void h_healthz(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	cu_http_reply_text(resp, 200, "application/json", "{\"status\":\"ok\"}");
}

static void h_readyz(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct cu_error err = { 0 };
	int n = cu_store_session_purge(svc->store, now(), &err);

	if (n < 0) {
		cu_http_reply_error(resp, 503, "not ready", err.message);
		return;
	}
	cu_http_reply_text(resp, 200, "application/json", "{\"status\":\"ready\"}");
}

static void h_metrics(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	static const char *const outcomes[CU_ATTEST_OUTCOMES] = { "affirming", "warning",
		                                                  "contraindicated", "none",
		                                                  "rejected" };
	const char *const *formats = cu_formats();
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f) {
		cu_http_reply_error(resp, 500, "internal", "out of memory");
		return;
	}
	fprintf(f, "# HELP custos_attestations_total Attestations by TEE and outcome.\n"
	           "# TYPE custos_attestations_total counter\n");
	size_t n_formats = 0;

	while (n_formats < CU_METRIC_TEES - 1 && formats[n_formats])
		n_formats++;
	for (size_t t = 0; t < CU_METRIC_TEES; t++) {
		const char *tee = t < n_formats             ? formats[t]
		                  : t == CU_METRIC_TEES - 1 ? "unknown"
		                                            : NULL;

		for (size_t o = 0; tee && o < CU_ATTEST_OUTCOMES; o++)
			fprintf(f, "custos_attestations_total{tee=\"%s\",outcome=\"%s\"} %llu\n",
			        tee, outcomes[o],
			        (unsigned long long)__atomic_load_n(&svc->attestations[t][o],
			                                            __ATOMIC_RELAXED));
	}
	fprintf(f, "# HELP custos_releases_total Resource release decisions by TEE.\n"
	           "# TYPE custos_releases_total counter\n");
	for (size_t t = 0; t < CU_RELEASE_TEES; t++)
		for (int o = 0; o < 2; o++)
			fprintf(f, "custos_releases_total{tee=\"%s\",outcome=\"%s\"} %llu\n",
			        cu_release_tees[t], o ? "allowed" : "denied",
			        (unsigned long long)__atomic_load_n(&svc->releases[t][o],
			                                            __ATOMIC_RELAXED));
	cu_http_metrics(svc->http, f);
	fclose(f);
	cu_http_reply_text(resp, 200, "text/plain; version=0.0.4", buf ? buf : "");
	free(buf);
}

static void h_jwks(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;

	cu_http_reply_json(resp, 200, svc->jwks);
	resp->content_type = "application/jwk-set+json";
}

static void h_openid(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	const char *host = cu_http_header(req, "Host");
	char *jwks_uri = NULL;
	json_t *j;

	if (!host || strpbrk(host, " \"\\/<>") || strlen(host) > 255)
		host = "localhost";
	if (asprintf(&jwks_uri, "https://%s/.well-known/jwks.json", host) < 0) {
		cu_http_reply_error(resp, 500, "internal", "out of memory");
		return;
	}
	j = json_pack("{s:s,s:s,s:[s]}", "issuer", svc->config.issuer, "jwks_uri", jwks_uri,
	              "id_token_signing_alg_values_supported",
	              cu_token_alg_name(cu_signing_key_alg(svc->key)));
	cu_http_reply_json(resp, 200, j);
	json_decref(j);
	free(jwks_uri);
}

/* ---- native API ---------------------------------------------------------------------------- */

static void h_v1_challenge(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct cu_session s = { 0 };
	struct cu_error err = { 0 };
	_cleanup_free_ char *nonce = NULL;
	char expires[32];
	json_t *j;

	if (cu_server_session_new(svc, "v1", "", &s, &err) < 0) {
		cu_http_reply_error(resp, 503, "store", err.message);
		return;
	}
	nonce = cu_base64url_encode_alloc(s.nonce, sizeof(s.nonce));
	cu_time_format_rfc3339(s.expires, expires, sizeof(expires));
	j = nonce ? json_pack("{s:s,s:s,s:s}", "session", s.id, "nonce", nonce, "expires", expires)
	          : NULL;
	cu_http_reply_json(resp, 200, j);
	json_decref(j);
	cu_session_clear(&s);
}

/*
 * POST /v1/attest {"session", "evidence": base64url, "tee"?, "runtime_data": {"nonce", ...}}
 * The evidence's report data must be SHA-384 of the RFC 8785 form of runtime_data.
 */
static void h_v1_attest(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };
	json_auto_t *body = NULL, *trace = NULL, *out = NULL, *gpus = NULL;
	const json_t *runtime, *additional;
	const char *session, *ev_b64, *tee, *nonce_s, *status = NULL;
	_cleanup_free_ uint8_t *evidence = NULL, *nonce = NULL;
	_cleanup_free_ char *canon = NULL, *token = NULL;
	size_t ev_size, nonce_size, canon_size;
	uint8_t digest[48];

	if (cu_json_parse((const char *)req->body, req->body_size, svc->config.max_body, "request",
	                  &body, &err) < 0) {
		cu_http_reply_error(resp, 400, "bad request", err.message);
		return;
	}
	session = json_string_value(json_object_get(body, "session"));
	ev_b64 = json_string_value(json_object_get(body, "evidence"));
	tee = json_string_value(json_object_get(body, "tee"));
	runtime = json_object_get(body, "runtime_data");
	nonce_s = json_string_value(json_object_get(runtime, "nonce"));
	additional = json_object_get(body, "additional_evidence");
	if (!session || !ev_b64 || !json_is_object(runtime) || !nonce_s) {
		cu_http_reply_error(
		    resp, 400, "bad request",
		    "expected {\"session\", \"evidence\" (base64url), \"runtime_data\": "
		    "{\"nonce\", ...}}");
		return;
	}
	/* GPUs attested with the CPU, each bound to the same runtime data */
	if (additional && cu_server_additional_gpus(additional, &gpus, &err) < 0) {
		cu_http_reply_error(resp, 400, "bad request", err.message);
		return;
	}
	if (cu_base64url_decode(ev_b64, strlen(ev_b64), &evidence, &ev_size) < 0 ||
	    cu_base64url_decode(nonce_s, strlen(nonce_s), &nonce, &nonce_size) < 0) {
		cu_http_reply_error(resp, 400, "bad request",
		                    "evidence and runtime_data.nonce: base64url");
		return;
	}
	if (cu_store_session_get(svc->store, session, now(), &s, &err) < 0 ||
	    strcmp(s.kind, "v1")) {
		cu_http_reply_error(resp, 401, "session",
		                    err.code == CU_ERR_NOT_FOUND || !err.code
		                        ? "unknown or expired session: get a new challenge"
		                        : err.message);
		cu_session_clear(&s);
		return;
	}
	if (nonce_size != sizeof(s.nonce) || CRYPTO_memcmp(nonce, s.nonce, sizeof(s.nonce))) {
		cu_http_reply_error(resp, 401, "nonce",
		                    "runtime_data.nonce is not this session's challenge");
		cu_session_clear(&s);
		return;
	}
	if (cu_jcs_serialize(runtime, &canon, &canon_size, &err) < 0) {
		cu_http_reply_error(resp, 400, "bad request", err.message);
		cu_session_clear(&s);
		return;
	}
	cu_sha384(canon, canon_size, digest);
	cu_http_log_set(req, "tee", tee);
	struct cu_attest_in in = { .format = tee,
		                   .evidence = evidence,
		                   .size = ev_size,
		                   .binding_digest = digest,
		                   .runtime = runtime,
		                   .nonce = s.nonce,
		                   .nonce_size = sizeof(s.nonce),
		                   .gpus = gpus,
		                   .gpu_binding = digest };
	if (cu_server_attest(svc, &in, &token, &trace, &status, &err) < 0) {
		struct cu_error aerr = { 0 };

		cu_http_log_set(req, "decision", "rejected");
		if (cu_server_audit_attestation(svc, "v1", s.id, tee, evidence, ev_size, gpus,
		                                "rejected", err.message, &aerr) < 0)
			cu_http_reply_error(resp, 503, "audit", aerr.message);
		else
			cu_http_reply_error(resp, err.code == CU_ERR_INVALID_ARG ? 400 : 401,
			                    err.stage ? err.stage : "attestation", err.message);
		cu_session_clear(&s);
		return;
	}
	cu_http_log_set(req, "decision", status);
	if (cu_server_audit_attestation(svc, "v1", s.id, tee, evidence, ev_size, gpus, status, NULL,
	                                &err) < 0 ||
	    cu_store_session_set_token(svc->store, s.id, token, &err) < 0) {
		/* Nothing is acknowledged that is not on record. */
		cu_http_reply_error(resp, 503, "store", err.message);
		cu_session_clear(&s);
		return;
	}
	out = json_pack("{s:s,s:s,s:O}", "token", token, "status", status, "explanation", trace);
	cu_http_reply_json(resp, 200, out);
	cu_session_clear(&s);
}

/* ---- the table ------------------------------------------------------------------------------ */

const struct cu_http_route cu_routes[] = {
	{ "GET", "/healthz", false, "healthz", h_healthz },
	{ "GET", "/readyz", false, "readyz", h_readyz },
	{ "GET", "/metrics", false, "metrics", h_metrics },
	{ "GET", "/.well-known/jwks.json", false, "jwks", h_jwks },
	{ "GET", "/.well-known/openid-configuration", false, "openid", h_openid },
	{ "GET", "/v1/challenge", false, "v1_challenge", h_v1_challenge },
	{ "POST", "/v1/attest", false, "v1_attest", h_v1_attest },
	{ "POST", "/v1/tpm/enroll", false, "tpm_enroll", cu_tpm_enroll },
	{ "POST", "/v1/tpm/activate", false, "tpm_activate", cu_tpm_activate },
	{ "POST", "/kbs/v0/auth", false, "kbs_auth", cu_kbs_auth },
	{ "POST", "/kbs/v0/attest", false, "kbs_attest", cu_kbs_attest },
	{ "GET", "/kbs/v0/resource/", true, "kbs_resource", cu_kbs_resource },
	{ "POST", "/v1/release/", true, "v1_release", cu_v1_release },
	{ NULL, "/v1/admin/", true, "admin", cu_admin_handle },
};

const size_t cu_n_routes = ELEMENTSOF(cu_routes);
