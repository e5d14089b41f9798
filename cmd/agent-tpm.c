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
	TSS2_RC(*start_session)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_NONCE *, TPM2_SE,
	 const TPMT_SYM_DEF *, TPMI_ALG_HASH, ESYS_TR *);
	TSS2_RC(*policy_secret)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_NONCE *,
	 const TPM2B_DIGEST *, const TPM2B_NONCE *, INT32, TPM2B_TIMEOUT **, TPMT_TK_AUTH **);
	TSS2_RC(*activate)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, const TPM2B_ID_OBJECT *,
	 const TPM2B_ENCRYPTED_SECRET *, TPM2B_DIGEST **);
	TSS2_RC(*nv_read_public)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, TPM2B_NV_PUBLIC **, TPM2B_NAME **);
	TSS2_RC(*nv_read)
	(ESYS_CONTEXT *, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, ESYS_TR, UINT16, UINT16,
	 TPM2B_MAX_NV_BUFFER **);
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
		{ &esys, "Esys_StartAuthSession", &tss.start_session },
		{ &esys, "Esys_PolicySecret", &tss.policy_secret },
		{ &esys, "Esys_ActivateCredential", &tss.activate },
		{ &esys, "Esys_NV_ReadPublic", &tss.nv_read_public },
		{ &esys, "Esys_NV_Read", &tss.nv_read },
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

static int set_b64(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	char *s = cu_base64_encode_alloc(p, n);
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

/* ------------------------------------------------ credential activation */

#define EK_CERT_NV_RSA 0x01c00002u

/* The RSA EK of the TCG EK Credential Profile (template L-1), as a transient object. */
static int create_ek(struct tpm *t, ESYS_TR *ret, TPM2B_PUBLIC **ret_public, struct cu_error *err)
{
	static const uint8_t policy_a[32] = { 0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8,
		                              0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
		                              0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
		                              0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa };
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	TSS2_RC rc;

	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes =
	    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
	    TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	tmpl.publicArea.authPolicy.size = sizeof(policy_a);
	memcpy(tmpl.publicArea.authPolicy.buffer, policy_a, sizeof(policy_a));
	tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	tmpl.publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 128;
	tmpl.publicArea.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
	tmpl.publicArea.unique.rsa.size = 256;
	rc = tss.create_primary(t->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	                        ESYS_TR_NONE, &sens, &tmpl, &outside, &none, ret, ret_public, NULL,
	                        NULL, NULL);
	return rc == TSS2_RC_SUCCESS
	           ? 0
	           : cu_fail(err, CU_ERR_IO, STAGE, "tpm: cannot create the EK (0x%x)", rc);
}

/* The RSA EK certificate the manufacturer stored in NV. */
static int read_ek_cert(struct tpm *t, uint8_t **ret, size_t *ret_size, struct cu_error *err)
{
	ESYS_TR nv = ESYS_TR_NONE;
	TPM2B_NV_PUBLIC *pub = NULL;
	uint8_t *buf;
	size_t n, done = 0;

	if (tss.from_public(t->esys, EK_CERT_NV_RSA, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                    &nv) != TSS2_RC_SUCCESS ||
	    tss.nv_read_public(t->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL) !=
	        TSS2_RC_SUCCESS)
		return cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		               "tpm: this TPM holds no RSA EK certificate (NV index 0x%08x)",
		               EK_CERT_NV_RSA);
	n = pub->nvPublic.dataSize;
	esys_free(pub);
	if (!(buf = malloc(n ? n : 1)))
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	while (done < n) {
		TPM2B_MAX_NV_BUFFER *data = NULL;
		UINT16 chunk = (UINT16)(n - done < 512 ? n - done : 512);
		TSS2_RC rc = tss.nv_read(t->esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		                         ESYS_TR_NONE, chunk, (UINT16)done, &data);

		if (rc != TSS2_RC_SUCCESS || !data || data->size != chunk) {
			esys_free(data);
			free(buf);
			return cu_fail(err, CU_ERR_IO, STAGE,
			               "tpm: cannot read the EK certificate (0x%x)", rc);
		}
		memcpy(buf + done, data->buffer, chunk);
		done += chunk;
		esys_free(data);
	}
	*ret = buf;
	*ret_size = n;
	return 0;
}

