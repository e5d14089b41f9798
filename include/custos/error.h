/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CUSTOS_ERROR_H
#define CUSTOS_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error codes: 0 is success, failures are negative. Each code is a stable
 * category that a client may act on; the human-readable detail (which field,
 * which stage) is in struct cu_error.
 */
enum cu_err {
	CU_OK = 0,
	CU_ERR_NOMEM = -1,       /* allocation failed */
	CU_ERR_INVALID_ARG = -2, /* caller passed a bad argument (usage error) */
	CU_ERR_IO = -3,          /* a file could not be read */
	CU_ERR_MALFORMED = -4,   /* input is not well-formed (truncated, bad encoding, ...) */
	CU_ERR_TOO_LARGE = -5,   /* input exceeds a limit from limits.h */
	CU_ERR_UNSUPPORTED = -6, /* well-formed but a version/algorithm we do not accept */
	CU_ERR_RESERVED = -7,    /* a reserved field is not zero */
	CU_ERR_SIGNATURE = -8,   /* a signature does not verify */
	CU_ERR_CHAIN = -9,       /* certificate chain does not lead to a pinned root */
	CU_ERR_EXPIRED = -10,    /* certificate or collateral not valid at the verification time */
	CU_ERR_REVOKED = -11,    /* certificate revoked by a CRL */
	CU_ERR_MISMATCH = -12, /* evidence disagrees with its endorsement (TCB, chip id, product) */
	CU_ERR_BINDING = -13,  /* report data / nonce does not match the expected binding */
	CU_ERR_NOT_FOUND = -14,      /* needed collateral (e.g. the VCEK) was not supplied */
	CU_ERR_UNKNOWN_FORMAT = -15, /* evidence type could not be detected */
	CU_ERR_INTERNAL = -16,       /* a library call failed unexpectedly */
};

#define CU_ERR_FIRST CU_ERR_INTERNAL

#define CU_ERROR_MESSAGE_MAX 320

/*
 * The detail of a failure. `stage` is a static string naming the verification
 * stage ("decode", "parse", "chain", "signature", "binding", "collateral",
 * "input", ...); `message` is one line naming the field, e.g.
 * "snp: report version 7 not supported".
 */
struct cu_error {
	int code;
	const char *stage;
	char message[CU_ERROR_MESSAGE_MAX];
	const char *file;
	int line;
};

/* A short, stable description of an error code (never NULL). */
const char *cu_strerror(int code);

/* A stable machine-readable name for an error code, e.g. "signature". */
const char *cu_errname(int code);

#ifdef __cplusplus
}
#endif

#endif
