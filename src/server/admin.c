/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin API (/v1/admin/...). Every call carries "Authorization: Bearer
 * <JWT>" signed by the configured admin key, with a "role" claim: admin (all),
 * tenant-admin (one tenant, named by the "tenant" claim), auditor (read
 * only). The routes and the roles they allow are one table (admin_routes),
 * which `custosd --list-routes` prints and the tests walk, so that a new
 * route cannot escape the authorisation tests.
 */
#include <string.h>
#include <time.h>

#include <jose/jose.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "../appraisal/refvalues.h"
#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../appraisal/policy.h"
#include "../crypto/sig.h"
#include "admin.h"
#include "secrets.h"
#include "service.h"

enum {
	ROLE_ADMIN = 1,
	ROLE_TENANT_ADMIN = 2,
	ROLE_AUDITOR = 4,
};

struct admin_ctx {
	struct cu_service *svc;
	struct cu_http_request *req;
	struct cu_http_response *resp;
	const char *tenant; /* from the path */
	const char *name;   /* resource name from the path */
	int64_t now;
	const char *subject; /* the token's sub, for the audit trail */
};

typedef void (*admin_handler)(struct admin_ctx *c);

struct admin_route {
	const char *method;
	const char *pattern; /* "/v1/admin/tenants/{tenant}/resources/{name}" */
	int roles;
	bool tenant_scoped; /* a tenant-admin may only act on its own tenant */
	admin_handler handler;
};

static void reply(struct admin_ctx *c, unsigned status, const char *error, const char *detail)
{
	json_t *j = json_pack("{s:s,s:s}", "error", error, "detail", detail);

	cu_http_reply_json(c->resp, status, j);
	json_decref(j);
}

static int audit_admin(struct admin_ctx *c, const char *event, json_t *rec)
{
	struct cu_error err = { 0 };
	int r;

	if (!rec || json_object_set_new(rec, "event", json_string(event)) < 0 ||
	    json_object_set_new(rec, "by", json_string(c->subject ? c->subject : "?")) < 0) {
		json_decref(rec);
		reply(c, 500, "internal", "out of memory");
		return -1;
	}
	r = cu_store_audit_append(c->svc->store, c->now, "admin", rec, NULL, &err);
	json_decref(rec);
	if (r < 0) {
		reply(c, 503, "audit", err.message);
		return -1;
	}
	return 0;
}

static void h_tenant_put(struct admin_ctx *c)
{
	struct cu_error err = { 0 };
	int r;

	if (!cu_name_is_valid(c->tenant)) {
		reply(c, 400, "bad request",
		      "tenant names are 1-128 characters of A-Z a-z 0-9 . _ : -");
		return;
	}
	if (audit_admin(c, "tenant-create", json_pack("{s:s}", "tenant", c->tenant)) < 0)
		return;
	r = cu_store_tenant_put(c->svc->store, c->tenant, c->now, &err);
	if (r < 0) {
		reply(c, 503, "store", err.message);
		return;
	}
	cu_http_reply_text(c->resp, r ? 201 : 200, "application/json", "{\"status\":\"ok\"}");
}

static bool tenant_exists(struct admin_ctx *c)
{
	struct cu_error err = { 0 };

	if (cu_store_tenant_get(c->svc->store, c->tenant, &err) == 0)
		return true;
	reply(c, err.code == CU_ERR_NOT_FOUND ? 404 : 503, "tenant", err.message);
	return false;
}

/* Store a release policy; checked exactly as at evaluation (load-time errors, with paths). */
static void h_policy_post(struct admin_ctx *c)
{
	struct cu_service *svc = c->svc;
	struct cu_error err = { 0 };
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	_cleanup_(cu_refvalues_freep) cu_refvalues *rv = NULL;
	_cleanup_free_ char *doc = NULL;
	json_t *j;
	int r;

	if (!tenant_exists(c))
		return;
	if (cu_service_tenant_refvalues(svc, c->tenant, &rv, &err) < 0) {
		reply(c, 503, "refvalues", err.message);
		return;
	}
	doc = strndup((const char *)c->req->body, c->req->body_size);
	/* Checked against the tenant's reference values in force: unknown sets are errors now. */
	if (!doc || cu_policy_load(&p, doc, strlen(doc), rv, &err) < 0) {
		reply(c, 400, "policy", doc ? err.message : "out of memory");
		return;
	}
	if (cu_policy_get_kind(p) != CU_POLICY_RELEASE) {
		reply(c, 400, "policy", "only release policies are stored per tenant");
		return;
	}
	if (audit_admin(
	        c, "policy-put",
	        json_pack("{s:s,s:s}", "tenant", c->tenant, "policy", cu_policy_get_ref(p))) < 0)
		return;
	r = cu_store_policy_put(svc->store, c->tenant, cu_policy_get_id(p),
	                        cu_policy_get_revision(p), "release", doc, cu_policy_get_digest(p),
	                        c->now, &err);
	if (r < 0) {
		reply(c, err.code == CU_ERR_MISMATCH ? 409 : 503, "policy", err.message);
		return;
	}
	j = json_pack("{s:s}", "policy", cu_policy_get_ref(p));
	cu_http_reply_json(c->resp, r ? 201 : 200, j);
	json_decref(j);
}

