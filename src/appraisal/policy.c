/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Custos policy language (docs/policy.md, custos-policy(5)): JSON,
 * versioned, default deny. Every mistake a policy can contain is found at
 * load time and reported with the JSON path of the offending element, so
 * evaluation never fails on the policy's account and always explains itself.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/fileio.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../base/time.h"
#include "../crypto/sig.h"
#include "policy.h"
#include "refvalues.h"

#define STAGE        "policy"
#define PATH_MAX_LEN 512

enum node_type {
	NODE_ALL_OF,
	NODE_ANY_OF,
	NODE_NOT,
	NODE_CLAUSE,
};

enum op {
	OP_EQUALS,
	OP_NOT_EQUALS,
	OP_IN,
	OP_NOT_IN,
	OP_GREATER,
	OP_GREATER_OR_EQUALS,
	OP_LESS,
	OP_LESS_OR_EQUALS,
	OP_EXISTS,
	OP_PREFIX,
	_OP_MAX,
};

static const char *const op_names[_OP_MAX] = {
	[OP_EQUALS] = "equals",   [OP_NOT_EQUALS] = "notEquals",
	[OP_IN] = "in",           [OP_NOT_IN] = "notIn",
	[OP_GREATER] = "greater", [OP_GREATER_OR_EQUALS] = "greaterOrEquals",
	[OP_LESS] = "less",       [OP_LESS_OR_EQUALS] = "lessOrEquals",
	[OP_EXISTS] = "exists",   [OP_PREFIX] = "prefix",
};

#define OP_LIST                                                                                    \
	"equals, notEquals, in, notIn, greater, greaterOrEquals, less, lessOrEquals, exists, "     \
	"prefix"

struct cu_policy_node {
	enum node_type type;
	char *path; /* JSON path of this element in the policy document */
	char *description;
	bool has_not_before, has_not_after;
	int64_t not_before, not_after;

	struct cu_policy_node **children; /* allOf, anyOf: n; not: 1 */
	size_t n_children;

	char *claim;
	enum op op;
	json_t *operand; /* literal operand, or NULL when a set is named */
	char *set_name;  /* reference-value set named by the operand */
	json_t *set;     /* its normalised entries, copied at load time */
};

struct cu_policy {
	enum cu_policy_kind kind;
	char *id;
	int64_t revision;
	char digest[65];
	char *ref;
	struct cu_policy_node *allow;
	struct cu_tv_rule rules[_CU_TV_MAX];
	struct cu_policy_node *when[_CU_TV_MAX];
	char *rule_path[_CU_TV_MAX];
};

/* ---- AR4SI names ---------------------------------------------------------- */

static const char *const tv_names[_CU_TV_MAX] = {
	[CU_TV_INSTANCE_IDENTITY] = "instance-identity",
	[CU_TV_CONFIGURATION] = "configuration",
	[CU_TV_EXECUTABLES] = "executables",
	[CU_TV_FILE_SYSTEM] = "file-system",
	[CU_TV_HARDWARE] = "hardware",
	[CU_TV_RUNTIME_OPAQUE] = "runtime-opaque",
	[CU_TV_STORAGE_OPAQUE] = "storage-opaque",
	[CU_TV_SOURCED_DATA] = "sourced-data",
};

struct tv_name {
	const char *name;
	int value;
};

/* draft-ietf-rats-ar4si section 2.3; names shared by every claim first. */
static const struct tv_name tv_common[] = {
	{ "no_claim", 0 },
	{ "verifier_malfunction", -1 },
	{ "unexpected_evidence", 1 },
	{ "crypto_failed", 99 },
	{ NULL, 0 },
};

static const struct tv_name tv_specific[_CU_TV_MAX][6] = {
	[CU_TV_INSTANCE_IDENTITY] = { { "trustworthy", 2 },
	                              { "untrustworthy", 96 },
	                              { "unrecognized", 97 } },
	[CU_TV_CONFIGURATION] = { { "approved", 2 },
	                          { "no_known_vulnerabilities", 3 },
	                          { "unsafe", 32 },
	                          { "unsupportable", 96 } },
	[CU_TV_EXECUTABLES] = { { "approved_runtime", 2 },
	                        { "approved_boot", 3 },
	                        { "unsafe", 32 },
	                        { "unrecognized", 33 },
	                        { "contraindicated", 96 } },
	[CU_TV_FILE_SYSTEM] = { { "approved", 2 },
	                        { "unrecognized", 32 },
	                        { "contraindicated", 96 } },
	[CU_TV_HARDWARE] = { { "genuine", 2 },
	                     { "unsafe", 32 },
	                     { "contraindicated", 96 },
	                     { "unrecognized", 97 } },
	[CU_TV_RUNTIME_OPAQUE] = { { "encrypted", 2 }, { "isolated", 32 }, { "visible", 96 } },
	[CU_TV_STORAGE_OPAQUE] = { { "hw_keys_encrypted", 2 },
	                           { "sw_keys_encrypted", 32 },
	                           { "unencrypted", 96 } },
	[CU_TV_SOURCED_DATA] = { { "trusted", 2 }, { "untrusted", 32 }, { "contraindicated", 96 } },
};

