/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configfs-tsm attester (Linux 6.7+, Documentation/ABI/testing/
 * configfs-tsm): one directory under /sys/kernel/config/tsm/report per
 * request; write 64 bytes to inblob, read outblob (the report or quote),
 * auxblob (SEV-SNP: the GHCB certificate table) and provider; generation
 * tells whether another writer interfered, in which case it is retried.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "../src/base/error.h"
#include "../src/base/limits.h"
#include "agent-tsm.h"

#define STAGE "tsm"

static char *path_of(const char *p)
{
	const char *root = getenv("CUSTOS_AGENT_SYSROOT");
	char *out;

	if (asprintf(&out, "%s%s", root ? root : "", p) < 0)
		return NULL;
	return out;
}

/* Read a whole attribute (bounded); *ret malloc'ed, NUL-terminated. */
static int read_attr(const char *dir, const char *name, uint8_t **ret, size_t *ret_size)
{
	char path[4200];
	size_t cap = 8192, n = 0;
	uint8_t *b = malloc(cap + 1);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!b)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(b);
		return -e;
	}
	for (;;) {
		ssize_t got = read(fd, b + n, cap - n);
		if (got < 0) {
			int e = errno;
			close(fd);
			free(b);
			return -e;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap) {
			uint8_t *nb;
			if (cap >= CU_LIMIT_EVIDENCE_SIZE) {
				close(fd);
				free(b);
				return -EFBIG;
			}
			nb = realloc(b, cap * 2 + 1);
			if (!nb) {
				close(fd);
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
	}
	close(fd);
	b[n] = '\0';
	*ret = b;
	*ret_size = n;
	return 0;
}

static int write_attr(const char *dir, const char *name, const uint8_t *data, size_t size)
{
	char path[4200];
	int fd;
	ssize_t w;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	w = write(fd, data, size);
	close(fd);
	return w == (ssize_t)size ? 0 : -EIO;
}

static long generation(const char *dir)
{
	uint8_t *b = NULL;
	size_t n;
	long g;

	if (read_attr(dir, "generation", &b, &n) < 0)
		return -1;
	g = strtol((const char *)b, NULL, 10);
	free(b);
	return g;
}

int cu_agent_tsm_report(const uint8_t report_data[64], struct cu_tsm_evidence *ret,
                        struct cu_error *err)
{
	_cleanup_free_ char *base = path_of("/sys/kernel/config/tsm/report");
	struct cu_tsm_evidence out = { 0 };
	char dir[4096];
	uint8_t rnd[8];
	struct stat st;
	int r = 0;

	if (!base || stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
		return cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		               "configfs-tsm is not available (%s): a kernel 6.7 or later with a "
		               "TSM provider, and configfs mounted",
		               "/sys/kernel/config/tsm/report");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "no randomness");
	snprintf(dir, sizeof(dir), "%s/custos-%d-%02x%02x%02x%02x", base, (int)getpid(), rnd[0],
	         rnd[1], rnd[2], rnd[3]);
	if (mkdir(dir, 0700) < 0)
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot create: %s", dir,
		               strerror(errno));
	for (int attempt = 0; attempt < 3; attempt++) {
		long g0 = generation(dir), g1;
		struct timespec pause = { 0, 10 * 1000 * 1000 };

		if ((r = write_attr(dir, "inblob", report_data, 64)) < 0) {
			r = cu_fail(err, CU_ERR_IO, STAGE, "%s/inblob: %s", dir, strerror(-r));
			break;
		}
		/* outblob is produced when read; allow a provider a moment to have it ready. */
		for (int i = 0; i < 200; i++) {
			free(out.outblob);
			out.outblob = NULL;
			if (read_attr(dir, "outblob", &out.outblob, &out.outblob_size) == 0 &&
			    out.outblob_size)
				break;
			nanosleep(&pause, NULL);
		}
		if (!out.outblob || !out.outblob_size) {
			r = cu_fail(err, CU_ERR_IO, STAGE,
			            "%s/outblob: no report from the provider", dir);
			break;
		}
		g1 = generation(dir);
		if (g0 >= 0 && g1 >= 0 && g1 != g0 + 1)
			continue; /* another writer changed inblob meanwhile: again */
		free(out.auxblob);
		out.auxblob = NULL;
		if (read_attr(dir, "auxblob", &out.auxblob, &out.auxblob_size) < 0)
			out.auxblob_size = 0;
		{
			uint8_t *prov = NULL;
			size_t n;

			if (read_attr(dir, "provider", &prov, &n) == 0) {
				snprintf(out.provider, sizeof(out.provider), "%.*s",
				         (int)strcspn((const char *)prov, "\n"),
				         (const char *)prov);
				free(prov);
			}
		}
		r = 0;
		goto done;
	}
	if (r == 0)
		r = cu_fail(err, CU_ERR_IO, STAGE, "%s: another writer kept changing inblob", dir);
done:
	/* configfs removes the attributes with the directory; a plain directory needs them gone. */
	if (getenv("CUSTOS_AGENT_SYSROOT")) {
		const char *names[] = { "inblob", "outblob", "auxblob", "provider", "generation" };
		for (size_t i = 0; i < ELEMENTSOF(names); i++) {
			char p[4200];
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
		}
	}
	rmdir(dir);
	if (r < 0) {
		cu_agent_tsm_clear(&out);
		return r;
	}
	*ret = out;
	return 0;
}

void cu_agent_tsm_clear(struct cu_tsm_evidence *e)
{
	free(e->outblob);
	free(e->auxblob);
	memset(e, 0, sizeof(*e));
}