/* PUT .../resources/{name} {"secret": base64url, "policy": "<release policy id>"} */
/* Key material generated inside custosd: raw AES-256, or an EC P-256 private JWK. */
static int generate_key(const char *kind, uint8_t **ret, size_t *ret_size, json_t **ret_public)
{
	if (!strcmp(kind, "aes-256")) {
		uint8_t *k = malloc(32);

		if (!k || RAND_priv_bytes(k, 32) != 1) {
			free(k);
			return -1;
		}
		*ret = k;
		*ret_size = 32;
		return 0;
	}
	if (!strcmp(kind, "ec-p256")) {
		json_auto_t *jwk = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
		char *text;

		if (!jwk || !jose_jwk_gen(NULL, jwk) || !(text = json_dumps(jwk, JSON_COMPACT)))
			return -1;
		*ret_public = json_deep_copy(jwk);
		if (*ret_public)
			json_object_del(*ret_public, "d");
		OPENSSL_cleanse((char *)json_string_value(json_object_get(jwk, "d")),
		                json_string_length(json_object_get(jwk, "d")));
		*ret = (uint8_t *)text;
		*ret_size = strlen(text);
		return 0;
	}
	return -1;
}

static void h_resource_put(struct admin_ctx *c)
{
	struct cu_service *svc = c->svc;
	struct cu_error err = { 0 };
	struct cu_resource res = { 0 };
	json_auto_t *body = NULL, *public_key = NULL;
	const char *secret, *policy, *generate;
	_cleanup_free_ char *doc = NULL;
	uint8_t *value = NULL;
	size_t size = 0;
	int64_t rev;

	if (!cu_resource_name_is_valid(c->name)) {
		reply(
		    c, 400, "bad request",
		    "resource names are 1-256 characters of A-Z a-z 0-9 . _ : - /, without \"..\"");
		return;
	}
	if (!tenant_exists(c))
		return;
	if (cu_json_parse((const char *)c->req->body, c->req->body_size, svc->config.max_body,
	                  "request", &body, &err) < 0) {
		reply(c, 400, "bad request", err.message);
		return;
	}
	secret = json_string_value(json_object_get(body, "secret"));
	generate = json_string_value(json_object_get(body, "generate"));
	policy = json_string_value(json_object_get(body, "policy"));
	if (!!secret == !!generate || !policy || json_object_size(body) != 2) {
		reply(c, 400, "bad request",
		      "expected {\"secret\": base64url, \"policy\": \"<release policy id>\"} or "
		      "{\"generate\": \"aes-256\"|\"ec-p256\", \"policy\": ...}");
		return;
	}
	if (cu_store_policy_get_latest(svc->store, c->tenant, policy, &doc, &rev, &err) < 0) {
		reply(c, err.code == CU_ERR_NOT_FOUND ? 400 : 503, "policy",
		      err.code == CU_ERR_NOT_FOUND
		          ? "the release policy does not exist in this tenant: store it first"
		          : err.message);
		return;
	}
	if (generate) {
		/* A key made here, never exported except wrapped to an attested TEE. */
		if (generate_key(generate, &value, &size, &public_key) < 0) {
			reply(c, 400, "bad request",
			      "generate: \"aes-256\" (32 random bytes) or \"ec-p256\" (a JWK)");
			return;
		}
	} else if (cu_base64url_decode(secret, strlen(secret), &value, &size) < 0 || size == 0 ||
	           size > CU_LIMIT_RESOURCE_SIZE) {
		if (value)
			OPENSSL_clear_free(value, size);
		reply(c, 400, "bad request", "secret: base64url of 1 byte to 64 KiB");
		return;
	}
	res.policy = (char *)policy;
	res.created = c->now;
	if (cu_secret_seal(&svc->kek, c->tenant, c->name, value, size, &res, &err) < 0) {
		OPENSSL_clear_free(value, size);
		reply(c, 500, "secrets", err.message);
		return;
	}
	OPENSSL_clear_free(value, size);
	if (audit_admin(c, "resource-put",
	                json_pack("{s:s,s:s,s:s,s:s}", "tenant", c->tenant, "resource", c->name,
	                          "policy", policy, "origin",
	                          generate ? "generated" : "imported")) == 0) {
		if (cu_store_resource_put(svc->store, c->tenant, c->name, &res, &err) < 0) {
			reply(c, 503, "store", err.message);
		} else {
			json_t *j = json_pack("{s:s}", "status", "ok");

			if (j && public_key)
				json_object_set(j, "public_key", public_key);
			cu_http_reply_json(c->resp, 201, j);
			json_decref(j);
		}
	}
	free(res.sealed);
}

