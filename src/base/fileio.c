/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"

int cu_read_file(const char *path, size_t max_size, uint8_t **ret, size_t *ret_size,
                 struct cu_error *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size = 0, cap;
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cu_fail(err, CU_ERR_IO, "input", "cannot open %s: %s", path,
		               strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cu_fail(err, CU_ERR_IO, "input", "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max_size) {
		close(fd);
		return cu_fail(err, CU_ERR_TOO_LARGE, "input", "%s is %lld bytes, limit is %zu",
		               path, (long long)st.st_size, max_size);
	}
	/* Read until EOF rather than trusting st_size; stop one byte past the limit. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return cu_fail(err, CU_ERR_NOMEM, "input", "out of memory reading %s", path);
	}
	for (;;) {
		ssize_t n;

		if (size == cap) {
			if (size > max_size) {
				r = cu_fail(err, CU_ERR_TOO_LARGE, "input",
				            "%s exceeds the limit of %zu bytes", path, max_size);
				break;
			}
			cap = cap * 2 > max_size + 1 ? max_size + 1 : cap * 2;
			uint8_t *nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				r = cu_fail(err, CU_ERR_NOMEM, "input", "out of memory reading %s",
				            path);
				break;
			}
			buf = nbuf;
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = cu_fail(err, CU_ERR_IO, "input", "cannot read %s: %s", path,
			            strerror(errno));
			break;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return r;
	if (size > max_size)
		return cu_fail(err, CU_ERR_TOO_LARGE, "input", "%s exceeds the limit of %zu bytes",
		               path, max_size);
	buf[size] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_size = size;
	return 0;
}
