/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: what custos-agent parses from a KBS. The HTTP reply
 * (status line, headers, Set-Cookie, Content-Length, chunked bodies) through
 * cu_https_parse_reply, then the body as the agent reads it: JSON, the nonce
 * of an auth reply, the token of an attest reply, and a resource JWE that
 * libjose is asked to decrypt with a fixed key. The body stays inside the
 * input and the cookie inside its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>

#include "../../cmd/https-client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *key(void)
{
	static json_t *k;

	if (!k) {
		k = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
		if (!k || !jose_jwk_gen(NULL, k))
			abort();
	}
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), cookie[256] = "";
	struct cu_error err = { 0 };
	size_t body_size = 0;
	long status;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	status = cu_https_parse_reply(buf, size, cookie, sizeof(cookie), &body_size, &err);
	if (status < 0) {
		if (!err.message[0])
			abort();
	} else {
		json_t *j;

		if (body_size > size || buf[body_size] != '\0' || strlen(cookie) >= sizeof(cookie))
			abort();
		j = json_loadb(buf, body_size, 0, NULL);
		if (json_is_object(j)) {
			size_t pt_size = 0;
			void *pt;

			(void)json_string_value(json_object_get(j, "nonce"));
			(void)json_string_value(json_object_get(j, "token"));
			pt = jose_jwe_dec(NULL, j, NULL, key(), &pt_size);
			free(pt);
		}
		json_decref(j);
	}
	free(buf);
	return 0;
}
