/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: attestation-result token verification against a fixed
 * JWKS (the key that signed the seed tokens). Nothing but the seeds' own
 * bytes can verify; every other input must be refused without harm.
 */
#include <stdlib.h>
#include <string.h>

#include <custos/appraisal.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Public keys of tests/fuzz/seeds/token/ (ES256 and EdDSA). */
static const char jwks_doc[] =
    "{\"keys\":["
    "{\"alg\":\"ES256\",\"crv\":\"P-256\",\"kid\":\"TWIXqYBvujl8bDmiZ5lXd44x2a1i2op9BZ5m8xhc3f0\","
    "\"kty\":\"EC\",\"use\":\"sig\",\"x\":\"E5-Ga6A0pbAWvSHT5AaTJ8vHOE3cmgl3UzOs-E7A5kg\",\"y\":"
    "\"83thI5RoT1NDUVlQ5zT2jE-QT4Hop1M4R-nCdHCy9nM\"},{\"alg\":\"EdDSA\",\"crv\":\"Ed25519\","
    "\"kid\":\"kbbzYh9T2ttQwzZ0uxEq_pbyEZg_88c5oyTegzxvJyg\",\"kty\":\"OKP\",\"use\":\"sig\",\"x\":"
    "\"5AkAuwUEki-CLTfRuFzpyEuunnXC9qka_EM6lQzcGvc\"}"
    "]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *jwks;
	json_t *claims = NULL;

	if (!jwks && !(jwks = json_loads(jwks_doc, 0, NULL)))
		abort();
	/* At the seeds' issue time, so their signatures and exp are reached. */
	if (cu_token_verify((const char *)data, size, jwks, 1663981260, &claims, NULL) == 0) {
		if (!json_is_object(claims))
			abort();
		json_decref(claims);
	} else if (claims) {
		abort();
	}
	return 0;
}
