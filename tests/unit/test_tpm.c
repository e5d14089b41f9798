/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM 2.0 quotes.
 *
 * Real quotes from ../shared/corpus/tpm: every sample with a quote verifies
 * as it says (AK certificate to the sample's trust anchors, or the AK pinned
 * as the sample's notes say), with its expected nonce and AK name; SHA-1
 * signatures only under the INSECURE switch; its event log replays; another
 * nonce, no trust anchor, any bit flipped in a quote or its signature, a PCR
 * value changed, and an altered event log are each refused at their stage.
 *
 * Synthetic quotes (keys made here, structures marshalled with libtss2-mu):
 * ECDSA P-256 and RSA-PSS AKs, and each failure: magic, type, an AK that is
 * not a restricted signing key, a scheme other than the AK's, qualifying data,
 * the PCR list, PCR selections, unknown members, unsupported parts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "../../src/base/encoding.h"
#include "../../src/evidence/eventlog.h"
#include "test-util.h"

static void set_b64(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	char *s = cu_base64_encode_alloc(p, n);

	assert_non_null(s);
	assert_int_equal(json_object_set_new(o, k, json_string(s)), 0);
	free(s);
}

static void set_b64_file(json_t *o, const char *k, const char *path)
{
	size_t n;
	uint8_t *p = tu_read_file(path, &n);

	assert_non_null(p);
	set_b64(o, k, p, n);
	free(p);
}

static int verify_json(cu_verifier *v, json_t *ev, const struct cu_verify_opts *o, json_t **claims,
                       struct cu_error *err)
{
	char *s = json_dumps(ev, JSON_COMPACT);
	int r;

	assert_non_null(s);
	*err = (struct cu_error){ 0 };
	r = cu_verify(v, "tpm", (const uint8_t *)s, strlen(s), o, claims, err);
	free(s);
	return r;
}

static void expect_stage(cu_verifier *v, json_t *ev, const struct cu_verify_opts *o,
                         const char *stage, const char *words)
{
	struct cu_error err;
	json_t *c = NULL;

	assert_true(verify_json(v, ev, o, &c, &err) < 0);
	assert_null(c);
	if (strcmp(err.stage, stage) || (words && !strstr(err.message, words)))
		fail_msg("expected stage %s (\"%s\"), got %s: %s", stage, words ? words : "",
		         err.stage, err.message);
}

/* ------------------------------------------------------------- corpus */

struct sample {
	char dir[1024];
	json_t *meta, *ev;
	cu_verifier *v;
	struct cu_verify_opts o;
	uint8_t nonce[64];
	bool sha1;
};

static const char *const bank_names[] = { "sha1", "sha256", "sha384", "sha512" };

/* The quote files of a sample: quote.attest (bank from pcrs_*.json) or quote_<bank>.attest. */
static bool add_quote(struct sample *s, json_t *quotes, const char *bank)
{
	char attest[1100], sig[1100], pcrs[1100], key[16];
	json_t *pj, *list = json_array(), *q = json_object();
	FILE *f;

	snprintf(pcrs, sizeof(pcrs), "%s/pcrs_%s.json", s->dir, bank);
	snprintf(attest, sizeof(attest), "%s/quote_%s.attest", s->dir, bank);
	snprintf(sig, sizeof(sig), "%s/quote_%s.sig", s->dir, bank);
	if (!(f = fopen(attest, "rb"))) {
		snprintf(attest, sizeof(attest), "%s/quote.attest", s->dir);
		snprintf(sig, sizeof(sig), "%s/quote.sig", s->dir);
		f = fopen(attest, "rb");
	}
	if (!f || access(pcrs, R_OK) != 0) {
		if (f)
			fclose(f);
		json_decref(list);
		json_decref(q);
		return false;
	}
	fclose(f);
	pj = tu_load_json(pcrs);
	for (int i = 0; i < 24; i++) {
		char k[4];

		snprintf(k, sizeof(k), "%d", i);
		if (json_object_get(pj, k))
			json_array_append(list, json_object_get(pj, k));
	}
	json_decref(pj);
	set_b64_file(q, "attest_body", attest);
	set_b64_file(q, "attest_sig", sig);
	json_object_set_new(q, "pcrs", list);
	for (size_t i = 0; i < strlen(bank) && i < sizeof(key) - 1; i++)
		key[i] = (char)(bank[i] - 32 * (bank[i] >= 'a' && bank[i] <= 'z'));
	key[strlen(bank)] = 0;
	json_object_set_new(quotes, key, q);
	return true;
}

static bool sample_load(struct sample *s, const char dir[1024])
{
	char p[1100];
	json_t *quotes = json_object(), *files;
	const char *name, *nonce;
	json_t *f;
	struct cu_error err = { 0 };
	const char *at;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	for (size_t i = 0; i < 4; i++)
		add_quote(s, quotes, bank_names[i]);
	if (json_object_size(quotes) == 0) {
		json_decref(quotes);
		return false; /* an event log sample: tests/unit/test_eventlog.c */
	}
	snprintf(p, sizeof(p), "%s/sample.json", dir);
	s->meta = tu_load_json(p);
	s->ev = json_object();
	json_object_set_new(s->ev, "quote", quotes);
	snprintf(p, sizeof(p), "%s/ak_pub.tpmt", dir);
	set_b64_file(s->ev, "ak_public", p);
	snprintf(p, sizeof(p), "%s/ak_cert.der", dir);
	if (access(p, R_OK) == 0)
		set_b64_file(s->ev, "ak_cert", p);
	snprintf(p, sizeof(p), "%s/event_log.bin", dir);
	if (access(p, R_OK) == 0)
		set_b64_file(s->ev, "eventlog", p);
	assert_int_equal(cu_verifier_new(&s->v, &err), 0);
	/* the sample's trust anchors and intermediates (endorsements) */
	files = json_object_get(s->meta, "files");
	json_object_foreach (files, name, f) {
		const char *role = json_string_value(json_object_get(f, "role"));

		if (role &&
		    (!strncmp(role, "trust anchor", 12) || !strncmp(role, "endorsement", 11)) &&
		    strstr(name, ".der") && strcmp(name, "ak_cert.der")) {
			snprintf(p, sizeof(p), "%s/%s", dir, name);
			assert_true(cu_verifier_add_collateral(s->v, p, &err) > 0);
		}
	}
	at = json_string_value(json_object_get(s->meta, "verify_at"));
	s->o.at = tu_time(at ? at : "2025-01-01T00:00:00Z");
	nonce = json_string_value(json_object_get(
	    json_object_get(json_object_get(s->meta, "expected_claims"), "nonce"), "value"));
	assert_non_null(nonce);
	s->o.report_data = s->nonce;
	s->o.report_data_size = strlen(nonce) / 2;
	for (size_t i = 0; i < s->o.report_data_size; i++)
		assert_int_equal(sscanf(nonce + 2 * i, "%2hhx", &s->nonce[i]), 1);
	/* no AK certificate: the AK is trusted directly, as the notes say */
	if (!json_object_get(s->ev, "ak_cert")) {
		char *txt = json_dumps(s->ev, JSON_COMPACT);
		json_t *fields = NULL;
		const char *pem;

		assert_int_equal(cu_inspect("tpm", (uint8_t *)txt, strlen(txt), &fields, &err), 0);
		pem = json_string_value(tu_json_path(fields, "tpm.ak.pem"));
		assert_non_null(pem);
		assert_int_equal(cu_verifier_add_collateral_mem(s->v, (const uint8_t *)pem,
		                                                strlen(pem), "ak.pem", &err),
		                 1);
		free(txt);
		json_decref(fields);
	}
	return true;
}

static void sample_done(struct sample *s)
{
	json_decref(s->meta);
	json_decref(s->ev);
	cu_verifier_free(s->v);
}

typedef void (*sample_fn)(struct sample *s);

static bool run_sample(const char *dir, const char *name, void *fn)
{
	struct sample s;

	if (!sample_load(&s, dir))
		return false;
	print_message("# %s\n", name);
	((sample_fn)fn)(&s);
	sample_done(&s);
	return true;
}

static void for_each_sample(sample_fn fn)
{
	assert_true(tu_for_each_sample("tpm", run_sample, (void *)fn) >= 2);
}

/* Verifies as the sample says; SHA-1 signatures only under the INSECURE switch. */
static void check_valid(struct sample *s)
{
	struct cu_error err;
	json_t *c = NULL, *ec = json_object_get(s->meta, "expected_claims");
	const char *name = json_string_value(tu_json_path(ec, "ak_public.value.name"));

	if (verify_json(s->v, s->ev, &s->o, &c, &err) < 0) {
		if (strcmp(err.stage, "quote-signature"))
			fail_msg("%s: %s: %s", s->dir, err.stage, err.message);
		assert_non_null(strstr(err.message, "SHA-1"));
		assert_non_null(strstr(err.message, "INSECURE"));
		s->o.insecure_allow_sha1 = true;
		if (verify_json(s->v, s->ev, &s->o, &c, &err) < 0)
			fail_msg("%s: %s: %s", s->dir, err.stage, err.message);
	}
	assert_string_equal(json_string_value(json_object_get(c, "tee")), "tpm");
	assert_true(json_is_true(json_object_get(c, "verified")));
	assert_string_equal(json_string_value(json_object_get(c, "report_data")),
	                    json_string_value(tu_json_path(ec, "nonce.value")));
	assert_non_null(name);
	assert_string_equal(json_string_value(tu_json_path(c, "tpm.ak.name")), name);
	if (json_object_get(s->ev, "eventlog")) {
		json_t *replayed = NULL;
		const char *b;
		json_t *bank;

		json_object_foreach (tu_json_path(c, "tpm.eventlog"), b, bank)
			if (json_is_object(bank) &&
			    json_array_size(json_object_get(bank, "replayed")))
				replayed = bank;
		assert_non_null(replayed);
		/* PCR 0 is always measured by firmware */
		assert_int_equal(
		    json_integer_value(json_array_get(json_object_get(replayed, "replayed"), 0)),
		    0);
	}
	json_decref(c);
}

static void test_corpus_valid(void **state)
{
	(void)state;
	for_each_sample(check_valid);
}

static void check_refusals(struct sample *s)
{
	const char *k;
	json_t *q;

	s->o.insecure_allow_sha1 = true; /* the refusals below are about other things */
	if (s->o.report_data_size) {
		s->nonce[0] ^= 1;
		expect_stage(s->v, s->ev, &s->o, "binding", "qualifying data");
		s->nonce[0] ^= 1;
	}
	/* a longer nonce (a shorter one is zero-padded, as for every TEE) */
	s->nonce[s->o.report_data_size++] = 0x01;
	expect_stage(s->v, s->ev, &s->o, "binding", NULL);
	s->nonce[--s->o.report_data_size] = 0;

	/* a PCR value changed */
	json_object_foreach (json_object_get(s->ev, "quote"), k, q) {
		json_t *pcrs = json_object_get(q, "pcrs"),
		       *old = json_incref(json_array_get(pcrs, 7));
		char *v = strdup(json_string_value(old));

		v[0] = v[0] == '0' ? '1' : '0';
		json_array_set_new(pcrs, 7, json_string(v));
		expect_stage(s->v, s->ev, &s->o, "pcr-digest", k);
		json_array_set_new(pcrs, 7, old);
		free(v);
	}
	/* every bit of every quote and of its signature, flipped */
	json_object_foreach (json_object_get(s->ev, "quote"), k, q) {
		const char *fields[] = { "attest_body", "attest_sig" };

		for (int f = 0; f < 2; f++) {
			json_t *old = json_incref(json_object_get(q, fields[f]));
			uint8_t *raw = NULL;
			size_t n = 0;
			int rejected = 0, total = 0;

			{
				BIO *b = BIO_new_mem_buf(json_string_value(old), -1);
				BIO *d = BIO_new(BIO_f_base64());
				uint8_t buf[4096];
				int m;

				BIO_set_flags(d, BIO_FLAGS_BASE64_NO_NL);
				b = BIO_push(d, b);
				m = BIO_read(b, buf, sizeof(buf));
				assert_true(m > 0);
				n = (size_t)m;
				raw = malloc(n);
				memcpy(raw, buf, n);
				BIO_free_all(b);
			}
			for (size_t bit = 0; bit < 8 * n; bit++) {
				json_t *c = NULL;
				struct cu_error err;

				raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				set_b64(q, fields[f], raw, n);
				rejected += verify_json(s->v, s->ev, &s->o, &c, &err) < 0;
				total++;
				json_decref(c);
				raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
			json_object_set_new(q, fields[f], old);
			free(raw);
			if (rejected != total)
				fail_msg("%s quote %s: %d of %d bit flips in %s accepted", s->dir,
				         k, total - rejected, total, fields[f]);
		}
	}
	/* the event log altered: a digest of an extended event (well inside the log) */
	if (json_object_get(s->ev, "eventlog")) {
		char p[1100];
		size_t n;
		uint8_t *log;
		json_t *c = NULL;
		struct cu_error err;
		int refused = 0, total = 0;

		snprintf(p, sizeof(p), "%s/event_log.bin", s->dir);
		log = tu_read_file(p, &n);
		/* a digest of each extending event, flipped, is refused (replay) */
		{
			struct cu_evlog parsed;

			assert_int_equal(cu_evlog_parse(log, n, &parsed, &err), 0);
			for (size_t e = 0; e < parsed.n_events; e++) {
				const struct cu_evlog_event *ev = &parsed.events[e];
				size_t at;

				if (ev->type == CU_EV_NO_ACTION || ev->index > 9 || !ev->digest[0])
					continue;
				at = (size_t)(ev->digest[0] - log);
				log[at] ^= 0x01;
				set_b64(s->ev, "eventlog", log, n);
				refused += verify_json(s->v, s->ev, &s->o, &c, &err) < 0 &&
				           !strcmp(err.stage, "eventlog");
				json_decref(c);
				c = NULL;
				log[at] ^= 0x01;
				total++;
			}
			cu_evlog_done(&parsed);
		}
		set_b64(s->ev, "eventlog", log, n);
		assert_true(total > 0);
		assert_int_equal(refused, total);
		/* and the same log beside the evidence too: two logs are refused */
		s->o.eventlog = log;
		s->o.eventlog_size = n;
		expect_stage(s->v, s->ev, &s->o, "eventlog", "two event logs");
		s->o.eventlog = NULL;
		free(log);
	}
	/* no trust: a verifier without the sample's anchors or pinned key */
	{
		cu_verifier *bare;
		struct cu_error err = { 0 };

		assert_int_equal(cu_verifier_new(&bare, &err), 0);
		expect_stage(bare, s->ev, &s->o, "ak-trust", NULL);
		cu_verifier_free(bare);
	}
}

static void test_corpus_refusals(void **state)
{
	(void)state;
	for_each_sample(check_refusals);
}

/* ---------------------------------------------------------- synthetic */

struct synth {
	EVP_PKEY *key;
	TPMT_PUBLIC pub;
	TPMS_ATTEST a;
	TPMI_ALG_SIG_SCHEME sigalg;
	uint8_t pcrs[24][32];
	cu_verifier *v;
	struct cu_verify_opts o;
};

static const uint8_t NONCE[32] = { 0xc0, 0xff, 0xee, 1, 2, 3 };

static void pin_key(cu_verifier *v, EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long n;
	struct cu_error err = { 0 };

	assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(cu_verifier_add_collateral_mem(v, (uint8_t *)pem, (size_t)n, "ak", &err),
	                 1);
	BIO_free(bio);
}

static void synth_init(struct synth *s, bool rsa)
{
	struct cu_error err = { 0 };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned dn = 0;

	memset(s, 0, sizeof(*s));
	s->key = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
	             : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(s->key);
	s->pub.nameAlg = TPM2_ALG_SHA256;
	s->pub.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
	                          TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	                          TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH;
	if (rsa) {
		BIGNUM *n = NULL;

		s->sigalg = TPM2_ALG_RSAPSS;
		s->pub.type = TPM2_ALG_RSA;
		s->pub.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		s->pub.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSAPSS;
		s->pub.parameters.rsaDetail.scheme.details.rsapss.hashAlg = TPM2_ALG_SHA256;
		s->pub.parameters.rsaDetail.keyBits = 2048;
		assert_int_equal(EVP_PKEY_get_bn_param(s->key, "n", &n), 1);
		s->pub.unique.rsa.size = (UINT16)BN_bn2bin(n, s->pub.unique.rsa.buffer);
		BN_free(n);
	} else {
		uint8_t pt[65];
		size_t n = 0;

		s->sigalg = TPM2_ALG_ECDSA;
		s->pub.type = TPM2_ALG_ECC;
		s->pub.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		s->pub.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
		s->pub.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
		s->pub.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		s->pub.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		assert_int_equal(
		    EVP_PKEY_get_octet_string_param(s->key, "encoded-pub-key", pt, sizeof(pt), &n),
		    1);
		s->pub.unique.ecc.x.size = s->pub.unique.ecc.y.size = 32;
		memcpy(s->pub.unique.ecc.x.buffer, pt + 1, 32);
		memcpy(s->pub.unique.ecc.y.buffer, pt + 33, 32);
	}
	s->a.magic = TPM2_GENERATED_VALUE;
	s->a.type = TPM2_ST_ATTEST_QUOTE;
	s->a.qualifiedSigner.size = 34;
	s->a.qualifiedSigner.name[1] = 0x0b;
	s->a.extraData.size = sizeof(NONCE);
	memcpy(s->a.extraData.buffer, NONCE, sizeof(NONCE));
	s->a.clockInfo.clock = 123456;
	s->a.clockInfo.safe = 1;
	s->a.firmwareVersion = 0x2016051100162800ull;
	s->a.attested.quote.pcrSelect.count = 1;
	s->a.attested.quote.pcrSelect.pcrSelections[0].hash = TPM2_ALG_SHA256;
	s->a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 3;
	s->a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[0] = 0xff; /* PCRs 0-7 */
	for (int i = 0; i < 24; i++)
		memset(s->pcrs[i], 0x10 + i, 32);
	assert_true(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
	for (int i = 0; i < 8; i++)
		assert_true(EVP_DigestUpdate(ctx, s->pcrs[i], 32));
	assert_true(EVP_DigestFinal_ex(ctx, s->a.attested.quote.pcrDigest.buffer, &dn));
	s->a.attested.quote.pcrDigest.size = (UINT16)dn;
	EVP_MD_CTX_free(ctx);
	assert_int_equal(cu_verifier_new(&s->v, &err), 0);
	pin_key(s->v, s->key);
	s->o.at = tu_time("2026-01-01T00:00:00Z");
	s->o.report_data = NONCE;
	s->o.report_data_size = sizeof(NONCE);
}

static void synth_done(struct synth *s)
{
	EVP_PKEY_free(s->key);
	cu_verifier_free(s->v);
}

/* The evidence: the AK's TPMT_PUBLIC, the quote signed by the AK, PCRs 0-7. */
static json_t *synth_evidence(struct synth *s)
{
	uint8_t attest[sizeof(TPMS_ATTEST)], sigbuf[sizeof(TPMT_SIGNATURE)],
	    pub[sizeof(TPMT_PUBLIC)];
	uint8_t der[600];
	size_t an = 0, sn = 0, pn = 0, dn = sizeof(der);
	TPMT_SIGNATURE sig = { .sigAlg = s->sigalg };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	json_t *ev = json_object(), *q = json_object(), *quotes = json_object(),
	       *pcrs = json_array();

	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&s->a, attest, sizeof(attest), &an), 0);
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&s->pub, pub, sizeof(pub), &pn), 0);
	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, s->key), 1);
	if (s->sigalg == TPM2_ALG_RSAPSS) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
	} else if (s->sigalg == TPM2_ALG_RSASSA) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, der, &dn, attest, an), 1);
	EVP_MD_CTX_free(ctx);
	if (s->sigalg == TPM2_ALG_ECDSA) {
		const uint8_t *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dn);

		sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
		sig.signature.ecdsa.signatureR.size = 32;
		sig.signature.ecdsa.signatureS.size = 32;
		BN_bn2binpad(ECDSA_SIG_get0_r(es), sig.signature.ecdsa.signatureR.buffer, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), sig.signature.ecdsa.signatureS.buffer, 32);
		ECDSA_SIG_free(es);
	} else {
		sig.signature.rsassa.hash = TPM2_ALG_SHA256;
		sig.signature.rsassa.sig.size = (UINT16)dn;
		memcpy(sig.signature.rsassa.sig.buffer, der, dn);
	}
	assert_int_equal(Tss2_MU_TPMT_SIGNATURE_Marshal(&sig, sigbuf, sizeof(sigbuf), &sn), 0);
	for (int i = 0; i < 8; i++) {
		char h[65];

		for (int k = 0; k < 32; k++)
			sprintf(h + 2 * k, "%02x", s->pcrs[i][k]);
		json_array_append_new(pcrs, json_string(h));
	}
	set_b64(q, "attest_body", attest, an);
	set_b64(q, "attest_sig", sigbuf, sn);
	json_object_set_new(q, "pcrs", pcrs);
	json_object_set_new(quotes, "SHA256", q);
	json_object_set_new(ev, "quote", quotes);
	set_b64(ev, "ak_public", pub, pn);
	return ev;
}

