/* The audit log: one entry per state change and per admin act, append
 * only, each entry's MAC (HMAC-SHA256 with the state directory's audit
 * key) covering its fields and the previous entry's MAC. The newest MAC
 * and the length (the head) are logged to syslog, so a chain that was
 * cut short or rebuilt with the key is caught against that head. */
#ifndef CABUT_AUDIT_H
#define CABUT_AUDIT_H

#include <stdint.h>

#include "store.h"

#define AUDIT_MAC_HEX	65	/* 64 hex digits + NUL */

struct audit_entry {
	int64_t		 seq;		/* set by audit_append */
	int64_t		 at;
	int64_t		 request_id;	/* 0: none */
	const char	*event;		/* "state", "init", "daemon-start", ... */
	const char	*from_state;	/* NULL when not a state change */
	const char	*to_state;
	const char	*actor;		/* "system", "admin:root", "op:addr", ... */
	const char	*reason;
	const char	*data_hash;	/* hex SHA-256 of evidence, or NULL */
	char		 mac[AUDIT_MAC_HEX];
};

struct audit_head {
	int64_t	 seq;			/* the number of entries */
	char	 mac[AUDIT_MAC_HEX];	/* the newest entry's MAC; "" when empty */
};

/* Append one entry; call inside the transaction that makes the change it
 * records. 0 or -1 (error logged). */
int	audit_append(struct store *, struct audit_entry *);
/* Shorthand for a state change. */
int	audit_state(struct store *, int64_t request_id, const char *from,
	    const char *to, const char *actor, const char *reason);

int	audit_head(struct store *, struct audit_head *);
/* Parse "SEQ:HEX" or "SEQ HEX". */
int	audit_head_parse(const char *, struct audit_head *);
/* The last head logged to syslog, kept also in STATE_DIR/audit.head:
 * 0 read, 1 none yet, -1 error. */
int	audit_head_read_file(const char *state_dir, struct audit_head *, char **error_r);
/* Log the head to syslog and write it to audit.head. */
int	audit_head_publish(struct store *);

/* Check the whole chain, and against anchor (a head logged earlier) when
 * not NULL. 0 intact; 1 broken: *bad_seq_r is the first bad entry and
 * *why_r (owned) says what is wrong; -1 error. */
int	audit_verify(struct store *, const struct audit_head *anchor,
	    int64_t *bad_seq_r, char **why_r);

/* Calls cb for each entry in order; request_id 0 for all. */
int	audit_foreach(struct store *, int64_t request_id,
	    int (*cb)(const struct audit_entry *, void *), void *arg);

#endif
