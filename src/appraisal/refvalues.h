/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_APPRAISAL_REFVALUES_H
#define CU_APPRAISAL_REFVALUES_H

#include <custos/appraisal.h>

#include "../base/macro.h"

/*
 * A reference-value set in normalised form: an array of
 * {"value": v, "not_before": secs?, "not_after": secs?}. Borrowed.
 */
const json_t *cu_refvalues_get0_set(const cu_refvalues *rv, const char *name);

/* Comma-separated set names for messages ("a, b, c", "none"), truncated to fit. */
void cu_refvalues_names(const cu_refvalues *rv, char *buf, size_t size);

/* Whether every value of a normalised set is a number. */
bool cu_refvalue_set_all_numbers(const json_t *set);

/* Whether one normalised entry is in effect at `at`. */
bool cu_refvalue_entry_active(const json_t *entry, int64_t at);

/* Names of sets, policy ids: 1..CU_LIMIT_NAME of [A-Za-z0-9._:-]. */
bool cu_name_is_valid(const char *s);

/*
 * Parse an optional RFC 3339 time member `key` of `obj` into *ret (left
 * unchanged when absent). `where` names the element in the error.
 */
int cu_json_get_time(const json_t *obj, const char *key, const char *what, const char *where,
                     int64_t *ret, bool *ret_present, struct cu_error *err);

/*
 * An optional text member `key` of `obj` (a description): absent, or a string
 * of at most CU_LIMIT_JSON_STRING bytes. `where` names `obj` in the error.
 */
int cu_json_check_text(const json_t *obj, const char *key, const char *stage, const char *where,
                       struct cu_error *err);

CU_DEFINE_CLEANUP(cu_refvalues *, cu_refvalues_free);

#endif
