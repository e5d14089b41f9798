/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-snp-sim: a simulated AMD SEV-SNP platform for tests and demos. It
 * makes a TEST PKI (ARK -> ASK -> VCEK, keys on disk) and attestation reports
 * in the real 1184-byte format signed by its VCEK. Nothing it makes is
 * trusted by custos without an INSECURE option (--insecure-test-root).
 *
 * Built with its own copy of tests/unit/snp-builder.c (-DSB_STANDALONE: no
 * cmocka; OpenSSL failures print one line and exit 1). Never installed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "../src/base/encoding.h"
#include "../tests/unit/snp-builder.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1, /* could not do it: cannot write, OpenSSL error */
	EXIT_USAGE = 2,  /* usage error or unusable input */
};

static const char *const prog = "custos-snp-sim";

/* The default MEASUREMENT: byte i is 0x40 + 3 * i (sb_report_init's pattern). */
#define DEFAULT_MEASUREMENT_HEX                                                                    \
	"404346494c4f5255585b5e6164676a6d707376797c7f8285888b8e9194979a9d"                         \
	"a0a3a6a9acafb2b5b8bbbec1c4c7cacd"

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: %s init DIR [--product milan|genoa|turin]\n"
	        "       %s report --pki DIR [OPTIONS]\n"
	        "\n"
	        "Simulate an AMD SEV-SNP platform for tests and demos: make a TEST PKI\n"
	        "(ARK -> ASK -> VCEK) and attestation reports in the real 1184-byte format,\n"
	        "signed by its VCEK. INSECURE: the PKI's private keys lie on disk beside it, and\n"
	        "custos trusts its root only when told to (verify --insecure-test-root).\n"
	        "\n"
	        "Commands:\n"
	        "  init DIR       create a new TEST PKI in DIR, which must not exist\n"
	        "  report         write a report signed by the VCEK of --pki DIR\n"
	        "  help           show this help\n"
	        "\n"
	        "Options of init:\n"
	        "  --product P    product line: milan (default), genoa or turin\n"
	        "\n"
	        "Options of report:\n"
	        "  --pki DIR            the TEST PKI made by init (required)\n"
	        "  --report-data HEX    REPORT_DATA, up to 64 bytes, zero-padded (default: zero)\n"
	        "  --measurement HEX    MEASUREMENT, 48 bytes (default: byte i is 0x40 + 3*i:\n"
	        "                       %.64s\n"
	        "                       %s)\n"
	        "  --host-data HEX      HOST_DATA, 32 bytes (default: zero)\n"
	        "  --policy-debug       set POLICY bit 19, DEBUG (default policy 0x30000)\n"
	        "  --vmpl N             VMPL, 0 to 3 (default 0)\n"
	        "  --version V          report version: 2, 3 (default) or 5\n"
	        "  --out FILE           write the report to FILE (default: standard output,\n"
	        "                       which must not be a terminal)\n"
	        "\n"
	        "The other fields are fixed test values ('custos inspect' shows them); every\n"
	        "TCB field equals the VCEK's TCB, CHIP_ID is its hwID (random, made by init),\n"
	        "SIGNING_KEY is the VCEK.\n"
	        "\n"
	        "A PKI directory holds ark.pem, ask.pem, vcek.pem (certificates, valid\n"
	        "2020-01-01 to 2040-01-01), ark.key, ask.key, vcek.key (PKCS#8 private keys,\n"
	        "mode 0600) and pki.json (product, the VCEK's TCB and hwID).\n"
	        "\n"
	        "Exit status: 0 done, 1 failed (cannot write, OpenSSL error), 2 usage error or\n"
	        "unusable input (bad option or hex, DIR exists, the PKI cannot be loaded).\n"
	        "\n"
	        "Example:\n"
	        "  %s init /tmp/pki\n"
	        "  %s report --pki /tmp/pki --report-data 00112233 --out report.bin\n"
	        "  custos verify --insecure-test-root /tmp/pki/ark.pem --collateral /tmp/pki \\\n"
	        "      --report-data 00112233 report.bin\n",
	        prog, prog, DEFAULT_MEASUREMENT_HEX, DEFAULT_MEASUREMENT_HEX + 64, prog, prog);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help'.\n", prog);
	return EXIT_USAGE;
}

