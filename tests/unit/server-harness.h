/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custosd in process, for the tests and fuzz targets that call its handlers
 * as the HTTP layer does: a data directory from `custosd init` in a new
 * temporary directory, the service loaded (no listener), an admin's token.
 */
#ifndef CU_TEST_SERVER_HARNESS_H
#define CU_TEST_SERVER_HARNESS_H

#include <stddef.h>

#include "../../src/server/http.h"
#include "../../src/server/service.h"

/* Loads svc; "Bearer <admin token>" into bearer. 0, or -1 (said on stderr). */
int th_service_new(struct cu_service *svc, char *bearer, size_t bearer_size);

/* The handler of route `name` ("kbs_auth"), or NULL. */
cu_http_handler th_route(const char *name);

/* Free what a handler put in the response. */
void th_response_clear(struct cu_http_response *resp);

#endif
