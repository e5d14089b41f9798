/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CMD_AGENT_PLATFORM_H
#define CU_CMD_AGENT_PLATFORM_H

#include <stdbool.h>

#include <jansson.h>

/* {"tee", "verdict", "cpu_flags": {...}, "devices": {...}, "nvidia_gpu"?: {...}} */
json_t *cu_agent_platform(void);
/* Print it (a verdict and the facts, or --json); 0 when a TEE or TPM is found, 1 when none. */
int cu_agent_platform_print(bool as_json);

#endif
