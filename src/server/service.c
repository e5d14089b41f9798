/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "../appraisal/refvalues.h"
#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/fileio.h"
#include "../base/json.h"
#include "../base/limits.h"
#include "../crypto/jwt.h"
#include "../crypto/openssl-util.h"
#include "../crypto/x509.h"
#include "service.h"

#define STAGE "custosd"

/* ---- Configuration ---------------------------------------------------------------- */

void cu_config_defaults(struct cu_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_address = strdup("127.0.0.1");
	c->listen_port = 8443;
	c->threads = 4;
	c->max_connections = 1024;
	c->max_connections_per_ip = 128;
	c->timeout = 10;
	c->rate_limit = 2000;
	c->max_body = CU_LIMIT_HTTP_BODY;
	c->max_header_size = CU_LIMIT_HTTP_HEADERS;
	c->session_lifetime = 300;
	c->token_lifetime = 300;
	c->issuer = strdup("custos");
}

void cu_config_free(struct cu_config *c)
{
	char **strs[] = { &c->data_dir,
		          &c->listen_address,
		          &c->issuer,
		          &c->tls_cert,
		          &c->tls_key,
		          &c->signing_key,
		          &c->appraisal_policy,
		          &c->gpu_appraisal_policy,
		          &c->refvalues,
		          &c->insecure_test_root,
		          &c->database,
		          &c->log,
		          &c->kek,
		          &c->admin_key,
		          &c->kek_pkcs11_module,
		          &c->kek_pkcs11_token,
		          &c->kek_pkcs11_pin_file,
		          &c->kek_pkcs11_label };

	for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	for (size_t i = 0; i < c->n_collateral; i++)
		free(c->collateral[i]);
	free(c->collateral);
	c->collateral = NULL;
	c->n_collateral = 0;
}

/* A path from the configuration: relative ones are inside the data directory. */
static char *resolve(const struct cu_config *c, const char *value)
{
	char *out;

	if (value[0] == '/' || !c->data_dir)
		return strdup(value);
	if (asprintf(&out, "%s/%s", c->data_dir, value) < 0)
		return NULL;
	return out;
}

static int parse_uint(const char *key, const char *v, unsigned long long min,
                      unsigned long long max, unsigned long long *ret, struct cu_error *err)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n < min || n > max)
		return cu_fail(err, CU_ERR_INVALID_ARG, "config",
		               "config: %s: '%s' is not a number from %llu to %llu", key, v, min,
		               max);
	*ret = n;
	return 0;
}

static int set_str(char **dst, char *v, struct cu_error *err)
{
	if (!v)
		return cu_fail(err, CU_ERR_NOMEM, "config", "config: out of memory");
	free(*dst);
	*dst = v;
	return 0;
}

