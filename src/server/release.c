/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key release: an attestation result (the KBS session's, or a bearer EAR this
 * custosd signed) + the resource's release policy -> the secret as a JWE to
 * the attested tee-pubkey, or a denial with its reason. Every decision is on
 * the audit log, with the policy's explanation, before the reply is sent.
 *
 *   GET  /kbs/v0/resource/<repo>/<type>/<tag>   (Trustee KBS 0.4.0; tenant = repo)
 *   POST /v1/release/<tenant>/<name>            (native; Authorization: Bearer <EAR>)
 */
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../appraisal/policy.h"
#include "../appraisal/refvalues.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../crypto/jwe.h"
#include "admin.h"
#include "secrets.h"
#include "service.h"

#define TEE_PUBKEY_PATH                                                                            \
	"submods.cpu0.ear.veraison.annotated-evidence.runtime_data_claims.tee-pubkey"

struct release_out {
	unsigned status;
	const char *kind; /* Trustee error kind */
	char detail[CU_ERROR_MESSAGE_MAX + 256];
	json_t *jwe;
};

/* The first clause that decided a denial, in one line. */
static void deny_reason(const json_t *trace, char *buf, size_t size)
{
	size_t i;
	const json_t *e;

	snprintf(buf, size, "denied by the release policy");
	json_array_foreach (trace, i, e) {
		const char *claim = json_string_value(json_object_get(e, "claim"));
		char expected[112], actual[112];

		if (strcmp(json_string_value(json_object_get(e, "result")) ?: "", "fail") || !claim)
			continue;
		cu_json_brief(json_object_get(e, "expected"), expected, sizeof(expected));
		cu_json_brief(json_object_get(e, "actual"), actual, sizeof(actual));
		snprintf(buf, size, "denied: %s: %s %s %s, actual %s (%s)",
		         json_string_value(json_object_get(e, "path")) ?: "?", claim,
		         json_string_value(json_object_get(e, "op")) ?: "?", expected, actual,
		         json_string_value(json_object_get(e, "reason")) ?: "failed");
		return;
	}
}

static int audit_release(struct cu_service *svc, const char *api, const char *tenant,
                         const char *name, const char *decision, const char *policy_ref,
                         const char *reason, const json_t *trace, struct cu_error *err)
{
	json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s}", "api", api, "tenant", tenant, "resource",
	                        name, "decision", decision, "policy", policy_ref ? policy_ref : "");
	int r;

	if (rec && reason)
		json_object_set_new(rec, "reason", json_string(reason));
	if (rec && trace)
		json_object_set(rec, "explanation", (json_t *)trace);
	if (!rec)
		return cu_fail(err, CU_ERR_NOMEM, "audit", "audit: out of memory");
	r = cu_store_audit_append(svc->store, (int64_t)time(NULL), "release", rec, NULL, err);
	json_decref(rec);
	return r;
}

static bool name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 256 || strstr(s, "..") || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("._:-/", s[i])))
			return false;
	return true;
}

bool cu_resource_name_is_valid(const char *name)
{
	return name_is_valid(name);
}

/* The decision and, when allowed, the JWE. Fills out; the caller replies. */
static void release(struct cu_service *svc, const char *api, const char *tenant, const char *name,
                    const json_t *ear, struct release_out *out)
{
	struct cu_error err = { 0 };
	struct cu_resource res = { 0 };
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	_cleanup_(cu_refvalues_freep) cu_refvalues *rv = NULL;
	_cleanup_free_ char *doc = NULL;
	json_auto_t *trace = NULL;
	const json_t *pubkey;
	uint8_t *secret = NULL;
	size_t size = 0;
	int64_t rev, now = (int64_t)time(NULL);
	bool allowed;

	out->status = 401;
	out->kind = "PolicyDeny";
	if (!cu_name_is_valid(tenant) || !name_is_valid(name)) {
		out->status = 404;
		out->kind = "InvalidRequestPath";
		snprintf(out->detail, sizeof(out->detail), "invalid resource path");
		return;
	}
	if (cu_store_resource_get(svc->store, tenant, name, &res, &err) < 0 ||
	    cu_store_policy_get_latest(svc->store, tenant, res.policy, &doc, &rev, &err) < 0 ||
	    cu_service_tenant_refvalues(svc, tenant, &rv, &err) < 0 ||
	    cu_policy_load(&p, doc, strlen(doc), rv, &err) < 0) {
		/* The same answer for a missing resource and a denial: no probing for names. */
		snprintf(out->detail, sizeof(out->detail), "resource %s/%s is not available",
		         tenant, name);
		if (audit_release(svc, api, tenant, name, "deny", NULL, err.message, NULL, &err) <
		    0)
			out->kind = "HTTPFailed";
		cu_resource_clear(&res);
		return;
	}
	allowed = cu_policy_allows(p, ear, now, &trace);
	pubkey = cu_claim_path_resolve(ear, TEE_PUBKEY_PATH);
	if (allowed && !pubkey) {
		allowed = false;
		snprintf(out->detail, sizeof(out->detail),
		         "the attestation result carries no tee-pubkey to encrypt the resource to");
	} else if (!allowed) {
		deny_reason(trace, out->detail, sizeof(out->detail));
	}
	if (allowed && (cu_secret_open(&svc->kek, tenant, name, &res, &secret, &size, &err) < 0 ||
	                cu_jwe_encrypt(pubkey, secret, size, &out->jwe, &err) < 0)) {
		allowed = false;
		snprintf(out->detail, sizeof(out->detail), "%s", err.message);
		out->kind = "JweError";
	}
	if (secret)
		OPENSSL_clear_free(secret, size);
	/* On record before anything leaves: if the audit fails, nothing is released. */
	if (audit_release(svc, api, tenant, name, allowed ? "allow" : "deny", cu_policy_get_ref(p),
	                  allowed ? NULL : out->detail, trace, &err) < 0) {
		json_decref(out->jwe);
		out->jwe = NULL;
		out->kind = "HTTPFailed";
		snprintf(out->detail, sizeof(out->detail), "audit: %.280s", err.message);
		allowed = false;
	}
	cu_service_count_release(svc,
	                         json_string_value(cu_claim_path_resolve(
	                             ear, "submods.cpu0.ear.veraison.annotated-evidence.tee")),
	                         allowed);
	if (allowed)
		out->status = 200;
	cu_resource_clear(&res);
}

