/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/base/bytes.c: the bounded reader (STYLE.md practices 1 and 12). */
#include <string.h>

#include "../../src/base/bytes.h"
#include "test-util.h"

#define PATTERN 0xa5

static const uint8_t data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	                        0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 };

/* Assert that two views are identical (same pointer, size and origin). */
static void assert_view_equal(const struct cu_bytes *a, const struct cu_bytes *b)
{
	assert_ptr_equal(a->data, b->data);
	assert_int_equal(a->size, b->size);
	assert_ptr_equal(a->origin, b->origin);
}

static void test_init(void **state)
{
	struct cu_bytes b;

	cu_bytes_init(&b, data, sizeof(data));
	assert_ptr_equal(b.data, data);
	assert_ptr_equal(b.origin, data);
	assert_int_equal(cu_bytes_size(&b), sizeof(data));
	assert_int_equal(cu_bytes_offset(&b), 0);
	assert_false(cu_bytes_is_empty(&b));

	cu_bytes_init(&b, data, 0);
	assert_true(cu_bytes_is_empty(&b));
	assert_int_equal(cu_bytes_size(&b), 0);
}

static void test_u8(void **state)
{
	struct cu_bytes b, saved;
	uint8_t v = PATTERN;

	cu_bytes_init(&b, data, 2);
	assert_true(cu_bytes_get_u8(&b, &v));
	assert_int_equal(v, 0x01);
	assert_int_equal(cu_bytes_offset(&b), 1);
	assert_true(cu_bytes_get_u8(&b, &v));
	assert_int_equal(v, 0x02);
	assert_int_equal(cu_bytes_offset(&b), 2);
	assert_true(cu_bytes_is_empty(&b));

	/* Failure: view and output untouched. */
	v = PATTERN;
	saved = b;
	assert_false(cu_bytes_get_u8(&b, &v));
	assert_int_equal(v, PATTERN);
	assert_view_equal(&b, &saved);
}

static void test_le(void **state)
{
	struct cu_bytes b;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	cu_bytes_init(&b, data, sizeof(data));
	assert_true(cu_bytes_get_u16le(&b, &v16));
	assert_int_equal(v16, 0x0201);
	assert_int_equal(cu_bytes_offset(&b), 2);
	assert_true(cu_bytes_get_u32le(&b, &v32));
	assert_int_equal(v32, 0x06050403);
	assert_int_equal(cu_bytes_offset(&b), 6);
	assert_true(cu_bytes_get_u64le(&b, &v64));
	assert_true(v64 == UINT64_C(0x0e0d0c0b0a090807));
	assert_int_equal(cu_bytes_offset(&b), 14);
	assert_int_equal(cu_bytes_size(&b), 2);
}

static void test_be(void **state)
{
	struct cu_bytes b;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	cu_bytes_init(&b, data, sizeof(data));
	assert_true(cu_bytes_get_u16be(&b, &v16));
	assert_int_equal(v16, 0x0102);
	assert_true(cu_bytes_get_u32be(&b, &v32));
	assert_int_equal(v32, 0x03040506);
	assert_true(cu_bytes_get_u64be(&b, &v64));
	assert_true(v64 == UINT64_C(0x0708090a0b0c0d0e));
	assert_int_equal(cu_bytes_offset(&b), 14);
	assert_int_equal(cu_bytes_size(&b), 2);
}

static void test_high_bits(void **state)
{
	static const uint8_t ff[8] = { 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0x80 };
	struct cu_bytes b;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	/* No sign extension or truncation at the top bits. */
	cu_bytes_init(&b, ff, sizeof(ff));
	assert_true(cu_bytes_get_u64le(&b, &v64));
	assert_true(v64 == UINT64_C(0x80f9fafbfcfdfeff));
	cu_bytes_init(&b, ff, sizeof(ff));
	assert_true(cu_bytes_get_u64be(&b, &v64));
	assert_true(v64 == UINT64_C(0xfffefdfcfbfaf980));
	cu_bytes_init(&b, ff, sizeof(ff));
	assert_true(cu_bytes_get_u32be(&b, &v32));
	assert_true(v32 == UINT32_C(0xfffefdfc));
	assert_true(cu_bytes_get_u16le(&b, &v16));
	assert_int_equal(v16, 0xfafb);
}