int cu_config_set(struct cu_config *c, const char *key, const char *value, struct cu_error *err)
{
	unsigned long long n;
	int r;

	if (!strcmp(key, "listen")) {
		const char *colon = strrchr(value, ':');
		char *addr;

		if (!colon || colon == value)
			return cu_fail(
			    err, CU_ERR_INVALID_ARG, "config",
			    "config: listen: expected ADDRESS:PORT such as 127.0.0.1:8443");
		if ((r = parse_uint("listen port", colon + 1, 0, 65535, &n, err)) < 0)
			return r;
		addr = strndup(value, (size_t)(colon - value));
		/* [::1]:8443 */
		if (addr && addr[0] == '[' && addr[strlen(addr) - 1] == ']') {
			memmove(addr, addr + 1, strlen(addr));
			addr[strlen(addr) - 1] = '\0';
		}
		c->listen_port = (uint16_t)n;
		return set_str(&c->listen_address, addr, err);
	}
	if (!strcmp(key, "rate_limit")) {
		if ((r = parse_uint(key, value, 0, 1000000, &n, err)) < 0)
			return r;
		c->rate_limit = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "threads") || !strcmp(key, "max_connections") ||
	    !strcmp(key, "max_connections_per_ip") || !strcmp(key, "timeout")) {
		unsigned *dst = !strcmp(key, "threads")           ? &c->threads
		                : !strcmp(key, "max_connections") ? &c->max_connections
		                : !strcmp(key, "timeout")         ? &c->timeout
		                                                  : &c->max_connections_per_ip;
		if ((r = parse_uint(key, value, 1, 1000000, &n, err)) < 0)
			return r;
		*dst = (unsigned)n;
		return 0;
	}
	if (!strcmp(key, "max_body") || !strcmp(key, "max_header_size")) {
		if ((r = parse_uint(key, value, 1024, 64u << 20, &n, err)) < 0)
			return r;
		*(!strcmp(key, "max_body") ? &c->max_body : &c->max_header_size) = (size_t)n;
		return 0;
	}
	if (!strcmp(key, "session_lifetime") || !strcmp(key, "token_lifetime")) {
		if ((r = parse_uint(key, value, 1, 86400 * 366, &n, err)) < 0)
			return r;
		*(!strcmp(key, "session_lifetime") ? &c->session_lifetime : &c->token_lifetime) =
		    (int64_t)n;
		return 0;
	}
	if (!strcmp(key, "kek_pkcs11_token"))
		return set_str(&c->kek_pkcs11_token, strdup(value), err);
	if (!strcmp(key, "kek_pkcs11_label"))
		return set_str(&c->kek_pkcs11_label, strdup(value), err);
	if (!strcmp(key, "issuer"))
		return set_str(&c->issuer, strdup(value), err);
	if (!strcmp(key, "collateral")) {
		char **l = realloc(c->collateral, (c->n_collateral + 1) * sizeof(*l));
		if (!l)
			return cu_fail(err, CU_ERR_NOMEM, "config", "config: out of memory");
		c->collateral = l;
		if (!(l[c->n_collateral] = resolve(c, value)))
			return cu_fail(err, CU_ERR_NOMEM, "config", "config: out of memory");
		c->n_collateral++;
		return 0;
	}
	{
		static const struct {
			const char *key;
			size_t off;
		} paths[] = {
			{ "tls_cert", offsetof(struct cu_config, tls_cert) },
			{ "tls_key", offsetof(struct cu_config, tls_key) },
			{ "signing_key", offsetof(struct cu_config, signing_key) },
			{ "appraisal_policy", offsetof(struct cu_config, appraisal_policy) },
			{ "gpu_appraisal_policy",
			  offsetof(struct cu_config, gpu_appraisal_policy) },
			{ "refvalues", offsetof(struct cu_config, refvalues) },
			{ "insecure_test_root", offsetof(struct cu_config, insecure_test_root) },
			{ "database", offsetof(struct cu_config, database) },
			{ "log", offsetof(struct cu_config, log) },
			{ "kek", offsetof(struct cu_config, kek) },
			{ "admin_key", offsetof(struct cu_config, admin_key) },
			{ "kek_pkcs11_module", offsetof(struct cu_config, kek_pkcs11_module) },
			{ "kek_pkcs11_pin_file", offsetof(struct cu_config, kek_pkcs11_pin_file) },
		};
		for (size_t i = 0; i < ELEMENTSOF(paths); i++)
			if (!strcmp(key, paths[i].key))
				return set_str((char **)((char *)c + paths[i].off),
				               resolve(c, value), err);
	}
	return cu_fail(err, CU_ERR_INVALID_ARG, "config", "config: unknown key '%s'", key);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int cu_config_load(struct cu_config *c, const char *path, struct cu_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size;
	char *line, *save = NULL;
	unsigned lineno = 0;
	int r;

	r = cu_read_file(path, 1u << 20, &buf, &size, err);
	if (r < 0)
		return r;
	for (char *p = (char *)buf;; p = NULL) {
		char *eq, *key, *value;
		char where[64];

		line = strtok_r(p, "\n", &save);
		if (!line)
			break;
		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		snprintf(where, sizeof(where), "line %u: ", lineno);
		if (!eq) {
			cu_fail(err, CU_ERR_MALFORMED, "config", "config: expected key = value");
			cu_error_prefix(err, where);
			cu_error_prefix_file(err, path);
			return CU_ERR_MALFORMED;
		}
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		r = cu_config_set(c, key, value, err);
		if (r < 0) {
			cu_error_prefix(err, where);
			cu_error_prefix_file(err, path);
			return r;
		}
	}
	return 0;
}

