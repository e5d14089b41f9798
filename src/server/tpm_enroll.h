/* SPDX-License-Identifier: Apache-2.0 */
/* TPM attestation keys registered by credential activation (tpm_enroll.c). */
#ifndef CU_SERVER_TPM_ENROLL_H
#define CU_SERVER_TPM_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

struct cu_service;

void cu_tpm_enroll(void *ctx, struct cu_http_request *req, struct cu_http_response *resp);
void cu_tpm_activate(void *ctx, struct cu_http_request *req, struct cu_http_response *resp);

/*
 * The PEM of the registered AK of this TPM evidence (JSON with ak_public),
 * into *ret_pem (malloc'ed): 1 when registered, 0 when not (or not readable).
 */
int cu_tpm_registered_ak(struct cu_service *svc, const uint8_t *evidence, size_t size,
                         char **ret_pem);

#endif
