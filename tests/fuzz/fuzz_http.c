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
 * Each KBS attestation gets a session of its own, and "@NONCE@" in its body
 * becomes that session's challenge: mutants pass the nonce check and reach
 * the evidence (primary and additional) and its verification.
 *
 * Every answer has a status from 200 to 599, never a 5xx but 503, and an error
 * is a JSON object. Seeds: tests/fuzz/seeds/http (SOURCES.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/encoding.h"
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
	if (th_service_new(&svc, bearer, sizeof(bearer)) < 0)
		abort();
}

/*
 * A new KBS session (its cookie in `cookie`), and the body with every
 * "@NONCE@" replaced by its challenge as the guest echoes it (standard
 * base64). The caller frees the body.
 */
static uint8_t *kbs_session(const uint8_t *body, size_t size, size_t *ret_size)
{
	static const char token[] = "@NONCE@";
	struct cu_error err = { 0 };
	struct cu_session s = { 0 };
	char *nonce;
	uint8_t *out;
	size_t n = 0, tl = sizeof(token) - 1, nl;

	if (cu_server_session_new(&svc, "kbs", "snp", &s, &err) < 0)
		abort();
	snprintf(cookie, sizeof(cookie), "kbs-session-id=%s", s.id);
	nonce = cu_base64_encode_alloc(s.nonce, sizeof(s.nonce));
	cu_session_clear(&s);
	if (!nonce)
		abort();
	nl = strlen(nonce);
	out = malloc(size / tl * nl + size + 1);
	if (!out)
		abort();
	for (size_t i = 0; i < size;) {
		if (i + tl <= size && !memcmp(body + i, token, tl)) {
			memcpy(out + n, nonce, nl);
			n += nl;
			i += tl;
		} else {
			out[n++] = body[i++];
		}
	}
	free(nonce);
	*ret_size = n;
	return out;
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
	uint8_t *body = NULL;
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
	if (ep[k].headers == 1)
		req.body = body = kbs_session(data + 1, size - 1, &req.body_size);
	req.log = json_object();
	req.headers = ep[k].headers == 3 ? bad : hdrs[ep[k].headers];
	if (ep[k].route) {
		cu_http_handler h = th_route(ep[k].route);

		if (!h)
			abort();
		h(&svc, &req, &resp);
	} else
		cu_admin_handle(&svc, &req, &resp);
	if (getenv("CUSTOS_FUZZ_HTTP_SHOW")) /* what a seed reaches */
		fprintf(stderr, "%s %s: %u %.*s\n", req.method, req.path, resp.status,
		        (int)(resp.body_size < 300 ? resp.body_size : 300),
		        resp.body ? resp.body : "");
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
	free(body);
	return 0;
}
