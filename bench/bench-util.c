/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "../src/base/fileio.h"
#include "../src/base/time.h"
#include "../src/crypto/openssl-util.h"
#include "../src/crypto/x509.h"
#include "bench-util.h"

double bench_now(void)
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

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

/* The DER ECDSA signature of a report, from its little-endian r and s. */
static unsigned char *report_der_sig(const struct cu_snp_report *r, int *ret_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;

	if (!sig ||
	    !ECDSA_SIG_set0(sig, BN_lebin2bn(r->sig_r, 72, NULL), BN_lebin2bn(r->sig_s, 72, NULL)))
		bench_die("cannot build signature");
	*ret_len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	return der;
}

void bench_sample_load(struct bench_sample *s, const char *dir)
{
	char path[4096];
	struct cu_error err = { 0 };
	uint8_t *meta;
	size_t msize;
	const char *p;
	const char *names[] = { "vcek.der", "vlek.der", "vcek.pem" };

	memset(s, 0, sizeof(*s));
	s->dir = dir;
	snprintf(path, sizeof(path), "%s/report.bin", dir);
	if (cu_read_file(path, 1 << 20, &s->report, &s->size, &err) < 0)
		bench_die(err.message);
	snprintf(path, sizeof(path), "%s/sample.json", dir);
	if (cu_read_file(path, 1 << 20, &meta, &msize, &err) < 0)
		bench_die(err.message);
	p = strstr((char *)meta, "\"verify_at\": \"");
	if (!p || sscanf(p + 14, "%63[^\"]", s->at_s) != 1 ||
	    cu_time_parse_rfc3339(s->at_s, &s->at) < 0)
		bench_die("sample.json has no verify_at");
	free(meta);
	if (cu_snp_report_parse(s->report, s->size, &s->rep, &err) < 0)
		bench_die(err.message);
	for (size_t i = 0; i < 3 && !s->vek; i++) {
		STACK_OF(X509) *certs = NULL;
		STACK_OF(X509_CRL) *crls = NULL;
		uint8_t *cbuf;
		size_t csize;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (cu_read_file(path, 1 << 20, &cbuf, &csize, NULL) < 0)
			continue;
		if (cu_x509_parse_any(cbuf, csize, &certs, &crls, NULL) > 0)
			s->vek = X509_get_pubkey(sk_X509_value(certs, 0));
		free(cbuf);
		cu_x509_stack_freep(&certs);
		cu_crl_stack_freep(&crls);
	}
	if (!s->vek)
		bench_die("no VCEK/VLEK file in the sample directory");
	s->der = report_der_sig(&s->rep, &s->der_len);
}

void bench_sample_free(struct bench_sample *s)
{
	OPENSSL_free(s->der);
	EVP_PKEY_free(s->vek);
	free(s->report);
}

void bench_floor_verify(const struct bench_sample *s)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, s->vek) != 1 ||
	    EVP_DigestVerify(ctx, s->der, (size_t)s->der_len, s->report, CU_SNP_SIGNED_SIZE) != 1)
		bench_die("floor verification failed");
	EVP_MD_CTX_free(ctx);
}

void bench_one_sig_floor(void *ctx)
{
	struct bench_one_sig *c = ctx;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md || EVP_DigestVerifyInit(md, NULL, c->md, NULL, c->key) != 1 ||
	    EVP_DigestVerify(md, c->sig, c->sig_len, c->tbs, c->n) != 1)
		bench_die("floor verification failed");
	EVP_MD_CTX_free(md);
}

void bench_one_sig_custos(void *ctx)
{
	struct bench_one_sig *c = ctx;
	struct cu_error err = { 0 };
	json_t *claims;

	if (cu_verify(c->v, c->format, c->ev, c->size, c->o, &claims, &err) < 0)
		bench_die(err.message);
	json_decref(claims);
}

static double rate(void (*fn)(void *), void *ctx, double secs)
{
	double t0 = bench_now(), t;
	long k;

	for (k = 0; (t = bench_now()) - t0 < secs; k++)
		fn(ctx);
	return (double)k / (t - t0);
}

void bench_compare(const struct bench_pair *p, int runs, double secs)
{
	double floor_r[64], custos_r[64], ratio[64];

	if (runs < 1 || runs > 64)
		bench_die("runs: 1 to 64");
	printf("%-5s %16s %16s %8s\n", "run", "floor verify/s", "custos verify/s", "ratio");
	for (int run = 0; run < runs; run++) {
		floor_r[run] = rate(p->floor, p->ctx, secs);
		custos_r[run] = rate(p->custos, p->ctx, secs);
		ratio[run] = custos_r[run] / floor_r[run];
		printf("%-5d %16.0f %16.0f %8.3f\n", run + 1, floor_r[run], custos_r[run],
		       ratio[run]);
	}
	{
		double fm = bench_median(floor_r, runs), cm = bench_median(custos_r, runs);
		double rm = bench_median(ratio, runs);

		printf("median: floor %.0f/s, custos %.0f/s, ratio %.3f (min %.3f, max %.3f)\n", fm,
		       cm, rm, ratio[0], ratio[runs - 1]);
	}
}
