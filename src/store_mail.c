/* The store's mail tables: mailbox positions, messages, evidence,
 * quarantine. Prepared statements only. */
#include "autoconf.h"
#include "store.h"
#include "util.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Step a statement that returns no row; finalize it. */
static int
step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int	 rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static void
bind_opt_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int
store_mailbox_get(struct store *s, const char *name, uint32_t *uidvalidity_r,
    uint32_t *last_uid_r)
{
	sqlite3_stmt	*st;
	int		 rc, ret;

	st = store_prepare(s, "SELECT uidvalidity, last_uid FROM mailboxes"
	    " WHERE name = ?1");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*uidvalidity_r = (uint32_t)sqlite3_column_int64(st, 0);
		*last_uid_r = (uint32_t)sqlite3_column_int64(st, 1);
		ret = 0;
	} else
		ret = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_finalize(st);
	return ret;
}

int
store_mailbox_set(struct store *s, const char *name, uint32_t uidvalidity,
    uint32_t last_uid)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "INSERT INTO mailboxes (name, uidvalidity, last_uid)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET"
	    " last_uid = CASE WHEN uidvalidity = excluded.uidvalidity"
	    "   THEN max(last_uid, excluded.last_uid) ELSE excluded.last_uid END,"
	    " uidvalidity = excluded.uidvalidity");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, last_uid);
	return step_done(s, st, "mailbox");
}

static int
one_id(struct store *s, sqlite3_stmt *st, int64_t *id_r)
{
	int	 rc = sqlite3_step(st), ret;

	if (rc == SQLITE_ROW) {
		if (id_r != NULL)
			*id_r = sqlite3_column_int64(st, 0);
		ret = 1;
	} else if (rc == SQLITE_DONE)
		ret = 0;
	else {
		log_warnx("store: %s", sqlite3_errmsg(s->db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

int
store_message_at(struct store *s, const char *mailbox, uint32_t uidvalidity,
    uint32_t uid, int64_t *id_r)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "SELECT id FROM messages WHERE mailbox = ?1"
	    " AND uidvalidity = ?2 AND uid = ?3");
	sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uidvalidity);
	sqlite3_bind_int64(st, 3, uid);
	return one_id(s, st, id_r);
}

int
store_message_same(struct store *s, const char *message_id,
    const unsigned char hash[32], int64_t *id_r)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "SELECT id FROM messages WHERE"
	    " coalesce(message_id, '') = coalesce(?1, '') AND body_hash = ?2"
	    " AND kind <> 'duplicate'");
	bind_opt_text(st, 1, message_id);
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	return one_id(s, st, id_r);
}

int
store_message_add(struct store *s, const struct store_message *m, int64_t *id_r)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "INSERT INTO messages (mailbox, uidvalidity, uid,"
	    " message_id, body_hash, size, sender, subject, kind, why, tokens,"
	    " duplicate_of, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?12, ?13)");
	sqlite3_bind_text(st, 1, m->mailbox, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->uidvalidity);
	sqlite3_bind_int64(st, 3, m->uid);
	bind_opt_text(st, 4, m->message_id);
	sqlite3_bind_blob(st, 5, m->body_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)m->size);
	bind_opt_text(st, 7, m->sender);
	bind_opt_text(st, 8, m->subject);
	bind_opt_text(st, 9, m->kind);
	bind_opt_text(st, 10, m->why);
	bind_opt_text(st, 11, m->tokens);
	if (m->duplicate_of != 0)
		sqlite3_bind_int64(st, 12, m->duplicate_of);
	sqlite3_bind_int64(st, 13, m->received);
	if (step_done(s, st, "message") == -1)
		return -1;
	*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_message_set_kind(struct store *s, int64_t id, const char *kind,
    const char *why, const char *tokens)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "UPDATE messages SET kind = ?2, why = ?3,"
	    " tokens = ?4 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	bind_opt_text(st, 2, kind);
	bind_opt_text(st, 3, why);
	bind_opt_text(st, 4, tokens);
	return step_done(s, st, "message kind");
}

int
store_message_set_flagged(struct store *s, int64_t id)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "UPDATE messages SET flagged = 1 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	return step_done(s, st, "flagged");
}

int
store_messages_unflagged(struct store *s, const char *mailbox,
    uint32_t uidvalidity, uint32_t **uids_r, int64_t **ids_r, size_t *n_r)
{
	sqlite3_stmt	*st;
	uint32_t	*uids = NULL;
	int64_t		*ids = NULL;
	size_t		 n = 0, cap = 0;
	int		 rc;

	st = store_prepare(s, "SELECT uid, id FROM messages WHERE flagged = 0"
	    " AND mailbox = ?1 AND uidvalidity = ?2 ORDER BY uid LIMIT 10000");
	sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, uidvalidity);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			uids = xreallocarray(uids, cap, sizeof(*uids));
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		uids[n] = (uint32_t)sqlite3_column_int64(st, 0);
		ids[n] = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(uids);
		free(ids);
		log_warnx("store: unflagged: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	*uids_r = uids;
	*ids_r = ids;
	*n_r = n;
	return 0;
}