/* ---- init ------------------------------------------------------------------------- */

static int write_private(const char *path, const void *data, size_t size, struct cu_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot create: %s", path,
		               strerror(errno));
	if (write(fd, data, size) != (ssize_t)size || fsync(fd) < 0) {
		close(fd);
		unlink(path);
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot write: %s", path,
		               strerror(errno));
	}
	close(fd);
	return 0;
}

static char *pem_of(int (*writer)(BIO *, const void *), const void *obj)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b && writer(b, obj) == 1 && (n = BIO_get_mem_data(b, &data)) > 0)
		out = strndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static int w_cert(BIO *b, const void *x)
{
	return PEM_write_bio_X509(b, (X509 *)x);
}

static int w_key(BIO *b, const void *k)
{
	return PEM_write_bio_PrivateKey(b, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL);
}

static int w_pub(BIO *b, const void *k)
{
	return PEM_write_bio_PUBKEY(b, (EVP_PKEY *)k);
}

/* A self-signed ECDSA P-256 certificate for localhost and 127.0.0.1, valid ten years. */
static X509 *tls_cert_new(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	uint8_t serial[16];
	BIGNUM *bn;

	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
		BN_free(bn);
		goto fail;
	}
	BN_free(bn);
	if (X509_set_version(x, 2) != 1 || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                               (const unsigned char *)"custosd", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 || X509_set_pubkey(x, key) != 1)
		goto fail;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	                          "DNS:localhost,IP:127.0.0.1,IP:::1");
	if (!ext || X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		goto fail;
	}
	X509_EXTENSION_free(ext);
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static const char default_config[] =
    "# custosd configuration (docs/custosd.md). Relative paths are inside the data\n"
    "# directory. Command-line options override these settings.\n"
    "listen = 127.0.0.1:8443\n"
    "threads = 4\n"
    "# Requests: bodies above max_body get 413; stalled connections close after timeout s.\n"
    "max_body = 1048576\n"
    "max_header_size = 32768\n"
    "max_connections = 1024\n"
    "max_connections_per_ip = 128\n"
    "timeout = 10\n"
    "# Requests per second from one client address (bursts of twice that); 0 turns it off.\n"
    "rate_limit = 2000\n"
    "# Challenge sessions and attestation results (seconds).\n"
    "session_lifetime = 300\n"
    "token_lifetime = 300\n"
    "issuer = custos\n"
    "tls_cert = tls/cert.pem\n"
    "tls_key = tls/key.pem\n"
    "signing_key = keys/ear-signing-key.json\n"
    "appraisal_policy = policies/appraisal.json\n"
    "# NVIDIA GPUs attested with the CPU (KBS additional evidence): their submodules.\n"
    "gpu_appraisal_policy = policies/appraisal-gpu.json\n"
    "refvalues = refvalues.json\n"
    "database = custosd.db\n"
    "# Key-encryption key for stored secrets, and the public key that signs admin tokens.\n"
    "kek = keys/kek.hex\n"
    "# Or keep the KEK in an HSM (a key made with 'custosd kek-create'):\n"
    "# kek_pkcs11_module = /usr/lib/softhsm/libsofthsm2.so\n"
    "# kek_pkcs11_token = custos\n"
    "# kek_pkcs11_pin_file = keys/hsm-pin\n"
    "# kek_pkcs11_label = custos-kek\n"
    "admin_key = keys/admin-pub.pem\n"
    "# Vendor certificates and CRLs (the AMD ARKs are built in); repeatable.\n"
    "collateral = collateral\n";

