/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <pthread.h>

#include <microhttpd.h>

#include "../base/error.h"
#include "../base/time.h"
#include "http.h"

#define STAGE "http"

/* Latency histogram buckets, seconds (Prometheus "le"). */
static const double buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};
#define N_BUCKETS ELEMENTSOF(buckets)

/* Per route (and one more for "no route"): counts by status class, latency. */
struct route_stats {
	uint64_t by_class[6]; /* 1xx..5xx at [1]..[5] */
	uint64_t hist[N_BUCKETS + 1];
	uint64_t sum_us;
};

/* Per-client token buckets, in a fixed table indexed by a hash of the address. */
#define N_BUCKETS_RL 4096

struct bucket {
	char client[64];
	double tokens, last;
};

struct cu_http_server {
	struct MHD_Daemon *mhd;
	pthread_mutex_t rl_lock;
	struct bucket *rl;
	struct cu_http_opts opts;
	struct route_stats *stats; /* n_routes + 1 */
	char *cert, *key;
	pthread_mutex_t log_lock; /* libmicrohttpd's own messages, rate limited */
	time_t log_window;
	unsigned log_count, log_dropped;
};

/* libmicrohttpd reports what hostile clients do ("Not enough memory in pool to
 * allocate header record!") on every such connection. Its messages go to stderr
 * with a prefix, at most LOG_BURST per LOG_WINDOW seconds, and the number held
 * back is said once the window ends: a flood of bad requests cannot flood the log
 * or block the workers on a slow log reader. */
#define LOG_BURST  20
#define LOG_WINDOW 10

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	cu_http_server *s = cls;
	char line[512];
	int n, m = 0;
	time_t now = time(NULL);

	pthread_mutex_lock(&s->log_lock);
	if (now - s->log_window >= LOG_WINDOW) {
		if (s->log_dropped)
			m = snprintf(
			    line, sizeof(line),
			    "custosd: http: %u similar messages suppressed in the last %d s\n",
			    s->log_dropped, LOG_WINDOW);
		s->log_window = now;
		s->log_count = s->log_dropped = 0;
	}
	if (s->log_count >= LOG_BURST) {
		s->log_dropped++;
		pthread_mutex_unlock(&s->log_lock);
		return;
	}
	s->log_count++;
	pthread_mutex_unlock(&s->log_lock);
	if (m < 0 || (size_t)m >= sizeof(line))
		m = 0;
	n = snprintf(line + m, sizeof(line) - (size_t)m, "custosd: http: ");
	if (n > 0 && (size_t)(m + n) < sizeof(line))
		vsnprintf(line + m + n, sizeof(line) - (size_t)(m + n), fmt, ap);
	n = (int)strcspn(line + m, "\n") + m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

struct request_state {
	uint8_t *buf;
	size_t size, cap;
	bool too_large, rate_limited;
	struct timespec start;
};

static const char *given_header(const struct cu_http_request *r, const char *name)
{
	for (const char *const *h = r->headers; h && h[0] && h[1]; h += 2)
		if (!strcasecmp(h[0], name))
			return h[1];
	return NULL;
}

