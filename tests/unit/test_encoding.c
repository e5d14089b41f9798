/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/base/encoding.c: hex and unpadded base64url. */
#include <stdlib.h>
#include <string.h>

#include "../../src/base/encoding.h"
#include "test-util.h"

#define PATTERN 0xa5

/* ---- hex ---- */

static void test_hex_encode(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof(in) + 1];
	char *s;

	memset(out, 'X', sizeof(out));
	cu_hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "00017f80abcdefff");

	cu_hex_encode(in, 0, out);
	assert_string_equal(out, "");

	s = cu_hex_encode_alloc(in, sizeof(in));
	assert_non_null(s);
	assert_string_equal(s, "00017f80abcdefff");
	free(s);

	s = cu_hex_encode_alloc(in, 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void test_hex_decode(void **state)
{
	static const uint8_t want[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x9a };
	uint8_t out[6];

	memset(out, 0, sizeof(out));
	assert_int_equal(cu_hex_decode("deadbeef019a", 12, out, 6), 0);
	assert_memory_equal(out, want, 6);

	memset(out, 0, sizeof(out));
	assert_int_equal(cu_hex_decode("DEADBEEF019A", 12, out, 6), 0);
	assert_memory_equal(out, want, 6);

	memset(out, 0, sizeof(out));
	assert_int_equal(cu_hex_decode("DeAdbEeF019A", 12, out, 6), 0);
	assert_memory_equal(out, want, 6);

	/* in_len, not the NUL terminator, bounds the input. */
	memset(out, 0, sizeof(out));
	assert_int_equal(cu_hex_decode("deadbeefXXXX", 4, out, 2), 0);
	assert_memory_equal(out, want, 2);

	/* Zero length. */
	assert_int_equal(cu_hex_decode("", 0, out, 0), 0);
}

static void assert_hex_rejected(const char *in, size_t in_len, size_t out_size)
{
	uint8_t out[16], pattern[16];

	assert_true(out_size <= sizeof(out));
	memset(out, PATTERN, sizeof(out));
	memset(pattern, PATTERN, sizeof(pattern));
	assert_int_equal(cu_hex_decode(in, in_len, out, out_size), CU_ERR_MALFORMED);
	assert_memory_equal(out, pattern, sizeof(out));
}

static void test_hex_decode_rejects(void **state)
{
	/* Odd length. */
	assert_hex_rejected("abc", 3, 1);
	assert_hex_rejected("abc", 3, 2);
	/* Bad characters, at the start, middle and end. */
	assert_hex_rejected("g0", 2, 1);
	assert_hex_rejected("00zz00", 6, 3);
	assert_hex_rejected("000G", 4, 2);
	assert_hex_rejected(" 0", 2, 1);
	assert_hex_rejected("0x00", 4, 2);
	assert_hex_rejected("-1", 2, 1);
	assert_hex_rejected("0\0", 2, 1);
	/* A valid string with the wrong output size: too small and too large. */
	assert_hex_rejected("00112233", 8, 3);
	assert_hex_rejected("00112233", 8, 5);
	assert_hex_rejected("", 0, 1);
	assert_hex_rejected("00", 2, 0);
}

static void test_hex_decoded_size(void **state)
{
	assert_int_equal(cu_hex_decoded_size("", 0), 0);
	assert_int_equal(cu_hex_decoded_size("00", 2), 1);
	assert_int_equal(cu_hex_decoded_size("00aAfF99", 8), 4);
	assert_int_equal(cu_hex_decoded_size("abc", 3), -1);
	assert_int_equal(cu_hex_decoded_size("a", 1), -1);
	assert_int_equal(cu_hex_decoded_size("zz", 2), -1);
	assert_int_equal(cu_hex_decoded_size("00 0", 4), -1);
	/* Only in_len bytes are looked at. */
	assert_int_equal(cu_hex_decoded_size("00zz", 2), 1);
}

static void test_hex_round_trip(void **state)
{
	uint8_t in[64], out[64];
	char hex[129];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(in); n++) {
		cu_hex_encode(in, n, hex);
		assert_int_equal(strlen(hex), 2 * n);
		assert_int_equal(cu_hex_decoded_size(hex, 2 * n), (long)n);
		memset(out, 0, sizeof(out));
		assert_int_equal(cu_hex_decode(hex, 2 * n, out, n), 0);
		assert_memory_equal(out, in, n);
	}
}

