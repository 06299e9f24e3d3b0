/* Certificate revocation lists (SPEC "Revocation backends"): for the
 * local CA, a v2 CRL signed with SHA-256, a CRL number that only grows,
 * the authority key identifier, and per entry the reason code and the
 * invalidity date (the key stays with the caller, the local CA's own
 * process); for the CRL watch, a fetched CRL checked against its issuer
 * and searched. */
#ifndef CABUT_CRL_H
#define CABUT_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct crl_entry {
	const char	*serial;		/* uppercase hex, no separators */
	int64_t		 revoked;		/* revocation time */
	int		 reason;		/* RFC 5280 CRLReason; -1: none */
	int64_t		 invalidity_date;	/* 0: none */
};

/* Build and sign a CRL issued by ca_cert with ca_key: lastUpdate = now,
 * nextUpdate = now + days. *pem_r and *der_r are owned. -1 with *error_r. */
int	crl_build(X509 *ca_cert, EVP_PKEY *ca_key, const struct crl_entry *,
	    size_t n, uint64_t crl_number, int64_t now, int days,
	    char **pem_r, size_t *pem_len_r, unsigned char **der_r,
	    size_t *der_len_r, char **error_r);

/* The largest CRL taken (PEM or DER), also the fetch limit. */
#define CRL_MAX_SIZE	(16UL << 20)

/* A CRL parsed and checked once, then searched for many serials. */
struct crl;

/* Parse a CRL (PEM or DER, at most CRL_MAX_SIZE bytes) and check it
 * against issuer: the CRL's issuer name is issuer's subject, the signature
 * verifies with issuer's key, issuer may sign CRLs (keyUsage), and it is a
 * complete, direct CRL (no delta or indirect CRL, no unknown critical
 * extension).  NULL with *error_r. */
struct crl	*crl_load(const unsigned char *data, size_t len, X509 *issuer,
		    char **error_r);
/* Whether serial (hex, no separators) is on the CRL: 1 with
 * *revoked_at_r (the revocation date) and *reason_r (RFC 5280 CRLReason,
 * -1 when none), 0 when it is not (a malformed serial never is; an entry
 * removeFromCRL is not).  Both pointers may be NULL. */
int		 crl_lookup(const struct crl *, const char *serial,
		    int64_t *revoked_at_r, int *reason_r);
int64_t		 crl_last_update(const struct crl *);	/* thisUpdate */
int64_t		 crl_next_update(const struct crl *);	/* 0: none */
/* 1 with *number_r when the CRL has a CRL number that fits in 64 bits,
 * 0 when not. */
int		 crl_number(const struct crl *, uint64_t *number_r);
size_t		 crl_count(const struct crl *);		/* entries */
void		 crl_free(struct crl **);

/* One lookup on a CRL not kept (crl_load, crl_lookup, crl_free): 1 on
 * it, 0 not, -1 with *error_r.  *next_update_r (may be NULL) gets its
 * nextUpdate. */
int	crl_contains(const unsigned char *data, size_t len, X509 *issuer,
	    const char *serial, int64_t *next_update_r, char **error_r);

#endif