const char *cu_http_header(const struct cu_http_request *r, const char *name)
{
	if (!r->conn)
		return given_header(r, name);
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *cu_http_cookie(const struct cu_http_request *r, const char *name)
{
	const char *c, *p;
	size_t n = strlen(name);

	if (r->conn)
		return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
	/* "a=1; name=value": the value runs to the end (one cookie of a name is enough here) */
	for (c = given_header(r, "Cookie"); c && (p = strstr(c, name)); c = p + n)
		if ((p == c || p[-1] == ' ' || p[-1] == ';') && p[n] == '=')
			return p + n + 1;
	return NULL;
}

static void response_clear(struct cu_http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_size = 0;
}

/* What a reply that could not be built says: 503, retry later (its small body if it can). */
static void out_of_memory(struct cu_http_response *resp)
{
	static const char body[] = "{\"error\":\"unavailable\",\"detail\":\"out of memory\"}";

	resp->status = 503;
	resp->content_type = "application/json";
	resp->body = strdup(body);
	resp->body_size = resp->body ? sizeof(body) - 1 : 0;
}

void cu_http_reply_text(struct cu_http_response *resp, unsigned status, const char *ctype,
                        const char *text)
{
	response_clear(resp);
	resp->status = status;
	resp->content_type = ctype;
	resp->body = strdup(text);
	resp->body_size = resp->body ? strlen(text) : 0;
	if (!resp->body)
		out_of_memory(resp);
}

void cu_http_reply_json(struct cu_http_response *resp, unsigned status, const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	response_clear(resp);
	resp->content_type = "application/json";
	if (!s) {
		out_of_memory(resp);
		return;
	}
	resp->status = status;
	resp->body = s;
	resp->body_size = strlen(s);
}

void cu_http_reply_error(struct cu_http_response *resp, unsigned status, const char *error,
                         const char *detail)
{
	json_t *j = json_pack("{s:s,s:s}", "error", error, "detail", detail);

	cu_http_reply_json(resp, status, j);
	json_decref(j);
}

void cu_http_add_header(struct cu_http_response *resp, const char *name, const char *value)
{
	for (size_t i = 0; i < CU_HTTP_MAX_HEADERS; i++)
		if (!resp->headers[i][0]) {
			resp->headers[i][0] = strdup(name);
			resp->headers[i][1] = strdup(value);
			return;
		}
}

void cu_http_log_set(struct cu_http_request *req, const char *key, const char *value)
{
	if (req->log && value)
		json_object_set_new(req->log, key, json_string(value));
}

static bool route_matches(const struct cu_http_route *r, const char *method, const char *path)
{
	if (r->prefix ? strncmp(path, r->path, strlen(r->path)) : strcmp(path, r->path))
		return false;
	return !r->method || !strcmp(r->method, method);
}

/* The route for a request; *path_known tells 405 from 404. */
static ssize_t find_route(const cu_http_server *s, const char *method, const char *path,
                          bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < s->opts.n_routes; i++) {
		const struct cu_http_route *r = &s->opts.routes[i];

		if (r->prefix ? !strncmp(path, r->path, strlen(r->path)) : !strcmp(path, r->path))
			*path_known = true;
		if (route_matches(r, method, path))
			return (ssize_t)i;
	}
	return -1;
}

