/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/obj_mac.h>

#include "../base/error.h"
#include "../base/limits.h"
#include "cose.h"
#include "sig.h"

#define STAGE "parse"

/*
 * One pass over the item heads, without recursion: the depth and item count
 * are bounded and every length lies inside the buffer before libcbor sees it.
 */
static int scan(const uint8_t *buf, size_t size, const char *what, struct cu_error *err)
{
	uint64_t pending[CU_LIMIT_CBOR_DEPTH + 1];
	size_t pos = 0, items = 0;
	unsigned depth = 1;

	pending[0] = 1;
	while (depth > 0) {
		uint8_t ib, major, ai;
		uint64_t v = 0;

		if (pending[depth - 1] == 0) {
			depth--;
			continue;
		}
		pending[depth - 1]--;
		if (pos >= size)
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: CBOR truncated", what);
		ib = buf[pos++];
		major = ib >> 5;
		ai = ib & 0x1f;
		if (++items > CU_LIMIT_CBOR_ITEMS)
			return cu_fail(err, CU_ERR_TOO_LARGE, STAGE, "%s: more than %u CBOR items",
			               what, CU_LIMIT_CBOR_ITEMS);
		if (ai < 24) {
			v = ai;
		} else if (ai <= 27) {
			size_t n = (size_t)1 << (ai - 24);

			if (n > size - pos)
				return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: CBOR truncated",
				               what);
			for (size_t i = 0; i < n; i++)
				v = v << 8 | buf[pos++];
		} else {
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "%s: CBOR indefinite length or reserved value at byte %zu",
			               what, pos - 1);
		}
		switch (major) {
		case 2: /* byte string */
		case 3: /* text string */
			if (v > size - pos)
				return cu_fail(err, CU_ERR_MALFORMED, STAGE,
				               "%s: CBOR string longer than its input", what);
			pos += (size_t)v;
			break;
		case 4: /* array */
		case 5: /* map */
		case 6: /* tag: one item follows */
			if (major == 6)
				v = 1;
			else if (major == 5 && v > (size - pos) / 2)
				return cu_fail(err, CU_ERR_MALFORMED, STAGE,
				               "%s: CBOR map longer than its input", what);
			else if (major == 5)
				v *= 2;
			if (v > size - pos)
				return cu_fail(err, CU_ERR_MALFORMED, STAGE,
				               "%s: CBOR array longer than its input", what);
			if (depth >= CU_LIMIT_CBOR_DEPTH)
				return cu_fail(err, CU_ERR_TOO_LARGE, STAGE,
				               "%s: CBOR nested deeper than %u", what,
				               CU_LIMIT_CBOR_DEPTH);
			pending[depth++] = v;
			break;
		default: /* integers, simple values, floats: the head is all */
			break;
		}
	}
	if (pos != size)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: %zu bytes after the CBOR item",
		               what, size - pos);
	return 0;
}

int cu_cbor_load(const uint8_t *buf, size_t size, const char *what, cbor_item_t **ret,
                 struct cu_error *err)
{
	struct cbor_load_result res;
	cbor_item_t *item;
	int r;

	if (size > CU_LIMIT_EVIDENCE_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE, "%s: larger than %u bytes", what,
		               CU_LIMIT_EVIDENCE_SIZE);
	if ((r = scan(buf, size, what, err)) < 0)
		return r;
	item = cbor_load(buf, size, &res);
	if (!item || res.error.code != CBOR_ERR_NONE || res.read != size) {
		if (item)
			cbor_decref(&item);
		return res.error.code == CBOR_ERR_MEMERROR
		           ? cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory")
		           : cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: not valid CBOR", what);
	}
	*ret = item;
	return 0;
}

cbor_item_t *cu_cbor_map_get(const cbor_item_t *map, const char *key)
{
	size_t n = strlen(key);
	struct cbor_pair *p;

	if (!map || !cbor_isa_map(map))
		return NULL;
	p = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map); i++)
		if (cbor_isa_string(p[i].key) && cbor_string_is_definite(p[i].key) &&
		    cbor_string_length(p[i].key) == n &&
		    memcmp(cbor_string_handle(p[i].key), key, n) == 0)
			return p[i].value;
	return NULL;
}

bool cu_cbor_int(const cbor_item_t *item, int64_t *ret)
{
	uint64_t v;

	if (!item || (!cbor_isa_uint(item) && !cbor_isa_negint(item)))
		return false;
	v = cbor_get_int(item);
	if (v > INT64_MAX)
		return false;
	*ret = cbor_isa_uint(item) ? (int64_t)v : -1 - (int64_t)v;
	return true;
}

cbor_item_t *cu_cbor_map_get_int(const cbor_item_t *map, int64_t key)
{
	struct cbor_pair *p;

	if (!map || !cbor_isa_map(map))
		return NULL;
	p = cbor_map_handle(map);
	for (size_t i = 0; i < cbor_map_size(map); i++) {
		int64_t k;

		if (cu_cbor_int(p[i].key, &k) && k == key)
			return p[i].value;
	}
	return NULL;
}

static bool bstr(const cbor_item_t *item, const uint8_t **ret, size_t *ret_size)
{
	if (!item || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item))
		return false;
	*ret = cbor_bytestring_handle(item);
	*ret_size = cbor_bytestring_length(item);
	return true;
}

