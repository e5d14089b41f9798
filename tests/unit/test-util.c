/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../src/base/fileio.h"
#include "../../src/base/time.h"
#include "test-util.h"

const char *tu_corpus_dir(void)
{
	const char *dir = getenv("CUSTOS_CORPUS");
	const char *ci = getenv("CI");
	struct stat st;

	if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return dir;
	if (ci && strcmp(ci, "true") == 0) {
		fprintf(stderr, "evidence corpus missing at %s and CI=true: failing\n",
		        dir ? dir : "(unset)");
		fail_msg("evidence corpus missing under CI=true");
	}
	fprintf(stderr, "evidence corpus not found at %s: corpus tests skipped\n",
	        dir ? dir : "(unset)");
	return NULL;
}

int tu_for_each_sample(const char *kind, bool (*fn)(const char *dir, const char *name, void *ctx),
                       void *ctx)
{
	const char *corpus = tu_corpus_dir();
	char root[1024], dir[2048];
	struct dirent **names;
	int n, checked = 0;

	if (!corpus)
		skip(); /* does not return */
	snprintf(root, sizeof(root), "%s/%s", corpus, kind);
	n = scandir(root, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(dir, sizeof(dir), "%s/%s", root, names[i]->d_name);
			checked += fn(dir, names[i]->d_name, ctx);
		}
		free(names[i]);
	}
	free(names);
	return checked;
}

uint8_t *tu_read_file(const char *path, size_t *ret_size)
{
	struct cu_error err = { 0 };
	uint8_t *buf = NULL;

	if (cu_read_file(path, 64u << 20, &buf, ret_size, &err) < 0)
		fail_msg("cannot read %s: %s", path, err.message);
	return buf;
}

int64_t tu_time(const char *rfc3339)
{
	int64_t t = 0;

	if (cu_time_parse_rfc3339(rfc3339, &t) < 0)
		fail_msg("bad time %s", rfc3339);
	return t;
}

X509 *tu_self_signed(EVP_PKEY *key, const char *cn, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)cn, -1, -1, 0),
	                 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), 1704067200));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), 1893456000));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

json_t *tu_load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, JSON_ALLOW_NUL, &e);

	if (!j)
		fail_msg("cannot load %s: %s", path, e.text);
	return j;
}

json_t *tu_json_path(json_t *root, const char *dotted)
{
	char buf[256], *save = NULL, *tok;
	json_t *j = root;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	return j;
}
