/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Appraisal: reference values, policies that explain their decisions, and
 * signed EAR attestation results (draft-ietf-rats-ear).
 *
 *     cu_refvalues *rv;   cu_refvalues_load_file(&rv, "refvalues.json", &err);
 *     cu_policy *ap;      cu_policy_load_file(&ap, "appraisal.json", rv, &err);
 *     json_t *submod, *trace;
 *     cu_appraise(ap, claims, now, &submod, &trace, &err);
 *     json_t *ear = cu_ear_new(...);        // one or more submodules
 *     cu_signing_key *k;  cu_signing_key_open(&k, "ear-key.jwks", CU_ALG_ES256, &created, &err);
 *     char *jwt;          cu_token_sign(k, ear, &jwt, &err);
 *
 * Formats are documented in docs/policy.md and custos-policy(5).
 */
#ifndef CUSTOS_APPRAISAL_H
#define CUSTOS_APPRAISAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <custos/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Reference values ---------------------------------------------------- */

typedef struct cu_refvalues cu_refvalues;

/* Parse a reference-value document (docs/policy.md, "Reference values"). */
int cu_refvalues_load(cu_refvalues **ret, const char *json, size_t size, struct cu_error *err);
int cu_refvalues_load_file(cu_refvalues **ret, const char *path, struct cu_error *err);
void cu_refvalues_free(cu_refvalues *rv);

/* Whether a set of this name exists. */
bool cu_refvalues_has(const cu_refvalues *rv, const char *name);

/*
 * The values of set `name` in effect at `at` (not_before <= at < not_after),
 * as a new JSON array; NULL when the set does not exist or memory runs out.
 */
json_t *cu_refvalues_active(const cu_refvalues *rv, const char *name, int64_t at);

/* ---- Policies ------------------------------------------------------------- */

typedef struct cu_policy cu_policy;

enum cu_policy_kind {
	CU_POLICY_APPRAISAL = 1, /* claims + reference values -> trustworthiness vector */
	CU_POLICY_RELEASE = 2,   /* attestation result -> allow or deny */
};

/*
 * Parse and check a policy. Every error (unknown key or operator, wrong operand
 * type, unknown reference-value set, ...) is reported here with the JSON path
 * of the offending element; evaluation cannot fail on the policy's account.
 * The sets the policy names are copied from `rv` (which may be NULL when the
 * policy names none), so `rv` may be freed afterwards.
 */
int cu_policy_load(cu_policy **ret, const char *json, size_t size, const cu_refvalues *rv,
                   struct cu_error *err);
int cu_policy_load_file(cu_policy **ret, const char *path, const cu_refvalues *rv,
                        struct cu_error *err);
void cu_policy_free(cu_policy *p);

enum cu_policy_kind cu_policy_get_kind(const cu_policy *p);
const char *cu_policy_get_id(const cu_policy *p);
int64_t cu_policy_get_revision(const cu_policy *p);
/* SHA-256 of the policy document's bytes, lowercase hex. */
const char *cu_policy_get_digest(const cu_policy *p);
/* "policy:<id>@<revision>;sha256=<digest>", as EARs and audit records name it. */
const char *cu_policy_get_ref(const cu_policy *p);

/*
 * Evaluate a release policy over `input` (an attestation result's claims) at
 * time `at`. Returns true to allow. A NULL policy denies. When ret_trace is
 * not NULL it receives the explanation: an array with one object per clause
 * evaluated, in document order ({"path", "op", "claim", "expected", "actual",
 * "result": "pass"|"fail", "reason"}).
 */
bool cu_policy_allows(const cu_policy *p, const json_t *input, int64_t at, json_t **ret_trace);

/*
 * Translate an Azure Key Vault secure key release policy (grammar 1.0.0) into
 * a native release policy document with id `id` (NULL: "azure-import"). MAA
 * claim names are mapped to Custos attestation-result claims where one exists;
 * *ret_warnings (optional) lists, one string each, what was mapped, dropped or
 * kept as written. The result still has to be loaded with cu_policy_load().
 */
int cu_policy_import_azure(const char *json, size_t size, const char *id, json_t **ret_policy,
                           json_t **ret_warnings, struct cu_error *err);

/* ---- Appraisal and EAR ------------------------------------------------------- */

