/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_BASE_ERROR_H
#define CU_BASE_ERROR_H

#include <custos/error.h>

#include "macro.h"

/*
 * Fill *err (if not NULL) and return `code`, so that a failure reads
 *     return cu_fail(err, CU_ERR_MALFORMED, "parse", "snp: report truncated");
 */
int cu_error_set(struct cu_error *err, int code, const char *stage, const char *file, int line,
                 const char *fmt, ...) _printf_(6, 7);

#define cu_fail(err, code, stage, ...)                                                             \
	cu_error_set((err), (code), (stage), __FILE__, __LINE__, __VA_ARGS__)

/*
 * The same for an error located in a document: the message reads
 * "STAGE: PATH: ..." ("policy: $.allow.allOf[1]: unknown key ...").
 */
int cu_error_set_path(struct cu_error *err, int code, const char *stage, const char *path,
                      const char *file, int line, const char *fmt, ...) _printf_(7, 8);

#define cu_fail_path(err, code, stage, path, ...)                                                  \
	cu_error_set_path((err), (code), (stage), (path), __FILE__, __LINE__, __VA_ARGS__)

/* Reset an error to "no error". */
void cu_error_clear(struct cu_error *err);

/* Prefix the message of an existing error with more context ("while ..."). */
void cu_error_prefix(struct cu_error *err, const char *prefix);

/* Prefix the message with the name of the file it concerns ("FILE: ..."). */
void cu_error_prefix_file(struct cu_error *err, const char *path);

#endif