/* Verified platform, debugging off, and a measurement from the "measurements" set. */
static const char default_appraisal[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"kind\": \"appraisal\",\n"
    "  \"id\": \"default\",\n"
    "  \"description\": \"custosd init: genuine hardware, no debugging, a measurement from "
    "the reference values\",\n"
    "  \"trustworthiness\": {\n"
    "    \"hardware\": { \"when\": { \"claim\": \"tee\", \"exists\": true }, \"pass\": "
    "\"genuine\", \"fail\": \"unrecognized\" },\n"
    "    \"executables\": { \"when\": { \"claim\": \"measurement\", \"in\": { \"refvalues\": "
    "\"measurements\" } }, \"pass\": \"approved_runtime\", \"fail\": \"unrecognized\" },\n"
    "    \"configuration\": { \"when\": { \"claim\": \"debug\", \"equals\": false }, \"pass\": "
    "\"approved\", \"fail\": \"unsafe\" },\n"
    "    \"runtime-opaque\": { \"when\": { \"claim\": \"debug\", \"equals\": false }, \"pass\": "
    "\"encrypted\", \"fail\": \"visible\" }\n"
    "  }\n"
    "}\n";

/*
 * GPU submodules: a genuine NVIDIA GPU whose measurements all match its
 * driver and VBIOS RIMs. Also the policy when gpu_appraisal_policy is unset.
 */
static const char default_gpu_appraisal[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"kind\": \"appraisal\",\n"
    "  \"id\": \"default-gpu\",\n"
    "  \"description\": \"custosd init: a genuine NVIDIA GPU whose measurements match its "
    "driver and VBIOS RIMs\",\n"
    "  \"trustworthiness\": {\n"
    "    \"hardware\": { \"when\": { \"claim\": \"tee\", \"equals\": \"nvidia-gpu\" }, "
    "\"pass\": \"genuine\", \"fail\": \"unrecognized\" },\n"
    "    \"executables\": { \"when\": { \"claim\": \"gpu.rim.result\", \"equals\": "
    "\"match\" }, \"pass\": \"approved_runtime\", \"fail\": \"unrecognized\" }\n"
    "  }\n"
    "}\n";

static const char default_refvalues[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"sets\": {\n"
    "    \"measurements\": {\n"
    "      \"description\": \"Launch measurements of approved workloads (empty: none yet)\",\n"
    "      \"values\": []\n"
    "    }\n"
    "  }\n"
    "}\n";

static int mkdir_private(const char *dir, const char *sub, struct cu_error *err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	if (mkdir(path, 0700) < 0)
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot create: %s", path,
		               strerror(errno));
	return 0;
}

int cu_service_init_dir(const char *dir, FILE *out, struct cu_error *err)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *tls_key = NULL, *admin = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	_cleanup_free_ char *cert_pem = NULL, *key_pem = NULL, *admin_pem = NULL, *admin_pub = NULL;
	_cleanup_(cu_store_closep) cu_store *store = NULL;
	cu_signing_key *sk = NULL;
	uint8_t kek[32];
	char path[4096], hex[65];
	const char *subdirs[] = { "tls", "keys", "policies", "collateral" };
	json_t *rec;
	int r;

	if ((r = mkdir_private(dir, NULL, err)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(subdirs); i++)
		if ((r = mkdir_private(dir, subdirs[i], err)) < 0)
			return r;

	tls_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	admin = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cert = tls_key ? tls_cert_new(tls_key) : NULL;
	if (!cert || !admin || !(cert_pem = pem_of(w_cert, cert)) ||
	    !(key_pem = pem_of(w_key, tls_key)) || !(admin_pem = pem_of(w_key, admin)) ||
	    !(admin_pub = pem_of(w_pub, admin)))
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "cannot generate keys");

#define WRITE(name, data, size)                                                                    \
	do {                                                                                       \
		snprintf(path, sizeof(path), "%s/%s", dir, name);                                  \
		if ((r = write_private(path, data, size, err)) < 0)                                \
			goto fail;                                                                 \
	} while (0)

	WRITE("tls/cert.pem", cert_pem, strlen(cert_pem));
	WRITE("tls/key.pem", key_pem, strlen(key_pem));
	WRITE("keys/admin-key.pem", admin_pem, strlen(admin_pem));
	WRITE("keys/admin-pub.pem", admin_pub, strlen(admin_pub));
	if (RAND_priv_bytes(kek, sizeof(kek)) != 1) {
		r = cu_fail(err, CU_ERR_INTERNAL, STAGE,
		            "no randomness for the key-encryption key");
		goto fail;
	}
	cu_hex_encode(kek, sizeof(kek), hex);
	OPENSSL_cleanse(kek, sizeof(kek));
	hex[64] = '\n';
	WRITE("keys/kek.hex", hex, 65);
	OPENSSL_cleanse(hex, sizeof(hex));
	WRITE("custosd.conf", default_config, strlen(default_config));
	WRITE("policies/appraisal.json", default_appraisal, strlen(default_appraisal));
	WRITE("policies/appraisal-gpu.json", default_gpu_appraisal, strlen(default_gpu_appraisal));
	WRITE("refvalues.json", default_refvalues, strlen(default_refvalues));
#undef WRITE

	snprintf(path, sizeof(path), "%s/keys/ear-signing-key.json", dir);
	if ((r = cu_signing_key_open(&sk, path, CU_ALG_ES256, NULL, err)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/custosd.db", dir);
	if ((r = cu_store_open(&store, path, err)) < 0)
		goto fail;
	rec = json_pack("{s:s,s:s}", "event", "init", "signing_kid", cu_signing_key_kid(sk));
	r = cu_store_audit_append(store, (int64_t)time(NULL), "admin", rec, NULL, err);
	json_decref(rec);
	if (r < 0)
		goto fail;
	if (out)
		fprintf(
		    out,
		    "created %s\n"
		    "  tls/cert.pem, tls/key.pem     self-signed TLS certificate for localhost\n"
		    "  keys/ear-signing-key.json     attestation-result signing key (ES256, kid "
		    "%s)\n"
		    "  keys/kek.hex                  key-encryption key for stored secrets\n"
		    "  keys/admin-key.pem            admin credential (Ed25519 private key)\n"
		    "  custosd.conf, policies/appraisal.json, refvalues.json, custosd.db\n"
		    "serve it with: custosd --data %s\n",
		    dir, cu_signing_key_kid(sk), dir);
	cu_signing_key_free(sk);
	return 0;
fail:
	cu_signing_key_free(sk);
	return r;
}

/* ---- load / start ------------------------------------------------------------------ */

static char *read_text(const char *path, struct cu_error *err)
{
	uint8_t *buf = NULL;
	size_t size;

	if (cu_read_file(path, 1u << 20, &buf, &size, err) < 0)
		return NULL;
	return (char *)buf;
}

/*
 * The admin keys for cu_token_verify: a public key (PEM) as a one-key JWKS, or
 * a JWKS file (.json) whose keys each carry a kid.
 */
static int load_admin_key(struct cu_service *svc, const char *path, struct cu_error *err)
{
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pk = NULL;
	size_t n = strlen(path), i;
	json_t *jwk, *k;
	int r;

	if (n > 5 && !strcmp(path + n - 5, ".json")) {
		r = cu_json_load_file(path, CU_LIMIT_KEYFILE_SIZE, "admin-jwks", &svc->admin_jwks,
		                      err);
		if (r < 0)
			return r;
		if (!json_is_array(json_object_get(svc->admin_jwks, "keys")) ||
		    json_array_size(json_object_get(svc->admin_jwks, "keys")) == 0)
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "%s: expected {\"keys\": [JWK, ...]}", path);
		json_array_foreach (json_object_get(svc->admin_jwks, "keys"), i, k)
			if (json_object_get(k, "d"))
				return cu_fail(
				    err, CU_ERR_MALFORMED, STAGE,
				    "%s: keys[%zu] is a private key: give public keys only", path,
				    i);
		return 0;
	}
	bio = BIO_new_file(path, "r");
	if (!bio || !(pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)))
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot read the admin public key (PEM)",
		               path);
	jwk = cu_jwk_from_pkey(pk, false);
	if (!jwk)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               "%s: the admin key must be Ed25519, P-256 or P-384", path);
	svc->admin_jwks = json_pack("{s:[o]}", "keys", jwk);
	return svc->admin_jwks ? 0 : cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
}

