/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: import of Azure Key Vault release policies. Whatever the
 * importer accepts must load as a native policy.
 */
#include <stdlib.h>
#include <string.h>

#include <custos/appraisal.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *native = NULL, *warnings = NULL;
	cu_policy *p = NULL;
	char *text;

	if (cu_policy_import_azure((const char *)data, size, "fuzz", &native, &warnings, NULL) <
	    0) {
		if (native || warnings)
			abort();
		return 0;
	}
	text = json_dumps(native, 0);
	if (!text || cu_policy_load(&p, text, strlen(text), NULL, NULL) < 0)
		abort();
	cu_policy_free(p);
	free(text);
	json_decref(native);
	json_decref(warnings);
	return 0;
}
