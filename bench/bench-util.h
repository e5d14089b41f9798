/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the benchmarks: clock, medians, and a loaded SEV-SNP sample. */
#ifndef CU_BENCH_UTIL_H
#define CU_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <custos/custos.h>

#include "../src/evidence/snp.h"

double bench_now(void);
/* Median of n values (sorts v in place). */
double bench_median(double *v, int n);
_Noreturn void bench_die(const char *what);

struct bench_sample {
	const char *dir;
	char at_s[64];
	int64_t at;
	uint8_t *report;
	size_t size;
	struct cu_snp_report rep;
	EVP_PKEY *vek;      /* the VCEK/VLEK public key from the sample directory */
	unsigned char *der; /* the report's signature, DER */
	int der_len;
};

/* Load SAMPLE_DIR's report.bin, verify_at and VCEK/VLEK (dies on error). */
void bench_sample_load(struct bench_sample *s, const char *dir);
void bench_sample_free(struct bench_sample *s);

/*
 * The floor against Custos, `runs` runs of `secs` seconds each: each run times
 * floor(ctx) then custos(ctx) and prints their rates and ratio; then the
 * medians, with the ratio's spread. Rates run by run, ratios run by run.
 */
struct bench_pair {
	void (*floor)(void *ctx);
	void (*custos)(void *ctx);
	void *ctx;
};

void bench_compare(const struct bench_pair *p, int runs, double secs);

/*
 * Evidence whose floor is one signature: cu_verify of the evidence (format,
 * options), against OpenSSL alone verifying `sig` (DER, or the raw RSA
 * signature) over `tbs` with `key` and the digest `md`.
 */
struct bench_one_sig {
	cu_verifier *v;
	const char *format;
	const uint8_t *ev;
	size_t size;
	const struct cu_verify_opts *o;
	EVP_PKEY *key;
	const EVP_MD *md;
	const unsigned char *sig;
	size_t sig_len;
	const uint8_t *tbs;
	size_t n;
};

/* bench_pair functions over a struct bench_one_sig. */
void bench_one_sig_floor(void *ctx);
void bench_one_sig_custos(void *ctx);

/* The floor of one report verification: raw OpenSSL ECDSA P-384 SHA-384 over the signed bytes. */
void bench_floor_verify(const struct bench_sample *s);

#endif
