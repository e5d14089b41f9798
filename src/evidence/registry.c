/* SPDX-License-Identifier: Apache-2.0 */
/* The verifier object and the table of evidence formats (STYLE.md practice 2). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../base/error.h"
#include "../base/encoding.h"
#include "../base/limits.h"
#include "../collateral/collateral.h"
#include "../crypto/openssl-util.h"
#include "../crypto/x509.h"
#include "evidence.h"

static const struct cu_evidence_ops *const formats[_CU_FORMAT_MAX] = {
	[CU_FORMAT_SNP] = &cu_snp_ops,
	[CU_FORMAT_TDX] = &cu_tdx_ops,
	[CU_FORMAT_SGX] = &cu_sgx_ops,
	[CU_FORMAT_NITRO] = &cu_nitro_ops,
	[CU_FORMAT_CCA] = &cu_cca_ops,
	[CU_FORMAT_TPM] = &cu_tpm_ops,
	[CU_FORMAT_AZ_SNP_VTPM] = &cu_az_snp_vtpm_ops,
	[CU_FORMAT_AZ_TDX_VTPM] = &cu_az_tdx_vtpm_ops,
	[CU_FORMAT_NVGPU] = &cu_nvgpu_ops,
};

static const char *const format_names[] = { "snp", "tdx",         "sgx",         "nitro", "cca",
	                                    "tpm", "az-snp-vtpm", "az-tdx-vtpm", "nvgpu", NULL };

CU_EXPORT const char *const *cu_formats(void)
{
	return format_names;
}

CU_EXPORT int cu_verifier_new(cu_verifier **ret, struct cu_error *err)
{
	cu_verifier *v;

	cu_tpm_quiet_tss2();
	v = calloc(1, sizeof(*v));

	if (!v)
		return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
	pthread_mutex_init(&v->lock, NULL);
	if (cu_collateral_new(&v->collateral) < 0 || !(v->test_roots = sk_X509_new_null())) {
		cu_verifier_free(v);
		return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
	}
	*ret = v;
	return 0;
}

CU_EXPORT void cu_verifier_free(cu_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < _CU_FORMAT_MAX; i++)
		if (v->state[i])
			formats[i]->state_free(v->state[i]);
	cu_collateral_free(v->collateral);
	cu_x509_stack_freep(&v->test_roots);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

CU_EXPORT int cu_verifier_add_collateral(cu_verifier *v, const char *path, struct cu_error *err)
{
	int r;

	if (!v || !path)
		return cu_fail(err, CU_ERR_INVALID_ARG, "collateral", "no collateral path given");
	r = cu_collateral_add_path(v->collateral, path, err);
	if (r > 0)
		v->generation++;
	return r;
}

CU_EXPORT int cu_verifier_add_collateral_mem(cu_verifier *v, const uint8_t *buf, size_t size,
                                             const char *name, struct cu_error *err)
{
	int r;

	if (!v || (!buf && size))
		return cu_fail(err, CU_ERR_INVALID_ARG, "collateral", "no collateral given");
	r = cu_collateral_add_mem(v->collateral, buf, size, name, err);
	if (r > 0)
		v->generation++;
	return r;
}

CU_EXPORT int cu_verifier_add_test_root_INSECURE(cu_verifier *v, const uint8_t *buf, size_t size,
                                                 struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *certs = NULL;
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
	int r;

	if (!v || !buf)
		return cu_fail(err, CU_ERR_INVALID_ARG, "init", "no test root given");
	r = cu_x509_parse_any(buf, size, &certs, &crls, err);
	if (r < 0)
		return r;
	if (!certs || sk_X509_num(certs) != 1)
		return cu_fail(err, CU_ERR_MALFORMED, "init",
		               "a test root must be exactly one certificate");
	if (!sk_X509_push(v->test_roots, sk_X509_value(certs, 0)))
		return cu_fail(err, CU_ERR_NOMEM, "init", "out of memory");
	(void)sk_X509_shift(certs);
	v->generation++;
	return 0;
}

CU_EXPORT size_t cu_verifier_n_test_roots(const cu_verifier *v)
{
	return v ? (size_t)sk_X509_num(v->test_roots) : 0;
}

static const struct cu_evidence_ops *find_format(const char *name)
{
	for (size_t i = 0; i < _CU_FORMAT_MAX; i++)
		if (strcmp(formats[i]->name, name) == 0 || strcmp(formats[i]->tee, name) == 0)
			return formats[i];
	return NULL;
}

static const struct cu_evidence_ops *detect(const uint8_t *evidence, size_t size)
{
	for (size_t i = 0; evidence && i < _CU_FORMAT_MAX; i++)
		if (formats[i]->detect(evidence, size))
			return formats[i];
	return NULL;
}

CU_EXPORT const char *cu_detect_format(const uint8_t *evidence, size_t size)
{
	const struct cu_evidence_ops *ops = detect(evidence, size);

	return ops ? ops->name : NULL;
}

static int pick(const char *format, const uint8_t *evidence, size_t size,
                const struct cu_evidence_ops **ret, struct cu_error *err)
{
	const struct cu_evidence_ops *ops;

	if (!evidence)
		return cu_fail(err, CU_ERR_INVALID_ARG, "input", "no evidence given");
	if (size > CU_LIMIT_EVIDENCE_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, "input", "evidence is %zu bytes, limit is %u",
		               size, CU_LIMIT_EVIDENCE_SIZE);
	if (format) {
		ops = find_format(format);
		if (!ops)
			return cu_fail(err, CU_ERR_INVALID_ARG, "input",
			               "unknown evidence format '%s'", format);
	} else {
		ops = detect(evidence, size);
		if (!ops)
			return cu_fail(
			    err, CU_ERR_UNKNOWN_FORMAT, "decode",
			    "evidence format not recognised (%zu bytes); name it with --tee", size);
	}
	*ret = ops;
	return 0;
}

CU_EXPORT int cu_verify(cu_verifier *v, const char *format, const uint8_t *evidence, size_t size,
                        const struct cu_verify_opts *opts, json_t **ret_claims,
                        struct cu_error *err)
{
	const struct cu_evidence_ops *ops;
	json_t *claims = NULL;
	int r;

	if (!v || !opts || !ret_claims)
		return cu_fail(err, CU_ERR_INVALID_ARG, "input",
		               "missing verifier, options or output");
	r = pick(format, evidence, size, &ops, err);
	if (r < 0)
		return r;
	r = ops->verify(v, evidence, size, opts, &claims, err);
	if (r < 0)
		return r;
	if (sk_X509_num(v->test_roots) > 0 &&
	    json_object_set_new(claims, "insecure_test_roots", json_true()) < 0) {
		json_decref(claims);
		return cu_fail(err, CU_ERR_NOMEM, "claims", "out of memory");
	}
	*ret_claims = claims;
	return 0;
}

CU_EXPORT int cu_inspect(const char *format, const uint8_t *evidence, size_t size,
                         json_t **ret_fields, struct cu_error *err)
{
	const struct cu_evidence_ops *ops;
	int r;

	if (!ret_fields)
		return cu_fail(err, CU_ERR_INVALID_ARG, "input", "missing output");
	r = pick(format, evidence, size, &ops, err);
	if (r < 0)
		return r;
	return ops->inspect(evidence, size, ret_fields, err);
}