const char *cu_tv_claim_name(enum cu_tv_claim c)
{
	return c < _CU_TV_MAX ? tv_names[c] : NULL;
}

int cu_tv_value_from_name(enum cu_tv_claim c, const char *name, int *ret)
{
	for (const struct tv_name *t = tv_common; t->name; t++)
		if (!strcmp(t->name, name)) {
			*ret = t->value;
			return 0;
		}
	for (size_t i = 0;
	     c < _CU_TV_MAX && i < ELEMENTSOF(tv_specific[c]) && tv_specific[c][i].name; i++)
		if (!strcmp(tv_specific[c][i].name, name)) {
			*ret = tv_specific[c][i].value;
			return 0;
		}
	return CU_ERR_NOT_FOUND;
}

/* ---- Claim paths ------------------------------------------------------------ */

bool cu_claim_path_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CU_LIMIT_CLAIM_PATH || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return false;
	return true;
}

static bool parse_index(const char *s, size_t n, size_t *ret)
{
	size_t v = 0;

	if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

const json_t *cu_claim_path_resolve(const json_t *root, const char *path)
{
	size_t start[CU_LIMIT_CLAIM_PATH], end[CU_LIMIT_CLAIM_PATH], n = 0, i = 0;
	size_t len = strlen(path);
	const json_t *cur = root;

	if (!cu_claim_path_is_valid(path))
		return NULL;
	for (size_t p = 0; p <= len; p++) {
		size_t s = p;
		while (p < len && path[p] != '.')
			p++;
		start[n] = s;
		end[n] = p;
		n++;
	}
	while (i < n) {
		if (json_is_object(cur)) {
			const json_t *next = NULL;
			size_t k;
			/* Longest run of segments that is a key: keys may contain dots. */
			for (k = n - i; k >= 1; k--) {
				next = json_object_getn(cur, path + start[i],
				                        end[i + k - 1] - start[i]);
				if (next)
					break;
			}
			if (!next)
				return NULL;
			cur = next;
			i += k;
		} else if (json_is_array(cur)) {
			size_t idx;
			if (!parse_index(path + start[i], end[i] - start[i], &idx))
				return NULL;
			cur = json_array_get(cur, idx);
			if (!cur)
				return NULL;
			i++;
		} else {
			return NULL;
		}
	}
	return cur;
}

/* ---- Loading -------------------------------------------------------------------- */

struct loader {
	const cu_refvalues *rv;
	size_t n_clauses;
	struct cu_error *err;
};

static void node_free(struct cu_policy_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_children; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->path);
	free(n->description);
	free(n->claim);
	free(n->set_name);
	json_decref(n->operand);
	json_decref(n->set);
	free(n);
}

CU_DEFINE_CLEANUP(struct cu_policy_node *, node_free);

/* The operand of in/notIn/ordered operators may name a set: {"refvalues": "name"}. */
static int parse_set_ref(struct loader *l, struct cu_policy_node *n, const json_t *v,
                         const char *path)
{
	const json_t *name = json_object_get(v, "refvalues");
	const json_t *set;
	char known[256];

	if (json_object_size(v) != 1 || !json_is_string(name))
		return cu_fail_path(
		    l->err, CU_ERR_MALFORMED, STAGE, path,
		    "%s: expected {\"refvalues\": \"<set name>\"} to name a reference-value "
		    "set",
		    op_names[n->op]);
	if (!l->rv)
		return cu_fail_path(
		    l->err, CU_ERR_NOT_FOUND, STAGE, path,
		    "refers to reference-value set \"%s\" but no reference values were given",
		    json_string_value(name));
	set = cu_refvalues_get0_set(l->rv, json_string_value(name));
	if (!set) {
		cu_refvalues_names(l->rv, known, sizeof(known));
		return cu_fail_path(l->err, CU_ERR_NOT_FOUND, STAGE, path,
		                    "unknown reference-value set \"%s\" (known: %s)",
		                    json_string_value(name), known);
	}
	if (n->op != OP_IN && n->op != OP_NOT_IN && !cu_refvalue_set_all_numbers(set))
		return cu_fail_path(
		    l->err, CU_ERR_MALFORMED, STAGE, path,
		    "%s needs numbers, but reference-value set \"%s\" holds other values",
		    op_names[n->op], json_string_value(name));
	n->set_name = strdup(json_string_value(name));
	n->set = json_deep_copy(set);
	if (!n->set_name || !n->set)
		return CU_ERR_NOMEM;
	return 0;
}