/* POST .../refvalues: a new revision of the tenant's reference values (custos-policy(5)). */
static void h_refvalues_post(struct admin_ctx *c)
{
	struct cu_service *svc = c->svc;
	struct cu_error err = { 0 };
	_cleanup_(cu_refvalues_freep) cu_refvalues *rv = NULL;
	_cleanup_free_ char *doc = NULL;
	uint8_t md[32];
	char digest[65];
	int64_t rev = 0;
	json_t *j;

	if (!tenant_exists(c))
		return;
	doc = strndup((const char *)c->req->body, c->req->body_size);
	if (!doc || cu_refvalues_load(&rv, doc, strlen(doc), &err) < 0) {
		reply(c, 400, "refvalues", doc ? err.message : "out of memory");
		return;
	}
	cu_sha256(doc, strlen(doc), md);
	cu_hex_encode(md, sizeof(md), digest);
	if (audit_admin(c, "refvalues-put",
	                json_pack("{s:s,s:s}", "tenant", c->tenant, "sha256", digest)) < 0)
		return;
	if (cu_store_refvalues_put(svc->store, c->tenant, doc, digest, c->now, &rev, &err) < 0) {
		reply(c, 503, "store", err.message);
		return;
	}
	j = json_pack("{s:s,s:I,s:s}", "tenant", c->tenant, "revision", (json_int_t)rev, "sha256",
	              digest);
	cu_http_reply_json(c->resp, 201, j);
	json_decref(j);
}

static void h_refvalues_get(struct admin_ctx *c)
{
	struct cu_error err = { 0 };
	_cleanup_free_ char *doc = NULL;
	json_auto_t *parsed = NULL, *j = NULL;
	int64_t rev;

	if (!tenant_exists(c))
		return;
	if (cu_store_refvalues_get_latest(c->svc->store, c->tenant, &doc, &rev, &err) < 0) {
		reply(c, err.code == CU_ERR_NOT_FOUND ? 404 : 503, "refvalues", err.message);
		return;
	}
	parsed = json_loads(doc, 0, NULL);
	j = json_pack("{s:s,s:I,s:O}", "tenant", c->tenant, "revision", (json_int_t)rev, "document",
	              parsed ? parsed : json_null());
	cu_http_reply_json(c->resp, 200, j);
}

static void h_resource_list(struct admin_ctx *c)
{
	struct cu_error err = { 0 };
	json_auto_t *list = NULL, *out = NULL;

	if (!tenant_exists(c))
		return;
	if (cu_store_resource_list(c->svc->store, c->tenant, &list, &err) < 0) {
		reply(c, 503, "store", err.message);
		return;
	}
	out = json_pack("{s:s,s:O}", "tenant", c->tenant, "resources", list);
	cu_http_reply_json(c->resp, 200, out);
}

static void h_audit_verify(struct admin_ctx *c)
{
	struct cu_error err = { 0 };
	uint64_t n = 0;
	json_t *j;

	if (cu_store_audit_verify(c->svc->store, &n, &err) < 0) {
		reply(c, 500, "audit", err.message);
		return;
	}
	j = json_pack("{s:s,s:I}", "status", "intact", "records", (json_int_t)n);
	cu_http_reply_json(c->resp, 200, j);
	json_decref(j);
}

static const struct admin_route admin_routes[] = {
	{ "PUT", "/v1/admin/tenants/{tenant}", ROLE_ADMIN, false, h_tenant_put },
	{ "POST", "/v1/admin/tenants/{tenant}/policies", ROLE_ADMIN | ROLE_TENANT_ADMIN, true,
	  h_policy_post },
	{ "PUT", "/v1/admin/tenants/{tenant}/resources/{name}", ROLE_ADMIN | ROLE_TENANT_ADMIN,
	  true, h_resource_put },
	{ "GET", "/v1/admin/tenants/{tenant}/resources",
	  ROLE_ADMIN | ROLE_TENANT_ADMIN | ROLE_AUDITOR, true, h_resource_list },
	{ "POST", "/v1/admin/tenants/{tenant}/refvalues", ROLE_ADMIN | ROLE_TENANT_ADMIN, true,
	  h_refvalues_post },
	{ "GET", "/v1/admin/tenants/{tenant}/refvalues",
	  ROLE_ADMIN | ROLE_TENANT_ADMIN | ROLE_AUDITOR, true, h_refvalues_get },
	{ "GET", "/v1/admin/audit/verify", ROLE_ADMIN | ROLE_AUDITOR, false, h_audit_verify },
};