int
store_evidence_add(struct store *s, int64_t request_id, int64_t message_id,
    const char *kind, const char *name, const char *content_type,
    const void *data, size_t len, int keep_data, int64_t *id_r,
    char hash_hex_r[65])
{
	sqlite3_stmt	*st;
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		fatalx("store: SHA-256 failed");
	st = store_prepare(s, "INSERT INTO evidence (request_id, message_id, kind,"
	    " name, content_type, size, sha256, data, created) VALUES (?1, ?2,"
	    " ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (request_id != 0)
		sqlite3_bind_int64(st, 1, request_id);
	if (message_id != 0)
		sqlite3_bind_int64(st, 2, message_id);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	bind_opt_text(st, 4, name);
	bind_opt_text(st, 5, content_type);
	sqlite3_bind_int64(st, 6, (int64_t)len);
	sqlite3_bind_blob(st, 7, md, sizeof(md), SQLITE_STATIC);
	if (keep_data)
		sqlite3_bind_blob64(st, 8, data, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, (int64_t)now());
	if (step_done(s, st, "evidence") == -1)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(s->db);
	if (hash_hex_r != NULL)
		hex_encode(md, sizeof(md), hash_hex_r);
	return 0;
}

int
store_evidence_raw(struct store *s, int64_t message_id, unsigned char **data_r,
    size_t *len_r)
{
	sqlite3_stmt	*st;
	const void	*blob;
	int		 rc, ret;

	*data_r = NULL;
	*len_r = 0;
	st = store_prepare(s, "SELECT data FROM evidence WHERE message_id = ?1"
	    " AND kind = 'raw_mail' ORDER BY id LIMIT 1");
	sqlite3_bind_int64(st, 1, message_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ret = 0;
		if ((blob = sqlite3_column_blob(st, 0)) != NULL) {
			*len_r = (size_t)sqlite3_column_bytes(st, 0);
			*data_r = xmalloc(*len_r + 1);
			memcpy(*data_r, blob, *len_r);
			(*data_r)[*len_r] = '\0';
		}
	} else
		ret = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_finalize(st);
	return ret;
}

int64_t
store_evidence_expire(struct store *s, int64_t cutoff)
{
	sqlite3_stmt	*st;
	int64_t		 n;

	st = store_prepare(s, "UPDATE evidence SET data = NULL, deleted = ?2"
	    " WHERE created < ?1 AND data IS NOT NULL");
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, (int64_t)now());
	if (step_done(s, st, "evidence expiry") == -1)
		return -1;
	n = sqlite3_changes(s->db);
	/* Mail sent (or given up) keeps its hash; its text, with letters
	 * attached to approval mails, goes. */
	st = store_prepare(s, "UPDATE outbox SET data = X'' WHERE created < ?1"
	    " AND state <> 'queued' AND length(data) > 0");
	sqlite3_bind_int64(st, 1, cutoff);
	if (step_done(s, st, "outbox expiry") == -1)
		return -1;
	return n + sqlite3_changes(s->db);
}

int
store_quarantine_add(struct store *s, int64_t message_id, const char *reason,
    int64_t *id_r)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "INSERT INTO quarantine (message_id, reason, created)"
	    " VALUES (?1, ?2, ?3)");
	sqlite3_bind_int64(st, 1, message_id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)now());
	if (step_done(s, st, "quarantine") == -1)
		return -1;
	if (id_r != NULL)
		*id_r = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int64_t
store_quarantine_bytes(struct store *s)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	st = store_prepare(s, "SELECT coalesce(sum(length(e.data)), 0)"
	    " FROM quarantine q JOIN evidence e ON e.message_id = q.message_id"
	    " AND e.kind = 'raw_mail' WHERE q.released IS NULL");
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

#define QUARANTINE_COLUMNS "q.id, q.message_id, q.created, m.size," \
	" (SELECT count(*) FROM evidence e WHERE e.message_id = q.message_id" \
	"  AND e.kind = 'raw_mail' AND e.data IS NOT NULL)," \
	" q.reason, m.sender, m.subject"

static void
quarantine_from_row(sqlite3_stmt *st, struct store_quarantine *q)
{
	const char	*t;

	memset(q, 0, sizeof(*q));
	q->id = sqlite3_column_int64(st, 0);
	q->message_id = sqlite3_column_int64(st, 1);
	q->created = sqlite3_column_int64(st, 2);
	q->size = sqlite3_column_int64(st, 3);
	q->body_kept = sqlite3_column_int(st, 4) > 0;
	q->reason = xstrdup((t = store_col_text(st, 5)) ? t : "");
	q->sender = (t = store_col_text(st, 6)) ? xstrdup(t) : NULL;
	q->subject = (t = store_col_text(st, 7)) ? xstrdup(t) : NULL;
}

void
store_quarantine_clear(struct store_quarantine *q)
{
	free(q->reason);
	free(q->sender);
	free(q->subject);
	memset(q, 0, sizeof(*q));
}

int
store_quarantine_foreach(struct store *s,
    int (*cb)(const struct store_quarantine *, void *), void *arg)
{
	sqlite3_stmt		*st;
	struct store_quarantine	 q;
	int			 rc, ret = 0;

	st = store_prepare(s, "SELECT " QUARANTINE_COLUMNS " FROM quarantine q"
	    " JOIN messages m ON m.id = q.message_id WHERE q.released IS NULL"
	    " ORDER BY q.id");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		quarantine_from_row(st, &q);
		ret = cb(&q, arg);
		store_quarantine_clear(&q);
		if (ret != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("store: quarantine: %s", sqlite3_errmsg(s->db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

int
store_quarantine_get(struct store *s, int64_t id, struct store_quarantine *q)
{
	sqlite3_stmt	*st;
	int		 rc, ret;

	st = store_prepare(s, "SELECT " QUARANTINE_COLUMNS " FROM quarantine q"
	    " JOIN messages m ON m.id = q.message_id WHERE q.id = ?1"
	    " AND q.released IS NULL");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		quarantine_from_row(st, q);
		ret = 0;
	} else
		ret = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_finalize(st);
	return ret;
}

int
store_quarantine_release(struct store *s, int64_t id)
{
	sqlite3_stmt	*st;

	st = store_prepare(s, "UPDATE quarantine SET released = ?2 WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)now());
	return step_done(s, st, "quarantine release");
}