int cu_cose_sign1_parse(const uint8_t *buf, size_t size, struct cu_cose_sign1 *ret,
                        struct cu_error *err)
{
	struct cu_cose_sign1 s = { 0 };
	cbor_item_t *arr, *hdr = NULL, *alg;
	int r;

	/*
	 * Tag 18 (COSE_Sign1) is taken off here: libcbor before 0.9 refuses the
	 * one-byte tags 6 to 20 it deems reserved.
	 */
	if (size > 0 && buf[0] == 0xd2) {
		buf++;
		size--;
	}
	if ((r = cu_cbor_load(buf, size, "COSE_Sign1", &s.root, err)) < 0)
		return r;
	arr = s.root;
	if (cbor_isa_tag(arr)) {
		r = cu_fail(err, CU_ERR_MALFORMED, STAGE, "COSE_Sign1: tag %llu (18 expected)",
		            (unsigned long long)cbor_tag_value(arr));
		goto fail;
	}
	if (!cbor_isa_array(arr) || cbor_array_size(arr) != 4 ||
	    !bstr(cbor_array_handle(arr)[0], &s.protected_raw, &s.protected_size) ||
	    !cbor_isa_map(cbor_array_handle(arr)[1]) ||
	    !bstr(cbor_array_handle(arr)[2], &s.payload, &s.payload_size) ||
	    !bstr(cbor_array_handle(arr)[3], &s.signature, &s.signature_size)) {
		r = cu_fail(
		    err, CU_ERR_MALFORMED, STAGE,
		    "COSE_Sign1: expected [protected: bstr, unprotected: map, payload: bstr, "
		    "signature: bstr]");
		goto fail;
	}
	if ((r = cu_cbor_load(s.protected_raw, s.protected_size, "COSE protected header", &hdr,
	                      err)) < 0)
		goto fail;
	alg = cu_cbor_map_get_int(hdr, 1);
	if (!cbor_isa_map(hdr) || !cu_cbor_int(alg, &s.alg)) {
		cbor_decref(&hdr);
		r = cu_fail(err, CU_ERR_MALFORMED, STAGE,
		            "COSE_Sign1: the protected header names no algorithm (label 1)");
		goto fail;
	}
	cbor_decref(&hdr);
	*ret = s;
	return 0;
fail:
	cbor_decref(&s.root);
	return r;
}

void cu_cose_sign1_done(struct cu_cose_sign1 *s)
{
	if (s->root)
		cbor_decref(&s->root);
	memset(s, 0, sizeof(*s));
}

static void put_bstr_head(uint8_t *out, size_t *n, size_t len)
{
	if (len < 24) {
		out[(*n)++] = (uint8_t)(0x40 | len);
	} else if (len < 0x100) {
		out[(*n)++] = 0x58;
		out[(*n)++] = (uint8_t)len;
	} else if (len < 0x10000) {
		out[(*n)++] = 0x59;
		out[(*n)++] = (uint8_t)(len >> 8);
		out[(*n)++] = (uint8_t)len;
	} else {
		out[(*n)++] = 0x5a;
		for (int i = 3; i >= 0; i--)
			out[(*n)++] = (uint8_t)(len >> (8 * i));
	}
}

int cu_cose_sign1_verify(const struct cu_cose_sign1 *s, int64_t alg, EVP_PKEY *key,
                         struct cu_error *err)
{
	static const uint8_t context[] = { 0x84, 0x6a, 'S', 'i', 'g', 'n',
		                           'a',  't',  'u', 'r', 'e', '1' };
	const EVP_MD *md = alg == CU_COSE_ALG_ES256   ? EVP_sha256()
	                   : alg == CU_COSE_ALG_ES384 ? EVP_sha384()
	                                              : EVP_sha512();
	int nid = alg == CU_COSE_ALG_ES256   ? NID_X9_62_prime256v1
	          : alg == CU_COSE_ALG_ES384 ? NID_secp384r1
	                                     : NID_secp521r1;
	size_t comp = alg == CU_COSE_ALG_ES256 ? 32 : alg == CU_COSE_ALG_ES384 ? 48 : 66;
	size_t n = 0, total = sizeof(context) + 5 + s->protected_size + 1 + 5 + s->payload_size;
	uint8_t *tbs;
	int r;

	if (s->alg != alg)
		return cu_fail(err, CU_ERR_UNSUPPORTED, "signature",
		               "COSE_Sign1: algorithm %lld, where %lld is required",
		               (long long)s->alg, (long long)alg);
	if (s->signature_size != 2 * comp)
		return cu_fail(err, CU_ERR_SIGNATURE, "signature",
		               "COSE_Sign1: a signature of %zu bytes (%zu expected)",
		               s->signature_size, 2 * comp);
	if (!(tbs = malloc(total)))
		return cu_fail(err, CU_ERR_NOMEM, "signature", "out of memory");
	memcpy(tbs, context, sizeof(context));
	n = sizeof(context);
	put_bstr_head(tbs, &n, s->protected_size);
	memcpy(tbs + n, s->protected_raw, s->protected_size);
	n += s->protected_size;
	tbs[n++] = 0x40; /* external_aad: empty */
	put_bstr_head(tbs, &n, s->payload_size);
	memcpy(tbs + n, s->payload, s->payload_size);
	n += s->payload_size;
	r = cu_ecdsa_verify_raw_be(key, nid, md, tbs, n, s->signature, s->signature + comp, comp,
	                           err);
	free(tbs);
	if (r < 0 && err)
		err->stage = "signature";
	return r;
}
