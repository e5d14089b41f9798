/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "../base/error.h"
#include "../base/limits.h"
#include "../base/time.h"
#include "openssl-util.h"
#include "x509.h"

int cu_x509_parse_any(const uint8_t *buf, size_t size, STACK_OF(X509) * *certs,
                      STACK_OF(X509_CRL) * *crls, struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *new_certs = sk_X509_new_null();
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *new_crls = sk_X509_CRL_new_null();
	int n;

	if (!new_certs || !new_crls)
		return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
	if (size > INT_MAX)
		return cu_fail(err, CU_ERR_TOO_LARGE, "collateral", "file too large");

	if (memmem(buf, size, "-----BEGIN ", 11)) {
		_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(buf, (int)size);
		STACK_OF(X509_INFO) * infos;

		if (!bio)
			return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
		infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
		ERR_clear_error();
		if (!infos) {
			/* A damaged certificate or CRL is an error, not "not ours". */
			if (memmem(buf, size, "-----BEGIN CERTIFICATE-----", 27) ||
			    memmem(buf, size, "-----BEGIN TRUSTED CERTIFICATE-----", 35) ||
			    memmem(buf, size, "-----BEGIN X509 CRL-----", 24))
				return cu_fail(err, CU_ERR_MALFORMED, "collateral",
				               "a PEM certificate or CRL cannot be decoded");
			return 0; /* PEM of something else (a key, ...): not ours */
		}
		for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
			X509_INFO *info = sk_X509_INFO_value(infos, i);

			if (info->x509) {
				if (!sk_X509_push(new_certs, info->x509))
					goto nomem;
				info->x509 = NULL;
			}
			if (info->crl) {
				if (!sk_X509_CRL_push(new_crls, info->crl))
					goto nomem;
				info->crl = NULL;
			}
		}
		sk_X509_INFO_pop_free(infos, X509_INFO_free);
		goto done;
	nomem:
		sk_X509_INFO_pop_free(infos, X509_INFO_free);
		return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
	} else {
		const unsigned char *p = buf;
		X509 *x = d2i_X509(NULL, &p, (long)size);

		if (x && p == buf + size) {
			if (!sk_X509_push(new_certs, x)) {
				X509_free(x);
				return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
			}
		} else {
			X509_CRL *c;

			X509_free(x);
			p = buf;
			c = d2i_X509_CRL(NULL, &p, (long)size);
			if (c && p == buf + size) {
				if (!sk_X509_CRL_push(new_crls, c)) {
					X509_CRL_free(c);
					return cu_fail(err, CU_ERR_NOMEM, "collateral",
					               "out of memory");
				}
			} else {
				X509_CRL_free(c);
			}
		}
		ERR_clear_error();
	}
done:
	if (sk_X509_num(new_certs) > (int)CU_LIMIT_CERTS_PER_FILE)
		return cu_fail(err, CU_ERR_TOO_LARGE, "collateral",
		               "%d certificates in one file, limit is %u", sk_X509_num(new_certs),
		               CU_LIMIT_CERTS_PER_FILE);
	if (sk_X509_num(new_certs) + sk_X509_CRL_num(new_crls) == 0)
		return 0;
	/* Both stacks exist once anything was found, as callers index them. */
	if ((!*certs && !(*certs = sk_X509_new_null())) ||
	    (!*crls && !(*crls = sk_X509_CRL_new_null())))
		return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
	n = cu_x509_move_all(certs, new_certs, crls, new_crls);
	if (n < 0)
		return cu_fail(err, n, "collateral", "out of memory");
	return n;
}

