/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the RFC 8785 canonicalization. Whatever jansson parses is
 * canonicalized or refused with an expected code and no output; a canonical
 * form is a JSON text without duplicate names or NUL bytes, and it is a fixed
 * point: parsed again and canonicalized, it gives the same bytes. Numbers
 * are read back as doubles, as I-JSON has them, which also checks that an
 * integer is written as the same double would be.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../src/base/jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Canonicalize j; abort on an unexpected failure or when an output is set on failure. */
static char *canon(const json_t *j, size_t *ret_size)
{
	static char sentinel;
	struct cu_error err = { 0 };
	char *out = &sentinel;
	size_t n = 12345;
	int r;

	r = cu_jcs_serialize(j, &out, &n, &err);
	if (r < 0) {
		if (out != &sentinel || n != 12345 || err.code != r)
			abort();
		if (r != CU_ERR_UNSUPPORTED && r != CU_ERR_TOO_LARGE && r != CU_ERR_NOMEM)
			abort();
		return NULL;
	}
	if (!out || out == &sentinel || strlen(out) != n)
		abort();
	*ret_size = n;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
	json_t *j, *j2, *jr;
	char *c1, *c2, *cr;
	size_t n1, n2, nr;

	j = json_loadb((const char *)data, size, flags, NULL);
	if (!j)
		return 0;
	c1 = canon(j, &n1);
	json_decref(j);
	if (!c1)
		return 0;

	/* Parsed again (numbers as doubles) and canonicalized: the same bytes. */
	j2 = json_loadb(c1, n1, flags | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, NULL);
	if (!j2)
		abort();
	c2 = canon(j2, &n2);
	json_decref(j2);
	if (!c2 || n2 != n1 || memcmp(c1, c2, n1) != 0)
		abort();

	/* The input with every number a double: the same bytes too. */
	jr = json_loadb((const char *)data, size, flags | JSON_DECODE_INT_AS_REAL, NULL);
	if (!jr)
		abort();
	cr = canon(jr, &nr);
	json_decref(jr);
	if (!cr || nr != n1 || memcmp(c1, cr, n1) != 0)
		abort();

	free(c1);
	free(c2);
	free(cr);
	return 0;
}
