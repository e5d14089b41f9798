/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: custosd's HTTP endpoints, their request bodies, in
 * process (tests/unit/server-harness.c), the handlers called as the HTTP
 * layer calls them. The first input byte picks the endpoint; the rest is the body:
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

#include "../../src/server/admin.h"
#include "../../src/server/http.h"
#include "../../src/server/kbs.h"
#include "../../src/server/service.h"
#include "../../src/server/tpm_enroll.h"
#include "../unit/server-harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cu_service svc;
static char cookie[128], bearer[2048];

static void setup(void)
{
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };

	if (th_service_new(&svc, bearer, sizeof(bearer)) < 0)
		abort();
	/* a KBS session to attest in */
	if (cu_server_session_new(&svc, "kbs", "snp", &s, &err) < 0)
		abort();
	snprintf(cookie, sizeof(cookie), "kbs-session-id=%s", s.id);
	cu_session_clear(&s);
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
	if (ep[k].route) {
		cu_http_handler h = th_route(ep[k].route);

		if (!h)
			abort();
		h(&svc, &req, &resp);
	} else
		cu_admin_handle(&svc, &req, &resp);
	if (resp.status < 200 || resp.status > 599 || (resp.status >= 500 && resp.status != 503))
		abort();
	if (resp.status >= 400) {
		json_t *j = json_loadb(resp.body ? resp.body : "", resp.body_size, 0, NULL);

		if (!json_is_object(j))
			abort();
		json_decref(j);
	}
	th_response_clear(&resp);
	json_decref(req.log);
	return 0;
}
