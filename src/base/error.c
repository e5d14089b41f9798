/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "encoding.h"
#include "error.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} errors[] = {
	{ CU_OK, "ok", "success" },
	{ CU_ERR_NOMEM, "nomem", "out of memory" },
	{ CU_ERR_INVALID_ARG, "invalid_argument", "invalid argument" },
	{ CU_ERR_IO, "io", "input/output error" },
	{ CU_ERR_MALFORMED, "malformed", "malformed input" },
	{ CU_ERR_TOO_LARGE, "too_large", "input exceeds a size limit" },
	{ CU_ERR_UNSUPPORTED, "unsupported", "unsupported version or algorithm" },
	{ CU_ERR_RESERVED, "reserved", "reserved field is not zero" },
	{ CU_ERR_SIGNATURE, "signature", "signature verification failed" },
	{ CU_ERR_CHAIN, "chain", "certificate chain does not lead to a trusted root" },
	{ CU_ERR_EXPIRED, "expired", "not valid at the verification time" },
	{ CU_ERR_REVOKED, "revoked", "certificate revoked" },
	{ CU_ERR_MISMATCH, "mismatch", "evidence does not match its endorsement" },
	{ CU_ERR_BINDING, "binding", "evidence is not bound to the expected data" },
	{ CU_ERR_NOT_FOUND, "not_found", "required collateral not found" },
	{ CU_ERR_UNKNOWN_FORMAT, "unknown_format", "evidence format not recognised" },
	{ CU_ERR_INTERNAL, "internal", "internal error" },
};

CU_EXPORT const char *cu_strerror(int code)
{
	for (size_t i = 0; i < ELEMENTSOF(errors); i++)
		if (errors[i].code == code)
			return errors[i].text;
	return "unknown error";
}

CU_EXPORT const char *cu_errname(int code)
{
	for (size_t i = 0; i < ELEMENTSOF(errors); i++)
		if (errors[i].code == code)
			return errors[i].name;
	return "unknown";
}

int cu_error_set(struct cu_error *err, int code, const char *stage, const char *file, int line,
                 const char *fmt, ...)
{
	if (err) {
		va_list ap;

		err->code = code;
		err->stage = stage;
		err->file = file;
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
		cu_utf8_trim_partial(err->message);
	}
	return code;
}

void cu_error_clear(struct cu_error *err)
{
	if (!err)
		return;
	err->code = CU_OK;
	err->stage = NULL;
	err->message[0] = '\0';
	err->file = NULL;
	err->line = 0;
}

void cu_error_prefix(struct cu_error *err, const char *prefix)
{
	char tmp[CU_ERROR_MESSAGE_MAX];

	if (!err || !prefix)
		return;
	snprintf(tmp, sizeof(tmp), "%s%s", prefix, err->message);
	cu_utf8_trim_partial(tmp);
	memcpy(err->message, tmp, sizeof(tmp));
}

void cu_error_prefix_file(struct cu_error *err, const char *path)
{
	size_t plen, mlen;

	if (!err || !path)
		return;
	/* "PATH: message", cut to fit. */
	plen = strnlen(path, CU_ERROR_MESSAGE_MAX / 2);
	mlen = strnlen(err->message, CU_ERROR_MESSAGE_MAX - 1);
	if (plen + 2 + mlen > CU_ERROR_MESSAGE_MAX - 1)
		mlen = CU_ERROR_MESSAGE_MAX - 1 - plen - 2;
	memmove(err->message + plen + 2, err->message, mlen);
	memcpy(err->message, path, plen);
	memcpy(err->message + plen, ": ", 2);
	err->message[plen + 2 + mlen] = '\0';
	cu_utf8_trim_partial(err->message);
}

int cu_error_set_path(struct cu_error *err, int code, const char *stage, const char *path,
                      const char *file, int line, const char *fmt, ...)
{
	char msg[CU_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cu_error_set(err, code, stage, file, line, "%s: %s: %s", stage, path, msg);
}
