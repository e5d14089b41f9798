/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/collateral/collateral.c: loading certificates and CRLs. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "../../src/base/limits.h"
#include "../../src/collateral/collateral.h"
#include "../../src/crypto/openssl-util.h"
#include "test-util.h"

struct fixture {
	char dir[64];
	EVP_PKEY *key;
	X509 *certs[4];
	X509_CRL *crl;
	struct cu_collateral *c;
};

/* ---- objects ---- */

static X509_CRL *empty_crl(X509 *issuer, EVP_PKEY *key)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, 1704067200);

	assert_non_null(crl);
	assert_non_null(t);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	ASN1_TIME_free(t);
	return crl;
}

/* ---- files ---- */

static char *path_in(const struct fixture *fx, const char *rel)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", fx->dir, rel) > 0);
	return p;
}

static void write_rel(const struct fixture *fx, const char *rel, const void *data, size_t size)
{
	_cleanup_free_ char *p = path_in(fx, rel);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	if (size)
		assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

static void mkdir_rel(const struct fixture *fx, const char *rel)
{
	_cleanup_free_ char *p = path_in(fx, rel);

	assert_int_equal(mkdir(p, 0700), 0);
}

/* Write a BIO's contents to a file. */
static void write_bio(const struct fixture *fx, const char *rel, BIO *bio)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	assert_true(len > 0);
	write_rel(fx, rel, data, (size_t)len);
}

static void write_pem_certs(const struct fixture *fx, const char *rel, X509 *const *certs, size_t n)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());

	assert_non_null(bio);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_bio_X509(bio, certs[i]), 1);
	write_bio(fx, rel, bio);
}

static void write_der_cert(const struct fixture *fx, const char *rel, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	assert_true(len > 0);
	write_rel(fx, rel, der, (size_t)len);
	OPENSSL_free(der);
}

static void write_der_crl(const struct fixture *fx, const char *rel, X509_CRL *crl)
{
	unsigned char *der = NULL;
	int len = i2d_X509_CRL(crl, &der);

	assert_true(len > 0);
	write_rel(fx, rel, der, (size_t)len);
	OPENSSL_free(der);
}

static void write_pem_crl(const struct fixture *fx, const char *rel, X509_CRL *crl)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509_CRL(bio, crl), 1);
	write_bio(fx, rel, bio);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	static const char *const cns[] = { "Cert A", "Cert B", "Cert C", "Cert D" };

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/custos-test-collateral-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	fx->key = EVP_EC_gen("P-256");
	if (!fx->key)
		return -1;
	for (size_t i = 0; i < 4; i++)
		fx->certs[i] = tu_self_signed(fx->key, cns[i], (long)i + 1);
	fx->crl = empty_crl(fx->certs[0], fx->key);
	if (cu_collateral_new(&fx->c) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int r = nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	for (size_t i = 0; i < 4; i++)
		X509_free(fx->certs[i]);
	X509_CRL_free(fx->crl);
	EVP_PKEY_free(fx->key);
	cu_collateral_free(fx->c);
	free(fx);
	return r == 0 ? 0 : -1;
}

static void assert_counts(const struct cu_collateral *c, int n_certs, int n_crls, unsigned n_files)
{
	assert_int_equal(sk_X509_num(c->certs), n_certs);
	assert_int_equal(sk_X509_CRL_num(c->crls), n_crls);
	assert_int_equal(c->n_files, n_files);
}

/* ---- tests ---- */

static void test_new_free(void **state)
{
	struct cu_collateral *c = NULL;

	assert_int_equal(cu_collateral_new(&c), 0);
	assert_non_null(c);
	assert_counts(c, 0, 0, 0);
	cu_collateral_free(c);
	cu_collateral_free(NULL);
}