static int parse_operand(struct loader *l, struct cu_policy_node *n, const json_t *v,
                         const char *path)
{
	size_t i;
	const json_t *e;

	switch (n->op) {
	case OP_EQUALS:
	case OP_NOT_EQUALS:
		if (!cu_json_is_scalar(v))
			return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, path,
			                    "%s: expected a string, a number or a boolean",
			                    op_names[n->op]);
		break;
	case OP_IN:
	case OP_NOT_IN:
		if (json_is_object(v))
			return parse_set_ref(l, n, v, path);
		if (!json_is_array(v) || json_array_size(v) == 0)
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, path,
			    "%s: expected a non-empty list of values or {\"refvalues\": "
			    "\"<set name>\"}",
			    op_names[n->op]);
		if (json_array_size(v) > CU_LIMIT_POLICY_LIST)
			return cu_fail_path(l->err, CU_ERR_TOO_LARGE, STAGE, path,
			                    "%s: more than %u values", op_names[n->op],
			                    CU_LIMIT_POLICY_LIST);
		json_array_foreach (v, i, e)
			if (!cu_json_is_scalar(e))
				return cu_fail_path(
				    l->err, CU_ERR_MALFORMED, STAGE, path,
				    "%s[%zu]: expected a string, a number or a boolean",
				    op_names[n->op], i);
			else if (json_is_string(e) && json_string_length(e) > CU_LIMIT_JSON_STRING)
				return cu_fail_path(l->err, CU_ERR_TOO_LARGE, STAGE, path,
				                    "%s[%zu]: string longer than %u bytes",
				                    op_names[n->op], i, CU_LIMIT_JSON_STRING);
		break;
	case OP_GREATER:
	case OP_GREATER_OR_EQUALS:
	case OP_LESS:
	case OP_LESS_OR_EQUALS:
		if (json_is_object(v))
			return parse_set_ref(l, n, v, path);
		if (!json_is_number(v))
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, path,
			    "%s: expected a number or {\"refvalues\": \"<set name>\"}",
			    op_names[n->op]);
		break;
	case OP_EXISTS:
		if (!json_is_boolean(v))
			return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, path,
			                    "exists: expected true or false");
		break;
	case OP_PREFIX:
		if (!json_is_string(v))
			return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, path,
			                    "prefix: expected a string");
		break;
	default:
		return CU_ERR_INTERNAL;
	}
	if (json_is_string(v) && json_string_length(v) > CU_LIMIT_JSON_STRING)
		return cu_fail_path(l->err, CU_ERR_TOO_LARGE, STAGE, path,
		                    "%s: string longer than %u bytes", op_names[n->op],
		                    CU_LIMIT_JSON_STRING);
	n->operand = json_deep_copy(v);
	return n->operand ? 0 : CU_ERR_NOMEM;
}

static int parse_node(struct loader *l, const json_t *j, const char *path, unsigned depth,
                      struct cu_policy_node **ret);

static int parse_children(struct loader *l, struct cu_policy_node *n, const json_t *v,
                          const char *key, const char *path, unsigned depth)
{
	char child_path[PATH_MAX_LEN];
	size_t i;
	const json_t *e;
	int r;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, path,
		                    "%s: expected a non-empty list of conditions", key);
	n->children = calloc(json_array_size(v), sizeof(*n->children));
	if (!n->children)
		return CU_ERR_NOMEM;
	json_array_foreach (v, i, e) {
		snprintf(child_path, sizeof(child_path), "%s.%s[%zu]", path, key, i);
		r = parse_node(l, e, child_path, depth + 1, &n->children[i]);
		if (r < 0)
			return r;
		n->n_children++;
	}
	return 0;
}

static int parse_op_name(const char *key, enum op *ret)
{
	for (enum op o = 0; o < _OP_MAX; o++)
		if (!strcmp(op_names[o], key)) {
			*ret = o;
			return 0;
		}
	return CU_ERR_NOT_FOUND;
}

