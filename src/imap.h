/* The IMAP source (libetpan): TLS with the server certificate verified by
 * OpenSSL before LOGIN, SELECT with UIDVALIDITY, new messages by UID in
 * batches, \Seen and moving only when told (after the store commit), and
 * IDLE. Every call is bounded by the session timeout. */
#ifndef CABUT_IMAP_H
#define CABUT_IMAP_H

#include <stddef.h>
#include <stdint.h>

struct imap;

struct imap_params {
	const char	*host;
	int		 port;
	int		 imaps;		/* TLS from the start (imaps://) */
	int		 starttls;	/* 1: STARTTLS required (imap://) */
	int		 tls_verify;	/* verify chain and host name */
	const char	*ca_file;	/* NULL: the system store */
	const char	*username;
	const char	*password;	/* not owned */
	const char	*mailbox;
	int		 timeout;	/* seconds, per network operation */
};

enum imap_error {
	IMAP_ERR_NONE,
	IMAP_ERR_CONNECT,	/* cannot reach the server: retry later */
	IMAP_ERR_TLS,		/* TLS failed or certificate refused: not retried fast */
	IMAP_ERR_AUTH,		/* LOGIN refused */
	IMAP_ERR_PROTOCOL,	/* the server answered something unexpected */
	IMAP_ERR_MAILBOX,	/* SELECT failed */
};

/* Connect, TLS, verify, LOGIN, SELECT. 0 or -1 with *kind_r and *error_r. */
int	 imap_open(const struct imap_params *, struct imap **, enum imap_error *kind_r,
	    char **error_r);
void	 imap_close(struct imap **);

uint32_t imap_uidvalidity(const struct imap *);
int	 imap_has_idle(const struct imap *);
int	 imap_has_move(const struct imap *);

struct imap_msginfo {
	uint32_t	 uid;
	uint64_t	 size;		/* RFC822.SIZE */
};
/* UIDs greater than after_uid, with their sizes, ascending; at most max. */
int	 imap_list_new(struct imap *, uint32_t after_uid, size_t max,
	    struct imap_msginfo **list_r, size_t *n_r, char **error_r);

/* Fetch whole messages (BODY.PEEK[]: \Seen is not set) for uids in one
 * round trip; cb gets each (data not owned, valid during the call). */
int	 imap_fetch(struct imap *, const uint32_t *uids, size_t n,
	    int (*cb)(uint32_t uid, const char *data, size_t len, void *arg),
	    void *arg, char **error_r);
/* Fetch only the header block (BODY.PEEK[HEADER]). */
int	 imap_fetch_header(struct imap *, uint32_t uid,
	    int (*cb)(uint32_t uid, const char *data, size_t len, void *arg),
	    void *arg, char **error_r);

/* After the store commit: set \Seen; move to folder (UID MOVE, or UID COPY
 * + UID EXPUNGE; never a plain EXPUNGE). The folder is created when it
 * does not exist. */
int	 imap_mark_seen(struct imap *, const uint32_t *uids, size_t n, char **error_r);
int	 imap_move(struct imap *, const uint32_t *uids, size_t n, const char *folder,
	    char **error_r);

/* IDLE: wait until the server reports a change, wake_fd (may be -1) is
 * readable, or timeout_ms passes (re-issue well within 29 minutes).
 * 1 the server spoke (re-check for new mail), 2 wake_fd, 0 timeout,
 * -1 error (reconnect). */
int	 imap_idle(struct imap *, int wake_fd, int timeout_ms, char **error_r);

/* NOOP, to see whether the connection still works. */
int	 imap_noop(struct imap *, char **error_r);

#endif
