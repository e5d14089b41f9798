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

void cu_kek_wipe(struct cu_kek *k)
{
	OPENSSL_cleanse(k->key, sizeof(k->key));
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
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t *out = malloc(size + TAG);
	int n = 0, fin = 0, ok;

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
