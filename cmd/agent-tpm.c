/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custos-agent's TPM 2.0 attester (see agent-tpm.h). tpm2-tss's ESYS and TCTI
 * loader are loaded at run time, when the TPM attester is used: a guest
 * attesting with SEV-SNP or TDX does not carry them.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "../src/base/encoding.h"
#include "../src/base/error.h"
#include "../src/base/fileio.h"
#include "../src/base/limits.h"
#include "../src/base/macro.h"
#include "../src/crypto/sig.h"
#include "agent-tpm.h"

#define STAGE "tpm"

/* The tpm2-tss functions the attester calls, from libtss2-esys and libtss2-tctildr. */
static struct {
	TSS2_RC (*tctildr_init)(const char *, TSS2_TCTI_CONTEXT **);
	void (*tctildr_fini)(TSS2_TCTI_CONTEXT **);
	TSS2_RC (*init)(ESYS_CONTEXT **, TSS2_TCTI_CONTEXT *, TSS2_ABI_VERSION *);
	void (*fini)(ESYS_CONTEXT **);
	TSS2_RC (*from_public)(ESYS_CONTEXT *, TPM2_HANDLE, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR *);
	TSS2_RC(*read_public)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPM2B_PUBLIC **, TPM2B_NAME **,
	 TPM2B_NAME **);
	TSS2_RC(*create_primary)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_SENSITIVE_CREATE *,
	 const TPM2B_PUBLIC *, const TPM2B_DATA *, const TPML_PCR_SELECTION *, ESYS_TR *,
	 TPM2B_PUBLIC **, TPM2B_CREATION_DATA **, TPM2B_DIGEST **, TPMT_TK_CREATION **);
	TSS2_RC(*evict)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPMI_DH_PERSISTENT,
	 ESYS_TR *);
	TSS2_RC (*flush)(ESYS_CONTEXT *, ESYS_TR);
	TSS2_RC(*pcr_read)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, const TPML_PCR_SELECTION *, UINT32 *,
	 TPML_PCR_SELECTION **, TPML_DIGEST **);
	TSS2_RC(*quote)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_DATA *,
	 const TPMT_SIG_SCHEME *, const TPML_PCR_SELECTION *, TPM2B_ATTEST **, TPMT_SIGNATURE **);
	void (*free)(void *);
	TSS2_RC (*marshal_public)(const TPMT_PUBLIC *, uint8_t *, size_t, size_t *);
	TSS2_RC (*marshal_signature)(const TPMT_SIGNATURE *, uint8_t *, size_t, size_t *);
} tss;

static int load_tss(struct cu_error *err)
{
	static void *esys, *ldr, *mu;
	struct {
		void **lib;
		const char *name;
		void *fn;
	} const syms[] = {
		{ &ldr, "Tss2_TctiLdr_Initialize", &tss.tctildr_init },
		{ &ldr, "Tss2_TctiLdr_Finalize", &tss.tctildr_fini },
		{ &esys, "Esys_Initialize", &tss.init },
		{ &esys, "Esys_Finalize", &tss.fini },
		{ &esys, "Esys_TR_FromTPMPublic", &tss.from_public },
		{ &esys, "Esys_ReadPublic", &tss.read_public },
		{ &esys, "Esys_CreatePrimary", &tss.create_primary },
		{ &esys, "Esys_EvictControl", &tss.evict },
		{ &esys, "Esys_FlushContext", &tss.flush },
		{ &esys, "Esys_PCR_Read", &tss.pcr_read },
		{ &esys, "Esys_Quote", &tss.quote },
		{ &mu, "Tss2_MU_TPMT_PUBLIC_Marshal", &tss.marshal_public },
		{ &mu, "Tss2_MU_TPMT_SIGNATURE_Marshal", &tss.marshal_signature },
		{ &esys, "Esys_Free", &tss.free }, /* last: its presence says all are loaded */
	};

	if (tss.free)
		return 0;
	setenv("TSS2_LOG", "all+NONE", 0); /* tpm2-tss's own logging only when asked for */
	if ((!esys && !(esys = dlopen("libtss2-esys.so.0", RTLD_NOW | RTLD_LOCAL))) ||
	    (!ldr && !(ldr = dlopen("libtss2-tctildr.so.0", RTLD_NOW | RTLD_LOCAL))) ||
	    (!mu && !(mu = dlopen("libtss2-mu.so.0", RTLD_NOW | RTLD_LOCAL))))
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               "tpm: the TPM attester needs tpm2-tss (libtss2-esys0 and "
		               "libtss2-tctildr0): %s",
		               dlerror());
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(*syms[i].lib, syms[i].name);

		if (!f)
			return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE, "tpm: tpm2-tss has no %s",
			               syms[i].name);
		memcpy(syms[i].fn, &f, sizeof(f));
	}
	return 0;
}

