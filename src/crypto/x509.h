/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CRYPTO_X509_H
#define CU_CRYPTO_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <custos/error.h>

#include "../base/macro.h"

/*
 * Parse certificates and CRLs from PEM (any number, in any order) or from one
 * DER certificate or CRL. New objects are appended to *certs / *crls, which
 * are created when NULL. Returns the number of objects found (0 when the
 * buffer holds neither) or a negative error; nothing is appended on error.
 */
int cu_x509_parse_any(const uint8_t *buf, size_t size, STACK_OF(X509) * *certs,
                      STACK_OF(X509_CRL) * *crls, struct cu_error *err) _must_check_;

/*
 * Move every certificate of src_certs and every CRL of src_crls (either may be
 * NULL; crls may be NULL when src_crls is) to the end of *certs / *crls, which
 * are created when NULL and needed. All or nothing: room is reserved before
 * anything moves. Returns the number moved, or CU_ERR_NOMEM with nothing moved.
 */
int cu_x509_move_all(STACK_OF(X509) * *certs, STACK_OF(X509) * src_certs,
                     STACK_OF(X509_CRL) * *crls, STACK_OF(X509_CRL) * src_crls) _must_check_;

/* SHA-256 of the DER encoding. */
int cu_x509_sha256(X509 *cert, uint8_t out[32]) _must_check_;

/* A name as RFC 2253 writes it ("CN=...,O=...,C=US"), or "" when it will not print. */
void cu_x509_name_rfc2253(X509_NAME *name, char *buf, size_t size);

/* The subject's commonName, or "" when there is none. */
void cu_x509_subject_cn(X509 *cert, char *buf, size_t size);

/* notBefore / notAfter as seconds since the epoch. */
int cu_x509_validity(X509 *cert, int64_t *ret_not_before, int64_t *ret_not_after) _must_check_;

/* The raw extnValue of the extension with dotted OID `oid`, or NULL. */
const ASN1_OCTET_STRING *cu_x509_get0_ext(X509 *cert, const char *oid);

/* True when the certificate is signed with RSASSA-PSS using digest md_nid. */
bool cu_x509_signed_with_rsa_pss(X509 *cert, int md_nid);

struct cu_chain_opts {
	STACK_OF(X509) * roots;     /* trusted anchors (already pinned by the caller) */
	STACK_OF(X509) * untrusted; /* candidate intermediates */
	STACK_OF(X509_CRL) * crls;  /* CRLs to apply; a certificate without one is noted */
	int64_t at;                 /* verification time; never "now" implicitly */
	unsigned max_depth;         /* certificates in the chain, root included */
};

struct cu_chain_result {
	STACK_OF(X509) * chain; /* leaf first, root last; owned */
	int64_t not_before; /* the window [not_before, not_after) in which every element is valid */
	int64_t not_after;
	uint32_t crl_missing; /* bit d set: no CRL covered the certificate at depth d */
};

/*
 * Build and verify the chain from leaf to one of opts->roots at opts->at.
 * Chain length is limited, partial chains are refused, and every CRL given
 * must be signed by its issuer and current at `at`. On success fills *ret
 * (free with cu_chain_result_done). Errors: CU_ERR_CHAIN, CU_ERR_EXPIRED,
 * CU_ERR_REVOKED, CU_ERR_SIGNATURE, CU_ERR_NOMEM, CU_ERR_INTERNAL.
 */
int cu_x509_verify_chain(X509 *leaf, const struct cu_chain_opts *opts, struct cu_chain_result *ret,
                         struct cu_error *err) _must_check_;

void cu_chain_result_done(struct cu_chain_result *res);

#endif
