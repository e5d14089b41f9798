/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_SERVER_KBS_H
#define CU_SERVER_KBS_H

#include <stdbool.h>

#include "http.h"

/* POST /kbs/v0/auth and POST /kbs/v0/attest (Trustee KBS protocol 0.4.0). */
void cu_kbs_auth(void *ctx, struct cu_http_request *req, struct cu_http_response *resp);
void cu_kbs_attest(void *ctx, struct cu_http_request *req, struct cu_http_response *resp);

/* Whether the KBS protocol accepts evidence of this Trustee TEE name. */
bool cu_kbs_tee_supported(const char *tee);

#endif
