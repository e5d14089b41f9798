/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "../../src/crypto/jwt.h"
#include "server-harness.h"

int th_service_new(struct cu_service *svc, char *bearer, size_t bearer_size)
{
	char dir[] = "/tmp/custos-in-process-XXXXXX", path[512];
	struct cu_error err = { 0 };
	EVP_PKEY *pk = NULL;
	json_t *claims = NULL;
	char *tok = NULL;
	FILE *f;
	int r = -1;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/data", dir);
	if (cu_service_init_dir(path, NULL, &err) < 0)
		goto out;
	cu_config_defaults(&svc->config);
	svc->config.data_dir = strdup(path);
	snprintf(path, sizeof(path), "%s/data/custosd.conf", dir);
	if (cu_config_load(&svc->config, path, &err) < 0 ||
	    cu_config_set(&svc->config, "log", "/dev/null", &err) < 0 ||
	    cu_service_load(svc, &err) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/data/keys/admin-key.pem", dir);
	if (!(f = fopen(path, "re")))
		goto out;
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	claims = json_pack("{s:s,s:s,s:I,s:I}", "role", "admin", "sub", "test", "iat",
	                   (json_int_t)time(NULL), "exp", (json_int_t)time(NULL) + 86400);
	if (!pk || !claims || cu_token_sign_pkey(pk, claims, &tok, &err) < 0)
		goto out;
	snprintf(bearer, bearer_size, "Bearer %s", tok);
	r = 0;
out:
	if (r < 0)
		fprintf(stderr, "in-process custosd: %s\n", err.message[0] ? err.message : path);
	free(tok);
	json_decref(claims);
	EVP_PKEY_free(pk);
	return r;
}

cu_http_handler th_route(const char *name)
{
	for (size_t i = 0; i < cu_n_routes; i++)
		if (cu_routes[i].name && !strcmp(cu_routes[i].name, name))
			return cu_routes[i].handler;
	return NULL;
}

void th_response_clear(struct cu_http_response *resp)
{
	free(resp->body);
	for (int i = 0; i < CU_HTTP_MAX_HEADERS; i++) {
		free(resp->headers[i][0]);
		free(resp->headers[i][1]);
	}
	memset(resp, 0, sizeof(*resp));
}