static double elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void record(cu_http_server *s, ssize_t route, unsigned status, double secs)
{
	struct route_stats *st = &s->stats[route < 0 ? s->opts.n_routes : (size_t)route];
	size_t b = 0;

	while (b < N_BUCKETS && secs > buckets[b])
		b++;
	__atomic_fetch_add(&st->by_class[status / 100 < 6 ? status / 100 : 5], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->hist[b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->sum_us, (uint64_t)(secs * 1e6), __ATOMIC_RELAXED);
}

static void log_line(cu_http_server *s, struct cu_http_request *req, const char *route,
                     unsigned status, double secs)
{
	char ts[32];
	char *line;

	if (!s->opts.log)
		return;
	cu_time_format_rfc3339((int64_t)time(NULL), ts, sizeof(ts));
	json_object_set_new(req->log, "ts", json_string(ts));
	json_object_set_new(req->log, "method", json_string(req->method));
	json_object_set_new(req->log, "path", json_string(req->path));
	json_object_set_new(req->log, "route", json_string(route));
	json_object_set_new(req->log, "status", json_integer(status));
	json_object_set_new(req->log, "ms", json_real((double)(int64_t)(secs * 1e5) / 100.0));
	json_object_set_new(req->log, "client", json_string(req->client));
	line = json_dumps(req->log, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (line) {
		flockfile(s->opts.log);
		fputs(line, s->opts.log);
		fputc('\n', s->opts.log);
		fflush(s->opts.log);
		funlockfile(s->opts.log);
		free(line);
	}
}

static void client_address(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, size, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
		          (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
		          (socklen_t)size);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct cu_http_response *resp)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    resp->body_size, resp->body ? resp->body : (void *)"", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < CU_HTTP_MAX_HEADERS; i++)
		if (resp->headers[i][0] && resp->headers[i][1])
			MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void response_free(struct cu_http_response *resp)
{
	response_clear(resp);
	for (size_t i = 0; i < CU_HTTP_MAX_HEADERS; i++) {
		free(resp->headers[i][0]);
		free(resp->headers[i][1]);
	}
}

static enum MHD_Result dispatch(cu_http_server *s, struct MHD_Connection *conn, const char *url,
                                const char *method, struct request_state *rs)
{
	struct cu_http_request req = { .method = method, .path = url, .conn = conn };
	struct cu_http_response resp = { .status = 500 };
	const char *route_name = "none";
	bool path_known;
	ssize_t route;
	enum MHD_Result ret;
	double secs;

	req.log = json_object();
	client_address(conn, req.client, sizeof(req.client));
	req.body = rs->buf ? rs->buf : (const uint8_t *)""; /* never NULL, even when empty */
	req.body_size = rs->size;
	route = find_route(s, method, url, &path_known);
	if (rs->rate_limited) {
		json_t *e = json_pack("{s:s,s:I}", "error", "too many requests from this address",
		                      "limit_per_second", (json_int_t)s->opts.rate_limit);
		cu_http_reply_json(&resp, 429, e);
		cu_http_add_header(&resp, "Retry-After", "1");
		json_decref(e);
	} else if (rs->too_large) {
		json_t *e = json_pack("{s:s,s:I}", "error", "request body too large", "limit",
		                      (json_int_t)s->opts.max_body);
		cu_http_reply_json(&resp, 413, e);
		json_decref(e);
	} else if (route < 0) {
		json_t *e = json_pack("{s:s}", "error",
		                      path_known ? "method not allowed" : "no such endpoint");
		cu_http_reply_json(&resp, path_known ? 405 : 404, e);
		json_decref(e);
	} else {
		route_name = s->opts.routes[route].name;
		s->opts.routes[route].handler(s->opts.ctx, &req, &resp);
	}
	ret = send_response(conn, &resp);
	secs = elapsed(&rs->start);
	record(s, route, resp.status, secs);
	log_line(s, &req, route_name, resp.status, secs);
	json_decref(req.log);
	response_free(&resp);
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether this client may make one more request now (token bucket, burst twice the rate). */
static bool rate_ok(cu_http_server *s, const char *client)
{
	uint32_t h = 2166136261u;
	struct bucket *b;
	double t = now_s(), cap = 2.0 * s->opts.rate_limit;
	bool ok;

	if (!s->opts.rate_limit)
		return true;
	for (const char *p = client; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	pthread_mutex_lock(&s->rl_lock);
	b = &s->rl[h % N_BUCKETS_RL];
	if (strcmp(b->client, client)) {
		/* A new client (or a collision: the newcomer takes the slot, full). */
		snprintf(b->client, sizeof(b->client), "%s", client);
		b->tokens = cap;
		b->last = t;
	}
	b->tokens += (t - b->last) * s->opts.rate_limit;
	if (b->tokens > cap)
		b->tokens = cap;
	b->last = t;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&s->rl_lock);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	cu_http_server *s = cls;
	struct request_state *rs = *con_cls;

	if (!rs) {
		char client[64];

		rs = calloc(1, sizeof(*rs));
		if (!rs)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rs->start);
		*con_cls = rs;
		client_address(conn, client, sizeof(client));
		rs->rate_limited = !rate_ok(s, client);
		return MHD_YES;
	}
	if (rs->rate_limited) {
		/* Read and drop the body; answer 429 at the end. */
		if (*upload_data_size) {
			*upload_data_size = 0;
			return MHD_YES;
		}
		return dispatch(s, conn, url, method, rs);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		if (!rs->too_large && rs->size + n > s->opts.max_body) {
			rs->too_large = true;
			free(rs->buf);
			rs->buf = NULL;
			rs->size = rs->cap = 0;
		}
		if (!rs->too_large) {
			if (rs->size + n + 1 > rs->cap) {
				size_t cap = rs->cap ? rs->cap : 4096;
				uint8_t *nb;

				while (cap < rs->size + n + 1)
					cap *= 2;
				if (cap > s->opts.max_body + 1)
					cap = s->opts.max_body + 1;
				nb = realloc(rs->buf, cap);
				if (!nb)
					return MHD_NO;
				rs->buf = nb;
				rs->cap = cap;
			}
			memcpy(rs->buf + rs->size, upload_data, n);
			rs->size += n;
			rs->buf[rs->size] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(s, conn, url, method, rs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct request_state *rs = *con_cls;

	if (rs) {
		free(rs->buf);
		free(rs);
		*con_cls = NULL;
	}
}

int cu_http_start(cu_http_server **ret, const struct cu_http_opts *o, struct cu_error *err)
{
	cu_http_server *s;
	struct sockaddr_storage ss = { 0 };
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               STAGE ": this libmicrohttpd was built without TLS");
	s = calloc(1, sizeof(*s));
	if (!s)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	s->opts = *o;
	pthread_mutex_init(&s->rl_lock, NULL);
	pthread_mutex_init(&s->log_lock, NULL);
	s->rl = calloc(N_BUCKETS_RL, sizeof(*s->rl));
	s->stats = calloc(o->n_routes + 1, sizeof(*s->stats));
	s->cert = strdup(o->tls_cert_pem);
	s->key = strdup(o->tls_key_pem);
	if (!s->stats || !s->cert || !s->key || !s->rl) {
		cu_http_stop(s);
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	if (inet_pton(AF_INET, o->address, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(o->port);
	} else if (inet_pton(AF_INET6, o->address, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(o->port);
		flags |= MHD_USE_IPv6;
	} else {
		cu_http_stop(s);
		return cu_fail(err, CU_ERR_INVALID_ARG, STAGE,
		               STAGE ": listen address '%s' is not an IPv4 or IPv6 address",
		               o->address);
	}
	s->mhd = MHD_start_daemon(
	    flags | MHD_USE_TLS, o->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
	    on_mhd_log, s, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_HTTPS_MEM_CERT, s->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_THREAD_POOL_SIZE,
	    (unsigned int)(o->threads ? o->threads : 4), MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)o->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)o->max_conns_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)o->timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)o->max_header_size, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_END);
	if (!s->mhd) {
		cu_http_stop(s);
		return cu_fail(err, CU_ERR_IO, STAGE,
		               STAGE ": cannot listen on %s port %u (in use, or the TLS key and "
		                     "certificate do not load)",
		               o->address, o->port);
	}
	*ret = s;
	return 0;
}

uint16_t cu_http_port(const cu_http_server *s)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : 0;
}

void cu_http_stop(cu_http_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	free(s->stats);
	free(s->rl);
	pthread_mutex_destroy(&s->rl_lock);
	pthread_mutex_destroy(&s->log_lock);
	if (s->key)
		explicit_bzero(s->key, strlen(s->key));
	free(s->key);
	free(s->cert);
	free(s);
}

void cu_http_metrics(cu_http_server *s, FILE *out)
{
	fprintf(out, "# HELP custos_http_requests_total HTTP requests by route and status class.\n"
	             "# TYPE custos_http_requests_total counter\n");
	for (size_t i = 0; i <= s->opts.n_routes; i++) {
		const char *name = i < s->opts.n_routes ? s->opts.routes[i].name : "none";

		for (int c = 1; c <= 5; c++) {
			uint64_t v = __atomic_load_n(&s->stats[i].by_class[c], __ATOMIC_RELAXED);
			if (v)
				fprintf(
				    out,
				    "custos_http_requests_total{route=\"%s\",code=\"%dxx\"} %llu\n",
				    name, c, (unsigned long long)v);
		}
	}
	fprintf(out, "# HELP custos_http_request_duration_seconds Request latency by route.\n"
	             "# TYPE custos_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= s->opts.n_routes; i++) {
		const char *name = i < s->opts.n_routes ? s->opts.routes[i].name : "none";
		uint64_t cum = 0;

		for (size_t b = 0; b <= N_BUCKETS; b++) {
			cum += __atomic_load_n(&s->stats[i].hist[b], __ATOMIC_RELAXED);
			if (b < N_BUCKETS)
				fprintf(out,
				        "custos_http_request_duration_seconds_bucket{route=\"%s\","
				        "le=\"%g\"}"
				        " %llu\n",
				        name, buckets[b], (unsigned long long)cum);
			else
				fprintf(out,
				        "custos_http_request_duration_seconds_bucket{route=\"%s\","
				        "le=\"+Inf\"}"
				        " %llu\n",
				        name, (unsigned long long)cum);
		}
		fprintf(out, "custos_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
		        (double)__atomic_load_n(&s->stats[i].sum_us, __ATOMIC_RELAXED) / 1e6);
		fprintf(out, "custos_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		        name, (unsigned long long)cum);
	}
}
