/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP quote verification (TDX or SGX) throughput, single thread,
 * collateral loaded and its chains cached, against the floor measured in the
 * same run: OpenSSL's raw ECDSA P-256 SHA-256 verification of the quote's
 * signed bytes with its attestation key. A quote needs at least two such
 * verifications (the quote by the attestation key, the QE report by the PCK
 * key), so the target is a ratio to half the raw rate.
 *
 *   bench_dcap [SAMPLE_DIR] [RUNS] [SECONDS_PER_RUN]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>

#include <custos/custos.h>

#include "../src/base/fileio.h"
#include "../src/base/time.h"
#include "../src/crypto/sig.h"
#include "../src/evidence/dcap.h"
#include "bench-util.h"

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/tdx/dcap-qvl-tdx-v4-uptodate";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 2.0;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 };
	struct cu_dcap_quote q;
	char path[4096];
	uint8_t *quote, *meta;
	size_t size, meta_size;
	const char *at_s;
	json_t *claims, *sample;
	cu_verifier *v;
	EVP_PKEY *key;
	ECDSA_SIG *sig;
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	int der_len;
	double floor_r[64], custos_r[64], ratio[64];

	if (runs < 1 || runs > 64 || secs <= 0)
		bench_die("usage: bench_dcap [SAMPLE_DIR] [RUNS 1-64] [SECONDS]");
	snprintf(path, sizeof(path), "%s/quote.bin", dir);
	if (cu_read_file(path, 1 << 20, &quote, &size, &err) < 0)
		bench_die(err.message);
	snprintf(path, sizeof(path), "%s/sample.json", dir);
	if (cu_read_file(path, 1 << 22, &meta, &meta_size, &err) < 0)
		bench_die(err.message);
	sample = json_loadb((const char *)meta, meta_size, 0, NULL);
	at_s = json_string_value(json_object_get(sample, "verify_at"));
	if (!at_s || cu_time_parse_rfc3339(at_s, &o.at) < 0)
		bench_die("sample.json has no verify_at");
	if (cu_dcap_quote_parse(quote, size, &q, &err) < 0)
		bench_die(err.message);
	if (cu_verifier_new(&v, &err) < 0 || cu_verifier_add_collateral(v, dir, &err) < 0)
		bench_die(err.message);
	/* First verification: verifies and caches the chains. */
	if (cu_verify(v, NULL, quote, size, &o, &claims, &err) < 0)
		bench_die(err.message);
	json_decref(claims);

	/* the floor's inputs: the attestation key and the quote's signature in DER */
	key = cu_ec_pub_from_xy("P-256", q.att_key, q.att_key + 32, 32);
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(q.signature, 32, NULL);
	s = BN_bin2bn(q.signature + 32, 32, NULL);
	if (!key || !sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1 ||
	    (der_len = i2d_ECDSA_SIG(sig, &der)) <= 0)
		bench_die("cannot prepare the floor");

	printf("Intel DCAP quote verification (%s), single thread, collateral cached\n",
	       q.tee_type == CU_DCAP_TEE_TDX ? "TDX" : "SGX");
	printf("sample: %s (verify_at %s), %d runs of %.1f s each\n", dir, at_s, runs, secs);
	printf("floor: OpenSSL ECDSA P-256 SHA-256 verify; a quote needs two: target >= 0.9 of "
	       "half the floor\n");
	printf("%-5s %16s %16s %12s\n", "run", "P-256 verify/s", "custos quote/s", "ratio to 1/2");
	for (int run = 0; run < runs; run++) {
		double t0, t;
		long n;

		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++) {
			EVP_MD_CTX *md = EVP_MD_CTX_new();

			if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
			    EVP_DigestVerify(md, der, (size_t)der_len, quote, q.signed_size) != 1)
				bench_die("floor verification failed");
			EVP_MD_CTX_free(md);
		}
		floor_r[run] = (double)n / (t - t0);

		for (n = 0, t0 = bench_now(); (t = bench_now()) - t0 < secs; n++) {
			if (cu_verify(v, NULL, quote, size, &o, &claims, &err) < 0)
				bench_die(err.message);
			json_decref(claims);
		}
		custos_r[run] = (double)n / (t - t0);
		ratio[run] = custos_r[run] / (floor_r[run] / 2);
		printf("%-5d %16.0f %16.0f %12.3f\n", run + 1, floor_r[run], custos_r[run],
		       ratio[run]);
	}
	{
		double fm = bench_median(floor_r, runs), cm = bench_median(custos_r, runs);
		double rm = bench_median(ratio, runs); /* sorts ratio: min first, max last */

		printf(
		    "median: floor %.0f/s (half: %.0f/s), custos %.0f/s, ratio to half the floor "
		    "%.3f (min %.3f, max %.3f)\n",
		    fm, fm / 2, cm, rm, ratio[0], ratio[runs - 1]);
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_PKEY_free(key);
	json_decref(sample);
	free(meta);
	free(quote);
	cu_verifier_free(v);
	return 0;
}
