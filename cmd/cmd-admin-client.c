/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos admin COMMAND: a client of custosd's admin API (docs/api.md). Tokens
 * are minted per call from the admin key (--key), or given (--token).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "../src/base/encoding.h"
#include "../src/base/fileio.h"
#include "../src/base/limits.h"
#include "../src/base/time.h"
#include "../src/crypto/jwt.h"
#include "../src/crypto/openssl-util.h"
#include "cli.h"
#include "curl-body.h"

struct admin_args {
	const char *url, *ca, *key, *token, *role, *tenant_claim;
	const char *secret_file, *generate, *policy;
	bool json;
	char **rest;
	int n_rest;
};

static void client_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s admin [--url URL] [--ca FILE] (--key FILE | --token JWT) [--json] COMMAND\n"
	    "\n"
	    "Commands (custosd's admin API, docs/api.md):\n"
	    "  tenant create TENANT\n"
	    "  policy put TENANT FILE                   store a release policy (immutable per "
	    "revision)\n"
	    "  resource put TENANT NAME --policy ID (--secret-file FILE | --generate "
	    "aes-256|ec-p256)\n"
	    "  resource list TENANT\n"
	    "  refvalues put TENANT FILE                a new revision of the tenant's reference "
	    "values\n"
	    "  refvalues get TENANT                     the revision in force\n"
	    "  audit verify\n"
	    "  token --key FILE --role ROLE [--tenant T]  mint a token only (no server needed)\n"
	    "\n"
	    "  --url URL      custosd (default https://127.0.0.1:8443)\n"
	    "  --ca FILE      its TLS certificate or CA (custosd init: DATA_DIR/tls/cert.pem)\n"
	    "  --key FILE     the admin private key (DATA_DIR/keys/admin-key.pem): a short-lived\n"
	    "                 token is minted for each call (role admin, or --role/--tenant)\n"
	    "  --token JWT    use this token instead\n"
	    "  --json         print the server's JSON reply as it is\n"
	    "\n"
	    "Exit status: 0 done, 1 refused by custosd (its reason is printed), 2 usage error or\n"
	    "custosd unreachable.\n",
	    prog);
}

