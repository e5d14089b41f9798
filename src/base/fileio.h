/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_BASE_FILEIO_H
#define CU_BASE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include <custos/error.h>

#include "macro.h"

/*
 * Read a whole regular file of at most max_size bytes. On success *ret is
 * newly allocated (NUL-terminated for convenience, not counted in *ret_size).
 * Errors: CU_ERR_IO (cannot open/read, not a regular file), CU_ERR_TOO_LARGE.
 */
int cu_read_file(const char *path, size_t max_size, uint8_t **ret, size_t *ret_size,
                 struct cu_error *err) _must_check_;

#endif
