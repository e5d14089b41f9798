/* SPDX-License-Identifier: Apache-2.0 */
/* custos token keygen | rotate | jwks | verify */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <custos/appraisal.h>

#include "../src/appraisal/policy.h"
#include "../src/base/json.h"
#include "../src/crypto/jwt.h"
#include "../src/base/limits.h"
#include "cli.h"

static void token_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s token keygen [--key FILE] [--alg ES256|ES384|EdDSA]\n"
	    "       %s token rotate [--key FILE] [--alg ES256|ES384|EdDSA]\n"
	    "       %s token jwks [--key FILE]\n"
	    "       %s token verify TOKEN --jwks FILE [--at TIME] [--json]\n"
	    "                          [--policy RELEASE-POLICY [--refvalues FILE] [--explain]]\n"
	    "\n"
	    "  keygen   create the attestation-result signing key file (mode 0600)\n"
	    "  rotate   make a new current key; the old one stays in the JWKS as previous,\n"
	    "           so tokens it signed keep verifying until they expire\n"
	    "  jwks     print the public keys (current and previous) as a JWKS\n"
	    "  verify   check a token (the token itself, a file holding it, or - for standard\n"
	    "           input): signature with the key named by kid, the algorithm fixed by\n"
	    "           that key's type (never by the token), exp and nbf at --at. Prints\n"
	    "           the claims; with --policy, also evaluates a release policy on them\n"
	    "\n"
	    "--key defaults to $XDG_CONFIG_HOME/custos/ear-signing-key.json\n"
	    "(~/.config/custos/ear-signing-key.json); --alg defaults to ES256.\n"
	    "Exit status: 0 valid (and allowed), 1 invalid (or denied), 2 usage error.\n",
	    prog, prog, prog, prog);
}

enum {
	OPT_KEY = 256,
	OPT_ALG,
	OPT_JWKS,
	OPT_AT,
	OPT_JSON,
	OPT_POLICY,
	OPT_REFVALUES,
	OPT_EXPLAIN,
	OPT_HELP,
};

static const struct option options[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "alg", required_argument, NULL, OPT_ALG },
	{ "jwks", required_argument, NULL, OPT_JWKS },
	{ "at", required_argument, NULL, OPT_AT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "refvalues", required_argument, NULL, OPT_REFVALUES },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct token_args {
	const char *key, *alg, *jwks, *at, *policy, *refvalues, *token;
	bool json, explain;
};

static int parse(int argc, char **argv, struct token_args *a)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_KEY:
			a->key = optarg;
			break;
		case OPT_ALG:
			a->alg = optarg;
			break;
		case OPT_JWKS:
			a->jwks = optarg;
			break;
		case OPT_AT:
			a->at = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_POLICY:
			a->policy = optarg;
			break;
		case OPT_REFVALUES:
			a->refvalues = optarg;
			break;
		case OPT_EXPLAIN:
			a->explain = true;
			break;
		case OPT_HELP:
		case 'h':
			token_usage(stdout);
			exit(0);
		default:
			return usage_error("%s", "invalid option");
		}
	}
	if (optind < argc)
		a->token = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