/* An operator the key was probably meant to be ("equal", "Equals", "greaterOrEqual"). */
static const char *near_operator(const char *key)
{
	size_t n = strlen(key);

	for (enum op o = 0; o < _OP_MAX; o++) {
		size_t m = strlen(op_names[o]);
		if (!strcasecmp(key, op_names[o]) ||
		    ((n + 1 == m || m + 1 == n) && !strncasecmp(key, op_names[o], n < m ? n : m)))
			return op_names[o];
	}
	return NULL;
}

static int parse_node(struct loader *l, const json_t *j, const char *path, unsigned depth,
                      struct cu_policy_node **ret)
{
	_cleanup_(node_freep) struct cu_policy_node *n = NULL;
	const char *key, *structural = NULL, *op_key = NULL;
	const json_t *v;
	char child_path[PATH_MAX_LEN];
	int r;

	if (depth > CU_LIMIT_POLICY_DEPTH)
		return cu_fail_path(l->err, CU_ERR_TOO_LARGE, STAGE, path,
		                    "conditions nested more than %u deep", CU_LIMIT_POLICY_DEPTH);
	if (++l->n_clauses > CU_LIMIT_POLICY_CLAUSES)
		return cu_fail_path(l->err, CU_ERR_TOO_LARGE, STAGE, path,
		                    "more than %u conditions in the policy",
		                    CU_LIMIT_POLICY_CLAUSES);
	if (!json_is_object(j))
		return cu_fail_path(
		    l->err, CU_ERR_MALFORMED, STAGE, path,
		    "expected a condition object (allOf, anyOf, not, or claim with an "
		    "operator)");
	n = calloc(1, sizeof(*n));
	if (!n || !(n->path = strdup(path)))
		return CU_ERR_NOMEM;

	/* First pass: every key is known, at most one structure and one operator. */
	json_object_foreach ((json_t *)j, key, v) {
		enum op o;

		if (!strcmp(key, "allOf") || !strcmp(key, "anyOf") || !strcmp(key, "not") ||
		    !strcmp(key, "claim")) {
			if (structural)
				return cu_fail_path(
				    l->err, CU_ERR_MALFORMED, STAGE, path,
				    "\"%s\" and \"%s\" in one condition: use one per object",
				    structural, key);
			structural = key;
		} else if (parse_op_name(key, &o) == 0) {
			if (op_key)
				return cu_fail_path(
				    l->err, CU_ERR_MALFORMED, STAGE, path,
				    "two operators (\"%s\" and \"%s\") in one clause: combine "
				    "clauses with allOf",
				    op_key, key);
			op_key = key;
			n->op = o;
		} else if (strcmp(key, "notBefore") && strcmp(key, "notAfter") &&
		           strcmp(key, "description")) {
			const char *near = near_operator(key);
			if (near)
				return cu_fail_path(
				    l->err, CU_ERR_MALFORMED, STAGE, path,
				    "unknown operator \"%s\" (did you mean \"%s\"?)", key, near);
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, path,
			    "unknown key \"%s\" (expected allOf, anyOf, not, claim, "
			    "notBefore, notAfter, description, or an operator: " OP_LIST ")",
			    key);
		}
	}
	if (!structural)
		return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, path,
		                    op_key
		                        ? "operator \"%s\" without \"claim\""
		                        : "empty condition: expected allOf, anyOf, not, or claim%s",
		                    op_key ? op_key : "");
	if (strcmp(structural, "claim") && op_key)
		return cu_fail_path(
		    l->err, CU_ERR_MALFORMED, STAGE, path,
		    "operator \"%s\" belongs in a clause with \"claim\", not next to \"%s\"",
		    op_key, structural);

	r = cu_json_check_text(j, "description", STAGE, path, l->err);
	if (r < 0)
		return r;
	v = json_object_get(j, "description");
	if (v) {
		n->description = strdup(json_string_value(v));
		if (!n->description)
			return CU_ERR_NOMEM;
	}
	r = cu_json_get_time(j, "notBefore", STAGE, path, &n->not_before, &n->has_not_before,
	                     l->err);
	if (r < 0)
		return r;
	r = cu_json_get_time(j, "notAfter", STAGE, path, &n->not_after, &n->has_not_after, l->err);
	if (r < 0)
		return r;
	if (n->has_not_before && n->has_not_after && n->not_after <= n->not_before)
		return cu_fail_path(
		    l->err, CU_ERR_MALFORMED, STAGE, path,
		    "notAfter is not later than notBefore: the condition could never pass");

	v = json_object_get(j, structural);
	if (!strcmp(structural, "allOf") || !strcmp(structural, "anyOf")) {
		n->type = structural[1] == 'l' ? NODE_ALL_OF : NODE_ANY_OF;
		r = parse_children(l, n, v, structural, path, depth);
	} else if (!strcmp(structural, "not")) {
		n->type = NODE_NOT;
		n->children = calloc(1, sizeof(*n->children));
		if (!n->children)
			return CU_ERR_NOMEM;
		snprintf(child_path, sizeof(child_path), "%s.not", path);
		r = parse_node(l, v, child_path, depth + 1, &n->children[0]);
		if (r == 0)
			n->n_children = 1;
	} else {
		n->type = NODE_CLAUSE;
		if (!json_is_string(v) || !cu_claim_path_is_valid(json_string_value(v)))
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, path,
			    "claim: expected a dotted claim path such as \"snp.policy.debug\" "
			    "(1-%u characters, no empty segment)",
			    CU_LIMIT_CLAIM_PATH);
		if (!op_key)
			return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, path,
			                    "clause on \"%s\" has no operator (one of: " OP_LIST
			                    ")",
			                    json_string_value(v));
		n->claim = strdup(json_string_value(v));
		if (!n->claim)
			return CU_ERR_NOMEM;
		snprintf(child_path, sizeof(child_path), "%s.%s", path, op_key);
		r = parse_operand(l, n, json_object_get(j, op_key), child_path);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(n);
	return 0;
}

