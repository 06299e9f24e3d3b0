/* The outbox: every mail cabut sends is composed here (RFC 5322, MIME,
 * CRLF), stored in the same transaction as the change that caused it,
 * and sent later by outbox_flush over SMTP, one transaction per
 * recipient; 4xx and connection trouble are retried with back-off, 5xx
 * is recorded as failed and audited. */
#ifndef CABUT_OUTBOX_H
#define CABUT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

struct outmail_part {
	const char		*filename;	/* UTF-8 */
	const char		*content_type;	/* e.g. application/pdf */
	const unsigned char	*data;
	size_t			 len;
};

struct outmail {
	int64_t		 request_id;	/* 0: none */
	const char	*kind;		/* received, invalid, confirm, joined, approval, alert, ... */
	const char	*to;		/* addr-spec */
	const char	*subject;	/* UTF-8, one line */
	const char	*body;		/* UTF-8, LF line ends */
	int		 answer;	/* 1: Auto-Submitted: auto-replied; 0: auto-generated */
	const char	*token;		/* NULL, or the token for Message-ID (and Reply-To) */
	int		 reply_to_token;	/* 1: Reply-To: local+TOKEN@domain */
	const char	*in_reply_to;	/* message id answered (no <>), or NULL */
	const char	*references;	/* space-separated ids (no <>), or NULL */
	const struct outmail_part *parts;
	size_t		 nparts;
};

/* Compose the mail (pure but for the random part of the Message-ID and
 * the Date): *data_r (owned) with CRLF line ends, *msgid_r (owned, no <>). */
int	outbox_compose(const struct config *, const struct outmail *, int64_t date,
	    char **data_r, size_t *len_r, char **msgid_r, char **error_r);

/* Compose and queue; call inside the transaction of the change. 0 queued,
 * 1 not composed (a bad address or value: logged, nothing queued), -1
 * store error. */
int	outbox_queue(struct store *, const struct config *, const struct outmail *,
	    int64_t *id_r);

/* Send what is due. 0 when the outbox is empty of due mail, 1 when some
 * mail waits (server down or 4xx: *why_r names the last reason, owned),
 * -1 store error. */
int	outbox_flush(struct store *, const struct config *, char **why_r);

/* Answers to this address in the last hour (for answers_per_sender_hour). */
int	outbox_answers_last_hour(struct store *, const char *to, int64_t now);
/* 1 when an answer of this kind went to this address in the last day. */
int	outbox_sent_today(struct store *, const char *to, const char *kind, int64_t now);

#endif