/* HEX of min..max bytes into buf (zero-padded to max). Returns 0 or EXIT_USAGE. */
static int parse_hex(const char *name, const char *hex, size_t min, size_t max, uint8_t *buf)
{
	size_t len = strlen(hex);
	long n = cu_hex_decoded_size(hex, len);

	memset(buf, 0, max);
	if (n < (long)min || n > (long)max || cu_hex_decode(hex, len, buf, (size_t)n) < 0) {
		if (min == max)
			return usage_error("%s: '%s' is not hex of %zu bytes", name, hex, max);
		return usage_error("%s: '%s' is not hex of %zu to %zu bytes", name, hex, min, max);
	}
	return 0;
}

/* getopt_long's ':' (missing argument) or '?' (unknown option) as a usage error. */
static int bad_option(int c, char **argv, const char *cmd)
{
	if (c == ':')
		return usage_error("%s: option '%s' needs an argument", cmd, argv[optind - 1]);
	return usage_error("%s: invalid option '%s'", cmd, argv[optind - 1]);
}

enum {
	OPT_PRODUCT = 256,
	OPT_PKI,
	OPT_REPORT_DATA,
	OPT_MEASUREMENT,
	OPT_HOST_DATA,
	OPT_POLICY_DEBUG,
	OPT_VMPL,
	OPT_VERSION,
	OPT_OUT,
	OPT_HELP,
};

static const struct option init_options[] = {
	{ "product", required_argument, NULL, OPT_PRODUCT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const struct option report_options[] = {
	{ "pki", required_argument, NULL, OPT_PKI },
	{ "report-data", required_argument, NULL, OPT_REPORT_DATA },
	{ "measurement", required_argument, NULL, OPT_MEASUREMENT },
	{ "host-data", required_argument, NULL, OPT_HOST_DATA },
	{ "policy-debug", no_argument, NULL, OPT_POLICY_DEBUG },
	{ "vmpl", required_argument, NULL, OPT_VMPL },
	{ "version", required_argument, NULL, OPT_VERSION },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int cmd_init(int argc, char **argv)
{
	enum cu_snp_product product = CU_SNP_PRODUCT_MILAN;
	struct sb_pki_opts o = { 0 };
	struct sb_pki pki;
	struct stat st;
	char err[512];
	const char *dir;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", init_options, NULL)) != -1) {
		switch (c) {
		case OPT_PRODUCT:
			if (!strcmp(optarg, "milan"))
				product = CU_SNP_PRODUCT_MILAN;
			else if (!strcmp(optarg, "genoa"))
				product = CU_SNP_PRODUCT_GENOA;
			else if (!strcmp(optarg, "turin"))
				product = CU_SNP_PRODUCT_TURIN;
			else
				return usage_error("--product: '%s' is not milan, genoa or turin",
				                   optarg);
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			return bad_option(c, argv, "init");
		}
	}
	if (optind != argc - 1)
		return usage_error("init: %s",
		                   optind >= argc ? "missing DIR" : "exactly one DIR expected");
	dir = argv[optind];
	if (lstat(dir, &st) == 0)
		return usage_error("init: %s exists; refusing to overwrite it (remove it or name a "
		                   "new directory)",
		                   dir);

	/* Every simulated platform has its own chip: a random hwID (Turin: 8 bytes). */
	o.product = product;
	o.vcek.set_hwid = true;
	o.vcek.hwid_size = product == CU_SNP_PRODUCT_TURIN ? 8 : 64;
	if (RAND_bytes(o.vcek.hwid, (int)o.vcek.hwid_size) != 1) {
		fprintf(stderr, "%s: RAND_bytes failed\n", prog);
		return EXIT_FAILED;
	}
	sb_pki_init(&pki, &o);
	if (sb_pki_save(&pki, dir, err, sizeof(err)) < 0) {
		sb_pki_done(&pki);
		fprintf(stderr, "%s: %s\n", prog, err);
		return EXIT_FAILED;
	}
	sb_pki_done(&pki);
	printf("Created a TEST PKI (INSECURE) for AMD %s in %s:\n"
	       "  ark.pem ask.pem vcek.pem       certificates ARK -> ASK -> VCEK\n"
	       "  ark.key ask.key vcek.key       their private keys (mode 0600)\n"
	       "  pki.json                       product, the VCEK's TCB and hwID\n"
	       "Its private keys are on disk: anyone can sign reports with it. Trust it in\n"
	       "tests and demos only, e.g.:\n"
	       "  %s report --pki %s --out report.bin\n"
	       "  custos verify --insecure-test-root %s/ark.pem --collateral %s report.bin\n",
	       cu_snp_product_name(product), dir, prog, dir, dir, dir);
	return EXIT_OK;
}

struct report_args {
	const char *pki, *out;
	uint8_t report_data[64], measurement[48], host_data[32];
	bool debug;
	unsigned vmpl, version;
};

static int parse_report_args(int argc, char **argv, struct report_args *a)
{
	char *end;
	unsigned long v;
	int c, r;

	a->version = 3;
	memset(a->report_data, 0, sizeof(a->report_data));
	memset(a->host_data, 0, sizeof(a->host_data));
	for (size_t i = 0; i < sizeof(a->measurement); i++)
		a->measurement[i] = (uint8_t)(0x40 + 3 * i); /* DEFAULT_MEASUREMENT_HEX */

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", report_options, NULL)) != -1) {
		switch (c) {
		case OPT_PKI:
			a->pki = optarg;
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_REPORT_DATA:
			if ((r = parse_hex("--report-data", optarg, 0, 64, a->report_data)))
				return r;
			break;
		case OPT_MEASUREMENT:
			if ((r = parse_hex("--measurement", optarg, 48, 48, a->measurement)))
				return r;
			break;
		case OPT_HOST_DATA:
			if ((r = parse_hex("--host-data", optarg, 32, 32, a->host_data)))
				return r;
			break;
		case OPT_POLICY_DEBUG:
			a->debug = true;
			break;
		case OPT_VMPL:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || v > 3)
				return usage_error("--vmpl: '%s' is not 0, 1, 2 or 3", optarg);
			a->vmpl = (unsigned)v;
			break;
		case OPT_VERSION:
			if (strcmp(optarg, "2") && strcmp(optarg, "3") && strcmp(optarg, "5"))
				return usage_error("--version: '%s' is not 2, 3 or 5", optarg);
			a->version = (unsigned)(optarg[0] - '0');
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			return bad_option(c, argv, "report");
		}
	}
	if (optind < argc)
		return usage_error("report: unexpected argument '%s'", argv[optind]);
	if (!a->pki)
		return usage_error("report: --pki DIR is required (make one with '%s init DIR')",
		                   prog);
	if (!a->out && isatty(STDOUT_FILENO))
		return usage_error("report: refusing to write a binary report to a terminal; use "
		                   "--out FILE or redirect standard output");
	return 0;
}

