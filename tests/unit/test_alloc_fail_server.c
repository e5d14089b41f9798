/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custosd's handlers with each allocation failing in turn (alloc-inject.c),
 * in process over a real store (a data directory from `custosd init`):
 *
 * - an admin storing a secret (PUT .../resources/NAME): every run answers 201
 *   or an error with a JSON body; an acknowledged secret is there; a refused
 *   one is absent, or, when only the reply failed after the commit (503), is
 *   there whole, as a write that survives a crash unacknowledged: never a
 *   half-written one;
 * - a KBS challenge (POST /kbs/v0/auth): 200 or an error, never a crash.
 *
 * At the end the audit chain verifies. Under ASan and UBSan nothing may
 * crash, and LeakSanitizer checks at exit that nothing leaked. SQLite's own
 * allocations are not failed (they do not go through the wrappers), nor
 * OpenSSL's when a library linked with custosd allocated through it first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/base/encoding.h"
#include "../../src/server/admin.h"
#include "../../src/server/http.h"
#include "../../src/server/kbs.h"
#include "../../src/server/service.h"
#include "../../src/store/store.h"
#include "alloc-inject.h"
#include "server-harness.h"
#include "test-util.h"

static struct cu_service svc;
static char bearer[2048];

/* One request, handled as the HTTP layer would; the status. */
static unsigned call(const char *method, const char *path, const char *body, bool admin)
{
	const char *hdrs[] = { "Authorization", bearer, NULL };
	struct cu_http_request req = { .method = method, .path = path };
	struct cu_http_response resp = { 0 };
	unsigned st;

	snprintf(req.client, sizeof(req.client), "127.0.0.1");
	req.body = (const uint8_t *)body;
	req.body_size = strlen(body);
	req.log = json_object();
	req.headers = admin ? hdrs : NULL;
	if (admin) {
		cu_admin_handle(&svc, &req, &resp);
	} else {
		th_route("kbs_auth")(&svc, &req, &resp);
	}
	st = resp.status;
	if (st < 200 || st > 599)
		fail_msg("%s %s: status %u", method, path, st);
	if (st >= 400) {
		json_t *j = json_loadb(resp.body ? resp.body : "", resp.body_size, 0, NULL);

		if (!json_is_object(j))
			fail_msg("%s %s: %u without a JSON error", method, path, st);
		json_decref(j);
	}
	th_response_clear(&resp);
	json_decref(req.log);
	return st;
}

/* 0 absent, 1 stored whole (its policy, a sealed value); a fragment fails the test. */
static int stored(const char *name)
{
	struct cu_resource r = { 0 };
	struct cu_error err = { 0 };
	int k = cu_store_resource_get(svc.store, "t", name, &r, &err);
	bool whole = k == 0 && r.policy && !strcmp(r.policy, "p") && r.sealed;

	cu_resource_clear(&r);
	if (k < 0 && k != CU_ERR_NOT_FOUND)
		fail_msg("store: %s", err.message);
	if (k == 0 && !whole)
		fail_msg("%s: stored, but not whole", name);
	return k == 0;
}

static void test_resource_put(void **state)
{
	const char *policy = "{\"version\":1,\"kind\":\"release\",\"id\":\"p\",\"revision\":1,"
	                     "\"allow\":{\"claim\":\"tee\",\"equals\":\"sev-snp\"}}";
	char body[256], name[64], path[128];
	long total, ok = 0, refused = 0, late = 0;
	struct cu_error err = { 0 };
	uint64_t n = 0;

	(void)state;
	A = (struct alloc_inject){ 0 };
	assert_int_equal(call("PUT", "/v1/admin/tenants/t", "", true) / 100, 2);
	assert_int_equal(call("POST", "/v1/admin/tenants/t/policies", policy, true), 201);
	snprintf(body, sizeof(body), "{\"secret\":\"c2VjcmV0\",\"policy\":\"p\"}");
	A = (struct alloc_inject){ 0 };
	assert_int_equal(call("PUT", "/v1/admin/tenants/t/resources/key/count", body, true), 201);
	total = A.count;
	for (long k = 1; k <= total; k++) {
		unsigned st;

		snprintf(name, sizeof(name), "key/k%ld", k);
		snprintf(path, sizeof(path), "/v1/admin/tenants/t/resources/%s", name);
		A = (struct alloc_inject){ .fail_at = k };
		st = call("PUT", path, body, true);
		A = (struct alloc_inject){ 0 };
		if (st == 201) {
			ok++;
			if (!stored(name))
				fail_msg("allocation %ld: acknowledged but not stored", k);
		} else {
			refused++;
			/* refused before the commit: absent; after it (only the reply could not be
			 * built: 503): whole, like a write that survives a crash unacknowledged */
			if (stored(name) && st != 503)
				fail_msg("allocation %ld: refused (%u) but stored", k, st);
			late += st == 503 && stored(name);
		}
	}
	print_message("# PUT resource: %ld allocations failed in turn, %ld absorbed, %ld "
	              "refused cleanly (%ld after the commit, stored whole)\n",
	              total, ok, refused, late);
	assert_int_equal(cu_store_audit_verify(svc.store, &n, &err), 0);
	assert_true(n > 0);
}

static void test_kbs_auth(void **state)
{
	const char *body = "{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":\"\"}";
	long total;

	(void)state;
	A = (struct alloc_inject){ 0 };
	assert_int_equal(call("POST", "/kbs/v0/auth", body, false), 200);
	total = A.count;
	for (long k = 1; k <= total; k++) {
		A = (struct alloc_inject){ .fail_at = k };
		call("POST", "/kbs/v0/auth", body, false);
	}
	A = (struct alloc_inject){ 0 };
	print_message("# KBS auth: %ld allocations failed in turn\n", total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resource_put),
		cmocka_unit_test(test_kbs_auth),
	};

	if (alloc_inject_init() == 1)
		print_message("# OpenSSL allocated before main (a library's constructor): its "
		              "allocations are not failed here\n");
	if (th_service_new(&svc, bearer, sizeof(bearer)) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
