/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: custosd's HTTP endpoints, their request bodies, in
 * process: a data directory made by `custosd init` in a temporary directory,
 * the service loaded (no listener), and the handlers called as the HTTP layer
 * calls them. The first input byte picks the endpoint; the rest is the body:
 *
 *   POST /kbs/v0/auth, POST /kbs/v0/attest (a KBS session's cookie),
 *   POST /v1/attest, POST /v1/tpm/enroll, POST /v1/tpm/activate,
 *   POST /v1/release/t/key/x (a malformed bearer), and with an admin token:
 *   PUT /v1/admin/tenants/t, POST .../policies, POST .../refvalues,
 *   PUT .../resources/key/x.
 *
 * Every answer has a status from 200 to 599, never a 5xx but 503, and an error
 * is a JSON object. Seeds: tests/fuzz/seeds/http (SOURCES.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "../../src/crypto/jwt.h"
#include "../../src/server/admin.h"
#include "../../src/server/http.h"
#include "../../src/server/kbs.h"
#include "../../src/server/service.h"
#include "../../src/server/tpm_enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cu_service svc;
static char cookie[128], bearer[2048];

static cu_http_handler route(const char *name)
{
	for (size_t i = 0; i < cu_n_routes; i++)
		if (cu_routes[i].name && !strcmp(cu_routes[i].name, name))
			return cu_routes[i].handler;
	abort();
}

static void setup(void)
{
	char dir[] = "/tmp/custos-fuzz-http-XXXXXX", path[512];
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };
	EVP_PKEY *pk;
	json_t *claims;
	char *tok = NULL;
	FILE *f;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/data", dir);
	if (cu_service_init_dir(path, NULL, &err) < 0)
		abort();
	cu_config_defaults(&svc.config);
	svc.config.data_dir = strdup(path);
	snprintf(path, sizeof(path), "%s/data/custosd.conf", dir);
	if (cu_config_load(&svc.config, path, &err) < 0 ||
	    cu_config_set(&svc.config, "log", "/dev/null", &err) < 0 ||
	    cu_service_load(&svc, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		abort();
	}
	/* a KBS session to attest in, and an admin's token */
	if (cu_server_session_new(&svc, "kbs", "snp", &s, &err) < 0)
		abort();
	snprintf(cookie, sizeof(cookie), "kbs-session-id=%s", s.id);
	cu_session_clear(&s);
	snprintf(path, sizeof(path), "%s/data/keys/admin-key.pem", dir);
	if (!(f = fopen(path, "re")) || !(pk = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		abort();
	fclose(f);
	claims = json_pack("{s:s,s:s,s:I,s:I}", "role", "admin", "sub", "fuzz", "iat",
	                   (json_int_t)time(NULL), "exp", (json_int_t)time(NULL) + 86400);
	if (!claims || cu_token_sign_pkey(pk, claims, &tok, &err) < 0)
		abort();
	snprintf(bearer, sizeof(bearer), "Bearer %s", tok);
	free(tok);
	json_decref(claims);
	EVP_PKEY_free(pk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *method, *path, *route; /* route NULL: the admin API */
		int headers; /* 0 none, 1 the KBS cookie, 2 admin, 3 bad bearer */
	} ep[] = {
		{ "POST", "/kbs/v0/auth", "kbs_auth", 0 },
		{ "POST", "/kbs/v0/attest", "kbs_attest", 1 },
		{ "POST", "/v1/attest", "v1_attest", 0 },
		{ "POST", "/v1/tpm/enroll", "tpm_enroll", 0 },
		{ "POST", "/v1/tpm/activate", "tpm_activate", 0 },
		{ "POST", "/v1/release/t/key/x", "v1_release", 3 },
		{ "PUT", "/v1/admin/tenants/t", NULL, 2 },
		{ "POST", "/v1/admin/tenants/t/policies", NULL, 2 },
		{ "POST", "/v1/admin/tenants/t/refvalues", NULL, 2 },
		{ "PUT", "/v1/admin/tenants/t/resources/key/x", NULL, 2 },
	};
	struct cu_http_request req = { 0 };
	struct cu_http_response resp = { 0 };
	const char *hdrs[4][4] = {
		{ NULL }, { "Cookie", cookie, NULL }, { "Authorization", bearer, NULL }, { NULL }
	};
	const char *bad[] = { "Authorization", "Bearer e30.e30.e30", NULL };
	size_t k;

	if (!svc.store)
		setup();
	if (size == 0)
		return 0;
	k = data[0] % (sizeof(ep) / sizeof(ep[0]));
	req.method = ep[k].method;
	req.path = ep[k].path;
	snprintf(req.client, sizeof(req.client), "127.0.0.1");
	req.body = data + 1;
	req.body_size = size - 1;
	req.log = json_object();
	req.headers = ep[k].headers == 3 ? bad : hdrs[ep[k].headers];
	if (ep[k].route)
		route(ep[k].route)(&svc, &req, &resp);
	else
		cu_admin_handle(&svc, &req, &resp);
	if (resp.status < 200 || resp.status > 599 || (resp.status >= 500 && resp.status != 503))
		abort();
	if (resp.status >= 400) {
		json_t *j = json_loadb(resp.body ? resp.body : "", resp.body_size, 0, NULL);

		if (!json_is_object(j))
			abort();
		json_decref(j);
	}
	free(resp.body);
	for (int i = 0; i < CU_HTTP_MAX_HEADERS; i++) {
		free(resp.headers[i][0]);
		free(resp.headers[i][1]);
	}
	json_decref(req.log);
	return 0;
}