static int parse_rules(struct loader *l, cu_policy *p, const json_t *tw)
{
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN + 16];
	const char *key, *k2;
	const json_t *rule, *v;
	int r;

	if (!json_is_object(tw) || json_object_size(tw) == 0)
		return cu_fail_path(
		    l->err, CU_ERR_MALFORMED, STAGE, "$.trustworthiness",
		    "expected an object with at least one rule (e.g. \"executables\")");
	json_object_foreach ((json_t *)tw, key, rule) {
		enum cu_tv_claim c;
		struct cu_tv_rule *out;

		for (c = 0; c < _CU_TV_MAX; c++)
			if (!strcmp(tv_names[c], key))
				break;
		snprintf(path, sizeof(path), "$.trustworthiness.%s", key);
		if (c == _CU_TV_MAX)
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, path,
			    "unknown trustworthiness claim (expected instance-identity, "
			    "configuration, executables, file-system, hardware, runtime-opaque, "
			    "storage-opaque, sourced-data)");
		if (!json_is_object(rule))
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, path,
			    "expected {\"when\": condition, \"pass\": value, \"fail\": value}");
		out = &p->rules[c];
		out->pass = 2;
		out->fail = 96;
		json_object_foreach ((json_t *)rule, k2, v) {
			int *dst;

			if (!strcmp(k2, "when"))
				continue;
			if (strcmp(k2, "pass") && strcmp(k2, "fail"))
				return cu_fail_path(
				    l->err, CU_ERR_MALFORMED, STAGE, path,
				    "unknown key \"%s\" (expected when, pass, fail)", k2);
			dst = !strcmp(k2, "pass") ? &out->pass : &out->fail;
			snprintf(sub, sizeof(sub), "%s.%s", path, k2);
			if (json_is_integer(v) && json_integer_value(v) >= -128 &&
			    json_integer_value(v) <= 127)
				*dst = (int)json_integer_value(v);
			else if (!json_is_string(v) ||
			         cu_tv_value_from_name(c, json_string_value(v), dst) < 0)
				return cu_fail_path(
				    l->err, CU_ERR_MALFORMED, STAGE, sub,
				    "expected an integer from -128 to 127 or a name defined for "
				    "\"%s\" (see custos-policy(5))",
				    key);
		}
		if (!json_object_get(rule, "when"))
			return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, path,
			                    "missing \"when\" condition");
		snprintf(sub, sizeof(sub), "%s.when", path);
		r = parse_node(l, json_object_get(rule, "when"), sub, 1, &p->when[c]);
		if (r < 0)
			return r;
		p->rule_path[c] = strdup(path);
		if (!p->rule_path[c])
			return CU_ERR_NOMEM;
		out->when = p->when[c];
		out->path = p->rule_path[c];
		out->present = true;
	}
	return 0;
}

