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

/* Hex strings given on the command line (e.g. --report-data). */
#define CU_LIMIT_HEX_ARG_SIZE 1024u

#endif
