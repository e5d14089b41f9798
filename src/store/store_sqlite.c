/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store on SQLite: one database file in WAL mode with synchronous=FULL,
 * so a write is on disk when the call returns. One connection, serialised by
 * a mutex: SQLite has a single writer anyway, and readers are short.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "../base/encoding.h"
#include "../base/error.h"
#include "../crypto/sig.h"
#include "store.h"

#define STAGE "store"

struct cu_store {
	sqlite3 *db;
	pthread_mutex_t lock;
	int version;
	/*
	 * Sessions go through a second connection with synchronous=NORMAL and
	 * its own lock: they survive a crash of custosd (the write is in the
	 * kernel when the call returns) and are on disk at the next durable
	 * commit; a power loss can at worst make a client repeat the KBS
	 * handshake. Everything else commits with synchronous=FULL.
	 */
	struct cu_store *sessions;
	/*
	 * Reads of tenants, policies, reference values and resources go through
	 * a read-only connection with its own lock: in WAL mode they need not wait
	 * for a commit (and its fsync) on the writing connection.
	 */
	struct cu_store *reader;
	/* Audit group commit: the queue of waiting records, and whether a commit runs. */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct audit_req *qhead, *qtail;
	bool committing;
};

/* Schema migrations, applied in order; the index + 1 is the schema version. */
static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE session ("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  tee TEXT NOT NULL,"
	"  nonce BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  token TEXT"
	");"
	"CREATE INDEX session_expires ON session(expires);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  data TEXT NOT NULL,"
	"  prev TEXT NOT NULL,"
	"  hash TEXT NOT NULL"
	");",
	/* 2: tenants, their immutable versioned policies, their sealed resources */
	"CREATE TABLE tenant ("
	"  name TEXT PRIMARY KEY,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE policy ("
	"  tenant TEXT NOT NULL REFERENCES tenant(name),"
	"  id TEXT NOT NULL,"
	"  revision INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  document TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (tenant, id, revision)"
	");"
	"CREATE TABLE resource ("
	"  tenant TEXT NOT NULL REFERENCES tenant(name),"
	"  name TEXT NOT NULL,"
	"  policy TEXT NOT NULL,"
	"  nonce BLOB NOT NULL,"
	"  sealed BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (tenant, name)"
	");",
	/* 3: tenants' reference values, one immutable document per revision */
	"CREATE TABLE refvalues ("
	"  tenant TEXT NOT NULL REFERENCES tenant(name),"
	"  revision INTEGER NOT NULL,"
	"  document TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (tenant, revision)"
	");",
	/* 4: TPM attestation keys registered by credential activation */
	"CREATE TABLE tpm_ak ("
	"  name TEXT PRIMARY KEY,"
	"  public_key TEXT NOT NULL,"
	"  ek TEXT NOT NULL,"
	"  registered INTEGER NOT NULL"
	");",
};

#define SCHEMA_VERSION ((int)ELEMENTSOF(migrations))

void cu_session_clear(struct cu_session *s)
{
	if (!s)
		return;
	free(s->token);
	OPENSSL_cleanse(s->nonce, sizeof(s->nonce));
	memset(s, 0, sizeof(*s));
}

static int db_fail(cu_store *s, struct cu_error *err, const char *what)
{
	return cu_fail(err, CU_ERR_IO, STAGE, STAGE ": %s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(cu_store *s, const char *sql, struct cu_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = cu_fail(err, CU_ERR_IO, STAGE, STAGE ": %s", msg ? msg : "SQL error");
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static int get_version(cu_store *s, int *ret, struct cu_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "schema version");
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*ret = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 0 : db_fail(s, err, "schema version");
}

static int migrate(cu_store *s, struct cu_error *err)
{
	int v = 0, r;

	r = get_version(s, &v, err);
	if (r < 0)
		return r;
	if (v > SCHEMA_VERSION)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               STAGE ": database schema version %d is newer than this custosd "
		                     "understands (%d); refusing to open it",
		               v, SCHEMA_VERSION);
	for (; v < SCHEMA_VERSION; v++) {
		char pragma[64];

		/* Each migration and its version bump commit together or not at all. */
		if ((r = exec(s, "BEGIN IMMEDIATE", err)) < 0)
			return r;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if ((r = exec(s, migrations[v], err)) < 0 || (r = exec(s, pragma, err)) < 0) {
			exec(s, "ROLLBACK", NULL);
			return r;
		}
		if ((r = exec(s, "COMMIT", err)) < 0)
			return r;
	}
	s->version = SCHEMA_VERSION;
	return 0;
}

