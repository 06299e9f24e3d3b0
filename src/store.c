/* The state store: sqlite3 schema, migrations, transactions, the lock. */
#include "autoconf.h"
#include "store.h"
#include "util.h"
#include "log.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

/*
 * Schema migrations: migrations[i] takes the database from version i to
 * i + 1. Append only; never edit a migration that has been released.
 */
static const char *const migrations[] = {
	/* 0 -> 1: the foundation. Times are Unix seconds (UTC). */
	"CREATE TABLE requests ("
	"  id INTEGER PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  serial TEXT,"			/* uppercase hex, no separators */
	"  issuer TEXT,"
	"  subject_dn TEXT,"
	"  reason TEXT,"			/* lupa_passphrase, perubahan_data, kehilangan */
	"  reason_code INTEGER,"		/* RFC 5280 CRLReason */
	"  invalidity_date INTEGER,"
	"  requester TEXT NOT NULL,"		/* the checked From address */
	"  username TEXT,"			/* as the applicant wrote it */
	"  claimed_serial TEXT,"		/* idem, normalised */
	"  claimed_dn TEXT,"			/* idem */
	"  name TEXT,"
	"  nik_masked TEXT,"
	"  authenticated_by TEXT,"		/* dmarc, confirmation, admin, ... */
	"  entered_by TEXT,"			/* set when an OP entered it by hand */
	"  joined_to INTEGER REFERENCES requests(id),"
	"  message_id INTEGER REFERENCES messages(id),"
	"  data_version INTEGER NOT NULL DEFAULT 1,"	/* grows when joined: old tokens stop counting */
	"  reminders INTEGER NOT NULL DEFAULT 0,"	/* reminders sent to the OPs */
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL"
	");"
	"CREATE INDEX requests_state ON requests(state);"
	"CREATE INDEX requests_serial ON requests(issuer, serial);"
	/* SOP steps 1-9: when each started and ended, and who acted. */
	"CREATE TABLE request_steps ("
	"  request_id INTEGER NOT NULL REFERENCES requests(id),"
	"  step INTEGER NOT NULL CHECK (step BETWEEN 1 AND 9),"
	"  started INTEGER,"
	"  ended INTEGER,"
	"  actor TEXT,"
	"  PRIMARY KEY (request_id, step)"
	");"
	"CREATE TABLE approvals ("
	"  request_id INTEGER NOT NULL REFERENCES requests(id),"
	"  op TEXT NOT NULL,"
	"  decision TEXT NOT NULL,"		/* approve, reject, return */
	"  note TEXT,"
	"  at INTEGER NOT NULL,"
	"  message_id INTEGER REFERENCES messages(id),"
	"  PRIMARY KEY (request_id, op)"
	");"
	/* Every message seen in the mailbox, once: by position (UIDVALIDITY,
	 * UID) and by content (Message-ID + body hash). */
	"CREATE TABLE mailboxes ("
	"  name TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL"
	");"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  message_id TEXT,"
	"  body_hash BLOB NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  sender TEXT,"
	"  subject TEXT,"
	"  kind TEXT NOT NULL,"			/* request, reply, automatic, quarantined, oversize, duplicate */
	"  why TEXT,"				/* the rule that classified it */
	"  tokens TEXT,"			/* tokens found, space separated */
	"  duplicate_of INTEGER REFERENCES messages(id),"
	"  request_id INTEGER REFERENCES requests(id),"
	"  received INTEGER NOT NULL,"
	"  flagged INTEGER NOT NULL DEFAULT 0,"	/* \\Seen set / moved on the server */
	"  UNIQUE (mailbox, uidvalidity, uid)"
	");"
	/* The same mail delivered twice is one message (Message-ID + body). */
	"CREATE UNIQUE INDEX messages_content ON messages(coalesce(message_id, ''), body_hash)"
	"  WHERE kind <> 'duplicate';"
	"CREATE INDEX messages_unflagged ON messages(flagged) WHERE flagged = 0;"
	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY,"
	"  message_id INTEGER NOT NULL REFERENCES messages(id),"
	"  reason TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  released INTEGER"
	");"
	/* Mail waiting to be sent, and mail sent. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  request_id INTEGER REFERENCES requests(id),"
	"  kind TEXT NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  data BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued',"	/* queued, sent, failed */
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  created INTEGER NOT NULL,"
	"  sent INTEGER"
	");"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt);"
	/* Certificates requests are checked against (issuer + serial). */
	"CREATE TABLE certificates ("
	"  issuer TEXT NOT NULL,"
	"  serial TEXT NOT NULL,"
	"  subject_dn TEXT NOT NULL,"
	"  email TEXT,"
	"  username TEXT,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  der BLOB NOT NULL,"
	"  revoked INTEGER,"
	"  revocation_reason INTEGER,"
	"  invalidity_date INTEGER,"
	"  imported INTEGER NOT NULL,"
	"  PRIMARY KEY (issuer, serial)"
	");"
	"CREATE INDEX certificates_serial ON certificates(serial);"
	/* Evidence kept until the retention time; the hash stays for good. */
	"CREATE TABLE evidence ("
	"  id INTEGER PRIMARY KEY,"
	"  request_id INTEGER REFERENCES requests(id),"
	"  message_id INTEGER REFERENCES messages(id),"
	"  kind TEXT NOT NULL,"		/* raw_mail, letter, check, mail_out, reply */
	"  name TEXT,"
	"  content_type TEXT,"
	"  size INTEGER NOT NULL,"
	"  sha256 BLOB NOT NULL,"
	"  data BLOB,"			/* NULL once past retention */
	"  created INTEGER NOT NULL,"
	"  deleted INTEGER"
	");"
	"CREATE INDEX evidence_request ON evidence(request_id);"
	/* The audit log: append only, a keyed hash chain (audit.c). */
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  request_id INTEGER,"
	"  event TEXT NOT NULL,"
	"  from_state TEXT,"
	"  to_state TEXT,"
	"  actor TEXT NOT NULL,"
	"  reason TEXT,"
	"  data_hash TEXT,"
	"  mac TEXT NOT NULL"
	");"
	"CREATE INDEX audit_request ON audit(request_id);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TABLE kv ("
	"  key TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL"
	");",
	/* 1 -> 2: revocation (SOP step 7) and the CRL watch. */
	"CREATE TABLE revocations ("
	"  request_id INTEGER PRIMARY KEY REFERENCES requests(id),"
	"  backend TEXT NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"	/* calls that failed since revoking began */
	"  failures INTEGER NOT NULL DEFAULT 0,"	/* times it went to failed */
	"  next_attempt INTEGER NOT NULL,"
	"  last_error TEXT,"
	"  done INTEGER,"			/* the backend (or an OP, manual) confirmed */
	"  done_by TEXT,"
	"  revoked_at INTEGER,"			/* as the CA recorded it */
	"  reason_code INTEGER,"		/* idem */
	"  detail TEXT,"
	"  crl_seen INTEGER,"			/* the serial seen on the watched CRL */
	"  grace_alerted INTEGER"
	");"
	"CREATE TABLE crl_watch ("
	"  url TEXT PRIMARY KEY,"
	"  etag TEXT,"
	"  last_modified TEXT,"
	"  fetched INTEGER,"			/* last answer (200 or 304) */
	"  changed INTEGER,"			/* last 200 */
	"  next_fetch INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  next_update INTEGER,"
	"  data BLOB"				/* the last CRL, as fetched */
	");"
	/* Mail out is evidence too: its data goes at retention, its hash stays. */
	"ALTER TABLE outbox ADD COLUMN sha256 BLOB;",
	/* 2 -> 3: indexes for what every request looks up (bench/README.md):
	 * answers to a sender in the last hour or day, the next mail due,
	 * whether a sender has a certificate. Without them intake slowed
	 * with the size of the outbox. */
	"CREATE INDEX outbox_recipient ON outbox(recipient COLLATE NOCASE, created);"
	"CREATE INDEX outbox_queue ON outbox(state, id);"
	"CREATE INDEX certificates_email ON certificates(email);",
};

