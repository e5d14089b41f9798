/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper: a synthetic AMD SEV-SNP PKI (ARK -> ASK -> VCEK,
 * ARK -> ASVK -> VLEK) and synthetic ATTESTATION_REPORTs signed by it, built
 * with the OpenSSL 3 API. Every function calls sb_fail on an unexpected
 * OpenSSL error, so callers need not check results: in the unit tests that
 * fails the running cmocka test; compiled with -DSB_STANDALONE (the
 * custos-snp-sim tool, which does not link cmocka) it prints the error and
 * exits with status 1.
 *
 * Layouts follow SEV-SNP Firmware ABI 56860 (Table 23 ATTESTATION_REPORT,
 * Table 3 TCB_VERSION, Table 139 signature) and the VCEK specification 57230
 * (certificate extensions under 1.3.6.1.4.1.3704.1).
 */
#ifndef CU_TEST_SNP_BUILDER_H
#define CU_TEST_SNP_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <custos/custos.h>

#include "../../src/evidence/snp.h"

/* 2020-01-01T00:00:00Z and 2040-01-01T00:00:00Z: the default validity. */
#define SB_DEFAULT_NOT_BEFORE ((time_t)1577836800)
#define SB_DEFAULT_NOT_AFTER  ((time_t)2208988800)

/* TCB SPL values of a VCEK/VLEK and of the report's REPORTED_TCB. */
struct sb_tcb {
	uint8_t fmc; /* Turin only */
	uint8_t bootloader;
	uint8_t tee;
	uint8_t snp;
	uint8_t microcode;
};

/* Who signs a VCEK/VLEK. */
enum sb_issuer {
	SB_ISSUER_DEFAULT = 0, /* the ASK for a VCEK, the ASVK for a VLEK */
	SB_ISSUER_ASK,
	SB_ISSUER_ASVK,
	SB_ISSUER_ARK,
};

/* Options of a CA certificate (ARK, ASK, ASVK). Zero means default. */
struct sb_ca_opts {
	const char *cn;               /* default ARK-<P>, SEV-<P>, SEV-VLEK-<P> */
	time_t not_before, not_after; /* default 2020-01-01 .. 2040-01-01 */
};

/* Options of a VCEK or VLEK. Zero means default. */
struct sb_vek_opts {
	const char *cn;           /* default "SEV-VCEK" / "SEV-VLEK" */
	const char *product_name; /* default "<P>-B0" (VCEK) or "<P>" (VLEK) */
	time_t not_before, not_after;
	bool set_tcb; /* use .tcb; otherwise the PKI's default TCB */
	struct sb_tcb tcb;
	bool set_hwid; /* use .hwid/.hwid_size; otherwise a pattern (VCEK only) */
	uint8_t hwid[64];
	size_t hwid_size;   /* 0 with set_hwid: no hwID extension */
	bool hwid_der;      /* wrap the hwID in a DER OCTET STRING (newer KDS) */
	const char *csp_id; /* VLEK: default "Custos Test Cloud" */
	enum sb_issuer issuer;
};

struct sb_pki_opts {
	enum cu_snp_product product; /* UNKNOWN (0) means Milan */
	struct sb_ca_opts ark, ask, asvk;
	struct sb_vek_opts vcek, vlek;
};

struct sb_pki {
	enum cu_snp_product product;
	EVP_PKEY *ark_key, *ask_key, *asvk_key, *vcek_key, *vlek_key;
	X509 *ark, *ask, *asvk, *vcek, *vlek;
	struct sb_tcb tcb; /* the VCEK's TCB */
	uint8_t hwid[64];  /* the VCEK's hwID (Turin: first 8 bytes, rest zero) */
	size_t hwid_size;
};

/*
 * The single failure path (printf-style message): fail the running cmocka
 * test, or with -DSB_STANDALONE print "<program>: <message>" and exit(1).
 * Does not return.
 */
void sb_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Build a PKI; opts may be NULL. Free with sb_pki_done. */
void sb_pki_init(struct sb_pki *pki, const struct sb_pki_opts *opts);
void sb_pki_done(struct sb_pki *pki);

/*
 * Save the ARK, ASK and VCEK to a NEW directory `dir` (created 0755; an
 * existing one is an error), so that other processes can sign with them:
 *
 *   ark.pem ask.pem vcek.pem   certificates (PEM)
 *   ark.key ask.key vcek.key   private keys (unencrypted PKCS#8 PEM, mode 0600)
 *   pki.json                   {"warning", "product", "vcek": {"tcb", "hwid"}}
 *
 * The ASVK and VLEK are not saved. Returns 0, or -1 with a message in err and
 * nothing left behind. OpenSSL failures go to sb_fail.
 */
int sb_pki_save(const struct sb_pki *pki, const char *dir, char *err, size_t err_size);

