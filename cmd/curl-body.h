/* SPDX-License-Identifier: Apache-2.0 */
/* Collect an HTTP reply body with libcurl, up to the request body limit of custosd. */
#ifndef CU_CMD_CURL_BODY_H
#define CU_CMD_CURL_BODY_H

#include <stddef.h>

struct cu_curl_body {
	char *data; /* NUL-terminated; free() */
	size_t size;
};

/* CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA = struct cu_curl_body *. */
size_t cu_curl_body_write(char *ptr, size_t size, size_t n, void *ud);

#endif
