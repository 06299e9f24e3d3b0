/* Intake (SOP steps 2-4, the mail side): new mail is fetched from IMAP,
 * parsed, classified and recorded in one store transaction per message;
 * only then is it flagged \Seen (and moved) on the server. Exactly once:
 * a message is known by its place (UIDVALIDITY, UID) and by its content
 * (Message-ID + body hash), never by \Seen. */
#ifndef CABUT_INTAKE_H
#define CABUT_INTAKE_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "store.h"
#include "process.h"

struct intake;

struct intake	*intake_new(struct process_ctx *);
void		 intake_free(struct intake **);
/* intake_run stops after the batch in hand when *stop becomes set. */
void		 intake_set_stop(struct intake *, volatile sig_atomic_t *stop);
/* After SIGHUP: the new configuration (the connection is re-opened when
 * the [imap] section changed). */
void		 intake_reconfigure(struct intake *, const struct config *);

/* Take in all new mail. 0 done; -1 the IMAP server could not be used
 * (reason logged; retried with back-off, nothing lost); -2 the store
 * failed (logged; the message is taken again on the next run). */
int		 intake_run(struct intake *);
/* 1 while connected. */
int		 intake_connected(const struct intake *);

/* Wait for new mail (IDLE when offered), wake_fd or timeout_ms:
 * 1 mail may have come, 2 wake_fd, 0 timeout. */
int		 intake_wait(struct intake *, int wake_fd, int timeout_ms);

/* What happened to one message (also used by cabutctl reprocess). */
struct intake_result {
	int64_t		 message_id;	/* messages.id */
	const char	*kind;		/* static: request, reply, automatic, quarantined, oversize, duplicate */
	int		 already;	/* 1: this UID was recorded before */
};

/* Parse, classify and record raw as (mailbox, uidvalidity, uid), in one
 * transaction; advances the mailbox's last UID. 0 or -1 (store error:
 * nothing recorded, the message is taken again later). */
int	intake_process(struct process_ctx *, const char *mailbox,
	    uint32_t uidvalidity, uint32_t uid, const char *raw, size_t len,
	    struct intake_result *);
/* A message past max_message_size: only its header block is recorded. */
int	intake_process_oversize(struct process_ctx *,
	    const char *mailbox, uint32_t uidvalidity, uint32_t uid, uint64_t size,
	    const char *header, size_t len, struct intake_result *);
/* cabutctl reprocess: run a quarantined message again. 0 processed (no
 * longer quarantined), 1 still quarantined (*why_r), -1 error. */
int	intake_reprocess(struct process_ctx *, int64_t quarantine_id,
	    const char *actor, struct intake_result *, char **why_r);

#endif
