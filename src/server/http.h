/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTPS server on libmicrohttpd: a route table, request bodies read
 * up to a hard limit, JSON replies, one structured log line per request, and
 * metrics. Handlers run on the server's worker threads; bodies arrive without
 * tying up a worker, and connections that stall are closed on a timeout.
 */
#ifndef CU_SERVER_HTTP_H
#define CU_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <custos/error.h>

#include "../base/macro.h"

struct MHD_Connection;

struct cu_http_request {
	const char *method;
	const char *path;    /* without the query string */
	char client[64];     /* peer address */
	const uint8_t *body; /* never NULL; body_size 0 when there is none */
	size_t body_size;
	struct MHD_Connection *conn;
	json_t *log; /* fields a handler adds to the request's log line (tenant, decision, tee) */
	/*
	 * Without a connection (conn NULL: an in-process caller, the fuzz target),
	 * the request's headers: NULL-terminated name, value pairs; cookies are
	 * read from a "Cookie" pair ("name=value; ...").
	 */
	const char *const *headers;
};

#define CU_HTTP_MAX_HEADERS 4

struct cu_http_response {
	unsigned status;
	const char *content_type;
	char *body; /* malloc'ed */
	size_t body_size;
	char *headers[CU_HTTP_MAX_HEADERS][2]; /* name, value; malloc'ed */
};

/* A request header (case-insensitive name), or NULL. */
const char *cu_http_header(const struct cu_http_request *r, const char *name);
/* A cookie's value, or NULL. */
const char *cu_http_cookie(const struct cu_http_request *r, const char *name);

/* Replace the response with a JSON body (takes no reference to j). */
void cu_http_reply_json(struct cu_http_response *resp, unsigned status, const json_t *j);
/* Replace the response with the JSON error {"error", "detail"}. */
void cu_http_reply_error(struct cu_http_response *resp, unsigned status, const char *error,
                         const char *detail);
/* Replace the response with a plain-text body. */
void cu_http_reply_text(struct cu_http_response *resp, unsigned status, const char *ctype,
                        const char *text);
/* Add a response header (copied). */
void cu_http_add_header(struct cu_http_response *resp, const char *name, const char *value);
/* Add a field to the request's log line. */
void cu_http_log_set(struct cu_http_request *req, const char *key, const char *value);

typedef void (*cu_http_handler)(void *ctx, struct cu_http_request *req,
                                struct cu_http_response *resp);

struct cu_http_route {
	const char *method; /* "GET", "POST"; NULL: any */
	const char *path;   /* exact path, or a prefix when `prefix` */
	bool prefix;
	const char *name; /* for logs and metrics ("kbs_attest") */
	cu_http_handler handler;
};

struct cu_http_opts {
	const char *address; /* IPv4 or IPv6 literal */
	uint16_t port;       /* 0: any free port (see cu_http_port) */
	const char *tls_cert_pem, *tls_key_pem;
	const struct cu_http_route *routes;
	size_t n_routes;
	void *ctx;          /* passed to handlers */
	size_t max_body;    /* bytes; larger bodies get 413 */
	unsigned threads;   /* worker threads */
	unsigned max_conns; /* open connections in all */
	unsigned max_conns_per_ip;
	unsigned timeout;       /* seconds of inactivity before a connection is closed */
	size_t max_header_size; /* per-connection memory for headers */
	unsigned rate_limit;    /* requests per second per client address (burst: twice); 0: off */
	FILE *log;              /* one JSON line per request; NULL: none */
};

typedef struct cu_http_server cu_http_server;

int cu_http_start(cu_http_server **ret, const struct cu_http_opts *opts,
                  struct cu_error *err) _must_check_;
/* The port actually listened on. */
uint16_t cu_http_port(const cu_http_server *s);
void cu_http_stop(cu_http_server *s);

/* Prometheus text of the HTTP metrics (request counts and latency histograms). */
void cu_http_metrics(cu_http_server *s, FILE *out);

#endif