/* A second connection to the same database: for sessions (read-write) or reads. */
static int open_child(cu_store *parent, const char *path, bool readonly, cu_store **slot,
                      struct cu_error *err)
{
	cu_store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	*slot = s;
	if (sqlite3_open_v2(path, &s->db,
	                    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	                        SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		return cu_fail(err, CU_ERR_IO, STAGE, STAGE ": %s: %s", path,
		               s->db ? sqlite3_errmsg(s->db) : "cannot open");
	sqlite3_busy_timeout(s->db, 10000);
	if (!readonly && (r = exec(s, "PRAGMA synchronous = NORMAL", err)) < 0)
		return r;
	s->version = parent->version;
	return 0;
}

int cu_store_open(cu_store **ret, const char *path, struct cu_error *err)
{
	cu_store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		r = cu_fail(err, CU_ERR_IO, STAGE, STAGE ": %s: %s", path,
		            s->db ? sqlite3_errmsg(s->db) : "cannot open");
		cu_store_close(s);
		return r;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if ((r = exec(s, "PRAGMA journal_mode = WAL", err)) < 0 ||
	    (r = exec(s, "PRAGMA synchronous = FULL", err)) < 0 ||
	    (r = exec(s, "PRAGMA foreign_keys = ON", err)) < 0 || (r = migrate(s, err)) < 0) {
		cu_error_prefix_file(err, path);
		cu_store_close(s);
		return r;
	}
	if ((r = open_child(s, path, false, &s->sessions, err)) < 0 ||
	    (r = open_child(s, path, true, &s->reader, err)) < 0) {
		cu_store_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void cu_store_close(cu_store *s)
{
	if (!s)
		return;
	cu_store_close(s->sessions);
	cu_store_close(s->reader);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qcond);
	free(s);
}

int cu_store_schema_version(cu_store *s)
{
	return s->version;
}

/* ---- Sessions ------------------------------------------------------------------ */

int cu_store_session_put(cu_store *s, const struct cu_session *in, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (s->sessions)
		s = s->sessions;
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(
	        s->db,
	        "INSERT INTO session (id, kind, tee, nonce, created, expires, token) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?)",
	        -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, in->id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, in->kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, in->tee, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 4, in->nonce, sizeof(in->nonce), SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, in->created) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, in->expires) != SQLITE_OK ||
	    (in->token ? sqlite3_bind_text(st, 7, in->token, -1, SQLITE_STATIC)
	               : sqlite3_bind_null(st, 7)) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		r = db_fail(s, err, "session insert");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_session_get(cu_store *s, const char *id, int64_t now, struct cu_session *ret,
                         struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	struct cu_session out = { 0 };
	int r = 0, step;

	if (s->sessions)
		s = s->sessions;
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT kind, tee, nonce, created, expires, token FROM session "
	                       "WHERE id = ? AND expires > ?",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
		r = db_fail(s, err, "session lookup");
		goto out;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		            STAGE ": no session %.40s (unknown or "
		                  "expired)",
		            id);
		goto out;
	}
	if (step != SQLITE_ROW || sqlite3_column_bytes(st, 2) != CU_NONCE_SIZE) {
		r = db_fail(s, err, "session lookup");
		goto out;
	}
	snprintf(out.id, sizeof(out.id), "%s", id);
	snprintf(out.kind, sizeof(out.kind), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(out.tee, sizeof(out.tee), "%s", (const char *)sqlite3_column_text(st, 1));
	memcpy(out.nonce, sqlite3_column_blob(st, 2), CU_NONCE_SIZE);
	out.created = sqlite3_column_int64(st, 3);
	out.expires = sqlite3_column_int64(st, 4);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		out.token = strdup((const char *)sqlite3_column_text(st, 5));
		if (!out.token) {
			r = cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
			goto out;
		}
	}
	*ret = out;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_session_set_token(cu_store *s, const char *id, const char *token, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (s->sessions)
		s = s->sessions;
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "UPDATE session SET token = ? WHERE id = ?", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		r = db_fail(s, err, "session update");
	else if (sqlite3_changes(s->db) != 1)
		r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE, STAGE ": no session %.40s", id);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_session_purge(cu_store *s, int64_t now, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (s->sessions)
		s = s->sessions;
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM session WHERE expires <= ?", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, now) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		r = db_fail(s, err, "session purge");
	else
		r = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* ---- Tenants, policies, resources ------------------------------------------------- */

/* Run one prepared statement with text/int64 arguments given as a format: 't' text, 'i' int64. */
static int run(cu_store *s, const char *sql, const char *fmt, const void *const *args,
               sqlite3_stmt **ret_st, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "prepare");
	for (int i = 0; fmt[i]; i++) {
		int rc = fmt[i] == 't' ? sqlite3_bind_text(st, i + 1, (const char *)args[i], -1,
		                                           SQLITE_STATIC)
		                       : sqlite3_bind_int64(st, i + 1, *(const int64_t *)args[i]);
		if (rc != SQLITE_OK) {
			sqlite3_finalize(st);
			return db_fail(s, err, "bind");
		}
	}
	*ret_st = st;
	return 0;
}

int cu_store_tenant_put(cu_store *s, const char *name, int64_t at, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { name, &at };
	int r;

	pthread_mutex_lock(&s->lock);
	r = run(s, "INSERT OR IGNORE INTO tenant (name, created) VALUES (?, ?)", "ti", args, &st,
	        err);
	if (r == 0)
		r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(s->db)
		                                    : db_fail(s, err, "tenant insert");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_tenant_get(cu_store *s, const char *name, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { name };
	int r;

	if (s->reader)
		s = s->reader;
	pthread_mutex_lock(&s->lock);
	r = run(s, "SELECT 1 FROM tenant WHERE name = ?", "t", args, &st, err);
	if (r == 0) {
		int step = sqlite3_step(st);
		r = step == SQLITE_ROW ? 0
		    : step == SQLITE_DONE
		        ? cu_fail(err, CU_ERR_NOT_FOUND, STAGE, STAGE ": no tenant %.64s", name)
		        : db_fail(s, err, "tenant lookup");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_policy_put(cu_store *s, const char *tenant, const char *id, int64_t revision,
                        const char *kind, const char *document, const char *digest, int64_t at,
                        struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *get[] = { tenant, id, &revision };
	const void *put[] = { tenant, id, &revision, kind, document, digest, &at };
	int r, step;

	pthread_mutex_lock(&s->lock);
	r = run(s, "SELECT digest FROM policy WHERE tenant = ? AND id = ? AND revision = ?", "tti",
	        get, &st, err);
	if (r < 0)
		goto out;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		r = strcmp((const char *)sqlite3_column_text(st, 0), digest)
		        ? cu_fail(err, CU_ERR_MISMATCH, STAGE,
		                  STAGE
		                  ": policy %.64s revision %lld is stored already with other "
		                  "content; stored policies are immutable: raise the revision",
		                  id, (long long)revision)
		        : 0;
		goto out;
	}
	if (step != SQLITE_DONE) {
		r = db_fail(s, err, "policy lookup");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	r = run(s,
	        "INSERT INTO policy (tenant, id, revision, kind, document, digest, created) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?)",
	        "ttittti", put, &st, err);
	if (r == 0)
		r = sqlite3_step(st) == SQLITE_DONE ? 1 : db_fail(s, err, "policy insert");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_policy_get_latest(cu_store *s, const char *tenant, const char *id, char **ret_document,
                               int64_t *ret_revision, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { tenant, id };
	int r, step;

	if (s->reader)
		s = s->reader;
	pthread_mutex_lock(&s->lock);
	r = run(s,
	        "SELECT document, revision FROM policy WHERE tenant = ? AND id = ? "
	        "ORDER BY revision DESC LIMIT 1",
	        "tt", args, &st, err);
	if (r < 0)
		goto out;
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE, STAGE ": no policy %.64s in tenant %.64s",
		            id, tenant);
	} else if (step != SQLITE_ROW) {
		r = db_fail(s, err, "policy lookup");
	} else {
		char *doc = strdup((const char *)sqlite3_column_text(st, 0));
		if (!doc) {
			r = cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
		} else {
			*ret_document = doc;
			*ret_revision = sqlite3_column_int64(st, 1);
		}
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_refvalues_put(cu_store *s, const char *tenant, const char *document,
                           const char *digest, int64_t at, int64_t *ret_revision,
                           struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { tenant, document, digest, &at, tenant };
	int r;

	/* The next revision, in the same statement: two writers cannot take one number. */
	pthread_mutex_lock(&s->lock);
	r = run(s,
	        "INSERT INTO refvalues (tenant, revision, document, digest, created) "
	        "SELECT ?, COALESCE(MAX(revision), 0) + 1, ?, ?, ? FROM refvalues WHERE tenant = ?",
	        "tttit", args, &st, err);
	if (r == 0 && sqlite3_step(st) != SQLITE_DONE)
		r = db_fail(s, err, "refvalues insert");
	sqlite3_finalize(st);
	st = NULL;
	if (r == 0) {
		const void *q[] = { tenant };
		r = run(s, "SELECT MAX(revision) FROM refvalues WHERE tenant = ?", "t", q, &st,
		        err);
		if (r == 0)
			r = sqlite3_step(st) == SQLITE_ROW
			        ? (*ret_revision = sqlite3_column_int64(st, 0), 0)
			        : db_fail(s, err, "refvalues revision");
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_refvalues_get_latest(cu_store *s, const char *tenant, char **ret_document,
                                  int64_t *ret_revision, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { tenant };
	int r, step;

	if (s->reader)
		s = s->reader;
	pthread_mutex_lock(&s->lock);
	r = run(s,
	        "SELECT document, revision FROM refvalues WHERE tenant = ? "
	        "ORDER BY revision DESC LIMIT 1",
	        "t", args, &st, err);
	if (r == 0) {
		step = sqlite3_step(st);
		if (step == SQLITE_DONE) {
			r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
			            STAGE ": tenant %.64s has no reference values", tenant);
		} else if (step != SQLITE_ROW) {
			r = db_fail(s, err, "refvalues lookup");
		} else if (!(*ret_document = strdup((const char *)sqlite3_column_text(st, 0)))) {
			r = cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
		} else {
			*ret_revision = sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void cu_resource_clear(struct cu_resource *r)
{
	if (!r)
		return;
	free(r->policy);
	free(r->sealed);
	memset(r, 0, sizeof(*r));
}

int cu_store_resource_put(cu_store *s, const char *tenant, const char *name,
                          const struct cu_resource *in, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT OR REPLACE INTO resource "
	                       "(tenant, name, policy, nonce, sealed, created) "
	                       "VALUES (?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, in->policy, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 4, in->nonce, sizeof(in->nonce), SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 5, in->sealed, (int)in->sealed_size, SQLITE_STATIC) !=
	        SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, in->created) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		r = db_fail(s, err, "resource insert");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_resource_get(cu_store *s, const char *tenant, const char *name,
                          struct cu_resource *ret, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { tenant, name };
	struct cu_resource out = { 0 };
	int r, step;

	if (s->reader)
		s = s->reader;
	pthread_mutex_lock(&s->lock);
	r = run(s,
	        "SELECT policy, nonce, sealed, created FROM resource WHERE tenant = ? AND name = ?",
	        "tt", args, &st, err);
	if (r < 0)
		goto out;
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE, STAGE ": no resource %.64s/%.128s",
		            tenant, name);
		goto out;
	}
	if (step != SQLITE_ROW || sqlite3_column_bytes(st, 1) != (int)sizeof(out.nonce)) {
		r = db_fail(s, err, "resource lookup");
		goto out;
	}
	out.policy = strdup((const char *)sqlite3_column_text(st, 0));
	memcpy(out.nonce, sqlite3_column_blob(st, 1), sizeof(out.nonce));
	out.sealed_size = (size_t)sqlite3_column_bytes(st, 2);
	out.sealed = malloc(out.sealed_size ? out.sealed_size : 1);
	out.created = sqlite3_column_int64(st, 3);
	if (!out.policy || !out.sealed) {
		cu_resource_clear(&out);
		r = cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
		goto out;
	}
	memcpy(out.sealed, sqlite3_column_blob(st, 2), out.sealed_size);
	*ret = out;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_resource_list(cu_store *s, const char *tenant, json_t **ret, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { tenant };
	json_t *list = json_array();
	int r, step;

	if (s->reader)
		s = s->reader;
	if (!list)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	pthread_mutex_lock(&s->lock);
	r = run(s, "SELECT name, policy, created FROM resource WHERE tenant = ? ORDER BY name", "t",
	        args, &st, err);
	while (r == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		if (json_array_append_new(
		        list, json_pack("{s:s,s:s,s:I}", "name", sqlite3_column_text(st, 0),
		                        "policy", sqlite3_column_text(st, 1), "created",
		                        (json_int_t)sqlite3_column_int64(st, 2))) < 0)
			r = cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	if (r == 0 && step != SQLITE_DONE)
		r = db_fail(s, err, "resource list");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		json_decref(list);
		return r;
	}
	*ret = list;
	return 0;
}

/* ---- Audit log ------------------------------------------------------------------- */

static void audit_hash(const char *prev, uint64_t seq, int64_t at, const char *kind,
                       const char *data, char out[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char head[128];
	uint8_t md[32];
	unsigned int n = 0;

	snprintf(head, sizeof(head), "\n%" PRIu64 "\n%" PRId64 "\n", seq, at);
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, strlen(prev)) != 1 ||
	    EVP_DigestUpdate(ctx, head, strlen(head)) != 1 ||
	    EVP_DigestUpdate(ctx, kind, strlen(kind)) != 1 || EVP_DigestUpdate(ctx, "\n", 1) != 1 ||
	    EVP_DigestUpdate(ctx, data, strlen(data)) != 1 || EVP_DigestFinal_ex(ctx, md, &n) != 1)
		memset(md, 0, sizeof(md)); /* cannot happen with the default provider */
	EVP_MD_CTX_free(ctx);
	cu_hex_encode(md, sizeof(md), out);
}

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

/* One record waiting to be appended; the group commit fills in the outcome. */
struct audit_req {
	int64_t at;
	const char *kind, *text;
	uint64_t seq;
	int r;
	struct cu_error err;
	bool done;
	struct audit_req *next;
};

/*
 * Append a batch in one write transaction (one fsync): read the tail, chain
 * every record to the one before, commit. All or nothing.
 */
static int commit_batch(cu_store *s, struct audit_req *batch, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	char prev[65], hash[65];
	uint64_t seq = 1;
	int r = 0, step;

	pthread_mutex_lock(&s->lock);
	/* Read the tail and append in one write transaction: the chain cannot fork. */
	if ((r = exec(s, "BEGIN IMMEDIATE", err)) < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1,
	                       &st, NULL) != SQLITE_OK) {
		r = db_fail(s, err, "audit tail");
		goto rollback;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", (const char *)sqlite3_column_text(st, 1));
	} else if (step == SQLITE_DONE) {
		memcpy(prev, zero_hash, sizeof(prev));
	} else {
		r = db_fail(s, err, "audit tail");
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT INTO audit (seq, at, kind, data, prev, hash) "
	                       "VALUES (?, ?, ?, ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK) {
		r = db_fail(s, err, "audit append");
		goto rollback;
	}
	for (struct audit_req *q = batch; q; q = q->next, seq++) {
		audit_hash(prev, seq, q->at, q->kind, q->text, hash);
		if (sqlite3_reset(st) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 2, q->at) != SQLITE_OK ||
		    sqlite3_bind_text(st, 3, q->kind, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 4, q->text, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 5, prev, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_bind_text(st, 6, hash, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE) {
			r = db_fail(s, err, "audit append");
			goto rollback;
		}
		q->seq = seq;
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = exec(s, "COMMIT", err)) < 0)
		goto rollback;
	goto out;
rollback:
	sqlite3_finalize(st);
	st = NULL;
	exec(s, "ROLLBACK", NULL);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/*
 * Group commit: records that arrive while a commit is running wait for the
 * next one, which writes them all with a single fsync. Each caller returns
 * only once its own record is durable (or the batch failed, then nothing of it
 * was written).
 */
int cu_store_audit_append(cu_store *s, int64_t at, const char *kind, const json_t *data,
                          uint64_t *ret_seq, struct cu_error *err)
{
	_cleanup_free_ char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	struct audit_req req = { .at = at, .kind = kind };

	if (!text)
		return cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	req.text = text;
	pthread_mutex_lock(&s->qlock);
	if (s->qtail)
		s->qtail->next = &req;
	else
		s->qhead = &req;
	s->qtail = &req;
	while (!req.done) {
		if (s->committing) {
			pthread_cond_wait(&s->qcond, &s->qlock);
			continue;
		}
		/* Lead a commit of everything queued so far (this record included). */
		struct audit_req *batch = s->qhead;
		struct cu_error berr = { 0 };
		int r;

		s->qhead = s->qtail = NULL;
		s->committing = true;
		pthread_mutex_unlock(&s->qlock);
		r = commit_batch(s, batch, &berr);
		pthread_mutex_lock(&s->qlock);
		for (struct audit_req *q = batch, *next; q; q = next) {
			next = q->next;
			q->r = r;
			if (r < 0)
				q->err = berr;
			q->done = true;
		}
		s->committing = false;
		pthread_cond_broadcast(&s->qcond);
	}
	pthread_mutex_unlock(&s->qlock);
	if (req.r < 0) {
		if (err)
			*err = req.err;
		return req.r;
	}
	if (ret_seq)
		*ret_seq = req.seq;
	return 0;
}

int cu_store_audit_verify(cu_store *s, uint64_t *ret_n, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	char prev[65], hash[65];
	uint64_t expect = 1, n = 0;
	int r = 0, step;

	memcpy(prev, zero_hash, sizeof(prev));
	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT seq, at, kind, data, prev, hash FROM audit "
	                       "ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK) {
		r = db_fail(s, err, "audit read");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 2);
		const char *data = (const char *)sqlite3_column_text(st, 3);
		const char *rprev = (const char *)sqlite3_column_text(st, 4);
		const char *rhash = (const char *)sqlite3_column_text(st, 5);

		if (seq != expect) {
			r = cu_fail(err, CU_ERR_MISMATCH, STAGE,
			            STAGE ": audit record %" PRIu64 " missing (found %" PRIu64 ")",
			            expect, seq);
			goto out;
		}
		if (!kind || !data || !rprev || !rhash || strcmp(rprev, prev)) {
			r = cu_fail(err, CU_ERR_MISMATCH, STAGE,
			            STAGE ": audit record %" PRIu64
			                  " does not follow record %" PRIu64,
			            seq, seq - 1);
			goto out;
		}
		audit_hash(prev, seq, sqlite3_column_int64(st, 1), kind, data, hash);
		if (strcmp(hash, rhash)) {
			r = cu_fail(err, CU_ERR_MISMATCH, STAGE,
			            STAGE ": audit record %" PRIu64 " was altered (hash mismatch)",
			            seq);
			goto out;
		}
		memcpy(prev, hash, sizeof(prev));
		expect++;
		n++;
	}
	if (step != SQLITE_DONE)
		r = db_fail(s, err, "audit read");
	else if (ret_n)
		*ret_n = n;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_audit_export(cu_store *s, FILE *out, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	int r = 0, step;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT seq, at, kind, data, prev, hash FROM audit "
	                       "ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK) {
		r = db_fail(s, err, "audit read");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *data = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
		json_t *rec = json_pack("{s:I,s:I,s:s,s:o*,s:s,s:s}", "seq",
		                        (json_int_t)sqlite3_column_int64(st, 0), "at",
		                        (json_int_t)sqlite3_column_int64(st, 1), "kind",
		                        (const char *)sqlite3_column_text(st, 2), "data", data,
		                        "prev", (const char *)sqlite3_column_text(st, 4), "hash",
		                        (const char *)sqlite3_column_text(st, 5));
		char *line = rec ? json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		json_decref(rec);
		if (!line || fprintf(out, "%s\n", line) < 0) {
			free(line);
			r = cu_fail(err, CU_ERR_IO, STAGE, STAGE ": cannot write the export");
			goto out;
		}
		free(line);
	}
	if (step != SQLITE_DONE)
		r = db_fail(s, err, "audit read");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_tpm_ak_put(cu_store *s, const char *name, const char *pem, const char *ek, int64_t at,
                        struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { name, pem, ek, &at };
	int r;

	pthread_mutex_lock(&s->lock);
	r = run(
	    s,
	    "INSERT INTO tpm_ak (name, public_key, ek, registered) VALUES (?, ?, ?, ?) "
	    "ON CONFLICT (name) DO UPDATE SET ek = excluded.ek, registered = excluded.registered",
	    "ttti", args, &st, err);
	if (r == 0)
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s, err, "tpm_ak insert");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int cu_store_tpm_ak_get(cu_store *s, const char *name, char **ret_pem, struct cu_error *err)
{
	sqlite3_stmt *st = NULL;
	const void *args[] = { name };
	int r, step;

	if (s->reader)
		s = s->reader;
	pthread_mutex_lock(&s->lock);
	r = run(s, "SELECT public_key FROM tpm_ak WHERE name = ?", "t", args, &st, err);
	if (r == 0) {
		step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			r = cu_fail(err, CU_ERR_NOT_FOUND, STAGE, STAGE ": no registered AK %.80s",
			            name);
		else if (step != SQLITE_ROW)
			r = db_fail(s, err, "tpm_ak lookup");
		else if (!(*ret_pem = strdup((const char *)sqlite3_column_text(st, 0))))
			r = cu_fail(err, CU_ERR_NOMEM, STAGE, STAGE ": out of memory");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return r;
}
