/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

#include "../base/error.h"
#include "../base/fileio.h"
#include "../base/limits.h"
#include "../crypto/openssl-util.h"
#include "../crypto/x509.h"
#include "../evidence/nvgpu.h"
#include "collateral.h"
#include "dcap_collateral.h"
#include "snp_certtable.h"

int cu_collateral_new(struct cu_collateral **ret)
{
	struct cu_collateral *c = calloc(1, sizeof(*c));

	if (!c)
		return CU_ERR_NOMEM;
	c->certs = sk_X509_new_null();
	c->crls = sk_X509_CRL_new_null();
	c->dcap_docs = json_array();
	if (!c->certs || !c->crls || !c->dcap_docs) {
		cu_collateral_free(c);
		return CU_ERR_NOMEM;
	}
	*ret = c;
	return 0;
}

void cu_collateral_free(struct cu_collateral *c)
{
	if (!c)
		return;
	cu_x509_stack_freep(&c->certs);
	cu_crl_stack_freep(&c->crls);
	json_decref(c->dcap_docs);
	free(c);
}

/* Move everything from the staging stacks into c; cannot fail half-way. */
static int commit(struct cu_collateral *c, STACK_OF(X509) * certs, STACK_OF(X509_CRL) * crls,
                  json_t *docs, unsigned n_files, struct cu_error *err)
{
	size_t n_docs = json_array_size(c->dcap_docs);
	int n;

	if (c->n_files + n_files > CU_LIMIT_COLLATERAL_FILES)
		return cu_fail(err, CU_ERR_TOO_LARGE, "collateral", "more than %u collateral files",
		               CU_LIMIT_COLLATERAL_FILES);
	if (docs && json_array_extend(c->dcap_docs, docs) < 0)
		return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
	n = cu_x509_move_all(&c->certs, certs, &c->crls, crls);
	if (n < 0) {
		while (json_array_size(c->dcap_docs) > n_docs)
			json_array_remove(c->dcap_docs, json_array_size(c->dcap_docs) - 1);
		return cu_fail(err, n, "collateral", "out of memory");
	}
	c->n_files += n_files;
	return n + (int)json_array_size(docs);
}

/*
 * Every container of collateral we recognise: PEM/DER, the SNP certificate
 * table, Intel's signed JSON documents and bundles.
 */
static int parse_any(const uint8_t *buf, size_t size, STACK_OF(X509) * *certs,
                     STACK_OF(X509_CRL) * *crls, json_t **docs, struct cu_error *err)
{
	static const char pubkey[] = "-----BEGIN PUBLIC KEY-----";

	/* A PEM public key (e.g. an Arm CCA platform attestation key): kept as its text. */
	if (size > sizeof(pubkey) && !memcmp(buf, pubkey, sizeof(pubkey) - 1)) {
		BIO *bio = BIO_new_mem_buf(buf, (int)size);
		EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		json_t *d;

		BIO_free(bio);
		if (!k)
			return cu_fail(err, CU_ERR_MALFORMED, "collateral", "not a PEM public key");
		EVP_PKEY_free(k);
		if ((!*docs && !(*docs = json_array())) ||
		    !(d = json_pack("{s:s,s:s%}", "kind", "public_key", "pem", buf, size)) ||
		    json_array_append_new(*docs, d) < 0)
			return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
		return 1;
	}
	/* An NVIDIA RIM (SWID tag): its signature is checked now, its text kept. */
	if (cu_rim_detect(buf, size)) {
		struct cu_rim rim;
		json_t *d;
		int r = cu_rim_parse(buf, size, &rim, err);

		if (r < 0)
			return r;
		cu_rim_done(&rim);
		if ((!*docs && !(*docs = json_array())) ||
		    !(d = json_pack("{s:s,s:s%}", "kind", "swid_rim", "xml", buf, size)) ||
		    json_array_append_new(*docs, d) < 0)
			return cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
		return 1;
	}
	if (cu_dcap_collateral_detect(buf, size))
		return cu_dcap_collateral_parse(buf, size, docs, certs, crls, err);
	if (cu_snp_certtable_detect(buf, size))
		return cu_snp_certtable_parse(buf, size, certs, err);
	return cu_x509_parse_any(buf, size, certs, crls, err);
}

