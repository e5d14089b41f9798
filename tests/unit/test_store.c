/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custosd's SQLite store (src/store/store_sqlite.c): opening and schema
 * versions, sessions, the hash-chained audit log (its export, its hash
 * recomputed independently, tampering detected), concurrent appends and the
 * durability contract seen from a second connection. Every database lives in
 * a mkdtemp() directory removed at the end.
 */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "../../src/store/store.h"
#include "test-util.h"

static char tmpdir[] = "/tmp/custos-test-store-XXXXXX";

static const char zeros64[] = "0000000000000000000000000000000000000000000000000000000000000000";

static int group_setup(void **state)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[512];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	closedir(d);
	return rmdir(tmpdir);
}

/* ----------------------------------------------------------- helpers */

static void db_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s.db", tmpdir, name);
}

static cu_store *open_store(const char *name)
{
	struct cu_error err = { 0 };
	char path[512];
	cu_store *s = NULL;
	int r;

	db_path(path, sizeof(path), name);
	r = cu_store_open(&s, path, &err);
	if (r < 0)
		fail_msg("cu_store_open %s: %d (%s): %s", path, r, cu_errname(r), err.message);
	assert_non_null(s);
	return s;
}

/* Run SQL on the database file through a separate sqlite3 connection. */
static void sql(const char *name, const char *text)
{
	char path[512], *msg = NULL;
	sqlite3 *db = NULL;

	db_path(path, sizeof(path), name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg ? msg : "?");
	sqlite3_free(msg);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static uint64_t append(cu_store *s, int64_t at, const char *kind, json_t *data)
{
	struct cu_error err = { 0 };
	uint64_t seq = 0;
	int r = cu_store_audit_append(s, at, kind, data, &seq, &err);

	if (r < 0)
		fail_msg("append: %d: %s", r, err.message);
	json_decref(data);
	return seq;
}

static uint64_t verify_ok(cu_store *s)
{
	struct cu_error err = { 0 };
	uint64_t n = 12345;
	int r = cu_store_audit_verify(s, &n, &err);

	if (r < 0)
		fail_msg("verify: %d (%s): %s", r, cu_errname(r), err.message);
	return n;
}

/* Export into memory and split into parsed lines; returns how many. */
static size_t export_lines(cu_store *s, json_t ***ret)
{
	struct cu_error err = { 0 };
	char *buf = NULL, *line, *save = NULL;
	size_t size = 0, n = 0;
	json_t **out = NULL;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(cu_store_audit_export(s, f, &err), 0);
	assert_int_equal(fclose(f), 0);
	assert_true(size == 0 || buf[size - 1] == '\n');
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *j = json_loads(line, 0, &je);

		if (!j)
			fail_msg("export line %zu is not JSON: %s: %s", n + 1, je.text, line);
		out = realloc(out, (n + 1) * sizeof(*out));
		assert_non_null(out);
		out[n++] = j;
	}
	free(buf);
	*ret = out;
	return n;
}

static void free_lines(json_t **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(lines[i]);
	free(lines);
}

