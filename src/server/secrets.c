/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "kek_pkcs11.h"
#include "secrets.h"

#define STAGE  "secrets"
#define TAG    16
#define AAD_V1 "custos-resource-v1"

int cu_kek_load(const char *path, struct cu_kek *ret, struct cu_error *err)
{
	char buf[80] = { 0 };
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot open the key-encryption key: %s",
		               path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		close(fd);
		return cu_fail(
		    err, CU_ERR_IO, STAGE,
		    "%s: the key-encryption key must be a regular file only its owner can "
		    "read (chmod 600)",
		    path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n != 64 || cu_hex_decode(buf, 64, ret->key, sizeof(ret->key)) < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "%s: expected 64 hex digits (a 256-bit key)", path);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int cu_kek_open_pkcs11(const char *module, const char *token, const char *pin_file,
                       const char *label, struct cu_kek *ret, struct cu_error *err)
{
	struct cu_p11_opts o = { module, token, pin_file, label };

	memset(ret, 0, sizeof(*ret));
	return cu_p11_open(&o, &ret->p11, err);
}

void cu_kek_wipe(struct cu_kek *k)
{
	OPENSSL_cleanse(k->key, sizeof(k->key));
	cu_p11_close(k->p11);
	k->p11 = NULL;
}

/* "custos-resource-v1" NUL tenant NUL name, for a PKCS#11 token (which takes it whole). */
static uint8_t *aad_buf(const char *tenant, const char *name, size_t *ret_size)
{
	size_t nt = strlen(tenant) + 1, nn = strlen(name);
	uint8_t *b = malloc(sizeof(AAD_V1) + nt + nn);

	if (!b)
		return NULL;
	memcpy(b, AAD_V1, sizeof(AAD_V1));
	memcpy(b + sizeof(AAD_V1), tenant, nt);
	memcpy(b + sizeof(AAD_V1) + nt, name, nn);
	*ret_size = sizeof(AAD_V1) + nt + nn;
	return b;
}

static int p11_seal(const struct cu_kek *k, const char *tenant, const char *name, const uint8_t *pt,
                    size_t size, struct cu_resource *r, struct cu_error *err)
{
	_cleanup_free_ uint8_t *aad = NULL;
	size_t aad_size = 0, out_size = size + TAG;
	uint8_t *out = malloc(out_size);

	if (!out || !(aad = aad_buf(tenant, name, &aad_size)) ||
	    RAND_bytes(r->nonce, sizeof(r->nonce)) != 1) {
		free(out);
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	}
	if (cu_p11_gcm(k->p11, true, r->nonce, aad, aad_size, pt, size, out, &out_size, err) < 0 ||
	    out_size != size + TAG) {
		free(out);
		return err && err->code
		           ? err->code
		           : cu_fail(err, CU_ERR_INTERNAL, STAGE, "unexpected GCM output");
	}
	r->sealed = out;
	r->sealed_size = out_size;
	return 0;
}

static int p11_open_secret(const struct cu_kek *k, const char *tenant, const char *name,
                           const struct cu_resource *r, uint8_t **ret, size_t *ret_size,
                           struct cu_error *err)
{
	_cleanup_free_ uint8_t *aad = NULL;
	size_t aad_size = 0, out_size = r->sealed_size;
	uint8_t *out = malloc(out_size ? out_size : 1);
	int rc;

	if (!out || !(aad = aad_buf(tenant, name, &aad_size))) {
		free(out);
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	}
	rc = cu_p11_gcm(k->p11, false, r->nonce, aad, aad_size, r->sealed, r->sealed_size, out,
	                &out_size, err);
	if (rc < 0) {
		OPENSSL_clear_free(out, r->sealed_size ? r->sealed_size : 1);
		return rc;
	}
	*ret = out;
	*ret_size = out_size;
	return 0;
}

/* AAD: "custos-resource-v1" NUL tenant NUL name. */
static int aad_update(EVP_CIPHER_CTX *ctx, const char *tenant, const char *name)
{
	int n;

	return EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)AAD_V1, sizeof(AAD_V1)) == 1 &&
	       EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)tenant, (int)strlen(tenant) + 1) ==
	           1 &&
	       EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)name, (int)strlen(name)) == 1;
}

int cu_secret_seal(const struct cu_kek *k, const char *tenant, const char *name, const uint8_t *pt,
                   size_t size, struct cu_resource *r, struct cu_error *err)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *out;
	int n = 0, fin = 0, ok;

	if (k->p11)
		return p11_seal(k, tenant, name, pt, size, r, err);
	ctx = EVP_CIPHER_CTX_new();
	out = malloc(size + TAG);

	ok = ctx && out && size <= INT32_MAX && RAND_bytes(r->nonce, sizeof(r->nonce)) == 1 &&
	     EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, r->nonce) == 1 &&
	     aad_update(ctx, tenant, name) && EVP_EncryptUpdate(ctx, out, &n, pt, (int)size) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, out + size) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		free(out);
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "cannot seal the secret");
	}
	r->sealed = out;
	r->sealed_size = size + TAG;
	return 0;
}

int cu_secret_open(const struct cu_kek *k, const char *tenant, const char *name,
                   const struct cu_resource *r, uint8_t **ret, size_t *ret_size,
                   struct cu_error *err)
{
	EVP_CIPHER_CTX *ctx;
	size_t size;
	uint8_t *out;
	int n = 0, fin = 0, ok;

	if (r->sealed_size < TAG)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "sealed secret too short");
	if (k->p11)
		return p11_open_secret(k, tenant, name, r, ret, ret_size, err);
	size = r->sealed_size - TAG;
	out = malloc(size ? size : 1);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && out &&
	     EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->key, r->nonce) == 1 &&
	     aad_update(ctx, tenant, name) &&
	     EVP_DecryptUpdate(ctx, out, &n, r->sealed, (int)size) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, r->sealed + size) == 1 &&
	     EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		OPENSSL_clear_free(out, size ? size : 1);
		return cu_fail(err, CU_ERR_SIGNATURE, STAGE,
		               "the secret of %.64s/%.128s does not open under this key-encryption "
		               "key (another KEK, or the database was altered)",
		               tenant, name);
	}
	*ret = out;
	*ret_size = size;
	return 0;
}
