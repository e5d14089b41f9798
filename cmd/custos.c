/* SPDX-License-Identifier: Apache-2.0 */
/* custos: verify and inspect attestation evidence from the command line. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <custos/appraisal.h>
#include <custos/custos.h>

#include "../src/appraisal/policy.h"
#include "../src/base/encoding.h"
#include "../src/base/error.h"
#include "../src/base/fileio.h"
#include "../src/base/limits.h"
#include "../src/base/time.h"
#include "../src/crypto/jwt.h"
#include "cli.h"
#include "cmd-collateral.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s COMMAND [OPTIONS] FILE\n"
	    "\n"
	    "Verify attestation evidence from hardware TEEs offline, against pinned vendor roots;\n"
	    "appraise it against policy and reference values into a signed attestation result.\n"
	    "\n"
	    "Commands:\n"
	    "  verify FILE    verify evidence; print its claims as JSON on success, or with\n"
	    "                 --appraise a signed EAR attestation result (a JWT)\n"
	    "  inspect FILE   print every decoded field, UNVERIFIED (nothing is checked)\n"
	    "  policy ...     check, evaluate and import policies ('%s policy help')\n"
	    "  token ...      signing keys, JWKS, and verification of attestation results\n"
	    "                 ('%s token help')\n"
	    "  audit ...      verify or export custosd's hash-chained audit log\n"
	    "  collateral fetch  fetch a TDX/SGX quote's collateral from Intel PCS or a PCCS\n"
	    "                 ('%s collateral help')\n"
	    "  admin token    mint an admin token for custosd's admin API\n"
	    "  version        print the version\n"
	    "  help           show this help\n"
	    "\n"
	    "Options of verify:\n"
	    "  --tee FORMAT          evidence format (snp, tdx, sgx, nitro, cca, tpm, "
	    "az-snp-vtpm,\n"
	    "                        az-tdx-vtpm, nvgpu); detected when left out\n"
	    "  --at TIME             verification time, RFC 3339 (e.g. 2024-01-01T00:00:00Z);\n"
	    "                        default: now. Certificates, collateral, reference-value and\n"
	    "                        policy windows, and the token's iat are taken at this time\n"
	    "  --collateral PATH     collateral file or directory, repeatable: certificates and\n"
	    "                        CRLs (PEM or DER), Intel TCB info and QE identity JSON\n"
	    "                        (PCS form, or a dcap-qvl/PCCS collateral bundle), and\n"
	    "                        public keys (JWK or PEM: Arm CCA platform keys, TPM AKs),\n"
	    "                        TPM CA roots (self-signed certificates), NVIDIA RIMs\n"
	    "                        (signed SWID tags); recognised\n"
	    "                        by content, unrelated files are ignored\n"
	    "  --report-data HEX     expected report data (up to 64 bytes, zero-padded); a "
	    "mismatch\n"
	    "                        is a rejection\n"
	    "  --cert FILE           certificates that travel with this evidence (PEM or DER):\n"
	    "                        an NVIDIA GPU's device chain for a raw SPDM report, an SNP\n"
	    "                        VCEK; endorsements only, chains still end at a pinned root\n"
	    "  --eventlog FILE       TDX: the CC event log (CCEL); replayed, it must equal the\n"
	    "                        quote's RTMRs, and its events become tdx.eventlog claims.\n"
	    "                        TPM: the measured-boot log, replayed into the quoted PCRs\n"
	    "  --fetch URL           TDX/SGX: when Intel collateral is missing or stale, fetch it\n"
	    "                        from Intel PCS or a PCCS at URL into the cache, then verify\n"
	    "                        again (off by default: verification never uses the network)\n"
	    "  --collateral-cache DIR  where --fetch keeps collateral (default\n"
	    "                        $XDG_CACHE_HOME/custos/dcap); read as --collateral\n"
	    "  --json                on failure, also print a JSON error object on standard "
	    "output\n"
	    "  --insecure-test-root FILE\n"
	    "                        INSECURE, for tests only: trust FILE as an extra root\n"
	    "  --insecure-allow-sha1 INSECURE: accept SHA-1 signatures (TPM quotes by AKs whose\n"
	    "                        scheme is RSASSA-SHA1, as older Windows machines make)\n"
	    "\n"
	    "Appraisal (verify --appraise):\n"
	    "  --appraise            appraise the verified claims and print the signed EAR\n"
	    "  --policy FILE         appraisal policy (required with --appraise)\n"
	    "  --refvalues FILE      reference values the policy names\n"
	    "  --key FILE            signing key, created (0600) on first use; default\n"
	    "                        $XDG_CONFIG_HOME/custos/ear-signing-key.json\n"
	    "  --alg ALG             algorithm of a newly created key: ES256 (default), ES384, "
	    "EdDSA\n"
	    "  --nonce HEX           eat_nonce to carry in the result (8 to 64 bytes)\n"
	    "  --lifetime SECONDS    token lifetime (default 300)\n"
	    "  --explain             print the appraisal's explanation on standard error\n"
	    "\n"
	    "Options of inspect:\n"
	    "  --tee FORMAT          evidence format; detected when left out\n"
	    "  --json                print the fields as JSON\n"
	    "\n"
	    "Exit status: 0 verified (with --appraise: status affirming), 1 rejected (one line\n"
	    "on standard error names the stage and the reason; with --appraise: any other status,\n"
	    "the EAR is still printed), 2 usage error or unreadable input.\n"
	    "\n"
	    "Examples:\n"
	    "  %s verify --at 2024-01-01T00:00:00Z --collateral vcek.der report.bin\n"
	    "  %s verify report.bin --collateral certs/ --appraise --policy appraisal.json \\\n"
	    "      --refvalues refvalues.json --key ear-key.json > ear.jwt\n"
	    "  %s token verify ear.jwt --jwks jwks.json --policy release.json\n"
	    "  %s verify --at 2025-07-01T00:00:00Z --collateral intel/ quote.bin   (TDX or SGX:\n"
	    "      intel/ holds the TCB info, QE identity, CRLs and issuer chains from Intel "
	    "PCS)\n",
	    prog, prog, prog, prog, prog, prog, prog, prog);
}

enum {
	OPT_TEE = 256,
	OPT_AT,
	OPT_COLLATERAL,
	OPT_REPORT_DATA,
	OPT_EVENTLOG,
	OPT_FETCH,
	OPT_CACHE,
	OPT_JSON,
	OPT_TEST_ROOT,
	OPT_ALLOW_SHA1,
	OPT_CERT,
	OPT_APPRAISE,
	OPT_POLICY,
	OPT_REFVALUES,
	OPT_KEY,
	OPT_ALG,
	OPT_NONCE,
	OPT_LIFETIME,
	OPT_EXPLAIN,
	OPT_HELP,
};

static const struct option options[] = {
	{ "tee", required_argument, NULL, OPT_TEE },
	{ "at", required_argument, NULL, OPT_AT },
	{ "collateral", required_argument, NULL, OPT_COLLATERAL },
	{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
	{ "eventlog", required_argument, NULL, OPT_EVENTLOG },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "fetch", required_argument, NULL, OPT_FETCH },
	{ "collateral-cache", required_argument, NULL, OPT_CACHE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "insecure-test-root", required_argument, NULL, OPT_TEST_ROOT },
	{ "insecure-allow-sha1", no_argument, NULL, OPT_ALLOW_SHA1 },
	{ "appraise", no_argument, NULL, OPT_APPRAISE },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "refvalues", required_argument, NULL, OPT_REFVALUES },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "alg", required_argument, NULL, OPT_ALG },
	{ "nonce", required_argument, NULL, OPT_NONCE },
	{ "lifetime", required_argument, NULL, OPT_LIFETIME },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *tee;
	const char *at;
	const char **collateral;
	size_t n_collateral;
	const char *report_data;
	const char *eventlog;
	const char *cert;
	const char *fetch, *cache;
	const char **test_roots;
	size_t n_test_roots;
	bool json, allow_sha1;
	bool appraise, explain;
	const char *policy, *refvalues, *key, *alg, *nonce, *lifetime;
	const char *file;
};

static int push(const char ***list, size_t *n, const char *s)
{
	const char **l = realloc(*list, (*n + 1) * sizeof(*l));

	if (!l)
		return -1;
	l[(*n)++] = s;
	*list = l;
	return 0;
}

static int parse_args(int argc, char **argv, bool verify, struct args *a)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (!verify && c != OPT_TEE && c != OPT_JSON && c != OPT_HELP && c != 'h' &&
		    c >= OPT_TEE && c < OPT_HELP)
			return usage_error("option --%s is only for verify",
			                   options[c - OPT_TEE].name);
		switch (c) {
		case OPT_TEE:
			a->tee = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_AT:
			a->at = optarg;
			break;
		case OPT_REPORT_DATA:
			a->report_data = optarg;
			break;
		case OPT_EVENTLOG:
			a->eventlog = optarg;
			break;
		case OPT_CERT:
			a->cert = optarg;
			break;
		case OPT_FETCH:
			a->fetch = optarg;
			break;
		case OPT_CACHE:
			a->cache = optarg;
			break;
		case OPT_COLLATERAL:
		case OPT_TEST_ROOT:
			if (push(c == OPT_COLLATERAL ? &a->collateral : &a->test_roots,
			         c == OPT_COLLATERAL ? &a->n_collateral : &a->n_test_roots,
			         optarg) < 0)
				return usage_error("%s", "out of memory");
			break;
		case OPT_ALLOW_SHA1:
			a->allow_sha1 = true;
			break;
		case OPT_APPRAISE:
			a->appraise = true;
			break;
		case OPT_EXPLAIN:
			a->explain = true;
			break;
		case OPT_POLICY:
			a->policy = optarg;
			break;
		case OPT_REFVALUES:
			a->refvalues = optarg;
			break;
		case OPT_KEY:
			a->key = optarg;
			break;
		case OPT_ALG:
			a->alg = optarg;
			break;
		case OPT_NONCE:
			a->nonce = optarg;
			break;
		case OPT_LIFETIME:
			a->lifetime = optarg;
			break;
		default:
			return usage_error("%s", "invalid option");
		}
	}
	if (optind != argc - 1)
		return usage_error("%s",
		                   optind >= argc ? "missing FILE" : "exactly one FILE expected");
	a->file = argv[optind];
	if (!a->appraise && (a->policy || a->refvalues || a->key || a->alg || a->nonce ||
	                     a->lifetime || a->explain))
		return usage_error("%s", "--policy, --refvalues, --key, --alg, --nonce, --lifetime "
		                         "and --explain need --appraise");
	if (a->appraise && !a->policy)
		return usage_error("%s", "--appraise needs --policy FILE (an appraisal policy)");
	return 0;
}

/* Decode HEX of min..max bytes into buf; returns the size or -1. */
static long parse_hex_arg(const char *name, const char *hex, size_t min, size_t max, uint8_t *buf)
{
	size_t len = strlen(hex);
	long n = cu_hex_decoded_size(hex, len);

	if (n < (long)min || n > (long)max || cu_hex_decode(hex, len, buf, (size_t)n) < 0) {
		usage_error("%s: '%s' is not hex of %zu to %zu bytes", name, hex, min, max);
		return -1;
	}
	return n;
}