int cu_service_load(struct cu_service *svc, struct cu_error *err)
{
	struct cu_config *c = &svc->config;
	int r;

	if (!c->tls_cert || !c->tls_key || !c->signing_key || !c->appraisal_policy || !c->database)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               "configuration incomplete: tls_cert, tls_key, signing_key, "
		               "appraisal_policy and database are required");
	if (c->log) {
		svc->log = fopen(c->log, "ae");
		if (!svc->log)
			return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot open the log: %s", c->log,
			               strerror(errno));
	} else {
		svc->log = stderr;
	}
	if ((r = cu_verifier_new(&svc->verifier, err)) < 0)
		return r;
	for (size_t i = 0; i < c->n_collateral; i++) {
		struct stat st;

		/* An absent default collateral directory is fine; a named file must exist. */
		if (stat(c->collateral[i], &st) < 0 && errno == ENOENT)
			continue;
		if ((r = cu_verifier_add_collateral(svc->verifier, c->collateral[i], err)) < 0)
			return r;
	}
	if (c->insecure_test_root) {
		/* One PEM file, one or more test roots (e.g. a simulated SNP and a TDX platform). */
		_cleanup_free_ uint8_t *root = NULL;
		_cleanup_x509_stack_ STACK_OF(X509) *certs = NULL;
		_cleanup_crl_stack_ STACK_OF(X509_CRL) *crls = NULL;
		size_t size;

		if ((r = cu_read_file(c->insecure_test_root, CU_LIMIT_COLLATERAL_FILE_SIZE, &root,
		                      &size, err)) < 0 ||
		    (r = cu_x509_parse_any(root, size, &certs, &crls, err)) < 0)
			return r;
		if (r == 0)
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "insecure_test_root %s: no certificate",
			               c->insecure_test_root);
		for (int i = 0; i < sk_X509_num(certs); i++) {
			unsigned char *der = NULL;
			int n = i2d_X509(sk_X509_value(certs, i), &der);

			r = n > 0
			        ? cu_verifier_add_test_root_INSECURE(svc->verifier, der, (size_t)n,
			                                             err)
			        : cu_fail(err, CU_ERR_INTERNAL, STAGE, "cannot encode a test root");
			OPENSSL_free(der);
			if (r < 0)
				return r;
		}
		svc->insecure = true;
	}
	if (c->refvalues && (r = cu_refvalues_load_file(&svc->refvalues, c->refvalues, err)) < 0)
		return r;
	if ((r = cu_policy_load_file(&svc->appraisal, c->appraisal_policy, svc->refvalues, err)) <
	    0)
		return r;
	if (c->gpu_appraisal_policy)
		r = cu_policy_load_file(&svc->gpu_appraisal, c->gpu_appraisal_policy,
		                        svc->refvalues, err);
	else
		r = cu_policy_load(&svc->gpu_appraisal, default_gpu_appraisal,
		                   strlen(default_gpu_appraisal), svc->refvalues, err);
	if (r < 0)
		return r;
	if (cu_policy_get_kind(svc->gpu_appraisal) != CU_POLICY_APPRAISAL)
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               "%s: gpu_appraisal_policy must be an appraisal policy (kind "
		               "\"appraisal\")",
		               c->gpu_appraisal_policy);
	if (c->kek_pkcs11_module) {
		if (!c->kek_pkcs11_token || !c->kek_pkcs11_pin_file)
			return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
			               "configuration incomplete: kek_pkcs11_module needs "
			               "kek_pkcs11_token and kek_pkcs11_pin_file");
		if ((r = cu_kek_open_pkcs11(
		         c->kek_pkcs11_module, c->kek_pkcs11_token, c->kek_pkcs11_pin_file,
		         c->kek_pkcs11_label ? c->kek_pkcs11_label : "custos-kek", &svc->kek,
		         err)) < 0)
			return r;
	} else {
		if (!c->kek)
			return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
			               "configuration incomplete: kek");
		if ((r = cu_kek_load(c->kek, &svc->kek, err)) < 0)
			return r;
	}
	if (c->admin_key && (r = load_admin_key(svc, c->admin_key, err)) < 0)
		return r;
	if (cu_policy_get_kind(svc->appraisal) != CU_POLICY_APPRAISAL)
		return cu_fail(
		    err, CU_ERR_INVALID_ARG, STAGE,
		    "%s: appraisal_policy must be an appraisal policy (kind \"appraisal\")",
		    c->appraisal_policy);
	if ((r = cu_signing_key_open(&svc->key, c->signing_key, CU_ALG_ES256, NULL, err)) < 0)
		return r;
	svc->jwks = cu_signing_key_jwks(svc->key);
	if (!svc->jwks)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
	return cu_store_open(&svc->store, c->database, err);
}