int cu_x509_move_all(STACK_OF(X509) * *certs, STACK_OF(X509) * src_certs,
                     STACK_OF(X509_CRL) * *crls, STACK_OF(X509_CRL) * src_crls)
{
	int n_certs = src_certs ? sk_X509_num(src_certs) : 0;
	int n_crls = src_crls ? sk_X509_CRL_num(src_crls) : 0;

	if (n_certs > 0 && !*certs && !(*certs = sk_X509_new_null()))
		return CU_ERR_NOMEM;
	if (n_crls > 0 && !*crls && !(*crls = sk_X509_CRL_new_null()))
		return CU_ERR_NOMEM;
	if ((n_certs > 0 && !sk_X509_reserve(*certs, sk_X509_num(*certs) + n_certs)) ||
	    (n_crls > 0 && !sk_X509_CRL_reserve(*crls, sk_X509_CRL_num(*crls) + n_crls)))
		return CU_ERR_NOMEM;
	for (int i = 0; i < n_certs; i++)
		sk_X509_push(*certs, sk_X509_shift(src_certs));
	for (int i = 0; i < n_crls; i++)
		sk_X509_CRL_push(*crls, sk_X509_CRL_shift(src_crls));
	return n_certs + n_crls;
}

int cu_x509_sha256(X509 *cert, uint8_t out[32])
{
	unsigned int len = 0;

	if (X509_digest(cert, EVP_sha256(), out, &len) != 1 || len != 32)
		return CU_ERR_INTERNAL;
	return 0;
}

void cu_x509_subject_cn(X509 *cert, char *buf, size_t size)
{
	X509_NAME *name = X509_get_subject_name(cert);

	buf[0] = '\0';
	if (!name || X509_NAME_get_text_by_NID(name, NID_commonName, buf, (int)size) < 0)
		buf[0] = '\0';
}

static int asn1_time_to_epoch(const ASN1_TIME *t, int64_t *ret)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return CU_ERR_MALFORMED;
	*ret = cu_days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                          (unsigned)tm.tm_mday) *
	           86400 +
	       tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

int cu_x509_validity(X509 *cert, int64_t *ret_not_before, int64_t *ret_not_after)
{
	int64_t nb, na;

	if (asn1_time_to_epoch(X509_get0_notBefore(cert), &nb) < 0 ||
	    asn1_time_to_epoch(X509_get0_notAfter(cert), &na) < 0)
		return CU_ERR_MALFORMED;
	*ret_not_before = nb;
	*ret_not_after = na;
	return 0;
}

const ASN1_OCTET_STRING *cu_x509_get0_ext(X509 *cert, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	const ASN1_OCTET_STRING *data = NULL;
	int idx;

	if (!obj)
		return NULL;
	idx = X509_get_ext_by_OBJ(cert, obj, -1);
	/* An extension present twice is ambiguous: treat it as absent. */
	if (idx >= 0 && X509_get_ext_by_OBJ(cert, obj, idx) < 0)
		data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
	ASN1_OBJECT_free(obj);
	return data;
}

bool cu_x509_signed_with_rsa_pss(X509 *cert, int md_nid)
{
	int mdnid = NID_undef, pknid = NID_undef;

	if (X509_get_signature_info(cert, &mdnid, &pknid, NULL, NULL) != 1)
		return false;
	return pknid == EVP_PKEY_RSA_PSS && mdnid == md_nid;
}

struct verify_state {
	uint32_t crl_missing;
};

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verify_state *st = X509_STORE_CTX_get_app_data(ctx);

	/* A certificate that no supplied CRL covers is recorded, not fatal. */
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL) {
		int depth = X509_STORE_CTX_get_error_depth(ctx);

		if (st && depth >= 0 && depth < 32)
			st->crl_missing |= 1u << depth;
		return 1;
	}
	return ok;
}

static int map_verify_error(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		return CU_ERR_EXPIRED;
	case X509_V_ERR_CERT_REVOKED:
		return CU_ERR_REVOKED;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
		return CU_ERR_SIGNATURE;
	default:
		return CU_ERR_CHAIN;
	}
}

