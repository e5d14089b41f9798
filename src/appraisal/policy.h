/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_APPRAISAL_POLICY_H
#define CU_APPRAISAL_POLICY_H

#include <custos/appraisal.h>

#include "../base/macro.h"

/*
 * Resolve a dotted claim path in `root`. At each level the longest run of
 * segments that names a key wins, so "submods.cpu0.ear.status" reaches the
 * key "ear.status"; a decimal segment indexes an array. Borrowed; NULL when
 * absent.
 */
const json_t *cu_claim_path_resolve(const json_t *root, const char *path);

/* 1..CU_LIMIT_CLAIM_PATH bytes, no control characters, no empty segment. */
bool cu_claim_path_is_valid(const char *path);

/* The AR4SI claim name ("hardware") and its value for a named tier ("genuine"). */
const char *cu_tv_claim_name(enum cu_tv_claim c);
int cu_tv_value_from_name(enum cu_tv_claim c, const char *name, int *ret);

/* Used by cu_appraise: the appraisal rules of a policy. */
struct cu_policy_node;
struct cu_tv_rule {
	bool present;
	const struct cu_policy_node *when;
	int pass, fail;
	const char *path;
};
const struct cu_tv_rule *cu_policy_get0_rules(const cu_policy *p);

/* Evaluate one condition tree, appending explanation entries to trace (may be NULL). */
bool cu_policy_node_eval(const struct cu_policy_node *n, const json_t *input, int64_t at,
                         json_t *trace);

CU_DEFINE_CLEANUP(cu_policy *, cu_policy_free);

#endif
