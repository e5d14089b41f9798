/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CMD_COLLATERAL_H
#define CU_CMD_COLLATERAL_H

#include <stddef.h>
#include <stdint.h>

struct cu_fetch {
	const char *url; /* Intel PCS or a PCCS, without the /sgx or /tdx path */
	const char *dir; /* where the collateral goes */
	const char *ca;  /* TLS CA file, or NULL for the system's */
};

/* Fetch what the quote needs into f->dir; on failure a reason in why. */
int cu_dcap_fetch(const struct cu_fetch *f, const uint8_t *quote, size_t size, char *why,
                  size_t why_size);

int cmd_collateral(int argc, char **argv);

#endif
