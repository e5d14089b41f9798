/* SPDX-License-Identifier: Apache-2.0 */
/* custos policy check | eval | import-azure */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <custos/appraisal.h>

#include "../src/appraisal/policy.h"
#include "../src/base/json.h"
#include "../src/base/limits.h"
#include "cli.h"

static void policy_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s policy check POLICY [--refvalues FILE]\n"
	    "       %s policy eval --policy POLICY --claims FILE [--refvalues FILE] [--at TIME]\n"
	    "                         [--explain] [--json]\n"
	    "       %s policy import-azure FILE [--id ID]\n"
	    "\n"
	    "  check          load a policy and report every mistake with its JSON path\n"
	    "  eval           evaluate a policy over claims (FILE, or - for standard input):\n"
	    "                 a release policy over an attestation result's claims prints\n"
	    "                 ALLOW or DENY; an appraisal policy over verified evidence claims\n"
	    "                 prints the EAR status and trustworthiness vector. The failing\n"
	    "                 clauses come first; --explain lists every clause, --json prints\n"
	    "                 the decision and the whole trace as JSON\n"
	    "  import-azure   translate an Azure Key Vault secure key release policy into a\n"
	    "                 native release policy (standard output); what could not be\n"
	    "                 mapped is listed on standard error\n"
	    "\n"
	    "Exit status: 0 valid / allowed / affirming, 1 invalid / denied / not affirming,\n"
	    "2 usage error or unreadable input. The language: custos-policy(5), "
	    "docs/policy.md.\n",
	    prog, prog, prog);
}

enum {
	OPT_POLICY = 256,
	OPT_CLAIMS,
	OPT_REFVALUES,
	OPT_AT,
	OPT_EXPLAIN,
	OPT_JSON,
	OPT_ID,
	OPT_HELP,
};

static const struct option options[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "claims", required_argument, NULL, OPT_CLAIMS },
	{ "refvalues", required_argument, NULL, OPT_REFVALUES },
	{ "at", required_argument, NULL, OPT_AT },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "id", required_argument, NULL, OPT_ID },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct policy_args {
	const char *policy, *claims, *refvalues, *at, *id, *file;
	bool explain, json;
};

static int parse(int argc, char **argv, struct policy_args *a)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_POLICY:
			a->policy = optarg;
			break;
		case OPT_CLAIMS:
			a->claims = optarg;
			break;
		case OPT_REFVALUES:
			a->refvalues = optarg;
			break;
		case OPT_AT:
			a->at = optarg;
			break;
		case OPT_EXPLAIN:
			a->explain = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_ID:
			a->id = optarg;
			break;
		case OPT_HELP:
		case 'h':
			policy_usage(stdout);
			exit(0);
		default:
			return usage_error("%s", "invalid option");
		}
	}
	if (optind < argc)
		a->file = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

int load_policy(const char *path, const char *refvalues, cu_policy **ret, struct cu_error *err)
{
	cu_refvalues *rv = NULL;
	int r;

	if (refvalues && cu_refvalues_load_file(&rv, refvalues, err) < 0)
		return -1;
	r = cu_policy_load_file(ret, path, rv, err);
	cu_refvalues_free(rv);
	return r;
}

int eval_and_report(const cu_policy *p, const json_t *input, int64_t at, bool explain, bool as_json)
{
	json_auto_t *trace = NULL, *submod = NULL, *out = NULL;
	struct cu_error err = { 0 };
	const char *decision;
	bool ok;

	if (cu_policy_get_kind(p) == CU_POLICY_RELEASE) {
		ok = cu_policy_allows(p, input, at, &trace);
		decision = ok ? "allow" : "deny";
	} else {
		if (cu_appraise(p, input, at, &submod, &trace, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			return EXIT_USAGE;
		}
		decision = json_string_value(json_object_get(submod, "ear.status"));
		ok = !strcmp(decision, "affirming");
	}
	if (!trace) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_USAGE;
	}
	if (as_json) {
		out = json_pack("{s:s,s:s,s:O}", "decision", decision, "policy",
		                cu_policy_get_ref(p), "trace", trace);
		if (out && submod)
			json_object_set(out, "trustworthiness-vector",
			                json_object_get(submod, "ear.trustworthiness-vector"));
		print_json(out);
		return ok ? EXIT_VERIFIED : EXIT_REJECTED;
	}
	printf("%s  %s\n",
	       cu_policy_get_kind(p) == CU_POLICY_RELEASE ? (ok ? "ALLOW" : "DENY") : decision,
	       cu_policy_get_ref(p));
	if (submod) {
		const char *key;
		const json_t *v;

		printf("Trustworthiness vector:\n");
		json_object_foreach (json_object_get(submod, "ear.trustworthiness-vector"), key, v)
			printf(
			    "  %-18s %" JSON_INTEGER_FORMAT " (%s)\n", key, json_integer_value(v),
			    cu_ear_status_name(cu_ear_status_of_value((int)json_integer_value(v))));
	}
	print_trace(stdout, trace, explain);
	return ok ? EXIT_VERIFIED : EXIT_REJECTED;
}

