/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/base/jcs.c: RFC 8785 canonical JSON. The RFC's examples
 * (sections 3.2.2 and 3.2.3, the number table of Appendix B), the KBS runtime
 * data, escaping, UTF-16 ordering of names, the I-JSON integer range, the
 * depth limit, and outputs left unchanged on failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/jcs.h"
#include "../../src/base/limits.h"
#include "test-util.h"

/* A pointer and a size that no function under test may produce: outputs left unchanged. */
static char sentinel_char;
#define SENTINEL      (&sentinel_char)
#define SENTINEL_SIZE ((size_t)0x5e5e5e5e)

/* Canonicalize j, which must succeed; the caller frees the result. */
static char *jcs_ok(const json_t *j)
{
	struct cu_error err = { 0 };
	char *out = SENTINEL;
	size_t n = SENTINEL_SIZE;

	assert_non_null(j);
	if (cu_jcs_serialize(j, &out, &n, &err) < 0)
		fail_msg("cu_jcs_serialize: %s", err.message);
	assert_non_null(out);
	assert_ptr_not_equal(out, SENTINEL);
	/* NUL-terminated, the size excludes the NUL, and no NUL inside. */
	assert_int_equal(strlen(out), n);
	return out;
}

/* Canonicalize j (taking the reference) and compare with `expect`. */
static void expect_jcs(json_t *j, const char *expect)
{
	char *out = jcs_ok(j);

	if (strcmp(out, expect) != 0)
		fail_msg("canonical form\n  got:    %s\n  wanted: %s", out, expect);
	free(out);
	json_decref(j);
}