struct tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

/* Esys_Free, when tpm2-tss was loaded (and anything was allocated by it). */
static void esys_free(void *p)
{
	if (p && tss.free)
		tss.free(p);
}

static void tpm_close(struct tpm *t)
{
	if (t->esys)
		tss.fini(&t->esys);
	if (t->tcti)
		tss.tctildr_fini(&t->tcti);
}

static int tpm_open(const struct cu_agent_tpm *a, struct tpm *t, struct cu_error *err)
{
	const char *conf = a->tcti ? a->tcti : getenv("TPM2TOOLS_TCTI");
	TSS2_RC rc;
	int r;

	memset(t, 0, sizeof(*t));
	if ((r = load_tss(err)) < 0)
		return r;
	if ((rc = tss.tctildr_init(conf, &t->tcti)) != TSS2_RC_SUCCESS)
		return cu_fail(
		    err, CU_ERR_IO, STAGE,
		    "tpm: cannot reach the TPM through %s (0x%x); name it with --tpm-tcti",
		    conf ? conf : "the default TCTI (/dev/tpmrm0)", rc);
	if ((rc = tss.init(&t->esys, t->tcti, NULL)) != TSS2_RC_SUCCESS) {
		tpm_close(t);
		return cu_fail(err, CU_ERR_IO, STAGE, "tpm: cannot start a TPM session (0x%x)", rc);
	}
	return 0;
}

/* The AK's public key as PEM: what the verifier pins. */
static int public_pem(const TPMT_PUBLIC *p, char **ret, struct cu_error *err)
{
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long n;
	int r = 0;

	if (p->type == TPM2_ALG_ECC && p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 &&
	    p->unique.ecc.x.size == 32 && p->unique.ecc.y.size == 32)
		k = cu_ec_pub_from_xy("P-256", p->unique.ecc.x.buffer, p->unique.ecc.y.buffer, 32);
	if (!k)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               "tpm: the key at the AK handle is not an ECC P-256 key");
	if (!(bio = BIO_new(BIO_s_mem())) || PEM_write_bio_PUBKEY(bio, k) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0 || !(*ret = strndup(data, (size_t)n)))
		r = cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	BIO_free(bio);
	EVP_PKEY_free(k);
	return r;
}

static int read_public(struct tpm *t, ESYS_TR ak, TPM2B_PUBLIC **ret, struct cu_error *err)
{
	TSS2_RC rc =
	    tss.read_public(t->esys, ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ret, NULL, NULL);

	return rc == TSS2_RC_SUCCESS ? 0
	                             : cu_fail(err, CU_ERR_IO, STAGE,
	                                       "tpm: cannot read the AK's public area (0x%x)", rc);
}

