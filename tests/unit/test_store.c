/* store: creation, migrations, refusal of foreign/corrupt/newer
 * databases (left untouched), the lock, append-only audit table. */
#include "autoconf.h"
#include "cmocka_inc.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store.h"
#include "util.h"

static char	*dir;

static int
setup(void **state)
{
	char	 tmpl[] = "/tmp/cabut-store.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return -1;
	dir = xstrdup(tmpl);
	return 0;
}

static int
teardown(void **state)
{
	char	*cmd = xasprintf("rm -rf '%s'", dir);
	int	 r = system(cmd);

	free(cmd);
	free(dir);
	return r == 0 ? 0 : -1;
}

static char *
dbpath(void)
{
	return xasprintf("%s/%s", dir, STORE_DB_NAME);
}

static void
reset(void)
{
	char	*p = dbpath(), *wal = xasprintf("%s-wal", p), *shm = xasprintf("%s-shm", p);

	unlink(p);
	unlink(wal);
	unlink(shm);
	free(p);
	free(wal);
	free(shm);
}

static void
file_hash(const char *path, unsigned char md[32])
{
	unsigned char	 buf[4096];
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	size_t		 n;
	FILE		*f = fopen(path, "rb");

	assert_non_null(f);
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	fclose(f);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, NULL), 1);
	EVP_MD_CTX_free(ctx);
}

static int64_t
query_int(struct store *s, const char *sql)
{
	sqlite3_stmt	*st = store_prepare(s, sql);
	int64_t		 v;

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_create_and_migrate(void **state)
{
	struct store	*s;
	char		*err = NULL;
	sqlite3_stmt	*st;

	reset();
	/* Without STORE_CREATE a missing database is an error. */
	assert_int_equal(store_open(dir, 0, &s, &err), -1);
	assert_non_null(strstr(err, "cabutctl init"));
	free(err);
	err = NULL;

	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), 0);
	assert_int_equal(query_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(s, "PRAGMA application_id"), STORE_APPLICATION_ID);
	st = store_prepare(s, "PRAGMA journal_mode");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(store_col_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(query_int(s, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'table' AND name IN ('requests', 'request_steps',"
	    " 'messages', 'outbox', 'certificates', 'evidence', 'audit',"
	    " 'approvals', 'quarantine', 'mailboxes', 'kv')"), 11);
	store_close(&s);
	assert_null(s);

	/* Opening again changes nothing. */
	assert_int_equal(store_open(dir, 0, &s, &err), 0);
	assert_int_equal(query_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	store_close(&s);
}

/* A version 1 database (session 1's) is taken to version 2: the
 * revocation tables appear, the rows already there stay. */
static void
test_migrate_v1(void **state)
{
	struct store	*s;
	char		*err = NULL;

	reset();
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), 0);
	assert_int_equal(sqlite3_exec(s->db, "DROP TABLE revocations;"
	    " DROP TABLE crl_watch; DROP INDEX outbox_recipient;"
	    " DROP INDEX outbox_queue; DROP INDEX certificates_email;"
	    " ALTER TABLE outbox DROP COLUMN sha256;"
	    " PRAGMA user_version = 1;"
	    " INSERT INTO kv (key, value) VALUES ('kept', 7)", NULL, NULL, NULL),
	    SQLITE_OK);
	store_close(&s);
	assert_int_equal(store_open(dir, 0, &s, &err), 0);
	assert_int_equal(query_int(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(s, "SELECT count(*) FROM sqlite_master WHERE"
	    " type = 'table' AND name IN ('revocations', 'crl_watch')"), 2);
	assert_int_equal(query_int(s, "SELECT value FROM kv WHERE key = 'kept'"), 7);
	store_close(&s);
}

/* Retention: the data of evidence and of mail sent goes, hashes stay;
 * mail still queued and younger evidence are kept. */
static void
test_retention(void **state)
{
	struct store	*s;
	char		*err = NULL, hex[65];

	reset();
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), 0);
	assert_int_equal(store_evidence_add(s, 0, 0, "letter", "surat.pdf",
	    "application/pdf", "%PDF-1.4", 8, 1, NULL, hex), 0);
	assert_int_equal(sqlite3_exec(s->db, "UPDATE evidence SET created = 100;"
	    " INSERT INTO outbox (kind, recipient, message_id, data, state,"
	    " next_attempt, created, sha256) VALUES ('approval', 'op@x', 'a@x',"
	    " 'mail with letter', 'sent', 0, 100, X'01'), ('approval', 'op@x',"
	    " 'b@x', 'still queued', 'queued', 0, 100, X'02'), ('approval',"
	    " 'op@x', 'c@x', 'young', 'sent', 0, 5000, X'03')", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(store_evidence_expire(s, 1000), 2);
	assert_int_equal(query_int(s, "SELECT count(*) FROM evidence WHERE data IS"
	    " NULL AND deleted IS NOT NULL AND length(sha256) = 32"), 1);
	assert_int_equal(query_int(s, "SELECT count(*) FROM outbox WHERE"
	    " length(data) = 0 AND sha256 = X'01'"), 1);
	assert_int_equal(query_int(s, "SELECT count(*) FROM outbox WHERE"
	    " length(data) > 0"), 2);
	assert_int_equal(store_evidence_expire(s, 1000), 0);
	store_close(&s);
}

static void
test_newer_refused(void **state)
{
	unsigned char	 before[32], after[32];
	struct store	*s;
	char		*err = NULL, *p = dbpath();

	reset();
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), 0);
	assert_int_equal(sqlite3_exec(s->db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)",
	    NULL, NULL, NULL), SQLITE_OK);
	store_close(&s);
	file_hash(p, before);
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), -1);
	assert_non_null(strstr(err, "newer"));
	free(err);
	file_hash(p, after);
	assert_memory_equal(before, after, 32);
	free(p);
}

