/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "../src/base/limits.h"
#include "curl-body.h"

size_t cu_curl_body_write(char *ptr, size_t size, size_t n, void *ud)
{
	struct cu_curl_body *b = ud;
	size_t add = size * n;
	char *nd;

	/* Returning less than given makes libcurl fail the transfer: no unbounded replies. */
	if (b->size + add > CU_LIMIT_HTTP_BODY)
		return 0;
	nd = realloc(b->data, b->size + add + 1);
	if (!nd)
		return 0;
	memcpy(nd + b->size, ptr, add);
	b->data = nd;
	b->size += add;
	b->data[b->size] = '\0';
	return add;
}