static int policy_check(struct policy_args *a)
{
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	struct cu_error err = { 0 };

	if (!a->file)
		return usage_error("policy check: missing POLICY file");
	if (load_policy(a->file, a->refvalues, &p, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return err.code == CU_ERR_IO ? EXIT_USAGE : EXIT_REJECTED;
	}
	printf("ok: %s (%s policy)\n", cu_policy_get_ref(p),
	       cu_policy_get_kind(p) == CU_POLICY_RELEASE ? "release" : "appraisal");
	return EXIT_VERIFIED;
}

static int policy_eval(struct policy_args *a)
{
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	_cleanup_free_ uint8_t *buf = NULL;
	json_auto_t *claims = NULL;
	struct cu_error err = { 0 };
	int64_t at;
	size_t size;
	int r;

	if (a->file)
		return usage_error("policy eval: use --policy and --claims, not '%s'", a->file);
	if (!a->policy || !a->claims)
		return usage_error("policy eval: --policy and --claims are required");
	if ((r = parse_at(a->at, &at)))
		return r;
	if ((r = read_input(a->claims, CU_LIMIT_CLAIMS_SIZE, &buf, &size)))
		return r;
	if (cu_json_parse((const char *)buf, size, CU_LIMIT_CLAIMS_SIZE, "claims", &claims, &err) <
	    0) {
		fprintf(stderr, "%s: %s: %s\n", prog, a->claims, err.message);
		return EXIT_USAGE;
	}
	/* An unusable policy denies, and says why. */
	if (load_policy(a->policy, a->refvalues, &p, &err) < 0) {
		if (a->json) {
			json_auto_t *out =
			    json_pack("{s:s,s:s}", "decision", "deny", "error", err.message);
			print_json(out);
		} else {
			printf("DENY  policy not loaded: %s\n", err.message);
		}
		return EXIT_REJECTED;
	}
	return eval_and_report(p, claims, at, a->explain, a->json);
}

static int policy_import_azure(struct policy_args *a)
{
	_cleanup_free_ uint8_t *buf = NULL;
	json_auto_t *native = NULL, *warnings = NULL;
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	_cleanup_free_ char *text = NULL;
	struct cu_error err = { 0 };
	const json_t *w;
	size_t size, i;
	int r;

	if (!a->file)
		return usage_error("policy import-azure: missing FILE");
	if ((r = read_input(a->file, CU_LIMIT_POLICY_SIZE, &buf, &size)))
		return r;
	if (cu_policy_import_azure((const char *)buf, size, a->id, &native, &warnings, &err) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, a->file, err.message);
		return EXIT_REJECTED;
	}
	json_array_foreach (warnings, i, w)
		fprintf(stderr, "%s: warning: %s\n", prog, json_string_value(w));
	text = json_dumps(native, JSON_INDENT(2));
	/* The translation must itself be a valid native policy. */
	if (!text || cu_policy_load(&p, text, strlen(text), NULL, &err) < 0) {
		fprintf(stderr, "%s: internal error: imported policy does not load: %s\n", prog,
		        err.message);
		return EXIT_REJECTED;
	}
	puts(text);
	return EXIT_VERIFIED;
}

int cmd_policy(int argc, char **argv)
{
	struct policy_args a = { 0 };
	const char *sub;
	int r;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		policy_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	sub = argv[1];
	if ((r = parse(argc - 1, argv + 1, &a)))
		return r;
	if (!strcmp(sub, "check"))
		return policy_check(&a);
	if (!strcmp(sub, "eval"))
		return policy_eval(&a);
	if (!strcmp(sub, "import-azure"))
		return policy_import_azure(&a);
	return usage_error("unknown policy command '%s' (check, eval, import-azure)", sub);
}
