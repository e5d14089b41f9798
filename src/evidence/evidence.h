/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One evidence format = one file filling one struct cu_evidence_ops, listed
 * in the registry (registry.c). See docs/internals/adding-a-format.md.
 */
#ifndef CU_EVIDENCE_H
#define CU_EVIDENCE_H

#include <pthread.h>
#include <stdbool.h>

#include <openssl/x509.h>

#include <custos/custos.h>

struct cu_collateral;

struct cu_evidence_ops {
	const char *name; /* "snp": --tee value */
	const char *tee;  /* "sev-snp": the `tee` claim */
	/* Cheap structural check used for format detection. */
	bool (*detect)(const uint8_t *buf, size_t size);
	/* Decode every field, unverified. */
	int (*inspect)(const uint8_t *buf, size_t size, json_t **ret, struct cu_error *err);
	/* Full verification: parse, chain and signature, binding. */
	int (*verify)(cu_verifier *v, const uint8_t *buf, size_t size,
	              const struct cu_verify_opts *opts, json_t **ret, struct cu_error *err);
	/* Per-verifier state of the format (indexes of collateral, caches). */
	void (*state_free)(void *state);
};

/* Index of each format in the registry; also the slot of its state. */
enum cu_format_id {
	CU_FORMAT_SNP,
	CU_FORMAT_TDX,
	CU_FORMAT_SGX,
	CU_FORMAT_NITRO,
	CU_FORMAT_CCA,
	CU_FORMAT_TPM,
	CU_FORMAT_AZ_SNP_VTPM,
	CU_FORMAT_AZ_TDX_VTPM,
	CU_FORMAT_NVGPU,
	_CU_FORMAT_MAX,
};

struct cu_verifier {
	struct cu_collateral *collateral;
	STACK_OF(X509) * test_roots;
	/* Bumped on every change of collateral or roots: format states rebuild. */
	unsigned generation;
	pthread_mutex_t lock;
	void *state[_CU_FORMAT_MAX];
	unsigned state_generation[_CU_FORMAT_MAX];
};

extern const struct cu_evidence_ops cu_snp_ops;
extern const struct cu_evidence_ops cu_tdx_ops;
extern const struct cu_evidence_ops cu_sgx_ops;
extern const struct cu_evidence_ops cu_nitro_ops;
extern const struct cu_evidence_ops cu_cca_ops;
extern const struct cu_evidence_ops cu_tpm_ops;
extern const struct cu_evidence_ops cu_az_snp_vtpm_ops;
extern const struct cu_evidence_ops cu_az_tdx_vtpm_ops;
extern const struct cu_evidence_ops cu_nvgpu_ops;

/*
 * The per-verifier state of format `slot` for the verifier's current
 * collateral and roots: rebuilt with `build` (under the verifier's lock)
 * when they changed since it was built, the old one freed.
 */
int cu_verifier_state(cu_verifier *v, enum cu_format_id slot,
                      int (*build)(cu_verifier *v, void **ret, struct cu_error *err),
                      void (*state_free)(void *state), void **ret, struct cu_error *err);

/*
 * The verifier's INSECURE test roots appended to `roots` (each a new
 * reference), after the pinned vendor roots a format trusts. 0 or CU_ERR_NOMEM
 * (then nothing was appended).
 */
int cu_append_test_roots(cu_verifier *v, STACK_OF(X509) * roots, struct cu_error *err);

/*
 * A vendor root compiled in (`pem`, one certificate) into a new stack *ret,
 * checked against the SHA-256 of its DER (`pin`), then the verifier's test
 * roots. CU_ERR_INTERNAL "<what> does not match its pin", or CU_ERR_NOMEM;
 * *ret is left NULL on error.
 */
int cu_pinned_roots(cu_verifier *v, const char *pem, const uint8_t pin[32], const char *what,
                    STACK_OF(X509) * *ret, struct cu_error *err);

/* The binding stage: 64 bytes of report data against opts->report_data, when given. */
int cu_check_report_data(const uint8_t rd[64], const struct cu_verify_opts *opts, const char *tee,
                         const char *field, struct cu_error *err);

/*
 * A public key given as collateral, {"kind": "public_key", "pem": "..."} or
 * {"kind": "public_key", "jwk": {EC}}: the key, or NULL for any other document.
 */
EVP_PKEY *cu_collateral_public_key(const json_t *doc);

/*
 * libtss2-mu reports what it refuses on stderr, a line per malformed
 * structure: hostile input would flood a daemon's log. Sets TSS2_LOG to
 * "all+NONE" unless the environment already sets it, once per process,
 * from cu_verifier_new (and TPM inspection), before threads verify.
 */
void cu_tpm_quiet_tss2(void);

/* Whether the input starts, after white space, with '{' (detection of JSON evidence). */
bool cu_looks_like_json_object(const uint8_t *buf, size_t size);

/* Common claim helpers. */
int cu_json_set_hex(json_t *obj, const char *key, const uint8_t *data, size_t size);
int cu_json_set_u64_hex(json_t *obj, const char *key, uint64_t v);

#endif