/* AR4SI trustworthiness claims, in the order of draft-ietf-rats-ar4si. */
enum cu_tv_claim {
	CU_TV_INSTANCE_IDENTITY,
	CU_TV_CONFIGURATION,
	CU_TV_EXECUTABLES,
	CU_TV_FILE_SYSTEM,
	CU_TV_HARDWARE,
	CU_TV_RUNTIME_OPAQUE,
	CU_TV_STORAGE_OPAQUE,
	CU_TV_SOURCED_DATA,
	_CU_TV_MAX,
};

/* EAR status tiers (draft-ietf-rats-ear section 3.2). */
enum cu_ear_status {
	CU_EAR_NONE,
	CU_EAR_AFFIRMING,
	CU_EAR_WARNING,
	CU_EAR_CONTRAINDICATED,
};

const char *cu_ear_status_name(enum cu_ear_status s);
/* The tier of one trustworthiness value. */
enum cu_ear_status cu_ear_status_of_value(int value);

/*
 * Appraise verified claims with an appraisal policy at time `at`. On success
 * *ret_submod is one EAR appraisal ({"ear.status", "ear.trustworthiness-vector",
 * "ear.appraisal-policy-id", "ear.veraison.annotated-evidence"}) and, when
 * asked, *ret_trace the explanation (as cu_policy_allows, one entry per rule).
 */
int cu_appraise(const cu_policy *p, const json_t *claims, int64_t at, json_t **ret_submod,
                json_t **ret_trace, struct cu_error *err);

struct cu_ear_opts {
	int64_t iat;          /* issued at; required */
	int64_t lifetime;     /* seconds until exp; 0 means the default (300) */
	const char *issuer;   /* "iss"; NULL means "custos" */
	const uint8_t *nonce; /* eat_nonce, 8..64 bytes, optional */
	size_t nonce_size;
};

/*
 * Build an EAR claims-set from named submodule appraisals ({"cpu0": submod}).
 * Takes no reference to `submods` (it is copied).
 */
int cu_ear_new(const json_t *submods, const struct cu_ear_opts *opts, json_t **ret,
               struct cu_error *err);

/* ---- Signed tokens (JWT) ------------------------------------------------------ */

enum cu_token_alg {
	CU_ALG_ES256 = 1,
	CU_ALG_ES384 = 2,
	CU_ALG_EDDSA = 3,
};

const char *cu_token_alg_name(enum cu_token_alg alg);
/* Parse "ES256", "ES384", "EdDSA"; returns 0 or CU_ERR_UNSUPPORTED. */
int cu_token_alg_from_name(const char *name, enum cu_token_alg *ret);

typedef struct cu_signing_key cu_signing_key;

/*
 * Open the signing key file at `path`, a JWK set holding the current private
 * key and, after a rotation, the previous one. When the file does not exist
 * it is created (mode 0600) with a new `alg` key and *ret_created is set.
 * A key file that others can read is refused.
 */
int cu_signing_key_open(cu_signing_key **ret, const char *path, enum cu_token_alg alg,
                        bool *ret_created, struct cu_error *err);
/*
 * Replace the current key with a new `alg` key; the current key becomes the
 * previous one (kept in the JWKS so tokens it signed still verify), the one
 * before is dropped. The file is replaced atomically.
 */
int cu_signing_key_rotate(cu_signing_key *k, enum cu_token_alg alg, struct cu_error *err);
void cu_signing_key_free(cu_signing_key *k);
const char *cu_signing_key_kid(const cu_signing_key *k);
enum cu_token_alg cu_signing_key_alg(const cu_signing_key *k);
/* Public JWKS ({"keys": [current, previous]}), new reference. */
json_t *cu_signing_key_jwks(const cu_signing_key *k);

/* Sign claims as a compact JWT (header alg, typ "JWT", kid). */
int cu_token_sign(const cu_signing_key *k, const json_t *claims, char **ret, struct cu_error *err);

/*
 * Verify a compact JWT against a public JWKS at time `at`. The key is chosen
 * by `kid`; the algorithm is fixed by the key's type (P-256 -> ES256,
 * P-384 -> ES384, Ed25519 -> EdDSA) and the header's `alg` must equal it.
 * `exp` is required and must be after `at`; `nbf`, when present, not after it.
 * On success *ret_claims holds the payload.
 */
int cu_token_verify(const char *token, size_t size, const json_t *jwks, int64_t at,
                    json_t **ret_claims, struct cu_error *err);

#ifdef __cplusplus
}
#endif

#endif