static void expect_ok(struct synth *s, json_t *ev)
{
	struct cu_error err;
	json_t *c = NULL;

	if (verify_json(s->v, ev, &s->o, &c, &err) < 0)
		fail_msg("%s: %s", err.stage, err.message);
	assert_string_equal(json_string_value(tu_json_path(c, "tpm.sha256.pcr7")),
	                    "1717171717171717171717171717171717171717171717171717171717171717");
	assert_null(tu_json_path(c, "tpm.sha256.pcr8"));
	assert_string_equal(json_string_value(tu_json_path(c, "tpm.ak.trust")), "key");
	assert_int_equal(json_integer_value(tu_json_path(c, "tpm.quote.clock")), 123456);
	json_decref(c);
}

static void test_synthetic_valid(void **state)
{
	struct synth s;
	json_t *ev;

	(void)state;
	for (int rsa = 0; rsa < 2; rsa++) {
		synth_init(&s, rsa);
		ev = synth_evidence(&s);
		expect_ok(&s, ev);
		/* detected as TPM evidence without --tee */
		{
			char *txt = json_dumps(ev, 0);

			assert_string_equal(cu_detect_format((uint8_t *)txt, strlen(txt)), "tpm");
			free(txt);
		}
		/* PCRs as an object by index work the same */
		{
			json_t *q = tu_json_path(ev, "quote.SHA256"), *obj = json_object();

			for (int i = 0; i < 8; i++) {
				char k[4];

				snprintf(k, sizeof(k), "%d", i);
				json_object_set(obj, k,
				                json_array_get(json_object_get(q, "pcrs"), i));
			}
			json_object_set_new(q, "pcrs", obj);
			expect_ok(&s, ev);
		}
		json_decref(ev);
		synth_done(&s);
	}
}

