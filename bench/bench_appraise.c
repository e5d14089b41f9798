/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation results, single thread, against their floors measured in the
 * same run:
 *
 *   issue:  verify a SEV-SNP report + appraise it (docs/examples policy and
 *           reference values) + build the EAR + sign it as an ES256 JWT;
 *           floor: OpenSSL's raw ECDSA P-384 verification of the report plus
 *           a raw ECDSA P-256 SHA-256 signature over as many bytes as the
 *           token's signing input.
 *   check:  verify that token (kid lookup, alg pinning, signature, exp) and
 *           evaluate the release policy over it;
 *           floor: a raw ECDSA P-256 SHA-256 verification of the same bytes.
 *
 *   bench_appraise [SAMPLE_DIR] [RUNS] [SECONDS_PER_RUN]   (run from the source root)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <custos/appraisal.h>
#include <custos/custos.h>

#include "bench-util.h"

#define EXAMPLES "docs/examples"

struct ctx {
	struct bench_sample s;
	cu_verifier *v;
	cu_policy *appraisal, *release;
	cu_signing_key *key;
	json_t *jwks;
	char *token;
	EVP_PKEY *p256; /* floor key */
	unsigned char sig[80];
	size_t sig_size;
};

static char *issue(struct ctx *c)
{
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { .at = c->s.at };
	struct cu_ear_opts eo = { .iat = c->s.at };
	json_t *claims = NULL, *submod = NULL, *submods, *ear = NULL;
	char *jwt = NULL;

	if (cu_verify(c->v, "snp", c->s.report, c->s.size, &o, &claims, &err) < 0 ||
	    cu_appraise(c->appraisal, claims, c->s.at, &submod, NULL, &err) < 0)
		bench_die(err.message);
	submods = json_pack("{s:o}", "cpu0", submod);
	if (!submods || cu_ear_new(submods, &eo, &ear, &err) < 0 ||
	    cu_token_sign(c->key, ear, &jwt, &err) < 0)
		bench_die(err.message[0] ? err.message : "out of memory");
	json_decref(claims);
	json_decref(submods);
	json_decref(ear);
	return jwt;
}

static void check(struct ctx *c)
{
	struct cu_error err = { 0 };
	json_t *claims = NULL;

	if (cu_token_verify(c->token, strlen(c->token), c->jwks, c->s.at + 1, &claims, &err) < 0)
		bench_die(err.message);
	/* The sample allows debugging: the release policy must deny it. */
	if (cu_policy_allows(c->release, claims, c->s.at + 1, NULL))
		bench_die("release policy allowed a debug VM");
	json_decref(claims);
}

/* Raw ES256 signature over the token's signing input (header.payload). */
static void floor_sign(struct ctx *c)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t n = strrchr(c->token, '.') - c->token;

	c->sig_size = sizeof(c->sig);
	if (!m || EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, c->p256) != 1 ||
	    EVP_DigestSign(m, c->sig, &c->sig_size, (const unsigned char *)c->token, n) != 1)
		bench_die("floor signature failed");
	EVP_MD_CTX_free(m);
}

static void floor_check(struct ctx *c)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t n = strrchr(c->token, '.') - c->token;

	if (!m || EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, c->p256) != 1 ||
	    EVP_DigestVerify(m, c->sig, c->sig_size, (const unsigned char *)c->token, n) != 1)
		bench_die("floor verification failed");
	EVP_MD_CTX_free(m);
}

static void setup(struct ctx *c, const char *dir)
{
	struct cu_error err = { 0 };
	cu_refvalues *rv = NULL;
	char keydir[] = "/tmp/custos-bench-XXXXXX", keypath[64];
	char *first;

	bench_sample_load(&c->s, dir);
	if (cu_verifier_new(&c->v, &err) < 0 || cu_verifier_add_collateral(c->v, dir, &err) < 0 ||
	    cu_refvalues_load_file(&rv, EXAMPLES "/refvalues.json", &err) < 0 ||
	    cu_policy_load_file(&c->appraisal, EXAMPLES "/appraisal-snp.json", rv, &err) < 0 ||
	    cu_policy_load_file(&c->release, EXAMPLES "/release.json", rv, &err) < 0)
		bench_die(err.message);
	cu_refvalues_free(rv);
	if (!mkdtemp(keydir))
		bench_die("mkdtemp");
	snprintf(keypath, sizeof(keypath), "%s/key.json", keydir);
	if (cu_signing_key_open(&c->key, keypath, CU_ALG_ES256, NULL, &err) < 0)
		bench_die(err.message);
	unlink(keypath);
	rmdir(keydir);
	c->jwks = cu_signing_key_jwks(c->key);
	c->p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!c->jwks || !c->p256)
		bench_die("key setup");
	first = issue(c); /* caches the chain */
	free(first);
	c->token = issue(c);
	floor_sign(c);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/sev-snp/gsg-milan-v2-debug";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 2.0;
	double f_issue[64], c_issue[64], r_issue[64], f_check[64], c_check[64], r_check[64];
	struct ctx c = { 0 };

	if (runs < 1 || runs > 64 || secs <= 0)
		bench_die("usage: bench_appraise [SAMPLE_DIR] [RUNS 1-64] [SECONDS]");
	setup(&c, dir);

	printf("Attestation results (verify + appraise + sign; verify token + release policy), "
	       "single thread\n");
	printf("sample: %s (verify_at %s), %d runs of %.1f s each, ES256, token %zu bytes\n", dir,
	       c.s.at_s, runs, secs, strlen(c.token));
	printf("%-4s %12s %12s %7s   %12s %12s %7s\n", "run", "floor iss/s", "custos iss/s",
	       "ratio", "floor chk/s", "custos chk/s", "ratio");
	for (int run = 0; run < runs; run++) {
		double t0, t;
		long n;

		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++) {
			bench_floor_verify(&c.s);
			floor_sign(&c);
		}
		f_issue[run] = (double)n / (t - t0);
		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++)
			free(issue(&c));
		c_issue[run] = (double)n / (t - t0);
		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++)
			floor_check(&c);
		f_check[run] = (double)n / (t - t0);
		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++)
			check(&c);
		c_check[run] = (double)n / (t - t0);
		r_issue[run] = c_issue[run] / f_issue[run];
		r_check[run] = c_check[run] / f_check[run];
		printf("%-4d %12.0f %12.0f %7.3f   %12.0f %12.0f %7.3f\n", run + 1, f_issue[run],
		       c_issue[run], r_issue[run], f_check[run], c_check[run], r_check[run]);
	}
	printf("median issue: floor %.0f/s, custos %.0f/s, ratio %.3f", bench_median(f_issue, runs),
	       bench_median(c_issue, runs), bench_median(r_issue, runs));
	printf(" (min %.3f, max %.3f)\n", r_issue[0], r_issue[runs - 1]);
	printf("median check: floor %.0f/s, custos %.0f/s, ratio %.3f", bench_median(f_check, runs),
	       bench_median(c_check, runs), bench_median(r_check, runs));
	printf(" (min %.3f, max %.3f)\n", r_check[0], r_check[runs - 1]);

	free(c.token);
	json_decref(c.jwks);
	EVP_PKEY_free(c.p256);
	cu_signing_key_free(c.key);
	cu_policy_free(c.appraisal);
	cu_policy_free(c.release);
	cu_verifier_free(c.v);
	bench_sample_free(&c.s);
	return 0;
}