/* One admin call; prints the outcome. Returns an exit code; *ret gets the JSON reply. */
static int call(const struct admin_args *a, const char *method, const char *path, const char *body,
                json_t **ret)
{
	_cleanup_free_ char *token = NULL, *auth = NULL, *url = NULL;
	struct curl_slist *h = NULL;
	struct cu_curl_body r = { 0 };
	long status = 0;
	CURLcode rc;
	CURL *c;

	token = a->token ? strdup(a->token)
	                 : admin_token_mint(a->key, a->role ? a->role : "admin", a->tenant_claim,
	                                    300, "custos-admin-cli");
	if (!token || asprintf(&auth, "Authorization: Bearer %s", token) < 0 ||
	    asprintf(&url, "%s%s", a->url, path) < 0)
		return EXIT_USAGE;
	c = curl_easy_init();
	if (!c)
		return EXIT_USAGE;
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (a->ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, a->ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cu_curl_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	OPENSSL_cleanse(auth, strlen(auth));
	if (rc != CURLE_OK) {
		fprintf(stderr, "%s: %s: %s\n", prog, url, curl_easy_strerror(rc));
		free(r.data);
		return EXIT_USAGE;
	}
	*ret = r.data ? json_loads(r.data, 0, NULL) : NULL;
	if (a->json && r.data)
		puts(r.data);
	free(r.data);
	if (status < 200 || status > 299) {
		const char *detail = json_string_value(json_object_get(*ret, "detail"));
		fprintf(stderr, "%s: %s %s: refused (HTTP %ld): %s\n", prog, method, path, status,
		        detail ? detail : "no reason given");
		return EXIT_REJECTED;
	}
	return 0;
}

static int need(const struct admin_args *a, int n, const char *usage)
{
	if (a->n_rest != n)
		return usage_error("usage: custos admin %s", usage);
	return 0;
}

int cmd_admin_client(int argc, char **argv)
{
	static const struct option options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "ca", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "token", required_argument, NULL, 't' },
		{ "role", required_argument, NULL, 'r' },
		{ "tenant", required_argument, NULL, 'T' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "generate", required_argument, NULL, 'g' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin_args a = { .url = "https://127.0.0.1:8443" };
	json_auto_t *reply = NULL;
	char path[1024];
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'u':
			a.url = optarg;
			break;
		case 'c':
			a.ca = optarg;
			break;
		case 'k':
			a.key = optarg;
			break;
		case 't':
			a.token = optarg;
			break;
		case 'r':
			a.role = optarg;
			break;
		case 'T':
			a.tenant_claim = optarg;
			break;
		case 's':
			a.secret_file = optarg;
			break;
		case 'g':
			a.generate = optarg;
			break;
		case 'p':
			a.policy = optarg;
			break;
		case 'j':
			a.json = true;
			break;
		case 'h':
			client_usage(stdout);
			return 0;
		default:
			return usage_error("%s", "invalid option");
		}
	}
	a.rest = argv + optind;
	a.n_rest = argc - optind;
	if (a.n_rest < 2) {
		client_usage(stderr);
		return EXIT_USAGE;
	}
	if (!a.key == !a.token)
		return usage_error("give the admin key (--key) or a token (--token)");
	if (strlen(a.url) > 512)
		return usage_error("--url is too long");

	if (!strcmp(a.rest[0], "tenant") && !strcmp(a.rest[1], "create")) {
		if ((r = need(&a, 3, "tenant create TENANT")))
			return r;
		snprintf(path, sizeof(path), "/v1/admin/tenants/%.200s", a.rest[2]);
		r = call(&a, "PUT", path, NULL, &reply);
		if (!r && !a.json)
			printf("tenant %s: ready\n", a.rest[2]);
		return r;
	}
	if (!strcmp(a.rest[0], "policy") && !strcmp(a.rest[1], "put")) {
		_cleanup_free_ uint8_t *doc = NULL;
		struct cu_error err = { 0 };
		size_t size;

		if ((r = need(&a, 4, "policy put TENANT FILE")))
			return r;
		if (cu_read_file(a.rest[3], CU_LIMIT_POLICY_SIZE, &doc, &size, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			return EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/v1/admin/tenants/%.200s/policies", a.rest[2]);
		r = call(&a, "POST", path, (const char *)doc, &reply);
		if (!r && !a.json)
			printf("stored %s\n",
			       json_string_value(json_object_get(reply, "policy")) ?: "");
		return r;
	}
	if (!strcmp(a.rest[0], "refvalues") && !strcmp(a.rest[1], "put")) {
		_cleanup_free_ uint8_t *doc = NULL;
		struct cu_error err = { 0 };
		size_t size;

		if ((r = need(&a, 4, "refvalues put TENANT FILE")))
			return r;
		if (cu_read_file(a.rest[3], CU_LIMIT_REFVALUES_SIZE, &doc, &size, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			return EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/v1/admin/tenants/%.200s/refvalues", a.rest[2]);
		r = call(&a, "POST", path, (const char *)doc, &reply);
		if (!r && !a.json)
			printf("reference values of %s: revision %lld in force\n", a.rest[2],
			       (long long)json_integer_value(json_object_get(reply, "revision")));
		return r;
	}
	if (!strcmp(a.rest[0], "refvalues") && !strcmp(a.rest[1], "get")) {
		if ((r = need(&a, 3, "refvalues get TENANT")))
			return r;
		snprintf(path, sizeof(path), "/v1/admin/tenants/%.200s/refvalues", a.rest[2]);
		r = call(&a, "GET", path, NULL, &reply);
		if (!r && !a.json) {
			char *doc = json_dumps(json_object_get(reply, "document"), JSON_INDENT(2));
			printf("revision %lld\n%s\n",
			       (long long)json_integer_value(json_object_get(reply, "revision")),
			       doc ? doc : "");
			free(doc);
		}
		return r;
	}
	if (!strcmp(a.rest[0], "resource") && !strcmp(a.rest[1], "put")) {
		_cleanup_free_ char *body = NULL, *b64 = NULL;
		json_auto_t *j = NULL;

		if ((r = need(&a, 4,
		              "resource put TENANT NAME --policy ID (--secret-file FILE | "
		              "--generate KIND)")))
			return r;
		if (!a.policy || !a.secret_file == !a.generate)
			return usage_error("resource put needs --policy and one of --secret-file, "
			                   "--generate");
		if (a.secret_file) {
			uint8_t *secret = NULL;
			size_t size = 0;
			struct cu_error err = { 0 };

			if (cu_read_file(a.secret_file, CU_LIMIT_RESOURCE_SIZE, &secret, &size,
			                 &err) < 0) {
				fprintf(stderr, "%s: %s\n", prog, err.message);
				return EXIT_USAGE;
			}
			b64 = cu_base64url_encode_alloc(secret, size);
			OPENSSL_clear_free(secret, size);
			j = b64 ? json_pack("{s:s,s:s}", "secret", b64, "policy", a.policy) : NULL;
			OPENSSL_cleanse(b64, b64 ? strlen(b64) : 0);
		} else {
			j = json_pack("{s:s,s:s}", "generate", a.generate, "policy", a.policy);
		}
		body = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (!body)
			return EXIT_USAGE;
		snprintf(path, sizeof(path), "/v1/admin/tenants/%.200s/resources/%.256s", a.rest[2],
		         a.rest[3]);
		r = call(&a, "PUT", path, body, &reply);
		OPENSSL_cleanse(body, strlen(body));
		if (!r && !a.json) {
			printf("resource %s/%s stored under policy %s\n", a.rest[2], a.rest[3],
			       a.policy);
			if (json_object_get(reply, "public_key")) {
				char *pk =
				    json_dumps(json_object_get(reply, "public_key"), JSON_COMPACT);
				printf("public key: %s\n", pk ? pk : "?");
				free(pk);
			}
		}
		return r;
	}
	if (!strcmp(a.rest[0], "resource") && !strcmp(a.rest[1], "list")) {
		size_t i;
		json_t *e;

		if ((r = need(&a, 3, "resource list TENANT")))
			return r;
		snprintf(path, sizeof(path), "/v1/admin/tenants/%.200s/resources", a.rest[2]);
		r = call(&a, "GET", path, NULL, &reply);
		if (!r && !a.json) {
			printf("%-40s %-24s %s\n", "RESOURCE", "POLICY", "CREATED");
			json_array_foreach (json_object_get(reply, "resources"), i, e) {
				char t[32];

				cu_time_format_rfc3339(
				    json_integer_value(json_object_get(e, "created")), t,
				    sizeof(t));
				printf("%-40s %-24s %s\n",
				       json_string_value(json_object_get(e, "name")),
				       json_string_value(json_object_get(e, "policy")), t);
			}
		}
		return r;
	}
	if (!strcmp(a.rest[0], "audit") && !strcmp(a.rest[1], "verify")) {
		if ((r = need(&a, 2, "audit verify")))
			return r;
		r = call(&a, "GET", "/v1/admin/audit/verify", NULL, &reply);
		if (!r && !a.json)
			printf("audit log intact: %lld records\n",
			       (long long)json_integer_value(json_object_get(reply, "records")));
		return r;
	}
	return usage_error("unknown admin command '%s %s' (custos admin --help)", a.rest[0],
	                   a.rest[1]);
}
