/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key-encryption key in a PKCS#11 token (an HSM; SoftHSM2 in the tests):
 * an AES-256 secret key object, sensitive and not extractable, used for
 * AES-256-GCM (CKM_AES_GCM) inside the token. The key never enters custosd's
 * memory. The module is loaded at run time, so custosd does not depend on any
 * one vendor's library.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <p11-kit/pkcs11.h>

#include "../base/error.h"
#include "../base/fileio.h"
#include "kek_pkcs11.h"

#define STAGE "pkcs11"

struct cu_p11 {
	void *module;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE key;
	bool initialized;     /* we called C_Initialize, so we call C_Finalize */
	pthread_mutex_t lock; /* one session: operations are serialised */
};

static int p11_fail(struct cu_error *err, const char *what, CK_RV rv)
{
	return cu_fail(err, CU_ERR_IO, STAGE, "pkcs11: %s failed (CKR 0x%lx)", what,
	               (unsigned long)rv);
}

/* Token labels are 32 bytes, blank-padded. */
static bool label_equals(const unsigned char label[32], const char *want)
{
	size_t n = strlen(want);

	if (n > 32 || memcmp(label, want, n))
		return false;
	for (size_t i = n; i < 32; i++)
		if (label[i] != ' ')
			return false;
	return true;
}

static int read_pin(const char *path, char *pin, size_t size, struct cu_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n;
	int r;

	if ((r = cu_read_file(path, 256, &buf, &n, err)) < 0)
		return r;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= size) {
		OPENSSL_cleanse(buf, n);
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "%s: no PIN in the file", path);
	}
	memcpy(pin, buf, n);
	pin[n] = '\0';
	OPENSSL_cleanse(buf, n);
	return 0;
}

/* Load the module, find the token by label, open a session and log in. */
static int p11_open(const struct cu_p11_opts *o, struct cu_p11 **ret, struct cu_error *err)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST **);
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_SLOT_ID slots[64];
	CK_ULONG n_slots = 64;
	struct cu_p11 *p = calloc(1, sizeof(*p));
	char pin[128];
	CK_RV rv;
	int r;

	if (!p)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	p->module = dlopen(o->module, RTLD_NOW | RTLD_LOCAL);
	if (!p->module) {
		r = cu_fail(err, CU_ERR_IO, STAGE, "pkcs11: cannot load the module %s: %s",
		            o->module, dlerror());
		goto fail;
	}
	get_list = (CK_RV(*)(CK_FUNCTION_LIST **))dlsym(p->module, "C_GetFunctionList");
	if (!get_list || get_list(&p->f) != CKR_OK) {
		r = cu_fail(err, CU_ERR_IO, STAGE, "pkcs11: %s is not a PKCS#11 module", o->module);
		goto fail;
	}
	rv = p->f->C_Initialize(&init);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = p11_fail(err, "C_Initialize", rv);
		goto fail;
	}
	p->initialized = rv == CKR_OK;
	if ((rv = p->f->C_GetSlotList(CK_TRUE, slots, &n_slots)) != CKR_OK) {
		r = p11_fail(err, "C_GetSlotList", rv);
		goto fail;
	}
	r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE, "pkcs11: no token labelled \"%s\" in %s",
	            o->token, o->module);
	for (CK_ULONG i = 0; i < n_slots; i++) {
		CK_TOKEN_INFO ti;

		if (p->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    label_equals(ti.label, o->token)) {
			rv = p->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
			                         NULL, NULL, &p->session);
			r = rv == CKR_OK ? 0 : p11_fail(err, "C_OpenSession", rv);
			break;
		}
	}
	if (r < 0)
		goto fail;
	if ((r = read_pin(o->pin_file, pin, sizeof(pin), err)) < 0)
		goto fail;
	rv = p->f->C_Login(p->session, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		r = p11_fail(err, "C_Login (check the PIN)", rv);
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	cu_p11_close(p);
	return r;
}

