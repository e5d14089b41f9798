/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Nitro attestation document verification throughput, single thread,
 * chain cached, against the floor measured in the same run: OpenSSL's raw
 * ECDSA P-384 SHA-384 verification of the document's COSE Sig_structure with
 * the same key (one per document). Target: 0.9 of the floor.
 *
 *   bench_nitro [SAMPLE_DIR] [RUNS] [SECONDS_PER_RUN]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/x509.h>

#include <custos/custos.h>

#include "../src/base/fileio.h"
#include "../src/base/time.h"
#include "../src/crypto/cose.h"
#include "bench-util.h"

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/corpus/nitro/evervault-nondebug-2022";
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double secs = argc > 3 ? atof(argv[3]) : 2.0;
	struct cu_error err = { 0 };
	struct cu_verify_opts o = { 0 };
	struct cu_cose_sign1 cose;
	cbor_item_t *payload = NULL, *certificate;
	char path[4096];
	uint8_t *doc, *meta, *tbs;
	size_t size, meta_size, n = 0;
	const char *at_s;
	json_t *claims, *sample;
	cu_verifier *v;
	EVP_PKEY *key;
	X509 *leaf;
	const unsigned char *p;
	ECDSA_SIG *sig;
	unsigned char *der = NULL;
	int der_len;

	if (runs < 1 || runs > 64 || secs <= 0)
		bench_die("usage: bench_nitro [SAMPLE_DIR] [RUNS 1-64] [SECONDS]");
	snprintf(path, sizeof(path), "%s/attestation_doc.cbor", dir);
	if (cu_read_file(path, 1 << 20, &doc, &size, &err) < 0)
		bench_die(err.message);
	snprintf(path, sizeof(path), "%s/sample.json", dir);
	if (cu_read_file(path, 1 << 22, &meta, &meta_size, &err) < 0)
		bench_die(err.message);
	sample = json_loadb((const char *)meta, meta_size, 0, NULL);
	at_s = json_string_value(json_object_get(sample, "verify_at"));
	if (!at_s || cu_time_parse_rfc3339(at_s, &o.at) < 0)
		bench_die("sample.json has no verify_at");
	if (cu_verifier_new(&v, &err) < 0 ||
	    cu_verify(v, "nitro", doc, size, &o, &claims, &err) < 0)
		bench_die(err.message);
	json_decref(claims);

	/* the floor's inputs: the leaf key, the Sig_structure, the signature in DER */
	if (cu_cose_sign1_parse(doc, size, &cose, &err) < 0 ||
	    cu_cbor_load(cose.payload, cose.payload_size, "payload", &payload, &err) < 0 ||
	    !(certificate = cu_cbor_map_get(payload, "certificate")))
		bench_die("cannot read the document");
	p = cbor_bytestring_handle(certificate);
	if (!(leaf = d2i_X509(NULL, &p, (long)cbor_bytestring_length(certificate))) ||
	    !(key = X509_get_pubkey(leaf)) || cose.payload_size < 256 ||
	    cose.payload_size >= 65536 || cose.protected_size >= 24)
		bench_die("cannot read the certificate");
	tbs = malloc(32 + cose.protected_size + cose.payload_size);
	memcpy(tbs, "\x84\x6aSignature1", 12);
	n = 12;
	tbs[n++] = (uint8_t)(0x40 | cose.protected_size);
	memcpy(tbs + n, cose.protected_raw, cose.protected_size);
	n += cose.protected_size;
	tbs[n++] = 0x40;
	tbs[n++] = 0x59;
	tbs[n++] = (uint8_t)(cose.payload_size >> 8);
	tbs[n++] = (uint8_t)cose.payload_size;
	memcpy(tbs + n, cose.payload, cose.payload_size);
	n += cose.payload_size;
	sig = ECDSA_SIG_new();
	if (!sig ||
	    ECDSA_SIG_set0(sig, BN_bin2bn(cose.signature, 48, NULL),
	                   BN_bin2bn(cose.signature + 48, 48, NULL)) != 1 ||
	    (der_len = i2d_ECDSA_SIG(sig, &der)) <= 0)
		bench_die("cannot prepare the floor");

	printf("AWS Nitro attestation document verification, single thread, chain cached\n");
	printf("sample: %s (verify_at %s), %d runs of %.1f s each\n", dir, at_s, runs, secs);
	{
		struct bench_one_sig c = { v,   "nitro",         doc, size, &o, key, EVP_sha384(),
			                   der, (size_t)der_len, tbs, n };
		struct bench_pair pair = { bench_one_sig_floor, bench_one_sig_custos, &c };

		bench_compare(&pair, runs, secs);
	}
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	free(tbs);
	EVP_PKEY_free(key);
	X509_free(leaf);
	cbor_decref(&payload);
	cu_cose_sign1_done(&cose);
	json_decref(sample);
	free(meta);
	free(doc);
	cu_verifier_free(v);
	return 0;
}
