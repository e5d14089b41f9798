/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 quotes, for formats that carry one (Azure confidential VMs' vTPM). */
#ifndef CU_EVIDENCE_TPM_H
#define CU_EVIDENCE_TPM_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <custos/custos.h>

#include "../base/macro.h"

/*
 * Verify one TPM2_Quote (`attest`: TPMS_ATTEST bytes) signed by `ak`, a key
 * the caller already trusts: the signature `sig`, TPM_GENERATED_VALUE and
 * TPM_ST_ATTEST_QUOTE, the qualifying data against opts->report_data (when
 * given), and the digest of `pcrs` (the selected PCRs of bank `bank`, a list
 * in selection order or an object by index) against pcrDigest. Adds
 * tpm.quote and tpm.<bank>.pcrN to `tpm`.
 */
int cu_tpm_check_quote(EVP_PKEY *ak, const uint8_t *attest, size_t attest_size,
                       const TPMT_SIGNATURE *sig, uint16_t bank, const json_t *pcrs,
                       const struct cu_verify_opts *opts, json_t *tpm,
                       struct cu_error *err) _must_check_;

/*
 * An AK for registration: `tpmt` (TPMT_PUBLIC, or TPM2B_PUBLIC) must be a
 * restricted signing key fixed to its TPM, of a supported type. Gives its
 * Name (hex, "000b...") and its public key as PEM (malloc'ed).
 */
int cu_tpm_ak_for_registration(const uint8_t *tpmt, size_t size, char name_hex[2 * 66 + 1],
                               char **ret_pem, struct cu_error *err) _must_check_;

/*
 * The EK: `ek_tpmt` (TPMT_PUBLIC or TPM2B_PUBLIC) is the key `ek_cert` (DER)
 * certifies, and the certificate chains at `at` to a TPM root of the
 * verifier's collateral (self-signed certificates; INSECURE test roots).
 * `desc` receives "subject / issuer" of the certificate.
 */
int cu_tpm_check_ek(cu_verifier *v, const uint8_t *ek_tpmt, size_t ek_size, const uint8_t *cert,
                    size_t cert_size, int64_t at, char *desc, size_t desc_size,
                    struct cu_error *err) _must_check_;

/* A TPM2B_PUBLIC is a TPMT_PUBLIC with its size in front: skip the size. */
void cu_tpm_strip_tpm2b(const uint8_t **p, size_t *n);

/* The Name of an object (TPMT_PUBLIC or TPM2B_PUBLIC): nameAlg || H_nameAlg(TPMT_PUBLIC), into name[2 + 64]. */
int cu_tpm_public_name(const uint8_t *tpmt, size_t size, uint8_t *name, size_t *name_size,
                       struct cu_error *err) _must_check_;

/* TPM2_MakeCredential's outputs, marshalled as the TPM takes them. */
struct cu_tpm_credential {
	uint8_t credential_blob[2 + 2 + 64 + 2 + 64]; /* TPM2B_ID_OBJECT */
	size_t credential_blob_size;
	uint8_t encrypted_secret[2 + 512]; /* TPM2B_ENCRYPTED_SECRET */
	size_t encrypted_secret_size;
};

/*
 * MakeCredential: `secret` (1 to 64 bytes) for the object named `ak_name`,
 * recoverable only by TPM2_ActivateCredential in the TPM holding the EK
 * `ek_tpmt` (TPMT_PUBLIC or TPM2B_PUBLIC; an RSA EK of the TCG templates: SHA-256 names, AES-CFB).
 */
int cu_tpm_make_credential(const uint8_t *ek_tpmt, size_t ek_size, const uint8_t *ak_name,
                           size_t ak_name_size, const uint8_t *secret, size_t secret_size,
                           struct cu_tpm_credential *ret, struct cu_error *err) _must_check_;

#endif
