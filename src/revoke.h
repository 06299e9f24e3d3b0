/* SOP step 7 and what follows it (SPEC "States", "Revocation backends"):
 * an approved request is handed to the backend (approved -> revoking),
 * revoked once (revoking -> revoked), retried with back-off when the CA
 * is down, failed and the admin alerted when it keeps failing, retried
 * from failed later or by cabutctl retry. With the manual backend the
 * OPs get what to do in the CA's own application; their SUDAH or the
 * serial on the CA's CRL makes it revoked. The applicant and the OPs are
 * then told (SOP steps 8 and 9). */
#ifndef CABUT_REVOKE_H
#define CABUT_REVOKE_H

#include <stdint.h>

#include "ca.h"
#include "process.h"

/* Calls to a backend before a revoking request goes to failed, and the
 * back-off between them: REVOKE_WAIT_MIN doubling. */
#define REVOKE_TRIES		6
#define REVOKE_WAIT_MIN		30
/* From failed, an automatic retry after REVOKE_RETRY_MIN doubling up to
 * REVOKE_RETRY_MAX. */
#define REVOKE_RETRY_MIN	3600
#define REVOKE_RETRY_MAX	86400

/* One pass over everything due at now. Each request moves in its own
 * transactions; the backend is called outside any. 0 (*waiting_r, owned,
 * names work left waiting for a server, or NULL) or -1 store error. */
int	revoke_run(struct process_ctx *, struct ca_backend *, int64_t now,
	    char **waiting_r);

/* revoking -> revoked: record it, tell the applicant and the OPs. Inside
 * a transaction. revoked_at 0: now; reason -1: the one requested. note
 * (may be NULL) goes to the audit log. 0, 1 when the request is not
 * revoking, -1 store error. */
int	revoke_done(struct process_ctx *, int64_t id, const char *actor,
	    const char *how, int64_t revoked_at, int reason, const char *note);

/* cabutctl retry: failed -> revoking now. 0, 1 not failed, -1 error. */
int	revoke_retry(struct process_ctx *, int64_t id, const char *actor);

#endif
