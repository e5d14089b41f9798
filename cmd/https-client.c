/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's HTTPS client: just what the KBS protocol needs, on OpenSSL,
 * which the agent links anyway. TLS 1.2 or later with the peer verified
 * against the given CA (or the system's) and the host name or address
 * checked; HTTP/1.1, one connection per request; the kbs-session-id cookie
 * carried between requests; bodies bounded.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../src/base/error.h"
#include "../src/base/limits.h"
#include "https-client.h"

#define STAGE "https"

int cu_https_init(struct cu_https *h, const char *url, const char *ca, struct cu_error *err)
{
	const char *host = url + 8, *colon, *slash;
	size_t n;

	memset(h, 0, sizeof(*h));
	if (strncmp(url, "https://", 8))
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, "%s: only https:// URLs", url);
	slash = strchr(host, '/');
	n = slash ? (size_t)(slash - host) : strlen(host);
	if (n == 0 || n >= sizeof(h->hostport))
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, "%s: no host", url);
	memcpy(h->hostport, host, n);
	h->hostport[n] = '\0';
	/* host[:port] or [v6]:port */
	if (h->hostport[0] == '[') {
		const char *end = strchr(h->hostport, ']');
		if (!end)
			return cu_fail(err, CU_ERR_INVALID_ARG, STAGE, "%s: bad IPv6 address", url);
		snprintf(h->host, sizeof(h->host), "%.*s", (int)(end - h->hostport - 1),
		         h->hostport + 1);
	} else {
		colon = strrchr(h->hostport, ':');
		snprintf(h->host, sizeof(h->host), "%.*s",
		         (int)(colon ? (size_t)(colon - h->hostport) : strlen(h->hostport)),
		         h->hostport);
	}
	if (!strrchr(h->hostport, ':') || (h->hostport[0] == '[' && !strstr(h->hostport, "]:")))
		strncat(h->hostport, ":443", sizeof(h->hostport) - strlen(h->hostport) - 1);
	h->ctx = SSL_CTX_new(TLS_client_method());
	if (!h->ctx || SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION) != 1)
		return cu_fail(err, CU_ERR_INTERNAL, STAGE, "cannot set up TLS");
	SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);
	if (ca ? SSL_CTX_load_verify_locations(h->ctx, ca, NULL) != 1
	       : SSL_CTX_set_default_verify_paths(h->ctx) != 1)
		return cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot load the CA certificates",
		               ca ? ca : "system store");
	return 0;
}

void cu_https_free(struct cu_https *h)
{
	SSL_CTX_free(h->ctx);
	h->ctx = NULL;
}

/* Remember kbs-session-id from a Set-Cookie header line (value only, bounded). */
static void take_cookie(char *cookie, size_t cookie_size, const char *line, size_t n)
{
	const char *v = line + strlen("Set-Cookie:");

	while (v < line + n && *v == ' ')
		v++;
	if ((size_t)(line + n - v) > 15 && !strncmp(v, "kbs-session-id=", 15)) {
		size_t len = strcspn(v, ";\r\n");
		if (len < cookie_size && v + len <= line + n)
			snprintf(cookie, cookie_size, "%.*s", (int)len, v);
	}
}

/* Decode a chunked body in place; returns its size, or -1. */
static long unchunk(char *b, size_t n)
{
	size_t in = 0, out = 0;

	for (;;) {
		char *end;
		unsigned long len = strtoul(b + in, &end, 16);
		const char *crlf = strstr(end, "\r\n");

		if (end == b + in || !crlf || (size_t)(crlf - b) >= n)
			return -1;
		in = (size_t)(crlf - b) + 2;
		if (len == 0)
			return (long)out;
		if (len > n - in)
			return -1;
		memmove(b + out, b + in, len);
		out += len;
		in += len + 2;
		if (in > n)
			return -1;
	}
}