static int find_key(struct cu_p11 *p, const char *label, CK_OBJECT_HANDLE *ret,
                    struct cu_error *err)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = p->f->C_FindObjectsInit(p->session, tmpl, 2)) != CKR_OK)
		return p11_fail(err, "C_FindObjectsInit", rv);
	rv = p->f->C_FindObjects(p->session, h, 2, &n);
	p->f->C_FindObjectsFinal(p->session);
	if (rv != CKR_OK)
		return p11_fail(err, "C_FindObjects", rv);
	if (n != 1)
		return cu_fail(err, n ? CU_ERR_MISMATCH : CU_ERR_NOT_FOUND, STAGE,
		               n ? "pkcs11: more than one secret key labelled \"%s\""
		                 : "pkcs11: no secret key labelled \"%s\" (create it with 'custosd "
		                   "kek-create')",
		               label);
	*ret = h[0];
	return 0;
}

int cu_p11_open(const struct cu_p11_opts *o, struct cu_p11 **ret, struct cu_error *err)
{
	struct cu_p11 *p = NULL;
	int r;

	if ((r = p11_open(o, &p, err)) < 0)
		return r;
	if ((r = find_key(p, o->label, &p->key, err)) < 0) {
		cu_p11_close(p);
		return r;
	}
	*ret = p;
	return 0;
}

int cu_p11_create_key(const struct cu_p11_opts *o, struct cu_error *err)
{
	struct cu_p11 *p = NULL;
	CK_OBJECT_HANDLE h;
	CK_MECHANISM mech = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE type = CKK_AES;
	CK_ULONG len = 32;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &type, sizeof(type) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ CKA_LABEL, (void *)o->label, strlen(o->label) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_WRAP, &no, sizeof(no) },
	};
	CK_RV rv;
	int r;

	if ((r = p11_open(o, &p, err)) < 0)
		return r;
	if (find_key(p, o->label, &h, NULL) == 0) {
		cu_p11_close(p);
		return cu_fail(err, CU_ERR_MISMATCH, STAGE,
		               "pkcs11: a key labelled \"%s\" exists already; it is never replaced",
		               o->label);
	}
	rv = p->f->C_GenerateKey(p->session, &mech, tmpl, ELEMENTSOF(tmpl), &h);
	cu_p11_close(p);
	return rv == CKR_OK ? 0 : p11_fail(err, "C_GenerateKey", rv);
}

int cu_p11_gcm(struct cu_p11 *p, bool encrypt, const uint8_t iv[12], const uint8_t *aad,
               size_t aad_size, const uint8_t *in, size_t in_size, uint8_t *out, size_t *out_size,
               struct cu_error *err)
{
	CK_GCM_PARAMS gcm = {
		.pIv = (CK_BYTE *)iv,
		.ulIvLen = 12,
		.ulIvBits = 96,
		.pAAD = (CK_BYTE *)aad,
		.ulAADLen = aad_size,
		.ulTagBits = 128,
	};
	CK_MECHANISM mech = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	CK_ULONG n = *out_size;
	CK_RV rv;

	pthread_mutex_lock(&p->lock);
	rv = encrypt ? p->f->C_EncryptInit(p->session, &mech, p->key)
	             : p->f->C_DecryptInit(p->session, &mech, p->key);
	if (rv == CKR_OK)
		rv = encrypt ? p->f->C_Encrypt(p->session, (CK_BYTE *)in, in_size, out, &n)
		             : p->f->C_Decrypt(p->session, (CK_BYTE *)in, in_size, out, &n);
	pthread_mutex_unlock(&p->lock);
	if (rv != CKR_OK)
		return encrypt ? p11_fail(err, "C_Encrypt", rv)
		               : cu_fail(err, CU_ERR_SIGNATURE, STAGE,
		                         "pkcs11: the sealed value does not open under the token's "
		                         "key (CKR 0x%lx)",
		                         (unsigned long)rv);
	*out_size = n;
	return 0;
}

void cu_p11_close(struct cu_p11 *p)
{
	if (!p)
		return;
	if (p->f && p->session) {
		p->f->C_Logout(p->session);
		p->f->C_CloseSession(p->session);
	}
	if (p->f && p->initialized)
		p->f->C_Finalize(NULL);
	if (p->module)
		dlclose(p->module);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