static int write_report(const char *path, const uint8_t *buf, size_t size)
{
	FILE *f = path ? fopen(path, "we") : stdout;
	const char *name = path ? path : "standard output";

	if (!f) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, path, strerror(errno));
		return EXIT_FAILED;
	}
	if (fwrite(buf, 1, size, f) != size || fflush(f) != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, name, strerror(errno));
		if (path)
			fclose(f);
		return EXIT_FAILED;
	}
	if (path && fclose(f) != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, name, strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct cu_snp_report rep;
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct sb_pki pki;
	char err[512];
	int r;

	if ((r = parse_report_args(argc, argv, &a)))
		return r;
	if (sb_pki_load(&pki, a.pki, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: --pki %s: %s\n", prog, a.pki, err);
		return EXIT_USAGE;
	}

	sb_report_init(&rep, &pki, a.version);
	memcpy(rep.report_data, a.report_data, sizeof(rep.report_data));
	memcpy(rep.measurement, a.measurement, sizeof(rep.measurement));
	memcpy(rep.host_data, a.host_data, sizeof(rep.host_data));
	if (a.debug)
		rep.policy |= 1ull << 19;
	rep.vmpl = a.vmpl;
	/* A platform that has applied and committed its firmware: one TCB throughout. */
	rep.current_tcb = rep.committed_tcb = rep.launch_tcb = rep.reported_tcb;
	sb_report_build(&rep, pki.vcek_key, buf);
	sb_pki_done(&pki);

	return write_report(a.out, buf, sizeof(buf));
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "init"))
		return cmd_init(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	return usage_error("unknown command '%s'", cmd);
}
