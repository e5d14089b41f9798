/* SPDX-License-Identifier: Apache-2.0 */
/* custos audit verify | export: the hash-chained audit log of a custosd data directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/store/store.h"
#include "cli.h"

static void audit_usage(FILE *f)
{
	fprintf(f,
	        "Usage: %s audit verify DB\n"
	        "       %s audit export DB\n"
	        "\n"
	        "  verify   recompute the audit log's hash chain; a changed, removed or inserted\n"
	        "           record is reported with its sequence number\n"
	        "  export   write every record as one JSON object per line (for a SIEM)\n"
	        "\n"
	        "DB is custosd's database (DATA_DIR/custosd.db) or its data directory.\n"
	        "Exit status: 0 intact, 1 broken chain, 2 usage error or unreadable database.\n",
	        prog, prog);
}

int cmd_audit(int argc, char **argv)
{
	_cleanup_(cu_store_closep) cu_store *s = NULL;
	_cleanup_free_ char *path = NULL;
	struct cu_error err = { 0 };
	uint64_t n = 0;
	size_t len;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		audit_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "verify") && strcmp(argv[1], "export"))
		return usage_error("unknown audit command '%s' (verify, export)", argv[1]);
	if (argc != 3)
		return usage_error("audit %s: expected the database or data directory", argv[1]);
	len = strlen(argv[2]);
	if (len > 3 && !strcmp(argv[2] + len - 3, ".db"))
		path = strdup(argv[2]);
	else if (asprintf(&path, "%s/custosd.db", argv[2]) < 0)
		path = NULL;
	if (!path)
		return usage_error("out of memory");
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "%s: %s: cannot read the database\n", prog, path);
		return EXIT_USAGE;
	}
	if (cu_store_open(&s, path, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err.message);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "export")) {
		if (cu_store_audit_export(s, stdout, &err) < 0) {
			fprintf(stderr, "%s: %s\n", prog, err.message);
			return EXIT_USAGE;
		}
		return 0;
	}
	if (cu_store_audit_verify(s, &n, &err) < 0) {
		fprintf(stderr, "%s: audit log BROKEN: %s\n", prog, err.message);
		return err.code == CU_ERR_MISMATCH ? EXIT_REJECTED : EXIT_USAGE;
	}
	printf("audit log intact: %llu records, hash chain verified\n", (unsigned long long)n);
	return 0;
}
