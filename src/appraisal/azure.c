/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Import of Azure Key Vault / Managed HSM Secure Key Release policies
 * (grammar version 1.0.0) into a native release policy. The structure
 * (anyOf/allOf, claim conditions, operators) translates one to one. MAA claim
 * names are mapped to the claims of a Custos attestation result where Custos
 * has an equivalent; every other claim is kept as written and reported, so the
 * imported policy fails closed on it until a person decides.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "policy.h"
#include "refvalues.h"

#define STAGE        "azure-import"
#define PATH_MAX_LEN 512
/* Longer authority URLs are refused (the description that keeps it must fit). */
#define AUTHORITY_MAX 1024u
#define EVIDENCE      "submods.cpu0.ear.veraison.annotated-evidence."

struct claim_map {
	const char *maa;    /* claim name without the x-ms-isolation-tee. prefix */
	const char *custos; /* path in a Custos EAR */
	bool hex;           /* value is hex: lowercase it */
};

/* MAA claim names: PROTOCOLS.md "MAA claim names seen in SKR policies and tokens". */
static const struct claim_map claim_map[] = {
	{ "x-ms-attestation-type", EVIDENCE "tee", false },
	{ "x-ms-sevsnpvm-launchmeasurement", EVIDENCE "measurement", true },
	{ "x-ms-sevsnpvm-hostdata", EVIDENCE "snp.host_data", true },
	{ "x-ms-sevsnpvm-is-debuggable", EVIDENCE "debug", false },
	{ "x-ms-sevsnpvm-idkeydigest", EVIDENCE "snp.id_key_digest", true },
	{ "x-ms-sevsnpvm-authorkeydigest", EVIDENCE "snp.author_key_digest", true },
	{ "x-ms-sevsnpvm-familyId", EVIDENCE "snp.family_id", true },
	{ "x-ms-sevsnpvm-imageId", EVIDENCE "snp.image_id", true },
	{ "x-ms-sevsnpvm-guestsvn", EVIDENCE "snp.guest_svn", false },
	{ "x-ms-sevsnpvm-vmpl", EVIDENCE "snp.vmpl", false },
	{ "x-ms-sevsnpvm-reportdata", EVIDENCE "report_data", true },
	{ "x-ms-sevsnpvm-reportid", EVIDENCE "snp.report_id", true },
	{ "x-ms-sevsnpvm-bootloader-svn", EVIDENCE "snp.reported_tcb.bootloader", false },
	{ "x-ms-sevsnpvm-tee-svn", EVIDENCE "snp.reported_tcb.tee", false },
	{ "x-ms-sevsnpvm-snpfw-svn", EVIDENCE "snp.reported_tcb.snp", false },
	{ "x-ms-sevsnpvm-microcode-svn", EVIDENCE "snp.reported_tcb.microcode", false },
	{ "x-ms-sevsnpvm-migration-allowed", EVIDENCE "snp.policy.migrate_ma", false },
	{ "x-ms-sevsnpvm-smt-allowed", EVIDENCE "snp.policy.smt", false },
	{ "x-ms-compliance-status", "submods.cpu0.ear.status", false },
};

/* MAA attestation types -> Custos `tee`. */
static const char *const tee_map[][2] = {
	{ "sevsnpvm", "sev-snp" },
	{ "tdxvm", "tdx" },
	{ "sgx", "sgx" },
};

static const char *const ops[] = { "equals",  "notEquals",       "less",  "lessOrEquals",
	                           "greater", "greaterOrEquals", "exists" };

struct importer {
	json_t *warnings;
	size_t n_nodes;
	struct cu_error *err;
};

static void warn(struct importer *im, const char *path, const char *fmt, ...) _printf_(3, 4);