/* The audit hash computed independently of the store. */
static void expect_hash(const char *prev, uint64_t seq, int64_t at, const char *kind,
                        const json_t *data, char out[65])
{
	char *canon = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	char *msg = NULL;
	uint8_t md[32];
	unsigned int mdlen = 0;
	int len;

	assert_non_null(canon);
	len = asprintf(&msg, "%s\n%" PRIu64 "\n%" PRId64 "\n%s\n%s", prev, seq, at, kind, canon);
	assert_true(len > 0);
	assert_int_equal(EVP_Digest(msg, (size_t)len, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	free(canon);
	free(msg);
}

static struct cu_session make_session(const char *id, int64_t created, int64_t expires)
{
	struct cu_session s = { 0 };

	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.kind, sizeof(s.kind), "kbs");
	snprintf(s.tee, sizeof(s.tee), "snp");
	for (size_t i = 0; i < sizeof(s.nonce); i++)
		s.nonce[i] = (uint8_t)(0xA0 + i * 7);
	s.created = created;
	s.expires = expires;
	return s;
}

/* ----------------------------------------------------------- opening */

static int file_user_version(const char *name)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	int v;

	db_path(path, sizeof(path), name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int file_count(const char *name, const char *query)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	int v;

	db_path(path, sizeof(path), name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, query, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", query, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/*
 * The schema version is 1 with the sessions and audit log; later migrations
 * (2: tenants, policies, resources) raise it. Whatever the code's newest
 * version, a new database is created at it, and the file says so.
 */
static void test_open_creates_schema(void **state)
{
	cu_store *s = open_store("open");
	int version = cu_store_schema_version(s);

	assert_true(version >= 1);
	cu_store_close(s);
	assert_int_equal(file_user_version("open"), version);
	assert_int_equal(file_count("open", "SELECT count(*) FROM sqlite_master WHERE type = "
	                                    "'table' AND name IN ('session', 'audit')"),
	                 2);
	/* WAL mode, as the durability contract needs */
	{
		char path[512];
		sqlite3 *db;
		sqlite3_stmt *st;

		db_path(path, sizeof(path), "open");
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}

	/* Reopen: no migration again, the data is still there. */
	s = open_store("open");
	assert_int_equal(cu_store_schema_version(s), version);
	append(s, 1, "k", json_pack("{s:i}", "a", 1));
	cu_store_close(s);
	s = open_store("open");
	assert_int_equal(cu_store_schema_version(s), version);
	assert_int_equal(verify_ok(s), 1);
	cu_store_close(s);
	assert_int_equal(file_user_version("open"), version);
}

/* A database of schema version 1 (as the first custosd wrote it) is migrated, keeping its data. */
static void test_open_migrates_v1(void **state)
{
	cu_store *s;
	struct cu_error err = { 0 };
	struct cu_session out;
	int version;

	sql("v1", "CREATE TABLE session ("
	          "  id TEXT PRIMARY KEY, kind TEXT NOT NULL, tee TEXT NOT NULL,"
	          "  nonce BLOB NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,"
	          "  token TEXT);"
	          "CREATE INDEX session_expires ON session(expires);"
	          "CREATE TABLE audit ("
	          "  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,"
	          "  data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);"
	          "INSERT INTO session VALUES ('old', 'v1', 'snp', zeroblob(32), 1, 1000, 'tok');"
	          "PRAGMA user_version = 1;");
	s = open_store("v1");
	version = cu_store_schema_version(s);
	assert_true(version >= 1);
	assert_int_equal(cu_store_session_get(s, "old", 10, &out, &err), 0);
	assert_string_equal(out.kind, "v1");
	assert_string_equal(out.token, "tok");
	cu_session_clear(&out);
	assert_int_equal(append(s, 5, "attest", json_object()), 1);
	assert_int_equal(verify_ok(s), 1);
	cu_store_close(s);
	assert_int_equal(file_user_version("v1"), version);
}

static void test_open_newer_schema_refused(void **state)
{
	struct cu_error err = { 0 };
	cu_store *s = (cu_store *)(uintptr_t)0x5a5a;
	char path[512];
	int r;

	sql("newer", "PRAGMA user_version = 99");
	db_path(path, sizeof(path), "newer");
	r = cu_store_open(&s, path, &err);
	assert_int_equal(r, CU_ERR_UNSUPPORTED);
	assert_int_equal(err.code, CU_ERR_UNSUPPORTED);
	assert_true(s == (cu_store *)(uintptr_t)0x5a5a);
	assert_string_equal(err.stage, "store");
	assert_contains(err.message, "99");
	assert_contains(err.message, path);

	/* Refusing does not migrate the database: still version 99, no tables. */
	assert_int_equal(file_user_version("newer"), 99);
	assert_int_equal(file_count("newer", "SELECT count(*) FROM sqlite_master"), 0);
	r = cu_store_open(&s, path, &err);
	assert_int_equal(r, CU_ERR_UNSUPPORTED);
	assert_true(s == (cu_store *)(uintptr_t)0x5a5a);
}

static void test_open_missing_directory(void **state)
{
	struct cu_error err = { 0 };
	cu_store *s = (cu_store *)(uintptr_t)0x5a5a;
	char path[512];
	int r;

	snprintf(path, sizeof(path), "%s/no-such-dir/custosd.db", tmpdir);
	r = cu_store_open(&s, path, &err);
	assert_int_equal(r, CU_ERR_IO);
	assert_int_equal(err.code, CU_ERR_IO);
	assert_true(s == (cu_store *)(uintptr_t)0x5a5a);
	assert_non_null(err.stage);
	assert_contains(err.message, path);
}

/* ----------------------------------------------------------- sessions */

/* Registered TPM AKs: put, get by name, refreshed on a second registration. */
static void test_tpm_ak(void **state)
{
	cu_store *s = open_store("tpm_ak");
	struct cu_error err = { 0 };
	char *pem = NULL;

	(void)state;
	assert_int_equal(cu_store_tpm_ak_get(s, "000bff", &pem, &err), CU_ERR_NOT_FOUND);
	assert_null(pem);
	assert_int_equal(
	    cu_store_tpm_ak_put(s, "000bff", "PEM-1", "subject a, issuer b", 100, &err), 0);
	assert_int_equal(cu_store_tpm_ak_get(s, "000bff", &pem, &err), 0);
	assert_string_equal(pem, "PEM-1");
	free(pem);
	pem = NULL;
	assert_int_equal(
	    cu_store_tpm_ak_put(s, "000bff", "PEM-1", "subject c, issuer d", 200, &err), 0);
	assert_int_equal(cu_store_tpm_ak_get(s, "000bff", &pem, &err), 0);
	assert_string_equal(pem, "PEM-1");
	free(pem);
	assert_int_equal(cu_store_tpm_ak_get(s, "000bfe", &pem, &err), CU_ERR_NOT_FOUND);
	cu_store_close(s);
}

static void test_session_round_trip(void **state)
{
	cu_store *s = open_store("sess-rt");
	struct cu_error err = { 0 };
	struct cu_session in = make_session("6f1c2d3e-0000-4000-8000-000000000001", 1000, 2000);
	struct cu_session out;

	assert_int_equal(cu_store_session_put(s, &in, &err), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(cu_store_session_get(s, in.id, 1500, &out, &err), 0);
	assert_string_equal(out.id, in.id);
	assert_string_equal(out.kind, "kbs");
	assert_string_equal(out.tee, "snp");
	assert_memory_equal(out.nonce, in.nonce, CU_NONCE_SIZE);
	assert_int_equal(out.created, 1000);
	assert_int_equal(out.expires, 2000);
	assert_null(out.token);
	cu_session_clear(&out);

	/* A second session of the other kind, with a token from the start. */
	{
		struct cu_session in2 =
		    make_session("6f1c2d3e-0000-4000-8000-000000000002", -5, INT64_MAX);

		snprintf(in2.kind, sizeof(in2.kind), "v1");
		snprintf(in2.tee, sizeof(in2.tee), "sev-snp");
		memset(in2.nonce, 0, sizeof(in2.nonce));
		in2.nonce[31] = 0xff;
		in2.token = "eyJhbGciOiJFUzI1NiJ9.e30.sig";
		assert_int_equal(cu_store_session_put(s, &in2, &err), 0);
		assert_int_equal(cu_store_session_get(s, in2.id, 0, &out, &err), 0);
		assert_string_equal(out.kind, "v1");
		assert_string_equal(out.tee, "sev-snp");
		assert_memory_equal(out.nonce, in2.nonce, CU_NONCE_SIZE);
		assert_int_equal(out.created, -5);
		assert_true(out.expires == INT64_MAX);
		assert_non_null(out.token);
		assert_string_equal(out.token, in2.token);
		assert_true(out.token != in2.token);
		cu_session_clear(&out);
	}
	cu_store_close(s);
}

static void test_session_not_found(void **state)
{
	cu_store *s = open_store("sess-nf");
	struct cu_error err = { 0 };
	struct cu_session in = make_session("sess-a", 1000, 2000);
	struct cu_session out, before;
	int r;

	assert_int_equal(cu_store_session_put(s, &in, &err), 0);
	memset(&out, 0xa5, sizeof(out));
	before = out;

	r = cu_store_session_get(s, "no-such-session", 1500, &out, &err);
	assert_int_equal(r, CU_ERR_NOT_FOUND);
	assert_int_equal(err.code, CU_ERR_NOT_FOUND);
	assert_memory_equal(&out, &before, sizeof(out));
	assert_contains(err.message, "no-such-session");

	/* Expired: now == expires, and later. */
	r = cu_store_session_get(s, "sess-a", 2000, &out, &err);
	assert_int_equal(r, CU_ERR_NOT_FOUND);
	assert_memory_equal(&out, &before, sizeof(out));
	r = cu_store_session_get(s, "sess-a", 99999, &out, &err);
	assert_int_equal(r, CU_ERR_NOT_FOUND);
	assert_memory_equal(&out, &before, sizeof(out));

	/* One second before expiry it is there. */
	assert_int_equal(cu_store_session_get(s, "sess-a", 1999, &out, &err), 0);
	assert_string_equal(out.id, "sess-a");
	cu_session_clear(&out);
	cu_store_close(s);
}

static void test_session_duplicate(void **state)
{
	cu_store *s = open_store("sess-dup");
	struct cu_error err = { 0 };
	struct cu_session a = make_session("dup", 1, 100), b = make_session("dup", 2, 200), out;

	assert_int_equal(cu_store_session_put(s, &a, &err), 0);
	b.token = "other";
	assert_true(cu_store_session_put(s, &b, &err) < 0);
	assert_true(err.code < 0);
	assert_true(err.message[0] != '\0');
	/* The first one is unchanged. */
	assert_int_equal(cu_store_session_get(s, "dup", 50, &out, &err), 0);
	assert_int_equal(out.created, 1);
	assert_int_equal(out.expires, 100);
	assert_null(out.token);
	cu_session_clear(&out);
	cu_store_close(s);
}

static void test_session_set_token(void **state)
{
	cu_store *s = open_store("sess-token");
	struct cu_error err = { 0 };
	struct cu_session in = make_session("tok", 1, 100), out;
	int r;

	assert_int_equal(cu_store_session_put(s, &in, &err), 0);
	assert_int_equal(cu_store_session_set_token(s, "tok", "first.token.sig", &err), 0);
	assert_int_equal(cu_store_session_get(s, "tok", 50, &out, &err), 0);
	assert_string_equal(out.token, "first.token.sig");
	assert_memory_equal(out.nonce, in.nonce, CU_NONCE_SIZE);
	cu_session_clear(&out);

	/* Replaced. */
	assert_int_equal(cu_store_session_set_token(s, "tok", "second", &err), 0);
	assert_int_equal(cu_store_session_get(s, "tok", 50, &out, &err), 0);
	assert_string_equal(out.token, "second");
	cu_session_clear(&out);

	r = cu_store_session_set_token(s, "nobody", "x", &err);
	assert_int_equal(r, CU_ERR_NOT_FOUND);
	assert_int_equal(err.code, CU_ERR_NOT_FOUND);
	assert_contains(err.message, "nobody");
	cu_store_close(s);
}

static void test_session_purge(void **state)
{
	cu_store *s = open_store("sess-purge");
	struct cu_error err = { 0 };
	struct cu_session a = make_session("p-100", 0, 100), b = make_session("p-200", 0, 200),
	                  c = make_session("p-300", 0, 300), out;

	assert_int_equal(cu_store_session_put(s, &a, &err), 0);
	assert_int_equal(cu_store_session_put(s, &b, &err), 0);
	assert_int_equal(cu_store_session_put(s, &c, &err), 0);
	assert_int_equal(cu_store_session_purge(s, 50, &err), 0);
	assert_int_equal(cu_store_session_purge(s, 200, &err), 2);
	assert_int_equal(cu_store_session_purge(s, 200, &err), 0);

	/* Gone even at a time at which they would still be valid. */
	assert_int_equal(cu_store_session_get(s, "p-100", 0, &out, &err), CU_ERR_NOT_FOUND);
	assert_int_equal(cu_store_session_get(s, "p-200", 0, &out, &err), CU_ERR_NOT_FOUND);
	assert_int_equal(cu_store_session_set_token(s, "p-200", "t", &err), CU_ERR_NOT_FOUND);
	assert_int_equal(cu_store_session_get(s, "p-300", 0, &out, &err), 0);
	cu_session_clear(&out);
	assert_int_equal(cu_store_session_purge(s, 1000, &err), 1);
	assert_int_equal(cu_store_session_get(s, "p-300", 0, &out, &err), CU_ERR_NOT_FOUND);
	cu_store_close(s);
}

/* ----------------------------------------------------------- audit log */

static void test_audit_append_and_verify(void **state)
{
	cu_store *s = open_store("audit-seq");
	struct cu_error err = { 0 };
	uint64_t n = 777;

	/* An empty log verifies with 0 records. */
	assert_int_equal(cu_store_audit_verify(s, &n, &err), 0);
	assert_int_equal(n, 0);
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(append(s, 1700000000 + (int64_t)i, "attest",
		                        json_pack("{s:I}", "i", (json_int_t)i)),
		                 i);
	assert_int_equal(verify_ok(s), 5);
	/* ret_seq may be NULL. */
	{
		json_t *d = json_object();

		assert_int_equal(cu_store_audit_append(s, 1, "x", d, NULL, &err), 0);
		json_decref(d);
	}
	assert_int_equal(verify_ok(s), 6);
	/* NULL ret_n */
	assert_int_equal(cu_store_audit_verify(s, NULL, &err), 0);
	cu_store_close(s);
}

static void test_audit_export_chain(void **state)
{
	cu_store *s = open_store("audit-export");
	const char *kinds[] = { "attest", "resource", "policy.update", "kbs" };
	json_t *datas[4], **lines = NULL;
	int64_t ats[] = { 1700000000, -1, 0, INT64_C(253402300799) };
	char prev[65];
	size_t n;

	/* Keys out of order, nesting, non-ASCII, an escape: canonical form matters. */
	datas[0] =
	    json_pack("{s:s,s:i,s:{s:b,s:n}}", "zeta", "last", "alpha", 1, "mid", "y", 1, "x");
	datas[1] =
	    json_pack("{s:s,s:[i,i,i]}", "name", "caf\xc3\xa9 \"quoted\"\n", "list", 3, 2, 1);
	datas[2] = json_object();
	datas[3] = json_pack("{s:f,s:I}", "r", 0.5, "big", (json_int_t)INT64_MAX);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(append(s, ats[i], kinds[i], json_incref(datas[i])), i + 1);

	n = export_lines(s, &lines);
	assert_int_equal(n, 4);
	memcpy(prev, zeros64, sizeof(prev));
	for (size_t i = 0; i < n; i++) {
		json_t *l = lines[i];
		const char *h = json_string_value(json_object_get(l, "hash"));
		char want[65];

		assert_int_equal(json_object_size(l), 6);
		assert_int_equal(json_integer_value(json_object_get(l, "seq")), i + 1);
		assert_true(json_integer_value(json_object_get(l, "at")) == ats[i]);
		assert_string_equal(json_string_value(json_object_get(l, "kind")), kinds[i]);
		assert_true(json_equal(json_object_get(l, "data"), datas[i]));
		assert_string_equal(json_string_value(json_object_get(l, "prev")), prev);
		assert_non_null(h);
		assert_int_equal(strlen(h), 64);
		/* The hash recomputed here from its definition. */
		expect_hash(prev, i + 1, ats[i], kinds[i], datas[i], want);
		assert_string_equal(h, want);
		memcpy(prev, h, sizeof(prev));
	}
	free_lines(lines, n);
	for (size_t i = 0; i < 4; i++)
		json_decref(datas[i]);

	/* An empty store exports nothing. */
	cu_store_close(s);
	s = open_store("audit-export-empty");
	assert_int_equal(export_lines(s, &lines), 0);
	free(lines);
	cu_store_close(s);
}

/* Four records; then `tamper` through sqlite3; verify must name record `bad`. */
static void tamper_case(const char *name, const char *tamper, uint64_t bad)
{
	cu_store *s = open_store(name);
	struct cu_error err = { 0 };
	uint64_t n = 4242;
	char want[32];
	int r;

	for (int i = 1; i <= 4; i++)
		append(s, 1000 + i, "attest", json_pack("{s:i,s:s}", "i", i, "who", "guest"));
	assert_int_equal(verify_ok(s), 4);
	cu_store_close(s);

	sql(name, tamper);
	s = open_store(name);
	r = cu_store_audit_verify(s, &n, &err);
	assert_int_equal(r, CU_ERR_MISMATCH);
	assert_int_equal(err.code, CU_ERR_MISMATCH);
	assert_int_equal(n, 4242);
	snprintf(want, sizeof(want), "record %" PRIu64 " ", bad);
	assert_contains(err.message, want);
	cu_store_close(s);
}

static void test_audit_tamper_data(void **state)
{
	tamper_case("tamper-data",
	            "UPDATE audit SET data = '{\"i\":2,\"who\":\"admin\"}' WHERE seq = 2", 2);
}

static void test_audit_tamper_at(void **state)
{
	tamper_case("tamper-at", "UPDATE audit SET at = at + 1 WHERE seq = 3", 3);
}

static void test_audit_tamper_kind(void **state)
{
	tamper_case("tamper-kind", "UPDATE audit SET kind = 'resource' WHERE seq = 1", 1);
}

static void test_audit_tamper_delete(void **state)
{
	tamper_case("tamper-delete", "DELETE FROM audit WHERE seq = 2", 2);
}

static void test_audit_tamper_swap(void **state)
{
	tamper_case("tamper-swap",
	            "CREATE TEMP TABLE t AS SELECT seq, data FROM audit WHERE seq IN (2, 3);"
	            "UPDATE audit SET data = (SELECT data FROM t WHERE t.seq = 5 - audit.seq) "
	            "WHERE seq IN (2, 3);",
	            2);
}

static void test_audit_tamper_rehash(void **state)
{
	/* Record 2 rewritten with a hash that matches its new content: record 3 no longer follows. */
	const char *name = "tamper-rehash";
	cu_store *s = open_store(name);
	struct cu_error err = { 0 };
	json_t *forged = json_pack("{s:i,s:s}", "i", 2, "who", "admin");
	char *canon = json_dumps(forged, JSON_COMPACT | JSON_SORT_KEYS), *q;
	json_t **lines;
	char hash[65];
	size_t n;
	int r;

	for (int i = 1; i <= 4; i++)
		append(s, 1000 + i, "attest", json_pack("{s:i,s:s}", "i", i, "who", "guest"));
	n = export_lines(s, &lines);
	assert_int_equal(n, 4);
	expect_hash(json_string_value(json_object_get(lines[0], "hash")), 2, 1002, "attest", forged,
	            hash);
	free_lines(lines, n);
	cu_store_close(s);

	q = sqlite3_mprintf("UPDATE audit SET data = %Q, hash = %Q WHERE seq = 2", canon, hash);
	assert_non_null(q);
	sql(name, q);
	sqlite3_free(q);
	free(canon);
	json_decref(forged);

	s = open_store(name);
	r = cu_store_audit_verify(s, NULL, &err);
	assert_int_equal(r, CU_ERR_MISMATCH);
	assert_contains(err.message, "record 3 ");
	cu_store_close(s);
}

/* ----------------------------------------------------------- concurrency */

#define N_THREADS 4
#define N_APPENDS 200

struct worker {
	cu_store *s;
	int id;
	uint64_t seqs[N_APPENDS];
	int failures;
	char first_error[CU_ERROR_MESSAGE_MAX];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < N_APPENDS; i++) {
		struct cu_error err = { 0 };
		json_t *d = json_pack("{s:i,s:i}", "thread", w->id, "i", i);

		if (!d || cu_store_audit_append(w->s, 1700000000 + i, "attest", d, &w->seqs[i],
		                                &err) < 0) {
			if (!w->failures++)
				snprintf(w->first_error, sizeof(w->first_error), "%s", err.message);
		}
		json_decref(d);
	}
	return NULL;
}

static void test_audit_concurrent(void **state)
{
	cu_store *s = open_store("concurrent");
	struct worker *w = calloc(N_THREADS, sizeof(*w));
	pthread_t th[N_THREADS];
	uint8_t seen[N_THREADS * N_APPENDS + 1] = { 0 };
	json_t **lines;
	size_t n;

	assert_non_null(w);
	for (int i = 0; i < N_THREADS; i++) {
		w[i].s = s;
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < N_THREADS; i++) {
		if (w[i].failures)
			fail_msg("thread %d: %d appends failed: %s", i, w[i].failures,
			         w[i].first_error);
		/* Each thread's own appends are in increasing order; all seqs are distinct. */
		for (int j = 0; j < N_APPENDS; j++) {
			uint64_t q = w[i].seqs[j];

			assert_true(q >= 1 && q <= N_THREADS * N_APPENDS);
			assert_int_equal(seen[q], 0);
			seen[q] = 1;
			if (j)
				assert_true(q > w[i].seqs[j - 1]);
		}
	}
	assert_int_equal(verify_ok(s), N_THREADS * N_APPENDS);
	n = export_lines(s, &lines);
	assert_int_equal(n, N_THREADS * N_APPENDS);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(json_integer_value(json_object_get(lines[i], "seq")), i + 1);
	free_lines(lines, n);
	free(w);
	cu_store_close(s);
}

/* ----------------------------------------------------------- durability */

static void test_durability_second_connection(void **state)
{
	cu_store *a = open_store("durable"), *b;
	struct cu_error err = { 0 };
	struct cu_session in = make_session("durable-1", 10, 1000), out;
	json_t **lines;
	size_t n;

	/* b opens before the writes, so it sees them through the WAL, not at open. */
	b = open_store("durable");
	assert_int_equal(append(a, 42, "attest", json_pack("{s:s}", "k", "v")), 1);
	assert_int_equal(verify_ok(b), 1);
	n = export_lines(b, &lines);
	assert_int_equal(n, 1);
	assert_string_equal(json_string_value(json_object_get(lines[0], "kind")), "attest");
	free_lines(lines, n);

	assert_int_equal(cu_store_session_put(a, &in, &err), 0);
	assert_int_equal(cu_store_session_get(b, "durable-1", 500, &out, &err), 0);
	assert_memory_equal(out.nonce, in.nonce, CU_NONCE_SIZE);
	cu_session_clear(&out);
	assert_int_equal(cu_store_session_set_token(a, "durable-1", "tok", &err), 0);
	assert_int_equal(cu_store_session_get(b, "durable-1", 500, &out, &err), 0);
	assert_string_equal(out.token, "tok");
	cu_session_clear(&out);

	/* Both connections append to the same chain. */
	assert_int_equal(append(b, 43, "attest", json_object()), 2);
	assert_int_equal(append(a, 44, "attest", json_object()), 3);
	assert_int_equal(verify_ok(a), 3);
	cu_store_close(a);
	cu_store_close(b);

	/* A fresh connection after both closed. */
	a = open_store("durable");
	assert_int_equal(verify_ok(a), 3);
	cu_store_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_creates_schema),
		cmocka_unit_test(test_open_migrates_v1),
		cmocka_unit_test(test_open_newer_schema_refused),
		cmocka_unit_test(test_open_missing_directory),
		cmocka_unit_test(test_session_round_trip),
		cmocka_unit_test(test_session_not_found),
		cmocka_unit_test(test_session_duplicate),
		cmocka_unit_test(test_session_set_token),
		cmocka_unit_test(test_session_purge),
		cmocka_unit_test(test_audit_append_and_verify),
		cmocka_unit_test(test_audit_export_chain),
		cmocka_unit_test(test_audit_tamper_data),
		cmocka_unit_test(test_audit_tamper_at),
		cmocka_unit_test(test_audit_tamper_kind),
		cmocka_unit_test(test_audit_tamper_delete),
		cmocka_unit_test(test_audit_tamper_swap),
		cmocka_unit_test(test_audit_tamper_rehash),
		cmocka_unit_test(test_audit_concurrent),
		cmocka_unit_test(test_durability_second_connection),
		cmocka_unit_test(test_tpm_ak),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
