/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "bytes.h"

static bool take(struct cu_bytes *b, size_t n, const uint8_t **ret)
{
	if (b->size < n)
		return false;
	*ret = b->data;
	b->data += n;
	b->size -= n;
	return true;
}

static bool get_le(struct cu_bytes *b, size_t n, uint64_t *ret)
{
	const uint8_t *p;
	uint64_t v = 0;

	if (!take(b, n, &p))
		return false;
	for (size_t i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	*ret = v;
	return true;
}

static bool get_be(struct cu_bytes *b, size_t n, uint64_t *ret)
{
	const uint8_t *p;
	uint64_t v = 0;

	if (!take(b, n, &p))
		return false;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*ret = v;
	return true;
}

bool cu_bytes_get_u8(struct cu_bytes *b, uint8_t *ret)
{
	uint64_t v;

	if (!get_le(b, 1, &v))
		return false;
	*ret = (uint8_t)v;
	return true;
}

#define DEFINE_GETTER(name, type, n, fn)                                                           \
	bool name(struct cu_bytes *b, type *ret)                                                   \
	{                                                                                          \
		uint64_t v;                                                                        \
		if (!fn(b, n, &v))                                                                 \
			return false;                                                              \
		*ret = (type)v;                                                                    \
		return true;                                                                       \
	}

DEFINE_GETTER(cu_bytes_get_u16le, uint16_t, 2, get_le)
DEFINE_GETTER(cu_bytes_get_u32le, uint32_t, 4, get_le)
DEFINE_GETTER(cu_bytes_get_u64le, uint64_t, 8, get_le)
DEFINE_GETTER(cu_bytes_get_u16be, uint16_t, 2, get_be)
DEFINE_GETTER(cu_bytes_get_u32be, uint32_t, 4, get_be)
DEFINE_GETTER(cu_bytes_get_u64be, uint64_t, 8, get_be)

bool cu_bytes_get_bytes(struct cu_bytes *b, size_t n, struct cu_bytes *ret)
{
	const uint8_t *p;

	if (!take(b, n, &p))
		return false;
	ret->data = p;
	ret->size = n;
	ret->origin = b->origin;
	return true;
}

bool cu_bytes_copy(struct cu_bytes *b, void *out, size_t n)
{
	const uint8_t *p;

	if (!take(b, n, &p))
		return false;
	if (n)
		memcpy(out, p, n);
	return true;
}

bool cu_bytes_skip(struct cu_bytes *b, size_t n)
{
	const uint8_t *p;

	return take(b, n, &p);
}

bool cu_bytes_expect_zero(struct cu_bytes *b, size_t n, size_t *ret_bad_offset)
{
	const uint8_t *p;

	if (b->size < n) {
		if (ret_bad_offset)
			*ret_bad_offset = (size_t)-1;
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (b->data[i] != 0) {
			if (ret_bad_offset)
				*ret_bad_offset = cu_bytes_offset(b) + i;
			return false;
		}
	return take(b, n, &p);
}

bool cu_mem_all_zero(const void *p, size_t n)
{
	const uint8_t *d = p;
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= d[i];
	return acc == 0;
}
