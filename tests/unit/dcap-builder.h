/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic Intel DCAP platforms for the tests and custos-dcap-sim: a TEST
 * PKI (root, PCK platform CA, PCK certificate with the SGX extension, TCB
 * signing certificate, CRLs), quotes v4 (TDX) and v3 (SGX) signed through
 * it, signed TCB info and QE identity, and CC event logs. In the tests a
 * failure fails the test; built with -DDB_STANDALONE, it exits.
 */
#ifndef CU_TESTS_DCAP_BUILDER_H
#define CU_TESTS_DCAP_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define DB_DAY 86400

struct buf {
	uint8_t d[8192];
	size_t n;
};

struct platform {
	uint8_t comp[16];
	uint16_t pcesvn;
	uint8_t fmspc[6];
	bool no_extension;
};

struct pki {
	EVP_PKEY *root_key, *ca_key, *pck_key, *tcb_key, *att_key;
	X509 *root, *ca, *pck, *tcb;
	X509_CRL *root_crl, *pck_crl;
};

struct quote_opts {
	bool sgx;
	uint8_t tee_tcb_svn[16];
	uint8_t mr_signer_seam[48];
	uint16_t qe_isvsvn;
	uint8_t qe_mrsigner[32];
	uint8_t report_data[64];
	uint8_t rtmr[4][48];
	bool debug; /* TD_ATTRIBUTES.DEBUG, or the enclave's DEBUG attribute */
	bool bad_qe_binding;
	bool qe_signed_by_att_key; /* wrong key for the QE report */
};

struct level_spec {
	uint8_t sgx[16], tdx[16];
	uint16_t pcesvn;
	const char *status;
	const char *advisory; /* one ID or NULL */
};

struct coll_opts {
	bool sgx;
	const struct level_spec *levels;
	size_t n_levels;
	uint8_t fmspc[6];
	int64_t issue, next;
	uint16_t qe_levels[2]; /* isvsvn of the QE identity's UpToDate and OutOfDate levels */
	uint8_t qe_mrsigner[32];
	const char *module_status; /* TDX_01's level for isvsvn >= 3 ("UpToDate" by default) */
	bool tamper_tcb_signature;
	bool no_qe_identity;
};

void db_put(struct buf *b, const void *p, size_t n);
void db_put_u16(struct buf *b, uint16_t v);
void db_put_u32(struct buf *b, uint32_t v);

/* Keys and certificates valid a year around `at`, CRLs from at - 10 days to at + 20. */
void db_pki_new(struct pki *k, const struct platform *p, int64_t at);
void db_pki_free(struct pki *k);
X509_CRL *db_crl(X509 *issuer, EVP_PKEY *key, X509 *revoked, int64_t last, int64_t next);

/* A v4 TDX (or v3 SGX) quote: certification data type 6 (v4) wrapping type 5. */
void db_quote_build(const struct pki *k, const struct quote_opts *o, struct buf *q);

/* The TCB info and QE identity in Intel PCS form, signed by the TCB signing key (malloc'ed). */
void db_collateral_docs(const struct pki *k, const struct coll_opts *o, char **ret_tcb,
                        char **ret_qe);

/* A CC event log of three events (RTMR0..2); the RTMRs it replays to. */
size_t db_ccel_build(uint8_t *out, uint8_t rtmr[4][48]);

#endif
