/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custosd end to end: attest-and-release round trips per second and their
 * latency on loopback, at several concurrencies, against the floor measured
 * in the same run: OpenSSL's raw ECDSA P-384 SHA-384 verification of the same
 * kind of report (bench_floor_verify), on 1 thread and on as many threads as
 * there are cores (custosd uses them all).
 *
 * One round trip is what a Confidential Containers guest does (Trustee KBS
 * protocol 0.4.0):
 *
 *   POST /kbs/v0/auth      -> nonce, kbs-session-id cookie
 *   POST /kbs/v0/attest    SnpEvidence JSON of a report whose REPORT_DATA is
 *                          SHA-384(JCS({additional-evidence, nonce, tee-pubkey}))
 *   GET  /kbs/v0/resource/ the secret as a JWE to tee-pubkey (decrypted with
 *                          libjose and compared in a sample of round trips)
 *
 * Each client is a thread with its own libcurl easy handle (keep-alive: its
 * TLS handshake happens in the warm-up, and the benchmark counts connections
 * opened inside the measured window; no "Expect: 100-continue" round trip).
 * The reports are made in this process with the simulator's code
 * (tests/unit/snp-builder.c, -DSB_STANDALONE) and its TEST PKI (sb_pki_load),
 * so that the load generator takes little of the CPU it shares with custosd:
 * what does not depend on the nonce is made outside the measured window, i.e.
 * each client's tee-pubkey (one per client, used for all its round trips, where
 * custos-agent makes one per request; the protocol allows both), the
 * certificate chain's JSON, and the ECDSA nonces (k^-1 and r = (kG).x, which
 * do not depend on the message; each is used once). Inside the window a
 * report costs the binding, the serialization, s = k^-1 (z + r d) and its
 * JSON; that cost measured alone is printed, and so is the client's whole CPU
 * time per round trip under load. --no-presign signs each report in full in
 * the loop instead. Every report is still verified by custosd against the
 * nonce of its own session, and the floor's report is signed the same way
 * and checked with bench_floor_verify before anything is measured.
 *
 * The window's CPU figures come from /proc: custosd's (PID/stat), this
 * process's (getrusage) and the machine's (/proc/stat; "other" is what the
 * rest of the machine used, which should be about 0 for figures to trust).
 *
 * bench/bench_custosd.sh prepares custosd and runs this program:
 *
 *   bench_custosd --url URL --data DIR --pki DIR --pid PID --resource REPO/TYPE/TAG
 *                 --secret TEXT [--runs 3] [--seconds 5] [--clients 1,16,64]
 *                 [--floor-seconds 2] [--warmup 1] [--no-presign]
 */
/* ECDSA_sign_setup and ECDSA_do_sign_ex (the nonce pool) are deprecated in OpenSSL 3.0. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jose/jose.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rand.h>

#include "../src/base/jcs.h"
#include "../src/crypto/sig.h"
#include "../src/evidence/snp_trustee.h"
#include "../tests/unit/snp-builder.h"
#include "bench-util.h"

#define MAX_RUNS    16
#define MAX_LEVELS  8
#define MAX_CLIENTS 512 /* bench_custosd.sh raises custosd's max_connections_per_ip to it */
#define CHECK_EVERY 32  /* decrypt and compare the secret in 1 round trip of 32 */

#define AUTH_BODY                                                                                  \
	"{\"version\":\"0.4.0\",\"tee\":\"snp\",\"extra-params\":{\"supported-hash-algorithms\":"  \
	"[\"sha256\",\"sha384\",\"sha512\"]}}"

/* ---- options and shared state ------------------------------------------------------- */

static struct {
	const char *url, *data, *pki_dir, *resource, *secret;
	long pid;
	int runs;
	double secs, floor_secs, warmup;
	int clients[MAX_LEVELS], n_levels;
	bool presign;
	int ncpu;

	struct sb_pki pki;
	EC_KEY *ec;       /* the VCEK's private key, for the presigned path */
	char *chain_json; /* [{"cert_type":"VCEK","data":[...]}] */
	char auth_url[512], attest_url[512], resource_url[1024];
	struct bench_sample floor; /* a simulated report, its VCEK and DER signature */
} g;

/* ---- the evidence generator ------------------------------------------------------------ */

/* One client's attester: its key (made before the run) and its report template. */
struct gen {
	json_t *jwk, *pub; /* tee-pubkey: private JWK and its public half */
	char *pub_json;
	struct cu_snp_report rep;
	EC_KEY *ec;
};

/*
 * The pool of ECDSA nonces: k^-1 mod n and r = (kG).x mod n, computed outside
 * the measured window. Each entry is taken once (an atomic index); when the
 * pool runs dry, reports are signed in full and counted.
 */
struct presig {
	BIGNUM *kinv, *r;
};

static struct {
	struct presig *v;
	size_t cap, fill, next;
	long fallbacks;
} pool;

static void gen_init(struct gen *gn)
{
	gn->jwk = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
	if (!gn->jwk || !jose_jwk_gen(NULL, gn->jwk) || !(gn->pub = json_deep_copy(gn->jwk)) ||
	    !jose_jwk_pub(NULL, gn->pub) ||
	    json_object_set_new(gn->pub, "alg", json_string("ECDH-ES+A256KW")) < 0 ||
	    !(gn->pub_json = json_dumps(gn->pub, JSON_COMPACT)))
		bench_die("cannot make a tee-pubkey");
	/* What custos-snp-sim report writes by default: version 3, one TCB throughout. */
	sb_report_init(&gn->rep, &g.pki, 3);
	for (size_t i = 0; i < sizeof(gn->rep.measurement); i++)
		gn->rep.measurement[i] = (uint8_t)(0x40 + 3 * i);
	memset(gn->rep.host_data, 0, sizeof(gn->rep.host_data));
	gn->rep.current_tcb = gn->rep.committed_tcb = gn->rep.launch_tcb = gn->rep.reported_tcb;
	if (!(gn->ec = EC_KEY_dup(g.ec)))
		bench_die("EC_KEY_dup");
}