int
store_sql_exec(sqlite3 *db, const char *sql, char **error_r)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		*error_r = xstrdup(msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_sql_int(sqlite3 *db, const char *sql, int64_t *v, char **error_r)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, ret = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*error_r = xstrdup(sqlite3_errmsg(db));
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		*error_r = xstrdup(sqlite3_errmsg(db));
		goto out;
	}
	*v = sqlite3_column_int64(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int
migrate(sqlite3 *db, const char *path, int64_t version, char **error_r)
{
	char	*err = NULL, *sql;
	size_t	 n = sizeof(migrations) / sizeof(migrations[0]);
	int64_t	 v;

	if (store_sql_exec(db, "BEGIN IMMEDIATE", &err) == -1)
		goto fail;
	/* Someone may have migrated between our look and our lock. */
	if (store_sql_int(db, "PRAGMA user_version", &version, &err) == -1)
		goto fail_rollback;
	for (v = version; v < (int64_t)n; v++) {
		if (store_sql_exec(db, migrations[v], &err) == -1)
			goto fail_rollback;
		sql = xasprintf("PRAGMA user_version = %lld", (long long)(v + 1));
		if (store_sql_exec(db, sql, &err) == -1) {
			free(sql);
			goto fail_rollback;
		}
		free(sql);
		if (v == 0) {
			sql = xasprintf("PRAGMA application_id = %d",
			    STORE_APPLICATION_ID);
			if (store_sql_exec(db, sql, &err) == -1) {
				free(sql);
				goto fail_rollback;
			}
			free(sql);
		}
	}
	if (store_sql_exec(db, "COMMIT", &err) == -1)
		goto fail_rollback;
	return 0;
fail_rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
fail:
	*error_r = xasprintf("%s: migration failed: %s", path, err);
	free(err);
	return -1;
}

static int
load_audit_key(struct store *s, char **error_r)
{
	unsigned char	*key;
	size_t		 len;
	char		*path, *err = NULL;
	int		 ret = -1;

	path = xasprintf("%s/%s", s->state_dir, STORE_AUDIT_KEY_NAME);
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		ret = 0;	/* created by cabutctl init; audit writes will fail */
		goto out;
	}
	if (file_read_secret(path, STORE_KEY_LEN, &key, &len, &err) == -1) {
		*error_r = err;
		goto out;
	}
	if (len != STORE_KEY_LEN) {
		*error_r = xasprintf("%s: expected %d bytes, found %zu", path,
		    STORE_KEY_LEN, len);
		OPENSSL_cleanse(key, len);
		free(key);
		goto out;
	}
	memcpy(s->audit_key, key, STORE_KEY_LEN);
	OPENSSL_cleanse(key, len);
	free(key);
	s->have_audit_key = 1;
	ret = 0;
out:
	free(path);
	return ret;
}

