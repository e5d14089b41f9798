/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/base/error.h"
#include "../src/base/fileio.h"
#include "../src/base/time.h"
#include "cli.h"

const char *prog = "custos";

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help'.\n", prog);
	return EXIT_USAGE;
}

void print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (s) {
		puts(s);
		free(s);
	}
}

void report_failure(const char *what, const struct cu_error *err, bool as_json)
{
	fprintf(stderr, "%s: %s rejected at stage %s: %s\n", prog, what,
	        err->stage ? err->stage : "?", err->message);
	if (as_json) {
		json_t *j =
		    json_pack("{s:{s:s, s:s, s:s, s:s}}", "error", "code", cu_errname(err->code),
		              "category", cu_strerror(err->code), "stage",
		              err->stage ? err->stage : "", "message", err->message);
		if (j) {
			print_json(j);
			json_decref(j);
		}
	}
}

int parse_at(const char *s, int64_t *ret)
{
	if (!s || !strcmp(s, "now")) {
		*ret = (int64_t)time(NULL);
		return 0;
	}
	if (cu_time_parse_rfc3339(s, ret) < 0)
		return usage_error(
		    "--at: '%s' is not an RFC 3339 time such as 2024-01-01T00:00:00Z", s);
	return 0;
}

static int read_stdin(size_t max, uint8_t **buf, size_t *size)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap + 1);

	while (b) {
		size_t got = fread(b + n, 1, cap - n, stdin);

		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			uint8_t *nb;
			if (cap > max) {
				free(b);
				fprintf(stderr, "%s: standard input: more than %zu bytes\n", prog,
				        max);
				return EXIT_USAGE;
			}
			nb = realloc(b, cap * 2 + 1);
			if (!nb)
				free(b);
			b = nb;
			cap *= 2;
		}
	}
	if (!b || ferror(stdin) || n > max) {
		free(b);
		fprintf(stderr, "%s: cannot read standard input\n", prog);
		return EXIT_USAGE;
	}
	b[n] = '\0';
	*buf = b;
	*size = n;
	return 0;
}

int read_input(const char *path, size_t max, uint8_t **buf, size_t *size)
{
	struct cu_error err = { 0 };

	if (!strcmp(path, "-"))
		return read_stdin(max, buf, size);
	if (cu_read_file(path, max, buf, size, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return EXIT_USAGE;
	}
	return 0;
}

/* Whether `path` lies inside `anc` ("$.allow" contains "$.allow.allOf[0]"). */
static bool path_within(const char *path, const char *anc)
{
	size_t n = strlen(anc);

	return !strncmp(path, anc, n) && (path[n] == '.' || path[n] == '[');
}

/* A failure decided the outcome when every enclosing condition failed too. */
static bool decisive(const json_t *trace, size_t idx)
{
	const char *path = json_string_value(json_object_get(json_array_get(trace, idx), "path"));

	for (size_t i = 0; i < idx; i++) {
		const json_t *a = json_array_get(trace, i);
		const char *ap = json_string_value(json_object_get(a, "path"));

		if (ap && path && path_within(path, ap) &&
		    strcmp(json_string_value(json_object_get(a, "result")) ?: "", "fail"))
			return false;
	}
	return true;
}

static bool is_leaf(const json_t *e)
{
	const char *op = json_string_value(json_object_get(e, "op")) ?: "";

	return strcmp(op, "allOf") && strcmp(op, "anyOf") && strcmp(op, "not") &&
	       strcmp(op, "rule") && strcmp(op, "policy");
}

static void print_entry(FILE *f, const json_t *e)
{
	const char *result = json_string_value(json_object_get(e, "result")) ?: "?";
	const char *op = json_string_value(json_object_get(e, "op")) ?: "?";
	const char *claim = json_string_value(json_object_get(e, "claim"));
	const char *reason = json_string_value(json_object_get(e, "reason"));
	const char *desc = json_string_value(json_object_get(e, "description"));
	const json_t *value = json_object_get(e, "value");
	char *expected = NULL, *actual = NULL;

	fprintf(f, "  %s  %s  ", !strcmp(result, "pass") ? "PASS" : "FAIL",
	        json_string_value(json_object_get(e, "path")) ?: "?");
	if (!strcmp(op, "rule"))
		fprintf(f, "%s rule -> %" JSON_INTEGER_FORMAT, claim ? claim : "?",
		        json_integer_value(value));
	else if (claim)
		fprintf(f, "%s %s", claim, op);
	else
		fprintf(f, "%s", op);
	if (desc)
		fprintf(f, "  (%s)", desc);
	fputc('\n', f);
	if (claim && is_leaf(e)) {
		const json_t *ex = json_object_get(e, "expected"),
		             *ac = json_object_get(e, "actual");

		expected = ex ? json_dumps(ex, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		actual = ac ? json_dumps(ac, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		fprintf(f, "        expected: %s\n        actual:   %s\n",
		        expected ? expected : "-", actual ? actual : "(absent)");
	}
	if (reason)
		fprintf(f, "        reason:   %s\n", reason);
	free(expected);
	free(actual);
}

/* A decisive failure with no decisive failure inside it: where the outcome was decided. */
static bool deepest(const json_t *trace, size_t idx)
{
	const char *path = json_string_value(json_object_get(json_array_get(trace, idx), "path"));

	for (size_t j = idx + 1; j < json_array_size(trace); j++) {
		const json_t *e = json_array_get(trace, j);
		const char *p = json_string_value(json_object_get(e, "path"));

		if (p && path && path_within(p, path) &&
		    !strcmp(json_string_value(json_object_get(e, "result")) ?: "", "fail") &&
		    decisive(trace, j))
			return false;
	}
	return true;
}

void print_trace(FILE *f, const json_t *trace, bool all)
{
	size_t i, n_decisive = 0;
	const json_t *e;

	/*
	 * The failures that decided the outcome, first: failing clauses, or a
	 * failing not / window / composite when nothing failed inside it.
	 */
	json_array_foreach (trace, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "result")) ?: "", "fail") ||
		    !decisive(trace, i) || !deepest(trace, i))
			continue;
		if (n_decisive++ == 0)
			fprintf(f, "Failing clauses:\n");
		print_entry(f, e);
	}
	if (!all) {
		if (n_decisive)
			fprintf(f, "(--explain shows every clause evaluated)\n");
		return;
	}
	fprintf(f, "Every clause evaluated:\n");
	json_array_foreach (trace, i, e)
		print_entry(f, e);
}

int default_key_path(char **ret)
{
	const char *base = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *dir = NULL;

	if (base && *base) {
		if (asprintf(&dir, "%s/custos", base) < 0)
			return -1;
	} else if (home && *home) {
		if (asprintf(&dir, "%s/.config/custos", home) < 0)
			return -1;
	} else {
		fprintf(stderr, "%s: neither XDG_CONFIG_HOME nor HOME is set: give --key FILE\n",
		        prog);
		return -1;
	}
	/* The parent may not exist yet: create both levels, private. */
	{
		char *slash = strrchr(dir, '/');
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "%s: cannot create %s: %s\n", prog, dir, strerror(errno));
			free(dir);
			return -1;
		}
		*slash = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, dir, strerror(errno));
		free(dir);
		return -1;
	}
	if (asprintf(ret, "%s/ear-signing-key.json", dir) < 0) {
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
}
