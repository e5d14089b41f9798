/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SEV-SNP verification throughput, single thread, chain cached, against its
 * physical floor measured in the same run: OpenSSL's raw ECDSA P-384 SHA-384
 * verification of the same 672 signed bytes with the same key.
 *
 *   bench_snp [SAMPLE_DIR] [RUNS] [SECONDS_PER_RUN]
 *
 * Each run measures the floor and Custos back to back; the ratio is computed
 * run by run and the median of the runs is reported with min and max.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <custos/custos.h>

#include "../src/base/fileio.h"
#include "../src/base/time.h"
#include "../src/crypto/openssl-util.h"
#include "../src/crypto/x509.h"
#include "../src/evidence/snp.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_snp: %s\n", what);
	exit(1);
}

/* The DER ECDSA signature of a report, from its little-endian r and s. */
static unsigned char *report_der_sig(const struct cu_snp_report *r, int *ret_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;

	if (!sig ||
	    !ECDSA_SIG_set0(sig, BN_lebin2bn(r->sig_r, 72, NULL), BN_lebin2bn(r->sig_s, 72, NULL)))
		die("cannot build signature");
	*ret_len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	return der;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/sev-snp/gsg-milan-v2-debug";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 2.0;
	char path[4096], at_s[64] = "";
	struct cu_error err = { 0 };
	struct cu_snp_report rep;
	struct cu_verify_opts o = { 0 };
	uint8_t *report, *meta;
	size_t size, msize;
	cu_verifier *v;
	json_t *claims;
	EVP_PKEY *key = NULL;
	unsigned char *der;
	int der_len;
	double floor_r[64], custos_r[64], ratio[64];
	const char *p;

	if (runs < 1 || runs > 64 || secs <= 0)
		die("usage: bench_snp [SAMPLE_DIR] [RUNS 1-64] [SECONDS]");
	snprintf(path, sizeof(path), "%s/report.bin", dir);
	if (cu_read_file(path, 1 << 20, &report, &size, &err) < 0)
		die(err.message);
	snprintf(path, sizeof(path), "%s/sample.json", dir);
	if (cu_read_file(path, 1 << 20, &meta, &msize, &err) < 0)
		die(err.message);
	p = strstr((char *)meta, "\"verify_at\": \"");
	if (!p || sscanf(p + 14, "%63[^\"]", at_s) != 1 || cu_time_parse_rfc3339(at_s, &o.at) < 0)
		die("sample.json has no verify_at");
	if (cu_snp_report_parse(report, size, &rep, &err) < 0)
		die(err.message);
	if (cu_verifier_new(&v, &err) < 0 || cu_verifier_add_collateral(v, dir, &err) < 0)
		die(err.message);

	/* First verification: builds and caches the chain; also gives us the key. */
	if (cu_verify(v, "snp", report, size, &o, &claims, &err) < 0)
		die(err.message);
	json_decref(claims);
	{
		STACK_OF(X509) *certs = NULL;
		STACK_OF(X509_CRL) *crls = NULL;
		uint8_t *cbuf;
		size_t csize;
		const char *names[] = { "vcek.der", "vlek.der", "vcek.pem" };

		for (size_t i = 0; i < 3 && !key; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			if (cu_read_file(path, 1 << 20, &cbuf, &csize, NULL) < 0)
				continue;
			if (cu_x509_parse_any(cbuf, csize, &certs, &crls, NULL) > 0)
				key = X509_get_pubkey(sk_X509_value(certs, 0));
			free(cbuf);
		}
		cu_x509_stack_freep(&certs);
		cu_crl_stack_freep(&crls);
		if (!key)
			die("no VCEK/VLEK file in the sample directory");
	}
	der = report_der_sig(&rep, &der_len);

	printf("SEV-SNP report verification, single thread, chain cached\n");
	printf("sample: %s (verify_at %s), %d runs of %.1f s each\n", dir, at_s, runs, secs);
	printf("%-5s %16s %16s %8s\n", "run", "floor verify/s", "custos verify/s", "ratio");
	for (int run = 0; run < runs; run++) {
		double t0, t;
		long n;

		/* floor: raw OpenSSL ECDSA P-384 SHA-384 over the same 672 bytes */
		for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++) {
			EVP_MD_CTX *ctx = EVP_MD_CTX_new();

			if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) != 1 ||
			    EVP_DigestVerify(ctx, der, (size_t)der_len, report,
			                     CU_SNP_SIGNED_SIZE) != 1)
				die("floor verification failed");
			EVP_MD_CTX_free(ctx);
		}
		floor_r[run] = (double)n / (t - t0);

		for (n = 0, t0 = now(); (t = now()) - t0 < secs; n++) {
			if (cu_verify(v, "snp", report, size, &o, &claims, &err) < 0)
				die(err.message);
			json_decref(claims);
		}
		custos_r[run] = (double)n / (t - t0);
		ratio[run] = custos_r[run] / floor_r[run];
		printf("%-5d %16.0f %16.0f %8.3f\n", run + 1, floor_r[run], custos_r[run],
		       ratio[run]);
	}
	{
		double rmin, rmax, fm, cm, rm;

		fm = median(floor_r, runs);
		cm = median(custos_r, runs);
		rm = median(ratio, runs);
		rmin = ratio[0];
		rmax = ratio[runs - 1];
		printf("median: floor %.0f/s, custos %.0f/s, ratio %.3f (min %.3f, max %.3f)\n", fm,
		       cm, rm, rmin, rmax);
	}
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	cu_verifier_free(v);
	free(report);
	free(meta);
	return 0;
}