static void gen_free(struct gen *gn)
{
	json_decref(gn->jwk);
	json_decref(gn->pub);
	free(gn->pub_json);
	EC_KEY_free(gn->ec);
}

/* The report's signature with a precomputed nonce, laid out as sb_report_sign does. */
static void sign_presigned(uint8_t buf[CU_SNP_REPORT_SIZE], EC_KEY *ec, const struct presig *p)
{
	uint8_t md[48];
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;

	cu_sha384(buf, CU_SNP_SIGNED_SIZE, md);
	sig = ECDSA_do_sign_ex(md, sizeof(md), p->kinv, p->r, ec);
	if (!sig)
		bench_die("ECDSA_do_sign_ex failed");
	ECDSA_SIG_get0(sig, &r, &s);
	memset(buf + CU_SNP_SIGNED_SIZE, 0, CU_SNP_REPORT_SIZE - CU_SNP_SIGNED_SIZE);
	if (BN_bn2lebinpad(r, buf + 0x2A0, CU_SNP_SIG_COMPONENT_SIZE) !=
	        CU_SNP_SIG_COMPONENT_SIZE ||
	    BN_bn2lebinpad(s, buf + 0x2E8, CU_SNP_SIG_COMPONENT_SIZE) != CU_SNP_SIG_COMPONENT_SIZE)
		bench_die("signature encoding");
	ECDSA_SIG_free(sig);
}

static void sign_report(struct gen *gn, uint8_t buf[CU_SNP_REPORT_SIZE])
{
	size_t i;

	if (!g.presign) {
		sb_report_sign(buf, g.pki.vcek_key);
		return;
	}
	i = __atomic_fetch_add(&pool.next, 1, __ATOMIC_RELAXED);
	if (i < pool.fill) {
		sign_presigned(buf, gn->ec, &pool.v[i]);
	} else {
		__atomic_fetch_add(&pool.fallbacks, 1, __ATOMIC_RELAXED);
		sb_report_sign(buf, g.pki.vcek_key);
	}
}

/* REPORT_DATA: SHA-384 of the RFC 8785 form of the binding, zero-padded to 64 bytes. */
static void gen_binding(struct gen *gn, const char *nonce)
{
	json_t *b = json_pack("{s:s,s:s,s:O}", "additional-evidence", "", "nonce", nonce,
	                      "tee-pubkey", gn->pub);
	char *canon = NULL;
	size_t n;

	if (!b || cu_jcs_serialize(b, &canon, &n, NULL) < 0)
		bench_die("binding");
	memset(gn->rep.report_data, 0, sizeof(gn->rep.report_data));
	cu_sha384(canon, n, gn->rep.report_data);
	free(canon);
	json_decref(b);
}

/* The /kbs/v0/attest body around a signed report. */
static char *gen_json(struct gen *gn, const char *nonce, const uint8_t buf[CU_SNP_REPORT_SIZE])
{
	json_t *rep = NULL;
	char *rep_json, *body;

	if (cu_snp_report_to_json(buf, CU_SNP_REPORT_SIZE, &rep, NULL) < 0 ||
	    !(rep_json = json_dumps(rep, JSON_COMPACT)))
		bench_die("report JSON");
	json_decref(rep);
	if (asprintf(&body,
	             "{\"runtime-data\":{\"nonce\":\"%s\",\"tee-pubkey\":%s},\"tee-evidence\":{"
	             "\"primary_evidence\":{\"attestation_report\":%s,\"cert_chain\":%s},"
	             "\"additional_evidence\":\"\"}}",
	             nonce, gn->pub_json, rep_json, g.chain_json) < 0)
		bench_die("out of memory");
	free(rep_json);
	return body;
}

static char *gen_evidence(struct gen *gn, const char *nonce)
{
	uint8_t buf[CU_SNP_REPORT_SIZE];

	gen_binding(gn, nonce);
	sb_report_serialize(&gn->rep, buf);
	sign_report(gn, buf);
	return gen_json(gn, nonce, buf);
}

/* ---- the nonce pool ------------------------------------------------------------------- */

struct fill_arg {
	size_t from, to;
};

static void *fill_thread(void *p)
{
	struct fill_arg *a = p;
	EC_KEY *ec = EC_KEY_dup(g.ec);
	BN_CTX *ctx = BN_CTX_new();

	for (size_t i = a->from; ec && ctx && i < a->to; i++) {
		pool.v[i].kinv = pool.v[i].r = NULL;
		if (ECDSA_sign_setup(ec, ctx, &pool.v[i].kinv, &pool.v[i].r) != 1)
			bench_die("ECDSA_sign_setup failed");
	}
	if (!ec || !ctx)
		bench_die("out of memory");
	BN_CTX_free(ctx);
	EC_KEY_free(ec);
	return NULL;
}