/* verify --appraise: claims -> appraisal -> EAR -> JWT on standard output. */
static int appraise(const struct args *a, const json_t *claims, int64_t at)
{
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	_cleanup_(cu_signing_key_freep) cu_signing_key *k = NULL;
	json_auto_t *submod = NULL, *trace = NULL, *submods = NULL, *ear = NULL;
	_cleanup_free_ char *jwt = NULL;
	struct cu_error err = { 0 };
	struct cu_ear_opts o = { .iat = at };
	uint8_t nonce[64];
	const char *status;
	int r;

	if (a->nonce) {
		long n = parse_hex_arg("--nonce", a->nonce, 8, 64, nonce);
		if (n < 0)
			return EXIT_USAGE;
		o.nonce = nonce;
		o.nonce_size = (size_t)n;
	}
	if (a->lifetime) {
		char *end;
		long long v = strtoll(a->lifetime, &end, 10);
		if (*end || v < 1 || v > 366 * 86400)
			return usage_error(
			    "--lifetime: '%s' is not a number of seconds (1 to 31622400)",
			    a->lifetime);
		o.lifetime = v;
	}
	if (load_policy(a->policy, a->refvalues, &p, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return EXIT_USAGE;
	}
	if (cu_policy_get_kind(p) != CU_POLICY_APPRAISAL)
		return usage_error("--policy %s is a release policy; --appraise needs an appraisal "
		                   "policy (kind \"appraisal\")",
		                   a->policy);
	if ((r = open_signing_key(a->key, a->alg, KEY_CREATE_IF_MISSING, &k)))
		return r;
	if (cu_appraise(p, claims, at, &submod, &trace, &err) < 0 ||
	    !(submods = json_pack("{s:O}", "cpu0", submod)) ||
	    cu_ear_new(submods, &o, &ear, &err) < 0 || cu_token_sign(k, ear, &jwt, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message[0] ? err.message : "out of memory");
		return EXIT_REJECTED;
	}
	puts(jwt);
	status = json_string_value(json_object_get(submod, "ear.status"));
	fprintf(stderr, "%s: appraisal: %s under %s\n", prog, status, cu_policy_get_ref(p));
	/* The explanation goes to standard error, the token alone to standard output. */
	if (a->explain)
		print_trace(stderr, trace, true);
	return !strcmp(status, "affirming") ? EXIT_VERIFIED : EXIT_REJECTED;
}

/* A verifier with the test roots and collateral the arguments name (and the cache, if any). */
static int build_verifier(const struct args *a, const char *cache, cu_verifier **ret)
{
	struct cu_error err = { 0 };
	cu_verifier *v = NULL;
	int r;

	if (cu_verifier_new(&v, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < a->n_test_roots; i++) {
		_cleanup_free_ uint8_t *root = NULL;
		size_t rsize;

		if ((r = read_input(a->test_roots[i], CU_LIMIT_COLLATERAL_FILE_SIZE, &root,
		                    &rsize)))
			goto fail;
		if (cu_verifier_add_test_root_INSECURE(v, root, rsize, &err) < 0) {
			fprintf(stderr, "%s: --insecure-test-root %s: %s\n", prog, a->test_roots[i],
			        err.message);
			r = EXIT_USAGE;
			goto fail;
		}
		fprintf(stderr, "%s: WARNING: INSECURE test root %s is trusted\n", prog,
		        a->test_roots[i]);
	}
	for (size_t i = 0; i < a->n_collateral; i++)
		if (cu_verifier_add_collateral(v, a->collateral[i], &err) < 0) {
			fprintf(stderr, "%s: --collateral %s: %s\n", prog, a->collateral[i],
			        err.message);
			r = EXIT_USAGE;
			goto fail;
		}
	if (cache && cu_verifier_add_collateral(v, cache, &err) < 0) {
		fprintf(stderr, "%s: --collateral-cache %s: %s\n", prog, cache, err.message);
		r = EXIT_USAGE;
		goto fail;
	}
	*ret = v;
	return 0;
fail:
	cu_verifier_free(v);
	return r;
}

/* $XDG_CACHE_HOME/custos/dcap or ~/.cache/custos/dcap, created. */
static int cache_dir(const char *given, char **ret)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *d = NULL;
	int n = 0;

	if (given)
		n = asprintf(&d, "%s", given);
	else if (xdg && *xdg)
		n = asprintf(&d, "%s/custos/dcap", xdg);
	else if (home && *home)
		n = asprintf(&d, "%s/.cache/custos/dcap", home);
	else
		return usage_error("--fetch: no --collateral-cache, and neither XDG_CACHE_HOME nor "
		                   "HOME is set");
	if (n < 0)
		return usage_error("%s", "out of memory");
	/* mkdir -p */
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(d, 0755);
			*p = '/';
		}
	if (mkdir(d, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: --collateral-cache %s: %s\n", prog, d, strerror(errno));
		free(d);
		return EXIT_USAGE;
	}
	*ret = d;
	return 0;
}

/* A rejection that fresh Intel collateral could cure. */
static bool fetch_would_help(const char *format, const struct cu_error *err)
{
	return (!format || !strcmp(format, "tdx") || !strcmp(format, "sgx")) &&
	       (err->code == CU_ERR_NOT_FOUND || err->code == CU_ERR_EXPIRED) && err->stage &&
	       (!strcmp(err->stage, "pck-chain") || !strcmp(err->stage, "tcb-info") ||
	        !strcmp(err->stage, "qe-identity"));
}

static int cmd_verify(int argc, char **argv)
{
	struct args a = { 0 };
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 };
	uint8_t report_data[64];
	_cleanup_free_ uint8_t *buf = NULL, *eventlog = NULL, *cert = NULL;
	const uint8_t *extra[1];
	size_t extra_size[1];
	_cleanup_free_ char *cache = NULL;
	cu_verifier *v = NULL;
	json_t *claims = NULL;
	size_t size;
	int r, k;

	r = parse_args(argc, argv, true, &a);
	if (r)
		goto out;
	if ((r = parse_at(a.at, &o.at)))
		goto out;
	if (a.report_data) {
		long n = parse_hex_arg("--report-data", a.report_data, 0, 64, report_data);
		if (n < 0) {
			r = EXIT_USAGE;
			goto out;
		}
		o.report_data = report_data;
		o.report_data_size = (size_t)n;
	}
	if (a.allow_sha1) {
		o.insecure_allow_sha1 = true;
		fprintf(stderr,
		        "%s: WARNING: INSECURE --insecure-allow-sha1: SHA-1 signatures are "
		        "accepted\n",
		        prog);
	}
	if (a.cache && !a.fetch) {
		r = usage_error("--collateral-cache needs --fetch URL (or pass the directory with "
		                "--collateral)");
		goto out;
	}
	if (a.fetch && (r = cache_dir(a.cache, &cache)))
		goto out;
	if ((r = build_verifier(&a, cache, &v)))
		goto out;
	if ((r = read_input(a.file, CU_LIMIT_EVIDENCE_SIZE, &buf, &size)))
		goto out;
	if (a.cert) {
		if ((r = read_input(a.cert, CU_LIMIT_COLLATERAL_FILE_SIZE, &cert, &extra_size[0])))
			goto out;
		extra[0] = cert;
		o.extra_collateral = extra;
		o.extra_collateral_sizes = extra_size;
		o.n_extra_collateral = 1;
	}
	if (a.eventlog) {
		if ((r = read_input(a.eventlog, CU_LIMIT_EVENTLOG_SIZE, &eventlog,
		                    &o.eventlog_size)))
			goto out;
		o.eventlog = eventlog;
	}

	k = cu_verify(v, a.tee, buf, size, &o, &claims, &err);
	if (k < 0 && a.fetch && fetch_would_help(a.tee, &err)) {
		/* missing or stale Intel collateral: fetch it into the cache, then again */
		struct cu_fetch f = { .url = a.fetch, .dir = cache, .ca = NULL };
		char why[1024];

		fprintf(stderr, "%s: %s (stage %s): fetching collateral from %s into %s\n", prog,
		        err.message, err.stage, a.fetch, cache);
		if (cu_dcap_fetch(&f, buf, size, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s: --fetch: %s\n", prog, why);
		} else {
			cu_verifier_free(TAKE_PTR(v));
			if ((r = build_verifier(&a, cache, &v)))
				goto out;
			err = (struct cu_error){ 0 };
			k = cu_verify(v, a.tee, buf, size, &o, &claims, &err);
		}
	}
	if (k < 0) {
		if (err.code == CU_ERR_INVALID_ARG) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			r = EXIT_USAGE;
		} else {
			report_failure(a.file, &err, a.json);
			r = EXIT_REJECTED;
		}
		goto out;
	}
	if (a.appraise) {
		r = appraise(&a, claims, o.at);
		goto out;
	}
	print_json(claims);
	r = EXIT_VERIFIED;
out:
	json_decref(claims);
	cu_verifier_free(v);
	free(a.collateral);
	free(a.test_roots);
	return r;
}

