/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: NVIDIA reference integrity manifests (SWID tags with an
 * enveloped XML-DSig signature), cu_rim_parse and cu_rim_detect. libxml2
 * parses the document, the DTD and signature-count refusals and xmlsec1's
 * verification follow, then the Meta and Payload are read from the verified
 * tree. A parsed RIM holds 1..256 measurements of 1..16 alternatives of
 * 32..64 bytes, a signer certificate and a lowercase version; a refusal
 * leaves the output untouched and gives a reason.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/limits.h"
#include "../../src/evidence/nvgpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rim(const struct cu_rim *rim)
{
	if (rim->n_m == 0 || rim->n_m > CU_LIMIT_RIM_MEASUREMENTS || !rim->m)
		abort();
	for (size_t i = 0; i < rim->n_m; i++) {
		const struct cu_rim_measurement *m = &rim->m[i];

		if (m->n_alternatives == 0 || m->n_alternatives > CU_LIMIT_RIM_ALTERNATIVES ||
		    m->size < 32 || m->size > CU_RIM_VALUE_MAX || !m->values || m->index > 255 ||
		    !memchr(m->name, '\0', sizeof(m->name)))
			abort();
		for (size_t j = 0; j < i; j++)
			if (rim->m[j].index == m->index)
				abort();
	}
	if (!rim->certs || sk_X509_num(rim->certs) == 0 || !rim->version[0] ||
	    !memchr(rim->version, '\0', sizeof(rim->version)) || !rim->tag_id[0] ||
	    !memchr(rim->tag_id, '\0', sizeof(rim->tag_id)))
		abort();
	for (const char *s = rim->version; *s; s++)
		if (tolower((unsigned char)*s) != *s)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cu_error err = { 0 };
	struct cu_rim rim, before;

	(void)cu_rim_detect(data, size);
	memset(&rim, 0xa5, sizeof(rim));
	memcpy(&before, &rim, sizeof(rim));
	if (cu_rim_parse(data, size, &rim, &err) < 0) {
		/* output untouched on failure, and a reason given */
		if (memcmp(&rim, &before, sizeof(rim)) != 0 || !err.message[0] || !err.stage)
			abort();
		return 0;
	}
	check_rim(&rim);
	cu_rim_done(&rim);
	return 0;
}