long cu_https_parse_reply(char *buf, size_t n, char *cookie, size_t cookie_size, size_t *ret_size,
                          struct cu_error *err)
{
	char *hdr_end, *p;
	long status = -1, clen = -1;
	bool chunked = false;

	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/1.%*d %ld", &status) != 1 || status < 100 ||
	    status > 999) {
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "not an HTTP reply");
	}
	for (p = strstr(buf, "\r\n") + 2; p < hdr_end; p = strstr(p, "\r\n") + 2) {
		size_t ll = (size_t)(strstr(p, "\r\n") - p);

		if (!strncasecmp(p, "Set-Cookie:", 11))
			take_cookie(cookie, cookie_size, p, ll);
		else if (!strncasecmp(p, "Content-Length:", 15))
			clen = strtol(p + 15, NULL, 10);
		else if (!strncasecmp(p, "Transfer-Encoding:", 18) && strstr(p, "chunked") &&
		         strstr(p, "chunked") < p + ll)
			chunked = true;
	}
	p = hdr_end + 4;
	n -= (size_t)(p - buf);
	memmove(buf, p, n + 1);
	if (chunked) {
		long m = unchunk(buf, n);
		if (m < 0) {
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "bad chunked body");
		}
		n = (size_t)m;
		buf[n] = '\0';
	} else if (clen >= 0 && (size_t)clen != n) {
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "reply truncated");
	}
	*ret_size = n;
	return status;
}

long cu_https_request(struct cu_https *h, const char *method, const char *path, const char *body,
                      char **ret_body, size_t *ret_size, struct cu_error *err)
{
	BIO *bio = NULL;
	SSL *ssl = NULL;
	char *req = NULL, *buf = NULL;
	size_t cap = 64 * 1024, n = 0, blen = body ? strlen(body) : 0;
	long status = -1;
	int len;

	bio = BIO_new_ssl_connect(h->ctx);
	if (!bio || BIO_get_ssl(bio, &ssl) != 1 || !ssl) {
		cu_fail(err, CU_ERR_INTERNAL, STAGE, "cannot set up TLS");
		goto out;
	}
	SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY);
	/* The name or address in the URL must be the server certificate's. */
	if (strchr(h->host, ':') || strspn(h->host, "0123456789.") == strlen(h->host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), h->host) != 1) {
			cu_fail(err, CU_ERR_INVALID_ARG, STAGE, "%s: bad address", h->host);
			goto out;
		}
	} else if (SSL_set1_host(ssl, h->host) != 1 ||
	           SSL_set_tlsext_host_name(ssl, h->host) != 1) {
		cu_fail(err, CU_ERR_INTERNAL, STAGE, "cannot set the host name");
		goto out;
	}
	BIO_set_conn_hostname(bio, h->hostport);
	if (BIO_do_connect(bio) != 1 || BIO_do_handshake(bio) != 1) {
		unsigned long e = ERR_peek_last_error();
		cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot connect: %s", h->hostport,
		        e ? ERR_reason_error_string(e) : "connection failed");
		goto out;
	}
	len = asprintf(
	    &req,
	    "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
	    "Accept: application/json\r\n%s%s%s%s%zu\r\n\r\n",
	    method, path, h->hostport, h->cookie[0] ? "Cookie: " : "", h->cookie,
	    h->cookie[0] ? "\r\n" : "",
	    body ? "Content-Type: application/json\r\nContent-Length: " : "Content-Length: ", blen);
	if (len < 0 || BIO_write(bio, req, len) != len ||
	    (blen && BIO_write(bio, body, (int)blen) != (int)blen)) {
		cu_fail(err, CU_ERR_IO, STAGE, "%s: cannot send the request", h->hostport);
		goto out;
	}
	buf = malloc(cap + 1);
	while (buf) {
		int got = BIO_read(bio, buf + n, (int)(cap - n));

		if (got <= 0)
			break;
		n += (size_t)got;
		if (n == cap) {
			char *nb;
			if (cap > CU_LIMIT_HTTP_BODY + CU_LIMIT_HTTP_HEADERS) {
				cu_fail(err, CU_ERR_TOO_LARGE, STAGE, "%s: reply too large",
				        h->hostport);
				goto out;
			}
			nb = realloc(buf, cap * 2 + 1);
			if (!nb)
				goto out;
			buf = nb;
			cap *= 2;
		}
	}
	if (!buf)
		goto out;
	buf[n] = '\0';
	if ((status = cu_https_parse_reply(buf, n, h->cookie, sizeof(h->cookie), &n, err)) < 0) {
		if (err) {
			char m[sizeof(err->message)];

			snprintf(m, sizeof(m), "%.100s: %.200s", h->hostport, err->message);
			memcpy(err->message, m, sizeof(m));
		}
		goto out;
	}
	*ret_body = buf;
	*ret_size = n;
	buf = NULL;
out:
	free(req);
	free(buf);
	BIO_free_all(bio);
	return status;
}
