/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcustos: verify attestation evidence from hardware TEEs offline against
 * pinned vendor roots, and return normalised claims.
 *
 *     cu_verifier *v;
 *     cu_verifier_new(&v, &err);
 *     cu_verifier_add_collateral(v, "certs/", &err);
 *     struct cu_verify_opts o = { .at = now };
 *     json_t *claims;
 *     if (cu_verify(v, NULL, report, size, &o, &claims, &err) < 0)
 *             fprintf(stderr, "%s: %s\n", err.stage, err.message);
 *
 * A cu_verifier may be used by several threads at once for cu_verify() once
 * all collateral has been added; adding collateral is not thread-safe.
 */
#ifndef CUSTOS_CUSTOS_H
#define CUSTOS_CUSTOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CUSTOS_VERSION "0.1.0"

typedef struct cu_verifier cu_verifier;

/* Create a verifier holding the compiled-in vendor roots and no collateral. */
int cu_verifier_new(cu_verifier **ret, struct cu_error *err);
void cu_verifier_free(cu_verifier *v);

/*
 * Add collateral from a file or a directory (searched a few levels deep).
 * Certificates and CRLs, PEM or DER, are recognised by their content; other
 * files are skipped. Returns the number of certificates and CRLs added.
 */
int cu_verifier_add_collateral(cu_verifier *v, const char *path, struct cu_error *err);

/* Add collateral from memory (`name` is used in messages only). */
int cu_verifier_add_collateral_mem(cu_verifier *v, const uint8_t *buf, size_t size,
                                   const char *name, struct cu_error *err);

/*
 * INSECURE, for tests and demos only: trust an extra root certificate as if
 * it were a vendor root. Every result of this verifier then carries
 * "insecure_test_roots": true.
 */
int cu_verifier_add_test_root_INSECURE(cu_verifier *v, const uint8_t *buf, size_t size,
                                       struct cu_error *err);

/* Number of test roots added through cu_verifier_add_test_root_INSECURE. */
size_t cu_verifier_n_test_roots(const cu_verifier *v);

struct cu_verify_opts {
	/* Verification time, seconds since the Unix epoch. Required: the library never reads the clock. */
	int64_t at;
	/* When non-NULL, the evidence's report data must equal these bytes exactly. */
	const uint8_t *report_data;
	size_t report_data_size;
	/*
	 * Certificates that travel with this piece of evidence (an SNP VCEK or
	 * VLEK from the guest's certificate table, DER or PEM), used for this call
	 * only. They are endorsements, never roots: chains still end at a pinned
	 * root.
	 */
	const uint8_t *const *extra_collateral;
	const size_t *extra_collateral_sizes;
	size_t n_extra_collateral;
	/*
	 * A measured-boot event log that travels with the evidence (TDX: the CC
	 * event log, CCEL, from the ACPI CCEL table). It is replayed and must
	 * equal the registers the evidence signed; its events become claims.
	 * Formats without such registers refuse it rather than ignore it.
	 */
	const uint8_t *eventlog;
	size_t eventlog_size;
	/*
	 * INSECURE: accept SHA-1 signatures where a format allows them (TPM quotes
	 * by attestation keys whose scheme is RSASSA-SHA1, as older Windows
	 * machines create). Off by default: SHA-1 collisions are practical.
	 */
	bool insecure_allow_sha1;
	/*
	 * The caller's registry of TPM attestation keys (keys it registered by
	 * credential activation: custosd's /v1/tpm/enroll), asked by the AK's
	 * Name in hex when neither a pinned key nor a certificate vouches for the
	 * AK: 0 and *ret_pem (malloc'ed) when registered, negative when not.
	 * NULL: no registry.
	 */
	int (*registered_ak)(void *ctx, const char *name_hex, char **ret_pem);
	void *registered_ak_ctx;
};

/*
 * Verify evidence. `format` is a format name ("snp") or TEE name ("sev-snp"),
 * or NULL to detect it. On success *ret_claims is a new JSON object of claims.
 */
int cu_verify(cu_verifier *v, const char *format, const uint8_t *evidence, size_t size,
              const struct cu_verify_opts *opts, json_t **ret_claims, struct cu_error *err)
    __attribute__((warn_unused_result));

/*
 * Decode evidence WITHOUT verifying anything: every field, for reading by a
 * person. The result carries "verified": false.
 */
int cu_inspect(const char *format, const uint8_t *evidence, size_t size, json_t **ret_fields,
               struct cu_error *err);

/* The format name of a piece of evidence ("snp"), or NULL when unknown. */
const char *cu_detect_format(const uint8_t *evidence, size_t size);

/* NULL-terminated list of supported format names. */
const char *const *cu_formats(void);

#ifdef __cplusplus
}
#endif

#endif
