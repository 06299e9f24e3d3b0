/* The state store: sqlite3 at STATE_DIR/cabut.db (WAL), its schema and
 * migrations, transactions, and the lock that lets one cabutd work on a
 * state directory. Every statement is prepared with bound parameters. */
#ifndef CABUT_STORE_H
#define CABUT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define STORE_DB_NAME		"cabut.db"
#define STORE_LOCK_NAME		"cabutd.lock"
#define STORE_AUDIT_KEY_NAME	"audit.key"
#define STORE_AUDIT_HEAD_NAME	"audit.head"
#define STORE_KEY_LEN		32
#define STORE_SCHEMA_VERSION	3
#define STORE_APPLICATION_ID	0x43425554	/* "CBUT" */

struct store {
	sqlite3		*db;
	char		*state_dir;	/* owned */
	unsigned char	 audit_key[STORE_KEY_LEN];
	int		 have_audit_key;
};

enum store_open_flags {
	STORE_CREATE = 1 << 0,	/* cabutctl init: create the database when absent */
};

/* Open (and migrate) the database. A missing database is an error unless
 * STORE_CREATE; a database that is not cabut's, is corrupt, or has a newer
 * schema is refused and left as it is. */
int	 store_open(const char *state_dir, int flags, struct store **, char **error_r);
void	 store_close(struct store **);

/* Take the daemon's lock on state_dir: 0 taken (*fd_r kept open for the
 * life of the process), 1 another process holds it, -1 error. */
int	 store_lock(const char *state_dir, int *fd_r, char **error_r);

/* Transactions: BEGIN IMMEDIATE ... COMMIT; -1 on error (logged). */
int	 store_begin(struct store *);
int	 store_commit(struct store *);
void	 store_rollback(struct store *);

/* For opening and migrating a database before a struct store exists
 * (also the local CA's ca.db): run SQL text without parameters, or one
 * that returns one integer (a PRAGMA, a count). -1 with *error_r. */
int	 store_sql_exec(sqlite3 *, const char *sql, char **error_r);
int	 store_sql_int(sqlite3 *, const char *sql, int64_t *v, char **error_r);

/* Prepare a statement; fatal on a programming error in the SQL text. */
sqlite3_stmt	*store_prepare(struct store *, const char *sql);
/* sqlite3 text column as a C string, "" never NULL unless the value is NULL. */
const char	*store_col_text(sqlite3_stmt *, int col);

/* The request rows that cabutctl list/show print. */
struct store_request {
	int64_t	 id;
	char	 state[32];
	char	*serial;
	char	*issuer;
	char	*subject_dn;
	char	*reason;
	char	*requester;
	char	*authenticated_by;
	char	*entered_by;
	int64_t	 joined_to;
	int	 approvals;
	int64_t	 created;
	int64_t	 updated;
};
void	 store_request_clear(struct store_request *);
/* Calls cb for each request, newest first; state NULL for all. */
int	 store_request_foreach(struct store *, const char *state,
	    int (*cb)(const struct store_request *, void *), void *arg);
/* 0 found, 1 no such request, -1 error. */
int	 store_request_get(struct store *, int64_t id, struct store_request *);

/* The SOP steps (1-9) of a request with their start and end times. */
struct store_step {
	int	 step;
	int64_t	 started;
	int64_t	 ended;
	char	*actor;
};
int	 store_step_foreach(struct store *, int64_t request_id,
	    int (*cb)(const struct store_step *, void *), void *arg);

/*
 * Mail (store_mail.c): mailbox positions, messages seen, evidence,
 * quarantine.
 */
struct store_message {
	const char		*mailbox;
	uint32_t		 uidvalidity;
	uint32_t		 uid;
	const char		*message_id;	/* may be NULL */
	const unsigned char	*body_hash;	/* 32 bytes */
	uint64_t		 size;
	const char		*sender;
	const char		*subject;
	const char		*kind;
	const char		*why;
	const char		*tokens;
	int64_t			 duplicate_of;	/* 0: none */
	int64_t			 received;
};

/* 0 and the values, 1 when the mailbox is not recorded yet. */
int	 store_mailbox_get(struct store *, const char *name, uint32_t *uidvalidity_r,
	    uint32_t *last_uid_r);
/* Record the position; last_uid only ever grows for one UIDVALIDITY. */
int	 store_mailbox_set(struct store *, const char *name, uint32_t uidvalidity,
	    uint32_t last_uid);
/* 1 when this UID of this mailbox (and UIDVALIDITY) is recorded. */
int	 store_message_at(struct store *, const char *mailbox, uint32_t uidvalidity,
	    uint32_t uid, int64_t *id_r);
/* 1 when a message with this Message-ID and body hash is recorded. */
int	 store_message_same(struct store *, const char *message_id,
	    const unsigned char hash[32], int64_t *id_r);
int	 store_message_add(struct store *, const struct store_message *, int64_t *id_r);
int	 store_message_set_kind(struct store *, int64_t id, const char *kind,
	    const char *why, const char *tokens);
int	 store_message_set_flagged(struct store *, int64_t id);
/* UIDs recorded but not yet flagged on the server (a crash came between
 * the commit and the flag). */
int	 store_messages_unflagged(struct store *, const char *mailbox,
	    uint32_t uidvalidity, uint32_t **uids_r, int64_t **ids_r, size_t *n_r);

/* Evidence: data kept until retention (NULL data: only the hash kept). */
int	 store_evidence_add(struct store *, int64_t request_id, int64_t message_id,
	    const char *kind, const char *name, const char *content_type,
	    const void *data, size_t len, int keep_data, int64_t *id_r,
	    char hash_hex_r[65]);
/* The raw mail of a message: 0 found (data owned, NULL when no longer
 * kept), 1 none. */
int	 store_evidence_raw(struct store *, int64_t message_id, unsigned char **data_r,
	    size_t *len_r);
/* Drop the data of evidence older than cutoff; returns how many or -1. */
int64_t	 store_evidence_expire(struct store *, int64_t cutoff);

struct store_quarantine {
	int64_t	 id;
	int64_t	 message_id;
	int64_t	 created;
	int64_t	 size;
	int	 body_kept;
	char	*reason;
	char	*sender;
	char	*subject;
};
int	 store_quarantine_add(struct store *, int64_t message_id, const char *reason,
	    int64_t *id_r);
/* Bytes of raw mail kept for quarantined messages. */
int64_t	 store_quarantine_bytes(struct store *);
int	 store_quarantine_foreach(struct store *,
	    int (*cb)(const struct store_quarantine *, void *), void *arg);
/* 0 found, 1 none (or already released). */
int	 store_quarantine_get(struct store *, int64_t id, struct store_quarantine *);
int	 store_quarantine_release(struct store *, int64_t id);
void	 store_quarantine_clear(struct store_quarantine *);

/* A small key/value table for counters (CRL number, head logging). */
int	 store_kv_get(struct store *, const char *key, int64_t *value_r);	/* 1 absent */
int	 store_kv_set(struct store *, const char *key, int64_t value);

#endif