int open_signing_key(const char *path, const char *alg_name, enum key_mode mode,
                     cu_signing_key **ret)
{
	_cleanup_free_ char *def = NULL;
	enum cu_token_alg alg = CU_ALG_ES256;
	struct cu_error err = { 0 };
	struct stat st;
	bool created = false;

	if (alg_name && cu_token_alg_from_name(alg_name, &alg) < 0)
		return usage_error("--alg: '%s' is not one of ES256, ES384, EdDSA", alg_name);
	if (!path) {
		if (default_key_path(&def) < 0)
			return EXIT_USAGE;
		path = def;
	}
	if (mode == KEY_MUST_BE_NEW && stat(path, &st) == 0) {
		fprintf(stderr,
		        "%s: %s already exists; use 'custos token rotate' to replace the key\n",
		        prog, path);
		return EXIT_REJECTED;
	}
	if (mode == KEY_MUST_EXIST && stat(path, &st) < 0) {
		fprintf(stderr, "%s: no signing key at %s; create one with 'custos token keygen'\n",
		        prog, path);
		return EXIT_REJECTED;
	}
	if (cu_signing_key_open(ret, path, alg, &created, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return EXIT_REJECTED;
	}
	if (created)
		fprintf(stderr, "%s: created signing key %s (%s, kid %s)\n", prog, path,
		        cu_token_alg_name(cu_signing_key_alg(*ret)), cu_signing_key_kid(*ret));
	else if (alg_name && alg != cu_signing_key_alg(*ret))
		fprintf(stderr, "%s: note: %s holds a %s key; --alg %s applies to new keys only\n",
		        prog, path, cu_token_alg_name(cu_signing_key_alg(*ret)), alg_name);
	return 0;
}

static int token_verify(struct token_args *a)
{
	_cleanup_free_ uint8_t *buf = NULL;
	json_auto_t *jwks = NULL, *claims = NULL;
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	struct cu_error err = { 0 };
	const char *tok;
	size_t size;
	int64_t at;
	int r;

	if (!a->token)
		return usage_error("token verify: missing TOKEN");
	if (!a->jwks)
		return usage_error(
		    "token verify: --jwks FILE is required (the issuer's public keys)");
	if ((r = parse_at(a->at, &at)))
		return r;
	if (cu_json_load_file(a->jwks, CU_LIMIT_KEYFILE_SIZE, "jwks", &jwks, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return EXIT_USAGE;
	}
	/* A file holding the token, standard input, or the token itself. */
	if (!strcmp(a->token, "-") || access(a->token, F_OK) == 0) {
		if ((r = read_input(a->token, CU_LIMIT_TOKEN_SIZE, &buf, &size)))
			return r;
		while (size &&
		       (buf[size - 1] == '\n' || buf[size - 1] == '\r' || buf[size - 1] == ' '))
			buf[--size] = '\0';
		tok = (const char *)buf;
	} else {
		tok = a->token;
		size = strlen(tok);
	}
	if (cu_token_verify(tok, size, jwks, at, &claims, &err) < 0) {
		report_failure("token", &err, a->json);
		return EXIT_REJECTED;
	}
	if (!a->policy) {
		print_json(claims);
		return EXIT_VERIFIED;
	}
	if (load_policy(a->policy, a->refvalues, &p, &err) < 0) {
		printf("DENY  policy not loaded: %s\n", err.message);
		return EXIT_REJECTED;
	}
	return eval_and_report(p, claims, at, a->explain, a->json);
}

int cmd_token(int argc, char **argv)
{
	struct token_args a = { 0 };
	_cleanup_(cu_signing_key_freep) cu_signing_key *k = NULL;
	struct cu_error err = { 0 };
	const char *sub;
	enum cu_token_alg alg = CU_ALG_ES256;
	int r;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		token_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if ((r = parse(argc - 1, argv + 1, &a)))
		return r;
	if (!strcmp(sub, "verify"))
		return token_verify(&a);
	if (strcmp(sub, "keygen") && strcmp(sub, "rotate") && strcmp(sub, "jwks"))
		return usage_error("unknown token command '%s' (keygen, rotate, jwks, verify)",
		                   sub);
	if (a.token)
		return usage_error("token %s: unexpected argument '%s'", sub, a.token);
	if (!strcmp(sub, "jwks") && a.alg)
		return usage_error("token jwks: --alg does not apply");
	if (a.alg && cu_token_alg_from_name(a.alg, &alg) < 0)
		return usage_error("--alg: '%s' is not one of ES256, ES384, EdDSA", a.alg);
	if ((r = open_signing_key(a.key, !strcmp(sub, "rotate") ? NULL : a.alg,
	                          !strcmp(sub, "keygen") ? KEY_MUST_BE_NEW : KEY_MUST_EXIST, &k)))
		return r;
	if (!strcmp(sub, "rotate")) {
		if (!a.alg)
			alg = cu_signing_key_alg(k);
		if (cu_signing_key_rotate(k, alg, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			return EXIT_REJECTED;
		}
		fprintf(stderr, "%s: rotated: new %s key %s; the previous key stays in the JWKS\n",
		        prog, cu_token_alg_name(alg), cu_signing_key_kid(k));
		return EXIT_VERIFIED;
	}
	if (!strcmp(sub, "jwks")) {
		json_auto_t *jwks = cu_signing_key_jwks(k);
		print_json(jwks);
		return jwks ? EXIT_VERIFIED : EXIT_REJECTED;
	}
	printf("%s\n", cu_signing_key_kid(k));
	return EXIT_VERIFIED;
}