struct staging {
	STACK_OF(X509) * certs;
	STACK_OF(X509_CRL) * crls;
	json_t *docs;
	unsigned n_files;
};

/*
 * A file named by the caller must load; inside a directory, a file too large
 * to be collateral is skipped like any other file that is not collateral.
 */
static int load_file(struct staging *st, const char *path, bool named, struct cu_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size;
	int r;

	if (++st->n_files > CU_LIMIT_COLLATERAL_FILES)
		return cu_fail(err, CU_ERR_TOO_LARGE, "collateral", "more than %u collateral files",
		               CU_LIMIT_COLLATERAL_FILES);
	r = cu_read_file(path, CU_LIMIT_COLLATERAL_FILE_SIZE, &buf, &size, err);
	if (r == CU_ERR_TOO_LARGE && !named) {
		cu_error_clear(err);
		return 0;
	}
	if (r < 0) {
		if (err)
			err->stage = "collateral";
		return r;
	}
	r = parse_any(buf, size, &st->certs, &st->crls, &st->docs, err);
	if (r < 0 && err && !named) { /* name the file of a directory that failed */
		char msg[sizeof(err->message)];

		snprintf(msg, sizeof(msg), "%.100s: %.200s", path, err->message);
		memcpy(err->message, msg, sizeof(msg));
	}
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(struct staging *st, const char *path, unsigned depth, struct cu_error *err)
{
	struct stat s;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (stat(path, &s) < 0)
		return cu_fail(err, CU_ERR_IO, "collateral", "cannot access %s: %s", path,
		               strerror(errno));
	if (S_ISREG(s.st_mode))
		return load_file(st, path, depth == 0, err);
	if (!S_ISDIR(s.st_mode))
		return 0;
	if (depth >= CU_LIMIT_COLLATERAL_DEPTH)
		return 0;
	d = opendir(path);
	if (!d)
		return cu_fail(err, CU_ERR_IO, "collateral", "cannot open directory %s: %s", path,
		               strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*names));
			if (!nn) {
				r = cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
				break;
			}
			names = nn;
			cap = ncap;
		}
		if (asprintf(&names[n], "%s/%s", path, de->d_name) < 0) {
			r = cu_fail(err, CU_ERR_NOMEM, "collateral", "out of memory");
			break;
		}
		n++;
		if (n > CU_LIMIT_COLLATERAL_FILES) {
			r = cu_fail(err, CU_ERR_TOO_LARGE, "collateral",
			            "%s has more than %u entries", path, CU_LIMIT_COLLATERAL_FILES);
			break;
		}
	}
	closedir(d);
	if (r == 0) {
		if (n > 1)
			qsort(names, n, sizeof(*names), name_cmp);
		for (size_t i = 0; i < n && r >= 0; i++) {
			int k = load_path(st, names[i], depth + 1, err);
			r = k < 0 ? k : r;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int cu_collateral_add_path(struct cu_collateral *c, const char *path, struct cu_error *err)
{
	struct staging st = { 0 };
	int r;

	r = load_path(&st, path, 0, err);
	if (r >= 0)
		r = commit(c, st.certs, st.crls, st.docs, st.n_files, err);
	cu_x509_stack_freep(&st.certs);
	cu_crl_stack_freep(&st.crls);
	json_decref(st.docs);
	return r;
}

int cu_collateral_add_mem(struct cu_collateral *c, const uint8_t *buf, size_t size,
                          const char *name, struct cu_error *err)
{
	_cleanup_x509_stack_ STACK_OF(X509) *certs = NULL;
	_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
	json_auto_t *docs = NULL;
	int r;

	if (size > CU_LIMIT_COLLATERAL_FILE_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, "collateral", "%s is larger than %u bytes",
		               name ? name : "collateral", CU_LIMIT_COLLATERAL_FILE_SIZE);
	r = parse_any(buf, size, &certs, &crls, &docs, err);
	if (r <= 0)
		return r;
	return commit(c, certs, crls, docs, 1, err);
}