static void warn(struct importer *im, const char *path, const char *fmt, ...)
{
	char msg[CU_ERROR_MESSAGE_MAX], line[CU_ERROR_MESSAGE_MAX + PATH_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", path, msg);
	cu_utf8_trim_partial(line);
	json_array_append_new(im->warnings, json_string(line));
}

/* {"claim": ..., <op>: value} -> native clause, with the claim and value mapped. */
static int import_claim(struct importer *im, const json_t *in, const char *path, json_t **ret)
{
	const char *claim = json_string_value(json_object_get(in, "claim"));
	const char *op = NULL, *key, *name;
	const json_t *v, *value = NULL;
	const struct claim_map *m = NULL;
	json_auto_t *mapped = NULL;

	json_object_foreach ((json_t *)in, key, v) {
		bool known = false;

		if (!strcmp(key, "claim"))
			continue;
		for (size_t i = 0; i < ELEMENTSOF(ops); i++)
			known |= !strcmp(key, ops[i]);
		if (!known)
			return cu_fail_path(
			    im->err, CU_ERR_MALFORMED, STAGE, path,
			    "unknown key \"%s\" (the grammar's operators are equals, notEquals, "
			    "less, lessOrEquals, greater, greaterOrEquals, exists)",
			    key);
		if (op)
			return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
			                    "two operators (\"%s\" and \"%s\") in one condition",
			                    op, key);
		op = key;
		value = v;
	}
	if (!claim || !cu_claim_path_is_valid(claim))
		return cu_fail_path(
		    im->err, CU_ERR_MALFORMED, STAGE, path,
		    "claim: expected a dotted claim name (1-%u characters, no empty segment)",
		    CU_LIMIT_CLAIM_PATH);
	if (!op)
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "condition on \"%s\" has no operator", claim);
	if (!cu_json_is_scalar(value))
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "%s: expected a string, a number, true or false", op);
	if (json_is_string(value) && json_string_length(value) > CU_LIMIT_JSON_STRING)
		return cu_fail_path(im->err, CU_ERR_TOO_LARGE, STAGE, path,
		                    "%s: string longer than %u bytes", op, CU_LIMIT_JSON_STRING);
	if (!strcmp(op, "exists") && !json_is_boolean(value))
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "exists: expected true or false");
	if (strstr(op, "less") || strstr(op, "greater")) {
		if (!json_is_number(value))
			return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
			                    "%s: expected a number", op);
	}

	name = !strncmp(claim, "x-ms-isolation-tee.", 19) ? claim + 19 : claim;
	for (size_t i = 0; i < ELEMENTSOF(claim_map); i++)
		if (!strcmp(name, claim_map[i].maa))
			m = &claim_map[i];
	mapped = json_deep_copy(value);
	if (!mapped)
		return CU_ERR_NOMEM;
	if (!m) {
		warn(im, path,
		     "claim \"%s\" has no Custos equivalent; kept as written, so this condition "
		     "fails (deny) until you edit it",
		     claim);
	} else if (!strcmp(m->maa, "x-ms-attestation-type") && json_is_string(value)) {
		const char *tee = NULL;
		for (size_t i = 0; i < ELEMENTSOF(tee_map); i++)
			if (!strcmp(json_string_value(value), tee_map[i][0]))
				tee = tee_map[i][1];
		if (!tee)
			warn(im, path,
			     "attestation type \"%s\" has no Custos equivalent; kept as written",
			     json_string_value(value));
		else if (json_string_set(mapped, tee) < 0)
			return CU_ERR_NOMEM;
	} else if (!strcmp(m->maa, "x-ms-compliance-status") && json_is_string(value)) {
		/* MAA's verdict that the platform meets Azure's baseline; ours is the EAR status. */
		if (!strncmp(json_string_value(value), "azure-compliant-", 16)) {
			if (json_string_set(mapped, "affirming") < 0)
				return CU_ERR_NOMEM;
			warn(im, path, "\"%s\" %s \"%s\" mapped to ear.status \"affirming\"", claim,
			     op, json_string_value(value));
		} else {
			warn(im, path, "compliance status \"%s\" has no Custos equivalent; kept",
			     json_string_value(value));
		}
	} else if (m->hex && json_is_string(value)) {
		char *s = strdup(json_string_value(value));
		if (!s)
			return CU_ERR_NOMEM;
		for (char *c = s; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (json_string_set(mapped, s) < 0) {
			free(s);
			return CU_ERR_NOMEM;
		}
		free(s);
	}
	*ret = json_pack("{s:s,s:O}", "claim", m ? m->custos : claim, op, mapped);
	return *ret ? 0 : CU_ERR_NOMEM;
}