/* ---- base64url ---- */

static void assert_b64_decodes(const char *in, const void *want, size_t want_size)
{
	uint8_t *out = NULL;
	size_t size = 12345;

	assert_int_equal(cu_base64url_decode(in, strlen(in), &out, &size), 0);
	assert_non_null(out);
	assert_int_equal(size, want_size);
	if (want_size)
		assert_memory_equal(out, want, want_size);
	free(out);
}

static void assert_b64_encodes(const void *in, size_t n, const char *want)
{
	char *s = cu_base64url_encode_alloc(in, n);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void assert_b64_rejected_len(const char *in, size_t in_len)
{
	uint8_t sentinel = 0;
	uint8_t *out = &sentinel;
	size_t size = 12345;

	assert_int_equal(cu_base64url_decode(in, in_len, &out, &size), CU_ERR_MALFORMED);
	assert_ptr_equal(out, &sentinel);
	assert_int_equal(size, 12345);
}

static void assert_b64_rejected(const char *in)
{
	assert_b64_rejected_len(in, strlen(in));
}

/* RFC 4648 section 10, unpadded (all in the common part of both alphabets). */
static void test_b64_rfc4648_vectors(void **state)
{
	static const struct {
		const char *plain;
		const char *enc;
	} v[] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_b64_encodes(v[i].plain, strlen(v[i].plain), v[i].enc);
		assert_b64_decodes(v[i].enc, v[i].plain, strlen(v[i].plain));
	}
}

/* The url alphabet: '-' and '_' where the standard one has '+' and '/'. */
static void test_b64_url_alphabet(void **state)
{
	static const uint8_t a[] = { 0xfb, 0xff, 0xbf };
	static const uint8_t b[] = { 0xfb, 0xff };
	static const uint8_t c[] = { 0xff };
	static const uint8_t d[] = { 0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30,
		                     0xd3, 0x8f, 0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96,
		                     0x9b, 0x71, 0xd7, 0x9f, 0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7,
		                     0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf, 0xc3, 0x1c, 0xb3, 0xd3,
		                     0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf };

	assert_b64_encodes(a, sizeof(a), "-_-_");
	assert_b64_decodes("-_-_", a, sizeof(a));
	assert_b64_encodes(b, sizeof(b), "-_8");
	assert_b64_decodes("-_8", b, sizeof(b));
	assert_b64_encodes(c, sizeof(c), "_w");
	assert_b64_decodes("_w", c, sizeof(c));
	/* Every symbol of the alphabet, in order. */
	assert_b64_encodes(d, sizeof(d),
	                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	assert_b64_decodes("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", d,
	                   sizeof(d));
}

static void test_b64_round_trip(void **state)
{
	uint8_t in[64];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 73 + 201);
	for (size_t n = 0; n <= sizeof(in); n++) {
		char *s = cu_base64url_encode_alloc(in, n);
		uint8_t *out = NULL;
		size_t size = 12345;

		assert_non_null(s);
		assert_int_equal(strlen(s), (4 * n + 2) / 3);
		assert_null(strchr(s, '='));
		assert_null(strchr(s, '+'));
		assert_null(strchr(s, '/'));
		assert_int_equal(cu_base64url_decode(s, strlen(s), &out, &size), 0);
		assert_non_null(out);
		assert_int_equal(size, n);
		if (n)
			assert_memory_equal(out, in, n);
		free(out);
		free(s);
	}
}