/* Each multi-byte getter fails on every input shorter than its width. */
static void test_short_input(void **state)
{
	for (size_t avail = 0; avail < 8; avail++) {
		struct cu_bytes b, saved;
		uint16_t v16 = 0xa5a5;
		uint32_t v32 = 0xa5a5a5a5u;
		uint64_t v64 = UINT64_C(0xa5a5a5a5a5a5a5a5);

		/* Start one byte in, so that the offset is non-trivial. */
		cu_bytes_init(&b, data, avail + 1);
		assert_true(cu_bytes_skip(&b, 1));
		saved = b;

		if (avail < 2) {
			assert_false(cu_bytes_get_u16le(&b, &v16));
			assert_false(cu_bytes_get_u16be(&b, &v16));
			assert_int_equal(v16, 0xa5a5);
			assert_view_equal(&b, &saved);
		}
		if (avail < 4) {
			assert_false(cu_bytes_get_u32le(&b, &v32));
			assert_false(cu_bytes_get_u32be(&b, &v32));
			assert_true(v32 == 0xa5a5a5a5u);
			assert_view_equal(&b, &saved);
		}
		assert_false(cu_bytes_get_u64le(&b, &v64));
		assert_false(cu_bytes_get_u64be(&b, &v64));
		assert_true(v64 == UINT64_C(0xa5a5a5a5a5a5a5a5));
		assert_view_equal(&b, &saved);
		assert_int_equal(cu_bytes_offset(&b), 1);
	}
}

static void test_get_bytes(void **state)
{
	struct cu_bytes b, sub, sub2, saved, out;
	uint8_t v;
	uint32_t v32;

	cu_bytes_init(&b, data, sizeof(data));
	assert_true(cu_bytes_skip(&b, 3));
	assert_true(cu_bytes_get_bytes(&b, 8, &sub));
	assert_ptr_equal(sub.data, data + 3);
	assert_int_equal(cu_bytes_size(&sub), 8);
	assert_ptr_equal(sub.origin, data);
	assert_int_equal(cu_bytes_offset(&b), 11);
	assert_int_equal(cu_bytes_size(&b), 5);

	/* Offsets inside the sub-view count from the outermost view. */
	assert_int_equal(cu_bytes_offset(&sub), 3);
	assert_true(cu_bytes_get_u8(&sub, &v));
	assert_int_equal(v, 0x04);
	assert_int_equal(cu_bytes_offset(&sub), 4);

	/* A sub-view of a sub-view still shares the origin. */
	assert_true(cu_bytes_get_bytes(&sub, 4, &sub2));
	assert_ptr_equal(sub2.origin, data);
	assert_int_equal(cu_bytes_offset(&sub2), 4);
	assert_true(cu_bytes_get_u32be(&sub2, &v32));
	assert_int_equal(v32, 0x05060708);
	assert_int_equal(cu_bytes_offset(&sub2), 8);
	assert_true(cu_bytes_is_empty(&sub2));
	assert_int_equal(cu_bytes_offset(&sub), 8);
	assert_int_equal(cu_bytes_size(&sub), 3);

	/* The sub-view is bounded: it cannot read into the parent's remaining bytes. */
	saved = sub;
	v = PATTERN;
	assert_false(cu_bytes_skip(&sub, 4));
	assert_view_equal(&sub, &saved);
	assert_true(cu_bytes_skip(&sub, 3));
	assert_false(cu_bytes_get_u8(&sub, &v));
	assert_int_equal(v, PATTERN);

	/* Failure leaves both the view and the output untouched. */
	memset(&out, PATTERN, sizeof(out));
	saved = b;
	assert_false(cu_bytes_get_bytes(&b, 6, &out));
	assert_view_equal(&b, &saved);
	{
		struct cu_bytes pattern;

		memset(&pattern, PATTERN, sizeof(pattern));
		assert_memory_equal(&out, &pattern, sizeof(out));
	}

	/* Exactly the rest. */
	assert_true(cu_bytes_get_bytes(&b, 5, &out));
	assert_int_equal(cu_bytes_size(&out), 5);
	assert_true(cu_bytes_is_empty(&b));
	assert_int_equal(cu_bytes_offset(&b), sizeof(data));
}