/* Parse a JSON text (any value, NUL allowed) and compare its canonical form with `expect`. */
static void expect_jcs_text(const char *in, const char *expect)
{
	json_error_t jerr;
	json_t *j = json_loadb(in, strlen(in), JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

	if (!j)
		fail_msg("test input does not parse: %s: %s", jerr.text, in);
	expect_jcs(j, expect);
}

/* Expect canonicalization of j to fail with `code`, outputs unchanged; takes the reference. */
static void expect_fail(json_t *j, int code, const char *needle)
{
	struct cu_error err = { 0 };
	char *out = SENTINEL;
	size_t n = SENTINEL_SIZE;

	assert_non_null(j);
	assert_int_equal(cu_jcs_serialize(j, &out, &n, &err), code);
	assert_ptr_equal(out, SENTINEL);
	assert_int_equal(n, SENTINEL_SIZE);
	assert_int_equal(err.code, code);
	assert_non_null(err.stage);
	assert_string_equal(err.stage, "jcs");
	assert_memory_equal(err.message, "jcs: ", 5);
	if (needle && !strstr(err.message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
	/* Without an error struct: the same code, still no output. */
	assert_int_equal(cu_jcs_serialize(j, &out, &n, NULL), code);
	assert_ptr_equal(out, SENTINEL);
	json_decref(j);
}

static double from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* RFC 8785 section 3.2.2: the sample of all the rules together. */
static void test_rfc_sample(void **state)
{
	(void)state;
	expect_jcs_text(
	    "{\n"
	    "  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
	    "0.000000000000000000000000001],\n"
	    "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
	    "  \"literals\": [null, true, false]\n"
	    "}",
	    "{\"literals\":[null,true,false],"
	    "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
	    "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* RFC 8785 section 3.2.3: names sort by UTF-16 code units, not by UTF-8 bytes. */
static void test_rfc_sorting(void **state)
{
	(void)state;
	expect_jcs_text("{\n"
	                "  \"\\u20ac\": \"Euro Sign\",\n"
	                "  \"\\r\": \"Carriage Return\",\n"
	                "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
	                "  \"1\": \"One\",\n"
	                "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
	                "  \"\\u0080\": \"Control\",\n"
	                "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
	                "}",
	                "{\"\\r\":\"Carriage Return\","
	                "\"1\":\"One\","
	                "\"\xc2\x80\":\"Control\","
	                "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
	                "\"\xe2\x82\xac\":\"Euro Sign\","
	                "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	                "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* More orderings: prefixes, the empty name, the BMP above the surrogates against astral planes. */
static void test_sorting(void **state)
{
	(void)state;
	/* A name sorts before the names it is a prefix of; "" first. */
	expect_jcs_text("{\"ab\":3,\"a\":2,\"\":1,\"b\":4,\"B\":0}",
	                "{\"\":1,\"B\":0,\"a\":2,\"ab\":3,\"b\":4}");
	/*
	 * U+FFFF (EF BF BF, unit FFFF) against U+10000 (F0 90 80 80, units D800
	 * DC00) and U+E000 (EE 80 80): UTF-8 puts U+10000 last, UTF-16 before both.
	 */
	expect_jcs_text("{\"\\uffff\":1,\"\\ud800\\udc00\":2,\"\\ue000\":3,\"\\ud7ff\":4}",
	                "{\"\xed\x9f\xbf\":4,\"\xf0\x90\x80\x80\":2,\"\xee\x80\x80\":3,"
	                "\"\xef\xbf\xbf\":1}");
	/* Two astral characters: same high surrogate, then by the low one. */
	expect_jcs_text("{\"\\ud83d\\ude01\":1,\"\\ud83d\\ude00\":2,\"\\ud83c\\udf89\":3}",
	                "{\"\xf0\x9f\x8e\x89\":3,\"\xf0\x9f\x98\x80\":2,\"\xf0\x9f\x98\x81\":1}");
	/* The difference deep in the name, after an equal multi-byte prefix. */
	expect_jcs_text("{\"\\u00e9\\uffff\":1,\"\\u00e9\\ud83d\\ude00\":2,\"\\u00e9a\":3}",
	                "{\"\xc3\xa9"
	                "a\":3,\"\xc3\xa9\xf0\x9f\x98\x80\":2,\"\xc3\xa9\xef\xbf\xbf\":1}");
	/* Sorted at every level, arrays keep their order. */
	expect_jcs_text("[{\"b\":[{\"z\":1,\"y\":2}],\"a\":null},3,{\"d\":{},\"c\":[]}]",
	                "[{\"a\":null,\"b\":[{\"y\":2,\"z\":1}]},3,{\"c\":[],\"d\":{}}]");
}

/* The runtime data a KBS client binds into its evidence: sorted at both levels. */
static void test_kbs_runtime_data(void **state)
{
	static const char expect[] =
	    "{\"nonce\":\"8rsEXNoS0hiu0xhxAjRx1Yd8TcAwspsoxPuzxaVspLI\","
	    "\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\",\"crv\":\"P-256\",\"kty\":\"EC\","
	    "\"x\":\"ZvTQeYx8tSz6VG4mBR5Bt4kqjAgc1ZvQGzNPWbdxwQo\","
	    "\"y\":\"Xl1hLnCYLvy6Ep5xZdBZe7Z4r4pHqpQPvCTB6BkvGsQ\"}}";
	json_t *j;

	(void)state;
	j = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "nonce",
	              "8rsEXNoS0hiu0xhxAjRx1Yd8TcAwspsoxPuzxaVspLI", "tee-pubkey", "kty", "EC",
	              "crv", "P-256", "alg", "ECDH-ES+A256KW", "x",
	              "ZvTQeYx8tSz6VG4mBR5Bt4kqjAgc1ZvQGzNPWbdxwQo", "y",
	              "Xl1hLnCYLvy6Ep5xZdBZe7Z4r4pHqpQPvCTB6BkvGsQ");
	expect_jcs(j, expect);

	/* The same, pretty-printed and in another order, as a client may send it. */
	expect_jcs_text("{\n"
	                "  \"tee-pubkey\": {\n"
	                "    \"y\": \"Xl1hLnCYLvy6Ep5xZdBZe7Z4r4pHqpQPvCTB6BkvGsQ\",\n"
	                "    \"x\": \"ZvTQeYx8tSz6VG4mBR5Bt4kqjAgc1ZvQGzNPWbdxwQo\",\n"
	                "    \"alg\": \"ECDH-ES+A256KW\", \"kty\": \"EC\", \"crv\": \"P-256\"\n"
	                "  },\n"
	                "  \"nonce\": \"8rsEXNoS0hiu0xhxAjRx1Yd8TcAwspsoxPuzxaVspLI\"\n"
	                "}\n",
	                expect);
}

/* RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical forms. */
static const struct {
	uint64_t bits;
	const char *text;
} appendix_b[] = {
	{ 0x0000000000000000, "0" },
	{ 0x8000000000000000, "0" },
	{ 0x0000000000000001, "5e-324" },
	{ 0x8000000000000001, "-5e-324" },
	{ 0x7fefffffffffffff, "1.7976931348623157e+308" },
	{ 0xffefffffffffffff, "-1.7976931348623157e+308" },
	{ 0x4340000000000000, "9007199254740992" },
	{ 0xc340000000000000, "-9007199254740992" },
	{ 0x4430000000000000, "295147905179352830000" },
	{ 0x44b52d02c7e14af5, "9.999999999999997e+22" },
	{ 0x44b52d02c7e14af6, "1e+23" },
	{ 0x44b52d02c7e14af7, "1.0000000000000001e+23" },
	{ 0x444b1ae4d6e2ef4e, "999999999999999700000" },
	{ 0x444b1ae4d6e2ef4f, "999999999999999900000" },
	{ 0x444b1ae4d6e2ef50, "1e+21" },
	{ 0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7" },
	{ 0x3eb0c6f7a0b5ed8d, "0.000001" },
	{ 0x41b3de4355555553, "333333333.3333332" },
	{ 0x41b3de4355555554, "333333333.33333325" },
	{ 0x41b3de4355555555, "333333333.3333333" },
	{ 0x41b3de4355555556, "333333333.3333334" },
	{ 0x41b3de4355555557, "333333333.33333343" },
	{ 0xbecbf647612f3696, "-0.0000033333333333333333" },
	{ 0x43143ff3c1cb0959, "1424953923781206.2" },
};

static void test_appendix_b(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(appendix_b); i++) {
		double d = from_bits(appendix_b[i].bits);
		char buf[CU_JCS_NUMBER_MAX], wrapped[64];
		struct cu_error err = { 0 };

		assert_int_equal(cu_jcs_format_number(d, buf, &err), 0);
		if (strcmp(buf, appendix_b[i].text) != 0)
			fail_msg("%016llx: got %s, wanted %s",
			         (unsigned long long)appendix_b[i].bits, buf, appendix_b[i].text);
		/* The same through a jansson real, alone and in an array. */
		expect_jcs(json_real(d), appendix_b[i].text);
		snprintf(wrapped, sizeof(wrapped), "[%s]", appendix_b[i].text);
		expect_jcs(json_pack("[f]", d), wrapped);
	}
}

/* NaN and the infinities (Appendix B 7fffffffffffffff, 7ff0000000000000) are refused. */
static void test_nonfinite(void **state)
{
	const double bad[] = { from_bits(0x7fffffffffffffff), from_bits(0x7ff0000000000000),
		               from_bits(0xfff0000000000000), NAN };
	const char *names[] = { "NaN", "Infinity", "-Infinity", "NaN" };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct cu_error err = { 0 };
		char buf[CU_JCS_NUMBER_MAX] = "untouched";

		assert_int_equal(cu_jcs_format_number(bad[i], buf, &err), CU_ERR_UNSUPPORTED);
		assert_int_equal(err.code, CU_ERR_UNSUPPORTED);
		assert_string_equal(err.stage, "jcs");
		assert_non_null(strstr(err.message, names[i]));
		assert_string_equal(buf, "untouched");
		assert_int_equal(cu_jcs_format_number(bad[i], buf, NULL), CU_ERR_UNSUPPORTED);
		/* jansson has no real for them, so no document can carry one. */
		assert_null(json_real(bad[i]));
	}
}

/* Number::toString around its boundaries, and values checked against V8. */
static void test_numbers(void **state)
{
	static const struct {
		double d;
		const char *text;
	} t[] = {
		{ 1.0, "1" },
		{ -1.5, "-1.5" },
		{ 100.0, "100" },
		{ 0.1, "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 4.35, "4.35" },
		{ 0.5, "0.5" },
		/* Exponent from 1e21 up and below 1e-6 (n <= -6). */
		{ 1e21, "1e+21" },
		{ 1e22, "1e+22" },
		{ 1.2345678901234568e20, "123456789012345680000" },
		{ 1e20, "100000000000000000000" },
		{ 1e-6, "0.000001" },
		{ 1.5e-6, "0.0000015" },
		{ 1e-7, "1e-7" },
		{ 1.5e-7, "1.5e-7" },
		{ -1e-7, "-1e-7" },
		{ 123e-20, "1.23e-18" },
		{ 1e30, "1e+30" },
		/* Powers of two: the gap below is half the gap above. */
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" }, /* 2^-1022 */
		{ 8.98846567431158e307, "8.98846567431158e+307" },      /* 2^1023 */
		{ 9223372036854775808.0, "9223372036854776000" },       /* 2^63 */
		{ 1.5e-323, "1.5e-323" },
		{ -1e-323, "-1e-323" },
		/* Two shortest candidates as near: the even one (ECMA-262 6.1.6.1.20 step 5). */
		{ 1125899906842624.75, "1125899906842624.8" },
		{ 1125899906842624.25, "1125899906842624.2" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		char buf[CU_JCS_NUMBER_MAX];

		assert_int_equal(cu_jcs_format_number(t[i].d, buf, NULL), 0);
		if (strcmp(buf, t[i].text) != 0)
			fail_msg("%.17g: got %s, wanted %s", t[i].d, buf, t[i].text);
	}
	/* A real and an integer of the same value print alike. */
	expect_jcs(json_pack("[f,I,f,I]", 123.0, (json_int_t)123, -0.0, (json_int_t)0),
	           "[123,123,0,0]");
	/* Parsed from text: 1.0 and 1E2 are reals, -0 an integer, -0.0 a real. */
	expect_jcs_text("[1.0,1E2,-0,-0.0,1e-400,5E-324]", "[1,100,0,0,0,5e-324]");
}

/* Every double reads back from its canonical form, over a spread of bit patterns. */
static void test_numbers_round_trip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		char buf[CU_JCS_NUMBER_MAX];
		double d;

		/* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = from_bits(x);
		if (!isfinite(d))
			continue;
		assert_int_equal(cu_jcs_format_number(d, buf, NULL), 0);
		assert_true(strlen(buf) < CU_JCS_NUMBER_MAX);
		if (strtod(buf, NULL) != d && !(d == 0))
			fail_msg("%016llx: %s does not read back", (unsigned long long)x, buf);
	}
}

/* Integers: exact within [-2^53, 2^53], refused beyond (not exact in I-JSON). */
static void test_integers(void **state)
{
	const json_int_t p53 = (json_int_t)1 << 53;

	(void)state;
	expect_jcs(json_integer(0), "0");
	expect_jcs(json_integer(-1), "-1");
	expect_jcs(json_integer(p53), "9007199254740992");
	expect_jcs(json_integer(-p53), "-9007199254740992");
	expect_jcs(json_integer(p53 - 1), "9007199254740991");
	expect_jcs_text("[9007199254740992,-9007199254740992]",
	                "[9007199254740992,-9007199254740992]");

	expect_fail(json_integer(p53 + 1), CU_ERR_UNSUPPORTED,
	            "jcs: $: integer 9007199254740993 is outside [-2^53, 2^53]");
	expect_fail(json_integer(-p53 - 1), CU_ERR_UNSUPPORTED, "integer -9007199254740993");
	expect_fail(json_integer(INT64_MAX), CU_ERR_UNSUPPORTED, "9223372036854775807");
	expect_fail(json_integer(INT64_MIN), CU_ERR_UNSUPPORTED, "-9223372036854775808");
	/* The message names where the integer is. */
	expect_fail(json_loads("{\"a\":{\"b c\":[1,9007199254740993]}}", 0, NULL),
	            CU_ERR_UNSUPPORTED, "jcs: $.a.b c[1]: integer 9007199254740993");
	/* The same value as a real is a double, rounded when parsed: accepted. */
	expect_jcs_text("[9007199254740993.0]", "[9007199254740992]");
}

/* Strings: JSON.stringify's escapes, everything else literal. */
static void test_strings(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 0x20; c++) {
		char in = (char)c, expect[16];

		switch (c) {
		case '\b':
			strcpy(expect, "\"\\b\"");
			break;
		case '\t':
			strcpy(expect, "\"\\t\"");
			break;
		case '\n':
			strcpy(expect, "\"\\n\"");
			break;
		case '\f':
			strcpy(expect, "\"\\f\"");
			break;
		case '\r':
			strcpy(expect, "\"\\r\"");
			break;
		default:
			/* Lowercase hex: \u001f, not \u001F. */
			snprintf(expect, sizeof(expect), "\"\\u%04x\"", c);
		}
		expect_jcs(json_stringn(&in, 1), expect);
	}
	expect_jcs(json_string("\"\\"), "\"\\\"\\\\\"");
	/* Not escaped: '/', DEL, HTML characters, U+2028 and U+2029, astral characters. */
	expect_jcs(json_string("a/b\x7f<>&'"), "\"a/b\x7f<>&'\"");
	expect_jcs(json_string("\xe2\x80\xa8\xe2\x80\xa9"), "\"\xe2\x80\xa8\xe2\x80\xa9\"");
	expect_jcs_text("\"\\u2028\\u00e9\\ud83d\\ude00\\u007f\\/\"",
	                "\"\xe2\x80\xa8\xc3\xa9\xf0\x9f\x98\x80\x7f/\"");
	/* Runs of literal text between escapes. */
	expect_jcs(json_string("ab\tcd\n\nef\x01gh"), "\"ab\\tcd\\n\\nef\\u0001gh\"");
	expect_jcs(json_string(""), "\"\"");
	/* Literals and empty containers. */
	expect_jcs_text("[true,false,null,{},[],\"\"]", "[true,false,null,{},[],\"\"]");
	expect_jcs(json_null(), "null");
}

/* NUL inside strings (json_stringn, JSON_ALLOW_NUL) is written \u0000. */
static void test_nul(void **state)
{
	json_t *o;

	(void)state;
	expect_jcs(json_stringn("a\0b", 3), "\"a\\u0000b\"");
	expect_jcs(json_stringn("\0", 1), "\"\\u0000\"");
	expect_jcs_text("{\"k\":\"\\u0000x\\u0000\"}", "{\"k\":\"\\u0000x\\u0000\"}");
#if JANSSON_VERSION_HEX >= 0x020e00
	/* Names with NUL (json_object_setn): sorted by their whole length. */
	o = json_object();
	assert_non_null(o);
	assert_int_equal(json_object_setn_new(o, "ka", 2, json_integer(3)), 0);
	assert_int_equal(json_object_setn_new(o, "k\0x", 3, json_integer(2)), 0);
	assert_int_equal(json_object_setn_new(o, "k", 1, json_integer(1)), 0);
	expect_jcs(o, "{\"k\":1,\"k\\u0000x\":2,\"ka\":3}");
#else
	(void)o;
#endif
}

/* Strings that bypassed jansson's UTF-8 check (_nocheck) are refused, not copied. */
static void test_invalid_utf8(void **state)
{
	static const char *bad[] = {
		"\xff",             /* never valid */
		"a\x80",            /* stray continuation byte */
		"\xc0\x80",         /* overlong NUL */
		"\xe0\x80\xaf",     /* overlong '/' */
		"\xed\xa0\x80",     /* surrogate U+D800 */
		"\xf4\x90\x80\x80", /* above U+10FFFF */
		"\xe2\x82",         /* truncated */
		"\xc3(",            /* bad continuation */
	};
	json_t *o;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		expect_fail(json_string_nocheck(bad[i]), CU_ERR_MALFORMED,
		            "string is not valid UTF-8");
		o = json_object();
		assert_non_null(o);
		assert_int_equal(json_object_set_new_nocheck(o, "ok", json_true()), 0);
		assert_int_equal(json_object_set_new_nocheck(o, bad[i], json_true()), 0);
		expect_fail(o, CU_ERR_MALFORMED, "jcs: $: a member name is not valid UTF-8");
	}
	/* Where it is: the object with the name, not a sibling written before it. */
	o = json_object();
	assert_non_null(o);
	assert_int_equal(json_object_set_new_nocheck(o, "\xff", json_true()), 0);
	expect_fail(json_pack("{s:[i,[i]],s:o}", "a", 1, 2, "b", o), CU_ERR_MALFORMED,
	            "jcs: $.b: a member name is not valid UTF-8");
	expect_fail(json_pack("{s:[i,o]}", "list", 1, json_string_nocheck("x\xff")),
	            CU_ERR_MALFORMED, "jcs: $.list[1]: string is not valid UTF-8 (byte 1)");
}

static json_t *nest(unsigned levels, bool objects)
{
	json_t *v = json_integer(7);

	for (unsigned i = 0; i < levels; i++) {
		json_t *c = objects ? json_pack("{s:o}", "a", v) : json_pack("[o]", v);

		assert_non_null(c);
		v = c;
	}
	return v;
}

/* Arrays and objects nest at most CU_LIMIT_JSON_DEPTH deep. */
static void test_depth(void **state)
{
	char expect[4 * CU_LIMIT_JSON_DEPTH + 16], *p = expect;
	json_t *j;

	(void)state;
	assert_int_equal(CU_LIMIT_JSON_DEPTH, 64);
	/* At the limit: fine. */
	for (unsigned i = 0; i < CU_LIMIT_JSON_DEPTH; i++)
		*p++ = '[';
	*p++ = '7';
	for (unsigned i = 0; i < CU_LIMIT_JSON_DEPTH; i++)
		*p++ = ']';
	*p = '\0';
	expect_jcs(nest(CU_LIMIT_JSON_DEPTH, false), expect);
	j = nest(CU_LIMIT_JSON_DEPTH, true);
	free(jcs_ok(j));
	json_decref(j);
	/* One more: refused, arrays or objects or both. */
	expect_fail(nest(CU_LIMIT_JSON_DEPTH + 1, false), CU_ERR_TOO_LARGE,
	            "nested deeper than 64 levels");
	expect_fail(nest(CU_LIMIT_JSON_DEPTH + 1, true), CU_ERR_TOO_LARGE,
	            "jcs: $.a.a.a.a.a.a.a.a.a");
	expect_fail(json_pack("{s:o}", "x", nest(CU_LIMIT_JSON_DEPTH, false)), CU_ERR_TOO_LARGE,
	            "jcs: $.x[0][0][0]");
	/* Far deeper, as a parser that allows it gives. */
	expect_fail(nest(1000, false), CU_ERR_TOO_LARGE, "deeper than 64");
	/* Scalars do not count as a level. */
	j = nest(CU_LIMIT_JSON_DEPTH - 1, false);
	assert_int_equal(json_array_append_new(json_array_get(j, 0), json_string("s")), 0);
	free(jcs_ok(j));
	json_decref(j);
}

/* Arguments, error conventions, optional size. */
static void test_args(void **state)
{
	struct cu_error err = { 0 };
	char *out = SENTINEL;
	size_t n = SENTINEL_SIZE;
	json_t *j = json_pack("{s:i}", "a", 1);

	(void)state;
	assert_non_null(j);
	assert_int_equal(cu_jcs_serialize(NULL, &out, &n, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(err.code, CU_ERR_INVALID_ARG);
	assert_ptr_equal(out, SENTINEL);
	assert_int_equal(n, SENTINEL_SIZE);
	assert_int_equal(cu_jcs_serialize(j, NULL, &n, &err), CU_ERR_INVALID_ARG);
	assert_int_equal(n, SENTINEL_SIZE);
	assert_int_equal(cu_jcs_serialize(NULL, &out, &n, NULL), CU_ERR_INVALID_ARG);
	/* ret_size may be NULL; err may be NULL. */
	assert_int_equal(cu_jcs_serialize(j, &out, NULL, NULL), 0);
	assert_string_equal(out, "{\"a\":1}");
	free(out);
	json_decref(j);
}

/* Outputs larger than the first buffer, and the canonical form is a fixed point. */
static void test_large_and_fixed_point(void **state)
{
	json_t *a = json_array(), *again;
	char *first, *second;

	(void)state;
	assert_non_null(a);
	for (int i = 0; i < 5000; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", 4999 - i);
		assert_int_equal(
		    json_array_append_new(a, json_pack("{s:i,s:f,s:s#}", key, i, "r", i / 7.0, "s",
		                                       "\x01\n\"\xe2\x82\xac",
		                                       (int)(i % 4 < 3 ? i % 4 : 6))),
		    0);
	}
	first = jcs_ok(a);
	assert_true(strlen(first) > 100000);
	again = json_loads(first, JSON_DECODE_INT_AS_REAL, NULL);
	assert_non_null(again);
	second = jcs_ok(again);
	assert_string_equal(first, second);
	free(first);
	free(second);
	json_decref(again);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_sample),
		cmocka_unit_test(test_rfc_sorting),
		cmocka_unit_test(test_sorting),
		cmocka_unit_test(test_kbs_runtime_data),
		cmocka_unit_test(test_appendix_b),
		cmocka_unit_test(test_nonfinite),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_numbers_round_trip),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_large_and_fixed_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
