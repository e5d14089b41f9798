/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bounded byte reader (STYLE.md practice 1), after BoringSSL's CBS.
 *
 * A struct cu_bytes is a non-owning view of `size` bytes at `data`. Every
 * getter checks the bounds first and, on failure, leaves both the view and
 * its output untouched and returns false. Parsers read field by field into
 * host structures and keep sub-views of the regions they must hash or sign.
 */
#ifndef CU_BASE_BYTES_H
#define CU_BASE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct cu_bytes {
	const uint8_t *data;
	size_t size;
	const uint8_t *origin; /* start of the outermost view, for offsets in messages */
};

static inline void cu_bytes_init(struct cu_bytes *b, const void *data, size_t size)
{
	b->data = data;
	b->size = size;
	b->origin = data;
}

static inline size_t cu_bytes_size(const struct cu_bytes *b)
{
	return b->size;
}

static inline bool cu_bytes_is_empty(const struct cu_bytes *b)
{
	return b->size == 0;
}

/* Offset of the next unread byte from the start of the outermost view. */
static inline size_t cu_bytes_offset(const struct cu_bytes *b)
{
	return (size_t)(b->data - b->origin);
}

bool cu_bytes_get_u8(struct cu_bytes *b, uint8_t *ret) _must_check_;
bool cu_bytes_get_u16le(struct cu_bytes *b, uint16_t *ret) _must_check_;
bool cu_bytes_get_u32le(struct cu_bytes *b, uint32_t *ret) _must_check_;
bool cu_bytes_get_u64le(struct cu_bytes *b, uint64_t *ret) _must_check_;
bool cu_bytes_get_u16be(struct cu_bytes *b, uint16_t *ret) _must_check_;
bool cu_bytes_get_u32be(struct cu_bytes *b, uint32_t *ret) _must_check_;
bool cu_bytes_get_u64be(struct cu_bytes *b, uint64_t *ret) _must_check_;

/* Take the next n bytes as a sub-view (sharing the origin). */
bool cu_bytes_get_bytes(struct cu_bytes *b, size_t n, struct cu_bytes *ret) _must_check_;

/* Copy the next n bytes into out. */
bool cu_bytes_copy(struct cu_bytes *b, void *out, size_t n) _must_check_;

/* Skip n bytes. */
bool cu_bytes_skip(struct cu_bytes *b, size_t n) _must_check_;

/*
 * Consume n bytes that must all be zero (reserved fields). Returns false and
 * leaves the view untouched when fewer than n bytes remain or one is non-zero;
 * *ret_bad_offset (if given) is then the offset of the first non-zero byte, or
 * (size_t)-1 when the input was too short.
 */
bool cu_bytes_expect_zero(struct cu_bytes *b, size_t n, size_t *ret_bad_offset) _must_check_;

/* True when all n bytes at p are zero (n == 0 is all zero). Constant time in n. */
bool cu_mem_all_zero(const void *p, size_t n);

/* True when all bytes of the view are zero (an empty view is all zero). */
static inline bool cu_bytes_all_zero(const struct cu_bytes *b)
{
	return cu_mem_all_zero(b->data, b->size);
}

#endif
