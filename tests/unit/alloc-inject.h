/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation failures, injected one at a time (alloc-inject.c): Custos's own
 * malloc, calloc, realloc, strdup and strndup (wrapped at link time:
 * -Wl,--wrap=...), OpenSSL's and jansson's allocations count in A.count; the
 * allocation numbered A.fail_at fails, and A.failed says it was reached.
 */
#ifndef CU_TEST_ALLOC_INJECT_H
#define CU_TEST_ALLOC_INJECT_H

#include <stddef.h>

struct alloc_inject {
	long count;   /* allocations since the scenario began */
	long fail_at; /* the one to fail; 0: none */
	int failed;   /* whether it was reached */
};

extern struct alloc_inject A;

/*
 * Route OpenSSL and jansson through the counter, first thing in main: 0, or 1
 * when OpenSSL had allocated already (its allocations then are not failed).
 */
int alloc_inject_init(void);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#endif