static void test_directory_mixed(void **state)
{
	struct fixture *fx = *state;
	static const char readme[] = "Collateral for tests.\n-----BEGIN nothing\n";
	static const char json[] = "{\"certs\": [\"MIIB...\"], \"crl\": null}\n";
	_cleanup_free_ char *p = NULL;
	struct cu_error err = { 0 };

	write_pem_certs(fx, "bundle.pem", fx->certs, 2);  /* 2 certificates */
	write_der_cert(fx, "leaf.der", fx->certs[2]);     /* 1 certificate */
	write_der_cert(fx, "leaf.cer", fx->certs[3]);     /* 1 certificate */
	write_der_crl(fx, "root.crl", fx->crl);           /* 1 CRL */
	write_pem_crl(fx, "root-crl.pem", fx->crl);       /* 1 CRL */
	write_rel(fx, "README", readme, strlen(readme));  /* nothing */
	write_rel(fx, "info.json", json, strlen(json));   /* nothing */
	write_rel(fx, "empty", "", 0);                    /* nothing */
	write_pem_certs(fx, ".hidden.pem", fx->certs, 1); /* dot files are skipped */

	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), 6);
	/* Every regular, non-hidden file counts as a collateral file. */
	assert_counts(fx->c, 4, 2, 8);

	/* Certificates arrive in name order: bundle.pem, leaf.cer, leaf.der. */
	assert_int_equal(X509_cmp(sk_X509_value(fx->c->certs, 0), fx->certs[0]), 0);
	assert_int_equal(X509_cmp(sk_X509_value(fx->c->certs, 1), fx->certs[1]), 0);
	assert_int_equal(X509_cmp(sk_X509_value(fx->c->certs, 2), fx->certs[3]), 0);
	assert_int_equal(X509_cmp(sk_X509_value(fx->c->certs, 3), fx->certs[2]), 0);

	/* A single file. */
	p = path_in(fx, "bundle.pem");
	assert_int_equal(cu_collateral_add_path(fx->c, p, &err), 2);
	assert_counts(fx->c, 6, 2, 9);

	/* A file with nothing in it adds nothing but is counted. */
	free(p);
	p = path_in(fx, "README");
	assert_int_equal(cu_collateral_add_path(fx->c, p, &err), 0);
	assert_counts(fx->c, 6, 2, 10);
}

static void test_directory_depth(void **state)
{
	struct fixture *fx = *state;
	struct cu_error err = { 0 };

	/*
	 * The top directory is level 0; directories down to level
	 * CU_LIMIT_COLLATERAL_DEPTH - 1 are read, deeper ones ignored.
	 */
	assert_int_equal(CU_LIMIT_COLLATERAL_DEPTH, 4);
	mkdir_rel(fx, "l1");
	mkdir_rel(fx, "l1/l2");
	mkdir_rel(fx, "l1/l2/l3");
	mkdir_rel(fx, "l1/l2/l3/l4");
	mkdir_rel(fx, "l1/l2/l3/l4/l5");
	write_der_cert(fx, "c0.der", fx->certs[0]);
	write_der_cert(fx, "l1/c1.der", fx->certs[1]);
	write_der_cert(fx, "l1/l2/c2.der", fx->certs[2]);
	write_pem_crl(fx, "l1/l2/l3/c3.pem", fx->crl);
	write_der_cert(fx, "l1/l2/l3/l4/c4.der", fx->certs[3]);
	write_der_cert(fx, "l1/l2/l3/l4/l5/c5.der", fx->certs[3]);

	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), 4);
	assert_counts(fx->c, 3, 1, 4);

	/* Starting lower down reaches deeper. */
	{
		_cleanup_free_ char *p = path_in(fx, "l1/l2");

		assert_int_equal(cu_collateral_add_path(fx->c, p, &err), 4);
		assert_counts(fx->c, 6, 2, 8);
	}
}

/*
 * Regression: an empty directory made load_path() call qsort(NULL, 0, ...),
 * undefined behaviour (qsort's array is declared nonnull); UBSan reports it.
 */
static void test_empty_directory(void **state)
{
	struct fixture *fx = *state;
	struct cu_error err = { 0 };

	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), 0);
	assert_counts(fx->c, 0, 0, 0);
	mkdir_rel(fx, "empty");
	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), 0);
	assert_counts(fx->c, 0, 0, 0);
}

static void test_special_files_skipped(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *fifo = path_in(fx, "a-fifo");
	struct cu_error err = { 0 };

	/* A FIFO is neither a file nor a directory: skipped, not opened (no hang). */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	write_der_cert(fx, "b.der", fx->certs[0]);
	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), 1);
	assert_counts(fx->c, 1, 0, 1);
	assert_int_equal(cu_collateral_add_path(fx->c, fifo, &err), 0);
	assert_counts(fx->c, 1, 0, 1);
}

