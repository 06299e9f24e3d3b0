/* Acting on a classified mail inside the transaction that records it:
 * a request is read, checked, authenticated and answered; a confirmation
 * reply is verified and moves its request on. The decisions themselves
 * are workflow.c's; this file gathers their inputs from the store and
 * carries them out (request rows, audit entries, evidence, outbox). */
#ifndef CABUT_PROCESS_H
#define CABUT_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "message.h"
#include "classify.h"
#include "store.h"
#include "token.h"
#include "reply.h"

struct process_ctx {
	const struct config	*cfg;
	struct store		*store;
	void			*magic;		/* libmagic cookie (MAGIC_MIME_TYPE) */
	struct token_key	 key;
	int			 have_key;
	const char		*installed_templates;	/* PKGDATADIR "/mailtemplates" */
};

/* Open libmagic and the token key. -1 with *error_r. */
int	process_init(struct process_ctx *, const struct config *, struct store *,
	    char **error_r);
void	process_free(struct process_ctx *);
/* Every answer template of daemon.language loads and uses only the
 * variables it may (at start and on SIGHUP). */
int	process_check_templates(const struct process_ctx *, char **error_r);

/* Act on message m (recorded as message_id). Call inside the transaction.
 * *kind_r may be changed to "quarantined" with *quarantine_r (owned) set
 * when a reply is refused. 0 or -1 (store error: roll back). */
int	process_message(struct process_ctx *, const struct message *, int64_t message_id,
	    const struct classification *, const char **kind_r, char **quarantine_r);

/* Tell the admin (daemon.admin_address, through the outbox, in the
 * current transaction); always logged. 0 or -1 (store error). */
int	process_alert(struct process_ctx *, const char *what, const char *details);

/* A decision on a pending request, by an OP (actor "op:ADDR", from the
 * reply message_id) or the admin (settle = 1: approve settles whatever
 * approvals_required says). 0 done, 1 the request is not pending, -1
 * store error. Call inside a transaction. */
int	process_decide(struct process_ctx *, int64_t id, enum reply_word,
	    const char *actor, const char *note, int64_t message_id, int settle);

/* cabutctl request add: an OP enters a request for the holder of the
 * registered certificate serial; it goes to the OPs like any other,
 * marked as entered by hand. 0 (*id_r) or -1 with *error_r. */
int	process_request_add(struct process_ctx *, const char *serial,
	    const char *reason, const char *letter_path, const char *note,
	    const char *actor, int64_t *id_r, char **error_r);

/* Timers: awaiting_confirmation past expire_after becomes expired. */
int	process_timers(struct process_ctx *, int64_t now);

/* Record when SOP step (1-9) of request id started and ended (0: leave
 * as it is) and who acted; a start already recorded is kept. */
int	process_step(struct store *, int64_t id, int step, int64_t started,
	    int64_t ended, const char *actor);

/* Write mail tname of daemon.language; every mail cabut sends goes
 * through here, so none has a line that reads as a decision. 0, or -1
 * with *error_r (the template is missing or wrong). */
struct template_var;
int	process_render(struct process_ctx *, const char *tname,
	    const struct template_var *, size_t nvars, char **subject_r,
	    char **body_r, char **error_r);

/* 1 when addr is one of op.addresses. */
int	process_is_op(const struct config *, const char *addr);

/* SHA-256 of the request data a mail about it shows; tokens carry it. */
void	process_request_digest(struct store *, int64_t request_id, unsigned char out[32]);

#endif
