/* Certificate revocation lists (SPEC "Revocation backends", local): a v2
 * CRL signed with SHA-256, a CRL number that only grows, the authority
 * key identifier, and per entry the reason code and the invalidity date.
 * Building and checking only; the key stays with the caller (the local
 * CA's own process). */
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

/* Parse a CRL (PEM or DER), check its signature with issuer, and report
 * whether serial is on it (1), not (0), or -1 with *error_r. *next_update_r
 * (may be NULL) gets its nextUpdate. */
int	crl_contains(const unsigned char *data, size_t len, X509 *issuer,
	    const char *serial, int64_t *next_update_r, char **error_r);

#endif