static void test_get_bytes_huge(void **state)
{
	struct cu_bytes b, saved, out;

	cu_bytes_init(&b, data, sizeof(data));
	saved = b;
	memset(&out, PATTERN, sizeof(out));
	assert_false(cu_bytes_get_bytes(&b, SIZE_MAX, &out));
	assert_false(cu_bytes_skip(&b, SIZE_MAX));
	assert_view_equal(&b, &saved);
	assert_int_equal(((uint8_t *)&out)[0], PATTERN);
}

static void test_copy(void **state)
{
	struct cu_bytes b, saved;
	uint8_t out[8], pattern[8];

	cu_bytes_init(&b, data, sizeof(data));
	assert_true(cu_bytes_skip(&b, 10));
	assert_true(cu_bytes_copy(&b, out, 4));
	assert_memory_equal(out, data + 10, 4);
	assert_int_equal(cu_bytes_offset(&b), 14);

	memset(out, PATTERN, sizeof(out));
	memset(pattern, PATTERN, sizeof(pattern));
	saved = b;
	assert_false(cu_bytes_copy(&b, out, 3));
	assert_memory_equal(out, pattern, sizeof(out));
	assert_view_equal(&b, &saved);

	assert_true(cu_bytes_copy(&b, out, 2));
	assert_memory_equal(out, data + 14, 2);
	assert_memory_equal(out + 2, pattern, 6);
	assert_true(cu_bytes_is_empty(&b));
}

static void test_skip(void **state)
{
	struct cu_bytes b, saved;

	cu_bytes_init(&b, data, sizeof(data));
	assert_true(cu_bytes_skip(&b, 5));
	assert_int_equal(cu_bytes_offset(&b), 5);
	assert_ptr_equal(b.data, data + 5);
	saved = b;
	assert_false(cu_bytes_skip(&b, sizeof(data) - 4));
	assert_view_equal(&b, &saved);
	assert_true(cu_bytes_skip(&b, sizeof(data) - 5));
	assert_true(cu_bytes_is_empty(&b));
	assert_int_equal(cu_bytes_offset(&b), sizeof(data));
}

static void test_zero_length(void **state)
{
	struct cu_bytes b, saved, sub;
	uint8_t out[4], pattern[4];
	size_t bad = 12345;

	memset(out, PATTERN, sizeof(out));
	memset(pattern, PATTERN, sizeof(pattern));

	/* On a non-empty view. */
	cu_bytes_init(&b, data, sizeof(data));
	assert_true(cu_bytes_skip(&b, 2));
	saved = b;
	assert_true(cu_bytes_skip(&b, 0));
	assert_view_equal(&b, &saved);
	assert_true(cu_bytes_copy(&b, out, 0));
	assert_memory_equal(out, pattern, sizeof(out));
	assert_view_equal(&b, &saved);
	assert_true(cu_bytes_get_bytes(&b, 0, &sub));
	assert_int_equal(cu_bytes_size(&sub), 0);
	assert_true(cu_bytes_is_empty(&sub));
	assert_int_equal(cu_bytes_offset(&sub), 2);
	assert_true(cu_bytes_all_zero(&sub));
	assert_view_equal(&b, &saved);
	assert_true(cu_bytes_expect_zero(&b, 0, &bad));
	assert_int_equal(bad, 12345);
	assert_view_equal(&b, &saved);

	/* On an empty view. */
	cu_bytes_init(&b, data, 0);
	assert_true(cu_bytes_skip(&b, 0));
	assert_true(cu_bytes_copy(&b, out, 0));
	assert_true(cu_bytes_copy(&b, NULL, 0));
	assert_true(cu_bytes_get_bytes(&b, 0, &sub));
	assert_true(cu_bytes_expect_zero(&b, 0, NULL));
	assert_true(cu_bytes_all_zero(&b));
	assert_memory_equal(out, pattern, sizeof(out));
	assert_int_equal(cu_bytes_offset(&b), 0);
}