static int import_cond(struct importer *im, const json_t *in, const char *path, unsigned depth,
                       json_t **ret);

static int import_list(struct importer *im, const json_t *in, const char *key, const char *path,
                       unsigned depth, json_t **ret)
{
	json_auto_t *out = json_array();
	const json_t *e;
	char sub[PATH_MAX_LEN];
	size_t i;
	int r;

	if (!out)
		return CU_ERR_NOMEM;
	if (!json_is_array(in) || json_array_size(in) == 0)
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "%s: expected a non-empty list", key);
	json_array_foreach (in, i, e) {
		json_t *c = NULL;

		snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, i);
		r = import_cond(im, e, sub, depth + 1, &c);
		if (r < 0)
			return r;
		if (json_array_append_new(out, c) < 0)
			return CU_ERR_NOMEM;
	}
	*ret = json_pack("{s:O}", key, out);
	return *ret ? 0 : CU_ERR_NOMEM;
}

static int import_cond(struct importer *im, const json_t *in, const char *path, unsigned depth,
                       json_t **ret)
{
	const json_t *all, *any;

	/* The native form adds a level and a node per authority: keep room for them. */
	if (depth + 1 > CU_LIMIT_POLICY_DEPTH || ++im->n_nodes + 1 > CU_LIMIT_POLICY_CLAUSES)
		return cu_fail(im->err, CU_ERR_TOO_LARGE, STAGE, STAGE ": %s: policy too large",
		               path);
	if (!json_is_object(in))
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "expected a condition object");
	all = json_object_get(in, "allOf");
	any = json_object_get(in, "anyOf");
	if (json_object_get(in, "claim"))
		return import_claim(im, in, path, ret);
	if ((all && any) || json_object_size(in) != 1 || (!all && !any))
		return cu_fail_path(
		    im->err, CU_ERR_MALFORMED, STAGE, path,
		    "expected exactly one of \"claim\" (with an operator), \"allOf\" or "
		    "\"anyOf\"");
	return import_list(im, all ? all : any, all ? "allOf" : "anyOf", path, depth, ret);
}

/* One authority: {"authority": URL, "allOf"|"anyOf": [...]}. */
static int import_authority(struct importer *im, const json_t *in, const char *path, json_t **ret)
{
	const char *url = json_string_value(json_object_get(in, "authority"));
	const json_t *all, *any;
	const char *key;
	const json_t *v;
	_cleanup_free_ char *desc = NULL;
	int r;

	if (!json_is_object(in))
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "expected an authority object");
	if (++im->n_nodes + 1 > CU_LIMIT_POLICY_CLAUSES)
		return cu_fail(im->err, CU_ERR_TOO_LARGE, STAGE, STAGE ": %s: policy too large",
		               path);
	json_object_foreach ((json_t *)in, key, v)
		if (strcmp(key, "authority") && strcmp(key, "allOf") && strcmp(key, "anyOf"))
			return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
			                    "unknown key \"%s\" (expected authority, "
			                    "allOf, anyOf)",
			                    key);
	if (url && strlen(url) > AUTHORITY_MAX)
		return cu_fail_path(im->err, CU_ERR_TOO_LARGE, STAGE, path,
		                    "authority: URL longer than %u bytes", AUTHORITY_MAX);
	if (!url)
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "authority: expected the attestation service URL");
	all = json_object_get(in, "allOf");
	any = json_object_get(in, "anyOf");
	if (!!all == !!any)
		return cu_fail_path(im->err, CU_ERR_MALFORMED, STAGE, path,
		                    "expected exactly one of \"allOf\" or \"anyOf\"");
	r = import_list(im, all ? all : any, all ? "allOf" : "anyOf", path, 1, ret);
	if (r < 0)
		return r;
	warn(im, path,
	     "authority \"%s\" dropped: Custos itself verifies the evidence and signs the result",
	     url);
	if (asprintf(&desc, "imported; was authority %s", url) < 0)
		desc = NULL; /* undefined after a failure */
	if (!desc || json_object_set_new(*ret, "description", json_string(desc)) < 0) {
		json_decref(*ret);
		*ret = NULL;
		return CU_ERR_NOMEM;
	}
	return 0;
}

