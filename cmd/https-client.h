/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CMD_HTTPS_CLIENT_H
#define CU_CMD_HTTPS_CLIENT_H

#include <stddef.h>

#include <openssl/ssl.h>

#include <custos/error.h>

struct cu_https {
	SSL_CTX *ctx;
	char hostport[300]; /* "host:port" to connect to */
	char host[256];     /* the name or address the certificate must carry */
	char cookie[256];   /* "kbs-session-id=..." once the server set it */
};

/* https://HOST[:PORT]; ca: a CA file, or NULL for the system's store. */
int cu_https_init(struct cu_https *h, const char *url, const char *ca, struct cu_error *err);
void cu_https_free(struct cu_https *h);

/*
 * One request (body: JSON or NULL). Returns the HTTP status and the reply
 * body (malloc'ed, NUL-terminated), or -1 with err set.
 */
long cu_https_request(struct cu_https *h, const char *method, const char *path, const char *body,
                      char **ret_body, size_t *ret_size, struct cu_error *err);

/*
 * Parse a whole HTTP/1.x reply of n bytes held in buf (NUL-terminated at n):
 * returns the status, moves the body (de-chunked) to the start of buf,
 * NUL-terminated, with its size in *ret_size, and keeps a kbs-session-id
 * Set-Cookie in cookie. -1 with err set when it is not a well-formed reply.
 */
long cu_https_parse_reply(char *buf, size_t n, char *cookie, size_t cookie_size, size_t *ret_size,
                          struct cu_error *err);

#endif