int cu_agent_tpm_enroll_request(const struct cu_agent_tpm *a, json_t **ret, struct cu_error *err)
{
	struct tpm t;
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE;
	TPM2B_PUBLIC *ekpub = NULL, *akpub = NULL;
	uint8_t ekbuf[sizeof(TPMT_PUBLIC)], akbuf[sizeof(TPMT_PUBLIC)], *cert = NULL;
	size_t en = 0, an = 0, cn = 0;
	json_t *req = NULL;
	int r;

	if ((r = tpm_open(a, &t, err)) < 0)
		return r;
	if (tss.from_public(t.esys, a->ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak) !=
	    TSS2_RC_SUCCESS) {
		r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		            "tpm: no AK at 0x%08x: run 'custos-agent tpm-provision' first", a->ak);
		goto out;
	}
	if ((r = read_public(&t, ak, &akpub, err)) < 0 ||
	    (r = create_ek(&t, &ek, &ekpub, err)) < 0 ||
	    (r = read_ek_cert(&t, &cert, &cn, err)) < 0)
		goto out;
	if (tss.marshal_public(&ekpub->publicArea, ekbuf, sizeof(ekbuf), &en) != 0 ||
	    tss.marshal_public(&akpub->publicArea, akbuf, sizeof(akbuf), &an) != 0) {
		r = cu_fail(err, CU_ERR_INTERNAL, STAGE, "tpm: cannot marshal the keys");
		goto out;
	}
	req = json_object();
	if (!req || set_b64(req, "ek_public", ekbuf, en) < 0 ||
	    set_b64(req, "ek_cert", cert, cn) < 0 || set_b64(req, "ak_public", akbuf, an) < 0) {
		json_decref(req);
		r = cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
		goto out;
	}
	*ret = req;
out:
	if (ek != ESYS_TR_NONE)
		tss.flush(t.esys, ek);
	esys_free(ekpub);
	esys_free(akpub);
	free(cert);
	tpm_close(&t);
	return r;
}

int cu_agent_tpm_activate(const struct cu_agent_tpm *a, const uint8_t *blob, size_t blob_size,
                          const uint8_t *secret, size_t secret_size, uint8_t out[64],
                          size_t *out_size, struct cu_error *err)
{
	struct tpm t;
	ESYS_TR ek = ESYS_TR_NONE, ak = ESYS_TR_NONE, sess = ESYS_TR_NONE;
	TPM2B_ID_OBJECT id = { 0 };
	TPM2B_ENCRYPTED_SECRET es = { 0 };
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPM2B_NONCE empty = { 0 };
	TPM2B_DIGEST *cert_info = NULL;
	TSS2_RC rc;
	int r;

	if (blob_size < 2 || (size_t)((blob[0] << 8) | blob[1]) != blob_size - 2 ||
	    blob_size - 2 > sizeof(id.credential) || secret_size < 2 ||
	    (size_t)((secret[0] << 8) | secret[1]) != secret_size - 2 ||
	    secret_size - 2 > sizeof(es.secret))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "tpm: the credential from the server is malformed");
	id.size = (UINT16)(blob_size - 2);
	memcpy(id.credential, blob + 2, id.size);
	es.size = (UINT16)(secret_size - 2);
	memcpy(es.secret, secret + 2, es.size);
	if ((r = tpm_open(a, &t, err)) < 0)
		return r;
	if (tss.from_public(t.esys, a->ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak) !=
	    TSS2_RC_SUCCESS) {
		r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE, "tpm: no AK at 0x%08x", a->ak);
		goto out;
	}
	if ((r = create_ek(&t, &ek, NULL, err)) < 0)
		goto out;
	/* the EK's policy: PolicySecret(TPM_RH_ENDORSEMENT) */
	rc = tss.start_session(t.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                       ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256, &sess);
	if (rc == TSS2_RC_SUCCESS)
		rc = tss.policy_secret(t.esys, ESYS_TR_RH_ENDORSEMENT, sess, ESYS_TR_PASSWORD,
		                       ESYS_TR_NONE, ESYS_TR_NONE, &empty, NULL, NULL, 0, NULL,
		                       NULL);
	if (rc != TSS2_RC_SUCCESS) {
		r = cu_fail(err, CU_ERR_IO, STAGE, "tpm: cannot satisfy the EK's policy (0x%x)",
		            rc);
		goto out;
	}
	rc = tss.activate(t.esys, ak, ek, ESYS_TR_PASSWORD, sess, ESYS_TR_NONE, &id, &es,
	                  &cert_info);
	if (rc != TSS2_RC_SUCCESS || !cert_info || cert_info->size > 64) {
		r = cu_fail(
		    err, CU_ERR_IO, STAGE,
		    "tpm: ActivateCredential refused the credential (0x%x): it was not made "
		    "for this TPM's EK and this AK",
		    rc);
		goto out;
	}
	memcpy(out, cert_info->buffer, cert_info->size);
	*out_size = cert_info->size;
out:
	if (cert_info)
		OPENSSL_cleanse(cert_info, sizeof(*cert_info));
	esys_free(cert_info);
	if (sess != ESYS_TR_NONE)
		tss.flush(t.esys, sess);
	if (ek != ESYS_TR_NONE)
		tss.flush(t.esys, ek);
	tpm_close(&t);
	return r;
}
