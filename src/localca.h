/* The local CA (backend = local, the embedded default), kept in ca.dir:
 * its key (ca.key, 0600), self-signed certificate (ca.pem), database
 * (ca.db: certificates issued, revocations, the CRL number) and current
 * CRL (crl.pem, crl.der). Only the CA process (ca_local.c) and cabutctl's
 * ca commands use it; nothing here reads mail. */
#ifndef CABUT_LOCALCA_H
#define CABUT_LOCALCA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ca.h"

#define LOCALCA_KEY		"ca.key"
#define LOCALCA_CERT		"ca.pem"
#define LOCALCA_DB		"ca.db"
#define LOCALCA_CRL_PEM		"crl.pem"
#define LOCALCA_CRL_DER		"crl.der"

#define LOCALCA_MAX_DAYS	36500	/* certificate and CA lifetimes */
#define LOCALCA_MAX_CRL_DAYS	365

struct localca;

/* Create dir (0700) and, when absent, the CA's key, certificate and
 * database; never overwrites. 1 the key and certificate were created, 0
 * they were there (a missing ca.db is still created), -1 with *error_r. */
int	localca_create(const char *dir, const char *subject_cn, int days,
	    char **error_r);

/* Load the key (refused when group or others have access) and the
 * certificate, open ca.db (which must exist: a lost one would reuse CRL
 * numbers). crl_days: the CRL's lifetime, 1 to LOCALCA_MAX_CRL_DAYS. */
int	localca_open(const char *dir, int crl_days, struct localca **,
	    char **error_r);
void	localca_close(struct localca **);

/* Issue a certificate for an e-mail holder. subject_dn is RFC 2253
 * ("CN=Budi,O=Kominfo,C=ID", most specific first) or OpenSSL's one-line
 * form ("/C=ID/O=Kominfo/CN=Budi"). The holder's EC P-256 key is made
 * here; *key_pem_r gets it when key_pem_r is not NULL (owned, wipe it
 * with freezero_str), otherwise it is discarded. username (may be NULL)
 * is recorded in ca.db only, not in the certificate. *serial_r (uppercase
 * hex, no leading zeros) and *der_r are owned. -1 with *error_r. */
int	localca_issue(struct localca *, const char *subject_dn,
	    const char *email, const char *username, int days, int64_t now,
	    char **key_pem_r, char **serial_r, unsigned char **der_r,
	    size_t *der_len_r, char **error_r);

/* Revoke serial (any case, leading zeros allowed) with an RFC 5280
 * reason (0-6, 9, 10) and invalidity date (0: none). A new revocation,
 * or a reason raised to keyCompromise, issues a new CRL at once
 * (res->changed = 1); revoking again otherwise changes nothing. When
 * keyCompromise is raised, an earlier invalidity date replaces the one
 * recorded. res->detail is "CRL N", *crl_number_r (may be NULL) N.
 * CA_PERMANENT: not a serial of this CA, or a bad reason; CA_TEMPORARY:
 * database busy, disk. */
enum ca_status	localca_revoke(struct localca *, const char *serial,
		    int reason, int64_t invalidity_date, int64_t now,
		    struct ca_result *res, uint64_t *crl_number_r,
		    char **error_r);

/* Issue a new CRL when force, when it is due (none yet, less than half
 * of crl_days left before its nextUpdate, the files are missing) or when
 * a revocation is not on it yet. The number is taken and committed to
 * ca.db before the files are written, so it is never used twice. 1
 * issued, 0 not due, -1 with *error_r; *number_r and *next_update_r (may
 * be NULL) describe the current CRL either way. */
int	localca_crl(struct localca *, int64_t now, int force,
	    uint64_t *number_r, int64_t *next_update_r, char **error_r);

/* The current CRL as ca.db records it, read only; *number_r = 0 when
 * none was issued yet. -1 with *error_r. */
int	localca_crl_info(const char *dir, uint64_t *number_r,
	    int64_t *this_update_r, int64_t *next_update_r, char **error_r);

#define LOCALCA_UNKNOWN	0	/* not issued by this CA */
#define LOCALCA_VALID	1
#define LOCALCA_REVOKED	2
/* What ca.db says of serial: LOCALCA_*, or -1 with *error_r. When
 * revoked, *revoked_at_r and *reason_r (may be NULL) are set. */
int	localca_status(struct localca *, const char *serial,
	    int64_t *revoked_at_r, int *reason_r, char **error_r);

/* The CA's certificate (borrowed), for checking its CRLs. */
X509	*localca_cert(struct localca *);

#endif
