/* SPDX-License-Identifier: Apache-2.0 */
/* Cleanup helpers for the OpenSSL types Custos uses (STYLE.md practice 5). */
#ifndef CU_CRYPTO_OPENSSL_UTIL_H
#define CU_CRYPTO_OPENSSL_UTIL_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../base/macro.h"

CU_DEFINE_CLEANUP(X509 *, X509_free)
CU_DEFINE_CLEANUP(X509_CRL *, X509_CRL_free)
CU_DEFINE_CLEANUP(X509_STORE *, X509_STORE_free)
CU_DEFINE_CLEANUP(X509_STORE_CTX *, X509_STORE_CTX_free)
CU_DEFINE_CLEANUP(EVP_PKEY *, EVP_PKEY_free)
CU_DEFINE_CLEANUP(EVP_PKEY_CTX *, EVP_PKEY_CTX_free)
CU_DEFINE_CLEANUP(EVP_MD_CTX *, EVP_MD_CTX_free)
CU_DEFINE_CLEANUP(BIO *, BIO_free)
CU_DEFINE_CLEANUP(BIGNUM *, BN_free)
CU_DEFINE_CLEANUP(ECDSA_SIG *, ECDSA_SIG_free)
CU_DEFINE_CLEANUP(ASN1_INTEGER *, ASN1_INTEGER_free)
CU_DEFINE_CLEANUP(ASN1_IA5STRING *, ASN1_IA5STRING_free)

static inline void cu_x509_stack_freep(STACK_OF(X509) * *p)
{
	if (*p)
		sk_X509_pop_free(*p, X509_free);
	*p = NULL;
}

static inline void cu_crl_stack_freep(STACK_OF(X509_CRL) * *p)
{
	if (*p)
		sk_X509_CRL_pop_free(*p, X509_CRL_free);
	*p = NULL;
}

static inline void cu_openssl_freep(void *p)
{
	OPENSSL_free(*(void **)p);
}

#define _cleanup_x509_stack_ _cleanup_(cu_x509_stack_freep)
#define _cleanup_crl_stack_  _cleanup_(cu_crl_stack_freep)

#endif
