/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-dcap-sim: a simulated Intel TDX/SGX platform for tests and demos.
 * A TEST PKI in the shape of Intel's (root, PCK platform CA, PCK certificate
 * with the SGX extension, TCB signing certificate, CRLs) and quotes signed
 * through it, with Intel-form TCB info and QE identity. Nothing here is
 * trusted unless a verifier is told to trust DIR/root.pem, INSECURELY.
 *
 *   custos-dcap-sim init DIR
 *   custos-dcap-sim quote DIR [--report-data HEX] [--sgx] [--debug] [--eventlog FILE]
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>

#include "../src/base/encoding.h"
#include "../tests/unit/dcap-builder.h"

static const char *prog = "custos-dcap-sim";

static _Noreturn __attribute__((format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: %s init DIR\n"
	    "       %s quote DIR [--report-data HEX] [--sgx] [--debug] [--eventlog FILE]\n"
	    "\n"
	    "A simulated Intel TDX/SGX platform with a TEST PKI, for tests and demos.\n"
	    "init writes DIR/root.pem (the TEST root: trust it only with an INSECURE\n"
	    "option) and DIR/collateral/ (CRLs, issuer certificates, TCB info and QE\n"
	    "identity in Intel's form, valid for 20 days from now). quote prints a quote\n"
	    "(v4 TDX, or v3 SGX with --sgx) of an up-to-date platform to standard output:\n"
	    "  --report-data HEX  REPORTDATA, up to 64 bytes, zero-padded\n"
	    "  --debug            a debug TD (TD_ATTRIBUTES.DEBUG) or enclave\n"
	    "  --eventlog FILE    also write a CC event log that replays to the quote's RTMRs\n",
	    prog, prog);
}

/* The platform every quote comes from: up to date against the collateral of init. */
static void platform(struct platform *p)
{
	memset(p, 0, sizeof(*p));
	memset(p->comp, 3, 8);
	p->pcesvn = 11;
	memcpy(p->fmspc, "\x00\x90\x6e\xd5\x00\x00", 6);
}

