/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quote verification throughput, single thread, AK trust cached,
 * against the floor measured in the same run: OpenSSL's raw verification of
 * the quote's signature (TPMS_ATTEST, SHA-256) with the AK. Target: 0.9 of
 * the floor.
 *
 *   bench_tpm EVIDENCE.json AT REPORT_DATA_HEX RUNS SECONDS [COLLATERAL...]
 *
 * bench/bench_tpm.sh makes the evidence (the GCE corpus sample; a live swtpm
 * quote) and runs tpm2_checkquote on the same quote as the peer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include <custos/custos.h>

#include "../src/base/encoding.h"
#include "../src/base/fileio.h"
#include "../src/base/time.h"
#include "bench-util.h"

/* The first quote of the evidence, its signature as OpenSSL verifies it, and the AK. */
static void floor_inputs(const uint8_t *ev, size_t size, uint8_t **attest, size_t *attest_size,
                         uint8_t **sig, size_t *sig_size, EVP_PKEY **ak)
{
	json_t *root = json_loadb((const char *)ev, size, 0, NULL), *fields = NULL, *q;
	const char *key;
	uint8_t *raw = NULL;
	size_t raw_size = 0, off = 0;
	TPMT_SIGNATURE s;
	struct cu_error err = { 0 };
	const char *pem, *b;
	BIO *bio;

	if (!root || cu_inspect("tpm", ev, size, &fields, &err) < 0)
		bench_die("the evidence does not parse");
	pem = json_string_value(
	    json_object_get(json_object_get(json_object_get(fields, "tpm"), "ak"), "pem"));
	bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	if (!bio || !(*ak = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)))
		bench_die("no AK");
	BIO_free(bio);
	json_object_foreach (json_object_get(root, "quote"), key, q) {
		b = json_string_value(json_object_get(q, "attest_body"));
		if (cu_base64_decode(b, strlen(b), attest, attest_size) < 0)
			bench_die("attest_body");
		b = json_string_value(json_object_get(q, "attest_sig"));
		if (cu_base64_decode(b, strlen(b), &raw, &raw_size) < 0 ||
		    Tss2_MU_TPMT_SIGNATURE_Unmarshal(raw, raw_size, &off, &s) != 0)
			bench_die("attest_sig");
		break;
	}
	if (s.sigAlg == TPM2_ALG_ECDSA) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		unsigned char *der = NULL;
		int n;

		if (!es ||
		    ECDSA_SIG_set0(es,
		                   BN_bin2bn(s.signature.ecdsa.signatureR.buffer,
		                             s.signature.ecdsa.signatureR.size, NULL),
		                   BN_bin2bn(s.signature.ecdsa.signatureS.buffer,
		                             s.signature.ecdsa.signatureS.size, NULL)) != 1 ||
		    (n = i2d_ECDSA_SIG(es, &der)) <= 0)
			bench_die("ECDSA signature");
		*sig = malloc((size_t)n);
		memcpy(*sig, der, (size_t)n);
		*sig_size = (size_t)n;
		OPENSSL_free(der);
		ECDSA_SIG_free(es);
	} else {
		*sig_size = s.signature.rsassa.sig.size;
		*sig = malloc(*sig_size);
		memcpy(*sig, s.signature.rsassa.sig.buffer, *sig_size);
	}
	free(raw);
	json_decref(fields);
	json_decref(root);
}

int main(int argc, char **argv)
{
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 };
	uint8_t *ev, *attest, *sig, rd[64];
	size_t size, attest_size, sig_size;
	long rd_size;
	int runs;
	double secs;
	json_t *claims;
	cu_verifier *v;
	EVP_PKEY *ak;

	if (argc < 6)
		bench_die(
		    "usage: bench_tpm EVIDENCE AT REPORT_DATA_HEX RUNS SECONDS [COLLATERAL...]");
	runs = atoi(argv[4]);
	secs = atof(argv[5]);
	if (runs < 1 || runs > 64 || secs <= 0)
		bench_die("RUNS 1-64, SECONDS > 0");
	if (cu_read_file(argv[1], 1 << 20, &ev, &size, &err) < 0 ||
	    cu_time_parse_rfc3339(argv[2], &o.at) < 0)
		bench_die(err.message[0] ? err.message : "AT: RFC 3339");
	rd_size = cu_hex_decoded_size(argv[3], strlen(argv[3]));
	if (rd_size < 0 || rd_size > 64 ||
	    cu_hex_decode(argv[3], strlen(argv[3]), rd, (size_t)rd_size) < 0)
		bench_die("REPORT_DATA_HEX");
	o.report_data = rd;
	o.report_data_size = (size_t)rd_size;
	if (cu_verifier_new(&v, &err) < 0)
		bench_die(err.message);
	for (int i = 6; i < argc; i++)
		if (cu_verifier_add_collateral(v, argv[i], &err) < 0)
			bench_die(err.message);
	if (cu_verify(v, "tpm", ev, size, &o, &claims, &err) < 0)
		bench_die(err.message);
	printf("TPM 2.0 quote verification, single thread, AK trust (%s) cached\n",
	       json_string_value(json_object_get(
	           json_object_get(json_object_get(claims, "tpm"), "ak"), "trust")));
	json_decref(claims);
	floor_inputs(ev, size, &attest, &attest_size, &sig, &sig_size, &ak);

	printf("evidence: %s (%zu bytes), %d runs of %.1f s each\n", argv[1], size, runs, secs);
	{
		/* the floor: the quote's one signature, with OpenSSL alone */
		struct bench_one_sig c = { v,   "tpm",    ev,     size,       &o, ak, EVP_sha256(),
			                   sig, sig_size, attest, attest_size };
		struct bench_pair pair = { bench_one_sig_floor, bench_one_sig_custos, &c };

		bench_compare(&pair, runs, secs);
	}
	EVP_PKEY_free(ak);
	free(attest);
	free(sig);
	free(ev);
	cu_verifier_free(v);
	return 0;
}
