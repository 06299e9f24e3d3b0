/* The registry: the certificates requests are checked against, keyed by
 * issuer and serial (cabutctl registry import, and the local CA's own
 * issues). */
#ifndef CABUT_REGISTRY_H
#define CABUT_REGISTRY_H

#include <stdint.h>

#include <openssl/x509.h>

#include "store.h"
#include "request.h"

/* Add (or update) one certificate; username NULL keeps the one recorded.
 * 0 added, 1 updated, -1 error. */
int	registry_add(struct store *, X509 *, const char *username, char **error_r);
/* Every certificate in a PEM file; *count_r how many. */
int	registry_import_pem(struct store *, const char *path, const char *username,
	    int *count_r, char **error_r);

/* The certificate a request names: by serial (normalised) or, without
 * one, by Subject DN. Of several matches, the one registered to sender
 * wins. 0 found, 1 none, -1 error. */
int	registry_find(struct store *, const char *serial, const X509_NAME *dn,
	    const char *sender, struct registry_cert *);
/* Every certificate with this serial, for cabutctl registry show. */
int	registry_foreach_serial(struct store *, const char *serial,
	    int (*cb)(const struct registry_cert *, void *), void *arg);
void	registry_cert_clear(struct registry_cert *);

/* Fields of a certificate as cabut records them (owned strings). */
char	*registry_name_text(const X509_NAME *);		/* RFC 2253 */
char	*registry_serial_text(const X509 *);		/* uppercase hex */
char	*registry_email(X509 *);			/* SAN rfc822Name, else emailAddress; lowercased */

#endif
