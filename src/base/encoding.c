/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <custos/error.h>

#include "encoding.h"

static const char hexdigits[] = "0123456789abcdef";

void cu_hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

char *cu_hex_encode_alloc(const uint8_t *in, size_t n)
{
	char *s;

	if (n > (SIZE_MAX - 1) / 2)
		return NULL;
	s = malloc(2 * n + 1);
	if (s)
		cu_hex_encode(in, n, s);
	return s;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long cu_hex_decoded_size(const char *in, size_t in_len)
{
	if (in_len % 2 != 0)
		return -1;
	for (size_t i = 0; i < in_len; i++)
		if (unhex(in[i]) < 0)
			return -1;
	return (long)(in_len / 2);
}

int cu_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_size)
{
	if (out_size > SIZE_MAX / 2 || in_len != 2 * out_size ||
	    cu_hex_decoded_size(in, in_len) < 0)
		return CU_ERR_MALFORMED;
	for (size_t i = 0; i < out_size; i++)
		out[i] = (uint8_t)(unhex(in[2 * i]) << 4 | unhex(in[2 * i + 1]));
	return 0;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *cu_base64url_encode_alloc(const uint8_t *in, size_t n)
{
	size_t out_len, j = 0;
	char *out;

	if (n > SIZE_MAX / 2)
		return NULL;
	out_len = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
	out = malloc(out_len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		out[j++] = b64url[(v >> 18) & 63];
		out[j++] = b64url[(v >> 12) & 63];
		if (left > 1)
			out[j++] = b64url[(v >> 6) & 63];
		if (left > 2)
			out[j++] = b64url[v & 63];
	}
	out[j] = '\0';
	return out;
}

static int unb64url(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int cu_base64url_decode(const char *in, size_t in_len, uint8_t **ret, size_t *ret_size)
{
	size_t out_size, j = 0;
	uint8_t *out;

	if (in_len % 4 == 1)
		return CU_ERR_MALFORMED;
	for (size_t i = 0; i < in_len; i++)
		if (unb64url(in[i]) < 0)
			return CU_ERR_MALFORMED;
	/* Unused trailing bits must be zero (canonical encoding). */
	if (in_len % 4 == 2 && (unb64url(in[in_len - 1]) & 0x0f))
		return CU_ERR_MALFORMED;
	if (in_len % 4 == 3 && (unb64url(in[in_len - 1]) & 0x03))
		return CU_ERR_MALFORMED;

	out_size = in_len / 4 * 3 + (in_len % 4 ? in_len % 4 - 1 : 0);
	out = malloc(out_size ? out_size : 1);
	if (!out)
		return CU_ERR_NOMEM;
	for (size_t i = 0; i < in_len; i += 4) {
		size_t left = in_len - i;
		uint32_t v = (uint32_t)unb64url(in[i]) << 18 | (uint32_t)unb64url(in[i + 1]) << 12;

		if (left > 2)
			v |= (uint32_t)unb64url(in[i + 2]) << 6;
		if (left > 3)
			v |= (uint32_t)unb64url(in[i + 3]);
		out[j++] = (uint8_t)(v >> 16);
		if (left > 2)
			out[j++] = (uint8_t)(v >> 8);
		if (left > 3)
			out[j++] = (uint8_t)v;
	}
	*ret = out;
	*ret_size = out_size;
	return 0;
}

int cu_base64_decode(const char *in, size_t in_len, uint8_t **ret, size_t *ret_size)
{
	char *url;
	size_t n = in_len;
	int r;

	/* Standard base64 is base64url with two other characters, and padding. */
	if (in_len % 4)
		return CU_ERR_MALFORMED;
	while (n > 0 && in_len - n < 2 && in[n - 1] == '=')
		n--;
	if (!(url = malloc(n + 1)))
		return CU_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c == '-' || c == '_' || c == '=') {
			free(url);
			return CU_ERR_MALFORMED;
		}
		url[i] = c == '+' ? '-' : c == '/' ? '_' : c;
	}
	r = cu_base64url_decode(url, n, ret, ret_size);
	free(url);
	return r;
}

void cu_utf8_trim_partial(char *s)
{
	size_t i = strlen(s), cont = 0, need;
	unsigned char lead;

	while (i > 0 && cont < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	if (lead < 0x80)
		return;
	need = (lead & 0xe0) == 0xc0   ? 1
	       : (lead & 0xf0) == 0xe0 ? 2
	       : (lead & 0xf8) == 0xf0 ? 3
	                               : 0;
	if (cont < need)
		s[i - 1] = '\0';
}

char *cu_base64_encode_alloc(const uint8_t *in, size_t n)
{
	char *out;

	if (n > INT32_MAX / 4 * 3 - 3)
		return NULL;
	out = malloc(4 * ((n + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}