int cu_service_start(struct cu_service *svc, struct cu_error *err)
{
	struct cu_config *c = &svc->config;
	_cleanup_free_ char *cert = NULL, *key = NULL;
	struct cu_http_opts o = {
		.address = c->listen_address,
		.port = c->listen_port,
		.routes = cu_routes,
		.n_routes = cu_n_routes,
		.ctx = svc,
		.max_body = c->max_body,
		.threads = c->threads,
		.max_conns = c->max_connections,
		.max_conns_per_ip = c->max_connections_per_ip,
		.timeout = c->timeout,
		.max_header_size = c->max_header_size,
		.rate_limit = c->rate_limit,
		.log = svc->log,
	};
	int r;

	if (!(cert = read_text(c->tls_cert, err)) || !(key = read_text(c->tls_key, err)))
		return err ? err->code : CU_ERR_IO;
	o.tls_cert_pem = cert;
	o.tls_key_pem = key;
	r = cu_http_start(&svc->http, &o, err);
	OPENSSL_cleanse(key, strlen(key));
	return r;
}

void cu_service_stop(struct cu_service *svc)
{
	cu_http_stop(svc->http);
	cu_store_close(svc->store);
	json_decref(svc->jwks);
	cu_signing_key_free(svc->key);
	cu_policy_free(svc->appraisal);
	cu_policy_free(svc->gpu_appraisal);
	cu_refvalues_free(svc->refvalues);
	json_decref(svc->admin_jwks);
	cu_kek_wipe(&svc->kek);
	cu_verifier_free(svc->verifier);
	if (svc->log && svc->log != stderr)
		fclose(svc->log);
	cu_config_free(&svc->config);
	memset(svc, 0, sizeof(*svc));
}

