/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVIDIA H100 report verification throughput, single thread, device chain
 * and RIM chain cached, against the floor measured in the same run:
 * OpenSSL's raw ECDSA P-384 SHA-384 verification of the report's signed
 * bytes with the attestation key. Two forms: the raw report with its chain
 * (custos verify --cert), and Trustee's device JSON (hex report, base64 PEM
 * chain), both with the sample's VBIOS RIM compared. Target: 0.9 of the floor.
 *
 *   bench_nvgpu [SAMPLE_DIR] [RUNS] [SECONDS_PER_RUN]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/pem.h>

#include <custos/custos.h>

#include "../src/base/encoding.h"
#include "../src/base/fileio.h"
#include "../src/base/time.h"
#include "bench-util.h"

static uint8_t *load(const char *dir, const char *name, size_t *size)
{
	struct cu_error err = { 0 };
	char path[4096];
	uint8_t *b;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cu_read_file(path, 1 << 22, &b, size, &err) < 0)
		bench_die(err.message);
	return b;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/nvidia-gpu/trustee-coco-ci-h100";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 2.0;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 }, oj = { 0 };
	size_t size, pem_size, meta_size, rim_size, sig_off;
	uint8_t *rep = load(dir, "report.bin", &size),
	        *pem = load(dir, "cert_chain.pem", &pem_size);
	uint8_t *meta = load(dir, "sample.json", &meta_size);
	uint8_t *rim = load(dir, "vbios_rim_960074001A.swidtag", &rim_size);
	const uint8_t *extra[1] = { pem };
	size_t extra_size[1] = { pem_size };
	json_t *sample = json_loadb((const char *)meta, meta_size, 0, NULL), *claims;
	const char *at_s = json_string_value(json_object_get(sample, "verify_at"));
	char *hex = cu_hex_encode_alloc(rep, size), *b64 = cu_base64_encode_alloc(pem, pem_size);
	char *json = NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_size);
	X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = leaf ? X509_get_pubkey(leaf) : NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int der_len;
	cu_verifier *v;

	if (runs < 1 || runs > 64 || secs <= 0)
		bench_die("usage: bench_nvgpu [SAMPLE_DIR] [RUNS 1-64] [SECONDS]");
	if (!at_s || cu_time_parse_rfc3339(at_s, &o.at) < 0 || !key || !hex || !b64 || !sig)
		bench_die("cannot read the sample");
	o.extra_collateral = extra;
	o.extra_collateral_sizes = extra_size;
	o.n_extra_collateral = 1;
	oj.at = o.at;
	if (asprintf(&json,
	             "{\"arch\":\"HOPPER\",\"uuid\":\"GPU-0\",\"evidence\":\"%s\","
	             "\"certificate\":\"%s\"}",
	             hex, b64) < 0)
		bench_die("out of memory");
	if (cu_verifier_new(&v, &err) < 0 ||
	    cu_verifier_add_collateral_mem(v, rim, rim_size, "rim", &err) < 0 ||
	    cu_verify(v, "nvgpu", rep, size, &o, &claims, &err) < 0)
		bench_die(err.message);
	json_decref(claims);
	/* the signature: the 96 bytes before any zero padding */
	sig_off = size - 96;
	while (sig_off > 0 && rep[sig_off + 95] == 0)
		sig_off--;
	if (ECDSA_SIG_set0(sig, BN_bin2bn(rep + sig_off, 48, NULL),
	                   BN_bin2bn(rep + sig_off + 48, 48, NULL)) != 1 ||
	    (der_len = i2d_ECDSA_SIG(sig, &der)) <= 0)
		bench_die("cannot prepare the floor");

	printf(
	    "NVIDIA H100 report verification (SPDM 1.1, ECDSA P-384, VBIOS RIM compared), single "
	    "thread, chains cached\n");
	printf("sample: %s (verify_at %s), %d runs of %.1f s each\n", dir, at_s, runs, secs);
	{
		struct bench_one_sig c = { v,   "nvgpu",         rep, size,   &o, key, EVP_sha384(),
			                   der, (size_t)der_len, rep, sig_off };
		struct bench_pair pair = { bench_one_sig_floor, bench_one_sig_custos, &c };

		printf("\nraw report, chain as extra collateral (custos verify --cert):\n");
		bench_compare(&pair, runs, secs);
		c.ev = (const uint8_t *)json;
		c.size = strlen(json);
		c.o = &oj;
		printf("\nTrustee's device JSON (hex report, base64 PEM chain):\n");
		bench_compare(&pair, runs, secs);
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_PKEY_free(key);
	X509_free(leaf);
	BIO_free(bio);
	free(json);
	free(hex);
	free(b64);
	json_decref(sample);
	free(meta);
	free(rim);
	free(pem);
	free(rep);
	cu_verifier_free(v);
	return 0;
}
