/* SPDX-License-Identifier: Apache-2.0 */
/* custos: verify and inspect attestation evidence from the command line. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <custos/custos.h>

#include "../src/base/encoding.h"
#include "../src/base/error.h"
#include "../src/base/fileio.h"
#include "../src/base/limits.h"
#include "../src/base/time.h"

enum {
	EXIT_VERIFIED = 0,
	EXIT_REJECTED = 1,
	EXIT_USAGE = 2,
};

static const char *prog = "custos";

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s COMMAND [OPTIONS] FILE\n"
	    "\n"
	    "Verify attestation evidence from hardware TEEs offline, against pinned vendor roots.\n"
	    "\n"
	    "Commands:\n"
	    "  verify FILE    verify evidence; print its claims as JSON on success\n"
	    "  inspect FILE   print every decoded field, UNVERIFIED (nothing is checked)\n"
	    "  version        print the version\n"
	    "  help           show this help\n"
	    "\n"
	    "Options of verify:\n"
	    "  --tee FORMAT          evidence format (snp); detected when left out\n"
	    "  --at TIME             verification time, RFC 3339 (e.g. 2024-01-01T00:00:00Z);\n"
	    "                        default: now. Certificates and collateral are checked at this "
	    "time\n"
	    "  --collateral PATH     certificate/CRL file or directory (PEM or DER), repeatable;\n"
	    "                        recognised by content, unrelated files are ignored\n"
	    "  --report-data HEX     expected report data (up to 64 bytes, zero-padded); a "
	    "mismatch\n"
	    "                        is a rejection\n"
	    "  --json                on failure, also print a JSON error object on standard "
	    "output\n"
	    "  --insecure-test-root FILE\n"
	    "                        INSECURE, for tests only: trust FILE as an extra root\n"
	    "\n"
	    "Options of inspect:\n"
	    "  --tee FORMAT          evidence format; detected when left out\n"
	    "  --json                print the fields as JSON\n"
	    "\n"
	    "Exit status: 0 verified, 1 rejected (one line on standard error names the stage\n"
	    "and the reason), 2 usage error or unreadable input.\n"
	    "\n"
	    "Example:\n"
	    "  %s verify --at 2024-01-01T00:00:00Z --collateral vcek.der report.bin\n",
	    prog, prog);
}

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help'.\n", prog);
	return EXIT_USAGE;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s) {
		puts(s);
		free(s);
	}
}

static void report_failure(const char *what, const struct cu_error *err, bool as_json)
{
	fprintf(stderr, "%s: %s rejected at stage %s: %s\n", prog, what,
	        err->stage ? err->stage : "?", err->message);
	if (as_json) {
		json_t *j =
		    json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code", cu_errname(err->code),
		              "category", cu_strerror(err->code), "stage",
		              err->stage ? err->stage : "", "message", err->message);
		if (j) {
			print_json(j);
			json_decref(j);
		}
	}
}

enum {
	OPT_TEE = 256,
	OPT_AT,
	OPT_COLLATERAL,
	OPT_REPORT_DATA,
	OPT_JSON,
	OPT_TEST_ROOT,
	OPT_HELP,
};

static const struct option options[] = {
	{ "tee", required_argument, NULL, OPT_TEE },
	{ "at", required_argument, NULL, OPT_AT },
	{ "collateral", required_argument, NULL, OPT_COLLATERAL },
	{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "insecure-test-root", required_argument, NULL, OPT_TEST_ROOT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *tee;
	const char *at;
	const char **collateral;
	size_t n_collateral;
	const char *report_data;
	const char **test_roots;
	size_t n_test_roots;
	bool json;
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
		case OPT_COLLATERAL:
		case OPT_REPORT_DATA:
		case OPT_TEST_ROOT:
			if (!verify)
				return usage_error("option --%s is only for verify",
				                   options[c - OPT_TEE].name);
			if (c == OPT_AT)
				a->at = optarg;
			else if (c == OPT_REPORT_DATA)
				a->report_data = optarg;
			else if (push(c == OPT_COLLATERAL ? &a->collateral : &a->test_roots,
			              c == OPT_COLLATERAL ? &a->n_collateral : &a->n_test_roots,
			              optarg) < 0)
				return usage_error("%s", "out of memory");
			break;
		default:
			return usage_error("%s", "invalid option");
		}
	}
	if (optind != argc - 1)
		return usage_error("%s",
		                   optind >= argc ? "missing FILE" : "exactly one FILE expected");
	a->file = argv[optind];
	return 0;
}

static int read_input(const char *path, uint8_t **buf, size_t *size)
{
	struct cu_error err = { 0 };

	if (cu_read_file(path, CU_LIMIT_EVIDENCE_SIZE, buf, size, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	struct args a = { 0 };
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 };
	uint8_t report_data[64];
	_cleanup_free_ uint8_t *buf = NULL;
	cu_verifier *v = NULL;
	json_t *claims = NULL;
	size_t size;
	int r;

	r = parse_args(argc, argv, true, &a);
	if (r)
		goto out;

	if (!a.at || strcmp(a.at, "now") == 0) {
		o.at = (int64_t)time(NULL);
	} else if (cu_time_parse_rfc3339(a.at, &o.at) < 0) {
		r = usage_error("--at: '%s' is not an RFC 3339 time such as 2024-01-01T00:00:00Z",
		                a.at);
		goto out;
	}
	if (a.report_data) {
		size_t len = strlen(a.report_data);
		long n = cu_hex_decoded_size(a.report_data, len);

		if (n < 0 || n > 64 ||
		    cu_hex_decode(a.report_data, len, report_data, (size_t)n) < 0) {
			r = usage_error("--report-data: '%s' is not hex of at most 64 bytes",
			                a.report_data);
			goto out;
		}
		o.report_data = report_data;
		o.report_data_size = (size_t)n;
	}
	if (cu_verifier_new(&v, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		r = EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < a.n_test_roots; i++) {
		_cleanup_free_ uint8_t *root = NULL;
		size_t rsize;

		if ((r = read_input(a.test_roots[i], &root, &rsize)))
			goto out;
		if (cu_verifier_add_test_root_INSECURE(v, root, rsize, &err) < 0) {
			fprintf(stderr, "%s: --insecure-test-root %s: %s\n", prog, a.test_roots[i],
			        err.message);
			r = EXIT_USAGE;
			goto out;
		}
		fprintf(stderr, "%s: WARNING: INSECURE test root %s is trusted\n", prog,
		        a.test_roots[i]);
	}
	for (size_t i = 0; i < a.n_collateral; i++)
		if (cu_verifier_add_collateral(v, a.collateral[i], &err) < 0) {
			fprintf(stderr, "%s: --collateral %s: %s\n", prog, a.collateral[i],
			        err.message);
			r = EXIT_USAGE;
			goto out;
		}
	if ((r = read_input(a.file, &buf, &size)))
		goto out;

	if (cu_verify(v, a.tee, buf, size, &o, &claims, &err) < 0) {
		if (err.code == CU_ERR_INVALID_ARG) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			r = EXIT_USAGE;
		} else {
			report_failure(a.file, &err, a.json);
			r = EXIT_REJECTED;
		}
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
		json_object_foreach(j, key, val)
		{
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
	if ((r = read_input(a.file, &buf, &size)))
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