/* Drop the used entries and top the pool up to `target`, on every core. */
static void pool_refill(size_t target)
{
	size_t used = pool.next < pool.fill ? pool.next : pool.fill;
	pthread_t t[64];
	struct fill_arg a[64];
	int nt = g.ncpu < 64 ? g.ncpu : 64;

	for (size_t i = 0; i < used; i++) {
		BN_clear_free(pool.v[i].kinv);
		BN_clear_free(pool.v[i].r);
	}
	memmove(pool.v, pool.v + used, (pool.fill - used) * sizeof(*pool.v));
	pool.fill -= used;
	pool.next = 0;
	if (pool.fill >= target)
		return;
	if (target > pool.cap) {
		struct presig *v = realloc(pool.v, target * sizeof(*v));
		if (!v)
			bench_die("out of memory");
		pool.v = v;
		pool.cap = target;
	}
	for (int i = 0; i < nt; i++) {
		a[i].from = pool.fill + (target - pool.fill) * (size_t)i / (size_t)nt;
		a[i].to = pool.fill + (target - pool.fill) * (size_t)(i + 1) / (size_t)nt;
		if (pthread_create(&t[i], NULL, fill_thread, &a[i]))
			bench_die("pthread_create");
	}
	for (int i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	pool.fill = target;
}

static void pool_free(void)
{
	for (size_t i = 0; i < pool.fill; i++) {
		BN_clear_free(pool.v[i].kinv);
		BN_clear_free(pool.v[i].r);
	}
	pool.next = pool.fill = 0;
	free(pool.v);
}

/* ---- clients ------------------------------------------------------------------------------ */

struct buf {
	char *data;
	size_t size, cap;
};

/* One round trip: its latency and its steps, seconds. */
struct sample {
	double total, step[4]; /* auth, making the evidence, attest, resource */
};

struct worker {
	pthread_t thread;
	int id;
	struct gen *gn;
	CURL *c;
	struct curl_slist *hdrs;
	struct buf b;
	/* results of one window */
	struct sample *lat;
	size_t n_lat, cap_lat;
	long total, checked, connects_in_window;
	char err[512];
};

static struct {
	double t0, t1; /* the measured window */
	int stop;      /* set on the first error */
} win;

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t add = size * n;

	if (b->size + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *nd;

		while (cap < b->size + add + 1)
			cap *= 2;
		if (!(nd = realloc(b->data, cap)))
			return 0;
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->size, ptr, add);
	b->size += add;
	b->data[b->size] = '\0';
	return add;
}