int cu_agent_tpm_provision(const struct cu_agent_tpm *a, char **ret_pem, struct cu_error *err)
{
	struct tpm t;
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { .publicArea = {
		                  .type = TPM2_ALG_ECC,
		                  .nameAlg = TPM2_ALG_SHA256,
		                  .objectAttributes =
		                      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
		                      TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		                      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH,
		                  .parameters.eccDetail = {
		                      .symmetric.algorithm = TPM2_ALG_NULL,
		                      .scheme = { .scheme = TPM2_ALG_ECDSA,
		                                  .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
		                      .curveID = TPM2_ECC_NIST_P256,
		                      .kdf.scheme = TPM2_ALG_NULL,
		                  } } };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR obj = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	TSS2_RC rc;
	int r;

	if ((r = tpm_open(a, &t, err)) < 0)
		return r;
	/* an AK already there is kept: the verifier may have pinned it */
	if (tss.from_public(t.esys, a->ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &persistent) !=
	    TSS2_RC_SUCCESS) {
		rc = tss.create_primary(t.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		                        ESYS_TR_NONE, &sens, &tmpl, &outside, &none, &obj, NULL,
		                        NULL, NULL, NULL);
		if (rc != TSS2_RC_SUCCESS) {
			r = cu_fail(err, CU_ERR_IO, STAGE,
			            "tpm: cannot create the AK in the owner hierarchy (0x%x)", rc);
			goto out;
		}
		rc = tss.evict(t.esys, ESYS_TR_RH_OWNER, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		               ESYS_TR_NONE, a->ak, &persistent);
		tss.flush(t.esys, obj);
		if (rc != TSS2_RC_SUCCESS) {
			r = cu_fail(err, CU_ERR_IO, STAGE,
			            "tpm: cannot make the AK persistent at 0x%08x (0x%x)", a->ak,
			            rc);
			goto out;
		}
	}
	if ((r = read_public(&t, persistent, &pub, err)) == 0)
		r = public_pem(&pub->publicArea, ret_pem, err);
out:
	esys_free(pub);
	tpm_close(&t);
	return r;
}

int cu_agent_tpm_parse_pcrs(const char *s, uint32_t *ret)
{
	uint32_t m = 0;

	while (*s) {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s || lo < 0 || lo > 23)
			return -1;
		s = end;
		if (*s == '-') {
			hi = strtol(s + 1, &end, 10);
			if (end == s + 1 || hi < lo || hi > 23)
				return -1;
			s = end;
		}
		for (long i = lo; i <= hi; i++)
			m |= 1u << i;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	*ret = m;
	return m ? 0 : -1;
}

static char *b64(const uint8_t *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);

	if (s)
		EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

static int set_b64(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	char *s = b64(p, n);
	int r = s ? json_object_set_new(o, k, json_string(s)) : -1;

	free(s);
	return r;
}

/* The SHA-256 values of the PCRs in `mask`, in index order, and the update counter. */
static int read_pcrs(struct tpm *t, uint32_t mask, json_t *out, uint32_t *counter,
                     struct cu_error *err)
{
	uint32_t left = mask;

	json_array_clear(out);
	while (left) {
		TPML_PCR_SELECTION in = { .count = 1 }, *got = NULL;
		TPML_DIGEST *values = NULL;
		uint32_t read = 0;
		size_t k = 0;
		TSS2_RC rc;

		in.pcrSelections[0].hash = TPM2_ALG_SHA256;
		in.pcrSelections[0].sizeofSelect = 3;
		for (int i = 0; i < 3; i++)
			in.pcrSelections[0].pcrSelect[i] = (uint8_t)(left >> (8 * i));
		rc = tss.pcr_read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &in, counter,
		                  &got, &values);
		if (rc != TSS2_RC_SUCCESS || !got || got->count != 1 || !values) {
			esys_free(got);
			esys_free(values);
			return cu_fail(err, CU_ERR_IO, STAGE, "tpm: cannot read the PCRs (0x%x)",
			               rc);
		}
		for (int i = 0; i < 3; i++)
			read |= (uint32_t)got->pcrSelections[0].pcrSelect[i] << (8 * i);
		/* the TPM answers the lowest PCRs first, at most eight at a time */
		for (unsigned i = 0; i < 24 && k < values->count; i++) {
			char hex[65];

			if (!(read & (1u << i)))
				continue;
			if (values->digests[k].size != 32) {
				esys_free(got);
				esys_free(values);
				return cu_fail(err, CU_ERR_IO, STAGE, "tpm: PCR %u is not 32 bytes",
				               i);
			}
			cu_hex_encode(values->digests[k++].buffer, 32, hex);
			json_array_append_new(out, json_string(hex));
		}
		esys_free(got);
		esys_free(values);
		if (!(read & left) || k == 0)
			return cu_fail(
			    err, CU_ERR_IO, STAGE,
			    "tpm: the TPM read none of the PCRs asked for (is the SHA-256 "
			    "bank allocated?)");
		left &= ~read;
	}
	return 0;
}

