/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_SERVER_ADMIN_H
#define CU_SERVER_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

#include "http.h"

/* Everything under /v1/admin/: authenticated, authorised, dispatched by one table. */
void cu_admin_handle(void *ctx, struct cu_http_request *req, struct cu_http_response *resp);
/* "METHOD PATTERN ROLES [tenant-scoped]" per admin route, for --list-routes and the tests. */
void cu_admin_list_routes(FILE *out);

/* GET /kbs/v0/resource/<repo>/<type>/<tag> and POST /v1/release/<tenant>/<name>. */
void cu_kbs_resource(void *ctx, struct cu_http_request *req, struct cu_http_response *resp);
void cu_v1_release(void *ctx, struct cu_http_request *req, struct cu_http_response *resp);

/* Resource names: 1-256 of [A-Za-z0-9._:/-], no "..", no leading or trailing "/". */
bool cu_resource_name_is_valid(const char *name);

#endif