/* One request (POST when body is given). Returns the HTTP status, or -1. */
static long request(struct worker *w, const char *url, const char *body, long *connects)
{
	long status = -1, nc = 0;
	CURLcode rc;

	w->b.size = 0;
	w->b.data[0] = '\0';
	curl_easy_setopt(w->c, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(w->c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(w->c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		curl_easy_setopt(w->c, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(w->c);
	if (rc != CURLE_OK) {
		snprintf(w->err, sizeof(w->err), "%s: %s", url, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(w->c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(w->c, CURLINFO_NUM_CONNECTS, &nc);
	*connects += nc;
	if (status != 200)
		snprintf(w->err, sizeof(w->err), "%s: HTTP %ld: %.400s", url, status, w->b.data);
	return status;
}

/* Decrypt the JWE with the client's key and compare it with the secret. */
static int check_secret(struct worker *w)
{
	json_t *jwe = json_loadb(w->b.data, w->b.size, 0, NULL);
	size_t n = 0;
	uint8_t *pt = jwe ? jose_jwe_dec(NULL, jwe, NULL, w->gn->jwk, &n) : NULL;
	int r = pt && n == strlen(g.secret) && !memcmp(pt, g.secret, n) ? 0 : -1;

	if (r < 0)
		snprintf(w->err, sizeof(w->err), "the JWE does not decrypt to the secret");
	if (pt) {
		OPENSSL_cleanse(pt, n);
		free(pt);
	}
	json_decref(jwe);
	return r;
}

static int round_trip(struct worker *w, bool check, long *connects, struct sample *sm)
{
	json_t *reply;
	const char *nonce;
	char *body, nonce_copy[128];
	long st;
	double t = bench_now(), u;

	if (request(w, g.auth_url, AUTH_BODY, connects) != 200)
		return -1;
	reply = json_loadb(w->b.data, w->b.size, 0, NULL);
	nonce = json_string_value(json_object_get(reply, "nonce"));
	if (!nonce || strlen(nonce) >= sizeof(nonce_copy)) {
		snprintf(w->err, sizeof(w->err), "auth: no nonce in %.300s", w->b.data);
		json_decref(reply);
		return -1;
	}
	snprintf(nonce_copy, sizeof(nonce_copy), "%s", nonce);
	json_decref(reply);
	u = bench_now();
	sm->step[0] = u - t;
	t = u;
	body = gen_evidence(w->gn, nonce_copy);
	u = bench_now();
	sm->step[1] = u - t;
	t = u;
	st = request(w, g.attest_url, body, connects);
	free(body);
	if (st != 200)
		return -1;
	if (!strstr(w->b.data, "\"token\"")) {
		snprintf(w->err, sizeof(w->err), "attest: no token in %.300s", w->b.data);
		return -1;
	}
	u = bench_now();
	sm->step[2] = u - t;
	t = u;
	if (request(w, g.resource_url, NULL, connects) != 200 || (check && check_secret(w) < 0))
		return -1;
	sm->step[3] = bench_now() - t;
	return 0;
}

static void *worker_main(void *p)
{
	struct worker *w = p;

	while (!__atomic_load_n(&win.stop, __ATOMIC_RELAXED)) {
		double a = bench_now(), b;
		long connects = 0;
		struct sample sm;

		if (a >= win.t1)
			break;
		if (round_trip(w, w->total % CHECK_EVERY == 0, &connects, &sm) < 0) {
			__atomic_store_n(&win.stop, 1, __ATOMIC_RELAXED);
			break;
		}
		if (w->total % CHECK_EVERY == 0)
			w->checked++;
		w->total++;
		b = bench_now();
		if (b < win.t0 || b > win.t1)
			continue;
		w->connects_in_window += connects;
		if (w->n_lat == w->cap_lat) {
			size_t cap = w->cap_lat ? 2 * w->cap_lat : 1024;
			struct sample *l = realloc(w->lat, cap * sizeof(*l));
			if (!l)
				bench_die("out of memory");
			w->lat = l;
			w->cap_lat = cap;
		}
		sm.total = b - a;
		w->lat[w->n_lat++] = sm;
	}
	return NULL;
}

static void worker_init(struct worker *w, int id, struct gen *gn, const char *ca)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->gn = gn;
	w->c = curl_easy_init();
	w->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	w->hdrs = curl_slist_append(w->hdrs, "Expect:"); /* no 100-continue round trip */
	w->b.cap = 16384;
	w->b.data = calloc(1, w->b.cap);
	if (!w->c || !w->hdrs || !w->b.data)
		bench_die("curl_easy_init");
	curl_easy_setopt(w->c, CURLOPT_COOKIEFILE, ""); /* in-memory cookies: kbs-session-id */
	curl_easy_setopt(w->c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(w->c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(w->c, CURLOPT_HTTPHEADER, w->hdrs);
	curl_easy_setopt(w->c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(w->c, CURLOPT_WRITEDATA, &w->b);
	curl_easy_setopt(w->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->c, CURLOPT_TIMEOUT, 60L);
}

static void worker_free(struct worker *w)
{
	curl_easy_cleanup(w->c);
	curl_slist_free_all(w->hdrs);
	free(w->b.data);
	free(w->lat);
}

static int cmp_double_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

/* ---- the server process ---------------------------------------------------------------- */

/* custosd's user + system CPU time, seconds. */
static double proc_cpu(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		bench_die("custosd is not running");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "(comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		bench_die("cannot read custosd's CPU time");
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU ticks of each of custosd's threads (n at most 64), from /proc/PID/task. */
struct threads_cpu {
	long tid[64], ticks[64];
	int n;
};

static void proc_threads(long pid, struct threads_cpu *t)
{
	char path[320], buf[1024], *p;
	unsigned long ut, st;
	struct dirent *e;
	DIR *d;

	t->n = 0;
	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d)) && t->n < 64) {
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/stat", pid, e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
		                 &st) != 2)
			continue;
		t->tid[t->n] = atol(e->d_name);
		t->ticks[t->n++] = (long)(ut + st);
	}
	closedir(d);
}

/* Each thread's share of one core over `secs`, busiest first: "46 45 44 0". */
static void threads_busy(const struct threads_cpu *a, const struct threads_cpu *b, double secs,
                         char *out, size_t size)
{
	double v[64];
	int n = 0;
	size_t off = 0;

	for (int i = 0; i < b->n; i++)
		for (int j = 0; j < a->n; j++)
			if (a->tid[j] == b->tid[i])
				v[n++] = (double)(b->ticks[i] - a->ticks[j]) /
				         (double)sysconf(_SC_CLK_TCK) / secs * 100;
	qsort(v, (size_t)n, sizeof(*v), cmp_double_desc);
	out[0] = '\0';
	for (int i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(out + off, size - off, "%s%.0f", i ? " " : "", v[i]);
}

/* A field of /proc/PID/status in kB (VmRSS, VmHWM). */
static long proc_status_kb(long pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	size_t fl = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':')
			kb = atol(line + fl + 1);
	fclose(f);
	return kb;
}

/* CPU seconds the whole machine spent busy (not idle or iowait), from /proc/stat. */
static double machine_busy(void)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
	                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9])
	          : 0;

	if (f)
		fclose(f);
	if (n < 8)
		return 0;
	/* user nice system idle iowait irq softirq steal: all but idle and iowait */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- one measured window ------------------------------------------------------------------ */

struct level_result {
	double rate, p50, p90, p99, srv_cpu, cli_cpu, busy, other;
	double step[4];    /* median of each step, ms */
	char threads[128]; /* custosd's threads: % of a core each, busiest first */
	long n, checked, connects, rss_kb, fallbacks;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double pct(const double *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n);

	return n ? v[k ? k - 1 : 0] : 0;
}

static void sleep_until(double t)
{
	double d;

	while ((d = t - bench_now()) > 0) {
		struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

static long total_round_trips, total_checked;

static void run_level(int clients, double secs, double warmup, struct gen *gens, const char *ca,
                      struct level_result *res)
{
	struct worker *w = calloc((size_t)clients, sizeof(*w));
	double s0, s1, c0, c1, m0, m1, *all;
	struct threads_cpu t0, t1;
	long fb0 = pool.fallbacks;
	size_t n;

	if (!w)
		bench_die("out of memory");
	win.stop = 0;
	win.t0 = bench_now() + warmup;
	win.t1 = win.t0 + secs;
	for (int i = 0; i < clients; i++) {
		worker_init(&w[i], i, &gens[i], ca);
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			bench_die("pthread_create");
	}
	sleep_until(win.t0);
	s0 = proc_cpu(g.pid);
	c0 = self_cpu();
	m0 = machine_busy();
	proc_threads(g.pid, &t0);
	sleep_until(win.t1);
	s1 = proc_cpu(g.pid);
	c1 = self_cpu();
	m1 = machine_busy();
	proc_threads(g.pid, &t1);
	threads_busy(&t0, &t1, secs, res->threads, sizeof(res->threads));
	res->rss_kb = proc_status_kb(g.pid, "VmRSS");
	for (int i = 0; i < clients; i++)
		pthread_join(w[i].thread, NULL);
	res->fallbacks = pool.fallbacks - fb0; /* warm-up, window and drain */
	res->n = res->checked = res->connects = 0;
	for (int i = 0; i < clients; i++) {
		if (w[i].err[0]) {
			fprintf(stderr, "bench_custosd: client %d: %s\n", i, w[i].err);
			exit(1);
		}
		res->n += (long)w[i].n_lat;
		res->checked += w[i].checked;
		res->connects += w[i].connects_in_window;
		total_round_trips += w[i].total;
		total_checked += w[i].checked;
	}
	if (res->n == 0)
		bench_die("no round trip completed in the window");
	all = malloc((size_t)res->n * sizeof(*all));
	if (!all)
		bench_die("out of memory");
	for (int k = 0; k < 4; k++) {
		n = 0;
		for (int i = 0; i < clients; i++)
			for (size_t j = 0; j < w[i].n_lat; j++)
				all[n++] = w[i].lat[j].step[k];
		res->step[k] = bench_median(all, (int)n) * 1e3;
	}
	n = 0;
	for (int i = 0; i < clients; i++) {
		for (size_t j = 0; j < w[i].n_lat; j++)
			all[n++] = w[i].lat[j].total;
		worker_free(&w[i]);
	}
	qsort(all, n, sizeof(*all), cmp_double);
	res->rate = (double)res->n / secs;
	res->p50 = pct(all, n, 0.50) * 1e3;
	res->p90 = pct(all, n, 0.90) * 1e3;
	res->p99 = pct(all, n, 0.99) * 1e3;
	res->srv_cpu = (s1 - s0) / (double)res->n * 1e3;
	res->cli_cpu = (c1 - c0) / (double)res->n * 1e3;
	res->busy = ((s1 - s0) + (c1 - c0)) / (secs * g.ncpu);
	/* anything else on the machine: the figures are not to be trusted when it is high */
	res->other = ((m1 - m0) - (s1 - s0) - (c1 - c0)) / (secs * g.ncpu);
	if (res->other < 0)
		res->other = 0;
	free(all);
	free(w);
}

/* ---- the floor ------------------------------------------------------------------------------ */

struct floor_arg {
	struct bench_sample s;
	double until;
	long n;
};

static void *floor_thread(void *p)
{
	struct floor_arg *a = p;

	while (bench_now() < a->until) {
		bench_floor_verify(&a->s);
		a->n++;
	}
	return NULL;
}

/* Raw ECDSA P-384 SHA-384 verifications per second on `threads` threads. */
static double measure_floor(int threads)
{
	struct floor_arg a[64];
	pthread_t t[64];
	double t0 = bench_now(), t1;
	long n = 0;

	for (int i = 0; i < threads; i++) {
		a[i].s = g.floor;
		a[i].s.vek = EVP_PKEY_dup(g.floor.vek); /* no shared key object between threads */
		a[i].until = t0 + g.floor_secs;
		a[i].n = 0;
		if (!a[i].s.vek || pthread_create(&t[i], NULL, floor_thread, &a[i]))
			bench_die("floor thread");
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		n += a[i].n;
		EVP_PKEY_free(a[i].s.vek);
	}
	t1 = bench_now();
	return (double)n / (t1 - t0);
}

/* A simulated report like the ones sent, signed on the presigned path, for the floor. */
static void floor_setup(void)
{
	static uint8_t buf[CU_SNP_REPORT_SIZE];
	struct gen gn = { 0 };
	struct presig p = { 0 };
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;

	gen_init(&gn);
	if (RAND_bytes(gn.rep.report_data, sizeof(gn.rep.report_data)) != 1 ||
	    ECDSA_sign_setup(g.ec, NULL, &p.kinv, &p.r) != 1)
		bench_die("floor report");
	sb_report_serialize(&gn.rep, buf);
	sign_presigned(buf, gn.ec, &p);
	memset(&g.floor, 0, sizeof(g.floor));
	g.floor.report = buf;
	g.floor.size = sizeof(buf);
	if (cu_snp_report_parse(buf, sizeof(buf), &g.floor.rep, NULL) < 0)
		bench_die("the simulated report does not parse");
	g.floor.vek = X509_get_pubkey(g.pki.vcek);
	if (!sig || !g.floor.vek ||
	    !ECDSA_SIG_set0(sig, BN_lebin2bn(g.floor.rep.sig_r, 72, NULL),
	                    BN_lebin2bn(g.floor.rep.sig_s, 72, NULL)) ||
	    (g.floor.der_len = i2d_ECDSA_SIG(sig, &der)) <= 0)
		bench_die("floor signature");
	g.floor.der = der;
	ECDSA_SIG_free(sig);
	BN_free(p.kinv);
	BN_free(p.r);
	gen_free(&gn);
	bench_floor_verify(&g.floor); /* the presigned path makes valid signatures */
}

/* ---- the generator alone ---------------------------------------------------------------- */

/* CPU microseconds per call of fn(arg) on this thread, over about `secs` of wall time. */
static double cpu_cost(double secs, void (*fn)(void *), void *arg)
{
	double c0 = thread_cpu(), w0 = bench_now();
	long n = 0;

	while (bench_now() - w0 < secs) {
		fn(arg);
		n++;
	}
	return (thread_cpu() - c0) / (double)n * 1e6;
}

struct gen_alone {
	struct gen gn;
	char nonce[64];
	uint8_t buf[CU_SNP_REPORT_SIZE];
	struct presig p;
};

static void alone_binding(void *a)
{
	struct gen_alone *x = a;

	gen_binding(&x->gn, x->nonce);
}

/* The same (k^-1, r) again and again: only the cost is measured here. */
static void alone_presigned(void *a)
{
	struct gen_alone *x = a;

	sb_report_serialize(&x->gn.rep, x->buf);
	sign_presigned(x->buf, x->gn.ec, &x->p);
}

static void alone_signed(void *a)
{
	struct gen_alone *x = a;

	sb_report_serialize(&x->gn.rep, x->buf);
	sb_report_sign(x->buf, g.pki.vcek_key);
}

static void alone_json(void *a)
{
	struct gen_alone *x = a;

	free(gen_json(&x->gn, x->nonce, x->buf));
}

static void alone_nonce(void *a)
{
	struct gen_alone *x = a;
	BIGNUM *k = NULL, *r = NULL;

	if (ECDSA_sign_setup(x->gn.ec, NULL, &k, &r) != 1)
		bench_die("ECDSA_sign_setup");
	BN_clear_free(k);
	BN_clear_free(r);
}

static void generator_cost(void)
{
	struct gen_alone x = { 0 };
	uint8_t nb[32];
	double bind, report, full, json, pre;

	gen_init(&x.gn);
	if (RAND_bytes(nb, sizeof(nb)) != 1)
		bench_die("RAND_bytes");
	EVP_EncodeBlock((unsigned char *)x.nonce, nb, sizeof(nb));
	if (ECDSA_sign_setup(x.gn.ec, NULL, &x.p.kinv, &x.p.r) != 1)
		bench_die("ECDSA_sign_setup");
	sb_report_serialize(&x.gn.rep, x.buf);
	bind = cpu_cost(0.25, alone_binding, &x);
	report = cpu_cost(0.25, alone_presigned, &x);
	json = cpu_cost(0.25, alone_json, &x);
	full = cpu_cost(0.5, alone_signed, &x);
	pre = cpu_cost(0.5, alone_nonce, &x);
	{
		char *body = gen_json(&x.gn, x.nonce, x.buf);

		printf("load generator per round trip, measured alone on one core (CPU time; the "
		       "attest body is %zu bytes):\n",
		       strlen(body));
		free(body);
	}
	if (g.presign) {
		printf("  in the loop: %.0f us = binding %.0f + report and signature with a "
		       "precomputed nonce %.0f + JSON %.0f\n",
		       bind + report + json, bind, report, json);
		printf("  outside the window: the ECDSA nonce (k^-1, r) %.0f us; signing in the "
		       "loop instead (--no-presign) would cost %.0f us\n",
		       pre, full);
	} else {
		printf("  in the loop: %.0f us = binding %.0f + report and full ECDSA P-384 "
		       "signature %.0f + JSON %.0f (--no-presign)\n",
		       bind + full + json, bind, full, json);
	}
	printf("  plus, under load, libcurl and TLS for 3 requests and a JWE decryption in 1 "
	       "round trip of %d (client CPU per round trip below)\n",
	       CHECK_EVERY);
	BN_free(x.p.kinv);
	BN_free(x.p.r);
	gen_free(&x.gn);
}

/* ---- setup and reporting ------------------------------------------------------------------ */

static void load_pki(void)
{
	char err[512];
	unsigned char *der = NULL;
	int len;
	json_t *arr = json_array(), *chain;

	if (sb_pki_load(&g.pki, g.pki_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_custosd: --pki %s: %s\n", g.pki_dir, err);
		exit(2);
	}
	if (!(g.ec = EVP_PKEY_get1_EC_KEY(g.pki.vcek_key)))
		bench_die("the VCEK key is not an EC key");
	/* The VCEK travels with the evidence, as a guest's certificate table carries it. */
	if (!arr || (len = i2d_X509(g.pki.vcek, &der)) <= 0)
		bench_die("VCEK DER");
	for (int i = 0; i < len; i++)
		json_array_append_new(arr, json_integer(der[i]));
	OPENSSL_free(der);
	chain = json_pack("[{s:s,s:o}]", "cert_type", "VCEK", "data", arr);
	if (!chain || !(g.chain_json = json_dumps(chain, JSON_COMPACT)))
		bench_die("certificate chain JSON");
	json_decref(chain);
}

static void print_machine(void)
{
	char line[512], model[256] = "unknown", conf[4096], threads[32] = "4 (default)";
	char rate[32] = "default";
	struct statfs sf;
	const char *fs = "other";
	FILE *f = fopen("/proc/cpuinfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	snprintf(conf, sizeof(conf), "%s/custosd.conf", g.data);
	if ((f = fopen(conf, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, " threads = %31s", threads);
			sscanf(line, " rate_limit = %31s", rate);
		}
		fclose(f);
	}
	if (statfs(g.data, &sf) == 0)
		fs = sf.f_type == 0xEF53       ? "ext4"
		     : sf.f_type == 0x58465342 ? "xfs"
		     : sf.f_type == 0x9123683E ? "btrfs"
		     : sf.f_type == 0x01021994 ? "tmpfs (fsync is free: the audit figures "
		                                 "mean nothing)"
		     : sf.f_type == 0x794c7630 ? "overlayfs"
		                               : "other";
	printf("machine: %d cores (nproc), %s; %s; %s\n", g.ncpu, model,
	       OpenSSL_version(OPENSSL_VERSION), curl_version());
	printf("custosd: %s, pid %ld, threads = %s, rate_limit = %s; data directory on %s\n", g.url,
	       g.pid, threads, rate, fs);
}

static void parse_clients(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;

	g.n_levels = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c = atoi(tok);

		if (c < 1 || c > MAX_CLIENTS || g.n_levels == MAX_LEVELS)
			bench_die("--clients: up to 8 counts from 1 to 512, e.g. 1,16,64,256");
		g.clients[g.n_levels++] = c;
	}
	free(copy);
	if (!g.n_levels)
		bench_die("--clients: e.g. 1,16,64");
}

/* median, min and max of v[0..n) (sorts v) */
static void spread(double *v, int n, double *med, double *lo, double *hi)
{
	*med = bench_median(v, n);
	*lo = v[0];
	*hi = v[n - 1];
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "data", required_argument, NULL, 'd' },
		{ "pki", required_argument, NULL, 'p' },
		{ "pid", required_argument, NULL, 'P' },
		{ "resource", required_argument, NULL, 'r' },
		{ "secret", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "floor-seconds", required_argument, NULL, 'f' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "clients", required_argument, NULL, 'c' },
		{ "no-presign", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	static struct level_result res[MAX_RUNS][MAX_LEVELS];
	double floor1[MAX_RUNS] = { 0 }, floor_n[MAX_RUNS] = { 0 }, best[MAX_LEVELS] = { 0 };
	struct gen *gens;
	char ca[4096];
	int opt, max_clients = 0, floor_threads;
	long rss_idle;
	double started = bench_now();

	g.runs = 3;
	g.secs = 5;
	g.floor_secs = 2;
	g.warmup = 1;
	g.presign = true;
	parse_clients("1,16,64");
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'u':
			g.url = optarg;
			break;
		case 'd':
			g.data = optarg;
			break;
		case 'p':
			g.pki_dir = optarg;
			break;
		case 'P':
			g.pid = atol(optarg);
			break;
		case 'r':
			g.resource = optarg;
			break;
		case 's':
			g.secret = optarg;
			break;
		case 'n':
			g.runs = atoi(optarg);
			break;
		case 't':
			g.secs = atof(optarg);
			break;
		case 'f':
			g.floor_secs = atof(optarg);
			break;
		case 'w':
			g.warmup = atof(optarg);
			break;
		case 'c':
			parse_clients(optarg);
			break;
		case 'N':
			g.presign = false;
			break;
		default:
			bench_die("usage: see the comment at the top of bench/bench_custosd.c");
		}
	}
	if (!g.url || !g.data || !g.pki_dir || g.pid <= 0 || !g.resource || !g.secret ||
	    g.runs < 1 || g.runs > MAX_RUNS || g.secs <= 0 || g.floor_secs <= 0 || g.warmup < 0)
		bench_die("usage: bench_custosd --url URL --data DIR --pki DIR --pid PID "
		          "--resource REPO/TYPE/TAG --secret TEXT [--runs 1-16] [--seconds S] "
		          "[--clients 1,16,64] [--floor-seconds S] [--warmup S] [--no-presign] "
		          "(bench/bench_custosd.sh runs it)");
	g.ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (g.ncpu < 1 || g.ncpu > 64)
		g.ncpu = g.ncpu < 1 ? 1 : 64;
	floor_threads = g.ncpu;
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", g.data);
	snprintf(g.auth_url, sizeof(g.auth_url), "%s/kbs/v0/auth", g.url);
	snprintf(g.attest_url, sizeof(g.attest_url), "%s/kbs/v0/attest", g.url);
	snprintf(g.resource_url, sizeof(g.resource_url), "%s/kbs/v0/resource/%s", g.url,
	         g.resource);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	load_pki();
	floor_setup();
	for (int l = 0; l < g.n_levels; l++)
		if (g.clients[l] > max_clients)
			max_clients = g.clients[l];
	gens = calloc((size_t)max_clients, sizeof(*gens));
	if (!gens)
		bench_die("out of memory");
	for (int i = 0; i < max_clients; i++)
		gen_init(&gens[i]);

	printf("custosd end to end: KBS attest-and-release round trips (auth -> attest with "
	       "SnpEvidence -> resource as JWE)\n");
	print_machine();
	printf("%d runs; per run: the floor for %.1f s on 1 and on %d threads, then %.1f s per "
	       "concurrency after %.1f s of warm-up;\nratio = round trips/s over the floor's "
	       "verifications/s on 1 thread for 1 client, on %d threads for more\n",
	       g.runs, g.floor_secs, floor_threads, g.secs, g.warmup, floor_threads);
	generator_cost();
	rss_idle = proc_status_kb(g.pid, "VmRSS");
	printf("custosd VmRSS idle: %.1f MiB\n", (double)rss_idle / 1024);

	printf("\nRT/s: round trips per second; floor/s: raw verifications per second; srv and "
	       "cli ms/RT: custosd's and the load\ngenerator's CPU time per round trip; CPU: "
	       "theirs, of all cores; other: the rest of the machine's (should be ~0)\n");
	printf("%-4s %7s %7s %7s %7s %7s %8s %6s %9s %9s %5s %5s  %s\n", "run", "clients", "RT/s",
	       "p50 ms", "p90 ms", "p99 ms", "floor/s", "ratio", "srv ms/RT", "cli ms/RT", "CPU",
	       "other", "custosd threads, % of a core");
	for (int run = 0; run < g.runs; run++) {
		floor1[run] = measure_floor(1);
		floor_n[run] = measure_floor(floor_threads);
		printf("%-4d floor: %.0f verify/s on 1 thread, %.0f on %d threads\n", run + 1,
		       floor1[run], floor_n[run], floor_threads);
		for (int l = 0; l < g.n_levels; l++) {
			int c = g.clients[l];
			struct level_result *r = &res[run][l];
			double fl = c >= g.ncpu ? floor_n[run] : floor1[run];

			if (g.presign) {
				/* Enough nonces for the window: 1.25 times the best rate seen at
				 * this concurrency; the first time, twice the rate of an
				 * unmeasured 1 s probe (which signs in full once the pool is
				 * empty, so it underestimates). */
				double est = best[l];

				if (est <= 0) {
					struct level_result probe;

					pool_refill((size_t)(400 + 20 * c));
					run_level(c, 1, 0.5, gens, ca, &probe);
					est = 2 * probe.rate;
				}
				pool_refill((size_t)(est * (g.secs + g.warmup + 0.5) * 1.25) +
				            (size_t)(4 * c));
			}
			run_level(c, g.secs, g.warmup, gens, ca, r);
			if (r->rate > best[l])
				best[l] = r->rate;
			printf("%-4d %7d %7.0f %7.2f %7.2f %7.2f %8.0f %6.3f %9.2f %9.2f %4.0f%% "
			       "%4.0f%%  %s\n",
			       run + 1, c, r->rate, r->p50, r->p90, r->p99, fl, r->rate / fl,
			       r->srv_cpu, r->cli_cpu, r->busy * 100, r->other * 100, r->threads);
			if (r->connects)
				printf("     (%ld connections opened inside the window)\n",
				       r->connects);
			if (r->fallbacks)
				printf(
				    "     (%ld reports signed in full: the nonce pool ran dry)\n",
				    r->fallbacks);
			fflush(stdout);
		}
	}

	printf("\nsummary over %d runs: median (min-max); the ratio is computed run by run\n",
	       g.runs);
	{
		double v[MAX_RUNS], m, lo, hi;

		memcpy(v, floor1, sizeof(v));
		spread(v, g.runs, &m, &lo, &hi);
		printf("floor, raw ECDSA P-384 verify/s, 1 thread:  %.0f (%.0f-%.0f)\n", m, lo, hi);
		memcpy(v, floor_n, sizeof(v));
		spread(v, g.runs, &m, &lo, &hi);
		printf("floor, raw ECDSA P-384 verify/s, %d threads: %.0f (%.0f-%.0f)\n",
		       floor_threads, m, lo, hi);
	}
	printf("%-7s %-14s %-20s %-20s %-20s %-20s %-9s %-9s\n", "clients", "RT/s", "p50 ms",
	       "p90 ms", "p99 ms", "ratio to floor", "srv ms/RT", "cli ms/RT");
	for (int l = 0; l < g.n_levels; l++) {
		double v[7][MAX_RUNS], m[7], lo[7], hi[7];
		char cell[7][40];

		for (int run = 0; run < g.runs; run++) {
			struct level_result *r = &res[run][l];
			double fl = g.clients[l] >= g.ncpu ? floor_n[run] : floor1[run];

			v[0][run] = r->rate;
			v[1][run] = r->p50;
			v[2][run] = r->p90;
			v[3][run] = r->p99;
			v[4][run] = r->rate / fl;
			v[5][run] = r->srv_cpu;
			v[6][run] = r->cli_cpu;
		}
		for (int k = 0; k < 7; k++) {
			spread(v[k], g.runs, &m[k], &lo[k], &hi[k]);
			if (k == 0)
				snprintf(cell[k], sizeof(cell[k]), "%.0f (%.0f-%.0f)", m[k], lo[k],
				         hi[k]);
			else if (k == 4)
				snprintf(cell[k], sizeof(cell[k]), "%.3f (%.3f-%.3f)", m[k], lo[k],
				         hi[k]);
			else
				snprintf(cell[k], sizeof(cell[k]), "%.2f (%.2f-%.2f)", m[k], lo[k],
				         hi[k]);
		}
		printf("%-7d %-14s %-20s %-20s %-20s %-20s %-9.2f %-9.2f %s\n", g.clients[l],
		       cell[0], cell[1], cell[2], cell[3], cell[4], m[5], m[6],
		       m[4] >= 0.60 ? "(target 0.60: met)" : "(target 0.60: not met)");
	}
	printf("median time of each step, ms (median over the runs): auth, making the evidence "
	       "(client), attest, resource (+ JWE check)\n");
	for (int l = 0; l < g.n_levels; l++) {
		double v[MAX_RUNS], m[4];

		for (int k = 0; k < 4; k++) {
			for (int run = 0; run < g.runs; run++)
				v[run] = res[run][l].step[k];
			m[k] = bench_median(v, g.runs);
		}
		printf("%-7d auth %.2f, evidence %.2f, attest %.2f, resource %.2f\n", g.clients[l],
		       m[0], m[1], m[2], m[3]);
	}
	/*
	 * The same comparison in CPU time, run by run: the floor's CPU per verification
	 * (1 thread) over custosd's CPU per round trip. It is the ratio custosd would reach
	 * CPU-bound with every core to itself (no load generator beside it, nothing else
	 * serializing it), and what the wall-clock ratio above cannot show on a machine
	 * the load generator shares.
	 */
	printf("custosd CPU per round trip, in verifications of the floor (1 thread), median "
	       "(min-max), and its inverse:\n");
	for (int l = 0; l < g.n_levels; l++) {
		double v[MAX_RUNS], m, lo, hi;

		for (int run = 0; run < g.runs; run++)
			v[run] = res[run][l].srv_cpu / (1e3 / floor1[run]);
		spread(v, g.runs, &m, &lo, &hi);
		printf("%-7d %.2f (%.2f-%.2f) verifications; CPU-time ratio %.3f\n", g.clients[l],
		       m, lo, hi, 1 / m);
	}
	{
		long rss_last = -1, hwm = proc_status_kb(g.pid, "VmHWM");

		for (int l = 0; l < g.n_levels; l++)
			if (g.clients[l] == max_clients)
				rss_last = res[g.runs - 1][l].rss_kb;
		printf("custosd memory: VmRSS idle %.1f MiB, at the end of the last %d-client "
		       "window %.1f MiB, peak (VmHWM) %.1f MiB\n",
		       (double)rss_idle / 1024, max_clients, (double)rss_last / 1024,
		       (double)hwm / 1024);
	}
	printf("round trips in all: %ld (warm-ups and windows), %ld of them with the secret "
	       "decrypted and checked%s",
	       total_round_trips, total_checked, g.presign ? "" : "\n");
	if (g.presign)
		printf("; reports signed in full when the nonce pool ran dry: %ld\n",
		       pool.fallbacks);
	printf("wall time %.0f s\n", bench_now() - started);

	for (int i = 0; i < max_clients; i++)
		gen_free(&gens[i]);
	free(gens);
	pool_free();
	OPENSSL_free(g.floor.der);
	EVP_PKEY_free(g.floor.vek);
	EC_KEY_free(g.ec);
	free(g.chain_json);
	sb_pki_done(&g.pki);
	curl_global_cleanup();
	return 0;
}