static int load_doc(struct loader *l, cu_policy *p, const json_t *doc)
{
	const char *key;
	const json_t *v, *kind;
	int r;

	if (!json_is_object(doc))
		return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, "$", "expected a JSON object");
	json_object_foreach ((json_t *)doc, key, v) {
		if (strcmp(key, "version") && strcmp(key, "kind") && strcmp(key, "id") &&
		    strcmp(key, "revision") && strcmp(key, "description") && strcmp(key, "allow") &&
		    strcmp(key, "trustworthiness")) {
			char path[PATH_MAX_LEN];
			snprintf(path, sizeof(path), "$.%s", key);
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, path,
			    "unknown key (expected version, kind, id, revision, description, "
			    "allow, trustworthiness)");
		}
	}
	v = json_object_get(doc, "version");
	if (!v)
		return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, "$.version",
		                    "missing (this language is version 1)");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return cu_fail_path(l->err, CU_ERR_UNSUPPORTED, STAGE, "$.version",
		                    "only version 1 is supported");
	kind = json_object_get(doc, "kind");
	if (!json_is_string(kind) || (strcmp(json_string_value(kind), "release") &&
	                              strcmp(json_string_value(kind), "appraisal")))
		return cu_fail_path(
		    l->err, CU_ERR_MALFORMED, STAGE, "$.kind",
		    "expected \"release\" (result -> allow/deny) or \"appraisal\" (claims "
		    "-> trustworthiness vector)");
	p->kind =
	    !strcmp(json_string_value(kind), "release") ? CU_POLICY_RELEASE : CU_POLICY_APPRAISAL;
	v = json_object_get(doc, "id");
	if (!json_is_string(v) || !cu_name_is_valid(json_string_value(v)))
		return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, "$.id",
		                    "expected a name of 1-%u characters of A-Z a-z 0-9 . _ : -",
		                    CU_LIMIT_NAME);
	p->id = strdup(json_string_value(v));
	if (!p->id)
		return CU_ERR_NOMEM;
	p->revision = 1;
	v = json_object_get(doc, "revision");
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, "$.revision",
			                    "expected a positive integer");
		p->revision = json_integer_value(v);
	}
	r = cu_json_check_text(doc, "description", STAGE, "$", l->err);
	if (r < 0)
		return r;

	if (p->kind == CU_POLICY_RELEASE) {
		if (json_object_get(doc, "trustworthiness"))
			return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, "$.trustworthiness",
			                    "only appraisal policies have trustworthiness rules");
		v = json_object_get(doc, "allow");
		if (!v)
			return cu_fail_path(
			    l->err, CU_ERR_MALFORMED, STAGE, "$.allow",
			    "missing: a release policy must say when to allow (default deny)");
		return parse_node(l, v, "$.allow", 1, &p->allow);
	}
	if (json_object_get(doc, "allow"))
		return cu_fail_path(l->err, CU_ERR_MALFORMED, STAGE, "$.allow",
		                    "only release policies have \"allow\"; appraisal policies have "
		                    "\"trustworthiness\"");
	return parse_rules(l, p, json_object_get(doc, "trustworthiness"));
}

CU_EXPORT int cu_policy_load(cu_policy **ret, const char *json, size_t size, const cu_refvalues *rv,
                             struct cu_error *err)
{
	_cleanup_(cu_policy_freep) cu_policy *p = NULL;
	json_auto_t *doc = NULL;
	struct loader l = { .rv = rv, .err = err };
	uint8_t md[32];
	int r;

	if (!ret || (!json && size))
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, STAGE ": invalid argument");
	r = cu_json_parse(json, size, CU_LIMIT_POLICY_SIZE, STAGE, &doc, err);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	r = load_doc(&l, p, doc);
	if (r < 0)
		return r == CU_ERR_NOMEM ? cu_fail(err, r, STAGE, STAGE ": out of memory") : r;
	cu_sha256(json, size, md);
	cu_hex_encode(md, sizeof(md), p->digest);
	if (asprintf(&p->ref, "policy:%s@%" PRId64 ";sha256=%s", p->id, p->revision, p->digest) <
	    0) {
		p->ref = NULL;
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	*ret = TAKE_PTR(p);
	return 0;
}

CU_EXPORT int cu_policy_load_file(cu_policy **ret, const char *path, const cu_refvalues *rv,
                                  struct cu_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size;
	int r;

	if (!path)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, STAGE ": invalid argument");
	r = cu_read_file(path, CU_LIMIT_POLICY_SIZE, &buf, &size, err);
	if (r < 0)
		return r;
	r = cu_policy_load(ret, (const char *)buf, size, rv, err);
	if (r < 0)
		cu_error_prefix_file(err, path);
	return r;
}

CU_EXPORT void cu_policy_free(cu_policy *p)
{
	if (!p)
		return;
	node_free(p->allow);
	for (size_t i = 0; i < _CU_TV_MAX; i++) {
		node_free(p->when[i]);
		free(p->rule_path[i]);
	}
	free(p->id);
	free(p->ref);
	free(p);
}

