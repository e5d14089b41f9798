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

#include <custos/custos.h>

#include "bench-util.h"

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/sev-snp/gsg-milan-v2-debug";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 2.0;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 };
	struct bench_sample s;
	cu_verifier *v;
	json_t *claims;
	double floor_r[64], custos_r[64], ratio[64];

	if (runs < 1 || runs > 64 || secs <= 0)
		bench_die("usage: bench_snp [SAMPLE_DIR] [RUNS 1-64] [SECONDS]");
	bench_sample_load(&s, dir);
	o.at = s.at;
	if (cu_verifier_new(&v, &err) < 0 || cu_verifier_add_collateral(v, dir, &err) < 0)
		bench_die(err.message);
	/* First verification: builds and caches the chain. */
	if (cu_verify(v, "snp", s.report, s.size, &o, &claims, &err) < 0)
		bench_die(err.message);
	json_decref(claims);

	printf("SEV-SNP report verification, single thread, chain cached\n");
	printf("sample: %s (verify_at %s), %d runs of %.1f s each\n", dir, s.at_s, runs, secs);
	printf("%-5s %16s %16s %8s\n", "run", "floor verify/s", "custos verify/s", "ratio");
	for (int run = 0; run < runs; run++) {
		double t0, t;
		long n;

		/* floor: raw OpenSSL ECDSA P-384 SHA-384 over the same 672 bytes */
		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++)
			bench_floor_verify(&s);
		floor_r[run] = (double)n / (t - t0);

		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++) {
			if (cu_verify(v, "snp", s.report, s.size, &o, &claims, &err) < 0)
				bench_die(err.message);
			json_decref(claims);
		}
		custos_r[run] = (double)n / (t - t0);
		ratio[run] = custos_r[run] / floor_r[run];
		printf("%-5d %16.0f %16.0f %8.3f\n", run + 1, floor_r[run], custos_r[run],
		       ratio[run]);
	}
	{
		double fm = bench_median(floor_r, runs), cm = bench_median(custos_r, runs);
		double rm = bench_median(ratio, runs); /* sorts ratio: min first, max last */

		printf("median: floor %.0f/s, custos %.0f/s, ratio %.3f (min %.3f, max %.3f)\n", fm,
		       cm, rm, ratio[0], ratio[runs - 1]);
	}
	cu_verifier_free(v);
	bench_sample_free(&s);
	return 0;
}