static void test_synthetic_refusals(void **state)
{
	struct synth s;
	json_t *ev;

	(void)state;
	synth_init(&s, false);

	s.a.magic ^= 1;
	ev = synth_evidence(&s);
	expect_stage(s.v, ev, &s.o, "quote", "TPM_GENERATED_VALUE");
	json_decref(ev);
	s.a.magic ^= 1;

	s.a.type = TPM2_ST_ATTEST_CERTIFY;
	ev = synth_evidence(&s);
	expect_stage(s.v, ev, &s.o, "quote", "not TPM_ST_ATTEST_QUOTE");
	json_decref(ev);
	s.a.type = TPM2_ST_ATTEST_QUOTE;

	s.pub.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	ev = synth_evidence(&s);
	expect_stage(s.v, ev, &s.o, "ak", "restricted");
	json_decref(ev);
	s.pub.objectAttributes |= TPMA_OBJECT_RESTRICTED;

	s.pub.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA384;
	ev = synth_evidence(&s);
	expect_stage(s.v, ev, &s.o, "quote-signature", "not the AK's");
	json_decref(ev);
	s.pub.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;

	s.a.extraData.buffer[0] ^= 1;
	ev = synth_evidence(&s);
	expect_stage(s.v, ev, &s.o, "binding", "qualifying data");
	json_decref(ev);
	s.a.extraData.buffer[0] ^= 1;

	/* a selection of another bank than the quote's key names */
	s.a.attested.quote.pcrSelect.pcrSelections[0].hash = TPM2_ALG_SHA1;
	ev = synth_evidence(&s);
	expect_stage(s.v, ev, &s.o, "pcr-digest", "one bank per quote");
	json_decref(ev);
	s.a.attested.quote.pcrSelect.pcrSelections[0].hash = TPM2_ALG_SHA256;

	/* PCR 24 does not exist */
	s.a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 4;
	s.a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[3] = 1;
	ev = synth_evidence(&s);
	expect_stage(s.v, ev, &s.o, "pcr-digest", "PCR 24");
	json_decref(ev);
	s.a.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 3;
	s.a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[3] = 0;

	ev = synth_evidence(&s);
	/* one PCR value missing, one too many */
	json_array_remove(tu_json_path(ev, "quote.SHA256.pcrs"), 7);
	expect_stage(s.v, ev, &s.o, "parse", "no value for PCR 7");
	json_array_append_new(tu_json_path(ev, "quote.SHA256.pcrs"), json_string("00"));
	json_array_append_new(tu_json_path(ev, "quote.SHA256.pcrs"), json_string("00"));
	expect_stage(s.v, ev, &s.o, "parse", "PCR 7 is not 32 bytes");
	json_decref(ev);

	ev = synth_evidence(&s);
	json_array_append_new(tu_json_path(ev, "quote.SHA256.pcrs"),
	                      json_string(json_string_value(
	                          json_array_get(tu_json_path(ev, "quote.SHA256.pcrs"), 0))));
	expect_stage(s.v, ev, &s.o, "parse", "9 values for 8 selected PCRs");
	json_decref(ev);

	/* structure */
	ev = synth_evidence(&s);
	json_object_set_new(ev, "extra", json_true());
	expect_stage(s.v, ev, &s.o, "parse", "unknown member \"extra\"");
	json_object_del(ev, "extra");
	json_object_set_new(ev, "aa_eventlog", json_string("AAAA"));
	expect_stage(s.v, ev, &s.o, "parse", "aa_eventlog");
	json_object_set_new(ev, "aa_eventlog", json_null()); /* null is absent */
	expect_ok(&s, ev);
	json_object_set_new(tu_json_path(ev, "quote"), "MD5", json_object());
	expect_stage(s.v, ev, &s.o, "parse", "unknown PCR bank \"MD5\"");
	json_object_del(tu_json_path(ev, "quote"), "MD5");
	json_object_set_new(tu_json_path(ev, "quote.SHA256"), "attest_body", json_string("%%%"));
	expect_stage(s.v, ev, &s.o, "parse", "attest_body: not base64");
	json_object_set_new(tu_json_path(ev, "quote.SHA256"), "attest_body", json_string("AAAA"));
	expect_stage(s.v, ev, &s.o, "parse", "not a TPMS_ATTEST");
	json_decref(ev);

	/* the AK given twice, as different keys */
	ev = synth_evidence(&s);
	{
		EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		BIO *bio = BIO_new(BIO_s_mem());
		char *pem = NULL;
		long n;

		PEM_write_bio_PUBKEY(bio, other);
		n = BIO_get_mem_data(bio, &pem);
		json_object_set_new(ev, "ak_pubkey", json_stringn(pem, (size_t)n));
		expect_stage(s.v, ev, &s.o, "ak", "different keys");
		/* only the PEM, of a key nobody pinned */
		json_object_del(ev, "ak_public");
		expect_stage(s.v, ev, &s.o, "ak-trust", "not trusted");
		BIO_free(bio);
		EVP_PKEY_free(other);
	}
	json_decref(ev);

	/* signed by another key than the AK */
	{
		EVP_PKEY *mine = s.key;
		TPMT_PUBLIC pub = s.pub;

		s.key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		ev = synth_evidence(&s);
		EVP_PKEY_free(s.key);
		s.key = mine;
		s.pub = pub;
		/* ak_public was of the other key: put ours back */
		{
			uint8_t p[sizeof(TPMT_PUBLIC)];
			size_t pn = 0;

			assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&s.pub, p, sizeof(p), &pn), 0);
			set_b64(ev, "ak_public", p, pn);
		}
		expect_stage(s.v, ev, &s.o, "quote-signature", "does not verify");
		json_decref(ev);
	}
	synth_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_valid),
		cmocka_unit_test(test_corpus_refusals),
		cmocka_unit_test(test_synthetic_valid),
		cmocka_unit_test(test_synthetic_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