int cu_agent_tpm_evidence(const struct cu_agent_tpm *a, const uint8_t *qualifying, size_t size,
                          json_t **ret, struct cu_error *err)
{
	struct tpm t;
	ESYS_TR ak = ESYS_TR_NONE;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_DATA q = { .size = (UINT16)size };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel = { .count = 1 };
	uint8_t pubbuf[sizeof(TPMT_PUBLIC)], sigbuf[sizeof(TPMT_SIGNATURE)];
	size_t pn = 0, sn = 0;
	json_t *ev = json_object(), *quote = json_object(), *pcrs = json_array();
	uint32_t before = 0, after = 0;
	int r;

	if (size > sizeof(q.buffer))
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               "tpm: qualifying data of %zu bytes (at most %zu)", size,
		               sizeof(q.buffer));
	memcpy(q.buffer, qualifying, size);
	sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel.pcrSelections[0].sizeofSelect = 3;
	for (int i = 0; i < 3; i++)
		sel.pcrSelections[0].pcrSelect[i] = (uint8_t)(a->pcrs >> (8 * i));
	if (!ev || !quote || !pcrs) {
		json_decref(ev);
		json_decref(quote);
		json_decref(pcrs);
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	}
	if ((r = tpm_open(a, &t, err)) < 0)
		goto out;
	if (tss.from_public(t.esys, a->ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak) !=
	    TSS2_RC_SUCCESS) {
		r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		            "tpm: no AK at 0x%08x: run 'custos-agent tpm-provision' once, and give "
		            "the verifier the key it prints",
		            a->ak);
		goto out;
	}
	if ((r = read_public(&t, ak, &pub, err)) < 0 ||
	    tss.marshal_public(&pub->publicArea, pubbuf, sizeof(pubbuf), &pn) != 0) {
		r = r < 0 ? r : cu_fail(err, CU_ERR_INTERNAL, STAGE, "tpm: cannot marshal the AK");
		goto out;
	}
	/* the PCRs must not move between their reading and the quote */
	for (int attempt = 0;; attempt++) {
		TSS2_RC rc;

		esys_free(quoted);
		esys_free(sig);
		quoted = NULL;
		sig = NULL;
		if ((r = read_pcrs(&t, a->pcrs, pcrs, &before, err)) < 0)
			goto out;
		rc = tss.quote(t.esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &q,
		               &scheme, &sel, &quoted, &sig);
		if (rc != TSS2_RC_SUCCESS) {
			r = cu_fail(err, CU_ERR_IO, STAGE, "tpm: the quote failed (0x%x)", rc);
			goto out;
		}
		{
			json_t *again = json_array();

			r = again ? read_pcrs(&t, a->pcrs, again, &after, err) : -1;
			json_decref(again);
			if (r < 0)
				goto out;
		}
		if (before == after)
			break;
		if (attempt == 3) {
			r = cu_fail(err, CU_ERR_IO, STAGE,
			            "tpm: the PCRs keep changing while they are quoted");
			goto out;
		}
	}
	if (tss.marshal_signature(sig, sigbuf, sizeof(sigbuf), &sn) != 0) {
		r = cu_fail(err, CU_ERR_INTERNAL, STAGE, "tpm: cannot marshal the signature");
		goto out;
	}
	if (set_b64(ev, "ak_public", pubbuf, pn) < 0 ||
	    set_b64(quote, "attest_body", quoted->attestationData, quoted->size) < 0 ||
	    set_b64(quote, "attest_sig", sigbuf, sn) < 0 ||
	    json_object_set(quote, "pcrs", pcrs) < 0 ||
	    json_object_set_new(ev, "quote", json_pack("{s:O}", "SHA256", quote)) < 0) {
		r = cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
		goto out;
	}
	/* the firmware's log explains PCRs 0-7; the verifier replays it */
	if (a->eventlog) {
		uint8_t *log = NULL;
		size_t ln = 0;
		struct cu_error lerr = { 0 };

		if (cu_read_file(a->eventlog, CU_LIMIT_EVENTLOG_SIZE, &log, &ln, &lerr) == 0 &&
		    ln) {
			r = set_b64(ev, "eventlog", log, ln) < 0
			        ? cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory")
			        : 0;
			free(log);
			if (r < 0)
				goto out;
		}
	}
	*ret = ev;
	ev = NULL;
	r = 0;
out:
	esys_free(pub);
	esys_free(quoted);
	esys_free(sig);
	json_decref(ev);
	json_decref(quote);
	json_decref(pcrs);
	if (t.esys || t.tcti)
		tpm_close(&t);
	return r;
}
