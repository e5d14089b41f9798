/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_BASE_JSON_H
#define CU_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <custos/error.h>

#include "macro.h"

/*
 * Parse one JSON document of at most max_size bytes: duplicate keys, trailing
 * data and NUL bytes are rejected. `what` names the document in the error
 * ("policy: invalid JSON at line 3 column 7: ..."), with stage `what`.
 */
int cu_json_parse(const char *buf, size_t size, size_t max_size, const char *what, json_t **ret,
                  struct cu_error *err) _must_check_;

/* Read and parse a file (as cu_json_parse). */
int cu_json_load_file(const char *path, size_t max_size, const char *what, json_t **ret,
                      struct cu_error *err) _must_check_;

/* JSON scalars compare equal: numbers by value (1 == 1.0), others by json_equal. */
bool cu_json_scalar_equal(const json_t *a, const json_t *b);

/* Compare two JSON numbers; false when either is not a number. */
bool cu_json_number_cmp(const json_t *a, const json_t *b, int *ret_cmp);

/* String, number or boolean. */
bool cu_json_is_scalar(const json_t *j);

/* A short, single-line rendering of a value for messages (truncated with "..."). */
void cu_json_brief(const json_t *j, char *buf, size_t size);

#endif