int cu_x509_verify_chain(X509 *leaf, const struct cu_chain_opts *opts, struct cu_chain_result *ret,
                         struct cu_error *err)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	_cleanup_x509_stack_ STACK_OF(X509) *chain = NULL;
	struct verify_state st = { 0 };
	unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
	int64_t nb = INT64_MIN, na = INT64_MAX;
	X509_VERIFY_PARAM *param;
	unsigned max_depth = opts->max_depth ? opts->max_depth : CU_LIMIT_CHAIN_LENGTH;

	if (!store || !ctx)
		return cu_fail(err, CU_ERR_NOMEM, "chain", "out of memory");
	for (int i = 0; opts->roots && i < sk_X509_num(opts->roots); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(opts->roots, i)) != 1)
			return cu_fail(err, CU_ERR_INTERNAL, "chain", "cannot add trust anchor");
	if (opts->crls && sk_X509_CRL_num(opts->crls) > 0) {
		for (int i = 0; i < sk_X509_CRL_num(opts->crls); i++)
			if (X509_STORE_add_crl(store, sk_X509_CRL_value(opts->crls, i)) != 1)
				return cu_fail(err, CU_ERR_INTERNAL, "chain", "cannot add CRL");
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, opts->untrusted) != 1)
		return cu_fail(err, CU_ERR_NOMEM, "chain", "out of memory");
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, flags);
	X509_VERIFY_PARAM_set_time(param, (time_t)opts->at);
	/* depth counts intermediates: leaf and root are not included */
	X509_VERIFY_PARAM_set_depth(param, (int)max_depth - 2);
	X509_STORE_CTX_set_app_data(ctx, &st);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);

	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		int depth = X509_STORE_CTX_get_error_depth(ctx);
		X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
		char cn[128] = "";
		char when[32];

		ERR_clear_error();
		if (bad)
			cu_x509_subject_cn(bad, cn, sizeof(cn));
		cu_time_format_rfc3339(opts->at, when, sizeof(when));
		return cu_fail(err, map_verify_error(e), "chain",
		               "certificate '%s' (depth %d): %s at %s", cn, depth,
		               X509_verify_cert_error_string(e), when);
	}
	chain = X509_STORE_CTX_get1_chain(ctx);
	if (!chain)
		return cu_fail(err, CU_ERR_NOMEM, "chain", "out of memory");
	for (int i = 0; i < sk_X509_num(chain); i++) {
		int64_t cnb, cna;

		if (cu_x509_validity(sk_X509_value(chain, i), &cnb, &cna) < 0)
			return cu_fail(err, CU_ERR_MALFORMED, "chain",
			               "certificate at depth %d has an unreadable validity", i);
		if (cnb > nb)
			nb = cnb;
		if (cna < na)
			na = cna;
	}
	/* CRLs that applied to the chain also bound the window in which the result holds. */
	for (int i = 0; opts->crls && i < sk_X509_CRL_num(opts->crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(opts->crls, i);
		int64_t last, next;

		for (int j = 1; j < sk_X509_num(chain); j++) {
			if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
			                  X509_get_subject_name(sk_X509_value(chain, j))) != 0)
				continue;
			if (asn1_time_to_epoch(X509_CRL_get0_lastUpdate(crl), &last) == 0 &&
			    last > nb)
				nb = last;
			if (asn1_time_to_epoch(X509_CRL_get0_nextUpdate(crl), &next) == 0 &&
			    next < na)
				na = next;
		}
	}
	ret->chain = TAKE_PTR(chain);
	ret->not_before = nb;
	ret->not_after = na;
	ret->crl_missing =
	    opts->crls && sk_X509_CRL_num(opts->crls) > 0 ? st.crl_missing : UINT32_MAX;
	return 0;
}

void cu_chain_result_done(struct cu_chain_result *res)
{
	if (!res)
		return;
	cu_x509_stack_freep(&res->chain);
	res->chain = NULL;
}

void cu_x509_name_rfc2253(X509_NAME *name, char *buf, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(bio, buf, (int)size - 1)) > 0)
		buf[n] = '\0';
	BIO_free(bio);
}
