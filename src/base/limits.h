/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every limit on untrusted input lives here (STYLE.md practice 6). Parsers
 * refuse input above these sizes before looking at it.
 */
#ifndef CU_LIMITS_H
#define CU_LIMITS_H

/* Any single piece of evidence read from a file or a request. */
#define CU_LIMIT_EVIDENCE_SIZE (1024u * 1024u)

/* SEV-SNP ATTESTATION_REPORT: exactly this size (ABI 56860 Table 23). */
#define CU_LIMIT_SNP_REPORT_SIZE 1184u

/* One collateral file (certificate, CRL, bundle). */
#define CU_LIMIT_COLLATERAL_FILE_SIZE (4u * 1024u * 1024u)

/* Collateral files loaded from all --collateral paths together. */
#define CU_LIMIT_COLLATERAL_FILES 4096u

/* Certificates in one PEM bundle. */
#define CU_LIMIT_CERTS_PER_FILE 64u

/* Directory recursion depth for --collateral directories. */
#define CU_LIMIT_COLLATERAL_DEPTH 4u

/* Certificates in one chain, root included. */
#define CU_LIMIT_CHAIN_LENGTH 8u

/* Entries in the verified-certificate cache of one verifier. */
#define CU_LIMIT_CERT_CACHE_ENTRIES 1024u

/* CBOR (Nitro documents, CCA tokens): nesting and items in one document. */
#define CU_LIMIT_CBOR_DEPTH 16u
#define CU_LIMIT_CBOR_ITEMS 4096u

/* Verified PCK chains remembered by one verifier (DCAP), replaced oldest first. */
#define CU_LIMIT_DCAP_PCK_CACHE 64u

/* Hex strings given on the command line (e.g. --report-data). */
#define CU_LIMIT_HEX_ARG_SIZE 1024u

/* Policy and reference-value documents (JSON). */
#define CU_LIMIT_POLICY_SIZE    (1024u * 1024u)
#define CU_LIMIT_REFVALUES_SIZE (16u * 1024u * 1024u)

/* Nesting of allOf/anyOf/not in one policy. */
#define CU_LIMIT_POLICY_DEPTH 32u

/* Clauses (every condition object) in one policy. */
#define CU_LIMIT_POLICY_CLAUSES 4096u

/* Values in one literal list of a policy (in / notIn). */
#define CU_LIMIT_POLICY_LIST 4096u

/* Claim paths ("snp.reported_tcb.microcode"), policy ids, set names. */
#define CU_LIMIT_CLAIM_PATH 256u
#define CU_LIMIT_NAME       128u

/* Reference-value sets in one document, values in one set. */
#define CU_LIMIT_REFVALUE_SETS     4096u
#define CU_LIMIT_REFVALUES_PER_SET 65536u

/* A string value in a policy or a reference-value set. */
#define CU_LIMIT_JSON_STRING 4096u

/* Nesting of arrays and objects in a JSON value that is canonicalized (RFC 8785 JCS). */
#define CU_LIMIT_JSON_DEPTH 64u

/* Attestation result tokens (compact JWS) and the key files around them. */
#define CU_LIMIT_TOKEN_SIZE   (256u * 1024u)
#define CU_LIMIT_KEYFILE_SIZE (64u * 1024u)
#define CU_LIMIT_JWKS_KEYS    64u

/* Measured-boot event logs (TCG PC Client, CC event log): the whole log, its events. */
#define CU_LIMIT_EVENTLOG_SIZE   (8u * 1024u * 1024u)
#define CU_LIMIT_EVENTLOG_EVENTS 65536u

/* Claims documents read by `custos policy eval`. */
#define CU_LIMIT_CLAIMS_SIZE (4u * 1024u * 1024u)

/* custosd: an HTTP request body, and the memory for one connection's headers. */
#define CU_LIMIT_HTTP_BODY    (1024u * 1024u)
#define CU_LIMIT_HTTP_HEADERS (32u * 1024u)

/* NVIDIA GPU evidence: devices in one evidence list, SPDM measurement blocks, opaque fields. */
#define CU_LIMIT_GPU_DEVICES 16u
#define CU_LIMIT_SPDM_BLOCKS 255u
#define CU_LIMIT_SPDM_OPAQUE 4096u

/* Reference integrity manifests (SWID tags, XML): one document, measurements, alternatives. */
#define CU_LIMIT_RIM_SIZE         (1024u * 1024u)
#define CU_LIMIT_RIM_MEASUREMENTS 256u
#define CU_LIMIT_RIM_ALTERNATIVES 16u

/* custosd: one stored secret. */
#define CU_LIMIT_RESOURCE_SIZE (64u * 1024u)

#endif
