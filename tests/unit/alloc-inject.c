/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "alloc-inject.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

struct alloc_inject A;

static int fail_now(void)
{
	if (++A.count == A.fail_at) {
		A.failed = 1;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return __wrap_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return __wrap_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}

int alloc_inject_init(void)
{
	/* only before anything of OpenSSL allocates (a library loaded with the
	 * program may have: then OpenSSL's allocations are not failed; 1 says so) */
	int routed = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);

	json_set_alloc_funcs(__wrap_malloc, free);
	/*
	 * libxml2's and xmlsec1's own allocations (NVIDIA RIMs) are not failed:
	 * libxml2 2.9 leaks on some of its out-of-memory paths (its memory input
	 * buffers, XPath node sets inside xmlsec's transforms), and its hash
	 * seeds make the count differ from run to run. Custos's code around them,
	 * OpenSSL and jansson are.
	 */
	return routed ? 0 : 1;
}
