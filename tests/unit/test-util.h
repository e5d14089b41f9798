/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_TEST_UTIL_H
#define CU_TEST_UTIL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/x509.h>

#include <custos/custos.h>

/*
 * The shared evidence corpus directory ($CUSTOS_CORPUS), or NULL when it is
 * absent. Absence is a test failure under CI=true (DESIGN.md "Tests").
 */
const char *tu_corpus_dir(void);

/*
 * Call fn(dir, name, ctx) for each sample directory of the corpus kind
 * ("tpm"), in name order; dot entries are left out. The test is skipped when
 * there is no corpus. Returns how many calls returned true (samples checked).
 */
int tu_for_each_sample(const char *kind, bool (*fn)(const char *dir, const char *name, void *ctx),
                       void *ctx);

/* Read a whole file (fails the test on error). Caller frees. */
uint8_t *tu_read_file(const char *path, size_t *ret_size);

/* Parse an RFC 3339 time (fails the test on error). */
int64_t tu_time(const char *rfc3339);

/* A self-signed certificate for CN, valid 2024-01-01..2030-01-01 (fails the test on error). */
X509 *tu_self_signed(EVP_PKEY *key, const char *cn, long serial);

/* Load a JSON file (fails the test on error). */
json_t *tu_load_json(const char *path);

/* The value at a dotted path ("snp.policy.debug") of an object, or NULL. */
json_t *tu_json_path(json_t *root, const char *dotted);

#endif
