/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Appraisal into EAR (draft-ietf-rats-ear): claims + an appraisal policy ->
 * an AR4SI trustworthiness vector and a status, per submodule; submodules ->
 * one EAR claims-set, signed elsewhere (jwt.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <custos/custos.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "policy.h"

#define STAGE "appraisal"

/* The profile Veraison's and Trustee's EAR decoders accept. */
#define CU_EAR_PROFILE          "tag:github.com,2023:veraison/ear"
#define CU_EAR_DEFAULT_LIFETIME 300
#define CU_EAR_NONCE_MIN        8
#define CU_EAR_NONCE_MAX        64

CU_EXPORT const char *cu_ear_status_name(enum cu_ear_status s)
{
	switch (s) {
	case CU_EAR_AFFIRMING:
		return "affirming";
	case CU_EAR_WARNING:
		return "warning";
	case CU_EAR_CONTRAINDICATED:
		return "contraindicated";
	default:
		return "none";
	}
}

/* draft-ietf-rats-ear section 3.2: tiers of a trustworthiness value. */
CU_EXPORT enum cu_ear_status cu_ear_status_of_value(int v)
{
	if (v >= -1 && v <= 1)
		return CU_EAR_NONE;
	if ((v >= 2 && v <= 31) || (v >= -32 && v <= -2))
		return CU_EAR_AFFIRMING;
	if ((v >= 32 && v <= 95) || (v >= -96 && v <= -33))
		return CU_EAR_WARNING;
	return CU_EAR_CONTRAINDICATED;
}

CU_EXPORT int cu_appraise(const cu_policy *p, const json_t *claims, int64_t at, json_t **ret_submod,
                          json_t **ret_trace, struct cu_error *err)
{
	json_auto_t *tv = json_object(), *trace = NULL, *submod = NULL;
	const struct cu_tv_rule *rules;
	enum cu_ear_status status = CU_EAR_NONE;

	if (!p || !claims || !ret_submod || !json_is_object(claims))
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               STAGE ": a policy and a claims object are required");
	if (cu_policy_get_kind(p) != CU_POLICY_APPRAISAL)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               STAGE ": policy \"%s\" is a release policy, not an appraisal policy",
		               cu_policy_get_id(p));
	if (!tv)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	if (ret_trace && !(trace = json_array()))
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	rules = cu_policy_get0_rules(p);
	for (enum cu_tv_claim c = 0; c < _CU_TV_MAX; c++) {
		json_t *entry = NULL;
		bool ok;
		int value;

		if (!rules[c].present)
			continue;
		if (trace) {
			entry = json_pack("{s:s,s:s,s:s}", "path", rules[c].path, "op", "rule",
			                  "claim", cu_tv_claim_name(c));
			if (!entry || json_array_append_new(trace, entry) < 0)
				return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
		}
		ok = cu_policy_node_eval(rules[c].when, claims, at, trace);
		value = ok ? rules[c].pass : rules[c].fail;
		if (entry) {
			json_object_set_new(entry, "result", json_string(ok ? "pass" : "fail"));
			json_object_set_new(entry, "value", json_integer(value));
			if (!ok)
				json_object_set_new(
				    entry, "reason",
				    json_string("condition failed: the fail value applies"));
		}
		if (json_object_set_new(tv, cu_tv_claim_name(c), json_integer(value)) < 0)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
		/* The status is the worst tier over the vector. */
		if (cu_ear_status_of_value(value) > status)
			status = cu_ear_status_of_value(value);
	}
	submod = json_pack("{s:s,s:O,s:s,s:o}", "ear.status", cu_ear_status_name(status),
	                   "ear.trustworthiness-vector", tv, "ear.appraisal-policy-id",
	                   cu_policy_get_ref(p), "ear.veraison.annotated-evidence",
	                   json_deep_copy(claims));
	if (!submod)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	*ret_submod = TAKE_PTR(submod);
	if (ret_trace)
		*ret_trace = TAKE_PTR(trace);
	return 0;
}

CU_EXPORT int cu_ear_new(const json_t *submods, const struct cu_ear_opts *opts, json_t **ret,
                         struct cu_error *err)
{
	json_auto_t *ear = NULL;
	int64_t lifetime;

	if (!submods || !opts || !ret || !json_is_object(submods) || json_object_size(submods) == 0)
		return cu_fail(err, CU_ERR_INVALID_ARG, "ear",
		               "ear: at least one submodule appraisal is required");
	if (opts->iat <= 0)
		return cu_fail(err, CU_ERR_INVALID_ARG, "ear", "ear: issue time (iat) is required");
	lifetime = opts->lifetime ? opts->lifetime : CU_EAR_DEFAULT_LIFETIME;
	if (lifetime < 0 || lifetime > 366 * 86400)
		return cu_fail(err, CU_ERR_INVALID_ARG, "ear",
		               "ear: lifetime %lld s is out of range (1 s to 366 days)",
		               (long long)lifetime);
	if (opts->iat > INT64_MAX - lifetime)
		return cu_fail(err, CU_ERR_INVALID_ARG, "ear",
		               "ear: issue time %lld plus the lifetime does not fit in 64 bits",
		               (long long)opts->iat);
	if (opts->nonce &&
	    (opts->nonce_size < CU_EAR_NONCE_MIN || opts->nonce_size > CU_EAR_NONCE_MAX))
		return cu_fail(err, CU_ERR_INVALID_ARG, "ear",
		               "ear: eat_nonce must be %d to %d bytes, got %zu", CU_EAR_NONCE_MIN,
		               CU_EAR_NONCE_MAX, opts->nonce_size);
	ear = json_pack("{s:s,s:I,s:I,s:s,s:{s:s,s:s},s:O}", "eat_profile", CU_EAR_PROFILE, "iat",
	                (json_int_t)opts->iat, "exp", (json_int_t)(opts->iat + lifetime), "iss",
	                opts->issuer ? opts->issuer : "custos", "ear.verifier-id", "developer",
	                "custos", "build", "custos " CUSTOS_VERSION, "submods", (json_t *)submods);
	if (!ear)
		return cu_fail(err, CU_ERR_NOMEM, "ear", "ear: out of memory");
	if (opts->nonce) {
		_cleanup_free_ char *b64 = cu_base64url_encode_alloc(opts->nonce, opts->nonce_size);
		if (!b64 || json_object_set_new(ear, "eat_nonce", json_string(b64)) < 0)
			return cu_fail(err, CU_ERR_NOMEM, "ear", "ear: out of memory");
	}
	/* The submodules are the caller's: copy them so the token cannot change under it. */
	if (json_object_set_new(ear, "submods", json_deep_copy(submods)) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "ear", "ear: out of memory");
	*ret = TAKE_PTR(ear);
	return 0;
}
