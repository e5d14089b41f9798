/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage interface of custosd. Every piece of state a replica needs
 * lives behind it (sessions, the audit log; later tenants, resources,
 * policies), so that any replica can serve any request. SQLite implements it
 * (store_sqlite.c); a PostgreSQL back end will implement the same table.
 *
 * Every write is durable when the call returns: an acknowledged audit record,
 * tenant, policy or resource survives a crash of the process or the machine.
 * Sessions survive a crash of the process; a power loss can at worst make a
 * client repeat the KBS handshake (they are written without waiting for the
 * disk, and reach it with the next durable commit).
 */
#ifndef CU_STORE_STORE_H
#define CU_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <custos/error.h>

#include "../base/macro.h"

typedef struct cu_store cu_store;

#define CU_SESSION_ID_SIZE 37 /* UUID text + NUL */
#define CU_NONCE_SIZE      32

struct cu_session {
	char id[CU_SESSION_ID_SIZE];
	char kind[16]; /* "kbs" or "v1" */
	char tee[32];
	uint8_t nonce[CU_NONCE_SIZE];
	int64_t created, expires;
	char *token; /* the EAR once attested (malloc'ed), or NULL */
};

void cu_session_clear(struct cu_session *s);

/*
 * Open (creating and migrating as needed) the store at `path`, an SQLite
 * database file. The schema version is checked: a database written by a newer
 * custosd is refused rather than misread.
 */
int cu_store_open(cu_store **ret, const char *path, struct cu_error *err) _must_check_;
void cu_store_close(cu_store *s);
CU_DEFINE_CLEANUP(cu_store *, cu_store_close);

/* Schema version of an open store. */
int cu_store_schema_version(cu_store *s);

/* Sessions of the challenge-response protocols. */
int cu_store_session_put(cu_store *s, const struct cu_session *session,
                         struct cu_error *err) _must_check_;
/* CU_ERR_NOT_FOUND when absent or expired at `now`; *ret untouched then. */
int cu_store_session_get(cu_store *s, const char *id, int64_t now, struct cu_session *ret,
                         struct cu_error *err) _must_check_;
int cu_store_session_set_token(cu_store *s, const char *id, const char *token,
                               struct cu_error *err) _must_check_;
/* Delete sessions expired at `now`; returns how many. */
int cu_store_session_purge(cu_store *s, int64_t now, struct cu_error *err);

/* Tenants: every resource and policy belongs to one. Returns 1 if created, 0 if it existed. */
int cu_store_tenant_put(cu_store *s, const char *name, int64_t at, struct cu_error *err);
/* 0 when it exists, CU_ERR_NOT_FOUND when not. */
int cu_store_tenant_get(cu_store *s, const char *name, struct cu_error *err);

/*
 * Store a policy document under (tenant, id, revision). Stored policies are
 * immutable: the same revision again with the same digest is accepted (0),
 * with another digest refused (CU_ERR_MISMATCH). Returns 1 when stored anew.
 */
int cu_store_policy_put(cu_store *s, const char *tenant, const char *id, int64_t revision,
                        const char *kind, const char *document, const char *digest, int64_t at,
                        struct cu_error *err);
/* The highest revision of a policy: its document (malloc'ed). */
int cu_store_policy_get_latest(cu_store *s, const char *tenant, const char *id, char **ret_document,
                               int64_t *ret_revision, struct cu_error *err) _must_check_;

/*
 * A tenant's reference values: each document stored is a new revision
 * (immutable); the latest is in force. put returns the revision given to it.
 */
int cu_store_refvalues_put(cu_store *s, const char *tenant, const char *document,
                           const char *digest, int64_t at, int64_t *ret_revision,
                           struct cu_error *err) _must_check_;
/* CU_ERR_NOT_FOUND when the tenant has none. */
int cu_store_refvalues_get_latest(cu_store *s, const char *tenant, char **ret_document,
                                  int64_t *ret_revision, struct cu_error *err) _must_check_;

struct cu_resource {
	char *policy; /* release policy id (its latest revision applies) */
	uint8_t nonce[12];
	uint8_t *sealed; /* AES-256-GCM ciphertext || tag, under the KEK */
	size_t sealed_size;
	int64_t created;
};

void cu_resource_clear(struct cu_resource *r);
/* Create or replace a resource. */
int cu_store_resource_put(cu_store *s, const char *tenant, const char *name,
                          const struct cu_resource *r, struct cu_error *err) _must_check_;
int cu_store_resource_get(cu_store *s, const char *tenant, const char *name,
                          struct cu_resource *ret, struct cu_error *err) _must_check_;
/* [{"name", "policy", "created"}] of a tenant's resources (never their values). */
int cu_store_resource_list(cu_store *s, const char *tenant, json_t **ret,
                           struct cu_error *err) _must_check_;

/*
 * Append a record to the audit log: {seq, at, kind, data, prev, hash} where
 * hash = SHA-256(prev || "\n" || seq || "\n" || at || "\n" || kind || "\n" ||
 * canonical data) and prev is the previous record's hash (64 zeros for the
 * first). Durable before it returns; on failure nothing is appended. Records
 * from concurrent callers are group-committed: one transaction and one fsync
 * for all that arrived while the previous commit ran.
 */
/*
 * TPM attestation keys registered by credential activation, by Name (hex):
 * the key as PEM and what vouched for it (the EK certificate's subject and
 * issuer). Registering again refreshes the record.
 */
int cu_store_tpm_ak_put(cu_store *s, const char *name, const char *pem, const char *ek, int64_t at,
                        struct cu_error *err) _must_check_;
int cu_store_tpm_ak_get(cu_store *s, const char *name, char **ret_pem,
                        struct cu_error *err) _must_check_;

int cu_store_audit_append(cu_store *s, int64_t at, const char *kind, const json_t *data,
                          uint64_t *ret_seq, struct cu_error *err) _must_check_;
/* Recompute the chain; CU_ERR_MISMATCH names the first bad record. */
int cu_store_audit_verify(cu_store *s, uint64_t *ret_n, struct cu_error *err) _must_check_;
/* Write every record as one JSON object per line. */
int cu_store_audit_export(cu_store *s, FILE *out, struct cu_error *err) _must_check_;

#endif
