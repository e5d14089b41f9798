/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replays fuzz seeds (files, or directories of files) through a fuzz target
 * without libFuzzer, so `meson test` runs every seed under the sanitizers.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../src/base/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	struct cu_error err = { 0 };
	uint8_t *buf;
	size_t size;

	if (cu_read_file(path, 16u << 20, &buf, &size, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	return 1;
}

static int run_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, total = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char p[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", path, names[i]->d_name);
			if (strstr(p, ".md") == NULL) {
				int k = run_path(p);
				if (k < 0)
					total = -1;
				else if (total >= 0)
					total += k;
			}
		}
		free(names[i]);
	}
	free(names);
	return total;
}

int main(int argc, char **argv)
{
	int total = 0;

	for (int i = 1; i < argc; i++) {
		int k = run_path(argv[i]);

		if (k < 0)
			return 1;
		total += k;
	}
	printf("replayed %d inputs\n", total);
	return total > 0 ? 0 : 1;
}
