/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the SEV-SNP certificate table and the collateral loader. */
#include <stdlib.h>
#include <string.h>

#include "../../src/collateral/collateral.h"
#include "../../src/collateral/snp_certtable.h"
#include "../../src/crypto/openssl-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *certs = NULL;
	struct cu_collateral *c;
	struct cu_error err = { 0 };
	int n;

	n = cu_snp_certtable_parse(data, size, &certs, &err);
	/* nothing appended on error; the count matches on success */
	if (n < 0 ? certs != NULL || err.message[0] == '\0' : (certs ? sk_X509_num(certs) : 0) != n)
		abort();
	cu_x509_stack_freep(&certs);

	if (cu_collateral_new(&c) < 0)
		abort();
	n = cu_collateral_add_mem(c, data, size, "fuzz", &err);
	if (n < 0 && sk_X509_num(c->certs) + sk_X509_CRL_num(c->crls) != 0)
		abort();
	cu_collateral_free(c);
	return 0;
}