/* The attestation result: a bearer EAR this custosd signed, or the KBS session's. */
static json_t *result_of(struct cu_service *svc, struct cu_http_request *req, bool allow_cookie,
                         char *why, size_t size)
{
	const char *auth = cu_http_header(req, "Authorization");
	const char *cookie = allow_cookie ? cu_http_cookie(req, "kbs-session-id") : NULL;
	struct cu_session s = { 0 };
	struct cu_error err = { 0 };
	int64_t now = (int64_t)time(NULL);
	json_t *claims = NULL;

	if (auth && !strncmp(auth, "Bearer ", 7)) {
		if (cu_token_verify(auth + 7, strlen(auth + 7), svc->jwks, now, &claims, &err) < 0)
			snprintf(why, size, "bearer token: %.280s", err.message);
		return claims;
	}
	if (cookie) {
		if (cu_store_session_get(svc->store, cookie, now, &s, &err) < 0 || !s.token) {
			snprintf(why, size, "the session has no attestation result: attest first");
		} else if (cu_token_verify(s.token, strlen(s.token), svc->jwks, now, &claims,
		                           &err) < 0) {
			snprintf(why, size, "the session's result: %.280s", err.message);
		}
		cu_session_clear(&s);
		return claims;
	}
	snprintf(why, size,
	         "no attestation result: attest first (cookie) or send "
	         "Authorization: Bearer <EAR>");
	return NULL;
}

/* The decision for a request, after the path gave the tenant and name; fills out. */
static void decide(struct cu_service *svc, struct cu_http_request *req, const char *api,
                   const char *tenant, const char *name, bool allow_cookie, struct release_out *out)
{
	json_auto_t *ear = NULL;
	char why[CU_ERROR_MESSAGE_MAX];

	cu_http_log_set(req, "tenant", tenant);
	ear = result_of(svc, req, allow_cookie, why, sizeof(why));
	if (!ear) {
		out->status = 401;
		out->kind = "TokenNotFound";
		snprintf(out->detail, sizeof(out->detail), "%s", why);
	} else {
		release(svc, api, tenant, name, ear, out);
	}
	cu_http_log_set(req, "decision", out->status == 200 ? "allow" : "deny");
}

/* The JWE, or the error: Trustee's {"type", "detail"} for the KBS, {"error", "detail"} for v1. */
static void reply(struct cu_http_response *resp, struct release_out *out, bool kbs)
{
	char type[128];
	json_t *j;

	if (out->status == 200) {
		cu_http_reply_json(resp, 200, out->jwe);
		json_decref(out->jwe);
		return;
	}
	snprintf(type, sizeof(type), "https://github.com/confidential-containers/kbs/errors/%s",
	         out->kind ? out->kind : "PolicyDeny");
	j = kbs ? json_pack("{s:s,s:s}", "type", type, "detail", out->detail)
	        : json_pack("{s:s,s:s}", "error", out->status == 404 ? "path" : "denied", "detail",
	                    out->detail);
	cu_http_reply_json(resp, out->status, j);
	json_decref(j);
}

/* Split "<tenant>/<rest>"; false when there is no tenant segment or it is too long. */
static bool split_tenant(const char *path, char tenant[160], const char **rest)
{
	const char *slash = strchr(path, '/');

	if (!slash || slash == path || (size_t)(slash - path) >= 160)
		return false;
	memcpy(tenant, path, (size_t)(slash - path));
	tenant[slash - path] = '\0';
	*rest = slash + 1;
	return true;
}

void cu_kbs_resource(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct release_out out = { .status = 404, .kind = "InvalidRequestPath" };
	const char *name = NULL;
	char tenant[160];

	/* <repo>/<type>/<tag>: exactly three segments */
	if (!split_tenant(req->path + strlen("/kbs/v0/resource/"), tenant, &name) ||
	    !strchr(name, '/') || strchr(strchr(name, '/') + 1, '/'))
		snprintf(out.detail, sizeof(out.detail),
		         "expected /kbs/v0/resource/<repo>/<type>/<tag>");
	else
		decide(ctx, req, "kbs", tenant, name, true, &out);
	reply(resp, &out, true);
}

void cu_v1_release(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct release_out out = { .status = 404 };
	const char *name = NULL;
	char tenant[160];

	if (!split_tenant(req->path + strlen("/v1/release/"), tenant, &name))
		snprintf(out.detail, sizeof(out.detail), "expected /v1/release/<tenant>/<name>");
	else
		decide(ctx, req, "v1", tenant, name, false, &out);
	reply(resp, &out, false);
}
