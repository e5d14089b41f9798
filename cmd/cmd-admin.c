/* SPDX-License-Identifier: Apache-2.0 */
/* custos admin token: mint a bearer token for custosd's admin API. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "../src/crypto/jwt.h"
#include "../src/crypto/openssl-util.h"
#include "cli.h"

static void admin_usage(FILE *f)
{
	fprintf(f,
	        "Usage: %s admin token --key FILE --role admin|tenant-admin|auditor\n"
	        "                         [--tenant NAME] [--sub NAME] [--lifetime SECONDS]\n"
	        "\n"
	        "Sign a bearer token for custosd's admin API (/v1/admin/...) with the admin\n"
	        "private key (custosd init writes DATA_DIR/keys/admin-key.pem). A tenant-admin\n"
	        "token needs --tenant. The token expires after --lifetime seconds (default 3600).\n"
	        "\n"
	        "Example:\n"
	        "  TOKEN=$(%s admin token --key /var/lib/custos/keys/admin-key.pem --role admin)\n"
	        "  curl --cacert cert.pem -H \"Authorization: Bearer $TOKEN\" -X PUT \\\n"
	        "       https://127.0.0.1:8443/v1/admin/tenants/payments\n",
	        prog, prog);
}

int cmd_admin(int argc, char **argv)
{
	static const struct option options[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "role", required_argument, NULL, 'r' },
		{ "tenant", required_argument, NULL, 't' },
		{ "sub", required_argument, NULL, 's' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *role = NULL, *tenant = NULL, *sub = "custos-admin";
	long long lifetime = 3600;
	_cleanup_free_ char *token = NULL;
	char *end;
	int c;

	if (argc < 2 || !strcmp(argv[1], "help")) {
		admin_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "token"))
		return cmd_admin_client(argc, argv);
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 't':
			tenant = optarg;
			break;
		case 's':
			sub = optarg;
			break;
		case 'l':
			lifetime = strtoll(optarg, &end, 10);
			if (*end || lifetime < 1 || lifetime > 31 * 86400)
				return usage_error("--lifetime: 1 to 2678400 seconds");
			break;
		case 'h':
			admin_usage(stdout);
			return 0;
		default:
			return usage_error("%s", "invalid option");
		}
	}
	if (!key || !role)
		return usage_error("admin token: --key and --role are required");
	if (strcmp(role, "admin") && strcmp(role, "tenant-admin") && strcmp(role, "auditor"))
		return usage_error("--role: admin, tenant-admin or auditor");
	if (!strcmp(role, "tenant-admin") != !!tenant)
		return usage_error("--tenant goes with --role tenant-admin, and only with it");
	token = admin_token_mint(key, role, tenant, lifetime, sub);
	if (!token)
		return EXIT_REJECTED;
	puts(token);
	return 0;
}

char *admin_token_mint(const char *key, const char *role, const char *tenant, long long lifetime,
                       const char *sub)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = NULL;
	json_auto_t *claims = NULL;
	struct cu_error err = { 0 };
	char *token = NULL;
	FILE *f = fopen(key, "re");

	if (!f || !(pk = PEM_read_PrivateKey(f, NULL, NULL, NULL))) {
		if (f)
			fclose(f);
		fprintf(stderr, "%s: %s: cannot read a PEM private key\n", prog, key);
		return NULL;
	}
	fclose(f);
	claims = json_pack("{s:s,s:s,s:I,s:I}", "role", role, "sub", sub, "iat",
	                   (json_int_t)time(NULL), "exp", (json_int_t)(time(NULL) + lifetime));
	if (claims && tenant)
		json_object_set_new(claims, "tenant", json_string(tenant));
	if (!claims || cu_token_sign_pkey(pk, claims, &token, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message[0] ? err.message : "out of memory");
		return NULL;
	}
	return token;
}
