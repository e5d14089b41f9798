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

/* cu_verify_opts.registered_ak over custosd's store (ctx: the service). */
int cu_tpm_registered_ak(void *ctx, const char *name_hex, char **ret_pem);

#endif
