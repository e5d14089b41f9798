/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the custos subcommands. */
#ifndef CU_CMD_CLI_H
#define CU_CMD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <custos/appraisal.h>
#include <custos/error.h>

#include "../src/base/macro.h"

enum {
	EXIT_VERIFIED = 0, /* also: allowed, affirming, valid */
	EXIT_REJECTED = 1, /* also: denied, not affirming, invalid */
	EXIT_USAGE = 2,
};

extern const char *prog;

/* "custos: <message>\nTry 'custos help'." on stderr; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) _printf_(1, 2);

void print_json(const json_t *j);

/* One line on stderr naming the stage; with as_json also a JSON error object on stdout. */
void report_failure(const char *what, const struct cu_error *err, bool as_json);

/* --at: RFC 3339 or "now"/NULL for the current time. Returns 0 or EXIT_USAGE. */
int parse_at(const char *s, int64_t *ret);

/* Read a file ("-" is standard input) of at most max bytes. Returns 0 or EXIT_USAGE. */
int read_input(const char *path, size_t max, uint8_t **buf, size_t *size);

/*
 * Print a policy explanation: the failing clauses that decided the outcome
 * first, then (all) every other clause.
 */
void print_trace(FILE *f, const json_t *trace, bool all);

int cmd_policy(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_admin_client(int argc, char **argv);

/* A signed admin token (role, tenant for tenant-admin), or NULL with the reason printed. */
char *admin_token_mint(const char *key, const char *role, const char *tenant, long long lifetime,
                       const char *sub);

/* Load a policy, with reference values when `refvalues` is not NULL. */
int load_policy(const char *path, const char *refvalues, cu_policy **ret, struct cu_error *err);

/* Evaluate and print a decision (or an appraisal) with its explanation; returns an exit code. */
int eval_and_report(const cu_policy *p, const json_t *input, int64_t at, bool explain,
                    bool as_json);
enum key_mode {
	KEY_CREATE_IF_MISSING, /* verify --appraise: created on first use */
	KEY_MUST_BE_NEW,       /* token keygen */
	KEY_MUST_EXIST,        /* token rotate, token jwks */
};

/* Open the signing key at `path` (NULL: the default path). Returns an exit code. */
int open_signing_key(const char *path, const char *alg_name, enum key_mode mode,
                     cu_signing_key **ret);

/* Default signing key file: $XDG_CONFIG_HOME/custos/ear-signing-key.json (or ~/.config). */
int default_key_path(char **ret);

#endif