int cu_service_tenant_refvalues(struct cu_service *svc, const char *tenant, cu_refvalues **ret,
                                struct cu_error *err)
{
	_cleanup_free_ char *doc = NULL;
	int64_t rev;
	int r;

	*ret = NULL;
	r = cu_store_refvalues_get_latest(svc->store, tenant, &doc, &rev, err);
	if (r == CU_ERR_NOT_FOUND) {
		cu_error_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	return cu_refvalues_load(ret, doc, strlen(doc), err);
}

const char *const cu_release_tees[CU_RELEASE_TEES] = { "sev-snp", "tdx", "sgx",        "nitro",
	                                               "cca",     "tpm", "nvidia-gpu", "unknown" };

void cu_service_count_release(struct cu_service *svc, const char *tee, bool allowed)
{
	size_t t = CU_RELEASE_TEES - 1;

	for (size_t i = 0; tee && i < CU_RELEASE_TEES - 1; i++)
		if (!strcmp(cu_release_tees[i], tee))
			t = i;
	__atomic_fetch_add(&svc->releases[t][allowed ? 1 : 0], 1, __ATOMIC_RELAXED);
}

void cu_service_count_attestation(struct cu_service *svc, const char *tee, const char *outcome)
{
	static const char *const outcomes[CU_ATTEST_OUTCOMES] = { "affirming", "warning",
		                                                  "contraindicated", "none",
		                                                  "rejected" };
	const char *const *formats = cu_formats();
	size_t t = CU_METRIC_TEES - 1, o = 4;

	for (size_t i = 0; formats[i] && i < CU_METRIC_TEES - 1; i++)
		if (tee && !strcmp(formats[i], tee))
			t = i;
	for (size_t i = 0; i < CU_ATTEST_OUTCOMES; i++)
		if (!strcmp(outcomes[i], outcome))
			o = i;
	__atomic_fetch_add(&svc->attestations[t][o], 1, __ATOMIC_RELAXED);
}
