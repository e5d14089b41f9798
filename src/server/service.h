/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custosd's state and configuration: the verifier with its collateral, the
 * appraisal policy and reference values, the token signing key, the store,
 * and the HTTP server that serves the routes (routes.c).
 */
#ifndef CU_SERVER_SERVICE_H
#define CU_SERVER_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <custos/appraisal.h>
#include <custos/custos.h>

#include "../store/store.h"
#include "secrets.h"
#include "http.h"

struct cu_config {
	char *data_dir;
	char *listen_address;
	uint16_t listen_port;
	unsigned threads, max_connections, max_connections_per_ip, timeout, rate_limit;
	size_t max_body, max_header_size;
	int64_t session_lifetime, token_lifetime;
	char *issuer;
	char *tls_cert, *tls_key;   /* paths */
	char *signing_key;          /* path */
	char *appraisal_policy;     /* path */
	char *gpu_appraisal_policy; /* path, optional: GPU submodules (built-in default) */
	char *refvalues;            /* path, optional */
	char **collateral;          /* paths */
	size_t n_collateral;
	char *insecure_test_root; /* path: INSECURE */
	char *database;           /* path */
	char *kek;                /* path: key-encryption key (hex) */
	char *admin_key;          /* path: admin public key (PEM, Ed25519 or EC) */
	char *kek_pkcs11_module;  /* when set, the KEK is a key in this PKCS#11 module's token */
	char *kek_pkcs11_token, *kek_pkcs11_pin_file, *kek_pkcs11_label;
	char *log; /* path, or NULL for standard error */
};

void cu_config_defaults(struct cu_config *c);
void cu_config_free(struct cu_config *c);
/*
 * Read a configuration file ("key = value" lines, '#' comments; see
 * docs/custosd.md). Relative paths are taken from the data directory.
 * Unknown keys and bad values are errors naming the file and line.
 */
int cu_config_load(struct cu_config *c, const char *path, struct cu_error *err) _must_check_;
/* Set one key (also used for command-line overrides). */
int cu_config_set(struct cu_config *c, const char *key, const char *value,
                  struct cu_error *err) _must_check_;

/* Formats counted by /metrics, "unknown" last. */
#define CU_METRIC_TEES     16
#define CU_ATTEST_OUTCOMES 5 /* affirming, warning, contraindicated, none, rejected */
#define CU_RELEASE_TEES    8 /* the TEE names of DESIGN.md's claim "tee", and "unknown" */
extern const char *const cu_release_tees[CU_RELEASE_TEES];

struct cu_service {
	struct cu_config config;
	cu_verifier *verifier;
	cu_policy *appraisal;
	cu_policy *gpu_appraisal; /* appraises the gpuN submodules of a composite attestation */
	cu_refvalues *refvalues;
	struct cu_kek kek;
	json_t *admin_jwks;
	cu_signing_key *key;
	json_t *jwks;
	cu_store *store;
	cu_http_server *http;
	FILE *log;
	bool insecure;
	/* custos_attestations_total{tee, outcome} */
	uint64_t attestations[CU_METRIC_TEES][CU_ATTEST_OUTCOMES];
	/* custos_releases_total{outcome}: denied, allowed */
	uint64_t releases[CU_RELEASE_TEES][2];
};

/* Create a data directory with keys, a TLS certificate, a configuration and a database. */
int cu_service_init_dir(const char *dir, FILE *out, struct cu_error *err) _must_check_;

/* Load everything the configuration names; then cu_service_start serves it. */
int cu_service_load(struct cu_service *svc, struct cu_error *err) _must_check_;
int cu_service_start(struct cu_service *svc, struct cu_error *err) _must_check_;
void cu_service_stop(struct cu_service *svc);

/* A tenant's reference values in force (*ret NULL when it has none). */
int cu_service_tenant_refvalues(struct cu_service *svc, const char *tenant, cu_refvalues **ret,
                                struct cu_error *err) _must_check_;

/* Count a release decision for /metrics. */
void cu_service_count_release(struct cu_service *svc, const char *tee, bool allowed);

/* Count an attestation outcome for /metrics. */
void cu_service_count_attestation(struct cu_service *svc, const char *tee, const char *outcome);

/* A new challenge session of `kind` ("kbs", "v1"), stored before it is returned. */
int cu_server_session_new(struct cu_service *svc, const char *kind, const char *tee,
                          struct cu_session *ret, struct cu_error *err) _must_check_;

struct cu_attest_in {
	const char *format; /* NULL: detect */
	const uint8_t *evidence;
	size_t size;
	const uint8_t *binding_digest; /* SHA-384: REPORT_DATA must be it, zero-padded */
	const json_t *runtime;         /* becomes runtime_data_claims */
	const uint8_t *nonce;          /* eat_nonce */
	size_t nonce_size;
	const uint8_t *const *extra; /* certificates that came with the evidence */
	const size_t *extra_sizes;
	size_t n_extra;
	const uint8_t *eventlog; /* a measured-boot log that came with the evidence */
	size_t eventlog_size;
	/*
	 * Additional devices (NVIDIA GPUs, Trustee's device_evidence_list
	 * members), each bound to gpu_binding (SHA-384, truncated to the SPDM
	 * nonce): they become submodules gpu0, gpu1, ... of the same EAR.
	 */
	const json_t *gpus;
	const uint8_t *gpu_binding;
};

/*
 * Additional evidence, the map {tee: evidence}: NVIDIA GPUs ("nvidia":
 * {"device_evidence_list": [...]}) as a new array of device objects in
 * *ret_gpus (NULL when there are none); any other member is refused by name.
 */
int cu_server_additional_gpus(const json_t *map, json_t **ret_gpus,
                              struct cu_error *err) _must_check_;

/* Verify, appraise and sign: the EAR token, the explanation and the status name. */
int cu_server_attest(struct cu_service *svc, const struct cu_attest_in *in, char **ret_token,
                     json_t **ret_trace, const char **ret_status,
                     struct cu_error *err) _must_check_;

/*
 * Record an attestation in the audit log (durable before any reply), its
 * evidence by digest: the primary's bytes, and each additional device (gpus,
 * NULL when none) by the SHA-256 of its RFC 8785 form.
 */
int cu_server_audit_attestation(struct cu_service *svc, const char *api, const char *session,
                                const char *tee, const uint8_t *evidence, size_t size,
                                const json_t *gpus, const char *status, const char *reason,
                                struct cu_error *err) _must_check_;

/* The route table (routes.c). */
extern const struct cu_http_route cu_routes[];
extern const size_t cu_n_routes;

#endif