static void test_b64_rejects(void **state)
{
	/* Padding. */
	assert_b64_rejected("Zg==");
	assert_b64_rejected("Zm8=");
	assert_b64_rejected("Zg=");
	assert_b64_rejected("=");
	assert_b64_rejected("====");
	/* The standard alphabet. */
	assert_b64_rejected("-_+/");
	assert_b64_rejected("+w");
	assert_b64_rejected("/w");
	/* Whitespace anywhere. */
	assert_b64_rejected("Zm9v Yg");
	assert_b64_rejected(" Zm9v");
	assert_b64_rejected("Zm9v\n");
	assert_b64_rejected("Zm9v\r\nYmFy");
	assert_b64_rejected("Zm\t9v");
	/* Other characters. */
	assert_b64_rejected("Zm9v.");
	assert_b64_rejected("Zm9*");
	assert_b64_rejected("Zm9\x80");
	/* An embedded NUL, counted by in_len. */
	assert_b64_rejected_len("Zm\0v", 4);
	assert_b64_rejected_len("Zg\0", 3);
	/* Impossible lengths. */
	assert_b64_rejected("Z");
	assert_b64_rejected("Zm9vY");
	assert_b64_rejected("Zm9vYmFyZ");
	/* Non-canonical trailing bits. */
	assert_b64_rejected("Zh"); /* 'h' leaves 0001 in the unused bits */
	assert_b64_rejected("Zv");
	assert_b64_rejected("Zm9"); /* '9' leaves 01 */
	assert_b64_rejected("Zm-");
	assert_b64_rejected("Zm9vYh");
	assert_b64_rejected("Zm9vYmF");
	assert_b64_rejected("__");
	assert_b64_rejected("___");
}

static void test_b64_canonical_neighbours(void **state)
{
	/* The canonical spellings next to the rejected ones decode. */
	assert_b64_decodes("Zg", "f", 1);
	assert_b64_decodes("Zm8", "fo", 2);
	assert_b64_decodes("_w", "\xff", 1);
	assert_b64_decodes("__8", "\xff\xff", 2);
}

static void test_b64_only_in_len(void **state)
{
	uint8_t *out = NULL;
	size_t size = 0;

	/* Bytes past in_len are not read. */
	assert_int_equal(cu_base64url_decode("Zm9v====", 4, &out, &size), 0);
	assert_int_equal(size, 3);
	assert_memory_equal(out, "foo", 3);
	free(out);

	out = NULL;
	assert_int_equal(cu_base64url_decode("", 0, &out, &size), 0);
	assert_non_null(out);
	assert_int_equal(size, 0);
	free(out);
}

/* Cutting a string to fit must not leave half a UTF-8 character behind. */
static void test_utf8_trim_partial(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "abc", "abc" },
		{ "a\xc3\xa9", "a\xc3\xa9" },                 /* complete 2-byte sequence */
		{ "a\xc3", "a" },                             /* lead byte alone */
		{ "a\xe2\x82", "a" },                         /* 2 of 3 bytes */
		{ "a\xe2\x82\xac", "a\xe2\x82\xac" },         /* complete euro sign */
		{ "a\xf0\x9f\x98", "a" },                     /* 3 of 4 bytes */
		{ "a\xf0\x9f\x98\x80", "a\xf0\x9f\x98\x80" }, /* complete emoji */
		{ "\xc3\xa9\xc3", "\xc3\xa9" },               /* complete, then a cut one */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[16];

		strcpy(buf, cases[i].in);
		cu_utf8_trim_partial(buf);
		assert_string_equal(buf, cases[i].out);
	}
}

/* Standard base64 with padding, as Trustee guests encode quotes. */
static void test_base64_std(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = { { "", "" },
		     { "QQ==", "A" },
		     { "QUI=", "AB" },
		     { "QUJD", "ABC" },
		     { "+/8=", "\xfb\xff" } };
	static const char *const bad[] = { "QQ", "QQ=", "Q===", "QQ=A", "-_8=", "QR==", "QU J" };
	uint8_t *out;
	size_t size;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(cu_base64_decode(good[i].in, strlen(good[i].in), &out, &size), 0);
		assert_int_equal(size, strlen(good[i].out));
		assert_memory_equal(out, good[i].out, size);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cu_base64_decode(bad[i], strlen(bad[i]), &out, &size),
		                 CU_ERR_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_std),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_decode_rejects),
		cmocka_unit_test(test_hex_decoded_size),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_b64_rfc4648_vectors),
		cmocka_unit_test(test_b64_url_alphabet),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_rejects),
		cmocka_unit_test(test_b64_canonical_neighbours),
		cmocka_unit_test(test_b64_only_in_len),
		cmocka_unit_test(test_utf8_trim_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
