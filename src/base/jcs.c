/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RFC 8785 JSON Canonicalization Scheme: the bytes that are hashed or signed
 * for a JSON value (e.g. the KBS runtime data bound into report data), equal
 * to what an ECMAScript JSON.stringify of the sorted value produces.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "error.h"
#include "jcs.h"
#include "limits.h"

#define STAGE "jcs"

/* Integers beyond 2^53 are not exact as IEEE 754 doubles (I-JSON, RFC 7493 section 2.2). */
#define JCS_INT_LIMIT ((json_int_t)1 << 53)

/* One step of the path to the value being written: a member name, or an index when key is NULL. */
struct jcs_step {
	const char *key;
	size_t key_len;
	size_t index;
};

struct jcs_member {
	const char *key;
	size_t key_len;
	const json_t *value;
};

struct jcs {
	char *buf;
	size_t len, cap; /* cap > len always once buf is allocated: room for the final NUL */
	struct cu_error *err;
	/* Arrays and objects around the current value; path[0..depth-1] leads to it. */
	unsigned depth;
	struct jcs_step path[CU_LIMIT_JSON_DEPTH];
	char where[128];
};

static void jcs_done(struct jcs *c)
{
	free(c->buf);
}

static void where_put(struct jcs *c, size_t *n, char ch)
{
	if (*n + 1 < sizeof(c->where))
		c->where[(*n)++] = ch;
}

/* "$.a.b[3]" for the current value, cut to fit; control characters in names become '?'. */
static const char *jcs_where(struct jcs *c)
{
	size_t n = 0;

	where_put(c, &n, '$');
	for (unsigned d = 0; d < c->depth; d++) {
		const struct jcs_step *s = &c->path[d];

		if (s->key) {
			where_put(c, &n, '.');
			for (size_t i = 0; i < s->key_len; i++)
				where_put(c, &n, (unsigned char)s->key[i] < 0x20 ? '?' : s->key[i]);
		} else {
			char idx[24];

			snprintf(idx, sizeof(idx), "[%zu]", s->index);
			for (const char *p = idx; *p; p++)
				where_put(c, &n, *p);
		}
	}
	c->where[n] = '\0';
	cu_utf8_trim_partial(c->where);
	return c->where;
}

#define jcs_fail(c, code, ...) cu_fail_path((c)->err, (code), STAGE, jcs_where(c), __VA_ARGS__)

