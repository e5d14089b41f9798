/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/base/fileio.c: bounded whole-file reads. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/base/fileio.h"
#include "test-util.h"

struct fixture {
	char dir[64];
};

static void write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (size)
		assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

static char *path_in(const struct fixture *fx, const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", fx->dir, name) > 0);
	return p;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/custos-test-fileio-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int r;

	r = nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return r == 0 ? 0 : -1;
}

/* Call cu_read_file expecting failure; check the outputs were not touched. */
static int read_fail(const char *path, size_t max, struct cu_error *err)
{
	uint8_t sentinel = 0;
	uint8_t *buf = &sentinel;
	size_t size = 12345;
	int r;

	r = cu_read_file(path, max, &buf, &size, err);
	assert_true(r < 0);
	assert_ptr_equal(buf, &sentinel);
	assert_int_equal(size, 12345);
	if (err) {
		assert_int_equal(err->code, r);
		assert_non_null(err->stage);
		assert_non_null(strstr(err->message, path));
	}
	return r;
}

static void test_read(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "data.bin");
	uint8_t content[1000];
	uint8_t *buf = NULL;
	size_t size = 0;
	struct cu_error err = { 0 };

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i * 7);
	write_file(p, content, sizeof(content));

	assert_int_equal(cu_read_file(p, 4096, &buf, &size, &err), 0);
	assert_int_equal(size, sizeof(content));
	assert_memory_equal(buf, content, sizeof(content));
	assert_int_equal(buf[size], '\0'); /* NUL-terminated, not counted */
	free(buf);

	/* NULL err is fine on success. */
	buf = NULL;
	assert_int_equal(cu_read_file(p, 4096, &buf, &size, NULL), 0);
	assert_int_equal(size, sizeof(content));
	free(buf);
}

static void test_exact_limit(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "exact.bin");
	uint8_t content[256];
	uint8_t *buf = NULL;
	size_t size = 0;
	struct cu_error err = { 0 };

	memset(content, 'e', sizeof(content));
	write_file(p, content, sizeof(content));
	assert_int_equal(cu_read_file(p, sizeof(content), &buf, &size, &err), 0);
	assert_int_equal(size, sizeof(content));
	assert_memory_equal(buf, content, sizeof(content));
	assert_int_equal(buf[size], '\0');
	free(buf);
}

static void test_one_over_limit(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "over.bin");
	uint8_t content[257];
	struct cu_error err = { 0 };

	memset(content, 'o', sizeof(content));
	write_file(p, content, sizeof(content));
	assert_int_equal(read_fail(p, sizeof(content) - 1, &err), CU_ERR_TOO_LARGE);
	assert_int_equal(read_fail(p, 0, &err), CU_ERR_TOO_LARGE);
	assert_int_equal(read_fail(p, 1, NULL), CU_ERR_TOO_LARGE);
}

static void test_empty(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "empty");
	uint8_t *buf = NULL;
	size_t size = 12345;
	struct cu_error err = { 0 };

	write_file(p, "", 0);
	assert_int_equal(cu_read_file(p, 0, &buf, &size, &err), 0);
	assert_non_null(buf);
	assert_int_equal(size, 0);
	assert_int_equal(buf[0], '\0');
	free(buf);

	buf = NULL;
	size = 12345;
	assert_int_equal(cu_read_file(p, 100, &buf, &size, &err), 0);
	assert_non_null(buf);
	assert_int_equal(size, 0);
	free(buf);
}

static void test_missing(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "does-not-exist");
	struct cu_error err = { 0 };

	assert_int_equal(read_fail(p, 4096, &err), CU_ERR_IO);
	assert_int_equal(read_fail(p, 4096, NULL), CU_ERR_IO);
}

static void test_directory(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = path_in(fx, "subdir");
	struct cu_error err = { 0 };

	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(read_fail(p, 4096, &err), CU_ERR_IO);
	assert_int_equal(read_fail(fx->dir, 4096, &err), CU_ERR_IO);
}

static void test_not_regular(void **state)
{
	struct cu_error err = { 0 };

	/* A character device is not a regular file. */
	if (access("/dev/null", R_OK) == 0)
		assert_int_equal(read_fail("/dev/null", 4096, &err), CU_ERR_IO);
}

static void test_unreadable(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *p = NULL;
	struct cu_error err = { 0 };

	if (geteuid() == 0)
		skip(); /* root reads anything */
	p = path_in(fx, "noperm");
	write_file(p, "secret", 6);
	assert_int_equal(chmod(p, 0), 0);
	assert_int_equal(read_fail(p, 4096, &err), CU_ERR_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_over_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