CU_EXPORT enum cu_policy_kind cu_policy_get_kind(const cu_policy *p)
{
	return p->kind;
}

CU_EXPORT const char *cu_policy_get_id(const cu_policy *p)
{
	return p->id;
}

CU_EXPORT int64_t cu_policy_get_revision(const cu_policy *p)
{
	return p->revision;
}

CU_EXPORT const char *cu_policy_get_digest(const cu_policy *p)
{
	return p->digest;
}

CU_EXPORT const char *cu_policy_get_ref(const cu_policy *p)
{
	return p->ref;
}

const struct cu_tv_rule *cu_policy_get0_rules(const cu_policy *p)
{
	return p->rules;
}

/* ---- Evaluation ------------------------------------------------------------------ */

static const char *node_op_name(const struct cu_policy_node *n)
{
	switch (n->type) {
	case NODE_ALL_OF:
		return "allOf";
	case NODE_ANY_OF:
		return "anyOf";
	case NODE_NOT:
		return "not";
	default:
		return op_names[n->op];
	}
}

/* The values an operand stands for at `at`: the literal, or the set's active values. */
static json_t *operand_values(const struct cu_policy_node *n, int64_t at)
{
	json_t *out;
	const json_t *e;
	size_t i;

	if (!n->set)
		return json_incref(n->operand);
	out = json_array();
	if (!out)
		return NULL;
	json_array_foreach (n->set, i, e)
		if (cu_refvalue_entry_active(e, at) &&
		    json_array_append(out, json_object_get(e, "value")) < 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}

static bool in_list(const json_t *actual, const json_t *list)
{
	size_t i;
	const json_t *e;

	json_array_foreach (list, i, e)
		if (cu_json_scalar_equal(actual, e))
			return true;
	return false;
}

static bool ordered(enum op op, int cmp)
{
	switch (op) {
	case OP_GREATER:
		return cmp > 0;
	case OP_GREATER_OR_EQUALS:
		return cmp >= 0;
	case OP_LESS:
		return cmp < 0;
	case OP_LESS_OR_EQUALS:
		return cmp <= 0;
	default:
		return false;
	}
}

/* Claim, expected and actual values of a clause, for the explanation. */
static void describe_clause(const struct cu_policy_node *n, const json_t *input, int64_t at,
                            json_t *entry)
{
	const json_t *actual = cu_claim_path_resolve(input, n->claim);

	json_object_set_new(entry, "claim", json_string(n->claim));
	if (n->set)
		json_object_set_new(entry, "expected",
		                    json_pack("{s:s,s:o*}", "refvalues", n->set_name, "active",
		                              operand_values(n, at)));
	else
		json_object_set(entry, "expected", n->operand);
	if (actual)
		json_object_set(entry, "actual", (json_t *)actual);
}

static bool eval_clause(const struct cu_policy_node *n, const json_t *input, int64_t at,
                        char *reason, size_t rsize)
{
	const json_t *actual = cu_claim_path_resolve(input, n->claim);
	json_auto_t *values = operand_values(n, at);
	bool ok = false;
	int cmp;
	size_t i;
	const json_t *e;

	if (!values) {
		snprintf(reason, rsize, "out of memory");
		return false;
	}
	if (n->op == OP_EXISTS) {
		ok = (actual != NULL) == json_is_true(n->operand);
		if (!ok)
			snprintf(reason, rsize, actual ? "claim is present" : "claim is absent");
		return ok;
	}
	if (!actual) {
		snprintf(reason, rsize, "claim is absent");
		return false;
	}
	switch (n->op) {
	case OP_EQUALS:
		ok = cu_json_scalar_equal(actual, values);
		if (!ok)
			snprintf(reason, rsize, "value differs");
		break;
	case OP_NOT_EQUALS:
		ok = !cu_json_scalar_equal(actual, values);
		if (!ok)
			snprintf(reason, rsize, "value is the one excluded");
		break;
	case OP_IN:
		ok = in_list(actual, values);
		if (!ok)
			snprintf(reason, rsize,
			         n->set
			             ? "value is not among the %zu values of set \"%s\" in effect"
			             : "value is not among the %zu listed",
			         json_array_size(values), n->set_name);
		break;
	case OP_NOT_IN:
		ok = !in_list(actual, values);
		if (!ok)
			snprintf(reason, rsize, "value is listed as excluded");
		break;
	case OP_PREFIX:
		ok = json_is_string(actual) &&
		     !strncmp(json_string_value(actual), json_string_value(values),
		              json_string_length(values));
		if (!ok)
			snprintf(reason, rsize,
			         json_is_string(actual) ? "value does not start with the prefix"
			                                : "claim is not a string");
		break;
	case OP_GREATER:
	case OP_GREATER_OR_EQUALS:
	case OP_LESS:
	case OP_LESS_OR_EQUALS:
		if (!json_is_number(actual)) {
			snprintf(reason, rsize, "claim is not a number");
			break;
		}
		if (!n->set) {
			ok = cu_json_number_cmp(actual, values, &cmp) && ordered(n->op, cmp);
		} else {
			/* A set of bounds: the claim passes against any bound in effect. */
			json_array_foreach (values, i, e)
				if (cu_json_number_cmp(actual, e, &cmp) && ordered(n->op, cmp))
					ok = true;
			if (!ok && json_array_size(values) == 0) {
				snprintf(reason, rsize, "set \"%s\" has no value in effect",
				         n->set_name);
				break;
			}
		}
		if (!ok)
			snprintf(reason, rsize, "comparison %s fails", op_names[n->op]);
		break;
	default:
		snprintf(reason, rsize, "internal error: operator");
		break;
	}
	return ok;
}

bool cu_policy_node_eval(const struct cu_policy_node *n, const json_t *input, int64_t at,
                         json_t *trace)
{
	json_t *entry = NULL;
	char reason[CU_ERROR_MESSAGE_MAX] = "";
	char tbuf[32];
	bool ok;

	if (trace) {
		entry = json_pack("{s:s,s:s}", "path", n->path, "op", node_op_name(n));
		if (entry && n->description)
			json_object_set_new(entry, "description", json_string(n->description));
		if (!entry || json_array_append_new(trace, entry) < 0)
			entry = NULL;
	}
	if (entry && n->type == NODE_CLAUSE)
		describe_clause(n, input, at, entry);
	if (n->has_not_before && at < n->not_before) {
		cu_time_format_rfc3339(n->not_before, tbuf, sizeof(tbuf));
		snprintf(reason, sizeof(reason), "not in effect before %s (notBefore)", tbuf);
		ok = false;
	} else if (n->has_not_after && at >= n->not_after) {
		cu_time_format_rfc3339(n->not_after, tbuf, sizeof(tbuf));
		snprintf(reason, sizeof(reason), "no longer in effect since %s (notAfter)", tbuf);
		ok = false;
	} else if (n->type == NODE_CLAUSE) {
		ok = eval_clause(n, input, at, reason, sizeof(reason));
	} else {
		size_t n_pass = 0;

		/* No short cut: the explanation lists every clause. */
		for (size_t i = 0; i < n->n_children; i++)
			n_pass += cu_policy_node_eval(n->children[i], input, at, trace);
		switch (n->type) {
		case NODE_ALL_OF:
			ok = n_pass == n->n_children;
			if (!ok)
				snprintf(reason, sizeof(reason), "%zu of %zu conditions failed",
				         n->n_children - n_pass, n->n_children);
			break;
		case NODE_ANY_OF:
			ok = n_pass > 0;
			if (!ok)
				snprintf(reason, sizeof(reason), "none of %zu conditions passed",
				         n->n_children);
			break;
		default:
			ok = n_pass == 0;
			if (!ok)
				snprintf(reason, sizeof(reason), "the negated condition passed");
			break;
		}
	}
	if (entry) {
		json_object_set_new(entry, "result", json_string(ok ? "pass" : "fail"));
		if (!ok)
			json_object_set_new(entry, "reason", json_string(reason));
	}
	return ok;
}

static json_t *deny_trace(const char *reason)
{
	return json_pack("[{s:s,s:s,s:s,s:s}]", "path", "$", "op", "policy", "result", "fail",
	                 "reason", reason);
}

CU_EXPORT bool cu_policy_allows(const cu_policy *p, const json_t *input, int64_t at,
                                json_t **ret_trace)
{
	json_auto_t *trace = NULL;
	bool ok;

	if (ret_trace)
		*ret_trace = NULL;
	if (!p || p->kind != CU_POLICY_RELEASE || !input) {
		if (ret_trace)
			*ret_trace = deny_trace(
			    !p       ? "no policy: default deny"
			    : !input ? "no attestation result: default deny"
			             : "not a release policy (kind appraisal): default deny");
		return false;
	}
	if (ret_trace) {
		trace = json_array();
		if (!trace) {
			*ret_trace = NULL;
			return false;
		}
	}
	ok = cu_policy_node_eval(p->allow, input, at, trace);
	if (ret_trace)
		*ret_trace = TAKE_PTR(trace);
	return ok;
}