static void path_of(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_bytes(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	path_of(path, sizeof(path), dir, name);
	if (!(f = fopen(path, "wb")) || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("cannot write %s", path);
}

static void write_pem(const char *dir, const char *name, X509 *x, EVP_PKEY *key)
{
	char path[4096];
	FILE *f;

	path_of(path, sizeof(path), dir, name);
	if (!(f = fopen(path, "w")))
		die("cannot write %s", path);
	if ((x && PEM_write_X509(f, x) != 1) ||
	    (key && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1))
		die("cannot write %s", path);
	fclose(f);
	chmod(path, key ? 0600 : 0644);
}

static void write_crl(const char *dir, const char *name, X509_CRL *c)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(c, &der);

	if (n <= 0)
		die("cannot encode %s", name);
	write_bytes(dir, name, der, (size_t)n);
	OPENSSL_free(der);
}

static X509 *read_cert(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	X509 *x;

	path_of(path, sizeof(path), dir, name);
	if (!(f = fopen(path, "r")) || !(x = PEM_read_X509(f, NULL, NULL, NULL)))
		die("cannot read %s (run init first)", path);
	fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	EVP_PKEY *k;

	path_of(path, sizeof(path), dir, name);
	if (!(f = fopen(path, "r")) || !(k = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		die("cannot read %s (run init first)", path);
	fclose(f);
	return k;
}

static void mkdir_or_die(const char *d)
{
	if (mkdir(d, 0755) < 0 && errno != EEXIST)
		die("cannot create %s", d);
}

static int cmd_init(const char *dir)
{
	struct platform p;
	struct pki k;
	struct level_spec levels[1] = { 0 };
	struct coll_opts c = { 0 };
	char sub[4096], *tcb, *qe;
	int64_t now = (int64_t)time(NULL);

	platform(&p);
	db_pki_new(&k, &p, now);
	mkdir_or_die(dir);
	snprintf(sub, sizeof(sub), "%s/pki", dir);
	mkdir_or_die(sub);
	write_pem(sub, "root.pem", k.root, NULL);
	write_pem(sub, "pck-ca.pem", k.ca, NULL);
	write_pem(sub, "pck.pem", k.pck, NULL);
	write_pem(sub, "pck-key.pem", NULL, k.pck_key);
	write_pem(sub, "att-key.pem", NULL, k.att_key);
	write_pem(dir, "root.pem", k.root, NULL);

	memset(levels[0].sgx, 3, 8);
	levels[0].pcesvn = 11;
	levels[0].tdx[2] = 2;
	levels[0].status = "UpToDate";
	c.levels = levels;
	c.n_levels = 1;
	memcpy(c.fmspc, p.fmspc, 6);
	c.issue = now - 15 * DB_DAY;
	c.next = now + 20 * DB_DAY;
	c.qe_levels[0] = 8;
	c.qe_levels[1] = 4;
	memset(c.qe_mrsigner, 0xdc, 32);
	snprintf(sub, sizeof(sub), "%s/collateral", dir);
	mkdir_or_die(sub);
	write_pem(sub, "pck-ca.pem", k.ca, NULL);
	write_pem(sub, "tcb-signing.pem", k.tcb, NULL);
	write_crl(sub, "root_ca_crl.der", k.root_crl);
	write_crl(sub, "pck_crl.der", k.pck_crl);
	for (int sgx = 0; sgx < 2; sgx++) {
		c.sgx = sgx;
		db_collateral_docs(&k, &c, &tcb, &qe);
		write_bytes(sub, sgx ? "sgx_tcb_info.json" : "tdx_tcb_info.json", tcb, strlen(tcb));
		write_bytes(sub, sgx ? "sgx_qe_identity.json" : "tdx_qe_identity.json", qe,
		            strlen(qe));
		free(tcb);
		free(qe);
	}
	db_pki_free(&k);
	fprintf(stderr, "%s: TEST platform in %s: trust %s/root.pem only with an INSECURE option\n",
	        prog, dir, dir);
	return 0;
}

static int cmd_quote(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "report-data", required_argument, NULL, 'r' },
		{ "sgx", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'd' },
		{ "eventlog", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct quote_opts o = { 0 };
	struct pki k = { 0 };
	struct buf *q = calloc(1, sizeof(*q));
	const char *dir = argv[1], *rd = NULL, *eventlog = NULL;
	char pki[4096];
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rd = optarg;
			break;
		case 's':
			o.sgx = true;
			break;
		case 'd':
			o.debug = true;
			break;
		case 'e':
			eventlog = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!q)
		die("%s", "out of memory");
	if (rd) {
		size_t n = strlen(rd);

		if (n % 2 || n > 128 || cu_hex_decode(rd, n, o.report_data, n / 2) < 0)
			die("--report-data: '%s' is not hex of up to 64 bytes", rd);
	}
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	k.root = read_cert(pki, "root.pem");
	k.ca = read_cert(pki, "pck-ca.pem");
	k.pck = read_cert(pki, "pck.pem");
	k.pck_key = read_key(pki, "pck-key.pem");
	k.att_key = read_key(pki, "att-key.pem");
	o.tee_tcb_svn[0] = 3; /* TDX module SVN */
	o.tee_tcb_svn[1] = 1; /* TDX module version: TDX_01 */
	o.tee_tcb_svn[2] = 2;
	o.qe_isvsvn = 8;
	memset(o.qe_mrsigner, 0xdc, 32);
	if (eventlog) {
		uint8_t log[1024];
		size_t n = db_ccel_build(log, o.rtmr);
		FILE *f = fopen(eventlog, "wb");

		if (!f || fwrite(log, 1, n, f) != n || fclose(f) != 0)
			die("cannot write %s", eventlog);
	}
	db_quote_build(&k, &o, q);
	if (fwrite(q->d, 1, q->n, stdout) != q->n || fflush(stdout) != 0)
		die("%s", "cannot write the quote");
	db_pki_free(&k);
	free(q);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "init"))
		return cmd_init(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "quote"))
		return cmd_quote(argc - 1, argv + 1);
	usage(stderr);
	return 2;
}