/*
 * Match a path against a pattern; {tenant} is one segment, {name} the rest
 * (one or more segments). Captures point into `buf`.
 */
static bool match(const char *pattern, const char *path, char *buf, size_t size,
                  const char **tenant, const char **name)
{
	size_t o = 0;

	*tenant = *name = NULL;
	while (*pattern) {
		if (!strncmp(pattern, "{tenant}", 8) || !strncmp(pattern, "{name}", 6)) {
			bool rest = pattern[1] == 'n';
			size_t n = rest ? strlen(path) : strcspn(path, "/");

			if (n == 0 || o + n + 1 > size)
				return false;
			memcpy(buf + o, path, n);
			buf[o + n] = '\0';
			*(rest ? name : tenant) = buf + o;
			o += n + 1;
			path += n;
			pattern += rest ? 6 : 8;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *path == '\0';
}

static int role_of(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "admin"))
		return ROLE_ADMIN;
	if (!strcmp(s, "tenant-admin"))
		return ROLE_TENANT_ADMIN;
	if (!strcmp(s, "auditor"))
		return ROLE_AUDITOR;
	return 0;
}

void cu_admin_handle(void *ctx, struct cu_http_request *req, struct cu_http_response *resp)
{
	struct cu_service *svc = ctx;
	struct admin_ctx c = { .svc = svc, .req = req, .resp = resp, .now = (int64_t)time(NULL) };
	const struct admin_route *route = NULL;
	const char *auth = cu_http_header(req, "Authorization"), *tok_tenant;
	json_auto_t *claims = NULL;
	struct cu_error err = { 0 };
	char buf[512];
	bool path_known = false;
	int role;

	for (size_t i = 0; i < ELEMENTSOF(admin_routes) && !route; i++)
		if (match(admin_routes[i].pattern, req->path, buf, sizeof(buf), &c.tenant,
		          &c.name)) {
			path_known = true;
			if (!strcmp(admin_routes[i].method, req->method))
				route = &admin_routes[i];
		}
	if (!route) {
		reply(&c, path_known ? 405 : 404, "admin",
		      path_known ? "method not allowed" : "no such admin endpoint");
		return;
	}
	/* Authenticate: a bearer JWT signed by the admin key, unexpired. */
	if (!auth || strncmp(auth, "Bearer ", 7)) {
		cu_http_add_header(resp, "WWW-Authenticate", "Bearer");
		reply(&c, 401, "unauthenticated", "an admin bearer token is required");
		return;
	}
	if (!svc->admin_jwks || cu_token_verify(auth + 7, strlen(auth + 7), svc->admin_jwks, c.now,
	                                        &claims, &err) < 0) {
		cu_http_add_header(resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		reply(&c, 401, "unauthenticated", svc->admin_jwks ? err.message : "no admin key");
		return;
	}
	/* Authorise: the role, and for a tenant admin the tenant. */
	role = role_of(json_string_value(json_object_get(claims, "role")));
	tok_tenant = json_string_value(json_object_get(claims, "tenant"));
	c.subject = json_string_value(json_object_get(claims, "sub"));
	cu_http_log_set(req, "tenant", c.tenant);
	if (!(route->roles & role)) {
		reply(&c, 403, "forbidden",
		      role ? "this role may not call this endpoint"
		           : "the token has no valid role claim");
		return;
	}
	if (role == ROLE_TENANT_ADMIN &&
	    (!route->tenant_scoped || !tok_tenant || !c.tenant || strcmp(tok_tenant, c.tenant))) {
		reply(&c, 403, "forbidden", "a tenant admin may act on its own tenant only");
		return;
	}
	route->handler(&c);
}

void cu_admin_list_routes(FILE *out)
{
	for (size_t i = 0; i < ELEMENTSOF(admin_routes); i++)
		fprintf(out, "%s %s %s%s%s%s\n", admin_routes[i].method, admin_routes[i].pattern,
		        admin_routes[i].roles & ROLE_ADMIN ? "admin" : "",
		        admin_routes[i].roles & ROLE_TENANT_ADMIN ? ",tenant-admin" : "",
		        admin_routes[i].roles & ROLE_AUDITOR ? ",auditor" : "",
		        admin_routes[i].tenant_scoped ? " tenant-scoped" : "");
}