static int put(struct jcs *c, const char *s, size_t n)
{
	if (c->cap - c->len <= n) {
		size_t cap = c->cap ? c->cap : 256;
		char *b;

		while (cap - c->len <= n) {
			if (cap > SIZE_MAX / 2)
				return cu_fail(c->err, CU_ERR_NOMEM, STAGE,
				               "jcs: output too large");
			cap *= 2;
		}
		b = realloc(c->buf, cap);
		if (!b)
			return cu_fail(c->err, CU_ERR_NOMEM, STAGE, "jcs: out of memory");
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	return 0;
}

/*
 * Decode the UTF-8 sequence at s[*i] into *ret_cp and advance *i. Refuses
 * overlong forms, surrogates, values above U+10FFFF and truncated sequences.
 */
static int utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *ret_cp)
{
	unsigned char b = s[*i];
	uint32_t cp, min;
	size_t n;

	if (b < 0x80) {
		*ret_cp = b;
		(*i)++;
		return 0;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 1;
		cp = b & 0x1f;
		min = 0x80;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 2;
		cp = b & 0x0f;
		min = 0x800;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 3;
		cp = b & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (len - *i <= n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		unsigned char cb = s[*i + k];

		if ((cb & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (cb & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	*ret_cp = cp;
	return 0;
}

static bool utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len)
		if (utf8_next((const unsigned char *)s, len, &i, &cp) < 0)
			return false;
	return true;
}

/*
 * Member names compare by UTF-16 code units (RFC 8785 section 3.2.3). Code
 * points order as UTF-8 bytes do, except that U+10000 and above (a high
 * surrogate, D800..DBFF, first in UTF-16) sort before U+E000..U+FFFF.
 */
static int member_cmp(const void *a, const void *b)
{
	const struct jcs_member *x = a, *y = b;
	const unsigned char *xs = (const unsigned char *)x->key,
	                    *ys = (const unsigned char *)y->key;
	size_t i = 0, j = 0;

	while (i < x->key_len && j < y->key_len) {
		uint32_t cx, cy, ux, uy;

		if (xs[i] == ys[j] && xs[i] < 0x80) {
			i++;
			j++;
			continue;
		}
		/* Names were checked to be valid UTF-8; a failure here cannot happen. */
		if (utf8_next(xs, x->key_len, &i, &cx) < 0)
			cx = xs[i++];
		if (utf8_next(ys, y->key_len, &j, &cy) < 0)
			cy = ys[j++];
		if (cx == cy)
			continue;
		ux = cx < 0x10000 ? cx : 0xd800 + ((cx - 0x10000) >> 10);
		uy = cy < 0x10000 ? cy : 0xd800 + ((cy - 0x10000) >> 10);
		if (ux != uy)
			return ux < uy ? -1 : 1;
		/* Same high surrogate: the low surrogates order as the code points. */
		return cx < cy ? -1 : 1;
	}
	return (i < x->key_len) - (j < y->key_len);
}

/* As JSON.stringify: \" \\ \b \f \n \r \t, other controls \u00xx, the rest literal. */
static int put_string(struct jcs *c, const char *s, size_t len, const char *what)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int r;

	r = put(c, "\"", 1);
	while (r == 0 && i < len) {
		char esc[6] = { '\\' };
		size_t n = 2;
		uint32_t cp;

		if (u[i] >= 0x80) {
			size_t at = i;

			if (utf8_next(u, len, &i, &cp) < 0)
				return jcs_fail(c, CU_ERR_MALFORMED,
				                "%s is not valid UTF-8 (byte %zu)", what, at);
			continue;
		}
		switch (u[i]) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			if (u[i] >= 0x20) {
				i++;
				continue;
			}
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[u[i] >> 4];
			esc[5] = hex[u[i] & 0xf];
			n = 6;
		}
		r = put(c, s + run, i - run);
		if (r == 0)
			r = put(c, esc, n);
		run = ++i;
	}
	if (r == 0)
		r = put(c, s + run, i - run);
	if (r == 0)
		r = put(c, "\"", 1);
	return r;
}

/* Does the decimal DIGITS (k of them) x 10^e read back as d? */
static bool reads_back(const char *digits, int k, int e, double d)
{
	char s[48];

	snprintf(s, sizeof(s), "%.*se%d", k, digits, e);
	return strtod(s, NULL) == d;
}

/*
 * The shortest decimal digits of a finite d > 0 that read back as d; when two
 * of that length do, the nearer to d, and of two as near the even one: the
 * digits printf gives, rounding exactly and ties to even. Returns their
 * number k (1..17, no trailing zero) and sets *ret_n so that
 * d ~ 0.DIGITS x 10^n.
 *
 * For each length only the nearest digits need trying: when they do not read
 * back, those on the other side of d are farther away and, the gaps to the
 * neighbouring doubles being equal on both sides, do not either. At a power
 * of two the gap below is half the gap above; for every power of two from
 * 2^-1022 to 2^1023 the result was checked against V8's Number.prototype.
 * toString (as were 2 million other doubles).
 */
static int shortest_digits(double d, char digits[static 18], int *ret_n)
{
	int k = 1, exp10 = 0;

	for (int p = 0; p <= 16; p++) {
		char tmp[48];
		const char *q;

		/* Digits and exponent of "D.DDDe+XX", whatever the locale's decimal point. */
		snprintf(tmp, sizeof(tmp), "%.*e", p, d);
		k = 0;
		for (q = tmp; *q && *q != 'e' && *q != 'E'; q++)
			if (*q >= '0' && *q <= '9' && k < 17)
				digits[k++] = *q;
		exp10 = *q ? (int)strtol(q + 1, NULL, 10) : 0;
		/* 17 significant digits always read back. */
		if (p == 16 || reads_back(digits, k, exp10 - (k - 1), d))
			break;
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	*ret_n = exp10 + 1;
	return k;
}

/* ECMAScript Number::toString (ECMA-262 section 6.1.6.1.20) of a finite d. */
static void format_double(double d, char buf[static CU_JCS_NUMBER_MAX])
{
	char digits[18], *p = buf;
	int k, n;

	if (d == 0) {
		strcpy(buf, "0"); /* and -0 */
		return;
	}
	if (d < 0) {
		*p++ = '-';
		d = -d;
	}
	k = shortest_digits(d, digits, &n);
	if (k <= n && n <= 21) {
		/* 123 followed by n - k zeros: "100000000000000000000" */
		memcpy(p, digits, k);
		memset(p + k, '0', n - k);
		p += n;
	} else if (n > 0 && n <= 21) {
		/* "333333333.3333333" */
		memcpy(p, digits, n);
		p[n] = '.';
		memcpy(p + n + 1, digits + n, k - n);
		p += k + 1;
	} else if (n > -6 && n <= 0) {
		/* "0.000001" */
		memcpy(p, "0.", 2);
		memset(p + 2, '0', -n);
		memcpy(p + 2 - n, digits, k);
		p += 2 - n + k;
	} else {
		/* "1e+21", "1.7976931348623157e+308", "5e-324" */
		*p++ = digits[0];
		if (k > 1) {
			*p++ = '.';
			memcpy(p, digits + 1, k - 1);
			p += k - 1;
		}
		p += sprintf(p, "e%c%d", n - 1 > 0 ? '+' : '-', abs(n - 1));
	}
	*p = '\0';
}

static const char *nonfinite_name(double d)
{
	return isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
}

int cu_jcs_format_number(double d, char buf[static CU_JCS_NUMBER_MAX], struct cu_error *err)
{
	if (!isfinite(d))
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE, "jcs: %s is not a JSON number",
		               nonfinite_name(d));
	format_double(d, buf);
	return 0;
}

static int put_value(struct jcs *c, const json_t *j);

/* A member or element, whose step the caller has set in path[depth]. */
static int put_child(struct jcs *c, const json_t *j)
{
	int r;

	c->depth++;
	r = put_value(c, j);
	c->depth--;
	return r;
}

static int put_array(struct jcs *c, const json_t *a)
{
	int r = put(c, "[", 1);

	for (size_t i = 0; r == 0 && i < json_array_size(a); i++) {
		if (i > 0)
			r = put(c, ",", 1);
		c->path[c->depth] = (struct jcs_step){ .index = i };
		if (r == 0)
			r = put_child(c, json_array_get(a, i));
	}
	return r < 0 ? r : put(c, "]", 1);
}

static int put_object(struct jcs *c, const json_t *o)
{
	/* jansson's iterators take a non-const object but do not change it. */
	json_t *obj = (json_t *)o;
	size_t n = json_object_size(o), k = 0;
	_cleanup_free_ struct jcs_member *m = NULL;
	int r;

	if (n > 0) {
		m = calloc(n, sizeof(*m));
		if (!m)
			return cu_fail(c->err, CU_ERR_NOMEM, STAGE, "jcs: out of memory");
	}
	for (void *it = json_object_iter(obj); it && k < n; it = json_object_iter_next(obj, it)) {
		m[k].key = json_object_iter_key(it);
#if JANSSON_VERSION_HEX >= 0x020e00
		m[k].key_len = json_object_iter_key_len(it);
#else
		m[k].key_len = strlen(m[k].key);
#endif
		m[k].value = json_object_iter_value(it);
		/* Before sorting: the comparison decodes the names. */
		if (!utf8_valid(m[k].key, m[k].key_len))
			return jcs_fail(c, CU_ERR_MALFORMED, "a member name is not valid UTF-8");
		k++;
	}
	if (k > 1)
		qsort(m, k, sizeof(*m), member_cmp);

	r = put(c, "{", 1);
	for (size_t i = 0; r == 0 && i < k; i++) {
		c->path[c->depth] = (struct jcs_step){ .key = m[i].key, .key_len = m[i].key_len };
		if (i > 0)
			r = put(c, ",", 1);
		if (r == 0)
			r = put_string(c, m[i].key, m[i].key_len, "member name");
		if (r == 0)
			r = put(c, ":", 1);
		if (r == 0)
			r = put_child(c, m[i].value);
	}
	return r < 0 ? r : put(c, "}", 1);
}

static int put_value(struct jcs *c, const json_t *j)
{
	char num[CU_JCS_NUMBER_MAX];

	switch (json_typeof(j)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		/* Within the limit, path[] has room for the step to each child. */
		if (c->depth >= CU_LIMIT_JSON_DEPTH)
			return jcs_fail(c, CU_ERR_TOO_LARGE,
			                "arrays and objects nested deeper than %u levels",
			                CU_LIMIT_JSON_DEPTH);
		return json_is_object(j) ? put_object(c, j) : put_array(c, j);
	case JSON_STRING:
		return put_string(c, json_string_value(j), json_string_length(j), "string");
	case JSON_INTEGER: {
		json_int_t v = json_integer_value(j);

		if (v > JCS_INT_LIMIT || v < -JCS_INT_LIMIT)
			return jcs_fail(c, CU_ERR_UNSUPPORTED,
			                "integer %" JSON_INTEGER_FORMAT
			                " is outside [-2^53, 2^53], not exact in I-JSON",
			                v);
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, v);
		return put(c, num, strlen(num));
	}
	case JSON_REAL: {
		double d = json_real_value(j);

		if (!isfinite(d))
			return jcs_fail(c, CU_ERR_UNSUPPORTED, "%s is not a JSON number",
			                nonfinite_name(d));
		format_double(d, num);
		return put(c, num, strlen(num));
	}
	case JSON_TRUE:
		return put(c, "true", 4);
	case JSON_FALSE:
		return put(c, "false", 5);
	case JSON_NULL:
		return put(c, "null", 4);
	}
	return jcs_fail(c, CU_ERR_INTERNAL, "unknown JSON type %d", (int)json_typeof(j));
}

int cu_jcs_serialize(const json_t *j, char **ret, size_t *ret_size, struct cu_error *err)
{
	_cleanup_(jcs_done) struct jcs c = { .err = err };
	int r;

	if (!j || !ret)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, "jcs: no value or no output");
	r = put_value(&c, j);
	if (r < 0)
		return r;
	c.buf[c.len] = '\0'; /* put keeps room for it */
	if (ret_size)
		*ret_size = c.len;
	*ret = TAKE_PTR(c.buf);
	return 0;
}