int
store_open(const char *state_dir, int flags, struct store **sp, char **error_r)
{
	struct store	*s;
	struct stat	 sb;
	char		*path, *err = NULL;
	int64_t		 version, appid, ntables;
	int		 oflags;

	*sp = NULL;
	s = xcalloc(1, sizeof(*s));
	s->state_dir = xstrdup(state_dir);
	path = xasprintf("%s/%s", state_dir, STORE_DB_NAME);

	if (stat(path, &sb) == -1) {
		if (errno != ENOENT || !(flags & STORE_CREATE)) {
			*error_r = errno == ENOENT ?
			    xasprintf("%s: no database (run cabutctl init)", path) :
			    xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		goto fail;
	}

	oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		*error_r = xasprintf("%s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 10000);

	/* Look before changing anything: a file that is not ours, is corrupt
	 * or is newer is refused and left exactly as it is. */
	if (store_sql_int(s->db, "PRAGMA user_version", &version, &err) == -1 ||
	    store_sql_int(s->db, "PRAGMA application_id", &appid, &err) == -1 ||
	    store_sql_int(s->db, "SELECT count(*) FROM sqlite_master", &ntables,
	    &err) == -1) {
		*error_r = xasprintf("%s: not a usable cabut database (%s); "
		    "left untouched", path, err);
		goto fail;
	}
	if (appid != STORE_APPLICATION_ID && (appid != 0 || ntables != 0)) {
		*error_r = xasprintf("%s: not a cabut database; left untouched", path);
		goto fail;
	}
	if (version > STORE_SCHEMA_VERSION) {
		*error_r = xasprintf("%s: schema version %lld is newer than this "
		    "cabut's (%d); refusing to use it", path, (long long)version,
		    STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (store_sql_exec(s->db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;", &err) == -1) {
		*error_r = xasprintf("%s: %s", path, err);
		goto fail;
	}
	if (version < STORE_SCHEMA_VERSION &&
	    migrate(s->db, path, version, error_r) == -1)
		goto fail;
	if (load_audit_key(s, error_r) == -1)
		goto fail;
	free(err);
	free(path);
	*sp = s;
	return 0;
fail:
	free(err);
	free(path);
	store_close(&s);
	return -1;
}

void
store_close(struct store **sp)
{
	struct store	*s = *sp;

	if (s == NULL)
		return;
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	OPENSSL_cleanse(s->audit_key, sizeof(s->audit_key));
	free(s->state_dir);
	free(s);
	*sp = NULL;
}

int
store_lock(const char *state_dir, int *fd_r, char **error_r)
{
	char	*path;
	int	 fd, ret = -1;

	path = xasprintf("%s/%s", state_dir, STORE_LOCK_NAME);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			*error_r = xasprintf("%s: another cabutd is working on %s",
			    path, state_dir);
			ret = 1;
		} else
			*error_r = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	*fd_r = fd;
	ret = 0;
out:
	free(path);
	return ret;
}

int
store_begin(struct store *s)
{
	char	*err = NULL;

	if (store_sql_exec(s->db, "BEGIN IMMEDIATE", &err) == -1) {
		log_warnx("store: begin: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *s)
{
	char	*err = NULL;

	if (store_sql_exec(s->db, "COMMIT", &err) == -1) {
		log_warnx("store: commit: %s", err);
		free(err);
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
store_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		fatalx("store: cannot prepare \"%s\": %s", sql, sqlite3_errmsg(s->db));
	return st;
}

const char *
store_col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static char *
col_dup(sqlite3_stmt *st, int col)
{
	const char	*t = store_col_text(st, col);

	return t ? xstrdup(t) : NULL;
}

void
store_request_clear(struct store_request *r)
{
	free(r->serial);
	free(r->issuer);
	free(r->subject_dn);
	free(r->reason);
	free(r->requester);
	free(r->authenticated_by);
	free(r->entered_by);
	memset(r, 0, sizeof(*r));
}

#define REQUEST_COLUMNS \
	"r.id, r.state, r.serial, r.issuer, r.subject_dn, r.reason, r.requester," \
	" r.authenticated_by, r.entered_by, r.joined_to, r.created, r.updated," \
	" (SELECT count(*) FROM approvals a WHERE a.request_id = r.id" \
	"  AND a.decision = 'approve')"

static void
request_from_row(sqlite3_stmt *st, struct store_request *r)
{
	const char	*state = store_col_text(st, 1);

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	if (state != NULL && strlen(state) < sizeof(r->state))
		memcpy(r->state, state, strlen(state) + 1);
	r->serial = col_dup(st, 2);
	r->issuer = col_dup(st, 3);
	r->subject_dn = col_dup(st, 4);
	r->reason = col_dup(st, 5);
	r->requester = col_dup(st, 6);
	r->authenticated_by = col_dup(st, 7);
	r->entered_by = col_dup(st, 8);
	r->joined_to = sqlite3_column_int64(st, 9);
	r->created = sqlite3_column_int64(st, 10);
	r->updated = sqlite3_column_int64(st, 11);
	r->approvals = sqlite3_column_int(st, 12);
}

int
store_request_foreach(struct store *s, const char *state,
    int (*cb)(const struct store_request *, void *), void *arg)
{
	sqlite3_stmt		*st;
	struct store_request	 r;
	int			 rc, ret = 0;

	st = store_prepare(s, "SELECT " REQUEST_COLUMNS " FROM requests r"
	    " WHERE ?1 IS NULL OR r.state = ?1 ORDER BY r.id DESC");
	if (state != NULL)
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		request_from_row(st, &r);
		ret = cb(&r, arg);
		store_request_clear(&r);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("store: requests: %s", sqlite3_errmsg(s->db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

int
store_request_get(struct store *s, int64_t id, struct store_request *r)
{
	sqlite3_stmt	*st;
	int		 rc, ret;

	st = store_prepare(s, "SELECT " REQUEST_COLUMNS " FROM requests r"
	    " WHERE r.id = ?1");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		request_from_row(st, r);
		ret = 0;
	} else if (rc == SQLITE_DONE)
		ret = 1;
	else {
		log_warnx("store: request %lld: %s", (long long)id,
		    sqlite3_errmsg(s->db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

int
store_step_foreach(struct store *s, int64_t request_id,
    int (*cb)(const struct store_step *, void *), void *arg)
{
	sqlite3_stmt		*st;
	struct store_step	 step;
	int			 rc, ret = 0;

	st = store_prepare(s, "SELECT step, started, ended, actor"
	    " FROM request_steps WHERE request_id = ?1 ORDER BY step");
	sqlite3_bind_int64(st, 1, request_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		step.step = sqlite3_column_int(st, 0);
		step.started = sqlite3_column_int64(st, 1);
		step.ended = sqlite3_column_int64(st, 2);
		step.actor = col_dup(st, 3);
		ret = cb(&step, arg);
		free(step.actor);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("store: steps: %s", sqlite3_errmsg(s->db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

int
store_kv_get(struct store *s, const char *key, int64_t *value_r)
{
	sqlite3_stmt	*st;
	int		 rc, ret;

	st = store_prepare(s, "SELECT value FROM kv WHERE key = ?1");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value_r = sqlite3_column_int64(st, 0);
		ret = 0;
	} else
		ret = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_finalize(st);
	return ret;
}

int
store_kv_set(struct store *s, const char *key, int64_t value)
{
	sqlite3_stmt	*st;
	int		 rc;

	st = store_prepare(s, "INSERT INTO kv (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