static void test_missing_path(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "no/such/path");
	struct cu_error err = { 0 };

	write_der_cert(fx, "c.der", fx->certs[0]);
	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), 1);

	assert_int_equal(cu_collateral_add_path(fx->c, p, &err), CU_ERR_IO);
	assert_int_equal(err.code, CU_ERR_IO);
	assert_string_equal(err.stage, "collateral");
	assert_non_null(strstr(err.message, p));
	assert_counts(fx->c, 1, 0, 1);
	assert_int_equal(cu_collateral_add_path(fx->c, p, NULL), CU_ERR_IO);
	assert_counts(fx->c, 1, 0, 1);
}

static void test_error_keeps_nothing(void **state)
{
	struct fixture *fx = *state;
	X509 *many[CU_LIMIT_CERTS_PER_FILE + 1];
	struct cu_error err = { 0 };

	/* a.pem loads fine, b.pem holds too many certificates. */
	for (size_t i = 0; i < ELEMENTSOF(many); i++)
		many[i] = fx->certs[i % 4];
	write_pem_certs(fx, "a.pem", fx->certs, 3);
	write_pem_certs(fx, "b.pem", many, ELEMENTSOF(many));

	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), CU_ERR_TOO_LARGE);
	assert_int_equal(err.code, CU_ERR_TOO_LARGE);
	assert_string_equal(err.stage, "collateral");
	/* Nothing from the path was kept, not even a.pem. */
	assert_counts(fx->c, 0, 0, 0);
}

static void test_file_too_large(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "huge.pem");
	struct cu_error err = { 0 };
	int fd;

	/* A sparse file one byte over the per-file limit. */
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)CU_LIMIT_COLLATERAL_FILE_SIZE + 1), 0);
	assert_int_equal(close(fd), 0);
	write_der_cert(fx, "a.der", fx->certs[0]);

	/* Named directly, it is an error and nothing is kept. */
	assert_int_equal(cu_collateral_add_path(fx->c, p, &err), CU_ERR_TOO_LARGE);
	assert_string_equal(err.stage, "collateral");
	assert_non_null(strstr(err.message, "huge.pem"));
	assert_counts(fx->c, 0, 0, 0);

	/* Inside a directory it cannot be collateral: skipped, the rest loads. */
	assert_int_equal(cu_collateral_add_path(fx->c, fx->dir, &err), 1);
	assert_counts(fx->c, 1, 0, 2);
}

static void test_add_mem(void **state)
{
	struct fixture *fx = *state;
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	static const char text[] = "just some text";
	struct cu_error err = { 0 };
	unsigned char *der = NULL;
	char *data = NULL;
	long len;
	int der_len;

	assert_non_null(bio);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(PEM_write_bio_X509(bio, fx->certs[i]), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(bio, fx->crl), 1);
	len = BIO_get_mem_data(bio, &data);
	assert_true(len > 0);

	assert_int_equal(
	    cu_collateral_add_mem(fx->c, (const uint8_t *)data, (size_t)len, "bundle", &err), 4);
	assert_counts(fx->c, 3, 1, 1);

	der_len = i2d_X509(fx->certs[3], &der);
	assert_true(der_len > 0);
	assert_int_equal(cu_collateral_add_mem(fx->c, der, (size_t)der_len, NULL, &err), 1);
	assert_counts(fx->c, 4, 1, 2);
	OPENSSL_free(der);

	/* Nothing recognised: 0, and not counted as a file. */
	assert_int_equal(
	    cu_collateral_add_mem(fx->c, (const uint8_t *)text, strlen(text), "text", &err), 0);
	assert_int_equal(cu_collateral_add_mem(fx->c, (const uint8_t *)text, 0, "empty", &err), 0);
	assert_counts(fx->c, 4, 1, 2);
}

static void test_add_mem_too_large(void **state)
{
	struct fixture *fx = *state;
	size_t size = (size_t)CU_LIMIT_COLLATERAL_FILE_SIZE + 1;
	uint8_t *big = calloc(1, size);
	struct cu_error err = { 0 };

	assert_non_null(big);
	assert_int_equal(cu_collateral_add_mem(fx->c, big, size, "big.pem", &err),
	                 CU_ERR_TOO_LARGE);
	assert_int_equal(err.code, CU_ERR_TOO_LARGE);
	assert_non_null(strstr(err.message, "big.pem"));
	assert_int_equal(cu_collateral_add_mem(fx->c, big, size, NULL, NULL), CU_ERR_TOO_LARGE);
	assert_counts(fx->c, 0, 0, 0);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free),
		cmocka_unit_test_setup_teardown(test_directory_mixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_files_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_keeps_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_mem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_mem_too_large, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