/* Print a JSON tree as "path: value" lines. */
static void print_flat(const char *prefix, json_t *j)
{
	const char *key;
	json_t *val;

	if (json_is_object(j)) {
		json_object_foreach (j, key, val) {
			char path[256];

			snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
			print_flat(path, val);
		}
		return;
	}
	char *s = json_dumps(j, JSON_ENCODE_ANY);
	printf("  %-40s %s\n", prefix, s ? s : "?");
	free(s);
}

static int cmd_inspect(int argc, char **argv)
{
	struct args a = { 0 };
	struct cu_error err = { 0 };
	_cleanup_free_ uint8_t *buf = NULL;
	json_t *fields = NULL;
	size_t size;
	int r;

	if ((r = parse_args(argc, argv, false, &a)))
		return r;
	if ((r = read_input(a.file, CU_LIMIT_EVIDENCE_SIZE, &buf, &size)))
		return r;
	if (cu_inspect(a.tee, buf, size, &fields, &err) < 0) {
		fprintf(stderr, "%s: cannot decode %s at stage %s: %s\n", prog, a.file, err.stage,
		        err.message);
		return err.code == CU_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_REJECTED;
	}
	if (a.json) {
		print_json(fields);
	} else {
		printf("UNVERIFIED: decoded from %s; no signature, certificate or binding has been "
		       "checked.\n",
		       a.file);
		print_flat("", fields);
		printf("UNVERIFIED: use 'custos verify' before trusting any of these values.\n");
	}
	json_decref(fields);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(argc - 1, argv + 1);
	if (strcmp(cmd, "policy") == 0)
		return cmd_policy(argc - 1, argv + 1);
	if (strcmp(cmd, "token") == 0)
		return cmd_token(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "admin") == 0)
		return cmd_admin(argc - 1, argv + 1);
	if (strcmp(cmd, "collateral") == 0)
		return cmd_collateral(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("custos %s\n", CUSTOS_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	return usage_error("unknown command '%s'", cmd);
}