static void test_expect_zero(void **state)
{
	static const uint8_t buf[] = { 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0 };
	struct cu_bytes b, saved;
	size_t bad;

	cu_bytes_init(&b, buf, sizeof(buf));
	assert_true(cu_bytes_skip(&b, 1));
	bad = 777;
	assert_true(cu_bytes_expect_zero(&b, 5, &bad));
	assert_int_equal(bad, 777); /* untouched on success */
	assert_int_equal(cu_bytes_offset(&b), 6);

	/* A non-zero byte: its offset from the outermost view is reported. */
	saved = b;
	assert_false(cu_bytes_expect_zero(&b, 3, &bad));
	assert_int_equal(bad, 6);
	assert_view_equal(&b, &saved);

	/* Not at the first byte. */
	cu_bytes_init(&b, buf, sizeof(buf));
	assert_true(cu_bytes_skip(&b, 3));
	saved = b;
	assert_false(cu_bytes_expect_zero(&b, 4, &bad));
	assert_int_equal(bad, 6);
	assert_view_equal(&b, &saved);
	assert_false(cu_bytes_expect_zero(&b, 4, NULL));
	assert_view_equal(&b, &saved);
	assert_true(cu_bytes_expect_zero(&b, 3, NULL));
	assert_int_equal(cu_bytes_offset(&b), 6);

	/* Short input: (size_t)-1, even when the present bytes are zero. */
	cu_bytes_init(&b, buf, sizeof(buf));
	assert_true(cu_bytes_skip(&b, 7));
	saved = b;
	bad = 0;
	assert_false(cu_bytes_expect_zero(&b, 3, &bad));
	assert_true(bad == (size_t)-1);
	assert_view_equal(&b, &saved);
	assert_false(cu_bytes_expect_zero(&b, 3, NULL));
	assert_view_equal(&b, &saved);
	assert_true(cu_bytes_expect_zero(&b, 2, &bad));
	assert_true(cu_bytes_is_empty(&b));
}

static void test_expect_zero_in_sub_view(void **state)
{
	static const uint8_t buf[] = { 1, 2, 3, 4, 0, 0, 0, 9, 0 };
	struct cu_bytes b, sub;
	size_t bad = 0;

	cu_bytes_init(&b, buf, sizeof(buf));
	assert_true(cu_bytes_skip(&b, 4));
	assert_true(cu_bytes_get_bytes(&b, 5, &sub));
	assert_false(cu_bytes_expect_zero(&sub, 4, &bad));
	assert_int_equal(bad, 7);
	assert_int_equal(cu_bytes_offset(&sub), 4);
}

static void test_all_zero(void **state)
{
	static const uint8_t z[6] = { 0 };
	static const uint8_t nz[6] = { 0, 0, 0, 0, 0, 1 };
	struct cu_bytes b;

	cu_bytes_init(&b, z, sizeof(z));
	assert_true(cu_bytes_all_zero(&b));
	assert_int_equal(cu_bytes_offset(&b), 0); /* does not consume */
	assert_int_equal(cu_bytes_size(&b), sizeof(z));

	cu_bytes_init(&b, nz, sizeof(nz));
	assert_false(cu_bytes_all_zero(&b));
	assert_int_equal(cu_bytes_size(&b), sizeof(nz));
	cu_bytes_init(&b, nz, sizeof(nz) - 1);
	assert_true(cu_bytes_all_zero(&b));
	cu_bytes_init(&b, nz + 5, 1);
	assert_false(cu_bytes_all_zero(&b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_u8),
		cmocka_unit_test(test_le),
		cmocka_unit_test(test_be),
		cmocka_unit_test(test_high_bits),
		cmocka_unit_test(test_short_input),
		cmocka_unit_test(test_get_bytes),
		cmocka_unit_test(test_get_bytes_huge),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_expect_zero),
		cmocka_unit_test(test_expect_zero_in_sub_view),
		cmocka_unit_test(test_all_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
