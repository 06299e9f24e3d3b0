/* Revocation backends (SPEC "Revocation backends"): one interface, one
 * file per implementation (ca_local.c, ca_manual.c, ca_cfssl.c,
 * ca_ejbca.c). revoke.c drives a request approved -> revoking -> revoked
 * | failed through it; a backend only talks to its CA and never touches
 * the store, so a call may be retried after a crash: revoking a
 * certificate that is already revoked is success and changes nothing
 * (except raising the reason to keyCompromise). */
#ifndef CABUT_CA_H
#define CABUT_CA_H

#include <stdint.h>

#include "config.h"

enum ca_status {
	CA_OK = 0,
	CA_TEMPORARY,	/* the CA cannot be reached or is busy: try again later */
	CA_PERMANENT,	/* the CA refused: retrying the same call will not help */
};

/* RFC 5280 CRLReason codes cabut uses. */
#define CA_REASON_KEY_COMPROMISE	1
#define CA_REASON_AFFILIATION_CHANGED	3
#define CA_REASON_SUPERSEDED		4

struct ca_revocation {
	const char	*issuer;	/* the registry's issuer DN (RFC 2253 one-line) */
	const char	*serial;	/* uppercase hex, no leading zeros */
	int		 reason;	/* RFC 5280 CRLReason */
	int64_t		 invalidity_date;	/* 0: none */
	int64_t		 now;
};

struct ca_result {
	int64_t		 revoked_at;	/* as the CA recorded it (0: unknown) */
	int		 reason;	/* as the CA recorded it (may have been raised) */
	int		 changed;	/* 0: it was already revoked so, nothing changed */
	char		*detail;	/* owned, may be NULL: for the log and audit ("CRL 7") */
};

struct ca_backend;

struct ca_backend_ops {
	const char	*name;
	/* 1: the OPs revoke by hand in the CA's own application (manual);
	 * revoke is then never called. */
	int		 manual;
	/* Before any mail is read (cabutd start, after SIGHUP). 0 or -1. */
	int		(*start)(struct ca_backend *, char **error_r);
	enum ca_status	(*revoke)(struct ca_backend *, const struct ca_revocation *,
			    struct ca_result *, char **error_r);
	/* Called every cycle: housekeeping that is due (local: re-issue the
	 * CRL before its nextUpdate). May be NULL. */
	enum ca_status	(*tick)(struct ca_backend *, int64_t now, char **error_r);
	void		(*stop)(struct ca_backend *);
};

struct ca_backend {
	const struct ca_backend_ops	*ops;
	const struct config		*cfg;
	void				*priv;	/* the backend's own */
};

extern const struct ca_backend_ops	ca_local_ops;
extern const struct ca_backend_ops	ca_manual_ops;
extern const struct ca_backend_ops	ca_cfssl_ops;
extern const struct ca_backend_ops	ca_ejbca_ops;

/* The backend ca.backend names, started. -1 with *error_r. */
int	ca_open(const struct config *, struct ca_backend **, char **error_r);
void	ca_close(struct ca_backend **);
enum ca_status	ca_revoke(struct ca_backend *, const struct ca_revocation *,
		    struct ca_result *, char **error_r);
enum ca_status	ca_tick(struct ca_backend *, int64_t now, char **error_r);
void	ca_result_clear(struct ca_result *);

/* RFC 5280 reason names as cfssl and OpenSSL spell them
 * ("keyCompromise"); NULL for an unknown code. */
const char	*ca_reason_name(int reason);

#endif