/*
 * Load what sb_pki_save wrote: the product from pki.json; the TCB and hwID
 * from the VCEK's extensions (pki.json's "vcek", when present, must agree).
 * Each key must match its certificate and the chain ARK -> ASK -> VCEK must
 * verify. asvk/vlek and their keys stay NULL (no VLEK reports or sb_vek_new
 * with a VLEK from a loaded PKI). Returns 0, or -1 with a message in err and
 * *pki zeroed. Free with sb_pki_done.
 */
int sb_pki_load(struct sb_pki *pki, const char *dir, char *err, size_t err_size);

/* Default TCB of a product's test VCEK (microcode >= 128 to exercise DER). */
struct sb_tcb sb_default_tcb(enum cu_snp_product p);

/* TCB_VERSION of a product line (56860 Table 3; Turin moves the fields). */
uint64_t sb_tcb_encode(enum cu_snp_product p, const struct sb_tcb *t);

/* Fresh keys. */
EVP_PKEY *sb_key_p384_new(void);
EVP_PKEY *sb_key_rsa_new(void);

/*
 * An extra VCEK (is_vlek false) or VLEK signed by the PKI's ASK / ASVK (or as
 * opts->issuer says). *ret_key (may be NULL) receives its private key.
 */
X509 *sb_vek_new(const struct sb_pki *pki, bool is_vlek, const struct sb_vek_opts *opts,
                 EVP_PKEY **ret_key);

/* Any certificate, signed RSASSA-PSS SHA-384 (issuer NULL: self-signed by key). */
X509 *sb_cert_new(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key,
                  time_t not_before, time_t not_after, bool ca);

/* DER / PEM of a certificate or CRL (malloc'ed; free()). */
uint8_t *sb_cert_der(X509 *x, size_t *ret_size);
char *sb_cert_pem(X509 *x, size_t *ret_size);
uint8_t *sb_crl_der(X509_CRL *crl, size_t *ret_size);

/* SHA-256 of a certificate's DER encoding. */
void sb_cert_sha256(X509 *x, uint8_t out[32]);

/*
 * A CRL issued by the PKI's ARK (RSASSA-PSS SHA-384) revoking `revoked`
 * (NULL: none), with thisUpdate/nextUpdate as given.
 */
X509_CRL *sb_crl_new(const struct sb_pki *pki, X509 *revoked, time_t last_update,
                     time_t next_update);

/* Add one certificate / CRL to a verifier's collateral (DER). */
void sb_add_cert(cu_verifier *v, X509 *x);
void sb_add_crl(cu_verifier *v, X509_CRL *crl);

/* Trust the PKI's ARK through cu_verifier_add_test_root_INSECURE. */
void sb_pki_add_root(const struct sb_pki *pki, cu_verifier *v);

/* Add the ASK, ASVK, VCEK and VLEK (those present) as collateral. */
void sb_pki_add_collateral(const struct sb_pki *pki, cu_verifier *v);

/* A new verifier with the PKI's ARK as test root and its collateral. */
cu_verifier *sb_verifier_new(const struct sb_pki *pki);

/*
 * Fill a report with sensible values for `version` (2, 3 or 5; any other
 * value is written as given, with the CPUID fields from 3 on and the
 * mitigation vectors from 5 on): policy 0x30000, signed by the VCEK, TCBs
 * matching the VCEK, CHIP_ID = its hwID, CPUID of the product for v3+,
 * patterned measurement, report data, ids and digests.
 */
void sb_report_init(struct cu_snp_report *r, const struct sb_pki *pki, uint32_t version);

/* Same for a report signed by the VLEK: SIGNING_KEY 1 and CHIP_ID zero. */
void sb_report_init_vlek(struct cu_snp_report *r, const struct sb_pki *pki, uint32_t version);

/*
 * Serialize to the 1184-byte layout. Fields that the version does not have
 * (CPUID before v3, mitigation vectors before v5) are written as they are in
 * the struct (normally zero). The signature fields are copied from r.
 */
void sb_report_serialize(const struct cu_snp_report *r, uint8_t out[CU_SNP_REPORT_SIZE]);

/*
 * (Re-)sign bytes 0x000-0x29F with ECDSA P-384 SHA-384 and write R and S
 * little-endian, zero-extended to 72 bytes, at 0x2A0 and 0x2E8; the rest of
 * the signature area (0x330-0x49F) is zeroed.
 */
void sb_report_sign(uint8_t buf[CU_SNP_REPORT_SIZE], EVP_PKEY *key);

/* Serialize and sign. */
void sb_report_build(const struct cu_snp_report *r, EVP_PKEY *key, uint8_t out[CU_SNP_REPORT_SIZE]);

/* Little-endian stores into a serialized report (for mutation tests). */
void sb_put_u32le(uint8_t *p, uint32_t v);
void sb_put_u64le(uint8_t *p, uint64_t v);

#endif
