/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper: a synthetic NVIDIA GPU platform. A TEST root (P-384) signs
 * a GPU attestation certificate carrying NVIDIA's DICE extension
 * (2.23.133.5.4.1 with the FWID) and a RIM signer. Reports are the SPDM 1.1
 * GET_MEASUREMENTS request + MEASUREMENTS response the H100 produces,
 * signed by the attestation key; RIMs are SWID tags signed with xmlsec1
 * (enveloped XML-DSig, ECDSA-SHA384, C14N 1.1) as NVIDIA signs them.
 * Any failure aborts the process: these are test fixtures.
 */
#ifndef CU_TEST_GPU_BUILDER_H
#define CU_TEST_GPU_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define GB_MEASUREMENTS 16u

struct gb_pki {
	EVP_PKEY *root_key, *leaf_key, *rim_key;
	X509 *root, *leaf, *rim_signer;
	uint8_t fwid[48];
};

/* A new PKI (root, attestation leaf with `fwid`, RIM signer), or keys read back from PEM. */
void gb_pki_new(struct gb_pki *p, const uint8_t fwid[48]);
void gb_pki_free(struct gb_pki *p);

/* PEM: the device chain (leaf, root), the root alone; malloc'ed, NUL-terminated. */
char *gb_chain_pem(const struct gb_pki *p);
char *gb_cert_pem(X509 *x);

struct gb_report_opts {
	uint8_t nonce[32];
	uint8_t measurements[GB_MEASUREMENTS][48]; /* blocks 1..GB_MEASUREMENTS */
	const char *driver_version;                /* default "550.90.07" */
	uint8_t vbios[8];                          /* raw VBIOS version field */
	bool no_fwid;                              /* leave the FWID field out */
	size_t trailing_zeros;                     /* zero bytes after the signature */
};

/* The default options: measurement i filled with byte i, VBIOS 96.00.9f.00.01. */
void gb_report_defaults(struct gb_report_opts *o);

/* The signed request + response; malloc'ed. *ret_sig_offset: where the signature starts. */
uint8_t *gb_report(const struct gb_pki *p, const struct gb_report_opts *o, size_t *ret_size,
                   size_t *ret_sig_offset);

/* The VBIOS version as claims print it ("96.00.9f.00.01"), from the raw field. */
void gb_vbios_string(const uint8_t vbios[8], char out[32]);

/*
 * A signed RIM for `version` whose resources are RIM indexes first..first+n-1
 * (SPDM blocks first+1..), each with one golden value, values[i], active
 * unless inactive[i]. malloc'ed XML text.
 */
char *gb_rim(const struct gb_pki *p, const char *version, unsigned first, unsigned n,
             const uint8_t (*values)[48], const bool *inactive);

/* The FWID of custos-gpu-sim's attestation certificate. */
extern const uint8_t gb_sim_fwid[48];

/*
 * A custos-gpu-sim directory read back: p->leaf_key and p->fwid (enough for
 * gb_report) and the device chain (PEM, malloc'ed). Aborts when unreadable.
 */
void gb_sim_load(const char *dir, struct gb_pki *p, char **ret_chain);

/* Trustee's device evidence {"arch", "uuid", "evidence" (hex), "certificate"}; malloc'ed. */
char *gb_device_json(const uint8_t *report, size_t size, const char *chain_pem, const char *uuid);

#endif