static void
test_garbage_refused(void **state)
{
	unsigned char	 before[32], after[32];
	struct store	*s;
	char		*err = NULL, *p = dbpath();
	FILE		*f;
	int		 i;

	reset();
	f = fopen(p, "wb");
	assert_non_null(f);
	for (i = 0; i < 8192; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	file_hash(p, before);
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), -1);
	assert_non_null(strstr(err, "left untouched"));
	free(err);
	file_hash(p, after);
	assert_memory_equal(before, after, 32);
	free(p);
}

static void
test_foreign_refused(void **state)
{
	struct store	*s;
	sqlite3		*db;
	char		*err = NULL, *p = dbpath();

	reset();
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE other (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), -1);
	assert_non_null(strstr(err, "not a cabut database"));
	free(err);
	free(p);
}

static void
test_lock(void **state)
{
	char	*err = NULL;
	int	 fd1 = -1, fd2 = -1;

	assert_int_equal(store_lock(dir, &fd1, &err), 0);
	assert_int_equal(store_lock(dir, &fd2, &err), 1);
	assert_non_null(strstr(err, "another cabutd"));
	free(err);
	err = NULL;
	close(fd1);
	assert_int_equal(store_lock(dir, &fd2, &err), 0);
	close(fd2);
}

static void
test_audit_append_only(void **state)
{
	struct store	*s;
	char		*err = NULL;

	reset();
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), 0);
	assert_int_equal(sqlite3_exec(s->db, "INSERT INTO audit (seq, at, event,"
	    " actor, mac) VALUES (1, 1, 'x', 'y', 'z')", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(s->db, "UPDATE audit SET event = 'w'",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(s->db, "DELETE FROM audit", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(query_int(s, "SELECT count(*) FROM audit WHERE event = 'x'"), 1);
	store_close(&s);
}

static int
count_cb(const struct store_request *r, void *arg)
{
	int	*n = arg;

	(*n)++;
	assert_true(r->id > 0);
	return 0;
}

static void
test_requests_and_kv(void **state)
{
	struct store		*s;
	struct store_request	 r;
	char			*err = NULL;
	int64_t			 v = 0;
	int			 n = 0;

	reset();
	assert_int_equal(store_open(dir, STORE_CREATE, &s, &err), 0);
	assert_int_equal(sqlite3_exec(s->db,
	    "INSERT INTO requests (id, state, serial, requester, created, updated)"
	    " VALUES (1, 'invalid', 'AB', 'a@example.test', 10, 11),"
	    " (2, 'pending_approval', 'CD', 'b@example.test', 20, 21);"
	    "INSERT INTO approvals VALUES (2, 'op@example.test', 'approve', NULL, 22, NULL);",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_request_foreach(s, NULL, count_cb, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_request_foreach(s, "invalid", count_cb, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_request_get(s, 2, &r), 0);
	assert_string_equal(r.state, "pending_approval");
	assert_string_equal(r.serial, "CD");
	assert_int_equal(r.approvals, 1);
	assert_int_equal(r.created, 20);
	store_request_clear(&r);
	assert_int_equal(store_request_get(s, 3, &r), 1);

	assert_int_equal(store_kv_get(s, "crl_number", &v), 1);
	assert_int_equal(store_kv_set(s, "crl_number", 7), 0);
	assert_int_equal(store_kv_set(s, "crl_number", 8), 0);
	assert_int_equal(store_kv_get(s, "crl_number", &v), 0);
	assert_int_equal(v, 8);
	store_close(&s);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_create_and_migrate),
		cmocka_unit_test(test_migrate_v1),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_newer_refused),
		cmocka_unit_test(test_garbage_refused),
		cmocka_unit_test(test_foreign_refused),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_audit_append_only),
		cmocka_unit_test(test_requests_and_kv),
	};

	return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