CU_EXPORT int cu_policy_import_azure(const char *json, size_t size, const char *id,
                                     json_t **ret_policy, json_t **ret_warnings,
                                     struct cu_error *err)
{
	json_auto_t *doc = NULL, *warnings = json_array(), *list = json_array(), *policy = NULL;
	struct importer im = { .warnings = warnings, .err = err };
	const json_t *v, *auths;
	const char *key, *top = NULL;
	char path[PATH_MAX_LEN];
	size_t i;
	int r;

	if (!ret_policy || !warnings || !list)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, STAGE ": invalid argument");
	if (!id)
		id = "azure-import";
	if (!cu_name_is_valid(id))
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               STAGE ": policy id \"%.64s\" is not a valid name", id);
	r = cu_json_parse(json, size, CU_LIMIT_POLICY_SIZE, STAGE, &doc, err);
	if (r < 0)
		return r;
	if (!json_is_object(doc))
		return cu_fail_path(err, CU_ERR_MALFORMED, STAGE, "$", "expected a JSON object");
	json_object_foreach (doc, key, v) {
		if (!strcmp(key, "anyOf") || !strcmp(key, "allOf")) {
			if (top)
				return cu_fail_path(err, CU_ERR_MALFORMED, STAGE, "$",
				                    "both anyOf and allOf at the top level");
			top = key;
		} else if (strcmp(key, "version")) {
			return cu_fail_path(err, CU_ERR_MALFORMED, STAGE, "$",
			                    "unknown key \"%s\" (expected version, anyOf, allOf)",
			                    key);
		}
	}
	v = json_object_get(doc, "version");
	if (!v)
		return cu_fail_path(err, CU_ERR_MALFORMED, STAGE, "$.version",
		                    "missing (release-policy grammar \"1.0.0\")");
	if (!json_is_string(v) || strcmp(json_string_value(v), "1.0.0"))
		return cu_fail_path(err, CU_ERR_UNSUPPORTED, STAGE, "$.version",
		                    "only release-policy grammar \"1.0.0\" is supported");
	if (!top)
		return cu_fail_path(err, CU_ERR_MALFORMED, STAGE, "$",
		                    "expected \"anyOf\" (or \"allOf\") with authorities");
	auths = json_object_get(doc, top);
	if (!json_is_array(auths) || json_array_size(auths) == 0)
		return cu_fail_path(err, CU_ERR_MALFORMED, STAGE, "$",
		                    "%s: expected a non-empty list of authorities", top);
	json_array_foreach (auths, i, v) {
		json_t *c = NULL;

		snprintf(path, sizeof(path), "$.%s[%zu]", top, i);
		r = import_authority(&im, v, path, &c);
		if (r < 0)
			return r == CU_ERR_NOMEM ? cu_fail(err, r, STAGE, STAGE ": out of memory")
			                         : r;
		if (json_array_append_new(list, c) < 0)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	policy = json_pack("{s:i,s:s,s:s,s:s,s:{s:O}}", "version", 1, "kind", "release", "id", id,
	                   "description",
	                   "Imported from an Azure Key Vault secure key release policy (grammar "
	                   "1.0.0) by custos policy import-azure",
	                   "allow", top, list);
	if (!policy)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	*ret_policy = TAKE_PTR(policy);
	if (ret_warnings)
		*ret_warnings = TAKE_PTR(warnings);
	return 0;
}
